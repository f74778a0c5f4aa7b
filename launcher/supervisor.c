// SPDX-License-Identifier: MIT
/*
 * The supervisor's event loop: single-threaded epoll over the sync socket, init's pidfd,
 * a signalfd, the seccomp listener, the wall-clock timer, the BPF ring buffer and the sink.
 * It never blocks on any of them; a slow sink queues (sink.c), it does not stall us.
 */
#include "common/macro.h"
#include "common/missing.h"
#include "launcher/sandbox.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

enum { T_SYNC = 1, T_PIDFD, T_SIGNAL, T_NOTIFY, T_TIMER, T_MONITOR, T_SINK };

struct sup {
	struct ward_sandbox *sb;
	int ep, sfd, tfd;
	int wstatus; /* workload wait status from init, -1 unknown */
	bool init_gone;
	bool killed; /* we SIGKILLed the sandbox */
	bool timed_out;
	int term_stage; /* 0 none, 1 SIGTERM sent (grace running), 2 SIGKILL sent */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
};

static int ep_add(int ep, int fd, int tag, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.u32 = tag};

	if (fd < 0)
		return 0;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void kill_sandbox(struct sup *s)
{
	s->killed = true;
	kill(s->sb->init_pid, SIGKILL);
	ward_cgroup_kill(s->sb->cg);
}

static void lifecycle(struct ward_sandbox *sb, const char *what, const char *rule, bool violation)
{
	struct ward_json j;

	ward_event_begin(&sb->ev, &j, "lifecycle", violation ? "deny" : "allow", violation,
			 sb->init_pid, NULL, rule);
	ward_json_str(&j, "event", what);
	ward_event_emit(&sb->ev, &j);
}

static void handle_notify(struct sup *s)
{
	struct ward_sandbox *sb = s->sb;
	const bool audit = sb->profile->mode == WARD_MODE_AUDIT;
	struct ward_sc_verdict v = {.action = WARD_SC_DENY, .rule = "syscalls.default: deny"};
	char comm[32], hex[24];
	struct ward_json j;

	memset(s->req, 0, sizeof(*s->req));
	if (seccomp_notify_receive(sb->notify_fd, s->req) < 0)
		return; /* the caller died meanwhile (ENOENT) */
	ward_seccomp_verdict(sb->sc, s->req->data.nr, (const uint64_t *)s->req->data.args, &v);
	read_comm(s->req->pid, comm, sizeof(comm));

	const char *name = ward_syscall_name(s->req->data.nr);
	ward_event_begin(&sb->ev, &j, "syscall", audit ? "audit" : "deny", true, s->req->pid, comm,
			 v.rule);
	ward_json_str(&j, "syscall", name ? name : "unknown");
	ward_json_int(&j, "nr", s->req->data.nr);
	ward_json_array_open(&j, "args");
	for (int i = 0; i < 6; i++) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)s->req->data.args[i]);
		ward_json_str(&j, NULL, hex);
	}
	ward_json_array_close(&j);
	if (!audit && v.action == WARD_SC_KILL)
		ward_json_str(&j, "consequence", "sandbox killed");
	ward_event_emit(&sb->ev, &j);

	memset(s->resp, 0, sizeof(*s->resp));
	s->resp->id = s->req->id;
	if (audit) {
		/* Let the call proceed as if unfiltered (seccomp_unotify(2): safe here because
		 * we make no decision from memory the caller could change). */
		s->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		s->resp->error = -(v.err > 0 ? v.err : EPERM);
		if (v.action == WARD_SC_KILL)
			kill_sandbox(s);
	}
	seccomp_notify_respond(sb->notify_fd, s->resp);
}

