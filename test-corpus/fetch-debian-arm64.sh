#!/usr/bin/env bash
# Unpacks Debian's arm64 builds of the archives the driver programs link
# (libsqlite3.a, liblua5.4.a, libz.a, with their headers) without installing
# them: apt-get download + dpkg -x into DEST (default test-corpus/debian-arm64,
# which git ignores). Needs root once, to add the arm64 architecture to apt.
#
#   bash test-corpus/fetch-debian-arm64.sh [DEST]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEST=${1:-$HERE/debian-arm64}
PACKAGES=(libsqlite3-dev:arm64 liblua5.4-dev:arm64 zlib1g-dev:arm64)

if [[ -e $DEST/usr/lib/aarch64-linux-gnu/libsqlite3.a && -e $DEST/usr/lib/aarch64-linux-gnu/liblua5.4.a &&
  -e $DEST/usr/lib/aarch64-linux-gnu/libz.a ]]; then
  echo "fetch-debian-arm64.sh: $DEST already holds the arm64 archives"
  exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
DEBS=$(mktemp -d)
trap 'rm -rf "$DEBS"' EXIT
# apt's sandbox user cannot write to a root-owned temporary folder: download unsandboxed.
(cd "$DEBS" && apt-get download -qq -o APT::Sandbox::User=root "${PACKAGES[@]}")
mkdir -p "$DEST"
for deb in "$DEBS"/*.deb; do dpkg -x "$deb" "$DEST"; done
echo "fetch-debian-arm64.sh: unpacked ${PACKAGES[*]} into $DEST"
