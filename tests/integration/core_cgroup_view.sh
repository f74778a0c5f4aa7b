#!/bin/bash
# The sandbox sees its own cgroup, read-only, at /sys/fs/cgroup (issue 11, gap 1): the memory
# limit file there equals the profile's limits.memory, node's process.constrainedMemory()
# reports it, /proc/self/cgroup reads "/" on every hierarchy (the namespace is rooted at the
# sandbox's cgroups, v1 ones included on hybrid hosts), a write is refused (EROFS) and
# reported, and reading it is no violation. Pure v2 hosts: memory.max; hybrid/v1 hosts:
# memory/memory.limit_in_bytes (this CI machine).
. "$(dirname "$0")/lib.sh"
require_root
require_ward
plan 11
NODE=/usr/bin/node
if [ ! -x "$NODE" ]; then
	for ((i = 0; i < 11; i++)); do skip "node not installed (make deps)"; done
	exit 0
fi

if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	MEMFILE=/sys/fs/cgroup/memory.max PIDSFILE=/sys/fs/cgroup/pids.max
else
	MEMFILE=/sys/fs/cgroup/memory/memory.limit_in_bytes PIDSFILE=/sys/fs/cgroup/pids/pids.max
fi
diag "host layout: $(grep -c ' - cgroup ' /proc/self/mountinfo) v1 hierarchies; checking $MEMFILE"

# node-cpu's limits (memory 4G, pids 256), and a profile including it with its own limit, so
# the value is the profile's, not a constant.
cat >"$T/small.yaml" <<'EOF'
name: node-small
include: [node-cpu]
limits: {memory: 300M, pids: 64}
EOF

SCRIPT='
const fs = require("fs");
const [mem, pids] = process.argv.slice(1);
const out = {
  mem: fs.readFileSync(mem, "utf8").trim(),
  pids: fs.readFileSync(pids, "utf8").trim(),
  constrained: String(process.constrainedMemory()),
  host_tree: fs.existsSync(require("path").dirname(mem) + "/ward"),
  cgroup_roots: [...new Set(fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\n")
    .map((l) => l.split(":").slice(2).join(":")))].join(","),
};
if (process.env.TRY_WRITE) {
  try { fs.writeFileSync(mem, "1"); out.write = "ok"; } catch (e) { out.write = e.code; }
}
console.log(JSON.stringify(out));
'
field() { jq -r ".$1" "$WARD_OUT" 2>/dev/null; }

run_ward run -p node-cpu -- $NODE -e "$SCRIPT" "$MEMFILE" "$PIDSFILE"
check "node-cpu: exits 0" rc_is 0 || diag_ward
check "node-cpu: $MEMFILE inside is limits.memory (4G)" [ "$(field mem)" = 4294967296 ]
check "node-cpu: the pids limit file inside is limits.pids (256)" [ "$(field pids)" = 256 ]
check "node-cpu: process.constrainedMemory() is limits.memory" \
	[ "$(field constrained)" = 4294967296 ]
check "node-cpu: /proc/self/cgroup is rooted at the sandbox's cgroups (\"/\" everywhere)" \
	[ "$(field cgroup_roots)" = / ]
check "node-cpu: zero violations (libuv's cgroup probe included)" [ "$(violations)" = 0 ]

run_ward run -p "$T/small.yaml" -- $NODE -e "$SCRIPT" "$MEMFILE" "$PIDSFILE"
# v1 rounds the limit down to pages: 300M is page-aligned, so it reads back unchanged.
check "include node-cpu + limits.memory 300M: the file and constrainedMemory() say 300M" \
	[ "$(field mem):$(field constrained):$(field pids)" = "314572800:314572800:64" ]

cat >"$T/write.yaml" <<'EOF'
name: node-write
include: [node-cpu]
env: {set: {TRY_WRITE: "1"}}
EOF
run_ward run -p "$T/write.yaml" --id ward-t-cgview-$$ -- $NODE -e "$SCRIPT" "$MEMFILE" "$PIDSFILE"
check "a write to the limit file fails EROFS (read-only mount)" [ "$(field write)" = EROFS ]
check "... and is reported as a file violation on that path" \
	event_count_is 1 "select(.kind == \"file\" and .violation and .write and .path == \"$MEMFILE\")"
check "the sandbox saw its own cgroup, not the host's tree (no ward/ below it)" \
	[ "$(field host_tree)" = false ]
check "the sandbox's cgroups are gone after exit" [ -z "$(leftover_cgroups ward-t-cgview-$$)" ]
