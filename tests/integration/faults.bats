#!/usr/bin/env bats
# Fault injection (libmoat/fault.c): every step of create, run -d and exec
# that changes something on the host, failed (MOAT_FAULT=STEP) and killed
# (MOAT_FAULT=kill:STEP).
#
#  - fail: the command exits 1 with "moat: ... fault injected at STEP" and,
#    without any delete, leaves nothing: no state directory, no temporary
#    under <root>/.tmp, no cgroup, no process, no mount;
#  - kill of a step of the moat command: it dies with 137; `delete -f`
#    then exits 0 and leaves nothing;
#  - kill of a step only the container's init or the exec's child goes
#    through: the command fails cleanly (exit 1, "killed by signal N", or
#    "exited with status 137" for the init of a new pid namespace) and
#    leaves nothing, without delete;
#  - exec: the container stays as it was and usable, and no process of
#    the failed exec is left in it.
#
# One @test per (command, mode, step), so that a failure names its case;
# the steps are in create/run order.  The last test checks that every
# fault point in libmoat has its cases here.

load helpers

# the steps only the container's init, the joiner of namespaces given by
# path or the exec's first child goes through
CHILD_STEPS=" joiner init-setup mount pivot init-finish exec-join exec-finish "
# the process of the container, and of the exec (recognisable)
EXEC_SECS=1234

# a faulted command takes well under a second: one that hangs is killed
# (status 124) after this many seconds
FAULT_TIMEOUT=${FAULT_TIMEOUT:-10}

# moat_fault FAULT ARGS...: moat with MOAT_FAULT=FAULT in its environment
moat_fault() {
	local f=$1
	shift
	MOAT_FAULT=$f MOAT_TEST_TIMEOUT=$FAULT_TIMEOUT moat "${FAULT_GLOBAL[@]}" "$@"
}
# global options of the faulted command (_fault_config sets them)
FAULT_GLOBAL=()

# the faulted command did not hang
_assert_no_hang() {
	[ "$status" -ne 124 ] ||
		fail "moat hung: killed by timeout after ${FAULT_TIMEOUT}s; stdout: [$output] stderr: [$stderr]"
}

_is_child_step() {
	[[ $CHILD_STEPS == *" $1 "* ]]
}

# an idmapped bind mount with mappings of its own (no user namespace
# needed); skips the test when the host cannot idmap the bundle's
# filesystem
_idmap_config() {
	mkdir -p "$T/data" "$ROOTFS/data"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]}"
	set_args '["true"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-probe"
	if [ "$status" -ne 0 ]; then
		case $stderr in
		*"support idmapped mounts"* | *"create a user namespace for the mapping"*)
			skip "idmapped mounts are not supported on $(stat -f -c %T "$T") ($T): $stderr"
			;;
		esac
		fail "a container with an idmapped mount does not run without a fault (status $status): $stderr"
		return 1
	fi
	assert_nothing_left "$ID-probe"
}

# _fault_config STEP: the config STEP needs to be reached
_fault_config() {
	case $1 in
	hooks) cfg '.hooks.createRuntime = [{"path": "/bin/true", "args": ["true"]}]' ;;
	audit)
		# an enforce policy with an audit trail (and no rule to refuse
		# the config): a create whose line cannot be written fails
		printf '{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "no-seccomp", "no-pids-limit", "no-memory-limit"]}, "audit": {"log": "%s"}}\n' \
			"$T/audit.log" >"$T/audit-policy.json"
		FAULT_GLOBAL=(--policy "$T/audit-policy.json")
		;;
	idmap) _idmap_config || return 1 ;;
	join-namespaces | joiner)
		# a network namespace given by path: the joiner enters it
		unshare --net sleep 1000 </dev/null >/dev/null 2>&1 &
		local holder=$!
		helper_pid "$holder"
		local k
		for ((k = 0; k < 100; k++)); do
			[ "$(readlink "/proc/$holder/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
			sleep 0.02
		done
		cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
			--arg p "/proc/$holder/ns/net"
		;;
	esac
	set_args '["sleep", "1000"]'
}

