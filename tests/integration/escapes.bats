#!/usr/bin/env bats
# Regression tests for container escapes found by an attack review.
#
# Each test plays the attacker from inside a container (tests/lib/
# escape-attacker.c, built here and copied into the rootfs) and checks from
# outside what the kernel let it do: files on the host, the hash of a
# binary, /proc of processes.  Each one fails on a runtime with the hole.
#
#   1. exec: the new process is in the container's pid namespace before it
#      has left the host's mount namespace (host root via /proc/<pid>/root)
#   2. create joining a pid namespace by path: the same until pivot_root
#      (and, for a fix, a container's /proc must be its pid namespace's)
#   3. the moat binary on disk reachable via /proc/<pid>/exe after an
#      `exec --cap CAP_SYS_PTRACE` (CVE-2019-5736 class)
#   4. startContainer hooks, and what they leave running, escape seccomp
#   5. a /proc of another pid namespace: wrong status, wrong process killed
#
# The races (1, 2, 3) are won by the attacker within 1-3 attempts on a
# runtime with the hole, even on a loaded machine; the loops are bounded
# (count and time) and stop at the first success.  Every test runs in
# about 12 s at most on a fixed runtime and cleans up after itself.
#
# Attacks on moat's own processes while the container can see them (forged
# channel messages, stops, ptrace, keyrings, terminals, child cgroups) are
# in escapes-runtime.bats.

load helpers

setup_file() {
	# a static attacker: it runs in the busybox rootfs
	ATTACKER_ERR=
	ATTACKER=$BATS_FILE_TMPDIR/escape-attacker
	if ! command -v gcc >/dev/null; then
		ATTACKER_ERR="gcc is not installed"
	elif ! gcc -static -O2 -Wall -o "$ATTACKER" "$BATS_TEST_DIRNAME/../lib/escape-attacker.c" \
		>"$BATS_FILE_TMPDIR/gcc.log" 2>&1; then
		ATTACKER_ERR="gcc -static failed (is libc.a installed?): $(cat "$BATS_FILE_TMPDIR/gcc.log")"
	fi
	export ATTACKER ATTACKER_ERR
}

# the attacker, or a skip that says why there is none
_need_attacker() {
	if [ -n "$ATTACKER_ERR" ]; then
		skip "cannot build tests/lib/escape-attacker.c: $ATTACKER_ERR"
	fi
	cp "$ATTACKER" "$ROOTFS/escape-attacker"
}

# CAP_SYS_PTRACE in the container's bounding, effective and permitted sets
# (as in security.bats)
_ptrace_caps() {
	cfg '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_PTRACE"])'
}

# _attacker_args MODE ARG SECONDS: process.args = the attacker, reporting to /out
_attacker_args() {
	cfg '.process.args = ["/escape-attacker", $m, $a, $s, "/out"]' --arg m "$1" --arg a "$2" --arg s "$3"
}

# A host directory the container must never reach: an absolute path that
# exists on the host only (under $T; the container's /tmp is a tmpfs), not
# mounted into the container.  The attacker creates "escaped" in it.
_host_marker() {
	MARK=$T/host-marker
	mkdir -p "$MARK"
	chmod 777 "$MARK"
}

# _assert_marker_untouched WHAT: nothing was written into $MARK
_assert_marker_untouched() {
	local got
	got=$(ls -A "$MARK")
	[ -z "$got" ] || fail "$1: a container process wrote [$got] into the host directory $MARK ($(cat "$OUT/escaped" 2>/dev/null))"
}

