#!/bin/bash
# The VM suite: crash a real Debian kernel in QEMU (TCG) and check what
# reaches kcrash-server on the host. Usage: run.sh BUILD_DIR [SCENARIO...]
# Needs root for nothing; downloads the kernel package on first use into
# $KCRASH_VM_CACHE (default BUILD_DIR/vm-cache).
set -euo pipefail
BUILD=$(cd "$1" && pwd); shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${KCRASH_VM_CACHE:-$BUILD/vm-cache}
SCENARIOS=${*:-ramoops-sysrq module-null module-bug module-warn module-softlockup kdump kdump-classic kdump-dracut kdump-pstore faults clean systemd watch unclean}
mkdir -p "$CACHE"
log() { printf '[vm %6.1fs] %s\n' "$(( $(date +%s%N) / 1000000 - T0 ))e-3" "$*"; }
T0=$(( $(date +%s%N) / 1000000 ))

if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
        echo "########################################################"
        echo "# VM tests SKIPPED: qemu-system-x86_64 or a static busybox missing"
        echo "########################################################"
        exit 77
fi

# 1. The kernel linux-image-amd64 depends on today, resolved at run time.
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { echo "cannot resolve linux-image-amd64's kernel"; exit 1; }
KVER=${KPKG#linux-image-}
KDIR=$CACHE/$KVER
if [ ! -f "$KDIR/boot/vmlinuz-$KVER" ]; then
        log "downloading $KPKG"
        (cd "$CACHE" && apt-get download "$KPKG" >/dev/null && mv "${KPKG}"_*.deb "$KPKG.deb")
        mkdir -p "$KDIR"
        dpkg-deb --fsys-tarfile "$CACHE/$KPKG.deb" | tar -x -C "$KDIR" --wildcards './boot/vmlinuz-*' \
                './lib/modules/*/modules.*' './lib/modules/*/kernel/fs/pstore/*' './lib/modules/*/kernel/lib/reed_solomon/*' \
                './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
                './lib/modules/*/kernel/fs/ext4/*' './lib/modules/*/kernel/fs/jbd2/*' './lib/modules/*/kernel/fs/mbcache.ko' \
                './lib/modules/*/kernel/lib/crc16.ko' './lib/modules/*/kernel/crypto/crc32c_generic.ko' \
                './lib/modules/*/kernel/drivers/net/virtio_net.ko' './lib/modules/*/kernel/drivers/net/net_failover.ko' \
                './lib/modules/*/kernel/net/core/failover.ko'
        rm -f "$CACHE/$KPKG.deb"
fi
log "kernel $KVER"

# 2. The guest initramfs: busybox, the modules with a modules.dep, this
#    build's kcrash programs with the libraries they link.
ST=$(mktemp -d)
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
        [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
        rm -rf "$ST" "$WORK"
}
trap cleanup EXIT
mkdir -p "$ST"/{bin,sbin,usr/bin,usr/sbin,usr/libexec/kcrash,etc/default,lib/modules,proc,sys,dev,tmp}
cp /bin/busybox "$ST/bin/busybox"   # busybox-static: no libraries
copy_bin() { # binary dest
        cp "$1" "$ST$2"
        ldd "$1" | awk '/=>/ {print $3} /^[ \t]*\/lib64\// {print $1}' | while read -r l; do
                [ -n "$l" ] || continue
                mkdir -p "$ST$(dirname "$l")"
                cp -L "$l" "$ST$l"
        done
}
copy_bin "$BUILD/src/kcrashctl/kcrashctl" /usr/bin/kcrashctl
copy_bin "$BUILD/src/kcrashd/kcrashd" /usr/sbin/kcrashd
copy_bin "$BUILD/src/kcrash-save/kcrash-save" /usr/libexec/kcrash/kcrash-save
copy_bin "$BUILD/src/kcrashd/kcrash-collect" /usr/libexec/kcrash/kcrash-collect
copy_bin "$BUILD/src/kcrashd/kcrash-submit" /usr/libexec/kcrash/kcrash-submit
copy_bin "$BUILD/src/kcrashd/kcrash-watch" /usr/libexec/kcrash/kcrash-watch
cp -a "$KDIR/lib/modules/$KVER" "$ST/lib/modules/"
depmod -b "$ST" "$KVER"
# The test module, built against the guest kernel's headers when they are
# installed (scripts/check installs them); the module scenarios need it.
HDR=/usr/src/linux-headers-$KVER
if [ ! -d "$HDR" ] && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "linux-headers-$KVER" >/dev/null 2>&1 || true
fi
if [ -d "$HDR" ]; then
        cp "$SRC/tests/vm/crashme/crashme.c" "$SRC/tests/vm/crashme/Kbuild" "$WORK/"
        make -s -C "$HDR" M="$WORK" modules >/dev/null 2>&1 && cp "$WORK/crashme.ko" "$ST/lib/modules/" ||
                log "crashme.ko did not build: module scenarios will fail"
else
        log "no $HDR: module scenarios will fail"
fi
cp "$SRC/tests/vm/guest-init.sh" "$ST/init"
chmod +x "$ST/init"
ln -s /proc/self/mounts "$ST/etc/mtab"
printf 'ID=kcrashvm\nNAME="kcrash VM guest"\nPRETTY_NAME="kcrash VM guest (busybox)"\nBUILD_ID=vmtest-1\n' > "$ST/etc/os-release"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$ST/etc/default/kdump" <<CONF
MOUNT_DEVNODE=/dev/vda
KDUMP_FOLDER=/var/kdump
PSTORE_DIR=/sys/fs/pstore
PRODUCT=vmtest
RAMOOPS_MEM_SIZE=1M
RAMOOPS_RECORD_SIZE=128K
JOURNAL_TAIL_LINES=0
SUBMIT_START_URL=http://10.0.2.2:$PORT/ICrashReportService/StartCrashUpload/v1
SUBMIT_FINISH_URL=http://10.0.2.2:$PORT/ICrashReportService/FinishCrashUpload/v1
SUBMIT_ALLOW_INSECURE_HTTP=1
CONF
copy_bin "$(command -v makedumpfile)" /usr/bin/makedumpfile
copy_bin "$(command -v kexec)" /usr/sbin/kexec
# The capture initramfs (what `kcrashctl load` kexecs) is this same image; the
# first kernel's image carries it and the kernel as a payload.
(cd "$ST" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/capture.img"
mkdir -p "$ST/boot" "$ST/var/lib/kcrash"
cp "$KDIR/boot/vmlinuz-$KVER" "$ST/boot/"
cp "$WORK/capture.img" "$ST/var/lib/kcrash/kcrash-$KVER.img"
(cd "$ST" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initrd.img"
log "initramfs $(du -h "$WORK/initrd.img" | cut -f1) (capture initramfs $(du -h "$WORK/capture.img" | cut -f1))"

# 3. The receiver on the host.
start_server() {
        "$BUILD/src/kcrash-server/kcrash-server" --listen "127.0.0.1:$PORT" --data "$WORK/store" --rate 0 \
                --public-url "http://10.0.2.2:$PORT" >>"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 100); do
                (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
                sleep 0.1
        done
}
start_server

run_vm() { # log-file timeout append...
        local out=$1 tmo=$2; shift 2
        timeout --foreground -k 5 "$tmo" qemu-system-x86_64 -pidfile "$WORK/qemu.pid" \
                -accel tcg -cpu qemu64 -smp 1 -m "${VM_MEM:-1024}" \
                -nodefaults -no-user-config -display none -serial stdio \
                -kernel "$KDIR/boot/vmlinuz-$KVER" -initrd "${INITRD_IMG:-$WORK/initrd.img}" -append "$*" \
                -drive "file=$WORK/disk.img,format=raw,if=virtio" \
                ${EXTRA_DRIVE:+-drive "file=$EXTRA_DRIVE,format=raw,if=virtio"} \
                -netdev user,id=n0 -device virtio-net-pci,netdev=n0 </dev/null >"$out" 2>&1 || true
        tr -d '\r' < "$out" > "$out.clean" && mv "$out.clean" "$out"
}

# scripts/demo: tell the story of one crash, then show the report the way
# support staff see it on the receiver.
demo_show() { # scenario gid
        local b=$'\e[1m' n=$'\e[0m'
        echo
        echo "${b}What happened in the guest (serial console markers):${n}"
        sed -n 's/^.*KCRASHVM\[\([0-9.]*\)\] \(.*\)$/\1 \2/p' "$WORK/$1.log" | while read -r t msg; do
                case $msg in
                init*) echo "  boot          (guest uptime ${t}s): $msg" ;;
                armed*) echo "  ARMED         kcrashctl load armed ramoops from /proc/iomem" ;;
                "test crash") echo "  TEST CRASH    kcrashctl test-crash --yes: sysrq-c, the kernel panics, the machine resets" ;;
                "second boot"*) echo "  REBOOTED      the next boot finds the pstore record" ;;
                "collect exit 0") echo "  COLLECTED     kcrashd collect made one report ZIP and removed the record" ;;
                "submit done") echo "  UPLOADED      kcrashctl submit: Start, PUT, Finish to kcrash-server on the host" ;;
                DONE) echo "  DONE" ;;
                esac
        done
        grep "STATUS Test crash" "$WORK/$1.log" | sed 's/^ *STATUS /  guest says:   /'
        echo
        echo "${b}On the receiver (support staff): kcrash-server --data STORE list${n}"
        "$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" list | sed 's/^/  /'
        echo
        echo "${b}kcrash-server --data STORE show $2${n}"
        "$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" show "$2" | sed 's/^/  /'
        echo
        echo "${b}The crash summary inside the report${n}"
        unzip -p "$WORK/r.zip" 'crash_summary.*' | sed -n '1,24p' | sed 's/^/  /'
        echo
        echo "  Download over HTTP: GET /api/reports/$2/zip with Authorization: Bearer <token>"
}

