// SPDX-License-Identifier: MIT
/*
 * eBPF monitors, user side: loads and verifies bpf/monitor.bpf.c (or reuses the set pinned
 * under /sys/fs/bpf/ward/<build tag>/, pin.c), has the per-sandbox policy maps filled
 * (policy.c), attaches the cgroup programs to the sandbox cgroup, and releases it all at the
 * end. Records become events in events.c.
 *
 * Everything in the maps is keyed by the sandbox's cgroup id, so one set of programs serves any
 * number of sandboxes; each sandbox gets its own ring buffer (a slot of the pinned pool, claimed
 * with an flock, or a private load's `ring`), so a supervisor never reads another sandbox's
 * records. Nothing per launch updates a map-in-map: that waits for an RCU grace period.
 *
 * Costs that shaped this (measured on the 2-core reference machine): loading the object takes
 * 12-16 ms (8 ms of it parsing vmlinux BTF for CO-RE), reusing pinned programs well under 1 ms;
 * detaching a tracepoint/ link 65-90 ms against 0.1 ms for raw_tp; waking the reader for each
 * record slows the traced process 2.3x, batched wake-ups 1.3x.
 */
#include <linux/types.h>

#include "common/hooks.h"
#include "common/macro.h"
#include "monitor/internal.h"
#include "monitor.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const ward_monitor_map_names[M__N] = {"members",   "rings",	  "stats",   "paths",
						  "net_allow", "devices", "gpu_use", "exec_ok"};

