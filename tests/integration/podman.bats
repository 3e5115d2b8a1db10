#!/usr/bin/env bats
# Podman (through conmon) with moat as its OCI runtime: the engine's own
# calls (create with --pid-file, start, exec --detach, kill, delete
# --force, pause, resume, the console socket) on an image made locally.

load helpers

setup_file() {
	command -v podman >/dev/null || {
		echo "podman is not installed (contrib/install-deps.sh installs it)" >&2
		return 1
	}
	export PODMAN_IMAGE=localhost/moat-it:latest
	if ! podman image exists "$PODMAN_IMAGE"; then
		local b=$BATS_FILE_TMPDIR/img
		sh "$BATS_TEST_DIRNAME/../lib/make-bundle.sh" "$b" "$MOAT" '["true"]' >/dev/null
		tar -C "$b/rootfs" -c . | podman import -q - "$PODMAN_IMAGE" >/dev/null
	fi
	# podman's default RLIMIT_NOFILE (1048576) needs CAP_SYS_RESOURCE, which
	# some hosts withhold from root; a lower default works everywhere
	export CONTAINERS_CONF=$BATS_FILE_TMPDIR/containers.conf
	# no default pids limit: this file's containers run where the pids
	# controller may be missing (resources.bats tests limits)
	printf '[containers]\npids_limit = 0\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' \
		>"$CONTAINERS_CONF"
}

# podman keeps a cgroup of its own for conmon, and makes podman_probe
# (empty) when it checks what the host's cgroups allow; this run made
# them, so they go once empty (the containers' cgroups are moat's,
# removed at delete)
teardown_file() {
	rmdir /sys/fs/cgroup/libpod_parent/conmon /sys/fs/cgroup/libpod_parent \
		/sys/fs/cgroup/podman_probe 2>/dev/null
	return 0
}

pm() {
	timeout -k 10 120 podman --runtime "$MOAT" "$@"
}

_gone() {
	local name=$1 id
	id=$(cat "$T/$name.id")
	[ ! -e "/run/moat/$id" ] || fail "moat state of $name still exists"
	pm container exists "$name" && fail "podman still has $name"
	return 0
}

@test "podman: run --rm prints from inside and passes the exit status" {
	run pm run --rm "$PODMAN_IMAGE" sh -c 'echo from-moat; grep -c "^Seccomp:.*2" /proc/self/status; exit 3'
	assert_status 3
	assert_contains "$output" "from-moat"
	assert_contains "$output" "1" "podman's seccomp profile is applied"
}

@test "podman: a missing program is reported as not found (127)" {
	run -127 pm run --rm "$PODMAN_IMAGE" /nonexistent
}

@test "podman: run -d, exec, top, pause, unpause, rm -f leave nothing" {
	local name=moat-it-$ID
	# removed at teardown even when the run fails half-way (Podman keeps
	# a container it created whose start failed)
	on_teardown "podman --runtime $MOAT rm -f -t 0 $name"
	run pm run -d --name "$name" "$PODMAN_IMAGE" sleep 300
	assert_status 0
	echo "${lines[-1]}" >"$T/$name.id"
	run pm exec "$name" sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	assert_status 0
	assert_contains "$output" "exec-ok"
	assert_contains "$output" "sleep 300"
	run pm exec -t "$name" tty
	assert_status 0
	assert_contains "$output" "/dev/pts/"
	run pm pause "$name"
	assert_status 0
	assert_eq "$(podman inspect -f '{{.State.Status}}' "$name")" paused "after pause"
	run pm unpause "$name"
	assert_status 0
	assert_eq "$(podman inspect -f '{{.State.Status}}' "$name")" running "after unpause"
	run pm rm -f -t 0 "$name"
	assert_status 0
	_gone "$name"
}

@test "podman: stop and start again (a fresh create on the same bundle)" {
	local name=moat-it-$ID
	# removed at teardown even when the run fails half-way (Podman keeps
	# a container it created whose start failed)
	on_teardown "podman --runtime $MOAT rm -f -t 0 $name"
	run pm run -d --name "$name" "$PODMAN_IMAGE" sleep 300
	assert_status 0
	echo "${lines[-1]}" >"$T/$name.id"
	run pm stop -t 0 "$name"
	assert_status 0
	assert_eq "$(podman inspect -f '{{.State.Status}}' "$name")" exited
	run pm start "$name"
	assert_status 0
	assert_eq "$(podman inspect -f '{{.State.Status}}' "$name")" running
	run pm rm -f -t 0 "$name"
	assert_status 0
	_gone "$name"
}

@test "podman: run -t gets a terminal through the console socket" {
	run pm run --rm -t "$PODMAN_IMAGE" sh -c 'tty; [ -t 1 ] && echo stdout-tty'
	assert_status 0
	assert_contains "$output" "/dev/pts/0"
	assert_contains "$output" "stdout-tty"
}

