/* SPDX-License-Identifier: MIT */
/* The profile's view as a set of path prefixes (pathset.c), as the file monitor judges them. */
#pragma once

#include <linux/types.h>

#include "ward/events.h"
#include "common/path.h"
#include "profile/profile.h"

struct ward_path_entry {
	char *path;	  /* normalized, absolute, as seen in the sandbox */
	int cls;	  /* enum ward_path_class (include/ward/events.h) */
	bool exact;	  /* matches only the path itself (SKEL parents, device nodes) */
	const char *list; /* "filesystem.readonly", ... for the event's rule */
	size_t len;	  /* strlen(path): classify compares lengths before bytes */
};
struct ward_pathset {
	struct ward_path_entry *v;
	size_t n;
};
/* The view of a profile: its filesystem lists, --bind targets, extra device nodes (GPU nodes
 * as seen in the sandbox, may be NULL), what every sandbox has (/proc, /dev/pts, /dev/shm...)
 * and the directories above all of them. */
int ward_pathset_build(const struct ward_profile *p, char *const *extra_devices,
		       struct ward_pathset *ret);
/* Class of a normalized absolute path: deny anywhere above wins, else the longest match;
 * ret_entry (may be NULL) gets the deciding entry or NULL. */
int ward_pathset_classify(const struct ward_pathset *s, const char *path,
			  const struct ward_path_entry **ret_entry);
/* Would this access be a violation? write: the operation may modify the path. */
bool ward_path_violation(int cls, bool write);
void ward_pathset_free(struct ward_pathset *s);
