/* SPDX-License-Identifier: MIT */
/*
 * probe: a static multi-call program run inside the sandbox by the integration tests. Each
 * operation tries one thing and reports what it saw on stdout, without side effects outside
 * the probe's own processes (after bubblewrap's tests/try-syscall.c):
 *
 *	RESULT op=NAME ret=N errno=ENAME [key=value...]
 *
 * errno=0 when the call succeeded. The arguments are chosen so that a call that reaches the
 * kernel fails with something other than EPERM where possible (a bad flag, a missing path),
 * which lets a test tell "blocked by ward" (EPERM from seccomp) from "let through in audit
 * mode" (EINVAL, ESRCH, ... from the kernel).
 *
 * Exit status: 0 when the probe ran (even if the operation failed), 2 on a usage error, except
 * for `exit`, `kill-self`, `signal-wait` and `exec`, whose exit status is the point.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
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
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/missing.h"
#include "common/probe.h"

#define X32_SYSCALL_BIT	    0x40000000
#define UFFD_USER_MODE_ONLY 1

extern char **environ;

static const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "0";
#define E(x)                                                                                       \
	case x:                                                                                    \
		return #x
		E(EPERM);
		E(ENOENT);
		E(ESRCH);
		E(EINTR);
		E(EIO);
		E(ENXIO);
		E(E2BIG);
		E(ENOEXEC);
		E(EBADF);
		E(ECHILD);
		E(EAGAIN);
		E(ENOMEM);
		E(EACCES);
		E(EFAULT);
		E(EBUSY);
		E(EEXIST);
		E(EXDEV);
		E(ENODEV);
		E(ENOTDIR);
		E(EISDIR);
		E(EINVAL);
		E(ENFILE);
		E(EMFILE);
		E(ENOTTY);
		E(ETXTBSY);
		E(EFBIG);
		E(ENOSPC);
		E(ESPIPE);
		E(EROFS);
		E(EMLINK);
		E(EPIPE);
		E(ERANGE);
		E(ENAMETOOLONG);
		E(ENOSYS);
		E(ENOTEMPTY);
		E(ELOOP);
		E(ENOPROTOOPT);
		E(EPROTONOSUPPORT);
		E(ESOCKTNOSUPPORT);
		E(EOPNOTSUPP);
		E(EAFNOSUPPORT);
		E(EADDRINUSE);
		E(EADDRNOTAVAIL);
		E(ENETDOWN);
		E(ENETUNREACH);
		E(ECONNRESET);
		E(ENOBUFS);
		E(EISCONN);
		E(ENOTCONN);
		E(ETIMEDOUT);
		E(ECONNREFUSED);
		E(EHOSTUNREACH);
		E(EALREADY);
		E(EINPROGRESS);
		E(ENOKEY);
		E(EKEYREJECTED);
		E(EOVERFLOW);
		E(ENOTSOCK);
		E(EDESTADDRREQ);
		E(ENOMSG);
		E(EPROTOTYPE);
		E(ESTALE);
		E(EDQUOT);
		E(ECANCELED);
#undef E
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
	}
}

static const char *signal_name(int sig)
{
	switch (sig) {
#define S(x)                                                                                       \
	case x:                                                                                    \
		return #x
		S(SIGHUP);
		S(SIGINT);
		S(SIGQUIT);
		S(SIGILL);
		S(SIGTRAP);
		S(SIGABRT);
		S(SIGBUS);
		S(SIGFPE);
		S(SIGKILL);
		S(SIGUSR1);
		S(SIGSEGV);
		S(SIGUSR2);
		S(SIGPIPE);
		S(SIGALRM);
		S(SIGTERM);
		S(SIGCHLD);
		S(SIGCONT);
		S(SIGSTOP);
		S(SIGTSTP);
		S(SIGSYS);
		S(SIGXCPU);
#undef S
	default:
		return "SIG?";
	}
}

/* Prints "RESULT op=OP ret=RET errno=E" followed by the optional extra fields. */
__attribute__((format(printf, 4, 5))) static void result(const char *op, long ret, int err,
							 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ward_probe_vresult(op, ret, errno_name(ret < 0 ? err : 0), fmt, ap);
	va_end(ap);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: probe OP [ARGS]\n"
		"  open PATH [r|w|rw|creat]   write PATH     stat PATH      ls DIR\n"
		"  fill PATH [SECS] (write until a write fails, then sleep)\n"
		"  syscall NAME               tiocsti        caps           nnp\n"
		"  ids                        exec PATH [ARG...]            hostname\n"
		"  ifaces                     connect ADDR PORT             fork-bomb N\n"
		"  alloc MB                   sleep SECS     signal-wait [SECS]\n"
		"  zombies N                  pid            fds            env\n"
		"  landlock [PATH]            sid            exit N         kill-self SIG\n"
		"  violations N SECS [count] (N denied ptrace calls, each numbered on stdout with "
		"count,\n"
		"                   then SECS spinning)\n"
		"  memfd-exec                 drop-exec PATH                mountflags PATH\n"
		"syscall NAMEs: ptrace mount umount unshare-user unshare-net setns bpf\n"
		"  io_uring_setup perf_event_open keyctl userfaultfd kexec_load init_module\n"
		"  finit_module open_by_handle_at clone-newns clone-newuser clone3 clone3-newuser\n"
		"  socket-packet socket-vsock socket-alg socket-inet socket-netlink x32 i386\n"
		"  tioclinux\n");
	return 2;
}

