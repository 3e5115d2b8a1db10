#!/usr/bin/env bats
# A pure cgroup v2 host, in the VM of the VM lane (tests/vm/lane.sh):
# first that the VM is what the lane promises, then moat's containers in
# it: every limit is written to the file docs/cgroups.md names, and the
# kernel enforces it (an allocation OOM-killed, a fork refused, a process
# throttled, pinned, held to a byte rate or to its huge pages), its files
# read from outside the container; a refused value and a killed create leave
# nothing; runc, given the same config, writes the same files.
# Elsewhere (a hybrid host, where cgroup2 has none of these controllers)
# every test skips, saying why.
#
# Some tests change the VM itself (they load null_blk and bfq, reserve
# huge pages) and undo it at teardown; MOAT_VM=1 says they may.

load helpers

# what the VM enables for the children of the root cgroup, and the tests
# of cgroup limits need
VM_CONTROLLERS="cpuset cpu io memory hugetlb pids"

# the controllers of VM_CONTROLLERS missing from FILE, on one line
_missing_controllers() {
	local c missing=
	for c in $VM_CONTROLLERS; do
		grep -qw "$c" "$1" 2>/dev/null || missing="$missing $c"
	done
	echo "${missing# }"
}

# skip unless this runs in the VM: run-in-vm.sh says so (MOAT_VM=1) and
# the controllers are really there (the first test fails when they are not)
_require_vm() {
	[ "${MOAT_VM:-}" = 1 ] || skip "needs the cgroup v2 VM: run tests/vm/lane.sh"
	local missing
	missing=$(_missing_controllers "$CGROOT/cgroup.subtree_control")
	[ -z "$missing" ] || skip "the VM's root cgroup does not enable: $missing"
}

# _event FILE KEY: the number of the line "KEY N" of a flat-keyed file of
# the container's cgroup (memory.events, pids.events ...), 0 when absent
_event() {
	awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$CG/$1"
}

