#!/bin/bash
# Run a command next to a systemd of its own, for the tests of the
# systemd cgroup driver (tests/integration/vm-systemd.bats), in the VM of
# tests/vm/run-in-vm.sh:
#
#   tests/lib/with-systemd.sh COMMAND [ARG...]
#
# Debian's systemd starts as PID 1 of a fresh pid and mount namespace
# (systemd supports running in a container: $container says it is one),
# in a cgroup of its own, /sys/fs/cgroup/moat-systemd, which it takes as
# its root.  It starts one target of ours (first in SYSTEMD_UNIT_PATH),
# which needs nothing, so it starts nothing else; the transient scopes
# moat asks for are its only work.  (The default unit paths stay after
# ours: the drop-ins of runtime property changes, which a daemon-reload
# reads back, are found there.)  COMMAND runs in its namespaces: the manager refuses a client
# whose pid it cannot see, and talks over /run/systemd/private (no D-Bus
# daemon).  When COMMAND ends, systemd and everything it has are killed
# and its cgroups removed.
#
# Exit status: COMMAND's; 125 when systemd did not come up (why on
# stderr); 2 when not in the VM (it would take /run/systemd over).
set -u

prog=${0##*/}
[ $# -ge 1 ] || { echo "usage: $prog COMMAND [ARG...]" >&2; exit 2; }
if [ "${MOAT_VM:-}" != 1 ]; then
	echo "$prog: runs in the VM of tests/vm/run-in-vm.sh only" >&2
	exit 2
fi

systemd=/lib/systemd/systemd
cg=/sys/fs/cgroup/moat-systemd
units=$(mktemp -d /tmp/moat-systemd-units.XXXXXX) || exit 125
log=$units.log
cat >"$units/moat-test.target" <<'UNIT'
[Unit]
Description=the systemd of moat's tests
UNIT
# what would clean or cover the VM's /tmp (the tests' files) should a test
# start a unit that pulls in sysinit.target: masked
for u in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.service tmp.mount; do
	ln -s /dev/null "$units/$u"
done

die() {
	echo "$prog: $*" >&2
	[ -s "$log" ] && sed 's/^/# systemd: /' "$log" >&2
	exit 125
}

[ -x "$systemd" ] || die "no $systemd (the systemd package)"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || die "/sys/fs/cgroup is not cgroup2"
mkdir -p "$cg" || die "cannot make $cg"

# unshare waits in the root cgroup; the child moves itself into $cg
# first, so that systemd finds its root cgroup without other processes
# (the kernel lets a non-root cgroup with processes enable no controller)
unshare --pid --mount --fork --mount-proc --kill-child \
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
	env -i container=moat-test SYSTEMD_UNIT_PATH="$units:" PATH="$PATH" \
	"$systemd" --system --unit=moat-test.target --show-status=no --log-target=console --log-level=warning \
	</dev/null >"$log" 2>&1 &
holder=$!

cleanup() {
	kill -9 "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	# deepest first; a cgroup whose last process is still dying is retried
	local try d
	for try in 1 2 3 4 5 6 7 8 9 10; do
		[ -d "$cg" ] || break
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$cg" ] && sleep 0.2
	done
	rm -rf "$units" "$log"
}
trap cleanup EXIT

# systemd is unshare's child (sh and env exec it)
pid=
for _ in $(seq 150); do
	kill -0 "$holder" 2>/dev/null || die "systemd ended before it was ready"
	[ -n "$pid" ] || pid=$(pgrep -P "$holder" | head -n 1)
	if [ -n "$pid" ] && [ -S /run/systemd/private ] &&
		nsenter -t "$pid" -p -m -- systemctl is-system-running --wait >/dev/null 2>&1; then
		break
	fi
	sleep 0.2
done
[ -n "$pid" ] && nsenter -t "$pid" -p -m -- systemctl is-system-running >/dev/null 2>&1 ||
	die "systemd did not reach its target in 30 s"

# MOAT_WITH_SYSTEMD=1: the tests know a manager should answer
MOAT_WITH_SYSTEMD=1 nsenter -t "$pid" -p -m --wd="$PWD" -- "$@"
