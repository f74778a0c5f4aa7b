// SPDX-License-Identifier: MIT
/* Value parsers shared by profiles, flags and the collector's options (one reading of "2G"). */
#include "common/parse.h"
#include "common/macro.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ---- value parsers ------------------------------------------------------------------------ */

/*
 * Reads "DIGITS[.DIGITS]" at *s: the integer part in *ret_int and the fraction as
 * *ret_frac / *ret_div (ret_div a power of ten). At least one digit overall.
 */
static int parse_decimal(const char **s, unsigned __int128 *ret_int, uint64_t *ret_frac,
			 uint64_t *ret_div)
{
	const char *c = *s;
	unsigned __int128 ip = 0;
	uint64_t fp = 0, div = 1;
	bool digits = false;

	for (; isdigit((unsigned char)*c); c++) {
		ip = ip * 10 + (unsigned)(*c - '0');
		if (ip > UINT64_MAX)
			return -EINVAL; /* overflow */
		digits = true;
	}
	if (*c == '.') {
		c++;
		for (; isdigit((unsigned char)*c); c++) {
			/* Digits past nanosecond/byte precision cannot matter: ignore them. */
			if (div < 1000000000000000000ULL) {
				fp = fp * 10 + (unsigned)(*c - '0');
				div *= 10;
			}
			digits = true;
		}
	}
	if (!digits)
		return -EINVAL;
	*s = c;
	*ret_int = ip;
	*ret_frac = fp;
	*ret_div = div;
	return 0;
}

/*
 * Sizes: a number with an optional binary suffix. K, M, G, T, P, E (any case), optionally
 * followed by "i" and/or "B", are all powers of 1024, as cgroup memory.max and Docker read
 * them: "2G", "2GiB", "2Gi" and "2GB" are all 2147483648. A fraction is allowed and rounded
 * down to whole bytes ("1.5G").
 */
int ward_parse_size(const char *s, uint64_t *ret_bytes)
{
	static const char units[] = "KMGTPE";
	unsigned __int128 ip, v;
	uint64_t fp, div, mult = 1;
	const char *u;
	int r;

	if (!s || !*s)
		return -EINVAL;
	r = parse_decimal(&s, &ip, &fp, &div);
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
	v = ip * mult + (unsigned __int128)fp * mult / div;
	if (v > UINT64_MAX)
		return -EINVAL;
	*ret_bytes = (uint64_t)v;
	return 0;
}

/*
 * Durations: one or more NUMBER UNIT with units ns, us, ms, s, m, h, d ("1h30m", "500ms",
 * "1.5s"); a bare number is seconds.
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
		uint64_t fp, div, mult = 0;
		int r = parse_decimal(&s, &ip, &fp, &div);

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
		total += ip * mult + (unsigned __int128)fp * mult / div;
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
