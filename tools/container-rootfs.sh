#!/bin/bash
# Builds a minimal container root filesystem from the host's own files (no registry needed):
# build/ward and its libraries, python3 with its standard library and numpy (what
# examples/model.py needs), the example model (examples/model.py, build/model), and the few /etc
# files profiles/python-cpu.yaml binds. tests/integration/container_podman.sh imports it with
# `podman import`.
#   tools/container-rootfs.sh DIR     (DIR must not exist; run from the source tree, after make)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tools/container-rootfs.sh DIR}
[ ! -e "$out" ] || {
	echo "$out exists" >&2
	exit 1
}
[ -x build/ward ] && [ -f build/model/weights.npz ] || {
	echo "build/ward or build/model missing: run make and make examples" >&2
	exit 1
}
mkdir -p "$out"

# copy PATH...: each path (its directory canonical, so the merged-/usr links stay links) goes
# on the list; a symlink is followed one hop at a time (libblas.so.3 -> /etc/alternatives/...
# -> blas/libblas.so.3 -> ...), so every link on the chain is there. One tar copies the list.
list=$out.list
: >"$list"
copy() {
	local p d t
	for p in "$@"; do
		[ -e "$p" ] || [ -L "$p" ] || continue
		d=$(readlink -f "$(dirname "$p")")/$(basename "$p")
		grep -qxF "${d#/}" "$list" && continue
		echo "${d#/}" >>"$list"
		if [ -L "$d" ]; then
			t=$(readlink "$d")
			case $t in /*) ;; *) t=$(dirname "$d")/$t ;; esac
			copy "$t"
		fi
	done
}
# The shared libraries a binary or extension module loads (ldd runs nothing: it asks ld.so).
libs() {
	ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u
}

py=$(readlink -f /usr/bin/python3)
pyver=$(basename "$py")
numpy=$(/usr/bin/python3 -c 'import numpy, os; print(os.path.dirname(numpy.__file__))')
# merged /usr: /bin, /lib, /lib64, /sbin are symlinks into /usr on Debian 12.
for l in bin lib lib64 sbin; do
	if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$out/$l"; else mkdir -p "$out/$l"; fi
done
mkdir -p "$out/usr/bin" "$out/usr/lib" "$out/usr/sbin" "$out/etc"
copy /usr/bin/python3 "$py" "/usr/lib/$pyver" /etc/"$pyver" /etc/python3
copy "$numpy" "$(dirname "$numpy")"/numpy-*
copy /etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d /etc/localtime /etc/nsswitch.conf
# /etc/alternatives: numpy's BLAS and LAPACK are found through it.
sos=$(find "$numpy" "/usr/lib/$pyver/lib-dynload" -name '*.so' | tr '\n' ' ')
# shellcheck disable=SC2086
copy $(libs build/ward "$py" $sos)
tar -C / -cf - -T "$list" | tar -C "$out" -xf -
rm -f "$list"
# The standard library's test suite is a third of its size and never imported.
rm -rf "$out/usr/lib/$pyver/test" "$out/usr/lib/$pyver/__pycache__"

mkdir -p "$out/usr/local/bin" "$out/opt/models" "$out/tmp" "$out/root" \
	"$out/proc" "$out/sys" "$out/dev" "$out/run"
chmod 1777 "$out/tmp"
cp build/ward "$out/usr/local/bin/ward"
cp examples/model.py "$out/opt/models/"
cp build/model/weights.npz build/model/input.npy "$out/opt/models/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
	>"$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$out/etc/group"
