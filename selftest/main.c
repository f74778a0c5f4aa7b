// SPDX-License-Identifier: MIT
/*
 * `ward selftest`: runs the probes of probes.c inside sandboxes built from a profile by
 * ward_run(), the code path of `ward run`, and says per probe whether it was blocked and
 * reported (docs/selftest.md).
 *
 * What the selftest changes in the profile, and nothing else: the event sink (a private file
 * per sandbox; the profile's own sink gets the one `selftest` event), a read-only bind of the
 * probe directory at /ward-selftest, the probe added to exec.allow when the profile has an
 * exec.allow (it is the command, and must be allowed to run), and, for the files sandbox,
 * read-only binds the deny probes need (the denied file's directory, at its place and under
 * another name) and an empty directory at the model directory when the host has none. The
 * memory and wall-clock probes run in sandboxes of their own with those two limits scaled
 * down, so that they take a second, not an hour.
 *
 * One sandbox per class (the runner inside forks a child per probe), one per probe that
 * ends its sandbox (syscalls.kill). Each runs in a forked child that calls ward_run() exactly
 * as `ward run` does, while this process serves the loopback listeners the network probes
 * aim at.
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/sandbox.h"
#include "profile/internal.h" /* ward_strv_push: exec.allow gets the probe */
#include "selftest/selftest.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

struct listeners {
	int fd[5]; /* tcp4, tcp6, udp4, abstract, path; -1 */
	int allowed_fd;
	int conns[64];
	size_t n_conns;
	char *got; /* markers received */
	size_t got_len;
};

struct selftest {
	struct ward_profile *p;
	struct ward_st_plan plan;
	struct ward_st_host host;
	struct listeners l;
	char work[64];	  /* private directory on the host */
	char *event_sink; /* where the `selftest` event goes */
	bool json;
	bool allow_degraded;
	char err_seen[4096]; /* ward's messages already relayed */
};

static void usage(FILE *f)
{
	fputs("Usage: ward selftest [-p PROFILE] [-m enforce|audit] [--json] [--only "
	      "CLASS[,CLASS]]\n"
	      "                     [--bind SRC[:DST[:ro|rw]]] [--net none|loopback|host]\n"
	      "                     [--gpu none|all|N[,N]] [-e SINK] [--allow-degraded]\n"
	      "Run hostile probes inside a sandbox built from PROFILE as `ward run` builds it, "
	      "and\n"
	      "print what each tried, whether it was blocked (by which layer), whether ward\n"
	      "reported it, and the verdict (docs/selftest.md).\n\n"
	      "  -p, --profile PROFILE  profile path or name; default: default\n"
	      "  -m, --mode MODE        enforce (default) or audit\n"
	      "      --json             one JSON document on stdout instead of the table\n"
	      "      --only CLASSES     files, exec, network, devices, escapes, limits\n"
	      "      --bind, --net, --gpu, --allow-degraded   as for ward run\n"
	      "  -e, --events SINK      where the one `selftest` event goes (default: the\n"
	      "                         profile's events.sink)\n\n"
	      "Exit status: 0 every probe passed; 1 a probe failed (a hole, or a refusal ward did\n"
	      "not report); 125 a sandbox could not be built.\n",
	      f);
}

/* ---- the host side ------------------------------------------------------------------------- */

static int host_kind(const char *path, void *data)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return S_ISREG(st.st_mode)    ? 'f'
	       : S_ISDIR(st.st_mode)  ? 'd'
	       : S_ISCHR(st.st_mode)  ? 'c'
	       : S_ISSOCK(st.st_mode) ? 's'
				      : 'o';
}

