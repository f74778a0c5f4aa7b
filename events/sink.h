/* SPDX-License-Identifier: MIT */
/* Event sinks (sink.c): stderr, none, file:PATH, unix:PATH (a collector, with a spool). */
#pragma once

#include <stdint.h>

#include "common/log.h"

struct ward_sink; /* sink.c: stderr, none, file:PATH, unix:PATH */
int ward_sink_open(const char *spec, const char *sandbox_id, struct ward_sink **ret,
		   struct ward_error *err);
/* Writes one JSON line (without the newline). Never blocks the caller for long. */
int ward_sink_write(struct ward_sink *s, const char *line, size_t len);
/* A batch boundary, after each supervisor round (before it waits): writes the lines buffered
 * by a stderr or file sink; a unix: sink whose collector is unreachable writes its queue
 * ahead to the spool, so a ward killed now loses at most the lines since the last call. */
int ward_sink_commit(struct ward_sink *s);
/* Flushes queued events (at exit): waits at most timeout_ms for a slow collector. */
int ward_sink_flush(struct ward_sink *s, int timeout_ms);
void ward_sink_close(struct ward_sink *s);
/* An fd the supervisor polls for the sink (-1 if none) and the handler to call when ready. */
int ward_sink_fd(struct ward_sink *s);
int ward_sink_handle(struct ward_sink *s, uint32_t epoll_events);
/* Counters for the final lifecycle event. A unix: sink whose collector is unreachable first
 * spools what it can and drops (counts) what the spool cannot take, so the count is final. */
uint64_t ward_sink_dropped(struct ward_sink *s);
/* 1 when a unix: sink has a live connection to the collector (events.require_collector:
 * refuse to start when 0); always 1 for stderr, none and file sinks. */
int ward_sink_connected(struct ward_sink *s);
