#!/usr/bin/env bats
# moat kill: signal names and numbers, --all, errors; signal forwarding of a
# foreground run.  The container's init is pid 1 of its pid namespace and
# ignores signals it has no handler for, so the processes trap them and
# report through a bind-mounted host directory ($OUT).

load helpers

# trapper SIGNAL...: run -d a shell that, on any of SIGNALs, writes
# "got-<SIGNAL>" to /out/sig and exits 3
trapper() {
	bind_out
	local traps="" s
	for s in "$@"; do
		traps="$traps trap 'echo got-$s >/out/sig; exit 3' $s;"
	done
	set_sh "$traps echo ready >/out/ready; while :; do sleep 0.1; done"
	run_d_ok "$ID"
	wait_file "$OUT/ready"
}

# kill_ok ARGS...: moat kill ARGS must succeed silently
kill_ok() {
	run --separate-stderr moat kill "$@"
	assert_status 0
	assert_silent
}

# got SIGNAL: the trap of SIGNAL ran and the container stopped
got() {
	wait_file "$OUT/sig"
	assert_eq "$(cat "$OUT/sig")" "got-$1" "signal received"
	wait_status "$ID" stopped
}

@test "kill TERM" {
	trapper TERM
	kill_ok "$ID" TERM
	got TERM
}

@test "kill SIGTERM" {
	trapper TERM
	kill_ok "$ID" SIGTERM
	got TERM
}

@test "kill term (lower case)" {
	trapper TERM
	kill_ok "$ID" term
	got TERM
}

@test "kill sigusr1 (lower case with sig)" {
	trapper USR1 TERM
	kill_ok "$ID" sigusr1
	got USR1
}

@test "kill 15" {
	trapper TERM
	kill_ok "$ID" 15
	got TERM
}

@test "kill 10 is SIGUSR1" {
	trapper USR1 USR2 TERM
	kill_ok "$ID" 10
	got USR1
}

@test "kill USR2 by name reaches the USR2 trap, not HUP or INT" {
	trapper HUP INT USR2
	kill_ok "$ID" USR2
	got USR2
}

@test "kill without a signal sends SIGTERM" {
	trapper TERM USR1 INT HUP
	kill_ok "$ID"
	got TERM
}

@test "kill KILL: the container stops" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	kill_ok "$ID" KILL
	wait_status "$ID" stopped
	is_alive "$pid" && fail "init $pid alive after SIGKILL"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "kill 9 of a created container: it stops without running" {
	bind_out
	set_sh 'echo ran >/out/ran'
	create_ok "$ID"
	kill_ok "$ID" 9
	wait_status "$ID" stopped
	[ ! -e "$OUT/ran" ] || fail "the process ran"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "run in the foreground: SIGKILL from kill gives 137" {
	set_args '["sleep", "100"]'
	MOAT_TEST_TAG=$TAG "$MOAT" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >"$T/run.out" 2>"$T/run.err" </dev/null &
	local runpid=$!
	wait_status "$ID" running
	record_pid "$ID"
	kill_ok "$ID" SIGKILL
	local rc=0
	wait "$runpid" || rc=$?
	assert_eq "$rc" 137 "status of moat run"
	assert_nothing_left "$ID"
}

@test "run in the foreground forwards signals to the process" {
	bind_out
	set_sh "trap 'echo got-USR1 >/out/sig; exit 3' USR1; echo ready >/out/ready; while :; do sleep 0.1; done"
	MOAT_TEST_TAG=$TAG "$MOAT" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >"$T/run.out" 2>"$T/run.err" </dev/null &
	local runpid=$!
	wait_file "$OUT/ready"
	record_pid "$ID"
	kill -USR1 "$runpid"
	local rc=0
	wait "$runpid" || rc=$?
	assert_eq "$(cat "$OUT/sig" 2>/dev/null)" got-USR1 "signal received by the process"
	assert_eq "$rc" 3 "status of moat run (stderr: $(cat "$T/run.err"))"
	assert_nothing_left "$ID"
}

@test "kill signals only the init; kill --all every process of the container" {
	bind_out
	# a child with its own USR2 trap; the init (pid 1) has none: ignores it
	set_sh "sh -c 'trap \"echo child-got >>/out/child\" USR2; echo ready >/out/ready; while :; do sleep 0.1; done' & while :; do sleep 0.1; done"
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	kill_ok "$ID" USR2
	sleep 0.5
	[ ! -e "$OUT/child" ] || fail "kill without --all reached a child"
	assert_eq "$(status_of "$ID")" running "status"
	kill_ok --all "$ID" USR2
	wait_file "$OUT/child"
	assert_eq "$(cat "$OUT/child")" child-got "child's trap"
}

@test "kill --all KILL: every process of the container dies" {
	set_sh 'sleep 100 & sleep 100 & sleep 100 & wait'
	run_d_ok "$ID"
	local n=0
	for _ in $(seq 40); do
		n=$(wc -l <"$CGROOT/moat/$ID/cgroup.procs")
		[ "$n" -ge 4 ] && break
		sleep 0.05
	done
	assert_eq "$n" 4 "processes in the cgroup"
	local procs p
	procs=$(cat "$CGROOT/moat/$ID/cgroup.procs")
	kill_ok --all "$ID" KILL
	wait_status "$ID" stopped
	for p in $procs; do
		wait_gone "$p" "after kill --all KILL, process" 2
	done
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs" 2>/dev/null)" "" "cgroup.procs"
}

@test "kill -a (short option) works" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	kill_ok -a "$ID" KILL
	wait_status "$ID" stopped
}

@test "kill with an unknown signal fails and does not touch the container" {
	trapper TERM USR1
	run --separate-stderr moat kill "$ID" FOO
	assert_error 'unknown signal "FOO"'
	run --separate-stderr moat kill "$ID" SIGFOO
	assert_error 'unknown signal'
	assert_eq "$(status_of "$ID")" running "status"
	[ ! -e "$OUT/sig" ] || fail "a signal was delivered: $(cat "$OUT/sig")"
}

@test "kill with an out-of-range signal number fails" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat kill "$ID" 99
	assert_error "signal"
	run --separate-stderr moat kill "$ID" 0x5
	assert_error "signal"
	assert_eq "$(status_of "$ID")" running "status"
}

@test "kill of a stopped container: container not running" {
	set_args '["true"]'
	run_d_ok "$ID"
	wait_status "$ID" stopped
	run --separate-stderr moat kill "$ID" KILL
	assert_error "container not running"
	run --separate-stderr moat kill "$ID"
	assert_error "container not running"
}

@test "kill --all of a stopped container exits 0" {
	set_args '["true"]'
	run_d_ok "$ID"
	wait_status "$ID" stopped
	run --separate-stderr moat kill --all "$ID" KILL
	assert_status 0
	assert_eq "$(status_of "$ID")" stopped "status"
}

@test "kill of a missing container fails" {
	run --separate-stderr moat kill "$ID-missing" KILL
	assert_error "container \"$ID-missing\" does not exist"
}
