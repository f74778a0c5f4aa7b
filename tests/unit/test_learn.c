// SPDX-License-Identifier: MIT
/* learn/: the path-collapsing and temporary-name rules (paths.c), and the document written and
 * read back (emit.c, merge.c). */
#include "common/log.h"
#include "common/macro.h"
#include "learn/internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_tmpname(void **state)
{
	/* mkstemp(3) and Python's tempfile */
	assert_true(learn_is_tmpname("tmpa1B2c3", 0));
	assert_true(learn_is_tmpname("ward.Xk3pQ9", 0));
	assert_true(learn_is_tmpname("tmpk3j_x9a2", 0));
	assert_true(learn_is_tmpname("cache-4f9a0c1e2b", 0));
	assert_true(learn_is_tmpname("tmpabcdefgh.npz", O_CREAT | O_EXCL | O_RDWR));
	/* words, versions, counters */
	assert_false(learn_is_tmpname("weights.npz", 0));
	assert_false(learn_is_tmpname("layer10", 0));
	assert_false(learn_is_tmpname("model_v2.pt", 0));
	assert_false(learn_is_tmpname("python3.11", 0));
	assert_false(learn_is_tmpname("libtorch_cpu.so", 0));
	assert_false(learn_is_tmpname("x86_64-linux-gnu", 0));
	assert_false(learn_is_tmpname("a1b2", 0)); /* too short */
	assert_false(learn_is_tmpname("weights.npz", O_CREAT | O_WRONLY));
}

static void test_tmp_parent(void **state)
{
	char out[256];

	assert_true(learn_tmp_parent("/var/cache/app/tmpa1B2c3", 0, out, sizeof(out)));
	assert_string_equal(out, "/var/cache/app");
	/* a file in a mkdtemp directory: the directory's parent */
	assert_true(learn_tmp_parent("/var/tmp/tmpk3j_x9a2/weights.npz", 0, out, sizeof(out)));
	assert_string_equal(out, "/var/tmp");
	/* O_EXCL names the last component only */
	assert_true(learn_tmp_parent("/srv/job/out.bin", O_CREAT | O_EXCL, out, sizeof(out)));
	assert_string_equal(out, "/srv/job");
	assert_false(learn_tmp_parent("/srv/job/out.bin", O_CREAT, out, sizeof(out)));
	/* never a tmpfs on / */
	assert_false(learn_tmp_parent("/tmpa1B2c3", 0, out, sizeof(out)));
}

static void test_protected(void **state)
{
	assert_true(learn_is_protected("/"));
	assert_true(learn_is_protected("/etc"));
	assert_true(learn_is_protected("/usr"));
	assert_true(learn_is_protected("/home"));
	assert_true(learn_is_protected("/home/alice"));
	assert_true(learn_is_protected("/root/.cache"));
	assert_true(learn_is_protected("/proc/self"));
	assert_false(learn_is_protected("/home/alice/models"));
	assert_false(learn_is_protected("/etc/python3.11"));
	assert_false(learn_is_protected("/sys/devices"));
	assert_true(learn_is_wholesale_guarded("/"));
	assert_true(learn_is_wholesale_guarded("/etc"));
	assert_false(learn_is_wholesale_guarded("/usr"));
}

/* A made-up host: the directories that hold an __init__.py. */
static const char *const pkgs[] = {"/opt/app/pkg", "/opt/app/pkg/sub", NULL};

static bool fake_has(const char *dir, const char *name, void *data)
{
	for (const char *const *p = pkgs; *p; p++)
		if (!strcmp(*p, dir) && !strcmp(name, "__init__.py"))
			return true;
	return false;
}

static struct learn_path_out *collapse(const char *const *paths, const bool *listed,
				       const bool *absent, size_t n, size_t *ret_n)
{
	struct learn_path_in in[32];
	struct learn_path_out *out = NULL;
	struct learn_host h = {.has = fake_has};

	assert_true(n <= 32);
	for (size_t i = 0; i < n; i++)
		in[i] = (struct learn_path_in){.path = paths[i],
					       .listed = listed && listed[i],
					       .absent = absent && absent[i],
					       .count = 1,
					       .order = i};
	assert_int_equal(learn_collapse(in, n, &h, &out, ret_n), 0);
	return out;
}

