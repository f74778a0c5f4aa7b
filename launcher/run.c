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
 *    4. clone3(CLONE_NEWUSER|NEWPID|NEWNS|NEWNET|NEWIPC|NEWUTS|NEWCGROUP|CLONE_INTO_CGROUP)
 *    5. write the child's uid/gid maps, send GO; while init builds the view: join the v1
 *       cgroups (hybrid hosts), load and attach the BPF monitors (a failure kills init and
 *       refuses, 125), export the seccomp program; then send CGROUPS
 *    6. wait for READY (with the seccomp listener fd) or ERROR; then supervise (supervisor.c)
 *
 *  init (PID 1 in the new namespaces; full capabilities, but only in its own user namespace)
 *    7. wait for GO; setgroups([]) and switch to the sandbox uid/gid keeping capabilities
 *    8. hostname, loopback, the mount view (fresh tmpfs root, binds, /dev, /proc), pivot_root
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
#include "launcher/sandbox.h"
#include "monitor/gpu.h"
#include "monitor/monitor.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void list_add(char *list, size_t len, const char *item)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? "," : "", item);
}

static unsigned long clone_flags(const struct ward_sandbox *sb)
{
	const struct ward_profile *p = sb->profile;
	unsigned long f = 0;

	if (p->namespaces & WARD_NS_USER)
		f |= CLONE_NEWUSER;
	if (p->namespaces & WARD_NS_PID)
		f |= CLONE_NEWPID;
	if (p->namespaces & WARD_NS_MOUNT)
		f |= CLONE_NEWNS;
	if (p->namespaces & WARD_NS_IPC)
		f |= CLONE_NEWIPC;
	if (p->namespaces & WARD_NS_UTS)
		f |= CLONE_NEWUTS;
	if (p->namespaces & WARD_NS_CGROUP)
		f |= CLONE_NEWCGROUP;
	/* Audit mode shows the workload the host's network, so what it would do is observed. */
	if ((p->namespaces & WARD_NS_NET) && p->net_mode != WARD_NET_HOST &&
	    p->mode != WARD_MODE_AUDIT)
		f |= CLONE_NEWNET;
	return f;
}

static const char *ns_names(unsigned long f, char *buf, size_t len)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} map[] = {{CLONE_NEWUSER, "userns"},	 {CLONE_NEWPID, "pidns"}, {CLONE_NEWNS, "mntns"},
		   {CLONE_NEWNET, "netns"},	 {CLONE_NEWIPC, "ipcns"}, {CLONE_NEWUTS, "utsns"},
		   {CLONE_NEWCGROUP, "cgroupns"}};

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].flag)
			list_add(buf, len, map[i].name);
	return buf;
}

