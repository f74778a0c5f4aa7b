// SPDX-License-Identifier: MIT
/*
 * The learned profile: a small document model (header, name, include, block lists, scalars,
 * the user's own blocks), built from a run's observations (learn_build) or read back from a
 * file learn wrote (merge.c), and written sorted so the same findings give the same bytes.
 *
 * Every item is one line with its provenance: "    - /sys/devices/system/cpu  # python3: 9x,
 * first /sys/devices/system/cpu/possible". Dangerous grants carry "# REVIEW: why" instead, and
 * main.c lists them on stderr.
 */
#include "common/log.h"
#include "common/macro.h"
#include "common/path.h"
#include "learn/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the document ----------------------------------------------------------------------- */

/* The order of blocks and keys in the output; anything else sorts after, by name. */
static const char *const block_order[] = {"filesystem", "network",  "gpu",
					  "exec",	"syscalls", "env"};
static const char *const key_order[] = {"mode",	 "default", "readonly", "readwrite",
					"tmpfs", "devices", "deny",	"allow",
					"kill",	 "pass",    "set"};

static size_t rank(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return i;
	return n;
}

static int cmp_rank(const char *a, const char *b, const char *const *v, size_t n)
{
	size_t ra = rank(a, v, n), rb = rank(b, v, n);
	return ra != rb ? (ra > rb) - (ra < rb) : strcmp(a, b);
}

struct learn_list *learn_doc_list(struct learn_doc *d, const char *block, const char *key)
{
	for (size_t i = 0; i < d->n_lists; i++)
		if (!strcmp(d->lists[i].block, block) && !strcmp(d->lists[i].key, key))
			return &d->lists[i];
	struct learn_list *v = realloc(d->lists, (d->n_lists + 1) * sizeof(*v));
	if (!v)
		return NULL;
	d->lists = v;
	struct learn_list *l = &v[d->n_lists];
	memset(l, 0, sizeof(*l));
	l->block = strdup(block);
	l->key = strdup(key);
	if (!l->block || !l->key)
		return NULL;
	d->n_lists++;
	return l;
}

int learn_doc_add(struct learn_doc *d, const char *block, const char *key, const char *item_key,
		  const char *line, bool review)
{
	struct learn_list *l = learn_doc_list(d, block, key);

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, item_key))
			return 0; /* kept as the user (or an earlier run) wrote it */
	struct learn_item *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	memset(&v[l->n], 0, sizeof(v[l->n]));
	v[l->n].key = strdup(item_key);
	v[l->n].line = strdup(line);
	v[l->n].review = review;
	if (!v[l->n].key || !v[l->n].line)
		return -ENOMEM;
	l->n++;
	return 1;
}

static int push_line(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

int learn_doc_header(struct learn_doc *d, const char *line)
{
	for (size_t i = 0; i < d->n_header; i++)
		if (!strcmp(d->header[i], line))
			return 0;
	return push_line(&d->header, &d->n_header, line);
}

const char *learn_doc_scalar(const struct learn_doc *d, const char *block, const char *key)
{
	size_t bl = strlen(block), kl = strlen(key);

	for (size_t i = 0; i < d->n_scalars; i++) {
		const char *s = d->scalars[i];
		if (!strncmp(s, block, bl) && s[bl] == '.' && !strncmp(s + bl + 1, key, kl) &&
		    s[bl + 1 + kl] == '=')
			return s + bl + kl + 2;
	}
	return NULL;
}

int learn_doc_set_scalar(struct learn_doc *d, const char *block, const char *key, const char *value)
{
	char buf[1024];

	if (learn_doc_scalar(d, block, key))
		return 0; /* the existing value stays */
	snprintf(buf, sizeof(buf), "%s.%s=%s", block, key, value);
	return push_line(&d->scalars, &d->n_scalars, buf);
}

void learn_doc_free(struct learn_doc *d)
{
	for (size_t i = 0; i < d->n_header; i++)
		free(d->header[i]);
	free(d->header);
	free(d->name);
	free(d->description);
	free(d->include);
	for (size_t i = 0; i < d->n_lists; i++) {
		struct learn_list *l = &d->lists[i];
		for (size_t j = 0; j < l->n; j++) {
			free(l->v[j].key);
			free(l->v[j].line);
			for (size_t k = 0; k < l->v[j].n_pre; k++)
				free(l->v[j].pre[k]);
			free(l->v[j].pre);
		}
		free(l->v);
		free(l->block);
		free(l->key);
	}
	free(d->lists);
	for (size_t i = 0; i < d->n_scalars; i++)
		free(d->scalars[i]);
	free(d->scalars);
	for (size_t i = 0; i < d->n_extra; i++)
		free(d->extra[i]);
	free(d->extra);
	memset(d, 0, sizeof(*d));
}

void learn_yaml_scalar(const char *s, char *out, size_t len)
{
	bool plain = s[0] && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]);
	size_t o = 0;

	for (const char *p = s; plain && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._+-=@~^", *p)))
			plain = false;
	if (plain) {
		snprintf(out, len, "%s", s);
		return;
	}
	if (len < 3) {
		if (len)
			out[0] = 0;
		return;
	}
	out[o++] = '"';
	for (const char *p = s; *p && o + 5 < len; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = 0;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct learn_item *)a)->key, ((const struct learn_item *)b)->key);
}

