// SPDX-License-Identifier: MIT
/* Unit tests for the collector's pure parts: validation, de-duplication, output lines,
 * syslog RFC 5424 formatting and escaping, the Falco mapping, Prometheus rendering, output
 * file writes with rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/macro.h"
#include "common/parse.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "collector/internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define GOOD                                                                                       \
	"{\"time\":\"2026-11-25T20:09:04.123456789Z\",\"sandbox\":\"w-1\",\"seq\":7,"              \
	"\"host\":\"gpu-7\",\"kind\":\"syscall\",\"action\":\"deny\",\"violation\":true,"          \
	"\"pid\":42,\"comm\":\"python3\",\"rule\":\"syscalls.deny: "                               \
	"ptrace\",\"syscall\":\"ptrace\"}"

static int validate(const char *s)
{
	struct col_event ev;
	int r = col_validate(s, strlen(s), &ev);

	if (r == 0)
		col_event_free(&ev);
	return r;
}

static void test_validate_good(void **state)
{
	struct col_event ev;

	assert_int_equal(col_validate(GOOD, strlen(GOOD), &ev), 0);
	assert_string_equal(ev.sandbox, "w-1");
	assert_string_equal(ev.kind, "syscall");
	assert_string_equal(ev.action, "deny");
	assert_int_equal(ev.seq, 7);
	assert_int_equal(ev.pid, 42);
	assert_true(ev.violation);
	col_event_free(&ev);
	assert_null(ev.obj);
	/* NUL bytes as ward encodes them, offsets, no fraction */
	assert_int_equal(validate("{\"time\":\"2026-01-01T00:00:00+02:00\",\"sandbox\":\"a\","
				  "\"seq\":1,\"kind\":\"file\",\"path\":\"a\\u0000b\"}"),
			 0);
}

static void test_validate_bad(void **state)
{
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{"", -COL_REFUSE_MALFORMED},
		{"not json", -COL_REFUSE_MALFORMED},
		{"[1,2]", -COL_REFUSE_MALFORMED},
		{"{\"a\":1", -COL_REFUSE_MALFORMED},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"\xff\",\"seq\":1,\"kind\":"
		 "\"x\"}",
		 -COL_REFUSE_MALFORMED},			  /* invalid UTF-8 */
		{"{\"seq\":1,\"seq\":2}", -COL_REFUSE_MALFORMED}, /* duplicate key */
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"kind\":\"x\"}",
		 -COL_REFUSE_SCHEMA}, /* no seq */
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":0,\"kind\":\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":\"1\",\"kind\":"
		 "\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"yesterday\",\"sandbox\":\"a\",\"seq\":1,\"kind\":\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"seq\":1,\"kind\":\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"../"
		 "x\",\"seq\":1,\"kind\":\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\\u0000b\",\"seq\":1,\"kind\":"
		 "\"x\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":1,\"kind\":\"Bad "
		 "Kind\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":1,\"kind\":\"x\","
		 "\"action\":\"maybe\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":1,\"kind\":\"x\","
		 "\"violation\":\"yes\"}",
		 -COL_REFUSE_SCHEMA},
		{"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"a\",\"seq\":1,\"kind\":\"x\","
		 "\"peer_uid\":0}",
		 -COL_REFUSE_SCHEMA}, /* forging the collector's own field */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = validate(cases[i].line);

		if (r != cases[i].want)
			fail_msg("case %zu '%s': got %d, want %d", i, cases[i].line, r,
				 cases[i].want);
	}
	/* oversized */
	char *big = malloc(COL_LINE_MAX + 2);
	struct col_event ev;
	memset(big, ' ', COL_LINE_MAX + 1);
	assert_int_equal(col_validate(big, COL_LINE_MAX + 1, &ev), -COL_REFUSE_OVERSIZED);
	free(big);
}

