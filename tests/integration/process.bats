#!/usr/bin/env bats
# The container's process: credentials, hostname, cwd, environment,
# capabilities, rlimits, umask, oom score, PATH lookup and namespaces --
# checked from the host through /proc/<pid> and from inside.

load helpers

# inside SCRIPT: run SCRIPT with sh -c in the foreground (id $ID-in); must
# exit 0
inside() {
	set_sh "$1"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID-in"
	assert_status 0
}

# sleeper: run -d a container sleeping; sets PID
sleeper() {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	PID=$(pid_of "$ID")
	is_alive "$PID" || fail "init $PID not alive"
}

# ---- user -----------------------------------------------------------------------

@test "process.user: uid, gid and additionalGids (inside)" {
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 6]}'
	set_args '["id"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "uid=1000 gid=1000 groups=5,6" "id"
}

@test "process.user: uid, gid and additionalGids (from the host)" {
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 6]}'
	sleeper
	assert_eq "$(proc_status_field "$PID" Uid)" '1000 1000 1000 1000' "Uid"
	assert_eq "$(proc_status_field "$PID" Gid)" '1000 1000 1000 1000' "Gid"
	assert_eq "$(proc_status_field "$PID" Groups | xargs)" "5 6" "Groups"
}

@test "process.user: root without additionalGids has no supplementary groups" {
	sleeper
	assert_eq "$(proc_status_field "$PID" Uid)" '0 0 0 0' "Uid"
	assert_eq "$(proc_status_field "$PID" Groups | xargs)" "" "Groups"
}

@test "process.user: uid 65534 cannot write a root-owned directory" {
	cfg '.process.user = {"uid": 65534, "gid": 65534}'
	bind_out
	chmod 755 "$OUT"
	set_sh 'id -u; touch /out/x && echo WROTE; echo end'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" 65534 "id -u"
	assert_not_contains "$output" WROTE
	[ ! -e "$OUT/x" ] || fail "file created by uid 65534 in a 755 root directory"
}

# ---- hostname, cwd, env ------------------------------------------------------------

@test "hostname: the default and a custom one; the host's is unchanged" {
	local host
	host=$(hostname)
	inside 'hostname'
	assert_eq "$output" moat "hostname"
	cfg '.hostname = "box-1"'
	inside 'hostname; cat /proc/sys/kernel/hostname'
	assert_eq "$output" $'box-1\nbox-1' "hostname"
	assert_eq "$(hostname)" "$host" "host's hostname"
}

@test "hostname: seen from the host in the container's uts namespace" {
	cfg '.hostname = "uts-check"'
	sleeper
	assert_eq "$(nsenter -t "$PID" -u hostname)" uts-check "hostname in the uts ns"
}

# runc's rule: a uts namespace joined by path takes the hostname too (a
# pod's shared one); the host's own never does
@test "hostname: set in a uts namespace joined by path, refused in the host's" {
	unshare --uts sleep 100 &
	local holder=$!
	helper_pid "$holder"
	sleep 0.2
	cfg '.hostname = "joined-uts" | (.linux.namespaces[] | select(.type == "uts")) |= {type: "uts", path: $p}' --arg p "/proc/$holder/ns/uts"
	inside 'hostname'
	assert_eq "$output" joined-uts "hostname in the joined uts namespace"
	assert_eq "$(nsenter -t "$holder" -u hostname)" joined-uts "hostname seen by the namespace's holder"
	local host
	host=$(hostname)
	cfg '(.linux.namespaces[] | select(.type == "uts")) |= {type: "uts", path: "/proc/self/ns/uts"}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "hostname: the uts namespace \`/proc/self/ns/uts\` is the host's"
	assert_eq "$(hostname)" "$host" "the host's hostname"
	assert_nothing_left "$ID"
}

@test "process.cwd: the process starts in cwd" {
	cfg '.process.cwd = "/etc"'
	inside 'pwd'
	assert_eq "$output" /etc "pwd"
}

@test "process.cwd: a cwd that does not exist yet is created (read-only root)" {
	[ ! -e "$ROOTFS/does/not" ] || fail "test bundle already has /does/not"
	cfg '.process.cwd = "/does/not/exist"'
	inside 'pwd'
	assert_eq "$output" /does/not/exist "pwd"
}

