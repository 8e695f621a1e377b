/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What kcrash-save leaves in <KDUMP_FOLDER>/crash/<UTC stamp>/: dmesg.txt
 * (makedumpfile --dump-dmesg), optionally vmcore, meta.json, kcrash-save.log,
 * and the "done" marker, written last. A folder without "done" is a capture
 * the crash kernel did not finish (power cut, hang, full disk). */
typedef struct KdumpCapture {
        char *path;        /* the folder */
        char *name;        /* <stamp> */
        bool complete;     /* "done" exists */
        char *dmesg;       /* dmesg.txt, NULL when missing */
        size_t dmesg_size;
        uint64_t dmesg_cut_bytes; /* larger than the read limit: this many bytes were cut */
        char *vmcore_path; /* NULL when there is no vmcore */
        uint64_t vmcore_size;
        char *meta_json;   /* meta.json text, NULL when missing or unreadable */
        char *save_log;    /* kcrash-save.log text, NULL when missing or unreadable */
        uint64_t save_log_cut_bytes; /* larger than 1 MiB: this many bytes of its start were cut */
        /* The crash kernel's side files are not the crash: one that cannot
         * be read (not a regular file, meta.json over 1 MiB) is left out
         * with a note, the capture still collected. Negative errno, or 0. */
        int meta_json_error, save_log_error;
        time_t crash_time; /* from the stamp, else the newest file mtime */
} KdumpCapture;

/* A capture folder that cannot be read: left in place, reported. */
typedef struct KdumpBadCapture {
        char *name;
        char *file; /* the file at fault */
        int error;  /* negative errno */
} KdumpBadCapture;

typedef struct KdumpScan {
        KdumpCapture **captures; /* oldest first */
        size_t n_captures;
        KdumpBadCapture *bad;    /* skipped; the rest is still scanned */
        size_t n_bad;
} KdumpScan;

/* Parses "YYYYmmddHHMM[SS]" (UTC) as written by kcrash-save and SteamOS,
 * with kcrash-save's "-<n>" of a second capture in the same second. */
int kdump_parse_stamp(const char *s, time_t *ret);
/* Scans <crash_dir>/<stamp>/ folders; a missing crash_dir is an empty scan.
 * Only regular files are read (a FIFO, device or symlink in a capture makes
 * it bad, never blocks), and a folder that cannot be read is put in bad[]
 * rather than failing the scan. A dmesg.txt larger than max_dmesg_size is
 * read cut (read_cut_fd()). */
int kdump_scan(const char *crash_dir, size_t max_dmesg_size, KdumpScan **ret);
KdumpScan *kdump_scan_free(KdumpScan *s);
