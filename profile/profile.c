// SPDX-License-Identifier: MIT
/*
 * Profiles: YAML to struct ward_profile.
 *
 * A profile file is read with libyaml's document API (yaml_parser_load), which keeps every
 * node's start mark, so each error can name FILE:LINE:COL. Files are applied to one
 * struct ward_profile in merge order: a file's includes first (depth first, in the order
 * listed), then the file itself, so "later wins" for scalars falls out of plain assignment
 * and lists are appended with duplicates dropped. A file reached twice through different
 * includes (a diamond: two profiles both including base) is applied once, the first time,
 * like a header with #pragma once: re-applying base after a more specific file would
 * silently undo that file's scalars.
 *
 * All scalars are read as strings (no YAML 1.1 tag resolution): `uid: "65534"` and
 * `uid: 65534` are the same, and `OMP_NUM_THREADS: 1` is the string "1".
 *
 * The value parsers (sizes, durations, addresses) are exported for the command line.
 */
#include "common/macro.h"
#include "common/log.h"
#include "common/util.h"
#include "common/parse.h"
#include "common/syscall.h"
#include "profile/profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <seccomp.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_INCLUDE_DEPTH 16
#define MAX_PROFILE_SIZE  (1 << 20)
#define BUILTIN_FILE	  "<builtin>"

/* Lookup directories for bare profile names, in order. */
static const char *const profile_dirs[] = {
	"profiles",
	"/etc/ward/profiles",
	WARD_PREFIX "/share/ward/profiles",
};

/*
 * The profile `ward run` uses when there is no profiles/default.yaml anywhere: the same
 * content as profiles/default.yaml with profiles/base.yaml inlined (it cannot include base,
 * which may not be installed either). tests/unit/test_profile.c checks that both load to the
 * same effective profile, so edit them together.
 */
static const char builtin_default[] =
	"name: default\n"
	"description: ward's default profile; system libraries read-only, no network, no GPU\n"
	"mode: enforce\n"
	"namespaces: [user, pid, mount, net, ipc, uts, cgroup]\n"
	"user: {uid: 65534, gid: 65534}\n"
	"filesystem:\n"
	"  readonly: [/usr, /lib, /lib64, /bin, /sbin, /etc/ld.so.cache, /etc/ld.so.conf,\n"
	"    /etc/ld.so.conf.d, /etc/alternatives, /etc/localtime, /etc/passwd, /etc/group,\n"
	"    /etc/nsswitch.conf, /etc/ssl, /etc/ca-certificates]\n"
	"  tmpfs: [/tmp]\n"
	"  devices: [/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom]\n"
	"  deny: [/etc/shadow, /etc/gshadow, /root, /home, /var/run/docker.sock,\n"
	"    /run/docker.sock]\n"
	"network: {mode: none}\n"
	"gpu: {allow: none}\n"
	"syscalls:\n"
	"  default: deny\n"
	"  allow: [read, write, openat, close, fstat, newfstatat, statx, mmap, mprotect, munmap,\n"
	"    brk, rt_sigaction, rt_sigprocmask, rt_sigreturn, ioctl, pread64, pwrite64, readv,\n"
	"    writev, access, faccessat, faccessat2, pipe, pipe2, select, pselect6, poll, ppoll,\n"
	"    sched_yield, mremap, madvise, dup, dup2, dup3, nanosleep, clock_nanosleep, getpid,\n"
	"    getppid, gettid, getuid, geteuid, getgid, getegid, getgroups, getresuid, getresgid,\n"
	"    clone, fork, vfork, execve, execveat, exit, exit_group, wait4, waitid, kill, tgkill,\n"
	"    tkill, uname, fcntl, flock, fsync, fdatasync, ftruncate, getdents64, getcwd, chdir,\n"
	"    fchdir, rename, renameat, renameat2, mkdir, mkdirat, rmdir, unlink, unlinkat,\n"
	"    readlink, readlinkat, chmod, fchmod, fchmodat, umask, gettimeofday, clock_gettime,\n"
	"    clock_getres, getrlimit, prlimit64, getrusage, sysinfo, times, arch_prctl,\n"
	"    set_tid_address, set_robust_list, get_robust_list, futex, futex_waitv,\n"
	"    sched_getaffinity, sched_setaffinity, sched_getparam, sched_getscheduler,\n"
	"    sched_get_priority_max, sched_get_priority_min, epoll_create, epoll_create1,\n"
	"    epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2, eventfd, eventfd2, signalfd,\n"
	"    signalfd4, timerfd_create, timerfd_settime, timerfd_gettime, getrandom,\n"
	"    memfd_create, lseek, rseq, sigaltstack, restart_syscall, prctl, statfs, fstatfs,\n"
	"    socket, socketpair, connect, bind, listen, accept, accept4, getsockname,\n"
	"    getpeername, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, shutdown,\n"
	"    setsockopt, getsockopt, close_range, copy_file_range, sendfile, splice, tee,\n"
	"    fadvise64, fallocate, mincore, membarrier, getpriority, setpriority, capget, alarm,\n"
	"    pause, getpgrp, getpgid, getsid, setsid, setpgid, lstat, stat, open, creat, link,\n"
	"    linkat, symlink, symlinkat, truncate, utimensat, futimesat, utime, utimes,\n"
	"    inotify_init1, inotify_add_watch, inotify_rm_watch, shmget, shmat, shmdt, shmctl,\n"
	"    get_mempolicy, set_mempolicy, mbind, sched_setscheduler, rt_sigtimedwait,\n"
	"    rt_sigsuspend, rt_sigqueueinfo, rt_tgsigqueueinfo, getitimer, setitimer,\n"
	"    pidfd_open, pidfd_send_signal]\n"
	"  kill: [kexec_load, kexec_file_load, init_module, finit_module, delete_module, reboot,\n"
	"    swapon, swapoff]\n"
	"capabilities: []\n"
	"limits: {memory: 8G, pids: 1024, nofile: 4096, grace: 5s}\n"
	"events: {sink: stderr, allowed: false, require_collector: false}\n"
	"env: {pass: [LANG, LC_ALL, TERM, TZ]}\n";

/* ---- small containers -------------------------------------------------------------------- */

static void strv_free(struct ward_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].s);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static ssize_t strv_find(const struct ward_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i].s, s) == 0)
			return (ssize_t)i;
	return -1;
}

/* Takes ownership of s (also on failure). */
static int strv_push(struct ward_strv *v, char *s, struct ward_loc loc)
{
	struct ward_str *n = reallocarray(v->v, v->n + 1, sizeof(*n));

	if (!n) {
		free(s);
		return -ENOMEM;
	}
	v->v = n;
	v->v[v->n++] = (struct ward_str){.s = s, .loc = loc};
	return 0;
}

static void strv_remove(struct ward_strv *v, size_t i)
{
	free(v->v[i].s);
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(v->v[0]));
	v->n--;
}

