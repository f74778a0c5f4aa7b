// SPDX-License-Identifier: MIT
/*
 * Launcher connections: the --listen sockets, SO_PEERCRED checks, framing of event lines
 * (a partial line carried between reads, oversized lines skipped as they stream in), the
 * output batch and the acknowledgements, and the replay of spool files of launchers that
 * are gone, which goes through the same line path as a connection.
 *
 * Acknowledgements: after a batch of lines is written to the output file, each connection
 * that contributed gets "ack N\n" (N = lines of that connection consumed so far, written,
 * duplicate or refused alike). Launchers keep lines until acknowledged, so a collector killed
 * at any point loses nothing; the duplicates this causes are dropped by (sandbox, seq).
 */
#include "common/macro.h"
#include "common/spool.h"
#include "collector/internal.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>

#define ABUSE_LIMIT    16	   /* bad lines before a connection is closed */
#define OUT_QUEUE_MAX  (64u << 20) /* stop reading clients beyond this (disk full) */
#define READS_PER_WAKE 4	   /* fairness between busy clients */

static char rbuf[256 << 10];

int col_unix_listen(const char *path, mode_t mode, gid_t group, int *ret_fd)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	if (ward_mkdir_parents(path) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		/* a live collector answers: do not steal its socket */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int busy = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;

		if (probe >= 0)
			close(probe);
		if (busy)
			return -EADDRINUSE;
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	if (group != (gid_t)-1 && chown(path, (uid_t)-1, group) < 0)
		return -errno;
	if (listen(fd, 4096) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static bool peer_allowed(struct col_daemon *d, int fd, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (uid == 0)
		return true;
	for (size_t i = 0; i < d->o.n_uids; i++)
		if (d->o.uids[i] == uid)
			return true;
	if (d->o.n_gids == 0)
		return false;
	for (size_t i = 0; i < d->o.n_gids; i++)
		if (d->o.gids[i] == gid)
			return true;
	/* supplementary groups of the peer at connect() time (Linux 4.13) */
	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t g = 0; g < len / sizeof(gid_t); g++)
			for (size_t i = 0; i < d->o.n_gids; i++)
				if (d->o.gids[i] == groups[g])
					return true;
	}
	return false;
}

/* ---- connections ------------------------------------------------------------------------- */

static void conn_set_reading(struct col_daemon *d, struct col_conn *c, bool on)
{
	if (c->dead)
		return;
	ward_loop_mod(&d->loop, &c->src, on && !c->budget_wait ? EPOLLIN | EPOLLRDHUP : 0);
}

static void listeners_poll(struct col_daemon *d, bool on)
{
	if (d->accept_paused == !on)
		return;
	d->accept_paused = !on;
	for (size_t i = 0; i < d->n_lis; i++)
		ward_loop_mod(&d->loop, &d->lis[i].src, on ? EPOLLIN : 0);
}

static void partial_free(struct col_daemon *d, struct col_conn *c)
{
	d->partial_bytes -= c->plen;
	free(c->partial);
	c->partial = NULL;
	c->plen = 0;
}

/* The budget has room again: read the connections that waited for it. */
static void budget_release(struct col_daemon *d)
{
	if (!d->budget_waiting || d->partial_bytes > COL_PARTIAL_TOTAL * 3 / 4)
		return;
	for (struct col_conn *c = d->conns; c; c = c->next) {
		if (!c->budget_wait)
			continue;
		c->budget_wait = false;
		d->budget_waiting--;
		conn_set_reading(d, c, !d->paused);
	}
}

/* Freed by col_conn_reap(), after the loop's batch: its fd may still be in the ready list. */
static void conn_bury(struct col_daemon *d, struct col_conn *c)
{
	c->dead_next = d->dead;
	d->dead = c;
}

void col_conn_reap(struct col_daemon *d)
{
	while (d->dead) {
		struct col_conn *c = d->dead;

		d->dead = c->dead_next;
		free(c);
	}
}

static void conn_close(struct col_daemon *d, struct col_conn *c)
{
	if (c->dead)
		return;
	close(c->src.fd); /* also leaves the epoll set */
	c->src.fd = -1;
	c->dead = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->st.conn_active--;
	partial_free(d, c);
	if (c->budget_wait) {
		c->budget_wait = false;
		d->budget_waiting--;
	}
	/* a slot is free: accept again (EMFILE stopped it) */
	listeners_poll(d, true);
	budget_release(d);
	if (!c->dirty)
		conn_bury(d, c); /* else when its batch is acknowledged */
}

