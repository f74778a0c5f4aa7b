// SPDX-License-Identifier: MIT
/*
 * Collector input: validation of one event line (jansson, strict UTF-8), de-duplication by
 * (sandbox, seq), and the output line with the peer's identity added.
 */
#include "common/macro.h"
#include "common/hash.h"
#include "collector/internal.h"

#include <string.h>

const char *const col_kind_names[COL_KINDS_N] = {"lifecycle", "syscall", "file", "exec",
						 "net",	      "device",	 "loss", "other"};

int col_kind_index(const char *kind)
{
	for (int i = 0; i < COL_KINDS_N - 1; i++)
		if (strcmp(kind, col_kind_names[i]) == 0)
			return i;
	return COL_KINDS_N - 1;
}

static bool is_name(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_' || (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n > 0 && n <= max;
}

/* RFC 3339 as ward writes it, leniently: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)". */
static bool is_time(const char *t)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; i < sizeof(pat) - 1; i++) {
		if (pat[i] == 'd' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != pat[i])
			return false;
	}
	if (t[i] == '.') {
		size_t d = 0;

		for (i++; t[i] >= '0' && t[i] <= '9'; i++)
			d++;
		if (d == 0 || d > 9)
			return false;
	}
	if (t[i] == 'Z')
		return t[i + 1] == '\0';
	return (t[i] == '+' || t[i] == '-') && strlen(t + i) == 6 && t[i + 3] == ':';
}

/*
 * The line scanner. jansson took about 4 us a line (an allocation per value), 80% of the
 * collector's time: this single pass checks the whole line against RFC 8259 (strict UTF-8,
 * no lone surrogates, \u0000 allowed as ward writes it, integers that fit int64, finite
 * numbers, nesting at most 128 deep) with no allocation, and decodes only the top-level
 * fields the collector uses. The full object is parsed with jansson only when a forward
 * target needs it (col_event_obj). Duplicate keys are refused among the fields the
 * collector reads (where a duplicate could make two readers disagree), allowed elsewhere.
 */
#define SCAN_DEPTH_MAX 128

enum top_field {
	F_TIME,
	F_SANDBOX,
	F_SEQ,
	F_KIND,
	F_ACTION,
	F_VIOLATION,
	F_PID,
	F_HOST,
	F_RULE,
	F_COMM,
	F_PEER_PID,
	F_PEER_UID,
	F_VIA,
	F_N
};
static const char *const field_name[F_N] = {
	[F_TIME] = "time", [F_SANDBOX] = "sandbox",   [F_SEQ] = "seq",
	[F_KIND] = "kind", [F_ACTION] = "action",     [F_VIOLATION] = "violation",
	[F_PID] = "pid",   [F_HOST] = "host",	      [F_RULE] = "rule",
	[F_COMM] = "comm", [F_PEER_PID] = "peer_pid", [F_PEER_UID] = "peer_uid",
	[F_VIA] = "via",
};

struct scan {
	const unsigned char *p, *end;
	int depth;
};

struct span {
	const unsigned char *s; /* value start (the quote for strings) */
	size_t n;		/* raw length */
	char type; /* 's' string, 'i' integer, 'n' other number, 't' 'f' 'z' (null), 'o' 'a' */
	int64_t ival;
};

static void skip_ws(struct scan *sc)
{
	while (sc->p < sc->end &&
	       (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int hex4(const unsigned char *p, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*ret = v;
	return 0;
}

/* A string at sc->p (on the quote): validated and skipped. A key may not contain U+0000:
 * jansson (the Falco/HTTP forwarder's parser) refuses such keys, so the file would keep an
 * event the forwarder drops; one rule for every output (issue 9 item 12). In values ward
 * writes \u0000 itself (a path with a NUL byte) and every output carries it. */
static int scan_string_k(struct scan *sc, bool key)
{
	const unsigned char *p = sc->p + 1, *end = sc->end;

	for (;;) {
		/* fast run of plain ASCII */
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return -1;
		if (*p == '"') {
			sc->p = p + 1;
			return 0;
		}
		if (*p == '\\') {
			if (p + 1 >= end)
				return -1;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u': {
				unsigned u, u2;

				if (end - p < 6 || hex4(p + 2, &u) < 0)
					return -1;
				p += 6;
				if (u == 0 && key)
					return -1;
				if (u >= 0xdc00 && u <= 0xdfff)
					return -1; /* lone low surrogate */
				if (u >= 0xd800 && u <= 0xdbff) {
					if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
					    hex4(p + 2, &u2) < 0 || u2 < 0xdc00 || u2 > 0xdfff)
						return -1;
					p += 6;
				}
				continue;
			}
			default:
				return -1;
			}
		}
		if (*p < 0x20)
			return -1; /* raw control character */
		/* the launcher's validator (common/json.c): the same rules on both ends */
		size_t bad, n = ward_utf8_valid(p, (size_t)(end - p), &bad);
		if (!n)
			return -1;
		p += n;
	}
}

