#!/usr/bin/env bats
# Bad input: every failure exits 1 with a "moat: " message on stderr naming
# the problem, prints nothing on stdout, and leaves nothing behind (no state
# directory, no cgroup, no process, no mount).

load helpers

# create_fails FRAGMENT [CREATE OPTIONS...]: moat create of $ID fails with
# FRAGMENT in the message and leaves nothing
create_fails() {
	local fragment=$1
	shift
	run --separate-stderr moat create --bundle "$BUNDLE" "$@" "$ID"
	assert_error "$fragment"
	assert_eq "$output" "" "stdout"
	assert_nothing_left "$ID"
}

# run_fails FRAGMENT: the same with a foreground moat run
run_fails() {
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "$1"
	assert_nothing_left "$ID"
}

# ---- config.json -------------------------------------------------------------------

@test "malformed JSON" {
	printf '{"ociVersion": "1.3.0", ' >"$CFG"
	create_fails "invalid JSON"
	assert_contains "$stderr" "config.json" "stderr"
}

@test "config.json that is not an object" {
	echo '["sh"]' >"$CFG"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "status $status"
	assert_contains "$stderr" "moat: " stderr
	assert_nothing_left "$ID"
}

@test "missing config.json" {
	rm "$CFG"
	create_fails "config.json"
	assert_contains "$stderr" "No such file or directory" "stderr"
}

@test "missing bundle directory" {
	run --separate-stderr moat create --bundle "$T/no-such-bundle" "$ID"
	assert_error "No such file or directory"
	assert_nothing_left "$ID"
}

@test "process.args is a string" {
	cfg '.process.args = "sh"'
	create_fails "process.args"
}

@test "process.args is empty" {
	cfg '.process.args = []'
	create_fails "process.args"
}

@test "process.user.uid is a string" {
	cfg '.process.user.uid = "x"'
	create_fails "process.user.uid: expected an integer"
}

@test "process.user.uid is negative" {
	cfg '.process.user.uid = -1'
	create_fails "process.user.uid"
}

@test "root.readonly is a string" {
	cfg '.root.readonly = "yes"'
	create_fails "root.readonly"
}

@test "root.path does not exist" {
	cfg '.root.path = "no-such-rootfs"'
	create_fails "root.path"
	assert_contains "$stderr" "No such file or directory" "stderr"
}

@test "root.path is a file" {
	touch "$BUNDLE/afile"
	cfg '.root.path = "afile"'
	create_fails "root.path"
}

@test "process.cwd is relative" {
	cfg '.process.cwd = "relative/dir"'
	create_fails "process.cwd"
}

@test "process.cwd is a file" {
	cfg '.process.cwd = "/etc/passwd"'
	create_fails "process.cwd"
	assert_contains "$stderr" "Not a directory" "stderr"
}

@test "process.oomScoreAdj out of range" {
	cfg '.process.oomScoreAdj = 5000'
	create_fails "process.oomScoreAdj"
}

@test "unknown capability" {
	cfg '.process.capabilities.bounding += ["CAP_FROBNICATE"]'
	create_fails "CAP_FROBNICATE"
}

@test "unknown rlimit type" {
	cfg '.process.rlimits = [{"type": "RLIMIT_FROB", "hard": 1, "soft": 1}]'
	create_fails "RLIMIT_FROB"
}

@test "rlimit soft above hard" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 100, "soft": 200}]'
	create_fails "process.rlimits"
}

@test "rlimit above the hard limit fails in the container's setup and leaves nothing" {
	# above fs.nr_open: refused even with CAP_SYS_RESOURCE
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 100000000, "soft": 100000000}]'
	create_fails "RLIMIT_NOFILE"
}

@test "unknown namespace type" {
	cfg '.linux.namespaces += [{"type": "frob"}]'
	create_fails "frob"
}

@test "duplicate namespace" {
	cfg '.linux.namespaces += [{"type": "pid"}]'
	create_fails "linux.namespaces"
}

@test "namespace path that does not exist" {
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": "/nonexistent/netns"}'
	create_fails "/nonexistent/netns"
}

