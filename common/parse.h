/* SPDX-License-Identifier: MIT */
/* Value parsers (profiles, flags, collector options): 0, or -EINVAL on bad input. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

int ward_parse_size(const char *s, uint64_t *ret_bytes);  /* "512M", "2G", "1.5GiB", "4096" */
int ward_parse_duration(const char *s, uint64_t *ret_ns); /* "30s", "1h30m", "500ms", "2" (s) */
/* Strict decimal in [0, max]: no sign, no spaces, no hex, no empty string. */
int ward_parse_uint(const char *s, uint64_t max, uint64_t *ret);
