// SPDX-License-Identifier: MIT
/*
 * One handler per profile key, applied to one struct ward_profile in merge order (load.c):
 * "later wins" for scalars falls out of plain assignment, lists are appended with duplicates
 * dropped (see struct excl_group for the lists that exclude each other), and every list of
 * strings goes through for_each_scalar().
 */
#include "common/macro.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/parse.h"
#include "profile/internal.h"
#include "profile/oci.h"
#include "profile/profile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <unistd.h>

/*
 * Lists whose members exclude each other: a syscall is allowed, denied or killed; a path is
 * read-only, read-write, a tmpfs or denied. An item from a later file takes it away from
 * the other lists (the more specific profile wins); within one file it is an error.
 */
struct excl_group {
	struct ward_strv *v[4];
	const char *name[4];
};

/* Appends a copy of item to dst unless present; see struct excl_group. */
static int add_item(struct yfile *y, const yaml_node_t *n, struct ward_strv *dst,
		    const char *dst_name, const struct excl_group *g, const char *item)
{
	char *c;
	ssize_t at;
	size_t pos;
	int r;

	for (size_t i = 0; g && i < ARRAY_SIZE(g->v) && g->v[i]; i++) {
		if (g->v[i] == dst)
			continue;
		at = ward_strv_find(g->v[i], item);
		if (at < 0)
			continue;
		if (g->v[i]->v[at].loc.file == y->file)
			return node_err(y, n, "'%s' is in both %s and %s (line %d)", item, dst_name,
					g->name[i], g->v[i]->v[at].loc.line);
		ward_strv_remove(g->v[i], (size_t)at);
	}
	c = strdup(item);
	if (!c)
		return -ENOMEM;
	r = ward_strv_add(dst, c, node_loc(y, n), &pos);
	/* Present already: keep the first position, but remember the latest file that asked
	 * for it; the same-file conflict check above depends on it. */
	if (r == 0)
		dst->v[pos].loc = node_loc(y, n);
	return r < 0 ? r : 0;
}

/* Makes room in dst for the items of the list n (whatever is wrong with n is reported later). */
static int reserve_list(struct yfile *y, const yaml_node_t *n, struct ward_strv *dst)
{
	size_t len = n->type == YAML_SEQUENCE_NODE
			     ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
			     : 0;

	return len ? ward_strv_reserve(dst, len) : 0;
}

/* Where for_each_scalar() callbacks put their items. */
struct list_dst {
	struct ward_strv *v;
	const struct excl_group *g; /* NULL: the list excludes no other */
};

