/* SPDX-License-Identifier: MIT */
/*
 * ward-probe: the hostile half of `ward selftest`. A static program (it runs in the smallest
 * views and never loads a library from the sandbox's view of the host), installed beside ward
 * ($(PREFIX)/libexec/ward/ward-probe) and bound read-only into each selftest sandbox.
 *
 *	ward-probe run ID OP [ARG...] \; ID OP [ARG...] ...
 *
 * runs each operation in a child of its own, one after the other. The child is named
 * "wst-ID" (prctl PR_SET_NAME), so the events ward reports can be matched to it by `comm`;
 * the runner prints, for each:
 *
 *	BEGIN ID REALTIME_NS
 *	OUT ID LINE...              (what the child printed, stdout and stderr)
 *	END ID REALTIME_NS exit=N | signal=NAME
 *
 * Each operation prints "RESULT op=OP ret=N errno=E [key=value...]" and is harmless when it
 * succeeds: data goes only to listeners the selftest itself started, files are created only
 * where the sandbox may write (and removed), module and kexec calls get invalid arguments,
 * signals are signal 0. Invoked set-uid (the selftest's set-uid copy) the program does nothing
 * but print its ids, whatever its arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/probe.h"

#define PROBE_TIMEOUT_MS    5000 /* one operation; the runner kills a child that takes longer */
#define UFFD_USER_MODE_ONLY 1

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";
	return n ? n : "E?";
}

__attribute__((format(printf, 4, 5))) static int result(const char *op, long ret, int err,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ward_probe_vresult(op, ret, ename(ret < 0 ? err : 0), fmt, ap);
	va_end(ap);
	return 0;
}

static long parse_long(const char *s)
{
	return s ? strtol(s, NULL, 10) : 0;
}

/* ---- files --------------------------------------------------------------------------------- */

/* Reads from fd: the data is reachable, not only the name. */
static int read_result(const char *op, int fd, int e, const char *path)
{
	char buf[64];
	ssize_t n;

	if (fd < 0)
		return result(op, -1, e, "path=%s", path);
	n = read(fd, buf, sizeof(buf));
	e = errno;
	close(fd);
	return result(op, n < 0 ? -1 : n, e, "path=%s stage=read", path);
}

static int op_read(char **a)
{
	int fd = open(a[0], O_RDONLY | O_CLOEXEC);
	return read_result("read", fd, errno, a[0]);
}

static int op_legacy_open(char **a)
{
	int fd = syscall(SYS_open, a[0], O_RDONLY | O_CLOEXEC);
	return read_result("legacy-open", fd, errno, a[0]);
}

static int op_openat2(char **a)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	int fd = syscall(SYS_openat2, AT_FDCWD, a[0], &how, sizeof(how));
	return read_result("openat2", fd, errno, a[0]);
}

/* symlink TARGET LINK: a link in a writable place aimed at TARGET, then a read through it. */
static int op_symlink(char **a)
{
	int r = symlink(a[0], a[1]);
	int e = errno;

	if (r < 0 && e != EEXIST)
		return result("symlink", -1, e, "target=%s link=%s stage=symlink", a[0], a[1]);
	int fd = open(a[1], O_RDONLY | O_CLOEXEC);
	e = errno;
	unlink(a[1]);
	return read_result("symlink", fd, e, a[1]);
}

/* O_PATH on a read-only file, then a write open of /proc/self/fd/N (a "reopen"). */
static int op_opath_reopen(char **a)
{
	char p[64];
	int fd = open(a[0], O_PATH | O_CLOEXEC);

	if (fd < 0)
		return result("opath-reopen", -1, errno, "path=%s stage=opath", a[0]);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int w = open(p, O_WRONLY | O_CLOEXEC);
	int e = errno;
	close(fd);
	if (w >= 0)
		close(w); /* nothing written: the open is the hole */
	return result("opath-reopen", w < 0 ? -1 : 0, e, "path=%s", a[0]);
}

