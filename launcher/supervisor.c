// SPDX-License-Identifier: MIT
/*
 * The supervisor's event loop (common/loop.h): one callback per fd — the sync socket, init's
 * pidfd, a signalfd, the seccomp listener, the wall-clock timer, the BPF ring buffer, the sink.
 * It never blocks on any of them; a slow sink queues (sink.c), it does not stall us.
 */
#include "common/loop.h"
#include "common/macro.h"
#include "common/ns.h"
#include "common/missing.h"
#include "launcher/sandbox.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

struct sup {
	struct ward_sandbox *sb;
	struct ward_loop loop;
	struct ward_loop_source src_sync, src_pidfd, src_signal, src_notify, src_timer, src_mon,
		src_sink, src_tick;
	int sfd, tfd;
	int tickfd; /* 1 s, while a tmpfs is watched (tmpfs.c) */
	struct ward_tmpfs_watch tmpfs;
	int wstatus; /* workload wait status from init, -1 unknown */
	bool init_gone;
	bool killed; /* we SIGKILLed the sandbox */
	bool timed_out;
	bool respond_failed; /* a seccomp answer could not be given (reported once) */
	int term_stage;	     /* 0 none, 1 SIGTERM sent (grace running), 2 SIGKILL sent */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
};

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

static void syscall_args_json(struct ward_json *j, const struct seccomp_notif *req)
{
	ward_event_args(j, (const uint64_t *)req->data.args);
}

/*
 * A syscall of a foreign ABI (i386 int 0x80, x32), sent here by the filter's prefix whatever the
 * profile says: a second syscall table with other numbers, which no profile rule describes. It
 * is reported with its arch and its name in that ABI, then the process is killed, in audit
 * mode too (what the bad-arch action did before, silently). Killed before the answer, so the
 * call never runs; the id check first makes sure the pid still is that blocked thread.
 */
#define NS_FLAGS                                                                                   \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

static bool handle_foreign(struct sup *s)
{
	struct ward_sandbox *sb = s->sb;
	const struct seccomp_notif *req = s->req;
	char name[64], comm[32];
	struct ward_json j;

	if (!ward_seccomp_foreign(req->data.arch, req->data.nr, name, sizeof(name)))
		return false;
	read_comm(req->pid, comm, sizeof(comm));
	ward_event_begin(&sb->ev, &j, "syscall", "deny", true, req->pid, comm,
			 "builtin: foreign-abi");
	ward_json_str(&j, "syscall", name);
	ward_json_int(&j, "nr", req->data.nr);
	ward_json_str(&j, "arch", ward_seccomp_arch_name(req->data.arch, req->data.nr));
	syscall_args_json(&j, req);
	ward_json_str(&j, "consequence", "process killed");
	ward_event_emit(&sb->ev, &j);
	if (seccomp_notify_id_valid(sb->notify_fd, req->id) == 0)
		kill(req->pid, SIGKILL);
	memset(s->resp, 0, sizeof(*s->resp));
	s->resp->id = req->id;
	s->resp->error = -EPERM;
	(void)seccomp_notify_respond(sb->notify_fd, s->resp);
	return true;
}

