/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "capture.h"
#include "tests.h"

/* /proc/iomem of a Steam Deck (abridged) and of a QEMU guest with memmap=5M!0x30000000. */
static const char deck_iomem[] =
        "00000000-00000fff : Reserved\n"
        "00001000-0009efff : System RAM\n"
        "000a0000-000fffff : Reserved\n"
        "  000a0000-000dffff : PCI Bus 0000:00\n"
        "00100000-09bfffff : System RAM\n"
        "09c00000-09dfffff : RAM buffer\n"
        "09e00000-09efffff : Reserved\n"
        "09f00000-09f00fff : ACPI Non-volatile Storage\n"
        "0a000000-0a1fffff : System RAM\n"
        "0a200000-0a20afff : ACPI Non-volatile Storage\n"
        "0a20b000-0affffff : RAM buffer\n"
        "  0a20b000-0a20bfff : nested\n";
static const char qemu_iomem[] =
        "00000000-00000fff : Reserved\n"
        "00100000-2fffffff : System RAM\n"
        "  01000000-01e00566 : Kernel code\n"
        "30000000-304fffff : Persistent Memory (legacy)\n"
        "30500000-7ffdffff : System RAM\n";

TEST(iomem) {
        uint64_t start, size;
        ASSERT_OK(iomem_find_ram_buffer(deck_iomem, 2 << 20, &start, &size));
        ASSERT_EQ(start, 0x09c00000);
        ASSERT_EQ(size, 2 << 20);
        /* 5 MiB does not fit the first buffer: the second one */
        ASSERT_OK(iomem_find_ram_buffer(deck_iomem, 5 << 20, &start, &size));
        ASSERT_EQ(start, 0x0a20b000);
        ASSERT_ERR(iomem_find_ram_buffer(deck_iomem, 64 << 20, &start, &size), -ENOENT);
        ASSERT_OK(iomem_find_ram_buffer(qemu_iomem, 5 << 20, &start, &size));
        ASSERT_EQ(start, 0x30000000);
        ASSERT_ERR(iomem_find_ram_buffer("", 1, &start, &size), -ENOENT);
        ASSERT_ERR(iomem_find_ram_buffer("garbage\n-\n : \n", 1, &start, &size), -ENOENT);
}

TEST(capture_cmdline) {
        char *c = NULL;
        ASSERT_OK(capture_cmdline("BOOT_IMAGE=/vmlinuz-6.1 root=UUID=abc ro quiet splash crashkernel=256M "
                                  "hugepages=16 ramoops.mem_size=0x100000 crash_kexec_post_notifiers console=ttyS0\n",
                                  10, NULL, &c));
        ASSERT_STREQ(c, "ro console=ttyS0 root=kcrash rd.shell=0 rd.emergency=reboot reset_devices nr_cpus=1 irqpoll "
                        "panic=10 kcrash.capture=1");
        free(c);
        /* the offload folder travels; an earlier one does not */
        ASSERT_OK(capture_cmdline("ro kcrash.folder=/old\n", 10, "kcrash.folder=/.steamos/offload/var/kdump", &c));
        ASSERT_STREQ(c, "ro root=kcrash rd.shell=0 rd.emergency=reboot reset_devices nr_cpus=1 irqpoll "
                        "panic=10 kcrash.capture=1 kcrash.folder=/.steamos/offload/var/kdump");
        free(c);
}

TEST(grub_edit_is_idempotent_and_touches_only_our_line) {
        const char *orig = "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet crashkernel=128M\"\nGRUB_CMDLINE_LINUX=\"\"\n";
        char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        ASSERT_EQ(grub_edit(orig, true, "256M", &a), 1);
        ASSERT_TRUE(strstr(a, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet crashkernel=128M\"\n")); /* the admin's, untouched */
        ASSERT_TRUE(strstr(a, GRUB_KCRASH_MARKER "\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=256M\"\n"));
        ASSERT_EQ(grub_edit(a, true, "256M", &b), 0); /* again: no change */
        ASSERT_STREQ(a, b);
        ASSERT_EQ(grub_edit(b, true, "384M", &c), 1); /* new size: our line only */
        ASSERT_TRUE(strstr(c, "crashkernel=384M\""));
        ASSERT_TRUE(!strstr(c, "crashkernel=256M"));
        ASSERT_EQ(grub_edit(c, false, NULL, &d), 1); /* removal restores the file */
        ASSERT_STREQ(d, orig);
        free(a);
        free(b);
        free(c);
        free(d);
        char *e = NULL;
        ASSERT_EQ(grub_edit(orig, false, NULL, &e), 0); /* nothing of ours: nothing to remove */
        ASSERT_STREQ(e, orig);
        free(e);
}
