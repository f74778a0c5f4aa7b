// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * exec.allow enforced by the executable's inode (exec_ok, filled by user space from the glob
 * expansion of exec.allow and the command ward was asked to run). Landlock grants execute on
 * the ELF interpreter of every allowed program, so `ld.so /usr/bin/id` gets past it: the
 * target is only mmap()ed. Two mechanisms, the first that loads:
 *  - lsm/bprm_check_security (BPF LSM): the exec fails EACCES. Not loadable on the reference
 *    machine (lsm: no), so its autoload is switched off there.
 *  - tp_btf/sched_process_exec: after the point of no return, before the new image runs one
 *    instruction; an executable nothing allowed gets SIGKILL (bpf_send_signal() from the
 *    exec'ing task: the signal is pending when it returns to user mode), as Tetragon's Sigkill
 *    action enforces without LSM.
 * Both tell a direct exec from an interpreter step with the binprm: bprm->interp starts as
 * bprm->filename and binfmt_script (or binfmt_misc) points it at the interpreter. So an
 * INTERP-only file (ld.so, /bin/sh for an allowed script) passes only as an interpreter; run
 * directly it is killed. Part of the one monitor object (monitor.bpf.c includes it).
 */
#include "maps.bpf.h"

#define WARD_SIGKILL	      9
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* 0: allowed; else the WARD_V_* verdict. */
static __always_inline __u32 exec_judge(struct linux_binprm *bprm, __u64 cgid)
{
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);
	struct ward_exec_key k = {.cgid = cgid};
	__u32 *v, flags = 0;
	bool direct;

	if (!ino)
		return 0;
	k.ino = BPF_CORE_READ(ino, i_ino);
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	v = bpf_map_lookup_elem(&exec_ok, &k);
	if (v)
		flags = *v;
	if (flags & WARD_EXEC_PROGRAM)
		return 0;
	direct = BPF_CORE_READ(bprm, interp) == BPF_CORE_READ(bprm, filename);
	if (!direct && (flags & WARD_EXEC_INTERP))
		return 0; /* the script itself needed Landlock's execute right; its name is judged
			   * in user space */
	/* An overlay (the view hides a denied name in the directory with one) has inodes of
	 * its own: user space judges by name */
	if (!flags && BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC)
		return WARD_V_DEFER;
	return WARD_V_KILLED;
}

static __always_inline struct ward_sandbox_cfg *exec_cfg(__u64 *ret_cgid)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ward_sandbox_cfg *cfg = bpf_map_lookup_elem(&members, &cgid);

	if (!cfg || !(cfg->flags & WARD_CFG_EXEC))
		return NULL;
	*ret_cgid = cgid;
	return cfg;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ward_exec_check, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgid, tid = bpf_get_current_pid_tgid();
	__u32 v;

	if (!exec_cfg(&cgid))
		return 0;
	v = exec_judge(bprm, cgid);
	if (!v)
		return 0;
	if (v & WARD_V_KILLED)
		bpf_send_signal(WARD_SIGKILL);
	bpf_map_update_elem(&exec_mark, &tid, &v, BPF_ANY);
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(ward_bprm_check, struct linux_binprm *bprm, int ret)
{
	__u64 cgid, tid = bpf_get_current_pid_tgid();
	__u32 v;

	if (ret || !exec_cfg(&cgid))
		return ret;
	v = exec_judge(bprm, cgid);
	if (!(v & WARD_V_KILLED))
		return 0;
	v = WARD_V_LSM;
	bpf_map_update_elem(&exec_mark, &tid, &v, BPF_ANY);
	return -13; /* EACCES */
}
