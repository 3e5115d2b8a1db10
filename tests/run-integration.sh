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
# After bats, a suite-wide check looks for what this run left behind (see
# "leak check" below); it counts as one more test.
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
	# next to the systemd of tests/lib/with-systemd.sh, its pid namespace
	# is this run's: systemd (pid 1) reaps orphans, and its clients
	# (systemctl) refuse a manager whose pid they cannot see
	if [ "${MOAT_WITH_SYSTEMD:-}" = 1 ]; then
		exec unshare --mount --propagation private -- /bin/bash "$0" "$@"
	fi
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

if [ "$$" != 1 ] && [ "${MOAT_WITH_SYSTEMD:-}" != 1 ]; then
	echo "run-integration.sh: warning: not pid 1 of a pid namespace; orphaned inits become zombies" >&2
fi

if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	mount --make-rprivate / &&
		mount -t cgroup2 none /sys/fs/cgroup || {
		echo "run-integration.sh: cannot mount cgroup2 on /sys/fs/cgroup" >&2
		exit 2
	}
	# the host's own layout is under it: hybrid.bats unmounts it again in
	# a namespace of its own
	export MOAT_IT_HOST_LAYOUT_UNDER=1
fi

# a /dev/shm of this run: Podman (podman.bats) keeps its locks there, and a
# lock another Podman left held would make this run's wait for it
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm 2>/dev/null

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

# ---- leak check: what this run could leave behind ----------------------------
# Snapshotted before bats and compared after it, counting only what is this
# run's (other engineers run the suite on the same machine at the same time):
#  - processes of this run's pid namespace (all of them but this shell, pid
#    1, once bats has ended); without a pid namespace, the processes that
#    carry this run's MOAT_IT_RUN token in their environment;
#  - mounts of this run's private mount namespace;
#  - cgroups (anywhere under the cgroup2 mount) whose names hold this run's
#    suffix: helpers.bash names containers it<N>-<suffix of BATS_RUN_TMPDIR>,
#    and bats reports that directory at exit (--no-tempdir-cleanup);
#  - state directories: under the tests' state roots (kept in the bats
#    temporary directory until the check is done) any state.json or <root>/.tmp
#    entry, and under /run/moat the new entries named with this run's suffix.
leak_token=${rundir##*.}-$$-$RANDOM
export MOAT_IT_RUN=$leak_token
cgmount=/sys/fs/cgroup
default_root=/run/moat

# the live (not zombie) processes of the check's scope, "PID" lines.
# Called in this shell, never in a pipeline or $(...): the listing must not
# see processes of its own.
leak_processes() {
	if [ "$$" = 1 ]; then
		local d pid stat
		for d in /proc/[0-9]*; do
			pid=${d#/proc/}
			[ "$pid" = 1 ] && continue
			read -r stat <"$d/stat" 2>/dev/null || continue
			stat=${stat##*) }
			case ${stat%% *} in Z | X) continue ;; esac
			echo "$pid"
		done
	else
		# grep runs without the token: it does not find itself
		env -u MOAT_IT_RUN grep -lzx "MOAT_IT_RUN=$leak_token" /proc/[0-9]*/environ \
			>"$rundir/leak-environ" 2>/dev/null
		sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p' "$rundir/leak-environ" | grep -vx "$$"
	fi
	return 0
}

# "MOUNT_ID MOUNTPOINT FSTYPE SOURCE ROOT" of this mount namespace
leak_mounts() {
	awk '{ for (i = 7; $i != "-"; i++) ; print $1, $5, $(i + 1), $(i + 2), $4 }' /proc/self/mountinfo
}

leak_before=$rundir/leak-before
mkdir -p "$leak_before" || exit 2
leak_processes >"$leak_before/processes"
leak_mounts >"$leak_before/mounts"
find "$cgmount" -mindepth 1 -type d 2>/dev/null | sort >"$leak_before/cgroups"
ls -A "$default_root" 2>/dev/null | sort >"$leak_before/default-root"

# unmount what is mounted under DIR (this run's mount namespace only)
leak_umount_under() {
	local m
	awk -v t="$1" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
}

# what this run left: one line per thing, on stdout
leak_check() {
	local suffix=$1 runtmp=$2 pid i
	# processes may still be on their way out (killed at the end of a test)
	for ((i = 0; i < 30; i++)); do
		leak_processes >"$rundir/leak-processes"
		grep -vxF -f "$leak_before/processes" "$rundir/leak-processes" >"$rundir/leak-new-processes"
		[ -s "$rundir/leak-new-processes" ] || break
		sleep 0.1
	done
	while read -r pid; do
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)(cgroup $(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null))"
	done <"$rundir/leak-new-processes"
	# by the whole line: a mount id freed during the run may be reused.
	# Not counted: /run/netns bound on itself, which ip-netns, netavark and
	# CNI (podman.bats) make once per mount namespace to share it, and
	# Podman's overlay storage directory bound on itself (private), which
	# its storage driver makes once per mount namespace and keeps while it
	# counts a layer mounted (its containers' own mounts are below it, and
	# are counted).
	leak_mounts | awk 'NR == FNR { before[$0] = 1; next }
		$0 in before { next }
		$2 == "/run/netns" && $5 ~ /\/run\/netns$/ { print "mount " $2 " (" $3 " from " $4 ")" >"/dev/stderr"; next }
		$2 ~ /\/containers\/storage\/overlay$/ && substr($2, length($2) - length($5) + 1) == $5 { print "mount " $2 " (" $3 " from " $4 ")" >"/dev/stderr"; next }
		{ print "mount " $2 " (" $3 " from " $4 ")" }' "$leak_before/mounts" - 2>"$rundir/leak-not-counted"
	if [ -n "$suffix" ]; then
		local cg
		find "$cgmount" -mindepth 1 -type d -name "*-$suffix*" 2>/dev/null | sort |
			comm -13 "$leak_before/cgroups" - | while read -r cg; do
			echo "cgroup $cg (processes: $(tr '\n' ' ' <"$cg/cgroup.procs" 2>/dev/null))"
		done
		local e
		ls -A "$default_root" 2>/dev/null | sort | comm -13 "$leak_before/default-root" - |
			grep -F -- "-$suffix" | while read -r e; do
			echo "state directory $default_root/$e"
		done
	fi
	if [ -n "$runtmp" ] && [ -d "$runtmp" ]; then
		# reported above; the search below must not go through them
		leak_umount_under "$runtmp"
		local f
		find "$runtmp" -name .tmp -prune -o -name state.json -type f -print 2>/dev/null | while read -r f; do
			echo "state directory ${f%/state.json} ($(jq -r '.status + ", pid " + (.pid | tostring)' "$f" 2>/dev/null))"
		done
		find "$runtmp" -path '*/.tmp/*' -prune 2>/dev/null | while read -r f; do
			echo "temporary $f"
		done
	fi
	return 0
}

# remove what the check found, so that it does not outlive this run: the
# cgroups on the host (deepest first); processes and mounts go with the
# namespaces when this shell ends
leak_cleanup() {
	local suffix=$1 cg
	[ -n "$suffix" ] || return 0
	find "$cgmount" -mindepth 1 -type d -name "*-$suffix*" 2>/dev/null | sort |
		comm -13 "$leak_before/cgroups" - | sort -r | while read -r cg; do
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
	done
}

# ---- run bats ----------------------------------------------------------------
tap=$(mktemp /tmp/moat-it-tap.XXXXXX)
bats_err=$rundir/bats.stderr
# bats runs as a child (not exec'ed) so that this shell stays pid 1 and reaps
# orphans while it waits.  It keeps its temporary directory (the tests' state
# roots) for the leak check, and names it on its stderr at exit.
bats --tap --no-tempdir-cleanup "${files[@]}" 2>"$bats_err" | tee "$tap"
bats_rc=${PIPESTATUS[0]}
runtmp=$(sed -n 's/^BATS_RUN_TMPDIR: //p' "$bats_err" | tail -n 1)
case $runtmp in
*/bats-run-*) trap 'leak_umount_under "$runtmp"; rm -rf "$runtmp" "$rundir"' EXIT ;;
*) runtmp= ;;
esac
grep -v '^BATS_RUN_TMPDIR: ' "$bats_err" >&2

