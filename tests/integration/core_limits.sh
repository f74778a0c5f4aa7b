#!/bin/bash
# Resource limits: pids (fork bomb), memory (OOM with a lifecycle event), wall-clock timeout,
# and no cgroup left behind.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 10

run_probe "$PROFILES/limits-pids.yaml" --id ward-t-pids -- fork-bomb 200
forked=$(result_field forked)
if [ -n "$forked" ] && [ "$forked" -lt 200 ] && [ "$forked" -ge 1 ]; then
	ok "pids.max 32 stops a 200-process fork bomb ($forked forked)"
else
	not_ok "pids.max 32 stops a 200-process fork bomb (${forked:-?} forked)"
	diag_ward
fi
check "fork fails with EAGAIN at the limit" result_is first_errno EAGAIN
check "no cgroup left behind after the sandbox exits" bash -c "[ -z \"\$(find /sys/fs/cgroup -maxdepth 4 -type d -name '*ward-t-pids*' 2>/dev/null)\" ]"

run_probe "$PROFILES/limits-memory.yaml" --id ward-t-mem -- alloc 256
check "memory.max 64M stops a 256 MB allocation (SIGKILL: 137)" rc_is 137
check "the allocation never completed" bash -c "! grep -q '^RESULT op=alloc ret=0' '$WARD_OUT'"
check "an oom lifecycle event is reported" event_count_is 1 'select(.kind == "lifecycle" and .event == "oom")'
check "no cgroup left behind after an OOM kill" bash -c "[ -z \"\$(find /sys/fs/cgroup -maxdepth 4 -type d -name '*ward-t-mem*' 2>/dev/null)\" ]"

start=$(date +%s%N)
run_probe "$PROFILES/probe.yaml" --timeout 1s -- sleep 30
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
if rc_is 143 || rc_is 137; then ok "--timeout 1s ends 'sleep 30' (exit $WARD_RC)"; else
	not_ok "--timeout 1s ends 'sleep 30' (exit $WARD_RC)"
	diag_ward
fi
check "... within the grace period (${elapsed_ms} ms)" [ "$elapsed_ms" -lt 10000 ]
check "a timeout lifecycle event is reported" event_count_is 1 'select(.kind == "lifecycle" and .event == "timeout")'
