// SPDX-License-Identifier: MIT
/*
 * ward as a container's entrypoint: the runtime's defaults withhold what ward needs, and each
 * shows up as an EPERM, EROFS or ENOSYS somewhere far from its cause. These hints turn the
 * failure into the missing piece and the option that gives it (docs/container.md, proven by
 * tests/integration/container_podman.sh with podman and crun):
 *  - the cgroup tree is mounted read-only (every runtime's default);
 *  - bpf(2) needs CAP_BPF, CAP_PERFMON (tracing programs) and CAP_NET_ADMIN (cgroup socket
 *    programs) or CAP_SYS_ADMIN (capabilities(7)); the default seccomp profiles of podman and
 *    docker allow bpf(2) only with CAP_SYS_ADMIN, so the first three need seccomp=unconfined;
 *  - docker's default seccomp profile answers clone3 with ENOSYS unless CAP_SYS_ADMIN;
 *  - masked /proc entries (a tmpfs on /proc/acpi, /dev/null on /proc/kcore...) make the kernel
 *    refuse a new proc instance in a user namespace (fs/namespace.c, mount_too_revealing).
 * Nothing here changes what ward does; it only words the refusal.
 */
#include "launcher/container.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Is this process confined by a container runtime? A guess, only used to word hints. */
static bool in_container(void)
{
	return access("/run/.containerenv", F_OK) == 0 || access("/.dockerenv", F_OK) == 0 ||
	       access("/var/run/secrets/kubernetes.io", F_OK) == 0;
}

static uint64_t effective_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (uint64_t)d[1].effective << 32 | d[0].effective;
}

static bool seccomp_filtered(void)
{
	char line[128];
	bool on = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			on = strtol(line + 8, NULL, 10) != 0;
	fclose(f);
	return on;
}

static const char *monitors_hint(void)
{
	static char buf[512];
	uint64_t caps = effective_caps();
	const uint64_t need[] = {1ull << CAP_BPF, 1ull << CAP_PERFMON, 1ull << CAP_NET_ADMIN};
	const char *names[] = {"BPF", "PERFMON", "NET_ADMIN"};
	char missing[64] = "";

	if (!(caps & (1ull << CAP_SYS_ADMIN)))
		for (size_t i = 0; i < 3; i++)
			if (!(caps & need[i]))
				snprintf(missing + strlen(missing),
					 sizeof(missing) - strlen(missing), "%sCAP_%s",
					 missing[0] ? ", " : "", names[i]);
	if (missing[0]) {
		snprintf(buf, sizeof(buf),
			 "; the monitors need CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or "
			 "CAP_SYS_ADMIN) and this process lacks %s: %s--cap-add "
			 "BPF,PERFMON,NET_ADMIN with --security-opt seccomp=unconfined, or "
			 "--cap-add SYS_ADMIN with the runtime's default seccomp profile "
			 "(docs/container.md)",
			 missing, in_container() ? "run the container with " : "give ward ");
		return buf;
	}
	if (seccomp_filtered())
		return "; the capabilities are there, so a seccomp filter blocks bpf(2): the "
		       "container runtime's default profile allows it only with CAP_SYS_ADMIN; run "
		       "with --security-opt seccomp=unconfined, or --cap-add SYS_ADMIN "
		       "(docs/container.md)";
	return "";
}

const char *ward_container_hint(enum ward_container_step step, int r)
{
	switch (step) {
	case WARD_CONTAINER_CGROUP:
		if (r == -EROFS)
			return "; the cgroup filesystem is mounted read-only (a container "
			       "runtime's "
			       "default): give ward a writable cgroup tree, e.g. podman/docker run "
			       "-v /sys/fs/cgroup:/sys/fs/cgroup:rw (docs/container.md), or run "
			       "without limits and monitors with --allow-degraded";
		return "";
	case WARD_CONTAINER_CLONE:
		if (r == -ENOSYS)
			return "; clone3 is refused with ENOSYS, which is what a container "
			       "runtime's "
			       "seccomp profile does (docker's default unless CAP_SYS_ADMIN): run "
			       "with --security-opt seccomp=unconfined or --cap-add SYS_ADMIN "
			       "(docs/container.md)";
		if (r == -EPERM || r == -ENOSPC)
			return "; cannot create user namespaces: the container runtime's seccomp "
			       "profile, user.max_user_namespaces or "
			       "kernel.unprivileged_userns_clone refuses them: run with "
			       "--security-opt seccomp=unconfined, or raise the sysctl on the host "
			       "(docs/container.md)";
		return "";
	case WARD_CONTAINER_MONITORS:
		if (r == -EPERM || r == -EACCES || r == -EINVAL)
			return monitors_hint();
		return "";
	}
	return "";
}

const char *ward_container_proc_hint(int r)
{
	if (r != -EPERM)
		return "";
	return "; the kernel refuses a new /proc for the sandbox's pid namespace while parts of "
	       "this /proc are masked (mount_too_revealing), which container runtimes do: run "
	       "with --security-opt unmask=/proc/* (podman), --security-opt "
	       "systempaths=unconfined (docker), securityContext.procMount: Unmasked "
	       "(Kubernetes) (docs/container.md)";
}

const char *ward_container_sysctl_hint(int r)
{
	if (r != -EROFS || !in_container())
		return "";
	return "; /proc/sys is read-only here, as container runtimes mount it: run with "
	       "--security-opt unmask=/proc/* (podman), --security-opt systempaths=unconfined "
	       "(docker), securityContext.procMount: Unmasked (Kubernetes) (docs/container.md)";
}
