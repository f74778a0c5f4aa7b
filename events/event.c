// SPDX-License-Identifier: MIT
/* The common event envelope (docs/events.md): time, sandbox, seq, host, kind, action... */
#include "common/macro.h"
#include "events/event.h"
#include "events/sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ward_format_time(char buf[40], const struct timespec *ts)
{
	/* A burst of events shares its second: gmtime_r and strftime once a second. */
	static __thread time_t last_sec = -1;
	static __thread char last[32];
	static __thread size_t last_n;
	long ns = ts->tv_nsec;

	if (ts->tv_sec != last_sec) {
		struct tm tm;

		if (!gmtime_r(&ts->tv_sec, &tm)) {
			snprintf(buf, 40, "1970-01-01T00:00:00.000000000Z");
			return;
		}
		last_n = strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = ts->tv_sec;
	}
	memcpy(buf, last, last_n);
	/* ".NNNNNNNNNZ" without snprintf */
	buf[last_n] = '.';
	for (int i = 9; i >= 1; i--) {
		buf[last_n + i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	buf[last_n + 10] = 'Z';
	buf[last_n + 11] = 0;
}

#define WARD_EVENT_CLOCK_EVERY 4096

/* The envelope's constant members, escaped once (ev->env). */
static void envelope_build(struct ward_events *ev)
{
	struct ward_json *e = &ev->env;

	ward_json_init(e);
	ward_json_append(e, "\",\"sandbox\":", 12);
	ward_json_escape(e, ev->sandbox, strlen(ev->sandbox));
	ward_json_append(e, ",\"seq\":", 7);
	ev->env_mid = e->len;
	ward_json_append(e, ",\"host\":", 8);
	ward_json_escape(e, ev->host, strlen(ev->host));
	ward_json_append(e, ",\"kind\":", 8);
	if (e->oom)
		ward_json_free(e);
}

void ward_event_begin(struct ward_events *ev, struct ward_json *j, const char *kind,
		      const char *action, bool violation, pid_t pid, const char *comm,
		      const char *rule)
{
	ward_event_begin_at(ev, j, 0, kind, action, violation, pid, comm, rule);
}

void ward_event_begin_at(struct ward_events *ev, struct ward_json *j, uint64_t mono_ns,
			 const char *kind, const char *action, bool violation, pid_t pid,
			 const char *comm, const char *rule)
{
	struct timespec ts;
	char t[40];

	ward_json_init(j);
	if (ev->jbuf) {
		j->buf = ev->jbuf;
		j->cap = ev->jcap;
		ev->jbuf = NULL;
		ev->jcap = 0;
	}
	j->violation = violation;
	if (mono_ns) {
		/* realtime = mono_ns + (realtime - monotonic): the offset moves only when the
		 * clock is set or slewed, so read both clocks once per WARD_EVENT_CLOCK_EVERY
		 * events rather than twice per event (a burst: 2% of the supervisor) */
		if (ev->clock_uses == 0) {
			struct timespec mono;

			clock_gettime(CLOCK_REALTIME, &ts);
			clock_gettime(CLOCK_MONOTONIC, &mono);
			ev->clock_off = ((int64_t)ts.tv_sec - mono.tv_sec) * 1000000000ll +
					(ts.tv_nsec - mono.tv_nsec);
		}
		ev->clock_uses = (ev->clock_uses + 1) % WARD_EVENT_CLOCK_EVERY;
		int64_t real = (int64_t)mono_ns + ev->clock_off;
		if (real < 0)
			real = 0;
		ts.tv_sec = (time_t)(real / 1000000000ll);
		ts.tv_nsec = (long)(real % 1000000000ll);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
	}
	if (!ev->env.buf && !ev->env.oom)
		envelope_build(ev);
	ward_format_time(t, &ts);
	ward_json_open(j);
	if (!ev->env.oom) {
		ward_json_append(j, "\"time\":\"", 8);
		ward_json_append(j, t, strlen(t));
		ward_json_append(j, ev->env.buf, ev->env_mid);
		ward_json_uint(j, NULL, ++ev->seq);
		ward_json_append(j, ev->env.buf + ev->env_mid, ev->env.len - ev->env_mid);
		ward_json_escape(j, kind, strlen(kind));
	} else {
		ward_json_str(j, "time", t);
		ward_json_str(j, "sandbox", ev->sandbox);
		ward_json_uint(j, "seq", ++ev->seq);
		ward_json_str(j, "host", ev->host);
		ward_json_str(j, "kind", kind);
	}
	ward_json_str(j, "action", action);
	ward_json_bool(j, "violation", violation);
	if (pid > 0)
		ward_json_int(j, "pid", pid);
	if (comm)
		ward_json_str(j, "comm", comm);
	if (rule)
		ward_json_str(j, "rule", rule);
}

int ward_event_emit(struct ward_events *ev, struct ward_json *j)
{
	int r;

	ward_json_close(j);
	if (j->oom)
		r = -ENOMEM;
	else if (j->depth != 0)
		r = -EINVAL; /* a nested array or object left open: a bug in the caller */
	else if (!ev->sink)
		r = -ENOTCONN;
	else
		r = ward_sink_write(ev->sink, j->buf, j->len);
	if (r >= 0) {
		ev->produced++;
		if (j->violation)
			ev->violations++;
	} else {
		ev->failed++;
	}
	if (!j->oom && j->buf && !ev->jbuf) {
		/* kept for the next event */
		ev->jbuf = j->buf;
		ev->jcap = j->cap;
		j->buf = NULL;
		j->len = j->cap = 0;
	} else {
		ward_json_free(j);
	}
	return r < 0 ? r : 0;
}

void ward_events_release(struct ward_events *ev)
{
	free(ev->jbuf);
	ev->jbuf = NULL;
	ev->jcap = 0;
	ward_json_free(&ev->env);
	ev->env.oom = false;
}

void ward_event_args(struct ward_json *j, const uint64_t args[6])
{
	char hex[24];

	ward_json_array_open(j, "args");
	for (int i = 0; i < 6; i++) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)args[i]);
		ward_json_str(j, NULL, hex);
	}
	ward_json_array_close(j);
}