static void test_collapse_siblings(void **state)
{
	/* two files of one directory: the directory, wherever they come in the input */
	const char *const p[] = {"/sys/devices/system/cpu/possible", "/sys/devices/system/node/x",
				 "/sys/devices/system/cpu/online",
				 "/sys/devices/system/cpu/possible"};
	size_t n;
	struct learn_path_out *o = collapse(p, NULL, NULL, 4, &n);

	assert_int_equal(n, 2);
	assert_string_equal(o[0].path, "/sys/devices/system/cpu");
	assert_int_equal(o[0].count, 3);
	assert_int_equal(o[0].first, 0);
	/* one file alone stays exact */
	assert_string_equal(o[1].path, "/sys/devices/system/node/x");
	learn_path_out_free(o, n);
}

static void test_collapse_protected(void **state)
{
	/* files of /etc never become /etc; files of a home never become the home */
	const char *const p[] = {"/etc/hosts", "/etc/resolv.conf", "/home/alice/.netrc",
				 "/home/alice/.bashrc"};
	size_t n;
	struct learn_path_out *o = collapse(p, NULL, NULL, 4, &n);

	assert_int_equal(n, 4);
	assert_string_equal(o[0].path, "/etc/hosts");
	assert_string_equal(o[1].path, "/etc/resolv.conf");
	assert_string_equal(o[2].path, "/home/alice/.bashrc");
	assert_false(o[0].wholesale);
	learn_path_out_free(o, n);
}

static void test_collapse_wholesale(void **state)
{
	/* /etc listed by the run: granted as a whole, flagged, and it covers the files */
	const char *const p[] = {"/etc/hosts", "/etc"};
	const bool listed[] = {false, true};
	size_t n;
	struct learn_path_out *o = collapse(p, listed, NULL, 2, &n);

	assert_int_equal(n, 1);
	assert_string_equal(o[0].path, "/etc");
	assert_true(o[0].wholesale);
	assert_int_equal(o[0].n_paths, 2);
	learn_path_out_free(o, n);
}

static void test_collapse_packages(void **state)
{
	/* a Python package (outermost __init__.py), a node_modules package, a library dir */
	const char *const p[] = {"/opt/app/pkg/sub/mod.py",
				 "/opt/app/pkg/__init__.py",
				 "/srv/js/node_modules/@scope/lib/index.js",
				 "/srv/js/node_modules/@scope/lib/package.json",
				 "/opt/vendor/lib/libfoo.so.1",
				 "/opt/app/main.py"};
	size_t n;
	struct learn_path_out *o = collapse(p, NULL, NULL, 6, &n);

	assert_int_equal(n, 4);
	assert_string_equal(o[0].path, "/opt/app/main.py");
	assert_string_equal(o[1].path, "/opt/app/pkg");
	assert_string_equal(o[2].path, "/opt/vendor/lib");
	assert_string_equal(o[3].path, "/srv/js/node_modules/@scope/lib");
	learn_path_out_free(o, n);
}

static void test_collapse_absent(void **state)
{
	/* absent paths stay exact and do not make their directory an entry */
	const char *const p[] = {"/etc/libnl/classid", "/etc/libnl/pktloc", "/opt/m/a"};
	const bool absent[] = {true, true, false};
	size_t n;
	struct learn_path_out *o = collapse(p, NULL, absent, 3, &n);

	assert_int_equal(n, 3);
	assert_string_equal(o[0].path, "/etc/libnl/classid");
	assert_true(o[0].absent);
	assert_string_equal(o[2].path, "/opt/m/a");
	assert_false(o[2].absent);
	learn_path_out_free(o, n);
}

static void test_yaml_scalar(void **state)
{
	char b[64];

	learn_yaml_scalar("/usr/bin/python3", b, sizeof(b));
	assert_string_equal(b, "/usr/bin/python3");
	learn_yaml_scalar("/a b/#c", b, sizeof(b));
	assert_string_equal(b, "\"/a b/#c\"");
	learn_yaml_scalar("*x", b, sizeof(b));
	assert_string_equal(b, "\"*x\"");
	learn_yaml_scalar("say \"hi\"", b, sizeof(b));
	assert_string_equal(b, "\"say \\\"hi\\\"\"");
}

