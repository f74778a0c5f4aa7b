// SPDX-License-Identifier: MIT
/*
 * seccomp.c: filters are built from hand-made profiles, loaded in forked children (with
 * PR_SET_NO_NEW_PRIVS) and observed. WARD_SECCOMP_TEST_ERRNO turns NOTIFY into ERRNO(EPERM)
 * except in test_notify_roundtrip, which runs the real listener.
 */
#include "common/macro.h"
#include "common/missing.h"
#include "common/parse.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/seccomp.h"
#include "profile/oci.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void strv_add(struct ward_strv *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	l->v[l->n++] = (struct ward_str){.s = strdup(s)};
}

static void strv_free(struct ward_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].s);
	free(l->v);
}

static struct ward_profile *profile_new(enum ward_sc_action def)
{
	struct ward_profile *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->sc_default = def;
	return p;
}

static void profile_free(struct ward_profile *p)
{
	strv_free(&p->sc_allow);
	strv_free(&p->sc_deny);
	strv_free(&p->sc_kill);
	strv_free(&p->capabilities);
	free(p->sc_import.s);
	free(p);
}

/* What the test children themselves need between seccomp_load() and _exit(). */
static const char *const base_allow[] = {
	"read",	   "write",	  "close",  "fstat",	    "newfstatat",      "mmap",
	"munmap",  "mprotect",	  "brk",    "rt_sigreturn", "rt_sigaction",    "rt_sigprocmask",
	"futex",   "getpid",	  "wait4",  "sendmsg",	    "set_robust_list", "rseq",
	"madvise", "gettid",	  "exit",   "exit_group",   "clone",	       "socket",
	"ioctl",   "sched_yield", "munmap", "sigaltstack", /* ASan's per-thread setup (make
							      SANITIZE=1) */
};

static void add_base(struct ward_profile *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(base_allow); i++)
		strv_add(&p->sc_allow, base_allow[i]);
}

/* Runs fn in a child under the filter; returns the wait status. */
static int run_filtered(struct ward_seccomp *sc, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		/* A child stuck in a notification (a failing test) must not hang the run. */
		alarm(10);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(100);
		r = ward_seccomp_load(sc);
		/* In test mode there is no NOTIFY action: no listener. */
		if (r != -ENODATA)
			_exit(101);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

#define CHECK(cond, code)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return (code);                                                             \
	} while (0)

static int expect_errno(long r, int e)
{
	return r == -1 && errno == e;
}

/* Checks shared by the default-deny and default-allow filters. */
static int common_checks(void)
{
	long fd, r;
	char c = 'x';
	int status;
	pid_t pid;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0, 1);
	CHECK(expect_errno(socket(AF_PACKET, SOCK_RAW, 0), EPERM), 2);
	CHECK(expect_errno(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM), 3);
	CHECK(expect_errno(socket(AF_ALG, SOCK_SEQPACKET, 0), EPERM), 4);
	/* The kernel truncates the family to int: garbage above bit 31 must not help. */
	CHECK(expect_errno(syscall(SYS_socket, 0x100000000ul | AF_PACKET, SOCK_RAW, 0), EPERM), 5);
	r = syscall(SYS_socket, 0x100000000ul | AF_INET, SOCK_DGRAM, 0);
	CHECK(r >= 0, 6);
	close((int)r);
	r = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(r >= 0, 7);
	close((int)r);
	r = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(r >= 0 || errno == EAFNOSUPPORT, 8);
	if (r >= 0)
		close((int)r);

	CHECK(expect_errno(ioctl((int)fd, TIOCSTI, &c), EPERM), 10);
	CHECK(expect_errno(ioctl((int)fd, TIOCLINUX, &c), EPERM), 11);
	CHECK(expect_errno(syscall(SYS_ioctl, fd, 0x100000000ul | TIOCSTI, &c), EPERM), 12);
	{
		int n = -1;

		CHECK(ioctl((int)fd, FIONREAD, &n) == 0 && n == 0, 13);
	}
	close((int)fd);

	CHECK(expect_errno(unshare(CLONE_NEWUSER), EPERM), 20);
	CHECK(expect_errno(syscall(SYS_setns, 0, 0), EPERM), 21);
	CHECK(expect_errno(syscall(SYS_clone3, NULL, 0), ENOSYS), 22);
	CHECK(expect_errno(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM), 23);
	CHECK(expect_errno(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM), 24);
	CHECK(expect_errno(syscall(SYS_clone, 0x80 /* CLONE_NEWTIME */ | SIGCHLD, 0, 0, 0, 0),
			   EPERM),
	      25);
	CHECK(expect_errno(syscall(SYS_io_uring_setup, 1, NULL), EPERM), 26);
	CHECK(expect_errno(mount("none", "/mnt", "tmpfs", 0, NULL), EPERM), 27);
	CHECK(expect_errno(syscall(SYS_bpf, 0, NULL, 0), EPERM), 28);
	CHECK(expect_errno(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM), 29);
	CHECK(expect_errno(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM), 30);
	CHECK(expect_errno(syscall(SYS_finit_module, -1, "", 0), EPERM), 31);

	/* Plain fork (clone without namespace flags) still works. */
	pid = fork();
	CHECK(pid >= 0, 40);
	if (pid == 0)
		_exit(7);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7, 41);
	CHECK(getpid() > 0, 42);
	return 0;
}

