# Shared setup, teardown and assertions of the moat integration tests.
#
# Every test gets, under $BATS_TEST_TMPDIR:
#   $ROOT     a private state directory (passed as --root to every moat call)
#   $BUNDLE   a copy of the cached test bundle (busybox rootfs + config.json)
#   $ID       a container id unique in the whole run (cgroups are global);
#             tests that need more ids use "$ID-2", "$ID-b", ...
# and teardown force-deletes whatever is left.
#
# Note: bats 1.8 `run` with flags (--separate-stderr, -N) overwrites a
# variable named `i` of the caller; loops around `run` use another name.

bats_require_minimum_version 1.5.0

: "${MOAT:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/moat}"
export MOAT
CGROOT=/sys/fs/cgroup

# ---- bundle ------------------------------------------------------------------

_ensure_bundle() {
	if [ -n "${MOAT_TEST_BUNDLE:-}" ] && [ -f "$MOAT_TEST_BUNDLE/config.json" ]; then
		return 0
	fi
	# run directly with bats (not through tests/run-integration.sh): build a
	# bundle once per bats run.
	MOAT_TEST_BUNDLE=$BATS_RUN_TMPDIR/moat-bundle
	if [ ! -f "$MOAT_TEST_BUNDLE/config.json" ]; then
		sh "$BATS_TEST_DIRNAME/../lib/make-bundle.sh" "$MOAT_TEST_BUNDLE.tmp" "$MOAT" '["true"]' >&2 &&
			mv "$MOAT_TEST_BUNDLE.tmp" "$MOAT_TEST_BUNDLE"
	fi
	export MOAT_TEST_BUNDLE
}

setup() {
	common_setup
}

