#!/bin/bash
# Inference throughput of the real engines, bare vs sandboxed: llama.cpp (node-llama-cpp,
# tokens/s of greedy generation on the tiny GGUF) under profiles/llama-cpu.yaml, ONNX
# Runtime (onnxruntime-node, inferences/s of the small MLP) under profiles/onnx-cpu.yaml and
# PyTorch (Debian's python3-torch, forward passes/s of bench/torch_infer.py's MLP, one thread)
# under profiles/python-cpu.yaml.
# Runs alternate (bare, sandboxed, bare, ...) so that drift hits both alike; each figure is the
# engine's own rate over SECONDS after the model is loaded and run once, so the launch is not
# in it. Prints the medians and the median of the per-pair slowdowns (bare rate / sandboxed
# rate; target <= 1.02x), then the launch cost (node doing nothing) on a line of its own.
# Both sides are pinned to one CPU (CPU=, default the last one; CPU=none to not pin): on a small
# VM an unpinned single-threaded run wanders between cores and its rate varies by +-30%.
# Usage: bench/engines.sh [RUNS] [SECONDS]   (root; builds what it needs with make engines)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-7}
SECS=${2:-3}
WARD=${WARD:-build/ward}
NODE=/usr/bin/node
PY=/usr/bin/python3
make -s engines
T=$(mktemp -d /var/tmp/ward-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
cp build/engines/tiny.gguf build/engines/tiny.onnx "$T/"
chmod 0644 "$T"/tiny.*
B=(--bind "$T:/opt/models:ro" --bind "$PWD/engines:/opt/engines:ro")
# The environment both sides run with (the profiles set these in the sandbox; ward passes
# nothing else, so nothing else may change the bare side: NODE_EXTRA_CA_CERTS alone made bare
# node start 20 ms slower, loading a CA bundle).
export ORT_DISABLE_TELEMETRY=1 HOME=$T
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
CPU=${CPU:-$(($(nproc) - 1))}
if [ "$CPU" != none ]; then
	taskset -pc "$CPU" $$ >/dev/null # inherited by both sides
fi

rate() { sed -n "s|^$1: \([0-9.]*\).*|\1|p" | tail -n 1; }

lb=() ls=() ob=() os=() tb=() ts=() lr=() or=() tr=()
for ((i = 0; i < RUNS; i++)); do
	a=$($NODE engines/llama_infer.mjs "$T/tiny.gguf" --tokens 64 --bench "$SECS" | rate tokens/s)
	b=$("$WARD" run -p llama-cpu -e none "${B[@]}" -- $NODE /opt/engines/llama_infer.mjs \
		/opt/models/tiny.gguf --tokens 64 --bench "$SECS" | rate tokens/s)
	c=$($NODE engines/onnx_infer.mjs "$T/tiny.onnx" --bench "$SECS" | rate inferences/s)
	d=$("$WARD" run -p onnx-cpu -e none "${B[@]}" -- $NODE /opt/engines/onnx_infer.mjs \
		/opt/models/tiny.onnx --bench "$SECS" | rate inferences/s)
	e=$($PY bench/torch_infer.py "$SECS" | rate inferences/s)
	f=$("$WARD" run -p python-cpu -e none --bind "$PWD/bench:/opt/bench:ro" -- $PY \
		/opt/bench/torch_infer.py "$SECS" | rate inferences/s)
	lb+=("$a") ls+=("$b") ob+=("$c") os+=("$d") tb+=("$e") ts+=("$f")
	lr+=("$(echo "$a $b" | awk '{printf "%.4f", $1 / $2}')")
	or+=("$(echo "$c $d" | awk '{printf "%.4f", $1 / $2}')")
	tr+=("$(echo "$e $f" | awk '{printf "%.4f", $1 / $2}')")
	echo "# run $((i + 1)): llama $a / $b tokens/s, onnx $c / $d inferences/s, torch $e / $f inferences/s (bare / sandboxed)" >&2
done

# Launch: `node -e 0`, bare vs under node-cpu, 21 alternating runs, medians in ms.
ms() {
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / 1000000))
}
nb=() ns=()
for ((i = 0; i < 21; i++)); do
	nb+=("$(ms $NODE -e 0)")
	ns+=("$(ms "$WARD" run -p node-cpu -e none -- $NODE -e 0)")
done

m() { printf '%s\n' "$@" | median; }
# Other work on the machine moves these figures more than ward does: say how busy it was.
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN) CPUs; pinned to CPU $CPU"
printf 'llama.cpp    (node-llama-cpp 3.21.1, 1 thread): bare %s tokens/s, sandboxed %s tokens/s, slowdown %sx (median of %d pairs, %ss each)\n' \
	"$(m "${lb[@]}")" "$(m "${ls[@]}")" "$(m "${lr[@]}")" "$RUNS" "$SECS"
printf 'ONNX Runtime (onnxruntime-node 1.30.0, 1 thread): bare %s inferences/s, sandboxed %s inferences/s, slowdown %sx (median of %d pairs, %ss each)\n' \
	"$(m "${ob[@]}")" "$(m "${os[@]}")" "$(m "${or[@]}")" "$RUNS" "$SECS"
printf 'PyTorch      (python3-torch %s, 1 thread): bare %s inferences/s, sandboxed %s inferences/s, slowdown %sx (median of %d pairs, %ss each)\n' \
	"$($PY -c 'import torch; print(torch.__version__.split("+")[0])')" \
	"$(m "${tb[@]}")" "$(m "${ts[@]}")" "$(m "${tr[@]}")" "$RUNS" "$SECS"
printf 'launch (node -e 0): bare %s ms, under node-cpu %s ms, ward adds %s ms (medians of 21)\n' \
	"$(m "${nb[@]}")" "$(m "${ns[@]}")" "$(($(m "${ns[@]}") - $(m "${nb[@]}")))"
