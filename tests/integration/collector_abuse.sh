#!/bin/bash
# Collector input hardening: peers refused by uid (SO_PEERCRED), malformed JSON, invalid UTF-8,
# schema violations, a 10 MiB line, repeated abuse, a slow client: each refused or bounded
# while the daemon keeps serving the others.
. "$(dirname "$0")/collector_common.inc"
require_root
require_collector
plan 12

start_collector --allow-uid 65533 --stats "unix:$STATS" || { not_ok "collector starts"; exit 0; }
# 0660 root:root keeps other users out at the file system already; open it up so the
# SO_PEERCRED check is what refuses them
chmod 0666 "$SOCK"

# as_user UID: raw_send as another user (no groups)
as_user() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --clear-groups /usr/bin/python3 - "$SOCK" "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    while s.recv(4096): pass
except OSError: pass
EOF
}

as_user 65534 "$(event refused 1)"
as_user 65533 "$(event allowed 1)"
sleep 0.3
check "uid 65534 (not allowed) is refused and counted" \
	test "$(metric ward_collector_connections_refused_total)" = 1
check "its event is not written" sh -c "! grep -q '\"sandbox\":\"refused\"' '$OUT'"
check "an allowed uid gets through, with peer_uid added" \
	grep -q '"sandbox":"allowed","seq":1.*"peer_uid":65533}' "$OUT"

# malformed JSON, invalid UTF-8, a missing field, then a good line on the same connection
raw_send 'not json at all\n' "$(event bad-utf8 1 '"comm":"\xff\xfe"')\n" \
	'{"time":"2026-01-01T00:00:00Z","sandbox":"noseq","kind":"file"}\n' \
	"$(event good 1)\n"
sleep 0.3
check "malformed JSON and invalid UTF-8 are refused" \
	test "$(metric 'ward_collector_refused_total{reason="malformed"}')" = 2
check "a line without seq is refused as a schema violation" \
	test "$(metric 'ward_collector_refused_total{reason="schema"}')" = 1
check "the good line after them is written" grep -q '"sandbox":"good","seq":1' "$OUT"
check "no refused line reached the output" sh -c "! grep -qE 'noseq|bad-utf8' '$OUT'"

# a 10 MiB line, then a good one
python3 - "$SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"x":"' + b"a" * (10 << 20) + b'"}\n')
s.sendall(b'{"time":"2026-01-01T00:00:00Z","sandbox":"afterbig","seq":1,"host":"h","kind":"file"}\n')
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
while s.recv(4096): pass
EOF
sleep 0.2
rss=$(awk '/VmHWM/ {print $2}' "/proc/$CPID/status")
if [ "$(metric 'ward_collector_refused_total{reason="oversized"}')" = 1 ] &&
	grep -q '"sandbox":"afterbig"' "$OUT" && [ "$rss" -lt 65536 ]; then
	ok "a 10 MiB line is refused without buffering it (peak RSS ${rss} KiB), the next line kept"
else
	not_ok "a 10 MiB line is refused without buffering it (peak RSS ${rss} KiB)"
fi

# 20 bad lines: the connection is closed after the abuse limit
args=()
for _ in $(seq 20); do args+=('{"junk":1}\n'); done
raw_send "${args[@]}"
sleep 0.2
check "a connection sending bad lines over and over is closed" \
	test "$(metric ward_collector_connections_closed_abuse_total)" = 1

# a slow client (one byte every 50 ms) does not hold up a fast one
python3 - "$SOCK" "$(event slow 1)" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
for b in (sys.argv[2] + "\n").encode():
    s.send(bytes([b])); time.sleep(0.05)
time.sleep(0.5)
EOF
slow=$!
track_pid $slow
sleep 0.3
start=$(date +%s%N)
"$CLIENT" send "$SOCK" fast0 2000 1 10000 >"$T/fast.out" 2>&1
took=$((($(date +%s%N) - start) / 1000000))
if grep -q flushed=yes "$T/fast.out" && [ "$took" -lt 3000 ]; then
	ok "a fast client is served while a slow one trickles (${took} ms for 2000 events)"
else
	not_ok "a fast client is served while a slow one trickles (${took} ms)"
fi
wait $slow
check "the slow client's line arrives whole" grep -q '"sandbox":"slow","seq":1' "$OUT"
check "the daemon is still running" kill -0 "$CPID"
stop_collector
