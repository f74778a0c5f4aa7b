// SPDX-License-Identifier: MIT
/*
 * The probe table: what each probe tries, and what it must do under a given profile. Pure:
 * everything about the host comes in struct ward_st_host, so the unit tests can make it up.
 *
 * Expectations are a baseline, not a restatement of the profile: escapes, denied files, writes
 * to the model directory, execs outside exec.allow and network outside network.allow must be
 * blocked and reported whatever the profile says, so a profile that allows ptrace, has no
 * exec.allow, allows every address or binds the models read-write fails the probes that
 * show it. What the profile names explicitly and narrowly (a listed GPU, an allowed port, a
 * program in exec.allow) must work and be no violation. Limits are probed when set.
 */
#include "common/macro.h"
#include "common/path.h"
#include "selftest/selftest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *const ward_st_class_names[WARD_ST_CLASS_N] = {"files",   "exec",	"network",
							  "devices", "escapes", "limits"};

int ward_st_parse_classes(const char *list, unsigned *ret_mask)
{
	unsigned mask = 0;
	const char *s = list;

	while (*s) {
		size_t n = strcspn(s, ",");
		int found = -1;

		for (int c = 0; c < WARD_ST_CLASS_N; c++)
			if (strlen(ward_st_class_names[c]) == n &&
			    strncmp(s, ward_st_class_names[c], n) == 0)
				found = c;
		if (found < 0)
			return -EINVAL;
		mask |= 1u << found;
		s += n;
		if (*s == ',')
			s++;
	}
	if (!mask)
		return -EINVAL;
	*ret_mask = mask;
	return 0;
}

/* ---- what the profile shows ---------------------------------------------------------------- */

static int host_kind(const struct ward_st_host *h, const char *path)
{
	return h->exists ? h->exists(path, h->exists_data) : 0;
}

static bool strv_covers(const struct ward_strv *v, const char *path)
{
	for (size_t i = 0; i < v->n; i++)
		if (ward_path_under(path, v->v[i].s))
			return true;
	return false;
}

static bool denied(const struct ward_profile *p, const char *path)
{
	return strv_covers(&p->fs_deny, path);
}

/* The path is in the view: under a filesystem entry or a bind destination, not denied. */
static bool in_view(const struct ward_profile *p, const char *path)
{
	if (denied(p, path))
		return false;
	if (strv_covers(&p->fs_readonly, path) || strv_covers(&p->fs_readwrite, path) ||
	    strv_covers(&p->fs_tmpfs, path) || strv_covers(&p->fs_devices, path))
		return true;
	for (size_t i = 0; i < p->n_binds; i++)
		if (p->binds[i].dst && ward_path_under(path, p->binds[i].dst))
			return true;
	return false;
}

/* A directory the sandbox may write: a tmpfs entry, else a readwrite one. */
static const char *writable_dir(const struct ward_profile *p)
{
	if (p->fs_tmpfs.n)
		return p->fs_tmpfs.v[0].s;
	if (p->fs_readwrite.n)
		return p->fs_readwrite.v[0].s;
	return NULL;
}

/* exec.allow entries besides the one the selftest adds for its probe. */
static size_t exec_allow_count(const struct ward_profile *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->exec_allow.n; i++)
		n += strcmp(p->exec_allow.v[i].s, WARD_SELFTEST_PROBE) != 0;
	return n;
}

static bool exec_allowed(const struct ward_profile *p, const char *path)
{
	if (!exec_allow_count(p))
		return false; /* no exec.allow: nothing is allowed narrowly */
	for (size_t i = 0; i < p->exec_allow.n; i++)
		if (fnmatch(p->exec_allow.v[i].s, path, FNM_PATHNAME) == 0)
			return true;
	return false;
}

/* A program in the view that exec.allow does not allow. */
static const char *foreign_program(const struct ward_profile *p, const struct ward_st_host *h)
{
	static const char *const cands[] = {"/usr/bin/id", "/bin/sh", "/usr/bin/env", "/usr/bin/ls",
					    "/bin/ls"};

	for (size_t i = 0; i < ARRAY_SIZE(cands); i++)
		if (host_kind(h, cands[i]) == 'f' && in_view(p, cands[i]) &&
		    !exec_allowed(p, cands[i]))
			return cands[i];
	return NULL;
}

/* The first denied entry the host has as a regular file. */
static const char *denied_file(const struct ward_profile *p, const struct ward_st_host *h)
{
	for (size_t i = 0; i < p->fs_deny.n; i++)
		if (host_kind(h, p->fs_deny.v[i].s) == 'f')
			return p->fs_deny.v[i].s;
	return NULL;
}

