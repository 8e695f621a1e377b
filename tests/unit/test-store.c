/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-server's store: what the query plans of its periodic work are. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "store-internal.h"
#include "tests.h"

static char *index_sql(Store *s, const char *name) {
        sqlite3_stmt *st = NULL;
        ASSERT_EQ(sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", -1, &st,
                                     NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        char *sql = sqlite3_step(st) == SQLITE_ROW ? strdup((const char *) sqlite3_column_text(st, 0)) : NULL;
        sqlite3_finalize(st);
        return sql;
}

/* True when sqlite's plan for sql reads a whole table: a "SCAN" step,
 * unless it walks a partial index (which holds only the rows it names).
 * A scan in an index's order ("SCAN reports USING INDEX reports_created")
 * still reads every row; "SCAN CONSTANT ROW" reads none. */
static bool plan_scans_a_table(Store *s, const char *sql, char **ret_detail) {
        _cleanup_free_ char *explain = NULL;
        ASSERT_TRUE(asprintf(&explain, "EXPLAIN QUERY PLAN %s", sql) > 0);
        sqlite3_stmt *st = NULL;
        ASSERT_EQ(sqlite3_prepare_v2(s->db, explain, -1, &st, NULL), SQLITE_OK);
        bool scans = false;
        while (!scans && sqlite3_step(st) == SQLITE_ROW) {
                const char *detail = (const char *) sqlite3_column_text(st, 3);
                if (!detail || !startswith(detail, "SCAN ") || streq(detail, "SCAN CONSTANT ROW"))
                        continue;
                const char *idx = strstr(detail, "INDEX ");
                if (idx) {
                        _cleanup_free_ char *name = strndup(idx + 6, strcspn(idx + 6, " ")), *isql = NULL;
                        isql = index_sql(s, name);
                        if (isql && strstr(isql, " WHERE "))
                                continue; /* a partial index */
                }
                scans = true;
                *ret_detail = strdup(detail);
        }
        sqlite3_finalize(st);
        return scans;
}

/* Fails the test when any of the statements reads a whole table. */
static void assert_no_table_scans(Store *s, const char *const *sqls, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char *detail = NULL;
                if (plan_scans_a_table(s, sqls[i], &detail))
                        test_fail(__FILE__, __LINE__, "\"%s\" reads a whole table: %s", sqls[i], detail);
        }
}

/* The sweeper runs every 30 s under the store's lock, the bucket backfill
 * on every open under the write lock: on a store of 1,000,000 reports a
 * statement that reads the whole table holds every upload for over a
 * second (bench/console_bench.py). */
TEST(sweeper_reads_only_rows_in_flight) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        const char *const sweep[] = { SWEEP_STARTED_SQL, SWEEP_UPLOADED_DUPLICATES_SQL, SWEEP_UPLOADED_OWNERS_SQL,
                                      SWEEP_EXPIRED_SQL, BACKFILL_SQL, PENDING_STARTS_OF_KEY_SQL };
        assert_no_table_scans(s, sweep, ELEMENTSOF(sweep));
        /* The check sees a scan: without its indexes, the first one is. */
        ASSERT_EQ(sqlite3_exec(s->db, "DROP INDEX reports_started; DROP INDEX reports_started_key;", NULL, NULL, NULL),
                  SQLITE_OK);
        char *detail = NULL;
        ASSERT_TRUE(plan_scans_a_table(s, SWEEP_STARTED_SQL, &detail));
        ASSERT_STREQ(detail, "SCAN reports");
        free(detail);
        store_close(s);
}

/* A retention batch reads only the finished reports that still have their
 * ZIP (reports_keeping): through reports_bucket it read the bucket's whole
 * history, the expired rows too, at every batch (review: 200,000 reports
 * to expire took 17 s, a history of 1,000,000 0.3 s a run). */
static bool plan_uses_index(Store *s, const char *sql, const char *index) {
        _cleanup_free_ char *explain = NULL;
        ASSERT_TRUE(asprintf(&explain, "EXPLAIN QUERY PLAN %s", sql) > 0);
        sqlite3_stmt *st = NULL;
        ASSERT_EQ(sqlite3_prepare_v2(s->db, explain, -1, &st, NULL), SQLITE_OK);
        bool uses = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *detail = (const char *) sqlite3_column_text(st, 3);
                uses |= detail && strstr(detail, index) != NULL;
        }
        sqlite3_finalize(st);
        return uses;
}

TEST(retention_batches_read_only_reports_with_their_zip) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        ASSERT_TRUE(plan_uses_index(s, RETAIN_BATCH_SQL, "reports_keeping"));
        store_close(s);
}

/* A store made before the partial indexes gets them on open, and the
 * lookups by those columns still go through them. */
