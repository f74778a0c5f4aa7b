#!/bin/bash
# The filesystem view: denied paths are invisible even inside a bound tree, read-only binds
# refuse writes, only listed device nodes exist, /proc/sys is read-only, rw binds work.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 34
P=$PROFILES/probe.yaml

run_probe "$P" -- open /etc/passwd r
check "a file in a read-only bind is readable (control)" result_is errno 0

run_probe "$P" -- open /etc/shadow r
check "/etc/shadow (denied inside the bound /etc) cannot be opened" result_is_not errno 0

# A denied path inside a bound tree is absent: a read-only overlay with a whiteout per name on
# its parent directory, so neither a lookup nor readdir finds it.
run_probe "$P" -- stat /etc/shadow
check "/etc/shadow (denied inside the bound /etc) does not exist (ENOENT)" result_is errno ENOENT

run_probe "$P" -- stat /etc/gshadow
check "/etc/gshadow likewise" result_is errno ENOENT

run_probe "$P" -- ls /etc/ssh
check "a denied directory inside a bound tree (/etc/ssh) does not exist" result_is errno ENOENT

run_probe "$P" -- ls /etc
check "listing /etc shows passwd but none of shadow, gshadow, ssh" \
	eval 'grep -qx "ENTRY passwd" "$WARD_OUT" && ! grep -qxE "ENTRY (shadow|gshadow|ssh)" "$WARD_OUT"'
n_in=$(result_field count)
n_host=$(find /etc -mindepth 1 -maxdepth 1 | wc -l)
n_denied=$(for d in shadow gshadow ssh; do [ -e "/etc/$d" ] && echo; done | wc -l)
check "/etc lists every other host entry ($n_in = $n_host - $n_denied)" test "$n_in" = "$((n_host - n_denied))"

# Where the parent has a mount below it (here a --bind inside the bound zoneinfo tree), an
# overlay would hide that mount: the denied name is masked instead by an empty, inaccessible
# node, so nothing of the original (content, size, owner, mode) shows through.
masked_or_absent() {
	result_is errno ENOENT && return 0
	result_is errno 0 && [ "$(($(printf '%d' "0$(result_field mode)") & 07777))" = 0 ]
}
# A tree of our own with a secret beside a directory another filesystem is mounted on (the
# mount is ours, removed at exit); the same tree without the mount for the control.
mk_tree() { # mk_tree DIR
	mkdir -p "$1/mnt" && echo secret >"$1/secret" && echo public >"$1/public" && chmod -R a+rX "$1"
}
mk_tree "$T/tree-sub" && mk_tree "$T/tree-flat"
mount -t tmpfs -o size=1m,mode=0755 ward-test "$T/tree-sub/mnt" && _mounts_to_umount+=("$T/tree-sub/mnt")
echo mounted >"$T/tree-sub/mnt/inside"
for t in sub flat; do
	sed -e "s|readonly: \[/etc, /usr/share/zoneinfo\]|readonly: [/etc, $T/tree-$t]|" \
		-e "s|deny: \[/etc/shadow|deny: [$T/tree-$t/secret, /etc/shadow|" "$P" >"$T/tree-$t.yaml"
done
run_probe "$T/tree-sub.yaml" -- stat "$T/tree-sub/secret"
check "with a mount below the parent: the denied file is masked (mode 000) or absent" masked_or_absent
run_probe "$T/tree-sub.yaml" -- open "$T/tree-sub/secret" r
check "with a mount below the parent: the denied file cannot be read" result_is_not errno 0
run_probe "$T/tree-sub.yaml" -- open "$T/tree-sub/mnt/inside" r
check "with a mount below the parent: the submount still shows (not hidden by an overlay)" result_is errno 0
run_probe "$T/tree-flat.yaml" -- stat "$T/tree-flat/secret"
check "without one: the denied file is absent (ENOENT)" result_is errno ENOENT

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
# (since issue 8, item 12, the read-only parent is opened up around the mount point: applied)
run_probe "$P" --bind "$PROBE_DIR:/usr/share/zoneinfo/ward-pb:ro" -- stat /usr/share/zoneinfo/ward-pb/probe
if result_is errno 0 || rc_is 125; then ok "--bind inside a read-only profile tree is applied or refused, never ignored (exit $WARD_RC)"; else
	not_ok "--bind inside a read-only profile tree is applied or refused, never ignored (exit $WARD_RC)"
	diag_ward
fi

run_probe "$P" -- open /proc/1/environ r
check "PID 1's environment is not readable by the workload" result_is_not errno 0

# ---- issue 9 item 4: tmpfs entries have a size; a full one is reported.
printf 'include: [%s]\nfilesystem: {tmpfs: [{path: /tmp, size: 256K}]}\n' "$P" >"$T/tmpfs-size.yaml"
run_ward check "$T/tmpfs-size.yaml"
check "ward check shows the tmpfs size" grep -q 'tmpfs: \[{path: /tmp, size: 256K}\]' "$WARD_OUT"
# (the supervisor looks at the tmpfs from the hand-off on: the probe stays 2 s, past a tick)
run_probe "$T/tmpfs-size.yaml" -- fill /tmp/big 2
check "writing past the size fails with ENOSPC (about 256K written)" \
	bash -c "grep -q 'errno=ENOSPC' '$WARD_OUT' && b=\$(grep -o 'bytes=[0-9]*' '$WARD_OUT' | cut -d= -f2) && [ \$b -ge 196608 ] && [ \$b -le 262144 ]"
check "one lifecycle event tmpfs_full for /tmp, size 262144" \
	event_count_is 1 'select(.kind == "lifecycle" and .event == "tmpfs_full" and .path == "/tmp" and .size_bytes == 262144 and .rule == "filesystem.tmpfs")'
printf 'include: [%s]\nlimits: {memory: 64M}\n' "$P" >"$T/tmpfs-default.yaml"
run_ward check "$T/tmpfs-default.yaml"
check "without a size a tmpfs gets min(256M, limits.memory / 2)" grep -q 'tmpfs: \[{path: /tmp, size: 32M}\]' "$WARD_OUT"
run_probe "$P" -- fill /tmp/big
check "default profile tmpfs: capped at 256M, not half the host's RAM" \
	bash -c "grep -q 'errno=ENOSPC' '$WARD_OUT' && b=\$(grep -o 'bytes=[0-9]*' '$WARD_OUT' | cut -d= -f2) && [ \$b -le 268435456 ]"
