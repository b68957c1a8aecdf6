#!/usr/bin/env bash
# Rebuilds the COFF part of the corpus (called by build.sh, or on its own):
#
#   bash test-corpus/build-coff.sh [OUTDIR]
#
#   OUTDIR/clang-19-coff-x86_64/<O0|O2>/<program>.obj   clang-19 -target x86_64-pc-windows-msvc
#   OUTDIR/mingw-coff-x86_64/<O0|O2>/<program>.obj      x86_64-w64-mingw32-gcc (package gcc-mingw-w64-x86-64)
#   OUTDIR/{clang-19,mingw}-coff-x86_64/O2/init_{a,b}.obj  initializer tables (src/coff/init)
#   OUTDIR/{clang-19,mingw}-coff-x86_64/O2/archive_*.obj  src/coff/archive; its members also in
#   OUTDIR/archive-coff/{clang-19-x86_64.lib,mingw-x86_64.a}  (llvm-ar-19, x86_64-w64-mingw32-ar)
#   OUTDIR/{clang-19,mingw}-coff-x86_64/O2/weak_*.obj, alternate_*.obj  src/coff/weak
#   OUTDIR/clang-19-coff-x86_64/O2/refused_*.obj     src/coff/refused: host calls that are refused
#   OUTDIR/mingw-coff-x86_64/bigobj/<program>.obj       mingw gcc -O2 -Wa,-mbig-obj (clang writes bigobj only past 65279 sections)
#   OUTDIR/asm/x86_64-coff/<name>.obj + <name>.s        assembly tests with '# jitlink-check:' lines
#   OUTDIR/clang-19-coff-aarch64/<O0|O2>/<program>.obj  clang-19 -target aarch64-pc-windows-msvc
#   OUTDIR/asm/aarch64-coff/<name>.obj + <name>.s       one assembly test per IMAGE_REL_ARM64_* type
#
# -mno-incremental-linker-compatible keeps clang's COFF output free of timestamps,
# so rebuilds are byte-identical.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src
OUT=${1:-$HERE/obj}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tool in clang-19 llvm-mc-19 llvm-ar-19 x86_64-w64-mingw32-gcc x86_64-w64-mingw32-ar; do
  command -v "$tool" >/dev/null || { echo "build-coff.sh: $tool not found" >&2; exit 1; }
done

PROGRAMS=(compute hello)
# --dependent-lib gives the objects the /DEFAULTLIB directive an MSVC build has.
CLANG_COFF=(clang-19 -target x86_64-pc-windows-msvc -mno-incremental-linker-compatible -Xclang --dependent-lib=msvcrt)
CLANG_COFF_ARM64=(clang-19 -target aarch64-pc-windows-msvc -mno-incremental-linker-compatible -Xclang --dependent-lib=msvcrt)
rm -rf "$OUT/clang-19-coff-x86_64" "$OUT/mingw-coff-x86_64" "$OUT/asm/x86_64-coff" "$OUT/clang-19-coff-aarch64" "$OUT/asm/aarch64-coff"
for opt in O0 O2; do
  mkdir -p "$OUT/clang-19-coff-x86_64/$opt" "$OUT/mingw-coff-x86_64/$opt" "$OUT/clang-19-coff-aarch64/$opt"
  for p in "${PROGRAMS[@]}"; do
    "${CLANG_COFF[@]}" "-$opt" -c "$SRC/coff/$p.c" -o "$OUT/clang-19-coff-x86_64/$opt/$p.obj"
    "${CLANG_COFF_ARM64[@]}" "-$opt" -c "$SRC/coff/$p.c" -o "$OUT/clang-19-coff-aarch64/$opt/$p.obj"
    # Without a timestamp or a file path that differs between checkouts.
    (cd "$SRC/coff" && x86_64-w64-mingw32-gcc "-$opt" -c "$p.c" -o "$OUT/mingw-coff-x86_64/$opt/$p.obj")
  done
