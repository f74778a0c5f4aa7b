// SPDX-License-Identifier: MIT
/*
 * syscalls.import: reads an OCI runtime-spec / Docker seccomp profile (JSON) into a list of
 * native-architecture rules that seccomp.c merges into the sandbox's filter.
 *
 * Format (runtime-spec config-linux.md "Seccomp", moby profiles/seccomp/default.json):
 *   defaultAction, defaultErrnoRet, architectures | archMap, syscalls[]: names (or legacy
 *   name), action, errnoRet, args[] {index, value, valueTwo, op}, includes/excludes
 *   {arches, caps, minKernel}. Unknown top-level keys (flags, listenerPath, ...) are ignored.
 *
 * Only the native architecture is kept: ward builds a native-only filter and kills every other
 * ABI (seccomp.c). Names unknown here are counted and skipped: Docker's profile lists syscalls
 * of kernels and architectures newer or other than this one.
 */
#include "common/macro.h"
#include "common/util.h"
#include "profile/oci.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#if defined(__x86_64__) && !defined(__ILP32__)
static const char *const native_arch_names[] = {"amd64", "x86_64", "SCMP_ARCH_X86_64"};
#elif defined(__aarch64__)
static const char *const native_arch_names[] = {"arm64", "aarch64", "SCMP_ARCH_AARCH64"};
#elif defined(__i386__)
static const char *const native_arch_names[] = {"386", "x86", "i386", "SCMP_ARCH_X86"};
#elif defined(__riscv) && __riscv_xlen == 64
static const char *const native_arch_names[] = {"riscv64", "SCMP_ARCH_RISCV64"};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static const char *const native_arch_names[] = {"ppc64le", "SCMP_ARCH_PPC64LE"};
#elif defined(__s390x__)
static const char *const native_arch_names[] = {"s390x", "SCMP_ARCH_S390X"};
#else
#error "ward: add this architecture's OCI/Go names to oci.c"
#endif

static const struct {
	const char *name;
	uint32_t act; /* SCMP_ACT_ERRNO / TRACE take the errno (data) later */
} actions[] = {
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
	{"SCMP_ACT_KILL", SCMP_ACT_KILL},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},
	{"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},
	{"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

int ward_oci_parse_action(const char *s, int errno_ret, uint32_t *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(s, actions[i].name))
			continue;
		if (actions[i].act == (uint32_t)SCMP_ACT_ERRNO(0))
			*ret = SCMP_ACT_ERRNO((uint32_t)errno_ret & 0xffff);
		else if (actions[i].act == (uint32_t)SCMP_ACT_TRACE(0))
			*ret = SCMP_ACT_TRACE((uint32_t)errno_ret & 0xffff);
		else
			*ret = actions[i].act;
		return 0;
	}
	return -EINVAL;
}

void ward_oci_free(struct ward_oci_profile *o)
{
	if (!o)
		return;
	free(o->file);
	free(o->rules);
	free(o);
}

static void oci_freep(struct ward_oci_profile **o)
{
	ward_oci_free(*o);
}

/* "6.18.44-fc" or "4.8" -> 6018 / 4008; -EINVAL if it does not start with N.N */
static int parse_kernel_version(const char *s, unsigned *ret)
{
	unsigned major, minor;

	if (sscanf(s, "%u.%u", &major, &minor) != 2 || minor >= 1000)
		return -EINVAL;
	*ret = major * 1000 + minor;
	return 0;
}

static bool is_native_arch(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(native_arch_names); i++)
		if (!strcmp(name, native_arch_names[i]))
			return true;
	return false;
}

static bool has_cap(const struct ward_strv *caps, const char *name)
{
	/* Docker writes "CAP_SYS_ADMIN"; accept "sys_admin" too. */
	const char *bare = strncasecmp(name, "CAP_", 4) ? name : name + 4;

	for (size_t i = 0; caps && i < caps->n; i++) {
		const char *c = caps->v[i].s;

		if (!strncasecmp(c, "CAP_", 4))
			c += 4;
		if (!strcasecmp(c, bare))
			return true;
	}
	return false;
}

struct oci_ctx {
	const char *path;
	const struct ward_strv *caps;
	unsigned kernel; /* major * 1000 + minor */
	struct ward_error *err;
};

static int check_string_array(struct oci_ctx *c, json_t *a, const char *what)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return ward_error_set(c->err, -EINVAL, "%s: %s: expected an array of strings",
				      c->path, what);
	json_array_foreach(a, i, v) if (!json_is_string(v)) return ward_error_set(
		c->err, -EINVAL, "%s: %s[%zu]: expected a string", c->path, what, i);
	return 0;
}

