/* SPDX-License-Identifier: MIT */
/* What a container runtime withholds that ward needs, as a fix to append to an error. */
#pragma once

enum ward_container_step {
	WARD_CONTAINER_CGROUP,	/* creating the sandbox cgroups */
	WARD_CONTAINER_CLONE,	/* clone3 with the new namespaces */
	WARD_CONTAINER_MONITORS /* loading or attaching the BPF monitors */
};
/* A sentence naming the missing piece and the runtime's option that gives it, for a failure
 * r (-errno) of step; "" when the failure has nothing to do with a container runtime. */
const char *ward_container_hint(enum ward_container_step step, int r);
/* The same for the sandbox's /proc: a new proc instance refused (mount.c). */
const char *ward_container_proc_hint(int r);
/* The same for a sysctl of the sandbox that cannot be written (EROFS: a read-only /proc/sys). */
const char *ward_container_sysctl_hint(int r);
