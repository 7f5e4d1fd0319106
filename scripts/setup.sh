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
  # the drill guest (scripts/drill-guest/build.sh)
  [sfdisk]=fdisk
  [mkfs.vfat]=dosfstools
  [mcopy]=mtools
  [syslinux]=syslinux
  [cpio]=cpio
  [mkfs.ext4]=e2fsprogs
  [modprobe]=kmod
)
GOVMOMI_DIR=/usr/share/gocode/src/github.com/vmware/govmomi

if [ "$want_system" = 1 ]; then
  missing=()
  for cmd in "${!PKG[@]}"; do
    # sbin tools are not on a normal user's PATH, yet installed.
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || missing+=("${PKG[$cmd]}")
  done
  [ -d "$GOVMOMI_DIR" ] || missing+=(golang-github-vmware-govmomi-dev)
  [ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing+=(syslinux-common)
  # The guest's initramfs has no libc: Debian's "busybox" is dynamically linked, "busybox-static" is not.
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
  # The guest boots this machine's Debian kernel; containers often have none.
  if ! compgen -G '/boot/vmlinuz-*' >/dev/null || ! compgen -G '/lib/modules/*/modules.dep' >/dev/null; then
    missing+=(linux-image-amd64)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # INITRD=No: the kernel is only a file for the guest, its own initramfs would take a minute for nothing.
    $SUDO env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  # The drill guest, cached per build script and kernel (test/helpers/drill-guest.ts builds it too if absent).
  guest_key=$(bash scripts/drill-guest/build.sh --key)
  if [ ! -f ".cache/drill-guest/$guest_key/disk.raw" ]; then
    echo "setup: building the drill guest into .cache/drill-guest/$guest_key"
    bash scripts/drill-guest/build.sh ".cache/drill-guest/$guest_key" >/dev/null
    # Guests of older build scripts or kernels are never used again.
    find .cache/drill-guest -mindepth 1 -maxdepth 1 ! -name "$guest_key" -exec rm -rf {} +
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
