#!/usr/bin/env bats
# exec and ps: joining a running container, seen from inside and outside.

load helpers

_running() {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	wait_status "$ID" running
}

@test "exec: joins every namespace and the cgroup of the container" {
	_running
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr moat exec "$ID" sh -c 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; grep "^0::" /proc/self/cgroup; hostname'
	assert_status 0
	local n i=0
	for n in pid net ipc uts mnt cgroup; do
		assert_eq "${lines[$i]}" "$(readlink /proc/$pid/ns/$n)" "$n namespace"
		i=$((i + 1))
	done
	assert_eq "${lines[6]}" "0::/" "cgroup inside its cgroup namespace"
	assert_eq "${lines[7]}" "moat" "hostname"
}

@test "exec: the process is in the container's cgroup (seen from the host)" {
	_running
	run --separate-stderr moat exec -d --pid-file "$T/epid" "$ID" sleep 30
	assert_status 0
	assert_silent
	local epid
	epid=$(cat "$T/epid")
	[[ "$epid" =~ ^[0-9]+$ ]] || fail "pid file: [$epid]"
	grep -qx "0::/moat/$ID" "/proc/$epid/cgroup" || fail "exec cgroup: $(cat /proc/$epid/cgroup)"
	run --separate-stderr moat ps --format json "$ID"
	assert_status 0
	assert_eq "$stderr" "" "ps stderr"
	local init
	init=$(pid_of "$ID")
	assert_eq "$(jq -c 'sort' <<<"$output")" "$(jq -nc --argjson a "$init" --argjson b "$epid" '[$a, $b] | sort')" "ps --format json"
}

@test "exec: exit status, signals and a missing program" {
	_running
	run --separate-stderr moat exec "$ID" sh -c 'exit 9'
	assert_status 9
	run --separate-stderr moat exec "$ID" sh -c 'kill -TERM $$'
	assert_status 143
	run --separate-stderr moat exec "$ID" /nonexistent
	assert_error 'exec "/nonexistent": no such file or directory'
	run --separate-stderr moat exec "$ID" nosuchprogram
	assert_error "executable file not found in \$PATH"
}

@test "exec: --user, --additional-gids, --env, --cwd, --cap, --no-new-privs" {
	_running
	run --separate-stderr moat exec -u 1000:1001 --additional-gids 5 --additional-gids 7 -e A=1 -e B=two --cwd /tmp "$ID" sh -c 'id -u; id -g; id -G; echo $A $B; pwd'
	assert_status 0
	assert_eq "${lines[0]}" 1000 uid
	assert_eq "${lines[1]}" 1001 gid
	assert_eq "${lines[2]}" "1001 5 7" groups
	assert_eq "${lines[3]}" "1 two" env
	assert_eq "${lines[4]}" /tmp cwd
	cfg '.process.noNewPrivileges = false'
	run --separate-stderr moat exec --cap CAP_SYS_ADMIN --no-new-privs "$ID" sh -c 'grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status'
	assert_status 0
	assert_contains "$output" "CapBnd:	$(cap_mask 5 10 21 29)"
	assert_contains "$output" "NoNewPrivs:	1"
}

@test "exec: -e replaces a variable of the container's env; --pid-file in the foreground" {
	_running
	run --separate-stderr moat exec -e PATH=/bin -e NEW=1 --pid-file "$T/fgpid" "$ID" sh -c 'echo "$PATH $NEW"; env | grep -c "^PATH="'
	assert_status 0
	assert_eq "${lines[0]}" "/bin 1" "env"
	assert_eq "${lines[1]}" 1 "one PATH"
	[[ "$(cat "$T/fgpid")" =~ ^[0-9]+$ ]] || fail "pid file: $(cat "$T/fgpid")"
}

@test "exec: inherits the container's capabilities and no_new_privs" {
	_running
	run --separate-stderr moat exec "$ID" sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
	assert_status 0
	assert_contains "$output" "CapEff:	$(cap_mask 5 10 29)"
	assert_contains "$output" "NoNewPrivs:	1"
}

@test "exec: --process FILE" {
	_running
	cat >"$T/process.json" <<-'EOS'
	{"args": ["sh", "-c", "echo from-process $X; id -u"], "cwd": "/", "env": ["X=y"], "user": {"uid": 123, "gid": 0}}
	EOS
	run --separate-stderr moat exec --process "$T/process.json" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" "from-process y"
	assert_eq "${lines[1]}" 123
	echo '{"args": "sh"}' >"$T/bad.json"
	run --separate-stderr moat exec --process "$T/bad.json" "$ID"
	assert_error "process.args"
}

@test "exec: only stdio reaches the process; the moat binary is not its exe" {
	_running
	run --separate-stderr bash -c 'exec 7</ 8</etc/passwd; "$@"' _ "$MOAT" --root "$ROOT" exec "$ID" sh -c 'readlink /proc/$$/exe; exec ls /proc/self/fd'
	assert_status 0
	assert_contains "${lines[0]}" busybox "exe"
	# ls's own fds: stdio and the directory it lists
	assert_eq "$(echo ${lines[@]:1})" "0 1 2 3" "fds of the exec'd process"
}

@test "exec: a leaked host directory fd cannot become the cwd" {
	_running
	run --separate-stderr bash -c 'exec 7</; "$@"' _ "$MOAT" --root "$ROOT" exec --cwd /proc/self/fd/7 "$ID" pwd
	[ "$status" -ne 0 ] || fail "exec with a leaked cwd succeeded: $output"
	assert_contains "$stderr" "working directory"
}

