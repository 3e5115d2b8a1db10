#!/usr/bin/env bats
# Regression tests for the attacks on moat's own processes found by the
# attack review of the staged creation (escapes.bats has the earlier ones).
#
# Between its birth and its execve, an exec'd process, and the init of a
# container created into a shared pid namespace, is the moat binary in a
# pid namespace the container sees, holding moat's channel.  Each test plays
# the attacker from inside a container (tests/lib/runtime-attacker.c, built
# here and copied into the rootfs; escape-attacker.c for the binary) and
# checks from outside what the kernel let it do: host processes alive, the
# hash of the binary, files on the host, locks, cgroups, moat's stderr.
# Each one fails on a runtime with the hole (commit 032c4c1).
#
#   F1  a forged PID message: moat kills or records a host process
#   F2  the moat binary overwritten through /proc/<pid>/exe by a pod neighbour
#   F3  TIOCSTI into the caller's terminal (no new session without a console)
#   F4  an exec'd process in the caller's session keyring
#   F5  a stopped exec'd process holds the container's lock
#   F6  an exec'd process ptraced before its seccomp filter
#   F7  a container-controlled /proc/self/stat read by exec (crash, hang)
#   F8  moat's command line and environment readable in its processes
#   F9  processes in a child cgroup of the container escape kill and delete
#   F11 control characters from the container on moat's stderr
#
# The races are bounded (a count of attempts, stopping at the first win);
# on a runtime with the hole each is won within the first few attempts.
# F10 (the exec fifo, reachable through /proc/1/fd from a ptrace-capable
# exec into a created container) is a documented residual: not tested here.

load helpers

setup_file() {
	# static attackers: they run in the busybox rootfs
	ATTACKER_ERR=
	RA=$BATS_FILE_TMPDIR/runtime-attacker
	EA=$BATS_FILE_TMPDIR/escape-attacker
	local src
	if ! command -v gcc >/dev/null; then
		ATTACKER_ERR="gcc is not installed"
	else
		for src in runtime-attacker escape-attacker; do
			if ! gcc -static -O2 -Wall -o "$BATS_FILE_TMPDIR/$src" "$BATS_TEST_DIRNAME/../lib/$src.c" \
				>"$BATS_FILE_TMPDIR/gcc.log" 2>&1; then
				ATTACKER_ERR="gcc -static failed on tests/lib/$src.c (is libc.a installed?): $(cat "$BATS_FILE_TMPDIR/gcc.log")"
				break
			fi
		done
	fi
	export RA EA ATTACKER_ERR
}

# the attackers in the rootfs ($ROOTFS or the one given), or a skip that says
# why there are none
_need_attacker() {
	if [ -n "$ATTACKER_ERR" ]; then
		skip "cannot build the attackers of tests/lib: $ATTACKER_ERR"
	fi
	cp "$RA" "${1:-$ROOTFS}/runtime-attacker"
	cp "$EA" "${1:-$ROOTFS}/escape-attacker"
}

# CAP_SYS_PTRACE in the bounding, effective and permitted sets (as in
# escapes.bats)
_ptrace_caps() {
	cfg '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_PTRACE"])'
}

# _attacker_args MODE [ARG] SECONDS: process.args = the attacker, reporting to /out
_attacker_args() {
	cfg '.process.args = ["/runtime-attacker"] + $a + ["/out"]' --argjson a "$(jq -cn '$ARGS.positional' --args "$@")"
}

