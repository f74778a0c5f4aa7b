// SPDX-License-Identifier: MIT
/*
 * eBPF monitors, user side: loads bpf/monitor.bpf.c (or reuses the copy pinned under
 * /sys/fs/bpf/ward/<build tag>/), fills the per-sandbox policy maps, attaches the cgroup
 * programs to the sandbox cgroup, and turns ring buffer records into JSON events.
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
#include "ward/events.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"
#include "monitor.skel.h"
#include "monitor/internal.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#define BPFFS_MAGIC 0xcafe4a11
#define PIN_ROOT    "/sys/fs/bpf/ward"
/* Lock files of the pinned ring buffer pool: a sandbox owns slot N while it holds an flock on
 * LOCK_ROOT/<build tag>/slot.N (released by the kernel when the process dies, however it dies). */
#define LOCK_ROOT "/run/ward/monitor-slots"
/* The pool: WARD_POOL_SLOTS sandboxes at once use the pinned programs with a ring each of the
 * default size (64 MiB of kernel memory in all); more, or another ring size, load privately. */
#define WARD_POOL_SLOTS 16

static const char *const map_names[M__N] = {"members",	 "rings",   "stats",  "paths",
					    "net_allow", "devices", "gpu_use"};

/* Cgroup programs, attached per sandbox. */
struct cg_prog {
	const char *name;
	enum bpf_attach_type type;
	bool dev;
};
static const struct cg_prog cg_progs[] = {
	{"ward_connect4", BPF_CGROUP_INET4_CONNECT, false},
	{"ward_connect6", BPF_CGROUP_INET6_CONNECT, false},
	{"ward_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, false},
	{"ward_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, false},
	{"ward_bind4", BPF_CGROUP_INET4_BIND, false},
	{"ward_bind6", BPF_CGROUP_INET6_BIND, false},
	{"ward_dev", BPF_CGROUP_DEVICE, true},
};
_Static_assert(ARRAY_SIZE(cg_progs) == N_CG, "cg_progs");

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf logs verifier output to stderr by default; WARD_BPF_DEBUG=1 shows it. */
	if (ward_hooks.bpf_debug)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* WARD_MONITOR_TIMING=1: the cost of each step of open/attach/close on stderr, to find where
 * launch time goes (docs/monitors.md quotes the figures). */
static void timing(const char *step)
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

/* Programs pinned by one build must not be reused by another (record layouts change): the
 * pin directory is named after a hash of the BPF object. */
static void build_tag(char *buf, size_t n)
{
	size_t sz = 0;
	const void *elf = monitor_bpf__elf_bytes(&sz);

	snprintf(buf, n, "%016llx", (unsigned long long)ward_path_hash(elf, sz));
}

static void pin_dir_path(char *buf, size_t n)
{
	char tag[32];

	build_tag(tag, sizeof(tag));
	snprintf(buf, n, "%s/%s", PIN_ROOT, tag);
}

static int bpffs_ensure(void)
{
	struct statfs sf;

	if (statfs("/sys/fs/bpf", &sf) == 0 && (unsigned long)sf.f_type == BPFFS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

static void fds_init(struct ward_monitor *m)
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
static int load_fresh(struct ward_monitor *m, bool attach_files, unsigned pool_slots,
		      struct ward_error *err)
{
	struct monitor_bpf *s;
	int r;

	libbpf_set_print(silent_print);
	s = monitor_bpf__open();
	if (!s)
		return ward_error_set(err, -errno ?: -ENOMEM, "opening the BPF monitors: %m");
	timing("bpf open");
	if (!attach_files)
		bpf_program__set_autoload(s->progs.ward_sys_exit, false);
	s->rodata->pooled = pool_slots > 0;
	r = bpf_map__set_max_entries(s->maps.rings, pool_slots ?: 1);
	/* the inner template stays a page: map-in-map checks type and flags, not max_entries */
	if (r >= 0)
		r = bpf_map__set_max_entries(
			s->maps.ring, pool_slots ? (size_t)sysconf(_SC_PAGESIZE) : m->ring_bytes);
	if (r >= 0)
		r = monitor_bpf__load(s);
	timing("bpf load (verifier)");
	if (r < 0 && attach_files) {
		/* The syscall programs need CO-RE reads and bpf_loop (5.17); without them the
		 * network and device programs still work: run with the file monitor off. */
		monitor_bpf__destroy(s);
		return load_fresh(m, false, pool_slots, err);
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
		timing("attach sys_exit");
	}
	m->skel = s;
	m->files = attach_files;
	for (int i = 0; i < M__N; i++)
		m->map_fd[i] = bpf_object__find_map_fd_by_name(s->obj, map_names[i]);
	for (size_t i = 0; i < N_CG; i++)
		m->prog_fd[i] =
			bpf_program__fd(bpf_object__find_program_by_name(s->obj, cg_progs[i].name));
	if (!pool_slots)
		m->ring_fd = bpf_map__fd(s->maps.ring);
	return 0;
}

static void lock_dir_path(char *buf, size_t n)
{
	char tag[32];

	build_tag(tag, sizeof(tag));
	snprintf(buf, n, "%s/%s", LOCK_ROOT, tag);
}

/* Claims a free ring of the pinned pool: an flock on its lock file, starting at a slot that
 * depends on the pid so concurrent launches rarely try the same one first. The ring must have
 * the size this sandbox asked for. */
static int slot_claim(struct ward_monitor *m)
{
	char dir[256], path[PATH_MAX];
	unsigned start = getpid();

	lock_dir_path(dir, sizeof(dir));
	for (unsigned k = 0; k < WARD_POOL_SLOTS; k++) {
		unsigned slot = (start + k) % WARD_POOL_SLOTS;
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info), id = 0;
		int fd, rfd;

		snprintf(path, sizeof(path), "%s/slot.%u", dir, slot);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == ENOENT) {
			/* /run is a tmpfs: the lock directory goes away at reboot, the pins too */
			if ((mkdir("/run/ward", 0755) < 0 && errno != EEXIST) ||
			    (mkdir(LOCK_ROOT, 0700) < 0 && errno != EEXIST) ||
			    (mkdir(dir, 0700) < 0 && errno != EEXIST))
				return -errno;
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		}
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue;
		}
		if (bpf_map_lookup_elem(m->map_fd[M_RINGS], &slot, &id) < 0 ||
		    (rfd = bpf_map_get_fd_by_id(id)) < 0) {
			close(fd);
			return -errno;
		}
		if (bpf_obj_get_info_by_fd(rfd, &info, &len) < 0 ||
		    info.max_entries != m->ring_bytes) {
			close(rfd);
			close(fd);
			return -ENOSPC;
		}
		m->slot = slot;
		m->slot_fd = fd;
		m->ring_fd = rfd;
		return 0;
	}
	return -EBUSY;
}

/* Reuses programs pinned by `ward monitor --pin`: a few bpf_obj_get() calls instead of a load. */
static int load_pinned(struct ward_monitor *m)
{
	char path[PATH_MAX];
	struct stat st;

	pin_dir_path(m->pin_dir, sizeof(m->pin_dir));
	for (int i = 0; i < M__N; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, map_names[i]);
		m->map_fd[i] = bpf_obj_get(path);
		if (m->map_fd[i] < 0)
			return -errno;
	}
	for (size_t i = 0; i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, cg_progs[i].name);
		m->prog_fd[i] = bpf_obj_get(path);
		if (m->prog_fd[i] < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/link_sys_exit", m->pin_dir);
	m->files = stat(path, &st) == 0;
	m->pinned = true;
	return slot_claim(m);
}

static void fds_close(struct ward_monitor *m)
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
	fds_init(m);
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

/* ---- policy -------------------------------------------------------------------------------- */

/* /dev/mem, /dev/kmem and /dev/port give raw access to physical memory and I/O ports: never
 * allowed in a sandbox, even when a profile lists them. */
static bool dev_forbidden(__u32 type, __u32 major, __u32 minor)
{
	return type == WARD_DEV_CHAR && major == 1 && (minor == 1 || minor == 2 || minor == 4);
}

static int devkey_add(struct ward_monitor *m, __u32 type, __u32 major, __u32 minor)
{
	struct ward_dev_key *v;

	if (dev_forbidden(type, major, minor))
		return 0;

	for (size_t i = 0; i < m->n_devkeys; i++)
		if (m->devkeys[i].dev_type == type && m->devkeys[i].major == major &&
		    m->devkeys[i].minor == minor)
			return 0;
	v = realloc(m->devkeys, (m->n_devkeys + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->devkeys = v;
	v[m->n_devkeys++] = (struct ward_dev_key){.dev_type = type, .major = major, .minor = minor};
	return 0;
}

static int gpu_add(struct ward_monitor *m, const char *path, unsigned maj, unsigned min)
{
	struct gpu_dev *g;

	for (size_t i = 0; i < m->n_gpus; i++)
		if (m->gpus[i].key.major == maj && m->gpus[i].key.minor == min)
			return 0;
	g = realloc(m->gpus, (m->n_gpus + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	m->gpus = g;
	g = &m->gpus[m->n_gpus++];
	g->key = (struct ward_dev_key){.dev_type = WARD_DEV_CHAR, .major = maj, .minor = min};
	ward_dev_classify(&m->majors, 'c', g->key.major, g->key.minor, &g->info);
	if (!g->info.name[0]) {
		const char *base = strrchr(path, '/');

		snprintf(g->info.name, sizeof(g->info.name), "%s", base ? base + 1 : path);
	}
	return 0;
}

static int devkey_add_path(struct ward_monitor *m, const char *path, bool gpu)
{
	const char *base = strrchr(path, '/');
	struct stat st;
	unsigned idx;
	char c;
	__u32 type;
	int r;

	base = base ? base + 1 : path;
	/* gpu.allow: [N] means NVIDIA GPU N, 195:N, whatever the node in /dev says: a node named
	 * nvidia0 with another minor is another GPU and stays refused. */
	if (gpu && !m->p->gpu_all && sscanf(base, "nvidia%u%c", &idx, &c) == 1) {
		r = devkey_add(m, WARD_DEV_CHAR, 195, idx);
		return r < 0 ? r : gpu_add(m, path, 195, idx);
	}
	if (stat(path, &st) < 0)
		return 0; /* absent nodes are not bound into the sandbox either */
	if (S_ISCHR(st.st_mode))
		type = WARD_DEV_CHAR;
	else if (S_ISBLK(st.st_mode))
		type = WARD_DEV_BLOCK;
	else
		return 0;
	r = devkey_add(m, type, major(st.st_rdev), minor(st.st_rdev));
	if (r < 0 || !gpu || type != WARD_DEV_CHAR)
		return r;
	return gpu_add(m, path, major(st.st_rdev), minor(st.st_rdev));
}

static int policy_devices(struct ward_monitor *m, char **gpu_nodes)
{
	const struct ward_profile *p = m->p;
	int r;

	/* What the sandbox's /dev always has: the pty multiplexer and its pts (devpts). */
	r = devkey_add(m, WARD_DEV_CHAR, 5, 2);
	if (r >= 0)
		r = devkey_add(m, WARD_DEV_CHAR, 136, WARD_DEV_MINOR_ANY);
	for (size_t i = 0; r >= 0 && i < p->fs_devices.n; i++)
		r = devkey_add_path(m, p->fs_devices.v[i].s, false);
	for (size_t i = 0; r >= 0 && gpu_nodes && gpu_nodes[i]; i++)
		r = devkey_add_path(m, gpu_nodes[i], true);
	/* GPUs by number too, so the filter holds whatever the nodes in /dev are named. */
	for (size_t i = 0; r >= 0 && !p->gpu_all && i < p->n_gpus; i++)
		r = devkey_add(m, WARD_DEV_CHAR, 195, p->gpus[i]);
	if (r >= 0 && (p->gpu_all || p->n_gpus)) {
		r = devkey_add(m, WARD_DEV_CHAR, 195, 255);
		if (r >= 0 && m->majors.nvidia_uvm >= 0)
			r = devkey_add(m, WARD_DEV_CHAR, m->majors.nvidia_uvm, 0);
		if (r >= 0 && m->majors.nvidia_uvm >= 0)
			r = devkey_add(m, WARD_DEV_CHAR, m->majors.nvidia_uvm, 1);
	}
	return r;
}

static bool prefix_covers(const struct ward_net_rule *wide, const struct ward_net_rule *narrow)
{
	unsigned bits = wide->prefixlen;

	if (wide->family != narrow->family || wide->op != narrow->op ||
	    wide->prefixlen > narrow->prefixlen)
		return false;
	for (unsigned i = 0; i < bits / 8; i++)
		if (wide->addr[i] != narrow->addr[i])
			return false;
	if (bits % 8) {
		uint8_t mask = 0xff << (8 - bits % 8);

		if ((wide->addr[bits / 8] & mask) != (narrow->addr[bits / 8] & mask))
			return false;
	}
	return true;
}

/* LPM gives the longest prefix only, so each entry carries the port ranges of every rule whose
 * prefix covers it: 127.0.0.0/8:80 and 127.0.0.1:443 both hold for 127.0.0.1. */
int ward_monitor_net_entries(const struct ward_net_rule *rules, size_t n, uint64_t cgid,
			     struct ward_net_key *ret_keys, struct ward_net_val *ret_vals)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ward_net_rule *r = &rules[i];
		struct ward_net_key k = {0};
		struct ward_net_val v = {0};
		unsigned alen = r->family == AF_INET ? 4 : 16;
		bool dup = false;

		if ((r->family != AF_INET && r->family != AF_INET6) || r->prefixlen > alen * 8)
			return -EINVAL;
		k.prefixlen = 96 + r->prefixlen;
		k.cgid_lo = (__u32)cgid;
		k.cgid_hi = cgid >> 32;
		k.op = r->op;
		k.family = r->family;
		for (unsigned b = 0; b < r->prefixlen; b += 8) {
			unsigned left = r->prefixlen - b;

			k.addr[b / 8] = r->addr[b / 8] & (left >= 8 ? 0xff : (0xff << (8 - left)));
		}
		for (size_t j = 0; j < out; j++)
			if (memcmp(&ret_keys[j], &k, sizeof(k)) == 0)
				dup = true;
		if (dup)
			continue;
		for (size_t j = 0; j < n && v.n < WARD_NET_PORTS_MAX; j++) {
			if (!prefix_covers(&rules[j], r))
				continue;
			v.lo[v.n] = rules[j].port_lo;
			v.hi[v.n] = rules[j].port_hi;
			v.rule[v.n] = j;
			v.n++;
		}
		ret_keys[out] = k;
		ret_vals[out] = v;
		out++;
	}
	return out;
}

/* The LPM entry of view entry i: the key path with a trailing '/', the class of the path
 * itself and of a path below it (a child name no entry has), both from
 * ward_pathset_classify(), so the kernel and user space cannot disagree. 0: the path is too
 * long for a key (a path under it is as long, and the kernel leaves those to user space). */
int ward_monitor_path_entry(const struct ward_pathset *view, size_t i, uint64_t cgid,
			    struct ward_path_key *ret_key, struct ward_path_val *ret_val)
{
	const char *p = view->v[i].path;
	size_t n = strlen(p);
	char child[PATH_MAX];
	int cls, below;

	if (n == 0 || p[0] != '/')
		return -EINVAL;
	if (n + 1 > WARD_LPM_PATH - 1)
		return 0;
	memset(ret_key, 0, sizeof(*ret_key));
	memcpy(ret_key->cgid, &cgid, sizeof(cgid));
	memcpy(ret_key->path, p, n);
	if (p[n - 1] != '/')
		ret_key->path[n++] = '/';
	ret_key->prefixlen = 64 + 8 * n;
	/* "\x01": a name no profile entry has, so only entries above match it */
	snprintf(child, sizeof(child), "%s/\x01", strcmp(p, "/") ? p : "");
	cls = ward_pathset_classify(view, p, NULL);
	below = ward_pathset_classify(view, child, NULL);
	if (cls < 0 || below < 0)
		return -EINVAL;
	*ret_val = (struct ward_path_val){.cls = cls, .below = below, .len = n};
	return 1;
}

static int path_entry(struct ward_monitor *m, size_t i, struct ward_path_key *k,
		      struct ward_path_val *v)
{
	return ward_monitor_path_entry(&m->view, i, m->cgid, k, v);
}

static int policy_fill(struct ward_monitor *m)
{
	const struct ward_profile *p = m->p;
	struct ward_sandbox_cfg cfg = {0};
	struct stat st;
	_cleanup_free_ struct ward_stats *zero = NULL;
	_cleanup_free_ struct ward_net_val *vals = NULL;
	int r;

	/* paths */
	for (size_t i = 0; i < m->view.n; i++) {
		struct ward_path_key k;
		struct ward_path_val v;

		if (path_entry(m, i, &k, &v) <= 0)
			continue;
		if (bpf_map_update_elem(m->map_fd[M_PATHS], &k, &v, BPF_ANY) < 0)
			return -errno;
	}
	/* network */
	if (p->n_net_allow) {
		m->netkeys = calloc(p->n_net_allow, sizeof(*m->netkeys));
		vals = calloc(p->n_net_allow, sizeof(*vals));
		if (!m->netkeys || !vals)
			return -ENOMEM;
		r = ward_monitor_net_entries(p->net_allow, p->n_net_allow, m->cgid, m->netkeys,
					     vals);
		if (r < 0)
			return r;
		m->n_netkeys = r;
		for (size_t i = 0; i < m->n_netkeys; i++)
			if (bpf_map_update_elem(m->map_fd[M_NET], &m->netkeys[i], &vals[i],
						BPF_ANY) < 0)
				return -errno;
	}
	/* devices */
	for (size_t i = 0; i < m->n_devkeys; i++) {
		__u32 acc = WARD_DEV_ACC_READ | WARD_DEV_ACC_WRITE;

		m->devkeys[i].cgid = m->cgid;
		if (bpf_map_update_elem(m->map_fd[M_DEVICES], &m->devkeys[i], &acc, BPF_ANY) < 0)
			return -errno;
	}
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct ward_gpu_use u = {0};

		m->gpus[i].key.cgid = m->cgid;
		if (bpf_map_update_elem(m->map_fd[M_GPU_USE], &m->gpus[i].key, &u, BPF_ANY) < 0)
			return -errno;
	}
	/* counters, then the ring, then membership: from here on records flow */
	zero = calloc(m->ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->map_fd[M_STATS], &m->cgid, zero, BPF_ANY) < 0)
		return -errno;
	if (p->mode == WARD_MODE_AUDIT)
		cfg.flags |= WARD_CFG_AUDIT;
	if (p->events_allowed)
		cfg.flags |= WARD_CFG_ALLOWED;
	if (m->files)
		cfg.flags |= WARD_CFG_FILES;
	if (m->n_gpus)
		cfg.flags |= WARD_CFG_GPU;
	cfg.wake_bytes = m->ring_bytes / 8;
	cfg.slot = m->slot;
	if (stat("/proc/self/exe", &st) == 0) {
		cfg.self_ino = st.st_ino;
		/* the kernel's internal dev_t: MINORBITS = 20 */
		cfg.self_dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	}
	if (bpf_map_update_elem(m->map_fd[M_MEMBERS], &m->cgid, &cfg, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static void policy_clear(struct ward_monitor *m)
{
	/* Programs loaded by this process go away with it, maps and all: deleting entries would
	 * only cost time. Pinned maps outlive us and must be cleaned: plain hash deletes, none
	 * of which waits for RCU (the ring stays in the pool; only map-in-map updates wait). */
	if (m->map_fd[M_MEMBERS] < 0 || !m->cgid || !m->pinned)
		return;
	bpf_map_delete_elem(m->map_fd[M_MEMBERS], &m->cgid);
	for (size_t i = 0; i < m->view.n; i++) {
		struct ward_path_key k;
		struct ward_path_val v;

		if (path_entry(m, i, &k, &v) > 0)
			bpf_map_delete_elem(m->map_fd[M_PATHS], &k);
	}
	for (size_t i = 0; i < m->n_netkeys; i++)
		bpf_map_delete_elem(m->map_fd[M_NET], &m->netkeys[i]);
	for (size_t i = 0; i < m->n_devkeys; i++)
		bpf_map_delete_elem(m->map_fd[M_DEVICES], &m->devkeys[i]);
	for (size_t i = 0; i < m->n_gpus; i++)
		bpf_map_delete_elem(m->map_fd[M_GPU_USE], &m->gpus[i].key);
	bpf_map_delete_elem(m->map_fd[M_STATS], &m->cgid);
}

/* ---- records -> events ------------------------------------------------------------------- */

static int on_record(void *ctx, void *data, size_t size)
{
	ward_monitor_handle_record(ctx, data, size);
	return 0;
}

/* ---- public API -------------------------------------------------------------------------- */

int ward_monitor_open(const struct ward_monitor_opts *o, struct ward_monitor **ret,
		      struct ward_error *err)
{
	struct ward_monitor *m;
	const char *dev_root = ward_hooks.dev_root;
	char **gpu_nodes = NULL, **in_box;
	size_t n_gpu;
	int r;

	if (!o || !o->profile || !ret)
		return ward_error_set(err, -EINVAL, "ward_monitor_open: missing arguments");
	timing(NULL);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ward_error_set(err, -ENOMEM, "out of memory");
	fds_init(m);
	m->p = o->profile;
	m->ev = o->events;
	m->ring_bytes = ring_size(o);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		r = ward_error_set(err, m->ncpus ?: -EINVAL, "counting possible CPUs");
		goto fail;
	}
	ward_dev_majors_load(NULL, &m->majors);

	if (o->profile->gpu_all || o->profile->n_gpus) {
		r = ward_gpu_nodes(o->profile, dev_root ? dev_root : "/dev", &gpu_nodes, err);
		if (r < 0)
			goto fail;
	}
	/* GPU nodes appear in the sandbox as /dev/<name> (/dev/dri/<name> for render nodes) */
	for (n_gpu = 0; gpu_nodes && gpu_nodes[n_gpu]; n_gpu++)
		;
	in_box = calloc(n_gpu + 1, sizeof(*in_box));
	r = in_box ? 0 : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n_gpu; i++) {
		const char *base = strrchr(gpu_nodes[i], '/');

		base = base ? base + 1 : gpu_nodes[i];
		if (asprintf(&in_box[i], strstr(gpu_nodes[i], "/dri/") ? "/dev/dri/%s" : "/dev/%s",
			     base) < 0) {
			in_box[i] = NULL;
			r = -ENOMEM;
		}
	}
	if (r >= 0)
		r = ward_pathset_build(o->profile, in_box, &m->view);
	if (r >= 0)
		r = policy_devices(m, gpu_nodes);
	for (size_t i = 0; i < n_gpu; i++) {
		free(gpu_nodes[i]);
		if (in_box)
			free(in_box[i]);
	}
	free(gpu_nodes);
	free(in_box);
	if (r < 0) {
		r = ward_error_set(err, r, "building the monitors' policy: %s", strerror(-r));
		goto fail;
	}

	timing("policy built");

	/* WARD_BPF_NO_SYSCALL_PROGS=1 loads as a kernel would where the syscall programs fail
	 * (tests of that fallback) */
	bool no_sys = ward_hooks.bpf_no_syscall_progs;
	if (!no_sys && !ward_hooks.bpf_no_pinned && load_pinned(m) >= 0) {
		timing("pinned set reused, slot claimed");
	} else {
		fds_close(m);
		m->pinned = false;
		r = load_fresh(m, !no_sys, 0, err);
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
	timing(NULL);
	m->rb = ring_buffer__new(m->ring_fd, on_record, m, NULL);
	if (!m->rb)
		return ward_error_set(err, -errno, "mapping the BPF ring buffer: %m");
	timing("ring buffer mapped");
	r = policy_fill(m);
	if (r < 0)
		return ward_error_set(err, r, "filling the monitors' maps: %s", strerror(-r));
	m->attached = true;
	timing("policy maps filled");
	for (size_t i = 0; i < N_CG; i++) {
		m->link_fd[i] =
			bpf_link_create(m->prog_fd[i], cgroup_v2_fd, cg_progs[i].type, NULL);
		if (m->link_fd[i] < 0)
			return ward_error_set(err, -errno, "attaching %s to the sandbox cgroup: %m",
					      cg_progs[i].name);
	}
	timing("cgroup programs linked (7)");
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
	ward_json_str(j, "monitors",
		      m->files ? "file:tp_btf,exec:tp_btf,net:cgroup/sock_addr,device:cgroup/dev"
			       : "net:cgroup/sock_addr,device:cgroup/dev");
	ward_json_str(j, "bpf", m->pinned ? "pinned" : "loaded");
}

int ward_monitor_fd(struct ward_monitor *m)
{
	return m && m->rb ? ring_buffer__epoll_fd(m->rb) : -1;
}

static int stats_read(struct ward_monitor *m, uint64_t *ret_produced, uint64_t *ret_lost)
{
	_cleanup_free_ struct ward_stats *v = calloc(m->ncpus, sizeof(*v));

	*ret_produced = *ret_lost = 0;
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->map_fd[M_STATS], &m->cgid, v) < 0)
		return -errno;
	for (int i = 0; i < m->ncpus; i++) {
		*ret_produced += v[i].produced;
		*ret_lost += v[i].lost;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Reading the per-CPU counters is a bpf() syscall: at most once per WARD_MONITOR_POLL_MS while
 * records flow (a burst calls ward_monitor_poll() thousands of times a second), and always at
 * the end (force). */
static void loss_report(struct ward_monitor *m, bool force)
{
	uint64_t produced, lost, now = now_ms();
	struct ward_json j;

	if (!force && now - m->loss_checked_ms < WARD_MONITOR_POLL_MS)
		return;
	m->loss_checked_ms = now;
	if (stats_read(m, &produced, &lost) < 0 || lost <= m->lost_reported)
		return;
	if (m->ev) {
		ward_event_begin(m->ev, &j, "loss", "allow", false, 0, NULL, "monitor.ringbuf");
		ward_json_uint(&j, "lost", lost - m->lost_reported);
		ward_json_uint(&j, "lost_total", lost);
		ward_json_uint(&j, "ringbuf_bytes", m->ring_bytes);
		ward_event_emit(m->ev, &j);
	}
	m->lost_reported = lost;
}

int ward_monitor_poll(struct ward_monitor *m)
{
	int r;

	if (!m || !m->rb)
		return 0;
	r = ring_buffer__consume(m->rb);
	loss_report(m, false);
	return r < 0 ? r : 0;
}

void ward_monitor_finish(struct ward_monitor *m, struct ward_json *j)
{
	uint64_t produced = 0, lost = 0;

	if (!m || !m->attached)
		return;
	ward_monitor_poll(m);
	loss_report(m, true);
	stats_read(m, &produced, &lost);
	ward_json_object_open(j, "monitor_events");
	ward_json_uint(j, "produced", produced);
	ward_json_uint(j, "delivered", m->delivered);
	ward_json_uint(j, "lost", lost);
	ward_json_object_close(j);
	if (!m->n_gpus)
		return;
	ward_json_array_open(j, "gpu");
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct ward_gpu_use u = {0};

		bpf_map_lookup_elem(m->map_fd[M_GPU_USE], &m->gpus[i].key, &u);
		ward_json_object_open(j, NULL);
		ward_json_str(j, "device", m->gpus[i].info.name);
		ward_json_str(j, "vendor", m->gpus[i].info.vendor);
		ward_json_uint(j, "major", m->gpus[i].key.major);
		ward_json_uint(j, "minor", m->gpus[i].key.minor);
		ward_json_uint(j, "opens", u.opens);
		ward_json_uint(j, "ioctls", u.ioctls);
		ward_json_object_close(j);
	}
	ward_json_array_close(j);
}

void ward_monitor_close(struct ward_monitor *m)
{
	if (!m)
		return;
	timing(NULL);
	/* Detach first, then leave the maps: the cgroup programs refuse non-members. */
	for (size_t i = 0; i < N_CG; i++)
		if (m->link_fd[i] >= 0)
			close(m->link_fd[i]);
	for (size_t i = 0; i < N_CG; i++)
		m->link_fd[i] = -1;
	timing("cgroup links closed");
	if (m->attached)
		policy_clear(m);
	timing("policy maps cleared");
	ring_buffer__free(m->rb);
	fds_close(m);
	monitor_bpf__destroy(m->skel);
	timing("programs released");
	ward_pathset_free(&m->view);
	free(m->devkeys);
	free(m->netkeys);
	free(m->gpus);
	free(m);
}

/* ---- ward monitor --pin | --unpin | --status --------------------------------------------- */

static int unpin_dir(const char *dir)
{
	char path[PATH_MAX];
	int r = 0;

	for (int i = 0; i < M__N; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			r = -errno;
	}
	for (size_t i = 0; i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cg_progs[i].name);
		if (unlink(path) < 0 && errno != ENOENT)
			r = -errno;
	}
	/* unlinking the raw_tp links detaches the syscall programs (link_sys_enter: sets
	 * pinned by older builds) */
	snprintf(path, sizeof(path), "%s/link_sys_enter", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link_sys_exit", dir);
	unlink(path);
	if (rmdir(dir) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

/* The ring buffer pool, created once: one batch update of `rings`, so one RCU wait in all
 * (BPF_MAP_UPDATE_BATCH calls maybe_wait_bpf_programs() once, not per element). The outer map
 * holds the rings; our fds can go. */
static int pool_fill(struct ward_monitor *m)
{
	__u32 keys[WARD_POOL_SLOTS], count = WARD_POOL_SLOTS;
	int fds[WARD_POOL_SLOTS], r = 0;

	for (unsigned i = 0; i < WARD_POOL_SLOTS; i++)
		fds[i] = -1;
	for (unsigned i = 0; r >= 0 && i < WARD_POOL_SLOTS; i++) {
		keys[i] = i;
		fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ward_ring", 0, 0, m->ring_bytes,
					NULL);
		if (fds[i] < 0)
			r = -errno;
	}
	if (r >= 0 && bpf_map_update_batch(m->map_fd[M_RINGS], keys, fds, &count, NULL) < 0)
		r = -errno;
	for (unsigned i = 0; i < WARD_POOL_SLOTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static int pin_all(struct ward_error *err)
{
	struct ward_monitor m = {0};
	char path[PATH_MAX], dir[256];
	int r;

	fds_init(&m);
	r = bpffs_ensure();
	if (r < 0)
		return ward_error_set(err, r, "mounting bpffs on /sys/fs/bpf: %s", strerror(-r));
	pin_dir_path(dir, sizeof(dir));
	if (mkdir(PIN_ROOT, 0700) < 0 && errno != EEXIST)
		return ward_error_set(err, -errno, "creating %s: %m", PIN_ROOT);
	snprintf(path, sizeof(path), "%s/members", dir);
	if (access(path, F_OK) == 0)
		return 0; /* already pinned by this build */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ward_error_set(err, -errno, "creating %s: %m", dir);
	m.ring_bytes = WARD_RINGBUF_DEFAULT;
	r = load_fresh(&m, true, WARD_POOL_SLOTS, err);
	if (r < 0)
		return r;
	r = pool_fill(&m);
	/* programs first, then maps in reverse, members last: its presence tells
	 * ward_monitor_open() that the set is complete */
	for (size_t i = 0; r >= 0 && i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cg_progs[i].name);
		r = bpf_program__pin(
			bpf_object__find_program_by_name(m.skel->obj, cg_progs[i].name), path);
	}
	if (r >= 0 && m.files) {
		snprintf(path, sizeof(path), "%s/link_sys_exit", dir);
		r = bpf_link__pin(m.skel->links.ward_sys_exit, path);
	}
	for (int i = M__N - 1; r >= 0 && i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		r = bpf_map__pin(bpf_object__find_map_by_name(m.skel->obj, map_names[i]), path);
	}
	monitor_bpf__destroy(m.skel);
	if (r < 0) {
		unpin_dir(dir);
		return ward_error_set(err, r, "pinning under %s: %s", dir, strerror(-r));
	}
	return 0;
}

/* The pool's lock files: a sandbox still running keeps its lock (and its ring) through its
 * open fds; the files only name the slots. */
static void unlock_dirs(void)
{
	_cleanup_(closedirp) DIR *d = opendir(LOCK_ROOT);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char dir[PATH_MAX], path[PATH_MAX + 16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", LOCK_ROOT, de->d_name);
		for (unsigned i = 0; i < WARD_POOL_SLOTS; i++) {
			snprintf(path, sizeof(path), "%s/slot.%u", dir, i);
			unlink(path);
		}
		rmdir(dir);
	}
	rmdir(LOCK_ROOT);
}

static int unpin_all(struct ward_error *err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	d = opendir(PIN_ROOT);
	if (!d)
		return errno == ENOENT ? 0
				       : ward_error_set(err, -errno, "opening %s: %m", PIN_ROOT);
	while ((de = readdir(d))) {
		char dir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", PIN_ROOT, de->d_name);
		if (unpin_dir(dir) < 0)
			r = ward_error_set(err, -errno, "removing %s: %m", dir);
	}
	if (rmdir(PIN_ROOT) < 0 && errno != ENOENT && r >= 0)
		r = ward_error_set(err, -errno, "removing %s: %m", PIN_ROOT);
	unlock_dirs();
	return r;
}

int ward_monitor_pin_main(int argc, char **argv)
{
	struct ward_error err = {""};
	const char *op = argc > 1 ? argv[1] : "--status";
	char dir[256], path[PATH_MAX];
	int r;

	if (strcmp(op, "--pin") == 0) {
		r = pin_all(&err);
	} else if (strcmp(op, "--unpin") == 0) {
		r = unpin_all(&err);
	} else if (strcmp(op, "--status") == 0) {
		pin_dir_path(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/members", dir);
		printf("%s %s\n", access(path, F_OK) == 0 ? "pinned" : "not-pinned", dir);
		return 0;
	} else {
		fprintf(stderr,
			"usage: ward monitor --pin | --unpin | --status\n"
			"  --pin     load the BPF monitors once and pin them under %s,\n"
			"            so later `ward run` launches reuse them\n"
			"  --unpin   remove the pinned programs (detaches the syscall hooks)\n",
			PIN_ROOT);
		return strcmp(op, "--help") == 0 ? 0 : 2;
	}
	if (r < 0) {
		fprintf(stderr, "ward monitor: %s\n", err.msg);
		return 1;
	}
	return 0;
}
