#!/bin/bash
# Seccomp: always-denied syscalls fail with EPERM and each produces exactly one syscall
# violation event; audit mode lets them reach the kernel and reports action "audit"; a kill
# syscall kills the sandbox and is reported.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
P=$PROFILES/probe.yaml

# probe syscall NAME -> the syscall name in the event.
denied=(ptrace:ptrace mount:mount unshare-user:unshare bpf:bpf io_uring_setup:io_uring_setup
	tiocsti:ioctl)
# The audit runs bind the probe at its host path: audit mode's view is the host root read-only.
# More of the always-denied set: EPERM and at least one violation each.
more=(unshare-net:unshare setns:setns perf_event_open:perf_event_open keyctl:keyctl
	userfaultfd:userfaultfd open_by_handle_at:open_by_handle_at clone-newns:clone
	clone-newuser:clone socket-packet:socket socket-vsock:socket socket-alg:socket umount:umount2)
plan $((${#denied[@]} * 3 + ${#denied[@]} * 3 + ${#more[@]} + 14))

probe_args() {
	if [ "$1" = tiocsti ]; then echo tiocsti; else echo "syscall $1"; fi
}

for d in "${denied[@]}"; do
	op=${d%%:*} sc=${d#*:}
	# shellcheck disable=SC2046
	run_probe "$P" -- $(probe_args "$op")
	check "$op fails with EPERM" result_is errno EPERM
	check "$op produces exactly one syscall violation event ($sc, action deny)" \
		event_count_is 1 "select(.kind == \"syscall\" and .violation == true and .syscall == \"$sc\" and .action == \"deny\" and (.nr | type) == \"number\" and (.args | type) == \"array\")"
	check "$op: no other violation" event_count_is 1 'select(.violation == true)'
done

for d in "${denied[@]}"; do
	op=${d%%:*} sc=${d#*:}
	# shellcheck disable=SC2046
	run_probe_host "$P" -m audit -- $(probe_args "$op")
	# The probe's arguments make the kernel itself fail with EINVAL/ESRCH/ENOTTY (or succeed
	# for unshare), never with ward's EPERM, so the call did reach the kernel.
	check "audit: $op reaches the kernel (errno $(result_field errno))" \
		bash -c "grep -q '^RESULT ' '$WARD_OUT' && ! grep -q '^RESULT .*errno=EPERM' '$WARD_OUT'"
	check "audit: $op is reported once with action audit" \
		event_count_is 1 "select(.kind == \"syscall\" and .syscall == \"$sc\" and .action == \"audit\" and .violation == true)"
	check "audit: $op workload exits 0" rc_is 0
done

for d in "${more[@]}"; do
	op=${d%%:*} sc=${d#*:}
	run_probe "$P" -- syscall "$op"
	n=$(count_events "select(.kind == \"syscall\" and .violation == true and .syscall == \"$sc\")")
	if result_is errno EPERM && [ "$n" -ge 1 ]; then ok "$op is denied (EPERM) and reported"; else
		not_ok "$op is denied (EPERM) and reported ($n events)"
		diag_ward
	fi
done

# --bind SRC:DST must work in audit mode too (not only SRC at its own path).
run_probe "$P" -m audit -- pid
check "audit: --bind SRC:/probe-bin is honoured (exit $WARD_RC)" result_is errno 0

# x32: a second syscall table must not be reachable. Either the call fails or the sandbox is
# killed (SIGSYS 159, SIGKILL 137); it never returns a pid.
run_probe "$P" -- syscall x32
if rc_is 159 || rc_is 137 || { result_is ret -1 && rc_is 0; }; then
	ok "the x32 ABI is refused (exit $WARD_RC, errno $(result_field errno))"
else
	not_ok "the x32 ABI is refused"
	diag_ward
fi

# An allowed syscall: no violation at all.
run_probe "$P" -- syscall socket-inet
check "an allowed syscall (socket AF_INET) works" result_is errno 0
check "an allowed syscall produces no violation" event_count_is 0 'select(.violation == true)'
check "events are JSON objects with the common fields" events_valid
check "seq numbers run 1..N without gaps" \
	jq -e -s '[.[].seq] == [range(1; length + 1)]' "$WARD_EVENTS"

# Kill list: the whole sandbox dies (SIGKILL: 137) and the attempt is reported.
start=$(date +%s)
run_probe "$P" -- syscall kexec_load
check "a kill-listed syscall kills the sandbox (exit 137)" rc_is 137
check "the workload did not continue after the kill syscall" bash -c "! grep -q '^RESULT' '$WARD_OUT'"
check "the kill syscall is reported (kexec_load)" \
	event_count_is 1 'select(.kind == "syscall" and .syscall == "kexec_load" and .violation == true)'
check "the exit event reports signal 9" \
	event_count_is 1 'select(.kind == "lifecycle" and .event == "exit" and (.signal == 9 or .signal == "SIGKILL"))'
check "the kill is immediate (<10 s)" [ $(($(date +%s) - start)) -lt 10 ]

# syscalls.import keeps the imported errnoRet: ERRNO(38) answers ENOSYS, still reported.
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}\n' >"$T/enosys.json"
printf 'name: import-errno\ninclude: [%s]\nsyscalls: {import: enosys.json}\n' "$P" >"$T/import-errno.yaml"
run_probe "$T/import-errno.yaml" -- syscall getpriority
check "an imported ERRNO(38) rule is answered ENOSYS" result_is errno ENOSYS
check "and reported as a syscall violation naming the import" \
	event_count_is 1 'select(.kind == "syscall" and .violation and .syscall == "getpriority" and (.rule | test("^import: ")))'
run_probe "$P" -- syscall getpriority
check "without the import, the profile's default deny answers EPERM" result_is errno EPERM