@test "namespace path of the wrong namespace type" {
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": "/proc/self/ns/uts"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "network"
	assert_nothing_left "$ID"
}

@test "uid mappings without a user namespace" {
	cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	create_fails "uidMappings"
}

@test "mount with an unknown filesystem type" {
	mkdir -p "$ROOTFS/mnt"
	add_mount '{"destination": "/mnt", "type": "nosuchfs", "source": "none"}'
	create_fails "/mnt"
	assert_contains "$stderr" "nosuchfs" "stderr"
}

@test "mount with a relative destination" {
	add_mount '{"destination": "mnt", "type": "tmpfs", "source": "tmpfs"}'
	create_fails "destination"
}

@test "bind mount of a missing source" {
	mkdir -p "$ROOTFS/mnt"
	add_mount "{\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"$T/no-such-source\", \"options\": [\"rbind\"]}"
	create_fails "no-such-source"
}

# ---- process ----------------------------------------------------------------------

@test "executable not found in PATH" {
	set_args '["no-such-command"]'
	create_fails 'executable file not found in $PATH'
	assert_contains "$stderr" "no-such-command" stderr
}

@test "executable not found by absolute path" {
	set_args '["/nonexistent"]'
	create_fails 'exec "/nonexistent": no such file or directory'
}

@test "executable not found: foreground run" {
	set_args '["no-such-command"]'
	run_fails 'executable file not found in $PATH'
}

@test "file without execute permission" {
	printf '#!/bin/sh\necho hi\n' >"$ROOTFS/bin/noexec"
	chmod 644 "$ROOTFS/bin/noexec"
	set_args '["/bin/noexec"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "ran a file without execute permission"
	assert_contains "$stderr" "moat: " stderr
	assert_contains "$stderr" "/bin/noexec" stderr
	assert_nothing_left "$ID"
}

# ---- ids ------------------------------------------------------------------------------

@test "invalid id: contains a slash" {
	run --separate-stderr moat create --bundle "$BUNDLE" "a/b"
	assert_error "invalid container id"
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
	[ ! -e "$CGROOT/moat/a" ] || fail "cgroup moat/a created"
}

@test "invalid id: starts with a dot" {
	run --separate-stderr moat create --bundle "$BUNDLE" ".x"
	assert_error "invalid container id"
	run --separate-stderr moat create --bundle "$BUNDLE" ".."
	assert_error "invalid container id"
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
}

@test "invalid id: 1025 characters" {
	local long
	long=$(head -c 1025 /dev/zero | tr '\0' a)
	run --separate-stderr moat create --bundle "$BUNDLE" "$long"
	assert_error "invalid container id"
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
}

@test "invalid id: whitespace and empty" {
	run --separate-stderr moat create --bundle "$BUNDLE" "a b"
	assert_error "invalid container id"
	run --separate-stderr moat create --bundle "$BUNDLE" $'a\tb'
	assert_error "invalid container id"
	run --separate-stderr moat create --bundle "$BUNDLE" ""
	assert_error "invalid container id"
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
}

@test "invalid id for state, kill and delete" {
	local cmd
	for cmd in state kill delete; do
		run --separate-stderr moat $cmd "../x"
		assert_error "invalid container id"
	done
}

@test "duplicate id" {
	set_args '["sleep", "100"]'
	create_ok "$ID"
	local before
	before=$(moat state "$ID")
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "already exists"
	assert_eq "$(moat state "$ID")" "$before" "state of the original"
	is_alive "$(pid_of "$ID")" || fail "original init died"
}

# ---- command line ------------------------------------------------------------------------

@test "unknown signal" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat kill "$ID" FOO
	assert_error 'unknown signal "FOO"'
	assert_eq "$(status_of "$ID")" running "status"
}

@test "unknown option" {
	run --separate-stderr moat create --frobnicate --bundle "$BUNDLE" "$ID"
	assert_error "frobnicate"
	assert_nothing_left "$ID"
}

@test "unknown global option" {
	run --separate-stderr moat --frobnicate list
	assert_error "frobnicate"
}

@test "unknown command" {
	run --separate-stderr moat frobnicate
	assert_error "frobnicate"
}

