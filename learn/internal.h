/* SPDX-License-Identifier: MIT */
/*
 * learn/ internals. The flow (main.c): spawn.c runs `ward run` twice (the audit-mode learning
 * run, then the enforce-mode replay), record.c reads the learning run's events into sets of
 * observations, paths.c holds the pure path rules (collapsing, temporary names), emit.c turns
 * the observations into a document and writes it, merge.c reads a document `ward learn` wrote
 * back, verify.c compares the two runs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- observations (record.c) ------------------------------------------------------------ */

/* What was seen of one key (a path, a syscall name, a network endpoint). */
enum {
	LEARN_READ = 1 << 0,	/* opened for reading, stat'ed, probed */
	LEARN_WRITE = 1 << 1,	/* opened for writing, truncated */
	LEARN_CREATE = 1 << 2,	/* a new name in its directory: creat, O_CREAT, mkdir, link... */
	LEARN_LISTED = 1 << 3,	/* opened as a directory (listed) */
	LEARN_ABSENT = 1 << 4,	/* every attempt failed ENOENT/ENOTDIR: absent on the host */
	LEARN_PRESENT = 1 << 5, /* at least one attempt did not fail ENOENT */
	LEARN_EXCL = 1 << 6,	/* created with O_CREAT|O_EXCL (mkstemp and tempfile do) */
	LEARN_DENIED = 1 << 7,	/* under the base's filesystem.deny */
	LEARN_DEVICE = 1 << 8,	/* a device node */
	LEARN_KILL = 1 << 9,	/* syscall on the base's kill list */
	LEARN_UNIX = 1 << 10,	/* a unix socket path connected to */
};

struct learn_obs {
	char *key;
	char *comm;   /* the program that asked first */
	char *first;  /* the first path (or argument summary) seen, for provenance */
	char *detail; /* kind-specific: syscall args, net proto, GPU vendor, argv[0] */
	char *order;  /* event time of the first sighting (sorts like time) */
	uint64_t count;
	unsigned bits;
};

/* An insertion-ordered set of observations with a hash index on key. */
struct learn_set {
	struct learn_obs *v;
	size_t n, cap;
	uint32_t *tab; /* index+1, open addressing */
	size_t tab_cap;
};

struct learn_obs *learn_set_get(struct learn_set *s, const char *key, bool *ret_new);
struct learn_obs *learn_set_find(const struct learn_set *s, const char *key);
void learn_set_free(struct learn_set *s);

struct learn_record {
	struct learn_set files;	   /* paths outside the base's view or writable areas */
	struct learn_set execs;	   /* programs started (exec ret 0) */
	struct learn_set syscalls; /* syscalls the base does not allow */
	struct learn_set net;	   /* "op family proto addr port" (inet, inet6) */
	struct learn_set gpus;	   /* GPU index as text */
	struct learn_set pids;	   /* distinct pids seen */

	bool have_start, have_exit;
	int exit_code;
	uint64_t events, unknown; /* lines read; lines of a kind or shape not understood */
	uint64_t loss_events, lost, sink_dropped, monitor_lost;
	int64_t max_fd; /* highest fd an open returned */
};

/* Reads an events file (one JSON object a line, docs/events.md). Unknown kinds, fields and
 * ops are accepted. -errno on I/O failure, with err set. */
struct ward_error;
int learn_record_read(const char *path, struct learn_record *rec, struct ward_error *err);
void learn_record_free(struct learn_record *rec);

/* ---- path rules (paths.c, pure but for the host probes in struct learn_host) ------------ */

/* Is base (one path component) a mkstemp/tempfile-like name? flags: the open flags of its
 * creation (O_CREAT|O_EXCL alone makes it one), 0 if unknown. */
bool learn_is_tmpname(const char *base, int flags);
/* For a written path: the directory that becomes a tmpfs when a component of the path is a
 * temporary name (the parent of the shallowest such component). true and out set if so. */
bool learn_tmp_parent(const char *path, int flags, char *out, size_t len);
/* Directories never granted as a whole by a collapse: "/", top-level directories, /home/NAME,
 * /root and what is under /proc. */
bool learn_is_protected(const char *dir);
/* A directory the run may only have as a whole if it listed it ("/", /etc, /home, /root). */
bool learn_is_wholesale_guarded(const char *dir);

/* What collapsing needs to know of the host (stubbed by the unit tests). */
struct learn_host {
	/* does dir (absolute) hold a file called name? */
	bool (*has)(const char *dir, const char *name, void *data);
	void *data;
};

struct learn_path_in {
	const char *path;
	bool listed, absent;
	uint64_t count;
	size_t order; /* position in the run (smaller: earlier) */
};

struct learn_path_out {
	char *path;
	size_t first;	/* index into the input of the earliest path it covers */
	uint64_t count; /* events covered */
	size_t n_paths; /* input paths covered */
	bool wholesale; /* a guarded directory granted because the run listed it */
	bool absent;	/* an exact path absent on the host */
};