# a host process that has nothing to do with any container (in the suite's
# pid namespace, detached: the suite's pid 1 reaps it); prints its pid
_victim() {
	local v
	v=$(sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!')
	helper_pid "$v"
	echo "$v"
}

# _neighbour_bundle DIR PID [JQ_FILTER [jq args...]]: a copy of the test
# bundle in DIR whose container joins the pid namespace of PID (a pod
# neighbour), with JQ_FILTER applied to its config
_neighbour_bundle() {
	local dir=$1 pid=$2 filter=${3:-.}
	shift 3 || shift $#
	cp -a "$MOAT_TEST_BUNDLE" "$dir"
	jq --arg p "/proc/$pid/ns/pid" "$@" '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p} | '"$filter" \
		"$dir/config.json" >"$dir/c" && mv "$dir/c" "$dir/config.json" ||
		fail "jq edit of $dir/config.json failed: $filter"
}

# ---- F1. a forged PID message from an exec'd process ------------------------
#
# A container process with CAP_SYS_PTRACE takes moat's channel out of the
# exec'd process (pidfd_getfd) before its execve, tells moat that a host
# process is "the process" and kills the real one.  A runtime that takes the
# PID message at its word SIGKILLs the host process (first exec; 43 of 50
# execs).  Bounded: 20 execs, or the victim dead, or 3 forged messages sent.
@test "escapes: a forged PID from an exec'd process never makes moat kill a host process" {
	_need_attacker
	_ptrace_caps
	bind_out
	local V
	V=$(_victim)
	echo "$V" >"$OUT/victim"
	_attacker_args hijack /out/victim 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local n=0
	while [ "$n" -lt 20 ] && is_alive "$V" && [ "$(cat "$OUT/hijacked" 2>/dev/null | wc -l)" -lt 3 ]; do
		n=$((n + 1))
		# a hijacked exec may fail: what counts is what moat did
		run --separate-stderr moat exec "$ID" true
	done
	local alive=yes
	is_alive "$V" || alive=no
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$alive" = yes ] ||
		fail "moat SIGKILLed the host process $V named by a forged PID message (after $n execs: $(cat "$OUT/hijacked"))"
	[ -s "$OUT/hijacked" ] || fail "the attacker never took moat's channel in $n execs: nothing was tested"
	assert_nothing_left "$ID"
}

# ---- F1. a forged PID message from a pod neighbour at create ---------------
#
# The init of B, created into A's pid namespace, is visible to A until its
# execve (it waits there for start).  A, with CAP_SYS_PTRACE, stops it,
# takes its channel, says that a host process is B's init, kills the init
# and says READY in its name.  A runtime that believes it records the host
# process as B's init: `delete -f B` SIGKILLs it, `exec B` joins its (the
# host's) namespaces.  The attacker is in time for about every other init
# (it takes the exec's processes too, as above).  Bounded: 10 creates, until
# a forged message has reached a create or the victim is dead.
@test "escapes: a forged PID from a pod neighbour never makes moat record or kill a host process" {
	_need_attacker
	_ptrace_caps
	bind_out
	local V MARK=$T/host-marker
	mkdir -p "$MARK"
	chmod 777 "$MARK"
	V=$(_victim)
	echo "$V" >"$OUT/victim"
	_attacker_args hijack-create /out/victim 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	_neighbour_bundle "$T/b2" "$(pid_of "$ID")" '.process.args = ["sleep", "100"]'
	local k b bpid errs= at_create=0
	for k in 1 2 3 4 5 6 7 8 9 10; do
		b=$ID-b$k
		run --separate-stderr moat create --bundle "$T/b2" "$b"
		[ -s "$OUT/hijacked" ] && at_create=$k
		if [ "$status" -eq 0 ]; then
			record_pid "$b"
			bpid=$(pid_of "$b")
			# the recorded init must be B's own: a process of its cgroup, or
			# gone (the attacker may kill B's real init after READY), and
			# never the victim
			[ "$bpid" != "$V" ] || errs="$errs [create $k: the state of $b names the victim $V]"
			if [ -e "/proc/$bpid" ] && ! grep -qx "$bpid" "$CGROOT/moat/$b/cgroup.procs" 2>/dev/null; then
				errs="$errs [create $k: the state of $b names pid $bpid, not a process of its cgroup ($(tr '\0' ' ' <"/proc/$bpid/cmdline" 2>/dev/null))]"
			fi
			# the operator's routine exec into B: never on the host
			run --separate-stderr moat exec "$b" sh -c "touch $MARK/written-by-exec-in-b 2>/dev/null; true"
		fi
		run --separate-stderr moat delete -f "$b"
		[ "$status" -eq 0 ] || errs="$errs [delete -f $b: status $status: $stderr]"
		is_alive "$V" || break
		[ "$at_create" -eq 0 ] || break
	done
	local alive=yes
	is_alive "$V" || alive=no
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$alive" = yes ] || errs="$errs [moat SIGKILLed the host process $V]"
	[ -z "$(ls -A "$MARK")" ] || errs="$errs [an exec into $b ran on the host: it wrote $(ls -A "$MARK") into $MARK]"
	[ -z "$errs" ] || fail "a forged PID from a pod neighbour (${k} creates; $(cat "$OUT/hijacked" 2>/dev/null)):$errs"
	[ "$at_create" -gt 0 ] || fail "the attacker never forged a message to a create in $k creates: nothing was tested"
	for ((k = 1; k <= 10; k++)); do
		assert_nothing_left "$ID-b$k"
	done
	assert_nothing_left "$ID"
}

# ---- F2. the moat binary through a ptrace-capable pod neighbour -------------
#
# CVE-2019-5736 with CAP_SYS_PTRACE: A is an ordinary container, B joins its
# pid namespace with CAP_SYS_PTRACE (a debug container).  A runtime that
# decides per container whether to run from a sealed copy runs A's execs
# from the binary on disk, in a pid namespace B sees: B opens
# /proc/<pid>/exe (O_PATH), waits for ETXTBSY to clear and appends to the
# binary (first exec).  On a private copy of moat, checked by its hash.
# Two ways to get the capability there: B's config, and a later
# `exec --cap CAP_SYS_PTRACE` into an ordinary B.  Bounded: 40 plain execs
# into A or 8 s each.
_binary_after_neighbour_execs() {
	local before=$1 n=0 k t0=$SECONDS
	while [ "$n" -lt 40 ] && [ $((SECONDS - t0)) -lt 8 ] && [ ! -e "$T/out/got" ]; do
		run --separate-stderr moat exec "$ID" true
		assert_status 0 || return 1
		n=$((n + 1))
	done
	# no moat runs now: a held binary becomes writable at once
	if [ -e "$T/out/got" ]; then
		for ((k = 0; k < 40; k++)); do
			[ -e "$T/out/wrote" ] || [ -e "$T/out/gave-up" ] && break
			sleep 0.05
		done
	fi
	local after
	after=$(sha256sum <"$MOAT")
	run --separate-stderr moat delete -f "$ID-b"
	assert_status 0 || return 1
	run --separate-stderr moat delete -f "$ID"
	assert_status 0 || return 1
	assert_eq "$after" "$before" "sha256 of the moat binary after $n plain execs into A ($(cat "$T/out/got" "$T/out/wrote" 2>/dev/null))" || return 1
	[ ! -e "$T/out/got" ] || fail "B holds the moat binary on disk: $(cat "$T/out/got")" || return 1
	assert_nothing_left "$ID-b" && assert_nothing_left "$ID"
}

# _pod_with_moat_copy: the caller's MOAT becomes a private copy whose hash
# is in the caller's $before; $ID runs, $T/out is the attacker's report
_pod_with_moat_copy() {
	_need_attacker
	cp "$MOAT" "$T/moat-copy"
	MOAT=$T/moat-copy
	before=$(sha256sum <"$MOAT")
	set_args '["sleep", "100"]'
	run_d_ok "$ID" || return 1
	mkdir -p "$T/out"
	chmod 777 "$T/out"
}

@test "escapes: a pod neighbour with CAP_SYS_PTRACE in its config cannot overwrite the moat binary" {
	local MOAT=$MOAT before
	_pod_with_moat_copy || return 1
	_neighbour_bundle "$T/b2" "$(pid_of "$ID")" '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_PTRACE"])
	  | .mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]
	  | .process.args = ["/escape-attacker", "exe", "moat-copy", "30", "/out"]' --arg o "$T/out"
	_need_attacker "$T/b2/rootfs"
	mkdir -p "$T/b2/rootfs/out"
	run --separate-stderr moat run -d --bundle "$T/b2" "$ID-b"
	assert_status 0
	record_pid "$ID-b"
	wait_file "$T/out/ready"
	_binary_after_neighbour_execs "$before"
}

