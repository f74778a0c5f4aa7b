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
	ward_hooks.spool_dir = env_str("WARD_SPOOL_DIR", WARD_SPOOL_DIR);
}
