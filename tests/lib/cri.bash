# Helpers of tests/integration/cri.bats: a private containerd whose CRI
# plugin runs pods with two runtime handlers, `runc` (the reference) and
# `moat` (both through the runc v2 shim, BinaryName set), and the CRI
# client tests/lib/cri.py, called as the kubelet would call it.
#
# containerd runs in a mount and a network namespace of its own:
#  - the mounts it makes (snapshots, rootfs, pod network namespaces, shm)
#    never reach the test's namespace, and end with it;
#  - CNI's bridge and the pods' addresses live in that network namespace
#    only, and so does the streaming server (exec, attach) on 127.0.0.1;
#  - on a hybrid host, /sys/fs/cgroup is the host's own layout there (v1
#    controllers beside the unified hierarchy) as on a node, not the
#    cgroup2 mount run-integration.sh puts over it.
# in_ctd CMD... runs a command in those namespaces (to see the pods'
# mounts and cgroups as containerd and the runtimes do).

# cri_image_archive DIR NAME CMD_JSON: an OCI archive DIR.tar of the
# busybox root filesystem $CRI_LAYER (a tar), named NAME, whose command is
# CMD_JSON, made by hand: no image builder or registry is needed
cri_image_archive() {
	local d=$1 name=$2 cmd=$3 arch layer config manifest
	arch=$(dpkg --print-architecture)
	mkdir -p "$d/blobs/sha256"
	layer=$(sha256sum "$CRI_LAYER" | cut -d' ' -f1)
	cp "$CRI_LAYER" "$d/blobs/sha256/$layer"
	jq -cn --arg arch "$arch" --arg layer "sha256:$layer" --argjson cmd "$cmd" \
		'{architecture: $arch, os: "linux",
		  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: $cmd},
		  rootfs: {type: "layers", diff_ids: [$layer]}}' >"$d/config"
	config=$(sha256sum "$d/config" | cut -d' ' -f1)
	mv "$d/config" "$d/blobs/sha256/$config"
	jq -cn --arg c "sha256:$config" --argjson cs "$(stat -c %s "$d/blobs/sha256/$config")" \
		--arg l "sha256:$layer" --argjson ls "$(stat -c %s "$CRI_LAYER")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' >"$d/manifest"
	manifest=$(sha256sum "$d/manifest" | cut -d' ' -f1)
	mv "$d/manifest" "$d/blobs/sha256/$manifest"
	jq -cn --arg m "sha256:$manifest" --argjson ms "$(stat -c %s "$d/blobs/sha256/$manifest")" \
		--arg name "$name" --arg arch "$arch" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $m, size: $ms, platform: {architecture: $arch, os: "linux"},
		  annotations: {"io.containerd.image.name": $name}}]}' >"$d/index.json"
	echo '{"imageLayoutVersion": "1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$d.tar" oci-layout index.json blobs
}

# cri_runtime_toml HANDLER BINARY [SYSTEMD_CGROUP]: the runtime handler
# HANDLER, the runc v2 shim calling BINARY with a state root of its own
# (SystemdCgroup false unless given)
cri_runtime_toml() {
	local t='[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.'$1
	printf '%s]\n  runtime_type = "io.containerd.runc.v2"\n' "$t"
	printf '%s.options]\n  BinaryName = "%s"\n  Root = "%s"\n  SystemdCgroup = %s\n' \
		"$t" "$2" "$CTD/runtimes/$1" "${3:-false}"
}

