// SPDX-License-Identifier: MIT
/*
 * From what the probes printed and what ward reported to the verdicts. Pure (text in, fields of
 * the plan out), so the unit tests feed it made-up runs.
 *
 * An event belongs to a probe by `comm` (the runner names each probe's child "wst-ID"), else
 * by time: the child's window between the runner's BEGIN and END (a program the probe
 * executed has its own name; the kernel's time of the access lies in the window). Lifecycle
 * events of the limits (pids_limit, oom, timeout) come at the end of the sandbox and belong to
 * the probe that expects them.
 */
#include "common/macro.h"
#include "selftest/selftest.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct ward_st_probe *by_id(struct ward_st_plan *plan, long id)
{
	return id >= 0 && (size_t)id < plan->n ? &plan->probes[id] : NULL;
}

/* "key=value" of a RESULT line, into buf. */
static bool field(const char *line, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *s = line; (s = strstr(s, key)); s += kl) {
		if ((s == line || s[-1] == ' ') && s[kl] == '=') {
			size_t n = strcspn(s + kl + 1, " ");
			snprintf(buf, len, "%.*s", (int)n, s + kl + 1);
			return true;
		}
	}
	return false;
}

static void out_line(struct ward_st_probe *t, const char *line)
{
	char buf[32];

	if (!strncmp(line, "RESULT ", 7)) {
		t->has_result = true;
		snprintf(t->result_line, sizeof(t->result_line), "%s", line + 7);
		t->ret = field(line, "ret", buf, sizeof(buf)) ? strtol(buf, NULL, 10) : -1;
		if (!field(line, "errno", t->err, sizeof(t->err)))
			snprintf(t->err, sizeof(t->err), "?");
	} else if (!strncmp(line, "WST-RAN", 7)) {
		char u[16] = "", e[16] = "";

		t->saw_ran = true;
		if (field(line, "uid", u, sizeof(u)) && field(line, "euid", e, sizeof(e)) &&
		    strcmp(u, e) != 0)
			t->gained_privs = true;
	} else if (!strncmp(line, "uid=", 4)) {
		t->saw_ran = true; /* id(1) ran */
	}
}

int ward_st_judge_output(struct ward_st_plan *plan, const char *text)
{
	const char *s = text;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char line[8300];
		char *end;

		snprintf(line, sizeof(line), "%.*s", (int)MIN(n, sizeof(line) - 1), s);
		s = nl ? nl + 1 : NULL;
		if (strncmp(line, "BEGIN ", 6) && strncmp(line, "OUT ", 4) &&
		    strncmp(line, "END ", 4))
			continue;
		char *p = strchr(line, ' ') + 1;
		struct ward_st_probe *t = by_id(plan, strtol(p, &end, 10));
		if (!t || *end != ' ')
			continue;
		p = end + 1;
		if (line[0] == 'B') {
			t->t_begin = strtoull(p, NULL, 10);
			t->ran = true;
		} else if (line[0] == 'O') {
			out_line(t, p);
		} else {
			t->t_end = strtoull(p, &end, 10);
			snprintf(t->status, sizeof(t->status), "%s", *end == ' ' ? end + 1 : "");
		}
	}
	return 0;
}

/* "2026-11-25T20:09:04.123456789Z" -> ns since the epoch, 0 if malformed. */
static uint64_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	uint64_t ns = 0;
	int digits = 0;

	if (!p)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*p - '0');
	for (; digits < 9; digits++)
		ns *= 10;
	return (uint64_t)timegm(&tm) * 1000000000ull + ns;
}

/* The probe whose window holds t (or lies nearest), among those that ran. */
static struct ward_st_probe *by_time(struct ward_st_plan *plan, uint64_t t)
{
	struct ward_st_probe *best = NULL;
	uint64_t best_d = UINT64_MAX;

