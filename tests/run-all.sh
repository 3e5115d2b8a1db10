#!/bin/sh
# The whole test suite: install dependencies, build, run the unit tests
# (make check), the integration tests (real containers, as root), the
# sanitizer lane, the fuzz lane, the cgroup v2 VM lane and the
# compatibility corpus, and end
# with one line
# "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

if [ "$(id -u)" != 0 ]; then
  echo "run-all.sh: the integration tests start real containers and need root" >&2
  exit 1
fi
contrib/install-deps.sh || exit 1
# Optional comparison runtimes for the benchmark are not needed here.

if [ ! -x configure ]; then ./autogen.sh || exit 1; fi
if [ ! -f Makefile ]; then ./configure CFLAGS="-O2 -g -Werror" || exit 1; fi
make -j"$(nproc)" >/dev/null || { make; exit 1; }

# Every lane runs under a budget, a few times what it takes here, so that a
# lane that hangs (an engine waiting on a process that never ends, say)
# costs its budget and not the whole CI run: still running then, it is
# stopped (TERM, and KILL 30 s later, to its whole process group) and
# counts as one failure, named.  The budgets add up to 60 minutes.
#
# run_lane NAME BUDGET COMMAND...: the lane's output on stdout and in
# $lane_log; $lane_rc its exit status (124 or 137: stopped).
run_lane () {
  lane=$1 budget=$2
  shift 2
  lane_log=$(mktemp)
  lane_t0=$(date +%s)
  { timeout -k 30 "$budget" "$@" 2>&1; echo $? >"$lane_log.rc"; } | tee "$lane_log"
  lane_rc=$(cat "$lane_log.rc")
  rm -f "$lane_log.rc"
  if [ "$lane_rc" = 124 ] || [ "$lane_rc" = 137 ]; then
    echo "not ok - $lane: still running after its budget of $budget s (started $(($(date +%s) - lane_t0)) s ago): stopped" | tee -a "$lane_log"
    lane_stopped=1
  else
    lane_stopped=
  fi
}

# A summary line "N passed, N failed, N skipped" of a lane's log, as
# "P F S"; a lane that printed none, or was stopped, counts one failure
# more.
lane_counts () {
  s=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -1)
  if [ -z "$s" ]; then echo "0 1 0"; return; fi
  p=$(echo "$s" | sed 's/^\([0-9]*\) passed.*/\1/')
  f=$(echo "$s" | sed 's/.* \([0-9]*\) failed.*/\1/')
  k=$(echo "$s" | sed -n 's/.* \([0-9]*\) skipped$/\1/p')
  [ -n "$lane_stopped" ] && f=$((f + 1))
  echo "$p $f ${k:-0}"
}

# The unit tests (make check).
run_lane unit 300 make -j"$(nproc)" check
count () { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$lane_log" | awk '{s += $1} END {print s + 0}'; }
u_pass=$(count PASS)
u_fail=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
u_skip=$(count SKIP)
if [ "$lane_rc" != 0 ] && [ "$u_fail" = 0 ]; then u_fail=1; fi
rm -f "$lane_log"

# The integration tests: real containers, as root.
MOAT="$top/moat"
export MOAT
run_lane integration 900 sh tests/run-integration.sh
set -- $(lane_counts "$lane_log"); i_pass=$1 i_fail=$2 i_skip=$3
rm -f "$lane_log"

# An ASan+UBSan build of moat runs the unit tests and a representative part
# of the integration suite (tests/sanitize.sh says which, and why not the
# rest); any report fails it.
run_lane sanitize 600 bash tests/sanitize.sh
set -- $(lane_counts "$lane_log"); s_pass=$1 s_fail=$2 s_skip=$3
rm -f "$lane_log"
# Every libFuzzer target replays the committed corpus, then fuzzes for
# 15 seconds.
run_lane fuzz 300 bash tests/fuzz/run.sh 15
set -- $(lane_counts "$lane_log"); f_pass=$1 f_fail=$2 f_skip=$3
rm -f "$lane_log"
# The cgroup v2 controllers (memory, pids, cpu, cpuset, io), which a hybrid
# host keeps on v1, AppArmor, SELinux, checkpoint/restore with CRIU and
# the systemd cgroup driver, in VMs booted with cgroup_no_v1=all
# (tests/vm/lane.sh); a host that cannot run the VM counts one skip, with
# the reason.
run_lane vm 2100 bash tests/vm/lane.sh
set -- $(lane_counts "$lane_log"); v_pass=$1 v_fail=$2 v_skip=$3
rm -f "$lane_log"
# The differential compatibility corpus: the configs runc, crun, Podman,
# containerd and buildah write, run with runc and with moat, what the
# process sees compared (tests/compat/run.sh; every difference allowed
# there is one docs/compat.md documents).
run_lane compat 600 bash tests/compat/run.sh
set -- $(lane_counts "$lane_log"); c_pass=$1 c_fail=$2 c_skip=$3
rm -f "$lane_log"

echo "unit: $u_pass passed, $u_fail failed, $u_skip skipped"
echo "integration: $i_pass passed, $i_fail failed, $i_skip skipped"
echo "sanitize: $s_pass passed, $s_fail failed, $s_skip skipped"
echo "fuzz: $f_pass passed, $f_fail failed, $f_skip skipped"
echo "vm: $v_pass passed, $v_fail failed, $v_skip skipped"
echo "compat: $c_pass passed, $c_fail failed, $c_skip skipped"
failed=$((u_fail + i_fail + s_fail + f_fail + v_fail + c_fail))
echo "$((u_pass + i_pass + s_pass + f_pass + v_pass + c_pass)) passed, $failed failed, $((u_skip + i_skip + s_skip + f_skip + v_skip + c_skip)) skipped"
[ "$failed" = 0 ]
