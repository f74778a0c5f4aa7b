// SPDX-License-Identifier: MIT
/*
 * cgroup.c against the real cgroup file systems (needs root; exit 77 otherwise). Every test
 * uses ids "wardtest-<pid>-<n>"; the group teardown kills and removes whatever is left, so a
 * failing assertion leaves nothing behind.
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/json.h"
#include "common/path.h"
#include "common/syscall.h"
#include "profile/profile.h"
#include "events/event.h"
#include "events/sink.h"
#include "launcher/cgroup.h"
#include "launcher/seccomp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char mounts[8][512]; /* every cgroup/cgroup2 mount point */
static size_t n_mounts;
static char v1_mem[512], v1_pids[512], v1_cpu[512], v2[512];

static void find_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char mnt[512], fs[64], opts[1024];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fs, opts) != 2)
			continue;
		if (strcmp(fs, "cgroup") && strcmp(fs, "cgroup2"))
			continue;
		if (n_mounts < 8)
			snprintf(mounts[n_mounts++], sizeof(mounts[0]), "%s", mnt);
		if (!strcmp(fs, "cgroup2") && !v2[0])
			snprintf(v2, sizeof(v2), "%s", mnt);
		if (!strcmp(fs, "cgroup")) {
			char *o, *save = NULL;

			for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
				if (!strcmp(o, "memory"))
					snprintf(v1_mem, sizeof(v1_mem), "%s", mnt);
				if (!strcmp(o, "pids"))
					snprintf(v1_pids, sizeof(v1_pids), "%s", mnt);
				if (!strcmp(o, "cpu"))
					snprintf(v1_cpu, sizeof(v1_cpu), "%s", mnt);
			}
		}
	}
	fclose(f);
}

static int n_ids;
static void next_id(char *buf, size_t len)
{
	snprintf(buf, len, "wardtest-%d-%d", (int)getpid(), n_ids++);
}

static bool dir_exists(const char *mnt, const char *id)
{
	char p[8192];
	struct stat st;

	snprintf(p, sizeof(p), "%s/ward/%s", mnt, id);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void read_file(const char *mnt, const char *id, const char *file, char *buf, size_t len)
{
	char p[8192];
	FILE *f;

	snprintf(p, sizeof(p), "%s/ward/%s/%s", mnt, id, file);
	f = fopen(p, "re");
	assert_non_null(f);
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool v2_has(const char *ctrl)
{
	struct ward_cgroup_info info;

	assert_int_equal(ward_cgroup_probe(&info), 0);
	return strstr(info.v2_controllers, ctrl) != NULL;
}

static int teardown(void **state)
{
	/* Whatever a failed test left: kill its processes, remove its dirs. */
	for (size_t m = 0; m < n_mounts; m++)
		for (int i = 0; i < n_ids; i++) {
			char p[8192], id[64];
			FILE *f;
			int pid;

			snprintf(id, sizeof(id), "wardtest-%d-%d", (int)getpid(), i);
			snprintf(p, sizeof(p), "%s/ward/%s/cgroup.procs", mounts[m], id);
			f = fopen(p, "re");
			if (!f)
				continue;
			while (fscanf(f, "%d", &pid) == 1)
				kill(pid, SIGKILL);
			fclose(f);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			usleep(100000);
			snprintf(p, sizeof(p), "%s/ward/%s", mounts[m], id);
			rmdir(p);
		}
	return 0;
}

static int setup(void **state)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_cgroup: needs root\n");
		exit(77);
	}
	find_mounts();
	if (!n_mounts) {
		fprintf(stderr, "test_cgroup: no cgroup file system\n");
		exit(77);
	}
	return 0;
}

