// SPDX-License-Identifier: MIT
/* Unit tests for the monitors' user side: network allow list -> LPM entries (CIDR and port
 * propagation), and ring buffer records -> events, including malformed records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/macro.h"
#include "common/parse.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "monitor/internal.h"

static void rule(struct ward_net_rule *r, const char *op, const char *v)
{
	assert_int_equal(ward_parse_net_rule(op, v, r), 0);
}

static void test_net_entries(void **state)
{
	struct ward_net_rule rules[4];
	struct ward_net_key k[8]; /* 2 * n: "*" is one entry per family */
	struct ward_net_val v[8];
	int n;

	rule(&rules[0], "connect", "127.0.0.0/8:80");
	rule(&rules[1], "connect", "127.0.0.1:443");
	rule(&rules[2], "bind", "0.0.0.0:8000");
	rule(&rules[3], "connect", "[::1]:1000-2000");
	n = ward_monitor_net_entries(rules, 4, 0x100000002ULL, k, v);
	assert_int_equal(n, 4);
	/* 127.0.0.0/8: only its own range */
	assert_int_equal(k[0].prefixlen, 96 + 8);
	assert_int_equal(k[0].cgid_lo, 2);
	assert_int_equal(k[0].cgid_hi, 1);
	assert_int_equal(k[0].family, AF_INET);
	assert_int_equal(v[0].n, 1);
	/* 127.0.0.1/32 also carries 127.0.0.0/8's port 80: LPM only returns the longest match */
	assert_int_equal(k[1].prefixlen, 96 + 32);
	assert_int_equal(v[1].n, 2);
	assert_int_equal(v[1].lo[0], 80);
	assert_int_equal(v[1].rule[0], 0);
	assert_int_equal(v[1].lo[1], 443);
	assert_int_equal(v[1].rule[1], 1);
	/* bind rules do not leak into connect entries */
	assert_int_equal(k[2].op, WARD_NOP_BIND);
	assert_int_equal(v[2].n, 1);
	assert_int_equal(k[3].family, AF_INET6);
	assert_int_equal(k[3].prefixlen, 96 + 128);
	assert_int_equal(v[3].lo[0], 1000);
	assert_int_equal(v[3].hi[0], 2000);
	assert_int_equal(k[3].addr[15], 1);

	/* host bits beyond the prefix are cleared in the key */
	rule(&rules[0], "connect", "10.1.2.3/16:53");
	n = ward_monitor_net_entries(rules, 1, 1, k, v);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].addr[1], 1);
	assert_int_equal(k[0].addr[2], 0);
	assert_int_equal(k[0].addr[3], 0);

	/* duplicates collapse */
	rule(&rules[1], "connect", "10.1.0.0/16:80");
	n = ward_monitor_net_entries(rules, 2, 1, k, v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n, 2);

	/* "*" (any address, AF_UNSPEC) is one entry per family, both carrying its ports; before,
	 * it made the monitors refuse to start (-EINVAL, exit 125) */
	free(rules[0].text);
	rule(&rules[0], "connect", "*:*");
	n = ward_monitor_net_entries(rules, 1, 1, k, v);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].family, AF_INET);
	assert_int_equal(k[0].prefixlen, 96);
	assert_int_equal(k[1].family, AF_INET6);
	assert_int_equal(k[1].prefixlen, 96);
	assert_int_equal(v[0].n, 1);
	assert_int_equal(v[1].n, 1);
	assert_int_equal(v[1].hi[0], 65535);
	assert_int_equal(v[1].rule[0], 0);

	rules[0].family = 99;
	assert_int_equal(ward_monitor_net_entries(rules, 1, 1, k, v), -EINVAL);
	rules[0].family = AF_INET;
	rules[0].prefixlen = 33;
	assert_int_equal(ward_monitor_net_entries(rules, 1, 1, k, v), -EINVAL);
	for (int i = 0; i < 4; i++)
		free(rules[i].text);
}