TEST(whole_indexes_become_partial) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        ASSERT_EQ(sqlite3_exec(s->db, "DROP INDEX reports_sha; CREATE INDEX reports_sha ON reports(sha256);", NULL, NULL,
                               NULL), SQLITE_OK);
        store_close(s);
        ASSERT_OK(store_open(dir, &s));
        _cleanup_free_ char *sql = index_sql(s, "reports_sha");
        ASSERT_STREQ(sql, "CREATE INDEX reports_sha ON reports(sha256) WHERE sha256 IS NOT NULL");
        const char *const lookups[] = { "SELECT gid FROM reports WHERE sha256 = ?1 AND gid != ?2 AND dup_of IS NULL",
                                        "SELECT 1 FROM reports WHERE dup_of = ?1",
                                        "SELECT gid FROM reports WHERE bucket_id IN (SELECT ?1 UNION ALL SELECT 2)",
                                        "SELECT gid FROM reports WHERE serial = ?1 ORDER BY created DESC" };
        assert_no_table_scans(s, lookups, ELEMENTSOF(lookups));
        store_close(s);
}

/* What --max-store-size counts besides the ZIPs: the index's pages in use,
 * where every report's fields live (a Start never PUT held up to 384 KiB of
 * index for two hours uncounted, a duplicate report holds as much for good
 * with no ZIP of its own: attack reviews). A swept Start gives its pages
 * back. */
TEST(the_index_counts_toward_the_store) {
        _cleanup_free_ char *dir = test_tmpdir();
        static char stack[60001], note[501], form[2001];
        memset(stack, 's', sizeof stack - 1);
        memset(note, 'n', sizeof note - 1);
        memset(form, 'f', sizeof form - 1);
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        uint64_t empty = store_used_bytes(s);
        ASSERT_TRUE(empty > 0); /* the schema's own pages */
        /* an old shell client: its raw form is kept too */
        StartFields old_client = { .stack = stack, .note = note, .size = 10, .unencoded = true, .form_raw = form,
                                   .form_raw_size = 2000 };
        ASSERT_EQ(store_start_text_bytes(&old_client), 62500u);
        ASSERT_OK(store_start(s, "11", &old_client));
        uint64_t one = store_used_bytes(s);
        ASSERT_TRUE(one >= empty + 56000); /* pages of 4 KiB: some of it fits on pages there were */
        /* once PUT it still takes its room */
        ASSERT_EQ(sqlite3_exec(s->db, "UPDATE reports SET state = 'uploaded' WHERE gid = '11'", NULL, NULL, NULL),
                  SQLITE_OK);
        ASSERT_EQ(store_used_bytes(s), one);
        StartFields encoded = { .stack = stack, .size = 10 };
        ASSERT_OK(store_start(s, "13", &encoded));
        ASSERT_TRUE(store_used_bytes(s) >= one + 56000);
        /* the Start with its URL expired goes at the first age, its pages free */
        unsigned removed = 0;
        ASSERT_OK(store_sweep(s, -10, 3600, &removed));
        ASSERT_EQ(removed, 1u);
        ASSERT_TRUE(store_used_bytes(s) <= one + 8192);
        store_close(s);
}

/* Retention drops a report's long fields with its ZIP, so a store whose
 * index filled --max-store-size gets room back (attack review: nothing
 * shipped could free it). */
TEST(retention_frees_the_index) {
        _cleanup_free_ char *dir = test_tmpdir();
        static char stack[60001];
        memset(stack, 's', sizeof stack - 1);
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        int64_t now = (int64_t) time(NULL);
        const char *gids[] = { "31", "33" };
        for (size_t i = 0; i < 2; i++) {
                ASSERT_OK(store_start(s, gids[i], &(StartFields) { .stack = stack, .note = "n", .size = 10,
                                                                   .created = now - 100 + (int64_t) i }));
                ASSERT_OK(exec_bind(s, "UPDATE reports SET state = 'uploaded', sha256 = ? WHERE gid = ?", "ss",
                                    gids[i], gids[i]) == 1 ? 0 : -EIO);
                ASSERT_OK(store_finish(s, gids[i], &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }));
        }
        uint64_t before = store_used_bytes(s);
        unsigned dropped = 0;
        ASSERT_OK(store_retain(s, 1, now, &dropped));
        ASSERT_TRUE(store_used_bytes(s) + 56000 <= before);
        ReportRow row;
        ASSERT_OK(store_get(s, "31", &row));
        ASSERT_TRUE(row.zip_expired);
        ASSERT_TRUE(row.stack == NULL);
        ASSERT_STREQ(row.title, "BUG: t");
        report_row_done(&row);
        ASSERT_OK(store_get(s, "33", &row));
        ASSERT_TRUE(!row.zip_expired);
        ASSERT_TRUE(row.stack != NULL);
        report_row_done(&row);
        store_close(s);
}