@test "vm: /sys/fs/cgroup is a pure cgroup v2 hierarchy, every controller enabled; root has every capability" {
	[ "${MOAT_VM:-}" = 1 ] || skip "needs the cgroup v2 VM: run tests/vm/lane.sh"
	assert_eq "$(stat -f -c %T "$CGROOT")" cgroup2fs "filesystem of $CGROOT"
	assert_eq "$(_missing_controllers "$CGROOT/cgroup.controllers")" "" "controllers missing from cgroup.controllers"
	assert_eq "$(_missing_controllers "$CGROOT/cgroup.subtree_control")" "" "controllers missing from cgroup.subtree_control"
	# no cgroup v1 hierarchy anywhere: the kernel was booted so
	assert_contains "$(cat /proc/cmdline)" "cgroup_no_v1=all" "the kernel command line"
	local v1
	v1=$(awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup") print $5 }' /proc/self/mountinfo)
	assert_eq "$v1" "" "cgroup v1 mounts"
	# this shell is in the root cgroup, seen as such
	assert_eq "$(cat /proc/self/cgroup)" "0::/" "/proc/self/cgroup"
	# the hosts withhold CAP_SYS_RESOURCE from root; the VM does not
	# (rlimits above the hard limit, oom_score_adj below the current one)
	local eff bnd
	eff=$(proc_status_field self CapEff)
	bnd=$(proc_status_field self CapBnd)
	assert_eq "$eff" "$bnd" "effective capabilities against the bounding set"
	(((0x$eff >> 24) & 1)) || fail "no CAP_SYS_RESOURCE: CapEff $eff"
}

@test "vm: a container's cgroup, from outside and from inside (namespace and mount)" {
	_require_vm
	bind_out
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}'
	# busybox's stat has no name for cgroup2: its magic number, in hex
	set_sh 'cat /proc/self/cgroup >/out/self
		stat -f -c %t /sys/fs/cgroup >/out/fstype
		cat /sys/fs/cgroup/cgroup.controllers >/out/controllers
		cat /sys/fs/cgroup/cgroup.procs >/out/procs
		echo ready >/out/ready
		exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/ready"
	local pid cg=$CGROOT/moat/$ID
	pid=$(pid_of "$ID")
	# outside: one line, the unified hierarchy's, and nothing else
	assert_eq "$(cat "/proc/$pid/cgroup")" "0::/moat/$ID" "/proc/$pid/cgroup"
	assert_eq "$(cat "$cg/cgroup.procs")" "$pid" "$cg/cgroup.procs"
	grep -qx "populated 1" "$cg/cgroup.events" || fail "$cg/cgroup.events: $(cat "$cg/cgroup.events")"
	# moat's parent may hand every controller down to the container
	assert_eq "$(_missing_controllers "$CGROOT/moat/cgroup.controllers")" "" "controllers missing from $CGROOT/moat"
	# inside: its cgroup is the root of its namespace and of its cgroup2 mount
	assert_eq "$(cat "$OUT/self")" "0::/" "/proc/self/cgroup inside"
	# CGROUP2_SUPER_MAGIC
	assert_eq "$(cat "$OUT/fstype")" 63677270 "filesystem type of /sys/fs/cgroup inside"
	assert_eq "$(cat "$OUT/controllers")" "$(cat "$cg/cgroup.controllers")" "cgroup.controllers inside"
	# its own process (sh, pid 1 in its namespace) and cat
	assert_eq "$(wc -l <"$OUT/procs")" 2 "processes listed inside: $(cat "$OUT/procs")"
	grep -qx 1 "$OUT/procs" || fail "pid 1 not in cgroup.procs inside: $(cat "$OUT/procs")"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: create, start, kill, delete leave nothing under /sys/fs/cgroup" {
	_require_vm
	local before pid cg=$CGROOT/moat/$ID
	before=$(find "$CGROOT" -mindepth 1 -type d | sort)
	set_args '["sleep", "100"]'
	create_ok "$ID"
	pid=$(pid_of "$ID")
	assert_eq "$(status_of "$ID")" created "status"
	# the init waits for start in its cgroup already
	assert_eq "$(cat "$cg/cgroup.procs")" "$pid" "$cg/cgroup.procs after create"
	run --separate-stderr moat start "$ID"
	assert_status 0
	wait_status "$ID" running
	assert_eq "$(cat "$cg/cgroup.procs")" "$pid" "$cg/cgroup.procs after start"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	wait_status "$ID" stopped
	grep -qx "populated 0" "$cg/cgroup.events" || fail "$cg/cgroup.events: $(cat "$cg/cgroup.events")"
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
	assert_eq "$(find "$CGROOT" -mindepth 1 -type d | sort)" "$before" "the cgroups after delete"
}

# ---- each limit: its file, and the kernel holding it ---------------------------

@test "vm: memory.limit is memory.max, and an allocation beyond it is OOM-killed (137)" {
	_require_vm
	CG=$CGROOT/moat/$ID
	cfg '.linux.resources.memory = {"limit": 33554432}'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_cg memory.max 33554432
	assert_eq "$(_event memory.events oom_kill)" 0 "oom_kill in memory.events before"
	# dd allocates its block: 96 MB, three times the limit (no swap in the VM)
	run --separate-stderr moat exec "$ID" dd if=/dev/zero of=/dev/null bs=96M count=1
	assert_status 137
	[ "$(_event memory.events oom_kill)" -ge 1 ] || fail "no oom_kill in memory.events: $(cgv memory.events)"
	# the kill took dd only: the container goes on
	assert_eq "$(status_of "$ID")" running "status after the OOM kill"
	# and well under the limit, the same allocation works
	run --separate-stderr moat exec "$ID" dd if=/dev/zero of=/dev/null bs=8M count=1
	assert_status 0
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
	# the init itself OOM-killed: run ends with its status, and leaves nothing
	set_args '["dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-run"
	assert_status 137
	assert_nothing_left "$ID-run"
}

