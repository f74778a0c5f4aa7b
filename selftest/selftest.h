/* SPDX-License-Identifier: MIT */
/*
 * `ward selftest`: hostile probes run inside a sandbox built from a profile exactly as
 * `ward run` builds it (docs/selftest.md). main.c runs the sandboxes, probes.c holds the probe
 * table and computes what each probe must do under a profile, judge.c matches the probes'
 * results with the events, report.c prints the table, the JSON document and the event.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

struct ward_events;

/* Inside the sandbox: the probe directory, bound read-only. */
#define WARD_SELFTEST_DIR   "/ward-selftest"
#define WARD_SELFTEST_PROBE WARD_SELFTEST_DIR "/probe"
#define WARD_SELFTEST_SUID  WARD_SELFTEST_DIR "/probe-suid"

enum ward_st_class {
	WARD_ST_FILES = 0,
	WARD_ST_EXEC,
	WARD_ST_NETWORK,
	WARD_ST_DEVICES,
	WARD_ST_ESCAPES,
	WARD_ST_LIMITS,
	WARD_ST_CLASS_N
};

enum ward_st_expect {
	WARD_ST_BLOCK = 0, /* the profile must stop it, and ward must report it */
	WARD_ST_ALLOW,	   /* the profile explicitly allows it: it must work, with no violation */
	WARD_ST_SKIP,	   /* cannot be tried here (nothing to aim at), said why */
};

/* How a probe's own output tells that the hostile operation took effect. */
enum ward_st_effect {
	WARD_ST_EFFECT_RESULT = 0, /* RESULT errno=0 */
	WARD_ST_EFFECT_RAN,	   /* the exec'd program ran: WST-RAN (or id's "uid=") printed */
	WARD_ST_EFFECT_SUID,	   /* WST-RAN with euid != uid: privileges were gained */
	WARD_ST_EFFECT_NET,	   /* RESULT errno=0, or the selftest's listener got the marker */
	WARD_ST_EFFECT_TTY,	   /* the ioctl reached the kernel (anything but EPERM/ENOSYS) */
	WARD_ST_EFFECT_POSITIVE,   /* RESULT ret > 0 (i386 getpid) */
	WARD_ST_EFFECT_COMPLETED,  /* the operation finished (limits: it was not stopped) */
};

/* Sandboxes of their own: a probe that kills the sandbox or changes the limits. */
enum ward_st_box {
	WARD_ST_BOX_CLASS = 0, /* the class's shared sandbox */
	WARD_ST_BOX_ALONE,     /* a sandbox of its own (syscalls.kill ends the sandbox) */
	WARD_ST_BOX_MEMORY,    /* limits.memory scaled to WARD_ST_MEMORY_MB */
	WARD_ST_BOX_WALL,      /* limits.wall scaled to WARD_ST_WALL_MS */
};
#define WARD_ST_MEMORY_MB 64
#define WARD_ST_WALL_MS	  1000

/* Facts about the host and the run the expectations depend on (main.c fills them; unit tests
 * make them up). */
struct ward_st_host {
	int tcp_port, tcp6_port, udp_port; /* the selftest's loopback listeners; 0: none */
	int allowed_port;		   /* a listener on the port network.allow names; 0: none */
	int free_port;			   /* a loopback port nothing listens on (bind probe) */
	int allowed_bind_port;		   /* the port network.allow lets it bind, free here */
	char abstract_name[108];	   /* @name of the selftest's abstract socket */
	char unix_path[256];		   /* the selftest's path socket on the host */
	int host_pid;			   /* the selftest's own pid (outside the sandbox) */
	bool have_suid;			   /* a set-uid copy of the probe is in the probe dir */
	bool have_i386;			   /* the kernel runs 32-bit syscalls (IA32 emulation) */
	/* the host's view: what a path is (stat); NULL: nothing exists */
	int (*exists)(const char *path, void *data); /* 'f', 'd', 'c', 's', 'o' or 0 */
	void *exists_data;
	char gpu_path[64];    /* a GPU node of the host the profile does not allow; "" none */
	char gpu_allowed[64]; /* a GPU node the profile allows and the host has; "" none */
};

