#!/bin/bash
# bench/run.sh: time N sequential `run` of /bin/true with moat and, when
# they are installed, runc and crun.  See bench/README.md.
#
#   bench/run.sh [-n N] [-w W] [-s S] [-m MOAT] [-r "moat runc crun"] [-k]
#
# Every runtime runs the same busybox-static bundle, with its own --root on
# a private tmpfs (as /run is on real hosts) and a unique container id per
# run.  Printed per runtime: the total wall-clock ms of the timed runs, the
# mean, median and 90th percentile ms per run, the ratio of its mean to
# moat's, and the peak RSS (KiB) of the runtime process as /usr/bin/time
# reports it.
set -euo pipefail

usage () {
  cat <<'EOF'
Usage: bench/run.sh [OPTIONS]

  -n N      timed runs per runtime (default 100)
  -w W      untimed warm-up runs per runtime (default 5)
  -s S      runs measured under /usr/bin/time for peak RSS (default 20)
  -m MOAT   the moat binary (default: moat next to bench/, i.e. ./moat)
  -r LIST   runtimes to compare, space separated (default "moat runc crun";
            the ones not installed are skipped, moat is required)
  -k        keep the temporary directory (bundle, logs, a copy of the state roots)
  -h        print this help

Needs root and unshare (util-linux).  The script re-runs itself in a
private mount namespace.  There it mounts a tmpfs for the runtimes' state
roots (--root), and, on a host where /sys/fs/cgroup is not cgroup2 (hybrid
or v1), cgroup2 on /sys/fs/cgroup, so that every runtime sees the same pure
v2 view.  The host's mounts are untouched.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
n=100
warm=5
rss_runs=20
moat=$top/moat
runtimes="moat runc crun"
keep=0
orig_args=("$@")
while getopts n:w:s:m:r:kh opt; do
  case $opt in
    n) n=$OPTARG ;;
    w) warm=$OPTARG ;;
    s) rss_runs=$OPTARG ;;
    m) moat=$OPTARG ;;
    r) runtimes=$OPTARG ;;
    k) keep=1 ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then
  echo "run.sh: unexpected argument \`$1\`" >&2
  exit 2
fi
for v in "$n" "$warm" "$rss_runs"; do
  case $v in
    ''|*[!0-9]*) echo "run.sh: \`$v\` is not a number" >&2; exit 2 ;;
  esac
done
if [ "$n" -lt 1 ]; then
  echo "run.sh: -n must be at least 1" >&2
  exit 2
fi

