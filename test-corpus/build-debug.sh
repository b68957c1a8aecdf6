#!/usr/bin/env bash
# Rebuilds the objects of the debugger and profiler tests (-debugger-support,
# -perf-support): C built with -g, so that gdb finds names, files and lines.
#
#   bash test-corpus/build-debug.sh [OUTDIR]     (default test-corpus/obj/debug)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src/debug
OUT=${1:-$HERE/obj/debug}
mkdir -p "$OUT"
# Paths in the DWARF are relative to src/debug, so the objects do not depend on the checkout's place.
REPRO=(-ffile-prefix-map="$SRC"=. -fdebug-prefix-map="$SRC"=.)
for s in debug_main debug_leaf; do
  (cd "$SRC" && clang-19 -std=gnu11 -g -O0 -fPIC -c -Wall "${REPRO[@]}" "$s.c" -o "$OUT/$s.o")
done
(cd "$SRC" && clang-19 -std=gnu11 -g -O1 -fPIC -c -Wall "${REPRO[@]}" perf_hot.c -o "$OUT/perf_hot.o")
