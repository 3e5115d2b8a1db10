#!/usr/bin/env bats
# moat without the host's root: as an unprivileged user, and as uid 0 of a
# user namespace that is not the host's (how rootless Podman runs its
# runtime).  The cgroup tree and the device filter are not its to use: it
# runs without a cgroup (saying so) and refuses limits.

load helpers

setup_file() {
	export RL_USER=moat-it-rl
	if ! id "$RL_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /bin/sh "$RL_USER" || return 1
		touch "$BATS_FILE_TMPDIR/made-user"
	fi
	export RL_UID RL_GID
	RL_UID=$(id -u "$RL_USER") RL_GID=$(id -g "$RL_USER")
	# a subordinate range of its own, for newuidmap and newgidmap (taken
	# away again at the end; a range it already has is kept)
	export RL_SUB=
	if command -v newuidmap >/dev/null && command -v newgidmap >/dev/null; then
		RL_SUB=$(awk -F: -v u="$RL_USER" '$1 == u { print $2; exit }' /etc/subuid 2>/dev/null)
		if [ -z "$RL_SUB" ] || ! grep -q "^$RL_USER:$RL_SUB:65536\$" /etc/subgid 2>/dev/null; then
			RL_SUB=1800000
			usermod --add-subuids "$RL_SUB-$((RL_SUB + 65535))" \
				--add-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER" || return 1
			touch "$BATS_FILE_TMPDIR/made-subids"
		fi
	fi
}

teardown_file() {
	if [ -f "$BATS_FILE_TMPDIR/made-subids" ]; then
		usermod --del-subuids "$RL_SUB-$((RL_SUB + 65535))" \
			--del-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER" 2>/dev/null
	fi
	[ -f "$BATS_FILE_TMPDIR/made-user" ] && userdel "$RL_USER" 2>/dev/null
	return 0
}

_need_subids() {
	[ -n "$RL_SUB" ] || skip "newuidmap and newgidmap are not installed (the uidmap package)"
}

# a bundle the user owns, with what a user namespace of one id allows
_user_bundle() {
	local d
	for d in "$BUNDLE" "$(dirname "$MOAT")"; do
		while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	done
	cfg '(.mounts[] | select(.type == "devpts") | .options) |= map(select(. != "gid=5"))'
	chown -R "$RL_USER" "$BUNDLE"
	mkdir -p "$T/rl-state"
	chown "$RL_USER" "$T/rl-state"
}

# nothing in the user's state root but its empty .tmp
_no_state() {
	local left
	left=$(ls -A "$T/rl-state" | grep -vx .tmp; ls -A "$T/rl-state/.tmp" 2>/dev/null)
	[ -z "$left" ] || fail "state left: $left"
}

# as the user, in a user namespace of its own where it is uid 0
_as_ns_root() {
	runuser -u "$RL_USER" -- unshare --user --map-root-user "$MOAT" --root "$T/rl-state" "$@"
}

@test "rootless: as uid 0 of a user namespace that is not the host's, a container runs without a cgroup" {
	_user_bundle
	set_sh 'id -u; grep -c . /proc/self/uid_map; test -c /dev/null && echo null-ok'
	run --separate-stderr _as_ns_root run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(head -1 <<<"$output")" 0 "uid inside"
	assert_contains "$output" "null-ok" "/dev/null (the host's, bound: no mknod there)"
	assert_contains "$stderr" "the container runs without its own cgroup"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "a cgroup was made"
	_no_state
}

@test "rootless: limits without a cgroup are refused there, naming why" {
	_user_bundle
	cfg '.linux.resources.pids = {"limit": 20}'
	chown "$RL_USER" "$CFG"
	run --separate-stderr _as_ns_root run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "no cgroup this user may make"
	_no_state
}

# as the user itself, not root anywhere; output through files, as moat()
# does (a created init keeps what it was given open)
_as_user() {
	local o e rc=0
	o=$(mktemp "$T/.rl-out.XXXXXX")
	e=$(mktemp "$T/.rl-err.XXXXXX")
	MOAT_TEST_TAG=$TAG timeout -k 5 60 runuser -u "$RL_USER" -- \
		"$MOAT" --root "$T/rl-state" "$@" >"$o" 2>"$e" </dev/null || rc=$?
	cat "$o"
	cat "$e" >&2
	rm -f "$o" "$e"
	return $rc
}

