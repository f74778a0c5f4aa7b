#!/bin/bash
# The built-in profiles: profiles/*.yaml compiled into ward, found last after ./profiles,
# /etc/ward/profiles and PREFIX/share/ward/profiles. A copy of ward outside the tree, run from
# an empty directory, finds `base`, `python-cpu` (which includes base) and `default` all the same.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 11

mkdir -p "$T/bin" "$T/empty" "$T/mine"
cp "$WARD" "$T/bin/ward"
TREE_WARD=$WARD
WARD=$T/bin/ward
cd "$T/empty" || exit 1

# Installed profiles come before the built-in ones; say so rather than fail where they exist.
run_ward check no-such-profile
dirs=$(sed -n 's/.*looked for no-such-profile.yaml in \(.*\))$/\1/p' "$WARD_ERR" | tr -d ',')
installed=
for d in $dirs; do
	case $d in /*) [ -e "$d/base.yaml" ] && installed=$d ;; esac
done
builtin_files() { # builtin_files NAME...: the header lists <builtin>/NAME.yaml for each
	local n
	[ -n "$installed" ] && return 0
	for n in "$@"; do
		grep -qxF "#   <builtin>/$n.yaml" "$WARD_OUT" || return 1
	done
}
[ -n "$installed" ] && diag "profiles installed in $installed: the built-in names are not checked"

run_ward check base
check "check base from an empty directory: exit 0" rc_is 0
check "... read from <builtin>/base.yaml" builtin_files base
grep -v '^#' "$WARD_OUT" >"$T/builtin-base.yaml"
(cd "$TOP" && "$TREE_WARD" check profiles/base.yaml) | grep -v '^#' >"$T/tree-base.yaml"
check "... the same effective profile as profiles/base.yaml in the tree" \
	bash -c "[ -s $T/builtin-base.yaml ] && cmp -s $T/builtin-base.yaml $T/tree-base.yaml"

run_ward check python-cpu
check "check python-cpu: exit 0" rc_is 0
check "... its include: [base] is the built-in base" builtin_files python-cpu base

run_ward run -p python-cpu -- /usr/bin/python3 -c 'print("from-builtin")'
check "run -p python-cpu -- python3: exit 0" bash -c "[ $WARD_RC = 0 ] && grep -q from-builtin '$WARD_OUT'"
# python-cpu's exec.allow admits python3 only: /bin/true is refused as it is with the tree's file.
run_ward run -p python-cpu -- /bin/true
builtin_rc=$WARD_RC
tree_rc=0
(cd "$TOP" && timeout -k 5 60 "$TREE_WARD" run -e none -p python-cpu -- /bin/true) \
	</dev/null >/dev/null 2>&1 || tree_rc=$?
check "run -p python-cpu -- /bin/true: exit $tree_rc as from the tree" \
	bash -c "[ $builtin_rc = $tree_rc ]"

run_ward run -- /bin/true
check "run without -p uses the built-in default: exit 0" rc_is 0

# A profile of one's own outside the tree includes the built-in base.
printf 'name: mine\ninclude: [base]\nlimits: {memory: 1G}\n' >"$T/mine/mine.yaml"
run_ward check "$T/mine/mine.yaml"
check "a profile outside the tree with include: [base]: exit 0" rc_is 0
check "... base is the built-in one" builtin_files base
run_ward run -p "$T/mine/mine.yaml" -- /bin/true
check "... and runs /bin/true: exit 0" rc_is 0
