#!/usr/bin/env bats
# Regression tests for the runtime vulnerability classes moat is built
# against.  Each one fails on a design that has the hole.

load helpers

# CVE-2024-21626 class: an fd inherited from the caller (here a host
# directory on fd 7) must not reach the container, not even as the cwd.
@test "security: an inherited host directory fd cannot become the cwd" {
	cfg '.process.cwd = "/proc/self/fd/7"'
	set_args '["true"]'
	run --separate-stderr bash -c 'exec 7</; "$@"' _ "$MOAT" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
	assert_error "process.cwd"
	assert_nothing_left "$ID"
}

@test "security: only stdio reaches the process; inherited fds are closed" {
	set_args '["ls", "/proc/self/fd"]'
	run --separate-stderr bash -c 'exec 7</ 8</etc/passwd 9>/dev/null; "$@"' _ "$MOAT" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	assert_status 0
	# ls's own fds: stdio and the directory it lists
	assert_eq "$(echo $output)" "0 1 2 3" "fds of the container's process"
}

@test "security: --preserve-fds passes exactly fds 3..3+N-1" {
	echo preserved-content >"$T/p"
	set_sh 'cat <&3; exec ls /proc/self/fd'
	run --separate-stderr bash -c 'exec 3<"$0" 4</; "$@"' "$T/p" "$MOAT" --root "$ROOT" run --preserve-fds 1 --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$output" "preserved-content" "fd 3 content"
	# stdio, the preserved fd 3, and ls's own directory (4)
	assert_eq "$(echo ${lines[@]:1})" "0 1 2 3 4" "fds of the process"
}

# CVE-2019-5736 class: while the init is still the moat binary (waiting for
# start), another container process must not reach it via /proc/<pid>/exe.
@test "security: the waiting init's /proc/<pid>/exe is not reachable from a container" {
	set_args '["true"]'
	create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	# a second container in the first one's pid namespace
	cp -a "$BUNDLE" "$T/b2"
	jq --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p}
	  | .process.args = ["sh", "-c", "readlink /proc/1/exe && echo READLINK-OK; cat /proc/1/exe >/dev/null && echo READ-OK; echo done"]' \
		"$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	run --separate-stderr moat run --bundle "$T/b2" "$ID-2"
	assert_status 0
	assert_contains "$output" "done"
	assert_not_contains "$output" "READLINK-OK" "readlink of the init's exe"
	assert_not_contains "$output" "READ-OK" "read of the init's exe"
	run --separate-stderr moat delete -f "$ID"
	assert_status 0
	assert_nothing_left "$ID"
}

# The moat binary must not be open or mapped into the container's process
# after exec: the init runs the user's program in place.
@test "security: the container's process is the user's program, not moat" {
	set_sh 'readlink /proc/1/exe; cat /proc/1/maps | grep -c moat || true'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "${lines[0]}" "busybox" "exe of pid 1"
	assert_eq "${lines[1]}" "0" "moat mappings in pid 1"
}

# 2025 masked-path class: the mask source must be a real null device, never
# whatever the image (or a racing process) put at the container's /dev/null.
@test "security: masking never uses an image's /dev/null symlink" {
	echo SECRET >"$ROOTFS/etc/secret"
	echo EVIL >"$ROOTFS/etc/writable"
	mkdir -p "$ROOTFS/dev"
	ln -sf /etc/writable "$ROOTFS/dev/null"
	# no /dev tmpfs: the image's /dev is used as it is
	cfg '.mounts |= map(select(.destination | startswith("/dev") | not)) | .linux.maskedPaths = ["/etc/secret"] | .root.readonly = false'
	set_sh 'cat /etc/secret; echo "[$(stat -c %F /dev/null)]"; echo x >/etc/secret 2>/dev/null; cat /etc/writable'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	assert_status 0
	assert_not_contains "$output" "SECRET" "masked file"
	assert_eq "${lines[0]}" "[character special file]" "/dev/null in the container"
	assert_eq "${lines[1]}" "EVIL" "the symlink's target is untouched"
}

# CVE-2023-27561 class: /proc (or /sys) replaced by a symlink in the image
# must not get procfs mounted on a host path.
@test "security: a /proc symlinked out of the rootfs mounts inside the rootfs" {
	local escape="moat-evil-proc-$RANDOM$RANDOM"
	rm -rf "$ROOTFS/proc"
	ln -s "../../../../../../../../../tmp/$escape" "$ROOTFS/proc"
	# (the config's /tmp tmpfs then covers what was mounted there)
	set_sh 'echo ran'
	run --separate-stderr moat run --bundle "$BUNDLE" "$ID"
	[ ! -e "/tmp/$escape" ] || { rm -rf "/tmp/$escape"; fail "a host path /tmp/$escape was created"; }
	grep -q " /tmp/$escape " /proc/self/mountinfo && fail "procfs mounted on the host"
	assert_status 0
	assert_eq "$output" "ran"
	[ -d "$ROOTFS/tmp/$escape" ] || fail "the target was not made inside the rootfs"
}

