// SPDX-License-Identifier: MIT
/*
 * The syscall filter: built with libseccomp in the supervisor (before clone, so the workload
 * inherits the context), loaded by the workload as the last step before execve.
 *
 * Actions: what the profile allows is SCMP_ACT_ALLOW; what it denies or kills, and the builtin
 * denials below, is SCMP_ACT_NOTIFY: the supervisor reports the call, then answers EPERM
 * (enforce), lets it continue (audit) or kills the sandbox (kill). If the supervisor is gone,
 * notified calls fail with ENOSYS: fail closed.
 *
 * Only the native architecture is in libseccomp's filter. Foreign ABIs (i386 through int 0x80
 * on x86_64, x32: nr | __X32_SYSCALL_BIT) are caught before it by a short prefix (foreign_prefix
 * below) that sends them to user notification, whatever the profile's default: the supervisor
 * reports arch, number and name, then kills the process (the kill of SCMP_FLTATR_ACT_BADARCH
 * stays; only now it is seen). Without a supervisor (WARD_SECCOMP_TEST_ERRNO) the prefix kills
 * at once, as the bad-arch action would (tests/unit/test_seccomp.c checks it).
 *
 * libseccomp 2.5.4 rules, measured (see docs/seccomp.md):
 *  - an unconditional rule and conditional rules for one syscall: accepted (returns 0), but the
 *    unconditional rule silently wins and the conditional ones vanish from the BPF, in either
 *    order and whatever their actions. So "ALLOW socket + NOTIFY socket(AF_PACKET)" must never
 *    be written as two rules when the default is not ALLOW.
 *  - two comparisons on the same argument in one rule (a0 != X && a0 != Y): -EINVAL.
 *  - a rule whose action equals the default action: -EACCES.
 *  - SCMP_CMP_NE/LT/GT compare all 64 bits, while the kernel truncates int arguments
 *    (socket's family, ioctl's cmd) to 32: socket(0x100000011) is AF_PACKET to the kernel but
 *    != AF_PACKET to a 64-bit compare. MASKED_EQ with mask 0xffffffff compares the low half.
 * Hence, for the argument-level builtins (socket family, ioctl cmd, clone namespace flags):
 *  - default ALLOW: conditional NOTIFY rules (MASKED_EQ) only, the default allows the rest;
 *  - default NOTIFY and the syscall allowed: ALLOW rules that cover exactly the complement of
 *    the bad values, written as MASKED_EQ prefix patterns over the low 32 bits (about 30-40
 *    rules per syscall), or one MASKED_EQ(CLONE_NEW*, 0) for clone.
 */
#include "common/macro.h"
#include "common/missing.h"
#include "common/syscall.h"
#include "common/util.h"
#include "launcher/seccomp.h"
#include "profile/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Native syscall numbers are below 500 on every architecture ward supports (x86_64: ~460). */
#define NR_MAX WARD_NR_MAX

#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

enum { SRC_NONE = 0, SRC_ALLOW, SRC_DENY, SRC_KILL };
enum { IMP_NONE = 0, IMP_ALLOW, IMP_DENY, IMP_COND };

struct ward_seccomp {
	scmp_filter_ctx ctx;
	unsigned flags;
	bool has_notify;
	enum ward_sc_action def;
	uint32_t def_act;
	uint8_t prof[NR_MAX];	     /* SRC_*: the profile's lists */
	uint8_t imp[NR_MAX];	     /* IMP_*: what syscalls.import says */
	uint16_t imp_err[NR_MAX];    /* an imported SCMP_ACT_ERRNO(n) deny: the errno to answer */
	char *rule[NR_MAX];	     /* "syscalls.deny: NAME" for SRC_DENY/SRC_KILL */
	const char *builtin[NR_MAX]; /* whole-syscall builtin rule, NULL when lifted */
	char *import_rule;	     /* "import: FILE" */
	bool clone_ns_allowed;
	int nr_clone, nr_clone3, nr_socket, nr_ioctl;
	int nr_execve, nr_exit, nr_exit_group;
	struct ward_seccomp_import_stats stats;
};