# ---- 1. exec: the process is visible in the pid namespace before it has ----
# ----    left the host's mount namespace ------------------------------------
#
# `moat exec` joins the container's pid namespace in the parent and clones
# the child into it; the child joins the mount namespace only afterwards.
# Between the two, the child is a process of the container's pid namespace
# whose root is the host's, and a container process holding CAP_SYS_PTRACE
# (no user namespace: non-dumpable does not stop it) opens
# /proc/<pid>/root/<host path>.  The attacker spins on the pids about to be
# used; on a runtime with the hole it wins within 1-3 execs (even on a
# loaded machine; the bound is 300 execs or 10 s) and writes into a host directory.
@test "escapes: exec never shows a CAP_SYS_PTRACE container the host's root" {
	_need_attacker
	_ptrace_caps
	bind_out
	_host_marker
	_attacker_args root "$MARK" 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	# bounded: 300 execs or 10 s, whichever comes first; stop at the first
	# escape
	local n=0 t0=$SECONDS
	while [ "$n" -lt 300 ] && [ $((SECONDS - t0)) -lt 10 ] && [ ! -e "$MARK/escaped" ]; do
		run --separate-stderr moat exec "$ID" true
		assert_status 0
		n=$((n + 1))
	done
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	_assert_marker_untouched "after $n execs"
	assert_nothing_left "$ID"
}

# ---- 2. create joining a pid namespace by path: the init is visible -------
# ----    there while its root is still the host's ---------------------------
#
# With linux.namespaces pid {path: ...}, moat joins that pid namespace in
# the parent and clones the new init into it; the init prepares its mounts
# and pivots to the rootfs only afterwards.  Until pivot_root its root is
# the host's, and a process of the joined namespace holding CAP_SYS_PTRACE
# opens /proc/<pid>/root/<host path>.  The window is the whole rootfs setup:
# on a runtime with the hole the first or second create loses.
# A fix must keep the pid namespace's meaning: a container that joins it
# must see it in its /proc.  Joining it late, after /proc is mounted, gives
# the container a /proc of the runtime's pid namespace, whose /proc/1/root
# is the host's root again for a process with CAP_SYS_PTRACE: the last
# step checks that too.
# _created_in_pid_namespace [FAULT]: the attack above, with MOAT_FAULT=FAULT
# for moat's commands on B and B' (proc-pidns: a kernel without procfs
# pidns=, where a helper born in the namespace opens B's /proc)
_created_in_pid_namespace() {
	local fault=${1:-none}
	_need_attacker
	_ptrace_caps
	bind_out
	_host_marker
	_attacker_args root "$MARK" 40
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local pid
	pid=$(pid_of "$ID")
	# B: an ordinary container (no CAP_SYS_PTRACE) in A's pid namespace
	cp -a "$MOAT_TEST_BUNDLE" "$T/b2"
	jq --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p}
	  | .process.args = ["true"]' "$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	# bounded: 20 attempts (create + delete) or 10 s; stop at the first
	# escape (today the first or second create loses, even under load)
	local n=0 t0=$SECONDS
	while [ "$n" -lt 20 ] && [ $((SECONDS - t0)) -lt 10 ]; do
		n=$((n + 1))
		MOAT_FAULT=$fault run --separate-stderr moat create --bundle "$T/b2" "$ID-b"
		assert_status 0
		record_pid "$ID-b"
		run --separate-stderr moat delete -f "$ID-b"
		assert_status 0
		[ -e "$MARK/escaped" ] && break
	done
	# B': CAP_SYS_PTRACE too, in A's pid namespace: its /proc/1 must be
	# A's init, and its /proc/1/root must not be the host's
	jq --arg m "$MARK" '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_PTRACE"])
	  | .process.args = ["sh", "-c", "tr \"\\0\" \" \" </proc/1/cmdline; echo; echo x >/proc/1/root\($m)/escaped-from-b 2>/dev/null && echo WROTE; exit 0"]' \
		"$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	MOAT_FAULT=$fault run --separate-stderr moat run --bundle "$T/b2" "$ID-c"
	local b_status=$status b_out=$output b_err=$stderr
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ ! -e "$MARK/escaped-from-b" ] ||
		fail "B' (CAP_SYS_PTRACE, in A's pid namespace) wrote into the host directory $MARK through its /proc/1/root: its /proc is not A's pid namespace's (its pid 1: [${b_out%%$'\n'*}])"
	_assert_marker_untouched "after $n creates"
	[ "$b_status" -eq 0 ] || fail "moat run of B' in A's pid namespace: status $b_status: $b_out $b_err"
	assert_contains "$b_out" "/escape-attacker root" "/proc/1/cmdline in a container that joined A's pid namespace (A's init)"
	assert_nothing_left "$ID-b"
	assert_nothing_left "$ID-c"
	assert_nothing_left "$ID"
}

