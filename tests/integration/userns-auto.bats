#!/usr/bin/env bats
# Automatic id ranges for containers run by root: create --userns auto,
# and a config with a user namespace but no mappings, get 65536 ids of
# their own from the subordinate ranges of the user `containers`, never
# shared by two containers, free again at delete, and an idmapped root
# filesystem (the image's files are the container root's).  The ranges
# are made here when /etc/subuid and /etc/subgid have none, and taken
# away at the end.

load helpers

setup_file() {
	export SUB_START
	SUB_START=$(awk -F: '$1 == "containers" { print $2; exit }' /etc/subuid 2>/dev/null)
	if [ -z "$SUB_START" ] || ! grep -q "^containers:$SUB_START:" /etc/subgid 2>/dev/null; then
		SUB_START=4100000
		cp /etc/subuid "$BATS_FILE_TMPDIR/subuid" 2>/dev/null || : >"$BATS_FILE_TMPDIR/subuid"
		cp /etc/subgid "$BATS_FILE_TMPDIR/subgid" 2>/dev/null || : >"$BATS_FILE_TMPDIR/subgid"
		echo "containers:$SUB_START:655360" >>/etc/subuid
		echo "containers:$SUB_START:655360" >>/etc/subgid
		touch "$BATS_FILE_TMPDIR/made-ranges"
	fi
}

teardown_file() {
	if [ -f "$BATS_FILE_TMPDIR/made-ranges" ]; then
		cp "$BATS_FILE_TMPDIR/subuid" /etc/subuid
		cp "$BATS_FILE_TMPDIR/subgid" /etc/subgid
	fi
	return 0
}

# the first host uid of ID's user namespace, from its init's uid_map
_range_of() {
	awk 'NR == 1 { print $2 }' "/proc/$(pid_of "$1")/uid_map"
}

REGISTRY=/run/moat-userns

# the blocks the registry records for this test's state root
_blocks() {
	local root f
	root=$(realpath "$ROOT")
	for f in "$REGISTRY"/*; do
		[ -f "$f" ] && [ "${f##*/}" != lock ] || continue
		case $(cat "$f") in "$root"/*) printf '%s ' "${f##*/}" ;; esac
	done
}

@test "userns auto: a container without a user namespace gets 65536 ids of the containers range, and its image's files are its root's" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID" --userns auto
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(tr -s ' ' <"/proc/$pid/uid_map" | sed 's/^ //')" "0 $SUB_START 65536" "uid_map from the host"
	assert_eq "$(tr -s ' ' <"/proc/$pid/gid_map" | sed 's/^ //')" "0 $SUB_START 65536" "gid_map from the host"
	assert_eq "$(stat -c %u "/proc/$pid")" "$SUB_START" "the init's host uid"
	run --separate-stderr moat exec "$ID" sh -c 'id -u; stat -c %u:%g /bin/busybox; touch /tmp/made; stat -c %u /tmp/made'
	assert_status 0
	assert_eq "$output" "0
0:0
0" "inside: root, the image's files root's (idmapped), a new file root's"
	assert_eq "$(stat -c %u "/proc/$pid/root/tmp/made")" "$SUB_START" "the new file's owner on the host"
	assert_eq "$(_blocks)" "0 " "the block recorded"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_eq "$(_blocks)" "" "the block given back at delete"
}

@test "userns auto: as root, a config with a user namespace and no mappings gets an automatic range" {
	cfg '.linux.namespaces += [{"type": "user"}]'
	set_sh 'cat /proc/self/uid_map'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(echo $output)" "0 $SUB_START 65536" "uid_map"
	assert_eq "$(_blocks)" "" "nothing recorded after the run"
}

