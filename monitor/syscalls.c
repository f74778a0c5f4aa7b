// SPDX-License-Identifier: MIT
/*
 * Syscall records of the syscall-exit monitor: refused namespace creations (clone3's flags
 * read from user memory) and signals that found no process (a host pid guessed), and the
 * notes of what seccomp already answered, so that an attempt is one event.
 */
#include "common/macro.h"
#include "common/ns.h"
#include "common/syscall.h"
#include "monitor/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void ward_monitor_seccomp_answered(struct ward_monitor *m, pid_t tid, int nr)
{
	if (!m)
		return;
	m->answered_live += (nr != -1) - (m->answered[m->answered_next].nr != -1);
	m->answered[m->answered_next] = (struct ward_answered){.tid = (uint32_t)tid, .nr = nr};
	m->answered_next = (m->answered_next + 1) % WARD_ANSWERED_N;
}

/* Was this failed syscall answered by seccomp (and so reported already)? Consumes the note:
 * a thread blocks in its notified syscall until answered, so each answer matches at most
 * the one sys_exit record that follows it. */
bool ward_monitor_seccomp_reported(struct ward_monitor *m, uint32_t tid, int nr)
{
	/* a burst of failed opens asks for every record: most often nothing is noted */
	for (unsigned i = 0; m->answered_live && i < WARD_ANSWERED_N; i++) {
		struct ward_answered *a = &m->answered[i];

		if (a->nr == nr && a->tid == tid) {
			a->nr = -1;
			m->answered_live--;
			return true;
		}
	}
	return false;
}

/* A refused namespace creation or join (clone3's flags read from user memory): a syscall
 * violation naming the namespaces; seccomp never saw the flags of clone3, and the kernel
 * (user.max_*_namespaces = 0, capabilities) refused it. */
int ward_monitor_handle_ns(struct ward_monitor *m, const struct ward_ns_rec *r, size_t size)
{
	char comm[17], rule[128];
	const char *name;
	struct ward_json j;
	int err;

	if (size < sizeof(*r))
		return -EBADMSG;
	name = ward_syscall_name(r->nr);
	/* denied by seccomp (by name or builtin): the supervisor reported it already */
	if (ward_monitor_seccomp_reported(m, r->h.tid, (int)r->nr))
		return 0;
	err = r->ret < 0 ? (int)-r->ret : 0;
	snprintf(rule, sizeof(rule), "builtin: namespaces (%s)",
		 err == ENOSPC			 ? "user.max_*_namespaces = 0"
		 : err == EPERM || err == EACCES ? "no capability in the sandbox"
						 : "refused by the kernel");
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "syscall",
			    m->p->mode == WARD_MODE_AUDIT ? "audit" : "deny", true, r->h.pid, comm,
			    rule);
	ward_json_str(&j, "syscall", name ? name : "unknown");
	ward_json_int(&j, "nr", r->nr);
	ward_event_args(&j, (const uint64_t *)r->args);
	ward_json_namespaces(&j, "namespaces", r->flags);
	ward_monitor_result_fields(&j, r->ret);
	return ward_event_emit(m->ev, &j);
}

/* A signal (kill, tkill, tgkill, rt_*sigqueueinfo) or pidfd_open that found no such process
 * (ESRCH): the pid namespace hid its target. A pid above any the sandbox's namespace has
 * handed out, that exists on the host, is an attempt on a process outside the sandbox; a pid
 * the sandbox once had (a child it reaped) is its own business. */
int ward_monitor_handle_signal(struct ward_monitor *m, const struct ward_ns_rec *r, size_t size)
{
	char comm[17], p[64];
	const char *name;
	unsigned long target, next;
	struct ward_json j;
	struct stat st;

	if (size < sizeof(*r))
		return -EBADMSG;
	/* flags: the next pid the sandbox's pid namespace hands out (idr_next) */
	target = (unsigned long)r->args[0];
	next = (unsigned long)r->flags;
	snprintf(p, sizeof(p), "/proc/%lu", target);
	if (!next || target < next || stat(p, &st) < 0)
		return 0;
	if (ward_monitor_seccomp_reported(m, r->h.tid, (int)r->nr))
		return 0;
	name = ward_syscall_name(r->nr);
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "syscall",
			    m->p->mode == WARD_MODE_AUDIT ? "audit" : "deny", true, r->h.pid, comm,
			    "pid namespace: a process outside the sandbox");
	ward_json_str(&j, "syscall", name ? name : "unknown");
	ward_json_int(&j, "nr", r->nr);
	ward_event_args(&j, (const uint64_t *)r->args);
	ward_monitor_result_fields(&j, r->ret);
	return ward_event_emit(m->ev, &j);
}
