#!/bin/bash
# The pinned monitor set (`ward monitor --pin`): launches reuse it, the syscall hook is linked
# only while a sandbox runs and for 2 s after the last one (one lingering process a set, however
# many launches), a SIGKILLed last sandbox does not leave the hook attached, and the kernel
# agrees with what `ward monitor --status` says (the hook program's links, from bpftool).
# Fresh loads relocate against the minimal BTF cut at build time from this kernel, and against
# the whole vmlinux BTF where told to (as on any other kernel): both report.
# While pinned, an empty cgroup holds a link of each cgroup program (the kernel's cgroup-BPF
# static keys stay on, so launches patch no code); --unpin removes it.
# Pins this build's set for the test and unpins it after, unless it was pinned before.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
require_monitor_probe
P=$PROFILES/monitor-enforce.yaml

plan 20

TAG=$(sed -n 's/^#define WARD_BPF_TAG "\(.*\)"$/\1/p' "$BUILD/monitor.tag.h")
PIN=/sys/fs/bpf/ward/$TAG
LOCKS=/run/ward/monitor-slots/$TAG
KEYS=$("$WARD" features --json | jq -r '.cgroup.v2_mount // empty')/ward/.monitor-keys-$TAG
pinned_before=0
"$WARD" monitor --status | grep -q '^pinned' && pinned_before=1
"$WARD" monitor --pin
_pin_cleanup() {
	if [ "$pinned_before" = 1 ]; then "$WARD" monitor --pin; else "$WARD" monitor --unpin; fi
	_lib_cleanup
}
trap _pin_cleanup EXIT