void ward_profile_free(struct ward_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->description);
	free(p->hostname);
	strv_free(&p->fs_readonly);
	strv_free(&p->fs_readwrite);
	strv_free(&p->fs_tmpfs);
	strv_free(&p->fs_devices);
	strv_free(&p->fs_deny);
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].src);
		free(p->binds[i].dst);
	}
	free(p->binds);
	for (size_t i = 0; i < p->n_net_allow; i++)
		free(p->net_allow[i].text);
	free(p->net_allow);
	strv_free(&p->exec_allow);
	strv_free(&p->sc_allow);
	strv_free(&p->sc_deny);
	strv_free(&p->sc_kill);
	free(p->sc_import.s);
	strv_free(&p->capabilities);
	free(p->sink);
	strv_free(&p->env_pass);
	strv_free(&p->env_set);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}

static void profile_freep(struct ward_profile **p)
{
	ward_profile_free(*p);
}
#define _cleanup_profile_ _cleanup_(profile_freep)

static struct ward_profile *profile_new(void)
{
	struct ward_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->mode = WARD_MODE_ENFORCE;
	p->namespaces = WARD_NS_ALL;
	p->uid = 65534;
	p->gid = 65534;
	p->net_mode = WARD_NET_NONE;
	p->sc_default = WARD_SC_DENY;
	p->grace_ns = 5ULL * 1000000000ULL;
	p->sink = strdup("stderr");
	if (!p->sink) {
		free(p);
		return NULL;
	}
	return p;
}

static void mask_prefix(uint8_t addr[16], unsigned prefixlen, unsigned bits)
{
	for (unsigned i = 0; i < bits / 8; i++) {
		if (prefixlen >= (i + 1) * 8)
			continue;
		if (prefixlen <= i * 8)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (prefixlen - i * 8)));
	}
}

/* ADDR and PREFIX given separately (PREFIX NULL: the full length). */
static int parse_addr_prefix(const char *a, const char *prefix, int *ret_family,
			     uint8_t ret_addr[16], uint8_t *ret_prefixlen)
{
	uint8_t addr[16] = {0};
	uint64_t plen;
	int family;
	unsigned bits;

	if (strcmp(a, "*") == 0) {
		/* any address of any family */
		if (prefix)
			return -EINVAL;
		*ret_family = AF_UNSPEC;
		memset(ret_addr, 0, 16);
		*ret_prefixlen = 0;
		return 0;
	}
	family = strchr(a, ':') ? AF_INET6 : AF_INET;
	bits = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, a, addr) != 1)
		return -EINVAL;
	if (prefix) {
		if (ward_parse_uint(prefix, bits, &plen) < 0)
			return -EINVAL;
	} else {
		plen = bits;
	}
	/* Host bits are cleared so "10.1.2.3/8" means 10.0.0.0/8, as the LPM trie matches it. */
	mask_prefix(addr, (unsigned)plen, bits);
	*ret_family = family;
	memcpy(ret_addr, addr, 16);
	*ret_prefixlen = (uint8_t)plen;
	return 0;
}

/* "10.0.0.0/8", "192.168.1.1", "::1", "[fd00::]/8", "[fd00::/8]", "*". */
int ward_parse_cidr(const char *s, int *ret_family, uint8_t ret_addr[16], uint8_t *ret_prefixlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	size_t l;

	if (!s || !*s)
		return -EINVAL;
	l = strlen(s);
	if (l >= sizeof(buf))
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		const char *prefix = NULL;

		if (!end || end == s + 1)
			return -EINVAL;
		memcpy(buf, s + 1, (size_t)(end - s - 1));
		buf[end - s - 1] = '\0';
		if (end[1] == '/')
			prefix = end + 2;
		else if (end[1])
			return -EINVAL;
		slash = strchr(buf, '/');
		if (slash) {
			if (prefix)
				return -EINVAL;
			*slash = '\0';
			prefix = slash + 1;
		}
		if (!strchr(buf, ':'))
			return -EINVAL; /* brackets are for IPv6 */
		return parse_addr_prefix(buf, prefix, ret_family, ret_addr, ret_prefixlen);
	}
	memcpy(buf, s, l + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	return parse_addr_prefix(buf, slash, ret_family, ret_addr, ret_prefixlen);
}

static int parse_port_range(const char *s, uint16_t *ret_lo, uint16_t *ret_hi)
{
	char buf[16];
	const char *dash;
	uint64_t lo, hi;

	if (strcmp(s, "*") == 0) {
		*ret_lo = 0;
		*ret_hi = 65535;
		return 0;
	}
	dash = strchr(s, '-');
	if (dash) {
		size_t l = (size_t)(dash - s);

		if (l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, l);
		buf[l] = '\0';
		if (ward_parse_uint(buf, 65535, &lo) < 0 ||
		    ward_parse_uint(dash + 1, 65535, &hi) < 0)
			return -EINVAL;
		if (lo > hi)
			return -EINVAL; /* reversed range */
	} else {
		if (ward_parse_uint(s, 65535, &lo) < 0)
			return -EINVAL;
		hi = lo;
	}
	*ret_lo = (uint16_t)lo;
	*ret_hi = (uint16_t)hi;
	return 0;
}

static int parse_net_op(const char *op, enum ward_net_op *ret)
{
	if (!op)
		return -EINVAL;
	if (strcmp(op, "connect") == 0)
		*ret = WARD_NETOP_CONNECT;
	else if (strcmp(op, "bind") == 0)
		*ret = WARD_NETOP_BIND;
	else if (strcmp(op, "send") == 0)
		*ret = WARD_NETOP_SEND;
	else
		return -EINVAL;
	return 0;
}

/*
 * "ADDR[/PREFIX]:PORT[-PORT]", "[V6ADDR][/PREFIX]:PORT", "*:PORT", "ADDR:*". On success
 * ret->text is a copy of value that the caller owns (ward_profile_free frees the profile's).
 */
int ward_parse_net_rule(const char *op, const char *value, struct ward_net_rule *ret)
{
	struct ward_net_rule rule = {0};
	char addr[INET6_ADDRSTRLEN + 16];
	const char *colon;
	size_t l;
	int r;

	r = parse_net_op(op, &rule.op);
	if (r < 0)
		return r;
	if (!value || !*value)
		return -EINVAL;
	if (value[0] == '[') {
		const char *end = strchr(value, ']');

		if (!end)
			return -EINVAL;
		colon = end + 1;
		if (*colon == '/')
			colon += strcspn(colon, ":");
		if (*colon != ':')
			return -EINVAL;
	} else {
		colon = strrchr(value, ':');
		if (!colon)
			return -EINVAL;
	}
	l = (size_t)(colon - value);
	if (l == 0 || l >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, value, l);
	addr[l] = '\0';
	/* An unbracketed IPv6 address is ambiguous with the port separator. */
	if (addr[0] != '[' && strchr(addr, ':'))
		return -EINVAL;
	r = ward_parse_cidr(addr, &rule.family, rule.addr, &rule.prefixlen);
	if (r < 0)
		return r;
	r = parse_port_range(colon + 1, &rule.port_lo, &rule.port_hi);
	if (r < 0)
		return r;
	/* Port 0 means "any ephemeral port" only to bind(2); nothing can connect to it. */
	if (rule.port_hi == 0 && rule.op != WARD_NETOP_BIND)
		return -EINVAL;
	rule.text = strdup(value);
	if (!rule.text)
		return -ENOMEM;
	*ret = rule;
	return 0;
}

