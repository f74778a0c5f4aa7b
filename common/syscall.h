/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Upper bound of native syscall numbers ward keeps tables for. */
#define WARD_NR_MAX 1024

const char *ward_syscall_name(int nr); /* native arch; NULL if unknown */
/* Is this syscall name known on the native architecture? */
bool ward_syscall_known(const char *name);