/* The first read-only entry the host has as a regular file (in the view). */
static const char *readonly_file(const struct ward_profile *p, const struct ward_st_host *h)
{
	for (size_t i = 0; i < p->fs_readonly.n; i++)
		if (host_kind(h, p->fs_readonly.v[i].s) == 'f' && in_view(p, p->fs_readonly.v[i].s))
			return p->fs_readonly.v[i].s;
	return NULL;
}

/* The model directory: a bind destination, readwrite or readonly entry named for models. */
static const char *model_dir(const struct ward_profile *p, bool *ret_rw)
{
	for (size_t i = 0; i < p->n_binds; i++)
		if (p->binds[i].dst && strstr(p->binds[i].dst, "model")) {
			*ret_rw = p->binds[i].rw;
			return p->binds[i].dst;
		}
	for (size_t i = 0; i < p->fs_readwrite.n; i++)
		if (strstr(p->fs_readwrite.v[i].s, "model")) {
			*ret_rw = true;
			return p->fs_readwrite.v[i].s;
		}
	for (size_t i = 0; i < p->fs_readonly.n; i++)
		if (strstr(p->fs_readonly.v[i].s, "model")) {
			*ret_rw = false;
			return p->fs_readonly.v[i].s;
		}
	return NULL;
}

/* Does network.allow let op reach addr:port? *ret_all: only through a rule that allows every
 * address (prefix 0), which the selftest counts as a hole, not as an allowance. */
static bool net_allows(const struct ward_profile *p, enum ward_net_op op, const char *addr,
		       int port, bool *ret_all)
{
	uint8_t a[16] = {0};
	int fam = inet_pton(AF_INET, addr, a) == 1 ? AF_INET : AF_INET6;
	bool narrow = false, all = false;

	if (fam == AF_INET6 && inet_pton(AF_INET6, addr, a) != 1)
		return false;
	/* A v4-mapped address is the IPv4 address to the kernel's filters. */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (fam == AF_INET6 && memcmp(a, mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		fam = AF_INET;
	}
	for (size_t i = 0; i < p->n_net_allow; i++) {
		const struct ward_net_rule *r = &p->net_allow[i];
		unsigned bits = r->prefixlen, full = bits / 8, rest = bits % 8;

		if (r->op != op || port < r->port_lo || port > r->port_hi)
			continue;
		if (r->prefixlen == 0) {
			all = true;
			continue;
		}
		if (r->family != fam || memcmp(r->addr, a, full) != 0)
			continue;
		if (rest && (r->addr[full] ^ a[full]) & (0xff << (8 - rest)))
			continue;
		narrow = true;
	}
	*ret_all = all && !narrow;
	return narrow || all;
}

int ward_st_allowed_port(const struct ward_profile *p, enum ward_net_op op)
{
	if (p->net_mode != WARD_NET_HOST)
		return 0;
	for (size_t i = 0; i < p->n_net_allow; i++) {
		const struct ward_net_rule *r = &p->net_allow[i];
		bool all;

		if (r->op != op || r->prefixlen == 0 || r->port_lo == 0 || r->port_lo != r->port_hi)
			continue;
		if (net_allows(p, op, "127.0.0.1", r->port_lo, &all) && !all)
			return r->port_lo;
	}
	return 0;
}

/* ---- building ------------------------------------------------------------------------------ */

struct builder {
	struct ward_st_plan *plan;
	const struct ward_profile *p;
	const struct ward_st_host *h;
	unsigned mask;
	int err;
};

__attribute__((format(printf, 2, 3))) static void set_note(struct ward_st_probe *t, const char *fmt,
							   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->note, sizeof(t->note), fmt, ap);
	va_end(ap);
}

/* Adds a probe; argv is NULL-terminated and copied. what is a printf format. */
__attribute__((format(printf, 4, 5))) static struct ward_st_probe *
add(struct builder *b, enum ward_st_class cls, const char *name, const char *what, ...)
{
	static struct ward_st_probe dummy;
	struct ward_st_probe *t;
	va_list ap;

	if (b->err || !(b->mask & (1u << cls)))
		return memset(&dummy, 0, sizeof(dummy));
	t = reallocarray(b->plan->probes, b->plan->n + 1, sizeof(*t));
	if (!t) {
		b->err = -ENOMEM;
		return memset(&dummy, 0, sizeof(dummy));
	}
	b->plan->probes = t;
	t = &b->plan->probes[b->plan->n];
	memset(t, 0, sizeof(*t));
	t->id = (int)b->plan->n++;
	t->name = name;
	t->cls = cls;
	t->report_required = true;
	va_start(ap, what);
	vsnprintf(t->what, sizeof(t->what), what, ap);
	va_end(ap);
	snprintf(t->marker, sizeof(t->marker), "wst-mark-%d", t->id);
	return t;
}