@test "process.env: exactly the given variables (inside)" {
	cfg '.process.env = ["PATH=/bin:/usr/bin", "A=1", "B=two words", "EMPTY="]'
	inside 'env | sort'
	assert_contains "$output" $'A=1\n' "env"
	assert_contains "$output" $'B=two words\n' "env"
	assert_contains "$output" $'EMPTY=\n' "env"
	assert_contains "$output" "PATH=/bin:/usr/bin" "env"
	# nothing of the caller's environment leaks in
	assert_not_contains "$output" "MOAT_TEST_TAG" "env"
	assert_not_contains "$output" "BATS_" "env"
}

@test "process.env: the environment from the host's /proc/<pid>/environ" {
	cfg '.process.env = ["PATH=/bin", "X=y"]'
	sleeper
	local env
	env=$(tr '\0' '\n' <"/proc/$PID/environ" | sort)
	assert_contains "$env" "PATH=/bin" "environ"
	assert_contains "$env" "X=y" "environ"
	assert_not_contains "$env" "MOAT_TEST_TAG" "environ"
	# at most HOME may be added
	assert_eq "$(grep -v -e '^PATH=/bin$' -e '^X=y$' -e '^HOME=' <<<"$env")" "" "other variables"
}

# ---- capabilities, no_new_privs -----------------------------------------------------

@test "capabilities: default set in CapBnd/CapEff/CapPrm, none inheritable or ambient" {
	sleeper
	local want
	want=$(cap_mask 29 5 10)
	assert_eq "$(proc_status_field "$PID" CapBnd)" "$want" "CapBnd"
	assert_eq "$(proc_status_field "$PID" CapEff)" "$want" "CapEff"
	assert_eq "$(proc_status_field "$PID" CapPrm)" "$want" "CapPrm"
	assert_eq "$(proc_status_field "$PID" CapInh)" 0000000000000000 "CapInh"
	assert_eq "$(proc_status_field "$PID" CapAmb)" 0000000000000000 "CapAmb"
}

@test "capabilities: the default set seen from inside" {
	inside 'grep -E "^Cap(Bnd|Eff|Prm)" /proc/self/status'
	local want
	want=$(cap_mask 29 5 10)
	assert_contains "$output" "CapBnd:	$want"
	assert_contains "$output" "CapEff:	$want"
	assert_contains "$output" "CapPrm:	$want"
}

@test "capabilities: root: bounding and permitted sets (effective follows permitted at exec)" {
	# for uid 0 the kernel makes the effective set equal to the permitted
	# set at execve (no_new_privs limits permitted to what moat left)
	cfg '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"], "permitted": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"]}'
	sleeper
	assert_eq "$(proc_status_field "$PID" CapBnd)" "$(cap_mask 0 5 7)" "CapBnd"
	assert_eq "$(proc_status_field "$PID" CapPrm)" "$(cap_mask 0 5)" "CapPrm"
	assert_eq "$(proc_status_field "$PID" CapEff)" "$(cap_mask 0 5)" "CapEff"
}

@test "capabilities: non-root: inheritable and ambient sets survive exec" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}
	   | .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID"], "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	sleeper
	assert_eq "$(proc_status_field "$PID" CapBnd)" "$(cap_mask 0 5 7)" "CapBnd"
	assert_eq "$(proc_status_field "$PID" CapInh)" "$(cap_mask 0 5)" "CapInh"
	assert_eq "$(proc_status_field "$PID" CapAmb)" "$(cap_mask 5)" "CapAmb"
	assert_eq "$(proc_status_field "$PID" CapPrm)" "$(cap_mask 5)" "CapPrm"
	assert_eq "$(proc_status_field "$PID" CapEff)" "$(cap_mask 5)" "CapEff"
}

@test "capabilities: none at all" {
	cfg 'del(.process.capabilities)'
	sleeper
	assert_eq "$(proc_status_field "$PID" CapBnd)" 0000000000000000 "CapBnd"
	assert_eq "$(proc_status_field "$PID" CapEff)" 0000000000000000 "CapEff"
	assert_eq "$(proc_status_field "$PID" CapPrm)" 0000000000000000 "CapPrm"
}

