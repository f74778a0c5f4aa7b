// SPDX-License-Identifier: MIT
/*
 * Reads the learning run's events (docs/events.md) into sets of observations. The reader is
 * deliberately lenient about what it does not know: an unknown kind, field, op or action is
 * counted (rec->unknown) and skipped, never an error, so that events grown by later versions
 * (new file ops, a `layer` field, a `kill` action) still learn what they can.
 *
 * What needs an entry: in audit mode the monitors judge every access against the base's
 * enforce-mode view and mark what that view would not allow with "violation": true. Those are
 * the file and device accesses we learn; the rest the base already allows. Every syscall event
 * is a call the base does not allow. Exec and network events are all recorded, violation or
 * not: exec.allow and network.allow list every program and endpoint, not only the new ones.
 */
#include "common/hash.h"
#include "common/log.h"
#include "common/macro.h"
#include "learn/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- the set ---------------------------------------------------------------------------- */

static int set_grow(struct learn_set *s)
{
	if (s->n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct learn_obs *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 > s->tab_cap) {
		size_t cap = s->tab_cap ? s->tab_cap * 2 : 128;
		uint32_t *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < s->n; i++) {
			uint64_t h = ward_fnv1a(s->v[i].key, strlen(s->v[i].key));
			size_t k = h & (cap - 1);
			while (t[k])
				k = (k + 1) & (cap - 1);
			t[k] = (uint32_t)i + 1;
		}
		free(s->tab);
		s->tab = t;
		s->tab_cap = cap;
	}
	return 0;
}

static size_t set_slot(const struct learn_set *s, const char *key)
{
	uint64_t h = ward_fnv1a(key, strlen(key));
	size_t k = h & (s->tab_cap - 1);

	while (s->tab[k] && strcmp(s->v[s->tab[k] - 1].key, key))
		k = (k + 1) & (s->tab_cap - 1);
	return k;
}

struct learn_obs *learn_set_find(const struct learn_set *s, const char *key)
{
	if (!s->tab_cap)
		return NULL;
	size_t k = set_slot(s, key);
	return s->tab[k] ? &s->v[s->tab[k] - 1] : NULL;
}

struct learn_obs *learn_set_get(struct learn_set *s, const char *key, bool *ret_new)
{
	struct learn_obs *o = learn_set_find(s, key);

	*ret_new = false;
	if (o)
		return o;
	if (set_grow(s) < 0)
		return NULL;
	o = &s->v[s->n];
	memset(o, 0, sizeof(*o));
	o->key = strdup(key);
	if (!o->key)
		return NULL;
	s->tab[set_slot(s, key)] = (uint32_t)s->n + 1;
	s->n++;
	*ret_new = true;
	return o;
}

void learn_set_free(struct learn_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].comm);
		free(s->v[i].first);
		free(s->v[i].detail);
		free(s->v[i].order);
	}
	free(s->v);
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

void learn_record_free(struct learn_record *rec)
{
	learn_set_free(&rec->files);
	learn_set_free(&rec->execs);
	learn_set_free(&rec->syscalls);
	learn_set_free(&rec->net);
	learn_set_free(&rec->gpus);
	learn_set_free(&rec->pids);
}

