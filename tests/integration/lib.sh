# shellcheck shell=bash
# Helpers for ward's TAP integration tests (sourced by tests/integration/*.sh).
#
#   plan N                  print "1..N"
#   ok DESC / not_ok DESC / skip REASON       one TAP line each (numbered automatically)
#   check DESC CMD...       ok when CMD succeeds, else not ok with diagnostics
#   run_ward ARGS...        runs build/ward with -e file:$EVENTS; sets WARD_RC, WARD_OUT
#                           (stdout file), WARD_ERR (stderr file), WARD_EVENTS (events file)
#   run_probe PROFILE [WARD_ARGS...] -- PROBE_ARGS...     run_ward with the probe bound in
#   run_probe_host ...      the same with the probe bound at its host path
#   result_field KEY        a key=value from the probe's RESULT line in $WARD_OUT
#   count_events JQ_FILTER  how many events in $WARD_EVENTS the filter selects
#   require_root / require_ward             skip the whole script when not possible
#
# CI=true: a skip counts as a failure (the runner enforces it too), because on the CI machine
# every feature these tests need is present.
set -u

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
BUILD=${BUILD:-$TOP/build}
WARD=${WARD:-$BUILD/ward}
PROBE_SRC=${PROBE_SRC:-$BUILD/probe}
PROFILES=$TESTS_DIR/profiles
# Inside the sandbox the probe lives here (a read-only bind of a directory holding a copy).
PROBE=/probe-bin/probe

_tap_n=0
_tap_planned=0
_pids_to_kill=()
_mounts_to_umount=() # mount points a test made (unmounted before $T is removed)

# Not under /tmp: the test profiles put a private tmpfs on /tmp, and some tests bind $T paths
# at their own location.
T=$(mktemp -d /var/tmp/ward-test.XXXXXX)
chmod 0755 "$T"

_lib_cleanup() {
	local p
	for p in "${_pids_to_kill[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${_pids_to_kill[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${_mounts_to_umount[@]}"; do
		umount -l "$p" 2>/dev/null || true
	done
	# The runner checks every event ward produced in the suite against the schema.
	if [ -n "${WARD_EVENTS_ARCHIVE:-}" ] && [ -d "$WARD_EVENTS_ARCHIVE" ]; then
		cat "$T"/events.*.jsonl >"$WARD_EVENTS_ARCHIVE/$(basename "$0").jsonl" 2>/dev/null
	fi
	rm -rf "$T"
}
trap _lib_cleanup EXIT

plan() {
	_tap_planned=$1
	echo "1..$1"
}

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	echo "not ok $_tap_n - $*"
}

skip() {
	_tap_n=$((_tap_n + 1))
	if [ "${CI:-}" = true ]; then
		echo "not ok $_tap_n - skipped under CI: $*"
	else
		echo "ok $_tap_n # SKIP $*"
	fi
}

# Prints diagnostics (TAP comments) about the last run_ward.
diag_ward() {
	{
		echo "ward exit: ${WARD_RC:-?}"
		echo "--- stdout:"
		head -c 3000 "${WARD_OUT:-/dev/null}" 2>/dev/null
		echo "--- stderr:"
		head -c 3000 "${WARD_ERR:-/dev/null}" 2>/dev/null
		echo "--- events:"
		head -c 4000 "${WARD_EVENTS:-/dev/null}" 2>/dev/null
	} | sed 's/^/# /' >&2
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

# check DESC CMD...: one TAP line from a command's success, with diagnostics on failure.
check() {
	local desc=$1
	shift
	# The command's own output would break the TAP stream; diagnostics go to stderr.
	if "$@" >/dev/null; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "failed: $*"
		diag_ward
	fi
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 0
	fi
}

require_ward() {
	if [ ! -x "$WARD" ] || [ ! -x "$PROBE_SRC" ]; then
		echo "1..0 # SKIP $WARD or $PROBE_SRC not built (make)"
		[ "${CI:-}" = true ] && exit 1
		exit 0
	fi
}

# The probe directory bound read-only into every sandbox at /probe-bin.
PROBE_DIR=$T/probe-bin
mkdir -p "$PROBE_DIR"
[ -x "$PROBE_SRC" ] && cp "$PROBE_SRC" "$PROBE_DIR/probe"
PROBE_BIND="$PROBE_DIR:/probe-bin:ro"

# require_monitor_probe: make's build/tests/monitor_probe copied to $MP (seen as /probe-bin/mp)
# and the BPF monitors loadable here; else the whole script is skipped (a failure with CI=true).
require_monitor_probe() {
	MP=$PROBE_DIR/mp
	mkdir -p "$PROBE_DIR"
	if ! cp "$BUILD/tests/monitor_probe" "$MP" 2>"$T/cc.err"; then
		echo "1..0 # SKIP no monitor probe (make): $(head -c 200 "$T/cc.err")"
		[ "${CI:-}" = true ] && exit 1
		exit 0
	fi
	if ! "$WARD" features 2>/dev/null | grep -q 'monitors: file tp_btf'; then
		echo "1..0 # SKIP the BPF monitors do not load here"
		[ "${CI:-}" = true ] && exit 1
		exit 0
	fi
}

# mp PROFILE [WARD_ARGS...] -- ARGS...: run_ward with the monitor probe bound in.
mp() {
	local profile=$1
	shift
	local wargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wargs+=("$1")
		shift
	done
	shift
	run_ward run -p "$profile" --bind "$PROBE_BIND" "${wargs[@]}" -- /probe-bin/mp "$@"
}

_run_n=0
# run_ward ARGS...: `ward ARGS` with stdin from /dev/null. When ARGS start with `run`, events go
# to a fresh file unless the caller passed -e itself.
run_ward() {
	_run_n=$((_run_n + 1))
	WARD_OUT=$T/out.$_run_n
	WARD_ERR=$T/err.$_run_n
	WARD_EVENTS=$T/events.$_run_n.jsonl
	: >"$WARD_EVENTS"
	local args=("$@")
	if [ "${1:-}" = run ]; then
		local a has_sink=0
		for a in "$@"; do
			case $a in -e | --events | -e* | --events=*) has_sink=1 ;; --) break ;; esac
		done
		[ $has_sink = 0 ] && args=(run -e "file:$WARD_EVENTS" "${@:2}")
	fi
	WARD_RC=0
	timeout -k 5 "${WARD_TEST_TIMEOUT:-60}" "$WARD" "${args[@]}" \
		</dev/null >"$WARD_OUT" 2>"$WARD_ERR" || WARD_RC=$?
	return 0
}

