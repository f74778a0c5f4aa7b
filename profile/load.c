// SPDX-License-Identifier: MIT
/*
 * Loading a profile: lookup, the built-in profiles, includes, cycles, and reading a file.
 *
 * Files are applied to one struct ward_profile in merge order: a file's includes first
 * (depth first, in the order listed), then the file itself (keys.c). A file reached twice
 * through different includes (a diamond: two profiles both including base) is applied once,
 * the first time, like a header with #pragma once: re-applying base after a more specific
 * file would silently undo that file's scalars.
 *
 * The built-in profiles are the files of profiles/ compiled into the binary
 * (build/builtin_profiles.c) and are the last lookup entry, so `-p python-cpu` and `include:
 * [base]` work with nothing installed. A built-in file is named "<builtin>/NAME.yaml" in messages;
 * like a file in a directory, its bare-name includes look among its siblings (the built-ins) first.
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "profile/internal.h"
#include "profile/profile.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_PROFILE_SIZE (1 << 20)
#define BUILTIN_DIR	 "<builtin>"

/* Lookup directories for bare profile names, in order; the built-in profiles come last. */
static const char *const profile_dirs[] = {
	"profiles",
	"/etc/ward/profiles",
	WARD_PREFIX "/share/ward/profiles",
};

/* What a name was found as: a file (path) or a built-in profile (path is its display name). */
struct source {
	char *path;
	const struct ward_builtin_profile *builtin;
	const char *text; /* ward_profile_load_buffer(): the text itself, no file */
	size_t len;
};

static void source_done(struct source *s)
{
	free(s->path);
}

static const struct ward_builtin_profile *builtin_find(const char *name)
{
	for (const struct ward_builtin_profile *b = ward_builtin_profiles; b->name; b++)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

static int builtin_source(const struct ward_builtin_profile *b, struct source *ret)
{
	if (asprintf(&ret->path, BUILTIN_DIR "/%s.yaml", b->name) < 0) {
		ret->path = NULL;
		return -ENOMEM;
	}
	ret->builtin = b;
	return 0;
}

static bool is_path(const char *s)
{
	size_t l = strlen(s);

	return strchr(s, '/') || (l > 5 && strcmp(s + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(s + l - 4, ".yml") == 0);
}

static char *path_join(const char *dir, const char *name)
{
	char *r;

	if (!dir || name[0] == '/' || strcmp(dir, ".") == 0)
		return strdup(name);
	if (asprintf(&r, "%s/%s", dir, name) < 0)
		return NULL;
	return r;
}

/*
 * Finds a profile: a path is taken as is (relative to dir first when dir is set); a bare
 * name is NAME.yaml in dir (when set; the built-ins when builtin_first), then in
 * profile_dirs, then among the built-in profiles. -ENOENT if not found.
 */
static int find_profile(const char *name, const char *dir, bool builtin_first, struct source *ret)
{
	_cleanup_free_ char *c = NULL;
	const struct ward_builtin_profile *b;
	const char *dirs[1 + ARRAY_SIZE(profile_dirs)];
	size_t nd = 0;

	*ret = (struct source){0};
	if (is_path(name)) {
		if (dir && name[0] != '/') {
			c = path_join(dir, name);
			if (!c)
				return -ENOMEM;
			if (access(c, F_OK) == 0) {
				ret->path = TAKE_PTR(c);
				return 0;
			}
			free(c);
		}
		c = strdup(name);
		if (!c)
			return -ENOMEM;
		ret->path = TAKE_PTR(c);
		return 0;
	}
	if (!*name || name[0] == '.')
		return -ENOENT;
	b = builtin_find(name);
	if (b && builtin_first)
		return builtin_source(b, ret);
	if (dir)
		dirs[nd++] = dir;
	for (size_t i = 0; i < ARRAY_SIZE(profile_dirs); i++)
		dirs[nd++] = profile_dirs[i];
	for (size_t i = 0; i < nd; i++) {
		free(c);
		if (asprintf(&c, "%s/%s.yaml", dirs[i], name) < 0) {
			c = NULL;
			return -ENOMEM;
		}
		if (strncmp(c, "./", 2) == 0)
			memmove(c, c + 2, strlen(c + 2) + 1);
		if (access(c, F_OK) == 0) {
			ret->path = TAKE_PTR(c);
			return 0;
		}
	}
	if (b)
		return builtin_source(b, ret);
	return -ENOENT;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int add_file(struct ward_profile *p, const char *name, const char **ret)
{
	char **n = reallocarray(p->files, p->n_files + 1, sizeof(*n));
	char *c;

	if (!n)
		return -ENOMEM;
	p->files = n;
	c = strdup(name);
	if (!c)
		return -ENOMEM;
	p->files[p->n_files++] = c;
	*ret = c;
	return 0;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->builtin == b->builtin && a->dev == b->dev && a->ino == b->ino;
}

static int load_file(struct loader *l, const struct source *src, const yaml_node_t *from_node,
		     struct yfile *from);

static int include_item(struct yfile *y, const yaml_node_t *it, const char *what, const char *s,
			void *userdata)
{
	_cleanup_(source_done) struct source found = {0};
	int r = find_profile(s, y->dir, y->builtin, &found);

	if (r == -ENOENT)
		return node_err(y, it,
				"include '%s': not found (looked for %s.yaml in %s%s%s, %s, %s)", s,
				s, y->dir ? y->dir : "", y->dir ? ", " : "", profile_dirs[0],
				profile_dirs[1], profile_dirs[2]);
	if (r < 0)
		return r;
	return load_file(y->l, &found, it, y);
}

int apply_includes(struct yfile *y, yaml_node_t *root)
{
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_get(y, pair->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), "include") == 0)
			/* a duplicate 'include' key is reported by walk_map() */
			return for_each_scalar(y, node_get(y, pair->value), "include", include_item,
					       NULL);
	}
	return 0;
}

