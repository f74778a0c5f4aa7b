// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the value parsers (common/parse.c sizes, durations, integers; profile/values.c
 * absolute paths and CIDR prefixes; common/path.c normalization and prefix tests), each against
 * a slow reference written for obviousness here: schoolbook decimal arithmetic for sizes and
 * durations, component lists for paths, inet_ntop round trips for CIDRs. The first byte picks
 * the parser, the rest is its NUL-free input.
 */
#include "common/parse.h"
#include "common/path.h"
#include "profile/internal.h"
#include "profile/profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "check failed: %s (%s:%d) input '%s'\n", #c, __FILE__,     \
				__LINE__, in);                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- decimal reference: numbers as digit strings, most significant first --------------- */

/* a = a * m + add, a of *n digits (m, add < 10^6) */
static void big_mul_add(char *a, size_t *n, size_t cap, unsigned m, unsigned add)
{
	unsigned long carry = add;

	for (size_t i = *n; i-- > 0;) {
		unsigned long t = (unsigned long)(a[i] - '0') * m + carry;

		a[i] = (char)('0' + t % 10);
		carry = t / 10;
	}
	while (carry && *n < cap) {
		memmove(a + 1, a, *n);
		a[0] = (char)('0' + carry % 10);
		carry /= 10;
		(*n)++;
	}
}

/* floor(DIGITS.FRAC * mult) as a decimal string into out; mult given as a decimal string. */
static void ref_scale(const char *ip, size_t nip, const char *fp, size_t nfp, const char *mult,
		      char *out, size_t cap)
{
	char *a = calloc(1, nip + nfp + strlen(mult) + 8);
	size_t n = 0;

	/* a = the integer IP FP (all digits), then * mult digit by digit */
	memcpy(a, ip, nip);
	memcpy(a + nip, fp, nfp);
	n = nip + nfp;
	if (n == 0)
		a[n++] = '0';
	{
		char *prod = calloc(1, n + strlen(mult) + 2);
		size_t pn = 1;

		prod[0] = '0';
		for (const char *m = mult; *m; m++) {
			big_mul_add(prod, &pn, n + strlen(mult) + 1, 10, 0);
			/* prod += a * digit */
			char *t = calloc(1, n + 3);
			size_t tn = n;

			memcpy(t, a, n);
			big_mul_add(t, &tn, n + 2, (unsigned)(*m - '0'), 0);
			/* add t to prod */
			{
				size_t len = pn > tn ? pn : tn;
				char *s = calloc(1, len + 2);
				int carry = 0;

				for (size_t i = 0; i < len; i++) {
					int d = carry;

					if (i < pn)
						d += prod[pn - 1 - i] - '0';
					if (i < tn)
						d += t[tn - 1 - i] - '0';
					s[len - i] = (char)('0' + d % 10);
					carry = d / 10;
				}
				s[0] = (char)('0' + carry);
				free(prod);
				prod = s;
				pn = len + 1;
			}
			free(t);
		}
		/* drop nfp digits (the division by 10^nfp), then leading zeros */
		pn = pn > nfp ? pn - nfp : 0;
		{
			size_t z = 0;

			while (z + 1 < pn && prod[z] == '0')
				z++;
			snprintf(out, cap, "%.*s", (int)(pn - z), pn ? prod + z : "0");
			if (!pn)
				snprintf(out, cap, "0");
		}
		free(prod);
	}
	free(a);
}

/* a + b for decimal strings */
static void big_add(const char *x, const char *y, char *out, size_t cap)
{
	size_t nx = strlen(x), ny = strlen(y), len = (nx > ny ? nx : ny) + 1;
	char *s = calloc(1, len + 1);
	int carry = 0;
	size_t z = 0;

	for (size_t i = 0; i < len; i++) {
		int d = carry;

		if (i < nx)
			d += x[nx - 1 - i] - '0';
		if (i < ny)
			d += y[ny - 1 - i] - '0';
		s[len - 1 - i] = (char)('0' + d % 10);
		carry = d / 10;
	}
	while (z + 1 < len && s[z] == '0')
		z++;
	snprintf(out, cap, "%s", s + z);
	free(s);
}

static bool fits_u64(const char *dec)
{
	static const char max[] = "18446744073709551615";
	size_t n = strlen(dec);

	return n < sizeof(max) - 1 || (n == sizeof(max) - 1 && strcmp(dec, max) <= 0);
}

/* The n digits at ip, leading zeros and all, are at most 2^64 - 1. */
static bool int_fits(const char *ip, size_t n)
{
	char t[4200];

	while (n > 1 && ip[0] == '0') {
		ip++;
		n--;
	}
	if (n > 20)
		return false;
	snprintf(t, sizeof(t), "%.*s", (int)n, n ? ip : "0");
	return fits_u64(t);
}