static int parse_long(const char *s, long *ret)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

/* ---- files ------------------------------------------------------------------------------- */

static int op_open(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	const char *mode = argc > 1 ? argv[1] : "r";
	int flags;

	if (!strcmp(mode, "r"))
		flags = O_RDONLY;
	else if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else if (!strcmp(mode, "creat"))
		flags = O_WRONLY | O_CREAT;
	else
		return usage();
	int fd = open(argv[0], flags | O_CLOEXEC, 0644);
	int e = errno;
	if (fd < 0) {
		result("open", -1, e, "path=%s mode=%s", argv[0], mode);
		return 0;
	}
	/* A read proves the data is reachable, not only the name. */
	long n = 0;
	if (!(flags & (O_WRONLY | O_RDWR))) {
		char buf[64];

		n = read(fd, buf, sizeof(buf));
		e = errno;
	}
	close(fd);
	if (n < 0)
		result("open", -1, e, "path=%s mode=%s stage=read", argv[0], mode);
	else
		result("open", 0, 0, "path=%s mode=%s bytes=%ld", argv[0], mode, n);
	return 0;
}

static int op_write(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	int fd = open(argv[0], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		result("write", -1, errno, "path=%s stage=open", argv[0]);
		return 0;
	}
	ssize_t n = write(fd, "probe\n", 6);
	int e = errno;
	close(fd);
	result("write", n < 0 ? -1 : n, e, "path=%s", argv[0]);
	return 0;
}

/* Writes PATH until a write fails (a full tmpfs: ENOSPC), then sleeps SECS (default 0):
 * ret is the bytes written. */
static int op_fill(int argc, char **argv)
{
	static char chunk[65536];
	long total = 0;
	int fd, e = 0;

	if (argc < 1)
		return usage();
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		result("fill", -1, errno, "path=%s stage=open", argv[0]);
		return 0;
	}
	for (;;) {
		ssize_t n = write(fd, chunk, sizeof(chunk));

		if (n <= 0) {
			e = n < 0 ? errno : 0;
			break;
		}
		total += n;
	}
	close(fd);
	result("fill", e ? -1 : total, e, "path=%s bytes=%ld", argv[0], total);
	fflush(stdout);
	if (argc > 1)
		sleep((unsigned)atoi(argv[1]));
	return 0;
}

static int op_stat(int argc, char **argv)
{
	struct stat st;

	if (argc < 1)
		return usage();
	if (lstat(argv[0], &st) < 0) {
		result("stat", -1, errno, "path=%s", argv[0]);
		return 0;
	}
	result("stat", 0, 0, "path=%s mode=%o uid=%u gid=%u size=%lld", argv[0],
	       (unsigned)st.st_mode, (unsigned)st.st_uid, (unsigned)st.st_gid,
	       (long long)st.st_size);
	return 0;
}

