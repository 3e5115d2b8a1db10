#!/usr/bin/env bats
# The Kubernetes node path: moat under containerd's CRI plugin (the runc v2
# shim with BinaryName set to moat: the runtime handler a RuntimeClass
# `moat` selects), driven by a CRI client that calls what the kubelet
# calls (tests/lib/cri.py): pods whose containers join the sandbox's
# namespaces, exec probes, exec and attach with a terminal, logs, resource
# updates, stats, security contexts, and the cleanup of pods.  Every
# scenario runs with the handler `runc` (the reference) and with `moat`,
# from the same client; what they do is compared.
# A private containerd serves this file only (tests/lib/cri.bash).

load helpers
load ../lib/cri

HANDLERS="runc moat"

setup_file() {
	local p
	for p in containerd containerd-shim-runc-v2 ctr runc protoc nsenter; do
		command -v "$p" >/dev/null || {
			echo "$p is not installed (contrib/install-deps.sh installs it)" >&2
			return 1
		}
	done
	[ -x /usr/lib/cni/bridge ] || {
		echo "the CNI plugins are not installed (containernetworking-plugins, contrib/install-deps.sh)" >&2
		return 1
	}
	/usr/bin/python3 -c 'import grpc, google.protobuf, websocket' 2>/dev/null || {
		echo "python3-grpcio, python3-protobuf or python3-websocket is not installed (contrib/install-deps.sh)" >&2
		return 1
	}
	export CRI_LIB=$BATS_TEST_DIRNAME/../lib
	export CRI_PROTO_DIR=${MOAT_IT_CACHE:-/tmp/moat-it-cache}/cri-$(dpkg-query -W -f '${Version}' containerd | tr -c 'a-zA-Z0-9.\n' _)
	sh "$CRI_LIB/cri-proto.sh" "$CRI_PROTO_DIR" || return 1
	_ensure_bundle
	# the pods' cgroups: below one parent of this run, as the kubelet's
	# cgroupfs driver puts them below /kubepods
	export CRI_CG=k8s-${BATS_RUN_TMPDIR##*-}
	cri_start_containerd "$BATS_FILE_TMPDIR/ctd" || return 1
	export CTD CTD_PID
	# v1 controllers beside the unified hierarchy (a hybrid host), or v2
	CG_V1=
	in_ctd test -d /sys/fs/cgroup/unified && CG_V1=1
	export CG_V1
}

teardown_file() {
	[ -n "${CTD_PID:-}" ] || return 0
	cri_remove_all_pods
	# the pod cgroups, which the kubelet removes (the runtimes remove the
	# containers' own)
	in_ctd sh -c "find /sys/fs/cgroup/$CRI_CG /sys/fs/cgroup/*/$CRI_CG -depth -type d -exec rmdir {} + 2>/dev/null"
	cri_stop_containerd
}

setup() {
	common_setup
}

teardown() {
	cri_remove_all_pods
	_teardown || true
}

# ---- pods and containers -------------------------------------------------------

# pod HANDLER NAME [JQ_FILTER]: RunPodSandbox with the runtime handler
# HANDLER (what a RuntimeClass selects) of a pod config the filter edits;
# sets POD (its id) and POD_CFG (the config, for CreateContainer)
pod() {
	local h=$1 name=$2 filter=${3:-.}
	POD_CFG=$(jq -cn --arg n "$name" --arg logs "$T/logs/$name" --arg cg "/$CRI_CG/pod-$name-$BATS_SUITE_TEST_NUMBER" \
		'{metadata: {name: $n, uid: ("uid-" + $n), namespace: "k8s-test"}, hostname: $n,
		  log_directory: $logs, linux: {cgroup_parent: $cg}}' | jq -c "$filter")
	POD=$(cri RunPodSandbox "$(jq -cn --argjson c "$POD_CFG" --arg h "$h" '{config: $c, runtime_handler: $h}')" |
		jq -r .pod_sandbox_id)
	[ -n "$POD" ] && [ "$POD" != null ] || fail "RunPodSandbox $name with $h failed"
}

# ctr_create NAME CMD_JSON [JQ_FILTER]: CreateContainer in $POD; sets CID
ctr_create() {
	local name=$1 cmd=$2 filter=${3:-.} cfg
	cfg=$(jq -cn --arg n "$name" --argjson cmd "$cmd" \
		'{metadata: {name: $n}, image: {image: "localhost/k8s-busybox:latest"},
		  command: $cmd, log_path: ($n + ".log")}' | jq -c "$filter")
	CID=$(cri CreateContainer "$(jq -cn --arg p "$POD" --argjson c "$cfg" --argjson s "$POD_CFG" \
		'{pod_sandbox_id: $p, config: $c, sandbox_config: $s}')" | jq -r .container_id)
	[ -n "$CID" ] && [ "$CID" != null ] || fail "CreateContainer $name failed"
}

# container NAME CMD_JSON [JQ_FILTER]: CreateContainer and StartContainer; sets CID
container() {
	ctr_create "$@" || return 1
	cri StartContainer "{\"container_id\": \"$CID\"}" >/dev/null || fail "StartContainer $1 failed"
}

# ex CID CMD...: ExecSync (as an exec probe); the command's stdout and
# stderr, and its exit status
ex() {
	local cid=$1 r
	shift
	r=$(cri ExecSync "$(jq -cn --arg c "$cid" '{container_id: $c, cmd: $ARGS.positional, timeout: 30}' --args -- "$@")") ||
		return 125
	jq -r '.stdout // ""' <<<"$r" | base64 -d
	jq -r '.stderr // ""' <<<"$r" | base64 -d >&2
	return "$(jq -r '.exit_code // 0' <<<"$r")"
}

# ctr_pid CID: the pid of the container's init (from containerd's status)
ctr_pid() {
	cri ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid'
}

# cg CONTROLLER CID: the container's cgroup directory of CONTROLLER (its v1
# hierarchy on a hybrid host, the unified one on v2), as containerd sees it
cg() {
	local rel
	rel=$(in_ctd sed -n 's/^0:://p' "/proc/$(ctr_pid "$2")/cgroup")
	if [ -n "$CG_V1" ]; then echo "/sys/fs/cgroup/$1$rel"; else echo "/sys/fs/cgroup$rel"; fi
}

# the kubelet's defaults for a container that is not privileged
KUBELET_MASKED='["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]'
KUBELET_READONLY='["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]'

# same_for_both FILE_PREFIX: the facts each handler wrote to PREFIX.runc
# and PREFIX.moat are the same (but for the handler's name in pod names)
same_for_both() {
	diff -u <(sed 's/-runc\b/-HANDLER/g' "$1.runc") <(sed 's/-moat\b/-HANDLER/g' "$1.moat") >&2 ||
		fail "moat differs from runc (above: - runc, + moat)"
}

# ---- scenarios ---------------------------------------------------------------

@test "cri: RunPodSandbox with a handler runs the sandbox with that runtime (what a RuntimeClass selects)" {
	local h other
	for h in $HANDLERS; do
		pod "$h" "sel-$h"
		other=runc
		[ "$h" = runc ] && other=moat
		[ -d "$CTD/runtimes/$h/k8s.io/$POD" ] || fail "$h has no state for the sandbox"
		[ ! -e "$CTD/runtimes/$other/k8s.io/$POD" ] || fail "$other has state for the $h sandbox"
		run cri PodSandboxStatus "{\"pod_sandbox_id\": \"$POD\", \"verbose\": true}"
		assert_status 0
		assert_eq "$(jq -r .status.state <<<"$output")" SANDBOX_READY "$h sandbox state"
		assert_contains "$(jq -r .status.network.ip <<<"$output")" 10.244.77. "$h pod address"
		[ "$h" = moat ] && assert_eq "$("$MOAT" --root "$CTD/runtimes/moat/k8s.io" state "$POD" | jq -r .status)" running "moat state"
		# the sandbox's process is the pause image's
		assert_eq "$(tr '\0' ' ' <"/proc/$(jq -r .info.info <<<"$output" | jq -r .pid)/cmdline")" "sleep infinity " "$h sandbox process"
	done
}

# facts of a pod whose two containers share its network, IPC, UTS and
# (shareProcessNamespace) pid namespaces
pod_sharing() {
	local h=$1 a b ns
	pod "$h" "share-$h" '.linux.security_context.namespace_options.pid = "POD"'
	container web '["sh", "-c", "mkdir /tmp/www && echo served-by-web >/tmp/www/index.html && echo from-web >/dev/shm/note && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www"]'
	a=$CID
	container probe '["sleep", "3600"]'
	b=$CID
	# the server may not listen yet: tried for 5 s
	echo "loopback service of the other container: $(ex "$b" sh -c \
		'for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1')"
	echo "its process seen: $(ex "$b" sh -c 'ps -o comm | grep -c httpd')"
	echo "pid 1: $(ex "$b" cat /proc/1/cmdline | tr '\0' ' ')"
	echo "hostname: $(ex "$a" hostname) $(ex "$b" hostname)"
	echo "shm: $(ex "$b" cat /dev/shm/note)"
	for ns in net ipc uts pid mnt; do
		if [ "$(ex "$a" readlink /proc/self/ns/$ns)" = "$(ex "$b" readlink /proc/self/ns/$ns)" ]; then
			echo "$ns: shared"
		else
			echo "$ns: apart"
		fi
		[ "$(ex "$a" readlink /proc/self/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
			fail "$h: the container is in the host's $ns namespace"
	done
}

@test "cri: two containers of a pod share its network, IPC, UTS and pid namespaces" {
	local h
	for h in $HANDLERS; do
		pod_sharing "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "loopback service of the other container: served-by-web"
	assert_contains "$output" "its process seen: 1"
	assert_contains "$output" "pid 1: sleep infinity"
	assert_contains "$output" "hostname: share-moat share-moat"
	assert_contains "$output" "shm: from-web"
	assert_contains "$output" "net: shared"$'\n'"ipc: shared"$'\n'"uts: shared"$'\n'"pid: shared"$'\n'"mnt: apart"
}

@test "cri: 200 exec probes in a row all succeed and leave no process or state; time per probe; a probe's timeout" {
	local h r before after
	for h in $HANDLERS; do
		pod "$h" "probe-$h"
		container c '["sleep", "3600"]'
		before=$(in_ctd cat "$(cg "unified" "$CID")/cgroup.procs" | sort)
		r=$(cri exec-loop "$CID" 200 10 sh -c 'test -d /proc/self')
		assert_eq "$(jq -r .ok <<<"$r")" 200 "$h: probes that succeeded ($(jq -c .failed <<<"$r"))"
		echo "# ExecSync x200 with $h: $(jq -r '.ms | "mean \(.mean) ms, median \(.median) ms, p95 \(.p95) ms, max \(.max) ms"' <<<"$r")" >&3
		after=$(in_ctd cat "$(cg "unified" "$CID")/cgroup.procs" | sort)
		assert_eq "$after" "$before" "$h: the container's processes after the probes"
		# the runtime's state: the sandbox and the container, nothing an
		# exec made
		assert_eq "$(runtime_state "$h" | sort)" "$(printf '%s\n' "$POD" "$CID" | sort)" "$h state"
		# a probe over its timeout: containerd kills it, nothing stays
		SECONDS=0
		run cri ExecSync "{\"container_id\": \"$CID\", \"cmd\": [\"sleep\", \"30\"], \"timeout\": 1}"
		[ "$status" -ne 0 ] || [ "$(jq -r .exit_code <<<"$output")" != 0 ] || fail "$h: the probe did not time out: $output"
		[ "$SECONDS" -lt 20 ] || fail "$h: the probe's timeout took ${SECONDS}s"
		local i
		for ((i = 0; i < 50; i++)); do
			[ "$(in_ctd cat "$(cg unified "$CID")/cgroup.procs" | sort)" = "$before" ] && break
			sleep 0.1
		done
		assert_eq "$(in_ctd cat "$(cg unified "$CID")/cgroup.procs" | sort)" "$before" "$h: the container's processes after a timed-out probe"
		# and no process of the runtime itself
		local bin=$MOAT
		[ "$h" = runc ] && bin=$(command -v runc)
		[ -z "$(pgrep -f "^$bin ")" ] || fail "$h processes left: $(pgrep -af "^$bin ")"
	done
}

@test "cri: exec with a terminal (resized) and attach to a container's terminal, through the streaming server" {
	local h r
	for h in $HANDLERS; do
		pod "$h" "tty-$h"
		container t '["sh"]' '.stdin = true | .tty = true'
		r=$(CRI_STREAM_UNTIL=attached-42 cri stream attach "$CID" 'echo attached-$((6 * 7))'$'\n')
		assert_contains "$(jq -r .stdout <<<"$r")" "attached-42" "$h: attach"
		r=$(cri stream exec "$CID" 'sleep 0.5; stty size; tty; echo exec-$((6 * 7)); exit 3'$'\n' sh)
		assert_contains "$(jq -r .stdout <<<"$r")" "30 100" "$h: the terminal's size"
		assert_contains "$(jq -r .stdout <<<"$r")" "/dev/pts/" "$h: a terminal"
		assert_contains "$(jq -r .stdout <<<"$r")" "exec-42" "$h: exec"
		assert_eq "$(jq -r '.status.details.causes[0].message' <<<"$r")" 3 "$h: the exit status ($r)"
	done
}

@test "cri: container logs are written where the kubelet reads them" {
	local h f
	for h in $HANDLERS; do
		pod "$h" "logs-$h"
		container app '["sh", "-c", "echo to-stdout; echo to-stderr >&2; sleep 3600"]'
		f=$T/logs/logs-$h/app.log
		assert_eq "$(cri ContainerStatus "{\"container_id\": \"$CID\"}" | jq -r .status.log_path)" "$f" "$h: log path"
		wait_file "$f"
		local i
		for ((i = 0; i < 50; i++)); do
			[ "$(wc -l <"$f")" -ge 2 ] && break
			sleep 0.1
		done
		grep -Eq '^[0-9T:.Z-]+ stdout F to-stdout$' "$f" || fail "$h: no stdout line in $f: $(cat "$f")"
		grep -Eq '^[0-9T:.Z-]+ stderr F to-stderr$' "$f" || fail "$h: no stderr line in $f: $(cat "$f")"
	done
}

# cgfile CONTROLLER FILE V2_FILE: the value of the container $CID's limit,
# in its v1 hierarchy's FILE on a hybrid host, else in V2_FILE
cgfile() {
	if [ -n "$CG_V1" ]; then
		in_ctd cat "$(cg "$1" "$CID")/$2"
	else
		in_ctd cat "$(cg "$1" "$CID")/$3"
	fi
}

@test "cri: UpdateContainerResources changes the running container's cgroup; stats have real numbers" {
	local h r
	for h in $HANDLERS; do
		pod "$h" "res-$h"
		container c '["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; exec sleep 3600"]' \
			'.linux.resources = {memory_limit_in_bytes: 134217728, cpu_shares: 1024}'
		assert_eq "$(cgfile memory memory.limit_in_bytes memory.max)" 134217728 "$h: memory limit at create"
		run cri UpdateContainerResources "{\"container_id\": \"$CID\", \"linux\": {\"memory_limit_in_bytes\": 67108864, \"cpu_period\": 100000, \"cpu_quota\": 50000, \"cpu_shares\": 512}}"
		assert_status 0
		assert_eq "$(cgfile memory memory.limit_in_bytes memory.max)" 67108864 "$h: memory limit"
		if [ -n "$CG_V1" ]; then
			assert_eq "$(cgfile cpu cpu.cfs_quota_us -)" 50000 "$h: cpu quota"
			assert_eq "$(cgfile cpu cpu.cfs_period_us -)" 100000 "$h: cpu period"
			assert_eq "$(cgfile cpu cpu.shares -)" 512 "$h: cpu shares"
		else
			assert_eq "$(cgfile cpu - cpu.max)" "50000 100000" "$h: cpu.max"
			assert_eq "$(cgfile cpu - cpu.weight)" 20 "$h: cpu weight"
		fi
		# what the kubelet's summary reads
		r=$(cri ContainerStats "{\"container_id\": \"$CID\"}")
		[ "$(jq -r .stats.cpu.usage_core_nano_seconds.value <<<"$r")" -gt 0 ] || fail "$h: cpu usage: $r"
		[ "$(jq -r .stats.memory.working_set_bytes.value <<<"$r")" -gt 0 ] || fail "$h: memory working set: $r"
		assert_eq "$(jq -r .stats.attributes.id <<<"$r")" "$CID" "$h: stats of the container"
		r=$(cri ListContainerStats "{\"filter\": {\"pod_sandbox_id\": \"$POD\"}}")
		assert_eq "$(jq -r '.stats | length' <<<"$r")" 1 "$h: containers listed"
		[ "$(jq -r '.stats[0].memory.working_set_bytes.value' <<<"$r")" -gt 0 ] || fail "$h: listed memory: $r"
	done
}

# status_facts PID: what the kernel says of a process: ids, capabilities,
# no_new_privs, seccomp
status_facts() {
	grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$1/status"
}

# facts of a container with the security context a restricted pod's
# containers get
restricted() {
	local h=$1 pid
	pod "$h" "sec-$h"
	container r '["sleep", "3600"]' ". * $(jq -cn --argjson m "$KUBELET_MASKED" --argjson ro "$KUBELET_READONLY" \
		'{linux: {security_context: {run_as_user: {value: 1000}, run_as_group: {value: 1000},
		  supplemental_groups: [2000], readonly_rootfs: true,
		  capabilities: {drop_capabilities: ["ALL"], add_capabilities: ["NET_BIND_SERVICE"]},
		  seccomp: {profile_type: "RuntimeDefault"}, no_new_privs: true,
		  masked_paths: $m, readonly_paths: $ro}}}')"
	pid=$(ctr_pid "$CID")
	echo "the init, seen from outside:"
	status_facts "$pid"
	echo "an exec'd process:"
	ex "$CID" sh -c 'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status'
	echo "write to the root: $(ex "$CID" touch /x 2>&1 || echo refused)"
	echo "write to /tmp (the root's): $(ex "$CID" touch /tmp/x 2>&1 || echo refused)"
	echo "/proc/timer_list: $(ex "$CID" sh -c 'wc -c </proc/timer_list' 2>&1)"
	echo "/sys/firmware: $(ex "$CID" ls -A /sys/firmware | wc -l)"
	echo "/proc/sys: $(ex "$CID" sh -c 'echo x >/proc/sys/kernel/domainname' 2>&1 || echo refused)"
	echo "mounts: $(in_ctd awk '$5 == "/proc/timer_list" || $5 == "/proc/sys" || $5 == "/" { print $5, $6 }' "/proc/$pid/mountinfo" | cut -d, -f1 | sort | tr '\n' ' ')"
}