/* Whole-syscall builtin denials: lifted only by naming the syscall in syscalls.allow. */
static const struct {
	const char *name, *rule;
} builtins[] = {
	{"io_uring_setup", "builtin: io_uring"},
	{"io_uring_enter", "builtin: io_uring"},
	{"io_uring_register", "builtin: io_uring"},
	{"unshare", "builtin: namespaces"},
	{"setns", "builtin: namespaces"},
	{"init_module", "builtin: kernel-modules"},
	{"finit_module", "builtin: kernel-modules"},
	{"delete_module", "builtin: kernel-modules"},
	{"kexec_load", "builtin: kexec"},
	{"kexec_file_load", "builtin: kexec"},
	{"bpf", "builtin: bpf"},
	{"perf_event_open", "builtin: perf"},
	{"keyctl", "builtin: keyring"},
	{"add_key", "builtin: keyring"},
	{"request_key", "builtin: keyring"},
	{"userfaultfd", "builtin: userfaultfd"},
	{"ptrace", "builtin: ptrace"},
	{"mount", "builtin: mount"},
	{"umount2", "builtin: mount"},
	{"pivot_root", "builtin: mount"},
	{"move_mount", "builtin: mount"},
	{"open_tree", "builtin: mount"},
	{"fsopen", "builtin: mount"},
	{"fsmount", "builtin: mount"},
	{"fsconfig", "builtin: mount"},
	{"fspick", "builtin: mount"},
	{"mount_setattr", "builtin: mount"},
	{"open_by_handle_at", "builtin: open_by_handle_at"},
};

static const uint32_t bad_families[] = {AF_PACKET, AF_VSOCK, AF_ALG};
static const uint32_t bad_ioctls[] = {TIOCSTI, TIOCLINUX};

/* ---- syscall names ------------------------------------------------------------------------ */

/* ---- building ----------------------------------------------------------------------------- */

static uint32_t act_notify(const struct ward_seccomp *sc)
{
	return (sc->flags & WARD_SECCOMP_TEST_ERRNO) ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_NOTIFY;
}

static int add(struct ward_seccomp *sc, uint32_t act, int nr, unsigned n,
	       const struct scmp_arg_cmp *cmp)
{
	int r;

	/* Same as the default: libseccomp refuses it (-EACCES) and it changes nothing. */
	if (act == sc->def_act)
		return 0;
	r = seccomp_rule_add_exact_array(sc->ctx, act, nr, n, cmp);
	if (r < 0)
		return r;
	if (act == SCMP_ACT_NOTIFY)
		sc->has_notify = true;
	return 0;
}

/*
 * ALLOW every value of argument `arg` whose low 32 bits are not in bad[]: walks the binary
 * trie of 32-bit values from the top bit and emits one MASKED_EQ(prefix mask, prefix) rule per
 * maximal subtree that holds no bad value (at most 32 * n rules, ~30 for 2-3 clustered values).
 * The mask's upper half is 0, so garbage in the upper 32 bits of an int argument cannot steer
 * the match (the kernel ignores those bits too).
 */
static int add_complement(struct ward_seccomp *sc, int nr, unsigned arg, const uint32_t *bad,
			  size_t n, unsigned depth, uint32_t prefix)
{
	uint32_t mask = depth ? ~0u << (32 - depth) : 0;
	bool any = false;
	int r;

	for (size_t i = 0; i < n; i++)
		any = any || (bad[i] & mask) == prefix;
	if (!any) {
		struct scmp_arg_cmp c = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, prefix);

		return add(sc, SCMP_ACT_ALLOW, nr, 1, &c);
	}
	if (depth == 32)
		return 0; /* a bad value itself: left to the default (NOTIFY) */
	r = add_complement(sc, nr, arg, bad, n, depth + 1, prefix);
	if (r < 0)
		return r;
	return add_complement(sc, nr, arg, bad, n, depth + 1, prefix | (1u << (31 - depth)));
}

