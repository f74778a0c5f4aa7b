// SPDX-License-Identifier: MIT
/*
 * The pinned monitor set: `ward monitor --pin` loads bpf/monitor.bpf.c once and pins its maps,
 * cgroup programs and the sys_exit link under /sys/fs/bpf/ward/<build tag>/, with a pool of
 * WARD_POOL_SLOTS ring buffers; ward_monitor_open() reuses the set (a few bpf_obj_get() calls
 * instead of a 12-16 ms load) and claims a ring of the pool with an flock on its lock file.
 * `--unpin` removes the set, `--status` says whether this build's set is pinned.
 *
 * The set keeps the syscall programs loaded, not attached: while a tp_btf/sys_exit link exists,
 * every syscall of every process on the host takes the tracepoint slow path (1.17x on an
 * open+read+close loop outside any sandbox). The first sandbox that claims a slot attaches the
 * hooks and pins their links; the last one to leave unpins them (a raw_tp link costs ~0.1 ms to
 * create or detach; a tracepoint/ one 65-90 ms). Both steps run under an flock on hooks.lock
 * next to the slot locks, and a sandbox claims its slot before it takes that lock, so a leaving
 * sandbox that finds every other slot free cannot detach under a starting one. A lingering
 * process detaches them 2 s after the last release (see ward_monitor_hooks_release()).
 */
#include <linux/types.h>

#include "common/macro.h"
#include "monitor/internal.h"
#include "monitor.skel.h"
#include "monitor.tag.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define BPFFS_MAGIC 0xcafe4a11
#define PIN_ROOT    "/sys/fs/bpf/ward"
/* Lock files of the pinned ring buffer pool: a sandbox owns slot N while it holds an flock on
 * LOCK_ROOT/<build tag>/slot.N (released by the kernel when the process dies, however it dies). */
#define LOCK_ROOT "/run/ward/monitor-slots"
/* The pool: WARD_POOL_SLOTS sandboxes at once use the pinned programs with a ring each of the
 * default size (64 MiB of kernel memory in all); more, or another ring size, load privately. */
#define WARD_POOL_SLOTS 16

/* Programs pinned by one build must not be reused by another (record layouts change): the
 * pin directory is named after a hash of the BPF object, computed when the skeleton is
 * generated (build/monitor.tag.h; hashing the 190 KB object here cost 0.3 ms a call, five
 * calls a launch). */
static void pin_dir_path(char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", PIN_ROOT, WARD_BPF_TAG);
}

static int bpffs_ensure(void)
{
	struct statfs sf;

	if (statfs("/sys/fs/bpf", &sf) == 0 && (unsigned long)sf.f_type == BPFFS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

static void lock_dir_path(char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", LOCK_ROOT, WARD_BPF_TAG);
}

/* Claims a free ring of the pinned pool: an flock on its lock file, starting at a slot that
 * depends on the pid so concurrent launches rarely try the same one first. The ring must have
 * the size this sandbox asked for. */
static int slot_claim(struct ward_monitor *m)
{
	char dir[256], path[PATH_MAX];
	unsigned start = getpid();

	lock_dir_path(dir, sizeof(dir));
	for (unsigned k = 0; k < WARD_POOL_SLOTS; k++) {
		unsigned slot = (start + k) % WARD_POOL_SLOTS;
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info), id = 0;
		int fd, rfd;

		snprintf(path, sizeof(path), "%s/slot.%u", dir, slot);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == ENOENT) {
			/* /run is a tmpfs: the lock directory goes away at reboot, the pins too */
			if ((mkdir("/run/ward", 0755) < 0 && errno != EEXIST) ||
			    (mkdir(LOCK_ROOT, 0700) < 0 && errno != EEXIST) ||
			    (mkdir(dir, 0700) < 0 && errno != EEXIST))
				return -errno;
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		}
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue;
		}
		if (bpf_map_lookup_elem(m->map_fd[M_RINGS], &slot, &id) < 0 ||
		    (rfd = bpf_map_get_fd_by_id(id)) < 0) {
			close(fd);
			return -errno;
		}
		if (bpf_obj_get_info_by_fd(rfd, &info, &len) < 0 ||
		    info.max_entries != m->ring_bytes) {
			close(rfd);
			close(fd);
			return -ENOSPC;
		}
		m->slot = slot;
		m->slot_fd = fd;
		m->ring_fd = rfd;
		return 0;
	}
	return -EBUSY;
}