/* Replaces the string *dst with a copy of s. */
static int set_str(char **dst, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* -- top level scalars -- */

static int h_name(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	/* Name and description describe the file ward was asked for: never inherited. */
	if (!y->top)
		return 0;
	if (strcmp(key, "name") != 0)
		return set_str(&y->p->description, s);
	y->l->name_set = true;
	return set_str(&y->p->name, s);
}

static int h_include(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return 0; /* applied before the other keys, see load_file() */
}

static int h_mode(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_mode */
	static const char *const names[] = {"enforce", "audit"};
	int i, r = get_enum(y, v, "mode", names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->mode = (enum ward_mode)i;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} ns_names[] = {
	{"user", WARD_NS_USER},	    {"pid", WARD_NS_PID}, {"mount", WARD_NS_MOUNT},
	{"net", WARD_NS_NET},	    {"ipc", WARD_NS_IPC}, {"uts", WARD_NS_UTS},
	{"cgroup", WARD_NS_CGROUP},
};

/* namespaces is a set: a later file replaces it as a whole (it is not concatenated). */
static int ns_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
		   void *userdata)
{
	unsigned *bits = userdata;

	for (size_t j = 0; j < ARRAY_SIZE(ns_names); j++)
		if (strcmp(s, ns_names[j].name) == 0) {
			*bits |= ns_names[j].bit;
			return 0;
		}
	return node_err(y, it,
			"namespaces: unknown namespace '%s' (user, pid, mount, net, ipc, uts, "
			"cgroup)",
			s);
}

static int h_namespaces(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	unsigned bits = 0;
	int r = for_each_scalar(y, v, path, ns_item, &bits);

	if (r < 0)
		return r;
	y->p->namespaces = bits;
	y->l->ns_loc = node_loc(y, v);
	return 0;
}

static int h_nested_ns(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return get_bool(y, v, path, &y->p->nested_ns);
}

static int h_user_id(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	uint64_t id;
	/* (uid_t)-1 means "unchanged" to setresuid(2): not a usable identity. */
	int r = get_uint(y, v, path, UINT32_MAX - 1, &id);

	if (r < 0)
		return r;
	if (strcmp(key, "uid") == 0)
		y->p->uid = (uid_t)id;
	else
		y->p->gid = (gid_t)id;
	return 0;
}

static int h_user(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"uid", h_user_id}, {"gid", h_user_id}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

static int h_hostname(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	size_t l;
	int r;

	if (node_is_null(v)) {
		free(y->p->hostname);
		y->p->hostname = NULL; /* the sandbox id */
		return 0;
	}
	r = get_str(y, v, path, &s);
	if (r < 0)
		return r;
	/* RFC 1123 host name characters; the kernel's limit is 64 (__NEW_UTS_LEN). */
	l = strlen(s);
	if (l == 0 || l > 64 || s[0] == '-' || s[0] == '.' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != l)
		return node_err(y, v,
				"hostname: '%s' is not a host name (letters, digits, '-' and '.', "
				"at most 64)",
				s);
	return set_str(&y->p->hostname, s);
}

/* -- filesystem -- */

static int fs_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
		   void *userdata)
{
	const struct list_dst *d = userdata;
	_cleanup_free_ char *norm = NULL;
	const char *why = "";
	int r = ward_normalize_abs_path(s, &norm, &why);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return node_err(y, it, "%s: '%s' %s", path, s, why);
	if (d->v == &y->p->fs_devices && strncmp(norm, "/dev/", 5) != 0)
		return node_err(y, it, "%s: '%s' is not under /dev", path, s);
	return add_item(y, it, d->v, path, d->g, norm);
}

/* A filesystem.tmpfs entry: PATH, or {path: PATH, size: SIZE}. */
static int tmpfs_item(struct yfile *y, const yaml_node_t *it, const char *path, void *userdata)
{
	const struct list_dst *d = userdata;
	const yaml_node_t *pn = it, *sn = NULL;
	uint64_t size = 0;
	const char *s;
	size_t at;
	int r;

	if (it->type == YAML_MAPPING_NODE) {
		pn = NULL;
		for (yaml_node_pair_t *pair = it->data.mapping.pairs.start;
		     pair < it->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = node_get(y, pair->key);
			const yaml_node_t **slot = NULL;

			if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), "path") == 0)
				slot = &pn;
			else if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), "size") == 0)
				slot = &sn;
			else
				return node_err(y, k, "%s: unknown key '%s' (path, size)", path,
						k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
			if (*slot)
				return node_err(y, k, "duplicate key '%s'", scalar(k));
			*slot = node_get(y, pair->value);
		}
		if (!pn)
			return node_err(y, it, "%s: an entry {path: PATH, size: SIZE} needs a path",
					path);
	}
	if (sn) {
		r = get_str(y, sn, path, &s);
		if (r < 0)
			return r;
		/* size=0 would be an unlimited tmpfs (tmpfs(5)) */
		if (ward_parse_size(s, &size) < 0 || size < 4096)
			return node_err(y, sn,
					"%s: size '%s' is not a size of at least 4K (like 64M, 1G)",
					path, s);
	}
	r = get_str(y, pn, path, &s);
	if (r < 0)
		return r;
	r = fs_item(y, pn, path, s, userdata);
	if (r < 0)
		return r;
	/* the entry is in the list now (new or not) */
	{
		_cleanup_free_ char *norm = NULL;
		const char *why;
		ssize_t i;

		if (ward_normalize_abs_path(s, &norm, &why) < 0)
			return -ENOMEM;
		i = ward_strv_find(d->v, norm);
		if (i < 0)
			return -EINVAL;
		at = (size_t)i;
		/* a plain PATH states no size: an earlier file's explicit one stays */
		if (sn) {
			d->v->v[at].size = size;
			d->v->v[at].size_loc = node_loc(y, sn);
		} else if (!d->v->v[at].size) {
			d->v->v[at].size_loc = node_loc(y, pn);
		}
	}
	return 0;
}