static void set_argv(struct builder *b, struct ward_st_probe *t, const char *const *argv)
{
	for (size_t i = 0; argv[i] && i < WARD_ST_ARGS; i++) {
		t->argv[i] = strdup(argv[i]);
		if (!t->argv[i])
			b->err = -ENOMEM;
	}
}
#define ARGV(b, t, ...) set_argv(b, t, (const char *const[]){__VA_ARGS__, NULL})

static void skip(struct ward_st_probe *t, const char *why)
{
	t->expect = WARD_ST_SKIP;
	snprintf(t->note, sizeof(t->note), "%s", why);
}

static void block(struct ward_st_probe *t, const char *kind, const char *rule,
		  enum ward_st_effect effect)
{
	t->expect = WARD_ST_BLOCK;
	t->report_kind = kind;
	snprintf(t->report_rule, sizeof(t->report_rule), "%s", rule ? rule : "");
	t->effect = effect;
}

static void files_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	const char *deny = denied_file(p, b->h), *ro = readonly_file(p, b->h);
	const char *w = writable_dir(p);
	struct ward_st_probe *t;
	char buf[4096];

	static const struct {
		const char *name, *op, *how;
	} reads[] = {{"files.deny-read", "read", "open()+read()"},
		     {"files.deny-legacy-open", "legacy-open", "legacy open(2)"},
		     {"files.deny-openat2", "openat2", "openat2(2)"}};
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
		t = add(b, WARD_ST_FILES, reads[i].name, "read %s (filesystem.deny) with %s",
			deny ? deny : "a denied file", reads[i].how);
		if (!deny) {
			skip(t, "no filesystem.deny entry is a file on this host");
			continue;
		}
		ARGV(b, t, reads[i].op, deny);
		block(t, "file", "filesystem.deny", WARD_ST_EFFECT_RESULT);
	}

	t = add(b, WARD_ST_FILES, "files.deny-symlink", "read %s through a symlink made in %s",
		deny ? deny : "a denied file", w ? w : "a writable directory");
	if (!deny || !w) {
		skip(t, !deny ? "no filesystem.deny entry is a file on this host"
			      : "the profile has no writable directory to make a link in");
	} else {
		snprintf(buf, sizeof(buf), "%s/wst-link", w);
		ARGV(b, t, "symlink", deny, buf);
		block(t, "file", "filesystem.deny", WARD_ST_EFFECT_RESULT);
	}

	/* Outside the view: a file the host has that no entry brings in. The candidates are
	 * outside the directories the deny-in-bind probe binds (the parent of a denied file). */
	static const char *const outside[] = {"/var/lib/dpkg/status", "/etc/hostname",
					      "/etc/os-release", "/etc/hosts", "/etc/fstab"};
	char dparent[4096] = "";
	if (deny) {
		snprintf(dparent, sizeof(dparent), "%s", deny);
		char *s = strrchr(dparent, '/');
		if (s && s != dparent)
			*s = 0;
		else
			dparent[0] = 0;
	}
	const char *out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(outside) && !out; i++)
		if (host_kind(b->h, outside[i]) == 'f' && !in_view(p, outside[i]) &&
		    !denied(p, outside[i]) && !(dparent[0] && ward_path_under(outside[i], dparent)))
			out = outside[i];
	t = add(b, WARD_ST_FILES, "files.outside-view", "read %s (on the host, not in the view)",
		out ? out : "a host file");
	if (!out) {
		skip(t, "every candidate host file is in the view or absent");
	} else {
		ARGV(b, t, "read", out);
		block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
	}

	/* The parent of the denied file bound in (by the selftest, read-only): the name must
	 * still be hidden; then the same directory under another name (deny by object). */
	t = add(b, WARD_ST_FILES, "files.deny-in-bind", "read %s with %s bound in read-only",
		deny ? deny : "a denied file", dparent[0] ? dparent : "its directory");
	if (!deny || !dparent[0]) {
		skip(t, "no filesystem.deny entry is a file on this host below /");
	} else {
		ARGV(b, t, "read", deny);
		block(t, "file", "filesystem.deny", WARD_ST_EFFECT_RESULT);
	}
	t = add(b, WARD_ST_FILES, "files.deny-by-object",
		"read %s through a bind of %s at " WARD_SELFTEST_DIR "-alias",
		deny ? deny : "a denied file", dparent[0] ? dparent : "its directory");
	if (!deny || !dparent[0]) {
		skip(t, "no filesystem.deny entry is a file on this host below /");
	} else {
		snprintf(buf, sizeof(buf), WARD_SELFTEST_DIR "-alias%s", deny + strlen(dparent));
		ARGV(b, t, "read", buf);
		block(t, "file", "filesystem.deny", WARD_ST_EFFECT_RESULT);
		set_note(t, "needs issue 8 item 5 (deny by object, launcher side)");
	}

	t = add(b, WARD_ST_FILES, "files.opath-reopen",
		"O_PATH %s, reopen /proc/self/fd/N for writing", ro ? ro : "a read-only file");
	if (!ro) {
		skip(t, "no filesystem.readonly entry is a file on this host");
	} else {
		ARGV(b, t, "opath-reopen", ro);
		block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
	}
	t = add(b, WARD_ST_FILES, "files.write-readonly", "open %s (a read-only bind) for writing",
		ro ? ro : "a read-only file");
	if (!ro) {
		skip(t, "no filesystem.readonly entry is a file on this host");
	} else {
		ARGV(b, t, "write", ro);
		block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
	}

	bool rw = false;
	const char *md = model_dir(p, &rw);
	t = add(b, WARD_ST_FILES, "files.create-in-models", "create a file in %s%s",
		md ? md : "the model directory", rw ? " (readwrite)" : "");
	if (!md) {
		skip(t, "the profile names no model directory");
	} else {
		ARGV(b, t, "create", md);
		block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
		if (rw)
			set_note(t,
				 "the model directory is writable: weights can be replaced; bind "
				 "it read-only");
	}
}

