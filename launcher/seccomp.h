/* SPDX-License-Identifier: MIT */
/* The seccomp filter (seccomp.c): built in the supervisor from the profile, loaded last in
 * the workload, answered by the supervisor (user notification). */
#pragma once

#include <seccomp.h>

#include "profile/profile.h"

struct ward_seccomp; /* built in the supervisor before clone, loaded in the workload */

/* ward_seccomp_build_flags() flags. */
enum {
	/* Tests only: every SCMP_ACT_NOTIFY (default and rules) becomes SCMP_ACT_ERRNO(EPERM), so a
	 * filter can be loaded in a forked child and observed without a supervisor. */
	WARD_SECCOMP_TEST_ERRNO = 1 << 0,
};

int ward_seccomp_build_flags(const struct ward_profile *p, unsigned flags,
			     struct ward_seccomp **ret, struct ward_error *err);

/* For `ward check` / the lifecycle event: what syscalls.import contributed. */
struct ward_seccomp_import_stats {
	size_t rules;	   /* syscall rules kept (after includes/excludes) */
	size_t unknown;	   /* names unknown on this architecture (skipped) */
	size_t excluded;   /* entries skipped by includes/excludes (arch, caps, minKernel) */
	size_t overridden; /* syscalls named by the profile, whose imported rules were ignored */
};
void ward_seccomp_import_stats(const struct ward_seccomp *sc,
			       struct ward_seccomp_import_stats *ret);

struct ward_sc_verdict {
	enum ward_sc_action action; /* DENY (report; EPERM or continue in audit) or KILL */
	const char *rule;	    /* "syscalls.deny: ptrace", "builtin: namespaces", ... */
	int err;		    /* errno to answer in enforce mode; 0: EPERM */
};
/* Builds the filter from the profile (and syscalls.import). Every syscall the profile denies
 * or kills goes to SECCOMP_RET_USER_NOTIF; execve, exit and exit_group are always allowed
 * (ward's own pre-exec path needs them). */
int ward_seccomp_build(const struct ward_profile *p, struct ward_seccomp **ret,
		       struct ward_error *err);
/* In the workload, last step before execve: loads the filter; returns the listener fd. */
int ward_seccomp_load(struct ward_seccomp *sc);
/* Supervisor: the compiled program in a sealed memfd; the workload loads it with
 * ward_seccomp_load_fd() (same return as ward_seccomp_load) without compiling again. */
int ward_seccomp_export(struct ward_seccomp *sc);
int ward_seccomp_load_fd(struct ward_seccomp *sc, int fd);
/* Supervisor: what to do with a notified syscall. */
void ward_seccomp_verdict(const struct ward_seccomp *sc, int nr, const uint64_t args[6],
			  struct ward_sc_verdict *ret);
void ward_seccomp_free(struct ward_seccomp *sc);
/* A notification from a foreign ABI (i386, x32)? Then its syscall name goes to name. */
bool ward_seccomp_foreign(uint32_t arch, int nr, char *name, size_t len);
/* "i386", "x32", "x86_64", ... of a notification's arch and number. */
const char *ward_seccomp_arch_name(uint32_t arch, int nr);
