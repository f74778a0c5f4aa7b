/* SPDX-License-Identifier: MIT */
/*
 * Records that cross the kernel/user boundary (bpf/monitor.bpf.c -> launcher/monitor.c), and the
 * keys and values of the maps user space fills. Includes nothing: the BPF side gets __u32/__u64
 * from vmlinux.h, user space from <linux/types.h> before including this file. Every record
 * starts with struct ward_rec_hdr; user space checks hdr.size against what it received.
 */
#ifndef WARD_EVENTS_H
#define WARD_EVENTS_H

#define WARD_PATH_MAX	     256 /* bytes of a path string read from user memory */
#define WARD_BASE_MAX	     512 /* bytes of dirfd/cwd components (leaf first, NUL separated) */
#define WARD_ARGV_MAX	     512 /* bytes of argv (NUL separated) in an exec record */
#define WARD_ARG_MAX	     128 /* bytes of one argument */
#define WARD_ARGC_MAX	     8	 /* arguments copied per exec */
#define WARD_DEPTH_MAX	     32	 /* dentry components walked for dirfd/cwd */
#define WARD_NET_PORTS_MAX   8	 /* port ranges per LPM entry */
#define WARD_RINGBUF_DEFAULT (4u << 20)

enum ward_rec_type {
	WARD_REC_FILE = 1,
	WARD_REC_EXEC = 2,
	WARD_REC_NET = 3,
	WARD_REC_DEV = 4,
	WARD_REC_UNIX = 5,
	WARD_REC_NS = 6,
	WARD_REC_SIGNAL =
		7, /* a signal (or pidfd_open) that found no such process: struct ward_ns_rec */
};

struct ward_rec_hdr {
	__u32 type; /* enum ward_rec_type */
	__u32 size; /* bytes of this record, header included */
	__u32 pid;  /* tgid, as seen from the initial pid namespace */
	__u32 tid;
	__u64 ts;   /* bpf_ktime_get_ns() */
	__u64 cgid; /* sandbox cgroup id */
	char comm[16];
};

/* Kernel verdict bits (ward_rec_*.verdict). */
#define WARD_V_VIOLATION    0x1u /* the profile does not allow this */
#define WARD_V_BLOCKED	    0x2u /* the BPF program refused it (net, dev) */
#define WARD_V_UNDECIDED    0x4u /* the kernel could not decide (relative or odd path): user space */
#define WARD_V_BASE_TRUNC   0x8u  /* the dirfd/cwd walk stopped early */
#define WARD_V_BASE_OUTSIDE 0x10u /* the walk reached a root that is not the task's root */
#define WARD_V_KILLED	    0x20u /* exec: the new image was SIGKILLed before its first instruction */
#define WARD_V_DEFER	    0x40u  /* exec: not decided in the kernel (overlayfs exe): user space */
#define WARD_V_LSM	    0x80u  /* exec: refused by the bprm_check_security program */
#define WARD_V_REFUSED	    0x100u /* failed with EACCES, EPERM or EROFS: some layer refused it */

/* Path classes (ward_path_val.cls), from the profile's filesystem lists. */
enum ward_path_class {
	WARD_PC_NONE = 0,
	WARD_PC_SKEL = 1, /* a directory above a view entry (exists, read-only) */
	WARD_PC_RO = 2,
	WARD_PC_RW = 3,
	WARD_PC_TMPFS = 4,
	WARD_PC_DEV = 5,
	WARD_PC_IMPLICIT = 6, /* /proc, /dev/pts, /dev/shm ... that every sandbox has */
	WARD_PC_DENY = 7,
};

/* File operations (ward_file_rec.op). */
enum ward_file_op {
	WARD_FOP_OPEN = 1,
	WARD_FOP_CREAT,
	WARD_FOP_TRUNCATE,
	WARD_FOP_UNLINK,
	WARD_FOP_RENAME,
	WARD_FOP_MKDIR,
	WARD_FOP_LINK,
	WARD_FOP_SYMLINK,
	WARD_FOP_HANDLE, /* name_to_handle_at */
	WARD_FOP_EXEC,
	/* probes: reported on failure (enforce) or always (audit) */
	WARD_FOP_STAT,
	WARD_FOP_ACCESS,
	WARD_FOP_READLINK,
	WARD_FOP_GETXATTR,
	WARD_FOP_CHDIR,
};

