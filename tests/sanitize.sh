#!/bin/bash
# The sanitizer lane: moat built with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer runs the unit tests and a representative part
# of the integration suite, and any sanitizer report fails the lane.
#
#   tests/sanitize.sh [BATS_FILE...]      (as root; default: the files below)
#
# The build is a VPATH build in a directory of its own, never in the
# source tree ($MOAT_ASAN_BUILD, default /tmp/moat-asan-<hash of the
# tree's path>), incremental across runs, with
#   CFLAGS=-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
#          -fno-sanitize-recover=undefined
# configure refuses a VPATH build from a tree configured in place (as
# run-all.sh leaves it), so the sources are first copied into the build
# directory: the files git knows (tracked, and untracked but not ignored)
# plus the generated configure, Makefile.in, ...  An unconfigured tree is
# used in place as the VPATH source.
#
# Every moat process, and every child it forks, writes its reports to a
# log directory (ASAN_OPTIONS and UBSAN_OPTIONS log_path=<dir>/report, one
# file per pid).  moat's children come from clone3 without CLONE_VM: each
# has a copy of the shadow memory and of the allocator, and ASan works in
# it.  Leaks are looked for when a process exits with exit() (the command
# itself) and not at _exit(), which the children use.  The first report
# ends the process (exit status 99).  After the run, any file in the log
# directory is a failure; each kind is printed once, symbolized (frames
# of the sealed copy moat re-executes from a memfd too).  Not covered:
#   - the container's process after execve (a static busybox, no
#     sanitizer), and hooks (their environment is the config's);
#   - a report from the container's init after pivot_root: the log path
#     then resolves in the container's root, the runtime cannot write
#     there, prints "ERROR: Can't open file" on the container's stderr and
#     exits 99, which fails the test instead.
# Canaries first prove that reports reach the directory on this machine
# (a leak at exit: LeakSanitizer needs to ptrace its own process, which a
# CI sandbox can forbid; undefined behaviour; a memory error in a child
# of a raw clone3, as moat makes them).  Tests that cannot work under ASan for a reason of ASan's
# are listed below, each with the reason, and counted as skipped.
#
# Ends with "N passed, N failed, N skipped": the integration tests, plus
# one line each for the build, the canaries, make check and every kind of
# report.  The exit status is non-zero when any failed.
#
# Needs what the normal build and the integration tests need, plus clang
# (clang-14), libclang-rt-14-dev (the sanitizer runtimes) and llvm-14
# (llvm-symbolizer; without it, binutils' addr2line), which the fuzzing
# lane needs too; it installs nothing.  CC_ASAN picks another
# compiler: gcc works, but its UBSan reports bypass the log directory
# (libubsan is a library of its own beside libasan and ignores log_path).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

# The integration files run by default, about 3 minutes here with the
# sanitizers (2 CPUs): the parsers and their errors (errors, cli, plan,
# process, mounts, seccomp, rootfs, attributes, devices), the life cycle
# (lifecycle: create, start, run, state, list, kill, delete; exec,
# signals, pause), hooks, the terminal and console socket, logging and
# the security checks, input that lies (corrupt states), the runtime
# escapes' regression tests, and cgroup resources (v2 and hybrid).  Left
# out:
#   faults, stress      - long (fault injection at every step, loops); their
#                         code paths are those of lifecycle and errors
#   escapes             - 20 s, most of it building a static attacker; its
#                         foreign-/proc test cannot run under LeakSanitizer
#                         (see the exclusions below)
#   podman, containerd  - moat started by an engine, whose environment
#                         (and so the log path) is the engine's
#   library             - a program built against libmoat outside this build
# (policy.bats runs: its Podman tests start moat through Podman too)
# Any of them can be given on the command line.
default_files="errors cli plan process mounts seccomp rootfs attributes devices
  lifecycle exec signals pause hooks terminal logging security rootless
  userns-auto policy lies escapes-runtime resources hybrid"

if [ "$(id -u)" != 0 ]; then
	echo "sanitize.sh: the integration tests start real containers and need root" >&2
	exit 2
fi

