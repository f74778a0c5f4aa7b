// SPDX-License-Identifier: MIT
/*
 * Ring buffer records -> JSON events (kinds file, exec, net, device), the consumer side of the
 * ring (poll, loss events, the exit event's counters). The record handlers run in the ring
 * buffer callback, so they check sizes first, copy, and only format: no blocking calls except a
 * readlink of /proc/<pid>/fd/N in the rare case the kernel could not walk a dirfd. The one
 * record that needs more (an abstract unix name refused in the sandbox's network namespace:
 * does the host have it? a scan of /proc/net/unix) is copied and judged after the callback.
 */
#include "common/hooks.h"
#include "common/macro.h"
#include "common/util.h"
#include "common/ns.h"
#include "common/syscall.h"
#include "monitor/internal.h"

#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const char *const fop_names[] = {
	[WARD_FOP_OPEN] = "open",
	[WARD_FOP_CREAT] = "creat",
	[WARD_FOP_TRUNCATE] = "truncate",
	[WARD_FOP_UNLINK] = "unlink",
	[WARD_FOP_RENAME] = "rename",
	[WARD_FOP_MKDIR] = "mkdir",
	[WARD_FOP_LINK] = "link",
	[WARD_FOP_SYMLINK] = "symlink",
	[WARD_FOP_HANDLE] = "name_to_handle",
	[WARD_FOP_EXEC] = "exec",
	[WARD_FOP_STAT] = "stat",
	[WARD_FOP_ACCESS] = "access",
	[WARD_FOP_READLINK] = "readlink",
	[WARD_FOP_GETXATTR] = "getxattr",
	[WARD_FOP_CHDIR] = "chdir",
};

/*
 * The layer that most likely refused an access that failed with EACCES, EPERM or EROFS (see
 * "Every refusal is an event" in the design): looked up through /proc/<pid>/root, so the mount
 * flags and modes are the sandbox's. want: 'r', 'w' or 'x'.
 */
static const char *refusal_layer(const struct ward_monitor *m, pid_t pid, const char *path, int err,
				 char want)
{
	char p[PATH_MAX + 32];
	struct statvfs vfs;
	struct stat st;
	bool have_st, have_vfs;

	if (err == EROFS)
		return "read-only mount";
	if (strncmp(path, "/memfd:", 7) == 0)
		return "memfd_noexec";
	snprintf(p, sizeof(p), "/proc/%d/root%s", pid, path);
	have_st = stat(p, &st) == 0;
	if (!have_st && m->init_pid > 0) {
		/* the process is gone by now (records come in batches): same view from init */
		snprintf(p, sizeof(p), "/proc/%d/root%s", m->init_pid, path);
		have_st = stat(p, &st) == 0;
	}
	have_vfs = statvfs(p, &vfs) == 0;
	if (have_st && have_vfs) {
		if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && (vfs.f_flag & ST_NODEV))
			return "nodev";
		if (want == 'x' && (vfs.f_flag & ST_NOEXEC))
			return "noexec";
		if (want == 'w' && (vfs.f_flag & ST_RDONLY))
			return "read-only mount";
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			if (err == EPERM)
				return "cgroup filter";
		mode_t bits = st.st_uid == m->p->uid   ? (st.st_mode >> 6) & 7
			      : st.st_gid == m->p->gid ? (st.st_mode >> 3) & 7
						       : st.st_mode & 7;
		mode_t need = want == 'w' ? 2 : want == 'x' ? 1 : 4;
		if (!(bits & need))
			return "DAC";
	}
	if (m->p->mode == WARD_MODE_AUDIT)
		return err == EPERM ? "seccomp" : "DAC";
	return "landlock";
}

void ward_monitor_comm_copy(char dst[17], const char src[16])
{
	memcpy(dst, src, 16);
	dst[16] = 0;
}

/* "lib\0usr\0" (leaf first, from the BPF dentry walk) -> "/usr/lib". */
static int base_from_components(const char *c, size_t len, char *out, size_t out_len)
{
	const char *parts[64];
	size_t n = 0, o = 0;

	for (size_t i = 0; i < len && n < ARRAY_SIZE(parts);) {
		size_t l = strnlen(c + i, len - i);

		if (l == 0)
			break;
		parts[n++] = c + i;
		i += l + 1;
	}
	out[0] = '/';
	out[1] = 0;
	for (size_t i = n; i-- > 0;) {
		size_t l = strnlen(parts[i], len - (parts[i] - c));

		if (o + 1 + l + 1 > out_len)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, parts[i], l);
		o += l;
		out[o] = 0;
	}
	return 0;
}