/* Reads DIGITS[.DIGITS] at *s like the parser's grammar; false if none. */
static bool ref_decimal(const char **s, const char **ip, size_t *nip, const char **fp, size_t *nfp)
{
	const char *c = *s;

	*ip = c;
	while (isdigit((unsigned char)*c))
		c++;
	*nip = (size_t)(c - *ip);
	*fp = c;
	*nfp = 0;
	if (*c == '.') {
		*fp = ++c;
		while (isdigit((unsigned char)*c))
			c++;
		*nfp = (size_t)(c - *fp);
	}
	if (*nip + *nfp == 0)
		return false;
	*s = c;
	return true;
}

static bool ref_size(const char *in, char *out, size_t cap)
{
	static const char *const mults[] = {"1",
					    "1024",
					    "1048576",
					    "1073741824",
					    "1099511627776",
					    "1125899906842624",
					    "1152921504606846976"};
	static const char units[] = "KMGTPE";
	const char *s = in, *ip, *fp, *u;
	size_t nip, nfp;
	int k = 0;

	if (!*s || !ref_decimal(&s, &ip, &nip, &fp, &nfp))
		return false;
	/* the integer part alone must fit (the parser stops at 2^64) */
	if (!int_fits(ip, nip))
		return false;
	if (*s && (u = strchr(units, toupper((unsigned char)*s)))) {
		k = (int)(u - units) + 1;
		s++;
		if (*s == 'i')
			s++;
	}
	if (*s == 'B')
		s++;
	if (*s)
		return false;
	ref_scale(ip, nip, fp, nfp, mults[k], out, cap);
	return fits_u64(out);
}

static bool ref_duration(const char *in, char *out, size_t cap)
{
	static const struct {
		const char *name, *ns;
	} units[] = {{"ns", "1"},
		     {"us", "1000"},
		     {"ms", "1000000"},
		     {"s", "1000000000"},
		     {"m", "60000000000"},
		     {"h", "3600000000000"},
		     {"d", "86400000000000"}};
	const char *s = in;
	bool first = true;

	snprintf(out, cap, "0");
	if (!*s)
		return false;
	while (*s) {
		const char *ip, *fp, *mult = NULL;
		size_t nip, nfp;
		char part[4096], sum[4096];

		if (!ref_decimal(&s, &ip, &nip, &fp, &nfp))
			return false;
		if (!int_fits(ip, nip))
			return false;
		if (!*s && first) {
			mult = "1000000000";
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
				if (strncmp(s, units[i].name, strlen(units[i].name)) == 0) {
					mult = units[i].ns;
					s += strlen(units[i].name);
					break;
				}
			if (!mult)
				return false;
		}
		ref_scale(ip, nip, fp, nfp, mult, part, sizeof(part));
		big_add(out, part, sum, sizeof(sum));
		snprintf(out, cap, "%s", sum);
		if (!fits_u64(out))
			return false;
		first = false;
	}
	return true;
}

/* ---- paths ------------------------------------------------------------------------------ */

/* ward_normalize_abs_path: components split on '/', empty ones dropped, '.'/'..' refused. */
static int ref_abs_path(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (in[0] != '/')
		return -1;
	for (const char *c = in; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -1;
	for (const char *c = in; *c;) {
		const char *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		if (n) {
			o += (size_t)snprintf(out + o, cap - o, "/%.*s", (int)n, c);
		}
		c = *e ? e + 1 : e;
	}
	if (!o)
		snprintf(out, cap, "/");
	return 0;
}

/* ward_path_normalize without a base: a stack of components; ".." pops (none at the root). */
static void ref_path_normalize(const char *in, char *out, size_t cap)
{
	const char *comp[4096];
	size_t len[4096], n = 0, o = 0;

	for (const char *c = in; *c;) {
		const char *e = strchrnul(c, '/');
		size_t l = (size_t)(e - c);

		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (n)
				n--;
		} else if (l && !(l == 1 && c[0] == '.') && n < 4096) {
			comp[n] = c;
			len[n++] = l;
		}
		c = *e ? e + 1 : e;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "/%.*s", (int)len[i], comp[i]);
	if (!o)
		snprintf(out, cap, "/");
}

static bool ref_under(const char *path, const char *prefix)
{
	/* path's components start with all of prefix's */
	char a[8192], b[8192];

	if (path[0] != '/' || prefix[0] != '/')
		return false;
	if (strcmp(prefix, "/") == 0)
		return true;
	snprintf(a, sizeof(a), "%s/", path);
	snprintf(b, sizeof(b), "%s/", prefix);
	return strncmp(a, b, strlen(b)) == 0;
}