static void size_text(uint64_t bytes, char *out, size_t len)
{
	uint64_t m = bytes >> 20;

	if (m >= 1024 && m % 1024 == 0)
		snprintf(out, len, "%" PRIu64 "G", m / 1024);
	else
		snprintf(out, len, "%" PRIu64 "M", m);
}

/* One scalar or list of the output, for sorting them together. */
struct part {
	char block[64], key[64];
	const char *value;	    /* a scalar's value */
	const struct learn_list *l; /* or a list */
};

static int cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;
	int c = cmp_rank(x->block, y->block, block_order, ARRAY_SIZE(block_order));

	return c ? c : cmp_rank(x->key, y->key, key_order, ARRAY_SIZE(key_order));
}

int learn_doc_write(const struct learn_doc *d, FILE *f)
{
	_cleanup_free_ struct part *parts = calloc(d->n_lists + d->n_scalars + 1, sizeof(*parts));
	size_t n = 0;

	if (!parts)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_header; i++)
		fprintf(f, "%s\n", d->header[i]);
	if (d->name)
		fprintf(f, "name: %s\n", d->name);
	if (d->description)
		fprintf(f, "description: %s\n", d->description);
	if (d->include)
		fprintf(f, "include: %s\n", d->include);
	for (size_t i = 0; i < d->n_scalars; i++) {
		struct part *p = &parts[n++];
		const char *eq = strchr(d->scalars[i], '=');

		sscanf(d->scalars[i], "%63[^.].%63[^=]", p->block, p->key);
		p->value = eq ? eq + 1 : "";
	}
	for (size_t i = 0; i < d->n_lists; i++) {
		if (!d->lists[i].n)
			continue;
		struct part *p = &parts[n++];
		qsort(d->lists[i].v, d->lists[i].n, sizeof(struct learn_item), cmp_item);
		snprintf(p->block, sizeof(p->block), "%s", d->lists[i].block);
		snprintf(p->key, sizeof(p->key), "%s", d->lists[i].key);
		p->l = &d->lists[i];
	}
	qsort(parts, n, sizeof(*parts), cmp_part);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(parts[i].block, parts[i - 1].block))
			fprintf(f, "%s:\n", parts[i].block);
		if (!parts[i].l) {
			fprintf(f, "  %s: %s\n", parts[i].key, parts[i].value);
			continue;
		}
		fprintf(f, "  %s:\n", parts[i].key);
		for (size_t j = 0; j < parts[i].l->n; j++) {
			const struct learn_item *it = &parts[i].l->v[j];
			for (size_t k = 0; k < it->n_pre; k++)
				fprintf(f, "%s\n", it->pre[k]);
			fprintf(f, "%s\n", it->line);
		}
	}
	for (size_t i = 0; i < d->n_extra; i++)
		fprintf(f, "%s\n", d->extra[i]);
	if (!d->has_limits_block && (d->lim_memory || d->lim_pids || d->lim_nofile)) {
		char mem[32];
		size_text(d->lim_memory, mem, sizeof(mem));
		fprintf(f,
			"# Limits suggested by the learning run: twice the peak seen, rounded up "
			"to a power of two\n# (memory: the larger of the biggest process's RSS and "
			"the cgroup's peak). Uncomment to apply.\n");
		fprintf(f, "# limits: {memory: %s, pids: %" PRIu64 ", nofile: %" PRIu64 "}\n", mem,
			d->lim_pids, d->lim_nofile);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- from observations to entries ------------------------------------------------------- */

struct build {
	struct learn_doc *d;
	const struct learn_opts *o;
	const struct learn_record *rec;
	int added;
};

__attribute__((format(printf, 6, 7))) static int add(struct build *b, const char *block,
						     const char *key, const char *item_key,
						     bool review, const char *fmt, ...)
{
	char line[4096], value[1024], comment[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(comment, sizeof(comment), fmt, ap);
	va_end(ap);
	if (!strcmp(key, "set")) {
		snprintf(value, sizeof(value), "%s", item_key); /* already "NAME: value" */
		snprintf(line, sizeof(line), "    %-40s  # %s", value, comment);
	} else if (!strcmp(key, "allow") && !strcmp(block, "network")) {
		snprintf(line, sizeof(line), "    - %-38s  # %s", item_key, comment);
	} else {
		learn_yaml_scalar(item_key, value, sizeof(value));
		snprintf(line, sizeof(line), "    - %-38s  # %s", value, comment);
	}
	int r = learn_doc_add(b->d, block, key, item_key, line, review);
	if (r > 0)
		b->added++;
	return r < 0 ? r : 0;
}

static void provenance(const struct learn_obs *o, const char *entry, char *out, size_t len)
{
	if (o->first && entry && strcmp(o->first, entry))
		snprintf(out, len, "%s: %" PRIu64 "x, first %s", o->comm, o->count, o->first);
	else
		snprintf(out, len, "%s: %" PRIu64 "x", o->comm, o->count);
}

static bool under_bind(const struct learn_opts *o, const char *path)
{
	for (size_t i = 0; i < o->n_binds; i++)
		if (ward_path_under(path, o->binds[i].dst))
			return true;
	return false;
}

static bool host_has(const char *dir, const char *name, void *data)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* The host path of an in-sandbox path: the audit view is the host's root plus the binds. */
static void host_path(const struct learn_opts *o, const char *path, char *out, size_t len)
{
	for (size_t i = o->n_binds; i-- > 0;)
		if (ward_path_under(path, o->binds[i].dst)) {
			snprintf(out, len, "%s%s", o->binds[i].src, path + strlen(o->binds[i].dst));
			return;
		}
	snprintf(out, len, "%s", path);
}

static char *parent_dup(const char *p)
{
	char *d = strdup(p), *s = d ? strrchr(d, '/') : NULL;

	if (s && s != d)
		*s = 0;
	else if (s)
		s[1] = 0;
	return d;
}

struct wdir {
	char *path;
	const struct learn_obs *o;
	bool tmpfs;
};

static int add_wdir(struct wdir **v, size_t *n, const char *path, const struct learn_obs *o,
		    bool tmpfs)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].path, path)) {
			(*v)[i].tmpfs = (*v)[i].tmpfs && tmpfs;
			return 0;
		}
	struct wdir *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = (struct wdir){.path = strdup(path), .o = o, .tmpfs = tmpfs};
	if (!nv[*n].path)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int build_files(struct build *b)
{
	const struct learn_set *fs = &b->rec->files;
	_cleanup_free_ struct learn_path_in *in = calloc(fs->n + 1, sizeof(*in));
	struct wdir *w = NULL;
	size_t nin = 0, nw = 0;
	char prov[1200];
	int r = 0;

	if (!in)
		return -ENOMEM;
	/* writes first: what they make writable also covers reads below it */
	for (size_t i = 0; i < fs->n && r >= 0; i++) {
		const struct learn_obs *o = &fs->v[i];
		char dir[4096];

		if (o->bits & (LEARN_DENIED | LEARN_DEVICE | LEARN_UNIX) ||
		    under_bind(b->o, o->key) || !(o->bits & (LEARN_WRITE | LEARN_CREATE)))
			continue;
		if (learn_tmp_parent(o->key, (o->bits & LEARN_EXCL) ? O_CREAT | O_EXCL : 0, dir,
				     sizeof(dir)))
			r = add_wdir(&w, &nw, dir, o, true);
		else if (o->bits & LEARN_CREATE) {
			_cleanup_free_ char *p = parent_dup(o->key);
			r = p ? add_wdir(&w, &nw, p, o, false) : -ENOMEM;
		} else if (o->bits & LEARN_PRESENT)
			r = add_wdir(&w, &nw, o->key, o, false);
	}
	/* a tmpfs hides what the host has there: a directory the run also read host files
	 * from must stay the host's, writable */
	for (size_t i = 0; i < fs->n; i++) {
		const struct learn_obs *o = &fs->v[i];
		if ((o->bits & (LEARN_WRITE | LEARN_CREATE)) || !(o->bits & LEARN_PRESENT))
			continue;
		for (size_t k = 0; k < nw; k++)
			if (w[k].tmpfs && ward_path_under(o->key, w[k].path) &&
			    strcmp(o->key, w[k].path))
				w[k].tmpfs = false;
	}
	for (size_t k = 0; k < nw && r >= 0; k++) {
		const struct learn_obs *o = w[k].o;
		provenance(o, w[k].path, prov, sizeof(prov));
		if (learn_is_protected(w[k].path)) {
			ward_log_warning(
				"learn: not granted: writing in %s (%s); point the program "
				"at a writable place (a tmpfs, HOME=/tmp)",
				w[k].path, prov);
			continue;
		}
		if (w[k].tmpfs)
			r = add(b, "filesystem", "tmpfs", w[k].path, false, "%s; temporary names",
				prov);
		else
			r = add(b, "filesystem", "readwrite", w[k].path, true,
				"REVIEW: write outside a tmpfs; %s", prov);
	}

	for (size_t i = 0; i < fs->n && r >= 0; i++) {
		const struct learn_obs *o = &fs->v[i];
		bool covered = false;

		for (size_t k = 0; k < nw && !covered; k++)
			covered = ward_path_under(o->key, w[k].path) &&
				  !learn_is_protected(w[k].path);
		if (covered || under_bind(b->o, o->key))
			continue;
		if (o->bits & LEARN_DENIED) {
			provenance(o, NULL, prov, sizeof(prov));
			ward_log_warning(
				"learn: not granted: %s is under the base's filesystem.deny "
				"(%s)",
				o->key, prov);
			continue;
		}
		if (o->bits & (LEARN_WRITE | LEARN_CREATE))
			continue; /* a protected directory, warned about above */
		if (o->bits & LEARN_DEVICE) {
			if (!strncmp(o->key, "/dev/shm/", 9) || !strncmp(o->key, "/dev/pts/", 9))
				continue; /* ward's own /dev has them */
			provenance(o, o->key, prov, sizeof(prov));
			r = add(b, "filesystem", "devices", o->key, false, "%s", prov);
			continue;
		}
		if (o->bits & LEARN_UNIX) {
			provenance(o, o->key, prov, sizeof(prov));
			r = add(b, "filesystem", "readonly", o->key, true,
				"REVIEW: connect to a host unix socket; %s", prov);
			continue;
		}
		in[nin++] = (struct learn_path_in){
			.path = o->key,
			.listed = o->bits & LEARN_LISTED,
			.absent = (o->bits & LEARN_ABSENT) && !(o->bits & LEARN_PRESENT),
			.count = o->count,
			.order = i,
		};
	}
	for (size_t k = 0; k < nw; k++)
		free(w[k].path);
	free(w);
	if (r < 0)
		return r;

	struct learn_path_out *out = NULL;
	size_t nout = 0;
	struct learn_host host = {.has = host_has};
	r = learn_collapse(in, nin, &host, &out, &nout);
	for (size_t i = 0; i < nout && r >= 0; i++) {
		const struct learn_obs *o = &fs->v[in[out[i].first].order];
		char c[1400];

		if (out[i].n_paths > 1)
			snprintf(c, sizeof(c), "%s: %" PRIu64 "x in %zu paths, first %s", o->comm,
				 out[i].count, out[i].n_paths, o->key);
		else
			provenance(o, out[i].path, c, sizeof(c));
		if (out[i].absent)
			r = add(b, "filesystem", "readonly", out[i].path, false,
				"absent on the host, listed so the probe is not reported; %s", c);
		else if (out[i].wholesale) {
			ward_log_warning("learn: %s is granted as a whole: the run listed it (%s)",
					 out[i].path, c);
			r = add(b, "filesystem", "readonly", out[i].path, true,
				"REVIEW: the whole of %s, the run listed it; %s", out[i].path, c);
		} else
			r = add(b, "filesystem", "readonly", out[i].path, false, "%s", c);
	}
	learn_path_out_free(out, nout);
	return r;
}