/* The syscall is allowed but some argument values are builtin denials. */
static int add_arg_builtin(struct ward_seccomp *sc, int nr)
{
	const uint32_t *bad;
	unsigned arg;
	size_t n;
	int r;

	if (nr == sc->nr_clone) {
		if (sc->def_act == SCMP_ACT_ALLOW) {
			for (unsigned b = 0; b < 32; b++) {
				uint64_t f = 1ull << b;
				struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, f, f);

				if (!(CLONE_NS_FLAGS & f))
					continue;
				r = add(sc, act_notify(sc), nr, 1, &c);
				if (r < 0)
					return r;
			}
			return 0;
		} else {
			struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0);

			return add(sc, SCMP_ACT_ALLOW, nr, 1, &c);
		}
	}
	if (nr == sc->nr_socket) {
		arg = 0, bad = bad_families, n = ARRAY_SIZE(bad_families);
	} else {
		arg = 1, bad = bad_ioctls, n = ARRAY_SIZE(bad_ioctls);
	}
	if (sc->def_act != SCMP_ACT_ALLOW)
		return add_complement(sc, nr, arg, bad, n, 0, 0);
	for (size_t i = 0; i < n; i++) {
		struct scmp_arg_cmp c = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, bad[i]);

		r = add(sc, act_notify(sc), nr, 1, &c);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_arg_builtin(const struct ward_seccomp *sc, int nr)
{
	return nr == sc->nr_socket || nr == sc->nr_ioctl ||
	       (nr == sc->nr_clone && !sc->clone_ns_allowed);
}