@test "capabilities: a dropped capability is enforced (chown without CAP_CHOWN)" {
	inside 'touch /tmp/f && chown 5 /tmp/f && echo CHOWNED; echo end'
	assert_not_contains "$output" CHOWNED
	cfg '.process.capabilities.effective += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"] | .process.capabilities.bounding += ["CAP_CHOWN"]'
	inside 'touch /tmp/f && chown 5 /tmp/f && echo CHOWNED; echo end'
	assert_contains "$output" CHOWNED
}

@test "capabilities: a non-root user without ambient capabilities has none after exec" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	sleeper
	assert_eq "$(proc_status_field "$PID" CapBnd)" "$(cap_mask 29 5 10)" "CapBnd"
	assert_eq "$(proc_status_field "$PID" CapEff)" 0000000000000000 "CapEff"
	assert_eq "$(proc_status_field "$PID" CapPrm)" 0000000000000000 "CapPrm"
}

@test "noNewPrivileges true: NoNewPrivs 1" {
	sleeper
	assert_eq "$(proc_status_field "$PID" NoNewPrivs)" 1 "NoNewPrivs"
	inside 'grep NoNewPrivs /proc/self/status'
	assert_eq "$output" "NoNewPrivs:	1" "inside"
}

@test "noNewPrivileges false: NoNewPrivs 0" {
	cfg '.process.noNewPrivileges = false'
	sleeper
	assert_eq "$(proc_status_field "$PID" NoNewPrivs)" 0 "NoNewPrivs"
}

# ---- rlimits, umask, oom -------------------------------------------------------------

@test "rlimits: default RLIMIT_NOFILE 1024/1024" {
	inside 'ulimit -n; ulimit -Hn'
	assert_eq "$output" $'1024\n1024' "ulimit -n / -Hn"
}

@test "rlimits: custom RLIMIT_NOFILE and RLIMIT_NPROC seen from the host" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 2048, "soft": 512}, {"type": "RLIMIT_NPROC", "hard": 300, "soft": 200}]'
	sleeper
	local line
	line=$(grep '^Max open files' "/proc/$PID/limits" | xargs)
	assert_eq "$line" "Max open files 512 2048 files" "limits"
	line=$(grep '^Max processes' "/proc/$PID/limits" | xargs)
	assert_eq "$line" "Max processes 200 300 processes" "limits"
}

@test "rlimits: custom value inside (ulimit -n)" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 4000, "soft": 300}]'
	inside 'ulimit -n; ulimit -Hn'
	assert_eq "$output" $'300\n4000' "ulimit -n / -Hn"
}

@test "umask: default 0022 and process.user.umask" {
	sleeper
	assert_eq "$(proc_status_field "$PID" Umask)" 0022 "default Umask"
	cfg '.process.user.umask = 23'
	inside 'umask; touch /tmp/f; stat -c %a /tmp/f'
	assert_eq "$output" $'0027\n640' "umask inside"
}

@test "oomScoreAdj: set for the process (host and inside)" {
	cfg '.process.oomScoreAdj = 500'
	sleeper
	assert_eq "$(cat "/proc/$PID/oom_score_adj")" 500 "oom_score_adj"
	inside 'cat /proc/self/oom_score_adj'
	assert_eq "$output" 500 "inside"
}

@test "oomScoreAdj: absent leaves the caller's value" {
	local mine
	mine=$(cat /proc/self/oom_score_adj)
	sleeper
	assert_eq "$(cat "/proc/$PID/oom_score_adj")" "$mine" "oom_score_adj"
}

# ---- executable lookup -----------------------------------------------------------------

@test "args: a bare name is looked up in the container's PATH" {
	set_args '["id", "-u"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" 0 "id -u"
}

@test "args: PATH lookup uses process.env PATH, not the host's" {
	mkdir -p "$ROOTFS/opt/tools"
	printf '#!/bin/sh\necho from-opt-tools\n' >"$ROOTFS/opt/tools/mytool"
	chmod 755 "$ROOTFS/opt/tools/mytool"
	cfg '.process.env = ["PATH=/opt/tools:/bin"]'
	set_args '["mytool"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" from-opt-tools "output"
}