static int scan_string(struct scan *sc)
{
	return scan_string_k(sc, false);
}

static int scan_key(struct scan *sc)
{
	return scan_string_k(sc, true);
}

static int scan_number(struct scan *sc, struct span *sp)
{
	const unsigned char *p = sc->p, *start = p, *end = sc->end;
	bool integer = true;
	char tmp[64];

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return -1;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return -1;
	if (p < end && *p == '.') {
		integer = false;
		p++;
		if (p >= end || !(*p >= '0' && *p <= '9'))
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		integer = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !(*p >= '0' && *p <= '9'))
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	sc->p = p;
	/* like jansson: integers must fit int64, reals must be finite */
	if ((size_t)(p - start) >= sizeof(tmp)) {
		if (integer)
			return -1;
		/* a very long real: let strtod see it whole */
		char *big = strndup((const char *)start, (size_t)(p - start));
		double d = big ? strtod(big, NULL) : 0;

		free(big);
		if (!big || __builtin_isinf(d))
			return -1;
		sp->type = 'n';
		return 0;
	}
	memcpy(tmp, start, (size_t)(p - start));
	tmp[p - start] = '\0';
	errno = 0;
	if (integer) {
		long long v = strtoll(tmp, NULL, 10);

		if (errno == ERANGE)
			return -1;
		sp->type = 'i';
		sp->ival = v;
	} else {
		double d = strtod(tmp, NULL);

		if (errno == ERANGE && __builtin_isinf(d))
			return -1;
		sp->type = 'n';
	}
	return 0;
}

static int scan_value(struct scan *sc, struct span *sp);

static int scan_container(struct scan *sc, char close)
{
	bool first = true;

	if (++sc->depth > SCAN_DEPTH_MAX)
		return -1;
	sc->p++;
	for (;;) {
		struct span v;

		skip_ws(sc);
		if (sc->p >= sc->end)
			return -1;
		if (*sc->p == close && first) {
			sc->p++;
			break;
		}
		if (close == '}') {
			if (*sc->p != '"' || scan_key(sc) < 0)
				return -1;
			skip_ws(sc);
			if (sc->p >= sc->end || *sc->p != ':')
				return -1;
			sc->p++;
			skip_ws(sc);
		}
		if (scan_value(sc, &v) < 0)
			return -1;
		skip_ws(sc);
		if (sc->p >= sc->end)
			return -1;
		if (*sc->p == ',') {
			sc->p++;
			first = false;
			skip_ws(sc);
			if (sc->p < sc->end && *sc->p == close)
				return -1; /* trailing comma */
			continue;
		}
		if (*sc->p != close)
			return -1;
		sc->p++;
		break;
	}
	sc->depth--;
	return 0;
}

static int scan_lit(struct scan *sc, const char *lit, char type, struct span *sp)
{
	size_t n = strlen(lit);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0)
		return -1;
	sc->p += n;
	sp->type = type;
	return 0;
}

static int scan_value(struct scan *sc, struct span *sp)
{
	int r;

	sp->s = sc->p;
	if (sc->p >= sc->end)
		return -1;
	switch (*sc->p) {
	case '"':
		sp->type = 's';
		r = scan_string(sc);
		break;
	case '{':
		sp->type = 'o';
		r = scan_container(sc, '}');
		break;
	case '[':
		sp->type = 'a';
		r = scan_container(sc, ']');
		break;
	case 't':
		r = scan_lit(sc, "true", 't', sp);
		break;
	case 'f':
		r = scan_lit(sc, "false", 'f', sp);
		break;
	case 'n':
		r = scan_lit(sc, "null", 'z', sp);
		break;
	default:
		r = scan_number(sc, sp);
	}
	sp->n = (size_t)(sc->p - sp->s);
	return r;
}

