// SPDX-License-Identifier: MIT
/*
 * Forwarding to what larger deployments already run:
 *   syslog+tcp://HOST:PORT  RFC 5424 messages, octet-counting framing (RFC 6587 3.4.1), one per
 *                           event, structured data [ward@32473 sandbox seq kind action violation]
 *   http://HOST:PORT/PATH   one POST per event, body in the Falco alert format (falcosidekick's
 *                           input: time, rule, priority, source, hostname, output, output_fields,
 *                           tags), HTTP/1.1 keep-alive when the server allows it
 * Each target has a bounded queue (10,000 messages or 16 MiB): a target that is down is retried
 * with exponential back-off (100 ms to 10 s) and loses nothing while its queue has room;
 * beyond that, messages are dropped and counted. Non-blocking sockets driven by the daemon's
 * epoll loop.
 *
 * Syslog over plain TCP has no acknowledgements: messages in flight when the connection breaks
 * can be lost (RFC 6587 section 4; RELP exists for that). HTTP messages leave the queue only
 * when the server answered 2xx (or a 4xx that retrying cannot fix).
 */
#include "common/macro.h"
#include "collector/internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#define FWD_QUEUE_MSGS	    10000
#define FWD_QUEUE_BYTES	    (16u << 20)
#define FWD_BACKOFF_MIN_MS  100
#define FWD_BACKOFF_MAX_MS  10000
#define FWD_HTTP_TIMEOUT_MS 10000
#define FWD_HTTP_HDR_MAX    16384
#define SYSLOG_SD_ID	    "ward@32473" /* 32473: the example enterprise number of RFC 5612 */
#define SYSLOG_FACILITY	    10		 /* authpriv: security messages */

struct fmsg {
	struct fmsg *next;
	size_t len;
	char data[];
};

enum fwd_state { F_DOWN, F_CONNECTING, F_UP };
enum http_phase { H_IDLE, H_SENDING, H_HEADERS, H_BODY, H_UNTIL_EOF };

struct col_fwd {
	enum col_fwd_type type;
	char *url;
	char host[256], port[8], path[1024];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	enum fwd_state state;
	struct fmsg *head, *tail;
	size_t q_n, q_bytes;
	size_t off; /* bytes of the current message (syslog) or request (http) sent */
	uint64_t next_try_ms;
	unsigned backoff_ms;
	uint64_t sent, dropped, retries, rejected;
	/* http */
	enum http_phase phase;
	struct col_buf req, resp;
	uint64_t req_started_ms;
	long body_left;
	int status;
	bool close_after;
};

static int parse_hostport(struct col_fwd *f, const char *s, const char **ret_rest,
			  struct ward_error *err)
{
	const char *end, *colon;
	size_t hl;

	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return ward_error_set(err, -EINVAL, "forward '%s': bad [IPv6]:PORT",
					      f->url);
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(f->host))
			return ward_error_set(err, -EINVAL, "forward '%s': host too long", f->url);
		memcpy(f->host, s + 1, hl);
		f->host[hl] = 0;
		colon = end + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon)
			return ward_error_set(err, -EINVAL, "forward '%s': expected HOST:PORT",
					      f->url);
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(f->host))
			return ward_error_set(err, -EINVAL, "forward '%s': bad host", f->url);
		memcpy(f->host, s, hl);
		f->host[hl] = 0;
	}
	end = colon + 1;
	size_t pl = strspn(end, "0123456789");
	if (pl == 0 || pl >= sizeof(f->port) || atoi(end) <= 0 || atoi(end) > 65535)
		return ward_error_set(err, -EINVAL, "forward '%s': bad port", f->url);
	memcpy(f->port, end, pl);
	f->port[pl] = 0;
	*ret_rest = end + pl;
	return 0;
}

