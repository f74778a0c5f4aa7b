#!/bin/bash
# Collector output files: rotation by size with N kept, SIGHUP reopen (logrotate), disk full
# on a small tmpfs (no half lines, nothing lost once space returns), the YAML config file.
. "$(dirname "$0")/collector_common.inc"
require_root
require_collector
plan 11

# ---- rotation ---------------------------------------------------------------------------------
start_collector --rotate-size 64K --rotate-keep 2 || { not_ok "collector starts"; exit 0; }
"$CLIENT" send "$SOCK" rot0 2000 >/dev/null
stop_collector
check "rotated files: events.ndjson, .1 and .2, no .3" \
	sh -c "test -s '$OUT' && test -s '$OUT.1' && test -s '$OUT.2' && test ! -e '$OUT.3'"
big=$(find "$T/out" -name 'events.ndjson*' -size +64k | wc -l)
check "no file is over 64 KiB" test "$big" = 0
check "the kept files hold the newest events, each once, in whole lines" \
	python3 - "$OUT.2" "$OUT.1" "$OUT" <<'EOF'
import json, sys
seqs = []
for p in sys.argv[1:]:
    data = open(p, "rb").read()
    assert data.endswith(b"\n")
    seqs += [json.loads(l)["seq"] for l in data.splitlines()]
assert seqs == list(range(seqs[0], 2001)), (seqs[:3], seqs[-3:])
EOF
rm -rf "$T/out"

# ---- SIGHUP ---------------------------------------------------------------------------------------
start_collector || { not_ok "collector starts"; exit 0; }
"$CLIENT" send "$SOCK" hup0 10 >/dev/null
mv "$OUT" "$T/out/moved.ndjson"
"$CLIENT" send "$SOCK" hup1 10 >/dev/null
kill -HUP "$CPID"
sleep 0.2
"$CLIENT" send "$SOCK" hup2 10 >/dev/null
check "before SIGHUP, events go to the renamed file" \
	test "$(grep -c '"sandbox":"hup[01]"' "$T/out/moved.ndjson")" = 20
check "after SIGHUP, to a new file at the configured path" \
	test "$(grep -c '"sandbox":"hup2"' "$OUT")" = 10
stop_collector
rm -rf "$T/out"

# ---- disk full ---------------------------------------------------------------------------------------
mkdir -p "$T/full"
mount -t tmpfs -o size=64k tmpfs "$T/full"
full_cleanup() { umount "$T/full" 2>/dev/null; }
trap 'full_cleanup; _lib_cleanup' EXIT
OUT=$T/full/events.ndjson
start_collector --stats "unix:$STATS" || { not_ok "collector starts"; exit 0; }
"$CLIENT" send "$SOCK" full0 1000 1 30000 >"$T/full.out" 2>&1 &
cl=$!
track_pid $cl
for _ in $(seq 100); do
	[ "$(metric ward_collector_output_errors_total)" != 0 ] && break
	sleep 0.05
done
errs=$(metric ward_collector_output_errors_total)
queued=$(metric ward_collector_output_queue_bytes)
if [ "$errs" != 0 ] && [ "$queued" -gt 0 ]; then
	ok "disk full is reported ($errs write errors, $queued bytes held in memory)"
else
	not_ok "disk full is reported (errors $errs, queue $queued)"
fi
check "the full file holds whole lines only" \
	python3 -c "import sys; d=open('$OUT','rb').read(); sys.exit(0 if not d or d.endswith(b'\n') else 1)"
check "the daemon keeps running" kill -0 "$CPID"
mount -o remount,size=4m "$T/full"
wait $cl
check "once space returns the client's events are all acknowledged" grep -q flushed=yes "$T/full.out"
check "and every event is in the file exactly once" exactly_once "$OUT" full 1 1000
stop_collector
umount "$T/full"
OUT=$T/out/events.ndjson

# ---- config file -------------------------------------------------------------------------------
cat >"$T/collector.yaml" <<EOF
listen: unix:$T/fromconf.sock
output: file:$T/conf/events.ndjson
allow_uid: [65533, 65532]
rotate-size: 10M
spool_dir: $SPOOL
EOF
$COLLECTOR --config "$T/collector.yaml" 2>>"$T/collector.log" &
CPID=$!
track_pid $CPID
for _ in $(seq 100); do [ -S "$T/fromconf.sock" ] && break; sleep 0.05; done
"$CLIENT" send "$T/fromconf.sock" conf0 5 >/dev/null
stop_collector
printf 'listen: unix:/x\nbogus_key: 1\n' >"$T/bad.yaml"
$COLLECTOR --config "$T/bad.yaml" 2>"$T/bad.err"
rc=$?
if [ "$(grep -c '"sandbox":"conf0"' "$T/conf/events.ndjson" 2>/dev/null)" = 5 ] && [ "$rc" != 0 ] &&
	grep -q "bad.yaml:2:1: unknown key 'bogus_key'" "$T/bad.err"; then
	ok "settings from collector.yaml apply; a bad key is refused with FILE:LINE:COL"
else
	not_ok "settings from collector.yaml apply; a bad key is refused (rc $rc: $(cat "$T/bad.err"))"
fi
