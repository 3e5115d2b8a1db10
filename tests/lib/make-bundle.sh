#!/bin/sh
# make-bundle.sh DIR [MOAT] [ARGS_JSON]
# Build an OCI bundle in DIR: a busybox-static root filesystem and the
# config.json of `moat spec`, with process.args replaced by ARGS_JSON
# (default: a greeting printed from inside the container).  The config
# has no seccomp profile (the tests add the profiles they test, and the
# default one is tested on its own) unless MOAT_BUNDLE_SECCOMP=keep.
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
# replace the default args with ARGS_JSON (one line in the generated file)
tmp=$dir/config.json.tmp
ARGS=$args awk '
  /"args": \[ "sh" \]/ && !done { i = index($0, "[ \"sh\" ]"); $0 = substr($0, 1, i - 1) ENVIRON["ARGS"] substr($0, i + 8); done = 1 }
  { print }' "$dir/config.json" >"$tmp"
mv "$tmp" "$dir/config.json"
if [ "${MOAT_BUNDLE_SECCOMP:-}" != keep ]; then
  # linux.seccomp is the last member of linux: from its first line to its
  # closing brace, and the comma before it
  awk '
    /^    "seccomp": \{$/ { skip = 1; sub(/,$/, "", held); next }
    skip { if ($0 == "    }") skip = 0; next }
    { if (have) print held; held = $0; have = 1 }
    END { if (have) print held }' "$dir/config.json" >"$tmp"
  mv "$tmp" "$dir/config.json"
fi
