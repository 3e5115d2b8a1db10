#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) against a real systemd:
# Debian's systemd 252, started by tests/lib/with-systemd.sh as PID 1 of
# a pid and mount namespace of its own in the VM of the VM lane (pure
# cgroup v2), these tests running in its namespaces.  A container's cgroup
# is the transient scope its cgroupsPath names; its limits are in the
# scope's files and in the unit's properties (so that a daemon-reload
# keeps them) and the kernel holds them; update changes both; delete stops
# the scope; bad paths, a missing manager and a killed create leave
# nothing; runc makes the same scope from the same config; a rootless
# moat's scope is the user's systemd instance's.
# Elsewhere every test skips, saying why.

load helpers

setup() {
	common_setup
	if [ "${MOAT_WITH_SYSTEMD:-}" != 1 ]; then
		skip "needs the systemd of tests/lib/with-systemd.sh (tests/vm/lane.sh runs this file with it)"
	fi
	# with-systemd.sh said it was ready: a manager that does not answer now
	# is a failure, not a limitation
	systemctl is-system-running >/dev/null 2>&1 ||
		fail "systemd does not answer: $(systemctl is-system-running 2>&1)"
	# the manager's root cgroup (/moat-systemd): its slices are below it
	SDROOT=$CGROOT$(systemctl show -P ControlGroup)
	set_args '["sleep", "100"]'
}

# _use_unit SLICE UNIT: $UNIT and $CG, the scope's cgroup directory
_use_unit() {
	UNIT=$2
	CG=$SDROOT/$1/$2
	on_teardown "systemctl stop '$2'; systemctl reset-failed '$2'"
}

# _run_sd ID [CGROUP MANAGER FLAG]: moat run -d with the systemd driver
# (a global flag: the state remembers the driver for later commands)
_run_sd() {
	local id=$1 flag=${2:---systemd-cgroup}
	run --separate-stderr moat "$flag" run -d --bundle "$BUNDLE" "$id"
	[ "$status" -eq 0 ] || { fail "moat $flag run -d $id failed (status $status): $output $stderr"; return 1; }
	record_pid "$id"
}

# _prop NAME: the unit's property NAME
_prop() {
	systemctl show -P "$1" "$UNIT"
}

# _assert_props NAME=VALUE...: the unit has these properties (one call to
# systemctl: each takes a while in the emulated VM)
_assert_props() {
	local want got p names=()
	want=$(printf '%s\n' "$@" | sort)
	for p in "$@"; do names+=(-p "${p%%=*}"); done
	got=$(systemctl show "${names[@]}" "$UNIT" | sort)
	assert_eq "$(echo $got)" "$(echo $want)" "properties of $UNIT"
}

# _assert_unit_gone: systemd no longer has the unit, nor its cgroup
_assert_unit_gone() {
	local i state
	# a scope whose last process ended goes by itself: give it a moment
	for i in $(seq 50); do
		state=$(systemctl show -P LoadState "$UNIT")
		[ "$state" = not-found ] && [ ! -e "$CG" ] && return 0
		sleep 0.1
	done
	fail "unit $UNIT: LoadState $state ($(systemctl show -P ActiveState "$UNIT")), cgroup $CG $([ -e "$CG" ] && echo exists || echo gone)"
}

