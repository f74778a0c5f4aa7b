// SPDX-License-Identifier: MIT
#include "common/hooks.h"
#include "common/spool.h"

#include <stdlib.h>
#include <string.h>

struct ward_test_hooks ward_hooks = {
	.dev_root = "/dev",
	.spool_dir = WARD_SPOOL_DIR,
};

static bool env_set(const char *name)
{
	return getenv(name) != NULL;
}

static const char *env_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static unsigned layers_off(const char *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"seccomp", WARD_LAYER_OFF_SECCOMP},
		     {"landlock", WARD_LAYER_OFF_LANDLOCK},
		     {"view", WARD_LAYER_OFF_VIEW}};
	unsigned r = 0;

	while (v && *v) {
		size_t n = strcspn(v, ",");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && strncmp(v, names[i].name, n) == 0)
				r |= names[i].bit;
		v += n + (v[n] == ',');
	}
	return r;
}

void ward_test_hooks_read(void)
{
	const char *mon = getenv("WARD_MONITORS");
	const char *rb = getenv("WARD_RINGBUF_BYTES");

	ward_hooks.dev_root = env_str("WARD_DEV_ROOT", "/dev");
	ward_hooks.monitors_off = mon && strcmp(mon, "off") == 0;
	ward_hooks.ringbuf_bytes = rb && *rb ? strtoull(rb, NULL, 0) : 0;
	ward_hooks.bpf_debug = env_set("WARD_BPF_DEBUG");
	ward_hooks.monitor_timing = env_set("WARD_MONITOR_TIMING");
	ward_hooks.bpf_no_syscall_progs = env_set("WARD_BPF_NO_SYSCALL_PROGS");
	ward_hooks.bpf_no_pinned = env_set("WARD_BPF_NO_PINNED");
	ward_hooks.bpf_vmlinux_btf = env_set("WARD_BPF_VMLINUX_BTF");
	ward_hooks.spool_dir = env_str("WARD_SPOOL_DIR", WARD_SPOOL_DIR);
	ward_hooks.layers_off = layers_off(getenv("WARD_LAYERS_OFF"));
}