/*
 * Absolute path, normalized: repeated and trailing slashes removed. "." and ".." components
 * are refused rather than resolved: the path names a place in the sandbox view, and a
 * lexical ".." through a symlink would not mean what it says.
 */
static int normalize_abs_path(const char *s, char **ret, const char **ret_why)
{
	char *out, *o;

	if (!s || s[0] != '/') {
		*ret_why = "must be an absolute path";
		return -EINVAL;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*ret_why = "contains a control character";
			return -EINVAL;
		}
	out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (const char *c = s; *c;) {
		size_t l;

		while (*c == '/')
			c++;
		l = strcspn(c, "/");
		if (l == 0)
			break;
		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.')) {
			free(out);
			*ret_why = "must not contain '.' or '..' components";
			return -EINVAL;
		}
		*o++ = '/';
		memcpy(o, c, l);
		o += l;
		c += l;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	*ret = out;
	return 0;
}

/* ---- command-line overrides ----------------------------------------------------------------- */

int ward_profile_add_bind(struct ward_profile *p, const char *spec, struct ward_error *err)
{
	_cleanup_free_ char *copy = NULL, *src = NULL, *dst = NULL;
	char *parts[3] = {NULL, NULL, NULL};
	struct ward_bind *n;
	const char *why = "";
	size_t np = 0;
	bool rw = false;
	int r;

	if (!spec || !*spec)
		return ward_error_set(err, -EINVAL, "--bind: empty argument");
	copy = strdup(spec);
	if (!copy)
		return -ENOMEM;
	for (char *c = copy, *tok; (tok = strsep(&c, ":"));) {
		if (np == ARRAY_SIZE(parts))
			return ward_error_set(err, -EINVAL,
					      "--bind '%s': expected SRC[:DST[:ro|rw]]", spec);
		parts[np++] = tok;
	}
	if (np == 3) {
		if (strcmp(parts[2], "rw") == 0)
			rw = true;
		else if (strcmp(parts[2], "ro") != 0)
			return ward_error_set(err, -EINVAL,
					      "--bind '%s': mode '%s' is not ro or rw", spec,
					      parts[2]);
	}
	r = normalize_abs_path(parts[0], &src, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return ward_error_set(err, r, "--bind '%s': source '%s' %s", spec, parts[0], why);
	r = normalize_abs_path(np >= 2 ? parts[1] : parts[0], &dst, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return ward_error_set(err, r, "--bind '%s': destination '%s' %s", spec, parts[1],
				      why);
	n = reallocarray(p->binds, p->n_binds + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->binds = n;
	p->binds[p->n_binds++] = (struct ward_bind){
		.src = TAKE_PTR(src),
		.dst = TAKE_PTR(dst),
		.rw = rw,
		/* no file, line 0: from the command line (mount.c prints "--bind") */
		.loc = {.file = NULL, .line = 0, .col = 0},
	};
	return 0;
}

/* "none", "all" or "N[,N...]" into gpu_all/gpus/n_gpus; duplicates dropped. */
static int parse_gpu_list(const char *spec, bool *ret_all, int gpus[WARD_GPU_MAX], size_t *ret_n,
			  const char **ret_bad, size_t *ret_badlen)
{
	size_t n = 0;

	if (strcmp(spec, "none") == 0) {
		*ret_all = false;
		*ret_n = 0;
		return 0;
	}
	if (strcmp(spec, "all") == 0) {
		*ret_all = true;
		*ret_n = 0;
		return 0;
	}
	for (const char *c = spec;;) {
		size_t l = strcspn(c, ",");
		char buf[8];
		uint64_t v;
		bool dup = false;

		*ret_bad = c;
		*ret_badlen = l;
		if (l == 0 || l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, c, l);
		buf[l] = '\0';
		if (ward_parse_uint(buf, WARD_GPU_MAX - 1, &v) < 0)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			dup |= gpus[i] == (int)v;
		if (!dup)
			gpus[n++] = (int)v;
		c += l;
		if (!*c)
			break;
		c++;
	}
	*ret_all = false;
	*ret_n = n;
	return 0;
}

int ward_profile_set_gpu(struct ward_profile *p, const char *spec, struct ward_error *err)
{
	int gpus[WARD_GPU_MAX];
	const char *bad = "";
	size_t n = 0, badlen = 0;
	bool all = false;

	if (!spec || !*spec)
		return ward_error_set(err, -EINVAL, "--gpu: expected none, all or N[,N...]");
	if (parse_gpu_list(spec, &all, gpus, &n, &bad, &badlen) < 0)
		return ward_error_set(
			err, -EINVAL,
			"--gpu '%s': '%.*s' is not a GPU index (0-%d); expected none, "
			"all or N[,N...]",
			spec, (int)badlen, bad, WARD_GPU_MAX - 1);
	p->gpu_all = all;
	memcpy(p->gpus, gpus, n * sizeof(gpus[0]));
	p->n_gpus = n;
	return 0;
}

/* ---- the loader ---------------------------------------------------------------------------- */

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct loader {
	struct ward_profile *p;
	struct ward_error *err;
	struct {
		struct file_id id;
		const char *file;
	} stack[MAX_INCLUDE_DEPTH];
	size_t depth;
	struct file_id *done;
	size_t n_done;
	struct ward_loc ns_loc; /* where namespaces was last set */
	bool name_set;
};

/* One file being applied. */
struct yfile {
	struct loader *l;
	struct ward_profile *p;
	yaml_document_t doc;
	const char *file; /* as shown in messages; owned by p->files */
	char *dir;	  /* directory for includes and imports; NULL for the built-in profile */
	bool top;
};

static struct ward_loc node_loc(const struct yfile *y, const yaml_node_t *n)
{
	return (struct ward_loc){
		.file = y->file,
		.line = (int)n->start_mark.line + 1,
		.col = (int)n->start_mark.column + 1,
	};
}

static int node_err(struct yfile *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int node_err(struct yfile *y, const yaml_node_t *n, const char *fmt, ...)
{
	char what[sizeof(y->l->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ward_error_set(y->l->err, -EINVAL, "%s:%zu:%zu: %s", y->file, n->start_mark.line + 1,
			      n->start_mark.column + 1, what);
}

static yaml_node_t *node_get(struct yfile *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool node_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A string value: a scalar, not null. */
static int get_str(struct yfile *y, const yaml_node_t *n, const char *what, const char **ret)
{
	*ret = "";
	if (n->type != YAML_SCALAR_NODE)
		return node_err(y, n, "%s: expected a string, got %s", what, node_kind(n));
	if (node_is_null(n))
		return node_err(y, n, "%s: missing value", what);
	*ret = scalar(n);
	return 0;
}

/* A scalar that must be one of names: *ret is its index. */
static int get_enum(struct yfile *y, const yaml_node_t *n, const char *what,
		    const char *const *names, size_t n_names, int *ret)
{
	char list[128] = "";
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n_names; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (int)i;
			return 0;
		}
	for (size_t i = 0; i < n_names; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s%s",
			 i == 0		    ? ""
			 : i + 1 == n_names ? " or "
					    : ", ",
			 names[i]);
	}
	return node_err(y, n, "%s: '%s' is not %s", what, s, list);
}

static int get_bool(struct yfile *y, const yaml_node_t *n, const char *what, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return node_err(y, n, "%s: '%s' is not a boolean (true or false)", what, s);
}

static int get_uint(struct yfile *y, const yaml_node_t *n, const char *what, uint64_t max,
		    uint64_t *ret)
{
	const char *s;
	int r = get_str(y, n, what, &s);

	if (r < 0)
		return r;
	if (ward_parse_uint(s, max, ret) < 0)
		return node_err(y, n, "%s: '%s' is not an integer in 0..%" PRIu64, what, s, max);
	return 0;
}

/* A list (null counts as empty). *ret_n is its length; items via node_get(items[i]). */
static int get_list(struct yfile *y, const yaml_node_t *n, const char *what,
		    yaml_node_item_t **ret_items, size_t *ret_n)
{
	if (node_is_null(n)) {
		*ret_items = NULL;
		*ret_n = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return node_err(y, n, "%s: expected a list, got %s", what, node_kind(n));
	*ret_items = n->data.sequence.items.start;
	*ret_n = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

struct key_handler {
	const char *key;
	int (*fn)(struct yfile *y, const char *path, const char *key, yaml_node_t *val);
};

/*
 * Checks that n is a mapping with string keys, no duplicates (libyaml does not check) and
 * only known keys, and calls each key's handler in file order.
 */
static int walk_map(struct yfile *y, yaml_node_t *n, const char *where, const struct key_handler *h,
		    size_t nh)
{
	yaml_node_pair_t *start, *end;

	if (node_is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return node_err(y, n, "%s: expected a mapping, got %s", where, node_kind(n));
	start = n->data.mapping.pairs.start;
	end = n->data.mapping.pairs.top;
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *k = node_get(y, pair->key), *v = node_get(y, pair->value);
		const struct key_handler *found = NULL;
		char path[128];
		int r;

		if (k->type != YAML_SCALAR_NODE)
			return node_err(y, k, "%s%skeys must be strings, got %s", where,
					*where ? ": " : "", node_kind(k));
		for (yaml_node_pair_t *q = start; q < pair; q++)
			if (strcmp(scalar(node_get(y, q->key)), scalar(k)) == 0) {
				yaml_node_t *prev = node_get(y, q->key);

				return node_err(y, k, "duplicate key '%s' (first at line %zu)",
						scalar(k), prev->start_mark.line + 1);
			}
		for (size_t i = 0; i < nh; i++)
			if (strcmp(h[i].key, scalar(k)) == 0)
				found = &h[i];
		if (!found) {
			if (*where)
				return node_err(y, k, "unknown key '%s' in %s", scalar(k), where);
			return node_err(y, k, "unknown key '%s'", scalar(k));
		}
		snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", found->key);
		r = found->fn(y, path, found->key, v);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Lists whose members exclude each other: a syscall is allowed, denied or killed; a path is
 * read-only, read-write, a tmpfs or denied. An item from a later file takes it away from
 * the other lists (the more specific profile wins); within one file it is an error.
 */
struct excl_group {
	struct ward_strv *v[4];
	const char *name[4];
};

/* Appends s (owned) to dst unless present; see struct excl_group. */
static int add_item(struct yfile *y, const yaml_node_t *n, struct ward_strv *dst,
		    const char *dst_name, const struct excl_group *g, char *s)
{
	_cleanup_free_ char *item = s;
	ssize_t at;

	for (size_t i = 0; g && i < ARRAY_SIZE(g->v) && g->v[i]; i++) {

		if (g->v[i] == dst)
			continue;
		at = strv_find(g->v[i], item);
		if (at < 0)
			continue;
		if (g->v[i]->v[at].loc.file == y->file)
			return node_err(y, n, "'%s' is in both %s and %s (line %d)", item, dst_name,
					g->name[i], g->v[i]->v[at].loc.line);
		strv_remove(g->v[i], (size_t)at);
	}
	at = strv_find(dst, item);
	if (at >= 0) {
		/* Keep the first position, but remember the latest file that asked for it: the
		 * same-file conflict check above depends on it. */
		dst->v[at].loc = node_loc(y, n);
		return 0;
	}
	return strv_push(dst, TAKE_PTR(item), node_loc(y, n));
}

/* -- top level scalars -- */

static int h_name(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	char *c;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	/* Name and description describe the file ward was asked for: never inherited. */
	if (!y->top)
		return 0;
	c = strdup(s);
	if (!c)
		return -ENOMEM;
	if (strcmp(key, "name") == 0) {
		free(y->p->name);
		y->p->name = c;
		y->l->name_set = true;
	} else {
		free(y->p->description);
		y->p->description = c;
	}
	return 0;
}

static int h_include(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return 0; /* applied before the other keys, see load_file() */
}

static int h_mode(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_mode */
	static const char *const names[] = {"enforce", "audit"};
	int i, r = get_enum(y, v, "mode", names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->mode = (enum ward_mode)i;
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} ns_names[] = {
	{"user", WARD_NS_USER},	    {"pid", WARD_NS_PID}, {"mount", WARD_NS_MOUNT},
	{"net", WARD_NS_NET},	    {"ipc", WARD_NS_IPC}, {"uts", WARD_NS_UTS},
	{"cgroup", WARD_NS_CGROUP},
};

/* namespaces is a set: a later file replaces it as a whole (it is not concatenated). */
static int h_namespaces(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *items;
	unsigned bits = 0;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		const char *s;
		bool ok = false;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		for (size_t j = 0; j < ARRAY_SIZE(ns_names); j++)
			if (strcmp(s, ns_names[j].name) == 0) {
				bits |= ns_names[j].bit;
				ok = true;
			}
		if (!ok)
			return node_err(
				y, it,
				"namespaces: unknown namespace '%s' (user, pid, mount, net, "
				"ipc, uts, cgroup)",
				s);
	}
	y->p->namespaces = bits;
	y->l->ns_loc = node_loc(y, v);
	return 0;
}

static int h_user_id(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	uint64_t id;
	/* (uid_t)-1 means "unchanged" to setresuid(2): not a usable identity. */
	int r = get_uint(y, v, path, UINT32_MAX - 1, &id);

	if (r < 0)
		return r;
	if (strcmp(key, "uid") == 0)
		y->p->uid = (uid_t)id;
	else
		y->p->gid = (gid_t)id;
	return 0;
}

static int h_user(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"uid", h_user_id}, {"gid", h_user_id}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

static int h_hostname(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	char *c;
	size_t l;
	int r;

	if (node_is_null(v)) {
		free(y->p->hostname);
		y->p->hostname = NULL; /* the sandbox id */
		return 0;
	}
	r = get_str(y, v, path, &s);
	if (r < 0)
		return r;
	/* RFC 1123 host name characters; the kernel's limit is 64 (__NEW_UTS_LEN). */
	l = strlen(s);
	if (l == 0 || l > 64 || s[0] == '-' || s[0] == '.' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != l)
		return node_err(y, v,
				"hostname: '%s' is not a host name (letters, digits, '-' and '.', "
				"at most 64)",
				s);
	c = strdup(s);
	if (!c)
		return -ENOMEM;
	free(y->p->hostname);
	y->p->hostname = c;
	return 0;
}

/* -- filesystem -- */

static int h_fs_list(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const struct excl_group g = {
		.v = {&p->fs_readonly, &p->fs_readwrite, &p->fs_tmpfs, &p->fs_deny},
		.name = {"filesystem.readonly", "filesystem.readwrite", "filesystem.tmpfs",
			 "filesystem.deny"},
	};
	struct ward_strv *dst;
	yaml_node_item_t *items;
	size_t n;
	int r;

	if (strcmp(key, "readonly") == 0)
		dst = &p->fs_readonly;
	else if (strcmp(key, "readwrite") == 0)
		dst = &p->fs_readwrite;
	else if (strcmp(key, "tmpfs") == 0)
		dst = &p->fs_tmpfs;
	else if (strcmp(key, "devices") == 0)
		dst = &p->fs_devices;
	else
		dst = &p->fs_deny;
	r = get_list(y, v, path, &items, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		const char *s, *why = "";
		char *norm;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		r = normalize_abs_path(s, &norm, &why);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return node_err(y, it, "%s: '%s' %s", path, s, why);
		if (dst == &p->fs_devices && strncmp(norm, "/dev/", 5) != 0) {
			free(norm);
			return node_err(y, it, "%s: '%s' is not under /dev", path, s);
		}
		r = add_item(y, it, dst, path, dst == &p->fs_devices ? NULL : &g, norm);
		if (r < 0)
			return r;
	}
	return 0;
}

static int h_filesystem(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"readonly", h_fs_list}, {"readwrite", h_fs_list}, {"tmpfs", h_fs_list},
		{"devices", h_fs_list},	 {"deny", h_fs_list},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- network -- */

static int h_net_mode(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_net_mode */
	static const char *const names[] = {"none", "loopback", "host"};
	int i, r = get_enum(y, v, "network.mode", names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->net_mode = (enum ward_net_mode)i;
	return 0;
}

static bool net_rule_eq(const struct ward_net_rule *a, const struct ward_net_rule *b)
{
	return a->op == b->op && a->family == b->family && a->prefixlen == b->prefixlen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi;
}

static int h_net_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	yaml_node_item_t *items;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]), *k, *val;
		struct ward_net_rule rule, *nr;
		const char *s;
		bool dup = false;

		if (it->type != YAML_MAPPING_NODE ||
		    it->data.mapping.pairs.top - it->data.mapping.pairs.start != 1)
			return node_err(y, it,
					"%s: each entry is one of {connect: ADDR:PORT}, {bind: "
					"ADDR:PORT} or {send: ADDR:PORT}",
					path);
		k = node_get(y, it->data.mapping.pairs.start->key);
		val = node_get(y, it->data.mapping.pairs.start->value);
		if (k->type != YAML_SCALAR_NODE || parse_net_op(scalar(k), &rule.op) < 0)
			return node_err(y, k, "%s: '%s' is not connect, bind or send", path,
					k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
		r = get_str(y, val, path, &s);
		if (r < 0)
			return r;
		r = ward_parse_net_rule(scalar(k), s, &rule);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return node_err(y, val,
					"%s: '%s' is not ADDR[/PREFIX]:PORT[-PORT] (IPv6 in "
					"brackets, '*' for any address or port; port 0 only for "
					"bind)",
					path, s);
		rule.loc = node_loc(y, val);
		for (size_t j = 0; j < p->n_net_allow; j++)
			dup |= net_rule_eq(&p->net_allow[j], &rule);
		if (dup) {
			free(rule.text);
			continue;
		}
		nr = reallocarray(p->net_allow, p->n_net_allow + 1, sizeof(*nr));
		if (!nr) {
			free(rule.text);
			return -ENOMEM;
		}
		p->net_allow = nr;
		p->net_allow[p->n_net_allow++] = rule;
	}
	return 0;
}

static int h_network(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"mode", h_net_mode}, {"allow", h_net_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- gpu -- */

static int h_gpu_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	yaml_node_item_t *items;
	size_t n;
	int r;

	if (v->type == YAML_SCALAR_NODE && !node_is_null(v)) {
		if (strcmp(scalar(v), "none") == 0) {
			p->gpu_all = false;
			p->n_gpus = 0;
		} else if (strcmp(scalar(v), "all") == 0) {
			p->gpu_all = true;
			p->n_gpus = 0;
		} else {
			return node_err(y, v, "%s: '%s' is not none, all or a list of indexes",
					path, scalar(v));
		}
		return 0;
	}
	r = get_list(y, v, path, &items, &n);
	if (r < 0)
		return r;
	p->gpu_all = false;
	p->n_gpus = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		uint64_t idx;
		bool dup = false;

		r = get_uint(y, it, path, WARD_GPU_MAX - 1, &idx);
		if (r < 0)
			return r;
		for (size_t j = 0; j < p->n_gpus; j++)
			dup |= p->gpus[j] == (int)idx;
		if (!dup)
			p->gpus[p->n_gpus++] = (int)idx;
	}
	return 0;
}

static int h_gpu(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"allow", h_gpu_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- exec -- */

static int h_exec_allow(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *items;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		const char *s;
		char *c;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		/* Patterns match the absolute path the exec monitor reports (fnmatch(3)). */
		if (s[0] != '/')
			return node_err(y, it, "%s: '%s' must be an absolute path or pattern", path,
					s);
		c = strdup(s);
		if (!c)
			return -ENOMEM;
		r = add_item(y, it, &y->p->exec_allow, path, NULL, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int h_exec(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"allow", h_exec_allow}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- syscalls -- */

static int h_sc_default(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	/* in the order of enum ward_sc_action */
	static const char *const names[] = {"deny", "allow", "kill"};
	int i, r = get_enum(y, v, path, names, ARRAY_SIZE(names), &i);

	if (r < 0)
		return r;
	y->p->sc_default = (enum ward_sc_action)i;
	return 0;
}

static int h_sc_list(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const struct excl_group g = {
		.v = {&p->sc_allow, &p->sc_deny, &p->sc_kill},
		.name = {"syscalls.allow", "syscalls.deny", "syscalls.kill"},
	};
	struct ward_strv *dst = strcmp(key, "allow") == 0  ? &p->sc_allow
				: strcmp(key, "deny") == 0 ? &p->sc_deny
							   : &p->sc_kill;
	yaml_node_item_t *items;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		const char *s;
		char *c;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		/*
		 * Unknown to libseccomp on every architecture: a typo. A name that exists only on
		 * other architectures resolves to a negative pseudo number and is accepted, so a
		 * profile can serve several; libseccomp ignores such rules on this one.
		 */
		if (seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR)
			return node_err(y, it, "%s: unknown system call '%s'", path, s);
		c = strdup(s);
		if (!c)
			return -ENOMEM;
		r = add_item(y, it, dst, path, &g, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int h_sc_import(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	_cleanup_free_ char *abs = NULL, *base = NULL;
	const char *s;
	int r;

	if (node_is_null(v)) {
		free(y->p->sc_import.s);
		y->p->sc_import = (struct ward_str){0};
		return 0;
	}
	r = get_str(y, v, path, &s);
	if (r < 0)
		return r;
	if (s[0] == '/') {
		abs = strdup(s);
	} else {
		/* Relative to the profile's directory, stored absolute so `ward check` output
		 * means the same thing from any working directory. */
		base = realpath(y->dir ? y->dir : ".", NULL);
		if (!base)
			return node_err(y, v, "%s: cannot resolve '%s': %m", path,
					y->dir ? y->dir : ".");
		if (asprintf(&abs, "%s/%s", base, s) < 0)
			abs = NULL;
	}
	if (!abs)
		return -ENOMEM;
	if (access(abs, R_OK) < 0)
		return node_err(y, v, "%s: cannot read '%s': %m", path, abs);
	free(y->p->sc_import.s);
	y->p->sc_import.s = TAKE_PTR(abs);
	y->p->sc_import.loc = node_loc(y, v);
	return 0;
}

static int h_syscalls(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"default", h_sc_default}, {"allow", h_sc_list},    {"deny", h_sc_list},
		{"kill", h_sc_list},	   {"import", h_sc_import},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- capabilities -- */

static int h_capabilities(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *items;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		cap_value_t cap;
		const char *s, *bare;
		char *canon;
		size_t l;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		bare = strncasecmp(s, "cap_", 4) == 0 ? s + 4 : s;
		l = strlen(bare);
		/* cap_from_name() also takes numbers; a profile must name the capability. */
		if (l == 0 ||
		    strspn(bare, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != l)
			return node_err(y, it, "%s: unknown capability '%s'", path, s);
		if (asprintf(&canon, "CAP_%s", bare) < 0)
			return -ENOMEM;
		for (char *c = canon; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (cap_from_name(canon, &cap) < 0) {
			free(canon);
			return node_err(y, it, "%s: unknown capability '%s'", path, s);
		}
		for (char *c = canon; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		r = add_item(y, it, &y->p->capabilities, path, NULL, canon);
		if (r < 0)
			return r;
	}
	return 0;
}

/* -- limits -- */

static int h_limit(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_profile *p = y->p;
	const char *s;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	if (strcmp(key, "memory") == 0) {
		if (ward_parse_size(s, &p->mem_max) < 0)
			return node_err(y, v, "%s: '%s' is not a size (like 512M, 2G, 1.5GiB)",
					path, s);
	} else if (strcmp(key, "wall") == 0 || strcmp(key, "grace") == 0) {
		uint64_t *dst = key[0] == 'w' ? &p->wall_ns : &p->grace_ns;

		if (ward_parse_duration(s, dst) < 0)
			return node_err(y, v, "%s: '%s' is not a duration (like 30s, 1h30m, 500ms)",
					path, s);
	} else if (strcmp(key, "cpu") == 0) {
		char *end;
		double d;

		errno = 0;
		d = strspn(s, "0123456789.") == strlen(s) ? strtod(s, &end) : (end = (char *)s, 0);
		/* 1 CPU = cpu.max "100000 100000"; a period can hold at most ~4096 CPUs' quota. */
		if (errno || end == s || *end || !isdigit((unsigned char)s[0]) || !isfinite(d) ||
		    d < 0 || d > 4096)
			return node_err(y, v, "%s: '%s' is not a number of CPUs (like 0.5, 2)",
					path, s);
		p->cpu_max = d;
	} else if (strcmp(key, "pids") == 0) {
		/* PID_MAX_LIMIT on 64-bit is 2^22 */
		return get_uint(y, v, path, 1U << 22, &p->pids_max);
	} else {
		/* fs.nr_open cannot go above 2^30 (sysctl_nr_open_max). */
		return get_uint(y, v, path, 1U << 30, &p->nofile);
	}
	return 0;
}

static int h_limits(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"memory", h_limit}, {"pids", h_limit}, {"cpu", h_limit},
		{"nofile", h_limit}, {"wall", h_limit}, {"grace", h_limit},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- events -- */

static int h_ev_sink(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	const char *s;
	char *c;
	int r = get_str(y, v, path, &s);

	if (r < 0)
		return r;
	if (strcmp(s, "stderr") != 0 && strcmp(s, "none") != 0 &&
	    !((strncmp(s, "file:", 5) == 0 || strncmp(s, "unix:", 5) == 0) && s[5] == '/'))
		return node_err(y, v, "%s: '%s' is not stderr, none, file:/PATH or unix:/PATH",
				path, s);
	c = strdup(s);
	if (!c)
		return -ENOMEM;
	free(y->p->sink);
	y->p->sink = c;
	return 0;
}

static int h_ev_bool(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	return get_bool(y, v, path,
			strcmp(key, "allowed") == 0 ? &y->p->events_allowed
						    : &y->p->require_collector);
}

static int h_events(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {
		{"sink", h_ev_sink},
		{"allowed", h_ev_bool},
		{"require_collector", h_ev_bool},
	};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

/* -- env -- */

static bool env_name_ok(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	       strlen(s);
}

static int h_env_pass(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *items;
	size_t n;
	int r = get_list(y, v, path, &items, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = node_get(y, items[i]);
		const char *s;
		char *c;

		r = get_str(y, it, path, &s);
		if (r < 0)
			return r;
		if (!env_name_ok(s))
			return node_err(y, it, "%s: '%s' is not a variable name", path, s);
		c = strdup(s);
		if (!c)
			return -ENOMEM;
		r = add_item(y, it, &y->p->env_pass, path, NULL, c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* env.set is a map: a later file's value for the same name replaces the earlier one. */
static int h_env_set(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	struct ward_strv *env = &y->p->env_set;
	yaml_node_pair_t *start, *end;

	if (node_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return node_err(y, v, "%s: expected a mapping of NAME: value, got %s", path,
				node_kind(v));
	start = v->data.mapping.pairs.start;
	end = v->data.mapping.pairs.top;
	for (yaml_node_pair_t *pair = start; pair < end; pair++) {
		yaml_node_t *k = node_get(y, pair->key), *val = node_get(y, pair->value);
		const char *name, *value;
		char *entry;
		size_t l;
		int r;

		if (k->type != YAML_SCALAR_NODE || !env_name_ok(scalar(k)))
			return node_err(y, k, "%s: '%s' is not a variable name", path,
					k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
		name = scalar(k);
		for (yaml_node_pair_t *q = start; q < pair; q++)
			if (strcmp(scalar(node_get(y, q->key)), name) == 0)
				return node_err(y, k, "duplicate key '%s' (first at line %zu)",
						name, node_get(y, q->key)->start_mark.line + 1);
		if (val->type != YAML_SCALAR_NODE)
			return node_err(y, val, "%s.%s: expected a string, got %s", path, name,
					node_kind(val));
		value = node_is_null(val) ? "" : scalar(val);
		if (asprintf(&entry, "%s=%s", name, value) < 0)
			return -ENOMEM;
		l = strlen(name) + 1;
		for (size_t i = 0; i < env->n; i++)
			if (strncmp(env->v[i].s, entry, l) == 0) {
				strv_remove(env, i);
				break;
			}
		r = strv_push(env, entry, node_loc(y, val));
		if (r < 0)
			return r;
	}
	return 0;
}

static int h_env(struct yfile *y, const char *path, const char *key, yaml_node_t *v)
{
	static const struct key_handler h[] = {{"pass", h_env_pass}, {"set", h_env_set}};

	return walk_map(y, v, path, h, ARRAY_SIZE(h));
}

static const struct key_handler top_keys[] = {
	{"name", h_name},
	{"description", h_name},
	{"mode", h_mode},
	{"include", h_include},
	{"namespaces", h_namespaces},
	{"user", h_user},
	{"hostname", h_hostname},
	{"filesystem", h_filesystem},
	{"network", h_network},
	{"gpu", h_gpu},
	{"exec", h_exec},
	{"syscalls", h_syscalls},
	{"capabilities", h_capabilities},
	{"limits", h_limits},
	{"events", h_events},
	{"env", h_env},
};

/* ---- lookup, includes and files -------------------------------------------------------------- */

static bool is_path(const char *s)
{
	size_t l = strlen(s);

	return strchr(s, '/') || (l > 5 && strcmp(s + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(s + l - 4, ".yml") == 0);
}

static char *path_join(const char *dir, const char *name)
{
	char *r;

	if (!dir || name[0] == '/' || strcmp(dir, ".") == 0)
		return strdup(name);
	if (asprintf(&r, "%s/%s", dir, name) < 0)
		return NULL;
	return r;
}

/*
 * Finds a profile: a path is taken as is (relative to dir first when dir is set); a bare
 * name is NAME.yaml in dir (when set), then in profile_dirs. -ENOENT if not found.
 */
static int find_profile(const char *name, const char *dir, char **ret)
{
	_cleanup_free_ char *c = NULL;
	const char *dirs[1 + ARRAY_SIZE(profile_dirs)];
	size_t nd = 0;

	if (is_path(name)) {
		if (dir && name[0] != '/') {
			c = path_join(dir, name);
			if (!c)
				return -ENOMEM;
			if (access(c, F_OK) == 0) {
				*ret = TAKE_PTR(c);
				return 0;
			}
			free(c);
		}
		c = strdup(name);
		if (!c)
			return -ENOMEM;
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (!*name || name[0] == '.')
		return -ENOENT;
	if (dir)
		dirs[nd++] = dir;
	for (size_t i = 0; i < ARRAY_SIZE(profile_dirs); i++)
		dirs[nd++] = profile_dirs[i];
	for (size_t i = 0; i < nd; i++) {
		free(c);
		if (asprintf(&c, "%s/%s.yaml", dirs[i], name) < 0) {
			c = NULL;
			return -ENOMEM;
		}
		if (strncmp(c, "./", 2) == 0)
			memmove(c, c + 2, strlen(c + 2) + 1);
		if (access(c, F_OK) == 0) {
			*ret = TAKE_PTR(c);
			return 0;
		}
	}
	return -ENOENT;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int read_all(int fd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= MAX_PROFILE_SIZE)
				return -EFBIG;
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int add_file(struct ward_profile *p, const char *name, const char **ret)
{
	char **n = reallocarray(p->files, p->n_files + 1, sizeof(*n));
	char *c;

	if (!n)
		return -ENOMEM;
	p->files = n;
	c = strdup(name);
	if (!c)
		return -ENOMEM;
	p->files[p->n_files++] = c;
	*ret = c;
	return 0;
}

static int load_file(struct loader *l, const char *path, const char *text,
		     const yaml_node_t *from_node, struct yfile *from);

static int apply_includes(struct yfile *y, yaml_node_t *root)
{
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_get(y, pair->key), *v = node_get(y, pair->value);
		yaml_node_item_t *items;
		size_t n;
		int r;

		if (k->type != YAML_SCALAR_NODE || strcmp(scalar(k), "include") != 0)
			continue;
		r = get_list(y, v, "include", &items, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			yaml_node_t *it = node_get(y, items[i]);
			_cleanup_free_ char *found = NULL;
			const char *s;

			r = get_str(y, it, "include", &s);
			if (r < 0)
				return r;
			r = find_profile(s, y->dir, &found);
			if (r == -ENOENT)
				return node_err(y, it,
						"include '%s': not found (looked for %s.yaml in "
						"%s%s%s, %s, %s)",
						s, s, y->dir ? y->dir : "", y->dir ? ", " : "",
						profile_dirs[0], profile_dirs[1], profile_dirs[2]);
			if (r < 0)
				return r;
			r = load_file(y->l, found, NULL, it, y);
			if (r < 0)
				return r;
		}
		break; /* a duplicate 'include' key is reported by walk_map() */
	}
	return 0;
}

/* Reports an include cycle: the chain from the repeated file to the include closing it. */
static int cycle_err(struct yfile *from, const yaml_node_t *at, size_t first, const char *path)
{
	struct loader *l = from->l;
	char chain[600] = "";
	size_t o = 0;

	for (size_t i = first; i < l->depth && o < sizeof(chain); i++)
		o += (size_t)snprintf(chain + o, sizeof(chain) - o, "%s -> ", l->stack[i].file);
	if (o < sizeof(chain))
		snprintf(chain + o, sizeof(chain) - o, "%s", path);
	return node_err(from, at, "include cycle: %s", chain);
}

/*
 * Reads one file (or the built-in text), applies its includes, then its own keys.
 * from/from_node: the including file and its include item, NULL for the top file.
 */
static int load_file(struct loader *l, const char *path, const char *text,
		     const yaml_node_t *from_node, struct yfile *from)
{
	struct yfile y = {.l = l, .p = l->p, .top = !from};
	_cleanup_free_ char *buf = NULL;
	struct file_id id = {0};
	yaml_parser_t parser;
	yaml_node_t *root;
	size_t len = 0;
	int r;

	if (!text) {
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			if (from)
				return node_err(from, from_node, "include '%s': %s", path,
						strerror(-r));
			return ward_error_set(l->err, r, "%s: %s", path, strerror(-r));
		}
		if (!S_ISREG(st.st_mode)) {
			if (from)
				return node_err(from, from_node, "include '%s': not a regular file",
						path);
			return ward_error_set(l->err, -EINVAL, "%s: not a regular file", path);
		}
		id = (struct file_id){st.st_dev, st.st_ino};
		for (size_t i = 0; i < l->depth; i++)
			if (l->stack[i].id.dev == id.dev && l->stack[i].id.ino == id.ino)
				return cycle_err(from, from_node, i, path);
		for (size_t i = 0; i < l->n_done; i++)
			if (l->done[i].dev == id.dev && l->done[i].ino == id.ino)
				return 0; /* applied already (diamond) */
		r = read_all(fd, &buf, &len);
		if (r < 0)
			return ward_error_set(l->err, r, "%s: %s", path,
					      r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		text = buf;
	} else {
		len = strlen(text);
	}
	if (l->depth >= MAX_INCLUDE_DEPTH)
		return node_err(from, from_node, "includes nested more than %d deep",
				MAX_INCLUDE_DEPTH);

	r = add_file(l->p, path, &y.file);
	if (r < 0)
		return r;
	if (!buf) {
		y.dir = NULL; /* built in: includes and imports resolve as from the cwd */
	} else {
		y.dir = dir_of(path);
		if (!y.dir)
			return -ENOMEM;
	}

	if (!yaml_parser_initialize(&parser)) {
		free(y.dir);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &y.doc)) {
		r = ward_error_set(
			l->err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s%s%s%s", y.file,
			parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "unknown", parser.context ? " (" : "",
			parser.context ? parser.context : "", parser.context ? ")" : "");
		yaml_parser_delete(&parser);
		free(y.dir);
		return r;
	}
	root = yaml_document_get_root_node(&y.doc);
	if (!root) {
		r = ward_error_set(l->err, -EINVAL, "%s:1:1: empty profile", y.file);
		goto out;
	}
	{
		/* A second document would be silently ignored: refuse it. */
		yaml_document_t next;

		if (!yaml_parser_load(&parser, &next)) {
			r = ward_error_set(l->err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s",
					   y.file, parser.problem_mark.line + 1,
					   parser.problem_mark.column + 1,
					   parser.problem ? parser.problem : "unknown");
			goto out;
		}
		if (yaml_document_get_root_node(&next)) {
			r = ward_error_set(l->err, -EINVAL,
					   "%s:%zu:%zu: only one YAML document is allowed", y.file,
					   next.start_mark.line + 1, next.start_mark.column + 1);
			yaml_document_delete(&next);
			goto out;
		}
		yaml_document_delete(&next);
	}
	if (root->type != YAML_MAPPING_NODE) {
		r = node_err(&y, root, "a profile is a mapping of keys, got %s", node_kind(root));
		goto out;
	}

	l->stack[l->depth].id = id;
	l->stack[l->depth].file = y.file;
	l->depth++;
	r = apply_includes(&y, root);
	l->depth--;
	if (r < 0)
		goto out;

	r = walk_map(&y, root, "", top_keys, ARRAY_SIZE(top_keys));
	if (r < 0)
		goto out;
	if (buf) {
		struct file_id *d = reallocarray(l->done, l->n_done + 1, sizeof(*d));

		if (!d) {
			r = -ENOMEM;
			goto out;
		}
		l->done = d;
		l->done[l->n_done++] = id;
	}
	r = 0;
out:
	yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	free(y.dir);
	return r;
}

/* Checks that need the merged result. */
static int finish(struct loader *l, const char *top)
{
	struct ward_profile *p = l->p;

	/* With the host network there is nothing to unshare; keep the struct consistent. */
	if (p->net_mode == WARD_NET_HOST)
		p->namespaces &= ~(unsigned)WARD_NS_NET;
	else if (!(p->namespaces & WARD_NS_NET))
		return ward_error_set(l->err, -EINVAL,
				      "%s:%d:%d: namespaces: 'net' is required unless "
				      "network.mode is host",
				      l->ns_loc.file ? l->ns_loc.file : top, l->ns_loc.line,
				      l->ns_loc.col);
	if (!l->name_set) {
		/* profiles/python-cpu.yaml -> python-cpu */
		const char *b = strrchr(top, '/');
		size_t n;

		b = b ? b + 1 : top;
		n = strlen(b);
		if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
			n -= 5;
		else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
			n -= 4;
		free(p->name);
		p->name = strndup(b, n);
		if (!p->name)
			return -ENOMEM;
	}
	return 0;
}

static int load(const char *path, const char *text, struct ward_profile **ret,
		struct ward_error *err)
{
	_cleanup_profile_ struct ward_profile *p = profile_new();
	struct loader l = {.err = err};
	int r;

	if (!p)
		return -ENOMEM;
	l.p = p;
	r = load_file(&l, path, text, NULL, NULL);
	free(l.done);
	if (r < 0)
		return r;
	r = finish(&l, path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int ward_profile_load(const char *name_or_path, struct ward_profile **ret, struct ward_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (!name_or_path || !*name_or_path)
		return ward_error_set(err, -EINVAL, "no profile name given");
	r = find_profile(name_or_path, NULL, &path);
	if (r == -ENOENT)
		return ward_error_set(err, r,
				      "profile '%s' not found (looked for %s.yaml in %s, %s, %s)",
				      name_or_path, name_or_path, profile_dirs[0], profile_dirs[1],
				      profile_dirs[2]);
	if (r < 0)
		return r;
	return load(path, NULL, ret, err);
}

int ward_profile_load_default(struct ward_profile **ret, struct ward_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r = find_profile("default", NULL, &path);

	if (r == -ENOENT)
		return load(BUILTIN_FILE, builtin_default, ret, err);
	if (r < 0)
		return r;
	return load(path, NULL, ret, err);
}
