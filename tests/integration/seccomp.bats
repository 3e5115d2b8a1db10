#!/usr/bin/env bats
# linux.seccomp, seen from inside: what the filtered syscalls return.

load helpers

# allow everything but what the rules say
_profile() {
	cfg ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": $1}"
}

@test "seccomp: SCMP_ACT_ERRNO returns the configured errno" {
	_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, {"names": ["sethostname"], "action": "SCMP_ACT_ERRNO"}]'
	set_sh 'mkdir /tmp/d 2>&1; hostname x 2>&1; echo done'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "${lines[0]}" "Permission denied" "mkdir (EACCES = 13)"
	assert_contains "${lines[1]}" "Operation not permitted" "sethostname (default EPERM)"
	assert_eq "${lines[2]}" done
}

@test "seccomp: argument conditions select the calls" {
	# personality(0xffffffff) queries; deny only PER_LINUX32 (8)
	_profile '[{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]'
	set_sh 'uname -m; linux32 uname -m 2>&1 || echo refused'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" x86_64
	assert_not_contains "$output" "not found"
	assert_not_contains "$output" "i686" "personality(PER_LINUX32) under the filter"
	assert_contains "$output" "refused"
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS" {
	_profile '[{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]'
	# the shell reads its parent's pid (getppid) as it starts
	set_args '["sh", "-c", "echo $PPID"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status $((128 + 31))
}

@test "seccomp: a default-deny profile with an allowlist" {
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["execve", "brk", "mmap", "munmap", "mprotect", "arch_prctl", "set_tid_address", "exit_group", "write", "read", "getuid", "geteuid", "getpid", "rt_sigaction", "rt_sigprocmask", "ioctl", "fcntl", "close", "getppid", "uname", "prlimit64", "readlinkat", "newfstatat", "fstat", "openat", "set_robust_list", "rseq", "getrandom", "exit"], "action": "SCMP_ACT_ALLOW"}]}'
	set_args '["id", "-u"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" 0
}

@test "seccomp: loaded without no_new_privs too (before the capabilities drop)" {
	cfg '.process.noNewPrivileges = false'
	_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_sh 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/d 2>&1'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$output" "Seccomp:	2"
	assert_contains "$output" "NoNewPrivs:	0"
	assert_contains "$output" "Operation not permitted"
}

@test "seccomp: exec'd processes run under the container's filter" {
	_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>&1'
	assert_contains "$output" "Seccomp:	2"
	assert_contains "$output" "Operation not permitted"
	echo '{"args": ["sh", "-c", "mkdir /tmp/y 2>&1"], "cwd": "/"}' >"$T/p.json"
	run --separate-stderr moat exec --process "$T/p.json" "$ID"
	assert_contains "$output" "Operation not permitted" "exec --process"
}

@test "seccomp: bad profiles are refused naming the field, nothing left" {
	_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_FROBNICATE"}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.syscalls[0].action: unknown action"
	_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "unknown operator"
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "unknown architecture"
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"
	_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"
	cfg '.linux.seccomp.listenerPath = "/run/agent.sock" | .linux.seccomp.syscalls[0].names += ["sendmsg"]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for sendmsg"
	_profile '[]'
	cfg '.linux.seccomp.listenerMetadata = "x"'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath"
	assert_nothing_left "$ID"
}

@test "seccomp: unknown syscall names are ignored" {
	_profile '[{"names": ["no_such_syscall_anywhere", "mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO"}]'
	set_sh 'mkdir /tmp/d 2>&1'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_contains "$output" "Operation not permitted"
}

@test "seccomp: with run.oci.seccomp_fail_unknown_syscall an unknown name is refused, naming it" {
	_profile '[{"names": ["mkdir", "no_such_syscall_anywhere"], "action": "SCMP_ACT_ERRNO"}]'
	cfg '.annotations["run.oci.seccomp_fail_unknown_syscall"] = "1"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_error "linux.seccomp.syscalls[0]: \`no_such_syscall_anywhere\` is no system call this libseccomp knows (annotation run.oci.seccomp_fail_unknown_syscall)"
	assert_nothing_left "$ID"
}

