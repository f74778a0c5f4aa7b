// SPDX-License-Identifier: MIT
/*
 * Unit tests for sink.c (unix:PATH client) and spool.c, against an in-process fake collector
 * that speaks the real protocol (JSON lines in, "ack N\n" out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/hooks.h"
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/cgroup.h"
#include "launcher/seccomp.h"
#include "common/spool.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

static char tmpdir[64], sockpath[128], spooldir[128];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ward-test-sink-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/c.sock", tmpdir);
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmpdir);
	setenv("WARD_SPOOL_DIR", spooldir, 1);
	ward_test_hooks_read(); /* as ward's main() does */
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int srv_listen(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	unlink(sockpath);
	strcpy(a.sun_path, sockpath);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static int srv_accept(int lfd, int timeout_ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* A connection's read side: buffered lines. */
struct conn {
	int fd;
	char buf[1 << 16];
	size_t len;
	uint64_t lines;
};

/* Reads one line; returns its seq, 0 on EOF/timeout. */
static long conn_line(struct conn *c, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			json_error_t e;
			json_t *o;
			long seq;

			*nl = '\0';
			o = json_loads(c->buf, 0, &e);
			assert_non_null(o);
			seq = (long)json_integer_value(json_object_get(o, "seq"));
			json_decref(o);
			c->len -= (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len);
			c->lines++;
			return seq;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
	}
}

static void conn_ack(struct conn *c)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "ack %llu\n", (unsigned long long)c->lines);

	assert_int_equal(write(c->fd, b, (size_t)n), n);
}

static void emit(struct ward_events *ev, int i)
{
	struct ward_json j;

	ward_event_begin(ev, &j, "syscall", "deny", true, 100 + i, "t", "r");
	ward_json_uint(&j, "i", (uint64_t)i);
	assert_int_equal(ward_event_emit(ev, &j), 0);
}

static bool spool_exists(const char *sandbox, off_t *ret_size)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s.ndjson", spooldir, sandbox);
	if (stat(p, &st) < 0)
		return false;
	if (ret_size)
		*ret_size = st.st_size;
	return true;
}

/* Drives the sink until the collector side has read want lines (acking all of them). */
static void pump_and_read(struct ward_sink *s, struct conn *c, long first, long last)
{
	for (long want = first; want <= last; want++) {
		long seq = 0;

		for (int t = 0; t < 200 && !seq; t++) {
			ward_sink_handle(s, EPOLLIN);
			seq = conn_line(c, 10);
		}
		assert_int_equal(seq, want);
		if (want % 100 == 0 || want == last)
			conn_ack(c);
	}
}