/* The hook programs of the set: pinned as programs by --pin, linked while sandboxes run. */
static const struct {
	const char *prog, *pin, *link;
} hooks[] = {
	{"ward_sys_exit", "prog_sys_exit", "link_sys_exit"},
	{"ward_exec_check", "prog_exec", "link_exec"},
	{"ward_bprm_check", "prog_lsm", "link_lsm"},
};

static int hooks_lock(void)
{
	char dir[256], path[PATH_MAX];
	int fd;

	lock_dir_path(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/hooks.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void linger_ensure(const char *pin_dir);

/* Links the pinned hook programs unless another sandbox already has (its link pins stay). A set
 * pinned before this scheme has link pins and no program pins: nothing to do. A new link gets
 * a lingerer at once, so that a sandbox SIGKILLed before it released does not leave it. */
static int hooks_attach(struct ward_monitor *m)
{
	bool linked = false;
	_cleanup_close_ int lock = -1;
	char path[PATH_MAX];
	int r = 0;

	lock = hooks_lock();
	if (lock < 0)
		return lock;
	for (size_t i = 0; i < ARRAY_SIZE(hooks) && r >= 0; i++) {
		struct stat st;
		int pfd, lfd;

		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, hooks[i].link);
		if (stat(path, &st) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, hooks[i].pin);
		pfd = bpf_obj_get(path);
		if (pfd < 0)
			continue; /* not in this set (no LSM here) */
		lfd = bpf_raw_tracepoint_open(NULL, pfd);
		r = lfd < 0 ? -errno : 0;
		close(pfd);
		if (r < 0)
			break;
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, hooks[i].link);
		if (bpf_obj_pin(lfd, path) < 0)
			r = -errno;
		close(lfd);
		linked = linked || r >= 0;
	}
	m->hooks_ref = r >= 0;
	if (linked)
		linger_ensure(m->pin_dir);
	return r;
}

/* Is any slot of the pool held by a running sandbox? */
static bool slots_held(void)
{
	char dir[256], path[PATH_MAX];

	lock_dir_path(dir, sizeof(dir));
	for (unsigned k = 0; k < WARD_POOL_SLOTS; k++) {
		int fd;
		bool held;

		snprintf(path, sizeof(path), "%s/slot.%u", dir, k);
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		held = flock(fd, LOCK_EX | LOCK_NB) < 0;
		close(fd);
		if (held)
			return true;
	}
	return false;
}

static void hooks_unpin(const char *pin_dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", pin_dir, hooks[i].pin);
		if (stat(path, &st) < 0)
			continue; /* an older set: its links are permanent */
		snprintf(path, sizeof(path), "%s/%s", pin_dir, hooks[i].link);
		unlink(path);
	}
}

/*
 * The last sandbox of the pool leaves the hook links to a lingering process that unpins them
 * HOOKS_LINGER_S after the last release, unless a sandbox runs by then. Detaching at once made
 * the next launch wait for an RCU grace period (6-7 ms here, +80% on a launch):
 * tracepoint_add_func() on a 0->1 transition calls tp_rcu_cond_sync(), which waits for a grace
 * period after the last 1->0 (kernel/tracepoint.c) so that the static call never sees stale
 * data. Launches in a row share the links; a launch after the linger attaches long after the
 * last detach and does not wait.
 *
 * One lingerer a set, not one a launch: forked by the sandbox that links the hook, it holds an
 * flock on linger.lock for its life, and a release only writes its time into hooks.lock (a
 * fork at each release cost the exit path 0.15-0.3 ms, and a loop of launches left one
 * sleeping child per launch). The lingerer re-reads that time under the hooks lock, so a
 * release it has not seen yet cannot be missed; it gives up its flock before the hooks lock,
 * so a release after it decided to go forks a new one. While sandboxes run it looks again
 * every 2 s: a SIGKILLed last sandbox, which never releases, is noticed too. It closes every other
 * fd (a `$(ward run ...)` must not wait for it) and takes nothing but the hooks lock and a look at
 * the slot locks.
 */
#define HOOKS_LINGER_NS (2 * 1000000000ULL)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* hooks.lock holds the time of the last release (CLOCK_MONOTONIC, host-wide). */
static uint64_t released_at(int lock)
{
	uint64_t t = 0;

	return pread(lock, &t, sizeof(t), 0) == sizeof(t) ? t : 0;
}

