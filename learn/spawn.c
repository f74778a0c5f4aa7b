// SPDX-License-Identifier: MIT
/*
 * Runs `ward run` as a child (this same binary, /proc/self/exe): the learning run and the
 * replay each get a whole, fresh `ward run` (its own signal handling, cgroup, monitors and
 * exit), with every option passed the way a user would pass it, --net included. The
 * workload's stdout comes through a pipe: copied to ours and hashed (FNV-1a 64), so the replay
 * can be compared with the learning run. While it runs, the sandbox cgroup's peaks are sampled
 * for the limits suggestion (the cgroup is removed at exit, so the last sample is the value).
 */
#include "common/hash.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/util.h"
#include "learn/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t read_u64(const char *dir, const char *id, const char *file)
{
	char path[512], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, id, file);
	n = ward_read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

/* The sandbox cgroup's peaks: v2 (pure or the hybrid's unified tree), then v1. */
static void sample_cgroup(const char *id, struct learn_run *ret)
{
	static const char *const mem[][2] = {
		{"/sys/fs/cgroup/ward", "memory.peak"},
		{"/sys/fs/cgroup/memory/ward", "memory.max_usage_in_bytes"}};
	static const char *const pids[][2] = {{"/sys/fs/cgroup/ward", "pids.peak"},
					      {"/sys/fs/cgroup/pids/ward", "pids.peak"},
					      {"/sys/fs/cgroup/pids/ward", "pids.current"},
					      {"/sys/fs/cgroup/ward", "pids.current"}};

	for (size_t i = 0; i < ARRAY_SIZE(mem); i++) {
		uint64_t v = read_u64(mem[i][0], id, mem[i][1]);
		if (v > ret->cg_mem_peak)
			ret->cg_mem_peak = v;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		uint64_t v = read_u64(pids[i][0], id, pids[i][1]);
		if (v > ret->cg_pids_peak)
			ret->cg_pids_peak = v;
	}
}

int learn_spawn_run(const struct learn_opts *o, const struct learn_spawn *s, struct learn_run *ret,
		    struct ward_error *err)
{
	size_t n_argv = 0;
	for (char **a = o->argv; *a; a++)
		n_argv++;
	_cleanup_free_ char **args = calloc(24 + 2 * o->n_binds + n_argv, sizeof(char *));
	char sink[4200];
	int pfd[2], status = 0;
	size_t n = 0;
	struct rusage ru = {0};
	uint64_t t0 = ward_now_ns();
	pid_t pid;

	if (!args)
		return -ENOMEM;
	snprintf(sink, sizeof(sink), "file:%s", s->events);
	args[n++] = "ward";
	args[n++] = "run";
	args[n++] = "-p";
	args[n++] = (char *)s->profile;
	args[n++] = "-m";
	args[n++] = (char *)s->mode;
	args[n++] = "-e";
	args[n++] = sink;
	args[n++] = "--id";
	args[n++] = (char *)s->id;
	if (o->net) {
		args[n++] = "--net";
		args[n++] = (char *)o->net;
	}
	if (o->gpu) {
		args[n++] = "--gpu";
		args[n++] = (char *)o->gpu;
	}
	if (o->timeout) {
		args[n++] = "--timeout";
		args[n++] = (char *)o->timeout;
	}
	if (o->allow_degraded)
		args[n++] = "--allow-degraded";
	for (size_t i = 0; i < o->n_binds; i++) {
		args[n++] = "--bind";
		args[n++] = o->bind_specs[i];
	}
	args[n++] = "--";
	for (size_t i = 0; i < n_argv; i++)
		args[n++] = o->argv[i];
	args[n] = NULL;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ward_error_set(err, -errno, "pipe: %m");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return ward_error_set(err, e, "fork: %m");
	}
	if (pid == 0) {
		if (dup2(pfd[1], STDOUT_FILENO) < 0)
			_exit(WARD_EXIT_FAIL);
		execv("/proc/self/exe", args);
		_exit(WARD_EXIT_FAIL);
	}
	close(pfd[1]);

	/* ^C goes to the whole foreground group: ward forwards it to the workload and exits
	 * with its status; we wait for that rather than die first. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_term;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);

	uint64_t h = WARD_FNV1A_INIT;
	char buf[65536];
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		int pr = poll(&p, 1, 20);

		sample_cgroup(s->id, ret);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		ssize_t got = read(pfd[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		h = ward_fnv1a_add(h, buf, (size_t)got);
		ret->out_bytes += (uint64_t)got;
		if (!s->quiet_stdout)
			ward_write_all(STDOUT_FILENO, buf, (size_t)got);
	}
	close(pfd[0]);
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	ret->out_hash = h;
	ret->maxrss_kb = (uint64_t)ru.ru_maxrss;
	ret->secs = (double)(ward_now_ns() - t0) / 1e9;
	ret->status = WIFEXITED(status)	    ? WEXITSTATUS(status)
		      : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
					    : WARD_EXIT_FAIL;
	return 0;
}
