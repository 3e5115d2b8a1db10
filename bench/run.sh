#!/bin/bash
# bench/run.sh: time N sequential `run` of /bin/true, and/or N sequential
# `exec` of /bin/true in a running container, with moat and, when they are
# installed, runc and crun.  See bench/README.md.
#
#   bench/run.sh [-x run|exec|both] [-n N] [-w W] [-s S] [-m MOAT]
#                [-r "moat runc crun"] [-k]
#
# Every runtime runs the same busybox-static bundle, with its own --root on
# a private tmpfs (as /run is on real hosts).  `run`: a unique container id
# per run.  `exec`: one long-running container (`sleep`) per runtime, and
# `RUNTIME exec ID /bin/true` in the foreground against it.  Printed per
# runtime and per measured command: the total wall-clock ms of the timed
# runs, the mean, median and 90th percentile ms per run, the ratios of its
# mean and of its median to moat's, and the peak RSS (KiB) of the runtime
# process as /usr/bin/time reports it.
set -euo pipefail

usage () {
  cat <<'EOF'
Usage: bench/run.sh [OPTIONS]

  -x WHAT   what to measure: run, exec or both (default run); also
            --what WHAT
  -n N      timed runs (or execs) per runtime (default 100)
  -w W      untimed warm-up runs (or execs) per runtime (default 5)
  -s S      runs (or execs) measured under /usr/bin/time for peak RSS
            (default 20)
  -m MOAT   the moat binary (default: moat next to bench/, i.e. ./moat)
  -r LIST   runtimes to compare, space separated (default "moat runc crun";
            the ones not installed are skipped, moat is required).  An
            entry NAME=PATH measures the binary PATH under the name NAME,
            e.g. "moat moat-old=/tmp/old/moat runc crun" (NAME: letters,
            digits, '.', '_' and '-')
  -l JSON   a linux.resources object (without devices) for every bundle,
            to measure the cost of applying limits, e.g.
            '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}'
            (default: none; a runtime that cannot apply it fails)
  -k        keep the temporary directory (bundles, logs, a copy of the
            state roots)
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
what=run
n=100
limits=
warm=5
rss_runs=20
moat=$top/moat
runtimes="moat runc crun"
keep=0
orig_args=("$@")
# the one long option: --what WHAT, --what=WHAT
cli_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --what) [ $# -ge 2 ] || { echo "run.sh: --what needs an argument" >&2; exit 2; }
            cli_args+=(-x "$2"); shift 2 ;;
    --what=*) cli_args+=(-x "${1#--what=}"); shift ;;
    --help) cli_args+=(-h); shift ;;
    --) cli_args+=("$@"); break ;;
    *) cli_args+=("$1"); shift ;;
  esac
done
set -- ${cli_args[@]+"${cli_args[@]}"}
while getopts x:n:w:s:m:r:l:kh opt; do
  case $opt in
    l) limits=$OPTARG ;;
    x) what=$OPTARG ;;
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
case $what in
  run) phases=(run) ;;
  exec) phases=(exec) ;;
  both) phases=(run exec) ;;
  *) echo "run.sh: -x: \`$what\` is not run, exec or both" >&2; exit 2 ;;
esac
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
  exec unshare --mount --propagation private "$here/$(basename "$0")" ${orig_args[@]+"${orig_args[@]}"}
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

# The runtimes to measure: moat always, NAME=PATH as given, the others
# when installed.
declare -A bin
names=()
for rt in $runtimes; do
  case $rt in
    *=*)
      name=${rt%%=*} path=${rt#*=}
      case $name in
        ''|*[!A-Za-z0-9._-]*) die "-r: \`$name\` is not a usable runtime name" ;;
      esac
      [ "$name" != moat ] || die "-r: moat is the binary of -m, not of moat=PATH"
      [ -x "$path" ] || die "-r: $name: \`$path\` is not an executable"
      path=$(cd "$(dirname "$path")" && pwd)/$(basename "$path")
      rt=$name
      ;;
    moat) path=$moat ;;
    *)
      if ! path=$(command -v "$rt" 2>/dev/null); then
        echo "# $rt is not installed: skipped" >&2
        continue
      fi
      ;;
  esac
  [ -z "${bin[$rt]:-}" ] || die "-r: $rt is named twice"
  bin[$rt]=$path
  names+=("$rt")
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

