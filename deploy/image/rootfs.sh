#!/usr/bin/env bash
# Builds the image's base: a JRE root file system from Debian bookworm packages (no container
# registry needed), as a tarball. Cached by the hash of this script: the same script gives the
# cached tarball back, a changed script builds a new one. The tarball is not bit-for-bit
# reproducible (it takes the current bookworm packages); delete the cache to refresh them.
#   usage: deploy/image/rootfs.sh CACHE_DIR   -> prints the tarball's path
set -euo pipefail
cache=${1:?usage: rootfs.sh CACHE_DIR}
mkdir -p "$cache"
key=$(sha256sum "$0" | cut -c1-16)
out="$cache/rootfs-$key.tar"
if [[ -s $out ]]; then echo "$out"; exit 0; fi
# mmdebstrap picks its output format from the name: keep the .tar ending.
tmp="$cache/.rootfs-$key.$$.tar"
trap 'rm -f "$tmp"' EXIT
# Docs, man pages and locales are left out (about 344 MB instead of 400+). openjdk's postinst
# registers java.1.gz with update-alternatives, which fails if the man1 folder is missing, hence
# the setup hook. The connector's user (uid 10001) and /app/data are created here so that no
# container has to run during the build.
mmdebstrap --quiet --variant=apt --architectures=amd64 \
  --include=openjdk-17-jre-headless,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='chroot "$1" useradd --system --uid 10001 --gid 0 --home-dir /app --no-create-home connector' \
  --customize-hook='mkdir -p "$1/app/data" "$1/app/routes" "$1/app/kamelets" && chown 10001:0 "$1/app/data" && chmod 0775 "$1/app/data"' \
  --customize-hook='rm -rf "$1/var/cache/apt/"* "$1/var/lib/apt/lists/"*' \
  bookworm "$tmp" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main" >&2
mv "$tmp" "$out"
trap - EXIT
echo "$out"
