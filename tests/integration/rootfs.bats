#!/usr/bin/env bats
# The container's root filesystem and mounts: read-only root, tmpfs, the
# default devices, bind mounts, masked and read-only paths, --no-pivot,
# symlinked mount destinations, and cgroup placement.

load helpers

# inside SCRIPT: run SCRIPT with sh -c in the foreground (id $ID-in)
inside() {
	set_sh "$1"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-in"
}

# mount_opts_of MOUNTPOINT < mountinfo: the per-mount options (field 6)
mount_opts_of() {
	awk -v m="$1" '$5 == m { o = $6 } END { print o }'
}

# fs_type_of MOUNTPOINT < mountinfo: the filesystem type of the last mount
fs_type_of() {
	awk -v m="$1" '$5 == m { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { print t }'
}

# ---- root ----------------------------------------------------------------------------

@test "root.readonly: writing the root fails with Read-only file system" {
	inside 'touch /x 2>&1; echo rc=$?'
	assert_status 0
	assert_contains "$output" "Read-only file system"
	assert_contains "$output" "rc=1"
	[ ! -e "$ROOTFS/x" ] || fail "/x created in the host rootfs"
}

@test "root.readonly: the root mount is ro in the container's mountinfo (from the host)" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid opts
	pid=$(pid_of "$ID")
	opts=$(mount_opts_of / <"/proc/$pid/mountinfo")
	[[ ",$opts," == *,ro,* ]] || fail "root mount options: [$opts] ($(cat "/proc/$pid/mountinfo"))"
	# and the container's root is the bundle's rootfs
	assert_eq "$(stat -L -c %d:%i "/proc/$pid/root/bin/busybox")" "$(stat -c %d:%i "$ROOTFS/bin/busybox")" "busybox seen through /proc/$pid/root"
}

@test "root.readonly: the root line of /proc/self/mountinfo inside has ro" {
	inside 'awk '\''$5 == "/" { print $6 }'\'' /proc/self/mountinfo | tail -n1'
	assert_status 0
	[[ ",$output," == *,ro,* ]] || fail "root mount options: [$output]"
}

@test "root.readonly false: the root is writable and writes reach the rootfs" {
	cfg '.root.readonly = false'
	inside 'echo data >/written && cat /written'
	assert_status 0
	assert_eq "$output" data "output"
	assert_eq "$(cat "$ROOTFS/written")" data "file in the host rootfs"
}

@test "root.readonly does not change the host's view of the rootfs" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	touch "$ROOTFS/host-can-write" || fail "the host cannot write the rootfs any more"
}

@test "/tmp is a writable tmpfs that does not reach the rootfs" {
	inside 'echo hi >/tmp/f && cat /tmp/f; stat -f -c %T /tmp; awk '\''$5 == "/tmp" { print $6 }'\'' /proc/self/mountinfo'
	assert_status 0
	assert_eq "${lines[0]}" hi "write+read in /tmp"
	assert_eq "${lines[1]}" tmpfs "filesystem of /tmp"
	[[ ",${lines[2]}," == *,nosuid,* && ",${lines[2]}," == *,nodev,* ]] || fail "options of /tmp: ${lines[2]}"
	[ ! -e "$ROOTFS/tmp/f" ] || fail "/tmp/f reached the rootfs"
}

@test "the default mounts are there with their types (from the host)" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid mi
	pid=$(pid_of "$ID")
	mi=$(cat "/proc/$pid/mountinfo")
	assert_eq "$(fs_type_of /proc <<<"$mi")" proc "/proc"
	assert_eq "$(fs_type_of /dev <<<"$mi")" tmpfs "/dev"
	assert_eq "$(fs_type_of /dev/pts <<<"$mi")" devpts "/dev/pts"
	assert_eq "$(fs_type_of /dev/shm <<<"$mi")" tmpfs "/dev/shm"
	assert_eq "$(fs_type_of /dev/mqueue <<<"$mi")" mqueue "/dev/mqueue"
	assert_eq "$(fs_type_of /sys <<<"$mi")" sysfs "/sys"
	assert_eq "$(fs_type_of /tmp <<<"$mi")" tmpfs "/tmp"
	local opts
	opts=$(mount_opts_of /sys <<<"$mi")
	[[ ",$opts," == *,ro,* ]] || fail "/sys options: $opts"
	opts=$(mount_opts_of /dev/shm <<<"$mi")
	[[ ",$opts," == *,noexec,* && ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* ]] || fail "/dev/shm options: $opts"
	# nothing of the host's mounts is left in the container
	assert_eq "$(awk '$5 ~ /^\/work/ || $5 ~ /^\/sys\/fs\/cgroup\/[a-z]/ || $5 == "/run"' <<<"$mi")" "" "host mounts"
}

