#!/bin/bash
# Bad input never crashes ward nor half-applies: fixed-seed mutation fuzzing of profiles (YAML),
# imported OCI seccomp profiles (JSON) and `ward run` flags (tests/fuzz/mutate.py). `check` must
# exit 0 or 1 naming the file, `run` 0 or 125; a signal or a sanitizer report fails. A longer
# run: make SANITIZE=1, then tests/fuzz/mutate.py KIND build/ward SEED 5000.
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 5
# Mutated flags include `-e unix:/nonexistent`: with no collector ward spools, here and not in
# the host's /var/lib/ward/spool.
export WARD_SPOOL_DIR=$T/spool
host_spool_before=$(ls /var/lib/ward/spool 2>/dev/null | sort)
# sandbox cgroups present before (other tests' leftovers are not ours to judge)
sandboxes() { find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -path '*/ward/*' -type d 2>/dev/null | sort; }
before=$(sandboxes)
for kind in profiles:300 oci:200 flags:150; do
	out=$(python3 "$TESTS_DIR/fuzz/mutate.py" "${kind%%:*}" "$WARD" 20261125 "${kind#*:}" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		ok "${kind%%:*}: ${kind#*:} mutated inputs, none crashed or half-applied"
	else
		not_ok "${kind%%:*}: mutated inputs handled"
		diag "$(tail -n 20 <<<"$out")"
	fi
done
check "nothing left behind: no sandbox cgroup more than before" test "$(sandboxes)" = "$before"
check "nothing spooled into the host's /var/lib/ward/spool" \
	test "$(ls /var/lib/ward/spool 2>/dev/null | sort)" = "$host_spool_before"
