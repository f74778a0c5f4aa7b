// SPDX-License-Identifier: MIT
/* Unit tests for event.c: JSON escaping, writer structure, time format, envelope, file sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/cgroup.h"
#include "launcher/seccomp.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Escapes n bytes and compares with the exact expected literal. */
static void check_escape(const char *in, size_t n, const char *want)
{
	struct ward_json j;

	ward_json_init(&j);
	ward_json_escape(&j, in, n);
	assert_false(j.oom);
	assert_non_null(j.buf);
	assert_string_equal(j.buf, want);
	assert_int_equal(j.len, strlen(want));
	ward_json_free(&j);
}
#define ESC(lit, want) check_escape(lit, sizeof(lit) - 1, want)

static void test_escape_ascii(void **state)
{
	ESC("", "\"\"");
	ESC("plain /path", "\"plain /path\"");
	ESC("q\"b\\", "\"q\\\"b\\\\\"");
	ESC("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	ESC("\x01\x1f\x0b\x1b", "\"\\u0001\\u001f\\u000b\\u001b\"");
	ESC("del\x7f", "\"del\x7f\""); /* DEL is valid JSON raw */
	ESC("a\0b", "\"a\\u0000b\"");
}

static void test_escape_utf8_valid(void **state)
{
	ESC("\xc3\xa9", "\"\xc3\xa9\"");		 /* é */
	ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");	 /* € */
	ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
	ESC("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");	 /* U+D7FF, just below surrogates */
	ESC("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");	 /* a real U+FFFD stays raw */
}

