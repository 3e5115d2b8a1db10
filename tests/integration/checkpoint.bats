#!/usr/bin/env bats
# checkpoint and restore: their flags and every error they give before
# CRIU has anything to restore, on any host (tests/lib/fake-criu.py
# stands in for a criu that is too old, or that fails).  Checkpoints
# that CRIU really takes and restores are in vm-criu.bats.

load helpers

FAKE_CRIU=$BATS_TEST_DIRNAME/../lib/fake-criu.py

# a build with libcriu (+CRIU in --version): skip otherwise, saying so
_need_criu_build() {
	"$MOAT" --version | grep -q '+CRIU' ||
		skip "this moat was built without libcriu (cli.bats tests the refusal)"
}

# a running container that sleeps
_sleeper() {
	set_args '["sleep", "1000"]'
	run_d_ok "$1"
}

@test "checkpoint: a missing container, one not running, an option of restore: refused, the container as it was" {
	_need_criu_build
	run --separate-stderr moat checkpoint --image-path "$T/img" "no-such-$ID"
	assert_error "container \"no-such-$ID\" does not exist"
	create_ok "$ID"
	run --separate-stderr moat checkpoint --image-path "$T/img" "$ID"
	assert_error "cannot checkpoint container \"$ID\" that is not running: it is created"
	run --separate-stderr moat checkpoint --bundle "$BUNDLE" "$ID"
	assert_error "checkpoint: unknown option \`--bundle\` (an option of restore)"
	run --separate-stderr moat checkpoint --console-socket "$T/s" "$ID"
	assert_error "(an option of restore)"
	[ ! -e "$T/img" ] || fail "a refused checkpoint made its image directory"
	assert_eq "$(status_of "$ID")" created "status"
}

@test "checkpoint: flags that need one another, a bad --page-server, --status-fd or --manage-cgroups-mode, an --image-path that is a file: refused by name" {
	_need_criu_build
	_sleeper "$ID"
	local pid
	pid=$(pid_of "$ID")
	run --separate-stderr moat checkpoint --image-path "$T/img" --lazy-pages "$ID"
	assert_error "--lazy-pages: the memory is served by a page server: it needs --page-server ADDRESS:PORT, and no --pre-dump"
	run --separate-stderr moat checkpoint --image-path "$T/img" --lazy-pages --pre-dump --page-server 127.0.0.1:27 "$ID"
	assert_error "and no --pre-dump"
	run --separate-stderr moat checkpoint --image-path "$T/img" --status-fd 2 "$ID"
	assert_error "--status-fd: it says when lazy pages are served: only with --lazy-pages"
	run --separate-stderr moat checkpoint --image-path "$T/img" --lazy-pages --page-server 127.0.0.1:27 --status-fd 99 "$ID"
	assert_error "--status-fd 99: not an fd open for writing"
	run --separate-stderr moat checkpoint --image-path "$T/img" --lazy-pages --page-server 127.0.0.1:27 --status-fd 0 "$ID" </dev/null
	assert_error "--status-fd 0: not an fd open for writing"
	run --separate-stderr moat checkpoint --image-path "$T/img" --status-fd x "$ID"
	assert_error "checkpoint: --status-fd: \`x\` is not an fd"
	local ps
	for ps in 27 :27 127.0.0.1: 127.0.0.1:0 127.0.0.1:65536 127.0.0.1:2x; do
		run --separate-stderr moat checkpoint --image-path "$T/img" --page-server "$ps" "$ID"
		assert_error "--page-server: \`$ps\` is not ADDRESS:PORT"
	done
	# a container in the host's network namespace has none to leave empty
	cfg 'del(.linux.namespaces[] | select(.type == "network"))'
	_sleeper "$ID-h"
	run --separate-stderr moat checkpoint --image-path "$T/img" --empty-ns network "$ID-h"
	assert_error "--empty-ns network: container \"$ID-h\" has no network namespace of its own (it has none)"
	run --separate-stderr moat checkpoint --image-path "$T/img" --empty-ns pid "$ID"
	assert_error "--empty-ns: \`pid\` cannot be left empty (only network can)"
	run --separate-stderr moat checkpoint --image-path "$T/img" --manage-cgroups-mode loose "$ID"
	assert_error "--manage-cgroups-mode: unknown mode \`loose\` (soft, full, strict or ignore)"
	[ ! -e "$T/img" ] || fail "a refused checkpoint made its image directory"
	: >"$T/file"
	run --separate-stderr moat checkpoint --image-path "$T/file" "$ID"
	assert_error "--image-path: \`$T/file\` is not a directory"
	mkdir "$T/img"
	run --separate-stderr moat checkpoint --image-path "$T/img" --work-path "$T/file" "$ID"
	assert_error "--work-path: \`$T/file\` is not a directory"
	run --separate-stderr moat checkpoint --image-path "$T/img" --parent-path ../no-such "$ID"
	assert_error "--parent-path: \`../no-such\` (relative to the image path \`$T/img\`)"
	assert_eq "$(status_of "$ID")" running "status"
	assert_eq "$(pid_of "$ID")" "$pid" "pid"
}

