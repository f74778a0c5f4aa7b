// SPDX-License-Identifier: MIT
/* Paths as the sandbox sees them: normalization and prefix tests; the interpreter of a program
 * (the only function here that reads a file). */
#include "common/macro.h"
#include "common/path.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

/* Appends one component to out (at *len), handling "." and "..". */
static int push_component(char *out, size_t out_len, size_t *len, const char *c, size_t n)
{
	if (n == 0 || (n == 1 && c[0] == '.'))
		return 0;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		/* ".." at the root stays at the root, as path resolution does (path_resolution(7))
		 */
		while (*len > 0 && out[*len - 1] != '/')
			(*len)--;
		if (*len > 0)
			(*len)--;
		out[*len] = 0;
		return 0;
	}
	if (*len + 1 + n + 1 > out_len)
		return -ENAMETOOLONG;
	out[(*len)++] = '/';
	memcpy(out + *len, c, n);
	*len += n;
	out[*len] = 0;
	return 0;
}

static int push_path(char *out, size_t out_len, size_t *len, const char *p)
{
	while (*p) {
		const char *e = strchrnul(p, '/');
		int r = push_component(out, out_len, len, p, e - p);

		if (r < 0)
			return r;
		p = *e ? e + 1 : e;
	}
	return 0;
}

int ward_path_normalize(const char *base, const char *path, char *out, size_t out_len)
{
	size_t len = 0;
	int r;

	if (!path || !out || out_len < 2)
		return -EINVAL;
	out[0] = 0;
	if (path[0] != '/') {
		if (base && base[0] != '/')
			return -EINVAL;
		r = push_path(out, out_len, &len, base ? base : "/");
		if (r < 0)
			return r;
	}
	r = push_path(out, out_len, &len, path);
	if (r < 0)
		return r;
	if (len == 0) {
		out[0] = '/';
		out[1] = 0;
	}
	return 0;
}

bool ward_path_under(const char *path, const char *prefix)
{
	size_t n;

	if (!path || !prefix || path[0] != '/' || prefix[0] != '/')
		return false;
	if (strcmp(prefix, "/") == 0)
		return true;
	n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* The ELF interpreter (PT_INTERP) or the #! interpreter of an allowed program needs the
 * execute right too: the kernel opens it for execution on the program's behalf. */
int ward_path_interpreter(const char *path, char *out, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) < 2)
		return -ENOENT;
	if (memcmp(&eh, "#!", 2) == 0) {
		char line[256] = {0};
		ssize_t n = pread(fd, line, sizeof(line) - 1, 2);
		if (n <= 0)
			return -ENOENT;
		char *s = line + strspn(line, " \t");
		s[strcspn(s, " \t\n")] = 0;
		snprintf(out, len, "%s", s);
		return out[0] == '/' ? 0 : -ENOENT;
	}
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOENT;
	for (int i = 0; i < eh.e_phnum && i < 64; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (off_t)i * eh.e_phentsize) !=
		    sizeof(ph))
			return -ENOENT;
		if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < len) {
			if (pread(fd, out, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
				return -ENOENT;
			out[ph.p_filesz - 1] = 0;
			return 0;
		}
	}
	return -ENOENT;
}