/* One address (rate key) holds at most max_pending Starts not yet PUT. */
TEST(pending_starts_per_key_are_bounded) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        StartFields f = { .size = 10, .rate_key = "192.0.2.1", .max_pending = 2 };
        ASSERT_OK(store_start(s, "21", &f));
        ASSERT_OK(store_start(s, "23", &f));
        ASSERT_ERR(store_start(s, "25", &f), -EDQUOT);
        /* another key is not held back; a PUT frees a place */
        ASSERT_OK(store_start(s, "27", &(StartFields) { .size = 10, .rate_key = "192.0.2.2", .max_pending = 2 }));
        ASSERT_EQ(sqlite3_exec(s->db, "UPDATE reports SET state = 'uploaded' WHERE gid = '21'", NULL, NULL, NULL),
                  SQLITE_OK);
        ASSERT_OK(store_start(s, "29", &f));
        char state[16];
        uint64_t size;
        ASSERT_ERR(store_slot(s, "25", state, &size), -ENOENT);
        store_close(s);
}

/* A Start whose PUT is under way (its .part in incoming/) is not swept
 * when its URL expires, only at the second age. */
TEST(start_with_put_under_way_waits) {
        _cleanup_free_ char *dir = test_tmpdir(), *part = NULL;
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        ASSERT_OK(store_start(s, "15", &(StartFields) { .size = 10 }));
        ASSERT_TRUE(asprintf(&part, "%s/incoming/15.part", dir) > 0);
        int fd = -1;
        ASSERT_OK(store_put_open(s, "15", 10, &fd));
        close(fd);
        ASSERT_OK(access(part, F_OK));
        unsigned removed = 0;
        ASSERT_OK(store_sweep(s, -10, 3600, &removed));
        ASSERT_EQ(removed, 0u);
        char state[16];
        uint64_t size;
        ASSERT_OK(store_slot(s, "15", state, &size));
        ASSERT_OK(store_sweep(s, -10, -10, &removed));
        ASSERT_EQ(removed, 1u);
        ASSERT_EQ(store_slot(s, "15", state, &size), -ENOENT);
        ASSERT_EQ(access(part, F_OK), -1);
        store_close(s);
}

/* A PUT begins with the slot checked and its .part made in one step: one
 * that comes after the sweeper took the slot makes none (the sweeper keeps
 * only a slot whose .part exists, so a .part made after its check would be
 * a PUT into a slot that is gone), a second PUT of a slot is refused while
 * the first is under way and once it stored. */
TEST(put_open_checks_the_slot_and_makes_its_part) {
        _cleanup_free_ char *dir = test_tmpdir(), *part = NULL, *zip = NULL;
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        ASSERT_TRUE(asprintf(&part, "%s/incoming/31.part", dir) > 0);
        int fd = -1;
        ASSERT_ERR(store_put_open(s, "31", 10, &fd), -ENOENT);
        ASSERT_OK(store_start(s, "31", &(StartFields) { .size = 10 }));
        ASSERT_ERR(store_put_open(s, "31", 11, &fd), -ENOENT);
        ASSERT_EQ(fd, -1);

        /* the sweeper took the slot (its URL expired, no .part): no PUT begins */
        unsigned removed = 0;
        ASSERT_OK(store_sweep(s, -10, 3600, &removed));
        ASSERT_EQ(removed, 1u);
        ASSERT_ERR(store_put_open(s, "31", 10, &fd), -ENOENT);
        ASSERT_EQ(access(part, F_OK), -1);

        ASSERT_OK(store_start(s, "33", &(StartFields) { .size = 10 }));
        ASSERT_OK(store_put_open(s, "33", 10, &fd));
        ASSERT_TRUE(fd >= 0);
        int second = -1;
        ASSERT_ERR(store_put_open(s, "33", 10, &second), -EEXIST);
        ASSERT_EQ((int) write(fd, "0123456789", 10), 10);
        close(fd);
        ASSERT_OK(store_uploaded(s, "33", "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"));
        zip = store_zip_path(s, "33");
        ASSERT_TRUE(zip && strstr(zip, "/reports/33.zip"));
        ASSERT_OK(access(zip, F_OK));
        ASSERT_ERR(store_put_open(s, "33", 10, &second), -EALREADY);
        ASSERT_EQ(second, -1);

        /* a PUT that did not store leaves no .part; the slot stays usable */
        ASSERT_OK(store_start(s, "35", &(StartFields) { .size = 10 }));
        ASSERT_OK(store_put_open(s, "35", 10, &fd));
        close(fd);
        store_put_abandon(s, "35");
        ASSERT_OK(store_put_open(s, "35", 10, &fd));
        close(fd);
        store_close(s);
}