@test "cri: security context: run as a user, read-only root, capabilities, RuntimeDefault seccomp, no_new_privs, masked and read-only paths" {
	local h
	for h in $HANDLERS; do
		restricted "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "Uid:	1000	1000	1000	1000"
	assert_contains "$output" "Groups:	1000 2000"
	assert_contains "$output" "CapEff:	0000000000000000"
	assert_contains "$output" "CapBnd:	$(cap_mask 10)"
	assert_contains "$output" "NoNewPrivs:	1"
	assert_contains "$output" "Seccomp:	2"
	assert_contains "$output" "write to the root: touch: /x: Read-only file system"
	assert_contains "$output" "/proc/timer_list: 0"
	assert_contains "$output" "/sys/firmware: 0"
	assert_contains "$output" "/proc/sys: sh: can't create /proc/sys/kernel/domainname: Read-only file system"
}

# the kubelet checks runAsNonRoot itself (the CRI has no such field); the
# runtime is given the user: by uid, or by a name containerd looks up in
# the image's /etc/passwd
@test "cri: run_as_username takes the user and its group from the image" {
	local h
	for h in $HANDLERS; do
		pod "$h" "user-$h"
		container u '["sleep", "3600"]' '.linux.security_context.run_as_username = "nobody"'
		assert_eq "$(proc_status_field "$(ctr_pid "$CID")" Uid)" "65534 65534 65534 65534" "$h: uid"
		assert_eq "$(proc_status_field "$(ctr_pid "$CID")" Gid)" "65534 65534 65534 65534" "$h: gid"
		assert_eq "$(ex "$CID" id -u)" 65534 "$h: uid of an exec"
	done
}

