// SPDX-License-Identifier: MIT
/*
 * ward_monitor_probe(): which BPF program types load on this kernel, found by loading a
 * two-instruction program of each type (a kernel config or lockdown can refuse a type the
 * headers know, e.g. fentry and lsm fail with EPERM on the reference machine), and which
 * mechanism each monitor therefore uses.
 */
#include <linux/types.h>

#include "common/macro.h"
#include "monitor/internal.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int try_load(enum bpf_prog_type type, enum bpf_attach_type eat, int btf_id)
{
	const struct bpf_insn insns[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = 0}, /* r0 = 0 (BPF_ALU64 | BPF_MOV | BPF_K) */
		{.code = 0x95},				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, NULL, "GPL", insns, ARRAY_SIZE(insns), &o);

	if (fd < 0)
		return -errno;
	close(fd);
	return 1;
}

static int probe_ringbuf(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, sysconf(_SC_PAGESIZE), NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* The vmlinux BTF mapped, not read: reading the 5.5 MB through sysfs cost 4-20 ms here,
 * mapping and parsing 2.5 ms (kernels since 6.16 map it; older ones fall back to reading). */
static struct btf *vmlinux_btf(void)
{
	_cleanup_close_ int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct btf *b = NULL;

	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			b = btf__new(p, st.st_size);
			munmap(p, st.st_size);
			if (libbpf_get_error(b))
				b = NULL;
		}
	}
	return b ? b : btf__load_vmlinux_btf();
}

bool ward_monitor_probe_lsm(void)
{
	int id = ward_monitor_min_btf_lsm_id(); /* the build host's kernel: recorded */
	struct btf *vmlinux;

	if (id >= 0)
		return id > 0 && try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id) > 0;
	vmlinux = vmlinux_btf();
	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, "bpf_lsm_bprm_check_security", BTF_KIND_FUNC);
	btf__free(vmlinux);
	return id > 0 && try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id) > 0;
}

int ward_monitor_probe(struct ward_monitor_features *ret)
{
	struct btf *vmlinux;

	if (!ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	ret->ringbuf = probe_ringbuf() > 0;
	ret->raw_tp = try_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0) > 0;
	ret->tracepoint = try_load(BPF_PROG_TYPE_TRACEPOINT, 0, 0) > 0;
	ret->cgroup_dev = try_load(BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, 0) > 0;
	ret->cgroup_sock_addr =
		try_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, 0) > 0;
	ret->cgroup_skb = try_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, 0) > 0;
	ret->cgroup_sysctl = try_load(BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, 0) > 0;

	/* The BTF-typed types need a target: a tracepoint, a kernel function, an LSM hook. */
	vmlinux = ret->btf ? vmlinux_btf() : NULL;
	if (vmlinux) {
		int tp = btf__find_by_name_kind(vmlinux, "btf_trace_sys_exit", BTF_KIND_TYPEDEF);
		int fn = btf__find_by_name_kind(vmlinux, "do_unlinkat", BTF_KIND_FUNC);
		int lsm = btf__find_by_name_kind(vmlinux, "bpf_lsm_file_open", BTF_KIND_FUNC);

		if (tp > 0)
			ret->tp_btf = try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, tp) > 0;
		if (fn > 0)
			ret->fentry = try_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, fn) > 0;
		if (lsm > 0)
			ret->lsm = try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, lsm) > 0;
		btf__free(vmlinux);
	}

	/* What ward uses: the file and exec monitors are a tp_btf sys_exit program
	 * (BTF-typed CO-RE reads need vmlinux BTF); enforcement of files and exec is the mount
	 * view plus Landlock, so LSM programs are reported but not needed. */
	ret->file_mech = ret->tp_btf ? "tp_btf" : "off";
	/* exec.allow by inode: BPF LSM (bprm_check_security, the exec fails EACCES) where it
	 * loads, else the tp_btf programs (sched_process_exec kills the new image before its
	 * first instruction, sys_exit reports) */
	ret->exec_mech = ret->tp_btf && ret->lsm ? "lsm" : ret->file_mech;
	ret->net_mech = ret->cgroup_sock_addr ? "cgroup/sock_addr" : "off";
	ret->dev_mech = ret->cgroup_dev ? "cgroup/dev" : "off";
	ret->core_btf = ward_monitor_min_btf_usable() ? "minimal" : "vmlinux";
	return 0;
}
