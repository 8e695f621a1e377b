/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "build-config.h"
#include "dlopen-util.h"
#include "journal.h"
#include "macro.h"

/* libsystemd is loaded when first needed (dlopen-util.h): the collector reads
 * the journal only when it has a crash to report. Below, every sd_journal_*
 * function (also those sd-journal.h's macros call) is the pointer loaded here. */
static typeof(sd_journal_open) *sym_sd_journal_open;
static typeof(sd_journal_open_directory) *sym_sd_journal_open_directory;
static typeof(sd_journal_close) *sym_sd_journal_close;
static typeof(sd_journal_get_data) *sym_sd_journal_get_data;
static typeof(sd_journal_query_unique) *sym_sd_journal_query_unique;
static typeof(sd_journal_restart_unique) *sym_sd_journal_restart_unique;
static typeof(sd_journal_enumerate_available_unique) *sym_sd_journal_enumerate_available_unique;
static typeof(sd_journal_flush_matches) *sym_sd_journal_flush_matches;
static typeof(sd_journal_add_match) *sym_sd_journal_add_match;
static typeof(sd_journal_seek_head) *sym_sd_journal_seek_head;
static typeof(sd_journal_seek_tail) *sym_sd_journal_seek_tail;
static typeof(sd_journal_next) *sym_sd_journal_next;
static typeof(sd_journal_previous) *sym_sd_journal_previous;
static typeof(sd_journal_get_realtime_usec) *sym_sd_journal_get_realtime_usec;
static typeof(sd_journal_send_with_location) *sym_sd_journal_send_with_location;

static const DlopenSymbol libsystemd_symbols[] = {
        DLOPEN_SYMBOL(sd_journal_open),
        DLOPEN_SYMBOL(sd_journal_open_directory),
        DLOPEN_SYMBOL(sd_journal_close),
        DLOPEN_SYMBOL(sd_journal_get_data),
        DLOPEN_SYMBOL(sd_journal_query_unique),
        DLOPEN_SYMBOL(sd_journal_restart_unique),
        DLOPEN_SYMBOL(sd_journal_enumerate_available_unique),
        DLOPEN_SYMBOL(sd_journal_flush_matches),
        DLOPEN_SYMBOL(sd_journal_add_match),
        DLOPEN_SYMBOL(sd_journal_seek_head),
        DLOPEN_SYMBOL(sd_journal_seek_tail),
        DLOPEN_SYMBOL(sd_journal_next),
        DLOPEN_SYMBOL(sd_journal_previous),
        DLOPEN_SYMBOL(sd_journal_get_realtime_usec),
        DLOPEN_SYMBOL(sd_journal_send_with_location),
};

static DlopenLibrary libsystemd = {
        .soname = LIBSYSTEMD_SONAME,
        .symbols = libsystemd_symbols,
        .n_symbols = ELEMENTSOF(libsystemd_symbols),
};

int journal_dlopen(const char **reterr_message) {
        return dlopen_library(&libsystemd, reterr_message);
}

#define sd_journal_open sym_sd_journal_open
#define sd_journal_open_directory sym_sd_journal_open_directory
#define sd_journal_close sym_sd_journal_close
#define sd_journal_get_data sym_sd_journal_get_data
#define sd_journal_query_unique sym_sd_journal_query_unique
#define sd_journal_restart_unique sym_sd_journal_restart_unique
#define sd_journal_enumerate_available_unique sym_sd_journal_enumerate_available_unique
#define sd_journal_flush_matches sym_sd_journal_flush_matches
#define sd_journal_add_match sym_sd_journal_add_match
#define sd_journal_seek_head sym_sd_journal_seek_head
#define sd_journal_seek_tail sym_sd_journal_seek_tail
#define sd_journal_next sym_sd_journal_next
#define sd_journal_previous sym_sd_journal_previous
#define sd_journal_get_realtime_usec sym_sd_journal_get_realtime_usec
#define sd_journal_send_with_location sym_sd_journal_send_with_location

/* sd-journal.h's sd_journal_closep calls the linked symbol: this one calls
 * the loaded one. */
static void journal_closep(sd_journal **j) {
        if (*j)
                sd_journal_close(*j);
}


