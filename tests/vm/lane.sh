#!/bin/bash
# The VM lane of the test suite: the cgroup v2 controllers (memory, pids,
# cpu, cpuset, io) that a hybrid host keeps on cgroup v1, tested on a pure
# cgroup v2 host, the VM of tests/vm/run-in-vm.sh; and AppArmor and
# SELinux, which the host's kernel does not have.
#
#   tests/vm/lane.sh
#
# It builds nothing: it tests the host's build, $MOAT (default: ./moat of
# the repository).  Three VMs boot, one after the other (a kernel has one
# major security module at a time).  In the first, with Debian's default
# (AppArmor), tests/run-integration.sh runs
#   tests/integration/vm-cgroup-v2.bats   the VM itself, every limit's file
#                                         and its enforcement, runc's files
#   tests/integration/resources.bats      the checks a hybrid host runs with
#                                         the few controllers it has
#   tests/integration/vm-apparmor.bats    AppArmor (on in Debian's kernel):
#                                         a profile loaded, a container and
#                                         exec under it
#   tests/integration/vm-package.bats     the Debian packages, built here on
#                                         the host (contrib/build-deb.sh,
#                                         lintian), installed in the VM, where
#                                         the root's writes are thrown away
#   tests/integration/vm-criu.bats        checkpoint and restore with CRIU,
#                                         which cannot run on the host's newer
#                                         kernel
#   tests/integration/vm-criu-runc.bats   the same compared with runc's
# in the second, booted with SELinux and Debian's policy loaded,
#   tests/integration/vm-selinux.bats     process, keyring and mount labels
# and in the third, next to a systemd of the tests' own
# (tests/lib/with-systemd.sh),
#   tests/integration/vm-systemd.bats     the systemd cgroup driver
# Its output is printed as it comes; the last line is the lane's summary,
# "N passed, N failed, N skipped", the sum of the VMs' (the summaries of
# the runs in the VMs, printed before it, are marked "# in the VM:").
#
# Counted:
#   - no VM possible here (no qemu or kernel, and none installable): one
#     skip, with the reason;
#   - a VM that does not boot, stops, or is still running after
#     $MOAT_VM_LANE_TIMEOUT seconds (default 1800, for all): one failure
#     more, with the reason;
#   - otherwise the counts of the runs in the VMs.
# Exit status: 0 when nothing failed, else 1.
#
# (tests/vm/lane.sh --guest WORK LOG [--with-systemd] FILE... is the part
# that runs in a VM.)
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
cd "$repo" || exit 1

files=(tests/integration/vm-cgroup-v2.bats tests/integration/resources.bats tests/integration/vm-apparmor.bats
	tests/integration/vm-package.bats tests/integration/vm-criu.bats
	tests/integration/vm-criu-runc.bats)
selinux_files=(tests/integration/vm-selinux.bats)
systemd_files=(tests/integration/vm-systemd.bats)

# ---- in the VM ------------------------------------------------------------------

# WORK is a directory shared with the host: moat, the test bundle, and
# LOG, the log the host counts from (the console may lose or mangle a
# line; the shared file does not); --with-systemd before the files: they
# run next to a systemd of their own
guest() {
	local work=$1 log=$2 key cache=/tmp/moat-it-cache wrap=()
	shift 2
	if [ "${1:-}" = --with-systemd ]; then
		wrap=(tests/lib/with-systemd.sh)
		shift
	fi
	if [ "${MOAT_VM:-}" != 1 ]; then
		echo "lane.sh: --guest runs in the VM of tests/vm/run-in-vm.sh only" >&2
		exit 2
	fi
	# the bundle made on the host, where it takes a tenth of the time;
	# under the key run-integration.sh looks for (a stale key only means
	# the run builds its own)
	key=$(cat "$work/bundle.key" 2>/dev/null)
	if [ -n "$key" ] && [ -s "$work/bundle.tar" ] && mkdir -p "$cache/unpack" &&
		tar -C "$cache/unpack" -xf "$work/bundle.tar"; then
		mv -T "$cache/unpack/bundle" "$cache/bundle-$key"
	fi
	rm -rf "$cache/unpack"
	# the Debian packages the host built (vm-package.bats installs them here)
	MOAT_TEST_DEBS=$work/debs MOAT=$work/moat MOAT_IT_CACHE=$cache \
		"${wrap[@]}" bash tests/run-integration.sh "$@" 2>&1 | tee "$work/$log"
	exit "${PIPESTATUS[0]}"
}

