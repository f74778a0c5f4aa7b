#!/bin/bash
# Issue 8, launcher side: the seams a hostile model went through, each closed and reported.
#   item 2  nested namespaces: user.max_*_namespaces = 0 inside, even with clone3/unshare allowed
#   item 3  no fileless exec: vm.memfd_noexec = 2 (layer memfd_noexec); writable mounts noexec
#   item 4  a 32-bit int $0x80 syscall is reported (arch, number, name), then killed
#   item 5  filesystem.deny by object: a bind of /etc elsewhere does not show /etc/shadow
#   item 9  a command that cannot be executed (126, 127) still gives start, exec, exit events
#   item 10 hitting limits.pids is a lifecycle event
#   item 12 audit mode: --bind SRC:/opt/models where the host has no /opt/models
#   item 13 audit mode keeps the network namespace the profile or --net chose
. "$(dirname "$0")/lib.sh"
require_root
require_ward

S=$PROFILES/seams.yaml
SN=$PROFILES/seams-nested.yaml
P=$PROFILES/probe.yaml
plan 31

# ---- item 2: nested namespaces ----
for op in unshare-user clone3-newuser clone-newuser; do
	run_probe "$S" -- syscall "$op"
	check "item 2: $op with clone3/unshare allowed fails ENOSPC (user.max_user_namespaces=0)" \
		result_is errno ENOSPC
done
run_probe "$SN" -- syscall unshare-user
check "item 2: nested_namespaces: true lets unshare(CLONE_NEWUSER) through" result_is errno 0
run_ward check "$SN"
check "item 2: ward check prints nested_namespaces" grep -q '^nested_namespaces: true' "$WARD_OUT"

# ---- item 3: fileless and dropped executables ----
run_probe "$S" -- memfd-exec
check "item 3: a payload in a memfd does not execute (execveat EACCES, exit $WARD_RC)" \
	eval 'rc_is 0 && result_is errno EACCES'
check "item 3: memfd_create(MFD_EXEC) is refused (EACCES)" result_is mfd_exec EACCES
check "item 3: the start event lists memfd_noexec as active" \
	event_count_is 1 'select(.event == "start" and (.layers.active | index(["memfd_noexec"])))'
RW=$(make_rw_dir rw)
for d in /tmp /dev/shm "$RW"; do
	run_probe "$S" --bind "$RW:$RW:rw" -- mountflags "$d"
	check "item 3: $d is mounted noexec" result_is noexec 1
done
# Audit mode applies no Landlock, so only the mount flag stands between a dropped binary and
# exec(2).
run_probe_host "$S" -m audit -- drop-exec /tmp/dropped
check "item 3: audit mode: a binary dropped into /tmp does not run (EACCES, exit $WARD_RC)" \
	eval 'rc_is 0 && result_is errno EACCES'
run_ward features
check "item 3: ward features lists vm.memfd_noexec" grep -q 'memfd_noexec *yes' "$WARD_OUT"

# ---- item 4: foreign ABI ----
run_probe "$P" -- syscall i386
check "item 4: an int \$0x80 syscall kills the process (SIGKILL: 137)" rc_is 137
check "item 4: ... and is reported with arch, number and name" \
	event_count_is 1 'select(.kind == "syscall" and .violation and .arch == "i386" and .nr == 20 and .syscall == "getpid" and .rule == "builtin: foreign-abi" and .consequence == "process killed")'
run_probe "$P" -- syscall x32
check "item 4: an x32 syscall is reported as arch x32" \
	eval 'rc_is 137 && event_count_is 1 "select(.kind == \"syscall\" and .arch == \"x32\" and .syscall == \"getpid\")"'

# ---- item 5: deny by object ----
run_probe "$P" --bind /etc:/opt/etc -- stat /opt/etc/shadow
check "item 5: deny /etc/shadow, --bind /etc:/opt/etc: /opt/etc/shadow is not there (ENOENT)" \
	result_is errno ENOENT
run_probe "$P" --bind /etc:/opt/etc -- open /opt/etc/shadow
check "item 5: ... an open of it is a violation (stat is the monitor side's item 7)" \
	event_count_is 1 'select(.kind == "file" and .violation and .path == "/opt/etc/shadow")'
run_probe "$P" --bind /etc:/opt/etc -- ls /opt/etc
check "item 5: ... nor listed in /opt/etc" bash -c "! grep -qx 'ENTRY shadow' '$WARD_OUT' && grep -qx 'ENTRY passwd' '$WARD_OUT'"
run_probe "$P" --bind /etc/ssh:/opt/ssh -- ls /opt/ssh
check "item 5: deny /etc/ssh, --bind /etc/ssh:/opt/ssh: nothing of it shows" \
	bash -c "! grep -q '^ENTRY' '$WARD_OUT'"

# ---- item 9: the command itself ----
run_ward run -p "$P" --bind "$PROBE_BIND" -- /no/such/program
check "item 9: a missing command exits 127" rc_is 127
check "item 9: ... with start, one exec violation (ENOENT) and exit in the sink" \
	jq -e -s '([.[] | .kind + ":" + (.event // "")] == ["lifecycle:start", "exec:", "lifecycle:exit"]) and
		(.[1].violation and .[1].path == "/no/such/program" and .[1].errno == "ENOENT") and
		.[2].exit_code == 127' "$WARD_EVENTS"
run_ward run -p "$S" --bind "$PROBE_BIND" -- /etc/passwd
check "item 9: a command that cannot be executed exits 126" rc_is 126
check "item 9: ... with start, one exec violation (EACCES) and exit in the sink" \
	jq -e -s '([.[] | .kind] == ["lifecycle", "exec", "lifecycle"]) and .[1].errno == "EACCES" and .[2].exit_code == 126' "$WARD_EVENTS"

# ---- item 10: pids limit ----
run_probe "$PROFILES/limits-pids.yaml" -- fork-bomb 100
check "item 10: the fork bomb hit the limit" result_is first_errno EAGAIN
check "item 10: a pids_limit lifecycle event reports it" \
	event_count_is 1 'select(.kind == "lifecycle" and .event == "pids_limit" and .violation and .rule == "limits.pids" and .refused >= 1)'
check "item 10: ... before exit" jq -e -s '.[-1].event == "exit" and .[-2].event == "pids_limit"' "$WARD_EVENTS"

# ---- item 12: audit bind to a destination the host lacks ----
M=$T/models
mkdir -p "$M"
echo weights >"$M/w.bin"
chmod -R a+rX "$M"
[ -e /opt/models ] && echo "# /opt/models exists on this host: item 12 is not exercised" >&2
run_probe_host "$P" -m audit --bind "$M:/opt/models" -- open /opt/models/w.bin
check "item 12: audit mode: --bind SRC:/opt/models works (exit $WARD_RC)" \
	eval 'rc_is 0 && result_is errno 0'
run_probe_host "$P" -m audit --bind "$M:/opt/models" -- ls /opt
check "item 12: ... and the host's /opt is still there around it" \
	bash -c "grep -qx 'ENTRY models' '$WARD_OUT' && [ \$(grep -c '^ENTRY' '$WARD_OUT') -eq \$((\$(ls -A /opt | grep -vx models | wc -l) + 1)) ]"

# ---- item 13: audit keeps the network mode ----
run_probe_host "$P" -m audit -- ifaces
check "item 13: audit mode under network.mode none: only lo, down" \
	eval 'result_is count 1 && result_is up 0'
run_probe_host "$P" -m audit --net loopback -- ifaces
check "item 13: audit mode with --net loopback: only lo, up" \
	eval 'result_is count 1 && result_is up 1'