int col_fwd_new(const char *url, struct col_fwd **ret, struct ward_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct col_fwd *f = calloc(1, sizeof(*f));
	const char *rest;
	int r;

	if (!f || !(f->url = strdup(url))) {
		free(f);
		return ward_error_set(err, -ENOMEM, "out of memory");
	}
	f->fd = -1;
	f->backoff_ms = FWD_BACKOFF_MIN_MS;
	if (strncmp(url, "syslog+tcp://", 13) == 0) {
		f->type = COL_FWD_SYSLOG;
		r = parse_hostport(f, url + 13, &rest, err);
		if (r >= 0 && *rest && strcmp(rest, "/") != 0)
			r = ward_error_set(err, -EINVAL, "forward '%s': no path expected", url);
	} else if (strncmp(url, "http://", 7) == 0) {
		f->type = COL_FWD_HTTP;
		r = parse_hostport(f, url + 7, &rest, err);
		if (r >= 0)
			snprintf(f->path, sizeof(f->path), "%s", *rest ? rest : "/");
		if (r >= 0 && f->path[0] != '/')
			r = ward_error_set(err, -EINVAL, "forward '%s': bad path", url);
	} else {
		r = ward_error_set(err, -EINVAL,
				   "bad forward '%s': expected syslog+tcp://HOST:PORT or "
				   "http://HOST:PORT/PATH",
				   url);
	}
	if (r >= 0) {
		/* resolved once, at start-up: the loop never blocks on DNS */
		int g = getaddrinfo(f->host, f->port, &hints, &ai);

		if (g != 0 || !ai)
			r = ward_error_set(err, -EHOSTUNREACH, "forward '%s': resolving %s: %s",
					   url, f->host, gai_strerror(g));
		else {
			memcpy(&f->addr, ai->ai_addr, ai->ai_addrlen);
			f->addrlen = ai->ai_addrlen;
		}
		if (ai)
			freeaddrinfo(ai);
	}
	if (r < 0) {
		col_fwd_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

void col_fwd_free(struct col_fwd *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	while (f->head) {
		struct fmsg *m = f->head;

		f->head = m->next;
		free(m);
	}
	col_buf_free(&f->req);
	col_buf_free(&f->resp);
	free(f->url);
	free(f);
}

const char *col_fwd_name(const struct col_fwd *f)
{
	return f->url;
}

void col_fwd_counters(const struct col_fwd *f, uint64_t *ret_sent, uint64_t *ret_dropped,
		      uint64_t *ret_queued, uint64_t *ret_retries)
{
	*ret_sent = f->sent;
	*ret_dropped = f->dropped + f->rejected;
	*ret_queued = f->q_n;
	*ret_retries = f->retries;
}

/* ---- formatting --------------------------------------------------------------------------- */

static void put_printusascii(struct col_buf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++) {
		char c = *s >= 33 && *s <= 126 ? *s : '_';

		col_buf_add(b, &c, 1);
	}
	if (n == 0)
		col_buf_add(b, "-", 1);
}

static void put_sd_value(struct col_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			col_buf_add(b, "\\", 1);
		col_buf_add(b, s, 1);
	}
}

/* RFC 5424 TIME-SECFRAC allows at most 6 digits: ward's nanoseconds are cut to microseconds. */
static void put_timestamp(struct col_buf *b, const char *t)
{
	const char *dot = strchr(t, '.');
	size_t digits = 0;

	if (!dot) {
		col_buf_add(b, t, strlen(t));
		return;
	}
	col_buf_add(b, t, (size_t)(dot - t) + 1);
	for (t = dot + 1; *t >= '0' && *t <= '9'; t++)
		if (digits++ < 6)
			col_buf_add(b, t, 1);
	col_buf_add(b, t, strlen(t));
}

static int syslog_severity(const struct col_event *ev)
{
	if (ev->violation)
		return ev->action && strcmp(ev->action, "deny") == 0 ? 4 : 5; /* warning/notice */
	return 6;							      /* informational */
}

