// SPDX-License-Identifier: MIT
/*
 * libyaml document helpers for the profile loader. A profile file is read with libyaml's
 * document API (yaml_parser_load), which keeps every node's start mark, so each error can
 * name FILE:LINE:COL. All scalars are read as strings (no YAML 1.1 tag resolution):
 * `uid: "65534"` and `uid: 65534` are the same, and `OMP_NUM_THREADS: 1` is the string "1".
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/parse.h"
#include "profile/internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

int node_err(struct yfile *y, const yaml_node_t *n, const char *fmt, ...)
{
	char what[sizeof(y->l->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ward_error_set(y->l->err, -EINVAL, "%s:%zu:%zu: %s", y->file, n->start_mark.line + 1,
			      n->start_mark.column + 1, what);
}

const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

bool node_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

int get_str(struct yfile *y, const yaml_node_t *n, const char *what, const char **ret)
{
	*ret = "";
	if (n->type != YAML_SCALAR_NODE)
		return node_err(y, n, "%s: expected a string, got %s", what, node_kind(n));
	if (node_is_null(n))
		return node_err(y, n, "%s: missing value", what);
	*ret = scalar(n);
	return 0;
}

int get_enum(struct yfile *y, const yaml_node_t *n, const char *what, const char *const *names,
	     size_t n_names, int *ret)
{
	char list[128] = "";
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n_names; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	for (size_t i = 0; i < n_names; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s",
			 i == 0		    ? ""
			 : i + 1 == n_names ? " or "
					    : ", ",
			 names[i]);
	}
	return node_err(y, n, "%s: '%s' is not %s", what, s, list);
}

int get_bool(struct yfile *y, const yaml_node_t *n, const char *what, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return node_err(y, n, "%s: '%s' is not a boolean (true or false)", what, s);
}

int get_uint(struct yfile *y, const yaml_node_t *n, const char *what, uint64_t max, uint64_t *ret)
{
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	if (ward_parse_uint(s, max, ret) < 0)
		return node_err(y, n, "%s: '%s' is not an integer in 0..%" PRIu64, what, s, max);
	return 0;
}

int get_list(struct yfile *y, const yaml_node_t *n, const char *what, yaml_node_item_t **ret_items,
	     size_t *ret_n)
{
	if (node_is_null(n)) {
		*ret_items = NULL;
		*ret_n = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return node_err(y, n, "%s: expected a list, got %s", what, node_kind(n));
	*ret_items = n->data.sequence.items.start;
	*ret_n = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

int for_each_item(struct yfile *y, const yaml_node_t *n, const char *what, item_fn fn,
		  void *userdata)
{
	yaml_node_item_t *items;
	size_t len;
	int r = get_list(y, n, what, &items, &len);

	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		r = fn(y, node_get(y, items[i]), what, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

struct scalar_call {
	scalar_fn fn;
	void *userdata;
};

static int call_scalar(struct yfile *y, const yaml_node_t *it, const char *what, void *userdata)
{
	const struct scalar_call *c = userdata;
	const char *s;
	int r = get_str(y, it, what, &s);

	if (r < 0)
		return r;
	return c->fn(y, it, what, s, c->userdata);
}

int for_each_scalar(struct yfile *y, const yaml_node_t *n, const char *what, scalar_fn fn,
		    void *userdata)
{
	struct scalar_call c = {fn, userdata};

	return for_each_item(y, n, what, call_scalar, &c);
}

int check_dup_key(struct yfile *y, const yaml_node_pair_t *start, const yaml_node_pair_t *pair)
{
	yaml_node_t *k = node_get(y, pair->key);

	for (const yaml_node_pair_t *q = start; q < pair; q++) {
		yaml_node_t *prev = node_get(y, q->key);

		if (strcmp(scalar(prev), scalar(k)) == 0)
			return node_err(y, k, "duplicate key '%s' (first at line %zu)", scalar(k),
					prev->start_mark.line + 1);
	}
	return 0;
}

int walk_map(struct yfile *y, yaml_node_t *n, const char *where, const struct key_handler *h,
	     size_t nh)
{
	yaml_node_pair_t *start, *end;

	if (node_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return node_err(y, n, "%s: expected a mapping, got %s", where, node_kind(n));
	start = n->data.mapping.pairs.start;
	end = n->data.mapping.pairs.top;
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *k = node_get(y, pair->key), *v = node_get(y, pair->value);
		const struct key_handler *found = NULL;
		char path[128];
		int r;

		if (k->type != YAML_SCALAR_NODE)
			return node_err(y, k, "%s%skeys must be strings, got %s", where,
					*where ? ": " : "", node_kind(k));
		r = check_dup_key(y, start, pair);
		if (r < 0)
			return r;
		for (size_t i = 0; i < nh; i++)
			if (strcmp(h[i].key, scalar(k)) == 0)
				found = &h[i];
		if (!found) {
			if (*where)
				return node_err(y, k, "unknown key '%s' in %s", scalar(k), where);
			return node_err(y, k, "unknown key '%s'", scalar(k));
		}
		snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", found->key);
		r = found->fn(y, path, found->key, v);
		if (r < 0)
			return r;
	}
	return 0;
}
