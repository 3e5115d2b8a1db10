#!/usr/bin/env bats
# linux.resources on the unified hierarchy: every limit moat accepts is
# written where the kernel applies it, or the create fails naming it and
# leaves nothing behind.  Which controllers the hierarchy has depends on
# the host (a hybrid host keeps most of them on v1): each test says which
# one it needs, and the VM lane runs the same checks with all of them.

load helpers

# true when the unified hierarchy offers controller $1
_has() {
	grep -qw "$1" "$CGROOT/cgroup.controllers"
}

# $1: a controller the test needs; skip with the reason when absent
_need() {
	_has "$1" || skip "the $1 controller is not in this host's cgroup v2 hierarchy"
}

@test "resources: hugepage limits are written to hugetlb.<size>.max" {
	_need hugetlb
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages on this host"
	cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	set_args '["sleep", "30"]'
	run_d_ok "$ID"
	assert_eq "$(cat "$CGROOT/moat/$ID/hugetlb.2MB.max")" 4194304 "hugetlb.2MB.max"
	moat delete -f "$ID"
	assert_nothing_left "$ID"
}

@test "resources: unified keys are written as given" {
	_need hugetlb
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages on this host"
	cfg '.linux.resources.unified = {"hugetlb.2MB.max": "2097152", "cgroup.max.depth": "3"}'
	set_args '["sleep", "30"]'
	run_d_ok "$ID"
	assert_eq "$(cat "$CGROOT/moat/$ID/hugetlb.2MB.max")" 2097152 "hugetlb.2MB.max"
	assert_eq "$(cat "$CGROOT/moat/$ID/cgroup.max.depth")" 3 "cgroup.max.depth"
	moat delete -f "$ID"
}

@test "resources: a limit whose controller is missing fails the create, naming it" {
	local c
	for c in memory pids cpu; do
		_has "$c" || break
	done
	_has "$c" && skip "every controller this test could miss is in the hierarchy (the VM lane tests them)"
	case $c in
	memory) cfg '.linux.resources.memory = {"limit": 67108864}'; field=memory.limit ;;
	pids) cfg '.linux.resources.pids = {"limit": 20}'; field=pids.limit ;;
	cpu) cfg '.linux.resources.cpu = {"shares": 512}'; field=cpu.shares ;;
	esac
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "linux.resources.$field"
	assert_contains "$stderr" "the $c controller is not in this host's cgroup v2 hierarchy"
	assert_nothing_left "$ID"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "cgroup left"
}

@test "resources: limits without a cgroup are refused" {
	cfg '.linux.resources.pids = {"limit": 20}'
	run --separate-stderr moat --cgroup-manager disabled run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "no cgroup to apply them (--cgroup-manager disabled)"
	assert_nothing_left "$ID"
}

@test "resources: what v2 cannot do is refused, not dropped" {
	local cfgs=(
		'.linux.resources.memory = {"swappiness": 10}|memory.swappiness'
		'.linux.resources.memory = {"disableOOMKiller": true}|memory.disableOOMKiller'
		'.linux.resources.cpu = {"realtimeRuntime": 1000}|cpu.realtimeRuntime'
		'.linux.resources.unified = {"cgroup.procs": "1"}|unified'
		'.linux.resources.unified = {"../hugetlb.2MB.max": "1"}|unified'
		'.linux.resources.unified = {"nosuch.file": "1"}|nosuch'
		'.linux.resources.memory = {"limit": "64m"}|memory.limit'
		'.linux.resources.nosuch = {}|unknown member'
	)
	local one
	for one in "${cfgs[@]}"; do
		cfg "del(.linux.resources.memory, .linux.resources.cpu, .linux.resources.unified, .linux.resources.nosuch) | ${one%|*}"
		run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
		[ "$status" = 1 ] || fail "${one%|*}: status $status, stderr: $stderr"
		assert_contains "$stderr" "${one#*|}" "error for ${one%|*}"
		assert_nothing_left "$ID"
	done
}

