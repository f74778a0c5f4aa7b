#!/bin/bash
# Events per second from the kernel to the JSON sink: a burst of N opens of a denied path inside
# the sandbox (each one a file violation record), default ring size, file sink. Prints events/s
# and the loss counters from the exit event (target: 1M events/s with zero loss).
# Usage: bench/events.sh [N]   (root; build first with make)
set -eu
cd "$(dirname "$0")/.."
N=${1:-500000}
WARD=${WARD:-build/ward}
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/bin"
cc -O2 -static -D_GNU_SOURCE -o "$T/bin/mp" tests/integration/monitor_probe.c
s=$(date +%s%N)
"$WARD" run -p tests/profiles/monitor-enforce.yaml -e "file:$T/ev.jsonl" \
	--bind "$T/bin:/probe-bin:ro" -- /probe-bin/mp burst /etc/shadow "$N" >/dev/null
e=$(date +%s%N)
got=$(grep -c '"kind":"file"' "$T/ev.jsonl" || true)
echo "events: $got of $N in $(((e - s) / 1000000)) ms: $(awk -v n="$got" -v ns=$((e - s)) 'BEGIN {printf "%.0f", n / (ns / 1e9)}') events/s"
grep '"event":"exit"' "$T/ev.jsonl" | jq -c '.monitor_events' 2>/dev/null || true
