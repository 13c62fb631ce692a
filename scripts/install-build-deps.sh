#!/usr/bin/env bash
# Installs the Debian packages MailFerry's build needs, when missing:
#   zlib1g-dev (gzip mbox files), libssl-dev (libcrypto's SHA-256), libsqlite3-dev (checkpoints),
#   libarchive-dev (compressed archives) with the compressor libraries its static library needs
#   (libzstd-dev liblz4-dev liblzma-dev libbz2-dev nettle-dev, and libxml2-dev for debug builds;
#   see Package.swift), pkg-config.
# Swift itself must already be installed (https://www.swift.org/install/).
set -euo pipefail

packages=(zlib1g-dev libssl-dev libsqlite3-dev libarchive-dev libzstd-dev liblz4-dev liblzma-dev libbz2-dev
    nettle-dev libxml2-dev pkg-config)

command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.1 or later first" >&2; exit 2; }

missing=()
for package in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing build dependencies: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
timeout 600 "${sudo[@]}" apt-get update -qq
timeout 900 "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
