#!/bin/bash
# The filesystem view: denied paths are invisible even inside a bound tree, read-only binds
# refuse writes, only listed device nodes exist, /proc/sys is read-only, rw binds work.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 23
P=$PROFILES/probe.yaml

run_probe "$P" -- open /etc/passwd r
check "a file in a read-only bind is readable (control)" result_is errno 0

run_probe "$P" -- open /etc/shadow r
check "/etc/shadow (denied inside the bound /etc) cannot be opened" result_is_not errno 0

# A denied path inside a bound tree is either absent or masked by an empty, mode-000 node:
# a bind mount cannot remove a name from the directory, but nothing of the original (content,
# size, owner, mode) may show through.
masked_or_absent() {
	result_is errno ENOENT && return 0
	result_is errno 0 && result_is size 0 && [ "$(($(printf '%d' "0$(result_field mode)") & 07777))" = 0 ]
}
run_probe "$P" -- stat /etc/shadow
check "/etc/shadow shows nothing of the original (absent or an empty mode-000 mask)" masked_or_absent

run_probe "$P" -- stat /etc/gshadow
check "/etc/gshadow likewise" masked_or_absent

run_probe "$P" -- ls /etc/ssh
check "a denied directory inside a bound tree (/etc/ssh) is not readable" result_is_not errno 0

run_probe "$P" -- open /usr/share/zoneinfo/Europe/Paris r
check "a file under a denied directory cannot be opened" result_is_not errno 0

run_probe "$P" -- open /usr/share/zoneinfo/UTC r
check "a sibling of a denied directory stays readable (control)" result_is errno 0

run_probe "$P" -- stat /root
check "/root (denied) does not exist in the sandbox" result_is errno ENOENT

run_probe "$P" -- stat /home
check "/home (denied) does not exist in the sandbox" result_is errno ENOENT

run_probe "$P" -- stat /var
check "host paths not in the profile (/var) do not exist" result_is errno ENOENT

run_probe "$P" -- write /etc/passwd
if result_is errno EROFS || result_is errno EACCES; then ok "a read-only bind refuses writes ($(result_field errno))"; else
	not_ok "a read-only bind refuses writes"
	diag_ward
fi

run_probe "$P" -- write /probe-bin/probe
if result_is errno EROFS || result_is errno EACCES || result_is errno ETXTBSY; then
	ok "a --bind :ro refuses writes ($(result_field errno))"
else
	not_ok "a --bind :ro refuses writes"
	diag_ward
fi

run_probe "$P" -- write /etc/new-file
if result_is errno EROFS || result_is errno EACCES; then ok "no file can be created in a read-only bind"; else
	not_ok "no file can be created in a read-only bind"
	diag_ward
fi

run_probe "$P" -- write /tmp/scratch
check "the profile's tmpfs (/tmp) is writable" result_is errno 0

rw=$(make_rw_dir rw)
run_probe "$P" --bind "$rw:/data:rw" -- write /data/out
if result_is errno 0 && [ -s "$rw/out" ]; then ok "a --bind :rw is writable and the write reaches the host"; else
	not_ok "a --bind :rw is writable and the write reaches the host"
	diag_ward
fi

run_probe "$P" -- write /proc/sys/kernel/hostname
if result_is errno EROFS || result_is errno EACCES || result_is errno EPERM; then ok "/proc/sys is read-only ($(result_field errno))"; else
	not_ok "/proc/sys is read-only"
	diag_ward
fi

run_probe "$P" -- ls /dev
check "/dev holds the listed nodes (null)" grep -q '^ENTRY null$' "$WARD_OUT"
check "/dev holds no unlisted host device (kmsg, mem, sda, vda)" \
	bash -c "! grep -qE '^ENTRY (kmsg|mem|kmem|port|sda|vda|nvme0n1|tty0)$' '$WARD_OUT'"

run_probe "$P" -- open /dev/null rw
check "a listed device node is usable" result_is errno 0

# --bind destinations the profile also mounts: never silently ignored. Either the bind is in
# place, or ward refuses to start (125) naming it.
# (exec.allow names /probe-bin/* only, so the copy under /tmp/pb is looked at, not run)
run_probe "$P" --bind "$PROBE_DIR:/tmp/pb:ro" -- stat /tmp/pb/probe
check "--bind into the profile's tmpfs (/tmp/pb) is in place" result_is errno 0
run_ward run -p "$P" --bind "$PROBE_DIR:/tmp/pb:ro" -- /tmp/pb/probe pid
check "a program outside exec.allow is refused even when bound (126)" rc_is 126
run_ward run -p "$P" --bind "$PROBE_DIR:/usr/share/zoneinfo/ward-pb:ro" -- /usr/share/zoneinfo/ward-pb/probe pid
if result_is errno 0 || rc_is 125; then ok "--bind inside a read-only profile tree is applied or refused, never ignored (exit $WARD_RC)"; else
	not_ok "--bind inside a read-only profile tree is applied or refused, never ignored (exit $WARD_RC)"
	diag_ward
fi

run_probe "$P" -- open /proc/1/environ r
check "PID 1's environment is not readable by the workload" result_is_not errno 0