static void handle_timer(struct sup *s)
{
	struct ward_sandbox *sb = s->sb;
	uint64_t n;
	struct itimerspec its = {0};
	uint64_t grace = sb->profile->grace_ns ? sb->profile->grace_ns : 5000000000ull;

	if (read(s->tfd, &n, sizeof(n)) < 0)
		return;
	if (s->term_stage == 0) {
		s->timed_out = true;
		lifecycle(sb, "timeout", "limits.wall", true);
		kill(sb->init_pid, SIGTERM); /* init forwards it to the workload */
		s->term_stage = 1;
		its.it_value.tv_sec = grace / 1000000000ull;
		its.it_value.tv_nsec = grace % 1000000000ull;
		timerfd_settime(s->tfd, 0, &its, NULL);
	} else if (s->term_stage == 1) {
		s->term_stage = 2;
		kill_sandbox(s);
	}
}

static void handle_sync(struct sup *s)
{
	struct ward_msg m;
	int fd = -1;

	if (ward_msg_recv(s->sb->sync_fd, &m, &fd) < 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, s->sb->sync_fd, NULL);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (m.type == WARD_MSG_EXIT)
		s->wstatus = m.code;
}

static int exit_status(struct sup *s, int init_status, int *ret_sig)
{
	*ret_sig = 0;
	if (s->wstatus != -1) {
		if (WIFEXITED(s->wstatus))
			return WEXITSTATUS(s->wstatus);
		if (WIFSIGNALED(s->wstatus)) {
			*ret_sig = WTERMSIG(s->wstatus);
			return 128 + *ret_sig;
		}
	}
	if (s->killed) {
		*ret_sig = SIGKILL;
		return 128 + SIGKILL;
	}
	/* init died before it could report: the workload died with the namespace */
	if (WIFSIGNALED(init_status)) {
		*ret_sig = WTERMSIG(init_status);
		return 128 + *ret_sig;
	}
	return WARD_EXIT_FAIL;
}

