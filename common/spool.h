/* SPDX-License-Identifier: MIT */
/*
 * Spool files (spool.c): the unix sink's overflow, one append-only file of JSON lines per
 * sandbox, SPOOL_DIR/SANDBOX.ndjson, locked with flock() by the ward that writes it. Read
 * back in order by that ward when the collector answers again, or by the collector
 * (ward_spool_ingest_dir) once the writer is gone. See docs/events.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define WARD_SPOOL_DIR	    "/var/lib/ward/spool"
#define WARD_SPOOL_LINE_MAX (16u << 20) /* longer lines are skipped on read */
#define WARD_SPOOL_PREALLOC (64 << 10)	/* ward_spool_append_lines reserves this far ahead */

struct ward_spool {
	int fd; /* -1: not open */
	int dirfd;
	char name[96];	 /* SANDBOX.ndjson */
	off_t rd;	 /* next unread byte */
	off_t size;	 /* bytes written (== file size) */
	off_t alloc_end; /* blocks reserved up to here (fallocate); 0: unknown */
	char *rbuf;	 /* read-ahead for ward_spool_read_line */
	size_t rbuf_len, rbuf_cap;
	off_t rbuf_off; /* file offset of rbuf[0] */
};

/* The spool directory: ward_hooks.spool_dir ($WARD_SPOOL_DIR, else WARD_SPOOL_DIR). */
const char *ward_spool_dir(void);
/* Creates dir (0700, parents too) and opens/locks SANDBOX.ndjson in it. create false: only
 * an existing file is opened (-ENOENT otherwise). -EWOULDBLOCK when another process holds
 * the lock. Existing content counts as unread; a half line at its end (a writer killed in
 * the middle of a write) is cut off, so that appended lines do not run into it. */
int ward_spool_open(struct ward_spool *sp, const char *dir, const char *sandbox, bool create);
/* Appends line + '\n' with one write(); on a short write (disk full) the file is cut back,
 * so the spool never holds half a line. */
int ward_spool_append(struct ward_spool *sp, const char *line, size_t len);
/* Appends whole lines (each lines[i] ends with its '\n'), as many as fit: on a file system that
 * can reserve blocks (fallocate), only those that leave `reserve` bytes allocated past the end
 * for a later call (the unix sink keeps room for its exit event); elsewhere a short write is
 * cut back to a line boundary. No fsync. Returns 0 when all n were written, else -errno
 * (-ENOSPC: the disk is full) with *ret_written lines written. */
int ward_spool_append_lines(struct ward_spool *sp, const struct iovec *lines, size_t n,
			    size_t reserve, size_t *ret_written);
static inline bool ward_spool_pending(const struct ward_spool *sp)
{
	return sp->fd >= 0 && sp->rd < sp->size;
}
/* Next unread line (without '\n', NUL-terminated, caller frees): 1, or 0 at the end. */
int ward_spool_read_line(struct ward_spool *sp, char **ret, size_t *ret_len);
/* Empties the file (everything in it was delivered). */
int ward_spool_truncate(struct ward_spool *sp);
/* Replaces the file with lines[0..n) followed by its unread part, atomically (rename). */
int ward_spool_rewrite(struct ward_spool *sp, const char *const *lines, const size_t *lens,
		       size_t n);
/* Closes; removes the file first when remove is true. */
void ward_spool_close(struct ward_spool *sp, bool remove);

/* Collector side: for each *.ndjson in dir whose lock is free (its writer is gone), calls
 * cb for every complete line in order, then once with line NULL (end of file: make the lines
 * durable), and removes the file if that call returned >= 0. owner is the file's uid. Returns the
 * number of lines, or -errno. */
typedef int (*ward_spool_line_fn)(void *ud, const char *line, size_t len, uid_t owner,
				  const char *file);
int ward_spool_ingest_dir(const char *dir, ward_spool_line_fn cb, void *ud);
