// SPDX-License-Identifier: MIT
/*
 * Value parsers of profile/ shared by the key handlers and the command line: addresses and
 * CIDR prefixes, port ranges, network rules, and the absolute paths of the filesystem lists
 * and --bind.
 */
#include "common/parse.h"
#include "profile/internal.h"
#include "profile/profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void mask_prefix(uint8_t addr[16], unsigned prefixlen, unsigned bits)
{
	for (unsigned i = 0; i < bits / 8; i++) {
		if (prefixlen >= (i + 1) * 8)
			continue;
		if (prefixlen <= i * 8)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (prefixlen - i * 8)));
	}
}

/* ADDR and PREFIX given separately (PREFIX NULL: the full length). */
static int parse_addr_prefix(const char *a, const char *prefix, int *ret_family,
			     uint8_t ret_addr[16], uint8_t *ret_prefixlen)
{
	uint8_t addr[16] = {0};
	uint64_t plen;
	int family;
	unsigned bits;

	if (strcmp(a, "*") == 0) {
		/* any address of any family */
		if (prefix)
			return -EINVAL;
		*ret_family = AF_UNSPEC;
		memset(ret_addr, 0, 16);
		*ret_prefixlen = 0;
		return 0;
	}
	family = strchr(a, ':') ? AF_INET6 : AF_INET;
	bits = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, a, addr) != 1)
		return -EINVAL;
	if (prefix) {
		if (ward_parse_uint(prefix, bits, &plen) < 0)
			return -EINVAL;
	} else {
		plen = bits;
	}
	/* Host bits are cleared so "10.1.2.3/8" means 10.0.0.0/8, as the LPM trie matches it. */
	mask_prefix(addr, (unsigned)plen, bits);
	*ret_family = family;
	memcpy(ret_addr, addr, 16);
	*ret_prefixlen = (uint8_t)plen;
	return 0;
}

/* "10.0.0.0/8", "192.168.1.1", "::1", "[fd00::]/8", "[fd00::/8]", "*". */
int ward_parse_cidr(const char *s, int *ret_family, uint8_t ret_addr[16], uint8_t *ret_prefixlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	size_t l;

	if (!s || !*s)
		return -EINVAL;
	l = strlen(s);
	if (l >= sizeof(buf))
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		const char *prefix = NULL;

		if (!end || end == s + 1)
			return -EINVAL;
		memcpy(buf, s + 1, (size_t)(end - s - 1));
		buf[end - s - 1] = '\0';
		if (end[1] == '/')
			prefix = end + 2;
		else if (end[1])
			return -EINVAL;
		slash = strchr(buf, '/');
		if (slash) {
			if (prefix)
				return -EINVAL;
			*slash = '\0';
			prefix = slash + 1;
		}
		if (!strchr(buf, ':'))
			return -EINVAL; /* brackets are for IPv6 */
		return parse_addr_prefix(buf, prefix, ret_family, ret_addr, ret_prefixlen);
	}
	memcpy(buf, s, l + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	return parse_addr_prefix(buf, slash, ret_family, ret_addr, ret_prefixlen);
}

static int parse_port_range(const char *s, uint16_t *ret_lo, uint16_t *ret_hi)
{
	char buf[16];
	const char *dash;
	uint64_t lo, hi;

	if (strcmp(s, "*") == 0) {
		*ret_lo = 0;
		*ret_hi = 65535;
		return 0;
	}
	dash = strchr(s, '-');
	if (dash) {
		size_t l = (size_t)(dash - s);

		if (l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, l);
		buf[l] = '\0';
		if (ward_parse_uint(buf, 65535, &lo) < 0 ||
		    ward_parse_uint(dash + 1, 65535, &hi) < 0)
			return -EINVAL;
		if (lo > hi)
			return -EINVAL; /* reversed range */
	} else {
		if (ward_parse_uint(s, 65535, &lo) < 0)
			return -EINVAL;
		hi = lo;
	}
	*ret_lo = (uint16_t)lo;
	*ret_hi = (uint16_t)hi;
	return 0;
}

