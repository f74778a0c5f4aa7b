// SPDX-License-Identifier: MIT
/*
 * Spool files: the unix sink's overflow when the collector is slow or gone (see spool.h).
 *
 * Locking: the writer holds flock(LOCK_EX) on SANDBOX.ndjson for as long as it runs; the
 * collector only ingests files whose lock it can take, so a spool is read either by its own
 * ward or, after that ward exited or died (the kernel drops flock locks with the last fd), by
 * the collector. Both sides re-check after locking that the name still points at the locked
 * inode, because the other side may have renamed or removed it in between (the lock-file
 * pattern of flock(2)).
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>

const char *ward_spool_dir(void)
{
	return ward_hooks.spool_dir;
}

static int mkdir_p(const char *path, mode_t mode)
{
	int r = ward_mkdir_parents(path);

	if (r < 0)
		return r;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Is fd still the file called name in dirfd? */
static bool still_linked(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ward_spool_open(struct ward_spool *sp, const char *dir, const char *sandbox, bool create)
{
	_cleanup_close_ int dirfd = -1;
	struct stat st;
	int r;

	memset(sp, 0, sizeof(*sp));
	sp->fd = sp->dirfd = -1;
	/* The id becomes a file name: no separators, no hidden or relative names. */
	if (!*sandbox || sandbox[0] == '.' || strchr(sandbox, '/') ||
	    strlen(sandbox) + sizeof(".ndjson") > sizeof(sp->name))
		return -EINVAL;
	snprintf(sp->name, sizeof(sp->name), "%s.ndjson", sandbox);
	if (create) {
		r = mkdir_p(dir, 0700);
		if (r < 0)
			return r;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	for (int tries = 0; tries < 5; tries++) {
		_cleanup_close_ int fd = openat(
			dirfd, sp->name,
			O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			return -errno;
		if (!still_linked(dirfd, sp->name, fd))
			continue; /* the collector ingested and removed it meanwhile */
		if (fstat(fd, &st) < 0)
			return -errno;
		sp->size = st.st_size;
		sp->fd = TAKE_FD(fd);
		sp->dirfd = TAKE_FD(dirfd);
		return 0;
	}
	return -EAGAIN;
}

int ward_spool_append(struct ward_spool *sp, const char *line, size_t len)
{
	struct iovec iov[2] = {{(void *)line, len}, {(void *)"\n", 1}};
	ssize_t n;

	if (sp->fd < 0)
		return -EBADF;
	do
		n = writev(sp->fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len + 1) {
		sp->size += n;
		return 0;
	}
	/* Disk full or quota: never leave half a line for the reader. */
	int r = n < 0 ? -errno : -ENOSPC;
	if (n > 0 && ftruncate(sp->fd, sp->size) < 0)
		return -errno;
	return r;
}

int ward_spool_read_line(struct ward_spool *sp, char **ret, size_t *ret_len)
{
	bool skipping = false;

	if (sp->fd < 0)
		return 0;
	for (;;) {
		size_t start, avail;
		char *nl;

		/* the window [rbuf_off, rbuf_off + rbuf_len) must contain rd */
		if (sp->rd < sp->rbuf_off || sp->rd > sp->rbuf_off + (off_t)sp->rbuf_len) {
			sp->rbuf_off = sp->rd;
			sp->rbuf_len = 0;
		}
		start = (size_t)(sp->rd - sp->rbuf_off);
		avail = sp->rbuf_len - start;
		nl = avail ? memchr(sp->rbuf + start, '\n', avail) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - (sp->rbuf + start));

			sp->rd += len + 1;
			if (skipping) {
				skipping = false;
				continue;
			}
			char *line = malloc(len + 1);
			if (!line)
				return -ENOMEM;
			memcpy(line, sp->rbuf + start, len);
			line[len] = '\0';
			*ret = line;
			*ret_len = len;
			return 1;
		}
		if (sp->rbuf_off + (off_t)sp->rbuf_len >= sp->size)
			return 0; /* no complete line left */
		if (avail > WARD_SPOOL_LINE_MAX) {
			/* an oversized line: drop what we have and skip to its end */
			sp->rd += avail;
			sp->rbuf_off = sp->rd;
			sp->rbuf_len = 0;
			skipping = true;
			continue;
		}
		/* slide the unread part to the front, grow if needed, read more */
		memmove(sp->rbuf, sp->rbuf + start, avail);
		sp->rbuf_off = sp->rd;
		sp->rbuf_len = avail;
		if (sp->rbuf_cap - sp->rbuf_len < 65536) {
			size_t cap = sp->rbuf_cap ? sp->rbuf_cap * 2 : 131072;
			char *b = realloc(sp->rbuf, cap);

			if (!b)
				return -ENOMEM;
			sp->rbuf = b;
			sp->rbuf_cap = cap;
		}
		ssize_t n = pread(sp->fd, sp->rbuf + sp->rbuf_len, sp->rbuf_cap - sp->rbuf_len,
				  sp->rbuf_off + (off_t)sp->rbuf_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			sp->size = sp->rbuf_off + (off_t)sp->rbuf_len; /* shrunk under us */
			return 0;
		}
		sp->rbuf_len += (size_t)n;
	}
}

int ward_spool_truncate(struct ward_spool *sp)
{
	if (sp->fd < 0)
		return 0;
	if (ftruncate(sp->fd, 0) < 0)
		return -errno;
	sp->rd = sp->size = 0;
	sp->rbuf_off = 0;
	sp->rbuf_len = 0;
	return 0;
}

int ward_spool_rewrite(struct ward_spool *sp, const char *const *lines, const size_t *lens,
		       size_t n)
{
	char tmp[sizeof(sp->name) + 8], buf[65536];
	_cleanup_close_ int fd = -1;
	off_t off = sp->rd, size = 0;
	int r;

	if (sp->fd < 0)
		return -EBADF;
	snprintf(tmp, sizeof(tmp), "%s.tmp", sp->name);
	fd = openat(sp->dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	/* Locked before it gets the real name, so the collector never reads it half-made. */
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		r = ward_write_all(fd, lines[i], lens[i]);
		if (r >= 0)
			r = ward_write_all(fd, "\n", 1);
		if (r < 0)
			goto fail;
		size += (off_t)lens[i] + 1;
	}
	while (off < sp->size) {
		size_t want = sp->size - off < (off_t)sizeof(buf) ? (size_t)(sp->size - off)
								  : sizeof(buf);
		ssize_t got = pread(sp->fd, buf, want, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		r = ward_write_all(fd, buf, (size_t)got);
		if (r < 0)
			goto fail;
		off += got;
		size += got;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (renameat(sp->dirfd, tmp, sp->dirfd, sp->name) < 0) {
		r = -errno;
		goto fail;
	}
	close(sp->fd);
	sp->fd = TAKE_FD(fd);
	sp->rd = 0;
	sp->size = size;
	sp->rbuf_off = 0;
	sp->rbuf_len = 0;
	return 0;
fail:
	unlinkat(sp->dirfd, tmp, 0);
	return r;
}

void ward_spool_close(struct ward_spool *sp, bool remove)
{
	if (sp->fd >= 0) {
		if (remove)
			unlinkat(sp->dirfd, sp->name, 0);
		close(sp->fd);
	}
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->rbuf);
	memset(sp, 0, sizeof(*sp));
	sp->fd = sp->dirfd = -1;
}

int ward_spool_ingest_dir(const char *dir, ward_spool_line_fn cb, void *ud)
{
	_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int total = 0;

	if (dirfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(dup(dirfd));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct ward_spool sp = {.fd = -1, .dirfd = -1};
		size_t nlen = strlen(de->d_name), len;
		struct stat st;
		char *line;
		int r;

		if (nlen <= 7 || strcmp(de->d_name + nlen - 7, ".ndjson") != 0 ||
		    de->d_name[0] == '.' || nlen >= sizeof(sp.name))
			continue;
		sp.fd = openat(dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (sp.fd < 0)
			continue;
		if (flock(sp.fd, LOCK_EX | LOCK_NB) < 0 ||
		    !still_linked(dirfd, de->d_name, sp.fd) || fstat(sp.fd, &st) < 0 ||
		    !S_ISREG(st.st_mode)) {
			close(sp.fd);
			continue; /* its ward still runs, or it changed under us */
		}
		sp.size = st.st_size;
		while ((r = ward_spool_read_line(&sp, &line, &len)) > 0) {
			cb(ud, line, len, st.st_uid, de->d_name);
			free(line);
			total++;
		}
		/* the callback makes what it got durable before the file goes */
		if (r == 0 && cb(ud, NULL, 0, st.st_uid, de->d_name) >= 0)
			unlinkat(dirfd, de->d_name, 0);
		close(sp.fd);
		free(sp.rbuf);
	}
	closedir(d);
	return total;
}