static void test_dedup(void **state)
{
	struct col_dedup *d;

	assert_int_equal(col_dedup_new(&d), 0);
	for (uint64_t s = 1; s <= 100; s++)
		assert_true(col_dedup_check(d, "a", s));
	for (uint64_t s = 1; s <= 100; s++)
		assert_false(col_dedup_check(d, "a", s)); /* every resend is a duplicate */
	assert_true(col_dedup_check(d, "b", 1));	  /* per sandbox */
	/* out of order within the window */
	assert_true(col_dedup_check(d, "a", 105));
	assert_true(col_dedup_check(d, "a", 103));
	assert_false(col_dedup_check(d, "a", 105));
	assert_true(col_dedup_check(d, "a", 101));
	assert_true(col_dedup_check(d, "a", 102));
	assert_true(col_dedup_check(d, "a", 104));
	assert_false(col_dedup_check(d, "a", 104));
	assert_true(col_dedup_check(d, "a", 106));
	/* far ahead: the window moves, memory stays bounded */
	assert_true(col_dedup_check(d, "a", 1000000));
	assert_false(col_dedup_check(d, "a", 1000000));
	assert_true(col_dedup_check(d, "a", 999999));
	assert_false(col_dedup_check(d, "a", 500)); /* behind the window: counted as seen */
	/* many sandboxes: the table grows */
	char name[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_true(col_dedup_check(d, name, 1));
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_false(col_dedup_check(d, name, 1));
	}
	assert_int_equal(col_dedup_count(d), 5002);
	col_dedup_expire(d, UINT64_MAX / 2, 60); /* everything idle: forgotten */
	assert_int_equal(col_dedup_count(d), 0);
	col_dedup_free(d);
}

static void test_output_line(void **state)
{
	struct col_buf b = {0};

	assert_int_equal(col_output_line(&b, "{\"a\":1}", 7, 42, 1000, false), 0);
	assert_int_equal(col_output_line(&b, "{\"a\":2} \r", 9, 0, 0, true), 0);
	assert_int_equal(col_output_line(&b, "[1]", 3, 1, 1, false), -EINVAL);
	assert_int_equal(b.len, strlen("{\"a\":1,\"peer_pid\":42,\"peer_uid\":1000}\n"
				       "{\"a\":2,\"peer_uid\":0,\"via\":\"spool\"}\n"));
	assert_memory_equal(b.p,
			    "{\"a\":1,\"peer_pid\":42,\"peer_uid\":1000}\n"
			    "{\"a\":2,\"peer_uid\":0,\"via\":\"spool\"}\n",
			    b.len);
	col_buf_free(&b);
}

static void test_syslog_format(void **state)
{
	struct col_event ev;
	struct col_buf b = {0};
	const char *line =
		"{\"time\":\"2026-11-25T20:09:04.123456789Z\",\"sandbox\":\"q\\\"]\\\\x\",\"seq\":"
		"3,"
		"\"host\":\"my host\",\"kind\":\"file\",\"action\":\"audit\",\"violation\":true}";
	const char *want_msg = "<85>1 2026-11-25T20:09:04.123456Z my_host ward - file "
			       "[ward@32473 sandbox=\"q\\\"\\]\\\\x\" seq=\"3\" kind=\"file\" "
			       "action=\"audit\" violation=\"true\"] ";
	char prefix[32];

	assert_int_equal(col_validate(line, strlen(line), &ev), 0);
	assert_int_equal(col_syslog_format(&ev, line, strlen(line), &b), 0);
	/* octet counting: "LEN SP" then exactly LEN bytes */
	size_t msglen = strlen(want_msg) + strlen(line);
	int n = snprintf(prefix, sizeof(prefix), "%zu ", msglen);
	assert_int_equal(b.len, (size_t)n + msglen);
	assert_memory_equal(b.p, prefix, (size_t)n);
	assert_memory_equal(b.p + n, want_msg, strlen(want_msg));
	assert_memory_equal(b.p + n + strlen(want_msg), line, strlen(line));
	col_buf_free(&b);
	col_event_free(&ev);

	/* deny violation: warning (4) with facility authpriv (10); pid as PROCID */
	assert_int_equal(col_validate(GOOD, strlen(GOOD), &ev), 0);
	assert_int_equal(col_syslog_format(&ev, GOOD, strlen(GOOD), &b), 0);
	assert_non_null(strstr(b.p, " <84>1 2026-11-25T20:09:04.123456Z gpu-7 ward 42 syscall ["));
	col_buf_free(&b);
	col_event_free(&ev);
}

