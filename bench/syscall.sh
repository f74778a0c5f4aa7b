#!/bin/bash
# Syscall overhead of the monitors: a C loop of open+read+close on an allowed file, bare vs
# under `ward run` (enforce, monitors on, no violations) vs events.allowed: true (every open is
# an event). Prints medians of ns per iteration and the ratios. Targets: <= 1.15x and <= 1.35x.
# Usage: bench/syscall.sh [ITERATIONS] [RUNS]   (root; build first with make)
set -eu
cd "$(dirname "$0")/.."
N=${1:-200000}
RUNS=${2:-7}
WARD=${WARD:-build/ward}
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/bin"
cc -O2 -static -D_GNU_SOURCE -o "$T/bin/mp" tests/integration/monitor_probe.c
P=tests/profiles/monitor-enforce.yaml
PA=tests/profiles/monitor-allowed.yaml

ns_per_iter() { # CMD... -> ns per iteration of the loop (wall time of the whole command)
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / N))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bare=() off=() enf=() all=()
for ((i = 0; i < RUNS; i++)); do
	bare+=("$(ns_per_iter "$T/bin/mp" loop /etc/passwd "$N")")
	# the other layers alone (seccomp, Landlock, namespaces): what the monitors add is enf - off
	off+=("$(WARD_MONITORS=off ns_per_iter "$WARD" run --allow-degraded -p "$P" -e none \
		--bind "$T/bin:/probe-bin:ro" -- /probe-bin/mp loop /etc/passwd "$N")")
	enf+=("$(ns_per_iter "$WARD" run -p "$P" -e none --bind "$T/bin:/probe-bin:ro" -- \
		/probe-bin/mp loop /etc/passwd "$N")")
	all+=("$(ns_per_iter "$WARD" run -p "$PA" -e "file:$T/ev.jsonl" --bind "$T/bin:/probe-bin:ro" -- \
		/probe-bin/mp loop /etc/passwd "$N")")
	rm -f "$T/ev.jsonl"
done
b=$(printf '%s\n' "${bare[@]}" | median)
o=$(printf '%s\n' "${off[@]}" | median)
e=$(printf '%s\n' "${enf[@]}" | median)
a=$(printf '%s\n' "${all[@]}" | median)
echo "open+read+close x $N, median of $RUNS runs (ns/iteration, launch included)"
echo "  bare                 $b"
echo "  ward, monitors off   $o   ratio $(awk -v x="$o" -v y="$b" 'BEGIN {printf "%.2f", x / y}')x (seccomp, Landlock: not the monitors)"
echo "  ward enforce         $e   ratio $(awk -v x="$e" -v y="$b" 'BEGIN {printf "%.2f", x / y}')x (target <= 1.15)"
echo "  ward events.allowed  $a   ratio $(awk -v x="$a" -v y="$b" 'BEGIN {printf "%.2f", x / y}')x (target <= 1.35)"
echo "  monitors alone: enforce $(awk -v x="$e" -v y="$o" 'BEGIN {printf "%.2f", x / y}')x, events.allowed $(awk -v x="$a" -v y="$o" 'BEGIN {printf "%.2f", x / y}')x of monitors off"
