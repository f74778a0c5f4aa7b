/* SPDX-License-Identifier: MIT */
/*
 * The protection layers of a sandbox, as the start event lists them ("layers": {"active",
 * "missing"}): two bitmasks over one name table, in the order they are listed.
 */
#pragma once

#include <stdint.h>

#include "common/json.h"

enum ward_layer {
	WARD_LAYER_USERNS,
	WARD_LAYER_PIDNS,
	WARD_LAYER_MNTNS,
	WARD_LAYER_NETNS,
	WARD_LAYER_IPCNS,
	WARD_LAYER_UTSNS,
	WARD_LAYER_CGROUPNS,
	WARD_LAYER_LANDLOCK, /* active: "landlock(abi N)" */
	WARD_LAYER_SECCOMP,
	WARD_LAYER_CAPS,
	WARD_LAYER_NO_NEW_PRIVS,
	WARD_LAYER_CGROUP, /* active: "cgroup(BACKEND)" */
	WARD_LAYER_CGROUP_MEMORY,
	WARD_LAYER_CGROUP_PIDS,
	WARD_LAYER_CGROUP_CPU,
	WARD_LAYER_TIMEOUT,
	WARD_LAYER_MEMFD_NOEXEC, /* vm.memfd_noexec=2 in the sandbox's pid namespace */
	WARD_LAYER_MONITORS_OFF, /* WARD_MONITORS=off */
	WARD_LAYER_VIEW_OFF,	 /* WARD_LAYERS_OFF=view */
	WARD_LAYER_MONITORS,
	WARD_LAYER_MONITORS_NETDEV, /* only the cgroup programs loaded */
	WARD_LAYER_MONITORS_FILES,  /* the syscall programs did not load */
	WARD_LAYER_MONITORS_FAILED, /* loading failed (--allow-degraded) */
	WARD_LAYER__N,
};

struct ward_layers {
	uint64_t active, missing;
	int landlock_abi;	    /* for "landlock(abi N)" */
	const char *cgroup_backend; /* for "cgroup(v2)" */
};

static inline void ward_layer_on(struct ward_layers *l, enum ward_layer x)
{
	l->active |= 1ull << x;
}
static inline void ward_layer_missing(struct ward_layers *l, enum ward_layer x)
{
	l->missing |= 1ull << x;
}
/* The name as listed: "landlock(abi 7)" when active, "landlock" when missing. */
const char *ward_layer_name(const struct ward_layers *l, enum ward_layer x, bool active, char *buf,
			    size_t len);
/* "a,b,c" of a mask, for messages. */
void ward_layers_join(const struct ward_layers *l, uint64_t mask, bool active, char *buf,
		      size_t len);
/* Appends "layers": {"active": [...], "missing": [...]} to j. */
void ward_layers_json(const struct ward_layers *l, struct ward_json *j);