/* A write open of an existing file, nothing written. */
static int op_write(char **a)
{
	int fd = open(a[0], O_WRONLY | O_CLOEXEC);
	int e = errno;

	if (fd >= 0)
		close(fd);
	return result("write", fd < 0 ? -1 : 0, e, "path=%s", a[0]);
}

/* create DIR: a new file in DIR, removed at once. */
static int op_create(char **a)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/.ward-selftest-%d", a[0], (int)getpid());
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int e = errno;

	if (fd >= 0) {
		close(fd);
		unlink(p);
	}
	return result("create", fd < 0 ? -1 : 0, e, "path=%s", p);
}

/* ---- exec ---------------------------------------------------------------------------------- */

static int op_marker(void)
{
	printf("WST-RAN uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(),
	       (int)getgid(), (int)getegid());
	fflush(stdout);
	return 0;
}

static int op_exec(char **a)
{
	fflush(stdout);
	execv(a[0], a);
	return result("exec", -1, errno, "path=%s", a[0]);
}

/* Copies this program to fd. */
static int copy_self(int fd)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n) {
			close(in);
			return -1;
		}
	close(in);
	return n < 0 ? -1 : 0;
}

/* drop-exec DIR: a copy of this program written to DIR at run time, then executed. */
static int op_drop_exec(char **a)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/wst-dropped-%d", a[0], (int)getpid());
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return result("drop-exec", -1, errno, "path=%s stage=create", p);
	int r = copy_self(fd);
	int e = errno;
	close(fd);
	if (r < 0) {
		unlink(p);
		return result("drop-exec", -1, e, "path=%s stage=copy", p);
	}
	char *argv[] = {p, "marker", NULL};
	fflush(stdout);
	execv(p, argv);
	e = errno;
	unlink(p);
	return result("drop-exec", -1, e, "path=%s", p);
}

/* script-exec DIR INTERP: a #! script written to DIR whose interpreter is INTERP (allowed). */
static int op_script_exec(char **a)
{
	char p[4096], body[4200];

	snprintf(p, sizeof(p), "%s/wst-script-%d", a[0], (int)getpid());
	snprintf(body, sizeof(body), "#!%s marker\n", a[1]);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return result("script-exec", -1, errno, "path=%s stage=create", p);
	ssize_t n = write(fd, body, strlen(body));
	int e = errno;
	close(fd);
	if (n < 0) {
		unlink(p);
		return result("script-exec", -1, e, "path=%s stage=write", p);
	}
	char *argv[] = {p, NULL};
	fflush(stdout);
	execv(p, argv);
	e = errno;
	unlink(p);
	return result("script-exec", -1, e, "path=%s", p);
}

/* A copy of this program in a memfd, run with fexecve. */
static int op_memfd_exec(void)
{
	int fd = syscall(SYS_memfd_create, "wst", 0);
	if (fd < 0)
		return result("memfd-exec", -1, errno, "stage=memfd_create");
	if (copy_self(fd) < 0)
		return result("memfd-exec", -1, errno, "stage=copy");
	char *argv[] = {"wst-memfd", "marker", NULL};
	extern char **environ;
	fflush(stdout);
	fexecve(fd, argv, environ);
	return result("memfd-exec", -1, errno, "stage=fexecve");
}

/* ---- network ------------------------------------------------------------------------------- */

