// SPDX-License-Identifier: MIT
/*
 * Event sinks: where the supervisor's JSON lines go.
 *   stderr      a private non-blocking writer for fd 2 (common/log.h ward_stderr_open())
 *   none        discarded
 *   file:PATH   O_APPEND|O_NONBLOCK, writes of whole lines including their newlines, so lines
 *               from several ward processes sharing a file never interleave (POSIX 2.9.7)
 * Both queue lines in a bounded buffer (SINK_QUEUE_BYTES) and write them when the supervisor
 * is about to wait (ward_sink_commit()) and when the fd has room again (ward_sink_fd() polls
 * for it): one system call per line was two thirds of the supervisor's time in a burst. The
 * supervisor never waits for a reader: a write that would block (a pipe nobody reads) leaves
 * the lines queued, and a line that does not fit in the queue is dropped and counted
 * (sink_dropped in the exit event). A write is at most PIPE_BUF bytes of whole lines when
 * the fd is not a regular file, so a batch written to a pipe shared with other writers stays
 * atomic.
 *   unix:PATH   the collector: never blocks (queue, then spool; see below)
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/json.h"
#include "events/event.h"
#include "events/sink.h"

#include "common/spool.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

enum sink_type { SINK_NONE, SINK_STDERR, SINK_FILE, SINK_UNIX };

#define SINK_BUF_FILE	 (64u << 10)
#define SINK_QUEUE_BYTES (1u << 20)

struct ward_sink {
	enum sink_type type;
	struct ward_stderr w; /* stderr or the file; the unix sink keeps its state in u */
	int epfd;	      /* EPOLLOUT of w.fd (edge), -1 when it cannot be polled */
	uint64_t dropped;
	struct unix_sink *u;
	char *buf; /* stderr and file: whole lines not yet written, buf[off..len) */
	size_t off, len, batch;
};

/*
 * ---- unix:PATH, the collector client ----------------------------------------------------
 * The supervisor is single-threaded and must never wait for the collector, so everything is
 * non-blocking and driven by an internal epoll fd (stable for the sink's life, although the
 * socket changes on every reconnect) that the supervisor polls; see ward_sink_fd().
 *
 * Lines stay in the queue until the collector acknowledges them ("ack N\n": N lines of this
 * connection are written to its output), so a collector killed with lines still in its socket
 * buffer loses nothing: they are sent again on the next connection (at least once; the
 * collector drops duplicates by (sandbox, seq)). When the queue is full, lines go to the
 * spool file; once one line is spooled every later line is too, until the spool has been read
 * back into the queue, so the collector sees them in order.
 *
 * Write-ahead while the collector is unreachable: the queue is also written to the spool, at
 * the end of each supervisor round (ward_sink_commit()) and whenever UNIX_BATCH_BYTES are
 * waiting, so a ward killed with SIGKILL during an outage loses at most the lines of its last
 * round (at most UNIX_BATCH_BYTES); the collector ingests the spool of a ward that is gone.
 * No fsync: the page cache outlives the process, and a host crash takes the sandbox with it.
 * The spool file is then, from its start:
 *   [0, rd - disk_bytes)       acknowledged lines not yet truncated away (duplicates if read)
 *   [rd - disk_bytes, rd)      the queue's first disk_events items (on_disk), in order
 *   [rd, size)                 lines not read back yet; only when no queue item is off disk
 * and the queue's items that are not on disk are its tail, from `unspooled` on, followed in
 * order by `ovf`: lines past the queue's bounds, on their way to the end of the file. A full
 * disk keeps what fits (whole lines), leaves the tail in memory, drops and counts lines beyond
 * the queue (sink_dropped), and warns once; UNIX_RESERVE bytes stay allocated for the exit
 * event, so the count reaches the collector.
 */
