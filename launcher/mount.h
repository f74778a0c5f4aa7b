/* SPDX-License-Identifier: MIT */
/* Private to the mount view (mount.c, mount_deny.c). */
#pragma once

struct ward_sandbox;
struct ward_error;

/* abs without its leading slashes ("." for "/"), for *at() calls relative to the new root. */
const char *ward_mount_rel(const char *abs);
/* A detached mount of fstype with the fsconfig options (name, value or NULL for a flag, ...,
 * NULL) and mount attributes: its fd, or -errno. */
int ward_mount_fsmount(const char *fstype, const char *const *opts, unsigned attrs);
/* filesystem.deny inside the view rooted at root_fd: hidden or masked (mount_deny.c). */
int ward_mount_mask_denied(struct ward_sandbox *sb, int root_fd, struct ward_error *err);
