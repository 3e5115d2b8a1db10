#!/usr/bin/env bats
# The hardening policy (docs/policy.md): each rule found and not found by
# `moat check`; audit (findings as warnings, the container runs), enforce
# (create refuses before anything, listing every finding), exemptions,
# malformed policies; what Podman's config yields, and an enforce policy
# refusing a privileged container through Podman.

load helpers

# the Podman tests below make Podman's own cgroups (conmon's, its probe):
# removed once empty, as podman.bats removes them
teardown_file() {
	rmdir /sys/fs/cgroup/libpod_parent/conmon /sys/fs/cgroup/libpod_parent \
		/sys/fs/cgroup/podman_probe 2>/dev/null
	return 0
}

# moat with the policy file $T/policy.json (written by _policy)
moatp() {
	moat_bare --policy "$T/policy.json" --root "$ROOT" "$@"
}

# _policy JSON: the policy file of this test
_policy() {
	printf '%s\n' "$1" >"$T/policy.json"
}

# the rules `moat check` finds in the bundle's config, sorted, one line
_rules() {
	moat_bare check --policy "$T/policy.json" --format json "$BUNDLE" | jq -r '[.findings[].rule] | unique | join(" ")'
}

# the hardened config of moat spec, with limits (the test lane's cgroups
# lack the controllers moat spec would add them for): no finding at all
_clean_config() {
	rm "$CFG"
	moat spec --bundle "$BUNDLE"
	cfg '.linux.resources = {"pids": {"limit": 100}, "memory": {"limit": 268435456}}'
}

@test "check: moat spec's config, with limits, has no finding; exit status 0" {
	_policy '{}'
	_clean_config
	run --separate-stderr moat_bare check --policy "$T/policy.json" "$BUNDLE"
	assert_status 0
	assert_eq "$output" "0 findings (policy $T/policy.json, mode audit)" "the report"
}

