/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect-internal.h"
#include "fileio.h"
#include "hash.h"

/* ---- reboots nobody explained ---- */

int unclean_mark_checked(Collector *c, const char *boot_id) {
        _cleanup_free_ char *p = path_join(c->state_dir, "unclean-checked"), *text = NULL;
        if (!p || asprintf(&text, "BOOT_ID=%s\n", boot_id) < 0)
                return -ENOMEM;
        int r = mkdir_p(c->state_dir, 0755);
        return r < 0 ? r : write_file_atomic(p, text, strlen(text), 0600);
}

/* The BOOT_ID= of a root-owned mark file, or NULL. */
static char *mark_boot_id(const char *path) {
        _cleanup_free_ char *text = NULL;
        if (read_full_file_trusted(path, 4096, &text, NULL) < 0)
                return NULL;
        return os_release_value(text, "BOOT_ID");
}

/* The previous boot's mark (NULL: none) and whether a boot other than the
 * previous and the current one has one. Only root writes these. */
static int read_marks(Collector *c, const char *previous, const char *current, char **ret_previous_mark,
                      bool *ret_other) {
        _cleanup_free_ char *dir = path_in_root(c->opts->root, SHUTDOWN_MARKS_DIR);
        _cleanup_free_ char *legacy_path = path_in_root(c->opts->root, SHUTDOWN_MARK_LEGACY);
        _cleanup_free_ char *previous_mark = NULL, *legacy = NULL, *legacy_boot = NULL;
        bool other = false;
        if (!dir || !legacy_path)
                return -ENOMEM;
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (streq(de->d_name, previous)) {
                        _cleanup_free_ char *p = path_join(dir, de->d_name);
                        if (!p)
                                return -ENOMEM;
                        (void) read_full_file_trusted(p, 4096, &previous_mark, NULL);
                } else if (!streq(de->d_name, current))
                        other = true;
        }
        if (read_full_file_trusted(legacy_path, 4096, &legacy, NULL) >= 0 &&
            (legacy_boot = os_release_value(legacy, "BOOT_ID"))) {
                if (streq(legacy_boot, previous) && !previous_mark)
                        previous_mark = TAKE_PTR(legacy);
                else if (!streq(legacy_boot, current))
                        other = true;
        }
        *ret_previous_mark = TAKE_PTR(previous_mark);
        *ret_other = other;
        return 0;
}

/* Sets c->unclean_boot when the previous boot ended without the clean
 * shutdown mark, and neither this run's crash records nor an earlier check
 * explain it. Returns 1 then, else 0. */
int unclean_check(Collector *c, bool crash_found) {
        _cleanup_free_ char *boot_id_path = path_in_root(c->opts->root, "/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *checked_path = path_join(c->state_dir, "unclean-checked");
        _cleanup_free_ char *current = NULL, *mark = NULL, *checked = NULL;
        if (!boot_id_path || !checked_path)
                return -ENOMEM;
        if (read_one_line_file(boot_id_path, &current) < 0)
                return 0;
        /* This boot's record (saved just before), then the one before it. */
        const BootRecord *cur = boot_records_find_boot(&c->boots, current);
        const BootRecord *prev = cur ? boot_records_find(&c->boots, cur->boot_time - 1) : NULL;
        if (!prev || !prev->boot_id)
                return 0;
        checked = mark_boot_id(checked_path);
        if (streq_ptr(checked, prev->boot_id))
                return 0; /* decided by an earlier run */
        /* No mark at all (kcrash-shutdown.service never ran here): nothing
         * can be told apart, so nothing is reported. */
        bool other_marks = false;
        int r = read_marks(c, prev->boot_id, current, &mark, &other_marks);
        if (r < 0)
                return r;
        if (shutdown_mark_judge(mark, other_marks) != PREVIOUS_BOOT_UNEXPLAINED || crash_found ||
            !c->config->report_unclean_shutdown) {
                r = unclean_mark_checked(c, prev->boot_id);
                if (r < 0)
                        note_problem(c, r, "Cannot write \"%s\"", checked_path);
                return 0;
        }
        r = boot_record_copy(prev, &c->unclean_boot);
        return r < 0 ? r : 1;
}

static int unclean_feed_cb(const JournalEntry *e, void *userdata) {
        return unclean_feed(userdata, e);
}

/* The previous boot's journal: the hints and its kernel messages (the
 * journal tail is added like any report's). The analysis is made here: the
 * title names the strongest hint, the note holds them all. */
int unclean_collect(Collector *c, Members *members, StrList *records, const char *stamp, LogParts *logs,
                           CrashAnalysis **ret) {
        UncleanAnalysis u;
        unclean_init(&u, 0, 400);
        int r = journal_read_boot_in_root(c->opts->root, c->unclean_boot.boot_id, 200000, unclean_feed_cb, &u);
        if (r < 0 && r != -ENOENT && r != -EINVAL)
                (void) strlist_add(&c->messages, "Cannot read the journal of boot %s: %s", c->unclean_boot.boot_id,
                                   strerror(-r));
        r = strlist_add(records, "boot %s", c->unclean_boot.boot_id);
        _cleanup_free_ char *ktext = unclean_tail_text(&u, true);
        if (r >= 0 && ktext && *ktext) {
                size_t klen = strlen(ktext);
                char *owned = TAKE_PTR(ktext);
                /* The member owns the text; the analyser reads it there. */
                r = members_add(members, member_name("dmesg-journal", stamp, "txt"), owned, klen, owned);
                if (r >= 0)
                        r = log_parts_add(logs, owned, klen, true);
        }
        CrashAnalysis *a = calloc(1, sizeof *a);
        char h[SHA256_HEX_SIZE];
        if (!a)
                r = -ENOMEM;
        if (r >= 0) {
                a->title = unclean_title(&u);
                a->type = strdup("UNCLEAN_SHUTDOWN");
                a->report = unclean_summary(&u, c->unclean_boot.boot_id,
                                            (uint64_t) c->unclean_boot.boot_time * 1000000);
                if (!a->title || !a->type || !a->report)
                        r = -ENOMEM;
        }
        /* The same hint on every device groups together. */
        if (r >= 0)
                r = sha256_hex(a->title, strlen(a->title), h);
        if (r >= 0) {
                h[32] = 0;
                if (asprintf(&a->signature, "unclean-%s", h) < 0) {
                        a->signature = NULL;
                        r = -ENOMEM;
                }
        }
        unclean_done(&u);
        if (r < 0) {
                crash_analysis_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* The time an unclean report is filed under: the last journal entry of that
 * boot, else its start. */
static int unclean_last_cb(const JournalEntry *e, void *userdata) {
        *(time_t *) userdata = (time_t) (e->usec / 1000000);
        return 0;
}

time_t unclean_time(Collector *c) {
        time_t last = 0;
        (void) journal_read_boot_in_root(c->opts->root, c->unclean_boot.boot_id, 1, unclean_last_cb, &last);
        return last > c->unclean_boot.boot_time ? last : c->unclean_boot.boot_time;
}