/* Fallback when the kernel walk could not reach the task's root: /proc/<pid>/cwd or fd/N. Read
 * from the supervisor (outside the sandbox) this gives the path within the sandbox's mount
 * namespace, since the sandbox's root is the root of that namespace after pivot_root. */
static int base_from_proc(pid_t pid, int dfd, char *out, size_t out_len)
{
	char link[64];
	ssize_t n;

	if (dfd == -100)
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dfd);
	n = readlink(link, out, out_len - 1);
	if (n < 0)
		return -errno;
	out[n] = 0;
	return out[0] == '/' ? 0 : -ENOENT;
}

static const char *action_for(const struct ward_monitor *m, bool violation, bool failed)
{
	if (!violation)
		return "allow";
	if (m->p->mode == WARD_MODE_AUDIT)
		return "audit";
	return failed ? "deny" : "allow";
}

void ward_monitor_result_fields(struct ward_json *j, int64_t ret)
{
	ward_json_int(j, "ret", ret);
	if (ret < 0) {
		const char *name = strerrorname_np(-ret);

		ward_json_str(j, "errno", name ? name : "E?");
	}
}

/* "list: path" + tail, cut to n - 1 bytes like snprintf (which was a twentieth of the
 * supervisor's time in a burst of file events). */
static void rule_join(char *buf, size_t n, const char *list, const char *path, const char *tail)
{
	const char *parts[] = {list, ": ", path, tail};
	size_t o = 0;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t l = strlen(parts[i]);

		if (l > n - 1 - o)
			l = n - 1 - o;
		memcpy(buf + o, parts[i], l);
		o += l;
	}
	buf[o] = 0;
}

static void rule_text(char *buf, size_t n, const struct ward_path_entry *e, int cls, bool write)
{
	if (!e || cls == WARD_PC_NONE)
		snprintf(buf, n, "filesystem: outside the view");
	else if (cls == WARD_PC_DENY)
		rule_join(buf, n, e->list, e->path, "");
	else if (write && (cls == WARD_PC_RO || cls == WARD_PC_SKEL))
		rule_join(buf, n, e->list, e->path, " (read-only)");
	else
		rule_join(buf, n, e->list, e->path, "");
}

/* ward_pathset_classify() of the view, remembering the last answer: the view does not change
 * while the sandbox runs, and a burst of records names one path again and again (the linear
 * scan of the view was a tenth of the supervisor's time in bench/events.sh). */
static int classify(struct ward_monitor *m, const char *path, const struct ward_path_entry **ret)
{
	size_t len = strlen(path);
	int cls;

	if (len && len == m->last_cls.len && memcmp(path, m->last_cls.path, len) == 0) {
		*ret = m->last_cls.e;
		return m->last_cls.cls;
	}
	cls = ward_pathset_classify(&m->view, path, ret);
	if (cls >= 0 && len < sizeof(m->last_cls.path)) {
		memcpy(m->last_cls.path, path, len + 1);
		m->last_cls.len = len;
		m->last_cls.cls = cls;
		m->last_cls.e = *ret;
	}
	return cls;
}

/* Resolves one path of a record to the in-sandbox absolute path. */
static int resolve(const struct ward_file_rec *r, const char *path, int dfd, bool use_base,
		   char *out, size_t out_len, bool *ret_unresolved)
{
	char base[PATH_MAX];

	/* not = "/": that zeroes all 4 KiB, for every record */
	base[0] = '/';
	base[1] = 0;
	*ret_unresolved = false;
	if (path[0] != '/') {
		if (use_base && r->base_len &&
		    !(r->verdict & (WARD_V_BASE_TRUNC | WARD_V_BASE_OUTSIDE)))
			base_from_components(r->data + 2 * WARD_PATH_MAX, r->base_len, base,
					     sizeof(base));
		else if (base_from_proc(r->h.pid, dfd, base, sizeof(base)) < 0)
			*ret_unresolved = true;
	}
	return ward_path_normalize(base, path, out, out_len);
}

static bool write_intent(const struct ward_file_rec *r, bool second)
{
	switch (r->op) {
	case WARD_FOP_OPEN:
		return r->flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC);
	case WARD_FOP_HANDLE:
	case WARD_FOP_STAT:
	case WARD_FOP_READLINK:
	case WARD_FOP_GETXATTR:
	case WARD_FOP_CHDIR:
		return false; /* probes: nothing is modified */
	case WARD_FOP_ACCESS:
		return r->flags & W_OK; /* the mode asked about */
	case WARD_FOP_LINK:
		return second;
	default:
		return true;
	}
}

/* Does the host have the path a sandbox path outside the view stands for? The view is the host's
 * paths, except under a --bind destination, which is its source's. */
