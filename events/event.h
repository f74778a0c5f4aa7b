/* SPDX-License-Identifier: MIT */
/* The event emitter (event.c): the common envelope of every event, docs/events.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/json.h"

struct ward_sink;

/* Event emitter: owns the sequence counter and the common fields. */
struct ward_events {
	char sandbox[64];
	char host[256];
	uint64_t seq;	   /* last seq used; first event is 1 */
	uint64_t produced; /* events handed to the sink */
	uint64_t violations;
	struct ward_sink *sink;
	uint64_t failed; /* events begun but not handed to the sink (no memory, sink error) */
	char *jbuf;	 /* the last event's buffer, reused by the next (no malloc per event) */
	size_t jcap;
	/* What is constant around seq, built at the first event (sandbox and host are set
	 * before it): `","sandbox":"..","seq":` then `,"host":"..","kind":`, env_mid bytes
	 * apart; env.oom: escaped per event instead. */
	struct ward_json env;
	size_t env_mid;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, read again every WARD_EVENT_CLOCK_EVERY events */
	int64_t clock_off;
	unsigned clock_uses;
};
/* Frees what the emitter keeps between events. */
void ward_events_release(struct ward_events *ev);
/* Begins an event with the common fields (time, sandbox, seq, host, kind, action, violation,
 * pid, comm, rule); the caller adds kind-specific fields, then calls ward_event_emit().
 * action: "allow", "deny" or "audit"; pid <= 0 and comm NULL are omitted. */
void ward_event_begin(struct ward_events *ev, struct ward_json *j, const char *kind,
		      const char *action, bool violation, pid_t pid, const char *comm,
		      const char *rule);
/* The same for something that happened at mono_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns()):
 * the event's time is then when the kernel saw it, not when the supervisor read the record. */
void ward_event_begin_at(struct ward_events *ev, struct ward_json *j, uint64_t mono_ns,
			 const char *kind, const char *action, bool violation, pid_t pid,
			 const char *comm, const char *rule);
int ward_event_emit(struct ward_events *ev, struct ward_json *j);
/* "args": the six raw syscall arguments as lower-case hex strings (they may exceed 2^53). */
void ward_event_args(struct ward_json *j, const uint64_t args[6]); /* closes, writes, frees */
/* RFC 3339 UTC with nanoseconds: "2026-11-25T20:09:04.123456789Z" */
void ward_format_time(char buf[40], const struct timespec *ts);
