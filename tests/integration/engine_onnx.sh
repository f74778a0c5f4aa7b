#!/bin/bash
# End to end: ONNX Runtime (onnxruntime-node 1.30.0, CPU execution provider) on a small ONNX
# model generated at build time, bare and under profiles/onnx-cpu.yaml: the same output
# checksum, zero violations, exit 0, nothing written under HOME. The hostile variant (read
# /etc/shadow, connect to the host's loopback, spawn /bin/sh) is blocked and reported. And the
# serving recipe (profiles/serve-example.yaml on another port): a client outside the sandbox
# gets answers; the server's attempts to connect out are refused and reported; under
# --net loopback the same server listens on its own lo, out of the host's reach.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
N=17
plan $N
NODE=/usr/bin/node
PROFILE=$TOP/profiles/onnx-cpu.yaml
PORT=39120  # the host listener the hostile script and the server try to reach
SPORT=39121 # the port the server listens on
WARD_TEST_TIMEOUT=120
ID=ward-test-onnx-$$

if ! make -s -C "$TOP" engines >"$T/make.log" 2>&1 || [ ! -x "$NODE" ] ||
	! command -v curl >/dev/null; then
	diag "make engines failed (or no curl):" "$(tail -n 5 "$T/make.log")"
	for ((i = 0; i < N; i++)); do skip "ONNX Runtime engine not installed (make engines)"; done
	exit 0
fi

M=$T/models
mkdir -p "$M"
cp "$BUILD/engines/tiny.onnx" "$M/"
binds=(--bind "$M:/opt/models:ro" --bind "$TOP/engines:/opt/engines:ro")

# Every violation counts, ward's own included: libuv's probe of the cgroup memory limit
# (/sys/fs/cgroup/memory/memory.limit_in_bytes) reads the sandbox's own cgroup, mounted
# read-only there (tests/integration/core_cgroup_view.sh).
real_violations() {
	violations
}

# ---- plain inference. Bare with a private HOME and telemetry off, as the profile sets them.
mkdir -p "$T/home"
HOME=$T/home ORT_DISABLE_TELEMETRY=1 $NODE "$TOP/engines/onnx_infer.mjs" "$M/tiny.onnx" \
	>"$T/bare.out" 2>"$T/bare.err"
check "bare: onnx_infer.mjs prints an output checksum" grep -q '^checksum: [0-9a-f]\{64\}$' "$T/bare.out"
run_ward run -p "$PROFILE" --id "$ID" "${binds[@]}" -- \
	$NODE /opt/engines/onnx_infer.mjs /opt/models/tiny.onnx
check "onnx-cpu: exits 0" rc_is 0
check "onnx-cpu: the same output and checksum as bare" cmp -s "$T/bare.out" "$WARD_OUT"
check "onnx-cpu: zero violations (no /etc/machine-id, no sh -c blkid, nothing under HOME)" \
	[ "$(real_violations)" = 0 ]
check "onnx-cpu: the sandbox's cgroups are gone after exit" [ -z "$(leftover_cgroups "$ID")" ]

# ---- the hostile variant
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True)
time.sleep(60)' "$PORT" >"$T/listener.out" 2>&1 &
track_pid $!
wait_for_line "$T/listener.out" listening 10 || diag "the host listener on $PORT did not start"

HOME=$T/home ORT_DISABLE_TELEMETRY=1 $NODE "$TOP/engines/onnx_hostile.mjs" "$M/tiny.onnx" \
	"$PORT" >"$T/hostile-bare.out" 2>&1
check "bare: the hostile payload reads /etc/shadow, connects out and runs /bin/sh" \
	eval '[ "$(grep -c "^\[payload\] .*: SUCCEEDED" "$T/hostile-bare.out")" = 3 ]'
run_ward run -p "$PROFILE" "${binds[@]}" -- \
	$NODE /opt/engines/onnx_hostile.mjs /opt/models/tiny.onnx "$PORT"
check "hostile: runs to its end with the model's output" \
	eval 'rc_is 0 && grep -q "^model loaded" "$WARD_OUT" &&
		[ "$(grep ^checksum "$WARD_OUT")" = "$(grep ^checksum "$T/bare.out")" ]'
check "hostile: read /etc/shadow blocked and reported (filesystem.deny)" \
	eval 'grep -qF "[payload] read /etc/shadow: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"file\" and .violation and .path == \"/etc/shadow\" and .action == \"deny\")"'
check "hostile: connect to 127.0.0.1:$PORT blocked and reported (network.allow: no match)" \
	eval 'grep -qF "[payload] connect to 127.0.0.1:$PORT: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"net\" and .violation and .op == \"connect\" and .addr == \"127.0.0.1\" and .port == $PORT)"'
