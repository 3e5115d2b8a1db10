#!/usr/bin/env bats
# Container lifecycle: create, start, state, list, run, delete.

load helpers

@test "create: status created, pid file matches the state, init exists" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat create --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	assert_status 0
	assert_silent
	record_pid "$ID"

	run --separate-stderr moat state "$ID"
	assert_status 0
	local st=$output
	assert_eq "$(jq -r .status <<<"$st")" created "status"
	assert_eq "$(jq -r .id <<<"$st")" "$ID" "id"
	assert_eq "$(jq -r .ociVersion <<<"$st")" 1.3.0 "ociVersion"
	assert_eq "$(jq -r .bundle <<<"$st")" "$BUNDLE" "bundle"
	assert_eq "$(jq -r .rootfs <<<"$st")" "$ROOTFS" "rootfs"
	# as runc prints them: the owner only in list, the state indented
	assert_eq "$(jq -r .owner <<<"$st")" "" "owner in state"
	assert_eq "$(sed -n 2p <<<"$st")" "  \"ociVersion\": \"1.3.0\"," "the state's second line"
	run --separate-stderr moat list
	assert_contains "$output" "root" "owner in list"
	[[ "$(jq -r .created <<<"$st")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
		fail "created is not RFC 3339: $(jq -r .created <<<"$st")"

	local pid
	pid=$(jq -r .pid <<<"$st")
	[[ "$pid" =~ ^[1-9][0-9]*$ ]] || fail "pid is not a positive integer: $pid"
	# the pid file is the decimal pid without a newline
	assert_eq "$(cat "$T/pid")" "$pid" "pid file"
	assert_eq "$(wc -c <"$T/pid")" "${#pid}" "pid file size"
	[ -d "/proc/$pid" ] || fail "/proc/$pid does not exist"
	is_alive "$pid" || fail "init $pid is not alive"
	# the init is in the container's cgroup already
	grep -qx "0::/moat/$ID" "/proc/$pid/cgroup" || fail "init cgroup: $(cat /proc/$pid/cgroup)"
	# and has not executed the process yet
	assert_ne "$(readlink "/proc/$pid/exe")" "$ROOTFS/bin/busybox" "exe before start"
}

@test "start: created -> running -> stopped when the process exits -> delete leaves nothing" {
	set_sh 'sleep 1; exit 0'
	create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")

	run --separate-stderr moat start "$ID"
	assert_status 0
	assert_silent
	assert_eq "$(status_of "$ID")" running "status after start"
	assert_eq "$(pid_of "$ID")" "$pid" "pid after start"
	# the init now runs the container's process
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sh -c sleep 1; exit 0 " "cmdline of the init"

	wait_status "$ID" stopped 5
	assert_eq "$(pid_of "$ID")" 0 "pid of a stopped container"
	is_alive "$pid" && fail "init $pid still alive after stopped"

	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_silent
	run --separate-stderr moat state "$ID"
	assert_error "container \"$ID\" does not exist"
	assert_nothing_left "$ID"
}

@test "start of a running or stopped container fails" {
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat start "$ID"
	assert_status 0
	run --separate-stderr moat start "$ID"
	[ "$status" -ne 0 ] || fail "second start succeeded"
	assert_contains "$stderr" "moat: " stderr
	assert_eq "$(status_of "$ID")" running "status"
}

@test "create of a config without process: an init that waits with nothing, start refused, exec and delete work" {
	cfg 'del(.process)'
	create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(status_of "$ID")" created "status"
	# what waits is the container's root with nothing it could use
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 0 "uid of the init"
	assert_eq "$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")" 0000000000000000 "bounding set"
	assert_eq "$(awk '/^CapPrm:/ { print $2 }' "/proc/$pid/status")" 0000000000000000 "permitted set"
	assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")" 1 "no_new_privs"
	[ "$(stat -c %i "/proc/$pid/cwd/")" = "$(stat -c %i "/proc/$pid/root/")" ] || fail "the init does not wait at the container's root"
	run --separate-stderr moat start "$ID"
	assert_error "cannot start container \"$ID\": its config has no process"
	assert_eq "$(status_of "$ID")" created "status after the refused start"
	assert_eq "$(pid_of "$ID")" "$pid" "the init after the refused start"
	run --separate-stderr moat exec "$ID" sh -c 'echo ok; pwd; grep ^NoNewPrivs: /proc/self/status'
	assert_status 0
	assert_eq "${lines[0]}" ok "exec's output"
	assert_eq "${lines[1]}" / "exec's working directory"
	assert_contains "${lines[2]}" "1" "exec's no_new_privs"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "run of a config without process is refused before anything is made" {
	cfg 'del(.process)'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "process: missing (run starts the container's process"
	assert_nothing_left "$ID"
	run --separate-stderr moat run -d --bundle "$BUNDLE" "$ID"
	assert_error "process: missing"
	assert_nothing_left "$ID"
}

@test "kill and delete print nothing on success" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_silent
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	assert_silent
	wait_status "$ID" stopped
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_silent
	assert_nothing_left "$ID"
}

