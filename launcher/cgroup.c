// SPDX-License-Identifier: MIT
/*
 * The sandbox's cgroup(s): identity (cgroup id for BPF scoping, CLONE_INTO_CGROUP) and limits.
 *
 * Layouts (found through /proc/self/mountinfo, never hard-coded paths):
 *  - pure v2 (most production hosts): <v2>/ward/<id>, controllers enabled through
 *    cgroup.subtree_control of the root and of ward/;
 *  - hybrid (systemd's "hybrid", this CI machine): cgroup2 at /sys/fs/cgroup/unified with no
 *    controllers, v1 hierarchies for memory, pids, cpu. The v2 directory still exists (it is
 *    the sandbox's identity), limits go to <v1 mount>/ward/<id> of each controller needed;
 *  - v1 only: no identity, limits in v1.
 * A controller is bound to exactly one hierarchy, so the choice is made per controller: v2 if
 * the v2 root offers it in cgroup.controllers, else its v1 mount, else the limit is "missing"
 * (reported, not an error). The per-controller implementations sit behind a small ops struct
 * chosen once in ward_cgroup_create() (crun's cgroup-internal.h style).
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "launcher/cgroup.h"
#include "launcher/cgroup_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CPU_PERIOD_US	   100000
#define DESTROY_TIMEOUT_MS 2000

struct cg_ctrl_ops {
	/* Writes the limit for this controller into the directory. */
	int (*apply)(int dfd, const struct ward_cgroup_limits *lim, const char *path,
		     struct ward_error *err);
	/* OOM kills counted by this controller's files (memory only). */
	int (*oom_kills)(int dfd, uint64_t *ret);
};

struct cg_dir {
	char *path;
	int fd;
	bool v2;
	/* v1: the hierarchy (a controller of it, its mount and mounted root), and the tasks
	 * file of the supervisor's own cgroup there while ward_cgroup_clone_enter() holds it */
	const char *ctrl;
	char *mount, *mount_root;
	int back_fd;
	char name[64]; /* basename of the hierarchy's mount point, for ward_cgroup_view() */
	bool removed;  /* ward_cgroup_destroy() */
};

struct ward_cgroup {
	struct cg_dir dirs[1 + CG_N]; /* v2 first (if any), then distinct v1 dirs */
	size_t n_dirs;
	int v2; /* index into dirs or -1 */
	struct {
		const struct cg_ctrl_ops *ops;
		int dir; /* index into dirs */
	} ctrl[CG_N];
	uint64_t id;
	uint64_t pids_max;
	bool entered;
	unsigned missing; /* WARD_CGROUP_MISSING_* of limits asked for but not applicable */
	bool v1_mounted;  /* the host mounts v1 hierarchies (hybrid or v1) */
	/* ward_cgroup_attach_begin()'s thread, joined by ward_cgroup_attach_end() */
	pthread_t attacher;
	bool attaching;
	pid_t attach_pid;
	int attach_ret;
};

/* ---- small file helpers ------------------------------------------------------------------- */