/* Stores data as gid's ZIP the way a PUT does. */
static void put_zip(Store *s, const char *gid, const char *data, const char *sha256) {
        int fd = -1;
        ASSERT_OK(store_put_open(s, gid, strlen(data), &fd));
        ASSERT_EQ((int) write(fd, data, strlen(data)), (int) strlen(data));
        close(fd);
        ASSERT_OK(store_uploaded(s, gid, sha256));
}

/* A report of the bucket "BUG: t" uploaded (and finished, when finish)
 * the way a device does it, its Start made `age` seconds ago. */
static void upload(Store *s, const char *gid, const char *data, const char *sha256, int64_t age, bool finish) {
        ASSERT_OK(store_start(s, gid, &(StartFields) { .size = strlen(data), .created = (int64_t) time(NULL) - age,
                                                       .stack = "a stack" }));
        put_zip(s, gid, data, sha256);
        if (finish)
                ASSERT_OK(store_finish(s, gid, &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }));
}

static bool zip_exists(Store *s, const char *gid) {
        _cleanup_free_ char *p = store_zip_path(s, gid);
        return p && access(p, F_OK) >= 0;
}

/* An upload never finished (41) whose ZIP a finished duplicate (43) uses:
 * the sweeper expires 41 and keeps the ZIP for 43; once the retention
 * expired 43's ZIP too, the ZIP goes with 41's row. Before, 41 was kept
 * for as long as any row named it, 43 expired or not: the ZIP and its
 * bytes stayed for good (attack review: a device that retries after a
 * lost Finish pins its ZIP out of the retention's reach). */
TEST(expired_upload_goes_with_its_last_keeper) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        int64_t now = (int64_t) time(NULL);
        upload(s, "41", "0123456789", "aa", 100, false);
        /* its Finish was lost; the device sends the same ZIP again */
        upload(s, "43", "0123456789", "aa", 90, true);
        upload(s, "45", "abcdefghij", "cc", 80, true);
        ASSERT_EQ(s->zip_bytes, 20u);

        unsigned removed = 0, dropped = 0;
        ASSERT_OK(store_sweep(s, -10, -10, &removed)); /* 41 expired, its ZIP kept for 43 */
        ASSERT_TRUE(zip_exists(s, "41"));
        ReportRow row;
        ASSERT_OK(store_get(s, "41", &row));
        ASSERT_STREQ(row.state, "expired");
        ASSERT_TRUE(row.stack == NULL); /* never shown: its long fields go at once */
        report_row_done(&row);
        ASSERT_OK(store_retain(s, 1, now + 10, &dropped)); /* 43's ZIP expires */
        ASSERT_OK(store_sweep(s, -10, -10, &removed));
        ASSERT_TRUE(!zip_exists(s, "41"));
        ASSERT_ERR(store_get(s, "41", &row), -ENOENT);
        ASSERT_TRUE(zip_exists(s, "45"));
        ASSERT_EQ(s->zip_bytes, 10u);
        store_close(s);
        /* what a reopen counts is what the files are */
        ASSERT_OK(store_open(dir, &s));
        ASSERT_EQ(s->zip_bytes, 10u);
        store_close(s);
}

/* A finished owner (51) whose ZIP the retention expired while a duplicate
 * (53) still keeps it: the file stays and counts, after a reopen too;
 * when 53 expires, the file goes and is counted out once. Before, a
 * reopen counted it out while it was on disk (attack review: 10 bytes
 * counted for 20 on disk). */
TEST(zip_kept_for_a_duplicate_counts_after_a_reopen) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        int64_t now = (int64_t) time(NULL);
        upload(s, "51", "AAAAAAAAAA", "aa", 100, true);
        upload(s, "53", "AAAAAAAAAA", "aa", 99, true);
        upload(s, "55", "CCCCCCCCCC", "cc", 98, true);
        unsigned dropped = 0;
        ASSERT_OK(store_retain(s, 2, now + 10, &dropped)); /* 51 expired; its ZIP kept for 53 */
        ASSERT_EQ(dropped, 0u);
        ASSERT_TRUE(zip_exists(s, "51"));
        ASSERT_EQ(s->zip_bytes, 20u);
        store_close(s);
        ASSERT_OK(store_open(dir, &s));
        ASSERT_EQ(s->zip_bytes, 20u);
        ASSERT_OK(store_retain(s, 1, now + 10, &dropped));
        ASSERT_EQ(dropped, 1u);
        ASSERT_TRUE(!zip_exists(s, "51"));
        ASSERT_EQ(s->zip_bytes, 10u);
        store_close(s);
        ASSERT_OK(store_open(dir, &s));
        ASSERT_EQ(s->zip_bytes, 10u);
        store_close(s);
}

/* A duplicate under way (63, never finished) was the last keeper of a ZIP
 * whose owner (61) the retention expired: when the sweeper removes it, the
 * ZIP goes too (before, the file stayed, counted by no one). */