# _nothing_left ID: assert_nothing_left, and also no temporary under
# <root>/.tmp, no cgroup named after ID, no process of this test's moat
# calls at all, no mount under the test's directory
_nothing_left() {
	local id=$1
	assert_nothing_left "$id" || return 1
	local tmps
	tmps=$(ls -A "$ROOT/.tmp" 2>/dev/null || true)
	[ -z "$tmps" ] || { fail "temporaries left in $ROOT/.tmp: $tmps"; return 1; }
	local cg
	for cg in "$CGROOT"/moat/"$id" "$CGROOT"/moat/"$id"-*; do
		[ ! -e "$cg" ] || { fail "cgroup $cg left (procs: $(tr '\n' ' ' <"$cg/cgroup.procs" 2>/dev/null))"; return 1; }
	done
	local pids
	pids=$(_tagged_pids)
	[ -z "$pids" ] || { fail "processes of this test's moat calls left: $(for p in $pids; do printf '%s: %s; ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline")"; done)"; return 1; }
	local mounts
	mounts=$(awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$mounts" ] || { fail "mounts under $T left: $mounts"; return 1; }
}

# _assert_fault_error STEP: exit 1, stdout empty, and stderr is one line
# "moat: ...fault injected at STEP"
_assert_fault_error() {
	_assert_no_hang || return 1
	assert_error "fault injected at $1" || return 1
	assert_eq "$output" "" "stdout" || return 1
	[[ $stderr =~ ^moat:\ [^$'\n']*fault\ injected\ at\ $1$ ]] ||
		fail "stderr is not one line \"moat: ...fault injected at $1\": [$stderr]"
}

# _assert_killed_child_error: the child was killed: exit 1 and one line
# "moat: ..." that says so.  The init of a new pid namespace cannot SIGKILL
# itself (the kernel ignores it), so the fault ends it with status 137.
_assert_killed_child_error() {
	_assert_no_hang || return 1
	case $stderr in
	*"killed by signal"* | *"exited with status 137"*) ;;
	*) fail "stderr says neither \"killed by signal\" nor \"exited with status 137\": [$stderr]"; return 1 ;;
	esac
	assert_error "moat: " || return 1
	assert_eq "$output" "" "stdout" || return 1
	[[ $stderr =~ ^moat:\ [^$'\n']*$ ]] || fail "stderr is not one \"moat: \" line: [$stderr]"
}

# _delete_then_nothing_left ID: delete -f exits 0 and leaves nothing
_delete_then_nothing_left() {
	record_pid "$1"
	run --separate-stderr moat delete -f "$1"
	assert_status 0 || return 1
	_nothing_left "$1"
}

# _fault_launch COMMAND MODE STEP [host-pidns]: create or run -d of $ID with
# the fault; host-pidns: the container has no pid namespace of its own (its
# init is not pid 1 of one)
_fault_launch() {
	local cmd=$1 mode=$2 step=$3 fault=$3
	[ "$mode" = kill ] && fault=kill:$step
	_fault_config "$step" || return 1
	[ "${4:-}" = host-pidns ] && cfg '.linux.namespaces |= map(select(.type != "pid"))'
	case $cmd in
	create) run --separate-stderr moat_fault "$fault" create --bundle "$BUNDLE" "$ID" ;;
	run) run --separate-stderr moat_fault "$fault" run -d --bundle "$BUNDLE" "$ID" ;;
	esac
	if [ "$mode" = fail ]; then
		_assert_fault_error "$step" || return 1
		_nothing_left "$ID"
	elif _is_child_step "$step"; then
		_assert_killed_child_error || return 1
		_nothing_left "$ID" || return 1
		_delete_then_nothing_left "$ID"
	else
		[ "$status" -eq 137 ] || { fail "exit status $status, expected 137 (SIGKILL); stdout: [$output] stderr: [$stderr]"; return 1; }
		_delete_then_nothing_left "$ID"
	fi
}

