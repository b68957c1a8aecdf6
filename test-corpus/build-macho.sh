#!/usr/bin/env bash
# Rebuilds the MachO corpus: clang-19 objects of the MachO C programs for
# x86_64-apple-macos11 and arm64-apple-macos11 (sources in src/macho declare
# their prototypes: no system headers), a static library of one of them, the MachO assembly tests of
# src/asm/x86_64-macho and src/asm/arm64-macho (copied beside their objects as check files), and a
# universal file made with llvm-lipo-19. Each program is also built and run
# natively, and its output compared with expected/macho/<program>.stdout|exit.
#
#   bash test-corpus/build-macho.sh [OUTDIR]      (default: test-corpus/obj-macho)
#
# UPDATE_EXPECTED=1 rewrites the expected files from the native runs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src/macho
OUT=${1:-$HERE/obj-macho}
EXPECTED=$HERE/expected/macho
UPDATE_EXPECTED=${UPDATE_EXPECTED:-0}
for tool in clang-19 clang++-19 llvm-mc-19 llvm-lipo-19 llvm-ar-19; do
  command -v "$tool" >/dev/null || { echo "build-macho.sh: $tool not found" >&2; exit 1; }
done

# program -> sources (and arguments of the run)
declare -A SOURCES=([hello]="hello.c" [args]="args.c" [ctors]="ctors.c" [multi]="multi_main.c multi_util.c" [shapes]="shapes.cpp"
  [exceptions]="exceptions.cpp" [tlv]="tlv_main.c tlv_vars.c")
declare -A ARGS=([hello]="" [args]="alpha be gamma" [ctors]="" [multi]="" [shapes]="" [exceptions]="" [tlv]="")
# Per-program flags for the MachO and the native builds.
declare -A MACHO_EXTRA=([exceptions]="-fexceptions -femit-dwarf-unwind=always")
declare -A NATIVE_EXTRA=([exceptions]="-fexceptions")
# Darwin defaults to stack protection, whose guard symbol an x86-64 Linux process lacks; commons as C
# compilers for macOS make them.
FLAGS="-Wall -fno-stack-protector -fcommon"
# C and C++ sources: the compiler and language flags for each.
compiler() { [[ $1 == *.cpp ]] && echo "clang++-19 -std=c++17 -fno-exceptions" || echo "clang-19 -std=gnu11"; }
TARGETS=(x86_64 arm64)
VARIANTS=(O0 O2)

rm -rf "$OUT"
mkdir -p "$OUT" "$EXPECTED"
native=$(mktemp -d)
trap 'rm -rf "$native"' EXIT
for p in "${!SOURCES[@]}"; do
  for t in "${TARGETS[@]}"; do
    for v in "${VARIANTS[@]}"; do
      mkdir -p "$OUT/$t/$v/$p"
      for s in ${SOURCES[$p]}; do
        # shellcheck disable=SC2046,SC2086
        $(compiler "$s") -target "$t-apple-macos11" -c -$v $FLAGS ${MACHO_EXTRA[$p]:-} "$SRC/$s" -o "$OUT/$t/$v/$p/${s%.*}.o"
      done
    done
  done
  # The native Linux build of the same sources gives the expected output.
  objs=()
  for s in ${SOURCES[$p]}; do
    # shellcheck disable=SC2046,SC2086
    $(compiler "$s") -c -O2 $FLAGS ${NATIVE_EXTRA[$p]:-} "$SRC/$s" -o "$native/${s%.*}.o"
    objs+=("$native/${s%.*}.o")
  done
  clang++-19 "${objs[@]}" -o "$native/$p"
  status=0
  # shellcheck disable=SC2086
  "$native/$p" ${ARGS[$p]} >"$native/$p.stdout" || status=$?
  echo "$status" >"$native/$p.exit"
  for ext in stdout exit; do
    if [[ $UPDATE_EXPECTED == 1 || ! -e $EXPECTED/$p.$ext ]]; then
      cp "$native/$p.$ext" "$EXPECTED/$p.$ext"
    elif ! cmp -s "$native/$p.$ext" "$EXPECTED/$p.$ext"; then
      echo "build-macho.sh: native $p.$ext differs from expected/macho/$p.$ext" >&2
      exit 1
    fi
  done
done

# Assembly tests with '# jitlink-check:' lines.
mkdir -p "$OUT/asm/x86_64"
for s in "$HERE/src/asm/x86_64-macho"/*.s; do
  b=$(basename "$s" .s)
  llvm-mc-19 -filetype=obj -triple=x86_64-apple-macos11 "$s" -o "$OUT/asm/x86_64/$b.o"
  cp "$s" "$OUT/asm/x86_64/$b.s"
done

# The same for arm64 (src/asm/arm64-macho: one test per ARM64_RELOC type).
mkdir -p "$OUT/asm/arm64"
for s in "$HERE/src/asm/arm64-macho"/*.s; do
  b=$(basename "$s" .s)
  llvm-mc-19 -filetype=obj -triple=arm64-apple-macos11 "$s" -o "$OUT/asm/arm64/$b.o"
  cp "$s" "$OUT/asm/arm64/$b.s"
done

# A static library of MachO members (llvm-ar's default, deterministic GNU format with its symbol index).
llvm-ar-19 rc "$OUT/x86_64/O2/multi/libmulti_util.a" "$OUT/x86_64/O2/multi/multi_util.o"
llvm-ar-19 rc "$OUT/arm64/O2/multi/libmulti_util.a" "$OUT/arm64/O2/multi/multi_util.o"

# A universal file holding both architectures of hello.
mkdir -p "$OUT/universal"
llvm-lipo-19 -create "$OUT/x86_64/O2/hello/hello.o" "$OUT/arm64/O2/hello/hello.o" -output "$OUT/universal/hello.o"

echo "build-macho.sh: OK: $(find "$OUT" -name '*.o' | wc -l) objects in $OUT"
