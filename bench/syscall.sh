#!/bin/bash
# Syscall overhead of each layer: a C loop of open+read+close on an allowed file, bare vs under
# `ward run` with single layers switched off (WARD_LAYERS_OFF, a missing layer each, hence
# --allow-degraded), with every layer (monitors off, then on), and with every open an event
# (events.allowed). Runs alternate, so this machine's noise hits every row alike; each row
# prints its median ns per iteration and its ratio against bare of the same run.
# Targets: all layers, monitors off <= 1.05x; enforce <= 1.15x; events.allowed <= 1.35x.
# Usage: bench/syscall.sh [ITERATIONS] [RUNS]   (root; build first with make)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-200000}
RUNS=${2:-7}
WARD=${WARD:-build/ward}
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/bin"
make -s build/tests/monitor_probe && cp build/tests/monitor_probe "$T/bin/mp"

# The loop runs on the same path in every row ($T/data/file, bound at its own path), so that
# "view off" (the host's tree) and the view see the same name; exec.allow names $T/bin.
sed "s|/probe-bin/|$T/bin/|" tests/profiles/monitor-enforce.yaml >"$T/enforce.yaml"
sed "s|/probe-bin/|$T/bin/|" tests/profiles/monitor-allowed.yaml >"$T/allowed.yaml"
P=$T/enforce.yaml
PA=$T/allowed.yaml

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

# The file looped on: in a read-only bind with no denied name in it. /etc/passwd, beside the
# denied /etc/shadow, sits under the overlay that hides /etc/shadow: its extra cost is printed
# on a line of its own.
mkdir -p "$T/data"
head -c 2048 /etc/passwd >"$T/data/file"
chmod -R a+rX "$T/data"
B=(--bind "$T/bin:$T/bin:ro" --bind "$T/data:$T/data:ro")
MP=$T/bin/mp
F=$T/data/file
# ward with monitors off and the layers in $1 switched off (empty: every layer on)
layers() {
	WARD_MONITORS=off WARD_LAYERS_OFF=$1 ns_per_iter "$WARD" run --allow-degraded -p "$P" \
		-e none "${B[@]}" -- "$MP" loop "${2:-$F}" "$N"
}

bare=() sec=() ll=() view=() ns=() off=() enf=() all=() ovl=()
for ((i = 0; i < RUNS; i++)); do
	bare+=("$(ns_per_iter "$MP" loop "$F" "$N")")
	sec+=("$(layers landlock,view)")
	ll+=("$(layers seccomp,view)")
	view+=("$(layers seccomp,landlock)")
	ns+=("$(layers seccomp,landlock,view)")
	off+=("$(layers "")")
	enf+=("$(ns_per_iter "$WARD" run -p "$P" -e none "${B[@]}" -- "$MP" loop "$F" "$N")")
	all+=("$(ns_per_iter "$WARD" run -p "$PA" -e "file:$T/ev.jsonl" "${B[@]}" -- \
		"$MP" loop "$F" "$N")")
	rm -f "$T/ev.jsonl"
	ovl+=("$(layers "" /etc/passwd)")
done
m() { printf '%s\n' "$@" | median; }
b=$(m "${bare[@]}")
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x / y}'; }
row() {
	printf '  %-44s %6s ns  %sx bare, %sx per round%s\n' "$1" "$(m "${!2}")" \
		"$(ratio "$(m "${!2}")" "$b")" "$(round_ratio "$3" bare)" "${4:-}"
}
echo "open+read+close x $N, median of $RUNS alternating runs (ns/iteration, launch subtracted)"
printf '  %-44s %6s ns\n' "bare" "$b"
row "namespaces + cgroup only (no seccomp/LL/view)" "ns[@]" ns
row "seccomp only" "sec[@]" sec
row "Landlock only" "ll[@]" ll
row "mount view only" "view[@]" view
o=$(m "${off[@]}")
row "all layers, monitors off" "off[@]" off " (target <= 1.05)"
e=$(m "${enf[@]}")
row "ward enforce, monitors on, no events" "enf[@]" enf " (target <= 1.15)"
a=$(m "${all[@]}")
row "ward events.allowed (every open an event)" "all[@]" all " (target <= 1.35)"
echo "  monitors alone: enforce $(ratio "$e" "$o")x ($(round_ratio enf off)x per round), events.allowed $(ratio "$a" "$o")x ($(round_ratio all off)x per round) of monitors off"
v=$(m "${ovl[@]}")
echo "  /etc/passwd under the overlay hiding /etc/shadow (monitors off): $v ns, $(ratio "$v" "$o")x the same loop outside it"
