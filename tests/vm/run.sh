#!/bin/bash
# The VM suite: crash a real Debian kernel in QEMU (TCG) and check what
# reaches kcrash-server on the host. Usage: run.sh BUILD_DIR [SCENARIO...]
# Needs root for nothing; downloads the kernel package on first use into
# $KCRASH_VM_CACHE (default BUILD_DIR/vm-cache).
set -euo pipefail
BUILD=$(cd "$1" && pwd); shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${KCRASH_VM_CACHE:-$BUILD/vm-cache}
SCENARIOS=${*:-ramoops-sysrq module-null module-bug module-warn module-softlockup module-hung kdump kdump-classic kdump-dracut kdump-pstore faults clean powercut systemd sentry watch unclean watchdog}
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
# (the watchdog drivers joined the extracted set later: a cache without them
# is extracted again)
if [ ! -f "$KDIR/boot/vmlinuz-$KVER" ] || [ ! -d "$KDIR/lib/modules/$KVER/kernel/drivers/watchdog" ]; then
        log "downloading $KPKG"
        (cd "$CACHE" && apt-get download "$KPKG" >/dev/null && mv "${KPKG}"_*.deb "$KPKG.deb")
        mkdir -p "$KDIR"
        dpkg-deb --fsys-tarfile "$CACHE/$KPKG.deb" | tar -x -C "$KDIR" --wildcards './boot/vmlinuz-*' \
                './lib/modules/*/modules.*' './lib/modules/*/kernel/fs/pstore/*' './lib/modules/*/kernel/lib/reed_solomon/*' \
                './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
                './lib/modules/*/kernel/fs/ext4/*' './lib/modules/*/kernel/fs/jbd2/*' './lib/modules/*/kernel/fs/mbcache.ko' \
                './lib/modules/*/kernel/lib/crc16.ko' './lib/modules/*/kernel/crypto/crc32c_generic.ko' \
                './lib/modules/*/kernel/drivers/net/virtio_net.ko' './lib/modules/*/kernel/drivers/net/net_failover.ko' \
                './lib/modules/*/kernel/net/core/failover.ko' './lib/modules/*/kernel/drivers/watchdog/*'
        rm -f "$CACHE/$KPKG.deb"
fi
log "kernel $KVER"

