// SPDX-License-Identifier: MIT
/*
 * filesystem.deny in the mount view: denied names hidden inside bound trees (a read-only
 * overlay whose first lower layer holds a whiteout per name) or masked where an overlay cannot
 * be exact, and deny entries resolved by object against every bind source (docs/design.md,
 * "The mount view").
 */
#include "common/macro.h"
#include "common/path.h"
#include "launcher/mount.h"
#include "launcher/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* Is any mount point strictly below abs (a path in this mount namespace)? An overlay on abs
 * would hide such a submount (overlayfs does not cross mounts in its lower layers). */
static bool has_submounts(const char *abs)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, n = strlen(abs);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	if (!f)
		return true; /* cannot tell: assume so */
	while (!found && getline(&buf, &len, f) > 0) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field */
		char *mp = buf;
		for (int k = 0; k < 4 && mp; k++) {
			mp = strchr(mp, ' ');
			if (mp)
				mp++;
		}
		if (!mp)
			continue;
		if (strncmp(mp, abs, n) == 0 && mp[n] == '/' && mp[n + 1] != ' ')
			found = true;
	}
	fclose(f);
	return found;
}

/*
 * filesystem.deny, first choice: the names are not there at all. The parent directory gets a
 * read-only overlay whose upper lower layer holds a whiteout (char 0:0) per denied name, so
 * readdir does not list them and every lookup fails ENOENT, as if the host had no such file.
 * Only where it is exact: the parent is read-only (an overlay without an upper layer is) and
 * nothing is mounted below it (overlayfs does not show submounts of a lower layer). Returns 0
 * when every name is gone, < 0 otherwise (the caller masks instead).
 */
