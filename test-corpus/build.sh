#!/usr/bin/env bash
# Rebuilds the relocatable-object corpus, links every program natively, runs
# it and checks its output against the committed expected files.
#
#   bash test-corpus/build.sh [OUTDIR]
#
# OUTDIR defaults to test-corpus/obj. Environment:
#   JOBS=N              parallel compile/link jobs (default: nproc)
#   UPDATE_EXPECTED=1   rewrite expected/*.stdout|exit and manifest.json from
#                       this build instead of failing when they differ
#   KEEP_NATIVE=DIR     keep the native executables and their outputs in DIR
#   CORPUS_ARCHES="x86_64 aarch64"  which object trees to rebuild (default both;
#                       the assembly tests are always rebuilt)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src
OUT=${1:-$HERE/obj}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
UPDATE_EXPECTED=${UPDATE_EXPECTED:-0}
CORPUS_ARCHES=" ${CORPUS_ARCHES:-x86_64 aarch64} "

# Toolchains. The directory name of a compiler in the object tree is its key.
COMPILERS=(gcc clang-19)
declare -A CC=([gcc]=gcc-12 [clang-19]=clang-19)
declare -A CXX=([gcc]=g++-12 [clang-19]=clang++-19)
# Extra compiler flags by compiler key (cross targets).
declare -A TARGET_FLAGS=([clang-19-aarch64]=--target=aarch64-linux-gnu)

LIBDIR=/usr/lib/x86_64-linux-gnu

for tool in gcc-12 g++-12 clang-19 clang++-19; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done
for f in "$LIBDIR/libsqlite3.a" "$LIBDIR/liblua5.4.a" "$LIBDIR/libz.a" \
  /usr/include/sqlite3.h /usr/include/lua5.4/lua.h /usr/include/zlib.h; do
  [[ -e $f ]] || { echo "build.sh: $f missing (install libsqlite3-dev liblua5.4-dev zlib1g-dev)" >&2; exit 1; }
done

# ---------------------------------------------------------------------------
# Variants: <opt>-<pic>-<model>[-fsec]
variant_flags() {
  local v=$1 opt pic model extra
  IFS=- read -r opt pic model extra <<<"$v"
  local flags="-$opt"
  case $pic in
    pic) flags+=" -fPIC" ;;
    pie) flags+=" -fPIE" ;;
    nopic) flags+=" -fno-pic" ;;
    *) echo "bad variant $v" >&2; return 1 ;;
  esac
  flags+=" -mcmodel=$model"
  case ${extra:-} in
    "") ;;
    fsec) flags+=" -ffunction-sections -fdata-sections" ;;
    *) echo "bad variant $v" >&2; return 1 ;;
  esac
  echo "$flags"
}

C_MATRIX=()
for opt in O0 O2; do
  for pic in pic pie nopic; do
    for model in small medium large; do
      C_MATRIX+=("$opt-$pic-$model")
    done
  done
done
CXX_MATRIX=(O0-pic-small O0-nopic-small O2-pic-small O2-nopic-small)
DRIVER_MATRIX=(O0-nopic-small O2-pic-small)

# ---------------------------------------------------------------------------
# Programs. Sources are relative to src/; object names are <program>/<base>.o.
PROGRAMS=(hello args multi commons weak ctors bss_big sections tls tls_threads tls_shared cxx
  sqlite_driver lua_driver zlib_driver harness)
declare -A LANGUAGE SOURCES CFLAGS_EXTRA LIBS ARCHIVES ARGS VARIANTS_gcc VARIANTS_clang NATIVE LINK_ERROR HARNESS_SOURCES

for p in "${PROGRAMS[@]}"; do
  LANGUAGE[$p]=c; CFLAGS_EXTRA[$p]=""; LIBS[$p]=""; ARCHIVES[$p]=""; ARGS[$p]=""
  VARIANTS_gcc[$p]="${C_MATRIX[*]}"; VARIANTS_clang[$p]="${C_MATRIX[*]}"
  NATIVE[$p]=1; LINK_ERROR[$p]=""; HARNESS_SOURCES[$p]=""
done