/* data[] of a file record: path at 0, path2 at WARD_PATH_MAX, base at 2 * WARD_PATH_MAX; the
 * record is cut after the last region in use (size says how much arrived). The base region has
 * WARD_PATH_MAX bytes of slack so the BPF side can copy a whole name at any offset below
 * WARD_BASE_MAX (the verifier needs constant bounds). */
struct ward_file_rec {
	struct ward_rec_hdr h;
	__u32 nr;	 /* syscall number */
	__u32 op;	 /* enum ward_file_op */
	__u64 flags;	 /* open flags, rename flags, mode... as passed */
	__s64 ret;	 /* syscall result: >= 0 or -errno */
	__s32 dfd, dfd2; /* dirfd arguments (AT_FDCWD = -100); base is dfd's */
	__u32 verdict;	 /* WARD_V_* */
	__u16 cls, cls2; /* path classes of path and path2 */
	__u16 path_len, path2_len, base_len, pad; /* bytes incl. NUL; 0: absent */
	char data[3 * WARD_PATH_MAX + WARD_BASE_MAX];
};

/* Exec: path at data[0], argv after it; base (cwd components) for a relative path. */
struct ward_exec_rec {
	struct ward_rec_hdr h;
	__s64 ret;
	__u32 verdict;
	__u16 path_len, argv_len, base_len, argc;
	__s32 dfd; /* execveat's dirfd (AT_FDCWD for execve): the fd of an AT_EMPTY_PATH exec */
	char path[WARD_PATH_MAX];
	char argv[WARD_ARGV_MAX + 128]; /* 128: slack, see ward_file_rec */
	char base[WARD_BASE_MAX + WARD_PATH_MAX];
};

enum ward_net_rec_op { WARD_NOP_CONNECT = 0, WARD_NOP_BIND = 1, WARD_NOP_SEND = 2 };