# ---- devices --------------------------------------------------------------------------

@test "/dev: the default devices are character devices with their numbers" {
	inside 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done'
	assert_status 0
	assert_eq "${lines[0]}" "/dev/null character special file 1:3 666" "null"
	assert_eq "${lines[1]}" "/dev/zero character special file 1:5 666" "zero"
	assert_eq "${lines[2]}" "/dev/full character special file 1:7 666" "full"
	assert_eq "${lines[3]}" "/dev/random character special file 1:8 666" "random"
	assert_eq "${lines[4]}" "/dev/urandom character special file 1:9 666" "urandom"
	assert_eq "${lines[5]}" "/dev/tty character special file 5:0 666" "tty"
}

@test "/dev: the default devices work" {
	inside 'echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1 | xargs; head -c 16 /dev/urandom | wc -c; echo x 2>&1 >/dev/full | grep -c "No space"'
	assert_status 0
	assert_eq "${lines[0]}" null-ok "/dev/null"
	assert_eq "${lines[1]}" "00 00 00 00" "/dev/zero"
	assert_eq "${lines[2]}" 16 "/dev/urandom"
	assert_eq "${lines[3]}" 1 "/dev/full"
}

@test "/dev: ptmx, fd, stdin, stdout, stderr symlinks" {
	inside 'for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
	assert_status 0
	assert_eq "${lines[0]}" "ptmx -> pts/ptmx" "ptmx"
	assert_eq "${lines[1]}" "fd -> /proc/self/fd" "fd"
	assert_eq "${lines[2]}" "stdin -> /proc/self/fd/0" "stdin"
	assert_eq "${lines[3]}" "stdout -> /proc/self/fd/1" "stdout"
	assert_eq "${lines[4]}" "stderr -> /proc/self/fd/2" "stderr"
}

@test "/dev: the host's devices are not there" {
	inside 'ls /dev | xargs'
	assert_status 0
	local d
	for d in sda vda mem kmsg loop0 nvme0; do
		assert_not_contains " $output " " $d " "/dev"
	done
}

# ---- bind mounts ------------------------------------------------------------------------

@test "bind mount rw: the container writes to the host directory" {
	mkdir -p "$T/host-rw"
	echo from-host >"$T/host-rw/in"
	mkdir -p "$ROOTFS/data"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/host-rw\", \"options\": [\"rbind\", \"rw\"]}"
	inside 'cat /data/in; echo from-container >/data/out && echo wrote'
	assert_status 0
	assert_eq "$output" $'from-host\nwrote' "output"
	assert_eq "$(cat "$T/host-rw/out")" from-container "file written by the container"
}

@test "bind mount ro: readable, not writable, host directory unchanged" {
	mkdir -p "$T/host-ro"
	echo from-host >"$T/host-ro/in"
	mkdir -p "$ROOTFS/data"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/host-ro\", \"options\": [\"rbind\", \"ro\"]}"
	inside 'cat /data/in; touch /data/out 2>&1; echo rc=$?; awk '\''$5 == "/data" { print $6 }'\'' /proc/self/mountinfo'
	assert_status 0
	assert_eq "${lines[0]}" from-host "read"
	assert_contains "$output" "Read-only file system"
	assert_contains "$output" "rc=1"
	[[ ",${lines[-1]}," == *,ro,* ]] || fail "options of /data: ${lines[-1]}"
	[ ! -e "$T/host-ro/out" ] || fail "file created through a ro bind"
	# the host's own mount of the directory is still writable
	touch "$T/host-ro/host-write" || fail "host directory became read-only"
}