@test "list: table, json and -q" {
	set_args '["sleep", "100"]'
	create_ok "$ID-a"
	run_d_ok "$ID-b"

	run --separate-stderr moat list
	assert_status 0
	local header
	header=$(head -n1 <<<"$output")
	for col in ID PID STATUS BUNDLE CREATED OWNER; do
		assert_contains "$header" "$col" "list header"
	done
	assert_eq "$(wc -l <<<"$output")" 3 "lines of list"
	local line
	line=$(grep "^$ID-a " <<<"$output") || fail "no line for $ID-a: $output"
	assert_contains "$line" " created " "line of $ID-a"
	assert_contains "$line" " $(pid_of "$ID-a") " "line of $ID-a"
	assert_contains "$line" "$BUNDLE" "line of $ID-a"
	line=$(grep "^$ID-b " <<<"$output") || fail "no line for $ID-b: $output"
	assert_contains "$line" " running " "line of $ID-b"

	run --separate-stderr moat list --format json
	assert_status 0
	jq -e . <<<"$output" >/dev/null || fail "list json is not JSON: $output"
	assert_eq "$(jq -r 'length' <<<"$output")" 2 "length"
	assert_eq "$(jq -r --arg id "$ID-a" '.[] | select(.id == $id) | .status' <<<"$output")" created "json status of $ID-a"
	assert_eq "$(jq -r --arg id "$ID-b" '.[] | select(.id == $id) | .status' <<<"$output")" running "json status of $ID-b"
	assert_eq "$(jq -r --arg id "$ID-b" '.[] | select(.id == $id) | .pid' <<<"$output")" "$(pid_of "$ID-b")" "json pid of $ID-b"

	run --separate-stderr moat list -q
	assert_status 0
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$ID-a $ID-b " "list -q"
}

@test "list of an empty or missing root" {
	run --separate-stderr moat list -q
	assert_status 0
	assert_eq "$output" "" "list -q"
	run --separate-stderr moat list --format json
	assert_status 0
	assert_eq "$(jq -c . <<<"$output")" "[]" "list json"
}

@test "run: foreground exit status 0, output passed through, container deleted" {
	set_sh 'echo hello-out; echo hello-err >&2; exit 0'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" hello-out "stdout"
	assert_eq "$stderr" hello-err "stderr"
	run --separate-stderr moat state "$ID"
	assert_error "does not exist"
	assert_nothing_left "$ID"
}

@test "run: foreground exit status 3" {
	set_sh 'exit 3'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 3
	assert_nothing_left "$ID"
}

@test "run: process killed by SIGKILL gives 137" {
	# the container's init is pid 1 of its pid namespace: it cannot kill
	# itself with SIGKILL, so the signal comes from outside
	set_args '["sleep", "100"]'
	MOAT_TEST_TAG=$TAG "$MOAT" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >"$T/run.out" 2>"$T/run.err" </dev/null &
	local runpid=$!
	wait_status "$ID" running
	record_pid "$ID"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	local rc=0
	wait "$runpid" || rc=$?
	assert_eq "$rc" 137 "exit status of moat run (stderr: $(cat "$T/run.err"))"
	assert_nothing_left "$ID"
}

@test "run: a child of the process killed by a signal gives its shell status" {
	set_sh 'sh -c "kill -9 \$\$"; exit $?'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 137
	assert_nothing_left "$ID"
}

