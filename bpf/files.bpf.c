// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File, exec and unix-socket monitors, and GPU ioctl counts: one tp_btf/sys_exit program,
 * filtered by syscall number (a constant bitmap), then by the members map. Classification
 * against the profile's view is an LPM lookup of (sandbox, path); what the kernel cannot decide
 * goes to user space with the dirfd's components. Part of the one monitor object: included by
 * monitor.bpf.c, not built on its own.
 */
#include "maps.bpf.h"
#include "pathcache.bpf.h"

/* A file syscall's arguments, read at sys_exit: the saved user registers still hold them. */
struct fargs {
	__u32 op, nr;
	__u64 flags;
	__s32 dfd, dfd2;
	__u64 p1, p2;
};

/* regs is a BTF pointer (tp_btf): the arguments are direct loads, not probe reads. */
static __always_inline void file_args(struct pt_regs *regs, long nr, struct fargs *e)
{
	e->nr = nr;
	e->dfd = WARD_AT_FDCWD;
	e->dfd2 = WARD_AT_FDCWD;
	if (nr == NR_openat) {
		e->op = WARD_FOP_OPEN;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_open) {
		e->op = WARD_FOP_OPEN;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_openat2) {
		__u64 how = PT_REGS_PARM3_SYSCALL(regs);

		e->op = WARD_FOP_OPEN;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		/* struct open_how starts with __u64 flags */
		bpf_probe_read_user(&e->flags, sizeof(e->flags), (void *)how);
	} else if (nr == NR_creat) {
		e->op = WARD_FOP_CREAT;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_truncate) {
		e->op = WARD_FOP_TRUNCATE;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_unlink) {
		e->op = WARD_FOP_UNLINK;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_unlinkat) {
		e->op = WARD_FOP_UNLINK;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_rename) {
		e->op = WARD_FOP_RENAME;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->p2 = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_renameat || nr == NR_renameat2) {
		e->op = WARD_FOP_RENAME;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->dfd2 = PT_REGS_PARM3_SYSCALL(regs);
		e->p2 = PT_REGS_PARM4_SYSCALL(regs);
		if (nr == NR_renameat2)
			e->flags = PT_REGS_PARM5_SYSCALL(regs);
	} else if (nr == NR_mkdir) {
		e->op = WARD_FOP_MKDIR;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_mkdirat) {
		e->op = WARD_FOP_MKDIR;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_link) {
		e->op = WARD_FOP_LINK;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->p2 = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_linkat) {
		e->op = WARD_FOP_LINK;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->dfd2 = PT_REGS_PARM3_SYSCALL(regs);
		e->p2 = PT_REGS_PARM4_SYSCALL(regs);
		e->flags = PT_REGS_PARM5_SYSCALL(regs);
	} else if (nr == NR_symlink) {
		/* path = the new name (what is created), path2 = the target text */
		e->op = WARD_FOP_SYMLINK;
		e->p2 = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_symlinkat) {
		e->op = WARD_FOP_SYMLINK;
		e->p2 = PT_REGS_PARM1_SYSCALL(regs);
		e->dfd = PT_REGS_PARM2_SYSCALL(regs);
		e->p1 = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_stat || nr == NR_lstat) {
		e->op = WARD_FOP_STAT;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_newfstatat) {
		e->op = WARD_FOP_STAT;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM4_SYSCALL(regs);
	} else if (nr == NR_statx) {
		e->op = WARD_FOP_STAT;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_access) {
		e->op = WARD_FOP_ACCESS;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_faccessat || nr == NR_faccessat2) {
		e->op = WARD_FOP_ACCESS;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_SYSCALL(regs);
	} else if (nr == NR_readlink) {
		e->op = WARD_FOP_READLINK;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_readlinkat) {
		e->op = WARD_FOP_READLINK;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
	} else if (nr == NR_getxattr || nr == NR_lgetxattr) {
		e->op = WARD_FOP_GETXATTR;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_chdir) {
		e->op = WARD_FOP_CHDIR;
		e->p1 = PT_REGS_PARM1_SYSCALL(regs);
	} else if (nr == NR_name_to_handle_at) {
		e->op = WARD_FOP_HANDLE;
		e->dfd = PT_REGS_PARM1_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_SYSCALL(regs);
		e->flags = PT_REGS_PARM5_SYSCALL(regs);
	}
}

/* Walks dentries from a path up to the task's root (the sandbox root after pivot_root), writing
 * the names leaf first, NUL separated: "lib\0usr\0" for /usr/lib. */
