#!/bin/bash
# The supervisor never waits for its event sink: stderr on a pipe nobody reads (issue 9 item 1).
# The timeout still fires, SIGTERM to ward still ends the sandbox, lines that do not fit in the
# sink's queue are dropped and counted (sink_dropped), and the shared pipe's open file
# description is left blocking for the others that write to it.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 7
P=$PROFILES/probe.yaml
FIFO=$T/stderr.fifo
mkfifo "$FIFO"
exec 3<>"$FIFO" # a reader exists (this shell), but it never reads

# wardf ARGS...: ward run with stderr (the default sink) on the FIFO; sets RC and MS
wardf() {
	local s
	s=$(date +%s%N)
	RC=0
	timeout -k 2 30 "$WARD" run -p "$P" --bind "$PROBE_BIND" "$@" </dev/null >/dev/null 2>&3 ||
		RC=$?
	MS=$((($(date +%s%N) - s) / 1000000))
}

# 20,000 denied syscalls (several MiB of events, the pipe holds 64 KiB), then a spinning CPU
wardf --timeout 3s -- "$PROBE" violations 20000 60
if [ "$RC" = 143 ] && [ "$MS" -ge 2900 ] && [ "$MS" -lt 7000 ]; then
	ok "with stderr on a full pipe, --timeout 3s still ends the sandbox (${MS} ms, exit $RC)"
else
	not_ok "with stderr on a full pipe, --timeout 3s still ends the sandbox (${MS} ms, exit $RC)"
fi
flags=$(awk '/^flags:/ {print $2}' /proc/$$/fdinfo/3)
if [ $((8#$flags & 8#4000)) = 0 ]; then
	ok "the pipe's shared open file description was not made non-blocking (flags $flags)"
else
	not_ok "the pipe's shared open file description was not made non-blocking (flags $flags)"
fi

# SIGTERM to ward while its sink is stalled: forwarded, the workload ends, ward exits
s=$(date +%s%N)
"$WARD" run -p "$P" --bind "$PROBE_BIND" -- "$PROBE" violations 20000 60 \
	</dev/null >/dev/null 2>&3 &
wpid=$!
track_pid $wpid
(sleep 15 && kill -KILL $wpid 2>/dev/null) & # a ward that ignores SIGTERM must not hang us
dog=$!
track_pid $dog
sleep 1.5
kill -TERM $wpid
RC=0
wait $wpid || RC=$?
kill $dog 2>/dev/null
MS=$((($(date +%s%N) - s) / 1000000))
if [ "$RC" = 143 ] && [ "$MS" -lt 6000 ]; then
	ok "SIGTERM to ward with a stalled sink ends the sandbox (${MS} ms, exit $RC)"
else
	not_ok "SIGTERM to ward with a stalled sink ends the sandbox (${MS} ms, exit $RC)"
fi

# A reader that starts late: what did not fit was dropped and the exit event counts it.
# (The exit event is queued after the reader drained the queue, so it arrives.)
EV=$T/events.late.jsonl
timeout 1 cat "$FIFO" >/dev/null # what the earlier runs left in the pipe
timeout -k 2 30 "$WARD" run -p "$P" --bind "$PROBE_BIND" -- "$PROBE" violations 20000 4 \
	</dev/null >/dev/null 2>&3 &
wpid=$!
track_pid $wpid
sleep 2
timeout 10 sed -n '/^{/p; /"event":"exit"/q' "$FIFO" >"$EV"
RC=0
wait $wpid || RC=$?
check "ward exits 0 after the late reader drained it" test "$RC" = 0
exitev=$(grep '"event":"exit"' "$EV")
dropped=$(jq -r '.sink_dropped' <<<"$exitev" 2>/dev/null)
produced=$(jq -r '.events_produced' <<<"$exitev" 2>/dev/null)
sb=$(jq -r '.sandbox' <<<"$exitev" 2>/dev/null)
got=$(grep -c "\"sandbox\":\"$sb\"" "$EV")
if [ -n "$dropped" ] && [ "$dropped" -gt 0 ] 2>/dev/null; then
	ok "the exit event counts the lines the full queue dropped (sink_dropped $dropped)"
else
	not_ok "the exit event counts the lines the full queue dropped (sink_dropped '${dropped}')"
fi
# the lines that reached the reader plus the dropped ones are all of them (other lines may
# still have been in the pipe, or in sed's buffer, when sed quit: at most 64 KiB of them)
if [ -n "$produced" ] && [ $((got + dropped)) -le "$produced" ] &&
	[ $((got + dropped)) -ge $((produced - 400)) ] 2>/dev/null; then
	ok "read ($got) + dropped ($dropped) account for the events produced ($produced)"
else
	not_ok "read ($got) + dropped ($dropped) account for the events produced ($produced)"
fi
check "the lines read are whole JSON lines" jq -e -s 'length > 0' "$EV"
exec 3>&-