@test "vm: memory.swap is memory.swap.max (swap minus limit), reservation memory.low, unified memory.high as given" {
	_require_vm
	CG=$CGROOT/moat/$ID
	# OCI swap counts memory plus swap: 96 MB of it over a 64 MB limit is 32 MB of swap
	cfg '.linux.resources.memory = {"limit": 67108864, "swap": 100663296, "reservation": 16777216}
		| .linux.resources.unified = {"memory.high": "50331648"}'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_cg memory.max 67108864
	assert_cg memory.swap.max 33554432
	assert_cg memory.low 16777216
	assert_cg memory.high 50331648
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: pids.limit is pids.max, and forks beyond it fail" {
	_require_vm
	CG=$CGROOT/moat/$ID
	bind_out
	cfg '.linux.resources.pids = {"limit": 8}'
	# a subshell forks sleeps until a fork fails (busybox sh then ends it,
	# status 2): 8 processes, of which the init and the subshell are two,
	# leave room for 6.  Bounded, should the limit not hold.
	set_sh '(i=0; while [ $i -lt 30 ]; do sleep 100 & i=$((i + 1)); echo $i >/out/n; done)
		echo $? >/out/rc
		exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/rc" 20
	assert_cg pids.max 8
	assert_eq "$(cat "$OUT/n")" 6 "sleeps started before a fork failed"
	assert_ne "$(cat "$OUT/rc")" 0 "status of the forking subshell"
	[ "$(_event pids.events max)" -ge 1 ] || fail "no fork refused in pids.events: $(cgv pids.events)"
	# the init (now sleep) and the six sleeps
	assert_eq "$(cgv pids.current)" 7 "pids.current"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: the config moat spec writes has limits here, no policy finding, and pids.max holds" {
	_require_vm
	CG=$CGROOT/moat/$ID
	rm "$CFG"
	moat spec --bundle "$BUNDLE"
	assert_eq "$(jq -r .linux.resources.pids.limit "$CFG")" 2048 "the config's pids limit"
	assert_eq "$(jq -r .linux.resources.memory.limit "$CFG")" 1073741824 "the config's memory limit"
	# the default rules find nothing in it
	echo '{}' >"$T/policy.json"
	run --separate-stderr moat_bare check --policy "$T/policy.json" "$BUNDLE"
	assert_status 0
	assert_contains "$output" "0 findings"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_cg pids.max 2048
	[ "$(awk 'NR == 1 { print $2 }' "/proc/$(pid_of "$ID")/uid_map")" != 0 ] || fail "no user namespace of the container's own"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: cpu shares, quota, period, burst, cpus and mems: cpu.weight 39, cpu.max, cpuset; the busy init is throttled and pinned" {
	_require_vm
	CG=$CGROOT/moat/$ID
	# the last CPU: on a VM of two or more, a real restriction of the init
	local cpu pid n
	cpu=$(($(nproc) - 1))
	cfg '.linux.resources.cpu = {"shares": 1024, "quota": 50000, "period": 100000, "burst": 20000, "cpus": $c, "mems": "0"}' \
		--arg c "$cpu"
	set_sh 'while :; do :; done'
	run_d_ok "$ID"
	pid=$(pid_of "$ID")
	assert_cg cpu.weight 39
	assert_cg cpu.max "50000 100000"
	assert_cg cpu.max.burst 20000
	assert_cg cpuset.cpus "$cpu"
	assert_cg cpuset.mems 0
	assert_eq "$(proc_status_field "$pid" Cpus_allowed_list)" "$cpu" "Cpus_allowed_list of the init"
	assert_eq "$(proc_status_field "$pid" Mems_allowed_list)" 0 "Mems_allowed_list of the init"
	# half a CPU for a loop that wants a whole one: throttled within the
	# first periods (a tenth of a second each)
	for ((n = 0; n < 100; n++)); do
		[ "$(_event cpu.stat nr_throttled)" -gt 0 ] && break
		sleep 0.05
	done
	[ "$(_event cpu.stat nr_throttled)" -gt 0 ] || fail "the busy init was never throttled: $(cgv cpu.stat)"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: blockIO.weight is io.weight converted (io.bfq.weight as given where BFQ is loaded)" {
	_require_vm
	CG=$CGROOT/moat/$ID
	cfg '.linux.resources.blockIO = {"weight": 500}'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	if [ -e "$CG/io.bfq.weight" ]; then
		assert_cg io.bfq.weight "default 500"
	else
		# 1 + (500 - 10) * 9999 / 990 = 1 + 4949
		assert_cg io.weight "default 4950"
	fi
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: blockIO.weight under BFQ is io.bfq.weight, unconverted, and io.weight is left alone" {
	_require_vm
	CG=$CGROOT/moat/$ID
	if [ ! -d /sys/module/bfq ]; then
		modprobe bfq 2>/dev/null || skip "the bfq module cannot be loaded in this VM"
		on_teardown "rmmod bfq"
	fi
	cfg '.linux.resources.blockIO = {"weight": 500}'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_cg io.bfq.weight "default 500"
	assert_cg io.weight "default 100"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# _null_blk: /dev/nullb0, a block device that costs nothing to read; sets
# MAJMIN, MAJOR and MINOR
_null_blk() {
	local n
	if [ ! -b /dev/nullb0 ]; then
		modprobe null_blk nr_devices=1 2>/dev/null || skip "the null_blk module cannot be loaded in this VM"
		on_teardown "rmmod null_blk"
		# devtmpfs makes the node a moment later (no udev in the VM)
		for ((n = 0; n < 40; n++)); do
			[ -b /dev/nullb0 ] && break
			sleep 0.05
		done
	fi
	[ -b /dev/nullb0 ] || fail "null_blk is loaded but made no /dev/nullb0"
	MAJMIN=$(cat /sys/block/nullb0/dev)
	MAJOR=${MAJMIN%:*} MINOR=${MAJMIN#*:}
}

@test "vm: a throttle on a block device is io.max, and reads are held to its rate" {
	_require_vm
	_null_blk
	CG=$CGROOT/moat/$ID
	bind_out
	local unthrottled
	# without a throttle, 2 MB of direct reads take well under a second,
	# even emulated: what the container takes above that is the throttle's
	unthrottled=$({ TIMEFORMAT=%R; time dd if=/dev/nullb0 of=/dev/null bs=256k count=8 iflag=direct 2>/dev/null; } 2>&1)
	awk -v t="$unthrottled" 'BEGIN { exit !(t < 1) }' ||
		skip "2 MB read from /dev/nullb0 take ${unthrottled}s here without a throttle: too slow to show one"
	cfg '.linux.devices = [{"path": "/dev/nullb0", "type": "b", "major": $ma, "minor": $mi}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": $ma, "minor": $mi, "access": "r"}]
		| .linux.resources.blockIO = {
			"throttleReadBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
			"throttleWriteIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 100}]}' \
		--argjson ma "$MAJOR" --argjson mi "$MINOR"
	# the times from /proc/uptime (busybox's date has no %N)
	set_sh 'read s _ </proc/uptime
		dd if=/dev/nullb0 of=/dev/null bs=256k count=8 iflag=direct 2>/out/dd.err
		echo $? >/out/rc
		read e _ </proc/uptime
		echo "$s $e" >/out/times
		exec sleep 100'
	run_d_ok "$ID"
	assert_cg io.max "$MAJMIN rbps=1048576 wbps=max riops=max wiops=100"
	wait_file "$OUT/times" 20
	assert_eq "$(cat "$OUT/rc")" 0 "status of dd in the container ($(cat "$OUT/dd.err"))"
	local took
	took=$(awk '{ print $2 - $1 }' "$OUT/times")
	# 2 MB at 1 MB/s: two seconds, give or take a slice
	awk -v t="$took" 'BEGIN { exit !(t >= 1.5) }' ||
		fail "2 MB read in ${took}s under a 1 MB/s throttle (${unthrottled}s without)"
	# and they were the container's reads
	local rbytes
	rbytes=$(awk -v d="$MAJMIN" '$1 == d { for (i = 2; i <= NF; i++) if ($i ~ /^rbytes=/) print substr($i, 8) }' "$CG/io.stat")
	[ "${rbytes:-0}" -ge 2097152 ] || fail "io.stat of the container: $(cgv io.stat)"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

@test "vm: hugepageLimits are hugetlb.2MB.max and .rsvd.max, and hold" {
	_require_vm
	local pool=/proc/sys/vm/nr_hugepages
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages in this VM"
	CG=$CGROOT/moat/$ID
	bind_out
	# a pool of four 2 MB pages, room for more than the limit
	local had
	had=$(cat "$pool")
	if [ "$had" -lt 4 ]; then
		on_teardown "echo $had >$pool"
		echo 4 >"$pool"
	fi
	[ "$(cat "$pool")" -ge 4 ] || skip "the VM could not reserve four huge pages ($(cat "$pool"))"
	mkdir -p "$ROOTFS/hp"
	add_mount '{"destination": "/hp", "type": "hugetlbfs", "source": "hugetlbfs", "options": ["pagesize=2M"]}'
	cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
	# fallocate on hugetlbfs takes its pages at once, charged to the cgroup
	set_sh 'fallocate -l 2097152 /hp/one 2>/out/one.err; echo $? >/out/one
		fallocate -l 4194304 /hp/two 2>/out/two.err; echo $? >/out/two
		exec sleep 100'
	run_d_ok "$ID"
	wait_file "$OUT/two" 20
	assert_cg hugetlb.2MB.max 2097152
	assert_cg hugetlb.2MB.rsvd.max 2097152
	assert_eq "$(cat "$OUT/one")" 0 "fallocate of one page ($(cat "$OUT/one.err"))"
	assert_ne "$(cat "$OUT/two")" 0 "fallocate of two more pages"
	assert_contains "$(cat "$OUT/two.err")" "No space left on device" "fallocate of two more pages"
	assert_cg hugetlb.2MB.current 2097152
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# ---- where the cgroup is, and what is left ---------------------------------------

@test "vm: a nested cgroupsPath gets its controllers enabled in every parent; delete removes what create made" {
	_require_vm
	# made by this test, not by moat: moat must leave it
	local keep=$CGROOT/$ID-keep pid c ctl
	mkdir "$keep"
	on_teardown "rmdir $CGROOT/$ID/b/c $CGROOT/$ID/b $CGROOT/$ID $keep/b/c $keep/b $keep"
	# a limit of each controller
	cfg '.linux.cgroupsPath = $p
		| .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50},
			"cpu": {"shares": 512, "cpus": "0"}, "blockIO": {"weight": 500},
			"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' \
		--arg p "/$ID/b/c"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	pid=$(pid_of "$ID")
	assert_eq "$(cat "/proc/$pid/cgroup")" "0::/$ID/b/c" "/proc/$pid/cgroup"
	for c in "$CGROOT/$ID" "$CGROOT/$ID/b"; do
		for ctl in $VM_CONTROLLERS; do
			grep -qw "$ctl" "$c/cgroup.subtree_control" ||
				fail "$ctl not enabled in $c/cgroup.subtree_control: [$(cat "$c/cgroup.subtree_control")]"
		done
	done
	CG=$CGROOT/$ID/b/c
	assert_cg memory.max 67108864
	assert_cg pids.max 50
	# 1 + (512 - 2) * 9999 / 262142
	assert_cg cpu.weight 20
	assert_cg cpuset.cpus 0
	assert_cg hugetlb.2MB.max 2097152
	if [ -e "$CG/io.bfq.weight" ]; then
		assert_cg io.bfq.weight "default 500"
	else
		assert_cg io.weight "default 4950"
	fi

	# below a parent that existed before: it gets the controllers too, and stays
	cfg '.linux.cgroupsPath = $p' --arg p "/$ID-keep/b/c"
	run_d_ok "$ID-2"
	for c in "$keep" "$keep/b"; do
		for ctl in $VM_CONTROLLERS; do
			grep -qw "$ctl" "$c/cgroup.subtree_control" ||
				fail "$ctl not enabled in $c/cgroup.subtree_control: [$(cat "$c/cgroup.subtree_control")]"
		done
	done
	assert_eq "$(cat "$keep/b/c/pids.max")" 50 "pids.max below $keep"

	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID" "$ID/b/c"
	[ ! -e "$CGROOT/$ID" ] || fail "$CGROOT/$ID, which create made, is left: $(find "$CGROOT/$ID" -type d | tr '\n' ' ')"
	run --separate-stderr moat delete -f "$ID-2"
	assert_status 0
	assert_nothing_left "$ID-2" "$ID-keep/b/c"
	[ ! -e "$keep/b" ] || fail "$keep/b, which create made, is left"
	[ -d "$keep" ] || fail "$keep, which existed before the create, was removed"
}

@test "vm: a value the kernel refuses fails the create, naming it, and leaves nothing" {
	_require_vm
	# a cpuset of 4096 CPUs: the VM has far fewer
	cfg '.linux.resources.cpu = {"cpus": "0-4095"}'
	set_args '["sleep", "100"]'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "linux.resources.cpu.cpus"
	assert_contains "$stderr" "cpuset.cpus" "stderr"
	assert_nothing_left "$ID"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "cgroup $CGROOT/moat/$ID left"
	run --separate-stderr moat state "$ID"
	assert_ne "$status" 0 "status of state after the refused create"
}

@test "vm: create killed while applying the limits: delete -f leaves nothing" {
	_require_vm
	cfg '.linux.resources.pids = {"limit": 20}'
	set_args '["sleep", "100"]'
	MOAT_FAULT=kill:cgroup-apply run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_status 137
	# the kill came after the cgroup was made: something to clean
	[ -d "$CGROOT/moat/$ID" ] || fail "no cgroup $CGROOT/moat/$ID after the killed create: the kill came too early to test anything"
	record_pid "$ID"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# ---- against runc ----------------------------------------------------------------

@test "vm: runc writes the same memory, pids and cpu files from the same config" {
	_require_vm
	local runc
	# /usr/sbin may not be in the PATH of the run
	runc=$(command -v runc || command -v /usr/sbin/runc || true)
	[ -n "$runc" ] || skip "runc is not installed (no runc in PATH or /usr/sbin)"
	cfg '.linux.resources = {
		"memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
		"pids": {"limit": 42},
		"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}}'
	set_args '["sleep", "100"]'
	# runc's bundle: the same config and root filesystem, its own cgroup
	mkdir "$T/runc-bundle"
	jq --arg r "$ROOTFS" --arg p "/$ID-runc" '.root.path = $r | .linux.cgroupsPath = $p' "$CFG" \
		>"$T/runc-bundle/config.json"
	on_teardown "'$runc' --root '$T/runc' delete -f '$ID-runc'"
	run_d_ok "$ID"
	# its output to a file: a container holding a pipe would hang $(...)
	"$runc" --root "$T/runc" run -d --bundle "$T/runc-bundle" "$ID-runc" </dev/null >"$T/runc.out" 2>&1 ||
		fail "runc run failed: $(cat "$T/runc.out")"
	local f m r moat_cg=$CGROOT/moat/$ID runc_cg=$CGROOT/$ID-runc
	for f in memory.max memory.low memory.swap.max pids.max cpu.weight cpu.max cpuset.cpus cpuset.mems; do
		[ -e "$moat_cg/$f" ] || fail "moat's cgroup has no $f"
		[ -e "$runc_cg/$f" ] || fail "runc's cgroup has no $f"
		m=$(cat "$moat_cg/$f")
		r=$(cat "$runc_cg/$f")
		assert_eq "$m" "$r" "$f: moat's, against runc's"
	done
	# and both are the conversions docs/cgroups.md promises
	assert_eq "$(cat "$moat_cg/memory.swap.max")" 33554432 memory.swap.max
	assert_eq "$(cat "$moat_cg/cpu.weight")" 39 cpu.weight
	assert_eq "$(cat "$moat_cg/cpu.max")" "50000 100000" cpu.max
	"$runc" --root "$T/runc" delete -f "$ID-runc" >"$T/runc.out" 2>&1 ||
		fail "runc delete failed: $(cat "$T/runc.out")"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}
