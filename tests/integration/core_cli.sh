#!/bin/bash
# ward check, ward features, --help, --version.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 28

run_ward --help
check "ward --help exits 0 and mentions run" bash -c "[ $WARD_RC = 0 ] && grep -q 'run' '$WARD_OUT'"
run_ward --version
check "ward --version exits 0 and prints a version" bash -c "[ $WARD_RC = 0 ] && grep -qE '[0-9]+\.[0-9]+' '$WARD_OUT'"
run_ward run --help
check "ward run --help exits 0 and lists --bind" bash -c "[ $WARD_RC = 0 ] && grep -q -- '--bind' '$WARD_OUT'"

# ---- features: this machine's facts.
run_ward features
check "ward features exits 0" rc_is 0
kver=$(uname -r | cut -d- -f1)
check "features names the kernel version ($kver)" grep -qF "$kver" "$WARD_OUT"
check "features reports Landlock ABI 7" grep -qiE 'landlock[^0-9]*7' "$WARD_OUT"
check "features reports the cgroup layout (hybrid)" grep -qi 'hybrid' "$WARD_OUT"
check "features reports seccomp user notification" grep -qiE 'notif' "$WARD_OUT"

run_ward features --json
check "features --json is valid JSON" jq -e . "$WARD_OUT"
check "features --json: Landlock ABI 7 somewhere" \
	jq -e '[paths(scalars) as $p | {k: ($p | map(tostring) | join(".")), v: getpath($p)}
		| select((.k | test("landlock"; "i")) and (.v == 7 or .v == "7"))] | length > 0' "$WARD_OUT"
check "features --json: cgroup hybrid" jq -e '[.. | strings | select(test("hybrid"))] | length > 0' "$WARD_OUT"

# ---- check: the effective profile loads again.
run_ward check "$PROFILES/probe.yaml"
check "ward check on a good profile exits 0" rc_is 0
cp "$WARD_OUT" "$T/effective.yaml"
run_ward check "$T/effective.yaml"
check "the printed effective profile loads again (exit 0)" rc_is 0
check "... and prints the same effective profile" \
	bash -c "diff <(grep -v '^name:\|^# ' '$T/effective.yaml') <(grep -v '^name:\|^# ' '$WARD_OUT') >/dev/null"

run_ward check "$PROFILES/bad-unknown-key.yaml"
check "unknown key: exit 1 with FILE:5:3" \
	bash -c "[ $WARD_RC = 1 ] && grep -q 'bad-unknown-key.yaml:5:3' '$WARD_ERR' '$WARD_OUT'"
for b in bad-type:5:9 bad-size:4:11 bad-syscall:5:17; do
	run_ward check "$PROFILES/${b%%:*}.yaml"
	check "${b%%:*}: exit 1 with ${b%%:*}.yaml:${b#*:}" \
		bash -c "[ $WARD_RC = 1 ] && grep -q '${b%%:*}.yaml:${b#*:}' '$WARD_ERR'"
done
run_ward check "$PROFILES/probe.yaml" "$PROFILES/bad-size.yaml"
check "check of several profiles fails when one is bad (exit 1)" rc_is 1
run_ward check "$PROFILES/bad-cycle-a.yaml"
check "an include cycle: exit 1 with a location" \
	bash -c "[ $WARD_RC = 1 ] && grep -qE 'bad-cycle-[ab].yaml:[0-9]+:[0-9]+' '$WARD_ERR'"

# An imported OCI seccomp profile is part of the profile: check validates it as run would.
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}\n' >"$T/bad-oci.json"
printf 'name: bad-oci\ninclude: [%s]\nsyscalls: {import: bad-oci.json}\n' "$PROFILES/probe.yaml" >"$T/bad-oci.yaml"
run_ward check "$T/bad-oci.yaml"
check "check: a bad imported OCI profile fails (exit 1) naming the JSON and the field" \
	bash -c "[ $WARD_RC = 1 ] && grep -q 'bad-oci.json: syscalls\[0\].action' '$WARD_ERR'"
run_ward run -p "$T/bad-oci.yaml" -- /bin/true
check "run: the same profile is refused (125)" rc_is 125

# ---- issue 9 item 15: messages that name the real problem.
run_ward run --bind /:/ -- /bin/true
check "--bind /:/ is refused (125) naming the bind, not 'bin/true: not found'" \
	bash -c "[ $WARD_RC = 125 ] && grep -q \"bind '/:/': destination '/' is the sandbox root\" '$WARD_ERR'"
mkdir -p "$T/devdir" "$T/fakeusr" "$T/a:b"
run_ward run --bind "$T/devdir:/dev" -- /bin/true
check "--bind DIR:/dev is refused (125) naming /dev, not base.yaml's /dev/full" \
	bash -c "[ $WARD_RC = 125 ] && grep -q 'is under /dev, which ward builds' '$WARD_ERR' && ! grep -q base.yaml '$WARD_ERR'"
mkdir -p "$T/orig"
echo orig >"$T/orig/a"
echo fake >"$T/fakeusr/b"
printf 'include: [%s]\nfilesystem: {readonly: [%s]}\n' "$PROFILES/probe.yaml" "$T/orig" >"$T/orig.yaml"
run_probe "$T/orig.yaml" --bind "$T/fakeusr:$T/orig" -- open "$T/orig/b" r
check "--bind over a place the profile binds replaces it (was silently ignored)" result_is errno 0
run_ward run --timeout 0 -p "$PROFILES/probe.yaml" --bind "$PROBE_BIND" -- "$PROBE" exit 0
check "--timeout 0 means no wall-clock limit (exit 0, not 'expected a duration')" rc_is 0
printf 'include: [%s]\nlimits: {nofile: 1073741824}\n' "$PROFILES/probe.yaml" >"$T/nofile.yaml"
run_ward run -p "$T/nofile.yaml" --bind "$PROBE_BIND" -- "$PROBE" exit 0
check "nofile above what can be set: 125 naming FILE:LINE:COL: limits.nofile" \
	bash -c "[ $WARD_RC = 125 ] && grep -q 'nofile.yaml:2:18: limits.nofile: 1073741824 is above the hard limit' '$WARD_ERR'"
echo colon >"$T/a:b/f"
run_probe "$PROFILES/probe.yaml" --bind "${T//:/\\:}/a\\:b:/data" -- open /data/f r
check "a path holding ':' is bound with '\\:'" result_is errno 0
