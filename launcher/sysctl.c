// SPDX-License-Identifier: MIT
/*
 * Kernel knobs that close a whole class of attempts whatever the syscall list says, set by init
 * in the sandbox's own namespaces before the workload starts (DESIGN.md: "kernel knobs beat
 * syscall lists, which can be configured open").
 *
 *  - user.max_{user,mnt,pid,net,ipc,uts,cgroup,time}_namespaces = 0 in the sandbox's user
 *    namespace (user_namespaces(7): the limits are per user namespace and apply to every
 *    namespace created by a process in it or below; ucounts are checked at each level). A
 *    profile that allows clone3 (whose flags seccomp cannot read) or unshare by name can then
 *    still not create a namespace: the kernel answers ENOSPC. Written after the mount view,
 *    because open_tree(OPEN_TREE_CLONE) and fsmount() make anonymous mount namespaces, which
 *    the mnt limit counts; through a /proc/sys directory fd taken before the view, because the
 *    view's /proc/sys is read-only. The writer needs CAP_SYS_RESOURCE in that user namespace
 *    (kernel/ucount.c set_permissions), which init has until it drops capabilities.
 *  - vm.memfd_noexec = 2 in the sandbox's pid namespace (Linux 6.3; per pid namespace, a child
 *    namespace cannot lower it): memfd_create() without MFD_NOEXEC_SEAL gets it, MFD_EXEC is
 *    refused (EACCES), so no memfd can ever be executed. The handler wants CAP_SYS_ADMIN over the
 *    pid namespace, but the table is the global one (mode 0644, owner host root): only a writer
 *    whose euid is host root passes, so init writes it before it switches to the sandbox uid.
 *    For an ordinary user's ward that is impossible: a missing layer.
 */
#include "common/macro.h"
#include "launcher/container.h"
#include "launcher/sandbox.h"

#include <fcntl.h>
#include <string.h>

#define MEMFD_NOEXEC "/proc/sys/vm/memfd_noexec"

static const char *const ns_limits[] = {
	"max_user_namespaces", "max_mnt_namespaces", "max_pid_namespaces",    "max_net_namespaces",
	"max_ipc_namespaces",  "max_uts_namespaces", "max_cgroup_namespaces", "max_time_namespaces",
};

static int write_at(int dfd, const char *name, const char *val)
{
	_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return ward_write_all(fd, val, strlen(val));
}

bool ward_sysctl_memfd_noexec_available(void)
{
	return access(MEMFD_NOEXEC, F_OK) == 0;
}

int ward_sysctl_setup_early(struct ward_sandbox *sb, struct ward_error *err)
{
	int r;

	sb->sysctl_fd = -1;
	if (sb->layers.active & (1ull << WARD_LAYER_MEMFD_NOEXEC)) {
		r = write_at(AT_FDCWD, MEMFD_NOEXEC, "2");
		if (r < 0)
			return ward_error_set(err, r,
					      "setting vm.memfd_noexec=2 in the sandbox's pid "
					      "namespace%s",
					      ward_container_sysctl_hint(r));
	}
	if (sb->profile->nested_ns || sb->profile->mode == WARD_MODE_AUDIT ||
	    !(sb->profile->namespaces & WARD_NS_USER))
		return 0;
	sb->sysctl_fd = open("/proc/sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sb->sysctl_fd < 0)
		return ward_error_set(err, -errno, "opening /proc/sys/user");
	return 0;
}

int ward_sysctl_setup_child(struct ward_sandbox *sb, struct ward_error *err)
{
	_cleanup_close_ int dfd = sb->sysctl_fd;

	sb->sysctl_fd = -1;
	if (dfd < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_limits); i++) {
		int r = write_at(dfd, ns_limits[i], "0");

		/* max_time_namespaces is Linux 5.6; the others 4.9 */
		if (r == -ENOENT && strcmp(ns_limits[i], "max_time_namespaces") == 0)
			continue;
		if (r < 0)
			return ward_error_set(err, r, "setting user.%s=0 (no nested namespaces)%s",
					      ns_limits[i], ward_container_sysctl_hint(r));
	}
	return 0;
}