passed=0 failed=0 skipped=0
line() { # ok|fail|skip TEXT
	case $1 in
	ok) passed=$((passed + 1)); echo "ok - sanitize: $2" ;;
	fail) failed=$((failed + 1)); echo "not ok - sanitize: $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok - sanitize # skip $2" ;;
	esac
}
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit $?
}

# clang by default: with gcc, libubsan is a library of its own beside
# libasan and its reports ignore log_path (they go to stderr only)
cc=${CC_ASAN:-}
if [ -z "$cc" ]; then
	for c in clang clang-14 gcc; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
case $cc in *gcc*) echo "# note: with $cc, UBSan reports go to stderr, not to the log directory (use clang)" ;; esac
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cflags="-O1 -g $san"
# gcc defines __SANITIZE_ADDRESS__ with -fsanitize=address, clang 14 does
# not (it has __has_feature (address_sanitizer)): code that skips what
# cannot run under ASan (tests/unit/test-channel.c) tests the former
if ! echo | $cc $san -dM -E - 2>/dev/null | grep -q __SANITIZE_ADDRESS__; then
	cflags="$cflags -D__SANITIZE_ADDRESS__=1"
fi
build=${MOAT_ASAN_BUILD:-/tmp/moat-asan-$(printf '%s' "$top" | sha256sum | cut -c1-8)}
mkdir -p "$build" || exit 2
start=$(date +%s)

# ---- sources -----------------------------------------------------------------
if [ -f "$top/config.status" ] && git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	src=$build/src
	rm -rf "$src.new" && mkdir -p "$src.new"
	# tracked and untracked-but-not-ignored files, then what autogen.sh
	# made; tar keeps the times, so make rebuilds only what changed
	{
		git -C "$top" ls-files -z --cached --others --exclude-standard
		for f in configure aclocal.m4 config.h.in Makefile.in build-aux m4; do
			[ -e "$top/$f" ] && printf '%s\0' "$f"
		done
	} | (cd "$top" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
		tar -C "$src.new" -xf - || {
		line fail "copy the sources into $src"
		finish
	}
	rm -rf "$src" && mv "$src.new" "$src"
elif [ -f "$top/config.status" ]; then
	line fail "the source tree is configured in place and is not a git checkout: run make distclean in $top (configure refuses a VPATH build from it)"
	finish
else
	src=$top
fi
if [ ! -x "$src/configure" ]; then
	(cd "$src" && ./autogen.sh) >"$build/autogen.log" 2>&1 || {
		sed 's/^/# /' "$build/autogen.log" | tail -20
		line fail "autogen.sh failed"
		finish
	}
fi

# ---- build -------------------------------------------------------------------
obj=$build/obj
mkdir -p "$obj"
want="CC=$cc CFLAGS=$cflags LDFLAGS=-fsanitize=address,undefined"
if [ ! -f "$obj/config.status" ] || [ "$(cat "$obj/.configured-with" 2>/dev/null)" != "$want" ]; then
	rm -rf "$obj" && mkdir -p "$obj"
	if ! (cd "$obj" && "$src/configure" CC="$cc" CFLAGS="$cflags" \
		LDFLAGS="-fsanitize=address,undefined") >"$build/configure.log" 2>&1; then
		sed 's/^/# /' "$build/configure.log" | tail -20
		line fail "configure with $cc and the sanitizers failed"
		finish
	fi
	echo "$want" >"$obj/.configured-with"
fi
# all (not just moat): BUILT_SOURCES are only made for all and check
if ! make -C "$obj" -j"$(nproc)" all >"$build/make.log" 2>&1; then
	grep -E 'error|Error' "$build/make.log" | head -30 | sed 's/^/# /'
	line fail "build with $cc -fsanitize=address,undefined failed (see $build/make.log)"
	finish
fi
moat=$obj/moat
if ! grep -q __asan_init "$moat" 2>/dev/null; then
	line fail "$moat is not built with AddressSanitizer"
	finish
fi
# the terminal tests run tests/lib/recvtty of the source tree (make check
# builds it there); it needs no sanitizer
[ -x "$top/tests/lib/recvtty" ] ||
	echo "# note: $top/tests/lib/recvtty is not built (make check builds it): the terminal tests fail without it"
line ok "moat built with $cc -fsanitize=address,undefined in $(($(date +%s) - start)) s ($obj)"

# ---- report settings ---------------------------------------------------------
logs=$build/reports
rm -rf "$logs" && mkdir -p "$logs" && chmod 1777 "$logs"
# abort_on_error=0: the container's init is pid 1 of its pid namespace,
# where abort() cannot end it: SIGABRT is ignored there, glibc then
# faults on purpose, and the SIGSEGV goes back into the sanitizer's
# handler, which aborts again: it hangs.  A report ends the process with
# exit status 99 instead, and the report file is what counts.
# One log_path for both: in clang's runtime the last one parsed (UBSan's)
# is where every report goes, LeakSanitizer's too.
common="abort_on_error=0:halt_on_error=1:exitcode=99:disable_coredump=1:print_summary=1:allow_addr2line=1"
# stacks are symbolized with llvm-symbolizer (package llvm-14), else addr2line
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 ||
	ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1)
