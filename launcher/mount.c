// SPDX-License-Identifier: MIT
/*
 * The filesystem view (init, inside the new user and mount namespaces).
 *
 * enforce: a fresh tmpfs root holding only the profile's binds, tmpfs mounts, a minimal /dev
 *          and a fresh /proc; denied paths masked; the root itself read-only.
 * audit:   the host root read-only (plus the profile's readwrite and tmpfs entries), the
 *          host's /dev, a fresh /proc: the workload sees what it would see unsandboxed and
 *          the monitors report what the profile would not allow.
 *
 * Sources are captured with open_tree(OPEN_TREE_CLONE) before anything is mounted, so
 * mounting the new root over a directory never hides a source, and read-only is applied to
 * the whole cloned tree at once with mount_setattr(AT_RECURSIVE) (Linux 5.12): a submount
 * under a read-only bind (say /usr/local on its own filesystem) cannot stay writable, which
 * remounting each bind by hand, as bubblewrap does, has to chase.
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "launcher/container.h"
#include "launcher/mount.h"
#include "launcher/sandbox.h"
#include "monitor/gpu.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

enum bind_kind { BIND_RO, BIND_RW, BIND_DEV, BIND_TMPFS };

struct bind {
	char *src; /* host path (canonical) */
	char *dst; /* path inside */
	enum bind_kind kind;
	bool is_dir;
	int fd; /* detached clone of the source tree */
	const struct ward_loc *loc;
	uint64_t size; /* BIND_TMPFS: bytes */
};

struct link {
	char *path, *target;
};

struct view {
	struct bind *b;
	size_t n, cap;
	struct link *l;
	size_t nl, capl;
	int root_fd;
};

static void view_free(struct view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->b[i].src);
		free(v->b[i].dst);
		if (v->b[i].fd >= 0)
			close(v->b[i].fd);
	}
	for (size_t i = 0; i < v->nl; i++) {
		free(v->l[i].path);
		free(v->l[i].target);
	}
	free(v->b);
	free(v->l);
	if (v->root_fd >= 0)
		close(v->root_fd);
}

static const char *locstr(const struct ward_loc *loc, char *buf, size_t len)
{
	if (!loc || !loc->file)
		snprintf(buf, len, "--bind");
	else
		snprintf(buf, len, "%s:%d:%d", loc->file, loc->line, loc->col);
	return buf;
}

