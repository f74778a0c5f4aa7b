// SPDX-License-Identifier: MIT
/* Unit tests for selftest/: the expectations a profile gives each probe (probes.c), the
 * verdicts from a made-up run (judge.c), and the report (report.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile/profile.h"
#include "selftest/selftest.h"

/* The made-up host: /etc/shadow and /var/lib/dpkg/status are files, /usr/bin/id too. */
static int fake_kind(const char *path, void *data)
{
	static const char *const files[] = {"/etc/shadow", "/var/lib/dpkg/status", "/usr/bin/id",
					    "/etc/ld.so.cache", "/lib64/ld-linux-x86-64.so.2"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(path, files[i]))
			return 'f';
	return 0;
}

static const struct ward_st_host host = {.tcp_port = 40001,
					 .tcp6_port = 40002,
					 .udp_port = 40003,
					 .free_port = 40004,
					 .abstract_name = "ward-selftest-1",
					 .unix_path = "/var/tmp/x/sock/s",
					 .host_pid = 4242,
					 .have_i386 = true,
					 .exists = fake_kind};

static struct ward_st_probe *find(struct ward_st_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n; i++)
		if (!strcmp(plan->probes[i].name, name))
			return &plan->probes[i];
	fail_msg("no probe %s", name);
	return NULL;
}

static struct ward_profile *load(const char *name)
{
	struct ward_profile *p = NULL;
	struct ward_error err = {{0}};

	assert_int_equal(ward_profile_load(name, &p, &err), 0);
	return p;
}

static void test_classes(void **state)
{
	unsigned m = 0;

	assert_int_equal(ward_st_parse_classes("files,escapes", &m), 0);
	assert_int_equal(m, (1u << WARD_ST_FILES) | (1u << WARD_ST_ESCAPES));
	assert_int_equal(ward_st_parse_classes("files,nope", &m), -EINVAL);
	assert_int_equal(ward_st_parse_classes("", &m), -EINVAL);
}

static void test_python_cpu(void **state)
{
	struct ward_profile *p = load("python-cpu");
	struct ward_st_plan plan;

	assert_int_equal(ward_st_plan_build(p, &host, ~0u, &plan), 0);
	struct ward_st_probe *t = find(&plan, "files.deny-read");
	assert_int_equal(t->expect, WARD_ST_BLOCK);
	assert_string_equal(t->argv[1], "/etc/shadow");
	assert_string_equal(t->report_rule, "filesystem.deny");
	t = find(&plan, "files.outside-view");
	assert_string_equal(t->argv[1], "/var/lib/dpkg/status");
	assert_int_equal(find(&plan, "esc.ptrace")->expect, WARD_ST_BLOCK);
	t = find(&plan, "net.tcp-connect");
	assert_int_equal(t->expect, WARD_ST_BLOCK);
	assert_string_equal(t->argv[2], "40001");
	/* mode none: a bind stays inside the sandbox's own namespace */
	assert_int_equal(find(&plan, "net.bind-listen")->expect, WARD_ST_SKIP);
	assert_int_equal(find(&plan, "dev.gpu-allowed")->expect, WARD_ST_SKIP);
	t = find(&plan, "lim.wall");
	assert_int_equal(t->expect, WARD_ST_BLOCK);
	assert_int_equal(t->box, WARD_ST_BOX_WALL);
	assert_string_equal(t->lifecycle, "timeout");
	assert_string_equal(find(&plan, "lim.cgroup-view")->expect_text,
			    "memory=4294967296 pids=256");
	assert_string_equal(find(&plan, "lim.pids")->argv[1], "288");
	assert_int_equal(find(&plan, "esc.kexec")->box, WARD_ST_BOX_ALONE);
	assert_int_equal(find(&plan, "esc.setuid")->expect, WARD_ST_SKIP); /* no set-uid copy */
	ward_st_plan_free(&plan);

	/* with one: python-cpu has exec.allow, so the set-uid exec must be reported */
	struct ward_st_host h = host;
	h.have_suid = true;
	assert_int_equal(ward_st_plan_build(p, &h, 1u << WARD_ST_ESCAPES, &plan), 0);
	assert_int_equal(find(&plan, "esc.setuid")->expect, WARD_ST_BLOCK);
	assert_true(find(&plan, "esc.setuid")->report_required);
	ward_st_plan_free(&plan);

	/* --only */
	assert_int_equal(ward_st_plan_build(p, &host, 1u << WARD_ST_LIMITS, &plan), 0);
	for (size_t i = 0; i < plan.n; i++)
		assert_int_equal(plan.probes[i].cls, WARD_ST_LIMITS);
	ward_st_plan_free(&plan);
	ward_profile_free(p);
}