# cri_start_containerd DIR: containerd with the CRI plugin on DIR/sock,
# its root, state, CNI and runtime roots under DIR; the pause and test
# images imported into the k8s.io namespace.  Sets CTD, CTD_PID.
cri_start_containerd() {
	CTD=$1
	mkdir -p "$CTD/cni" "$CTD/ipam" "$CTD/runtimes" "$CTD/opt"
	# CNI: a bridge and host-local addresses, in containerd's own network
	# namespace (the pods' addresses are reachable from there only)
	cat >"$CTD/cni/10-k8s.conflist" <<-EOF
	{"cniVersion": "0.4.0", "name": "k8s-pods", "plugins": [
	  {"type": "bridge", "bridge": "k8sbr0", "isGateway": true, "ipMasq": false,
	   "ipam": {"type": "host-local", "dataDir": "$CTD/ipam",
	            "ranges": [[{"subnet": "10.244.77.0/24"}]],
	            "routes": [{"dst": "0.0.0.0/0"}]}}]}
	EOF
	# the sandbox asks for an oom_score_adj of -998, which takes
	# CAP_SYS_RESOURCE; where this host gives root none (a container),
	# containerd keeps every score at or above its own instead
	local restrict_oom=false
	(echo -1 >/proc/self/oom_score_adj) 2>/dev/null || restrict_oom=true
	cat >"$CTD/config.toml" <<-EOF
	version = 2
	root = "$CTD/root"
	state = "$CTD/state"
	[grpc]
	  address = "$CTD/sock"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$CTD/opt"
	[plugins."io.containerd.grpc.v1.cri"]
	  sandbox_image = "localhost/k8s-pause:latest"
	  stream_server_address = "127.0.0.1"
	  stream_server_port = "10010"
	  netns_mounts_under_state_dir = true
	  restrict_oom_score_adj = $restrict_oom
	  [plugins."io.containerd.grpc.v1.cri".cni]
	    bin_dir = "/usr/lib/cni"
	    conf_dir = "$CTD/cni"
	  [plugins."io.containerd.grpc.v1.cri".containerd]
	    default_runtime_name = "runc"
	EOF
	cri_runtime_toml runc "$(command -v runc)" >>"$CTD/config.toml"
	cri_runtime_toml moat "$MOAT" >>"$CTD/config.toml"
	# a kubelet with cgroupDriver systemd: refused on a hybrid host
	cri_runtime_toml moat-systemd "$MOAT" true >>"$CTD/config.toml"
	# moat with the policy file $CTD/policy.json (on a node:
	# /etc/moat/policy.json, read without a flag)
	printf '#!/bin/sh\nexec "%s" --policy "%s" "$@"\n' "$MOAT" "$CTD/policy.json" >"$CTD/moat-policy"
	chmod 755 "$CTD/moat-policy"
	cri_runtime_toml moat-policy "$CTD/moat-policy" >>"$CTD/config.toml"
	local host_layout=
	[ -n "${MOAT_IT_HOST_LAYOUT_UNDER:-}" ] && host_layout='umount /sys/fs/cgroup &&'
	unshare -m -n --propagation private sh -c "$host_layout ip link set lo up &&
		exec containerd --config '$CTD/config.toml' --log-level warn" >"$CTD/log" 2>&1 &
	CTD_PID=$!
	echo "$CTD_PID" >"$CTD/pid"
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$CTD/sock" ] && cri Version >/dev/null 2>&1 && break
		sleep 0.05
	done
	cri Version >/dev/null || { cat "$CTD/log" >&2; return 1; }
	# the images: the busybox root filesystem of the test bundle
	CRI_LAYER=$CTD/layer.tar
	tar -C "$MOAT_TEST_BUNDLE/rootfs" -cf "$CRI_LAYER" .
	cri_image_archive "$CTD/pause" localhost/k8s-pause:latest '["sleep", "infinity"]'
	cri_image_archive "$CTD/busybox" localhost/k8s-busybox:latest '["sh"]'
	local img
	for img in pause busybox; do
		ctr -a "$CTD/sock" -n k8s.io images import "$CTD/$img.tar" >"$CTD/import.log" 2>&1 &&
			cri ImageStatus "{\"image\": {\"image\": \"localhost/k8s-$img:latest\"}}" | jq -e .image.id >/dev/null || {
			echo "importing localhost/k8s-$img:latest into containerd failed: $(cat "$CTD/import.log")" >&2
			return 1
		}
	done
}

# cri_stop_containerd: the pods left (stopped and removed through the CRI,
# so that their shims end), then containerd, then any shim of it left
cri_stop_containerd() {
	[ -n "${CTD:-}" ] && [ -f "$CTD/pid" ] || return 0
	cri_remove_all_pods
	local pid i
	pid=$(cat "$CTD/pid")
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		is_alive "$pid" || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTD/sock"); do
		kill -9 "$pid" 2>/dev/null
	done
	return 0
}

cri_remove_all_pods() {
	local p
	for p in $(cri ListPodSandbox 2>/dev/null | jq -r '.items[]?.id'); do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null 2>&1
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null 2>&1
	done
	return 0
}

# cri METHOD [REQUEST_JSON] | cri exec-loop ... | cri stream ...
# (tests/lib/cri.py), in containerd's network namespace: the streaming
# server's address is there
cri() {
	CRI_PROTO_DIR=$CRI_PROTO_DIR timeout -k 5 180 \
		nsenter -t "$CTD_PID" -n /usr/bin/python3 "$CRI_LIB/cri.py" -a "$CTD/sock" "$@"
}

# in_ctd CMD...: CMD in containerd's mount and network namespaces
in_ctd() {
	nsenter -t "$CTD_PID" -m -n "$@"
}
