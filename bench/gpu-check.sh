#!/bin/bash
# On a machine with an NVIDIA GPU and PyTorch with CUDA: a CUDA matmul bare and under
# profiles/nvidia-gpu.yaml with --gpu 0, checking exit 0, zero violations and the same result
# (a checksum of the product, fixed seed); then, where a second GPU exists, that the sandbox
# for GPU 0 cannot see or open it. Not part of make check (CI has no GPU).
#   bench/gpu-check.sh            (root; after make)
# Exit: 0 passed, 1 failed, 77 not applicable here (no NVIDIA GPU, or no CUDA in PyTorch).
set -u
cd "$(dirname "$0")/.." || exit 1
WARD=${WARD:-build/ward}
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d /var/tmp/ward-gpu.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() {
	echo "FAIL - $*"
	fail=1
}

if [ ! -e /dev/nvidia0 ] || [ ! -e /dev/nvidiactl ]; then
	echo "not applicable: no NVIDIA GPU here (/dev/nvidia0, /dev/nvidiactl absent)" >&2
	exit 77
fi
if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	echo "not applicable: $PY has no PyTorch with CUDA (torch.cuda.is_available() is false)" >&2
	exit 77
fi
[ -x "$WARD" ] || {
	echo "$WARD not built (make)" >&2
	exit 1
}
ngpu=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
echo "# $ngpu GPU(s): $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1)"

cat >"$T/matmul.py" <<'PYEOF'
import hashlib, sys, torch
torch.manual_seed(0)
dev = torch.device("cuda:0")
a = torch.randn(2048, 2048, device=dev)
b = torch.randn(2048, 2048, device=dev)
torch.backends.cuda.matmul.allow_tf32 = False
c = (a @ b).cpu()
print("devices:", torch.cuda.device_count(), torch.cuda.get_device_name(0))
print("checksum:", hashlib.sha256(c.numpy().tobytes()).hexdigest()[:16])
PYEOF
cat >"$T/other.py" <<'PYEOF'
import os, torch
print("visible:", torch.cuda.device_count())
try:
    os.close(os.open("/dev/nvidia1", os.O_RDWR))
    print("open /dev/nvidia1: ok")
except OSError as e:
    print("open /dev/nvidia1:", e.strerror)
PYEOF
mkdir -p "$T/models"
cp "$T/matmul.py" "$T/other.py" "$T/models/"
chmod -R a+rX "$T"

"$PY" "$T/matmul.py" >"$T/bare.out" 2>"$T/bare.err" || bad "bare matmul failed: $(tail -n 3 "$T/bare.err")"
grep -q '^checksum:' "$T/bare.out" && ok "bare: $(grep checksum "$T/bare.out")"

"$WARD" run -p nvidia-gpu --gpu 0 -e "file:$T/ev.jsonl" --bind "$T/models:/opt/models" \
	-- "$PY" /opt/models/matmul.py >"$T/ward.out" 2>"$T/ward.err"
rc=$?
[ $rc = 0 ] && ok "nvidia-gpu --gpu 0: exit 0" || bad "nvidia-gpu --gpu 0: exit $rc: $(tail -n 5 "$T/ward.err")"
if [ "$(grep checksum "$T/ward.out")" = "$(grep checksum "$T/bare.out")" ]; then
	ok "same result as bare ($(grep checksum "$T/ward.out"))"
else
	bad "result differs: bare '$(grep checksum "$T/bare.out")', sandboxed '$(grep checksum "$T/ward.out")'"
fi
v=$(jq -c 'select(.violation == true)' "$T/ev.jsonl" 2>/dev/null | wc -l)
if [ "$v" = 0 ]; then ok "zero violations"; else
	bad "$v violation(s); the first ones (each is a candidate entry for the profile):"
	jq -c 'select(.violation == true) | {kind, rule, syscall, path, name, errno}' "$T/ev.jsonl" | sort | uniq -c | head -n 30
fi

if [ "$ngpu" -ge 2 ]; then
	"$WARD" run -p nvidia-gpu --gpu 0 -e "file:$T/ev2.jsonl" --bind "$T/models:/opt/models" \
		-- "$PY" /opt/models/other.py >"$T/other.out" 2>"$T/other.err"
	if grep -q '^visible: 1$' "$T/other.out" && ! grep -q 'open /dev/nvidia1: ok' "$T/other.out"; then
		ok "the second GPU is refused: $(tr '\n' ' ' <"$T/other.out")"
	else
		bad "the second GPU is reachable: $(tr '\n' ' ' <"$T/other.out") $(tail -n 3 "$T/other.err")"
	fi
else
	echo "# one GPU: the second-GPU refusal is not checked"
fi
exit $fail