@test "escapes: a process exec'd with CAP_SYS_PTRACE into a pod neighbour cannot overwrite the moat binary" {
	local MOAT=$MOAT before
	_pod_with_moat_copy || return 1
	_neighbour_bundle "$T/b2" "$(pid_of "$ID")" '.mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]
	  | .process.args = ["sleep", "100"]' --arg o "$T/out"
	_need_attacker "$T/b2/rootfs"
	mkdir -p "$T/b2/rootfs/out"
	run --separate-stderr moat run -d --bundle "$T/b2" "$ID-b"
	assert_status 0
	record_pid "$ID-b"
	run --separate-stderr moat exec -d --cap CAP_SYS_PTRACE "$ID-b" /escape-attacker exe moat-copy 30 /out
	assert_status 0
	wait_file "$T/out/ready"
	_binary_after_neighbour_execs "$before"
}

# ---- F3. TIOCSTI into the caller's terminal -----------------------------------
#
# Without a console, `run` and `exec` give the container's process the
# caller's stdio, and it used to stay in the caller's session with the
# caller's controlling terminal: it opens /dev/tty and pushes a command into
# its input (TIOCSTI), which the caller's shell runs on the host once moat
# returns.  Here an interactive shell on a pty (script) runs moat; the
# injected command would create a file in a host directory.  A process in a
# session of its own has no controlling terminal: /dev/tty does not open.
# (With dev.tty.legacy_tiocsti=0 the injection fails anyway, but the
# process still must not have the caller's terminal.)
# _typed_into_caller_shell WHAT COMMAND: COMMAND typed into an interactive
# shell on a pty; what went wrong is appended to the caller's $errs
_typed_into_caller_shell() {
	local what=$1 cmd=$2
	printf '%s\n' "$cmd" >"$T/cmd-$what.sh"
	rm -f "$OUT/tiocsti"
	# the command, then time for moat to finish and the shell to read what
	# was pushed, then exit; bounded
	{
		echo "sh $T/cmd-$what.sh"
		sleep 1
		echo exit
	} | MOAT_TEST_TAG=$TAG timeout -k 5 20 script -qc "sh -i" /dev/null >"$T/script-$what.out" 2>&1 || true
	if [ ! -s "$OUT/tiocsti" ]; then
		errs="$errs [$what: the container's process did not run: $(tr -d '\r' <"$T/script-$what.out")]"
	elif [ -e "$MARK/typed-by-$what" ]; then
		errs="$errs [$what: the container typed a command into the caller's terminal, the caller's shell ran it on the host ($(cat "$OUT/tiocsti"))]"
	elif grep -q "/dev/tty opened" "$OUT/tiocsti"; then
		errs="$errs [$what: the container's process has the caller's controlling terminal ($(cat "$OUT/tiocsti"))]"
	fi
	return 0
}