/* ---- one event -------------------------------------------------------------------------- */

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool boolean(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static int64_t integer(json_t *o, const char *k, int64_t dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* Counts one sighting; the first one names the program, the first path and the time. */
static struct learn_obs *see(struct learn_set *s, const char *key, json_t *ev, const char *first,
			     const char *detail)
{
	bool fresh;
	struct learn_obs *o = learn_set_get(s, key, &fresh);
	const char *time = str(ev, "time");

	if (!o)
		return NULL;
	o->count++;
	/* earliest by the kernel's time of the access (seq is the order of reporting) */
	if (fresh || (time && o->order && strcmp(time, o->order) < 0)) {
		const char *comm = str(ev, "comm");
		free(o->comm);
		free(o->first);
		free(o->detail);
		free(o->order);
		o->comm = strdup(comm ? comm : "?");
		o->first = first ? strdup(first) : NULL;
		o->detail = detail ? strdup(detail) : NULL;
		o->order = strdup(time ? time : "");
	}
	return o;
}

static const char *const write_ops[] = {"creat", "truncate", "unlink", "rename", "mkdir",
					"link",	 "symlink",  "rmdir",  "mknod"};
static const char *const create_ops[] = {"creat", "unlink",  "rename", "mkdir",
					 "link",  "symlink", "rmdir",  "mknod"};

static bool in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

static int one_path(struct learn_record *rec, json_t *ev, const char *path, bool write, bool create,
		    int flags)
{
	const char *rule = str(ev, "rule");
	const char *err = str(ev, "errno");
	int64_t ret = integer(ev, "ret", 0);
	struct learn_obs *o;

	if (!path || path[0] != '/' || boolean(ev, "path_unresolved"))
		return 0;
	o = see(&rec->files, path, ev, path, NULL);
	if (!o)
		return -ENOMEM;
	o->bits |= write ? LEARN_WRITE : LEARN_READ;
	if (create)
		o->bits |= LEARN_CREATE;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		o->bits |= LEARN_EXCL;
	if (flags & O_DIRECTORY)
		o->bits |= LEARN_LISTED;
	if (rule && !strncmp(rule, "filesystem.deny", 15))
		o->bits |= LEARN_DENIED;
	if (!strncmp(path, "/dev/", 5))
		o->bits |= LEARN_DEVICE;
	/* ENOENT for a read: the host has no such path. A write's ENOENT means a missing parent,
	 * which is absent too. */
	if (ret < 0 && err && (!strcmp(err, "ENOENT") || !strcmp(err, "ENOTDIR")))
		o->bits |= LEARN_ABSENT;
	else
		o->bits |= LEARN_PRESENT;
	return 0;
}

static int on_file(struct learn_record *rec, json_t *ev)
{
	const char *op = str(ev, "op");
	const char *path = str(ev, "path");
	int flags = (int)integer(ev, "flags", 0);
	int64_t ret = integer(ev, "ret", -1);
	bool write = boolean(ev, "write") || in_list(op, write_ops, ARRAY_SIZE(write_ops));
	bool create =
		in_list(op, create_ops, ARRAY_SIZE(create_ops)) || (write && (flags & O_CREAT));
	int r;

	if (op && !strcmp(op, "open") && ret >= 0 && ret > rec->max_fd)
		rec->max_fd = ret;
	if (!boolean(ev, "violation"))
		return 0;
	r = one_path(rec, ev, path, write, create, flags);
	/* rename and link: the second name is created too */
	if (r >= 0 && str(ev, "path2"))
		r = one_path(rec, ev, str(ev, "path2"), true, true, 0);
	return r;
}

static int on_exec(struct learn_record *rec, json_t *ev)
{
	const char *path = str(ev, "path");
	json_t *argv = json_object_get(ev, "argv");
	const char *a0 = json_is_array(argv) ? json_string_value(json_array_get(argv, 0)) : NULL;

	if (!path || integer(ev, "ret", -1) != 0)
		return 0; /* a failed exec (a PATH search) needs nothing */
	return see(&rec->execs, path, ev, path, a0) ? 0 : -ENOMEM;
}

static int on_syscall(struct learn_record *rec, json_t *ev)
{
	const char *name = str(ev, "syscall");
	const char *rule = str(ev, "rule");
	json_t *args = json_object_get(ev, "args");
	char detail[160] = "";
	struct learn_obs *o;

	if (!name || !strcmp(name, "unknown"))
		return 0;
	for (size_t i = 0; json_is_array(args) && i < 3 && i < json_array_size(args); i++) {
		const char *a = json_string_value(json_array_get(args, i));
		size_t l = strlen(detail);
		/* flags, families and requests are small; addresses differ from run to run
		 * (ASLR) and would make two learnings of one workload differ */
		unsigned long long v = a ? strtoull(a, NULL, 16) : 0;
		bool addr = v >= 0x100000 && v < 0xffffffff00000000ull && v != 0xffffffffull;
		snprintf(detail + l, sizeof(detail) - l, "%s%s", i ? ", " : "",
			 !a	? "?"
			 : addr ? "(address)"
				: a);
	}
	o = see(&rec->syscalls, name, ev, NULL, detail);
	if (!o)
		return -ENOMEM;
	if (rule && !strncmp(rule, "syscalls.kill", 13))
		o->bits |= LEARN_KILL;
	return 0;
}

static int on_net(struct learn_record *rec, json_t *ev)
{
	const char *op = str(ev, "op"), *fam = str(ev, "family"), *addr = str(ev, "addr");
	char key[256];

	if (!op || !fam || !addr)
		return 0;
	if (!strcmp(fam, "unix")) {
		/* a socket path connected to: it must be visible; a failed attempt reached
		 * nothing. Abstract names cannot be listed in a profile. */
		if (boolean(ev, "abstract") || integer(ev, "ret", -1) < 0 || addr[0] != '/')
			return 0;
		int r = one_path(rec, ev, addr, false, false, 0);
		struct learn_obs *o = learn_set_find(&rec->files, addr);
		if (o)
			o->bits |= LEARN_UNIX;
		return r;
	}
	const char *proto = str(ev, "proto");
	snprintf(key, sizeof(key), "%s %s %s %" PRId64, op, fam, addr, integer(ev, "port", 0));
	return see(&rec->net, key, ev, NULL, proto ? proto : "?") ? 0 : -ENOMEM;
}

static int on_device(struct learn_record *rec, json_t *ev)
{
	const char *cls = str(ev, "class"), *path = str(ev, "path");
	int64_t gpu = integer(ev, "gpu", -1);
	char key[32];

	if (cls && !strcmp(cls, "gpu") && gpu >= 0) {
		const char *vendor = str(ev, "vendor");
		snprintf(key, sizeof(key), "%" PRId64, gpu);
		return see(&rec->gpus, key, ev, path, vendor ? vendor : "") ? 0 : -ENOMEM;
	}
	if (!boolean(ev, "violation") || !path)
		return 0;
	int r = one_path(rec, ev, path, false, false, 0);
	struct learn_obs *o = learn_set_find(&rec->files, path);
	if (o)
		o->bits |= LEARN_DEVICE;
	return r;
}

static void on_lifecycle(struct learn_record *rec, json_t *ev)
{
	const char *what = str(ev, "event");
	json_t *me;

	if (!what)
		return;
	if (!strcmp(what, "start"))
		rec->have_start = true;
	if (strcmp(what, "exit"))
		return;
	rec->have_exit = true;
	rec->exit_code = (int)integer(ev, "exit_code", -1);
	rec->sink_dropped = (uint64_t)integer(ev, "sink_dropped", 0);
	me = json_object_get(ev, "monitor_events");
	if (json_is_object(me))
		rec->monitor_lost = (uint64_t)integer(me, "lost", 0);
}

static int one_event(struct learn_record *rec, json_t *ev)
{
	const char *kind = str(ev, "kind");
	int64_t pid = integer(ev, "pid", -1);
	char pbuf[24];
	bool fresh;

	if (!kind)
		return rec->unknown++, 0;
	if (pid > 0 && strcmp(kind, "lifecycle")) {
		snprintf(pbuf, sizeof(pbuf), "%" PRId64, pid);
		if (!learn_set_get(&rec->pids, pbuf, &fresh))
			return -ENOMEM;
	}
	if (!strcmp(kind, "file"))
		return on_file(rec, ev);
	if (!strcmp(kind, "exec"))
		return on_exec(rec, ev);
	if (!strcmp(kind, "syscall"))
		return on_syscall(rec, ev);
	if (!strcmp(kind, "net"))
		return on_net(rec, ev);
	if (!strcmp(kind, "device"))
		return on_device(rec, ev);
	if (!strcmp(kind, "lifecycle")) {
		on_lifecycle(rec, ev);
		return 0;
	}
	if (!strcmp(kind, "loss")) {
		rec->loss_events++;
		rec->lost += (uint64_t)integer(ev, "lost", 1);
		return 0;
	}
	rec->unknown++;
	return 0;
}

int learn_record_read(const char *path, struct learn_record *rec, struct ward_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	rec->max_fd = -1;
	if (!f)
		return ward_error_set(err, -errno, "reading the learning run's events %s: %m",
				      path);
	while ((n = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *ev = json_loadb(line, (size_t)n, 0, &jerr);
		int r;

		rec->events++;
		if (!json_is_object(ev)) {
			/* a torn line is a lost event as far as learning goes */
			json_decref(ev);
			rec->unknown++;
			rec->lost++;
			continue;
		}
		r = one_event(rec, ev);
		json_decref(ev);
		if (r < 0)
			return ward_error_set(err, r, "reading events: out of memory");
	}
	return 0;
}