static void exec_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	const char *prog = foreign_program(p, b->h), *w = writable_dir(p);
	const char *ldso = "/lib64/ld-linux-x86-64.so.2";
	bool open_exec = exec_allow_count(p) == 0;
	struct ward_st_probe *t;

#define OPEN_NOTE(t)                                                                               \
	do {                                                                                       \
		if (open_exec)                                                                     \
			set_note(t, "no exec.allow: any program in the view may run");             \
	} while (0)

	t = add(b, WARD_ST_EXEC, "exec.not-allowed", "run %s (not in exec.allow)",
		prog ? prog : "a program");
	if (!prog) {
		skip(t, "no program outside exec.allow is in the view");
	} else {
		ARGV(b, t, "exec", prog);
		block(t, "exec", NULL, WARD_ST_EFFECT_RAN);
		OPEN_NOTE(t);
	}
	t = add(b, WARD_ST_EXEC, "exec.dropped-binary", "write a program to %s and run it",
		w ? w : "a writable directory");
	if (!w) {
		skip(t, "the profile has no writable directory");
	} else {
		ARGV(b, t, "drop-exec", w);
		block(t, "exec", NULL, WARD_ST_EFFECT_RAN);
		if (open_exec)
			set_note(t, "no exec.allow: needs noexec tmpfs and readwrite mounts (issue "
				    "8 item 3, launcher side)");
	}
	t = add(b, WARD_ST_EXEC, "exec.dropped-script",
		"write a #! script (allowed interpreter) to %s and run it",
		w ? w : "a writable directory");
	if (!w) {
		skip(t, "the profile has no writable directory");
	} else {
		ARGV(b, t, "script-exec", w, WARD_SELFTEST_PROBE);
		block(t, "exec", NULL, WARD_ST_EFFECT_RAN);
		if (open_exec)
			set_note(t, "no exec.allow: needs noexec tmpfs and readwrite mounts (issue "
				    "8 item 3, launcher side)");
	}
	t = add(b, WARD_ST_EXEC, "exec.elf-loader", "run %s through %s", prog ? prog : "a program",
		ldso);
	if (!prog || host_kind(b->h, ldso) == 0 || !in_view(p, ldso)) {
		skip(t, "no ELF loader or no program outside exec.allow in the view");
	} else {
		ARGV(b, t, "exec", ldso, prog);
		block(t, "exec", NULL, WARD_ST_EFFECT_RAN);
		OPEN_NOTE(t);
	}
	t = add(b, WARD_ST_EXEC, "exec.memfd", "copy a program into a memfd and fexecve it");
	ARGV(b, t, "memfd-exec");
	block(t, NULL, NULL, WARD_ST_EFFECT_RAN);
	if (open_exec)
		set_note(t, "no exec.allow: needs vm.memfd_noexec=2 (issue 8 item 3, launcher "
			    "side)");

	/* The first program exec.allow names that the host has: it must run, unreported. */
	char allowed[4096] = "";
	for (size_t i = 0; i < p->exec_allow.n && !allowed[0]; i++) {
		glob_t g;

		if (!strcmp(p->exec_allow.v[i].s, WARD_SELFTEST_PROBE))
			continue;
		if (glob(p->exec_allow.v[i].s, 0, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc && !allowed[0]; k++)
			if (host_kind(b->h, g.gl_pathv[k]) == 'f' && in_view(p, g.gl_pathv[k]))
				snprintf(allowed, sizeof(allowed), "%s", g.gl_pathv[k]);
		globfree(&g);
	}
	t = add(b, WARD_ST_EXEC, "exec.allowed", "run %s --version (in exec.allow)",
		allowed[0] ? allowed : "an allowed program");
	if (!allowed[0]) {
		skip(t, "exec.allow names no program this host has");
	} else {
		ARGV(b, t, "exec", allowed, "--version");
		t->expect = WARD_ST_ALLOW;
		t->effect = WARD_ST_EFFECT_COMPLETED;
	}
#undef OPEN_NOTE
}

