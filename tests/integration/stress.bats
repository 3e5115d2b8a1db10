#!/usr/bin/env bats
# Stress: many moat commands at once on real containers, checked from
# outside.  Every moat call is bounded by `timeout` (status 124/137 is a
# hang), every storm by an overall deadline, so a deadlock fails the test
# instead of stopping the run; afterwards nothing may be left: no state
# directory, no temporary under $ROOT/.tmp, no cgroup, no process, no mount.
#
# The storms run in worker shells (xargs -P, background loops) that record
# every call in $SDIR; the test then reads the records.  Each test prints a
# "# <test>: <seconds>; calls ..." line with what its storm did.  Knobs:
#   STRESS_CALL_TIMEOUT  seconds for one moat call (default 20)

load helpers

# ---- shared by the workers (exported to the shells xargs starts) -----------

# sc NAME ARGS...: one bounded moat call with this test's --root; stdout,
# stderr and status in $SDIR/NAME.{out,err,rc} and in sc_out, sc_err, sc_rc
# (the .rc file appears only when the call is over: a missing one is a call
# that never returned).  The call's stdio are files, never a pipe a
# container init could hold open.
sc() {
	local f=$SDIR/$1
	shift
	rm -f "$f.rc"
	MOAT_TEST_TAG=$TAG timeout -k 2 "${STRESS_CALL_TIMEOUT:-20}" "$MOAT" --root "$ROOT" "$@" \
		>"$f.out" 2>"$f.err" </dev/null
	sc_rc=$?
	sc_out=$(<"$f.out")
	sc_err=$(<"$f.err")
	echo "$sc_rc" >"$f.rc"
	echo "$1 $sc_rc" >>"$SDIR/calls"
}

# valid_state JSON ID: a state as `moat state` prints it
valid_state() {
	jq -e --arg id "$2" 'type == "object" and .id == $id and .ociVersion != null
		and (.status | IN("created", "running", "paused", "stopped"))
		and (.pid | type == "number")
		and (if .status == "stopped" then .pid == 0 else .pid > 0 end)
		and (.bundle | type == "string")' <<<"$1" >/dev/null 2>&1
}

# check_state_file ID: state.json, if there, is whole, valid JSON of ID
# (it is replaced by rename: a reader must never see a partial one)
check_state_file() {
	local j
	j=$(cat "$ROOT/$1/state.json" 2>/dev/null) || return 0
	jq -e --arg id "$1" 'type == "object" and .id == $id' <<<"$j" >/dev/null 2>&1 ||
		echo "corrupt state.json: [$j]"
}

# bad WHAT: record an unexpected result of the last sc call
bad() {
	printf '%s: %s: status %s, stdout [%s], stderr [%s]\n' "$(date +%T.%N)" "$1" \
		"$sc_rc" "$sc_out" "$sc_err" >>"$SDIR/bad"
}

# a moat error (exit 1, one "moat: " line, nothing on stdout) matching the
# extended regular expression RE
is_error() {
	[ "$sc_rc" = 1 ] && [ -z "$sc_out" ] && [ "$(wc -l <<<"$sc_err")" = 1 ] &&
		[[ $sc_err =~ ^moat:\ $1$ ]]
}

is_silent_ok() {
	[ "$sc_rc" = 0 ] && [ -z "$sc_out" ] && [ -z "$sc_err" ]
}

# remember a container pid (teardown and the leak check look at it)
note_pid() {
	local pid
	pid=$(jq -r .pid <<<"$2" 2>/dev/null)
	if [[ $pid =~ ^[1-9][0-9]*$ ]]; then
		echo "$pid" >>"$T/.pids.$1"
	fi
}

# ---- helpers of the tests ------------------------------------------------------

stress_setup() {
	SDIR=$T/stress
	mkdir -p "$SDIR"
	: >"$SDIR/bad"
	: >"$SDIR/calls"
	export SDIR T ROOT BUNDLE ID TAG MOAT
	export -f sc valid_state check_state_file bad is_error is_silent_ok note_pid
	STRESS_T0=$SECONDS
}

