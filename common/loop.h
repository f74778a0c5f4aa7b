/* SPDX-License-Identifier: MIT */
/*
 * One epoll loop for the supervisor and the collector: each registered fd maps to a callback
 * through epoll's data.ptr (as sysklogd's socket registry does), so neither daemon dispatches
 * through a switch on a source type.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ward_loop;
struct ward_loop_source;

/* Called with the ready epoll events; a negative return stops ward_loop_run_once() and is
 * returned by it. */
typedef int (*ward_loop_fn)(struct ward_loop_source *src, uint32_t events);

struct ward_loop_source {
	int fd;
	uint32_t events; /* EPOLLIN, EPOLLOUT... as registered */
	ward_loop_fn fn;
	void *data; /* the owner's context */
};

struct ward_loop {
	int epfd;
};

int ward_loop_init(struct ward_loop *l);
void ward_loop_close(struct ward_loop *l);
/* Registers src (which must outlive its registration) for src->events. A callback may delete
 * and free its own source; one that frees another source must defer it (the ready list of the
 * current batch may still name it). */
int ward_loop_add(struct ward_loop *l, struct ward_loop_source *src);
/* Changes the events src is polled for (no call when they are unchanged). */
int ward_loop_mod(struct ward_loop *l, struct ward_loop_source *src, uint32_t events);
int ward_loop_del(struct ward_loop *l, struct ward_loop_source *src);
/* Waits at most timeout_ms (-1: forever) and calls the callback of every ready source:
 * the number of sources dispatched (0 on timeout or EINTR), or the first negative return. */
int ward_loop_run_once(struct ward_loop *l, int timeout_ms);