/* Cgroup programs, attached per sandbox. */
const struct ward_cg_prog ward_monitor_cg_progs[N_CG] = {
	{"ward_connect4", BPF_CGROUP_INET4_CONNECT, false},
	{"ward_connect6", BPF_CGROUP_INET6_CONNECT, false},
	{"ward_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, false},
	{"ward_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, false},
	{"ward_bind4", BPF_CGROUP_INET4_BIND, false},
	{"ward_bind6", BPF_CGROUP_INET6_BIND, false},
	{"ward_dev", BPF_CGROUP_DEVICE, true},
};

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf logs verifier output to stderr by default; WARD_BPF_DEBUG=1 shows it. */
	if (ward_hooks.bpf_debug)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* WARD_MONITOR_TIMING=1: the cost of each step of open/attach/close on stderr, to find where
 * launch time goes (docs/monitors.md quotes the figures). */
void ward_monitor_timing(const char *step)
{
	static int on = -1;
	static struct timespec last;
	struct timespec now;

	if (on < 0)
		on = ward_hooks.monitor_timing;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (step)
		fprintf(stderr, "ward monitor timing: %-28s %8.3f ms\n", step,
			(now.tv_sec - last.tv_sec) * 1e3 + (now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

void ward_monitor_fds_init(struct ward_monitor *m)
{
	for (int i = 0; i < M__N; i++)
		m->map_fd[i] = -1;
	for (size_t i = 0; i < N_CG; i++)
		m->prog_fd[i] = m->link_fd[i] = -1;
	m->ring_fd = -1;
	m->slot_fd = -1;
}

/* Loads the object; the syscall programs are attached (tp_btf links owned by the skeleton).
 * pool_slots > 0: the pinned layout (a pool of rings in `rings`, filled by the caller);
 * 0: a private load for one sandbox whose records go to `ring`, sized here before load. */
int ward_monitor_load_fresh(struct ward_monitor *m, bool attach_files, unsigned pool_slots,
			    struct ward_error *err)
{
	struct monitor_bpf *s;
	int r;

	libbpf_set_print(silent_print);
	/* CO-RE against the minimal BTF where it was cut from this kernel (monitor/btf.c) */
	_cleanup_close_ int btf_fd = ward_monitor_min_btf_fd();
	char btf_path[64];
	snprintf(btf_path, sizeof(btf_path), "/proc/self/fd/%d", btf_fd);
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_fd >= 0 ? btf_path : NULL);
	s = monitor_bpf__open_opts(&oo);
	if (!s)
		return ward_error_set(err, -errno ?: -ENOMEM, "opening the BPF monitors: %m");
	ward_monitor_timing("bpf open");
	if (!attach_files) {
		bpf_program__set_autoload(s->progs.ward_sys_exit, false);
		bpf_program__set_autoload(s->progs.ward_exec_check, false);
	}
	/* BPF LSM where it loads (not on the reference machine: EPERM); else exec.allow is
	 * enforced by killing the new image (sched_process_exec) */
	if (!attach_files || !ward_monitor_probe_lsm())
		bpf_program__set_autoload(s->progs.ward_bprm_check, false);
	s->rodata->pooled = pool_slots > 0;
	r = bpf_map__set_max_entries(s->maps.rings, pool_slots ?: 1);
	/* the inner template stays a page: map-in-map checks type and flags, not max_entries */
	if (r >= 0)
		r = bpf_map__set_max_entries(
			s->maps.ring, pool_slots ? (size_t)sysconf(_SC_PAGESIZE) : m->ring_bytes);
	if (r >= 0)
		r = monitor_bpf__load(s);
	ward_monitor_timing("bpf load (verifier)");
	if (r < 0 && attach_files) {
		/* The syscall programs need CO-RE reads and bpf_loop (5.17); without them the
		 * network and device programs still work: run with the file monitor off. */
		monitor_bpf__destroy(s);
		return ward_monitor_load_fresh(m, false, pool_slots, err);
	}
	if (r < 0) {
		monitor_bpf__destroy(s);
		return ward_error_set(err, r,
				      "loading the BPF monitors: %s (WARD_BPF_DEBUG=1 shows "
				      "the verifier log)",
				      strerror(-r));
	}
	if (attach_files) {
		s->links.ward_sys_exit = bpf_program__attach(s->progs.ward_sys_exit);
		if (!s->links.ward_sys_exit) {
			r = -errno;
			monitor_bpf__destroy(s);
			return ward_error_set(err, r, "attaching tp_btf/sys_exit: %s",
					      strerror(-r));
		}
		ward_monitor_timing("attach sys_exit");
		s->links.ward_exec_check = bpf_program__attach(s->progs.ward_exec_check);
		if (!s->links.ward_exec_check) {
			r = -errno;
			monitor_bpf__destroy(s);
			return ward_error_set(err, r, "attaching tp_btf/sched_process_exec: %s",
					      strerror(-r));
		}
		if (bpf_program__autoload(s->progs.ward_bprm_check)) {
			s->links.ward_bprm_check = bpf_program__attach(s->progs.ward_bprm_check);
			m->lsm = s->links.ward_bprm_check != NULL;
		}
		m->exec_mech = m->lsm ? "lsm" : "tp_btf";
	}
	m->skel = s;
	m->files = attach_files;
	for (int i = 0; i < M__N; i++)
		m->map_fd[i] = bpf_object__find_map_fd_by_name(s->obj, ward_monitor_map_names[i]);
	for (size_t i = 0; i < N_CG; i++)
		m->prog_fd[i] = bpf_program__fd(
			bpf_object__find_program_by_name(s->obj, ward_monitor_cg_progs[i].name));
	if (!pool_slots)
		m->ring_fd = bpf_map__fd(s->maps.ring);
	return 0;
}

void ward_monitor_fds_close(struct ward_monitor *m)
{
	for (int i = 0; i < M__N; i++)
		if (m->pinned && m->map_fd[i] >= 0)
			close(m->map_fd[i]);
	for (size_t i = 0; i < N_CG; i++)
		if (m->pinned && m->prog_fd[i] >= 0)
			close(m->prog_fd[i]);
	/* a private ring belongs to the skeleton */
	if (m->pinned && m->ring_fd >= 0)
		close(m->ring_fd);
	if (m->slot_fd >= 0)
		close(m->slot_fd);
	ward_monitor_fds_init(m);
}

static size_t ring_size(const struct ward_monitor_opts *o)
{
	size_t n = o->ringbuf_bytes ? o->ringbuf_bytes : WARD_RINGBUF_DEFAULT;
	long page = sysconf(_SC_PAGESIZE);

	if (ward_hooks.ringbuf_bytes)
		n = ward_hooks.ringbuf_bytes;
	/* a ring buffer is a power-of-two number of pages */
	if (n < (size_t)page)
		n = page;
	while (n & (n - 1))
		n &= n - 1;
	return n;
}

/* ---- public API -------------------------------------------------------------------------- */

int ward_monitor_open(const struct ward_monitor_opts *o, struct ward_monitor **ret,
		      struct ward_error *err)
{
	struct ward_monitor *m;
	int r;

	if (!o || !o->profile || !ret)
		return ward_error_set(err, -EINVAL, "ward_monitor_open: missing arguments");
	ward_monitor_timing(NULL);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ward_error_set(err, -ENOMEM, "out of memory");
	ward_monitor_fds_init(m);
	for (size_t i = 0; i < WARD_ANSWERED_N; i++)
		m->answered[i].nr = -1;
	m->p = o->profile;
	m->ev = o->events;
	m->ring_bytes = ring_size(o);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		r = ward_error_set(err, m->ncpus ?: -EINVAL, "counting possible CPUs");
		goto fail;
	}
	ward_dev_majors_load(NULL, &m->majors);

	r = ward_monitor_policy_build(m, o->gpu_nodes);
	if (r >= 0)
		r = ward_monitor_exec_build(m, o->command);
	if (r < 0) {
		r = ward_error_set(err, r, "building the monitors' policy: %s", strerror(-r));
		goto fail;
	}

	ward_monitor_timing("policy built");

	/* WARD_BPF_NO_SYSCALL_PROGS=1 loads as a kernel would where the syscall programs fail
	 * (tests of that fallback) */
	bool no_sys = ward_hooks.bpf_no_syscall_progs;
	if (!no_sys && !ward_hooks.bpf_no_pinned && ward_monitor_load_pinned(m) >= 0) {
		ward_monitor_timing("hooks linked (or shared)");
	} else {
		ward_monitor_fds_close(m);
		m->pinned = false;
		r = ward_monitor_load_fresh(m, !no_sys, 0, err);
		if (r < 0)
			goto fail;
	}
	*ret = m;
	return 0;
fail:
	ward_monitor_close(m);
	return r;
}

int ward_monitor_attach(struct ward_monitor *m, int cgroup_v2_fd, uint64_t cgroup_id,
			struct ward_error *err)
{
	int r;

	if (!m || cgroup_v2_fd < 0 || !cgroup_id)
		return ward_error_set(err, -EINVAL, "ward_monitor_attach: no v2 cgroup");
	m->cgid = cgroup_id;
	ward_monitor_timing(NULL);
	r = ward_monitor_policy_fill(m);
	if (r < 0)
		return ward_error_set(err, r, "filling the monitors' maps: %s", strerror(-r));
	m->attached = true;
	ward_monitor_timing("policy maps filled");
	for (size_t i = 0; i < N_CG; i++) {
		m->link_fd[i] = bpf_link_create(m->prog_fd[i], cgroup_v2_fd,
						ward_monitor_cg_progs[i].type, NULL);
		if (m->link_fd[i] < 0)
			return ward_error_set(err, -errno, "attaching %s to the sandbox cgroup: %m",
					      ward_monitor_cg_progs[i].name);
	}
	ward_monitor_timing("cgroup programs linked (7)");
	return 0;
}

/* Mapping the ring populates its page tables (0.2 ms for the default 4 MiB, mapped twice):
 * done once init may go on, records wait in the kernel's ring meanwhile. */
int ward_monitor_map_ring(struct ward_monitor *m, struct ward_error *err)
{
	ward_monitor_timing(NULL);
	m->rb = ring_buffer__new(m->ring_fd, ward_monitor_on_record, m, NULL);
	if (!m->rb)
		return ward_error_set(err, -errno, "mapping the BPF ring buffer: %m");
	ward_monitor_timing("ring buffer mapped");
	return 0;
}

bool ward_monitor_files_active(struct ward_monitor *m)
{
	return m && m->files;
}

void ward_monitor_layers(struct ward_monitor *m, struct ward_json *j)
{
	if (!m)
		return;
	/* exec: lsm where bprm_check_security enforces exec.allow, else tp_btf (sys_exit reports,
	 * sched_process_exec kills) */
	ward_json_str(j, "monitors",
		      !m->files ? "net:cgroup/sock_addr,device:cgroup/dev"
		      : m->lsm	? "file:tp_btf,exec:lsm,net:cgroup/sock_addr,device:cgroup/dev"
				: "file:tp_btf,exec:tp_btf,net:cgroup/sock_addr,device:cgroup/dev");
	ward_json_str(j, "bpf", m->pinned ? "pinned" : "loaded");
}

void ward_monitor_close(struct ward_monitor *m)
{
	if (!m)
		return;
	ward_monitor_timing(NULL);
	/* Detach first, then leave the maps: the cgroup programs refuse non-members. */
	for (size_t i = 0; i < N_CG; i++)
		if (m->link_fd[i] >= 0)
			close(m->link_fd[i]);
	for (size_t i = 0; i < N_CG; i++)
		m->link_fd[i] = -1;
	ward_monitor_timing("cgroup links closed");
	if (m->attached)
		ward_monitor_policy_clear(m);
	ward_monitor_timing("policy maps cleared");
	ring_buffer__free(m->rb);
	ward_monitor_hooks_release(m);
	ward_monitor_timing("hooks released (last sandbox: detached)");
	ward_monitor_fds_close(m);
	monitor_bpf__destroy(m->skel);
	ward_monitor_timing("programs released");
	ward_pathset_free(&m->view);
	free(m->devkeys);
	free(m->netkeys);
	free(m->gpus);
	free(m->execkeys);
	free(m->execflags);
	free(m->command);
	free(m->bound);
	free(m);
}