struct fixture {
	struct ward_monitor m;
	struct ward_events ev;
	struct ward_profile p;
	char path[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ward_error err;
	int fd;

	strcpy(f->path, "/tmp/ward-test-mon.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	char spec[80];
	snprintf(spec, sizeof(spec), "file:%s", f->path);
	assert_int_equal(ward_sink_open(spec, "t", &f->ev.sink, &err), 0);
	f->m.p = &f->p;
	f->m.ev = &f->ev;
	f->m.majors = (struct ward_dev_majors){-1, -1, -1, 226, 261};
	assert_int_equal(ward_pathset_build(&f->p, NULL, &f->m.view), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ward_sink_close(f->ev.sink);
	ward_events_release(&f->ev);
	ward_pathset_free(&f->m.view);
	unlink(f->path);
	free(f);
	return 0;
}

static char *sink_text(struct fixture *f)
{
	static char buf[8192];
	FILE *fp;
	size_t n;

	ward_sink_flush(f->ev.sink, 100);
	fp = fopen(f->path, "re");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

static void hdr(struct ward_rec_hdr *h, unsigned type, size_t size)
{
	h->type = type;
	h->size = size;
	h->pid = 42;
	strcpy(h->comm, "python3");
}

static void test_records(void **state)
{
	struct fixture *f = *state;
	struct ward_file_rec fr = {0};
	struct ward_net_rec nr = {0};
	struct ward_dev_rec dr = {0};
	char *t;

	/* a denied open relative to a dirfd: the kernel sends the components leaf first */
	hdr(&fr.h, WARD_REC_FILE, sizeof(fr));
	fr.op = WARD_FOP_OPEN;
	fr.nr = 257;
	fr.ret = -2;
	fr.dfd = 3;
	strcpy(fr.data, "shadow");
	fr.path_len = 7;
	memcpy(fr.data + 2 * WARD_PATH_MAX, "etc\0", 4);
	fr.base_len = 4;
	fr.verdict = WARD_V_UNDECIDED;
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);

	hdr(&nr.h, WARD_REC_NET, sizeof(nr));
	nr.family = 2;
	nr.type = SOCK_STREAM;
	nr.port = 10;
	nr.rule = -1;
	nr.verdict = WARD_V_VIOLATION | WARD_V_BLOCKED;
	memcpy(nr.addr, "\x7f\0\0\1", 4);
	assert_int_equal(ward_monitor_handle_record(&f->m, &nr, sizeof(nr)), 0);

	hdr(&dr.h, WARD_REC_DEV, sizeof(dr));
	dr.major = 195;
	dr.minor = 1;
	dr.dev_type = WARD_DEV_CHAR;
	dr.access = WARD_DEV_ACC_READ | WARD_DEV_ACC_WRITE;
	dr.verdict = WARD_V_VIOLATION | WARD_V_BLOCKED;
	assert_int_equal(ward_monitor_handle_record(&f->m, &dr, sizeof(dr)), 0);

	t = sink_text(f);
	assert_non_null(strstr(t, "\"path\":\"/etc/shadow\""));
	assert_non_null(strstr(t, "\"errno\":\"ENOENT\""));
	assert_non_null(strstr(t, "\"rule\":\"filesystem: outside the view\""));
	assert_non_null(strstr(t, "\"addr\":\"127.0.0.1\",\"port\":10"));
	assert_non_null(strstr(t, "\"proto\":\"tcp\""));
	assert_non_null(strstr(t, "\"vendor\":\"nvidia\""));
	assert_non_null(strstr(t, "\"minor\":1"));
	assert_non_null(strstr(t, "\"access\":\"rw\""));
	assert_int_equal(f->m.delivered, 3);
	assert_int_equal(f->m.bad_records, 0);
}

static void test_bad_records(void **state)
{
	struct fixture *f = *state;
	struct ward_file_rec fr = {0};
	char tiny[8] = {0};

	assert_int_equal(ward_monitor_handle_record(&f->m, tiny, sizeof(tiny)), -EBADMSG);
	hdr(&fr.h, WARD_REC_FILE, sizeof(fr) + 100); /* claims more than arrived */
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), -EBADMSG);
	hdr(&fr.h, WARD_REC_FILE, sizeof(fr));
	fr.path_len = WARD_PATH_MAX + 1;
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), -EBADMSG);
	memset(fr.data, 'a', WARD_PATH_MAX);
	fr.path_len = 10; /* not NUL-terminated where it says */
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), -EBADMSG);
	hdr(&fr.h, 99, sizeof(fr));
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), -EBADMSG);
	assert_int_equal(f->m.bad_records, 5);
	assert_int_equal(f->m.delivered, 5);
	assert_null(strstr(sink_text(f), "\"kind\""));
}

static void test_allowed_filtered(void **state)
{
	struct fixture *f = *state;
	struct ward_str ro[] = {{.s = "/usr"}};
	struct ward_file_rec fr = {0};

	ward_pathset_free(&f->m.view);
	f->p.fs_readonly = (struct ward_strv){.v = ro, .n = 1};
	assert_int_equal(ward_pathset_build(&f->p, NULL, &f->m.view), 0);
	hdr(&fr.h, WARD_REC_FILE, sizeof(fr));
	fr.op = WARD_FOP_OPEN;
	strcpy(fr.data, "/usr/lib/x");
	fr.path_len = 11;
	/* allowed and events.allowed off: nothing */
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	assert_null(strstr(sink_text(f), "/usr/lib/x"));
	/* a write to it: a violation */
	fr.flags = 01;
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	assert_non_null(strstr(sink_text(f), "\"rule\":\"filesystem.readonly: /usr (read-only)\""));
}

