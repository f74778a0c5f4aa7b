/* SPDX-License-Identifier: MIT */
/*
 * Errors and logging. Library-like modules never print: they fill a struct ward_error and
 * return -errno; the orchestrator (launcher/run.c, collector/main.c) logs once, with context,
 * through the one logger below.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

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

/*
 * Rate limit (every level but debug): each call site (its format string) may print
 * WARD_LOG_BURST lines per WARD_LOG_WINDOW_MS, and all of them together WARD_LOG_GLOBAL_BURST;
 * the rest are counted and reported as "suppressed N repeats of: FORMAT" once the window has
 * passed (on the next log call, or ward_log_flush_suppressed() from a daemon's timer).
 */
#define WARD_LOG_BURST	      10
#define WARD_LOG_GLOBAL_BURST 100
#define WARD_LOG_WINDOW_MS    1000
void ward_log_flush_suppressed(void);
/* Lines not printed: suppressed by the rate limit, or lost because stderr was full. */
unsigned long long ward_log_suppressed_total(void);
unsigned long long ward_log_lost_total(void);

/*
 * stderr without ever blocking. ward_stderr_open() returns a private writer for fd 2 (-errno
 * on failure, then callers keep using fd 2): a new open file description of the same pipe,
 * FIFO or terminal (/proc/self/fd/2, O_NONBLOCK), so O_NONBLOCK does not reach the workload
 * or the shell that share fd 2's description; a socket is used through send(MSG_DONTWAIT);
 * a regular file as it is (writes to it never wait for a reader). The logger uses it too from
 * then on. ward_stderr_write() returns bytes written or -EAGAIN / -errno.
 */
struct ward_stderr {
	int fd;
	bool sock;     /* send(MSG_DONTWAIT) */
	bool poll_out; /* could not reopen: poll for room, write at most PIPE_BUF */
	bool regular;
};
int ward_stderr_open(struct ward_stderr *ret);
ssize_t ward_stderr_write(const struct ward_stderr *w, const void *buf, size_t len);
void ward_log_use(const struct ward_stderr *w); /* NULL: back to plain fd 2 */

#define ward_log(...)	      ward_logl(WARD_LOG_ERROR, __VA_ARGS__)
#define ward_log_warning(...) ward_logl(WARD_LOG_WARNING, __VA_ARGS__)
#define ward_log_info(...)    ward_logl(WARD_LOG_INFO, __VA_ARGS__)
#define ward_log_debug(...)   ward_logl(WARD_LOG_DEBUG, __VA_ARGS__)