# ---- the bundles ----
# make_bundle DIR ARGS_JSON: the bundle of tests/lib/make-bundle.sh, made
# usable by every runtime
make_bundle () {
  local dir=$1 pargs=$2
  "$top/tests/lib/make-bundle.sh" "$dir" "$moat" "$pargs" >"$tmp/bundle.log" 2>&1 \
    || { cat "$tmp/bundle.log" >&2; die "building the bundle $dir failed"; }
  # crun 1.8 knows runtime-spec versions up to 1.0.x only ("unknown version
  # specified" for moat's 1.3.0); nothing in this config needs a later one.
  sed -i 's/"ociVersion": *"[^"]*"/"ociVersion": "1.0.2"/' "$dir/config.json"
  if grep -q '"resources"' "$dir/config.json"; then
    # crun 1.8 fails on linux.resources on this kind of host; without it,
    # every runtime runs with its default device rules
    if command -v python3 >/dev/null; then
      python3 -c '
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c.get("linux", {}).pop("resources", None)
json.dump(c, open(p, "w"), indent=2)' "$dir/config.json"
    elif command -v jq >/dev/null; then
      jq 'del(.linux.resources)' "$dir/config.json" >"$dir/config.json.new"
      mv "$dir/config.json.new" "$dir/config.json"
    else
      die "config.json has linux.resources and neither python3 nor jq is there to strip it"
    fi
  fi
  if [ -n "${limits:-}" ]; then
    command -v jq >/dev/null || die "-l needs jq"
    jq --argjson r "$limits" '.linux.resources = $r' "$dir/config.json" >"$dir/config.json.new" \
      || die "-l: not a JSON object: $limits"
    mv "$dir/config.json.new" "$dir/config.json"
  fi
}
bundle=$tmp/bundle
make_bundle "$bundle" '["/bin/true"]'
# exec: the same bundle, but a process that waits (as PID 1 it ignores
# SIGTERM; delete -f kills it)
ebundle=$tmp/bundle-exec
case " ${phases[*]} " in
  *" exec "*) make_bundle "$ebundle" '["sleep", "1000000"]' ;;
esac

# ---- one run, one exec ----
run_once () {  # runtime id
  "${bin[$1]}" --root "$state/root-$1" run --bundle "$bundle" "$2" \
    </dev/null >>"$tmp/$1.log" 2>&1
}
exec_once () {  # runtime (the id is that of its long-running container)
  "${bin[$1]}" --root "$state/root-$1" exec "${ctr[$1]}" /bin/true \
    </dev/null >>"$tmp/$1.log" 2>&1
}