@test "cri: a Localhost seccomp profile is applied (its refusal seen inside), RuntimeDefault allows the same call" {
	local h
	printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}\n' >"$T/no-mkdir.json"
	for h in $HANDLERS; do
		pod "$h" "seccomp-$h"
		container local '["sleep", "3600"]' ".linux.security_context.seccomp = {profile_type: \"Localhost\", localhost_ref: \"$T/no-mkdir.json\"}"
		run ex "$CID" mkdir /tmp/d
		[ "$status" -ne 0 ] || fail "$h: mkdir ran under the profile"
		assert_contains "$output" "Operation not permitted"
		assert_eq "$(proc_status_field "$(ctr_pid "$CID")" Seccomp)" 2 "$h: seccomp mode of the init"
		container default '["sleep", "3600"]' '.linux.security_context.seccomp = {profile_type: "RuntimeDefault"}'
		run ex "$CID" mkdir /tmp/d
		assert_status 0
	done
}

# facts of a privileged container in a privileged pod
privileged() {
	local h=$1 pid
	pod "$h" "priv-$h" '.linux.security_context.privileged = true'
	container p '["sleep", "3600"]' '.linux.security_context.privileged = true'
	pid=$(ctr_pid "$CID")
	status_facts "$pid" | grep -E '^(Cap|NoNewPrivs|Seccomp)'
	echo "host devices: $(ex "$CID" sh -c 'test -e /dev/loop-control && test -e /dev/kmsg && echo yes')"
	echo "/sys: $(in_ctd awk '$5 == "/sys" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo")"
	echo "/proc/timer_list masked: $(in_ctd awk '$5 == "/proc/timer_list"' "/proc/$pid/mountinfo" | wc -l)"
	echo "mount in it: $(ex "$CID" sh -c 'mkdir /tmp/m && mount -t tmpfs t /tmp/m && echo ok')"
}

