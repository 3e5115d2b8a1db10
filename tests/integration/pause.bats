#!/usr/bin/env bats
# pause and resume through the cgroup v2 freezer.

load helpers

@test "pause: freezes the processes (state, cgroup.freeze, /proc), resume thaws them" {
	bind_out
	set_sh 'i=0; while :; do i=$((i + 1)); echo $i >/out/count; sleep 0.05; done'
	run_d_ok "$ID"
	wait_file "$OUT/count"
	run --separate-stderr moat pause "$ID"
	assert_status 0
	assert_silent
	assert_eq "$(status_of "$ID")" paused "status"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.freeze")" 1 "cgroup.freeze"
	local before after
	before=$(cat "$OUT/count")
	sleep 0.4
	after=$(cat "$OUT/count")
	assert_eq "$after" "$before" "the counter while paused"
	run --separate-stderr moat pause "$ID"
	assert_error "it is paused"
	run --separate-stderr moat exec "$ID" true
	assert_error "it is paused"
	run --separate-stderr moat resume "$ID"
	assert_status 0
	assert_eq "$(status_of "$ID")" running "status"
	sleep 0.4
	[ "$(cat "$OUT/count")" -gt "$after" ] || fail "the counter did not move after resume"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "pause: a paused container can be deleted with --force" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	moat pause "$ID"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "resume of a running container and pause of a stopped one fail clearly" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat resume "$ID"
	assert_error "cannot resume container \"$ID\": it is running"
	run --separate-stderr moat kill "$ID" KILL
	wait_status "$ID" stopped
	run --separate-stderr moat pause "$ID"
	assert_error "it is stopped"
}
