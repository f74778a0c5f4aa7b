#!/bin/bash
# ward as a container's entrypoint, in a real container runtime: rootful podman with crun, an
# image built here from the host's own files (tools/container-rootfs.sh, `podman import`; no
# registry), `ward run -p python-cpu -- python3 model.py /opt/models` as the container's
# command. Proves the least the container needs (docs/container.md) by running with it, and
# that each piece left out makes ward refuse (exit 125) with the option that gives it.
# Cleans up its containers (--rm, and by id on exit) and its image (by id).
. "$(dirname "$0")/lib.sh"
require_root
require_ward
N=18
plan $N
if ! command -v podman >/dev/null || ! command -v crun >/dev/null; then
	for ((i = 0; i < N; i++)); do skip "podman/crun not installed (make deps)"; done
	exit 0
fi
WARD_TEST_TIMEOUT=120
LABEL=ward-test-container=$$
IMG=

cleanup_podman() {
	local c
	for c in $(podman ps -a -q --filter "label=$LABEL" 2>/dev/null); do
		podman rm -f "$c" >/dev/null 2>&1
	done
	[ -n "$IMG" ] && podman rmi -f "$IMG" >/dev/null 2>&1
	return 0
}
trap 'cleanup_podman; _lib_cleanup' EXIT

# ---- the image
ROOTFS=$T/rootfs
if ! "$TOP/tools/container-rootfs.sh" "$ROOTFS" >"$T/rootfs.log" 2>&1; then
	diag "$(tail -n 5 "$T/rootfs.log")"
fi
IMG=$(tar -C "$ROOTFS" -cf - . 2>/dev/null | podman import --change 'WORKDIR /opt/models' \
	- 2>"$T/import.err" | tail -n 1)
rm -rf "$ROOTFS"
check "an image built from the host's files imports (podman import)" \
	[ -n "$IMG" ] || diag "$(tail -n 3 "$T/import.err")"

# crun refuses every container on a hybrid host whose cgroup2 still holds a controller ("cgroups
# in hybrid mode not supported, drop all controllers from cgroupv2"; this CI host leaves
# hugetlb there). Such a host runs podman in a private mount namespace where crun sees the v1
# layout only (an empty tmpfs on /sys/fs/cgroup/unified), with --cgroups=disabled; the
# container still gets the host's whole cgroup tree, cgroup2 included, from a bind of it made
# before the tmpfs. Nothing of this is visible outside the namespace.
CGSRC=/sys/fs/cgroup
wrap=()
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	CGSRC=$T/cgroup
	mkdir -p "$CGSRC"
	cat >"$T/podman-ns.sh" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
mount --rbind /sys/fs/cgroup "$CGSRC"
mount -t tmpfs -o ro,size=4k tmpfs /sys/fs/cgroup/unified
exec podman "\$@"
EOF
	chmod +x "$T/podman-ns.sh"
	wrap=(unshare -m "$T/podman-ns.sh")
	diag "hybrid host with '$(cat /sys/fs/cgroup/unified/cgroup.controllers)' on cgroup2:" \
		"podman runs in a private mount namespace (see the comment)"
else
	wrap=(podman)
fi
# This host's test runner lacks CAP_SYS_RESOURCE: podman's default RLIMIT_NOFILE/NPROC (raised
# to the maximum for root) would fail in crun's setrlimit.
base=(run --rm --label "$LABEL" --network none --ulimit nofile=1024:4096
	--ulimit nproc=4096:4096)
[ "$CGSRC" = /sys/fs/cgroup ] || base+=(--cgroups=disabled)
CG=(-v "$CGSRC:/sys/fs/cgroup:rw")
PROC=(--security-opt "unmask=/proc/*")
CAPS=(--cap-add BPF,PERFMON,NET_ADMIN)
NOSEC=(--security-opt seccomp=unconfined)
MODEL=(/usr/local/bin/ward run -p python-cpu -e stderr -- python3 model.py /opt/models)

# pod ARGS...: podman run with the base options and ARGS, the image, then ward on the model.
pod() {
	PRC=0
	timeout -k 5 "$WARD_TEST_TIMEOUT" "${wrap[@]}" "${base[@]}" "$@" "$IMG" "${MODEL[@]}" \
		</dev/null >"$T/pod.out" 2>"$T/pod.err" || PRC=$?
}
ev() { grep '^{' "$T/pod.err" | jq -c "$1" 2>/dev/null | wc -l; }
said() { grep -qF -- "$1" "$T/pod.err" || { diag "stderr: $(grep -v '^{' "$T/pod.err" | head -c 600)"; return 1; }; }

