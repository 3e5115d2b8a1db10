#!/bin/bash
# Run the moat integration suite (tests/integration/*.bats) as root.
#
#   tests/run-integration.sh [BATS_FILE...]
#
# Environment:
#   MOAT            the binary under test (default: ./moat of the repo)
#   MOAT_IT_CACHE   where the test bundle is cached (default /tmp/moat-it-cache)
#
# The suite runs in a private mount namespace and a private pid namespace:
#  - if /sys/fs/cgroup is not a cgroup2 mount (hybrid or v1 host), a cgroup2
#    hierarchy is mounted on /sys/fs/cgroup in that mount namespace only, so
#    moat and the tests see a unified hierarchy; the host is left untouched;
#  - this script is pid 1 of the pid namespace: it reaps the container inits
#    orphaned by `moat run -d` / `moat create`, and when it ends the kernel
#    kills whatever a test leaked.
# At the end it prints "N passed, N failed, N skipped" and exits non-zero if
# any test failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "run-integration.sh: the integration tests must run as root" >&2
	exit 2
fi

if [ "${MOAT_IT_INNER:-}" != 1 ]; then
	export MOAT_IT_INNER=1
	# --kill-child: if unshare dies, pid 1 of the namespace (and so every
	# process in it) is killed too.
	if unshare --mount --propagation private --pid --fork --kill-child --mount-proc true 2>/dev/null; then
		exec unshare --mount --propagation private --pid --fork --kill-child \
			--mount-proc -- /bin/bash "$0" "$@"
	fi
	# no pid namespace possible: a private mount namespace only (orphaned
	# inits become zombies of pid 1, which moat treats as stopped)
	exec unshare --mount --propagation private -- /bin/bash "$0" "$@"
fi

# ---- from here on: pid 1 of a private pid + mount namespace ----------------

if [ "$$" != 1 ]; then
	echo "run-integration.sh: warning: not pid 1 of a pid namespace; orphaned inits become zombies" >&2
fi

if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	mount --make-rprivate / &&
		mount -t cgroup2 none /sys/fs/cgroup || {
		echo "run-integration.sh: cannot mount cgroup2 on /sys/fs/cgroup" >&2
		exit 2
	}
fi

export MOAT=${MOAT:-$repo/moat}
if [ ! -x "$MOAT" ]; then
	echo "run-integration.sh: $MOAT is not executable (run make first)" >&2
	exit 2
fi
case $MOAT in /*) ;; *) MOAT=$(pwd)/$MOAT ;; esac
# test a private copy: the binary in the tree may be rebuilt while we run
rundir=$(mktemp -d /tmp/moat-it-run.XXXXXX)
trap 'rm -rf "$rundir"' EXIT
cp "$MOAT" "$rundir/moat" || exit 2
MOAT=$rundir/moat

# ---- the test bundle, built once per binary and cached ---------------------
# keyed by the content of the binary (its `spec` output), make-bundle.sh and
# busybox; concurrent runs share it and never remove a bundle in use
cache=${MOAT_IT_CACHE:-/tmp/moat-it-cache}
key=$(cat "$MOAT" "$repo/tests/lib/make-bundle.sh" /bin/busybox 2>/dev/null | sha256sum | cut -c1-16)
export MOAT_TEST_BUNDLE=$cache/bundle-$key
mkdir -p "$cache" || exit 2
if [ ! -f "$MOAT_TEST_BUNDLE/config.json" ]; then
	build=$(mktemp -d "$cache/build.XXXXXX") || exit 2
	if ! sh "$repo/tests/lib/make-bundle.sh" "$build/bundle" "$MOAT" '["true"]' >"$build/log" 2>&1; then
		echo "run-integration.sh: building the test bundle failed:" >&2
		cat "$build/log" >&2
		rm -rf "$build"
		exit 2
	fi
	# atomic; fails harmlessly if a concurrent run got there first
	mv -T "$build/bundle" "$MOAT_TEST_BUNDLE" 2>/dev/null
	rm -rf "$build"
	# drop bundles of binaries not tested for two days
	find "$cache" -mindepth 1 -maxdepth 1 -name 'bundle-*' -mmin +2880 -exec rm -rf {} + 2>/dev/null
fi
touch "$MOAT_TEST_BUNDLE"

# ---- run bats ---------------------------------------------------------------
if [ $# -gt 0 ]; then
	files=("$@")
else
	files=("$repo"/tests/integration/*.bats)
fi

tap=$(mktemp /tmp/moat-it-tap.XXXXXX)
# bats runs as a child (not exec'ed) so that this shell stays pid 1 and reaps
# orphans while it waits.
bats --tap "${files[@]}" | tee "$tap"
bats_rc=${PIPESTATUS[0]}

passed=0 failed=0 skipped=0
while IFS= read -r line; do
	case $line in
	"not ok "*) failed=$((failed + 1)) ;;
	"ok "*" # skip"*) skipped=$((skipped + 1)) ;;
	"ok "*) passed=$((passed + 1)) ;;
	esac
done <"$tap"
rm -f "$tap"

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$bats_rc" -ne 0 ]; then
	exit 1
fi
exit 0
