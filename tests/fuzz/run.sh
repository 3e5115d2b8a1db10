#!/bin/bash
# The libFuzzer targets of moat's parsers, built with clang against the
# library's sources (ASan + UBSan + LeakSanitizer):
#
#   fuzz-config     config.json, then the plan pieces that need no root
#   fuzz-state      state.json, and the to_json / from_json round trip
#   fuzz-process    a process object (exec --process)
#   fuzz-seccomp    a linux.seccomp profile, compiled to BPF
#   fuzz-mountopts  a mount's options (NUL-separated), parsed and planned
#   fuzz-json       the strict JSON tree builder, against yajl_tree_parse
#   fuzz-resources  linux.resources as `update --resources` and a config
#                   read it, its cgroup v2 and v1 writes, and the device
#                   cgroup program built from its rules
#   fuzz-policy     the policy file, then (after a NUL) a config checked
#                   and hardened by it
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]      (default 20; 0: replay only)
#
# Every target is built into a temporary directory, then replays its whole
# committed corpus (tests/fuzz/corpus/<target>/: every input must pass),
# then fuzzes for SECONDS_PER_TARGET, several targets at a time (one per
# CPU).  What fuzzing finds is written to tests/fuzz/findings/<target>/;
# new inputs it finds go to a temporary directory, never into the
# committed corpus.  One line per target, then "N passed, N failed,
# N skipped"; the exit status is non-zero when a target failed.  A crash,
# a leak, undefined behaviour, a broken contract (fuzz_check), a timeout
# (10 s for one input) or a build error fails the target; a missing clang
# or libFuzzer runtime skips every target, saying why.
#
# Needs (Debian bookworm): clang (clang-14), libclang-rt-14-dev (the
# libFuzzer and sanitizer runtimes), llvm-14 (llvm-symbolizer, for
# readable stacks; without it addr2line is used), pkg-config, libseccomp-dev,
# libyajl-dev, libcap-dev (and libselinux1-dev / libsystemd-dev when
# configure enabled them), and a configured tree (config.h).  It installs
# nothing.
#
# Environment: CC_FUZZ (default clang, else clang-14), FUZZ_JOBS (targets
# fuzzed at once, default nproc), FUZZ_TARGETS (a subset, e.g. "json state"),
# FUZZ_KEEP=1 keeps the build directory (its path is printed).
set -u
cd "$(dirname "$0")/../.." || exit 2
top=$(pwd)
secs=${1:-20}
case $secs in
'' | *[!0-9]*)
	echo "usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]" >&2
	exit 2
	;;
esac
all_targets="config state process seccomp mountopts json resources policy"
targets=${FUZZ_TARGETS:-$all_targets}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

passed=0 failed=0 skipped=0 n=0
report() { # STATUS TARGET TEXT
	n=$((n + 1))
	case $1 in
	ok) passed=$((passed + 1)); echo "ok $n - fuzz-$2: $3" ;;
	fail) failed=$((failed + 1)); echo "not ok $n - fuzz-$2: $3" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n - fuzz-$2 # skip $3" ;;
	esac
}
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}
skip_all() {
	echo "fuzz: skipped: $1" >&2
	for t in $targets; do report skip "$t" "$1"; done
	finish
}

# ---- the compiler and the libFuzzer runtime --------------------------------
cc=${CC_FUZZ:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
[ -n "$cc" ] && command -v "$cc" >/dev/null 2>&1 ||
	skip_all "clang not found (Debian: apt-get install clang libclang-rt-14-dev)"

out=$(mktemp -d "${TMPDIR:-/tmp}/moat-fuzz.XXXXXX") || exit 2
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
	echo "fuzz: build directory $out (kept)"
else
	trap 'rm -rf "$out"' EXIT
fi

printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void) d; (void) n; return 0; }\n' \
	>"$out/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" \
	>"$out/probe.log" 2>&1; then
	sed 's/^/# /' "$out/probe.log" | head -5
	skip_all "$cc cannot build a libFuzzer target with ASan/UBSan (Debian: apt-get install libclang-rt-14-dev)"
fi

# ---- build ------------------------------------------------------------------
build_fail() {
	for t in $targets; do report fail "$t" "build failed: $1"; done
	finish
}
[ -f config.h ] || build_fail "config.h is missing: run ./autogen.sh && ./configure first"

# the library's sources: every libmoat/*.c Makefile.am lists (in
# libmoat_la_SOURCES or whatever the library's variables are called)
srcs=$(tr -s ' \t\\' '\n\n\n' <Makefile.am | grep '^libmoat/.*\.c$' | sort -u)
[ -n "$srcs" ] || build_fail "no libmoat/*.c sources in Makefile.am"

pkgs="libseccomp yajl libcap"
grep -q '^#define HAVE_SELINUX 1' config.h && pkgs="$pkgs libselinux"
grep -q '^#define HAVE_SYSTEMD 1' config.h && pkgs="$pkgs libsystemd"
grep -q '^#define HAVE_CRIU 1' config.h && pkgs="$pkgs criu"
# shellcheck disable=SC2086
pkg_cflags=$(pkg-config --cflags $pkgs 2>"$out/pkg.log") &&
	pkg_libs=$(pkg-config --libs $pkgs 2>>"$out/pkg.log") ||
	build_fail "pkg-config $pkgs: $(head -1 "$out/pkg.log")"

