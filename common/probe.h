/* SPDX-License-Identifier: MIT */
/*
 * What the probe programs share: ward selftest's (selftest/probe/probe.c) and the tests'
 * (tests/probe.c, tests/integration/monitor_probe.c). They are static binaries of one source
 * each, linked with nothing of ward's, so these are inline.
 */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ADDR (IPv4 or IPv6, numeric) and PORT into ss: the family, or -1 when ADDR is neither. */
static inline int ward_probe_sockaddr(const char *addr, long port, struct sockaddr_storage *ss,
				      socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return AF_INET6;
	}
	return -1;
}

/* The line the test scripts read: "RESULT op=OP ret=RET errno=NAME" and the extra fields. */
static inline void ward_probe_vresult(const char *op, long ret, const char *errname,
				      const char *fmt, va_list ap)
{
	printf("RESULT op=%s ret=%ld errno=%s", op, ret, errname);
	if (fmt && *fmt) {
		putchar(' ');
		vprintf(fmt, ap);
	}
	putchar('\n');
	fflush(stdout);
}