static const char *const shells[] = {"sh",  "bash", "dash", "zsh",     "ksh",
				     "csh", "tcsh", "fish", "busybox", "mksh"};

static bool is_shell(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
		if (!strcmp(b, shells[i]))
			return true;
	return false;
}

/* The #! interpreter of a script, read on the host. */
static bool script_interpreter(const struct learn_opts *o, const char *path, char *out, size_t len)
{
	char hp[4096], buf[256];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	host_path(o, path, hp, sizeof(hp));
	fd = open(hp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 3 || buf[0] != '#' || buf[1] != '!')
		return false;
	buf[n] = 0;
	char *s = buf + 2;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strcspn(s, " \t\r\n");
	if (l == 0 || s[0] != '/' || l >= len)
		return false;
	memcpy(out, s, l);
	out[l] = 0;
	return true;
}

static int build_exec(struct build *b)
{
	const struct learn_set *ex = &b->rec->execs;
	char prov[1200], interp[256];
	int r = 0;

	for (size_t i = 0; i < ex->n && r >= 0; i++) {
		const struct learn_obs *o = &ex->v[i];

		provenance(o, o->key, prov, sizeof(prov));
		if (is_shell(o->key))
			r = add(b, "exec", "allow", o->key, true, "REVIEW: a shell; %s", prov);
		else
			r = add(b, "exec", "allow", o->key, false, "%s", prov);
		if (r >= 0 && script_interpreter(b->o, o->key, interp, sizeof(interp))) {
			if (is_shell(interp))
				r = add(b, "exec", "allow", interp, true,
					"REVIEW: a shell; the interpreter of %s", o->key);
			else
				r = add(b, "exec", "allow", interp, false, "the interpreter of %s",
					o->key);
		}
	}
	return r;
}

