// SPDX-License-Identifier: MIT
/*
 * exec.allow as inodes for the exec programs (bpf/exec.bpf.c): each pattern is expanded with
 * glob(3) (a pattern under a --bind destination is looked up at the bind's source: the
 * supervisor sees the host), each match is PROGRAM, and its #! and ELF interpreters (two
 * levels, as Landlock grants them) are INTERP: they may run only as an interpreter. The
 * command ward was asked to run is PROGRAM too, found on PATH like execvpe() does. A file
 * created after start (in a tmpfs) has no entry and is killed: exec.allow names files that
 * exist when the sandbox starts.
 */
#include <linux/types.h>

#include "common/macro.h"
#include "common/path.h"
#include "monitor/internal.h"

#include <glob.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int exec_key_add(struct ward_monitor *m, const char *path, __u32 flags)
{
	struct ward_exec_key k = {0};
	struct stat st;
	void *v;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	k.ino = st.st_ino;
	k.dev = (major(st.st_dev) << 20) | minor(st.st_dev); /* the kernel's dev_t */
	for (size_t i = 0; i < m->n_execkeys; i++)
		if (m->execkeys[i].ino == k.ino && m->execkeys[i].dev == k.dev) {
			m->execflags[i] |= flags;
			return 0;
		}
	v = realloc(m->execkeys, (m->n_execkeys + 1) * sizeof(*m->execkeys));
	if (!v)
		return -ENOMEM;
	m->execkeys = v;
	v = realloc(m->execflags, (m->n_execkeys + 1) * sizeof(*m->execflags));
	if (!v)
		return -ENOMEM;
	m->execflags = v;
	m->execkeys[m->n_execkeys] = k;
	m->execflags[m->n_execkeys++] = flags;
	return 0;
}

/* A program and its interpreters: one #! level (then its ELF interpreter), as landlock.c. */
static int exec_program_add(struct ward_monitor *m, const char *path)
{
	char prog[PATH_MAX], interp[PATH_MAX];
	int r = exec_key_add(m, path, WARD_EXEC_PROGRAM);

	snprintf(prog, sizeof(prog), "%s", path);
	for (int depth = 0; r >= 0 && depth < 2; depth++) {
		if (ward_path_interpreter(prog, interp, sizeof(interp)) < 0)
			break;
		r = exec_key_add(m, interp, WARD_EXEC_INTERP);
		snprintf(prog, sizeof(prog), "%s", interp);
	}
	return r;
}

static int exec_glob_add(struct ward_monitor *m, const char *pattern)
{
	glob_t g;
	int r = 0;

	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return 0;
	for (size_t k = 0; r >= 0 && k < g.gl_pathc; k++)
		r = exec_program_add(m, g.gl_pathv[k]);
	globfree(&g);
	return r;
}

/* The command as execvpe() finds it (the sandbox has the host's paths for what it binds). */
static char *command_resolve(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return strdup(name);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		if (n &&
		    snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return strdup(buf);
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

int ward_monitor_exec_build(struct ward_monitor *m, char *const *command)
{
	const struct ward_profile *p = m->p;
	int r = 0;

	if (p->exec_allow.n == 0)
		return 0; /* exec is not restricted */
	for (size_t i = 0; r >= 0 && i < p->exec_allow.n; i++) {
		const char *pat = p->exec_allow.v[i].s;

		r = exec_glob_add(m, pat);
		for (size_t b = 0; r >= 0 && b < p->n_binds; b++) {
			const struct ward_bind *bd = &p->binds[b];
			char src[PATH_MAX];
			size_t dl;

			if (!bd->dst || !bd->src)
				continue;
			dl = strlen(bd->dst);
			if (strncmp(pat, bd->dst, dl) != 0 || (pat[dl] != '/' && pat[dl] != 0))
				continue;
			snprintf(src, sizeof(src), "%s%s", bd->src, pat + dl);
			r = exec_glob_add(m, src);
		}
	}
	if (r >= 0 && command && command[0]) {
		m->command = command_resolve(command[0]);
		if (m->command) {
			char host[PATH_MAX];

			snprintf(host, sizeof(host), "%s", m->command);
			/* a command under a bind destination is the bind source's file */
			for (size_t b = 0; b < p->n_binds; b++) {
				const struct ward_bind *bd = &p->binds[b];
				size_t dl = bd->dst ? strlen(bd->dst) : 0;

				if (dl && bd->src && strncmp(m->command, bd->dst, dl) == 0 &&
				    m->command[dl] == '/')
					snprintf(host, sizeof(host), "%s%s", bd->src,
						 m->command + dl);
			}
			r = exec_program_add(m, host);
		}
	}
	return r;
}
