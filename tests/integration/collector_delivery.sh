#!/bin/bash
# Collector delivery: many concurrent launchers, exactly once in the output; kill -9 of the
# collector mid-stream and restart; spools of launchers that are gone replayed by the collector.
. "$(dirname "$0")/collector_common.inc"
require_root
require_collector
plan 9

# 1-3: 50 sandboxes at once, 200 events each (199 violations + the exit event)
start_collector --stats "unix:$STATS" || { not_ok "collector starts"; exit 0; }
pids=()
for i in $(seq 0 49); do
	"$CLIENT" send "$SOCK" "many$i" 200 1 20000 >"$T/client$i.out" 2>&1 &
	pids+=($!)
	track_pid $!
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
if [ "$fails" -eq 0 ]; then ok "50 concurrent clients flushed every event"; else
	not_ok "50 concurrent clients flushed every event ($fails failed)"
	diag "$(cat "$T"/client*.out | sort | uniq -c)"
fi
check "every (sandbox, seq) of 50 x 200 exactly once" exactly_once "$OUT" many 50 200
r=$(metric ward_collector_events_received_total)
v=$(metric ward_collector_violations_total)
if [ "$r" = 10000 ] && [ "$v" = 9950 ]; then ok "counters: 10000 received, 9950 violations"
else not_ok "counters: 10000 received, 9950 violations (got $r, $v)"; fi

# 4-6: kill -9 in the middle of 50 streams, restart: nothing lost, nothing doubled
rm -f "$OUT"
stop_collector
start_collector || { not_ok "collector restarts"; exit 0; }
pids=()
for i in $(seq 0 49); do
	# 1500 events at ~2000/s each: about 0.75 s of traffic per client
	"$CLIENT" send "$SOCK" "crash$i" 1500 1 30000 500 >"$T/crash$i.out" 2>&1 &
	pids+=($!)
	track_pid $!
done
sleep 0.4
stop_collector KILL
lines_at_kill=$(wc -l <"$OUT")
sleep 0.5
start_collector || { not_ok "collector restarts after kill -9"; exit 0; }
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
if [ "$lines_at_kill" -gt 0 ] && [ "$lines_at_kill" -lt 75000 ]; then
	ok "killed mid-stream ($lines_at_kill of 75000 lines written)"
else
	not_ok "killed mid-stream ($lines_at_kill of 75000 lines written)"
fi
check "every client delivered after the restart" test "$fails" -eq 0
check "every (sandbox, seq) exactly once across the kill, no half line" \
	exactly_once "$OUT" crash 50 1500

# 7-9: a launcher that exits while the collector is down leaves a spool; the collector
# replays it at start-up and removes it
stop_collector
"$CLIENT" send "$SOCK" dead0 300 1 200 >"$T/dead.out" 2>&1
rc=$?
check "with no collector the client spools (exit 3) and drops nothing" \
	grep -q 'dropped=0 flushed=no' "$T/dead.out"
[ "$rc" = 3 ] || diag "client exit $rc: $(cat "$T/dead.out")"
start_collector || { not_ok "collector restarts"; exit 0; }
for _ in $(seq 100); do [ -e "$SPOOL/dead0.ndjson" ] || break; sleep 0.05; done
check "the spool of the launcher that is gone was replayed in full" exactly_once "$OUT" dead 1 300
check "and removed" test ! -e "$SPOOL/dead0.ndjson"
stop_collector