[ -n "$symbolizer" ] && common="$common:external_symbolizer_path=$symbolizer"
export ASAN_OPTIONS="log_path=$logs/report:detect_leaks=1:$common:detect_stack_use_after_return=1"
export LSAN_OPTIONS="print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/report:print_stacktrace=1:$common"

# ---- canaries: reports reach the directory -----------------------------------
canary=$build/canary
mkdir -p "$canary"
cat >"$canary/leak.c" <<'EOF'
#define _GNU_SOURCE
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static char *volatile sink;
int main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "ub") == 0)
    {
      volatile int big = INT_MAX;
      return big + argc;   /* signed overflow: UBSan */
    }
  if (argc > 1 && strcmp (argv[1], "clone3") == 0)
    {
      /* as moat forks: raw clone3, no CLONE_VM, the child ends with _exit */
      struct clone_args ca = { .exit_signal = SIGCHLD };
      sink = malloc (8);
      pid_t pid = syscall (SYS_clone3, &ca, sizeof ca);
      if (pid == 0)
        _exit (sink[8]);   /* heap-buffer-overflow, in the child */
      int st;
      waitpid (pid, &st, 0);
      free (sink);
      return 0;
    }
  sink = malloc (37);      /* volatile: the compiler cannot drop it */
  strcpy (sink, "lost");
  sink = NULL;             /* a leak: LeakSanitizer at exit */
  return 0;
}
EOF
canary_ok=1
if ! $cc $cflags -fsanitize=address,undefined "$canary/leak.c" -o "$canary/leak" >"$canary/log" 2>&1; then
	sed 's/^/# /' "$canary/log" | head -10
	line fail "canary: $cc cannot build with -fsanitize=address,undefined"
	canary_ok=0