TEST(sweeper_frees_a_zip_whose_last_keeper_never_finished) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        int64_t now = (int64_t) time(NULL);
        upload(s, "61", "0123456789", "aa", 100, true);
        upload(s, "63", "0123456789", "aa", 90, false);
        unsigned dropped = 0, removed = 0;
        ASSERT_OK(store_retain(s, 0, now + 10, &dropped));
        ASSERT_EQ(dropped, 0u); /* 63 keeps it */
        ASSERT_TRUE(zip_exists(s, "61"));
        ASSERT_OK(store_sweep(s, -10, -10, &removed));
        ASSERT_EQ(removed, 1u);
        ASSERT_TRUE(!zip_exists(s, "61"));
        ASSERT_EQ(s->zip_bytes, 0u);
        store_close(s);
}

/* The retention of another process (kcrash-server retain, beside the
 * running server) frees room for the server at its next sweep: before,
 * the server's count stayed until it restarted and it answered 507 to
 * every device meanwhile (attack review). */
TEST(another_process_frees_room_at_the_next_sweep) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *server = NULL, *cli = NULL;
        ASSERT_OK(store_open(dir, &server));
        int64_t now = (int64_t) time(NULL);
        upload(server, "71", "0123456789", "aa", 100, true);
        ASSERT_OK(store_open(dir, &cli));
        unsigned dropped = 0, removed = 0;
        ASSERT_OK(store_retain(cli, 0, now + 10, &dropped));
        ASSERT_EQ(dropped, 1u);
        store_close(cli);
        ASSERT_EQ(server->zip_bytes, 10u);
        ASSERT_OK(store_sweep(server, 3600, 3600, &removed));
        ASSERT_EQ(server->zip_bytes, 0u);
        store_close(server);
}

/* ---- interleavings and crashes, forced through interposed libc calls ---- */

/* When set, access() of a path ending so runs this store's retention
 * (another process's, kcrash-server retain) right after it. */
static Store *hook_other;
static const char *hook_path_end;
/* When set, the process dies right after removing a stored ZIP. */
static bool die_after_zip_unlink;
/* When set, runs after unlink() of a path ending so. */
static const char *unlink_hook_end;
static void (*unlink_hook)(void);
/* Successful fsync() calls so far, and at each stored ZIP's removal the
 * count then (the last one's). */
static unsigned fsyncs_done;
static char last_zip_unlinked[32];
static unsigned fsyncs_at_last_zip_unlink;

int access(const char *path, int mode) {
        int r = (int) syscall(SYS_faccessat, AT_FDCWD, path, mode);
        size_t l = strlen(path), e = hook_path_end ? strlen(hook_path_end) : 0;
        if (hook_other && hook_path_end && l >= e && streq(path + l - e, hook_path_end)) {
                Store *other = hook_other;
                unsigned dropped = 0;
                hook_other = NULL;
                (void) store_retain(other, 0, (int64_t) time(NULL) + 10, &dropped);
        }
        return r;
}

int unlink(const char *path) {
        int r = (int) syscall(SYS_unlinkat, AT_FDCWD, path, 0);
        if (strstr(path, "/reports/") && strstr(path, ".zip")) {
                if (die_after_zip_unlink)
                        _exit(0); /* as a SIGKILL, an OOM kill or a power cut would */
                snprintf(last_zip_unlinked, sizeof last_zip_unlinked, "%s", strrchr(path, '/') + 1);
                fsyncs_at_last_zip_unlink = fsyncs_done;
        }
        size_t l = strlen(path), e = unlink_hook_end ? strlen(unlink_hook_end) : 0;
        if (unlink_hook && unlink_hook_end && l >= e && streq(path + l - e, unlink_hook_end)) {
                void (*f)(void) = unlink_hook;
                unlink_hook = NULL;
                f();
        }
        return r;
}

static uint64_t bytes_on_disk(const char *dir) {
        _cleanup_free_ char *reports = path_join(dir, "reports");
        DIR *d = opendir(reports);
        ASSERT_TRUE(d != NULL);
        uint64_t sum = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) >= 0)
                        sum += (uint64_t) st.st_size;
        }
        closedir(d);
        return sum;
}

/* Every report that shows its ZIP (being uploaded or finished, not
 * expired) has it in reports/. */