static int h_fs_list(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const struct excl_group g = {
		.v = {&p->fs_readonly, &p->fs_readwrite, &p->fs_tmpfs, &p->fs_deny},
		.name = {"filesystem.readonly", "filesystem.readwrite", "filesystem.tmpfs",
			 "filesystem.deny"},
	};
	struct list_dst d = {.g = &g};

	if (strcmp(key, "readonly") == 0)
		d.v = &p->fs_readonly;
	else if (strcmp(key, "readwrite") == 0)
		d.v = &p->fs_readwrite;
	else if (strcmp(key, "tmpfs") == 0)
		d.v = &p->fs_tmpfs;
	else if (strcmp(key, "devices") == 0)
		d = (struct list_dst){.v = &p->fs_devices, .g = NULL};
	else
		d.v = &p->fs_deny;
	if (reserve_list(y, v, d.v) < 0)
		return -ENOMEM;
	if (d.v == &p->fs_tmpfs)
		return for_each_item(y, v, path, tmpfs_item, &d);
	return for_each_scalar(y, v, path, fs_item, &d);
}

/* One bind path ({src: ...} or {dst: ...}): absolute, normalized, into *ret (owned). */
static int bind_path(struct yfile *y, const yaml_node_t *n, const char *what, char **ret)
{
	const char *s, *why = "";
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	r = ward_normalize_abs_path(s, ret, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return node_err(y, n, "%s: '%s' %s", what, s, why);
	return 0;
}

/*
 * A filesystem.binds entry: {src: SRC, dst: DST, mode: ro|rw}, DST defaulting to SRC and mode
 * to ro, as --bind SRC[:DST[:ro|rw]] (no escaping: a ':' in a YAML scalar is only a ':').
 * One bind per destination: a later file's entry for the same DST replaces the earlier one
 * (source and mode); the same DST twice in one file is an error.
 */
static int bind_item(struct yfile *y, const yaml_node_t *it, const char *path, void *userdata)
{
	static const char *const keys[] = {"src", "dst", "mode"};
	static const char *const modes[] = {"ro", "rw"};
	const yaml_node_t *kv[3] = {NULL, NULL, NULL};
	_cleanup_free_ char *src = NULL, *dst = NULL;
	struct ward_profile *p = y->p;
	struct ward_bind *n;
	char what[64];
	const char *why;
	int mode = 0, r;
	size_t at;

	if (it->type != YAML_MAPPING_NODE)
		return node_err(y, it,
				"%s: each entry is {src: PATH, dst: PATH, mode: ro|rw}, got %s",
				path, node_kind(it));
	for (yaml_node_pair_t *pair = it->data.mapping.pairs.start;
	     pair < it->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_get(y, pair->key);
		size_t i = 0;

		while (i < ARRAY_SIZE(keys) &&
		       !(k->type == YAML_SCALAR_NODE && strcmp(scalar(k), keys[i]) == 0))
			i++;
		if (i == ARRAY_SIZE(keys))
			return node_err(y, k, "%s: unknown key '%s' (src, dst, mode)", path,
					k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
		if (kv[i])
			return node_err(y, k, "duplicate key '%s'", keys[i]);
		kv[i] = node_get(y, pair->value);
	}
	if (!kv[0])
		return node_err(y, it,
				"%s: an entry {src: PATH, dst: PATH, mode: ro|rw} needs a src",
				path);
	snprintf(what, sizeof(what), "%s.src", path);
	r = bind_path(y, kv[0], what, &src);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "%s.dst", path);
	r = kv[1] ? bind_path(y, kv[1], what, &dst) : ((dst = strdup(src)) ? 0 : -ENOMEM);
	if (r < 0)
		return r;
	why = ward_bind_dst_refused(dst);
	snprintf(what, sizeof(what), "%s.%s", path, kv[1] ? "dst" : "src");
	if (why)
		return node_err(y, kv[1] ? kv[1] : kv[0], "%s: destination '%s' %s", what, dst,
				why);
	if (kv[2]) {
		snprintf(what, sizeof(what), "%s.mode", path);
		r = get_enum(y, kv[2], what, modes, ARRAY_SIZE(modes), &mode);
		if (r < 0)
			return r;
	}
	r = ward_hashmap_insert(&y->l->bind_dsts, dst, strlen(dst), p->n_binds, &at);
	if (r < 0)
		return r;
	if (r == 0) {
		struct ward_bind *b = &p->binds[at];

		if (b->loc.file == y->file)
			return node_err(y, kv[1] ? kv[1] : kv[0],
					"%s: destination '%s' is bound twice (first at line %d)",
					path, dst, b->loc.line);
		free(b->src);
		b->src = TAKE_PTR(src);
		b->rw = mode == 1;
		b->loc = node_loc(y, it);
		return 0;
	}
	n = ward_profile_bind_slot(p);
	if (!n)
		return -ENOMEM;
	*n = (struct ward_bind){
		.src = TAKE_PTR(src),
		.dst = TAKE_PTR(dst),
		.rw = mode == 1,
		.loc = node_loc(y, it),
	};
	return 0;
}

static int h_fs_binds(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return for_each_item(y, v, path, bind_item, NULL);
}

static int h_filesystem(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"readonly", h_fs_list}, {"readwrite", h_fs_list}, {"tmpfs", h_fs_list},
		{"devices", h_fs_list},	 {"deny", h_fs_list},	   {"binds", h_fs_binds},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- network -- */

static int h_net_mode(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_net_mode */
	static const char *const names[] = {"none", "loopback", "host"};
	int i, r = get_enum(y, v, "network.mode", names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->net_mode = (enum ward_net_mode)i;
	return 0;
}

static int net_item(struct yfile *y, const yaml_node_t *it, const char *path, void *userdata)
{
	struct ward_profile *p = y->p;
	struct ward_net_rule rule, *nr;
	yaml_node_t *k, *val;
	const char *s;
	int r;

	if (it->type != YAML_MAPPING_NODE ||
	    it->data.mapping.pairs.top - it->data.mapping.pairs.start != 1)
		return node_err(y, it,
				"%s: each entry is one of {connect: ADDR:PORT}, {bind: "
				"ADDR:PORT} or {send: ADDR:PORT}",
				path);
	k = node_get(y, it->data.mapping.pairs.start->key);
	val = node_get(y, it->data.mapping.pairs.start->value);
	if (k->type != YAML_SCALAR_NODE || ward_parse_net_op(scalar(k), &rule.op) < 0)
		return node_err(y, k, "%s: '%s' is not connect, bind or send", path,
				k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
	r = get_str(y, val, path, &s);
	if (r < 0)
		return r;
	r = ward_parse_net_rule(scalar(k), s, &rule);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return node_err(y, val,
				"%s: '%s' is not ADDR[/PREFIX]:PORT[-PORT] (IPv6 in brackets, '*' "
				"for any address or port; port 0 only for bind)",
				path, s);
	rule.loc = node_loc(y, val);
	/* The identity ward_net_rule_eq() compares, as bytes: a duplicate is dropped. */
	{
		uint8_t id[1 + 1 + 16 + 1 + 4];

		id[0] = (uint8_t)rule.op;
		id[1] = (uint8_t)rule.family;
		memcpy(id + 2, rule.addr, 16);
		id[18] = rule.prefixlen;
		memcpy(id + 19, &rule.port_lo, 2);
		memcpy(id + 21, &rule.port_hi, 2);
		r = ward_hashmap_put(&y->l->net_rules, id, sizeof(id), 0);
		if (r <= 0) {
			free(rule.text);
			return r;
		}
	}
	nr = reallocarray(p->net_allow, p->n_net_allow + 1, sizeof(*nr));
	if (!nr) {
		free(rule.text);
		return -ENOMEM;
	}
	p->net_allow = nr;
	p->net_allow[p->n_net_allow++] = rule;
	return 0;
}

static int h_net_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return for_each_item(y, v, path, net_item, NULL);
}

static int h_network(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"mode", h_net_mode}, {"allow", h_net_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- gpu -- */

static int gpu_item(struct yfile *y, const yaml_node_t *it, const char *path, void *userdata)
{
	struct ward_profile *p = y->p;
	uint64_t idx;
	int r = get_uint(y, it, path, WARD_GPU_MAX - 1, &idx);

	if (r < 0)
		return r;
	for (size_t j = 0; j < p->n_gpus; j++)
		if (p->gpus[j] == (int)idx)
			return 0;
	p->gpus[p->n_gpus++] = (int)idx;
	return 0;
}

static int h_gpu_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;

	if (v->type == YAML_SCALAR_NODE && !node_is_null(v)) {
		if (strcmp(scalar(v), "none") == 0) {
			p->gpu_all = false;
			p->n_gpus = 0;
		} else if (strcmp(scalar(v), "all") == 0) {
			p->gpu_all = true;
			p->n_gpus = 0;
		} else {
			return node_err(y, v, "%s: '%s' is not none, all or a list of indexes",
					path, scalar(v));
		}
		return 0;
	}
	p->gpu_all = false;
	p->n_gpus = 0;
	return for_each_item(y, v, path, gpu_item, NULL);
}

static int h_gpu(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"allow", h_gpu_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- exec -- */

static int exec_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
		     void *userdata)
{
	/* Patterns match the absolute path the exec monitor reports (fnmatch(3)). */
	if (s[0] != '/')
		return node_err(y, it, "%s: '%s' must be an absolute path or pattern", path, s);
	return add_item(y, it, &y->p->exec_allow, path, NULL, s);
}

static int h_exec_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	if (reserve_list(y, v, &y->p->exec_allow) < 0)
		return -ENOMEM;
	return for_each_scalar(y, v, path, exec_item, NULL);
}

static int h_exec(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"allow", h_exec_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- syscalls -- */

static int h_sc_default(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_sc_action */
	static const char *const names[] = {"deny", "allow", "kill"};
	int i, r = get_enum(y, v, path, names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->sc_default = (enum ward_sc_action)i;
	return 0;
}

static int sc_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
		   void *userdata)
{
	const struct list_dst *d = userdata;

	/*
	 * Unknown to libseccomp on every architecture: a typo. A name that exists only on
	 * other architectures resolves to a negative pseudo number and is accepted, so a
	 * profile can serve several; libseccomp ignores such rules on this one.
	 */
	if (seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR)
		return node_err(y, it, "%s: unknown system call '%s'", path, s);
	return add_item(y, it, d->v, path, d->g, s);
}

static int h_sc_list(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const struct excl_group g = {
		.v = {&p->sc_allow, &p->sc_deny, &p->sc_kill},
		.name = {"syscalls.allow", "syscalls.deny", "syscalls.kill"},
	};
	struct list_dst d = {
		.v = strcmp(key, "allow") == 0	? &p->sc_allow
		     : strcmp(key, "deny") == 0 ? &p->sc_deny
						: &p->sc_kill,
		.g = &g,
	};

	if (reserve_list(y, v, d.v) < 0)
		return -ENOMEM;
	return for_each_scalar(y, v, path, sc_item, &d);
}

static int h_sc_import(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	_cleanup_free_ char *abs = NULL, *base = NULL;
	const char *s;
	int r;

	if (node_is_null(v)) {
		free(y->p->sc_import.s);
		y->p->sc_import = (struct ward_str){0};
		return 0;
	}
	r = get_str(y, v, path, &s);
	if (r < 0)
		return r;
	if (s[0] == '/') {
		abs = strdup(s);
	} else {
		/* Relative to the profile's directory, stored absolute so `ward check` output
		 * means the same thing from any working directory. */
		base = realpath(y->dir ? y->dir : ".", NULL);
		if (!base)
			return node_err(y, v, "%s: cannot resolve '%s': %m", path,
					y->dir ? y->dir : ".");
		if (asprintf(&abs, "%s/%s", base, s) < 0)
			abs = NULL;
	}
	if (!abs)
		return -ENOMEM;
	r = ward_oci_check_file(abs);
	if (r < 0)
		return node_err(y, v, "%s: cannot read '%s': %s", path, abs,
				r == -EINVAL ? "not a regular file" : strerror(-r));
	free(y->p->sc_import.s);
	y->p->sc_import.s = TAKE_PTR(abs);
	y->p->sc_import.loc = node_loc(y, v);
	return 0;
}

static int h_syscalls(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"default", h_sc_default}, {"allow", h_sc_list},    {"deny", h_sc_list},
		{"kill", h_sc_list},	   {"import", h_sc_import},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- capabilities -- */

static int cap_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
		    void *userdata)
{
	_cleanup_free_ char *canon = NULL;
	const char *bare = strncasecmp(s, "cap_", 4) == 0 ? s + 4 : s;
	size_t l = strlen(bare);
	cap_value_t cap;

	/* cap_from_name() also takes numbers; a profile must name the capability. */
	if (l == 0 || strspn(bare, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != l)
		return node_err(y, it, "%s: unknown capability '%s'", path, s);
	if (asprintf(&canon, "CAP_%s", bare) < 0) {
		canon = NULL;
		return -ENOMEM;
	}
	for (char *c = canon; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (cap_from_name(canon, &cap) < 0)
		return node_err(y, it, "%s: unknown capability '%s'", path, s);
	for (char *c = canon; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return add_item(y, it, &y->p->capabilities, path, NULL, canon);
}

static int h_capabilities(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	if (reserve_list(y, v, &y->p->capabilities) < 0)
		return -ENOMEM;
	return for_each_scalar(y, v, path, cap_item, NULL);
}

/* -- limits -- */

static int h_limit(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const char *s;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	if (strcmp(key, "memory") == 0) {
		if (ward_parse_size(s, &p->mem_max) < 0)
			return node_err(y, v, "%s: '%s' is not a size (like 512M, 2G, 1.5GiB)",
					path, s);
	} else if (strcmp(key, "wall") == 0 || strcmp(key, "grace") == 0) {
		uint64_t *dst = key[0] == 'w' ? &p->wall_ns : &p->grace_ns;

		if (ward_parse_duration(s, dst) < 0)
			return node_err(y, v, "%s: '%s' is not a duration (like 30s, 1h30m, 500ms)",
					path, s);
	} else if (strcmp(key, "cpu") == 0) {
		char *end;
		double d;

		errno = 0;
		d = strspn(s, "0123456789.") == strlen(s) ? strtod(s, &end) : (end = (char *)s, 0);
		/* 1 CPU = cpu.max "100000 100000"; a period can hold at most ~4096 CPUs' quota. */
		if (errno || end == s || *end || !isdigit((unsigned char)s[0]) || !isfinite(d) ||
		    d < 0 || d > 4096)
			return node_err(y, v, "%s: '%s' is not a number of CPUs (like 0.5, 2)",
					path, s);
		p->cpu_max = d;
	} else if (strcmp(key, "pids") == 0) {
		/* PID_MAX_LIMIT on 64-bit is 2^22 */
		return get_uint(y, v, path, 1U << 22, &p->pids_max);
	} else {
		/* fs.nr_open cannot go above 2^30 (sysctl_nr_open_max). */
		p->nofile_loc = node_loc(y, v);
		return get_uint(y, v, path, 1U << 30, &p->nofile);
	}
	return 0;
}

static int h_limits(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"memory", h_limit}, {"pids", h_limit}, {"cpu", h_limit},
		{"nofile", h_limit}, {"wall", h_limit}, {"grace", h_limit},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- events -- */

static int h_ev_sink(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	if (strcmp(s, "stderr") != 0 && strcmp(s, "none") != 0 &&
	    !((strncmp(s, "file:", 5) == 0 || strncmp(s, "unix:", 5) == 0) && s[5] == '/'))
		return node_err(y, v, "%s: '%s' is not stderr, none, file:/PATH or unix:/PATH",
				path, s);
	return set_str(&y->p->sink, s);
}

static int h_ev_bool(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return get_bool(y, v, path,
			strcmp(key, "allowed") == 0 ? &y->p->events_allowed
						    : &y->p->require_collector);
}

static int h_events(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"sink", h_ev_sink},
		{"allowed", h_ev_bool},
		{"require_collector", h_ev_bool},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- env -- */

static bool env_name_ok(const char *s)
{
	return ward_env_name_ok(s, strlen(s));
}

static int env_pass_item(struct yfile *y, const yaml_node_t *it, const char *path, const char *s,
			 void *userdata)
{
	if (!env_name_ok(s))
		return node_err(y, it, "%s: '%s' is not a variable name", path, s);
	return add_item(y, it, &y->p->env_pass, path, NULL, s);
}

static int h_env_pass(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	if (reserve_list(y, v, &y->p->env_pass) < 0)
		return -ENOMEM;
	return for_each_scalar(y, v, path, env_pass_item, NULL);
}

/* env.set is a map: a later file's value for the same name replaces the earlier one. */
static int h_env_set(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_strv *env = &y->p->env_set;
	struct ward_hashmap *names = &y->l->env_names; /* name -> position in env */
	yaml_node_pair_t *start, *end;

	if (node_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return node_err(y, v, "%s: expected a mapping of NAME: value, got %s", path,
				node_kind(v));
	start = v->data.mapping.pairs.start;
	end = v->data.mapping.pairs.top;
	if (ward_hashmap_reserve(names, names->n + (size_t)(end - start)) < 0)
		return -ENOMEM;
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *k = node_get(y, pair->key), *val = node_get(y, pair->value);
		const char *name, *value;
		char *entry;
		size_t at, l, vl;
		int r;

		if (k->type != YAML_SCALAR_NODE || !env_name_ok(scalar(k)))
			return node_err(y, k, "%s: '%s' is not a variable name", path,
					k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
		name = scalar(k);
		l = strlen(name);
		/* Every file is applied once and has one env.set: a name this file set already
		 * is a duplicate key of this mapping; one from an earlier file is replaced. */
		r = ward_hashmap_insert(names, name, l, env->n, &at);
		if (r < 0)
			return r;
		if (r == 0) {
			if (env->v[at].loc.file == y->file)
				return node_err(y, k, "duplicate key '%s' (first at line %d)", name,
						env->v[at].loc.line);
			ward_strv_remove(env, at);
			if (ward_hashmap_put(names, name, l, env->n) < 0)
				return -ENOMEM;
		}
		if (val->type != YAML_SCALAR_NODE)
			return node_err(y, val, "%s.%s: expected a string, got %s", path, name,
					node_kind(val));
		value = node_is_null(val) ? "" : scalar(val);
		vl = strlen(value);
		entry = malloc(l + 1 + vl + 1);
		if (!entry)
			return -ENOMEM;
		memcpy(entry, name, l);
		entry[l] = '=';
		memcpy(entry + l + 1, value, vl + 1);
		r = ward_strv_push(env, entry, node_loc(y, val));
		if (r < 0)
			return r;
	}
	return 0;
}

static int h_env(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"pass", h_env_pass}, {"set", h_env_set}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

static const struct key_handler top_keys[] = {
	{"name", h_name},
	{"description", h_name},
	{"mode", h_mode},
	{"include", h_include},
	{"namespaces", h_namespaces},
	{"nested_namespaces", h_nested_ns},
	{"user", h_user},
	{"hostname", h_hostname},
	{"filesystem", h_filesystem},
	{"network", h_network},
	{"gpu", h_gpu},
	{"exec", h_exec},
	{"syscalls", h_syscalls},
	{"capabilities", h_capabilities},
	{"limits", h_limits},
	{"events", h_events},
	{"env", h_env},
};

int ward_profile_apply_keys(struct yfile *y, yaml_node_t *root)
{
	return walk_map(y, root, "", top_keys, ARRAY_SIZE(top_keys));
}
