/* SPDX-License-Identifier: MIT */
/*
 * ward internal API: the parsed profile, the sandbox context and each module's entry points.
 * Conventions (see docs/design.md): functions return >= 0 on success and -errno on failure;
 * library-like modules never print, they fill a struct ward_error for the orchestrator.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- small helpers (systemd style) ------------------------------------------------------ */
static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_(x) __attribute__((cleanup(x)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes (ward run): the command's own, 128+N for signal N, and these. */
#define WARD_EXIT_FAIL 125
#define WARD_EXIT_NOEXEC 126
#define WARD_EXIT_NOTFOUND 127

/* An error message for the user, already formatted, e.g. "p.yaml:12:5: unknown key 'x'". */
struct ward_error {
	char msg[1024];
};
/* Sets err->msg (if err) and returns r (a -errno), for `return ward_error_set(err, -EINVAL, ...)`. */
int ward_error_set(struct ward_error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- the profile (profile.c) ------------------------------------------------------------ */

/* Where a value came from, for messages: file is owned by the profile's file list. */
struct ward_loc {
	const char *file;
	int line, col; /* 1-based; 0 when the value came from the command line */
};

struct ward_str {
	char *s;
	struct ward_loc loc;
};

struct ward_strv {
	struct ward_str *v;
	size_t n;
};

enum ward_mode { WARD_MODE_ENFORCE = 0, WARD_MODE_AUDIT };
enum ward_net_mode { WARD_NET_NONE = 0, WARD_NET_LOOPBACK, WARD_NET_HOST };
enum ward_sc_action { WARD_SC_DENY = 0, WARD_SC_ALLOW, WARD_SC_KILL };

enum ward_ns {
	WARD_NS_USER = 1 << 0,
	WARD_NS_PID = 1 << 1,
	WARD_NS_MOUNT = 1 << 2,
	WARD_NS_NET = 1 << 3,
	WARD_NS_IPC = 1 << 4,
	WARD_NS_UTS = 1 << 5,
	WARD_NS_CGROUP = 1 << 6,
};
#define WARD_NS_ALL 0x7f

enum ward_net_op { WARD_NETOP_CONNECT = 0, WARD_NETOP_BIND, WARD_NETOP_SEND };

/* network.allow entry: "{connect: 127.0.0.1:8080}", "{bind: 0.0.0.0:8000}",
 * "{send: 10.0.0.0/8:53}", "{connect: '[::1]:1000-2000'}", port "*" = any. */
struct ward_net_rule {
	enum ward_net_op op;
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; IPv4 in the first 4 bytes */
	uint8_t prefixlen; /* 0..32 or 0..128 */
	uint16_t port_lo, port_hi; /* host order; 0-65535 for any */
	char *text;		   /* as written, for events and `ward check` */
	struct ward_loc loc;
};

/* A bind from the profile's filesystem lists or --bind SRC[:DST[:ro|rw]]. */
struct ward_bind {
	char *src, *dst;
	bool rw;
	struct ward_loc loc;
};

#define WARD_GPU_MAX 64
struct ward_profile {
	char *name, *description;
	char **files; /* every file read, top file first (locations point into these) */
	size_t n_files;

	enum ward_mode mode;
	unsigned namespaces; /* enum ward_ns bits */
	uid_t uid;
	gid_t gid;
	char *hostname; /* NULL: the sandbox id */

	struct ward_strv fs_readonly, fs_readwrite, fs_tmpfs, fs_devices, fs_deny;
	struct ward_bind *binds; /* extra binds from --bind */
	size_t n_binds;

	enum ward_net_mode net_mode;
	struct ward_net_rule *net_allow;
	size_t n_net_allow;

	bool gpu_all;
	int gpus[WARD_GPU_MAX]; /* GPU indexes when !gpu_all */
	size_t n_gpus;		/* 0 and !gpu_all: none */

	struct ward_strv exec_allow; /* glob patterns */

	enum ward_sc_action sc_default;
	struct ward_strv sc_allow, sc_deny, sc_kill; /* syscall names, validated at parse */
	struct ward_str sc_import;		       /* OCI/Docker seccomp JSON path or NULL .s */

	struct ward_strv capabilities; /* names like "CAP_NET_BIND_SERVICE" (validated) */

	uint64_t mem_max;  /* bytes, 0 = unlimited */
	uint64_t pids_max; /* 0 = unlimited */
	double cpu_max;	   /* CPUs, 0 = unlimited */
	uint64_t nofile;   /* 0 = inherit */
	uint64_t wall_ns;  /* 0 = none */
	uint64_t grace_ns; /* SIGTERM -> SIGKILL grace after the wall limit; default 5 s */

	char *sink;	/* events.sink: stderr, none, file:PATH, unix:PATH */
	bool events_allowed;
	bool require_collector;

	struct ward_strv env_pass; /* environment names passed from the caller */
	struct ward_strv env_set;  /* "NAME=VALUE" */
};

/* Looks a profile up (a path, or a bare name in ./profiles, /etc/ward/profiles,
 * PREFIX/share/ward/profiles, ".yaml" appended), reads it and its includes, merges them and
 * validates the result. On error, err->msg is "FILE:LINE:COL: what is wrong". */
int ward_profile_load(const char *name_or_path, struct ward_profile **ret,
		      struct ward_error *err);
/* The profile used when `ward run` gets no -p: "default" looked up like any other name,
 * else built in (nothing visible but /usr, /lib*, /bin, no network, default deny). */
int ward_profile_load_default(struct ward_profile **ret, struct ward_error *err);
void ward_profile_free(struct ward_profile *p);
/* Prints the effective (merged) profile as YAML that ward_profile_load accepts. */
int ward_profile_dump(const struct ward_profile *p, FILE *f);
/* Applies a --bind SRC[:DST[:ro|rw]] argument. */
int ward_profile_add_bind(struct ward_profile *p, const char *spec, struct ward_error *err);
/* Applies --gpu none|all|N[,N]. */
int ward_profile_set_gpu(struct ward_profile *p, const char *spec, struct ward_error *err);

/* Value parsers (also used for flags): return -EINVAL on bad input. */
int ward_parse_size(const char *s, uint64_t *ret_bytes);     /* "512M", "2G", "1.5GiB", "4096" */
int ward_parse_duration(const char *s, uint64_t *ret_ns);    /* "30s", "1h30m", "500ms", "2" (s) */
int ward_parse_net_rule(const char *op, const char *value, struct ward_net_rule *ret);
int ward_parse_cidr(const char *s, int *ret_family, uint8_t ret_addr[16], uint8_t *ret_prefixlen);

/* ---- events (event.c, sink.c) ------------------------------------------------------------ */

/* Growable JSON object writer: keys and values escaped (control characters, quotes, invalid
 * UTF-8 replaced by U+FFFD). */
struct ward_json {
	char *buf;
	size_t len, cap;
	bool need_comma;
	int depth;
	bool oom; /* an allocation failed: the object is unusable */
	bool violation; /* set by ward_event_begin(), counted by ward_event_emit() */
};
void ward_json_init(struct ward_json *j);
void ward_json_free(struct ward_json *j);
void ward_json_open(struct ward_json *j);		   /* "{" */
void ward_json_close(struct ward_json *j);		   /* "}" */
void ward_json_key(struct ward_json *j, const char *key); /* for nested arrays/objects */
void ward_json_str(struct ward_json *j, const char *key, const char *val); /* NULL -> null */
void ward_json_strn(struct ward_json *j, const char *key, const char *val, size_t n);
void ward_json_int(struct ward_json *j, const char *key, int64_t val);
void ward_json_uint(struct ward_json *j, const char *key, uint64_t val);
void ward_json_bool(struct ward_json *j, const char *key, bool val);
void ward_json_array_open(struct ward_json *j, const char *key); /* key NULL inside arrays */
void ward_json_array_close(struct ward_json *j);
void ward_json_object_open(struct ward_json *j, const char *key);
void ward_json_object_close(struct ward_json *j);
/* Appends s as a JSON string literal (with quotes) to j->buf. */
void ward_json_escape(struct ward_json *j, const char *s, size_t n);

/* Writes all of buf to a blocking fd, retrying on EINTR and short writes; -errno. */
int ward_write_all(int fd, const char *buf, size_t len);
/* mkdir -p of the directories above path (mode 0755; existing ones are fine); -errno. */
int ward_mkdir_parents(const char *path);

struct ward_sink; /* sink.c: stderr, none, file:PATH, unix:PATH */
int ward_sink_open(const char *spec, const char *sandbox_id, struct ward_sink **ret,
		   struct ward_error *err);
/* Writes one JSON line (without the newline). Never blocks the caller for long. */
int ward_sink_write(struct ward_sink *s, const char *line, size_t len);
/* Writes the lines buffered by a stderr or file sink (before the supervisor waits). */
int ward_sink_commit(struct ward_sink *s);
/* Flushes queued events (at exit): waits at most timeout_ms for a slow collector. */
int ward_sink_flush(struct ward_sink *s, int timeout_ms);
void ward_sink_close(struct ward_sink *s);
/* An fd the supervisor polls for the sink (-1 if none) and the handler to call when ready. */
int ward_sink_fd(struct ward_sink *s);
int ward_sink_handle(struct ward_sink *s, uint32_t epoll_events);
/* Counters for the final lifecycle event. */
uint64_t ward_sink_dropped(struct ward_sink *s);
/* 1 when a unix: sink has a live connection to the collector (events.require_collector:
 * refuse to start when 0); always 1 for stderr, none and file sinks. */
int ward_sink_connected(struct ward_sink *s);

/* Event emitter: owns the sequence counter and the common fields. */
struct ward_events {
	char sandbox[64];
	char host[256];
	uint64_t seq;	    /* last seq used; first event is 1 */
	uint64_t produced;  /* events handed to the sink */
	uint64_t violations;
	struct ward_sink *sink;
	uint64_t failed; /* events begun but not handed to the sink (no memory, sink error) */
	char *jbuf;	 /* the last event's buffer, reused by the next (no malloc per event) */
	size_t jcap;
};
/* Frees what the emitter keeps between events. */
void ward_events_release(struct ward_events *ev);
/* Begins an event with the common fields (time, sandbox, seq, host, kind, action, violation,
 * pid, comm, rule); the caller adds kind-specific fields, then calls ward_event_emit().
 * action: "allow", "deny" or "audit"; pid <= 0 and comm NULL are omitted. */
void ward_event_begin(struct ward_events *ev, struct ward_json *j, const char *kind,
		      const char *action, bool violation, pid_t pid, const char *comm,
		      const char *rule);
/* The same for something that happened at mono_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns()):
 * the event's time is then when the kernel saw it, not when the supervisor read the record. */
void ward_event_begin_at(struct ward_events *ev, struct ward_json *j, uint64_t mono_ns,
			 const char *kind, const char *action, bool violation, pid_t pid,
			 const char *comm, const char *rule);
int ward_event_emit(struct ward_events *ev, struct ward_json *j); /* closes, writes, frees */
/* RFC 3339 UTC with nanoseconds: "2026-11-25T20:09:04.123456789Z" */
void ward_format_time(char buf[40], const struct timespec *ts);

/* ---- seccomp (seccomp.c) ----------------------------------------------------------------- */
struct ward_seccomp; /* built in the supervisor before clone, loaded in the workload */

struct ward_sc_verdict {
	enum ward_sc_action action; /* DENY (report; EPERM or continue in audit) or KILL */
	const char *rule;	    /* "syscalls.deny: ptrace", "builtin: namespaces", ... */
	int err;		    /* errno to answer in enforce mode; 0: EPERM */
};
/* Builds the filter from the profile (and syscalls.import). Every syscall the profile denies
 * or kills goes to SECCOMP_RET_USER_NOTIF; execve, exit and exit_group are always allowed
 * (ward's own pre-exec path needs them). */
int ward_seccomp_build(const struct ward_profile *p, struct ward_seccomp **ret,
		       struct ward_error *err);
/* In the workload, last step before execve: loads the filter; returns the listener fd. */
int ward_seccomp_load(struct ward_seccomp *sc);
/* Supervisor: the compiled program in a sealed memfd; the workload loads it with
 * ward_seccomp_load_fd() (same return as ward_seccomp_load) without compiling again. */
int ward_seccomp_export(struct ward_seccomp *sc);
int ward_seccomp_load_fd(struct ward_seccomp *sc, int fd);
/* Supervisor: what to do with a notified syscall. */
void ward_seccomp_verdict(const struct ward_seccomp *sc, int nr, const uint64_t args[6],
			  struct ward_sc_verdict *ret);
const char *ward_syscall_name(int nr); /* native arch; NULL if unknown */
void ward_seccomp_free(struct ward_seccomp *sc);
/* Is this syscall name known on the native architecture? */
bool ward_syscall_known(const char *name);

/* ---- cgroups (cgroup.c) -------------------------------------------------------------------- */
struct ward_cgroup;
struct ward_cgroup_limits {
	uint64_t mem_max, pids_max;
	double cpu_max;
};
/* Layout of this host, for `ward features` and for choosing the backend. */
struct ward_cgroup_info {
	char v2_mount[256];	  /* "" if no cgroup2 */
	char v2_controllers[256]; /* controllers available to ward's v2 parent */
	bool v1_memory, v1_pids, v1_cpu;
	const char *backend;	  /* "v2", "hybrid" (v2 for identity, v1 for limits), "v1" or "none" */
};
int ward_cgroup_probe(struct ward_cgroup_info *ret);
/* Creates ward's cgroup(s) for this sandbox and applies the limits. Limits that cannot be
 * applied are listed in ret_missing (comma separated, e.g. "cpu") rather than failing. */
int ward_cgroup_create(const char *id, const struct ward_cgroup_limits *lim,
		       struct ward_cgroup **ret, char *ret_missing, size_t missing_len,
		       struct ward_error *err);
int ward_cgroup_v2_fd(struct ward_cgroup *cg); /* for CLONE_INTO_CGROUP / BPF attach; -1 */
uint64_t ward_cgroup_id(struct ward_cgroup *cg); /* v2 cgroup id (inode), 0 if none */
int ward_cgroup_attach(struct ward_cgroup *cg, pid_t pid); /* v1 hierarchies (v2 by clone) */
int ward_cgroup_oom_kills(struct ward_cgroup *cg, uint64_t *ret);
int ward_cgroup_kill(struct ward_cgroup *cg); /* SIGKILL every process in it */
void ward_cgroup_destroy(struct ward_cgroup *cg); /* kill, wait until empty, rmdir; NULL ok */
