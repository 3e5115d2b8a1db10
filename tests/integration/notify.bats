#!/usr/bin/env bats
# sd_notify through the container (NOTIFY_SOCKET) and socket activation
# (LISTEN_FDS), as a service manager uses them: a manager's socket is
# played by tests/lib/notify-manager.py (each message it gets becomes a
# line of a file, its newlines shown as |); the container sends with
# tests/lib/sd-notify.c.

load helpers

setup_file() {
	export SD_NOTIFY=$BATS_FILE_TMPDIR/sd-notify
	gcc -static -O2 -Wall -o "$SD_NOTIFY" "$BATS_TEST_DIRNAME/../lib/sd-notify.c" \
		>"$BATS_FILE_TMPDIR/gcc.log" 2>&1 || rm -f "$SD_NOTIFY"
}

setup() {
	common_setup
	[ -x "$SD_NOTIFY" ] ||
		skip "gcc -static cannot build tests/lib/sd-notify.c (is libc.a installed?): $(head -3 "$BATS_FILE_TMPDIR/gcc.log")"
	cp "$SD_NOTIFY" "$ROOTFS/bin/sd-notify"
	MANAGER=$T/manager.sock
	HEARD=$T/heard
	start_notify_manager "$MANAGER" "$HEARD"
}

# the lines the manager heard, waiting up to a second for N of them
_heard() {
	local n=$1 i
	for ((i = 0; i < 20; i++)); do
		[ "$(wc -l <"$HEARD")" -ge "$n" ] && break
		sleep 0.05
	done
	cat "$HEARD"
}

@test "notify: run -d returns once the container says READY=1; the manager hears READY=1 and the init's pid, nothing else" {
	set_sh 'sleep 0.5; /bin/sd-notify STATUS=starting; echo $NOTIFY_SOCKET >/tmp/var; touch /tmp/ready; /bin/sd-notify READY=1; exec sleep 100'
	NOTIFY_SOCKET=$MANAGER run --separate-stderr moat run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	local pid
	pid=$(pid_of "$ID")
	# it returned after the container's READY=1, not before
	run --separate-stderr moat exec "$ID" sh -c 'cat /tmp/var; test -e /tmp/ready && echo ready'
	assert_eq "${lines[0]}" /run/notify/notify.sock "NOTIFY_SOCKET in the container"
	assert_eq "${lines[1]}" ready "the container had said READY=1 when run -d returned"
	assert_eq "$(_heard 1)" "READY=1|MAINPID=$pid|" "what the manager heard"
	# the socket's directory, read-only, is all the container sees of the state
	run --separate-stderr moat exec "$ID" sh -c 'ls -A /run/notify; grep " /run/notify " /proc/self/mountinfo; touch /run/notify/x'
	assert_eq "${lines[0]}" notify.sock "/run/notify"
	assert_contains "${lines[1]}" " ro,nosuid,nodev,noexec" "the mount's flags"
	assert_contains "$stderr" "Read-only file system" "a write in /run/notify"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "notify: create then start; start waits for READY=1 without locking the container" {
	set_sh 'sleep 1.5; /bin/sd-notify READY=1; exec sleep 100'
	NOTIFY_SOCKET=$MANAGER run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	local pid
	pid=$(pid_of "$ID")
	# start uses create's manager when it is given none
	"$MOAT" --root "$ROOT" start "$ID" </dev/null >"$T/start.out" 2>&1 &
	local start=$!
	sleep 0.5
	is_alive "$start" || fail "start returned before the container was ready: $(cat "$T/start.out")"
	assert_eq "$(status_of "$ID")" running "state while start waits"
	wait "$start" || fail "start failed: $(cat "$T/start.out")"
	assert_eq "$(_heard 1)" "READY=1|MAINPID=$pid|" "what the manager heard"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "notify: run in the foreground relays READY=1 and still gives the process's status; a user namespace's process may send" {
	set_sh '/bin/sd-notify READY=1 && exit 3'
	cfg '.process.user.uid = 1000 | .linux.namespaces += [{"type": "user"}]
	  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$ROOTFS"
	# the user namespace's root walks to the rootfs
	local d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	NOTIFY_SOCKET=$MANAGER run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 3
	assert_eq "$stderr" "" "stderr"
	assert_contains "$(_heard 1)" "READY=1|MAINPID=" "what the manager heard"
	assert_nothing_left "$ID"
}

@test "notify: a container that ends without READY=1 does not keep run -d waiting" {
	set_sh 'sleep 0.3'
	NOTIFY_SOCKET=$MANAGER run --separate-stderr moat run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(status_of "$ID")" stopped "status"
	assert_eq "$(cat "$HEARD")" "" "what the manager heard"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "notify: a NOTIFY_SOCKET moat cannot send to is refused before anything is made" {
	NOTIFY_SOCKET=relative/path run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "NOTIFY_SOCKET: \`relative/path\` is not an absolute socket path or an abstract @name"
	assert_nothing_left "$ID"
}

@test "socket activation: LISTEN_FDS of moat's own pid are passed on as fds 3 and up, before --preserve-fds" {
	set_sh 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3; cat <&4'
	echo listening >"$T/fd3"
	echo preserved >"$T/fd4"
	# sh execs moat: LISTEN_PID is moat's pid, as a manager sets it
	run --separate-stderr sh -c 'a=$1 b=$2; shift 2; LISTEN_FDS=1 LISTEN_PID=$$ exec "$@" 3<"$a" 4<"$b"' sh "$T/fd3" "$T/fd4" \
		"$MOAT" --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" --root "$ROOT" \
		run --preserve-fds 1 --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" "1 1" "LISTEN_FDS and LISTEN_PID in the container"
	assert_eq "${lines[1]}" listening "fd 3"
	assert_eq "${lines[2]}" preserved "fd 4"
	# another process's LISTEN_FDS is not moat's to pass on
	set_sh 'echo "[$LISTEN_FDS]"; test -e /proc/self/fd/3 && echo fd3; true'
	run --separate-stderr sh -c 'a=$1; shift; LISTEN_FDS=1 LISTEN_PID=1 exec "$@" 3<"$a"' sh "$T/fd3" \
		"$MOAT" --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" --root "$ROOT" \
		run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[]" "the container's view"
	assert_nothing_left "$ID"
}
