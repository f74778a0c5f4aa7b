#!/bin/bash
# What a profile can say that the command line can (issue 11, gap 3): filesystem.binds (ro by
# default, rw, a ':' in a path, DST defaulting to SRC), merged with --bind (the same DST:
# --bind wins); --env NAME=VALUE (env.set) and --env NAME (env.pass); `ward check` prints
# both; and the warning when the working directory is not in the view.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 16
P=$PROFILES/probe.yaml

D=$T/data
mkdir -p "$D/a:b" "$D/rw" "$D/other" "$D/cwd"
echo ro >"$D/a:b/f"
echo other >"$D/other/g"
echo here >"$D/cwd/rel"
chmod 0777 "$D/rw"
cat >"$T/binds.yaml" <<Y
include: [$P]
filesystem:
  binds:
    - {src: "$D/a:b", dst: /opt/ab}
    - {src: $D/rw, mode: rw}
env: {set: {FROM: profile, KEEP: "1"}}
Y

run_probe "$T/binds.yaml" -- open /opt/ab/f r
check "filesystem.binds: a source with ':' is bound at its dst, readable" result_is errno 0
run_probe "$T/binds.yaml" -- write /opt/ab/new
check "filesystem.binds: read-only by default (EROFS)" result_is errno EROFS
run_probe "$T/binds.yaml" -- write "$D/rw/x"
check "filesystem.binds: mode rw, dst defaults to src: writable at the same path" \
	eval 'result_is errno 0 && [ -f "$D/rw/x" ]'
run_probe "$T/binds.yaml" --bind "$D/other:/opt/ab" -- open /opt/ab/g r
check "--bind of the same DST replaces the profile's bind: the other source's file is there" \
	result_is errno 0
run_probe "$T/binds.yaml" --bind "$D/other:/opt/ab" -- open /opt/ab/f r
check "--bind of the same DST: the profile's source is not (ENOENT)" result_is errno ENOENT
printf 'include: [%s]\nfilesystem:\n  binds: [{src: %s/nosuch}]\n' "$P" "$T" >"$T/missing.yaml"
run_probe "$T/missing.yaml" -- open /etc/passwd r
check "a missing bind source fails the run (125) naming the profile line" \
	eval '[ $WARD_RC = 125 ] && grep -q "missing.yaml:3:.*bind source $T/nosuch" "$WARD_ERR"'

run_ward check "$T/binds.yaml"
check "ward check prints filesystem.binds (quoted where needed) and env.set" \
	eval 'grep -qF "    - {src: \"$D/a:b\", dst: /opt/ab, mode: ro}" "$WARD_OUT" &&
		grep -qF "    - {src: $D/rw, dst: $D/rw, mode: rw}" "$WARD_OUT" &&
		grep -qx "    FROM: profile" "$WARD_OUT"'
cp "$WARD_OUT" "$T/dump.yaml"
run_ward check "$T/dump.yaml"
check "ward check's output loads again to the same profile" \
	eval '[ $WARD_RC = 0 ] && diff <(grep -v "^#" "$T/dump.yaml") <(grep -v "^#" "$WARD_OUT")'

WARD_TEST_CALLER=from-caller run_probe "$T/binds.yaml" --env FROM=cli --env NEW=x --env WARD_TEST_CALLER -- env
check "--env NAME=VALUE replaces the profile's env.set value" grep -qx "ENV FROM=cli" "$WARD_OUT"
check "--env NAME=VALUE adds a variable; the profile's others stay" \
	eval 'grep -qx "ENV NEW=x" "$WARD_OUT" && grep -qx "ENV KEEP=1" "$WARD_OUT"'
check "--env NAME passes the caller's value" grep -qx "ENV WARD_TEST_CALLER=from-caller" "$WARD_OUT"
FROM=caller run_probe "$T/binds.yaml" --env FROM -- env
check "--env NAME wins over the profile's env.set of NAME" grep -qx "ENV FROM=caller" "$WARD_OUT"
run_probe "$T/binds.yaml" --env 1BAD=x -- env
check "--env with a bad name: 125 and the syntax" \
	eval '[ $WARD_RC = 125 ] && grep -q "expected NAME=VALUE (set) or NAME" "$WARD_ERR"'

# The working directory: used when the view has it, else / with a warning naming it.
(cd "$D/cwd" && run_probe "$P" -- open rel r && cp "$WARD_OUT" "$T/cwd1.out" && cp "$WARD_ERR" "$T/cwd1.err")
check "cwd not in the view: a warning names it and how to bind it" \
	grep -qF "warning: the working directory $D/cwd is not in the sandbox's view (No such file or directory): the command starts in /. To work there, bind it: --bind $D/cwd" "$T/cwd1.err"
check "cwd not in the view: the command ran in / (a relative path is not found)" \
	grep -q "^RESULT .*errno=ENOENT" "$T/cwd1.out"
(cd "$D/cwd" && run_probe "$P" --bind "$D/cwd" -- open rel r && cp "$WARD_OUT" "$T/cwd2.out" && cp "$WARD_ERR" "$T/cwd2.err")
check "cwd bound: the command starts there, no warning" \
	eval 'grep -q "^RESULT .*errno=0" "$T/cwd2.out" && ! grep -q "working directory" "$T/cwd2.err"'
