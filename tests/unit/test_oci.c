// SPDX-License-Identifier: MIT
/* oci.c: parsing OCI/Docker seccomp JSON (fixtures in tests/unit/data/oci/). */
#include "common/macro.h"
#include "common/parse.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/seccomp.h"
#include "profile/oci.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/syscall.h>

static char *data_path(const char *name)
{
	char *dir = strdup(__FILE__), *slash, *r;

	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	assert_true(asprintf(&r, "%sdata/oci/%s", dir, name) > 0);
	free(dir);
	return r;
}

static const struct ward_oci_rule *find(const struct ward_oci_profile *o, int nr, size_t nth)
{
	for (size_t i = 0; i < o->n_rules; i++)
		if (o->rules[i].nr == nr && nth-- == 0)
			return &o->rules[i];
	return NULL;
}

static void load_small(const struct ward_strv *caps, struct ward_oci_profile **o)
{
	char *path = data_path("small.json");
	struct ward_error err = {{0}};

	assert_int_equal(ward_oci_load(path, caps, o, &err), 0);
	assert_string_equal((*o)->file, path);
	free(path);
}

static void test_small(void **state)
{
	struct ward_oci_profile *o = NULL;
	const struct ward_oci_rule *r;

	load_small(NULL, &o);
	assert_int_equal(o->default_action, SCMP_ACT_ERRNO(1));
	/* Two made-up names in the common set. */
	assert_int_equal(o->n_unknown, 2);
	/* Dropped by includes/excludes without CAP_SYS_ADMIN/CAP_SYSLOG on x86_64 6.x:
	 * s390 arches, modify_ldt (excludes amd64), mount group (caps), syslog (caps),
	 * getgid (minKernel 99.0). clone/clone3 are kept (excludes CAP_SYS_ADMIN, not held). */
	assert_int_equal(o->n_excluded, 5);

	r = find(o, SYS_read, 0);
	assert_non_null(r);
	assert_int_equal(r->action, WARD_SC_ALLOW);
	assert_int_equal(r->n_conds, 0);
	assert_non_null(find(o, SYS_arch_prctl, 0));
	assert_null(find(o, SYS_modify_ldt, 0));
	assert_null(find(o, SYS_mount, 0));
	assert_null(find(o, SYS_getgid, 0));
	assert_non_null(find(o, SYS_pidfd_open, 0));

	r = find(o, SYS_personality, 1);
	assert_non_null(r);
	assert_int_equal(r->n_conds, 1);
	assert_int_equal(r->conds[0].arg, 0);
	assert_int_equal(r->conds[0].op, SCMP_CMP_EQ);
	assert_int_equal(r->conds[0].value, 0xffffffffu);

	r = find(o, SYS_clone, 0);
	assert_non_null(r);
	assert_int_equal(r->conds[0].op, SCMP_CMP_MASKED_EQ);
	assert_int_equal(r->conds[0].value, 2114060288);

	r = find(o, SYS_clone3, 0);
	assert_non_null(r);
	assert_int_equal(r->scmp_action, SCMP_ACT_ERRNO(38));
	assert_int_equal(r->action, WARD_SC_DENY);

	r = find(o, SYS_getppid, 0);
	assert_int_equal(r->scmp_action, SCMP_ACT_ERRNO(13));
	assert_int_equal(r->action, WARD_SC_DENY);
	r = find(o, SYS_getuid, 0);
	assert_int_equal(r->scmp_action, SCMP_ACT_KILL_PROCESS);
	assert_int_equal(r->action, WARD_SC_DENY);
	/* Legacy "name" and LOG (runs, logged: an allow for ward). */
	r = find(o, SYS_getegid, 0);
	assert_non_null(r);
	assert_int_equal(r->action, WARD_SC_ALLOW);
	r = find(o, SYS_kill, 0);
	assert_int_equal(r->conds[0].arg, 1);
	ward_oci_free(o);
}

static void test_caps(void **state)
{
	struct ward_strv caps = {0};
	struct ward_str c[2] = {{.s = (char *)"CAP_SYS_ADMIN"}, {.s = (char *)"syslog"}};
	struct ward_oci_profile *o = NULL;

	caps.v = c;
	caps.n = 2;
	load_small(&caps, &o);
	/* With CAP_SYS_ADMIN: the mount group is in, clone/clone3 (excludes) are out; syslog
	 * matches "CAP_SYSLOG" case-insensitively without the prefix. */
	assert_non_null(find(o, SYS_mount, 0));
	assert_non_null(find(o, SYS_syslog, 0));
	assert_null(find(o, SYS_clone, 0));
	assert_null(find(o, SYS_clone3, 0));
	ward_oci_free(o);
}

static void expect_error(const char *file, int r_expected, const char *needle)
{
	char *path = data_path(file);
	struct ward_oci_profile *o = NULL;
	struct ward_error err = {{0}};

	assert_int_equal(ward_oci_load(path, NULL, &o, &err), r_expected);
	assert_null(o);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not contain '%s'", err.msg, needle);
	assert_non_null(strstr(err.msg, path));
	free(path);
}

static void test_errors(void **state)
{
	/* Syntax: FILE:LINE:COL from jansson (the missing comma on line 5). */
	expect_error("malformed.json", -EINVAL, "malformed.json:5:");
	expect_error("names-type.json", -EINVAL, "syscalls[1].names: expected an array of strings");
	expect_error("bad-action.json", -EINVAL,
		     "syscalls[0].action: unknown action 'SCMP_ACT_MAYBE'");
	expect_error("dup-key.json", -EINVAL, "duplicate object key");
	expect_error("bad-op.json", -EINVAL, "syscalls[0].args[0].index: 7 is not 0..5");
	expect_error("bad-cmp.json", -EINVAL, "unknown operator 'SCMP_CMP_ALMOST'");
	expect_error("does-not-exist.json", -ENOENT, "does-not-exist.json");
}

static void test_actions(void **state)
{
	uint32_t a;

	assert_int_equal(ward_oci_parse_action("SCMP_ACT_ERRNO", 5, &a), 0);
	assert_int_equal(a, SCMP_ACT_ERRNO(5));
	assert_int_equal(ward_oci_parse_action("SCMP_ACT_KILL_THREAD", 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_KILL_THREAD);
	assert_int_equal(ward_oci_parse_action("SCMP_ACT_NOTIFY", 0, &a), 0);
	assert_int_equal(a, SCMP_ACT_NOTIFY);
	assert_int_equal(ward_oci_parse_action("SCMP_ACT_TRACE", 7, &a), 0);
	assert_int_equal(a, SCMP_ACT_TRACE(7));
	assert_int_equal(ward_oci_parse_action("scmp_act_allow", 0, &a), -EINVAL);
	assert_int_equal(ward_oci_parse_action("", 0, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_actions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
