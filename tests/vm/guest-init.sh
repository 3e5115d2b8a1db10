#!/bin/busybox sh
# shellcheck shell=dash  # busybox ash: POSIX sh plus local, as dash
# The init of the test VM that tests/vm/run-in-vm.sh boots (busybox ash).
#
# It runs twice:
#   stage 1, as /init of the initramfs: loads the virtio, 9p and overlay
#     modules, builds the guest's root (the host's / over 9p, read-only,
#     under a tmpfs overlay; the read-write shares at their host paths;
#     proc, sys, dev, a pure cgroup2 hierarchy with every controller
#     enabled) and switches to it;
#   stage 2, as pid 1 of that root: runs the command and powers off.
#
# The host talks to it through a 9p share of a per-run directory, tag
# "moatctl", mounted at $ctl:
#   in:  shares   one "TAG PATH" line per read-write share
#        verbose  present: trace this script
#        cmd      the command, a /bin/sh script (environment, cd, exec)
#   out: booted   the command has started (the boot worked)
#        status   its exit status
# Everything else (kernel messages, the command's output) goes to the
# console, which the host streams.

ctl=/run/moat-vm/ctl
# msize: the 9p default (8 KiB) makes every large read a dozen round trips
p9=trans=virtio,version=9p2000.L,msize=512000

# busybox: its applets in stage 1, and in stage 2 too, where the host's
# tools of the same names may behave otherwise (poweroff asks systemd)
bb=/bin/busybox

# The host sees no status file and reports a failed boot.
fatal() {
	echo "moat-vm init: $*"
	$bb sync
	$bb poweroff -f
}

load_modules() {
	local m
	# /modules/order lists them with their dependencies first
	while read -r m; do
		insmod "/modules/$m" || fatal "insmod $m failed"
	done </modules/order
}

# /newroot: the host's root, read-only, under a tmpfs that takes the
# writes (thrown away at power-off), so that tools which write next to
# themselves (/etc, /var, /root) work and the host is never changed
mount_root() {
	mkdir -p /lower /upper /newroot
	# cache=loose: nothing changes the host root under a test run, and
	# without a cache every exec and every stat is a round trip to qemu
	mount -t 9p -o "ro,$p9,cache=loose" hostroot /lower || fatal "cannot mount the host root"
	mount -t tmpfs -o mode=0755 tmpfs /upper || fatal "cannot mount the overlay's tmpfs"
	mkdir -p /upper/data /upper/work
	mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
		fatal "cannot mount the overlay root"
	# fresh, as on a booted host: the host's own /tmp and /run are not ours
	local d
	for d in tmp var/tmp; do
		mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "/newroot/$d" || fatal "cannot mount /$d"
	done
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fatal "cannot mount /run"
}

# proc, sys and dev move into the new root; the rest is made as systemd
# makes it on a cgroup v2 host
mount_api_filesystems() {
	local d
	for d in proc sys dev; do
		mount --move "/$d" "/newroot/$d" || fatal "cannot move /$d"
	done
	mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /newroot/sys/fs/cgroup ||
		fatal "cannot mount cgroup2 on /sys/fs/cgroup"
	# where AppArmor (on in Debian's kernel) is loaded and seen
	mount -t securityfs securityfs /newroot/sys/kernel/security 2>/dev/null
	mkdir -p /newroot/dev/pts /newroot/dev/shm /newroot/dev/mqueue
	mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /newroot/dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/dev/shm
	mount -t mqueue mqueue /newroot/dev/mqueue
	# devtmpfs does not make these; udev would
	ln -sf /proc/self/fd /newroot/dev/fd
	ln -sf /proc/self/fd/0 /newroot/dev/stdin
	ln -sf /proc/self/fd/1 /newroot/dev/stdout
	ln -sf /proc/self/fd/2 /newroot/dev/stderr
}

# every controller the kernel has, for the children of the root cgroup
# (what the tests need: a runtime enables them further down itself)
enable_controllers() {
	local all c
	read -r all </newroot/sys/fs/cgroup/cgroup.controllers
	for c in $all; do
		echo "+$c" >/newroot/sys/fs/cgroup/cgroup.subtree_control ||
			fatal "cannot enable the $c controller"
	done
}

# the read-write shares (the build tree), at the same path as on the host;
# cache=mmap: coherent with the host, and mmap works (the linker needs it)
mount_shares() {
	local tag path
	while read -r tag path; do
		[ -n "$tag" ] || continue
		mkdir -p "/newroot$path" || fatal "cannot make $path"
		mount -t 9p -o "$p9,cache=mmap" "$tag" "/newroot$path" || fatal "cannot mount the share $path"
	done <"/newroot$ctl/shares"
}

stage1() {
	$bb mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev
	$bb --install -s
	export PATH=/sbin:/bin:/usr/sbin:/usr/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	load_modules
	mkdir -p /ctl
	# cache=none: the host reads what we write here as soon as it is written
	mount -t 9p -o "$p9,cache=none" moatctl /ctl || fatal "cannot mount the control share"
	[ -e /ctl/verbose ] && set -x
	mount_root
	# busybox and this script stay reachable after switch_root, in /run
	mkdir -p "/newroot$ctl"
	cp /bin/busybox /init /newroot/run/moat-vm/
	mount --move /ctl "/newroot$ctl"
	mount_api_filesystems
	enable_controllers
	mount_shares
	# the overlay holds its own references to them
	umount -l /lower /upper
	exec switch_root /newroot /run/moat-vm/busybox sh /run/moat-vm/init stage2
}

# booted with security=selinux: the host's policy (selinux-policy-default),
# loaded as an init loads it (load_policy -i mounts selinuxfs and sets the
# mode /etc/selinux/config says: permissive, on a Debian that has not
# been relabelled); what fails is said, and the tests find SELinux off
load_selinux_policy() {
	if ! command -v load_policy >/dev/null; then
		echo "moat-vm: no load_policy (policycoreutils): SELinux stays without a policy" >&2
	elif ! load_policy -i; then
		echo "moat-vm: load_policy -i failed: SELinux stays without a policy" >&2
	fi
}

stage2() {
	local status
	bb=/run/moat-vm/busybox
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	[ -e "$ctl/verbose" ] && set -x
	$bb hostname moat-vm
	$bb ip link set lo up
	# shared propagation from /, as systemd sets it up on a host
	$bb mount --make-rshared /
	# the command writes straight to the serial line: without this the
	# tty would turn each \n into \r\n
	$bb stty -F /dev/console -opost 2>/dev/null
	[ "$(cat "$ctl/lsm" 2>/dev/null)" = selinux ] && load_selinux_policy
	$bb touch "$ctl/booted"
	# the host's /bin/sh, an environment of the host's choosing only, no
	# input; the console (no controlling terminal) for its output
	$bb env -i /bin/sh "$ctl/cmd" </dev/null
	status=$?
	echo "$status" >"$ctl/status"
	$bb sync
	$bb umount -a -r -t 9p 2>/dev/null
	$bb poweroff -f
}

case ${1:-} in
stage2) stage2 ;;
*) stage1 ;;
esac
fatal "init fell through"