# what every test starts with (a file with a setup of its own calls it)
common_setup() {
	_ensure_bundle
	T=$(realpath "$BATS_TEST_TMPDIR")
	ROOT=$T/root
	BUNDLE=$T/bundle
	ROOTFS=$BUNDLE/rootfs
	CFG=$BUNDLE/config.json
	# unique across concurrent runs too: cgroups live in one host hierarchy
	ID=it$BATS_SUITE_TEST_NUMBER-${BATS_RUN_TMPDIR##*-}
	# marks the environment of every moat process this test starts, so that
	# a forked child left behind (before its execve) can be found
	TAG=moat-it-$$-$BATS_SUITE_TEST_NUMBER-$RANDOM
	cp -a "$MOAT_TEST_BUNDLE" "$BUNDLE"
	: >"$T/.helper-pids"
	: >"$T/.cleanup"
}

teardown() {
	# errexit is off inside a function called from a || list: a failing
	# cleanup step never hides the next one
	_teardown || true
}

_teardown() {
	local id pid
	# nothing to clean without the test's directory (and an empty T would
	# match every mount below)
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	# containers known to this test's root
	if [ -d "$ROOT" ]; then
		for id in $("$MOAT" --root "$ROOT" list -q 2>/dev/null) $(ls "$ROOT" 2>/dev/null); do
			"$MOAT" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# helper processes (namespace holders ...)
	while read -r pid; do
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done <"$T/.helper-pids"
	# anything started by moat for this test that is still around
	for pid in $(_tagged_pids) $(_recorded_live_pids); do
		kill -9 "$pid" 2>/dev/null
	done
	# cgroups left behind
	local cg
	for cg in "$CGROOT"/moat/"$ID"*; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
		sleep 0.05
		rmdir "$cg" 2>/dev/null
	done
	# extra cleanup commands registered by the test
	if [ -s "$T/.cleanup" ]; then
		bash "$T/.cleanup" >/dev/null 2>&1
	fi
	# mounts left under the test directory (deepest first)
	local m
	for m in $(awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	return 0
}

# need_host_layout: skip unless the host is hybrid (v1 controller
# hierarchies beside a unified one at /sys/fs/cgroup/unified); then $HV is
# a command that runs its arguments with the host's own /sys/fs/cgroup,
# which the suite covers with a cgroup2 mount (run-integration.sh)
need_host_layout() {
	[ -n "${MOAT_IT_HOST_LAYOUT_UNDER:-}" ] ||
		skip "the host's /sys/fs/cgroup is cgroup2 (not a hybrid host)"
	HV=$T/.hv
	cat >"$HV" <<-'SH'
	#!/bin/sh
	exec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup && exec "$0" "$@"' "$@"
	SH
	chmod +x "$HV"
	"$HV" test -d /sys/fs/cgroup/memory -a -d /sys/fs/cgroup/pids ||
		skip "this host has no memory and pids v1 hierarchies (not a hybrid host)"
	[ "$("$HV" stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ] ||
		skip "this host has no unified hierarchy at /sys/fs/cgroup/unified"
}

# register a shell command for teardown
on_teardown() {
	printf '%s\n' "$*" >>"$T/.cleanup"
}

# remember a helper process for teardown
helper_pid() {
	echo "$1" >>"$T/.helper-pids"
}

# ---- running moat ------------------------------------------------------------

# moat ARGS...: the binary with this test's --root.
# moat's stdout and stderr go through files, not straight to the caller: a
# container process inherits them (create, run -d), and a leaked or created
# init holding a pipe would make `run` / $(...) wait forever.  Each call is
# bounded by $MOAT_TEST_TIMEOUT seconds (default 60; status 124 on timeout).
# The policy is off (tests/lib/policy-off.json): the built-in one audits
# the plain config every test starts from, and `run` would print its
# findings; policy.bats tests the policy itself.
moat() {
	moat_bare --policy "$BATS_TEST_DIRNAME/../lib/policy-off.json" --root "$ROOT" "$@"
}

# moat_bare ARGS...: the same with only the arguments given (no --root)
moat_bare() {
	local o e rc=0
	o=$(mktemp "$T/.moat-out.XXXXXX")
	e=$(mktemp "$T/.moat-err.XXXXXX")
	MOAT_TEST_TAG=$TAG timeout -k 5 "${MOAT_TEST_TIMEOUT:-60}" "$MOAT" "$@" >"$o" 2>"$e" || rc=$?
	cat "$o"
	cat "$e" >&2
	rm -f "$o" "$e"
	return $rc
}

# config helpers: cfg JQ_FILTER [jq args...] edits config.json in place
cfg() {
	local filter=$1
	shift
	jq "$@" "$filter" "$CFG" >"$CFG.new" && mv "$CFG.new" "$CFG" ||
		fail "jq edit of config.json failed: $filter"
}

# set_args JSON_ARRAY
set_args() {
	cfg ".process.args = $1"
}

# set_sh SCRIPT: process.args = ["sh", "-c", SCRIPT]
set_sh() {
	cfg '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# add_mount JSON_OBJECT
add_mount() {
	cfg ".mounts += [$1]"
}

# bind a fresh host directory at DEST (default /out) inside the container;
# prints nothing, sets OUT to the host directory
bind_out() {
	local dest=${1:-/out}
	OUT=$T/out
	mkdir -p "$OUT"
	chmod 777 "$OUT"
	mkdir -p "$ROOTFS$dest"
	add_mount "{\"destination\": \"$dest\", \"type\": \"bind\", \"source\": \"$OUT\", \"options\": [\"rbind\", \"rw\"]}"
}

# record the pid of a container (for assert_nothing_left)
record_pid() {
	local pid
	pid=$("$MOAT" --root "$ROOT" state "$1" 2>/dev/null | jq -r .pid)
	if [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != null ]; then
		echo "$pid" >>"$T/.pids.$1"
	fi
}

# create_ok ID [CREATE OPTIONS...]: moat create from $BUNDLE, must succeed
create_ok() {
	local id=$1
	shift
	run --separate-stderr moat create --bundle "$BUNDLE" "$@" "$id"
	[ "$status" -eq 0 ] || { fail "moat create $id failed (status $status): $output $stderr"; return 1; }
	record_pid "$id"
}

# run_d_ok ID [RUN OPTIONS...]: moat run -d from $BUNDLE, must succeed
run_d_ok() {
	local id=$1
	shift
	run --separate-stderr moat run -d --bundle "$BUNDLE" "$@" "$id"
	[ "$status" -eq 0 ] || { fail "moat run -d $id failed (status $status): $output $stderr"; return 1; }
	record_pid "$id"
}

# pid_of ID: the pid in the state of ID
pid_of() {
	"$MOAT" --root "$ROOT" state "$1" | jq -r .pid
}

# status_of ID: the status in the state of ID
status_of() {
	"$MOAT" --root "$ROOT" state "$1" | jq -r .status
}

# wait_status ID STATUS [SECONDS]: poll the state until STATUS (default 5s)
wait_status() {
	local id=$1 want=$2 secs=${3:-5} i n got=
	n=$((secs * 20))
	for ((i = 0; i < n; i++)); do
		got=$("$MOAT" --root "$ROOT" state "$id" 2>/dev/null | jq -r .status 2>/dev/null)
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	fail "container $id: status '$got', expected '$want' after ${secs}s"
}

# wait_file FILE [SECONDS]: wait until FILE exists and is not empty
wait_file() {
	local f=$1 secs=${2:-5} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	fail "$f did not appear within ${secs}s"
}

# wait_gone PID WHAT [SECONDS]: wait until the process has ended; fail
# naming it as WHAT when it is still there after SECONDS (default 5)
wait_gone() {
	local pid=$1 what=$2 secs=${3:-5} i
	for ((i = 0; i < secs * 20; i++)); do
		is_alive "$pid" || return 0
		sleep 0.05
	done
	fail "$what $pid is still alive after ${secs}s"
}

# start_notify_manager SOCKET LOG: a service manager's notify socket
# (tests/lib/notify-manager.py: each message it gets becomes a line of
# LOG), stopped at teardown
start_notify_manager() {
	: >"$2"
	# started from a subshell: not a job of the test's shell (which would
	# report its end)
	(/usr/bin/python3 "$BATS_TEST_DIRNAME/../lib/notify-manager.py" "$1" "$2" \
		</dev/null >/dev/null 2>&1 &
		echo $! >"$T/.notify-manager.pid")
	helper_pid "$(cat "$T/.notify-manager.pid")"
	wait_socket "$1" 5 "the manager"
}

# wait_socket PATH SECONDS WHAT: wait until PATH is a socket, or fail
# saying WHAT did not listen there
wait_socket() {
	local i n=$(($2 * 20))
	for ((i = 0; i < n; i++)); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	fail "$3 did not listen on $1 in $2 s"
}

# start_recvtty SOCK OUT ERR: tests/lib/recvtty (the console-socket
# receiver) on SOCK, what it receives in OUT, its errors in ERR; RECV_PID
RECVTTY=$BATS_TEST_DIRNAME/../lib/recvtty
start_recvtty() {
	"$RECVTTY" "$1" >"$2" 2>"$3" &
	RECV_PID=$!
	helper_pid "$RECV_PID"
	wait_socket "$1" 2 "recvtty"
}

# is_alive PID: the process exists and is not a zombie
is_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

_tagged_pids() {
	grep -lzx "MOAT_TEST_TAG=$TAG" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p' | grep -vx "$$"
	return 0
}

_recorded_live_pids() {
	local f pid
	for f in "$T"/.pids.*; do
		[ -f "$f" ] || continue
		while read -r pid; do
			is_alive "$pid" && echo "$pid"
		done <"$f"
	done
	return 0
}

# assert_nothing_left ID [CGROUP_PATH]
# no state directory, no cgroup directory, no live process recorded for ID
# or started by moat for this test, no mount of the bundle's rootfs.
assert_nothing_left() {
	local id=$1 cg=${2:-moat/$1} pid left=
	[ ! -e "$ROOT/$id" ] || { fail "state directory $ROOT/$id still exists: $(ls -la "$ROOT/$id")"; return 1; }
	[ ! -e "$CGROOT/$cg" ] || { fail "cgroup directory $CGROOT/$cg still exists (procs: $(cat "$CGROOT/$cg/cgroup.procs" 2>/dev/null | tr '\n' ' '))"; return 1; }
	if [ -f "$T/.pids.$id" ]; then
		while read -r pid; do
			if is_alive "$pid"; then left="$left $pid"; fi
		done <"$T/.pids.$id"
	fi
	[ -z "$left" ] || { fail "processes of $id still alive:$left ($(ps -o pid,stat,args -p "${left# }" 2>/dev/null | tail -n +2))"; return 1; }
	# a process forked by a moat command about ID and left behind (it still
	# has moat's environment and command line)
	left=
	for pid in $(_tagged_pids); do
		if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$id"; then
			left="$left $pid"
		fi
	done
	[ -z "$left" ] || { fail "processes started by moat for $id still alive:$left ($(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done))"; return 1; }
	local mounts
	mounts=$(awk -v r="$ROOTFS" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$mounts" ] || fail "mounts of the rootfs left: $mounts"
}

# ---- assertions ----------------------------------------------------------------

# cgv FILE: a file of the container's cgroup ($CG), on one line
cgv() {
	tr '\n' ' ' <"$CG/$1" | sed 's/ $//'
}

# assert_cg FILE VALUE: the container's cgroup file FILE reads VALUE
assert_cg() {
	[ -e "$CG/$1" ] || { fail "$CG/$1 does not exist"; return 1; }
	assert_eq "$(cgv "$1")" "$2" "$1"
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# assert_status N: $status of the last `run` is N
assert_status() {
	[ "$status" -eq "$1" ] ||
		fail "exit status $status, expected $1; stdout: [${output:-}] stderr: [${stderr:-}]"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got [$1], expected [$2]"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-value}: got [$1], expected something else"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	case $1 in
	*"$2"*) return 0 ;;
	esac
	fail "${3:-output} does not contain [$2]: [$1]"
}

assert_not_contains() {
	case $1 in
	*"$2"*) fail "${3:-output} contains [$2]: [$1]" ;;
	esac
	return 0
}

# assert_error FRAGMENT: the last `run --separate-stderr` failed with exit 1
# and a "moat: " message on stderr containing FRAGMENT
assert_error() {
	[ "$status" -eq 1 ] || {
		fail "exit status $status, expected 1; stdout: [${output:-}] stderr: [${stderr:-}]"
		return 1
	}
	assert_contains "$stderr" "moat: " "stderr" || return 1
	assert_contains "$stderr" "$1" "stderr"
}

# assert_silent: the last `run --separate-stderr` printed nothing at all
assert_silent() {
	[ -z "$output" ] || { fail "stdout not empty: [$output]"; return 1; }
	[ -z "$stderr" ] || fail "stderr not empty: [$stderr]"
}

# expected capability mask (hex, 16 digits) of capability numbers
cap_mask() {
	local m=0 c
	for c in "$@"; do m=$((m | (1 << c))); done
	printf '%016x' "$m"
}

# proc_status_field PID FIELD: a field of /proc/PID/status, its words
# separated by single spaces ("Uid" gives "0 0 0 0")
proc_status_field() {
	awk -v f="$2:" '$1 == f { $1 = ""; $0 = $0; $1 = $1; print; exit }' "/proc/$1/status"
}
