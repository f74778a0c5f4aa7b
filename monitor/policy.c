// SPDX-License-Identifier: MIT
/*
 * The monitors' policy maps, filled from the profile for one sandbox (keyed by its cgroup id)
 * and cleared when it ends: `paths` (the view as an LPM trie), `net_allow`, `devices`, `gpu_use`,
 * `stats` and, last, `members`, whose entry turns the programs on for the sandbox.
 */
#include <linux/types.h>

#include "common/macro.h"
#include "monitor/internal.h"

#include <bpf/bpf.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <netinet/in.h>
#include <unistd.h>

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

static int policy_devices(struct ward_monitor *m, const struct ward_gpu_node *gpu_nodes)
{
	const struct ward_profile *p = m->p;
	int r;

	/* What the sandbox's /dev always has: the pty multiplexer and its pts (devpts). */
	r = devkey_add(m, WARD_DEV_CHAR, 5, 2);
	if (r >= 0)
		r = devkey_add(m, WARD_DEV_CHAR, 136, WARD_DEV_MINOR_ANY);
	for (size_t i = 0; r >= 0 && i < p->fs_devices.n; i++)
		r = devkey_add_path(m, p->fs_devices.v[i].s, false);
	for (const struct ward_gpu_node *g = gpu_nodes; r >= 0 && g && g->host; g++)
		r = devkey_add_path(m, g->host, true);
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

/* The view as the file monitor judges it (GPU nodes by their paths inside the sandbox) and the
 * device allow list (GPU nodes by their host nodes' numbers). */
int ward_monitor_policy_build(struct ward_monitor *m, const struct ward_gpu_node *gpu_nodes)
{
	_cleanup_free_ char **inside = NULL;
	size_t n = 0;
	int r;

	while (gpu_nodes && gpu_nodes[n].host)
		n++;
	inside = calloc(n + 1, sizeof(*inside));
	if (!inside)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		inside[i] = gpu_nodes[i].inside;
	r = ward_pathset_build(m->p, inside, &m->view);
	if (r < 0)
		return r;
	return policy_devices(m, gpu_nodes);
}

/* Does wide's prefix cover narrow's, for an entry of family fam? A "*" address (AF_UNSPEC,
 * prefix 0) covers both families. */
static bool prefix_covers(const struct ward_net_rule *wide, const struct ward_net_rule *narrow,
			  int fam)
{
	unsigned bits = wide->prefixlen;

	if (wide->family == AF_UNSPEC)
		return wide->op == narrow->op;
	if (wide->family != fam || wide->op != narrow->op || wide->prefixlen > narrow->prefixlen)
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

	for (size_t e = 0; e < 2 * n; e++) {
		const struct ward_net_rule *r = &rules[e / 2];
		/* each rule once, in its family; "*" (AF_UNSPEC) once per family */
		int fam = r->family == AF_UNSPEC ? (e % 2 ? AF_INET6 : AF_INET) : r->family;
		struct ward_net_key k = {0};
		struct ward_net_val v = {0};
		unsigned alen = fam == AF_INET ? 4 : 16;
		bool dup = false;

		if (r->family != AF_UNSPEC && e % 2)
			continue;
		if ((fam != AF_INET && fam != AF_INET6) || r->prefixlen > alen * 8)
			return -EINVAL;
		k.prefixlen = 96 + r->prefixlen;
		k.cgid_lo = (__u32)cgid;
		k.cgid_hi = cgid >> 32;
		k.op = r->op;
		k.family = fam;
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
			if (!prefix_covers(&rules[j], r, fam))
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

int ward_monitor_policy_fill(struct ward_monitor *m)
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
		/* a "*" address is one entry per family */
		m->netkeys = calloc(2 * p->n_net_allow, sizeof(*m->netkeys));
		vals = calloc(2 * p->n_net_allow, sizeof(*vals));
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
	/* exec.allow by inode */
	for (size_t i = 0; i < m->n_execkeys; i++) {
		m->execkeys[i].cgid = m->cgid;
		if (bpf_map_update_elem(m->map_fd[M_EXEC_OK], &m->execkeys[i], &m->execflags[i],
					BPF_ANY) < 0)
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
	/* audit mode reports what enforce would kill (user space matches exec.allow) */
	if (m->files && p->exec_allow.n && p->mode != WARD_MODE_AUDIT)
		cfg.flags |= WARD_CFG_EXEC;
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

void ward_monitor_policy_clear(struct ward_monitor *m)
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
	for (size_t i = 0; i < m->n_execkeys; i++)
		bpf_map_delete_elem(m->map_fd[M_EXEC_OK], &m->execkeys[i]);
	bpf_map_delete_elem(m->map_fd[M_STATS], &m->cgid);
}