static int listen_on(int fam, int type, int port, int *ret_port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(fam, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (fam == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		int one = 1;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons(port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		len = sizeof(*in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*ret_port = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					 : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int listen_unix(const char *name, bool abstract)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || n + 1 >= sizeof(sun.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(sun.sun_path + abstract, name, n);
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + n + 1;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The listeners the network probes aim at, the GPUs, the pids: what probes.c needs. */
static void host_setup(struct selftest *st)
{
	struct ward_st_host *h = &st->host;
	struct listeners *l = &st->l;
	const struct ward_profile *p = st->p;
	int port, fd;

	for (size_t i = 0; i < ARRAY_SIZE(l->fd); i++)
		l->fd[i] = -1;
	l->allowed_fd = -1;
	h->exists = host_kind;
	h->host_pid = getpid();
#ifdef __x86_64__
	h->have_i386 = true;
#endif
	l->fd[0] = listen_on(AF_INET, SOCK_STREAM, 0, &h->tcp_port);
	l->fd[1] = listen_on(AF_INET6, SOCK_STREAM, 0, &h->tcp6_port);
	l->fd[2] = listen_on(AF_INET, SOCK_DGRAM, 0, &h->udp_port);
	snprintf(h->abstract_name, sizeof(h->abstract_name), "ward-selftest-%d", (int)getpid());
	l->fd[3] = listen_unix(h->abstract_name, true);
	if (l->fd[3] < 0)
		h->abstract_name[0] = 0;
	snprintf(h->unix_path, sizeof(h->unix_path), "%s/sock/s", st->work);
	l->fd[4] = listen_unix(h->unix_path, false);
	if (l->fd[4] < 0)
		h->unix_path[0] = 0;
	/* a port nothing listens on, for the bind probe */
	fd = listen_on(AF_INET, SOCK_STREAM, 0, &h->free_port);
	if (fd >= 0)
		close(fd);
	port = ward_st_allowed_port(p, WARD_NETOP_CONNECT);
	if (port && (l->allowed_fd = listen_on(AF_INET, SOCK_STREAM, port, &port)) >= 0)
		h->allowed_port = port;
	port = ward_st_allowed_port(p, WARD_NETOP_BIND);
	if (port && (fd = listen_on(AF_INET, SOCK_STREAM, port, &port)) >= 0) {
		close(fd);
		h->allowed_bind_port = port;
	}

	/* GPUs: NVIDIA nodes, the first the profile allows and the first it does not. */
	for (int i = 0; i < WARD_GPU_MAX; i++) {
		char path[64];
		bool allowed = p->gpu_all;

		snprintf(path, sizeof(path), "%s/nvidia%d",
			 ward_hooks.dev_root ? ward_hooks.dev_root : "/dev", i);
		if (host_kind(path, NULL) != 'c')
			continue;
		for (size_t g = 0; g < p->n_gpus; g++)
			allowed |= p->gpus[g] == i;
		if (allowed && !h->gpu_allowed[0])
			snprintf(h->gpu_allowed, sizeof(h->gpu_allowed), "/dev/nvidia%d", i);
		if (!allowed && !h->gpu_path[0])
			snprintf(h->gpu_path, sizeof(h->gpu_path), "/dev/nvidia%d", i);
	}
}

static void listeners_close(struct listeners *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(l->fd); i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
	if (l->allowed_fd >= 0)
		close(l->allowed_fd);
	for (size_t i = 0; i < l->n_conns; i++)
		close(l->conns[i]);
	free(l->got);
}

static void got_append(struct listeners *l, const char *buf, size_t n)
{
	char *g = realloc(l->got, l->got_len + n + 2);

	if (!g)
		return;
	l->got = g;
	memcpy(g + l->got_len, buf, n);
	l->got_len += n;
	g[l->got_len++] = ' ';
	g[l->got_len] = 0;
}

/* Accepts and reads what the probes send, until the sandbox's supervisor (pid) exits. */
static int serve_until_exit(struct listeners *l, pid_t pid)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	int status = 0;

	for (;;) {
		struct pollfd pfd[80];
		int kinds[80];
		size_t n = 0;

		if (pidfd >= 0) {
			pfd[n] = (struct pollfd){.fd = pidfd, .events = POLLIN};
			kinds[n++] = 0;
		}
		for (size_t i = 0; i < ARRAY_SIZE(l->fd); i++)
			if (l->fd[i] >= 0) {
				pfd[n] = (struct pollfd){.fd = l->fd[i], .events = POLLIN};
				kinds[n++] = i == 2 ? 2 : 1; /* udp reads, the others accept */
			}
		if (l->allowed_fd >= 0) {
			pfd[n] = (struct pollfd){.fd = l->allowed_fd, .events = POLLIN};
			kinds[n++] = 1;
		}
		for (size_t i = 0; i < l->n_conns; i++) {
			pfd[n] = (struct pollfd){.fd = l->conns[i], .events = POLLIN};
			kinds[n++] = 3;
		}
		int r = poll(pfd, n, pidfd >= 0 ? 1000 : 50);
		if (pidfd < 0 && waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		bool exited = false;
		for (size_t i = 0; i < n; i++) {
			char buf[512];
			ssize_t k;

			if (!pfd[i].revents)
				continue;
			switch (kinds[i]) {
			case 0:
				exited = true;
				break;
			case 1: {
				int c = accept4(pfd[i].fd, NULL, NULL,
						SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (c >= 0 && l->n_conns < ARRAY_SIZE(l->conns))
					l->conns[l->n_conns++] = c;
				else if (c >= 0)
					close(c);
				break;
			}
			case 2:
				k = recv(pfd[i].fd, buf, sizeof(buf), 0);
				if (k > 0)
					got_append(l, buf, k);
				break;
			default:
				k = recv(pfd[i].fd, buf, sizeof(buf), 0);
				if (k > 0) {
					got_append(l, buf, k);
				} else if (k == 0 || errno != EAGAIN) {
					for (size_t c = 0; c < l->n_conns; c++)
						if (l->conns[c] == pfd[i].fd) {
							close(l->conns[c]);
							l->conns[c] = l->conns[--l->n_conns];
							break;
						}
				}
			}
		}
		if (exited)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the work directory --------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? 0 : 0;
}

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (fd < 0)
		return strdup("");
	do {
		if (cap - len < 65536) {
			char *b = realloc(buf, cap + 65536 + 1);
			if (!b)
				break;
			buf = b;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += n;
	} while (n > 0);
	close(fd);
	if (!buf)
		return strdup("");
	buf[len] = 0;
	return buf;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -EIO;
	if (n < 0)
		return -errno;
	return fchmod(out, mode) < 0 ? -errno : 0;
}

/* The installed probe: beside ward in the build tree, ../libexec/ward/ when installed. */
static int find_probe(char *buf, size_t len)
{
	char exe[3800];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = 0;
		char *s = strrchr(exe, '/');
		if (s) {
			*s = 0;
			snprintf(buf, len, "%s/ward-probe", exe);
			if (access(buf, X_OK) == 0)
				return 0;
			snprintf(buf, len, "%s/../libexec/ward/ward-probe", exe);
			if (access(buf, X_OK) == 0)
				return 0;
		}
	}
	snprintf(buf, len, "%s/libexec/ward/ward-probe", WARD_PREFIX);
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

static int work_setup(struct selftest *st)
{
	char path[4200], probe[4096];
	int r;

	r = find_probe(probe, sizeof(probe));
	if (r < 0) {
		ward_log("selftest: ward-probe not found beside ward or in %s/libexec/ward "
			 "(make; make install)",
			 WARD_PREFIX);
		return r;
	}
	snprintf(st->work, sizeof(st->work), "/var/tmp/ward-selftest.XXXXXX");
	if (!mkdtemp(st->work)) {
		st->work[0] = 0;
		return -errno;
	}
	/* The sandbox user must reach the probe through the bind source. */
	chmod(st->work, 0755);
	snprintf(path, sizeof(path), "%s/bin", st->work);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sock", st->work);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bin/probe", st->work);
	r = copy_file(probe, path, 0755);
	if (r < 0) {
		ward_log("selftest: copying %s: %s", probe, strerror(-r));
		return r;
	}
	/* A set-uid-root copy, for the set-uid probe: the probe invoked set-uid only prints its
	 * ids, whatever it is asked, so a host user finding it gains nothing. */
	snprintf(path, sizeof(path), "%s/bin/probe-suid", st->work);
	if (geteuid() == 0 && copy_file(probe, path, 0755) == 0 && chown(path, 0, 0) == 0 &&
	    chmod(path, 04755) == 0)
		st->host.have_suid = true;
	return 0;
}

static void work_cleanup(struct selftest *st)
{
	if (st->work[0])
		nftw(st->work, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- the profile ------------------------------------------------------------------------------
 */

static int bind_add(struct ward_profile *p, const char *src, const char *dst)
{
	struct ward_error err = {{0}};
	char spec[8300];

	snprintf(spec, sizeof(spec), "%s:%s:ro", src, dst);
	if (ward_profile_add_bind(p, spec, &err) < 0) {
		ward_log("selftest: %s", err.msg);
		return -EINVAL;
	}
	return 0;
}

static void binds_truncate(struct ward_profile *p, size_t n)
{
	while (p->n_binds > n) {
		p->n_binds--;
		free(p->binds[p->n_binds].src);
		free(p->binds[p->n_binds].dst);
	}
}

/* The probe directory and exec.allow, for every sandbox. */
static int profile_prepare(struct selftest *st)
{
	struct ward_profile *p = st->p;
	char src[4200];
	int r;

	snprintf(src, sizeof(src), "%s/bin", st->work);
	r = bind_add(p, src, WARD_SELFTEST_DIR);
	if (r < 0)
		return r;
	if (p->exec_allow.n) {
		char *s = strdup(WARD_SELFTEST_PROBE);
		if (!s || ward_strv_push(&p->exec_allow, s, (struct ward_loc){0}) < 0)
			return -ENOMEM;
	}
	st->event_sink = st->event_sink ? st->event_sink : p->sink ? strdup(p->sink) : NULL;
	return 0;
}

/* The files sandbox's binds: the denied file's directory at its place and under an alias; an
 * empty read-only model directory where the host has none. */
static int files_binds(struct selftest *st)
{
	struct ward_profile *p = st->p;
	int r = 0;

	for (size_t i = 0; i < st->plan.n && r >= 0; i++) {
		struct ward_st_probe *t = &st->plan.probes[i];
		char dir[4096];

		if (t->expect == WARD_ST_SKIP || !t->argv[1])
			continue;
		if (!strcmp(t->name, "files.deny-in-bind") ||
		    !strcmp(t->name, "files.deny-by-object")) {
			const char *deny = NULL;
			for (size_t k = 0; k < st->plan.n && !deny; k++)
				if (!strcmp(st->plan.probes[k].name, "files.deny-in-bind"))
					deny = st->plan.probes[k].argv[1];
			if (!deny)
				continue;
			snprintf(dir, sizeof(dir), "%s", deny);
			*strrchr(dir, '/') = 0;
			r = bind_add(p, dir,
				     !strcmp(t->name, "files.deny-in-bind") ? dir
									    : WARD_SELFTEST_DIR
					     "-alias");
		} else if (!strcmp(t->name, "files.create-in-models") &&
			   !host_kind(t->argv[1], NULL)) {
			bool bound = false;
			for (size_t b = 0; b < p->n_binds; b++)
				bound |= p->binds[b].dst && !strcmp(p->binds[b].dst, t->argv[1]);
			if (bound)
				continue;
			if (p->mode == WARD_MODE_AUDIT) {
				/* audit mode cannot make a mount point the host lacks yet */
				t->expect = WARD_ST_SKIP;
				snprintf(t->note, sizeof(t->note),
					 "audit mode: the host has no %s, and binding one needs "
					 "issue "
					 "8 item 12",
					 t->argv[1]);
				continue;
			}
			snprintf(dir, sizeof(dir), "%s/models", st->work);
			mkdir(dir, 0777);
			chmod(dir, 0777); /* so that only the mount, not DAC, can refuse */
			r = bind_add(p, dir, t->argv[1]);
		}
	}
	return r;
}

/* ---- one sandbox ------------------------------------------------------------------------------
 */

enum box_result { BOX_OK = 0, BOX_NOT_BUILT = 1 }; /* errors are -errno */

/* ward's own messages, relayed once each. */
static void relay_errors(struct selftest *st, const char *text)
{
	const char *s = text;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char line[600];

		snprintf(line, sizeof(line), "%.*s", (int)MIN(n, sizeof(line) - 1), s);
		s = nl ? nl + 1 : NULL;
		if (!line[0] || strstr(st->err_seen, line))
			continue;
		fprintf(stderr, "%s\n", line);
		size_t l = strlen(st->err_seen);
		snprintf(st->err_seen + l, sizeof(st->err_seen) - l, "%s\n", line);
	}
}

static int box_run(struct selftest *st, const char *name, struct ward_st_probe **probes, size_t n)
{
	struct ward_profile *p = st->p;
	char out[4200], errf[4200], evf[4200], sink[4300];
	char *argv[2 + 48 * (WARD_ST_ARGS + 2) + 1];
	size_t a = 0;
	char ids[48][8];

	if (!n)
		return BOX_OK;
	argv[a++] = WARD_SELFTEST_PROBE;
	argv[a++] = "run";
	for (size_t i = 0; i < n && i < 48; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%d", probes[i]->id);
		argv[a++] = ids[i];
		for (size_t k = 0; probes[i]->argv[k]; k++)
			argv[a++] = probes[i]->argv[k];
		argv[a++] = ";";
	}
	argv[a] = NULL;
	snprintf(out, sizeof(out), "%s/out-%s", st->work, name);
	snprintf(errf, sizeof(errf), "%s/err-%s", st->work, name);
	snprintf(evf, sizeof(evf), "%s/events-%s.jsonl", st->work, name);
	snprintf(sink, sizeof(sink), "file:%s", evf);
	free(p->sink);
	p->sink = strdup(sink);

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct ward_sandbox sb = {.profile = p,
					  .init_pidfd = -1,
					  .sync_fd = -1,
					  .notify_fd = -1,
					  .sc_prog_fd = -1,
					  .allow_degraded = st->allow_degraded};
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (o < 0 || e < 0 || nul < 0)
			_exit(WARD_EXIT_FAIL);
		dup2(nul, 0);
		dup2(o, 1);
		dup2(e, 2);
		/* The listeners stay out of the sandbox's init. */
		for (size_t i = 0; i < ARRAY_SIZE(st->l.fd); i++)
			if (st->l.fd[i] >= 0)
				close(st->l.fd[i]);
		if (st->l.allowed_fd >= 0)
			close(st->l.allowed_fd);
		snprintf(sb.id, sizeof(sb.id), "ward-selftest-%d-%s", (int)getppid(), name);
		sb.argv = argv;
		_exit(ward_run(&sb));
	}
	int rc = serve_until_exit(&st->l, pid);

	_cleanup_free_ char *ot = slurp(out);
	_cleanup_free_ char *et = slurp(errf);
	_cleanup_free_ char *vt = slurp(evf);
	relay_errors(st, et);
	if (rc == WARD_EXIT_FAIL && !strstr(vt, "\"event\":\"start\"")) {
		ward_log("selftest: the %s sandbox could not be built (ward run would exit 125)",
			 name);
		return BOX_NOT_BUILT;
	}
	ward_st_judge_output(&st->plan, ot);
	ward_st_judge_events(&st->plan, vt, n == 1 && probes[0]->box == WARD_ST_BOX_ALONE,
			     probes[0]->id);
	return BOX_OK;
}

static int run_all(struct selftest *st)
{
	struct ward_profile *p = st->p;
	struct ward_st_probe *set[48];
	size_t base_binds = p->n_binds;
	int r;

	for (int c = 0; c < WARD_ST_CLASS_N; c++) {
		size_t n = 0;

		for (size_t i = 0; i < st->plan.n && n < ARRAY_SIZE(set); i++) {
			struct ward_st_probe *t = &st->plan.probes[i];
			if (t->cls == (enum ward_st_class)c && t->box == WARD_ST_BOX_CLASS &&
			    t->expect != WARD_ST_SKIP)
				set[n++] = t;
		}
		if (c == WARD_ST_FILES && (r = files_binds(st)) < 0)
			return r;
		r = box_run(st, ward_st_class_names[c], set, n);
		binds_truncate(p, base_binds);
		if (r != BOX_OK)
			return r;
	}
	/* Probes with sandboxes of their own. */
	for (size_t i = 0; i < st->plan.n; i++) {
		struct ward_st_probe *t = &st->plan.probes[i];
		uint64_t mem = p->mem_max, wall = p->wall_ns, grace = p->grace_ns;
		char name[40];

		if (t->box == WARD_ST_BOX_CLASS || t->expect == WARD_ST_SKIP)
			continue;
		if (t->box == WARD_ST_BOX_MEMORY)
			p->mem_max = (uint64_t)WARD_ST_MEMORY_MB << 20;
		if (t->box == WARD_ST_BOX_WALL) {
			p->wall_ns = (uint64_t)WARD_ST_WALL_MS * 1000000;
			p->grace_ns = 500000000;
		}
		snprintf(name, sizeof(name), "%s", strchr(t->name, '.') + 1);
		set[0] = t;
		r = box_run(st, name, set, 1);
		p->mem_max = mem;
		p->wall_ns = wall;
		p->grace_ns = grace;
		if (r != BOX_OK)
			return r;
	}
	return 0;
}

static void emit_event(struct selftest *st, const char *profile, uint64_t ms, int code)
{
	struct ward_events ev = {0};
	struct ward_error err = {{0}};
	char id[64];

	if (!st->event_sink || !strcmp(st->event_sink, "none"))
		return;
	snprintf(id, sizeof(id), "ward-selftest-%d", (int)getpid());
	if (ward_sink_open(st->event_sink, id, &ev.sink, &err) < 0) {
		ward_log("selftest: events: %s", err.msg);
		return;
	}
	snprintf(ev.sandbox, sizeof(ev.sandbox), "%s", id);
	if (gethostname(ev.host, sizeof(ev.host) - 1) < 0)
		snprintf(ev.host, sizeof(ev.host), "unknown");
	ward_st_report_event(&st->plan, profile, ms, code, &ev);
	ward_sink_commit(ev.sink);
	ward_sink_flush(ev.sink, 2000);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
}

int ward_selftest_main(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_ONLY, OPT_BIND, OPT_NET, OPT_GPU, OPT_DEGRADED };
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"mode", required_argument, NULL, 'm'},
					     {"events", required_argument, NULL, 'e'},
					     {"json", no_argument, NULL, OPT_JSON},
					     {"only", required_argument, NULL, OPT_ONLY},
					     {"bind", required_argument, NULL, OPT_BIND},
					     {"net", required_argument, NULL, OPT_NET},
					     {"gpu", required_argument, NULL, OPT_GPU},
					     {"allow-degraded", no_argument, NULL, OPT_DEGRADED},
					     {"help", no_argument, NULL, 'h'},
					     {}};
	const char *profile = NULL, *mode = NULL, *net = NULL, *gpu = NULL, *only = NULL;
	_cleanup_free_ char **binds = calloc(argc + 1, sizeof(char *));
	struct selftest st = {0};
	struct ward_error err = {{0}};
	unsigned mask = (1u << WARD_ST_CLASS_N) - 1;
	size_t n_binds = 0;
	int c, r, code;

	if (!binds)
		return WARD_EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "p:m:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'e':
			free(st.event_sink);
			st.event_sink = strdup(optarg);
			break;
		case OPT_JSON:
			st.json = true;
			break;
		case OPT_ONLY:
			only = optarg;
			break;
		case OPT_BIND:
			binds[n_binds++] = optarg;
			break;
		case OPT_NET:
			net = optarg;
			break;
		case OPT_GPU:
			gpu = optarg;
			break;
		case OPT_DEGRADED:
			st.allow_degraded = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return WARD_EXIT_FAIL;
		}
	}
	if (optind < argc || (mode && strcmp(mode, "enforce") && strcmp(mode, "audit")) ||
	    (net && strcmp(net, "none") && strcmp(net, "loopback") && strcmp(net, "host")) ||
	    (only && ward_st_parse_classes(only, &mask) < 0)) {
		usage(stderr);
		return WARD_EXIT_FAIL;
	}

	r = ward_profile_load_cli(profile, mode, net, &st.p, &err);
	if (r < 0) {
		fprintf(stderr, "ward: %s\n", err.msg);
		return WARD_EXIT_FAIL;
	}
	struct ward_profile *p = st.p;
	for (size_t i = 0; i < n_binds && r >= 0; i++)
		r = ward_profile_add_bind(p, binds[i], &err);
	if (r >= 0 && gpu)
		r = ward_profile_set_gpu(p, gpu, &err);
	if (r < 0) {
		fprintf(stderr, "ward: %s\n", err.msg);
		ward_profile_free(p);
		return WARD_EXIT_FAIL;
	}
	const char *pname = p->name ? p->name : profile ? profile : "default";
	char *pname_copy = strdup(pname);

	uint64_t t0 = ward_now_ns();
	code = WARD_EXIT_FAIL;
	r = work_setup(&st);
	if (r >= 0)
		r = profile_prepare(&st);
	if (r >= 0) {
		host_setup(&st);
		r = ward_st_plan_build(p, &st.host, mask, &st.plan);
	}
	if (r >= 0)
		r = run_all(&st);
	uint64_t ms = (ward_now_ns() - t0) / 1000000;
	if (r == BOX_OK) {
		struct ward_st_summary s;

		ward_st_judge_listener(&st.plan, st.l.got ? st.l.got : "");
		ward_st_verdicts(&st.plan);
		ward_st_summarize(&st.plan, &s);
		code = s.failed ? 1 : 0;
		if (st.json)
			ward_st_report_json(&st.plan, pname_copy, ms, code, stdout);
		else
			ward_st_report_table(&st.plan, pname_copy, stdout);
		emit_event(&st, pname_copy, ms, code);
	} else if (r < 0) {
		ward_log("selftest: %s", strerror(-r));
	}
	listeners_close(&st.l);
	work_cleanup(&st);
	ward_st_plan_free(&st.plan);
	ward_profile_free(p);
	free(st.event_sink);
	free(pname_copy);
	return code;
}