# In a terminal (a tmux window of 123x45), podman run -it once started
# the container with a 0x0 window now and then (the size conmon sets
# raced with the process reading it): repeated until any run shows it.
@test "podman: run -it in a 123x45 terminal sees 45 rows and 123 columns, 30 times in 30" {
	command -v tmux >/dev/null || skip "tmux is not installed (contrib/install-deps.sh installs it)"
	local s=moat-it-$ID out=$T/sizes n=30 i
	: >"$out"
	tmux -L "$s" new-session -d -s "$s" -x 123 -y 45 "bash --norc" || fail "tmux did not start"
	on_teardown "tmux -L '$s' kill-server"
	for ((i = 0; i < n; i++)); do
		tmux -L "$s" send-keys -t "$s" "CONTAINERS_CONF='$CONTAINERS_CONF' podman --runtime '$MOAT' run -it --rm $PODMAN_IMAGE stty size >>'$out' 2>&1; echo status \$? >>'$out'" Enter
		# one at a time: the next is typed once this one is done
		local k
		for ((k = 0; k < 300; k++)); do
			[ "$(grep -c '^status ' "$out")" -gt "$i" ] && break
			sleep 0.05
		done
	done
	local sizes
	sizes=$(tr -d '\r' <"$out" | grep -v '^status 0$' | sort | uniq -c | sed 's/^ *//')
	assert_eq "$sizes" "$n 45 123" "the sizes the container saw (count, rows, columns; runs: $(tr -d '\r' <"$out" | tr '\n' ' '))"
}

# what podman writes for --device (fileMode with the file type bits),
# --privileged (every host device), --read-only and --tmpfs (tmpcopyup):
# they run
@test "podman: --device, --privileged, --read-only and --tmpfs configs run" {
	run pm run --rm --read-only --tmpfs /data "$PODMAN_IMAGE" sh -c 'echo x >/data/f && cat /data/f; grep -c " /run tmpfs" /proc/mounts; echo x >/etc/f || echo read-only'
	assert_status 0
	assert_contains "$output" "x"
	assert_contains "$output" "read-only"
	run pm run --rm --device /dev/null:/dev/mynull "$PODMAN_IMAGE" sh -c 'ls -l /dev/mynull; echo x >/dev/mynull && echo wrote'
	assert_status 0
	assert_contains "$output" "crw-rw-rw-"
	assert_contains "$output" "wrote"
	run pm run --rm --privileged "$PODMAN_IMAGE" sh -c 'grep ^CapEff /proc/self/status'
	assert_status 0
	assert_contains "$output" "CapEff:"
}

@test "podman: --pids-limit and --memory hold or the run fails naming them" {
	local c missing=
	for c in pids memory; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || missing="$missing $c"
	done
	run pm run --rm --pids-limit 20 --memory 64m "$PODMAN_IMAGE" \
		sh -c 'cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max'
	if [ -z "$missing" ]; then
		assert_status 0
		assert_contains "$output" "20"
		assert_contains "$output" "67108864"
	else
		[ "$status" != 0 ] || fail "ran without$missing: $output"
		assert_contains "$output" "linux.resources."
		assert_contains "$output" "controller is not in this host's cgroup v2 hierarchy"
	fi
}

@test "podman: on a hybrid host, its default pids limit and --memory hold in the v1 hierarchies" {
	need_host_layout
	local name=moat-hv-$ID id
	on_teardown "'$HV' sh -c 'podman --runtime \"$MOAT\" rm -f $name; rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent'"
	# podman's own default (2048), not this file's pids_limit = 0
	run "$HV" env CONTAINERS_CONF=/dev/null timeout -k 10 120 podman --runtime "$MOAT" run -d \
		--name "$name" --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --memory 64m \
		--network none "$PODMAN_IMAGE" sleep 300
	assert_status 0
	id=$("$HV" podman inspect -f "{{.Id}}" "$name")
	assert_eq "$("$HV" cat /sys/fs/cgroup/memory/libpod_parent/libpod-$id/memory.limit_in_bytes)" \
		67108864 "memory.limit_in_bytes"
	assert_eq "$("$HV" cat /sys/fs/cgroup/pids/libpod_parent/libpod-$id/pids.max)" 2048 "pids.max"
	run "$HV" timeout -k 10 120 podman --runtime "$MOAT" rm -f "$name"
	assert_status 0
	[ -z "$("$HV" sh -c "ls -d /sys/fs/cgroup/*/libpod_parent/libpod-$id 2>/dev/null || true")" ] ||
		fail "cgroups of the container left"
}

@test "podman: update on a hybrid host changes the limits in the v1 hierarchies" {
	need_host_layout
	local name=moat-up-$ID id
	on_teardown "'$HV' sh -c 'podman --runtime \"$MOAT\" rm -f $name; rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent'"
	# no network: each podman call here has a mount namespace of its own,
	# where another call's network namespace mount is not
	run "$HV" timeout -k 10 120 podman --runtime "$MOAT" run -d --name "$name" --memory 64m \
		--network none "$PODMAN_IMAGE" sleep 300
	assert_status 0
	id=$("$HV" podman inspect -f "{{.Id}}" "$name")
	run "$HV" timeout -k 10 120 podman --runtime "$MOAT" update --memory 128m --cpu-shares 99 "$name"
	assert_status 0
	assert_eq "$("$HV" cat /sys/fs/cgroup/memory/libpod_parent/libpod-$id/memory.limit_in_bytes)" \
		134217728 "memory.limit_in_bytes after podman update"
	assert_eq "$("$HV" cat /sys/fs/cgroup/cpu/libpod_parent/libpod-$id/cpu.shares)" 99 "cpu.shares after podman update"
	run "$HV" timeout -k 10 120 podman --runtime "$MOAT" rm -f "$name"
	assert_status 0
}
