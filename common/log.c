// SPDX-License-Identifier: MIT
#include "common/macro.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *log_prefix = "ward";
static enum ward_log_level log_max = WARD_LOG_INFO;

int ward_error_set(struct ward_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return r;
}

void ward_log_setup(const char *prefix, enum ward_log_level max)
{
	if (prefix)
		log_prefix = prefix;
	log_max = max;
}

void ward_logv(enum ward_log_level level, const char *fmt, va_list ap)
{
	char buf[2048];
	int n, p;

	if (level > log_max)
		return;
	p = snprintf(buf, sizeof(buf), "%s: ", log_prefix);
	if (p < 0 || (size_t)p >= sizeof(buf) / 2)
		p = 0;
	n = vsnprintf(buf + p, sizeof(buf) - p - 1, fmt, ap);
	if (n < 0)
		return;
	n += p;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write: the prefix, the message and the newline together. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void ward_logl(enum ward_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ward_logv(level, fmt, ap);
	va_end(ap);
}
