// SPDX-License-Identifier: MIT
/*
 * ward collector: receives event lines from many launchers on Unix sockets, authenticates
 * them (SO_PEERCRED), validates and de-duplicates them, writes them to an NDJSON file and
 * forwards them to syslog and Falco-format HTTP receivers. docs/collector.md has the manual.
 *
 * One thread, one epoll loop, non-blocking everywhere: a slow or hostile client can only
 * waste its own buffer (bounded by the 64 KiB line cap), never stall the others.
 *
 * Acknowledgements: after a batch of lines is written to the output file, each connection
 * that contributed gets "ack N\n" (N = lines of that connection consumed so far, written,
 * duplicate or refused alike). Launchers keep lines until acknowledged, so a collector killed
 * at any point loses nothing; the duplicates this causes are dropped by (sandbox, seq), with
 * the de-duplication state rebuilt at start-up from the tail of the output file.
 */
#include "common/macro.h"
#include "collector/collector.h"
#include "collector/internal.h"
#include "common/spool.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <yaml.h>

#define DEFAULT_LISTEN	    "/run/ward/collector.sock"
#define DEFAULT_OUTPUT	    "/var/log/ward/events.ndjson"
#define DEFAULT_CONFIG	    "/etc/ward/collector.yaml"
#define DEFAULT_ROTATE_SIZE (100ull << 20)
#define DEFAULT_ROTATE_KEEP 5
#define ABUSE_LIMIT	    16		/* bad lines before a connection is closed */
#define OUT_BATCH	    (1u << 20)	/* write when this much is buffered */
#define OUT_QUEUE_MAX	    (64u << 20) /* stop reading clients beyond this (disk full) */
#define READS_PER_WAKE	    4		/* fairness between busy clients */
#define RECOVER_BYTES	    (8u << 20)	/* output tail read to rebuild de-duplication state */
#define SPOOL_SCAN_MS	    5000
#define DEDUP_IDLE_S	    86400
#define METRICS_CONN_MAX    64

struct opts {
	char **listen;
	size_t n_listen;
	char *output; /* "none": no file */
	char **forward;
	size_t n_forward;
	uid_t *uids;
	size_t n_uids;
	gid_t *gids;
	size_t n_gids;
	uint64_t rotate_size;
	unsigned rotate_keep;
	char *stats, *metrics;
	char *spool_dir;
	bool fsync_batch;
};

enum src_type { SRC_LISTEN, SRC_CONN, SRC_SIGNAL, SRC_TIMER, SRC_FWD, SRC_MLISTEN, SRC_MCONN };

struct src {
	enum src_type type;
	int fd;
};

struct conn {
	struct src src;
	struct conn *prev, *next; /* all connections */
	struct conn *dirty_next;  /* connections with lines in the current batch */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char *partial; /* an incomplete line carried over between reads */
	size_t plen;
	bool discarding; /* inside an oversized line: skip to its newline */
	bool dirty, dead, reading, spooled;
	unsigned abuse, logged;
	uint64_t consumed, acked;
};

struct listener {
	struct src src;
	char path[108];
};

struct mconn {
	struct src src;
	bool http;
	uint64_t since_ms;
	char req[2048];
	size_t len;
};

struct fwd_reg {
	struct src src; /* fd is the registered one */
	struct col_fwd *f;
	uint32_t events;
};

struct daemon {
	struct opts o;
	int epfd;
	struct src sig, timer;
	struct listener *lis;
	size_t n_lis;
	struct src mlis;
	bool mlis_http;
	struct conn *conns;
	struct conn *dirty;
	struct conn spool_conn;
	struct col_output out;
	struct col_buf batch;
	struct col_dedup *dedup;
	struct col_fwd_list fw;
	struct fwd_reg *fregs;
	struct col_stats st;
	bool paused; /* not reading clients: output queue full */
	bool stop;
	uint64_t last_spool_ms, last_expire_ms;
	unsigned n_mconn;
	struct mconn *mconns[METRICS_CONN_MAX];
};