int col_syslog_format(const struct col_event *ev, const char *line, size_t len, struct col_buf *out)
{
	struct col_buf m = {0};
	char num[64];
	int r = 0;

	snprintf(num, sizeof(num), "<%d>1 ", SYSLOG_FACILITY * 8 + syslog_severity(ev));
	col_buf_add(&m, num, strlen(num));
	put_timestamp(&m, ev->time);
	col_buf_add(&m, " ", 1);
	put_printusascii(&m, ev->host, 255);
	col_buf_add(&m, " ward ", 6);
	if (ev->pid > 0) {
		snprintf(num, sizeof(num), "%lld", (long long)ev->pid);
		col_buf_add(&m, num, strlen(num));
	} else {
		col_buf_add(&m, "-", 1);
	}
	col_buf_add(&m, " ", 1);
	put_printusascii(&m, ev->kind, 32);
	col_buf_add(&m, " [" SYSLOG_SD_ID " sandbox=\"",
		    sizeof(" [" SYSLOG_SD_ID " sandbox=\"") - 1);
	put_sd_value(&m, ev->sandbox);
	snprintf(num, sizeof(num), "\" seq=\"%llu\" kind=\"", (unsigned long long)ev->seq);
	col_buf_add(&m, num, strlen(num));
	put_sd_value(&m, ev->kind);
	col_buf_add(&m, "\" action=\"", 10);
	put_sd_value(&m, ev->action ? ev->action : "-");
	col_buf_add(&m, "\" violation=\"", 13);
	put_sd_value(&m, ev->violation ? "true" : "false");
	col_buf_add(&m, "\"] ", 3);
	col_buf_add(&m, line, len);
	if (!m.p) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(num, sizeof(num), "%zu ", m.len);
	if (col_buf_add(out, num, strlen(num)) < 0 || col_buf_add(out, m.p, m.len) < 0)
		r = -ENOMEM;
out:
	col_buf_free(&m);
	return r;
}

static const char *falco_priority(struct col_event *ev)
{
	const char *le = json_string_value(json_object_get(col_event_obj(ev), "event"));

	if (ev->violation)
		return ev->action && strcmp(ev->action, "deny") == 0 ? "Warning" : "Notice";
	if (strcmp(ev->kind, "loss") == 0)
		return "Error"; /* events were lost: the record is incomplete */
	if (strcmp(ev->kind, "lifecycle") == 0 && le &&
	    (strcmp(le, "oom") == 0 || strcmp(le, "timeout") == 0))
		return "Warning";
	return "Informational";
}

/* The most telling kind-specific field, for the human-readable output line. */
static const char *event_subject(struct col_event *ev, char *buf, size_t n)
{
	json_t *o = col_event_obj(ev);
	const char *s;

	if ((s = json_string_value(json_object_get(o, "syscall"))))
		return s;
	if ((s = json_string_value(json_object_get(o, "path"))))
		return s;
	if ((s = json_string_value(json_object_get(o, "addr")))) {
		json_t *p = json_object_get(o, "port");
		size_t l = strlen(s);

		/* room for ":PORT"; a longer address is cut on a character boundary */
		if (l > n - 32) {
			l = n - 32;
			while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
				l--;
		}
		snprintf(buf, n, "%.*s:%lld", (int)l, s,
			 json_is_integer(p) ? json_integer_value(p) : 0);
		return buf;
	}
	if ((s = json_string_value(json_object_get(o, "event"))))
		return s;
	return "";
}

/* Falco's rule and output strings are kept short (falcosidekick's outputs index and display
 * them). A longer one is cut on a UTF-8 character boundary and ends with "...": a cut inside a
 * character made jansson refuse the string, and the alert went out without the key. */
#define FALCO_RULE_MAX	 160
#define FALCO_OUTPUT_MAX 1024

static json_t *bounded_string(const char *s, size_t max, bool *truncated)
{
	size_t n = strlen(s);

	if (n <= max)
		return json_stringn(s, n);
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--; /* s[n] starts a character: cut before it */
	char *b = malloc(n + 4);
	if (!b)
		return NULL;
	memcpy(b, s, n);
	memcpy(b + n, "...", 4);
	*truncated = true;
	json_t *j = json_stringn(b, n + 3);
	free(b);
	return j;
}

