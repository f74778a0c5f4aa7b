/* SPDX-License-Identifier: MIT */
/*
 * Collector internals shared by main.c (loop, lifecycle), config.c (options, YAML),
 * conn.c (sockets, connections, framing, batching, acks, spool replay), http.c (metrics and
 * stats endpoint), validate.c (line checks, de-duplication), output.c (files), forward.c
 * (syslog, Falco HTTP) and metrics.c.
 */
#pragma once

#include "common/macro.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define COL_LINE_MAX (64u << 10) /* longest accepted event line */

/* ---- counters (metrics.c) ----------------------------------------------------------------- */
enum col_refuse {
	COL_REFUSE_MALFORMED =
		1, /* (from 1: col_validate returns -reason) not JSON, not UTF-8, not an object */
	COL_REFUSE_OVERSIZED,
	COL_REFUSE_SCHEMA, /* required field missing or of the wrong type */
	COL_REFUSE_UID,	   /* spooled by a file owner that may not send */
	COL_REFUSE_N,
};
#define COL_KINDS_N 8 /* lifecycle syscall file exec net device loss other */
extern const char *const col_kind_names[COL_KINDS_N];
int col_kind_index(const char *kind);

struct col_stats {
	uint64_t received;   /* unique events written (or accepted when no file output) */
	uint64_t duplicates; /* (sandbox, seq) seen before */
	uint64_t by_kind[COL_KINDS_N];
	uint64_t violations;
	uint64_t refused[COL_REFUSE_N];
	uint64_t conn_total, conn_refused, conn_abuse, conn_active;
	uint64_t spool_events, spool_files;
	uint64_t output_errors, output_rotations, output_bytes;
	uint64_t output_queue_bytes;
};

/* ---- validation and de-duplication (validate.c) ------------------------------------------ */
struct col_event {
	const char *line; /* the line validated (not owned) */
	size_t len;
	json_t *obj; /* owned; parsed on demand by col_event_obj() */
	const char *sandbox, *kind, *action, *time, *host, *rule, *comm; /* decoded, or NULL */
	uint64_t seq;
	int64_t pid; /* 0 if absent */
	bool violation;
	char *strings; /* the decoded strings: sbuf, or the heap for long ones */
	char sbuf[2048];
};
/* Checks one line (without '\n') against RFC 8259 and the event schema, decoding the common
 * fields: 0, or -enum col_refuse. Then col_event_free(), whatever it returned. */
int col_validate(const char *line, size_t len, struct col_event *ret);
/* The whole event as a jansson object (parsed on first use; NULL if out of memory). */
json_t *col_event_obj(struct col_event *ev);
void col_event_free(struct col_event *ev);

struct col_dedup;
int col_dedup_new(struct col_dedup **ret);
void col_dedup_free(struct col_dedup *d);
/* true (and records it) if (sandbox, seq) is new. */
bool col_dedup_check(struct col_dedup *d, const char *sandbox, uint64_t seq);
/* Forgets sandboxes idle for more than idle_s seconds (bounded memory). */
void col_dedup_expire(struct col_dedup *d, uint64_t now_s, uint64_t idle_s);
size_t col_dedup_count(const struct col_dedup *d);

/* Appends line (a validated JSON object) to buf with the peer's identity added before the
 * closing brace, plus '\n'. pid <= 0: omitted (spooled events). Returns -ENOMEM. */
struct col_buf {
	char *p;
	size_t len, cap;
};
int col_buf_reserve(struct col_buf *b, size_t extra);
int col_buf_add(struct col_buf *b, const void *p, size_t n);
void col_buf_free(struct col_buf *b);
int col_output_line(struct col_buf *b, const char *line, size_t len, pid_t pid, uid_t uid,
		    bool spooled);

/* ---- file output (output.c) ------------------------------------------------------------- */
struct col_output {
	char *path; /* NULL: no file output */
	int fd;
	uint64_t size;
	uint64_t rotate_size; /* 0: never */
	unsigned rotate_keep;
	bool fsync_batch;
	bool failing; /* the last write failed (disk full): retry on the timer */
};
int col_output_open(struct col_output *o, struct ward_error *err);
/* Writes buf, rotating at line boundaries when the file reaches rotate_size. Lines are
 * written whole or not at all; *ret_done says how much of buf is in the file, also on error
 * (disk full), so the caller keeps only the rest. */
int col_output_write(struct col_output *o, const char *buf, size_t len, struct col_stats *st,
		     size_t *ret_done);
int col_output_reopen(struct col_output *o, struct ward_error *err); /* SIGHUP */
void col_output_close(struct col_output *o);
/* Seeds d with the (sandbox, seq) pairs in the last max_bytes of the output files, and cuts
 * a half-written last line left by a crash. */
int col_output_recover(struct col_output *o, struct col_dedup *d, size_t max_bytes);

/* ---- forwarding (forward.c) --------------------------------------------------------------- */
enum col_fwd_type { COL_FWD_SYSLOG, COL_FWD_HTTP };
struct col_fwd;
int col_fwd_new(const char *url, struct col_fwd **ret, struct ward_error *err);
void col_fwd_free(struct col_fwd *f);
/* Formats ev for the target and queues it (dropped and counted when the queue is full). */
void col_fwd_enqueue(struct col_fwd *f, struct col_event *ev, const char *line, size_t len);
/* Drives the connection: fd to poll (-1 none) and the events wanted. */
int col_fwd_fd(struct col_fwd *f, uint32_t *ret_events);
void col_fwd_handle(struct col_fwd *f, uint32_t events, uint64_t now_ms);
/* Called on the daemon's timer: reconnects after back-off. */
void col_fwd_tick(struct col_fwd *f, uint64_t now_ms);
const char *col_fwd_name(const struct col_fwd *f);
void col_fwd_counters(const struct col_fwd *f, uint64_t *ret_sent, uint64_t *ret_dropped,
		      uint64_t *ret_queued, uint64_t *ret_retries);

