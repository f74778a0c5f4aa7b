// SPDX-License-Identifier: MIT
#include "common/loop.h"
#include "common/macro.h"

#include <sys/epoll.h>

#define LOOP_BATCH 32

int ward_loop_init(struct ward_loop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void ward_loop_close(struct ward_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int ward_loop_add(struct ward_loop *l, struct ward_loop_source *src)
{
	struct epoll_event e = {.events = src->events, .data.ptr = src};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, src->fd, &e) < 0 ? -errno : 0;
}

int ward_loop_mod(struct ward_loop *l, struct ward_loop_source *src, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = src};

	if (events == src->events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, src->fd, &e) < 0)
		return -errno;
	src->events = events;
	return 0;
}

int ward_loop_del(struct ward_loop *l, struct ward_loop_source *src)
{
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL) < 0 ? -errno : 0;
}

int ward_loop_run_once(struct ward_loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	int n = epoll_wait(l->epfd, ev, LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ward_loop_source *src = ev[i].data.ptr;
		int r = src->fn(src, ev[i].events);

		if (r < 0)
			return r;
	}
	return n;
}
