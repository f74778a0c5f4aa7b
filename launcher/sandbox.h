/* SPDX-License-Identifier: MIT */
/* The sandbox context and the phases of `ward run` (see the privilege model in run.c). */
#pragma once

#include "common/log.h"
#include "common/macro.h"
#include "common/util.h"
#include "common/syscall.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/cgroup.h"
#include "launcher/layers.h"
#include "launcher/msg.h"
#include "launcher/seccomp.h"
#include "profile/profile.h"

#include <signal.h>

struct ward_monitor;
struct ward_gpu_node; /* monitor/gpu.h */

struct ward_sandbox {
	struct ward_profile *profile;
	char id[64];
	char **argv; /* the workload's command */
	bool allow_degraded;
	bool want_monitors; /* prepare() found the monitors wanted; run.c starts them */
	char *cwd;	    /* caller's cwd, used inside when visible */
	int cwd_errno;	    /* init: why chdir(cwd) failed in the view (0: it did not) */

	/* identity: the sandbox user inside, and the host ids it maps to */
	bool privileged; /* ward runs as root in the initial user namespace */
	uid_t host_uid;
	gid_t host_gid;

	/* layers */
	int landlock_abi;		 /* 0: unavailable */
	struct ward_layers layers;	 /* active and missing, for the start event */
	struct ward_gpu_node *gpu_nodes; /* GPU nodes, host -> inside (ended by host NULL) */

	/* runtime, supervisor side */
	struct ward_events ev;
	struct ward_seccomp *sc;
	struct ward_cgroup *cg;
	struct ward_monitor *mon;
	pid_t init_pid;
	int init_pidfd;
	int sync_fd;
	int notify_fd;
	int sc_prog_fd; /* init: compiled seccomp program from the supervisor, -1 if none */
	int sysctl_fd;	/* init: /proc/sys/user, for the namespace limits after the view */
	uint64_t start_ns;
};

/* run.c: the orchestrator (supervisor side). Returns the exit status for ward. */
int ward_run(struct ward_sandbox *sb);
/* run.c: with WARD_MONITOR_TIMING=1, "step" and the time since the launch began on stderr. */
void ward_launch_timing(const struct ward_sandbox *sb, const char *step);
/* init.c: the forwarded signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) and
 * SIGCHLD, blocked by the supervisor before clone and read through signalfds. */
void ward_forwarded_sigset(sigset_t *set);
/* tmpfs.c: the sandbox's tmpfs mounts, watched for ENOSPC (a lifecycle event "tmpfs_full"). */
struct ward_tmpfs_entry {
	int fd; /* O_PATH, inside the view */
	const char *path;
	uint64_t size;
	bool reported;
};
struct ward_tmpfs_watch {
	struct ward_tmpfs_entry *e;
	size_t n;
};
/* After READY: opens each filesystem.tmpfs mount through /proc/<init>/root. */
int ward_tmpfs_watch_open(struct ward_tmpfs_watch *w, const struct ward_sandbox *sb);
/* Emits tmpfs_full, once per mount, for each that has no free block or inode left. */
void ward_tmpfs_watch_check(struct ward_tmpfs_watch *w, struct ward_sandbox *sb);
void ward_tmpfs_watch_close(struct ward_tmpfs_watch *w);

/* init.c, in the supervisor before clone: makes limits.nofile possible for init (whose
 * setrlimit runs in a new user namespace, where the hard limit can only go down) by raising
 * ward's own hard limit when it is lower; refuses naming limits.nofile when it cannot. */
int ward_rlimits_prepare_parent(const struct ward_profile *p, struct ward_error *err);
/* init.c: PID 1 inside; never returns. */
_Noreturn void ward_init_main(struct ward_sandbox *sb, int sync_fd);

/* userns.c */
int ward_userns_setup_parent(struct ward_sandbox *sb, pid_t pid, struct ward_error *err);
int ward_userns_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* mount.c: filesystem.deny by object: each denied host path is also denied wherever a bind
 * shows it under another name (supervisor, before clone). */
int ward_mount_expand_deny(struct ward_profile *p, struct ward_error *err);
/* mount.c: builds the view and pivots into it; sets cwd_errno when the caller's directory is
 * not in it (init then starts in /). */
int ward_mount_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* mount.c, supervisor: the warning for a cwd_errno that init reported (READY's code). */
void ward_mount_cwd_warning(const struct ward_sandbox *sb, int e);
/* net.c */
int ward_net_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* caps.c: drops every capability not in the profile, from every set incl. bounding. */
int ward_caps_drop_child(struct ward_sandbox *sb, struct ward_error *err);
int ward_caps_validate(const struct ward_profile *p, struct ward_error *err);
/* landlock.c */
int ward_landlock_abi(void);
int ward_landlock_apply_child(struct ward_sandbox *sb, struct ward_error *err);
/* sysctl.c: vm.memfd_noexec (before the uid switch), then user.max_*_namespaces = 0 (after the
 * mount view, before capabilities are dropped). */
bool ward_sysctl_memfd_noexec_available(void);
int ward_sysctl_setup_early(struct ward_sandbox *sb, struct ward_error *err);
int ward_sysctl_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* supervisor.c: event loop until init exits; returns ward's exit status. */
int ward_supervise(struct ward_sandbox *sb);
/* supervisor.c: the final lifecycle event (exit). */
void ward_exit_event(struct ward_sandbox *sb, int status, int sig, bool timed_out, uint64_t ooms);
/* features.c */
int ward_features_main(int argc, char **argv);
