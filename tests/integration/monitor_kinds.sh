#!/bin/bash
# eBPF monitors end to end: file, exec, net and device events from real BPF programs, in
# enforce and audit mode; two sandboxes at once; loss accounting with a tiny ring buffer.
# Loopback addresses only. Fake GPUs are mknod'ed nodes in a temp dir (WARD_DEV_ROOT):
# an allowed one opens to ENXIO (reached the kernel, no driver), a refused one fails EPERM at
# the cgroup device filter.
. "$(dirname "$0")/lib.sh"
require_root
require_ward

P=$PROFILES/monitor-enforce.yaml
PA=$PROFILES/monitor-allowed.yaml
require_monitor_probe

plan 52


file_viol() { # file_viol PATH SYSCALL: exactly one file violation with this path and syscall
	event_count_is 1 "select(.kind == \"file\" and .violation and .path == \"$1\" and .syscall == \"$2\")" &&
		event_count_is 1 'select(.kind == "file" and .violation)'
}

# ---- files ----
mp "$P" -- openat /etc/shadow
check "absolute denied path: blocked, one file violation" \
	eval 'result_is_not errno 0 && file_viol /etc/shadow openat'
mp "$P" -- dirfd /etc shadow
check "relative through a dirfd: reported as /etc/shadow" file_viol /etc/shadow openat
mp "$P" -- cwd /etc shadow
check "relative to the cwd: reported as /etc/shadow" file_viol /etc/shadow openat
mp "$P" -- openat2 /etc/../etc/shadow
check "openat2 with ..: reported normalized" file_viol /etc/shadow openat2
mp "$P" -- open /etc/shadow
check "legacy open(2): reported" file_viol /etc/shadow open
mp "$P" -- write /etc/passwd
check "write to a read-only path: a violation naming the rule" \
	event_count_is 1 'select(.kind == "file" and .violation and .write and .path == "/etc/passwd" and (.rule | test("readonly")))'
mp "$P" -- openat /etc/passwd
check "allowed read: no event" event_count_is 0 'select(.kind == "file")'
mp "$PA" -- openat /etc/passwd
check "events.allowed: the allowed read is an event" \
	event_count_is 1 'select(.kind == "file" and (.violation | not) and .path == "/etc/passwd" and .action == "allow")'
# The kernel caches a path's class per CPU (bpf/pathcache.bpf.h): paths that share a cache slot
# (same length, same last word) or a cached path opened with another intent keep their verdicts.
mp "$P" -- seq 40 /tmp/ab/passwd:w /etc/ab/passwd:w
check "path cache: a path sharing a slot with an allowed one still reports each write" \
	eval 'event_count_is 40 "select(.kind == \"file\" and .violation and .path == \"/etc/ab/passwd\")" &&
		event_count_is 0 "select(.kind == \"file\" and .path == \"/tmp/ab/passwd\")"'
mp "$P" -- seq 40 /etc/passwd:r /etc/passwd:w
check "path cache: a cached read-only path reports every write, no read" \
	eval 'event_count_is 40 "select(.kind == \"file\" and .violation and .write and .path == \"/etc/passwd\")" &&
		event_count_is 40 "select(.kind == \"file\")"'

# ---- exec ----
mp "$P" -- exec /bin/sh -c true
check "exec of /bin/sh: fails" result_is_not errno 0
check "exec of /bin/sh: one exec violation with argv" \
	event_count_is 1 'select(.kind == "exec" and .violation and .path == "/bin/sh" and .argv[1] == "-c" and .action == "deny")'

# ---- network (loopback mode: the sandbox's own lo) ----
mp "$P" -- connect 127.0.0.1 10
check "connect to a port not allowed: EPERM" result_is errno EPERM
check "connect: net violation with addr and port" \
	event_count_is 1 'select(.kind == "net" and .violation and .op == "connect" and .addr == "127.0.0.1" and .port == 10 and .proto == "tcp" and .action == "deny")'
mp "$P" -- connect 127.0.0.1 7
check "allowed connect reaches the stack (ECONNREFUSED), no event" \
	eval 'result_is errno ECONNREFUSED && event_count_is 0 "select(.kind == \"net\")"'