static void assert_no_report_lost_its_zip(Store *s, const char *what) {
        sqlite3_stmt *st = NULL;
        ASSERT_EQ(sqlite3_prepare_v2(s->db,
                                     "SELECT gid, coalesce(dup_of, gid) FROM reports WHERE " KEEPS_ZIP("reports"),
                                     -1, &st, NULL),
                  SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
                if (!zip_exists(s, (const char *) sqlite3_column_text(st, 1)))
                        test_fail(__FILE__, __LINE__, "%s: report %s lost its ZIP (%s)", what,
                                  sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
}

/* Another process's retention (kcrash-server retain) between a new
 * duplicate's check of its owner's ZIP and the row that makes it a
 * duplicate: before, the retention removed the ZIP in between and the new
 * report was finished without one (attack review). The check and the row
 * are now one transaction, which the other process's waits for (here: in
 * vain, as both run in this thread, and its retention fails). */
TEST(other_process_retention_cannot_remove_a_zip_being_taken_up) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL, *other = NULL;
        ASSERT_OK(store_open(dir, &s));
        ASSERT_OK(store_open(dir, &other));
        upload(s, "81", "0123456789", "aa", 100, true);
        ASSERT_OK(store_start(s, "83", &(StartFields) { .size = 10 }));
        hook_other = other, hook_path_end = "/reports/81.zip";
        put_zip(s, "83", "0123456789", "aa");
        hook_other = NULL;
        ASSERT_OK(store_finish(s, "83", &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }));
        assert_no_report_lost_its_zip(s, "after the interleaving");
        store_close(other);
        store_close(s);
}

/* The retention killed once it removed a ZIP: before, it removed the file
 * inside its transaction, and the killed transaction rolled back to a
 * report that keeps a ZIP no longer there (attack review). Now the rows are
 * committed and durable first: a kill leaves at worst a stray file, which
 * nothing counts. */
TEST(retention_killed_after_removing_a_zip_loses_no_report) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        upload(s, "91", "0123456789", "aa", 100, true);
        upload(s, "93", "abcdefghij", "bb", 90, true);
        store_close(s);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                Store *c = NULL;
                unsigned dropped = 0;
                if (store_open(dir, &c) < 0)
                        _exit(2);
                die_after_zip_unlink = true;
                (void) store_retain(c, 0, (int64_t) time(NULL) + 10, &dropped);
                _exit(3); /* not reached: it removes a ZIP */
        }
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_OK(store_open(dir, &s));
        assert_no_report_lost_its_zip(s, "after the kill");
        ASSERT_TRUE(s->zip_bytes <= bytes_on_disk(dir));
        /* the ZIP it had not removed yet is still listed: the next sweep
         * removes it (it stayed for good) */
        unsigned removed = 0;
        ASSERT_OK(store_sweep(s, 3600, 3600, &removed));
        ASSERT_EQ(bytes_on_disk(dir), 0u);
        ASSERT_EQ(s->zip_bytes, 0u);
        store_close(s);
}

/* A sync of the store's files that fails: the released ZIPs are not removed
 * (their rows may not be on disk) but stay listed; no process removes any
 * or acknowledges a Finish (Linux may report a later sync good although the
 * failed one's pages never reached the disk: a review showed another
 * process's sync succeed after this one's failed) until the operator, the
 * disk checked, removes <data>/sync-failed. Before, the ZIPs were removed
 * anyway, or, once the sync failed, left on disk for good. */
static int fail_fsyncs;
static bool die_in_fsync;

int fsync(int fd) {
        if (die_in_fsync)
                _exit(0); /* killed before the sync */
        if (fail_fsyncs > 0) {
                fail_fsyncs--;
                errno = EIO;
                return -1;
        }
        int r = (int) syscall(SYS_fsync, fd);
        if (r >= 0)
                fsyncs_done++;
        return r;
}

TEST(failed_sync_keeps_released_zips_listed) {
        _cleanup_free_ char *dir = test_tmpdir(), *marker = path_join(dir, "sync-failed");
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        upload(s, "95", "0123456789", "aa", 100, true);
        upload(s, "97", "abcdefghij", "bb", 90, false);
        unsigned dropped = 0, removed = 0;
        fail_fsyncs = 1;
        ASSERT_ERR(store_retain(s, 0, (int64_t) time(NULL) + 10, &dropped), -EIO);
        fail_fsyncs = 0;
        ASSERT_TRUE(zip_exists(s, "95"));
        ASSERT_EQ(s->zip_bytes, 10u); /* 95 released all the same */
        ASSERT_OK(access(marker, F_OK));
        ASSERT_ERR(store_sweep(s, 3600, 3600, &removed), -EIO);
        ASSERT_ERR(store_finish(s, "97", &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }), -EIO);
        /* refused before it commits: a device's retries would each count
         * the report again (review: one crash made 4 finished reports) */
        ReportRow row;
        ASSERT_OK(store_get(s, "97", &row));
        ASSERT_STREQ(row.state, "uploaded");
        report_row_done(&row);
        /* nor is a PUT acknowledged, a duplicate's either */
        ASSERT_OK(store_start(s, "99", &(StartFields) { .size = 10 }));
        int fd = -1;
        ASSERT_OK(store_put_open(s, "99", 10, &fd));
        ASSERT_EQ((int) write(fd, "abcdefghij", 10), 10);
        close(fd);
        ASSERT_ERR(store_uploaded(s, "99", "bb"), -EIO);
        store_put_abandon(s, "99");
        store_close(s);
        /* another process (or this one restarted) does not either */
        ASSERT_OK(store_open(dir, &s));
        ASSERT_TRUE(store_sync_failed(s));
        ASSERT_ERR(store_sweep(s, 3600, 3600, &removed), -EIO);
        ASSERT_TRUE(zip_exists(s, "95"));
        store_close(s);
        /* the operator checked the disk */
        ASSERT_OK(unlink(marker));
        ASSERT_OK(store_open(dir, &s));
        ASSERT_OK(store_sweep(s, 3600, 3600, &removed));
        ASSERT_TRUE(!zip_exists(s, "95"));
        ASSERT_OK(store_finish(s, "97", &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }));
        ASSERT_EQ(bytes_on_disk(dir), 10u);
        store_close(s);
}