# the container is as before the failed exec: running, the same init
# alone in its cgroup, and exec works in it
_container_intact() {
	local init=$1 st procs i
	st=$(status_of "$ID")
	assert_eq "$st" running "status after the failed exec" || return 1
	assert_eq "$(pid_of "$ID")" "$init" "pid after the failed exec" || return 1
	# a process of the failed exec may take a moment to go
	for ((i = 0; i < 40; i++)); do
		procs=$(tr '\n' ' ' <"$CGROOT/moat/$ID/cgroup.procs")
		[ "$procs" = "$init " ] && break
		sleep 0.05
	done
	[ "$procs" = "$init " ] || {
		fail "processes in the container's cgroup besides the init $init: $(for p in $procs; do [ "$p" = "$init" ] || printf '%s: %s; ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done)"
		return 1
	}
	local left
	left=$(grep -lzx "^$EXEC_SECS\$" /proc/[0-9]*/cmdline 2>/dev/null)
	[ -z "$left" ] || { fail "exec'd process left: $left"; return 1; }
	local pids
	pids=$(_tagged_pids)
	[ -z "$pids" ] || { fail "processes of this test's moat calls left: $(for p in $pids; do printf '%s: %s; ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline")"; done)"; return 1; }
	local tmps
	tmps=$(ls -A "$ROOT/.tmp" 2>/dev/null || true)
	[ -z "$tmps" ] || { fail "temporaries left in $ROOT/.tmp: $tmps"; return 1; }
	run --separate-stderr moat exec "$ID" echo still-usable
	assert_status 0 || return 1
	assert_eq "$output" still-usable "exec after the failed exec"
}

# _fault_exec MODE STEP: exec into a running $ID with the fault
_fault_exec() {
	local mode=$1 step=$2 fault=$2 init
	[ "$mode" = kill ] && fault=kill:$step
	set_args '["sleep", "1000"]'
	run_d_ok "$ID" || return 1
	wait_status "$ID" running || return 1
	init=$(pid_of "$ID")
	run --separate-stderr moat_fault "$fault" exec "$ID" sleep "$EXEC_SECS"
	if [ "$mode" = fail ]; then
		_assert_fault_error "$step" || return 1
	elif _is_child_step "$step"; then
		_assert_killed_child_error || return 1
	else
		[ "$status" -eq 137 ] || { fail "exit status $status, expected 137 (SIGKILL); stdout: [$output] stderr: [$stderr]"; return 1; }
	fi
	_container_intact "$init" || return 1
	_delete_then_nothing_left "$ID"
}

# ---- create ---------------------------------------------------------------------

@test "fault: create, fail at plan" { _fault_launch create fail plan; }
@test "fault: create, kill at plan" { _fault_launch create kill plan; }
@test "fault: create, fail at state-tmp" { _fault_launch create fail state-tmp; }
@test "fault: create, kill at state-tmp" { _fault_launch create kill state-tmp; }
@test "fault: create, fail at state-dir" { _fault_launch create fail state-dir; }
@test "fault: create, kill at state-dir" { _fault_launch create kill state-dir; }
@test "fault: create, fail at cgroup-mkdir" { _fault_launch create fail cgroup-mkdir; }
@test "fault: create, kill at cgroup-mkdir" { _fault_launch create kill cgroup-mkdir; }
@test "fault: create, fail at cgroup-apply" { _fault_launch create fail cgroup-apply; }
@test "fault: create, kill at cgroup-apply" { _fault_launch create kill cgroup-apply; }
@test "fault: create, fail at fifo" { _fault_launch create fail fifo; }
@test "fault: create, kill at fifo" { _fault_launch create kill fifo; }
@test "fault: create, fail at keep-config" { _fault_launch create fail keep-config; }
@test "fault: create, kill at keep-config" { _fault_launch create kill keep-config; }
@test "fault: create, fail at idmap" { _fault_launch create fail idmap; }
@test "fault: create, kill at idmap" { _fault_launch create kill idmap; }
@test "fault: create, fail at join-namespaces" { _fault_launch create fail join-namespaces; }
@test "fault: create, kill at join-namespaces" { _fault_launch create kill join-namespaces; }
@test "fault: create, fail at joiner" { _fault_launch create fail joiner; }
@test "fault: create, kill at joiner" { _fault_launch create kill joiner; }
@test "fault: create, fail at clone" { _fault_launch create fail clone; }
@test "fault: create, kill at clone" { _fault_launch create kill clone; }
@test "fault: create, fail at go" { _fault_launch create fail go; }
@test "fault: create, kill at go" { _fault_launch create kill go; }
@test "fault: create, fail at init-setup" { _fault_launch create fail init-setup; }
@test "fault: create, kill at init-setup" { _fault_launch create kill init-setup; }
@test "fault: create, fail at mount" { _fault_launch create fail mount; }
@test "fault: create, kill at mount" { _fault_launch create kill mount; }
@test "fault: create, fail at hooks" { _fault_launch create fail hooks; }
@test "fault: create, kill at hooks" { _fault_launch create kill hooks; }
# The kill cases above stop moat before its hooks start; here it dies
# while one runs.  A hook is moat's child, and outside the container's
# cgroup: only its parent-death signal ends it.
@test "fault: create killed while a createRuntime hook runs leaves no hook behind" {
	cfg '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ >\"$0\"; exec sleep 100", $p]}]' \
		--arg p "$T/hook.pid"
	MOAT_TEST_TAG=$TAG "$MOAT" --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" --root "$ROOT" \
		create --bundle "$BUNDLE" "$ID" >"$T/create.out" 2>&1 &
	local moat_pid=$! hook i
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/hook.pid" ] && break
		sleep 0.05
	done
	hook=$(cat "$T/hook.pid" 2>/dev/null) || { kill -9 "$moat_pid"; fail "the hook did not start: $(cat "$T/create.out")"; }
	on_teardown "kill -9 $hook 2>/dev/null"
	is_alive "$hook" || fail "the hook $hook is not running"
	kill -9 "$moat_pid"
	wait "$moat_pid" || true
	wait_gone "$hook" "the hook (which outlived the moat that ran it)" 2
	_delete_then_nothing_left "$ID"
}