struct walk_ctx {
	struct dentry *d, *root_d;
	struct vfsmount *mnt, *root_mnt;
	char *buf;
	__u32 off;
	__u32 flags;
};

static long walk_step(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = w->d, *parent;
	struct vfsmount *mnt = w->mnt;
	/* read through struct mount only: mnt->mnt_root would add struct vfsmount to the CO-RE
	 * root types (see ward_walk_base) */
	struct mount *m = container_of(mnt, struct mount, mnt);
	const unsigned char *name;
	long n;

	if (d == w->root_d && mnt == w->root_mnt)
		return 1;
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (pm == m) {
			/* a root that is not ours: the path is not reachable from the task's root
			 */
			w->flags |= WARD_V_BASE_OUTSIDE;
			return 1;
		}
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = &pm->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d) {
		w->flags |= WARD_V_BASE_OUTSIDE;
		return 1;
	}
	if (w->off >= WARD_BASE_MAX - 1) {
		w->flags |= WARD_V_BASE_TRUNC;
		return 1;
	}
	name = BPF_CORE_READ(d, d_name.name);
	n = bpf_probe_read_kernel_str(w->buf + (w->off & (WARD_BASE_MAX - 1)), WARD_PATH_MAX, name);
	if (n <= 0)
		return 1;
	w->off += n;
	w->d = parent;
	return 0;
}

/* Load time: global (non-static, not inlined) functions are verified once each, on their own,
 * with only their argument types known; inlined code (or a static subprogram) is verified again
 * for every state it is reached with, bpf_loop callbacks included (recent kernels verify a
 * callback until its states converge, at every call site and for every caller state). Inlined
 * into sys_exit, the classification, the dentry walk and the report made that one program 12k
 * processed insns, about 20 ms of verifier time per cold load (docs/monitors.md). Pointer
 * arguments of a global function may be NULL for the verifier: each one checks. */

/* The buffer the dirfd/cwd components go to (ward_exec_rec.base, and the base part of
 * ward_file_rec.data): a type of its own so the verifier knows its size at the call. */
struct base_buf {
	char b[WARD_BASE_MAX + WARD_PATH_MAX];
};
_Static_assert(sizeof(((struct ward_exec_rec *)0)->base) == sizeof(struct base_buf), "base");
_Static_assert(sizeof(((struct ward_file_rec *)0)->data) - 2 * WARD_PATH_MAX ==
		       sizeof(struct base_buf),
	       "base");

/* dirfd (or AT_FDCWD: the cwd) -> components in buf; returns bytes written, and the
 * WARD_V_BASE_* flags << 16. */
#define WALK_FLAGS_SHIFT 16
__noinline int ward_walk_base(int dfd, struct base_buf *buf)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct walk_ctx w = {};

	if (!buf)
		return 0;
	/* field by field from the root type (task_struct, file): a local struct path or qstr
	 * would cost libbpf one more CO-RE candidate search of the whole vmlinux BTF at load */
	w.root_d = BPF_CORE_READ(t, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(t, fs, root.mnt);
	if (dfd == WARD_AT_FDCWD) {
		w.d = BPF_CORE_READ(t, fs, pwd.dentry);
		w.mnt = BPF_CORE_READ(t, fs, pwd.mnt);
	} else {
		struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
		struct file **fds = BPF_CORE_READ(fdt, fd);
		struct file *f = NULL;

		if (dfd < 0 || dfd >= BPF_CORE_READ(fdt, max_fds))
			return 0;
		bpf_probe_read_kernel(&f, sizeof(f), &fds[dfd]);
		if (!f)
			return 0;
		w.d = BPF_CORE_READ(f, f_path.dentry);
		w.mnt = BPF_CORE_READ(f, f_path.mnt);
	}
	w.buf = buf->b;
	bpf_loop(WARD_DEPTH_MAX * 2, walk_step, &w, 0);
	if (w.d != w.root_d || w.mnt != w.root_mnt)
		w.flags |= (w.flags & WARD_V_BASE_OUTSIDE) ? 0 : WARD_V_BASE_TRUNC;
	return (w.off & 0xffff) | (w.flags << WALK_FLAGS_SHIFT);
}

static __always_inline __u32 walk_base(int dfd, char *buf, __u32 *flags)
{
	int r = ward_walk_base(dfd, (struct base_buf *)buf);

	*flags |= (__u32)r >> WALK_FLAGS_SHIFT;
	return r & 0xffff;
}

/* Path policy: one LPM lookup of (sandbox, path + "/") gives the longest profile entry above
 * the path (see struct ward_path_key). Relative paths, paths with a component that starts with
 * '.' or is empty ("//"), and paths too long for a key are left to user space
 * (WARD_V_UNDECIDED). k.path holds the string (n bytes with its NUL). */
