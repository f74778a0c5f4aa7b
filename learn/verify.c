// SPDX-License-Identifier: MIT
/*
 * The replay's verdict: the same exit status, the same stdout (FNV-1a 64 and length) and no
 * violation event. On a difference the violations are printed, one line each (at most 40),
 * since they are what explains it: an entry the profile lacks.
 */
#include "common/macro.h"
#include "learn/internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

static const char *field(json_t *ev, const char *k)
{
	json_t *v = json_object_get(ev, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* kind, the rule that decided, and what was asked for, in one line. */
static void print_violation(json_t *ev, FILE *out)
{
	const char *kind = field(ev, "kind"), *what = NULL;
	char buf[512] = "";

	if (!kind)
		kind = "?";
	if (!strcmp(kind, "syscall"))
		what = field(ev, "syscall");
	else if (!strcmp(kind, "net")) {
		json_t *port = json_object_get(ev, "port");
		int o = snprintf(buf, sizeof(buf), "%s %s", field(ev, "op") ? field(ev, "op") : "?",
				 field(ev, "addr") ? field(ev, "addr") : "?");
		if (json_is_integer(port) && o > 0 && (size_t)o < sizeof(buf))
			snprintf(buf + o, sizeof(buf) - (size_t)o, ":%" JSON_INTEGER_FORMAT,
				 json_integer_value(port));
		what = buf;
	} else
		what = field(ev, "path");
	fprintf(out, "  %s %s: %s (%s, %s%s%s)\n", kind,
		field(ev, "action") ? field(ev, "action") : "?", what ? what : "?",
		field(ev, "comm") ? field(ev, "comm") : "?",
		field(ev, "rule") ? field(ev, "rule") : "no rule", field(ev, "errno") ? ", " : "",
		field(ev, "errno") ? field(ev, "errno") : "");
}

int learn_verify(const struct learn_run *learned, const struct learn_run *replay,
		 const char *events, FILE *out)
{
	_cleanup_fclose_ FILE *f = fopen(events, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, violations = 0, shown = 0;
	ssize_t n;

	while (f && (n = getline(&line, &cap, f)) > 0) {
		json_t *ev = json_loadb(line, (size_t)n, 0, NULL);
		if (json_is_true(json_object_get(ev, "violation")))
			violations++;
		json_decref(ev);
	}
	bool same_exit = learned->status == replay->status;
	bool same_out =
		learned->out_hash == replay->out_hash && learned->out_bytes == replay->out_bytes;
	bool ok = same_exit && same_out && violations == 0 && f;

	fprintf(out,
		"ward learn: verify: exit %d %s %d, output %016" PRIx64 " (%" PRIu64 " bytes) %s "
		"%016" PRIx64 " (%" PRIu64 " bytes), %zu violations: %s\n",
		replay->status, same_exit ? "=" : "!=", learned->status, replay->out_hash,
		replay->out_bytes, same_out ? "=" : "!=", learned->out_hash, learned->out_bytes,
		violations, ok ? "OK" : "FAILED");
	if (ok || !f)
		return ok ? 0 : 1;
	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0 && shown < 40) {
		json_t *ev = json_loadb(line, (size_t)n, 0, NULL);
		if (json_is_true(json_object_get(ev, "violation"))) {
			if (!shown)
				fprintf(out,
					"ward learn: the replay's violations (what the profile "
					"lacks):\n");
			print_violation(ev, out);
			shown++;
		}
		json_decref(ev);
	}
	if (violations > shown)
		fprintf(out, "  ... and %zu more in %s\n", violations - shown, events);
	if (!violations)
		fprintf(out, "ward learn: no violation: the workload behaved differently under "
			     "enforcement (a refused write, a missing network?) or is not "
			     "deterministic\n");
	return 1;
}