@test "missing id argument" {
	local cmd
	for cmd in create start state kill delete run; do
		run --separate-stderr moat $cmd
		assert_error "id"
	done
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
}

@test "too many arguments" {
	run --separate-stderr moat state "$ID" extra
	[ "$status" -eq 1 ] || fail "status $status"
	assert_contains "$stderr" "moat: " stderr
}

@test "--preserve-fds with a non-number" {
	run --separate-stderr moat create --preserve-fds abc --bundle "$BUNDLE" "$ID"
	assert_error "preserve-fds"
	assert_nothing_left "$ID"
}

@test "pid file in a missing directory fails at the last step and leaves nothing" {
	set_args '["sleep", "100"]'
	create_fails "pid" --pid-file "$T/no/such/dir/pid"
	[ ! -e "$T/no" ] || fail "pid file directory created"
}

@test "pid file in a missing directory: run -d leaves nothing" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat run -d --pid-file "$T/no/such/dir/pid" --bundle "$BUNDLE" "$ID"
	assert_error "pid"
	assert_nothing_left "$ID"
}

@test "start of a missing container" {
	run --separate-stderr moat start "$ID"
	assert_error "container \"$ID\" does not exist"
}

# ---- --log ------------------------------------------------------------------------------------

@test "--log --log-format json: one JSON line with level, msg, time" {
	run --separate-stderr moat --log "$T/log.json" --log-format json state "$ID"
	assert_error "does not exist"
	[ -f "$T/log.json" ] || fail "no log file"
	assert_eq "$(wc -l <"$T/log.json")" 1 "lines in the log"
	local line
	line=$(cat "$T/log.json")
	jq -e . <<<"$line" >/dev/null || fail "not JSON: $line"
	assert_eq "$(jq -r .level <<<"$line")" error "level"
	assert_contains "$(jq -r .msg <<<"$line")" "container \"$ID\" does not exist" "msg"
	local time
	time=$(jq -r .time <<<"$line")
	[[ "$time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
		fail "time is not RFC 3339: $time"
	# and close to now
	local t now
	t=$(date -d "$time" +%s) || fail "date cannot parse $time"
	now=$(date +%s)
	[ $((now - t)) -le 60 ] && [ $((t - now)) -le 60 ] || fail "time $time is not now"
}

@test "--log --log-format json: a failed create logs exactly one line" {
	cfg '.process.user.uid = "x"'
	run --separate-stderr moat --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_error "process.user.uid"
	assert_eq "$(wc -l <"$T/log.json")" 1 "lines in the log"
	assert_eq "$(jq -r .level "$T/log.json")" error "level"
	assert_contains "$(jq -r .msg "$T/log.json")" "process.user.uid" "msg"
	assert_nothing_left "$ID"
}

@test "--log --log-format json: a failure inside the container's setup is logged once" {
	set_args '["/nonexistent"]'
	run --separate-stderr moat --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_error "/nonexistent"
	assert_eq "$(wc -l <"$T/log.json")" 1 "lines in the log ($(cat "$T/log.json"))"
	jq -e '.level == "error" and (.msg | contains("/nonexistent"))' "$T/log.json" >/dev/null ||
		fail "log line: $(cat "$T/log.json")"
	assert_nothing_left "$ID"
}

@test "--log text: the message is in the log file" {
	run --separate-stderr moat --log "$T/log.txt" state "$ID"
	assert_error "does not exist"
	assert_contains "$(cat "$T/log.txt")" "container \"$ID\" does not exist" "log file"
}

@test "--log --log-format json: success logs no error" {
	set_args '["true"]'
	run --separate-stderr moat --log "$T/log.json" --log-format json run --bundle "$BUNDLE" "$ID"
	assert_status 0
	if [ -s "$T/log.json" ]; then
		jq -e 'select(.level == "error")' "$T/log.json" >/dev/null &&
			fail "error logged on success: $(cat "$T/log.json")"
		jq -e . "$T/log.json" >/dev/null || fail "log is not JSON lines: $(cat "$T/log.json")"
	fi
	true
}

@test "--log-format with a bad value" {
	run --separate-stderr moat --log-format xml list
	assert_error "log-format"
}
