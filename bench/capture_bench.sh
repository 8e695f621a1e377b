#!/bin/bash
# The kdump capture on a 2 GiB guest: for each crashkernel= size, whether the
# capture succeeds with this build's capture initramfs, and crash -> done time
# (the crash kernel's uptime when kcrash-save wrote "done"). Prints the
# initramfs size too. Usage: capture_bench.sh BUILD_DIR [--dracut] [SIZES...]
# --dracut: the capture initramfs `kcrashctl initrd` builds with dracut (VM
# scenario kdump-dracut) instead of the VM suite's busybox image (kdump).
set -uo pipefail
BUILD=$1; shift
SCENARIO=kdump
if [ "${1:-}" = --dracut ]; then
        SCENARIO=kdump-dracut; shift
fi
SIZES=${*:-96M 128M 160M 192M 256M}
for s in $SIZES; do
        out=$(KCRASH_VM_MEM=2048 KCRASH_VM_CRASHKERNEL=$s "$(dirname "$0")/../tests/vm/run.sh" "$BUILD" $SCENARIO 2>&1)
        if [ $SCENARIO = kdump ]; then
                size=$(grep -o 'capture initramfs [^)]*' <<<"$out" | head -1)
        else
                size=$(grep -o 'dracut capture initramfs: .*' <<<"$out" | head -1)
        fi
        done_t=$(sed -n 's/.*crash kernel uptime at done: \(.*\)/\1/p' <<<"$out")
        if grep -q "PASS $SCENARIO\b" <<<"$out"; then r=ok; else r=FAILED; fi
        echo "crashkernel=$s: $r${done_t:+, crash->done $done_t} ($size)"
done
