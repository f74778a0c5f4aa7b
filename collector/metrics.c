// SPDX-License-Identifier: MIT
/* Collector counters in the Prometheus text exposition format (version 0.0.4). */
#include "common/macro.h"
#include "collector/internal.h"

#include <string.h>

static const char *const refuse_names[COL_REFUSE_N] = {"", "malformed", "oversized", "schema",
						       "uid"};

static void add(struct col_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct col_buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		col_buf_add(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void help(struct col_buf *b, const char *name, const char *type, const char *text)
{
	add(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Label values escape backslash, quote and newline. */
static void label(char *out, size_t n, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < n; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : *s;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

int col_metrics_render(const struct col_stats *st, const struct col_fwd_list *fw,
		       size_t dedup_sandboxes, struct col_buf *out)
{
	help(out, "ward_collector_events_received_total", "counter",
	     "Events accepted (unique) and written.");
	add(out, "ward_collector_events_received_total %llu\n", (unsigned long long)st->received);
	help(out, "ward_collector_events_total", "counter", "Events accepted, by kind.");
	for (int i = 0; i < COL_KINDS_N; i++)
		add(out, "ward_collector_events_total{kind=\"%s\"} %llu\n", col_kind_names[i],
		    (unsigned long long)st->by_kind[i]);
	help(out, "ward_collector_violations_total", "counter", "Events with violation=true.");
	add(out, "ward_collector_violations_total %llu\n", (unsigned long long)st->violations);
	help(out, "ward_collector_duplicates_total", "counter",
	     "Events dropped as already seen (sandbox, seq).");
	add(out, "ward_collector_duplicates_total %llu\n", (unsigned long long)st->duplicates);
	help(out, "ward_collector_refused_total", "counter", "Lines refused, by reason.");
	for (int i = 1; i < COL_REFUSE_N; i++)
		add(out, "ward_collector_refused_total{reason=\"%s\"} %llu\n", refuse_names[i],
		    (unsigned long long)st->refused[i]);
	help(out, "ward_collector_connections_total", "counter", "Connections accepted.");
	add(out, "ward_collector_connections_total %llu\n", (unsigned long long)st->conn_total);
	help(out, "ward_collector_connections_refused_total", "counter",
	     "Connections refused: peer uid/gid not allowed.");
	add(out, "ward_collector_connections_refused_total %llu\n",
	    (unsigned long long)st->conn_refused);
	help(out, "ward_collector_connections_closed_abuse_total", "counter",
	     "Connections closed after repeated bad lines.");
	add(out, "ward_collector_connections_closed_abuse_total %llu\n",
	    (unsigned long long)st->conn_abuse);
	help(out, "ward_collector_connections", "gauge", "Open launcher connections.");
	add(out, "ward_collector_connections %llu\n", (unsigned long long)st->conn_active);
	help(out, "ward_collector_spool_events_total", "counter",
	     "Events read from spool files of launchers that are gone.");
	add(out, "ward_collector_spool_events_total %llu\n", (unsigned long long)st->spool_events);
	help(out, "ward_collector_output_bytes_total", "counter", "Bytes written to the output.");
	add(out, "ward_collector_output_bytes_total %llu\n", (unsigned long long)st->output_bytes);
	help(out, "ward_collector_output_errors_total", "counter",
	     "Failed output writes (disk full...).");
	add(out, "ward_collector_output_errors_total %llu\n",
	    (unsigned long long)st->output_errors);
	help(out, "ward_collector_output_rotations_total", "counter", "Output file rotations.");
	add(out, "ward_collector_output_rotations_total %llu\n",
	    (unsigned long long)st->output_rotations);
	help(out, "ward_collector_output_queue_bytes", "gauge",
	     "Bytes waiting for the output (grows while the disk is full).");
	add(out, "ward_collector_output_queue_bytes %llu\n",
	    (unsigned long long)st->output_queue_bytes);
	help(out, "ward_collector_dedup_sandboxes", "gauge",
	     "Sandboxes tracked for de-duplication.");
	add(out, "ward_collector_dedup_sandboxes %zu\n", dedup_sandboxes);

	help(out, "ward_collector_forwarded_total", "counter", "Messages delivered to a target.");
	for (size_t i = 0; fw && i < fw->n; i++) {
		uint64_t s, d, q, r;
		char t[512];

		col_fwd_counters(fw->v[i], &s, &d, &q, &r);
		label(t, sizeof(t), col_fwd_name(fw->v[i]));
		add(out, "ward_collector_forwarded_total{target=\"%s\"} %llu\n", t,
		    (unsigned long long)s);
	}
	help(out, "ward_collector_forward_dropped_total", "counter",
	     "Messages dropped: target queue full or message refused by the target.");
	for (size_t i = 0; fw && i < fw->n; i++) {
		uint64_t s, d, q, r;
		char t[512];

		col_fwd_counters(fw->v[i], &s, &d, &q, &r);
		label(t, sizeof(t), col_fwd_name(fw->v[i]));
		add(out, "ward_collector_forward_dropped_total{target=\"%s\"} %llu\n", t,
		    (unsigned long long)d);
	}
	help(out, "ward_collector_forward_queue", "gauge", "Messages waiting for a target.");
	for (size_t i = 0; fw && i < fw->n; i++) {
		uint64_t s, d, q, r;
		char t[512];

		col_fwd_counters(fw->v[i], &s, &d, &q, &r);
		label(t, sizeof(t), col_fwd_name(fw->v[i]));
		add(out, "ward_collector_forward_queue{target=\"%s\"} %llu\n", t,
		    (unsigned long long)q);
	}
	help(out, "ward_collector_forward_retries_total", "counter",
	     "Failed connections or requests to a target (then retried with back-off).");
	for (size_t i = 0; fw && i < fw->n; i++) {
		uint64_t s, d, q, r;
		char t[512];

		col_fwd_counters(fw->v[i], &s, &d, &q, &r);
		label(t, sizeof(t), col_fwd_name(fw->v[i]));
		add(out, "ward_collector_forward_retries_total{target=\"%s\"} %llu\n", t,
		    (unsigned long long)r);
	}
	return out->p ? 0 : -ENOMEM;
}