@test "cri: a privileged container: every capability, no seccomp, the host's devices, /sys writable" {
	local h
	for h in $HANDLERS; do
		privileged "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "CapEff:	$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)"
	assert_contains "$output" "Seccomp:	0"
	assert_contains "$output" "host devices: yes"
	assert_contains "$output" "/sys: rw"
	assert_contains "$output" "/proc/timer_list masked: 0"
	assert_contains "$output" "mount in it: ok"
}

# runtime_state HANDLER: the entries of the runtime's state root (moat
# keeps its temporaries in .tmp there, which is only listed if not empty)
runtime_state() {
	local r=$CTD/runtimes/$1/k8s.io
	[ -d "$r" ] || return 0
	ls -A "$r" | grep -vx .tmp
	[ ! -d "$r/.tmp" ] || ls -A "$r/.tmp" | sed 's|^|.tmp/|'
	return 0
}

# what a pod has on the node: its processes (the sandbox's and its
# containers' inits), shim, mounts in containerd's mount namespace,
# cgroups in every hierarchy, and the runtime's state directories
pod_things() {
	local h=$1 id
	shift
	for id in "$@"; do
		in_ctd awk -v id="$id" 'index($5, id) { print "mount " $5 }' /proc/self/mountinfo
		in_ctd sh -c "ls -d /sys/fs/cgroup/*/$CRI_CG/*/$id /sys/fs/cgroup/$CRI_CG/*/$id 2>/dev/null" | sed 's/^/cgroup /'
		[ -e "$CTD/runtimes/$h/k8s.io/$id" ] && echo "state $CTD/runtimes/$h/k8s.io/$id"
		pgrep -f "containerd-shim-runc-v2 .* -id $id " | sed 's/^/shim /'
	done
	return 0
}