/* Reports an include cycle: the chain from the repeated file to the include closing it. */
static int cycle_err(struct yfile *from, const yaml_node_t *at, size_t first, const char *path)
{
	struct loader *l = from->l;
	char chain[600] = "";
	size_t o = 0;

	for (size_t i = first; i < l->depth && o < sizeof(chain); i++)
		o += (size_t)snprintf(chain + o, sizeof(chain) - o, "%s -> ", l->stack[i].file);
	if (o < sizeof(chain))
		snprintf(chain + o, sizeof(chain) - o, "%s", path);
	return node_err(from, at, "include cycle: %s", chain);
}

/* Opens a profile file: a regular file, or an error naming it (at the include, if any). */
static int open_file(struct loader *l, const char *path, const yaml_node_t *from_node,
		     struct yfile *from, struct file_id *ret_id)
{
	/* O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever (the
	 * check below refuses it, but only once open returns). Reads of a regular file ignore
	 * the flag. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		if (from)
			return node_err(from, from_node, "include '%s': %s", path, strerror(-r));
		return ward_error_set(l->err, r, "%s: %s", path, strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		if (from)
			return node_err(from, from_node, "include '%s': not a regular file", path);
		return ward_error_set(l->err, -EINVAL, "%s: not a regular file", path);
	}
	*ret_id = (struct file_id){.dev = st.st_dev, .ino = st.st_ino};
	return TAKE_FD(fd);
}

/*
 * Reads one file (or a built-in profile), applies its includes, then its own keys.
 * from/from_node: the including file and its include item, NULL for the top file.
 */
static int load_file(struct loader *l, const struct source *src, const yaml_node_t *from_node,
		     struct yfile *from)
{
	struct yfile y = {.l = l, .p = l->p, .top = !from, .builtin = !!src->builtin};
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct file_id id = {.builtin = src->builtin};
	const char *text;
	yaml_node_t *root = NULL;
	size_t len;
	int r;

	if (!src->builtin && !src->text) {
		fd = open_file(l, src->path, from_node, from, &id);
		if (fd < 0)
			return fd;
	}
	for (size_t i = 0; i < l->depth; i++)
		if (file_id_eq(&l->stack[i].id, &id))
			return cycle_err(from, from_node, i, src->path);
	for (size_t i = 0; i < l->n_done; i++)
		if (file_id_eq(&l->done[i], &id))
			return 0; /* applied already (diamond) */
	if (src->builtin) {
		text = src->builtin->text;
		len = src->builtin->len;
	} else if (src->text) {
		if (src->len >= MAX_PROFILE_SIZE)
			return ward_error_set(l->err, -EFBIG, "%s: larger than 1 MiB", src->path);
		text = src->text;
		len = src->len;
	} else {
		char *shrunk;
		ssize_t n;

		buf = malloc(MAX_PROFILE_SIZE);
		if (!buf)
			return -ENOMEM;
		n = ward_read_full(fd, buf, MAX_PROFILE_SIZE);
		if (n < 0)
			return ward_error_set(l->err, (int)n, "%s: %s", src->path,
					      n == -EFBIG ? "larger than 1 MiB"
							  : strerror((int)-n));
		close(TAKE_FD(fd));
		/* keep only what was read while the includes below are loaded */
		shrunk = realloc(buf, (size_t)n + 1);
		if (shrunk)
			buf = shrunk;
		text = buf;
		len = (size_t)n;
	}
	if (l->depth >= MAX_INCLUDE_DEPTH)
		return node_err(from, from_node, "includes nested more than %d deep",
				MAX_INCLUDE_DEPTH);

	r = add_file(l->p, src->path, &y.file);
	if (r < 0)
		return r;
	if (!src->builtin && !src->text) {
		y.dir = dir_of(src->path);
		if (!y.dir)
			return -ENOMEM;
	}
	/* built in: y.dir stays NULL, path includes and imports resolve as from the cwd */

	r = yaml_compose(&y, text, len, &root);
	if (r < 0)
		goto out;