@test "args: an absolute path and arguments with spaces are passed as is" {
	set_args '["/bin/sh", "-c", "printf \"[%s]\" \"$@\"", "zero", "a b", "", "c"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[a b][][c]" "arguments"
}

# ---- namespaces ---------------------------------------------------------------------------

@test "namespaces: pid, net, ipc, uts, mnt and cgroup differ from the host's; user is shared" {
	sleeper
	local ns
	for ns in pid net ipc uts mnt cgroup; do
		assert_ne "$(readlink "/proc/$PID/ns/$ns")" "$(readlink "/proc/$$/ns/$ns")" "$ns namespace"
	done
	assert_eq "$(readlink "/proc/$PID/ns/user")" "$(readlink "/proc/$$/ns/user")" "user namespace"
	# the init is pid 1 of its pid namespace
	assert_eq "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$PID/status")" 1 "NSpid"
}

@test "namespaces: the same view from inside" {
	local ns host=""
	for ns in pid net ipc uts mnt cgroup; do
		host="$host$ns=$(readlink "/proc/$$/ns/$ns") "
	done
	inside 'for ns in pid net ipc uts mnt cgroup; do printf "%s=%s " $ns $(readlink /proc/self/ns/$ns); done; echo; echo $$'
	local got=${lines[0]}
	for ns in pid net ipc uts mnt cgroup; do
		local mine theirs
		mine=$(tr ' ' '\n' <<<"$host" | grep "^$ns=")
		theirs=$(tr ' ' '\n' <<<"$got" | grep "^$ns=")
		[ -n "$theirs" ] || fail "no $ns line inside: $got"
		assert_ne "$theirs" "$mine" "$ns namespace"
	done
	assert_eq "${lines[1]}" 1 "pid of the shell inside"
}

@test "namespaces: no network namespace entry shares the host's" {
	cfg '.linux.namespaces |= map(select(.type != "network"))'
	sleeper
	assert_eq "$(readlink "/proc/$PID/ns/net")" "$(readlink "/proc/$$/ns/net")" "net namespace"
	assert_ne "$(readlink "/proc/$PID/ns/uts")" "$(readlink "/proc/$$/ns/uts")" "uts namespace"
}

@test "namespaces: the container's network namespace has only lo" {
	inside 'ls /sys/class/net | xargs'
	assert_eq "$output" "lo" "interfaces"
}

@test "namespaces: joining a network namespace by path (held by a process)" {
	unshare --net sleep 100 &
	local holder=$!
	helper_pid "$holder"
	local want
	for _ in $(seq 50); do
		want=$(readlink "/proc/$holder/ns/net")
		[ "$want" != "$(readlink /proc/$$/ns/net)" ] && break
		sleep 0.05
	done
	assert_ne "$want" "$(readlink /proc/$$/ns/net)" "holder's net namespace"
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": $p}' --arg p "/proc/$holder/ns/net"
	sleeper
	assert_eq "$(readlink "/proc/$PID/ns/net")" "$want" "container's net namespace"
	# the other namespaces are still new ones
	assert_ne "$(readlink "/proc/$PID/ns/uts")" "$(readlink "/proc/$$/ns/uts")" "uts namespace"
}

@test "namespaces: joining a named network namespace (ip netns) sees its interfaces" {
	local name=moat-it-$ID
	ip netns add "$name" || skip "ip netns add failed on this host"
	on_teardown "ip netns delete $name"
	ip netns exec "$name" ip link add dummy7 type dummy 2>/dev/null ||
		ip netns exec "$name" ip link set lo up
	cfg '(.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": $p}' --arg p "/run/netns/$name"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(stat -L -c %i "/proc/$pid/ns/net")" "$(stat -L -c %i "/run/netns/$name")" "net namespace inode"
}