# a user namespace of the container's own, with these mappings (JSON
# arrays; none: no mappings at all)
_userns() {
	cfg '.linux.namespaces |= (map(select(.type != "user")) + [{"type": "user"}])
		| del(.linux.uidMappings, .linux.gidMappings)'
	if [ $# -eq 2 ]; then
		cfg ".linux.uidMappings = $1 | .linux.gidMappings = $2"
	fi
	chown "$RL_USER" "$CFG"
}

# the container's uid_map and gid_map, read from the host, one line each
# ("0 1001 1;1 1800000 65536")
_host_maps() {
	local pid
	pid=$(_as_user state "$ID" | jq -r .pid)
	[ "$pid" -gt 0 ] || fail "no pid in the state"
	for f in uid_map gid_map; do
		awk '{ printf "%s%s %s %s", (NR > 1 ? ";" : ""), $1, $2, $3 } END { print "" }' \
			"/proc/$pid/$f"
	done
}

# create as the user; from the host, the init's maps are the user's own
# ids as 0 and its subordinate range from 1, and setgroups is allowed (the
# helpers map the groups, the container may drop them); then delete
_created_with_subordinate_maps() {
	set_args '["sleep", "60"]'
	run --separate-stderr _as_user create --bundle "$BUNDLE" "$ID"
	assert_status 0
	run _host_maps
	assert_eq "${lines[0]}" "0 $RL_UID 1;1 $RL_SUB 65536" "uid_map from the host"
	assert_eq "${lines[1]}" "0 $RL_GID 1;1 $RL_SUB 65536" "gid_map from the host"
	pid=$(_as_user state "$ID" | jq -r .pid)
	assert_eq "$(cat "/proc/$pid/setgroups")" allow "setgroups"
	_as_user delete -f "$ID"
	_no_state
}

@test "rootless: a mapping of more than the user's own id is written by newuidmap and newgidmap" {
	_need_subids
	_user_bundle
	_userns "[{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1},
		{\"containerID\": 1, \"hostID\": $RL_SUB, \"size\": 65536}]" \
		"[{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1},
		{\"containerID\": 1, \"hostID\": $RL_SUB, \"size\": 65536}]"
	_created_with_subordinate_maps
}

@test "rootless: a user namespace without mappings maps the user's id as root and its subordinate range" {
	_need_subids
	_user_bundle
	_userns
	_created_with_subordinate_maps
}

@test "rootless: the config moat spec writes for the user runs unchanged: its ids and subordinate range, uid 1000, no limits" {
	_need_subids
	_user_bundle
	rm "$CFG"
	run --separate-stderr _as_user spec --bundle "$BUNDLE"
	assert_status 0
	assert_eq "$(jq -c .linux.resources "$CFG")" null "limits in the user's config (it has no cgroup)"
	cfg '.process.args = ["sleep", "60"]'
	chown "$RL_USER" "$CFG"
	run --separate-stderr _as_user create --bundle "$BUNDLE" "$ID"
	assert_status 0
	run _host_maps
	assert_eq "${lines[0]}" "0 $RL_UID 1;1 $RL_SUB 65536" "uid_map from the host"
	local pid u
	pid=$(_as_user state "$ID" | jq -r .pid)
	u=$((RL_SUB + 999))
	assert_eq "$(proc_status_field "$pid" Uid)" "$u $u $u $u" "the process's host uid (container uid 1000)"
	assert_eq "$(proc_status_field "$pid" NoNewPrivs)" 1 NoNewPrivs
	assert_eq "$(proc_status_field "$pid" Seccomp)" 2 Seccomp
	assert_eq "$(proc_status_field "$pid" CapEff)" 0000000000000000 CapEff
	_as_user delete -f "$ID"
	_no_state
}

@test "rootless: a one-id mapping of the user's own ids is written directly, setgroups denied" {
	_user_bundle
	_userns "[{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1}]" \
		"[{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1}]"
	set_sh 'id -u; id -g; cat /proc/self/setgroups'
	run --separate-stderr _as_user run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "0
0
deny" "ids and setgroups inside"
	_no_state
}

@test "rootless: ids outside the user's subordinate range are refused by newuidmap, named, nothing left" {
	_need_subids
	_user_bundle
	_userns "[{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1},
		{\"containerID\": 1, \"hostID\": 3900000, \"size\": 10}]" \
		"[{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1}]"
	run --separate-stderr _as_user run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "linux.uidMappings: without privileges, ids other than the caller's own ($RL_UID) are mapped from its subordinate ranges (/etc/subuid for \`$RL_USER\`)"
	assert_contains "$stderr" "newuidmap failed (exit status 1): newuidmap:"
	_no_state
	pgrep -u "$RL_USER" >/dev/null && fail "a process of the user is left: $(pgrep -a -u "$RL_USER")"
	return 0
}

@test "rootless: new namespaces without a user namespace are refused, saying what to add" {
	_user_bundle
	cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	chown "$RL_USER" "$CFG"
	run --separate-stderr _as_user run --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "clone3 the container's init: without the host's root, new namespaces need a user namespace of the container's own (add {\"type\": \"user\"} to linux.namespaces)"
	_no_state
}

@test "rootless: --userns auto gives a config without a user namespace the user's own ids" {
	_user_bundle
	cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	chown "$RL_USER" "$CFG"
	set_sh 'id -u; head -1 /proc/self/uid_map'
	run --separate-stderr _as_user run --userns auto --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(echo $output)" "0 0 $RL_UID 1" "uid inside, first line of uid_map"
	_no_state
}

@test "rootless: NOTIFY_SOCKET: the user's container tells the user's manager READY=1" {
	_user_bundle
	cc -static -O2 -o "$ROOTFS/bin/sd-notify" "$BATS_TEST_DIRNAME/../lib/sd-notify.c" 2>"$T/cc.log" ||
		skip "gcc -static cannot build tests/lib/sd-notify.c (is libc.a installed?): $(head -3 "$T/cc.log")"
	_userns
	set_sh '/bin/sd-notify READY=1'
	chown "$RL_USER" "$CFG"
	# the user's manager: a socket the user may send to
	start_notify_manager "$T/manager.sock" "$T/heard"
	NOTIFY_SOCKET=$T/manager.sock run --separate-stderr _as_user run --bundle "$BUNDLE" "$ID"
	assert_status 0
	wait_file "$T/heard" 1
	assert_contains "$(cat "$T/heard")" "READY=1|MAINPID=" "what the manager heard"
	_no_state
}