static int op_ls(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	DIR *d = opendir(argv[0]);
	if (!d) {
		result("ls", -1, errno, "path=%s", argv[0]);
		return 0;
	}
	long n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		printf("ENTRY %s\n", de->d_name);
		n++;
	}
	closedir(d);
	result("ls", n, 0, "path=%s count=%ld", argv[0], n);
	return 0;
}

/* ---- dangerous syscalls ---------------------------------------------------------------- */

/* A raw clone/clone3 child that exits at once; returns the syscall's result. */
static long raw_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid(r, NULL, 0);
	return r;
}

static long raw_clone3(void)
{
	struct clone_args ca;

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid(r, NULL, 0);
	return r;
}

static long raw_clone3_flags(uint64_t flags)
{
	struct clone_args ca;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid(r, NULL, 0);
	return r;
}

static long try_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -1;
}

static int op_syscall(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	const char *name = argv[0];
	long r;

	errno = 0;
	if (!strcmp(name, "ptrace")) {
		/* PEEKDATA on a process we do not trace: the kernel says ESRCH, changes nothing. */
		r = syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 1, NULL, NULL);
	} else if (!strcmp(name, "mount")) {
		/* MS_NOUSER is rejected (EINVAL) before the permission check: no mount can happen.
		 */
		r = mount("none", "/", "tmpfs", MS_NOUSER, NULL);
	} else if (!strcmp(name, "umount")) {
		/* An unknown flag: EINVAL from the kernel. */
		r = umount2("/", 0x100);
	} else if (!strcmp(name, "unshare-user")) {
		r = unshare(CLONE_NEWUSER);
	} else if (!strcmp(name, "unshare-net")) {
		r = unshare(CLONE_NEWNET);
	} else if (!strcmp(name, "setns")) {
		r = setns(-1, CLONE_NEWNET); /* EBADF from the kernel */
	} else if (!strcmp(name, "bpf")) {
		/* Junk prog_flags are rejected (EINVAL) before anything is loaded. */
		union bpf_attr attr;

		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		attr.prog_flags = 0xffffffffu;
		r = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	} else if (!strcmp(name, "io_uring_setup")) {
		char params[120]; /* struct io_uring_params; zero entries: EINVAL */

		memset(params, 0, sizeof(params));
		r = syscall(SYS_io_uring_setup, 0, params);
		if (r >= 0)
			close(r);
	} else if (!strcmp(name, "perf_event_open")) {
		struct perf_event_attr attr;

		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		/* Unknown flags: EINVAL before the attributes are even read. */
		r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, ~0UL);
		if (r >= 0)
			close(r);
	} else if (!strcmp(name, "keyctl")) {
		r = syscall(SYS_keyctl, 9999, 0, 0, 0, 0); /* EOPNOTSUPP */
	} else if (!strcmp(name, "userfaultfd")) {
		/* USER_MODE_ONLY passes the sysctl gate; the unknown bit then gives EINVAL. */
		r = syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY | 2);
		if (r >= 0)
			close(r);
	} else if (!strcmp(name, "kexec_load")) {
		r = syscall(SYS_kexec_load, 0, 0, NULL, 0xffff0000UL);
	} else if (!strcmp(name, "init_module")) {
		r = syscall(SYS_init_module, NULL, 0, "");
	} else if (!strcmp(name, "finit_module")) {
		r = syscall(SYS_finit_module, -1, "", 0);
	} else if (!strcmp(name, "open_by_handle_at")) {
		r = syscall(SYS_open_by_handle_at, -1, NULL, O_RDONLY);
	} else if (!strcmp(name, "clone-newns")) {
		r = raw_clone(CLONE_NEWNS);
	} else if (!strcmp(name, "clone-newuser")) {
		r = raw_clone(CLONE_NEWUSER);
	} else if (!strcmp(name, "clone3")) {
		r = raw_clone3();
	} else if (!strcmp(name, "clone3-newuser")) {
		r = raw_clone3_flags(CLONE_NEWUSER);
	} else if (!strcmp(name, "socket-packet")) {
		r = try_socket(AF_PACKET, SOCK_RAW);
	} else if (!strcmp(name, "socket-vsock")) {
		r = try_socket(AF_VSOCK, SOCK_STREAM);
	} else if (!strcmp(name, "socket-alg")) {
		r = try_socket(AF_ALG, SOCK_SEQPACKET);
	} else if (!strcmp(name, "socket-inet")) {
		r = try_socket(AF_INET, SOCK_STREAM);
	} else if (!strcmp(name, "socket-netlink")) {
		r = try_socket(AF_NETLINK, SOCK_RAW);
	} else if (!strcmp(name, "getpriority")) {
		/* harmless and outside the test profile's allow list: for syscalls.import tests */
		r = syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0);
	} else if (!strcmp(name, "i386")) {
		/* getpid (20) through int 0x80, the 32-bit ABI, from this 64-bit program. */
#if defined(__x86_64__)
		long ret;

		__asm__ volatile("int $0x80"
				 : "=a"(ret)
				 : "a"(20L)
				 : "memory", "r8", "r9", "r10", "r11");
		r = ret < 0 && ret > -4096 ? (errno = (int)-ret, -1) : ret;
#else
		r = -1;
		errno = ENOSYS;
#endif
	} else if (!strcmp(name, "x32")) {
		/* getpid through the x32 ABI: seccomp must not let a second syscall table in. */
		r = syscall(X32_SYSCALL_BIT | 39);
	} else if (!strcmp(name, "tioclinux")) {
		int p[2];

		/* On a pipe, never a terminal: ENOTTY from the kernel, nothing injected. */
		if (pipe2(p, O_CLOEXEC) < 0) {
			result("syscall", -1, errno, "name=%s stage=pipe", name);
			return 0;
		}
		char sub = 6; /* TIOCL_GETSHIFTSTATE */
		r = ioctl(p[0], TIOCLINUX, &sub);
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
	} else {
		fprintf(stderr, "probe: unknown syscall '%s'\n", name);
		return usage();
	}
	int e = errno;
	result("syscall", r < 0 ? -1 : r, e, "name=%s", name);
	return 0;
}

