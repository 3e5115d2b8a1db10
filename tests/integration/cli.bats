#!/usr/bin/env bats
# The command line: --version, --help, global options, features, spec, and
# the cgroup manager options.

load helpers

@test "--version" {
	run --separate-stderr moat_bare --version
	assert_status 0
	assert_contains "$output" "moat version "
	assert_contains "$output" "spec: 1.3.0"
	assert_contains "$output" "commit:"
	[[ "${lines[0]}" =~ ^moat\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "first line: ${lines[0]}"
	run --separate-stderr moat_bare -v
	assert_status 0
	assert_contains "$output" "moat version "
}

@test "--version's feature line says what this build does, as features and the commands do" {
	run --separate-stderr moat_bare --version
	assert_status 0
	local line=${lines[3]} features
	[[ "$line" =~ ^[+-]CAP\ [+-]YAJL\ [+-]SECCOMP\ [+-]SELINUX\ [+-]APPARMOR\ [+-]CRIU\ [+-]SYSTEMD$ ]] ||
		fail "feature line: $line"
	features=$(moat_bare features)
	assert_contains "$line" "+SECCOMP"
	assert_eq "$(jq .linux.seccomp.enabled <<<"$features")" true "features: seccomp"
	# a host can enable only what was built
	local lsm
	for lsm in selinux apparmor; do
		if [[ " $line " == *" -${lsm^^} "* ]]; then
			assert_eq "$(jq ".linux.$lsm.enabled" <<<"$features")" false "features: $lsm, not built"
		fi
	done
	if [[ "$line" == *-SYSTEMD* ]]; then
		assert_eq "$(jq .linux.cgroup.systemd <<<"$features")" false "features: systemd"
		run --separate-stderr moat --cgroup-manager systemd create --bundle "$BUNDLE" "$ID"
		assert_error "systemd"
	else
		assert_eq "$(jq .linux.cgroup.systemd <<<"$features")" true "features: systemd"
	fi
	if [[ "$line" == *-CRIU* ]]; then
		set_args '["sleep", "100"]'
		run_d_ok "$ID"
		run --separate-stderr moat checkpoint --image-path "$T/img" --leave-running "$ID"
		assert_error "checkpoint: "
		assert_eq "$(status_of "$ID")" running "status after the refused checkpoint"
	fi
}

@test "checkpoint and restore: runc's flags taken, the container checked; without libcriu refused as not supported" {
	run --separate-stderr moat_bare --version
	local built=${lines[3]}
	run --separate-stderr moat checkpoint --image-path "$T/img" "no-such-$ID"
	assert_error "container \"no-such-$ID\" does not exist"
	run --separate-stderr moat checkpoint --bundle "$BUNDLE" "$ID"
	assert_error "checkpoint: unknown option \`--bundle\` (an option of restore)"
	run --separate-stderr moat restore --image-path "$T/img" --bundle "$BUNDLE" -d "$ID"
	if [[ "$built" == *+CRIU* ]]; then
		# checkpoint.bats and vm-criu.bats test the rest
		assert_error "--image-path: \`$T/img\`: No such file or directory"
	else
		assert_error "restore: this moat was built without libcriu"
	fi
	[ ! -e "$T/img" ] || fail "restore made its image directory"
	assert_nothing_left "$ID"
}

@test "--criu is refused where moat cannot checkpoint, and must name an executable file" {
	run --separate-stderr moat_bare --version
	if [[ "${lines[3]}" == *-CRIU* ]]; then
		run --separate-stderr moat --criu sh list
		assert_error "--criu: "
		assert_eq "$output" "" "stdout"
		return
	fi
	run --separate-stderr moat --criu "$T/no-such-criu" state "$ID"
	assert_error "--criu: \`$T/no-such-criu\`: No such file or directory"
	run --separate-stderr moat --criu "$T" state "$ID"
	assert_error "is not an executable file"
	run --separate-stderr moat --criu "no-such-criu-$ID" state "$ID"
	assert_error "is not found in \$PATH"
	run --separate-stderr moat --criu sh list
	assert_status 0
}

@test "--help and -h" {
	run --separate-stderr moat_bare --help
	assert_status 0
	assert_contains "$output" "Usage: moat"
	local c
	for c in spec create start run state kill delete list features; do
		assert_contains "$output" "  $c " "--help"
	done
	run --separate-stderr moat_bare -h
	assert_status 0
	assert_contains "$output" "Usage: moat"
}

@test "every subcommand has --help, exit 0, and touches nothing" {
	local c
	mkdir -p "$T/h"
	cd "$T/h"
	for c in spec create start run state kill delete list features; do
		run --separate-stderr moat "$c" --help
		assert_status 0
		assert_contains "$output" "Usage: moat $c" "$c --help"
		assert_eq "$stderr" "" "stderr of $c --help"
		run --separate-stderr moat "$c" -h
		assert_status 0
		assert_contains "$output" "Usage: moat $c" "$c -h"
	done
	[ ! -e "$T/h/config.json" ] || fail "spec --help wrote config.json"
	assert_eq "$(ls -A "$ROOT" 2>/dev/null)" "" "state directory"
}

@test "no command: usage on stderr, exit 1" {
	run --separate-stderr moat_bare
	[ "$status" -ne 0 ] || fail "moat without a command exited 0"
	assert_contains "$output$stderr" "Usage"
}

@test "--root X and --root=X both work" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat_bare --root "$T/r1" create --bundle "$BUNDLE" "$ID"
	assert_status 0
	echo "$(moat_bare --root "$T/r1" state "$ID" | jq -r .pid)" >>"$T/.pids.$ID"
	[ -f "$T/r1/$ID/state.json" ] || fail "no state under $T/r1"
	run --separate-stderr moat_bare --root="$T/r1" state "$ID"
	assert_status 0
	assert_eq "$(jq -r .status <<<"$output")" created "status via --root="
	run --separate-stderr moat_bare --root="$T/r1" list -q
	assert_eq "$output" "$ID" "list via --root="
	# another root does not see it
	run --separate-stderr moat_bare --root "$T/r2" state "$ID"
	assert_error "does not exist"
	run --separate-stderr moat_bare --root="$T/r1" delete -f "$ID"
	assert_status 0
	[ ! -e "$T/r1/$ID" ] || fail "state left under $T/r1"
	ROOT=$T/r1 assert_nothing_left "$ID"
}

@test "--log-format=json and --log=FILE forms" {
	run --separate-stderr moat --log="$T/l.json" --log-format=json state "$ID"
	assert_error "does not exist"
	assert_eq "$(jq -r .level "$T/l.json")" error "level"
	assert_eq "$(wc -l <"$T/l.json")" 1 "lines"
}

@test "--debug and --log-level are accepted" {
	run --separate-stderr moat --debug list -q
	assert_status 0
	run --separate-stderr moat --log-level debug list -q
	assert_status 0
	run --separate-stderr moat --log-level=error list -q
	assert_status 0
	run --separate-stderr moat --log-level loud list -q
	assert_error "log-level"
}

@test "--rootless false and auto are accepted; a bad value is refused" {
	run --separate-stderr moat --rootless false list -q
	assert_status 0
	run --separate-stderr moat --rootless auto list -q
	assert_status 0
	run --separate-stderr moat --rootless maybe list -q
	assert_error "rootless"
}

@test "the default root is /run/moat for root" {
	run --separate-stderr moat_bare --help
	assert_contains "$output" "/run/moat"
}

@test "options after the id are refused" {
	run --separate-stderr moat create "$ID" --bundle "$BUNDLE"
	assert_error "--bundle"
	assert_nothing_left "$ID"
}

# ---- features ------------------------------------------------------------------------

@test "features: valid JSON with versions and all 8 namespaces" {
	run --separate-stderr moat features
	assert_status 0
	jq -e . <<<"$output" >/dev/null || fail "features is not JSON: $output"
	[[ "$(jq -r .ociVersionMin <<<"$output")" =~ ^1\.[0-9]+\.[0-9]+$ ]] || fail "ociVersionMin: $(jq -r .ociVersionMin <<<"$output")"
	assert_eq "$(jq -r .ociVersionMax <<<"$output")" 1.3.0 "ociVersionMax"
	local ns
	for ns in pid network mount ipc uts user cgroup time; do
		jq -e --arg n "$ns" '.linux.namespaces | index($n) != null' <<<"$output" >/dev/null ||
			fail "linux.namespaces lacks $ns: $(jq -c .linux.namespaces <<<"$output")"
	done
	assert_eq "$(jq '.linux.namespaces | length' <<<"$output")" 8 "number of namespaces"
	jq -e '.mountOptions | index("rbind") != null and index("ro") != null' <<<"$output" >/dev/null ||
		fail "mountOptions lacks rbind/ro: $(jq -c .mountOptions <<<"$output")"
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<<"$output" >/dev/null ||
		fail "capabilities lacks CAP_SYS_ADMIN"
}

# ---- spec ----------------------------------------------------------------------------

@test "spec --bundle writes a config.json that parses and refuses to overwrite it" {
	mkdir -p "$T/new"
	run --separate-stderr moat spec --bundle "$T/new"
	assert_status 0
	[ -f "$T/new/config.json" ] || fail "no config.json written"
	jq -e . "$T/new/config.json" >/dev/null || fail "config.json is not JSON"
	assert_eq "$(jq -r .ociVersion "$T/new/config.json")" 1.3.0 "ociVersion"
	assert_eq "$(jq -r .root.path "$T/new/config.json")" rootfs "root.path"
	assert_eq "$(jq -c .process.args "$T/new/config.json")" '["sh"]' "process.args"
	local sum
	sum=$(md5sum <"$T/new/config.json")
	run --separate-stderr moat spec -b "$T/new"
	assert_error "config.json"
	assert_eq "$(md5sum <"$T/new/config.json")" "$sum" "config.json after the refused overwrite"
}

@test "spec in the current directory" {
	mkdir -p "$T/cwd"
	cd "$T/cwd"
	run --separate-stderr moat spec
	assert_status 0
	jq -e . "$T/cwd/config.json" >/dev/null || fail "no valid config.json in the current directory"
}

# the runtime-spec JSON schema, as Debian ships it
_SCHEMA=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema

# _valid CONFIG: CONFIG passes the OCI runtime-spec JSON schema
_valid() {
	[ -f "$_SCHEMA/config-schema.json" ] ||
		fail "no runtime-spec schema in $_SCHEMA (golang-github-opencontainers-specs-dev: contrib/install-deps.sh)"
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
		fail "no python3-jsonschema (contrib/install-deps.sh)"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/validate-config.py" "$_SCHEMA" "$1"
	[ "$status" -eq 0 ] || fail "$1 does not pass the runtime-spec schema: $output"
}

@test "spec: the config passes the runtime-spec JSON schema (and a broken one does not)" {
	mkdir -p "$T/a" "$T/b"
	moat spec --bundle "$T/a"
	moat spec --rootless --bundle "$T/b"
	_valid "$T/a/config.json"
	_valid "$T/b/config.json"
	# the check can fail
	jq '.process.user.uid = "x"' "$T/a/config.json" >"$T/bad.json"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/validate-config.py" "$_SCHEMA" "$T/bad.json"
	assert_status 1
	assert_contains "$output" "process/user/uid"
}

@test "spec: hardened: a user namespace without mappings, a user that is not root, no capabilities, the default profile" {
	mkdir -p "$T/h"
	moat spec --bundle "$T/h"
	local c=$T/h/config.json
	assert_eq "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" \
		'["cgroup","ipc","mount","network","pid","user","uts"]' "namespaces"
	assert_eq "$(jq -c '[.linux.uidMappings, .linux.gidMappings]' "$c")" '[null,null]' "mappings (moat makes them)"
	assert_eq "$(jq -c .process.user "$c")" '{"uid":1000,"gid":1000}' "process.user"
	assert_eq "$(jq -c '[.process.capabilities.effective, .process.capabilities.permitted]' "$c")" '[[],[]]' "effective, permitted"
	assert_eq "$(jq -c '[.process.noNewPrivileges, .root.readonly]' "$c")" '[true,true]' "no_new_privs, read-only root"
	assert_eq "$(jq -r .linux.seccomp.defaultAction "$c")" SCMP_ACT_ERRNO "seccomp default action"
	assert_eq "$(jq -c '.mounts[] | select(.destination == "/tmp") | .options | map(select(. == "noexec" or . == "nosuid" or . == "nodev")) | sort' "$c")" \
		'["nodev","noexec","nosuid"]' "/tmp options"
	mkdir -p "$T/r"
	moat spec --rootless --bundle "$T/r"
	assert_eq "$(jq -c .linux.resources "$T/r/config.json")" null "--rootless: no limits"
	assert_eq "$(jq -c 'del(.linux.resources)' "$c")" "$(jq -c . "$T/r/config.json")" "--rootless: the same config but for limits"
}

# _cgroup_file PID CONTROLLER FILE: FILE of the cgroup of PID that has
# CONTROLLER (a v1 hierarchy's, else the unified one's), as the host sees it
_cgroup_file() {
	local line mnt
	line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup")
	if [ -n "$line" ]; then
		mnt=$(findmnt -n -o TARGET -t cgroup -O "$2" | head -n 1)
	else
		line=$(grep '^0::' "/proc/$1/cgroup")
		mnt=$(findmnt -n -o TARGET -t cgroup2 | head -n 1)
	fi
	cat "$mnt${line#*:*:}/$3"
}

@test "spec: the hardened config runs as root, and the kernel shows each hardening from outside" {
	rm "$CFG"
	moat spec --bundle "$BUNDLE"
	_valid "$CFG"
	local start
	start=$(awk -F: '$1 == "containers" { print $2; exit }' /etc/subuid)
	[ -n "$start" ] || fail "no range for containers in /etc/subuid (contrib/install-deps.sh adds one)"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid hostuid
	pid=$(pid_of "$ID")
	read -r _ hostuid _ <"/proc/$pid/uid_map"
	[ "$hostuid" -ge "$start" ] || fail "uid_map from $hostuid, below the containers range at $start"
	local u=$((hostuid + 1000))
	assert_eq "$(proc_status_field "$pid" Uid)" "$u $u $u $u" "the process's host uid (container uid 1000)"
	assert_eq "$(proc_status_field "$pid" CapEff)" 0000000000000000 CapEff
	assert_eq "$(proc_status_field "$pid" CapPrm)" 0000000000000000 CapPrm
	assert_eq "$(proc_status_field "$pid" CapBnd)" "$(cap_mask 29 5 10)" "CapBnd (AUDIT_WRITE, KILL, NET_BIND_SERVICE)"
	assert_eq "$(proc_status_field "$pid" NoNewPrivs)" 1 NoNewPrivs
	assert_eq "$(proc_status_field "$pid" Seccomp)" 2 Seccomp
	awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo" | grep -qE '(^|,)ro(,|$)' || fail "the root is not read-only"
	awk '$5 == "/tmp" { print $6 }' "/proc/$pid/mountinfo" | grep -qE '(^|,)noexec(,|$)' || fail "/tmp is not noexec"
	if [ "$(jq -r '.linux.resources.pids.limit' "$CFG")" != null ]; then
		assert_eq "$(_cgroup_file "$pid" pids pids.max)" "$(jq -r '.linux.resources.pids.limit' "$CFG")" "pids.max"
	fi
	# what the kernel then refuses: a program in /tmp, writing the root
	run --separate-stderr moat exec "$ID" sh -c 'cp /bin/busybox /tmp/bb && /tmp/bb true; echo "tmp:$?"; touch /made 2>/dev/null; echo "root:$?"; id -u'
	assert_status 0
	assert_eq "$output" "tmp:126
root:1
1000" "exec in /tmp, a write to the root, the uid"
}

@test "spec --help does not write anything" {
	mkdir -p "$T/h"
	cd "$T/h"
	run --separate-stderr moat spec --help
	assert_status 0
	[ ! -e "$T/h/config.json" ] || fail "spec --help wrote config.json"
}

# ---- cgroup manager -------------------------------------------------------------------------

@test "--systemd-cgroup: a clear error and nothing left" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	assert_error "systemd"
	assert_nothing_left "$ID"
}

@test "--cgroup-manager systemd: a clear error and nothing left" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat --cgroup-manager systemd create --bundle "$BUNDLE" "$ID"
	assert_error "systemd"
	assert_nothing_left "$ID"
}

@test "--cgroup-manager with a bad value" {
	run --separate-stderr moat --cgroup-manager frob list
	assert_error "cgroup-manager"
}

@test "--cgroup-manager cgroupfs: the default placement" {
	set_args '["sleep", "100"]'
	run --separate-stderr moat --cgroup-manager cgroupfs run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	grep -qx "0::/moat/$ID" "/proc/$(pid_of "$ID")/cgroup" || fail "not in moat/$ID"
}

@test "--cgroup-manager disabled: runs with no cgroup created" {
	set_args '["sleep", "100"]'
	local mine
	mine=$(grep '^0::' /proc/self/cgroup)
	run --separate-stderr moat --cgroup-manager disabled run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(status_of "$ID")" running "status"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "cgroup directory created"
	# the init stays in the caller's cgroup
	assert_eq "$(grep '^0::' "/proc/$pid/cgroup")" "$mine" "cgroup of the init"
	run --separate-stderr moat --cgroup-manager disabled delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}