@test "systemd: a container's cgroup is the transient scope of slice:prefix:name, delegated, with the init in it" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	_run_sd "$ID"
	_assert_props ActiveState=active Delegate=yes Slice=system.slice "ControlGroup=${CG#"$CGROOT"}"
	# features offers the driver here, to root and to a rootless moat
	assert_eq "$("$MOAT" features | jq -c '[.linux.cgroup.systemd, .linux.cgroup.systemdUser]')" \
		'[true,true]' "features: systemd, systemdUser"
	assert_eq "$(cat "$CG/cgroup.procs")" "$(pid_of "$ID")" "processes of the scope"
	# exec joins it
	moat exec -d --pid-file "$T/exec.pid" "$ID" sleep 50
	assert_eq "$(cut -d: -f3 "/proc/$(cat "$T/exec.pid")/cgroup")" "${CG#"$CGROOT"}" "cgroup of an exec'd process"
	# moat's commands on it: ps, pause, events --stats
	run --separate-stderr moat ps "$ID"
	assert_status 0
	assert_contains "$output" "sleep" "ps"
	moat pause "$ID"
	assert_cg cgroup.freeze 1
	assert_eq "$(status_of "$ID")" paused "status after pause"
	moat resume "$ID"
	assert_cg cgroup.freeze 0
	run --separate-stderr moat events --stats "$ID"
	assert_status 0
	assert_eq "$(echo "$output" | jq -r .data.pids.current)" 2 "pids.current in events --stats"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID" "${CG#"$CGROOT/"}"
	_assert_unit_gone
}

@test "systemd: no cgroupsPath is moat-<id>.scope in system.slice; an empty slice is system.slice" {
	_use_unit system.slice "moat-$ID.scope"
	cfg 'del(.linux.cgroupsPath)'
	_run_sd "$ID" --cgroup-manager=systemd
	assert_eq "$(_prop ActiveState)" active "ActiveState of $UNIT"
	moat delete -f "$ID"
	_assert_unit_gone
	_use_unit system.slice "x-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p ":x:$ID"
	_run_sd "$ID"
	assert_eq "$(_prop ActiveState)" active "ActiveState of $UNIT"
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: a nested slice (a-b.slice) is made below its parents" {
	_use_unit moattest.slice/moattest-sub.slice "c-$ID.scope"
	on_teardown "systemctl stop moattest-sub.slice moattest.slice"
	cfg '.linux.cgroupsPath = $p' --arg p "moattest-sub.slice:c:$ID"
	_run_sd "$ID"
	[ -d "$CG" ] || fail "no cgroup $CG"
	assert_eq "$(_prop Slice)" moattest-sub.slice "Slice"
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: limits are in the scope's files and the unit's properties, and a daemon-reload keeps them" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	cfg '.linux.resources = {"memory": {"limit": 67108864, "reservation": 16777216},
		"pids": {"limit": 20}, "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},
		"unified": {"memory.high": "48M"}}'
	_run_sd "$ID"
	_check() {
		assert_cg memory.max 67108864 &&
			assert_cg memory.low 16777216 &&
			assert_cg memory.high 50331648 &&
			assert_cg pids.max 20 &&
			assert_cg cpu.max "50000 100000" &&
			assert_cg cpu.weight 20 &&
			assert_cg cpuset.cpus 0
	}
	_check
	_assert_props MemoryMax=67108864 MemoryLow=16777216 MemoryHigh=50331648 TasksMax=20 \
		CPUQuotaPerSecUSec=500ms CPUWeight=20 AllowedCPUs=0
	# systemd writes every unit's properties over its cgroup files again
	systemctl daemon-reload
	_check
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: the kernel holds the scope's limits: a fork beyond pids.max fails, an allocation beyond memory.max is OOM-killed" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	cfg '.linux.resources = {"pids": {"limit": 8}}'
	bind_out
	# 8 processes, of which the init and the subshell are two, leave room
	# for 6 sleeps (bounded, should the limit not hold)
	set_sh '(i=0; while [ $i -lt 30 ]; do sleep 100 & i=$((i + 1)); echo $i >/out/n; done)
		echo $? >/out/rc
		exec sleep 100'
	_run_sd "$ID"
	wait_file "$OUT/rc" 20
	assert_eq "$(cat "$OUT/n")" 6 "sleeps started before a fork failed"
	moat delete -f "$ID"
	_assert_unit_gone
	cfg '.linux.resources = {"memory": {"limit": 33554432}}'
	set_args '["sleep", "100"]'
	_run_sd "$ID"
	# dd allocates its block: 96 MB, three times the limit (no swap in the VM)
	run --separate-stderr moat exec "$ID" dd if=/dev/zero of=/dev/null bs=96M count=1
	assert_status 137
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events")" -ge 1 ] ||
		fail "no oom_kill in memory.events: $(cgv memory.events)"
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: update changes the files and the unit's properties (flags, --resources FILE, --resources -)" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
	_run_sd "$ID"
	moat update --memory 48m --pids-limit 30 "$ID"
	assert_cg memory.max 50331648
	assert_cg pids.max 30
	_assert_props MemoryMax=50331648 TasksMax=30
	echo '{"cpu": {"quota": 20000, "period": 100000}}' >"$T/res.json"
	moat update --resources "$T/res.json" "$ID"
	assert_cg cpu.max "20000 100000"
	assert_eq "$(_prop CPUQuotaPerSecUSec)" 200ms "CPUQuotaPerSecUSec after --resources FILE"
	echo '{"pids": {"limit": 40}}' | moat update --resources - "$ID"
	assert_cg pids.max 40
	assert_eq "$(_prop TasksMax)" 40 "TasksMax after --resources -"
	# a refused value changes nothing (the update is all or nothing): the
	# memory limit written before the cpuset refused is put back
	run --separate-stderr moat update --memory 40m --cpuset-cpus 99 "$ID"
	assert_error "cpuset.cpus"
	assert_cg memory.max 50331648
	assert_eq "$(_prop MemoryMax)" 50331648 "MemoryMax after a refused update"
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: the container makes cgroups of its own below its delegated scope; delete -f removes them with the scope" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rw", "nosuid", "noexec", "nodev"]}'
	set_sh 'mkdir /sys/fs/cgroup/inner && echo $$ >/sys/fs/cgroup/inner/cgroup.procs && exec sleep 100'
	_run_sd "$ID"
	for _ in $(seq 50); do [ -d "$CG/inner" ] && break; sleep 0.1; done
	[ -d "$CG/inner" ] || fail "the container made no cgroup below $CG: $(ls "$CG")"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	_assert_unit_gone
}