# The machine's busy CPU time (user, nice, system, irq, softirq) and the
# steal time, in clock ticks, from /proc/stat; and this script's own CPU
# time with that of every process it waited for (the runtimes, and what
# they waited for), from /proc/$$/stat.  No fork for either.
read_cpu () {  # sets cpu_busy cpu_steal cpu_self
  local u ni sy irq sirq st line
  read -r _ u ni sy _ _ irq sirq st _ </proc/stat
  cpu_busy=$((u + ni + sy + irq + sirq))
  cpu_steal=$st
  read -r line </proc/$$/stat
  line=${line##*) }  # after comm; field 3 is now the first
  # shellcheck disable=SC2086  # the fields, split on purpose
  set -- $line
  cpu_self=$((${12} + ${13} + ${14} + ${15}))  # utime stime cutime cstime
}

declare -A ctr total_us mean_ms median_ms p90_ms rss_kib samples cpu_note
for rt in "${names[@]}"; do
  mkdir -p "$state/root-$rt"
  : >"$tmp/$rt.log"
done

# measure PHASE: checks, warm-up, the interleaved timed runs, statistics
# and peak RSS of one command (run or exec) for every runtime.
measure () {
  local phase=$1 rt key i t0 t1 max r b0 s0 st0
  local once=${phase}_once
  for rt in "${names[@]}"; do
    # The first run must succeed: a runtime that fails fast would look fast.
    if ! $once "$rt" "check-$rt-$$"; then
      echo "run.sh: $rt: the first $phase failed; its output:" >&2
      sed 's/^/  /' "$tmp/$rt.log" >&2
      keep=1
      exit 1
    fi
    for ((i = 0; i < warm; i++)); do
      $once "$rt" "warm-$rt-$$-$i" || die "$rt: warm-up $phase $i failed (see $tmp/$rt.log)"
    done
    samples["$phase:$rt"]=
    total_us["$phase:$rt"]=0
  done

  # Timed runs, interleaved (moat, runc, crun, moat, ...) so that whatever
  # else the machine does meanwhile weighs on every runtime alike.  Each
  # run is timed on its own with bash's $EPOCHREALTIME (no fork for the
  # clock).
  read_cpu
  b0=$cpu_busy s0=$cpu_self st0=$cpu_steal
  for ((i = 0; i < n; i++)); do
    for rt in "${names[@]}"; do
      key=$phase:$rt
      t0=${EPOCHREALTIME/[.,]/}
      $once "$rt" "bench-$rt-$$-$i" || die "$rt: $phase $i failed (see $tmp/$rt.log)"
      t1=${EPOCHREALTIME/[.,]/}
      samples["$key"]+="$((t1 - t0)) "
      total_us["$key"]=$((total_us["$key"] + t1 - t0))
    done
  done
  read_cpu
  # how busy the machine was beyond the benchmark itself (kernel workers
  # that tear down what the runs left, e.g. network namespaces, count as
  # "others" too, so this is never quite 0)
  cpu_note[$phase]=$(awk -v b=$((cpu_busy - b0)) -v s=$((cpu_self - s0)) \
      -v st=$((cpu_steal - st0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "machine busy %.2f s, this benchmark %.2f s, others %.2f s (%+.0f%% of the benchmark), steal %.2f s",
      b / hz, s / hz, (b - s) / hz, s ? (b - s) * 100 / s : 0, st / hz }')

  for rt in "${names[@]}"; do
    key=$phase:$rt
    # shellcheck disable=SC2086  # one sample a line
    read -r "mean_ms[$key]" "median_ms[$key]" "p90_ms[$key]" < <(
      printf '%s\n' ${samples["$key"]} | sort -n | awk '
        { v[NR] = $1; s += $1 }
        END {
          med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          p = int(NR * 0.9 + 0.999999); if (p < 1) p = 1; if (p > NR) p = NR
          printf "%.3f %.3f %.3f\n", s / NR / 1000, med / 1000, v[p] / 1000
        }')

    # Peak RSS: the maximum resident set of the runtime process and of the
    # descendants it waited for (getrusage RUSAGE_CHILDREN semantics), over
    # a few more runs under /usr/bin/time, which are not timed.
    rss_kib["$key"]=-
    if [ "$have_time" = 1 ] && [ "$rss_runs" -gt 0 ]; then
      max=0
      for ((i = 0; i < rss_runs; i++)); do
        case $phase in
          run) /usr/bin/time -f %M -o "$tmp/rss" "${bin[$rt]}" --root "$state/root-$rt" run \
                 --bundle "$bundle" "rss-$rt-$$-$i" </dev/null >>"$tmp/$rt.log" 2>&1 ;;
          exec) /usr/bin/time -f %M -o "$tmp/rss" "${bin[$rt]}" --root "$state/root-$rt" exec \
                  "${ctr[$rt]}" /bin/true </dev/null >>"$tmp/$rt.log" 2>&1 ;;
        esac || die "$rt: RSS $phase $i failed (see $tmp/$rt.log)"
        r=$(tail -n 1 "$tmp/rss")
        if [ "$r" -gt "$max" ]; then max=$r; fi
      done
      rss_kib["$key"]=$max
    fi
  done
}

# The long-running container of each runtime, for exec: created and
# started (stdio on the runtime's log), then checked to be running.
exec_setup () {
  local rt
  for rt in "${names[@]}"; do
    ctr[$rt]=exec-$rt-$$
    "${bin[$rt]}" --root "$state/root-$rt" create --bundle "$ebundle" "${ctr[$rt]}" \
      </dev/null >>"$tmp/$rt.log" 2>&1 || die "$rt: create of the exec container failed (see $tmp/$rt.log)"
    "${bin[$rt]}" --root "$state/root-$rt" start "${ctr[$rt]}" \
      </dev/null >>"$tmp/$rt.log" 2>&1 || die "$rt: start of the exec container failed (see $tmp/$rt.log)"
    exec_check_running "$rt" "after start"
  done
}
exec_check_running () {  # runtime when
  "${bin[$1]}" --root "$state/root-$1" state "${ctr[$1]}" 2>>"$tmp/$1.log" \
    | grep -q '"status": *"running"' \
    || die "$1: the exec container is not running $2 (see $tmp/$1.log)"
}
# ...which every exec must have left running; then it is deleted.
exec_teardown () {
  local rt
  for rt in "${names[@]}"; do
    exec_check_running "$rt" "after the execs"
    "${bin[$rt]}" --root "$state/root-$rt" delete -f "${ctr[$rt]}" \
      </dev/null >>"$tmp/$rt.log" 2>&1 || die "$rt: delete -f of the exec container failed (see $tmp/$rt.log)"
  done
}

for phase in "${phases[@]}"; do
  [ "$phase" != exec ] || exec_setup
  measure "$phase"
  [ "$phase" != exec ] || exec_teardown
done

# Every state root must be empty now: run deletes its container, and the
# exec containers were deleted above.
for rt in "${names[@]}"; do
  left=$("${bin[$rt]}" --root "$state/root-$rt" list -q 2>/dev/null | wc -l)
  [ "$left" = 0 ] || echo "# warning: $rt left $left containers behind" >&2
done

# ---- report ----
# moat's commit: the one it was built from, and for the repository's own
# binary the repository's HEAD (flagged when src/ or libmoat/ differ from it)
moat_commit () {  # binary
  local commit head
  commit=$("$1" --version | sed -n 's/^commit: //p')
  if [ "$1" = "$top/moat" ] && head=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
    commit="$commit; repository HEAD $head"
    if [ -n "$(git -C "$top" status --porcelain --untracked-files=no -- src libmoat)" ]; then
      commit="$commit with local changes to src/ or libmoat/"
    fi
  fi
  echo "$commit"
}
case $what in
  run) desc="sequential \`run\` of /bin/true per runtime" ;;
  exec) desc="sequential \`exec\` of /bin/true in a running container per runtime" ;;
  both) desc="sequential \`run\` of /bin/true, then $n sequential \`exec\` of /bin/true in a running container, per runtime" ;;
