#!/bin/sh
# Installs ward's build and test dependencies with apt-get, only when some are missing.
#   tools/deps.sh           install what is missing (root)
#   tools/deps.sh --check   exit 1 when something is missing, install nothing
#   tools/deps.sh --quiet   as the first, quieter
set -eu
PKGS="make gcc libc6-dev pkg-config libseccomp-dev libcap-dev libbpf-dev bpftool clang llvm
libelf-dev zlib1g-dev libcmocka-dev libyaml-dev libjansson-dev jq python3 python3-numpy
python3-torch bubblewrap util-linux iproute2 rsyslog curl procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
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