done
# Initializer tables across two objects (src/coff/init): -O2 only.
for p in init_a init_b; do
  "${CLANG_COFF[@]}" -O2 -c "$SRC/coff/init/$p.c" -o "$OUT/clang-19-coff-x86_64/O2/$p.obj"
  "${CLANG_COFF_ARM64[@]}" -O2 -c "$SRC/coff/init/$p.c" -o "$OUT/clang-19-coff-aarch64/O2/$p.obj"
  (cd "$SRC/coff/init" && x86_64-w64-mingw32-gcc -O2 -c "$p.c" -o "$OUT/mingw-coff-x86_64/O2/$p.obj")
done
# An archive of COFF members (src/coff/archive): llvm-ar-19 for clang's objects, mingw's ar for mingw's.
for p in main square greet unused; do
  "${CLANG_COFF[@]}" -O2 -c "$SRC/coff/archive/$p.c" -o "$OUT/clang-19-coff-x86_64/O2/archive_$p.obj"
  (cd "$SRC/coff/archive" && x86_64-w64-mingw32-gcc -O2 -c "$p.c" -o "$OUT/mingw-coff-x86_64/O2/archive_$p.obj")
done
mkdir -p "$OUT/archive-coff"
rm -f "$OUT/archive-coff/"*
(cd "$OUT/clang-19-coff-x86_64/O2" && llvm-ar-19 rcsD "$OUT/archive-coff/clang-19-x86_64.lib" archive_square.obj archive_greet.obj archive_unused.obj)
(cd "$OUT/mingw-coff-x86_64/O2" && x86_64-w64-mingw32-ar rcsD "$OUT/archive-coff/mingw-x86_64.a" archive_square.obj archive_greet.obj archive_unused.obj)
# Weak externals (both compilers) and /alternatename (clang) across two objects (src/coff/weak).
for p in weak_main weak_strong alternate_main alternate_strong; do
  "${CLANG_COFF[@]}" -O2 -c "$SRC/coff/weak/$p.c" -o "$OUT/clang-19-coff-x86_64/O2/$p.obj"
done
for p in weak_main weak_strong; do
  (cd "$SRC/coff/weak" && x86_64-w64-mingw32-gcc -O2 -c "$p.c" -o "$OUT/mingw-coff-x86_64/O2/$p.obj")
done
# Calls the host thunks cannot bridge (src/coff/refused): refused when linked.
for p in float_argument callback; do
  "${CLANG_COFF[@]}" -O2 -c "$SRC/coff/refused/$p.c" -o "$OUT/clang-19-coff-x86_64/O2/refused_$p.obj"
done
mkdir -p "$OUT/mingw-coff-x86_64/bigobj"
for p in "${PROGRAMS[@]}"; do
  (cd "$SRC/coff" && x86_64-w64-mingw32-gcc -O2 -Wa,-mbig-obj -c "$p.c" -o "$OUT/mingw-coff-x86_64/bigobj/$p.obj")
done

mkdir -p "$OUT/asm/x86_64-coff"
for s in "$SRC/asm/x86_64-coff"/*.s; do
  b=$(basename "$s" .s)
  llvm-mc-19 -filetype=obj -triple=x86_64-pc-windows-msvc "$s" -o "$OUT/asm/x86_64-coff/$b.obj"
  cp "$s" "$OUT/asm/x86_64-coff/$b.s"
done
mkdir -p "$OUT/asm/aarch64-coff"
for s in "$SRC/asm/aarch64-coff"/*.s; do
  b=$(basename "$s" .s)
  llvm-mc-19 -filetype=obj -triple=aarch64-windows "$s" -o "$OUT/asm/aarch64-coff/$b.obj"
  cp "$s" "$OUT/asm/aarch64-coff/$b.s"
done
echo "build-coff.sh: OK: $(find "$OUT" -name '*.obj' | wc -l) COFF objects"