tmp=
die () {
  # keep the temporary directory (logs) of a failed benchmark
  [ -z "$tmp" ] || keep=1
  echo "run.sh: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (the bundle is a rootful config)"

# A private mount namespace, for the tmpfs of the state roots (below) and,
# where needed, the cgroup v2 view; nothing mounted here reaches the host.
if [ -z "${MOAT_BENCH_INNER:-}" ]; then
  command -v unshare >/dev/null || die "unshare (util-linux) is needed for a private mount namespace"
  export MOAT_BENCH_INNER=1
  exec unshare --mount --propagation private "$here/$(basename "$0")" "${orig_args[@]}"
fi

# A pure cgroup v2 view for every runtime: crun 1.8 refuses hybrid
# cgroups, and moat (the unified hierarchy) and runc (the v1 controllers)
# would otherwise place their containers in different hierarchies.
cgroup_view=$(stat -fc %T /sys/fs/cgroup)
if [ "$cgroup_view" != cgroup2fs ]; then
  mount -t cgroup2 none /sys/fs/cgroup || die "cannot mount cgroup2 on /sys/fs/cgroup"
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || die "cgroup2 is still not on /sys/fs/cgroup"
  echo "# /sys/fs/cgroup was $cgroup_view: cgroup2 mounted on it in a private mount namespace" >&2
fi

[ -x "$moat" ] || die "moat binary \`$moat\` not found (build it: make -j2, or pass -m)"
moat=$(cd "$(dirname "$moat")" && pwd)/$(basename "$moat")

# The runtimes to measure: moat always, the others when installed.
declare -A bin
names=()
for rt in $runtimes; do
  if [ "$rt" = moat ]; then
    bin[moat]=$moat
    names+=(moat)
  elif p=$(command -v "$rt" 2>/dev/null); then
    bin[$rt]=$p
    names+=("$rt")
  else
    echo "# $rt is not installed: skipped" >&2
  fi
done
[ -n "${bin[moat]:-}" ] || die "moat must be one of the runtimes (-r)"

have_time=0
if [ -x /usr/bin/time ]; then
  have_time=1
elif command -v apt-get >/dev/null; then
  echo "# /usr/bin/time is not installed: peak RSS is not measured" \
       "(apt-get install time)" >&2
else
  echo "# /usr/bin/time is not installed: peak RSS is not measured" >&2
fi

tmp=$(mktemp -d /tmp/moat-bench.XXXXXX)
# The state roots (--root) live on a tmpfs, as runtime state does on a real
# host (/run), and the same one for every runtime: on a disk filesystem the
# renames of state files can cost a flush each.  It is mounted in this
# script's private mount namespace and goes away with it.
state=$tmp/state
mkdir "$state"
mount -t tmpfs -o mode=0700 moat-bench-state "$state" || die "cannot mount a tmpfs on $state"
cleanup () {
  for rt in "${names[@]}"; do
    # nothing should be left; delete what is, quietly
    for id in $("${bin[$rt]}" --root "$state/root-$rt" list -q 2>/dev/null || true); do
      "${bin[$rt]}" --root "$state/root-$rt" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  if [ "$keep" = 1 ]; then
    # the tmpfs goes away with the mount namespace: keep a copy
    cp -a "$state/." "$tmp/state.kept" 2>/dev/null || true
  fi
  umount "$state" 2>/dev/null || true
  if [ "$keep" = 1 ]; then
    echo "# kept $tmp (the state roots copied to $tmp/state.kept)" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

load0=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the bundle ----
bundle=$tmp/bundle
"$top/tests/lib/make-bundle.sh" "$bundle" "$moat" '["/bin/true"]' >"$tmp/bundle.log" 2>&1 \
  || { cat "$tmp/bundle.log" >&2; die "building the bundle failed"; }
# crun 1.8 knows runtime-spec versions up to 1.0.x only ("unknown version
# specified" for moat's 1.3.0); nothing in this config needs a later one.
sed -i 's/"ociVersion": *"[^"]*"/"ociVersion": "1.0.2"/' "$bundle/config.json"
if grep -q '"resources"' "$bundle/config.json"; then
  # crun 1.8 fails on linux.resources on this kind of host; without it,
  # every runtime runs with its default device rules
  if command -v python3 >/dev/null; then
    python3 -c '
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c.get("linux", {}).pop("resources", None)
json.dump(c, open(p, "w"), indent=2)' "$bundle/config.json"
  elif command -v jq >/dev/null; then
    jq 'del(.linux.resources)' "$bundle/config.json" >"$bundle/config.json.new"
    mv "$bundle/config.json.new" "$bundle/config.json"
  else
    die "config.json has linux.resources and neither python3 nor jq is there to strip it"
  fi
fi

# ---- one run ----
run_once () {  # runtime id
  "${bin[$1]}" --root "$state/root-$1" run --bundle "$bundle" "$2" \
    </dev/null >>"$tmp/$1.log" 2>&1
}

declare -A total_us mean_ms median_ms p90_ms rss_kib samples
for rt in "${names[@]}"; do
  mkdir -p "$state/root-$rt"
  : >"$tmp/$rt.log"
  # The first run must succeed: a runtime that fails fast would look fast.
  if ! run_once "$rt" "check-$rt-$$"; then
    echo "run.sh: $rt: the first run failed; its output:" >&2
    sed 's/^/  /' "$tmp/$rt.log" >&2
    keep=1
    exit 1
  fi
  for ((i = 0; i < warm; i++)); do
    run_once "$rt" "warm-$rt-$$-$i" || die "$rt: warm-up run $i failed (see $tmp/$rt.log)"
  done
  samples[$rt]=
  total_us[$rt]=0
done

# Timed runs, interleaved (moat, runc, crun, moat, ...) so that whatever
# else the machine does meanwhile weighs on every runtime alike.  Each run
# is timed on its own with bash's $EPOCHREALTIME (no fork for the clock).
for ((i = 0; i < n; i++)); do
  for rt in "${names[@]}"; do
    t0=${EPOCHREALTIME/[.,]/}
    run_once "$rt" "bench-$rt-$$-$i" || die "$rt: run $i failed (see $tmp/$rt.log)"
    t1=${EPOCHREALTIME/[.,]/}
    samples[$rt]+="$((t1 - t0)) "
    total_us[$rt]=$((total_us[$rt] + t1 - t0))
  done
done

for rt in "${names[@]}"; do
  read -r mean_ms[$rt] median_ms[$rt] p90_ms[$rt] < <(
    printf '%s\n' ${samples[$rt]} | sort -n | awk '
      { v[NR] = $1; s += $1 }
      END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        p = int(NR * 0.9 + 0.999999); if (p < 1) p = 1; if (p > NR) p = NR
        printf "%.3f %.3f %.3f\n", s / NR / 1000, med / 1000, v[p] / 1000
      }')

  # Peak RSS: the maximum resident set of the runtime process and of the
  # descendants it waited for (getrusage RUSAGE_CHILDREN semantics), over
  # a few more runs under /usr/bin/time, which are not timed.
  rss_kib[$rt]=-
  if [ "$have_time" = 1 ] && [ "$rss_runs" -gt 0 ]; then
    max=0
    for ((i = 0; i < rss_runs; i++)); do
      /usr/bin/time -f %M -o "$tmp/rss" "${bin[$rt]}" --root "$state/root-$rt" run \
        --bundle "$bundle" "rss-$rt-$$-$i" </dev/null >>"$tmp/$rt.log" 2>&1 \
        || die "$rt: RSS run $i failed (see $tmp/$rt.log)"
      r=$(tail -n 1 "$tmp/rss")
      if [ "$r" -gt "$max" ]; then max=$r; fi
    done
    rss_kib[$rt]=$max
  fi

  left=$("${bin[$rt]}" --root "$state/root-$rt" list -q 2>/dev/null | wc -l)
  [ "$left" = 0 ] || echo "# warning: $rt left $left containers behind" >&2
done

# ---- report ----
# moat's commit: the one it was built from, and for the repository's own
# binary the repository's HEAD (flagged when src/ or libmoat/ differ from it)
commit=$("$moat" --version | sed -n 's/^commit: //p')
if [ "$moat" = "$top/moat" ] && head=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
  commit="$commit; repository HEAD $head"
  if [ -n "$(git -C "$top" status --porcelain --untracked-files=no -- src libmoat)" ]; then
    commit="$commit with local changes to src/ or libmoat/"
  fi
fi
echo "# moat run benchmark: $n sequential \`run\` of /bin/true per runtime" \
     "(busybox-static bundle, runtimes interleaved), $warm warm-up runs each"
echo "# $(nproc) CPUs, Linux $(uname -r), cgroup view: $(stat -fc %T /sys/fs/cgroup)," \
     "state roots on: $(stat -fc %T "$state"), bundle on: $(stat -fc %T "$bundle")," \
     "load average before: $load0"
for rt in "${names[@]}"; do
  case $rt in
    moat) v="$("$moat" --version | head -n 1) (commit: $commit)" ;;
    *) v=$("${bin[$rt]}" --version 2>/dev/null | head -n 1) ;;
  esac
  echo "# $rt: ${bin[$rt]}: $v"
done
echo
printf '%-8s %6s %12s %10s %10s %10s %10s %14s\n' runtime runs total_ms mean_ms \
  median_ms p90_ms vs_moat peak_rss_KiB
for rt in "${names[@]}"; do
  awk -v rt="$rt" -v n="$n" -v tot="${total_us[$rt]}" -v mean="${mean_ms[$rt]}" \
      -v med="${median_ms[$rt]}" -v p90="${p90_ms[$rt]}" -v base="${mean_ms[moat]}" \
      -v rss="${rss_kib[$rt]}" 'BEGIN {
    printf "%-8s %6d %12.1f %10.3f %10.3f %10.3f %9.2fx %14s\n",
      rt, n, tot / 1000, mean, med, p90, mean / base, rss }'
done
