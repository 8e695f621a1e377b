/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What store.c and store-buckets.c share: the two halves of the store, the
 * only files that include sqlite3.h. */

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>

#include "macro.h"
#include "store.h"

#define STORE_STMT_CACHE 64

/* One fsync of fd for every caller waiting (group_sync). */
typedef struct GroupSync {
        int fd;
        pthread_mutex_t lock;
        pthread_cond_t synced;
        uint64_t requested, done; /* tickets */
        bool syncing;
        bool broken; /* an fsync failed: Linux may report a later one good
                      * although the failed one's pages never reached the disk */
        const char *failed_marker; /* made when one fails (Store.sync_failed_path) */
} GroupSync;

struct Store {
        sqlite3 *db;
        char *dir;
        /* <data>/sync-failed: made at a failed sync of the store's files,
         * by any process, and removed by the operator only (store_sync_failed()). */
        char *sync_failed_path;
        pthread_mutex_t lock;
        uint64_t zip_bytes; /* the stored ZIPs, kept in step with the index */
        /* PRAGMA data_version when zip_bytes was loaded: another process's
         * commit (kcrash-server retain) changes it (store_sweep reloads). */
        int64_t data_version;
        /* exec_bind()'s statements, prepared once: a Finish runs about ten
         * under the lock, and compiling them each time held it longer. */
        sqlite3_stmt *cache[STORE_STMT_CACHE];
        /* PUTs whose ZIP is in reports/ while its directory is synced
         * unlocked: each holds its slot until its row says so
         * (store_uploaded). */
        struct GidUnderWay *storing;
        /* Finishes committed and syncing the WAL unlocked (store_finish). */
        struct GidUnderWay *finishing;
        /* The durable points, each synced for all its callers at once
         * (group_sync): reports/ for the renames of PUTs, the WAL for the
         * commits of Finishes. */
        GroupSync reports_sync, wal_sync;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)

/* Reports finished before buckets existed, counted on open
 * (backfill_buckets): through reports_unbucketed, which is empty once a
 * store is backfilled. */
#define BACKFILL_SQL                                                      \
        "SELECT gid, title, type, frame, module, signature FROM reports" \
        " WHERE state = 'finished' AND bucket_id IS NULL ORDER BY created"

/* The Starts not yet PUT of one device (rate key), at each Start: through
 * reports_started_key, never a read of the whole table
 * (tests/unit/test-store.c checks the plan). */
#define PENDING_STARTS_OF_KEY_SQL "SELECT count(*) FROM reports WHERE state = 'started' AND rate_key = ?"
/* The bytes of the index's pages in use (O(1): read from its header). */
#define INDEX_BYTES_SQL                                                                                    \
        "SELECT ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()))" \
        " * (SELECT page_size FROM pragma_page_size())"

/* The sweeper's statements (sweep_locked), run every 30 s under the store's
 * lock: each must find its rows through an index of the rows in flight
 * (reports_started, reports_uploaded, reports_expired), never by reading
 * the whole table (tests/unit/test-store.c checks their plans). */
/* Whether the report of row alias keeps the ZIP it uses (its own, or for a
 * duplicate its owner's): it is being uploaded or finished, and the
 * retention has not expired its ZIP. A report the sweeper expired (never
 * finished) keeps none: its ZIP stays only while a keeper refers to it. */
#define KEEPS_ZIP(alias) "(" alias ".state IN ('uploaded', 'finished') AND coalesce(" alias ".zip_expired, 0) = 0)"
/* No duplicate of the owner gid (the statement's ?1) keeps its ZIP. */
#define NO_DUPLICATE_KEEPS_ZIP "NOT EXISTS (SELECT 1 FROM reports AS d WHERE d.dup_of = ?1 AND " KEEPS_ZIP("d") ")"
/* Whether the ZIP of the owner row alias (dup_of IS NULL, sha256 set) is in
 * reports/ by the index: a report keeps it, or the sweeper expired the
 * owner and has not removed it yet (it removes row and ZIP together). A
 * ZIP no report keeps is being removed, or was: nothing may take it up. */
#define ZIP_IN_STORE(alias)                                                                              \
        "(" alias ".state = 'expired' OR " KEEPS_ZIP(alias) " OR EXISTS (SELECT 1 FROM reports AS d WHERE" \
        " d.dup_of = " alias ".gid AND " KEEPS_ZIP("d") "))"

/* The retention's work in a transaction: at most RETAIN_BATCH reports, so
 * that uploads (which wait for the store's lock) and another process
 * (which waits for the write lock, at most its busy timeout) are never held
 * long, even when --keep-zips is first set on a large store. A batch: the
 * next of one bucket's (?1) finished reports that still have their ZIP,
 * beyond its newest ?2, received before ?3, at most ?4; through
 * reports_keeping, which holds only those. */
#define RETAIN_BATCH 500
#define RETAIN_BATCH_SQL                                                                                     \
        "SELECT gid, coalesce(dup_of, gid) FROM (SELECT gid, dup_of, created FROM reports"                   \
        " WHERE bucket_id = ?1 AND state = 'finished' AND coalesce(zip_expired, 0) = 0"                        \
        " ORDER BY created DESC, gid DESC LIMIT -1 OFFSET ?2) WHERE created < ?3 LIMIT ?4"

