#!/bin/sh
# The whole test suite: install dependencies, build, run the unit tests
# (make check) and the integration tests (real containers, as root), and
# end with one line "N passed, N failed, N skipped".
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

echo "unit: $u_pass passed, $u_fail failed, $u_skip skipped"
echo "integration: $i_pass passed, $i_fail failed, $i_skip skipped"
failed=$((u_fail + i_fail))
echo "$((u_pass + i_pass)) passed, $failed failed, $((u_skip + i_skip)) skipped"
[ "$failed" = 0 ]
