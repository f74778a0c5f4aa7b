#!/bin/bash
# The collector under abuse (issue 9 items 5-7): out of fds it does not spin; partial lines
# are bounded in total and their memory returned on close; a flood of log lines is
# rate-limited with a "suppressed N" line.
. "$(dirname "$0")/collector_common.inc"
require_root
require_collector
plan 9
ulimit -n 8192

# cpu_ticks PID: user+system clock ticks so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# holders N BYTES SECS: N connections, each sending BYTES of a line without its newline
holders() {
	python3 - "$SOCK" "$@" <<'PY' &
import socket, sys, time
path, n, size, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
ss = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        s.setblocking(False)
        s.send(b'{"time":"2026-01-01T00:00:00Z","x":"' + b"a" * size)
    except OSError:
        pass
    ss.append(s)
print("connected", flush=True)
time.sleep(secs)
PY
	HOLDERS=$!
	track_pid $HOLDERS
}

# ---- item 5: EMFILE (40 fds, 60 clients) ----
COLLECTOR="prlimit --nofile=40:40 $COLLECTOR" start_collector ||
	{ not_ok "collector starts"; exit 0; }
holders 60 10 4 >/dev/null
sleep 1
t0=$(cpu_ticks "$CPID")
l0=$(wc -l <"$T/collector.log")
sleep 2
t1=$(cpu_ticks "$CPID")
l1=$(wc -l <"$T/collector.log")
hz=$(getconf CLK_TCK)
if [ $((t1 - t0)) -lt $((hz / 5)) ]; then
	ok "out of fds, the collector does not spin ($((t1 - t0)) ticks of $((2 * hz)) in 2 s)"
else
	not_ok "out of fds, the collector does not spin ($((t1 - t0)) ticks of $((2 * hz)) in 2 s)"
fi
if [ $((l1 - l0)) -le 40 ]; then
	ok "the EMFILE log line is rate-limited ($((l1 - l0)) lines in 2 s)"
else
	not_ok "the EMFILE log line is rate-limited ($((l1 - l0)) lines in 2 s)"
fi
kill $HOLDERS 2>/dev/null
wait $HOLDERS 2>/dev/null
sleep 0.3
"$CLIENT" send "$SOCK" afteremfile 10 1 5000 >"$T/emfile.out" 2>&1
check "once fds are free again, clients are served" grep -q flushed=yes "$T/emfile.out"
stop_collector

# ---- item 6: 1,000 connections each holding a 60 KB partial line ----
start_collector || { not_ok "collector starts"; exit 0; }
holders 1000 60000 6 >"$T/holders.out"
for _ in $(seq 200); do grep -q connected "$T/holders.out" && break; sleep 0.05; done
sleep 1
rss=$(awk '/VmRSS/ {print $2}' "/proc/$CPID/status")
if [ "$rss" -lt $((32 * 1024)) ]; then
	ok "RSS with 1,000 connections holding a 60 KB partial line each: ${rss} KiB (< 32 MiB)"
else
	not_ok "RSS with 1,000 connections holding a 60 KB partial line each: ${rss} KiB"
fi
"$CLIENT" send "$SOCK" besidepartial 100 1 5000 >"$T/partial.out" 2>&1
check "a good client is served beside them" grep -q flushed=yes "$T/partial.out"
kill $HOLDERS 2>/dev/null
wait $HOLDERS 2>/dev/null
sleep 0.5
rss2=$(awk '/VmRSS/ {print $2}' "/proc/$CPID/status")
if [ "$rss2" -lt 8192 ]; then
	ok "their memory is returned once they close (RSS ${rss2} KiB)"
else
	not_ok "their memory is returned once they close (RSS ${rss2} KiB)"
fi
stop_collector

# ---- item 7: an allowed client that floods the log (2,000 connections, a bad line each) ----
: >"$T/collector.log"
start_collector || { not_ok "collector starts"; exit 0; }
python3 - "$SOCK" <<'PY'
import socket, sys
for i in range(2000):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b'not json\n'); s.close()
PY
sleep 1.5 # the suppressed count is reported once its second has passed
lines=$(wc -l <"$T/collector.log")
if [ "$lines" -lt 150 ]; then
	ok "2,000 refused lines give $lines log lines"
else
	not_ok "2,000 refused lines give $lines log lines"
fi
check "the rest are reported as suppressed" grep -q 'suppressed [0-9]* repeats of: ' "$T/collector.log"
stop_collector
suppressed=$(sed -n 's/.*suppressed \([0-9]*\) repeats of: pid.*refused a line.*/\1/p' "$T/collector.log" |
	awk '{ s += $1 } END { print s + 0 }')
printed=$(grep -c 'refused a line' "$T/collector.log")
printed=$((printed - $(grep -c 'suppressed.*refused a line' "$T/collector.log")))
if [ $((suppressed + printed)) = 2000 ]; then
	ok "printed ($printed) + suppressed ($suppressed) = 2,000"
else
	not_ok "printed ($printed) + suppressed ($suppressed) = 2,000"
fi