# 2. The guest initramfs: busybox, the modules with a modules.dep, this
#    build's kcrash programs with the libraries they link.
ST=$(mktemp -d)
WORK=$(mktemp -d)
SERVER_PID=
DEBUGINFOD_PID=
PC_RAM=
cleanup() {
        # the serial logs of a failed run stay in the build dir for a look
        if [ "${failed:-0}" != 0 ]; then
                mkdir -p "$BUILD/meson-logs/vm"
                cp "$WORK"/*.log "$WORK"/pc-cuts "$BUILD/meson-logs/vm/" 2>/dev/null || true
                echo "serial logs: $BUILD/meson-logs/vm/"
        fi
        [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
        [ -n "$DEBUGINFOD_PID" ] && kill "$DEBUGINFOD_PID" 2>/dev/null || true
        [ -n "$PC_RAM" ] && rm -f "$PC_RAM"
        rm -rf "$ST" "$WORK"
}
trap cleanup EXIT
mkdir -p "$ST"/{bin,sbin,usr/bin,usr/sbin,usr/libexec/kcrash,etc/default,lib/modules,proc,sys,dev,tmp}
cp /bin/busybox "$ST/bin/busybox"   # busybox-static: no libraries
copy_bin() { # binary dest
        mkdir -p "$ST$(dirname "$2")"
        cp -L "$1" "$ST$2"
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
# The libraries the programs load with dlopen when they need them (libzip,
# libsystemd: build-config.h names them), which ldd cannot see,
# with the libraries they link in turn.
sed -n 's/^#define LIB[A-Z0-9_]*_SONAME "\(.*\)"$/\1/p' "$BUILD/build-config.h" | while read -r soname; do
        # awk reads to the end: an early exit would kill ldconfig with SIGPIPE,
        # which pipefail and set -e turn into the suite's failure (it did once)
        lib=$(ldconfig -p | awk -v n="$soname" '$1 == n && /x86-64/ && !found {print $NF; found = 1}')
        [ -n "$lib" ] || { log "no $soname on the host: the guest cannot load it"; continue; }
        copy_bin "$lib" "$lib"
done
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
        # installed where the collector looks for the build id of a module
        # loaded after the boot record was written
        make -s -C "$HDR" M="$WORK" modules >/dev/null 2>&1 && mkdir -p "$ST/lib/modules/$KVER/extra" &&
                cp "$WORK/crashme.ko" "$ST/lib/modules/$KVER/extra/" ||
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

# The guest's QEMU command line in QEMU: VM_MEM, INITRD_IMG, EXTRA_DRIVE (a
# second disk), VM_RAM_FILE (guest RAM in a shared file, kept across a
# killed QEMU) and VM_DISK_CACHE (the first disk's cache= mode) change it.
qemu_argv() { # append...
        local mem=${VM_MEM:-1024}
        QEMU=(qemu-system-x86_64 -pidfile "$WORK/qemu.pid" -accel tcg -cpu qemu64 -smp 1 -m "$mem")
        [ -z "${VM_RAM_FILE:-}" ] ||
                QEMU+=(-object "memory-backend-file,id=ram0,size=${mem}M,mem-path=$VM_RAM_FILE,share=on"
                       -machine pc,memory-backend=ram0)
        # rcu_cpu_stall_timeout=300 (its maximum): under TCG on a loaded
        # host the one vCPU can starve for more than the default 21 s; the
        # stall report then comes before the crash a scenario makes, and the
        # analyzer titles the first report of a log (a CI run of module-null
        # was titled "INFO: rcu detected stall in async_run_entry_fn")
        QEMU+=(-nodefaults -no-user-config -display none -serial stdio
               -kernel "$KDIR/boot/vmlinuz-$KVER" -initrd "${INITRD_IMG:-$WORK/initrd.img}"
               -append "$* rcupdate.rcu_cpu_stall_timeout=300"
               -drive "file=$WORK/disk.img,format=raw,if=virtio${VM_DISK_CACHE:+,cache=$VM_DISK_CACHE}")
        [ -z "${EXTRA_DRIVE:-}" ] || QEMU+=(-drive "file=$EXTRA_DRIVE,format=raw,if=virtio")
        QEMU+=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0)
}

strip_cr() { # file
        tr -d '\r' < "$1" > "$1.clean" && mv "$1.clean" "$1"
}

run_vm() { # log-file timeout append...
        local out=$1 tmo=$2; shift 2
        qemu_argv "$@"
        timeout --foreground -k 5 "$tmo" "${QEMU[@]}" </dev/null >"$out" 2>&1 || true
        strip_cr "$out"
}

# Power cuts (issue: durability against power loss, not only SIGKILL). Guest
# RAM is a shared file (ramoops keeps its records across a cut, as across a
# warm reset), the disk is opened with cache=none (O_DIRECT: nothing the guest
# did not write out survives in a host cache). Each QEMU process is killed at a
# random moment of a collect+submit window; the guest says at every boot where
# each test crash is; a final run without a cut collects and sends the rest.
# 5 cuts by default keep the suite within its 30 minutes (about 50 s a cut
# in a clean-clone CI run: two boots each); KCRASH_VM_POWERCUTS=50 for a
# longer hunt.
powercut_run() {
        local cuts=${KCRASH_VM_POWERCUTS:-5} i=0 win_ms=0 windows=0 n phase log
        local qemu_pid t_start t_cut now seen_start seen_end
        # the RAM file on tmpfs: a file on disk makes every guest page a disk
        # write (boot slows 50-fold)
        PC_RAM=$(mktemp -p /dev/shm kcrash-vm-ram.XXXXXX)
        rm -f "$WORK"/pc-*.log
        : > "$WORK/pc-cuts"
        pc_qemu() { # log (in the background: the loop below cuts it)
                VM_RAM_FILE=$PC_RAM VM_DISK_CACHE=none qemu_argv \
                        "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=powercut"
                "${QEMU[@]}" </dev/null >"$1" 2>&1 &
                qemu_pid=$!
        }
        # At least $cuts cuts and 3 test crashes (what the check below needs
        # to mean anything): where a cut lands is random, and 5 cuts once
        # made only 2 crashes; at most 3 x $cuts cuts.
        while [ $i -lt "$cuts" ] || { [ "$(cat "$WORK"/pc-[0-9]*.log 2>/dev/null | grep -c 'kcrash: test crash .*, triggered' || true)" -lt 3 ] &&
                                      [ $i -lt $(( cuts * 3 )) ]; }; do
                log=$WORK/pc-$i.log
                pc_qemu "$log"
                seen_start=0; seen_end=0; t_cut=0; t_start=0
                local deadline=$(( $(date +%s) + 300 ))
                while kill -0 "$qemu_pid" 2>/dev/null; do
                        now=$(( $(date +%s%N) / 1000000 ))
                        n=$(grep -c "PC window start" "$log" || true)
                        if [ "$n" -gt "$seen_start" ]; then
                                # a new window: cut at a uniformly random
                                # moment of 1.3 times the longest window seen
                                # (so some windows end and make a new crash);
                                # the first two windows (nothing to collect,
                                # then one crash) run whole to measure it
                                seen_start=$n; t_start=$now; windows=$((windows + 1))
                                deadline=$(( $(date +%s) + 300 ))
                                t_cut=0
                                [ "$windows" -gt 2 ] && t_cut=$(( now + (RANDOM * 32768 + RANDOM) % (win_ms * 13 / 10 + 1) ))
                        fi
                        n=$(grep -c "PC window end" "$log" || true)
                        if [ "$n" -gt "$seen_end" ]; then
                                seen_end=$n
                                [ "$t_start" -gt 0 ] && [ $(( now - t_start )) -gt "$win_ms" ] && win_ms=$(( now - t_start ))
                                t_cut=0   # this window ended first: wait for the next one
                        fi
                        if [ "$t_cut" -gt 0 ] && [ "$now" -ge "$t_cut" ]; then
                                kill -9 "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true
                                phase=collect
                                tail -n 3 "$log" | grep -q "PC collected" && phase=submit
                                tail -n 3 "$log" | grep -q "PC submitted" && phase=after-submit
                                echo "$i $phase $(( now - t_start ))" >> "$WORK/pc-cuts"
                                break
                        fi
                        if [ "$(date +%s)" -ge "$deadline" ]; then
                                kill -9 "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true
                                echo "  power cut $i: no new window for 300 s"; tail -n 30 "$log"
                                return 1
                        fi
                        sleep 0.05
                done
                wait "$qemu_pid" 2>/dev/null || true
                grep -q "PC window start" "$log" || { echo "  power cut $i: the guest never reached a window"; tail -n 40 "$log"; return 1; }
                i=$((i + 1))
        done
        VM_RAM_FILE=$PC_RAM VM_DISK_CACHE=none run_vm "$WORK/pc-final.log" 180 \
                "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=powercut kcrashvm.final=1"
        rm -f "$PC_RAM"
        for f in "$WORK"/pc-[0-9]*.log; do strip_cr "$f"; done
        cp "$WORK/pc-final.log" "$WORK/powercut.log"
        python3 - "$WORK" "$BUILD/src/kcrash-server/kcrash-server" "$cuts" <<'PY'
import glob, json, os, re, subprocess, sys, zipfile
work, server, cuts = sys.argv[1], sys.argv[2], int(sys.argv[3])
ID = r"[0-9a-zA-Z-]+"
problems = []

# The receiver only ever gains reports: what it holds at the end is what it
# held at any boot, plus what came later.
on_server = {}   # test crash id -> the distinct ZIPs (sha256) holding it
for r in json.loads(subprocess.check_output([server, "--data", f"{work}/store", "list", "--json"])):
    z = f"{work}/pc-fetch.zip"
    subprocess.check_call([server, "--data", f"{work}/store", "fetch", r["gid"], z], stdout=subprocess.DEVNULL)
    with zipfile.ZipFile(z) as zf:
        if zf.testzip() is not None:
            problems.append(f"report {r['gid']} on the receiver is a damaged ZIP")
        text = b"".join(zf.read(m) for m in zf.namelist() if m.startswith("dmesg-")).decode(errors="replace")
    for i in set(re.findall(r"kcrash: test crash (" + ID + ")", text)):
        # a duplicate upload has its original's sha256 (its duplicate_of is
        # the original's gid): one ZIP, one key
        on_server.setdefault(i, set()).add(r.get("sha256") or r["gid"])

created = []
# Every run of the loop above: it makes more than `cuts` when it waits for
# the third test crash (reading only the first `cuts` logs lost the crashes
# of the others, and the run failed as "too few crashes").
runs = sorted(glob.glob(f"{work}/pc-[0-9]*.log"), key=lambda p: int(re.search(r"pc-([0-9]+)[.]log$", p).group(1)))
logs = runs + [f"{work}/pc-final.log"]
boots = 0
for path in logs:
    name = os.path.basename(path)
    for boot in re.split(r"KCRASHVM\[[0-9.]+\] init mode", open(path, errors="replace").read())[1:]:
        m = re.search(r"PC pstore: (.*)", boot)
        if not m:
            continue
        boots += 1
        pstore = set(m.group(1).split())
        in_queue = {}
        for zname, ids in re.findall(r"PC queued (\S+): (.*)", boot):
            if ids.strip() == "unreadable":
                problems.append(f"{name}: queued {zname} is unreadable after a power cut")
            for i in ids.split():
                in_queue.setdefault(i, []).append(zname)
        for i, names in in_queue.items():
            if len(names) > 1:
                problems.append(f"{name}: test crash {i} is in {len(names)} queued ZIPs: {names}")
        for c in created:
            if c not in pstore and c not in in_queue and c not in on_server:
                problems.append(f"{name}: test crash {c} is neither in pstore, nor queued, nor on the receiver: lost")
        # kcrashctl test-crash's line in the kernel log, on the serial console
        created += re.findall(r"kcrash: test crash (" + ID + r"), triggered", boot)

final = open(f"{work}/pc-final.log", errors="replace").read()
m = re.search(r"PC final pstore: (.*?)queue: (\d+)", final)
if not m or m.group(1).strip() or m.group(2) != "0":
    problems.append("the final run did not end with pstore and the queue empty: " + (m.group(0) if m else "no final line"))
for c in created:
    n = len(on_server.get(c, ()))
    if n != 1:
        problems.append(f"test crash {c} is in {n} distinct reports on the receiver" + (" (lost)" if n == 0 else " (duplicated)"))
phases = [l.split()[1] for l in open(f"{work}/pc-cuts")]
print(f"  power cuts: {len(phases)} (during collect {phases.count('collect')}, during submit {phases.count('submit')}, "
      f"after submit {phases.count('after-submit')}); boots checked: {boots}; test crashes: {len(created)}")
if len(phases) < cuts or len(created) < 3:
    problems.append(f"too few cuts ({len(phases)}) or crashes ({len(created)}) to mean anything")
for p in problems:
    print("  " + p)
if not problems:
    print(f"  every test crash was, at every boot, in pstore, a readable queued ZIP or on the receiver, "
          f"and ended in exactly one report")
sys.exit(1 if problems else 0)
PY
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
        # scripts/demo serves this store in the console afterwards.
        if [ -n "${KCRASH_VM_DEMO_STORE:-}" ]; then cp -a "$WORK/store/." "$KCRASH_VM_DEMO_STORE/"; fi
        echo
        echo "  Download over HTTP: GET /api/reports/$2/zip with Authorization: Bearer <token>"
}

# The module's debug info, for symbolization on the host: a build-id
# directory, and a real debuginfod on 127.0.0.1 serving the same module.
DEBUGINFOD_URL=
DEBUGINFOD_LOG=
if [ -f "$WORK/crashme.ko" ]; then
        CRASHME_ID=$(readelf -n "$WORK/crashme.ko" | awk '/Build ID/{print $3}')
        mkdir -p "$WORK/debug/.build-id/${CRASHME_ID:0:2}" "$WORK/served"
        cp "$WORK/crashme.ko" "$WORK/debug/.build-id/${CRASHME_ID:0:2}/${CRASHME_ID:2}.debug"
        cp "$WORK/crashme.ko" "$WORK/served/"
        if command -v debuginfod >/dev/null && [[ " $SCENARIOS " == *" module-"* ]]; then
                # Up to three tries, each on a port of its own: in one clean-
                # clone run (a fresh machine, a loaded one) the first
                # debuginfod was not listening at all when the module
                # scenarios asked it ("Connection refused"), and its output
                # had gone to /dev/null; it is kept now and shown when no
                # try serves the module.
                for try in 1 2 3; do
                        DPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
                        debuginfod -F -p "$DPORT" -d "$WORK/debuginfod-$try.sqlite" -t 0 -g 0 -c 1 "$WORK/served" \
                                >"$WORK/debuginfod-$try.log" 2>&1 &
                        DEBUGINFOD_PID=$!
                        for _ in $(seq 300); do
                                if curl -sf -o /dev/null "http://127.0.0.1:$DPORT/buildid/$CRASHME_ID/debuginfo"; then
                                        DEBUGINFOD_URL=http://127.0.0.1:$DPORT
                                        DEBUGINFOD_LOG=$WORK/debuginfod-$try.log
                                        break 2
                                fi
                                kill -0 "$DEBUGINFOD_PID" 2>/dev/null || break
                                sleep 0.1
                        done
                        echo "debuginfod (try $try, port $DPORT) does not serve the module; its output:"
                        tail -n 20 "$WORK/debuginfod-$try.log" | sed 's/^/  /'
                        kill "$DEBUGINFOD_PID" 2>/dev/null || true
                        wait "$DEBUGINFOD_PID" 2>/dev/null || true
                done
        fi
fi

# The crash frame of a module scenario's report symbolizes to the crashme.c
# line marked "symbolize-line: MODE" (the line is read from the source),
# through the build-id directory and through debuginfod.
symbolize_check() { # scenario zip
        local mode=${1#module-} want got how
        want="crashme.c:$(grep -n "symbolize-line: $mode " "$SRC/tests/vm/crashme/crashme.c" | cut -d: -f1)"
        for how in directory debuginfod; do
                local args=(--debuginfo "$WORK/debug")
                if [ $how = debuginfod ]; then
                        [ -n "$DEBUGINFOD_URL" ] || { echo "  symbolize: no debuginfod to test with"; return 1; }
                        args=(--debuginfod-urls "$DEBUGINFOD_URL")
                fi
                got=$(DEBUGINFOD_CACHE_PATH="$WORK/dcache-$1" "$BUILD/src/kcrashctl/kcrashctl" symbolize "$2" --json \
                      "${args[@]}" | python3 -c '
import json, os, sys
for f in json.load(sys.stdin)["frames"]:
    if f["exact"] and f["function"] == "kcrash_test_" + sys.argv[1]:
        l = f["locations"][0] if f["locations"] else None
        print(os.path.basename(l["file"]) + ":" + str(l["line"]) if l else f["error"])
        break
else:
    print("no frame kcrash_test_" + sys.argv[1])' "$mode")
                echo "  symbolized ($how): kcrash_test_$mode -> $got"
                if [ "$got" != "$want" ]; then
                        echo "  expected $want"
                        if [ $how = debuginfod ]; then
                                echo "  debuginfod (pid $DEBUGINFOD_PID) $(kill -0 "$DEBUGINFOD_PID" 2>/dev/null && echo running || echo gone); its output:"
                                tail -n 20 "$DEBUGINFOD_LOG" | sed 's/^/    /'
                        fi
                        return 1
                fi
        done
}

# What each scenario's report must say (title|type|culprit function|module),
# from the kernel source of what the scenario triggers:
# - sysrq-c (kcrashctl test-crash): drivers/tty/sysrq.c sysrq_handle_crash()
#   calls panic("sysrq triggered crash\n"); kernel/panic.c prints "Kernel
#   panic - not syncing: <message>", which kcrash titles "kernel panic:
#   <message>" (docs: the title rules), type DoS, culprit panic()'s caller.
# - crashme (tests/vm/crashme/crashme.c) crashes in its kcrash_test_<mode>
#   function: a NULL write (arch/x86/mm/fault.c: "BUG: kernel NULL pointer
#   dereference"), BUG() (lib/bug.c: "kernel BUG at"), WARN() (kernel/panic.c
#   __warn(): "WARNING: CPU: ... at"), a spin with preemption off
#   (kernel/watchdog.c: "BUG: soft lockup"; the title and its frame name
#   the function the write syscall entered, as syzkaller's stall rule does,
#   a built-in one; where the CPU was stuck is the interrupted RIP that
#   show_regs() prints, which heads the report's stack: checked below), an
#   uninterruptible sleep (kernel/hung_task.c:
#   "INFO: task ... blocked for more than", then panic "hung_task: blocked
#   tasks"; the culprit is the sleeping function below schedule()).
expected_analysis() {
        case $1 in
        module-null) echo "BUG: unable to handle kernel NULL pointer dereference in kcrash_test_null|NULL-POINTER-DEREFERENCE|kcrash_test_null|crashme" ;;
        module-bug) echo "kernel BUG in kcrash_test_bug|BUG|kcrash_test_bug|crashme" ;;
        module-warn) echo "WARNING in kcrash_test_warn|WARNING|kcrash_test_warn|crashme" ;;
        module-softlockup) echo "BUG: soft lockup in proc_reg_write|HANG|proc_reg_write|" ;;
        module-hung) echo "INFO: task hung in kcrash_test_hung|HANG|kcrash_test_hung|crashme" ;;
        # kcrashd watch reports crashme's WARN without a panic (issue 12)
        watch) echo "WARNING in kcrash_test_warn|WARNING|kcrash_test_warn|crashme" ;;
        # an unexplained reboot has no kernel crash to pin: checked below
        unclean) echo "" ;;
        # drivers/watchdog/softdog.c softdog_fire(): panic("Software Watchdog
        # Timer expired"); the culprit is panic()'s caller, as for sysrq-c
        watchdog) echo "kernel panic: Software Watchdog Timer expired|DoS|softdog_fire|softdog" ;;
        *) echo "kernel panic: sysrq triggered crash|DoS|sysrq_handle_crash|" ;;
        esac
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
        powercut)
                if powercut_run; then log "PASS $sc ($(( $(date +%s) - t0 ))s)"; else log "FAIL $sc ($(( $(date +%s) - t0 ))s)"; failed=1; fi
                continue
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
        watchdog)
                # WATCHDOG_PANIC=1 on a machine without a hardware watchdog:
                # load loads softdog with soft_panic=1 and systemd pets it;
                # the guest hangs so that systemd cannot: softdog panics,
                # pstore records it, the next boot reports
                "$SRC/tests/vm/systemd.sh" "$BUILD" "$KVER" "$KDIR" "$WORK/initrd.img" "$WORK" "$PORT" "$ST" ||
                        { echo "  cannot build the systemd guest"; failed=1; continue; }
                VM_MEM=1536 EXTRA_DRIVE="$WORK/home.img" run_vm "$WORK/$sc.log" 360 \
                        "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=watchdog systemd.show_status=0"
                grep -q "KCRASHVM.*Hangs: *watchdog0 (Software Watchdog) panics after 16 s without a ping" "$WORK/$sc.log" ||
                        { echo "  kcrashctl status does not say the watchdog panics"; ok_override=0; }
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
                        "console=ttyS0 panic=1 crashkernel=${KCRASH_VM_CRASHKERNEL:-256M} kcrashvm.mode=sysrq"
                sed -n 's/.*KCRASHVM\[\([0-9.]*\)\] kcrash-save exit.*/  crash kernel uptime at done: \1 s/p' "$WORK/$sc.log"
                ;;
        sentry)
                # issue 14: one crash reaches kcrash-server and a Sentry
                # receiver (Spotlight's sidecar, installed by
                # tests/integration/sentry_spotlight_test.py into the npm cache)
                NPM=${KCRASH_NPM_CACHE:-$HOME/.cache/kcrash-npm}
                SIDECAR="$NPM/node_modules/@spotlightjs/sidecar/dist/run.js"
                if [ ! -f "$SIDECAR" ] || ! command -v node >/dev/null; then
                        echo "  no Spotlight sidecar in $NPM (run tests/integration/sentry_spotlight_test.py once)"
                        failed=1; continue
                fi
                SPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
                (cd "$NPM" && exec node "$SIDECAR" -p "$SPORT") >>"$WORK/spotlight.log" 2>&1 &
                SPOT_PID=$!
                for _ in $(seq 100); do
                        (exec 3<>"/dev/tcp/127.0.0.1/$SPORT") 2>/dev/null && break
                        sleep 0.1
                done
                # Spotlight takes envelopes on /stream, not /api/<project>/envelope/
                run_vm "$WORK/$sc.log" 180 "console=ttyS0 panic=1 memmap=1M!0x30000000 kcrashvm.mode=sysrq" \
                        "kcrashvm.sentry=http://0123456789abcdef0123456789abcdef@10.0.2.2:$SPORT/1" \
                        "kcrashvm.sentry_url=http://10.0.2.2:$SPORT/stream"
                # the sidecar replays what it holds to a new GET /stream client
                timeout 5 curl -sN "http://127.0.0.1:$SPORT/stream" > "$WORK/sentry.sse" || true
                kill "$SPOT_PID"; wait "$SPOT_PID" 2>/dev/null || true
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
        module-*|watch|unclean|watchdog) ;;  # no test-crash id: the module crashed the kernel itself, or no crash
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
                echo "  report members: $(tr '\n' ' ' <<<"$members")"
                case $sc in
                kdump*|kexec*|systemd) grep -q '^dmesg-kdump\.' <<<"$members" || { echo "  no kdump dmesg in the report"; ok=0; } ;;
                esac
                case $sc in
                kdump-pstore) grep -q '^dmesg-pstore\.' <<<"$members" || { echo "  no pstore dmesg in the report"; ok=0; } ;;
                esac
                echo "  receiver title: $got"
                # The answer each scenario must give, pinned from the kernel
                # source of what it triggers (not from the analyzer itself).
                expect=$(expected_analysis "$sc")
                gotc=$(unzip -p "$WORK/r.zip" report.json | python3 -c '
import json, sys
a = json.load(sys.stdin)["analysis"]
print("|".join(a.get(k) or "" for k in ("title", "type", "frame", "module")))')
                echo "  analysis: $gotc"
                if [ -n "$expect" ]; then
                        [ "$gotc" = "$expect" ] || { echo "  expected: $expect"; ok=0; }
                        [ "$got" = "${expect%%|*}" ] || { echo "  the receiver's title is not ${expect%%|*}"; ok=0; }
                fi
                case $sc in
                module-*) unzip -p "$WORK/r.zip" report.json | grep -q '\[crashme\]' || { echo "  crashme not in the frames"; ok=0; } ;;
                esac
                if [ "$sc" = module-softlockup ]; then
                        unzip -p "$WORK/r.zip" report.json | python3 -c '