SOURCES[hello]="hello.c"
SOURCES[args]="args.c"
ARGS[args]="a b c"
SOURCES[multi]="multi/main.c multi/ops.c multi/tables.c"
LIBS[multi]="m"
VARIANTS_gcc[multi]="${C_MATRIX[*]} O2-pic-small-fsec"
VARIANTS_clang[multi]="${C_MATRIX[*]} O2-pic-small-fsec"
SOURCES[commons]="commons/commons_main.c commons/commons_low.c commons/commons_high.c"
CFLAGS_EXTRA[commons]="-fcommon"
SOURCES[weak]="weak/weak_main.c weak/weak_defaults.c weak/weak_strong.c"
SOURCES[ctors]="ctors/ctors_main.c ctors/ctors_extra.c"
SOURCES[bss_big]="bss_big.c"
SOURCES[sections]="sections/sections_main.c sections/sections_extra.c"
SOURCES[tls]="tls.c"
VARIANTS_gcc[tls]="O2-pic-small"; VARIANTS_clang[tls]="O2-pic-small"
# Thread-locals in two objects, used from the main thread, two pthreads and a
# thread that may predate the link (early.c): -fPIC gives TLSGD/TLSLD/DTPOFF32,
# -fPIE and -fno-pic GOTTPOFF/TPOFF32 (AArch64: TLSDESC; TLSIE and TLSLE).
SOURCES[tls_threads]="tls_threads/main.c tls_threads/vars.c tls_threads/early.c"
LIBS[tls_threads]="pthread"
VARIANTS_gcc[tls_threads]="O2-pic-small O2-pie-small O2-nopic-small"
VARIANTS_clang[tls_threads]="O2-pic-small O2-pie-small O2-nopic-small"
# A shared library's thread-local (libstdc++'s): TLSGD with -fPIC, GOTTPOFF with -fno-pic.
SOURCES[tls_shared]="tls_shared.c"
LIBS[tls_shared]="stdc++ dl"
VARIANTS_gcc[tls_shared]="O2-pic-small O2-nopic-small"
VARIANTS_clang[tls_shared]="O2-pic-small O2-nopic-small"
SOURCES[cxx]="cxx/main.cpp cxx/shapes.cpp cxx/errors.cpp cxx/registry.cpp"
LANGUAGE[cxx]=c++
LIBS[cxx]="stdc++ m"
VARIANTS_gcc[cxx]="${CXX_MATRIX[*]}"
VARIANTS_clang[cxx]="${CXX_MATRIX[*]} O2-pic-large"
SOURCES[sqlite_driver]="sqlite_driver.c"
LIBS[sqlite_driver]="m"
ARCHIVES[sqlite_driver]="$LIBDIR/libsqlite3.a"
SOURCES[lua_driver]="lua_driver.c"
CFLAGS_EXTRA[lua_driver]="-I/usr/include/lua5.4"
LIBS[lua_driver]="m"
ARCHIVES[lua_driver]="$LIBDIR/liblua5.4.a"
SOURCES[zlib_driver]="zlib_driver.c"
ARCHIVES[zlib_driver]="$LIBDIR/libz.a"
for p in sqlite_driver lua_driver zlib_driver; do
  VARIANTS_gcc[$p]="${DRIVER_MATRIX[*]}"; VARIANTS_clang[$p]="${DRIVER_MATRIX[*]}"
done
# llvm-jitlink harness mode: `llvm-jitlink test_code.o -harness test_code_harness.o`.
# Not linkable natively (function_to_test is static, function_to_mock is
# defined twice); the expected output is maintained by hand.
SOURCES[harness]="harness/test_code.c"
HARNESS_SOURCES[harness]="harness/test_code_harness.c"
VARIANTS_gcc[harness]=""; VARIANTS_clang[harness]="O0-pic-small"
NATIVE[harness]=0

