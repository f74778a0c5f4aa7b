// SPDX-License-Identifier: MIT
/*
 * ward collector: receives event lines from many launchers on Unix sockets, authenticates
 * them (SO_PEERCRED), validates and de-duplicates them, writes them to an NDJSON file and
 * forwards them to syslog and Falco-format HTTP receivers. docs/collector.md has the manual.
 *
 * One thread, one epoll loop (common/loop.h), non-blocking everywhere: a slow or hostile
 * client can only waste its own buffer (bounded by the 64 KiB line cap), never stall the
 * others. This file holds the loop and the lifecycle; config.c the options, conn.c the
 * launcher connections, batching and acknowledgements, http.c the counters endpoint.
 *
 * Launchers keep lines until acknowledged (conn.c), so a collector killed at any point loses
 * nothing; the de-duplication state that drops the resent lines is rebuilt at start-up from
 * the tail of the output file.
 */
#include "common/macro.h"
#include "collector/collector.h"
#include "collector/internal.h"

#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#define RECOVER_BYTES	(8u << 20) /* output tail read to rebuild de-duplication state */
#define SPOOL_SCAN_MS	5000
#define DEDUP_IDLE_S	86400
#define DEDUP_EXPIRE_MS 60000
#define TIMER_NS	100000000 /* 100 ms */
#define FWD_DRAIN_MS	2000	  /* what forward targets get at exit */

/* ---- forward targets in the epoll set ------------------------------------------------------- */

static int on_fwd(struct ward_loop_source *src, uint32_t events)
{
	struct col_fwd_reg *fr = col_container_of(src, struct col_fwd_reg, src);

	col_fwd_handle(fr->f, events, ward_now_coarse_ms());
	return 0;
}

/* Follows each target's connection: its fd changes on reconnect, its events with its state. */
static void fwd_update(struct col_daemon *d)
{
	for (size_t i = 0; i < d->fw.n; i++) {
		struct col_fwd_reg *fr = &d->fregs[i];
		uint32_t ev;
		int fd = col_fwd_fd(fr->f, &ev);

		if (fd == fr->src.fd && ev == fr->src.events)
			continue;
		if (fr->src.fd >= 0 && fr->src.fd != fd)
			ward_loop_del(&d->loop, &fr->src); /* may be closed already */
		/* the same number may be a new socket (closed, reconnected): then MOD fails */
		if (fd >= 0 && (fd != fr->src.fd || ward_loop_mod(&d->loop, &fr->src, ev) < 0)) {
			fr->src.fd = fd;
			fr->src.events = ev;
			ward_loop_add(&d->loop, &fr->src);
		}
		fr->src.fd = fd;
		fr->src.events = ev;
	}
}

/* ---- signals and the timer ------------------------------------------------------------------ */

static int on_signal(struct ward_loop_source *src, uint32_t events)
{
	struct col_daemon *d = src->data;
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct ward_error err;

			if (d->out.path && col_output_reopen(&d->out, &err) < 0)
				ward_log("SIGHUP: %s", err.msg);
			else
				ward_log_info("SIGHUP: output reopened");
		} else {
			d->stop = true;
		}
	}
	return 0;
}