static int op_tiocsti(void)
{
	int p[2];

	/*
	 * TIOCSTI on a pipe: the ioctl number is what seccomp matches, the kernel answers ENOTTY,
	 * so even in audit mode nothing is pushed into anybody's terminal.
	 */
	if (pipe2(p, O_CLOEXEC) < 0) {
		result("tiocsti", -1, errno, "stage=pipe");
		return 0;
	}
	char c = 'x';
	long r = ioctl(p[0], TIOCSTI, &c);
	int e = errno;
	close(p[0]);
	close(p[1]);
	result("tiocsti", r, e, NULL);
	return 0;
}

/* ---- credentials --------------------------------------------------------------------------- */

static int op_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	uint64_t bnd = 0, amb = 0;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0) {
		result("caps", -1, errno, "stage=capget");
		return 0;
	}
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break; /* past the last capability this kernel knows */
		if (r == 1)
			bnd |= 1ULL << c;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			amb |= 1ULL << c;
	}
	uint64_t inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	uint64_t prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	uint64_t eff = data[0].effective | (uint64_t)data[1].effective << 32;
	result("caps", 0, 0,
	       "CapInh=%016llx CapPrm=%016llx CapEff=%016llx CapBnd=%016llx CapAmb=%016llx",
	       (unsigned long long)inh, (unsigned long long)prm, (unsigned long long)eff,
	       (unsigned long long)bnd, (unsigned long long)amb);
	return 0;
}

static int op_nnp(void)
{
	int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	int e = errno;
	if (r < 0)
		result("nnp", -1, e, NULL);
	else
		result("nnp", 0, 0, "nnp=%d", r);
	return 0;
}

static int op_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	gid_t groups[64];
	char gl[64 * 12] = "";

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	int n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(gl);
		snprintf(gl + len, sizeof(gl) - len, "%s%u", i ? "," : "", (unsigned)groups[i]);
	}
	result("ids", 0, 0, "uid=%u euid=%u suid=%u gid=%u egid=%u sgid=%u groups=%s", (unsigned)ru,
	       (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg, (unsigned)sg,
	       n > 0 ? gl : "-");
	return 0;
}

