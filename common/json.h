/* SPDX-License-Identifier: MIT */
/* The JSON writer and the UTF-8 validator (json.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growable JSON object writer: keys and values escaped (control characters, quotes, invalid
 * UTF-8 replaced by U+FFFD). */
struct ward_json {
	char *buf;
	size_t len, cap;
	bool need_comma;
	int depth;
	bool oom;	/* an allocation failed: the object is unusable */
	bool violation; /* set by ward_event_begin(), counted by ward_event_emit() */
};
void ward_json_init(struct ward_json *j);
void ward_json_free(struct ward_json *j);
void ward_json_open(struct ward_json *j);		  /* "{" */
void ward_json_close(struct ward_json *j);		  /* "}" */
void ward_json_key(struct ward_json *j, const char *key); /* for nested arrays/objects */
void ward_json_str(struct ward_json *j, const char *key, const char *val); /* NULL -> null */
void ward_json_strn(struct ward_json *j, const char *key, const char *val, size_t n);
void ward_json_int(struct ward_json *j, const char *key, int64_t val);
void ward_json_uint(struct ward_json *j, const char *key, uint64_t val);
void ward_json_bool(struct ward_json *j, const char *key, bool val);
void ward_json_array_open(struct ward_json *j, const char *key); /* key NULL inside arrays */
void ward_json_array_close(struct ward_json *j);
void ward_json_object_open(struct ward_json *j, const char *key);
void ward_json_object_close(struct ward_json *j);
/* Appends s as a JSON string literal (with quotes) to j->buf. */
void ward_json_escape(struct ward_json *j, const char *s, size_t n);
/* A member whose value is already JSON (a string escaped once by ward_json_escape()). */
void ward_json_raw(struct ward_json *j, const char *key, const char *json, size_t n);
/* Appends n bytes of JSON text as they are, no comma: the caller's, valid at this place (a
 * precomputed run of members); need_comma and depth stay as they are. */
void ward_json_append(struct ward_json *j, const char *json, size_t n);

/* For a sequence starting with a byte >= 0x80 (n > 0): the length of the valid multi-byte UTF-8
 * sequence at s (2..4), or 0 with *bad set to the length of the maximal ill-formed prefix (to be
 * replaced by one U+FFFD). ASCII bytes are the caller's: they give 0 with *bad = 1. */
size_t ward_utf8_valid(const unsigned char *s, size_t n, size_t *bad);