/* Steps 1-3: everything that can fail before a process exists. */
static int prepare(struct ward_sandbox *sb)
{
	struct ward_profile *p = sb->profile;
	struct ward_error err = {{0}};
	char buf[256];
	int r;

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

	r = ward_caps_validate(p, &err);
	if (r < 0)
		goto fail;
	r = ward_seccomp_build(p, &sb->sc, &err);
	if (r < 0)
		goto fail;
	r = ward_sink_open(p->sink ? p->sink : "stderr", sb->id, &sb->ev.sink, &err);
	if (r < 0)
		goto fail;
	snprintf(sb->ev.sandbox, sizeof(sb->ev.sandbox), "%s", sb->id);
	if (gethostname(sb->ev.host, sizeof(sb->ev.host) - 1) < 0)
		snprintf(sb->ev.host, sizeof(sb->ev.host), "unknown");
	if (p->require_collector && ward_sink_connected(sb->ev.sink) <= 0) {
		ward_log("events.require_collector: no collector answers at '%s'", p->sink);
		return -ENOTCONN;
	}

	if (p->gpu_all || p->n_gpus) {
		{
			r = ward_gpu_nodes(p, ward_hooks.dev_root, &sb->gpu_nodes, &err);
			if (r < 0)
				goto fail;
			/* Not a protection (nothing is refused that would otherwise be allowed), so
			 * not fatal: a profile asking for GPU 0 still runs on a host without one,
			 * but the user should not have to guess why the model sees no GPU. */
			for (size_t g = 0; g < p->n_gpus; g++) {
				char want[32];
				bool found = false;

				snprintf(want, sizeof(want), "/nvidia%d", p->gpus[g]);
				for (struct ward_gpu_node *n = sb->gpu_nodes;
				     n && n->host && !found; n++) {
					size_t ln = strlen(n->host), lw = strlen(want);
					found = ln >= lw && strcmp(n->host + ln - lw, want) == 0;
				}
				if (!found)
					ward_log("warning: gpu.allow: GPU %d (%s/nvidia%d) is not "
						 "on this "
						 "host: the sandbox gets no such device",
						 p->gpus[g], ward_hooks.dev_root, p->gpus[g]);
			}
			if (p->gpu_all && (!sb->gpu_nodes || !sb->gpu_nodes[0].host))
				ward_log("warning: gpu.allow: all: this host has no GPU device "
					 "nodes");
		}
	}

	list_add(sb->active, sizeof(sb->active), ns_names(clone_flags(sb), buf, sizeof(buf)));

	sb->landlock_abi = ward_landlock_abi();
	if (p->mode == WARD_MODE_AUDIT) {
		/* audit observes; Landlock could only block */
	} else if (sb->landlock_abi > 0) {
		snprintf(buf, sizeof(buf), "landlock(abi %d)", sb->landlock_abi);
		list_add(sb->active, sizeof(sb->active), buf);
	} else {
		list_add(sb->missing, sizeof(sb->missing), "landlock");
	}
	list_add(sb->active, sizeof(sb->active), "seccomp(user-notif)");
	list_add(sb->active, sizeof(sb->active), "capabilities");
	list_add(sb->active, sizeof(sb->active), "no_new_privs");

	struct ward_cgroup_limits lim = {
		.mem_max = p->mem_max, .pids_max = p->pids_max, .cpu_max = p->cpu_max};
	char cg_missing[128] = "";
	r = ward_cgroup_create(sb->id, &lim, &sb->cg, cg_missing, sizeof(cg_missing), &err);
	if (r < 0 && geteuid() != 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
		/* An ordinary user without a delegated cgroup: no limits and no cgroup-attached
		 * monitors. A missing protection like any other: refused unless --allow-degraded.
		 */
		ward_log("warning: %s: as uid %u without a delegated cgroup there are no limits "
			 "and no cgroup-attached monitors",
			 err.msg, (unsigned)geteuid());
		list_add(sb->missing, sizeof(sb->missing), "cgroup");
		sb->cg = NULL;
		r = 0;
	}
	if (r < 0)
		goto fail;
	if (cg_missing[0]) {
		char *save = NULL;
		for (char *t = strtok_r(cg_missing, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			snprintf(buf, sizeof(buf), "cgroup:%s", t);
			list_add(sb->missing, sizeof(sb->missing), buf);
		}
	}
	if (lim.mem_max || lim.pids_max || lim.cpu_max > 0) {
		struct ward_cgroup_info ci;
		if (ward_cgroup_probe(&ci) >= 0) {
			snprintf(buf, sizeof(buf), "cgroup(%s)", ci.backend);
			list_add(sb->active, sizeof(sb->active), buf);
		}
	}
	if (p->wall_ns)
		list_add(sb->active, sizeof(sb->active), "timeout");

	/* WARD_MONITORS=off (benchmarks of the other layers): counted as missing, so it needs
	 * --allow-degraded like any other protection that is not there. */
	if (ward_hooks.monitors_off) {
		list_add(sb->missing, sizeof(sb->missing), "bpf-monitors(off)");
	} else if (ward_cgroup_v2_fd(sb->cg) >= 0) {
		sb->want_monitors = true; /* loaded and attached while init builds the view */
	} else {
		list_add(sb->missing, sizeof(sb->missing), "bpf-monitors");
	}

	/* Fail closed: a protection the profile asks for that this host cannot give. */
	if (sb->missing[0] && !sb->allow_degraded) {
		ward_log("cannot apply: %s (this host lacks them); --allow-degraded runs "
			 "anyway and lists them in the start event",
			 sb->missing);
		return -EOPNOTSUPP;
	}
	return 0;
fail:
	ward_log("%s", err.msg);
	return r;
}

/* Loads (or reuses the pinned set) and attaches the BPF monitors to the sandbox cgroup. Runs
 * while init builds the mount view; a failure refuses the run unless --allow-degraded. */
static int monitors_start(struct ward_sandbox *sb, struct ward_error *err)
{
	struct ward_monitor_opts mo = {
		.profile = sb->profile, .events = &sb->ev, .gpu_nodes = sb->gpu_nodes};
	int r;

	r = ward_monitor_open(&mo, &sb->mon, err);
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
			list_add(sb->active, sizeof(sb->active), "bpf-monitors(net/device)");
			list_add(sb->missing, sizeof(sb->missing), "bpf-monitors(file/exec)");
			return 0;
		}
	}
	if (r >= 0) {
		list_add(sb->active, sizeof(sb->active), "bpf-monitors");
		return 0;
	}
	ward_monitor_close(sb->mon);
	sb->mon = NULL;
	if (!sb->allow_degraded)
		return r;
	ward_log("warning: monitors: %s", err->msg);
	list_add(sb->missing, sizeof(sb->missing), "monitors");
	return 0;
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
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
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
	char *save = NULL, list[512];

	ward_event_begin(&sb->ev, &j, "lifecycle", "allow", false, sb->init_pid, "ward", NULL);
	ward_json_str(&j, "event", "start");
	ward_json_str(&j, "profile", p->name);
	ward_json_str(&j, "mode", p->mode == WARD_MODE_AUDIT ? "audit" : "enforce");
	ward_json_str(&j, "ward_version", WARD_VERSION);
	ward_json_array_open(&j, "command");
	for (char **a = sb->argv; *a; a++)
		ward_json_str(&j, NULL, *a);
	ward_json_array_close(&j);
	ward_json_object_open(&j, "layers");
	ward_json_array_open(&j, "active");
	snprintf(list, sizeof(list), "%s", sb->active);
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ward_json_str(&j, NULL, t);
	ward_json_array_close(&j);
	ward_json_array_open(&j, "missing");
	snprintf(list, sizeof(list), "%s", sb->missing);
	save = NULL;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ward_json_str(&j, NULL, t);
	ward_json_array_close(&j);
	ward_json_object_close(&j);
	if (sb->mon)
		ward_monitor_layers(sb->mon, &j);
	ward_json_int(&j, "landlock_abi", sb->landlock_abi);
	struct ward_cgroup_info ci;
	if (ward_cgroup_probe(&ci) >= 0)
		ward_json_str(&j, "cgroup", ci.backend);
	ward_json_uint(&j, "cgroup_id", ward_cgroup_id(sb->cg));
	ward_event_emit(&sb->ev, &j);
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
	sigemptyset(&set);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = prepare(sb);
	if (r < 0)
		goto out;
	r = spawn(sb);
	if (r < 0) {
		ward_log("creating the sandbox (clone3): %s", strerror(-r));
		goto out;
	}
	r = ward_userns_setup_parent(sb, sb->init_pid, &err);
	if (r >= 0) {
		/* Joining a v1 cgroup costs an RCU grace period (cgroup_threadgroup_rwsem), up to
		 * 10 ms here: let init build the view meanwhile; it waits for CGROUPS before it
		 * starts the workload, so nothing the workload does escapes the limits. */
		m.type = WARD_MSG_GO;
		m.code = 1;
		r = ward_msg_send(sb->sync_fd, &m, -1);
	}
	if (r >= 0 && sb->cg)
		r = ward_cgroup_attach(sb->cg, sb->init_pid);
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
			ward_log("%s", err.msg);
			kill(sb->init_pid, SIGKILL);
			waitpid(sb->init_pid, NULL, 0);
			goto out;
		}
	}
	/* Compiled while init builds the view; init falls back to compiling itself. */
	int prog_fd = ward_seccomp_export(sb->sc);
	m = (struct ward_msg){.type = WARD_MSG_CGROUPS};
	ward_msg_send(sb->sync_fd, &m, prog_fd);
	if (prog_fd >= 0)
		close(prog_fd);

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
		} else {
			ward_log("the sandbox's init died during setup (status 0x%x)", ws);
		}
		if (lfd >= 0)
			close(lfd);
		goto out;
	}
	sb->notify_fd = lfd;
	sb->landlock_abi = m.aux;
	start_event(sb);
	status = ward_supervise(sb);
out:
	cleanup(sb);
	return status;
}
