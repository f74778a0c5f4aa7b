// SPDX-License-Identifier: MIT
/*
 * The counters endpoint: --metrics http://HOST:PORT answers "GET /metrics" (and "GET /") in
 * the Prometheus text format; --stats unix:PATH writes the same text to every connection and
 * closes it. Requests are small and answered in one send(); a client that sends nothing is
 * dropped after 5 s, and at most 64 are served at once.
 */
#include "common/macro.h"
#include "collector/internal.h"

#include <netdb.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define REQUEST_TIMEOUT_MS 5000

static int tcp_listen(const char *hostport, int *ret_fd)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
	char host[256], *colon;
	_cleanup_close_ int fd = -1;
	int one = 1, g;

	snprintf(host, sizeof(host), "%s", hostport);
	host[strcspn(host, "/")] = '\0';
	colon = strrchr(host, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	g = getaddrinfo(host, colon + 1, &hints, &ai);
	if (g != 0)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		int r = -errno;

		freeaddrinfo(ai);
		return r;
	}
	freeaddrinfo(ai);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Freed by col_http_reap(), after the loop's batch: its fd may still be in the ready list
 * (the timer closes idle clients). */
static void mconn_close(struct col_daemon *d, struct col_mconn *m)
{
	for (unsigned i = 0; i < d->n_mconn; i++)
		if (d->mconns[i] == m) {
			d->mconns[i] = d->mconns[--d->n_mconn];
			break;
		}
	close(m->src.fd);
	m->src.fd = -1;
	m->dead = true;
	m->dead_next = d->mdead;
	d->mdead = m;
}

void col_http_reap(struct col_daemon *d)
{
	while (d->mdead) {
		struct col_mconn *m = d->mdead;

		d->mdead = m->dead_next;
		free(m);
	}
}

static void mconn_respond(struct col_daemon *d, struct col_mconn *m)
{
	struct col_buf body = {0}, resp = {0};
	char hdr[256];
	bool ok = true;

	col_metrics_render(&d->st, &d->fw, col_dedup_count(d->dedup), &body);
	if (m->http) {
		ok = strncmp(m->req, "GET /metrics ", 13) == 0 || strncmp(m->req, "GET / ", 6) == 0;
		int n = snprintf(hdr, sizeof(hdr),
				 "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				 ok ? "200 OK" : "404 Not Found", ok ? body.len : 0);
		col_buf_add(&resp, hdr, (size_t)n);
	}
	if (ok)
		col_buf_add(&resp, body.p, body.len);
	/* a few KiB: fits the socket buffer of a fresh connection, so one send does it */
	if (resp.p && send(m->src.fd, resp.p, resp.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		ward_log_warning("metrics: %m");
	col_buf_free(&body);
	col_buf_free(&resp);
	mconn_close(d, m);
}

static int on_request(struct ward_loop_source *src, uint32_t events)
{
	struct col_mconn *m = col_container_of(src, struct col_mconn, src);
	struct col_daemon *d = src->data;
	ssize_t n;

	if (m->dead)
		return 0;
	n = read(m->src.fd, m->req + m->len, sizeof(m->req) - 1 - m->len);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		mconn_close(d, m);
		return 0;
	}
	m->len += (size_t)n;
	m->req[m->len] = '\0';
	if (strstr(m->req, "\r\n\r\n") || strstr(m->req, "\n\n") || m->len == sizeof(m->req) - 1)
		mconn_respond(d, m);
	return 0;
}

static int on_accept(struct ward_loop_source *src, uint32_t events)
{
	struct col_daemon *d = src->data;

	for (;;) {
		int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct col_mconn *m;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (d->n_mconn >= COL_METRICS_CONN_MAX || !(m = calloc(1, sizeof(*m)))) {
			close(fd);
			continue;
		}
		m->src = (struct ward_loop_source){
			.fd = fd,
			.events = EPOLLIN | EPOLLRDHUP,
			.fn = on_request,
			.data = d,
		};
		m->http = d->mlis_http;
		m->since_ms = ward_now_coarse_ms();
		d->mconns[d->n_mconn++] = m;
		if (!m->http) {
			mconn_respond(d, m); /* --stats: the counters, then close */
			continue;
		}
		if (ward_loop_add(&d->loop, &m->src) < 0)
			mconn_close(d, m);
	}
}

int col_http_setup(struct col_daemon *d)
{
	int r;

	d->mlis.fd = -1;
	if (!d->o.metrics && !d->o.stats)
		return 0;
	d->mlis_http = d->o.metrics != NULL;
	r = d->o.metrics ? tcp_listen(d->o.metrics, &d->mlis.fd)
			 : col_unix_listen(d->o.stats, 0660, d->o.n_gids ? d->o.gids[0] : (gid_t)-1,
					   &d->mlis.fd);
	if (r < 0) {
		ward_log("%s %s: %s", d->o.metrics ? "metrics" : "stats",
			 d->o.metrics ? d->o.metrics : d->o.stats, strerror(-r));
		return r;
	}
	d->mlis.events = EPOLLIN;
	d->mlis.fn = on_accept;
	d->mlis.data = d;
	return ward_loop_add(&d->loop, &d->mlis);
}

void col_http_expire(struct col_daemon *d, uint64_t now_ms)
{
	for (unsigned i = 0; i < d->n_mconn;) {
		struct col_mconn *m = d->mconns[i];

		if (now_ms - m->since_ms > REQUEST_TIMEOUT_MS)
			mconn_close(d, m); /* never sent a request */
		else
			i++;
	}
}

void col_http_teardown(struct col_daemon *d)
{
	if (d->mlis.fd >= 0) {
		close(d->mlis.fd);
		d->mlis.fd = -1;
		if (d->o.stats)
			unlink(d->o.stats);
	}
	while (d->n_mconn)
		mconn_close(d, d->mconns[0]);
	col_http_reap(d);
}