failed=0
for sc in $SCENARIOS; do
        t0=$(date +%s)
        rm -f "$WORK/disk.img"
        truncate -s 256M "$WORK/disk.img"
        mkfs.ext4 -q -F "$WORK/disk.img"
        before=$("$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
        case $sc in
        ramoops-sysrq)
                # memmap=1M!ADDR: a legacy persistent-memory range in /proc/iomem,
                # where `kcrashctl load` finds room for ramoops like on a device.
                run_vm "$WORK/$sc.log" 120 "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=sysrq"
                ;;
        faults)
                # the receiver is down when the guest first submits
                kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
                run_vm "$WORK/$sc.log" 180 "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=faults" &
                vm=$!
                until grep -q "first submit done" "$WORK/$sc.log" 2>/dev/null || ! kill -0 $vm 2>/dev/null; do sleep 0.5; done
                grep -q "will retry" "$WORK/$sc.log" || { echo "  the first submit did not fail as it should"; }
                start_server
                wait $vm
                grep -q "will retry" "$WORK/$sc.log" || { echo "  no failed first attempt"; ok_override=0; }
                ;;
        clean)
                run_vm "$WORK/$sc.log" 120 "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=clean"
                ;;
        module-*)
                run_vm "$WORK/$sc.log" 180 "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=$sc"
                ;;
        systemd)
                "$SRC/tests/vm/systemd.sh" "$BUILD" "$KVER" "$KDIR" "$WORK/initrd.img" "$WORK" "$PORT" "$ST" ||
                        { echo "  cannot build the systemd guest"; failed=1; continue; }
                # kdump and pstore armed; the offload folder is a folder of a
                # second disk mounted at /home (SteamOS-style configuration)
                VM_MEM=1536 EXTRA_DRIVE="$WORK/home.img" run_vm "$WORK/$sc.log" 360 \
                        "console=ttyS0 panic=1 crashkernel=256M memmap=1M!0x30000000 kcrashvm.mode=systemd systemd.show_status=0"
                grep -q "KCRASHVM.*pstore left: 0" "$WORK/$sc.log" || { echo "  pstore records were not removed"; ok_override=0; }
                grep -q "KCRASHVM.*crash kernel: kcrash-save mounts the offload partition (/vendor/kdump)" "$WORK/$sc.log" ||
                        { echo "  the crash kernel did not get the folder inside the partition"; ok_override=0; }
                grep -q "KCRASHVM.*folder /home/vendor/kdump recorded /home/vendor/kdump" "$WORK/$sc.log" ||
                        { echo "  the folder was not /home/vendor/kdump everywhere"; ok_override=0; }
                grep -q "KCRASHVM.*capture collected: crash/ empty" "$WORK/$sc.log" ||
                        { echo "  the kdump capture was not collected from the partition"; ok_override=0; }
                grep -q "order kcrash-submit .* user=kcrash" "$WORK/$sc.log" || { echo "  the uploader did not run as kcrash"; ok_override=0; }
                python3 - "$WORK/$sc.log" <<'PY' || ok_override=0