import json, sys
f = json.load(sys.stdin)["analysis"]["frames"]
sys.exit(0 if f and f[0] == "kcrash_test_softlockup [crashme]" else "  the stack does not start where the CPU was stuck: %s" % f[:3])' || ok=0
                fi
                # kexec_file_load(2) is how a Debian kernel loads the crash
                # kernel (kdump-classic checks the fallback above)
                case $sc in
                kdump|kdump-pstore|kdump-dracut)
                        grep -q "kdump method: kexec_file_load" "$WORK/$sc.log" || { echo "  not loaded with kexec_file_load"; ok=0; } ;;
                esac
                case $sc in
                module-null|module-bug|module-warn) symbolize_check "$sc" "$WORK/r.zip" || ok=0 ;;
                esac
                # support staff's view: the report in the triage console (a
                # real browser), with the source line of the crash for the
                # NULL dereference; screenshots in the build dir
                case $sc in
                ramoops-sysrq|module-null)
                        shot=(python3 "$SRC/tests/vm/console_shot.py" "$BUILD/src/kcrash-server/kcrash-server"
                              "$SRC/src/kcrash-server/console" "$WORK/store" "$gid" "$got" "$BUILD/vm-console-$sc")
                        [ "$sc" = module-null ] && shot+=("$WORK/debug" \
                                "crashme.c:$(grep -n "symbolize-line: null " "$SRC/tests/vm/crashme/crashme.c" | cut -d: -f1)")
                        rc=0; "${shot[@]}" 2>&1 | sed 's/^/  /' || rc=$?   # pipefail: the shot's status
                        [ "$rc" = 0 ] || [ "$rc" = 77 ] || { echo "  the console does not show the report"; ok=0; } ;;
                esac
                if [ "$sc" = sentry ]; then
                        # the same report as a Sentry event: title, report id, attachments
                        python3 - "$WORK/sentry.sse" "$got" "$WORK/r.zip" <<'PY' || ok=0
