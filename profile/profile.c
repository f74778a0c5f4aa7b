// SPDX-License-Identifier: MIT
/*
 * Profiles: the struct, its string vectors and the command-line overrides (--bind, --env, --gpu).
 *
 * Where the rest lives: yaml.c (libyaml node helpers, walk_map), keys.c (one handler per
 * profile key), load.c (lookup, built-in profiles, includes, cycles), values.c (addresses,
 * ports, network rules, paths), dump.c (`ward check` output), oci.c (syscalls.import).
 */
#include "common/macro.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/parse.h"
#include "profile/internal.h"
#include "profile/profile.h"

#include <string.h>

/* ---- small containers -------------------------------------------------------------------- */

static void strv_index_free(struct ward_strv *v)
{
	if (v->index) {
		ward_hashmap_clear(v->index);
		free(v->index);
		v->index = NULL;
	}
}

static void strv_free(struct ward_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].s);
	free(v->v);
	strv_index_free(v);
	*v = (struct ward_strv){0};
}

/*
 * Lists are looked up by a hash index built on the first lookup and kept up to date by push
 * and remove; removal leaves a hole (s NULL) that ward_strv_compact() closes once the load is
 * done. Linear scans and memmove made a profile near the 1 MiB cap take seconds (issue 9).
 */
static int strv_index_build(struct ward_strv *v)
{
	v->index = calloc(1, sizeof(*v->index));
	if (!v->index)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].s && ward_hashmap_put(v->index, v->v[i].s, strlen(v->v[i].s), i) < 0) {
			strv_index_free(v);
			return -ENOMEM;
		}
	return 0;
}

ssize_t ward_strv_find(struct ward_strv *v, const char *s)
{
	size_t at;

	if (!v->index && strv_index_build(v) < 0) {
		for (size_t i = 0; i < v->n; i++)
			if (v->v[i].s && strcmp(v->v[i].s, s) == 0)
				return (ssize_t)i;
		return -1;
	}
	return ward_hashmap_get(v->index, s, strlen(s), &at) ? (ssize_t)at : -1;
}

int ward_strv_reserve(struct ward_strv *v, size_t extra)
{
	size_t cap = v->cap ? v->cap : 8;
	struct ward_str *n;

	while (cap < v->n + extra)
		cap *= 2;
	if (cap != v->cap) {
		n = reallocarray(v->v, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		v->v = n;
		v->cap = cap;
	}
	if (!v->index && strv_index_build(v) < 0)
		return -ENOMEM;
	return ward_hashmap_reserve(v->index, v->n + extra);
}

/* Takes ownership of s (also on failure). */
int ward_strv_push(struct ward_strv *v, char *s, struct ward_loc loc)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct ward_str *n = reallocarray(v->v, cap, sizeof(*n));

		if (!n) {
			free(s);
			return -ENOMEM;
		}
		v->v = n;
		v->cap = cap;
	}
	if (v->index && ward_hashmap_put(v->index, s, strlen(s), v->n) < 0) {
		free(s);
		return -ENOMEM;
	}
	v->v[v->n++] = (struct ward_str){.s = s, .loc = loc};
	return 0;
}

int ward_profile_add_deny(struct ward_profile *p, const char *path, struct ward_loc loc)
{
	char *s;

	if (ward_strv_find(&p->fs_deny, path) >= 0)
		return 0;
	s = strdup(path);
	if (!s)
		return -ENOMEM;
	return ward_strv_push(&p->fs_deny, s, loc);
}

int ward_strv_add(struct ward_strv *v, char *s, struct ward_loc loc, size_t *ret_at)
{
	int r;

	if (!v->index && strv_index_build(v) < 0) {
		free(s);
		return -ENOMEM;
	}
	if (v->n == v->cap && ward_strv_reserve(v, 1) < 0) {
		free(s);
		return -ENOMEM;
	}
	r = ward_hashmap_insert(v->index, s, strlen(s), v->n, ret_at);
	if (r <= 0) {
		free(s);
		return r;
	}
	v->v[v->n] = (struct ward_str){.s = s, .loc = loc};
	*ret_at = v->n++;
	return 1;
}