@test "escapes: a container created in another's pid namespace never shows it the host's root" {
	_created_in_pid_namespace
}

# Before procfs pidns= (Linux 6.17) a helper born in the shared namespace
# opens the /proc: it must hold nothing either (its root is an empty
# tmpfs, its only fd a socket, its privileges those of a user namespace of
# its own): the attacker spins over every new pid, the helper's included.
@test "escapes: ... and on a kernel without procfs pidns=, through the helper that opens /proc" {
	_created_in_pid_namespace proc-pidns
}

# ---- 3. the moat binary after an exec with --cap CAP_SYS_PTRACE -------------
#
# CVE-2019-5736 with CAP_SYS_PTRACE, which the non-dumpable flag does not
# stop: moat runs from a sealed memfd copy only when the container's config
# has CAP_SYS_PTRACE, or the current exec's --cap has it.  A process that an
# earlier `exec --cap CAP_SYS_PTRACE` started keeps the capability, and
# every later plain exec runs the binary on disk inside the container's pid
# namespace: the attacker opens /proc/<pid>/exe (O_PATH) of the new pid,
# waits until moat is no longer running (ETXTBSY) and writes to the binary
# through /proc/self/fd/N.  This test works on a private copy of moat, so a
# successful attack cannot break the other tests, and checks its hash.
@test "escapes: a process exec'd with CAP_SYS_PTRACE cannot overwrite the moat binary" {
	_need_attacker
	# every call of this test runs the private copy (helpers use $MOAT)
	cp "$MOAT" "$T/moat-copy"
	local MOAT=$T/moat-copy
	local before
	before=$(sha256sum <"$MOAT")
	bind_out
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	wait_status "$ID" running
	run --separate-stderr moat exec -d --cap CAP_SYS_PTRACE "$ID" /escape-attacker exe moat-copy 30 /out
	assert_status 0
	wait_file "$OUT/ready"
	# plain execs, bounded: 200 or 10 s; stop once the attacker holds the binary
	local n=0 t0=$SECONDS
	while [ "$n" -lt 200 ] && [ $((SECONDS - t0)) -lt 10 ] && [ ! -e "$OUT/got" ]; do
		run --separate-stderr moat exec "$ID" true
		assert_status 0
		n=$((n + 1))
	done
	# no moat runs now: a held binary becomes writable at once
	if [ -e "$OUT/got" ]; then
		local k
		for ((k = 0; k < 40; k++)); do
			[ -e "$OUT/wrote" ] || [ -e "$OUT/gave-up" ] && break
			sleep 0.05
		done
	fi
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_eq "$(sha256sum <"$MOAT")" "$before" "sha256 of the moat binary after $n execs ($(cat "$OUT/got" "$OUT/wrote" 2>/dev/null))"
	assert_nothing_left "$ID"
}

