#!/bin/bash
# Exit codes, lifecycle events, signal forwarding, zombie reaping, bad profiles never starting.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 25
P=$PROFILES/probe.yaml

run_probe "$P" -- exit 3
check "the command's own exit code is returned (3)" rc_is 3
check "one start and one exit event" \
	jq -e -s '(map(select(.kind == "lifecycle" and .event == "start")) | length == 1) and
		(map(select(.kind == "lifecycle" and .event == "exit")) | length == 1)' "$WARD_EVENTS"
check "the exit event carries exit_code 3" \
	event_count_is 1 'select(.kind == "lifecycle" and .event == "exit" and .exit_code == 3)'
check "the start event comes first (seq 1) and the exit event last" \
	jq -e -s '(.[0].event == "start" and .[0].seq == 1) and (.[-1].event == "exit")' "$WARD_EVENTS"

run_probe "$P" -- exit 0
check "exit code 0" rc_is 0

run_probe "$P" -- kill-self 9
check "death by SIGKILL gives 137" rc_is 137
check "the exit event carries the signal" \
	event_count_is 1 'select(.kind == "lifecycle" and .event == "exit" and (.signal == 9 or .signal == "SIGKILL"))'

run_probe "$P" -- kill-self 15
check "death by SIGTERM gives 143" rc_is 143

run_ward run -p "$P" -- /no/such/command
check "a missing command gives 127" rc_is 127

noexec=$T/noexec
mkdir -p "$noexec"
printf '#!/bin/sh\nexit 0\n' >"$noexec/script"
chmod 0644 "$noexec/script"
run_ward run -p "$P" --bind "$noexec:/x:ro" -- /x/script
check "a non-executable file gives 126" rc_is 126

run_ward run --no-such-flag -p "$P" -- /bin/true
check "an unknown flag gives 125" rc_is 125
run_ward run -p "$P" -m sideways -- /bin/true
check "a bad --mode value gives 125" rc_is 125
run_ward run -p "$P" --timeout soon -- /bin/true
check "a bad --timeout value gives 125" rc_is 125
run_ward run -p "$T/no-such-profile.yaml" -- /bin/true
check "a missing profile gives 125" rc_is 125

# A bad profile never starts the workload: the probe would create a marker in a rw bind.
rw=$(make_rw_dir marker)
for bad in bad-unknown-key bad-type bad-size bad-cycle-a; do
	run_ward run -p "$PROFILES/$bad.yaml" --bind "$PROBE_BIND" --bind "$rw:/out:rw" -- \
		"$PROBE" write /out/started
	# (an include cycle may be reported in either file of the cycle)
	if rc_is 125 && [ ! -e "$rw/started" ] && grep -qE "${bad%-a}(-[ab])?.yaml:[0-9]+:[0-9]+" "$WARD_ERR"; then
		ok "$bad: exit 125, FILE:LINE:COL on stderr, workload never started"
	else
		not_ok "$bad: exit 125, FILE:LINE:COL on stderr, workload never started"
		[ -e "$rw/started" ] && diag "the workload ran"
		diag_ward
	fi
	rm -f "$rw/started"
done

# Signal forwarding: SIGTERM to ward reaches the workload, which dies of it: 128+15.
out=$T/sig.out
"$WARD" run -e "file:$T/sig.events" -p "$P" --bind "$PROBE_BIND" -- "$PROBE" signal-wait 20 \
	</dev/null >"$out" 2>"$T/sig.err" &
wpid=$!
track_pid "$wpid"
if wait_for_line "$out" READY 10; then
	kill -TERM "$wpid"
	rc=0
	wait "$wpid" || rc=$?
	if grep -q 'got SIGTERM' "$out" && [ "$rc" = 143 ]; then
		ok "SIGTERM to ward reaches the workload and ward exits 143"
	else
		not_ok "SIGTERM to ward reaches the workload and ward exits 143 (exit $rc)"
		diag "$(cat "$out" "$T/sig.err")"
	fi
else
	not_ok "SIGTERM to ward reaches the workload (the probe never got ready)"
	diag "$(cat "$out" "$T/sig.err")"
	kill -KILL "$wpid" 2>/dev/null
fi

# SIGINT likewise (Ctrl-C at a terminal).
out=$T/sigint.out
# A non-interactive shell starts background jobs with SIGINT ignored: restore the default.
env --default-signal=INT "$WARD" run -e none -p "$P" --bind "$PROBE_BIND" -- "$PROBE" signal-wait 20 \
	</dev/null >"$out" 2>"$T/sigint.err" &
wpid=$!
track_pid "$wpid"
if wait_for_line "$out" READY 10; then
	kill -INT "$wpid"
	rc=0
	wait "$wpid" || rc=$?
	check "SIGINT is forwarded too (exit $rc)" bash -c "grep -q 'got SIGINT' '$out' && [ $rc = 130 ]"
else
	not_ok "SIGINT is forwarded (the probe never got ready)"
	diag "$(cat "$out" "$T/sigint.err")"
fi

run_probe "$P" -- zombies 5
check "orphaned children are reaped by ward's PID 1" result_is zombies 0

# ---- SIGKILL of ward itself: the sandbox dies with it (nothing runs unmonitored) ----
id=ward-test-kill9-$$
"$WARD" run -e none --id "$id" -p "$P" --bind "$PROBE_BIND" -- "$PROBE" sleep 30 \
	</dev/null >"$T/k9.out" 2>"$T/k9.err" &
wpid=$!
track_pid "$wpid"
# cgroup_procs ID N: waits until sandbox ID's cgroup holds N processes; prints their pids
cgroup_procs() {
	local i procs=
	for ((i = 0; i < 200; i++)); do
		procs=$(cat $(leftover_cgroups "$1" | head -n 1)/cgroup.procs 2>/dev/null | tr '\n' ' ')
		[ "$(wc -w <<<"$procs")" -ge "$2" ] && break
		sleep 0.05
	done
	echo "$procs"
}
procs=$(cgroup_procs "$id" 2)
kill -KILL "$wpid"
wait "$wpid" 2>/dev/null || true
gone=0
for ((i = 0; i < 60; i++)); do
	alive=0
	for p in $procs; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && { gone=1; break; }
	sleep 0.05
done
check "ward SIGKILLed: its init and workload die too (parent-death signal; pids $procs)" \
	eval '[ -n "$procs" ] && [ $gone = 1 ]'
for p in $procs; do kill -KILL "$p" 2>/dev/null; done

# The cgroups it left: removed by a later launch once they are a minute old (at most one scan
# a minute per host: the stamp is removed here to trigger it now).
left=$(leftover_cgroups "$id")
check "ward SIGKILLed: its (empty) cgroups are left behind" test -n "$left"
for d in $left; do touch -d "2 minutes ago" "$d"; done
rm -f /run/ward/cgroup-gc.stamp
# a live sandbox whose cgroup looks just as old stays
live=ward-test-live-$$
"$WARD" run -e none --id "$live" -p "$P" --bind "$PROBE_BIND" -- "$PROBE" sleep 20 \
	</dev/null >"$T/live.out" 2>"$T/live.err" &
lpid=$!
track_pid "$lpid"
cgroup_procs "$live" 2 >/dev/null
for d in $(leftover_cgroups "$live"); do touch -d "2 minutes ago" "$d"; done
rm -f /run/ward/cgroup-gc.stamp
run_probe "$P" -- pid
check "a later launch removed the leftover cgroups" test -z "$(leftover_cgroups "$id")"
check "and kept the cgroup of the sandbox still running" test -n "$(leftover_cgroups "$live")"
kill -TERM "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null || true
