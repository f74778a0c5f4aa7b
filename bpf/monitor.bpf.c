// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ward's monitors in one object, so a launch pays one load (12-16 ms here, 8 of them for the
 * vmlinux BTF) or none at all when the programs are pinned under /sys/fs/bpf/ward.
 *
 *  - net:   cgroup/connect4|6, sendmsg4|6, bind4|6 on the sandbox cgroup; allow list in an LPM
 *           trie keyed by (sandbox, op, family, address); return 0 -> EPERM before any packet.
 *  - dev:   cgroup/dev on the sandbox cgroup: allow list by (sandbox, type, major, minor).
 *  - files: raw_tp sys_enter/sys_exit (raw_tp: detaching costs 0.1 ms against 65-90 ms for a
 *           tracepoint/ link), filtered by the cgroup id in the members map, so processes outside
 *           a sandbox pay one hash lookup per syscall entry and exit.
 *
 * One set of programs serves every sandbox: all state is keyed by the sandbox's cgroup id,
 * each sandbox has its own ring buffer (an inner map of rings), so a supervisor only ever
 * reads its own sandbox's records.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "ward/events.h"
#include "monitor.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define AF_INET 2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ward_sandbox_cfg);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} members SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, WARD_RINGBUF_DEFAULT);
	});
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ward_stats);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ward_path_key);
	__type(value, struct ward_path_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__type(key, struct ward_net_key);
	__type(value, struct ward_net_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} net_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ward_dev_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ward_dev_key);
	__type(value, struct ward_gpu_use);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} gpu_use SEC(".maps");

/* A syscall between sys_enter and sys_exit, per thread. */
struct inflight {
	__u32 op, nr;
	__u64 flags;
	__s32 dfd, dfd2;
	__u64 p1, p2;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); /* threads inside a syscall, all sandboxes together */
	__type(key, __u64);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Exec records are built at sys_enter: after a successful execve the old memory is gone. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ward_exec_rec);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} execs SEC(".maps");

/* Scratch space for building records; one per CPU and per program family so a cgroup program
 * running inside a syscall never clobbers the record the syscall hooks are building. */
union scratch {
	struct ward_file_rec f;
	struct ward_exec_rec x;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ward_dev_rec);
} dev_scratch SEC(".maps");

/* ---- output ------------------------------------------------------------------------------ */

static __always_inline void hdr_fill(struct ward_rec_hdr *h, __u32 type, __u64 cgid)
{
	__u64 pt = bpf_get_current_pid_tgid();

	h->type = type;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->ts = bpf_ktime_get_ns();
	h->cgid = cgid;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Batched wake-ups: waking the reader for every record slowed the traced process 2.3x here.
 * Ordinary records do not wake the reader until the ring holds cfg->wake_bytes (the supervisor
 * also polls on a timer); violations wake it at once. Records that do not fit are counted. */
static __always_inline void emit(__u64 cgid, const struct ward_sandbox_cfg *cfg, void *rec,
				 __u64 size, bool urgent)
{
	struct ward_stats *st = bpf_map_lookup_elem(&stats, &cgid);
	void *rb = bpf_map_lookup_elem(&rings, &cgid);
	__u64 flags = BPF_RB_FORCE_WAKEUP;

	if (st)
		st->produced++;
	if (!rb) {
		if (st)
			st->lost++;
		return;
	}
	if (!urgent && bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) < cfg->wake_bytes)
		flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(rb, rec, size, flags) < 0 && st)
		st->lost++;
}

/* ---- network ----------------------------------------------------------------------------- */