import json, sys, zipfile
sse, title, zpath = sys.argv[1], sys.argv[2], sys.argv[3]
rid = json.loads(zipfile.ZipFile(zpath).read("report.json"))["id"]
envs = [json.loads(l[5:]) for l in open(sse) if l.startswith("data:")]
events = [(p, items) for _, items in envs for h, p in items if h.get("type") == "event"]
hits = [(p, items) for p, items in events if p.get("tags", {}).get("report_id") == rid]
if not hits:
    sys.exit(f"  the Sentry receiver holds no event of report {rid} ({len(envs)} envelope(s))")
ev, items = hits[0]
names = [h.get("filename") for h, _ in items if h.get("type") == "attachment"]
print(f"  sentry event: {ev['exception']['values'][0]['value']} | tags {ev['tags']} | attachments {names}")
if ev["exception"]["values"][0]["value"] != title:
    sys.exit("  the Sentry event's title differs from the receiver's")
if "report.json" not in names or rid + ".zip" not in names:
    sys.exit("  the Sentry event lacks report.json or the ZIP")
PY
                        grep -q '"sentry": {[^}]*"state": "sent"' "$WORK/$sc.log" ||
                                { echo "  the guest's list does not say sent to sentry"; ok=0; }
                fi
                kind=$(unzip -p "$WORK/r.zip" report.json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get("kind"), r.get("fatal"))')
                echo "  kind, fatal: $kind"
                case $sc in
                watch)
                        [ "$kind" = "kernel-event False" ] || { echo "  not a non-fatal kernel event"; ok=0; }
                        [ "$got" = "WARNING in kcrash_test_warn" ] || { echo "  expected WARNING in kcrash_test_warn"; ok=0; } ;;
                unclean)
                        [ "$kind" = "unclean-shutdown True" ] || { echo "  not an unclean-shutdown report"; ok=0; }
                        unzip -p "$WORK/r.zip" report.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["upload"]["note"])' |
                                sed 's/^/  NOTE /'
                        case $got in *"restart loop of memhog.service and OOM kills"*) ;;
                        *) echo "  the title does not name the looping unit and the OOM kills"; ok=0 ;; esac ;;
                esac
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
