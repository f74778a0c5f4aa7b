// SPDX-License-Identifier: MIT
/*
 * GPU and device classification for device events, and the GPU nodes gpu.allow / --gpu puts
 * into the sandbox's /dev.
 *
 * Fixed majors (Documentation/admin-guide/devices.txt and the drivers): 1 memory devices,
 * 4/5 and 136-143 terminals, 195 NVIDIA (minor N = GPU N, 254 nvidia-modeset, 255 nvidiactl),
 * 226 DRM (card N from 0, render nodes from 128), 261 accel. nvidia-uvm, nvidia-caps and AMD's
 * kfd register a dynamic major, read from /proc/devices.
 */
#include "common/macro.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAJOR_MEM    1
#define MAJOR_NVIDIA 195
#define MAJOR_DRM    226
#define MAJOR_ACCEL  261

int ward_dev_majors_load(const char *proc_devices, struct ward_dev_majors *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	bool chr = false;

	if (!ret)
		return -EINVAL;
	*ret = (struct ward_dev_majors){-1, -1, -1, MAJOR_DRM, MAJOR_ACCEL};
	f = fopen(proc_devices ? proc_devices : "/proc/devices", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		int major;

		if (strncmp(line, "Character devices:", 18) == 0) {
			chr = true;
			continue;
		}
		if (strncmp(line, "Block devices:", 14) == 0) {
			chr = false;
			continue;
		}
		if (!chr || sscanf(line, "%d %127s", &major, name) != 2)
			continue;
		if (strcmp(name, "nvidia-uvm") == 0)
			ret->nvidia_uvm = major;
		else if (strcmp(name, "nvidia-caps") == 0)
			ret->nvidia_caps = major;
		else if (strcmp(name, "kfd") == 0)
			ret->kfd = major;
		else if (strcmp(name, "drm") == 0)
			ret->drm = major;
		else if (strcmp(name, "accel") == 0)
			ret->accel = major;
	}
	return 0;
}

void ward_dev_classify(const struct ward_dev_majors *m, char dev_type, unsigned major,
		       unsigned minor, struct ward_devinfo *ret)
{
	static const struct ward_dev_majors fixed = {-1, -1, -1, MAJOR_DRM, MAJOR_ACCEL};
	static const char *const mem_names[] = {"",	  "mem",     "kmem", "null",
						"port",	  "zero",    "core", "full",
						"random", "urandom", "aio",  "kmsg"};

	if (!m)
		m = &fixed;
	*ret = (struct ward_devinfo){.cls = "other", .vendor = "", .gpu = -1};
	if (dev_type == 'b') {
		ret->cls = "block";
		return;
	}
	if (dev_type != 'c')
		return;
	if (major == MAJOR_MEM) {
		ret->cls = "memory";
		if (minor < ARRAY_SIZE(mem_names))
			snprintf(ret->name, sizeof(ret->name), "%s", mem_names[minor]);
	} else if (major == 4 || major == 5 || (major >= 136 && major <= 143)) {
		ret->cls = "tty";
		if (major == 5 && minor == 2)
			snprintf(ret->name, sizeof(ret->name), "ptmx");
		else if (major == 5 && minor == 0)
			snprintf(ret->name, sizeof(ret->name), "tty");
		else if (major >= 136)
			snprintf(ret->name, sizeof(ret->name), "pts/%u",
				 (major - 136) * 256 + minor);
	} else if (major == MAJOR_NVIDIA) {
		ret->cls = "gpu";
		ret->vendor = "nvidia";
		if (minor == 255) {
			snprintf(ret->name, sizeof(ret->name), "nvidiactl");
		} else if (minor == 254) {
			snprintf(ret->name, sizeof(ret->name), "nvidia-modeset");
		} else {
			ret->gpu = minor;
			snprintf(ret->name, sizeof(ret->name), "nvidia%u", minor);
		}
	} else if (m->nvidia_uvm >= 0 && major == (unsigned)m->nvidia_uvm) {
		ret->cls = "gpu";
		ret->vendor = "nvidia";
		snprintf(ret->name, sizeof(ret->name),
			 minor == 0 ? "nvidia-uvm" : "nvidia-uvm-tools");
	} else if (m->nvidia_caps >= 0 && major == (unsigned)m->nvidia_caps) {
		ret->cls = "gpu";
		ret->vendor = "nvidia";
		snprintf(ret->name, sizeof(ret->name), "nvidia-cap%u", minor);
	} else if (m->kfd >= 0 && major == (unsigned)m->kfd) {
		ret->cls = "gpu";
		ret->vendor = "amd";
		snprintf(ret->name, sizeof(ret->name), "kfd");
	} else if (m->drm >= 0 && major == (unsigned)m->drm) {
		ret->cls = "gpu";
		ret->vendor = "intel/dri";
		if (minor >= 128) {
			ret->gpu = minor - 128;
			snprintf(ret->name, sizeof(ret->name), "renderD%u", minor);
		} else {
			snprintf(ret->name, sizeof(ret->name), "card%u", minor);
		}
	} else if (m->accel >= 0 && major == (unsigned)m->accel) {
		ret->cls = "gpu";
		ret->vendor = "accel";
		ret->gpu = minor;
		snprintf(ret->name, sizeof(ret->name), "accel%u", minor);
	}
}

