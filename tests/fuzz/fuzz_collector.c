// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the collector's per-line validation (col_validate). A line it accepts
 * must be one every output can carry: jansson reads it with the flags the forwarders use
 * (col_event_obj: JSON_ALLOW_NUL), the fields col_validate decoded are jansson's, and the line
 * the file output writes (col_output_line, peer fields appended) is still one JSON object
 * that col_validate refuses only as forging the collector's fields.
 *
 * Both findings of this target (issue 9 item 12) are fixed and kept as regressions
 * (tests/fuzz/regressions/collector/): an object key with a \u0000 escape, which jansson
 * refuses, and a \u0000 inside a common field ("kind":"l\u0000oss"), which was decoded cut
 * at the NUL: both are refused by validation now.
 */
#include "collector/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "collector: %s: %.*s\n", what, (int)size, (const char *)data);
	abort();
}

static void same_field(json_t *o, const char *key, const char *decoded, const uint8_t *data,
		       size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!decoded)
		return;
	if (!json_is_string(v) || json_string_length(v) != strlen(decoded) ||
	    memcmp(json_string_value(v), decoded, strlen(decoded)) != 0)
		fail(key, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct col_event ev;
	struct col_buf b = {0};
	json_t *o;
	json_error_t jerr;

	if (col_validate((const char *)data, size, &ev) != 0) {
		col_event_free(&ev);
		return 0;
	}
	o = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
	if (!o) {
		fprintf(stderr, "jansson: %s\n", jerr.text);
		fail("accepted, but jansson (forwarders) refuses it", data, size);
	}
	if (!json_is_object(o))
		fail("accepted a non-object", data, size);
	same_field(o, "sandbox", ev.sandbox, data, size);
	same_field(o, "kind", ev.kind, data, size);
	same_field(o, "action", ev.action, data, size);
	same_field(o, "time", ev.time, data, size);
	same_field(o, "host", ev.host, data, size);
	if (!json_is_integer(json_object_get(o, "seq")) ||
	    (uint64_t)json_integer_value(json_object_get(o, "seq")) != ev.seq)
		fail("seq", data, size);
	json_decref(o);

	if (col_output_line(&b, (const char *)data, size, 42, 1000, size & 1) == 0) {
		struct col_event ev2;

		if (b.len < 1 || b.p[b.len - 1] != '\n')
			fail("output line not ended by a newline", data, size);
		o = json_loadb(b.p, b.len - 1, JSON_ALLOW_NUL, NULL);
		if (!o || !json_is_integer(json_object_get(o, "peer_uid")))
			fail("output line is not the event plus peer fields", data, size);
		json_decref(o);
		if (col_validate(b.p, b.len - 1, &ev2) != -COL_REFUSE_SCHEMA)
			fail("output line not refused as forging the collector's fields", data,
			     size);
		col_event_free(&ev2);
	}
	col_buf_free(&b);
	col_event_free(&ev);
	return 0;
}