	for (size_t i = 0; i < plan->n; i++) {
		struct ward_st_probe *x = &plan->probes[i];
		uint64_t d;

		if (!x->ran || !x->t_begin)
			continue;
		uint64_t end = x->t_end ? x->t_end : UINT64_MAX;
		if (t >= x->t_begin && t <= end)
			return x;
		d = t < x->t_begin ? x->t_begin - t : t - end;
		if (d < best_d) {
			best_d = d;
			best = x;
		}
	}
	/* Nearest only within 50 ms: anything else is not a probe's. */
	return best_d <= 50000000ull ? best : NULL;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The layer an event names or implies. */
static void event_layer(json_t *ev, char *buf, size_t len)
{
	const char *kind = jstr(ev, "kind"), *layer = jstr(ev, "layer"), *rule = jstr(ev, "rule");
	const char *action = jstr(ev, "action"), *err = jstr(ev, "errno");

	if (layer) {
		snprintf(buf, len, "%s", layer);
	} else if (!kind) {
		buf[0] = 0;
	} else if (!strcmp(kind, "syscall")) {
		snprintf(buf, len, "%s",
			 rule && strstr(rule, "namespaces (")	       ? "kernel (namespaces)"
			 : rule && !strncmp(rule, "pid namespace", 13) ? "pid namespace"
								       : "seccomp");
	} else if (!strcmp(kind, "net")) {
		const char *fam = jstr(ev, "family");
		snprintf(buf, len, "%s",
			 fam && !strcmp(fam, "unix")
				 ? (err && !strcmp(err, "EPERM") ? "landlock scope"
								 : "mount/net view")
				 : "cgroup sock_addr");
	} else if (!strcmp(kind, "device")) {
		snprintf(buf, len, "cgroup device filter");
	} else if (!strcmp(kind, "exec") && action && !strcmp(action, "kill")) {
		snprintf(buf, len, "exec monitor (kill)");
	} else if (!strcmp(kind, "lifecycle")) {
		const char *e = jstr(ev, "event");
		snprintf(buf, len, "%s",
			 !e			 ? "cgroup"
			 : !strcmp(e, "timeout") ? "wall timer"
			 : !strcmp(e, "oom")	 ? "cgroup memory"
						 : "cgroup pids");
	} else if (err && (!strcmp(err, "ENOENT") || !strcmp(err, "ENOTDIR"))) {
		snprintf(buf, len, "mount view");
	} else {
		buf[0] = 0;
	}
}

static bool event_matches(const struct ward_st_probe *t, json_t *ev)
{
	const char *kind = jstr(ev, "kind"), *rule = jstr(ev, "rule");

	if (t->lifecycle)
		return kind && !strcmp(kind, "lifecycle") && jstr(ev, "event") &&
		       !strcmp(jstr(ev, "event"), t->lifecycle);
	/* A refusal by seccomp is reported with its rule, whatever the probe tried and whatever
	 * report the probe expected from a later layer (strict denies socket(2): every network
	 * probe ends there; python-cpu denies openat2: the mount view never sees it). */
	if (kind && !strcmp(kind, "syscall") && rule &&
	    (!strncmp(rule, "syscalls.", 9) || !strncmp(rule, "builtin:", 8)))
		return true;
	if (t->report_kind && (!kind || strcmp(kind, t->report_kind)))
		return false;
	if (t->report_rule[0] && (!rule || !strstr(rule, t->report_rule)))
		return false;
	return true;
}

static void attribute(struct ward_st_probe *t, json_t *ev)
{
	const char *kind = jstr(ev, "kind"), *rule = jstr(ev, "rule");
	bool match = event_matches(t, ev);

	t->n_violations++;
	/* A seccomp refusal comes first: the file monitor's later event guesses its layer from
	 * the errno alone (EPERM reads as landlock). */
	if (kind && !strcmp(kind, "syscall") && rule && !strstr(rule, "namespaces (") &&
	    (!strncmp(rule, "syscalls.", 9) || !strncmp(rule, "builtin:", 8)))
		t->seccomp = true;
	/* The first matching event is the report; else the first event says what happened. */
	if (match && !t->reported) {
		t->reported = true;
		event_layer(ev, t->layer, sizeof(t->layer));
		snprintf(t->event, sizeof(t->event), "%s: %s", kind ? kind : "?",
			 rule ? rule : (jstr(ev, "event") ? jstr(ev, "event") : "-"));
	} else if (!t->reported && !t->event[0]) {
		event_layer(ev, t->layer, sizeof(t->layer));
		snprintf(t->event, sizeof(t->event), "%s: %s (not the expected report)",
			 kind ? kind : "?", rule ? rule : "-");
	}
}

int ward_st_judge_events(struct ward_st_plan *plan, const char *text, bool box_alone, int box_probe)
{
	const char *s = text;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		json_t *ev = json_loadb(s, n, 0, NULL);
		struct ward_st_probe *t = NULL;

		s = nl ? nl + 1 : NULL;
		if (!ev)
			continue;
		const char *kind = jstr(ev, "kind"), *comm = jstr(ev, "comm");
		const char *lev = jstr(ev, "event");
		if (!json_is_true(json_object_get(ev, "violation")) || !kind) {
			json_decref(ev);
			continue;
		}
		if (box_alone) {
			t = by_id(plan, box_probe);
		} else if (!strcmp(kind, "lifecycle") && lev) {
			for (size_t i = 0; i < plan->n && !t; i++)
				if (plan->probes[i].ran && plan->probes[i].lifecycle &&
				    !strcmp(plan->probes[i].lifecycle, lev))
					t = &plan->probes[i];
		} else if (comm && !strncmp(comm, "wst-", 4)) {
			t = by_id(plan, strtol(comm + 4, NULL, 10));
		}
		if (!t && !box_alone)
			t = by_time(plan, parse_time(jstr(ev, "time")));
		if (t)
			attribute(t, ev);
		json_decref(ev);
	}
	return 0;
}