struct nodelist {
	struct ward_gpu_node *v;
	size_t n;
};

/* inside: "/dev" or "/dev/dri", where the sandbox has the nodes of dir. */
static int nodelist_add(struct nodelist *l, const char *dir, const char *inside, const char *name)
{
	struct ward_gpu_node *v, g = {0};

	for (size_t i = 0; i < l->n; i++) {
		const char *base = strrchr(l->v[i].host, '/');

		if (base && strcmp(base + 1, name) == 0 &&
		    strncmp(l->v[i].host, dir, strlen(dir)) == 0)
			return 0;
	}
	if (asprintf(&g.host, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (asprintf(&g.inside, "%s/%s", inside, name) < 0) {
		free(g.host);
		return -ENOMEM;
	}
	v = realloc(l->v, (l->n + 2) * sizeof(*v));
	if (!v) {
		free(g.host);
		free(g.inside);
		return -ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = g;
	l->v[l->n] = (struct ward_gpu_node){0};
	return 0;
}

void ward_gpu_nodes_free(struct ward_gpu_node *v)
{
	for (size_t i = 0; v && v[i].host; i++) {
		free(v[i].host);
		free(v[i].inside);
	}
	free(v);
}

/* Adds dir/name when it exists and is a character device. */
static int add_if_chr(struct nodelist *l, const char *dir, const char *inside, const char *name)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	return nodelist_add(l, dir, inside, name);
}

static bool is_nvidia_gpu_name(const char *n)
{
	if (strncmp(n, "nvidia", 6) != 0 || !n[6])
		return false;
	for (n += 6; *n; n++)
		if (*n < '0' || *n > '9')
			return false;
	return true;
}

/* Every directory entry of dir for which match() holds, sorted, added when a char device. */
static int add_matching(struct nodelist *l, const char *dir, const char *inside,
			bool (*match)(const char *))
{
	struct dirent **ents = NULL;
	int n, r = 0;

	n = scandir(dir, &ents, NULL, versionsort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		if (r >= 0 && match(ents[i]->d_name))
			r = add_if_chr(l, dir, inside, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return r;
}

static bool is_render_name(const char *n)
{
	return strncmp(n, "renderD", 7) == 0 && n[7];
}

int ward_gpu_nodes(const struct ward_profile *p, const char *dev_root,
		   struct ward_gpu_node **ret_nodes, struct ward_error *err)
{
	static const char *const common[] = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"};
	struct nodelist l = {0};
	char dri[4096];
	int r = 0;

	if (!p || !ret_nodes)
		return ward_error_set(err, -EINVAL, "ward_gpu_nodes: no profile");
	if (!dev_root)
		dev_root = "/dev";
	*ret_nodes = NULL;
	if (p->gpu_all) {
		r = add_matching(&l, dev_root, "/dev", is_nvidia_gpu_name);
	} else {
		for (size_t i = 0; r >= 0 && i < p->n_gpus; i++) {
			char name[32];

			if (p->gpus[i] < 0 || p->gpus[i] >= 254) {
				r = ward_error_set(err, -EINVAL, "gpu.allow: %d is not a GPU index",
						   p->gpus[i]);
				goto fail;
			}
			snprintf(name, sizeof(name), "nvidia%d", p->gpus[i]);
			r = add_if_chr(&l, dev_root, "/dev", name);
		}
	}
	if (p->gpu_all || p->n_gpus > 0) {
		for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(common); i++)
			r = add_if_chr(&l, dev_root, "/dev", common[i]);
	}
	if (r >= 0 && p->gpu_all) {
		snprintf(dri, sizeof(dri), "%s/dri", dev_root);
		r = add_matching(&l, dri, "/dev/dri", is_render_name);
		if (r >= 0)
			r = add_if_chr(&l, dev_root, "/dev", "kfd");
	}
	if (r < 0) {
		r = ward_error_set(err, r, "listing GPU nodes under %s: %s", dev_root,
				   strerror(-r));
		goto fail;
	}
	if (!l.v) {
		l.v = calloc(1, sizeof(*l.v));
		if (!l.v)
			return ward_error_set(err, -ENOMEM, "out of memory");
	}
	*ret_nodes = l.v;
	return (int)l.n;
fail:
	ward_gpu_nodes_free(l.v);
	return r;
}