@test "fault: create, fail at pivot" { _fault_launch create fail pivot; }
@test "fault: create, kill at pivot" { _fault_launch create kill pivot; }
@test "fault: create, fail at init-finish" { _fault_launch create fail init-finish; }
@test "fault: create, kill at init-finish" { _fault_launch create kill init-finish; }
@test "fault: create, fail at created" { _fault_launch create fail created; }
@test "fault: create, kill at created" { _fault_launch create kill created; }
@test "fault: create, fail at pid-file" { _fault_launch create fail pid-file; }
@test "fault: create, kill at pid-file" { _fault_launch create kill pid-file; }
@test "fault: create, fail at commit" { _fault_launch create fail commit; }
@test "fault: create, kill at commit" { _fault_launch create kill commit; }

# ---- run -d (no exec fifo, no commit: start) ----------------------------------------

@test "fault: run -d, fail at plan" { _fault_launch run fail plan; }
@test "fault: run -d, kill at plan" { _fault_launch run kill plan; }
@test "fault: run -d, fail at state-tmp" { _fault_launch run fail state-tmp; }
@test "fault: run -d, kill at state-tmp" { _fault_launch run kill state-tmp; }
@test "fault: run -d, fail at state-dir" { _fault_launch run fail state-dir; }
@test "fault: run -d, kill at state-dir" { _fault_launch run kill state-dir; }
@test "fault: run -d, fail at cgroup-mkdir" { _fault_launch run fail cgroup-mkdir; }
@test "fault: run -d, kill at cgroup-mkdir" { _fault_launch run kill cgroup-mkdir; }
@test "fault: run -d, fail at cgroup-apply" { _fault_launch run fail cgroup-apply; }
@test "fault: run -d, kill at cgroup-apply" { _fault_launch run kill cgroup-apply; }
@test "fault: run -d, fail at keep-config" { _fault_launch run fail keep-config; }
@test "fault: run -d, kill at keep-config" { _fault_launch run kill keep-config; }
@test "fault: run -d, fail at idmap" { _fault_launch run fail idmap; }
@test "fault: run -d, kill at idmap" { _fault_launch run kill idmap; }
@test "fault: run -d, fail at join-namespaces" { _fault_launch run fail join-namespaces; }
@test "fault: run -d, kill at join-namespaces" { _fault_launch run kill join-namespaces; }
@test "fault: run -d, fail at joiner" { _fault_launch run fail joiner; }
@test "fault: run -d, kill at joiner" { _fault_launch run kill joiner; }
@test "fault: run -d, fail at clone" { _fault_launch run fail clone; }
@test "fault: run -d, kill at clone" { _fault_launch run kill clone; }
@test "fault: run -d, fail at go" { _fault_launch run fail go; }
@test "fault: run -d, kill at go" { _fault_launch run kill go; }
@test "fault: run -d, fail at init-setup" { _fault_launch run fail init-setup; }
@test "fault: run -d, kill at init-setup" { _fault_launch run kill init-setup; }
@test "fault: run -d, fail at mount" { _fault_launch run fail mount; }
@test "fault: run -d, kill at mount" { _fault_launch run kill mount; }
@test "fault: run -d, fail at hooks" { _fault_launch run fail hooks; }
@test "fault: run -d, kill at hooks" { _fault_launch run kill hooks; }
@test "fault: run -d, fail at pivot" { _fault_launch run fail pivot; }
@test "fault: run -d, kill at pivot" { _fault_launch run kill pivot; }
@test "fault: run -d, fail at init-finish" { _fault_launch run fail init-finish; }
@test "fault: run -d, kill at init-finish" { _fault_launch run kill init-finish; }
@test "fault: run -d, fail at created" { _fault_launch run fail created; }
@test "fault: run -d, kill at created" { _fault_launch run kill created; }
@test "fault: run -d, fail at pid-file" { _fault_launch run fail pid-file; }
@test "fault: run -d, kill at pid-file" { _fault_launch run kill pid-file; }
@test "fault: create, fail at audit" { _fault_launch create fail audit; }
@test "fault: create, kill at audit" { _fault_launch create kill audit; }
@test "fault: run -d, fail at audit" { _fault_launch run fail audit; }
@test "fault: run -d, kill at audit" { _fault_launch run kill audit; }
@test "fault: run -d, fail at start" { _fault_launch run fail start; }
@test "fault: run -d, kill at start" { _fault_launch run kill start; }

