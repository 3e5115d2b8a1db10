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
	if in_ctd test -d /sys/fs/cgroup/unified; then
		export CG_UNIFIED=/sys/fs/cgroup/unified CG_V1=1
	else
		export CG_UNIFIED=/sys/fs/cgroup CG_V1=
	fi
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
	wait_for_web() { ex "$b" sh -c 'for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1'; }
	echo "loopback service of the other container: $(wait_for_web)"
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

@test "cri: 200 exec probes in a row all succeed and leave no process or state; time per probe" {
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
		assert_eq "$(ls "$CTD/runtimes/$h/k8s.io" | sort)" "$(printf '%s\n' "$POD" "$CID" | sort)" "$h state"
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