/* Formatting, exposed for unit tests. */
int col_syslog_format(const struct col_event *ev, const char *line, size_t len,
		      struct col_buf *out); /* "LEN <PRI>1 ..." with octet counting */
json_t *col_falco_alert(struct col_event *ev);

/* ---- metrics (metrics.c) ------------------------------------------------------------------ */
struct col_fwd_list {
	struct col_fwd **v;
	size_t n;
};
/* Prometheus text exposition format 0.0.4. */
int col_metrics_render(const struct col_stats *st, const struct col_fwd_list *fw,
		       size_t dedup_sandboxes, struct col_buf *out);

/* ---- options and config file (config.c) --------------------------------------------------- */
struct col_opts {
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
/* The config file's settings, then the command line's (argv[0] is "collector"), then the
 * defaults: 0, 1 when --help was printed, or -errno (already logged). o starts zeroed;
 * col_config_free() whatever it returned. */
int col_config_parse(struct col_opts *o, int argc, char **argv);
void col_config_free(struct col_opts *o);

/* ---- the daemon (main.c, conn.c, http.c) -------------------------------------------------- */
#define col_container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#define COL_OUT_BATCH (1u << 20) /* write when this much is buffered */
/* Partial lines held in memory, all connections together; beyond it connections with an
 * unfinished line are not read (their bytes wait in the kernel's socket buffer) and an
 * unfinished line older than COL_PARTIAL_IDLE_MS closes its connection. */
#define COL_PARTIAL_TOTAL    (8u << 20)
#define COL_PARTIAL_IDLE_MS  10000
#define COL_METRICS_CONN_MAX 64

/* A launcher's connection, or the pseudo-connection of spool replay (spooled). Closed
 * connections are only freed between loop batches (col_conn_reap): the ready list of the
 * current batch may still name them (common/loop.h). */
struct col_conn {
	struct ward_loop_source src;  /* data: the daemon */
	struct col_conn *prev, *next; /* all open connections */
	struct col_conn *dirty_next;  /* connections with lines in the current batch */
	struct col_conn *dead_next;   /* closed, waiting for col_conn_reap() */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char *partial; /* an incomplete line carried over between reads */
	size_t plen;
	uint64_t partial_since_ms; /* when partial began (idle partial lines are closed) */
	bool budget_wait;	   /* not read: the partial-line budget is spent */
	bool discarding;	   /* inside an oversized line: skip to its newline */
	bool dirty, dead, spooled;
	unsigned abuse, logged;
	uint64_t consumed, acked;
};

struct col_listener {
	struct ward_loop_source src;
	char path[108];
};

/* A client of --metrics (HTTP) or --stats; freed like connections (col_http_reap). */
struct col_mconn {
	struct ward_loop_source src;
	struct col_mconn *dead_next;
	bool http, dead;
	uint64_t since_ms;
	char req[2048];
	size_t len;
};

struct col_fwd_reg {
	struct ward_loop_source src; /* fd and events as registered (-1: none) */
	struct col_fwd *f;
};

struct col_daemon {
	struct col_opts o;
	struct ward_loop loop;
	struct ward_loop_source sig, timer;
	struct col_listener *lis;
	size_t n_lis;
	struct ward_loop_source mlis;
	bool mlis_http;
	struct col_conn *conns;
	struct col_conn *dirty;
	struct col_conn *dead; /* closed, freed by col_conn_reap() */
	struct col_conn spool_conn;
	struct col_output out;
	struct col_buf batch;
	struct col_dedup *dedup;
	struct col_fwd_list fw;
	struct col_fwd_reg *fregs;
	struct col_stats st;
	bool paused;	    /* not reading clients: output queue full */
	bool accept_paused; /* out of fds (EMFILE): listeners not polled until one frees */
	uint64_t accept_retry_ms;
	size_t partial_bytes; /* all connections' partial lines (COL_PARTIAL_TOTAL) */
	size_t budget_waiting;
	bool stop;
	uint64_t last_spool_ms, last_expire_ms;
	unsigned n_mconn;
	struct col_mconn *mconns[COL_METRICS_CONN_MAX];
	struct col_mconn *mdead;
};

/* conn.c. A Unix stream socket at path (parents created, a stale socket replaced, a live
 * collector's left alone: -EADDRINUSE). */
int col_unix_listen(const char *path, mode_t mode, gid_t group, int *ret_fd);
int col_conn_setup(struct col_daemon *d);     /* the --listen sockets */
void col_conn_teardown(struct col_daemon *d); /* closes them and every connection */
void col_conn_reap(struct col_daemon *d);     /* frees closed connections */
/* Writes the batch to the output; acknowledges its lines only once they are in the file. */
int col_flush_output(struct col_daemon *d);
/* The 100 ms timer: listeners back after EMFILE, idle partial lines over budget. */
void col_conn_tick(struct col_daemon *d, uint64_t now_ms);
/* Replays the spool files of launchers that are gone. */
void col_spool_scan(struct col_daemon *d);

/* http.c: the --metrics / --stats endpoint. */
int col_http_setup(struct col_daemon *d);
void col_http_expire(struct col_daemon *d, uint64_t now_ms); /* clients that never asked */
void col_http_teardown(struct col_daemon *d);
void col_http_reap(struct col_daemon *d);