static void net_probe(struct builder *b, const char *name, const char *op, enum ward_net_op nop,
		      const char *addr, int port, const char *what)
{
	const struct ward_profile *p = b->p;
	struct ward_st_probe *t = add(b, WARD_ST_NETWORK, name, "%s", what);
	char ps[16];
	bool all = false;

	if (!port) {
		skip(t, "no loopback listener of that family on this host");
		return;
	}
	snprintf(ps, sizeof(ps), "%d", port);
	ARGV(b, t, op, addr, ps, t->marker);
	block(t, "net", NULL, WARD_ST_EFFECT_NET);
	if (p->net_mode == WARD_NET_HOST && net_allows(p, nop, addr, port, &all)) {
		if (all)
			set_note(t, "network.allow allows every address: it names no destination");
		else
			t->expect = WARD_ST_ALLOW;
	}
}

static void network_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	const struct ward_st_host *h = b->h;
	struct ward_st_probe *t;
	char what[160], ps[16];

	snprintf(what, sizeof(what), "TCP connect to 127.0.0.1:%d (a listener outside)",
		 h->tcp_port);
	net_probe(b, "net.tcp-connect", "tcp-connect", WARD_NETOP_CONNECT, "127.0.0.1", h->tcp_port,
		  what);
	snprintf(what, sizeof(what), "TCP fast open (data on the SYN) to 127.0.0.1:%d",
		 h->tcp_port);
	net_probe(b, "net.tcp-fastopen", "tcp-fastopen", WARD_NETOP_CONNECT, "127.0.0.1",
		  h->tcp_port, what);
	snprintf(what, sizeof(what), "UDP sendto 127.0.0.1:%d", h->udp_port);
	net_probe(b, "net.udp-send", "udp-send", WARD_NETOP_SEND, "127.0.0.1", h->udp_port, what);
	snprintf(what, sizeof(what), "UDP connect + send to 127.0.0.1:%d", h->udp_port);
	net_probe(b, "net.udp-connected", "udp-connect", WARD_NETOP_SEND, "127.0.0.1", h->udp_port,
		  what);
	snprintf(what, sizeof(what), "TCP connect to [::1]:%d", h->tcp6_port);
	net_probe(b, "net.ipv6", "tcp-connect", WARD_NETOP_CONNECT, "::1", h->tcp6_port, what);
	snprintf(what, sizeof(what), "TCP connect to [::ffff:127.0.0.1]:%d (v4-mapped)",
		 h->tcp_port);
	net_probe(b, "net.v4-mapped", "tcp-connect", WARD_NETOP_CONNECT, "::ffff:127.0.0.1",
		  h->tcp_port, what);

	snprintf(what, sizeof(what), "bind + listen on 127.0.0.1:%d", h->free_port);
	t = add(b, WARD_ST_NETWORK, "net.bind-listen", "%s", what);
	bool all = false;
	if (p->net_mode != WARD_NET_HOST) {
		skip(t, "contained: the sandbox's own network namespace, unreachable from outside");
	} else if (!h->free_port) {
		skip(t, "no free loopback port");
	} else {
		snprintf(ps, sizeof(ps), "%d", h->free_port);
		ARGV(b, t, "bind-listen", "127.0.0.1", ps);
		block(t, "net", NULL, WARD_ST_EFFECT_RESULT);
		if (net_allows(p, WARD_NETOP_BIND, "127.0.0.1", h->free_port, &all)) {
			if (all)
				set_note(t, "network.allow lets it bind every address");
			else
				t->expect = WARD_ST_ALLOW;
		}
	}

	t = add(b, WARD_ST_NETWORK, "net.unix-abstract",
		"connect to the host's abstract socket @%s",
		h->abstract_name[0] ? h->abstract_name : "?");
	if (!h->abstract_name[0]) {
		skip(t, "no abstract socket");
	} else {
		char name[120];

		snprintf(name, sizeof(name), "@%s", h->abstract_name);
		ARGV(b, t, "unix-connect", name, t->marker);
		block(t, "net", NULL, WARD_ST_EFFECT_NET);
	}
	t = add(b, WARD_ST_NETWORK, "net.unix-path", "connect to the host's unix socket %s",
		h->unix_path[0] ? h->unix_path : "?");
	if (!h->unix_path[0]) {
		skip(t, "no path socket");
	} else {
		ARGV(b, t, "unix-connect", h->unix_path, t->marker);
		block(t, "net", NULL, WARD_ST_EFFECT_NET);
	}

	/* What network.allow names narrowly must work. */
	int port = ward_st_allowed_port(p, WARD_NETOP_CONNECT);
	t = add(b, WARD_ST_NETWORK, "net.allowed-connect", "TCP connect to 127.0.0.1:%d (allowed)",
		port);
	if (!port) {
		skip(t, "network.allow names no single loopback port to connect to");
	} else if (h->allowed_port != port) {
		skip(t, "the allowed port is in use on this host");
	} else {
		snprintf(ps, sizeof(ps), "%d", port);
		ARGV(b, t, "tcp-connect", "127.0.0.1", ps, t->marker);
		t->expect = WARD_ST_ALLOW;
		t->effect = WARD_ST_EFFECT_NET;
	}
	port = ward_st_allowed_port(p, WARD_NETOP_BIND);
	t = add(b, WARD_ST_NETWORK, "net.allowed-bind", "bind + listen on 127.0.0.1:%d (allowed)",
		port);
	if (!port) {
		skip(t, "network.allow names no single loopback port to bind");
	} else if (h->allowed_bind_port != port) {
		skip(t, "the allowed port is in use on this host");
	} else {
		snprintf(ps, sizeof(ps), "%d", port);
		ARGV(b, t, "bind-listen", "127.0.0.1", ps);
		t->expect = WARD_ST_ALLOW;
		t->effect = WARD_ST_EFFECT_RESULT;
	}
}