@test "systemd: bad cgroupsPath values are refused, naming the problem, and leave nothing" {
	local p want
	while IFS='|' read -r p want; do
		cfg '.linux.cgroupsPath = $p' --arg p "$p"
		run --separate-stderr moat --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
		assert_error "$want" || return 1
		assert_nothing_left "$ID" || return 1
	done <<-EOF
	/moat/$ID|slice:prefix:name
	system.slice:moat|slice:prefix:name
	a:b:c:d|slice:prefix:name
	system:moat:$ID|not a slice name
	a--b.slice:moat:$ID|not a slice name
	system.slice:moat:x/y|unit name's characters
	system.slice:moat:|unit name's characters
	system.slice:moat:sub.slice|a slice as the container's own unit is not supported
	EOF
	assert_eq "$(systemctl list-units --all --plain --no-legend "*$ID*")" "" "units of $ID"
}

@test "systemd: a unit of that name already there is refused, and the running one is untouched" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	_run_sd "$ID"
	run --separate-stderr moat --systemd-cgroup run -d --bundle "$BUNDLE" "$ID-2"
	assert_error "moat-$ID.scope"
	assert_nothing_left "$ID-2"
	# unit names are systemd's, whatever the slice: the same name in
	# another slice is the running container's unit too
	cfg '.linux.cgroupsPath = $p' --arg p "other.slice:moat:$ID"
	run --separate-stderr moat --systemd-cgroup run -d --bundle "$BUNDLE" "$ID-3"
	assert_error "systemd already has a unit moat-$ID.scope"
	assert_nothing_left "$ID-3"
	assert_eq "$(_prop ActiveState)" active "the first container's unit"
	assert_eq "$(status_of "$ID")" running "the first container"
	moat delete -f "$ID"
	_assert_unit_gone
}

