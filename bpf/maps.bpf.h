/* SPDX-License-Identifier: MIT */
/*
 * What the monitor programs share (bpf/monitor.bpf.c includes it once, before net.bpf.c,
 * dev.bpf.c and files.bpf.c): syscall numbers, the maps user space fills and reads, and the
 * output path (record header, ring buffer, counters).
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "ward/events.h"

/* Syscall numbers of the native ABI (foreign and x32 ABIs are refused by seccomp, so the
 * native table is the only one a sandboxed process can use). */
#if defined(__TARGET_ARCH_x86)
#define NR_open		     2
#define NR_creat	     85
#define NR_truncate	     76
#define NR_unlink	     87
#define NR_rename	     82
#define NR_mkdir	     83
#define NR_link		     86
#define NR_symlink	     88
#define NR_ioctl	     16
#define NR_execve	     59
#define NR_openat	     257
#define NR_mkdirat	     258
#define NR_unlinkat	     263
#define NR_renameat	     264
#define NR_linkat	     265
#define NR_symlinkat	     266
#define NR_name_to_handle_at 303
#define NR_renameat2	     316
#define NR_execveat	     322
#define NR_openat2	     437
#define NR_connect	     42
#define NR_sendto	     44
#define NR_sendmsg	     46
#define NR_bind		     49
#define NR_stat		     4
#define NR_lstat	     6
#define NR_access	     21
#define NR_chdir	     80
#define NR_readlink	     89
#define NR_getxattr	     191
#define NR_lgetxattr	     192
#define NR_newfstatat	     262
#define NR_readlinkat	     267
#define NR_faccessat	     269
#define NR_statx	     332
#define NR_faccessat2	     439
#define NR_clone	     56
#define NR_unshare	     272
#define NR_setns	     308
#define NR_clone3	     435
#define NR_kill		     62
#define NR_tkill	     200
#define NR_tgkill	     234
#define NR_rt_sigqueueinfo   129
#define NR_rt_tgsigqueueinfo 297
#define NR_pidfd_open	     434
#elif defined(__TARGET_ARCH_arm64)
/* asm-generic: no legacy path syscalls (open, creat, unlink, rename, mkdir, link, symlink). */
#define NR_open		     -1
#define NR_creat	     -1
#define NR_unlink	     -1
#define NR_rename	     -1
#define NR_mkdir	     -1
#define NR_link		     -1
#define NR_symlink	     -1
#define NR_renameat	     -1
#define NR_ioctl	     29
#define NR_mkdirat	     34
#define NR_unlinkat	     35
#define NR_symlinkat	     36
#define NR_linkat	     37
#define NR_truncate	     45
#define NR_openat	     56
#define NR_execve	     221
#define NR_name_to_handle_at 264
#define NR_renameat2	     276
#define NR_execveat	     281
#define NR_openat2	     437
#define NR_connect	     203
#define NR_sendto	     206
#define NR_sendmsg	     211
#define NR_bind		     200
#define NR_stat		     -1
#define NR_lstat	     -1
#define NR_access	     -1
#define NR_readlink	     -1
#define NR_chdir	     49
#define NR_getxattr	     8
#define NR_lgetxattr	     9
#define NR_newfstatat	     79
#define NR_readlinkat	     78
#define NR_faccessat	     48
#define NR_statx	     291
#define NR_faccessat2	     439
#define NR_clone	     220
#define NR_unshare	     97
#define NR_setns	     268
#define NR_clone3	     435
#define NR_kill		     129
#define NR_tkill	     130
#define NR_tgkill	     131
#define NR_rt_sigqueueinfo   138
#define NR_rt_tgsigqueueinfo 240
#define NR_pidfd_open	     434
#else
#error "ward: syscall numbers for this architecture are missing"
#endif

/* CPUs regs_off_get() looks at when its own has not learned the offset yet. */
#define WARD_CPUS_SCAN 1024

#define WARD_AT_FDCWD	    -100
#define WARD_O_WRITE_INTENT (01 | 02 | 0100 | 01000) /* O_WRONLY O_RDWR O_CREAT O_TRUNC */

#define AF_INET	 2
#define AF_INET6 10

/* The syscall number in the saved user registers (struct pt_regs differs per architecture). */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR orig_ax
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR syscallno
#endif

/* ---- maps ---------------------------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ward_sandbox_cfg);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} members SEC(".maps");

/* Where records go. A private load (nothing pinned) has one sandbox: its own `ring`, sized
 * before load. The pinned set serves many: `rings` is a pool of ring buffers created and
 * inserted once at pin time; a sandbox claims a slot (a lock file) and its members entry names
 * the slot. No map-in-map update ever happens per launch: each one waits for an RCU grace
 * period (maybe_wait_bpf_programs(), 10-20 ms here). */
