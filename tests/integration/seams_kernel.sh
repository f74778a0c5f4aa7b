#!/bin/bash
# Issue 8, the kernel side: every attempt blocked is an event, whichever layer refused it.
# exec.allow enforced by inode (the ELF loader run directly is killed before its first
# instruction), refused namespace creation, memfd exec, Landlock/mount refusals with their
# layer, path probes (stat, access, readlink, statx, getxattr, chdir), symlinks, ward's init's
# /proc/1, no false positives for files the host lacks too, abstract unix names in audit mode.
# Loopback addresses only.
. "$(dirname "$0")/lib.sh"
require_root
require_ward

P=$PROFILES/monitor-enforce.yaml
require_monitor_probe

plan 31

ev() { event_count_is "$@"; }
LDSO=$(readlink -f /lib64/ld-linux-x86-64.so.2)

# ---- item 1: exec.allow through the ELF loader ----
run_ward run -p python-cpu -- /usr/bin/python3 -c \
	'import os; os.execv("/lib64/ld-linux-x86-64.so.2", ["ld.so", "/usr/bin/id"])'
check "ld.so /usr/bin/id: id does not run (no uid= output), killed (137)" \
	eval '! grep -q "uid=" "$WARD_OUT" && [ "$WARD_RC" = 137 ]'
check "ld.so /usr/bin/id: an exec event with action kill naming exec.allow" \
	ev 1 'select(.kind == "exec" and .violation and .action == "kill" and .path == "/lib64/ld-linux-x86-64.so.2" and (.rule | test("exec.allow")))'
run_ward run -p python-cpu -m audit -- /usr/bin/python3 -c \
	'import os; os.execv("/lib64/ld-linux-x86-64.so.2", ["ld.so", "/usr/bin/id"])'
check "audit mode: nothing is killed (id runs), the event says audit" \
	eval 'grep -q "uid=" "$WARD_OUT" && ev 1 "select(.kind == \"exec\" and .violation and .action == \"audit\")"'
printf '#!/usr/bin/sh\necho SCRIPT-RAN\n' >"$PROBE_DIR/run.sh"
chmod 755 "$PROBE_DIR/run.sh"
sed -e 's|exec: {allow: \["/probe-bin/\*"\]}|exec: {allow: ["/probe-bin/mp", "/probe-bin/run.sh"]}|' \
	-e 's|readonly: \[/etc\]|readonly: [/etc, /usr, /lib, /lib64]|' "$P" >"$T/script.yaml"
mp "$T/script.yaml" -- exec /probe-bin/run.sh
check "an allowed #! script still runs (its interpreter /usr/bin/sh is INTERP only)" \
	eval 'grep -q SCRIPT-RAN "$WARD_OUT" && ev 0 "select(.kind == \"exec\" and .violation)"'
mp "$T/script.yaml" -- exec /usr/bin/sh -c 'echo SHELL-RAN'
check "the same interpreter run directly (Landlock lets it: interpreter): killed, no output" \
	eval '! grep -q SHELL-RAN "$WARD_OUT" && ev 1 "select(.kind == \"exec\" and .violation and .action == \"kill\" and .path == \"/usr/bin/sh\")"'
mp "$P" -- openat /etc/passwd
check "the command ward was asked to run stays allowed" eval 'result_is errno 0 && [ "$WARD_RC" = 0 ]'

# ---- item 3: fileless exec ----
mp "$P" -- memfd-exec /probe-bin/mp
check "exec of a memfd: does not run (killed or refused)" eval '! grep -q "RESULT op=usage" "$WARD_OUT" && [ "$WARD_RC" != 0 ]'
check "exec of a memfd: an exec violation (kill, or deny with a layer)" \
	ev 1 'select(.kind == "exec" and .violation and (.action == "kill" or (.action == "deny" and .layer != null)))'

# ---- item 2: namespaces through any syscall ----
mp "$P" -- clone3-ns
check "clone3(CLONE_NEWUSER): refused" result_is_not errno 0
check "clone3(CLONE_NEWUSER): a syscall violation naming the user namespace" \
	ev 1 'select(.kind == "syscall" and .violation and .syscall == "clone3" and (.namespaces | index("user")))'