static int deny_checks(void)
{
	int r = common_checks();

	if (r)
		return r;
	/* Not in the allow list: the default (deny) applies. */
	CHECK(expect_errno(syscall(SYS_getppid), EPERM), 50);
	CHECK(expect_errno(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM), 51);
	return 0;
}

static void test_default_deny(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_DENY);
	struct ward_seccomp *sc = NULL;
	struct ward_error err = {{0}};
	int status;

	add_base(p);
	assert_int_equal(ward_seccomp_build_flags(p, WARD_SECCOMP_TEST_ERRNO, &sc, &err), 0);
	status = run_filtered(sc, deny_checks);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ward_seccomp_free(sc);
	profile_free(p);
}

/*
 * The kernel's seccomp action cache (kernel/seccomp.c, seccomp_cache_prepare(), Linux 5.11):
 * when a filter is attached, the kernel runs it for every syscall number of the native and
 * compat arch with an emulator that knows only nr and arch; a syscall whose result is
 * SECCOMP_RET_ALLOW without any other load (no argument, no instruction pointer) is marked,
 * and later calls of it skip every filter of the stack. This is that emulator
 * (seccomp_is_const_allow()): whatever it cannot follow is "not constant".
 */
static bool const_allow(const struct sock_filter *f, size_t len, uint32_t arch, uint32_t nr)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		bool res;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k == offsetof(struct seccomp_data, nr))
				a = nr;
			else if (i->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else
				return false;
			break;
		case BPF_RET | BPF_K:
			return i->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(i->code)) {
			case BPF_JEQ:
				res = a == i->k;
				break;
			case BPF_JGE:
				res = a >= i->k;
				break;
			case BPF_JGT:
				res = a > i->k;
				break;
			default:
				res = a & i->k;
				break;
			}
			pc += res ? i->jt : i->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		default:
			return false;
		}
	}
	return false;
}

/* Every syscall allowed without an argument check must hit the action cache, through the
 * foreign-ABI prefix and libseccomp's arch check and binary tree (SCMP_FLTATR_CTL_OPTIMIZE 2);
 * those with argument rules (socket, ioctl, clone), denied ones and the foreign ABIs must not. */
