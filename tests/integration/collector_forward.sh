#!/bin/bash
# Collector forwarding: a real rsyslog (imtcp on a loopback port) receives RFC 5424 messages
# with octet-counting framing that it parses; a local HTTP listener receives Falco-format
# alerts; an HTTP target that is down then up loses nothing within the queue bound and counts
# the drops beyond it.
. "$(dirname "$0")/collector_common.inc"
require_root
require_collector
plan 8

if ! command -v rsyslogd >/dev/null; then
	echo "# rsyslogd missing (apt-get install rsyslog)" >&2
fi

# ---- rsyslog --------------------------------------------------------------------------------
SPORT=$(free_port)
mkdir -p "$T/rsyslog"
cat >"$T/rsyslog/rsyslog.conf" <<EOF
global(workDirectory="$T/rsyslog")
module(load="imtcp")
template(name="fields" type="string"
	string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
ruleset(name="ward") {
	action(type="omfile" file="$T/rsyslog/out.log" template="fields")
}
input(type="imtcp" address="127.0.0.1" port="$SPORT" ruleset="ward")
EOF
rsyslogd -f "$T/rsyslog/rsyslog.conf" -i "$T/rsyslog/pid" -n 2>"$T/rsyslog/err" &
RPID=$!
track_pid $RPID
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $SPORT), 0.2)" \
		2>/dev/null && break
	sleep 0.05
done

# ---- HTTP listener (falcosidekick stand-in): one JSON body per line --------------------------
cat >"$T/falco_listener.py" <<'EOF'
import http.server, sys
out = open(sys.argv[2], "ab", buffering=0)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        out.write(self.path.encode() + b" " + body + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
HPORT=$(free_port)
python3 "$T/falco_listener.py" "$HPORT" "$T/http.out" &
HPID=$!
track_pid $HPID
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT), 0.2)" \
		2>/dev/null && break
	sleep 0.05
done

start_collector --forward "syslog+tcp://127.0.0.1:$SPORT" \
	--forward "http://127.0.0.1:$HPORT/falco" --stats "unix:$STATS" ||
	{ not_ok "collector starts"; exit 0; }
"$CLIENT" send "$SOCK" fwd0 50 >/dev/null
for _ in $(seq 100); do
	[ "$(wc -l <"$T/rsyslog/out.log" 2>/dev/null)" = 50 ] &&
		[ "$(wc -l <"$T/http.out" 2>/dev/null)" = 50 ] && break
	sleep 0.1
done

check "rsyslog received 50 messages" test "$(wc -l <"$T/rsyslog/out.log" 2>/dev/null)" = 50
check "rsyslog parsed each as RFC 5424: app ward, msgid kind, ward@32473 data, JSON message" \
	python3 - "$T/rsyslog/out.log" <<'EOF'
import json, sys
seqs = set()
for line in open(sys.argv[1]):
    pri, ts, host, app, procid, msgid, sd, msg = line.rstrip("\n").split("|", 7)
    e = json.loads(msg.strip())
    assert app == "ward" and host == "testhost", (app, host)
    assert msgid == e["kind"], (msgid, e["kind"])
    assert procid == str(e["pid"]), procid
    assert sd.startswith("[ward@32473 ") and f'sandbox="fwd0"' in sd and f'seq="{e["seq"]}"' in sd, sd
    assert ts.startswith(e["time"][:19]), (ts, e["time"])
    want_sev = 4 if e["violation"] else 6
    assert int(pri) == 10 * 8 + want_sev, pri
    seqs.add(e["seq"])
assert seqs == set(range(1, 51)), sorted(seqs)[:5]
EOF
check "the HTTP target got 50 Falco alerts with every required field" \
	python3 - "$T/http.out" <<'EOF'
import json, sys
seqs = set()
for line in open(sys.argv[1]):
    path, body = line.split(" ", 1)
    assert path == "/falco", path
    a = json.loads(body)
    for k in ("time", "rule", "priority", "source", "hostname", "output", "output_fields", "tags"):
        assert k in a, k
    assert a["source"] == "ward" and a["hostname"] == "testhost"
    assert a["priority"] in ("Warning", "Informational"), a["priority"]
    assert isinstance(a["tags"], list) and "ward" in a["tags"]
    f = a["output_fields"]
    assert f["ward.sandbox"] == "fwd0" and "proc.pid" in f and "ward.kind" in f
    seqs.add(f["ward.seq"])
assert seqs == set(range(1, 51))
EOF
check "forwarded counters say 50 each" test "$(metric "ward_collector_forwarded_total{target=\"http://127.0.0.1:$HPORT/falco\"}")" = 50

# ---- a target that is down, then up ------------------------------------------------------------
kill "$HPID"
wait "$HPID" 2>/dev/null
: >"$T/http.out"
"$CLIENT" send "$SOCK" down0 300 >/dev/null
sleep 0.5
check "while the target is down, its messages wait in the queue" \
	test "$(metric "ward_collector_forward_queue{target=\"http://127.0.0.1:$HPORT/falco\"}")" = 300
python3 "$T/falco_listener.py" "$HPORT" "$T/http.out" &
HPID=$!
track_pid $HPID
for _ in $(seq 150); do
	[ "$(wc -l <"$T/http.out")" -ge 300 ] && break
	sleep 0.1
done
check "when it is back, all 300 arrive" test "$(wc -l <"$T/http.out")" = 300

# beyond the queue bound (10,000 messages): delivered up to the bound, the rest counted
kill "$HPID"
wait "$HPID" 2>/dev/null
: >"$T/http.out"
"$CLIENT" send "$SOCK" over0 10500 >/dev/null
sleep 0.5
dropped=$(metric "ward_collector_forward_dropped_total{target=\"http://127.0.0.1:$HPORT/falco\"}")
check "10,500 events while down: 500 dropped and counted" test "$dropped" = 500
python3 "$T/falco_listener.py" "$HPORT" "$T/http.out" &
HPID=$!
track_pid $HPID
for _ in $(seq 300); do
	[ "$(wc -l <"$T/http.out")" -ge 10000 ] && break
	sleep 0.1
done
check "and the 10,000 queued arrive once it is back" test "$(wc -l <"$T/http.out")" = 10000
stop_collector
kill "$HPID" "$RPID" 2>/dev/null