#define SWEEP_STARTED_SQL "SELECT gid, size, updated FROM reports WHERE state = 'started' AND updated < ?"
/* (the owners of the ZIPs they used: one may have lost its last keeper) */
#define SWEEP_UPLOADED_DUPLICATES_SQL \
        "DELETE FROM reports WHERE state = 'uploaded' AND dup_of IS NOT NULL AND updated < ? RETURNING dup_of"
/* (their long fields go: an expired report is never shown) */
#define SWEEP_UPLOADED_OWNERS_SQL                                                     \
        "UPDATE reports SET state = 'expired', stack = NULL, note = NULL, form_raw = NULL" \
        " WHERE state = 'uploaded' AND dup_of IS NULL AND updated < ?"
#define SWEEP_EXPIRED_SQL                                         \
        "SELECT gid, size FROM reports AS o WHERE state = 'expired'" \
        " AND NOT EXISTS (SELECT 1 FROM reports AS d WHERE d.dup_of = o.gid AND " KEEPS_ZIP("d") ")"

/* Shared by store.c and store-upkeep.c. */
/* Runs f in a write transaction, committed when it returns >= 0, else rolled back. */
int transaction_locked(Store *s, int (*f)(Store *s, void *userdata), void *userdata);
/* <data>/incoming/<gid>.part; NULL when out of memory. */
char *part_path(const Store *s, const char *gid);
/* Removes the file at p (NULL: nothing) and frees p. */
void unlink_path(char *p);
int64_t data_version(Store *s);
/* The --max-store-size count of ZIPs, from the index (ZIP_IN_STORE). */
int zip_bytes_load(Store *s);
/* Whether a PUT of gid is renaming its ZIP into reports/ (store_uploaded). */
bool storing_locked(Store *s, const char *gid);


/* Buckets: one row per signature, with counters kept at Finish time (never
 * recomputed per page view): by day, by (day, product, build, kernel), and
 * the distinct devices. A merged bucket points at the bucket it was merged
 * into (merged_into) and keeps its own counters, so a merge can be undone;
 * readers add a bucket's merged buckets to it. */
#define BUCKET_SCHEMA                                                                                            \
        "CREATE TABLE IF NOT EXISTS buckets ("                                                                \
        " id INTEGER PRIMARY KEY, signature TEXT UNIQUE NOT NULL, title TEXT, type TEXT, frame TEXT,"         \
        " module TEXT, count INTEGER NOT NULL DEFAULT 0, devices INTEGER NOT NULL DEFAULT 0,"                 \
        " first_seen INTEGER, last_seen INTEGER, first_build TEXT, status TEXT NOT NULL DEFAULT 'open',"      \
        " fixed_build TEXT, regressed_build TEXT, merged_into INTEGER, note TEXT, link TEXT, updated INTEGER);" \
        "CREATE INDEX IF NOT EXISTS buckets_merged ON buckets(merged_into);"                                  \
        "CREATE INDEX IF NOT EXISTS buckets_first_build ON buckets(first_build);"                             \
        "CREATE TABLE IF NOT EXISTS bucket_days (bucket_id INTEGER NOT NULL, day INTEGER NOT NULL,"           \
        " count INTEGER NOT NULL, PRIMARY KEY (bucket_id, day)) WITHOUT ROWID;"                               \
        "CREATE INDEX IF NOT EXISTS bucket_days_day ON bucket_days(day, bucket_id, count);"                   \
        "CREATE TABLE IF NOT EXISTS bucket_counts (bucket_id INTEGER NOT NULL, day INTEGER NOT NULL,"         \
        " product TEXT NOT NULL, build TEXT NOT NULL, kernel TEXT NOT NULL, count INTEGER NOT NULL,"          \
        " PRIMARY KEY (bucket_id, day, product, build, kernel)) WITHOUT ROWID;"                              \
        "CREATE INDEX IF NOT EXISTS bucket_counts_build ON bucket_counts(build, day, bucket_id, count);" \
        "CREATE INDEX IF NOT EXISTS bucket_counts_kernel ON bucket_counts(kernel, day, bucket_id, count);" \
        "CREATE INDEX IF NOT EXISTS bucket_counts_product ON bucket_counts(product, day, bucket_id, count);" \
        "CREATE TABLE IF NOT EXISTS bucket_titles (bucket_id INTEGER NOT NULL, title TEXT NOT NULL,"          \
        " PRIMARY KEY (bucket_id, title)) WITHOUT ROWID;"                                                    \
        "CREATE TABLE IF NOT EXISTS bucket_devices (bucket_id INTEGER NOT NULL, device TEXT NOT NULL,"        \
        " PRIMARY KEY (bucket_id, device)) WITHOUT ROWID;"

/* Binds arguments by a format (s = text, i = int64, b = blob: pointer, then
 * size_t) and runs the statement to completion: the number of rows changed,
 * or -EEXIST on a constraint, -EIO. */
int exec_bind(Store *s, const char *sql, const char *fmt, ...);
/* Prepares sql and binds by the same format; the caller steps. */
int prepare_bind(Store *s, sqlite3_stmt **ret, const char *sql, const char *fmt, ...);
/* A text column, copied; NULL when NULL (or on OOM). */
char *col(sqlite3_stmt *st, int i);

/* Counts a finished report into its bucket, inside the Finish transaction:
 * the bucket of key (created with the analysis when new), its counters,
 * and a fixed bucket reopened as regressed by a build at or above its fix.
 * Sets the report's bucket_id. */
int bucket_account_locked(Store *s, const char *gid, const char *key, const FinishFields *f, int64_t when,
                          const char *product, const char *build, const char *kernel, const char *device);
