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
make -s build/tests/monitor_probe && cp build/tests/monitor_probe "$T/bin/mp"
P=tests/profiles/monitor-enforce.yaml
PA=tests/profiles/monitor-allowed.yaml

# CMD... (ending in the iteration count N) -> ns per iteration: the wall time of the command
# with N iterations minus the same command with 1, over N - 1, so what is measured is the loop
# under each layer, not the launch (a fresh BPF load alone is 50 ms, 0.25 us an iteration).
ns_per_iter() {
	local s e one full args=("$@")
	args[${#args[@]} - 1]=1
	s=$(date +%s%N)
	"${args[@]}" >/dev/null 2>&1
	e=$(date +%s%N)
	one=$((e - s))
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	full=$((e - s))
	echo $(((full - one) / (N - 1)))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The file looped on: in a read-only bind with no denied name in it. /etc/passwd, beside the
# denied /etc/shadow, sits under the overlay that hides /etc/shadow: its extra cost is printed
# on a line of its own.
mkdir -p "$T/data"
head -c 2048 /etc/passwd >"$T/data/file"
chmod -R a+rX "$T/data"
B=(--bind "$T/bin:/probe-bin:ro" --bind "$T/data:/data:ro")

bare=() off=() enf=() all=() ovl=()
for ((i = 0; i < RUNS; i++)); do
	bare+=("$(ns_per_iter "$T/bin/mp" loop "$T/data/file" "$N")")
	# the other layers alone (seccomp, Landlock, namespaces): what the monitors add is enf - off
	off+=("$(WARD_MONITORS=off ns_per_iter "$WARD" run --allow-degraded -p "$P" -e none \
		"${B[@]}" -- /probe-bin/mp loop /data/file "$N")")
	enf+=("$(ns_per_iter "$WARD" run -p "$P" -e none "${B[@]}" -- \
		/probe-bin/mp loop /data/file "$N")")
	all+=("$(ns_per_iter "$WARD" run -p "$PA" -e "file:$T/ev.jsonl" "${B[@]}" -- \
		/probe-bin/mp loop /data/file "$N")")
	rm -f "$T/ev.jsonl"
	ovl+=("$(WARD_MONITORS=off ns_per_iter "$WARD" run --allow-degraded -p "$P" -e none \
		"${B[@]}" -- /probe-bin/mp loop /etc/passwd "$N")")
done
b=$(printf '%s\n' "${bare[@]}" | median)
o=$(printf '%s\n' "${off[@]}" | median)
e=$(printf '%s\n' "${enf[@]}" | median)
a=$(printf '%s\n' "${all[@]}" | median)
v=$(printf '%s\n' "${ovl[@]}" | median)
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x / y}'; }
echo "open+read+close x $N, median of $RUNS runs (ns/iteration, launch subtracted)"
echo "  bare                 $b"
echo "  ward, monitors off   $o   ratio $(ratio "$o" "$b")x (seccomp, Landlock: not the monitors)"
echo "  ward enforce         $e   ratio $(ratio "$e" "$b")x (target <= 1.15)"
echo "  ward events.allowed  $a   ratio $(ratio "$a" "$b")x (target <= 1.35)"
echo "  monitors alone: enforce $(ratio "$e" "$o")x, events.allowed $(ratio "$a" "$o")x of monitors off"
echo "  /etc/passwd under the overlay hiding /etc/shadow (monitors off): $v, $(ratio "$v" "$o")x the same loop outside it"
