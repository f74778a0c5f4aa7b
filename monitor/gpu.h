/* SPDX-License-Identifier: MIT */
/* GPU and device classification (gpu.c). */
#pragma once

#include "common/log.h"
#include "profile/profile.h"

/* A device node that gpu.allow / --gpu puts into the sandbox: the host node under dev_root
 * (ward_hooks.dev_root, "/dev" normally) and where it appears inside, by one rule for the mount
 * view, Landlock and the monitors: /dev/<name>, /dev/dri/<name> for render nodes. */
struct ward_gpu_node {
	char *host;
	char *inside;
};
/* The GPU nodes of a profile, computed once by the orchestrator: an array ended by an entry
 * whose host is NULL, malloc'd (free with ward_gpu_nodes_free()); returns how many. */
int ward_gpu_nodes(const struct ward_profile *p, const char *dev_root,
		   struct ward_gpu_node **ret_nodes, struct ward_error *err);
void ward_gpu_nodes_free(struct ward_gpu_node *v); /* NULL ok */

/* gpu.c: device classification for device events. Majors that drivers register dynamically
 * are read from /proc/devices. */
struct ward_dev_majors {
	int nvidia_uvm, nvidia_caps, kfd, drm, accel; /* -1: not registered */
};
int ward_dev_majors_load(const char *proc_devices, struct ward_dev_majors *ret);
struct ward_devinfo {
	const char *cls;    /* "gpu", "memory", "block", "tty", "other" */
	const char *vendor; /* "nvidia", "amd", "intel/dri", "accel", "" */
	char name[32];	    /* "nvidia0", "nvidiactl", "renderD128", "mem", ... or "" */
	int gpu;	    /* GPU index for nvidia N, render node N-128, accel N; else -1 */
};
void ward_dev_classify(const struct ward_dev_majors *m, char dev_type, unsigned major,
		       unsigned minor, struct ward_devinfo *ret);
