#!/bin/sh
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi
# the TAP driver for `make check` ships with automake but is not installed
# by autoreconf
am_dir=$(automake --print-libdir)
cp -f "$am_dir/tap-driver.sh" build-aux/tap-driver.sh
