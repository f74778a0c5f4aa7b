/* SPDX-License-Identifier: MIT */
/* Shared by launcher/cgroup.c and launcher/cgroup_mounts.c: the controllers ward limits and
 * where the host mounts their hierarchies. */
#pragma once

#include "launcher/cgroup.h"

#include <limits.h>
#include <stdbool.h>

enum { CG_MEMORY = 0, CG_PIDS, CG_CPU, CG_N };
_Static_assert(1u << CG_MEMORY == WARD_CGROUP_MISSING_MEMORY &&
		       1u << CG_PIDS == WARD_CGROUP_MISSING_PIDS &&
		       1u << CG_CPU == WARD_CGROUP_MISSING_CPU,
	       "missing bits");
extern const char *const ward_cg_ctrl_names[CG_N]; /* "memory", "pids", "cpu" */

struct cg_mounts {
	char v2[PATH_MAX];
	char v1[CG_N][PATH_MAX];
	char v1_root[CG_N][PATH_MAX]; /* the hierarchy's directory mounted there ("/" on a host) */
};

/* The cgroup mounts, from /proc/self/mountinfo (read once a process). */
int ward_cg_find_mounts(struct cg_mounts *m);
/* Does the v2 root at v2 offer controller ctrl (its cgroup.controllers, read once)? */
bool ward_cg_v2_offers(const char *v2, const char *ctrl);
/* Is word in list, between separators from seps (or the ends)? */
bool ward_cg_has_word(const char *list, const char *word, const char *seps);
