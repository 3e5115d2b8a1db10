#!/usr/bin/env bats
# Rootless Podman with moat as its OCI runtime: an unprivileged user made
# here, with a subordinate range of its own, its own storage (vfs) and
# runtime directory.  Podman runs moat as uid 0 of its user namespace,
# which is not the host's: moat is rootless there, and joins the network
# namespace Podman made for slirp4netns.  runc is the reference on the
# same commands.

load helpers

setup_file() {
	local t
	for t in podman newuidmap newgidmap; do
		command -v $t >/dev/null || {
			echo "$t is not installed (contrib/install-deps.sh installs it)" >&2
			return 1
		}
	done
	export PM_USER=moat-it-pm
	if id "$PM_USER" >/dev/null 2>&1; then
		echo "the user $PM_USER exists already (left by an earlier run?): remove it" >&2
		return 1
	fi
	export PM_HOME
	PM_HOME=$(mktemp -d /tmp/moat-it-pm.XXXXXX)
	useradd --system --home-dir "$PM_HOME" --shell /bin/sh "$PM_USER" || return 1
	usermod --add-subuids 2300000-2365535 --add-subgids 2300000-2365535 "$PM_USER" || return 1
	export PM_UID
	PM_UID=$(id -u "$PM_USER")
	export XDG_RUNTIME_DIR_PM=/run/user/$PM_UID
	mkdir -p "$XDG_RUNTIME_DIR_PM"
	chown "$PM_USER:" "$PM_HOME" "$XDG_RUNTIME_DIR_PM"
	chmod 700 "$PM_HOME" "$XDG_RUNTIME_DIR_PM"
	# the user reaches the moat binary under test
	local d
	d=$(dirname "$MOAT")
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	export PM_IMAGE=localhost/moat-it-rl:latest
	local b=$BATS_FILE_TMPDIR/img
	sh "$BATS_TEST_DIRNAME/../lib/make-bundle.sh" "$b" "$MOAT" '["true"]' >/dev/null || return 1
	tar -C "$b/rootfs" -c . | _pm_as_user import -q - "$PM_IMAGE" >/dev/null || {
		echo "rootless podman import failed" >&2
		return 1
	}
}

teardown_file() {
	[ -n "${PM_USER:-}" ] || return 0
	# Podman's pause process (it holds the user namespace) and anything
	# else of the user's
	pkill -KILL -u "$PM_USER" 2>/dev/null
	sleep 0.2
	userdel "$PM_USER" 2>/dev/null
	rm -rf "$PM_HOME" "$XDG_RUNTIME_DIR_PM"
	return 0
}

# podman as the user, with this runtime (default: moat)
_pm_as_user() {
	local rt=${PM_RUNTIME:-$MOAT}
	runuser -u "$PM_USER" -- env -C "$PM_HOME" HOME="$PM_HOME" \
		XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR_PM" \
		timeout -k 10 120 podman --cgroup-manager cgroupfs --events-backend file \
		--storage-driver vfs --runtime "$rt" "$@"
}

@test "rootless podman: run --rm prints from inside, passes the exit status, maps the user's ranges" {
	run _pm_as_user run --rm --network none "$PM_IMAGE" sh -c 'echo from-moat; id -u; cat /proc/self/uid_map; exit 3'
	assert_status 3
	assert_eq "${lines[0]}" from-moat
	assert_eq "${lines[1]}" 0 "uid inside"
	assert_eq "$(echo "${lines[2]}" | tr -s ' ')" " 0 $PM_UID 1" "uid 0 is the user"
	assert_contains "$output" "2300000" "the user's subordinate range is mapped"
}

@test "rootless podman: the default network (slirp4netns) is joined by path and has its interface" {
	command -v slirp4netns >/dev/null || skip "slirp4netns is not installed"
	run _pm_as_user run --rm "$PM_IMAGE" sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	assert_status 0
	assert_contains "$output" "lo tap0" "interfaces"
}

@test "rootless podman: run -d, exec, exec -t, stop, rm leave nothing of moat's" {
	local name=moat-it-rl-$ID
	run _pm_as_user run -d --network none --name "$name" "$PM_IMAGE" sleep 300
	assert_status 0
	local cid=${lines[-1]}
	run _pm_as_user exec "$name" sh -c 'echo exec-ok; id -u'
	assert_status 0
	assert_eq "$output" "exec-ok
0"
	# a terminal from script; timeout in the foreground, where the
	# terminal is podman's to use (in a process group of its own podman
	# would be stopped by SIGTTOU)
	run script -qec "runuser -u $PM_USER -- env -C $PM_HOME HOME=$PM_HOME XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR_PM timeout --foreground -k 10 120 podman --cgroup-manager cgroupfs --events-backend file --storage-driver vfs --runtime $MOAT exec -t $name tty" /dev/null </dev/null
	assert_status 0
	assert_contains "$output" "/dev/pts/"
	run _pm_as_user stop -t 1 "$name"
	assert_status 0
	run _pm_as_user inspect -f '{{.State.Status}}' "$name"
	assert_eq "$output" exited "after stop"
	run _pm_as_user rm -f -t 0 "$name"
	assert_status 0
	[ ! -e "$XDG_RUNTIME_DIR_PM/moat/$cid" ] || fail "moat's state of $name is left"
}

@test "rootless podman: --userns=keep-id runs as the user's own uid, as with runc" {
	local out_moat
	run _pm_as_user run --rm --userns=keep-id --network none "$PM_IMAGE" sh -c 'id -u; id -g; cat /proc/self/uid_map'
	assert_status 0
	assert_eq "${lines[0]}" "$PM_UID" "uid inside"
	out_moat=$output
	PM_RUNTIME=runc run _pm_as_user run --rm --userns=keep-id --network none "$PM_IMAGE" sh -c 'id -u; id -g; cat /proc/self/uid_map'
	assert_status 0
	assert_eq "$out_moat" "$output" "moat and runc"
}
