/* SPDX-License-Identifier: MIT */
/* Private to the monitor subsystem (load.c, events.c). */
#pragma once

#include <linux/types.h>

#include "ward/events.h"
#include "common/macro.h"
#include "events/event.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

enum { M_MEMBERS, M_RINGS, M_STATS, M_PATHS, M_NET, M_DEVICES, M_GPU_USE, M__N };
#define N_CG 7

struct gpu_dev {
	struct ward_dev_key key;
	struct ward_devinfo info;
};

struct ward_monitor {
	const struct ward_profile *p;
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
	struct ring_buffer *rb;
	size_t ring_bytes;
	uint64_t cgid;
	bool attached;
	int ncpus;

	struct ward_pathset view;
	struct ward_dev_majors majors;
	struct ward_dev_key *devkeys;
	size_t n_devkeys;
	struct ward_net_key *netkeys;
	size_t n_netkeys;
	struct gpu_dev *gpus;
	size_t n_gpus;

	uint64_t delivered, lost_reported, bad_records;
	uint64_t loss_checked_ms; /* CLOCK_MONOTONIC_COARSE of the last counter read */
	char pin_dir[256];
};

/* monitor_events.c: one ring buffer record -> at most one JSON event. */
int ward_monitor_handle_record(struct ward_monitor *m, const void *data, size_t size);
/* LPM entries for network.allow (exposed for the unit test); returns how many. */
int ward_monitor_net_entries(const struct ward_net_rule *rules, size_t n, uint64_t cgid,
			     struct ward_net_key *ret_keys, struct ward_net_val *ret_vals);
/* The `paths` LPM entry for view entry i (exposed for the unit test): 1, or 0 when the path is
 * too long for a key, -EINVAL. */
int ward_monitor_path_entry(const struct ward_pathset *view, size_t i, uint64_t cgid,
			    struct ward_path_key *ret_key, struct ward_path_val *ret_val);