/* Linux reports a writeback error once: after a failed sync, a later one
 * that succeeds says nothing of the pages the failed one lost. A Finish
 * sent again while the first one's sync failed got 200 from the sync it
 * made itself (review). */
TEST(no_sync_succeeds_after_a_failed_one) {
        _cleanup_free_ char *dir = test_tmpdir(), *marker = path_join(dir, "sync-failed");
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        upload(s, "61", "0123456789", "aa", 10, false);
        fail_fsyncs = 1;
        ASSERT_ERR(store_finish(s, "61", &(FinishFields) { .title = "BUG: t", .signature = "v1:t" }), -EIO);
        fail_fsyncs = 0;
        ASSERT_OK(unlink(marker)); /* as if the marker were lost: the process knows */
        ASSERT_ERR(store_sync(s), -EIO);
        ASSERT_ERR(store_finish_again(s, "61"), -EIO);
        store_close(s);
}

/* A Finish of a finished upload (a device's retry, or a hostile one's
 * Finishes sent again and again) needs no fsync once the first one's
 * sync is done: each made one, and the disk flushed without end (review:
 * 1,646 fsyncs a second from one device's Finishes). */
TEST(a_finish_again_syncs_nothing) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        upload(s, "63", "0123456789", "aa", 10, true);
        unsigned before = fsyncs_done;
        for (unsigned i = 0; i < 100; i++)
                ASSERT_OK(store_finish_again(s, "63"));
        ASSERT_EQ(fsyncs_done, before);
        store_close(s);
}

/* Another process's retention (kcrash-server retain) releases a ZIP while
 * this one removes the ZIPs it released, and is killed before its own
 * sync: this one reads it on a later page of the list, and syncs again
 * before it removes it (the release is on disk first). Before, it synced
 * once, before its first page, and removed a ZIP whose release a power cut
 * could take back (attack review). */
static const char *other_dir;
static unsigned fsyncs_when_the_other_committed;

static void other_process_retains_and_is_killed(void) {
        fsyncs_when_the_other_committed = fsyncs_done;
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                Store *c = NULL;
                unsigned dropped = 0;
                if (store_open(other_dir, &c) < 0)
                        _exit(2);
                die_in_fsync = true;
                (void) store_retain(c, 1, (int64_t) time(NULL) + 10, &dropped);
                _exit(3); /* not reached: it syncs */
        }
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(a_zip_another_process_released_is_removed_after_a_sync) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        other_dir = dir;
        ASSERT_OK(store_open(dir, &s));
        upload(s, "500", "0123456789", "aa", 100, true);
        upload(s, "700", "abcdefghij", "bb", 90, true);
        upload(s, "800", "ABCDEFGHIJ", "cc", 80, true);
        unsigned dropped = 0;
        unlink_hook_end = "/reports/500.zip", unlink_hook = other_process_retains_and_is_killed;
        ASSERT_OK(store_retain(s, 2, (int64_t) time(NULL) + 10, &dropped)); /* 500 here, 700 by the other */
        unlink_hook_end = NULL;
        ASSERT_TRUE(!zip_exists(s, "700"));
        ASSERT_STREQ(last_zip_unlinked, "700.zip");
        ASSERT_TRUE(fsyncs_at_last_zip_unlink > fsyncs_when_the_other_committed);
        store_close(s);
}

/* The retention works a batch at a time (RETAIN_BATCH, 500 reports a
 * transaction), and once per shared ZIP: a bucket of 1,050 reports, a ZIP
 * shared by 2 of them, is expired whole. Before, one transaction held the
 * store for the whole bucket, and the check of each released ZIP against
 * every other made it quadratic (review: 80,000 reports 13 s under the
 * lock). */
