/* SPDX-License-Identifier: MIT */
/*
 * Errors and logging. Library-like modules never print: they fill a struct ward_error and
 * return -errno; the orchestrator (launcher/run.c, collector/main.c) logs once, with context,
 * through the one logger below.
 */
#pragma once

#include <stdarg.h>

/* An error message for the user, already formatted, e.g. "p.yaml:12:5: unknown key 'x'". */
struct ward_error {
	char msg[1024];
};
/* Sets err->msg (if err) and returns r (a -errno), for `return ward_error_set(err, -EINVAL, ...)`.
 */
int ward_error_set(struct ward_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum ward_log_level { WARD_LOG_ERROR = 0, WARD_LOG_WARNING, WARD_LOG_INFO, WARD_LOG_DEBUG };

/* The prefix of every line ("ward", "ward collector") and the most verbose level printed
 * (default WARD_LOG_INFO; $WARD_DEBUG=1 raises it to debug, read once in main). */
void ward_log_setup(const char *prefix, enum ward_log_level max);
/* One line on stderr, "PREFIX: message\n", written with one write() so lines from ward and
 * the workload never interleave mid-line. */
void ward_logv(enum ward_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void ward_logl(enum ward_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define ward_log(...)	      ward_logl(WARD_LOG_ERROR, __VA_ARGS__)
#define ward_log_warning(...) ward_logl(WARD_LOG_WARNING, __VA_ARGS__)
#define ward_log_info(...)    ward_logl(WARD_LOG_INFO, __VA_ARGS__)
#define ward_log_debug(...)   ward_logl(WARD_LOG_DEBUG, __VA_ARGS__)
