// SPDX-License-Identifier: MIT
/*
 * The path rules of `ward learn` (docs/learn.md, "Collapsing" and "Temporary names"): which
 * files become one directory entry, which names are temporary, which directories are never
 * granted as a whole. Pure functions; what they need of the host comes through struct
 * learn_host, so tests/unit/test_learn.c can run them on made-up trees.
 */
#include "common/macro.h"
#include "common/path.h"
#include "learn/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static int char_class(char c)
{
	if (c >= 'a' && c <= 'z')
		return 1;
	if (c >= 'A' && c <= 'Z')
		return 2;
	if (c >= '0' && c <= '9')
		return 3;
	return 0;
}

/*
 * mkstemp(3) replaces XXXXXX with six of [A-Za-z0-9]; Python's tempfile appends eight of
 * [a-z0-9_] to "tmp"; both create with O_CREAT|O_EXCL, which alone decides when we saw it. By
 * name: a run of at least six [A-Za-z0-9_] whose character class (lower, upper, digit) changes
 * at least three times. Words and versions change class once or twice ("layer10",
 * "model_v2", "python3.11"); random strings of that length rarely fewer than three times.
 */
bool learn_is_tmpname(const char *base, int flags)
{
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return true;
	for (const char *p = base; *p;) {
		const char *q = p;
		int changes = 0, prev = 0;

		while (*q && (char_class(*q) || *q == '_')) {
			int c = char_class(*q);

			if (c && prev && c != prev)
				changes++;
			if (c)
				prev = c;
			q++;
		}
		if (q - p >= 6 && changes >= 3)
			return true;
		p = *q ? q + 1 : q;
	}
	return false;
}

bool learn_tmp_parent(const char *path, int flags, char *out, size_t len)
{
	size_t plen = strlen(path);

	if (path[0] != '/' || plen + 1 > len)
		return false;
	/* shallowest component first: a file inside a mkdtemp directory makes the directory's
	 * parent the tmpfs, not the temporary directory itself */
	for (const char *c = path + 1; *c;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		char comp[256];
		bool last = !e;

		if (n == 0 || n >= sizeof(comp))
			return false;
		memcpy(comp, c, n);
		comp[n] = 0;
		if (learn_is_tmpname(comp, last ? flags : 0)) {
			size_t dl = (size_t)(c - path) - 1; /* without the '/' before comp */
			if (dl == 0)
				return false; /* a temporary name at the root: no tmpfs on / */
			memcpy(out, path, dl);
			out[dl] = 0;
			return true;
		}
		if (!e)
			break;
		c = e + 1;
	}
	return false;
}

static size_t depth(const char *p)
{
	size_t d = 0;

	for (; *p; p++)
		if (*p == '/' && p[1])
			d++;
	return d;
}

bool learn_is_wholesale_guarded(const char *dir)
{
	return !strcmp(dir, "/") || !strcmp(dir, "/etc") || !strcmp(dir, "/home") ||
	       !strcmp(dir, "/root");
}

bool learn_is_protected(const char *dir)
{
	if (depth(dir) < 2)
		return true;
	if (ward_path_under(dir, "/root") || ward_path_under(dir, "/proc"))
		return true;
	/* a home directory as a whole: dot files, keys, shell history */
	return strncmp(dir, "/home/", 6) == 0 && depth(dir) == 2;
}

static char *parent_of(const char *p)
{
	char *d = strdup(p);
	char *s = d ? strrchr(d, '/') : NULL;

	if (!s)
		return d;
	if (s == d)
		s[1] = 0;
	else
		*s = 0;
	return d;
}

/* A package directory the file belongs to, or NULL: the outermost directory holding an
 * __init__.py (a Python package), node_modules/NAME or node_modules/@SCOPE/NAME. */
static char *package_of(const char *path, const struct learn_host *h)
{
	const char *nm = strstr(path, "/node_modules/");

	if (nm) {
		const char *name = nm + strlen("/node_modules/");
		const char *e = strchr(name, '/');

		if (e && name[0] == '@')
			e = strchr(e + 1, '/');
		if (e)
			return strndup(path, (size_t)(e - path));
	}
	char *dir = parent_of(path), *best = NULL;

	while (dir && h && h->has && depth(dir) >= 2 && h->has(dir, "__init__.py", h->data)) {
		free(best);
		best = dir;
		dir = parent_of(best);
		if (dir && !strcmp(dir, best)) {
			free(dir);
			dir = NULL;
		}
	}
	free(dir);
	return best;
}