static int add_link(struct view *v, const char *path, const char *target)
{
	for (size_t i = 0; i < v->nl; i++)
		if (strcmp(v->l[i].path, path) == 0)
			return 0;
	if (v->nl == v->capl) {
		size_t cap = v->capl ? v->capl * 2 : 8;
		struct link *l = realloc(v->l, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		v->l = l;
		v->capl = cap;
	}
	v->l[v->nl].path = strdup(path);
	v->l[v->nl].target = strdup(target);
	if (!v->l[v->nl].path || !v->l[v->nl].target)
		return -ENOMEM;
	v->nl++;
	return 0;
}

/* Symlinked components of a listed path (merged /usr: /lib -> usr/lib) are recreated as the
 * same symlinks inside, and the canonical path is bound, so both spellings work. */
static int add_symlinks_of(struct view *v, const char *path)
{
	char prefix[PATH_MAX], target[PATH_MAX];
	size_t n = strlen(path);

	for (size_t i = 1; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (i >= sizeof(prefix))
			return -ENAMETOOLONG;
		memcpy(prefix, path, i);
		prefix[i] = 0;
		struct stat st;
		if (lstat(prefix, &st) < 0)
			return 0;
		if (S_ISLNK(st.st_mode)) {
			ssize_t t = readlink(prefix, target, sizeof(target) - 1);
			if (t < 0)
				return -errno;
			target[t] = 0;
			/* One level: the rest resolves through the recreated link. */
			return add_link(v, prefix, target);
		}
	}
	return 0;
}

/* Room for one more entry. */
static int view_grow(struct view *v)
{
	struct bind *b;
	size_t cap;

	if (v->n < v->cap)
		return 0;
	cap = v->cap ? v->cap * 2 : 16;
	b = realloc(v->b, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	v->b = b;
	v->cap = cap;
	return 0;
}

/* replace: another source for a destination already in the view replaces it (the binds of
 * filesystem.binds and --bind, applied after the other lists); else the first one stays. */
static int add_bind_at(struct view *v, const char *src, const char *dst, enum bind_kind kind,
		       bool optional, bool replace, const struct ward_loc *loc,
		       struct ward_error *err)
{
	char real[PATH_MAX], where[256];
	struct stat st;
	int r;

	if (!realpath(src, real)) {
		if (optional && errno == ENOENT)
			return 0;
		return ward_error_set(err, -errno, "%s: bind source %s",
				      locstr(loc, where, sizeof(where)), src);
	}
	if (stat(real, &st) < 0)
		return ward_error_set(err, -errno, "%s: bind source %s",
				      locstr(loc, where, sizeof(where)), src);
	if (!dst) {
		/* Same path inside: keep the caller's spelling working through symlinks. */
		if (strcmp(real, src) != 0) {
			r = add_symlinks_of(v, src);
			if (r < 0)
				return ward_error_set(err, r, "reading symlinks of %s", src);
		}
		dst = real;
	}
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->b[i].dst, dst) == 0) {
			/* A bind entry applies after the lists: another source on a place they
			 * bind replaces it (it was silently ignored, issue 9 item 15). */
			if (replace && strcmp(v->b[i].src, real) != 0) {
				char *c = strdup(real);

				if (!c)
					return -ENOMEM;
				free(v->b[i].src);
				v->b[i] = (struct bind){.src = c,
							.dst = v->b[i].dst,
							.kind = kind,
							.is_dir = S_ISDIR(st.st_mode),
							.fd = -1,
							.loc = loc};
				return 0;
			}
			/* The same place twice: the stronger access wins (rw over ro). */
			if (kind == BIND_RW && v->b[i].kind == BIND_RO) {
				v->b[i].kind = BIND_RW;
				free(v->b[i].src);
				v->b[i].src = strdup(real);
			}
			return 0;
		}
	if (view_grow(v) < 0)
		return -ENOMEM;
	v->b[v->n] = (struct bind){.src = strdup(real),
				   .dst = strdup(dst),
				   .kind = kind,
				   .is_dir = S_ISDIR(st.st_mode),
				   .fd = -1,
				   .loc = loc};
	if (!v->b[v->n].src || !v->b[v->n].dst)
		return -ENOMEM;
	v->n++;
	return 0;
}

static int add_bind(struct view *v, const char *src, const char *dst, enum bind_kind kind,
		    bool optional, const struct ward_loc *loc, struct ward_error *err)
{
	return add_bind_at(v, src, dst, kind, optional, !loc || !loc->file, loc, err);
}

static int add_tmpfs(struct view *v, const char *dst, uint64_t size, const struct ward_loc *loc)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->b[i].dst, dst) == 0) {
			/* a tmpfs replaces a bind of the same place */
			v->b[i].kind = BIND_TMPFS;
			v->b[i].loc = loc;
			v->b[i].size = size;
			return 0;
		}
	if (view_grow(v) < 0)
		return -ENOMEM;
	v->b[v->n] = (struct bind){.src = strdup("tmpfs"),
				   .dst = strdup(dst),
				   .kind = BIND_TMPFS,
				   .is_dir = true,
				   .fd = -1,
				   .loc = loc,
				   .size = size};
	if (!v->b[v->n].src || !v->b[v->n].dst)
		return -ENOMEM;
	v->n++;
	return 0;
}

static int cmp_bind(const void *a, const void *b)
{
	/* A parent sorts before its children, so it is mounted first. */
	return strcmp(((const struct bind *)a)->dst, ((const struct bind *)b)->dst);
}

static bool under(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return strcmp(path, "/") != 0;
	return strncmp(path, parent, n) == 0 && path[n] == '/';
}

/* A read-only bind of a host path onto the same path, inside another such bind, shows
 * exactly what the outer one already shows: it adds nothing but a mount. Anything else
 * between them (a writable bind, a tmpfs, a bind from elsewhere) makes it matter. */
static bool covered(const struct view *v, size_t k)
{
	const struct bind *b = &v->b[k];
	bool cov = false;

	if (b->kind != BIND_RO || strcmp(b->src, b->dst) != 0)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		const struct bind *o = &v->b[i];
		if (i == k || !under(b->dst, o->dst))
			continue;
		if (o->kind != BIND_RO || strcmp(o->src, o->dst) != 0)
			return false;
		cov = true;
	}
	return cov;
}

/* mkdir -p relative to dirfd, never following symlinks; creates the last component as a
 * directory or an empty file (a mount point for a file bind). */