static void device_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	const char *w = writable_dir(p);
	struct ward_st_probe *t;
	char buf[4096];

	t = add(b, WARD_ST_DEVICES, "dev.gpu-not-allowed",
		"open %s (a GPU gpu.allow does not list)",
		b->h->gpu_path[0] ? b->h->gpu_path : "a GPU");
	if (!b->h->gpu_path[0]) {
		skip(t, "this host has no GPU outside gpu.allow");
	} else {
		ARGV(b, t, "open-dev", b->h->gpu_path, "rw");
		block(t, NULL, NULL, WARD_ST_EFFECT_RESULT);
	}
	t = add(b, WARD_ST_DEVICES, "dev.gpu-allowed", "open %s (gpu.allow lists it)",
		b->h->gpu_allowed[0] ? b->h->gpu_allowed : "an allowed GPU");
	if (!b->h->gpu_allowed[0]) {
		skip(t, p->gpu_all || p->n_gpus ? "the GPUs gpu.allow lists are not on this host"
						: "gpu.allow: none");
	} else {
		ARGV(b, t, "open-dev", b->h->gpu_allowed, "rw");
		t->expect = WARD_ST_ALLOW;
		t->effect = WARD_ST_EFFECT_RESULT;
	}
	const char *mem = host_kind(b->h, "/dev/mem") == 'c'	? "/dev/mem"
			  : host_kind(b->h, "/dev/port") == 'c' ? "/dev/port"
								: NULL;
	t = add(b, WARD_ST_DEVICES, "dev.memory", "open %s (physical memory)",
		mem ? mem : "/dev/mem");
	if (!mem) {
		skip(t, "this host has no /dev/mem or /dev/port");
	} else {
		ARGV(b, t, "open-dev", mem);
		block(t, NULL, NULL, WARD_ST_EFFECT_RESULT);
	}
	t = add(b, WARD_ST_DEVICES, "dev.kmsg", "read /dev/kmsg (the kernel log)");
	if (host_kind(b->h, "/dev/kmsg") != 'c') {
		skip(t, "this host has no /dev/kmsg");
	} else {
		ARGV(b, t, "read", "/dev/kmsg");
		block(t, NULL, NULL, WARD_ST_EFFECT_RESULT);
	}
	snprintf(buf, sizeof(buf), "%s/wst-null", w ? w : "/tmp");
	t = add(b, WARD_ST_DEVICES, "dev.mknod", "mknod %s c 1 3", buf);
	ARGV(b, t, "mknod", buf);
	block(t, NULL, NULL, WARD_ST_EFFECT_RESULT);
}

