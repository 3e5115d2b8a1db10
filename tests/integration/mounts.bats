#!/usr/bin/env bats
# Mount options as the kernel applied them (/proc/self/mountinfo inside).

load helpers

# a host directory with a tmpfs submount at sub/
_tree() {
	mkdir -p "$T/tree/sub"
	mount -t tmpfs tmpfs "$T/tree/sub"
	on_teardown "umount -l '$T/tree/sub'"
	echo hi >"$T/tree/sub/f"
}

# mount options (field 6) of the mount at PATH inside the container
_opts_at() {
	awk -v p="$1" '$5 == p { print $6 }' <<<"$output"
}

@test "mounts: ro on an rbind makes only the top read-only" {
	_tree
	add_mount "{\"destination\": \"/t\", \"type\": \"bind\", \"source\": \"$T/tree\", \"options\": [\"rbind\", \"ro\"]}"
	set_args '["cat", "/proc/self/mountinfo"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	[[ "$(_opts_at /t)" == ro,* ]] || fail "/t: $(_opts_at /t)"
	[[ "$(_opts_at /t/sub)" == rw,* ]] || fail "/t/sub: $(_opts_at /t/sub)"
}

@test "mounts: rro, rnosuid, rnodev, rnoexec apply to every submount" {
	_tree
	add_mount "{\"destination\": \"/t\", \"type\": \"bind\", \"source\": \"$T/tree\", \"options\": [\"rbind\", \"rro\", \"rnosuid\", \"rnodev\", \"rnoexec\"]}"
	set_args '["cat", "/proc/self/mountinfo"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	local m
	for m in /t /t/sub; do
		local o
		o=$(_opts_at "$m")
		[[ "$o" == ro,* ]] || fail "$m not ro: $o"
		assert_contains "$o" nosuid "$m"
		assert_contains "$o" nodev "$m"
		assert_contains "$o" noexec "$m"
	done
}

@test "mounts: tmpfs data options (size, mode) reach the filesystem" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m", "mode=700"]}'
	set_sh 'stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" 700 "mode of /scratch"
	assert_contains "${lines[1]}" "size=1024k"
	assert_contains "${lines[1]}" "nosuid,nodev"
}

@test "mounts: a bind of a file onto a file" {
	echo file-content >"$T/hostfile"
	add_mount "{\"destination\": \"/etc/hostfile\", \"type\": \"bind\", \"source\": \"$T/hostfile\", \"options\": [\"bind\", \"ro\"]}"
	set_sh 'cat /etc/hostfile; (echo x >/etc/hostfile) 2>/dev/null && echo WROTE; true'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "file-content"
}

@test "mounts: an unknown option on a bind mount is refused, naming the mount" {
	add_mount "{\"destination\": \"/t\", \"type\": \"bind\", \"source\": \"$T\", \"options\": [\"rbind\", \"frobnicate\"]}"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "unknown option \`frobnicate\` for a bind mount"
	assert_contains "$stderr" "on \`/t\`"
	assert_nothing_left "$ID"
}

@test "mounts: an invalid filesystem option is refused, naming the mount" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["frobnicate=1"]}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "tmpfs on \`/scratch\`"
	assert_nothing_left "$ID"
}

_userns() {
	# the mapped root must be able to reach the bundle
	local d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	cfg '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
}

_owned_files() {
	mkdir -p "$T/data" "$ROOTFS/data"
	touch "$T/data/rootfile" "$T/data/userfile"
	chown 1000:1000 "$T/data/userfile"
	chmod 755 "$T/data"
}

@test "mounts: without idmap, host-owned files show as nobody in a user namespace" {
	_userns
	_owned_files
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\"]}"
	set_sh 'stat -c "%n %u:%g" /data/rootfile /data/userfile'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "/data/rootfile 65534:65534"
}

@test "mounts: idmap maps host ownership into the container's user namespace" {
	_userns
	_owned_files
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"idmap\"]}"
	set_sh 'stat -c "%n %u:%g" /data/rootfile /data/userfile; touch /data/new && stat -c "%u" /data/new'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "/data/rootfile 0:0"
	assert_contains "$output" "/data/userfile 1000:1000"
	# written through the mapping: owned by host root on disk
	assert_eq "$(stat -c %u "$T/data/new")" 0 "owner on the host of a file made inside"
}

@test "mounts: a mount's own uidMappings/gidMappings" {
	_userns
	_owned_files
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 101000, \"size\": 10}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 101000, \"size\": 10}]}"
	set_sh 'stat -c "%n %u:%g" /data/rootfile'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	# on-disk 0 -> host 101000 -> container 1000
	assert_contains "$output" "/data/rootfile 1000:1000"
}

@test "mounts: idmap without any mapping is refused clearly" {
	add_mount "{\"destination\": \"/t\", \"type\": \"bind\", \"source\": \"$T\", \"options\": [\"rbind\", \"idmap\"]}"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "idmap needs uidMappings and gidMappings"
	assert_nothing_left "$ID"
}

