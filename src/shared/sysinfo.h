/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Facts about this machine and this boot. Every path is under root (NULL = /). */

/* One attribute of /sys/class/dmi/id (drivers/firmware/dmi-id.c), trimmed. */
int dmi_attr(const char *root, const char *name, char **ret);
/* The readable DMI attributes as "name: value" lines (the fallback for dmidecode). */
int dmi_sysfs_text(const char *root, char **ret);
/* Runs dmidecode (no shell; $KCRASH_DMIDECODE names another program, for
 * tests) and returns its output, at most 1 MiB; -ENOENT when it is not installed. */
int dmidecode_run(char **ret);

typedef struct OsRelease {
        char *text;        /* the whole file */
        char *id, *build_id, *version_id, *pretty_name;
} OsRelease;

/* /etc/os-release, else /usr/lib/os-release (os-release(5)). */
int os_release_read(const char *root, OsRelease *ret);
/* The first line of the file at path under root, trailing blanks removed;
 * NULL when it cannot be read. */
char *root_first_line(const char *root, const char *path);
/* When this boot started: btime of root's /proc/stat (proc_stat(5)), in
 * seconds since the epoch; 0 when unknown. */
time_t proc_boot_time(const char *root);
/* A boot id as /proc/sys/kernel/random/boot_id has it: hex digits and
 * dashes (safe as a file name). */
bool boot_id_valid(const char *s);
/* Value of KEY in os-release text, unquoted; NULL when absent. */
char *os_release_value(const char *text, const char *key);
void os_release_done(OsRelease *o);