static void test_escape_utf8_invalid(void **state)
{
	ESC("\x80", "\"\\ufffd\"");			  /* lone continuation */
	ESC("\xc0\xaf", "\"\\ufffd\\ufffd\"");		  /* overlong '/' (C0 never valid) */
	ESC("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""); /* overlong 3-byte */
	ESC("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	     /* surrogate D800 */
	ESC("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");	     /* surrogate DFFF */
	ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* U+110000 */
	ESC("\xf5\x80", "\"\\ufffd\\ufffd\"");
	ESC("\xff", "\"\\ufffd\"");
	ESC("\xe2\x82", "\"\\ufffd\"");	  /* truncated at the end: one replacement */
	ESC("\xe2\x82x", "\"\\ufffdx\""); /* truncated then ASCII */
	ESC("\xf0\x9f\x98", "\"\\ufffd\"");
	ESC("\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\""); /* bad, then a valid é */
	ESC("a\xc3", "\"a\\ufffd\"");
}

/* The escape's byte table against the rules spelled out: every single byte, alone and inside
 * a run of plain ASCII (the copy loop and the escape switch hand over in both directions). */
static void test_escape_every_byte(void **state)
{
	for (int c = 0; c < 256; c++) {
		char in[4] = {'a', (char)c, 'b', 0}, want[16], full[32];

		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\\%c", c);
		else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f')
			snprintf(want, sizeof(want), "\\%c",
				 c == '\n'   ? 'n'
				 : c == '\t' ? 't'
				 : c == '\r' ? 'r'
				 : c == '\b' ? 'b'
					     : 'f');
		else if (c < 0x20)
			snprintf(want, sizeof(want), "\\u%04x", c);
		else if (c >= 0x80)
			snprintf(want, sizeof(want), "\\ufffd"); /* no valid sequence alone */
		else
			snprintf(want, sizeof(want), "%c", c);
		snprintf(full, sizeof(full), "\"a%sb\"", want);
		check_escape(in, 3, full);
		snprintf(full, sizeof(full), "\"%s\"", want);
		check_escape(in + 1, 1, full);
	}
}

/* Keys are copied in one pass while plain and short; a key that is not (a quote late in it, or
 * longer than the fast path takes) is written again, escaped, over what the pass copied. */
static void test_writer_keys(void **state)
{
	char longkey[200], want[600];
	struct ward_json j;

	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = 0;
	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_uint(&j, "first", 1);
	ward_json_str(&j, "abcdefgh\"ij", "v");
	ward_json_bool(&j, "tab\there", true);
	ward_json_uint(&j, longkey, 7);
	ward_json_str(&j, "\xc3\xa9t\xc3\xa9", "e");
	ward_json_close(&j);
	snprintf(want, sizeof(want),
		 "{\"first\":1,\"abcdefgh\\\"ij\":\"v\",\"tab\\there\":true,\"%s\":7,"
		 "\"\xc3\xa9t\xc3\xa9\":\"e\"}",
		 longkey);
	assert_false(j.oom);
	assert_string_equal(j.buf, want);
	assert_int_equal(j.len, strlen(want));
	ward_json_free(&j);
}

/* ward_json_append: verbatim text between members, no comma of its own (the envelope's
 * constant run); the member after it still gets its comma. */
static void test_writer_append(void **state)
{
	struct ward_json j;

	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_append(&j, "\"a\":1,\"seq\":", 12);
	ward_json_uint(&j, NULL, 42);
	ward_json_append(&j, ",\"kind\":", 8);
	ward_json_escape(&j, "file", 4);
	ward_json_str(&j, "action", "deny");
	ward_json_close(&j);
	assert_string_equal(j.buf, "{\"a\":1,\"seq\":42,\"kind\":\"file\",\"action\":\"deny\"}");
	assert_int_equal(j.depth, 0);
	ward_json_free(&j);
}

/* Integers are formatted by hand (no snprintf on the hot path): the edges. */
static void test_writer_integers(void **state)
{
	struct ward_json j;

	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_int(&j, "min", INT64_MIN);
	ward_json_int(&j, "max", INT64_MAX);
	ward_json_int(&j, "zero", 0);
	ward_json_int(&j, "m1", -1);
	ward_json_uint(&j, "u0", 0);
	ward_json_uint(&j, "u10", 10);
	ward_json_close(&j);
	assert_string_equal(j.buf, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
				   "\"zero\":0,\"m1\":-1,\"u0\":0,\"u10\":10}");
	ward_json_free(&j);
}

static void test_writer_structure(void **state)
{
	struct ward_json j;

	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_str(&j, "k\"ey", "v\n");
	ward_json_int(&j, "neg", -5);
	ward_json_uint(&j, "big", UINT64_MAX);
	ward_json_bool(&j, "t", true);
	ward_json_bool(&j, "f", false);
	ward_json_str(&j, "nul", NULL);
	ward_json_array_open(&j, "arr");
	ward_json_str(&j, NULL, "a");
	ward_json_uint(&j, NULL, 1);
	ward_json_object_open(&j, NULL);
	ward_json_str(&j, "x", "y");
	ward_json_object_close(&j);
	ward_json_object_open(&j, NULL);
	ward_json_object_close(&j);
	ward_json_array_open(&j, NULL);
	ward_json_array_close(&j);
	ward_json_array_close(&j);
	ward_json_key(&j, "layers");
	ward_json_open(&j);
	ward_json_array_open(&j, "active");
	ward_json_array_close(&j);
	ward_json_close(&j);
	ward_json_strn(&j, "n", "ab\0c", 4);
	ward_json_close(&j);
	assert_false(j.oom);
	assert_int_equal(j.depth, 0);
	assert_string_equal(
		j.buf, "{\"k\\\"ey\":\"v\\n\",\"neg\":-5,\"big\":18446744073709551615,"
		       "\"t\":true,\"f\":false,\"nul\":null,\"arr\":[\"a\",1,{\"x\":\"y\"},{},[]],"
		       "\"layers\":{\"active\":[]},\"n\":\"ab\\u0000c\"}");
	/* and a strict parser agrees */
	json_error_t e;
	json_t *o = json_loads(j.buf, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
	assert_non_null(o);
	assert_true(json_number_value(json_object_get(o, "neg")) == -5.0);
	assert_int_equal(json_string_length(json_object_get(o, "n")), 4);
	json_decref(o);
	ward_json_free(&j);
	assert_null(j.buf);
}

static void test_large_string(void **state)
{
	size_t n = 100000;
	char *s = malloc(n);
	struct ward_json j;

	assert_non_null(s);
	memset(s, '\x01', n);
	ward_json_init(&j);
	ward_json_escape(&j, s, n);
	assert_false(j.oom);
	assert_int_equal(j.len, 6 * n + 2);
	assert_memory_equal(j.buf + 1, "\\u0001", 6);
	ward_json_free(&j);
	free(s);
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ */
static bool is_rfc3339_ns(const char *t)
{
	return strlen(t) == 30 && is_digits(t, 4) && t[4] == '-' && is_digits(t + 5, 2) &&
	       t[7] == '-' && is_digits(t + 8, 2) && t[10] == 'T' && is_digits(t + 11, 2) &&
	       t[13] == ':' && is_digits(t + 14, 2) && t[16] == ':' && is_digits(t + 17, 2) &&
	       t[19] == '.' && is_digits(t + 20, 9) && t[29] == 'Z';
}

static void test_time_format(void **state)
{
	char buf[40];
	struct timespec ts = {.tv_sec = 1795637344, .tv_nsec = 123456789};

	ward_format_time(buf, &ts);
	assert_string_equal(buf, "2026-11-25T20:09:04.123456789Z");
	ts.tv_sec = 0;
	ts.tv_nsec = 5;
	ward_format_time(buf, &ts);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000005Z");
	/* the same second again (the cached prefix), then the next one */
	ts.tv_nsec = 999999999;
	ward_format_time(buf, &ts);
	assert_string_equal(buf, "1970-01-01T00:00:00.999999999Z");
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	ward_format_time(buf, &ts);
	assert_string_equal(buf, "1970-01-01T00:00:01.000000000Z");
	clock_gettime(CLOCK_REALTIME, &ts);
	ward_format_time(buf, &ts);
	assert_true(is_rfc3339_ns(buf));
	assert_false(is_rfc3339_ns("2026-11-25T17:29:04Z"));
}

static void test_sink_bad_specs(void **state)
{
	static const char *bad[] = {
		"", "stdout", "file:", "unix:", "file", "tcp:1.2.3.4:5", "FILE:/tmp/x", "nonex"};
	struct ward_error err;
	struct ward_sink *s;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!bad[i][0])
			continue; /* "" is the default (stderr), tested below */
		s = NULL;
		err.msg[0] = 0;
		assert_int_equal(ward_sink_open(bad[i], "sb", &s, &err), -EINVAL);
		assert_null(s);
		assert_non_null(strstr(err.msg, "bad event sink"));
		assert_non_null(strstr(err.msg, bad[i]));
		assert_non_null(strstr(err.msg, "expected stderr, none, file:PATH or unix:PATH"));
	}
	assert_int_equal(ward_sink_open("", "sb", &s, &err), 0);
	/* -1 on a regular file; on a pipe or terminal, the fd telling it has room again */
	assert_true(ward_sink_fd(s) >= -1);
	assert_int_equal(ward_sink_connected(s), 1);
	ward_sink_close(s);
	/* an unopenable file names the path */
	assert_true(ward_sink_open("file:/nonexistent-dir/x", "sb", &s, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
}

static void test_events_to_file(void **state)
{
	char dir[] = "/tmp/ward-test-event-XXXXXX", path[256], spec[300], line[4096];
	struct ward_events ev = {.sandbox = "sb-1", .host = "h\"ost"};
	struct ward_error err;
	struct ward_json j;
	FILE *f;
	int n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ev.ndjson", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);

	ward_event_begin(&ev, &j, "syscall", "deny", true, 42, "py\nthon", "syscalls.deny: ptrace");
	ward_json_str(&j, "syscall", "ptrace");
	ward_json_array_open(&j, "args");
	ward_json_str(&j, NULL, "0x10");
	ward_json_array_close(&j);
	assert_int_equal(ward_event_emit(&ev, &j), 0);
	assert_null(j.buf);

	ward_event_begin(&ev, &j, "lifecycle", "allow", false, 0, NULL, NULL);
	ward_json_str(&j, "event", "start");
	assert_int_equal(ward_event_emit(&ev, &j), 0);

	/* an unbalanced event is refused and not counted as produced */
	ward_event_begin(&ev, &j, "file", "allow", false, 0, NULL, NULL);
	ward_json_array_open(&j, "oops");
	assert_int_equal(ward_event_emit(&ev, &j), -EINVAL);

	assert_int_equal(ev.seq, 3);
	assert_int_equal(ev.produced, 2);
	assert_int_equal(ev.violations, 1);
	assert_int_equal(ev.failed, 1);
	assert_int_equal(ward_sink_dropped(ev.sink), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);

	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t e;
		json_t *o;
		const char *keys[] = {"time", "sandbox", "seq",	     "host",
				      "kind", "action",	 "violation"};

		n++;
		assert_int_equal(line[strlen(line) - 1], '\n');
		assert_null(strstr(line, "\", \"")); /* compact */
		assert_null(strstr(line, "\": "));
		assert_memory_equal(line, "{\"time\":\"", 9);
		o = json_loads(line, 0, &e);
		assert_non_null(o);
		/* order of the common fields */
		void *it = json_object_iter(o);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++, it = json_object_iter_next(o, it)) {
			assert_non_null(it);
			assert_string_equal(json_object_iter_key(it), keys[k]);
		}
		assert_true(is_rfc3339_ns(json_string_value(json_object_get(o, "time"))));
		assert_string_equal(json_string_value(json_object_get(o, "sandbox")), "sb-1");
		assert_string_equal(json_string_value(json_object_get(o, "host")), "h\"ost");
		assert_int_equal(json_integer_value(json_object_get(o, "seq")), n);
		if (n == 1) {
			assert_string_equal(json_string_value(json_object_get(o, "kind")),
					    "syscall");
			assert_true(json_is_true(json_object_get(o, "violation")));
			assert_int_equal(json_integer_value(json_object_get(o, "pid")), 42);
			assert_string_equal(json_string_value(json_object_get(o, "comm")),
					    "py\nthon");
			assert_string_equal(json_string_value(json_object_get(o, "rule")),
					    "syscalls.deny: ptrace");
		} else {
			assert_string_equal(json_string_value(json_object_get(o, "kind")),
					    "lifecycle");
			assert_true(json_is_false(json_object_get(o, "violation")));
			assert_null(json_object_get(o, "pid"));
			assert_null(json_object_get(o, "comm"));
			assert_null(json_object_get(o, "rule"));
			assert_string_equal(json_string_value(json_object_get(o, "event")),
					    "start");
		}
		json_decref(o);
	}
	fclose(f);
	assert_int_equal(n, 2);
	unlink(path);
	rmdir(dir);
}

static void test_none_sink(void **state)
{
	struct ward_events ev = {.sandbox = "s", .host = "h"};
	struct ward_error err;
	struct ward_json j;

	assert_int_equal(ward_sink_open("none", "s", &ev.sink, &err), 0);
	ward_event_begin(&ev, &j, "loss", "audit", false, -1, NULL, NULL);
	ward_json_uint(&j, "lost", 3);
	assert_int_equal(ward_event_emit(&ev, &j), 0);
	assert_int_equal(ev.seq, 1);
	assert_int_equal(ev.produced, 1);
	assert_int_equal(ward_sink_flush(ev.sink, 10), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
}

static void test_oom_flag(void **state)
{
	struct ward_events ev = {.sandbox = "s", .host = "h"};
	struct ward_error err;
	struct ward_json j;

	assert_int_equal(ward_sink_open("none", "s", &ev.sink, &err), 0);
	ward_event_begin(&ev, &j, "file", "allow", false, 1, NULL, NULL);
	j.oom = true; /* as after a failed realloc: every later call is a no-op */
	size_t len = j.len;
	ward_json_str(&j, "path", "/x");
	assert_int_equal(j.len, len);
	assert_int_equal(ward_event_emit(&ev, &j), -ENOMEM);
	assert_int_equal(ev.produced, 0);
	assert_int_equal(ev.failed, 1);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
}

/* Buffered file sink: lines of every size (one larger than the buffer) come out whole, in
 * order, nothing before a commit, everything after one. */
static void test_file_sink_batches(void **state)
{
	char dir[] = "/tmp/ward-test-batch-XXXXXX", path[256], spec[300];
	struct ward_error err;
	struct ward_sink *s = NULL;
	size_t big = 100000, n_lines = 3000;
	char *line = malloc(big), *got;
	struct stat st;
	FILE *f;

	assert_non_null(line);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ev", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(ward_sink_open(spec, "sb", &s, &err), 0);
	for (size_t i = 0; i < n_lines; i++) {
		size_t len = i == 1500 ? big : 1 + i % 97;
		memset(line, 'a' + i % 26, len);
		assert_int_equal(ward_sink_write(s, line, len), 0);
		if (i == 10) {
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_size, 0); /* buffered */
		}
	}
	assert_int_equal(ward_sink_commit(s), 0);
	assert_int_equal(ward_sink_dropped(s), 0);
	f = fopen(path, "re");
	assert_non_null(f);
	got = malloc(big + 2);
	assert_non_null(got);
	for (size_t i = 0; i < n_lines; i++) {
		size_t len = i == 1500 ? big : 1 + i % 97;
		assert_non_null(fgets(got, (int)big + 2, f));
		assert_int_equal(strlen(got), len + 1);
		assert_int_equal(got[len], '\n');
		for (size_t k = 0; k < len; k++)
			if (got[k] != 'a' + (char)(i % 26))
				fail_msg("line %zu byte %zu: %c", i, k, got[k]);
	}
	assert_null(fgets(got, (int)big + 2, f));
	fclose(f);
	ward_sink_close(s);
	unlink(path);
	rmdir(dir);
	free(got);
	free(line);
}

/* An event at a kernel (CLOCK_MONOTONIC) time is stamped with that moment, not with now. */
static void test_event_at_kernel_time(void **state)
{
	struct ward_events ev = {.sandbox = "s", .host = "h"};
	struct timespec mono, real;
	struct ward_json j;
	struct tm tm = {0};
	char *tp;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	uint64_t two_s_ago =
		(uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec - 2000000000ull;
	ward_event_begin_at(&ev, &j, two_s_ago, "file", "deny", true, 1, NULL, NULL);
	ward_json_close(&j);
	tp = strstr(j.buf, "\"time\":\"");
	assert_non_null(tp);
	assert_non_null(strptime(tp + 8, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t t = timegm(&tm);
	/* two seconds before now, give or take the second boundaries */
	assert_true(real.tv_sec - t >= 1 && real.tv_sec - t <= 3);
	ward_json_free(&j);
	/* 0 means now */
	ward_event_begin_at(&ev, &j, 0, "file", "deny", true, 1, NULL, NULL);
	ward_json_close(&j);
	tp = strstr(j.buf, "\"time\":\"");
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(tp + 8, "%Y-%m-%dT%H:%M:%S", &tm));
	t = timegm(&tm);
	assert_true(t - real.tv_sec >= 0 && t - real.tv_sec <= 1);
	ward_json_free(&j);
	ward_events_release(&ev); /* the envelope's constant members */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_ascii),
		cmocka_unit_test(test_escape_utf8_valid),
		cmocka_unit_test(test_escape_utf8_invalid),
		cmocka_unit_test(test_escape_every_byte),
		cmocka_unit_test(test_writer_keys),
		cmocka_unit_test(test_writer_append),
		cmocka_unit_test(test_writer_structure),
		cmocka_unit_test(test_writer_integers),
		cmocka_unit_test(test_large_string),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_sink_bad_specs),
		cmocka_unit_test(test_events_to_file),
		cmocka_unit_test(test_none_sink),
		cmocka_unit_test(test_file_sink_batches),
		cmocka_unit_test(test_event_at_kernel_time),
		cmocka_unit_test(test_oom_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