@test "cri: StopPodSandbox and RemovePodSandbox leave no process, mount, cgroup or runtime state" {
	local h a b pids pid
	for h in $HANDLERS; do
		pod "$h" "gone-$h" '.linux.security_context.namespace_options.pid = "POD"'
		container a '["sleep", "3600"]'
		a=$CID
		container b '["sh", "-c", "sleep 3600 & sleep 3600"]'
		b=$CID
		pids="$(ctr_pid "$a") $(ctr_pid "$b") $(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$POD\", \"verbose\": true}" | jq -r .info.info | jq -r .pid)"
		pod_things "$h" "$POD" "$a" "$b" >"$T/before"
		grep -q '^mount .*/rootfs$' "$T/before" && grep -q '^cgroup ' "$T/before" && grep -q '^state ' "$T/before" &&
			grep -q '^shim ' "$T/before" || fail "$h: what the pod has is not found: $(cat "$T/before")"
		run cri StopPodSandbox "{\"pod_sandbox_id\": \"$POD\"}"
		assert_status 0
		for pid in $pids; do
			wait_gone "$pid" "$h: a process of the stopped pod"
		done
		run cri RemovePodSandbox "{\"pod_sandbox_id\": \"$POD\"}"
		assert_status 0
		local i
		for ((i = 0; i < 50; i++)); do
			[ -z "$(pod_things "$h" "$POD" "$a" "$b")" ] && break
			sleep 0.1
		done
		assert_eq "$(pod_things "$h" "$POD" "$a" "$b")" "" "$h: left after RemovePodSandbox"
		assert_eq "$(runtime_state "$h")" "" "$h: runtime state"
	done
}