@test "bind mount of a file" {
	echo file-content >"$T/hostfile"
	touch "$ROOTFS/etc/bound"
	add_mount "{\"destination\": \"/etc/bound\", \"type\": \"bind\", \"source\": \"$T/hostfile\", \"options\": [\"bind\", \"ro\"]}"
	inside 'cat /etc/bound'
	assert_status 0
	assert_eq "$output" file-content "content"
}

@test "bind mount: a destination missing in the read-only rootfs is created" {
	mkdir -p "$T/host-src"
	echo y >"$T/host-src/f"
	[ ! -e "$ROOTFS/new/dir" ] || fail "bundle has /new/dir"
	add_mount "{\"destination\": \"/new/dir\", \"type\": \"bind\", \"source\": \"$T/host-src\", \"options\": [\"rbind\", \"ro\"]}"
	inside 'cat /new/dir/f'
	assert_status 0
	assert_eq "$output" y "content"
}

@test "a mount of the bundle's rootfs does not outlive the container (run)" {
	inside 'true'
	assert_status 0
	assert_nothing_left "$ID-in"
}

# ---- masked and read-only paths --------------------------------------------------------------

@test "maskedPaths: masked files read empty" {
	local f files=""
	for f in /proc/kcore /proc/keys /proc/timer_list; do
		[ -e "$f" ] && files="$files $f"
	done
	[ -n "$files" ] || skip "none of /proc/kcore /proc/keys /proc/timer_list exists"
	inside "for f in $files; do echo \"\$f \$(cat \$f 2>/dev/null | wc -c)\"; done"
	assert_status 0
	for f in $files; do
		assert_contains "$output" "$f 0" "size of $f"
	done
}

