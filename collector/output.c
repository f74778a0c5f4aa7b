// SPDX-License-Identifier: MIT
/*
 * Collector file output: newline-delimited JSON, appended in batches, rotated by size,
 * reopened on SIGHUP (logrotate's convention: rename, then signal).
 *
 * Durability: a batch is acknowledged to launchers only after write() returned for all of it,
 * so it survives a crash of the collector (the page cache has it). With --fsync batch it is
 * also fdatasync()ed before the acknowledgement, so it survives a crash of the host.
 * Disk full: blocks are reserved with fallocate() before writing, and a short write (file
 * systems without fallocate) is cut back with ftruncate(): the file never holds half a line,
 * and the batch stays queued for the next try.
 */
#include "common/macro.h"
#include "collector/internal.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/stat.h>

int col_output_open(struct col_output *o, struct ward_error *err)
{
	struct stat st;
	int r;

	o->fd = -1;
	if (!o->path)
		return 0;
	r = ward_mkdir_parents(o->path);
	if (r < 0)
		return ward_error_set(err, r, "output %s: creating its directory: %s", o->path,
				      strerror(-r));
	o->fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (o->fd < 0)
		return ward_error_set(err, -errno, "output %s: %m", o->path);
	if (fstat(o->fd, &st) < 0)
		return ward_error_set(err, -errno, "output %s: %m", o->path);
	o->size = (uint64_t)st.st_size;
	return 0;
}

void col_output_close(struct col_output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

int col_output_reopen(struct col_output *o, struct ward_error *err)
{
	col_output_close(o);
	return col_output_open(o, err);
}

/* path.N-1 -> path.N ... path -> path.1; the oldest beyond keep is removed. */
static int rotate(struct col_output *o, struct col_stats *st)
{
	char from[4200], to[4200];
	struct ward_error err;

	if (o->rotate_keep == 0) {
		if (ftruncate(o->fd, 0) < 0)
			return -errno;
		o->size = 0;
		st->output_rotations++;
		return 0;
	}
	snprintf(to, sizeof(to), "%s.%u", o->path, o->rotate_keep);
	unlink(to);
	for (unsigned i = o->rotate_keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", o->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", o->path, i);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", o->path);
	if (rename(o->path, to) < 0)
		return -errno;
	st->output_rotations++;
	return col_output_reopen(o, &err);
}

/* Writes buf[0..len) whole or not at all: a short write is cut back. */
static int write_chunk(struct col_output *o, const char *buf, size_t len, struct col_stats *st)
{
	size_t done = 0;
	off_t end;
	int r = -EIO;

	/* The real end of file, not our count: logrotate's copytruncate may have cut it. */
	end = lseek(o->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	o->size = (uint64_t)end;
	/* Reserve the blocks first, so a full disk fails here with nothing written: a reader
	 * tailing the file never sees even a transient half line. File systems without
	 * fallocate() fall back to write-then-cut-back below. */
	if (fallocate(o->fd, FALLOC_FL_KEEP_SIZE, end, (off_t)len) < 0 &&
	    (errno == ENOSPC || errno == EDQUOT))
		return -errno;
	while (done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0) {
			r = -ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	if (done == len) {
		if (o->fsync_batch && fdatasync(o->fd) < 0)
			return -errno;
		o->size += len;
		st->output_bytes += len;
		return 0;
	}
	if (done > 0 && ftruncate(o->fd, (off_t)o->size) < 0)
		r = -errno;
	return r;
}

int col_output_write(struct col_output *o, const char *buf, size_t len, struct col_stats *st,
		     size_t *ret_done)
{
	size_t done = 0;
	int r = 0;

	*ret_done = 0;
	if (!o->path || len == 0)
		return 0;
	if (o->fd < 0) {
		struct ward_error err;

		r = col_output_open(o, &err);
		if (r < 0)
			goto fail;
	}
	while (done < len) {
		size_t chunk = len - done;

		if (o->rotate_size && o->size + chunk > o->rotate_size) {
			/* fill the file up to the limit with whole lines, then rotate */
			size_t room =
				o->size < o->rotate_size ? (size_t)(o->rotate_size - o->size) : 0;
			const char *cut = NULL;

			if (room > 0)
				cut = memrchr(buf + done, '\n', room < chunk ? room : chunk);
			if (cut) {
				chunk = (size_t)(cut - (buf + done)) + 1;
			} else if (o->size > 0) {
				r = rotate(o, st);
				if (r < 0)
					goto fail;
				continue;
			} else {
				/* a line longer than the limit in an empty file: write it alone */
				cut = memchr(buf + done, '\n', chunk);
				chunk = cut ? (size_t)(cut - (buf + done)) + 1 : chunk;
			}
		}
		r = write_chunk(o, buf + done, chunk, st);
		if (r < 0)
			goto fail;
		done += chunk;
		*ret_done = done;
	}
	o->failing = false;
	return 0;
fail:
	st->output_errors++;
	o->failing = true;
	return r;
}

int col_output_recover(struct col_output *o, struct col_dedup *d, size_t max_bytes)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	off_t from;
	ssize_t n;
	size_t end, i, start;

	_cleanup_close_ int rfd = -1;

	if (!o->path || o->fd < 0)
		return 0;
	/* the output fd is write-only (O_APPEND): read through another */
	rfd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (rfd < 0)
		return -errno;
	if (fstat(rfd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
	buf = malloc((size_t)(st.st_size - from));
	if (!buf)
		return -ENOMEM;
	n = pread(rfd, buf, (size_t)(st.st_size - from), from);
	if (n < 0)
		return -errno;
	end = (size_t)n;
	/* a crash in the middle of write() can leave a partial last line: cut it, its sender
	 * did not get an acknowledgement and sends it again */
	if (end > 0 && buf[end - 1] != '\n') {
		size_t keep = end;

		while (keep > 0 && buf[keep - 1] != '\n')
			keep--;
		if (keep == 0 && from > 0)
			return -EINVAL; /* a line longer than max_bytes: leave it alone */
		if (ftruncate(o->fd, from + (off_t)keep) < 0)
			return -errno;
		end = keep;
		o->size = (uint64_t)(from + (off_t)keep);
	}
	/* skip the first, possibly partial, line of the window */
	start = 0;
	if (from > 0) {
		while (start < end && buf[start] != '\n')
			start++;
		start++;
	}
	for (i = start; i < end;) {
		char *nl = memchr(buf + i, '\n', end - i);
		json_t *ob, *sb, *sq;

		if (!nl)
			break;
		ob = json_loadb(buf + i, (size_t)(nl - (buf + i)), JSON_ALLOW_NUL, NULL);
		sb = ob ? json_object_get(ob, "sandbox") : NULL;
		sq = ob ? json_object_get(ob, "seq") : NULL;
		if (json_is_string(sb) && json_is_integer(sq))
			col_dedup_check(d, json_string_value(sb), (uint64_t)json_integer_value(sq));
		json_decref(ob);
		i = (size_t)(nl - buf) + 1;
	}
	return 0;
}