@test "mounts: propagation options show in mountinfo" {
	mkdir -p "$T/p"
	add_mount "{\"destination\": \"/p\", \"type\": \"bind\", \"source\": \"$T/p\", \"options\": [\"rbind\", \"rshared\"]}"
	set_args '["cat", "/proc/self/mountinfo"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	awk '$5 == "/p"' <<<"$output" | grep -q "shared:" || fail "/p is not shared: $(awk '$5 == "/p"' <<<"$output")"
}

@test "mounts: linux.mountLabel applies only where SELinux is enabled" {
	cfg '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	set_sh 'grep " /tmp " /proc/self/mountinfo'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	if [ -d /sys/fs/selinux ] && [ "$(cat /sys/fs/selinux/enforce 2>/dev/null)" != "" ]; then
		assert_contains "$output" "container_file_t" "context of /tmp"
	else
		assert_not_contains "$output" "context=" "no SELinux: no context option"
	fi
}

@test "mounts: contradictory options are refused, naming the mount" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "nosuid", "rw"]}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "contradictory options \`ro\` and \`rw\`"
	assert_contains "$stderr" "on \`/scratch\`"
	assert_nothing_left "$ID"
}

@test "mounts: devpts newinstance with ptmxmode and gid; mqueue; cgroup2 in a cgroup namespace" {
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cgroup2", "options": ["nosuid", "noexec", "nodev", "ro"]}'
	set_sh 'stat -c "%a %g" /dev/pts/ptmx; grep " /dev/pts " /proc/self/mountinfo; grep " /dev/mqueue " /proc/self/mountinfo; grep " /sys/fs/cgroup " /proc/self/mountinfo; cat /proc/self/cgroup | grep "^0::"'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" "666 0" "ptmx mode (ptmxmode=0666)"
	assert_contains "${lines[1]}" "devpts"
	assert_contains "${lines[1]}" "gid=5"
	assert_contains "${lines[1]}" "mode=620"
	assert_contains "${lines[2]}" "mqueue"
	assert_contains "${lines[3]}" "cgroup2"
	[[ "${lines[3]}" == *" ro,"* ]] || fail "cgroup2 not read-only: ${lines[3]}"
	# in its own cgroup namespace the container's cgroup is the root
	assert_eq "${lines[4]}" "0::/" "cgroup inside"
	assert_contains "$(awk '{print $4}' <<<"${lines[3]}")" "/" "cgroup2 mount root"
}

@test "mounts: rootfsPropagation sets the propagation of the root" {
	cfg '.linux.rootfsPropagation = "shared"'
	set_sh 'awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "shared:"
}

@test "mounts: contradictory recursive and atime options are refused too" {
	add_mount "{\"destination\": \"/t\", \"type\": \"bind\", \"source\": \"$T\", \"options\": [\"rbind\", \"rrw\", \"rro\"]}"
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "contradictory options \`rrw\` and \`rro\`"
	cfg '.mounts |= map(select(.destination != "/t"))'
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["noatime", "atime"]}'
	run --separate-stderr moat create --bundle "$BUNDLE" "$ID"
	assert_error "contradictory options \`noatime\` and \`atime\`"
	assert_nothing_left "$ID"
}

@test "mounts: propagation on a new filesystem (tmpfs rshared, cgroup2 rprivate)" {
	add_mount '{"destination": "/shared", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]}'
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "rprivate", "ro"]}'
	set_args '["cat", "/proc/self/mountinfo"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	awk '$5 == "/shared"' <<<"$output" | grep -q "shared:" || fail "/shared: $(awk '$5 == "/shared"' <<<"$output")"
	awk '$5 == "/sys/fs/cgroup"' <<<"$output" | grep -q "cgroup2" || fail "cgroup: $(awk '$5 == "/sys/fs/cgroup"' <<<"$output")"
}

@test "mounts: recursive flags apply to an idmapped rbind too" {
	_userns
	_owned_files
	mount -t tmpfs tmpfs "$T/data" && on_teardown "umount -l '$T/data'"
	mkdir -p "$T/data/sub" && mount -t tmpfs tmpfs "$T/data/sub" && on_teardown "umount -l '$T/data/sub'"
	chmod 755 "$T/data" "$T/data/sub"
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/data\", \"options\": [\"rbind\", \"idmap\", \"rro\"]}"
	set_args '["cat", "/proc/self/mountinfo"]'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	local m
	for m in /data /data/sub; do
		[[ "$(_opts_at "$m")" == ro,* ]] || fail "$m not read-only: $(_opts_at "$m")"
	done
}