static int op_exec(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	fflush(stdout);
	execv(argv[0], argv);
	result("exec", -1, errno, "path=%s", argv[0]);
	return 0;
}

/* ---- namespaces ------------------------------------------------------------------------- */

/* Copies this program into fd; 0 or -errno. */
static int copy_self(int fd)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n) {
			close(in);
			return -EIO;
		}
	close(in);
	return n < 0 ? -errno : 0;
}

/* Fileless exec: this program copied into a memfd and run from there as `probe exit 42`
 * (exit status 42 if it ran). mfd_exec= says what memfd_create(MFD_EXEC) got. */
static int op_memfd_exec(void)
{
	char *args[] = {"probe", "exit", "42", NULL};
	int fx = syscall(SYS_memfd_create, "payload-x", 0x0010U /* MFD_EXEC */);
	int mfd_exec = fx < 0 ? errno : 0;
	int fd, r;

	if (fx >= 0)
		close(fx);
	fd = syscall(SYS_memfd_create, "payload", 0);
	if (fd < 0) {
		result("memfd-exec", -1, errno, "stage=memfd_create mfd_exec=%s",
		       errno_name(mfd_exec));
		return 0;
	}
	r = copy_self(fd);
	if (r < 0) {
		result("memfd-exec", -1, -r, "stage=copy mfd_exec=%s", errno_name(mfd_exec));
		return 0;
	}
	(void)fchmod(fd, 0755); /* refused (EPERM) on a memfd sealed against exec */
	fflush(stdout);
	syscall(SYS_execveat, fd, "", args, environ, AT_EMPTY_PATH);
	result("memfd-exec", -1, errno, "stage=execveat mfd_exec=%s", errno_name(mfd_exec));
	return 0;
}

/* A binary dropped into a writable place and run: `probe drop-exec /tmp/x` copies this program
 * to /tmp/x and runs it as `probe exit 42` (exit status 42 if it ran). */
static int op_drop_exec(int argc, char **argv)
{
	char *args[] = {"probe", "exit", "42", NULL};
	int fd, r;

	if (argc < 1)
		return usage();
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		result("drop-exec", -1, errno, "stage=create path=%s", argv[0]);
		return 0;
	}
	r = copy_self(fd);
	close(fd);
	if (r < 0) {
		result("drop-exec", -1, -r, "stage=copy path=%s", argv[0]);
		return 0;
	}
	fflush(stdout);
	execve(argv[0], args, environ);
	result("drop-exec", -1, errno, "stage=execve path=%s", argv[0]);
	return 0;
}

/* Mount flags of the filesystem holding PATH. */
static int op_mountflags(int argc, char **argv)
{
	struct statvfs sv;

	if (argc < 1)
		return usage();
	if (statvfs(argv[0], &sv) < 0) {
		result("mountflags", -1, errno, "path=%s", argv[0]);
		return 0;
	}
	result("mountflags", 0, 0, "path=%s noexec=%d nosuid=%d nodev=%d rdonly=%d", argv[0],
	       !!(sv.f_flag & ST_NOEXEC), !!(sv.f_flag & ST_NOSUID), !!(sv.f_flag & ST_NODEV),
	       !!(sv.f_flag & ST_RDONLY));
	return 0;
}

static int op_hostname(void)
{
	struct utsname u;

	if (uname(&u) < 0) {
		result("hostname", -1, errno, NULL);
		return 0;
	}
	result("hostname", 0, 0, "hostname=%s", u.nodename);
	return 0;
}

