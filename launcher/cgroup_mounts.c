// SPDX-License-Identifier: MIT
/*
 * Where the host mounts its cgroup hierarchies (/proc/self/mountinfo, never hard-coded paths),
 * what the v2 root offers, and ward_cgroup_probe() for `ward features` and the start event.
 * Everything here is read once a process: ward's own mounts do not change while it runs.
 */
#include "common/macro.h"
#include "common/util.h"
#include "launcher/cgroup_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ward_cg_ctrl_names[CG_N] = {"memory", "pids", "cpu"};

bool ward_cg_has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		bool start = p == list || strchr(seps, p[-1]);
		bool end = p[n] == '\0' || strchr(seps, p[n]);

		if (start && end)
			return true;
	}
	return false;
}

/* ---- mounts ------------------------------------------------------------------------------- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Read once a process: a launch asked three times (prepare, create, the start event), and
 * reading mountinfo is 0.1 ms here (more on hosts with many mounts). ward's own mounts do
 * not change while it runs. */
int ward_cg_find_mounts(struct cg_mounts *m)
{
	static struct cg_mounts cache;
	static bool cached;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (cached) {
		memcpy(m, &cache, sizeof(*m));
		return 0;
	}
	memset(m, 0, sizeof(*m));
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char mnt[PATH_MAX], root[PATH_MAX], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");

		/* id parent maj:min root mountpoint options [optional...] - fstype source super */
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		unescape(mnt);
		if (!strcmp(fstype, "cgroup2")) {
			if (!m->v2[0])
				snprintf(m->v2, sizeof(m->v2), "%s", mnt);
		} else if (!strcmp(fstype, "cgroup")) {
			for (int c = 0; c < CG_N; c++)
				if (!m->v1[c][0] &&
				    ward_cg_has_word(opts, ward_cg_ctrl_names[c], ",")) {
					unescape(root);
					snprintf(m->v1[c], sizeof(m->v1[c]), "%s", mnt);
					snprintf(m->v1_root[c], sizeof(m->v1_root[c]), "%s", root);
				}
		}
	}
	memcpy(&cache, m, sizeof(*m));
	cached = true;
	return 0;
}

/* The root's controllers do not change while ward runs: read once a process (asked for each
 * controller a sandbox limits, and by ward_cgroup_probe()). */
bool ward_cg_v2_offers(const char *v2, const char *ctrl)
{
	static char buf[512];
	static int r = -1;

	if (r < 0) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", v2);
		r = ward_read_file_at(AT_FDCWD, path, buf, sizeof(buf));
		if (r < 0)
			return false;
	}
	return r > 0 && ward_cg_has_word(buf, ctrl, " \n");
}

static int probe(struct ward_cgroup_info *ret)
{
	struct cg_mounts m;
	bool v2_mem, v2_pids;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->backend = "none";
	r = ward_cg_find_mounts(&m);
	if (r < 0)
		return r;
	/* A mount path longer than the info field would be unusable for the caller anyway. */
	if (strlen(m.v2) >= sizeof(ret->v2_mount))
		return -ENAMETOOLONG;
	memcpy(ret->v2_mount, m.v2, strlen(m.v2) + 1);
	if (m.v2[0]) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", m.v2);
		r = ward_read_file_at(AT_FDCWD, path, ret->v2_controllers,
				      sizeof(ret->v2_controllers));
		if (r < 0)
			ret->v2_controllers[0] = '\0';
		else
			ret->v2_controllers[strcspn(ret->v2_controllers, "\n")] = '\0';
	}
	ret->v1_memory = m.v1[CG_MEMORY][0];
	ret->v1_pids = m.v1[CG_PIDS][0];
	ret->v1_cpu = m.v1[CG_CPU][0];

	v2_mem = m.v2[0] && ward_cg_has_word(ret->v2_controllers, "memory", " ");
	v2_pids = m.v2[0] && ward_cg_has_word(ret->v2_controllers, "pids", " ");
	if (v2_mem && v2_pids)
		ret->backend = "v2";
	else if (m.v2[0] && (ret->v1_memory || ret->v1_pids || ret->v1_cpu))
		ret->backend = "hybrid";
	else if (m.v2[0])
		ret->backend = "v2";
	else if (ret->v1_memory || ret->v1_pids || ret->v1_cpu)
		ret->backend = "v1";
	return 0;
}

/* Once a process, like the mounts: prepare() and the start event both ask. */
int ward_cgroup_probe(struct ward_cgroup_info *ret)
{
	static struct ward_cgroup_info cache;
	static int r = 1;

	if (r > 0)
		r = probe(&cache);
	memcpy(ret, &cache, sizeof(*ret));
	return r;
}