@test "systemd: create killed after systemd made the scope: the scope goes, delete -f leaves nothing" {
	_use_unit system.slice "moat-$ID.scope"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	cfg '.linux.resources = {"pids": {"limit": 20}}'
	MOAT_FAULT=kill:go run --separate-stderr moat --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_status 137
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID" "${CG#"$CGROOT/"}"
	_assert_unit_gone
	# a refused limit, found once the scope is made: undone the same way
	cfg '.linux.resources = {"unified": {"memory.max": "nonsense"}}'
	run --separate-stderr moat --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_error "memory.max"
	assert_nothing_left "$ID" "${CG#"$CGROOT/"}"
	_assert_unit_gone
	# a file systemd writes over from its own settings, with no property
	# for it: refused, never set and lost later
	cfg '.linux.resources = {"unified": {"memory.oom.group": "1"}}'
	run --separate-stderr moat --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_error "memory.oom.group is written over by systemd"
	assert_nothing_left "$ID" "${CG#"$CGROOT/"}"
	_assert_unit_gone
}

@test "systemd: without a manager to reach, create fails saying so and leaves nothing" {
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	# a mount namespace where /run/systemd is empty: no private socket, and
	# no D-Bus system bus in this VM
	run --separate-stderr unshare -m --propagation private sh -c \
		'mount -t tmpfs none /run/systemd && exec "$@"' sh \
		"$MOAT" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	assert_error "cannot reach the system's systemd manager"
	assert_nothing_left "$ID"
}

@test "systemd: runc makes the same scope, with the same files, from the same config" {
	local runc
	runc=$(command -v runc || command -v /usr/sbin/runc || true)
	[ -n "$runc" ] || skip "runc is not installed (no runc in PATH or /usr/sbin)"
	cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20},
		"cpu": {"shares": 512, "quota": 50000, "period": 100000}}'
	mkdir "$T/runc-bundle"
	jq --arg r "$ROOTFS" --arg p "system.slice:runc:$ID" '.root.path = $r | .linux.cgroupsPath = $p' "$CFG" \
		>"$T/runc-bundle/config.json"
	on_teardown "'$runc' --root '$T/runc-root' delete -f '$ID'"
	"$runc" --root "$T/runc-root" --systemd-cgroup run -d --bundle "$T/runc-bundle" "$ID" </dev/null >/dev/null 2>"$T/runc.err" ||
		fail "runc run failed: $(cat "$T/runc.err")"
	cfg '.linux.cgroupsPath = $p' --arg p "system.slice:moat:$ID"
	_run_sd "$ID"
	local f runc_cg=$SDROOT/system.slice/runc-$ID.scope moat_cg=$SDROOT/system.slice/moat-$ID.scope
	for f in memory.max pids.max cpu.max cpu.weight; do
		assert_eq "$(cat "$moat_cg/$f")" "$(cat "$runc_cg/$f")" "$f (moat's, runc's)" || return 1
	done
	for f in Delegate MemoryMax TasksMax CPUWeight CPUQuotaPerSecUSec Slice; do
		assert_eq "$(systemctl show -P "$f" "moat-$ID.scope")" "$(systemctl show -P "$f" "runc-$ID.scope")" \
			"property $f (moat's, runc's)" || return 1
	done
	moat delete -f "$ID"
	"$runc" --root "$T/runc-root" delete -f "$ID"
}