# Links of the pinned sys_exit program that the kernel has (0 or 1).
hook_links() {
	local id
	id=$(bpftool prog show pinned "$PIN/prog_sys_exit" -j | jq .id) || return 1
	bpftool link show -j | jq "map(select(.prog_id == $id)) | length"
}
# Processes that hold linger.lock open (the lingerer), by their fd tables.
lingerers() {
	local p n=0
	for p in /proc/[0-9]*; do
		ls -l "$p/fd" 2>/dev/null | grep -q "$LOCKS/linger.lock" && n=$((n + 1))
	done
	echo $n
}
# wait_detached SECS: the hook is gone, in the pins and in the kernel.
wait_detached() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"$WARD" monitor --status | grep -q 'hook detached' && [ "$(hook_links)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

check "pinned: ward monitor --status says so" eval '"$WARD" monitor --status | grep -q "^pinned $PIN"'
CGPROG=$(bpftool prog show pinned "$PIN/ward_dev" -j | jq .id)
check "pinned: the keys cgroup holds the 7 cgroup programs" \
	eval '[ "$(bpftool cgroup show "$KEYS" -j | jq length)" = 7 ]'
# An earlier test may have left a lingerer: start from a detached hook.
wait_detached 6
check "nothing runs: the hook is detached (status and kernel)" \
	eval '"$WARD" monitor --status | grep -q "hook detached" && [ "$(hook_links)" = 0 ]'

mp "$P" -- openat /etc/shadow
check "a launch reuses the pinned set (bpf: pinned in the start event)" \
	event_count_is 1 'select(.event == "start" and .bpf == "pinned")'
check "the pinned programs report: the denied open is an event" \
	event_count_is 1 'select(.kind == "file" and .violation and .path == "/etc/shadow")'
check "right after the launch the hook lingers (status and kernel)" \
	eval '"$WARD" monitor --status | grep -q "hook attached" && [ "$(hook_links)" = 1 ]'

for i in 1 2 3 4 5; do
	mp "$P" -- openat /etc/passwd
done
check "five launches in a row: one lingering process, not one a launch" eval '[ "$(lingerers)" = 1 ]'
check "five launches in a row: one link of the hook program" eval '[ "$(hook_links)" = 1 ]'
check "2 s after the last launch the hook is detached (status and kernel)" wait_detached 5
check "the lingerer has gone" eval '[ "$(lingerers)" = 0 ]'

# A sandbox running blocks in open(2) on a FIFO until the test opens its other end.
mkdir -p "$T/fifo"
chmod 0777 "$T/fifo"
mkfifo -m 0666 "$T/fifo/f"
"$WARD" run -e "file:$T/long.jsonl" -p "$P" --bind "$PROBE_BIND" --bind "$T/fifo:/fifo:ro" -- \
	/probe-bin/mp openat /fifo/f >"$T/long.out" 2>&1 &
long=$!
track_pid "$long"
for ((i = 0; i < 100; i++)); do
	"$WARD" monitor --status | grep -q 'hook attached' && break
	sleep 0.05
done
check "while a sandbox runs the hook is attached (status and kernel)" \
	eval '"$WARD" monitor --status | grep -q "hook attached" && [ "$(hook_links)" = 1 ]'
# a short launch meanwhile, whose release must not detach under the running one
mp "$P" -- openat /etc/passwd
sleep 2.5
check "a launch that ended while another runs leaves the hook attached, 2.5 s later too" \
	eval '[ "$(hook_links)" = 1 ]'
check "the running sandbox is still there" kill -0 "$long"
# The supervisor is SIGKILLed: init dies with it (PR_SET_PDEATHSIG), nothing releases the hook.
kill -KILL "$long"
wait "$long" 2>/dev/null
check "a SIGKILLed last sandbox: the lingerer detaches the hook within 5 s" wait_detached 5
check "and goes" eval '[ "$(lingerers)" = 0 ]'
# A SIGKILLed ward leaves its (empty) cgroups to a later launch's sweep: remove them here.
long_id=$(jq -r 'select(.event == "start") | .sandbox' "$T/long.jsonl" | head -n 1)
for ((i = 0; i < 50; i++)); do
	left=$(leftover_cgroups "${long_id:-none}")
	[ -z "$left" ] && break
	echo "$left" | xargs -r rmdir 2>/dev/null
	sleep 0.1
done

# ---- fresh loads: the minimal BTF and the vmlinux BTF ----
check "ward features: CO-RE against the minimal BTF (this is the build host's kernel)" \
	eval '"$WARD" features --json | jq -e ".bpf.core_btf == \"minimal\"" >/dev/null'
WARD_BPF_NO_PINNED=1 mp "$P" -- openat /etc/shadow
MONS=$("$WARD" features --json | jq -r '.bpf.monitors | "file:\(.file),exec:\(.exec),net:\(.net),device:\(.device)"')
check "a fresh load with the minimal BTF reports the denied open (bpf: loaded, the mechanisms ward features names)" \
	eval 'event_count_is 1 "select(.event == \"start\" and .bpf == \"loaded\" and .monitors == \"$MONS\")" && event_count_is 1 "select(.kind == \"file\" and .violation and .path == \"/etc/shadow\" and .comm == \"mp\")"'
WARD_BPF_NO_PINNED=1 WARD_BPF_VMLINUX_BTF=1 mp "$P" -- openat /etc/shadow
check "a fresh load against the whole vmlinux BTF (LSM probe by name) reports it the same way" \
	eval 'event_count_is 1 "select(.event == \"start\" and .bpf == \"loaded\" and .monitors == \"$MONS\")" && event_count_is 1 "select(.kind == \"file\" and .violation and .path == \"/etc/shadow\" and .comm == \"mp\")"'

# ---- --unpin ----
"$WARD" monitor --unpin
check "--unpin: the set and the keys cgroup are gone" eval '[ ! -e "$PIN" ] && [ ! -e "$KEYS" ]'
check "--unpin: no link of the set's programs is left (bpftool)" \
	eval '! bpftool link show -j | jq -e "map(select(.prog_id == $CGPROG)) | length > 0" >/dev/null'
