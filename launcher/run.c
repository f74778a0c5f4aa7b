// SPDX-License-Identifier: MIT
/*
 * `ward run`: the orchestrator on the supervisor's side.
 *
 * Privilege model, in the order it happens:
 *
 *  supervisor (the caller's privileges; stays outside the sandbox for its whole life)
 *    1. parse and validate the profile, build the seccomp filter, open the event sink:
 *       everything that can fail on bad input fails here, before anything is created
 *    2. create the sandbox cgroup(s) and apply limits
 *    3. refuse (125) if a protection the profile asks for is missing, unless --allow-degraded
 *    4. clone3(CLONE_NEWUSER|NEWPID|NEWNS|NEWNET|NEWIPC|NEWUTS|NEWCGROUP|CLONE_INTO_CGROUP),
 *       the calling thread inside the sandbox's v1 cgroups for it (hybrid hosts, cgroup.c)
 *    5. write the child's uid/gid maps, send GO; while init builds the view: join the v1
 *       cgroups where init was not born in them, load and attach the BPF monitors (a
 *       failure kills init and refuses, 125), export the seccomp program; send CGROUPS
 *    6. wait for READY (with the seccomp listener fd) or ERROR; then supervise (supervisor.c)
 *
 *  init (PID 1 in the new namespaces; full capabilities, but only in its own user namespace)
 *    7. wait for GO; setgroups([]) and switch to the sandbox uid/gid keeping capabilities
 *    8. hostname, loopback, the mount view (fresh tmpfs root, binds, /dev, /proc, its own
 *       cgroup), pivot_root; wait for CGROUPS, then unshare(CLONE_NEWCGROUP) so the cgroup
 *       namespace is rooted at the v1 cgroups too (they were joined after clone3)
 *    9. rlimits; drop every capability not kept, from all sets incl. bounding and ambient
 *   10. PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE=0 (the workload cannot ptrace or read init)
 *   11. Landlock (inherited by everything init starts)
 *    -> workload (vfork-style child sharing init's fd table until exec):
 *   12. new session, default signals, fds > 2 marked close-on-exec
 *   13. seccomp last; the listener fd lands in the shared fd table, so init can pass it
 *       to the supervisor while the workload never holds it after exec
 *   14. execve
 *
 * A failing step in init sends ERROR (with the phase in the text) and _exit()s; only the
 * supervisor prints and chooses ward's exit status.
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "launcher/container.h"
#include "launcher/layers.h"
#include "launcher/sandbox.h"
#include "monitor/gpu.h"
#include "monitor/monitor.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Each profile namespace: its clone flag and the layer it is listed as. */
static const struct {
	unsigned ns;
	unsigned long flag;
	enum ward_layer layer;
} ns_map[] = {
	{WARD_NS_USER, CLONE_NEWUSER, WARD_LAYER_USERNS},
	{WARD_NS_PID, CLONE_NEWPID, WARD_LAYER_PIDNS},
	{WARD_NS_MOUNT, CLONE_NEWNS, WARD_LAYER_MNTNS},
	{WARD_NS_NET, CLONE_NEWNET, WARD_LAYER_NETNS},
	{WARD_NS_IPC, CLONE_NEWIPC, WARD_LAYER_IPCNS},
	{WARD_NS_UTS, CLONE_NEWUTS, WARD_LAYER_UTSNS},
	{WARD_NS_CGROUP, CLONE_NEWCGROUP, WARD_LAYER_CGROUPNS},
};

static unsigned long clone_flags(const struct ward_sandbox *sb)
{
	const struct ward_profile *p = sb->profile;
	unsigned long f = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ns_map); i++)
		if (p->namespaces & ns_map[i].ns)
			f |= ns_map[i].flag;
	/* Host mode has no network namespace. Audit mode keeps the one the profile or --net chose
	 * (it relaxes policy, not isolation): a suspect model tried in audit mode under
	 * `network: {mode: none}` must not reach the host's network. Its attempts are still
	 * reported (the cgroup sock_addr programs run in any network namespace); `--net host`
	 * shows what it would do with a network. */
	if (p->net_mode == WARD_NET_HOST)
		f &= ~(unsigned long)CLONE_NEWNET;
	return f;
}