#define UNIX_QUEUE_EVENTS   10000
#define UNIX_QUEUE_BYTES    (4u << 20)
#define UNIX_BACKOFF_MIN_MS 50
#define UNIX_BACKOFF_MAX_MS 5000
#define UNIX_IOV	    64
#define UNIX_BATCH_BYTES    (64u << 10)
#define UNIX_RESERVE	    4096
#define UNIX_SPOOL_RETRY_MS 1000

struct qitem {
	struct qitem *next;
	size_t len;   /* with the newline */
	bool on_disk; /* also in the spool file (read back from it, or written ahead) */
	char line[];
};

enum unix_state { U_DISCONNECTED, U_CONNECTING, U_CONNECTED };

struct unix_sink {
	struct sockaddr_un addr;
	socklen_t addrlen;
	char sandbox[64];
	int sock, epfd, timerfd;
	enum unix_state state;
	struct qitem *head, *tail;    /* head: oldest unacknowledged */
	struct qitem *send;	      /* next item to send (NULL: all sent) */
	struct qitem *unspooled;      /* first item not on disk; all after it are not either */
	struct qitem *ovf, *ovf_tail; /* past the queue's bounds, to be appended to the spool */
	size_t send_off;
	size_t q_events, q_bytes, unspooled_bytes, ovf_events, ovf_bytes;
	uint64_t acked_on_conn; /* lines of this connection the collector acknowledged */
	char ackbuf[64];
	size_t ackbuf_len;
	struct ward_spool spool;
	size_t disk_events, disk_bytes; /* queue items on disk: [rd - disk_bytes, rd) */
	uint64_t spool_retry_ms;	/* the spool could not be opened (spool_err): not */
	int spool_err;			/* before then */
	uint64_t dropped;
	bool warned;
	int backoff_ms;
};

/* Once per run, when the spool first refuses lines (they stay in the queue while it has
 * room; beyond, or at exit with the collector still away, they are dropped). */
static void unix_warn(struct unix_sink *u, int r)
{
	if (u->warned)
		return;
	u->warned = true;
	ward_log_warning("event sink: collector unreachable and spool %s/%s.ndjson: %s: events "
			 "that do not fit are dropped (counted in sink_dropped); free space there "
			 "or start the collector",
			 ward_spool_dir(), u->sandbox, strerror(-r));
}

static void unix_lost(struct unix_sink *u, size_t n, int r)
{
	if (n == 0)
		return;
	u->dropped += n;
	unix_warn(u, r);
}

static void qitem_free_list(struct qitem *it)
{
	while (it) {
		struct qitem *next = it->next;

		free(it);
		it = next;
	}
}

/*
 * Writes the queue's tail that is not on disk yet, then the overflow lines, to the end of the
 * spool, as many as fit. final: the exit path may use the reserve.
 */
