#!/bin/bash
# Events per second from the kernel to the JSON sink: a burst of N opens of a denied path inside
# the sandbox (each one a file violation record), default ring size, file sink. Prints, per round
# (rounds alternate so the noise of this machine hits both alike):
#   floor   the same burst with the monitors off (seccomp + Landlock + the syscall itself): the
#           fastest rate this workload can produce events at here
#   events  delivered events / (last event time - first event time), and the loss counters from
#           the exit event (produced = delivered + lost)
# Target: 1M events/s with zero loss.
# Usage: bench/events.sh [N [ROUNDS]]   (root; build first with make)
set -eu
cd "$(dirname "$0")/.."
N=${1:-500000}
ROUNDS=${2:-3}
WARD=${WARD:-build/ward}
PROFILE=tests/profiles/monitor-enforce.yaml
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/bin"
make -s build/tests/monitor_probe && cp build/tests/monitor_probe "$T/bin/mp"
for r in $(seq "$ROUNDS"); do
	s=$(date +%s%N)
	WARD_MONITORS=off "$WARD" run --allow-degraded -p "$PROFILE" -e none \
		--bind "$T/bin:/probe-bin:ro" -- /probe-bin/mp burst /etc/shadow "$N" >/dev/null
	e=$(date +%s%N)
	floor=$(awk -v n="$N" -v ns=$((e - s)) 'BEGIN {printf "%.0f", n / (ns / 1e9)}')
	rm -f "$T/ev.jsonl"
	"$WARD" run -p "$PROFILE" -e "file:$T/ev.jsonl" \
		--bind "$T/bin:/probe-bin:ro" -- /probe-bin/mp burst /etc/shadow "$N" >/dev/null
	jq -rs --arg floor "$floor" --arg round "$r" '
		def secs: .[11:19] | split(":") | map(tonumber) | .[0] * 3600 + .[1] * 60 + .[2];
		def t: (.time | secs) + (.time[20:29] | tonumber / 1e9);
		[.[] | select(.kind == "file")] as $f
		| ($f | length) as $n
		| (($f[-1] | t) - ($f[0] | t)) as $dt
		| (.[] | select(.event == "exit") | .monitor_events) as $m
		| "round \($round): floor \($floor) opens/s (monitors off); \($n) file events in \($dt * 1000 | floor) ms: \($n / $dt | floor) events/s, \(($n / $dt) / ($floor | tonumber) * 100 | floor)% of the floor; produced \($m.produced) delivered \($m.delivered) lost \($m.lost)"' \
		"$T/ev.jsonl"
done
