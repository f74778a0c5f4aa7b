/* SPDX-License-Identifier: MIT */
/*
 * The file monitor's path decision cache (bpf/pathcache.bpf.h): which slot a path string goes
 * to and which bytes of an 8-byte word of it count. Shared with the unit test
 * (tests/unit/test_pathcache.c); like events.h it includes nothing: the includer provides
 * __u64 (vmlinux.h on the BPF side, <linux/types.h> in user space).
 */
#ifndef WARD_PATHCACHE_H
#define WARD_PATHCACHE_H

#define WARD_PCACHE_SLOTS 64 /* per CPU; a power of two (the slot is the top bits of a hash) */
#define WARD_PCACHE_SHIFT 58 /* 64 - log2(WARD_PCACHE_SLOTS) */

/* The bytes of the word at byte offset off of a string of len bytes (NUL excluded) that
 * belong to the string, as a mask of a little-endian load: the bytes at and after the NUL are
 * whatever an earlier, longer string left there. */
static inline __u64 ward_pcache_keep(__u64 len, __u64 off)
{
	if (off >= len)
		return 0;
	return len - off >= 8 ? ~0ULL : (1ULL << ((len - off) * 8)) - 1;
}

/* The slot of a string from its length and its last (masked, 8-aligned) word, which holds the
 * end of the file name: no second pass over the string, the scan that checks it compares it
 * with the slot's entry as it goes. Paths that share both go to one slot and evict each other;
 * a hit still needs every byte equal. */
static inline __u32 ward_pcache_slot(__u64 len, __u64 last)
{
	return (__u32)(((last ^ (len * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL) >>
		       WARD_PCACHE_SHIFT);
}

#endif
