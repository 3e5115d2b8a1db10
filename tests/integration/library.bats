#!/usr/bin/env bats
# libmoat as a library: installed with `make install`, found through
# pkg-config, linked by a program of its own (tests/example), exporting
# only the public API of moat.h.

load helpers

setup_file() {
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export DEST=$BATS_FILE_TMPDIR/dest
	make -C "$REPO" install DESTDIR="$DEST" >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/install.log" >&2; return 1; }
	export LIBDIR
	LIBDIR=$(dirname "$(find "$DEST" -name 'libmoat.so.0' | head -1)")
	local pcdir
	pcdir=$(dirname "$(find "$DEST" -name libmoat.pc | head -1)")
	# the .pc names the final prefix; the sysroot puts DESTDIR in front
	PKG_CONFIG_SYSROOT_DIR=$DEST PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs libmoat \
		>"$BATS_FILE_TMPDIR/pkg" || return 1
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Werror $(cat "$BATS_FILE_TMPDIR/pkg") -o "$BATS_FILE_TMPDIR/run-container" \
		"$REPO/tests/example/run-container.c" $(cat "$BATS_FILE_TMPDIR/pkg") ||
		return 1
	export EXAMPLE=$BATS_FILE_TMPDIR/run-container
}

@test "library: make install puts the library, its header and its pkg-config file in place" {
	[ -f "$LIBDIR/libmoat.so.0" ] || fail "no libmoat.so.0"
	[ -n "$(find "$DEST" -path '*/include/moat.h')" ] || fail "no moat.h"
	[ -n "$(find "$DEST" -name libmoat.pc)" ] || fail "no libmoat.pc"
	[ -n "$(find "$DEST" -path '*/bin/moat')" ] || fail "no moat binary"
	[ -n "$(find "$DEST" -name 'moat.1')" ] || fail "no man page"
}

@test "library: only the public API is exported, every symbol prefixed moat_" {
	run nm -D --defined-only "$LIBDIR/libmoat.so.0"
	assert_status 0
	local sym bad=
	for sym in $(echo "$output" | awk '$2 ~ /^[TDBRW]$/ { print $3 }'); do
		case $sym in moat_*) ;; *) bad="$bad $sym" ;; esac
		grep -q "\\b$sym *(" "$(find "$DEST" -path '*/include/moat.h')" ||
			bad="$bad $sym(not in moat.h)"
	done
	[ -z "$bad" ] || fail "exported but not public:$bad"
	assert_contains "$output" moat_run
	assert_not_contains "$output" moat_plan_build "an internal function"
}

@test "library: a program of its own runs a container through the installed library" {
	run ldd "$EXAMPLE"
	assert_contains "$output" "libmoat.so.0" "the example links the shared library"
	set_sh 'echo from-the-library; exit 7'
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID"
	assert_status 0
	assert_eq "${lines[0]}" from-the-library "the container's output"
	assert_eq "${lines[1]}" "exit status 7" "the status the library reports"
	assert_nothing_left "$ID"
}

@test "library: errors reach the program with their kind" {
	cfg '.process.capabilities.bounding += ["CAP_BOGUS"]'
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID"
	assert_status 1
	assert_contains "$stderr" 'unknown capability "CAP_BOGUS" [invalid config]'
	assert_nothing_left "$ID"
}

@test "library: a wrong state and a missing container are told apart by kind" {
	set_args '["true"]'
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID" --kinds
	assert_status 0
	assert_eq "${lines[0]}" "create: ok" "create"
	assert_eq "${lines[1]}" "start: ok" "start"
	assert_contains "${lines[2]}" "start again: " "the second start"
	assert_contains "${lines[2]}" "[wrong state]" "the second start"
	assert_eq "${lines[3]}" "delete: ok" "delete"
	assert_contains "${lines[4]}" "state: " "state of the deleted container"
	assert_contains "${lines[4]}" "[not found]" "state of the deleted container"
	assert_nothing_left "$ID"
}

@test "library: a program that gives libmoat no way to run sealed is refused" {
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID" --no-reexec
	assert_status 1
	assert_contains "$stderr" "reexec_sealed"
	assert_contains "$stderr" "[not supported]"
	assert_nothing_left "$ID"
}

@test "library: a program that says its binary needs no sealed copy runs from its file" {
	# a createRuntime hook is a child of the runtime: it sees which binary
	# the runtime runs from
	local seen=$BATS_TEST_TMPDIR/exe
	cfg ".hooks.createRuntime = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"readlink /proc/\$PPID/exe > $seen\"]}]"
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID" --no-sealed-copy
	assert_status 0
	assert_eq "$(cat "$seen")" "$EXAMPLE" "the binary the runtime ran from"
	assert_nothing_left "$ID"
	# and without the flag, from the sealed copy
	run --separate-stderr env LD_LIBRARY_PATH="$LIBDIR" "$EXAMPLE" "$ROOT" "$BUNDLE" "$ID"
	assert_status 0
	assert_contains "$(cat "$seen")" "memfd:" "the binary the runtime ran from"
	assert_nothing_left "$ID"
}
