/* SPDX-License-Identifier: MIT */
/* GPU and device classification (gpu.c). */
#pragma once

#include "common/log.h"
#include "profile/profile.h"

/* Device nodes the profile's gpu.allow / --gpu puts into the sandbox's /dev, as host paths
 * under dev_root ("/dev" normally), NULL-terminated, malloc'd; the caller frees. */
int ward_gpu_nodes(const struct ward_profile *p, const char *dev_root, char ***ret_paths,
		   struct ward_error *err);

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