static int unix_spill(struct unix_sink *u, bool final)
{
	size_t nq = 0, n = 0, written = 0;
	_cleanup_free_ struct iovec *iov = NULL;
	struct qitem *it;
	int r = 0;

	for (it = u->unspooled; it; it = it->next)
		nq++;
	if (nq + u->ovf_events == 0)
		return 0;
	if (u->spool.fd < 0) {
		if (ward_now_ms() < u->spool_retry_ms) {
			r = u->spool_err;
			goto out;
		}
		r = ward_spool_open(&u->spool, ward_spool_dir(), u->sandbox, true);
		if (r < 0) {
			ward_spool_close(&u->spool, false);
			u->spool_retry_ms = ward_now_ms() + UNIX_SPOOL_RETRY_MS;
			u->spool_err = r;
			goto out;
		}
	}
	iov = calloc(nq + u->ovf_events, sizeof(*iov));
	if (!iov) {
		r = -ENOMEM;
		goto out;
	}
	for (it = u->unspooled; it; it = it->next)
		iov[n++] = (struct iovec){it->line, it->len};
	for (it = u->ovf; it; it = it->next)
		iov[n++] = (struct iovec){it->line, it->len};
	r = ward_spool_append_lines(&u->spool, iov, n, final ? 0 : UNIX_RESERVE, &written);
	/* queue items written are "read": rd == size held before (no unread lines while items
	 * are off disk), so they are [rd, rd + their bytes) */
	for (; written > 0 && u->unspooled; written--) {
		it = u->unspooled;
		it->on_disk = true;
		u->disk_events++;
		u->disk_bytes += it->len;
		u->spool.rd += (off_t)it->len;
		u->unspooled_bytes -= it->len;
		u->unspooled = it->next;
	}
	/* overflow lines written are unread lines of the spool now */
	while (written > 0 && u->ovf) {
		it = u->ovf;
		u->ovf = it->next;
		free(it);
		written--;
		u->ovf_events--;
	}
out:
	if (r < 0)
		unix_warn(u, r);
	/* what did not fit beyond the queue's bounds is lost; the queue's tail stays in memory */
	if (u->ovf && r < 0) {
		unix_lost(u, u->ovf_events, r);
		qitem_free_list(u->ovf);
		u->ovf = NULL;
		u->ovf_events = 0;
	}
	if (!u->ovf) {
		u->ovf_tail = NULL;
		u->ovf_bytes = 0;
	}
	return r;
}

/* A batch boundary: while the collector is unreachable, the queue goes to disk too. */
static void unix_commit(struct unix_sink *u)
{
	if (u->ovf || (u->state != U_CONNECTED && u->unspooled))
		unix_spill(u, false);
}

static void unix_arm_retry(struct unix_sink *u)
{
	struct itimerspec its = {0};

	its.it_value.tv_sec = u->backoff_ms / 1000;
	its.it_value.tv_nsec = (long)(u->backoff_ms % 1000) * 1000000;
	timerfd_settime(u->timerfd, 0, &its, NULL);
	u->backoff_ms =
		u->backoff_ms * 2 > UNIX_BACKOFF_MAX_MS ? UNIX_BACKOFF_MAX_MS : u->backoff_ms * 2;
}

static void unix_disconnect(struct unix_sink *u)
{
	if (u->sock >= 0) {
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->sock, NULL);
		close(u->sock);
		u->sock = -1;
	}
	u->state = U_DISCONNECTED;
	/* everything not acknowledged goes again, whole lines, on the next connection */
	u->send = u->head;
	u->send_off = 0;
	u->acked_on_conn = 0;
	u->ackbuf_len = 0;
	unix_arm_retry(u);
	/* the outage begins (or goes on): what only memory holds goes to disk now */
	unix_commit(u);
}

static void unix_connected(struct unix_sink *u)
{
	u->state = U_CONNECTED;
	u->backoff_ms = UNIX_BACKOFF_MIN_MS;
	u->send = u->head;
	u->send_off = 0;
	u->acked_on_conn = 0;
	u->ackbuf_len = 0;
}

static int unix_connect(struct unix_sink *u)
{
	struct epoll_event ee = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
	int r;

	if (u->state != U_DISCONNECTED)
		return 0;
	u->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->sock < 0)
		return -errno;
	ee.data.fd = u->sock;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->sock, &ee) < 0) {
		r = -errno;
		close(u->sock);
		u->sock = -1;
		unix_arm_retry(u);
		return r;
	}
	if (connect(u->sock, (struct sockaddr *)&u->addr, u->addrlen) == 0) {
		unix_connected(u);
		return 1;
	}
	r = -errno;
	if (r == -EINPROGRESS) {
		u->state = U_CONNECTING;
		return 0;
	}
	/* ENOENT/ECONNREFUSED: no collector; EAGAIN: its backlog is full. Retry later. */
	unix_disconnect(u);
	return r;
}

