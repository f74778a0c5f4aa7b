// SPDX-License-Identifier: MIT
/*
 * --merge: reads a profile `ward learn` wrote back into the document model, so a new run's
 * findings are a union with it. The reader knows the layout emit.c writes (one item a line
 * under "  key:", scalars as "  key: value") and keeps everything else as the user wrote it:
 * an item's line and the comment lines above it, scalars, and top-level blocks learn does not
 * write (a `limits:` the user uncommented, `hostname:`) verbatim. A file that does not start
 * with learn's marker line is not parsed here: main.c includes it instead (docs/learn.md).
 */
#include "common/log.h"
#include "common/macro.h"
#include "common/parse.h"
#include "learn/internal.h"

#include <errno.h>
#include <string.h>

#define MARKER "# Learned by ward learn"

static const char *const blocks[] = {"filesystem", "network", "gpu", "exec", "syscalls", "env"};

static bool known_block(const char *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		if (!strcmp(b, blocks[i]))
			return true;
	return false;
}

static size_t indent(const char *s)
{
	size_t n = 0;

	while (s[n] == ' ')
		n++;
	return n;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* The value of an item line without its comment, unquoted: the identity of the item. */
static void item_key(const char *v, char *out, size_t len)
{
	bool q = false;
	size_t n = 0;

	for (const char *p = v; *p; p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			q = !q;
		if (!q && *p == '#' && (p == v || p[-1] == ' '))
			break;
		n = (size_t)(p - v) + 1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%.*s", (int)n, v);
	rtrim(tmp);
	size_t l = strlen(tmp);
	if (l >= 2 && tmp[0] == '"' && tmp[l - 1] == '"') {
		size_t o = 0;
		for (size_t i = 1; i + 1 < l && o + 1 < len; i++) {
			if (tmp[i] == '\\' && i + 2 < l)
				i++;
			out[o++] = tmp[i];
		}
		out[o] = 0;
	} else {
		snprintf(out, len, "%s", tmp);
	}
}

static int add_pre(struct learn_item *it, char **pre, size_t n_pre)
{
	it->pre = pre;
	it->n_pre = n_pre;
	return 0;
}

static void limits_comment(struct learn_doc *d, const char *s)
{
	char mem[32] = "";
	unsigned long long pids = 0, nofile = 0;
	uint64_t bytes = 0;

	if (sscanf(s, "# limits: {memory: %31[^,], pids: %llu, nofile: %llu}", mem, &pids,
		   &nofile) == 3) {
		if (ward_parse_size(mem, &bytes) == 0)
			d->lim_memory = bytes;
		d->lim_pids = pids;
		d->lim_nofile = nofile;
	}
}

int learn_doc_read(const char *path, struct learn_doc *d, bool *ret_ours, struct ward_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	char block[64] = "", key[64] = "";
	bool in_extra = false, header = true;
	char **pre = NULL;
	size_t n_pre = 0, cap = 0, lineno = 0;
	int r = 0;

	*ret_ours = false;
	if (!f)
		return ward_error_set(err, -errno, "%s: %m", path);
	while (r >= 0 && getline(&line, &cap, f) > 0) {
		rtrim(line);
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, MARKER, strlen(MARKER)))
				return 0;
			*ret_ours = true;
			d->written_by_learn = true;
		}
		size_t ind = indent(line);
		const char *s = line + ind;

		if (!*s)
			continue;
		if (header && s[0] == '#' && ind == 0) {
			r = learn_doc_header(d, line);
			continue;
		}
		header = false;
		if (ind == 0 && s[0] == '#') {
			/* the limits suggestion is written again; other comments stay */
			if (!strncmp(s, "# limits: {", 11)) {
				limits_comment(d, s);
				continue;
			}
			if (!strncmp(s, "# Limits suggested", 18) || !strncmp(s, "# (memory:", 10))
				continue;
		}
		if (ind == 0 && s[0] != '#') {
			char k[64] = "", v[4096] = "";
			in_extra = false;
			block[0] = key[0] = 0;
			if (sscanf(s, "%63[^:]:%4095[^\n]", k, v) < 1)
				return ward_error_set(err, -EINVAL,
						      "%s:%zu: not a line ward learn writes", path,
						      lineno);
			const char *val = v + indent(v);
			if (!strcmp(k, "name") || !strcmp(k, "description") ||
			    !strcmp(k, "include")) {
				char **dst = !strcmp(k, "name")		 ? &d->name
					     : !strcmp(k, "description") ? &d->description
									 : &d->include;
				free(*dst);
				*dst = strdup(val);
				continue;
			}
			if (known_block(k) && !*val) {
				snprintf(block, sizeof(block), "%s", k);
				continue;
			}
			/* a block of the user's own: kept verbatim */
			in_extra = true;
			if (!strcmp(k, "limits"))
				d->has_limits_block = true;
		}
		if (in_extra) {
			char **v = realloc(d->extra, (d->n_extra + 1) * sizeof(char *));
			if (!v)
				return -ENOMEM;
			d->extra = v;
			if (!(d->extra[d->n_extra] = strdup(line)))
				return -ENOMEM;
			d->n_extra++;
			continue;
		}
		if (s[0] == '#') {
			char **v = realloc(pre, (n_pre + 1) * sizeof(char *));
			if (!v)
				return -ENOMEM;
			pre = v;
			pre[n_pre++] = strdup(line);
			continue;
		}
		if (!block[0])
			return ward_error_set(err, -EINVAL, "%s:%zu: not a line ward learn writes",
					      path, lineno);
		if (ind == 2) {
			char k[64] = "", v[4096] = "";
			if (sscanf(s, "%63[^:]:%4095[^\n]", k, v) < 1)
				return ward_error_set(err, -EINVAL, "%s:%zu: expected 'key:'", path,
						      lineno);
			snprintf(key, sizeof(key), "%s", k);
			if (*(v + indent(v)))
				r = learn_doc_set_scalar(d, block, k, v + indent(v));
			else if (!learn_doc_list(d, block, k))
				r = -ENOMEM;
			continue;
		}
		if (!key[0])
			return ward_error_set(err, -EINVAL, "%s:%zu: an item outside a list", path,
					      lineno);
		char ik[4096];
		item_key(s[0] == '-' ? s + 1 + indent(s + 1) : s, ik, sizeof(ik));
		r = learn_doc_add(d, block, key, ik, line, strstr(line, "# REVIEW:") != NULL);
		if (r > 0) {
			struct learn_list *l = learn_doc_list(d, block, key);
			add_pre(&l->v[l->n - 1], pre, n_pre);
			pre = NULL;
			n_pre = 0;
		}
	}
	/* comments after the last item */
	for (size_t i = 0; i < n_pre; i++) {
		char **v = realloc(d->extra, (d->n_extra + 1) * sizeof(char *));
		if (v) {
			d->extra = v;
			d->extra[d->n_extra++] = pre[i];
		} else
			free(pre[i]);
	}
	free(pre);
	if (r < 0)
		return ward_error_set(err, r, "%s: %s", path, strerror(-r));
	return 0;
}
