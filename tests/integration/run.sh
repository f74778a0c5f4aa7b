#!/bin/bash
# TAP runner for ward's integration tests: runs every tests/integration/*.sh (or the scripts
# named on the command line) as root, prints their TAP output and a final line
#   N passed, N failed, N skipped
# Exit status: 1 when any test failed, a script exited non-zero, or a plan was not met; with
# CI=true a skip counts as a failure (the CI machine has every feature the tests need).
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they create namespaces and cgroups)" >&2
	exit 1
fi

scripts=("$@")
# A whole-suite run checks every event ward produced against docs/events.schema.json, and
# that the suite produced every kind the schema has.
schema_check=0
if [ ${#scripts[@]} -eq 0 ]; then
	schema_check=1
	WARD_EVENTS_ARCHIVE=$(mktemp -d /var/tmp/ward-events.XXXXXX)
	export WARD_EVENTS_ARCHIVE
	for s in tests/integration/*.sh; do
		case $(basename "$s") in run.sh | lib.sh) continue ;; esac
		scripts+=("$s")
	done
fi

passed=0
failed=0
skipped=0
broken=()
log=$(mktemp /tmp/ward-tap.XXXXXX)
trap 'rm -f "$log"; [ -n "${WARD_EVENTS_ARCHIVE:-}" ] && rm -rf "$WARD_EVENTS_ARCHIVE"' EXIT

for s in "${scripts[@]}"; do
	echo "# ---- $s"
	rc=0
	bash "$s" </dev/null >"$log" 2>&1 || rc=$?
	cat "$log"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -n 1)
	p=$(grep -cE '^ok [0-9]+( |$)' "$log" | head -n 1)
	k=$(grep -cE '^ok [0-9]+ # SKIP' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	p=$((p - k))
	# A whole script skipped ("1..0 # SKIP reason") counts as one skip.
	if [ "${plan:-x}" = 0 ] && grep -q '^1\.\.0 # SKIP' "$log"; then
		k=$((k + 1))
	fi
	ran=$((p + k + f))
	if [ "$rc" -ne 0 ]; then
		echo "# $s exited with status $rc"
		broken+=("$s (exit $rc)")
	elif [ -z "$plan" ]; then
		echo "# $s printed no plan"
		broken+=("$s (no plan)")
	elif [ "$plan" != 0 ] && [ "$plan" != "$ran" ]; then
		echo "# $s planned $plan tests but ran $ran"
		broken+=("$s (planned $plan, ran $ran)")
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + k))
	if [ "$f" -gt 0 ]; then
		grep -E '^not ok' "$log" | sed "s|^|# FAILED $s: |"
	fi
done

if [ "$schema_check" = 1 ]; then
	echo "# ---- every event of the suite against docs/events.schema.json"
	if out=$(python3 tools/events_schema.py validate docs/events.schema.json \
		"$WARD_EVENTS_ARCHIVE"/*.jsonl 2>&1) &&
		python3 tools/events_schema.py covered docs/events.schema.json "$out"; then
		echo "ok - every event matches the schema and every kind was produced (${out#kinds: })"
		passed=$((passed + 1))
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok - the events of the suite do not match docs/events.schema.json"
		failed=$((failed + 1))
	fi
fi

# Scripts that crashed or miscounted are failures too, so that an aborted script cannot pass.
failed=$((failed + ${#broken[@]}))
for b in "${broken[@]}"; do
	echo "# BROKEN $b"
done
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
	echo "# CI=true: $skipped skipped tests count as failures"
	failed=$((failed + skipped))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