static char rbuf[256 << 10];

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("ward collector: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- options -------------------------------------------------------------------------------- */

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	double v;
	uint64_t mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ull << 40;
		end++;
		break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*ret = (uint64_t)(v * (double)mul);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Applies one setting (from the command line or the config file); where says where from. */
static int opt_set(struct opts *o, const char *key, const char *val, const char *where)
{
	unsigned long u;
	uint64_t sz;

	if (!strcmp(key, "listen")) {
		if (strncmp(val, "unix:", 5) != 0 || !val[5])
			goto bad;
		return strv_add(&o->listen, &o->n_listen, val + 5);
	} else if (!strcmp(key, "output")) {
		if (strcmp(val, "none") != 0 && (strncmp(val, "file:", 5) != 0 || !val[5]))
			goto bad;
		free(o->output);
		o->output = strdup(strcmp(val, "none") == 0 ? "none" : val + 5);
	} else if (!strcmp(key, "forward")) {
		return strv_add(&o->forward, &o->n_forward, val);
	} else if (!strcmp(key, "allow-uid") || !strcmp(key, "allow_uid")) {
		uid_t *v;

		if (parse_uint(val, UINT32_MAX - 1, &u) < 0)
			goto bad;
		v = realloc(o->uids, (o->n_uids + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->uids = v;
		o->uids[o->n_uids++] = (uid_t)u;
	} else if (!strcmp(key, "allow-gid") || !strcmp(key, "allow_gid")) {
		gid_t *v;

		if (parse_uint(val, UINT32_MAX - 1, &u) < 0) {
			struct group *g = getgrnam(val);

			if (!g)
				goto bad;
			u = g->gr_gid;
		}
		v = realloc(o->gids, (o->n_gids + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->gids = v;
		o->gids[o->n_gids++] = (gid_t)u;
	} else if (!strcmp(key, "rotate-size") || !strcmp(key, "rotate_size")) {
		if (parse_size(val, &sz) < 0)
			goto bad;
		o->rotate_size = sz;
	} else if (!strcmp(key, "rotate-keep") || !strcmp(key, "rotate_keep")) {
		if (parse_uint(val, 1000, &u) < 0)
			goto bad;
		o->rotate_keep = (unsigned)u;
	} else if (!strcmp(key, "stats")) {
		if (strncmp(val, "unix:", 5) != 0 || !val[5])
			goto bad;
		free(o->stats);
		o->stats = strdup(val + 5);
	} else if (!strcmp(key, "metrics")) {
		if (strncmp(val, "http://", 7) != 0)
			goto bad;
		free(o->metrics);
		o->metrics = strdup(val + 7);
	} else if (!strcmp(key, "spool-dir") || !strcmp(key, "spool_dir")) {
		free(o->spool_dir);
		o->spool_dir = strdup(val);
	} else if (!strcmp(key, "fsync")) {
		if (strcmp(val, "batch") && strcmp(val, "none"))
			goto bad;
		o->fsync_batch = strcmp(val, "batch") == 0;
	} else {
		logmsg("%s: unknown key '%s'", where, key);
		return -EINVAL;
	}
	return 0;
bad:
	logmsg("%s: bad value '%s' for %s", where, val, key);
	return -EINVAL;
}

/* /etc/ward/collector.yaml: a mapping of the long option names (dashes or underscores) to a
 * scalar or a sequence of scalars. */
static int load_config(struct opts *o, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = 0;

	if (!f) {
		logmsg("config %s: %m", path);
		return -errno;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc)) {
		logmsg("%s:%zu:%zu: %s", path, p.problem_mark.line + 1, p.problem_mark.column + 1,
		       p.problem ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE) {
		logmsg("%s: expected a mapping of settings", path);
		r = -EINVAL;
	}
	for (yaml_node_pair_t *pr = root && !r ? root->data.mapping.pairs.start : NULL;
	     pr && pr < root->data.mapping.pairs.top && r >= 0; pr++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
		char where[4200];

		snprintf(where, sizeof(where), "%s:%zu:%zu", path, k->start_mark.line + 1,
			 k->start_mark.column + 1);
		if (k->type != YAML_SCALAR_NODE) {
			logmsg("%s: expected a key", where);
			r = -EINVAL;
			break;
		}
		if (v->type == YAML_SCALAR_NODE) {
			r = opt_set(o, (char *)k->data.scalar.value, (char *)v->data.scalar.value,
				    where);
		} else if (v->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top && r >= 0; it++) {
				yaml_node_t *e = yaml_document_get_node(&doc, *it);

				if (e->type != YAML_SCALAR_NODE) {
					logmsg("%s: expected a list of values", where);
					r = -EINVAL;
					break;
				}
				r = opt_set(o, (char *)k->data.scalar.value,
					    (char *)e->data.scalar.value, where);
			}
		} else {
			logmsg("%s: expected a value or a list", where);
			r = -EINVAL;
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return r;
}

static void usage(FILE *f)
{
	fputs("usage: ward collector [--listen unix:PATH]... [--output file:PATH|none]\n"
	      "         [--forward syslog+tcp://HOST:PORT]... [--forward "
	      "http://HOST:PORT/PATH]...\n"
	      "         [--allow-uid N]... [--allow-gid N|NAME]... [--rotate-size SIZE]\n"
	      "         [--rotate-keep N] [--stats unix:PATH | --metrics http://127.0.0.1:PORT]\n"
	      "         [--spool-dir DIR] [--fsync none|batch] [--config FILE | --no-config]\n"
	      "defaults: --listen unix:" DEFAULT_LISTEN " --output file:" DEFAULT_OUTPUT "\n"
	      "          --rotate-size 100M --rotate-keep 5 --spool-dir " WARD_SPOOL_DIR "\n"
	      "          --config " DEFAULT_CONFIG " (if it exists)\n",
	      f);
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {{"listen", required_argument, NULL, 'l'},
					   {"output", required_argument, NULL, 'o'},
					   {"forward", required_argument, NULL, 'f'},
					   {"allow-uid", required_argument, NULL, 'u'},
					   {"allow-gid", required_argument, NULL, 'g'},
					   {"rotate-size", required_argument, NULL, 's'},
					   {"rotate-keep", required_argument, NULL, 'k'},
					   {"stats", required_argument, NULL, 'S'},
					   {"metrics", required_argument, NULL, 'm'},
					   {"spool-dir", required_argument, NULL, 'd'},
					   {"fsync", required_argument, NULL, 'F'},
					   {"config", required_argument, NULL, 'c'},
					   {"no-config", no_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {}};
	const char *config = DEFAULT_CONFIG;
	bool explicit_config = false;
	int c, r;

	/* first pass: which config file; its settings come first, the command line after */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'c') {
			config = optarg;
			explicit_config = true;
		} else if (c == 'n') {
			config = NULL;
		} else if (c == 'h') {
			usage(stdout);
			return 1;
		}
	}
	if (config && (explicit_config || access(config, F_OK) == 0)) {
		r = load_config(o, config);
		if (r < 0)
			return r;
	}
	/* list options given on the command line replace the config file's */
	bool cli_listen = false, cli_fwd = false, cli_uid = false, cli_gid = false;
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 'l':
			if (!cli_listen) {
				o->n_listen = 0;
				cli_listen = true;
			}
			key = "listen";
			break;
		case 'f':
			if (!cli_fwd) {
				o->n_forward = 0;
				cli_fwd = true;
			}
			key = "forward";
			break;
		case 'u':
			if (!cli_uid) {
				o->n_uids = 0;
				cli_uid = true;
			}
			key = "allow-uid";
			break;
		case 'g':
			if (!cli_gid) {
				o->n_gids = 0;
				cli_gid = true;
			}
			key = "allow-gid";
			break;
		case 'o':
			key = "output";
			break;
		case 's':
			key = "rotate-size";
			break;
		case 'k':
			key = "rotate-keep";
			break;
		case 'S':
			key = "stats";
			break;
		case 'm':
			key = "metrics";
			break;
		case 'd':
			key = "spool-dir";
			break;
		case 'F':
			key = "fsync";
			break;
		case 'c':
		case 'n':
			continue;
		default:
			usage(stderr);
			return -EINVAL;
		}
		r = opt_set(o, key, optarg, "command line");
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		logmsg("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->stats && o->metrics) {
		logmsg("--stats and --metrics are exclusive");
		return -EINVAL;
	}
	if (o->n_listen == 0 && (r = strv_add(&o->listen, &o->n_listen, DEFAULT_LISTEN)) < 0)
		return r;
	if (!o->output && !(o->output = strdup(DEFAULT_OUTPUT)))
		return -ENOMEM;
	if (!o->spool_dir && !(o->spool_dir = strdup(ward_spool_dir())))
		return -ENOMEM;
	return 0;
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int epoll_add(struct daemon *d, struct src *s, uint32_t events)
{
	struct epoll_event ee = {.events = events, .data.ptr = s};

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, s->fd, &ee) < 0 ? -errno : 0;
}

static int unix_listen(const char *path, mode_t mode, gid_t group, int *ret_fd)
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

static bool peer_allowed(struct daemon *d, int fd, uid_t uid, gid_t gid)
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

static void conn_set_reading(struct daemon *d, struct conn *c, bool on)
{
	struct epoll_event ee = {.events = on ? EPOLLIN | EPOLLRDHUP : 0, .data.ptr = c};

	if (c->dead || c->reading == on)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->src.fd, &ee);
	c->reading = on;
}

static void conn_close(struct daemon *d, struct conn *c)
{
	if (c->dead)
		return;
	close(c->src.fd);
	c->src.fd = -1;
	c->dead = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->st.conn_active--;
	free(c->partial);
	c->partial = NULL;
	if (!c->dirty)
		free(c); /* else freed when the batch is done */
}

static void mark_dirty(struct daemon *d, struct conn *c)
{
	if (c->dirty || c->spooled)
		return;
	c->dirty = true;
	c->dirty_next = d->dirty;
	d->dirty = c;
}

static void refuse(struct daemon *d, struct conn *c, int reason)
{
	static const char *const why[] = {"", "malformed JSON or invalid UTF-8", "line over 64 KiB",
					  "missing or bad required field", "owner not allowed"};

	d->st.refused[reason]++;
	c->abuse++;
	if (c->logged < 3) {
		c->logged++;
		if (c->spooled)
			logmsg("spool: refused a line: %s", why[reason]);
		else
			logmsg("pid %d uid %u: refused a line: %s", (int)c->pid, (unsigned)c->uid,
			       why[reason]);
	}
}

/* One complete line from a launcher (or a spool file). */
static void process_line(struct daemon *d, struct conn *c, const char *line, size_t len)
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
static void conn_feed(struct daemon *d, struct conn *c, const char *data, size_t n)
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
			free(c->partial);
			c->partial = NULL;
			c->plen = 0;
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
			c->partial = p;
			c->plen += take;
			if (nl) {
				process_line(d, c, c->partial, c->plen);
				free(c->partial);
				c->partial = NULL;
				c->plen = 0;
			}
		}
		if (c->abuse >= ABUSE_LIMIT && !c->spooled) {
			logmsg("pid %d uid %u: %u bad lines, closing the connection", (int)c->pid,
			       (unsigned)c->uid, c->abuse);
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

static void conn_read(struct daemon *d, struct conn *c)
{
	for (int i = 0; i < READS_PER_WAKE && !c->dead; i++) {
		ssize_t n = read(c->src.fd, rbuf, sizeof(rbuf));

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
		if (d->batch.len >= OUT_BATCH)
			return; /* write before reading more */
	}
}

static void accept_all(struct daemon *d, struct listener *l)
{
	for (;;) {
		int fd = accept4(l->src.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cr;
		socklen_t len = sizeof(cr);
		struct conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				logmsg("accept: %m (raise LimitNOFILE)");
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
			close(fd);
			continue;
		}
		if (!peer_allowed(d, fd, cr.uid, cr.gid)) {
			d->st.conn_refused++;
			if (d->st.conn_refused <= 100 || d->st.conn_refused % 1000 == 0)
				logmsg("refused connection from pid %d uid %u gid %u (allow with "
				       "--allow-uid/--allow-gid)",
				       (int)cr.pid, (unsigned)cr.uid, (unsigned)cr.gid);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->src.type = SRC_CONN;
		c->src.fd = fd;
		c->pid = cr.pid;
		c->uid = cr.uid;
		c->gid = cr.gid;
		c->reading = !d->paused;
		if (epoll_add(d, &c->src, d->paused ? 0 : EPOLLIN | EPOLLRDHUP) < 0) {
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

/* ---- output and acknowledgements ----------------------------------------------------------- */

static void send_acks(struct daemon *d)
{
	struct conn **pp = &d->dirty;

	while (*pp) {
		struct conn *c = *pp;
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
			free(c);
	}
}

static void set_paused(struct daemon *d, bool paused)
{
	if (d->paused == paused)
		return;
	d->paused = paused;
	for (struct conn *c = d->conns; c; c = c->next)
		conn_set_reading(d, c, !paused);
}

/* Writes the batch; acknowledges its lines only once they are in the file. */
static int flush_output(struct daemon *d)
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
				logmsg("output %s: %s; holding %zu bytes in memory and retrying",
				       d->out.path, strerror(-r), d->batch.len);
			d->st.output_queue_bytes = d->batch.len;
			set_paused(d, d->batch.len >= OUT_QUEUE_MAX);
			return r;
		}
		if (d->paused)
			logmsg("output %s: writing again", d->out.path);
		d->batch.len = 0;
		if (d->batch.cap > 4 * OUT_BATCH) {
			col_buf_free(&d->batch); /* give back what a disk-full episode took */
		}
		d->st.output_queue_bytes = 0;
		set_paused(d, false);
	}
	send_acks(d);
	return r;
}

/* ---- spool files of launchers that are gone -------------------------------------------------- */

static int spool_line(void *ud, const char *line, size_t len, uid_t owner, const char *file)
{
	struct daemon *d = ud;

	if (!line)
		return flush_output(d); /* the file is removed only if this worked */
	d->spool_conn.uid = owner;
	d->st.spool_events++;
	process_line(d, &d->spool_conn, line, len);
	if (d->batch.len >= OUT_BATCH)
		flush_output(d);
	return 0;
}

static void scan_spool(struct daemon *d)
{
	if (d->out.failing)
		return;
	d->spool_conn.abuse = 0;
	int n = ward_spool_ingest_dir(d->o.spool_dir, spool_line, d);
	if (n > 0)
		logmsg("spool %s: replayed %d events of launchers that are gone", d->o.spool_dir,
		       n);
}

/* ---- metrics ------------------------------------------------------------------------------- */

static void mconn_close(struct daemon *d, struct mconn *m)
{
	for (unsigned i = 0; i < d->n_mconn; i++)
		if (d->mconns[i] == m) {
			d->mconns[i] = d->mconns[--d->n_mconn];
			break;
		}
	close(m->src.fd);
	free(m);
}

static void mconn_respond(struct daemon *d, struct mconn *m)
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
		logmsg("metrics: %m");
	col_buf_free(&body);
	col_buf_free(&resp);
	mconn_close(d, m);
}

static void maccept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->mlis.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct mconn *m;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (d->n_mconn >= METRICS_CONN_MAX || !(m = calloc(1, sizeof(*m)))) {
			close(fd);
			continue;
		}
		m->src.type = SRC_MCONN;
		m->src.fd = fd;
		m->http = d->mlis_http;
		m->since_ms = col_now_ms();
		d->mconns[d->n_mconn++] = m;
		if (!m->http) {
			mconn_respond(d, m); /* --stats: the counters, then close */
			continue;
		}
		if (epoll_add(d, &m->src, EPOLLIN | EPOLLRDHUP) < 0)
			mconn_close(d, m);
	}
}

static void mconn_read(struct daemon *d, struct mconn *m)
{
	ssize_t n = read(m->src.fd, m->req + m->len, sizeof(m->req) - 1 - m->len);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		mconn_close(d, m);
		return;
	}
	m->len += (size_t)n;
	m->req[m->len] = '\0';
	if (strstr(m->req, "\r\n\r\n") || strstr(m->req, "\n\n") || m->len == sizeof(m->req) - 1)
		mconn_respond(d, m);
}

