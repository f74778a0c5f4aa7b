// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Device monitor: cgroup/dev on the sandbox cgroup, an allow list by (sandbox, type, major,
 * minor or any), GPU open counts, and the path of the open the check runs inside. Part of the
 * one monitor object: included by monitor.bpf.c, not built on its own.
 */
#include "maps.bpf.h"

/* The context by its UAPI layout, like struct ward_sock_addr_ctx (net.bpf.c): no CO-RE. */
struct ward_dev_ctx {
	__u32 access_type;
	__u32 major;
	__u32 minor;
};

/* The syscall number from the saved user registers of a task other than through tp_btf: a
 * CO-RE read, since the cgroup/dev program holds no BTF pointer to them. */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
#error "ward: the syscall number register of this architecture is missing"
#endif
}

SEC("cgroup/dev")
int ward_dev(struct bpf_cgroup_dev_ctx *dc)
{
	const struct ward_dev_ctx *ctx = (const void *)dc;
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ward_sandbox_cfg *cfg = bpf_map_lookup_elem(&members, &cgid);
	struct ward_dev_key key = {};
	struct ward_dev_rec *r;
	__u32 *allow, access = ctx->access_type >> 16, zero = 0;
	bool ok = false;
	__u64 off;

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
	off = regs_off_get();
	if (off) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		struct pt_regs *regs = (void *)((__u64)BPF_CORE_READ(t, stack) + off);
		long nr = syscall_nr(regs), n = 0;
		__u64 p = 0;

		if (nr == NR_openat || nr == NR_openat2)
			p = PT_REGS_PARM2_CORE_SYSCALL(regs);
		else if (nr == NR_open)
			p = PT_REGS_PARM1_CORE_SYSCALL(regs);
		if (p)
			n = bpf_probe_read_user_str(r->path, sizeof(r->path), (void *)p);
		if (n > 0)
			r->path_len = n;
	}
	r->h.size = sizeof(*r);
	emit(cgid, cfg, r, sizeof(*r), !ok);
	return (r->verdict & WARD_V_BLOCKED) ? 0 : 1;
}