variants_of() { # <program> <compiler-key>
  if [[ $2 == gcc ]]; then echo "${VARIANTS_gcc[$1]}"; else echo "${VARIANTS_clang[$1]}"; fi
}
obj_name() { local b=${1##*/}; echo "$2/${b%.*}.o"; }

# ---------------------------------------------------------------------------
# Job pool.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jitlink-corpus.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=$TMP/failures
: >"$FAILS"

run_job_logged() { # <description> <command...>: runs in the background
  local desc=$1; shift
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  (
    log=$(mktemp "$TMP/log.XXXXXX")
    if ! "$@" >"$log" 2>&1; then
      { echo "FAILED: $desc"; sed 's/^/    /' "$log"; } >>"$FAILS"
    fi
  ) &
}
finish_jobs() {
  wait
  if [[ -s $FAILS ]]; then
    cat "$FAILS" >&2
    echo "build.sh: $(grep -c '^FAILED' "$FAILS") job(s) failed" >&2
    exit 1
  fi
}

compile_one() { # <compiler-key> <variant> <program> <source>
  local ck=$1 v=$2 p=$3 s=$4 tool std
  local obj; obj=$(obj_name "$s" "$p")
  local flags; flags=$(variant_flags "$v")
  if [[ $s == *.cpp ]]; then tool=${CXX[$ck]}; std=-std=c++17; else tool=${CC[$ck]}; std=-std=gnu11; fi
  local repro=(-ffile-prefix-map="$SRC"=. -fdebug-prefix-map="$SRC"=.)
  [[ $ck == gcc* ]] && repro+=(-frandom-seed="$obj")
  # The arm64 headers' multiarch part (lua5.4-deb-multiarch.h) comes with the arm64 archives.
  [[ $ck == *-aarch64 ]] && repro+=(-I"$A64_DEBIAN/usr/include/aarch64-linux-gnu")
  mkdir -p "$OUT/$ck/$v/$p"
  # shellcheck disable=SC2086
  (cd "$SRC" && "$tool" ${TARGET_FLAGS[$ck]:-} $std -c $flags ${CFLAGS_EXTRA[$p]} -Wall "${repro[@]}" \
    "$s" -o "$OUT/$ck/$v/$obj")
}

native_one() { # <compiler-key> <variant> <program>
  local ck=$1 v=$2 p=$3 s objs=() libs=() tool pie
  for s in ${SOURCES[$p]}; do objs+=("$OUT/$ck/$v/$(obj_name "$s" "$p")"); done
  for s in ${LIBS[$p]}; do libs+=("-l$s"); done
  if [[ ${LANGUAGE[$p]} == c++ ]]; then tool=${CXX[$ck]}; else tool=${CC[$ck]}; fi
  if [[ $v == *-nopic-* ]]; then pie=-no-pie; else pie=-pie; fi
  local dir=$TMP/native/$ck/$v
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$tool" $pie "${objs[@]}" ${ARCHIVES[$p]} "${libs[@]}" -o "$dir/$p"
  local rc=0
  # shellcheck disable=SC2086
  (cd "$dir" && "./$p" ${ARGS[$p]}) >"$dir/$p.stdout" 2>"$dir/$p.stderr" </dev/null || rc=$?
  echo "$rc" >"$dir/$p.exit"
}

# ---------------------------------------------------------------------------
start=$(date +%s)
mismatch=0
n_run=0
if [[ $CORPUS_ARCHES == *" x86_64 "* ]]; then
rm -rf "${COMPILERS[@]/#/$OUT/}" "$OUT/expected" "$OUT/manifest.json"

n_obj=0
for p in "${PROGRAMS[@]}"; do
  for ck in "${COMPILERS[@]}"; do
    for v in $(variants_of "$p" "$ck"); do
      for s in ${SOURCES[$p]} ${HARNESS_SOURCES[$p]}; do
        run_job_logged "compile $ck/$v $s" compile_one "$ck" "$v" "$p" "$s"
        n_obj=$((n_obj + 1))
      done
    done
  done
done
finish_jobs
echo "build.sh: compiled $n_obj objects in $(($(date +%s) - start))s"

n_run=0
for p in "${PROGRAMS[@]}"; do
  [[ ${NATIVE[$p]} == 1 ]] || continue
  for ck in "${COMPILERS[@]}"; do
    for v in $(variants_of "$p" "$ck"); do
      run_job_logged "native link/run $ck/$v $p" native_one "$ck" "$v" "$p"
      n_run=$((n_run + 1))
    done
  done
done
finish_jobs
echo "build.sh: linked and ran $n_run native programs in $(($(date +%s) - start))s"

# ---------------------------------------------------------------------------
# Check every native run against the single expected output of its program.
mkdir -p "$HERE/expected"
mismatch=0
for p in "${PROGRAMS[@]}"; do
  [[ ${NATIVE[$p]} == 1 ]] || continue
  exp_out=$HERE/expected/$p.stdout exp_rc=$HERE/expected/$p.exit
  first=1
  for ck in "${COMPILERS[@]}"; do
    for v in $(variants_of "$p" "$ck"); do
      got=$TMP/native/$ck/$v/$p
      if [[ $UPDATE_EXPECTED == 1 && $first == 1 ]]; then
        cp "$got.stdout" "$exp_out"; cp "$got.exit" "$exp_rc"
      fi
      first=0
      if [[ ! -e $exp_out ]]; then
        echo "MISSING expected/$p.stdout (run with UPDATE_EXPECTED=1)" >&2; mismatch=1; continue 2
      fi
      if ! cmp -s "$got.stdout" "$exp_out" || ! cmp -s "$got.exit" "$exp_rc"; then
        echo "MISMATCH $p ($ck/$v): exit $(cat "$got.exit") vs expected $(cat "$exp_rc")" >&2
        diff "$exp_out" "$got.stdout" | head -20 >&2 || true
        mismatch=1
      fi
      if [[ -s $got.stderr ]]; then
        echo "MISMATCH $p ($ck/$v): unexpected stderr:" >&2; head -5 "$got.stderr" >&2; mismatch=1
      fi
    done
  done
done
if [[ -n ${KEEP_NATIVE:-} ]]; then mkdir -p "$KEEP_NATIVE"; cp -r "$TMP/native/." "$KEEP_NATIVE/"; fi
if [[ $mismatch != 0 ]]; then
  echo "build.sh: native outputs do not match test-corpus/expected" >&2
  exit 1
fi

# ---------------------------------------------------------------------------
# Manifest (paths relative to OUTDIR).
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
json_list() { # words -> ["a", "b"]
  local first=1 w out="["
  for w in "$@"; do
    ((first)) || out+=", "
    out+=$(json_str "$w"); first=0
  done
  printf '%s]' "$out"
}

write_manifest() {
  local p ck v first_p=1
  echo "{"
  echo '  "schema": 1,'
  echo '  "description": "Relocatable ELF x86-64 objects; object path = <compiler>/<variant>/<objects[i]>, relative to the directory holding this manifest.",'
  echo '  "compilers": {'
  printf '    "gcc": {"c": "%s", "c++": "%s", "version": %s},\n' "${CC[gcc]}" "${CXX[gcc]}" \
    "$(json_str "$("${CC[gcc]}" --version | head -1)")"
  printf '    "clang-19": {"c": "%s", "c++": "%s", "version": %s}\n' "${CC[clang-19]}" "${CXX[clang-19]}" \
    "$(json_str "$("${CC[clang-19]}" --version | head -1)")"
  echo '  },'
  echo '  "commonFlags": {"c": "-std=gnu11 -Wall", "c++": "-std=c++17 -Wall"},'
  echo '  "variantFlags": {'
  local all_variants
  all_variants=$(for p in "${PROGRAMS[@]}"; do for ck in "${COMPILERS[@]}"; do variants_of "$p" "$ck"; done; done | tr ' ' '\n' | sed '/^$/d' | sort -u)
  local n=0 total
  total=$(wc -l <<<"$all_variants")
  for v in $all_variants; do
    n=$((n + 1))
    printf '    %s: %s%s\n' "$(json_str "$v")" "$(json_str "-c $(variant_flags "$v")")" "$([[ $n -lt $total ]] && echo ,)"
  done
  echo '  },'
  echo '  "programs": ['
  for p in "${PROGRAMS[@]}"; do
    ((first_p)) || echo "    },"
    first_p=0
    local objs=() hobjs=() s
    for s in ${SOURCES[$p]}; do objs+=("$(obj_name "$s" "$p")"); done
    for s in ${HARNESS_SOURCES[$p]}; do hobjs+=("$(obj_name "$s" "$p")"); done
    echo "    {"
    echo "      \"name\": $(json_str "$p"),"
    echo "      \"language\": $(json_str "${LANGUAGE[$p]}"),"
    echo "      \"objects\": $(json_list "${objs[@]}"),"
    if ((${#hobjs[@]})); then echo "      \"harnessObjects\": $(json_list "${hobjs[@]}"),"; fi
    # shellcheck disable=SC2086
    echo "      \"extraFlags\": $(json_list ${CFLAGS_EXTRA[$p]}),"
    # shellcheck disable=SC2046
    echo "      \"variants\": {\"gcc\": $(json_list $(variants_of "$p" gcc)), \"clang-19\": $(json_list $(variants_of "$p" clang-19))},"
    # shellcheck disable=SC2086
    echo "      \"args\": $(json_list ${ARGS[$p]}),"
    # shellcheck disable=SC2086
    echo "      \"libs\": $(json_list ${LIBS[$p]}),"
    # shellcheck disable=SC2086
    echo "      \"archives\": $(json_list ${ARCHIVES[$p]}),"
    echo "      \"nativeLink\": $([[ ${NATIVE[$p]} == 1 ]] && echo true || echo false),"
    if [[ -n ${LINK_ERROR[$p]} ]]; then echo "      \"expectLinkError\": $(json_str "${LINK_ERROR[$p]}"),"; fi
    echo "      \"expected\": {\"stdout\": \"expected/$p.stdout\", \"exit\": $(cat "$HERE/expected/$p.exit")}"
  done
  echo "    }"
  echo "  ]"
  echo "}"
}

mkdir -p "$OUT/expected"
for p in "${PROGRAMS[@]}"; do
  for ext in stdout exit; do
    [[ -e $HERE/expected/$p.$ext ]] || { echo "build.sh: expected/$p.$ext missing" >&2; exit 1; }
  done
  cp "$HERE/expected/$p.stdout" "$HERE/expected/$p.exit" "$OUT/expected/"
done
write_manifest >"$OUT/manifest.json"
if ! cmp -s "$OUT/manifest.json" "$HERE/manifest.json"; then
  if [[ $UPDATE_EXPECTED == 1 || ! -e $HERE/manifest.json ]]; then
    cp "$OUT/manifest.json" "$HERE/manifest.json"
  else
    echo "build.sh: test-corpus/manifest.json is out of date (rerun with UPDATE_EXPECTED=1):" >&2
    diff "$HERE/manifest.json" "$OUT/manifest.json" | head -20 >&2 || true
    exit 1
  fi
fi
fi # x86_64

# ---------------------------------------------------------------------------
# AArch64: the C and C++ programs and the drivers (against Debian's arm64
# archives, unpacked by fetch-debian-arm64.sh into JITLINK_DEBIAN_ARM64,
# default test-corpus/debian-arm64) cross-compiled by both compilers into
# OUTDIR/<compiler>-aarch64/<variant>/, linked natively with the cross gcc and
# run under qemu-aarch64 against the same expected outputs. Without the cross
# tools or the archives this part is skipped with a message, and fails under
# CI=true.
A64_PROGRAMS=(hello args multi commons weak ctors bss_big sections tls tls_threads cxx sqlite_driver lua_driver zlib_driver)
A64_DEBIAN=${JITLINK_DEBIAN_ARM64:-$HERE/debian-arm64}
A64_LIBDIR=$A64_DEBIAN/usr/lib/aarch64-linux-gnu
declare -A A64_ARCHIVES=([sqlite_driver]=$A64_LIBDIR/libsqlite3.a [lua_driver]=$A64_LIBDIR/liblua5.4.a
  [zlib_driver]=$A64_LIBDIR/libz.a)
A64_C_MATRIX=(O0-pic-small O0-nopic-small O2-pic-small O2-nopic-small O2-pic-tiny O0-nopic-large O2-nopic-large)
A64_CXX_MATRIX=(O0-pic-small O2-pic-small O2-nopic-small)
A64_COMPILERS=(gcc-aarch64 clang-19-aarch64)
A64_SYSROOT=/usr/aarch64-linux-gnu
CC[gcc-aarch64]=aarch64-linux-gnu-gcc-12; CXX[gcc-aarch64]=aarch64-linux-gnu-g++-12
CC[clang-19-aarch64]=clang-19; CXX[clang-19-aarch64]=clang++-19
a64_missing=""
for tool in aarch64-linux-gnu-gcc-12 aarch64-linux-gnu-g++-12 qemu-aarch64; do
  command -v "$tool" >/dev/null || a64_missing+=" $tool"
done
[[ -d $A64_SYSROOT/lib ]] || a64_missing+=" $A64_SYSROOT (libc6-dev-arm64-cross)"
for f in "${A64_ARCHIVES[@]}"; do
  [[ -e $f ]] || a64_missing+=" $f (bash test-corpus/fetch-debian-arm64.sh)"
done
a64_variants() { # <program>
  if [[ $1 == cxx ]]; then echo "${A64_CXX_MATRIX[*]}"
  elif [[ $1 == tls ]]; then echo "O2-pic-small"
  elif [[ $1 == tls_threads ]]; then echo "O2-pic-small O2-pie-small O2-nopic-small"
  elif [[ -n ${A64_ARCHIVES[$1]:-} ]]; then echo "${DRIVER_MATRIX[*]}"
  elif [[ $1 == bss_big ]]; then echo "${A64_C_MATRIX[*]/O2-pic-tiny/}" # 48 MiB of data: beyond the tiny model's 1 MiB
  else echo "${A64_C_MATRIX[*]}"; fi
}
a64_native_one() { # <compiler-key> <variant> <program>
  local ck=$1 v=$2 p=$3 s objs=() libs=() tool=aarch64-linux-gnu-gcc-12 pie
  for s in ${SOURCES[$p]}; do objs+=("$OUT/$ck/$v/$(obj_name "$s" "$p")"); done
  for s in ${LIBS[$p]}; do libs+=("-l$s"); done
  [[ ${LANGUAGE[$p]} == c++ ]] && tool=aarch64-linux-gnu-g++-12
  if [[ $v == *-nopic-* ]]; then pie=-no-pie; else pie=-pie; fi
  local dir=$TMP/native/$ck/$v
  mkdir -p "$dir"
  "$tool" $pie "${objs[@]}" ${A64_ARCHIVES[$p]:-} "${libs[@]}" -o "$dir/$p"
  local rc=0
  # shellcheck disable=SC2086
  (cd "$dir" && qemu-aarch64 -L "$A64_SYSROOT" "./$p" ${ARGS[$p]}) >"$dir/$p.stdout" 2>"$dir/$p.stderr" </dev/null || rc=$?
  echo "$rc" >"$dir/$p.exit"
}
if [[ $CORPUS_ARCHES != *" aarch64 "* ]]; then
  :
elif [[ -n $a64_missing ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "build.sh: aarch64 corpus needs:$a64_missing (apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user)" >&2
    exit 1
  fi
  echo "build.sh: skipping the aarch64 corpus, missing:$a64_missing" >&2
else
  rm -rf "${A64_COMPILERS[@]/#/$OUT/}"
  n_a64=0
  for p in "${A64_PROGRAMS[@]}"; do
    for ck in "${A64_COMPILERS[@]}"; do
      for v in $(a64_variants "$p"); do
        for s in ${SOURCES[$p]}; do
          run_job_logged "compile $ck/$v $s" compile_one "$ck" "$v" "$p" "$s"
          n_a64=$((n_a64 + 1))
        done
      done
    done
  done
  finish_jobs
  for p in "${A64_PROGRAMS[@]}"; do
    [[ ${NATIVE[$p]} == 1 ]] || continue
    for ck in "${A64_COMPILERS[@]}"; do
      for v in $(a64_variants "$p"); do
        run_job_logged "qemu link/run $ck/$v $p" a64_native_one "$ck" "$v" "$p"
        n_run=$((n_run + 1))
      done
    done
  done
  finish_jobs
  for p in "${A64_PROGRAMS[@]}"; do
    [[ ${NATIVE[$p]} == 1 ]] || continue
    for ck in "${A64_COMPILERS[@]}"; do
      for v in $(a64_variants "$p"); do
        got=$TMP/native/$ck/$v/$p
        if ! cmp -s "$got.stdout" "$HERE/expected/$p.stdout" || ! cmp -s "$got.exit" "$HERE/expected/$p.exit"; then
          echo "MISMATCH $p ($ck/$v under qemu-aarch64): exit $(cat "$got.exit")" >&2
          diff "$HERE/expected/$p.stdout" "$got.stdout" | head -20 >&2 || true
          mismatch=1
        fi
      done
    done
  done
  [[ $mismatch == 0 ]] || { echo "build.sh: aarch64 outputs do not match test-corpus/expected" >&2; exit 1; }
  echo "build.sh: aarch64: compiled $n_a64 objects; native runs under qemu-aarch64 match expected/"
fi

# ---------------------------------------------------------------------------
# Objects that JavaScript calls into (no main): src/ffi/<name>.c is compiled
# with clang-19 for x86-64 to OUTDIR/ffi/<name>.o.
mkdir -p "$OUT/ffi"
for c in "$SRC/ffi"/*.c; do
  clang-19 --target=x86_64-linux-gnu -O2 -fPIC -c "$c" -o "$OUT/ffi/$(basename "$c" .c).o"
done

# ---------------------------------------------------------------------------
# Live re-linking: src/live/*.c (a driver, and versions of one replaceable
# object) compiled by gcc for x86-64 to OUTDIR/live/ and by
# aarch64-linux-gnu-gcc to OUTDIR/live-aarch64/.
mkdir -p "$OUT/live" "$OUT/live-aarch64"
for c in "$SRC/live"/*.c; do
  b=$(basename "$c" .c)
  gcc -O1 -fPIC -c "$c" -o "$OUT/live/$b.o"
  aarch64-linux-gnu-gcc -O1 -fPIC -c "$c" -o "$OUT/live-aarch64/$b.o"
done

# ---------------------------------------------------------------------------
# Assembly tests in llvm-jitlink's style (with '# jitlink-check:' lines): each
# src/asm/<arch>/<name>.s is assembled to OUTDIR/asm/<arch>/<name>.o, and the
# source is copied next to it as the check file.
declare -A ASM_TRIPLE=([x86_64]=x86_64-unknown-linux-gnu [aarch64]=aarch64-unknown-linux-gnu
  [aarch64_be]=aarch64_be-unknown-linux-gnu)
# Big-endian aarch64 assembles the aarch64 sources (instructions are little-endian on both).
declare -A ASM_SOURCES=([aarch64_be]=aarch64)
command -v llvm-mc-19 >/dev/null || { echo "build.sh: llvm-mc-19 not found" >&2; exit 1; }
for arch in "${!ASM_TRIPLE[@]}"; do
  mkdir -p "$OUT/asm/$arch"
  for s in "$SRC/asm/${ASM_SOURCES[$arch]:-$arch}"/*.s; do
    b=$(basename "$s" .s)
    llvm-mc-19 -filetype=obj -triple="${ASM_TRIPLE[$arch]}" "$s" -o "$OUT/asm/$arch/$b.o"
    cp "$s" "$OUT/asm/$arch/$b.s"
  done
done

# Zero-fill limits: src/limits/<name>.s (huge .bss sections) to obj-limits/<name>.o, apart
# from obj/ so that tests linking every corpus object into working memory do not take them.
if [[ $OUT == "$HERE/obj" ]]; then LIMITS=$HERE/obj-limits; else LIMITS=$OUT-limits; fi
mkdir -p "$LIMITS"
for s in "$SRC/limits"/*.s; do
  llvm-mc-19 -filetype=obj -triple=x86_64-unknown-linux-gnu "$s" -o "$LIMITS/$(basename "$s" .s).o"
done

# COFF objects (clang-19 for Windows targets, mingw gcc): their own script.
bash "$HERE/build-coff.sh" "$OUT"

# ELF archives in each layout llvm-ar-19 writes (the archive fuzz seeds): their own script.
bash "$HERE/build-archives.sh" "$OUT"

# The MachO corpus (x86_64 and arm64 objects, assembly tests, a universal file) has its own script.
if [[ $OUT == "$HERE/obj" ]]; then bash "$HERE/build-macho.sh"; else bash "$HERE/build-macho.sh" "$OUT-macho"; fi

# The -g objects of the debugger and profiler tests (obj/debug), with their own script.
bash "$HERE/build-debug.sh" "$OUT/debug"

objs_total=$(find "$OUT" -name '*.o' | wc -l)
size=$(du -sh "$OUT" | cut -f1)
echo "build.sh: OK: $objs_total objects, $n_run native runs match expected/, $size in $OUT, $(($(date +%s) - start))s"
