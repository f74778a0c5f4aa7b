#!/bin/bash
# ward learn on the example numpy model: the learned profile replays with zero violations and
# the same output, is no broader than the hand-written python-cpu, is the same bytes when
# learned twice, and contains the malicious model. Dangerous grants are flagged.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
. "$(dirname "$0")/learn_common.inc"
plan 16

$PY "$EX/model.py" "$M" >"$T/bare.out" 2>&1

# ---- learn, verify, replay
learn -o "$T/np.yaml" --name np "${binds[@]}" -- $PY "$EX/model.py" "$M"
check "learn on model.py exits 0" [ "$WARD_RC" = 0 ]
check "learn printed the workload's output" cmp -s "$T/bare.out" "$WARD_OUT"
check "learn's replay: same exit, same output, 0 violations" verified
check "the learned profile includes base and loads" \
	bash -c "grep -qx 'include: \[base\]' '$T/np.yaml' && '$WARD' check '$T/np.yaml'"
run_ward run -p "$T/np.yaml" "${binds[@]}" -- $PY "$EX/model.py" "$M"
check "model.py under the learned profile: exit 0, same output as bare" \
	bash -c "[ $WARD_RC = 0 ] && cmp -s '$T/bare.out' '$WARD_OUT'"
check "model.py under the learned profile: zero violations" event_count_is 0 'select(.violation == true)'
check "no broader than python-cpu (readonly paths, syscalls)" no_broader "$T/np.yaml"

# ---- determinism
learn -o "$T/np2.yaml" --name np --no-verify "${binds[@]}" -- $PY "$EX/model.py" "$M"
check "learning twice gives byte-identical profiles" cmp "$T/np.yaml" "$T/np2.yaml"

# ---- the malicious model under the profile learned from the benign one
run_ward run -p "$T/np.yaml" "${binds[@]}" -- $PY "$EX/malicious_model.py" "$M"
for what in "read /etc/shadow" "write into the weights directory" "connect to 127.0.0.1:9" \
	"spawn /bin/sh"; do
	check "malicious under the learned profile: '$what' is blocked" \
		grep -qF "[payload] $what: blocked" "$WARD_OUT"
done
check "malicious: nothing was written into the weights directory" [ ! -e "$M/backdoor.npz" ]
check "malicious: the shell, the connect and /etc/shadow are reported as violations" \
	jq -e -s '(map(select(.kind == "exec" and .violation and (.path | test("/(ba|da)?sh$")))) | length >= 1) and
		(map(select(.kind == "net" and .violation and .addr == "127.0.0.1" and .port == 9)) | length >= 1) and
		(map(select(.kind == "file" and .violation and .path == "/etc/shadow")) | length >= 1)' \
	"$WARD_EVENTS"

# ---- dangerous grants are flagged, not silently written
learn -o "$T/sh.yaml" -- /bin/sh -c 'cat /etc/hostname >/dev/null; echo done'
check "learn on a shell script: verified" verified
check "the shell is written with a REVIEW comment and listed on stderr" \
	bash -c "grep -qE '^    - /bin/sh .*# REVIEW: a shell' '$T/sh.yaml' &&
		grep -qE '^  exec.allow: /bin/sh ' '$WARD_ERR'"
