#!/bin/bash
# The launcher side, end to end with the real `ward run -e unix:PATH`: events reach the
# collector complete (the exit event's count checks it), the collector socket is not visible
# inside the sandbox, events.require_collector refuses to start without a collector (125) and
# runs with one, and a run while the collector is away is delivered later from its spool.
. "$(dirname "$0")/collector_common.inc"
require_root
require_ward
require_collector
plan 6

cat >"$T/require.yaml" <<EOF
include: [$PROFILES/probe.yaml]
events: {require_collector: true}
EOF

# complete: every seq from 1 to events_produced (the exit event included) of the sandbox, once
complete() {
	python3 - "$OUT" "$1" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb") if json.loads(l)["sandbox"] == sys.argv[2]]
exits = [e for e in ev if e["kind"] == "lifecycle" and e.get("event") == "exit"]
assert len(exits) == 1, f"{len(exits)} exit events"
n = exits[0]["events_produced"]
seqs = sorted(e["seq"] for e in ev)
assert seqs == list(range(1, n + 1)), (seqs, n)
assert ev[0].get("event") == "start" and ev[0]["peer_uid"] == 0
EOF
}

start_collector || { not_ok "collector starts"; exit 0; }
run_probe "$PROFILES/probe.yaml" --id coll-e2e -e "unix:$SOCK" -- stat "$SOCK"
sleep 0.2
check "ward run -e unix: delivers every event of the sandbox, start to exit" complete coll-e2e
if result_is errno ENOENT; then
	ok "the collector socket is not visible inside the sandbox"
else
	not_ok "the collector socket is not visible inside the sandbox ($(grep RESULT "$WARD_OUT"))"
fi
run_probe "$T/require.yaml" --id coll-req -e "unix:$SOCK" -- stat /
check "events.require_collector: runs when the collector answers" rc_is 0
stop_collector

run_probe "$T/require.yaml" --id coll-refused -e "unix:$SOCK" -- stat /
if [ "$WARD_RC" = 125 ] && grep -q "require_collector" "$WARD_ERR"; then
	ok "events.require_collector: refuses to start (125) when no collector answers"
else
	not_ok "events.require_collector: refuses to start (125) ... (rc $WARD_RC)"
	diag_ward
fi

# fail-open by default: a run while the collector is away spools, and is delivered later
run_probe "$PROFILES/probe.yaml" --id coll-later -e "unix:$SOCK" -- stat /
check "without require_collector the sandbox runs while the collector is away" rc_is 0
start_collector || { not_ok "collector restarts"; exit 0; }
for _ in $(seq 100); do [ -e "$SPOOL/coll-later.ndjson" ] || break; sleep 0.05; done
sleep 0.2
check "its events arrive from the spool once the collector is back" complete coll-later
stop_collector
