#!/usr/bin/env bash
# Builds Lifeboat's drill guest: a 64 MiB BIOS-bootable raw disk with a real Linux kernel and busybox, so a
# drill can prove that a restored disk boots an OS, brings up its NIC and serves HTTP.
#   MBR (syslinux) -> FAT p1: syslinux, vmlinuz, initrd -> initramfs loads disk/NIC/ext4 modules
#   -> switch_root to ext4 p2 -> busybox init: httpd :80, "DRILL-GUEST-READY ..." on ttyS0 and tty0.
# Everything comes from Debian packages (see scripts/setup.sh and README.md next to this file).
#
#   build.sh OUT_DIR   writes OUT_DIR/disk.raw (sparse) and OUT_DIR/build-info.txt
#   build.sh --key     prints the cache key: a hash of this script and the kernel it would use
# KERNEL=<version> picks a kernel other than the newest one installed.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

die() { echo "drill-guest: $*" >&2; exit 1; }

pick_kernel() {
  local v
  for v in $(ls /lib/modules 2>/dev/null | sort -rV); do
    [ -r "/boot/vmlinuz-$v" ] && [ -f "/lib/modules/$v/modules.dep" ] && { echo "$v"; return; }
  done
  return 1
}
K=${KERNEL:-$(pick_kernel)} || die "no readable kernel with modules (/boot/vmlinuz-* and /lib/modules/*): apt-get install linux-image-amd64"
SELF=$(readlink -f "$0")
KEY=$( { cat "$SELF"; echo "kernel=$K"; } | sha256sum | cut -c1-12)
if [ "${1:-}" = "--key" ]; then echo "$KEY"; exit 0; fi
[ $# -eq 1 ] || die "usage: build.sh OUT_DIR | --key"

BUSYBOX=/bin/busybox
MBR=/usr/lib/syslinux/mbr/mbr.bin
need=()
for c in sfdisk mkfs.vfat mcopy syslinux mkfs.ext4 debugfs cpio modprobe gzip; do command -v "$c" >/dev/null || need+=("$c"); done
[ -x "$BUSYBOX" ] || need+=("$BUSYBOX")
[ -f "$MBR" ] || need+=("$MBR")
[ ${#need[@]} -eq 0 ] || die "missing ${need[*]}: run scripts/setup.sh (Debian: busybox-static syslinux syslinux-common mtools dosfstools fdisk cpio e2fsprogs kmod)"
# The initramfs has no libc: a dynamically linked busybox (Debian's "busybox" package) cannot run there.
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is dynamically linked: apt-get install busybox-static"; fi

OUT=$(mkdir -p "$1" && cd "$1" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

# Fixed times and identifiers so that two builds of the same inputs give the same bytes.
EPOCH=1767225600
export SOURCE_DATE_EPOCH=$EPOCH E2FSPROGS_FAKE_TIME=$EPOCH
ROOT_UUID=6c696665-626f-6174-2d64-72696c6c0001
DRILL_ID="drillguest-$KEY"

# ---- initramfs: just enough to find and mount the root partition
mkdir -p ird/{bin,dev,proc,sys,newroot,lib/modules}
cp "$BUSYBOX" ird/bin/busybox
# Disk controllers of QEMU's pc (IDE) and q35 (AHCI) machines, virtio, the NICs a sandbox gives, ext4.
MODS="ata_piix ahci sd_mod virtio_pci virtio_blk virtio_net e1000 ext4"
for m in $MODS; do modprobe -S "$K" --show-depends "$m"; done | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' > modorder
while read -r f; do cp "$f" ird/lib/modules/; done < modorder
sed 's|.*/||' modorder > ird/lib/modules/order
cat > ird/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m 2>/dev/null; done
# Disks appear asynchronously after the controller driver loads.
R=
for i in $(seq 200); do
  for d in /dev/sda2 /dev/vda2; do [ -b $d ] && R=$d && break 2; done
  usleep 50000
done
[ -n "$R" ] || { echo "drill-guest: no root partition (sda2/vda2)"; exec sh; }
mount -t ext4 -o ro $R /newroot || { echo "drill-guest: cannot mount $R"; exec sh; }
mount --move /dev /newroot/dev; umount /proc /sys
exec switch_root /newroot /sbin/init
EOF

# ---- root file system
mkdir -p root/{bin,sbin,dev,proc,sys,tmp,etc,root,www/cgi-bin}
cp "$BUSYBOX" root/bin/busybox
for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "root/bin/$a"; done
echo drillguest > root/etc/hostname
echo "$DRILL_ID" > root/etc/drill-id
echo 'root::0:0:root:/root:/bin/sh' > root/etc/passwd
echo 'root:x:0:' > root/etc/group
echo '<h1>drill guest OK</h1>' > root/www/index.html
cat > root/www/cgi-bin/status <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "host=$(hostname)"
echo "uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "drill-id=$(cat /etc/drill-id)"
EOF
# Proves from inside the guest whether HOST:PORT is reachable (the sandbox's network must not be).
cat > root/www/cgi-bin/reach <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
Q=$QUERY_STRING
HOST=${Q%%:*} PORT=${Q#*:}
# Digits and dots only, so nothing reaches nc as an option or the shell as syntax.
case "$HOST" in ""|*[!0-9.]*) echo "invalid query"; exit 0 ;; esac
case "$PORT" in ""|*[!0-9]*) echo "invalid query"; exit 0 ;; esac
if timeout 5 nc -w 3 "$HOST" "$PORT" -e /bin/true </dev/null >/dev/null 2>&1; then
  echo "reached $HOST:$PORT"
else
  echo "unreachable $HOST:$PORT"
fi
EOF
cat > root/sbin/init <<'EOF'
#!/bin/sh
export PATH=/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs tmp /tmp
mount -o remount,rw /
hostname "$(cat /etc/hostname)"
# The screen first: whoever sees the line on the serial port then finds it on the screen too.
say() { echo "$*" > /dev/tty0; echo "$*" > /dev/ttyS0; }
ip link set lo up
NIC=$(ls /sys/class/net | grep -vx lo | head -n1)
if [ -n "$NIC" ]; then
  # QEMU user networking's fixed guest address: no DHCP round trip.
  ip addr add 10.0.2.15/24 dev "$NIC"; ip link set "$NIC" up; ip route add default via 10.0.2.2
fi
httpd -p 80 -h /www
for i in $(seq 100); do nc 127.0.0.1 80 -e /bin/true 2>/dev/null && break; usleep 50000; done
# The VGA screen still shows firmware text: clear it, so a screenshot is unmistakably this Linux.
printf '\033[2J\033[H%s\n\n' "Lifeboat drill guest - Linux $(uname -r)" > /dev/tty0
say "DRILL-GUEST-READY host=$(hostname) ip=10.0.2.15 httpd=:80 uptime=$(cut -d' ' -f1 /proc/uptime)s nic=${NIC:-none}"
# A real login prompt on the VGA console, so a screenshot shows a running Linux; a root shell on the serial port.
(while :; do getty 0 tty1 linux; done) &
while :; do setsid cttyhack sh < /dev/ttyS0 > /dev/ttyS0 2>&1 || usleep 500000; done
EOF
chmod 755 ird/init root/sbin/init root/www/cgi-bin/status root/www/cgi-bin/reach
find ird root -exec touch -h -d "@$EPOCH" {} +

(cd ird && find . | sort | cpio -o -H newc --reproducible --quiet -R 0:0 | gzip -9 -n) > initrd.gz

# ---- disk: 64 MiB; p1 FAT16 24 MiB (room for a bigger kernel), p2 ext4 the rest
P1_START=2048 P1_SIZE=49152 P2_START=51200 TOTAL=131072
truncate -s $((TOTAL * 512)) disk.raw
printf 'label: dos\nlabel-id: 0x4c424f54\nstart=%d, size=%d, type=6, bootable\nstart=%d, type=83\n' \
  $P1_START $P1_SIZE $P2_START | sfdisk -q disk.raw
mkfs.vfat --invariant -F 16 -n BOOT -C boot.img $((P1_SIZE / 2)) >/dev/null
# no-scroll: vgacon then never moves the visible screen away from 0xb8000, where drills read the text.
APPEND="console=tty0 console=ttyS0,115200 quiet loglevel=3 panic=5 no-scroll"
printf 'SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  INITRD /initrd.gz\n  APPEND %s\n' "$APPEND" > syslinux.cfg
touch -d "@$EPOCH" initrd.gz syslinux.cfg
cp "/boot/vmlinuz-$K" vmlinuz && touch -d "@$EPOCH" vmlinuz
mcopy -m -i boot.img vmlinuz initrd.gz syslinux.cfg ::/
syslinux --install boot.img
mkfs.ext4 -q -F -L root -U $ROOT_UUID -E hash_seed=$ROOT_UUID,root_owner=0:0 -d root root.img $(((TOTAL - P2_START) / 2))k >/dev/null
# mkfs.ext4 -d copies each file's ctime, which touch cannot set: pin it afterwards.
(cd root && find . | sed "s|^\.||; s|^\$|/|; s|.*|sif \"&\" ctime @$EPOCH|") > ctimes.debugfs
debugfs -w -f ctimes.debugfs root.img >/dev/null 2>&1
dd if=boot.img of=disk.raw bs=512 seek=$P1_START conv=notrunc,sparse status=none
dd if=root.img of=disk.raw bs=512 seek=$P2_START conv=notrunc,sparse status=none
dd if="$MBR" of=disk.raw bs=440 count=1 conv=notrunc status=none

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
{
  echo "key=$KEY"
  echo "drill-id=$DRILL_ID"
  echo "kernel=$K"
  echo "cmdline=$APPEND"
  echo "modules=$(sed 's|.*/||; s|\.ko.*||' modorder | tr '\n' ' ')"
  for p in "linux-image-$K" busybox-static syslinux syslinux-common mtools dosfstools fdisk cpio e2fsprogs kmod; do
    echo "package $p=$(pkgver "$p")"
  done
  echo "disk.raw sha256=$(sha256sum disk.raw | cut -d' ' -f1)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > build-info.txt

# disk.raw appears last and atomically: its presence means a complete build, even with builds racing.
cp build-info.txt "$OUT/build-info.txt"
cp --sparse=always disk.raw "$OUT/.disk.raw.$$"
mv -f "$OUT/.disk.raw.$$" "$OUT/disk.raw"
echo "drill-guest: $OUT/disk.raw (kernel $K, key $KEY)"