	l->stack[l->depth].id = id;
	l->stack[l->depth].file = y.file;
	l->depth++;
	r = apply_includes(&y, root);
	l->depth--;
	if (r < 0)
		goto out;

	r = ward_profile_apply_keys(&y, root);
	if (r < 0)
		goto out;
	{
		struct file_id *d = reallocarray(l->done, l->n_done + 1, sizeof(*d));

		if (!d) {
			r = -ENOMEM;
			goto out;
		}
		l->done = d;
		l->done[l->n_done++] = id;
	}
	r = 0;
out:
	yaml_document_delete(&y.doc);
	free(y.dir);
	return r;
}

/* Checks that need the merged result. */
static int finish(struct loader *l, const char *top)
{
	struct ward_profile *p = l->p;

	/* With the host network there is nothing to unshare; keep the struct consistent. */
	if (p->net_mode == WARD_NET_HOST)
		p->namespaces &= ~(unsigned)WARD_NS_NET;
	else if (!(p->namespaces & WARD_NS_NET))
		return ward_error_set(l->err, -EINVAL,
				      "%s:%d:%d: namespaces: 'net' is required unless "
				      "network.mode is host",
				      l->ns_loc.file ? l->ns_loc.file : top, l->ns_loc.line,
				      l->ns_loc.col);
	/*
	 * tmpfs sizes: a tmpfs's pages are charged to the sandbox's memory cgroup, so without a
	 * cap /tmp could take the whole memory limit (or half the host's RAM, the kernel's
	 * default, with none). The default, min(256 MiB, limits.memory / 2), keeps half the
	 * limit for the workload and makes a full /tmp an ENOSPC (reported) rather than an OOM
	 * kill; an explicit size above the limit could never be used and is refused.
	 */
	for (size_t i = 0; i < p->fs_tmpfs.n; i++) {
		struct ward_str *t = &p->fs_tmpfs.v[i];
		uint64_t def = WARD_TMPFS_DEFAULT;

		if (p->mem_max && p->mem_max / 2 < def)
			def = p->mem_max / 2 < 4096 ? 4096 : p->mem_max / 2;
		if (!t->size)
			t->size = def;
		else if (p->mem_max && t->size > p->mem_max)
			return ward_error_set(l->err, -EINVAL,
					      "%s:%d:%d: filesystem.tmpfs: the size of %s (%llu "
					      "bytes) is larger than limits.memory (%llu bytes)",
					      t->size_loc.file ? t->size_loc.file : top,
					      t->size_loc.line, t->size_loc.col, t->s,
					      (unsigned long long)t->size,
					      (unsigned long long)p->mem_max);
	}
	if (!l->name_set) {
		/* profiles/python-cpu.yaml -> python-cpu */
		const char *b = strrchr(top, '/');
		size_t n;

		b = b ? b + 1 : top;
		n = strlen(b);
		if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
			n -= 5;
		else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
			n -= 4;
		free(p->name);
		p->name = strndup(b, n);
		if (!p->name)
			return -ENOMEM;
	}
	return 0;
}

static int load(const struct source *src, struct ward_profile **ret, struct ward_error *err)
{
	_cleanup_profile_ struct ward_profile *p = ward_profile_new();
	struct loader l = {.err = err};
	int r;

	if (!p)
		return -ENOMEM;
	l.p = p;
	r = load_file(&l, src, NULL, NULL);
	free(l.done);
	ward_hashmap_clear(&l.env_names);
	ward_hashmap_clear(&l.net_rules);
	ward_hashmap_clear(&l.bind_dsts);
	if (r < 0)
		return r;
	ward_profile_compact(p);
	r = finish(&l, src->path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int ward_profile_load(const char *name_or_path, struct ward_profile **ret, struct ward_error *err)
{
	_cleanup_(source_done) struct source src = {0};
	int r;

	if (!name_or_path || !*name_or_path)
		return ward_error_set(err, -EINVAL, "no profile name given");
	r = find_profile(name_or_path, NULL, false, &src);
	if (r == -ENOENT)
		return ward_error_set(err, r,
				      "profile '%s' not found (looked for %s.yaml in %s, %s, %s)",
				      name_or_path, name_or_path, profile_dirs[0], profile_dirs[1],
				      profile_dirs[2]);
	if (r < 0)
		return r;
	return load(&src, ret, err);
}

int ward_profile_load_buffer(const char *name, const char *text, size_t len,
			     struct ward_profile **ret, struct ward_error *err)
{
	/* Not a file: no dev/ino, so no include can close a cycle through it; its includes
	 * and imports resolve as a built-in profile's do (the current directory). */
	struct source src = {.path = (char *)name, .text = text, .len = len};

	if (!name || !text)
		return ward_error_set(err, -EINVAL, "no profile text given");
	return load(&src, ret, err);
}

int ward_profile_load_default(struct ward_profile **ret, struct ward_error *err)
{
	/* profiles/default.yaml is built in, so this finds it even with nothing installed. */
	return ward_profile_load("default", ret, err);
}