static void handle_notify(struct sup *s)
{
	struct ward_sandbox *sb = s->sb;
	const bool audit = sb->profile->mode == WARD_MODE_AUDIT;
	struct ward_sc_verdict v = {.action = WARD_SC_DENY, .rule = "syscalls.default: deny"};
	char comm[32];
	struct ward_json j;

	memset(s->req, 0, sizeof(*s->req));
	if (seccomp_notify_receive(sb->notify_fd, s->req) < 0)
		return; /* the caller died meanwhile (ENOENT) */
	if (handle_foreign(s))
		return;
	ward_seccomp_verdict(sb->sc, s->req->data.nr, (const uint64_t *)s->req->data.args, &v);
	read_comm(s->req->pid, comm, sizeof(comm));

	const char *name = ward_syscall_name(s->req->data.nr);
	ward_event_begin(&sb->ev, &j, "syscall", audit ? "audit" : "deny", true, s->req->pid, comm,
			 v.rule);
	ward_json_str(&j, "syscall", name ? name : "unknown");
	ward_json_int(&j, "nr", s->req->data.nr);
	syscall_args_json(&j, s->req);
	/* the namespaces asked for, as the syscall-exit monitor names them for clone3 */
	if (name && (!strcmp(name, "unshare") || !strcmp(name, "clone")) &&
	    (s->req->data.args[0] & NS_FLAGS))
		ward_json_namespaces(&j, "namespaces", s->req->data.args[0] & NS_FLAGS);
	else if (name && !strcmp(name, "setns") && (s->req->data.args[1] & NS_FLAGS))
		ward_json_namespaces(&j, "namespaces", s->req->data.args[1] & NS_FLAGS);
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
	/* Its failure, seen again by the syscall-exit monitor, is this same report. */
	if (!audit && sb->mon)
		ward_monitor_seccomp_answered(sb->mon, s->req->pid, s->req->data.nr);
	/* ENOENT: the caller died (or was killed by us) before the answer, nothing to do. Any
	 * other failure leaves a thread blocked in the kernel: say so, once. */
	if (seccomp_notify_respond(sb->notify_fd, s->resp) < 0 && errno != ENOENT &&
	    !s->respond_failed) {
		s->respond_failed = true;
		ward_log("answering a notified syscall (%s): %m", name ? name : "unknown");
	}
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
		ward_loop_del(&s->loop, &s->src_sync);
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

static int on_sync(struct ward_loop_source *src, uint32_t events)
{
	handle_sync(src->data);
	return 0;
}

static int on_pidfd(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;

	s->init_gone = true;
	return 0;
}

static int on_signal(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			kill(s->sb->init_pid, si.ssi_signo);
	return 0;
}

static int on_notify(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;

	if (events & EPOLLIN)
		handle_notify(s);
	else if (events & (EPOLLHUP | EPOLLERR))
		ward_loop_del(&s->loop, src);
	return 0;
}

static int on_timer(struct ward_loop_source *src, uint32_t events)
{
	handle_timer(src->data);
	return 0;
}

static int on_tick(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;
	uint64_t n;

	if (read(s->tickfd, &n, sizeof(n)) > 0)
		ward_tmpfs_watch_check(&s->tmpfs, s->sb);
	return 0;
}

static int on_monitor(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;

	ward_monitor_poll(s->sb->mon);
	return 0;
}

static int on_sink(struct ward_loop_source *src, uint32_t events)
{
	struct sup *s = src->data;

	ward_sink_handle(s->sb->ev.sink, events);
	return 0;
}

/* Registers fd (nothing when it is -1). */
static int watch(struct sup *s, struct ward_loop_source *src, int fd, uint32_t events,
		 ward_loop_fn fn)
{
	*src = (struct ward_loop_source){.fd = fd, .events = events, .fn = fn, .data = s};
	return fd < 0 ? 0 : ward_loop_add(&s->loop, src);
}

/* The end of the sync socket: an EXIT message may still sit in it. */
static void drain_sync(struct sup *s)
{
	int fd = s->sb->sync_fd;
	int fl = fcntl(fd, F_GETFL);
	struct ward_msg m;

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (ward_msg_recv(fd, &m, NULL) == 0)
		if (m.type == WARD_MSG_EXIT)
			s->wstatus = m.code;
}

void ward_exit_event(struct ward_sandbox *sb, int status, int sig, bool timed_out, uint64_t ooms)
{
	struct ward_json j;

	ward_event_begin(&sb->ev, &j, "lifecycle", "allow", false, sb->init_pid, NULL, NULL);
	ward_json_str(&j, "event", "exit");
	ward_json_int(&j, "exit_code", status);
	ward_json_str(&j, "signal", sig ? ward_signal_name(sig) : NULL);
	ward_json_bool(&j, "timed_out", timed_out);
	ward_json_uint(&j, "oom_kills", ooms);
	ward_json_uint(&j, "duration_ms", (ward_now_ns() - sb->start_ns) / 1000000);
	/* this event included: the collector can check it has 1..events_produced */
	ward_json_uint(&j, "events_produced", sb->ev.seq);
	ward_json_uint(&j, "violations", sb->ev.violations);
	ward_json_uint(&j, "sink_dropped", ward_sink_dropped(sb->ev.sink));
	if (sb->mon)
		ward_monitor_finish(sb->mon, &j);
	ward_event_emit(&sb->ev, &j);
}

int ward_supervise(struct ward_sandbox *sb)
{
	struct sup s = {
		.sb = sb, .loop = {.epfd = -1}, .sfd = -1, .tfd = -1, .tickfd = -1, .wstatus = -1};
	const struct ward_profile *p = sb->profile;
	int init_status = 0, mon_fd = -1, sink_fd, r;
	bool sink_polled;
	sigset_t set;

	/* Fail closed: without the signalfd ward could neither forward signals nor notice them;
	 * without the notification buffers no denied syscall would be answered. */
	ward_forwarded_sigset(&set);
	r = ward_loop_init(&s.loop);
	if (r >= 0 && seccomp_notify_alloc(&s.req, &s.resp) < 0)
		r = -ENOMEM;
	if (r >= 0) {
		s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (s.sfd < 0)
			r = -errno;
	}
	if (r >= 0 && p->wall_ns) {
		struct itimerspec its = {.it_value = {.tv_sec = p->wall_ns / 1000000000ull,
						      .tv_nsec = p->wall_ns % 1000000000ull}};
		s.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s.tfd < 0 || timerfd_settime(s.tfd, 0, &its, NULL) < 0)
			r = -errno;
	}
	if (sb->mon)
		mon_fd = ward_monitor_fd(sb->mon);
	sink_fd = ward_sink_fd(sb->ev.sink);
	if (r >= 0)
		r = watch(&s, &s.src_sync, sb->sync_fd, EPOLLIN, on_sync);
	if (r >= 0)
		r = watch(&s, &s.src_pidfd, sb->init_pidfd, EPOLLIN, on_pidfd);
	if (r >= 0)
		r = watch(&s, &s.src_signal, s.sfd, EPOLLIN, on_signal);
	if (r >= 0)
		r = watch(&s, &s.src_notify, sb->notify_fd, EPOLLIN, on_notify);
	if (r >= 0)
		r = watch(&s, &s.src_timer, s.tfd, EPOLLIN, on_timer);
	if (r >= 0)
		r = watch(&s, &s.src_mon, mon_fd, EPOLLIN, on_monitor);
	/* Best effort: a tmpfs that cannot be watched is only not reported when full. */
	if (r >= 0 && ward_tmpfs_watch_open(&s.tmpfs, sb) == 0 && s.tmpfs.n) {
		struct itimerspec its = {.it_value = {.tv_sec = 1}, .it_interval = {.tv_sec = 1}};

		s.tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s.tickfd >= 0 && timerfd_settime(s.tickfd, 0, &its, NULL) == 0)
			watch(&s, &s.src_tick, s.tickfd, EPOLLIN, on_tick);
	}
	if (r < 0) {
		ward_log("supervisor setup: %s", strerror(-r));
		kill_sandbox(&s);
		waitpid(sb->init_pid, NULL, 0);
		r = WARD_EXIT_FAIL;
		goto out;
	}
	/* A sink that cannot be polled is driven on every round instead. */
	sink_polled = watch(&s, &s.src_sink, sink_fd, EPOLLIN | EPOLLOUT | EPOLLET, on_sink) == 0;

	while (!s.init_gone) {
		/* Events of this round go out before we sleep (stderr and file sinks batch them).
		 */
		ward_sink_commit(sb->ev.sink);
		/* The BPF ring buffer wakes us only in batches; a short timeout bounds how long
		 * an event can sit in it. */
		r = ward_loop_run_once(&s.loop,
				       mon_fd >= 0 || !sink_polled ? WARD_MONITOR_POLL_MS : -1);
		if (r < 0) {
			ward_log("supervisor: epoll_wait: %s", strerror(-r));
			break;
		}
		if (mon_fd >= 0)
			ward_monitor_poll(sb->mon);
		if (!sink_polled && sink_fd >= 0)
			ward_sink_handle(sb->ev.sink, EPOLLIN | EPOLLOUT);
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
	drain_sync(&s);
	if (mon_fd >= 0)
		ward_monitor_poll(sb->mon);

	ward_tmpfs_watch_check(&s.tmpfs, sb);

	uint64_t ooms = 0;
	if (ward_cgroup_oom_kills(sb->cg, &ooms) >= 0 && ooms > 0)
		lifecycle(sb, "oom", "limits.memory", true);

	uint64_t pids_hits = 0;
	if (ward_cgroup_pids_max_hits(sb->cg, &pids_hits) >= 0 && pids_hits > 0) {
		struct ward_json j;

		ward_event_begin(&sb->ev, &j, "lifecycle", "deny", true, sb->init_pid, NULL,
				 "limits.pids");
		ward_json_str(&j, "event", "pids_limit");
		ward_json_uint(&j, "refused", pids_hits);
		ward_event_emit(&sb->ev, &j);
	}

	int sig = 0;
	int status = exit_status(&s, init_status, &sig);
	ward_exit_event(sb, status, sig, s.timed_out, ooms);
	r = status;
out:
	if (s.req)
		seccomp_notify_free(s.req, s.resp);
	if (s.sfd >= 0)
		close(s.sfd);
	if (s.tfd >= 0)
		close(s.tfd);
	if (s.tickfd >= 0)
		close(s.tickfd);
	ward_tmpfs_watch_close(&s.tmpfs);
	ward_loop_close(&s.loop);
	return r;
}