# run_probe PROFILE [WARD_ARGS...] -- PROBE_ARGS...
run_probe() {
	local profile=$1
	shift
	local wargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wargs+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	run_ward run -p "$profile" --bind "$PROBE_BIND" "${wargs[@]}" -- "$PROBE" "$@"
}

# run_probe_host PROFILE [WARD_ARGS...] -- PROBE_ARGS...: as run_probe, but the probe directory
# is bound at its own host path (SRC = DST), for audit mode where the view is the host's root.
run_probe_host() {
	local profile=$1
	shift
	local wargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		wargs+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	run_ward run -p "$profile" --bind "$PROBE_DIR" "${wargs[@]}" -- "$PROBE_DIR/probe" "$@"
}

# result_field KEY: the value of KEY=... on the probe's RESULT line (the last one).
result_field() {
	grep '^RESULT ' "$WARD_OUT" 2>/dev/null | tail -n 1 | tr ' ' '\n' |
		sed -n "s/^$1=//p" | head -n 1
}

# result_is KEY VALUE
result_is() {
	local v
	v=$(result_field "$1")
	[ "$v" = "$2" ]
}

result_is_not() {
	local v
	v=$(result_field "$1")
	[ -n "$v" ] && [ "$v" != "$2" ]
}

rc_is() {
	[ "$WARD_RC" = "$1" ]
}

# count_events FILTER [FILE]: number of events selected by the jq filter.
count_events() {
	local f=${2:-$WARD_EVENTS}
	[ -s "$f" ] || {
		echo 0
		return 0
	}
	jq -c "$1" "$f" 2>/dev/null | wc -l
}

# events_valid [FILE]: every line is a JSON object with the common fields.
events_valid() {
	local f=${1:-$WARD_EVENTS}
	[ -s "$f" ] || return 1
	jq -e -s 'all(.[]; type == "object" and has("time") and has("sandbox") and has("seq")
		and has("kind") and has("action") and has("violation"))' "$f" >/dev/null 2>&1
}

# event_count_is N FILTER
event_count_is() {
	local n
	n=$(count_events "$2")
	[ "$n" = "$1" ] || {
		diag "expected $1 events matching $2, got $n"
		return 1
	}
}

violations() {
	count_events 'select(.violation == true)'
}

# wait_for_file_line FILE PATTERN SECS: polls until grep finds PATTERN.
wait_for_line() {
	local f=$1 pat=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -q "$pat" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Remembers a background pid to kill at exit (never by name).
track_pid() {
	_pids_to_kill+=("$1")
}

# A marker directory writable inside the sandbox (uid mapping: the sandbox user is the caller).
make_rw_dir() {
	local d=$T/$1
	mkdir -p "$d"
	chmod 0777 "$d"
	echo "$d"
}

# The sandbox cgroups ward left behind for sandbox id $1 (should be none after exit).
leftover_cgroups() {
	find /sys/fs/cgroup -maxdepth 4 -type d -name "*$1*" 2>/dev/null
}
