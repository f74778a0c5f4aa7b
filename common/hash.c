// SPDX-License-Identifier: MIT
/* The byte-string map of common/hash.h: linear lists made linear-time (profile lists, anchors). */
#include "common/hash.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

struct ward_hashmap_slot {
	char *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t value;
};

static uint64_t seeded(const void *key, size_t len)
{
	static uint64_t seed;
	uint64_t h;

	if (!seed) {
		/* AT_RANDOM: 16 bytes the kernel gave this process (getauxval(3)). */
		const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);

		seed = r ? ward_fnv1a(r, 16) : WARD_FNV1A_INIT;
		seed |= 1;
	}
	h = ward_fnv1a_add(seed, key, len);
	/* FNV-1a's low bits, which pick the slot, depend only on the keys' low bits: mix the
	 * high bits down (the murmur3 finalizer) or keys like K1..K99999 share long runs. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

struct ward_hashmap_keys {
	struct ward_hashmap_keys *next;
	size_t used, size;
	char data[];
};

#define KEY_BLOCK 16384

/* A copy of key in m's key blocks (one malloc per block, not per key). */
static char *copy_key(struct ward_hashmap *m, const void *key, size_t len)
{
	struct ward_hashmap_keys *b = m->keys;
	char *c;

	if (!b || b->size - b->used < len) {
		size_t size = len > KEY_BLOCK ? len : KEY_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = m->keys;
		m->keys = b;
	}
	c = b->data + b->used;
	memcpy(c, key, len);
	b->used += len;
	return c;
}

static size_t find_slot(const struct ward_hashmap *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const struct ward_hashmap_slot *s = &m->slots[i];

		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return i;
	}
}

static int resize(struct ward_hashmap *m, size_t cap)
{
	struct ward_hashmap_slot *n = calloc(cap, sizeof(*n)), *old = m->slots;
	size_t old_cap = m->cap;

	if (!n)
		return -ENOMEM;
	m->slots = n;
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			m->slots[find_slot(m, old[i].key, old[i].len, old[i].hash)] = old[i];
	free(old);
	return 0;
}

int ward_hashmap_reserve(struct ward_hashmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 16;

	while (n * 2 > cap)
		cap *= 2;
	return cap == m->cap ? 0 : resize(m, cap);
}

static int upsert(struct ward_hashmap *m, const void *key, size_t len, size_t value, bool replace,
		  size_t *ret_existing)
{
	struct ward_hashmap_slot *s;
	uint64_t h = seeded(key, len);

	if ((m->n + 1) * 2 > m->cap && resize(m, m->cap ? m->cap * 2 : 16) < 0)
		return -ENOMEM;
	s = &m->slots[find_slot(m, key, len, h)];
	if (s->key) {
		if (ret_existing)
			*ret_existing = s->value;
		if (replace)
			s->value = value;
		return 0;
	}
	s->key = copy_key(m, key, len);
	if (!s->key)
		return -ENOMEM;
	s->len = len;
	s->hash = h;
	s->value = value;
	m->n++;
	return 1;
}

int ward_hashmap_put(struct ward_hashmap *m, const void *key, size_t len, size_t value)
{
	return upsert(m, key, len, value, true, NULL);
}

int ward_hashmap_insert(struct ward_hashmap *m, const void *key, size_t len, size_t value,
			size_t *ret_existing)
{
	return upsert(m, key, len, value, false, ret_existing);
}

bool ward_hashmap_get(const struct ward_hashmap *m, const void *key, size_t len, size_t *ret_value)
{
	const struct ward_hashmap_slot *s;

	if (!m->cap)
		return false;
	s = &m->slots[find_slot(m, key, len, seeded(key, len))];
	if (!s->key)
		return false;
	if (ret_value)
		*ret_value = s->value;
	return true;
}

bool ward_hashmap_del(struct ward_hashmap *m, const void *key, size_t len)
{
	size_t mask = m->cap - 1, i, j;

	if (!m->cap)
		return false;
	i = find_slot(m, key, len, seeded(key, len));
	if (!m->slots[i].key)
		return false;
	m->slots[i].key = NULL;
	m->n--;
	/* Backward shift: move later members of the run into the hole when their home slot is
	 * at or before it (Knuth 6.4, algorithm R), so lookups never stop early. */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return true;
}

void ward_hashmap_clear(struct ward_hashmap *m)
{
	while (m->keys) {
		struct ward_hashmap_keys *next = m->keys->next;

		free(m->keys);
		m->keys = next;
	}
	free(m->slots);
	*m = (struct ward_hashmap){0};
}
