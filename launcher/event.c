// SPDX-License-Identifier: MIT
/*
 * Event encoding: a small append-only JSON writer and the common event envelope
 * (docs/events.md). Hand-written rather than jansson because events are produced on the
 * supervisor's hot path (one per notified syscall or BPF record) and only ever appended:
 * building a jansson tree per event would cost an allocation per field.
 *
 * Strings from the sandbox (paths, comm, argv) are untrusted: every byte that is not valid
 * UTF-8 becomes U+FFFD (one per maximal ill-formed subsequence, as Unicode 15 section 3.9
 * recommends), so a collector's strict JSON parser never rejects an event a model forged.
 */
#include "ward.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

void ward_json_init(struct ward_json *j)
{
	memset(j, 0, sizeof(*j));
}

void ward_json_free(struct ward_json *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

static bool json_reserve(struct ward_json *j, size_t extra)
{
	size_t want, cap;
	char *b;

	if (j->oom)
		return false;
	if (j->len + extra + 1 <= j->cap)
		return true;
	want = j->len + extra + 1;
	cap = j->cap ? j->cap : 256;
	while (cap < want) {
		if (cap > SIZE_MAX / 2) {
			j->oom = true;
			return false;
		}
		cap *= 2;
	}
	b = realloc(j->buf, cap);
	if (!b) {
		j->oom = true;
		return false;
	}
	j->buf = b;
	j->cap = cap;
	return true;
}

static void json_put(struct ward_json *j, const char *s, size_t n)
{
	if (!json_reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void json_putc(struct ward_json *j, char c)
{
	json_put(j, &c, 1);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 with *bad set to the length of the
 * maximal ill-formed prefix to replace by one U+FFFD. */
static size_t utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0xc2 || c > 0xf4) { /* continuation, overlong C0/C1, or beyond U+10FFFF */
		*bad = 1;
		return 0;
	}
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates D800-DFFF */
	} else {
		need = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* > U+10FFFF */
	}
	for (i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

void ward_json_escape(struct ward_json *j, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	/* Worst case 6 output bytes per input byte: reserve once, then append unchecked. */
	if (n > (SIZE_MAX - 2) / 6) {
		j->oom = true;
		return;
	}
	if (!json_reserve(j, 6 * n + 2))
		return;
	j->buf[j->len++] = '"';
	while (i < n) {
		unsigned char c = s[i];
		char *o = j->buf + j->len;
		size_t ok, bad;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			/* plain ASCII, DEL included: copy runs */
			run = i;
			while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
				i++;
			memcpy(o, s + run, i - run);
			j->len += i - run;
			continue;
		}
		if (c < 0x80) {
			o[0] = '\\';
			switch (c) {
			case '"': o[1] = '"'; break;
			case '\\': o[1] = '\\'; break;
			case '\n': o[1] = 'n'; break;
			case '\t': o[1] = 't'; break;
			case '\r': o[1] = 'r'; break;
			case '\b': o[1] = 'b'; break;
			case '\f': o[1] = 'f'; break;
			default:
				memcpy(o + 1, "u00", 3);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 0xf];
				j->len += 6;
				i++;
				continue;
			}
			j->len += 2;
			i++;
			continue;
		}
		ok = utf8_valid(s + i, n - i, &bad);
		if (ok) {
			memcpy(o, s + i, ok);
			j->len += ok;
			i += ok;
		} else {
			memcpy(o, "\\ufffd", 6);
			j->len += 6;
			i += bad;
		}
	}
	j->buf[j->len++] = '"';
	j->buf[j->len] = '\0';
}

/* Comma and key before a value; key NULL inside arrays. Keys are ward's own field names
 * (plain ASCII, never from the sandbox): copied as they are, escaped only if one is not. */
static void json_member(struct ward_json *j, const char *key)
{
	size_t n = 0;
	bool plain = true;
	char *o;

	if (key)
		for (; key[n]; n++)
			if ((unsigned char)key[n] < 0x20 || (unsigned char)key[n] >= 0x80 ||
			    key[n] == '"' || key[n] == '\\')
				plain = false;
	if (!plain) {
		if (j->need_comma)
			json_putc(j, ',');
		ward_json_escape(j, key, n);
		json_putc(j, ':');
		j->need_comma = true;
		return;
	}
	if (!json_reserve(j, n + 4))
		return;
	o = j->buf + j->len;
	if (j->need_comma)
		*o++ = ',';
	if (key) {
		*o++ = '"';
		memcpy(o, key, n);
		o += n;
		*o++ = '"';
		*o++ = ':';
	}
	*o = '\0';
	j->len = (size_t)(o - j->buf);
	j->need_comma = true;
}

void ward_json_key(struct ward_json *j, const char *key)
{
	json_member(j, key);
	j->need_comma = false; /* the value (an object or array) follows the colon directly */
}

static void json_open(struct ward_json *j, const char *key, char c)
{
	json_member(j, key);
	json_putc(j, c);
	j->need_comma = false;
	j->depth++;
}

static void json_close(struct ward_json *j, char c)
{
	json_putc(j, c);
	j->need_comma = true;
	j->depth--;
}

void ward_json_open(struct ward_json *j)
{
	json_open(j, NULL, '{');
}

void ward_json_close(struct ward_json *j)
{
	json_close(j, '}');
}

void ward_json_object_open(struct ward_json *j, const char *key)
{
	json_open(j, key, '{');
}

void ward_json_object_close(struct ward_json *j)
{
	json_close(j, '}');
}

void ward_json_array_open(struct ward_json *j, const char *key)
{
	json_open(j, key, '[');
}

void ward_json_array_close(struct ward_json *j)
{
	json_close(j, ']');
}

void ward_json_strn(struct ward_json *j, const char *key, const char *val, size_t n)
{
	json_member(j, key);
	if (!val)
		json_put(j, "null", 4);
	else
		ward_json_escape(j, val, n);
}

void ward_json_str(struct ward_json *j, const char *key, const char *val)
{
	ward_json_strn(j, key, val, val ? strlen(val) : 0);
}

/* Decimal digits of v, written backwards from end; returns the first. (snprintf was a tenth of
 * the supervisor's time in a burst of events.) */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void ward_json_int(struct ward_json *j, const char *key, int64_t val)
{
	char b[24], *p = u64_digits(b + sizeof(b), val < 0 ? -(uint64_t)val : (uint64_t)val);

	if (val < 0)
		*--p = '-';
	json_member(j, key);
	json_put(j, p, (size_t)(b + sizeof(b) - p));
}

void ward_json_uint(struct ward_json *j, const char *key, uint64_t val)
{
	char b[24], *p = u64_digits(b + sizeof(b), val);

	json_member(j, key);
	json_put(j, p, (size_t)(b + sizeof(b) - p));
}

void ward_json_bool(struct ward_json *j, const char *key, bool val)
{
	json_member(j, key);
	if (val)
		json_put(j, "true", 4);
	else
		json_put(j, "false", 5);
}

void ward_format_time(char buf[40], const struct timespec *ts)
{
	/* A burst of events shares its second: gmtime_r and strftime once a second. */
	static __thread time_t last_sec = -1;
	static __thread char last[32];
	static __thread size_t last_n;
	long ns = ts->tv_nsec;

	if (ts->tv_sec != last_sec) {
		struct tm tm;

		if (!gmtime_r(&ts->tv_sec, &tm)) {
			snprintf(buf, 40, "1970-01-01T00:00:00.000000000Z");
			return;
		}
		last_n = strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = ts->tv_sec;
	}
	memcpy(buf, last, last_n);
	/* ".NNNNNNNNNZ" without snprintf */
	buf[last_n] = '.';
	for (int i = 9; i >= 1; i--) {
		buf[last_n + i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	buf[last_n + 10] = 'Z';
	buf[last_n + 11] = 0;
}

void ward_event_begin(struct ward_events *ev, struct ward_json *j, const char *kind,
		      const char *action, bool violation, pid_t pid, const char *comm,
		      const char *rule)
{
	ward_event_begin_at(ev, j, 0, kind, action, violation, pid, comm, rule);
}

void ward_event_begin_at(struct ward_events *ev, struct ward_json *j, uint64_t mono_ns,
			 const char *kind, const char *action, bool violation, pid_t pid,
			 const char *comm, const char *rule)
{
	struct timespec ts;
	char t[40];

	ward_json_init(j);
	if (ev->jbuf) {
		j->buf = ev->jbuf;
		j->cap = ev->jcap;
		ev->jbuf = NULL;
		ev->jcap = 0;
	}
	j->violation = violation;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (mono_ns) {
		/* realtime = now_realtime - (now_monotonic - mono_ns) */
		struct timespec mono;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		uint64_t now_mono = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
		uint64_t real = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (now_mono >= mono_ns && real >= now_mono - mono_ns) {
			real -= now_mono - mono_ns;
			ts.tv_sec = (time_t)(real / 1000000000ull);
			ts.tv_nsec = (long)(real % 1000000000ull);
		}
	}
	ward_format_time(t, &ts);
	ward_json_open(j);
	ward_json_str(j, "time", t);
	ward_json_str(j, "sandbox", ev->sandbox);
	ward_json_uint(j, "seq", ++ev->seq);
	ward_json_str(j, "host", ev->host);
	ward_json_str(j, "kind", kind);
	ward_json_str(j, "action", action);
	ward_json_bool(j, "violation", violation);
	if (pid > 0)
		ward_json_int(j, "pid", pid);
	if (comm)
		ward_json_str(j, "comm", comm);
	if (rule)
		ward_json_str(j, "rule", rule);
}

int ward_event_emit(struct ward_events *ev, struct ward_json *j)
{
	int r;

	ward_json_close(j);
	if (j->oom)
		r = -ENOMEM;
	else if (j->depth != 0)
		r = -EINVAL; /* a nested array or object left open: a bug in the caller */
	else if (!ev->sink)
		r = -ENOTCONN;
	else
		r = ward_sink_write(ev->sink, j->buf, j->len);
	if (r >= 0) {
		ev->produced++;
		if (j->violation)
			ev->violations++;
	} else {
		ev->failed++;
	}
	if (!j->oom && j->buf && !ev->jbuf) {
		/* kept for the next event */
		ev->jbuf = j->buf;
		ev->jcap = j->cap;
		j->buf = NULL;
		j->len = j->cap = 0;
	} else {
		ward_json_free(j);
	}
	return r < 0 ? r : 0;
}

void ward_events_release(struct ward_events *ev)
{
	free(ev->jbuf);
	ev->jbuf = NULL;
	ev->jcap = 0;
}