static bool is_shared_lib(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return strstr(b, ".so") && (!strncmp(b, "lib", 3) || strstr(b, ".cpython-"));
}

struct cand {
	char *path;
	size_t idx; /* input index */
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

void learn_path_out_free(struct learn_path_out *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

int learn_collapse(const struct learn_path_in *in, size_t n, const struct learn_host *host,
		   struct learn_path_out **ret, size_t *ret_n)
{
	struct cand *c = calloc(n ? n : 1, sizeof(*c));
	struct learn_path_out *out = NULL;
	size_t n_out = 0;
	int r = 0;

	if (!c)
		return -ENOMEM;
	/* 1. each path's candidate entry */
	for (size_t i = 0; i < n; i++) {
		const char *p = in[i].path;
		char *e = NULL;

		c[i].idx = i;
		if (in[i].absent || in[i].listed) {
			e = strdup(p);
		} else if ((e = package_of(p, host)) && !learn_is_protected(e)) {
			/* the package */
		} else {
			free(e);
			e = NULL;
			char *d = parent_of(p);
			if (d && is_shared_lib(p) && !learn_is_protected(d))
				e = d;
			else {
				free(d);
				e = strdup(p);
			}
		}
		if (!e) {
			r = -ENOMEM;
			goto out;
		}
		c[i].path = e;
	}
	/* 2. two or more distinct entries directly in one directory: the directory. Decided
	 * on a snapshot of the candidates (parent, candidate), sorted, so the order of the
	 * input does not matter. */
	{
		struct cand *pc = calloc(n ? n : 1, sizeof(*pc));
		char **dirs = calloc(n ? n : 1, sizeof(char *));
		size_t np = 0, nd = 0;

		if (!pc || !dirs) {
			free(pc);
			free(dirs);
			r = -ENOMEM;
			goto out;
		}
		/* only paths not already made a package or library directory by rule 1: the
		 * sibling rule never widens an entry a rule already chose */
		for (size_t i = 0; i < n; i++)
			if (!in[i].absent && !strcmp(c[i].path, in[i].path) &&
			    (pc[np].path = parent_of(c[i].path)))
				pc[np++].idx = i;
		qsort(pc, np, sizeof(*pc), cmp_cand);
		for (size_t i = 0; i < np;) {
			size_t j = i;
			bool several = false;

			for (; j < np && !strcmp(pc[j].path, pc[i].path); j++)
				several = several || strcmp(c[pc[j].idx].path, c[pc[i].idx].path);
			if (several && !learn_is_protected(pc[i].path))
				dirs[nd++] = pc[i].path;
			i = j;
		}
		for (size_t i = 0; i < n; i++) {
			if (in[i].absent || strcmp(c[i].path, in[i].path))
				continue;
			_cleanup_free_ char *d = parent_of(c[i].path);
			for (size_t k = 0; d && k < nd; k++)
				if (!strcmp(dirs[k], d)) {
					free(c[i].path);
					c[i].path = TAKE_PTR(d);
					break;
				}
		}
		for (size_t i = 0; i < np; i++)
			free(pc[i].path);
		free(pc);
		free(dirs);
	}
	/* 3. sort, merge equal entries, drop entries under another entry */
	qsort(c, n, sizeof(*c), cmp_cand);
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = c[i].idx;
		struct learn_path_out *o = n_out ? &out[n_out - 1] : NULL;

		if (o && ward_path_under(c[i].path, o->path)) {
			if (in[k].order < in[o->first].order)
				o->first = k;
			o->count += in[k].count;
			o->n_paths++;
			o->absent = o->absent && in[k].absent && !strcmp(c[i].path, o->path);
			if (in[k].listed && !strcmp(in[k].path, o->path) &&
			    learn_is_wholesale_guarded(o->path))
				o->wholesale = true;
			continue;
		}
		o = &out[n_out++];
		o->path = TAKE_PTR(c[i].path);
		o->first = k;
		o->count = in[k].count;
		o->n_paths = 1;
		o->absent = in[k].absent;
		o->wholesale = in[k].listed && learn_is_wholesale_guarded(o->path);
	}
	*ret = TAKE_PTR(out);
	*ret_n = n_out;
out:
	for (size_t i = 0; i < n; i++)
		free(c[i].path);
	free(c);
	learn_path_out_free(out, n_out);
	return r;
}
