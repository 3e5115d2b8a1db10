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

unit_log=$(mktemp)
make -j"$(nproc)" check >"$unit_log" 2>&1
unit_rc=$?
cat "$unit_log"
count () { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$unit_log" | awk '{s += $1} END {print s + 0}'; }
u_pass=$(count PASS)
u_fail=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) ))
u_skip=$(count SKIP)
if [ "$unit_rc" != 0 ] && [ "$u_fail" = 0 ]; then u_fail=1; fi
rm -f "$unit_log"

int_log=$(mktemp)
MOAT="$top/moat" sh tests/run-integration.sh 2>&1 | tee "$int_log"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$int_log" | tail -1)
rm -f "$int_log"
if [ -z "$summary" ]; then
  echo "run-all.sh: the integration tests printed no summary" >&2
  i_pass=0 i_fail=1 i_skip=0
else
  i_pass=$(echo "$summary" | sed 's/^\([0-9]*\) passed.*/\1/')
  i_fail=$(echo "$summary" | sed 's/.* \([0-9]*\) failed.*/\1/')
  i_skip=$(echo "$summary" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
  i_skip=${i_skip:-0}
fi

# A summary line "N passed, N failed, N skipped" of a lane's log, as
# "P F S"; a lane that printed none counts as one failure.
lane_counts () {
  s=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -1)
  if [ -z "$s" ]; then echo "0 1 0"
  else echo "$s" | sed 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/'; fi
}

# An ASan+UBSan build of moat runs the unit tests and a representative part
# of the integration suite (tests/sanitize.sh says which, and why not the
# rest); any report fails it.
san_log=$(mktemp)
bash tests/sanitize.sh 2>&1 | tee "$san_log"
set -- $(lane_counts "$san_log"); s_pass=$1 s_fail=$2 s_skip=$3
# Every libFuzzer target replays the committed corpus, then fuzzes for
# 15 seconds.
fuzz_log=$(mktemp)
bash tests/fuzz/run.sh 15 2>&1 | tee "$fuzz_log"
set -- $(lane_counts "$fuzz_log"); f_pass=$1 f_fail=$2 f_skip=$3
# The cgroup v2 controllers (memory, pids, cpu, cpuset, io), which a hybrid
# host keeps on v1, in a VM booted with cgroup_no_v1=all
# (tests/vm/lane.sh); a host that cannot run the VM counts one skip, with
# the reason.
vm_log=$(mktemp)
MOAT="$top/moat" bash tests/vm/lane.sh 2>&1 | tee "$vm_log"
set -- $(lane_counts "$vm_log"); v_pass=$1 v_fail=$2 v_skip=$3
# The differential compatibility corpus: the configs runc, crun, Podman,
# containerd and buildah write, run with runc and with moat, what the
# process sees compared (tests/compat/run.sh; every difference allowed
# there is one docs/compat.md documents).
compat_log=$(mktemp)
MOAT="$top/moat" bash tests/compat/run.sh 2>&1 | tee "$compat_log"
set -- $(lane_counts "$compat_log"); c_pass=$1 c_fail=$2 c_skip=$3
rm -f "$san_log" "$fuzz_log" "$compat_log" "$vm_log"

echo "unit: $u_pass passed, $u_fail failed, $u_skip skipped"
echo "integration: $i_pass passed, $i_fail failed, $i_skip skipped"
echo "sanitize: $s_pass passed, $s_fail failed, $s_skip skipped"
echo "fuzz: $f_pass passed, $f_fail failed, $f_skip skipped"
echo "vm: $v_pass passed, $v_fail failed, $v_skip skipped"
echo "compat: $c_pass passed, $c_fail failed, $c_skip skipped"
failed=$((u_fail + i_fail + s_fail + f_fail + v_fail + c_fail))
echo "$((u_pass + i_pass + s_pass + f_pass + v_pass + c_pass)) passed, $failed failed, $((u_skip + i_skip + s_skip + f_skip + v_skip + c_skip)) skipped"
[ "$failed" = 0 ]
