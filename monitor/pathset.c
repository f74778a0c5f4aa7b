// SPDX-License-Identifier: MIT
/*
 * Paths as the sandbox sees them: normalization of what the file monitor reports, and the
 * profile's view as a set of prefixes (the same set monitor.c loads into the BPF paths map).
 */
#include "common/macro.h"
#include "monitor/pathset.h"

#include <string.h>

bool ward_path_violation(int cls, bool write)
{
	if (cls == WARD_PC_DENY || cls == WARD_PC_NONE)
		return true;
	return write && (cls == WARD_PC_RO || cls == WARD_PC_SKEL);
}

void ward_pathset_free(struct ward_pathset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static struct ward_path_entry *pathset_find(struct ward_pathset *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].path, path) == 0)
			return &s->v[i];
	return NULL;
}

/* Adds (or upgrades) an entry; a real list entry replaces a SKEL parent of the same path, and
 * deny replaces anything. */
static int pathset_add(struct ward_pathset *s, const char *raw, int cls, bool exact,
		       const char *list)
{
	char norm[4096];
	struct ward_path_entry *e, *v;
	int r;

	if (!raw || raw[0] != '/')
		return 0; /* the profile parser rejects relative entries; ignore what is left */
	r = ward_path_normalize(NULL, raw, norm, sizeof(norm));
	if (r < 0)
		return r;
	e = pathset_find(s, norm);
	if (e) {
		if (cls == WARD_PC_SKEL || e->cls == WARD_PC_DENY)
			return 0;
		e->cls = cls;
		e->exact = exact;
		e->list = list;
		return 0;
	}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	e = &s->v[s->n];
	e->path = strdup(norm);
	if (!e->path)
		return -ENOMEM;
	e->len = strlen(norm);
	e->cls = cls;
	e->exact = exact;
	e->list = list;
	s->n++;
	return 0;
}

/* The directories above an entry exist in the view (mount points), read-only. */
static int pathset_add_parents(struct ward_pathset *s, const char *path)
{
	char buf[4096];
	int r;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (;;) {
		char *slash = strrchr(buf, '/');

		if (!slash)
			return 0;
		if (slash == buf) {
			return pathset_add(s, "/", WARD_PC_SKEL, true, "filesystem");
		}
		*slash = 0;
		r = pathset_add(s, buf, WARD_PC_SKEL, true, "filesystem");
		if (r < 0)
			return r;
	}
}

static int add_list(struct ward_pathset *s, const struct ward_strv *l, int cls, bool exact,
		    const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		int r = pathset_add(s, l->v[i].s, cls, exact, name);

		if (r < 0)
			return r;
	}
	return 0;
}

int ward_pathset_build(const struct ward_profile *p, char *const *extra_devices,
		       struct ward_pathset *ret)
{
	/* What the lead's sandbox always has besides the profile's lists. */
	static const char *const implicit[] = {"/proc",	      "/dev/pts",   "/dev/shm",
					       "/dev/ptmx",   "/dev/fd",    "/dev/stdin",
					       "/dev/stdout", "/dev/stderr"};
	struct ward_pathset s = {0};
	size_t n_real;
	int r;

	if (!p || !ret)
		return -EINVAL;
	r = add_list(&s, &p->fs_readonly, WARD_PC_RO, false, "filesystem.readonly");
	if (r >= 0)
		r = add_list(&s, &p->fs_readwrite, WARD_PC_RW, false, "filesystem.readwrite");
	if (r >= 0)
		r = add_list(&s, &p->fs_tmpfs, WARD_PC_TMPFS, false, "filesystem.tmpfs");
	if (r >= 0)
		r = add_list(&s, &p->fs_devices, WARD_PC_DEV, true, "filesystem.devices");
	for (size_t i = 0; r >= 0 && i < p->n_binds; i++) {
		const struct ward_bind *b = &p->binds[i];

		r = pathset_add(&s, b->dst ? b->dst : b->src, b->rw ? WARD_PC_RW : WARD_PC_RO,
				false, "--bind");
	}
	for (size_t i = 0; r >= 0 && extra_devices && extra_devices[i]; i++)
		r = pathset_add(&s, extra_devices[i], WARD_PC_DEV, true, "gpu.allow");
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(implicit); i++)
		r = pathset_add(&s, implicit[i], WARD_PC_IMPLICIT, false, "builtin");
	/* The sandbox's own cgroup, read-only (launcher/mount.c, mount_cgroup_view). */
	if (r >= 0)
		r = pathset_add(&s, "/sys/fs/cgroup", WARD_PC_RO, false, "builtin");
	n_real = s.n;
	for (size_t i = 0; r >= 0 && i < n_real; i++) {
		char *copy = strdup(s.v[i].path);

		if (!copy) {
			r = -ENOMEM;
			break;
		}
		r = pathset_add_parents(&s, copy);
		free(copy);
	}
	if (r >= 0)
		r = pathset_add(&s, "/", WARD_PC_SKEL, true, "filesystem");
	if (r >= 0)
		r = add_list(&s, &p->fs_deny, WARD_PC_DENY, false, "filesystem.deny");
	/* ward's init is PID 1 inside: its root, cwd, namespaces and memory lead out of the
	 * sandbox's view of itself (the kernel refuses them: dumpable=0, ptrace checks) */
	static const char *const init_private[] = {
		"/proc/1/root", "/proc/1/cwd", "/proc/1/exe",	  "/proc/1/ns",
		"/proc/1/fd",	"/proc/1/mem", "/proc/1/environ", "/proc/1/map_files",
	};
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(init_private); i++)
		r = pathset_add(&s, init_private[i], WARD_PC_DENY, false, "builtin: ward's init");
	if (r < 0) {
		ward_pathset_free(&s);
		return r;
	}
	*ret = s;
	return 0;
}

/* ward_path_under(path, e->path) or, for an exact entry, strcmp() == 0, with both lengths known:
 * the file monitor classifies every record against every entry (a burst of events: a fifth of
 * the supervisor's time went to strlen and strncmp here). */
static bool entry_matches(const struct ward_path_entry *e, const char *path, size_t len)
{
	size_t n = e->len;

	if (n > len)
		return false;
	if (e->exact)
		return n == len && memcmp(path, e->path, n) == 0;
	if (n == 0 || e->path[0] != '/')
		return false;
	if (n == 1)
		return true; /* "/" */
	return (path[n] == 0 || path[n] == '/') && memcmp(path, e->path, n) == 0;
}

int ward_pathset_classify(const struct ward_pathset *s, const char *path,
			  const struct ward_path_entry **ret_entry)
{
	const struct ward_path_entry *best = NULL, *deny = NULL;
	size_t best_len = 0, len;

	if (!s || !path || path[0] != '/')
		return -EINVAL;
	len = strlen(path);
	for (size_t i = 0; i < s->n; i++) {
		const struct ward_path_entry *e = &s->v[i];

		if (!entry_matches(e, path, len))
			continue;
		if (e->cls == WARD_PC_DENY) {
			deny = e;
			continue;
		}
		if (!best || e->len > best_len) {
			best = e;
			best_len = e->len;
		}
	}
	if (deny)
		best = deny;
	if (ret_entry)
		*ret_entry = best;
	return best ? best->cls : WARD_PC_NONE;
}