/* Decodes a validated string span (with quotes) into out (n+1 bytes at most). Sets *has_nul. */
static size_t decode_string(const struct span *sp, char *out, bool *has_nul)
{
	const unsigned char *p = sp->s + 1, *end = sp->s + sp->n - 1;
	size_t o = 0;

	while (p < end) {
		unsigned u, u2;

		if (*p != '\\') {
			out[o++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b':
			out[o++] = '\b';
			p += 2;
			continue;
		case 'f':
			out[o++] = '\f';
			p += 2;
			continue;
		case 'n':
			out[o++] = '\n';
			p += 2;
			continue;
		case 'r':
			out[o++] = '\r';
			p += 2;
			continue;
		case 't':
			out[o++] = '\t';
			p += 2;
			continue;
		case 'u':
			break;
		default:
			out[o++] = (char)p[1];
			p += 2;
			continue;
		}
		hex4(p + 2, &u);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			hex4(p + 2, &u2);
			p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
		}
		if (u == 0)
			*has_nul = true;
		/* \uXXXX is 6 bytes and its UTF-8 at most 3 (4 for a 12-byte pair): fits */
		if (u < 0x80) {
			out[o++] = (char)u;
		} else if (u < 0x800) {
			out[o++] = (char)(0xc0 | (u >> 6));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xe0 | (u >> 12));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (u >> 18));
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		}
	}
	out[o] = '\0';
	return o;
}

static int match_field(const struct span *key)
{
	size_t n = key->n - 2;

	for (int f = 0; f < F_N; f++)
		if (strlen(field_name[f]) == n && memcmp(key->s + 1, field_name[f], n) == 0)
			return f;
	if (memchr(key->s, '\\', key->n)) {
		/* an escaped key ("\u0073eq") must not sneak past the duplicate check */
		char buf[64];
		bool nul = false;

		if (key->n > sizeof(buf))
			return -1;
		decode_string(key, buf, &nul);
		for (int f = 0; f < F_N; f++)
			if (!nul && strcmp(buf, field_name[f]) == 0)
				return f;
	}
	return -1;
}

int col_validate(const char *line, size_t len, struct col_event *ret)
{
	struct scan sc = {(const unsigned char *)line, (const unsigned char *)line + len, 0};
	struct span val[F_N];
	unsigned seen = 0;
	bool first = true, sandbox_nul = false; /* any common field holds a NUL */
	size_t need = 0, o = 0;

	memset(ret, 0, offsetof(struct col_event, sbuf));
	if (len > COL_LINE_MAX)
		return -COL_REFUSE_OVERSIZED;
	ret->line = line;
	ret->len = len;
	skip_ws(&sc);
	if (sc.p >= sc.end || *sc.p != '{')
		return -COL_REFUSE_MALFORMED;
	sc.p++;
	sc.depth = 1;
	for (;;) {
		struct span key, v;
		int f;

		skip_ws(&sc);
		if (sc.p >= sc.end)
			return -COL_REFUSE_MALFORMED;
		if (*sc.p == '}' && first) {
			sc.p++;
			break;
		}
		key.s = sc.p;
		if (*sc.p != '"' || scan_key(&sc) < 0)
			return -COL_REFUSE_MALFORMED;
		key.n = (size_t)(sc.p - key.s);
		skip_ws(&sc);
		if (sc.p >= sc.end || *sc.p != ':')
			return -COL_REFUSE_MALFORMED;
		sc.p++;
		skip_ws(&sc);
		if (scan_value(&sc, &v) < 0)
			return -COL_REFUSE_MALFORMED;
		f = match_field(&key);
		if (f >= 0) {
			if (seen & (1u << f))
				return -COL_REFUSE_MALFORMED; /* duplicate key, as jansson refuses
							       */
			seen |= 1u << f;
			val[f] = v;
			if (v.type == 's')
				need += v.n;
		}
		skip_ws(&sc);
		if (sc.p >= sc.end)
			return -COL_REFUSE_MALFORMED;
		if (*sc.p == ',') {
			sc.p++;
			first = false;
			continue;
		}
		if (*sc.p != '}')
			return -COL_REFUSE_MALFORMED;
		sc.p++;
		break;
	}
	skip_ws(&sc);
	if (sc.p != sc.end)
		return -COL_REFUSE_MALFORMED; /* trailing garbage */

	/* the fields the collector reads, decoded */
	ret->strings = need <= sizeof(ret->sbuf) ? ret->sbuf : malloc(need);
	if (!ret->strings)
		return -COL_REFUSE_MALFORMED;
	static const int str_fields[] = {F_TIME, F_SANDBOX, F_KIND, F_ACTION,
					 F_HOST, F_RULE,    F_COMM};
	const char **dst[] = {&ret->time, &ret->sandbox, &ret->kind, &ret->action,
			      &ret->host, &ret->rule,	 &ret->comm};
	for (size_t i = 0; i < ARRAY_SIZE(str_fields); i++) {
		int f = str_fields[i];

		if (!(seen & (1u << f)) || val[f].type == 'z')
			continue;
		if (val[f].type != 's')
			goto schema;
		bool nul = false;
		*dst[i] = ret->strings + o;
		o += decode_string(&val[f], ret->strings + o, &nul) + 1;
		/* A \u0000 in a common field would be read cut at the NUL here (metrics, de-
		 * duplication, Falco's rule) and whole by jansson: one line, two readings. Refused,
		 * so every output carries the same event. */
		if (nul)
			sandbox_nul = true;
	}
	if (!(seen & (1u << F_SEQ)) || val[F_SEQ].type != 'i' || val[F_SEQ].ival < 1)
		goto schema;
	ret->seq = (uint64_t)val[F_SEQ].ival;
	if (seen & (1u << F_VIOLATION)) {
		if (val[F_VIOLATION].type != 't' && val[F_VIOLATION].type != 'f')
			goto schema;
		ret->violation = val[F_VIOLATION].type == 't';
	}
	if (seen & (1u << F_PID)) {
		if (val[F_PID].type != 'i')
			goto schema;
		ret->pid = val[F_PID].ival;
	}
	if (!ret->sandbox || !ret->kind || !ret->time)
		goto schema;
	/* the sandbox id names spool files and metrics: keep it a plain token */
	if (!*ret->sandbox || strlen(ret->sandbox) > 63 || strchr(ret->sandbox, '/') ||
	    ret->sandbox[0] == '.' || sandbox_nul)
		goto schema; /* sandbox_nul: a NUL in any decoded common field */
	if (!is_name(ret->kind, 32) || !is_time(ret->time))
		goto schema;
	if (ret->action && strcmp(ret->action, "allow") && strcmp(ret->action, "deny") &&
	    strcmp(ret->action, "audit") && strcmp(ret->action, "kill"))
		goto schema;
	/* the collector adds these: a sender may not forge them */
	if (seen & ((1u << F_PEER_PID) | (1u << F_PEER_UID) | (1u << F_VIA)))
		goto schema;
	return 0;
schema:
	col_event_free(ret);
	return -COL_REFUSE_SCHEMA;
}

