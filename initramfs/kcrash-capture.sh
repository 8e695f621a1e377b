#!/bin/sh
# Crash-kernel side of kcrash: in the capture initramfs, when the kernel was
# started by a crash (/proc/vmcore exists), save the crash and reboot.
# kcrash-save mounts MOUNT_DEVNODE at a scratch point, writes crash/<stamp>/
# at the offload folder's path inside it (kcrash.folder= on this command line,
# set by `kcrashctl load`; kdump(5), THE OFFLOAD FOLDER) with a "done" marker
# last, and reboots; a watchdog reboots if a step hangs.
if [ -e /proc/vmcore ]; then
    echo "kcrash: this is a crash kernel; saving the crash"
    /usr/libexec/kcrash/kcrash-save
    # not reached unless kcrash-save could not reboot
    reboot -f
fi
