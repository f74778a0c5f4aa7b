// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the event encoder's JSON escaping (common/json.c). The input is a key and
 * a value (split at the first 0xff byte; the value may hold NULs). The event built from them
 * must be one JSON object that jansson reads (JSON_ALLOW_NUL, as the forwarders do) and the
 * collector accepts, and the value must decode to a reference reading of the bytes: valid
 * UTF-8 kept, each maximal ill-formed subsequence one U+FFFD (Unicode 15, section 3.9),
 * written here from the table of well-formed sequences (Table 3-7).
 */
#include "collector/internal.h"
#include "common/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table 3-7: the second byte's range for each lead byte; later bytes are 80..BF. */
static size_t ref_seq(const unsigned char *s, size_t n, size_t *ret_bad)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t need;

	*ret_bad = 1;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < need; i++) {
		unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;

		if (i >= n || s[i] < l || s[i] > h) {
			*ret_bad = i; /* the maximal subpart: lead plus the good continuations */
			return 0;
		}
	}
	return need;
}

/* The reference decoding of s as the collector should see it. */
static size_t ref_decode(const unsigned char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t bad, l = ref_seq(s + i, n - i, &bad);

		if (l) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += bad;
		}
	}
	return o;
}

static const char *const reserved[] = {
	"time", "sandbox", "seq",      "host",	   "kind", "action", "violation", "pid",
	"comm", "rule",	   "peer_pid", "peer_uid", "via",  "op",     "path",	  "syscall"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0xff, size);
	size_t klen = sep ? (size_t)(sep - data) : 0, vlen = sep ? size - klen - 1 : size;
	const uint8_t *val = sep ? sep + 1 : data;
	char key[256], *want;
	struct ward_json j;
	struct col_event ev;
	json_t *o, *v;
	size_t wl;

	if (klen >= sizeof(key) - 3 || memchr(data, 0, klen) || size > 8192)
		return 0;
	memcpy(key, "x_", 2);
	memcpy(key + 2, data, klen);
	key[klen + 2] = '\0';
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(key, reserved[i]) == 0)
			return 0;

	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_str(&j, "time", "2026-11-25T20:09:04.123456789Z");
	ward_json_str(&j, "sandbox", "w-fuzz");
	ward_json_uint(&j, "seq", 1);
	ward_json_str(&j, "host", "h");
	ward_json_str(&j, "kind", "file");
	ward_json_str(&j, "action", "allow");
	ward_json_bool(&j, "violation", false);
	ward_json_strn(&j, key, (const char *)val, vlen);
	/* comm reaches the envelope as a C string (ward_event_begin): never with a NUL in it,
	 * which the collector refuses in its common fields */
	ward_json_strn(&j, "comm", (const char *)val, strnlen((const char *)val, vlen));
	ward_json_close(&j);
	if (j.oom)
		abort();

	o = json_loadb(j.buf, j.len, JSON_ALLOW_NUL, NULL);
	if (!o) {
		fprintf(stderr, "jansson refuses the encoder's output: %.*s\n", (int)j.len, j.buf);
		abort();
	}
	want = malloc(vlen * 3 + 1);
	wl = ref_decode(val, vlen, want);
	{
		/* the key is escaped the same way */
		char dkey[sizeof(key) * 3];
		size_t dl = ref_decode((const unsigned char *)key, strlen(key), dkey);

		dkey[dl] = '\0';
		v = json_object_get(o, dkey);
	}
	if (!json_is_string(v) || json_string_length(v) != wl ||
	    memcmp(json_string_value(v), want, wl) != 0) {
		fprintf(stderr, "the value decodes to something else: %.*s\n", (int)j.len, j.buf);
		abort();
	}
	if (col_validate(j.buf, j.len, &ev) != 0) {
		fprintf(stderr, "the collector refuses the encoder's output: %.*s\n", (int)j.len,
			j.buf);
		abort();
	}
	/* comm as the collector decoded it is the reference too (when it has no NUL) */
	if (ev.comm && !memchr(want, 0, wl) && (strlen(ev.comm) != wl || memcmp(ev.comm, want, wl)))
		abort();
	col_event_free(&ev);
	json_decref(o);
	free(want);
	ward_json_free(&j);
	return 0;
}