static void test_network_rules(void **state)
{
	struct ward_profile *p = load("base");
	struct ward_st_plan plan;
	struct ward_net_rule r;

	p->net_mode = WARD_NET_HOST;
	/* every address: counted as a hole, not an allowance */
	assert_int_equal(ward_parse_net_rule("connect", "0.0.0.0/0:*", &r), 0);
	p->net_allow = calloc(2, sizeof(*p->net_allow));
	p->net_allow[0] = r;
	p->n_net_allow = 1;
	assert_int_equal(ward_st_plan_build(p, &host, 1u << WARD_ST_NETWORK, &plan), 0);
	struct ward_st_probe *t = find(&plan, "net.tcp-connect");
	assert_int_equal(t->expect, WARD_ST_BLOCK);
	assert_non_null(strstr(t->note, "every address"));
	ward_st_plan_free(&plan);

	/* narrow: 127.0.0.1 and the listener's port: it must work */
	free(p->net_allow[0].text);
	assert_int_equal(ward_parse_net_rule("connect", "127.0.0.1:40001", &r), 0);
	p->net_allow[0] = r;
	assert_int_equal(ward_st_allowed_port(p, WARD_NETOP_CONNECT), 40001);
	assert_int_equal(ward_st_plan_build(p, &host, 1u << WARD_ST_NETWORK, &plan), 0);
	assert_int_equal(find(&plan, "net.tcp-connect")->expect, WARD_ST_ALLOW);
	assert_int_equal(find(&plan, "net.v4-mapped")->expect, WARD_ST_ALLOW);
	assert_int_equal(find(&plan, "net.ipv6")->expect, WARD_ST_BLOCK);
	assert_int_equal(find(&plan, "net.udp-send")->expect, WARD_ST_BLOCK);
	ward_st_plan_free(&plan);
	ward_profile_free(p);
}

static void test_no_exec_allow(void **state)
{
	struct ward_profile *p = load("base");
	struct ward_st_plan plan;

	assert_int_equal(ward_st_plan_build(p, &host, 1u << WARD_ST_EXEC, &plan), 0);
	struct ward_st_probe *t = find(&plan, "exec.not-allowed");
	assert_int_equal(t->expect, WARD_ST_BLOCK);
	assert_string_equal(t->argv[1], "/usr/bin/id");
	assert_non_null(strstr(t->note, "no exec.allow"));
	assert_int_equal(find(&plan, "exec.allowed")->expect, WARD_ST_SKIP);
	ward_st_plan_free(&plan);
	ward_profile_free(p);
}

/* A made-up run of three probes: blocked and reported; blocked silently; a hole. */
static void test_judge(void **state)
{
	struct ward_profile *p = load("python-cpu");
	struct ward_st_plan plan;

	assert_int_equal(ward_st_plan_build(p, &host, 1u << WARD_ST_ESCAPES, &plan), 0);
	int ptrace = find(&plan, "esc.ptrace")->id, i386 = find(&plan, "esc.i386")->id;
	int mnt = find(&plan, "esc.mount")->id;
	char out[1024], ev[1024];
	snprintf(out, sizeof(out),
		 "BEGIN %d 1764583200000000000\n"
		 "OUT %d RESULT op=ptrace ret=-1 errno=EPERM\n"
		 "END %d 1764583200010000000 exit=0\n"
		 "BEGIN %d 1764583200020000000\n"
		 "END %d 1764583200030000000 signal=SYS\n"
		 "BEGIN %d 1764583200040000000\n"
		 "OUT %d RESULT op=mount ret=0 errno=0 path=/tmp\n"
		 "END %d 1764583200050000000 exit=0\n",
		 ptrace, ptrace, ptrace, i386, i386, mnt, mnt, mnt);
	/* the ptrace event by comm; a stray lifecycle start; nothing for the others */
	snprintf(ev, sizeof(ev),
		 "{\"time\":\"2025-12-01T10:00:00.005000000Z\",\"kind\":\"lifecycle\","
		 "\"violation\":false,\"event\":\"start\"}\n"
		 "{\"time\":\"2025-12-01T10:00:00.005000000Z\",\"kind\":\"syscall\","
		 "\"action\":\"deny\",\"violation\":true,\"comm\":\"wst-%d\","
		 "\"rule\":\"builtin: ptrace\",\"syscall\":\"ptrace\"}\n",
		 ptrace);
	ward_st_judge_output(&plan, out);
	ward_st_judge_events(&plan, ev, false, 0);
	ward_st_judge_listener(&plan, "");
	ward_st_verdicts(&plan);
	struct ward_st_probe *t = &plan.probes[ptrace];
	assert_true(t->pass && t->blocked && t->reported);
	assert_string_equal(t->layer, "seccomp");
	assert_string_equal(t->event, "syscall: builtin: ptrace");
	t = &plan.probes[i386];
	assert_true(t->blocked && !t->reported && !t->pass);
	assert_string_equal(t->layer, "killed (SIGSYS)");
	assert_non_null(strstr(t->why, "not reported"));
	t = &plan.probes[mnt];
	assert_true(!t->blocked && !t->pass);
	assert_non_null(strstr(t->why, "not blocked"));

	/* the report: counts in the JSON document, failures listed under the table */
	struct ward_st_summary s;
	ward_st_summarize(&plan, &s);
	assert_true(s.failed >= 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ward_st_report_json(&plan, "python-cpu", 12, 1, f);
	fclose(f);
	assert_non_null(strstr(buf, "\"profile\":\"python-cpu\",\"mode\":\"enforce\""));
	assert_non_null(strstr(buf, "\"name\":\"esc.ptrace\",\"class\":\"escapes\""));
	assert_non_null(strstr(buf, "\"verdict\":\"pass\""));
	free(buf);
	f = open_memstream(&buf, &len);
	ward_st_report_table(&plan, "python-cpu", f);
	fclose(f);
	assert_non_null(strstr(buf, "PASS esc.ptrace"));
	assert_non_null(strstr(buf, "FAIL esc.mount: not blocked"));
	free(buf);
	ward_st_plan_free(&plan);
	ward_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),	      cmocka_unit_test(test_python_cpu),
		cmocka_unit_test(test_network_rules), cmocka_unit_test(test_no_exec_allow),
		cmocka_unit_test(test_judge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
