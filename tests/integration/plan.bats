#!/usr/bin/env bats
# The plan: everything a create can know is wrong is found before anything
# changes on the host.  Each test runs moat with MOAT_FAULT=kill:state-tmp,
# which SIGKILLs it at its first side effect (the temporary state
# directory): a config error reported with status 1 proves that the check
# came before any side effect; status 137 means moat got that far.

load helpers

# create must fail with status 1 and MESSAGE, before any side effect;
# GLOBAL_OPTIONS go before the command
_refused_before_anything() { # MESSAGE [GLOBAL_OPTIONS...]
	local message=$1
	shift
	run --separate-stderr env MOAT_FAULT=kill:state-tmp "$MOAT" --root "$ROOT" "$@" create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 137 ] || { fail "moat reached its first side effect before refusing the config"; return 1; }
	assert_error "$message" || return 1
	[ ! -e "$ROOT/.tmp" ] || [ -z "$(ls -A "$ROOT/.tmp")" ] || fail "temporaries under $ROOT/.tmp"
	[ ! -e "$CGROOT/moat/$ID" ] || fail "a cgroup was made"
	assert_nothing_left "$ID"
}

@test "plan: contradictory mount options are refused before anything is made" {
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "rw"]}'
	_refused_before_anything "contradictory options \`ro\` and \`rw\`"
	assert_contains "$stderr" "mounts[" "the mount is named"
}

@test "plan: a bind mount without a source, and a missing source" {
	add_mount '{"destination": "/data", "type": "bind", "options": ["rbind"]}'
	_refused_before_anything "a bind mount needs a source"
	cfg '.mounts[-1].source = "/nonexistent/moat-source"'
	_refused_before_anything "/nonexistent/moat-source"
}

@test "plan: an impossible sysctl is refused before anything is made" {
	cfg '.linux.sysctl = {"vm.swappiness": "10"}'
	_refused_before_anything "\`vm.swappiness\` is not namespaced"
	# net.* in the host's network namespace, joined by path
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | (.linux.namespaces[] | select(.type == "network")) |= {type: "network", path: "/proc/1/ns/net"}'
	_refused_before_anything "is the host's"
}

@test "plan: limits for a container that will have no cgroup are refused before anything is made" {
	cfg '.linux.resources.pids = {"limit": 20}'
	_refused_before_anything "linux.resources: limits are set but the container has no cgroup to apply them (--cgroup-manager disabled)" \
		--cgroup-manager disabled
	# a cgroup mount, as the host's root, would show the host's cgroups
	cfg 'del(.linux.resources.pids) | .mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}]'
	_refused_before_anything "the container has no cgroup of its own (--cgroup-manager disabled)" \
		--cgroup-manager disabled
}

@test "plan: an unknown capability in a required set is refused before anything is made" {
	cfg '.process.capabilities.bounding += ["CAP_NO_SUCH_THING"]'
	_refused_before_anything "process.capabilities.bounding: unknown capability \"CAP_NO_SUCH_THING\""
}

@test "plan: an impossible capability combination names the sets and the capability" {
	cfg '.process.capabilities.effective += ["CAP_SYS_ADMIN"]'
	_refused_before_anything "CAP_SYS_ADMIN is in effective but not in permitted"
	cfg '.process.capabilities.effective -= ["CAP_SYS_ADMIN"] | .process.capabilities.inheritable = ["CAP_SYS_ADMIN"]'
	_refused_before_anything "CAP_SYS_ADMIN is in inheritable but not in bounding"
}

@test "plan: ambient capabilities that are not inheritable are left out quietly, as runc does" {
	# what `runc spec` writes: ambient without inheritable
	cfg '.process.capabilities.ambient = .process.capabilities.bounding'
	set_sh 'grep ^CapAmb: /proc/self/status'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "0000000000000000" "ambient set"
	assert_eq "$stderr" "" "stderr"
	run --separate-stderr moat --debug run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$stderr" "not both permitted and inheritable; left out"
}

@test "plan: a namespace path of the wrong type is refused before anything is made" {
	cfg '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: "/proc/self/ns/net"}'
	_refused_before_anything "is not a pid namespace"
}

@test "plan: an unmapped process user is refused before anything is made" {
	cfg '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}] | .process.user.uid = 5000'
	_refused_before_anything "process.user.uid: 5000 is not mapped in linux.uidMappings"
}

@test "plan: a seccomp profile libseccomp refuses fails before anything is made" {
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
	_refused_before_anything "linux.seccomp"
}

@test "plan: a hook timeout that would overflow is refused" {
	cfg '.hooks = {"prestart": [{"path": "/bin/true", "timeout": 4294968}]}'
	_refused_before_anything "hooks.prestart[0].timeout"
}

@test "plan: duplicate keys and NUL characters in config.json are refused naming the field" {
	printf '%s' '{"ociVersion": "1.0.2", "ociVersion": "1.0.2"}' >"$CFG"
	_refused_before_anything 'duplicate key "ociVersion"'
	cp "$MOAT_TEST_BUNDLE/config.json" "$CFG"
	cfg '.process.args = ["sh\u0000", "-c", "true"]'
	_refused_before_anything "process.args[0]: string contains a NUL character"
}
