#!/bin/sh
# Install what moat needs to build and to run its tests on Debian bookworm.
set -eu
packages="autoconf automake libtool pkg-config make gcc libseccomp-dev libyajl-dev
  libcap-dev libselinux1-dev libsystemd-dev busybox-static bats jq uidmap iproute2
  podman containerd runc crun buildah slirp4netns apparmor selinux-policy-default policycoreutils
  dpkg-dev debhelper lintian man-db
  util-linux procps libc6-dev
  clang libclang-rt-14-dev llvm-14"
missing=
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: missing packages:$missing (run as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
