#!/bin/bash
# ward learn on PyTorch (torch.load + forward): the learned profile replays with zero
# violations and the same output and is no broader than python-cpu.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
. "$(dirname "$0")/learn_common.inc"
plan 5

if ! $PY -c 'import torch' 2>/dev/null; then
	for i in 1 2 3 4 5; do skip "PyTorch (python3-torch) is not installed"; done
	exit 0
fi
[ -f "$M/tiny.pt" ] || $PY "$EX/torch_model.py" save "$M" >/dev/null
$PY "$EX/torch_model.py" run "$M" >"$T/bare.out" 2>&1

learn -o "$T/torch.yaml" "${binds[@]}" -- $PY "$EX/torch_model.py" run "$M"
check "learn on torch_model.py: exit 0, verified by replay" bash -c "[ $WARD_RC = 0 ] && grep -q 'verify: .* 0 violations: OK' '$WARD_ERR'"
run_ward run -p "$T/torch.yaml" "${binds[@]}" -- $PY "$EX/torch_model.py" run "$M"
check "torch_model.py under the learned profile: exit 0, same output as bare" \
	bash -c "[ $WARD_RC = 0 ] && cmp -s '$T/bare.out' '$WARD_OUT'"
check "torch_model.py under the learned profile: zero violations" event_count_is 0 'select(.violation == true)'
check "no broader than python-cpu (readonly paths, syscalls)" no_broader "$T/torch.yaml"
check "the CPU topology is one directory entry with its provenance" \
	grep -qE '^    - /sys/devices/system/cpu +# python3: [0-9]+x in [0-9]+ paths, first /sys/devices/system/cpu/' "$T/torch.yaml"

