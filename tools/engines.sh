#!/bin/sh
# Installs the inference engines the engine tests and benchmarks run, pinned by
# engines/package-lock.json: node-llama-cpp 3.21.1 (llama.cpp, prebuilt CPU binaries) and
# onnxruntime-node 1.30.0 (ONNX Runtime). From the npm registry, into engines/node_modules.
#   tools/engines.sh          install when missing or when the lock file changed (quick no-op otherwise)
#   tools/engines.sh --check  exit 1 when not installed, install nothing
#
# `npm ci --ignore-scripts`: exactly the lock file, and no install scripts, so nothing is
# downloaded or built beyond the registry's tarballs (onnxruntime-node's postinstall would fetch
# its CUDA parts from GitHub, node-llama-cpp's would build llama.cpp from source when no
# prebuilt binary fits). The ONNXRUNTIME_NODE_INSTALL* variables say the same, should a script
# ever run. Afterwards the prebuilt llama.cpp binary is loaded once offline, with the options
# engines/llama_infer.mjs uses (gpu: false, build: "never"), to prove it works here.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/engines
stamp=$dir/node_modules/.ward-installed
NODE=${NODE:-/usr/bin/node}

if [ ! -x "$NODE" ]; then
	echo "ward: $NODE is missing: run 'make deps' (Debian's nodejs package)" >&2
	exit 1
fi
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	# Debian 12's nodejs is 18.20: node-llama-cpp's dependencies use RegExp /v (node 20+).
	echo "ward: node $("$NODE" --version) is too old: node-llama-cpp 3.21 needs node >= 20" >&2
	exit 1
fi
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) node-$("$NODE" --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "ward: engines not installed (tools/engines.sh)" >&2
	exit 1
fi
command -v npm >/dev/null || {
	echo "ward: npm is missing: run 'make deps'" >&2
	exit 1
}
echo "  NPM      engines/node_modules (node-llama-cpp, onnxruntime-node)"
cd "$dir"
rm -f "$stamp"
ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip \
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
"$NODE" "$dir/selftest.mjs" >/dev/null
echo "$want" >"$stamp"