esac
echo "# moat benchmark: $n $desc" \
     "(busybox-static bundle, runtimes interleaved), $warm warm-up runs each"
echo "# $(nproc) CPUs, Linux $(uname -r), cgroup view: $(stat -fc %T /sys/fs/cgroup)," \
     "state roots on: $(stat -fc %T "$state"), bundle on: $(stat -fc %T "$bundle")," \
     "load average before: $load0"
for rt in "${names[@]}"; do
  v=$("${bin[$rt]}" --version 2>/dev/null | head -n 1)
  case $v in
    "moat version"*) v="$v (commit: $(moat_commit "${bin[$rt]}"))" ;;
  esac
  echo "# $rt: ${bin[$rt]}: $v"
done
for phase in "${phases[@]}"; do
  echo
  echo "# $phase: CPU during the timed ${phase}s: ${cpu_note[$phase]}"
  printf '%-8s %-12s %6s %12s %10s %10s %10s %10s %10s %14s\n' what runtime runs total_ms \
    mean_ms median_ms p90_ms vs_moat med_vs_moat peak_rss_KiB
  for rt in "${names[@]}"; do
    awk -v what="$phase" -v rt="$rt" -v n="$n" -v tot="${total_us[$phase:$rt]}" \
        -v mean="${mean_ms[$phase:$rt]}" -v med="${median_ms[$phase:$rt]}" \
        -v p90="${p90_ms[$phase:$rt]}" -v base="${mean_ms[$phase:moat]}" \
        -v mbase="${median_ms[$phase:moat]}" -v rss="${rss_kib[$phase:$rt]}" 'BEGIN {
      printf "%-8s %-12s %6d %12.1f %10.3f %10.3f %10.3f %9.2fx %10.2fx %14s\n",
        what, rt, n, tot / 1000, mean, med, p90, mean / base, med / mbase, rss }'
  done
done