@test "check: each rule is found where the config breaks it, and only it" {
	_policy '{}'
	_clean_config
	cp "$CFG" "$T/clean.json"
	printf '#!/bin/sh\n' >"$T/hook"
	chmod 0777 "$T/hook"
	ln -s / "$T/to-root"
	local cases=(
		"host-namespace|.linux.namespaces |= map(select(.type != \"network\"))"
		"no-user-namespace|.linux.namespaces |= map(select(.type != \"user\"))"
		"root-is-host-root|.linux.uidMappings = [{\"containerID\": 0, \"hostID\": 0, \"size\": 65536}] | .linux.gidMappings = .linux.uidMappings"
		"process-root|.process.user.uid = 0"
		"capabilities|.process.capabilities.bounding += [\"CAP_SYS_ADMIN\"]"
		"no-new-privileges|.process.noNewPrivileges = false"
		"no-seccomp|del(.linux.seccomp)"
		"no-seccomp|.linux.seccomp.defaultAction = \"SCMP_ACT_ALLOW\""
		"writable-rootfs|.root.readonly = false"
		"writable-proc-sys|(.mounts[] | select(.type == \"sysfs\") | .options) |= map(select(. != \"ro\"))"
		"sensitive-bind writable-proc-sys|.mounts += [{\"destination\": \"/hostproc\", \"type\": \"bind\", \"source\": \"/proc/sys\", \"options\": [\"rbind\"]}]"
		"writable-proc-sys|.mounts += [{\"destination\": \"/hostsys\", \"type\": \"bind\", \"source\": \"/sys/kernel\", \"options\": [\"rbind\"]}]"
		"host-namespace|.linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/self/ns/net\" else . end)"
		"root-is-host-root|.linux.uidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}] | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"/etc/\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"/tmp/..\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"$T/to-root\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"../../../../../../../../../etc\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"/proc/1/root\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"/usr/bin\", \"options\": [\"rbind\"]}]"
		"all-devices|.linux.resources.devices = [{\"allow\": true, \"type\": \"b\", \"access\": \"rwm\"}]"
		"all-devices|.linux.resources.devices = [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 1, \"access\": \"rw\"}]"
		"no-seccomp|.linux.seccomp.defaultAction = \"SCMP_ACT_TRACE\""
		"no-seccomp|.linux.seccomp.syscalls += [{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_TRACE\"}]"
		"no-seccomp|.linux.seccomp.syscalls += [{\"names\": [\"open_by_handle_at\"], \"action\": \"SCMP_ACT_ALLOW\"}]"
		"host-hook|.hooks.createContainer = [{\"path\": \"$T/hook\"}]"
		"host-hook|.hooks.poststop = [{\"path\": \"/tmp/moat-no-such-hook-$$\"}]"
		"masked-paths|.linux.maskedPaths -= [\"/proc/kcore\"]"
		"masked-paths|.linux.readonlyPaths -= [\"/proc/sys\"]"
		"all-devices|.linux.resources.devices = [{\"allow\": true, \"access\": \"rwm\"}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/host\", \"type\": \"bind\", \"source\": \"/\", \"options\": [\"rbind\", \"ro\"]}]"
		"sensitive-bind|.mounts += [{\"destination\": \"/d.sock\", \"type\": \"bind\", \"source\": \"/run/containerd/containerd.sock\", \"options\": [\"bind\"]}]"
		"shared-propagation|.linux.rootfsPropagation = \"rshared\""
		"no-pids-limit|del(.linux.resources.pids)"
		"no-memory-limit|del(.linux.resources.memory)"
		"host-hook|.hooks.prestart = [{\"path\": \"$T/hook\"}]"
	)
	local c rule edit
	for c in "${cases[@]}"; do
		rule=${c%%|*} edit=${c#*|}
		jq "$edit" "$T/clean.json" >"$CFG" || fail "jq: $edit"
		assert_eq "$(_rules)" "$rule" "the rules found after: $edit"
	done
	# what is not found: a root-owned hook in a root-owned directory, a
	# read-only bind of the host's programs
	jq '.hooks.prestart = [{"path": "/bin/true"}]' "$T/clean.json" >"$CFG"
	assert_eq "$(_rules)" "" "a hook only root can write"
	jq '.mounts += [{"destination": "/b", "type": "bind", "source": "/usr/bin", "options": ["rbind", "ro"]}]' "$T/clean.json" >"$CFG"
	assert_eq "$(_rules)" "" "a read-only bind of /usr/bin"
}

@test "check: JSON for tools, a config on stdin, status 2 for errors" {
	_policy '{}'
	run --separate-stderr sh -c "jq '.process.user.uid = 0' '$CFG' | '$MOAT' check --policy '$T/policy.json' --format json -"
	assert_status 1
	assert_eq "$(jq -r '.findings[] | select(.rule == "process-root") | [.severity, .path] | join(" ")' <<<"$output")" \
		"medium process.user.uid" "the finding of process-root"
	jq -e '.findings | all(has("rule") and has("severity") and has("path") and has("reason"))' <<<"$output" >/dev/null ||
		fail "a finding lacks a member: $output"
	assert_eq "$(jq -r .mode <<<"$output")" audit "mode"
	run --separate-stderr moat_bare check --policy "$T/policy.json" "$T/nowhere"
	assert_status 2
	assert_contains "$stderr" "config.json"
	echo '{"ociVersion": "1.0.0", "process": 5}' >"$T/bad.json"
	run --separate-stderr sh -c "'$MOAT' check --policy '$T/policy.json' - <'$T/bad.json'"
	assert_status 2
	assert_contains "$stderr" "config on stdin: "
	run --separate-stderr moat_bare check --format yaml "$BUNDLE"
	assert_status 1
	assert_contains "$stderr" "--format: unknown value \`yaml\`"
}

@test "policy: the built-in policy audits: run prints each finding, the container runs" {
	[ ! -e /etc/moat/policy.json ] || skip "this host has a policy of its own in /etc/moat/policy.json"
	set_sh 'echo ran'
	run --separate-stderr moat_bare --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" ran "the container's output"
	local r
	for r in no-user-namespace process-root no-seccomp no-pids-limit no-memory-limit; do
		assert_contains "$stderr" "moat: warning: policy: [$r]"
	done
	assert_nothing_left "$ID"
}

@test "policy: audit findings go to --log (JSON), never to create's stderr" {
	_policy '{"mode": "audit"}'
	set_args '["sleep", "100"]'
	run --separate-stderr moatp create --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$stderr" "" "create's stderr without --log"
	moat delete -f "$ID"
	run --separate-stderr moatp --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$stderr" "" "create's stderr with --log"
	assert_eq "$(jq -r 'select(.level == "warning") | .msg' "$T/log.json" | grep -c '^policy: \[process-root\] process.user.uid')" 1 \
		"the process-root finding in the log: $(cat "$T/log.json")"
	moat delete -f "$ID"
}

@test "policy: enforce refuses a config with findings before anything, naming every one" {
	_policy '{"mode": "enforce"}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy \`$T/policy.json\` (enforce): 5 findings: [no-user-namespace] linux.namespaces"
	local r
	for r in process-root no-seccomp no-pids-limit no-memory-limit; do
		assert_contains "$stderr" "[$r]"
	done
	assert_nothing_left "$ID"
	# the same through create, and in --log
	run --separate-stderr moatp --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$(jq -r 'select(.level == "error") | .msg' "$T/log.json")" "refused by the policy"
	assert_nothing_left "$ID"
}

@test "policy: enforce lets moat spec's hardened config run" {
	_policy '{"mode": "enforce", "rules": {"disable": ["no-pids-limit", "no-memory-limit"]}}'
	rm "$CFG"
	moat spec --bundle "$BUNDLE"
	set_sh 'id -u'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" 1000 "the process's uid"
	assert_eq "$stderr" "" "stderr"
}

@test "policy: rules.disable, rules.capabilities and rules.sensitivePaths change what is found" {
	_clean_config
	cfg '.process.capabilities.bounding += ["CAP_NET_RAW"] | .process.user.uid = 0'
	mkdir -p "$T/secrets"
	cfg '.mounts += [{"destination": "/s", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]' --arg s "$T/secrets"
	_policy '{}'
	assert_eq "$(_rules)" "capabilities process-root" "the built-in rules"
	_policy '{"rules": {"disable": ["process-root"], "capabilities": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"], "sensitivePaths": ["'"$T"'"]}}'
	assert_eq "$(_rules)" "sensitive-bind" "with the file's rules"
	_policy '{"rules": {"capabilities": []}}'
	assert_eq "$(_rules)" "capabilities process-root" "an empty allowlist"
	assert_eq "$(moat_bare check --policy "$T/policy.json" --format json "$BUNDLE" | jq '[.findings[] | select(.rule == "capabilities")] | length')" 4 \
		"every capability of the bounding set found"
}

@test "policy: exemptions: an id pattern, or the annotation the policy names; an annotation alone exempts nothing" {
	cfg '.annotations = {"example.com/exempt": "true"}'
	_policy '{"mode": "enforce"}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy"
	_policy '{"mode": "enforce", "exempt": {"annotation": "example.com/other"}}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy"
	_policy '{"mode": "enforce", "exempt": {"annotation": "example.com/exempt"}}'
	set_sh 'echo ran'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" ran "the exempt container runs"
	assert_contains "$stderr" "[exempt by its annotation]"
	cfg 'del(.annotations)'
	_policy '{"mode": "enforce", "exempt": {"ids": ["it*", "debug-*"]}}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$stderr" "[exempt by its id]"
	run --separate-stderr moatp run --bundle "$BUNDLE" "x$ID"
	assert_error "refused by the policy"
	assert_nothing_left "x$ID"
}

@test "policy: malformed policies are clear errors, and nothing is made" {
	local cases=(
		'{"mode": "enforce"|invalid JSON'
		'{"mdoe": "enforce"}|(top level): unknown key `mdoe`'
		'{"mode": "strict"}|mode: unknown mode `strict` (off, audit, enforce, harden)'
		'{"mode": 3}|mode: expected a string'
		'{"rules": {"disable": ["no-such-rule"]}}|rules.disable[0]: unknown rule `no-such-rule`'
		'{"rules": {"capabilities": ["SYS_ADMIN"]}}|rules.capabilities[0]: `SYS_ADMIN` is not a capability name'
		'{"rules": {"sensitivePaths": ["srv"]}}|rules.sensitivePaths[0]: not an absolute path'
		'{"exempt": {"annotation": ""}}|exempt.annotation: an empty key'
		'{"exempt": {"ids": "x"}}|exempt.ids: expected an array of strings'
		'[]|expected an object, got an array'
	)
	local c
	for c in "${cases[@]}"; do
		_policy "${c%%|*}"
		run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
		assert_error "policy \`$T/policy.json\`: ${c#*|}"
		assert_nothing_left "$ID"
	done
	run --separate-stderr moat_bare --policy "$T/none.json" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_error "policy: open \`$T/none.json\`"
	assert_nothing_left "$ID"
	# other commands do not read it: a broken policy never keeps a
	# container from being deleted
	_policy 'broken'
	run --separate-stderr moatp list
	assert_status 0
}

@test "policy: Podman's config for run --rm IMAGE true has only the findings a user would expect" {
	command -v podman >/dev/null || fail "podman is not installed (contrib/install-deps.sh installs it)"
	local img=localhost/moat-it:latest
	if ! podman image exists "$img"; then
		sh "$BATS_TEST_DIRNAME/../lib/make-bundle.sh" "$T/img" "$MOAT" '["true"]' >/dev/null
		tar -C "$T/img/rootfs" -c . | podman import -q - "$img" >/dev/null
	fi
	printf '[containers]\npids_limit = 0\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$T/containers.conf"
	export CONTAINERS_CONF=$T/containers.conf
	local name=moat-policy-$$
	on_teardown "podman rm -f $name >/dev/null 2>&1"
	podman --runtime "$MOAT" create --name "$name" "$img" true >/dev/null
	podman --runtime "$MOAT" init "$name" >/dev/null
	local bundle
	bundle=$(podman inspect -f '{{.OCIConfigPath}}' "$name")
	_policy '{}'
	run --separate-stderr moat_bare check --policy "$T/policy.json" --format json "$(dirname "$bundle")"
	assert_status 1
	# Debian's Podman 4.3 still grants CAP_MKNOD and CAP_NET_RAW (Docker's
	# old default set, which later Podman dropped): found
	assert_eq "$(jq -r '[.findings[].rule] | unique | join(" ")' <<<"$output")" \
		"capabilities no-memory-limit no-new-privileges no-pids-limit no-user-namespace process-root writable-rootfs" \
		"the rules found in Podman's config"
	assert_eq "$(jq -r '[.findings[] | select(.rule == "capabilities") | .detail | split(" ")[0]] | unique | join(" ")' <<<"$output")" \
		"CAP_MKNOD CAP_NET_RAW" "the capabilities found"
}

@test "policy: through Podman, an enforce policy refuses --privileged with a message Podman shows" {
	command -v podman >/dev/null || fail "podman is not installed (contrib/install-deps.sh installs it)"
	local img=localhost/moat-it:latest
	podman image exists "$img" || skip "the test image is made by the test above"
	printf '[containers]\npids_limit = 0\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' >"$T/containers.conf"
	export CONTAINERS_CONF=$T/containers.conf
	# what Podman's containers need here, and the capabilities it grants
	_policy '{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "no-new-privileges", "writable-rootfs", "no-memory-limit", "no-pids-limit"], "capabilities": ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"]}}'
	run timeout -k 10 120 podman --runtime "$MOAT" --runtime-flag "policy=$T/policy.json" run --rm "$img" true
	assert_status 0
	run timeout -k 10 120 podman --runtime "$MOAT" --runtime-flag "policy=$T/policy.json" run --rm --privileged "$img" true
	[ "$status" -ne 0 ] || fail "the privileged container ran"
	assert_contains "$output" "refused by the policy"
	assert_contains "$output" "[capabilities] process.capabilities.bounding: CAP_SYS_ADMIN is not in the allowed capabilities"
}

# ---- harden ---------------------------------------------------------------------------

# the plain config with what harden fixes broken further, and only that
_breakable_config() {
	cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | .process.noNewPrivileges = false
		| .linux.maskedPaths -= ["/proc/kcore"]'
	_policy '{"mode": "harden", "rules": {"disable": ["process-root", "no-pids-limit", "no-memory-limit"]}, "audit": {"log": "'"$T/audit.log"'"}}'
}

@test "policy: harden makes the safe fixes, says each, and the kernel shows them (exec too)" {
	_breakable_config
	set_args '["sleep", "100"]'
	run --separate-stderr moatp --log "$T/log.json" --log-format json run -d --bundle "$BUNDLE" "$ID"
	assert_status 0
	record_pid "$ID"
	local changes
	changes=$(jq -r 'select(.level == "warning") | .msg' "$T/log.json")
	local c
	for c in "process.noNewPrivileges: set to true" "dropped CAP_SYS_ADMIN from process.capabilities.bounding" \
		"linux.seccomp: the default profile" "added /proc/kcore to linux.maskedPaths" \
		"linux.namespaces: a user namespace of its own, mapped by moat"; do
		assert_contains "$changes" "policy: harden: $c"
	done
	assert_eq "$(jq -r 'select(.event == "create") | [.decision, (.changes | length)] | join(" ")' "$T/audit.log")" \
		"hardened 7" "the trail's create line (7 changes)"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(proc_status_field "$pid" NoNewPrivs)" 1 NoNewPrivs
	assert_eq "$(proc_status_field "$pid" Seccomp)" 2 Seccomp
	assert_eq "$(proc_status_field "$pid" CapBnd)" "$(cap_mask 29 5 10)" "CapBnd without CAP_SYS_ADMIN"
	[ "$(awk 'NR == 1 { print $2 }' "/proc/$pid/uid_map")" != 0 ] || fail "no user namespace of its own: $(cat "/proc/$pid/uid_map")"
	# exec takes the container's kept config: the hardened one
	run --separate-stderr moat exec "$ID" sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t" " "; test -s /proc/kcore && echo kcore || echo kcore-masked'
	assert_status 0
	assert_eq "$output" "NoNewPrivs: 1
Seccomp: 2
kcore-masked" "an exec's process"
	moat delete -f "$ID"
}

@test "policy: harden refuses what it cannot fix, naming it, and leaves nothing" {
	_breakable_config
	cfg '.linux.namespaces |= map(select(.type != "network"))'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy \`$T/policy.json\` (harden): 1 finding: [host-namespace] linux.namespaces: no network namespace"
	assert_contains "$stderr" "harden"
	assert_nothing_left "$ID"
}

@test "policy: harden refuses a config nested deeper than it can rewrite, and leaves nothing" {
	_breakable_config
	# 130 levels in a key moat does not read: the parser takes 256
	local deep='"x"' i
	for ((i = 0; i < 130; i++)); do deep="[$deep]"; done
	jq --argjson d "$deep" '.["org.example.deep"] = $d' "$CFG" >"$CFG.new" && mv "$CFG.new" "$CFG"
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "policy (harden): the config nests deeper than 120 levels: it cannot be rewritten"
	assert_nothing_left "$ID"
}

@test "policy: harden leaves an exempt container as it is" {
	_breakable_config
	_policy '{"mode": "harden", "rules": {"disable": ["process-root", "no-pids-limit", "no-memory-limit"]}, "exempt": {"ids": ["'"$ID"'"]}}'
	set_sh 'grep "^NoNewPrivs:" /proc/self/status | tr -s "\t" " "'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "NoNewPrivs: 0" "the exempt container's no_new_privs"
	assert_not_contains "$stderr" "policy: harden:"
	assert_contains "$stderr" "[exempt by its id]"
}

# ---- the audit trail ------------------------------------------------------------------

# _events FILE: "event id result" per line of the trail
_events() {
	jq -r '[.event, .id, .result] | join(" ")' "$1"
}

@test "audit: a JSON line per create, start, exec, kill and delete, from the policy's audit.log" {
	_policy '{"audit": {"log": "'"$T/audit.log"'"}}'
	set_args '["sleep", "100"]'
	moatp create --bundle "$BUNDLE" "$ID"
	# later commands need no policy: create recorded the trail in the state
	moat start "$ID"
	moat exec "$ID" true
	moat kill "$ID" KILL
	wait_status "$ID" stopped
	moat delete "$ID"
	assert_eq "$(_events "$T/audit.log")" "create $ID ok
start $ID ok
exec $ID ok
kill $ID ok
delete $ID ok" "the events"
	local sha
	sha=$(sha256sum <"$CFG" | cut -d' ' -f1)
	assert_eq "$(jq -r .configSha256 "$T/audit.log" | sort -u)" "$sha" "the config's digest on every line"
	assert_eq "$(jq -r .uid "$T/audit.log" | sort -u)" "$(id -u)" "the caller's uid"
	assert_eq "$(jq -r 'select(.event == "create") | [.decision, (.findings | map(.rule) | join(","))] | join(" ")' "$T/audit.log")" \
		"audited no-user-namespace,process-root,no-seccomp,no-pids-limit,no-memory-limit" "create's decision and findings"
	assert_eq "$(jq -r 'select(.event == "exec") | .detail' "$T/audit.log")" true "exec's program"
	assert_eq "$(jq -r 'select(.event == "kill") | .detail' "$T/audit.log")" "signal 9" "kill's signal"
	jq -e 'select(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$") | not)' "$T/audit.log" >/dev/null &&
		fail "a line without an RFC 3339 time: $(cat "$T/audit.log")"
	assert_eq "$(stat -c %a "$T/audit.log")" 600 "the trail's mode"
}

@test "audit: refusals and failures are recorded; --audit-log names the trail without a policy" {
	_policy '{"mode": "enforce", "audit": {"log": "'"$T/audit.log"'"}}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "refused by the policy"
	assert_eq "$(jq -r '[.event, .result, .decision, (.findings | length)] | join(" ")' "$T/audit.log")" \
		"create error refused 5" "the refused create"
	assert_contains "$(jq -r .error "$T/audit.log")" "refused by the policy"
	run --separate-stderr moat --audit-log "$T/other.log" start "nosuch-$ID"
	assert_status 1
	run --separate-stderr moat --audit-log "$T/other.log" run --bundle "$T/nowhere" "$ID"
	assert_status 1
	assert_eq "$(_events "$T/other.log")" "create $ID error" "a create of a missing bundle (start of a missing container: not one)"
	run --separate-stderr moat --audit-log relative.log list
	assert_error "--audit-log: \`relative.log\` is not an absolute path"
}

@test "audit: under enforce, a trail that cannot be written fails create and leaves nothing; under audit it is a warning" {
	_policy '{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "no-seccomp", "no-pids-limit", "no-memory-limit"]}, "audit": {"log": "'"$T/no/such/dir/audit.log"'"}}'
	run --separate-stderr moatp run --bundle "$BUNDLE" "$ID"
	assert_error "the policy enforces its audit trail: audit log \`$T/no/such/dir/audit.log\`: No such file or directory"
	assert_nothing_left "$ID"
	_policy '{"mode": "audit", "audit": {"log": "'"$T/no/such/dir/audit.log"'"}}'
	set_sh 'echo ran'
	run --separate-stderr moatp --log "$T/log.json" --log-format json run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" ran "the container ran"
	assert_contains "$(jq -r 'select(.level == "warning") | .msg' "$T/log.json")" "audit log \`$T/no/such/dir/audit.log\`"
	assert_nothing_left "$ID"
}

@test "audit: concurrent commands append whole lines" {
	set_args '["true"]'
	local i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		moat --audit-log "$T/audit.log" run --bundle "$BUNDLE" "$ID-$i" >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "a run failed"; done
	assert_eq "$(wc -l <"$T/audit.log")" 24 "lines (create, start, delete of 8 runs)"
	jq -e . "$T/audit.log" >/dev/null || fail "a line is not JSON: $(cat "$T/audit.log")"
	for i in 1 2 3 4 5 6 7 8; do
		assert_eq "$(jq -r --arg id "$ID-$i" 'select(.id == $id) | .event' "$T/audit.log" | tr '\n' ' ')" \
			"create start delete " "the events of $ID-$i"
	done
}