if [ "${1:-}" = --guest ]; then
	shift
	[ $# -ge 3 ] || { echo "usage: lane.sh --guest WORK LOG [--with-systemd] FILE..." >&2; exit 2; }
	guest "$@"
fi

# ---- on the host ------------------------------------------------------------------

start=$SECONDS
limit=${MOAT_VM_LANE_TIMEOUT:-1800}

# the lane's last line, and its status
finish() {
	echo "# vm lane: $((SECONDS - start)) s"
	echo "$1 passed, $2 failed, $3 skipped"
	[ "$2" = 0 ]
	exit
}

moat=${MOAT:-$repo/moat}
if [ ! -x "$moat" ]; then
	echo "not ok vm lane: $moat is not built (the lane tests the host's build: make first)"
	finish 0 1 0
fi

# A host that cannot run the VM at all is a limitation of the host, said
# and counted as a skip; one that can but whose VM then fails is a failure.
if ! ready=$(tests/vm/run-in-vm.sh --check 2>&1); then
	# what the check said (apt-get's messages ...), then its reason
	echo "$ready" | sed '$d; s/^/# /'
	echo "ok vm lane # skip no VM on this host: $(echo "$ready" | tail -n 1)"
	finish 0 0 1
fi
echo "# vm lane: $(echo "$ready" | tail -n 1 | sed "s/^[^:]*: //")"

work=$(mktemp -d "${TMPDIR:-/tmp}/moat-vm-lane.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# the guest sees the host's / but a /tmp of its own: moat and the bundle
# go where it can read them (and a rebuild meanwhile changes nothing)
cp "$moat" "$work/moat" || finish 0 1 0
# run-integration.sh's bundle (make-bundle.sh forks once per busybox
# applet: seconds here, ten times that emulated), under its cache key
if sh tests/lib/make-bundle.sh "$work/bundle" "$work/moat" '["true"]' >"$work/bundle.log" 2>&1 &&
	tar -C "$work" -cf "$work/bundle.tar" bundle; then
	cat "$work/moat" tests/lib/make-bundle.sh /bin/busybox 2>/dev/null | sha256sum | cut -c1-16 >"$work/bundle.key"
fi
rm -rf "$work/bundle"
# the Debian packages, built here (in the VM it would take ten times as
# long), and what lintian says of them; a failed build is the VM test's
# to report (it finds no packages and the log)
mkdir -p "$work/debs"
if contrib/build-deb.sh "$work/debs" >"$work/debs/build.log" 2>&1; then
	lintian --fail-on error "$work"/debs/*.deb >"$work/debs/lintian.log" 2>&1
	echo $? >"$work/debs/lintian.rc"
fi

# run_vm NAME LSM FILE...: one VM, its counts added to the lane's; the
# summaries of the runs in the VMs are marked: the lane's own comes last
passed=0 failed=0 skipped=0
run_vm() {
	local name=$1 lsm=$2 rc summary why p f s left
	shift 2
	left=$((limit - (SECONDS - start)))
	if [ "$left" -le 10 ]; then
		echo "not ok vm lane ($name): no time left of the lane's ${limit}s"
		failed=$((failed + 1))
		return
	fi
	tests/vm/run-in-vm.sh --timeout "$left" --lsm "$lsm" --share "$work" -- \
		/bin/bash tests/vm/lane.sh --guest "$work" "log.$name" "$@" 2>&1 |
		sed -u 's/^[0-9]* passed, [0-9]* failed, [0-9]* skipped$/# in the VM: &/'
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$work/log.$name" 2>/dev/null | tail -n 1)
	if [ -z "$summary" ]; then
		case $rc in
		124) why="the VM was still running after ${left}s: stopped" ;;
		125) why="the VM did not boot, or stopped before the tests ended (run-in-vm.sh's reason above)" ;;
		*) why="the tests in the VM printed no summary (status $rc)" ;;
		esac
		echo "not ok vm lane ($name): $why"
		failed=$((failed + 1))
		return
	fi
	read -r p _ f _ s _ <<<"$summary"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	# run-integration.sh ends 0 or 1; anything else is the VM's doing
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		echo "not ok vm lane ($name): the VM ended with status $rc after the tests"
		failed=$((failed + 1))
	fi
}

run_vm apparmor apparmor "${files[@]}"
run_vm selinux selinux "${selinux_files[@]}"
run_vm systemd apparmor --with-systemd "${systemd_files[@]}"
finish "$passed" "$failed" "$skipped"
