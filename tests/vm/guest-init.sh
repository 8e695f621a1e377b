#!/bin/busybox sh
# /init of the VM test guest: a Debian kernel, busybox, and this build's kcrash
# programs. The scenario comes from the kernel command line (kcrashvm.mode=).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# test-hook switches of this (-Dtest_hooks) build: the service programs are in
# /usr/libexec/kcrash, and the uploader may run as root in this one-user guest
export KCRASH_LIBEXEC_DIR=/usr/libexec/kcrash KCRASHD_ALLOW_ROOT=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /sys/fs/pstore /var/kdump /tmp /run
mount -t tmpfs tmp /tmp
up() { cut -d' ' -f1 /proc/uptime; }
mark() { echo "KCRASHVM[$(up)] $*"; }
arg() { for w in $(cat /proc/cmdline); do case $w in "$1"=*) echo "${w#*=}"; return;; esac; done; }
MODE=$(arg kcrashvm.mode)
mark "init mode=$MODE kernel=$(uname -r)"
# The sentry scenario (issue 14): send to kcrash-server and to a Sentry
# receiver on the host too.
if [ -n "$(arg kcrashvm.sentry)" ]; then
        printf 'SUBMIT_TARGET="kcrash sentry"\nSENTRY_DSN=%s\nSENTRY_ENVELOPE_URL=%s\n' \
                "$(arg kcrashvm.sentry)" "$(arg kcrashvm.sentry_url)" >> /etc/default/kdump
fi

for m in virtio_pci virtio_blk ext4 crc32c_generic virtio_net; do modprobe $m 2>/dev/null || mark "modprobe $m failed"; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
if [ -e /proc/vmcore ] && [ -e /etc/kcrash-vm-selfmount ]; then
        # the systemd scenario's crash kernel: kcrash-save mounts MOUNT_DEVNODE
        # (the /home partition) at its scratch point and writes the offload
        # folder's path inside it, from kcrash.folder= on this command line
        i=0; while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        mark "crash kernel: kcrash-save mounts the offload partition ($(arg kcrash.folder))"
        /usr/libexec/kcrash/kcrash-save --no-reboot --timeout 120
        mark "kcrash-save exit $?"
        sync
        reboot -f
fi
if [ "$MODE" = systemd ] || [ "$MODE" = watch ] || [ "$MODE" = unclean ] || [ "$MODE" = watchdog ]; then
        # a Debian rootfs with systemd on /dev/vda: hand over to it
        mkdir -p /newroot
        mount -t ext4 /dev/vda /newroot || mark "cannot mount the root file system"
        mark "switching to systemd"
        umount /sys /proc 2>/dev/null
        mount --move /dev /newroot/dev 2>/dev/null || umount /dev
        exec switch_root /newroot /sbin/init
fi
mount -t ext4 /dev/vda /var/kdump || mark "cannot mount the offload disk"
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
sysctl -w kernel.panic_on_oops=1 >/dev/null 2>&1 || echo 1 > /proc/sys/kernel/panic_on_oops

if [ -e /proc/vmcore ]; then
        mark "crash kernel: running kcrash-save"
        /usr/libexec/kcrash/kcrash-save --no-mount --no-reboot --timeout 120
        mark "kcrash-save exit $?"
        umount /var/kdump; sync
        reboot -f
fi

