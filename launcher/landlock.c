// SPDX-License-Identifier: MIT
/*
 * Landlock: the second filesystem layer (the same lists as the mount view), the exec allow
 * list (execute right only on exec.allow matches and their ELF interpreters), TCP port rules
 * in host network mode (ABI 4), and abstract-unix-socket and signal scoping (ABI 6).
 * Debian 12's <linux/landlock.h> stops at ABI 2, so the newer ABI is declared here.
 */
#include "common/macro.h"
#include "common/path.h"
#include "launcher/sandbox.h"
#include "monitor/gpu.h"

#include <elf.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define LL_FS_EXECUTE		      (1ULL << 0)
#define LL_FS_WRITE_FILE	      (1ULL << 1)
#define LL_FS_READ_FILE		      (1ULL << 2)
#define LL_FS_READ_DIR		      (1ULL << 3)
#define LL_FS_REMOVE_DIR	      (1ULL << 4)
#define LL_FS_REMOVE_FILE	      (1ULL << 5)
#define LL_FS_MAKE_CHAR		      (1ULL << 6)
#define LL_FS_MAKE_DIR		      (1ULL << 7)
#define LL_FS_MAKE_REG		      (1ULL << 8)
#define LL_FS_MAKE_SOCK		      (1ULL << 9)
#define LL_FS_MAKE_FIFO		      (1ULL << 10)
#define LL_FS_MAKE_BLOCK	      (1ULL << 11)
#define LL_FS_MAKE_SYM		      (1ULL << 12)
#define LL_FS_REFER		      (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE		      (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV		      (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP		      (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP	      (1ULL << 1)  /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL		      (1ULL << 1)  /* ABI 6 */
#define LL_RULE_PATH_BENEATH	      1
#define LL_RULE_NET_PORT	      2
#define LL_CREATE_RULESET_VERSION     (1U << 0)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