static void escape_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	const struct ward_st_host *h = b->h;
	struct ward_st_probe *t;
	char buf[4096];

	static const struct {
		const char *name, *op, *what, *kind;
	} calls[] = {
		{"esc.ptrace", "ptrace", "PTRACE_SEIZE its own child", "syscall"},
		{"esc.mount", "mount", "mount a tmpfs", "syscall"},
		{"esc.unshare-user", "unshare-user", "unshare(CLONE_NEWUSER)", "syscall"},
		{"esc.clone3-user", "clone3-user", "clone3(CLONE_NEWUSER)", "syscall"},
		{"esc.setns", "setns", "setns into a namespace", "syscall"},
		{"esc.bpf", "bpf", "bpf(BPF_MAP_CREATE)", "syscall"},
		{"esc.perf", "perf", "perf_event_open (software clock, self)", "syscall"},
		{"esc.io_uring", "io_uring", "io_uring_setup", "syscall"},
		{"esc.keyctl", "keyctl", "keyctl (session keyring)", "syscall"},
		{"esc.userfaultfd", "userfaultfd", "userfaultfd", "syscall"},
		{"esc.tiocsti", "tiocsti", "ioctl TIOCSTI (on a pipe)", "syscall"},
		{"esc.chroot", "chroot", "chroot(\"/\")", "syscall"},
		{"esc.open-by-handle", "open-by-handle", "open_by_handle_at (Shocker)", "syscall"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		t = add(b, WARD_ST_ESCAPES, calls[i].name, "%s", calls[i].what);
		if (!strcmp(calls[i].op, "mount"))
			ARGV(b, t, "mount", writable_dir(p) ? writable_dir(p) : "/");
		else
			ARGV(b, t, calls[i].op);
		block(t, calls[i].kind, NULL,
		      !strcmp(calls[i].op, "tiocsti") ? WARD_ST_EFFECT_TTY : WARD_ST_EFFECT_RESULT);
	}

	t = add(b, WARD_ST_ESCAPES, "esc.i386", "a 32-bit syscall (int $0x80, getpid)");
	if (!h->have_i386) {
		skip(t, "this kernel has no IA32 emulation");
	} else {
		ARGV(b, t, "i386");
		block(t, "syscall", "foreign-abi", WARD_ST_EFFECT_POSITIVE);
		set_note(t, "the kill is silent until issue 8 item 4 (foreign-ABI reports, "
			    "launcher side)");
	}

	t = add(b, WARD_ST_ESCAPES, "esc.setuid", "run a set-uid-root copy of the probe");
	if (!h->have_suid) {
		skip(t, "no set-uid copy (the selftest is not root)");
	} else {
		ARGV(b, t, "exec", WARD_SELFTEST_SUID, "marker");
		block(t, "exec", NULL, WARD_ST_EFFECT_SUID);
		/* Without exec.allow the exec itself is allowed: the kernel ignores the bit (no
		 * new privileges, an owner the user namespace does not map), nothing to report. */
		t->report_required = exec_allow_count(p) > 0;
	}

	t = add(b, WARD_ST_ESCAPES, "esc.environ-init",
		"read /proc/1/environ (ward's init, outside the workload)");
	ARGV(b, t, "read", "/proc/1/environ");
	block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
	snprintf(buf, sizeof(buf), "/proc/%d/environ", h->host_pid);
	t = add(b, WARD_ST_ESCAPES, "esc.environ-host", "read %s (a host process: the selftest)",
		buf);
	if (h->host_pid <= 1) {
		skip(t, "no host pid");
	} else {
		ARGV(b, t, "read", buf);
		block(t, "file", NULL, WARD_ST_EFFECT_RESULT);
	}
	snprintf(buf, sizeof(buf), "%d", h->host_pid);
	t = add(b, WARD_ST_ESCAPES, "esc.signal-host", "kill(%d, 0) (a host process: the selftest)",
		h->host_pid);
	if (h->host_pid <= 1) {
		skip(t, "no host pid");
	} else {
		ARGV(b, t, "kill", buf);
		block(t, "syscall", "pid namespace", WARD_ST_EFFECT_RESULT);
	}

	/* syscalls.kill ends the whole sandbox: each in a sandbox of its own. */
	t = add(b, WARD_ST_ESCAPES, "esc.kexec", "kexec_load (invalid arguments)");
	ARGV(b, t, "kexec");
	block(t, "syscall", NULL, WARD_ST_EFFECT_RESULT);
	t->box = WARD_ST_BOX_ALONE;
	t = add(b, WARD_ST_ESCAPES, "esc.init-module", "init_module (no image)");
	ARGV(b, t, "init-module");
	block(t, "syscall", NULL, WARD_ST_EFFECT_RESULT);
	t->box = WARD_ST_BOX_ALONE;
}

