#!/bin/bash
# End to end: llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU binary) on a tiny random GGUF
# generated at build time, bare and under profiles/llama-cpu.yaml: the same tokens for a fixed
# seed (greedy and seeded sampling), zero violations, exit 0. Then the hostile variant: after
# loading the model it tries to read /etc/shadow, connect to a listener on the host's
# 127.0.0.1, and spawn /bin/sh; each is blocked and reported.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
N=12
plan $N
NODE=/usr/bin/node
PROFILE=$TOP/profiles/llama-cpu.yaml
PORT=39110 # the host listener the hostile script tries to reach
WARD_TEST_TIMEOUT=120
ID=ward-test-llama-$$

# The models and the npm packages come from `make engines` (generated, pinned; a no-op when
# done). Without them every test is a skip, which CI=true turns into a failure.
if ! make -s -C "$TOP" engines >"$T/make.log" 2>&1 || [ ! -x "$NODE" ]; then
	diag "make engines failed:" "$(tail -n 5 "$T/make.log")"
	for ((i = 0; i < N; i++)); do skip "llama.cpp engine not installed (make engines)"; done
	exit 0
fi

# A private copy of the model, and the engine scripts with their node_modules read-only.
M=$T/models
mkdir -p "$M"
cp "$BUILD/engines/tiny.gguf" "$M/"
binds=(--bind "$M:/opt/models:ro" --bind "$TOP/engines:/opt/engines:ro")

# Every violation counts, ward's own included: libuv's probe of the cgroup memory limit
# (/sys/fs/cgroup/memory/memory.limit_in_bytes) reads the sandbox's own cgroup, mounted
# read-only there (tests/integration/core_cgroup_view.sh).
real_violations() {
	violations
}

# ---- greedy decoding
$NODE "$TOP/engines/llama_infer.mjs" "$M/tiny.gguf" --tokens 24 >"$T/bare.out" 2>"$T/bare.err"
check "bare: llama_infer.mjs generates 24 tokens" \
	bash -c "[ \"\$(sed -n 's/^tokens: //p' '$T/bare.out' | wc -w)\" = 24 ]"
run_ward run -p "$PROFILE" --id "$ID" "${binds[@]}" -- \
	$NODE /opt/engines/llama_infer.mjs /opt/models/tiny.gguf --tokens 24
check "llama-cpu: exits 0" rc_is 0
check "llama-cpu: the same tokens and checksum as bare (greedy)" cmp -s "$T/bare.out" "$WARD_OUT"
check "llama-cpu: zero violations" [ "$(real_violations)" = 0 ]
check "llama-cpu: no exec violation (node-llama-cpp re-runs node to test its binding: allowed)" \
	event_count_is 0 'select(.kind == "exec" and .violation)'
check "llama-cpu: the sandbox's cgroups are gone after exit" [ -z "$(leftover_cgroups "$ID")" ]

# ---- seeded sampling (temperature 0.8, top-k 40, seed 7), two threads
$NODE "$TOP/engines/llama_infer.mjs" "$M/tiny.gguf" --tokens 16 --temp 0.8 --seed 7 \
	--threads 2 >"$T/bare-s.out" 2>&1
run_ward run -p "$PROFILE" "${binds[@]}" -- $NODE /opt/engines/llama_infer.mjs \
	/opt/models/tiny.gguf --tokens 16 --temp 0.8 --seed 7 --threads 2
check "llama-cpu, seeded sampling on 2 threads: exit 0, same tokens as bare, zero violations" \
	eval 'rc_is 0 && cmp -s "$T/bare-s.out" "$WARD_OUT" && [ "$(real_violations)" = 0 ]'

# ---- the hostile variant, against a listener on the host's loopback
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True)
time.sleep(60)' "$PORT" >"$T/listener.out" 2>&1 &
track_pid $!
wait_for_line "$T/listener.out" listening 10 || diag "the host listener on $PORT did not start"

# Bare, the payload works (so the sandboxed result below means something).
$NODE "$TOP/engines/llama_hostile.mjs" "$M/tiny.gguf" "$PORT" >"$T/hostile-bare.out" 2>&1
check "bare: the hostile payload reads /etc/shadow, connects out and runs /bin/sh" \
	eval '[ "$(grep -c "^\[payload\] .*: SUCCEEDED" "$T/hostile-bare.out")" = 3 ]'

run_ward run -p "$PROFILE" "${binds[@]}" -- \
	$NODE /opt/engines/llama_hostile.mjs /opt/models/tiny.gguf "$PORT"
check "hostile: runs to its end with the model's output (the payload is contained, not fatal)" \
	eval 'rc_is 0 && grep -q "^model loaded" "$WARD_OUT" &&
		[ "$(grep ^checksum "$WARD_OUT")" = "$(grep ^checksum "$T/hostile-bare.out")" ]'
check "hostile: read /etc/shadow blocked and reported (filesystem.deny)" \
	eval 'grep -qF "[payload] read /etc/shadow: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"file\" and .violation and .path == \"/etc/shadow\" and .action == \"deny\")"'
check "hostile: connect to 127.0.0.1:$PORT blocked and reported (network.allow: no match)" \
	eval 'grep -qF "[payload] connect to 127.0.0.1:$PORT: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"net\" and .violation and .op == \"connect\" and .addr == \"127.0.0.1\" and .port == $PORT)"'
check "hostile: spawn /bin/sh blocked and reported (exec.allow: no match)" \
	eval 'grep -qF "[payload] spawn /bin/sh: blocked" "$WARD_OUT" &&
		event_count_is 1 "select(.kind == \"exec\" and .violation and .path == \"/bin/sh\")"'
