#!/bin/sh
# Installs ward's build and test dependencies with apt-get, only when some are missing.
#   tools/deps.sh           install what is missing (root)
#   tools/deps.sh --check   exit 1 when something is missing, install nothing
#   tools/deps.sh --quiet   as the first, quieter
# Then the npm packages of the engine tests (tools/engines.sh: node-llama-cpp, onnxruntime-node,
# pinned by engines/package-lock.json), also only when missing.
set -eu
engines() {
	# With --quiet (make check, make demo) a failure here is a warning: `make engines`, which
	# the integration tests depend on, runs it again and stops there with the reason.
	"$(dirname "$0")/engines.sh" ${1:+"$1"} && return 0
	[ "${1:-}" = "--quiet" ] && return 0
	exit 1
}
PKGS="make gcc libc6-dev pkg-config libseccomp-dev libcap-dev libbpf-dev bpftool clang llvm
libelf-dev zlib1g-dev libcmocka-dev libyaml-dev libjansson-dev jq python3 python3-numpy
python3-torch bubblewrap util-linux iproute2 rsyslog curl procps python3-onnx podman crun"
# node for the engine tests: Debian's nodejs and npm only when there is no node at all (a newer
# one already installed, e.g. NodeSource's, is kept: node-llama-cpp needs node >= 20 and
# Debian 12's nodejs is 18.20, which tools/engines.sh refuses with that reason).
[ -x /usr/bin/node ] || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	engines "${1:-}"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "ward: these packages are missing:$missing; run 'make deps' as root" >&2
	exit 1
fi
[ "${1:-}" = "--quiet" ] || echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
engines "${1:-}"