static void check_cache(enum ward_sc_action def)
{
	struct ward_profile *p = profile_new(def);
	struct ward_seccomp *sc = NULL;
	struct sock_filter f[BPF_MAXINSNS];
	static const char *const plain[] = {"read",  "write", "close", "openat",
					    "fstat", "mmap",  "futex", "getpid"};
	uint32_t native = seccomp_arch_native();
	ssize_t n;
	int fd;

	add_base(p);
	strv_add(&p->sc_allow, "openat");
	strv_add(&p->sc_kill, "kexec_load");
	if (def == WARD_SC_ALLOW)
		strv_add(&p->sc_deny, "getuid");
	assert_int_equal(ward_seccomp_build(p, &sc, NULL), 0);
	fd = ward_seccomp_export(sc);
	assert_true(fd >= 0);
	n = pread(fd, f, sizeof(f), 0);
	close(fd);
	assert_true(n > 0 && n % (ssize_t)sizeof(f[0]) == 0);
	n /= sizeof(f[0]);
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		int nr = seccomp_syscall_resolve_name(plain[i]);
		assert_true(nr >= 0);
		if (!const_allow(f, n, native, nr))
			fail_msg("%s (%d) misses the seccomp action cache", plain[i], nr);
	}
	assert_false(const_allow(f, n, native, seccomp_syscall_resolve_name("socket")));
	assert_false(const_allow(f, n, native, seccomp_syscall_resolve_name("ioctl")));
	assert_false(const_allow(f, n, native, seccomp_syscall_resolve_name("kexec_load")));
	assert_false(const_allow(f, n, native, seccomp_syscall_resolve_name("ptrace")));
	if (native == SCMP_ARCH_X86_64) {
		assert_false(const_allow(f, n, SCMP_ARCH_X86, 3 /* i386 read */));
		assert_false(const_allow(f, n, native,
					 0x40000000u | seccomp_syscall_resolve_name("read")));
	}
	ward_seccomp_free(sc);
	profile_free(p);
}

static void test_action_cache(void **state)
{
	check_cache(WARD_SC_DENY);
	check_cache(WARD_SC_ALLOW);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int allow_checks(void)
{
	pthread_t t;
	void *res = NULL;
	int r = common_checks();

	if (r)
		return r;
	CHECK(syscall(SYS_getppid) > 0, 60);
	/* In the deny list. */
	CHECK(expect_errno(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM), 61);
	CHECK(expect_errno(syscall(SYS_getuid), EPERM), 62);
	/* glibc creates threads with clone3 and falls back to clone on ENOSYS. */
	CHECK(pthread_create(&t, NULL, thread_fn, (void *)0x5) == 0, 63);
	CHECK(pthread_join(t, &res) == 0 && res == (void *)0x5, 64);
	return 0;
}

static void test_default_allow(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_ALLOW);
	struct ward_seccomp *sc = NULL;
	int status;

	strv_add(&p->sc_deny, "getuid");
	strv_add(&p->sc_allow, "socket"); /* same as the default: the family rule must survive */
	assert_int_equal(ward_seccomp_build_flags(p, WARD_SECCOMP_TEST_ERRNO, &sc, NULL), 0);
	status = run_filtered(sc, allow_checks);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ward_seccomp_free(sc);
	profile_free(p);
}

static int lifted_checks(void)
{
	char c = 'x';

	/* unshare explicitly allowed: namespaces (and clone's namespace flags) are lifted... */
	CHECK(unshare(CLONE_NEWUTS) == 0, 1);
	/* ...but nothing else is. */
	CHECK(expect_errno(syscall(SYS_ptrace, 0, 0, 0, 0), EPERM), 2);
	CHECK(expect_errno(ioctl(0, TIOCSTI, &c), EPERM), 3);
	/* clone3 explicitly allowed: reaches the kernel (EFAULT/EINVAL for a NULL struct). */
	CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno != ENOSYS && errno != EPERM, 4);
	return 0;
}

static void test_allow_lifts_builtin(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_ALLOW);
	struct ward_seccomp *sc = NULL;
	struct ward_sc_verdict v;
	uint64_t args[6] = {CLONE_NEWUSER};
	int status;

	strv_add(&p->sc_allow, "unshare");
	strv_add(&p->sc_allow, "clone3");
	assert_int_equal(ward_seccomp_build_flags(p, WARD_SECCOMP_TEST_ERRNO, &sc, NULL), 0);
	status = run_filtered(sc, lifted_checks);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The verdict agrees: clone with namespace flags is no longer a builtin denial. */
	ward_seccomp_verdict(sc, SYS_clone, args, &v);
	assert_string_not_equal(v.rule, "builtin: namespaces");
	ward_seccomp_free(sc);
	profile_free(p);
}

