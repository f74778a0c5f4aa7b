/* SPDX-License-Identifier: MIT */
/* The CLONE_NEW* flags by name, as events list them ("namespaces": ["user", "net"]). */
#pragma once

#include <stdint.h>

#include "common/json.h"

/* Appends key: [names of the CLONE_NEW* bits in flags] to j. */
void ward_json_namespaces(struct ward_json *j, const char *key, uint64_t flags);