static int write_at(int dfd, const char *name, const char *val)
{
	_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

static int read_at(int dfd, const char *name, char *buf, size_t len)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off + 1 < len) {
		ssize_t r = read(fd, buf + off, len - 1 - off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	buf[off] = '\0';
	return (int)off;
}

/* "key N" line of a flat keyed file (memory.events, memory.oom_control). */
static int read_key_u64(int dfd, const char *name, const char *key, uint64_t *ret)
{
	char buf[4096], *line, *save = NULL;
	size_t klen = strlen(key);
	int r = read_at(dfd, name, buf, sizeof(buf));

	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			*ret = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- per-controller backends -------------------------------------------------------------- */

static int set_limit(int dfd, const char *file, const char *val, const char *path,
		     struct ward_error *err)
{
	int r = write_at(dfd, file, val);

	if (r < 0)
		return ward_error_set(err, r, "writing '%s' to %s/%s: %s", val, path, file,
				      strerror(-r));
	return 0;
}

static uint64_t cpu_quota_us(double cpus)
{
	double q = cpus * CPU_PERIOD_US + 0.5; /* rounded; no libm */

	/* The kernel refuses quotas below 1 ms (sched/core.c min_cfs_quota_period). */
	return q < 1000 ? 1000 : (uint64_t)q;
}

static int v2_memory_apply(int dfd, const struct ward_cgroup_limits *lim, const char *path,
			   struct ward_error *err)
{
	char v[32];
	int r;

	snprintf(v, sizeof(v), "%" PRIu64, lim->mem_max);
	r = set_limit(dfd, "memory.max", v, path, err);
	if (r < 0)
		return r;
	/* Without swap accounting (or no swap) the file is absent: nothing to limit then. */
	r = write_at(dfd, "memory.swap.max", "0");
	if (r < 0 && r != -ENOENT)
		return ward_error_set(err, r, "writing 0 to %s/memory.swap.max: %s", path,
				      strerror(-r));
	return 0;
}

static int v2_memory_oom(int dfd, uint64_t *ret)
{
	return read_key_u64(dfd, "memory.events", "oom_kill", ret);
}

static int pids_apply(int dfd, const struct ward_cgroup_limits *lim, const char *path,
		      struct ward_error *err)
{
	char v[32];

	snprintf(v, sizeof(v), "%" PRIu64, lim->pids_max);
	return set_limit(dfd, "pids.max", v, path, err);
}

static int v2_cpu_apply(int dfd, const struct ward_cgroup_limits *lim, const char *path,
			struct ward_error *err)
{
	char v[64];

	snprintf(v, sizeof(v), "%" PRIu64 " %d", cpu_quota_us(lim->cpu_max), CPU_PERIOD_US);
	return set_limit(dfd, "cpu.max", v, path, err);
}

static int v1_memory_apply(int dfd, const struct ward_cgroup_limits *lim, const char *path,
			   struct ward_error *err)
{
	char v[32];
	int r;

	snprintf(v, sizeof(v), "%" PRIu64, lim->mem_max);
	r = set_limit(dfd, "memory.limit_in_bytes", v, path, err);
	if (r < 0)
		return r;
	/* memory+swap = memory: no swap. memsw must stay >= limit_in_bytes, hence the order.
	 * Absent without swap accounting (swapaccount=0). */
	r = write_at(dfd, "memory.memsw.limit_in_bytes", v);
	if (r < 0 && r != -ENOENT)
		return ward_error_set(err, r, "writing %s to %s/memory.memsw.limit_in_bytes: %s", v,
				      path, strerror(-r));
	return 0;
}

static int v1_memory_oom(int dfd, uint64_t *ret)
{
	/* "oom_kill N" appeared in memory.oom_control in 4.13. */
	return read_key_u64(dfd, "memory.oom_control", "oom_kill", ret);
}

static int v1_cpu_apply(int dfd, const struct ward_cgroup_limits *lim, const char *path,
			struct ward_error *err)
{
	char v[32];
	int r;

	snprintf(v, sizeof(v), "%d", CPU_PERIOD_US);
	r = set_limit(dfd, "cpu.cfs_period_us", v, path, err);
	if (r < 0)
		return r;
	snprintf(v, sizeof(v), "%" PRIu64, cpu_quota_us(lim->cpu_max));
	return set_limit(dfd, "cpu.cfs_quota_us", v, path, err);
}

static const struct cg_ctrl_ops v2_ops[CG_N] = {
	[CG_MEMORY] = {v2_memory_apply, v2_memory_oom},
	[CG_PIDS] = {pids_apply, NULL},
	[CG_CPU] = {v2_cpu_apply, NULL},
};
static const struct cg_ctrl_ops v1_ops[CG_N] = {
	[CG_MEMORY] = {v1_memory_apply, v1_memory_oom},
	[CG_PIDS] = {pids_apply, NULL},
	[CG_CPU] = {v1_cpu_apply, NULL},
};

/* ---- creating ----------------------------------------------------------------------------- */

static void append_missing(char *buf, size_t len, const char *what)
{
	size_t n;

	if (!buf || !len)
		return;
	n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", what);
}

/*
 * Sandbox cgroups left behind by a ward that was SIGKILLed (its sandbox died with it, see
 * PR_SET_PDEATHSIG in init.c, but nothing removed the directories). Any empty directory under
 * <mount>/ward older than a minute is such a leftover: a live sandbox always holds its init, and
 * a directory only stays empty for the instant between its mkdir and clone3(), hence the age.
 * rmdir() of a cgroup that holds a process fails (EBUSY), so a wrong guess costs nothing. At most
 * once a minute per host (the stamp file), so hundreds of sandboxes do not each scan the rest.
 */
#define CG_GC_STAMP "/run/ward/cgroup-gc.stamp"
#define CG_GC_AGE_S 60

static void gc_leftovers(const struct cg_mounts *m)
{
	const char *mounts[1 + CG_N];
	time_t now = time(NULL);
	struct stat st;
	size_t n = 0;
	int fd;

	if (stat(CG_GC_STAMP, &st) == 0 && now - st.st_mtime < CG_GC_AGE_S)
		return;
	if (mkdir("/run/ward", 0755) < 0 && errno != EEXIST)
		return;
	fd = open(CG_GC_STAMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	close(fd);
	if (m->v2[0])
		mounts[n++] = m->v2;
	for (int c = 0; c < CG_N; c++)
		if (m->v1[c][0])
			mounts[n++] = m->v1[c];
	for (size_t i = 0; i < n; i++) {
		char parent[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(parent, sizeof(parent), "%s/ward", mounts[i]);
		d = opendir(parent);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    now - st.st_mtime >= CG_GC_AGE_S)
				(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
		closedir(d);
	}
}

/* mkdir <mount>/ward and <mount>/ward/<id>; records the leaf (so a failure later removes it). */
static int make_dir(struct ward_cgroup *cg, const char *mount, const char *id, bool v2,
		    struct ward_error *err);

static int make_v1_dir(struct ward_cgroup *cg, const struct cg_mounts *m, int c, const char *id,
		       struct ward_error *err)
{
	int r = make_dir(cg, m->v1[c], id, false, err);

	if (r < 0)
		return r;
	cg->dirs[r].ctrl = ward_cg_ctrl_names[c];
	cg->dirs[r].mount = strdup(m->v1[c]);
	cg->dirs[r].mount_root = strdup(m->v1_root[c]);
	return r;
}

static int make_dir(struct ward_cgroup *cg, const char *mount, const char *id, bool v2,
		    struct ward_error *err)
{
	char parent[PATH_MAX];
	_cleanup_free_ char *path = NULL;
	struct cg_dir *d;

	snprintf(parent, sizeof(parent), "%s/ward", mount);
	if (asprintf(&path, "%s/%s", parent, id) < 0)
		return ward_error_set(err, -ENOMEM, "out of memory");
	/* The leaf first: the ward/ parent is there but on a host's first run. An existing
	 * directory means another sandbox with this id, or a leftover of a ward that was
	 * SIGKILLed before it could clean up. A leftover holds no process: reclaim it. A live
	 * one: refuse rather than share limits and identity. */
	int made = mkdir(path, 0755);
	if (made < 0 && errno == ENOENT) {
		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return ward_error_set(err, -errno, "creating cgroup %s: %m", parent);
		made = mkdir(path, 0755);
	}
	if (made < 0) {
		int r = -errno;
		if (r != -EEXIST || rmdir(path) < 0 || mkdir(path, 0755) < 0)
			return ward_error_set(err, r == -EEXIST ? -EEXIST : r,
					      "creating cgroup %s: %s%s", path, strerror(-r),
					      r == -EEXIST ? " (a sandbox with this id is running)"
							   : "");
	}
	d = &cg->dirs[cg->n_dirs];
	d->fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		int r = -errno;

		rmdir(path);
		return ward_error_set(err, r, "opening cgroup %s: %s", path, strerror(-r));
	}
	d->path = TAKE_PTR(path);
	d->v2 = v2;
	d->back_fd = -1;
	snprintf(d->name, sizeof(d->name), "%s",
		 strrchr(mount, '/') ? strrchr(mount, '/') + 1 : mount);
	return (int)cg->n_dirs++;
}

/* The cgroup id BPF sees (bpf_get_current_cgroup_id) is the kernfs node id, which
 * name_to_handle_at returns as an 8-byte handle (FILEID_KERNFS); on 64-bit it also equals the
 * directory's inode number. */
static uint64_t cgroup_id_of(int dfd)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h = {.fh.handle_bytes = 64};
	int mount_id;
	uint64_t id;
	struct stat st;

	if (name_to_handle_at(dfd, "", &h.fh, &mount_id, AT_EMPTY_PATH) == 0 &&
	    h.fh.handle_bytes == sizeof(id)) {
		memcpy(&id, h.fh.f_handle, sizeof(id));
		return id;
	}
	return fstat(dfd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static bool wants(const struct ward_cgroup_limits *lim, int c)
{
	switch (c) {
	case CG_MEMORY:
		return lim->mem_max > 0;
	case CG_PIDS:
		return lim->pids_max > 0;
	default:
		return lim->cpu_max > 0;
	}
}

static void cgroup_freep(struct ward_cgroup **cg)
{
	ward_cgroup_destroy(*cg);
}

int ward_cgroup_create(const char *id, const struct ward_cgroup_limits *lim,
		       struct ward_cgroup **ret, char *ret_missing, size_t missing_len,
		       struct ward_error *err)
{
	_cleanup_(cgroup_freep) struct ward_cgroup *cg = NULL;
	static const struct ward_cgroup_limits none = {0};
	struct cg_mounts m;
	int r;

	if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
		return ward_error_set(err, -EINVAL, "invalid cgroup name '%s'", id ? id : "");
	if (!lim)
		lim = &none;
	if (ret_missing && missing_len)
		ret_missing[0] = '\0';
	r = ward_cg_find_mounts(&m);
	if (r < 0)
		return ward_error_set(err, r, "reading /proc/self/mountinfo: %s", strerror(-r));

	gc_leftovers(&m);
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return ward_error_set(err, -ENOMEM, "out of memory");
	cg->v2 = -1;
	for (int c = 0; c < CG_N; c++)
		cg->ctrl[c].dir = -1;
	for (int c = 0; c < CG_N; c++)
		cg->v1_mounted |= m.v1[c][0] != 0;
	cg->pids_max = lim->pids_max;

	if (m.v2[0]) {
		r = make_dir(cg, m.v2, id, true, err);
		if (r < 0)
			return r;
		cg->v2 = r;
		cg->id = cgroup_id_of(cg->dirs[r].fd);
	}

	for (int c = 0; c < CG_N; c++) {
		if (!wants(lim, c))
			continue;
		if (m.v2[0] && ward_cg_v2_offers(m.v2, ward_cg_ctrl_names[c])) {
			char path[PATH_MAX + 64], val[16];

			/* Enable top-down: the root, then ward/ (its children get the files).
			 * EBUSY/ENOTSUP here mean a host layout ward cannot use: report missing. */
			snprintf(val, sizeof(val), "+%s", ward_cg_ctrl_names[c]);
			snprintf(path, sizeof(path), "%s/cgroup.subtree_control", m.v2);
			r = write_at(AT_FDCWD, path, val);
			if (r >= 0) {
				snprintf(path, sizeof(path), "%s/ward/cgroup.subtree_control",
					 m.v2);
				r = write_at(AT_FDCWD, path, val);
			}
			if (r >= 0) {
				cg->ctrl[c].ops = &v2_ops[c];
				cg->ctrl[c].dir = cg->v2;
				continue;
			}
		}
		if (m.v1[c][0]) {
			char dir[PATH_MAX + 64];
			int idx = -1;

			/* Co-mounted controllers (cpu,cpuacct; rarely memory+pids) share a dir. */
			snprintf(dir, sizeof(dir), "%s/ward/%s", m.v1[c], id);
			for (size_t i = 0; i < cg->n_dirs; i++)
				if (!strcmp(cg->dirs[i].path, dir))
					idx = (int)i;
			if (idx < 0) {
				r = make_v1_dir(cg, &m, c, id, err);
				if (r < 0)
					return r;
				idx = r;
			}
			cg->ctrl[c].ops = &v1_ops[c];
			cg->ctrl[c].dir = idx;
			continue;
		}
		append_missing(ret_missing, missing_len, ward_cg_ctrl_names[c]);
		cg->missing |= 1u << c;
	}

	for (int c = 0; c < CG_N; c++) {
		struct cg_dir *d;

		if (!cg->ctrl[c].ops)
			continue;
		d = &cg->dirs[cg->ctrl[c].dir];
		r = cg->ctrl[c].ops->apply(d->fd, lim, d->path, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

int ward_cgroup_v2_fd(struct ward_cgroup *cg)
{
	return cg && cg->v2 >= 0 ? cg->dirs[cg->v2].fd : -1;
}

uint64_t ward_cgroup_id(struct ward_cgroup *cg)
{
	return cg ? cg->id : 0;
}

int ward_cgroup_view(const struct ward_cgroup *cg, struct ward_cgroup_view *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!cg)
		return -ENOENT;
	_Static_assert(WARD_CGROUP_VIEW_MAX >= 1 + CG_N, "view entries");
	/* A pure v2 host shows its cgroup2 at /sys/fs/cgroup: so does the view. */
	ret->root = cg->v2 >= 0 && !cg->v1_mounted;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		ret->e[ret->n].host = cg->dirs[i].path;
		snprintf(ret->e[ret->n].name, sizeof(ret->e[ret->n].name), "%s", cg->dirs[i].name);
		ret->n++;
	}
	return ret->n ? 0 : -ENOENT;
}

static int write_pid(int dfd, pid_t pid)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", (int)pid);
	return write_at(dfd, "cgroup.procs", v);
}

/* Every dir, v2 included (v1 too: ward_cgroup_clone_enter() let the clone inherit them): writing a
 * pid already there (CLONE_INTO_CGROUP) is a no-op, and a child started without clone3 gets its
 * identity this way. */
static bool pid_in(int dirfd, pid_t pid)
{
	char buf[4096], want[16];
	_cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n <= 0)
		return false;
	buf[n] = 0;
	snprintf(want, sizeof(want), "%d", pid);
	for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		if (strcmp(t, want) == 0)
			return true;
	return false;
}

int ward_cgroup_attach(struct ward_cgroup *cg, pid_t pid)
{
	if (!cg || pid <= 0)
		return -EINVAL;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		/* The v2 cgroup was joined by clone3(CLONE_INTO_CGROUP); writing it again would
		 * be a no-op that still takes cgroup_threadgroup_rwsem for writing, which costs
		 * an RCU grace period (several ms) when no other migration happened recently. */
		if (pid_in(cg->dirs[i].fd, pid))
			continue;
		int r = write_pid(cg->dirs[i].fd, pid);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The tasks file of the calling thread's own cgroup in d's hierarchy, from
 * /proc/thread-self/cgroup ("id:controllers:path", path below the hierarchy's root). */
static int open_own_tasks(const struct cg_dir *d, const char *self)
{
	_cleanup_free_ char *copy = strdup(self);
	size_t rl = d->mount_root ? strlen(d->mount_root) : 0;

	if (!copy || !d->ctrl || !d->mount || !rl)
		return -ENOMEM;
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(l, ':'), *path;
		char file[PATH_MAX * 2];

		if (!ctrls || !(path = strchr(ctrls + 1, ':')))
			continue;
		*path++ = '\0';
		if (!ward_cg_has_word(ctrls + 1, d->ctrl, ","))
			continue;
		/* the mount shows root and below: path must lie there */
		if (strcmp(d->mount_root, "/") != 0) {
			if (strncmp(path, d->mount_root, rl) != 0 ||
			    (path[rl] != '/' && path[rl] != '\0'))
				return -ENOENT;
			path += rl;
		}
		snprintf(file, sizeof(file), "%s%s%stasks", d->mount, path,
			 path[0] && path[strlen(path) - 1] == '/' ? "" : "/");
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return -ENOENT;
}

/*
 * Joining a v1 cgroup by writing a pid to cgroup.procs takes cgroup_threadgroup_rwsem for
 * writing, and the first writer after a quiet while waits an RCU grace period for the
 * semaphore's rcu_sync (6-16 ms on the 2-core test VM: most of a warm launch). A thread that
 * moves only itself ("0" to the v1 "tasks" file) takes no such lock
 * (kernel/cgroup/cgroup.c, cgroup_procs_write_start(): CGRP_ATTACH_LOCK_NONE), and a clone
 * inherits its caller's v1 cgroups. So the supervisor's thread steps into the sandbox's v1
 * cgroups for the clone3 and back out right after. Not with pids.max 1 (the thread would be
 * counted and the clone refused); any failure: the caller joins by ward_cgroup_attach().
 */
int ward_cgroup_clone_enter(struct ward_cgroup *cg)
{
	char self[4096];
	int r;

	if (!cg || cg->entered)
		return -EINVAL;
	if (cg->pids_max == 1)
		return -EDQUOT;
	r = read_at(AT_FDCWD, "/proc/thread-self/cgroup", self, sizeof(self));
	if (r < 0)
		return r;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (cg->dirs[i].v2)
			continue;
		r = open_own_tasks(&cg->dirs[i], self);
		if (r < 0)
			goto fail;
		cg->dirs[i].back_fd = r;
	}
	cg->entered = true;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (cg->dirs[i].v2)
			continue;
		r = write_at(cg->dirs[i].fd, "tasks", "0");
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	ward_cgroup_clone_leave(cg);
	return r;
}

void ward_cgroup_clone_leave(struct ward_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct cg_dir *d = &cg->dirs[i];

		if (d->back_fd < 0)
			continue;
		/* Back home; a failure leaves the supervisor's thread counted in the sandbox's
		 * cgroup, which the destroy at exit cannot rmdir: report it once. */
		if (cg->entered && write(d->back_fd, "0", 1) < 0)
			ward_log("warning: leaving the sandbox's cgroup %s: %m", d->path);
		close(d->back_fd);
		d->back_fd = -1;
	}
	cg->entered = false;
}

static void *attach_thread(void *arg)
{
	struct ward_cgroup *cg = arg;

	cg->attach_ret = ward_cgroup_attach(cg, cg->attach_pid);
	return NULL;
}

int ward_cgroup_attach_begin(struct ward_cgroup *cg, pid_t pid)
{
	bool v1 = false;
	int r;

	if (!cg || pid <= 0 || cg->attaching)
		return -EINVAL;
	for (size_t i = 0; i < cg->n_dirs; i++)
		v1 |= !cg->dirs[i].v2 && !pid_in(cg->dirs[i].fd, pid);
	cg->attach_pid = pid;
	/* born in all of them (CLONE_INTO_CGROUP, ward_cgroup_clone_enter()): nothing to wait for
	 */
	if (!v1) {
		cg->attach_ret = ward_cgroup_attach(cg, pid);
		return 0;
	}
	r = -pthread_create(&cg->attacher, NULL, attach_thread, cg);
	if (r < 0) {
		cg->attach_ret = ward_cgroup_attach(cg, pid);
		return 0;
	}
	cg->attaching = true;
	return 0;
}

int ward_cgroup_attach_end(struct ward_cgroup *cg)
{
	if (!cg)
		return -EINVAL;
	if (cg->attaching) {
		pthread_join(cg->attacher, NULL);
		cg->attaching = false;
	}
	return cg->attach_ret;
}

int ward_cgroup_oom_kills(struct ward_cgroup *cg, uint64_t *ret)
{
	uint64_t sum = 0;

	if (!cg || !ret)
		return -EINVAL;
	for (int c = 0; c < CG_N; c++) {
		uint64_t n = 0;
		int r;

		if (!cg->ctrl[c].ops || !cg->ctrl[c].ops->oom_kills)
			continue;
		r = cg->ctrl[c].ops->oom_kills(cg->dirs[cg->ctrl[c].dir].fd, &n);
		if (r < 0 && r != -ENOENT)
			return r;
		sum += n;
	}
	*ret = sum;
	return 0;
}

int ward_cgroup_pids_max_hits(struct ward_cgroup *cg, uint64_t *ret)
{
	int r;

	if (!cg || !ret)
		return -EINVAL;
	*ret = 0;
	if (!cg->ctrl[CG_PIDS].ops)
		return 0;
	/* "max N": fork/clone failures at pids.max (v1 too; v2 counts this cgroup and below) */
	r = read_key_u64(cg->dirs[cg->ctrl[CG_PIDS].dir].fd, "pids.events", "max", ret);
	return r == -ENOENT ? 0 : r;
}

/* SIGKILLs the pids listed in dir's cgroup.procs; returns how many were listed. */
static int kill_listed(int dfd)
{
	char buf[65536], *p, *end;
	int n = 0, r = read_at(dfd, "cgroup.procs", buf, sizeof(buf));

	if (r < 0)
		return r == -ENOENT || r == -ENODEV ? 0 : r;
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
	}
	return n;
}

int ward_cgroup_kill(struct ward_cgroup *cg)
{
	if (!cg)
		return -EINVAL;
	/* cgroup.kill (5.14+) kills the whole subtree atomically, even processes forking right
	 * now; absent before 5.14 and in the v2 root. */
	if (cg->v2 >= 0)
		(void)write_at(cg->dirs[cg->v2].fd, "cgroup.kill", "1");
	/* v1 (and old v2): kill what is listed; a fork racing with us shows up in the next round,
	 * so repeat until a round finds nobody (bounded: the pids limit bounds the forks). */
	for (int round = 0; round < 100; round++) {
		int listed = 0;

		for (size_t i = 0; i < cg->n_dirs; i++) {
			int r = kill_listed(cg->dirs[i].fd);

			if (r > 0)
				listed += r;
		}
		if (!listed)
			return 0;
	}
	return -EBUSY;
}

static bool all_empty(struct ward_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		char buf[64];
		int r = read_at(cg->dirs[i].fd, "cgroup.procs", buf, sizeof(buf));

		if (r > 0)
			return false;
	}
	return true;
}

void ward_cgroup_destroy(struct ward_cgroup *cg)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	uint64_t deadline;

	if (!cg)
		return;
	(void)ward_cgroup_attach_end(cg);
	ward_cgroup_clone_leave(cg);
	deadline = ward_now_ms() + DESTROY_TIMEOUT_MS;
	/* Usually init was reaped, and its pid namespace with it, so the cgroups are empty: an
	 * rmdir of each is all it takes (cgroup.kill and six reads of cgroup.procs were 0.05-0.1
	 * ms of every exit). A populated one refuses (EBUSY): kill, wait, remove. */
	bool busy = false;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct cg_dir *d = &cg->dirs[i];

		if (busy || d->removed)
			continue;
		if (rmdir(d->path) == 0 || errno == ENOENT)
			d->removed = true;
		else
			busy = true;
	}
	/* Processes of a dying pid namespace leave the cgroup a moment after SIGKILL. */
	for (; busy;) {
		(void)ward_cgroup_kill(cg);
		if (all_empty(cg) || ward_now_ms() >= deadline)
			break;
		nanosleep(&tick, NULL);
	}
	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct cg_dir *d = &cg->dirs[i];

		if (d->fd >= 0)
			close(d->fd);
		/* EBUSY while the last tasks finish exiting: retry until the deadline. The
		 * ward/ parent stays: other sandboxes may be using it. */
		while (!d->removed && rmdir(d->path) < 0 && errno == EBUSY &&
		       ward_now_ms() < deadline)
			nanosleep(&tick, NULL);
		free(d->path);
		free(d->mount);
		free(d->mount_root);
	}
	free(cg);
}

unsigned ward_cgroup_missing(const struct ward_cgroup *cg)
{
	return cg ? cg->missing : 0;
}