/* Collapses read paths into the entries a person would write (docs/learn.md, "Collapsing"):
 * a Python package, a node_modules package, a shared-library directory, or two or more
 * entries of one directory become the directory; never a protected one; a listed directory is
 * itself; absent paths stay exact; an entry under another is dropped. Output sorted. */
int learn_collapse(const struct learn_path_in *in, size_t n, const struct learn_host *host,
		   struct learn_path_out **ret, size_t *ret_n);
void learn_path_out_free(struct learn_path_out *v, size_t n);

/* ---- the document (emit.c writes it, merge.c reads it back) ----------------------------- */

struct learn_item {
	char *key;  /* sort and identity key: "/usr/lib/x", "mlock", "bind 127.0.0.1:8080" */
	char *line; /* the whole line as written, "    - /usr/lib/x  # python3: 2x" */
	char **pre; /* comment lines the user put above it (kept by a merge) */
	size_t n_pre;
	bool review; /* carries "# REVIEW:" */
};

struct learn_list {
	char *block, *key; /* "filesystem", "readonly" */
	struct learn_item *v;
	size_t n;
};

struct learn_doc {
	char **header; /* comment lines before the first key */
	size_t n_header;
	char *name, *description, *include; /* the values */
	struct learn_list *lists;
	size_t n_lists;
	char **scalars; /* "block.key=value" lines such as network.mode */
	size_t n_scalars;
	char **extra; /* top-level blocks learn does not write, verbatim (user's own) */
	size_t n_extra;
	uint64_t lim_memory, lim_pids, lim_nofile; /* the commented suggestion; 0: none */
	bool has_limits_block;			   /* the user wrote limits: keep theirs */
	bool written_by_learn;
};

struct learn_list *learn_doc_list(struct learn_doc *d, const char *block, const char *key);
/* Adds or keeps an item: an existing item with the same key is kept as it is. */
int learn_doc_add(struct learn_doc *d, const char *block, const char *key, const char *item_key,
		  const char *line, bool review);
const char *learn_doc_scalar(const struct learn_doc *d, const char *block, const char *key);
int learn_doc_set_scalar(struct learn_doc *d, const char *block, const char *key,
			 const char *value);
int learn_doc_header(struct learn_doc *d, const char *line);
/* Writes the document, sorted and stable: same document, same bytes. */
int learn_doc_write(const struct learn_doc *d, FILE *f);
void learn_doc_free(struct learn_doc *d);
/* A YAML scalar for a path or value: plain when safe, else double-quoted. */
void learn_yaml_scalar(const char *s, char *out, size_t len);

/* merge.c: reads a file written by `ward learn` (first line "# Learned by ward learn"). A
 * file without that line is not parsed: ret_ours false. */
int learn_doc_read(const char *path, struct learn_doc *d, bool *ret_ours, struct ward_error *err);

/* ---- building the document from a run (emit.c) ------------------------------------------ */

struct learn_bind {
	char *src, *dst;
	bool rw;
};

struct learn_opts {
	const char *base;	  /* -p */
	const char *base_include; /* what the output includes (base, or a hand-written --merge) */
	const char *learn_base;	  /* the profile the learning run included (base or --merge file) */
	const char *out, *merge, *name, *net, *gpu, *timeout;
	struct learn_bind *binds;
	char **bind_specs;
	size_t n_binds;
	char **env_set; /* NAME=VALUE */
	size_t n_env_set;
	char **env_pass; /* NAME */
	size_t n_env_pass;
	bool allow_loss, verify, allow_degraded;
	char **argv;
};

struct learn_run {
	int status; /* ward's exit status */
	uint64_t out_hash, out_bytes;
	uint64_t maxrss_kb;		    /* largest process of the tree (wait4) */
	uint64_t cg_mem_peak, cg_pids_peak; /* sampled from the sandbox cgroup, 0 unknown */
	double secs;
};

/* Adds what rec shows the run needed to d (empty or read by merge). Dangerous grants get a
 * "# REVIEW:" comment. Returns the number of entries added, -errno. */
int learn_build(struct learn_doc *d, const struct learn_record *rec, const struct learn_run *run,
		const struct learn_opts *o, struct ward_error *err);

/* ---- running ward (spawn.c) ------------------------------------------------------------- */

struct learn_spawn {
	const char *profile, *mode, *events, *id;
	bool quiet_stdout; /* hash only, do not copy the workload's stdout */
};

int learn_spawn_run(const struct learn_opts *o, const struct learn_spawn *s, struct learn_run *ret,
		    struct ward_error *err);

/* ---- verification (verify.c) ------------------------------------------------------------ */

/* Compares the replay with the learning run and prints the result; on a difference prints the
 * events that explain it. 0 equal, 1 different. */
int learn_verify(const struct learn_run *learned, const struct learn_run *replay,
		 const char *events, FILE *out);
