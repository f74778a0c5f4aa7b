// SPDX-License-Identifier: MIT
/* `ward features`: what this kernel supports and which protections ward can apply here. */
#include "common/macro.h"
#include "launcher/sandbox.h"
#include "monitor/monitor.h"
#include "monitor/gpu.h"
#include "monitor/pathset.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void read_line(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* securityfs is often not mounted: look in a throw-away mount namespace so the host's
 * mount table is left as it was. */
static void read_securityfs(const char *file, char *buf, size_t len)
{
	char path[128];
	int pfd[2];

	snprintf(path, sizeof(path), "/sys/kernel/security/%s", file);
	read_line(path, buf, len);
	if (buf[0] || pipe2(pfd, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char b[512] = "";
		if (unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) == 0)
			read_line(path, b, sizeof(b));
		if (write(pfd[1], b, strlen(b)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = pid > 0 ? read(pfd[0], buf, len - 1) : -1;
	buf[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

struct feat {
	char kernel[256], lsm[256], lockdown[128], seccomp_actions[256];
	bool userns, userns_unpriv, seccomp_notify, clone3, pidfd, memfd_noexec;
	int landlock_abi;
	struct ward_cgroup_info cg;
	bool have_bpf;
	struct ward_monitor_features bpf;
};

static void collect(struct feat *f)
{
	struct utsname u;
	char buf[64];

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s %s", u.sysname, u.release);
	read_line("/proc/sys/user/max_user_namespaces", buf, sizeof(buf));
	f->userns = atoi(buf) > 0;
	f->userns_unpriv = f->userns;
	read_line("/proc/sys/kernel/unprivileged_userns_clone", buf, sizeof(buf));
	if (buf[0] == '0')
		f->userns_unpriv = false;
	read_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", buf, sizeof(buf));
	if (buf[0] == '1')
		f->userns_unpriv = false;
	read_line("/proc/sys/kernel/seccomp/actions_avail", f->seccomp_actions,
		  sizeof(f->seccomp_actions));
	f->seccomp_notify = strstr(f->seccomp_actions, "user_notif") != NULL;
	f->clone3 = syscall(SYS_clone3, NULL, 0) < 0 && errno != ENOSYS;
	f->pidfd = syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS;
	f->landlock_abi = ward_landlock_abi();
	f->memfd_noexec = ward_sysctl_memfd_noexec_available();
	ward_cgroup_probe(&f->cg);
	read_securityfs("lsm", f->lsm, sizeof(f->lsm));
	read_securityfs("lockdown", f->lockdown, sizeof(f->lockdown));
	if (ward_monitor_probe(&f->bpf) >= 0)
		f->have_bpf = true;
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

int ward_features_main(int argc, char **argv)
{
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	struct feat f;

	if (argc > 1 && !json) {
		fprintf(stderr, "Usage: ward features [--json]\n");
		return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 1;
	}
	collect(&f);
	const bool cg_limits = strcmp(f.cg.backend, "none") != 0;
	if (json) {
		struct ward_json j;
		ward_json_init(&j);
		ward_json_open(&j);
		ward_json_str(&j, "ward_version", WARD_VERSION);
		ward_json_str(&j, "kernel", f.kernel);
		ward_json_bool(&j, "user_namespaces", f.userns);
		ward_json_bool(&j, "unprivileged_user_namespaces", f.userns_unpriv);
		ward_json_bool(&j, "seccomp_user_notif", f.seccomp_notify);
		ward_json_str(&j, "seccomp_actions", f.seccomp_actions);
		ward_json_bool(&j, "clone3", f.clone3);
		ward_json_bool(&j, "memfd_noexec", f.memfd_noexec);
		ward_json_int(&j, "landlock_abi", f.landlock_abi);
		ward_json_str(&j, "lsm", f.lsm);
		ward_json_str(&j, "lockdown", f.lockdown);
		ward_json_object_open(&j, "cgroup");
		ward_json_str(&j, "backend", f.cg.backend);
		ward_json_str(&j, "v2_mount", f.cg.v2_mount);
		ward_json_str(&j, "v2_controllers", f.cg.v2_controllers);
		ward_json_bool(&j, "v1_memory", f.cg.v1_memory);
		ward_json_bool(&j, "v1_pids", f.cg.v1_pids);
		ward_json_bool(&j, "v1_cpu", f.cg.v1_cpu);
		ward_json_object_close(&j);
		ward_json_object_open(&j, "bpf");
		ward_json_bool(&j, "available", f.have_bpf);
		if (f.have_bpf) {
			ward_json_bool(&j, "btf", f.bpf.btf);
			ward_json_bool(&j, "ringbuf", f.bpf.ringbuf);
			ward_json_bool(&j, "raw_tp", f.bpf.raw_tp);
			ward_json_bool(&j, "tp_btf", f.bpf.tp_btf);
			ward_json_bool(&j, "tracepoint", f.bpf.tracepoint);
			ward_json_bool(&j, "fentry", f.bpf.fentry);
			ward_json_bool(&j, "lsm", f.bpf.lsm);
			ward_json_bool(&j, "cgroup_dev", f.bpf.cgroup_dev);
			ward_json_bool(&j, "cgroup_sock_addr", f.bpf.cgroup_sock_addr);
			ward_json_bool(&j, "cgroup_skb", f.bpf.cgroup_skb);
			ward_json_bool(&j, "cgroup_sysctl", f.bpf.cgroup_sysctl);
			ward_json_object_open(&j, "monitors");
			ward_json_str(&j, "file", f.bpf.file_mech);
			ward_json_str(&j, "exec", f.bpf.exec_mech);
			ward_json_str(&j, "net", f.bpf.net_mech);
			ward_json_str(&j, "device", f.bpf.dev_mech);
			ward_json_object_close(&j);
			ward_json_str(&j, "core_btf", f.bpf.core_btf);
		}
		ward_json_object_close(&j);
		ward_json_object_open(&j, "protections");
		ward_json_bool(&j, "namespaces", f.userns);
		ward_json_bool(&j, "seccomp_reports", f.seccomp_notify);
		ward_json_bool(&j, "landlock", f.landlock_abi > 0);
		ward_json_bool(&j, "landlock_net", f.landlock_abi >= 4);
		ward_json_bool(&j, "landlock_scoping", f.landlock_abi >= 6);
		ward_json_bool(&j, "cgroup_limits", cg_limits);
		ward_json_bool(&j, "memfd_noexec", f.memfd_noexec);
		ward_json_bool(&j, "bpf_monitors", f.have_bpf);
		ward_json_object_close(&j);
		ward_json_close(&j);
		if (j.oom)
			return 1;
		printf("%.*s\n", (int)j.len, j.buf);
		ward_json_free(&j);
		return 0;
	}
	printf("ward %s on %s\n\n", WARD_VERSION, f.kernel);
	printf("kernel\n");
	printf("  user namespaces           %s (unprivileged: %s)\n", yesno(f.userns),
	       yesno(f.userns_unpriv));
	printf("  seccomp user notification %s\n", yesno(f.seccomp_notify));
	printf("  clone3                    %s\n", yesno(f.clone3));
	printf("  vm.memfd_noexec           %s\n", yesno(f.memfd_noexec));
	printf("  landlock                  %s\n", f.landlock_abi > 0 ? "yes" : "no");
	if (f.landlock_abi > 0)
		printf("  landlock ABI              %d\n", f.landlock_abi);
	printf("  LSMs                      %s\n", f.lsm[0] ? f.lsm : "(unknown)");
	printf("  lockdown                  %s\n", f.lockdown[0] ? f.lockdown : "(unknown)");
	printf("  cgroup backend            %s\n", f.cg.backend);
	printf("  cgroup2 mount             %s (controllers: %s)\n",
	       f.cg.v2_mount[0] ? f.cg.v2_mount : "none",
	       f.cg.v2_controllers[0] ? f.cg.v2_controllers : "none");
	printf("  cgroup v1 memory/pids/cpu %s/%s/%s\n", yesno(f.cg.v1_memory), yesno(f.cg.v1_pids),
	       yesno(f.cg.v1_cpu));
	if (f.have_bpf) {
		printf("bpf\n");
		printf("  btf %s, ringbuf %s, raw_tp %s, tp_btf %s, tracepoint %s, fentry %s, lsm "
		       "%s\n",
		       yesno(f.bpf.btf), yesno(f.bpf.ringbuf), yesno(f.bpf.raw_tp),
		       yesno(f.bpf.tp_btf), yesno(f.bpf.tracepoint), yesno(f.bpf.fentry),
		       yesno(f.bpf.lsm));
		printf("  cgroup/dev %s, cgroup sock_addr %s, cgroup_skb %s, cgroup/sysctl %s\n",
		       yesno(f.bpf.cgroup_dev), yesno(f.bpf.cgroup_sock_addr),
		       yesno(f.bpf.cgroup_skb), yesno(f.bpf.cgroup_sysctl));
		printf("  monitors: file %s, exec %s, net %s, device %s\n", f.bpf.file_mech,
		       f.bpf.exec_mech, f.bpf.net_mech, f.bpf.dev_mech);
		printf("  CO-RE relocation BTF: %s\n",
		       strcmp(f.bpf.core_btf, "minimal") == 0
			       ? "minimal (cut at build time from this kernel)"
			       : "vmlinux (this kernel is not the build host's: slower fresh "
				 "loads)");
	}
	printf("protections ward can apply here\n");
	printf("  namespaces                %s\n", yesno(f.userns));
	printf("  seccomp with reports      %s\n", yesno(f.seccomp_notify));
	printf("  landlock filesystem       %s\n", yesno(f.landlock_abi > 0));
	printf("  landlock TCP ports        %s\n", yesno(f.landlock_abi >= 4));
	printf("  landlock scoping          %s\n", yesno(f.landlock_abi >= 6));
	printf("  cgroup limits             %s\n", yesno(cg_limits));
	printf("  no executable memfd       %s\n", yesno(f.memfd_noexec));
	printf("  bpf monitors              %s\n", yesno(f.have_bpf));
	return 0;
}