@test "exec: -t gives the process a terminal" {
	_running
	run --separate-stderr moat exec -t "$ID" sh -c 'tty; [ -t 0 ] && echo stdin-tty'
	assert_status 0
	assert_contains "$output" "/dev/pts/"
	assert_contains "$output" "stdin-tty"
}

@test "exec: into a stopped or missing container fails clearly" {
	set_args '["true"]'
	run --separate-stderr moat run --keep --bundle "$BUNDLE" "$ID"
	assert_status 0
	run --separate-stderr moat exec "$ID" true
	assert_error "it is stopped"
	run --separate-stderr moat exec "$ID-missing" true
	assert_error "does not exist"
	run --separate-stderr moat ps --format json "$ID"
	assert_status 0
	assert_eq "$output" "[]" "ps of a stopped container"
}

@test "exec: missing command is a usage error" {
	_running
	run --separate-stderr moat exec "$ID"
	assert_error "missing command"
}

# Engines map these words to exit codes: "executable file not found in" /
# "no such file or directory" to 127, "permission denied" to 126.  run and
# exec say the same (one finish sequence).
@test "exec: a missing program and a non-executable file give the texts engines map to 127 and 126, as run does" {
	printf '#!/bin/sh\necho no\n' >"$ROOTFS/not-executable"
	chmod 0644 "$ROOTFS/not-executable"
	set_args '["/nonexistent"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-r1"
	assert_error 'exec "/nonexistent": no such file or directory'
	set_args '["/not-executable"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-r2"
	assert_error 'exec "/not-executable": permission denied'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" /nonexistent
	assert_error 'exec "/nonexistent": no such file or directory'
	run --separate-stderr moat exec "$ID" /not-executable
	assert_error 'exec "/not-executable": permission denied'
	run --separate-stderr moat exec "$ID" no-such-program
	assert_error 'exec "no-such-program": executable file not found in $PATH: no such file or directory'
	# the container is untouched and nothing of the failed execs remains
	assert_eq "$(moat ps --format json "$ID" | jq length)" 1 "processes in the container"
}

# as runc and crun: the exec'd process leads a session and a process group
# of its own, with or without a terminal
@test "exec: the process leads its own session and process group" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local script='read -r pid _ _ _ pgrp sid _ </proc/self/stat; echo "$pid $pgrp $sid"'
	run --separate-stderr moat exec "$ID" sh -c "$script"
	assert_status 0
	local pid pgrp sid
	read -r pid pgrp sid <<<"$output"
	[ -n "$pid" ] && [ "$pgrp" = "$pid" ] && [ "$sid" = "$pid" ] ||
		fail "exec without a terminal: pid, pgrp, session = [$output]"
	run --separate-stderr moat exec -t "$ID" sh -c "$script"
	assert_status 0
	read -r pid pgrp sid <<<"${output//$'\r'/}"
	[ -n "$pid" ] && [ "$pgrp" = "$pid" ] && [ "$sid" = "$pid" ] ||
		fail "exec with a terminal: pid, pgrp, session = [$output]"
	moat delete -f "$ID"
	assert_nothing_left "$ID"
}

# runc's exec --cgroup: an existing cgroup below the container's (what a
# container that manages its own sub-cgroups needs), never outside it
@test "exec: --cgroup runs the process in a sub-cgroup of the container's, and nowhere else" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local cg=$CGROOT/moat/$ID
	[ -d "$cg" ] || fail "no cgroup $cg for the container (sanity)"
	mkdir "$cg/sub" "$CGROOT/moat/$ID-outside"
	on_teardown "rmdir '$CGROOT/moat/$ID-outside' 2>/dev/null"
	run --separate-stderr moat exec -d --pid-file "$T/p" --cgroup sub "$ID" sleep 100
	assert_status 0
	grep -qx "$(cat "$T/p")" "$cg/sub/cgroup.procs" ||
		fail "the exec'd process is not in $cg/sub: $(cat "/proc/$(cat "$T/p")/cgroup")"
	run --separate-stderr moat exec --cgroup :/sub "$ID" true
	assert_status 0
	local bad
	for bad in "../$ID-outside" "sub/../../$ID-outside" missing "cpu:sub"; do
		run --separate-stderr moat exec --cgroup "$bad" "$ID" true
		assert_status 1
		assert_contains "$stderr" "--cgroup \`$bad\`"
	done
	moat delete -f "$ID"
	assert_nothing_left "$ID"
}

# runc's exec --ignore-paused: the process joins the frozen cgroup and runs
# at resume; without the flag exec into a paused container is refused
@test "exec: --ignore-paused waits for resume, without it a paused container is refused" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	moat pause "$ID"
	run --separate-stderr moat exec "$ID" true
	assert_status 1
	assert_contains "$stderr" "paused"
	moat exec --ignore-paused "$ID" echo ran-after-resume >"$T/out" 2>"$T/err" &
	local ex=$!
	sleep 1
	is_alive "$ex" || fail "exec --ignore-paused into a paused container ended before resume: $(cat "$T/out" "$T/err")"
	moat resume "$ID"
	local rc=0
	wait "$ex" || rc=$?
	[ "$rc" -eq 0 ] || fail "exec --ignore-paused: status $rc: $(cat "$T/err")"
	assert_eq "$(cat "$T/out")" ran-after-resume
	moat delete -f "$ID"
	assert_nothing_left "$ID"
}