/* Waits for a non-blocking connect; returns 0 or -1 with errno. */
static int connect_wait(int fd, int r)
{
	if (r == 0 || errno != EINPROGRESS)
		return r;
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int e = 0;
	socklen_t len = sizeof(e);

	if (poll(&pfd, 1, 2000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
	errno = e;
	return e ? -1 : 0;
}

/* inet OP ADDR PORT MARK: tcp-connect, tcp-fastopen, udp-send, udp-connect, bind-listen. */
static int op_inet(const char *op, char **a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = ward_probe_sockaddr(a[0], parse_long(a[1]), &ss, &len);
	const char *mark = a[2] ? a[2] : "wst";
	bool udp = !strncmp(op, "udp", 3);
	int fd, r, e;

	if (fam < 0)
		return result(op, -1, EINVAL, "addr=%s stage=parse", a[0]);
	fd = socket(fam, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return result(op, -1, errno, "addr=%s port=%s stage=socket", a[0], a[1]);
	if (!strcmp(op, "tcp-connect")) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		r = connect_wait(fd, connect(fd, (struct sockaddr *)&ss, len));
		if (r == 0) {
			fcntl(fd, F_SETFL, 0);
			r = send(fd, mark, strlen(mark), MSG_NOSIGNAL) < 0 ? -1 : 0;
		}
	} else if (!strcmp(op, "tcp-fastopen")) {
		/* The data rides on the SYN (or follows the handshake without a cookie). */
		r = sendto(fd, mark, strlen(mark), MSG_FASTOPEN | MSG_NOSIGNAL,
			   (struct sockaddr *)&ss, len) < 0
			    ? -1
			    : 0;
	} else if (!strcmp(op, "udp-send")) {
		r = sendto(fd, mark, strlen(mark), 0, (struct sockaddr *)&ss, len) < 0 ? -1 : 0;
	} else if (!strcmp(op, "udp-connect")) {
		r = connect(fd, (struct sockaddr *)&ss, len);
		if (r == 0)
			r = send(fd, mark, strlen(mark), 0) < 0 ? -1 : 0;
	} else { /* bind-listen */
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		r = bind(fd, (struct sockaddr *)&ss, len);
		if (r == 0)
			r = listen(fd, 1);
	}
	e = errno;
	/* A moment for the listener to read the marker before the socket closes. */
	if (r == 0 && !udp)
		usleep(20000);
	close(fd);
	return result(op, r, e, "addr=%s port=%s", a[0], a[1]);
}

/* unix-connect PATH|@NAME MARK */
static int op_unix_connect(char **a)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(a[0]);
	socklen_t len;

	if (n >= sizeof(sun.sun_path))
		return result("unix-connect", -1, ENAMETOOLONG, "addr=%s", a[0]);
	memcpy(sun.sun_path, a[0], n);
	if (a[0][0] == '@')
		sun.sun_path[0] = 0;
	len = offsetof(struct sockaddr_un, sun_path) + n + (a[0][0] == '@' ? 0 : 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return result("unix-connect", -1, errno, "addr=%s stage=socket", a[0]);
	int r = connect(fd, (struct sockaddr *)&sun, len);
	if (r == 0)
		r = send(fd, a[1], strlen(a[1]), MSG_NOSIGNAL) < 0 ? -1 : 0;
	int e = errno;
	if (r == 0)
		usleep(20000);
	close(fd);
	return result("unix-connect", r, e, "addr=%s", a[0]);
}

/* ---- devices ------------------------------------------------------------------------------- */

static int op_open_dev(char **a)
{
	int fd = open(a[0], (a[1] && !strcmp(a[1], "rw") ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	int e = errno;

	if (fd >= 0)
		close(fd);
	return result("open-dev", fd < 0 ? -1 : 0, e, "path=%s", a[0]);
}

/* mknod PATH: a /dev/null twin (char 1:3), removed at once. */
static int op_mknod(char **a)
{
	int r = mknod(a[0], S_IFCHR | 0600, makedev(1, 3));
	int e = errno;

	if (r == 0)
		unlink(a[0]);
	return result("mknod", r, e, "path=%s", a[0]);
}

/* ---- escapes ------------------------------------------------------------------------------- */

/* PTRACE_SEIZE of our own child: attaching is the capability a payload wants. */
static int op_ptrace(void)
{
	pid_t c = fork();

	if (c == 0) {
		pause();
		_exit(0);
	}
	if (c < 0)
		return result("ptrace", -1, errno, "stage=fork");
	long r = syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, c, NULL, NULL);
	int e = errno;
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return result("ptrace", r, e, NULL);
}

/* mount DIR: a 4 KiB tmpfs in the sandbox's own mount namespace, unmounted at once. */
static int op_mount(char **a)
{
	int r = mount("wst", a[0], "tmpfs", MS_NOSUID | MS_NODEV, "size=4k");
	int e = errno;

	if (r == 0)
		umount2(a[0], MNT_DETACH);
	return result("mount", r, e, "path=%s", a[0]);
}

static int op_unshare_user(void)
{
	int r = unshare(CLONE_NEWUSER); /* only this child process */
	return result("unshare", r, errno, "flags=CLONE_NEWUSER");
}

static int op_clone3_user(void)
{
	struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	long r = syscall(SYS_clone3, &ca, sizeof(ca));

	if (r == 0)
		_exit(0);
	int e = errno;
	if (r > 0)
		waitpid(r, NULL, 0);
	return result("clone3", r < 0 ? -1 : 0, e, "flags=CLONE_NEWUSER");
}

/* setns into our own UTS namespace: changes nothing, needs CAP_SYS_ADMIN and setns. */
static int op_setns(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return result("setns", -1, errno, "stage=open");
	int r = setns(fd, CLONE_NEWUTS);
	int e = errno;
	close(fd);
	return result("setns", r, e, NULL);
}

static int op_bpf(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	long r = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	int e = errno;
	if (r >= 0)
		close(r);
	return result("bpf", r < 0 ? -1 : 0, e, "cmd=BPF_MAP_CREATE");
}

static int op_perf(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	long r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	int e = errno;
	if (r >= 0)
		close(r);
	return result("perf_event_open", r < 0 ? -1 : 0, e, NULL);
}

static int op_io_uring(void)
{
	char params[120]; /* struct io_uring_params */

	memset(params, 0, sizeof(params));
	long r = syscall(SYS_io_uring_setup, 1, params);
	int e = errno;
	if (r >= 0)
		close(r);
	return result("io_uring_setup", r < 0 ? -1 : 0, e, NULL);
}

static int op_keyctl(void)
{
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	return result("keyctl", r < 0 ? -1 : 0, errno, NULL);
}

static int op_userfaultfd(void)
{
	long r = syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY | O_CLOEXEC);
	int e = errno;
	if (r >= 0)
		close(r);
	return result("userfaultfd", r < 0 ? -1 : 0, e, NULL);
}

/* TIOCSTI on a pipe: the ioctl number is what ward matches; the kernel answers ENOTTY, so
 * nothing is pushed into anybody's terminal even when it gets through. */
static int op_tiocsti(void)
{
	int p[2];
	char c = 'x';

	if (pipe2(p, O_CLOEXEC) < 0)
		return result("tiocsti", -1, errno, "stage=pipe");
	int r = ioctl(p[0], TIOCSTI, &c);
	int e = errno;
	close(p[0]);
	close(p[1]);
	return result("tiocsti", r, e, NULL);
}

/* getpid through the i386 ABI (int $0x80, eax 20): a second syscall table. */
static int op_i386(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	return result("i386-getpid", r < 0 ? -1 : r, r < 0 ? (int)-r : 0, NULL);
}

static int op_chroot(void)
{
	int r = chroot("/");
	return result("chroot", r, errno, NULL);
}

static int op_open_by_handle(void)
{
	struct {
		struct file_handle fh;
		unsigned char b[128];
	} h;
	int mnt = -1;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 128;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mnt, 0) < 0) {
		h.fh.handle_bytes = 8; /* a made-up handle: open_by_handle_at is the probe */
		h.fh.handle_type = 1;
	}
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long r = syscall(SYS_open_by_handle_at, root, &h.fh, O_RDONLY | O_CLOEXEC);
	int e = errno;
	if (r >= 0)
		close(r);
	if (root >= 0)
		close(root);
	return result("open_by_handle_at", r < 0 ? -1 : 0, e, NULL);
}