@test "maskedPaths: masked directories are empty" {
	local d dirs=""
	for d in /proc/acpi /sys/firmware; do
		[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && dirs="$dirs $d"
	done
	[ -n "$dirs" ] || skip "no non-empty /proc/acpi or /sys/firmware on this host"
	inside "for d in $dirs; do echo \"\$d \$(ls -A \$d | wc -l)\"; done"
	assert_status 0
	for d in $dirs; do
		assert_contains "$output" "$d 0" "entries of $d"
	done
}

@test "maskedPaths: a custom masked file and directory of the rootfs" {
	mkdir -p "$ROOTFS/secret"
	echo s3cr3t >"$ROOTFS/secret/key"
	echo pw >"$ROOTFS/etc/shadow"
	cfg '.linux.maskedPaths += ["/secret", "/etc/shadow", "/does-not-exist"]'
	inside 'ls -A /secret | wc -l; cat /etc/shadow | wc -c; touch /secret/x 2>/dev/null && echo WROTE-SECRET; echo end'
	assert_status 0
	assert_eq "${lines[0]}" 0 "entries of /secret"
	assert_eq "${lines[1]}" 0 "size of /etc/shadow"
	assert_not_contains "$output" WROTE-SECRET
	# the host files are untouched
	assert_eq "$(cat "$ROOTFS/secret/key")" s3cr3t "host /secret/key"
}

@test "readonlyPaths: /proc/sys cannot be written" {
	cfg '.root.readonly = false'
	inside '(echo changed >/proc/sys/kernel/hostname) 2>&1; echo rc=$?; hostname; awk '\''$5 == "/proc/sys" { print $6 }'\'' /proc/self/mountinfo'
	assert_status 0
	assert_contains "$output" "Read-only file system"
	assert_contains "$output" "rc=1"
	assert_contains "$output" $'\nmoat\n' "hostname"
	[[ ",${lines[-1]}," == *,ro,* ]] || fail "options of /proc/sys: ${lines[-1]}"
}

@test "readonlyPaths: /proc/sysrq-trigger cannot be written" {
	[ -e /proc/sysrq-trigger ] || skip "no /proc/sysrq-trigger"
	inside '(echo h >/proc/sysrq-trigger) 2>&1; echo rc=$?'
	assert_status 0
	assert_contains "$output" "Read-only file system"
}

@test "readonlyPaths: a custom read-only directory of the rootfs with root.readonly false" {
	cfg '.root.readonly = false | .linux.readonlyPaths += ["/etc"]'
	inside 'touch /etc/x 2>&1; echo rc=$?; touch /y && echo root-writable'
	assert_status 0
	assert_contains "$output" "Read-only file system"
	assert_contains "$output" root-writable
	[ ! -e "$ROOTFS/etc/x" ] || fail "/etc/x created"
}

# ---- --no-pivot ----------------------------------------------------------------------------

@test "--no-pivot: the container runs in its rootfs" {
	set_sh 'ls / | xargs; hostname; touch /x 2>&1 | grep -c "Read-only"'
	run --separate-stderr moat run --no-pivot --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "${lines[0]}" "bin dev etc proc" "ls /"
	assert_not_contains "${lines[0]}" "work" "ls /"
	assert_eq "${lines[1]}" moat "hostname"
	assert_eq "${lines[2]}" 1 "read-only root"
	assert_nothing_left "$ID"
}

@test "--no-pivot: create/start and the root from the host" {
	set_args '["sleep", "100"]'
	create_ok "$ID" --no-pivot
	run --separate-stderr moat start "$ID"
	assert_status 0
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(stat -L -c %d:%i "/proc/$pid/root/bin/busybox")" "$(stat -c %d:%i "$ROOTFS/bin/busybox")" "busybox through /proc/$pid/root"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# ---- symlinked mount destinations ---------------------------------------------------------------

# the host directory must be exactly as before: same entries, same mode, no
# mount on it in the host's mount table
_host_untouched() {
	local dir=$1 before_ls=$2 before_mi=$3
	assert_eq "$(ls -lA --time-style=+ "$dir"; stat -c "%a %u %g %h" "$dir")" "$before_ls" "host directory $dir"
	assert_eq "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before_mi" "host mount table"
	assert_eq "$(cat "$dir/marker")" untouched "marker file"
}

@test "mount destination: an absolute symlink to a host directory stays in the rootfs" {
	local h=$T/hostdir
	mkdir -p "$h"
	echo untouched >"$h/marker"
	ln -s "$h" "$ROOTFS/evil"
	add_mount '{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0777"]}'
	local before_ls before_mi
	before_ls=$(ls -lA --time-style=+ "$h"; stat -c "%a %u %g %h" "$h")
	before_mi=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	set_sh 'stat -f -c %T /evil/sub 2>&1; touch /evil/sub/x 2>&1; echo done'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	_host_untouched "$h" "$before_ls" "$before_mi"
	[ ! -e "$h/sub" ] || fail "mount destination created on the host: $h/sub"
	if [ "$status" -eq 0 ]; then
		assert_contains "$output" done
	else
		assert_contains "$stderr" "moat: " stderr
	fi
	assert_nothing_left "$ID"
}

@test "mount destination: a relative symlink climbing out of the rootfs stays in the rootfs" {
	local h=$T/hostdir2
	mkdir -p "$h"
	echo untouched >"$h/marker"
	# rootfs/etc2 -> ../.. : from $T/bundle/rootfs up to $T
	ln -s ../.. "$ROOTFS/etc2"
	[ -e "$ROOTFS/etc2/hostdir2/marker" ] || fail "test setup: the symlink does not reach $h"
	add_mount '{"destination": "/etc2/hostdir2/sub", "type": "tmpfs", "source": "tmpfs"}'
	local before_ls before_mi
	before_ls=$(ls -lA --time-style=+ "$h"; stat -c "%a %u %g %h" "$h")
	before_mi=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	set_sh 'stat -f -c %T /etc2/hostdir2/sub 2>&1; echo done'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	_host_untouched "$h" "$before_ls" "$before_mi"
	[ ! -e "$h/sub" ] || fail "mount destination created on the host: $h/sub"
	if [ "$status" -eq 0 ]; then
		assert_eq "${lines[0]}" tmpfs "filesystem at the destination inside"
	else
		assert_contains "$stderr" "moat: " stderr
	fi
	assert_nothing_left "$ID"
}

@test "mount destination: a symlink to the host's /etc is not followed out" {
	ln -s /etc "$ROOTFS/hostetc"
	add_mount '{"destination": "/hostetc", "type": "tmpfs", "source": "tmpfs"}'
	local before_mi
	before_mi=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	local etc_before
	etc_before=$(ls -a /etc | md5sum)
	set_sh 'ls /hostetc | wc -l'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_eq "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before_mi" "host mount table"
	assert_eq "$(ls -a /etc | md5sum)" "$etc_before" "host /etc"
	[ -f /etc/passwd ] || fail "host /etc/passwd gone"
	assert_nothing_left "$ID"
}

# ---- cgroups -----------------------------------------------------------------------------------

@test "cgroup: the init is placed in moat/<id>, removed at delete" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	grep -qx "0::/moat/$ID" "/proc/$pid/cgroup" || fail "cgroup of the init: $(cat "/proc/$pid/cgroup")"
	[ -d "$CGROOT/moat/$ID" ] || fail "no cgroup directory"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs")" "$pid" "cgroup.procs"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ ! -e "$CGROOT/moat/$ID" ] || fail "cgroup directory left"
	assert_nothing_left "$ID"
}