# What busybox's sh (and its sleep) needs to start and run a builtin and
# a child (measured with strace), and execve.  No close_range, prctl, capset, setgroups,
# setres[ug]id, sendmsg or recvmsg: what the runtime needs is not there.
_SHELL_CALLS='"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
  "prlimit64", "readlink", "getrandom", "mprotect", "getuid", "geteuid", "getpid",
  "getppid", "uname", "getcwd", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
  "write", "read", "close", "openat", "newfstatat", "fstat", "fcntl", "ioctl", "dup",
  "dup2", "clone", "wait4", "getdents64", "exit", "exit_group", "mmap", "munmap",
  "lseek", "getgid", "getegid", "nanosleep", "clock_nanosleep", "pipe", "pipe2"'

# An allowlist: everything else fails with ENOSYS.
_allowlist() {
	cfg ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,
	  \"syscalls\": [{\"names\": [$1], \"action\": \"SCMP_ACT_ALLOW\"}]}"
}

@test "seccomp: with no_new_privs, an allowlist of what a shell needs runs, and so does exec" {
	_allowlist "$_SHELL_CALLS"
	set_sh 'echo started; exec sleep 100'
	run_d_ok "$ID"
	pid=$(pid_of "$ID")
	is_alive "$pid" || fail "the init died under the allowlist"
	grep -q "^Seccomp:[[:space:]]*2" "/proc/$pid/status" || fail "the init is not filtered"
	run --separate-stderr moat exec "$ID" sh -c 'echo in-exec; grep ^Seccomp: /proc/self/status'
	assert_status 0
	assert_eq "${lines[0]}" "in-exec" "exec'd shell"
	assert_contains "${lines[1]}" "2" "the exec'd process is filtered"
	# a user, groups and a capability change for the exec'd process too
	run --separate-stderr moat exec -u 1000:1000 --additional-gids 5 "$ID" sh -c 'echo $(id -u)'
	assert_status 0
	assert_eq "$output" 1000
	# the same in the foreground
	set_sh 'echo fg'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-fg"
	assert_status 0
	assert_eq "$output" fg
}

@test "seccomp: without no_new_privs, the allowlist plus the privilege-dropping calls runs (no close_range)" {
	cfg '.process.noNewPrivileges = false'
	_allowlist "$_SHELL_CALLS"', "capset", "setgroups", "setresuid", "setresgid", "prctl"'
	set_sh 'echo ran; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" ran
	assert_contains "$output" "Seccomp:	2"
	assert_contains "$output" "NoNewPrivs:	0"
	# create, then start: the init waits for start under the filter
	set_sh 'echo started >/dev/null; exec sleep 100'
	create_ok "$ID-c"
	run --separate-stderr moat start "$ID-c"
	assert_status 0
	wait_status "$ID-c" running
	run --separate-stderr moat exec "$ID-c" sh -c 'echo in-exec'
	assert_status 0
	assert_eq "$output" in-exec
}

@test "seccomp: a filter that forbids dropping privileges fails create with the child's own error" {
	cfg '.process.noNewPrivileges = false'
	# no capset: the init cannot drop its capabilities under this filter
	_allowlist "$_SHELL_CALLS"', "setgroups", "setresuid", "setresgid", "prctl"'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "process.capabilities"
	assert_contains "$stderr" "Function not implemented" "the errno the filter returned"
	assert_not_contains "$stderr" "during setup" "a bare exit status instead of the reason"
	assert_nothing_left "$ID"
}

# the probe of system calls (tests/lib/syscall-probe.c), static, in the
# rootfs; or a skip that says why it cannot be built
_need_probe() {
	if ! gcc -static -O2 -Wall -o "$ROOTFS/bin/syscall-probe" \
		"$BATS_TEST_DIRNAME/../lib/syscall-probe.c" >"$T/gcc.log" 2>&1; then
		skip "gcc -static cannot build tests/lib/syscall-probe.c (is libc.a installed?): $(head -3 "$T/gcc.log")"
	fi
}

# the profile `moat spec` writes, put into the test bundle (which has none)
_default_profile() {
	mkdir -p "$T/spec"
	moat spec --bundle "$T/spec" || fail "moat spec failed"
	cfg '.linux.seccomp = $p[0].linux.seccomp' --slurpfile p "$T/spec/config.json"
}