check "hostile: spawn /bin/sh blocked and reported (exec.allow: no match)" \
	eval 'grep -qF "[payload] spawn /bin/sh: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"exec\" and .violation and .path == \"/bin/sh\")"'

# ---- serving: serve-example with its port moved into the test range, run in the background
sed "s/127\.0\.0\.1:8080/127.0.0.1:$SPORT/g" "$TOP/profiles/serve-example.yaml" >"$T/serve.yaml"
SEV=$T/serve-events.jsonl
: >"$SEV"
timeout -k 5 60 "$WARD" run -p "$T/serve.yaml" -e "file:$SEV" "${binds[@]}" -- \
	$NODE /opt/engines/serve.mjs /opt/models/tiny.onnx "127.0.0.1:$SPORT" \
	--phone-home "127.0.0.1:$PORT" </dev/null >"$T/serve.out" 2>"$T/serve.err" &
spid=$!
track_pid $spid
if wait_for_line "$T/serve.out" "^listening on 127.0.0.1:$SPORT" 20; then
	curl -fsS --max-time 10 "http://127.0.0.1:$SPORT/infer" >"$T/answer1.json" 2>&1
	curl -fsS --max-time 10 "http://127.0.0.1:$SPORT/phone-home" >"$T/phone.json" 2>&1
	curl -fsS --max-time 10 "http://127.0.0.1:$SPORT/infer" >"$T/answer2.json" 2>&1
else
	diag "the server did not start:" "$(cat "$T/serve.out" "$T/serve.err")"
fi
kill -TERM $spid 2>/dev/null
src=0
wait $spid || src=$?
want=$(sed -n 's/^checksum: //p' "$T/bare.out")
check "serve: a client outside the sandbox gets answers (the same checksum as bare, twice)" \
	eval '[ "$(jq -r .checksum "$T/answer1.json")" = "$want" ] &&
		[ "$(jq -r .checksum "$T/answer2.json")" = "$want" ]'
# TCP: refused by Landlock's TCP connect rule (EACCES) or by the sock_addr filter (EPERM).
# UDP: node binds 0.0.0.0:0 before the first datagram; that bind is not in network.allow.
check "serve: the server's TCP connect and UDP send to 127.0.0.1:$PORT are refused" \
	jq -e '.connect == "blocked" and (.why == "EACCES" or .why == "EPERM") and .udp == "blocked"' \
	"$T/phone.json"
# The events of the server run, for the checks below and their diagnostics.
WARD_EVENTS=$SEV WARD_OUT=$T/serve.out WARD_ERR=$T/serve.err WARD_RC=$src
# With the monitors attached Landlock leaves TCP to the sock_addr filter (launcher/landlock.c),
# so the refused TCP connect is reported like the UDP attempt: one event each.
check "serve: the TCP connect is reported (network.allow: no match)" \
	event_count_is 1 'select(.kind == "net" and .violation and .op == "connect" and .proto == "tcp" and .port == '"$PORT"' and .rule == "network.allow: no match")'
check "serve: the UDP attempt is reported (network.allow: no match), no other violation" \
	eval 'event_count_is 1 "select(.kind == \"net\" and .violation and .proto == \"udp\" and .rule == \"network.allow: no match\")" &&
		[ "$(real_violations)" = 2 ]'
check "serve: SIGTERM stops the server, ward exits 0 (143 tolerated)" \
	eval '[ "$src" = 0 ] || [ "$src" = 143 ]'

# ---- the same profile with --net loopback: the sandbox's own network namespace. The bind entry
# applies to its own lo, so the server starts, but no client outside can reach it.
LEV=$T/loop-events.jsonl
: >"$LEV"
timeout -k 5 60 "$WARD" run -p "$T/serve.yaml" --net loopback -e "file:$LEV" "${binds[@]}" -- \
	$NODE /opt/engines/serve.mjs /opt/models/tiny.onnx "127.0.0.1:$SPORT" \
	</dev/null >"$T/loop.out" 2>"$T/loop.err" &
lpid=$!
track_pid $lpid
listening=0
wait_for_line "$T/loop.out" "^listening on 127.0.0.1:$SPORT" 20 && listening=1
curl -fsS --max-time 3 "http://127.0.0.1:$SPORT/infer" >"$T/loop-answer.txt" 2>&1 && reached=1 || reached=0
kill -TERM $lpid 2>/dev/null
wait $lpid 2>/dev/null
WARD_EVENTS=$LEV WARD_OUT=$T/loop.out WARD_ERR=$T/loop.err
check "serve --net loopback: the bind entry lets the server listen on its own lo, no violation" \
	eval '[ $listening = 1 ] && [ "$(real_violations)" = 0 ]'
check "serve --net loopback: a client outside the sandbox cannot reach it" [ $reached = 0 ]
