// SPDX-License-Identifier: MIT
/* Unit tests for monitor/gpu.c: device classification and the GPU nodes of a profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static const struct ward_dev_majors majors = {
	.nvidia_uvm = 508, .nvidia_caps = 509, .kfd = 510, .drm = 226, .accel = 261};

static void test_classify(void **state)
{
	struct ward_devinfo d;

	ward_dev_classify(&majors, 'c', 195, 0, &d);
	assert_string_equal(d.cls, "gpu");
	assert_string_equal(d.vendor, "nvidia");
	assert_string_equal(d.name, "nvidia0");
	assert_int_equal(d.gpu, 0);
	ward_dev_classify(&majors, 'c', 195, 3, &d);
	assert_int_equal(d.gpu, 3);
	ward_dev_classify(&majors, 'c', 195, 255, &d);
	assert_string_equal(d.name, "nvidiactl");
	assert_int_equal(d.gpu, -1);
	ward_dev_classify(&majors, 'c', 195, 254, &d);
	assert_string_equal(d.name, "nvidia-modeset");
	ward_dev_classify(&majors, 'c', 508, 0, &d);
	assert_string_equal(d.name, "nvidia-uvm");
	ward_dev_classify(&majors, 'c', 508, 1, &d);
	assert_string_equal(d.name, "nvidia-uvm-tools");
	ward_dev_classify(&majors, 'c', 510, 0, &d);
	assert_string_equal(d.vendor, "amd");
	ward_dev_classify(&majors, 'c', 226, 128, &d);
	assert_string_equal(d.vendor, "intel/dri");
	assert_string_equal(d.name, "renderD128");
	assert_int_equal(d.gpu, 0);
	ward_dev_classify(&majors, 'c', 226, 0, &d);
	assert_string_equal(d.name, "card0");
	ward_dev_classify(&majors, 'c', 261, 2, &d);
	assert_string_equal(d.vendor, "accel");
	ward_dev_classify(&majors, 'c', 1, 1, &d);
	assert_string_equal(d.cls, "memory");
	assert_string_equal(d.name, "mem");
	ward_dev_classify(&majors, 'c', 1, 3, &d);
	assert_string_equal(d.name, "null");
	ward_dev_classify(&majors, 'c', 136, 2, &d);
	assert_string_equal(d.cls, "tty");
	ward_dev_classify(&majors, 'b', 195, 0, &d);
	assert_string_equal(d.cls, "block");
	assert_string_equal(d.vendor, "");
	ward_dev_classify(&majors, 'x', 195, 0, &d);
	assert_string_equal(d.cls, "other");
	/* without /proc/devices, dynamic majors are unknown: 508 is nothing */
	ward_dev_classify(NULL, 'c', 508, 0, &d);
	assert_string_equal(d.cls, "other");
}

static void test_majors_load(void **state)
{
	char path[] = "/tmp/ward-test-devices.XXXXXX";
	struct ward_dev_majors m;
	int fd = mkstemp(path);
	const char txt[] = "Character devices:\n  1 mem\n195 nvidia-frontend\n508 nvidia-uvm\n"
			   "509 nvidia-caps\n510 kfd\n226 drm\n\nBlock devices:\n600 kfd\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, txt, sizeof(txt) - 1), sizeof(txt) - 1);
	close(fd);
	assert_int_equal(ward_dev_majors_load(path, &m), 0);
	assert_int_equal(m.nvidia_uvm, 508);
	assert_int_equal(m.nvidia_caps, 509);
	assert_int_equal(m.kfd, 510); /* the block "kfd" line does not override */
	assert_int_equal(m.drm, 226);
	unlink(path);
	assert_true(ward_dev_majors_load("/nonexistent/devices", &m) < 0);
	assert_int_equal(m.nvidia_uvm, -1);
	assert_int_equal(ward_dev_majors_load(NULL, NULL), -EINVAL);
}

static void test_gpu_nodes(void **state)
{
	char dir[] = "/tmp/ward-test-gpu.XXXXXX";
	const char *nodes[] = {"nvidia0", "nvidia1", "nvidia10", "nvidiactl", "nvidia-uvm"};
	struct ward_profile p = {0};
	struct ward_error err;
	struct ward_gpu_node *v;
	char path[256];
	int n;

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, nodes[i]);
		/* needs CAP_MKNOD: make check runs as root */
		assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(195, i)), 0);
	}
	snprintf(path, sizeof(path), "%s/nvidia2", dir); /* a regular file is not a node */
	close(open(path, O_CREAT | O_WRONLY, 0600));

	p.gpus[0] = 1;
	p.n_gpus = 1;
	n = ward_gpu_nodes(&p, dir, &v, &err);
	assert_int_equal(n, 3);
	assert_non_null(strstr(v[0].host, "/nvidia1"));
	assert_non_null(strstr(v[1].host, "/nvidiactl"));
	assert_non_null(strstr(v[2].host, "/nvidia-uvm"));
	assert_null(v[3].host);
	/* one rule for where they appear inside: /dev/<name> */
	assert_true(strncmp(v[0].host, dir, strlen(dir)) == 0);
	assert_string_equal(v[0].inside, "/dev/nvidia1");
	assert_string_equal(v[1].inside, "/dev/nvidiactl");
	assert_string_equal(v[2].inside, "/dev/nvidia-uvm");
	ward_gpu_nodes_free(v);

	p.gpus[0] = 2; /* not a device node */
	n = ward_gpu_nodes(&p, dir, &v, &err);
	assert_int_equal(n, 2);
	ward_gpu_nodes_free(v);

	p.gpu_all = true;
	n = ward_gpu_nodes(&p, dir, &v, &err);
	assert_int_equal(n, 5); /* nvidia0, nvidia1, nvidia10, ctl, uvm */
	assert_non_null(strstr(v[0].host, "/nvidia0"));
	assert_non_null(strstr(v[2].host, "/nvidia10"));
	assert_string_equal(v[2].inside, "/dev/nvidia10");
	ward_gpu_nodes_free(v);

	p.gpu_all = false;
	p.gpus[0] = 300;
	assert_int_equal(ward_gpu_nodes(&p, dir, &v, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "300"));
	p.n_gpus = 0;
	assert_int_equal(ward_gpu_nodes(&p, dir, &v, &err), 0);
	assert_null(v[0].host);
	ward_gpu_nodes_free(v);
	assert_int_equal(ward_gpu_nodes(NULL, dir, &v, &err), -EINVAL);

	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, nodes[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/nvidia2", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_majors_load),
		cmocka_unit_test(test_gpu_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
