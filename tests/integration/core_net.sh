#!/bin/bash
# Network namespace modes: none (no usable interface), loopback (lo up), --net override.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 8

run_probe "$PROFILES/probe.yaml" -- ifaces
check "net none: only lo exists" bash -c "[ \"\$(grep -c '^IFACE' '$WARD_OUT')\" = 1 ] && grep -q '^IFACE name=lo ' '$WARD_OUT'"
check "net none: lo is down" result_is up 0

run_probe "$PROFILES/probe.yaml" -- connect 127.0.0.1 9
# ENETUNREACH: the namespace has no usable route; EPERM: the network monitor refused it first.
if result_is errno ENETUNREACH || result_is errno EPERM; then
	ok "net none: connecting to 127.0.0.1 fails ($(result_field errno))"
else
	not_ok "net none: connecting to 127.0.0.1 fails"
	diag_ward
fi

run_probe "$PROFILES/net-loopback.yaml" -- ifaces
check "net loopback: lo is up" grep -q '^IFACE name=lo .*flags=UP' "$WARD_OUT"
check "net loopback: no other interface" result_is count 1

run_probe "$PROFILES/net-loopback.yaml" -- connect 127.0.0.1 9
check "net loopback: 127.0.0.1 is reachable (ECONNREFUSED from the sandbox's own lo)" \
	result_is errno ECONNREFUSED

run_probe "$PROFILES/probe.yaml" --net loopback -- ifaces
check "--net loopback overrides the profile's none" grep -q '^IFACE name=lo .*flags=UP' "$WARD_OUT"

# The sandbox's lo is its own: a listener on the host's 127.0.0.1 is not reachable from it.
port=47329
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); print("listening", flush=True)
time.sleep(30)' "$port" >"$T/listener.out" 2>&1 &
lpid=$!
track_pid "$lpid"
if wait_for_line "$T/listener.out" listening 10; then
	run_probe "$PROFILES/net-loopback.yaml" -- connect 127.0.0.1 "$port"
	check "net loopback: the host's 127.0.0.1 listener is not reachable (ECONNREFUSED)" \
		result_is errno ECONNREFUSED
else
	not_ok "net loopback: the host's 127.0.0.1 listener is not reachable (listener did not start)"
fi
kill "$lpid" 2>/dev/null