/* Evaluates includes (want == true) or excludes (want == false): returns 1 when the entry
 * applies to this sandbox, 0 when it is filtered out, -EINVAL on schema errors. */
static int eval_filter(struct oci_ctx *c, json_t *obj, bool includes, const char *where)
{
	char what[96];
	json_t *arches, *caps, *mk, *v;
	size_t i;
	int r;

	if (!obj || json_is_null(obj))
		return 1;
	if (!json_is_object(obj))
		return ward_error_set(c->err, -EINVAL, "%s: %s: expected an object", c->path,
				      where);

	arches = json_object_get(obj, "arches");
	if (arches && !json_is_null(arches)) {
		bool native = false;

		snprintf(what, sizeof(what), "%s.arches", where);
		r = check_string_array(c, arches, what);
		if (r < 0)
			return r;
		json_array_foreach(arches, i, v) native =
			native || is_native_arch(json_string_value(v));
		/* includes: only on the listed arches; excludes: never on them. */
		if (json_array_size(arches) > 0 && native != includes)
			return 0;
	}

	caps = json_object_get(obj, "caps");
	if (caps && !json_is_null(caps)) {
		snprintf(what, sizeof(what), "%s.caps", where);
		r = check_string_array(c, caps, what);
		if (r < 0)
			return r;
		/* moby: includes needs every cap listed; excludes drops the entry if any is held.
		 */
		json_array_foreach(caps, i, v)
		{
			bool held = has_cap(c->caps, json_string_value(v));

			if (includes && !held)
				return 0;
			if (!includes && held)
				return 0;
		}
	}

	mk = json_object_get(obj, "minKernel");
	if (mk && !json_is_null(mk)) {
		unsigned want;

		if (!json_is_string(mk) || parse_kernel_version(json_string_value(mk), &want) < 0)
			return ward_error_set(
				c->err, -EINVAL,
				"%s: %s.minKernel: expected a version such as \"4.8\"", c->path,
				where);
		if (includes && c->kernel < want)
			return 0;
		if (!includes && c->kernel >= want)
			return 0;
	}
	return 1;
}

static int get_u64(struct oci_ctx *c, json_t *o, const char *key, bool required, uint64_t *ret,
		   const char *where)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			return ward_error_set(c->err, -EINVAL, "%s: %s.%s: missing", c->path, where,
					      key);
		*ret = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return ward_error_set(c->err, -EINVAL, "%s: %s.%s: expected an integer", c->path,
				      where, key);
	/* Negative values are how some generators write ~0: keep the bit pattern. */
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_args(struct oci_ctx *c, json_t *args, struct ward_oci_rule *tmpl,
		      const char *where)
{
	char w[96];
	size_t i;
	json_t *a;
	int r;

	if (!args || json_is_null(args))
		return 0;
	if (!json_is_array(args))
		return ward_error_set(c->err, -EINVAL, "%s: %s.args: expected an array", c->path,
				      where);
	if (json_array_size(args) > WARD_OCI_MAX_ARGS)
		return ward_error_set(c->err, -EINVAL, "%s: %s.args: more than %d comparisons",
				      c->path, where, WARD_OCI_MAX_ARGS);
	json_array_foreach(args, i, a)
	{
		struct ward_oci_cond *cond = &tmpl->conds[i];
		json_t *op;
		uint64_t index;
		size_t k;

		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (!json_is_object(a))
			return ward_error_set(c->err, -EINVAL, "%s: %s: expected an object",
					      c->path, w);
		r = get_u64(c, a, "index", true, &index, w);
		if (r < 0)
			return r;
		if (index > 5)
			return ward_error_set(c->err, -EINVAL, "%s: %s.index: %llu is not 0..5",
					      c->path, w, (unsigned long long)index);
		cond->arg = (unsigned)index;
		r = get_u64(c, a, "value", true, &cond->value, w);
		if (r < 0)
			return r;
		r = get_u64(c, a, "valueTwo", false, &cond->value_two, w);
		if (r < 0)
			return r;
		op = json_object_get(a, "op");
		if (!json_is_string(op))
			return ward_error_set(c->err, -EINVAL,
					      "%s: %s.op: expected a string such as "
					      "\"SCMP_CMP_EQ\"",
					      c->path, w);
		for (k = 0; k < ARRAY_SIZE(ops); k++)
			if (!strcmp(json_string_value(op), ops[k].name))
				break;
		if (k == ARRAY_SIZE(ops))
			return ward_error_set(c->err, -EINVAL, "%s: %s.op: unknown operator '%s'",
					      c->path, w, json_string_value(op));
		cond->op = ops[k].op;
	}
	tmpl->n_conds = json_array_size(args);
	return 0;
}