_ptrace_caps() {
	cfg '.process.capabilities |= with_entries(select(.key == "bounding" or .key == "effective" or .key == "permitted") | .value += ["CAP_SYS_PTRACE"])'
}

# CVE-2019-5736 with CAP_SYS_PTRACE, which the dumpable flag does not stop:
# moat then runs from a sealed in-memory copy of itself.
@test "security: with CAP_SYS_PTRACE and no user namespace, moat's exe in the container is a sealed copy" {
	_ptrace_caps
	set_args '["sleep", "100"]'
	local before
	before=$(sha256sum <"$MOAT")
	create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	assert_eq "$(readlink "/proc/$pid/exe")" "/memfd:moat (deleted)" "exe of the waiting init"
	# a second such container in its pid namespace: reaches only the copy
	cp -a "$BUNDLE" "$T/b2"
	jq --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p}
	  | .process.args = ["sh", "-c", "readlink /proc/1/exe; (echo x >/proc/1/exe) 2>/dev/null && echo WROTE; echo done"]' \
		"$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	run --separate-stderr moat run --bundle "$T/b2" "$ID-2"
	assert_status 0
	assert_eq "${lines[0]}" "/memfd:moat (deleted)" "what the container reaches"
	assert_not_contains "$output" "WROTE"
	run --separate-stderr moat delete -f "$ID"
	assert_eq "$(sha256sum <"$MOAT")" "$before" "the moat binary on disk"
}

@test "security: exec into a CAP_SYS_PTRACE container runs sealed and keeps its arguments" {
	_ptrace_caps
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	run --separate-stderr moat exec -u 1000:1001 -e X=y "$ID" sh -c 'id -u; id -g; echo $X'
	assert_status 0
	assert_eq "$(echo ${lines[@]})" "1000 1001 y" "exec through the sealed copy"
}

@test "security: moat runs sealed for every container, with or without CAP_SYS_PTRACE" {
	# a ptrace-capable process can join the pid namespace later (a pod
	# neighbour): no config tells in advance that nobody will
	set_args '["sleep", "100"]'
	create_ok "$ID"
	assert_eq "$(readlink "/proc/$(pid_of "$ID")/exe")" "/memfd:moat (deleted)" "exe of the waiting init"
}

# Kernels before 6.17 cannot mount a /proc for a pid namespace from outside
# it (no procfs pidns=): there a helper born in the namespace opens the
# /proc (docs/security.md).  MOAT_FAULT=proc-pidns plays such a kernel.
@test "security: a container in another's pid namespace sees that namespace, with or without procfs pidns=" {
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	cp -a "$BUNDLE" "$T/b2"
	jq --arg p "/proc/$pid/ns/pid" '(.linux.namespaces[] | select(.type == "pid")) |= {type: "pid", path: $p}
	  | .process.args = ["sh", "-c", "cat /proc/1/cmdline | tr \"\\\\0\" \" \"; echo; echo $$"]' \
		"$T/b2/config.json" >"$T/b2/c" && mv "$T/b2/c" "$T/b2/config.json"
	run --separate-stderr moat run --bundle "$T/b2" "$ID-2"
	assert_status 0
	assert_contains "${lines[0]}" "sleep 100" "pid 1 of the joined namespace, as the container sees it"
	assert_ne "${lines[1]}" 1 "the container's own pid"
	run --separate-stderr env MOAT_FAULT=proc-pidns "$MOAT" --root "$ROOT" run --bundle "$T/b2" "$ID-3"
	assert_status 0
	assert_contains "${lines[0]}" "sleep 100" "the same on a kernel without procfs pidns="
}

@test "security: the waiting init shows neither moat's command line nor its environment" {
	set_args '["sleep", "100"]'
	MOAT_SECRET_VAR=secret-value create_ok "$ID"
	local pid
	pid=$(pid_of "$ID")
	# both are zeroed: nothing but NULs is left
	assert_eq "$(tr -d '\0' <"/proc/$pid/cmdline")" "" "cmdline of the waiting init"
	assert_eq "$(tr -d '\0' <"/proc/$pid/environ")" "" "environ of the waiting init"
}

@test "security: an inherited _MOAT_SEALED_EXE does not turn the sealed copy off" {
	_ptrace_caps
	set_args '["sleep", "100"]'
	_MOAT_SEALED_EXE=1 create_ok "$ID"
	assert_eq "$(readlink "/proc/$(pid_of "$ID")/exe")" "/memfd:moat (deleted)" "exe of the waiting init"
}