TEST(retention_works_in_batches) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        for (unsigned i = 0; i < 1050; i++) {
                char gid[16], data[32], sha[16];
                snprintf(gid, sizeof gid, "%u", 1001 + i);
                snprintf(data, sizeof data, "zip %09u", i < 2 ? 0 : i);
                snprintf(sha, sizeof sha, "s%u", i < 2 ? 0 : i);
                upload(s, gid, data, sha, 2000 - (int64_t) i, true);
        }
        ASSERT_EQ(s->zip_bytes, 1049u * 13);
        unsigned dropped = 0;
        ASSERT_OK(store_retain(s, 0, (int64_t) time(NULL) + 10, &dropped));
        ASSERT_EQ(dropped, 1049u);
        ASSERT_EQ(s->zip_bytes, 0u);
        ASSERT_EQ(bytes_on_disk(dir), 0u);
        assert_no_report_lost_its_zip(s, "after the retention");
        store_close(s);
}

/* Random sequences of uploads (of four contents: many duplicates),
 * Finishes early and late, aging, sweeps, retentions in this process and
 * another, reopens and Starts never PUT: after each settled step no report
 * lost its ZIP, and the store's count, a reload's and the files in reports/
 * agree (from an attack review's test, which found today's rules sound). */
TEST(random_sequences_keep_zips_and_count_them) {
        static const char *const contents[] = { "AAAAAAAAAA", "BBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCCCCCCCC",
                                                "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
        static const char *const shas[] = { "aa", "bb", "cc", "dd" };
        for (unsigned seed = 1; seed <= 8; seed++) {
                _cleanup_free_ char *dir = test_tmpdir();
                Store *s = NULL;
                ASSERT_OK(store_open(dir, &s));
                srand(seed);
                int64_t now = (int64_t) time(NULL);
                unsigned next = 1;
                bool other_retained = false;
                for (unsigned step = 0; step < 120; step++) {
                        int op = rand() % 10;
                        char gid[32], what[64];
                        unsigned removed = 0, dropped = 0;
                        if (op <= 2) { /* an upload, finished or not */
                                snprintf(gid, sizeof gid, "%u", next++);
                                int k = rand() % 4;
                                ASSERT_OK(store_start(s, gid, &(StartFields) { .size = strlen(contents[k]),
                                                                               .created = now - 1000 + step }));
                                put_zip(s, gid, contents[k], shas[k]);
                                if (rand() % 3)
                                        ASSERT_OK(store_finish(s, gid, &(FinishFields) {
                                                .title = "t", .signature = rand() % 2 ? "v1:a" : "v1:b" }));
                        } else if (op == 3) { /* a late Finish */
                                snprintf(gid, sizeof gid, "%u", 1 + (unsigned) rand() % next);
                                (void) store_finish(s, gid, &(FinishFields) { .title = "t", .signature = "v1:a" });
                        } else if (op == 4) { /* a row grows old */
                                snprintf(gid, sizeof gid, "%u", 1 + (unsigned) rand() % next);
                                ASSERT_TRUE(exec_bind(s, "UPDATE reports SET updated = updated - 100000 WHERE gid = ?",
                                                      "s", gid) >= 0);
                        } else if (op == 5)
                                ASSERT_OK(store_sweep(s, 50000, 50000, &removed));
                        else if (op == 6)
                                ASSERT_OK(store_retain(s, (unsigned) rand() % 3, now - 1000 + step, &dropped));
                        else if (op == 7) { /* another process's retention: counted at the next sweep */
                                Store *other = NULL;
                                ASSERT_OK(store_open(dir, &other));
                                ASSERT_OK(store_retain(other, (unsigned) rand() % 3, now - 1000 + step, &dropped));
                                store_close(other);
                                other_retained = true;
                        } else if (op == 8) {
                                store_close(s);
                                ASSERT_OK(store_open(dir, &s));
                                other_retained = false;
                        } else if (rand() % 4 == 0) {
                                ASSERT_OK(store_sweep(s, -10, -10, &removed));
                                op = 5; /* a sweep too */
                        } else {
                                snprintf(gid, sizeof gid, "%u", next++);
                                ASSERT_OK(store_start(s, gid, &(StartFields) { .size = 10 }));
                        }
                        if (op == 5)
                                other_retained = false;
                        snprintf(what, sizeof what, "seed %u step %u (op %d)", seed, step, op);
                        assert_no_report_lost_its_zip(s, what);
                        if (other_retained)
                                continue; /* this process counts it at its next sweep */
                        Store *fresh = NULL;
                        ASSERT_OK(store_open(dir, &fresh));
                        uint64_t reloaded = fresh->zip_bytes, disk = bytes_on_disk(dir);
                        store_close(fresh);
                        if (s->zip_bytes != disk || reloaded != disk)
                                test_fail(__FILE__, __LINE__, "%s: counted %llu, reloaded %llu, on disk %llu", what,
                                          (unsigned long long) s->zip_bytes, (unsigned long long) reloaded,
                                          (unsigned long long) disk);
                }
                store_close(s);
        }
}