static _Noreturn void linger(const char *pin_dir, int linger_fd)
{
	sigset_t none;

	setsid();
	prctl(PR_SET_NAME, "ward-linger");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup3(null, fd, 0);
	if (linger_fd != 3 && dup3(linger_fd, 3, 0) < 0)
		_exit(1); /* its flock goes with it: the next release forks again */
	close_range(4, ~0U, 0);
	for (uint64_t deadline = mono_ns() + HOOKS_LINGER_NS;;) {
		struct timespec ts = {.tv_sec = deadline / 1000000000ULL,
				      .tv_nsec = deadline % 1000000000ULL};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		_cleanup_close_ int lock = hooks_lock();
		if (lock < 0)
			_exit(1);
		uint64_t now = mono_ns(), last = released_at(lock);
		if (slots_held()) {
			deadline = now + HOOKS_LINGER_NS;
			continue;
		}
		if (last && now - last < HOOKS_LINGER_NS) {
			deadline = last + HOOKS_LINGER_NS;
			continue;
		}
		hooks_unpin(pin_dir);
		close(3); /* the flock first, then the hooks lock (at exit) */
		_exit(0);
	}
}

/* Forks the lingerer unless one runs (it holds linger.lock). */
static void linger_ensure(const char *pin_dir)
{
	_cleanup_close_ int lfd = -1;
	char dir[256], path[PATH_MAX];

	lock_dir_path(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/linger.lock", dir);
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0)
		return; /* a lingerer runs */
	if (fork() == 0)
		linger(pin_dir, lfd); /* reparented when ward exits */
				      /* a failed fork: the next release tries again */
}

/* A release only writes its time: the lingerer decides, once no slot is held (this sandbox
 * holds its own until after this). */
void ward_monitor_hooks_release(struct ward_monitor *m)
{
	_cleanup_close_ int lock = -1;

	if (!m->hooks_ref)
		return;
	m->hooks_ref = false;
	lock = hooks_lock();
	if (lock < 0)
		return;
	uint64_t now = mono_ns();
	if (pwrite(lock, &now, sizeof(now), 0) == sizeof(now))
		linger_ensure(m->pin_dir);
}

/* Reuses programs pinned by `ward monitor --pin`: a few bpf_obj_get() calls instead of a load. */
int ward_monitor_load_pinned(struct ward_monitor *m)
{
	char path[PATH_MAX];
	struct stat st;

	pin_dir_path(m->pin_dir, sizeof(m->pin_dir));
	for (int i = 0; i < M__N; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, ward_monitor_map_names[i]);
		m->map_fd[i] = bpf_obj_get(path);
		if (m->map_fd[i] < 0)
			return -errno;
	}
	for (size_t i = 0; i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", m->pin_dir, ward_monitor_cg_progs[i].name);
		m->prog_fd[i] = bpf_obj_get(path);
		if (m->prog_fd[i] < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/prog_sys_exit", m->pin_dir);
	m->files = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/link_sys_exit", m->pin_dir);
	m->files = m->files || stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/prog_lsm", m->pin_dir);
	m->lsm = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "%s/link_lsm", m->pin_dir);
	m->lsm = m->lsm || stat(path, &st) == 0;
	if (m->files)
		m->exec_mech = m->lsm ? "lsm" : "tp_btf";
	m->pinned = true;
	int r = slot_claim(m);
	ward_monitor_timing("pinned set reused, slot claimed");
	if (r >= 0 && m->files)
		r = hooks_attach(m);
	return r;
}