static void mark_dirty(struct col_daemon *d, struct col_conn *c)
{
	if (c->dirty || c->spooled)
		return;
	c->dirty = true;
	c->dirty_next = d->dirty;
	d->dirty = c;
}

static void refuse(struct col_daemon *d, struct col_conn *c, int reason)
{
	static const char *const why[] = {"", "malformed JSON or invalid UTF-8", "line over 64 KiB",
					  "missing or bad required field", "owner not allowed"};

	d->st.refused[reason]++;
	c->abuse++;
	if (c->logged < 3) {
		c->logged++;
		if (c->spooled)
			ward_log_warning("spool: refused a line: %s", why[reason]);
		else
			ward_log_warning("pid %d uid %u: refused a line: %s", (int)c->pid,
					 (unsigned)c->uid, why[reason]);
	}
}

/* One complete line from a launcher (or a spool file). */
static void process_line(struct col_daemon *d, struct col_conn *c, const char *line, size_t len)
{
	struct col_event ev;
	int r;

	c->consumed++;
	mark_dirty(d, c);
	r = col_validate(line, len, &ev);
	if (r < 0) {
		refuse(d, c, -r);
		return;
	}
	if (c->spooled && !peer_allowed(d, -1, c->uid, (gid_t)-1)) {
		refuse(d, c, COL_REFUSE_UID);
		col_event_free(&ev);
		return;
	}
	if (!col_dedup_check(d->dedup, ev.sandbox, ev.seq)) {
		d->st.duplicates++;
		col_event_free(&ev);
		return;
	}
	if (d->out.path && col_output_line(&d->batch, line, len, c->pid, c->uid, c->spooled) < 0)
		d->st.output_errors++;
	d->st.received++;
	d->st.by_kind[col_kind_index(ev.kind)]++;
	if (ev.violation)
		d->st.violations++;
	for (size_t i = 0; i < d->fw.n; i++)
		col_fwd_enqueue(d->fw.v[i], &ev, line, len);
	col_event_free(&ev);
}

/* Splits data into lines, with c->partial carrying the incomplete tail between reads. */
static void conn_feed(struct col_daemon *d, struct col_conn *c, const char *data, size_t n)
{
	while (n > 0 && !c->dead) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;

		if (c->discarding) {
			if (nl) {
				c->discarding = false;
				c->consumed++; /* the oversized line, refused when it began */
				mark_dirty(d, c);
			}
		} else if (c->plen + take > COL_LINE_MAX) {
			/* oversized: refuse now, skip to its end without buffering it */
			partial_free(d, c);
			refuse(d, c, COL_REFUSE_OVERSIZED);
			if (nl) {
				c->consumed++;
				mark_dirty(d, c);
			} else {
				c->discarding = true;
			}
		} else if (nl && c->plen == 0) {
			process_line(d, c, data, take); /* the common case: no copy */
		} else {
			char *p = realloc(c->partial, c->plen + take + 1);

			if (!p) {
				conn_close(d, c);
				return;
			}
			memcpy(p + c->plen, data, take);
			if (!c->plen)
				c->partial_since_ms = ward_now_coarse_ms();
			c->partial = p;
			c->plen += take;
			d->partial_bytes += take;
			if (nl) {
				process_line(d, c, c->partial, c->plen);
				partial_free(d, c);
				budget_release(d);
			}
		}
		if (c->abuse >= ABUSE_LIMIT && !c->spooled) {
			ward_log_warning("pid %d uid %u: %u bad lines, closing the connection",
					 (int)c->pid, (unsigned)c->uid, c->abuse);
			d->st.conn_abuse++;
			conn_close(d, c);
			return;
		}
		if (!nl)
			break;
		data = nl + 1;
		n -= take + 1;
	}
}

/* Over the partial-line budget a connection only takes complete lines out of its socket
 * (MSG_PEEK for the last newline): an unfinished tail stays in the kernel's buffer, bounded by
 * the sender's socket buffer, and the connection is not read until the budget has room. */
