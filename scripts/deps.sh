#!/usr/bin/env bash
# scripts/deps.sh -- install every Debian package (and npm peer) winnow needs.
#
#   scripts/deps.sh            install what is missing (quick no-op when all present)
#   scripts/deps.sh --check    exit 1 if something is missing, install nothing
#
# Works as root; uses sudo otherwise. Non-interactive.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# Build libraries (the contracts of docs/DESIGN.md "Dependencies").
BUILD_PKGS=(build-essential pkg-config clang libjansson-dev
  libxml2-dev libzstd-dev libpcre2-dev libarchive-dev zlib1g-dev libbz2-dev liblzma-dev
  libyaml-dev libcurl4-openssl-dev libssl-dev libbrotli-dev libxxhash-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-eng)
# Test oracles and peers: jansson is the JSON oracle of the record scanner's
# unit tests; jq, numpy, hyperfine and the others are peers in tests/benchmarks.
TEST_PKGS=(jq python3-numpy hyperfine poppler-utils xxhash
  slurm-wlm munge chromium)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

npm_missing=0
[ -f "$here/tests/peers/package.json" ] && [ ! -d "$here/tests/peers/node_modules" ] && npm_missing=1

if [ "${1:-}" = "--check" ]; then
  [ ${#missing[@]} -eq 0 ] && [ $npm_missing = 0 ] && exit 0
  echo "deps: missing: ${missing[*]} $([ $npm_missing = 1 ] && echo 'npm peers')" >&2
  exit 1
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Keep package postinst scripts from starting daemons (slurm, munge): the
  # Slurm test starts its own by hand. policy-rc.d is removed afterwards.
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d; added_policy=1
  fi
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $added_policy = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi
if [ $npm_missing = 1 ]; then
  echo "deps: installing npm peers in tests/peers" >&2
  (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
exit 0