passed=0 failed=0 skipped=0 total=0
while IFS= read -r line; do
	case $line in
	"not ok "*) failed=$((failed + 1)) ;;
	"ok "*" # skip"*) skipped=$((skipped + 1)) ;;
	"ok "*) passed=$((passed + 1)) ;;
	*) continue ;;
	esac
	total=$((total + 1))
done <"$tap"
rm -f "$tap"

suffix=
case $runtmp in */bats-run-*) suffix=${runtmp##*-} ;; esac
if [ -z "$runtmp" ]; then
	echo "# leak check: bats did not name its temporary directory: cgroups and state roots not checked" >&2
fi
leak_check "$suffix" "$runtmp" >"$rundir/leftovers"
if [ -s "$rundir/leak-not-counted" ]; then
	echo "# leak check: left, as expected, not counted:"
	sed 's/^/#   /' "$rundir/leak-not-counted"
fi
if [ -s "$rundir/leftovers" ]; then
	echo "not ok $((total + 1)) leak check: this run left $(wc -l <"$rundir/leftovers") thing(s) behind"
	sed 's/^/# /' "$rundir/leftovers"
	failed=$((failed + 1))
	leak_cleanup "$suffix"
else
	echo "ok $((total + 1)) leak check: nothing left behind${suffix:+ (run suffix $suffix)}"
	passed=$((passed + 1))
fi
if [ -n "$runtmp" ] && [ -d "$runtmp" ]; then
	# never remove through a mount left under it
	leak_umount_under "$runtmp"
	rm -rf "$runtmp"
fi

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$bats_rc" -ne 0 ]; then
	exit 1
fi
exit 0