/* received: the markers the selftest's listeners got, separated by anything. */
void ward_st_judge_listener(struct ward_st_plan *plan, const char *received)
{
	for (size_t i = 0; i < plan->n; i++) {
		const char *m = plan->probes[i].marker;
		size_t ml = strlen(m);

		for (const char *s = received; m[0] && (s = strstr(s, m)); s += ml)
			if (s[ml] < '0' || s[ml] > '9') {
				plan->probes[i].listener_hit = true;
				break;
			}
	}
}

/* Did the operation take effect? */
static bool took_effect(const struct ward_st_probe *t)
{
	bool ok = t->has_result && !strcmp(t->err, "0");

	switch (t->effect) {
	case WARD_ST_EFFECT_RAN:
		return t->saw_ran;
	case WARD_ST_EFFECT_SUID:
		return t->gained_privs;
	case WARD_ST_EFFECT_NET:
		return ok || t->listener_hit;
	case WARD_ST_EFFECT_TTY:
		return t->has_result && strcmp(t->err, "EPERM") && strcmp(t->err, "ENOSYS") &&
		       strcmp(t->err, "?");
	case WARD_ST_EFFECT_POSITIVE:
		return t->has_result && t->ret > 0;
	case WARD_ST_EFFECT_COMPLETED:
		/* an exec'd program prints no RESULT line; a RESULT must say 0 */
		return !strcmp(t->status, "exit=0") && (!t->has_result || ok);
	case WARD_ST_EFFECT_RESULT:
	default:
		return ok;
	}
}

