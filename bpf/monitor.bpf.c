// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ward's monitors in one object, so a launch pays one load (12-16 ms here, 8 of them for the
 * vmlinux BTF) or none at all when the programs are pinned under /sys/fs/bpf/ward.
 *
 *  - net (net.bpf.c): cgroup/connect4|6, sendmsg4|6, bind4|6 on the sandbox cgroup; allow list in
 * an LPM trie keyed by (sandbox, op, family, address); return 0 -> EPERM before any packet.
 *  - dev (dev.bpf.c): cgroup/dev on the sandbox cgroup: allow list by (sandbox, type, major,
 *           minor).
 *  - files, exec, unix sockets, GPU ioctl counts (files.bpf.c): tp_btf sys_exit only (a raw
 * tracepoint: detaching costs 0.1 ms against 65-90 ms for a tracepoint/ link; no sys_enter hook,
 *           which cost every syscall of the host a second BPF call), filtered first by syscall
 *           number (a constant bitmap) and then by the cgroup id in the members map: a process
 *           outside a sandbox pays a compare on most syscalls and one hash lookup on the
 *           watched ones.
 *
 * One set of programs serves every sandbox: all state is keyed by the sandbox's cgroup id,
 * each sandbox has its own ring buffer (a private `ring`, or a slot of the pinned `rings`
 * pool), so a supervisor only ever reads its own sandbox's records. Maps and the output path:
 * maps.bpf.h.
 */
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* One translation unit, so one object, one load and one skeleton; the sources per monitor are
 * not built on their own (the Makefile builds bpf/monitor.bpf.c only). */
#include "net.bpf.c"
#include "dev.bpf.c"
#include "files.bpf.c"
#include "exec.bpf.c"
