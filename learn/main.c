// SPDX-License-Identifier: MIT
/*
 * `ward learn`: options and the flow, one step a line.
 *
 *   1. options; the base (or --merge file) loaded once to fail early on a bad name
 *   2. the learning run: `ward run -m audit` under a private profile that includes the base
 *      and turns on events.allowed, events to a private file (spawn.c)
 *   3. its events read (record.c); any loss refuses, unless --allow-loss
 *   4. the document: fresh, or the --merge file read back (merge.c); the findings added
 *      (emit.c); written atomically; loaded again as a profile (a bug shows here, not later)
 *   5. dangerous grants listed on stderr
 *   6. the replay: `ward run` in enforce mode under the new profile; same exit, same stdout,
 *      zero violations (verify.c), unless --no-verify
 */
#include "common/log.h"
#include "common/macro.h"
#include "learn/internal.h"
#include "learn/learn.h"
#include "profile/profile.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs("Usage: ward learn [OPTION]... [--] COMMAND [ARG...]\n"
	      "Run COMMAND once, trusted, under BASE with every layer observing, and write the\n"
	      "profile it needed: BASE included, plus exactly what the run used "
	      "(docs/learn.md).\n\n"
	      "  -p, --profile BASE       the profile to start from (default: base)\n"
	      "  -o, --output OUT         where to write (default: NAME.yaml, or the --merge "
	      "file)\n"
	      "      --merge EXISTING     union with a profile learn wrote (in place), or include\n"
	      "                           a hand-written one (then -o is needed)\n"
	      "      --name NAME          the profile's name (default: OUT's file name)\n"
	      "      --bind SRC[:DST[:ro|rw]]  as for ward run, at learning and replay\n"
	      "      --net MODE           none (default: the base's), loopback or host\n"
	      "      --gpu LIST           none, all or GPU indexes N[,N]\n"
	      "      --env NAME[=VALUE]   as for ward run: set (or pass from here) a variable;\n"
	      "                           written to the profile's env\n"
	      "      --timeout DUR        wall-clock limit of each run\n"
	      "      --allow-loss         write the profile even if events were lost (with a "
	      "warning)\n"
	      "      --no-verify          do not replay COMMAND under the new profile\n"
	      "      --allow-degraded     as for ward run\n"
	      "  -h, --help               this help\n\n"
	      "Exit: 0 written (and verified); 1 events lost or verification failed; 125 usage or\n"
	      "a failure before the command ran.\n",
	      f);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward learn: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return WARD_EXIT_FAIL;
}

static bool is_path(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(s + n - 4, ".yml"));
}

/* A profile reference the private learning profile (in a temporary directory) can include. */
static char *include_ref(const char *s)
{
	return is_path(s) ? realpath(s, NULL) : strdup(s);
}

static int parse_bind(const char *spec, struct learn_bind *b)
{
	_cleanup_free_ char *s = strdup(spec);
	char *dst, *mode = NULL;

	if (!s)
		return -ENOMEM;
	dst = strchr(s, ':');
	if (dst) {
		*dst++ = 0;
		mode = strchr(dst, ':');
		if (mode)
			*mode++ = 0;
	}
	if (s[0] != '/' || (dst && dst[0] != '/'))
		return -EINVAL;
	b->src = strdup(s);
	b->dst = strdup(dst && *dst ? dst : s);
	b->rw = mode && !strcmp(mode, "rw");
	return b->src && b->dst ? 0 : -ENOMEM;
}

static void join_argv(char **argv, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (char **a = argv; *a && o + 1 < len; a++) {
		char q[1024];
		learn_yaml_scalar(*a, q, sizeof(q));
		o += (size_t)snprintf(out + o, len - o, "%s%s", a == argv ? "" : " ", q);
	}
}