@test "escapes: run and exec without a terminal never give the container the caller's terminal" {
	_need_attacker
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	bind_out
	local MARK=$T/host-marker errs=
	mkdir -p "$MARK"
	chmod 777 "$MARK"
	# run: the container's own process
	cfg '.process.args = ["/runtime-attacker", "tiocsti", $t, "/out"]' --arg t "touch $MARK/typed-by-run"
	_typed_into_caller_shell run "MOAT_TEST_TAG=$TAG $MOAT --root $ROOT run --bundle $BUNDLE $ID"
	# exec into a running container
	set_args '["sleep", "100"]'
	run_d_ok "$ID-2"
	_typed_into_caller_shell exec "MOAT_TEST_TAG=$TAG $MOAT --root $ROOT exec $ID-2 /runtime-attacker tiocsti 'touch $MARK/typed-by-exec' /out"
	run --separate-stderr moat delete -f "$ID-2"
	assert_status 0
	[ -z "$errs" ] || fail "a process started without a terminal:$errs"
	assert_nothing_left "$ID"
	assert_nothing_left "$ID-2"
}

# ---- F4. the caller's session keyring in an exec'd process --------------------
#
# The kernel keyring is not namespaced: the init joins a session keyring of
# the container's own ("moat-<id>"), but an exec'd process used to keep the
# session keyring of whoever ran `moat exec` (an engine, an admin's login)
# and read its keys.  Here the caller's session holds a secret.
_keyed_caller() {
	local o e rc=0
	o=$(mktemp "$T/.moat-out.XXXXXX")
	e=$(mktemp "$T/.moat-err.XXXXXX")
	MOAT_TEST_TAG=$TAG timeout -k 5 "${MOAT_TEST_TIMEOUT:-60}" "$RA" keyhost "$SECRET" \
		"$MOAT" --root "$ROOT" "$@" >"$o" 2>"$e" || rc=$?
	cat "$o"
	cat "$e" >&2
	rm -f "$o" "$e"
	return $rc
}

@test "escapes: an exec'd process has the container's session keyring, not the caller's" {
	_need_attacker
	bind_out
	set_sh '/runtime-attacker keys >/out/init-keys; exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/init-keys"
	local SECRET=caller-secret-$RANDOM$RANDOM
	run --separate-stderr _keyed_caller exec "$ID" /runtime-attacker keys
	local exec_status=$status exec_out=$output exec_err=$stderr
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$exec_status" -eq 0 ] || fail "exec from a keyed session: status $exec_status: $exec_out $exec_err"
	assert_not_contains "$exec_out" "$SECRET" "the exec'd process's keys (the caller's secret)"
	assert_not_contains "$exec_out" "moat-test-caller" "the exec'd process's session keyring"
	# the container's, as the init's
	local init_ring exec_ring
	init_ring=$(head -n 1 "$OUT/init-keys")
	exec_ring=$(head -n 1 <<<"$exec_out")
	[[ $init_ring == *";moat-$ID" ]] || fail "the init's session keyring is not the container's (sanity): [$init_ring]"
	[[ $exec_ring == *";moat-$ID" ]] || fail "the exec'd process's session keyring is not the container's: [$exec_ring]"
	# the same keyring, not a new one of that name
	assert_eq "${exec_ring%%:*}" "${init_ring%%:*}" "the exec'd process's session keyring (serial)"
	assert_nothing_left "$ID"
}

# create --no-new-keyring keeps the caller's keyring for the init: an exec
# does what create did (the container's choice, as runc)
@test "escapes: exec into a container created with --no-new-keyring keeps the caller's keyring" {
	_need_attacker
	set_args '["sleep", "100"]'
	local SECRET=caller-secret-$RANDOM$RANDOM
	MOAT_TEST_TAG=$TAG timeout -k 5 60 "$RA" keyhost "$SECRET" \
		"$MOAT" --root "$ROOT" create --no-new-keyring --bundle "$BUNDLE" "$ID" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err" ||
		fail "create --no-new-keyring: $(cat "$BATS_TEST_TMPDIR/create.err")"
	record_pid "$ID"
	run --separate-stderr _keyed_caller exec "$ID" /runtime-attacker keys
	local exec_status=$status exec_out=$output exec_err=$stderr
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$exec_status" -eq 0 ] || fail "exec from a keyed session: status $exec_status: $exec_out $exec_err"
	assert_contains "$(head -n 1 <<<"$exec_out")" ";moat-test-caller" "the exec'd process's session keyring"
	assert_nothing_left "$ID"
}