static int hide_names(int root_fd, const char *parent, const char *const *names, size_t n)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	static const char *const wopts[] = {"mode", "0755", "size", "64k", NULL, NULL};
	_cleanup_close_ int dfd = -1, wfd = -1, fs = -1, ovl = -1, check = -1;
	char self[64], abs[PATH_MAX], lower[128];
	struct statvfs sv;
	ssize_t l;

	dfd = syscall(SYS_openat2, root_fd, ward_mount_rel(parent), &how, sizeof(how));
	if (dfd < 0)
		return -errno;
	if (fstatvfs(dfd, &sv) < 0)
		return -errno;
	if (!(sv.f_flag & ST_RDONLY))
		return -EROFS; /* a writable parent would become read-only */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dfd);
	l = readlink(self, abs, sizeof(abs) - 1);
	if (l <= 0)
		return -errno;
	abs[l] = 0;
	if (strpbrk(abs, " \t\n\\") || has_submounts(abs))
		return -EBUSY;

	wfd = ward_mount_fsmount("tmpfs", wopts,
				 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (wfd < 0)
		return wfd;
	for (size_t i = 0; i < n; i++)
		if (mknodat(wfd, names[i], S_IFCHR | 0000, makedev(0, 0)) < 0)
			return -errno;
	snprintf(lower, sizeof(lower), "/proc/self/fd/%d:/proc/self/fd/%d", wfd, dfd);
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	ovl = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (ovl < 0)
		return -errno;
	if (move_mount(ovl, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	/* Trust but verify: through the new mount, every name must be gone. */
	check = syscall(SYS_openat2, root_fd, ward_mount_rel(parent), &how, sizeof(how));
	if (check < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstatat(check, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return -EEXIST;
	}
	return 0;
}

/* filesystem.deny, fallback: a directory becomes an empty, inaccessible, read-only tmpfs;
 * anything else is covered by an empty file with mode 0000. */
static int mask_one(int t, int *mask, const char *what, struct ward_error *err)
{
	struct stat st;
	int m;

	if (fstat(t, &st) < 0 || S_ISLNK(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode)) {
		static const char *const opts[] = {"mode", "0000", "size", "4k", NULL, NULL};
		m = ward_mount_fsmount("tmpfs", opts,
				       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					       MOUNT_ATTR_NOEXEC);
	} else {
		if (*mask < 0) {
			static const char *const opts[] = {"mode", "0000", "size",
							   "4k",   NULL,   NULL};
			*mask = ward_mount_fsmount("tmpfs", opts,
						   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
							   MOUNT_ATTR_NOEXEC);
			if (*mask < 0)
				return ward_error_set(err, *mask, "creating the deny mask");
			int f = openat(*mask, "empty", O_CREAT | O_WRONLY | O_CLOEXEC, 0000);
			if (f < 0)
				return ward_error_set(err, -errno, "creating the deny mask");
			close(f);
			(void)!fchmodat(*mask, "empty", 0000, 0);
		}
		m = open_tree(*mask, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (m >= 0) {
			struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
			mount_setattr(m, "", AT_EMPTY_PATH, &a, sizeof(a));
		} else {
			m = -errno;
		}
	}
	if (m < 0)
		return ward_error_set(err, m, "masking denied %s", what);
	int r = move_mount(m, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	r = r < 0 ? -errno : 0;
	close(m);
	if (r < 0)
		return ward_error_set(err, r, "masking denied %s", what);
	return 0;
}

static int cmp_parent_len(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strrchr(*x, '/') - *x, ly = strrchr(*y, '/') - *y;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strncmp(*x, *y, lx);
}

/* filesystem.deny inside the view: hidden where hide_names() can, masked elsewhere. Paths are
 * looked up with RESOLVE_IN_ROOT so a symlink inside the view cannot aim either at the host.
 * Parents are handled shallowest first, so a name under a hidden one is simply not found. */
int ward_mount_mask_denied(struct ward_sandbox *sb, int root_fd, struct ward_error *err)
{
	const struct ward_strv *deny = &sb->profile->fs_deny;
	_cleanup_close_ int mask = -1;
	_cleanup_free_ const char **paths = calloc(deny->n + 1, sizeof(*paths));
	const char *names[64];

	if (!paths)
		return ward_error_set(err, -ENOMEM, "filesystem.deny: out of memory");
	for (size_t i = 0; i < deny->n; i++)
		paths[i] = deny->v[i].s;
	qsort(paths, deny->n, sizeof(*paths), cmp_parent_len);

	for (size_t i = 0; i < deny->n;) {
		/* the group of entries with the same parent directory */
		size_t plen = strrchr(paths[i], '/') - paths[i], k = i, n = 0;
		char parent[PATH_MAX];

		snprintf(parent, sizeof(parent), "%.*s", (int)(plen ? plen : 1), paths[i]);
		for (; k < deny->n; k++) {
			size_t kl = strrchr(paths[k], '/') - paths[k];
			if (kl != plen || strncmp(paths[k], paths[i], plen) != 0)
				break;
		}
		for (size_t g = i; g < k && n < ARRAY_SIZE(names); g++) {
			struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
					       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
			_cleanup_close_ int t = syscall(
				SYS_openat2, root_fd, ward_mount_rel(paths[g]), &how, sizeof(how));
			if (t >= 0)
				names[n++] = paths[g] + plen + 1;
		}
		if (n > 0 && k - i <= ARRAY_SIZE(names) &&
		    hide_names(root_fd, parent, names, n) == 0) {
			i = k;
			continue;
		}
		for (; i < k; i++) {
			struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
					       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
			_cleanup_close_ int t = syscall(
				SYS_openat2, root_fd, ward_mount_rel(paths[i]), &how, sizeof(how));
			if (t < 0)
				continue; /* not in the view: nothing to hide */
			int r = mask_one(t, &mask, paths[i], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The host object a deny entry names: its parent resolved, its last component kept (a denied
 * symlink is the link), into buf; false when the host has no such parent. */
static bool deny_object(const char *path, char *buf, size_t len)
{
	char parent[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash || (size_t)(slash - path) >= sizeof(parent))
		return false;
	memcpy(parent, path, slash - path);
	parent[slash - path] = 0;
	if (!realpath(parent[0] ? parent : "/", real))
		return false;
	return snprintf(buf, len, "%s%s", strcmp(real, "/") ? real : "", slash) < (int)len;
}

/* One bind: the host source and where it appears inside. */
static int expand_one(struct ward_profile *p, const char *src, const char *dst, const char *obj,
		      struct ward_loc loc)
{
	char real[PATH_MAX], inside[PATH_MAX];
	size_t n;

	if (!realpath(src, real))
		return 0; /* an optional bind the host lacks shows nothing */
	n = strcmp(real, "/") == 0 ? 0 : strlen(real);
	if (strncmp(obj, real, n) == 0 && obj[n] == '/') {
		/* the denied object lies in the bound tree: hide it at its name inside */
		if (snprintf(inside, sizeof(inside), "%s%s", strcmp(dst, "/") ? dst : "",
			     obj + n) >= (int)sizeof(inside))
			return 0;
	} else if (ward_path_under(real, obj)) {
		/* the bind shows the denied object itself, or a part of it: all of it goes */
		snprintf(inside, sizeof(inside), "%s", dst);
	} else {
		return 0;
	}
	return ward_profile_add_deny(p, inside, loc);
}

/*
 * Deny by object, not by name: `deny: [/etc/shadow]` with `--bind /etc:/opt/etc` must hide
 * /opt/etc/shadow too, and `--bind /root/.ssh:/opt/k` under `deny: [/root]` must show nothing.
 * Each deny entry is resolved on the host and, for every bind whose source holds it (or lies
 * under it), the name it has inside is added to filesystem.deny, so the mask (mask_denied) and
 * the file monitor's reports cover it like the entry itself. A bind of a path at its own place
 * adds the entry's canonical spelling at most.
 */
int ward_mount_expand_deny(struct ward_profile *p, struct ward_error *err)
{
	size_t n = p->fs_deny.n;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct ward_loc loc = p->fs_deny.v[i].loc;
		char obj[PATH_MAX];

		if (!deny_object(p->fs_deny.v[i].s, obj, sizeof(obj)))
			continue;
		for (size_t b = 0; b < p->n_binds; b++) {
			r = expand_one(p, p->binds[b].src, p->binds[b].dst, obj, loc);
			if (r < 0)
				return ward_error_set(err, r, "filesystem.deny: out of memory");
		}
		/* readonly/readwrite entries are bound at their canonical path: a spelling
		 * through a symlink (/lib -> usr/lib) is the same object under another name */
		const struct ward_strv *lists[] = {&p->fs_readonly, &p->fs_readwrite};
		for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
			for (size_t k = 0; k < lists[l]->n; k++) {
				char real[PATH_MAX];

				if (!realpath(lists[l]->v[k].s, real))
					continue;
				r = expand_one(p, real, real, obj, loc);
				if (r < 0)
					return ward_error_set(err, r,
							      "filesystem.deny: out of memory");
			}
	}
	return 0;
}