@test "run --detach: running, pid file, then killed and deleted" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat run -d --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
	assert_status 0
	assert_silent
	record_pid "$ID"
	assert_eq "$(status_of "$ID")" running "status"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(cat "$T/pid")" "$pid" "pid file"
	is_alive "$pid" || fail "init $pid not alive"
	assert_eq "$(readlink "/proc/$pid/exe" | sed 's|.*/||')" busybox "exe of the init"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "run --keep: leaves a stopped container" {
	set_sh 'exit 5'
	run --separate-stderr moat run --keep --bundle "$BUNDLE" "$ID"
	assert_status 5
	run --separate-stderr moat state "$ID"
	assert_status 0
	assert_eq "$(jq -r .status <<<"$output")" stopped "status"
	assert_eq "$(jq -r .pid <<<"$output")" 0 "pid"
	[ -d "$ROOT/$ID" ] || fail "no state directory"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "delete refuses a created container without --force" {
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat delete "$ID"
	assert_error "not stopped"
	assert_eq "$(status_of "$ID")" created "status after refused delete"
	is_alive "$(pid_of "$ID")" || fail "init died"
	[ -d "$CGROOT/moat/$ID" ] || fail "cgroup removed by a refused delete"
}

@test "delete refuses a running container without --force" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat delete "$ID"
	assert_error "not stopped"
	assert_eq "$(status_of "$ID")" running "status after refused delete"
	is_alive "$(pid_of "$ID")" || fail "init died"
}

@test "delete --force of a running container leaves nothing" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr moat delete --force "$ID"
	assert_status 0
	assert_silent
	is_alive "$pid" && fail "init $pid still alive"
	assert_nothing_left "$ID"
}

@test "delete -f of a created container leaves nothing" {
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_silent
	assert_nothing_left "$ID"
}

@test "delete -f of a running container with children leaves nothing" {
	set_sh 'sleep 100 & sleep 100 & wait'
	run_d_ok "$ID"
	local procs
	for _ in $(seq 50); do
		procs=$(cat "$CGROOT/moat/$ID/cgroup.procs" | wc -l)
		[ "$procs" -ge 3 ] && break
		sleep 0.05
	done
	assert_eq "$procs" 3 "processes in the cgroup"
	local all
	all=$(cat "$CGROOT/moat/$ID/cgroup.procs")
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	local p
	for p in $all; do
		is_alive "$p" && fail "process $p of the container still alive"
	done
	assert_nothing_left "$ID"
}

@test "delete -f of a missing id exits 0" {
	run --separate-stderr moat delete -f "$ID-missing"
	assert_status 0
	assert_eq "$output" "" "stdout"
}

@test "delete of a missing id fails" {
	run --separate-stderr moat delete "$ID-missing"
	assert_error "container \"$ID-missing\" does not exist"
}

@test "state of a missing id fails" {
	run --separate-stderr moat state "$ID-missing"
	assert_error "container \"$ID-missing\" does not exist"
	assert_eq "$output" "" "stdout"
}

@test "create with an existing id fails and leaves the original intact" {
	set_args '["sleep", "100"]'
	create_ok "$ID"
	local pid before
	pid=$(pid_of "$ID")
	before=$(moat state "$ID")
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "already exists"
	assert_eq "$(moat state "$ID")" "$before" "state after the failed create"
	is_alive "$pid" || fail "original init $pid died"
	grep -qx "0::/moat/$ID" "/proc/$pid/cgroup" || fail "original init left its cgroup: $(cat /proc/$pid/cgroup)"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs")" "$pid" "processes of the cgroup"
	# the original still works
	run --separate-stderr moat start "$ID"
	assert_status 0
	assert_eq "$(status_of "$ID")" running "status"
}

@test "run -d with an existing id fails and leaves the running original intact" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr moat run -d --bundle "$BUNDLE" "$ID"
	assert_error "already exists"
	assert_eq "$(status_of "$ID")" running "status"
	assert_eq "$(pid_of "$ID")" "$pid" "pid"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs")" "$pid" "processes of the cgroup"
}