/* The namespaces of clone_flags() as layers. */
static void ns_layers(unsigned long f, struct ward_layers *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_map); i++)
		if (f & ns_map[i].flag)
			ward_layer_on(l, ns_map[i].layer);
}

/* The sandbox user inside and the host ids it maps to. */
static void prepare_identity(struct ward_sandbox *sb)
{
	const struct ward_profile *p = sb->profile;

	sb->privileged = geteuid() == 0;
	if (sb->privileged) {
		/* Inside uid U is host uid U: never host root, which would own (and so be able
		 * to read) root's 0600 files through any bind. Inside root maps to nobody. */
		sb->host_uid = p->uid ? p->uid : 65534;
		sb->host_gid = p->gid ? p->gid : 65534;
	} else {
		sb->host_uid = getuid();
		sb->host_gid = getgid();
	}
	sb->cwd = getcwd(NULL, 0);
}

/* The sink and the emitter's common fields; events.require_collector. */
static int prepare_events(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	int r;

	r = ward_sink_open(p->sink ? p->sink : "stderr", sb->id, &sb->ev.sink, err);
	if (r < 0)
		return r;
	snprintf(sb->ev.sandbox, sizeof(sb->ev.sandbox), "%s", sb->id);
	if (gethostname(sb->ev.host, sizeof(sb->ev.host) - 1) < 0)
		snprintf(sb->ev.host, sizeof(sb->ev.host), "unknown");
	if (p->require_collector && ward_sink_connected(sb->ev.sink) <= 0)
		return ward_error_set(err, -ENOTCONN,
				      "events.require_collector: no collector answers at '%s'",
				      p->sink);
	return 0;
}

/* The host's device nodes for gpu.allow / --gpu. */
static int prepare_gpus(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	int r;

	if (!p->gpu_all && !p->n_gpus)
		return 0;
	r = ward_gpu_nodes(p, ward_hooks.dev_root, &sb->gpu_nodes, err);
	if (r < 0)
		return r;
	/* Not a protection (nothing is refused that would otherwise be allowed), so not fatal:
	 * a profile asking for GPU 0 still runs on a host without one, but the user should not
	 * have to guess why the model sees no GPU. */
	for (size_t g = 0; g < p->n_gpus; g++) {
		char want[32];
		bool found = false;

		snprintf(want, sizeof(want), "/nvidia%d", p->gpus[g]);
		for (struct ward_gpu_node *n = sb->gpu_nodes; n && n->host && !found; n++) {
			size_t ln = strlen(n->host), lw = strlen(want);
			found = ln >= lw && strcmp(n->host + ln - lw, want) == 0;
		}
		if (!found)
			ward_log("warning: gpu.allow: GPU %d (%s/nvidia%d) is not on this host: "
				 "the sandbox gets no such device",
				 p->gpus[g], ward_hooks.dev_root, p->gpus[g]);
	}
	if (p->gpu_all && (!sb->gpu_nodes || !sb->gpu_nodes[0].host))
		ward_log("warning: gpu.allow: all: this host has no GPU device nodes");
	return 0;
}

/* Layers that need nothing created: namespaces, Landlock, seccomp, capabilities. */
static void prepare_layers(struct ward_sandbox *sb)
{
	const struct ward_profile *p = sb->profile;

	ns_layers(clone_flags(sb), &sb->layers);
	sb->landlock_abi = ward_landlock_abi();
	sb->layers.landlock_abi = sb->landlock_abi;
	if (p->mode == WARD_MODE_AUDIT) {
		/* audit observes; Landlock could only block */
	} else if (ward_hooks.layers_off & WARD_LAYER_OFF_LANDLOCK) {
		sb->landlock_abi = 0; /* ward_landlock_apply_child() then applies nothing */
		ward_layer_missing(&sb->layers, WARD_LAYER_LANDLOCK);
	} else if (sb->landlock_abi > 0) {
		ward_layer_on(&sb->layers, WARD_LAYER_LANDLOCK);
	} else {
		ward_layer_missing(&sb->layers, WARD_LAYER_LANDLOCK);
	}
	/* No executable memfd: a blocking-only knob like Landlock, so not in audit mode. It needs
	 * the sandbox's own pid namespace and a ward run by root (see sysctl.c). */
	if (p->mode != WARD_MODE_AUDIT) {
		if (ward_sysctl_memfd_noexec_available() && (p->namespaces & WARD_NS_PID) &&
		    geteuid() == 0)
			ward_layer_on(&sb->layers, WARD_LAYER_MEMFD_NOEXEC);
		else
			ward_layer_missing(&sb->layers, WARD_LAYER_MEMFD_NOEXEC);
	}
	if (ward_hooks.layers_off & WARD_LAYER_OFF_SECCOMP)
		ward_layer_missing(&sb->layers, WARD_LAYER_SECCOMP);
	else
		ward_layer_on(&sb->layers, WARD_LAYER_SECCOMP);
	if (ward_hooks.layers_off & WARD_LAYER_OFF_VIEW)
		ward_layer_missing(&sb->layers, WARD_LAYER_VIEW_OFF);
	ward_layer_on(&sb->layers, WARD_LAYER_CAPS);
	ward_layer_on(&sb->layers, WARD_LAYER_NO_NEW_PRIVS);
	if (p->wall_ns)
		ward_layer_on(&sb->layers, WARD_LAYER_TIMEOUT);
}