mp "$P" -- udp-send 127.0.0.1 53
check "UDP send not allowed: EPERM and a send event" \
	eval 'result_is errno EPERM && event_count_is 1 "select(.kind == \"net\" and .op == \"send\" and .proto == \"udp\" and .port == 53)"'
mp "$P" -- udp-send 127.0.0.1 9
check "UDP send allowed by CIDR rule" result_is errno 0
mp "$P" -- bind 127.0.0.1 9000
check "bind outside the port range: EPERM and a bind event" \
	eval 'result_is errno EPERM && event_count_is 1 "select(.kind == \"net\" and .op == \"bind\" and .port == 9000)"'
mp "$P" -- bind 127.0.0.1 8050
check "bind inside the port range: allowed" result_is errno 0
mp "$P" -- connect ::1 10
check "IPv6 loopback not allowed: EPERM, inet6 event" \
	eval 'result_is errno EPERM && event_count_is 1 "select(.kind == \"net\" and .family == \"inet6\" and .addr == \"::1\" and .port == 10)"'
mp "$P" -- connect ::1 7
check "IPv6 loopback allowed: ECONNREFUSED" result_is errno ECONNREFUSED

# ---- unix sockets: a path outside the view, an abstract name outside the sandbox ----
ABS=ward-test-abs-$$
python3 - "$T/host.sock" "$ABS" <<'PY' &
import socket, sys, time
a = socket.socket(socket.AF_UNIX); a.bind("\0" + sys.argv[2]); a.listen()
p = socket.socket(socket.AF_UNIX); p.bind(sys.argv[1]); p.listen()
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind(sys.argv[1] + ".dgram")
open(sys.argv[1] + ".ready", "w").close()
time.sleep(60)
PY
track_pid $!
for ((i = 0; i < 100; i++)); do [ -e "$T/host.sock.ready" ] && break; sleep 0.05; done
mp "$P" -- unix-connect "$T/host.sock"
check "connect to a host unix socket outside the view: fails, one unix net violation with its path" \
	eval 'result_is errno ENOENT && event_count_is 1 "select(.kind == \"net\" and .family == \"unix\" and .violation and .addr == \"$T/host.sock\" and .op == \"connect\")"'
mp "$P" -- unix-send "$T/host.sock.dgram"
check "sendto a host unix datagram socket outside the view: reported with op send" \
	event_count_is 1 "select(.kind == \"net\" and .family == \"unix\" and .op == \"send\" and .addr == \"$T/host.sock.dgram\")"
mp "$P" -- unix-connect /run/ward-test-no-such.sock
check "a unix path outside the view that is no socket on the host either (like glibc's nscd probe): no event" \
	event_count_is 0 'select(.kind == "net")'
mp "$P" -- unix-connect /tmp/own.sock
check "a unix socket path inside the view (the sandbox's own /tmp): no event" \
	event_count_is 0 'select(.kind == "net")'
mp "$P" -- unix-connect "@$ABS"
check "loopback network: the host's abstract socket is not in the sandbox's namespace (ECONNREFUSED)" \
	result_is errno ECONNREFUSED
check "and reported as an attempt on an abstract socket of the host" \
	event_count_is 1 "select(.kind == \"net\" and .family == \"unix\" and .abstract and .violation and .addr == \"@$ABS\" and (.rule | test(\"of the host\")))"
mp "$P" -- unix-connect "@ward-test-no-such-$$"
check "an abstract name neither the sandbox nor the host has: no event" event_count_is 0 'select(.kind == "net")'
mp "$P" --net host -- unix-connect "@$ABS"
check "host network: an abstract socket outside the sandbox is refused by Landlock scoping (EPERM)" result_is errno EPERM
check "and reported as a unix net violation naming @$ABS" \
	event_count_is 1 "select(.kind == \"net\" and .family == \"unix\" and .abstract and .violation and .addr == \"@$ABS\")"

