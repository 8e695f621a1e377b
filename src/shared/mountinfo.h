/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* One line of /proc/<pid>/mountinfo (Documentation/filesystems/proc.rst,
 * "3.5 /proc/<pid>/mountinfo"; written by show_mountinfo() in
 * fs/proc_namespace.c):
 *   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw
 * id, parent id, major:minor, root of the mount inside its filesystem, mount
 * point, options, optional fields up to "-", type, source, super options.
 * Paths escape space, tab, newline and backslash as \ooo octal. */
typedef struct MountEntry {
        unsigned major, minor;
        char *root;
        char *mount_point;
        char *fstype;
        char *source;
} MountEntry;

/* Parses one line (without its newline); -EINVAL when it is malformed. */
int mountinfo_parse_line(const char *line, size_t size, MountEntry *ret);
void mount_entry_done(MountEntry *m);
