/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* What kcrash records about every boot so that a crash is attributed to the
 * kernel and build that crashed, not the ones that booted next: one file a
 * boot in <offload>/.kcrash/boots/, root's (0700), the newest
 * BOOT_RECORDS_KEEP kept. Its facts come from sysinfo.h. */
typedef struct BootRecord {   /* fields the boot did not have are NULL */
        char *boot_id;
        time_t boot_time;  /* btime from /proc/stat */
        char *kernel_release;
        char *kernel_version;
        char *build_id;
        char *pretty_name;
        char *vmlinux_build_id;   /* the GNU build id of the running kernel (/sys/kernel/notes) */
        char *module_build_ids;   /* "name:id,..." of the modules loaded when the record was written */
        char *os_release_text;
} BootRecord;

#define BOOT_RECORDS_KEEP 32
void boot_record_done(BootRecord *b);
/* A deep copy. */
int boot_record_copy(const BootRecord *b, BootRecord *ret);

/* The records of <state_dir>/boots. Listed once (a collection asks for
 * this boot, the one before it and each crash's), each read when first
 * found. */
typedef struct BootRecordEntry {
        BootRecord record; /* boot_id and boot_time always (from the file's name); the rest once loaded */
        char *path;
        bool loaded;
        bool dropped;      /* could not be read, or says another boot than its name: never found */
} BootRecordEntry;
typedef struct BootRecords {
        BootRecordEntry *items;
        size_t n, allocated;
} BootRecords;
int boot_records_load(const char *state_dir, BootRecords *ret);
/* Writes <state_dir>/boots/<boot time>-<boot id> for the running boot
 * unless records (loaded from there) hold it as it would be written;
 * records then hold it (and no other of this boot), and the oldest beyond
 * BOOT_RECORDS_KEEP are removed from both. -ENOENT: no boot id or boot time. */
int boot_record_save(const char *root, const char *state_dir, BootRecords *records);
/* The boot that was running at crash_time: the newest record whose boot
 * time is not after it, read now if it was not; NULL when none. Records
 * returned stay valid until boot_records_done() or the next save. */
const BootRecord *boot_records_find(BootRecords *b, time_t crash_time);
/* The record of one boot, read now if it was not; NULL when none. */
const BootRecord *boot_records_find_boot(BootRecords *b, const char *boot_id);
void boot_records_done(BootRecords *b);