json_t *col_falco_alert(struct col_event *ev)
{
	json_t *a = json_object(), *fields = json_object(), *tags = json_array();
	_cleanup_free_ char *rule = NULL, *output = NULL;
	char subj[300];
	bool truncated = false;
	const char *key;
	json_t *v;

	if (!a || !fields || !tags) {
		json_decref(a);
		json_decref(fields);
		json_decref(tags);
		return NULL;
	}
	if (ev->rule ? asprintf(&rule, "ward: %s", ev->rule) < 0
		     : asprintf(&rule, "ward %s %s", ev->kind,
				ev->violation ? "violation" : "event") < 0)
		rule = NULL;
	if (asprintf(&output, "ward: %s %s %s in sandbox %s (pid=%lld comm=%s rule=%s)",
		     ev->action ? ev->action : "-", ev->kind, event_subject(ev, subj, sizeof(subj)),
		     ev->sandbox, (long long)ev->pid, ev->comm ? ev->comm : "-",
		     ev->rule ? ev->rule : "-") < 0)
		output = NULL;
	if (!rule || !output) {
		json_decref(a);
		json_decref(fields);
		json_decref(tags);
		return NULL;
	}
	json_object_set_new(a, "time", json_string(ev->time));
	json_object_set_new(a, "rule", bounded_string(rule, FALCO_RULE_MAX, &truncated));
	json_object_set_new(a, "priority", json_string(falco_priority(ev)));
	json_object_set_new(a, "source", json_string("ward"));
	json_object_set_new(a, "hostname", json_string(ev->host ? ev->host : ""));
	json_object_set_new(a, "output", bounded_string(output, FALCO_OUTPUT_MAX, &truncated));
	/* Falco's field naming: class.field. proc.* for the process, ward.* for the rest. */
	if (!col_event_obj(ev)) {
		json_decref(a);
		json_decref(fields);
		json_decref(tags);
		return NULL;
	}
	json_object_foreach(ev->obj, key, v)
	{
		char name[128];

		if (strcmp(key, "pid") == 0)
			snprintf(name, sizeof(name), "proc.pid");
		else if (strcmp(key, "comm") == 0)
			snprintf(name, sizeof(name), "proc.name");
		else if (strcmp(key, "time") == 0 || strcmp(key, "host") == 0)
			continue; /* already top-level */
		else
			snprintf(name, sizeof(name), "ward.%s", key);
		json_object_set(fields, name, v);
	}
	if (truncated)
		json_object_set_new(fields, "ward.truncated", json_true());
	json_object_set_new(a, "output_fields", fields);
	json_array_append_new(tags, json_string("ward"));
	json_array_append_new(tags, json_string(ev->kind));
	if (ev->action)
		json_array_append_new(tags, json_string(ev->action));
	if (ev->violation)
		json_array_append_new(tags, json_string("violation"));
	if (truncated)
		json_array_append_new(tags, json_string("truncated"));
	json_object_set_new(a, "tags", tags);
	return a;
}

/* ---- queue -------------------------------------------------------------------------------- */

static void fwd_push(struct col_fwd *f, const char *p, size_t n)
{
	struct fmsg *m;

	if (f->q_n >= FWD_QUEUE_MSGS || f->q_bytes + n > FWD_QUEUE_BYTES ||
	    !(m = malloc(sizeof(*m) + n))) {
		f->dropped++;
		return;
	}
	memcpy(m->data, p, n);
	m->len = n;
	m->next = NULL;
	if (f->tail)
		f->tail->next = m;
	else
		f->head = m;
	f->tail = m;
	f->q_n++;
	f->q_bytes += n;
}

static void fwd_pop(struct col_fwd *f)
{
	struct fmsg *m = f->head;

	if (!m)
		return;
	f->head = m->next;
	if (!f->head)
		f->tail = NULL;
	f->q_n--;
	f->q_bytes -= m->len;
	free(m);
}

void col_fwd_enqueue(struct col_fwd *f, struct col_event *ev, const char *line, size_t len)
{
	struct col_buf b = {0};

	if (f->type == COL_FWD_SYSLOG) {
		if (col_syslog_format(ev, line, len, &b) < 0) {
			f->dropped++;
		} else {
			fwd_push(f, b.p, b.len);
		}
	} else {
		json_t *a = col_falco_alert(ev);
		char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;

		if (s)
			fwd_push(f, s, strlen(s));
		else
			f->dropped++;
		free(s);
		json_decref(a);
	}
	col_buf_free(&b);
}

/* ---- connection ------------------------------------------------------------------------------ */

static void fwd_down(struct col_fwd *f, uint64_t now_ms, bool failed)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->state = F_DOWN;
	f->off = 0;
	f->phase = H_IDLE;
	f->req.len = f->resp.len = 0;
	if (failed) {
		f->retries++;
		f->next_try_ms = now_ms + f->backoff_ms;
		f->backoff_ms = f->backoff_ms * 2 > FWD_BACKOFF_MAX_MS ? FWD_BACKOFF_MAX_MS
								       : f->backoff_ms * 2;
	} else {
		f->next_try_ms = now_ms;
	}
}

