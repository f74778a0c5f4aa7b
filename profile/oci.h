/* SPDX-License-Identifier: MIT */
/* OCI runtime-spec / Docker seccomp profiles (JSON), read for syscalls.import (oci.c). */
#pragma once

#include <seccomp.h>
#include <stdint.h>

#include "profile/profile.h"

#define WARD_OCI_MAX_ARGS 6

struct ward_oci_cond {
	unsigned arg; /* 0..5 */
	enum scmp_compare op;
	uint64_t value, value_two;
};

struct ward_oci_rule {
	int nr;			    /* native syscall number */
	uint32_t scmp_action;	    /* as written: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(n), ... */
	enum ward_sc_action action; /* translated: ALLOW (ALLOW, LOG) or DENY (everything else) */
	size_t n_conds;
	struct ward_oci_cond conds[WARD_OCI_MAX_ARGS];
};

struct ward_oci_profile {
	char *file;
	uint32_t default_action; /* as written (informational: the ward profile's default wins) */
	struct ward_oci_rule *rules;
	size_t n_rules;
	size_t n_unknown;  /* syscall names unknown on this architecture */
	size_t n_excluded; /* entries skipped by includes/excludes */
};

/* Reads FILE; caps are the sandbox's capability names (for includes/excludes "caps"), may be
 * NULL. Errors: err->msg "FILE:LINE:COL: ..." for JSON syntax, "FILE: syscalls[3].action: ..."
 * for schema errors; -EINVAL (bad content) or -errno (I/O). */
int ward_oci_load(const char *path, const struct ward_strv *caps, struct ward_oci_profile **ret,
		  struct ward_error *err);
/* The same for the JSON text buf (len bytes, NUL not needed); path names it in messages. */
int ward_oci_load_buffer(const char *path, const char *buf, size_t len,
			 const struct ward_strv *caps, struct ward_oci_profile **ret,
			 struct ward_error *err);
/* 0 if path is a readable regular file; -EINVAL if it is something else (a FIFO, a
 * directory: never opened in a way that could wait), -errno. */
int ward_oci_check_file(const char *path);
void ward_oci_free(struct ward_oci_profile *o);
/* "SCMP_ACT_ERRNO" -> SCMP_ACT_ERRNO(errno_ret) etc.; -EINVAL if unknown. */
int ward_oci_parse_action(const char *s, int errno_ret, uint32_t *ret);