struct ward_net_rec {
	struct ward_rec_hdr h;
	__u32 op;	/* enum ward_net_rec_op (same values as enum ward_net_op) */
	__u32 family;	/* AF_INET, AF_INET6 */
	__u32 type;	/* SOCK_STREAM, SOCK_DGRAM ... */
	__u32 protocol; /* IPPROTO_* */
	__u32 port;	/* host order */
	__u32 verdict;
	__s32 rule; /* index into network.allow, -1 none */
	__u32 pad;
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* A connect(), sendto() or sendmsg() to an AF_UNIX address, read at sys_exit: failed ones
 * (and, in audit mode, every one), so user space can tell a path outside the view or an
 * abstract name refused by Landlock scoping (EPERM) from an ordinary failure. */
#define WARD_UNIX_PATH 108 /* sizeof(sun_path) */
struct ward_unix_rec {
	struct ward_rec_hdr h;
	__s64 ret;
	__u32 op;  /* WARD_NOP_CONNECT or WARD_NOP_SEND */
	__u32 len; /* bytes of path given (addrlen - sizeof(sun_family)), at most WARD_UNIX_PATH */
	char path[WARD_UNIX_PATH + 4]; /* as passed: an abstract name starts with a NUL byte */
};

/* A failed namespace creation or join (clone, clone3, unshare, setns), read at sys_exit:
 * flags are the CLONE_NEW* bits asked for (clone3: clone_args.flags from user memory; setns:
 * nstype). Also WARD_REC_SIGNAL: a signal or pidfd_open that failed ESRCH, the target in
 * args[0], flags the next pid the caller's pid namespace would hand out. */
struct ward_ns_rec {
	struct ward_rec_hdr h;
	__s64 ret;
	__u32 nr;
	__u32 pad;
	__u64 flags;
	__u64 args[6];
};

#define WARD_DEV_ACC_MKNOD 1u /* = BPF_DEVCG_ACC_MKNOD */
#define WARD_DEV_ACC_READ  2u
#define WARD_DEV_ACC_WRITE 4u
#define WARD_DEV_CHAR	   2u /* = BPF_DEVCG_DEV_CHAR */
#define WARD_DEV_BLOCK	   1u
#define WARD_DEV_MINOR_ANY 0xffffffffu

struct ward_dev_rec {
	struct ward_rec_hdr h;
	__u32 major, minor;
	__u32 dev_type; /* WARD_DEV_CHAR / WARD_DEV_BLOCK */
	__u32 access;	/* WARD_DEV_ACC_* */
	__u32 verdict;
	__u16 path_len, pad;
	char path[WARD_PATH_MAX]; /* the open's path when the file monitor saw it */
};

/* ---- maps filled by user space ---- */

/* members: cgroup id -> sandbox configuration. */
#define WARD_CFG_AUDIT	 0x1u
#define WARD_CFG_ALLOWED 0x2u  /* events.allowed: report allowed accesses too */
#define WARD_CFG_FILES	 0x4u  /* the file/exec monitor is on */
#define WARD_CFG_GPU	 0x8u  /* count opens and ioctls on allowed GPU nodes */
#define WARD_CFG_EXEC	 0x10u /* enforce exec.allow by inode (exec_ok), enforce mode only */
struct ward_sandbox_cfg {
	__u32 flags;
	__u32 wake_bytes; /* wake the reader when this much is waiting (batched wake-ups) */
	/* ward's own executable (kernel dev_t, inode): its init and the pre-exec child run in the
	 * sandbox cgroup while they set it up; their file accesses are ward's, not the workload's
	 */
	__u64 self_ino;
	__u32 self_dev;
	__u32 slot;	    /* ring buffer pool slot (pinned programs), see monitor.bpf.c `rings` */
	__u64 last_wake_ns; /* written by the programs: last wake-up for a violation */
};

/* paths: an LPM trie keyed by (sandbox, path); entries are directories written with a
 * trailing '/' ("/etc/", "/" for the root) so a match falls on a component boundary ("/etc/"
 * is no prefix of "/etcx/"); the lookup key is the path with a '/' appended. One lookup gives
 * the longest entry above a path; user space precomputes, per entry, the class of the path
 * itself and of everything below it that no longer entry covers (deny above wins, exact-only
 * entries), with the same rules as ward_pathset_classify(). */
#define WARD_LPM_PATH 248 /* path bytes in a key: 256 bytes of LPM data minus the sandbox id */
struct ward_path_key {
	__u32 prefixlen; /* bits: 64 (sandbox) + 8 * path bytes */
	__u8 cgid[8];	 /* sandbox cgroup id, native byte order */
	char path[WARD_LPM_PATH];
};
struct ward_path_val {
	__u16 cls;   /* enum ward_path_class of the entry's own path */
	__u16 below; /* class of a path below the entry that no longer entry covers */
	__u16 len;   /* bytes of the entry's key path (trailing '/' included) */
	__u16 pad;
};

/* net_allow: LPM trie; the first 96 bits are fixed (sandbox, op, family). */
struct ward_net_key {
	__u32 prefixlen;
	__u32 cgid_lo, cgid_hi;
	__u8 op, family, pad[2];
	__u8 addr[16];
};
struct ward_net_val {
	__u32 n;
	__u32 pad;
	__u16 lo[WARD_NET_PORTS_MAX], hi[WARD_NET_PORTS_MAX];
	__s32 rule[WARD_NET_PORTS_MAX];
};

/* devices: {sandbox, type, major, minor (WARD_DEV_MINOR_ANY = every minor)} -> access bits. */
struct ward_dev_key {
	__u64 cgid;
	__u32 dev_type, major, minor, pad;
};

/* exec_ok: {sandbox, dev, inode} -> WARD_EXEC_* of the files exec.allow (and the command) name,
 * resolved by user space; the kernel kills a new image whose executable is not there. */
#define WARD_EXEC_PROGRAM 0x1u /* may be exec'd */
#define WARD_EXEC_INTERP  0x2u /* only as the #! or ELF interpreter of an allowed program */
struct ward_exec_key {
	__u64 cgid;
	__u64 ino;
	__u32 dev; /* kernel dev_t (MINORBITS 20) */
	__u32 pad;
};

/* stats: per-CPU hash, sandbox -> counters; produced = delivered + lost. */
struct ward_stats {
	__u64 produced;
	__u64 lost;
};

/* gpu_use: {sandbox, 0, major, minor} (struct ward_dev_key, dev_type = WARD_DEV_CHAR) -> counts,
 * created by user space for each allowed GPU node. */
struct ward_gpu_use {
	__u64 opens;
	__u64 ioctls;
};

#endif