/* The last classification is remembered (a burst names one path again and again): records that
 * alternate between paths, and a second path (rename) after the first, each get their own. */
static void test_classify_repeats(void **state)
{
	struct fixture *f = *state;
	struct ward_str ro[] = {{.s = "/etc"}};
	struct ward_str deny[] = {{.s = "/etc/shadow"}};
	struct ward_str tmp[] = {{.s = "/tmp"}};
	static const char *const want[] = {
		"\"rule\":\"filesystem.deny: /etc/shadow\",\"op\":\"open\"",
		"\"rule\":\"filesystem.readonly: /etc (read-only)\",\"op\":\"open\"",
		"\"rule\":\"filesystem.deny: /etc/shadow\",\"op\":\"open\"",
		"\"rule\":\"filesystem.deny: /etc/shadow\",\"op\":\"rename\"",
		"\"rule\":\"filesystem.readonly: /etc (read-only)\",\"op\":\"rename\"",
	};
	struct ward_file_rec fr = {0};
	char *t;

	ward_pathset_free(&f->m.view);
	f->p.fs_readonly = (struct ward_strv){.v = ro, .n = 1};
	f->p.fs_deny = (struct ward_strv){.v = deny, .n = 1};
	f->p.fs_tmpfs = (struct ward_strv){.v = tmp, .n = 1};
	assert_int_equal(ward_pathset_build(&f->p, NULL, &f->m.view), 0);
	hdr(&fr.h, WARD_REC_FILE, sizeof(fr));
	fr.op = WARD_FOP_OPEN;
	fr.ret = -2;
	strcpy(fr.data, "/etc/shadow");
	fr.path_len = 12;
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	fr.flags = 01; /* a write to /etc: read-only */
	strcpy(fr.data, "/etc/passwd");
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	fr.flags = 0;
	strcpy(fr.data, "/etc/shadow");
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	/* rename /tmp/a (no violation) -> /etc/shadow, then -> /etc/passwd: the second path's */
	fr.op = WARD_FOP_RENAME;
	fr.nr = 82;
	strcpy(fr.data, "/tmp/a");
	fr.path_len = 7;
	strcpy(fr.data + WARD_PATH_MAX, "/etc/shadow");
	fr.path2_len = 12;
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	strcpy(fr.data + WARD_PATH_MAX, "/etc/passwd");
	assert_int_equal(ward_monitor_handle_record(&f->m, &fr, sizeof(fr)), 0);
	t = sink_text(f);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char *hit = strstr(t, want[i]);

		assert_non_null(hit);
		t = hit + strlen(want[i]); /* in this order */
	}
	assert_int_equal(f->m.bad_records, 0);
}

/* Unix socket records: a path judged like a file, an abstract name by Landlock's EPERM. */
static void test_unix_records(void **state)
{
	struct fixture *f = *state;
	struct ward_str tmp[] = {{.s = "/tmp"}};
	struct ward_unix_rec ur = {0};
	char *t;

	ward_pathset_free(&f->m.view);
	f->p.fs_tmpfs = (struct ward_strv){.v = tmp, .n = 1};
	assert_int_equal(ward_pathset_build(&f->p, NULL, &f->m.view), 0);
	hdr(&ur.h, WARD_REC_UNIX, sizeof(ur));
	/* a path outside the view where the host has a socket: a violation (the mount view made
	 * it ENOENT) */
	char dir[] = "/var/tmp/ward-test-unix-XXXXXX", sock[64];
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int lfd;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/host.sock", dir);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&un, sizeof(un)), 0);
	ur.op = WARD_NOP_CONNECT;
	ur.ret = -ENOENT;
	strcpy(ur.path, sock);
	ur.len = strlen(ur.path) + 1;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), 0);
	close(lfd);
	unlink(sock);
	rmdir(dir);
	/* outside the view and not a socket on the host either (glibc's nscd probe): nothing */
	memset(ur.path, 0, sizeof(ur.path));
	strcpy(ur.path, "/var/run/nscd/socket-ward-test");
	ur.len = strlen(ur.path) + 1;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), 0);
	/* inside the view and just absent: nothing */
	memset(ur.path, 0, sizeof(ur.path));
	strcpy(ur.path, "/tmp/own.sock");
	ur.len = strlen(ur.path) + 1;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), 0);
	/* an abstract name refused by Landlock scoping; its bytes after the NUL, a NUL inside */
	memset(ur.path, 0, sizeof(ur.path));
	memcpy(ur.path, "\0sh\0im", 6);
	ur.len = 6;
	ur.ret = -EPERM;
	ur.op = WARD_NOP_SEND;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), 0);
	/* an abstract name that is just not there (ECONNREFUSED): nothing */
	ur.ret = -ECONNREFUSED;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), 0);
	/* a length beyond sun_path: refused */
	ur.len = WARD_UNIX_PATH + 1;
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur)), -EBADMSG);
	/* a short record: refused */
	ur.len = 4;
	hdr(&ur.h, WARD_REC_UNIX, sizeof(ur) - 8);
	assert_int_equal(ward_monitor_handle_record(&f->m, &ur, sizeof(ur) - 8), -EBADMSG);

	t = sink_text(f);
	assert_non_null(strstr(t, "\"family\":\"unix\",\"addr\":\"/var/tmp/ward-test-unix-"));
	assert_non_null(
		strstr(t, "\"rule\":\"filesystem: outside the view (a socket on the host)\""));
	assert_null(strstr(t, "nscd"));
	assert_null(strstr(t, "own.sock"));
	assert_non_null(strstr(t, "\"op\":\"send\",\"family\":\"unix\",\"addr\":\"@sh\\u0000im\""));
	assert_non_null(strstr(t, "landlock scope"));
	assert_non_null(strstr(t, "\"errno\":\"EPERM\""));
	assert_null(strstr(t, "ECONNREFUSED"));
	assert_int_equal(f->m.bad_records, 2);
}

