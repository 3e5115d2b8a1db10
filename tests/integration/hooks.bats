#!/usr/bin/env bats
# OCI hooks: order, namespaces, the state on stdin, failures, timeouts.

load helpers

# a host hook that appends "<name> <status> <pid> <net ns>" to $T/hooks.log
_host_hook() {
	cat >"$T/hook.sh" <<-'EOS'
	#!/bin/sh
	state=$(cat)
	status=$(echo "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
	pid=$(echo "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	echo "$1 $status $pid $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)" >>"$2"
	EOS
	chmod +x "$T/hook.sh"
}

_hook() { # kind name [extra json]
	cfg ".hooks.$1 += [{\"path\": \"$T/hook.sh\", \"args\": [\"hook.sh\", \"$2\", \"$T/hooks.log\"]${3:-}}]"
}

@test "hooks: every kind runs once, in lifecycle order, with the state on stdin" {
	_host_hook
	bind_out
	# startContainer runs inside the container (after pivot_root)
	printf '#!/bin/sh\necho "startContainer $(cat | grep -o "\\"status\\":\\"[a-z]*\\"")" >>/out/start.log\n' >"$ROOTFS/bin/starthook"
	chmod +x "$ROOTFS/bin/starthook"
	cfg '.hooks.startContainer = [{"path": "/bin/starthook"}]'
	_hook prestart prestart
	_hook createRuntime createRuntime
	_hook createContainer createContainer
	_hook poststart poststart
	_hook poststop poststop
	set_args '["sleep", "30"]'
	create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	moat start "$ID"
	wait_file "$OUT/start.log"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	local names
	names=$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')
	assert_eq "$names" "prestart createRuntime createContainer poststart poststop " "hook order"
	# the state they received names the container's pid
	assert_eq "$(awk '$1 == "createRuntime" { print $3 }' "$T/hooks.log")" "$pid" "pid in createRuntime's state"
	assert_eq "$(awk '$1 == "createRuntime" { print $2 }' "$T/hooks.log")" "creating" "status for createRuntime"
	assert_eq "$(awk '$1 == "poststart" { print $2 }' "$T/hooks.log")" "running" "status for poststart"
	assert_eq "$(awk '$1 == "poststop" { print $2 }' "$T/hooks.log")" "stopped" "status for poststop"
	# createRuntime: runtime namespaces; createContainer: the container's
	local host_net
	host_net=$(readlink /proc/self/ns/net)
	assert_eq "$(awk '$1 == "createRuntime" { print $4 }' "$T/hooks.log")" "$host_net" "createRuntime net ns"
	assert_ne "$(awk '$1 == "createContainer" { print $4 }' "$T/hooks.log")" "$host_net" "createContainer net ns"
	assert_ne "$(awk '$1 == "createContainer" { print $5 }' "$T/hooks.log")" "$(readlink /proc/self/ns/mnt)" "createContainer mnt ns"
	assert_contains "$(cat "$OUT/start.log")" '"status":"created"' "startContainer state"
	assert_nothing_left "$ID"
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	cat >"$T/fail.sh" <<-'EOS'
	#!/bin/sh
	exit 3
	EOS
	chmod +x "$T/fail.sh"
	cfg '.hooks.createRuntime = [{"path": $p}]' --arg p "$T/fail.sh"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error 'hooks.createRuntime[0]'
	assert_contains "$stderr" "exited with status 3"
	assert_nothing_left "$ID"
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	cfg '.hooks.createContainer = [{"path": "/bin/false"}]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error 'hooks.createContainer[0]'
	assert_nothing_left "$ID"
}

@test "hooks: a hook over its timeout is killed and fails create" {
	cfg '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "20"], "timeout": 1}]'
	local t0=$SECONDS
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "timed out after 1 s"
	[ $((SECONDS - t0)) -lt 10 ] || fail "create took $((SECONDS - t0)) s"
	assert_nothing_left "$ID"
}

@test "hooks: failing poststart and poststop hooks are warnings, the others and the lifecycle go on" {
	# each kind: a failing hook, one that records it ran, another failing one
	cfg 'def kind(k): [{"path": "/bin/false"}, {"path": "/bin/sh", "args": ["sh", "-c", ("echo ran >>" + $t + "/" + k)]}, {"path": "/bin/false"}];
	  .hooks.poststart = kind("poststart") | .hooks.poststop = kind("poststop")' --arg t "$T"
	set_args '["sleep", "30"]'
	create_ok "$ID"
	run --separate-stderr moat start "$ID"
	assert_status 0
	assert_contains "$stderr" 'hooks.poststart[0]'
	assert_contains "$stderr" 'hooks.poststart[2]'
	assert_eq "$(cat "$T/poststart")" ran "the poststart hook after a failing one"
	assert_eq "$(status_of "$ID")" running
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_contains "$stderr" 'hooks.poststop[0]'
	assert_contains "$stderr" 'hooks.poststop[2]'
	assert_eq "$(cat "$T/poststop")" ran "the poststop hook after a failing one"
	assert_nothing_left "$ID"
}

@test "hooks: env and args reach the hook" {
	cat >"$T/env.sh" <<-'EOS'
	#!/bin/sh
	echo "$1 $HOOKVAR" >"$2"
	EOS
	chmod +x "$T/env.sh"
	cfg '.hooks.createRuntime = [{"path": $p, "args": ["custom-argv0", "first", $o], "env": ["HOOKVAR=value"]}]' --arg p "$T/env.sh" --arg o "$T/env.out"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	# (a script sees its own path as $0 whatever argv[0] is)
	assert_eq "$(cat "$T/env.out")" "first value"
}
