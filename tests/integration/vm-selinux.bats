#!/usr/bin/env bats
# SELinux (process.selinuxLabel, linux.mountLabel, exec --process-label)
# with a real LSM: in the second VM of the VM lane (tests/vm/lane.sh),
# booted with security=selinux and Debian's selinux-policy-default loaded
# (permissive: the 9p root the VM runs from has no labels to enforce on).
# What is checked is what the kernel made of the labels: the context of
# the container's processes, seen from inside and from the host, of its
# session keyring, of the filesystems mounted for it.  On a host without
# SELinux a label is refused, as runc refuses it (and linux.mountLabel is
# ignored: mounts.bats).
#
# Debian's policy has no container_t: svirt_t (a process) and
# svirt_image_t (files) of its virt module stand in for them.

load helpers

_LABEL=system_u:system_r:svirt_t:s0:c1,c2
_OTHER=system_u:system_r:svirt_t:s0:c3,c4
_MOUNT_LABEL=system_u:object_r:svirt_image_t:s0:c1,c2

# selinuxfs mounted where libselinux and moat look for it (its magic)
_selinux_on() {
	[ "$(stat -f -c %t /sys/fs/selinux 2>/dev/null)" = f97cff8c ]
}

# skip unless SELinux is on here with a policy that has the test's types
_require_selinux() {
	_selinux_on || skip "SELinux is not enabled on this host (the VM lane boots one with it: run tests/vm/lane.sh)"
	local l
	for l in "$_LABEL" "$_MOUNT_LABEL"; do
		printf '%s' "$l" >/sys/fs/selinux/context 2>/dev/null ||
			fail "the loaded policy has no $l (selinux-policy-default's virt module)"
	done
}

@test "selinux: without SELinux on the host a label is refused, naming it, nothing left" {
	_selinux_on && skip "SELinux is enabled on this host: the refusal cannot be seen here"
	cfg '.process.selinuxLabel = $l' --arg l "$_LABEL"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "process.selinuxLabel: SELinux is not enabled on this host"
	assert_nothing_left "$ID"
}

@test "selinux: without SELinux, exec --process-label is refused and the container is left as it was" {
	_selinux_on && skip "SELinux is enabled on this host: the refusal cannot be seen here"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec --process-label "$_LABEL" "$ID" true
	assert_error "--process-label: SELinux is not enabled on this host"
	assert_eq "$(status_of "$ID")" running "the container after the refused exec"
}

@test "selinux: the process runs under process.selinuxLabel, its new filesystems under linux.mountLabel" {
	_require_selinux
	cfg '.process.selinuxLabel = $l | .linux.mountLabel = $m' --arg l "$_LABEL" --arg m "$_MOUNT_LABEL"
	set_sh 'cat /proc/self/attr/current; echo; grep " /dev/shm " /proc/self/mountinfo'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(echo "$output" | head -n 1 | tr -d '\0')" "$_LABEL" "the label inside"
	case $output in
	*"context=\"$_MOUNT_LABEL\""*) ;;
	*) fail "/dev/shm is not mounted with context=\"$_MOUNT_LABEL\": $output" ;;
	esac
	assert_eq "$("$MOAT" features | jq .linux.selinux.enabled)" true "features: linux.selinux.enabled"
}

@test "selinux: the host sees the labels: the init's, its tmpfs's, its session keyring's" {
	_require_selinux
	if ! gcc -static -O2 -Wall -o "$ROOTFS/bin/key-label" \
		"$BATS_TEST_DIRNAME/../lib/key-label.c" >"$T/gcc.log" 2>&1; then
		skip "gcc -static cannot build tests/lib/key-label.c (is libc.a installed?): $(head -3 "$T/gcc.log")"
	fi
	cfg '.process.selinuxLabel = $l | .linux.mountLabel = $m' --arg l "$_LABEL" --arg m "$_MOUNT_LABEL"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(tr -d '\0' <"/proc/$pid/attr/current")" "$_LABEL" "the init's context"
	assert_eq "$(stat -c %C "/proc/$pid/root/dev/shm")" "$_MOUNT_LABEL" "/dev/shm's context"
	touch "/proc/$pid/root/dev/shm/made-by-host"
	assert_eq "$(stat -c %C "/proc/$pid/root/dev/shm/made-by-host")" "$_MOUNT_LABEL" "a new file's context"
	run --separate-stderr moat exec "$ID" /bin/key-label
	assert_status 0
	assert_eq "$output" "$_LABEL" "the session keyring's context"
}

@test "selinux: exec takes the container's label, or --process-label's" {
	_require_selinux
	cfg '.process.selinuxLabel = $l' --arg l "$_LABEL"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" cat /proc/self/attr/current
	assert_status 0
	assert_eq "$(echo "$output" | tr -d '\0')" "$_LABEL" "exec: the container's label"
	run --separate-stderr moat exec --process-label "$_OTHER" "$ID" cat /proc/self/attr/current
	assert_status 0
	assert_eq "$(echo "$output" | tr -d '\0')" "$_OTHER" "exec --process-label"
}

@test "selinux: a label the policy does not know fails create before anything, naming it" {
	_require_selinux
	cfg '.process.selinuxLabel = "system_u:system_r:moat_no_such_t:s0"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "process.selinuxLabel \`system_u:system_r:moat_no_such_t:s0\`: not a context of the loaded SELinux policy"
	assert_nothing_left "$ID"
	cfg 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:moat_no_such_t:s0"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "linux.mountLabel \`system_u:object_r:moat_no_such_t:s0\`: not a context of the loaded SELinux policy"
	assert_nothing_left "$ID"
}

@test "selinux: exec with a label the policy does not know is refused, the container left running" {
	_require_selinux
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec --process-label "system_u:system_r:moat_no_such_t:s0" "$ID" true
	assert_error "--process-label \`system_u:system_r:moat_no_such_t:s0\`: not a context of the loaded SELinux policy"
	assert_eq "$(status_of "$ID")" running "the container after the refused exec"
}
