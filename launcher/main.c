// SPDX-License-Identifier: MIT
/* ward: argument parsing and dispatch only. */
#include "collector/collector.h"
#include "common/hooks.h"
#include "common/macro.h"
#include "common/parse.h"
#include "launcher/sandbox.h"
#include "learn/learn.h"
#include "monitor/monitor.h"
#include "selftest/selftest.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fputs("Usage:\n"
	      "  ward run [-p PROFILE] [-m enforce|audit] [-e SINK] [--id NAME]\n"
	      "           [--bind SRC[:DST[:ro|rw]]] [--env NAME[=VALUE]] [--net "
	      "none|loopback|host]\n"
	      "           [--gpu none|all|N[,N]] [--timeout DUR] [--allow-degraded] [--] COMMAND "
	      "[ARG...]\n"
	      "  ward learn [-p BASE] [-o OUT] [--merge EXISTING] [--name NAME] [--bind ...]\n"
	      "           [--net ...] [--gpu ...] [--env NAME[=VALUE]] [--allow-loss] "
	      "[--no-verify]\n"
	      "           [--] COMMAND [ARG...]   write the profile one trusted run needed\n"
	      "  ward check PROFILE...      validate, print the effective (merged) profile\n"
	      "  ward selftest [-p PROFILE] [-m MODE] [--json] [--only CLASS[,CLASS]]\n"
	      "                             hostile probes inside the profile: what is blocked\n"
	      "                             and reported (ward selftest --help)\n"
	      "  ward features [--json]     what this kernel supports, which protections apply\n"
	      "  ward collector [...]       the event collector daemon (ward collector --help)\n"
	      "  ward monitor --pin|--unpin|--status\n"
	      "                             load the BPF monitors once for every later run\n"
	      "  ward --help | --version | run --help\n"
	      "\n"
	      "SINK: stderr (default), file:PATH, unix:PATH, none.\n"
	      "Exit status of run: the command's own; 128+N if it died of signal N; 125 if ward\n"
	      "failed before exec; 126 command not executable; 127 command not found.\n",
	      f);
}

static void run_usage(FILE *f)
{
	fputs("Usage: ward run [OPTION]... [--] COMMAND [ARG...]\n"
	      "Run COMMAND inside a sandbox built from a profile.\n\n"
	      "  -p, --profile PROFILE    profile path or name (./profiles, /etc/ward/profiles,\n"
	      "                           " WARD_PREFIX "/share/ward/profiles); default: default\n"
	      "  -m, --mode MODE          enforce (block and report) or audit (report only)\n"
	      "  -e, --events SINK        stderr, file:PATH, unix:PATH or none\n"
	      "      --id NAME            sandbox id (hostname, cgroup, events); default: random\n"
	      "      --bind SRC[:DST[:ro|rw]]  extra bind mount (read-only by default); a ':'\n"
	      "                           in a path is written \\:, a backslash \\\\; replaces\n"
	      "                           a filesystem.binds entry of the same DST\n"
	      "      --env NAME=VALUE     set a variable (env.set; replaces the profile's value)\n"
	      "      --env NAME           pass NAME from this environment (env.pass)\n"
	      "      --net MODE           none, loopback or host\n"
	      "      --gpu LIST           none, all or GPU indexes N[,N]\n"
	      "      --timeout DUR        wall-clock limit (30s, 5m, 1h; 0: none): SIGTERM, "
	      "grace,\n"
	      "                           SIGKILL\n"
	      "      --allow-degraded     run even if a protection cannot be applied on this host\n"
	      "  -h, --help               this help\n",
	      f);
}

__attribute__((format(printf, 1, 2))) static int fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ward run --help'.\n");
	return WARD_EXIT_FAIL;
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '-' || s[i] == '_' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return s[0] != '.';
}

