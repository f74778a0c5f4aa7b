// SPDX-License-Identifier: MIT
/*
 * init: PID 1 of the sandbox. Builds the sandbox from inside (the phases are listed in
 * run.c), starts the workload, forwards signals to it, reaps every orphan, and reports the
 * workload's wait status to the supervisor. It never prints: failures go to the supervisor
 * as an ERROR message.
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "common/missing.h"
#include "launcher/sandbox.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Shared with the workload child between clone and exec (MAP_SHARED page). */
struct exec_report {
	int listener; /* seccomp listener fd number, in the fd table shared until exec */
	int err;      /* errno of the failed step */
	int code;     /* ward exit status for the failure */
	char what[64];
};

/* The one list of forwarded signals: the supervisor blocks and reads them (with SIGCHLD)
 * before clone, init forwards them to the workload. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void ward_forwarded_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

static _Noreturn void fail(int sync_fd, int code, int r, const char *text)
{
	struct ward_msg m = {.type = WARD_MSG_ERROR, .code = code, .err = r < 0 ? -r : 0};

	snprintf(m.text, sizeof(m.text), "%s", text);
	ward_msg_send(sync_fd, &m, -1);
	_exit(code);
}

static char **build_env(const struct ward_profile *p)
{
	size_t n = 0, cap = 4 + p->env_pass.n + p->env_set.n;
	char **env = calloc(cap, sizeof(char *));
	bool have_path = false;

	if (!env)
		return NULL;
	for (size_t i = 0; i < p->env_set.n; i++)
		if (strncmp(p->env_set.v[i].s, "PATH=", 5) == 0)
			have_path = true;
	if (!have_path)
		env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	for (size_t i = 0; i < p->env_pass.n; i++) {
		const char *name = p->env_pass.v[i].s;
		const char *val = getenv(name);
		size_t nl = strlen(name);
		bool set = false;
		char *kv;
		/* env.set wins over env.pass for the same name */
		for (size_t k = 0; k < p->env_set.n && !set; k++)
			set = strncmp(p->env_set.v[k].s, name, nl) == 0 &&
			      p->env_set.v[k].s[nl] == '=';
		if (set || !val || asprintf(&kv, "%s=%s", name, val) < 0)
			continue;
		env[n++] = kv;
	}
	for (size_t i = 0; i < p->env_set.n; i++)
		env[n++] = p->env_set.v[i].s;
	env[n] = NULL;
	return env;
}