@test "userns auto: a rootfs whose filesystem cannot idmap, under directories only root may walk, is attached by fd and runs" {
	# ramfs has no idmapped mounts; the container's root (a host id of the
	# range) may not walk $T/ramfs, so nothing may look the rootfs up by path
	mkdir -p "$T/ramfs"
	mount -t ramfs -o mode=0700 ramfs "$T/ramfs" || skip "cannot mount a ramfs here"
	on_teardown "umount -l '$T/ramfs'"
	mkdir -m 0700 "$T/ramfs/inner"
	cp -a "$BUNDLE" "$T/ramfs/inner/b"
	jq '.process.args = ["sh", "-c", "id -u; stat -c %u /bin/busybox"]' "$CFG" >"$T/ramfs/inner/b/config.json"
	run --separate-stderr moat run --userns auto --bundle "$T/ramfs/inner/b" "$ID"
	assert_status 0
	assert_eq "$output" "0
65534" "the uid, and the image's owner (not idmapped: nobody)"
	assert_contains "$stderr" "the root filesystem is not idmapped"
	assert_nothing_left "$ID"
}

@test "userns auto: containers at once get disjoint ranges; a range is free again after delete" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID-a" --userns auto
	run_d_ok "$ID-b" --userns auto
	local a b
	a=$(_range_of "$ID-a") b=$(_range_of "$ID-b")
	[ "$a" != "$b" ] || fail "both got $a"
	assert_eq "$a $b" "$SUB_START $((SUB_START + 65536))" "the first two blocks"
	run --separate-stderr moat delete -f "$ID-a"
	assert_status 0
	run_d_ok "$ID-c" --userns auto
	assert_eq "$(_range_of "$ID-c")" "$SUB_START" "the block given back is taken again"
	moat delete -f "$ID-b"
	moat delete -f "$ID-c"
	assert_eq "$(_blocks)" "" "all given back"
}

@test "userns auto: eight creates at once take eight distinct blocks" {
	set_args '["sleep", "100"]'
	local k
	for k in 1 2 3 4 5 6 7 8; do
		moat create --userns auto --bundle "$BUNDLE" "$ID-$k" &
	done
	wait
	local ranges=
	for k in 1 2 3 4 5 6 7 8; do
		[ "$(status_of "$ID-$k")" = created ] || fail "$ID-$k: $(status_of "$ID-$k")"
		record_pid "$ID-$k"
		ranges="$ranges $(_range_of "$ID-$k")"
	done
	assert_eq "$(echo $ranges | tr ' ' '\n' | sort -u | wc -l)" 8 "distinct ranges:$ranges"
	for k in 1 2 3 4 5 6 7 8; do moat delete -f "$ID-$k"; done
	assert_eq "$(_blocks)" "" "all given back"
}

@test "userns auto: a create killed after taking its range leaves it to delete -f, and a stale record is taken again" {
	set_args '["sleep", "100"]'
	run --separate-stderr env MOAT_FAULT=kill:clone "$MOAT" --root "$ROOT" create --userns auto --bundle "$BUNDLE" "$ID"
	assert_status 137
	assert_eq "$(_blocks)" "0 " "the block recorded by the killed create"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_eq "$(_blocks)" "" "given back by delete -f"
	# a record whose container is gone (a delete killed before it gave the
	# block back) is free again
	echo "$(realpath "$ROOT")/no-such-container" >"$REGISTRY/0"
	run_d_ok "$ID-2" --userns auto
	assert_eq "$(_range_of "$ID-2")" "$SUB_START" "the stale block taken"
	moat delete -f "$ID-2"
}