static int emit_syscall(struct ward_seccomp *sc, int nr, const struct ward_oci_profile *oci)
{
	uint8_t prof = sc->prof[nr];
	uint32_t base;
	int r;

	/* After seccomp_load() ward's own code makes exactly one more syscall, execve() of the
	 * workload; if that fails it calls _exit() (exit_group) after reporting over the sync
	 * socket (write is the profile's business: the error path tolerates EPERM). Denying
	 * these would make the sandbox unstartable, so no profile can. */
	if (nr == sc->nr_execve || nr == sc->nr_exit || nr == sc->nr_exit_group)
		return add(sc, SCMP_ACT_ALLOW, nr, 0, NULL);
	if (prof == SRC_KILL || prof == SRC_DENY)
		return add(sc, act_notify(sc), nr, 0, NULL);
	/* clone3 passes its flags in memory seccomp cannot read: answer ENOSYS, which makes
	 * glibc (2.34+) fall back to clone, whose flags we can check (as Docker and runc do). Not
	 * a violation: nothing is reported. */
	if (nr == sc->nr_clone3 && prof != SRC_ALLOW)
		return add(sc, SCMP_ACT_ERRNO(ENOSYS), nr, 0, NULL);
	if (sc->builtin[nr])
		return add(sc, act_notify(sc), nr, 0, NULL);

	if (prof == SRC_ALLOW)
		base = SCMP_ACT_ALLOW;
	else if (sc->imp[nr] == IMP_ALLOW)
		base = SCMP_ACT_ALLOW;
	else if (sc->imp[nr] == IMP_DENY)
		base = act_notify(sc);
	else
		base = sc->def_act;

	if (is_arg_builtin(sc, nr)) {
		/* An imported conditional ALLOW (Docker's "clone if no CLONE_NEW*") counts as an
		 * allow: the builtin argument rule is at least as strict for these three. Other
		 * imported conditions on them are not merged (libseccomp cannot AND two
		 * comparisons on one argument). */
		if (prof == SRC_NONE && sc->imp[nr] == IMP_COND)
			for (size_t i = 0; i < oci->n_rules; i++)
				if (oci->rules[i].nr == nr && oci->rules[i].action == WARD_SC_ALLOW)
					base = SCMP_ACT_ALLOW;
		if (base == SCMP_ACT_ALLOW)
			return add_arg_builtin(sc, nr);
		return add(sc, base, nr, 0, NULL);
	}

	r = add(sc, base, nr, 0, NULL);
	if (r < 0 || prof != SRC_NONE || sc->imp[nr] != IMP_COND)
		return r;
	/* Only conditional imported rules for this syscall: the profile's default applies when
	 * none matches; add those whose action differs from it (ward only has two actions, so
	 * one syscall never mixes ALLOW and NOTIFY conditional rules). */
	for (size_t i = 0; i < oci->n_rules; i++) {
		const struct ward_oci_rule *ir = &oci->rules[i];
		struct scmp_arg_cmp c[WARD_OCI_MAX_ARGS];
		uint32_t act;

		if (ir->nr != nr)
			continue;
		act = ir->action == WARD_SC_ALLOW ? SCMP_ACT_ALLOW : act_notify(sc);
		if (act == base)
			continue;
		for (size_t k = 0; k < ir->n_conds; k++)
			c[k] = (struct scmp_arg_cmp){.arg = ir->conds[k].arg,
						     .op = ir->conds[k].op,
						     .datum_a = ir->conds[k].value,
						     .datum_b = ir->conds[k].value_two};
		r = add(sc, act, nr, (unsigned)ir->n_conds, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int resolve_list(struct ward_seccomp *sc, const struct ward_strv *l, uint8_t src,
			const char *key, struct ward_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ward_str *s = &l->v[i];
		int nr = seccomp_syscall_resolve_name(s->s);

		if (nr < 0 || nr >= NR_MAX) {
			if (s->loc.file)
				return ward_error_set(err, -EINVAL,
						      "%s:%d:%d: %s: unknown syscall '%s' "
						      "on this architecture",
						      s->loc.file, s->loc.line, s->loc.col, key,
						      s->s);
			return ward_error_set(err, -EINVAL,
					      "%s: unknown syscall '%s' on this "
					      "architecture",
					      key, s->s);
		}
		/* Named in several lists: the strictest wins (kill > deny > allow). */
		if (src <= sc->prof[nr])
			continue;
		sc->prof[nr] = src;
		if (src == SRC_ALLOW)
			continue;
		free(sc->rule[nr]);
		if (asprintf(&sc->rule[nr], "%s: %s", key, s->s) < 0) {
			sc->rule[nr] = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static int merge_import(struct ward_seccomp *sc, const struct ward_oci_profile *oci)
{
	bool uncond_allow[NR_MAX] = {false}, uncond_deny[NR_MAX] = {false};
	bool cond[NR_MAX] = {false};

	for (size_t i = 0; i < oci->n_rules; i++) {
		const struct ward_oci_rule *ir = &oci->rules[i];

		if (ir->nr < 0 || ir->nr >= NR_MAX)
			continue;
		if (ir->n_conds) {
			cond[ir->nr] = true;
		} else if (ir->action == WARD_SC_ALLOW) {
			uncond_allow[ir->nr] = true;
		} else {
			uncond_deny[ir->nr] = true;
			/* errnoRet is kept: a Docker profile's ERRNO(ENOSYS) lets a program fall
			 * back where EPERM would make it give up */
			if ((ir->scmp_action & 0xffff0000u) == SCMP_ACT_ERRNO(0) &&
			    !sc->imp_err[ir->nr])
				sc->imp_err[ir->nr] = ir->scmp_action & 0xffffu;
		}
	}
	for (int nr = 0; nr < NR_MAX; nr++) {
		if (!uncond_allow[nr] && !uncond_deny[nr] && !cond[nr])
			continue;
		/* The profile's own lists win over the imported file. */
		if (sc->prof[nr] != SRC_NONE) {
			sc->stats.overridden++;
			continue;
		}
		/* An unconditional entry makes conditional ones moot (libseccomp drops them too);
		 * conflicting unconditional entries: the stricter wins. */
		if (uncond_deny[nr])
			sc->imp[nr] = IMP_DENY;
		else if (uncond_allow[nr])
			sc->imp[nr] = IMP_ALLOW;
		else
			sc->imp[nr] = IMP_COND;
	}
	sc->stats.rules = oci->n_rules;
	sc->stats.unknown = oci->n_unknown;
	sc->stats.excluded = oci->n_excluded;
	return 0;
}

static int resolve_or(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr >= 0 && nr < NR_MAX ? nr : -1;
}

static void oci_freep(struct ward_oci_profile **o)
{
	ward_oci_free(*o);
}
static void seccomp_freep(struct ward_seccomp **sc)
{
	ward_seccomp_free(*sc);
}

int ward_seccomp_build_flags(const struct ward_profile *p, unsigned flags,
			     struct ward_seccomp **ret, struct ward_error *err)
{
	_cleanup_(seccomp_freep) struct ward_seccomp *sc = NULL;
	_cleanup_(oci_freep) struct ward_oci_profile *oci = NULL;
	int r;

	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return ward_error_set(err, -ENOMEM, "seccomp: out of memory");
	sc->flags = flags;
	sc->def = p->sc_default;
	sc->def_act = p->sc_default == WARD_SC_ALLOW ? SCMP_ACT_ALLOW : act_notify(sc);
	sc->nr_clone = resolve_or("clone");
	sc->nr_clone3 = resolve_or("clone3");
	sc->nr_socket = resolve_or("socket");
	sc->nr_ioctl = resolve_or("ioctl");
	sc->nr_execve = resolve_or("execve");
	sc->nr_exit = resolve_or("exit");
	sc->nr_exit_group = resolve_or("exit_group");

	sc->ctx = seccomp_init(sc->def_act);
	if (!sc->ctx)
		return ward_error_set(err, -ENOMEM, "seccomp_init failed");
	/* The foreign-ABI prefix notifies whatever the profile says. */
	sc->has_notify = !(flags & WARD_SECCOMP_TEST_ERRNO);
	r = seccomp_attr_set(sc->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return ward_error_set(err, r, "seccomp: setting the bad-architecture action: %s",
				      strerror(-r));
	/* A binary search over syscall numbers instead of libseccomp's default linear list: every
	 * syscall of the workload runs the filter, and a profile's list is long. */
	(void)seccomp_attr_set(sc->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	/* Real errnos from seccomp_load() instead of libseccomp's blanket -ECANCELED. */
	r = seccomp_attr_set(sc->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r < 0)
		return ward_error_set(err, r, "seccomp: SYSRAWRC: %s", strerror(-r));

	r = resolve_list(sc, &p->sc_allow, SRC_ALLOW, "syscalls.allow", err);
	if (r >= 0)
		r = resolve_list(sc, &p->sc_deny, SRC_DENY, "syscalls.deny", err);
	if (r >= 0)
		r = resolve_list(sc, &p->sc_kill, SRC_KILL, "syscalls.kill", err);
	if (r < 0)
		return r;

	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		int nr = resolve_or(builtins[i].name);

		if (nr >= 0 && sc->prof[nr] != SRC_ALLOW)
			sc->builtin[nr] = builtins[i].rule;
	}
	/* A profile that explicitly allows unshare has opted into namespaces: clone may then
	 * create them too. */
	{
		int nr = resolve_or("unshare");

		sc->clone_ns_allowed = nr >= 0 && sc->prof[nr] == SRC_ALLOW;
	}

	if (p->sc_import.s) {
		r = ward_oci_load(p->sc_import.s, &p->capabilities, &oci, err);
		if (r < 0)
			return r;
		if (asprintf(&sc->import_rule, "import: %s", p->sc_import.s) < 0) {
			sc->import_rule = NULL;
			return ward_error_set(err, -ENOMEM, "seccomp: out of memory");
		}
		merge_import(sc, oci);
	}

	for (int nr = 0; nr < NR_MAX; nr++) {
		bool named = sc->prof[nr] || sc->imp[nr] || sc->builtin[nr] ||
			     nr == sc->nr_clone3 || nr == sc->nr_execve || nr == sc->nr_exit ||
			     nr == sc->nr_exit_group || is_arg_builtin(sc, nr);

		if (!named)
			continue;
		r = emit_syscall(sc, nr, oci);
		if (r < 0)
			return ward_error_set(err, r, "seccomp: adding the rule for %s: %s",
					      ward_syscall_name(nr) ?: "?", strerror(-r));
	}
	*ret = TAKE_PTR(sc);
	return 0;
}

int ward_seccomp_build(const struct ward_profile *p, struct ward_seccomp **ret,
		       struct ward_error *err)
{
	return ward_seccomp_build_flags(p, 0, ret, err);
}

/* ---- loading and the supervisor's side ---------------------------------------------------- */

/*
 * The caller has set PR_SET_NO_NEW_PRIVS (libseccomp sets it too: SCMP_FLTATR_CTL_NNP defaults
 * on). Returns the listener fd (the kernel creates it O_CLOEXEC, so the workload's execve
 * closes it; pass it to the supervisor first), or -ENODATA when the filter has no NOTIFY
 * action (a default-allow profile that denies nothing), or -errno.
 */
/* Compiling a few hundred rules takes libseccomp about a millisecond: the supervisor does it
 * while init builds the mount view, and hands the program over in a sealed memfd. */
/*
 * Foreign ABIs first: 5 classic BPF instructions in front of libseccomp's program, which starts
 * with its own arch check (its jumps are relative, so a prefix moves nothing). seccomp_data
 * holds nr at offset 0 and arch at 4. On x86_64 an x32 number (>= __X32_SYSCALL_BIT, but not -1,
 * which a tracer uses to skip a call) is foreign too; on other architectures that test is left
 * out and only the arch is compared.
 */
static size_t foreign_prefix(const struct ward_seccomp *sc, struct sock_filter *f)
{
	uint32_t native = seccomp_arch_native();
	uint32_t act = (sc->flags & WARD_SECCOMP_TEST_ERRNO) ? SECCOMP_RET_KILL_PROCESS
							     : SECCOMP_RET_USER_NOTIF;
	size_t n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4);
	if (native == SCMP_ARCH_X86_64) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native, 0, 3);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 2);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 1, 0);
	} else {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native, 1, 0);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, act);
	return n;
}

