// SPDX-License-Identifier: MIT
/*
 * A small append-only JSON writer (events, features --json, the collector's metrics) and the
 * one UTF-8 validator of the tree. Hand-written rather than jansson because events are produced on
 * the supervisor's hot path (one per notified syscall or BPF record) and only ever appended:
 * building a jansson tree per event would cost an allocation per field.
 *
 * Strings from the sandbox (paths, comm, argv) are untrusted: every byte that is not valid
 * UTF-8 becomes U+FFFD (one per maximal ill-formed subsequence, as Unicode 15 section 3.9
 * recommends), so a collector's strict JSON parser never rejects an event a model forged.
 */
#include "common/macro.h"
#include "common/json.h"

#include <errno.h>
#include <stdlib.h>

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

static bool json_grow(struct ward_json *j, size_t extra)
{
	size_t want, cap;
	char *b;

	if (j->oom)
		return false;
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

/* Room for extra bytes and the NUL. Inline: every member asks, and almost always there is. */
static inline bool json_reserve(struct ward_json *j, size_t extra)
{
	if (__builtin_expect(j->len + extra + 1 <= j->cap && !j->oom, 1))
		return true;
	return json_grow(j, extra);
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
size_t ward_utf8_valid(const unsigned char *s, size_t n, size_t *bad)
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

/* Bytes copied as they are inside a JSON string: printable ASCII and DEL, but '"' and '\\'. */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool json_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, P16, /* 0x30 */
	P16,							      /* 0x40 */
	1,	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,      /* 0x50, '\\' at 0x5c */
	P16,							      /* 0x60 */
	P16,							      /* 0x70, DEL included */
};
#undef P16

/* Writes s as a JSON string literal, quotes included, at o (room for 6 * n + 2 bytes: the
 * caller reserved it); returns the end. */
static char *escape_to(char *o, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	*o++ = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t ok, bad;

		if (json_plain[c]) {
			/* plain ASCII, DEL included: copied byte by byte (runs are short: a
			 * memcpy call costs more than it saves) */
			do
				*o++ = (char)s[i++];
			while (i < n && json_plain[s[i]]);
			continue;
		}
		if (c < 0x80) {
			*o++ = '\\';
			switch (c) {
			case '"':
				*o++ = '"';
				break;
			case '\\':
				*o++ = '\\';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\t':
				*o++ = 't';
				break;
			case '\r':
				*o++ = 'r';
				break;
			case '\b':
				*o++ = 'b';
				break;
			case '\f':
				*o++ = 'f';
				break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hex[c >> 4];
				o[4] = hex[c & 0xf];
				o += 5;
			}
			i++;
			continue;
		}
		ok = ward_utf8_valid(s + i, n - i, &bad);
		if (ok) {
			memcpy(o, s + i, ok);
			o += ok;
			i += ok;
		} else {
			memcpy(o, "\\ufffd", 6);
			o += 6;
			i += bad;
		}
	}
	*o++ = '"';
	return o;
}

/* Room for a string of n bytes, escaped: 6 output bytes per input byte at worst, and quotes. */
static bool escape_room(struct ward_json *j, size_t n, size_t extra)
{
	if (n > (SIZE_MAX - 2 - extra) / 6) {
		j->oom = true;
		return false;
	}
	return json_reserve(j, 6 * n + 2 + extra);
}

static void json_end(struct ward_json *j, char *o)
{
	*o = '\0';
	j->len = (size_t)(o - j->buf);
}

void ward_json_escape(struct ward_json *j, const char *str, size_t n)
{
	if (escape_room(j, n, 0))
		json_end(j, escape_to(j->buf + j->len, (const unsigned char *)str, n));
}

/* Comma and key before a value, with room for `value` more bytes after them; returns where the
 * value goes (the caller ends with json_end()), NULL when out of memory. key NULL inside arrays.
 * Keys are ward's own field names (plain ASCII, never from the sandbox): copied as they are in
 * one pass while they are plain and no longer than JSON_KEY_FAST, escaped otherwise. */
#define JSON_KEY_FAST 60
static char *json_member_slow(struct ward_json *j, const char *key, size_t value)
{
	size_t n = strlen(key);

	if (!escape_room(j, n, 2 + value))
		return NULL;
	char *o = j->buf + j->len;
	if (j->need_comma)
		*o++ = ',';
	o = escape_to(o, (const unsigned char *)key, n);
	*o++ = ':';
	j->need_comma = true;
	return o;
}

static char *json_member(struct ward_json *j, const char *key, size_t value)
{
	char *o;

	if (value > SIZE_MAX / 2 || !json_reserve(j, JSON_KEY_FAST + 4 + value))
		return NULL;
	o = j->buf + j->len;
	if (j->need_comma)
		*o++ = ',';
	if (key) {
		size_t n;

		*o++ = '"';
		for (n = 0; key[n]; n++) {
			if (n == JSON_KEY_FAST || !json_plain[(unsigned char)key[n]])
				return json_member_slow(j, key, value); /* nothing counted yet */
			o[n] = key[n];
		}
		o += n;
		*o++ = '"';
		*o++ = ':';
	}
	j->need_comma = true;
	return o;
}

void ward_json_key(struct ward_json *j, const char *key)
{
	char *o = json_member(j, key, 0);

	if (o)
		json_end(j, o);
	j->need_comma = false; /* the value (an object or array) follows the colon directly */
}

static void json_open(struct ward_json *j, const char *key, char c)
{
	char *o = json_member(j, key, 1);

	if (o) {
		*o++ = c;
		json_end(j, o);
	}
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
	char *o;

	if (!val) {
		ward_json_raw(j, key, "null", 4);
		return;
	}
	if (n > (SIZE_MAX / 2 - 2) / 6) {
		j->oom = true;
		return;
	}
	o = json_member(j, key, 6 * n + 2);
	if (o)
		json_end(j, escape_to(o, (const unsigned char *)val, n));
}

void ward_json_raw(struct ward_json *j, const char *key, const char *json, size_t n)
{
	char *o = json_member(j, key, n);

	if (o) {
		memcpy(o, json, n);
		json_end(j, o + n);
	}
}

void ward_json_append(struct ward_json *j, const char *json, size_t n)
{
	json_put(j, json, n);
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

static void json_number(struct ward_json *j, const char *key, uint64_t mag, bool neg)
{
	char b[24], *p = u64_digits(b + sizeof(b), mag), *o;

	if (neg)
		*--p = '-';
	o = json_member(j, key, sizeof(b));
	if (o) {
		size_t n = (size_t)(b + sizeof(b) - p);

		memcpy(o, p, n);
		json_end(j, o + n);
	}
}

void ward_json_int(struct ward_json *j, const char *key, int64_t val)
{
	json_number(j, key, val < 0 ? -(uint64_t)val : (uint64_t)val, val < 0);
}

void ward_json_uint(struct ward_json *j, const char *key, uint64_t val)
{
	json_number(j, key, val, false);
}

void ward_json_bool(struct ward_json *j, const char *key, bool val)
{
	if (val)
		ward_json_raw(j, key, "true", 4);
	else
		ward_json_raw(j, key, "false", 5);
}