# _user_manager USER: the user's systemd instance, as a service of the
# system manager with a delegated cgroup, as user@.service is (which needs
# logind); sets UID_, XDG (its runtime directory) and MGR_CG (its cgroup).
# A user's manager moves a process of another cgroup into its own by
# asking the system manager over the D-Bus system bus: started here, and
# the system manager connected to it.
_user_manager() {
	local user=$1
	if ! id "$user" >/dev/null 2>&1; then
		useradd --system --create-home --shell /bin/sh "$user" || fail "useradd $user"
		on_teardown "userdel -r '$user'"
	fi
	UID_=$(id -u "$user")
	XDG=/run/user/$UID_
	# (no default dependencies: sysinit.target would set the VM up)
	if [ ! -S /run/dbus/system_bus_socket ]; then
		mkdir -p /run/dbus
		systemd-run --unit=moat-it-dbus -p DefaultDependencies=no -p Type=notify \
			dbus-daemon --system --nofork --nopidfile --nosyslog --systemd-activation >/dev/null 2>&1
		on_teardown "systemctl stop moat-it-dbus.service"
		for _ in $(seq 50); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.1; done
		[ -S /run/dbus/system_bus_socket ] || fail "the D-Bus system bus did not start"
		# the system manager connects to a bus it did not start on SIGUSR1
		kill -USR1 1
	fi
	for _ in $(seq 100); do
		busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
			org.freedesktop.DBus.Peer Ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	busctl --system call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.DBus.Peer Ping >/dev/null || fail "the system manager is not on the D-Bus system bus"
	mkdir -p "$XDG"
	chown "$user" "$XDG"
	chmod 700 "$XDG"
	on_teardown "systemctl stop moat-it-user-manager.service; rm -rf '$XDG'"
	systemd-run --unit=moat-it-user-manager -p DefaultDependencies=no -p Type=notify \
		-p Delegate=yes -p User="$user" -p Environment=XDG_RUNTIME_DIR="$XDG" \
		/lib/systemd/systemd --user >/dev/null 2>&1 || fail "the user's systemd did not start"
	MGR_CG=$CGROOT$(systemctl show -P ControlGroup moat-it-user-manager.service)
}

@test "systemd: a rootless moat's scope is the user's systemd instance's, in the user's delegated cgroup" {
	local user=moat-it-sd pid
	_user_manager "$user"
	# the user's bundle: its files, a user namespace of its one id
	local d
	for d in "$BUNDLE" "$(dirname "$MOAT")"; do
		while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	done
	cfg '.linux.namespaces |= (map(select(.type != "user")) + [{"type": "user"}])
		| .linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]
		| (.mounts[] | select(.type == "devpts") | .options) |= map(select(. != "gid=5"))
		| .linux.resources = {"pids": {"limit": 9}}
		| del(.linux.cgroupsPath)' --argjson u "$UID_" --argjson g "$(id -g "$user")"
	chown -R "$user" "$BUNDLE"
	mkdir -p "$T/rl-state"
	chown "$user" "$T/rl-state"
	# output to files: a detached container keeps nothing of bats' pipes
	_as_user() {
		runuser -u "$user" -- env XDG_RUNTIME_DIR="$XDG" \
			"$MOAT" --root "$T/rl-state" "$@" </dev/null >"$T/u.out" 2>"$T/u.err"
	}
	_as_user --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" || fail "run -d as $user: $(cat "$T/u.err")"
	_as_user state "$ID" || fail "state: $(cat "$T/u.err")"
	pid=$(jq -r .pid "$T/u.out")
	CG=$MGR_CG/user.slice/moat-$ID.scope
	assert_eq "$(cut -d: -f3 "/proc/$pid/cgroup")" "${CG#"$CGROOT"}" "cgroup of the init"
	assert_cg pids.max 9
	assert_eq "$(runuser -u "$user" -- env XDG_RUNTIME_DIR="$XDG" \
		systemctl --user show -P TasksMax "moat-$ID.scope")" 9 "TasksMax of the user's scope"
	_as_user delete -f "$ID" || fail "delete -f as $user: $(cat "$T/u.err")"
	for _ in $(seq 50); do [ -e "$CG" ] || break; sleep 0.1; done
	[ ! -e "$CG" ] || fail "the scope's cgroup $CG is left"
	! kill -0 "$pid" 2>/dev/null || fail "the init $pid is alive"
	assert_eq "$(ls -A "$T/rl-state" | grep -vx .tmp)" "" "state left"
}