static void test_falco(void **state)
{
	struct col_event ev;
	json_t *a;

	assert_int_equal(col_validate(GOOD, strlen(GOOD), &ev), 0);
	a = col_falco_alert(&ev);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "time")),
			    "2026-11-25T20:09:04.123456789Z");
	assert_string_equal(json_string_value(json_object_get(a, "rule")),
			    "ward: syscalls.deny: ptrace");
	assert_string_equal(json_string_value(json_object_get(a, "priority")), "Warning");
	assert_string_equal(json_string_value(json_object_get(a, "source")), "ward");
	assert_string_equal(json_string_value(json_object_get(a, "hostname")), "gpu-7");
	assert_non_null(strstr(json_string_value(json_object_get(a, "output")),
			       "deny syscall ptrace in sandbox w-1"));
	json_t *f = json_object_get(a, "output_fields");
	assert_string_equal(json_string_value(json_object_get(f, "ward.sandbox")), "w-1");
	assert_int_equal(json_integer_value(json_object_get(f, "ward.seq")), 7);
	assert_int_equal(json_integer_value(json_object_get(f, "proc.pid")), 42);
	assert_string_equal(json_string_value(json_object_get(f, "proc.name")), "python3");
	assert_null(json_object_get(f, "ward.time"));
	json_t *tags = json_object_get(a, "tags");
	assert_int_equal(json_array_size(tags), 4);
	assert_string_equal(json_string_value(json_array_get(tags, 3)), "violation");
	json_decref(a);
	col_event_free(&ev);

	/* no rule, not a violation, a lifecycle oom */
	const char *oom = "{\"time\":\"2026-11-25T20:09:04Z\",\"sandbox\":\"s\",\"seq\":2,"
			  "\"kind\":\"lifecycle\",\"action\":\"allow\",\"violation\":false,"
			  "\"event\":\"oom\"}";
	assert_int_equal(col_validate(oom, strlen(oom), &ev), 0);
	a = col_falco_alert(&ev);
	assert_string_equal(json_string_value(json_object_get(a, "rule")), "ward lifecycle event");
	assert_string_equal(json_string_value(json_object_get(a, "priority")), "Warning");
	assert_string_equal(json_string_value(json_object_get(a, "hostname")), "");
	json_decref(a);
	col_event_free(&ev);
}

/* Issue 9 item 13: a rule or output longer than Falco's bounds is cut on a UTF-8 character
 * boundary and marked, never dropped (snprintf into rule[160] cut a 2-byte character, jansson
 * refused the string and the alert went out without "rule"). */
static void test_falco_truncates_on_char_boundary(void **state)
{
	char line[4096], rule[400], path[2000];
	struct col_event ev;
	json_t *a, *f;
	const char *s;
	size_t o = 0;

	/* "ward: " is 6 bytes: 'a' then 2-byte characters put a boundary just past 160 */
	o += (size_t)snprintf(rule + o, sizeof(rule) - o, "a");
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(rule + o, sizeof(rule) - o, "\xc3\xa9");
	o = 0;
	for (int i = 0; i < 600; i++)
		o += (size_t)snprintf(path + o, sizeof(path) - o, "\xe2\x82\xac");
	snprintf(line, sizeof(line),
		 "{\"time\":\"2026-11-25T20:09:04Z\",\"sandbox\":\"s\",\"seq\":1,"
		 "\"kind\":\"file\",\"action\":\"deny\",\"violation\":true,\"rule\":\"%s\","
		 "\"path\":\"%s\"}",
		 rule, path);
	assert_int_equal(col_validate(line, strlen(line), &ev), 0);
	a = col_falco_alert(&ev);
	assert_non_null(a);
	s = json_string_value(json_object_get(a, "rule"));
	assert_non_null(s);
	assert_true(strlen(s) <= 160);
	assert_true(strlen(s) > 150);
	assert_string_equal(s + strlen(s) - 3, "...");
	assert_int_equal(strncmp(s, "ward: a\xc3\xa9", 9), 0);
	s = json_string_value(json_object_get(a, "output"));
	assert_non_null(s);
	assert_true(strlen(s) <= 1024 && strlen(s) > 1000);
	assert_string_equal(s + strlen(s) - 3, "...");
	f = json_object_get(a, "output_fields");
	assert_true(json_is_true(json_object_get(f, "ward.truncated")));
	/* the full values are still in output_fields */
	assert_int_equal(strlen(json_string_value(json_object_get(f, "ward.path"))), 1800);
	json_t *tags = json_object_get(a, "tags");
	assert_string_equal(json_string_value(json_array_get(tags, json_array_size(tags) - 1)),
			    "truncated");
	json_decref(a);
	col_event_free(&ev);
}