static void unix_push(struct unix_sink *u, struct qitem *it)
{
	it->next = NULL;
	if (u->tail)
		u->tail->next = it;
	else
		u->head = it;
	u->tail = it;
	if (!u->send)
		u->send = it;
	if (!it->on_disk && !u->unspooled)
		u->unspooled = it;
	if (!it->on_disk)
		u->unspooled_bytes += it->len;
	else {
		u->disk_events++;
		u->disk_bytes += it->len;
	}
	u->q_events++;
	u->q_bytes += it->len;
}

static bool unix_queue_full(struct unix_sink *u, size_t len)
{
	return u->q_events >= UNIX_QUEUE_EVENTS || u->q_bytes + len > UNIX_QUEUE_BYTES;
}

static struct qitem *qitem_new(const char *line, size_t len, bool on_disk)
{
	struct qitem *it = malloc(sizeof(*it) + len + 1);

	if (!it)
		return NULL;
	memcpy(it->line, line, len);
	it->line[len] = '\n';
	it->len = len + 1;
	it->on_disk = on_disk;
	return it;
}

/* Moves spooled lines back into the queue while there is room; empties the spool once
 * everything in it was read and acknowledged. */
static void unix_refill(struct unix_sink *u)
{
	/* overflow lines first go where they belong, after what the spool holds */
	if (u->ovf && !ward_spool_pending(&u->spool) && !unix_queue_full(u, u->ovf->len))
		unix_spill(u, false);
	while (ward_spool_pending(&u->spool)) {
		off_t rd = u->spool.rd;
		struct qitem *it;
		char *line;
		size_t len;

		if (ward_spool_read_line(&u->spool, &line, &len) <= 0)
			break;
		if (unix_queue_full(u, len + 1)) {
			u->spool.rd = rd; /* read it again next time */
			free(line);
			break;
		}
		it = qitem_new(line, len, true);
		free(line);
		if (!it) {
			u->spool.rd = rd;
			break;
		}
		unix_push(u, it);
	}
	if (u->spool.fd >= 0 && !ward_spool_pending(&u->spool) && u->disk_events == 0 &&
	    u->spool.size > 0)
		ward_spool_truncate(&u->spool);
}

static void unix_pop_acked(struct unix_sink *u, uint64_t n)
{
	while (u->acked_on_conn < n && u->head && u->head != u->send) {
		struct qitem *it = u->head;

		u->head = it->next;
		if (!u->head)
			u->tail = NULL;
		u->q_events--;
		u->q_bytes -= it->len;
		if (it->on_disk) {
			u->disk_events--;
			u->disk_bytes -= it->len;
		} else {
			u->unspooled_bytes -= it->len;
			if (u->unspooled == it)
				u->unspooled = it->next;
		}
		free(it);
		u->acked_on_conn++;
	}
	unix_refill(u);
}

/* Reads "ack N\n" lines until the socket is empty. */
static int unix_read_acks(struct unix_sink *u)
{
	char buf[512];

	for (;;) {
		ssize_t n = recv(u->sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (u->ackbuf_len < sizeof(u->ackbuf) - 1)
					u->ackbuf[u->ackbuf_len++] = buf[i];
				continue;
			}
			u->ackbuf[u->ackbuf_len] = '\0';
			u->ackbuf_len = 0;
			if (strncmp(u->ackbuf, "ack ", 4) == 0)
				unix_pop_acked(u, strtoull(u->ackbuf + 4, NULL, 10));
		}
	}
}

/* Sends queued lines until the socket is full. */
static int unix_pump(struct unix_sink *u)
{
	while (u->state == U_CONNECTED && u->send) {
		struct iovec iov[UNIX_IOV];
		struct msghdr mh = {.msg_iov = iov};
		struct qitem *it = u->send;
		size_t off = u->send_off;
		ssize_t n;

		for (; it && mh.msg_iovlen < UNIX_IOV; it = it->next, off = 0) {
			iov[mh.msg_iovlen].iov_base = it->line + off;
			iov[mh.msg_iovlen].iov_len = it->len - off;
			mh.msg_iovlen++;
		}
		n = sendmsg(u->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0; /* EPOLLOUT (edge) tells when there is room */
			int r = -errno;
			unix_disconnect(u);
			return r;
		}
		while (n > 0 && u->send) {
			size_t left = u->send->len - u->send_off;

			if ((size_t)n < left) {
				u->send_off += (size_t)n;
				break;
			}
			n -= (ssize_t)left;
			u->send = u->send->next;
			u->send_off = 0;
		}
	}
	return 0;
}

