#!/usr/bin/env bats
# The device cgroup (eBPF) filter and linux.devices, seen from inside.

load helpers

# give the process CAP_MKNOD, which engines grant by default
_with_mknod() {
	cfg '.process.capabilities |= with_entries(select(.key != "ambient" and .key != "inheritable") | .value += ["CAP_MKNOD"])'
}

@test "devices: a host device made with mknod cannot be opened" {
	_with_mknod
	set_sh 'mknod /dev/disk b 8 0 && echo made; head -c1 /dev/disk >/dev/null 2>&1 && echo OPENED-DISK; mknod /dev/hostconsole c 5 1 && echo x 2>/dev/null >/dev/hostconsole && echo OPENED-CONSOLE; echo x >/dev/null && echo null-ok; head -c1 /dev/zero | wc -c'
	cfg '.linux.resources = {"devices": [{"allow": false, "access": "rwm"}]}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "made"
	assert_not_contains "$output" "OPENED-DISK" "opening a block device"
	assert_not_contains "$output" "OPENED-CONSOLE" "opening the host's console (c 5:1)"
	assert_contains "$output" "null-ok" "the default devices stay usable"
	assert_contains "$output" "1" "reading /dev/zero"
}

@test "devices: without linux.resources the default is still deny" {
	_with_mknod
	set_sh 'mknod /dev/mem2 c 1 1 && (head -c1 /dev/mem2 >/dev/null 2>&1 && echo OPENED-MEM || echo denied)'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "denied" "opening /dev/mem"
}

@test "devices: an allow rule opens exactly that device; the last matching rule wins" {
	_with_mknod
	set_sh 'mknod /dev/full2 c 1 7 2>/dev/null; mknod /dev/port2 c 1 4; head -c1 /dev/full2 | wc -c; (head -c1 /dev/port2 >/dev/null 2>&1 && echo OPENED-PORT || echo port-denied)'
	cfg '.linux.resources = {"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 4, "access": "rw"}, {"allow": false, "type": "c", "major": 1, "minor": 4, "access": "r"}]}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "port-denied" "a later deny of read wins over an earlier allow"
}

@test "devices: linux.devices creates nodes with type, numbers, mode and owner" {
	cfg '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 384, "uid": 7, "gid": 8}, {"path": "/dev/sub/loop9", "type": "b", "major": 7, "minor": 9}]'
	set_sh 'stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/sub/loop9'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "/dev/fuse character special file a:e5 600 7:8"
	assert_contains "$output" "/dev/sub/loop9 block special file 7:9 666 0:0"
}

@test "devices: a bad linux.devices entry is refused and leaves nothing" {
	cfg '.linux.devices = [{"path": "/dev/x", "type": "z", "major": 1, "minor": 1}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.devices[0].type"
	assert_nothing_left "$ID"
}

# Podman's --privileged lists the host's /dev/ptmx among linux.devices: it
# must not replace the link to the container's own devpts
@test "devices: a /dev/ptmx among linux.devices still leaves /dev/ptmx the container's" {
	cfg '.linux.devices = [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2, "fileMode": 8630}]'
	set_sh 'readlink /dev/ptmx'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "pts/ptmx" "/dev/ptmx"
}
