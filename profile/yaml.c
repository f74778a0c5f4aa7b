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

/* ---- reading a file: libyaml events composed into a document ------------------------------ */

/*
 * libyaml's own composer (yaml_parser_load) is quadratic twice over: it looks every alias up,
 * and checks every new anchor, in a linear list of all anchors so far, and it nests without
 * a limit, while the scanner scans the whole stack of open flow levels for stale keys at every
 * token (400 KB of '[' took 69 s). Composing the document here from the event API fixes both:
 * nesting stops at YAML_MAX_DEPTH, before the scanner is more than a line (at most 1024
 * characters of one) ahead of the parser, and anchors live in a hash map. The document is
 * the same libyaml document (the marks copied from the events), so every key handler keeps
 * its FILE:LINE:COL. An alias may only name a node that is complete: a node that contains
 * its own alias (a cycle) is refused.
 */
/* Appends node to doc's node stack, growing it by doubling; false when out of memory. */
static bool push_node(yaml_document_t *doc, const yaml_node_t *node)
{
	if (doc->nodes.top == doc->nodes.end) {
		size_t n = (size_t)(doc->nodes.end - doc->nodes.start);
		/* the stack's memory is libyaml's: yaml_document_delete() frees it with free(3) */
		yaml_node_t *g = reallocarray(doc->nodes.start, n * 2, sizeof(*g));

		if (!g)
			return false;
		doc->nodes.top = g + n;
		doc->nodes.start = g;
		doc->nodes.end = g + n * 2;
	}
	*doc->nodes.top++ = *node;
	return true;
}
#define PUSH_NODE(doc, node) push_node((doc), &(node))

struct compose_level {
	int id;	 /* the collection's node */
	int key; /* a mapping's key waiting for its value; 0 none */
	yaml_char_t *anchor;
};