# storm SECONDS XARGS_ARGS...: xargs over stdin, bounded as a whole
storm() {
	local secs=$1 rc=0
	shift
	timeout -k 5 "$secs" xargs "$@" 3>&- || rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "the storm did not end within ${secs}s (deadlock?); calls that never returned: $(hung_calls)"
		return 1
	fi
	[ "$rc" = 0 ] || fail "xargs failed with status $rc"
}

# calls with an output file but no status file
hung_calls() {
	local f
	for f in "$SDIR"/*.out; do
		[ -e "$f" ] || continue
		[ -e "${f%.out}.rc" ] || printf '%s ' "$(basename "${f%.out}")"
	done
}

# call_silent_ok NAME: the call recorded by sc as NAME returned, with
# status 0 and nothing printed; else prints what is wrong
call_silent_ok() {
	local f=$SDIR/$1 rc
	[ -e "$f.rc" ] || { echo "$1: never returned"; return; }
	rc=$(<"$f.rc")
	if [ "$rc" != 0 ] || [ -s "$f.out" ] || [ -s "$f.err" ]; then
		echo "$1: status $rc, stdout [$(<"$f.out")], stderr [$(<"$f.err")]"
	fi
}

fail_if_bad() {
	if [ -s "$SDIR/bad" ]; then
		fail "$(wc -l <"$SDIR/bad") unexpected results (first 40):
$(head -n 40 "$SDIR/bad")"
		return 1
	fi
}

# stress_nothing_left PREFIX: nothing at all of the containers PREFIX* of this
# test: state directories, temporaries, cgroups, processes, mounts
stress_nothing_left() {
	local prefix=$1 left pid f
	left=$(cd "$ROOT" 2>/dev/null && ls -d -- "$prefix"* 2>/dev/null | head -n 20 | tr '\n' ' ' || true)
	[ -z "$left" ] || { fail "state directories left: $left"; return 1; }
	if [ -d "$ROOT/.tmp" ]; then
		left=$(ls -A "$ROOT/.tmp" | head -n 20 | tr '\n' ' ')
		[ -z "$left" ] || { fail "temporaries left in $ROOT/.tmp: $left"; return 1; }
	fi
	# (the parent goes with the last container of the whole run)
	left=$(cd "$CGROOT/moat" 2>/dev/null && ls -d -- "$prefix"* 2>/dev/null | head -n 20 | tr '\n' ' ' || true)
	[ -z "$left" ] || { fail "cgroups left under $CGROOT/moat: $left"; return 1; }
	left=
	for f in "$T"/.pids.*; do
		[ -f "$f" ] || continue
		while read -r pid; do
			is_alive "$pid" && left="$left $pid"
		done <"$f"
	done
	[ -z "$left" ] || { fail "container processes still alive:$left ($(ps -o pid,ppid,stat,args -p "${left# }" 2>/dev/null | tail -n +2))"; return 1; }
	left=
	for pid in $(_tagged_pids); do
		is_alive "$pid" && left="$left $pid"
	done
	[ -z "$left" ] || { fail "moat processes of this test still alive:$left ($(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done))"; return 1; }
	left=$(awk -v b="$BUNDLE" -v r="$ROOT" 'index($5, b) == 1 || index($5, r) == 1 || index($4, b) == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$left" ] || { fail "mounts left: $left"; return 1; }
	[ -z "$(moat list -q)" ] || fail "moat list still shows: $(moat list -q | tr '\n' ' ')"
}

# a line for the TAP output: the test's time and how many calls of each kind
# (and status) the storm made
stress_time() {
	local calls ops=
	calls=$(sort "$SDIR/calls" | uniq -c | sort -rn | awk '{ $1 = $1; print }' | paste -sd, -)
	if compgen -G "$SDIR/ops.*" >/dev/null; then
		ops=$(cat "$SDIR"/ops.* | sort | uniq -c | sort -rn | awk '{ $1 = $1; print }' | paste -sd, -)
	fi
	echo "# $BATS_TEST_DESCRIPTION: $((SECONDS - STRESS_T0))s; calls (command status): $calls${ops:+; outcomes: $ops}" >&3
}

# ---- 1. distinct ids ---------------------------------------------------------

# create, start, state, delete -f of $ID-N
distinct_one() {
	local n=$1 id=$ID-$1
	sc "$n.create" create --bundle "$BUNDLE" "$id"
	if [ "$sc_rc" = 0 ]; then
		sc "$n.state0" state "$id"
		note_pid "$id" "$sc_out"
		sc "$n.start" start "$id"
		sc "$n.state" state "$id"
	fi
	sc "$n.delete" delete -f "$id"
	check_state_file "$id" >>"$SDIR/bad"
}

@test "stress: 200 distinct ids created, started and deleted in parallel" {
	set_args '["sleep", "1000"]'
	stress_setup
	export -f distinct_one
	seq 1 200 | storm 55 -P 24 -n 1 bash -c 'distinct_one "$1"' _

	local n problems= st
	for n in $(seq 1 200); do
		problems+=$(call_silent_ok "$n.create")$'\n'
		problems+=$(call_silent_ok "$n.start")$'\n'
		problems+=$(call_silent_ok "$n.delete")$'\n'
		if [ -e "$SDIR/$n.state.rc" ]; then
			st=$(<"$SDIR/$n.state.out")
			if [ "$(<"$SDIR/$n.state.rc")" != 0 ] || ! valid_state "$st" "$ID-$n" ||
				[ "$(jq -r .status <<<"$st")" != running ] || [ -s "$SDIR/$n.state.err" ]; then
				problems+="$n.state: status $(<"$SDIR/$n.state.rc"), stdout [$st], stderr [$(<"$SDIR/$n.state.err")]"$'\n'
			fi
		fi
	done
	problems=$(grep -v '^$' <<<"$problems" || true)
	[ -z "$problems" ] || fail "$(wc -l <<<"$problems") failed calls (first 40):
$(head -n 40 <<<"$problems")"
	fail_if_bad
	stress_nothing_left "$ID-"
	stress_time
}

# ---- 2. one id, 200 creates --------------------------------------------------

same_one() {
	sc "$1.create" create --bundle "$BUNDLE" "$ID"
}

@test "stress: 200 parallel creates of the same id, exactly one wins" {
	set_args '["sleep", "1000"]'
	stress_setup
	export -f same_one
	seq 1 200 | storm 55 -P 200 -n 1 bash -c 'same_one "$1"' _

	local n rc ok=0 problems=
	for n in $(seq 1 200); do
		[ -e "$SDIR/$n.create.rc" ] || { problems+="create $n never returned"$'\n'; continue; }
		rc=$(<"$SDIR/$n.create.rc")
		if [ "$rc" = 0 ]; then
			ok=$((ok + 1))
			[ ! -s "$SDIR/$n.create.out" ] && [ ! -s "$SDIR/$n.create.err" ] ||
				problems+="winning create $n printed: [$(<"$SDIR/$n.create.out")] [$(<"$SDIR/$n.create.err")]"$'\n'
		elif [ "$rc" != 1 ] || [ -s "$SDIR/$n.create.out" ] ||
			[ "$(<"$SDIR/$n.create.err")" != "moat: container \"$ID\" already exists" ]; then
			problems+="create $n: status $rc, stdout [$(<"$SDIR/$n.create.out")], stderr [$(<"$SDIR/$n.create.err")]"$'\n'
		fi
	done
	[ -z "$problems" ] || fail "$(grep -c . <<<"$problems") creates did not fail as a duplicate (first 40):
$(head -n 40 <<<"$problems")"
	assert_eq "$ok" 1 "successful creates"

	# the winner is intact
	jq -e --arg id "$ID" '.id == $id' "$ROOT/$ID/state.json" >/dev/null ||
		fail "state.json of the winner: $(cat "$ROOT/$ID/state.json")"
	run --separate-stderr moat state "$ID"
	assert_status 0
	valid_state "$output" "$ID" || fail "state of the winner: $output"
	assert_eq "$(jq -r .status <<<"$output")" created "status of the winner"
	note_pid "$ID" "$output"
	local pid
	pid=$(jq -r .pid <<<"$output")
	is_alive "$pid" || fail "the winner's init $pid is not alive"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.procs")" "$pid" "processes of the cgroup"
	assert_eq "$(LC_ALL=C ls -A "$ROOT" | tr '\n' ' ')" ".tmp $ID " "entries of the state root"
	assert_eq "$(ls -A "$ROOT/.tmp")" "" "temporaries left by the losers"
	local tagged
	tagged=$(for p in $(_tagged_pids); do is_alive "$p" && [ "$p" != "$pid" ] && echo "$p"; done | tr '\n' ' ')
	assert_eq "$tagged" "" "processes left by the losing creates"

	run --separate-stderr moat start "$ID"
	assert_status 0
	assert_silent
	assert_eq "$(status_of "$ID")" running "status after start"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	wait_status "$ID" stopped
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_silent
	stress_nothing_left "$ID"
	stress_time
}

# ---- 3. mixed lifecycle on one id ----------------------------------------------

# one worker: random lifecycle commands on $ID until END (epoch seconds)
mixed_worker() {
	local w=$1 end=$2 op st
	while [ "$EPOCHSECONDS" -lt "$end" ]; do
		case $((RANDOM % 10)) in
		0 | 1)
			op=create
			sc "w$w" create --bundle "$BUNDLE" "$ID"
			is_silent_ok || is_error "container \"$ID\" already exists" || bad create
			;;
		2 | 3)
			op=start
			sc "w$w" start "$ID"
			is_silent_ok ||
				is_error "cannot start container \"$ID\": it is (running|paused|stopped), not created" ||
				is_error "container \"$ID\" does not exist" ||
				is_error "start container \"$ID\": its init process is gone" || bad start
			;;
		4)
			op=kill
			sc "w$w" kill "$ID" KILL
			is_silent_ok || is_error "kill container \"$ID\": container not running" ||
				is_error "container \"$ID\" does not exist" || bad "kill KILL"
			;;
		5)
			op=kill-all
			sc "w$w" kill --all "$ID" KILL
			is_silent_ok || is_error "container \"$ID\" does not exist" || bad "kill --all KILL"
			;;
		6)
			op=delete
			sc "w$w" delete -f "$ID"
			is_silent_ok || bad "delete -f"
			;;
		9)
			op=list
			sc "w$w" list --format json
			if [ "$sc_rc" = 0 ] && [ -z "$sc_err" ] &&
				jq -e --arg id "$ID" 'type == "array" and length <= 1 and all(.[]; .id == $id
					and (.status | IN("created", "running", "paused", "stopped")))' <<<"$sc_out" >/dev/null 2>&1; then
				op="list-$(jq -r length <<<"$sc_out")"
			else
				bad list
			fi
			;;
		*)
			op=state
			sc "w$w" state "$ID"
			if [ "$sc_rc" = 0 ] && [ -z "$sc_err" ] && valid_state "$sc_out" "$ID"; then
				note_pid "$ID" "$sc_out"
				st=$(jq -r .status <<<"$sc_out")
				op="state-$st"
			else
				is_error "container \"$ID\" does not exist" || bad state
				op=state-absent
			fi
			;;
		esac
		case $sc_rc in 124 | 137) bad "$op: HANG" ;; esac
		echo "$op $sc_rc" >>"$SDIR/ops.$w"
		check_state_file "$ID" >>"$SDIR/bad"
	done
}

@test "stress: mixed create/start/kill/delete -f/state/list on one id from 8 workers" {
	set_args '["sleep", "1000"]'
	stress_setup
	export -f mixed_worker
	local end=$((EPOCHSECONDS + 15))
	seq 1 8 | storm 50 -P 8 -I{} bash -c 'mixed_worker "$@"' _ {} "$end"
	# what happened, shown on failure
	cat "$SDIR"/ops.* | sort | uniq -c | sort -rn >&2
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_silent
	stress_nothing_left "$ID"
	stress_time
	fail_if_bad
}

# ---- 4. kill storm ---------------------------------------------------------------

# one worker: kills (WINCH, TERM, HUP, --all; `kill ID 0` is refused by
# moat: signal numbers are 1..64) and states until END; worker 1
# kills the container with SIGKILL at KILL_AT
kill_worker() {
	local w=$1 end=$2 kill_at=$3 op dead st
	while [ "$EPOCHSECONDS" -lt "$end" ]; do
		if [ "$w" = 1 ] && [ ! -e "$SDIR/killed" ] && [ "$EPOCHSECONDS" -ge "$kill_at" ]; then
			: >"$SDIR/killed"
			sc "w$w" kill "$ID" KILL
			is_silent_ok || bad "the kill KILL"
			echo "KILL $sc_rc" >>"$SDIR/ops.$w"
			continue
		fi
		case $((RANDOM % 7)) in
		0) op="kill WINCH"; sc "w$w" kill "$ID" WINCH ;;
		1) op="kill TERM"; sc "w$w" kill "$ID" TERM ;;
		2) op="kill HUP"; sc "w$w" kill "$ID" HUP ;;
		3) op="kill --all TERM"; sc "w$w" kill --all "$ID" TERM ;;
		4) op="kill --all WINCH"; sc "w$w" kill -a "$ID" WINCH ;;
		*) op=state; sc "w$w" state "$ID" ;;
		esac
		# "stopped" or "not running" are fine only for a call that ended
		# after the KILL was sent (the marker is made just before it)
		dead=false
		[ -e "$SDIR/killed" ] && dead=true
		if [ "$op" = state ]; then
			if [ "$sc_rc" = 0 ] && [ -z "$sc_err" ] && valid_state "$sc_out" "$ID"; then
				st=$(jq -r .status <<<"$sc_out")
				op="state-$st"
				case $st in
				running) ;;
				stopped) $dead || bad "state stopped before the KILL" ;;
				*) bad "state $st (nobody paused or re-created it)" ;;
				esac
			else
				bad state
			fi
		elif ! is_silent_ok; then
			if $dead && [[ $op != *--all* ]] &&
				is_error "kill container \"$ID\": container not running"; then
				op="$op (not running)"
			else
				bad "$op"
			fi
		fi
		case $sc_rc in 124 | 137) bad "$op: HANG" ;; esac
		echo "$op $sc_rc" >>"$SDIR/ops.$w"
	done
}

@test "stress: kill storm on a running container, then delete" {
	set_args '["sleep", "1000"]'
	run_d_ok "$ID"
	stress_setup
	export -f kill_worker
	local now=$EPOCHSECONDS
	seq 1 12 | storm 50 -P 12 -I{} bash -c 'kill_worker "$@"' _ {} "$((now + 10))" "$((now + 4))"
	[ -e "$SDIR/killed" ] || fail "the KILL was never sent"
	cat "$SDIR"/ops.* | sort | uniq -c | sort -rn >&2
	wait_status "$ID" stopped 5
	run --separate-stderr moat kill "$ID" TERM
	assert_error "container not running"
	run --separate-stderr moat kill --all "$ID" TERM
	assert_status 0
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_silent
	stress_nothing_left "$ID"
	stress_time
	# last: what the storm saw (the cleanup above is checked either way)
	fail_if_bad
}

# ---- 5. exec storm ------------------------------------------------------------------

# f N: exec ID true in the foreground; d N: exec -d ID sleep 1
exec_one() {
	case $1 in
	f*) sc "$1" exec "$ID" true ;;
	d*) sc "$1" exec -d --pid-file "$SDIR/$1.pid" "$ID" sleep 1 ;;
	esac
}

# ps in a loop until $SDIR/done, each output checked; FORMAT 1 json, 2 table
ps_loop() {
	local init=$1 format=$2 line
	while [ ! -e "$SDIR/done" ]; do
		if [ "$format" = 1 ]; then
			sc ps$format ps --format json "$ID"
			if [ "$sc_rc" != 0 ] || [ -n "$sc_err" ] ||
				! jq -e --argjson init "$init" 'type == "array" and all(.[]; type == "number" and . > 0) and index($init) != null' <<<"$sc_out" >/dev/null 2>&1; then
				bad "ps --format json"
			fi
		else
			sc ps$format ps "$ID"
			if [ "$sc_rc" != 0 ] || [ -n "$sc_err" ] || ! [[ $(head -n 1 <<<"$sc_out") =~ ^PID\ +CMD$ ]] ||
				! grep -qE "^$init +" <<<"$sc_out"; then
				bad "ps"
			else
				while IFS= read -r line; do
					[[ $line =~ ^[1-9][0-9]*\ +.*$ ]] || { bad "ps: line [$line]"; break; }
				done < <(tail -n +2 <<<"$sc_out")
			fi
		fi
		echo "ps-$format $sc_rc" >>"$SDIR/ops.ps"
	done
}

@test "stress: exec storm (100 exec, 20 exec -d) with ps during it" {
	set_args '["sleep", "1000"]'
	run_d_ok "$ID"
	wait_status "$ID" running
	stress_setup
	export -f exec_one ps_loop
	local init
	init=$(pid_of "$ID")
	# two ps loops, one per output format
	ps_loop "$init" 1 3>&- &
	local pspid=$!
	helper_pid "$pspid"
	ps_loop "$init" 2 3>&- &
	local pspid2=$!
	helper_pid "$pspid2"
	{ seq -f 'f%g' 1 100; seq -f 'd%g' 1 20; } | shuf |
		storm 55 -P 32 -n 1 bash -c 'exec_one "$1"' _
	: >"$SDIR/done"
	local k
	for ((k = 0; k < 100; k++)); do
		kill -0 "$pspid" 2>/dev/null || kill -0 "$pspid2" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pspid" 2>/dev/null && ! kill -0 "$pspid2" 2>/dev/null ||
		fail "the ps loops did not end"

	local n problems=
	for n in $(seq -f 'f%g' 1 100) $(seq -f 'd%g' 1 20); do
		problems+=$(call_silent_ok "$n")$'\n'
	done
	problems=$(grep -v '^$' <<<"$problems" || true)
	[ -z "$problems" ] || fail "$(wc -l <<<"$problems") failed execs (first 40):
$(head -n 40 <<<"$problems")"
	[ "$(grep -c '^ps-1' "$SDIR/ops.ps")" -ge 1 ] && [ "$(grep -c '^ps-2' "$SDIR/ops.ps")" -ge 1 ] ||
		fail "ps did not run during the storm"

	# the exec -d processes end (sleep 1); then only the init is left
	local procs=
	for ((k = 0; k < 100; k++)); do
		procs=$(tr '\n' ' ' <"$CGROOT/moat/$ID/cgroup.procs")
		[ "$procs" = "$init " ] && break
		sleep 0.1
	done
	assert_eq "$procs" "$init " "processes of the container's cgroup"
	# and none of them is left as a zombie anywhere
	local f p zombies=
	assert_eq "$(compgen -G "$SDIR/d*.pid" | wc -l)" 20 "pid files of exec -d"
	for f in "$SDIR"/d*.pid; do
		p=$(<"$f")
		[ -e "/proc/$p" ] && zombies+=" $p($(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f1,2))"
	done
	[ -z "$zombies" ] || fail "exec -d processes still in /proc (state, ppid):$zombies"
	local tagged
	tagged=$(for p in $(_tagged_pids); do is_alive "$p" && echo "$p"; done | tr '\n' ' ')
	assert_eq "$tagged" "" "moat processes left after the storm"
	assert_eq "$(status_of "$ID")" running "status after the storm"

	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_silent
	stress_nothing_left "$ID"
	stress_time
	fail_if_bad
}

# ---- 6. exclusive commands during a storm of shared ones ------------------------

# exec ID true in a loop until END or $SDIR/stop, as tight as it gets
exec_loop() {
	local w=$1 end=$2 rc
	while [ "$EPOCHSECONDS" -lt "$end" ] && [ ! -e "$SDIR/stop" ]; do
		rc=0
		MOAT_TEST_TAG=$TAG timeout -k 2 "${STRESS_CALL_TIMEOUT:-20}" "$MOAT" --root "$ROOT" \
			exec "$ID" true </dev/null >/dev/null 2>>"$SDIR/x$w.err" || rc=$?
		echo "exec $rc" >>"$SDIR/ops.x$w"
	done
}

# start and delete take the state directory's lock exclusively, exec and
# kill share it: while execs keep coming, start and delete must still get
# their turn within a bounded time (alone, each takes well under 0.5s; a
# fair lock makes them wait for the execs in flight only)
@test "stress: start and delete -f are not starved by a storm of execs" {
	set_args '["sleep", "1000"]'
	create_ok "$ID"
	stress_setup
	export -f exec_loop
	local end=$((EPOCHSECONDS + 40))
	seq 1 16 | xargs -P 16 -I{} bash -c 'exec_loop "$@"' _ {} "$end" 3>&- &
	local storm=$!
	helper_pid "$storm"
	on_teardown "touch '$SDIR/stop'"
	# the storm is under way
	local k
	for ((k = 0; k < 100; k++)); do
		[ "$(cat "$SDIR"/ops.x* 2>/dev/null | wc -l)" -ge 16 ] && break
		sleep 0.1
	done
	# a starved call gives up after 15s: the test stays well under a minute
	local t0 t1 start_rc=0 start_s delete_rc=0 delete_s STRESS_CALL_TIMEOUT=15
	t0=$EPOCHREALTIME
	sc start start "$ID" || true
	start_rc=$sc_rc
	t1=$EPOCHREALTIME
	start_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	sleep 1
	t0=$EPOCHREALTIME
	sc delete delete -f "$ID" || true
	delete_rc=$sc_rc
	t1=$EPOCHREALTIME
	delete_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	: >"$SDIR/stop"
	for ((k = 0; k < 300; k++)); do
		kill -0 "$storm" 2>/dev/null || break
		sleep 0.1
	done
	echo "# start took ${start_s}s (status $start_rc), delete -f ${delete_s}s (status $delete_rc); exec errors: $(cat "$SDIR"/x*.err | sed "s/$ID/ID/g" | sort | uniq -c | awk '{ $1 = $1; print }' | paste -sd, -)" >&3
	assert_eq "$start_rc" 0 "status of start ($(<"$SDIR/start.err"))"
	assert_eq "$delete_rc" 0 "status of delete -f ($(<"$SDIR/delete.err"))"
	awk -v s="$start_s" 'BEGIN { exit !(s < 2) }' || fail "start waited ${start_s}s for its lock during the exec storm"
	awk -v s="$delete_s" 'BEGIN { exit !(s < 2) }' || fail "delete -f waited ${delete_s}s for its lock during the exec storm"
	stress_nothing_left "$ID"
	stress_time
}
