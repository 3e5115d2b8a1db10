#!/bin/sh
# make-bundle.sh DIR [MOAT] [ARGS_JSON]
# Build an OCI bundle in DIR: a busybox-static root filesystem and a
# config.json made from the one of `moat spec`, with process.args
# replaced by ARGS_JSON (default: a greeting printed from inside the
# container).
#
# The config is, by default, the plain one the tests and the bench start
# from (and runc and crun run): `moat spec`'s without what makes it
# hardened — no user namespace, the process root with the bounding set
# effective, no pids limit, /tmp not noexec, devpts with gid=5, and no
# seccomp profile (the tests add the profiles they test; the default
# one and the hardened config are tested on their own).  With
# MOAT_BUNDLE_CONFIG=spec it is `moat spec`'s as it is (make demo).
# Needs jq.
set -eu
dir=$1
moat=${2:-./moat}
args=${3:-'["sh", "-c", "echo \"Hello from inside a moat container: hostname $(hostname), pid $$, uid $(id -u), root $(grep -c . /proc/self/mountinfo) mounts\""]'}

busybox=
for b in /bin/busybox /usr/bin/busybox; do
  if [ -x "$b" ]; then busybox=$b; break; fi
done
if [ -z "$busybox" ]; then
  echo "make-bundle.sh: busybox not found (apt-get install busybox-static)" >&2
  exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make-bundle.sh: $busybox is dynamically linked (apt-get install busybox-static)" >&2
  exit 1
fi

rootfs=$dir/rootfs
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp" \
  "$rootfs/etc" "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

rm -f "$dir/config.json"
"$moat" spec --bundle "$dir"
if [ "${MOAT_BUNDLE_CONFIG:-plain}" = spec ]; then
  plain=false
else
  plain=true
fi
tmp=$dir/config.json.tmp
jq --argjson args "$args" --argjson plain "$plain" '
  .process.args = $args
  | if $plain then
      .process.user = {uid: 0, gid: 0}
      | .process.capabilities.bounding as $b
      | .process.capabilities = {bounding: $b, effective: $b, permitted: $b}
      | .linux.namespaces |= map(select(.type != "user"))
      | del(.linux.resources) | del(.linux.seccomp)
      | .mounts |= map(if .destination == "/tmp" then .options |= map(select(. != "noexec"))
                       elif .destination == "/dev/pts" then .options += ["gid=5"]
                       else . end)
    else . end' "$dir/config.json" >"$tmp"
mv "$tmp" "$dir/config.json"
