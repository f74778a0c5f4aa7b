// SPDX-License-Identifier: MIT
/* User namespace: the id maps (supervisor side) and the switch to the sandbox ids (init). */
#include "common/macro.h"
#include "launcher/sandbox.h"

#include <grp.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int write_proc(pid_t pid, const char *file, const char *s)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return ward_write_file(path, s);
}

int ward_userns_setup_parent(struct ward_sandbox *sb, pid_t pid, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	char map[64];
	int r;

	if (!(p->namespaces & WARD_NS_USER))
		return 0;
	/* One id each way. Unprivileged callers may map only their own ids and must deny
	 * setgroups first (user_namespaces(7), since 3.19); as root we leave setgroups allowed
	 * so init can drop the supplementary groups it inherited, which would otherwise keep
	 * granting host group access (CVE-2014-8989 is the reason for the rule). */
	if (!sb->privileged) {
		r = write_proc(pid, "setgroups", "deny");
		if (r < 0 && r != -ENOENT)
			return ward_error_set(err, r, "writing setgroups of %d: %s", pid,
					      strerror(-r));
	}
	snprintf(map, sizeof(map), "%u %u 1\n", p->uid, sb->host_uid);
	r = write_proc(pid, "uid_map", map);
	if (r < 0)
		return ward_error_set(err, r, "writing uid_map of %d (%u -> host %u): %s", pid,
				      p->uid, sb->host_uid, strerror(-r));
	snprintf(map, sizeof(map), "%u %u 1\n", p->gid, sb->host_gid);
	r = write_proc(pid, "gid_map", map);
	if (r < 0)
		return ward_error_set(err, r, "writing gid_map of %d (%u -> host %u): %s", pid,
				      p->gid, sb->host_gid, strerror(-r));
	return 0;
}

/* Switches to the sandbox uid/gid but keeps the capabilities init still needs to build the
 * view; they are dropped for good in ward_caps_drop_child(). Running the setup as the
 * sandbox uid (not an unmapped id) also lets init create files on the tmpfs mounts it owns:
 * the kernel refuses inode creation by an fsuid unmapped in the filesystem's namespace. */
int ward_userns_setup_child(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	uid_t uid = (p->namespaces & WARD_NS_USER) ? p->uid : sb->host_uid;
	gid_t gid = (p->namespaces & WARD_NS_USER) ? p->gid : sb->host_gid;

	if (sb->privileged && setgroups(0, NULL) < 0)
		return ward_error_set(err, -errno, "setgroups([])");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ward_error_set(err, -errno, "PR_SET_KEEPCAPS");
	if (setresgid(gid, gid, gid) < 0)
		return ward_error_set(err, -errno, "setresgid(%u)", gid);
	if (setresuid(uid, uid, uid) < 0)
		return ward_error_set(err, -errno, "setresuid(%u)", uid);
	/* setresuid away from root clears the effective set (capabilities(7)); raise it again
	 * from the permitted set, which PR_SET_KEEPCAPS preserved. */
	cap_t caps = cap_get_proc();
	if (!caps)
		return ward_error_set(err, -errno, "cap_get_proc");
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
	}
	int r = cap_set_proc(caps) < 0 ? -errno : 0;
	cap_free(caps);
	if (r < 0)
		return ward_error_set(err, r, "raising effective capabilities");
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}
