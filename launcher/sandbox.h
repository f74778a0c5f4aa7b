/* SPDX-License-Identifier: MIT */
/* The sandbox context and the phases of `ward run` (see the privilege model in run.c). */
#pragma once

#include "ward.h"

#include <signal.h>

struct ward_monitor;

struct ward_sandbox {
	struct ward_profile *profile;
	char id[64];
	char **argv; /* the workload's command */
	bool allow_degraded;
	bool want_monitors; /* prepare() found the monitors wanted; run.c starts them */
	char *cwd; /* caller's cwd, used inside when visible */

	/* identity: the sandbox user inside, and the host ids it maps to */
	bool privileged; /* ward runs as root in the initial user namespace */
	uid_t host_uid;
	gid_t host_gid;

	/* layers */
	int landlock_abi; /* 0: unavailable */
	char active[512]; /* comma-separated, for the start event */
	char missing[256];
	char **gpu_nodes; /* host device nodes to bind into /dev (NULL-terminated) */

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
	uint64_t start_ns;
};

/* Messages on the SOCK_SEQPACKET sync socket between the supervisor and init. */
enum ward_msg_type {
	WARD_MSG_GO = 1,   /* supervisor -> init: maps written, cgroups joined */
	WARD_MSG_ERROR,	   /* init -> supervisor: setup failed (code = exit status) */
	WARD_MSG_READY,	   /* init -> supervisor: workload exec'd; seccomp listener attached */
	WARD_MSG_EXIT,	   /* init -> supervisor: workload wait status in code */
	WARD_MSG_CGROUPS,  /* supervisor -> init: v1 cgroups joined (GO had code 1) */
};
struct ward_msg {
	int type;
	int code;  /* exit status for ERROR, wait status for EXIT */
	int err;   /* errno */
	int aux;   /* READY: landlock ABI in use; workload pid (in the sandbox) in err */
	char text[512];
};
int ward_msg_send(int fd, const struct ward_msg *m, int pass_fd);
int ward_msg_recv(int fd, struct ward_msg *m, int *ret_fd);

/* run.c: the orchestrator (supervisor side). Returns the exit status for ward. */
int ward_run(struct ward_sandbox *sb);
/* init.c: PID 1 inside; never returns. */
_Noreturn void ward_init_main(struct ward_sandbox *sb, int sync_fd);

/* userns.c */
int ward_userns_setup_parent(struct ward_sandbox *sb, pid_t pid, struct ward_error *err);
int ward_userns_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* mount.c: builds the view and pivots into it. */
int ward_mount_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* net.c */
int ward_net_setup_child(struct ward_sandbox *sb, struct ward_error *err);
/* caps.c: drops every capability not in the profile, from every set incl. bounding. */
int ward_caps_drop_child(struct ward_sandbox *sb, struct ward_error *err);
int ward_caps_validate(const struct ward_profile *p, struct ward_error *err);
/* landlock.c */
int ward_landlock_abi(void);
int ward_landlock_apply_child(struct ward_sandbox *sb, struct ward_error *err);
/* supervisor.c: event loop until init exits; returns ward's exit status. */
int ward_supervise(struct ward_sandbox *sb);
/* features.c */
int ward_features_main(int argc, char **argv);

/* Logging for the CLI (stderr), printf-style. */
void ward_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t ward_now_ns(void); /* CLOCK_MONOTONIC */
const char *ward_signal_name(int sig); /* "SIGTERM" */
int ward_write_file(const char *path, const char *s); /* -errno */