# ---- 4. startContainer hooks run outside the container's seccomp filter -----
#
# startContainer hooks run in the container (config.md: path resolved and
# executed in the container namespace), i.e. they are container code.  With
# noNewPrivileges the init loads the filter last, after the hooks: a hook
# runs unfiltered, and a daemon it leaves behind stays unfiltered for the
# container's whole life (Seccomp: 0).  Here the filter makes mkdir fail;
# the hook's mkdir must fail as well, and the daemon must be filtered
# (Seccomp: 2).
@test "escapes: startContainer hooks and what they start run under the seccomp filter" {
	bind_out
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	cfg '.process.noNewPrivileges = true'
	# the hook tries mkdir in the bind-mounted host directory, leaves a
	# daemon (busybox sleep 1001, told apart from the process's sleep 100)
	# and never fails, so start goes on either way
	cfg '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir /out/made-by-hook 2>/out/mkdir.err; sleep 1001 </dev/null >/dev/null 2>&1 & echo ran >/out/hook-ran; exit 0"]}]'
	set_args '["sleep", "100"]'
	create_ok "$ID"
	run --separate-stderr moat start "$ID"
	assert_status 0
	wait_file "$OUT/hook-ran"
	wait_status "$ID" running
	# the daemon, found from the host in the container's cgroup (it may
	# still be the forked shell for a moment)
	local p daemon= init k
	init=$(pid_of "$ID")
	for ((k = 0; k < 100; k++)); do
		for p in $(cat "$CGROOT/moat/$ID/cgroup.procs"); do
			[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "sleep 1001 " ] && daemon=$p
		done
		[ -n "$daemon" ] && break
		sleep 0.05
	done
	local init_seccomp daemon_seccomp=none made=no
	init_seccomp=$(proc_status_field "$init" Seccomp)
	[ -n "$daemon" ] && daemon_seccomp=$(proc_status_field "$daemon" Seccomp)
	[ -e "$OUT/made-by-hook" ] && made=yes
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_eq "$init_seccomp" 2 "Seccomp of the container's process (sanity)"
	# both holes reported at once
	local errs=
	[ "$made" = no ] || errs="$errs [the hook's mkdir succeeded under a filter that denies mkdir]"
	[ "$daemon_seccomp" = 2 ] || errs="$errs [Seccomp of the daemon the hook started (pid $daemon): $daemon_seccomp, expected 2]"
	[ -z "$errs" ] || fail "startContainer hook ran unfiltered:$errs"
	assert_nothing_left "$ID"
}

# ---- 5. a /proc of another pid namespace: wrong status, wrong process killed -
#
# moat checks that a recorded pid is still the container's init by the
# start time in /proc/<pid>/stat.  Started from `unshare --pid --fork`
# without a /proc of its own, moat's pids are those of the new namespace
# while /proc shows the outer one: the start time it records and compares
# is that of whatever process has the same number outside.  Here:
#  - B, a bystander of the suite's pid namespace (outer pid N);
#  - the container's init, given pid N in moat's namespace (ns_last_pid):
#    moat records B's start time;
#  - the init is killed: `state` must not call the container running (B
#    still matches);
#  - V, a victim in moat's namespace, reuses pid N: `delete -f` must not
#    SIGKILL it (pidfd_open(N) finds V, the start time check reads B's).
# A fixed moat either gets it right or refuses with an error about /proc;
# both pass.  Deterministic: the pids are chosen, nothing races.

# _in_ns CMD...: CMD in the pid namespace of $NS1 (keeping our /proc),
# bounded, output through files (as moat_bare)
_in_ns() {
	local o e rc=0
	o=$(mktemp "$T/.ns-out.XXXXXX")
	e=$(mktemp "$T/.ns-err.XXXXXX")
	MOAT_TEST_TAG=$TAG timeout -k 5 "${MOAT_TEST_TIMEOUT:-60}" nsenter --target "$NS1" --pid -- "$@" >"$o" 2>"$e" || rc=$?
	cat "$o"
	cat "$e" >&2
	rm -f "$o" "$e"
	return $rc
}

