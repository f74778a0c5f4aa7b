// SPDX-License-Identifier: MIT
/* Small helpers shared by every module. */
#include "ward.h"

#include <stdio.h>

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
