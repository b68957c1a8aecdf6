#!/usr/bin/env bash
# Rebuilds the ELF archives in every layout llvm-ar-19 writes (the archive fuzz target's seeds;
# called by build.sh after the x86-64 objects, or on its own):
#
#   bash test-corpus/build-archives.sh [OBJDIR]     (default test-corpus/obj)
#
#   OBJDIR/archive-elf/gnu.a           "/" index, "//" long-name table
#   OBJDIR/archive-elf/gnu-sym64.a     "/SYM64/" index (64-bit offsets)
#   OBJDIR/archive-elf/bsd.a           "__.SYMDEF" index, "#1/<len>" names
#   OBJDIR/archive-elf/bsd-sym64.a     what --format=bsd writes past 4 GiB: "/SYM64/" over "#1/<len>" names
#   OBJDIR/archive-elf/darwin-sym64.a  "__.SYMDEF_64" index (--format=darwin below 4 GiB writes bsd.a's bytes)
#
# llvm-ar writes a 64-bit index once a member header lies past SYM64_THRESHOLD (4 GiB
# unless set); 0 gets one for small archives. D: no timestamps, uids or gids.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OBJ=${1:-$HERE/obj}
OBJ=$(cd "$OBJ" && pwd)
OUT=$OBJ/archive-elf
command -v llvm-ar-19 >/dev/null || { echo "build-archives.sh: llvm-ar-19 not found" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Three members, from both compilers; one name too long for a GNU header (the "//" table).
cp "$OBJ/clang-19/O2-pic-small/multi/ops.o" "$WORK/multi_operations_long_name.o"
cp "$OBJ/clang-19/O2-pic-small/multi/tables.o" "$WORK/tables.o"
cp "$OBJ/gcc/O2-pic-small/weak/weak_defaults.o" "$WORK/weak_defaults.o"
MEMBERS=(multi_operations_long_name.o tables.o weak_defaults.o)

rm -rf "$OUT"
mkdir -p "$OUT"
for format in gnu bsd; do
  (cd "$WORK" && llvm-ar-19 rcsD --format=$format "$OUT/$format.a" "${MEMBERS[@]}")
done
for format in gnu bsd darwin; do
  (cd "$WORK" && SYM64_THRESHOLD=0 llvm-ar-19 rcsD --format=$format "$OUT/$format-sym64.a" "${MEMBERS[@]}")
done