static ssize_t conn_recv(struct col_daemon *d, struct col_conn *c)
{
	ssize_t n;
	char *nl;

	if (d->partial_bytes + COL_LINE_MAX <= COL_PARTIAL_TOTAL)
		return read(c->src.fd, rbuf, sizeof(rbuf));
	n = recv(c->src.fd, rbuf, sizeof(rbuf), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0)
		return n;
	nl = memrchr(rbuf, '\n', (size_t)n);
	if (!nl) {
		if (!c->budget_wait) {
			c->budget_wait = true;
			d->budget_waiting++;
			conn_set_reading(d, c, false);
		}
		errno = EAGAIN;
		return -1;
	}
	return recv(c->src.fd, rbuf, (size_t)(nl - rbuf) + 1, MSG_DONTWAIT);
}

static void conn_read(struct col_daemon *d, struct col_conn *c)
{
	for (int i = 0; i < READS_PER_WAKE && !c->dead; i++) {
		ssize_t n = conn_recv(d, c);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_close(d, c);
			return;
		}
		if (n == 0) {
			conn_close(d, c); /* a partial last line is dropped: not acknowledged */
			return;
		}
		conn_feed(d, c, rbuf, (size_t)n);
		if (d->batch.len >= COL_OUT_BATCH)
			return; /* write before reading more */
	}
}

static int on_conn(struct ward_loop_source *src, uint32_t events)
{
	struct col_conn *c = col_container_of(src, struct col_conn, src);
	struct col_daemon *d = src->data;

	if (c->dead)
		return 0;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(d, c);
	if (d->batch.len >= COL_OUT_BATCH)
		col_flush_output(d);
	return 0;
}

static int on_accept(struct ward_loop_source *src, uint32_t events)
{
	struct col_daemon *d = src->data;

	for (;;) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct col_conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The pending connection stays in the backlog and the listener
				 * stays readable: polling it now would spin (issue 9). Stop until a
				 * connection closes, or the timer's next try. */
				ward_log("accept: %m (raise LimitNOFILE); not accepting until a "
					 "connection closes");
				listeners_poll(d, false);
				d->accept_retry_ms = ward_now_coarse_ms() + 100;
			}
			return 0;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
			close(fd);
			continue;
		}
		if (!peer_allowed(d, fd, cr.uid, cr.gid)) {
			d->st.conn_refused++;
			ward_log_warning("refused connection from pid %d uid %u gid %u (allow "
					 "with --allow-uid/--allow-gid)",
					 (int)cr.pid, (unsigned)cr.uid, (unsigned)cr.gid);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->src = (struct ward_loop_source){
			.fd = fd,
			.events = d->paused ? 0 : EPOLLIN | EPOLLRDHUP,
			.fn = on_conn,
			.data = d,
		};
		c->pid = cr.pid;
		c->uid = cr.uid;
		c->gid = cr.gid;
		if (ward_loop_add(&d->loop, &c->src) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = d->conns;
		if (d->conns)
			d->conns->prev = c;
		d->conns = c;
		d->st.conn_total++;
		d->st.conn_active++;
	}
}

int col_conn_setup(struct col_daemon *d)
{
	int r;

	d->lis = calloc(d->o.n_listen, sizeof(*d->lis));
	if (!d->lis)
		return -ENOMEM;
	for (size_t i = 0; i < d->o.n_listen; i++) {
		struct col_listener *l = &d->lis[i];

		snprintf(l->path, sizeof(l->path), "%s", d->o.listen[i]);
		r = col_unix_listen(l->path, 0660, d->o.n_gids ? d->o.gids[0] : (gid_t)-1,
				    &l->src.fd);
		if (r < 0) {
			ward_log("listen unix:%s: %s%s", l->path, strerror(-r),
				 r == -EADDRINUSE ? " (another collector is running)" : "");
			return r;
		}
		d->n_lis++;
		l->src.events = EPOLLIN;
		l->src.fn = on_accept;
		l->src.data = d;
		if ((r = ward_loop_add(&d->loop, &l->src)) < 0)
			return r;
	}
	d->spool_conn.spooled = true;
	d->spool_conn.src.fd = -1;
	return 0;
}