static void test_probe(void **state)
{
	struct ward_cgroup_info info;

	assert_int_equal(ward_cgroup_probe(&info), 0);
	assert_string_equal(info.v2_mount, v2);
	assert_int_equal(info.v1_memory, v1_mem[0] != 0);
	assert_int_equal(info.v1_pids, v1_pids[0] != 0);
	assert_int_equal(info.v1_cpu, v1_cpu[0] != 0);
	if (v2[0] && strstr(info.v2_controllers, "memory") && strstr(info.v2_controllers, "pids"))
		assert_string_equal(info.backend, "v2");
	else if (v2[0] && (v1_mem[0] || v1_pids[0] || v1_cpu[0]))
		assert_string_equal(info.backend, "hybrid");
	else if (!v2[0])
		assert_true(!strcmp(info.backend, "v1") || !strcmp(info.backend, "none"));
	print_message("# backend %s, v2 at '%s' offering '%s'\n", info.backend, info.v2_mount,
		      info.v2_controllers);
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static bool pid_in(const char *mnt, const char *id, pid_t pid)
{
	char p[8192];
	FILE *f;
	int x;
	bool found = false;

	snprintf(p, sizeof(p), "%s/ward/%s/cgroup.procs", mnt, id);
	f = fopen(p, "re");
	assert_non_null(f);
	while (fscanf(f, "%d", &x) == 1)
		found = found || x == pid;
	fclose(f);
	return found;
}

static void test_limits(void **state)
{
	struct ward_cgroup_limits lim = {.mem_max = 64 << 20, .pids_max = 10, .cpu_max = 0.5};
	struct ward_cgroup *cg = NULL;
	struct ward_error err = {{0}};
	char id[64], missing[64] = "junk", buf[256];
	uint64_t oom = 99;
	struct stat st;
	pid_t pid;
	int status;

	next_id(id, sizeof(id));
	assert_int_equal(ward_cgroup_create(id, &lim, &cg, missing, sizeof(missing), &err), 0);
	assert_non_null(cg);
	/* Missing only what neither hierarchy offers. */
	assert_int_equal(strstr(missing, "memory") != NULL, !v2_has("memory") && !v1_mem[0]);
	assert_int_equal(strstr(missing, "pids") != NULL, !v2_has("pids") && !v1_pids[0]);
	assert_int_equal(strstr(missing, "cpu") != NULL, !v2_has("cpu") && !v1_cpu[0]);

	if (v2[0]) {
		assert_true(dir_exists(v2, id));
		assert_true(ward_cgroup_v2_fd(cg) >= 0);
		assert_int_equal(fstat(ward_cgroup_v2_fd(cg), &st), 0);
		/* The handle id (what BPF's bpf_get_current_cgroup_id returns) is the inode. */
		assert_int_equal(ward_cgroup_id(cg), st.st_ino);
		assert_true(ward_cgroup_id(cg) > 1);
		{
			/* On this kernel the kernfs file handle is the 8-byte cgroup id == st_ino.
			 */
			union {
				struct file_handle fh;
				char b[sizeof(struct file_handle) + 64];
			} h = {.fh.handle_bytes = 64};
			uint64_t hid;
			int mnt_id;

			assert_int_equal(name_to_handle_at(ward_cgroup_v2_fd(cg), "", &h.fh,
							   &mnt_id, AT_EMPTY_PATH),
					 0);
			assert_int_equal(h.fh.handle_bytes, 8);
			memcpy(&hid, h.fh.f_handle, 8);
			assert_int_equal(hid, st.st_ino);
		}
	}
	if (v2_has("memory")) {
		read_file(v2, id, "memory.max", buf, sizeof(buf));
		assert_string_equal(buf, "67108864");
	} else if (v1_mem[0]) {
		read_file(v1_mem, id, "memory.limit_in_bytes", buf, sizeof(buf));
		assert_string_equal(buf, "67108864");
		read_file(v1_mem, id, "memory.memsw.limit_in_bytes", buf, sizeof(buf));
		assert_string_equal(buf, "67108864");
	}
	if (v2_has("pids")) {
		read_file(v2, id, "pids.max", buf, sizeof(buf));
		assert_string_equal(buf, "10");
	} else if (v1_pids[0]) {
		read_file(v1_pids, id, "pids.max", buf, sizeof(buf));
		assert_string_equal(buf, "10");
	}
	if (v2_has("cpu")) {
		read_file(v2, id, "cpu.max", buf, sizeof(buf));
		assert_string_equal(buf, "50000 100000");
	} else if (v1_cpu[0]) {
		read_file(v1_cpu, id, "cpu.cfs_quota_us", buf, sizeof(buf));
		assert_string_equal(buf, "50000");
		read_file(v1_cpu, id, "cpu.cfs_period_us", buf, sizeof(buf));
		assert_string_equal(buf, "100000");
	}

	pid = spawn_sleeper();
	assert_int_equal(ward_cgroup_attach(cg, pid), 0);
	if (v2[0])
		assert_true(pid_in(v2, id, pid));
	if (v1_mem[0] && !v2_has("memory"))
		assert_true(pid_in(v1_mem, id, pid));
	if (v1_pids[0] && !v2_has("pids"))
		assert_true(pid_in(v1_pids, id, pid));
	assert_int_equal(ward_cgroup_oom_kills(cg, &oom), 0);
	assert_int_equal(oom, 0);

	/* Destroy with the child alive and unreaped: it must be killed and the dirs removed. */
	ward_cgroup_destroy(cg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	for (size_t m = 0; m < n_mounts; m++)
		assert_false(dir_exists(mounts[m], id));
}

static void test_oom(void **state)
{
	struct ward_cgroup_limits lim = {.mem_max = 32 << 20};
	struct ward_cgroup *cg = NULL;
	char id[64], missing[64];
	uint64_t oom = 0;
	int go[2], status;
	pid_t pid;

	if (!v2_has("memory") && !v1_mem[0]) {
		/* the CI machines have a memory controller: there a skip would hide a bug */
		if (getenv("CI") && strcmp(getenv("CI"), "true") == 0)
			fail_msg("no memory controller (v2 or v1) found");
		skip();
	}
	next_id(id, sizeof(id));
	assert_int_equal(ward_cgroup_create(id, &lim, &cg, missing, sizeof(missing), NULL), 0);
	assert_string_equal(missing, "");
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		size_t n = 200u << 20;
		char *p;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (size_t i = 0; i < n; i += 4096)
			p[i] = 1;
		_exit(0); /* survived: the limit did not work */
	}
	close(go[0]);
	assert_int_equal(ward_cgroup_attach(cg, pid), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(ward_cgroup_oom_kills(cg, &oom), 0);
	assert_true(oom >= 1);
	print_message("# oom_kill %llu\n", (unsigned long long)oom);
	ward_cgroup_destroy(cg);
	for (size_t m = 0; m < n_mounts; m++)
		assert_false(dir_exists(mounts[m], id));
}

static void test_fork_tree_destroy(void **state)
{
	struct ward_cgroup_limits lim = {.pids_max = 50};
	struct ward_cgroup *cg = NULL;
	char id[64];
	int go[2], status;
	pid_t pid;

	next_id(id, sizeof(id));
	assert_int_equal(ward_cgroup_create(id, &lim, &cg, NULL, 0, NULL), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		/* A small tree whose grandchildren are reparented to init when we die. */
		for (int i = 0; i < 5; i++)
			if (fork() == 0)
				for (;;)
					pause();
		for (;;)
			pause();
	}
	close(go[0]);
	assert_int_equal(ward_cgroup_attach(cg, pid), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	usleep(100000);
	ward_cgroup_destroy(cg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	for (size_t m = 0; m < n_mounts; m++)
		assert_false(dir_exists(mounts[m], id));
}

static void test_no_limits(void **state)
{
	struct ward_cgroup_limits lim = {0};
	struct ward_cgroup *cg = NULL;
	char id[64], missing[16] = "x";

	next_id(id, sizeof(id));
	assert_int_equal(ward_cgroup_create(id, &lim, &cg, missing, sizeof(missing), NULL), 0);
	assert_string_equal(missing, "");
	/* v1 untouched when nothing is asked for. */
	if (v1_mem[0])
		assert_false(dir_exists(v1_mem, id));
	if (v1_pids[0])
		assert_false(dir_exists(v1_pids, id));
	if (v2[0])
		assert_true(dir_exists(v2, id));
	else
		assert_int_equal(ward_cgroup_v2_fd(cg), -1);
	ward_cgroup_destroy(cg);
	if (v2[0])
		assert_false(dir_exists(v2, id));
}

static void test_bad_inputs(void **state)
{
	struct ward_cgroup_limits lim = {.pids_max = 5};
	struct ward_cgroup *cg = NULL, *cg2 = NULL;
	struct ward_error err = {{0}};
	char id[64];
	uint64_t n;

	assert_int_equal(ward_cgroup_create("", &lim, &cg, NULL, 0, &err), -EINVAL);
	assert_int_equal(ward_cgroup_create("a/b", &lim, &cg, NULL, 0, &err), -EINVAL);
	assert_int_equal(ward_cgroup_create("..", &lim, &cg, NULL, 0, &err), -EINVAL);
	assert_int_equal(ward_cgroup_create(NULL, &lim, &cg, NULL, 0, &err), -EINVAL);
	assert_null(cg);

	/* The same id twice while the first holds a process: the second must fail, naming
	 * the directory, and not disturb the first. */
	next_id(id, sizeof(id));
	assert_int_equal(ward_cgroup_create(id, &lim, &cg, NULL, 0, &err), 0);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(ward_cgroup_attach(cg, child), 0);
	assert_int_equal(ward_cgroup_create(id, &lim, &cg2, NULL, 0, &err), -EEXIST);
	assert_null(cg2);
	assert_non_null(strstr(err.msg, id));
	if (v2[0])
		assert_true(dir_exists(v2, id));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ward_cgroup_destroy(cg);

	/* A leftover without processes (its ward was SIGKILLed) is reclaimed. */
	if (v2[0]) {
		char path[1024];
		next_id(id, sizeof(id));
		snprintf(path, sizeof(path), "%.512s/ward/%.64s", v2, id);
		assert_int_equal(mkdir(path, 0755), 0);
		assert_int_equal(ward_cgroup_create(id, &lim, &cg, NULL, 0, &err), 0);
		ward_cgroup_destroy(cg);
		assert_false(dir_exists(v2, id));
	}

	assert_int_equal(ward_cgroup_attach(NULL, 1), -EINVAL);
	assert_int_equal(ward_cgroup_oom_kills(NULL, &n), -EINVAL);
	assert_int_equal(ward_cgroup_kill(NULL), -EINVAL);
	assert_int_equal(ward_cgroup_v2_fd(NULL), -1);
	assert_int_equal(ward_cgroup_id(NULL), 0);
	ward_cgroup_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),	  cmocka_unit_test(test_limits),
		cmocka_unit_test(test_oom),	  cmocka_unit_test(test_fork_tree_destroy),
		cmocka_unit_test(test_no_limits), cmocka_unit_test(test_bad_inputs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