# ---- F5. a stopped exec'd process and the container's lock --------------------
#
# Any container process (no CAP_SYS_PTRACE needed: same uid) can SIGSTOP the
# exec'd process before its execve.  moat exec used to wait for it for ever
# holding the container's lock shared: `delete -f` then waited for ever for
# the lock exclusive, and behind it state, kill and list.  The exec must
# hold no lock while the container can reach its process: with one stopped,
# state, kill, list and delete -f still work at once, and the exec ends
# when the container is deleted.  Bounded: up to 20 `exec -d` until the
# attacker holds one stopped before its execve (about every other one).
@test "escapes: an exec'd process stopped by the container blocks neither moat nor its exec" {
	_need_attacker
	bind_out
	_attacker_args stop 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local n=0 k bg=
	while [ "$n" -lt 20 ] && [ ! -s "$OUT/stopped" ]; do
		n=$((n + 1))
		rm -f "$T/exec.rc"
		( rc=0; MOAT_TEST_TIMEOUT=40 moat exec -d "$ID" true >/dev/null 2>&1 || rc=$?; echo "$rc" >"$T/exec.rc" ) &
		bg=$!
		for ((k = 0; k < 40; k++)); do
			[ -s "$OUT/stopped" ] || [ -e "$T/exec.rc" ] && break
			sleep 0.05
		done
		[ -s "$OUT/stopped" ] && break
		wait "$bg"
	done
	[ -s "$OUT/stopped" ] || { fail "the attacker never stopped an exec'd process before its execve in $n execs"; return 1; }
	local t0=$SECONDS errs=
	MOAT_TEST_TIMEOUT=5 run --separate-stderr moat state "$ID"
	[ "$status" -eq 0 ] && [ "$(jq -r .status <<<"$output")" = running ] ||
		errs="$errs [state: status $status $output $stderr]"
	MOAT_TEST_TIMEOUT=5 run --separate-stderr moat kill "$ID" CONT
	[ "$status" -eq 0 ] || errs="$errs [kill CONT: status $status $stderr]"
	MOAT_TEST_TIMEOUT=5 run --separate-stderr moat list
	[ "$status" -eq 0 ] || errs="$errs [list: status $status $stderr]"
	MOAT_TEST_TIMEOUT=5 run --separate-stderr moat delete -f "$ID"
	[ "$status" -eq 0 ] || errs="$errs [delete -f: status $status $stderr]"
	# the exec ends with its process (killed by delete -f)
	for ((k = 0; k < 100; k++)); do
		[ -e "$T/exec.rc" ] && break
		sleep 0.05
	done
	[ -e "$T/exec.rc" ] || errs="$errs [the exec did not end within 5 s of delete -f]"
	if [ -n "$errs" ]; then
		# free the stopped process (and with it the lock of a runtime with
		# the hole), so that teardown does not wait for the exec's timeout
		echo 1 >"$CGROOT/moat/$ID/cgroup.kill" 2>/dev/null
		wait
		fail "with an exec'd process stopped by the container ($(cat "$OUT/stopped")), in $((SECONDS - t0)) s:$errs"
		return 1
	fi
	wait
	assert_nothing_left "$ID"
}

# ---- F6. an exec'd process ptraced before its seccomp filter -------------------
#
# With noNewPrivileges the filter used to be loaded last, just before
# execve: a container process with CAP_SYS_PTRACE seized the exec'd process
# before that and made it run a syscall the profile denies (here mkdirat, on
# a bind-mounted host directory).  The process the container sees must be
# born under the filter.  Bounded: 50 execs or 10 s, stop at the first
# unfiltered mkdirat or after 10 refused ones.
@test "escapes: an exec'd process is under the seccomp filter before the container can ptrace it" {
	[ "$(uname -m)" = x86_64 ] || skip "the ptrace attacker injects x86_64 syscalls (this host: $(uname -m))"
	_need_attacker
	_ptrace_caps
	bind_out
	cfg '.process.noNewPrivileges = true'
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	_attacker_args noseccomp 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local n=0 t0=$SECONDS
	while [ "$n" -lt 50 ] && [ $((SECONDS - t0)) -lt 10 ] && ! ls "$OUT" | grep -q '^unfiltered-' &&
		[ "$(cat "$OUT/noseccomp" 2>/dev/null | wc -l)" -lt 10 ]; do
		n=$((n + 1))
		# the attacker tampers with the process: its status is not ours
		run --separate-stderr moat exec "$ID" true
	done
	# sanity: the filter denies mkdir to a process the container runs
	run --separate-stderr moat exec "$ID" mkdir /out/direct
	local direct=$status
	local injected
	injected=$(cat "$OUT/noseccomp" 2>/dev/null)
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$direct" -ne 0 ] && [ ! -e "$OUT/direct" ] || fail "mkdir under the filter succeeded (sanity)"
	[ -z "$(ls "$OUT" | grep '^unfiltered-')" ] ||
		fail "a syscall the filter denies ran in an exec'd process ptraced by the container (after $n execs): $injected"
	[ -n "$injected" ] || fail "the attacker never reached an exec'd process in $n execs: nothing was tested"
	assert_nothing_left "$ID"
}