/* Issue 9 item 12: one rule for every output. A key containing U+0000 (anywhere in the
 * object) is refused at validation, since jansson, and so the Falco/HTTP forwarder, cannot
 * carry it while the file could; \u0000 in a value is accepted and every output carries it. */
static void test_nul_key_refused(void **state)
{
	static const char *refused[] = {
		"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":1,\"kind\":\"file\","
		"\"a\\u0000b\":1}",
		"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":1,\"kind\":\"file\","
		"\"x\":[{\"\\u0000\":true}]}",
	};
	const char *kept = "{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":1,"
			   "\"kind\":\"file\",\"path\":\"/a\\u0000b\",\"k\\\\u0000\":1}";
	struct col_event ev;
	json_t *a;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		assert_int_equal(col_validate(refused[i], strlen(refused[i]), &ev),
				 -COL_REFUSE_MALFORMED);
		col_event_free(&ev);
	}
	assert_int_equal(col_validate(kept, strlen(kept), &ev), 0);
	a = col_falco_alert(&ev); /* what the HTTP forwarder sends */
	assert_non_null(a);
	json_t *p = json_object_get(json_object_get(a, "output_fields"), "ward.path");
	assert_int_equal(json_string_length(p), 4);
	json_decref(a);
	col_event_free(&ev);
}

/* Issue 9 item 12 (found by tests/fuzz/fuzz_collector.c): a \u0000 inside a common field was
 * decoded cut at the NUL ("l") while jansson, and so the forwarders, read all of it. */
/* The exec monitor's action "kill" (the new image killed before its first instruction) is an
 * action like the others: the collector refused every such event before. */
static void test_action_kill_accepted(void **state)
{
	const char *line =
		"{\"time\":\"2026-11-25T20:09:06.000000000Z\",\"sandbox\":\"w\",\"seq\":7,"
		"\"host\":\"g\",\"kind\":\"exec\",\"action\":\"kill\",\"violation\":true}";
	struct col_event ev;

	assert_int_equal(col_validate(line, strlen(line), &ev), 0);
	assert_string_equal(ev.action, "kill");
	col_event_free(&ev);
}

static void test_nul_in_common_field_refused(void **state)
{
	static const char *refused[] = {
		"{\"time\":\"2026-11-25T20:09:06.000000000Z\",\"sandbox\":\"w\",\"seq\":7,"
		"\"host\":\"g\",\"kind\":\"l\\u0000oss\",\"action\":\"allow\"}",
		"{\"time\":\"2026-11-25T20:09:06.000000000Z\",\"sandbox\":\"w\",\"seq\":7,"
		"\"host\":\"g\\u0000x\",\"kind\":\"loss\"}",
		"{\"time\":\"2026-11-25T20:09:06.000000000Z\",\"sandbox\":\"w\",\"seq\":7,"
		"\"kind\":\"file\",\"rule\":\"filesystem.deny: /root\\u0000\"}",
	};
	struct col_event ev;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		assert_int_equal(col_validate(refused[i], strlen(refused[i]), &ev),
				 -COL_REFUSE_SCHEMA);
		col_event_free(&ev);
	}
}

static void test_forward_urls(void **state)
{
	static const char *bad[] = {
		"tcp://1.2.3.4:5",	   "syslog+tcp://127.0.0.1",	   "http://:80/",
		"http://127.0.0.1:99999/", "syslog+tcp://127.0.0.1:514/x", "http://127.0.0.1:80x"};
	struct ward_error err;
	struct col_fwd *f;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = 0;
		if (col_fwd_new(bad[i], &f, &err) >= 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err.msg, bad[i]));
	}
	assert_int_equal(col_fwd_new("syslog+tcp://127.0.0.1:514", &f, &err), 0);
	assert_string_equal(col_fwd_name(f), "syslog+tcp://127.0.0.1:514");
	col_fwd_free(f);
	assert_int_equal(col_fwd_new("http://[::1]:2801/", &f, &err), 0);
	col_fwd_free(f);
}

