// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the profile loader from a buffer (ward_profile_load_buffer), the seccomp
 * filter built from what it accepts (built only: nothing is loaded into the kernel), and the
 * `ward check` dump, which must load again to the same profile and dump to the same text
 * (issue 9 item 11). Includes resolve as for a built-in profile, so `include: [base]` reaches
 * the built-in profiles.
 */
#include "launcher/seccomp.h"
#include "profile/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *differs;

#define SAME(c)                                                                                    \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			differs = #c;                                                              \
			return false;                                                              \
		}                                                                                  \
	} while (0)

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(const struct ward_strv *a, const struct ward_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].s, b->v[i].s) != 0 || a->v[i].size != b->v[i].size)
			return false;
	return true;
}

static bool profiles_eq(const struct ward_profile *a, const struct ward_profile *b)
{
	SAME(str_eq(a->name, b->name));
	SAME(str_eq(a->description, b->description));
	SAME(a->mode == b->mode && a->namespaces == b->namespaces);
	SAME(a->uid == b->uid && a->gid == b->gid);
	SAME(str_eq(a->hostname, b->hostname));
	SAME(strv_eq(&a->fs_readonly, &b->fs_readonly));
	SAME(strv_eq(&a->fs_readwrite, &b->fs_readwrite));
	SAME(strv_eq(&a->fs_tmpfs, &b->fs_tmpfs));
	SAME(strv_eq(&a->fs_devices, &b->fs_devices));
	SAME(strv_eq(&a->fs_deny, &b->fs_deny));
	SAME(a->n_binds == b->n_binds);
	for (size_t i = 0; i < a->n_binds; i++) {
		SAME(strcmp(a->binds[i].src, b->binds[i].src) == 0);
		SAME(strcmp(a->binds[i].dst, b->binds[i].dst) == 0);
		SAME(a->binds[i].rw == b->binds[i].rw);
	}
	SAME(a->net_mode == b->net_mode && a->n_net_allow == b->n_net_allow);
	for (size_t i = 0; i < a->n_net_allow; i++) {
		const struct ward_net_rule *x = &a->net_allow[i], *y = &b->net_allow[i];

		SAME(x->op == y->op && x->family == y->family && x->prefixlen == y->prefixlen);
		SAME(memcmp(x->addr, y->addr, 16) == 0);
		SAME(x->port_lo == y->port_lo && x->port_hi == y->port_hi);
		SAME(strcmp(x->text, y->text) == 0);
	}
	SAME(a->gpu_all == b->gpu_all && a->n_gpus == b->n_gpus);
	SAME(memcmp(a->gpus, b->gpus, a->n_gpus * sizeof(a->gpus[0])) == 0);
	SAME(strv_eq(&a->exec_allow, &b->exec_allow));
	SAME(a->sc_default == b->sc_default);
	SAME(strv_eq(&a->sc_allow, &b->sc_allow));
	SAME(strv_eq(&a->sc_deny, &b->sc_deny));
	SAME(strv_eq(&a->sc_kill, &b->sc_kill));
	SAME(str_eq(a->sc_import.s, b->sc_import.s));
	SAME(strv_eq(&a->capabilities, &b->capabilities));
	SAME(a->mem_max == b->mem_max && a->pids_max == b->pids_max);
	SAME(a->cpu_max == b->cpu_max);
	SAME(a->nofile == b->nofile && a->wall_ns == b->wall_ns && a->grace_ns == b->grace_ns);
	SAME(str_eq(a->sink, b->sink));
	SAME(a->events_allowed == b->events_allowed);
	SAME(a->require_collector == b->require_collector);
	SAME(strv_eq(&a->env_pass, &b->env_pass));
	SAME(strv_eq(&a->env_set, &b->env_set));
	return true;
}

/* The dump without its comment lines (the header names the files read). */
static char *dump_body(const struct ward_profile *p, size_t *ret_len)
{
	char *buf = NULL, *o;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || ward_profile_dump(p, f) < 0)
		abort();
	fclose(f);
	o = buf;
	for (char *line = buf; *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (line[0] != '#') {
			memmove(o, line, l);
			o += l;
		}
		line += l;
	}
	*o = '\0';
	*ret_len = (size_t)(o - buf);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_profile *p = NULL, *q = NULL;
	struct ward_seccomp *sc = NULL;
	struct ward_error err = {{0}};
	char *text, *again;
	size_t len, len2;

	if (ward_profile_load_buffer("fuzz.yaml", (const char *)data, size, &p, &err) < 0) {
		/* every refusal names where: FILE:LINE:COL, or the file for I/O errors */
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0 && !strstr(err.msg, ".yaml") &&
		    !strstr(err.msg, ": ")) {
			fprintf(stderr, "error without a location: %s\n", err.msg);
			abort();
		}
		return 0;
	}
	if (ward_seccomp_build(p, &sc, &err) == 0)
		ward_seccomp_free(sc);
	text = dump_body(p, &len);
	if (ward_profile_load_buffer("dump.yaml", text, len, &q, &err) < 0) {
		fprintf(stderr, "the dump does not load: %s\n---\n%s---\n", err.msg, text);
		abort();
	}
	if (!profiles_eq(p, q)) {
		fprintf(stderr, "the dump loads to another profile (%s)\n---\n%s---\n", differs,
			text);
		abort();
	}
	again = dump_body(q, &len2);
	if (len != len2 || memcmp(text, again, len) != 0) {
		fprintf(stderr, "dump(load(dump(p))) != dump(p)\n---\n%s---\n%s---\n", text, again);
		abort();
	}
	free(again);
	free(text);
	ward_profile_free(q);
	ward_profile_free(p);
	return 0;
}