static void limit_probes(struct builder *b)
{
	const struct ward_profile *p = b->p;
	struct ward_st_probe *t;
	char buf[32];

	t = add(b, WARD_ST_LIMITS, "lim.cgroup-view",
		"read the limits in the sandbox's own cgroup");
	if (!p->mem_max && !p->pids_max) {
		skip(t, "the profile sets neither limits.memory nor limits.pids");
	} else {
		ARGV(b, t, "cgroup-limits");
		t->expect = WARD_ST_ALLOW;
		t->effect = WARD_ST_EFFECT_COMPLETED;
		snprintf(t->expect_text, sizeof(t->expect_text), "%s%.0llu%s%.0llu",
			 p->mem_max ? "memory=" : "", (unsigned long long)p->mem_max,
			 p->pids_max ? " pids=" : "", (unsigned long long)p->pids_max);
	}

	t = add(b, WARD_ST_LIMITS, "lim.pids", "fork limits.pids + 32 processes (%llu)",
		(unsigned long long)(p->pids_max + 32));
	if (!p->pids_max) {
		skip(t, "the profile sets no limits.pids");
	} else if (p->pids_max > 4096) {
		skip(t, "limits.pids is above 4096: too many processes to probe");
	} else {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(p->pids_max + 32));
		ARGV(b, t, "fork-bomb", buf);
		block(t, "lifecycle", NULL, WARD_ST_EFFECT_RESULT);
		t->lifecycle = "pids_limit";
		set_note(t, "reported by issue 8 item 10 (pids_limit event, launcher side)");
	}

	t = add(b, WARD_ST_LIMITS, "lim.memory",
		"allocate %d MiB against limits.memory scaled to %d MiB", 2 * WARD_ST_MEMORY_MB,
		WARD_ST_MEMORY_MB);
	if (!p->mem_max) {
		skip(t, "the profile sets no limits.memory");
	} else {
		snprintf(buf, sizeof(buf), "%d", 2 * WARD_ST_MEMORY_MB);
		ARGV(b, t, "alloc", buf);
		block(t, "lifecycle", NULL, WARD_ST_EFFECT_COMPLETED);
		t->lifecycle = "oom";
		t->box = WARD_ST_BOX_MEMORY;
	}

	t = add(b, WARD_ST_LIMITS, "lim.wall", "sleep 3 s against limits.wall scaled to %d ms",
		WARD_ST_WALL_MS);
	if (!p->wall_ns) {
		skip(t, "the profile sets no limits.wall");
	} else {
		ARGV(b, t, "sleep", "3");
		block(t, "lifecycle", NULL, WARD_ST_EFFECT_COMPLETED);
		t->lifecycle = "timeout";
		t->box = WARD_ST_BOX_WALL;
	}
}

int ward_st_plan_build(const struct ward_profile *p, const struct ward_st_host *h, unsigned mask,
		       struct ward_st_plan *ret)
{
	struct builder b = {.plan = ret, .p = p, .h = h, .mask = mask};

	memset(ret, 0, sizeof(*ret));
	ret->mode = p->mode;
	files_probes(&b);
	exec_probes(&b);
	network_probes(&b);
	device_probes(&b);
	escape_probes(&b);
	limit_probes(&b);
	if (b.err) {
		ward_st_plan_free(ret);
		return b.err;
	}
	return 0;
}

void ward_st_plan_free(struct ward_st_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		for (size_t a = 0; a < WARD_ST_ARGS; a++)
			free(plan->probes[i].argv[a]);
	free(plan->probes);
	plan->probes = NULL;
	plan->n = 0;
}
