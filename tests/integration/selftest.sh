#!/bin/bash
# ward selftest (issue 13): the results for every shipped profile match docs/selftest.md; a
# deliberately weak profile fails exactly where it is weak (a self-test that cannot fail is
# worthless); what a profile allows narrowly passes; one `selftest` event reaches the sink;
# a sandbox that cannot be built is 125; nothing is left on the host.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
if [ ! -x "$BUILD/ward-probe" ]; then
	echo "1..0 # SKIP $BUILD/ward-probe not built (make)"
	[ "${CI:-}" = true ] && exit 1
	exit 0
fi

plan 14

# selftest ARGS...: run_ward without the run-only sink; the selftest event to $WARD_EVENTS.
selftest() {
	_run_n=$((_run_n + 1))
	WARD_OUT=$T/out.$_run_n
	WARD_ERR=$T/err.$_run_n
	WARD_EVENTS=$T/events.$_run_n.jsonl
	: >"$WARD_EVENTS"
	WARD_RC=0
	timeout -k 5 120 "$WARD" selftest -e "file:$WARD_EVENTS" "$@" </dev/null >"$WARD_OUT" \
		2>"$WARD_ERR" || WARD_RC=$?
}
verdict() { jq -r --arg n "$1" '.probes[] | select(.name == $n) | .verdict' "$WARD_OUT"; }
failed() { jq -r '[.probes[] | select(.verdict == "fail") | .name] | sort | join(" ")' "$WARD_OUT"; }

# ---- every shipped profile, against the documented results ----
if out=$(cd "$TOP" && python3 tools/selftest_doc.py check "$WARD" docs/selftest.md 2>&1); then
	ok "every shipped profile gives the results docs/selftest.md lists"
else
	not_ok "every shipped profile gives the results docs/selftest.md lists"
	diag "$out" "(python3 tools/selftest_doc.py update build/ward docs/selftest.md after a probe change)"
fi

# ---- python-cpu: the getting-started run ----
start=$(date +%s%N)
selftest -p python-cpu --json
ms=$((($(date +%s%N) - start) / 1000000))
check "python-cpu: a JSON document with a verdict for every probe (exit 0 or 1, not 125)" \
	eval '[ "$WARD_RC" = 0 ] || [ "$WARD_RC" = 1 ]; jq -e "(.probes | length) > 40 and all(.probes[]; .verdict != null)" "$WARD_OUT"'
check "python-cpu: the whole selftest under 10 s (${ms} ms)" test "$ms" -lt 10000
# python-cpu holds: nothing fails.
pending=""
check "python-cpu: no probe fails" \
	eval '[ "$(failed)" = "$pending" ]'
check "python-cpu: allowed exec runs unreported; escapes, exec and network blocked and reported" \
	eval '[ "$(verdict exec.allowed)" = pass ] && [ "$(jq -r "[.probes[] | select(.name | test(\"^(esc.ptrace|esc.mount|esc.bpf|exec.elf-loader|exec.memfd|net.tcp-connect|net.unix-abstract|files.deny-read)$\")) | select(.blocked and .reported)] | length" "$WARD_OUT")" = 8 ]'
check "the selftest event: one, kind selftest, its failed_probes those of the document" \
	eval 'event_count_is 1 "select(.kind == \"selftest\" and .profile == \"python-cpu\" and .result == \"pass\" and .exit_code == 0)" &&
	[ "$(jq -r "select(.kind == \"selftest\") | .failed_probes | sort | join(\" \")" "$WARD_EVENTS")" = "$pending" ]'
check "the table: one row per probe and the verdict summary" \
	eval '"$WARD" selftest -p python-cpu -e none --only escapes >"$T/table" 2>&1;
	grep -q "^PASS esc.ptrace" "$T/table" && grep -q "^PASS esc.i386" "$T/table" && grep -q "probes: .* passed" "$T/table"'

# ---- serve-example: the allowed bind works ----
selftest -p serve-example --json --only network
check "serve-example: the allowed bind (127.0.0.1:8080) works, nothing else in network fails" \
	eval '[ "$(verdict net.allowed-bind)" = pass ] || [ "$(jq -r ".probes[] | select(.name == \"net.allowed-bind\") | .note" "$WARD_OUT")" = "the allowed port is in use on this host" ];
	[ -z "$(failed)" ]'

# ---- the weak profile: the selftest detects each hole ----
MODELS=/var/tmp/ward-selftest-models
mkdir -p "$MODELS" && chmod 0777 "$MODELS"
selftest -p "$PROFILES/selftest-weak.yaml" --json
# (exec.memfd is not a hole even here: vm.memfd_noexec=2 holds whatever the profile says)
weak_holes="esc.ptrace exec.elf-loader exec.not-allowed files.create-in-models net.bind-listen net.ipv6 net.tcp-connect net.tcp-fastopen net.udp-connected net.udp-send net.v4-mapped"
missing=""
for p in $weak_holes; do [ "$(verdict "$p")" = fail ] || missing="$missing $p"; done
check "weak profile: exit 1, and each hole fails (ptrace, allow-all network, rw models, no exec.allow)" \
	eval '[ "$WARD_RC" = 1 ] && [ -z "$missing" ] || { diag "not failing:$missing"; false; }'
check "weak profile: the holes are 'not blocked', and the listener got the network markers" \
	eval '[ "$(jq -r "[.probes[] | select(.name == \"esc.ptrace\" or .name == \"net.tcp-connect\" or .name == \"files.create-in-models\") | select(.blocked == false)] | length" "$WARD_OUT")" = 3 ]'
check "weak profile: what it does not weaken still passes (deny-read, mount, bpf, kexec)" \
	eval 'for p in files.deny-read esc.mount esc.bpf esc.kexec lim.memory; do [ "$(verdict $p)" = pass ] || exit 1; done'
check "weak profile: nothing left in the read-write model directory" \
	eval '[ -z "$(ls -A "$MODELS")" ]'
rm -rf "$MODELS"

# ---- a sandbox that cannot be built ----
printf 'name: st-broken\ninclude: [base]\nfilesystem: {readwrite: [/nonexistent-ward-selftest]}\n' \
	>"$T/broken.yaml"
selftest -p "$T/broken.yaml"
check "a sandbox that cannot be built: 125, ward's reason on stderr, no selftest event" \
	eval '[ "$WARD_RC" = 125 ] && grep -q "could not be built" "$WARD_ERR" && [ ! -s "$WARD_EVENTS" ]'
check "nothing left on the host: no /var/tmp/ward-selftest.* directory" \
	eval '[ -z "$(find /var/tmp -maxdepth 1 -name "ward-selftest.*" -newer "$T/broken.yaml" 2>/dev/null)" ]'
