/* SPDX-License-Identifier: MIT */
/*
 * What the files of profile/ share and nothing else includes: the loader's state, the file
 * being applied, the YAML node helpers (yaml.c), the key handlers' entry point (keys.c), the
 * value parsers the handlers and the command line both use (values.c), string vectors
 * (profile.c) and the built-in profiles (generated). The public API is profile/profile.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yaml.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/macro.h"
#include "profile/profile.h"

#define MAX_INCLUDE_DEPTH 16

/* ---- the built-in profiles (build/builtin_profiles.c, from profiles/NAME.yaml) ------------ */

struct ward_builtin_profile {
	const char *name; /* "base" for profiles/base.yaml */
	const char *text; /* NUL-terminated */
	size_t len;
};
/* Sorted by name, ended by an entry whose name is NULL. */
extern const struct ward_builtin_profile ward_builtin_profiles[];

/* ---- the loader (load.c) -------------------------------------------------------------------- */

/* A file's identity for cycles and diamonds: dev/ino on disk, or the built-in entry. */
struct file_id {
	dev_t dev;
	ino_t ino;
	const struct ward_builtin_profile *builtin;
};

struct loader {
	struct ward_profile *p;
	struct ward_error *err;
	struct {
		struct file_id id;
		const char *file;
	} stack[MAX_INCLUDE_DEPTH];
	size_t depth;
	struct file_id *done;
	size_t n_done;
	struct ward_loc ns_loc; /* where namespaces was last set */
	bool name_set;
	struct ward_hashmap env_names; /* env.set: NAME -> position in p->env_set */
	struct ward_hashmap net_rules; /* network.allow identities seen */
	struct ward_hashmap bind_dsts; /* filesystem.binds: DST -> position in p->binds */
};

/* One file being applied. */
struct yfile {
	struct loader *l;
	struct ward_profile *p;
	yaml_document_t doc;
	const char *file; /* as shown in messages; owned by p->files */
	char *dir;	  /* directory for includes and imports; NULL for a built-in profile */
	bool builtin;	  /* its bare-name includes look among the built-in profiles first */
	bool top;
};

/* Finds and applies the includes of root (the file's top mapping), depth first. */
int apply_includes(struct yfile *y, yaml_node_t *root);

/* ---- YAML node helpers (yaml.c) ------------------------------------------------------------- */

/* Collections nested deeper than this are refused (a profile needs 4). */
#define YAML_MAX_DEPTH 64

/*
 * Parses text as the one YAML document of y (y->doc, which the caller deletes), in time linear
 * in its length; *ret_root is its top mapping. Errors are FILE:LINE:COL messages in y's loader.
 */
int yaml_compose(struct yfile *y, const char *text, size_t len, yaml_node_t **ret_root);

static inline yaml_node_t *node_get(struct yfile *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

static inline const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline struct ward_loc node_loc(const struct yfile *y, const yaml_node_t *n)
{
	return (struct ward_loc){
		.file = y->file,
		.line = (int)n->start_mark.line + 1,
		.col = (int)n->start_mark.column + 1,
	};
}

/* Sets the loader's error to "FILE:LINE:COL: what" at n; returns -EINVAL. */
int node_err(struct yfile *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "a scalar", "a list", "a mapping", for messages. */
const char *node_kind(const yaml_node_t *n);
/* A plain empty, ~ or null scalar. */
bool node_is_null(const yaml_node_t *n);

/* A string value: a scalar, not null. */
int get_str(struct yfile *y, const yaml_node_t *n, const char *what, const char **ret);
/* A scalar that must be one of names: *ret is its index. */
int get_enum(struct yfile *y, const yaml_node_t *n, const char *what, const char *const *names,
	     size_t n_names, int *ret);
int get_bool(struct yfile *y, const yaml_node_t *n, const char *what, bool *ret);
int get_uint(struct yfile *y, const yaml_node_t *n, const char *what, uint64_t max, uint64_t *ret);
/* A list (null counts as empty). *ret_n is its length; items via node_get(items[i]). */
int get_list(struct yfile *y, const yaml_node_t *n, const char *what, yaml_node_item_t **ret_items,
	     size_t *ret_n);

/* Calls fn for each item of the list n (null: none), in order; stops at the first error. */
typedef int (*item_fn)(struct yfile *y, const yaml_node_t *item, const char *what, void *userdata);
int for_each_item(struct yfile *y, const yaml_node_t *n, const char *what, item_fn fn,
		  void *userdata);
/* The same for a list of strings: an item that is not one is an error at the item. */
typedef int (*scalar_fn)(struct yfile *y, const yaml_node_t *item, const char *what, const char *s,
			 void *userdata);
int for_each_scalar(struct yfile *y, const yaml_node_t *n, const char *what, scalar_fn fn,
		    void *userdata);

/* The keys before pair in the same mapping (all scalars) do not include pair's key. */
int check_dup_key(struct yfile *y, const yaml_node_pair_t *start, const yaml_node_pair_t *pair);

struct key_handler {
	const char *key;
	int (*fn)(struct yfile *y, const char *path, const char *key, yaml_node_t *val);
};

/*
 * Checks that n is a mapping with string keys, no duplicates (libyaml does not check) and
 * only known keys, and calls each key's handler in file order.
 */
int walk_map(struct yfile *y, yaml_node_t *n, const char *where, const struct key_handler *h,
	     size_t nh);

/* ---- key handlers (keys.c) ------------------------------------------------------------------ */

/* Applies the keys of a file's top mapping (includes are applied before, by the loader). */
int ward_profile_apply_keys(struct yfile *y, yaml_node_t *root);

/* ---- value parsers (values.c) --------------------------------------------------------------- */

int ward_parse_net_op(const char *op, enum ward_net_op *ret);
/* The same address range, ports and operation (the text may differ). */
bool ward_net_rule_eq(const struct ward_net_rule *a, const struct ward_net_rule *b);
/*
 * Absolute path, normalized: repeated and trailing slashes removed; "." and ".." refused.
 * -EINVAL with *ret_why saying why, -ENOMEM.
 */
int ward_normalize_abs_path(const char *s, char **ret, const char **ret_why);

/* ---- the struct and string vectors (profile.c) ---------------------------------------------- */

struct ward_profile *ward_profile_new(void);
/* A new last entry of p->binds (uninitialized; the array grows by doubling), NULL: -ENOMEM. */
struct ward_bind *ward_profile_bind_slot(struct ward_profile *p);
static inline void ward_profile_freep(struct ward_profile **p)
{
	ward_profile_free(*p);
}
#define _cleanup_profile_ _cleanup_(ward_profile_freep)

/* Position of s, or -1; O(1) on average (a hash index, built on the first call). */
ssize_t ward_strv_find(struct ward_strv *v, const char *s);
/* Room for extra more entries, in the array and the index. */
int ward_strv_reserve(struct ward_strv *v, size_t extra);
/* Takes ownership of s (also on failure). */
int ward_strv_push(struct ward_strv *v, char *s, struct ward_loc loc);
/* Appends s (owned, also on failure) unless present: 1 added, 0 present (s freed), -ENOMEM;
 * *ret_at is its position either way. */
int ward_strv_add(struct ward_strv *v, char *s, struct ward_loc loc, size_t *ret_at);
/* Frees entry i and leaves a hole (s NULL) until ward_strv_compact(). */
void ward_strv_remove(struct ward_strv *v, size_t i);
/* Closes the holes and drops the index; after it the list is a plain array again. */
void ward_strv_compact(struct ward_strv *v);
/* ward_strv_compact() on every list of p: the end of every load. */
void ward_profile_compact(struct ward_profile *p);