@test "seccomp: moat spec writes contrib/seccomp.json, the default profile" {
	mkdir -p "$T/spec"
	run --separate-stderr moat spec --bundle "$T/spec"
	assert_status 0
	local src
	src=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/contrib/seccomp.json
	[ -f "$src" ] || skip "no contrib/seccomp.json next to the tests"
	assert_eq "$(jq -S .linux.seccomp "$T/spec/config.json")" "$(jq -S . "$src")" "the profile in the config"
	assert_eq "$(jq -r '.defaultAction + " " + (.defaultErrnoRet | tostring)' "$src")" "SCMP_ACT_ERRNO 38" "default: ENOSYS"
}

@test "seccomp: under the default profile a shell works; namespaces, mount, ptrace and keys get EPERM, vsock EAFNOSUPPORT, newer calls ENOSYS" {
	_need_probe
	_default_profile
	set_sh 'grep ^Seccomp: /proc/self/status; ls / >/dev/null && echo ls-ok; mkdir /tmp/d && echo mkdir-ok
		echo piped | cat; sleep 0.1 && echo sleep-ok; id -u
		syscall-probe future clone3 unshare-user clone-newns clone-plain personality-linux32 socket-unix socket-vsock mount ptrace keyctl'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "Seccomp:	2
ls-ok
mkdir-ok
piped
sleep-ok
0
future errno=38
clone3 errno=38
unshare-user errno=1
clone-newns errno=1
clone-plain ok
personality-linux32 ok
socket-unix ok
socket-vsock errno=97
mount errno=1
ptrace errno=1
keyctl errno=1" "what the shell and the probe saw"
}

@test "seccomp: exec into a container under the default profile works, under the same filter" {
	_default_profile
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" sh -c 'grep ^Seccomp: /proc/self/status; echo exec-ok'
	assert_status 0
	assert_eq "$output" "Seccomp:	2
exec-ok"
}

# the test agent (tests/lib/seccomp-agent.c), listening on $AGENT_SOCK and
# logging to $AGENT_LOG; a skip if it cannot be built
_start_agent() {
	AGENT_SOCK=$T/agent.sock AGENT_LOG=$T/agent.log
	gcc -O2 -Wall -o "$T/seccomp-agent" "$BATS_TEST_DIRNAME/../lib/seccomp-agent.c" \
		>"$T/gcc.log" 2>&1 || skip "gcc cannot build tests/lib/seccomp-agent.c: $(head -3 "$T/gcc.log")"
	"$T/seccomp-agent" "$AGENT_SOCK" "$AGENT_LOG" </dev/null >/dev/null 2>"$T/agent.err" 3>&- &
	helper_pid $!
	local k
	for ((k = 0; k < 100; k++)); do
		[ -S "$AGENT_SOCK" ] && return 0
		sleep 0.02
	done
	fail "the seccomp agent did not start: $(cat "$T/agent.err")"
}

# mkdir and mkdirat go to the agent, which says they succeeded
_notify_profile() {
	_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
	cfg '.linux.seccomp.listenerPath = $p | .linux.seccomp.listenerMetadata = "agent-meta;x=\"1\""' \
		--arg p "$AGENT_SOCK"
}

@test "seccomp: SCMP_ACT_NOTIFY: the agent gets the listener and the container process state, and its answer is what the process sees" {
	_start_agent
	_notify_profile
	set_sh 'mkdir /tmp/made && echo mkdir-ok; [ -d /tmp/made ] || echo not-made'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "mkdir-ok
not-made" "the agent's emulated mkdir"
	local st
	st=$(sed -n 's/^state //p' "$AGENT_LOG")
	assert_eq "$(grep -c . <<<"$st")" 1 "one state, one connection"
	jq -e . <<<"$st" >/dev/null || fail "the state is not JSON (or came without the fd): $st"
	assert_eq "$(jq -c .fds <<<"$st")" '["seccompFd"]' "fds"
	assert_eq "$(jq -r .metadata <<<"$st")" 'agent-meta;x="1"' "metadata"
	assert_eq "$(jq -r '.state.id + " " + .state.status' <<<"$st")" "$ID creating" "state"
	assert_eq "$(jq -r .ociVersion <<<"$st")" "$(jq -r .state.ociVersion <<<"$st")" "ociVersion"
	[ "$(jq -r .pid <<<"$st")" -gt 0 ] || fail "pid: $st"
	grep -q "^notify 83 \|^notify 258 " "$AGENT_LOG" || fail "no mkdir notification: $(cat "$AGENT_LOG")"
}

