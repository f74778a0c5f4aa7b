// SPDX-License-Identifier: MIT
/*
 * filesystem.tmpfs: a full tmpfs is reported once, as a lifecycle event "tmpfs_full" (issue 9
 * item 4). The supervisor opens each tmpfs of the sandbox's view through /proc/<init>/root
 * (openat2 RESOLVE_IN_ROOT, so nothing the workload created can redirect it) right after
 * READY, and looks at its statfs on a one-second tick and once more at exit: an O_PATH fd
 * keeps the mount, so the last look works after the mount namespace is gone. A write that
 * failed with ENOSPC leaves the tmpfs with no free block (or no free inode), which is what is
 * checked; a tmpfs that filled and was emptied again within a tick is seen only if it is
 * still full at exit. A workload that is gone before the supervisor's first look (the
 * READY hand-off, a few ms after execve) is not watched: /proc/<init>/root is gone with it.
 */
#include "common/macro.h"
#include "launcher/sandbox.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

int ward_tmpfs_watch_open(struct ward_tmpfs_watch *w, const struct ward_sandbox *sb)
{
	const struct ward_profile *p = sb->profile;
	_cleanup_close_ int root = -1;
	char proc[64];

	*w = (struct ward_tmpfs_watch){0};
	if (!(p->namespaces & WARD_NS_MOUNT) || p->fs_tmpfs.n == 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)sb->init_pid);
	root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	w->e = calloc(p->fs_tmpfs.n, sizeof(*w->e));
	if (!w->e)
		return -ENOMEM;
	for (size_t i = 0; i < p->fs_tmpfs.n; i++) {
		struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
		const char *rel = p->fs_tmpfs.v[i].s + strspn(p->fs_tmpfs.v[i].s, "/");
		int fd = (int)syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
		struct statfs st;

		if (fd < 0)
			continue;
		if (fstatfs(fd, &st) < 0 || st.f_type != TMPFS_MAGIC) {
			close(fd);
			continue;
		}
		w->e[w->n++] = (struct ward_tmpfs_entry){
			.fd = fd, .path = p->fs_tmpfs.v[i].s, .size = p->fs_tmpfs.v[i].size};
	}
	return 0;
}

void ward_tmpfs_watch_check(struct ward_tmpfs_watch *w, struct ward_sandbox *sb)
{
	for (size_t i = 0; i < w->n; i++) {
		struct ward_tmpfs_entry *e = &w->e[i];
		struct statfs st;
		struct ward_json j;

		if (e->reported || fstatfs(e->fd, &st) < 0)
			continue;
		if (st.f_bavail > 0 && st.f_ffree > 0)
			continue;
		e->reported = true;
		ward_event_begin(&sb->ev, &j, "lifecycle", "deny", true, sb->init_pid, NULL,
				 "filesystem.tmpfs");
		ward_json_str(&j, "event", "tmpfs_full");
		ward_json_str(&j, "path", e->path);
		ward_json_uint(&j, "size_bytes", e->size);
		ward_json_str(&j, "full", st.f_bavail == 0 ? "blocks" : "inodes");
		ward_event_emit(&sb->ev, &j);
	}
}

void ward_tmpfs_watch_close(struct ward_tmpfs_watch *w)
{
	for (size_t i = 0; i < w->n; i++)
		close(w->e[i].fd);
	free(w->e);
	*w = (struct ward_tmpfs_watch){0};
}