@test "checkpoint: a criu too old is refused before anything is made; one that fails leaves the container running" {
	_need_criu_build
	_sleeper "$ID"
	local pid
	pid=$(pid_of "$ID")
	FAKE_CRIU_VERSION=3.10.0 run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --image-path "$T/img" "$ID"
	assert_error "criu: \`$FAKE_CRIU\` is version 3.10.0, moat needs 3.15 or newer"
	[ ! -e "$T/img" ] || fail "checkpoint made its image directory for a criu too old"
	FAKE_CRIU_LOG=$T/requests run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --image-path "$T/img" "$ID"
	assert_error "criu dump failed"
	assert_contains "$stderr" "its log: $T/img/dump.log"
	assert_eq "$(tr '\n' ' ' <"$T/requests")" "VERSION DUMP " "the requests libcriu made"
	FAKE_CRIU_LOG=$T/requests run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --pre-dump --image-path "$T/img" "$ID"
	assert_error "criu pre-dump failed"
	assert_eq "$(tail -n 1 "$T/requests")" SINGLE_PRE_DUMP "a pre-dump's request"
	assert_eq "$(status_of "$ID")" running "status"
	assert_eq "$(pid_of "$ID")" "$pid" "pid"
	[ ! -e "$T/img/moat-checkpoint.json" ] || fail "a failed dump has moat's record"
	# --criu by name, found in $PATH
	mkdir "$T/bin"
	ln -s "$FAKE_CRIU" "$T/bin/criu-fake"
	FAKE_CRIU_VERSION=3.1.0 PATH=$T/bin:$PATH run --separate-stderr moat --criu criu-fake checkpoint --image-path "$T/img" "$ID"
	assert_error "criu: \`$T/bin/criu-fake\` is version 3.1.0"
}

@test "checkpoint: a criu that cannot run on this kernel is said, the container runs on" {
	_need_criu_build
	command -v criu >/dev/null || fail "criu is not installed (contrib/install-deps.sh)"
	criu check >/dev/null 2>&1 && skip "criu works on this kernel: vm-criu.bats checkpoints for real here"
	_sleeper "$ID"
	run --separate-stderr moat checkpoint --image-path "$T/img" "$ID"
	assert_error "criu dump failed: "
	assert_contains "$stderr" "its log: $T/img/dump.log"
	assert_eq "$(status_of "$ID")" running "status"
}

