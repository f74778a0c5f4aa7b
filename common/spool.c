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

/* A writer killed by SIGKILL in the middle of a write(2) leaves a half line: the kernel stops
 * copying pages when a fatal signal is pending (generic_perform_write()). The collector's
 * reader skips it; a writer that appends cuts it off first. */
static int cut_half_line(int fd, off_t size, off_t *ret_size)
{
	char buf[4096];
	off_t end = size;

	while (end > 0) {
		size_t want = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		ssize_t n = pread(fd, buf, want, end - (off_t)want);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)want)
			return n < 0 ? -errno : -EIO;
		nl = memrchr(buf, '\n', want);
		if (nl) {
			end -= (off_t)want - (nl - buf) - 1;
			break;
		}
		end -= (off_t)want;
	}
	if (end != size && ftruncate(fd, end) < 0)
		return -errno;
	*ret_size = end;
	return 0;
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
		r = cut_half_line(fd, st.st_size, &sp->size);
		if (r < 0)
			return r;
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

/* Does [size, size + len) fit, allocated ahead (the blocks are ours whatever other writers
 * on the file system do)? File systems without fallocate(2) say EOPNOTSUPP: then the write
 * will tell. tmpfs undoes a partial allocation that failed (shmem_fallocate()). */
static int fs_reserve(int fd, off_t size, off_t len)
{
	if (len <= 0 || fallocate(fd, FALLOC_FL_KEEP_SIZE, size, len) == 0)
		return 0;
	return errno == ENOSPC || errno == EDQUOT ? -errno : 1;
}

/* [size, size + len) reserved, in WARD_SPOOL_PREALLOC steps ahead: one fallocate per step,
 * not per batch (it costs about as much as the write on ext4). */
static int spool_reserve(struct ward_spool *sp, off_t len)
{
	off_t end = sp->size + len;
	int r;

	if (end <= sp->alloc_end)
		return 0;
	r = fs_reserve(sp->fd, sp->size, len + WARD_SPOOL_PREALLOC);
	if (r < 0)
		r = fs_reserve(sp->fd, sp->size, len);
	else
		end += WARD_SPOOL_PREALLOC;
	if (r == 0)
		sp->alloc_end = end;
	return r;
}

static off_t lines_bytes(const struct iovec *lines, size_t n)
{
	off_t b = 0;

	for (size_t i = 0; i < n; i++)
		b += (off_t)lines[i].iov_len;
	return b;
}

int ward_spool_append_lines(struct ward_spool *sp, const struct iovec *lines, size_t n,
			    size_t reserve, size_t *ret_written)
{
	size_t fit = n, done = 0, idx = 0;
	off_t want, off = 0;
	int r = 0;

	*ret_written = 0;
	if (sp->fd < 0)
		return -EBADF;
	if (n == 0)
		return 0;
	if (spool_reserve(sp, lines_bytes(lines, n) + (off_t)reserve) < 0) {
		/* Full: the longest prefix that still leaves the reserve (binary search; only on
		 * this path, a few failing fallocate calls per batch). */
		size_t lo = 0, hi = n - 1;

		r = -ENOSPC;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			if (spool_reserve(sp, lines_bytes(lines, mid) + (off_t)reserve) < 0)
				hi = mid - 1;
			else
				lo = mid;
		}
		fit = lo;
		if (fit > 0 && reserve > 0 &&
		    spool_reserve(sp, lines_bytes(lines, fit) + (off_t)reserve) < 0)
			fit = 0; /* cannot happen unless another writer took the space just now */
	}
	want = lines_bytes(lines, fit);
	while (off < want) {
		/* from line idx, byte done of it */
		struct iovec iov[64];
		int cnt = 0;
		ssize_t w;

		for (size_t i = idx; i < fit && cnt < (int)ARRAY_SIZE(iov); i++, cnt++) {
			size_t skip = i == idx ? done : 0;

			iov[cnt].iov_base = (char *)lines[i].iov_base + skip;
			iov[cnt].iov_len = lines[i].iov_len - skip;
		}
		w = writev(sp->fd, iov, cnt);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -ENOSPC;
			break;
		}
		off += w;
		while (w > 0) {
			size_t left = lines[idx].iov_len - done;

			if ((size_t)w < left) {
				done += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			idx++;
			done = 0;
		}
	}
	if (done > 0) {
		/* a short write in the middle of a line: never leave half a line for the reader */
		off -= (off_t)done;
		if (ftruncate(sp->fd, sp->size + off) < 0)
			r = -errno;
		sp->alloc_end = 0; /* the blocks past the end went with it */
	}
	sp->size += off;
	*ret_written = idx;
	return idx == n ? 0 : r < 0 ? r : -ENOSPC;
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
		/* slide the unread part to the front, grow if needed, read more (rbuf is NULL
		 * before the first read: memmove(NULL, NULL, 0) is undefined) */
		if (avail)
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
	sp->rd = sp->size = sp->alloc_end = 0;
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
	sp->alloc_end = 0;
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