# -I. finds config.h and libmoat/...; never -Ilibmoat (its headers are
# named like system headers)
cflags="-g -O1 -std=gnu11 -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  -Wall -Wextra -Wno-missing-field-initializers -Wno-unused-function
  -I. -include config.h $pkg_cflags"
lib_cflags="$cflags -fsanitize=fuzzer-no-link,address,undefined"
start=$(date +%s)
mkdir -p "$out/obj"
export cc lib_cflags out
# shellcheck disable=SC2016
if ! printf '%s\n' $srcs | xargs -P "$jobs" -I{} sh -c '
	o=$out/obj/$(echo "{}" | tr / _ | sed "s/\.c$/.o/")
	# shellcheck disable=SC2086
	$cc $lib_cflags -c "{}" -o "$o" >"$o.log" 2>&1 || { cat "$o.log"; exit 255; }
	' >"$out/build.log" 2>&1; then
	sed 's/^/# /' "$out/build.log" | head -30
	build_fail "compiling libmoat with $cc failed (see above)"
fi
ar rcs "$out/libmoat-fuzz.a" "$out"/obj/*.o || build_fail "ar failed"
declare -A built why
for t in $targets; do
	why[$t]=
	if [ ! -f "tests/fuzz/fuzz-$t.c" ]; then
		why[$t]="no tests/fuzz/fuzz-$t.c"
		continue
	fi
	# shellcheck disable=SC2086
	if "$cc" $cflags -fsanitize=fuzzer,address,undefined "tests/fuzz/fuzz-$t.c" \
		"$out/libmoat-fuzz.a" $pkg_libs -lm -o "$out/fuzz-$t" >"$out/link-$t.log" 2>&1; then
		built[$t]=1
		# warnings are shown, not fatal
		[ -s "$out/link-$t.log" ] && sed 's/^/# /' "$out/link-$t.log" | head -20
	else
		sed 's/^/# /' "$out/link-$t.log" | head -30
		why[$t]="build failed (see above)"
	fi
done
echo "# fuzz: built in $(($(date +%s) - start)) s with $($cc --version | head -1)"

# ---- replay the committed corpus, then fuzz --------------------------------
# reports name functions and lines with llvm-symbolizer (package llvm-14),
# else with binutils' addr2line
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 ||
	ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:detect_stack_use_after_return=1:allow_addr2line=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
findings=$top/tests/fuzz/findings

dict_for() {
	case $1 in
	mountopts) echo "$top/tests/fuzz/mountopts.dict" ;;
	*) echo "$top/tests/fuzz/json.dict" ;;
	esac
}

# run_target T: writes $out/result-T ("ok TEXT" or "fail TEXT") and
# $out/log-T
run_target() {
	local t=$1 bin=$out/fuzz-$1 corpus=$top/tests/fuzz/corpus/$1 log=$out/log-$1
	local res=$out/result-$1
	if [ -z "${built[$t]:-}" ]; then
		echo "fail ${why[$t]}" >"$res"
		return
	fi
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "fail no committed corpus in tests/fuzz/corpus/$t" >"$res"
		return
	fi
	local nseeds
	nseeds=$(find "$corpus" -type f | wc -l)
	# replay: every input once, in one process; leaks are reported at exit
	if ! find "$corpus" -type f -print0 | sort -z |
		xargs -0 "$bin" -timeout=25 -rss_limit_mb=2048 >"$log" 2>&1; then
		echo "fail the committed corpus does not pass ($nseeds inputs): see the log above" >"$res"
		return
	fi
	if [ "$secs" = 0 ]; then
		echo "ok corpus of $nseeds inputs replayed" >"$res"
		return
	fi
	mkdir -p "$out/new-$t" "$findings/$t"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-dict="$(dict_for "$t")" -artifact_prefix="$findings/$t/" -print_final_stats=1 \
		"$out/new-$t" "$corpus" >>"$log" 2>&1; then
		local runs
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		echo "ok corpus of $nseeds inputs replayed, ${runs:-?} runs in ${secs} s, no finding" >"$res"
	else
		local what
		what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error|fuzz check failed|deadly signal|timeout' "$log")
		echo "fail ${what:-crash}; input in tests/fuzz/findings/$t/: $(cd "$findings/$t" && ls -t | head -1)" >"$res"
	fi
	rmdir "$findings/$t" 2>/dev/null
}

running=0
for t in $targets; do
	run_target "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
rmdir "$findings" 2>/dev/null

for t in $targets; do
	read -r status text <"$out/result-$t"
	if [ "$status" = fail ] && [ -f "$out/log-$t" ]; then
		echo "# ---- fuzz-$t: the end of its output"
		grep -v '^INFO: \|^#[0-9]\|^Running: \|^Executed ' "$out/log-$t" | tail -60 | sed 's/^/# /'
	fi
	report "$status" "$t" "$text"
done
finish