static void random_id(char *buf, size_t len)
{
	unsigned char r[6] = {0};
	FILE *f = fopen("/dev/urandom", "re");

	if (!f || fread(r, 1, sizeof(r), f) != sizeof(r)) {
		uint64_t t = ward_now_ns() ^ ((uint64_t)getpid() << 20);
		memcpy(r, &t, sizeof(r));
	}
	if (f)
		fclose(f);
	snprintf(buf, len, "ward-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

static int cmd_run(int argc, char **argv)
{
	enum { OPT_ID = 256, OPT_BIND, OPT_ENV, OPT_NET, OPT_GPU, OPT_TIMEOUT, OPT_DEGRADED };
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"mode", required_argument, NULL, 'm'},
					     {"events", required_argument, NULL, 'e'},
					     {"id", required_argument, NULL, OPT_ID},
					     {"bind", required_argument, NULL, OPT_BIND},
					     {"env", required_argument, NULL, OPT_ENV},
					     {"net", required_argument, NULL, OPT_NET},
					     {"gpu", required_argument, NULL, OPT_GPU},
					     {"timeout", required_argument, NULL, OPT_TIMEOUT},
					     {"allow-degraded", no_argument, NULL, OPT_DEGRADED},
					     {"help", no_argument, NULL, 'h'},
					     {}};
	const char *profile = NULL, *mode = NULL, *sink = NULL, *id = NULL, *net = NULL;
	const char *gpu = NULL, *timeout = NULL;
	/* --bind and --env arguments, applied after the profile is loaded */
	struct {
		bool env;
		const char *arg;
	} *extra = calloc(argc + 1, sizeof(*extra));
	size_t n_extra = 0;
	struct ward_sandbox sb = {.init_pidfd = -1,
				  .sync_fd = -1,
				  .notify_fd = -1,
				  .sc_prog_fd = -1,
				  .sysctl_fd = -1};
	struct ward_error err = {{0}};
	int c, r;

	if (!extra)
		return WARD_EXIT_FAIL;
	/* '+': stop at the first non-option, so the command's own flags are never ours. */
	while ((c = getopt_long(argc, argv, "+p:m:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'e':
			sink = optarg;
			break;
		case OPT_ID:
			id = optarg;
			break;
		case OPT_BIND:
		case OPT_ENV:
			extra[n_extra].env = c == OPT_ENV;
			extra[n_extra++].arg = optarg;
			break;
		case OPT_NET:
			net = optarg;
			break;
		case OPT_GPU:
			gpu = optarg;
			break;
		case OPT_TIMEOUT:
			timeout = optarg;
			break;
		case OPT_DEGRADED:
			sb.allow_degraded = true;
			break;
		case 'h':
			run_usage(stdout);
			free(extra);
			return 0;
		default:
			free(extra);
			run_usage(stderr);
			return WARD_EXIT_FAIL;
		}
	}
	if (optind >= argc) {
		free(extra);
		return fail_usage("run: no command given");
	}
	if (mode && strcmp(mode, "enforce") && strcmp(mode, "audit")) {
		free(extra);
		return fail_usage("run: bad --mode '%s': expected enforce or audit", mode);
	}
	if (net && strcmp(net, "none") && strcmp(net, "loopback") && strcmp(net, "host")) {
		free(extra);
		return fail_usage("run: bad --net '%s': expected none, loopback or host", net);
	}
	if (id && !valid_id(id)) {
		free(extra);
		return fail_usage("run: bad --id '%s': 1-48 characters of [A-Za-z0-9._-]", id);
	}
	uint64_t timeout_ns = 0;
	/* 0 means no wall-clock limit, as limits.wall: 0 does */
	if (timeout && ward_parse_duration(timeout, &timeout_ns) < 0) {
		free(extra);
		return fail_usage("run: bad --timeout '%s': expected a duration like 30s, 5m, 1h "
				  "(0: none)",
				  timeout);
	}

	r = ward_profile_load_cli(profile, mode, net, &sb.profile, &err);
	if (r < 0) {
		free(extra);
		fprintf(stderr, "ward: %s\n", err.msg);
		return WARD_EXIT_FAIL;
	}
	struct ward_profile *p = sb.profile;
	if (timeout)
		p->wall_ns = timeout_ns;
	if (sink) {
		free(p->sink);
		p->sink = strdup(sink);
	}
	for (size_t i = 0; i < n_extra && r >= 0; i++)
		r = extra[i].env ? ward_profile_add_env(p, extra[i].arg, &err)
				 : ward_profile_add_bind(p, extra[i].arg, &err);
	free(extra);
	if (r >= 0 && gpu)
		r = ward_profile_set_gpu(p, gpu, &err);
	if (r < 0) {
		fprintf(stderr, "ward: %s\n", err.msg);
		ward_profile_free(p);
		return WARD_EXIT_FAIL;
	}

	if (id)
		snprintf(sb.id, sizeof(sb.id), "%s", id);
	else
		random_id(sb.id, sizeof(sb.id));
	sb.argv = argv + optind;
	r = ward_run(&sb);
	ward_profile_free(sb.profile);
	free(sb.cwd);
	return r;
}

static int cmd_check(int argc, char **argv)
{
	int status = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs("Usage: ward check PROFILE...\nValidate profiles and print the effective "
		      "(merged) profile of each. Exit 0 if all are valid, 1 otherwise.\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	for (int i = 1; i < argc; i++) {
		struct ward_profile *p = NULL;
		struct ward_error err = {{0}};

		struct ward_seccomp *sc = NULL;

		if (ward_profile_load(argv[i], &p, &err) < 0) {
			fprintf(stderr, "ward: %s\n", err.msg);
			status = 1;
			continue;
		}
		/* What `run` would refuse must fail here too: build the seccomp filter (the
		 * imported OCI profile is only read then), without loading it. */
		if (ward_seccomp_build(p, &sc, &err) < 0) {
			fprintf(stderr, "ward: %s\n", err.msg);
			ward_profile_free(p);
			status = 1;
			continue;
		}
		ward_seccomp_free(sc);
		if (argc > 2)
			printf("---\n");
		ward_profile_dump(p, stdout);
		ward_profile_free(p);
	}
	return status;
}

int main(int argc, char **argv)
{
	ward_test_hooks_read();
	if (argc < 2) {
		usage(stderr);
		return WARD_EXIT_FAIL;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("ward %s\n", WARD_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "learn") == 0)
		return ward_learn_main(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "selftest") == 0)
		return ward_selftest_main(argc - 1, argv + 1);
	if (strcmp(cmd, "features") == 0)
		return ward_features_main(argc - 1, argv + 1);
	if (strcmp(cmd, "collector") == 0)
		return ward_collector_main(argc - 1, argv + 1);
	if (strcmp(cmd, "monitor") == 0) {
		struct ward_cgroup_info ci;
		bool v2 = ward_cgroup_probe(&ci) >= 0;
		return ward_monitor_pin_main(argc - 1, argv + 1, v2 ? ci.v2_mount : NULL);
	}
	fprintf(stderr, "ward: unknown command '%s'\n", cmd);
	usage(stderr);
	return WARD_EXIT_FAIL;
}