json_t *col_event_obj(struct col_event *ev)
{
	if (!ev->obj && ev->line)
		ev->obj = json_loadb(ev->line, ev->len, JSON_ALLOW_NUL, NULL);
	return ev->obj;
}

void col_event_free(struct col_event *ev)
{
	json_decref(ev->obj);
	ev->obj = NULL;
	if (ev->strings && ev->strings != ev->sbuf)
		free(ev->strings);
	ev->strings = NULL;
}

/* ---- buffers ------------------------------------------------------------------------------ */
int col_buf_reserve(struct col_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->len + extra <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int col_buf_add(struct col_buf *b, const void *p, size_t n)
{
	if (col_buf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void col_buf_free(struct col_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int col_output_line(struct col_buf *b, const char *line, size_t len, pid_t pid, uid_t uid,
		    bool spooled)
{
	char tail[96];
	int n;

	/* The line is a validated non-empty object: drop its closing brace (and any trailing
	 * blanks) and append our fields, keeping the sender's bytes as they were. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	if (len < 2 || line[len - 1] != '}')
		return -EINVAL;
	len--;
	if (spooled)
		n = snprintf(tail, sizeof(tail), ",\"peer_uid\":%u,\"via\":\"spool\"}\n",
			     (unsigned)uid);
	else
		n = snprintf(tail, sizeof(tail), ",\"peer_pid\":%d,\"peer_uid\":%u}\n", (int)pid,
			     (unsigned)uid);
	if (col_buf_reserve(b, len + (size_t)n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, line, len);
	memcpy(b->p + b->len + len, tail, (size_t)n);
	b->len += len + (size_t)n;
	return 0;
}

/* ---- de-duplication -------------------------------------------------------------------------
 * Per sandbox: every seq <= contig was seen, and a 1024-bit window says which of
 * contig+1 .. contig+1024 were. Launchers resend from their oldest unacknowledged line, so
 * duplicates almost always fall at or below contig. A seq beyond the window moves it forward
 * and counts the skipped range as seen: memory stays bounded (about 200 bytes a sandbox) at
 * the price of dropping a line that would arrive more than 1024 events out of order.
 */
#define DEDUP_WORDS 16
#define DEDUP_BITS  (DEDUP_WORDS * 64)

struct dd_entry {
	struct dd_entry *next;
	uint64_t contig;
	uint64_t bits[DEDUP_WORDS]; /* bit i: contig + 1 + i seen */
	unsigned nset;
	uint64_t last_s;
	char sandbox[];
};

struct col_dedup {
	struct dd_entry **tab;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	return ward_fnv1a(s, strlen(s));
}

int col_dedup_new(struct col_dedup **ret)
{
	struct col_dedup *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->cap = 1024;
	d->tab = calloc(d->cap, sizeof(*d->tab));
	if (!d->tab) {
		free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void col_dedup_free(struct col_dedup *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->cap; i++)
		while (d->tab[i]) {
			struct dd_entry *e = d->tab[i];

			d->tab[i] = e->next;
			free(e);
		}
	free(d->tab);
	free(d);
}

size_t col_dedup_count(const struct col_dedup *d)
{
	return d->n;
}

static void dd_grow(struct col_dedup *d)
{
	size_t cap = d->cap * 2;
	struct dd_entry **tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return; /* keep the longer chains */
	for (size_t i = 0; i < d->cap; i++)
		while (d->tab[i]) {
			struct dd_entry *e = d->tab[i];
			size_t h = hash_str(e->sandbox) & (cap - 1);

			d->tab[i] = e->next;
			e->next = tab[h];
			tab[h] = e;
		}
	free(d->tab);
	d->tab = tab;
	d->cap = cap;
}

/* Shifts the window down by k bits (contig advances by k). */
static void dd_shift(struct dd_entry *e, uint64_t k)
{
	uint64_t w = k / 64, b = k % 64;

	if (k >= DEDUP_BITS) {
		memset(e->bits, 0, sizeof(e->bits));
		e->nset = 0;
		e->contig += k;
		return;
	}
	for (size_t i = 0; i < DEDUP_WORDS; i++) {
		uint64_t lo = i + w < DEDUP_WORDS ? e->bits[i + w] : 0;
		uint64_t hi = i + w + 1 < DEDUP_WORDS ? e->bits[i + w + 1] : 0;

		e->bits[i] = b ? (lo >> b) | (hi << (64 - b)) : lo;
	}
	e->nset = 0;
	for (size_t i = 0; i < DEDUP_WORDS; i++)
		e->nset += (unsigned)__builtin_popcountll(e->bits[i]);
	e->contig += k;
}

bool col_dedup_check(struct col_dedup *d, const char *sandbox, uint64_t seq)
{
	size_t h = hash_str(sandbox) & (d->cap - 1);
	struct dd_entry *e;
	uint64_t off;

	for (e = d->tab[h]; e; e = e->next)
		if (strcmp(e->sandbox, sandbox) == 0)
			break;
	if (!e) {
		size_t n = strlen(sandbox) + 1;

		e = calloc(1, sizeof(*e) + n);
		if (!e)
			return true; /* cannot remember it: deliver (at least once) */
		memcpy(e->sandbox, sandbox, n);
		e->next = d->tab[h];
		d->tab[h] = e;
		if (++d->n > d->cap * 3 / 4)
			dd_grow(d);
	}
	e->last_s = ward_now_coarse_ms() / 1000;
	if (seq <= e->contig)
		return false;
	if (seq == e->contig + 1 && e->nset == 0) {
		e->contig++; /* the common case: in order */
		return true;
	}
	off = seq - e->contig - 1;
	if (off >= DEDUP_BITS) {
		dd_shift(e, off - DEDUP_BITS + 1);
		off = DEDUP_BITS - 1;
	}
	if (e->bits[off / 64] & (1ull << (off % 64)))
		return false;
	e->bits[off / 64] |= 1ull << (off % 64);
	e->nset++;
	/* advance contig over the now contiguous prefix */
	uint64_t k = 0;
	while (k < DEDUP_BITS && (e->bits[k / 64] & (1ull << (k % 64))))
		k++;
	if (k)
		dd_shift(e, k);
	return true;
}

void col_dedup_expire(struct col_dedup *d, uint64_t now_s, uint64_t idle_s)
{
	for (size_t i = 0; i < d->cap; i++) {
		struct dd_entry **pp = &d->tab[i];

		while (*pp) {
			struct dd_entry *e = *pp;

			if (now_s - e->last_s > idle_s) {
				*pp = e->next;
				free(e);
				d->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}
