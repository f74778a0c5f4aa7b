// SPDX-License-Identifier: MIT
/*
 * The collector's settings: command-line options and /etc/ward/collector.yaml, which uses the
 * same long names. The config file is read first, the command line applies over it, and a
 * list option given on the command line replaces the file's list (docs/collector.md).
 */
#include "common/macro.h"
#include "common/spool.h"
#include "collector/internal.h"

#include <getopt.h>
#include <grp.h>
#include <string.h>
#include <yaml.h>

#define DEFAULT_LISTEN	    "/run/ward/collector.sock"
#define DEFAULT_OUTPUT	    "/var/log/ward/events.ndjson"
#define DEFAULT_CONFIG	    "/etc/ward/collector.yaml"
#define DEFAULT_ROTATE_SIZE (100ull << 20)
#define DEFAULT_ROTATE_KEEP 5

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void strv_clear(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

/* uid_t and gid_t are both unsigned int on Linux. */
static int id_add(unsigned **v, size_t *n, unsigned id)
{
	unsigned *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = id;
	return 0;
}

/* Replaces s (owned) with a copy of val. */
static int str_set(char **s, const char *val)
{
	char *n = strdup(val);

	if (!n)
		return -ENOMEM;
	free(*s);
	*s = n;
	return 0;
}

/* Applies one setting (from the command line or the config file); where says where from. */
static int opt_set(struct col_opts *o, const char *key, const char *val, const char *where)
{
	uint64_t u;

	if (!strcmp(key, "listen")) {
		if (strncmp(val, "unix:", 5) != 0 || !val[5])
			goto bad;
		return strv_add(&o->listen, &o->n_listen, val + 5);
	} else if (!strcmp(key, "output")) {
		if (strcmp(val, "none") != 0 && (strncmp(val, "file:", 5) != 0 || !val[5]))
			goto bad;
		return str_set(&o->output, strcmp(val, "none") == 0 ? "none" : val + 5);
	} else if (!strcmp(key, "forward")) {
		return strv_add(&o->forward, &o->n_forward, val);
	} else if (!strcmp(key, "allow-uid") || !strcmp(key, "allow_uid")) {
		if (ward_parse_uint(val, UINT32_MAX - 1, &u) < 0)
			goto bad;
		return id_add(&o->uids, &o->n_uids, (unsigned)u);
	} else if (!strcmp(key, "allow-gid") || !strcmp(key, "allow_gid")) {
		if (ward_parse_uint(val, UINT32_MAX - 1, &u) < 0) {
			struct group *g = getgrnam(val);

			if (!g)
				goto bad;
			u = g->gr_gid;
		}
		return id_add(&o->gids, &o->n_gids, (unsigned)u);
	} else if (!strcmp(key, "rotate-size") || !strcmp(key, "rotate_size")) {
		/* the profiles' parser: "100M" reads here as it does in limits.memory */
		if (ward_parse_size(val, &u) < 0)
			goto bad;
		o->rotate_size = u;
	} else if (!strcmp(key, "rotate-keep") || !strcmp(key, "rotate_keep")) {
		if (ward_parse_uint(val, 1000, &u) < 0)
			goto bad;
		o->rotate_keep = (unsigned)u;
	} else if (!strcmp(key, "stats")) {
		if (strncmp(val, "unix:", 5) != 0 || !val[5])
			goto bad;
		return str_set(&o->stats, val + 5);
	} else if (!strcmp(key, "metrics")) {
		if (strncmp(val, "http://", 7) != 0)
			goto bad;
		return str_set(&o->metrics, val + 7);
	} else if (!strcmp(key, "spool-dir") || !strcmp(key, "spool_dir")) {
		return str_set(&o->spool_dir, val);
	} else if (!strcmp(key, "fsync")) {
		if (strcmp(val, "batch") && strcmp(val, "none"))
			goto bad;
		o->fsync_batch = strcmp(val, "batch") == 0;
	} else {
		ward_log("%s: unknown key '%s'", where, key);
		return -EINVAL;
	}
	return 0;
bad:
	ward_log("%s: bad value '%s' for %s", where, val, key);
	return -EINVAL;
}

/* Empties a list setting: the first use of a list option on the command line replaces the
 * config file's list instead of adding to it. */
static void opt_reset(struct col_opts *o, const char *key)
{
	if (!strcmp(key, "listen"))
		strv_clear(o->listen, &o->n_listen);
	else if (!strcmp(key, "forward"))
		strv_clear(o->forward, &o->n_forward);
	else if (!strcmp(key, "allow-uid"))
		o->n_uids = 0;
	else if (!strcmp(key, "allow-gid"))
		o->n_gids = 0;
}

/* One key of the config file: a scalar or a sequence of scalars. */
static int config_pair(struct col_opts *o, yaml_document_t *doc, yaml_node_pair_t *pr,
		       const char *path)
{
	yaml_node_t *k = yaml_document_get_node(doc, pr->key);
	yaml_node_t *v = yaml_document_get_node(doc, pr->value);
	char where[4200];
	int r = 0;

	snprintf(where, sizeof(where), "%s:%zu:%zu", path, k->start_mark.line + 1,
		 k->start_mark.column + 1);
	if (k->type != YAML_SCALAR_NODE) {
		ward_log("%s: expected a key", where);
		return -EINVAL;
	}
	if (v->type == YAML_SCALAR_NODE)
		return opt_set(o, (char *)k->data.scalar.value, (char *)v->data.scalar.value,
			       where);
	if (v->type != YAML_SEQUENCE_NODE) {
		ward_log("%s: expected a value or a list", where);
		return -EINVAL;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top && r >= 0; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);

		if (e->type != YAML_SCALAR_NODE) {
			ward_log("%s: expected a list of values", where);
			return -EINVAL;
		}
		r = opt_set(o, (char *)k->data.scalar.value, (char *)e->data.scalar.value, where);
	}
	return r;
}

