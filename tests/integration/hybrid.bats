#!/usr/bin/env bats
# The hybrid cgroup driver: on a host whose controllers are on cgroup v1
# hierarchies beside a unified one (/sys/fs/cgroup/unified), limits go to
# the v1 hierarchies and hold; the container's processes are in every
# hierarchy; nothing is left in any of them.  The suite runs with cgroup2
# mounted over the host's /sys/fs/cgroup: here every moat command, and
# every look at the host, runs in a mount namespace where that mount is
# gone again (hv).

load helpers

setup() {
	common_setup
	need_host_layout
	# every moat command of this file sees the host's layout
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$HV" "$MOAT" >"$T/.moat-hv"
	chmod +x "$T/.moat-hv"
	MOAT_V2_VIEW=$MOAT
	MOAT=$T/.moat-hv
}

# hcat FILE...: a file of the host's own cgroup layout
hcat() {
	"$HV" cat "$@"
}

# _gone ID: no cgroup of ID in any hierarchy
_gone() {
	local left
	left=$("$HV" sh -c 'ls -d /sys/fs/cgroup/*/moat/"$0" 2>/dev/null || true' "$1")
	[ -z "$left" ] || fail "cgroups left: $left"
	assert_nothing_left "$1"
}

@test "hybrid: limits are in the v1 hierarchies and the init is in every one" {
	cfg '.linux.resources.memory = {"limit": 67108864, "swap": 67108864}
		| .linux.resources.pids = {"limit": 20}
		| .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
	set_args '["sleep", "60"]'
	run_d_ok "$ID"
	local cg=/sys/fs/cgroup pid
	pid=$(pid_of "$ID")
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 67108864 memory.limit_in_bytes
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.memsw.limit_in_bytes 2>/dev/null || echo 67108864)" \
		67108864 memory.memsw.limit_in_bytes
	assert_eq "$(hcat $cg/pids/moat/$ID/pids.max)" 20 pids.max
	assert_eq "$(hcat $cg/cpu/moat/$ID/cpu.shares)" 512 cpu.shares
	assert_eq "$(hcat $cg/cpu/moat/$ID/cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
	# every hierarchy, v1 and unified, has the init in the container's cgroup
	local line
	while read -r line; do
		case $line in
		*:/moat/"$ID") ;;
		*) fail "init not in its cgroup: $line (all: $(tr '\n' ' ' </proc/$pid/cgroup))" ;;
		esac
	done </proc/"$pid"/cgroup
	# and so is an exec'd process
	moat exec -d "$ID" sleep 60
	local h
	for h in memory pids cpu unified; do
		assert_eq "$(hcat $cg/$h/moat/$ID/cgroup.procs | wc -l)" 2 "processes in $h"
	done
	moat delete -f "$ID"
	_gone "$ID"
}

@test "hybrid: a memory limit holds (OOM-killed, 137)" {
	cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# dd allocates its block: 96 MB
	set_args '["dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 137
	_gone "$ID"
}

@test "hybrid: a pids limit holds" {
	cfg '.linux.resources.pids = {"limit": 10}'
	set_sh 'n=0; while [ $n -lt 30 ]; do sleep 5 & n=$((n + 1)); done; wait'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_contains "$stderr" "can't fork"
	_gone "$ID"
}

@test "hybrid: the systemd cgroup driver is refused, saying why, leaving nothing" {
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	run --separate-stderr moat --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	assert_error "the systemd cgroup driver needs the unified cgroup hierarchy"
	assert_contains "$stderr" "hybrid"
	_gone "$ID"
	# and `features` does not offer it
	assert_eq "$("$MOAT" features | jq -c '[.linux.cgroup.systemd, .linux.cgroup.systemdUser]')" \
		'[false,false]' "features: systemd, systemdUser"
}

@test "hybrid: a refused value fails the create, naming it, leaving nothing" {
	cfg '.linux.resources.cpu = {"cpus": "0-4095"}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "linux.resources.cpu.cpus"
	assert_contains "$stderr" "cpuset.cpus"
	_gone "$ID"
	_gone "$ID"
}

@test "hybrid: create killed after the cgroups are made leaves nothing after delete -f" {
	cfg '.linux.resources.pids = {"limit": 20}'
	run --separate-stderr env MOAT_FAULT=kill:cgroup-apply "$MOAT" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
	[ "$status" != 0 ] || fail "create survived its kill"
	moat delete -f "$ID" || true
	_gone "$ID"
}

@test "hybrid: features says cgroup v1 where the hybrid driver is used, not on a v2 host" {
	run --separate-stderr moat features
	assert_status 0
	assert_eq "$(jq -c '.linux.cgroup | [.v1, .v2, .systemd]' <<<"$output")" '[true,true,false]' \
		"hybrid: v1, v2, systemd"
	run --separate-stderr "$MOAT_V2_VIEW" features
	assert_eq "$(jq -c .linux.cgroup.v1 <<<"$output")" false "cgroup2 at /sys/fs/cgroup"
}

