// SPDX-License-Identifier: MIT
/*
 * Test and benchmark client for the collector (built by tests/integration/collector_*.sh and
 * bench/collector.sh, linked with launcher/sink.c so it sends exactly as a launcher does).
 *   send SOCK SANDBOX COUNT [FIRST_SEQ [FLUSH_MS [DELAY_US]]]
 *        COUNT events through the real unix sink (queue, spool, acks); exit 0 when all were
 *        acknowledged within FLUSH_MS, 3 when some are left in the spool
 *   bench SOCK SANDBOX COUNT [WINDOW]
 *        raw protocol, pipelined (at most WINDOW lines unacknowledged, default 4000): prints
 * events/s and the latency from send() to the collector's ack (sent after the line is in the output
 * file) idle SOCK N SECONDS holds N idle connections open
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/cgroup.h"
#include "launcher/seccomp.h"

#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmd_send(int argc, char **argv)
{
	struct ward_events ev = {0};
	struct ward_error err;
	char spec[200];
	long count = atol(argv[3]);
	uint64_t first = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
	int flush_ms = argc > 5 ? atoi(argv[5]) : 10000;
	long delay_us = argc > 6 ? atol(argv[6]) : 0;
	int r;

	snprintf(ev.sandbox, sizeof(ev.sandbox), "%s", argv[2]);
	snprintf(ev.host, sizeof(ev.host), "testhost");
	ev.seq = first - 1;
	snprintf(spec, sizeof(spec), "unix:%s", argv[1]);
	if (ward_sink_open(spec, ev.sandbox, &ev.sink, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		struct ward_json j;
		bool last = i == count - 1;

		if (last) {
			ward_event_begin(&ev, &j, "lifecycle", "allow", false, getpid(), "client",
					 NULL);
			ward_json_str(&j, "event", "exit");
			ward_json_uint(&j, "events_produced", ev.seq); /* this one included */
		} else {
			ward_event_begin(&ev, &j, "syscall", "deny", true, getpid(), "client",
					 "syscalls.deny: ptrace");
			ward_json_str(&j, "syscall", "ptrace");
			ward_json_int(&j, "nr", 101);
			ward_json_array_open(&j, "args");
			for (int a = 0; a < 6; a++)
				ward_json_str(&j, NULL, "0x0");
			ward_json_array_close(&j);
		}
		if (ward_event_emit(&ev, &j) < 0)
			fprintf(stderr, "emit failed\n");
		ward_sink_handle(ev.sink, 0);
		if (delay_us)
			usleep((useconds_t)delay_us);
	}
	r = ward_sink_flush(ev.sink, flush_ms);
	printf("produced=%" PRIu64 " dropped=%" PRIu64 " flushed=%s\n", ev.produced,
	       ward_sink_dropped(ev.sink), r == 0 ? "yes" : "no");
	ward_sink_close(ev.sink);
	return r == 0 ? 0 : 3;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv)
{
	long count = atol(argv[3]);
	int fd = connect_unix(argv[1]);
	uint64_t *sent = calloc((size_t)count, sizeof(*sent)), *lat = calloc((size_t)count, 8);
	char *buf = malloc(1 << 20), ack[4096];
	long next = 0, acked = 0, window = argc > 4 ? atol(argv[4]) : 4000;
	size_t alen = 0;
	uint64_t t0 = now_ns(), t1;
	struct timespec ts;
	char tbuf[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	ward_format_time(tbuf, &ts);
	while (acked < count) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		size_t len = 0;

		/* keep at most window lines in flight, as a launcher's queue would */
		while (next < count && next - acked < window && len < (1 << 20) - 512) {
			len += (size_t)snprintf(
				buf + len, 512,
				"{\"time\":\"%s\",\"sandbox\":\"%s\",\"seq\":%ld,"
				"\"host\":\"bench\",\"kind\":\"syscall\",\"action\":"
				"\"deny\",\"violation\":true,\"pid\":1234,\"comm\":"
				"\"python3\",\"rule\":\"syscalls.deny: ptrace\","
				"\"syscall\":\"ptrace\",\"nr\":101,\"args\":[\"0x10\","
				"\"0x1\",\"0x0\",\"0x0\",\"0x0\",\"0x0\"]}\n",
				tbuf, argv[2], next + 1);
			sent[next++] = now_ns();
		}
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, buf + off, len - off);

			if (n <= 0) {
				perror("write");
				return 1;
			}
			off += (size_t)n;
		}
		if (poll(&p, 1, len ? 0 : 5000) <= 0 && !len) {
			fprintf(stderr, "bench: no ack for 5 s\n");
			return 1;
		}
		if (!(p.revents & POLLIN))
			continue;
		ssize_t n = read(fd, ack + alen, sizeof(ack) - 1 - alen);
		if (n <= 0) {
			fprintf(stderr, "bench: connection closed\n");
			return 1;
		}
		alen += (size_t)n;
		ack[alen] = 0;
		char *s = ack, *nl;
		while ((nl = strchr(s, '\n'))) {
			long a = atol(s + 4);
			uint64_t t = now_ns();

			for (; acked < a && acked < count; acked++)
				lat[acked] = t - sent[acked];
			s = nl + 1;
		}
		alen = strlen(s);
		memmove(ack, s, alen);
	}
	t1 = now_ns();
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	printf("events=%ld secs=%.3f rate=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f\n", count,
	       (double)(t1 - t0) / 1e9, (double)count / ((double)(t1 - t0) / 1e9),
	       (double)lat[count / 2] / 1e3, (double)lat[count * 99 / 100] / 1e3,
	       (double)lat[count - 1] / 1e3);
	return 0;
}

static int cmd_idle(int argc, char **argv)
{
	int n = atoi(argv[2]);

	for (int i = 0; i < n; i++)
		connect_unix(argv[1]);
	printf("connected=%d\n", n);
	fflush(stdout);
	sleep((unsigned)atoi(argv[3]));
	return 0;
}

int main(int argc, char **argv)
{
	ward_test_hooks_read(); /* WARD_SPOOL_DIR, as ward's main() reads it */
	if (argc >= 5 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 1, argv + 1);
	if (argc >= 5 && strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc - 1, argv + 1);
	fprintf(stderr, "usage: collector_client send SOCK SANDBOX COUNT [FIRST_SEQ [FLUSH_MS "
			"[DELAY_US]]]\n"
			"       collector_client bench SOCK SANDBOX COUNT [WINDOW]\n"
			"       collector_client idle SOCK N SECONDS\n");
	return 2;
}