static bool host_has_path(const struct ward_monitor *m, const char *path)
{
	char host[PATH_MAX];
	struct stat st;

	snprintf(host, sizeof(host), "%s", path);
	for (size_t i = 0; i < m->p->n_binds; i++) {
		const struct ward_bind *b = &m->p->binds[i];

		if (b->dst && b->src && ward_path_under(path, b->dst))
			snprintf(host, sizeof(host), "%s%s", b->src, path + strlen(b->dst));
	}
	return lstat(host, &st) == 0 || errno != ENOENT;
}

/* /proc/N/... where N is no process of the sandbox but one of the host's. */
static bool proc_host_pid(const char *path)
{
	char p[64];
	struct stat st;
	unsigned long pid;
	char *end;

	if (strncmp(path, "/proc/", 6) != 0 || path[6] < '0' || path[6] > '9')
		return false;
	pid = strtoul(path + 6, &end, 10);
	if (*end && *end != '/')
		return false;
	snprintf(p, sizeof(p), "/proc/%lu", pid);
	return stat(p, &st) == 0;
}

void ward_monitor_set_init(struct ward_monitor *m, pid_t init_pid)
{
	if (m)
		m->init_pid = init_pid;
}

static int handle_file(struct ward_monitor *m, const struct ward_file_rec *r, size_t size)
{
	size_t data_len = size - offsetof(struct ward_file_rec, data);
	char path[PATH_MAX], path2[PATH_MAX], rule[PATH_MAX + 64], comm[17];
	const struct ward_path_entry *e = NULL, *e2 = NULL;
	bool unres = false, unres2 = false, has2, viol, w1, w2;
	int cls, cls2 = WARD_PC_NONE;
	struct ward_json j;

	if (r->path_len == 0 || r->path_len > WARD_PATH_MAX || r->path_len > data_len)
		return -EBADMSG;
	/* denied by seccomp: the supervisor reported it already */
	if (r->ret < 0 && ward_monitor_seccomp_reported(m, r->h.tid, (int)r->nr))
		return 0;
	has2 = r->path2_len && r->path2_len <= WARD_PATH_MAX &&
	       WARD_PATH_MAX + (size_t)r->path2_len <= data_len;
	if (r->base_len && 2 * WARD_PATH_MAX + (size_t)r->base_len > data_len)
		return -EBADMSG;
	if (r->data[r->path_len - 1] != 0 || (has2 && r->data[WARD_PATH_MAX + r->path2_len - 1]))
		return -EBADMSG;

	if (resolve(r, r->data, r->dfd, true, path, sizeof(path), &unres) < 0)
		snprintf(path, sizeof(path), "%s", r->data);
	w1 = write_intent(r, false);
	cls = classify(m, path, &e);
	if (cls < 0)
		cls = WARD_PC_NONE;
	viol = ward_path_violation(cls, w1);
	w2 = false;
	if (has2) {
		const char *p2 = r->data + WARD_PATH_MAX;

		if (r->op == WARD_FOP_SYMLINK) {
			char dir[PATH_MAX], tgt[PATH_MAX];
			const struct ward_path_entry *et = NULL;
			char *slash;
			int ct;

			snprintf(path2, sizeof(path2), "%s", p2); /* reported as written */
			/* a link to a denied path or outside the view: the later open fails
			 * ENOENT and would be reported as nothing */
			snprintf(dir, sizeof(dir), "%s", path);
			slash = strrchr(dir, '/');
			if (slash)
				slash[slash == dir ? 1 : 0] = 0;
			if (ward_path_normalize(dir, p2, tgt, sizeof(tgt)) >= 0) {
				ct = ward_pathset_classify(&m->view, tgt, &et);
				if (ct == WARD_PC_DENY || ct == WARD_PC_NONE || ct < 0) {
					viol = true;
					cls = ct < 0 ? WARD_PC_NONE : ct;
					e = et;
					w1 = false;
				}
			}
		} else {
			if (resolve(r, p2, r->dfd2, r->dfd2 == r->dfd, path2, sizeof(path2),
				    &unres2) < 0)
				snprintf(path2, sizeof(path2), "%s", p2);
			w2 = write_intent(r, true);
			cls2 = classify(m, path2, &e2);
			if (cls2 < 0)
				cls2 = WARD_PC_NONE;
			if (ward_path_violation(cls2, w2) && !viol) {
				viol = true;
				cls = cls2;
				e = e2;
				w1 = w2;
			}
		}
	}
	/* Outside the view and absent on the host as well (ENOENT both ways): a library
	 * probing an optional file (/etc/gcrypt/hwf.deny), not an attempt on anything. A path
	 * under filesystem.deny is one whether it exists or not. */
	if (viol && cls == WARD_PC_NONE && r->ret == -ENOENT && r->op != WARD_FOP_SYMLINK &&
	    !has2 && !host_has_path(m, path))
		viol = false;
	/* /proc/<pid>/ of a process outside the sandbox: its pid namespace hides it */
	bool host_proc = false;
	if (!viol && r->ret == -ENOENT && proc_host_pid(path))
		viol = host_proc = true;
	const char *layer = NULL;
	if (r->verdict & WARD_V_REFUSED) {
		viol = true;
		layer = refusal_layer(m, r->h.pid, path, (int)-r->ret, w1 || w2 ? 'w' : 'r');
	}
	if (!viol && !m->p->events_allowed)
		return 0;
	if (host_proc)
		snprintf(rule, sizeof(rule), "pid namespace: a process outside the sandbox");
	else if (layer && !ward_path_violation(cls, w1))
		snprintf(rule, sizeof(rule), "%s: refused", layer);
	else
		rule_text(rule, sizeof(rule), e, cls, w1);
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "file", action_for(m, viol, r->ret < 0), viol,
			    r->h.pid, comm, rule);
	ward_json_str(&j, "op", r->op < ARRAY_SIZE(fop_names) ? fop_names[r->op] : "?");
	ward_json_str(&j, "syscall", ward_syscall_name(r->nr));
	ward_json_str(&j, "path", path);
	if (unres)
		ward_json_bool(&j, "path_unresolved", true);
	if (has2)
		ward_json_str(&j, r->op == WARD_FOP_SYMLINK ? "target" : "path2", path2);
	ward_json_uint(&j, "flags", r->flags);
	ward_json_bool(&j, "write", w1 || w2);
	ward_monitor_result_fields(&j, r->ret);
	if (layer)
		ward_json_str(&j, "layer", layer);
	return ward_event_emit(m->ev, &j);
}