/* The kernel's path policy: one LPM entry per view entry, with the class of the entry's own
 * path and of what lies below it, computed by ward_pathset_classify(). */
static void test_path_entries(void **state)
{
	char longp[300];
	struct ward_path_entry ents[] = {
		{"/", WARD_PC_SKEL, true, "skel", 0},
		{"/etc", WARD_PC_RO, false, "filesystem.readonly", 0},
		{"/etc/shadow", WARD_PC_DENY, false, "filesystem.deny", 0},
		{"/home", WARD_PC_DENY, false, "filesystem.deny", 0},
		{"/home/me/work", WARD_PC_RW, false, "filesystem.readwrite", 0},
		{"/dev", WARD_PC_SKEL, true, "skel", 0},
		{"/dev/null", WARD_PC_DEV, true, "filesystem.devices", 0},
		{longp, WARD_PC_RO, false, "filesystem.readonly", 0},
		{"etc", WARD_PC_RO, false, "filesystem.readonly", 0},
	};
	struct ward_pathset view = {ents, ARRAY_SIZE(ents)};
	struct ward_path_key k;
	struct ward_path_val v;
	uint64_t cgid = 0x1122334455667788ULL, got;

	(void)state;
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ents); i++)
		ents[i].len = strlen(ents[i].path); /* as ward_pathset_build() sets it */

	assert_int_equal(ward_monitor_path_entry(&view, 0, cgid, &k, &v), 1);
	assert_string_equal(k.path, "/"); /* the root already ends in '/' */
	assert_int_equal(k.prefixlen, 64 + 8);
	memcpy(&got, k.cgid, sizeof(got));
	assert_true(got == cgid);
	assert_int_equal(v.cls, WARD_PC_SKEL);
	assert_int_equal(v.below, WARD_PC_NONE); /* exact: /x is outside the view */
	assert_int_equal(v.len, 1);

	assert_int_equal(ward_monitor_path_entry(&view, 1, cgid, &k, &v), 1);
	assert_string_equal(k.path, "/etc/");
	assert_int_equal(k.prefixlen, 64 + 8 * 5);
	assert_int_equal(v.cls, WARD_PC_RO);
	assert_int_equal(v.below, WARD_PC_RO);
	assert_int_equal(v.len, 5);

	assert_int_equal(ward_monitor_path_entry(&view, 2, cgid, &k, &v), 1);
	assert_int_equal(v.cls, WARD_PC_DENY);
	assert_int_equal(v.below, WARD_PC_DENY);

	/* deny above wins over a longer entry */
	assert_int_equal(ward_monitor_path_entry(&view, 4, cgid, &k, &v), 1);
	assert_string_equal(k.path, "/home/me/work/");
	assert_int_equal(v.cls, WARD_PC_DENY);
	assert_int_equal(v.below, WARD_PC_DENY);

	/* an exact device node: itself only */
	assert_int_equal(ward_monitor_path_entry(&view, 6, cgid, &k, &v), 1);
	assert_string_equal(k.path, "/dev/null/");
	assert_int_equal(v.cls, WARD_PC_DEV);
	assert_int_equal(v.below, WARD_PC_NONE);

	/* too long for a key: left to user space; relative: refused */
	assert_int_equal(ward_monitor_path_entry(&view, 7, cgid, &k, &v), 0);
	assert_int_equal(ward_monitor_path_entry(&view, 8, cgid, &k, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_entries),
		cmocka_unit_test(test_path_entries),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed_filtered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_records, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
