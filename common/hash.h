/* SPDX-License-Identifier: MIT */
/* FNV-1a 64: small, fast hashes for in-memory sets (not for anything an attacker can choose
 * to collide against a fixed table without a bound: the users cap their chains). */
#pragma once

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