@test "cri: a container that fails to start is reported, and its pod is cleaned up" {
	local h
	for h in $HANDLERS; do
		pod "$h" "fail-$h"
		ctr_create bad '["/nonexistent"]'
		run cri StartContainer "{\"container_id\": \"$CID\"}"
		[ "$status" -ne 0 ] || fail "$h: a missing program started"
		assert_contains "$output" "/nonexistent"
		assert_contains "$output" "no such file or directory"
		echo "# StartContainer of a missing program with $h: $output" >&3
		assert_eq "$(cri ContainerStatus "{\"container_id\": \"$CID\"}" | jq -r .status.state)" CONTAINER_EXITED "$h: state"
		[ ! -e "$CTD/runtimes/$h/k8s.io/$CID" ] || fail "$h: state of the failed container left"
		run cri RemoveContainer "{\"container_id\": \"$CID\"}"
		assert_status 0
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$POD\"}" >/dev/null
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$POD\"}" >/dev/null
		assert_eq "$(pod_things "$h" "$POD" "$CID")" "" "$h: left after RemovePodSandbox"
		assert_eq "$(runtime_state "$h")" "" "$h: runtime state"
	done
}

# containerd 1.6's CRI does not know userns_options (1.7 does): a pod that
# asks for a user namespace of its own gets none from it, whatever the
# runtime; docs/kubernetes.md says so, and this fails when it changes
@test "cri: containerd 1.6 passes no user namespace to the runtime (docs/kubernetes.md)" {
	local h
	for h in $HANDLERS; do
		pod "$h" "userns-$h" '.linux.security_context.namespace_options.userns_options = {mode: "POD",
			uids: [{host_id: 200000, container_id: 0, length: 65536}], gids: [{host_id: 200000, container_id: 0, length: 65536}]}'
		container c '["sleep", "3600"]'
		assert_eq "$(awk '{ print $1, $2, $3 }' "/proc/$(ctr_pid "$CID")/uid_map")" "0 0 4294967295" "$h: uid_map"
	done
}

# the systemd cgroup driver (a kubelet with cgroupDriver systemd, the
# handler's SystemdCgroup = true) on a hybrid host, where moat refuses
# it: the pod fails, naming it
@test "cri: a handler with SystemdCgroup = true fails the pod, naming the systemd cgroup driver" {
	run cri RunPodSandbox "$(jq -cn '{runtime_handler: "moat-systemd", config: {metadata: {name: "systemd", uid: "uid-systemd",
		namespace: "k8s-test"}, linux: {cgroup_parent: "k8s.slice"}}}')"
	[ "$status" -ne 0 ] || fail "the pod ran"
	echo "# $output" >&3
	assert_contains "$output" "the systemd cgroup driver needs the unified cgroup hierarchy (cgroup v2)"
	assert_eq "$(runtime_state moat-systemd)" "" "moat state"
}

# A node policy in enforce mode that pods of containerd 1.6 can pass: what
# its CRI gives every pod (no user namespace, containerd's capabilities
# with CAP_MKNOD and CAP_NET_RAW, a sandbox without limits or seccomp)
# allowed, the rest (capabilities beyond those, host namespaces, sensitive
# binds ...) refused.  docs/kubernetes.md shows it.
NODE_POLICY='{"mode": "enforce", "rules": {"disable": ["no-user-namespace", "process-root", "writable-rootfs", "no-memory-limit", "no-pids-limit", "no-seccomp"], "capabilities": ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"]}}'

