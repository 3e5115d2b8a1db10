#!/usr/bin/env bats
# containerd (through its runc v2 shim) with moat as the runc binary:
# the shim's own calls (create with --root/--log/--log-format json and a
# pid file, start, exec --detach, ps --format json, pause, resume, kill,
# delete, delete --force).  A private containerd serves this file only.

load helpers

setup_file() {
	command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null || {
		echo "containerd is not installed (contrib/install-deps.sh installs it)" >&2
		return 1
	}
	export CTD=$BATS_FILE_TMPDIR/ctd
	mkdir -p "$CTD"
	containerd --root "$CTD/root" --state "$CTD/state" --address "$CTD/sock" \
		--log-level warn >"$CTD/log" 2>&1 &
	echo $! >"$CTD/pid"
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$CTD/sock" ] && break
		sleep 0.05
	done
	[ -S "$CTD/sock" ] || { cat "$CTD/log" >&2; return 1; }
	# an OCI image of the test rootfs, made locally
	local b=$BATS_FILE_TMPDIR/img
	sh "$BATS_TEST_DIRNAME/../lib/make-bundle.sh" "$b" "$MOAT" '["true"]' >/dev/null
	tar -C "$b/rootfs" -c . | podman import -q - localhost/moat-ctd:latest >/dev/null
	podman save -q --format oci-archive -o "$BATS_FILE_TMPDIR/img.tar" localhost/moat-ctd:latest
	ctr -a "$CTD/sock" -n moat images import --index-name localhost/moat-ctd:latest \
		"$BATS_FILE_TMPDIR/img.tar" >/dev/null 2>&1 || true
	ctr -a "$CTD/sock" -n moat images ls -q | grep -qx localhost/moat-ctd:latest || {
		echo "importing the test image into containerd failed" >&2
		return 1
	}
	export CTD_IMAGE=localhost/moat-ctd:latest
}

teardown_file() {
	[ -f "$CTD/pid" ] && kill "$(cat "$CTD/pid")" 2>/dev/null
	return 0
}

c() {
	timeout 60 ctr -a "$CTD/sock" -n moat "$@"
}

@test "containerd: run --rm prints from inside and passes the exit status" {
	run c run --rm --runc-binary "$MOAT" "$CTD_IMAGE" "c$ID" sh -c 'echo from-moat; exit 5'
	assert_status 5
	assert_contains "$output" "from-moat"
	# nothing left in the shim's runc root for this id
	[ ! -e "/run/containerd/runc/moat/c$ID" ] || fail "state left"
}

@test "containerd: run -d, task exec, ps, pause, resume, kill, delete" {
	local id=d$ID
	run c run -d --runc-binary "$MOAT" "$CTD_IMAGE" "$id" sleep 300
	assert_status 0
	on_teardown "ctr -a '$CTD/sock' -n moat task kill -s SIGKILL $id; ctr -a '$CTD/sock' -n moat task delete $id; ctr -a '$CTD/sock' -n moat container rm $id"
	run c task exec --exec-id e1 "$id" sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	assert_status 0
	assert_contains "$output" "exec-ok"
	assert_contains "$output" "sleep 300"
	run c task ps "$id"
	assert_status 0
	assert_contains "$output" "PID"
	[ "${#lines[@]}" -ge 2 ] || fail "task ps: $output"
	run c task pause "$id"
	assert_status 0
	assert_contains "$(c task ls)" "PAUSED"
	run c task resume "$id"
	assert_status 0
	assert_contains "$(c task ls)" "RUNNING"
	run c task kill -s SIGKILL "$id"
	assert_status 0
	local i
	for ((i = 0; i < 50; i++)); do
		c task ls | grep -q "$id.*STOPPED" && break
		sleep 0.1
	done
	assert_contains "$(c task ls)" "STOPPED"
	run c task delete "$id"
	assert_status 0
	run c container rm "$id"
	assert_status 0
}

@test "containerd: a failed create reaches ctr through the JSON log" {
	run c run --rm --runc-binary "$MOAT" "$CTD_IMAGE" "f$ID" /nonexistent
	[ "$status" -ne 0 ] || fail "ran a missing program"
	# containerd takes the last error line of log.json: our message
	assert_contains "$output" 'exec "/nonexistent": no such file or directory'
}
