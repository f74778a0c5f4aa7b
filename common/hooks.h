/* SPDX-License-Identifier: MIT */
/*
 * Test and debug knobs (environment variables), read once by main() into ward_hooks and only
 * read from there: no module calls getenv() for them. None of them weakens a sandbox without
 * showing it: WARD_MONITORS=off is a missing layer like any other (--allow-degraded).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ward_test_hooks {
	const char *dev_root;	   /* WARD_DEV_ROOT: where GPU nodes are found ("/dev") */
	bool monitors_off;	   /* WARD_MONITORS=off: benchmarks of the other layers */
	size_t ringbuf_bytes;	   /* WARD_RINGBUF_BYTES: ring size (tests of loss); 0 default */
	bool bpf_debug;		   /* WARD_BPF_DEBUG: libbpf and verifier output on stderr */
	bool monitor_timing;	   /* WARD_MONITOR_TIMING: cost of each monitor step */
	bool bpf_no_syscall_progs; /* WARD_BPF_NO_SYSCALL_PROGS: as on a kernel without them */
	bool bpf_no_pinned;	   /* WARD_BPF_NO_PINNED: ignore a pinned monitor set */
	bool bpf_vmlinux_btf;  /* WARD_BPF_VMLINUX_BTF: relocate against the whole vmlinux BTF */
	const char *spool_dir; /* WARD_SPOOL_DIR: the unix sink's spool directory */
	unsigned layers_off;   /* WARD_LAYERS_OFF=seccomp,landlock,view: benchmarks */
};

/* WARD_LAYERS_OFF: single layers switched off to measure each one's share (bench/syscall.sh).
 * Each is a missing layer in the start event, so it needs --allow-degraded. "view" leaves the
 * host's mount tree as it is (no tmpfs root, binds, masks or overlays). */
#define WARD_LAYER_OFF_SECCOMP	(1u << 0)
#define WARD_LAYER_OFF_LANDLOCK (1u << 1)
#define WARD_LAYER_OFF_VIEW	(1u << 2)

/* Defaults ("/dev", the built-in spool directory, everything else off) until
 * ward_test_hooks_read() fills it from the environment. */
extern struct ward_test_hooks ward_hooks;
void ward_test_hooks_read(void);