@test "cri: an enforce policy runs a plain pod and refuses a container that adds CAP_SYS_ADMIN; the CRI caller gets the findings" {
	echo "$NODE_POLICY" >"$CTD/policy.json"
	pod moat-policy policy
	# what the kubelet sends for a container with allowPrivilegeEscalation:
	# false (the default, true, is refused: rule no-new-privileges)
	container plain '["sleep", "3600"]' ". * $(jq -cn --argjson m "$KUBELET_MASKED" --argjson ro "$KUBELET_READONLY" \
		'{linux: {security_context: {no_new_privs: true, masked_paths: $m, readonly_paths: $ro}}}')"
	assert_eq "$(ex "$CID" echo ran)" ran "a plain container"
	ctr_create admin '["sleep", "3600"]' '.linux.security_context.capabilities.add_capabilities = ["SYS_ADMIN"]'
	run cri StartContainer "{\"container_id\": \"$CID\"}"
	[ "$status" -ne 0 ] || fail "the container with CAP_SYS_ADMIN ran"
	assert_contains "$output" "refused by the policy"
	assert_contains "$output" "CAP_SYS_ADMIN is not in the allowed capabilities"
	assert_eq "$(runtime_state moat-policy | sort)" "$(printf '%s\n' "$POD" "$(cri ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$POD\", \"state\": {\"state\": \"CONTAINER_RUNNING\"}}}" | jq -r '.containers[].id')" | sort)" "state: the sandbox and the plain container"
	# the shipped example for a node keeps no-user-namespace and the
	# limits: containerd 1.6 gives a pod none of them, so it refuses even
	# the sandbox (docs/kubernetes.md)
	cp "$BATS_TEST_DIRNAME/../../contrib/policy/kubernetes-node.json" "$CTD/policy.json"
	run cri RunPodSandbox "$(jq -cn --arg cg "/$CRI_CG/pod-strict" '{runtime_handler: "moat-policy", config: {metadata: {name: "strict",
		uid: "uid-strict", namespace: "k8s-test"}, linux: {cgroup_parent: $cg}}}')"
	[ "$status" -ne 0 ] || fail "the sandbox ran under kubernetes-node.json"
	assert_contains "$output" "[no-user-namespace]"
}

# wait_exited CID: wait (10 s) until the container has exited; prints
# "exit_code reason"
wait_exited() {
	local i r
	for ((i = 0; i < 100; i++)); do
		r=$(cri ContainerStatus "{\"container_id\": \"$1\"}")
		if [ "$(jq -r .status.state <<<"$r")" = CONTAINER_EXITED ]; then
			jq -r '"\(.status.exit_code) \(.status.reason)"' <<<"$r"
			return 0
		fi
		sleep 0.1
	done
	fail "container $1 has not exited: $r"
}

# how containers end: their exit status, StopContainer with a program
# that handles SIGTERM and one that ignores it (killed after the grace
# period), and the memory limit's OOM kill
endings() {
	local h=$1
	pod "$h" "end-$h"
	container exits '["sh", "-c", "exit 3"]'
	echo "exit 3: $(wait_exited "$CID")"
	container term '["sh", "-c", "trap \"exit 7\" TERM; while :; do sleep 0.1; done"]'
	cri StopContainer "{\"container_id\": \"$CID\", \"timeout\": 10}" >/dev/null
	echo "stopped, handles TERM: $(wait_exited "$CID")"
	container stubborn '["sh", "-c", "trap \"\" TERM; while :; do sleep 0.1; done"]'
	SECONDS=0
	cri StopContainer "{\"container_id\": \"$CID\", \"timeout\": 1}" >/dev/null
	echo "stopped, ignores TERM: $(wait_exited "$CID")"
	[ "$SECONDS" -ge 1 ] || fail "$h: killed before the grace period"
	# the shim drops an OOM event whose cgroup is gone by the time it reads
	# it, which the container's end races with: the killed program is a
	# child, whose status the container ends with 2 s later
	container oom '["sh", "-c", "dd if=/dev/zero of=/dev/null bs=256M count=1; s=$?; sleep 2; exit $s"]' \
		'.linux.resources = {memory_limit_in_bytes: 33554432}'
	echo "over its memory limit: $(wait_exited "$CID")"
}

@test "cri: exit status, StopContainer (SIGTERM, then SIGKILL after the grace period) and OOMKilled reach the CRI" {
	local h
	for h in $HANDLERS; do
		endings "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "exit 3: 3 Error"
	assert_contains "$output" "stopped, handles TERM: 7 Error"
	assert_contains "$output" "stopped, ignores TERM: 137 Error"
	assert_contains "$output" "over its memory limit: 137 OOMKilled"
}