/* A line past the queue's bounds (or behind spooled ones): it waits for the batch. */
static int unix_spool_line(struct unix_sink *u, const char *line, size_t len)
{
	struct qitem *it = qitem_new(line, len, false);

	if (!it) {
		unix_lost(u, 1, -ENOMEM);
		return -ENOMEM;
	}
	it->next = NULL;
	if (u->ovf_tail)
		u->ovf_tail->next = it;
	else
		u->ovf = it;
	u->ovf_tail = it;
	u->ovf_events++;
	u->ovf_bytes += it->len;
	if (u->ovf_bytes + (u->state != U_CONNECTED ? u->unspooled_bytes : 0) >= UNIX_BATCH_BYTES)
		return unix_spill(u, false) == -ENOSPC ? -ENOSPC : 0;
	return 0;
}

static int unix_write(struct unix_sink *u, const char *line, size_t len)
{
	struct qitem *it;

	if (u->state == U_DISCONNECTED) {
		uint64_t ticks;

		/* the back-off expired though the supervisor did not poll us: reconnect now */
		if (read(u->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks))
			unix_connect(u);
	}
	unix_refill(u);
	if (ward_spool_pending(&u->spool) || u->ovf || unix_queue_full(u, len + 1))
		return unix_spool_line(u, line, len);
	it = qitem_new(line, len, false);
	if (!it)
		return unix_spool_line(u, line, len);
	unix_push(u, it);
	if (u->state == U_CONNECTED)
		unix_pump(u);
	else if (u->unspooled_bytes >= UNIX_BATCH_BYTES)
		unix_spill(u, false);
	return 0;
}