#define WARD_ST_ARGS 8
struct ward_st_probe {
	const char *name; /* "files.deny-read" */
	enum ward_st_class cls;
	char what[160];		      /* what it tries, for the table */
	char *argv[WARD_ST_ARGS + 1]; /* the probe's operation and arguments (owned) */
	enum ward_st_expect expect;
	bool report_required;	 /* a violation event must name it */
	const char *report_kind; /* the event kind that reports it; NULL: any */
	char report_rule[96];	 /* a substring of the event's rule; "" any */
	enum ward_st_effect effect;
	enum ward_st_box box;
	char note[200]; /* why it is skipped, what the profile gets wrong, or what is pending */
	const char *lifecycle; /* a lifecycle event that reports it (pids_limit, oom, timeout) */
	char marker[32];       /* the network marker the listener looks for */
	int id;		       /* index, also the child's name wst-ID */

	char expect_text[96]; /* tokens the probe's RESULT must show (lim.cgroup-view) */

	/* what the runner saw (judge.c) */
	uint64_t t_begin, t_end; /* CLOCK_REALTIME ns */
	bool has_result;
	long ret;
	char err[24]; /* errno name of the RESULT line, "0" */
	char result_line[200];
	bool saw_ran;	   /* WST-RAN or id's "uid=" printed */
	bool gained_privs; /* WST-RAN with euid != uid */

	/* results (judge.c) */
	bool ran;	   /* BEGIN/END seen */
	bool done;	   /* the operation took effect */
	bool blocked;	   /* !done */
	bool reported;	   /* a matching violation event */
	int n_violations;  /* violation events attributed to it */
	char status[32];   /* END's exit=N / signal=NAME */
	char result[160];  /* ret/errno of its RESULT line, or what happened */
	char layer[64];	   /* the layer that stopped it, best guess */
	char event[160];   /* the matching event: kind and rule */
	bool listener_hit; /* the selftest's listener received the marker */
	bool seccomp;	   /* a seccomp (syscall) event is among its violations */
	bool pass;
	bool skipped;
	char why[400]; /* the verdict's reason */
};

struct ward_st_plan {
	struct ward_st_probe *probes;
	size_t n;
	enum ward_mode mode;
};

extern const char *const ward_st_class_names[WARD_ST_CLASS_N];
/* "files,exec" -> class bits; -EINVAL on an unknown name. */
int ward_st_parse_classes(const char *list, unsigned *ret_mask);

/* probes.c: the port network.allow names narrowly for op on 127.0.0.1 (host mode), or 0. */
int ward_st_allowed_port(const struct ward_profile *p, enum ward_net_op op);
/* probes.c: the probes of the classes in mask, with their expectations under profile p. */
int ward_st_plan_build(const struct ward_profile *p, const struct ward_st_host *h, unsigned mask,
		       struct ward_st_plan *ret);
void ward_st_plan_free(struct ward_st_plan *plan);

/* judge.c: feeds the runner's output and the events of one sandbox, then decides. */
int ward_st_judge_output(struct ward_st_plan *plan, const char *out_text);
int ward_st_judge_events(struct ward_st_plan *plan, const char *events_text, bool box_alone,
			 int box_probe);
void ward_st_judge_listener(struct ward_st_plan *plan, const char *received);
void ward_st_verdicts(struct ward_st_plan *plan);

/* report.c */
struct ward_st_summary {
	size_t total, passed, failed, skipped, blocked, reported, allowed_ok;
};
void ward_st_summarize(const struct ward_st_plan *plan, struct ward_st_summary *ret);
void ward_st_report_table(const struct ward_st_plan *plan, const char *profile, FILE *f);
void ward_st_report_json(const struct ward_st_plan *plan, const char *profile, uint64_t duration_ms,
			 int exit_code, FILE *f);
/* The `selftest` event for the collector. */
void ward_st_report_event(const struct ward_st_plan *plan, const char *profile,
			  uint64_t duration_ms, int exit_code, struct ward_events *ev);

/* main.c: `ward selftest ...` */
int ward_selftest_main(int argc, char **argv);