# The init of a created container waits for start; a process exec'd into
# it with CAP_SYS_PTRACE can seize it there.  With noNewPrivileges the
# filter used to be loaded only at start: the injected mkdirat ran.  The
# init must be under the filter before it reports ready.
@test "escapes: the waiting init of a created container is under the seccomp filter" {
	[ "$(uname -m)" = x86_64 ] || skip "the ptrace attacker injects x86_64 syscalls (this host: $(uname -m))"
	_need_attacker
	_ptrace_caps
	bind_out
	cfg '.process.noNewPrivileges = true'
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat exec "$ID" /runtime-attacker inject 1 /out
	local injected
	injected=$(cat "$OUT/noseccomp" 2>/dev/null)
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ -n "$injected" ] || fail "the attacker never injected a syscall into the waiting init: nothing was tested"
	[ -z "$(ls "$OUT" | grep '^unfiltered-')" ] ||
		fail "a syscall the filter denies ran in the waiting init, ptraced by the container: $injected"
	assert_contains "$injected" "= -1" "the injected mkdirat's result"
	assert_nothing_left "$ID"
}

# ---- F7. a container-controlled /proc/self/stat ---------------------------------
#
# The exec'd process used to read where moat's command line and environment
# are from /proc/self/stat after joining the container's mount namespace.
# A container with CAP_SYS_ADMIN in its own user namespace (no privilege on
# the host) mounts a tmpfs on /proc and plants /proc/self/stat: a file
# naming addresses makes exec zero them (SIGSEGV), a fifo makes every exec
# hang in open().  The bounds must come from the runtime's own /proc.
_planted_proc_stat() {
	local d=$BUNDLE
	# from the test bundle's config every time, with bind_out's /out
	cp "$MOAT_TEST_BUNDLE/config.json" "$CFG"
	add_mount "{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"$OUT\", \"options\": [\"rbind\", \"rw\"]}"
	# the container's root (uid 100000 on the host) walks to its rootfs
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	cfg '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	cfg '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_ADMIN"])'
	cfg '.root.readonly = false'
	set_sh "umount -l /proc && mount -t tmpfs none /proc && mkdir /proc/self && $1 && echo planted >/out/planted; exec sleep 100"
}

@test "escapes: a /proc/self/stat planted by the container neither crashes nor hangs exec" {
	unshare --user true 2>/dev/null || skip "user namespaces are not available on this host"
	bind_out
	# a file: fields 3..47 zero, then arg_start arg_end env_start env_end
	_planted_proc_stat '{ printf "1 (x) S"; i=4; while [ $i -le 47 ]; do printf " 0"; i=$((i+1)); done; printf " 4096 8192 4096 8192 0\n"; } >/proc/self/stat'
	run_d_ok "$ID"
	wait_file "$OUT/planted"
	MOAT_TEST_TIMEOUT=10 run --separate-stderr moat exec "$ID" true
	local file_status=$status file_err=$stderr
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	rm -f "$OUT/planted"
	# a fifo
	_planted_proc_stat 'mkfifo /proc/self/stat'
	run_d_ok "$ID-2"
	wait_file "$OUT/planted"
	MOAT_TEST_TIMEOUT=5 run --separate-stderr moat exec "$ID-2" true
	local fifo_status=$status fifo_err=$stderr
	run --separate-stderr moat delete -f "$ID-2"
	assert_status 0
	local errs=
	[ "$file_status" -eq 0 ] || errs="$errs [planted file: exec status $file_status: $file_err]"
	[ "$fifo_status" -eq 0 ] || errs="$errs [planted fifo: exec status $fifo_status (124: hung 5 s): $fifo_err]"
	[ -z "$errs" ] || fail "exec into a container that planted /proc/self/stat:$errs"
	assert_nothing_left "$ID"
	assert_nothing_left "$ID-2"
}