/* The private profile of the learning run: the base, every allowed access reported. */
static int write_learning_profile(const char *path, const char *base, const struct learn_opts *o)
{
	_cleanup_fclose_ FILE *f = fopen(path, "wxe");
	_cleanup_free_ char *ref = include_ref(base);
	char q[PATH_MAX + 8];

	if (!f || !ref)
		return -errno;
	learn_yaml_scalar(ref, q, sizeof(q));
	fprintf(f, "name: learning-run\ninclude: [%s]\nevents: {allowed: true}\n", q);
	if (o->n_env_set || o->n_env_pass)
		fprintf(f, "env:\n");
	if (o->n_env_pass) {
		fprintf(f, "  pass:\n");
		for (size_t i = 0; i < o->n_env_pass; i++)
			fprintf(f, "    - %s\n", o->env_pass[i]);
	}
	if (o->n_env_set) {
		fprintf(f, "  set:\n");
		for (size_t i = 0; i < o->n_env_set; i++) {
			const char *eq = strchr(o->env_set[i], '=');
			char v[4096];
			learn_yaml_scalar(eq + 1, v, sizeof(v));
			fprintf(f, "    %.*s: %s\n", (int)(eq - o->env_set[i]), o->env_set[i],
				*v ? v : "\"\"");
		}
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

static int write_doc(const struct learn_doc *d, const char *out)
{
	char tmp[PATH_MAX + 32];
	int r;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	r = learn_doc_write(d, f);
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static void list_reviews(const struct learn_doc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_lists; i++)
		for (size_t j = 0; j < d->lists[i].n; j++) {
			const struct learn_item *it = &d->lists[i].v[j];
			if (!it->review)
				continue;
			if (!n++)
				fprintf(stderr,
					"ward learn: grants to review (marked REVIEW in the "
					"profile):\n");
			const char *c = strstr(it->line, "# REVIEW:");
			fprintf(stderr, "  %s.%s: %s  (%s)\n", d->lists[i].block, d->lists[i].key,
				it->key, c ? c + 10 : "");
		}
}

static void cleanup_dir(const char *dir)
{
	static const char *const names[] = {"learn.yaml", "learn.jsonl", "verify.jsonl"};
	char p[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

struct cli {
	struct learn_opts o;
	const char *merge;
	bool ours; /* the --merge file was written by learn */
	struct learn_doc doc;
	char out[PATH_MAX];
};

static int parse_args(int argc, char **argv, struct cli *c)
{
	enum {
		OPT_MERGE = 256,
		OPT_NAME,
		OPT_BIND,
		OPT_NET,
		OPT_GPU,
		OPT_ENV,
		OPT_TIMEOUT,
		OPT_LOSS,
		OPT_NOVERIFY,
		OPT_DEGRADED
	};
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"output", required_argument, NULL, 'o'},
					     {"merge", required_argument, NULL, OPT_MERGE},
					     {"name", required_argument, NULL, OPT_NAME},
					     {"bind", required_argument, NULL, OPT_BIND},
					     {"net", required_argument, NULL, OPT_NET},
					     {"gpu", required_argument, NULL, OPT_GPU},
					     {"env", required_argument, NULL, OPT_ENV},
					     {"timeout", required_argument, NULL, OPT_TIMEOUT},
					     {"allow-loss", no_argument, NULL, OPT_LOSS},
					     {"no-verify", no_argument, NULL, OPT_NOVERIFY},
					     {"allow-degraded", no_argument, NULL, OPT_DEGRADED},
					     {"help", no_argument, NULL, 'h'},
					     {}};
	struct learn_opts *o = &c->o;
	int ch;

	o->verify = true;
	o->binds = calloc(argc + 1, sizeof(*o->binds));
	o->bind_specs = calloc(argc + 1, sizeof(char *));
	o->env_set = calloc(argc + 1, sizeof(char *));
	o->env_pass = calloc(argc + 1, sizeof(char *));
	if (!o->binds || !o->bind_specs || !o->env_set || !o->env_pass)
		return -ENOMEM;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+p:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->base = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case OPT_MERGE:
			c->merge = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_BIND:
			if (parse_bind(optarg, &o->binds[o->n_binds]) < 0)
				return fail("bad --bind '%s': SRC[:DST[:ro|rw]], both absolute",
					    optarg);
			o->bind_specs[o->n_binds++] = optarg;
			break;
		case OPT_NET:
			if (strcmp(optarg, "none") && strcmp(optarg, "loopback") &&
			    strcmp(optarg, "host"))
				return fail("bad --net '%s': expected none, loopback or host",
					    optarg);
			o->net = optarg;
			break;
		case OPT_GPU:
			o->gpu = optarg;
			break;
		case OPT_ENV: {
			/* the syntax and names of ward run --env (ward_profile_add_env) */
			const char *eq = strchr(optarg, '=');
			size_t n = eq ? (size_t)(eq - optarg) : strlen(optarg);
			if (!ward_env_name_ok(optarg, n))
				return fail(
					"bad --env '%s': expected NAME=VALUE (set) or NAME (pass "
					"from here), NAME of letters, digits and '_', not "
					"starting with a digit",
					optarg);
			if (eq)
				o->env_set[o->n_env_set++] = optarg;
			else
				o->env_pass[o->n_env_pass++] = optarg;
			break;
		}
		case OPT_TIMEOUT:
			o->timeout = optarg;
			break;
		case OPT_LOSS:
			o->allow_loss = true;
			break;
		case OPT_NOVERIFY:
			o->verify = false;
			break;
		case OPT_DEGRADED:
			o->allow_degraded = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return WARD_EXIT_FAIL;
		}
	}
	if (optind >= argc)
		return fail("no command given; try 'ward learn --help'");
	o->argv = argv + optind;
	return 0;
}