import re, sys
t = {m[0]: int(m[1]) for m in re.findall(r"order (kcrash-\w+) (\d+) result=success", open(sys.argv[1]).read())}
if not (len(t) == 3 and t["kcrash-load"] <= t["kcrash-collect"] <= t["kcrash-submit"]):
    print("  the units did not run in order (load, collect, submit) or failed:", t)
    sys.exit(1)
PY
                ;;
        watch)
                # beyond panics: a WARN 1,000 times without panic_on_warn and a
                # fake WARNING from user space: one report, the guest runs on
                "$SRC/tests/vm/systemd.sh" "$BUILD" "$KVER" "$KDIR" "$WORK/initrd.img" "$WORK" "$PORT" "$ST" ||
                        { echo "  cannot build the systemd guest"; failed=1; continue; }
                VM_MEM=1536 EXTRA_DRIVE="$WORK/home.img" run_vm "$WORK/$sc.log" 360 \
                        "console=ttyS0 loglevel=3 panic=1 memmap=1M!0x30000000 kcrashvm.mode=watch systemd.show_status=0"
                grep -q "KCRASHVM.*warned 1000 times" "$WORK/$sc.log" || { echo "  the module did not warn"; ok_override=0; }
                grep -qE "KCRASHVM.*still running: (running|starting|degraded)" "$WORK/$sc.log" || { echo "  the guest is not running normally"; ok_override=0; }
                ;;
        unclean)
                # reboots nobody explained: a clean reboot (nothing), then a
                # unit crash-looping into the OOM killer and a power cut (QEMU
                # killed), then the report at the next boot
                "$SRC/tests/vm/systemd.sh" "$BUILD" "$KVER" "$KDIR" "$WORK/initrd.img" "$WORK" "$PORT" "$ST" ||
                        { echo "  cannot build the systemd guest"; failed=1; continue; }
                rm -f "$WORK/qemu.pid"
                VM_MEM=768 EXTRA_DRIVE="$WORK/home.img" run_vm "$WORK/$sc-1.log" 500 \
                        "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=unclean systemd.show_status=0" &
                vm=$!
                until grep -q "POWER CUT NOW" "$WORK/$sc-1.log" 2>/dev/null || ! kill -0 $vm 2>/dev/null; do sleep 1; done
                [ -f "$WORK/qemu.pid" ] && kill -KILL "$(cat "$WORK/qemu.pid")" 2>/dev/null || true
                wait $vm || true
                VM_MEM=768 EXTRA_DRIVE="$WORK/home.img" run_vm "$WORK/$sc-2.log" 300 \
                        "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=unclean systemd.show_status=0"
                cat "$WORK/$sc-1.log" "$WORK/$sc-2.log" > "$WORK/$sc.log"
                grep -q "KCRASHVM.*boot 2: collected after a clean reboot: 0 report" "$WORK/$sc.log" ||
                        { echo "  a clean reboot made a report"; ok_override=0; }
                grep -q "KCRASHVM.*POWER CUT NOW" "$WORK/$sc.log" || { echo "  boot 2 did not reach the power cut"; ok_override=0; }
                ;;
        kdump)
                # crash memory reserved; no pstore: the crash kernel's kcrash-save writes crash/<stamp>/
                VM_MEM=${KCRASH_VM_MEM:-1536} run_vm "$WORK/$sc.log" 180 \
                        "console=ttyS0 panic=1 crashkernel=${KCRASH_VM_CRASHKERNEL:-256M} kcrashvm.mode=sysrq"
                # crash -> done: the crash kernel's uptime when kcrash-save finished
                sed -n 's/.*KCRASHVM\[\([0-9.]*\)\] kcrash-save exit.*/  crash kernel uptime at done: \1 s/p' "$WORK/$sc.log"
                ;;
        kdump-classic)
                # kexec_file_load refused: kcrashctl load falls back to kexec -c -p
                VM_MEM=1536 run_vm "$WORK/$sc.log" 180 "console=ttyS0 panic=1 crashkernel=256M kcrashvm.mode=kexec-classic"
                grep -q "kdump method: kexec -c -p" "$WORK/$sc.log" || { echo "  the fallback was not used"; ok_override=0; }
                ;;
        kdump-dracut)
                # the capture initramfs built by `kcrashctl initrd` with dracut and
                # the 99kcrash module (Debian's dracut-core), instead of busybox
                if ! command -v dracut >/dev/null; then
                        echo "  dracut missing (apt-get install dracut-core)"; failed=1; continue
                fi
                DR=$WORK/dracut-root
                rm -rf "$DR"
                mkdir -p "$DR/etc/default" "$DR/proc/sys/kernel" "$DR/lib/modules" "$WORK/dracutbase"
                cp -a /usr/lib/dracut "$WORK/dracutbase/"
                mkdir -p "$WORK/dracutbase/dracut/modules.d/99kcrash"
                cp "$SRC/dracut-module/99kcrash/module-setup.sh" "$SRC/dracut-module/99kcrash/kcrash-root.sh" "$SRC/initramfs/kcrash-capture.sh" \
                        "$WORK/dracutbase/dracut/modules.d/99kcrash/"
                printf 'MOUNT_DEVNODE=/dev/vda\nKDUMP_FOLDER=/var/kdump\n' > "$DR/etc/default/kdump"
                echo "$KVER" > "$DR/proc/sys/kernel/osrelease"
                cp -a "$KDIR/lib/modules/$KVER" "$DR/lib/modules/"
                depmod -b "$DR" "$KVER"
                KCRASH_SAVE="$BUILD/src/kcrash-save/kcrash-save" dracutbasedir="$WORK/dracutbase/dracut" \
                        "$BUILD/src/kcrashctl/kcrashctl" --root "$DR" initrd >/dev/null ||
                        { echo "  kcrashctl initrd failed"; failed=1; continue; }
                echo "  dracut capture initramfs: $(du -h "$DR/var/lib/kcrash/kcrash-$KVER.img" | cut -f1)"
                cp "$DR/var/lib/kcrash/kcrash-$KVER.img" "$ST/var/lib/kcrash/kcrash-$KVER.img"
                (cd "$ST" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initrd-dracut.img"
                INITRD_IMG=$WORK/initrd-dracut.img VM_MEM=2048 run_vm "$WORK/$sc.log" 240 \
                        "console=ttyS0 panic=1 crashkernel=256M kcrashvm.mode=sysrq"
                ;;
        kdump-pstore)
                # both armed: one crash captured twice must make one report
                VM_MEM=1536 run_vm "$WORK/$sc.log" 180 \
                        "console=ttyS0 panic=1 crashkernel=256M memmap=1M!0x30000000 kcrashvm.mode=sysrq"
                ;;
        *)
                echo "unknown scenario $sc"; failed=1; continue ;;
        esac
        secs=$(( $(date +%s) - t0 ))
        sed -n 's/^.*\(KCRASHVM\[.*\)$/  \1/p' "$WORK/$sc.log"
        ok=${ok_override:-1}
        unset ok_override
        grep -q "KCRASHVM.*DONE" "$WORK/$sc.log" || { echo "  guest did not finish"; ok=0; }
        if [ "$sc" = clean ]; then
                grep -q "clean reboot collected: 0 report" "$WORK/$sc.log" || { echo "  a clean reboot made a report"; ok=0; }
                n=$("$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
                [ "$n" = "$before" ] || { echo "  the receiver got a report"; ok=0; }
                if [ $ok = 1 ]; then log "PASS $sc (${secs}s)"; else log "FAIL $sc (${secs}s)"; tail -n 60 "$WORK/$sc.log"; failed=1; fi
                continue
        fi
        case $sc in
        module-*|watch|unclean) ;;  # no test-crash id: the module crashed the kernel itself, or no crash
        *) grep -q "STATUS Test crash:.*PASSED" "$WORK/$sc.log" || { echo "  status does not say the test crash passed"; ok=0; } ;;
        esac
        list=$("$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" list --json)
        after=$(echo "$list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
        [ $((after - before)) -eq 1 ] || { echo "  receiver holds $((after - before)) new reports, not 1"; ok=0; }
        gid=$(echo "$list" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["gid"])' 2>/dev/null || true)
        if [ -n "$gid" ]; then
                "$BUILD/src/kcrash-server/kcrash-server" --data "$WORK/store" fetch "$gid" "$WORK/r.zip" >/dev/null
                got=$(echo "$list" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["title"])')
                members=$(unzip -Z1 "$WORK/r.zip")
                member=$(grep -E '^dmesg-(pstore|kdump|kmsg|journal)\.' <<<"$members" | head -1)
                echo "  report members: $(tr '\n' ' ' <<<"$members")"
                case $sc in
                kdump*|kexec*|systemd) grep -q '^dmesg-kdump\.' <<<"$members" || { echo "  no kdump dmesg in the report"; ok=0; } ;;
                esac
                case $sc in
                kdump-pstore) grep -q '^dmesg-pstore\.' <<<"$members" || { echo "  no pstore dmesg in the report"; ok=0; } ;;
                esac
                want=$(unzip -p "$WORK/r.zip" "$member" | "$BUILD/src/kcrashctl/kcrashctl" analyze --json |
                       python3 -c 'import json,sys; print(json.load(sys.stdin)["title"])')
                echo "  receiver title: $got"
                # type, culprit function and module of the module crashes
                expect=""
                case $sc in
                module-null) expect="NULL-POINTER-DEREFERENCE kcrash_test_null crashme" ;;
                module-bug) expect="BUG kcrash_test_bug crashme" ;;
                module-warn) expect="WARNING kcrash_test_warn crashme" ;;
                module-softlockup) expect="HANG" ;;
                esac
                if [ -n "$expect" ]; then
                        gotc=$(unzip -p "$WORK/r.zip" report.json | python3 -c '
import json, sys
a = json.load(sys.stdin)["analysis"]
print(" ".join(x for x in [a["type"], a["frame"], a["module"]] if x) if sys.argv[1] != "HANG" else a["type"],
      "| frames:", " ".join(a["frames"][:6]))' "$expect")
                        echo "  analysis: $gotc"
                        [ "${gotc%% |*}" = "$expect" ] || { echo "  expected: $expect"; ok=0; }
                        [ "$sc" != module-softlockup ] || grep -q "crashme" <<<"$gotc" || { echo "  crashme not in the frames"; ok=0; }
                fi
                kind=$(unzip -p "$WORK/r.zip" report.json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get("kind"), r.get("fatal"))')
                echo "  kind, fatal: $kind"
                case $sc in
                watch)
                        [ "$kind" = "kernel-event False" ] || { echo "  not a non-fatal kernel event"; ok=0; }
                        [ "$got" = "WARNING in kcrash_test_warn" ] || { echo "  expected WARNING in kcrash_test_warn"; ok=0; } ;;
                unclean)
                        [ "$kind" = "unclean-shutdown True" ] || { echo "  not an unclean-shutdown report"; ok=0; }
                        want=$got
                        unzip -p "$WORK/r.zip" report.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["upload"]["note"])' |
                                sed 's/^/  NOTE /'
                        case $got in *"restart loop of memhog.service and OOM kills"*) ;;
                        *) echo "  the title does not name the looping unit and the OOM kills"; ok=0 ;; esac ;;
                esac
                [ "$got" = "$want" ] && [ -n "$got" ] || { echo "  title differs from the analyzer's: $want"; ok=0; }
        fi
        if [ -n "${KCRASH_VM_DEMO:-}" ] && [ -n "$gid" ]; then
                demo_show "$sc" "$gid"
        fi
        if [ $ok = 1 ]; then
                log "PASS $sc (${secs}s)"
        else
                log "FAIL $sc (${secs}s); serial log:"
                tail -n 80 "$WORK/$sc.log"
                failed=1
        fi
done
exit $failed
