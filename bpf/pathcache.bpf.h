/* SPDX-License-Identifier: MIT */
/*
 * The file monitor's path decision cache: per CPU, direct-mapped, exact. The class of a path
 * is a function of (sandbox, path string) alone: user space writes a sandbox's `paths` entries
 * before its `members` entry and never changes them while it runs, and a cgroup id is never
 * handed out twice (ward makes a new cgroup per launch; kernfs ids are 64-bit), so an entry
 * can never go stale. A hit still needs the same sandbox, length and every byte: the cache
 * saves the LPM lookup (about 70 ns here for a path 5 entries deep, each trie node compared
 * from the first byte), not the string read. Only decided classes are stored (no "/.", "//",
 * relative or long paths). Included by files.bpf.c.
 */
#pragma once

#include "maps.bpf.h"
#include "ward/pathcache.h"

struct pcache_ent {
	__u64 cgid;
	__u32 len; /* string bytes, NUL excluded */
	__u32 cls;
	/* bytes at and after len: left over, never compared; + 8: the verifier bounds the scan's
	 * word offset by the length (246), not by the word (240) */
	char path[WARD_LPM_PATH + 8];
};

/* Per CPU: no locks, no sharing; one program run at a time on a CPU (the tracepoint run is
 * not reentered: bpf_prog->active), so an entry is never seen half written. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WARD_PCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct pcache_ent);
} path_cache SEC(".maps");
