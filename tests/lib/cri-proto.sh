#!/bin/sh
# cri-proto.sh DIR: make DIR/api_pb2.py, the Python messages of the
# Kubernetes CRI (runtime.v1) that tests/lib/cri.py speaks, from the
# api.proto that Debian's containerd source package carries: the
# definition of exactly the containerd installed here, fetched from the
# Debian mirror apt already uses and never committed to this tree.
#
# apt-get runs with a sources list, lists and cache of its own under DIR
# (deb-src lines for the sites and suites of the host's own deb lines):
# the host's apt configuration is left as it is.  Done once per
# containerd version; DIR/api_pb2.py existing means done.
set -eu
dir=$1
[ -s "$dir/api_pb2.py" ] && exit 0
version=$(dpkg-query -W -f '${Version}' containerd 2>/dev/null) || {
	echo "cri-proto.sh: containerd is not installed (contrib/install-deps.sh)" >&2
	exit 1
}
command -v protoc >/dev/null || {
	echo "cri-proto.sh: protoc is not installed (protobuf-compiler, contrib/install-deps.sh)" >&2
	exit 1
}
mkdir -p "$dir"
work=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
apt-get indextargets --format '$(SITE) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' |
	sort -u | while read -r site release component; do
	[ -n "$site" ] && echo "deb-src $site $release $component"
done >"$work/sources.list"
# apt's lists may be gone (an image that removed them): the sources
# themselves then, one-line and deb822
if [ ! -s "$work/sources.list" ]; then
	sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?/deb-src /p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null >"$work/sources.list" || true
	awk 'BEGIN { RS = ""; FS = "\n" }
		{ t = u = s = c = ""
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/) t = $i; else if ($i ~ /^URIs:/) u = $i
			else if ($i ~ /^Suites:/) s = $i; else if ($i ~ /^Components:/) c = $i }
		  if (t !~ /[: ]deb( |$)/) next
		  sub(/^URIs:[ \t]*/, "", u); sub(/^Suites:[ \t]*/, "", s); sub(/^Components:[ \t]*/, "", c)
		  nu = split(u, us, " "); ns = split(s, ss, " ")
		  for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print "deb-src", us[i], ss[j], c }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null >>"$work/sources.list" || true
fi
[ -s "$work/sources.list" ] || {
	echo "cri-proto.sh: apt has no deb lines to take the source package's site from" >&2
	exit 1
}
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
set -- -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" \
	-o APT::Sandbox::User=root -qq
# a source of the host's that cannot be reached fails the update, not the
# download from the others
apt-get "$@" update >"$work/log" 2>&1 || true
(cd "$work" && apt-get "$@" source --download-only "containerd=$version") >>"$work/log" 2>&1 || {
	echo "cri-proto.sh: fetching the source package containerd=$version from Debian failed:" >&2
	cat "$work/log" >&2
	exit 1
}
orig=$(ls "$work"/containerd_*.orig.tar.* | head -n 1)
member=$(tar -tf "$orig" | grep '/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto$' | head -n 1)
[ -n "$member" ] || {
	echo "cri-proto.sh: $orig has no vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto" >&2
	exit 1
}
tar -xOf "$orig" "$member" >"$work/api.proto.orig"
# gogoproto's options only shape Go code, and its .proto is not packaged
sed '/gogo/d' "$work/api.proto.orig" >"$work/api.proto"
(cd "$work" && protoc --python_out=. api.proto)
mv "$work/api_pb2.py" "$dir/api_pb2.py.tmp"
mv "$dir/api_pb2.py.tmp" "$dir/api_pb2.py"