/* ---- CIDR: what is accepted prints back (inet_ntop) to itself, host bits clear ---------- */

static void check_cidr(const char *in)
{
	uint8_t addr[16], addr2[16];
	uint8_t plen, plen2;
	int fam, fam2, bits;
	char text[INET6_ADDRSTRLEN], again[INET6_ADDRSTRLEN + 16];

	if (ward_parse_cidr(in, &fam, addr, &plen) < 0)
		return;
	if (fam == AF_UNSPEC) {
		CHECK(strcmp(in, "*") == 0 && plen == 0);
		return;
	}
	CHECK(fam == AF_INET || fam == AF_INET6);
	bits = fam == AF_INET ? 32 : 128;
	CHECK(plen <= bits);
	for (int i = plen; i < bits; i++)
		CHECK(!(addr[i / 8] & (0x80 >> (i % 8))));
	for (int i = bits / 8; i < 16; i++)
		CHECK(addr[i] == 0);
	CHECK(inet_ntop(fam, addr, text, sizeof(text)));
	snprintf(again, sizeof(again), fam == AF_INET ? "%s/%u" : "[%s]/%u", text, plen);
	CHECK(ward_parse_cidr(again, &fam2, addr2, &plen2) == 0);
	CHECK(fam2 == fam && plen2 == plen && memcmp(addr, addr2, 16) == 0);
	/* and the rule parser agrees with the CIDR parser on the address part */
	{
		struct ward_net_rule r;
		char rule[INET6_ADDRSTRLEN + 32];

		snprintf(rule, sizeof(rule), "%s:80", again);
		CHECK(ward_parse_net_rule("connect", rule, &r) == 0);
		CHECK(r.family == fam && r.prefixlen == plen && memcmp(r.addr, addr, 16) == 0);
		CHECK(r.port_lo == 80 && r.port_hi == 80);
		free(r.text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[4096], ref[8192], got[8192];
	uint64_t v;
	int r;

	if (size < 1 || size > sizeof(in))
		return 0;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	if (strlen(in) != size - 1)
		return 0;
	switch (data[0] % 6) {
	case 0: {
		bool ok = ref_size(in, ref, sizeof(ref));

		r = ward_parse_size(in, &v);
		CHECK((r == 0) == ok);
		if (ok) {
			snprintf(got, sizeof(got), "%llu", (unsigned long long)v);
			CHECK(strcmp(got, ref) == 0);
		}
		break;
	}
	case 1: {
		bool ok = ref_duration(in, ref, sizeof(ref));

		r = ward_parse_duration(in, &v);
		CHECK((r == 0) == ok);
		if (ok) {
			snprintf(got, sizeof(got), "%llu", (unsigned long long)v);
			CHECK(strcmp(got, ref) == 0);
		}
		break;
	}
	case 2: {
		/* strict decimal: digits only, value <= max (max from the first input byte) */
		uint64_t max = data[0] & 0x80 ? UINT64_MAX : 65535;
		bool digits = *in && strspn(in, "0123456789") == strlen(in);
		char *end;
		unsigned long long ull;

		errno = 0;
		ull = digits ? strtoull(in, &end, 10) : 0;
		r = ward_parse_uint(in, max, &v);
		CHECK((r == 0) == (digits && errno == 0 && ull <= max));
		if (r == 0)
			CHECK(v == ull);
		break;
	}
	case 3: {
		char *norm = NULL;
		const char *why = "";

		r = ward_normalize_abs_path(in, &norm, &why);
		CHECK((r == 0) == (ref_abs_path(in, ref, sizeof(ref)) == 0));
		if (r == 0) {
			CHECK(strcmp(norm, ref) == 0);
			free(norm);
		}
		break;
	}
	case 4: {
		char a[4096];
		const char *split = strchr(in, '\n');
		r = ward_path_normalize(NULL, in[0] == '/' ? in : "/", got, sizeof(got));
		if (r == 0 && in[0] == '/') {
			ref_path_normalize(in, ref, sizeof(ref));
			CHECK(strcmp(got, ref) == 0);
		}
		/* prefix test on two normalized halves */
		if (split) {
			char p1[4096];

			snprintf(a, sizeof(a), "/%.*s", (int)(split - in), in);
			if (ward_path_normalize(NULL, a, p1, sizeof(p1)) == 0 &&
			    ward_path_normalize(NULL, split + 1, got, sizeof(got)) == 0)
				CHECK(ward_path_under(p1, got) == ref_under(p1, got));
		}
		break;
	}
	default:
		check_cidr(in);
	}
	return 0;
}
