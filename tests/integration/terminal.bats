#!/usr/bin/env bats
# process.terminal: --console-socket and a foreground run with a pty.

load helpers

_terminal() {
	[ -x "$RECVTTY" ] || fail "tests/lib/recvtty is not built (make check builds it)"
	cfg '.process.terminal = true'
}

# start the console-socket receiver; its output goes to $T/tty.out
_recv() {
	SOCK=$T/console.sock
	start_recvtty "$SOCK" "$T/tty.out" "$T/tty.err"
}

@test "terminal: --console-socket receives exactly one master fd before create returns" {
	_terminal
	cfg '.process.consoleSize = {"height": 33, "width": 101}'
	set_sh 'tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty; ls -l /dev/console | cut -c1; echo END'
	_recv
	# create returns only after the master was sent: recvtty has it already
	moat create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" >"$T/create.out" 2>"$T/create.err" </dev/null
	[ "$?" -eq 0 ] || fail "create failed: $(cat "$T/create.err")"
	record_pid "$ID"
	[ -s "$T/create.out" ] && fail "create printed: $(cat "$T/create.out")"
	wait_file "$T/tty.out"
	assert_contains "$(cat "$T/tty.out")" "payload: /dev/pts/"
	moat start "$ID"
	wait_status "$ID" stopped
	wait "$RECV_PID"
	local out
	out=$(tr -d '\r' <"$T/tty.out")
	assert_contains "$out" "/dev/pts/0" "tty inside"
	assert_contains "$out" "33 101" "consoleSize"
	assert_contains "$out" "stdio-is-tty"
	assert_contains "$out" $'\nc\n' "/dev/console is a character device"
	assert_contains "$out" "END"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "terminal: the process has the pty as its controlling terminal" {
	_terminal
	# field 7 of stat is the controlling tty: 136:0 is /dev/pts/0
	set_sh 'echo "ctty=$(cut -d" " -f7 /proc/1/stat)"; echo END'
	_recv
	moat run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" >/dev/null 2>"$T/err" </dev/null ||
		fail "run -d failed: $(cat "$T/err")"
	record_pid "$ID"
	wait_status "$ID" stopped
	wait "$RECV_PID"
	assert_contains "$(tr -d '\r' <"$T/tty.out")" "ctty=$((136 << 8))"
}

@test "terminal: foreground run without a console socket proxies the pty" {
	_terminal
	set_sh 'tty; echo hello-from-pty; exit 7'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 7
	assert_contains "$output" "/dev/pts/0"
	assert_contains "$output" "hello-from-pty"
	assert_nothing_left "$ID"
}

@test "terminal: a detached terminal without --console-socket is refused" {
	_terminal
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "needs --console-socket"
	assert_nothing_left "$ID"
}

@test "terminal: --console-socket without process.terminal is refused" {
	run --separate-stderr moat create --console-socket "$T/none.sock" --bundle "$BUNDLE" "$ID"
	assert_error "process.terminal is false"
	assert_nothing_left "$ID"
}

@test "terminal: an unreachable console socket fails create and leaves nothing" {
	_terminal
	run --separate-stderr moat create --console-socket "$T/missing.sock" --bundle "$BUNDLE" "$ID"
	assert_error "--console-socket: connect"
	assert_nothing_left "$ID"
}

# In a pid namespace joined by path the init is a sibling made after the
# setup (with or without procfs pidns=): the process that execs is the
# session leader with the pty.
@test "terminal: in a joined pid namespace the process has the pty as its controlling terminal" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID-holder"
	local holder
	holder=$(pid_of "$ID-holder")
	_terminal
	cfg '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p}' --arg p "/proc/$holder/ns/pid"
	set_sh 'echo "ctty=$(cut -d" " -f7 /proc/$$/stat) sid=$(cut -d" " -f6 /proc/$$/stat) pid=$$"; echo END'
	local fault
	for fault in none proc-pidns; do
		_recv
		MOAT_FAULT=$fault moat run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID-$fault" >/dev/null 2>"$T/err" </dev/null ||
			fail "run -d ($fault) failed: $(cat "$T/err")"
		record_pid "$ID-$fault"
		wait_status "$ID-$fault" stopped
		wait "$RECV_PID"
		local line
		line=$(tr -d '\r' <"$T/tty.out" | grep '^ctty=')
		assert_contains "$line" "ctty=$((136 << 8))" "controlling terminal ($fault)"
		[[ $line =~ sid=([0-9]+)\ pid=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
			fail "the process is not its session's leader ($fault): $line"
		rm -f "$T/tty.out" "$SOCK"
	done
}