static void test_metrics(void **state)
{
	struct col_stats st = {.received = 12, .violations = 5};
	struct col_buf b = {0};

	st.by_kind[col_kind_index("syscall")] = 7;
	st.by_kind[col_kind_index("brand_new")] = 1;
	st.refused[COL_REFUSE_OVERSIZED] = 2;
	assert_int_equal(col_metrics_render(&st, NULL, 3, &b), 0);
	col_buf_add(&b, "", 1);
	assert_non_null(strstr(b.p, "\nward_collector_events_received_total 12\n"));
	assert_non_null(strstr(b.p, "\nward_collector_events_total{kind=\"syscall\"} 7\n"));
	assert_non_null(strstr(b.p, "\nward_collector_events_total{kind=\"other\"} 1\n"));
	assert_non_null(strstr(b.p, "\nward_collector_refused_total{reason=\"oversized\"} 2\n"));
	assert_non_null(strstr(b.p, "# TYPE ward_collector_violations_total counter\n"));
	assert_non_null(strstr(b.p, "\nward_collector_dedup_sandboxes 3\n"));
	col_buf_free(&b);
}

/* --rotate-size reads sizes with the profiles' parser (limits.memory): strtod's exponents,
 * inf and nan, and values past 2^64 are refused. */
static int rotate_size(const char *val, uint64_t *ret)
{
	char *argv[] = {"collector", "--no-config", "--rotate-size", (char *)val, NULL};
	struct col_opts o = {0};
	int r = col_config_parse(&o, 4, argv);

	*ret = o.rotate_size;
	col_config_free(&o);
	return r;
}

static void test_config_rotate_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {{"0", 0}, {"64K", 64 << 10}, {"100M", 100ull << 20}, {"1.5GiB", 3ull << 29}};
	static const char *const bad[] = {"1e3",	  "inf", "INF",	 "nan",
					  "1e30",	  "-1",	 "0x10", "99999999999999999999",
					  "20000000000G", ""};
	uint64_t v, mem;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(rotate_size(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
		/* the same text, the same bytes as in a profile's limits.memory */
		assert_int_equal(ward_parse_size(good[i].s, &mem), 0);
		assert_int_equal(v, mem);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(rotate_size(bad[i], &v), -EINVAL);
}

static void test_output_rotation(void **state)
{
	char dir[] = "/tmp/ward-test-colout-XXXXXX", path[128], p1[140];
	struct col_output o = {0};
	struct col_stats st = {0};
	struct ward_error err;
	struct stat sb;
	size_t done;
	char line[100];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/ev.ndjson", dir);
	o.path = path;
	o.rotate_size = 1000;
	o.rotate_keep = 1;
	assert_int_equal(col_output_open(&o, &err), 0);
	memset(line, 'x', sizeof(line));
	line[99] = '\n';
	for (int i = 0; i < 25; i++) { /* 2500 bytes in lines of 100 */
		assert_int_equal(col_output_write(&o, line, 100, &st, &done), 0);
		assert_int_equal(done, 100);
	}
	snprintf(p1, sizeof(p1), "%s.1", path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 500);
	assert_int_equal(stat(p1, &sb), 0);
	assert_int_equal(sb.st_size, 1000);
	assert_int_equal(st.output_rotations, 2);
	assert_int_equal(st.output_bytes, 2500);
	col_output_close(&o);
	unlink(path);
	unlink(p1);
	snprintf(p1, sizeof(p1), "%s/sub", dir);
	rmdir(p1);
	rmdir(dir);
}

static void test_output_recover(void **state)
{
	char dir[] = "/tmp/ward-test-colrec-XXXXXX", path[128];
	struct col_output o = {0};
	struct col_dedup *d;
	struct ward_error err;
	struct stat sb;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ev.ndjson", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"sandbox\":\"a\",\"seq\":1}\n{\"sandbox\":\"a\",\"seq\":2}\n"
	      "{\"sandbox\":\"b\",\"seq\":5}\n{\"sandbox\":\"a\",\"se",
	      f); /* killed mid-line */
	fclose(f);
	o.path = path;
	assert_int_equal(col_output_open(&o, &err), 0);
	assert_int_equal(col_dedup_new(&d), 0);
	assert_int_equal(col_output_recover(&o, d, 1 << 20), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 72); /* the half line is gone */
	assert_int_equal(o.size, 72);
	assert_false(col_dedup_check(d, "a", 1)); /* already in the file: duplicates */
	assert_false(col_dedup_check(d, "a", 2));
	assert_false(col_dedup_check(d, "b", 5));
	assert_true(col_dedup_check(d, "a", 3));
	assert_true(col_dedup_check(d, "b", 4));
	col_dedup_free(d);
	col_output_close(&o);
	unlink(path);
	rmdir(dir);
}