static void flag_names(short flags, char *buf, size_t len)
{
	static const struct {
		short bit;
		const char *name;
	} names[] = {{IFF_UP, "UP"},
		     {IFF_LOOPBACK, "LOOPBACK"},
		     {IFF_RUNNING, "RUNNING"},
		     {IFF_BROADCAST, "BROADCAST"},
		     {IFF_POINTOPOINT, "POINTOPOINT"},
		     {IFF_NOARP, "NOARP"}};

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", l ? "," : "", names[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static int op_ifaces(void)
{
	/*
	 * Interfaces by index with SIOCGIFNAME/SIOCGIFFLAGS on an AF_UNIX socket: no netlink and
	 * no /proc needed, and a down interface without addresses is still listed.
	 */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		result("ifaces", -1, errno, "stage=socket");
		return 0;
	}
	long n = 0, up = 0;
	for (int idx = 1; idx < 4096; idx++) {
		struct ifreq ifr;
		char fl[128];

		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_ifindex = idx;
		if (ioctl(fd, SIOCGIFNAME, &ifr) < 0)
			continue;
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			ifr.ifr_flags = 0;
		flag_names(ifr.ifr_flags, fl, sizeof(fl));
		printf("IFACE name=%s index=%d flags=%s\n", ifr.ifr_name, idx, fl);
		n++;
		if (ifr.ifr_flags & IFF_UP)
			up++;
	}
	close(fd);
	result("ifaces", n, 0, "count=%ld up=%ld", n, up);
	return 0;
}

static int op_connect(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	long port;

	if (argc < 2 || parse_long(argv[1], &port) < 0 || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, argv[0], &sa.sin_addr) != 1)
		return usage();
	sa.sin_port = htons((uint16_t)port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		result("connect", -1, errno, "addr=%s port=%ld stage=socket", argv[0], port);
		return 0;
	}
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	if (r < 0 && e == EINPROGRESS) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		socklen_t len = sizeof(e);

		if (poll(&pfd, 1, 3000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0)
			r = e ? -1 : 0;
		else
			e = ETIMEDOUT;
	}
	close(fd);
	result("connect", r < 0 ? -1 : 0, e, "addr=%s port=%ld", argv[0], port);
	return 0;
}

static int op_pid(void)
{
	result("pid", getpid(), 0, "pid=%d ppid=%d", (int)getpid(), (int)getppid());
	return 0;
}

static int op_sid(void)
{
	pid_t pid = getpid(), sid = getsid(0), pgrp = getpgrp();
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	int tty_errno = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	pid_t fg = tcgetpgrp(0);
	result("sid", 0, 0, "pid=%d sid=%d pgrp=%d own_session=%d ctty=%s tcgetpgrp=%d", (int)pid,
	       (int)sid, (int)pgrp, sid == pid, fd >= 0 ? "yes" : errno_name(tty_errno), (int)fg);
	return 0;
}

static int op_fds(void)
{
	long n = 0;

	for (int fd = 3; fd < 65536; fd++) {
		char link[64], target[512];

		if (fcntl(fd, F_GETFD) < 0)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t l = readlink(link, target, sizeof(target) - 1);
		target[l > 0 ? l : 0] = 0;
		printf("FD n=%d target=%s\n", fd, l > 0 ? target : "?");
		n++;
	}
	result("fds", n, 0, "count=%ld", n);
	return 0;
}

static int op_env(void)
{
	long n = 0;

	for (char **e = environ; e && *e; e++, n++)
		printf("ENV %s\n", *e);
	result("env", n, 0, "count=%ld", n);
	return 0;
}

static int op_landlock(int argc, char **argv)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int abi_errno = abi < 0 ? errno : 0;
	const char *path = argc > 0 ? argv[0] : "/";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int open_errno = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	result("landlock", abi, abi_errno, "abi=%ld path=%s open=%s", abi, path,
	       errno_name(open_errno));
	return 0;
}

/* ---- resources --------------------------------------------------------------------------- */