static void test_unix_delivers_and_acks(void **state)
{
	struct ward_events ev = {.sandbox = "u1", .host = "h"};
	struct ward_error err;
	struct conn *c = calloc(1, sizeof(*c));
	int lfd = srv_listen();
	char spec[200];

	snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	assert_int_equal(ward_sink_connected(ev.sink), 1);
	assert_true(ward_sink_fd(ev.sink) >= 0);
	c->fd = srv_accept(lfd, 1000);
	assert_true(c->fd >= 0);
	for (int i = 1; i <= 3; i++)
		emit(&ev, i);
	pump_and_read(ev.sink, c, 1, 3);
	assert_int_equal(ward_sink_flush(ev.sink, 2000), 0);
	assert_int_equal(ward_sink_dropped(ev.sink), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	assert_false(spool_exists("u1", NULL));
	close(c->fd);
	close(lfd);
	free(c);
}

static void test_unix_spool_then_replay_next_run(void **state)
{
	struct ward_events ev = {.sandbox = "u2", .host = "h"};
	struct ward_error err;
	struct conn *c = calloc(1, sizeof(*c));
	char spec[200];
	off_t size;
	int lfd;

	snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	unlink(sockpath);
	/* no collector: the sink opens anyway (fail-open), reports not connected */
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	assert_int_equal(ward_sink_connected(ev.sink), 0);
	for (int i = 1; i <= 5; i++)
		emit(&ev, i);
	assert_int_equal(ward_sink_flush(ev.sink, 100), -ETIMEDOUT);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	assert_true(spool_exists("u2", &size));
	assert_true(size > 0);

	/* a later run with the same id replays the spool first, then its own events */
	lfd = srv_listen();
	ev.seq = 5;
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	assert_int_equal(ward_sink_connected(ev.sink), 1);
	c->fd = srv_accept(lfd, 1000);
	for (int i = 6; i <= 7; i++)
		emit(&ev, i);
	pump_and_read(ev.sink, c, 1, 7);
	assert_int_equal(ward_sink_flush(ev.sink, 2000), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	assert_false(spool_exists("u2", NULL));
	assert_int_equal(conn_line(c, 50), 0); /* nothing more */
	close(c->fd);
	close(lfd);
	free(c);
}

static void test_unix_resend_after_collector_death(void **state)
{
	struct ward_events ev = {.sandbox = "u3", .host = "h"};
	struct ward_error err;
	struct conn *c = calloc(1, sizeof(*c));
	char spec[200];
	int lfd = srv_listen();

	snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	c->fd = srv_accept(lfd, 1000);
	for (int i = 1; i <= 3; i++)
		emit(&ev, i);
	/* the collector reads them but dies before acknowledging */
	for (int i = 1; i <= 3; i++)
		assert_int_equal(conn_line(c, 1000), i);
	close(c->fd);
	close(lfd);
	unlink(sockpath);
	emit(&ev, 4);
	ward_sink_handle(ev.sink, EPOLLIN);
	assert_int_equal(ward_sink_connected(ev.sink), 0);

	/* it comes back: every unacknowledged line is sent again, in order */
	lfd = srv_listen();
	memset(c, 0, sizeof(*c));
	for (int t = 0; t < 300 && !ward_sink_connected(ev.sink); t++) {
		struct pollfd p = {.fd = ward_sink_fd(ev.sink), .events = POLLIN};

		poll(&p, 1, 20);
		ward_sink_handle(ev.sink, EPOLLIN);
	}
	assert_int_equal(ward_sink_connected(ev.sink), 1);
	c->fd = srv_accept(lfd, 1000);
	assert_true(c->fd >= 0);
	emit(&ev, 5);
	pump_and_read(ev.sink, c, 1, 5);
	assert_int_equal(ward_sink_flush(ev.sink, 2000), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	close(c->fd);
	close(lfd);
	free(c);
}

struct reader {
	int lfd;
	long n, bad;
};

/* A collector thread that starts reading late and acks every 50 lines. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct conn *c = calloc(1, sizeof(*c));
	long want = 1;

	c->fd = srv_accept(r->lfd, 5000);
	usleep(200000); /* the writer fills the socket, the queue and then the spool */
	for (;;) {
		long seq = conn_line(c, 3000);

		if (!seq)
			break;
		if (seq != want)
			r->bad++;
		want = seq + 1;
		r->n++;
		if (c->lines % 50 == 0)
			conn_ack(c);
		if (r->n == 25000) {
			conn_ack(c);
			break;
		}
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void test_unix_overflow_keeps_order(void **state)
{
	struct ward_events ev = {.sandbox = "u4", .host = "h"};
	struct reader rd = {0};
	struct ward_error err;
	char spec[200];
	pthread_t th;
	off_t size = 0;

	rd.lfd = srv_listen();
	snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &rd), 0);
	for (int i = 1; i <= 25000; i++) {
		emit(&ev, i);
		if (i == 20000) /* the queue holds 10,000: the rest went to the spool */
			assert_true(spool_exists("u4", &size) && size > 0);
	}
	assert_int_equal(ward_sink_flush(ev.sink, 10000), 0);
	pthread_join(th, NULL);
	assert_int_equal(rd.n, 25000);
	assert_int_equal(rd.bad, 0);
	assert_int_equal(ward_sink_dropped(ev.sink), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	assert_false(spool_exists("u4", NULL));
	close(rd.lfd);
}

/* Issue 9 item 3: while the collector is unreachable the queue is written ahead to the spool
 * at each batch boundary (ward_sink_commit() after a supervisor round), not only at exit, so
 * a ward killed now has its events on disk; a collector that comes back still gets them once
 * each, in order, from memory, and the spool is emptied once they are acknowledged. */
static void test_unix_write_ahead_during_outage(void **state)
{
	struct ward_events ev = {.sandbox = "u5", .host = "h"};
	struct ward_error err;
	struct conn *c = calloc(1, sizeof(*c));
	char spec[200], p[256], buf[4096];
	off_t size = 0;
	int lfd, fd;
	ssize_t n;

	snprintf(spec, sizeof(spec), "unix:%s", sockpath);
	unlink(sockpath);
	assert_int_equal(ward_sink_open(spec, ev.sandbox, &ev.sink, &err), 0);
	assert_int_equal(ward_sink_connected(ev.sink), 0);
	for (int i = 1; i <= 5; i++)
		emit(&ev, i);
	assert_int_equal(ward_sink_commit(ev.sink), 0);
	assert_true(spool_exists("u5", &size));
	snprintf(p, sizeof(p), "%s/u5.ndjson", spooldir);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(n, size);
	int lines = 0;
	for (char *q = buf; (q = strchr(q, '\n')); q++)
		lines++;
	assert_int_equal(lines, 5);
	/* a sixth line waits for the next batch */
	emit(&ev, 6);
	assert_true(spool_exists("u5", &size) && size == n);
	assert_int_equal(ward_sink_commit(ev.sink), 0);
	assert_true(spool_exists("u5", &size) && size > n);

	lfd = srv_listen();
	for (int t = 0; t < 300 && !ward_sink_connected(ev.sink); t++) {
		struct pollfd pf = {.fd = ward_sink_fd(ev.sink), .events = POLLIN};

		poll(&pf, 1, 20);
		ward_sink_handle(ev.sink, EPOLLIN);
	}
	assert_int_equal(ward_sink_connected(ev.sink), 1);
	c->fd = srv_accept(lfd, 1000);
	assert_true(c->fd >= 0);
	emit(&ev, 7);
	pump_and_read(ev.sink, c, 1, 7);
	assert_int_equal(ward_sink_flush(ev.sink, 2000), 0);
	assert_true(spool_exists("u5", &size) && size == 0);
	assert_int_equal(ward_sink_dropped(ev.sink), 0);
	ward_sink_close(ev.sink);
	ward_events_release(&ev);
	assert_false(spool_exists("u5", NULL));
	assert_int_equal(conn_line(c, 50), 0);
	close(c->fd);
	close(lfd);
	free(c);
}

static void test_unix_bad_specs(void **state)
{
	struct ward_error err;
	struct ward_sink *s = NULL;
	char spec[300];

	memset(spec, 'a', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = 0;
	memcpy(spec, "unix:/", 6);
	assert_int_equal(ward_sink_open(spec, "x", &s, &err), -ENAMETOOLONG);
	assert_null(s);
	assert_non_null(strstr(err.msg, "too long"));
	assert_int_equal(ward_sink_open("unix:", "x", &s, &err), -EINVAL);
}

static int collect_line(void *ud, const char *line, size_t len, uid_t owner, const char *file)
{
	char *out = ud;

	if (!line)
		return 0;
	assert_int_equal(strlen(line), len);
	strcat(out, line);
	strcat(out, "|");
	return 0;
}

/* Issue 9 item 1: stderr on a pipe nobody reads. No write blocks (alarm() would end the
 * test), what does not fit is counted, fd 2's own description stays blocking, and once the
 * reader drains the pipe the sink's fd wakes the supervisor and the queue goes out whole. */
static void test_stderr_never_blocks(void **state)
{
	char line[300], buf[65536];
	struct ward_sink *s = NULL;
	struct ward_error err;
	int p[2], saved, fl;
	uint64_t dropped;
	size_t got = 0;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(ward_sink_open("stderr", "sb", &s, &err), 0);
	assert_true(ward_sink_fd(s) >= 0);
	memset(line, 'x', sizeof(line));
	alarm(10);
	for (int i = 0; i < 20000; i++) {
		ward_sink_write(s, line, sizeof(line) - 1);
		if (i % 100 == 0)
			ward_sink_commit(s);
	}
	ward_sink_commit(s);
	ward_log("a log line while stderr is full must not block either");
	alarm(0);
	dropped = ward_sink_dropped(s);
	/* 20,000 lines of 300 bytes: the pipe (64 KiB) and the queue (1 MiB) hold ~3,700 */
	assert_true(dropped > 10000);
	assert_true(dropped < 20000);
	fl = fcntl(STDERR_FILENO, F_GETFL);
	assert_int_equal(fl & O_NONBLOCK, 0);
	/* drain: the sink's fd becomes readable, handle() writes more */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 1000; round++) {
		struct pollfd pfd = {.fd = ward_sink_fd(s), .events = POLLIN};

		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			got += (size_t)n;
		if (poll(&pfd, 1, 100) == 1)
			ward_sink_handle(s, POLLIN);
		else
			break;
	}
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		got += (size_t)n;
	assert_int_equal(ward_sink_dropped(s), dropped);
	/* whole lines only, and every line not dropped; the log line may have found room in the
	 * pipe's last page (60 bytes) */
	assert_true(got == (20000 - dropped) * sizeof(line) ||
		    got == (20000 - dropped) * sizeof(line) + 60);
	ward_sink_close(s);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
}

static void test_spool_file(void **state)
{
	struct ward_spool sp, other;
	const char *pre[] = {"p1", "p2"};
	size_t prelen[] = {2, 2};
	char out[256] = "", *line;
	size_t len;

	assert_int_equal(ward_spool_open(&sp, spooldir, "../evil", true), -EINVAL);
	assert_int_equal(ward_spool_open(&sp, spooldir, "a/b", true), -EINVAL);
	assert_int_equal(ward_spool_open(&sp, spooldir, "s1", false), -ENOENT);
	assert_int_equal(ward_spool_open(&sp, spooldir, "s1", true), 0);
	/* a second writer (or the collector) cannot take it while it is locked */
	assert_int_equal(ward_spool_open(&other, spooldir, "s1", false), -EWOULDBLOCK);
	assert_int_equal(ward_spool_ingest_dir(spooldir, collect_line, out), 0);
	assert_string_equal(out, "");

	assert_int_equal(ward_spool_append(&sp, "a", 1), 0);
	assert_int_equal(ward_spool_append(&sp, "bb", 2), 0);
	assert_int_equal(ward_spool_append(&sp, "ccc", 3), 0);
	assert_true(ward_spool_pending(&sp));
	assert_int_equal(ward_spool_read_line(&sp, &line, &len), 1);
	assert_string_equal(line, "a");
	free(line);
	/* rewrite: new lines first, then only the unread part */
	assert_int_equal(ward_spool_rewrite(&sp, pre, prelen, 2), 0);
	const char *want[] = {"p1", "p2", "bb", "ccc"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(ward_spool_read_line(&sp, &line, &len), 1);
		assert_string_equal(line, want[i]);
		assert_int_equal(len, strlen(want[i]));
		free(line);
	}
	assert_int_equal(ward_spool_read_line(&sp, &line, &len), 0);
	assert_false(ward_spool_pending(&sp));
	assert_int_equal(ward_spool_truncate(&sp), 0);
	assert_int_equal(ward_spool_append(&sp, "x1", 2), 0);
	assert_int_equal(ward_spool_append(&sp, "x2", 2), 0);
	ward_spool_close(&sp, false);

	/* a half-written last line (no newline) is never delivered */
	char p[256];
	snprintf(p, sizeof(p), "%s/s1.ndjson", spooldir);
	int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "half", 4), 4);
	close(fd);
	/* a writer that opens it again (same id) cuts the half line off before appending, so
	 * its lines do not run into it (a ward killed in the middle of a write(2) leaves one) */
	assert_int_equal(ward_spool_open(&sp, spooldir, "s1", false), 0);
	assert_int_equal(sp.size, 6);
	struct iovec lines[] = {{"y1\n", 3}, {"y2\n", 3}};
	size_t written = 0;
	assert_int_equal(ward_spool_append_lines(&sp, lines, 2, 4096, &written), 0);
	assert_int_equal(written, 2);
	assert_int_equal(sp.size, 12);
	ward_spool_close(&sp, false);
	/* the writer is gone: the collector ingests it in order and removes it */
	assert_int_equal(ward_spool_ingest_dir(spooldir, collect_line, out), 4);
	assert_string_equal(out, "x1|x2|y1|y2|");
	assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stderr_never_blocks),
		cmocka_unit_test(test_spool_file),
		cmocka_unit_test(test_unix_bad_specs),
		cmocka_unit_test(test_unix_delivers_and_acks),
		cmocka_unit_test(test_unix_spool_then_replay_next_run),
		cmocka_unit_test(test_unix_resend_after_collector_death),
		cmocka_unit_test(test_unix_overflow_keeps_order),
		cmocka_unit_test(test_unix_write_ahead_during_outage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