@test "userns auto: without ranges for containers the create is refused, naming what to add, and leaves nothing" {
	cp /etc/subuid "$T/subuid.keep"
	on_teardown "cp '$T/subuid.keep' /etc/subuid"
	sed -i '/^containers:/d' /etc/subuid
	run --separate-stderr moat run --userns auto --bundle "$BUNDLE" "$ID"
	assert_error "linux.namespaces: the user namespace's ids: automatic id ranges come from the subordinate ranges of the user \`containers\`, and /etc/subuid or /etc/subgid has none (add a line such as \`containers:2147483647:2147483648\` to both"
	assert_nothing_left "$ID"
	run --separate-stderr moat run --userns maybe --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" "--userns: unknown value \`maybe\` (auto)"
}

@test "userns auto: with --no-pivot too the idmapped root is the container's" {
	set_sh 'stat -c %u:%g /bin/busybox; cat /proc/self/uid_map'
	run --separate-stderr moat run --no-pivot --userns auto --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$(echo $output)" "0:0 0 $SUB_START 65536" "owner of the image's files, uid_map"
}

# a tmpfs made shared in this suite's mount namespace (the "host"), with
# an empty directory x in it
_shared_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs tmpfs "$1"
	on_teardown "umount -R -l '$1'"
	mount --make-shared "$1"
	mkdir -p "$1/x"
}

@test "userns auto: nothing the container mounts in its idmapped root, or an idmapped volume, shows on the host" {
	_shared_tmpfs "$ROOTFS/shared"
	_shared_tmpfs "$T/vol"
	add_mount "{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$T/vol\", \"options\": [\"bind\", \"idmap\"]}"
	cfg '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_sh 'mount -t tmpfs none /shared/x && mount -t tmpfs none /vol/x && echo mounted'
	run --separate-stderr moat run --userns auto --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" mounted "the container's mounts"
	local leaked
	leaked=$(awk -v a="$ROOTFS/shared/x" -v b="$T/vol/x" '$5 == a || $5 == b { print $5 }' /proc/self/mountinfo)
	assert_eq "$leaked" "" "mounts of the container on the host"
}

@test "userns auto: exec into a container whose maps moat chose (a user namespace without mappings) runs as its root" {
	cfg '.linux.namespaces += [{"type": "user"}]'
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec "$ID" sh -c 'id -u; head -1 /proc/self/uid_map'
	assert_status 0
	assert_eq "$(echo $output)" "0 0 $SUB_START 65536" "uid, and the map of the exec'd process"
}

@test "userns auto: a range that holds uid 0, or overlaps another user's, is refused; so is one without a pid namespace or cgroup" {
	cp /etc/subuid "$T/subuid.keep"
	cp /etc/subgid "$T/subgid.keep"
	on_teardown "cp '$T/subuid.keep' /etc/subuid; cp '$T/subgid.keep' /etc/subgid"
	sed -i '/^containers:/d' /etc/subuid /etc/subgid
	echo "containers:0:655360" >>/etc/subuid
	echo "containers:0:655360" >>/etc/subgid
	run --separate-stderr moat run --userns auto --bundle "$BUNDLE" "$ID"
	assert_error "the subordinate range of \`containers\` in /etc/subuid starts at 0: it would map the host's root"
	sed -i '/^containers:/d' /etc/subuid /etc/subgid
	echo "moat-it-other:$((SUB_START + 10)):100" >>/etc/subuid
	echo "containers:$SUB_START:655360" >>/etc/subuid
	echo "containers:$SUB_START:655360" >>/etc/subgid
	run --separate-stderr moat run --userns auto --bundle "$BUNDLE" "$ID"
	assert_error "the subordinate range of \`containers\` overlaps another one (/etc/subuid: moat-it-other:$((SUB_START + 10)):100)"
	cp "$T/subuid.keep" /etc/subuid
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	run --separate-stderr moat --cgroup-manager disabled run --userns auto --bundle "$BUNDLE" "$ID"
	assert_error "an automatic id range needs a pid namespace of the container's own or a cgroup"
	assert_nothing_left "$ID"
}

@test "userns auto: containers of two state roots get disjoint ranges (one registry for the host)" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID-a" --userns auto
	mkdir -p "$T/root2"
	on_teardown "'$MOAT' --root '$T/root2' delete -f '$ID-b'"
	moat_bare --root "$T/root2" run -d --userns auto --bundle "$BUNDLE" "$ID-b" ||
		fail "run -d in the second state root failed"
	local a b pid
	a=$(_range_of "$ID-a")
	pid=$(moat_bare --root "$T/root2" state "$ID-b" | jq -r .pid)
	b=$(awk 'NR == 1 { print $2 }' "/proc/$pid/uid_map")
	[ "$a" != "$b" ] || fail "both state roots handed out $a"
	"$MOAT" --root "$T/root2" delete -f "$ID-b"
	grep -rqs "$T/root2" "$REGISTRY" && fail "the block of the second root is still recorded"
	return 0
}
