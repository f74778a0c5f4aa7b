// SPDX-License-Identifier: MIT
/* Value parsers shared by profiles, flags and the collector's options (one reading of "2G"). */
#include "common/parse.h"
#include "common/macro.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ---- value parsers ------------------------------------------------------------------------ */

/*
 * Reads "DIGITS[.DIGITS]" at *s: the integer part in *ret_int, the fraction's digits at
 * *ret_frac (*ret_nfrac of them, not NUL-terminated). At least one digit overall.
 */
static int parse_decimal(const char **s, unsigned __int128 *ret_int, const char **ret_frac,
			 size_t *ret_nfrac)
{
	const char *c = *s, *frac = NULL;
	unsigned __int128 ip = 0;
	bool digits = false;
	size_t nfrac = 0;

	for (; isdigit((unsigned char)*c); c++) {
		ip = ip * 10 + (unsigned)(*c - '0');
		if (ip > UINT64_MAX)
			return -EINVAL; /* overflow */
		digits = true;
	}
	if (*c == '.') {
		frac = ++c;
		for (; isdigit((unsigned char)*c); c++)
			nfrac++;
		digits |= nfrac > 0;
	}
	if (!digits)
		return -EINVAL;
	*s = c;
	*ret_int = ip;
	*ret_frac = frac;
	*ret_nfrac = nfrac;
	return 0;
}

/*
 * floor(0.DIGITS * mult), exactly, for any number of digits: the schoolbook product of the
 * digit string and mult, right to left, of which only the carry out of the fraction is kept.
 * (Keeping 18 digits and dividing, as this did before, could come out one unit low: with
 * mult = 2^60, 0.9999999999999999999E is 2^60 - 1 bytes, not 2^60 - 2.) t stays below
 * 10 * mult, which fits in 128 bits for every mult used here (at most 2^60).
 */
static uint64_t frac_times(const char *digits, size_t n, uint64_t mult)
{
	unsigned __int128 carry = 0;

	for (size_t i = n; i-- > 0;)
		carry = ((unsigned)(digits[i] - '0') * (unsigned __int128)mult + carry) / 10;
	return (uint64_t)carry;
}

/*
 * Sizes: a number with an optional binary suffix. K, M, G, T, P, E (any case), optionally
 * followed by "i" and/or "B", are all powers of 1024, as cgroup memory.max and Docker read
 * them: "2G", "2GiB", "2Gi" and "2GB" are all 2147483648. A fraction is allowed, of any
 * length, and the exact value is rounded down to whole bytes ("1.5G").
 */
int ward_parse_size(const char *s, uint64_t *ret_bytes)
{
	static const char units[] = "KMGTPE";
	unsigned __int128 ip, v;
	uint64_t mult = 1;
	const char *u, *frac;
	size_t nfrac;
	int r;

	if (!s || !*s)
		return -EINVAL;
	r = parse_decimal(&s, &ip, &frac, &nfrac);
	if (r < 0)
		return r;
	if (*s && (u = strchr(units, toupper((unsigned char)*s)))) {
		mult = 1ULL << (10 * (u - units + 1));
		s++;
		if (*s == 'i')
			s++;
	}
	if (*s == 'B')
		s++;
	if (*s)
		return -EINVAL;
	v = ip * mult + frac_times(frac, nfrac, mult);
	if (v > UINT64_MAX)
		return -EINVAL;
	*ret_bytes = (uint64_t)v;
	return 0;
}

/*
 * Durations: one or more NUMBER UNIT with units ns, us, ms, s, m, h, d ("1h30m", "500ms",
 * "1.5s"); a bare number is seconds. Each part is exact, rounded down to whole nanoseconds.
 */
int ward_parse_duration(const char *s, uint64_t *ret_ns)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		/* two-letter units first: "ms" is not "m" followed by garbage */
		{"ns", 1ULL},
		{"us", 1000ULL},
		{"ms", 1000000ULL},
		{"s", 1000000000ULL},
		{"m", 60ULL * 1000000000ULL},
		{"h", 3600ULL * 1000000000ULL},
		{"d", 86400ULL * 1000000000ULL},
	};
	unsigned __int128 total = 0;
	bool first = true;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		unsigned __int128 ip;
		const char *frac;
		size_t nfrac;
		uint64_t mult = 0;
		int r = parse_decimal(&s, &ip, &frac, &nfrac);

		if (r < 0)
			return r;
		if (!*s && first) {
			mult = 1000000000ULL; /* bare number: seconds */
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
				size_t l = strlen(units[i].name);

				if (strncmp(s, units[i].name, l) == 0) {
					mult = units[i].ns;
					s += l;
					break;
				}
			}
			if (!mult)
				return -EINVAL;
		}
		total += ip * mult + frac_times(frac, nfrac, mult);
		if (total > UINT64_MAX)
			return -EINVAL;
		first = false;
	}
	*ret_ns = (uint64_t)total;
	return 0;
}

/* Strict decimal in [0, max]: no sign, no spaces, no hex, no empty string. */
int ward_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*ret = v;
	return 0;
}
