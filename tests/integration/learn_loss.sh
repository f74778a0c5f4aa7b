#!/bin/bash
# Lossless or nothing: with a deliberately tiny ring (WARD_RINGBUF_BYTES=4096) learning
# PyTorch loses events, and ward learn refuses (exit 1, no profile); --allow-loss writes one
# with a warning header.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
. "$(dirname "$0")/learn_common.inc"
plan 3

if ! $PY -c 'import torch' 2>/dev/null; then
	for i in 1 2 3; do skip "PyTorch (python3-torch) is not installed"; done
	exit 0
fi
[ -f "$M/tiny.pt" ] || $PY "$EX/torch_model.py" save "$M" >/dev/null
WARD_RINGBUF_BYTES=4096 learn -o "$T/lossy.yaml" "${binds[@]}" -- $PY "$EX/torch_model.py" run "$M"
check "tiny ring: learn refuses with exit 1" [ "$WARD_RC" = 1 ]
check "tiny ring: no profile written, the loss named" \
	bash -c "[ ! -e '$T/lossy.yaml' ] && grep -q 'events were lost' '$WARD_ERR'"
WARD_RINGBUF_BYTES=4096 learn -o "$T/lossy.yaml" --allow-loss --no-verify "${binds[@]}" -- \
	$PY "$EX/torch_model.py" run "$M"
check "tiny ring with --allow-loss: written, with a warning header" \
	bash -c "[ $WARD_RC = 0 ] && grep -q '^# WARNING: learned from a run that lost events' '$T/lossy.yaml'"