#define ONES 0x0101010101010101ULL
#define LOW7 0x7f7f7f7f7f7f7f7fULL

static __always_inline __u64 zero_bytes(__u64 v) /* 0x80 in each byte of v that is 0, exact */
{
	return ~(((v & LOW7) + LOW7) | v | LOW7);
}

struct scan_ctx {
	const char *p;
	const char *ent; /* the cache entry's path, compared as the words go by */
	__u64 len;
	__u64 diff;
	bool bad;
};

/* One 8-byte word of the path at off: a '/' followed by '.' or '/'? And is it the cache entry's
 * word? Returns 1 to stop: past the end, or a bad component. */
static __always_inline long scan_word(struct scan_ctx *c, __u64 off)
{
	__u64 w, next, slash, follow, keep;

	if (off >= c->len || off >= WARD_LPM_PATH)
		return 1;
	w = *(const __u64 *)(c->p + off);
	next = *(const __u64 *)(c->p + off + 8);
	keep = ward_pcache_keep(c->len, off);
	c->diff |= (w ^ *(const __u64 *)(c->ent + off)) & keep;
	slash = zero_bytes(w ^ (ONES * '/'));
	follow = (w >> 8) | (next << 56);
	follow = zero_bytes(follow ^ (ONES * '/')) | zero_bytes(follow ^ (ONES * '.'));
	if (slash & follow & keep) {
		c->bad = true;
		return 1;
	}
	return 0;
}

/* Four words a step: bpf_loop, not a bounded loop, because the verifier checks the callback
 * once instead of every iteration at every call site (the bounded loop made the object take
 * 0.5 s to load); four words, not one, because each callback is a call and a return through
 * the return thunk (retpoline/call depth tracking kernels): one word a step made the scan of
 * a 31-byte path ~50 ns, more than the LPM lookup the cache saves. */
#define SCAN_WORDS 4
static long scan_step(__u32 i, struct scan_ctx *c)
{
	__u64 off = (i & 7) * 8 * SCAN_WORDS;

	return scan_word(c, off) || scan_word(c, off + 8) || scan_word(c, off + 16) ||
	       scan_word(c, off + 24);
}

/* Returns the class, | CLS_UNDECIDED when the kernel leaves the path to user space. */
#define CLS_UNDECIDED 0x10000
/* A cache miss: one LPM lookup of (sandbox, path + "/"), then the class goes to the entry. */
__noinline int ward_path_lookup(__u64 cgid, struct scratch *s, long n, struct pcache_ent *ent)
{
	struct ward_path_val *v;
	__u64 len = n - 1;
	char *p;
	int cls;

	if (!s || !ent || len > WARD_LPM_PATH - 2)
		return WARD_PC_NONE | CLS_UNDECIDED;
	p = s->k.path;
	if (p[(len - 1) & (WARD_PATH_MAX - 1)] != '/') {
		p[len & (WARD_PATH_MAX - 1)] = '/';
		len++;
	}
	s->k.prefixlen = 64 + len * 8;
	__builtin_memcpy(s->k.cgid, &cgid, sizeof(cgid));
	v = bpf_map_lookup_elem(&paths, &s->k);
	cls = !v ? WARD_PC_NONE : v->len == len ? v->cls : v->below;
	/* back to the string as read */
	if (n - 1 != len) {
		len = n - 1;
		p[len & (WARD_PATH_MAX - 1)] = 0;
	}
	ent->cgid = cgid;
	ent->len = len;
	ent->cls = cls;
	__builtin_memcpy(ent->path, p, sizeof(ent->path));
	return cls;
}

/* The path's class from the cache, else from ward_path_lookup(). */
static __always_inline int classify_path(__u64 cgid, struct scratch *s, long n)
{
	struct scan_ctx c;
	struct pcache_ent *ent;
	__u64 len = n - 1, last_off;
	__u32 slot;
	char *p = s->k.path;

	if (p[0] != '/' || len > WARD_LPM_PATH - 2)
		return WARD_PC_NONE | CLS_UNDECIDED;
	last_off = (len - 1) & 0xf8;
	slot = ward_pcache_slot(len,
				*(const __u64 *)(p + last_off) & ward_pcache_keep(len, last_off));
	ent = bpf_map_lookup_elem(&path_cache, &slot);
	if (!ent)
		return WARD_PC_NONE | CLS_UNDECIDED;
	/* "/." or "//" anywhere, 8 bytes at a time; bytes after the NUL are masked off */
	c.p = p;
	c.ent = ent->path;
	c.len = len;
	c.diff = 0;
	c.bad = false;
	bpf_loop(WARD_LPM_PATH / 8 / SCAN_WORDS + 1, scan_step, &c, 0);
	if (c.bad)
		return WARD_PC_NONE | CLS_UNDECIDED;
	if (!c.diff && ent->len == len && ent->cgid == cgid)
		return ent->cls;
	return ward_path_lookup(cgid, s, n, ent);
}