/* ---- forward targets in the epoll set ------------------------------------------------------- */

static void fwd_update(struct daemon *d)
{
	for (size_t i = 0; i < d->fw.n; i++) {
		struct fwd_reg *fr = &d->fregs[i];
		uint32_t ev;
		int fd = col_fwd_fd(fr->f, &ev);
		struct epoll_event ee = {.events = ev, .data.ptr = fr};

		if (fd == fr->src.fd && ev == fr->events)
			continue;
		if (fr->src.fd >= 0 && fr->src.fd != fd)
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, fr->src.fd, NULL); /* may be closed */
		if (fd >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ee) < 0)
			epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ee);
		fr->src.fd = fd;
		fr->events = ev;
	}
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct ward_error err;

			if (d->out.path && col_output_reopen(&d->out, &err) < 0)
				logmsg("SIGHUP: %s", err.msg);
			else
				logmsg("SIGHUP: output reopened");
		} else {
			d->stop = true;
		}
	}
}

static void on_timer(struct daemon *d)
{
	uint64_t ticks, now = col_now_ms();

	if (read(d->timer.fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (size_t i = 0; i < d->fw.n; i++)
		col_fwd_tick(d->fw.v[i], now);
	if (now - d->last_spool_ms >= SPOOL_SCAN_MS) {
		d->last_spool_ms = now;
		scan_spool(d);
	}
	if (now - d->last_expire_ms >= 60000) {
		struct timespec ts;

		d->last_expire_ms = now;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		col_dedup_expire(d->dedup, (uint64_t)ts.tv_sec, DEDUP_IDLE_S);
	}
	for (unsigned i = 0; i < d->n_mconn;) {
		struct mconn *m = d->mconns[i];

		if (now - m->since_ms > 5000)
			mconn_close(d, m); /* never sent a request */
		else
			i++;
	}
}

static int setup(struct daemon *d)
{
	struct itimerspec its = {.it_interval = {0, 100000000}, .it_value = {0, 100000000}};
	struct ward_error err;
	struct rlimit rl;
	sigset_t mask;
	int r;

	/* one fd per launcher: take the hard limit (systemd's default is 1024 soft) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig.type = SRC_SIGNAL;
	d->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timer.type = SRC_TIMER;
	d->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->sig.fd < 0 || d->timer.fd < 0 || timerfd_settime(d->timer.fd, 0, &its, NULL) < 0)
		return -errno;
	if ((r = epoll_add(d, &d->sig, EPOLLIN)) < 0 || (r = epoll_add(d, &d->timer, EPOLLIN)) < 0)
		return r;

	r = col_dedup_new(&d->dedup);
	if (r < 0)
		return r;
	d->out.fd = -1;
	d->out.path = strcmp(d->o.output, "none") == 0 ? NULL : d->o.output;
	d->out.rotate_size = d->o.rotate_size;
	d->out.rotate_keep = d->o.rotate_keep;
	d->out.fsync_batch = d->o.fsync_batch;
	r = col_output_open(&d->out, &err);
	if (r < 0) {
		logmsg("%s", err.msg);
		return r;
	}
	r = col_output_recover(&d->out, d->dedup, RECOVER_BYTES);
	if (r < 0)
		logmsg("output %s: reading its tail for de-duplication: %s", d->out.path,
		       strerror(-r));

	d->fw.v = calloc(d->o.n_forward + 1, sizeof(*d->fw.v));
	d->fregs = calloc(d->o.n_forward + 1, sizeof(*d->fregs));
	if (!d->fw.v || !d->fregs)
		return -ENOMEM;
	for (size_t i = 0; i < d->o.n_forward; i++) {
		r = col_fwd_new(d->o.forward[i], &d->fw.v[i], &err);
		if (r < 0) {
			logmsg("%s", err.msg);
			return r;
		}
		d->fregs[i].src.type = SRC_FWD;
		d->fregs[i].src.fd = -1;
		d->fregs[i].f = d->fw.v[i];
		d->fw.n++;
	}

	d->lis = calloc(d->o.n_listen, sizeof(*d->lis));
	if (!d->lis)
		return -ENOMEM;
	for (size_t i = 0; i < d->o.n_listen; i++) {
		struct listener *l = &d->lis[i];

		l->src.type = SRC_LISTEN;
		snprintf(l->path, sizeof(l->path), "%s", d->o.listen[i]);
		r = unix_listen(l->path, 0660, d->o.n_gids ? d->o.gids[0] : (gid_t)-1, &l->src.fd);
		if (r < 0) {
			logmsg("listen unix:%s: %s%s", l->path, strerror(-r),
			       r == -EADDRINUSE ? " (another collector is running)" : "");
			return r;
		}
		d->n_lis++;
		if ((r = epoll_add(d, &l->src, EPOLLIN)) < 0)
			return r;
	}
	d->mlis.fd = -1;
	if (d->o.metrics || d->o.stats) {
		d->mlis.type = SRC_MLISTEN;
		d->mlis_http = d->o.metrics != NULL;
		r = d->o.metrics ? tcp_listen(d->o.metrics, &d->mlis.fd)
				 : unix_listen(d->o.stats, 0660,
					       d->o.n_gids ? d->o.gids[0] : (gid_t)-1, &d->mlis.fd);
		if (r < 0) {
			logmsg("%s %s: %s", d->o.metrics ? "metrics" : "stats",
			       d->o.metrics ? d->o.metrics : d->o.stats, strerror(-r));
			return r;
		}
		if ((r = epoll_add(d, &d->mlis, EPOLLIN)) < 0)
			return r;
	}
	d->spool_conn.spooled = true;
	d->spool_conn.src.fd = -1;
	return 0;
}

static void teardown(struct daemon *d)
{
	uint64_t until = col_now_ms() + 2000;

	flush_output(d);
	/* give forward targets a moment to take what is queued */
	while (col_now_ms() < until) {
		bool busy = false;
		struct epoll_event evs[16];
		int n;

		for (size_t i = 0; i < d->fw.n; i++) {
			uint64_t s, dr, q, r;

			col_fwd_counters(d->fw.v[i], &s, &dr, &q, &r);
			busy |= q > 0;
			col_fwd_tick(d->fw.v[i], col_now_ms());
		}
		if (!busy)
			break;
		fwd_update(d);
		n = epoll_wait(d->epfd, evs, 16, 50);
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			if (s->type == SRC_FWD)
				col_fwd_handle(((struct fwd_reg *)s)->f, evs[i].events,
					       col_now_ms());
		}
	}
	while (d->conns)
		conn_close(d, d->conns);
	send_acks(d);
	for (size_t i = 0; i < d->n_lis; i++) {
		close(d->lis[i].src.fd);
		unlink(d->lis[i].path);
	}
	if (d->mlis.fd >= 0) {
		close(d->mlis.fd);
		if (d->o.stats)
			unlink(d->o.stats);
	}
	while (d->n_mconn)
		mconn_close(d, d->mconns[0]);
	for (size_t i = 0; i < d->fw.n; i++)
		col_fwd_free(d->fw.v[i]);
	free(d->fw.v);
	free(d->fregs);
	free(d->lis);
	col_output_close(&d->out);
	col_dedup_free(d->dedup);
	col_buf_free(&d->batch);
	close(d->sig.fd);
	close(d->timer.fd);
	close(d->epfd);
}

static void free_opts(struct opts *o)
{
	for (size_t i = 0; i < o->n_listen; i++)
		free(o->listen[i]);
	for (size_t i = 0; i < o->n_forward; i++)
		free(o->forward[i]);
	free(o->listen);
	free(o->forward);
	free(o->uids);
	free(o->gids);
	free(o->output);
	free(o->stats);
	free(o->metrics);
	free(o->spool_dir);
}

int ward_collector_main(int argc, char **argv)
{
	static struct daemon d; /* large, and one per process */
	struct epoll_event evs[256];
	int r;

	memset(&d, 0, sizeof(d));
	d.o.rotate_size = DEFAULT_ROTATE_SIZE;
	d.o.rotate_keep = DEFAULT_ROTATE_KEEP;
	r = parse_args(&d.o, argc, argv);
	if (r != 0) {
		free_opts(&d.o);
		return r > 0 ? 0 : 2;
	}
	r = setup(&d);
	if (r < 0) {
		logmsg("start-up failed: %s", strerror(-r));
		free_opts(&d.o);
		return 1;
	}
	logmsg("listening on %s%s, output %s, %zu forward target(s)", d.o.listen[0],
	       d.o.n_listen > 1 ? " (and more)" : "", d.out.path ? d.out.path : "none", d.fw.n);
	d.last_spool_ms = col_now_ms();
	scan_spool(&d);
	flush_output(&d);

	while (!d.stop) {
		int n = epoll_wait(d.epfd, evs, ARRAY_SIZE(evs), d.batch.len ? 100 : 1000);
		uint64_t now = col_now_ms();

		if (n < 0 && errno != EINTR) {
			logmsg("epoll_wait: %m");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct src *s = evs[i].data.ptr;

			switch (s->type) {
			case SRC_LISTEN:
				accept_all(&d, (struct listener *)s);
				break;
			case SRC_CONN: {
				struct conn *c = (struct conn *)s;

				if (c->dead)
					break;
				if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					conn_read(&d, c);
				if (d.batch.len >= OUT_BATCH)
					flush_output(&d);
				break;
			}
			case SRC_SIGNAL:
				on_signal(&d);
				break;
			case SRC_TIMER:
				on_timer(&d);
				break;
			case SRC_FWD:
				col_fwd_handle(((struct fwd_reg *)s)->f, evs[i].events, now);
				break;
			case SRC_MLISTEN:
				maccept(&d);
				break;
			case SRC_MCONN:
				mconn_read(&d, (struct mconn *)s);
				break;
			}
		}
		flush_output(&d);
		/* new messages for an idle target go out now, not on the next timer tick */
		for (size_t i = 0; i < d.fw.n; i++)
			col_fwd_tick(d.fw.v[i], now);
		fwd_update(&d);
	}
	logmsg("stopping");
	teardown(&d);
	free_opts(&d.o);
	return 0;
}