static __always_inline int net_check(struct bpf_sock_addr *ctx, __u32 op, bool v6)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ward_sandbox_cfg *cfg = bpf_map_lookup_elem(&members, &cgid);
	struct ward_net_key key = {};
	struct ward_net_val *val;
	struct ward_net_rec r = {};
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	bool allowed = false;
	int i;

	/* These programs are attached to sandbox cgroups only and the sandbox cannot leave its
	 * cgroup: a caller that is not a member is refused rather than let through. */
	if (!cfg)
		return 0;

	key.cgid_lo = (__u32)cgid;
	key.cgid_hi = cgid >> 32;
	key.op = op;
	r.family = v6 ? AF_INET6 : AF_INET;
	if (v6) {
		__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1];
		__u32 a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];

		__builtin_memcpy(&r.addr[0], &a0, 4);
		__builtin_memcpy(&r.addr[4], &a1, 4);
		__builtin_memcpy(&r.addr[8], &a2, 4);
		__builtin_memcpy(&r.addr[12], &a3, 4);
		/* ::ffff:a.b.c.d reaches the IPv4 address: match it against the IPv4 rules. */
		if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0xffff)) {
			key.family = AF_INET;
			key.prefixlen = 96 + 32;
			__builtin_memcpy(key.addr, &a3, 4);
		} else {
			key.family = AF_INET6;
			key.prefixlen = 96 + 128;
			__builtin_memcpy(key.addr, r.addr, 16);
		}
	} else {
		__u32 a = ctx->user_ip4;

		__builtin_memcpy(&r.addr[0], &a, 4);
		key.family = AF_INET;
		key.prefixlen = 96 + 32;
		__builtin_memcpy(key.addr, &a, 4);
	}

	r.rule = -1;
	val = bpf_map_lookup_elem(&net_allow, &key);
	if (val) {
		for (i = 0; i < WARD_NET_PORTS_MAX; i++) {
			if (i >= val->n)
				break;
			if (port >= val->lo[i] && port <= val->hi[i]) {
				allowed = true;
				r.rule = val->rule[i];
				break;
			}
		}
	}
	if (allowed && !(cfg->flags & WARD_CFG_ALLOWED))
		return 1;

	hdr_fill(&r.h, WARD_REC_NET, cgid);
	r.h.size = sizeof(r);
	r.op = op;
	r.type = ctx->type;
	r.protocol = ctx->protocol;
	r.port = port;
	if (!allowed) {
		r.verdict = WARD_V_VIOLATION;
		if (!(cfg->flags & WARD_CFG_AUDIT))
			r.verdict |= WARD_V_BLOCKED;
	}
	emit(cgid, cfg, &r, sizeof(r), !allowed);
	return (r.verdict & WARD_V_BLOCKED) ? 0 : 1;
}

SEC("cgroup/connect4")
int ward_connect4(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_CONNECT, false);
}

SEC("cgroup/connect6")
int ward_connect6(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_CONNECT, true);
}

SEC("cgroup/sendmsg4")
int ward_sendmsg4(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_SEND, false);
}

SEC("cgroup/sendmsg6")
int ward_sendmsg6(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_SEND, true);
}

SEC("cgroup/bind4")
int ward_bind4(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_BIND, false);
}

SEC("cgroup/bind6")
int ward_bind6(struct bpf_sock_addr *ctx)
{
	return net_check(ctx, WARD_NOP_BIND, true);
}

/* ---- devices ----------------------------------------------------------------------------- */

SEC("cgroup/dev")
int ward_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ward_sandbox_cfg *cfg = bpf_map_lookup_elem(&members, &cgid);
	struct ward_dev_key key = {};
	struct ward_dev_rec *r;
	struct inflight *in;
	__u32 *allow, access = ctx->access_type >> 16, zero = 0;
	__u64 tid;
	bool ok = false;

	if (!cfg)
		return 0;
	key.cgid = cgid;
	key.dev_type = ctx->access_type & 0xffff;
	key.major = ctx->major;
	key.minor = ctx->minor;
	allow = bpf_map_lookup_elem(&devices, &key);
	if (allow && (*allow & access) == access) {
		ok = true;
	} else {
		key.minor = WARD_DEV_MINOR_ANY;
		allow = bpf_map_lookup_elem(&devices, &key);
		if (allow && (*allow & access) == access)
			ok = true;
		key.minor = ctx->minor;
	}
	if (ok && (cfg->flags & WARD_CFG_GPU) && (access & ~WARD_DEV_ACC_MKNOD)) {
		struct ward_gpu_use *u = bpf_map_lookup_elem(&gpu_use, &key);

		if (u)
			__sync_fetch_and_add(&u->opens, 1);
	}
	if (ok && !(cfg->flags & WARD_CFG_ALLOWED))
		return 1;

	r = bpf_map_lookup_elem(&dev_scratch, &zero);
	if (!r)
		return ok ? 1 : 0;
	hdr_fill(&r->h, WARD_REC_DEV, cgid);
	r->major = ctx->major;
	r->minor = ctx->minor;
	r->dev_type = key.dev_type;
	r->access = access;
	r->verdict = 0;
	if (!ok) {
		r->verdict = WARD_V_VIOLATION;
		if (!(cfg->flags & WARD_CFG_AUDIT))
			r->verdict |= WARD_V_BLOCKED;
	}
	/* The path, when this check runs inside an open the file monitor is following. */
	r->path_len = 0;
	r->path[0] = 0;
	tid = bpf_get_current_pid_tgid();
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (in && in->p1) {
		long n = bpf_probe_read_user_str(r->path, sizeof(r->path), (void *)in->p1);

		if (n > 0)
			r->path_len = n;
	}
	r->h.size = sizeof(*r);
	emit(cgid, cfg, r, sizeof(*r), !ok);
	return (r->verdict & WARD_V_BLOCKED) ? 0 : 1;
}