/* Behind a call of its own, for both paths of a file syscall: the verifier checks the body
 * once, knowing only the argument types. Inlined into ward_file_exit for the first path (to
 * save the call and return through the return thunk on a cache hit, a few ns), its branches
 * multiplied the states of everything after it: sys_exit went from 8.9k to 14.3k processed
 * insns, a fresh load ~8 ms slower. */
__noinline int ward_classify(__u64 cgid, struct scratch *s, long n)
{
	if (!s)
		return WARD_PC_NONE | CLS_UNDECIDED;
	return classify_path(cgid, s, n);
}

static __always_inline __u32 cls_flags(int r, __u32 *ret_flags)
{
	if (r & CLS_UNDECIDED)
		*ret_flags |= WARD_V_UNDECIDED;
	return r & 0xffff;
}

static __always_inline bool cls_violation(__u32 cls, bool write)
{
	if (cls == WARD_PC_DENY || cls == WARD_PC_NONE)
		return true;
	return write && (cls == WARD_PC_RO || cls == WARD_PC_SKEL);
}

/* The file name and up to WARD_ARGC_MAX arguments of an execve/execveat from its registers. */
static __always_inline void exec_read_args(struct ward_exec_rec *x, struct pt_regs *regs, long nr)
{
	const char *const *argv;
	const char *path;
	__u32 off = 0, i;
	long n;

	if (nr == NR_execve) {
		path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else {
		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	x->path_len = 0;
	x->argv_len = 0;
	x->argc = 0;
	x->path[0] = 0;
	n = bpf_probe_read_user_str(x->path, sizeof(x->path), path);
	if (n > 0)
		x->path_len = n;
	for (i = 0; i < WARD_ARGC_MAX; i++) {
		const char *a = NULL;

		if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) < 0 || !a)
			break;
		if (off >= WARD_ARGV_MAX)
			break;
		n = bpf_probe_read_user_str(x->argv + (off & (WARD_ARGV_MAX - 1)), WARD_ARG_MAX, a);
		if (n <= 0)
			break;
		off += n;
		x->argc++;
	}
	x->argv_len = off > WARD_ARGV_MAX ? WARD_ARGV_MAX : off;
}

static __always_inline void gpu_ioctl(struct pt_regs *regs, __u64 cgid)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	int fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct ward_dev_key k = {.cgid = cgid, .dev_type = WARD_DEV_CHAR};
	struct ward_gpu_use *u;
	struct file *f = NULL;
	__u32 rdev;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return;
	rdev = BPF_CORE_READ(f, f_inode, i_rdev);
	k.major = rdev >> 20; /* kernel dev_t: MINORBITS = 20 */
	k.minor = rdev & ((1u << 20) - 1);
	u = bpf_map_lookup_elem(&gpu_use, &k);
	if (u)
		__sync_fetch_and_add(&u->ioctls, 1);
}

/* Probe reads (BPF_CORE_READ), not BTF pointer walks: each direct load through task_struct
 * makes the verifier walk the struct's BTF, at every state that reaches it (5 ms of every
 * fresh load, for five helper calls saved on each reported access). */
static __always_inline bool is_ward_self(const struct ward_sandbox_cfg *cfg)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);

	if (!cfg->self_ino || !ino)
		return false;
	return BPF_CORE_READ(ino, i_ino) == cfg->self_ino &&
	       BPF_CORE_READ(ino, i_sb, s_dev) == cfg->self_dev;
}

/* The syscall hooks run for every syscall of every process on the host: the first test is on
 * the syscall number against a constant bitmap (no map lookup, no helper call), and only a
 * watched syscall pays the cgroup membership lookup. */