static int unix_handle(struct unix_sink *u)
{
	struct epoll_event evs[4];
	int n;

	n = epoll_wait(u->epfd, evs, ARRAY_SIZE(evs), 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t e = evs[i].events;

		if (evs[i].data.fd == u->timerfd) {
			uint64_t ticks;

			if (read(u->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				return -errno;
			if (u->state == U_DISCONNECTED)
				unix_connect(u);
			continue;
		}
		if (evs[i].data.fd != u->sock)
			continue; /* a closed socket's leftover event */
		if (u->state == U_CONNECTING) {
			int err = 0;
			socklen_t l = sizeof(err);

			if (!(e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				continue;
			getsockopt(u->sock, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err) {
				unix_disconnect(u);
				continue;
			}
			unix_connected(u);
		}
		if (unix_read_acks(u) < 0 || (e & (EPOLLERR | EPOLLHUP))) {
			unix_disconnect(u);
			continue;
		}
		unix_pump(u);
	}
	/* The timer may have fired while nobody polled: don't depend on the caller's loop. */
	if (u->state == U_CONNECTED)
		unix_pump(u);
	unix_commit(u);
	return 0;
}

static int unix_open(const char *path, const char *sandbox, struct unix_sink **ret,
		     struct ward_error *err)
{
	struct epoll_event ee = {.events = EPOLLIN};
	struct unix_sink *u;
	int r;

	if (strlen(path) >= sizeof(u->addr.sun_path))
		return ward_error_set(err, -ENAMETOOLONG, "event sink 'unix:%s': path too long",
				      path);
	u = calloc(1, sizeof(*u));
	if (!u)
		return ward_error_set(err, -ENOMEM, "event sink: out of memory");
	u->sock = u->timerfd = -1;
	u->spool.fd = u->spool.dirfd = -1;
	u->backoff_ms = UNIX_BACKOFF_MIN_MS;
	u->addr.sun_family = AF_UNIX;
	strcpy(u->addr.sun_path, path);
	u->addrlen = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	snprintf(u->sandbox, sizeof(u->sandbox), "%s", sandbox ? sandbox : "ward");
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	u->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (u->epfd < 0 || u->timerfd < 0) {
		r = -errno;
		goto fail;
	}
	ee.data.fd = u->timerfd;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->timerfd, &ee) < 0) {
		r = -errno;
		goto fail;
	}
	/* A spool left by an earlier run with this id goes first. */
	r = ward_spool_open(&u->spool, ward_spool_dir(), u->sandbox, false);
	if (r < 0)
		ward_spool_close(&u->spool, false);
	else
		unix_refill(u);
	/* Connect now so events.require_collector can ask ward_sink_connected(); a unix connect
	 * completes at once unless the collector's backlog is full (EAGAIN): then retry briefly. */
	for (int i = 0; i < 20; i++) {
		r = unix_connect(u);
		if (r != -EAGAIN)
			break;
		u->backoff_ms = UNIX_BACKOFF_MIN_MS;
		usleep(5000);
	}
	*ret = u;
	return 0;
fail:
	if (u->epfd >= 0)
		close(u->epfd);
	if (u->timerfd >= 0)
		close(u->timerfd);
	free(u);
	return ward_error_set(err, r, "event sink 'unix:%s': %s", path, strerror(-r));
}

/* Everything acknowledged and nothing left in the spool. */
static bool unix_drained(struct unix_sink *u)
{
	return !u->head && !u->ovf && !ward_spool_pending(&u->spool);
}

/* Drops the queue's tail that is not on disk (counted): the exit path, collector away. */
static void unix_drop_unspooled(struct unix_sink *u, int r)
{
	struct qitem **pp = &u->head, *prev = NULL;
	size_t n = 0;

	if (!u->unspooled)
		return;
	while (*pp != u->unspooled) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = NULL;
	u->tail = prev;
	for (struct qitem *it = u->unspooled; it; it = it->next) {
		if (it == u->send)
			u->send = NULL;
		u->q_events--;
		u->q_bytes -= it->len;
		n++;
	}
	qitem_free_list(u->unspooled);
	u->unspooled = NULL;
	u->unspooled_bytes = 0;
	unix_lost(u, n, r);
}

/*
 * The run is over and the exit event is about to be written with sink_dropped: while the
 * collector is unreachable, what cannot go to the spool now never will (the disk is full, or
 * the spool cannot be opened), so it is dropped and counted now, not after the exit event.
 */
static uint64_t unix_settle(struct unix_sink *u)
{
	if (u->state != U_CONNECTED) {
		int r = unix_spill(u, false);

		if (r < 0)
			unix_drop_unspooled(u, r);
	}
	return u->dropped;
}

static int unix_flush(struct unix_sink *u, int timeout_ms)
{
	uint64_t deadline = ward_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	if (u->state == U_DISCONNECTED)
		unix_connect(u); /* last chance, whatever the back-off says */
	unix_commit(u);
	for (;;) {
		struct pollfd pfd = {.fd = u->epfd, .events = POLLIN};
		uint64_t now;

		unix_refill(u);
		unix_pump(u);
		if (unix_drained(u))
			return 0;
		now = ward_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			return -errno;
		unix_handle(u);
	}
}

static void unix_close(struct unix_sink *u)
{
	off_t base;
	int r;

	if (!u)
		return;
	/* Unacknowledged lines not on disk go to its end (the exit event may use the reserve);
	 * what does not fit is lost now. */
	r = unix_spill(u, true);
	if (r < 0)
		unix_drop_unspooled(u, r);
	base = u->spool.rd - (off_t)u->disk_bytes;
	if (!u->head && !ward_spool_pending(&u->spool)) {
		/* everything was delivered */
		ward_spool_close(&u->spool, u->spool.fd >= 0);
	} else {
		/* The file holds what is left from base on: drop the delivered lines before it
		 * (if the disk has room for the copy; else the collector skips them as
		 * duplicates). */
		if (base > 0) {
			u->spool.rd = base;
			ward_spool_rewrite(&u->spool, NULL, NULL, 0);
		}
		ward_spool_close(&u->spool, false);
	}
	qitem_free_list(u->head);
	if (u->sock >= 0)
		close(u->sock);
	close(u->timerfd);
	close(u->epfd);
	free(u);
}

int ward_sink_open(const char *spec, const char *sandbox_id, struct ward_sink **ret,
		   struct ward_error *err)
{
	_cleanup_free_ struct ward_sink *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return ward_error_set(err, -ENOMEM, "event sink: out of memory");
	s->w.fd = s->epfd = -1;
	if (!spec || !*spec || strcmp(spec, "stderr") == 0) {
		s->type = SINK_STDERR;
		r = ward_stderr_open(&s->w);
		if (r < 0)
			return ward_error_set(err, r, "event sink stderr: %s", strerror(-r));
		ward_log_use(&s->w); /* ward's own messages must not block either */
	} else if (strcmp(spec, "none") == 0) {
		s->type = SINK_NONE;
	} else if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
		struct stat st;

		s->type = SINK_FILE;
		/* our own description: O_NONBLOCK matters for a FIFO or a terminal */
		s->w.fd = open(spec + 5,
			       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			       0640);
		if (s->w.fd < 0)
			return ward_error_set(err, -errno, "event sink '%s': opening %s: %m", spec,
					      spec + 5);
		s->w.regular = fstat(s->w.fd, &st) == 0 && S_ISREG(st.st_mode);
	} else if (strncmp(spec, "unix:", 5) == 0 && spec[5]) {
		s->type = SINK_UNIX;
		r = unix_open(spec + 5, sandbox_id, &s->u, err);
		if (r < 0)
			return r;
	} else {
		return ward_error_set(err, -EINVAL,
				      "bad event sink '%s': expected stderr, none, file:PATH or "
				      "unix:PATH",
				      spec ? spec : "");
	}
	if (s->w.fd >= 0) {
		struct epoll_event ee = {.events = EPOLLOUT | EPOLLET};

		s->batch = s->w.regular ? SINK_BUF_FILE : PIPE_BUF;
		s->buf = malloc(SINK_QUEUE_BYTES);
		/* epoll refuses regular files (EPERM): they never make us wait for a reader */
		if (!s->w.regular && !s->w.poll_out) {
			s->epfd = epoll_create1(EPOLL_CLOEXEC);
			if (s->epfd >= 0 && epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->w.fd, &ee) < 0) {
				close(s->epfd);
				s->epfd = -1;
			}
		}
		if (!s->buf) {
			ward_log_use(NULL);
			close(s->w.fd);
			if (s->epfd >= 0)
				close(s->epfd);
			return ward_error_set(err, -ENOMEM, "event sink: out of memory");
		}
	}
	*ret = TAKE_PTR(s);
	return 0;
}

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t c = 0;

	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		c++;
	return c;
}