/* ---- files and exec ---------------------------------------------------------------------- */

static __always_inline void enter_file(struct pt_regs *regs, long nr, struct inflight *e)
{
	e->nr = nr;
	e->dfd = WARD_AT_FDCWD;
	e->dfd2 = WARD_AT_FDCWD;
	if (nr == NR_openat) {
		e->op = WARD_FOP_OPEN;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == NR_open) {
		e->op = WARD_FOP_OPEN;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_openat2) {
		__u64 how = PT_REGS_PARM3_CORE_SYSCALL(regs);

		e->op = WARD_FOP_OPEN;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		/* struct open_how starts with __u64 flags */
		bpf_probe_read_user(&e->flags, sizeof(e->flags), (void *)how);
	} else if (nr == NR_creat) {
		e->op = WARD_FOP_CREAT;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_truncate) {
		e->op = WARD_FOP_TRUNCATE;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	} else if (nr == NR_unlink) {
		e->op = WARD_FOP_UNLINK;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	} else if (nr == NR_unlinkat) {
		e->op = WARD_FOP_UNLINK;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == NR_rename) {
		e->op = WARD_FOP_RENAME;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p2 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_renameat || nr == NR_renameat2) {
		e->op = WARD_FOP_RENAME;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->dfd2 = PT_REGS_PARM3_CORE_SYSCALL(regs);
		e->p2 = PT_REGS_PARM4_CORE_SYSCALL(regs);
		if (nr == NR_renameat2)
			e->flags = PT_REGS_PARM5_CORE_SYSCALL(regs);
	} else if (nr == NR_mkdir) {
		e->op = WARD_FOP_MKDIR;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_mkdirat) {
		e->op = WARD_FOP_MKDIR;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == NR_link) {
		e->op = WARD_FOP_LINK;
		e->p1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p2 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_linkat) {
		e->op = WARD_FOP_LINK;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->dfd2 = PT_REGS_PARM3_CORE_SYSCALL(regs);
		e->p2 = PT_REGS_PARM4_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM5_CORE_SYSCALL(regs);
	} else if (nr == NR_symlink) {
		/* path = the new name (what is created), path2 = the target text */
		e->op = WARD_FOP_SYMLINK;
		e->p2 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	} else if (nr == NR_symlinkat) {
		e->op = WARD_FOP_SYMLINK;
		e->p2 = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->dfd = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM3_CORE_SYSCALL(regs);
	} else if (nr == NR_name_to_handle_at) {
		e->op = WARD_FOP_HANDLE;
		e->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		e->p1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
		e->flags = PT_REGS_PARM5_CORE_SYSCALL(regs);
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
	struct qstr name;
	long n;

	if (d == w->root_d && mnt == w->root_mnt)
		return 1;
	if (d == BPF_CORE_READ(mnt, mnt_root)) {
		struct mount *m = container_of(mnt, struct mount, mnt);
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (pm == m) {
			/* a root that is not ours: the path is not reachable from the task's root */
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
	name = BPF_CORE_READ(d, d_name);
	n = bpf_probe_read_kernel_str(w->buf + (w->off & (WARD_BASE_MAX - 1)), WARD_PATH_MAX,
				      name.name);
	if (n <= 0)
		return 1;
	w->off += n;
	w->d = parent;
	return 0;
}

/* dirfd (or AT_FDCWD: the cwd) -> components in buf; returns bytes written. */
static __always_inline __u32 walk_base(int dfd, char *buf, __u32 *flags)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct walk_ctx w = {};
	struct path p;

	w.root_d = BPF_CORE_READ(t, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(t, fs, root.mnt);
	if (dfd == WARD_AT_FDCWD) {
		p = BPF_CORE_READ(t, fs, pwd);
	} else {
		struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
		struct file **fds = BPF_CORE_READ(fdt, fd);
		struct file *f = NULL;

		if (dfd < 0 || dfd >= BPF_CORE_READ(fdt, max_fds))
			return 0;
		bpf_probe_read_kernel(&f, sizeof(f), &fds[dfd]);
		if (!f)
			return 0;
		p = BPF_CORE_READ(f, f_path);
	}
	w.d = p.dentry;
	w.mnt = p.mnt;
	w.buf = buf;
	bpf_loop(WARD_DEPTH_MAX * 2, walk_step, &w, 0);
	*flags |= w.flags;
	if (w.d != w.root_d || w.mnt != w.root_mnt)
		*flags |= (w.flags & WARD_V_BASE_OUTSIDE) ? 0 : WARD_V_BASE_TRUNC;
	return w.off;
}

/* Path policy: FNV-1a of each prefix ending at a '/' boundary is looked up in paths; deny
 * anywhere wins, otherwise the longest match gives the class. Relative paths and paths with
 * "." components or "//" are left to user space (WARD_V_UNDECIDED). */
struct cls_ctx {
	const char *p;
	__u64 cgid, h;
	__u32 cls, flags;
	bool deny;
};

static long cls_step(__u32 i, struct cls_ctx *c)
{
	struct ward_path_key k;
	struct ward_path_val *v;
	char ch, next;

	__u64 j = i;

	/* a 64-bit copy hidden from the optimizer: otherwise clang checks one register and
	 * indexes with a zero-extended copy whose bound the verifier does not know */
	asm volatile("" : "+r"(j));
	if (j >= WARD_PATH_MAX - 2)
		return 1;
	ch = c->p[j + 1];
	if (ch == '/' || ch == 0) {
		next = ch ? c->p[j + 2] : 0;
		k.cgid = c->cgid;
		k.hash = c->h;
		v = bpf_map_lookup_elem(&paths, &k);
		if (v && (!(v->flags & WARD_PV_EXACT) || ch == 0 || next == 0)) {
			if (v->cls == WARD_PC_DENY)
				c->deny = true;
			else
				c->cls = v->cls;
		}
		if (ch == 0)
			return 1;
		if (next == '/' || next == '.') {
			c->flags |= WARD_V_UNDECIDED;
			return 1;
		}
		if (next == 0)
			return 1; /* trailing slash: the prefix before it was the whole path */
	}
	c->h = (c->h ^ (__u8)ch) * FNV_PRIME;
	return 0;
}

static __always_inline __u32 classify(__u64 cgid, const char *p, __u32 *ret_flags)
{
	struct cls_ctx c = { .p = p, .cgid = cgid };
	struct ward_path_key k = { .cgid = cgid };
	struct ward_path_val *v;

	if (p[0] != '/') {
		*ret_flags |= WARD_V_UNDECIDED;
		return WARD_PC_NONE;
	}
	c.h = (FNV_OFFSET ^ '/') * FNV_PRIME;
	k.hash = c.h;
	v = bpf_map_lookup_elem(&paths, &k);
	if (v && (!(v->flags & WARD_PV_EXACT) || p[1] == 0))
		c.cls = v->cls;
	if (p[1] == '/' || p[1] == '.') {
		*ret_flags |= WARD_V_UNDECIDED;
		return WARD_PC_NONE;
	}
	if (p[1] != 0)
		bpf_loop(WARD_PATH_MAX, cls_step, &c, 0);
	*ret_flags |= c.flags;
	return c.deny ? WARD_PC_DENY : c.cls;
}

static __always_inline bool cls_violation(__u32 cls, bool write)
{
	if (cls == WARD_PC_DENY || cls == WARD_PC_NONE)
		return true;
	return write && (cls == WARD_PC_RO || cls == WARD_PC_SKEL);
}

static __always_inline void enter_exec(struct pt_regs *regs, long nr, __u64 cgid, __u64 tid)
{
	__u32 zero = 0, off = 0, i;
	union scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct ward_exec_rec *x;
	const char *const *argv;
	const char *path;
	long n;

	if (!s)
		return;
	x = &s->x;
	if (nr == NR_execve) {
		path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		x->ret = WARD_AT_FDCWD; /* dfd until exit */
	} else {
		x->ret = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
		path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		argv = (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs);
	}
	x->verdict = 0;
	x->path_len = 0;
	x->argv_len = 0;
	x->base_len = 0;
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
	if (x->path[0] != '/')
		x->base_len = walk_base(x->ret, x->base, &x->verdict);
	bpf_map_update_elem(&execs, &tid, x, BPF_ANY);
}

static __always_inline void gpu_ioctl(struct pt_regs *regs, __u64 cgid)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	int fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct ward_dev_key k = { .cgid = cgid, .dev_type = WARD_DEV_CHAR };
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

static __always_inline bool is_ward_self(const struct ward_sandbox_cfg *cfg)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);

	if (!cfg->self_ino || !ino)
		return false;
	return BPF_CORE_READ(ino, i_ino) == cfg->self_ino &&
	       BPF_CORE_READ(ino, i_sb, s_dev) == cfg->self_dev;
}

SEC("raw_tp/sys_enter")
int ward_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ward_sandbox_cfg *cfg = bpf_map_lookup_elem(&members, &cgid);
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = ctx->args[1];
	struct inflight e = {};
	__u64 tid;

	if (!cfg)
		return 0;
	if (nr == NR_ioctl) {
		if (cfg->flags & WARD_CFG_GPU)
			gpu_ioctl(regs, cgid);
		return 0;
	}
	if (!(cfg->flags & WARD_CFG_FILES))
		return 0;
	tid = bpf_get_current_pid_tgid();
	if (nr == NR_execve || nr == NR_execveat) {
		e.op = WARD_FOP_EXEC;
		e.nr = nr;
		enter_exec(regs, nr, cgid, tid);
	} else {
		enter_file(regs, nr, &e);
		if (!e.op || is_ward_self(cfg))
			return 0;
	}
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

static __always_inline void exit_exec(__u64 cgid, const struct ward_sandbox_cfg *cfg, __u64 tid,
				      long ret)
{
	struct ward_exec_rec *x = bpf_map_lookup_elem(&execs, &tid);

	if (!x)
		return;
	/* exec.allow is matched with fnmatch() in user space, so every exec goes there. */
	hdr_fill(&x->h, WARD_REC_EXEC, cgid);
	x->h.size = sizeof(*x);
	x->ret = ret;
	emit(cgid, cfg, x, sizeof(*x), false);
	bpf_map_delete_elem(&execs, &tid);
}

SEC("raw_tp/sys_exit")
int ward_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid(), cgid, size;
	struct inflight *e = bpf_map_lookup_elem(&inflight, &tid);
	struct ward_sandbox_cfg *cfg;
	struct ward_file_rec *r;
	union scratch *s;
	__u32 zero = 0, verdict = 0, cls, cls2 = WARD_PC_NONE;
	long ret = ctx->args[1], n;
	bool write, viol;

	if (!e)
		return 0;
	cgid = bpf_get_current_cgroup_id();
	cfg = bpf_map_lookup_elem(&members, &cgid);
	if (!cfg)
		goto out;
	if (e->op == WARD_FOP_EXEC) {
		exit_exec(cgid, cfg, tid, ret);
		goto out;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		goto out;
	r = &s->f;
	r->path_len = r->path2_len = r->base_len = 0;
	n = bpf_probe_read_user_str(r->data, WARD_PATH_MAX, (void *)e->p1);
	if (n <= 0)
		goto out; /* a bad pointer: the syscall failed with EFAULT, nothing was accessed */
	r->path_len = n;
	cls = classify(cgid, r->data, &verdict);
	switch (e->op) {
	case WARD_FOP_OPEN:
		write = e->flags & WARD_O_WRITE_INTENT;
		break;
	case WARD_FOP_LINK:
	case WARD_FOP_HANDLE:
		write = false;
		break;
	default:
		write = true;
	}
	viol = cls_violation(cls, write);
	if (e->p2) {
		n = bpf_probe_read_user_str(r->data + WARD_PATH_MAX, WARD_PATH_MAX, (void *)e->p2);
		if (n > 0) {
			r->path2_len = n;
			/* the symlink target is text, not an access */
			if (e->op != WARD_FOP_SYMLINK) {
				cls2 = classify(cgid, r->data + WARD_PATH_MAX, &verdict);
				viol |= cls_violation(cls2, true);
			}
		}
	}
	if (viol)
		verdict |= WARD_V_VIOLATION;
	if (!(verdict & (WARD_V_VIOLATION | WARD_V_UNDECIDED)) && !(cfg->flags & WARD_CFG_ALLOWED))
		goto out;
	if (r->data[0] != '/')
		r->base_len = walk_base(e->dfd, r->data + 2 * WARD_PATH_MAX, &verdict);
	hdr_fill(&r->h, WARD_REC_FILE, cgid);
	r->nr = e->nr;
	r->op = e->op;
	r->flags = e->flags;
	r->ret = ret;
	r->dfd = e->dfd;
	r->verdict = verdict;
	r->cls = cls;
	r->cls2 = cls2;
	/* path2 relative to a different dirfd: user space resolves it from dfd2 */
	r->dfd2 = e->dfd2;
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
out:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
