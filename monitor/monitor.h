/* SPDX-License-Identifier: MIT */
/*
 * eBPF monitors (monitor/, bpf/): the contract between the supervisor and the BPF side. The
 * supervisor calls, in order:
 *   ward_monitor_open()      load (or reuse pinned) programs, build the policy
 *   ward_monitor_attach()    while init builds the view, before the workload starts: fill the
 *                            policy maps, attach the cgroup programs to the sandbox's v2 cgroup
 *                            and add its cgroup id to the membership map (init waits for this,
 *                            so nothing the workload does is missed)
 *   ward_monitor_map_ring()  once init may start the workload (off the launch's critical
 *                            path): map the ring buffer; records wait in the kernel until then
 *   ward_monitor_fd() + ward_monitor_poll()   in the epoll loop: ring buffer -> JSON events
 *   ward_monitor_finish()    after the workload exited: drain, loss totals, per-GPU counters
 *                            added to the exit event
 *   ward_monitor_close()     detach, remove the sandbox from the maps
 */
#pragma once

#include "common/json.h"
#include "common/log.h"
#include "events/event.h"
#include "profile/profile.h"

struct ward_monitor;
struct ward_gpu_node; /* monitor/gpu.h */

/* What this kernel supports, for `ward features` and the start event. */
struct ward_monitor_features {
	bool btf; /* /sys/kernel/btf/vmlinux */
	bool ringbuf;
	bool raw_tp, tp_btf, tracepoint, fentry, lsm;
	bool cgroup_dev, cgroup_sock_addr, cgroup_skb, cgroup_sysctl;
	/* Per monitor: "lsm", "raw_tp", "tp_btf", "cgroup/dev", ... or "off". */
	const char *file_mech, *exec_mech, *net_mech, *dev_mech;
	/* CO-RE relocations: "minimal" (the BTF cut at build time, this is its kernel) or
	 * "vmlinux" (the whole /sys/kernel/btf/vmlinux; slower to load). */
	const char *core_btf;
};
int ward_monitor_probe(struct ward_monitor_features *ret);
/* Whether a BPF LSM program loads here (one probe load). */
bool ward_monitor_probe_lsm(void);

struct ward_monitor_opts {
	const struct ward_profile *profile;
	struct ward_events *events; /* where events go */
	const char *sandbox_root;   /* not needed by most; may be NULL */
	size_t ringbuf_bytes;	    /* 0: default */
	/* The sandbox's GPU nodes (ward_gpu_nodes(), computed once by the orchestrator), ended
	 * by host == NULL; NULL: none. */
	const struct ward_gpu_node *gpu_nodes;
	/* The command ward was asked to run (argv, NULL-ended): it stays allowed by exec.allow
	 * enforcement. NULL: none. */
	char *const *command;
};
int ward_monitor_open(const struct ward_monitor_opts *o, struct ward_monitor **ret,
		      struct ward_error *err);
int ward_monitor_attach(struct ward_monitor *m, int cgroup_v2_fd, uint64_t cgroup_id,
			struct ward_error *err);
int ward_monitor_map_ring(struct ward_monitor *m, struct ward_error *err);
/* false when the syscall programs (file and exec monitors) could not be loaded and only the
 * cgroup programs (network, devices) run. */
bool ward_monitor_files_active(struct ward_monitor *m);
/* For the start event: "monitors" (each with its mechanism, e.g.
 * "file:tp_btf,exec:tp_btf,net:cgroup/sock_addr,device:cgroup/dev") and "bpf" (pinned|loaded). */
void ward_monitor_layers(struct ward_monitor *m, struct ward_json *j); /* adds keys to j */
/* The sandbox's init (PID 1 inside, host pid): its root is the sandbox's view, used to look
 * at a path after the process that touched it has exited. */
void ward_monitor_set_init(struct ward_monitor *m, pid_t init_pid);
/* The supervisor answered a notified syscall of thread tid (and reported it): the monitors
 * do not report its failure again when they see it at sys_exit. */
void ward_monitor_seccomp_answered(struct ward_monitor *m, pid_t tid, int nr);
int ward_monitor_fd(struct ward_monitor *m);
int ward_monitor_poll(struct ward_monitor *m); /* consume what is ready, never blocks */
/* Adds exit-event fields (lost, gpu counters) to j. */
void ward_monitor_finish(struct ward_monitor *m, struct ward_json *j);
void ward_monitor_close(struct ward_monitor *m); /* NULL ok */

/* `ward monitor --pin | --unpin | --status`: load the programs once and pin them under
 * /sys/fs/bpf/ward/<build tag>/ so later launches reuse them (see docs/monitors.md). */
/* cg_v2: the cgroup2 mount (for the cgroup that keeps the kernel's cgroup-BPF keys on while
 * the set is pinned); NULL or "": none. */
int ward_monitor_pin_main(int argc, char **argv, const char *cg_v2);

/* Test knobs (common/hooks.h): ward_hooks.ringbuf_bytes overrides opts (the loss test uses a
 * tiny ring). */
/* How often the supervisor must call ward_monitor_poll() even without an epoll wake-up:
 * ordinary records do not wake the reader until the ring is 1/8 full. */
#define WARD_MONITOR_POLL_MS 25
