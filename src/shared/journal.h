/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The systemd journal: the only module that uses sd-journal. libsystemd is
 * loaded on the first call (dlopen-util.h): every function returns
 * -EOPNOTSUPP or -ELIBBAD when it cannot be; journal_dlopen() loads it ahead
 * and says why not. */

/* Loads libsystemd now: 0, or -EOPNOTSUPP/-ELIBBAD with *reterr_message
 * naming the library and the cause. */
int journal_dlopen(const char **reterr_message);

/* kcrash's message ids (catalog/kcrash.catalog documents them). */
#define KCRASH_MESSAGE_COLLECTED "c91a43b9f97f47b68c44fa0ecbd3f052"
#define KCRASH_MESSAGE_UPLOADED "3ab658fbce864b8290e9610cb8aca899"
#define KCRASH_MESSAGE_UPLOAD_FAILED "f47464b393974a18b7acb5e9250a6f80"

/* The last max_lines entries of the boot that was running at crash_time, as
 * "2026-11-22T08:13:20+00:00 identifier[pid]: message" lines. directory NULL
 * means the system journal. -ENOENT when no boot in the journal started
 * before crash_time. */
int journal_tail_for_time(const char *directory, time_t crash_time, unsigned max_lines, char **ret_text);

/* One journal entry as journal_read_boot() hands it out; the strings live
 * until the callback returns. */
typedef struct JournalEntry {
        uint64_t usec;            /* realtime */
        bool kernel;              /* _TRANSPORT=kernel and facility 0 (set by journald, not by clients) */
        const char *identifier;   /* SYSLOG_IDENTIFIER or _COMM */
        const char *pid;
        const char *unit;         /* UNIT= of systemd's own messages about a unit */
        const char *message_id;   /* MESSAGE_ID */
        const char *message;
} JournalEntry;

/* Calls cb for the last max_entries entries of the boot boot_id (32 hex
 * digits), oldest first. directory NULL means the system journal. -ENOENT
 * when the journal holds no entry of that boot. */
int journal_read_boot(const char *directory, const char *boot_id, unsigned max_entries,
                      int (*cb)(const JournalEntry *e, void *userdata), void *userdata);

/* One structured entry per collected report. */
int journal_log_collected(const char *report_id, const char *title, const char *signature, const char *source,
                          const char *path);
/* One structured entry per upload outcome; error NULL means success. */
int journal_log_upload(const char *report_id, const char *title, const char *signature, const char *gid,
                       const char *error);