/* Writes queued lines until the fd would block: 0, -EAGAIN (lines left), or -errno (the
 * queued lines were dropped and counted). */
static int buf_commit(struct ward_sink *s)
{
	while (s->off < s->len) {
		size_t want = s->len - s->off;
		ssize_t n;

		if (want > s->batch && !s->w.regular) {
			/* whole lines only, so a pipe write stays atomic; a single longer
			 * line goes alone (and may be split: nobody can interleave then). A
			 * regular file takes all of it in one write: O_APPEND writes do not
			 * interleave whatever their size (the inode lock), and cutting left a
			 * second write of one line after every batch. */
			const char *nl = memrchr(s->buf + s->off, '\n', s->batch);

			if (nl)
				want = (size_t)(nl - (s->buf + s->off)) + 1;
		}
		n = ward_stderr_write(&s->w, s->buf + s->off, want);
		if (n == -EAGAIN)
			return -EAGAIN;
		if (n < 0) {
			/* EPIPE, EIO, ENOSPC: what is queued is lost */
			s->dropped += count_lines(s->buf + s->off, s->len - s->off);
			s->off = s->len = 0;
			return (int)n;
		}
		s->off += (size_t)n;
	}
	s->off = s->len = 0;
	return 0;
}

int ward_sink_commit(struct ward_sink *s)
{
	int r;

	if (s && s->type == SINK_UNIX)
		unix_commit(s->u);
	if (!s || (s->type != SINK_STDERR && s->type != SINK_FILE))
		return 0;
	r = buf_commit(s);
	return r == -EAGAIN ? 0 : r;
}

