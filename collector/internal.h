/* SPDX-License-Identifier: MIT */
/*
 * Collector internals shared by collector.c (daemon, connections), validate.c (line checks,
 * de-duplication), output.c (files), forward.c (syslog, Falco HTTP) and metrics.c.
 */
#pragma once

#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"

#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

uint64_t col_now_ms(void);