bool ward_seccomp_foreign(uint32_t arch, int nr, char *name, size_t len)
{
	uint32_t native = seccomp_arch_native();
	uint32_t a = arch;
	char *s;

	if (arch == native && (native != SCMP_ARCH_X86_64 || nr < 0x40000000 || nr == -1))
		return false;
	if (arch == native) { /* x32 */
		a = SCMP_ARCH_X32;
		nr &= ~0x40000000;
	}
	s = seccomp_syscall_resolve_num_arch(a, nr);
	snprintf(name, len, "%s", s ? s : "unknown");
	free(s);
	return true;
}

const char *ward_seccomp_arch_name(uint32_t arch, int nr)
{
	if (arch == SCMP_ARCH_X86_64)
		return nr >= 0x40000000 ? "x32" : "x86_64";
	switch (arch) {
	case SCMP_ARCH_X86:
		return "i386";
	case SCMP_ARCH_AARCH64:
		return "aarch64";
	case SCMP_ARCH_ARM:
		return "arm";
	default:
		return "unknown";
	}
}

int ward_seccomp_export(struct ward_seccomp *sc)
{
	_cleanup_close_ int fd = -1;
	struct sock_filter pre[8];
	size_t npre;
	int r;

	if (!sc)
		return -EINVAL;
	fd = memfd_create("ward-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	npre = foreign_prefix(sc, pre);
	r = ward_write_all(fd, (const char *)pre, npre * sizeof(pre[0]));
	if (r < 0)
		return r;
	r = seccomp_export_bpf(sc->ctx, fd);
	if (r < 0)
		return r;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int ward_seccomp_load_fd(struct ward_seccomp *sc, int fd)
{
	struct sock_fprog prog;
	struct stat st;
	unsigned flags = 0;

	if (!sc || fd < 0)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size > BPF_MAXINSNS * (off_t)sizeof(struct sock_filter))
		return -EINVAL;
	void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	prog.len = st.st_size / sizeof(struct sock_filter);
	prog.filter = p;
	if (sc->has_notify)
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	r = r < 0 ? -errno : r;
	munmap(p, st.st_size);
	if (r < 0)
		return r;
	return sc->has_notify ? (int)r : -ENODATA;
}

int ward_seccomp_load(struct ward_seccomp *sc)
{
	_cleanup_close_ int fd = -1;

	/* The same program as the supervisor's export, foreign-ABI prefix included. */
	fd = ward_seccomp_export(sc);
	if (fd < 0)
		return fd;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return ward_seccomp_load_fd(sc, fd);
}

void ward_seccomp_verdict(const struct ward_seccomp *sc, int nr, const uint64_t args[6],
			  struct ward_sc_verdict *ret)
{
	bool in = nr >= 0 && nr < NR_MAX;

	ret->action = WARD_SC_DENY;
	ret->err = 0;
	if (in && sc->prof[nr] == SRC_KILL) {
		ret->action = WARD_SC_KILL;
		ret->rule = sc->rule[nr];
		return;
	}
	if (in && sc->prof[nr] == SRC_DENY) {
		ret->rule = sc->rule[nr];
		return;
	}
	if (in && sc->builtin[nr]) {
		ret->rule = sc->builtin[nr];
		return;
	}
	if (in && args) {
		if (nr == sc->nr_clone && !sc->clone_ns_allowed && (args[0] & CLONE_NS_FLAGS)) {
			ret->rule = "builtin: namespaces";
			return;
		}
		for (size_t i = 0; nr == sc->nr_socket && i < ARRAY_SIZE(bad_families); i++)
			if ((uint32_t)args[0] == bad_families[i]) {
				ret->rule = "builtin: socket-family";
				return;
			}
		for (size_t i = 0; nr == sc->nr_ioctl && i < ARRAY_SIZE(bad_ioctls); i++)
			if ((uint32_t)args[1] == bad_ioctls[i]) {
				ret->rule = "builtin: tty-injection";
				return;
			}
	}
	if (in &&
	    (sc->imp[nr] == IMP_DENY || (sc->imp[nr] == IMP_COND && sc->def == WARD_SC_ALLOW))) {
		ret->rule = sc->import_rule;
		if (sc->imp[nr] == IMP_DENY)
			ret->err = sc->imp_err[nr];
		return;
	}
	switch (sc->def) {
	case WARD_SC_KILL:
		ret->action = WARD_SC_KILL;
		ret->rule = "syscalls.default: kill";
		break;
	case WARD_SC_DENY:
		ret->rule = "syscalls.default: deny";
		break;
	default:
		/* Default allow and no rule explains the notification: fail closed, say so. */
		ret->rule = "unexplained notification";
		break;
	}
}

void ward_seccomp_import_stats(const struct ward_seccomp *sc, struct ward_seccomp_import_stats *ret)
{
	*ret = sc->stats;
}

void ward_seccomp_free(struct ward_seccomp *sc)
{
	if (!sc)
		return;
	if (sc->ctx)
		seccomp_release(sc->ctx);
	for (int i = 0; i < NR_MAX; i++)
		free(sc->rule[i]);
	free(sc->import_rule);
	free(sc);
}