static char *write_to_string(const struct learn_doc *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(learn_doc_write(d, f), 0);
	fclose(f);
	return buf;
}

static void fill(struct learn_doc *d, bool reversed)
{
	const char *items[] = {"/b", "/a", "/c"};

	d->header = NULL;
	learn_doc_header(d, "# Learned by ward learn (test)");
	d->name = strdup("t");
	d->include = strdup("[base]");
	for (size_t k = 0; k < 3; k++) {
		size_t i = reversed ? 2 - k : k;
		char line[64];
		snprintf(line, sizeof(line), "    - %s  # x", items[i]);
		learn_doc_add(d, "filesystem", "readonly", items[i], line, false);
	}
	learn_doc_add(d, "syscalls", "allow", "mlock", "    - mlock  # REVIEW: no", true);
	learn_doc_set_scalar(d, "network", "mode", "host");
	d->lim_memory = 512ull << 20;
	d->lim_pids = 16;
	d->lim_nofile = 64;
}

static void test_doc_sorted_and_stable(void **state)
{
	struct learn_doc a = {0}, b = {0};

	fill(&a, false);
	fill(&b, true);
	_cleanup_free_ char *sa = write_to_string(&a);
	_cleanup_free_ char *sb = write_to_string(&b);
	assert_string_equal(sa, sb);
	assert_non_null(strstr(sa, "filesystem:\n  readonly:\n    - /a  # x\n    - /b  # x\n"));
	assert_true(strstr(sa, "filesystem:") < strstr(sa, "network:\n  mode: host\n"));
	assert_true(strstr(sa, "network:") < strstr(sa, "syscalls:\n  allow:\n"));
	assert_non_null(strstr(sa, "# limits: {memory: 512M, pids: 16, nofile: 64}\n"));
	learn_doc_free(&a);
	learn_doc_free(&b);
}

static void test_doc_merge_keeps_user_lines(void **state)
{
	struct learn_doc a = {0}, m = {0};
	struct ward_error err = {{0}};
	char path[] = "/tmp/test_learn.XXXXXX";
	int fd = mkstemp(path);
	bool ours = false;

	assert_true(fd >= 0);
	fill(&a, false);
	_cleanup_free_ char *s = write_to_string(&a);
	/* the user edits a comment, adds a comment line, an entry and a block of their own */
	FILE *f = fdopen(fd, "w");
	char *edited = strdup(s);
	char *at = strstr(edited, "    - /b  # x");
	assert_non_null(at);
	fwrite(edited, 1, (size_t)(at - edited), f);
	fputs("    # mine: the model cache\n    - /b  # my note\n", f);
	fputs(at + strlen("    - /b  # x\n"), f);
	fputs("hostname: box\n", f);
	fclose(f);
	free(edited);

	assert_int_equal(learn_doc_read(path, &m, &ours, &err), 0);
	assert_true(ours);
	/* this run found /b again and /d */
	learn_doc_add(&m, "filesystem", "readonly", "/b", "    - /b  # x", false);
	learn_doc_add(&m, "filesystem", "readonly", "/d", "    - /d  # new", false);
	_cleanup_free_ char *out = write_to_string(&m);
	assert_non_null(strstr(out, "    - /a  # x\n    # mine: the model cache\n    - /b  # my "
				    "note\n    - /c  # x\n    - /d  # new\n"));
	assert_non_null(strstr(out, "hostname: box\n"));
	assert_non_null(strstr(out, "  mode: host\n"));
	assert_non_null(strstr(out, "# limits: {memory: 512M, pids: 16, nofile: 64}\n"));
	/* read again and written again: the same bytes */
	struct learn_doc m2 = {0};
	f = fopen(path, "w");
	fputs(out, f);
	fclose(f);
	assert_int_equal(learn_doc_read(path, &m2, &ours, &err), 0);
	_cleanup_free_ char *out2 = write_to_string(&m2);
	assert_string_equal(out, out2);
	unlink(path);
	learn_doc_free(&a);
	learn_doc_free(&m);
	learn_doc_free(&m2);
}

