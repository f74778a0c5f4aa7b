// SPDX-License-Identifier: MIT
#include "common/macro.h"
#include "common/log.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *log_prefix = "ward";
static enum ward_log_level log_max = WARD_LOG_INFO;
static struct ward_stderr log_out = {.fd = STDERR_FILENO};
static unsigned long long log_lost, log_suppressed;

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

/* ---- stderr that never blocks ---------------------------------------------------------- */

int ward_stderr_open(struct ward_stderr *ret)
{
	struct stat st;
	char path[32];
	int fd;

	*ret = (struct ward_stderr){.fd = -1};
	if (fstat(STDERR_FILENO, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)) {
		/* the same description: a file keeps its shared offset and O_APPEND */
		fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
		*ret = (struct ward_stderr){
			.fd = fd, .sock = S_ISSOCK(st.st_mode), .regular = S_ISREG(st.st_mode)};
		return 0;
	}
	/* Opening the /proc link of a pipe, FIFO or tty gives a new open file description
	 * (proc(5)), so O_NONBLOCK is ours alone (fcntl(F_SETFL) on fd 2 would set it for every
	 * process sharing the description, and a shell or workload would then see EAGAIN). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", STDERR_FILENO);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		*ret = (struct ward_stderr){.fd = fd};
		return 0;
	}
	/* No /proc, or a FIFO without a reader (ENXIO): poll before each write instead. */
	fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	*ret = (struct ward_stderr){.fd = fd, .poll_out = true};
	return 0;
}

ssize_t ward_stderr_write(const struct ward_stderr *w, const void *buf, size_t len)
{
	ssize_t n;

	if (w->poll_out) {
		struct pollfd pfd = {.fd = w->fd, .events = POLLOUT};

		/* a pipe that polls writable has a free page: a write of at most PIPE_BUF fits */
		if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLOUT))
			return -EAGAIN;
		if (len > PIPE_BUF)
			len = PIPE_BUF;
	}
	do {
		if (w->sock)
			n = send(w->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(w->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

void ward_log_use(const struct ward_stderr *w)
{
	log_out = w ? *w : (struct ward_stderr){.fd = STDERR_FILENO};
}

/* ---- rate limit ---------------------------------------------------------------------------- */

#define RL_SLOTS 64

struct rl_slot {
	const char *fmt; /* the call site */
	uint64_t window_ms;
	unsigned printed;
	unsigned long long suppressed;
};

static struct rl_slot rl[RL_SLOTS];
static uint64_t rl_window_ms;
static unsigned rl_printed;

static uint64_t rl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void log_raw(const char *buf, size_t n)
{
	ssize_t w = ward_stderr_write(&log_out, buf, n);

	if (w != (ssize_t)n)
		log_lost++;
}

static void rl_report(struct rl_slot *s)
{
	char buf[512];
	int n;

	if (!s->suppressed)
		return;
	n = snprintf(buf, sizeof(buf), "%s: suppressed %llu repeats of: %.300s\n", log_prefix,
		     s->suppressed, s->fmt);
	s->suppressed = 0;
	if (n > 0)
		log_raw(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void ward_log_flush_suppressed(void)
{
	uint64_t now = rl_now_ms();

	for (size_t i = 0; i < RL_SLOTS; i++)
		if (rl[i].fmt && rl[i].suppressed && now - rl[i].window_ms >= WARD_LOG_WINDOW_MS)
			rl_report(&rl[i]);
}

/* true: print it. */
static bool rl_allow(const char *fmt)
{
	uint64_t now = rl_now_ms();
	struct rl_slot *s = NULL, *victim = &rl[0];
	size_t h = ((uintptr_t)fmt >> 3) % RL_SLOTS;

	ward_log_flush_suppressed();
	for (size_t i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *c = &rl[(h + i) % RL_SLOTS];

		if (c->fmt == fmt || !c->fmt) {
			s = c;
			break;
		}
		if (c->window_ms < victim->window_ms)
			victim = c;
	}
	if (!s) {
		/* more call sites than slots: reuse the least recent one */
		rl_report(victim);
		s = victim;
		*s = (struct rl_slot){0};
	}
	if (!s->fmt || now - s->window_ms >= WARD_LOG_WINDOW_MS) {
		rl_report(s);
		s->fmt = fmt;
		s->window_ms = now;
		s->printed = 0;
	}
	if (now - rl_window_ms >= WARD_LOG_WINDOW_MS) {
		rl_window_ms = now;
		rl_printed = 0;
	}
	if (s->printed >= WARD_LOG_BURST || rl_printed >= WARD_LOG_GLOBAL_BURST) {
		s->suppressed++;
		log_suppressed++;
		return false;
	}
	s->printed++;
	rl_printed++;
	return true;
}

unsigned long long ward_log_suppressed_total(void)
{
	return log_suppressed;
}

unsigned long long ward_log_lost_total(void)
{
	return log_lost;
}

void ward_logv(enum ward_log_level level, const char *fmt, va_list ap)
{
	char buf[2048];
	int n, p;

	if (level > log_max)
		return;
	if (level != WARD_LOG_DEBUG && !rl_allow(fmt))
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
	log_raw(buf, (size_t)n);
}

void ward_logl(enum ward_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ward_logv(level, fmt, ap);
	va_end(ap);
}
