// SPDX-License-Identifier: MIT
#include "common/ns.h"
#include "common/macro.h"
#include "common/missing.h"

#include <sched.h>

static const struct {
	uint64_t bit;
	const char *name;
} ns_names[] = {
	{CLONE_NEWUSER, "user"},     {CLONE_NEWPID, "pid"},   {CLONE_NEWNS, "mount"},
	{CLONE_NEWNET, "net"},	     {CLONE_NEWIPC, "ipc"},   {CLONE_NEWUTS, "uts"},
	{CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"},
};

void ward_json_namespaces(struct ward_json *j, const char *key, uint64_t flags)
{
	ward_json_array_open(j, key);
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++)
		if (flags & ns_names[i].bit)
			ward_json_str(j, NULL, ns_names[i].name);
	ward_json_array_close(j);
}