# ---- devices (fake GPUs) ----
G=$T/gpu-good G2=$T/gpu-wrong
mkdir -p "$G" "$G2"
mknod "$G/nvidia0" c 195 0 && mknod "$G/nvidiactl" c 195 255 && mknod "$G2/nvidia0" c 195 1
chmod 0666 "$G"/* "$G2"/*
WARD_DEV_ROOT=$G mp "$P" --gpu 0 -- dev /dev/nvidia0
check "allowed fake GPU opens to ENXIO, no violation, counted in the exit event" \
	eval 'result_is errno ENXIO && event_count_is 0 "select(.violation)" && event_count_is 1 "select(.event == \"exit\" and .gpu[0].device == \"nvidia0\" and .gpu[0].opens >= 1)"'
WARD_DEV_ROOT=$G2 mp "$P" --gpu 0 -- dev /dev/nvidia0
check "another GPU (195:1 behind the name nvidia0): EPERM at the device filter" result_is errno EPERM
check "device violation names vendor nvidia and minor 1" \
	event_count_is 1 'select(.kind == "device" and .violation and .vendor == "nvidia" and .class == "gpu" and .minor == 1 and .major == 195 and .action == "deny")'

# A memory device (1:1, /dev/mem) behind an allowed name: refused by the device filter, class memory.
G3=$T/gpu-mem
mkdir -p "$G3"
mknod "$G3/nvidia0" c 1 1 && chmod 0666 "$G3/nvidia0"
WARD_DEV_ROOT=$G3 mp "$P" --gpu 0 -- dev /dev/nvidia0
check "a memory device (1:1) is refused: EPERM" result_is errno EPERM
check "device violation with class memory, 1:1" \
	event_count_is 1 'select(.kind == "device" and .violation and .class == "memory" and .major == 1 and .minor == 1 and .action == "deny")'

mp "$P" -- fork-exec-missing
check "exec of a missing program right after fork (name not yet paged in): one exec violation naming it" \
	eval 'result_is errno ENOENT && event_count_is 1 "select(.kind == \"exec\" and .violation and .path == \"/no/such/program\" and .errno == \"ENOENT\")"'

# ---- audit mode: let through, report as audit ----
run_ward run -p "$P" -m audit --bind "$PROBE_DIR" -- "$MP" connect 127.0.0.1 10
check "audit: connect not allowed is let through (ECONNREFUSED) and reported as audit" \
	eval 'result_is errno ECONNREFUSED && event_count_is 1 "select(.kind == \"net\" and .action == \"audit\" and .port == 10)"'
run_ward run -p "$P" -m audit --bind "$PROBE_DIR" -- "$MP" openat /etc/shadow
check "audit: denied path reported with action audit" \
	event_count_is 1 'select(.kind == "file" and .action == "audit" and .path == "/etc/shadow")'

run_ward run -p "$P" -m audit --bind "$PROBE_BIND" -- /probe-bin/mp exec /bin/sh -c true
check "audit: exec of /bin/sh runs (sh -c true exits 0)" test "$WARD_RC" = 0
check "audit: the exec is reported with action audit" \
	event_count_is 1 'select(.kind == "exec" and .violation and .path == "/bin/sh" and .action == "audit")'
# (the audit view shows the host's /dev, where /dev/full, 1:7, is not among the profile's devices)
run_ward run -p "$P" -m audit --bind "$PROBE_BIND" -- /probe-bin/mp dev /dev/full
check "audit: a device not allowed is let through (opens)" result_is errno 0
check "audit: reported as a device violation with action audit" \
	event_count_is 1 'select(.kind == "device" and .violation and .major == 1 and .minor == 7 and .class == "memory" and .action == "audit")'

# ---- monitors that cannot load: fail closed ----
# A ring no kernel can allocate makes the load fail (the set is loaded while init builds the view).
WARD_RINGBUF_BYTES=0x40000000000 run_ward run -p "$P" --bind "$PROBE_BIND" -- /probe-bin/mp openat /etc/passwd
check "monitors that cannot load: exit 125 naming them" \
	eval 'test "$WARD_RC" = 125 && grep -q "loading the BPF monitors" "$WARD_ERR"'
check "monitors that cannot load: the workload never ran" eval '! grep -q RESULT "$WARD_OUT"'
WARD_RINGBUF_BYTES=0x40000000000 run_ward run --allow-degraded -p "$P" --bind "$PROBE_BIND" -- /probe-bin/mp openat /etc/passwd
check "--allow-degraded: runs, the start event lists the monitors as missing" \
	eval 'result_is errno 0 && event_count_is 1 "select(.event == \"start\" and (.layers.missing | index(\"monitors\")))"'

# Where only the syscall programs fail (file and exec monitors), the cgroup ones still load:
# refused unless --allow-degraded, and then the start event says what runs.
WARD_BPF_NO_SYSCALL_PROGS=1 run_ward run -p "$P" --bind "$PROBE_BIND" -- /probe-bin/mp connect 127.0.0.1 10
check "file/exec monitors missing: exit 125 naming them" \
	eval 'test "$WARD_RC" = 125 && grep -q "bpf-monitors(file/exec)" "$WARD_ERR" && ! grep -q RESULT "$WARD_OUT"'
WARD_BPF_NO_SYSCALL_PROGS=1 run_ward run --allow-degraded -p "$P" --bind "$PROBE_BIND" -- /probe-bin/mp connect 127.0.0.1 10
check "--allow-degraded: the start event lists bpf-monitors(file/exec) as missing, net and device as running" \
	event_count_is 1 'select(.event == "start" and (.layers.missing | index("bpf-monitors(file/exec)")) and .monitors == "net:cgroup/sock_addr,device:cgroup/dev")'
check "--allow-degraded: the network filter still blocks (EPERM) and reports" \
	eval 'result_is errno EPERM && event_count_is 1 "select(.kind == \"net\" and .violation and .port == 10)"'
run_ward run -p "$P" --bind "$PROBE_BIND" -- /probe-bin/mp openat /etc/passwd
check "normally the start event names every monitor and its mechanism" \
	event_count_is 1 'select(.event == "start" and .monitors == "file:tp_btf,exec:tp_btf,net:cgroup/sock_addr,device:cgroup/dev" and (.bpf == "loaded" or .bpf == "pinned"))'

# ---- two sandboxes at once never see each other's events ----
EA=$T/a.jsonl EB=$T/b.jsonl
"$WARD" run -p "$P" -e "file:$EA" --bind "$PROBE_BIND" -- /probe-bin/mp burst /etc/shadow 200 >/dev/null 2>&1 &
pa=$!
"$WARD" run -p "$P" -e "file:$EB" --bind "$PROBE_BIND" -- /probe-bin/mp burst /root/secret 200 >/dev/null 2>&1 &
pb=$!
_pids_to_kill+=("$pa" "$pb")
wait "$pa" "$pb"
n_in() { # n_in N FILTER FILE
	[ "$(count_events "$2" "$3")" = "$1" ] || { diag "expected $1 of $2 in $3"; return 1; }
}
check "two sandboxes: each sees only its own 200 violations" \
	eval 'n_in 200 "select(.kind == \"file\" and .path == \"/etc/shadow\")" $EA &&
		n_in 0 "select(.kind == \"file\" and .path != \"/etc/shadow\")" $EA &&
		n_in 200 "select(.kind == \"file\" and .path == \"/root/secret\")" $EB &&
		n_in 0 "select(.kind == \"file\" and .path != \"/root/secret\")" $EB'

# ---- loss accounting: a one-page ring overflows ----
WARD_RINGBUF_BYTES=4096 mp "$P" -- burst /etc/shadow 20000
lost_events=$(jq -s '[.[] | select(.kind == "loss") | .lost] | add // 0' "$WARD_EVENTS")
exit_json=$(jq -c 'select(.event == "exit") | .monitor_events' "$WARD_EVENTS")
produced=$(jq -r '.produced' <<<"$exit_json")
delivered=$(jq -r '.delivered' <<<"$exit_json")
lost=$(jq -r '.lost' <<<"$exit_json")
diag "loss: produced=$produced delivered=$delivered lost=$lost loss-events=$lost_events"
check "tiny ring: records are lost and loss events add up to the exit total" \
	test "$lost" -gt 0 -a "$lost_events" = "$lost"
check "produced = delivered + lost" test "$produced" = "$((delivered + lost))"
