#!/bin/sh
# Fuzz the config, process and state parsers with libFuzzer (clang) for
# SECONDS (default 60), starting from the default specs.  Needs clang and
# libclang-rt-14-dev.  Findings are written to tests/fuzz/findings/.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=$(mktemp -d)
srcs="libmoat/spec/spec.c libmoat/spec/json.c libmoat/spec/process.c libmoat/spec/linux.c
  libmoat/spec/default.c libmoat/state.c libmoat/utils.c libmoat/error.c libmoat/cgroup/cgroup.c
  libmoat/log.c"
# shellcheck disable=SC2086
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -I. -include config.h \
  tests/fuzz/fuzz-spec.c $srcs $(pkg-config --cflags --libs yajl libseccomp) -o "$out/fuzz-spec"
corpus=$out/corpus
mkdir -p "$corpus" tests/fuzz/findings
./moat spec --bundle "$out" && cp "$out/config.json" "$corpus/root.json"
rm "$out/config.json" && ./moat spec --rootless --bundle "$out" && cp "$out/config.json" "$corpus/rootless.json"
echo '{"args":["sh"],"cwd":"/","env":["A=1"],"user":{"uid":1,"gid":2}}' >"$corpus/process.json"
"$out/fuzz-spec" -max_total_time="$secs" -max_len=65536 -artifact_prefix=tests/fuzz/findings/ "$corpus"