static int unpin_dir(const char *dir)
{
	char path[PATH_MAX];
	int r = 0;

	for (int i = 0; i < M__N; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ward_monitor_map_names[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			r = -errno;
	}
	for (size_t i = 0; i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ward_monitor_cg_progs[i].name);
		if (unlink(path) < 0 && errno != ENOENT)
			r = -errno;
	}
	/* unlinking the raw_tp links detaches the syscall programs (link_sys_enter: sets
	 * pinned by older builds) */
	snprintf(path, sizeof(path), "%s/link_sys_enter", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link_sys_exit", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link_exec", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link_lsm", dir);
	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(hooks); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, hooks[i].pin);
		unlink(path);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

/* The ring buffer pool, created once: one batch update of `rings`, so one RCU wait in all
 * (BPF_MAP_UPDATE_BATCH calls maybe_wait_bpf_programs() once, not per element). The outer map
 * holds the rings; our fds can go. */
static int pool_fill(struct ward_monitor *m)
{
	__u32 keys[WARD_POOL_SLOTS], count = WARD_POOL_SLOTS;
	int fds[WARD_POOL_SLOTS], r = 0;

	for (unsigned i = 0; i < WARD_POOL_SLOTS; i++)
		fds[i] = -1;
	for (unsigned i = 0; r >= 0 && i < WARD_POOL_SLOTS; i++) {
		keys[i] = i;
		fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ward_ring", 0, 0, m->ring_bytes,
					NULL);
		if (fds[i] < 0)
			r = -errno;
	}
	if (r >= 0 && bpf_map_update_batch(m->map_fd[M_RINGS], keys, fds, &count, NULL) < 0)
		r = -errno;
	for (unsigned i = 0; i < WARD_POOL_SLOTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

/*
 * The kernel runs cgroup BPF programs behind a static key per attach type, switched on by the
 * first attachment anywhere and off by the last: code patching with an IPI to every CPU
 * (smp_text_poke_batch_finish), 3.5% of a pinned launch's CPU here, where each launch's seven
 * links were the only ones. While the set is pinned, an empty cgroup <v2>/ward/.monitor-keys-
 * <tag> (gc_leftovers() leaves dot names alone) holds one pinned link of each of its programs,
 * which never run there (nothing joins it), so a launch's links switch no key. Hosts where
 * systemd attaches device and IP programs have the keys on anyway. Best effort: without a
 * cgroup2 mount the launches only pay the patching.
 */
static void keys_path(char *buf, size_t n, const char *cg_v2, const char *tag)
{
	snprintf(buf, n, "%s/ward/.monitor-keys-%s", cg_v2, tag);
}

static void keys_attach(const struct ward_monitor *m, const char *dir, const char *cg_v2)
{
	char cg[PATH_MAX], path[PATH_MAX + 64];
	_cleanup_close_ int cgfd = -1;

	if (!cg_v2 || !*cg_v2)
		return;
	snprintf(cg, sizeof(cg), "%s/ward", cg_v2);
	if (mkdir(cg, 0755) < 0 && errno != EEXIST)
		return;
	keys_path(cg, sizeof(cg), cg_v2, WARD_BPF_TAG);
	if (mkdir(cg, 0755) < 0 && errno != EEXIST)
		return;
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; cgfd >= 0 && i < N_CG; i++) {
		int lfd = bpf_link_create(m->prog_fd[i], cgfd, ward_monitor_cg_progs[i].type, NULL);

		if (lfd < 0)
			continue;
		snprintf(path, sizeof(path), "%s/keys_%s", dir, ward_monitor_cg_progs[i].name);
		(void)bpf_obj_pin(lfd, path);
		close(lfd);
	}
}

/* Unpinning the links detaches them; the cgroup goes once empty of links (rmdir works
 * regardless: a removed cgroup's links are released). */
static void keys_detach(const char *dir, const char *cg_v2, const char *tag)
{
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/keys_%s", dir, ward_monitor_cg_progs[i].name);
		unlink(path);
	}
	if (cg_v2 && *cg_v2) {
		keys_path(path, sizeof(path), cg_v2, tag);
		rmdir(path);
	}
}