static int compose_err(struct yfile *y, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int compose_err(struct yfile *y, yaml_mark_t m, const char *fmt, ...)
{
	char what[sizeof(y->l->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ward_error_set(y->l->err, -EINVAL, "%s:%zu:%zu: %s", y->file, m.line + 1,
			      m.column + 1, what);
}

/* Hangs the complete node id on the open collection (or makes it the root). */
static int compose_attach(struct yfile *y, struct compose_level *top, int id)
{
	if (!top)
		return 0; /* the root: the document's first node */
	if (y->doc.nodes.start[top->id - 1].type == YAML_SEQUENCE_NODE)
		return yaml_document_append_sequence_item(&y->doc, top->id, id) ? 0 : -ENOMEM;
	if (!top->key) {
		top->key = id;
		return 0;
	}
	if (!yaml_document_append_mapping_pair(&y->doc, top->id, top->key, id))
		return -ENOMEM;
	top->key = 0;
	return 0;
}

static int compose_anchor(struct yfile *y, struct ward_hashmap *anchors, const yaml_char_t *name,
			  int id, yaml_mark_t m)
{
	size_t l = strlen((const char *)name), first;
	int r;

	if (ward_hashmap_get(anchors, name, l, &first))
		return compose_err(y, m, "duplicate anchor '&%s' (first at line %zu)", name,
				   node_get(y, (int)first)->start_mark.line + 1);
	r = ward_hashmap_put(anchors, name, l, (size_t)id);
	return r < 0 ? r : 0;
}

static int compose_node(struct yfile *y, yaml_event_t *e, struct compose_level *stack,
			size_t *depth, struct ward_hashmap *anchors)
{
	struct compose_level *top = *depth ? &stack[*depth - 1] : NULL;
	yaml_node_t *n;
	size_t id;
	int r, nid;

	switch (e->type) {
	case YAML_ALIAS_EVENT:
		if (!ward_hashmap_get(anchors, e->data.alias.anchor,
				      strlen((const char *)e->data.alias.anchor), &id))
			return compose_err(y, e->start_mark,
					   "alias '*%s' names no complete node before it",
					   e->data.alias.anchor);
		return compose_attach(y, top, (int)id);
	case YAML_SCALAR_EVENT:
		/* A "\0" escape would cut the C string every handler reads: "/\0x" is "/". */
		if (strlen((const char *)e->data.scalar.value) != e->data.scalar.length)
			return compose_err(y, e->start_mark, "a value contains a NUL character");
		/* The node takes the event's value rather than a copy (yaml_document_add_scalar
		 * would copy it, add a tag nobody reads and check UTF-8 libyaml checked): half
		 * the allocations of a list-heavy profile. */
		if (!PUSH_NODE(&y->doc, ((yaml_node_t){
						.type = YAML_SCALAR_NODE,
						.data.scalar = {.value = e->data.scalar.value,
								.length = e->data.scalar.length,
								.style = e->data.scalar.style},
						.start_mark = e->start_mark,
						.end_mark = e->end_mark,
					})))
			return -ENOMEM;
		e->data.scalar.value = NULL;
		nid = (int)(y->doc.nodes.top - y->doc.nodes.start);
		if (e->data.scalar.anchor) {
			r = compose_anchor(y, anchors, e->data.scalar.anchor, nid, e->start_mark);
			if (r < 0)
				return r;
		}
		return compose_attach(y, top, nid);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (*depth >= YAML_MAX_DEPTH)
			return compose_err(y, e->start_mark, "nested more than %d levels deep",
					   YAML_MAX_DEPTH);
		nid = e->type == YAML_SEQUENCE_START_EVENT
			      ? yaml_document_add_sequence(&y->doc, NULL,
							   e->data.sequence_start.style)
			      : yaml_document_add_mapping(&y->doc, NULL,
							  e->data.mapping_start.style);
		if (!nid)
			return -ENOMEM;
		n = node_get(y, nid);
		n->start_mark = e->start_mark;
		stack[*depth] = (struct compose_level){
			.id = nid,
			.anchor = e->type == YAML_SEQUENCE_START_EVENT
					  ? e->data.sequence_start.anchor
					  : e->data.mapping_start.anchor,
		};
		if (stack[*depth].anchor) {
			/* the event is deleted before the collection ends: keep the name */
			stack[*depth].anchor =
				(yaml_char_t *)strdup((const char *)stack[*depth].anchor);
			if (!stack[*depth].anchor)
				return -ENOMEM;
		}
		(*depth)++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct compose_level done = stack[--*depth];

		node_get(y, done.id)->end_mark = e->end_mark;
		r = done.anchor ? compose_anchor(y, anchors, done.anchor, done.id,
						 node_get(y, done.id)->start_mark)
				: 0;
		free(done.anchor);
		if (r < 0)
			return r;
		return compose_attach(y, *depth ? &stack[*depth - 1] : NULL, done.id);
	}
	default:
		return 0;
	}
}

int yaml_compose(struct yfile *y, const char *text, size_t len, yaml_node_t **ret_root)
{
	struct compose_level stack[YAML_MAX_DEPTH];
	_cleanup_(ward_hashmap_clear) struct ward_hashmap anchors = {0};
	yaml_parser_t parser;
	size_t depth = 0, docs = 0;
	bool in_doc = false;
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_document_initialize(&y->doc, NULL, NULL, NULL, 1, 1)) {
		yaml_parser_delete(&parser);
		return -ENOMEM;
	}
	for (bool end = false; !end && r >= 0;) {
		yaml_event_t e;

		if (!yaml_parser_parse(&parser, &e)) {
			r = ward_error_set(
				y->l->err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s%s%s%s",
				y->file, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "unknown",
				parser.context ? " (" : "", parser.context ? parser.context : "",
				parser.context ? ")" : "");
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			end = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			/* A second document would be silently ignored: refuse it. */
			if (docs++)
				r = compose_err(y, e.start_mark,
						"only one YAML document is allowed");
			in_doc = true;
			break;
		case YAML_DOCUMENT_END_EVENT:
			in_doc = false;
			break;
		default:
			if (in_doc)
				r = compose_node(y, &e, stack, &depth, &anchors);
		}
		yaml_event_delete(&e);
	}
	while (depth)
		free(stack[--depth].anchor);
	yaml_parser_delete(&parser);
	if (r < 0)
		return r;
	root = yaml_document_get_root_node(&y->doc);
	if (!root)
		return ward_error_set(y->l->err, -EINVAL, "%s:1:1: empty profile", y->file);
	if (root->type != YAML_MAPPING_NODE)
		return node_err(y, root, "a profile is a mapping of keys, got %s", node_kind(root));
	*ret_root = root;
	return 0;
}