@test "hybrid: update changes the limits in the v1 hierarchies, or nothing" {
	cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 20}'
	set_args '["sleep", "60"]'
	run_d_ok "$ID"
	local cg=/sys/fs/cgroup
	run --separate-stderr moat update --memory 128m --pids-limit 40 --cpu-share 256 \
		--cpu-quota 20000 "$ID"
	assert_status 0
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 134217728 memory.limit_in_bytes
	assert_eq "$(hcat $cg/pids/moat/$ID/pids.max)" 40 pids.max
	assert_eq "$(hcat $cg/cpu/moat/$ID/cpu.shares)" 256 cpu.shares
	assert_eq "$(hcat $cg/cpu/moat/$ID/cpu.cfs_quota_us)" 20000 cpu.cfs_quota_us
	# a resources object, on a paused container
	moat pause "$ID"
	echo '{"pids": {"limit": 30}, "memory": {"limit": 100663296, "swap": 100663296}}' >"$T/r.json"
	run --separate-stderr moat update -r "$T/r.json" "$ID"
	assert_status 0
	assert_eq "$(hcat $cg/pids/moat/$ID/pids.max)" 30 "pids.max from --resources"
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 100663296 "memory from --resources"
	moat resume "$ID"
	# raising memory and memory+swap together (memsw must go first)
	run --separate-stderr moat update --memory 200m --memory-swap 200m "$ID"
	assert_status 0
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 209715200 "memory raised"
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.memsw.limit_in_bytes)" 209715200 "memsw raised"
	run --separate-stderr moat update --memory 100663296 --memory-swap 100663296 "$ID"
	assert_status 0
	# a limit below what is in use, with checkBeforeUpdate: refused, nothing changed
	run --separate-stderr moat update -r - "$ID" <<<'{"memory": {"limit": 4096, "checkBeforeUpdate": true}}'
	assert_status 1
	assert_contains "$stderr" "bytes in use"
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 100663296 "memory after a refused update"
	# all or nothing: the memory limit is written before the cpu quota the
	# kernel refuses (below its 1 ms minimum), and is put back
	local quota
	quota=$(hcat $cg/cpu/moat/$ID/cpu.cfs_quota_us)
	run --separate-stderr moat update --memory 50m --cpu-quota 100 "$ID"
	assert_status 1
	assert_contains "$stderr" "linux.resources.cpu.quota: write \`100\`"
	assert_eq "$(hcat $cg/memory/moat/$ID/memory.limit_in_bytes)" 100663296 "memory after a half-refused update"
	assert_eq "$(hcat $cg/cpu/moat/$ID/cpu.cfs_quota_us)" "$quota" "cpu quota after a half-refused update"
	moat delete -f "$ID"
	_gone "$ID"
}

# what a program in the container reads to learn its limits (a JVM reads
# memory/memory.limit_in_bytes on such a host): the container's own cgroup
# in each hierarchy, and no other container's
@test "hybrid: a cgroup mount shows each hierarchy with the container's limits, no neighbour" {
	"$HV" mkdir -p /sys/fs/cgroup/memory/moat/"$ID"-neighbour
	on_teardown "'$HV' rmdir /sys/fs/cgroup/memory/moat/$ID-neighbour"
	cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 25}
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		+ [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}]'
	set_sh 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max;
		grep -qx 1 /sys/fs/cgroup/memory/cgroup.procs && echo init-is-here;
		ls /sys/fs/cgroup; ls -R /sys/fs/cgroup/memory | grep -c neighbour;
		test -e /sys/fs/cgroup/unified/cgroup.procs && echo unified;
		touch /sys/fs/cgroup/x 2>/dev/null || echo read-only'
	local with
	for with in cgroupns no-cgroupns userns; do
		case $with in
		no-cgroupns) cfg 'del(.linux.namespaces[] | select(.type == "cgroup"))' ;;
		userns)
			cfg '.linux.namespaces += [{"type": "cgroup"}] | .linux.namespaces += [{"type": "user"}]
				| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
				| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
			local d=$BUNDLE
			while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
			;;
		esac
		run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
		assert_status 0
		assert_eq "$(sed -n 1,2p <<<"$output" | tr '\n' ' ')" "67108864 25 " "limits seen ($with)"
		assert_contains "$output" "init-is-here" "the container's own cgroup ($with)"
		assert_contains "$output" "memory"
		assert_contains "$output" "pids"
		assert_contains "$output" "unified"
		assert_contains "$output" "read-only"
		assert_eq "$(grep -x 0 <<<"$output")" 0 "no neighbour visible ($with)"
		_gone "$ID"
	done
}

