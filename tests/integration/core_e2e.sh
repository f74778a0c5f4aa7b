#!/bin/bash
# End to end: the example models under profiles/python-cpu.yaml give the same output as bare
# with zero violations; the malicious one is contained and its attempts are reported.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 19
PY=/usr/bin/python3
PROFILE=$TOP/profiles/python-cpu.yaml
MODEL=$BUILD/model
WARD_TEST_TIMEOUT=180

if [ ! -f "$MODEL/weights.npz" ]; then
	$PY "$TOP/examples/make_weights.py" "$MODEL" >/dev/null
fi
# A private copy of the weights, so that a failed containment cannot poison build/model.
M=$T/model
mkdir -p "$M"
cp "$MODEL"/weights.npz "$MODEL"/input.npy "$M"/
[ -f "$MODEL/tiny.pt" ] && cp "$MODEL/tiny.pt" "$M"/
binds=(--bind "$M:/opt/models:ro" --bind "$TOP/examples:/opt/examples:ro")

# ---- the numpy model
$PY "$TOP/examples/model.py" "$M" >"$T/bare.out" 2>&1
run_ward run -p "$PROFILE" "${binds[@]}" -- $PY /opt/examples/model.py /opt/models
check "model.py exits 0 in the sandbox" rc_is 0
check "model.py prints the same output as bare" cmp -s "$T/bare.out" "$WARD_OUT"
check "model.py: zero violation events" event_count_is 0 'select(.violation == true)'
check "model.py: start and exit events" \
	jq -e -s 'map(select(.kind == "lifecycle")) | map(.event) == ["start", "exit"]' "$WARD_EVENTS"

# ---- the PyTorch model
if $PY -c 'import torch' 2>/dev/null; then
	[ -f "$M/tiny.pt" ] || $PY "$TOP/examples/torch_model.py" save "$M" >/dev/null
	$PY "$TOP/examples/torch_model.py" run "$M" >"$T/torch-bare.out" 2>&1
	run_ward run -p "$PROFILE" "${binds[@]}" -- $PY /opt/examples/torch_model.py run /opt/models
	check "torch_model.py (torch.load + forward) exits 0 in the sandbox" rc_is 0
	check "torch_model.py prints the same output as bare" cmp -s "$T/torch-bare.out" "$WARD_OUT"
	check "torch_model.py: zero violation events" event_count_is 0 'select(.violation == true)'
else
	skip "PyTorch (python3-torch) is not installed"
	skip "PyTorch (python3-torch) is not installed"
	skip "PyTorch (python3-torch) is not installed"
fi

# ---- the malicious model
run_ward run -p "$PROFILE" "${binds[@]}" -- $PY /opt/examples/malicious_model.py /opt/models
check "malicious_model.py runs to its end (the payload is contained, not fatal)" \
	bash -c "[ $WARD_RC = 0 ] && grep -q '^model loaded' '$WARD_OUT'"
for what in "read /etc/shadow" "list ~/.ssh and /root/.ssh" "write into the weights directory" \
	"connect to 127.0.0.1:9" "connect to /var/run/docker.sock" "ptrace the parent process" \
	"unshare(CLONE_NEWUSER)"; do
	check "malicious: '$what' is blocked" grep -qF "[payload] $what: blocked" "$WARD_OUT"
done
# /bin/sh is outside python-cpu's exec.allow: blocked (Landlock execute right), or, where an
# allow-listed program's #! interpreter is /bin/sh, at least reported by the exec monitor.
if grep -qF '[payload] spawn /bin/sh: blocked' "$WARD_OUT" ||
	[ "$(count_events 'select(.kind == "exec" and .violation == true and (.path | test("/(ba|da)?sh$")))')" -ge 1 ]; then
	ok "malicious: 'spawn /bin/sh' is blocked, or reported as an exec violation"
else
	not_ok "malicious: 'spawn /bin/sh' is blocked, or reported as an exec violation"
	diag_ward
fi
check "malicious: nothing was written into the weights directory" [ ! -e "$M/backdoor.npz" ]
check "malicious: the container runtime socket attempt is a unix net violation" \
	jq -e -s 'map(select(.kind == "net" and .family == "unix" and .violation and .addr == "/var/run/docker.sock")) | length == 1' \
	"$WARD_EVENTS"
check "malicious: ptrace and unshare are reported as syscall violations" \
	jq -e -s '(map(select(.kind == "syscall" and .violation and .syscall == "ptrace")) | length >= 1) and
		(map(select(.kind == "syscall" and .violation and .syscall == "unshare")) | length >= 1)' \
	"$WARD_EVENTS"