#define WBIT(nr, w) ((nr) >= 0 && (nr) / 64 == (w) ? 1ULL << ((nr) % 64) : 0)
#define EXIT_WORD(w)                                                                               \
	(WBIT(NR_open, w) | WBIT(NR_creat, w) | WBIT(NR_truncate, w) | WBIT(NR_unlink, w) |        \
	 WBIT(NR_rename, w) | WBIT(NR_mkdir, w) | WBIT(NR_link, w) | WBIT(NR_symlink, w) |         \
	 WBIT(NR_execve, w) | WBIT(NR_openat, w) | WBIT(NR_mkdirat, w) | WBIT(NR_unlinkat, w) |    \
	 WBIT(NR_renameat, w) | WBIT(NR_linkat, w) | WBIT(NR_symlinkat, w) |                       \
	 WBIT(NR_name_to_handle_at, w) | WBIT(NR_renameat2, w) | WBIT(NR_execveat, w) |            \
	 WBIT(NR_openat2, w) | WBIT(NR_ioctl, w) | WBIT(NR_connect, w) | WBIT(NR_sendto, w) |      \
	 WBIT(NR_sendmsg, w) | WBIT(NR_bind, w) | WBIT(NR_stat, w) | WBIT(NR_lstat, w) |           \
	 WBIT(NR_access, w) | WBIT(NR_chdir, w) | WBIT(NR_readlink, w) | WBIT(NR_getxattr, w) |    \
	 WBIT(NR_lgetxattr, w) | WBIT(NR_newfstatat, w) | WBIT(NR_readlinkat, w) |                 \
	 WBIT(NR_faccessat, w) | WBIT(NR_statx, w) | WBIT(NR_faccessat2, w) | WBIT(NR_clone, w) |  \
	 WBIT(NR_unshare, w) | WBIT(NR_setns, w) | WBIT(NR_clone3, w) | WBIT(NR_kill, w) |         \
	 WBIT(NR_tkill, w) | WBIT(NR_tgkill, w) | WBIT(NR_rt_sigqueueinfo, w) |                    \
	 WBIT(NR_rt_tgsigqueueinfo, w) | WBIT(NR_pidfd_open, w))
#define NR_WORDS 8
static const __u64 exit_watch[NR_WORDS] = {
	EXIT_WORD(0), EXIT_WORD(1), EXIT_WORD(2), EXIT_WORD(3),
	EXIT_WORD(4), EXIT_WORD(5), EXIT_WORD(6), EXIT_WORD(7),
};

static __always_inline bool exit_watched(__u64 nr)
{
	if (nr >= NR_WORDS * 64)
		return false;
	return (exit_watch[nr / 64] >> (nr % 64)) & 1;
}

/* An exec, at sys_exit: one hook fewer on every syscall of the host than reading it at
 * sys_enter. After a failure the memory is still there and the kernel has faulted the name in;
 * after a success the name and the arguments are on the new stack, written there by the kernel
 * (the name right above the environment, the arguments from arg_start to arg_end). Arguments of
 * a failed exec that the kernel never read (it failed first) and that are not paged in stay
 * cut short. */
static __always_inline void exit_exec(__u64 cgid, struct ward_sandbox_cfg *cfg, long ret,
				      struct pt_regs *regs, long nr)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct ward_exec_rec *x;
	int dfd;

	if (!s)
		return;
	x = &s->x;
	dfd = nr == NR_execve ? WARD_AT_FDCWD : (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	x->verdict = 0;
	x->base_len = 0;
	x->dfd = dfd;
	{
		__u64 tid = bpf_get_current_pid_tgid();
		__u32 *mark = bpf_map_lookup_elem(&exec_mark, &tid);

		if (mark) {
			x->verdict = *mark;
			bpf_map_delete_elem(&exec_mark, &tid);
		}
	}
	if (ret == -13 || ret == -1) /* EACCES, EPERM: a layer refused the exec */
		x->verdict |= WARD_V_REFUSED;
	if (ret < 0) {
		exec_read_args(x, regs, nr);
	} else {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		unsigned long env_end = BPF_CORE_READ(t, mm, env_end);
		unsigned long arg_start = BPF_CORE_READ(t, mm, arg_start);
		unsigned long arg_end = BPF_CORE_READ(t, mm, arg_end);
		long n = bpf_probe_read_user_str(x->path, sizeof(x->path), (const void *)env_end);
		__u64 len = arg_end > arg_start ? arg_end - arg_start : 0;

		x->path_len = n > 0 ? n : 0;
		x->argv_len = 0;
		x->argc = 0;
		if (len > WARD_ARGV_MAX)
			len = WARD_ARGV_MAX;
		/* keep clang from folding the bound into a copy the verifier cannot see bounded */
		asm volatile("" : "+r"(len));
		if (len > 0 && len <= WARD_ARGV_MAX &&
		    bpf_probe_read_user(x->argv, len, (const void *)arg_start) == 0) {
			x->argv_len = len;
			x->argc = WARD_ARGC_MAX; /* user space stops at argv_len */
		}
	}
	if (x->path_len > 0 && x->path[0] != '/')
		x->base_len = walk_base(dfd, x->base, &x->verdict);
	/* exec.allow is matched with fnmatch() in user space, so every exec goes there. */
	hdr_fill(&x->h, WARD_REC_EXEC, cgid);
	x->h.size = sizeof(*x);
	x->ret = ret;
	emit(cgid, cfg, x, sizeof(*x),
	     x->verdict & (WARD_V_KILLED | WARD_V_DEFER | WARD_V_REFUSED));
}

