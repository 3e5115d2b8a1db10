#!/bin/sh
# contrib/build-deb.sh [OUTDIR]: build the Debian packages of this tree
# (moat, libmoat0, libmoat-dev) into OUTDIR (default: the current
# directory).  The packaging is contrib/debian; it is copied to debian/
# in a copy of the tree's tracked files, built there with
#   dpkg-buildpackage -us -uc -b
# (dpkg-dev and debhelper, and the build dependencies of
# contrib/debian/control, from Debian), and the copy is removed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
for t in dpkg-buildpackage dh; do
	command -v $t >/dev/null || { echo "build-deb.sh: $t is not installed (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/moat-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/moat"
# the tracked files, as they are in the tree now
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -C "$work/moat" -xf -
cp -r "$top/contrib/debian" "$work/moat/debian"
(cd "$work/moat" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (the end of its log above)" >&2
	exit 1
}
cp "$work"/*.deb "$out"/
ls "$out"/*.deb
