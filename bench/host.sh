#!/bin/bash
# What ward costs a process outside any sandbox: the open+read+close loop of bench/syscall.sh,
# run bare on the host with (a) no monitors pinned, (b) the monitor set pinned (`ward monitor
# --pin`) and no sandbox running, (c) pinned with one sandbox running (`sleep` in it).
# Alternating, medians, ratios against (a) of the same run. Target: (b) <= 1.02x.
# Usage: bench/host.sh [ITERATIONS] [RUNS]   (root; build first with make; it pins and unpins)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-500000}
RUNS=${2:-7}
WARD=${WARD:-build/ward}
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
SB=
cleanup() {
	[ -n "$SB" ] && kill "$SB" 2>/dev/null && wait "$SB" 2>/dev/null
	"$WARD" monitor --unpin >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
chmod 0755 "$T"
make -s build/tests/monitor_probe && cp build/tests/monitor_probe "$T/mp"
head -c 2048 /etc/passwd >"$T/file"
cat >"$T/sleep.yaml" <<'P'
name: bench-host
mode: enforce
filesystem: {readonly: [/usr, /lib, /lib64, /bin]}
syscalls: {default: allow}
events: {sink: stderr}
P
if "$WARD" monitor --status | grep -q '^pinned'; then
	echo "host.sh: a monitor set is pinned already; unpin it first (ward monitor --unpin)" >&2
	exit 1
fi

loop() {
	local s e
	s=$(date +%s%N)
	"$T/mp" loop "$T/file" "$N" >/dev/null
	e=$(date +%s%N)
	echo $(((e - s) / N))
}
# the minimum too: on this shared VM a neighbour's burst only ever slows a run down
minimum() { sort -n | head -1; }
none=() idle=() busy=()
for ((i = 0; i < RUNS; i++)); do
	none+=("$(loop)")
	"$WARD" monitor --pin
	idle+=("$(loop)")
	"$WARD" run -e none -p "$T/sleep.yaml" -- /bin/sleep 600 &
	SB=$!
	sleep 0.3
	busy+=("$(loop)")
	kill "$SB"
	wait "$SB" 2>/dev/null || true
	SB=
	"$WARD" monitor --unpin
done
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x / y}'; }
echo "open+read+close x $N on the host, outside any sandbox, $RUNS alternating runs (ns/iteration)"
printf '  %-38s %8s %8s\n' "" median min
for f in median minimum; do
	eval "a_$f=\$(printf '%s\n' \"\${none[@]}\" | $f)"
	eval "b_$f=\$(printf '%s\n' \"\${idle[@]}\" | $f)"
	eval "c_$f=\$(printf '%s\n' \"\${busy[@]}\" | $f)"
done
printf '  %-38s %8s %8s\n' "nothing pinned" "$a_median" "$a_minimum"
# and the median of each round's own ratio (bench/lib.sh)
printf '  %-38s %8s %8s  %sx / %sx, %sx per round (target <= 1.02)\n' \
	"monitors pinned, no sandbox running" "$b_median" "$b_minimum" \
	"$(ratio "$b_median" "$a_median")" "$(ratio "$b_minimum" "$a_minimum")" "$(round_ratio idle none)"
printf '  %-38s %8s %8s  %sx / %sx, %sx per round\n' "monitors pinned, one sandbox running" \
	"$c_median" "$c_minimum" "$(ratio "$c_median" "$a_median")" "$(ratio "$c_minimum" "$a_minimum")" \
	"$(round_ratio busy none)"