/* The rest of a file record that is reported: the fields from the syscall are in s->f already
 * (its path in s->k.path, or in s->f.data too when there is a path2). A function of its own:
 * reached with every combination of verdict and classes, it was verified once per combination. */
__noinline int ward_file_report(struct scratch *s, struct ward_sandbox_cfg *cfg, __u64 cgid,
				int has_path2, int viol)
{
	struct ward_file_rec *r;
	__u32 verdict;
	__u64 size;

	if (!s || !cfg)
		return 0;
	r = &s->f;
	/* ward's own init and pre-exec child: checked only for what would be reported */
	if (is_ward_self(cfg))
		return 0;
	if (!has_path2)
		bpf_probe_read_kernel(r->data, r->path_len & (WARD_PATH_MAX - 1 + WARD_PATH_MAX),
				      s->k.path);
	if (r->data[0] != '/') {
		verdict = r->verdict;
		r->base_len = walk_base(r->dfd, r->data + 2 * WARD_PATH_MAX, &verdict);
		r->verdict = verdict;
	}
	hdr_fill(&r->h, WARD_REC_FILE, cgid);
	if (r->base_len)
		size = offsetof(struct ward_file_rec, data) + 2 * WARD_PATH_MAX + r->base_len;
	else if (r->path2_len)
		size = offsetof(struct ward_file_rec, data) + WARD_PATH_MAX + r->path2_len;
	else
		size = offsetof(struct ward_file_rec, data) + r->path_len;
	if (size > sizeof(*r))
		size = sizeof(*r);
	r->h.size = size;
	emit(cgid, cfg, r, size, viol);
	return 0;
}

/* A watched file syscall of a sandbox with the file monitor on: its arguments are in e (read by
 * file_args: one path per syscall, each with its own constants, all of them ending here). */
__noinline int ward_file_exit(struct fargs *ea, struct ward_sandbox_cfg *cfg, __u64 cgid, long ret)
{
	struct ward_file_rec *r;
	struct fargs e;
	struct scratch *s;
	__u32 zero = 0, verdict = 0, cls, cls2 = WARD_PC_NONE;
	__u64 nr;
	long n;
	bool write, viol;

	if (!ea || !cfg)
		return 0;
	e = *ea;
	nr = e.nr;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	r = &s->f;
	r->path_len = r->path2_len = r->base_len = 0;
	n = bpf_probe_read_user_str(s->k.path, WARD_PATH_MAX, (void *)e.p1);
	if (n <= 0)
		return 0; /* a bad pointer: the syscall failed with EFAULT, nothing was accessed */
	if (n == 1 && e.op >= WARD_FOP_STAT)
		return 0; /* fstat(), AT_EMPTY_PATH: the fd, not a path */
	r->path_len = n;
	cls = cls_flags(ward_classify(cgid, s, n), &verdict);
	switch (e.op) {
	case WARD_FOP_OPEN:
		write = e.flags & WARD_O_WRITE_INTENT;
		break;
	case WARD_FOP_LINK:
	case WARD_FOP_HANDLE:
		write = false;
		break;
	default:
		write = e.op < WARD_FOP_STAT; /* the probes read */
	}
	viol = cls_violation(cls, write);
	if (e.p2) {
		/* path, then path2 through the key buffer */
		bpf_probe_read_kernel(r->data, n & (WARD_PATH_MAX - 1 + WARD_PATH_MAX), s->k.path);
		n = bpf_probe_read_user_str(s->k.path, WARD_PATH_MAX, (void *)e.p2);
		if (n > 0) {
			r->path2_len = n;
			/* the symlink target is judged in user space, relative to the link's
			 * directory (symlinks are rare) */
			if (e.op == WARD_FOP_SYMLINK) {
				verdict |= WARD_V_UNDECIDED;
			} else {
				cls2 = cls_flags(ward_classify(cgid, s, n), &verdict);
				viol |= cls_violation(cls2, true);
			}
			bpf_probe_read_kernel(r->data + WARD_PATH_MAX,
					      n & (WARD_PATH_MAX - 1 + WARD_PATH_MAX), s->k.path);
		}
	}
	if (viol)
		verdict |= WARD_V_VIOLATION;
	/* Every refusal is an event: whichever layer answered EACCES, EPERM or EROFS (Landlock,
	 * a read-only or nodev mount, DAC), user space names it. Only failures pay for this. */
	if (ret == -13 || ret == -1 || ret == -30)
		verdict |= WARD_V_REFUSED | WARD_V_UNDECIDED;
	/* /proc/<pid>/ of a process the sandbox cannot see (ENOENT): a host pid? user space */
	if (cls == WARD_PC_IMPLICIT && ret == -2 && s->k.path[0] == '/' && s->k.path[1] == 'p' &&
	    s->k.path[5] == '/' && s->k.path[6] >= '0' && s->k.path[6] <= '9')
		verdict |= WARD_V_UNDECIDED;
	if (!(verdict & (WARD_V_VIOLATION | WARD_V_UNDECIDED)) && !(cfg->flags & WARD_CFG_ALLOWED))
		return 0;
	r->nr = nr;
	r->op = e.op;
	r->flags = e.flags;
	r->ret = ret;
	r->dfd = e.dfd;
	r->verdict = verdict;
	r->cls = cls;
	r->cls2 = cls2;
	/* path2 relative to a different dirfd: user space resolves it from dfd2 */
	r->dfd2 = e.dfd2;
	return ward_file_report(s, cfg, cgid, e.p2 != 0, viol);
}