static int open_journal(const char *directory, sd_journal **ret) {
        int r = journal_dlopen(NULL);
        if (r < 0)
                return r;
        if (directory)
                return sd_journal_open_directory(ret, directory, 0);
        return sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
}

/* The value of a field of the current entry, without "FIELD=", or NULL. */
static char *field(sd_journal *j, const char *name) {
        const void *data;
        size_t len, nl = strlen(name);
        if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= nl)
                return NULL;
        return strndup((const char *) data + nl + 1, len - nl - 1);
}

/* The boot that was running at crash_time: the one whose first entry is the
 * latest not after it (a crash kills the boot, so its last entries come
 * before the crash and the next boot starts after it). */
static int find_boot(sd_journal *j, time_t crash_time, char **ret_boot) {
        const void *data;
        size_t len;
        uint64_t crash_usec = (uint64_t) crash_time * 1000000ULL, best_start = 0;
        char *best = NULL;
        int r = sd_journal_query_unique(j, "_BOOT_ID");
        if (r < 0)
                return r;
        /* Collect the ids first: seeking below resets the unique iteration. */
        char **ids = NULL;
        size_t n = 0;
        SD_JOURNAL_FOREACH_UNIQUE(j, data, len) {
                if (len <= 9 || n >= 4096)
                        continue;
                char **p = realloc(ids, (n + 1) * sizeof *p);
                if (!p)
                        break;
                ids = p;
                ids[n] = strndup((const char *) data + 9, len - 9);
                if (ids[n])
                        n++;
        }
        for (size_t i = 0; i < n; i++) {
                char match[64];
                uint64_t start;
                snprintf(match, sizeof match, "_BOOT_ID=%s", ids[i]);
                sd_journal_flush_matches(j);
                if (sd_journal_add_match(j, match, 0) < 0 || sd_journal_seek_head(j) < 0 ||
                    sd_journal_next(j) <= 0 || sd_journal_get_realtime_usec(j, &start) < 0)
                        continue;
                if (start <= crash_usec && (!best || start > best_start)) {
                        best = ids[i];
                        best_start = start;
                }
        }
        sd_journal_flush_matches(j);
        r = best ? 0 : -ENOENT;
        if (best)
                *ret_boot = strdup(best);
        for (size_t i = 0; i < n; i++)
                free(ids[i]);
        free(ids);
        if (r >= 0 && !*ret_boot)
                return -ENOMEM;
        return r;
}

/* Matches the entries of boot BOOT_ID (32 hex digits) and steps back from
 * the journal's end over at most max of them; *ret_back says how many. */
static int seek_boot_tail(sd_journal *j, const char *boot_id, unsigned max, unsigned *ret_back) {
        char match[64];
        snprintf(match, sizeof match, "_BOOT_ID=%s", boot_id);
        int r = sd_journal_add_match(j, match, 0);
        if (r < 0)
                return r;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        unsigned back = 0;
        while (back < max && (r = sd_journal_previous(j)) > 0)
                back++;
        if (r < 0)
                return r;
        *ret_back = back;
        return 0;
}

int journal_tail_for_time(const char *directory, time_t crash_time, unsigned max_lines, char **ret_text) {
        _cleanup_(journal_closep) sd_journal *j = NULL;
        _cleanup_free_ char *boot = NULL;
        int r;

        r = open_journal(directory, &j);
        if (r < 0)
                return r;
        r = find_boot(j, crash_time, &boot);
        if (r < 0)
                return r;
        unsigned back;
        r = seek_boot_tail(j, boot, max_lines, &back);
        if (r < 0)
                return r;

        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        /* We are on the oldest of the entries to print. */
        for (unsigned i = 0; i < back; i++) {
                if (i > 0 && sd_journal_next(j) <= 0)
                        break;
                uint64_t usec = 0;
                (void) sd_journal_get_realtime_usec(j, &usec);
                time_t t = (time_t) (usec / 1000000);
                struct tm tm;
                char when[40] = "?";
                if (gmtime_r(&t, &tm))
                        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
                _cleanup_free_ char *ident = field(j, "SYSLOG_IDENTIFIER"), *comm = NULL, *pid = field(j, "_PID"),
                                    *msg = field(j, "MESSAGE");
                if (!ident)
                        comm = field(j, "_COMM");
                const char *who = ident ? ident : comm ? comm : "kernel";
                if (pid)
                        fprintf(f, "%s %s[%s]: %s\n", when, who, pid, msg ? msg : "");
                else
                        fprintf(f, "%s %s: %s\n", when, who, msg ? msg : "");
        }
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret_text = out;
        return 0;
}

