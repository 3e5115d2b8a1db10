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
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/made-user" ] && userdel "$RL_USER" 2>/dev/null
	return 0
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