void col_conn_tick(struct col_daemon *d, uint64_t now_ms)
{
	if (d->accept_paused && now_ms >= d->accept_retry_ms)
		listeners_poll(d, true); /* another try: a slot may have freed elsewhere */
	if (d->partial_bytes + COL_LINE_MAX <= COL_PARTIAL_TOTAL && !d->budget_waiting)
		return;
	/* over budget: unfinished lines that stopped growing are a slowloris */
	for (struct col_conn *c = d->conns, *next; c; c = next) {
		next = c->next;
		if (c->plen && now_ms - c->partial_since_ms >= COL_PARTIAL_IDLE_MS) {
			ward_log_warning("pid %d uid %u: line unfinished for %d s while the "
					 "partial-line budget is spent, closing the connection",
					 (int)c->pid, (unsigned)c->uid, COL_PARTIAL_IDLE_MS / 1000);
			d->st.conn_abuse++;
			conn_close(d, c);
		}
	}
}

/* ---- output and acknowledgements ----------------------------------------------------------- */

static void send_acks(struct col_daemon *d)
{
	struct col_conn **pp = &d->dirty;

	while (*pp) {
		struct col_conn *c = *pp;
		bool keep = false;

		if (!c->dead && c->acked < c->consumed) {
			char b[32];
			int n = snprintf(b, sizeof(b), "ack %llu\n",
					 (unsigned long long)c->consumed);
			ssize_t w = send(c->src.fd, b, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w == n)
				c->acked = c->consumed;
			else if (w < 0 && errno == EAGAIN)
				keep = true; /* the client does not read: try next round */
			/* a partial ack would corrupt the stream: rare enough (the client's
			 * receive buffer holds thousands) to close instead */
			else if (w >= 0)
				conn_close(d, c);
		}
		if (keep) {
			pp = &c->dirty_next;
			continue;
		}
		*pp = c->dirty_next;
		c->dirty = false;
		if (c->dead)
			conn_bury(d, c);
	}
}

static void set_paused(struct col_daemon *d, bool paused)
{
	if (d->paused == paused)
		return;
	d->paused = paused;
	for (struct col_conn *c = d->conns; c; c = c->next)
		conn_set_reading(d, c, !paused);
}

int col_flush_output(struct col_daemon *d)
{
	int r = 0;

	if (d->batch.len > 0) {
		size_t done;

		r = col_output_write(&d->out, d->batch.p, d->batch.len, &d->st, &done);
		if (r < 0 && done > 0) {
			/* keep only what is not in the file yet */
			memmove(d->batch.p, d->batch.p + done, d->batch.len - done);
			d->batch.len -= done;
		}
		if (r < 0) {
			if (d->st.output_errors == 1 || d->st.output_errors % 100 == 0)
				ward_log("output %s: %s; holding %zu bytes in memory and retrying",
					 d->out.path, strerror(-r), d->batch.len);
			d->st.output_queue_bytes = d->batch.len;
			set_paused(d, d->batch.len >= OUT_QUEUE_MAX);
			return r;
		}
		if (d->paused)
			ward_log_info("output %s: writing again", d->out.path);
		d->batch.len = 0;
		if (d->batch.cap > 4 * COL_OUT_BATCH)
			col_buf_free(&d->batch); /* give back what a disk-full episode took */
		d->st.output_queue_bytes = 0;
		set_paused(d, false);
	}
	send_acks(d);
	return r;
}

void col_conn_teardown(struct col_daemon *d)
{
	while (d->conns)
		conn_close(d, d->conns);
	send_acks(d);
	col_conn_reap(d);
	for (size_t i = 0; i < d->n_lis; i++) {
		close(d->lis[i].src.fd);
		unlink(d->lis[i].path);
	}
	free(d->lis);
	d->lis = NULL;
	d->n_lis = 0;
}

/* ---- spool files of launchers that are gone -------------------------------------------------- */

static int spool_line(void *ud, const char *line, size_t len, uid_t owner, const char *file)
{
	struct col_daemon *d = ud;

	if (!line)
		return col_flush_output(d); /* the file is removed only if this worked */
	d->spool_conn.uid = owner;
	d->st.spool_events++;
	process_line(d, &d->spool_conn, line, len);
	if (d->batch.len >= COL_OUT_BATCH)
		col_flush_output(d);
	return 0;
}

void col_spool_scan(struct col_daemon *d)
{
	int n;

	if (d->out.failing)
		return;
	d->spool_conn.abuse = 0;
	n = ward_spool_ingest_dir(d->o.spool_dir, spool_line, d);
	if (n > 0)
		ward_log_info("spool %s: replayed %d events of launchers that are gone",
			      d->o.spool_dir, n);
}