#define LL_FILE_RIGHTS                                                                             \
	(LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
/*
 * Rights that cannot be used where a rule grants them but that end Landlock's path walk early.
 * hook_file_open() (security/landlock/fs.c, since 6.2/6.10) asks for the open's rights plus
 * TRUNCATE and, on a device, IOCTL_DEV, so that it can record what the file may do later; it
 * walks from the file up to the real root until some rule grants all of them. A read-only rule
 * without them never does, so every open under /usr walked the whole way (perf: a fifth of an
 * open+read+close loop, 1.18x bare). Granted only on read-only (nodev) mounts and on device
 * nodes: truncate(2) and O_TRUNC fail EROFS on a read-only mount and are ignored on a device
 * (do_open() drops O_TRUNC for non-regular files, vfs_truncate() refuses them), and a nodev
 * mount opens no device to ioctl.
 */
#define LL_NOOP_RO (LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

int ward_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t fs_rights(int abi)
{
	uint64_t r = (LL_FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

struct ll {
	int fd;
	uint64_t handled;
	int abi;
};

/* Missing paths are fine (the view skips them too); others are errors. */
static int allow_path(struct ll *l, const char *path, uint64_t access, struct ward_error *err)
{
	struct ll_path_beneath_attr pb = {0};
	struct stat st;
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == EACCES
			       ? 0
			       : ward_error_set(err, -errno, "landlock: opening %s", path);
	if (fstat(fd, &st) < 0)
		return ward_error_set(err, -errno, "landlock: stat %s", path);
	access &= l->handled;
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	if (!access)
		return 0;
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, l->fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
		return ward_error_set(err, -errno, "landlock: rule for %s", path);
	return 0;
}

static bool interp_is_script(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char magic[2];

	return fd >= 0 && pread(fd, magic, 2, 0) == 2 && magic[0] == '#' && magic[1] == '!';
}

static int allow_exec(struct ll *l, const struct ward_strv *allow, struct ward_error *err)
{
	for (size_t i = 0; i < allow->n; i++) {
		glob_t g;
		if (glob(allow->v[i].s, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		/* A #! interpreter is granted only for a program named literally: a glob such as
		 * /usr/bin/python3* also matches python3-config, a /bin/sh script, and following
		 * its #! would hand out the shell. */
		const bool literal = !strpbrk(allow->v[i].s, "*?[");
		for (size_t k = 0; k < g.gl_pathc; k++) {
			char interp[256], prog[256];
			int r = allow_path(l, g.gl_pathv[k], LL_FS_EXECUTE | LL_READ, err);
			snprintf(prog, sizeof(prog), "%s", g.gl_pathv[k]);
			/* one level of #! (literal entries), then the ELF interpreter of that */
			for (int depth = 0; r >= 0 && depth < 2; depth++) {
				if (ward_path_interpreter(prog, interp, sizeof(interp)) < 0)
					break;
				if (interp_is_script(prog) && !literal)
					break;
				r = allow_path(l, interp, LL_FS_EXECUTE | LL_READ, err);
				snprintf(prog, sizeof(prog), "%s", interp);
			}
			if (r < 0) {
				globfree(&g);
				return r;
			}
		}
		globfree(&g);
	}
	return 0;
}

static bool net_rule_fits(const struct ward_net_rule *n)
{
	/* Landlock rules are per TCP port, for any address; a wide range is not expressible. */
	return (uint32_t)n->port_hi - n->port_lo < 256;
}

int ward_landlock_apply_child(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	struct ll l = {.fd = -1, .abi = sb->landlock_abi};
	struct ll_ruleset_attr attr = {0};
	size_t attr_size = 8;
	int r = 0;

	if (l.abi <= 0 || p->mode == WARD_MODE_AUDIT) {
		/* Audit mode observes; Landlock could only block. Missing: refused earlier
		 * unless --allow-degraded. */
		sb->landlock_abi = 0;
		return 0;
	}
	l.handled = attr.handled_access_fs = fs_rights(l.abi);
	/* TCP ports in host mode. When the BPF monitors are attached they enforce the same
	 * allow list with addresses (cgroup sock_addr) and report each refusal; Landlock would
	 * refuse first (EACCES) and the attempt would go unreported, so it steps aside. This runs
	 * in init, before the supervisor has started the monitors (sb->mon is always NULL here):
	 * want_monitors is what prepare() decided before clone, and a monitor load failure kills
	 * init before the workload starts (or, with --allow-degraded, is a missing layer). */
	if (l.abi >= 4 && p->net_mode == WARD_NET_HOST && !sb->want_monitors) {
		uint64_t net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		for (size_t i = 0; i < p->n_net_allow; i++) {
			const struct ward_net_rule *n = &p->net_allow[i];
			if (!net_rule_fits(n))
				net &= n->op == WARD_NETOP_BIND ? ~LL_NET_BIND_TCP
								: ~LL_NET_CONNECT_TCP;
		}
		attr.handled_access_net = net;
		attr_size = 16;
	}
	if (l.abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = 24;
	}
	l.fd = syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (l.fd < 0)
		return ward_error_set(err, -errno, "landlock_create_ruleset (ABI %d)", l.abi);

	const uint64_t all = l.handled;
	const uint64_t x = p->exec_allow.n ? 0 : LL_FS_EXECUTE;
	const uint64_t dev = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_IOCTL_DEV | LL_FS_TRUNCATE;
	const uint64_t ro = LL_READ | x | LL_NOOP_RO;

	r = allow_path(&l, "/", LL_FS_READ_DIR, err);
	for (size_t i = 0; i < p->fs_readonly.n && r >= 0; i++)
		r = allow_path(&l, p->fs_readonly.v[i].s, ro, err);
	for (size_t i = 0; i < p->fs_readwrite.n && r >= 0; i++)
		r = allow_path(&l, p->fs_readwrite.v[i].s, (all & ~LL_FS_EXECUTE) | x, err);
	for (size_t i = 0; i < p->n_binds && r >= 0; i++)
		r = allow_path(&l, p->binds[i].dst,
			       p->binds[i].rw ? (all & ~LL_FS_EXECUTE) | x : ro, err);
	for (size_t i = 0; i < p->fs_tmpfs.n && r >= 0; i++)
		r = allow_path(&l, p->fs_tmpfs.v[i].s, (all & ~LL_FS_EXECUTE) | x, err);
	for (size_t i = 0; i < p->fs_devices.n && r >= 0; i++)
		r = allow_path(&l, p->fs_devices.v[i].s, dev, err);
	if (r >= 0)
		r = allow_path(&l, "/dev", LL_FS_READ_DIR, err);
	if (r >= 0)
		r = allow_path(&l, "/dev/pts", LL_READ | dev, err);
	if (r >= 0)
		r = allow_path(&l, "/dev/shm", all & ~LL_FS_EXECUTE, err);
	if (r >= 0)
		r = allow_path(&l, "/proc", LL_READ | LL_FS_WRITE_FILE, err);
	if (r >= 0) /* the sandbox's own cgroup, read-only (mount.c, mount_cgroup_view) */
		r = allow_path(&l, "/sys/fs/cgroup", LL_READ | LL_NOOP_RO, err);
	/* the GPU nodes, where the mount view put them */
	for (const struct ward_gpu_node *g = sb->gpu_nodes; r >= 0 && g && g->host; g++)
		r = allow_path(&l, g->inside, dev, err);
	if (r >= 0 && p->exec_allow.n)
		r = allow_exec(&l, &p->exec_allow, err);
	for (size_t i = 0; i < p->n_net_allow && r >= 0 && attr.handled_access_net; i++) {
		const struct ward_net_rule *n = &p->net_allow[i];
		uint64_t right = n->op == WARD_NETOP_BIND      ? LL_NET_BIND_TCP
				 : n->op == WARD_NETOP_CONNECT ? LL_NET_CONNECT_TCP
							       : 0;
		if (!(right & attr.handled_access_net))
			continue;
		for (uint32_t port = n->port_lo; port <= n->port_hi; port++) {
			struct ll_net_port_attr np = {.allowed_access = right, .port = port};
			if (syscall(SYS_landlock_add_rule, l.fd, LL_RULE_NET_PORT, &np, 0) < 0) {
				r = ward_error_set(err, -errno, "landlock: port rule %u", port);
				break;
			}
		}
	}
	if (r >= 0 && syscall(SYS_landlock_restrict_self, l.fd, 0) < 0)
		r = ward_error_set(err, -errno, "landlock_restrict_self");
	close(l.fd);
	return r;
}