/* Calls that let a process act on others or on the system (docs/learn.md, "Review"). */
static const char *const dangerous_syscalls[] = {"ptrace",
						 "process_vm_readv",
						 "process_vm_writev",
						 "bpf",
						 "perf_event_open",
						 "mount",
						 "umount",
						 "umount2",
						 "pivot_root",
						 "chroot",
						 "move_mount",
						 "open_tree",
						 "fsopen",
						 "fsmount",
						 "fsconfig",
						 "fspick",
						 "mount_setattr",
						 "unshare",
						 "setns",
						 "keyctl",
						 "add_key",
						 "request_key",
						 "userfaultfd",
						 "kcmp",
						 "io_uring_setup",
						 "io_uring_enter",
						 "io_uring_register",
						 "init_module",
						 "finit_module",
						 "delete_module",
						 "kexec_load",
						 "kexec_file_load",
						 "reboot",
						 "swapon",
						 "swapoff"};

static int build_syscalls(struct build *b)
{
	const struct learn_set *s = &b->rec->syscalls;
	char prov[1200];
	int r = 0;

	for (size_t i = 0; i < s->n && r >= 0; i++) {
		const struct learn_obs *o = &s->v[i];
		bool danger = o->bits & LEARN_KILL;

		for (size_t k = 0; k < ARRAY_SIZE(dangerous_syscalls) && !danger; k++)
			danger = !strcmp(o->key, dangerous_syscalls[k]);
		snprintf(prov, sizeof(prov), "%s: %" PRIu64 "x, first args %s", o->comm, o->count,
			 o->detail ? o->detail : "?");
		if (danger)
			r = add(b, "syscalls", "allow", o->key, true, "REVIEW: %s%s; %s",
				(o->bits & LEARN_KILL) ? "on the base's kill list, " : "",
				"acts beyond the process", prov);
		else
			r = add(b, "syscalls", "allow", o->key, false, "%s", prov);
	}
	return r;
}

