/* SPDX-License-Identifier: MIT */
/* The parsed profile (profile/): one struct drives every layer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/log.h"

/* Where a value came from, for messages: file is owned by the profile's file list. */
struct ward_loc {
	const char *file;
	int line, col; /* 1-based; 0 when the value came from the command line */
};

struct ward_str {
	char *s;
	struct ward_loc loc;
	uint64_t size;		  /* filesystem.tmpfs: the tmpfs size in bytes; 0 elsewhere */
	struct ward_loc size_loc; /* filesystem.tmpfs: where the size (or the entry) was given */
};

/* filesystem.tmpfs without a size: min(WARD_TMPFS_DEFAULT, limits.memory / 2). */
#define WARD_TMPFS_DEFAULT (256ULL << 20)

struct ward_hashmap;
struct ward_strv {
	struct ward_str *v;
	size_t n;
	/* The loader's own (profile.c): capacity, removed entries (s NULL) not yet compacted,
	 * and a string -> position index; all zero in a loaded profile. */
	size_t cap, n_dead;
	struct ward_hashmap *index;
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
	int family;		   /* AF_INET or AF_INET6 */
	uint8_t addr[16];	   /* network byte order; IPv4 in the first 4 bytes */
	uint8_t prefixlen;	   /* 0..32 or 0..128 */
	uint16_t port_lo, port_hi; /* host order; 0-65535 for any */
	char *text;		   /* as written, for events and `ward check` */
	struct ward_loc loc;
};

/* A bind from filesystem.binds ({src, dst, mode}) or --bind SRC[:DST[:ro|rw]]: loc.file is
 * NULL for --bind. One entry per dst: a later file's, then --bind's, replaces an earlier one. */
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
	bool nested_ns;	     /* nested_namespaces: the workload may create namespaces */
	uid_t uid;
	gid_t gid;
	char *hostname; /* NULL: the sandbox id */

	struct ward_strv fs_readonly, fs_readwrite, fs_tmpfs, fs_devices, fs_deny;
	struct ward_bind *binds; /* filesystem.binds, then --bind */
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
	struct ward_str sc_import;		     /* OCI/Docker seccomp JSON path or NULL .s */

	struct ward_strv capabilities; /* names like "CAP_NET_BIND_SERVICE" (validated) */

	uint64_t mem_max;	    /* bytes, 0 = unlimited */
	uint64_t pids_max;	    /* 0 = unlimited */
	double cpu_max;		    /* CPUs, 0 = unlimited */
	uint64_t nofile;	    /* 0 = inherit */
	struct ward_loc nofile_loc; /* where limits.nofile was set (file NULL: default) */
	uint64_t wall_ns;	    /* 0 = none */
	uint64_t grace_ns;	    /* SIGTERM -> SIGKILL grace after the wall limit; default 5 s */

	char *sink; /* events.sink: stderr, none, file:PATH, unix:PATH */
	bool events_allowed;
	bool require_collector;

	struct ward_strv env_pass; /* environment names passed from the caller */
	struct ward_strv env_set;  /* "NAME=VALUE" */
};

/* Looks a profile up (a path, or a bare name in ./profiles, /etc/ward/profiles,
 * PREFIX/share/ward/profiles, ".yaml" appended, then among the built-in profiles: profiles/
 * compiled in), reads it and its includes, merges them and validates the result. On error,
 * err->msg is "FILE:LINE:COL: what is wrong" (FILE "<builtin>/NAME.yaml" for a built-in one). */
int ward_profile_load(const char *name_or_path, struct ward_profile **ret, struct ward_error *err);
/* The same for a profile held in memory (len bytes, no NUL needed; fuzzing, tests): name is
 * its file name in messages; includes and imports resolve from the current directory. */
int ward_profile_load_buffer(const char *name, const char *text, size_t len,
			     struct ward_profile **ret, struct ward_error *err);
/* The profile used when `ward run` gets no -p: "default" looked up like any other name, so
 * the built-in one when none is installed (nothing visible but /usr, /lib*, /bin, no network,
 * default deny). */
int ward_profile_load_default(struct ward_profile **ret, struct ward_error *err);
void ward_profile_free(struct ward_profile *p);
/* Prints the effective (merged) profile as YAML that ward_profile_load accepts. */
int ward_profile_dump(const struct ward_profile *p, FILE *f);
/* Applies a --bind SRC[:DST[:ro|rw]] argument: replaces a bind of the same DST (another source:
 * source and mode; the same source: rw wins), else appends. */
int ward_profile_add_bind(struct ward_profile *p, const char *spec, struct ward_error *err);
/* Applies --env NAME=VALUE (env.set, replacing the profile's value) or --env NAME (env.pass:
 * the caller's value, which then wins over a profile's env.set of NAME). */
int ward_profile_add_env(struct ward_profile *p, const char *spec, struct ward_error *err);
/* Adds a path to filesystem.deny (nothing if it is there already), located at loc. */
int ward_profile_add_deny(struct ward_profile *p, const char *path, struct ward_loc loc);
/* Applies --gpu none|all|N[,N]. */
int ward_profile_set_gpu(struct ward_profile *p, const char *spec, struct ward_error *err);
/* The profile of `ward run`/`ward selftest`: NAME (NULL: the default) with the already
 * validated -m and --net applied (either may be NULL). */
int ward_profile_load_cli(const char *name, const char *mode, const char *net,
			  struct ward_profile **ret, struct ward_error *err);
/* Applies --net (already validated): the mode, and the network namespace that goes with it. */
void ward_profile_set_net(struct ward_profile *p, enum ward_net_mode mode);

/* A variable name for env.pass, env.set and --env: [A-Za-z_][A-Za-z0-9_]*, len bytes of s. */
bool ward_env_name_ok(const char *s, size_t len);
/* Why a bind may not go to dst (normalized), or NULL: "/", under /dev or /proc. */
const char *ward_bind_dst_refused(const char *dst);

/* Network rule and CIDR parsers (also used by flags): -EINVAL on bad input. */
int ward_parse_net_rule(const char *op, const char *value, struct ward_net_rule *ret);
int ward_parse_cidr(const char *s, int *ret_family, uint8_t ret_addr[16], uint8_t *ret_prefixlen);