mp "$P" -- unshare-net
check "unshare(CLONE_NEWNET): a syscall violation naming net" \
	eval 'result_is_not errno 0 && ev 1 "select(.kind == \"syscall\" and .syscall == \"unshare\" and (.namespaces == [\"net\"]))"'

# ---- item 6: refusals of Landlock and the mounts ----
sed -e 's/mode: loopback/mode: host/' "$P" >"$T/host.yaml"
mp "$T/host.yaml" -- connect 127.0.0.1 10
check "host network: a port not in network.allow is refused" result_is_not errno 0
check "host network: and reported (Landlock no longer refuses it unseen)" \
	ev 1 'select(.kind == "net" and .violation and .port == 10 and .op == "connect")'
mp "$P" -- reopen-write /etc/passwd
check "write through a reopened /proc/self/fd/N of a read-only file: refused" result_is_not errno 0
check "and a file violation naming the layer" \
	ev 1 'select(.kind == "file" and .violation and (.path | test("^/proc/self/fd/")) and .layer != null)'
mkdir -p "$T/devs" && mknod "$T/devs/null" c 1 3 && chmod 666 "$T/devs/null"
sed 's|devices: \[/dev/null\]|devices: [/dev/null]\n  readwrite: ['"$T"'/devs]|' "$P" >"$T/nodev.yaml"
mp "$T/nodev.yaml" -- dev "$T/devs/null"
check "a device node on a nodev bind: refused, a file violation with layer" \
	eval 'result_is_not errno 0 && ev 1 "select(.kind == \"file\" and .violation and .path == \"$T/devs/null\" and .layer != null)"'

# ---- item 7: probes are events ----
for op in stat statx access faccessat2 readlink getxattr chdir; do
	mp "$P" -- "$op" /root/.ssh
	sc=$op
	[ "$op" = stat ] && sc=stat
	check "$op on a denied path: a file event with its op" \
		ev 1 "select(.kind == \"file\" and .violation and .path == \"/root/.ssh\")"
done
mp "$P" -- readlink /proc/1/root
check "readlink /proc/1/root (ward's init): a violation" \
	ev 1 'select(.kind == "file" and .violation and .path == "/proc/1/root" and .op == "readlink")'

# ---- item 8: symlinks ----
mp "$P" -- symlink /etc/shadow /tmp/l
check "a symlink to a denied path: a violation" \
	ev 1 'select(.kind == "file" and .violation and .op == "symlink" and .target == "/etc/shadow")'
mp "$P" -- symlink /tmp/x /tmp/l2
check "a symlink inside the view: no event" ev 0 'select(.kind == "file")'

# ---- item 11: no false positives for what the host lacks too ----
mp "$P" -- openat /opt/ward-no-such-file-$$
check "outside the view, absent on the host too: no violation" ev 0 'select(.kind == "file" and .violation)'
mp "$P" -- openat /var/lib/dpkg/status
check "outside the view, present on the host: a violation" ev 1 'select(.kind == "file" and .violation and .path == "/var/lib/dpkg/status")'
mp "$P" -- openat /root/ward-no-such-$$
check "under filesystem.deny, absent on the host: still a violation" ev 1 'select(.kind == "file" and .violation)'

# ---- item 14: abstract unix sockets in audit mode ----
ABS=ward-seams-abs-$$
python3 - "$ABS" "$T/abs.ready" <<'PY' &
import socket, sys, time
a = socket.socket(socket.AF_UNIX); a.bind("\0" + sys.argv[1]); a.listen(8)
open(sys.argv[2], "w").close()
time.sleep(60)
PY
track_pid $!
for ((i = 0; i < 100; i++)); do [ -e "$T/abs.ready" ] && break; sleep 0.05; done
mp "$P" -m audit -- unix-connect "@$ABS"
check "audit mode: a connect to the host's abstract socket is judged (audit violation)" \
	ev 1 "select(.kind == \"net\" and .family == \"unix\" and .violation and .action == \"audit\" and .addr == \"@$ABS\")"
mp "$P" -m audit -- abstract-self ward-seams-own-$$
check "audit mode: a name the sandbox bound itself: no violation" ev 0 'select(.kind == "net" and .violation)'
