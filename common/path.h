/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

/* Joins path to base when relative (base absolute, may be NULL for "/") and removes ".",
 * "..", "//" and a trailing "/"; ".." at the root stays at the root. -ENAMETOOLONG, -EINVAL. */
int ward_path_normalize(const char *base, const char *path, char *out, size_t out_len);
/* Is path equal to prefix or below it (at a '/' boundary)? Both normalized. */
bool ward_path_under(const char *path, const char *prefix);
/* FNV-1a 64 of n bytes (user space only: the BPF side matches prefixes in an LPM trie). */
static inline uint64_t ward_path_hash(const char *s, size_t n)
{
	return ward_fnv1a(s, n);
}

/* The #! interpreter (first word of the line) or the ELF interpreter (PT_INTERP) of the file
 * at path, absolute, into out: the kernel opens it for execution on the program's behalf.
 * -ENOENT when there is none. */
int ward_path_interpreter(const char *path, char *out, size_t len);
