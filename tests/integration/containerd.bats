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
	# the archive names the image; --index-name would add a second image
	# of that name whose target (the archive's index) is never stored
	ctr -a "$CTD/sock" -n moat images import "$BATS_FILE_TMPDIR/img.tar" >"$CTD/import.log" 2>&1 &&
		ctr -a "$CTD/sock" -n moat images ls -q | grep -qx localhost/moat-ctd:latest || {
		echo "importing the test image into containerd failed: $(cat "$CTD/import.log")" >&2
		return 1
	}
	export CTD_IMAGE=localhost/moat-ctd:latest
}

teardown_file() {
	[ -f "$CTD/pid" ] && kill "$(cat "$CTD/pid")" 2>/dev/null
	return 0
}

# ctr sets cpu shares of 1024 unless told 0: a limit that holds only
# where the cpu controller is (resources.bats tests that)
c() {
	timeout -k 10 60 ctr -a "$CTD/sock" -n moat "$@"
}

@test "containerd: run --rm prints from inside and passes the exit status" {
	run c run --rm --cpu-shares 0 --runc-binary "$MOAT" "$CTD_IMAGE" "c$ID" sh -c 'echo from-moat; exit 5'
	assert_status 5
	assert_contains "$output" "from-moat"
	# nothing left in the shim's runc root for this id
	[ ! -e "/run/containerd/runc/moat/c$ID" ] || fail "state left"
}

@test "containerd: run -d, task exec, ps, pause, resume, kill, delete" {
	local id=d$ID
	run c run -d --cpu-shares 0 --runc-binary "$MOAT" "$CTD_IMAGE" "$id" sleep 300
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
	run c run --rm --cpu-shares 0 --runc-binary "$MOAT" "$CTD_IMAGE" "f$ID" /nonexistent
	[ "$status" -ne 0 ] || fail "ran a missing program"
	# containerd takes the last error line of log.json: our message
	assert_contains "$output" 'exec "/nonexistent": no such file or directory'
}

@test "containerd: an enforce policy refuses a privileged container; ctr shows the findings" {
	# the shim runs the runc binary it is given: a wrapper naming the policy
	# (on a node it would be /etc/moat/policy.json, read without a flag)
	# what ctr's containers need here, and the capabilities it grants
	# (Docker's old default set: CAP_MKNOD and CAP_NET_RAW too)
	printf '{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "no-new-privileges", "writable-rootfs", "no-memory-limit", "no-pids-limit"], "capabilities": ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"]}}\n' >"$T/policy.json"
	printf '#!/bin/sh\nexec "%s" --policy "%s" "$@"\n' "$MOAT" "$T/policy.json" >"$T/moat-policy"
	chmod 755 "$T/moat-policy"
	run c run --rm --cpu-shares 0 --seccomp --runc-binary "$T/moat-policy" "$CTD_IMAGE" "p$ID" true
	assert_status 0
	run c run --rm --cpu-shares 0 --seccomp --privileged --runc-binary "$T/moat-policy" "$CTD_IMAGE" "q$ID" true
	[ "$status" -ne 0 ] || fail "the privileged container ran"
	assert_contains "$output" "refused by the policy"
	assert_contains "$output" "CAP_SYS_ADMIN is not in the allowed capabilities"
	c container rm "q$ID" >/dev/null 2>&1 || true
	[ ! -e "/run/containerd/runc/moat/q$ID" ] || fail "state left"
}

@test "containerd: ctr's default cpu shares hold or the run fails naming them" {
	run c run --rm --runc-binary "$MOAT" "$CTD_IMAGE" "s$ID" cat /sys/fs/cgroup/cpu.weight
	if grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
		assert_status 0
		assert_contains "$output" "39"
	else
		[ "$status" != 0 ] || fail "ran without the cpu controller: $output"
		assert_contains "$output" "linux.resources.cpu.shares: the cpu controller is not in this host's cgroup v2 hierarchy"
	fi
}

@test "containerd: on a hybrid host, ctr's default cpu shares and --memory-limit hold in the v1 hierarchies" {
	need_host_layout
	local d=$T/ctd-hv
	mkdir -p "$d"
	"$HV" containerd --root "$d/root" --state "$d/state" --address "$d/sock" \
		--log-level warn >"$d/log" 2>&1 &
	helper_pid $!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/sock" ] && break
		sleep 0.05
	done
	[ -S "$d/sock" ] || fail "containerd did not start: $(cat "$d/log")"
	hc() { "$HV" timeout -k 10 60 ctr -a "$d/sock" -n moat "$@"; }
	run hc images import "$BATS_FILE_TMPDIR/img.tar"
	assert_status 0
	hc images ls -q | grep -qx "$CTD_IMAGE" || fail "importing the test image failed"
	on_teardown "'$HV' sh -c 'ctr -a $d/sock -n moat task kill -s SIGKILL h$ID; sleep 0.5; ctr -a $d/sock -n moat task delete h$ID; ctr -a $d/sock -n moat container rm h$ID'"
	run hc run -d --memory-limit 67108864 --runc-binary "$MOAT" "$CTD_IMAGE" "h$ID" sleep 300
	assert_status 0
	local cg
	cg=$("$HV" sh -c "ls -d /sys/fs/cgroup/memory/moat/h$ID /sys/fs/cgroup/memory/*/h$ID 2>/dev/null | head -1")
	[ -n "$cg" ] || fail "no memory cgroup for h$ID: $("$HV" cat /proc/$(hc task ls | awk '$1 == "h'$ID'" { print $2 }')/cgroup)"
	assert_eq "$("$HV" cat "$cg/memory.limit_in_bytes")" 67108864 "memory.limit_in_bytes"
	assert_eq "$("$HV" cat "${cg/memory/cpu}/cpu.shares")" 1024 "cpu.shares"
	hc task kill -s SIGKILL "h$ID"
	sleep 0.5
	run hc task delete "h$ID"
	assert_status 0
	[ -z "$("$HV" sh -c "ls -d $cg ${cg/memory/cpu} 2>/dev/null || true")" ] || fail "cgroups left"
}