# ---- F8. moat's command line and environment in its visible processes ------------
#
# Until its execve, a process the container sees is a copy of moat: its
# /proc/<pid>/cmdline and environ (readable with CAP_SYS_PTRACE) are moat's,
# with host paths and the engine's variables, unless zeroed first.  The
# attacker stops each new moat process and copies both: for an exec'd
# process, and for the init of a container created into its pid namespace
# (visible until start).  moat runs with a secret in its environment.
# Bounded: 20 execs, until 2 exec'd processes are caught.
@test "escapes: moat's command line and environment are scrubbed in processes the container sees" {
	_need_attacker
	_ptrace_caps
	bind_out
	_attacker_args survey 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local secret=moat-env-secret-$RANDOM$RANDOM n=0
	while [ "$n" -lt 20 ] && [ "$(ls "$OUT" | grep -c '^survey\.')" -lt 2 ]; do
		n=$((n + 1))
		MOAT_SECRET=$secret run --separate-stderr moat exec "$ID" true
		assert_status 0
	done
	local execs
	execs=$(ls "$OUT" | grep -c '^survey\.')
	# B, created into A's pid namespace: its init waits, visible, for start
	_neighbour_bundle "$T/b2" "$(pid_of "$ID")" '.process.args = ["sleep", "100"]'
	MOAT_SECRET=$secret run --separate-stderr moat create --bundle "$T/b2" "$ID-b"
	assert_status 0
	record_pid "$ID-b"
	local k
	for ((k = 0; k < 40; k++)); do
		[ "$(ls "$OUT" | grep -c '^survey\.')" -gt "$execs" ] && break
		sleep 0.05
	done
	local with_b
	with_b=$(ls "$OUT" | grep -c '^survey\.')
	# C, the same on a kernel without procfs pidns=: the helper that opens
	# its /proc is born in A's namespace too (and C's waiting init); it
	# lives 300 ms longer here, so that the attacker sees it every time
	MOAT_FAULT=proc-pidns-slow MOAT_SECRET=$secret run --separate-stderr moat create --bundle "$T/b2" "$ID-c"
	assert_status 0
	record_pid "$ID-c"
	for ((k = 0; k < 40; k++)); do
		[ "$(ls "$OUT" | grep -c '^survey\.')" -gt $((with_b + 1)) ] && break
		sleep 0.05
	done
	local surveys
	surveys=$(cat "$OUT"/survey.* 2>/dev/null)
	run --separate-stderr moat delete -f "$ID-c"
	assert_status 0
	run --separate-stderr moat delete -f "$ID-b"
	assert_status 0
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ "$execs" -gt 0 ] || fail "the attacker caught no exec'd process before its execve in $n execs: nothing was tested"
	[ "$with_b" -gt "$execs" ] || fail "the attacker did not catch the waiting init of $ID-b: nothing was tested"
	[ "$(ls "$OUT" | grep -c '^survey\.')" -gt $((with_b + 1)) ] ||
		fail "the attacker did not catch both the helper and the waiting init of $ID-c: nothing was tested"
	# what the container read, cut short
	local leaked
	leaked=$(grep -oE "cmdline: \[[^]]*--root[^]]{0,80}|.{0,40}($secret|MOAT_TEST_TAG=[^ ]*)" <<<"$surveys" || true)
	[ -z "$leaked" ] ||
		fail "moat's command line or environment read by the container in $(ls "$OUT" | grep -c '^survey\.') moat processes: $leaked"
	assert_nothing_left "$ID-c"
	assert_nothing_left "$ID-b"
	assert_nothing_left "$ID"
}

# ---- F9. processes in a child cgroup of the container -------------------------------
#
# A container with a writable cgroup mount (cgroupns, "rw", as
# systemd-in-container configs have) makes cgroups below its own and moves
# processes there.  kill --all with a signal other than KILL used to read
# only the top cgroup.procs (the hidden process is not signalled, nor listed
# by ps), and delete -f failed for ever on rmdir (EBUSY).
_writable_cgroup_mount() {
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "rw"]}'
}

@test "escapes: kill --all and ps reach processes in child cgroups of the container" {
	bind_out
	_writable_cgroup_mount
	# the init ignores TERM; the hidden sleep does not
	set_sh 'mkdir /sys/fs/cgroup/hide || exit 1; sleep 1001 & s=$!; echo $s >/sys/fs/cgroup/hide/cgroup.procs && echo $s >/out/hidden; trap "" TERM; while :; do sleep 1; done'
	run_d_ok "$ID"
	wait_file "$OUT/hidden"
	local hidden k
	for ((k = 0; k < 40; k++)); do
		hidden=$(cat "$CGROOT/moat/$ID/hide/cgroup.procs" 2>/dev/null)
		[ -n "$hidden" ] && break
		sleep 0.05
	done
	[[ "$hidden" =~ ^[0-9]+$ ]] || { fail "the container's child cgroup holds [$hidden] (setup)"; return 1; }
	run --separate-stderr moat ps "$ID"
	local ps_status=$status ps_out=$output
	run --separate-stderr moat kill --all "$ID" TERM
	assert_status 0
	for ((k = 0; k < 40; k++)); do
		is_alive "$hidden" || break
		sleep 0.05
	done
	local errs=
	is_alive "$hidden" && errs="$errs [kill --all TERM did not reach pid $hidden]"
	[ "$ps_status" -eq 0 ] && grep -q "^$hidden " <<<"$ps_out" ||
		errs="$errs [moat ps (status $ps_status) does not list pid $hidden: $(tr '\n' '|' <<<"$ps_out")]"
	run --separate-stderr moat delete -f "$ID"
	[ "$status" -eq 0 ] || errs="$errs [delete -f: status $status: $stderr]"
	[ -z "$errs" ] || fail "a process in the container's child cgroup:$errs"
	assert_nothing_left "$ID"
}