@test "concurrent creates of the same id: exactly one wins" {
	set_args '["sleep", "100"]'
	local k n=6
	for k in $(seq $n); do
		(
			env MOAT_TEST_TAG="$TAG" "$MOAT" --root "$ROOT" create --bundle "$BUNDLE" "$ID" >"$T/out.$k" 2>"$T/err.$k"
			echo $? >"$T/rc.$k"
		) &
	done
	wait
	local ok=0 failed=0
	for k in $(seq $n); do
		if [ "$(cat "$T/rc.$k")" = 0 ]; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
			assert_contains "$(cat "$T/err.$k")" "already exists" "stderr of a losing create"
		fi
	done
	assert_eq "$ok" 1 "successful creates"
	record_pid "$ID"
	assert_eq "$(status_of "$ID")" created "status"
	local pid
	pid=$(pid_of "$ID")
	is_alive "$pid" || fail "winner's init $pid not alive"
	# only the winner's init is in the cgroup, no loser left a process
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs")" "$pid" "processes of the cgroup"
	local tagged
	tagged=$(_tagged_pids | grep -vx "$pid" | tr '\n' ' ')
	assert_eq "$tagged" "" "processes left by the losing creates"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "concurrent creates of different ids all succeed" {
	set_args '["sleep", "100"]'
	local k n=5
	for k in $(seq $n); do
		(
			env MOAT_TEST_TAG="$TAG" "$MOAT" --root "$ROOT" create --bundle "$BUNDLE" "$ID-$k" >/dev/null 2>"$T/err.$k"
			echo $? >"$T/rc.$k"
		) &
	done
	wait
	for k in $(seq $n); do
		assert_eq "$(cat "$T/rc.$k")" 0 "status of create $ID-$k ($(cat "$T/err.$k"))"
		record_pid "$ID-$k"
		assert_eq "$(status_of "$ID-$k")" created "status of $ID-$k"
	done
	assert_eq "$(moat list -q | wc -l)" "$n" "containers listed"
	for k in $(seq $n); do
		run --separate-stderr moat delete -f "$ID-$k"
		assert_status 0
		assert_nothing_left "$ID-$k"
	done
}

@test "a container whose init was killed from outside is stopped" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	kill -9 "$(pid_of "$ID")"
	wait_status "$ID" stopped
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "delete: the default cgroup parent goes with the last container, whichever made it" {
	set_args '["sleep", "100"]'
	# the parent may exist already (another container of this run): then
	# neither of ours made it, and the check below holds all the same
	create_ok "$ID-a"
	create_ok "$ID-b"
	run --separate-stderr moat delete -f "$ID-a"
	assert_status 0
	[ -d "$CGROOT/moat" ] || fail "the parent went while $ID-b still uses it"
	run --separate-stderr moat delete -f "$ID-b"
	assert_status 0
	if [ -d "$CGROOT/moat" ]; then
		local subs
		subs=$(find "$CGROOT/moat" -mindepth 1 -maxdepth 1 -type d | wc -l)
		[ "$subs" -gt 0 ] || fail "an empty $CGROOT/moat was left behind"
	fi
}

# A cgroup driver that cannot have processes born in the cgroup
# (CLONE_INTO_CGROUP: a cgroup v1 driver) moves them in before they do
# anything.  MOAT_FAULT=attach-cgroup plays such a driver.
@test "a driver that places processes by moving them: the init and exec'd processes end in the cgroup" {
	set_args '["sleep", "100"]'
	MOAT_FAULT=attach-cgroup run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	grep -qx "0::/moat/$ID" "/proc/$pid/cgroup" || fail "the init is not in its cgroup: $(cat "/proc/$pid/cgroup")"
	run --separate-stderr moat exec "$ID" grep ^0:: /proc/self/cgroup
	assert_status 0
	assert_eq "$output" "0::/" "the init's cgroup namespace is rooted at its cgroup"
	run --separate-stderr env MOAT_FAULT=attach-cgroup "$MOAT" --root "$ROOT" exec "$ID" grep ^0:: /proc/self/cgroup
	assert_status 0
	assert_eq "$output" "0::/" "an exec'd process moved in, seen in the container's cgroup namespace"
	MOAT_FAULT=attach-cgroup moat exec -d --pid-file "$T/exec.pid" "$ID" sleep 50
	grep -qx "0::/moat/$ID" "/proc/$(cat "$T/exec.pid")/cgroup" || fail "the exec'd process is not in the container's cgroup"
}