static int on_timer(struct ward_loop_source *src, uint32_t events)
{
	struct col_daemon *d = src->data;
	uint64_t ticks, now = ward_now_coarse_ms();

	if (read(src->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return 0;
	for (size_t i = 0; i < d->fw.n; i++)
		col_fwd_tick(d->fw.v[i], now);
	if (now - d->last_spool_ms >= SPOOL_SCAN_MS) {
		d->last_spool_ms = now;
		col_spool_scan(d);
	}
	if (now - d->last_expire_ms >= DEDUP_EXPIRE_MS) {
		d->last_expire_ms = now;
		col_dedup_expire(d->dedup, now / 1000, DEDUP_IDLE_S);
	}
	col_http_expire(d, now);
	col_conn_tick(d, now);
	ward_log_flush_suppressed();
	return 0;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static int setup_loop(struct col_daemon *d)
{
	struct itimerspec its = {.it_interval = {0, TIMER_NS}, .it_value = {0, TIMER_NS}};
	struct rlimit rl;
	sigset_t mask;
	int r;

	/* one fd per launcher: take the hard limit (systemd's default is 1024 soft) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	r = ward_loop_init(&d->loop);
	if (r < 0)
		return r;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig = (struct ward_loop_source){
		.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC),
		.events = EPOLLIN,
		.fn = on_signal,
		.data = d,
	};
	d->timer = (struct ward_loop_source){
		.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		.events = EPOLLIN,
		.fn = on_timer,
		.data = d,
	};
	if (d->sig.fd < 0 || d->timer.fd < 0 || timerfd_settime(d->timer.fd, 0, &its, NULL) < 0)
		return -errno;
	if ((r = ward_loop_add(&d->loop, &d->sig)) < 0 ||
	    (r = ward_loop_add(&d->loop, &d->timer)) < 0)
		return r;
	return 0;
}

static int setup_output(struct col_daemon *d)
{
	struct ward_error err;
	int r;

	r = col_dedup_new(&d->dedup);
	if (r < 0)
		return r;
	d->out.fd = -1;
	d->out.path = strcmp(d->o.output, "none") == 0 ? NULL : d->o.output;
	d->out.rotate_size = d->o.rotate_size;
	d->out.rotate_keep = d->o.rotate_keep;
	d->out.fsync_batch = d->o.fsync_batch;
	r = col_output_open(&d->out, &err);
	if (r < 0) {
		ward_log("%s", err.msg);
		return r;
	}
	r = col_output_recover(&d->out, d->dedup, RECOVER_BYTES);
	if (r < 0)
		ward_log_warning("output %s: reading its tail for de-duplication: %s", d->out.path,
				 strerror(-r));
	return 0;
}

static int setup_forward(struct col_daemon *d)
{
	struct ward_error err;
	int r;

	d->fw.v = calloc(d->o.n_forward + 1, sizeof(*d->fw.v));
	d->fregs = calloc(d->o.n_forward + 1, sizeof(*d->fregs));
	if (!d->fw.v || !d->fregs)
		return -ENOMEM;
	for (size_t i = 0; i < d->o.n_forward; i++) {
		r = col_fwd_new(d->o.forward[i], &d->fw.v[i], &err);
		if (r < 0) {
			ward_log("%s", err.msg);
			return r;
		}
		d->fregs[i].src = (struct ward_loop_source){.fd = -1, .fn = on_fwd, .data = d};
		d->fregs[i].f = d->fw.v[i];
		d->fw.n++;
	}
	return 0;
}

static int setup(struct col_daemon *d)
{
	int r;

	d->mlis.fd = -1;
	if ((r = setup_loop(d)) < 0 || (r = setup_output(d)) < 0 || (r = setup_forward(d)) < 0 ||
	    (r = col_conn_setup(d)) < 0 || (r = col_http_setup(d)) < 0)
		return r;
	return 0;
}

/* Gives forward targets a moment to take what is queued. Only their fds stay in the loop:
 * the others would be ready (the timer every 100 ms) and turn the wait into a busy loop. */
static void drain_forward(struct col_daemon *d)
{
	uint64_t until = ward_now_coarse_ms() + FWD_DRAIN_MS;

	ward_loop_del(&d->loop, &d->sig);
	ward_loop_del(&d->loop, &d->timer);
	for (size_t i = 0; i < d->n_lis; i++)
		ward_loop_del(&d->loop, &d->lis[i].src);
	if (d->mlis.fd >= 0)
		ward_loop_del(&d->loop, &d->mlis);
	for (struct col_conn *c = d->conns; c; c = c->next)
		ward_loop_del(&d->loop, &c->src);
	for (unsigned i = 0; i < d->n_mconn; i++)
		ward_loop_del(&d->loop, &d->mconns[i]->src);
	while (ward_now_coarse_ms() < until) {
		bool busy = false;

		for (size_t i = 0; i < d->fw.n; i++) {
			uint64_t s, dr, q, r;

			col_fwd_counters(d->fw.v[i], &s, &dr, &q, &r);
			busy |= q > 0;
			col_fwd_tick(d->fw.v[i], ward_now_coarse_ms());
		}
		if (!busy)
			break;
		fwd_update(d);
		ward_loop_run_once(&d->loop, 50);
	}
}

static void teardown(struct col_daemon *d)
{
	col_flush_output(d);
	drain_forward(d);
	col_conn_teardown(d);
	col_http_teardown(d);
	for (size_t i = 0; i < d->fw.n; i++)
		col_fwd_free(d->fw.v[i]);
	free(d->fw.v);
	free(d->fregs);
	col_output_close(&d->out);
	col_dedup_free(d->dedup);
	col_buf_free(&d->batch);
	close(d->sig.fd);
	close(d->timer.fd);
	ward_loop_close(&d->loop);
}

int ward_collector_main(int argc, char **argv)
{
	static struct col_daemon d; /* large, and one per process */
	int r;

	ward_log_setup("ward collector", WARD_LOG_INFO);
	/* Partial lines (up to 64 KiB each, one per connection) come and go with clients; from
	 * the heap, glibc kept a 1,000-connection peak after they closed (26 of 61 MB). From
	 * 32 KiB up they are mmap()ed and go back to the kernel on free(); a fixed threshold
	 * also stops glibc from raising it after the first such free (mallopt(3)). */
	mallopt(M_MMAP_THRESHOLD, 32 << 10);
	memset(&d, 0, sizeof(d));
	r = col_config_parse(&d.o, argc, argv);
	if (r != 0) {
		col_config_free(&d.o);
		return r > 0 ? 0 : 2;
	}
	r = setup(&d);
	if (r < 0) {
		ward_log("start-up failed: %s", strerror(-r));
		col_config_free(&d.o);
		return 1;
	}
	ward_log_info("listening on %s%s, output %s, %zu forward target(s)", d.o.listen[0],
		      d.o.n_listen > 1 ? " (and more)" : "", d.out.path ? d.out.path : "none",
		      d.fw.n);
	d.last_spool_ms = ward_now_coarse_ms();
	col_spool_scan(&d);
	col_flush_output(&d);

	while (!d.stop) {
		r = ward_loop_run_once(&d.loop, d.batch.len ? 100 : 1000);
		if (r < 0) {
			ward_log("epoll_wait: %s", strerror(-r));
			break;
		}
		col_flush_output(&d);
		col_conn_reap(&d);
		col_http_reap(&d);
		/* new messages for an idle target go out now, not on the next timer tick */
		for (size_t i = 0; i < d.fw.n; i++)
			col_fwd_tick(d.fw.v[i], ward_now_coarse_ms());
		fwd_update(&d);
	}
	ward_log_info("stopping");
	teardown(&d);
	col_config_free(&d.o);
	return 0;
}