/* connect/sendto/sendmsg to an AF_UNIX address (see struct ward_unix_rec). The address is read
 * at exit: the kernel copied it in, so the page is there. */
static __always_inline void unix_exit(struct pt_regs *regs, __u64 nr, struct ward_sandbox_cfg *cfg,
				      __u64 cgid, long ret)
{
	__u32 zero = 0;
	struct scratch *s;
	const char *ua;
	__u16 family = 0;
	__u64 alen;

	if (nr == NR_connect || nr == NR_bind) {
		ua = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		alen = (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == NR_sendto) {
		ua = (const char *)PT_REGS_PARM5_CORE_SYSCALL(regs);
#if defined(__TARGET_ARCH_x86)
		alen = (__u32)BPF_CORE_READ(regs, r9); /* the sixth argument */
#else
		alen = (__u32)BPF_CORE_READ(regs, regs[5]);
#endif
	} else {
		struct user_msghdr *mh = (struct user_msghdr *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		void *name = NULL;
		int nlen = 0;

		if (bpf_probe_read_user(&name, sizeof(name), &mh->msg_name) < 0 ||
		    bpf_probe_read_user(&nlen, sizeof(nlen), &mh->msg_namelen) < 0)
			return;
		ua = name;
		alen = (__u32)nlen;
	}
	if (!ua || alen < sizeof(family) || bpf_probe_read_user(&family, sizeof(family), ua) < 0 ||
	    family != 1 /* AF_UNIX */)
		return;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	alen -= sizeof(family);
	if (alen > WARD_UNIX_PATH)
		alen = WARD_UNIX_PATH;
	asm volatile("" : "+r"(alen));
	__builtin_memset(s->u.path, 0, sizeof(s->u.path));
	if (alen > 0 && alen <= WARD_UNIX_PATH &&
	    bpf_probe_read_user(s->u.path, alen, ua + sizeof(family)) < 0)
		return;
	s->u.len = alen;
	s->u.op = nr == NR_connect ? WARD_NOP_CONNECT
		  : nr == NR_bind  ? WARD_NOP_BIND
				   : WARD_NOP_SEND;
	s->u.ret = ret;
	hdr_fill(&s->u.h, WARD_REC_UNIX, cgid);
	s->u.h.size = sizeof(s->u);
	emit(cgid, cfg, &s->u, sizeof(s->u), true);
}

/* A failed clone, clone3, unshare or setns asking for namespaces: inside a sandbox the kernel
 * refuses them (user.max_*_namespaces = 0, no capabilities) where seccomp cannot see the flags
 * (clone3's are in user memory). */
#define WARD_CLONE_NEW_MASK                                                                        \
	(0x00000080ULL | 0x00020000ULL | 0x02000000ULL | 0x04000000ULL | 0x08000000ULL |           \
	 0x10000000ULL | 0x20000000ULL | 0x40000000ULL)
static __always_inline void ns_exit(struct pt_regs *regs, __u64 nr, struct ward_sandbox_cfg *cfg,
				    __u64 cgid, long ret, __u32 type)
{
	__u32 zero = 0;
	struct scratch *s;
	__u64 flags = 0;

	if (type == WARD_REC_SIGNAL) {
		/* the next pid the caller's namespace hands out: a target at or above it was
		 * never one of the sandbox's (the target itself is args[0]) */
		struct task_struct *t = bpf_get_current_task_btf();

		flags = BPF_CORE_READ(t, nsproxy, pid_ns_for_children, idr.idr_next);
	} else if (nr == NR_clone3)
		bpf_probe_read_user(
			&flags, sizeof(flags),
			(void *)PT_REGS_PARM1_CORE_SYSCALL(regs)); /* clone_args.flags */
	else if (nr == NR_setns)
		flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
	else
		flags = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (type == WARD_REC_NS && nr != NR_setns && !(flags & WARD_CLONE_NEW_MASK))
		return;
	if (is_ward_self(cfg))
		return;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	s->ns.ret = ret;
	s->ns.nr = nr;
	s->ns.flags =
		type == WARD_REC_SIGNAL ? flags : flags & (WARD_CLONE_NEW_MASK | 0xffffffffULL);
	s->ns.args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	s->ns.args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	s->ns.args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	s->ns.args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	s->ns.args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
#if defined(__TARGET_ARCH_x86)
	s->ns.args[5] = BPF_CORE_READ(regs, r9);
#else
	s->ns.args[5] = BPF_CORE_READ(regs, regs[5]);
#endif
	hdr_fill(&s->ns.h, type, cgid);
	s->ns.h.size = sizeof(s->ns);
	emit(cgid, cfg, &s->ns, sizeof(s->ns), true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ward_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 nr = regs->SYSCALL_NR, cgid;
	struct ward_sandbox_cfg *cfg;
	struct fargs e = {};
	__u64 *off;
	__u32 zero = 0;

	if (!exit_watched(nr))
		return 0;
	cgid = bpf_get_current_cgroup_id();
	cfg = bpf_map_lookup_elem(&members, &cgid);
	if (!cfg)
		return 0;
	if (nr == NR_ioctl) {
		if (cfg->flags & WARD_CFG_GPU)
			gpu_ioctl(regs, cgid);
		return 0;
	}
	if (!(cfg->flags & WARD_CFG_FILES))
		return 0;
	off = bpf_map_lookup_elem(&regs_off, &zero);
	if (off && !*off) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		__u64 rv = 0;

		/* the regs pointer as a plain number: the verifier refuses arithmetic on a
		 * trusted pointer; this CPU's slot only, so no CPU writes another's */
		bpf_probe_read_kernel(&rv, sizeof(rv), &ctx[0]);
		*off = rv - (__u64)BPF_CORE_READ(t, stack);
	}
	if (nr == NR_execve || nr == NR_execveat) {
		exit_exec(cgid, cfg, ret, regs, nr);
		return 0;
	}
	if (nr == NR_connect || nr == NR_sendto || nr == NR_sendmsg || nr == NR_bind) {
		/* bind: only the names the sandbox binds itself (abstract names, audit mode) */
		if (nr == NR_bind ? ret == 0 : ret < 0 || (cfg->flags & WARD_CFG_AUDIT))
			unix_exit(regs, nr, cfg, cgid, ret);
		return 0;
	}
	if (nr == NR_clone || nr == NR_clone3 || nr == NR_unshare || nr == NR_setns) {
		if (ret < 0)
			ns_exit(regs, nr, cfg, cgid, ret, WARD_REC_NS);
		return 0;
	}
	/* A signal for a pid the sandbox's pid namespace does not have: user space tells a
	 * stale pid of its own from a guess at a host process (failures only: ESRCH). */
	if (nr == NR_kill || nr == NR_tkill || nr == NR_tgkill || nr == NR_rt_sigqueueinfo ||
	    nr == NR_rt_tgsigqueueinfo || nr == NR_pidfd_open) {
		if (ret == -3 /* ESRCH */ && (long)PT_REGS_PARM1_CORE_SYSCALL(regs) > 0)
			ns_exit(regs, nr, cfg, cgid, ret, WARD_REC_SIGNAL);
		return 0;
	}
	file_args(regs, nr, &e);
	if (!e.op)
		return 0;
	/* probes (stat, access, readlink, getxattr, chdir) in enforce mode: only failures (the
	 * view answers ENOENT for what is outside it or denied) */
	if (e.op >= WARD_FOP_STAT && ret >= 0 && !(cfg->flags & WARD_CFG_AUDIT))
		return 0;
	return ward_file_exit(&e, cfg, cgid, ret);
}
