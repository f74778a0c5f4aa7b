// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Network monitor: cgroup/connect4|6, sendmsg4|6 and bind4|6 on the sandbox cgroup. The allow
 * list is an LPM trie keyed by (sandbox, op, family, address) whose values carry port ranges;
 * not allowed -> return 0, EPERM before any packet. Part of the one monitor object: included by
 * monitor.bpf.c, not built on its own.
 */
#include "maps.bpf.h"

/* The context of the cgroup/sock_addr programs by its UAPI layout (include/uapi/linux/bpf.h, a
 * stable ABI): the kernel rewrites context accesses by offset, so the CO-RE relocations that
 * vmlinux.h's types carry (preserve_access_index) would change nothing and cost libbpf a search of
 * the whole vmlinux BTF per type at load. Declared after vmlinux.h: no relocations. */
struct ward_sock_addr_ctx {
	__u32 user_family;
	__u32 user_ip4;
	__u32 user_ip6[4];
	__u32 user_port;
	__u32 family;
	__u32 type;
	__u32 protocol;
};

static __always_inline int net_check(struct bpf_sock_addr *sa, __u32 op, bool v6)
{
	const struct ward_sock_addr_ctx *ctx = (const void *)sa;
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
