#!/bin/bash
# ward learn on an inbound-only server (tests/integration/learn_server.py: listens on
# 127.0.0.1:PORT, answers one request): host network, one bind entry recognised as an
# inbound-only server, no connect entry; the replay serves again with zero violations.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
. "$(dirname "$0")/learn_common.inc"
plan 6

PORT=$((20000 + $$ % 20000))
# A client outside: one request to the learning run's server, one to the replay's.
(
	n=0
	for _ in $(seq 1 300); do
		curl -s -m 2 "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && n=$((n + 1))
		[ $n -ge 2 ] && break
		sleep 0.1
	done
) &
_pids_to_kill+=($!)

learn -o "$T/srv.yaml" --net host "${binds[@]}" -- $PY "$EX/learn_server.py" "$PORT"
check "learn on the server: exit 0, served, verified by replay" \
	bash -c "[ $WARD_RC = 0 ] && grep -q 'served GET /ping' '$WARD_OUT' && grep -q 'verify: .* 0 violations: OK' '$WARD_ERR'"
check "network.mode host and one bind entry, marked inbound-only" \
	bash -c "grep -qx '  mode: host' '$T/srv.yaml' &&
		grep -qE '^    - \{bind: 127\.0\.0\.1:$PORT\} +# inbound-only server' '$T/srv.yaml'"
check "no connect or send entry" bash -c "! grep -qE '\{(connect|send):' '$T/srv.yaml'"
check "the learned profile loads, with the bind rule in the effective profile" \
	bash -c "'$WARD' check '$T/srv.yaml' | grep -qF '{bind: \"127.0.0.1:$PORT\"}'"
check "no broader than python-cpu (readonly paths, syscalls)" no_broader "$T/srv.yaml"
# under the learned profile the server may not connect out
run_ward run -p "$T/srv.yaml" "${binds[@]}" -- $PY -c \
	"import socket; s = socket.socket(); s.settimeout(2)
try: s.connect(('127.0.0.1', $PORT)); print('connected')
except OSError as e: print('refused', e.errno)"
check "the learned server profile refuses an outbound connect (EPERM or EACCES)" grep -qxE 'refused (1|13)' "$WARD_OUT"
