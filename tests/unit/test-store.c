/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-server's store: what the query plans of its periodic work are. */
#include <stdbool.h>

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
                                      SWEEP_EXPIRED_SQL, BACKFILL_SQL };
        assert_no_table_scans(s, sweep, ELEMENTSOF(sweep));
        /* The check sees a scan: without its index, the first one is. */
        ASSERT_EQ(sqlite3_exec(s->db, "DROP INDEX reports_started", NULL, NULL, NULL), SQLITE_OK);
        char *detail = NULL;
        ASSERT_TRUE(plan_scans_a_table(s, SWEEP_STARTED_SQL, &detail));
        ASSERT_STREQ(detail, "SCAN reports");
        free(detail);
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