static void fwd_connect(struct col_fwd *f, uint64_t now_ms)
{
	f->fd = socket(f->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0) {
		fwd_down(f, now_ms, true);
		return;
	}
	if (connect(f->fd, (struct sockaddr *)&f->addr, f->addrlen) == 0) {
		f->state = F_UP;
	} else if (errno == EINPROGRESS) {
		f->state = F_CONNECTING;
		f->req_started_ms = now_ms;
	} else {
		fwd_down(f, now_ms, true);
	}
}

int col_fwd_fd(struct col_fwd *f, uint32_t *ret_events)
{
	switch (f->state) {
	case F_DOWN:
		*ret_events = 0;
		return -1;
	case F_CONNECTING:
		*ret_events = EPOLLOUT;
		return f->fd;
	case F_UP:
		break;
	}
	*ret_events = EPOLLIN | EPOLLRDHUP;
	if (f->type == COL_FWD_SYSLOG ? f->head != NULL
				      : (f->phase == H_SENDING || (f->phase == H_IDLE && f->head)))
		*ret_events |= EPOLLOUT;
	return f->fd;
}

/* Sends p[f->off..len): true once all of it is out; false when the socket is full or the
 * connection went down (then retried, or reconnected after back-off). */
static bool fwd_send(struct col_fwd *f, const char *p, size_t len, uint64_t now_ms)
{
	while (f->off < len) {
		ssize_t n = send(f->fd, p + f->off, len - f->off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fwd_down(f, now_ms, true);
			return false;
		}
		f->off += (size_t)n;
	}
	return true;
}

static void syslog_send(struct col_fwd *f, uint64_t now_ms)
{
	while (f->head) {
		if (!fwd_send(f, f->head->data, f->head->len, now_ms))
			return;
		fwd_pop(f);
		f->off = 0;
		f->sent++;
		f->backoff_ms = FWD_BACKOFF_MIN_MS;
	}
}

static void http_start(struct col_fwd *f, uint64_t now_ms)
{
	char hdr[1600];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: ward-collector/" WARD_VERSION
		     "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		     f->path, f->host, f->port, f->head->len);
	f->req.len = 0;
	f->resp.len = 0;
	if (col_buf_add(&f->req, hdr, (size_t)n) < 0 ||
	    col_buf_add(&f->req, f->head->data, f->head->len) < 0) {
		fwd_down(f, now_ms, true);
		return;
	}
	f->off = 0;
	f->phase = H_SENDING;
	f->req_started_ms = now_ms;
	f->status = 0;
	f->body_left = -1;
	f->close_after = false;
}

/* A response is complete: 2xx and non-retryable 4xx retire the message. */
static void http_done(struct col_fwd *f, uint64_t now_ms)
{
	int s = f->status;

	if (s >= 200 && s < 300) {
		f->sent++;
		fwd_pop(f);
		f->backoff_ms = FWD_BACKOFF_MIN_MS;
	} else if (s >= 400 && s < 500 && s != 408 && s != 429) {
		f->rejected++; /* the server will never take it */
		fwd_pop(f);
	} else {
		fwd_down(f, now_ms, true);
		return;
	}
	f->phase = H_IDLE;
	if (f->close_after)
		fwd_down(f, now_ms, false);
}

static bool hdr_is(const char *line, size_t n, const char *name)
{
	size_t l = strlen(name);

	return n > l && strncasecmp(line, name, l) == 0 && line[l] == ':';
}

