// SPDX-License-Identifier: MIT
/* Unit tests for launcher/pathmatch.c: normalization, prefix matching, view classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/macro.h"
#include "common/parse.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

static void norm_is(const char *base, const char *path, const char *want)
{
	char out[256];

	assert_int_equal(ward_path_normalize(base, path, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_normalize(void **state)
{
	norm_is(NULL, "/etc/../etc/shadow", "/etc/shadow");
	norm_is(NULL, "//etc///passwd/", "/etc/passwd");
	norm_is(NULL, "/./a/./b/.", "/a/b");
	norm_is(NULL, "/..", "/");
	norm_is(NULL, "/../../x", "/x");
	norm_is("/etc", "shadow", "/etc/shadow");
	norm_is("/etc/ssl", "../shadow", "/etc/shadow");
	norm_is("/", "a/b/../c", "/a/c");
	norm_is("/tmp", ".", "/tmp");
	norm_is("/tmp", "", "/tmp");
}

static void test_normalize_bad(void **state)
{
	char out[8];
	char big[64];

	assert_int_equal(ward_path_normalize(NULL, NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(ward_path_normalize("relative", "x", out, sizeof(out)), -EINVAL);
	assert_int_equal(ward_path_normalize(NULL, "/abcdefghijk", out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(ward_path_normalize(NULL, "/a", out, 1), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(ward_path_normalize("/x", big, out, sizeof(out)), -ENAMETOOLONG);
}

static void test_under(void **state)
{
	assert_true(ward_path_under("/usr/lib", "/usr"));
	assert_true(ward_path_under("/usr", "/usr"));
	assert_true(ward_path_under("/anything", "/"));
	assert_false(ward_path_under("/usrx", "/usr"));
	assert_false(ward_path_under("/us", "/usr"));
	assert_false(ward_path_under("usr/lib", "/usr"));
	assert_false(ward_path_under(NULL, "/usr"));
}

static void test_hash(void **state)
{
	/* FNV-1a 64 reference values (user space only: the BPF side matches paths in an LPM
	 * trie, and the pin directory is named after this hash of the BPF object) */
	assert_true(ward_path_hash("", 0) == 0xcbf29ce484222325ULL);
	assert_true(ward_path_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(ward_path_hash("/usr", 4) != ward_path_hash("/usr/", 5));
}

static struct ward_str S(const char *s) {
	return (struct ward_str){.s = (char *)s};
}

static void
test_classify(void **state)
{
	struct ward_str ro[] = {S("/usr"), S("/etc"), S("/opt/models")};
	struct ward_str rw[] = {S("/data/out")};
	struct ward_str tmp[] = {S("/tmp")};
	struct ward_str dev[] = {S("/dev/null")};
	struct ward_str deny[] = {S("/etc/shadow"), S("/root")};
	struct ward_profile p = {0};
	char *gpu[] = {"/dev/nvidia0", NULL};
	const struct ward_path_entry *e;
	struct ward_pathset s;

	p.fs_readonly = (struct ward_strv){.v = ro, .n = 3};
	p.fs_readwrite = (struct ward_strv){.v = rw, .n = 1};
	p.fs_tmpfs = (struct ward_strv){.v = tmp, .n = 1};
	p.fs_devices = (struct ward_strv){.v = dev, .n = 1};
	p.fs_deny = (struct ward_strv){.v = deny, .n = 2};
	assert_int_equal(ward_pathset_build(&p, gpu, &s), 0);

	assert_int_equal(ward_pathset_classify(&s, "/usr/lib/libc.so", &e), WARD_PC_RO);
	assert_string_equal(e->path, "/usr");
	assert_int_equal(ward_pathset_classify(&s, "/etc/shadow", &e), WARD_PC_DENY);
	assert_string_equal(e->list, "filesystem.deny");
	assert_int_equal(ward_pathset_classify(&s, "/root/.ssh/id_rsa", NULL), WARD_PC_DENY);
	assert_int_equal(ward_pathset_classify(&s, "/data/out/x", NULL), WARD_PC_RW);
	/* /data exists (a mount point above /data/out) but only as itself */
	assert_int_equal(ward_pathset_classify(&s, "/data", NULL), WARD_PC_SKEL);
	assert_int_equal(ward_pathset_classify(&s, "/data/other", NULL), WARD_PC_NONE);
	assert_int_equal(ward_pathset_classify(&s, "/opt", NULL), WARD_PC_SKEL);
	assert_int_equal(ward_pathset_classify(&s, "/", NULL), WARD_PC_SKEL);
	assert_int_equal(ward_pathset_classify(&s, "/home/x", &e), WARD_PC_NONE);
	assert_null(e);
	assert_int_equal(ward_pathset_classify(&s, "/dev/null", NULL), WARD_PC_DEV);
	assert_int_equal(ward_pathset_classify(&s, "/dev/nvidia0", NULL), WARD_PC_DEV);
	assert_int_equal(ward_pathset_classify(&s, "/dev/nvidia1", NULL), WARD_PC_NONE);
	assert_int_equal(ward_pathset_classify(&s, "/dev/null/x", NULL), WARD_PC_NONE);
	/* lengths are compared first: a name that only begins like an entry is not under it */
	assert_int_equal(ward_pathset_classify(&s, "/dev/nul", NULL), WARD_PC_NONE);
	assert_int_equal(ward_pathset_classify(&s, "/usrx/lib", NULL), WARD_PC_NONE);
	assert_int_equal(ward_pathset_classify(&s, "/usr", &e), WARD_PC_RO);
	assert_string_equal(e->path, "/usr");
	assert_int_equal(ward_pathset_classify(&s, "/etc/shadowx", NULL), WARD_PC_RO);
	assert_int_equal(ward_pathset_classify(&s, "/etc/shadow/x", NULL), WARD_PC_DENY);
	assert_int_equal(ward_pathset_classify(&s, "/proc/self/maps", NULL), WARD_PC_IMPLICIT);
	assert_int_equal(ward_pathset_classify(&s, "/dev/pts/0", NULL), WARD_PC_IMPLICIT);
	assert_int_equal(ward_pathset_classify(&s, "relative", NULL), -EINVAL);

	assert_true(ward_path_violation(WARD_PC_RO, true));
	assert_false(ward_path_violation(WARD_PC_RO, false));
	assert_true(ward_path_violation(WARD_PC_SKEL, true));
	assert_false(ward_path_violation(WARD_PC_TMPFS, true));
	assert_true(ward_path_violation(WARD_PC_NONE, false));
	assert_true(ward_path_violation(WARD_PC_DENY, false));
	ward_pathset_free(&s);
	assert_int_equal(ward_pathset_build(NULL, NULL, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize), cmocka_unit_test(test_normalize_bad),
		cmocka_unit_test(test_under),	  cmocka_unit_test(test_hash),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