@test "namespaces: joining the pid namespace of another container" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local first
	first=$(pid_of "$ID")
	cp -a "$BUNDLE" "$T/b2"
	jq --arg p "/proc/$first/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) |= {"type": "pid", "path": $p} | .process.args = ["sh", "-c", "echo $$; ps -o pid,comm | grep -c sleep"]' \
		"$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	run --separate-stderr moat run --bundle "$T/b2" "$ID-2"
	assert_status 0
	# not pid 1: the first container's sleep is pid 1 of that namespace
	assert_ne "${lines[0]}" 1 "pid of the second container's process"
	assert_eq "${lines[1]}" 1 "sleep processes visible"
}

@test "namespaces: user namespace with uid/gid mappings" {
	# the mapped root must be able to walk to the bundle
	chmod a+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$T" "$BUNDLE"
	bind_out
	cfg '.linux.namespaces += [{"type": "user"}]
	   | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	   | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_sh 'echo x >/out/by-root; id -u; cat /proc/self/uid_map; sleep 100'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_ne "$(readlink "/proc/$pid/ns/user")" "$(readlink "/proc/$$/ns/user")" "user namespace"
	assert_eq "$(xargs <"/proc/$pid/uid_map")" "0 100000 65536" "uid_map"
	assert_eq "$(xargs <"/proc/$pid/gid_map")" "0 100000 65536" "gid_map"
	# seen from the host, the container's root is uid 100000
	assert_eq "$(proc_status_field "$pid" Uid)" '100000 100000 100000 100000' "host Uid"
	wait_file "$OUT/by-root"
	assert_eq "$(stat -c %u:%g "$OUT/by-root")" 100000:100000 "owner of a file created inside"
}

@test "namespaces: user namespace: a host root file is owned by nobody inside" {
	chmod a+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$T" "$BUNDLE"
	cfg '.linux.namespaces += [{"type": "user"}]
	   | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	   | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	inside 'id -u; stat -c %u /bin/busybox; cat /proc/self/uid_map | xargs'
	assert_eq "${lines[0]}" 0 "id -u inside"
	assert_eq "${lines[1]}" 65534 "owner of a host-root file inside"
	assert_eq "${lines[2]}" "0 100000 65536" "uid_map inside"
}

@test "namespaces: time namespace with offsets" {
	[ -e /proc/self/ns/time ] || skip "no time namespaces on this kernel"
	cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0}, "boottime": {"secs": 864000, "nanosecs": 0}}'
	local host_up
	host_up=$(cut -d. -f1 /proc/uptime)
	bind_out
	set_sh 'cut -d. -f1 /proc/uptime >/out/uptime; sleep 100'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_ne "$(readlink "/proc/$pid/ns/time")" "$(readlink "/proc/$$/ns/time")" "time namespace"
	wait_file "$OUT/uptime"
	local up
	up=$(cat "$OUT/uptime")
	[ "$up" -ge $((host_up + 864000)) ] && [ "$up" -le $((host_up + 864000 + 30)) ] ||
		fail "uptime inside $up, host $host_up: offset not applied"
}

# a holder container with a user namespace of its own; its path is joined
_userns_holder() {
	local d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	cp -a "$BUNDLE" "$T/holder"
	jq '.process.args = ["sleep", "100"] | .linux.namespaces += [{"type": "user"}]
	  | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		"$T/holder/config.json" >"$T/h.json" && mv "$T/h.json" "$T/holder/config.json"
	moat create --bundle "$T/holder" "$ID-holder"
	record_pid "$ID-holder"
	HOLDER=$(pid_of "$ID-holder")
}

@test "namespaces: a new pid namespace inside a user namespace joined by path" {
	_userns_holder
	cfg '.linux.namespaces += [{"type": "user", "path": $u}]' --arg u "/proc/$HOLDER/ns/user"
	set_sh 'echo "pid=$$"; cat /proc/self/uid_map | tr -s " "; readlink /proc/self/ns/user; exit 4'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 4
	assert_eq "${lines[0]}" "pid=1" "the process is pid 1 of its new pid namespace"
	assert_eq "${lines[1]}" " 0 100000 65536" "uid_map of the joined namespace"
	assert_eq "${lines[2]}" "$(readlink /proc/$HOLDER/ns/user)" "user namespace"
	assert_nothing_left "$ID"
}

