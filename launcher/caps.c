// SPDX-License-Identifier: MIT
/* Capabilities: everything not listed in the profile goes, from every set. */
#include "common/macro.h"
#include "launcher/sandbox.h"

#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static int kept(const struct ward_profile *p, cap_value_t c)
{
	for (size_t i = 0; i < p->capabilities.n; i++) {
		cap_value_t v;
		if (cap_from_name(p->capabilities.v[i].s, &v) == 0 && v == c)
			return 1;
	}
	return 0;
}

int ward_caps_validate(const struct ward_profile *p, struct ward_error *err)
{
	for (size_t i = 0; i < p->capabilities.n; i++) {
		cap_value_t v;
		const struct ward_str *s = &p->capabilities.v[i];
		if (cap_from_name(s->s, &v) < 0)
			return ward_error_set(err, -EINVAL, "%s:%d:%d: unknown capability '%s'",
					      s->loc.file ? s->loc.file : "<cmdline>", s->loc.line,
					      s->loc.col, s->s);
	}
	return 0;
}

int ward_caps_drop_child(struct ward_sandbox *sb, struct ward_error *err)
{
	const struct ward_profile *p = sb->profile;
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	/* The running kernel may know more capabilities than our headers: drop those too. */
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	/* Bounding set first: dropping it needs CAP_SETPCAP, which goes below. */
	for (int c = 0; c <= last; c++) {
		if (kept(p, c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return ward_error_set(err, -errno,
					      "dropping capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return ward_error_set(err, -errno, "clearing ambient capabilities");

	cap_t caps = cap_init(); /* all clear */
	if (!caps)
		return ward_error_set(err, -errno, "cap_init");
	for (size_t i = 0; i < p->capabilities.n; i++) {
		cap_value_t v;
		if (cap_from_name(p->capabilities.v[i].s, &v) < 0)
			continue;
		cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	int r = cap_set_proc(caps) < 0 ? -errno : 0;
	cap_free(caps);
	if (r < 0)
		return ward_error_set(err, r, "setting capabilities");
	/* A kept capability survives execve of an ordinary (non-root) program only as ambient. */
	for (size_t i = 0; i < p->capabilities.n; i++) {
		cap_value_t v;
		if (cap_from_name(p->capabilities.v[i].s, &v) < 0)
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0)
			return ward_error_set(err, -errno, "raising ambient %s",
					      p->capabilities.v[i].s);
	}
	return 0;
}