int journal_log_collected(const char *report_id, const char *title, const char *signature, const char *source,
                          const char *path) {
        int r = journal_dlopen(NULL);
        if (r < 0)
                return r;
        return sd_journal_send("MESSAGE=Collected kernel crash report %s: %s", report_id,
                               title && *title ? title : "(no title)",
                               "MESSAGE_ID=" KCRASH_MESSAGE_COLLECTED, "PRIORITY=%d", 4,
                               "KCRASH_REPORT_ID=%s", report_id, "KCRASH_TITLE=%s", strempty(title),
                               "KCRASH_SIGNATURE=%s", strempty(signature), "KCRASH_SOURCE=%s", strempty(source),
                               "KCRASH_PATH=%s", strempty(path), NULL);
}

int journal_log_upload(const char *report_id, const char *title, const char *signature, const char *gid,
                       const char *error) {
        int r = journal_dlopen(NULL);
        if (r < 0)
                return r;
        if (!error)
                return sd_journal_send("MESSAGE=Uploaded kernel crash report %s (gid %s)", report_id, strempty(gid),
                                       "MESSAGE_ID=" KCRASH_MESSAGE_UPLOADED, "PRIORITY=%d", 6,
                                       "KCRASH_REPORT_ID=%s", report_id, "KCRASH_TITLE=%s", strempty(title),
                                       "KCRASH_SIGNATURE=%s", strempty(signature), "KCRASH_GID=%s", strempty(gid),
                                       NULL);
        return sd_journal_send("MESSAGE=Upload of kernel crash report %s failed: %s", report_id, error,
                               "MESSAGE_ID=" KCRASH_MESSAGE_UPLOAD_FAILED, "PRIORITY=%d", 4,
                               "KCRASH_REPORT_ID=%s", report_id, "KCRASH_TITLE=%s", strempty(title),
                               "KCRASH_SIGNATURE=%s", strempty(signature), "KCRASH_ERROR=%s", error, NULL);
}

int journal_read_boot(const char *directory, const char *boot_id, unsigned max_entries,
                      int (*cb)(const JournalEntry *e, void *userdata), void *userdata) {
        _cleanup_(journal_closep) sd_journal *j = NULL;
        int r;

        /* boot ids are written with dashes in /proc, without in the journal */
        char id[33];
        size_t n = 0;
        for (const char *p = boot_id; *p && n < 32; p++)
                if (*p != '-')
                        id[n++] = *p;
        id[n] = 0;
        if (n != 32)
                return -EINVAL;
        r = open_journal(directory, &j);
        if (r < 0)
                return r;
        unsigned back;
        r = seek_boot_tail(j, id, max_entries, &back);
        if (r < 0)
                return r;
        if (back == 0)
                return -ENOENT;
        for (unsigned i = 0; i < back; i++) {
                if (i > 0 && (r = sd_journal_next(j)) <= 0)
                        return r;
                uint64_t usec = 0;
                (void) sd_journal_get_realtime_usec(j, &usec);
                _cleanup_free_ char *transport = field(j, "_TRANSPORT"), *ident = field(j, "SYSLOG_IDENTIFIER"),
                                    *facility = field(j, "SYSLOG_FACILITY"),
                                    *comm = NULL, *pid = field(j, "_PID"), *unit = field(j, "UNIT"),
                                    *mid = field(j, "MESSAGE_ID"), *msg = field(j, "MESSAGE");
                if (!ident)
                        comm = field(j, "_COMM");
                JournalEntry e = {
                        .usec = usec,
                        /* journald gives every /dev/kmsg record
                         * _TRANSPORT=kernel, also what user space wrote
                         * there (facility >= 1, journald-kmsg.c): only
                         * facility 0 is the kernel's. */
                        .kernel = streq_ptr(transport, "kernel") && (!facility || streq(facility, "0")),
                        .identifier = ident ? ident : comm,
                        .pid = pid,
                        .unit = unit,
                        .message_id = mid,
                        .message = msg,
                };
                r = cb(&e, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}