static int mkpath_at(int dirfd, const char *path, bool last_is_file)
{
	char buf[PATH_MAX];
	_cleanup_close_ int cur = -1;
	int at = dirfd;
	char *save = NULL, *comp, *next;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	comp = strtok_r(buf, "/", &save);
	while (comp) {
		next = strtok_r(NULL, "/", &save);
		if (!next && last_is_file) {
			int fd =
				openat(at, comp, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST && errno != EISDIR && errno != EROFS &&
			    errno != EACCES)
				return -errno;
			if (fd >= 0)
				close(fd);
			else if (faccessat(at, comp, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				return -errno;
			return 0;
		}
		if (mkdirat(at, comp, 0755) < 0 && errno != EEXIST)
			return -errno;
		int fd = openat(at, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (cur >= 0)
			close(cur);
		cur = fd;
		at = cur;
		comp = next;
	}
	return 0;
}

const char *ward_mount_rel(const char *abs)
{
	while (*abs == '/')
		abs++;
	return *abs ? abs : ".";
}

int ward_mount_fsmount(const char *fstype, const char *const *opts, unsigned attrs)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);

	if (fs < 0)
		return -errno;
	for (size_t i = 0; opts && opts[i]; i += 2) {
		int r = opts[i + 1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0)
				    : fsconfig(fs, FSCONFIG_SET_FLAG, opts[i], NULL, 0);
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	return m < 0 ? -errno : m;
}

static int attach_at(int mnt_fd, int root_fd, const char *dst)
{
	if (move_mount(mnt_fd, "", root_fd, ward_mount_rel(dst), MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int mount_tmpfs(int root_fd, const char *dst, const char *mode, const char *size,
		       const struct ward_sandbox *sb, unsigned attrs)
{
	char uid[16], gid[16];
	int r;

	snprintf(uid, sizeof(uid), "%u",
		 (sb->profile->namespaces & WARD_NS_USER) ? sb->profile->uid : sb->host_uid);
	snprintf(gid, sizeof(gid), "%u",
		 (sb->profile->namespaces & WARD_NS_USER) ? sb->profile->gid : sb->host_gid);
	const char *opts[] = {"mode", mode, "size", size, "uid", uid, "gid", gid, NULL, NULL};
	r = mkpath_at(root_fd, ward_mount_rel(dst), false);
	if (r < 0)
		return r;
	_cleanup_close_ int m = ward_mount_fsmount("tmpfs", opts, attrs);
	if (m < 0)
		return m;
	return attach_at(m, root_fd, dst);
}

static int setup_dev(struct ward_sandbox *sb, int root_fd, struct ward_error *err)
{
	int r;

	r = mount_tmpfs(root_fd, "/dev", "0755", "64k", sb, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return ward_error_set(err, r, "mounting tmpfs on /dev");
	r = mkpath_at(root_fd, "dev/pts", false);
	if (r >= 0) {
		static const char *const opts[] = {"newinstance", NULL,	  "ptmxmode", "0666",
						   "mode",	  "0620", NULL,	      NULL};
		_cleanup_close_ int m =
			ward_mount_fsmount("devpts", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
		r = m < 0 ? m : attach_at(m, root_fd, "/dev/pts");
	}
	if (r < 0)
		return ward_error_set(err, r, "mounting devpts on /dev/pts");
	r = mount_tmpfs(root_fd, "/dev/shm", "1777", "64m", sb,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return ward_error_set(err, r, "mounting tmpfs on /dev/shm");
	static const char *const links[][2] = {
		{"dev/ptmx", "pts/ptmx"},	   {"dev/fd", "/proc/self/fd"},
		{"dev/stdin", "/proc/self/fd/0"},  {"dev/stdout", "/proc/self/fd/1"},
		{"dev/stderr", "/proc/self/fd/2"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], root_fd, links[i][0]) < 0 && errno != EEXIST)
			return ward_error_set(err, -errno, "creating /%s", links[i][0]);
	return 0;
}

static int setup_proc(int root_fd, bool own_pidns, struct ward_error *err)
{
	int r = mkpath_at(root_fd, "proc", false);

	if (r < 0)
		return ward_error_set(err, r, "creating /proc");
	_cleanup_close_ int m = ward_mount_fsmount(
		"proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0 && own_pidns)
		/* With a pid namespace of our own, the caller's /proc would show the processes
		 * of the namespace ward runs in (a container's: ward itself): fail closed. */
		return ward_error_set(err, m,
				      "mounting a new /proc for the sandbox's pid namespace%s",
				      ward_container_proc_hint(m));
	if (m < 0) {
		/* Without a pid namespace of our own a new proc is refused: show the host's. */
		m = open_tree(AT_FDCWD, "/proc",
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (m < 0)
			return ward_error_set(err, -errno, "mounting /proc");
	}
	r = attach_at(m, root_fd, "/proc");
	if (r < 0)
		return ward_error_set(err, r, "attaching /proc");
	/* /proc/sys read-only: sysctls are per-namespace at best, host-wide at worst. */
	_cleanup_close_ int sys =
		open_tree(root_fd, "proc/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (sys < 0)
		return ward_error_set(err, -errno, "cloning /proc/sys");
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	if (mount_setattr(sys, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return ward_error_set(err, -errno, "making /proc/sys read-only");
	r = attach_at(sys, root_fd, "/proc/sys");
	if (r < 0)
		return ward_error_set(err, r, "attaching /proc/sys read-only");
	return 0;
}

/* A read-only clone of a host cgroup directory attached at dst (relative to root_fd). */
static int bind_cgroup_dir(int root_fd, const char *host, const char *dst)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};
	_cleanup_close_ int m =
		open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	int r;

	if (m < 0)
		return -errno;
	if (mount_setattr(m, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return -errno;
	r = mkpath_at(root_fd, dst, false);
	return r < 0 ? r : attach_at(m, root_fd, dst);
}

/*
 * The sandbox's own cgroup, read-only at /sys/fs/cgroup, as container runtimes show a
 * container its cgroup (runc, crun with a private cgroup namespace): runtimes size their
 * heaps and thread pools from it (libuv's uv_get_constrained_memory reads memory.max, or
 * memory/memory.limit_in_bytes on v1; the JVM, Go and ONNX Runtime likewise). Pure v2: the
 * sandbox's v2 directory is /sys/fs/cgroup. Hybrid and v1: a read-only tmpfs holding one
 * directory per hierarchy the sandbox is in (memory, pids, cpu, unified), named as on the
 * host, co-mounted ones with their controller names as symlinks (cpu -> cpu,cpuacct). The
 * paths inside resolve because init roots its cgroup namespace at these cgroups (init.c).
 * Binds of the host directories, not fresh cgroup mounts: a v1 mount in a user namespace
 * shows the hierarchy from the namespace root, which is only right after CGROUPS, when the
 * view is already built. Read-only: a limit cannot be raised from inside (the directories
 * belong to host root anyway; a read-only mount also answers EROFS to uid-mapped callers).
 */
static int mount_cgroup_view(struct ward_sandbox *sb, int root_fd, struct ward_error *err)
{
	static const char *const base = "sys/fs/cgroup";
	struct ward_cgroup_view cv;
	char dst[PATH_MAX];
	int r;

	if (!sb->cg || ward_cgroup_view(sb->cg, &cv) < 0)
		return 0; /* no cgroup (unprivileged, no delegation): nothing to show */
	if (cv.root) {
		r = bind_cgroup_dir(root_fd, cv.e[0].host, base);
		return r < 0 ? ward_error_set(err, r,
					      "binding the sandbox's cgroup %s on "
					      "/sys/fs/cgroup",
					      cv.e[0].host)
			     : 0;
	}
	r = mount_tmpfs(root_fd, "/sys/fs/cgroup", "0755", "16k", sb,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return ward_error_set(err, r, "mounting tmpfs on /sys/fs/cgroup");
	_cleanup_close_ int t = openat(root_fd, base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t < 0)
		return ward_error_set(err, -errno, "opening /sys/fs/cgroup");
	for (size_t i = 0; i < cv.n; i++) {
		snprintf(dst, sizeof(dst), "%s/%s", base, cv.e[i].name);
		r = bind_cgroup_dir(root_fd, cv.e[i].host, dst);
		if (r < 0)
			return ward_error_set(err, r, "binding the sandbox's cgroup %s on /%s",
					      cv.e[i].host, dst);
		if (!strchr(cv.e[i].name, ','))
			continue;
		char names[64], *save = NULL;
		snprintf(names, sizeof(names), "%s", cv.e[i].name);
		for (char *w = strtok_r(names, ",", &save); w; w = strtok_r(NULL, ",", &save))
			if (symlinkat(cv.e[i].name, t, w) < 0 && errno != EEXIST)
				return ward_error_set(err, -errno, "creating /%s/%s", base, w);
	}
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return ward_error_set(err, -errno, "making /sys/fs/cgroup read-only");
	return 0;
}

/*
 * A mount point cannot be made inside a read-only bind for a destination its source lacks
 * (audit mode's view binds the host's /opt read-only, so `--bind SRC:/opt/models` found no
 * /opt/models to mount on: EROFS). Such a parent is opened up instead: it is no longer bound as
 * a whole, each of its entries is bound (or, for a symlink, recreated) at the same place, and
 * the directory itself becomes a plain directory of the sandbox root, which is read-only after
 * pivot_root like the rest of the root. Repeated until every destination has a parent it can be
 * created in. What the workload sees is the same tree, read-only, plus the mount point.
 */
static int open_parent(struct view *v, size_t pi, struct ward_error *err)
{
	struct bind parent = v->b[pi];
	DIR *d = opendir(parent.src);
	struct dirent *de;
	int r = 0;

	if (!d)
		return ward_error_set(err, -errno, "reading %s", parent.src);
	memmove(&v->b[pi], &v->b[pi + 1], (v->n - pi - 1) * sizeof(v->b[0]));
	v->n--;
	while (r >= 0 && (de = readdir(d))) {
		char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(src, sizeof(src), "%s/%s", parent.src, de->d_name) >=
			    (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", parent.dst, de->d_name) >=
			    (int)sizeof(dst) ||
		    lstat(src, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t t = readlink(src, target, sizeof(target) - 1);
			if (t > 0) {
				target[t] = 0;
				r = add_link(v, dst, target);
			}
			continue;
		}
		r = add_bind(v, src, dst, parent.kind, true, parent.loc, err);
	}
	closedir(d);
	free(parent.src);
	free(parent.dst);
	return r;
}

static int open_parents(struct view *v, struct ward_error *err)
{
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < v->n && !again; i++) {
			size_t pi = SIZE_MAX, best = 0;
			char host[PATH_MAX];
			struct stat st;

			/* the deepest read-only directory bind above this destination */
			for (size_t k = 0; k < v->n; k++) {
				size_t l = strlen(v->b[k].dst);

				if (k != i && v->b[k].kind == BIND_RO && v->b[k].is_dir &&
				    under(v->b[i].dst, v->b[k].dst) && l >= best)
					pi = k, best = l;
			}
			if (pi == SIZE_MAX)
				continue;
			const struct bind *p = &v->b[pi];
			size_t pl = strcmp(p->dst, "/") ? strlen(p->dst) : 0;
			if (snprintf(host, sizeof(host), "%s%s", p->src, v->b[i].dst + pl) >=
				    (int)sizeof(host) ||
			    lstat(host, &st) == 0)
				continue; /* the mount point is there already */
			int r = open_parent(v, pi, err);
			if (r < 0)
				return r;
			again = true;
		}
	}
	return 0;
}

static int collect(struct ward_sandbox *sb, struct view *v, bool audit, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	int r = 0;

	if (audit) {
		/* The host root, entry by entry, under a tmpfs root: read-only like "/" would
		 * be, but extra binds still get mount points. /dev stays the host's. */
		DIR *d = opendir("/");
		struct dirent *de;
		if (!d)
			return ward_error_set(err, -errno, "reading /");
		while (r >= 0 && (de = readdir(d))) {
			char path[PATH_MAX], target[PATH_MAX];
			struct stat st;
			if (de->d_name[0] == '.' &&
			    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			if (strcmp(de->d_name, "proc") == 0)
				continue;
			snprintf(path, sizeof(path), "/%s", de->d_name);
			if (lstat(path, &st) < 0)
				continue;
			if (S_ISLNK(st.st_mode)) {
				ssize_t t = readlink(path, target, sizeof(target) - 1);
				if (t > 0) {
					target[t] = 0;
					r = add_link(v, path, target);
				}
				continue;
			}
			r = add_bind(v, path, path, strcmp(path, "/dev") == 0 ? BIND_DEV : BIND_RO,
				     true, NULL, err);
		}
		closedir(d);
	} else {
		for (size_t i = 0; i < p->fs_readonly.n && r >= 0; i++)
			r = add_bind(v, p->fs_readonly.v[i].s, NULL, BIND_RO, true,
				     &p->fs_readonly.v[i].loc, err);
		for (size_t i = 0; i < p->fs_devices.n && r >= 0; i++)
			r = add_bind(v, p->fs_devices.v[i].s, p->fs_devices.v[i].s, BIND_DEV, true,
				     &p->fs_devices.v[i].loc, err);
		for (const struct ward_gpu_node *g = sb->gpu_nodes; g && g->host && r >= 0; g++)
			r = add_bind(v, g->host, g->inside, BIND_DEV, false, NULL, err);
	}
	for (size_t i = 0; i < p->fs_readwrite.n && r >= 0; i++)
		r = add_bind(v, p->fs_readwrite.v[i].s, NULL, BIND_RW, false,
			     &p->fs_readwrite.v[i].loc, err);
	for (size_t i = 0; i < p->fs_tmpfs.n && r >= 0; i++)
		r = add_tmpfs(v, p->fs_tmpfs.v[i].s, p->fs_tmpfs.v[i].size, &p->fs_tmpfs.v[i].loc);
	for (size_t i = 0; i < p->n_binds && r >= 0; i++)
		r = add_bind_at(v, p->binds[i].src, p->binds[i].dst,
				p->binds[i].rw ? BIND_RW : BIND_RO, false, true, &p->binds[i].loc,
				err);
	if (r >= 0)
		r = open_parents(v, err);
	return r;
}

int ward_mount_setup_child(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	bool audit = p->mode == WARD_MODE_AUDIT;
	struct view v = {.root_fd = -1};
	_cleanup_close_ int rootm = -1;
	static const char *const bases[] = {"/tmp", "/mnt", "/run", "/var/tmp"};
	const char *base = NULL;
	int r;

	/* WARD_LAYERS_OFF=view: the host's tree (a missing layer, run.c) */
	if (!(p->namespaces & WARD_NS_MOUNT) || (ward_hooks.layers_off & WARD_LAYER_OFF_VIEW))
		return 0;
	/* Nothing we mount may propagate back to the host (mount_namespaces(7)). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ward_error_set(err, -errno, "making / private");

	r = collect(sb, &v, audit, err);
	if (r < 0)
		goto out;
	qsort(v.b, v.n, sizeof(*v.b), cmp_bind);

	/* 1. Capture every source before anything is mounted over it. */
	for (size_t i = 0; i < v.n; i++) {
		struct bind *b = &v.b[i];
		char where[256];

		if (b->kind == BIND_TMPFS || covered(&v, i))
			continue;
		b->fd = open_tree(AT_FDCWD, b->src,
				  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (b->fd < 0) {
			r = ward_error_set(err, -errno, "%s: cloning %s",
					   locstr(b->loc, where, sizeof(where)), b->src);
			goto out;
		}
		struct mount_attr a = {0};
		switch (b->kind) {
		case BIND_RO:
			a.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
			break;
		case BIND_TMPFS:
			break;
		case BIND_RW:
			/* Nothing written in the sandbox can be run: what is writable is noexec,
			 * as /dev/shm and the tmpfs entries are (exec(2) and mmap(PROT_EXEC) of a
			 * file there fail EACCES/EPERM, with or without Landlock). */
			a.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
			break;
		case BIND_DEV:
			a.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
			break;
		}
		if (mount_setattr(b->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
			r = ward_error_set(err, -errno, "%s: setting mount flags on %s",
					   locstr(b->loc, where, sizeof(where)), b->src);
			goto out;
		}
	}

	/* 2. The new root: a tmpfs (enforce) or the host root read-only (audit), attached
	 * over a directory of the old root that only this namespace sees. */
	for (size_t i = 0; i < ARRAY_SIZE(bases) && !base; i++) {
		struct stat st;
		if (stat(bases[i], &st) == 0 && S_ISDIR(st.st_mode))
			base = bases[i];
	}
	if (!base) {
		r = ward_error_set(err, -ENOENT,
				   "no directory to build the root on (/tmp, /mnt, /run)");
		goto out;
	}
	{
		static const char *const opts[] = {"mode", "0755", "size", "1m", NULL, NULL};
		rootm = ward_mount_fsmount("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	}
	if (rootm < 0) {
		r = ward_error_set(err, rootm, "creating the root filesystem");
		goto out;
	}
	if (move_mount(rootm, "", AT_FDCWD, base, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = ward_error_set(err, -errno, "attaching the new root on %s", base);
		goto out;
	}
	v.root_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v.root_fd < 0) {
		r = ward_error_set(err, -errno, "opening the new root");
		goto out;
	}

	/* 3. /dev, then the binds in path order (parents first), then tmpfs, /proc, masks. */
	if (!audit) {
		r = setup_dev(sb, v.root_fd, err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < v.nl; i++) {
		const char *lp = ward_mount_rel(v.l[i].path);
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", lp);
		char *slash = strrchr(parent, '/');
		if (slash) {
			*slash = 0;
			r = mkpath_at(v.root_fd, parent, false);
			if (r < 0) {
				r = ward_error_set(err, r, "creating %s", v.l[i].path);
				goto out;
			}
		}
		if (symlinkat(v.l[i].target, v.root_fd, lp) < 0 && errno != EEXIST) {
			r = ward_error_set(err, -errno, "creating symlink %s", v.l[i].path);
			goto out;
		}
	}
	for (size_t i = 0; i < v.n; i++) {
		struct bind *b = &v.b[i];
		char where[256];

		if (b->kind == BIND_TMPFS) {
			char size[24];

			/* filesystem.tmpfs sizes are resolved by the loader (load.c) */
			snprintf(size, sizeof(size), "%llu",
				 (unsigned long long)(b->size ? b->size : WARD_TMPFS_DEFAULT));
			r = mount_tmpfs(v.root_fd, b->dst, "1777", size, sb,
					MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
			if (r < 0) {
				r = ward_error_set(err, r, "%s: mounting tmpfs on %s",
						   locstr(b->loc, where, sizeof(where)), b->dst);
				goto out;
			}
			continue;
		}
		if (b->fd < 0)
			continue;
		r = mkpath_at(v.root_fd, ward_mount_rel(b->dst), !b->is_dir);
		if (r < 0) {
			r = ward_error_set(err, r, "%s: creating mount point %s",
					   locstr(b->loc, where, sizeof(where)), b->dst);
			goto out;
		}
		r = attach_at(b->fd, v.root_fd, b->dst);
		if (r < 0) {
			r = ward_error_set(err, r, "%s: binding %s on %s",
					   locstr(b->loc, where, sizeof(where)), b->src, b->dst);
			goto out;
		}
	}
	r = mount_cgroup_view(sb, v.root_fd, err);
	if (r < 0)
		goto out;
	r = setup_proc(v.root_fd, p->namespaces & WARD_NS_PID, err);
	if (r < 0)
		goto out;
	if (!audit) {
		r = ward_mount_mask_denied(sb, v.root_fd, err);
		if (r < 0)
			goto out;
	}

	/* 4. Switch roots and drop the old one (pivot_root(".", ".") as in pivot_root(2)). */
	if (fchdir(v.root_fd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0) {
		r = ward_error_set(err, -errno, "pivot_root");
		goto out;
	}
	if (umount2(".", MNT_DETACH) < 0) {
		r = ward_error_set(err, -errno, "detaching the old root");
		goto out;
	}
	if (chdir("/") < 0) {
		r = ward_error_set(err, -errno, "chdir /");
		goto out;
	}
	{
		/* The root and /dev only hold mount points: nothing may be created there. */
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof(a)) < 0 ||
		    (!audit && mount_setattr(AT_FDCWD, "/dev", 0, &a, sizeof(a)) < 0)) {
			r = ward_error_set(err, -errno, "making / and /dev read-only");
			goto out;
		}
	}
	/* The caller's directory when the view has it, else / (and the supervisor says so:
	 * a relative path in the command would otherwise fail with no hint). */
	if (sb->cwd && chdir(sb->cwd) < 0)
		sb->cwd_errno = errno;
	r = 0;
out:
	view_free(&v);
	return r;
}

void ward_mount_cwd_warning(const struct ward_sandbox *sb, int e)
{
	char spec[2 * PATH_MAX + 1];
	size_t o = 0;

	/* as --bind reads it back: ':' and '\\' escaped */
	for (const char *c = sb->cwd; *c && o + 2 < sizeof(spec); c++) {
		if (*c == ':' || *c == '\\')
			spec[o++] = '\\';
		spec[o++] = *c;
	}
	spec[o] = '\0';
	ward_log(
		"warning: the working directory %s is not in the sandbox's view (%s): the command "
		"starts in /. To work there, bind it: --bind %s (read-only) or --bind %s:%s:rw, or "
		"filesystem.binds: [{src: %s}]",
		sb->cwd, strerror(e), spec, spec, spec, sb->cwd);
}
