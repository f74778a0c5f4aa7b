#!/bin/bash
# The launcher's spool while the collector is away (issue 9 items 2 and 3), with the real
# `ward run -e unix:PATH` and no collector running:
#  - on a full file system (a 64 KiB tmpfs) it keeps what fits, warns once on stderr, and the
#    exit event (kept in the space the spool reserves for it) counts the rest in sink_dropped;
#  - ward killed with SIGKILL at a random point of the outage: a collector started later
#    recovers every event but at most the last supervisor round's (docs/collector.md; with the
#    probe's seccomp-reported calls, one event a round).
. "$(dirname "$0")/collector_common.inc"
require_root
require_ward
require_collector
TRIALS=${SPOOL_KILL_TRIALS:-5} # more for a measurement
plan $((6 + TRIALS))

# wait_gone FILE: the collector ingests spools of wards that are gone, then removes them
wait_gone() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "$1" ] || return 0
		sleep 0.05
	done
	return 1
}

# ---- a full spool disk -------------------------------------------------------------------
FULL=$T/full
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=64k,mode=0755 tmpfs "$FULL"; then
	for _ in $(seq 6); do skip "cannot mount a tmpfs"; done
else
	_mounts_to_umount+=("$FULL")
	WARD_SPOOL_DIR=$FULL/spool run_probe "$PROFILES/probe.yaml" --id full0 -e "unix:$SOCK" \
		-- violations 1000 0
	check "collector away, spool disk full: the sandbox runs (exit 0)" rc_is 0
	warnings=$(grep -c 'spool .*full0.ndjson: No space left on device' "$WARD_ERR")
	if [ "$warnings" = 1 ]; then
		ok "one warning on stderr names the spool and the error"
	else
		not_ok "one warning on stderr names the spool and the error ($warnings)"
		diag_ward
	fi
	kept=$(grep -c '"seq"' "$FULL/spool/full0.ndjson" 2>/dev/null)
	# 1,002 events of about 250 bytes; 64 KiB holds about 240 of them
	if [ "${kept:-0}" -ge 150 ] && python3 -c '
import json, sys
for l in open(sys.argv[1], "rb"): json.loads(l)' "$FULL/spool/full0.ndjson"; then
		ok "what fits is kept, whole lines ($kept lines in the 64 KiB spool)"
	else
		not_ok "what fits is kept, whole lines (${kept:-0} lines in the 64 KiB spool)"
	fi
	start_collector --spool-dir "$FULL/spool" || { not_ok "collector starts"; exit 0; }
	check "the collector ingests the spool of the full disk" wait_gone "$FULL/spool/full0.ndjson"
	stop_collector
	summary=$(python3 - "$OUT" full0 <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb")]
ev = [e for e in ev if e["sandbox"] == sys.argv[2]]
exits = [e for e in ev if e.get("event") == "exit"]
if len(exits) != 1:
    print(f"exit_events={len(exits)}"); sys.exit(1)
x = exits[0]
others = len(ev) - 1
print(f"received={others} sink_dropped={x['sink_dropped']} produced={x['events_produced']}")
sys.exit(0 if others >= 150 and others + x["sink_dropped"] == x["events_produced"] - 1 else 1)
EOF
)
	if [ $? = 0 ]; then
		ok "the exit event arrives and sink_dropped counts the rest ($summary)"
	else
		not_ok "the exit event arrives and sink_dropped counts the rest ($summary)"
	fi
	if umount "$FULL"; then
		ok "the tmpfs is unmounted"
		_mounts_to_umount=()
	else
		not_ok "the tmpfs is unmounted"
	fi
fi

# ---- kill -9 of ward during an outage ------------------------------------------------------
# The probe numbers each denied ptrace the supervisor answered (it reported the call first),
# so after the kill `tail -1` of its output is a lower bound of the violation events made;
# with the start event and at most one call reported but not yet numbered, ward made n + 1
# or n + 2 events.
rm -f "$OUT"
declare -A counted
for i in $(seq "$TRIALS"); do
	"$WARD" run -p "$PROFILES/probe.yaml" --bind "$PROBE_BIND" --id "kill$i" -e "unix:$SOCK" \
		-- "$PROBE" violations 100000000 0 count </dev/null >"$T/count.$i" 2>"$T/kill$i.err" &
	wpid=$!
	track_pid $wpid
	# a random point 0.3-1.3 s into the run (tens of thousands of events)
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	sleep 0.3
	kill -KILL $wpid
	wait $wpid 2>/dev/null
	# the workload notices the supervisor is gone (ENOSYS) and ends
	for _ in $(seq 100); do
		grep -q '^RESULT' "$T/count.$i" && break
		sleep 0.05
	done
	counted[$i]=$(grep -v RESULT "$T/count.$i" | tail -n 1)
done
# (some 10 MB a trial: no rotation, the check reads one file)
start_collector --rotate-size 0 || { not_ok "collector starts"; exit 0; }
for i in $(seq "$TRIALS"); do wait_gone "$SPOOL/kill$i.ndjson"; done
sleep 0.2
stop_collector
for i in $(seq "$TRIALS"); do
	n=${counted[$i]:-0}
	res=$(python3 - "$OUT" "kill$i" "$n" <<'EOF'
import json, sys
seqs = sorted(json.loads(l)["seq"] for l in open(sys.argv[1], "rb")
              if json.loads(l)["sandbox"] == sys.argv[2])
n = int(sys.argv[3])
m = len(seqs)
contiguous = seqs == list(range(1, m + 1))
# Made n + 1 events, or n + 2 when the last one was reported but its call not yet numbered.
# Each round writes its event before the next call can be answered, so m = n means event
# n + 1 was made and lost (and no later one made); m = n + 1: the last one lost or none;
# m = n + 2: none. The bound: the last round (one event here).
lost = {n: "1", n + 1: "0 or 1", n + 2: "0"}.get(m, "more than 1")
print(f"made {n + 1} or {n + 2}, recovered {m} "
      f"({'seq 1..' + str(m) if contiguous else 'with gaps'}), lost {lost}")
sys.exit(0 if n > 0 and contiguous and n <= m <= n + 2 else 1)
EOF
)
	if [ $? = 0 ]; then
		ok "kill -9 during an outage, trial $i: $res"
	else
		not_ok "kill -9 during an outage, trial $i: $res"
		diag "$(tail -3 "$T/kill$i.err")"
	fi
done