int ward_supervise(struct ward_sandbox *sb)
{
	struct sup s = {.sb = sb, .ep = -1, .sfd = -1, .tfd = -1, .wstatus = -1};
	const struct ward_profile *p = sb->profile;
	int init_status = 0, mon_fd = -1, sink_fd;
	sigset_t set;

	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0 || seccomp_notify_alloc(&s.req, &s.resp) < 0) {
		ward_log("supervisor setup: %s", strerror(errno));
		kill_sandbox(&s);
		waitpid(sb->init_pid, NULL, 0);
		return WARD_EXIT_FAIL;
	}
	sigemptyset(&set);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (p->wall_ns) {
		struct itimerspec its = {.it_value = {.tv_sec = p->wall_ns / 1000000000ull,
						      .tv_nsec = p->wall_ns % 1000000000ull}};
		s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s.tfd >= 0)
			timerfd_settime(s.tfd, 0, &its, NULL);
	}
	if (sb->mon)
		mon_fd = ward_monitor_fd(sb->mon);
	sink_fd = ward_sink_fd(sb->ev.sink);

	ep_add(s.ep, sb->sync_fd, T_SYNC, EPOLLIN);
	ep_add(s.ep, sb->init_pidfd, T_PIDFD, EPOLLIN);
	ep_add(s.ep, s.sfd, T_SIGNAL, EPOLLIN);
	ep_add(s.ep, sb->notify_fd, T_NOTIFY, EPOLLIN);
	ep_add(s.ep, s.tfd, T_TIMER, EPOLLIN);
	ep_add(s.ep, mon_fd, T_MONITOR, EPOLLIN);
	bool sink_polled =
		sink_fd >= 0 && ep_add(s.ep, sink_fd, T_SINK, EPOLLIN | EPOLLOUT | EPOLLET) == 0;

	while (!s.init_gone) {
		struct epoll_event evs[16];
		/* Events of this round go out before we sleep (stderr and file sinks batch them).
		 */
		ward_sink_commit(sb->ev.sink);
		/* The BPF ring buffer wakes us only in batches; a short timeout bounds how long
		 * an event can sit in it. */
		int n = epoll_wait(s.ep, evs, ARRAY_SIZE(evs),
				   mon_fd >= 0 ? WARD_MONITOR_POLL_MS : -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case T_SYNC:
				handle_sync(&s);
				break;
			case T_PIDFD:
				s.init_gone = true;
				break;
			case T_SIGNAL: {
				struct signalfd_siginfo si;
				while (read(s.sfd, &si, sizeof(si)) == sizeof(si))
					if (si.ssi_signo != SIGCHLD)
						kill(sb->init_pid, si.ssi_signo);
				break;
			}
			case T_NOTIFY:
				if (evs[i].events & EPOLLIN)
					handle_notify(&s);
				else if (evs[i].events & (EPOLLHUP | EPOLLERR))
					epoll_ctl(s.ep, EPOLL_CTL_DEL, sb->notify_fd, NULL);
				break;
			case T_TIMER:
				handle_timer(&s);
				break;
			case T_MONITOR:
				ward_monitor_poll(sb->mon);
				break;
			case T_SINK:
				ward_sink_handle(sb->ev.sink, evs[i].events);
				break;
			}
		}
		if (mon_fd >= 0)
			ward_monitor_poll(sb->mon);
	}
	/* init is gone: the whole pid namespace went with it. Collect what is left. */
	siginfo_t si = {0};
	if (syscall(SYS_waitid, P_PIDFD, sb->init_pidfd, &si, WEXITED, NULL) == 0) {
		if (si.si_code == CLD_EXITED)
			init_status = (si.si_status & 0xff) << 8;
		else
			init_status = si.si_status & 0x7f;
	} else {
		waitpid(sb->init_pid, &init_status, 0);
	}
	/* An EXIT message may still sit in the socket. */
	for (;;) {
		struct epoll_event e;
		struct ward_msg m;
		if (epoll_wait(s.ep, &e, 1, 0) <= 0 || e.data.u32 != T_SYNC)
			break;
		if (ward_msg_recv(sb->sync_fd, &m, NULL) < 0)
			break;
		if (m.type == WARD_MSG_EXIT)
			s.wstatus = m.code;
	}
	if (s.wstatus == -1) {
		struct ward_msg m;
		int fl = fcntl(sb->sync_fd, F_GETFL);
		fcntl(sb->sync_fd, F_SETFL, fl | O_NONBLOCK);
		while (ward_msg_recv(sb->sync_fd, &m, NULL) == 0)
			if (m.type == WARD_MSG_EXIT)
				s.wstatus = m.code;
	}
	if (mon_fd >= 0)
		ward_monitor_poll(sb->mon);

	uint64_t ooms = 0;
	if (ward_cgroup_oom_kills(sb->cg, &ooms) >= 0 && ooms > 0)
		lifecycle(sb, "oom", "limits.memory", true);

	int sig = 0;
	int status = exit_status(&s, init_status, &sig);
	struct ward_json j;
	ward_event_begin(&sb->ev, &j, "lifecycle", "allow", false, sb->init_pid, NULL, NULL);
	ward_json_str(&j, "event", "exit");
	ward_json_int(&j, "exit_code", status);
	ward_json_str(&j, "signal", sig ? ward_signal_name(sig) : NULL);
	ward_json_bool(&j, "timed_out", s.timed_out);
	ward_json_uint(&j, "oom_kills", ooms);
	ward_json_uint(&j, "duration_ms", (ward_now_ns() - sb->start_ns) / 1000000);
	/* this event included: the collector can check it has 1..events_produced */
	ward_json_uint(&j, "events_produced", sb->ev.seq);
	ward_json_uint(&j, "violations", sb->ev.violations);
	ward_json_uint(&j, "sink_dropped", ward_sink_dropped(sb->ev.sink));
	if (sb->mon)
		ward_monitor_finish(sb->mon, &j);
	ward_event_emit(&sb->ev, &j);
	(void)sink_polled;

	seccomp_notify_free(s.req, s.resp);
	if (s.sfd >= 0)
		close(s.sfd);
	if (s.tfd >= 0)
		close(s.tfd);
	close(s.ep);
	return status;
}
