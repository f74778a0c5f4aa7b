// SPDX-License-Identifier: MIT
/*
 * In-sandbox helper for the monitor tests (built static by tests/integration/monitor_*.sh):
 * performs one access and prints "RESULT op=... errno=..." so a test can tell "blocked"
 * (EPERM, EACCES, ENOENT by view) from "reached the kernel" (ENXIO for a device without a
 * driver, ECONNREFUSED for a closed loopback port).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sched.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/probe.h"

static int result(const char *op, int r)
{
	printf("RESULT op=%s ret=%d errno=%s\n", op, r < 0 ? -1 : r,
	       r < 0 ? strerrorname_np(errno) : "0");
	fflush(stdout);
	return r < 0 ? 1 : 0;
}

static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	int fam = ward_probe_sockaddr(addr, port, ss, len);

	if (fam < 0) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	return fam;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	/* probes of a path (item 7 of issue 8): each one a call of its own */
	if (strcmp(op, "stat") == 0 && argc == 3) {
		struct stat st;
		return result(op, stat(argv[2], &st));
	}
	if (strcmp(op, "statx") == 0 && argc == 3) {
		struct statx sx;
		return result(op, statx(AT_FDCWD, argv[2], 0, STATX_BASIC_STATS, &sx));
	}
	if (strcmp(op, "access") == 0 && argc == 3)
		return result(op, access(argv[2], R_OK));
	if (strcmp(op, "faccessat2") == 0 && argc == 3)
		return result(op, syscall(SYS_faccessat2, AT_FDCWD, argv[2], R_OK, 0));
	if (strcmp(op, "readlink") == 0 && argc == 3) {
		char buf[256];
		return result(op, readlink(argv[2], buf, sizeof(buf)));
	}
	if (strcmp(op, "getxattr") == 0 && argc == 3) {
		char buf[64];
		return result(op, getxattr(argv[2], "user.x", buf, sizeof(buf)));
	}
	if (strcmp(op, "chdir") == 0 && argc == 3)
		return result(op, chdir(argv[2]));
	if (strcmp(op, "symlink") == 0 && argc == 4) /* symlink TARGET LINKPATH */
		return result(op, symlink(argv[2], argv[3]));
	if (strcmp(op, "clone3-ns") == 0) { /* clone3(CLONE_NEWUSER): flags in memory */
		struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
		r = syscall(SYS_clone3, &ca, sizeof(ca));
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid(r, NULL, 0);
		return result(op, r);
	}
	if (strcmp(op, "unshare-net") == 0)
		return result(op, unshare(CLONE_NEWNET));
	if (strcmp(op, "memfd-exec") == 0 && argc == 3) { /* copy PROGRAM to a memfd, fexecve */
		char buf[65536];
		int src = open(argv[2], O_RDONLY | O_CLOEXEC);
		ssize_t n;
		char *const av[] = {"payload", NULL};
		fd = memfd_create("payload", MFD_CLOEXEC);
		if (fd < 0 || src < 0)
			return result(op, -1);
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(fd, buf, n) != n)
				return result(op, -1);
		return result(op, syscall(SYS_execveat, fd, "", av, environ, AT_EMPTY_PATH));
	}
	if (strcmp(op, "reopen-write") == 0 && argc == 3) { /* write through /proc/self/fd/N */
		char p[64];
		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return result(op, -1);
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		return result(op, open(p, O_WRONLY));
	}
	if (strcmp(op, "abstract-self") == 0 && argc == 3) { /* bind @NAME, connect to it */
		struct sockaddr_un su = {.sun_family = AF_UNIX};
		socklen_t l = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(argv[2]);
		int s1 = socket(AF_UNIX, SOCK_STREAM, 0), s2 = socket(AF_UNIX, SOCK_STREAM, 0);
		memcpy(su.sun_path + 1, argv[2], strlen(argv[2]));
		if (bind(s1, (struct sockaddr *)&su, l) < 0 || listen(s1, 1) < 0)
			return result("bind", -1);
		return result(op, connect(s2, (struct sockaddr *)&su, l));
	}
	if (strcmp(op, "open") == 0 && argc == 3) /* legacy open(2) */
		return result(op, syscall(SYS_open, argv[2], O_RDONLY | O_CLOEXEC));
	if (strcmp(op, "openat") == 0 && argc == 3)
		return result(op, openat(AT_FDCWD, argv[2], O_RDONLY | O_CLOEXEC));
	if (strcmp(op, "openat2") == 0 && argc == 3) {
		struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};

		return result(op, syscall(SYS_openat2, AT_FDCWD, argv[2], &how, sizeof(how)));
	}
	if (strcmp(op, "write") == 0 && argc == 3)
		return result(op, open(argv[2], O_WRONLY | O_CLOEXEC));
	if (strcmp(op, "dirfd") == 0 && argc == 4) { /* openat(open(DIR), NAME) */
		int d = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (d < 0)
			return result("dirfd-dir", d);
		return result(op, openat(d, argv[3], O_RDONLY | O_CLOEXEC));
	}
	if (strcmp(op, "cwd") == 0 && argc == 4) { /* chdir(DIR); open(NAME) */
		if (chdir(argv[2]) < 0)
			return result("cwd-dir", -1);
		return result(op, open(argv[3], O_RDONLY | O_CLOEXEC));
	}
	if (strcmp(op, "dev") == 0 && argc == 3) /* open a device node read-write */
		return result(op, open(argv[2], O_RDWR | O_CLOEXEC));
	if (strcmp(op, "burst") == 0 && argc == 4) { /* N opens of PATH, each an event */
		long n = atol(argv[3]);

		for (long i = 0; i < n; i++)
			open(argv[2], O_RDONLY | O_CLOEXEC);
		return result(op, 0);
	}
	if (strcmp(op, "seq") == 0 && argc >= 4) { /* N rounds of opening each PATH:r|w in turn */
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			for (int a = 3; a < argc; a++) {
				char path[256];
				size_t l = strlen(argv[a]);
				bool w = l > 2 && strcmp(argv[a] + l - 2, ":w") == 0;

				if (l < 2 || l - 2 >= sizeof(path))
					return 2;
				memcpy(path, argv[a], l - 2);
				path[l - 2] = 0;
				fd = open(path, (w ? O_WRONLY | O_CREAT : O_RDONLY) | O_CLOEXEC,
					  0600);
				if (fd >= 0)
					close(fd);
			}
		return result(op, 0);
	}
	if ((strcmp(op, "connect") == 0 || strcmp(op, "udp-send") == 0 || strcmp(op, "bind") == 0 ||
	     strcmp(op, "udp-bind") == 0) &&
	    argc == 4) {
		bool udp = strncmp(op, "udp", 3) == 0;
		int fam = sockaddr_of(argv[2], atoi(argv[3]), &ss, &len);

		fd = socket(fam, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return result("socket", fd);
		if (strcmp(op, "connect") == 0)
			r = connect(fd, (struct sockaddr *)&ss, len);
		else if (strcmp(op, "udp-send") == 0)
			r = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len);
		else
			r = bind(fd, (struct sockaddr *)&ss, len);
		return result(op, r);
	}
	if (strcmp(op, "exec") == 0 && argc >= 3) {
		execv(argv[2], argv + 2);
		return result(op, -1);
	}
	if ((strcmp(op, "unix-connect") == 0 || strcmp(op, "unix-send") == 0) && argc == 3) {
		/* ADDR: a path, or @NAME for an abstract name */
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		bool send = op[5] == 's';
		size_t n = strlen(argv[2]);
		socklen_t len;
		int r;

		if (n >= sizeof(un.sun_path))
			return result(op, -1);
		memcpy(un.sun_path, argv[2], n);
		if (argv[2][0] == '@')
			un.sun_path[0] = 0;
		len = offsetof(struct sockaddr_un, sun_path) + n + (argv[2][0] == '@' ? 0 : 1);
		fd = socket(AF_UNIX, (send ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return result("socket", fd);
		r = send ? (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&un, len)
			 : connect(fd, (struct sockaddr *)&un, len);
		return result(op, r);
	}
	if (strcmp(op, "fork-exec-missing") == 0) {
		/* A child execs a name that is a literal: right after fork() the child has no
		 * page-table entry for this program's read-only data, so the string is not
		 * readable without a fault when execve starts (the monitor must still see it). */
		static char *const args[] = {"/no/such/program", "--flag", NULL};
		int status;
		pid_t p = fork();

		if (p == 0) {
			execve("/no/such/program", args, environ);
			_exit(errno == ENOENT ? 0 : 1);
		}
		if (p < 0 || waitpid(p, &status, 0) < 0)
			return result(op, -1);
		errno = ENOENT;
		return result(op, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? -1 : 0);
	}
	if (strcmp(op, "loop") == 0 && argc == 4) { /* the syscall benchmark's loop */
		long n = atol(argv[3]);
		char buf[64];

		for (long i = 0; i < n; i++) {
			fd = open(argv[2], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return result(op, fd);
			if (read(fd, buf, sizeof(buf)) < 0)
				return result(op, -1);
			close(fd);
		}
		return result(op, 0);
	}
	fprintf(stderr, "usage: monitor_probe open|openat|openat2|write PATH | dirfd DIR NAME |\n"
			"  cwd DIR NAME | dev PATH | burst PATH N | seq N PATH:r|w... | "
			"connect|udp-send|bind|udp-bind ADDR"
			" PORT | exec PATH [ARG...] | fork-exec-missing | unix-connect|unix-send "
			"PATH|@NAME | loop PATH N\n");
	return 2;
}
