/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-server's store: what the query plans of its periodic work are. */
#include <stdbool.h>

#include "fileio.h"
#include "store-internal.h"
#include "tests.h"

/* True when sqlite's plan for sql reads a whole table: a "SCAN" step that
 * goes through no index. */
static bool plan_scans_a_table(Store *s, const char *sql, char **ret_detail) {
        _cleanup_free_ char *explain = NULL;
        ASSERT_TRUE(asprintf(&explain, "EXPLAIN QUERY PLAN %s", sql) > 0);
        sqlite3_stmt *st = NULL;
        ASSERT_EQ(sqlite3_prepare_v2(s->db, explain, -1, &st, NULL), SQLITE_OK);
        bool scans = false;
        while (!scans && sqlite3_step(st) == SQLITE_ROW) {
                const char *detail = (const char *) sqlite3_column_text(st, 3);
                if (detail && startswith(detail, "SCAN ") && !strstr(detail, " USING ")) {
                        scans = true;
                        *ret_detail = strdup(detail);
                }
        }
        sqlite3_finalize(st);
        return scans;
}

/* The sweeper runs every 30 s under the store's lock: on a store of
 * 1,000,000 reports a statement that reads the whole table holds every
 * upload for over a second (bench/console_bench.py). */
TEST(sweeper_reads_only_rows_in_flight) {
        _cleanup_free_ char *dir = test_tmpdir();
        Store *s = NULL;
        ASSERT_OK(store_open(dir, &s));
        const char *sweep[] = { SWEEP_STARTED_SQL, SWEEP_UPLOADED_DUPLICATES_SQL, SWEEP_UPLOADED_OWNERS_SQL,
                                SWEEP_EXPIRED_SQL };
        for (size_t i = 0; i < ELEMENTSOF(sweep); i++) {
                char *detail = NULL;
                if (plan_scans_a_table(s, sweep[i], &detail))
                        test_fail(__FILE__, __LINE__, "\"%s\" reads a whole table: %s", sweep[i], detail);
        }
        /* The check sees a scan: without its index, the first one is. */
        ASSERT_EQ(sqlite3_exec(s->db, "DROP INDEX reports_started", NULL, NULL, NULL), SQLITE_OK);
        char *detail = NULL;
        ASSERT_TRUE(plan_scans_a_table(s, SWEEP_STARTED_SQL, &detail));
        ASSERT_STREQ(detail, "SCAN reports");
        free(detail);
        store_close(s);
}
