#!/usr/bin/env bats
# The Debian packages (contrib/debian, built on the host by
# contrib/build-deb.sh in the VM lane, lintian run there too), installed
# in the VM of the VM lane, whose root's writes are thrown away at power
# off: dpkg installs them; Podman knows moat by name from the package's
# drop-in and runs a container with it, without any path; containerd
# reads its snippet; man and bash completion work; dpkg --purge removes
# every file.  The tests run in order, on one installation.
#
# dpkg keeps its database for these packages in a directory of its own
# (--admindir): reading the host's whole database through the VM's 9p
# root under emulation takes minutes, and its man-db trigger more.  So
# dpkg does not check the dependencies here (--force-depends); lintian,
# on the host, checks the package's metadata.

load helpers

setup_file() {
	export DEBS=${MOAT_TEST_DEBS:-}
	export ADMIN=/tmp/moat-pkg-dpkg
	mkdir -p "$ADMIN/info" "$ADMIN/updates" "$ADMIN/triggers"
	: >"$ADMIN/status"
	: >"$ADMIN/available"
}

_dpkg() {
	dpkg --admindir="$ADMIN" "$@"
}

_require_debs() {
	[ "${MOAT_VM:-}" = 1 ] || skip "installs packages: only in the VM of the VM lane (tests/vm/lane.sh)"
	[ -n "$DEBS" ] && ls "$DEBS"/moat_*.deb >/dev/null 2>&1 ||
		fail "no package was built: $(tail -20 "$DEBS/build.log" 2>/dev/null)"
}

@test "package: lintian finds no error in the packages" {
	_require_debs
	assert_eq "$(cat "$DEBS/lintian.rc")" 0 "lintian's status; it said: $(cat "$DEBS/lintian.log")"
}

@test "package: dpkg installs moat, libmoat0 and libmoat-dev, with the files make install puts in place" {
	_require_debs
	run _dpkg --force-depends -i "$DEBS"/moat_*.deb "$DEBS"/libmoat0_*.deb "$DEBS"/libmoat-dev_*.deb
	assert_status 0
	run /usr/bin/moat --version
	assert_status 0
	local f
	for f in /usr/bin/moat /etc/containers/containers.conf.d/moat.conf /usr/share/moat/seccomp.json \
		/usr/share/moat/containerd/moat.toml /usr/share/moat/kubernetes/runtimeclass.yaml \
		/usr/share/moat/policy/kubernetes-node.json \
		/usr/share/bash-completion/completions/moat /usr/share/zsh/vendor-completions/_moat \
		/usr/share/man/man1/moat.1.gz /usr/include/moat.h; do
		_dpkg -S "$f" >/dev/null 2>&1 || fail "$f is in no installed package"
	done
	[ -n "$(_dpkg -L libmoat0 | grep 'libmoat.so.0$')" ] || fail "libmoat0 has no libmoat.so.0"
	pkg-config --exists libmoat || fail "pkg-config does not find libmoat"
}

@test "package: Podman knows moat by name and runs a container with it" {
	_require_debs
	command -v podman >/dev/null || skip "podman is not installed"
	local pm=(podman --root /tmp/pkg-podman/root --runroot /tmp/pkg-podman/run
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	run --separate-stderr timeout -k 10 300 "${pm[@]}" --runtime moat info \
		--format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	assert_status 0
	assert_eq "$output" "moat /usr/bin/moat" "the runtime found by name"
	tar -C "$MOAT_TEST_BUNDLE/rootfs" -c . | timeout -k 10 300 "${pm[@]}" import -q - localhost/pkg:latest >/dev/null ||
		fail "podman import failed"
	run --separate-stderr timeout -k 10 300 "${pm[@]}" --runtime moat run --rm --network none \
		localhost/pkg:latest sh -c 'echo from-the-package'
	assert_status 0
	assert_eq "$output" from-the-package "the container's output"
}

@test "package: containerd reads the package's snippet, and ctr runs a container with the package's moat" {
	_require_debs
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed"
	local d=/tmp/pkg-containerd
	mkdir -p "$d"
	printf 'version = 2\nimports = ["/usr/share/moat/containerd/moat.toml"]\n' >"$d/config.toml"
	run containerd --config "$d/config.toml" config dump
	assert_status 0
	assert_contains "$output" '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.moat]'
	assert_contains "$output" 'BinaryName = "/usr/bin/moat"'
	containerd --config "$d/config.toml" --root "$d/root" --state "$d/state" --address "$d/sock" \
		--log-level error >"$d/log" 2>&1 &
	helper_pid $!
	local k
	for ((k = 0; k < 300; k++)); do [ -S "$d/sock" ] && break; sleep 0.1; done
	[ -S "$d/sock" ] || fail "containerd did not start: $(cat "$d/log")"
	# the image Podman imported in the test before
	timeout -k 10 300 podman --root /tmp/pkg-podman/root --runroot /tmp/pkg-podman/run \
		--storage-driver vfs save -q --format oci-archive -o "$d/img.tar" localhost/pkg:latest ||
		fail "podman save failed"
	timeout -k 10 300 ctr -a "$d/sock" -n pkg images import \
		"$d/img.tar" >/dev/null || fail "ctr images import failed"
	run --separate-stderr timeout -k 10 300 ctr -a "$d/sock" -n pkg run --rm --cpu-shares 0 \
		--runc-binary /usr/bin/moat localhost/pkg:latest pkg-c1 sh -c 'echo from-ctr'
	assert_status 0
	assert_eq "$output" from-ctr "the container's output through ctr"
}

@test "package: man moat opens, and bash completes moat de to delete" {
	_require_debs
	command -v man >/dev/null || skip "man is not installed"
	run env MANPAGER=cat MANWIDTH=80 man moat
	assert_status 0
	assert_contains "$output" "moat - a minimal, hardened OCI container runtime"
	run bash -c 'source /usr/share/bash-completion/completions/moat; COMP_WORDS=(moat de); COMP_CWORD=1; _moat; echo "${COMPREPLY[*]}"'
	assert_eq "$output" delete "completion of moat de"
}

@test "package: dpkg --purge removes every file of the packages" {
	_require_debs
	local files
	files=$(_dpkg -L moat libmoat0 libmoat-dev | sort -u)
	run _dpkg --force-depends --purge moat libmoat0 libmoat-dev
	assert_status 0
	local f left=
	for f in $files; do
		[ -d "$f" ] && continue
		[ -e "$f" ] && left="$left $f"
	done
	[ -z "$left" ] || fail "left after purge:$left"
}
