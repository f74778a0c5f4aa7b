#!/bin/bash
# ward demo (`make demo`): the example model bare and inside the sandbox, its events, then a
# malicious model whose pickle payload tries to read secrets, poison the weights, reach the
# network, spawn a shell, ptrace and unshare, run a program through the ELF loader and from a
# memfd, and what ward reported about each attempt.
set -euo pipefail
cd "$(dirname "$0")/.."

WARD=${WARD:-build/ward}
PY=/usr/bin/python3 # Debian's python3-numpy and python3-torch belong to the system interpreter
MODEL=build/model
PROFILE=${PROFILE:-profiles/python-cpu.yaml}
T=$(mktemp -d /tmp/ward-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ -t 1 ]; then B=$'\e[1m' R=$'\e[31m' G=$'\e[32m' N=$'\e[0m'; else B='' R='' G='' N=''; fi
say() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }

[ -x "$WARD" ] || { echo "demo: $WARD is missing: run make" >&2; exit 1; }
[ -f "$MODEL/weights.npz" ] || $PY examples/make_weights.py "$MODEL"
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (the sandbox needs cgroups; see README.md)" >&2
	exit 1
fi

# Inside the sandbox the weights are read-only at /opt/models and the scripts at /opt/examples.
binds=(--bind "$PWD/$MODEL:/opt/models:ro" --bind "$PWD/examples:/opt/examples:ro")

# One line per event: the common fields, then what matters for its kind.
# One line per event, in the order things happened (the monitors' events carry the kernel's
# time of the access; they reach ward in batches, so seq is the order of reporting).
pretty() {
	jq -s -r 'sort_by(.time) | .[] | [.seq, .kind, .action, (if .violation then "VIOLATION" else "-" end),
		(if .kind == "lifecycle" then .event + (if .exit_code != null then " exit_code=\(.exit_code)" else "" end)
		 elif .kind == "syscall" then "\(.syscall)(\(.args // [] | map(tostring) | join(", ")))"
		 elif .kind == "net" and .family == "unix" then "\(.op // "") unix \(.addr // "")"
		 elif .kind == "net" then "\(.op // "") \(.addr // ""):\(.port // "")"
		 elif .kind == "file" or .kind == "exec" then "\(.op // .kind) \(.path // "")"
		 else (.path // .addr // .event // "") end),
		(.comm // ""), ("rule=" + (.rule // "-"))] | map(tostring) | join("  ")' "$1"
}

say "1. the example model, bare"
$PY examples/model.py "$MODEL" | tee "$T/bare.out"

say "2. the same model inside ward ($PROFILE)"
echo "\$ $WARD run -p $PROFILE ${binds[*]} -- $PY /opt/examples/model.py /opt/models"
rc=0
"$WARD" run -p "$PROFILE" -e "file:$T/model.events" "${binds[@]}" -- \
	$PY /opt/examples/model.py /opt/models >"$T/ward.out" 2>"$T/ward.err" || rc=$?
cat "$T/ward.out"
[ -s "$T/ward.err" ] && sed 's/^/  stderr: /' "$T/ward.err"
echo "exit status: $rc"
say "   its events"
pretty "$T/model.events"
same=no
cmp -s "$T/bare.out" "$T/ward.out" && same=yes
model_viol=$(jq -s 'map(select(.violation)) | length' "$T/model.events")

if $PY -c 'import torch' 2>/dev/null && [ -f "$MODEL/tiny.pt" ]; then
	say "3. a PyTorch model (torch.load + forward) inside ward"
	rc=0
	"$WARD" run -p "$PROFILE" -e "file:$T/torch.events" "${binds[@]}" -- \
		$PY /opt/examples/torch_model.py run /opt/models || rc=$?
	echo "exit status: $rc; violations: $(jq -s 'map(select(.violation)) | length' "$T/torch.events")"
fi

say "4. a malicious model: its pickle runs code on load"
rc=0
"$WARD" run -p "$PROFILE" -e "file:$T/evil.events" "${binds[@]}" -- \
	$PY /opt/examples/malicious_model.py /opt/models >"$T/evil.out" 2>&1 || rc=$?
cat "$T/evil.out"
echo "exit status: $rc"
say "   what ward reported (violations)"
jq -c 'select(.violation)' "$T/evil.events" >"$T/evil.viol" || true
pretty "$T/evil.viol"
evil_viol=$(wc -l <"$T/evil.viol")

say "summary"
if [ "$same" = yes ]; then
	echo "${G}benign model: same output bare and sandboxed; $model_viol violations${N}"
else
	echo "${R}benign model: output differs from the bare run; $model_viol violations${N}"
fi
if [ -e "$MODEL/backdoor.npz" ]; then
	echo "${R}malicious model: WROTE INTO THE WEIGHTS DIRECTORY${N}"
	rm -f "$MODEL/backdoor.npz"
else
	echo "${G}malicious model: weights untouched; $evil_viol violations reported${N}"
fi
# Every attempt should read "blocked"; one that SUCCEEDED got through (its violation is still
# in the events above, with action "allow").
if grep -q ': SUCCEEDED' "$T/evil.out"; then
	echo "${R}malicious model: got through: $(sed -n 's/^\[payload\] \(.*\): SUCCEEDED.*/\1/p' "$T/evil.out" | paste -sd ';' -)${N}"
else
	echo "${G}malicious model: every attempt blocked${N}"
fi