@test "hybrid: events --stats reports the v1 figures; events reports an OOM kill" {
	cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .linux.resources.pids = {"limit": 25}'
	# one process the OOM killer takes, the init stays
	set_sh 'sleep 2; dd if=/dev/zero of=/dev/null bs=96M count=1; sleep 60'
	run_d_ok "$ID"
	run --separate-stderr moat events --stats "$ID"
	assert_status 0
	assert_eq "$(jq -r '.type + " " + .id' <<<"$output")" "stats $ID" "event"
	assert_eq "$(jq '.data.memory.usage.limit' <<<"$output")" 33554432 "memory limit"
	assert_eq "$(jq '.data.pids.limit' <<<"$output")" 25 "pids limit"
	assert_eq "$(jq '.data.pids.current >= 1 and .data.cpu.usage.total > 0 and (.data.memory.raw | length) > 5' <<<"$output")" true \
		"pids, cpu and memory.stat figures: $output"
	# the stream: stats at once, then the oom event within a few seconds
	timeout 8 "$MOAT" --root "$ROOT" events --interval 1s "$ID" >"$T/events" 2>"$T/events.err" || true
	grep -q '"type":"oom"' "$T/events" || fail "no oom event: $(cat "$T/events" "$T/events.err" | cut -c1-200)"
	[ "$(grep -c '"type":"stats"' "$T/events")" -ge 3 ] || fail "stats not every second: $(grep -c stats "$T/events")"
	moat delete -f "$ID"
	_gone "$ID"
}

# a container that may write its cgroup mount freezes itself through the
# v1 freezer: state says paused, resume thaws it, and delete -f removes it
# (it stayed, unkillable); an exec into it fails instead of hanging
@test "hybrid: a container frozen through the v1 freezer is paused to moat, resumed, killed and deleted" {
	cfg '.mounts |= map(select(.destination != "/sys/fs/cgroup"))
		+ [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}]'
	set_sh 'sleep 1; echo FROZEN >/sys/fs/cgroup/freezer/freezer.state; sleep 1000'
	run_d_ok "$ID"
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(hcat /sys/fs/cgroup/freezer/moat/$ID/freezer.state)" = FROZEN ] && break
		sleep 0.1
	done
	assert_eq "$(hcat /sys/fs/cgroup/freezer/moat/$ID/freezer.state)" FROZEN "setup: the container froze itself"
	assert_eq "$(status_of "$ID")" paused "status"
	run --separate-stderr timeout 20 "$MOAT" --root "$ROOT" exec "$ID" true
	[ "$status" != 124 ] || fail "exec into a self-frozen container hung"
	assert_status 1
	run --separate-stderr moat resume "$ID"
	assert_status 0
	assert_eq "$(hcat /sys/fs/cgroup/freezer/moat/$ID/freezer.state)" THAWED "after resume"
	"$HV" sh -c "echo FROZEN >/sys/fs/cgroup/freezer/moat/$ID/freezer.state"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	_gone "$ID"
}

# the container makes its cgroup refuse new processes (its own moved to a
# child, a controller enabled for the children): exec fails, it does not
# wait for ever on its own child
@test "hybrid: an exec the container's cgroup refuses fails instead of hanging" {
	grep -qw hugetlb "$CGROOT/cgroup.controllers" || skip "no hugetlb controller in the unified hierarchy"
	cfg '.mounts |= map(select(.destination != "/sys/fs/cgroup"))
		+ [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw"]}]
		| .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
	bind_out
	set_sh 'u=/sys/fs/cgroup/unified; mkdir $u/sub; for p in $(cat $u/cgroup.procs); do echo $p >$u/sub/cgroup.procs; done
		echo +hugetlb >$u/cgroup.subtree_control && echo ok >/out/refusing; sleep 1000'
	run_d_ok "$ID"
	wait_file "$OUT/refusing"
	run --separate-stderr timeout 30 "$MOAT" --root "$ROOT" exec "$ID" true
	[ "$status" != 124 ] || fail "exec hung"
	assert_status 1
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	_gone "$ID"
}

# a parent the unified hierarchy has and the v1 ones do not (made by
# something else): create makes it in the v1 hierarchies, and delete
# removes it there, leaving the unified one, which it did not make
@test "hybrid: parents create made only in the v1 hierarchies go at delete, also after a kill" {
	local top=moat-it-v1only-$ID
	"$HV" mkdir /sys/fs/cgroup/unified/$top
	on_teardown "'$HV' sh -c 'rmdir /sys/fs/cgroup/*/$top/a/c1 /sys/fs/cgroup/*/$top/a /sys/fs/cgroup/*/$top 2>/dev/null'"
	cfg '.linux.cgroupsPath = $p' --arg p "/$top/a/c1"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	"$HV" test -d /sys/fs/cgroup/pids/$top/a/c1 || fail "no cgroup in the pids hierarchy"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	local left
	left=$("$HV" sh -c 'ls -d /sys/fs/cgroup/*/'"$top"' 2>/dev/null || true')
	assert_eq "$left" /sys/fs/cgroup/unified/$top "what is left of $top (the unified parent, made before)"
	assert_nothing_left "$ID" "$top/a/c1"
	# killed after the cgroups are made: delete -f still knows how far up
	run --separate-stderr env MOAT_FAULT=kill:cgroup-apply "$MOAT" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
	[ "$status" != 0 ] || fail "create survived its kill"
	moat delete -f "$ID" || true
	left=$("$HV" sh -c 'ls -d /sys/fs/cgroup/*/'"$top"' 2>/dev/null || true')
	assert_eq "$left" /sys/fs/cgroup/unified/$top "what is left of $top after a killed create"
}