/* Differential check against jansson: byte-level mutations of valid events must be refused
 * as malformed exactly when jansson refuses them (our scanner replaced jansson on the hot
 * path, so the two must agree on what JSON is). */
static void test_scanner_matches_jansson(void **state)
{
	static const char *seeds[] = {
		GOOD,
		"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":1,\"kind\":\"exec\","
		"\"argv\":[\"a\\u00e9\\ud83d\\ude00\",\"\\\"q\\\\\"],\"x\":{\"y\":[1.5e3,-0,null,"
		"true,false,{}]},\"z\":-12.25E-2,\"p\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
		"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":9223372036854775807,"
		"\"kind\":\"net\",\"port\":443,\"n\":\"a\\u0000b\"}",
		"{\"time\":\"2026-01-01T00:00:00Z\",\"sandbox\":\"s\",\"seq\":2,\"kind\":\"net\","
		"\"k\\u0001\":{\"y\\u0000\":1}}",
	};
	static const unsigned char interesting[] = {
		'"',  '\\', '{', '}', '[', ']', ',', ':', ' ',	0xff, 0xc3, 0xe2, 0x80,
		0xed, 0xa0, 'u', '0', '9', 'e', '-', '.', 0x01, 'n',  't',  'd',  '/'};
	unsigned long seed = 12345, agree = 0, valid = 0;
	char buf[1024];

	for (int iter = 0; iter < 300000; iter++) {
		const char *src = seeds[iter % ARRAY_SIZE(seeds)];
		size_t n = strlen(src);
		int muts = 1 + (int)((seed >> 7) % 3);

		memcpy(buf, src, n);
		for (int m = 0; m < muts; m++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			size_t pos = (seed >> 33) % (n ? n : 1);
			unsigned char c = interesting[(seed >> 20) % sizeof(interesting)];

			switch ((seed >> 13) % 4) {
			case 0:
				buf[pos] = (char)c;
				break;
			case 1:
				if (n > 1) {
					memmove(buf + pos, buf + pos + 1, n - pos - 1);
					n--;
				}
				break;
			case 2:
				if (n < sizeof(buf) - 1) {
					memmove(buf + pos + 1, buf + pos, n - pos);
					buf[pos] = (char)c;
					n++;
				}
				break;
			case 3:
				n = pos ? pos : n;
				break;
			}
		}
		json_error_t e;
		json_t *j = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
		bool jok = j && json_is_object(j);
		struct col_event ev;
		int r = col_validate(buf, n, &ev);

		col_event_free(&ev);
		json_decref(j);
		if (!j && strstr(e.text, "duplicate"))
			continue; /* we refuse duplicates only among the fields we read */
		bool ours = r != -COL_REFUSE_MALFORMED;
		if (ours != jok) {
			buf[n] = 0;
			fail_msg("disagree on '%s': jansson %s (%s), scanner %d", buf,
				 jok ? "accepts" : "refuses", j ? "" : e.text, r);
		}
		agree++;
		valid += jok;
	}
	assert_true(agree > 250000);
	assert_true(valid > 1000); /* the mutations did not only make garbage */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_good),
		cmocka_unit_test(test_validate_bad),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_output_line),
		cmocka_unit_test(test_syslog_format),
		cmocka_unit_test(test_falco),
		cmocka_unit_test(test_falco_truncates_on_char_boundary),
		cmocka_unit_test(test_nul_key_refused),
		cmocka_unit_test(test_nul_in_common_field_refused),
		cmocka_unit_test(test_action_kill_accepted),
		cmocka_unit_test(test_forward_urls),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_config_rotate_size),
		cmocka_unit_test(test_output_rotation),
		cmocka_unit_test(test_scanner_matches_jansson),
		cmocka_unit_test(test_output_recover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