int ward_sink_write(struct ward_sink *s, const char *line, size_t len)
{
	switch (s->type) {
	case SINK_NONE:
		return 0;
	case SINK_UNIX:
		return unix_write(s->u, line, len);
	case SINK_STDERR:
	case SINK_FILE:
		break;
	}
	if (s->len + len + 1 > SINK_QUEUE_BYTES && s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len + len + 1 > SINK_QUEUE_BYTES) {
		/* the reader does not keep up: drop, never wait */
		s->dropped++;
		return -ENOBUFS;
	}
	/* A line is queued whole, newline included: it goes out in one write(). */
	memcpy(s->buf + s->len, line, len);
	s->buf[s->len + len] = '\n';
	s->len += len + 1;
	if (s->len - s->off >= s->batch)
		buf_commit(s);
	return 0;
}

int ward_sink_flush(struct ward_sink *s, int timeout_ms)
{
	if (!s)
		return 0;
	if (s->type == SINK_UNIX)
		return unix_flush(s->u, timeout_ms);
	if (s->type == SINK_NONE)
		return 0;
	/* At exit: give a slow reader up to timeout_ms, then drop the rest (counted). */
	uint64_t deadline = ward_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		struct pollfd pfd = {.fd = s->w.fd, .events = POLLOUT};
		uint64_t now;
		int r = buf_commit(s);

		if (r != -EAGAIN)
			return r;
		now = ward_now_ms();
		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
	}
	s->dropped += count_lines(s->buf + s->off, s->len - s->off);
	s->off = s->len = 0;
	return -ETIMEDOUT;
}

void ward_sink_close(struct ward_sink *s)
{
	if (!s)
		return;
	ward_sink_commit(s);
	free(s->buf);
	if (s->type == SINK_STDERR)
		ward_log_use(NULL);
	if (s->w.fd >= 0)
		close(s->w.fd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->type == SINK_UNIX)
		unix_close(s->u);
	free(s);
}

int ward_sink_fd(struct ward_sink *s)
{
	if (s && s->type == SINK_UNIX)
		return s->u->epfd;
	return s ? s->epfd : -1;
}

int ward_sink_handle(struct ward_sink *s, uint32_t epoll_events)
{
	struct epoll_event ev;

	if (s && s->type == SINK_UNIX)
		return unix_handle(s->u);
	if (!s || s->epfd < 0)
		return 0;
	/* consume the edge, then write what the reader made room for */
	while (epoll_wait(s->epfd, &ev, 1, 0) > 0)
		;
	return ward_sink_commit(s);
}

uint64_t ward_sink_dropped(struct ward_sink *s)
{
	if (!s)
		return 0;
	if (s->type == SINK_UNIX)
		return unix_settle(s->u);
	return s->dropped;
}

int ward_sink_connected(struct ward_sink *s)
{
	if (s && s->type == SINK_UNIX)
		return s->u->state == U_CONNECTED;
	return 1;
}