@test "cgroup: the container sees its cgroup as / (cgroup namespace)" {
	inside 'grep "^0::" /proc/self/cgroup'
	assert_status 0
	assert_eq "$output" "0::/" "/proc/self/cgroup inside"
}

@test "cgroup: children of the process stay in the container's cgroup" {
	set_sh 'sleep 100 & sleep 100'
	run_d_ok "$ID"
	local p n=0
	for _ in $(seq 40); do
		n=$(wc -l <"$CGROOT/moat/$ID/cgroup.procs")
		[ "$n" -ge 2 ] && break
		sleep 0.05
	done
	assert_eq "$n" 2 "processes in the cgroup"
	for p in $(cat "$CGROOT/moat/$ID/cgroup.procs"); do
		grep -qx "0::/moat/$ID" "/proc/$p/cgroup" || fail "process $p: $(cat "/proc/$p/cgroup")"
	done
}

@test "cgroup: linux.cgroupsPath places the init there, removed at delete" {
	local cg=moat-it-custom-$ID/c1
	on_teardown "rmdir '$CGROOT/$cg' '$CGROOT/moat-it-custom-$ID'"
	cfg '.linux.cgroupsPath = $p' --arg p "/$cg"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	grep -qx "0::/$cg" "/proc/$pid/cgroup" || fail "cgroup of the init: $(cat "/proc/$pid/cgroup")"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "default cgroup directory created as well"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ ! -e "$CGROOT/$cg" ] || fail "custom cgroup directory left"
	assert_nothing_left "$ID" "$cg"
}

@test "cgroup: a relative linux.cgroupsPath is below moat's own cgroup" {
	local parent=moat-it-parent-$ID
	mkdir "$CGROOT/$parent"
	on_teardown "rmdir '$CGROOT/$parent/rel' '$CGROOT/$parent' 2>/dev/null"
	cfg '.linux.cgroupsPath = "rel/c1"'
	set_args '["sleep", "100"]'
	# moat runs in $parent
	MOAT_TEST_TAG=$TAG sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" run -d --bundle "$4" "$5"' \
		sh "$CGROOT/$parent" "$MOAT" "$ROOT" "$BUNDLE" "$ID" >"$T/run.out" 2>"$T/run.err" ||
		fail "moat run -d from $parent: $(cat "$T/run.err")"
	record_pid "$ID"
	local pid
	pid=$(pid_of "$ID")
	grep -qx "0::/$parent/rel/c1" "/proc/$pid/cgroup" || fail "cgroup of the init: $(cat "/proc/$pid/cgroup")"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ ! -e "$CGROOT/$parent/rel" ] || fail "relative cgroup directories left"
	assert_nothing_left "$ID" "$parent/rel/c1"
}

@test "cgroup: the cgroup is removed when a run in the foreground ends" {
	set_sh 'cat /proc/self/cgroup; exit 0'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	[ ! -e "$CGROOT/moat/$ID" ] || fail "cgroup directory left"
	assert_nothing_left "$ID"
}