static int x32_call(void)
{
	/* x32 getpid: __X32_SYSCALL_BIT | 39. */
	syscall(0x40000000 | 39);
	return 1; /* not reached if the filter kills it */
}

static void test_x32_killed(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_ALLOW);
	struct ward_seccomp *sc = NULL;
	int status;

	assert_int_equal(ward_seccomp_build_flags(p, WARD_SECCOMP_TEST_ERRNO, &sc, NULL), 0);
	status = run_filtered(sc, x32_call);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	ward_seccomp_free(sc);
	profile_free(p);
}

static void test_verdict(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_DENY);
	struct ward_seccomp *sc = NULL;
	struct ward_sc_verdict v;
	uint64_t a[6] = {0};

	add_base(p);
	strv_add(&p->sc_deny, "ptrace");
	strv_add(&p->sc_kill, "kexec_load");
	strv_add(&p->sc_kill, "getppid");
	strv_add(&p->sc_allow, "getppid"); /* kill is stricter: wins */
	assert_int_equal(ward_seccomp_build(p, &sc, NULL), 0);

	ward_seccomp_verdict(sc, SYS_ptrace, a, &v);
	assert_int_equal(v.action, WARD_SC_DENY);
	assert_string_equal(v.rule, "syscalls.deny: ptrace");
	ward_seccomp_verdict(sc, SYS_kexec_load, a, &v);
	assert_int_equal(v.action, WARD_SC_KILL);
	assert_string_equal(v.rule, "syscalls.kill: kexec_load");
	ward_seccomp_verdict(sc, SYS_getppid, a, &v);
	assert_int_equal(v.action, WARD_SC_KILL);
	assert_string_equal(v.rule, "syscalls.kill: getppid");
	ward_seccomp_verdict(sc, SYS_kexec_file_load, a, &v);
	assert_int_equal(v.action, WARD_SC_DENY);
	assert_string_equal(v.rule, "builtin: kexec");
	ward_seccomp_verdict(sc, SYS_getuid, a, &v);
	assert_int_equal(v.action, WARD_SC_DENY);
	assert_string_equal(v.rule, "syscalls.default: deny");

	const struct {
		int nr;
		uint64_t a0, a1;
		const char *rule;
	} cases[] = {
		{SYS_socket, AF_PACKET, 0, "builtin: socket-family"},
		{SYS_socket, 0xffffffff00000000ul | AF_VSOCK, 0, "builtin: socket-family"},
		{SYS_ioctl, 0, TIOCSTI, "builtin: tty-injection"},
		{SYS_ioctl, 1, TIOCLINUX, "builtin: tty-injection"},
		{SYS_clone, CLONE_NEWPID | SIGCHLD, 0, "builtin: namespaces"},
		{SYS_unshare, CLONE_NEWNS, 0, "builtin: namespaces"},
		{SYS_setns, 3, 0, "builtin: namespaces"},
		{SYS_io_uring_enter, 0, 0, "builtin: io_uring"},
		{SYS_init_module, 0, 0, "builtin: kernel-modules"},
		{SYS_bpf, 0, 0, "builtin: bpf"},
		{SYS_perf_event_open, 0, 0, "builtin: perf"},
		{SYS_add_key, 0, 0, "builtin: keyring"},
		{SYS_userfaultfd, 0, 0, "builtin: userfaultfd"},
		{SYS_fsopen, 0, 0, "builtin: mount"},
		{SYS_pivot_root, 0, 0, "builtin: mount"},
		{SYS_open_by_handle_at, 0, 0, "builtin: open_by_handle_at"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		a[0] = cases[i].a0;
		a[1] = cases[i].a1;
		ward_seccomp_verdict(sc, cases[i].nr, a, &v);
		assert_int_equal(v.action, WARD_SC_DENY);
		assert_string_equal(v.rule, cases[i].rule);
	}
	/* The load without the test flag has a listener in a real build: covered by
	 * test_notify_roundtrip. */
	ward_seccomp_free(sc);
	profile_free(p);

	p = profile_new(WARD_SC_KILL);
	assert_int_equal(ward_seccomp_build(p, &sc, NULL), 0);
	ward_seccomp_verdict(sc, SYS_getuid, NULL, &v);
	assert_int_equal(v.action, WARD_SC_KILL);
	assert_string_equal(v.rule, "syscalls.default: kill");
	ward_seccomp_free(sc);
	profile_free(p);
}