static int add_rule(struct ward_oci_profile *o, size_t *cap, const struct ward_oci_rule *r)
{
	if (o->n_rules == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct ward_oci_rule *v = reallocarray(o->rules, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->rules = v;
		*cap = n;
	}
	o->rules[o->n_rules++] = *r;
	return 0;
}

static int parse_entry(struct oci_ctx *c, json_t *e, size_t idx, int default_errno,
		       struct ward_oci_profile *o, size_t *cap)
{
	struct ward_oci_rule tmpl = {0};
	char where[64];
	json_t *names, *name, *action, *eret, *v;
	int errno_ret = default_errno;
	size_t i;
	int r;

	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (!json_is_object(e))
		return ward_error_set(c->err, -EINVAL, "%s: %s: expected an object", c->path,
				      where);

	action = json_object_get(e, "action");
	if (!json_is_string(action))
		return ward_error_set(c->err, -EINVAL,
				      "%s: %s.action: expected a string such as "
				      "\"SCMP_ACT_ALLOW\"",
				      c->path, where);
	eret = json_object_get(e, "errnoRet");
	if (eret && !json_is_null(eret)) {
		if (!json_is_integer(eret) || json_integer_value(eret) < 0 ||
		    json_integer_value(eret) > 4095)
			return ward_error_set(c->err, -EINVAL,
					      "%s: %s.errnoRet: expected an errno "
					      "number",
					      c->path, where);
		errno_ret = (int)json_integer_value(eret);
	}
	r = ward_oci_parse_action(json_string_value(action), errno_ret, &tmpl.scmp_action);
	if (r < 0)
		return ward_error_set(c->err, r, "%s: %s.action: unknown action '%s'", c->path,
				      where, json_string_value(action));
	/* LOG lets the syscall run; everything else stops it: ward reports it (seccomp notify)
	 * and answers EPERM, so imported ERRNO/KILL/TRAP/TRACE become reported denials. */
	tmpl.action = (tmpl.scmp_action == SCMP_ACT_ALLOW || tmpl.scmp_action == SCMP_ACT_LOG)
			      ? WARD_SC_ALLOW
			      : WARD_SC_DENY;

	names = json_object_get(e, "names");
	name = json_object_get(e, "name");
	if (names && !json_is_null(names)) {
		char w[80];

		snprintf(w, sizeof(w), "%s.names", where);
		r = check_string_array(c, names, w);
		if (r < 0)
			return r;
	} else if (name && !json_is_null(name)) {
		if (!json_is_string(name))
			return ward_error_set(c->err, -EINVAL, "%s: %s.name: expected a string",
					      c->path, where);
	} else {
		return ward_error_set(c->err, -EINVAL, "%s: %s: no \"names\"", c->path, where);
	}

	r = parse_args(c, json_object_get(e, "args"), &tmpl, where);
	if (r < 0)
		return r;

	snprintf(where + strlen(where), sizeof(where) - strlen(where), ".includes");
	r = eval_filter(c, json_object_get(e, "includes"), true, where);
	if (r < 0)
		return r;
	if (r > 0) {
		snprintf(where, sizeof(where), "syscalls[%zu].excludes", idx);
		r = eval_filter(c, json_object_get(e, "excludes"), false, where);
		if (r < 0)
			return r;
	}
	if (r == 0) {
		o->n_excluded++;
		return 0;
	}

	/* One rule per name: a single-name legacy entry is an array of one. */
	for (i = 0; i < (names && json_is_array(names) ? json_array_size(names) : 1); i++) {
		const char *n;
		int nr;

		v = names && json_is_array(names) ? json_array_get(names, i) : name;
		n = json_string_value(v);
		nr = seccomp_syscall_resolve_name(n);
		/* Negative: unknown, or a pseudo number for a syscall of other architectures. */
		if (nr < 0) {
			o->n_unknown++;
			continue;
		}
		tmpl.nr = nr;
		r = add_rule(o, cap, &tmpl);
		if (r < 0)
			return ward_error_set(c->err, r, "%s: out of memory", c->path);
	}
	return 0;
}

/* Larger than any real seccomp profile (Docker's is 20 KB). */
#define MAX_OCI_SIZE (16 << 20)

static int open_regular(const char *path, int *ret_fd)
{
	/* O_NONBLOCK and fstat before any read: a FIFO would otherwise block the open, and
	 * jansson's json_load_file() opens with plain fopen(). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int ward_oci_check_file(const char *path)
{
	_cleanup_close_ int fd = -1;

	return open_regular(path, &fd);
}

int ward_oci_load(const char *path, const struct ward_strv *caps, struct ward_oci_profile **ret,
		  struct ward_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	ssize_t n;
	int r = open_regular(path, &fd);

	if (r == -EINVAL)
		return ward_error_set(err, r, "%s: not a regular file", path);
	if (r < 0)
		return ward_error_set(err, r, "%s: %s", path, strerror(-r));
	buf = malloc(MAX_OCI_SIZE);
	if (!buf)
		return -ENOMEM;
	n = ward_read_full(fd, buf, MAX_OCI_SIZE);
	if (n < 0)
		return ward_error_set(err, (int)n, "%s: %s", path,
				      n == -EFBIG ? "larger than 16 MiB" : strerror((int)-n));
	return ward_oci_load_buffer(path, buf, (size_t)n, caps, ret, err);
}

int ward_oci_load_buffer(const char *path, const char *buf, size_t len,
			 const struct ward_strv *caps, struct ward_oci_profile **ret,
			 struct ward_error *err)
{
	_cleanup_(oci_freep) struct ward_oci_profile *o = NULL;
	json_auto_t *root = NULL;
	struct oci_ctx c = {.path = path, .caps = caps, .err = err};
	json_t *def, *derr, *arches, *archmap, *syscalls, *e;
	json_error_t jerr;
	struct utsname u;
	int default_errno = EPERM;
	size_t i, cap = 0;
	int r;

	if (uname(&u) < 0)
		return ward_error_set(err, -errno, "uname: %m");
	if (parse_kernel_version(u.release, &c.kernel) < 0)
		c.kernel = 0;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		return ward_error_set(err, -EINVAL, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				      jerr.text);
	}
	if (!json_is_object(root))
		return ward_error_set(err, -EINVAL, "%s: expected a JSON object at the top", path);

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->file = strdup(path);
	if (!o->file)
		return -ENOMEM;

	derr = json_object_get(root, "defaultErrnoRet");
	if (derr && !json_is_null(derr)) {
		if (!json_is_integer(derr) || json_integer_value(derr) < 0 ||
		    json_integer_value(derr) > 4095)
			return ward_error_set(err, -EINVAL,
					      "%s: defaultErrnoRet: expected an errno number",
					      path);
		default_errno = (int)json_integer_value(derr);
	}
	def = json_object_get(root, "defaultAction");
	if (!json_is_string(def))
		return ward_error_set(err, -EINVAL,
				      "%s: defaultAction: expected a string such as "
				      "\"SCMP_ACT_ERRNO\"",
				      path);
	r = ward_oci_parse_action(json_string_value(def), default_errno, &o->default_action);
	if (r < 0)
		return ward_error_set(err, r, "%s: defaultAction: unknown action '%s'", path,
				      json_string_value(def));

	/* Architectures are checked for shape only: the filter is native-only by design. */
	arches = json_object_get(root, "architectures");
	if (arches && !json_is_null(arches)) {
		r = check_string_array(&c, arches, "architectures");
		if (r < 0)
			return r;
	}
	archmap = json_object_get(root, "archMap");
	if (archmap && !json_is_null(archmap)) {
		if (!json_is_array(archmap))
			return ward_error_set(err, -EINVAL, "%s: archMap: expected an array", path);
		json_array_foreach(archmap, i, e)
		{
			if (!json_is_object(e) ||
			    !json_is_string(json_object_get(e, "architecture")))
				return ward_error_set(err, -EINVAL,
						      "%s: archMap[%zu]: expected "
						      "{\"architecture\": ...}",
						      path, i);
		}
	}

	syscalls = json_object_get(root, "syscalls");
	if (syscalls && !json_is_null(syscalls)) {
		if (!json_is_array(syscalls))
			return ward_error_set(err, -EINVAL, "%s: syscalls: expected an array",
					      path);
		json_array_foreach(syscalls, i, e)
		{
			r = parse_entry(&c, e, i, default_errno, o, &cap);
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(o);
	return 0;
}