else
	# in a pid namespace with its own /proc, as the tests run (not as
	# its pid 1: the sh is)
	unshare --pid --fork --mount-proc sh -c '"$0"; true' "$canary/leak" >/dev/null 2>&1
	if grep -qs 'LeakSanitizer: detected memory leaks' "$logs"/*; then
		line ok "canary: a leak is reported in the log directory"
	else
		cat "$logs"/* 2>/dev/null | head -10 | sed 's/^/# /'
		line fail "canary: a leak was not reported in $logs (LeakSanitizer needs ptrace of its own process)"
		canary_ok=0
	fi
	unshare --pid --fork --mount-proc sh -c '"$0" ub; true' "$canary/leak" >/dev/null 2>&1
	if grep -qs 'runtime error: signed integer overflow' "$logs"/*; then
		line ok "canary: undefined behaviour is reported in the log directory"
	else
		line fail "canary: undefined behaviour was not reported in $logs"
		canary_ok=0
	fi
	rm -f "$logs"/*
	unshare --pid --fork --mount-proc sh -c '"$0" clone3; true' "$canary/leak" >/dev/null 2>&1
	if grep -qs 'ERROR: AddressSanitizer: heap-buffer-overflow' "$logs"/*; then
		line ok "canary: a memory error in a child forked by a raw clone3 is reported"
	else
		line fail "canary: a memory error in a clone3 child was not reported in $logs"
		canary_ok=0
	fi
	rm -f "$logs"/*
fi
[ "$canary_ok" = 1 ] || finish

# ---- the unit tests under the sanitizers ---------------------------------------
# make check in the sanitized build: every unit test (the regression tests
# of what fuzzing and this lane found among them) runs with ASan, LSan and
# UBSan, reporting to the same directory.  Test programs that cannot run
# under ASan, as "program|reason", are left out (and counted as skipped):
# (none today: test-channel skips its cases under a strict seccomp filter
# itself when __SANITIZE_ADDRESS__ is defined, see above)
unit_excluded=(
)
t0=$(date +%s)
printf 'moat-sanitize-print-tests:\n\t@echo $(TESTS)\n' >"$build/print-tests.mk"
all_tests=$(make -s -C "$obj" -f Makefile -f "$build/print-tests.mk" moat-sanitize-print-tests 2>/dev/null)
unit_tests=
for u in $all_tests; do
	skip_u=
	for e in "${unit_excluded[@]}"; do
		[ "$(basename "$u")" = "${e%%|*}" ] && skip_u=${e#*|}
	done
	if [ -n "$skip_u" ]; then
		line skip "unit test $(basename "$u") not under ASan: $skip_u"
	else
		unit_tests="$unit_tests $u"
	fi
done
if [ -z "$all_tests" ]; then
	line fail "make check under the sanitizers: cannot list the unit tests (TESTS)"
elif make -C "$obj" -j"$(nproc)" check TESTS="${unit_tests# }" >"$build/check.log" 2>&1; then
	line ok "make check under the sanitizers ($(sed -n 's/^# PASS: *//p' "$build/check.log" | awk '{s += $1} END {print s + 0}') unit test cases, $(($(date +%s) - t0)) s)"
else
	grep -E '^(FAIL|ERROR|XPASS)' "$build/check.log" | head -20 | sed 's/^/# /'
	line fail "make check under the sanitizers (see $build/check.log)"
fi