/* /etc/ward/collector.yaml: a mapping of the long option names (dashes or underscores) to a
 * scalar or a sequence of scalars. */
static int load_config(struct col_opts *o, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = 0;

	if (!f) {
		r = -errno;
		ward_log("config %s: %s", path, strerror(-r));
		return r;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &doc)) {
		ward_log("%s:%zu:%zu: %s", path, p.problem_mark.line + 1, p.problem_mark.column + 1,
			 p.problem ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type != YAML_MAPPING_NODE) {
		ward_log("%s: expected a mapping of settings", path);
		r = -EINVAL;
	}
	for (yaml_node_pair_t *pr = root && !r ? root->data.mapping.pairs.start : NULL;
	     pr && pr < root->data.mapping.pairs.top && r >= 0; pr++)
		r = config_pair(o, &doc, pr, path);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return r;
}

static void usage(FILE *f)
{
	fputs("usage: ward collector [--listen unix:PATH]... [--output file:PATH|none]\n"
	      "         [--forward syslog+tcp://HOST:PORT]... [--forward "
	      "http://HOST:PORT/PATH]...\n"
	      "         [--allow-uid N]... [--allow-gid N|NAME]... [--rotate-size SIZE]\n"
	      "         [--rotate-keep N] [--stats unix:PATH | --metrics http://127.0.0.1:PORT]\n"
	      "         [--spool-dir DIR] [--fsync none|batch] [--config FILE | --no-config]\n"
	      "defaults: --listen unix:" DEFAULT_LISTEN " --output file:" DEFAULT_OUTPUT "\n"
	      "          --rotate-size 100M --rotate-keep 5 --spool-dir " WARD_SPOOL_DIR "\n"
	      "          --config " DEFAULT_CONFIG " (if it exists)\n",
	      f);
}

/* getopt_long's val: how the option applies; its name is the setting's key. */
enum { OPT_LIST = 'L', OPT_VALUE = 'V', OPT_CONFIG = 'c', OPT_NO_CONFIG = 'n', OPT_HELP = 'h' };

int col_config_parse(struct col_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {{"listen", required_argument, NULL, OPT_LIST},
					   {"output", required_argument, NULL, OPT_VALUE},
					   {"forward", required_argument, NULL, OPT_LIST},
					   {"allow-uid", required_argument, NULL, OPT_LIST},
					   {"allow-gid", required_argument, NULL, OPT_LIST},
					   {"rotate-size", required_argument, NULL, OPT_VALUE},
					   {"rotate-keep", required_argument, NULL, OPT_VALUE},
					   {"stats", required_argument, NULL, OPT_VALUE},
					   {"metrics", required_argument, NULL, OPT_VALUE},
					   {"spool-dir", required_argument, NULL, OPT_VALUE},
					   {"fsync", required_argument, NULL, OPT_VALUE},
					   {"config", required_argument, NULL, OPT_CONFIG},
					   {"no-config", no_argument, NULL, OPT_NO_CONFIG},
					   {"help", no_argument, NULL, OPT_HELP},
					   {}};
	const char *config = DEFAULT_CONFIG;
	bool explicit_config = false;
	unsigned replaced = 0; /* bit i: the list lo[i] was replaced by the command line's */
	int c, idx, r;

	o->rotate_size = DEFAULT_ROTATE_SIZE;
	o->rotate_keep = DEFAULT_ROTATE_KEEP;

	/* first pass: which config file; its settings come first, the command line after */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == OPT_CONFIG) {
			config = optarg;
			explicit_config = true;
		} else if (c == OPT_NO_CONFIG) {
			config = NULL;
		} else if (c == OPT_HELP) {
			usage(stdout);
			return 1;
		}
	}
	if (config && (explicit_config || access(config, F_OK) == 0)) {
		r = load_config(o, config);
		if (r < 0)
			return r;
	}
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		if (c == OPT_CONFIG || c == OPT_NO_CONFIG)
			continue;
		if (c != OPT_LIST && c != OPT_VALUE) {
			usage(stderr);
			return -EINVAL;
		}
		if (c == OPT_LIST && !(replaced & (1u << idx))) {
			opt_reset(o, lo[idx].name);
			replaced |= 1u << idx;
		}
		r = opt_set(o, lo[idx].name, optarg, "command line");
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		ward_log("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->stats && o->metrics) {
		ward_log("--stats and --metrics are exclusive");
		return -EINVAL;
	}
	if (o->n_listen == 0 && (r = strv_add(&o->listen, &o->n_listen, DEFAULT_LISTEN)) < 0)
		return r;
	if (!o->output && !(o->output = strdup(DEFAULT_OUTPUT)))
		return -ENOMEM;
	if (!o->spool_dir && !(o->spool_dir = strdup(ward_spool_dir())))
		return -ENOMEM;
	return 0;
}

void col_config_free(struct col_opts *o)
{
	strv_clear(o->listen, &o->n_listen);
	strv_clear(o->forward, &o->n_forward);
	free(o->listen);
	free(o->forward);
	free(o->uids);
	free(o->gids);
	free(o->output);
	free(o->stats);
	free(o->metrics);
	free(o->spool_dir);
	*o = (struct col_opts){0};
}