@test "seccomp: SCMP_ACT_NOTIFY: exec gives the agent a listener too, with the running state" {
	_start_agent
	_notify_profile
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" sh -c 'mkdir /tmp/e && echo exec-mkdir-ok; [ -d /tmp/e ] || echo not-made'
	assert_status 0
	assert_eq "$output" "exec-mkdir-ok
not-made" "the agent's answer in the exec'd process"
	assert_eq "$(sed -n 's/^state //p' "$AGENT_LOG" | jq -r .state.status | tr '\n' ' ')" "creating running " "the states, create then exec"
}

@test "seccomp: SCMP_ACT_NOTIFY on a call made before no_new_privs: the agent has the listener by then, nothing hangs" {
	_start_agent
	_notify_profile
	# without noNewPrivileges the filter is loaded before the credentials
	# change: capset is made under it, and notified
	cfg '.process.noNewPrivileges = false | .linux.seccomp.syscalls[0].names += ["capset"]'
	set_sh 'mkdir /tmp/made && echo mkdir-ok'
	MOAT_TEST_TIMEOUT=20 run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" mkdir-ok "the process's output"
	grep -q "^notify 126 " "$AGENT_LOG" || fail "no capset notification: $(cat "$AGENT_LOG")"
}

@test "seccomp: SCMP_ACT_NOTIFY: an agent of another user, or a relative listenerPath, is refused" {
	gcc -O2 -Wall -o "$T/seccomp-agent" "$BATS_TEST_DIRNAME/../lib/seccomp-agent.c" \
		>"$T/gcc.log" 2>&1 || skip "gcc cannot build tests/lib/seccomp-agent.c: $(head -3 "$T/gcc.log")"
	local dir
	dir=$(mktemp -d /tmp/moat-agent.XXXXXX)
	on_teardown "rm -rf '$dir'"
	chmod 1777 "$dir"
	cp "$T/seccomp-agent" "$dir/agent"
	chmod 755 "$dir/agent"
	AGENT_SOCK=$dir/sock
	# setpriv execs the agent itself: its pid is the one killed at teardown
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$dir/agent" "$AGENT_SOCK" "$dir/log" \
		</dev/null >/dev/null 2>&1 3>&- &
	helper_pid $!
	local k
	for ((k = 0; k < 100; k++)); do [ -S "$AGENT_SOCK" ] && break; sleep 0.02; done
	_notify_profile
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "the agent runs as uid $(id -u nobody), neither root nor moat's user: refusing to give it the listener"
	assert_nothing_left "$ID"
	cfg '.linux.seccomp.listenerPath = "agent.sock"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.listenerPath: \`agent.sock\` is not an absolute path"
}