static int pin_all(const char *cg_v2, struct ward_error *err)
{
	struct ward_monitor m = {0};
	char path[PATH_MAX], dir[256];
	int r;

	ward_monitor_fds_init(&m);
	r = bpffs_ensure();
	if (r < 0)
		return ward_error_set(err, r, "mounting bpffs on /sys/fs/bpf: %s", strerror(-r));
	pin_dir_path(dir, sizeof(dir));
	if (mkdir(PIN_ROOT, 0700) < 0 && errno != EEXIST)
		return ward_error_set(err, -errno, "creating %s: %m", PIN_ROOT);
	snprintf(path, sizeof(path), "%s/members", dir);
	if (access(path, F_OK) == 0)
		return 0; /* already pinned by this build */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ward_error_set(err, -errno, "creating %s: %m", dir);
	m.ring_bytes = WARD_RINGBUF_DEFAULT;
	r = ward_monitor_load_fresh(&m, true, WARD_POOL_SLOTS, err);
	if (r < 0)
		return r;
	r = pool_fill(&m);
	/* programs first, then maps in reverse, members last: its presence tells
	 * ward_monitor_open() that the set is complete */
	for (size_t i = 0; r >= 0 && i < N_CG; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ward_monitor_cg_progs[i].name);
		r = bpf_program__pin(bpf_object__find_program_by_name(
					     m.skel->obj, ward_monitor_cg_progs[i].name),
				     path);
	}
	/* the hook programs, not their links: sandboxes link them while any runs */
	for (size_t i = 0; r >= 0 && m.files && i < ARRAY_SIZE(hooks); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(m.skel->obj, hooks[i].prog);
		if (!prog || bpf_program__fd(prog) < 0 || (i == 2 && !m.lsm))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, hooks[i].pin);
		r = bpf_program__pin(prog, path);
	}
	if (r >= 0)
		keys_attach(&m, dir, cg_v2);
	for (int i = M__N - 1; r >= 0 && i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", dir, ward_monitor_map_names[i]);
		r = bpf_map__pin(
			bpf_object__find_map_by_name(m.skel->obj, ward_monitor_map_names[i]), path);
	}
	monitor_bpf__destroy(m.skel);
	if (r < 0) {
		keys_detach(dir, cg_v2, WARD_BPF_TAG);
		unpin_dir(dir);
		return ward_error_set(err, r, "pinning under %s: %s", dir, strerror(-r));
	}
	return 0;
}

/* The pool's lock files: a sandbox still running keeps its lock (and its ring) through its
 * open fds; the files only name the slots. */
static void unlock_dirs(void)
{
	_cleanup_(closedirp) DIR *d = opendir(LOCK_ROOT);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char dir[PATH_MAX], path[PATH_MAX + 16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", LOCK_ROOT, de->d_name);
		for (unsigned i = 0; i < WARD_POOL_SLOTS; i++) {
			snprintf(path, sizeof(path), "%s/slot.%u", dir, i);
			unlink(path);
		}
		rmdir(dir);
	}
	rmdir(LOCK_ROOT);
}

static int unpin_all(const char *cg_v2, struct ward_error *err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	d = opendir(PIN_ROOT);
	if (!d)
		return errno == ENOENT ? 0
				       : ward_error_set(err, -errno, "opening %s: %m", PIN_ROOT);
	while ((de = readdir(d))) {
		char dir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", PIN_ROOT, de->d_name);
		keys_detach(dir, cg_v2, de->d_name);
		if (unpin_dir(dir) < 0)
			r = ward_error_set(err, -errno, "removing %s: %m", dir);
	}
	if (rmdir(PIN_ROOT) < 0 && errno != ENOENT && r >= 0)
		r = ward_error_set(err, -errno, "removing %s: %m", PIN_ROOT);
	unlock_dirs();
	return r;
}

int ward_monitor_pin_main(int argc, char **argv, const char *cg_v2)
{
	struct ward_error err = {""};
	const char *op = argc > 1 ? argv[1] : "--status";
	char dir[256], path[PATH_MAX];
	int r;

	if (strcmp(op, "--pin") == 0) {
		r = pin_all(cg_v2, &err);
	} else if (strcmp(op, "--unpin") == 0) {
		r = unpin_all(cg_v2, &err);
	} else if (strcmp(op, "--status") == 0) {
		pin_dir_path(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/members", dir);
		bool pinned = access(path, F_OK) == 0;
		snprintf(path, sizeof(path), "%s/link_sys_exit", dir);
		printf("%s %s%s\n", pinned ? "pinned" : "not-pinned", dir,
		       !pinned ? ""
		       : access(path, F_OK) == 0
			       ? " (syscall hook attached: a sandbox runs, or ran in the last 2 s)"
			       : " (syscall hook detached: no sandbox runs)");
		return 0;
	} else {
		fprintf(stderr,
			"usage: ward monitor --pin | --unpin | --status\n"
			"  --pin     load the BPF monitors once and pin them under %s,\n"
			"            so later `ward run` launches reuse them\n"
			"  --unpin   remove the pinned programs (detaches the syscall hooks)\n",
			PIN_ROOT);
		return strcmp(op, "--help") == 0 ? 0 : 2;
	}
	if (r < 0) {
		fprintf(stderr, "ward monitor: %s\n", err.msg);
		return 1;
	}
	return 0;
}