# ---- the integration tests ---------------------------------------------------
# Tests that cannot work under ASan, for a reason of ASan's, as
# "file|test name|reason": they are run as skips (a copy of the file, with
# `skip` as the first line of the test; everything else the files use is
# linked from the tree).
excluded=(
	"escapes|escapes: moat with a foreign /proc never reports or kills the wrong process|the test runs moat under a /proc of another pid namespace on purpose; at exit LeakSanitizer must list the threads in /proc/self/task, cannot, and ends moat with its own fatal error (exit 99) instead of the refusal the test checks"
	"seccomp|seccomp: a filter that forbids dropping privileges fails create with the child's own error|ASan calls sigaltstack() (and gettid()) before every noreturn call such as _exit(); this test's allowlist denies them, so the init, failing under the filter as the test wants, dies in an ASan CHECK instead of reporting the error"
)
if [ $# -gt 0 ]; then
	files=("$@")
else
	files=()
	for f in $default_files; do
		if [ -f "$top/tests/integration/$f.bats" ]; then
			files+=("$top/tests/integration/$f.bats")
		else
			echo "# note: tests/integration/$f.bats is gone; not run"
		fi
	done
fi
mirror=$build/it
rm -rf "$mirror" && mkdir -p "$mirror/tests/integration"
for e in "$top"/* "$top"/tests/*; do
	case $e in "$top/tests" | "$top/tests/integration") continue ;; esac
	ln -s "$e" "$mirror/${e#"$top"/}"
done
for e in "$top"/tests/integration/*; do
	ln -s "$e" "$mirror/tests/integration/$(basename "$e")"
done
run_files=()
for f in "${files[@]}"; do
	base=$(basename "$f" .bats)
	skips=
	for e in "${excluded[@]}"; do
		[ "${e%%|*}" = "$base" ] && skips="$skips${e#*|}"$'\n'
	done
	if [ -z "$skips" ]; then
		run_files+=("$f")
		continue
	fi
	copy=$mirror/tests/integration/$base.bats
	rm -f "$copy"
	SKIPS=$skips awk '
		BEGIN { n = split(ENVIRON["SKIPS"], l, "\n"); for (i = 1; i <= n; i++) if (l[i] != "") {
			k = index(l[i], "|"); why[substr(l[i], 1, k - 1)] = substr(l[i], k + 1) } }
		{ print }
		/^@test "/ { name = $0; sub(/^@test "/, "", name); sub(/" *\{ *$/, "", name)
			if (name in why) { r = why[name]; gsub(/"/, "\\\"", r); print "\tskip \"not under ASan: " r "\""; used[name] = 1 } }
		END { for (k in why) if (!(k in used)) print "sanitize.sh: no test \"" k "\" to exclude" > "/dev/stderr" }' \
		"$f" >"$copy"
	run_files+=("$copy")
done
t0=$(date +%s)
it_log=$build/integration.log
MOAT=$moat bash "$top/tests/run-integration.sh" "${run_files[@]}" 2>&1 | tee "$it_log"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$it_log" | tail -1)
if [ -z "$summary" ]; then
	line fail "the integration tests printed no summary"
else
	p=$(echo "$summary" | sed 's/^\([0-9]*\) passed.*/\1/')
	f=$(echo "$summary" | sed 's/.* \([0-9]*\) failed.*/\1/')
	s=$(echo "$summary" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	echo "# integration under the sanitizers: $summary in $(($(date +%s) - t0)) s"
fi

# ---- reports -----------------------------------------------------------------
# One failure per kind of report (the error line and the frames under it),
# printed in full once, with how many processes reported it.
reports=$(find "$logs" -type f | sort)
if [ -z "$reports" ]; then
	line ok "no sanitizer report from moat and its children"
	finish
fi
# Frames of the sealed copy (moat re-executed from a memfd) cannot be
# symbolized by the runtime: the offsets are those of the binary.
for r in $reports; do
	grep -q '(/memfd:moat (deleted)+0x' "$r" || continue
	while IFS= read -r l; do
		off=$(printf '%s\n' "$l" | sed -n 's/.*(\/memfd:moat (deleted)+\(0x[0-9a-f]*\)).*/\1/p')
		if [ -n "$off" ]; then
			if [ -n "$symbolizer" ]; then
				sym=$("$symbolizer" --obj="$moat" --inlining=false "$off" 2>/dev/null | head -2 | tr '\n' ' ')
			else
				sym=$(addr2line -f -e "$moat" "$off" 2>/dev/null | head -2 | tr '\n' ' ')
			fi
			pre=${l%% (/memfd*}
			pre=${pre%"${pre##*[! ]}"}
			l="$pre in $sym(sealed copy)"
		fi
		printf '%s\n' "$l"
	done <"$r" >"$r.sym" && mv "$r.sym" "$r"
done
declare -A count first
order=()
for r in $reports; do
	key=$(awk '
		/ERROR: [A-Za-z]+Sanitizer|runtime error:|CHECK failed/ && !e { e = $0; sub(/^==[0-9]+==/, "", e); sub(/ on address 0x[0-9a-f]+.*/, "", e); next }
		e && / #[0-9]+ 0x[0-9a-f]+ in / && n < 4 { f = $0; sub(/.* in /, "", f); sub(/ .*/, "", f)
			if (f !~ /^(__interceptor_|moat_x|malloc|calloc|realloc|strdup)/) { k = k " < " f; n++ } }
		END { print e k }' "$r")
	[ -n "$key" ] || key="unrecognised report $(head -c 200 "$r" | tr '\n' ' ')"
	if [ -z "${count[$key]:-}" ]; then
		count[$key]=0 first[$key]=$r
		order+=("$key")
	fi
	count[$key]=$((count[$key] + 1))
done
for key in "${order[@]}"; do
	echo "# ==== ${count[$key]} report(s) of this kind; the first, ${first[$key]}:"
	head -80 "${first[$key]}" | sed 's/^/# /'
	line fail "sanitizer report (${count[$key]}x):$key"
done
finish