/* kill PID: signal 0, which checks reachability and delivers nothing. */
static int op_kill(char **a)
{
	int r = kill((pid_t)parse_long(a[0]), 0);
	return result("kill", r, errno, "pid=%s sig=0", a[0]);
}

static int op_kexec(void)
{
	long r = syscall(SYS_kexec_load, 0, 0, NULL, 0xffff0000UL); /* bad flags: EINVAL */
	return result("kexec_load", r, errno, NULL);
}

static int op_init_module(void)
{
	long r = syscall(SYS_init_module, NULL, 0, ""); /* no image: EFAULT/EINVAL */
	return result("init_module", r, errno, NULL);
}

/* ---- limits -------------------------------------------------------------------------------- */

/* fork-bomb N: at most N children, each waiting to be killed; all of them are killed. */
static int op_fork_bomb(char **a)
{
	long want = parse_long(a[0]), n = 0;
	int first = 0;
	pid_t *kids;

	if (want < 1 || want > 100000 || !(kids = calloc(want, sizeof(pid_t))))
		return result("fork-bomb", -1, EINVAL, NULL);
	for (long i = 0; i < want; i++) {
		pid_t p = fork();
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		if (p < 0) {
			if (!first)
				first = errno;
			break; /* the limit answered */
		}
		kids[n++] = p;
	}
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	return result("fork-bomb", n == want ? 0 : -1, first, "forked=%ld wanted=%ld", n, want);
}