@test "escapes: delete -f removes a container with nested child cgroups and their processes" {
	bind_out
	_writable_cgroup_mount
	set_sh 'mkdir -p /sys/fs/cgroup/sub/deeper || exit 1; sleep 1001 & echo $! >/sys/fs/cgroup/sub/deeper/cgroup.procs && echo ok >/out/moved; exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/moved"
	local hidden
	hidden=$(cat "$CGROOT/moat/$ID/sub/deeper/cgroup.procs" 2>/dev/null)
	[[ "$hidden" =~ ^[0-9]+$ ]] || { fail "the container's nested cgroup holds [$hidden] (setup)"; return 1; }
	echo "$hidden" >>"$T/.pids.$ID"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# Names the container picks: a leading dot, a depth beyond any fixed
# bound.  ps and kill --all see the process in .h; delete -f removes the
# whole tree (it stayed: the scans skipped dot names and stopped at 64
# levels).
@test "escapes: child cgroups named with a dot, or nested 80 deep, are seen by ps and removed by delete -f" {
	bind_out
	_writable_cgroup_mount
	set_sh 'mkdir /sys/fs/cgroup/.h && sleep 1002 & p=$!; sleep 0.2; echo $p >/sys/fs/cgroup/.h/cgroup.procs || exit 1
		d=/sys/fs/cgroup/deep; i=0; while [ $i -lt 80 ]; do d=$d/d; i=$((i + 1)); done
		mkdir -p "$d" || exit 1; sleep 1003 & q=$!; sleep 0.2; echo $q >"$d/cgroup.procs" || exit 1
		echo ok >/out/made; exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/made"
	local hidden deep
	hidden=$(cat "$CGROOT/moat/$ID/.h/cgroup.procs" 2>/dev/null)
	[[ "$hidden" =~ ^[0-9]+$ ]] || { fail "the container's .h cgroup holds [$hidden] (setup)"; return 1; }
	deep=$(pgrep -f "sleep 1003" | head -1)
	[[ "$deep" =~ ^[0-9]+$ ]] || { fail "no process in the deep cgroup (setup)"; return 1; }
	echo "$hidden" >>"$T/.pids.$ID"
	echo "$deep" >>"$T/.pids.$ID"
	run --separate-stderr moat ps --format json "$ID"
	assert_status 0
	assert_contains "$output" "$hidden" "ps of a process in .h"
	assert_contains "$output" "$deep" "ps of a process 80 cgroups deep"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# ---- F11. control characters from the container on moat's stderr --------------
#
# Text moat prints on behalf of something else must not reach the terminal
# raw (escape sequences, a forged "moat: error:" line, BEL, CR).  The
# container's side: a process with CAP_SYS_PTRACE takes the channel of an
# exec'd process and sends a LOG message (first exec on a runtime with the
# hole); the config's side: a warning naming a member of linux.resources.
# Bounded: 20 execs, until the forged message has been printed.
_assert_printable() {
	local what=$1 file=$2
	if LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$file"); then
		fail "$what: raw control characters on moat's stderr: $(od -c "$file" | head -n 8)"
		return 1
	fi
	if grep -q '^moat: error: the host' "$file"; then
		fail "$what: a line forged by the container on moat's stderr: $(cat -v "$file")"
		return 1
	fi
}

@test "escapes: control characters from the container or the config reach moat's stderr escaped" {
	_need_attacker
	_ptrace_caps
	bind_out
	_attacker_args log 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local n=0
	: >"$T/stderr"
	while [ "$n" -lt 20 ] && ! grep -q forged "$T/stderr"; do
		n=$((n + 1))
		moat exec "$ID" true >/dev/null 2>>"$T/stderr" || true
	done
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ -s "$OUT/hijacked" ] || fail "the attacker never sent a message on moat's channel in $n execs: nothing was tested"
	# printed escaped, or not at all
	_assert_printable "a LOG message from the container" "$T/stderr"
	# the config: a warning that quotes a bind mount's data
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["bind", "x=evil\u001b[2J\u001b[31m\nmoat: error: the host is on fire\u0007"]}]'
	set_args '["true"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-2"
	assert_status 0
	printf '%s' "$stderr" >"$T/stderr-2"
	assert_contains "$stderr" "no effect on a bind" "moat's warning"
	_assert_printable "a warning about the config" "$T/stderr-2"
	# and an error that names a member of the config
	cfg '.linux.resources["evil\u001b[2J\u001b[31m\nmoat: error: the host is on fire\u0007"] = {}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-3"
	assert_status 1
	printf '%s' "$stderr" >"$T/stderr-3"
	assert_contains "$stderr" "unknown member" "moat's error"
	_assert_printable "an error about the config" "$T/stderr-3"
	assert_nothing_left "$ID-3"
	assert_nothing_left "$ID"
	assert_nothing_left "$ID-2"
}
