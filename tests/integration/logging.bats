#!/usr/bin/env bats
# --log: warnings are kept on success; a failure leaves exactly one line.

load helpers

# a config that draws two warnings: one from the runtime, one from the init
_warnings() {
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["bind", "mode=0755"]}] | .process.capabilities.bounding += ["CAP_SYS_RESOURCE"]'
}

@test "log: on success the warnings of the runtime and of the init are in the log" {
	_warnings
	run --separate-stderr moat --log "$T/log.json" --log-format json run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(wc -l <"$T/log.json")" 2 "lines in the log"
	jq -e 'select(.level == "warning")' "$T/log.json" >/dev/null || fail "no warning level: $(cat "$T/log.json")"
	assert_contains "$(cat "$T/log.json")" "no effect on a bind"
	assert_contains "$(cat "$T/log.json")" "CAP_SYS_RESOURCE"
	assert_eq "$stderr" "" "stderr with a log file"
}

@test "log: a failure after warnings leaves exactly one JSON value, the error" {
	_warnings
	set_args '["/nonexistent"]'
	run --separate-stderr moat --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_error "no such file or directory"
	assert_eq "$(wc -l <"$T/log.json")" 1 "lines in the log"
	assert_eq "$(jq -r .level "$T/log.json")" error "level"
	assert_contains "$(jq -r .msg "$T/log.json")" "/nonexistent"
	assert_nothing_left "$ID"
}

@test "log: exec warnings reach the log through the parent" {
	set_args '["sleep", "30"]'
	run_d_ok "$ID"
	run --separate-stderr moat --log "$T/exec.json" --log-format json exec --cap CAP_SYS_RESOURCE "$ID" true
	assert_status 0
	assert_contains "$(cat "$T/exec.json")" "CAP_SYS_RESOURCE"
}
