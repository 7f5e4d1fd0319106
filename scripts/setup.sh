#!/usr/bin/env bash
# One place for everything Lifeboat's build and tests need on a fresh Debian machine.
# Idempotent: installs only what is missing. Called by `npm start`, `npm test` and .ci/run.
#   scripts/setup.sh            system packages for tests + npm dependencies
#   scripts/setup.sh --npm-only npm dependencies only (what `npm start` needs)
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=1
[ "${1:-}" = "--npm-only" ] && want_system=0

# command-to-package map: a package is installed when its command is missing.
declare -A PKG=(
  [chromium]=chromium
  [qemu-img]=qemu-utils
  [qemu-system-x86_64]=qemu-system-x86
  [go]=golang-go
  [restic]=restic
  [borg]=borgbackup
  [soffice]=libreoffice-calc
  [pdftoppm]=poppler-utils
)
GOVMOMI_DIR=/usr/share/gocode/src/github.com/vmware/govmomi

if [ "$want_system" = 1 ]; then
  missing=()
  for cmd in "${!PKG[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}")
  done
  [ -d "$GOVMOMI_DIR" ] || missing+=(golang-github-vmware-govmomi-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
