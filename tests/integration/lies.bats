#!/usr/bin/env bats
# Input that lies: state and config files moat did not write (or that were
# cut short), limits that must agree, text a container controls.

load helpers

@test "lies: delete --force removes a container whose state.json is corrupt, with a warning" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	printf '{"id": "%s", "pid": ' "$ID" >"$ROOT/$ID/state.json"   # cut short
	run --separate-stderr moat state "$ID"
	assert_error "state.json is corrupt"
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_contains "$stderr" "removing what can be found"
	# its default cgroup was found and emptied: the init is gone too
	wait_gone "$pid" "the init"
	assert_nothing_left "$ID"
}

@test "lies: delete --force of a corrupt state finds the cgroup the kept config's cgroupsPath names" {
	local cg=moat-it-lies-$ID/c1
	on_teardown "rmdir '$CGROOT/$cg' '$CGROOT/moat-it-lies-$ID' 2>/dev/null"
	cfg '.linux.cgroupsPath = $p' --arg p "/$cg"
	set_args '["sh", "-c", "sleep 100 & sleep 100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	grep -qx "0::/$cg" "/proc/$pid/cgroup" || fail "cgroup of the init: $(cat "/proc/$pid/cgroup")"
	printf 'garbage' >"$ROOT/$ID/state.json"
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_contains "$stderr" "removing what can be found"
	wait_gone "$pid" "the init"
	assert_nothing_left "$ID" "$cg"
}

@test "lies: delete --force of a damaged state without a cgroup kills the init it still names, and only that process" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat --cgroup-manager disabled run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	local pid
	pid=$(pid_of "$ID")
	# the members moat wrote are still there; the file no longer parses
	printf '}' >>"$ROOT/$ID/state.json"
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_contains "$stderr" "removing what can be found"
	wait_gone "$pid" "the init"
	assert_nothing_left "$ID"
	# a state naming a live process that is not the one recorded (another
	# start time): that process is left alone
	sleep 100 &
	local other=$!
	on_teardown "kill $other"
	set_args '["true"]'
	create_ok "$ID"
	printf '{"id":"%s","pid":%s,"status":"created","moat":{"startTime":1}' "$ID" "$other" \
		>"$ROOT/$ID/state.json"
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	is_alive "$other" || fail "a process the state did not really name was killed"
	assert_nothing_left "$ID"
}

@test "lies: delete --force removes a container whose state.json is gone" {
	set_args '["true"]'
	create_ok "$ID"
	rm "$ROOT/$ID/state.json"
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "lies: a config with megabytes of annotations stays readable and deletable" {
	# 5 MiB of annotations: state.json holds them all
	cfg '.annotations = ([range(5 * 1024)] | map({key: "k\(.)", value: ("v" * 1000)}) | from_entries)'
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat state "$ID"
	assert_status 0
	assert_eq "$(echo "$output" | jq '.annotations | length')" 5120 "annotations in the state"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "lies: a state root writable by others, or someone else's, is refused" {
	mkdir -p "$ROOT"
	chmod 0777 "$ROOT"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "is writable by others (mode 0777)"
	run --separate-stderr moat state "$ID"
	assert_error "is writable by others"
	run --separate-stderr moat list
	assert_error "is writable by others"
	chmod 0700 "$ROOT"
	chown 65534 "$ROOT"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "is owned by uid 65534"
	chown 0 "$ROOT"
	assert_nothing_left "$ID"
}

@test "lies: control characters a container controls are escaped when printed" {
	# a process whose command line holds an escape sequence
	cfg '.process.args = ["sh", "-c", "sleep 100; :", $n]' --arg n "$(printf 'evil\033[2Jname')"
	run_d_ok "$ID"
	sleep 0.3
	run --separate-stderr moat ps "$ID"
	assert_status 0
	assert_contains "$output" 'evil\x1b[2Jname' "ps shows the escape escaped"
	[[ "$output" != *$'\033'* ]] || fail "ps printed a raw escape"
	# an error message that names a config field holding one
	cfg '.mounts += [{"destination": "/a\u001b[2J", "type": "tmpfs", "options": ["ro", "rw"]}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID-2"
	assert_error '/a\x1b[2J'
	[[ "$stderr" != *$'\033'* ]] || fail "an error message carried a raw escape"
}

@test "lies: a hook timeout that overflows milliseconds is refused, a large valid one accepted" {
	cfg '.hooks = {"poststop": [{"path": "/bin/true", "timeout": 2147484}]}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "hooks.poststop[0].timeout: 2147484 is out of range"
	cfg '.hooks.poststop[0].timeout = 2147483'
	set_args '["true"]'
	create_ok "$ID"
}
