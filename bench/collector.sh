#!/bin/bash
# Collector benchmark: events/s from N concurrent clients to the file output, latency from a
# client's send() to the collector's acknowledgement (sent once the line is in the output file,
# so this is launcher-to-disk), and RSS with 1,000 idle connections.
#   bench/collector.sh [CLIENTS [EVENTS_PER_CLIENT]]      (defaults 8 and 250000)
# Uses build/ward (make) and cc; loopback/unix sockets only, stops by itself.
set -eu
cd "$(dirname "$0")/.."
CLIENTS=${1:-8}
EVENTS=${2:-250000}
WARD=${WARD:-build/ward}
[ -x "$WARD" ] || { echo "bench: $WARD not built (make)" >&2; exit 1; }
ulimit -n 4096 2>/dev/null || true # the idle test holds 1,000 connections
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
CPID=
cleanup() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
make -s build/tests/collector_client && cp build/tests/collector_client "$T/client"

start() {
	"$WARD" collector --no-config --listen "unix:$T/c.sock" --output "file:$T/events.ndjson" \
		--spool-dir "$T/spool" --rotate-size 0 "$@" 2>"$T/collector.log" &
	CPID=$!
	# the socket file exists from bind(), a moment before listen()
	for _ in $(seq 100); do [ -S "$T/c.sock" ] && sleep 0.1 && return 0; sleep 0.05; done
	echo "bench: collector did not start" >&2
	cat "$T/collector.log" >&2
	exit 1
}

start
t0=$(date +%s%N)
for i in $(seq 1 "$CLIENTS"); do
	"$T/client" bench "$T/c.sock" "bench$i" "$EVENTS" >"$T/client$i.out" &
done
wait $(jobs -p | grep -v "^$CPID$") 2>/dev/null || true
t1=$(date +%s%N)
total=$((CLIENTS * EVENTS))
lines=$(wc -l <"$T/events.ndjson")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
rate=$(awk -v n="$total" -v s="$secs" 'BEGIN { printf "%d", n / s }')
p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' "$T"/client*.out | sort -n | tail -1)
p50=$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' "$T"/client*.out | sort -n | tail -1)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$CPID/status")
echo "clients=$CLIENTS events=$total written=$lines seconds=$secs events_per_s=$rate"
echo "latency send->ack (line in file): worst client p50=${p50}us p99=${p99}us"
echo "collector peak RSS under load: ${rss} KiB"
[ "$lines" = "$total" ] || echo "bench: WARNING: $lines lines written, $total sent" >&2
# unloaded: one client, one line in flight at a time
"$T/client" bench "$T/c.sock" single 20000 1 >"$T/single.out"
echo "latency send->ack, 1 client, 1 in flight: $(sed 's/.*\(p50_us.*\)/\1/' "$T/single.out")"
kill "$CPID"; wait "$CPID" 2>/dev/null || true; CPID=

# RSS with 1,000 idle connections
rm -f "$T/events.ndjson"
start
"$T/client" idle "$T/c.sock" 1000 3 >"$T/idle.out" &
idle=$!
for _ in $(seq 100); do grep -q connected "$T/idle.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.5
conns=$(ls "/proc/$CPID/fd" | wc -l)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$CPID/status")
echo "idle: $((conns)) open fds in the collector, RSS ${rss} KiB ($((rss / 1024)) MiB)"
wait "$idle"

# Abuse rows (issue 9): one good client's latency (1 in flight) next to 1,000 connections each
# holding a 60 KB partial line, and next to a client sending garbage without pause; the RSS
# with the 1,000 partial lines. Target: p99 within 2x of the unloaded one, RSS < 32 MiB.
kill "$CPID"; wait "$CPID" 2>/dev/null || true; CPID=
rm -f "$T/events.ndjson"
start
"$T/client" bench "$T/c.sock" base 20000 1 >"$T/base.out"
echo "abuse: none:            $(sed 's/.*\(p50_us.*\)/\1/' "$T/base.out")"
python3 - "$T/c.sock" 1000 60000 8 >"$T/holders.out" <<'PY' &
import socket, sys, time
path, n, size, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ss = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.setblocking(False)
    try:
        s.send(b'{"time":"2026-01-01T00:00:00Z","x":"' + b"a" * size)
    except OSError:
        pass
    ss.append(s)
print("connected", flush=True)
time.sleep(secs)
PY
hold=$!
for _ in $(seq 200); do grep -q connected "$T/holders.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.5
rss=$(awk '/VmRSS/ {print $2}' "/proc/$CPID/status")
"$T/client" bench "$T/c.sock" partial 20000 1 >"$T/partial.out"
echo "abuse: 1,000 partial:   $(sed 's/.*\(p50_us.*\)/\1/' "$T/partial.out") (collector RSS ${rss} KiB)"
kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null || true
python3 - "$T/c.sock" 8 <<'PY' &
import socket, sys, time
end = time.time() + float(sys.argv[2])
junk = b'{"not":"an event"}\n' * 200 + b'\xff\xfe garbage\n' * 200
while time.time() < end:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
        while time.time() < end:
            s.sendall(junk)
    except OSError:
        pass
PY
junk=$!
sleep 0.5
"$T/client" bench "$T/c.sock" garbage 20000 1 >"$T/garbage.out"
echo "abuse: garbage client:  $(sed 's/.*\(p50_us.*\)/\1/' "$T/garbage.out") (log lines: $(wc -l <"$T/collector.log"))"
kill "$junk" 2>/dev/null; wait "$junk" 2>/dev/null || true