static void test_doc_foreign_file(void **state)
{
	struct learn_doc d = {0};
	struct ward_error err = {{0}};
	char path[] = "/tmp/test_learn.XXXXXX";
	int fd = mkstemp(path);
	bool ours = true;

	assert_true(fd >= 0);
	assert_true(write(fd, "name: mine\ninclude: [base]\n", 27) == 27);
	close(fd);
	assert_int_equal(learn_doc_read(path, &d, &ours, &err), 0);
	assert_false(ours);
	unlink(path);
	learn_doc_free(&d);
}

/* The reader accepts what later versions may add: unknown kinds, fields, ops and actions. */
static void test_record_lenient(void **state)
{
	static const char ev[] =
		"{\"kind\":\"lifecycle\",\"event\":\"start\",\"action\":\"allow\"}\n"
		"{\"kind\":\"file\",\"op\":\"stat\",\"layer\":\"mount\",\"action\":\"audit\","
		"\"violation\":true,\"comm\":\"py\",\"time\":\"2\",\"path\":\"/etc/x/a\","
		"\"flags\":0,\"write\":false,\"ret\":0,\"pid\":7}\n"
		"{\"kind\":\"file\",\"op\":\"open\",\"violation\":true,\"comm\":\"py\","
		"\"time\":\"1\",\"path\":\"/etc/x/a\",\"flags\":0,\"write\":false,\"ret\":3}\n"
		"{\"kind\":\"file\",\"op\":\"open\",\"violation\":true,\"path\":\"/nope\","
		"\"flags\":0,\"write\":false,\"ret\":-2,\"errno\":\"ENOENT\"}\n"
		"{\"kind\":\"syscall\",\"action\":\"kill\",\"violation\":true,\"syscall\":"
		"\"ptrace\","
		"\"rule\":\"syscalls.kill: ptrace\",\"args\":[\"0x10\",\"0x7f00aabbcc00\"]}\n"
		"{\"kind\":\"quantum\",\"action\":\"allow\"}\n"
		"not json\n"
		"{\"kind\":\"lifecycle\",\"event\":\"exit\",\"exit_code\":0,\"sink_dropped\":0,"
		"\"monitor_events\":{\"lost\":0}}\n";
	char path[] = "/tmp/test_learn.XXXXXX";
	int fd = mkstemp(path);
	struct learn_record rec = {0};
	struct ward_error err = {{0}};

	assert_true(fd >= 0);
	assert_true(write(fd, ev, sizeof(ev) - 1) == (ssize_t)(sizeof(ev) - 1));
	close(fd);
	assert_int_equal(learn_record_read(path, &rec, &err), 0);
	unlink(path);
	assert_true(rec.have_start && rec.have_exit);
	assert_int_equal(rec.unknown, 2); /* the unknown kind and the torn line */
	assert_int_equal(rec.lost, 1);	  /* a torn line counts as lost */
	struct learn_obs *o = learn_set_find(&rec.files, "/etc/x/a");
	assert_non_null(o);
	assert_int_equal(o->count, 2);
	assert_string_equal(o->order, "1"); /* the earliest by time, not by line */
	assert_true(o->bits & LEARN_PRESENT);
	o = learn_set_find(&rec.files, "/nope");
	assert_non_null(o);
	assert_true((o->bits & LEARN_ABSENT) && !(o->bits & LEARN_PRESENT));
	o = learn_set_find(&rec.syscalls, "ptrace");
	assert_non_null(o);
	assert_true(o->bits & LEARN_KILL);
	assert_string_equal(o->detail, "0x10, (address)");
	learn_record_free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmpname),
		cmocka_unit_test(test_tmp_parent),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_collapse_siblings),
		cmocka_unit_test(test_collapse_protected),
		cmocka_unit_test(test_collapse_wholesale),
		cmocka_unit_test(test_collapse_packages),
		cmocka_unit_test(test_collapse_absent),
		cmocka_unit_test(test_yaml_scalar),
		cmocka_unit_test(test_doc_sorted_and_stable),
		cmocka_unit_test(test_doc_merge_keeps_user_lines),
		cmocka_unit_test(test_doc_foreign_file),
		cmocka_unit_test(test_record_lenient),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