static void test_bad_profile(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_DENY);
	struct ward_seccomp *sc = NULL;
	struct ward_error err = {{0}};

	strv_add(&p->sc_deny, "no_such_syscall");
	p->sc_deny.v[0].loc = (struct ward_loc){.file = "p.yaml", .line = 3, .col = 7};
	assert_int_equal(ward_seccomp_build(p, &sc, &err), -EINVAL);
	assert_null(sc);
	assert_non_null(strstr(err.msg, "p.yaml:3:7:"));
	assert_non_null(strstr(err.msg, "no_such_syscall"));
	profile_free(p);

	/* A syscall of another architecture only (i386's socketcall) is unknown here. */
	p = profile_new(WARD_SC_DENY);
	strv_add(&p->sc_allow, "socketcall");
	assert_int_equal(ward_seccomp_build(p, &sc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "syscalls.allow"));
	profile_free(p);

	/* A missing import file. */
	p = profile_new(WARD_SC_DENY);
	p->sc_import.s = strdup("/nonexistent/seccomp.json");
	assert_true(ward_seccomp_build(p, &sc, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/seccomp.json"));
	profile_free(p);

	assert_int_equal(ward_seccomp_load(NULL), -EINVAL);
	ward_seccomp_free(NULL);
}

static void test_names(void **state)
{
	assert_string_equal(ward_syscall_name(SYS_read), "read");
	assert_string_equal(ward_syscall_name(SYS_ptrace), "ptrace");
	/* Cached: the same pointer each time. */
	assert_ptr_equal(ward_syscall_name(SYS_ptrace), ward_syscall_name(SYS_ptrace));
	assert_null(ward_syscall_name(-1));
	assert_null(ward_syscall_name(100000));
	assert_null(ward_syscall_name(0x40000000 | 39));
	assert_true(ward_syscall_known("openat"));
	assert_true(ward_syscall_known("clone3"));
	assert_false(ward_syscall_known("no_such_syscall"));
	assert_false(ward_syscall_known(""));
	assert_false(ward_syscall_known(NULL));
	assert_false(ward_syscall_known("socketcall")); /* i386 only */
}

/* ---- a real listener: the child passes it over SCM_RIGHTS, as the workload will ---------- */

static int notify_sock = -1;

static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0};
	char b = 'f';
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = buf,
			   .msg_controllen = sizeof(buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0};
	char b;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = buf,
			   .msg_controllen = sizeof(buf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void test_notify_roundtrip(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_DENY);
	struct ward_seccomp *sc = NULL;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct ward_sc_verdict v;
	int sv[2], status, listener;
	pid_t pid;

	add_base(p);
	assert_int_equal(ward_seccomp_build(p, &sc, NULL), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		close(sv[0]);
		alarm(10);
		notify_sock = sv[1];
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(100);
		fd = ward_seccomp_load(sc);
		if (fd < 0)
			_exit(101);
		if (send_fd(notify_sock, fd) < 0)
			_exit(102);
		close(fd);
		/* Denied by default: the supervisor (parent) answers EPERM. */
		if (!expect_errno(syscall(SYS_getppid), EPERM))
			_exit(103);
		/* A builtin with arguments. */
		if (!expect_errno(socket(AF_PACKET, SOCK_RAW, 0), EPERM))
			_exit(104);
		_exit(0);
	}
	close(sv[1]);
	listener = recv_fd(sv[0]);
	assert_true(listener >= 0);
	assert_int_equal(seccomp_notify_alloc(&req, &resp), 0);

	const struct {
		int nr;
		const char *rule;
	} expect[] = {
		{SYS_getppid, "syscalls.default: deny"},
		{SYS_socket, "builtin: socket-family"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		memset(req, 0, sizeof(*req));
		assert_int_equal(seccomp_notify_receive(listener, req), 0);
		assert_int_equal(req->pid, pid);
		assert_int_equal(req->data.nr, expect[i].nr);
		/* __u64 is unsigned long long, uint64_t unsigned long: same layout. */
		ward_seccomp_verdict(sc, req->data.nr, (const uint64_t *)req->data.args, &v);
		assert_int_equal(v.action, WARD_SC_DENY);
		assert_string_equal(v.rule, expect[i].rule);
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->error = -EPERM;
		assert_int_equal(seccomp_notify_respond(listener, resp), 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	seccomp_notify_free(req, resp);
	close(listener);
	close(sv[0]);
	ward_seccomp_free(sc);
	profile_free(p);
}

/* ---- syscalls.import merged into the filter ----------------------------------------------- */

static char *data_path(const char *name)
{
	char *dir = strdup(__FILE__), *slash, *r;

	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	assert_true(asprintf(&r, "%sdata/oci/%s", dir, name) > 0);
	free(dir);
	return r;
}

static int import_checks(void)
{
	/* Allowed by the import. */
	CHECK(getpid() > 0, 1);
	/* personality: allowed for 0 and 0xffffffff (query) only; PER_BSD (6) falls to the
	 * ward profile's default (deny). */
	CHECK(syscall(SYS_personality, 0xffffffffUL) >= 0, 2);
	CHECK(expect_errno(syscall(SYS_personality, 6UL), EPERM), 3);
	/* ERRNO in the import: a (reported) denial, answered EPERM. */
	CHECK(expect_errno(syscall(SYS_getppid), EPERM), 4);
	/* The profile's own list beats the import (import says ALLOW for uname). */
	CHECK(expect_errno(syscall(SYS_uname, NULL), EPERM), 5);
	/* clone: the import's conditional allow plus ward's namespace rule. */
	CHECK(expect_errno(syscall(SYS_clone, 0x80 | SIGCHLD, 0, 0, 0, 0), EPERM), 6);
	/* The import allows mount only with CAP_SYS_ADMIN, which this sandbox lacks; even so the
	 * builtin would deny it. */
	CHECK(expect_errno(mount("none", "/mnt", "tmpfs", 0, NULL), EPERM), 7);
	/* clone3: ENOSYS (builtin and import agree). */
	CHECK(expect_errno(syscall(SYS_clone3, NULL, 0), ENOSYS), 8);
	/* Not named anywhere: the profile's default. */
	CHECK(expect_errno(syscall(SYS_getgid), EPERM), 9);
	return 0;
}

static void test_import(void **state)
{
	struct ward_profile *p = profile_new(WARD_SC_DENY);
	struct ward_seccomp *sc = NULL;
	struct ward_error err = {{0}};
	struct ward_seccomp_import_stats st;
	struct ward_sc_verdict v;
	uint64_t a[6] = {0};
	int status;

	p->sc_import.s = data_path("small.json");
	strv_add(&p->sc_deny, "uname");
	assert_int_equal(ward_seccomp_build_flags(p, WARD_SECCOMP_TEST_ERRNO, &sc, &err), 0);
	ward_seccomp_import_stats(sc, &st);
	assert_int_equal(st.unknown, 2);
	assert_true(st.excluded >= 4);
	assert_int_equal(st.overridden, 1);

	ward_seccomp_verdict(sc, SYS_getppid, a, &v);
	assert_int_equal(v.action, WARD_SC_DENY);
	assert_non_null(strstr(v.rule, "import: "));
	assert_non_null(strstr(v.rule, "small.json"));
	assert_int_equal(v.err, 13); /* the import's errnoRet, answered in enforce mode */
	ward_seccomp_verdict(sc, SYS_getgid, a, &v);
	assert_int_equal(v.err, 0); /* the profile's default: EPERM */
	ward_seccomp_verdict(sc, SYS_uname, a, &v);
	assert_string_equal(v.rule, "syscalls.deny: uname");

	status = run_filtered(sc, import_checks);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ward_seccomp_free(sc);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_deny),
		cmocka_unit_test(test_default_allow),
		cmocka_unit_test(test_allow_lifts_builtin),
		cmocka_unit_test(test_x32_killed),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_bad_profile),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_notify_roundtrip),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_action_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
