// SPDX-License-Identifier: MIT
/* Syscall names of the native architecture (libseccomp's tables). */
#include "common/macro.h"
#include "common/syscall.h"

#include <seccomp.h>
#include <stddef.h>

const char *ward_syscall_name(int nr)
{
	/* libseccomp returns malloc'ed strings: keep one per number for the process lifetime, so
	 * callers get a static-lifetime pointer and nothing leaks per call. */
	static char *cache[WARD_NR_MAX];

	if (nr < 0 || nr >= WARD_NR_MAX)
		return NULL;
	if (!cache[nr])
		cache[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	return cache[nr];
}

bool ward_syscall_known(const char *name)
{
	/* Names of other architectures resolve to negative pseudo numbers. */
	return name && seccomp_syscall_resolve_name(name) >= 0;
}