void ward_strv_remove(struct ward_strv *v, size_t i)
{
	if (v->index)
		ward_hashmap_del(v->index, v->v[i].s, strlen(v->v[i].s));
	free(v->v[i].s);
	v->v[i].s = NULL;
	v->n_dead++;
}

void ward_strv_compact(struct ward_strv *v)
{
	size_t o = 0;

	strv_index_free(v);
	if (!v->n_dead)
		return;
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].s)
			v->v[o++] = v->v[i];
	v->n = o;
	v->n_dead = 0;
}

void ward_profile_compact(struct ward_profile *p)
{
	struct ward_strv *all[] = {
		&p->fs_readonly, &p->fs_readwrite, &p->fs_tmpfs, &p->fs_devices,
		&p->fs_deny,	 &p->exec_allow,   &p->sc_allow, &p->sc_deny,
		&p->sc_kill,	 &p->capabilities, &p->env_pass, &p->env_set,
	};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		ward_strv_compact(all[i]);
}

void ward_profile_free(struct ward_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->description);
	free(p->hostname);
	strv_free(&p->fs_readonly);
	strv_free(&p->fs_readwrite);
	strv_free(&p->fs_tmpfs);
	strv_free(&p->fs_devices);
	strv_free(&p->fs_deny);
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].src);
		free(p->binds[i].dst);
	}
	free(p->binds);
	for (size_t i = 0; i < p->n_net_allow; i++)
		free(p->net_allow[i].text);
	free(p->net_allow);
	strv_free(&p->exec_allow);
	strv_free(&p->sc_allow);
	strv_free(&p->sc_deny);
	strv_free(&p->sc_kill);
	free(p->sc_import.s);
	strv_free(&p->capabilities);
	free(p->sink);
	strv_free(&p->env_pass);
	strv_free(&p->env_set);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}

struct ward_profile *ward_profile_new(void)
{
	struct ward_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->mode = WARD_MODE_ENFORCE;
	p->namespaces = WARD_NS_ALL;
	p->uid = 65534;
	p->gid = 65534;
	p->net_mode = WARD_NET_NONE;
	p->sc_default = WARD_SC_DENY;
	p->grace_ns = 5ULL * 1000000000ULL;
	p->sink = strdup("stderr");
	if (!p->sink) {
		free(p);
		return NULL;
	}
	return p;
}

/* ---- command-line overrides ----------------------------------------------------------------- */

struct ward_bind *ward_profile_bind_slot(struct ward_profile *p)
{
	size_t n = p->n_binds, cap = 4;
	struct ward_bind *b;

	/* the array's capacity is the power of two (at least 4) at or above n: doubled */
	while (cap < n)
		cap *= 2;
	if (n == 0 || n == cap) {
		b = reallocarray(p->binds, n ? 2 * cap : cap, sizeof(*b));
		if (!b)
			return NULL;
		p->binds = b;
	}
	return &p->binds[p->n_binds++];
}

/*
 * Splits a --bind argument at the colons that are not escaped: "\:" is a colon of a path,
 * "\\" a backslash (so a path holding ':' can be bound). copy is modified in place.
 */