static bool exec_allowed(const struct ward_profile *p, const char *path, const char **ret_rule)
{
	*ret_rule = NULL;
	if (p->exec_allow.n == 0)
		return true; /* no exec.allow list: exec is not restricted */
	for (size_t i = 0; i < p->exec_allow.n; i++) {
		if (fnmatch(p->exec_allow.v[i].s, path, 0) == 0) {
			*ret_rule = p->exec_allow.v[i].s;
			return true;
		}
	}
	return false;
}

static int handle_exec(struct ward_monitor *m, const struct ward_exec_rec *x, size_t size)
{
	char path[PATH_MAX], base[PATH_MAX] = "/", rule[PATH_MAX + 32], comm[17];
	const char *match;
	struct ward_json j;
	size_t off = 0;
	bool ok, viol;

	if (size < sizeof(*x) || x->path_len > WARD_PATH_MAX || x->argv_len > WARD_ARGV_MAX ||
	    x->base_len > WARD_BASE_MAX)
		return -EBADMSG;
	if (x->path_len == 0)
		return 0; /* unreadable filename: execve failed with EFAULT */
	if (x->path[0] == 0 && x->dfd != -100) {
		/* execveat(fd, "", AT_EMPTY_PATH), fexecve(): the fd's file (a memfd) */
		if (base_from_proc(x->h.pid, x->dfd, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "fd:%d", x->dfd);
	} else {
		if (x->path[0] != '/') {
			if (x->base_len &&
			    !(x->verdict & (WARD_V_BASE_TRUNC | WARD_V_BASE_OUTSIDE)))
				base_from_components(x->base, x->base_len, base, sizeof(base));
			else
				base_from_proc(x->h.pid, -100, base, sizeof(base));
		}
		if (ward_path_normalize(base, x->path, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%.*s", (int)WARD_PATH_MAX, x->path);
	}
	ok = exec_allowed(m->p, path, &match) || (m->command && strcmp(path, m->command) == 0);
	/* Enforced by inode in the kernel (exec.bpf.c): a new image it let run is a file
	 * exec.allow named, whatever name it was run by; one it killed or refused is not. */
	bool enforced =
		m->exec_mech && m->files && m->p->exec_allow.n && m->p->mode != WARD_MODE_AUDIT;
	const char *action, *layer = NULL;
	if (enforced && x->ret == 0 && !(x->verdict & (WARD_V_KILLED | WARD_V_DEFER)))
		ok = true;
	if (x->verdict & (WARD_V_KILLED | WARD_V_LSM))
		ok = false;
	if ((x->verdict & WARD_V_DEFER) && !ok)
		kill(x->h.pid, SIGKILL); /* stopped by nothing else: late, but before much */
	viol = !ok;
	if (x->ret < 0 && (x->verdict & WARD_V_REFUSED)) {
		/* a refused exec is an attempt even of an allowed name: noexec, memfd_noexec */
		viol = true;
		layer = x->verdict & WARD_V_LSM
				? "bpf-lsm"
				: refusal_layer(m, x->h.pid, path, (int)-x->ret, 'x');
	}
	if (!viol && !m->p->events_allowed)
		return 0;
	if (match)
		snprintf(rule, sizeof(rule), "exec.allow: %s", match);
	else if (ok)
		snprintf(rule, sizeof(rule), "exec.allow: the command");
	else
		snprintf(rule, sizeof(rule), "exec.allow: no match");
	if (!viol)
		action = "allow";
	else if (m->p->mode == WARD_MODE_AUDIT)
		action = "audit";
	else if (x->ret == 0 && (x->verdict & (WARD_V_KILLED | WARD_V_DEFER)))
		action = "kill";
	else
		action = x->ret < 0 ? "deny" : "allow";
	ward_monitor_comm_copy(comm, x->h.comm);
	ward_event_begin_at(m->ev, &j, x->h.ts, "exec", action, viol, x->h.pid, comm, rule);
	ward_json_str(&j, "path", path);
	ward_json_array_open(&j, "argv");
	for (unsigned i = 0; i < x->argc && off < x->argv_len; i++) {
		size_t l = strnlen(x->argv + off, x->argv_len - off);

		ward_json_strn(&j, NULL, x->argv + off, l);
		off += l + 1;
	}
	ward_json_array_close(&j);
	ward_monitor_result_fields(&j, x->ret);
	if (layer)
		ward_json_str(&j, "layer", layer);
	return ward_event_emit(m->ev, &j);
}

static const char *net_op_name(unsigned op)
{
	return op == WARD_NOP_CONNECT ? "connect" : op == WARD_NOP_BIND ? "bind" : "send";
}

static const char *proto_name(unsigned type, unsigned proto)
{
	if (proto == IPPROTO_TCP || (proto == 0 && type == SOCK_STREAM))
		return "tcp";
	if (proto == IPPROTO_UDP || (proto == 0 && type == SOCK_DGRAM))
		return "udp";
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return "icmp";
	if (proto == IPPROTO_SCTP)
		return "sctp";
	return "other";
}

static int handle_net(struct ward_monitor *m, const struct ward_net_rec *r, size_t size)
{
	char addr[INET6_ADDRSTRLEN], rule[512], comm[17];
	const char *action;
	struct ward_json j;
	bool viol;

	if (size < sizeof(*r))
		return -EBADMSG;
	viol = r->verdict & WARD_V_VIOLATION;
	if (!inet_ntop(r->family == 10 ? AF_INET6 : AF_INET, r->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	if (r->rule >= 0 && (size_t)r->rule < m->p->n_net_allow)
		snprintf(rule, sizeof(rule), "network.allow: %s",
			 m->p->net_allow[r->rule].text ? m->p->net_allow[r->rule].text : "?");
	else
		snprintf(rule, sizeof(rule), "network.allow: no match");
	action = (r->verdict & WARD_V_BLOCKED) ? "deny" : viol ? "audit" : "allow";
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "net", action, viol, r->h.pid, comm, rule);
	ward_json_str(&j, "op", net_op_name(r->op));
	ward_json_str(&j, "family", r->family == 10 ? "inet6" : "inet");
	ward_json_str(&j, "proto", proto_name(r->type, r->protocol));
	ward_json_str(&j, "addr", addr);
	ward_json_uint(&j, "port", r->port);
	return ward_event_emit(m->ev, &j);
}

/* Is there a listening or bound abstract unix socket called name (len bytes, the leading NUL
 * excluded) in the supervisor's network namespace, the one outside the sandbox?
 * /proc/net/unix shows abstract names with '@' for every NUL. */
static bool host_has_abstract(const char *name, size_t len)
{
	char want[WARD_UNIX_PATH + 2], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	want[0] = '@';
	for (size_t i = 0; i < len && i < WARD_UNIX_PATH; i++)
		want[1 + i] = name[i] ? name[i] : '@';
	want[1 + (len < WARD_UNIX_PATH ? len : WARD_UNIX_PATH)] = 0;
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *path = strrchr(line, ' ');
		size_t n;

		if (!path)
			continue;
		path++;
		n = strcspn(path, "\n");
		found = n == strlen(want) && memcmp(path, want, n) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * A unix socket address the sandbox tried (failed ones; every one in audit mode). A path is
 * judged like a file: denied is a violation whatever the result, outside the view when the
 * host has a socket there (ENOENT here means the mount view hid it). An abstract name is a
 * violation when Landlock's scoping refused it (EPERM, host network: the listener is outside
 * the sandbox), or when it is not in the sandbox's network namespace (ECONNREFUSED) but the
 * supervisor's, the host's, has it: the namespace stopped an attempt on a host service.
 */
/* host_has: whether the host has the abstract name, -1 when not looked up yet; the record is
 * then kept in m->deferred if its verdict depends on it (m->has_deferred). */
static int unix_event(struct ward_monitor *m, const struct ward_unix_rec *r, int host_has)
{
	char path[PATH_MAX], raw[WARD_UNIX_PATH + 1], base[PATH_MAX] = "/", rule[PATH_MAX + 64];
	char comm[17];
	const struct ward_path_entry *e = NULL;
	size_t len = r->len;
	bool abstract, viol;
	struct ward_json j;
	int err = r->ret < 0 ? (int)-r->ret : 0;

	abstract = len > 0 && r->path[0] == 0;
	if (r->op == WARD_NOP_BIND) {
		/* a name the sandbox bound itself: its own connects to it are not attempts on the
		 * host (audit mode has no Landlock scoping to tell) */
		void *v;

		if (!abstract || r->ret < 0 || m->n_bound >= 256)
			return 0;
		v = realloc(m->bound, (m->n_bound + 1) * sizeof(*m->bound));
		if (!v)
			return 0;
		m->bound = v;
		memset(m->bound[m->n_bound], 0, sizeof(m->bound[0]));
		memcpy(m->bound[m->n_bound++], r->path, len);
		return 0;
	}
	if (abstract) {
		viol = err == EPERM;
		snprintf(rule, sizeof(rule), "network: abstract unix socket");
		if (!viol && err == ECONNREFUSED && host_has < 0) {
			m->deferred = *r;
			m->has_deferred = true;
			return 0;
		}
		if (viol) {
			snprintf(rule, sizeof(rule),
				 "landlock scope: abstract unix socket outside the sandbox");
		} else if (err == ECONNREFUSED && host_has > 0) {
			/* not in the sandbox's network namespace, but the host has it: an attempt
			 * on a host service that the namespace stopped */
			viol = true;
			snprintf(rule, sizeof(rule),
				 "network namespace: abstract unix socket of the host");
		} else if (m->p->mode == WARD_MODE_AUDIT && err == 0) {
			/* Landlock is off in audit mode: what its scoping would refuse is a
			 * connect that reached a name the sandbox did not bind itself */
			bool own = false;

			for (size_t i = 0; i < m->n_bound; i++)
				own |= memcmp(m->bound[i], r->path, len) == 0 &&
				       (len == WARD_UNIX_PATH || m->bound[i][len] == 0);
			if (own)
				return 0;
			viol = true;
			snprintf(rule, sizeof(rule),
				 "landlock scope: abstract unix socket "
				 "outside the sandbox");
		} else if (m->p->mode == WARD_MODE_AUDIT) {
			return 0; /* reached nothing */
		}
		raw[0] = '@';
		memcpy(raw + 1, r->path + 1, len - 1);
		path[0] = 0;
	} else {
		int cls;

		memcpy(raw, r->path, len);
		raw[len] = 0;
		if (!raw[0])
			return 0; /* unnamed (autobind) */
		if (raw[0] != '/')
			base_from_proc(r->h.pid, -100, base, sizeof(base));
		if (ward_path_normalize(base, raw, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%s", raw);
		cls = ward_pathset_classify(&m->view, path, &e);
		if (cls < 0)
			cls = WARD_PC_NONE;
		/* Outside the view, only a socket the host really has is an attempt on something
		 * (glibc probes /var/run/nscd/socket on every user lookup, nscd or not); a denied
		 * path (base denies the container runtimes' sockets) is one whether it exists or
		 * not. */
		bool outside = cls == WARD_PC_NONE || cls == WARD_PC_SKEL, host_sock = false;
		bool refused = err == EPERM || err == EACCES;

		if (outside) {
			struct stat st;
			host_sock = stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
		}
		viol = (outside ? host_sock : ward_path_violation(cls, false)) || refused;
		if (host_sock && !refused)
			snprintf(rule, sizeof(rule),
				 "filesystem: outside the view (a socket on the host)");
		else
			rule_text(rule, sizeof(rule), e, cls, false);
	}
	if (!viol && !m->p->events_allowed)
		return 0;
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "net", action_for(m, viol, r->ret < 0), viol,
			    r->h.pid, comm, rule);
	ward_json_str(&j, "op", net_op_name(r->op));
	ward_json_str(&j, "family", "unix");
	if (abstract)
		ward_json_strn(&j, "addr", raw, len);
	else
		ward_json_str(&j, "addr", path);
	ward_json_bool(&j, "abstract", abstract);
	ward_monitor_result_fields(&j, r->ret);
	return ward_event_emit(m->ev, &j);
}

static int handle_unix(struct ward_monitor *m, const struct ward_unix_rec *r, size_t size)
{
	if (size < sizeof(*r) || r->len > WARD_UNIX_PATH)
		return -EBADMSG;
	return unix_event(m, r, -1);
}

/* The kept unix record, judged now that the ring buffer callback has returned. */
static int deferred_run(struct ward_monitor *m)
{
	const struct ward_unix_rec *r = &m->deferred;

	if (!m->has_deferred)
		return 0;
	m->has_deferred = false;
	return unix_event(m, r, host_has_abstract(r->path + 1, r->len - 1));
}

static int handle_dev(struct ward_monitor *m, const struct ward_dev_rec *r, size_t size)
{
	char access[4] = "", comm[17], rule[128], ts[2], type;
	struct ward_devinfo info;
	struct ward_json j;
	size_t a = 0;
	bool viol;

	if (size < sizeof(*r) || r->path_len > WARD_PATH_MAX)
		return -EBADMSG;
	viol = r->verdict & WARD_V_VIOLATION;
	type = r->dev_type == WARD_DEV_BLOCK ? 'b' : 'c';
	ts[0] = type;
	ts[1] = 0;
	if (r->access & WARD_DEV_ACC_READ)
		access[a++] = 'r';
	if (r->access & WARD_DEV_ACC_WRITE)
		access[a++] = 'w';
	if (r->access & WARD_DEV_ACC_MKNOD)
		access[a++] = 'm';
	access[a] = 0;
	ward_dev_classify(&m->majors, type, r->major, r->minor, &info);
	snprintf(rule, sizeof(rule), viol ? "devices: %c %u:%u not allowed" : "devices: %c %u:%u",
		 type, r->major, r->minor);
	ward_monitor_comm_copy(comm, r->h.comm);
	ward_event_begin_at(m->ev, &j, r->h.ts, "device",
			    (r->verdict & WARD_V_BLOCKED) ? "deny"
			    : viol			  ? "audit"
							  : "allow",
			    viol, r->h.pid, comm, rule);
	if (r->path_len > 1 && r->path[r->path_len - 1] == 0)
		ward_json_str(&j, "path", r->path);
	ward_json_uint(&j, "major", r->major);
	ward_json_uint(&j, "minor", r->minor);
	ward_json_str(&j, "dev_type", ts);
	ward_json_str(&j, "access", access);
	ward_json_str(&j, "class", info.cls);
	ward_json_str(&j, "vendor", info.vendor);
	if (info.name[0])
		ward_json_str(&j, "device", info.name);
	if (info.gpu >= 0)
		ward_json_int(&j, "gpu", info.gpu);
	return ward_event_emit(m->ev, &j);
}

static int record_handle(struct ward_monitor *m, const void *data, size_t size)
{
	const struct ward_rec_hdr *h = data;
	int r;

	if (size < sizeof(*h) || h->size > size || h->size < sizeof(*h)) {
		m->delivered++;
		m->bad_records++;
		return -EBADMSG;
	}
	/* A pooled ring may still hold records of its previous owner (one that died before it
	 * drained them): they are not ours, and not counted in our stats either. */
	if (m->pinned && h->cgid != m->cgid)
		return 0;
	m->delivered++;
	if (!m->ev)
		return 0;
	switch (h->type) {
	case WARD_REC_FILE:
		r = h->size >= offsetof(struct ward_file_rec, data) ? handle_file(m, data, h->size)
								    : -EBADMSG;
		break;
	case WARD_REC_EXEC:
		r = handle_exec(m, data, h->size);
		break;
	case WARD_REC_NET:
		r = handle_net(m, data, h->size);
		break;
	case WARD_REC_DEV:
		r = handle_dev(m, data, h->size);
		break;
	case WARD_REC_UNIX:
		r = handle_unix(m, data, h->size);
		break;
	case WARD_REC_NS:
		r = ward_monitor_handle_ns(m, data, h->size);
		break;
	case WARD_REC_SIGNAL:
		r = ward_monitor_handle_signal(m, data, h->size);
		break;
	default:
		r = -EBADMSG;
	}
	if (r == -EBADMSG)
		m->bad_records++;
	return r;
}

int ward_monitor_handle_record(struct ward_monitor *m, const void *data, size_t size)
{
	int r = record_handle(m, data, size);

	if (m->has_deferred)
		r = deferred_run(m);
	return r;
}

/* Stops ring_buffer__consume() after a record it must not judge inside the callback (libbpf has
 * advanced past the record already); ward_monitor_poll() judges it and consumes on. */
#define WARD_RB_DEFERRED (-EINPROGRESS)

int ward_monitor_on_record(void *ctx, void *data, size_t size)
{
	struct ward_monitor *m = ctx;

	record_handle(m, data, size);
	return m->has_deferred ? WARD_RB_DEFERRED : 0;
}

/* ---- consuming the ring ---------------------------------------------------------------------- */

int ward_monitor_fd(struct ward_monitor *m)
{
	return m && m->rb ? ring_buffer__epoll_fd(m->rb) : -1;
}

static int stats_read(struct ward_monitor *m, uint64_t *ret_produced, uint64_t *ret_lost)
{
	_cleanup_free_ struct ward_stats *v = calloc(m->ncpus, sizeof(*v));

	*ret_produced = *ret_lost = 0;
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->map_fd[M_STATS], &m->cgid, v) < 0)
		return -errno;
	for (int i = 0; i < m->ncpus; i++) {
		*ret_produced += v[i].produced;
		*ret_lost += v[i].lost;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Reading the per-CPU counters is a bpf() syscall: at most once per WARD_MONITOR_POLL_MS while
 * records flow (a burst calls ward_monitor_poll() thousands of times a second), and always at
 * the end (force). */
static void loss_report(struct ward_monitor *m, bool force)
{
	uint64_t produced, lost, now = now_ms();
	struct ward_json j;

	if (!force && now - m->loss_checked_ms < WARD_MONITOR_POLL_MS)
		return;
	m->loss_checked_ms = now;
	if (stats_read(m, &produced, &lost) < 0 || lost <= m->lost_reported)
		return;
	if (m->ev) {
		ward_event_begin(m->ev, &j, "loss", "allow", false, 0, NULL, "monitor.ringbuf");
		ward_json_uint(&j, "lost", lost - m->lost_reported);
		ward_json_uint(&j, "lost_total", lost);
		ward_json_uint(&j, "ringbuf_bytes", m->ring_bytes);
		ward_event_emit(m->ev, &j);
	}
	m->lost_reported = lost;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ward_monitor_poll(struct ward_monitor *m)
{
	uint64_t t0 = 0;
	int r;

	if (!m || !m->rb)
		return 0;
	if (ward_hooks.monitor_timing)
		t0 = thread_cpu_ns();
	do {
		r = ring_buffer__consume(m->rb);
		deferred_run(m);
	} while (r == WARD_RB_DEFERRED);
	loss_report(m, false);
	if (t0)
		m->consume_ns += thread_cpu_ns() - t0;
	return r < 0 ? r : 0;
}

void ward_monitor_finish(struct ward_monitor *m, struct ward_json *j)
{
	uint64_t produced = 0, lost = 0;

	if (!m || !m->attached)
		return;
	ward_monitor_poll(m);
	loss_report(m, true);
	stats_read(m, &produced, &lost);
	/* the consumer's cost per record: ring read, judgement, JSON, the sink's batched writes */
	if (ward_hooks.monitor_timing && m->delivered)
		fprintf(stderr,
			"ward monitor timing: consumer %.1f ms CPU for %" PRIu64
			" records (%.0f ns each), %" PRIu64 " lost\n",
			m->consume_ns / 1e6, m->delivered, (double)m->consume_ns / m->delivered,
			lost);
	ward_json_object_open(j, "monitor_events");
	ward_json_uint(j, "produced", produced);
	ward_json_uint(j, "delivered", m->delivered);
	ward_json_uint(j, "lost", lost);
	ward_json_object_close(j);
	if (!m->n_gpus)
		return;
	ward_json_array_open(j, "gpu");
	for (size_t i = 0; i < m->n_gpus; i++) {
		struct ward_gpu_use u = {0};

		bpf_map_lookup_elem(m->map_fd[M_GPU_USE], &m->gpus[i].key, &u);
		ward_json_object_open(j, NULL);
		ward_json_str(j, "device", m->gpus[i].info.name);
		ward_json_str(j, "vendor", m->gpus[i].info.vendor);
		ward_json_uint(j, "major", m->gpus[i].key.major);
		ward_json_uint(j, "minor", m->gpus[i].key.minor);
		ward_json_uint(j, "opens", u.opens);
		ward_json_uint(j, "ioctls", u.ioctls);
		ward_json_object_close(j);
	}
	ward_json_array_close(j);
}
