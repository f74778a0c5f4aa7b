// SPDX-License-Identifier: MIT
/* Collector counters in the Prometheus text exposition format (version 0.0.4). */
#include "common/macro.h"
#include "collector/internal.h"

#include <stddef.h>
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

/* The counters of struct col_stats, in the order they are rendered. A row with values is
 * an array of n counters, one series per label value (from skips unused entries). */
static const struct stat_metric {
	const char *name, *type, *help;
	size_t off; /* of the uint64_t (or array of them) in struct col_stats */
	const char *label;
	const char *const *values;
	int from, n;
} stat_metrics[] = {
#define M(n_, t_, field, h_)                                                                       \
	{                                                                                          \
		.name = n_, .type = t_, .help = h_, .off = offsetof(struct col_stats, field)       \
	}
	M("ward_collector_events_received_total", "counter", received,
	  "Events accepted (unique) and written."),
	{.name = "ward_collector_events_total",
	 .type = "counter",
	 .help = "Events accepted, by kind.",
	 .off = offsetof(struct col_stats, by_kind),
	 .label = "kind",
	 .values = col_kind_names,
	 .n = COL_KINDS_N},
	M("ward_collector_violations_total", "counter", violations, "Events with violation=true."),
	M("ward_collector_duplicates_total", "counter", duplicates,
	  "Events dropped as already seen (sandbox, seq)."),
	{.name = "ward_collector_refused_total",
	 .type = "counter",
	 .help = "Lines refused, by reason.",
	 .off = offsetof(struct col_stats, refused),
	 .label = "reason",
	 .values = refuse_names,
	 .from = 1, /* 0 is no reason */
	 .n = COL_REFUSE_N},
	M("ward_collector_connections_total", "counter", conn_total, "Connections accepted."),
	M("ward_collector_connections_refused_total", "counter", conn_refused,
	  "Connections refused: peer uid/gid not allowed."),
	M("ward_collector_connections_closed_abuse_total", "counter", conn_abuse,
	  "Connections closed after repeated bad lines."),
	M("ward_collector_connections", "gauge", conn_active, "Open launcher connections."),
	M("ward_collector_spool_events_total", "counter", spool_events,
	  "Events read from spool files of launchers that are gone."),
	M("ward_collector_output_bytes_total", "counter", output_bytes,
	  "Bytes written to the output."),
	M("ward_collector_output_errors_total", "counter", output_errors,
	  "Failed output writes (disk full...)."),
	M("ward_collector_output_rotations_total", "counter", output_rotations,
	  "Output file rotations."),
	M("ward_collector_output_queue_bytes", "gauge", output_queue_bytes,
	  "Bytes waiting for the output (grows while the disk is full)."),
#undef M
};

/* The per-target counters, in col_fwd_counters() order: sent, dropped, queued, retries. */
static const struct fwd_metric {
	const char *name, *type, *help;
} fwd_metrics[] = {
	{"ward_collector_forwarded_total", "counter", "Messages delivered to a target."},
	{"ward_collector_forward_dropped_total", "counter",
	 "Messages dropped: target queue full or message refused by the target."},
	{"ward_collector_forward_queue", "gauge", "Messages waiting for a target."},
	{"ward_collector_forward_retries_total", "counter",
	 "Failed connections or requests to a target (then retried with back-off)."},
};

int col_metrics_render(const struct col_stats *st, const struct col_fwd_list *fw,
		       size_t dedup_sandboxes, struct col_buf *out)
{
	for (size_t m = 0; m < ARRAY_SIZE(stat_metrics); m++) {
		const struct stat_metric *sm = &stat_metrics[m];
		const uint64_t *v = (const uint64_t *)((const char *)st + sm->off);

		help(out, sm->name, sm->type, sm->help);
		if (!sm->label)
			add(out, "%s %llu\n", sm->name, (unsigned long long)*v);
		for (int i = sm->label ? sm->from : sm->n; i < sm->n; i++)
			add(out, "%s{%s=\"%s\"} %llu\n", sm->name, sm->label, sm->values[i],
			    (unsigned long long)v[i]);
	}
	help(out, "ward_collector_dedup_sandboxes", "gauge",
	     "Sandboxes tracked for de-duplication.");
	add(out, "ward_collector_dedup_sandboxes %zu\n", dedup_sandboxes);

	for (size_t m = 0; m < ARRAY_SIZE(fwd_metrics); m++) {
		help(out, fwd_metrics[m].name, fwd_metrics[m].type, fwd_metrics[m].help);
		for (size_t i = 0; fw && i < fw->n; i++) {
			uint64_t c[4];
			char t[512];

			col_fwd_counters(fw->v[i], &c[0], &c[1], &c[2], &c[3]);
			label(t, sizeof(t), col_fwd_name(fw->v[i]));
			add(out, "%s{target=\"%s\"} %llu\n", fwd_metrics[m].name, t,
			    (unsigned long long)c[m]);
		}
	}
	return out->p ? 0 : -ENOMEM;
}
