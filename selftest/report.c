// SPDX-License-Identifier: MIT
/* The selftest's output: the table a person reads, the JSON document for CI, and the one
 * `selftest` event for the collector (docs/events.md). */
#include "common/json.h"
#include "events/event.h"
#include "selftest/selftest.h"

#include <string.h>
#include <unistd.h>

static const char *verdict_name(const struct ward_st_probe *t)
{
	return t->skipped ? "SKIP" : t->pass ? "PASS" : "FAIL";
}

static const char *expect_name(enum ward_st_expect e)
{
	return e == WARD_ST_BLOCK ? "block" : e == WARD_ST_ALLOW ? "allow" : "skip";
}

void ward_st_summarize(const struct ward_st_plan *plan, struct ward_st_summary *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < plan->n; i++) {
		const struct ward_st_probe *t = &plan->probes[i];

		ret->total++;
		if (t->skipped) {
			ret->skipped++;
			continue;
		}
		ret->passed += t->pass;
		ret->failed += !t->pass;
		if (t->expect == WARD_ST_ALLOW) {
			ret->allowed_ok += t->pass;
			continue;
		}
		ret->blocked += t->blocked;
		ret->reported += t->reported;
	}
}

/* s cut to w display columns (ASCII here), padded. */
static void cell(FILE *f, const char *s, int w)
{
	int n = (int)strlen(s);

	if (n > w)
		fprintf(f, "%.*s~ ", w - 1, s);
	else
		fprintf(f, "%-*s ", w, s);
}

void ward_st_report_table(const struct ward_st_plan *plan, const char *profile, FILE *f)
{
	struct ward_st_summary s;
	char buf[256];

	ward_st_summarize(plan, &s);
	fprintf(f, "ward selftest: profile %s, %s mode\n\n", profile,
		plan->mode == WARD_MODE_AUDIT ? "audit" : "enforce");
	fprintf(f, "%-4s %-22s %-46s %-26s %s\n", "", "PROBE", "TRIED", "BLOCKED (BY)", "REPORTED");
	for (size_t i = 0; i < plan->n; i++) {
		const struct ward_st_probe *t = &plan->probes[i];

		cell(f, verdict_name(t), 4);
		cell(f, t->name, 22);
		cell(f, t->what, 46);
		if (t->skipped) {
			fprintf(f, "%s\n", t->note);
			continue;
		}
		if (t->expect == WARD_ST_ALLOW)
			snprintf(buf, sizeof(buf), "%s", t->done ? "no: allowed, worked" : "yes");
		else if (t->blocked)
			snprintf(buf, sizeof(buf), "yes: %s", t->layer[0] ? t->layer : "?");
		else
			snprintf(buf, sizeof(buf), "NO (%s)", t->result);
		cell(f, buf, 26);
		if (t->expect == WARD_ST_ALLOW)
			fprintf(f, "%s\n", t->n_violations ? t->event : "no violation");
		else if (t->reported)
			fprintf(f, "%s\n", t->event);
		else
			fprintf(f, "%s%s\n", t->report_required ? "NO" : "-",
				t->event[0] ? (snprintf(buf, sizeof(buf), " (%s)", t->event), buf)
					    : "");
	}
	fprintf(f, "\n%zu probes: %zu passed, %zu failed, %zu skipped\n", s.total, s.passed,
		s.failed, s.skipped);
	for (size_t i = 0; i < plan->n; i++) {
		const struct ward_st_probe *t = &plan->probes[i];

		if (!t->skipped && !t->pass)
			fprintf(f, "FAIL %s: %s\n", t->name, t->why);
	}
}

static void probe_json(struct ward_json *j, const struct ward_st_probe *t)
{
	ward_json_object_open(j, NULL);
	ward_json_str(j, "name", t->name);
	ward_json_str(j, "class", ward_st_class_names[t->cls]);
	ward_json_str(j, "tried", t->what);
	ward_json_str(j, "expect", expect_name(t->expect));
	ward_json_str(j, "verdict", t->skipped ? "skip" : t->pass ? "pass" : "fail");
	ward_json_str(j, "why", t->why);
	if (!t->skipped) {
		ward_json_str(j, "result", t->result);
		ward_json_bool(j, "blocked", t->blocked);
		ward_json_str(j, "layer", t->blocked && t->layer[0] ? t->layer : NULL);
		ward_json_bool(j, "reported", t->reported);
		ward_json_str(j, "event", t->event[0] ? t->event : NULL);
		ward_json_int(j, "violations", t->n_violations);
	}
	if (t->note[0])
		ward_json_str(j, "note", t->note);
	ward_json_object_close(j);
}

void ward_st_report_json(const struct ward_st_plan *plan, const char *profile, uint64_t duration_ms,
			 int exit_code, FILE *f)
{
	struct ward_st_summary s;
	struct ward_json j;

	ward_st_summarize(plan, &s);
	ward_json_init(&j);
	ward_json_open(&j);
	ward_json_str(&j, "profile", profile);
	ward_json_str(&j, "mode", plan->mode == WARD_MODE_AUDIT ? "audit" : "enforce");
	ward_json_str(&j, "ward_version", WARD_VERSION);
	ward_json_int(&j, "exit_code", exit_code);
	ward_json_uint(&j, "duration_ms", duration_ms);
	ward_json_object_open(&j, "summary");
	ward_json_uint(&j, "probes", s.total);
	ward_json_uint(&j, "passed", s.passed);
	ward_json_uint(&j, "failed", s.failed);
	ward_json_uint(&j, "skipped", s.skipped);
	ward_json_uint(&j, "blocked", s.blocked);
	ward_json_uint(&j, "reported", s.reported);
	ward_json_object_close(&j);
	ward_json_array_open(&j, "probes");
	for (size_t i = 0; i < plan->n; i++)
		probe_json(&j, &plan->probes[i]);
	ward_json_array_close(&j);
	ward_json_close(&j);
	if (!j.oom)
		fprintf(f, "%.*s\n", (int)j.len, j.buf);
	ward_json_free(&j);
}

void ward_st_report_event(const struct ward_st_plan *plan, const char *profile,
			  uint64_t duration_ms, int exit_code, struct ward_events *ev)
{
	struct ward_st_summary s;
	struct ward_json j;

	ward_st_summarize(plan, &s);
	ward_event_begin(ev, &j, "selftest", "allow", false, getpid(), "ward", NULL);
	ward_json_str(&j, "profile", profile);
	ward_json_str(&j, "mode", plan->mode == WARD_MODE_AUDIT ? "audit" : "enforce");
	ward_json_str(&j, "result", s.failed ? "fail" : "pass");
	ward_json_int(&j, "exit_code", exit_code);
	ward_json_uint(&j, "probes", s.total);
	ward_json_uint(&j, "passed", s.passed);
	ward_json_uint(&j, "failed", s.failed);
	ward_json_uint(&j, "skipped", s.skipped);
	ward_json_array_open(&j, "failed_probes");
	for (size_t i = 0; i < plan->n; i++)
		if (!plan->probes[i].skipped && !plan->probes[i].pass)
			ward_json_str(&j, NULL, plan->probes[i].name);
	ward_json_array_close(&j);
	ward_json_uint(&j, "duration_ms", duration_ms);
	ward_json_str(&j, "ward_version", WARD_VERSION);
	ward_event_emit(ev, &j);
}