static int op_fork_bomb(int argc, char **argv)
{
	long want;

	if (argc < 1 || parse_long(argv[0], &want) < 0 || want < 1 || want > 100000)
		return usage();
	pid_t *kids = calloc(want, sizeof(pid_t));
	if (!kids) {
		result("fork-bomb", -1, ENOMEM, NULL);
		return 0;
	}
	long n = 0;
	int first_errno = 0;
	for (long i = 0; i < want; i++) {
		pid_t p = fork();
		if (p == 0) {
			/* Bounded: the children die with the probe even if it is killed. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			pause();
			_exit(0);
		}
		if (p < 0) {
			if (!first_errno)
				first_errno = errno;
			continue;
		}
		kids[n++] = p;
	}
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	result("fork-bomb", n, 0, "forked=%ld wanted=%ld failed=%ld first_errno=%s", n, want,
	       want - n, errno_name(first_errno));
	return 0;
}

static int op_alloc(int argc, char **argv)
{
	long mb;

	if (argc < 1 || parse_long(argv[0], &mb) < 0 || mb < 1 || mb > 1 << 20)
		return usage();
	long done = 0;
	for (; done < mb; done++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED) {
			result("alloc", -1, errno, "mb=%ld wanted=%ld", done, mb);
			return 0;
		}
		memset(p, 0x5a, 1 << 20); /* touch every page: only resident memory counts */
		if (done % 16 == 15) {
			printf("ALLOC mb=%ld\n", done + 1);
			fflush(stdout);
		}
	}
	result("alloc", 0, 0, "mb=%ld wanted=%ld", done, mb);
	return 0;
}

static int op_sleep(int argc, char **argv)
{
	long secs;

	if (argc < 1 || parse_long(argv[0], &secs) < 0 || secs < 0)
		return usage();
	struct timespec ts = {.tv_sec = secs};
	printf("READY op=sleep\n");
	fflush(stdout);
	int r;
	while ((r = nanosleep(&ts, &ts)) < 0 && errno == EINTR)
		;
	result("sleep", r, errno, "secs=%ld", secs);
	return 0;
}

/* N denied ptrace calls (N events), then SECS of spinning on the CPU: the workload of a
 * supervisor whose event sink stalls. */
static int op_violations(int argc, char **argv)
{
	long n, secs;

	if (argc < 2 || parse_long(argv[0], &n) < 0 || parse_long(argv[1], &secs) < 0)
		return usage();
	/* "count": after each call the supervisor answered (EPERM: it reported the call before
	 * answering), its number on stdout, so a test that kills ward knows how many events it
	 * had made. Without a supervisor the kernel answers ENOSYS (seccomp_do_user_notification()
	 * once the listener is gone): then stop. */
	bool count = argc > 2 && !strcmp(argv[2], "count");
	for (long i = 0; i < n; i++) {
		long r = syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 1, NULL, NULL);

		if (count && r < 0 && errno != EPERM)
			break;
		if (count) {
			char b[24];
			int len = snprintf(b, sizeof(b), "%ld\n", i + 1);

			if (write(1, b, (size_t)len) < 0)
				return 1;
		}
	}
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while (t.tv_sec - t0.tv_sec < secs);
	result("violations", 0, 0, "n=%ld", n);
	return 0;
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
	got_signal = sig;
}

static int op_signal_wait(int argc, char **argv)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
	long secs = 30;
	sigset_t block, old;

	if (argc > 0 && (parse_long(argv[0], &secs) < 0 || secs < 1))
		return usage();
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = {.sa_handler = on_signal};

		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	/* Blocked until sigsuspend so a signal between READY and the wait is not lost. */
	sigprocmask(SIG_BLOCK, &block, &old);
	printf("READY op=signal-wait\n");
	fflush(stdout);
	alarm(secs);
	sigset_t wait = old;
	sigdelset(&wait, SIGALRM);
	while (!got_signal)
		sigsuspend(&wait);
	int sig = got_signal;
	printf("got %s\n", signal_name(sig));
	result("signal-wait", sig, 0, "signal=%s", signal_name(sig));
	/* Die of it, so the exit status carries the signal (128+N through ward). */
	signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	raise(sig);
	return 1;
}