[ "$MODE" = kexec-classic ] && export KCRASH_TEST_REFUSE_KEXEC_FILE=1
kcrashctl load 2>&1 | sed 's/^/  /'
mark "kdump method: $(sed -n 's/.*"method": "\([^"]*\)".*/\1/p' /var/kdump/.kcrash/armed.json)"
mark "armed: $(kcrashctl status --json | tr -d '\n ' | head -c 300)"

if [ "$MODE" = powercut ]; then
        # Power cuts (run.sh powercut_run): the host kills QEMU at a random
        # moment between "PC window start" and "PC window end". Guest RAM is a
        # shared file on the host, so ramoops survives like a warm reset; the
        # disk has no host cache, so what the guest did not flush is lost.
        # Every boot says which test crashes are where: still in pstore, or in
        # a queued ZIP (one line per ZIP; "unreadable" if unzip refuses it).
        ids() { grep -ho "kcrash: test crash [0-9a-zA-Z-]*" "$@" 2>/dev/null | sed 's/.* //' | sort -u | tr '\n' ' '; }
        mark "PC pstore: $(ids /sys/fs/pstore/dmesg-*)"
        for z in /var/kdump/not_sent_logs/*.zip; do
                [ -e "$z" ] || continue
                if unzip -l "$z" >/dev/null 2>&1; then
                        mark "PC queued ${z##*/}: $(unzip -p "$z" 'dmesg-*' 2>/dev/null | ids -)"
                else
                        mark "PC queued ${z##*/}: unreadable"
                fi
        done
        mark "PC window start"
        kcrashd collect >/dev/null 2>&1
        mark "PC collected $?"
        kcrashctl submit --now >/dev/null 2>&1
        mark "PC submitted $?"
        mark "PC window end"
        if [ "$(arg kcrashvm.final)" = 1 ]; then
                mark "PC final pstore: $(ids /sys/fs/pstore/dmesg-*)queue: $(ls /var/kdump/not_sent_logs | grep -c '\.zip$')"
                mark "DONE"
                umount /var/kdump; sync
                poweroff -f
        fi
        kcrashctl test-crash --yes 2>&1 | sed 's/^/  /'
        mark "still alive after test-crash"
        poweroff -f
fi

if [ -f /var/kdump/.kcrash/test-crash ] || [ -f /var/kdump/.vmtest-crashed ]; then
        mark "second boot: collecting"
        ls -l /sys/fs/pstore | sed 's/^/  /'
        # the collector's own exit status, not sed's
        kcrashd collect > /tmp/collect.out 2>&1
        rc=$?
        sed 's/^/  /' /tmp/collect.out
        mark "collect exit $rc"
        kcrashctl submit --now 2>&1 | sed 's/^/  /'
        mark "first submit done"
        if [ "$MODE" = faults ]; then
                # the receiver was down; the host brings it up after the
                # marker above: retry until it takes the report
                i=0
                until kcrashctl submit --now >/dev/null 2>&1 || [ $i -ge 90 ]; do sleep 1; i=$((i+1)); done
                mark "retried $i time(s)"
        fi
        mark "submit done"
        kcrashctl status | sed 's/^/  STATUS /'
        kcrashctl list --json | tr -d '\n' | sed 's/^/  LIST /'; echo
        mark "DONE"
        umount /var/kdump; sync
        poweroff -f
fi

case "$MODE" in
clean)
        if [ -f /var/kdump/.vmtest-rebooted ]; then
                kcrashd collect 2>&1 | sed 's/^/  /'
                mark "clean reboot collected: $(ls /var/kdump/not_sent_logs 2>/dev/null | wc -l) report(s)"
                mark "DONE"
                umount /var/kdump; sync
                poweroff -f
        fi
        touch /var/kdump/.vmtest-rebooted
        mark "clean reboot"
        umount /var/kdump; sync
        reboot -f
        ;;
module-*)
        insmod "/lib/modules/$(uname -r)/extra/crashme.ko" || mark "insmod crashme failed"
        echo 1 > /proc/sys/kernel/panic_on_warn
        echo 1 > /proc/sys/kernel/softlockup_panic
        echo 2 > /proc/sys/kernel/watchdog_thresh
        if [ "$MODE" = module-hung ]; then
                echo 1 > /proc/sys/kernel/hung_task_panic
                echo 10 > /proc/sys/kernel/hung_task_timeout_secs
        fi
        touch /var/kdump/.vmtest-crashed
        sync
        mark "crashing with crashme ${MODE#module-}"
        echo "${MODE#module-}" > /proc/crashme
        sleep 30
        ;;
esac
mark "test crash"
sync
kcrashctl test-crash --yes 2>&1 | sed 's/^/  /'
mark "still alive after test-crash"
poweroff -f