static bool loopback(const char *fam, const char *addr)
{
	if (!strcmp(fam, "inet6"))
		return !strcmp(addr, "::1") || !strncmp(addr, "::ffff:127.", 11);
	return !strncmp(addr, "127.", 4);
}

static int build_net(struct build *b)
{
	const struct learn_set *s = &b->rec->net;
	bool outbound = false;
	int r = 0;

	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->v[i].key, "bind ", 5))
			outbound = true;
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		const struct learn_obs *o = &s->v[i];
		char op[16], fam[16], addr[128], entry[256];
		unsigned port;

		if (sscanf(o->key, "%15s %15s %127s %u", op, fam, addr, &port) != 4)
			continue;
		if (!strcmp(fam, "inet6"))
			snprintf(entry, sizeof(entry), "{%s: \"[%s]:%u\"}", op, addr, port);
		else
			snprintf(entry, sizeof(entry), "{%s: %s:%u}", op, addr, port);
		bool bind = !strcmp(op, "bind");
		if (!bind && !loopback(fam, addr))
			r = add(b, "network", "allow", entry, true,
				"REVIEW: %s to a non-loopback address; %s: %" PRIu64 "x, %s", op,
				o->comm, o->count, o->detail);
		else if (bind && !outbound)
			r = add(b, "network", "allow", entry, false,
				"inbound-only server (bind, no connect or send); %s: %" PRIu64
				"x, %s",
				o->comm, o->count, o->detail);
		else
			r = add(b, "network", "allow", entry, false, "%s: %" PRIu64 "x, %s",
				o->comm, o->count, o->detail);
	}
	if (r >= 0 && b->o->net)
		r = learn_doc_set_scalar(b->d, "network", "mode", b->o->net);
	if (s->n && (!b->o->net || strcmp(b->o->net, "host")))
		ward_log_warning("learn: the run used the network, but only --net host reaches "
				 "addresses outside the sandbox (this run: --net %s; the entries "
				 "apply to the sandbox's own network)",
				 b->o->net ? b->o->net : "as the base");
	return r;
}

