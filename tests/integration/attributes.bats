#!/usr/bin/env bats
# sysctl, personality, scheduler, ioPriority, execCPUAffinity, intelRdt, the
# loopback interface of a new network namespace.

load helpers

@test "sysctl: namespaced keys are set inside the container only" {
	local host
	host=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	cfg '.linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "42", "kernel.shmmni": "1234"}'
	set_sh 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" 42 "net sysctl inside"
	assert_eq "${lines[1]}" 1234 "ipc sysctl inside"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$host" "host value unchanged"
}

@test "sysctl: a key that is not namespaced is refused" {
	cfg '.linux.sysctl = {"vm.swappiness": "1"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "\`vm.swappiness\` is not namespaced"
	assert_nothing_left "$ID"
}

@test "sysctl: a net key without a network namespace of its own is refused" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "needs a network namespace"
	assert_nothing_left "$ID"
}

@test "personality: LINUX32 makes uname -m report i686" {
	cfg '.linux.personality = {"domain": "LINUX32"}'
	set_args '["uname", "-m"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" i686
}

@test "scheduler and ioPriority are applied to the process" {
	cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5} | .process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	set_args '["sleep", "30"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	# field 41 of stat is the policy (3 = SCHED_BATCH), field 19 the nice value
	local stat
	stat=$(sed 's/.*) //' "/proc/$pid/stat")
	assert_eq "$(echo "$stat" | cut -d' ' -f39)" 3 "policy"
	assert_eq "$(echo "$stat" | cut -d' ' -f17)" 5 "nice"
	if command -v ionice >/dev/null; then
		assert_contains "$(ionice -p "$pid")" idle "io class"
	fi
}

@test "execCPUAffinity.final is the process's affinity" {
	cfg '.process.execCPUAffinity = {"final": "0"}'
	set_sh 'grep Cpus_allowed_list /proc/self/status'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "Cpus_allowed_list:	0"
}

@test "bad scheduler and personality values are refused naming the field" {
	cfg '.process.scheduler = {"policy": "SCHED_FAST"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "process.scheduler.policy: unknown policy"
	cfg 'del(.process.scheduler) | .linux.personality = {"domain": "SOLARIS"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.personality.domain"
	cfg 'del(.linux.personality) | .process.ioPriority = {"class": "IOPRIO_CLASS_FAST"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "process.ioPriority.class"
	assert_nothing_left "$ID"
}

@test "intelRdt is refused clearly" {
	cfg '.linux.intelRdt = {"closID": "x"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.intelRdt"
	assert_nothing_left "$ID"
}

@test "sysctl: allowed in a network namespace joined by path, refused in the host's" {
	# a network namespace of its own, held by a created container
	cp -a "$BUNDLE" "$T/holder"
	jq '.process.args = ["sleep", "100"]' "$T/holder/config.json" >"$T/h.json" && mv "$T/h.json" "$T/holder/config.json"
	moat create --bundle "$T/holder" "$ID-holder"
	record_pid "$ID-holder"
	local hp
	hp=$(pid_of "$ID-holder")
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: $p} | .linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "77"}' --arg p "/proc/$hp/ns/net"
	set_args '["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" 77
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: "/proc/self/ns/net"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "is the host's"
	assert_nothing_left "$ID"
}

# programs expect localhost to work in a network namespace of their own
# (runc and crun bring lo up); one joined by path is left as it is
@test "network: lo is up in a new network namespace, untouched in a joined one" {
	set_args '["cat", "/sys/class/net/lo/flags"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	[ $(("$output" & 1)) -eq 1 ] || fail "lo is down in the container's new network namespace (flags $output)"
	assert_nothing_left "$ID"
	# a namespace whose lo is down, held by a process of the test's
	unshare --net sleep 100 &
	local holder=$!
	sleep 0.2
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: $p}' --arg p "/proc/$holder/ns/net"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	assert_status 0
	[ $(("$output" & 1)) -eq 0 ] || fail "moat brought lo up in a network namespace it joined (flags $output)"
	assert_nothing_left "$ID"
}