# ---- the init's steps when it is not pid 1 of its own pid namespace ------------------
# (a SIGKILL the init sends itself as pid 1 of a pid namespace is ignored by
# the kernel; here the kill does happen, and moat must clean up after it)

@test "fault: create, kill at init-setup, no pid namespace" { _fault_launch create kill init-setup host-pidns; }
@test "fault: create, kill at mount, no pid namespace" { _fault_launch create kill mount host-pidns; }
@test "fault: create, kill at pivot, no pid namespace" { _fault_launch create kill pivot host-pidns; }
@test "fault: create, kill at init-finish, no pid namespace" { _fault_launch create kill init-finish host-pidns; }
@test "fault: run -d, kill at init-setup, no pid namespace" { _fault_launch run kill init-setup host-pidns; }
@test "fault: run -d, kill at mount, no pid namespace" { _fault_launch run kill mount host-pidns; }
@test "fault: run -d, kill at pivot, no pid namespace" { _fault_launch run kill pivot host-pidns; }
@test "fault: run -d, kill at init-finish, no pid namespace" { _fault_launch run kill init-finish host-pidns; }

# ---- exec ---------------------------------------------------------------------------

@test "fault: exec, fail at exec-clone" { _fault_exec fail exec-clone; }
@test "fault: exec, kill at exec-clone" { _fault_exec kill exec-clone; }
@test "fault: exec, fail at exec-join" { _fault_exec fail exec-join; }
@test "fault: exec, kill at exec-join" { _fault_exec kill exec-join; }
@test "fault: exec, fail at exec-finish" { _fault_exec fail exec-finish; }
@test "fault: exec, kill at exec-finish" { _fault_exec kill exec-finish; }
@test "fault: exec, fail at exec-wait" { _fault_exec fail exec-wait; }
@test "fault: exec, kill at exec-wait" { _fault_exec kill exec-wait; }

# ---- the table is complete ----------------------------------------------------------

@test "fault: every fault point in libmoat has its cases in this file" {
	local src
	src=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/libmoat
	[ -d "$src" ] || skip "no libmoat source next to the tests"
	local steps step missing=
	# a point given no error to set (moat_fault ("x", NULL)) is a switch that
	# plays another host (proc-pidns), not a step that can fail
	steps=$(grep -rhoE --include='*.c' 'moat_fault \("[a-z-]+", [a-z&]+' "$src" | grep -v ', NULL$' |
		sed 's/.*("\([a-z-]*\)".*/\1/' | sort -u)
	[ -n "$steps" ] || { fail "no fault point found in $src"; return 1; }
	for step in $steps; do
		grep -qE "^@test \"fault: [a-z -]+, fail at $step\"" "$BATS_TEST_FILENAME" &&
			grep -qE "^@test \"fault: [a-z -]+, kill at $step\"" "$BATS_TEST_FILENAME" ||
			missing="$missing $step"
	done
	[ -z "$missing" ] || fail "fault points without fail and kill cases here:$missing"
}