@test "update: limits on the unified hierarchy, refusals named, nothing half-done" {
	set_args '["sleep", "60"]'
	run_d_ok "$ID"
	if _has hugetlb && [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
		run --separate-stderr moat update -r - "$ID" <<<'{"hugepageLimits": [{"pageSize": "2MB", "limit": 6291456}]}'
		assert_status 0
		assert_eq "$(cat "$CGROOT/moat/$ID/hugetlb.2MB.max")" 6291456 "hugetlb.2MB.max after update"
	fi
	if _has memory && _has cpu; then
		# all or nothing: memory.max is written before the cpu.max the
		# kernel refuses (a quota below its 1 ms minimum), and put back
		local before
		run --separate-stderr moat update --memory 64m "$ID"
		assert_status 0
		before=$(cat "$CGROOT/moat/$ID/memory.max")
		assert_eq "$before" 67108864 "memory.max after update --memory 64m"
		run --separate-stderr moat update --memory 50m --cpu-quota 100 "$ID"
		assert_status 1
		assert_contains "$stderr" "linux.resources.cpu.quota"
		assert_eq "$(cat "$CGROOT/moat/$ID/memory.max")" "$before" "memory.max after a half-refused update"
	fi
	local c flag
	for c in memory pids; do
		_has "$c" && continue
		case $c in memory) flag="--memory 64m" ;; pids) flag="--pids-limit 20" ;; esac
		run --separate-stderr moat update $flag "$ID"
		assert_status 1
		assert_contains "$stderr" "the $c controller is not in this host's cgroup v2 hierarchy"
	done
	# the device rules cannot change; the container's own are accepted back
	run --separate-stderr moat update -r - "$ID" <<<'{"devices": [{"allow": true, "access": "rwm"}]}'
	assert_status 1
	assert_contains "$stderr" "device rules of a container cannot be changed"
	jq -c '{devices: .linux.resources.devices}' "$CFG" >"$T/same.json"
	run --separate-stderr moat update -r "$T/same.json" "$ID"
	assert_status 0
	# bad input
	run --separate-stderr moat update --memory 12x "$ID"
	assert_status 1
	assert_contains "$stderr" "--memory \`12x\`: not a size"
	run --separate-stderr moat update -r - "$ID" <<<'{"memory": {"limitt": 1}}'
	assert_status 1
	assert_contains "$stderr" "resources.memory.limitt: unknown member"
	run --separate-stderr moat update --kernel-memory 1m "$ID"
	assert_status 0
	assert_contains "$stderr" "--kernel-memory: the kernel no longer limits kernel memory apart"
	run --separate-stderr moat update --l3-cache-schema L3:0=f "$ID"
	assert_status 1
	assert_contains "$stderr" "Intel RDT is not supported"
	run --separate-stderr moat update --pids-limit 5 nosuch
	assert_status 1
	assert_contains "$stderr" "nosuch"
	moat delete -f "$ID"
	run --separate-stderr moat update --pids-limit 5 "$ID"
	assert_status 1
	assert_nothing_left "$ID"
}

@test "events: --stats on the unified hierarchy, bad intervals and stopped containers refused" {
	set_args '["sleep", "60"]'
	run_d_ok "$ID"
	run --separate-stderr moat events --stats "$ID"
	assert_status 0
	assert_eq "$(jq -r '.type + " " + .id' <<<"$output")" "stats $ID" "event"
	assert_eq "$(jq '.data.cpu.usage.total > 0' <<<"$output")" true "cpu usage from cpu.stat: $output"
	run --separate-stderr moat events --interval 0 "$ID"
	assert_status 1
	assert_contains "$stderr" "--interval \`0\`: not a duration"
	# the stream ends when the container stops
	(sleep 1.5; "$MOAT" --root "$ROOT" kill "$ID" KILL) &
	run --separate-stderr timeout 10 "$MOAT" --root "$ROOT" events --interval 500ms "$ID"
	assert_status 0
	[ "$(grep -c '"type":"stats"' <<<"$output")" -ge 2 ] || fail "stats: $output"
	run --separate-stderr moat events --stats "$ID"
	assert_status 1
	assert_contains "$stderr" "is stopped"
	moat delete "$ID"
	assert_nothing_left "$ID"
}

# a threaded controller (pids) enabled in a cgroup with processes would
# make it threaded: no container could live below it any more
@test "resources: a parent with processes of its own is refused, and left as it was" {
	_has hugetlb || skip "the hugetlb controller is not in this host's cgroup v2 hierarchy"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages on this host"
	local p=$CGROOT/$ID-busy
	mkdir "$p"
	sleep 1000 &
	local holder=$!
	echo "$holder" >"$p/cgroup.procs"
	on_teardown "kill -9 $holder; sleep 0.2; rmdir '$p/c' '$p' 2>/dev/null"
	local before
	before=$(cat "$p/cgroup.subtree_control")
	cfg '.linux.cgroupsPath = $c | .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]' --arg c "/$ID-busy/c"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "has processes of its own"
	assert_contains "$stderr" "linux.resources.hugepageLimits"
	assert_eq "$(cat "$p/cgroup.subtree_control")" "$before" "the parent's subtree_control"
	[ ! -e "$p/c" ] || fail "cgroup $p/c left"
	assert_nothing_left "$ID" "$ID-busy/c"
}

@test "resources: a cgroup mount without a cgroup of the container's own is refused to the host's root" {
	cfg '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}]'
	run --separate-stderr moat --cgroup-manager disabled run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "the container has no cgroup of its own (--cgroup-manager disabled)"
	assert_nothing_left "$ID"
}