/* The document to add to: fresh, or the --merge file. Sets what the learning run includes
 * and what the output includes. */
static int prepare_doc(struct cli *c)
{
	struct learn_opts *o = &c->o;
	struct ward_error err = {{0}};
	char run[4096], line[4200];

	if (!o->base)
		o->base = "base";
	o->base_include = o->base;
	o->learn_base = o->base;
	if (c->merge) {
		if (learn_doc_read(c->merge, &c->doc, &c->ours, &err) < 0)
			return fail("--merge: %s", err.msg);
		o->learn_base = c->merge;
		if (!c->ours) {
			/* hand-written: kept untouched, included by the output */
			if (!o->out || !strcmp(o->out, c->merge))
				return fail("--merge %s: not written by ward learn, so it is not "
					    "rewritten: give -o OUT, which will include it",
					    c->merge);
			o->base_include = c->merge;
		}
	}
	if (!o->out)
		o->out = c->merge ? c->merge : NULL;
	if (o->out)
		snprintf(c->out, sizeof(c->out), "%s", o->out);
	else
		snprintf(c->out, sizeof(c->out), "%s.yaml", o->name ? o->name : "learned");

	struct learn_doc *d = &c->doc;
	if (!c->ours) {
		_cleanup_free_ char *inc =
			c->merge ? include_ref(c->merge) : strdup(o->base_include);
		char q[PATH_MAX + 8], nm[PATH_MAX];
		const char *b = strrchr(c->out, '/');

		b = b ? b + 1 : c->out;
		snprintf(nm, sizeof(nm), "%s", o->name ? o->name : b);
		char *dot = o->name ? NULL : strrchr(nm, '.');
		if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
			*dot = 0;
		if (!inc)
			return fail("--merge %s: %m", c->merge);
		learn_yaml_scalar(inc, q, sizeof(q));
		snprintf(line, sizeof(line), "[%s]", q);
		d->include = strdup(line);
		learn_yaml_scalar(nm, q, sizeof(q));
		d->name = strdup(q);
		const char *prog = strrchr(o->argv[0], '/');
		snprintf(line, sizeof(line), "learned by ward learn from %s",
			 prog ? prog + 1 : o->argv[0]);
		learn_yaml_scalar(line, q, sizeof(q));
		d->description = strdup(q);
		learn_doc_header(d, "# Learned by ward learn (ward " WARD_VERSION "). Review every "
				    "line marked REVIEW before use.");
		learn_doc_header(d, "# Learn on a trusted reference workload, enforce on untrusted "
				    "ones: a profile learned");
		learn_doc_header(d, "# from a malicious model allows its payload (docs/learn.md).");
	} else if (o->name) {
		char q[512];
		learn_yaml_scalar(o->name, q, sizeof(q));
		free(d->name);
		d->name = strdup(q);
	}
	join_argv(o->argv, run, sizeof(run));
	snprintf(line, sizeof(line), "# run: %s", run);
	learn_doc_header(d, line);
	for (size_t i = 0; i < o->n_binds; i++) {
		snprintf(line, sizeof(line),
			 "# learned with --bind %s: give it again to ward run, or add it to "
			 "filesystem.binds",
			 o->bind_specs[i]);
		learn_doc_header(d, line);
	}
	return d->name && d->include && d->description ? 0 : -ENOMEM;
}

static int check_loss(const struct learn_record *rec, const struct cli *c, struct learn_doc *d)
{
	char line[512];
	uint64_t lost = rec->lost > rec->monitor_lost ? rec->lost : rec->monitor_lost;

	if (!rec->loss_events && !lost && !rec->sink_dropped && rec->have_exit)
		return 0;
	snprintf(line, sizeof(line),
		 "%" PRIu64 " loss events, %" PRIu64 " monitor records lost, %" PRIu64
		 " lines dropped by the sink%s",
		 rec->loss_events, lost, rec->sink_dropped,
		 rec->have_exit ? "" : ", no exit event");
	if (!c->o.allow_loss) {
		fprintf(stderr,
			"ward learn: events were lost during the learning run (%s): a profile "
			"from it would be incomplete, so none is written. Run again (fewer "
			"concurrent runs, the default ring size), or --allow-loss.\n",
			line);
		return 1;
	}
	fprintf(stderr,
		"ward learn: warning: events were lost (%s); writing anyway (--allow-loss)\n",
		line);
	char h[600];
	snprintf(h, sizeof(h),
		 "# WARNING: learned from a run that lost events (%s): it may lack "
		 "entries.",
		 line);
	learn_doc_header(d, h);
	return 0;
}

