/* SPDX-License-Identifier: MIT */
/*
 * eBPF monitors (monitor.c, bpf/monitor.bpf.c): the contract between the supervisor and the BPF side.
 * The supervisor calls, in order:
 *   ward_monitor_open()      before clone: load (or reuse pinned) programs, fill policy maps
 *   ward_monitor_attach()    before clone: attach cgroup programs to the sandbox's v2 cgroup and
 *                            add its cgroup id to the membership map (the child is cloned
 *                            straight into that cgroup, so nothing it does is missed)
 *   ward_monitor_fd() + ward_monitor_poll()   in the epoll loop: ring buffer -> JSON events
 *   ward_monitor_finish()    after the workload exited: drain, loss totals, per-GPU counters
 *                            added to the exit event
 *   ward_monitor_close()     detach, remove the sandbox from the maps
 */
#pragma once

#include "ward.h"

struct ward_monitor;

/* What this kernel supports, for `ward features` and the start event. */
struct ward_monitor_features {
	bool btf;	      /* /sys/kernel/btf/vmlinux */
	bool ringbuf;
	bool raw_tp, tp_btf, tracepoint, fentry, lsm;
	bool cgroup_dev, cgroup_sock_addr, cgroup_skb, cgroup_sysctl;
	/* Per monitor: "lsm", "raw_tp", "tp_btf", "cgroup/dev", ... or "off". */
	const char *file_mech, *exec_mech, *net_mech, *dev_mech;
};
int ward_monitor_probe(struct ward_monitor_features *ret);

struct ward_monitor_opts {
	const struct ward_profile *profile;
	struct ward_events *events; /* where events go */
	const char *sandbox_root;   /* not needed by most; may be NULL */
	size_t ringbuf_bytes;	    /* 0: default */
};
int ward_monitor_open(const struct ward_monitor_opts *o, struct ward_monitor **ret,
		      struct ward_error *err);
int ward_monitor_attach(struct ward_monitor *m, int cgroup_v2_fd, uint64_t cgroup_id,
			struct ward_error *err);
/* false when the syscall programs (file and exec monitors) could not be loaded and only the
 * cgroup programs (network, devices) run. */
bool ward_monitor_files_active(struct ward_monitor *m);
/* For the start event: "monitors" (each with its mechanism, e.g.
 * "file:tp_btf,exec:tp_btf,net:cgroup/sock_addr,device:cgroup/dev") and "bpf" (pinned|loaded). */
void ward_monitor_layers(struct ward_monitor *m, struct ward_json *j); /* adds keys to j */
int ward_monitor_fd(struct ward_monitor *m);
int ward_monitor_poll(struct ward_monitor *m); /* consume what is ready, never blocks */
/* Adds exit-event fields (lost, gpu counters) to j. */
void ward_monitor_finish(struct ward_monitor *m, struct ward_json *j);
void ward_monitor_close(struct ward_monitor *m); /* NULL ok */

/* Device nodes the profile's gpu.allow / --gpu puts into the sandbox's /dev, as host paths
 * under dev_root ("/dev" normally), NULL-terminated, malloc'd; the caller frees. */
int ward_gpu_nodes(const struct ward_profile *p, const char *dev_root, char ***ret_paths,
		   struct ward_error *err);

/* ---- appended by the monitors (gpu.c, pathmatch.c, monitor.c) --------------------------- */

/* `ward monitor --pin | --unpin | --status`: load the programs once and pin them under
 * /sys/fs/bpf/ward/<build tag>/ so later launches reuse them (see docs/monitors.md). */
int ward_monitor_pin_main(int argc, char **argv);

/* Ring buffer size for tests: WARD_RINGBUF_BYTES in the environment overrides opts when set
 * (a power of two >= 4096; the loss test uses a tiny ring). */
#define WARD_RINGBUF_ENV "WARD_RINGBUF_BYTES"
/* Where ward_monitor_open() looks for GPU nodes (tests point it at a temp dir of mknod'ed
 * fake nodes); the supervisor should pass the same to ward_gpu_nodes(). */
#define WARD_DEV_ROOT_ENV "WARD_DEV_ROOT"
/* How often the supervisor must call ward_monitor_poll() even without an epoll wake-up:
 * ordinary records do not wake the reader until the ring is 1/8 full. */
#define WARD_MONITOR_POLL_MS 25

/* gpu.c: device classification for device events. Majors that drivers register dynamically
 * are read from /proc/devices. */
struct ward_dev_majors {
	int nvidia_uvm, nvidia_caps, kfd, drm, accel; /* -1: not registered */
};
int ward_dev_majors_load(const char *proc_devices, struct ward_dev_majors *ret);
struct ward_devinfo {
	const char *cls;    /* "gpu", "memory", "block", "tty", "other" */
	const char *vendor; /* "nvidia", "amd", "intel/dri", "accel", "" */
	char name[32];	    /* "nvidia0", "nvidiactl", "renderD128", "mem", ... or "" */
	int gpu;	    /* GPU index for nvidia N, render node N-128, accel N; else -1 */
};
void ward_dev_classify(const struct ward_dev_majors *m, char dev_type, unsigned major,
		       unsigned minor, struct ward_devinfo *ret);

/* pathmatch.c: paths as the sandbox sees them. */
/* Joins path to base when relative (base absolute, may be NULL for "/") and removes ".",
 * "..", "//" and a trailing "/"; ".." at the root stays at the root. -ENAMETOOLONG, -EINVAL. */
int ward_path_normalize(const char *base, const char *path, char *out, size_t out_len);
/* Is path equal to prefix or below it (at a '/' boundary)? Both normalized. */
bool ward_path_under(const char *path, const char *prefix);
/* FNV-1a 64 of n bytes: the BPF side hashes path prefixes the same way. */
uint64_t ward_path_hash(const char *s, size_t n);

enum ward_path_cls_u { /* same values as enum ward_path_class in include/ward/events.h */
	WARD_PCU_NONE = 0,
	WARD_PCU_SKEL,
	WARD_PCU_RO,
	WARD_PCU_RW,
	WARD_PCU_TMPFS,
	WARD_PCU_DEV,
	WARD_PCU_IMPLICIT,
	WARD_PCU_DENY,
};
struct ward_path_entry {
	char *path;	  /* normalized, absolute, as seen in the sandbox */
	int cls;	  /* enum ward_path_cls_u */
	bool exact;	  /* matches only the path itself (SKEL parents, device nodes) */
	const char *list; /* "filesystem.readonly", ... for the event's rule */
};
struct ward_pathset {
	struct ward_path_entry *v;
	size_t n;
};
/* The view of a profile: its filesystem lists, --bind targets, extra device nodes (GPU nodes
 * as seen in the sandbox, may be NULL), what every sandbox has (/proc, /dev/pts, /dev/shm...)
 * and the directories above all of them. */
int ward_pathset_build(const struct ward_profile *p, char *const *extra_devices,
		       struct ward_pathset *ret);
/* Class of a normalized absolute path: deny anywhere above wins, else the longest match;
 * ret_entry (may be NULL) gets the deciding entry or NULL. */
int ward_pathset_classify(const struct ward_pathset *s, const char *path,
			  const struct ward_path_entry **ret_entry);
/* Would this access be a violation? write: the operation may modify the path. */
bool ward_path_violation(int cls, bool write);
void ward_pathset_free(struct ward_pathset *s);
