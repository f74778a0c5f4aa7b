#!/bin/bash
# Privileges: capabilities, no_new_privs, identity, setuid, fds, session, PID and UTS namespaces.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 20
P=$PROFILES/probe.yaml

run_probe "$P" -- caps
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
	check "$set is empty" result_is "$set" 0000000000000000
done

run_probe "$P" -- nnp
check "no_new_privs is set" result_is nnp 1

run_probe "$P" -- ids
check "the workload runs as the profile's uid/gid (65534)" \
	bash -c "grep -q 'uid=65534 euid=65534 suid=65534 gid=65534 egid=65534 sgid=65534' '$WARD_OUT'"

# A setuid-root copy of the probe, owned by root, in the read-only probe directory.
cp "$PROBE_SRC" "$PROBE_DIR/probe-suid"
chown 0:0 "$PROBE_DIR/probe-suid"
chmod 4755 "$PROBE_DIR/probe-suid"
run_probe "$P" -- exec /probe-bin/probe-suid ids
if grep -q '^RESULT op=ids' "$WARD_OUT" && result_is_not euid 0 && [ "$(result_field euid)" = "$(result_field uid)" ]; then
	ok "a setuid-root binary does not gain privileges (euid=$(result_field euid))"
else
	not_ok "a setuid-root binary does not gain privileges"
	diag_ward
fi
rm -f "$PROBE_DIR/probe-suid"

# Extra descriptors in ward's caller must not reach the workload.
exec 5</etc/hostname 9>"$T/leak"
run_probe "$P" -- fds
exec 5<&- 9>&-
check "every fd above 2 is closed before exec" result_is count 0

run_probe "$P" -- sid
check "the workload has its own session (setsid)" result_is own_session 1
check "the workload has no controlling terminal" bash -c "! grep -q 'ctty=yes' '$WARD_OUT'"

run_probe "$P" -- pid
pid=$(result_field pid)
if [ -n "$pid" ] && [ "$pid" -le 3 ]; then ok "the workload is in its own PID namespace (pid $pid)"; else
	not_ok "the workload is in its own PID namespace (pid ${pid:-?})"
	diag_ward
fi

run_probe "$P" --id ward-test-host -- hostname
check "the hostname is the sandbox id (--id)" result_is hostname ward-test-host

run_probe "$P" -- landlock /etc/passwd
abi=$(result_field abi)
kabi=$("$PROBE_SRC" landlock | sed -n 's/.* abi=\([0-9-]*\).*/\1/p')
check "Landlock is available to the workload (ABI $abi, host $kabi)" [ "${abi:-x}" = "$kabi" ]
if [ "${kabi:-0}" -ge 1 ]; then
	check "the start event reports the Landlock layer and its ABI ($kabi)" \
		jq -e -s --arg abi "$kabi" 'map(select(.kind == "lifecycle" and .event == "start"))
			| length == 1 and (.[0] | tostring | test("landlock")) and
			(.[0] | tostring | test("landlock[^0-9]{0,24}" + $abi))' "$WARD_EVENTS"
else
	skip "this kernel has no Landlock"
fi

# ---- an ordinary user (no passwd entry needed): no cgroup, no BPF; fail closed unless degraded ----
U=4242
cp "$WARD" "$T/ward-user" && chmod 0755 "$T/ward-user"
cp "$P" "$T/probe-user.yaml" && chmod 0644 "$T/probe-user.yaml"
EU=$T/events-user.jsonl
: >"$EU" && chmod 0666 "$EU"
as_user() { # as_user ARGS...: ward run as uid/gid $U, events to $EU
	WARD_RC=0
	: >"$EU"
	(cd "$T" && timeout -k 5 60 setpriv --reuid=$U --regid=$U --clear-groups --inh-caps=-all \
		"$T/ward-user" run -e "file:$EU" "$@") </dev/null >"$T/out-user" 2>"$T/err-user" ||
		WARD_RC=$?
}
as_user -p "$T/probe-user.yaml" --bind "$PROBE_BIND" -- /probe-bin/probe ids
check "as an ordinary user without --allow-degraded: refused (125) naming the missing cgroup" \
	eval 'test "$WARD_RC" = 125 && grep -q "cannot apply: .*cgroup" "$T/err-user"'
check "as an ordinary user: the workload did not start" eval '! grep -q "^RESULT" "$T/out-user"'
as_user --allow-degraded -p "$T/probe-user.yaml" --bind "$PROBE_BIND" -- /probe-bin/probe ids
check "as an ordinary user with --allow-degraded: the workload runs (exit 0)" \
	eval 'test "$WARD_RC" = 0 && grep -q "^RESULT op=ids" "$T/out-user"'
check "the start event lists cgroup and the monitors as missing, seccomp and Landlock active" \
	jq -e -s 'map(select(.event == "start")) | length == 1 and
		(.[0].layers.missing | index("cgroup") and index("bpf-monitors")) and
		(.[0].layers.active | map(select(startswith("seccomp") or startswith("landlock"))) | length == 2)' "$EU"
as_user --allow-degraded -p "$T/probe-user.yaml" --bind "$PROBE_BIND" -- /probe-bin/probe syscall ptrace
check "as an ordinary user: ptrace still fails EPERM with one syscall violation" \
	eval 'grep -q "^RESULT.*errno=EPERM" "$T/out-user" &&
		[ "$(jq -s "map(select(.kind == \"syscall\" and .violation and .syscall == \"ptrace\")) | length" "$EU")" = 1 ]'
