#!/usr/bin/env bats
# AppArmor (process.apparmorProfile, exec --apparmor) with a real LSM: in
# the VM of the VM lane (tests/vm/lane.sh), whose Debian kernel has
# AppArmor on, a profile is loaded with apparmor_parser and a container
# runs under it: its label seen from inside and from the host, a write the
# profile denies, exec under the container's profile or another.  On a
# host without AppArmor a profile is refused, naming it.

load helpers

# the test profile: everything allowed but writing /tmp/denied*
_PROFILE_NAME=moat-test-deny
_PROFILE="profile $_PROFILE_NAME flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /tmp/denied* w,
}"

# skip unless AppArmor is on here and a profile can be loaded
_require_apparmor() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
		[ -d /sys/kernel/security/apparmor ] ||
		skip "AppArmor is not enabled on this host (the VM lane has it: run tests/vm/lane.sh)"
	command -v apparmor_parser >/dev/null || skip "apparmor_parser is not installed (the apparmor package)"
	printf '%s\n' "$_PROFILE" >"$T/profile"
	apparmor_parser -r -W "$T/profile" 2>"$T/parser.err" ||
		fail "apparmor_parser cannot load the test profile: $(cat "$T/parser.err")"
}

@test "apparmor: without AppArmor on the host a profile is refused, naming it, nothing left" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		skip "AppArmor is enabled on this host: the refusal cannot be seen here"
	fi
	cfg '.process.apparmorProfile = "some-profile"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "process.apparmorProfile: AppArmor is not enabled on this host"
	assert_nothing_left "$ID"
}

@test "apparmor: the process runs under process.apparmorProfile, and what it denies is denied" {
	_require_apparmor
	cfg '.process.apparmorProfile = $p' --arg p "$_PROFILE_NAME"
	set_sh 'cat /proc/self/attr/current; echo x >/tmp/denied 2>/dev/null && echo wrote-denied || echo denied; echo x >/tmp/allowed && echo wrote-allowed'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "$_PROFILE_NAME (enforce)
denied
wrote-allowed" "label and writes inside"
}

@test "apparmor: exec takes the container's profile, or --apparmor's; the host sees the label" {
	_require_apparmor
	cfg '.process.apparmorProfile = $p' --arg p "$_PROFILE_NAME"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_eq "$(cat "/proc/$(pid_of "$ID")/attr/current")" "$_PROFILE_NAME (enforce)" "the init's label, from the host"
	run --separate-stderr moat exec "$ID" cat /proc/self/attr/current
	assert_status 0
	assert_eq "$output" "$_PROFILE_NAME (enforce)" "exec: the container's profile"
	run --separate-stderr moat exec --apparmor unconfined "$ID" cat /proc/self/attr/current
	assert_status 0
	assert_eq "$output" "unconfined" "exec --apparmor unconfined"
}

@test "apparmor: a profile that is not loaded fails create, naming it, nothing left" {
	_require_apparmor
	cfg '.process.apparmorProfile = "moat-test-not-loaded"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "process.apparmorProfile \`moat-test-not-loaded\`: no such profile is loaded"
	assert_nothing_left "$ID"
}