# facts of a container with the kubelet's volumes: a writable and a
# read-only host directory, and one whose mounts made later on the host
# reach the container (HOST_TO_CONTAINER: rslave)
volumes() {
	local h=$1 v=$T/vol-$1
	mkdir -p "$v/rw" "$v/ro" "$v/prop/sub"
	echo from-host >"$v/ro/file"
	# CRI wants the source of a propagating volume on a shared or slave
	# mount (containerd's mount namespace is private)
	in_ctd sh -c "mount --bind '$v/prop' '$v/prop' && mount --make-shared '$v/prop'"
	on_teardown "nsenter -t $CTD_PID -m umount -R '$v/prop'"
	pod "$h" "vol-$h"
	container v '["sleep", "3600"]' ".mounts = $(jq -cn --arg v "$v" '[
		{container_path: "/data", host_path: ($v + "/rw")},
		{container_path: "/config", host_path: ($v + "/ro"), readonly: true},
		{container_path: "/prop", host_path: ($v + "/prop"), propagation: "PROPAGATION_HOST_TO_CONTAINER"}]')"
	ex "$CID" sh -c 'echo from-container >/data/file'
	echo "written inside, on the host: $(cat "$v/rw/file")"
	echo "read-only volume: $(ex "$CID" cat /config/file), write: $(ex "$CID" sh -c 'echo x >/config/file' 2>&1 || echo refused)"
	in_ctd mount -t tmpfs -o size=1m later "$v/prop/sub"
	in_ctd sh -c "echo mounted-later >'$v/prop/sub/file'"
	echo "mounted on the host after the start: $(ex "$CID" cat /prop/sub/file 2>&1)"
	echo "propagation: $(ex "$CID" awk '$5 == "/prop" { for (i = 7; $i != "-"; i++) if ($i ~ /^(master|shared)/) print $i }' /proc/self/mountinfo | sed 's/:[0-9]*//')"
	in_ctd umount "$v/prop/sub"
}

@test "cri: volumes: a writable and a read-only host directory, and a host mount propagated into the container" {
	local h
	for h in $HANDLERS; do
		volumes "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "written inside, on the host: from-container"
	assert_contains "$output" "read-only volume: from-host, write: sh: can't create /config/file: Read-only file system"
	assert_contains "$output" "mounted on the host after the start: mounted-later"
	assert_contains "$output" "propagation: master"
}

# facts of a pod's DNS configuration, sysctls, and of a pod on the node's
# network (and so UTS), pid and IPC namespaces
pod_settings() {
	local h=$1
	pod "$h" "set-$h" '.dns_config = {servers: ["192.0.2.53"], searches: ["k8s-test.svc.cluster.local"], options: ["ndots:5"]}
		| .linux.sysctls = {"net.ipv4.ping_group_range": "0 2147483647", "kernel.shm_rmid_forced": "1"}'
	container c '["sleep", "3600"]'
	echo "resolv.conf: $(ex "$CID" cat /etc/resolv.conf | tr '\n' ' ')"
	echo "hostname: $(ex "$CID" hostname) $(ex "$CID" cat /etc/hostname)"
	echo "sysctls: $(ex "$CID" cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shm_rmid_forced | tr '\t\n' '  ')"
	# a hostname without a UTS namespace of the pod's own is refused (the
	# kubelet sets none for a pod on the node's network)
	local cfg
	cfg=$(jq -cn --arg h "$h" --arg cg "/$CRI_CG/pod-uts-$h" '{runtime_handler: $h, config: {metadata: {name: ("uts-" + $h),
		uid: ("uid-uts-" + $h), namespace: "k8s-test"}, hostname: "uts", linux: {cgroup_parent: $cg,
		security_context: {namespace_options: {network: "NODE"}}}}}')
	if cri RunPodSandbox "$cfg" >/dev/null 2>&1; then echo "hostname on the node's network: ran"; else echo "hostname on the node's network: refused"; fi
	pod "$h" "node-$h" 'del(.hostname) | .linux.security_context.namespace_options = {network: "NODE", pid: "NODE", ipc: "NODE"}'
	container c '["sleep", "3600"]'
	local ns
	for ns in net pid ipc uts; do
		if [ "$(ex "$CID" readlink /proc/self/ns/$ns)" = "$(in_ctd readlink /proc/self/ns/$ns)" ]; then
			echo "$ns: the node's"
		else
			echo "$ns: its own"
		fi
	done
}

@test "cri: a pod's DNS settings and sysctls; a pod on the node's network, pid and IPC namespaces" {
	local h
	for h in $HANDLERS; do
		pod_settings "$h" >"$T/facts.$h"
	done
	same_for_both "$T/facts"
	run cat "$T/facts.moat"
	assert_contains "$output" "search k8s-test.svc.cluster.local nameserver 192.0.2.53 options ndots:5"
	assert_contains "$output" "hostname: set-moat set-moat"
	assert_contains "$output" "sysctls: 0 2147483647 1"
	assert_contains "$output" "hostname on the node's network: refused"
	assert_contains "$output" "net: the node's"$'\n'"pid: the node's"$'\n'"ipc: the node's"$'\n'"uts: the node's"
}