/* Parses the status line and headers once "\r\n\r\n" arrived; returns bytes of head or 0. */
static size_t http_parse_head(struct col_fwd *f)
{
	char *end = memmem(f->resp.p, f->resp.len, "\r\n\r\n", 4);
	bool chunked = false;
	char *p, *eol;

	if (!end)
		return 0;
	if (f->resp.len < 12 || strncmp(f->resp.p, "HTTP/1.", 7) != 0)
		return (size_t)-1;
	f->status = atoi(f->resp.p + 9);
	f->close_after = f->resp.p[7] == '0'; /* HTTP/1.0: closes unless keep-alive */
	for (p = memchr(f->resp.p, '\n', (size_t)(end - f->resp.p)) + 1; p < end + 2; p = eol + 2) {
		const char *v;

		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (!eol)
			break;
		v = memchr(p, ':', (size_t)(eol - p));
		if (!v)
			continue;
		for (v++; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		if (hdr_is(p, (size_t)(eol - p), "Content-Length"))
			f->body_left = strtol(v, NULL, 10);
		else if (hdr_is(p, (size_t)(eol - p), "Transfer-Encoding") &&
			 strncasecmp(v, "chunked", 7) == 0)
			chunked = true;
		else if (hdr_is(p, (size_t)(eol - p), "Connection"))
			f->close_after = strncasecmp(v, "close", 5) == 0;
	}
	if (chunked) {
		/* the status is all we need: drop the connection rather than parse chunks */
		f->body_left = 0;
		f->close_after = true;
	}
	return (size_t)(end + 4 - f->resp.p);
}

static void http_io(struct col_fwd *f, uint32_t events, uint64_t now_ms)
{
	char buf[8192];

	if (f->phase == H_IDLE && f->head)
		http_start(f, now_ms);
	if (f->phase == H_SENDING) {
		if (!fwd_send(f, f->req.p, f->req.len, now_ms))
			return;
		f->phase = H_HEADERS;
	}
	for (;;) {
		ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fwd_down(f, now_ms, true);
			return;
		}
		if (n == 0) {
			/* closed: ends a close-delimited body, anything else is a failure */
			if (f->phase == H_UNTIL_EOF) {
				f->close_after = true;
				http_done(f, now_ms);
				if (f->state == F_UP)
					fwd_down(f, now_ms, false);
			} else {
				fwd_down(f, now_ms, f->phase != H_IDLE);
			}
			return;
		}
		if (f->phase == H_IDLE)
			continue; /* unsolicited bytes: ignore */
		if (f->phase == H_HEADERS) {
			size_t head;

			if (col_buf_add(&f->resp, buf, (size_t)n) < 0 ||
			    f->resp.len > FWD_HTTP_HDR_MAX) {
				fwd_down(f, now_ms, true);
				return;
			}
			head = http_parse_head(f);
			if (head == (size_t)-1) {
				fwd_down(f, now_ms, true);
				return;
			}
			if (head == 0)
				continue;
			n = (ssize_t)(f->resp.len - head);
			if (f->body_left < 0 && f->status != 204 && f->status != 304) {
				f->phase = H_UNTIL_EOF;
				continue;
			}
			if (f->body_left < 0)
				f->body_left = 0;
			f->phase = H_BODY;
		} else if (f->phase == H_UNTIL_EOF) {
			continue;
		}
		if (f->phase == H_BODY) {
			f->body_left -= n;
			if (f->body_left <= 0) {
				http_done(f, now_ms);
				if (f->state != F_UP)
					return;
				if (f->head) {
					http_io(f, EPOLLOUT, now_ms);
					return;
				}
			}
		}
	}
}

void col_fwd_handle(struct col_fwd *f, uint32_t events, uint64_t now_ms)
{
	if (f->state == F_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			fwd_down(f, now_ms, true);
			return;
		}
		f->state = F_UP;
	}
	if (f->state != F_UP)
		return;
	if (f->type == COL_FWD_SYSLOG) {
		char buf[512];
		ssize_t n;

		/* syslog servers do not talk back: a readable socket means closed or reset */
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			while ((n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				fwd_down(f, now_ms, true);
				return;
			}
		}
		syslog_send(f, now_ms);
	} else {
		http_io(f, events, now_ms);
	}
}

void col_fwd_tick(struct col_fwd *f, uint64_t now_ms)
{
	if (f->state == F_DOWN && f->head && now_ms >= f->next_try_ms)
		fwd_connect(f, now_ms);
	if (f->state == F_CONNECTING && now_ms - f->req_started_ms > FWD_HTTP_TIMEOUT_MS)
		fwd_down(f, now_ms, true);
	if (f->type == COL_FWD_HTTP && f->state == F_UP && f->phase != H_IDLE &&
	    now_ms - f->req_started_ms > FWD_HTTP_TIMEOUT_MS)
		fwd_down(f, now_ms, true);
	if (f->state == F_UP && f->head)
		col_fwd_handle(f, EPOLLOUT, now_ms);
}
