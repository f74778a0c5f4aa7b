#!/bin/bash
# ward learn --merge: two runs with different code paths (tests/integration/learn_paths.py
# plain, then the same script importing PyTorch) give a union that runs both with zero
# violations, keeping the user's own entries and comments; a hand-written profile is included,
# never rewritten.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
. "$(dirname "$0")/learn_common.inc"
plan 7

if ! $PY -c 'import torch' 2>/dev/null; then
	for i in 1 2 3 4 5 6 7; do skip "PyTorch (python3-torch) is not installed"; done
	exit 0
fi
P=$T/union.yaml
learn -o "$P" "${binds[@]}" -- $PY "$EX/learn_paths.py" plain
check "first run (plain): learned and verified" \
	bash -c "[ $WARD_RC = 0 ] && grep -q 'verify: .* 0 violations: OK' '$WARD_ERR'"
# the user's own additions
sed -i 's|^exec:$|  # mine: the CPU list, read at start-up\nexec:|' "$P"
printf 'hostname: learned-box\n' >>"$P"
cp "$P" "$T/before.yaml"

learn --merge "$P" "${binds[@]}" -- $PY "$EX/learn_paths.py" torch
check "second run (torch) merged in place and verified" \
	bash -c "[ $WARD_RC = 0 ] && grep -q 'verify: .* 0 violations: OK' '$WARD_ERR'"
check "the union keeps the first run's entries, the user's comment and block" \
	bash -c "grep -q '/sys/devices/system/cpu/online' '$P' && grep -q '# mine: the CPU list' '$P' &&
		grep -qx 'hostname: learned-box' '$P' && grep -q '^    - mlock ' '$P'"
run_ward run -p "$P" "${binds[@]}" -- $PY "$EX/learn_paths.py" plain
check "the union runs the plain path with zero violations" \
	bash -c "[ $WARD_RC = 0 ] && grep -qx 'plain ok' '$WARD_OUT' && [ \$(jq -s 'map(select(.violation)) | length' '$WARD_EVENTS') = 0 ]"
run_ward run -p "$P" "${binds[@]}" -- $PY "$EX/learn_paths.py" torch
check "the union runs the torch path with zero violations" \
	bash -c "[ $WARD_RC = 0 ] && grep -q '^torch ok' '$WARD_OUT' && [ \$(jq -s 'map(select(.violation)) | length' '$WARD_EVENTS') = 0 ]"

# a hand-written profile: never rewritten; -o is needed, and the output includes it
cp "$TOP/profiles/python-cpu.yaml" "$T/hand.yaml"
learn --merge "$T/hand.yaml" --no-verify "${binds[@]}" -- $PY "$EX/learn_paths.py" plain
check "--merge of a hand-written profile without -o is refused (125)" [ "$WARD_RC" = 125 ]
learn --merge "$T/hand.yaml" -o "$T/onhand.yaml" "${binds[@]}" -- $PY "$EX/learn_paths.py" plain
check "with -o: the output includes the hand-written file, which is unchanged, and verifies" \
	bash -c "[ $WARD_RC = 0 ] && grep -qx 'include: \[$T/hand.yaml\]' '$T/onhand.yaml' &&
		cmp -s '$T/hand.yaml' '$TOP/profiles/python-cpu.yaml'"
