/* SPDX-License-Identifier: MIT */
/* Clocks and file I/O helpers shared by every subsystem; all return -errno on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

uint64_t ward_now_ns(void);	       /* CLOCK_MONOTONIC */
uint64_t ward_now_ms(void);	       /* CLOCK_MONOTONIC, milliseconds */
uint64_t ward_now_coarse_ms(void);     /* CLOCK_MONOTONIC_COARSE, for timers and rate limits */
const char *ward_signal_name(int sig); /* "SIGTERM" */

/* Writes all of buf to a blocking fd, retrying on EINTR and short writes. */
int ward_write_all(int fd, const char *buf, size_t len);
/* Reads up to max - 1 bytes (until EOF) into buf and NUL-terminates it; returns the length.
 * -EFBIG when the file holds more than max - 1 bytes. */
ssize_t ward_read_full(int fd, char *buf, size_t max);
/* The same for a file named relative to dirfd (AT_FDCWD: the cwd). */
ssize_t ward_read_file_at(int dirfd, const char *name, char *buf, size_t max);
/* mkdir -p of the directories above path (mode 0755; existing ones are fine). */
int ward_mkdir_parents(const char *path);
/* Writes s to an existing file (procfs, sysfs, cgroupfs) with one write(). */
int ward_write_file(const char *path, const char *s);