static int split_bind(char *copy, char *parts[3], size_t *ret_n)
{
	size_t n = 0;
	char *o = copy;

	parts[n++] = o;
	for (char *c = copy; *c; c++) {
		if (*c == '\\' && (c[1] == ':' || c[1] == '\\')) {
			*o++ = *++c;
		} else if (*c == ':') {
			*o++ = '\0';
			if (n == 3)
				return -EINVAL;
			parts[n++] = o;
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	*ret_n = n;
	return 0;
}

int ward_profile_add_bind(struct ward_profile *p, const char *spec, struct ward_error *err)
{
	_cleanup_free_ char *copy = NULL, *src = NULL, *dst = NULL;
	char *parts[3] = {NULL, NULL, NULL};
	struct ward_bind *n;
	const char *why = "";
	size_t np = 0;
	bool rw = false;
	int r;

	if (!spec || !*spec)
		return ward_error_set(err, -EINVAL, "--bind: empty argument");
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	if (split_bind(copy, parts, &np) < 0)
		return ward_error_set(err, -EINVAL,
				      "--bind '%s': expected SRC[:DST[:ro|rw]] (a ':' of a path is "
				      "written '\\:')",
				      spec);
	if (np == 3) {
		if (strcmp(parts[2], "rw") == 0)
			rw = true;
		else if (strcmp(parts[2], "ro") != 0)
			return ward_error_set(err, -EINVAL,
					      "--bind '%s': mode '%s' is not ro or rw", spec,
					      parts[2]);
	}
	r = ward_normalize_abs_path(parts[0], &src, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return ward_error_set(err, r, "--bind '%s': source '%s' %s", spec, parts[0], why);
	r = ward_normalize_abs_path(np >= 2 ? parts[1] : parts[0], &dst, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return ward_error_set(err, r, "--bind '%s': destination '%s' %s", spec,
				      np >= 2 ? parts[1] : parts[0], why);
	why = ward_bind_dst_refused(dst);
	if (why)
		return ward_error_set(err, -EINVAL, "--bind '%s': destination '%s' %s%s%s%s", spec,
				      dst, why, strcmp(dst, "/") ? "" : " (e.g. ",
				      strcmp(dst, "/") ? "" : src,
				      strcmp(dst, "/") ? "" : ":/host)");
	/* After the profile: a bind of the same place is replaced (another source) or widened
	 * (rw wins), so every later layer sees one bind per destination. */
	for (size_t i = 0; i < p->n_binds; i++) {
		struct ward_bind *b = &p->binds[i];

		if (strcmp(b->dst, dst) != 0)
			continue;
		if (strcmp(b->src, src) != 0) {
			free(b->src);
			b->src = TAKE_PTR(src);
			b->rw = rw;
		} else {
			b->rw |= rw;
		}
		b->loc = (struct ward_loc){0};
		return 0;
	}
	n = ward_profile_bind_slot(p);
	if (!n)
		return -ENOMEM;
	*n = (struct ward_bind){
		.src = TAKE_PTR(src),
		.dst = TAKE_PTR(dst),
		.rw = rw,
		/* no file, line 0: from the command line (mount.c prints "--bind") */
		.loc = {.file = NULL, .line = 0, .col = 0},
	};
	return 0;
}

int ward_profile_add_env(struct ward_profile *p, const char *spec, struct ward_error *err)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	size_t nl = !spec ? 0 : eq ? (size_t)(eq - spec) : strlen(spec);
	char *c;

	if (!spec || !ward_env_name_ok(spec, nl))
		return ward_error_set(err, -EINVAL,
				      "--env '%s': expected NAME=VALUE (set) or NAME (pass from "
				      "here), NAME of letters, digits and '_', not starting with a "
				      "digit",
				      spec ? spec : "");
	/* Either way the command line wins over the profile for this name: a value given here
	 * replaces env.set's, and a name passed from here is no longer set by the profile
	 * (env.set wins over env.pass when both have it). */
	for (size_t i = 0; i < p->env_set.n; i++) {
		if (strncmp(p->env_set.v[i].s, spec, nl) != 0 || p->env_set.v[i].s[nl] != '=')
			continue;
		if (!eq) {
			free(p->env_set.v[i].s);
			memmove(&p->env_set.v[i], &p->env_set.v[i + 1],
				(p->env_set.n - i - 1) * sizeof(p->env_set.v[0]));
			p->env_set.n--;
			break;
		}
		c = strdup(spec);
		if (!c)
			return -ENOMEM;
		free(p->env_set.v[i].s);
		p->env_set.v[i].s = c;
		p->env_set.v[i].loc = (struct ward_loc){0};
		return 0;
	}
	if (eq) {
		c = strdup(spec);
		return c ? ward_strv_push(&p->env_set, c, (struct ward_loc){0}) : -ENOMEM;
	}
	for (size_t i = 0; i < p->env_pass.n; i++)
		if (strcmp(p->env_pass.v[i].s, spec) == 0)
			return 0;
	c = strdup(spec);
	return c ? ward_strv_push(&p->env_pass, c, (struct ward_loc){0}) : -ENOMEM;
}

/* "none", "all" or "N[,N...]" into gpu_all/gpus/n_gpus; duplicates dropped. */
static int parse_gpu_list(const char *spec, bool *ret_all, int gpus[WARD_GPU_MAX], size_t *ret_n,
			  const char **ret_bad, size_t *ret_badlen)
{
	size_t n = 0;

	if (strcmp(spec, "none") == 0) {
		*ret_all = false;
		*ret_n = 0;
		return 0;
	}
	if (strcmp(spec, "all") == 0) {
		*ret_all = true;
		*ret_n = 0;
		return 0;
	}
	for (const char *c = spec;;) {
		size_t l = strcspn(c, ",");
		char buf[8];
		uint64_t v;
		bool dup = false;

		*ret_bad = c;
		*ret_badlen = l;
		if (l == 0 || l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, c, l);
		buf[l] = '\0';
		if (ward_parse_uint(buf, WARD_GPU_MAX - 1, &v) < 0)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			dup |= gpus[i] == (int)v;
		if (!dup)
			gpus[n++] = (int)v;
		c += l;
		if (!*c)
			break;
		c++;
	}
	*ret_all = false;
	*ret_n = n;
	return 0;
}

int ward_profile_load_cli(const char *name, const char *mode, const char *net,
			  struct ward_profile **ret, struct ward_error *err)
{
	int r = name ? ward_profile_load(name, ret, err) : ward_profile_load_default(ret, err);

	if (r < 0)
		return r;
	if (mode)
		(*ret)->mode = strcmp(mode, "audit") == 0 ? WARD_MODE_AUDIT : WARD_MODE_ENFORCE;
	if (net)
		ward_profile_set_net(*ret, strcmp(net, "none") == 0	  ? WARD_NET_NONE
					   : strcmp(net, "loopback") == 0 ? WARD_NET_LOOPBACK
									  : WARD_NET_HOST);
	return 0;
}

void ward_profile_set_net(struct ward_profile *p, enum ward_net_mode mode)
{
	p->net_mode = mode;
	/* the network namespace follows the mode: host shares, the others isolate */
	if (mode == WARD_NET_HOST)
		p->namespaces &= ~WARD_NS_NET;
	else
		p->namespaces |= WARD_NS_NET;
}

int ward_profile_set_gpu(struct ward_profile *p, const char *spec, struct ward_error *err)
{
	int gpus[WARD_GPU_MAX];
	const char *bad = "";
	size_t n = 0, badlen = 0;
	bool all = false;

	if (!spec || !*spec)
		return ward_error_set(err, -EINVAL, "--gpu: expected none, all or N[,N...]");
	if (parse_gpu_list(spec, &all, gpus, &n, &bad, &badlen) < 0)
		return ward_error_set(
			err, -EINVAL,
			"--gpu '%s': '%.*s' is not a GPU index (0-%d); expected none, "
			"all or N[,N...]",
			spec, (int)badlen, bad, WARD_GPU_MAX - 1);
	p->gpu_all = all;
	memcpy(p->gpus, gpus, n * sizeof(gpus[0]));
	p->n_gpus = n;
	return 0;
}
