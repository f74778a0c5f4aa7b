/* SPDX-License-Identifier: MIT */
/* Private to the monitor subsystem (load.c, pin.c, policy.c, events.c) and its unit tests. */
#pragma once

#include <linux/types.h>
#include <bpf/bpf.h>

#include "ward/events.h"
#include "common/macro.h"
#include "events/event.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

enum { M_MEMBERS, M_RINGS, M_STATS, M_PATHS, M_NET, M_DEVICES, M_GPU_USE, M_EXEC_OK, M__N };
#define N_CG 7

/* The maps user space fills or reads and the cgroup programs it attaches, by their names in the
 * object (load.c), in the order of M_* and of link_fd[]. */
extern const char *const ward_monitor_map_names[M__N];
struct ward_cg_prog {
	const char *name;
	enum bpf_attach_type type;
	bool dev;
};
extern const struct ward_cg_prog ward_monitor_cg_progs[N_CG];

struct gpu_dev {
	struct ward_dev_key key;
	struct ward_devinfo info;
};

/* Syscalls the supervisor answered (and reported) from seccomp notifications, most recent
 * first out: their failure seen again at sys_exit is not a second event. */
#define WARD_ANSWERED_N 64
struct ward_answered {
	uint32_t tid;
	int nr; /* -1: free */
};

struct ward_monitor {
	const struct ward_profile *p;
	struct ward_answered answered[WARD_ANSWERED_N];
	pid_t init_pid; /* 0: unknown */
	unsigned answered_next;
	unsigned answered_live; /* notes in answered[] with nr != -1 */
	struct ward_events *ev;
	struct monitor_bpf *skel; /* NULL when the pinned programs are reused */
	bool pinned;
	bool files; /* the sys_exit program is attached (by us or pinned) */
	int map_fd[M__N];
	int prog_fd[N_CG];
	int link_fd[N_CG];
	int ring_fd; /* pinned: our pool slot's ring; private: the skeleton's `ring` */
	int slot_fd; /* flock'ed lock file of the pool slot, -1: private load */
	unsigned slot;
	bool hooks_ref; /* pinned: this sandbox linked or shares the hook links (pin.c) */
	struct ring_buffer *rb;
	size_t ring_bytes;
	uint64_t cgid;
	bool attached;
	int ncpus;

	struct ward_pathset view;
	/* the last path the file records classified (a burst repeats one): events.c */
	struct {
		char path[WARD_PATH_MAX];
		size_t len; /* 0: empty */
		int cls;
		const struct ward_path_entry *e;
	} last_cls;
	struct ward_dev_majors majors;
	struct ward_dev_key *devkeys;
	size_t n_devkeys;
	struct ward_net_key *netkeys;
	size_t n_netkeys;
	struct gpu_dev *gpus;
	size_t n_gpus;
	struct ward_exec_key *execkeys; /* exec_ok entries, flags in execflags */
	__u32 *execflags;
	size_t n_execkeys;
	char *command; /* the command ward was asked to run, as exec'd (absolute when found) */
	const char *exec_mech; /* "lsm", "tp_btf" (sched_process_exec) or NULL: not enforced */
	bool lsm;	       /* the bprm_check_security program is attached */
	/* abstract unix names the sandbox bound itself (audit mode judges connects by them) */
	char (*bound)[WARD_UNIX_PATH];
	size_t n_bound;

	uint64_t delivered, lost_reported, bad_records;
	/* A unix record whose verdict needs /proc/net/unix: copied in the ring buffer callback,
	 * judged after it (ward_monitor_deferred_run()). */
	struct ward_unix_rec deferred;
	bool has_deferred;
	uint64_t loss_checked_ms; /* CLOCK_MONOTONIC_COARSE of the last counter read */
	uint64_t consume_ns; /* WARD_MONITOR_TIMING: thread CPU time spent in ward_monitor_poll */
	char pin_dir[256];
};

/* load.c */
void ward_monitor_timing(const char *step); /* WARD_MONITOR_TIMING: NULL starts a series */
void ward_monitor_fds_init(struct ward_monitor *m);
void ward_monitor_fds_close(struct ward_monitor *m);
/* Loads the object, attaching sys_exit when attach_files; pool_slots > 0: the pinned layout. */
int ward_monitor_load_fresh(struct ward_monitor *m, bool attach_files, unsigned pool_slots,
			    struct ward_error *err);

/* pin.c: reuses the pinned set and claims a ring of its pool; < 0: load privately. */
int ward_monitor_load_pinned(struct ward_monitor *m);
/* pin.c: the last sandbox of the pool detaches the hook programs; call before the slot goes. */
void ward_monitor_hooks_release(struct ward_monitor *m);
/* btf.c: the minimal BTF cut at build time, when this kernel is the one it was cut from. */
bool ward_monitor_min_btf_usable(void);
int ward_monitor_min_btf_fd(void); /* a memfd holding it, or -errno (-ENOENT: not usable) */
/* This kernel's BTF id of bpf_lsm_bprm_check_security as the build recorded it: > 0, 0 (the
 * build host's kernel has none), -1 (another kernel: look it up). */
int ward_monitor_min_btf_lsm_id(void);

/* policy.c; exec.c: exec.allow and the command -> exec_ok entries */
int ward_monitor_exec_build(struct ward_monitor *m, char *const *command);

int ward_monitor_policy_build(struct ward_monitor *m, const struct ward_gpu_node *gpu_nodes);
int ward_monitor_policy_fill(struct ward_monitor *m); /* m->cgid set */
void ward_monitor_policy_clear(struct ward_monitor *m);

/* events.c: one ring buffer record -> at most one JSON event. A record whose verdict needs a
 * scan of /proc/net/unix is judged before this returns; in the ring buffer callback
 * (ward_monitor_on_record) it is kept and judged once ring_buffer__consume() has returned. */
int ward_monitor_handle_record(struct ward_monitor *m, const void *data, size_t size);
int ward_monitor_on_record(void *ctx, void *data, size_t size);
/* LPM entries for network.allow (exposed for the unit test); returns how many. The arrays hold
 * 2 * n entries: a "*" address is one entry per family. */
int ward_monitor_net_entries(const struct ward_net_rule *rules, size_t n, uint64_t cgid,
			     struct ward_net_key *ret_keys, struct ward_net_val *ret_vals);
/* The `paths` LPM entry for view entry i (exposed for the unit test): 1, or 0 when the path is
 * too long for a key, -EINVAL. */
int ward_monitor_path_entry(const struct ward_pathset *view, size_t i, uint64_t cgid,
			    struct ward_path_key *ret_key, struct ward_path_val *ret_val);

/* events.c helpers shared with syscalls.c */
void ward_monitor_comm_copy(char dst[17], const char src[16]);
void ward_monitor_result_fields(struct ward_json *j, int64_t ret);
/* syscalls.c: was this failed syscall answered (and reported) by seccomp? Consumes the note. */
bool ward_monitor_seccomp_reported(struct ward_monitor *m, uint32_t tid, int nr);
int ward_monitor_handle_ns(struct ward_monitor *m, const struct ward_ns_rec *r, size_t size);
int ward_monitor_handle_signal(struct ward_monitor *m, const struct ward_ns_rec *r, size_t size);