/* alloc MB: touches MB MiB one at a time. */
static int op_alloc(char **a)
{
	long mb = parse_long(a[0]), done = 0;

	for (; done < mb; done++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED)
			return result("alloc", -1, errno, "mb=%ld wanted=%ld", done, mb);
		memset(p, 0x5a, 1 << 20);
	}
	return result("alloc", 0, 0, "mb=%ld wanted=%ld", done, mb);
}

static int op_sleep(char **a)
{
	struct timespec ts = {.tv_sec = parse_long(a[0])};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return result("sleep", 0, 0, "secs=%s", a[0]);
}

/* The limits as the sandbox sees its own cgroup (v2 at the top, v1 per hierarchy). */
static int op_cgroup_limits(void)
{
	static const char *const mem[] = {"/sys/fs/cgroup/memory.max",
					  "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
	static const char *const pids[] = {"/sys/fs/cgroup/pids.max",
					   "/sys/fs/cgroup/pids/pids.max"};
	char m[64] = "-", p[64] = "-";

	for (int k = 0; k < 2; k++) {
		const char *const *set = k ? pids : mem;
		char *out = k ? p : m;

		for (int i = 0; i < 2; i++) {
			FILE *f = fopen(set[i], "re");
			if (f && fgets(out, 64, f))
				out[strcspn(out, "\n")] = 0;
			if (f) {
				fclose(f);
				break;
			}
		}
	}
	return result("cgroup-limits", 0, 0, "memory=%s pids=%s", m, p);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static const struct op {
	const char *name;
	int nargs; /* at least */
	int (*fn)(char **a);
	int (*fn0)(void);
} ops[] = {
	{"read", 1, op_read, NULL},
	{"legacy-open", 1, op_legacy_open, NULL},
	{"openat2", 1, op_openat2, NULL},
	{"symlink", 2, op_symlink, NULL},
	{"opath-reopen", 1, op_opath_reopen, NULL},
	{"write", 1, op_write, NULL},
	{"create", 1, op_create, NULL},
	{"marker", 0, NULL, op_marker},
	{"exec", 1, op_exec, NULL},
	{"drop-exec", 1, op_drop_exec, NULL},
	{"script-exec", 2, op_script_exec, NULL},
	{"memfd-exec", 0, NULL, op_memfd_exec},
	{"unix-connect", 2, op_unix_connect, NULL},
	{"open-dev", 1, op_open_dev, NULL},
	{"mknod", 1, op_mknod, NULL},
	{"ptrace", 0, NULL, op_ptrace},
	{"mount", 1, op_mount, NULL},
	{"unshare-user", 0, NULL, op_unshare_user},
	{"clone3-user", 0, NULL, op_clone3_user},
	{"setns", 0, NULL, op_setns},
	{"bpf", 0, NULL, op_bpf},
	{"perf", 0, NULL, op_perf},
	{"io_uring", 0, NULL, op_io_uring},
	{"keyctl", 0, NULL, op_keyctl},
	{"userfaultfd", 0, NULL, op_userfaultfd},
	{"tiocsti", 0, NULL, op_tiocsti},
	{"i386", 0, NULL, op_i386},
	{"chroot", 0, NULL, op_chroot},
	{"open-by-handle", 0, NULL, op_open_by_handle},
	{"kill", 1, op_kill, NULL},
	{"kexec", 0, NULL, op_kexec},
	{"init-module", 0, NULL, op_init_module},
	{"fork-bomb", 1, op_fork_bomb, NULL},
	{"alloc", 1, op_alloc, NULL},
	{"sleep", 1, op_sleep, NULL},
	{"cgroup-limits", 0, NULL, op_cgroup_limits},
};

static const char *const inet_ops[] = {"tcp-connect", "tcp-fastopen", "udp-send", "udp-connect",
				       "bind-listen"};

static int dispatch(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	for (size_t i = 0; i < sizeof(inet_ops) / sizeof(inet_ops[0]); i++)
		if (!strcmp(argv[0], inet_ops[i]))
			return argc < 3 ? 2 : op_inet(argv[0], argv + 1);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(argv[0], ops[i].name))
			continue;
		if (argc - 1 < ops[i].nargs)
			return 2;
		return ops[i].fn ? ops[i].fn(argv + 1) : ops[i].fn0();
	}
	fprintf(stderr, "ward-probe: unknown operation '%s'\n", argv[0]);
	return 2;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs one operation in a child named wst-ID and relays what it printed. */
static void run_one(const char *id, int argc, char **argv)
{
	int p[2];
	pid_t c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	printf("BEGIN %s %llu\n", id, (unsigned long long)realtime_ns());
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char comm[16];

		snprintf(comm, sizeof(comm), "wst-%s", id);
		prctl(PR_SET_NAME, comm);
		dup2(p[1], 1);
		dup2(p[1], 2);
		setvbuf(stdout, NULL, _IOLBF, 0);
		_exit(dispatch(argc, argv));
	}
	close(p[1]);
	char buf[8192];
	size_t len = 0;
	uint64_t deadline = mono_ms() + PROBE_TIMEOUT_MS;
	bool killed = false;
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int64_t left = (int64_t)(deadline - mono_ms());

		if (left <= 0 && !killed && c > 0) {
			kill(c, SIGKILL);
			killed = true;
		}
		if (poll(&pfd, 1, left > 0 ? (int)left : 100) <= 0)
			continue;
		ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break; /* EOF: the child and everything it started are gone */
		len += n;
		buf[len] = 0;
		char *nl;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			printf("OUT %s %s\n", id, buf);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1) { /* a line too long: cut */
			printf("OUT %s %s\n", id, buf);
			len = 0;
		}
	}
	if (len)
		printf("OUT %s %.*s\n", id, (int)len, buf);
	close(p[0]);
	int st = 0;
	if (c > 0)
		waitpid(c, &st, 0);
	uint64_t t1 = realtime_ns();
	if (c < 0)
		printf("END %s %llu fork=%s\n", id, (unsigned long long)t1, ename(errno));
	else if (WIFSIGNALED(st))
		printf("END %s %llu signal=%s\n", id, (unsigned long long)t1,
		       sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
	else
		printf("END %s %llu exit=%d\n", id, (unsigned long long)t1, WEXITSTATUS(st));
	fflush(stdout);
	/* A gap, so that windows of consecutive probes never touch. */
	usleep(2000);
}

int main(int argc, char **argv)
{
	/* The set-uid copy: whatever it is asked, it only says who it runs as. */
	if (geteuid() != getuid() || getegid() != getgid())
		return op_marker();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "run")) {
		int i = 2;

		while (i + 1 < argc) {
			int j = i + 1;

			while (j < argc && strcmp(argv[j], ";"))
				j++;
			argv[j < argc ? j : argc] = NULL;
			run_one(argv[i], j - i - 1, argv + i + 1);
			i = j + 1;
		}
		return 0;
	}
	if (argc >= 2)
		return dispatch(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: ward-probe run ID OP [ARG...] \\; ...  |  ward-probe OP [ARG...]\n");
	return 2;
}