# _outer_pid INNER: the pid, in our namespace, of the process that has pid
# INNER in $NS1's namespace
_outer_pid() {
	local f ns
	ns=$(readlink "/proc/$NS1/ns/pid")
	for f in /proc/[0-9]*/status; do
		awk -v n="$1" '$1 == "NSpid:" && NF == 3 && $3 == n { print $2 }' "$f" 2>/dev/null
	done | while read -r p; do
		[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "$p"
	done
}

# a moat result that is either correct or a refusal naming /proc
# _ok_or_proc_error WHAT: the last `run` failed with exit 1 and a message
# about /proc (appends to $errs otherwise and returns 1); 0 if it succeeded
_ok_or_proc_error() {
	[ "$status" -eq 0 ] && return 0
	if [ "$status" -eq 1 ] && [[ $stderr == *"moat: "*"/proc"* ]]; then
		return 2
	fi
	errs="$errs [$1: exit $status, not 0 nor 1 with an error about /proc: $stderr]"
	return 1
}

# the rest of the scenario, once the container runs with pid B in moat's
# namespace: kill its init, check state, plant V, check delete -f
_foreign_proc_kill_and_check() {
	local init k
	# kill the init from outside, wait until it is reaped
	init=$(cat "$CGROOT/moat/$ID/cgroup.procs")
	[[ "$init" =~ ^[0-9]+$ ]] || { fail "processes of the container: [$init]"; return 1; }
	kill -9 "$init"
	for ((k = 0; k < 100; k++)); do
		[ -e "/proc/$init" ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$init" ] || { fail "the container's init $init was not reaped"; return 1; }

	run --separate-stderr _in_ns "$MOAT" --root "$ROOT" state "$ID"
	if _ok_or_proc_error "state of the dead container"; then
		[ "$(jq -r .status <<<"$output")" = stopped ] ||
			errs="$errs [state of the dead container: $(jq -r .status <<<"$output"), expected stopped]"
	fi

	# V: a victim with pid B in moat's namespace
	run --separate-stderr _in_ns sh -c 'echo "$1" >/proc/sys/kernel/ns_last_pid && { sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; }' sh $((B - 1))
	[ "$status" -eq 0 ] && [ "$output" = "$B" ] ||
		{ fail "the victim did not get pid $B in moat's namespace (status $status): [$output] [$stderr]"; return 1; }
	local V
	V=$(_outer_pid "$B")
	[[ "$V" =~ ^[0-9]+$ ]] || { fail "the victim's pid outside: [$V]"; return 1; }
	helper_pid "$V"

	run --separate-stderr _in_ns "$MOAT" --root "$ROOT" delete -f "$ID"
	_ok_or_proc_error "delete -f" || true
	is_alive "$V" || errs="$errs [delete -f killed an unrelated process of moat's pid namespace (pid $B there)]"
	kill -9 "$V" 2>/dev/null || true
}

@test "escapes: moat with a foreign /proc never reports or kills the wrong process" {
	_need_attacker
	set_args '["sleep", "100"]'
	local errs=
	# B: the bystander, in the suite's pid namespace
	# (started detached, not as jobs of this shell: the suite's pid 1 reaps
	# them)
	local B
	B=$(sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!')
	helper_pid "$B"
	# moat's pid namespace: pid 1 reaps (the attacker's reap mode), and no
	# /proc is mounted for it
	local U k
	U=$(sh -c 'unshare --pid --fork --kill-child "$1" reap </dev/null >/dev/null 2>&1 & echo $!' sh "$ATTACKER")
	helper_pid "$U"
	local NS1=
	for ((k = 0; k < 100; k++)); do
		NS1=$(cat "/proc/$U/task/$U/children" 2>/dev/null | tr -d ' ')
		[ -n "$NS1" ] && [ "$(readlink "/proc/$NS1/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && break
		NS1=
		sleep 0.05
	done
	[ -n "$NS1" ] || skip "unshare --pid --fork did not start a pid namespace on this host"
	helper_pid "$NS1"

	# the container's init gets pid B in moat's namespace; from here on a
	# refusal about /proc ends the scenario (a fixed moat), anything else
	# unexpected is collected in $errs
	run --separate-stderr _in_ns sh -c 'echo "$1" >/proc/sys/kernel/ns_last_pid && shift && exec "$@"' \
		sh $((B - 1)) "$MOAT" --root "$ROOT" run -d --bundle "$BUNDLE" "$ID"
	if _ok_or_proc_error "run -d"; then
		run --separate-stderr _in_ns "$MOAT" --root "$ROOT" state "$ID"
		if _ok_or_proc_error "state of the live container"; then
			assert_eq "$(jq -r .pid <<<"$output")" "$B" "the init's pid in moat's namespace (the collision was set up)"
			assert_eq "$(jq -r .status <<<"$output")" running "status of the live container"
			_foreign_proc_kill_and_check
		fi
	fi
	is_alive "$B" || errs="$errs [the bystander $B of the outer namespace was killed]"
	# clean up from the suite's namespace once B is gone (the state
	# then names a dead process)
	kill -9 "$B" "$U" 2>/dev/null || true
	for ((k = 0; k < 100; k++)); do
		is_alive "$B" || break
		sleep 0.05
	done
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	[ -z "$errs" ] || fail "moat with a foreign /proc:$errs"
	assert_nothing_left "$ID"
}
