#!/usr/bin/env bats
# make install and make uninstall of everything, into a DESTDIR: the
# files engines and shells read (Podman's drop-in, containerd's snippet,
# Kubernetes' RuntimeClass, bash and zsh completion, the default seccomp
# profile, the man page) with this build's paths; then those files at
# work: Podman picks moat by name from the drop-in (in this suite's own
# mount namespace, over a copy of /etc/containers), containerd reads the
# snippet, bash completes commands, options and ids.

load helpers

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export REPO
	export DEST=$BATS_FILE_TMPDIR/dest
	make -C "$REPO" install DESTDIR="$DEST" >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/install.log" >&2; return 1; }
	# where this build installs (configure's prefix and sysconfdir)
	export PREFIX SYSCONFDIR
	PREFIX=$(sed -n 's/^prefix = //p' "$REPO/Makefile")
	SYSCONFDIR=$(make -s -C "$REPO" --no-print-directory -f - print-sysconfdir <<'EOF' 2>/dev/null
include Makefile
print-sysconfdir:
	@echo $(sysconfdir)
EOF
	)
}

# the installed file PATH (below DEST) must exist
_installed() {
	[ -e "$DEST$1" ] || fail "not installed: $1 (installed: $(cd "$DEST" && find . -type f | sort | tr '\n' ' '))"
}

@test "install: the engines' files, completion, seccomp profile and man page, with this build's paths" {
	_installed "$SYSCONFDIR/containers/containers.conf.d/moat.conf"
	_installed "$PREFIX/share/moat/containerd/moat.toml"
	_installed "$PREFIX/share/moat/kubernetes/runtimeclass.yaml"
	_installed "$PREFIX/share/moat/seccomp.json"
	_installed "$PREFIX/share/moat/policy/kubernetes-node.json"
	_installed "$PREFIX/share/moat/policy/workstation.json"
	_installed "$PREFIX/share/bash-completion/completions/moat"
	_installed "$PREFIX/share/zsh/vendor-completions/_moat"
	_installed "$PREFIX/share/man/man1/moat.1"
	_installed "$PREFIX/bin/moat"
	grep -qF "\"$PREFIX/bin/moat\"," "$DEST$SYSCONFDIR/containers/containers.conf.d/moat.conf" ||
		fail "the drop-in does not name $PREFIX/bin/moat"
	grep -qF "BinaryName = \"$PREFIX/bin/moat\"" "$DEST$PREFIX/share/moat/containerd/moat.toml" ||
		fail "the containerd snippet does not name $PREFIX/bin/moat"
	cmp -s "$DEST$PREFIX/share/moat/seccomp.json" "$REPO/contrib/seccomp.json" ||
		fail "the installed seccomp profile is not contrib/seccomp.json"
	! grep -q '%bindir%\|%pkgdatadir%\|@bindir@' -r "$DEST" || fail "a placeholder left in an installed file"
}

@test "install: make uninstall removes every file make install put in place" {
	local d=$BATS_FILE_TMPDIR/dest2
	run make -C "$REPO" install DESTDIR="$d"
	assert_status 0
	[ -n "$(find "$d" -type f)" ] || fail "nothing installed"
	run make -C "$REPO" uninstall DESTDIR="$d"
	assert_status 0
	assert_eq "$(find "$d" ! -type d | sort)" "" "files left after uninstall"
}

@test "install: the man page renders" {
	command -v groff >/dev/null || skip "groff is not installed"
	run groff -man -Tutf8 -ww "$DEST$PREFIX/share/man/man1/moat.1"
	assert_status 0
	assert_contains "$output" "moat - a minimal, hardened OCI container runtime"
}

# bash completion at the command line "$@" (the last word completed),
# with moat the binary under test
_complete() {
	bash -c 'source "$1"; shift; PATH=$(dirname "$MOAT"):$PATH
		COMP_WORDS=(moat "$@"); COMP_CWORD=$#; _moat; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$DEST$PREFIX/share/bash-completion/completions/moat" "$@"
}

@test "install: bash completes commands, every option of every command, and container ids" {
	# moat's binary name in PATH must be moat
	ln -s "$MOAT" "$T/moat"
	MOAT=$T/moat
	assert_eq "$(_complete de)" delete "moat de"
	assert_eq "$(_complete --log-format j)" json "moat --log-format j"
	local cmd opt missing=
	for cmd in $("$MOAT" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\{1,\}\) .*/\1/p'); do
		for opt in $("$MOAT" "$cmd" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
			_complete "$cmd" "$opt" | grep -qx -- "$opt" || missing="$missing $cmd$opt"
		done
	done
	[ -z "$missing" ] || fail "options not completed:$missing"
	set_args '["sleep", "100"]'
	run_d_ok "$ID"
	assert_eq "$(_complete --root "$ROOT" kill "${ID:0:3}")" "$ID" "a container id"
}

@test "install: Podman picks moat by name from the drop-in in /etc/containers/containers.conf.d" {
	command -v podman >/dev/null || skip "podman is not installed"
	# a copy of /etc/containers with the drop-in (where this build installs
	# it: /etc with configure --sysconfdir=/etc, as the Debian package
	# does), over it in this suite's mount namespace only
	mkdir -p "$T/etc-containers"
	cp -a /etc/containers/. "$T/etc-containers/"
	mkdir -p "$T/etc-containers/containers.conf.d"
	sed "s|\"$PREFIX/bin/moat\"|\"$MOAT\"|" "$DEST$SYSCONFDIR/containers/containers.conf.d/moat.conf" \
		>"$T/etc-containers/containers.conf.d/moat.conf"
	mount --bind "$T/etc-containers" /etc/containers
	on_teardown "umount -l /etc/containers"
	run --separate-stderr timeout -k 10 120 podman --runtime moat info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
	assert_status 0
	assert_eq "$output" "moat $MOAT" "the runtime podman found by name"
}

@test "install: containerd reads the snippet: the runtime moat through the runc v2 shim, with moat's binary" {
	command -v containerd >/dev/null || skip "containerd is not installed"
	printf 'version = 2\nimports = ["%s"]\n' "$DEST$PREFIX/share/moat/containerd/moat.toml" >"$T/config.toml"
	run containerd --config "$T/config.toml" config dump
	assert_status 0
	assert_contains "$output" '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.moat]'
	assert_contains "$output" 'runtime_type = "io.containerd.runc.v2"'
	assert_contains "$output" "BinaryName = \"$PREFIX/bin/moat\""
}