int ward_rlimits_prepare_parent(const struct ward_profile *p, struct ward_error *err)
{
	struct rlimit rl;
	char where[300] = "limits.nofile";

	if (!p->nofile || getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max >= p->nofile)
		return 0;
	/* Raising a hard limit takes CAP_SYS_RESOURCE in the initial user namespace
	 * (setrlimit(2)): ward may have it, init in its user namespace never does. Above
	 * fs.nr_open it fails for anyone. */
	rl.rlim_max = p->nofile;
	if (rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return 0;
	if (p->nofile_loc.file)
		snprintf(where, sizeof(where), "%s:%d:%d: limits.nofile", p->nofile_loc.file,
			 p->nofile_loc.line, p->nofile_loc.col);
	{
		int e = errno;
		struct rlimit cur = {0, 0};

		getrlimit(RLIMIT_NOFILE, &cur);
		return ward_error_set(err, -e,
				      "%s: %llu is above the hard limit on open files (%llu, "
				      "ulimit -Hn) and ward cannot raise it: %s",
				      where, (unsigned long long)p->nofile,
				      (unsigned long long)cur.rlim_max, strerror(e));
	}
}

static int set_rlimits(const struct ward_profile *p)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	if (p->nofile) {
		rl.rlim_cur = rl.rlim_max = p->nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return 0;
}

/* A command without a slash, looked up in the sandbox's PATH the way execvp(3) would, but
 * with faccessat(2), which neither the exec monitor nor Landlock sees: execvp's execve() of
 * every PATH entry before the right one was an exec violation each (ENOENT at
 * /usr/local/sbin/python3 ... under a container's PATH). NULL: let execvpe() report it. */
static const char *resolve_command(const char *name, char *const *env, char *buf, size_t len)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";

	if (!name[0] || strchr(name, '/'))
		return NULL;
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		if (n > 0 && p[0] == '/' &&
		    (size_t)snprintf(buf, len, "%.*s/%s", (int)n, p, name) < len &&
		    faccessat(AT_FDCWD, buf, X_OK, AT_EACCESS) == 0)
			return buf;
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* The workload: runs with CLONE_VFORK|CLONE_FILES, so init sleeps until it execs and the
 * seccomp listener it creates stays in init's fd table after exec unshares the table. */
static _Noreturn void workload(struct ward_sandbox *sb, struct exec_report *rep, char **env)
{
	sigset_t all;
	int fd;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	/* Its own session: no controlling terminal to inject into (TIOCSTI) or signal. */
	setsid();
	/* Every fd but 0-2 closes at exec, including ones from the caller we never opened. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (fd = 3; fd < 65536; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	char cmd[PATH_MAX];
	const char *resolved = resolve_command(sb->argv[0], env, cmd, sizeof(cmd));
	/* Seccomp last: after this only execve (always allowed) and exit are called. */
	if (ward_hooks.layers_off & WARD_LAYER_OFF_SECCOMP) /* a missing layer (run.c) */
		fd = -ENODATA;
	else
		fd = sb->sc_prog_fd >= 0 ? ward_seccomp_load_fd(sb->sc, sb->sc_prog_fd)
					 : ward_seccomp_load(sb->sc);
	if (fd < 0 && fd != -ENODATA) {
		rep->err = -fd;
		rep->code = WARD_EXIT_FAIL;
		snprintf(rep->what, sizeof(rep->what), "loading the seccomp filter");
		_exit(WARD_EXIT_FAIL);
	}
	rep->listener = fd;
	if (resolved)
		execve(resolved, sb->argv, env);
	else
		execvpe(sb->argv[0], sb->argv, env);
	rep->err = errno;
	rep->code = errno == ENOENT ? WARD_EXIT_NOTFOUND : WARD_EXIT_NOEXEC;
	snprintf(rep->what, sizeof(rep->what), "%s", sb->argv[0]);
	_exit(rep->code);
}

_Noreturn void ward_init_main(struct ward_sandbox *sb, int sync_fd)
{
	const struct ward_profile *p = sb->profile;
	struct ward_error err = {{0}};
	struct ward_msg m;
	int r;

	/* If the supervisor dies, so does the sandbox (and with it every notified syscall
	 * fails): nothing runs unmonitored. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (ward_msg_recv(sync_fd, &m, NULL) < 0 || m.type != WARD_MSG_GO)
		_exit(WARD_EXIT_FAIL);

	ward_launch_timing(sb, "init: go");
	r = ward_sysctl_setup_early(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);
	r = ward_userns_setup_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);
	/* Changing uids and raising capabilities again cleared the parent-death signal
	 * (commit_creds): arm it once more. Later changes only drop capabilities, which keeps
	 * it. Had the supervisor died in between, the next message from it (CGROUPS) never
	 * comes and init exits. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (p->namespaces & WARD_NS_UTS) {
		const char *h = p->hostname ? p->hostname : sb->id;
		if (sethostname(h, strlen(h)) < 0)
			fail(sync_fd, WARD_EXIT_FAIL, -errno, "sethostname");
	}
	r = ward_net_setup_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);
	ward_launch_timing(sb, "init: ids, net set up");
	r = ward_mount_setup_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);

	/* The workload starts only once the supervisor has put init in every cgroup. Waited
	 * for here, while init still has CAP_SYS_ADMIN: clone3 rooted the cgroup namespace at
	 * the v2 cgroup (CLONE_INTO_CGROUP), but on v1 hierarchies at ward's own cgroups, as
	 * init joined the sandbox's v1 cgroups only now. A second cgroup namespace roots every
	 * hierarchy at the cgroups init is in, so /proc/self/cgroup reads "/" and its paths
	 * resolve under the cgroup view at /sys/fs/cgroup (mount.c), instead of
	 * "/../../ward/<id>" (cgroup_namespaces(7)). */
	ward_launch_timing(sb, "init: view built");
	if (ward_msg_recv(sync_fd, &m, &sb->sc_prog_fd) < 0 || m.type != WARD_MSG_CGROUPS)
		_exit(WARD_EXIT_FAIL);
	ward_launch_timing(sb, "init: cgroups joined");
	if ((p->namespaces & WARD_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		fail(sync_fd, WARD_EXIT_FAIL, -errno, "unshare(CLONE_NEWCGROUP)");
	/* After the cgroup namespace above: max_cgroup_namespaces = 0 would refuse it. */
	r = ward_sysctl_setup_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);
	r = set_rlimits(p);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, "setting rlimits");
	r = ward_caps_drop_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(sync_fd, WARD_EXIT_FAIL, -errno, "PR_SET_NO_NEW_PRIVS");
	/* Same uid as the workload: without this it could ptrace or read init's memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!(p->namespaces & WARD_NS_PID))
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	r = ward_landlock_apply_child(sb, &err);
	if (r < 0)
		fail(sync_fd, WARD_EXIT_FAIL, r, err.msg);

	/* Reap and forward until the workload is gone. The forwarded signals and SIGCHLD were
	 * blocked by the supervisor before clone, so none is lost before this signalfd exists;
	 * made before the workload starts, so that a failure refuses the run instead of
	 * leaving signals unforwarded. (The workload shares the fd table until its execve,
	 * which closes this close-on-exec fd in its copy.) */
	ward_launch_timing(sb, "init: landlock applied");
	sigset_t set;
	ward_forwarded_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		fail(sync_fd, WARD_EXIT_FAIL, -errno,
		     "signalfd (forwarding signals to the workload)");

	char **env = build_env(p);
	struct exec_report *rep =
		mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!env || rep == MAP_FAILED)
		fail(sync_fd, WARD_EXIT_FAIL, -ENOMEM, "preparing the workload");
	rep->listener = -1;

	pid_t child = syscall(SYS_clone, CLONE_VFORK | CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (child < 0)
		fail(sync_fd, WARD_EXIT_FAIL, -errno, "starting the workload");
	if (child == 0)
		workload(sb, rep, env);

	if (rep->code) {
		int ws;
		waitpid(child, &ws, 0);
		fail(sync_fd, rep->code, -rep->err, rep->what);
	}
	m = (struct ward_msg){.type = WARD_MSG_READY,
			      .code = sb->cwd_errno,
			      .aux = sb->landlock_abi,
			      .err = child};
	if (ward_msg_send(sync_fd, &m, rep->listener) < 0)
		_exit(WARD_EXIT_FAIL);
	if (rep->listener >= 0)
		close(rep->listener);

	int status = -1;
	for (;;) {
		int ws;
		pid_t w;
		while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
			if (w == child)
				status = ws;
		if (status != -1 || (w < 0 && errno == ECHILD))
			break;
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n == sizeof(si) && si.ssi_signo != SIGCHLD)
			kill(child, si.ssi_signo);
	}
	m = (struct ward_msg){.type = WARD_MSG_EXIT, .code = status};
	ward_msg_send(sync_fd, &m, -1);
	_exit(0);
}
