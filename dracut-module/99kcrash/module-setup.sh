#!/bin/bash
# dracut module of kcrash: the capture initramfs that `kcrashctl load` loads
# for the crash kernel. Only what capture needs: kcrash-save, makedumpfile,
# the configuration and the drivers of the offload disk (no GPU drivers, no
# firmware). Built by `kcrashctl initrd` with "-m kcrash".

# $KCRASH_SAVE points at another kcrash-save (the build tree, in tests).
KCRASH_SAVE_BIN=${KCRASH_SAVE:-/usr/libexec/kcrash/kcrash-save}

check() {
    # only when asked for (kcrashctl initrd), never in the boot initramfs
    require_binaries makedumpfile "$KCRASH_SAVE_BIN" || return 1
    return 255
}

depends() {
    echo base
    return 0
}

installkernel() {
    # ramoops for pstore in the crash kernel, and what the offload disk needs
    instmods ramoops ext4 btrfs xfs vfat crc32c_generic
    instmods virtio_blk virtio_pci nvme ahci sd_mod mmc_block sdhci_pci
    if [[ $hostonly ]]; then
        local dev
        dev=$(. /etc/default/kdump 2>/dev/null; echo "${MOUNT_DEVNODE:-}")
        [[ -n $dev ]] && [[ -b $dev ]] && instmods $(get_dev_module "$dev")
    fi
    return 0
}

install() {
    inst_binary "$KCRASH_SAVE_BIN" /usr/libexec/kcrash/kcrash-save
    inst_binary makedumpfile
    inst_simple /etc/default/kdump
    # the offload disk is recorded when the image is built
    inst_hook cmdline 90 "$moddir/kcrash-root.sh"
    inst_hook pre-mount 01 "$moddir/kcrash-capture.sh"
    inst_multiple -o sync reboot umount mount mkdir
}
