/* SPDX-License-Identifier: MIT */
/* FNV-1a 64: small, fast hashes for in-memory sets (not for anything an attacker can choose
 * to collide against a fixed table without a bound: the users cap their chains). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WARD_FNV1A_INIT 0xcbf29ce484222325ULL

static inline uint64_t ward_fnv1a_add(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static inline uint64_t ward_fnv1a(const void *p, size_t n)
{
	return ward_fnv1a_add(WARD_FNV1A_INIT, p, n);
}

/*
 * A map from byte strings to size_t values (common/hash.c): open addressing, linear probing,
 * backward-shift deletion (no tombstones), grown at 1/2 load, so every operation is O(1) on
 * average. Keys are copied into blocks that live as long as the map (a deleted key's copy
 * stays until ward_hashmap_clear()). The hash is FNV-1a seeded once per process from AT_RANDOM, so
 * a profile author cannot line keys up on one chain without knowing the seed.
 */
struct ward_hashmap_slot;
struct ward_hashmap_keys;
struct ward_hashmap {
	struct ward_hashmap_slot *slots;
	size_t cap, n;			/* cap: 0 or a power of two */
	struct ward_hashmap_keys *keys; /* the copies, in blocks freed together */
};

/* Makes room for n keys in all, so that adding up to n does not rehash; -ENOMEM. */
int ward_hashmap_reserve(struct ward_hashmap *m, size_t n);
/* Inserts key or replaces its value; 1 if it was new, 0 if replaced, -ENOMEM. */
int ward_hashmap_put(struct ward_hashmap *m, const void *key, size_t len, size_t value);
/* Inserts key with value unless present: 1 if inserted, 0 if present (its value in
 * *ret_existing, which may be NULL; nothing changed), -ENOMEM. One lookup for "find, then add". */
int ward_hashmap_insert(struct ward_hashmap *m, const void *key, size_t len, size_t value,
			size_t *ret_existing);
/* True if present, with its value in *ret_value (may be NULL). */
bool ward_hashmap_get(const struct ward_hashmap *m, const void *key, size_t len, size_t *ret_value);
/* True if it was present. */
bool ward_hashmap_del(struct ward_hashmap *m, const void *key, size_t len);
/* Frees every key and the table; the map is empty and usable again. */
void ward_hashmap_clear(struct ward_hashmap *m);
