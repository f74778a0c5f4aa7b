#!/bin/bash
# Launch-time benchmark (not a test): how long `ward run ... -- /bin/true` takes compared with
# bubblewrap and unshare(1) doing similar isolation, run alternately so that machine noise
# hits all three alike.
#
#   bench/launch.sh [RUNS]      (default 50, at least 30; root)
#
# ward: tests/profiles/minimal.yaml (all namespaces, default-deny seccomp with user
#       notification, Landlock, cgroup limits; events to none)
# bwrap: --unshare-all, read-only /usr (Debian 12 has /lib, /lib64, /bin as symlinks into /usr),
#       fresh /proc and /dev
# unshare: -rUpfnimu --mount-proc
# ward rows: "ward" as the user runs it (monitors on, pinned set reused when present);
# "ward-nomon" without the BPF monitors (WARD_MONITORS=off); "ward-cold" with a fresh BPF load
# (WARD_BPF_NO_PINNED=1); "ward-warm" with the programs pinned by `ward monitor --pin` (pinned
# here for the run and unpinned after, unless they were pinned already).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-50}
if [ "$RUNS" -lt 30 ]; then
	echo "launch.sh: at least 30 runs each" >&2
	exit 2
fi
WARD=${WARD:-build/ward}
[ -x "$WARD" ] || { echo "launch.sh: $WARD is missing: run make" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "launch.sh: bwrap is missing: apt-get install bubblewrap" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "launch.sh: run as root (ward's cgroups)" >&2; exit 1; }

# bwrap's view: /usr read-only plus the merged-/usr symlinks where the host has them.
bwrap_cmd=(bwrap --unshare-all --ro-bind /usr /usr)
for d in lib lib64 bin sbin; do
	if [ -L "/$d" ]; then
		bwrap_cmd+=(--symlink "$(readlink "/$d")" "/$d")
	elif [ -d "/$d" ]; then
		bwrap_cmd+=(--ro-bind "/$d" "/$d")
	fi
done
bwrap_cmd+=(--proc /proc --dev /dev /bin/true)

# Each must work before it is timed.
"$WARD" run -e none -p tests/profiles/minimal.yaml -- /bin/true ||
	{ echo "launch.sh: ward run failed (exit $?)" >&2; exit 1; }
"${bwrap_cmd[@]}" || { echo "launch.sh: bwrap failed" >&2; exit 1; }
unshare -rUpfnimu --mount-proc /bin/true || { echo "launch.sh: unshare failed" >&2; exit 1; }

pinned_here=0
if ! "$WARD" monitor --status | grep -q '^pinned'; then
	"$WARD" monitor --pin && pinned_here=1
fi
trap '[ "$pinned_here" = 1 ] && "$WARD" monitor --unpin' EXIT

# The timing helper: perf_counter around fork+exec+wait of each command, interleaved.
/usr/bin/python3 - "$RUNS" "$WARD" "${bwrap_cmd[@]}" <<'PY'
import os, statistics, subprocess, sys, time

runs = int(sys.argv[1])
ward = sys.argv[2]
cmds = {
    "ward": [ward, "run", "-e", "none", "-p", "tests/profiles/minimal.yaml", "--", "/bin/true"],
    "bwrap": sys.argv[3:],
    "unshare": ["unshare", "-rUpfnimu", "--mount-proc", "/bin/true"],
    "ward-nomon": [ward, "run", "--allow-degraded", "-e", "none", "-p", "tests/profiles/minimal.yaml", "--", "/bin/true"],
    "ward-cold": [ward, "run", "-e", "none", "-p", "tests/profiles/minimal.yaml", "--", "/bin/true"],
    "ward-warm": [ward, "run", "-e", "none", "-p", "tests/profiles/minimal.yaml", "--", "/bin/true"],
}
envs = {k: dict(os.environ) for k in cmds}
envs["ward-nomon"]["WARD_MONITORS"] = "off"
envs["ward-cold"]["WARD_BPF_NO_PINNED"] = "1"
times = {k: [] for k in cmds}
for _ in range(3):  # warm the page cache
    for name, c in cmds.items():
        subprocess.run(c, check=True, env=envs[name])
for i in range(runs):
    for name, c in cmds.items():
        t0 = time.perf_counter()
        r = subprocess.run(c, env=envs[name])
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit(f"launch.sh: {name} exited {r.returncode} on run {i + 1}")
        times[name].append(dt * 1000.0)

def p90(v):
    s = sorted(v)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]

print(f"launch time of /bin/true, {runs} runs each, interleaved (milliseconds)")
print(f"{'':10}{'median':>10}{'p90':>10}{'min':>10}{'max':>10}")
for name, v in times.items():
    print(f"{name:10}{statistics.median(v):10.2f}{p90(v):10.2f}{min(v):10.2f}{max(v):10.2f}")
mw = statistics.median(times["ward"])
print(f"ratio ward/bwrap   (median): {mw / statistics.median(times['bwrap']):.2f}x")
print(f"ratio ward/unshare (median): {mw / statistics.median(times['unshare']):.2f}x")
mb = statistics.median(times["bwrap"])
for name in ("ward-nomon", "ward-cold", "ward-warm"):
    print(f"ratio {name}/bwrap (median): {statistics.median(times[name]) / mb:.2f}x")
PY