/* The sandbox cgroup(s) and limits. */
static int prepare_cgroup(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	struct ward_cgroup_limits lim = {
		.mem_max = p->mem_max, .pids_max = p->pids_max, .cpu_max = p->cpu_max};
	unsigned missing;
	int r;

	r = ward_cgroup_create(sb->id, &lim, &sb->cg, NULL, 0, err);
	if (r < 0 && geteuid() != 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
		/* An ordinary user without a delegated cgroup: no limits and no cgroup-attached
		 * monitors. A missing protection like any other: refused unless --allow-degraded.
		 */
		ward_log("warning: %s: as uid %u without a delegated cgroup there are no limits "
			 "and no cgroup-attached monitors",
			 err->msg, (unsigned)geteuid());
		ward_layer_missing(&sb->layers, WARD_LAYER_CGROUP);
		sb->cg = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	missing = ward_cgroup_missing(sb->cg);
	if (missing & WARD_CGROUP_MISSING_MEMORY)
		ward_layer_missing(&sb->layers, WARD_LAYER_CGROUP_MEMORY);
	if (missing & WARD_CGROUP_MISSING_PIDS)
		ward_layer_missing(&sb->layers, WARD_LAYER_CGROUP_PIDS);
	if (missing & WARD_CGROUP_MISSING_CPU)
		ward_layer_missing(&sb->layers, WARD_LAYER_CGROUP_CPU);
	if (lim.mem_max || lim.pids_max || lim.cpu_max > 0) {
		struct ward_cgroup_info ci;
		if (ward_cgroup_probe(&ci) >= 0) {
			sb->layers.cgroup_backend = ci.backend;
			ward_layer_on(&sb->layers, WARD_LAYER_CGROUP);
		}
	}
	return 0;
}

/* Steps 1-3: everything that can fail before a process exists. */
static int prepare(struct ward_sandbox *sb)
{
	struct ward_profile *p = sb->profile;
	struct ward_error err = {{0}};
	char buf[256];
	int r;

	prepare_identity(sb);
	r = ward_mount_expand_deny(p, &err);
	if (r >= 0)
		r = ward_caps_validate(p, &err);
	if (r >= 0)
		r = ward_rlimits_prepare_parent(p, &err);
	if (r >= 0)
		r = ward_seccomp_build(p, &sb->sc, &err);
	if (r >= 0)
		r = prepare_events(sb, &err);
	if (r >= 0)
		r = prepare_gpus(sb, &err);
	if (r < 0) {
		ward_log("%s", err.msg);
		return r;
	}
	prepare_layers(sb);
	r = prepare_cgroup(sb, &err);
	if (r < 0) {
		ward_log("%s%s", err.msg, ward_container_hint(WARD_CONTAINER_CGROUP, r));
		return r;
	}

	/* WARD_MONITORS=off (benchmarks of the other layers): counted as missing, so it needs
	 * --allow-degraded like any other protection that is not there. */
	if (ward_hooks.monitors_off)
		ward_layer_missing(&sb->layers, WARD_LAYER_MONITORS_OFF);
	else if (ward_cgroup_v2_fd(sb->cg) >= 0)
		sb->want_monitors = true; /* loaded and attached while init builds the view */
	else
		ward_layer_missing(&sb->layers, WARD_LAYER_MONITORS);

	/* Fail closed: a protection the profile asks for that this host cannot give. */
	if (sb->layers.missing && !sb->allow_degraded) {
		ward_layers_join(&sb->layers, sb->layers.missing, false, buf, sizeof(buf));
		ward_log("cannot apply: %s (this host lacks them); --allow-degraded runs "
			 "anyway and lists them in the start event",
			 buf);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Loads (or reuses the pinned set) and attaches the BPF monitors to the sandbox cgroup. Runs
 * while init builds the mount view; a failure refuses the run unless --allow-degraded. */
static int monitors_start(struct ward_sandbox *sb, struct ward_error *err)
{
	struct ward_monitor_opts mo = {.profile = sb->profile,
				       .events = &sb->ev,
				       .gpu_nodes = sb->gpu_nodes,
				       .command = sb->argv};
	int r;

	r = ward_monitor_open(&mo, &sb->mon, err);
	if (r >= 0)
		ward_monitor_set_init(sb->mon, sb->init_pid);
	if (r >= 0)
		r = ward_monitor_attach(sb->mon, ward_cgroup_v2_fd(sb->cg), ward_cgroup_id(sb->cg),
					err);
	if (r >= 0 && !ward_monitor_files_active(sb->mon)) {
		/* The syscall programs did not load: network and device filtering still run,
		 * the file and exec monitors do not. A missing protection like any other. */
		if (!sb->allow_degraded) {
			ward_error_set(
				err, -EOPNOTSUPP,
				"cannot apply: bpf-monitors(file/exec): the syscall programs did "
				"not load here (WARD_BPF_DEBUG=1 shows why); --allow-degraded "
				"runs with network and device monitoring only");
			r = -EOPNOTSUPP;
		} else {
			ward_layer_on(&sb->layers, WARD_LAYER_MONITORS_NETDEV);
			ward_layer_missing(&sb->layers, WARD_LAYER_MONITORS_FILES);
			return 0;
		}
	}
	if (r >= 0) {
		ward_layer_on(&sb->layers, WARD_LAYER_MONITORS);
		return 0;
	}
	ward_monitor_close(sb->mon);
	sb->mon = NULL;
	if (!sb->allow_degraded)
		return r;
	ward_log("warning: monitors: %s", err->msg);
	ward_layer_missing(&sb->layers, WARD_LAYER_MONITORS_FAILED);
	return 0;
}

/* WARD_MONITOR_TIMING=1 also prints the launch's phases, as time since ward_run() started
 * (init's too: its lines say "init"). */
void ward_launch_timing(const struct ward_sandbox *sb, const char *step)
{
	if (ward_hooks.monitor_timing)
		fprintf(stderr, "ward launch timing: %-28s %8.3f ms\n", step,
			(ward_now_ns() - sb->start_ns) / 1e6);
}

static int spawn(struct ward_sandbox *sb)
{
	int sv[2];
	int pidfd = -1;
	int cgfd = ward_cgroup_v2_fd(sb->cg);
	struct clone_args ca = {
		.flags = clone_flags(sb) | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	pid_t pid;

	if (cgfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = cgfd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	/* Born in the v1 cgroups too where this works; else joined after (a grace period). */
	bool entered = ward_cgroup_clone_enter(sb->cg) >= 0;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid != 0 && entered)
		ward_cgroup_clone_leave(sb->cg);
	if (pid < 0) {
		int r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		ward_init_main(sb, sv[1]);
	}
	close(sv[1]);
	sb->init_pid = pid;
	sb->init_pidfd = pidfd;
	sb->sync_fd = sv[0];
	return 0;
}

static void start_event(struct ward_sandbox *sb)
{
	struct ward_profile *p = sb->profile;
	struct ward_json j;

	ward_event_begin(&sb->ev, &j, "lifecycle", "allow", false, sb->init_pid, "ward", NULL);
	ward_json_str(&j, "event", "start");
	ward_json_str(&j, "profile", p->name);
	ward_json_str(&j, "mode", p->mode == WARD_MODE_AUDIT ? "audit" : "enforce");
	ward_json_str(&j, "ward_version", WARD_VERSION);
	ward_json_array_open(&j, "command");
	for (char **a = sb->argv; *a; a++)
		ward_json_str(&j, NULL, *a);
	ward_json_array_close(&j);
	ward_layers_json(&sb->layers, &j);
	if (sb->mon)
		ward_monitor_layers(sb->mon, &j);
	ward_json_int(&j, "landlock_abi", sb->landlock_abi);
	struct ward_cgroup_info ci;
	if (ward_cgroup_probe(&ci) >= 0)
		ward_json_str(&j, "cgroup", ci.backend);
	ward_json_uint(&j, "cgroup_id", ward_cgroup_id(sb->cg));
	ward_event_emit(&sb->ev, &j);
}

/*
 * The command ward was asked to run could not be executed (126: refused, 127: not found): the
 * sandbox existed, so the sink gets what it gets for any run, start, the refused exec as a
 * violation and exit, not a line on stderr alone. The exec monitor saw the failed execve (it
 * ran in the sandbox cgroup) and reports it when the exec.allow list flags it; otherwise, or
 * without monitors, ward reports it here, with the rule that explains the failure.
 */
static void exec_failed_events(struct ward_sandbox *sb, int status, int err)
{
	const struct ward_profile *p = sb->profile;
	const char *path = sb->argv[0], *rule, *name = strerrorname_np(err);
	bool listed = p->exec_allow.n == 0;
	struct ward_json j;

	for (size_t i = 0; i < p->exec_allow.n && !listed; i++)
		listed = fnmatch(p->exec_allow.v[i].s, path, 0) == 0;
	if (err == ENOENT || err == ENOTDIR)
		rule = "filesystem: not in the view";
	else if (!listed)
		rule = "exec.allow: no match";
	else
		rule = "exec: refused";
	start_event(sb);
	uint64_t before = sb->ev.violations;
	if (sb->mon)
		ward_monitor_poll(sb->mon);
	if (sb->ev.violations > before)
		goto out;
	/* not run, in either mode: "deny" */
	ward_event_begin(&sb->ev, &j, "exec", "deny", true, sb->init_pid, NULL, rule);
	ward_json_str(&j, "path", path);
	ward_json_array_open(&j, "argv");
	for (char **a = sb->argv; *a; a++)
		ward_json_str(&j, NULL, *a);
	ward_json_array_close(&j);
	ward_json_int(&j, "ret", -err);
	ward_json_str(&j, "errno", name ? name : "E?");
	ward_event_emit(&sb->ev, &j);
out:
	ward_exit_event(sb, status, 0, false, 0);
}

static void cleanup(struct ward_sandbox *sb)
{
	ward_monitor_close(sb->mon);
	sb->mon = NULL;
	ward_cgroup_destroy(sb->cg);
	sb->cg = NULL;
	ward_seccomp_free(sb->sc);
	sb->sc = NULL;
	if (sb->ev.sink) {
		ward_sink_flush(sb->ev.sink, 2000);
		ward_sink_close(sb->ev.sink);
		sb->ev.sink = NULL;
	}
	ward_events_release(&sb->ev);
	ward_gpu_nodes_free(sb->gpu_nodes);
	sb->gpu_nodes = NULL;
	if (sb->init_pidfd >= 0)
		close(sb->init_pidfd);
	if (sb->sync_fd >= 0)
		close(sb->sync_fd);
	if (sb->notify_fd >= 0)
		close(sb->notify_fd);
}

int ward_run(struct ward_sandbox *sb)
{
	struct ward_error err = {{0}};
	struct ward_msg m = {0};
	int r, status = WARD_EXIT_FAIL;

	sb->start_ns = ward_now_ns();
	/* Signals that must reach the workload are handled through a signalfd in the
	 * supervisor; block them now so none is lost between clone and the event loop. */
	sigset_t set;
	ward_forwarded_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = prepare(sb);
	if (r < 0)
		goto out;
	ward_launch_timing(sb, "prepared");
	r = spawn(sb);
	if (r < 0) {
		ward_log("creating the sandbox (clone3): %s%s", strerror(-r),
			 ward_container_hint(WARD_CONTAINER_CLONE, r));
		goto out;
	}
	ward_launch_timing(sb, "cloned");
	r = ward_userns_setup_parent(sb, sb->init_pid, &err);

	if (r >= 0) {
		/* Joining a v1 cgroup costs an RCU grace period (cgroup_threadgroup_rwsem), up to
		 * 10 ms here: let init build the view meanwhile; it waits for CGROUPS before it
		 * starts the workload, so nothing the workload does escapes the limits. */
		m.type = WARD_MSG_GO;
		m.code = 1;
		r = ward_msg_send(sb->sync_fd, &m, -1);
	}
	/* In a thread, so that the grace period overlaps the monitors' start as well. */
	if (r >= 0 && sb->cg)
		r = ward_cgroup_attach_begin(sb->cg, sb->init_pid);
	if (r < 0) {
		if (!err.msg[0])
			snprintf(err.msg, sizeof(err.msg), "joining cgroups: %s", strerror(-r));
		ward_log("%s", err.msg);
		kill(sb->init_pid, SIGKILL);
		waitpid(sb->init_pid, NULL, 0);
		goto out;
	}
	/* The monitors too: init does not start the workload before CGROUPS. */
	if (sb->want_monitors) {
		r = monitors_start(sb, &err);
		if (r < 0) {
			ward_log("%s%s", err.msg, ward_container_hint(WARD_CONTAINER_MONITORS, r));
			kill(sb->init_pid, SIGKILL);
			waitpid(sb->init_pid, NULL, 0);
			goto out;
		}
	}
	if (sb->cg) {
		ward_launch_timing(sb, "monitors started");
		r = ward_cgroup_attach_end(sb->cg);
		if (r < 0) {
			ward_log("joining cgroups: %s", strerror(-r));
			kill(sb->init_pid, SIGKILL);
			waitpid(sb->init_pid, NULL, 0);
			goto out;
		}
	}
	ward_launch_timing(sb, "monitors started, cgroups joined");
	/* Compiled while init builds the view; init falls back to compiling itself. */
	int prog_fd = ward_seccomp_export(sb->sc);
	m = (struct ward_msg){.type = WARD_MSG_CGROUPS};
	r = ward_msg_send(sb->sync_fd, &m, prog_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	/* Records wait in the kernel's ring until it is mapped; a failure kills the sandbox. */
	if (r >= 0 && sb->mon && ward_monitor_map_ring(sb->mon, &err) < 0) {
		ward_log("%s", err.msg);
		kill(sb->init_pid, SIGKILL);
		waitpid(sb->init_pid, NULL, 0);
		goto out;
	}
	if (r < 0) {
		/* init waits for CGROUPS and never starts the workload without it. A closed
		 * socket: init failed building the view and said why before it exited. */
		struct ward_msg e = {0};
		if (ward_msg_recv(sb->sync_fd, &e, NULL) >= 0 && e.type == WARD_MSG_ERROR)
			ward_log("%s%s%s", e.text, e.err ? ": " : "", e.err ? strerror(e.err) : "");
		else
			ward_log("starting the workload (sync socket): %s", strerror(-r));
		kill(sb->init_pid, SIGKILL);
		waitpid(sb->init_pid, NULL, 0);
		goto out;
	}

	int lfd = -1;
	r = ward_msg_recv(sb->sync_fd, &m, &lfd);
	if (r < 0 || m.type != WARD_MSG_READY) {
		int ws = 0;
		waitpid(sb->init_pid, &ws, 0);
		if (r >= 0 && m.type == WARD_MSG_ERROR) {
			if (m.err)
				ward_log("%s: %s", m.text, strerror(m.err));
			else
				ward_log("%s", m.text);
			status = m.code ? m.code : WARD_EXIT_FAIL;
			if (status == WARD_EXIT_NOEXEC || status == WARD_EXIT_NOTFOUND)
				exec_failed_events(sb, status, m.err);
		} else {
			ward_log("the sandbox's init died during setup (status 0x%x)", ws);
		}
		if (lfd >= 0)
			close(lfd);
		goto out;
	}
	sb->notify_fd = lfd;
	ward_launch_timing(sb, "init ready (view built)");
	sb->landlock_abi = m.aux;
	if (m.code > 0 && sb->cwd)
		ward_mount_cwd_warning(sb, m.code);
	start_event(sb);
	status = ward_supervise(sb);
	ward_launch_timing(sb, "workload exited");
out:
	cleanup(sb);
	ward_launch_timing(sb, "cleaned up");
	return status;
}