@test "namespaces: joined user namespace + new pid namespace through create/start/kill/delete" {
	_userns_holder
	cfg '.linux.namespaces += [{"type": "user", "path": $u}]' --arg u "/proc/$HOLDER/ns/user"
	set_args '["sleep", "100"]'
	create_ok "$ID" --pid-file "$T/pid"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(cat "$T/pid")" "$pid" "pid file"
	assert_eq "$(readlink /proc/$pid/ns/user)" "$(readlink /proc/$HOLDER/ns/user)" "user ns of the init"
	assert_ne "$(readlink /proc/$pid/ns/pid)" "$(readlink /proc/$HOLDER/ns/pid)" "a pid ns of its own"
	grep -qx "0::/moat/$ID" "/proc/$pid/cgroup" || fail "init cgroup: $(cat /proc/$pid/cgroup)"
	moat start "$ID"
	wait_status "$ID" running
	moat kill "$ID" KILL
	wait_status "$ID" stopped
	run --separate-stderr moat delete "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# HOME, as runc and crun set it: from the container's /etc/passwd for the
# process's uid when process.env has none, else "/"; never over one given
@test "process.env: HOME from the container's passwd, else /, never over a given one" {
	printf 'u:x:1000:1000::/home/u:/bin/sh\n' >>"$ROOTFS/etc/passwd"
	set_sh 'echo "[$HOME]"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/root]" "HOME of uid 0"
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/home/u]" "HOME of uid 1000"
	cfg '.process.user = {"uid": 4242, "gid": 4242}'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/]" "HOME of a uid not in passwd"
	cfg '.process.env += ["HOME=/given"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/given]" "HOME given in process.env"
	# exec: the exec'd user's, unless given
	cfg '.process.env -= ["HOME=/given"] | .process.user = {"uid": 0, "gid": 0} | .process.args = ["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec --user 1000:1000 "$ID" sh -c 'echo "[$HOME]"'
	assert_status 0
	assert_eq "$output" "[/home/u]" "HOME of an exec'd uid 1000"
	run --separate-stderr moat exec --env HOME=/e "$ID" sh -c 'echo "[$HOME]"'
	assert_status 0
	assert_eq "$output" "[/e]" "HOME given to exec"
	moat delete -f "$ID"
	assert_nothing_left "$ID"
}

# what the image holds at /etc/passwd is read only if it is a plain file:
# a fifo there must not hang the container's start, a link into /proc must
# not be read with moat's privileges
@test "process.env: a fifo or a /proc link at /etc/passwd gives HOME=/ without hanging" {
	rm -f "$ROOTFS/etc/passwd"
	mkfifo "$ROOTFS/etc/passwd"
	set_sh 'echo "[$HOME]"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/]" "HOME with a fifo at /etc/passwd"
	rm -f "$ROOTFS/etc/passwd"
	ln -s /proc/self/environ "$ROOTFS/etc/passwd"
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "[/]" "HOME with /etc/passwd -> /proc/self/environ"
	assert_nothing_left "$ID"
}

# an engine hands the process pipes: a non-root process must be able to
# reopen them as /dev/stdout (runc's stdio fix-up); a regular file the
# caller passed keeps its owner
@test "stdio: pipes from the caller are the process user's, files are not" {
	cfg '.process.user = {"uid": 1000, "gid": 1000}'
	set_sh 'echo via-reopen >/dev/stdout'
	run bash -c '"$1" --policy "$5" --root "$2" run --bundle "$3" "$4" </dev/null 2>&1 | cat' _ "$MOAT" "$ROOT" "$BUNDLE" "$ID" \
		"$BATS_TEST_DIRNAME/../lib/policy-off.json"
	assert_status 0
	assert_eq "$output" via-reopen
	assert_nothing_left "$ID"
	local f=$T/stdout-file
	: >"$f"
	chmod 600 "$f"
	set_sh 'echo direct; echo via-reopen >/dev/stdout || echo refused >&2'
	run bash -c '"$1" --root "$2" run --bundle "$3" "$4" </dev/null >"$5" 2>&1' _ "$MOAT" "$ROOT" "$BUNDLE" "$ID" "$f"
	assert_eq "$(stat -c %u "$f")" 0 "the owner of a file the caller passed as stdout"
	assert_contains "$(cat "$f")" direct
	assert_nothing_left "$ID"
}