/usr/bin/python3 "$TOP/examples/model.py" "$BUILD/model" >"$T/bare.out" 2>&1

# ---- the least it needs, two ways
pod "${CG[@]}" "${PROC[@]}" "${CAPS[@]}" "${NOSEC[@]}"
check "caps BPF,PERFMON,NET_ADMIN + seccomp=unconfined + unmask=/proc/* + rw cgroup: exit 0" \
	[ "$PRC" = 0 ] || diag "stderr: $(tail -c 600 "$T/pod.err")"
check "... the model's output equals the bare run on the host" cmp -s "$T/bare.out" "$T/pod.out"
check "... every protection applied (start event: nothing missing, monitors loaded)" \
	[ "$(ev 'select(.event == "start" and .layers.missing == [] and .bpf == "loaded")')" = 1 ]
check "... zero violations" [ "$(ev 'select(.event == "exit" and .violations == 0)')" = 1 ] ||
	diag "$(grep '^{' "$T/pod.err" | jq -c 'select(.violation)' | head -c 1500)"

pod "${CG[@]}" "${PROC[@]}" --cap-add SYS_ADMIN
check "cap SYS_ADMIN + podman's default seccomp + unmask=/proc/* + rw cgroup: exit 0, same output" \
	bash -c "[ $PRC = 0 ] && cmp -s '$T/bare.out' '$T/pod.out'"
check "... every protection applied, zero violations" \
	[ "$(ev 'select((.event == "start" and .layers.missing == []) or (.event == "exit" and .violations == 0))')" = 2 ]

# ---- each piece left out: refused (125) with the fix in the message
pod "${PROC[@]}" "${CAPS[@]}" "${NOSEC[@]}"
check "without a writable cgroup tree: refused (125)" [ "$PRC" = 125 ]
check "... naming it and the fix (-v /sys/fs/cgroup:/sys/fs/cgroup:rw)" \
	said "mounted read-only (a container runtime's default): give ward a writable cgroup tree, e.g. podman/docker run -v /sys/fs/cgroup:/sys/fs/cgroup:rw"

pod "${CG[@]}" "${PROC[@]}" "${NOSEC[@]}"
check "without the BPF capabilities: refused (125), naming the missing ones and --cap-add" \
	bash -c "[ $PRC = 125 ] && grep -qF 'this process lacks CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN: run the container with --cap-add BPF,PERFMON,NET_ADMIN' '$T/pod.err'"

pod "${CG[@]}" "${PROC[@]}" --cap-add BPF
check "with CAP_BPF but not PERFMON, NET_ADMIN: refused (125), naming exactly those two" \
	bash -c "[ $PRC = 125 ] && grep -qF 'lacks CAP_PERFMON, CAP_NET_ADMIN' '$T/pod.err'"

pod "${CG[@]}" "${PROC[@]}" "${CAPS[@]}"
check "the capabilities under podman's default seccomp profile: refused (125)" [ "$PRC" = 125 ]
check "... the message says seccomp blocks bpf(2) and gives seccomp=unconfined or SYS_ADMIN" \
	said "a seccomp filter blocks bpf(2): the container runtime's default profile allows it only with CAP_SYS_ADMIN; run with --security-opt seccomp=unconfined, or --cap-add SYS_ADMIN"

pod "${CG[@]}" "${CAPS[@]}" "${NOSEC[@]}"
check "with the runtime's masked /proc: refused (125), not the container's /proc shown inside" \
	bash -c "[ $PRC = 125 ] && ! grep -q '^classes' '$T/pod.out'"
check "... the message names the masks and unmask=/proc/* / systempaths=unconfined / procMount" \
	said "run with --security-opt unmask=/proc/* (podman), --security-opt systempaths=unconfined (docker), securityContext.procMount: Unmasked"

# docker's default seccomp profile answers clone3 with ENOSYS (without CAP_SYS_ADMIN): the same
# rule as a podman seccomp profile.
printf '%s\n' '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["clone3"],' \
	'"action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}' >"$T/noclone3.json"
pod "${CG[@]}" "${PROC[@]}" "${CAPS[@]}" --security-opt "seccomp=$T/noclone3.json"
check "clone3 refused with ENOSYS by the runtime's seccomp (docker's default): 125 and the fix" \
	bash -c "[ $PRC = 125 ] && grep -qF 'clone3 is refused with ENOSYS, which is what a container runtime' '$T/pod.err'"

check "no container of this test is left (podman ps -a)" \
	[ -z "$(podman ps -a -q --filter "label=$LABEL")" ]
cleanup_podman
check "the test's image is removed (by id)" bash -c "! podman image exists '$IMG'"
IMG=