# tmpcopyup (Podman's --read-only and --tmpfs): the fresh tmpfs starts with
# a copy of what the image has there: files with their modes, owners and
# times, directories, symlinks as symlinks (never followed), fifos made
# anew; device nodes are left out; the image is not touched
@test "mounts: tmpcopyup copies what the image has under a tmpfs, and only that" {
	local d=$ROOTFS/data
	mkdir -p "$d/sub"
	printf 'secret-ish\n' >"$d/file"
	chown 1000:1000 "$d/file"
	chmod 0604 "$d/file"
	touch -d '2001-02-03 04:05:06' "$d/file"
	printf 'deep\n' >"$d/sub/deeper"
	ln -s ../../../../etc/hostname "$d/escape-link"
	mkfifo "$d/fifo"
	mknod "$d/null" c 1 3
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "nosuid", "mode=755"]}]'
	set_sh 'cd /data && stat -c "%n %a %u:%g %Y %F" file sub fifo && cat file sub/deeper && readlink escape-link && { [ -e null ] && echo has-null || echo no-null; } && echo new >newfile && grep " /data " /proc/mounts | cut -d" " -f3'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "file 604 1000:1000 981173106 regular file"
	assert_contains "$output" "sub 755"
	assert_contains "$output" "fifo 644 0:0"
	assert_contains "$output" "secret-ish"
	assert_contains "$output" "deep"
	assert_contains "$output" "../../../../etc/hostname"
	assert_contains "$output" "no-null"
	assert_contains "$output" "tmpfs"
	[ ! -e "$d/newfile" ] || fail "a write to the tmpfs reached the image"
	assert_nothing_left "$ID"
	# read-only: copied first, then read-only
	cfg '.mounts[-1].options += ["ro"]'
	set_sh 'cat /data/file && { echo x >/data/y && echo WROTE || echo refused; }'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "secret-ish
refused"
	assert_nothing_left "$ID"
}

# A cgroup mount without a cgroup namespace of the container's own (runc
# spec's config, Podman's --cgroupns=host): a fresh cgroup2 mount would
# show every cgroup of the host, other containers' included, and a user
# namespace may not make one; the container's own cgroup is bound instead
@test "mounts: without a cgroup namespace, a cgroup mount shows the container's own cgroup only" {
	# a neighbour at the top: the parent moat/ may not exist before the run
	mkdir "$CGROOT/$ID-neighbour"
	on_teardown "rmdir '$CGROOT/$ID-neighbour' 2>/dev/null"
	cfg 'del(.linux.namespaces[] | select(.type == "cgroup")) | .mounts |= map(select(.destination != "/sys/fs/cgroup")) + [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}]'
	set_sh 'ls /sys/fs/cgroup /sys/fs/cgroup/moat 2>&1; echo procs=$(cat /sys/fs/cgroup/cgroup.procs); grep " /sys/fs/cgroup " /proc/mounts | cut -d" " -f4'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_not_contains "$output" "$ID-neighbour" "what the container sees of the host's cgroups"
	assert_contains "$output" "cgroup.procs"
	assert_contains "$output" "procs=1"
	assert_contains "$output" "ro,"
	assert_nothing_left "$ID"
	# in a user namespace, where the kernel refuses a fresh cgroup2 mount
	_userns
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_not_contains "$output" "$ID-neighbour" "what the container sees in a user namespace"
	assert_contains "$output" "cgroup.procs"
	assert_nothing_left "$ID"
}

# a value in double quotes (an SELinux context="...:c1,c2" has commas) is
# one option, passed to the filesystem without its quotes
@test "mounts: tmpcopyup takes a quoted option value as one option, unquoted" {
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=1m", "mode=\"0701\""]}'
	set_sh 'grep " /data " /proc/mounts'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "mode=701"
	assert_nothing_left "$ID"
}

# tmpfs's own default is 1777: a directory the image keeps 0755 would
# become writable by every user of the container
@test "mounts: a tmpfs without mode= takes the mode of the directory it covers" {
	mkdir -p "$ROOTFS/data" "$ROOTFS/spool"
	chmod 0750 "$ROOTFS/data"
	chmod 1777 "$ROOTFS/spool"
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}'
	add_mount '{"destination": "/spool", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}'
	add_mount '{"destination": "/given", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0711"]}'
	set_sh 'stat -c "%n %a" /data /spool /given'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "$output" "/data 750
/spool 1777
/given 711"
	assert_nothing_left "$ID"
}

@test "mounts: a mount namespace joined by path is refused before anything is made" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local a b=$T/second
	a=$(pid_of "$ID")
	cp -a "$BUNDLE" "$b"
	jq --arg p "/proc/$a/ns/mnt" '(.linux.namespaces[] | select(.type == "mount")) |= {type: "mount", path: $p}
	  | del(.mounts, .linux.maskedPaths, .linux.readonlyPaths)' "$CFG" >"$b/config.json"
	run --separate-stderr moat run -d --bundle "$b" "$ID-2"
	assert_error "joining a mount namespace by path is not supported"
	assert_nothing_left "$ID-2"
}