static int op_zombies(int argc, char **argv)
{
	long n;
	int p[2];

	if (argc < 1 || parse_long(argv[0], &n) < 0 || n < 1 || n > 1000)
		return usage();
	if (pipe2(p, O_CLOEXEC) < 0) {
		result("zombies", -1, errno, "stage=pipe");
		return 0;
	}
	/*
	 * A child forks n grandchildren, sends their pids and exits at once. The grandchildren
	 * are orphaned (reparented to PID 1, as the probe is not a subreaper) and then exit: only
	 * PID 1 can reap them. kill(pid, 0) succeeds on a zombie and fails with ESRCH once it is
	 * reaped, so no /proc is needed to tell.
	 */
	pid_t child = fork();
	if (child < 0) {
		result("zombies", -1, errno, "stage=fork");
		return 0;
	}
	if (child == 0) {
		close(p[0]);
		for (long i = 0; i < n; i++) {
			pid_t g = fork();
			if (g == 0) {
				/* Wait until orphaned so that the exit lands on PID 1. */
				for (int t = 0; t < 2000 && getppid() != 1; t++)
					usleep(1000);
				_exit(0);
			}
			if (g > 0 && write(p[1], &g, sizeof(g)) != sizeof(g))
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	pid_t *gk = calloc(n, sizeof(pid_t));
	long got = 0;
	while (gk && got < n && read(p[0], &gk[got], sizeof(pid_t)) == sizeof(pid_t))
		got++;
	close(p[0]);
	waitpid(child, NULL, 0);
	long left = got;
	for (int t = 0; t < 50 && left > 0; t++) { /* up to 5 s */
		usleep(100000);
		left = 0;
		for (long i = 0; i < got; i++)
			if (kill(gk[i], 0) == 0)
				left++;
	}
	free(gk);
	result("zombies", got - left, 0, "spawned=%ld reaped=%ld zombies=%ld", got, got - left,
	       left);
	return 0;
}

static int op_exit(int argc, char **argv)
{
	long code;

	if (argc < 1 || parse_long(argv[0], &code) < 0 || code < 0 || code > 255)
		return usage();
	fflush(stdout);
	_exit((int)code);
}

static int op_kill_self(int argc, char **argv)
{
	long sig;

	if (argc < 1 || parse_long(argv[0], &sig) < 0 || sig < 1 || sig > 64)
		return usage();
	fflush(stdout);
	signal((int)sig, SIG_DFL);
	raise((int)sig);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *op = argv[1];
	int ac = argc - 2;
	char **av = argv + 2;

	/* Unbuffered order with the sandbox's own messages on a shared terminal. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(op, "open"))
		return op_open(ac, av);
	if (!strcmp(op, "write"))
		return op_write(ac, av);
	if (!strcmp(op, "stat"))
		return op_stat(ac, av);
	if (!strcmp(op, "fill"))
		return op_fill(ac, av);
	if (!strcmp(op, "ls"))
		return op_ls(ac, av);
	if (!strcmp(op, "syscall"))
		return op_syscall(ac, av);
	if (!strcmp(op, "tiocsti"))
		return op_tiocsti();
	if (!strcmp(op, "caps"))
		return op_caps();
	if (!strcmp(op, "nnp"))
		return op_nnp();
	if (!strcmp(op, "ids"))
		return op_ids();
	if (!strcmp(op, "exec"))
		return op_exec(ac, av);
	if (!strcmp(op, "memfd-exec"))
		return op_memfd_exec();
	if (!strcmp(op, "drop-exec"))
		return op_drop_exec(ac, av);
	if (!strcmp(op, "mountflags"))
		return op_mountflags(ac, av);
	if (!strcmp(op, "hostname"))
		return op_hostname();
	if (!strcmp(op, "ifaces"))
		return op_ifaces();
	if (!strcmp(op, "connect"))
		return op_connect(ac, av);
	if (!strcmp(op, "fork-bomb"))
		return op_fork_bomb(ac, av);
	if (!strcmp(op, "alloc"))
		return op_alloc(ac, av);
	if (!strcmp(op, "sleep"))
		return op_sleep(ac, av);
	if (!strcmp(op, "signal-wait"))
		return op_signal_wait(ac, av);
	if (!strcmp(op, "zombies"))
		return op_zombies(ac, av);
	if (!strcmp(op, "pid"))
		return op_pid();
	if (!strcmp(op, "fds"))
		return op_fds();
	if (!strcmp(op, "env"))
		return op_env();
	if (!strcmp(op, "landlock"))
		return op_landlock(ac, av);
	if (!strcmp(op, "sid"))
		return op_sid();
	if (!strcmp(op, "exit"))
		return op_exit(ac, av);
	if (!strcmp(op, "violations"))
		return op_violations(ac, av);
	if (!strcmp(op, "kill-self"))
		return op_kill_self(ac, av);
	fprintf(stderr, "probe: unknown operation '%s'\n", op);
	return usage();
}