@test "seccomp: SCMP_ACT_NOTIFY: no agent at listenerPath fails create, naming it, and leaves nothing" {
	AGENT_SOCK=$T/nobody.sock
	_notify_profile
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.seccomp.listenerPath \`$T/nobody.sock\`: connect to the seccomp agent: No such file or directory"
	assert_nothing_left "$ID"
}

# ---- learning a profile (create/run --seccomp-learn) ----------------------------------

# a small workload: files, a socket, processes
_LEARN_WORK='echo data >/tmp/f && cat /tmp/f; ls / >/dev/null; true & wait; wget -q -O /dev/null http://127.0.0.1:9/ 2>/dev/null; echo done'

@test "seccomp learn: the learned profile lets the workload run again, and a call it never made fails with EPERM" {
	set_sh "$_LEARN_WORK"
	run --separate-stderr moat run --seccomp-learn "$T/learned.json" --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "data
done" "the workload while learning"
	[ -s "$T/learned.json" ] || fail "no profile when run returned"
	# an OCI linux.seccomp object: in a config, it passes the schema
	jq --slurpfile p "$T/learned.json" '.linux.seccomp = $p[0]' "$CFG" >"$T/with-profile.json"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/validate-config.py" \
		/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema "$T/with-profile.json"
	assert_status 0
	local names
	names=$(jq -r '.syscalls[0].names | join(" ")' "$T/learned.json")
	local c
	for c in openat read write execve sendmsg; do
		[[ " $names " == *" $c "* ]] || fail "$c is not in the learned calls: $names"
	done
	[[ " $names " != *" mkdir "* ]] || fail "mkdir was never made, but is in the profile"
	assert_eq "$(jq -r '[.syscalls[] | select(.names == ["socket"]) | .args[0].value] | join(" ")' "$T/learned.json")" \
		2 "socket's families (AF_INET)"
	assert_eq "$(jq -c '[.syscalls[] | select(.names == ["clone"]) | .args[0].op]' "$T/learned.json")" \
		'["SCMP_CMP_MASKED_EQ"]' "clone without namespace flags"
	cp "$T/with-profile.json" "$CFG"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "data
done" "the workload under its learned profile"
	set_sh 'mkdir /tmp/d 2>&1; echo "mkdir: $?"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_eq "$output" "mkdir: can't create directory '/tmp/d': Operation not permitted
mkdir: 1" "a call the workload never made"
}

@test "seccomp learn: create, start: the learner writes the profile when the last process ends, and goes" {
	set_sh 'sleep 0.3; echo done'
	create_ok "$ID" --seccomp-learn "$T/learned.json"
	[ ! -e "$T/learned.json" ] || fail "a profile before the container ran"
	moat start "$ID"
	wait_status "$ID" stopped
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$T/learned.json" ] && break
		sleep 0.1
	done
	[ -s "$T/learned.json" ] || fail "no profile after the container stopped"
	jq -e '.syscalls[0].names | index("nanosleep") or index("clock_nanosleep")' "$T/learned.json" >/dev/null ||
		fail "sleep's call is not in the profile: $(jq -c .syscalls[0].names "$T/learned.json")"
	moat delete "$ID"
	assert_nothing_left "$ID"
	# the learner is gone with it
	pgrep -f -- "--seccomp-learn $T/learned.json" >/dev/null && fail "the learner is still running"
	return 0
}

@test "seccomp learn: a create that fails leaves no learner and no profile" {
	set_args '["/nonexistent"]'
	run --separate-stderr moat create --seccomp-learn "$T/learned.json" --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_nothing_left "$ID"
	sleep 0.2
	[ ! -e "$T/learned.json" ] || fail "a profile of a failed create: $(cat "$T/learned.json")"
	pgrep -f -- "--seccomp-learn $T/learned.json" >/dev/null && fail "the learner is still running"
	return 0
}

@test "seccomp learn: --seccomp-learn-merge keeps what an earlier run allowed" {
	set_sh 'mkdir /tmp/a && echo made'
	run --separate-stderr moat run --seccomp-learn "$T/learned.json" --bundle "$BUNDLE" "$ID"
	assert_status 0
	jq -e '.syscalls[0].names | index("mkdir") or index("mkdirat")' "$T/learned.json" >/dev/null ||
		fail "mkdir not learned: $(jq -c .syscalls[0].names "$T/learned.json")"
	set_sh "$_LEARN_WORK"
	run --separate-stderr moat run --seccomp-learn "$T/learned.json" --seccomp-learn-merge --bundle "$BUNDLE" "$ID"
	assert_status 0
	jq -e '.syscalls[0].names | index("mkdir") or index("mkdirat")' "$T/learned.json" >/dev/null ||
		fail "the first run's mkdir is gone after the merge: $(jq -c .syscalls[0].names "$T/learned.json")"
	assert_eq "$(jq -r '[.syscalls[] | select(.names == ["socket"]) | .args[0].value] | join(" ")' "$T/learned.json")" \
		2 "the second run's socket family"
	# both workloads run under the merged profile
	jq --slurpfile p "$T/learned.json" '.linux.seccomp = $p[0]' "$CFG" >"$T/c.json" && cp "$T/c.json" "$CFG"
	set_sh "mkdir /tmp/a && echo made; $_LEARN_WORK"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "made
data
done" "both workloads under the merged profile"
	run --separate-stderr moat run --seccomp-learn-merge --bundle "$BUNDLE" "$ID"
	assert_error "--seccomp-learn-merge: without --seccomp-learn there is no profile to merge with"
	assert_nothing_left "$ID"
}

@test "seccomp learn: an enforce policy refuses a learning run (no protection while it learns)" {
	printf '{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "no-pids-limit", "no-memory-limit"]}}\n' >"$T/policy.json"
	run --separate-stderr moat_bare --policy "$T/policy.json" --root "$ROOT" run --seccomp-learn "$T/learned.json" --bundle "$BUNDLE" "$ID"
	assert_error "[no-seccomp] linux.seccomp: --seccomp-learn: every system call goes on while the profile is learned"
	assert_nothing_left "$ID"
	[ ! -e "$T/learned.json" ] || fail "a profile of a refused run"
}
