#!/bin/sh
# Install what moat needs to build and to run its tests on Debian bookworm,
# and give the user `containers` subordinate id ranges when it has none:
# the automatic user namespaces of containers run by root (the config
# `moat spec` writes, create --userns auto) take their ids there, as
# Podman's --userns=auto does (the range Podman's documentation gives).
set -eu
add_containers_range() {
  for f in /etc/subuid /etc/subgid; do
    if ! grep -q '^containers:' "$f" 2>/dev/null; then
      echo "install-deps.sh: adding containers:2147483647:2147483648 to $f"
      echo 'containers:2147483647:2147483648' >>"$f"
    fi
  done
}
packages="autoconf automake libtool pkg-config make gcc libseccomp-dev libyajl-dev
  libcap-dev libselinux1-dev libsystemd-dev busybox-static bats jq uidmap iproute2
  podman containerd runc crun buildah slirp4netns catatonit apparmor selinux-policy-default policycoreutils
  criu libprotobuf-c-dev
  golang-github-opencontainers-specs-dev python3-jsonschema
  containernetworking-plugins protobuf-compiler python3-grpcio python3-protobuf python3-websocket
  dpkg-dev debhelper lintian man-db
  util-linux procps libc6-dev tmux
  clang libclang-rt-14-dev llvm-14"
missing=
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ "$(id -u)" != 0 ]; then
  [ -z "$missing" ] && grep -q '^containers:' /etc/subuid 2>/dev/null &&
    grep -q '^containers:' /etc/subgid 2>/dev/null && exit 0
  echo "install-deps.sh: missing packages:$missing, or ranges for containers in" \
    "/etc/subuid and /etc/subgid (run as root)" >&2
  exit 1
fi
add_containers_range
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