int ward_parse_net_op(const char *op, enum ward_net_op *ret)
{
	if (!op)
		return -EINVAL;
	if (strcmp(op, "connect") == 0)
		*ret = WARD_NETOP_CONNECT;
	else if (strcmp(op, "bind") == 0)
		*ret = WARD_NETOP_BIND;
	else if (strcmp(op, "send") == 0)
		*ret = WARD_NETOP_SEND;
	else
		return -EINVAL;
	return 0;
}

/*
 * "ADDR[/PREFIX]:PORT[-PORT]", "[V6ADDR][/PREFIX]:PORT", "*:PORT", "ADDR:*". On success
 * ret->text is a copy of value that the caller owns (ward_profile_free frees the profile's).
 */
int ward_parse_net_rule(const char *op, const char *value, struct ward_net_rule *ret)
{
	struct ward_net_rule rule = {0};
	char addr[INET6_ADDRSTRLEN + 16];
	const char *colon;
	size_t l;
	int r;

	r = ward_parse_net_op(op, &rule.op);
	if (r < 0)
		return r;
	if (!value || !*value)
		return -EINVAL;
	if (value[0] == '[') {
		const char *end = strchr(value, ']');

		if (!end)
			return -EINVAL;
		colon = end + 1;
		if (*colon == '/')
			colon += strcspn(colon, ":");
		if (*colon != ':')
			return -EINVAL;
	} else {
		colon = strrchr(value, ':');
		if (!colon)
			return -EINVAL;
	}
	l = (size_t)(colon - value);
	if (l == 0 || l >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, value, l);
	addr[l] = '\0';
	/* An unbracketed IPv6 address is ambiguous with the port separator. */
	if (addr[0] != '[' && strchr(addr, ':'))
		return -EINVAL;
	r = ward_parse_cidr(addr, &rule.family, rule.addr, &rule.prefixlen);
	if (r < 0)
		return r;
	r = parse_port_range(colon + 1, &rule.port_lo, &rule.port_hi);
	if (r < 0)
		return r;
	/* Port 0 means "any ephemeral port" only to bind(2); nothing can connect to it. */
	if (rule.port_hi == 0 && rule.op != WARD_NETOP_BIND)
		return -EINVAL;
	rule.text = strdup(value);
	if (!rule.text)
		return -ENOMEM;
	*ret = rule;
	return 0;
}

bool ward_net_rule_eq(const struct ward_net_rule *a, const struct ward_net_rule *b)
{
	return a->op == b->op && a->family == b->family && a->prefixlen == b->prefixlen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi;
}

/*
 * Absolute path, normalized: repeated and trailing slashes removed. "." and ".." components
 * are refused rather than resolved: the path names a place in the sandbox view, and a
 * lexical ".." through a symlink would not mean what it says.
 */
int ward_normalize_abs_path(const char *s, char **ret, const char **ret_why)
{
	char *out, *o;

	if (!s || s[0] != '/') {
		*ret_why = "must be an absolute path";
		return -EINVAL;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*ret_why = "contains a control character";
			return -EINVAL;
		}
	out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (const char *c = s; *c;) {
		size_t l;

		while (*c == '/')
			c++;
		l = strcspn(c, "/");
		if (l == 0)
			break;
		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.')) {
			free(out);
			*ret_why = "must not contain '.' or '..' components";
			return -EINVAL;
		}
		*o++ = '/';
		memcpy(o, c, l);
		o += l;
		c += l;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	*ret = out;
	return 0;
}

bool ward_env_name_ok(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '_' || isalnum((unsigned char)s[i])) || (unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

const char *ward_bind_dst_refused(const char *dst)
{
	/* Places ward builds itself: a bind there would be hidden, or break the view with a
	 * message about something else (issue 9 item 15). */
	if (strcmp(dst, "/") == 0)
		return "is the sandbox root; bind to a directory below it";
	if (strcmp(dst, "/dev") == 0 || strncmp(dst, "/dev/", 5) == 0)
		return "is under /dev, which ward builds (device nodes go in filesystem.devices)";
	if (strcmp(dst, "/proc") == 0 || strncmp(dst, "/proc/", 6) == 0)
		return "is under /proc, the sandbox's own procfs";
	return NULL;
}