static int build_gpu_env(struct build *b)
{
	const struct learn_set *g = &b->rec->gpus;
	int r = 0;

	for (size_t i = 0; i < g->n && r >= 0; i++)
		r = add(b, "gpu", "allow", g->v[i].key, true,
			"REVIEW: a GPU (%s%s%s); %s: %" PRIu64 "x",
			g->v[i].detail && *g->v[i].detail ? g->v[i].detail : "vendor unknown",
			g->v[i].first ? ", " : "", g->v[i].first ? g->v[i].first : "", g->v[i].comm,
			g->v[i].count);
	for (size_t i = 0; i < b->o->n_env_set && r >= 0; i++) {
		const char *eq = strchr(b->o->env_set[i], '=');
		char name[256], val[1024], item[1400];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - b->o->env_set[i]),
			 b->o->env_set[i]);
		learn_yaml_scalar(eq + 1, val, sizeof(val));
		if (!val[0])
			snprintf(val, sizeof(val), "\"\"");
		snprintf(item, sizeof(item), "%s: %s", name, val);
		/* the key is the name, so a later value does not add a second line */
		struct learn_list *l = learn_doc_list(b->d, "env", "set");
		bool have = false;
		for (size_t k = 0; l && k < l->n; k++)
			have = have || (!strncmp(l->v[k].key, name, strlen(name)) &&
					l->v[k].key[strlen(name)] == ':');
		if (!have)
			r = add(b, "env", "set", item, false, "--env at learn time");
	}
	for (size_t i = 0; i < b->o->n_env_pass && r >= 0; i++)
		r = add(b, "env", "pass", b->o->env_pass[i], false, "--env at learn time");
	return r;
}

static uint64_t pow2_at_least(uint64_t v, uint64_t min)
{
	uint64_t p = min;

	while (p < v && p < (1ull << 62))
		p <<= 1;
	return p;
}

static void build_limits(struct build *b, const struct learn_run *run)
{
	uint64_t mem = run->maxrss_kb * 1024;
	uint64_t pids = b->rec->pids.n;

	if (run->cg_mem_peak > mem)
		mem = run->cg_mem_peak;
	if (run->cg_pids_peak > pids)
		pids = run->cg_pids_peak;
	mem = pow2_at_least(mem * 2, 64ull << 20);
	pids = pow2_at_least(pids * 2, 16);
	uint64_t nofile = pow2_at_least((uint64_t)(b->rec->max_fd + 1) * 2, 64);
	if (mem > b->d->lim_memory)
		b->d->lim_memory = mem;
	if (pids > b->d->lim_pids)
		b->d->lim_pids = pids;
	if (nofile > b->d->lim_nofile)
		b->d->lim_nofile = nofile;
}

int learn_build(struct learn_doc *d, const struct learn_record *rec, const struct learn_run *run,
		const struct learn_opts *o, struct ward_error *err)
{
	struct build b = {.d = d, .o = o, .rec = rec};
	int r;

	r = build_files(&b);
	if (r >= 0)
		r = build_exec(&b);
	if (r >= 0)
		r = build_syscalls(&b);
	if (r >= 0)
		r = build_net(&b);
	if (r >= 0)
		r = build_gpu_env(&b);
	if (r < 0)
		return ward_error_set(err, r, "building the profile: %s", strerror(-r));
	build_limits(&b, run);
	return b.added;
}