const volatile bool pooled = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(
		values, struct {
			__uint(type, BPF_MAP_TYPE_RINGBUF);
			__uint(max_entries, 4096);
		});
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

/* Offset of the syscall pt_regs from the task's stack base (constant for a kernel build, but it
 * depends on THREAD_SIZE, KASAN and, on x86-64 with FRED, TOP_OF_KERNEL_STACK_PADDING: nothing a
 * BPF object or user space can know before load), so sys_exit learns it from its own regs
 * pointer. The cgroup/dev program finds the path of the open it runs inside from it. Per CPU:
 * each CPU writes only its own slot, once, and readers fall back to another CPU's slot (see
 * regs_off_get()). 0: not known yet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} regs_off SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ward_stats);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
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

/* exec.allow by inode (struct ward_exec_key), filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ward_exec_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} exec_ok SEC(".maps");

/* The exec programs' verdict (WARD_V_KILLED, _DEFER, _LSM) for the sys_exit program that
 * reports the same exec, by thread (after de_thread() the exec'ing thread has the leader's id
 * in both). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} exec_mark SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ward_dev_key);
	__type(value, struct ward_gpu_use);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} gpu_use SEC(".maps");

/* Scratch space for building records; one per CPU and per program family so a cgroup program
 * running inside a syscall never clobbers the record the syscall hooks are building. */
struct scratch {
	union {
		struct ward_file_rec f;
		struct ward_exec_rec x;
		struct ward_unix_rec u;
		struct ward_ns_rec ns;
	};
	__u32 pad; /* puts k.path on an 8-byte boundary for the word scan */
	struct ward_path_key k;
	char slack[WARD_PATH_MAX + 16 - WARD_LPM_PATH]; /* a whole string fits from k.path */
};
_Static_assert(sizeof(struct ward_file_rec) % 8 == 0 && sizeof(struct ward_exec_rec) % 8 == 0,
	       "scratch layout");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
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
 * Ordinary records do not wake the reader until the ring holds cfg->wake_bytes; violations
 * wake it at once. Both at most once per WARD_WAKE_GAP_NS: a consumer fast enough to catch up
 * after every record otherwise turns a burst of violations into one wake-up per record, the slow
 * case above (measured: a faster sink made bench/events.sh slower until this gap). The wake-up
 * is forced (flags 0 wakes only a reader that has consumed everything before this record, so
 * a threshold reached behind a sleeping reader would never wake it). A record inside the gap
 * waits for the reader woken less than a millisecond ago, or for its poll (every
 * WARD_MONITOR_POLL_MS, 25 ms). Records that do not fit are counted. */
#define WARD_WAKE_GAP_NS 1000000ull
static __always_inline void ring_out(void *rb, struct ward_sandbox_cfg *cfg, struct ward_stats *st,
				     void *rec, __u64 size, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= cfg->wake_bytes) {
		/* the record's own time, read by hdr_fill() just before: a second clock read per
		 * record was 2-3% of the traced process in bench/events.sh (read_tsc) */
		__u64 now = ((const struct ward_rec_hdr *)rec)->ts;

		if (now - cfg->last_wake_ns >= WARD_WAKE_GAP_NS) {
			cfg->last_wake_ns = now; /* racy across CPUs: at worst one extra wake-up */
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	if (bpf_ringbuf_output(rb, rec, size, flags) < 0 && st)
		st->lost++;
}

static __always_inline void emit(__u64 cgid, struct ward_sandbox_cfg *cfg, void *rec, __u64 size,
				 bool urgent)
{
	struct ward_stats *st = bpf_map_lookup_elem(&stats, &cgid);

	if (st)
		st->produced++;
	if (pooled) {
		__u32 slot = cfg->slot;
		void *rb = bpf_map_lookup_elem(&rings, &slot);

		if (!rb) {
			if (st)
				st->lost++;
			return;
		}
		ring_out(rb, cfg, st, rec, size, urgent);
	} else {
		ring_out(&ring, cfg, st, rec, size, urgent);
	}
}

/* The learned pt_regs offset (see regs_off): this CPU's, else the first CPU's that has one. */
struct regs_off_scan {
	__u64 off;
};

static long regs_off_step(__u32 cpu, struct regs_off_scan *s)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_percpu_elem(&regs_off, &zero, cpu);

	if (!v)
		return 1; /* past the last possible CPU */
	s->off = *v;
	return s->off != 0;
}

static __always_inline __u64 regs_off_get(void)
{
	struct regs_off_scan s = {};
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&regs_off, &zero);

	if (v && *v)
		return *v;
	bpf_loop(WARD_CPUS_SCAN, regs_off_step, &s, 0);
	return s.off;
}
