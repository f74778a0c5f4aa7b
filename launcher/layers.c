// SPDX-License-Identifier: MIT
#include "launcher/layers.h"
#include "common/macro.h"

#include <stdio.h>
#include <string.h>

_Static_assert(WARD_LAYER__N <= 64, "layers fit a uint64_t");

static const char *const layer_names[WARD_LAYER__N] = {
	[WARD_LAYER_USERNS] = "userns",
	[WARD_LAYER_PIDNS] = "pidns",
	[WARD_LAYER_MNTNS] = "mntns",
	[WARD_LAYER_NETNS] = "netns",
	[WARD_LAYER_IPCNS] = "ipcns",
	[WARD_LAYER_UTSNS] = "utsns",
	[WARD_LAYER_CGROUPNS] = "cgroupns",
	[WARD_LAYER_LANDLOCK] = "landlock",
	[WARD_LAYER_SECCOMP] = "seccomp(user-notif)",
	[WARD_LAYER_CAPS] = "capabilities",
	[WARD_LAYER_NO_NEW_PRIVS] = "no_new_privs",
	[WARD_LAYER_CGROUP] = "cgroup",
	[WARD_LAYER_CGROUP_MEMORY] = "cgroup:memory",
	[WARD_LAYER_CGROUP_PIDS] = "cgroup:pids",
	[WARD_LAYER_CGROUP_CPU] = "cgroup:cpu",
	[WARD_LAYER_TIMEOUT] = "timeout",
	[WARD_LAYER_MEMFD_NOEXEC] = "memfd_noexec",
	[WARD_LAYER_MONITORS_OFF] = "bpf-monitors(off)",
	[WARD_LAYER_VIEW_OFF] = "mount-view(off)",
	[WARD_LAYER_MONITORS] = "bpf-monitors",
	[WARD_LAYER_MONITORS_NETDEV] = "bpf-monitors(net/device)",
	[WARD_LAYER_MONITORS_FILES] = "bpf-monitors(file/exec)",
	[WARD_LAYER_MONITORS_FAILED] = "monitors",
};

const char *ward_layer_name(const struct ward_layers *l, enum ward_layer x, bool active, char *buf,
			    size_t len)
{
	if (x < 0 || x >= WARD_LAYER__N)
		return "?";
	if (active && x == WARD_LAYER_LANDLOCK) {
		snprintf(buf, len, "landlock(abi %d)", l->landlock_abi);
		return buf;
	}
	if (active && x == WARD_LAYER_CGROUP && l->cgroup_backend) {
		snprintf(buf, len, "cgroup(%s)", l->cgroup_backend);
		return buf;
	}
	return layer_names[x];
}

void ward_layers_join(const struct ward_layers *l, uint64_t mask, bool active, char *buf,
		      size_t len)
{
	size_t n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int x = 0; x < WARD_LAYER__N && n < len; x++) {
		char tmp[64];

		if (!(mask & (1ull << x)))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      ward_layer_name(l, x, active, tmp, sizeof(tmp)));
	}
}

static void json_list(const struct ward_layers *l, struct ward_json *j, const char *key,
		      uint64_t mask, bool active)
{
	ward_json_array_open(j, key);
	for (int x = 0; x < WARD_LAYER__N; x++) {
		char tmp[64];

		if (mask & (1ull << x))
			ward_json_str(j, NULL, ward_layer_name(l, x, active, tmp, sizeof(tmp)));
	}
	ward_json_array_close(j);
}

void ward_layers_json(const struct ward_layers *l, struct ward_json *j)
{
	ward_json_object_open(j, "layers");
	json_list(l, j, "active", l->active, true);
	json_list(l, j, "missing", l->missing, false);
	ward_json_object_close(j);
}