static int learn(struct cli *c)
{
	struct learn_opts *o = &c->o;
	struct ward_error err = {{0}};
	struct ward_profile *p = NULL;
	struct learn_record rec = {0};
	struct learn_run lrun = {0}, vrun = {0};
	char dir[PATH_MAX], prof[PATH_MAX + 16], ev[PATH_MAX + 16], vev[PATH_MAX + 16], id[64];
	const char *tmp = getenv("TMPDIR");
	int r, status = 0;

	r = prepare_doc(c);
	if (r)
		return r < 0 ? fail("%s", strerror(-r)) : r;
	/* fail early on a bad base, before anything runs */
	if (ward_profile_load(o->learn_base, &p, &err) < 0)
		return fail("%s", err.msg);
	ward_profile_free(p);

	snprintf(dir, sizeof(dir), "%s/ward-learn.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return fail("creating a temporary directory in %s: %m", tmp && *tmp ? tmp : "/tmp");
	snprintf(prof, sizeof(prof), "%s/learn.yaml", dir);
	snprintf(ev, sizeof(ev), "%s/learn.jsonl", dir);
	snprintf(vev, sizeof(vev), "%s/verify.jsonl", dir);
	r = write_learning_profile(prof, o->learn_base, o);
	if (r < 0) {
		cleanup_dir(dir);
		return fail("writing %s: %s", prof, strerror(-r));
	}

	/* 2. the learning run */
	snprintf(id, sizeof(id), "learn-%d-1", (int)getpid());
	struct learn_spawn ls = {.profile = prof, .mode = "audit", .events = ev, .id = id};
	r = learn_spawn_run(o, &ls, &lrun, &err);
	if (r < 0) {
		cleanup_dir(dir);
		return fail("%s", err.msg);
	}
	/* 3. its events */
	r = learn_record_read(ev, &rec, &err);
	if (r < 0 || !rec.have_start) {
		cleanup_dir(dir);
		learn_record_free(&rec);
		return r < 0 ? fail("%s", err.msg)
			     : fail("the learning run failed before its command started (ward "
				    "exited %d)",
				    lrun.status);
	}
	if (check_loss(&rec, c, &c->doc)) {
		cleanup_dir(dir);
		learn_record_free(&rec);
		return 1;
	}
	if (lrun.status)
		ward_log_warning("learn: the command exited %d during learning; the profile is "
				 "what that run used",
				 lrun.status);
	if (rec.unknown)
		ward_log_debug("learn: %" PRIu64
			       " events of a kind or shape not understood, skipped",
			       rec.unknown);

	/* 4. the document */
	r = learn_build(&c->doc, &rec, &lrun, o, &err);
	learn_record_free(&rec);
	if (r < 0) {
		cleanup_dir(dir);
		return fail("%s", err.msg);
	}
	int wr = write_doc(&c->doc, c->out);
	if (wr < 0) {
		cleanup_dir(dir);
		return fail("writing %s: %s", c->out, strerror(-wr));
	}
	fprintf(stderr, "ward learn: wrote %s: %d entr%s added (learning run %.2f s, exit %d)\n",
		c->out, r, r == 1 ? "y" : "ies", lrun.secs, lrun.status);
	if (ward_profile_load(c->out, &p, &err) < 0) {
		cleanup_dir(dir);
		return fail("the written profile does not load (a bug in ward learn): %s", err.msg);
	}
	ward_profile_free(p);
	/* 5. */
	list_reviews(&c->doc);

	/* 6. the replay */
	if (o->verify) {
		snprintf(id, sizeof(id), "learn-%d-2", (int)getpid());
		struct learn_spawn vs = {.profile = c->out,
					 .mode = "enforce",
					 .events = vev,
					 .id = id,
					 .quiet_stdout = true};
		r = learn_spawn_run(o, &vs, &vrun, &err);
		if (r < 0) {
			cleanup_dir(dir);
			return fail("%s", err.msg);
		}
		status = learn_verify(&lrun, &vrun, vev, stderr);
		if (status) {
			fprintf(stderr, "ward learn: the events are in %s (kept)\n", dir);
			return status;
		}
	}
	cleanup_dir(dir);
	return status;
}

int ward_learn_main(int argc, char **argv)
{
	struct cli c;

	memset(&c, 0, sizeof(c));
	int r;

	r = parse_args(argc, argv, &c);
	if (r == 1)
		r = 0; /* --help */
	else if (r == 0)
		r = learn(&c);
	else if (r < 0)
		r = fail("%s", strerror(-r));
	for (size_t i = 0; i < c.o.n_binds; i++) {
		free(c.o.binds[i].src);
		free(c.o.binds[i].dst);
	}
	free(c.o.binds);
	free(c.o.bind_specs);
	free(c.o.env_set);
	free(c.o.env_pass);
	learn_doc_free(&c.doc);
	return r;
}
