#!/usr/bin/env bash
# Rebuilds the example backend's committed objects from corpus/*.s.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for s in "$HERE"/corpus/*.s; do
  llvm-mc-19 -filetype=obj -triple=i386-unknown-linux-gnu "$s" -o "${s%.s}.o"
done
