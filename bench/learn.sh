#!/bin/bash
# ward learn benchmark (not a test), for the example numpy model and PyTorch:
#  - time to a zero-violation profile: commands needed and seconds (one `ward learn`, which
#    includes its verifying replay; the profile is then run once more to count violations);
#  - size of the learned profile against the hand-written python-cpu: entries beyond base,
#    and the effective readonly paths and allowed syscalls (`ward check`);
#  - overhead of a learning run (`ward learn --no-verify`: audit mode with every access an
#    event, the events read, the profile written) against a plain audit run
#    (`ward run -m audit -p base -e none`), alternately, medians of RUNS.
#
#   bench/learn.sh [RUNS]    (default 5; root)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${1:-5}
WARD=${WARD:-$PWD/build/ward}
PY=/usr/bin/python3
[ -x "$WARD" ] || { echo "learn.sh: $WARD is missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "learn.sh: run as root" >&2; exit 1; }
export WARD_BPF_NO_PINNED=1

T=$(mktemp -d /var/tmp/ward-bench-learn.XXXXXX)
chmod 0755 "$T" # the sandbox user (nobody) must reach the binds
trap 'rm -rf "$T"' EXIT
[ -f build/model/weights.npz ] || make -s examples
M=$T/model
EX=$T/examples
mkdir -p "$M"
cp build/model/* "$M"/
cp -r examples "$EX"
binds=(--bind "$M" --bind "$EX")
[ -f "$M/tiny.pt" ] || $PY "$EX/torch_model.py" save "$M" >/dev/null

now() { date +%s.%N; }
effective() { # PROFILE -> "readonly syscalls"
	"$WARD" check "$1" | python3 -c '
import sys, yaml
p = yaml.safe_load(sys.stdin)
print(len(p["filesystem"]["readonly"] or []), len(p["syscalls"]["allow"] or []))'
}
# entries a profile adds beyond its includes: list items and env/limit keys of the file itself
own_entries() {
	python3 - "$1" <<'PY'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
n = 0
for blk in ("filesystem", "network", "exec", "syscalls", "env", "gpu"):
    for k, v in (p.get(blk) or {}).items():
        if isinstance(v, list):
            n += len(v)
        elif isinstance(v, dict):
            n += len(v)
print(n)
PY
}

declare -A cmd
cmd[numpy]="$PY $EX/model.py $M"
cmd[torch]="$PY $EX/torch_model.py run $M"

printf '%-6s %-34s %s\n' what measure value
for w in numpy torch; do
	# shellcheck disable=SC2086
	t0=$(now)
	"$WARD" learn -o "$T/$w.yaml" "${binds[@]}" -- ${cmd[$w]} >/dev/null 2>"$T/$w.err" || { cat "$T/$w.err" >&2; exit 1; }
	t1=$(now)
	grep -q 'verify: .* 0 violations: OK' "$T/$w.err" || { cat "$T/$w.err" >&2; exit 1; }
	# shellcheck disable=SC2086
	"$WARD" run -p "$T/$w.yaml" -e "file:$T/$w.jsonl" "${binds[@]}" -- ${cmd[$w]} >/dev/null
	v=$(jq -s 'map(select(.violation)) | length' "$T/$w.jsonl")
	printf '%-6s %-34s %s\n' "$w" "time to a 0-violation profile" \
		"1 command, $(echo "$t1 - $t0" | bc | xargs printf '%.2f') s (learn + replay); $v violations after"
	read -r lr ls <<<"$(effective "$T/$w.yaml")"
	read -r hr hs <<<"$(effective profiles/python-cpu.yaml)"
	printf '%-6s %-34s %s\n' "$w" "entries beyond base" \
		"learned $(own_entries "$T/$w.yaml") ($(wc -l <"$T/$w.yaml") lines), python-cpu $(own_entries profiles/python-cpu.yaml) ($(wc -l <profiles/python-cpu.yaml) lines)"
	printf '%-6s %-34s %s\n' "$w" "effective readonly / syscalls" \
		"learned $lr / $ls, python-cpu $hr / $hs"

	: >"$T/a" && : >"$T/l"
	for _ in $(seq 1 "$RUNS"); do
		t0=$(now)
		# shellcheck disable=SC2086
		"$WARD" run -m audit -p base -e none "${binds[@]}" -- ${cmd[$w]} >/dev/null 2>&1
		t1=$(now)
		# shellcheck disable=SC2086
		"$WARD" learn --no-verify -o "$T/x.yaml" "${binds[@]}" -- ${cmd[$w]} >/dev/null 2>&1
		t2=$(now)
		echo "$t1 - $t0" | bc >>"$T/a"
		echo "$t2 - $t1" | bc >>"$T/l"
	done
	a=$(median <"$T/a")
	l=$(median <"$T/l")
	printf '%-6s %-34s %s\n' "$w" "learning run vs audit run" \
		"$(printf '%.3f s vs %.3f s: %.2fx (medians of %d, alternating)' "$l" "$a" "$(echo "$l / $a" | bc -l)" "$RUNS")"
done
