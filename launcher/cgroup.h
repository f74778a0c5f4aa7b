/* SPDX-License-Identifier: MIT */
/* cgroups (cgroup.c): v2, or v1 for limits on hybrid hosts; the backend chosen once. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"

struct ward_cgroup;
struct ward_cgroup_limits {
	uint64_t mem_max, pids_max;
	double cpu_max;
};
/* Layout of this host, for `ward features` and for choosing the backend. */
struct ward_cgroup_info {
	char v2_mount[256];	  /* "" if no cgroup2 */
	char v2_controllers[256]; /* controllers available to ward's v2 parent */
	bool v1_memory, v1_pids, v1_cpu;
	const char *backend; /* "v2", "hybrid" (v2 for identity, v1 for limits), "v1" or "none" */
};
int ward_cgroup_probe(struct ward_cgroup_info *ret);
/* Creates ward's cgroup(s) for this sandbox and applies the limits. Limits that cannot be
 * applied are listed in ret_missing (comma separated, e.g. "cpu") rather than failing. */
int ward_cgroup_create(const char *id, const struct ward_cgroup_limits *lim,
		       struct ward_cgroup **ret, char *ret_missing, size_t missing_len,
		       struct ward_error *err);
/* The limits asked for that no controller of this host can apply (also in ret_missing). */
enum {
	WARD_CGROUP_MISSING_MEMORY = 1 << 0,
	WARD_CGROUP_MISSING_PIDS = 1 << 1,
	WARD_CGROUP_MISSING_CPU = 1 << 2,
};
unsigned ward_cgroup_missing(const struct ward_cgroup *cg);
int ward_cgroup_v2_fd(struct ward_cgroup *cg);	 /* for CLONE_INTO_CGROUP / BPF attach; -1 */
uint64_t ward_cgroup_id(struct ward_cgroup *cg); /* v2 cgroup id (inode), 0 if none */
int ward_cgroup_attach(struct ward_cgroup *cg, pid_t pid); /* v1 hierarchies (v2 by clone) */
/* The same in a thread: on a hybrid host the first v1 cgroup.procs write of a while waits an
 * RCU grace period (cgroup_threadgroup_rwsem's rcu_sync), so the caller starts the monitors
 * meanwhile. _end() joins it and returns ward_cgroup_attach()'s result; destroy joins too. */
/* Moves the calling thread into the sandbox's v1 cgroups so that a clone it makes is born
 * there (no grace period, see cgroup.c); _leave() moves it back (destroy does too). */
int ward_cgroup_clone_enter(struct ward_cgroup *cg);
void ward_cgroup_clone_leave(struct ward_cgroup *cg);
int ward_cgroup_attach_begin(struct ward_cgroup *cg, pid_t pid);
int ward_cgroup_attach_end(struct ward_cgroup *cg);
/* The sandbox's own cgroup as the runtime inside should see it at /sys/fs/cgroup (mount.c
 * binds each entry read-only). root: the host has cgroup2 only, entry 0 (the v2 directory)
 * is /sys/fs/cgroup itself. Otherwise each entry is a directory of /sys/fs/cgroup named after
 * its hierarchy's mount point on the host ("memory", "cpu,cpuacct", "unified"), and aliases
 * are the controller names of a co-mounted one ("cpu" -> "cpu,cpuacct"), as on the host. */
#define WARD_CGROUP_VIEW_MAX 4
struct ward_cgroup_view {
	bool root;
	size_t n;
	struct {
		const char *host; /* the sandbox's directory in that hierarchy */
		char name[64];
	} e[WARD_CGROUP_VIEW_MAX];
};
int ward_cgroup_view(const struct ward_cgroup *cg, struct ward_cgroup_view *ret);
int ward_cgroup_oom_kills(struct ward_cgroup *cg, uint64_t *ret);
/* Forks and clones the pids limit refused ("max" of pids.events, v2 and v1); 0 without it. */
int ward_cgroup_pids_max_hits(struct ward_cgroup *cg, uint64_t *ret);
int ward_cgroup_kill(struct ward_cgroup *cg);	  /* SIGKILL every process in it */
void ward_cgroup_destroy(struct ward_cgroup *cg); /* kill, wait until empty, rmdir; NULL ok */
