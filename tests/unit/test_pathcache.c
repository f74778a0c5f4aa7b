// SPDX-License-Identifier: MIT
/* Unit tests for include/ward/pathcache.h, the file monitor's path cache (bpf/pathcache.bpf.h):
 * the byte masks its comparison uses and the slot a path goes to, applied the way
 * ward_classify() applies them (8-byte little-endian words, bytes after the NUL left over). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>

#include "ward/pathcache.h"

/* A path as the BPF side holds it: in a buffer that earlier, longer strings wrote to. */
struct buf {
	char b[256 + 8];
};

static void put(struct buf *d, const char *path, char junk)
{
	memset(d->b, junk, sizeof(d->b));
	memcpy(d->b, path, strlen(path) + 1);
}

static __u64 word(const struct buf *d, size_t off)
{
	__u64 w;

	memcpy(&w, d->b + off, sizeof(w));
	return w;
}

/* ward_classify(): the slot from the length and the last 8-aligned word, masked */
static __u32 slot_of(const struct buf *d, __u64 len)
{
	__u64 last_off = (len - 1) & 0xf8;

	return ward_pcache_slot(len, word(d, last_off) & ward_pcache_keep(len, last_off));
}

/* scan_step(): the entry matches when every masked word is equal */
static bool same(const struct buf *a, const struct buf *e, __u64 len)
{
	__u64 diff = 0;

	for (__u64 off = 0; off < len; off += 8)
		diff |= (word(a, off) ^ word(e, off)) & ward_pcache_keep(len, off);
	return diff == 0;
}

static void test_keep(void **state)
{
	(void)state;
	for (__u64 len = 1; len <= 40; len++)
		for (__u64 off = 0; off <= 40; off += 8) {
			__u64 keep = ward_pcache_keep(len, off);
			unsigned char m[8];

			memcpy(m, &keep, sizeof(m));
			for (unsigned i = 0; i < 8; i++)
				assert_int_equal(m[i], off + i < len ? 0xff : 0);
		}
}

static void test_compare(void **state)
{
	struct buf a, e;
	const char *p = "/var/tmp/ward-bench.x/data/file"; /* 31 bytes: a partial last word */
	__u64 len = strlen(p);

	(void)state;
	put(&a, p, 'x');
	put(&e, p, 'y');
	assert_true(same(&a, &e, len)); /* only the bytes before the NUL count */
	assert_int_equal(slot_of(&a, len), slot_of(&e, len));
	put(&e, "/var/tmp/ward-bench.x/data/filf", 'x'); /* the last byte */
	assert_false(same(&a, &e, len));
	put(&e, "%var/tmp/ward-bench.x/data/file", 'x'); /* the first byte */
	assert_false(same(&a, &e, len));
	put(&e, "/var/tmp/ward-bench.x/datA/file", 'x'); /* a middle word */
	assert_false(same(&a, &e, len));
	put(&a, "/etc/passwd", 0); /* shorter than a word boundary multiple */
	put(&e, "/etc/passwd", 'z');
	assert_true(same(&a, &e, strlen("/etc/passwd")));
	put(&a, "/tmp/passwd12345", 0); /* a whole last word (16 bytes) */
	put(&e, "/tmp/passwd12346", 0);
	assert_false(same(&a, &e, 16));
}

static void test_slot(void **state)
{
	struct buf a, b;

	(void)state;
	/* the integration test's pair (tests/integration/monitor_kinds.sh): one slot, so the
	 * second path is compared against the first one's entry and must miss */
	put(&a, "/tmp/ab/passwd", 'x');
	put(&b, "/etc/ab/passwd", 'y');
	assert_int_equal(slot_of(&a, 14), slot_of(&b, 14));
	assert_false(same(&a, &b, 14));
	for (unsigned i = 0; i < 1000; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/usr/lib/python3/site-packages/m%u.py", i);
		put(&a, p, 'q');
		assert_true(slot_of(&a, strlen(p)) < WARD_PCACHE_SLOTS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
