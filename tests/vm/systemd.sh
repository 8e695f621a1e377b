#!/bin/bash
# The systemd scenario: a minimal Debian rootfs with systemd (debootstrap from
# Debian's archive) and this build installed; the load, collect and submit
# units run in order under their sandboxing, the collector removes the pstore
# records, the uploader (its own user) delivers the report to kcrash-server
# on the host. The offload folder is a folder of a second disk mounted at
# /home, configured the SteamOS way (KDUMP_FOLDER inside MOUNT_DEVNODE's
# filesystem, not the build's default), and kdump is armed: the crash kernel
# mounts that disk at a scratch point and writes there.
# Usage: systemd.sh BUILD_DIR KVER KDIR INITRD WORK PORT STAGING
set -euo pipefail
BUILD=$1 KVER=$2 KDIR=$3 INITRD=$4 WORK=$5 PORT=$6 ST=$7
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${KCRASH_VM_CACHE:-$BUILD/vm-cache}
BASE=$CACHE/rootfs-bookworm
if [ ! -x "$BASE/sbin/init" ]; then
        command -v debootstrap >/dev/null || { echo "  debootstrap missing"; exit 1; }
        rm -rf "$BASE"
        debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod,libcurl4,libzip4,libjansson4,libssl3,iproute2,procps \
                bookworm "$BASE" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
                { tail -20 "$CACHE/debootstrap.log"; exit 1; }
fi
# The guest's disks: built once per run of the suite (and receiver port),
# then copied for each scenario that boots this guest.
TEMPLATE=$WORK/systemd-disk-$PORT.img
new_disks() {
        rm -f "$WORK/disk.img" "$WORK/home.img"
        cp --sparse=always "$TEMPLATE" "$WORK/disk.img"
        truncate -s 256M "$WORK/home.img"
        mkfs.ext4 -q -F "$WORK/home.img"
}
if [ -f "$TEMPLATE" ]; then
        new_disks
        exit 0
fi
R=$WORK/rootfs
rm -rf "$R"
cp -a "$BASE" "$R"
DESTDIR=$R meson install -C "$BUILD" --no-rebuild --quiet >/dev/null
# Libraries the kcrash programs link that the cached debootstrap lacks: from
# the host, the same Debian release.
find "$R/usr/local" -type f -perm -u+x | while read -r b; do
        ldd "$b" 2>/dev/null | awk '/=>/ {print $3}' | while read -r l; do
                if [ -n "$l" ] && [ ! -e "$R$l" ]; then
                        mkdir -p "$R$(dirname "$l")"
                        cp -L "$l" "$R$l"
                fi
        done || true   # ldd fails on what is not a dynamic executable
done
mkdir -p "$R/lib/modules"
cp -a "$KDIR/lib/modules/$KVER" "$R/lib/modules/"
depmod -b "$R" "$KVER"
cat > "$R/etc/default/kdump" <<CONF
MOUNT_DEVNODE=/dev/vdb
KDUMP_FOLDER=/vendor/kdump
RAMOOPS_MEM_SIZE=1M
RAMOOPS_RECORD_SIZE=128K
PRODUCT=vmtest
SUBMIT_START_URL=http://10.0.2.2:$PORT/ICrashReportService/StartCrashUpload/v1
SUBMIT_FINISH_URL=http://10.0.2.2:$PORT/ICrashReportService/FinishCrashUpload/v1
SUBMIT_ALLOW_INSECURE_HTTP=1
SUBMIT_BACKOFF_BASE=5
CONF
printf '/dev/vda / ext4 defaults 0 1\n/dev/vdb /home ext4 defaults 0 2\n' > "$R/etc/fstab"
# kdump: the kernel, and the capture initramfs `kcrashctl load` loads (the
# test harness's busybox image with this configuration; its /init runs
# kcrash-save in mount mode, see guest-init.sh)
mkdir -p "$R/boot" "$R/var/lib/kcrash"
cp "$KDIR/boot/vmlinuz-$KVER" "$R/boot/"
C=$WORK/capture-systemd
rm -rf "$C"
cp -a "$ST" "$C"
rm -rf "$C/boot" "$C/var/lib/kcrash"
cp "$R/etc/default/kdump" "$C/etc/default/kdump"
touch "$C/etc/kcrash-vm-selfmount"
(cd "$C" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$R/var/lib/kcrash/kcrash-$KVER.img"
rm -rf "$C"
echo kcrash-vm > "$R/etc/hostname"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n[Network]\nDHCP=yes\n' > "$R/etc/systemd/network/50-dhcp.network"
install -m 755 "$SRC/tests/vm/systemd-guest.sh" "$R/usr/local/sbin/kcrash-vmtest"
cat > "$R/etc/systemd/system/kcrash-vmtest.service" <<UNIT
[Unit]
Description=kcrash VM test driver
After=kcrash-submit.service kcrash-collect.service network-online.target
Wants=network-online.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/kcrash-vmtest
[Install]
WantedBy=multi-user.target
UNIT
# Beyond panics (watch, unclean): the test module, a persistent journal, and
# a unit that allocates until the OOM killer fires, restarted each time
# (dd's one 700 MiB buffer, zeroed by the read, in a 768 MiB guest: a few
# seconds per round under TCG, where `tail /dev/zero` took half a minute).
if [ -f "$ST/lib/modules/$KVER/extra/crashme.ko" ]; then
        mkdir -p "$R/lib/modules/$KVER/extra"
        cp "$ST/lib/modules/$KVER/extra/crashme.ko" "$R/lib/modules/$KVER/extra/"
fi
mkdir -p "$R/var/log/journal"
cat > "$R/etc/systemd/system/memhog.service" <<UNIT
[Unit]
Description=allocates forever (kcrash VM test)
StartLimitIntervalSec=0
[Service]
ExecStart=/usr/bin/dd if=/dev/zero of=/dev/null bs=700M count=1
Restart=always
RestartSec=1
UNIT
chroot "$R" systemd-sysusers >/dev/null 2>&1 || true
systemctl --root="$R" enable kcrash-load.service kcrash-collect.service kcrash-submit.service \
        kcrash-watch.service kcrash-collect.path kcrash-shutdown.service \
        kcrash-vmtest.service systemd-networkd.service systemd-networkd-wait-online.service >/dev/null 2>&1
rm -f "$TEMPLATE.tmp"
truncate -s 1536M "$TEMPLATE.tmp"
mkfs.ext4 -q -F -d "$R" "$TEMPLATE.tmp"
mv "$TEMPLATE.tmp" "$TEMPLATE"
rm -rf "$R"
new_disks