@test "restore: --image-path missing, not a directory, without a checkpoint of moat's: refused, nothing left" {
	_need_criu_build
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/img\`: No such file or directory"
	[ ! -e "$T/img" ] || fail "restore made its image directory"
	: >"$T/file"
	run --separate-stderr moat restore -d --image-path "$T/file" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/file\` is not a directory"
	mkdir "$T/img"
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/img\` holds no checkpoint of moat's (moat-checkpoint.json)"
	echo '{"id": 3}' >"$T/img/moat-checkpoint.json"
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/img/moat-checkpoint.json\`: "
	# the restored processes are born in moat's cgroup: CRIU places none
	run --separate-stderr moat restore -d --manage-cgroups-mode soft --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "restore: --manage-cgroups-mode soft: the restored processes are born in the cgroup moat made, with the config's limits; CRIU places none (only ignore)"
	run --separate-stderr moat restore --parent-path x --image-path "$T/img" "$ID"
	assert_error "restore: unknown option \`--parent-path\` (an option of checkpoint)"
	# the systemd driver's scope is made by the process it moves in: not
	# the restore helper's to make, yet
	if "$MOAT" --version | grep -q '+SYSTEMD'; then
		run --separate-stderr moat --systemd-cgroup restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
		assert_error "restore: the systemd cgroup driver is not supported by restore yet"
	fi
	assert_nothing_left "$ID"
}

@test "restore: an image of another container, a terminal without --console-socket, a criu too old: refused, nothing left" {
	_need_criu_build
	mkdir "$T/img"
	# what checkpoint records of a container with a bind mount at /data
	cat >"$T/img/moat-checkpoint.json" <<-EOF
	{"id": "other", "terminal": false, "netExternal": false, "pidExternal": false,
	 "externalMounts": [{"key": "/data", "node": null}], "stdio": [null, null, null]}
	EOF
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "the checkpoint of container \"other\" has a bind mount at \`/data\` that this bundle's config does not have"
	assert_nothing_left "$ID"
	# a host node is bound from the record: a device of /dev only
	jq '.externalMounts = [{"key": "/x", "node": "/dev/../etc"}]' "$T/img/moat-checkpoint.json" >"$T/rec"
	mv "$T/rec" "$T/img/moat-checkpoint.json"
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "externalMounts[0]: not an absolute path (or a node outside /dev)"
	# only /dev/null, and only on a masked path of the config: not the
	# host's terminal on one, not /dev/null elsewhere
	local node key
	for node in /dev/shm:/x /dev/pts/0:/proc/kcore /dev/null:/x /dev/sda:/proc/kcore; do
		key=${node#*:} node=${node%%:*}
		jq --arg n "$node" --arg k "$key" '.externalMounts = [{"key": $k, "node": $n}]' "$T/img/moat-checkpoint.json" >"$T/rec"
		mv "$T/rec" "$T/img/moat-checkpoint.json"
		run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
		assert_error "the checkpoint binds the host's \`$node\` on \`$key\`, which is not a masked path of this bundle's config (only /dev/null is bound there)"
	done
	assert_nothing_left "$ID"
	# a directory another user can write, a record that is not a file
	chmod 0775 "$T/img"
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/img\` must be owned by uid 0 and writable by no one else"
	chmod 0700 "$T/img"
	mkdir "$T/img2"
	mkfifo "$T/img2/moat-checkpoint.json"
	run --separate-stderr moat restore -d --image-path "$T/img2" --bundle "$BUNDLE" "$ID"
	assert_error "--image-path: \`$T/img2/moat-checkpoint.json\` is not a regular file"
	assert_nothing_left "$ID"
	jq '.externalMounts = [] | .terminal = true' "$T/img/moat-checkpoint.json" >"$T/rec"
	mv "$T/rec" "$T/img/moat-checkpoint.json"
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "does not fit this bundle's config: process.terminal differs"
	cfg '.process.terminal = true'
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "needs --console-socket"
	assert_nothing_left "$ID"
	cfg '.process.terminal = false'
	jq '.terminal = false' "$T/img/moat-checkpoint.json" >"$T/rec"
	mv "$T/rec" "$T/img/moat-checkpoint.json"
	FAKE_CRIU_VERSION=3.14.9 run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "is version 3.14.9, moat needs 3.15 or newer"
	[ ! -e "$T/img/restore.log" ] || fail "restore ran CRIU"
	assert_nothing_left "$ID"
}

@test "restore: CRIU failing leaves no state, cgroup, mount or process" {
	_need_criu_build
	mkdir "$T/img"
	echo '{"id": "'"$ID"'", "externalMounts": [], "stdio": [null, null, null]}' >"$T/img/moat-checkpoint.json"
	FAKE_CRIU_LOG=$T/requests run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --pid-file "$T/pid" --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "criu restore failed"
	assert_eq "$(tr '\n' ' ' <"$T/requests")" "VERSION RESTORE " "the requests libcriu made"
	[ ! -e "$T/pid" ] || fail "a failed restore wrote its pid file"
	assert_nothing_left "$ID"
	# a stopped container of the id gives way; a running one does not
	_sleeper "$ID-r"
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-r"
	assert_error "container \"$ID-r\" exists and is not stopped"
	assert_eq "$(status_of "$ID-r")" running "status of the running container"
}

@test "checkpoint and restore: a container with a user namespace is refused (not supported), the container runs on" {
	_need_criu_build
	set_args '["sleep", "1000"]'
	run_d_ok "$ID" --userns auto
	run --separate-stderr moat checkpoint --image-path "$T/img" "$ID"
	assert_error "cannot checkpoint container \"$ID\": it has a user namespace (not supported by this version of moat)"
	[ ! -e "$T/img" ] || fail "a refused checkpoint made its image directory"
	assert_eq "$(status_of "$ID")" running "status"
	mkdir "$T/img"
	echo '{"id": "'"$ID"'", "externalMounts": [], "stdio": [null, null, null]}' >"$T/img/moat-checkpoint.json"
	cfg '.linux.namespaces += [{"type": "user"}]'
	run --separate-stderr moat restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID-b"
	assert_error "a container with a user namespace cannot be restored"
	assert_nothing_left "$ID-b"
}

@test "checkpoint and restore: --empty-ns, --lazy-pages, --page-server, --status-fd and the LSM label reach CRIU's request" {
	_need_criu_build
	_sleeper "$ID"
	# the page server's readiness (a notification of CRIU's) said on
	# --status-fd as a byte 0
	local w line
	exec {w}>"$T/status"
	FAKE_CRIU_OPTS=$T/opts run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --image-path "$T/img" \
		--lazy-pages --page-server 127.0.0.1:27 --status-fd "$w" --empty-ns network "$ID"
	exec {w}>&-
	assert_error "criu dump failed"
	assert_eq "$(od -An -tx1 "$T/status" | tr -d ' ')" 00 "what --status-fd got"
	line=$(grep '^DUMP ' "$T/opts")
	assert_contains "$line" 'lazy_pages: true'
	assert_contains "$line" 'ps { address: "127.0.0.1" port: 27 }'
	assert_contains "$line" 'empty_ns: 1073741824'
	assert_contains "$line" "pid: $(pid_of "$ID")"
	# no userfaultfd for CRIU: said before anything is made
	rm -rf "$T/img"
	FAKE_CRIU_LAZY=0 run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --image-path "$T/img" --lazy-pages --page-server 127.0.0.1:27 "$ID"
	assert_error "--lazy-pages: criu cannot do lazy pages on this host"
	[ ! -e "$T/img" ] || fail "checkpoint made its image directory"
	assert_eq "$(status_of "$ID")" running "status"

	mkdir "$T/rimg"
	echo '{"id": "'"$ID"'", "netEmpty": true, "externalMounts": [], "stdio": [null, null, null]}' >"$T/rimg/moat-checkpoint.json"
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "holds no network namespace (it was made with --empty-ns network): restore it with --empty-ns network"
	# the config's label is what the restored processes get; a flag may
	# only say the same
	cfg '.process.apparmorProfile = "moat-test-profile"'
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --lsm-profile apparmor:other --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	if "$MOAT" features | jq -e '.linux.apparmor.enabled' >/dev/null; then
		assert_error "--lsm-profile: \`apparmor:other\` is not the label of the config (\`apparmor:moat-test-profile\`)"
	else
		assert_error "process.apparmorProfile: AppArmor is not enabled on this host"
	fi
	cfg 'del(.process.apparmorProfile)'
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --lsm-profile none:x --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "--lsm-profile: \`none:x\` is not apparmor:NAME or selinux:LABEL"
	cfg '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --lsm-mount-context x --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "--lsm-mount-context: \`x\` is not the config's linux.mountLabel (\`system_u:object_r:container_file_t:s0:c1,c2\`)"
	assert_nothing_left "$ID-r"
	FAKE_CRIU_OPTS=$T/ropts run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --lazy-pages \
		--lsm-profile selinux:system_u:system_r:container_t:s0 --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "criu restore failed"
	line=$(grep '^RESTORE ' "$T/ropts")
	assert_contains "$line" 'lazy_pages: true'
	assert_contains "$line" 'empty_ns: 1073741824'
	assert_contains "$line" 'lsm_profile: "selinux:system_u:system_r:container_t:s0"'
	assert_contains "$line" 'lsm_mount_context: "system_u:object_r:container_file_t:s0:c1,c2"'
	assert_contains "$line" 'rst_sibling: true'
	assert_nothing_left "$ID-r"
	# CRIU's tasks would be seen from a pid namespace joined by path
	# before they are the container's
	unshare --pid --fork --kill-child sleep 1000 </dev/null >/dev/null 2>&1 &
	local holder=$!
	helper_pid "$holder"
	cfg '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' --arg p "/proc/$holder/ns/pid_for_children"
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "linux.namespaces: restore into a pid namespace joined by path is not supported"
	assert_nothing_left "$ID-r"
	cfg '.linux.namespaces |= map(if .type == "pid" then del(.path) else . end)'
	# a bundle without a network namespace of its own has none to make empty
	cfg 'del(.linux.namespaces[] | select(.type == "network"))'
	run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --empty-ns network --image-path "$T/rimg" --bundle "$BUNDLE" "$ID-r"
	assert_error "--empty-ns network: this bundle's config has no network namespace of its own to make empty"
	assert_nothing_left "$ID-r"
}

@test "restore: a config the policy refuses is refused before the stopped container of the id is deleted" {
	_need_criu_build
	create_ok "$ID"
	run --separate-stderr moat kill "$ID" KILL
	assert_status 0
	wait_status "$ID" stopped
	mkdir "$T/img"
	echo '{"id": "'"$ID"'", "externalMounts": [], "stdio": [null, null, null]}' >"$T/img/moat-checkpoint.json"
	printf '{"mode": "enforce"}\n' >"$T/policy.json"
	run --separate-stderr moat_bare --policy "$T/policy.json" --root "$ROOT" --criu "$FAKE_CRIU" restore -d --image-path "$T/img" --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy"
	assert_eq "$(status_of "$ID")" stopped "status of the stopped container"
}

@test "checkpoint and restore: the flags both take reach CRIU's request" {
	_need_criu_build
	_sleeper "$ID"
	local f line
	FAKE_CRIU_OPTS=$T/opts run --separate-stderr moat --criu "$FAKE_CRIU" checkpoint --image-path "$T/img" --work-path "$T/work" \
		--leave-running --tcp-established --ext-unix-sk --shell-job --file-locks --auto-dedup --manage-cgroups-mode full "$ID"
	assert_error "criu dump failed"
	assert_contains "$stderr" "its log: $T/work/dump.log"
	line=$(grep '^DUMP ' "$T/opts")
	for f in leave_running tcp_established ext_unix_sk shell_job file_locks auto_dedup manage_cgroups notify_scripts; do
		assert_contains "$line" "$f: true"
	done
	assert_contains "$line" 'manage_cgroups_mode: FULL'
	assert_contains "$line" 'log_file: "dump.log"'
	mkdir "$T/rimg"
	echo '{"id": "'"$ID"'", "externalMounts": [], "stdio": [null, null, null]}' >"$T/rimg/moat-checkpoint.json"
	FAKE_CRIU_OPTS=$T/ropts run --separate-stderr moat --criu "$FAKE_CRIU" restore -d --image-path "$T/rimg" --work-path "$T/rwork" \
		--tcp-established --ext-unix-sk --shell-job --file-locks --auto-dedup --manage-cgroups-mode ignore --bundle "$BUNDLE" "$ID-r"
	assert_error "criu restore failed"
	assert_contains "$stderr" "its log: $T/rwork/restore.log"
	line=$(grep '^RESTORE ' "$T/ropts")
	for f in tcp_established ext_unix_sk shell_job file_locks auto_dedup rst_sibling notify_scripts; do
		assert_contains "$line" "$f: true"
	done
	assert_contains "$line" 'manage_cgroups_mode: IGNORE'
	assert_nothing_left "$ID-r"
	assert_eq "$(status_of "$ID")" running "status"
}
