/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mountinfo.h"
#include "tests.h"

static int parse(const char *line, MountEntry *m) {
        return mountinfo_parse_line(line, strlen(line), m);
}

TEST(documented_example) {
        MountEntry m;
        ASSERT_OK(parse("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue", &m));
        ASSERT_EQ(m.major, 98);
        ASSERT_EQ(m.minor, 0);
        ASSERT_STREQ(m.root, "/mnt1");
        ASSERT_STREQ(m.mount_point, "/mnt/parent");
        ASSERT_STREQ(m.fstype, "ext3");
        ASSERT_STREQ(m.source, "/dev/root");
        mount_entry_done(&m);
        ASSERT_TRUE(!m.root && !m.mount_point && !m.fstype && !m.source);
        mount_entry_done(&m); /* twice is harmless */
}

TEST(optional_fields) {
        MountEntry m;
        /* none */
        ASSERT_OK(parse("22 1 0:21 / /sys/fs/pstore rw,nosuid - pstore pstore rw", &m));
        ASSERT_STREQ(m.fstype, "pstore");
        ASSERT_STREQ(m.source, "pstore");
        ASSERT_EQ(m.major, 0);
        ASSERT_EQ(m.minor, 21);
        mount_entry_done(&m);
        /* several, and runs of spaces */
        ASSERT_OK(parse("29 1  259:2  /  /home  rw shared:7 master:3 propagate_from:2 -  ext4  /dev/nvme0n1p8  rw", &m));
        ASSERT_EQ(m.major, 259);
        ASSERT_EQ(m.minor, 2);
        ASSERT_STREQ(m.mount_point, "/home");
        ASSERT_STREQ(m.source, "/dev/nvme0n1p8");
        mount_entry_done(&m);
        /* the size bounds the line: what follows is not read */
        const char two[] = "1 0 8:1 / /a rw - ext4 /dev/sda1 rw\n2 0 8:2 / /b rw - vfat /dev/sda2 rw";
        ASSERT_OK(mountinfo_parse_line(two, strchr(two, '\n') - two, &m));
        ASSERT_STREQ(m.mount_point, "/a");
        ASSERT_STREQ(m.fstype, "ext4");
        mount_entry_done(&m);
        /* no super options is still a line (the fields we need are there) */
        ASSERT_OK(parse("1 0 8:1 / /a rw - ext4 /dev/sda1", &m));
        mount_entry_done(&m);
}

TEST(octal_escapes) {
        MountEntry m;
        ASSERT_OK(parse("40 23 8:17 /dir\\040with\\011tab /run/media/deck/My\\040Card\\134x rw - exfat /dev/mmcblk0p1 rw", &m));
        ASSERT_STREQ(m.root, "/dir with\ttab");
        ASSERT_STREQ(m.mount_point, "/run/media/deck/My Card\\x");
        mount_entry_done(&m);
        /* a newline in a mount point */
        ASSERT_OK(parse("40 23 8:17 / /mnt/a\\012b rw - ext4 /dev/sdb1 rw", &m));
        ASSERT_STREQ(m.mount_point, "/mnt/a\nb");
        mount_entry_done(&m);
        /* not an escape: kept as is (a digit 8, a short tail, \4xx is over 255) */
        ASSERT_OK(parse("40 23 8:17 / /mnt/\\08x\\400\\04 rw - ext4 /dev/sdb1 rw", &m));
        ASSERT_STREQ(m.mount_point, "/mnt/\\08x\\400\\04");
        mount_entry_done(&m);
        /* an escape cut by the end of the line is not read past it */
        const char cut[] = "40 23 8:17 / /mnt/x rw - ext4 /dev/sdb\\0401";
        ASSERT_OK(mountinfo_parse_line(cut, sizeof cut - 1 - 2, &m));
        ASSERT_STREQ(m.source, "/dev/sdb\\04");
        mount_entry_done(&m);
}

TEST(malformed_lines) {
        static const char *const bad[] = {
                "",
                "   ",
                "36",
                "36 35",
                "36 35 98:0",
                "36 35 98 / /mnt rw - ext4 /dev/root rw",          /* no minor */
                "36 35 98:0x / /mnt rw - ext4 /dev/root rw",       /* junk after minor */
                "36 35 :0 / /mnt rw - ext4 /dev/root rw",
                "36 35 98:0 / /mnt rw ext4 /dev/root rw",          /* no separator */
                "36 35 98:0 / /mnt rw -",                          /* nothing after it */
                "36 35 98:0 / /mnt rw - ext4",                     /* no source */
                "36 35 98:0 mnt1 /mnt rw - ext4 /dev/root rw",     /* relative root */
                "36 35 98:0 / mnt rw - ext4 /dev/root rw",         /* relative mount point */
                "36 35 98:0 / /mnt\\000x rw - ext4 /dev/root rw",  /* an escaped NUL */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                MountEntry m = {};
                int r = parse(bad[i], &m);
                if (r != -EINVAL)
                        test_fail(__FILE__, __LINE__, "\"%s\": %d, expected -EINVAL", bad[i], r);
                /* nothing was handed out */
                ASSERT_TRUE(!m.root && !m.mount_point && !m.fstype && !m.source);
        }
}

TEST(long_line) {
        /* a 64 KiB mount point parses whole */
        size_t n = 65536;
        char *line = malloc(n + 64);
        ASSERT_TRUE(line);
        char *p = line + sprintf(line, "1 0 8:1 / /");
        memset(p, 'a', n);
        p += n;
        p += sprintf(p, " rw - ext4 /dev/sda1 rw");
        MountEntry m;
        ASSERT_OK(mountinfo_parse_line(line, (size_t) (p - line), &m));
        ASSERT_EQ(strlen(m.mount_point), n + 1);
        mount_entry_done(&m);
        free(line);
}