/* What stopped it when no event says: the errno or the signal. */
static void guess_layer(struct ward_st_probe *t)
{
	static const struct {
		const char *err, *layer;
	} map[] = {
		{"ENOENT", "mount view"},
		{"ENOTDIR", "mount view"},
		{"EROFS", "read-only mount"},
		{"EACCES", "landlock or DAC"},
		{"EPERM", "kernel (no capability)"},
		{"ENOSYS", "seccomp (ENOSYS)"},
		{"ESRCH", "pid namespace"},
		{"ECONNREFUSED", "network namespace"},
		{"ENETUNREACH", "network namespace"},
		{"EADDRNOTAVAIL", "network namespace"},
		{"ENOSPC", "kernel (namespace limit)"},
		{"EAGAIN", "cgroup pids"},
		{"ENOMEM", "cgroup memory"},
	};

	if (t->layer[0])
		return;
	if (!strncmp(t->status, "signal=", 7)) {
		snprintf(t->layer, sizeof(t->layer), "killed (SIG%s)", t->status + 7);
		return;
	}
	if (!t->has_result) {
		snprintf(t->layer, sizeof(t->layer), "%s",
			 t->ran && !t->t_end ? "the sandbox ended" : "?");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(t->err, map[i].err)) {
			snprintf(t->layer, sizeof(t->layer), "%s", map[i].layer);
			return;
		}
	snprintf(t->layer, sizeof(t->layer), "kernel (%s)", t->err);
}

static void verdict(struct ward_st_probe *t, enum ward_mode mode)
{
	t->skipped = t->expect == WARD_ST_SKIP;
	if (t->skipped) {
		t->pass = true;
		snprintf(t->why, sizeof(t->why), "%s", t->note);
		return;
	}
	if (t->has_result)
		snprintf(t->result, sizeof(t->result), "ret=%ld %s", t->ret, t->err);
	else if (t->status[0])
		snprintf(t->result, sizeof(t->result), "%s", t->status);
	else
		snprintf(t->result, sizeof(t->result), "%s", t->ran ? "sandbox ended" : "not run");
	if (t->saw_ran && t->effect != WARD_ST_EFFECT_COMPLETED)
		snprintf(t->result, sizeof(t->result), "%s",
			 t->gained_privs ? "ran, euid changed" : "ran");
	if (!t->ran) {
		t->pass = false;
		snprintf(t->why, sizeof(t->why), "the probe did not run");
		return;
	}
	t->done = took_effect(t);
	t->blocked = !t->done;
	if (t->expect == WARD_ST_ALLOW) {
		if (t->done && t->expect_text[0]) {
			/* every token of expect_text in the RESULT line */
			char want[96], *save = NULL;

			snprintf(want, sizeof(want), "%s", t->expect_text);
			for (char *tok = strtok_r(want, " ", &save); tok;
			     tok = strtok_r(NULL, " ", &save))
				if (!strstr(t->result_line, tok)) {
					t->pass = false;
					snprintf(t->why, sizeof(t->why),
						 "the cgroup shows %s, not %s", t->result_line,
						 t->expect_text);
					return;
				}
		}
		t->pass = t->done && t->n_violations == 0;
		snprintf(t->why, sizeof(t->why), "%s",
			 !t->done	   ? "allowed by the profile, but it did not work"
			 : t->n_violations ? "allowed by the profile, but reported as a violation"
					   : "allowed, worked, not reported");
		t->reported = t->n_violations > 0;
		return;
	}
	if (t->blocked && t->seccomp)
		snprintf(t->layer, sizeof(t->layer), "seccomp");
	if (t->blocked)
		guess_layer(t);
	if (mode == WARD_MODE_AUDIT) {
		/* audit lets it through: the report is what counts */
		t->pass = t->reported || !t->report_required;
		snprintf(t->why, sizeof(t->why), "%s",
			 t->pass ? "audit: reported" : "audit: not reported");
	} else if (!t->blocked) {
		t->pass = false;
		snprintf(t->why, sizeof(t->why), "not blocked%s%s", t->note[0] ? ": " : "",
			 t->note);
	} else if (t->report_required && !t->reported) {
		t->pass = false;
		snprintf(t->why, sizeof(t->why), "blocked, %s%s%s",
			 t->n_violations ? "reported but not as expected" : "not reported",
			 t->note[0] ? ": " : "", t->note);
	} else {
		t->pass = true;
		snprintf(t->why, sizeof(t->why), "%s",
			 t->reported ? "blocked and reported" : "blocked (nothing to report)");
	}
}

void ward_st_verdicts(struct ward_st_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		verdict(&plan->probes[i], plan->mode);
}
