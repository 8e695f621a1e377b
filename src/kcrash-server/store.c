/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse-util.h"
#include "fileio.h"
#include "store-internal.h"

/* Who owns a file under reports/: the row whose gid names it, with dup_of
 * NULL and a sha256 (uploaded, finished or expired). Whether the file is
 * there by the index is ZIP_IN_STORE (store-internal.h): a report keeps it
 * (KEEPS_ZIP), or the owner is 'expired', an upload never finished whose
 * ZIP duplicates still kept when the sweeper expired it: the sweeper
 * removes that row with its ZIP once none keeps it. */

static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        /* Durable points are synced by the store itself (group_sync). */
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS reports ("
        " gid TEXT PRIMARY KEY, state TEXT NOT NULL, created INTEGER, updated INTEGER, size INTEGER,"
        " sha256 TEXT, steamid TEXT, product TEXT, build TEXT, version TEXT, platform TEXT, crash_time INTEGER,"
        " stack TEXT, note TEXT, remote TEXT, title TEXT, type TEXT, signature TEXT, dup_of TEXT, serial TEXT);"
        "CREATE TABLE IF NOT EXISTS rejects (reason TEXT PRIMARY KEY, count INTEGER NOT NULL);"
        /* ZIPs no report keeps, until their files are removed
         * (remove_released_zips()). */
        "CREATE TABLE IF NOT EXISTS released_zips (gid TEXT PRIMARY KEY) WITHOUT ROWID;"
        BUCKET_SCHEMA;

/* Indexes on columns added after the first release (added_columns). */
static const char indexes[] =
        "CREATE INDEX IF NOT EXISTS reports_created ON reports(created);"
        "CREATE INDEX IF NOT EXISTS reports_steamid ON reports(steamid, created);"
        /* The rows in flight, for the sweeper: without these it read all of
         * a 1,000,000-report table four times every 30 s (about 5 s under
         * the store's lock, stalling every upload). Partial: they hold only
         * the few rows between Start and Finish. */
        "CREATE INDEX IF NOT EXISTS reports_started ON reports(updated) WHERE state = 'started';"
        "CREATE INDEX IF NOT EXISTS reports_uploaded ON reports(updated) WHERE state = 'uploaded';"
        "CREATE INDEX IF NOT EXISTS reports_expired ON reports(gid) WHERE state = 'expired';"
        /* A device's Starts not yet PUT, counted at each Start (built with
         * one read of the table when a store gets it). */
        "CREATE INDEX IF NOT EXISTS reports_started_key ON reports(rate_key) WHERE state = 'started';"
        /* Finished reports not yet in a bucket (BACKFILL_SQL, on every open):
         * none once a store is backfilled, so the open reads nothing. */
        "CREATE INDEX IF NOT EXISTS reports_unbucketed ON reports(created) WHERE state = 'finished' AND bucket_id IS NULL;";

/* Indexes of columns that are NULL until a later step (sha256 at the PUT,
 * the rest at Finish; dup_of only for duplicates): partial, so a Start
 * writes no entry into them and a step that sets the column inserts one
 * instead of moving it (fewer pages per upload). The queries on them
 * compare the column (=, IN), which implies IS NOT NULL, so sqlite uses
 * them as before; the one that asks for bucket_id IS NULL has its own
 * (reports_unbucketed). A store made before has them whole: replaced on
 * open. */
static const struct {
        const char *name;
        const char *sql;
} partial_indexes[] = {
        { "reports_sha", "CREATE INDEX reports_sha ON reports(sha256) WHERE sha256 IS NOT NULL" },
        { "reports_sig", "CREATE INDEX reports_sig ON reports(signature) WHERE signature IS NOT NULL" },
        { "reports_dup", "CREATE INDEX reports_dup ON reports(dup_of) WHERE dup_of IS NOT NULL" },
        { "reports_bucket", "CREATE INDEX reports_bucket ON reports(bucket_id, created) WHERE bucket_id IS NOT NULL" },
        { "reports_serial", "CREATE INDEX reports_serial ON reports(serial, created) WHERE serial IS NOT NULL" },
        { "reports_account", "CREATE INDEX reports_account ON reports(account, created) WHERE account IS NOT NULL" },
        /* The finished reports that still have their ZIP, for the
         * retention's batches (RETAIN_BATCH_SQL): through reports_bucket a
         * batch read the bucket's whole history, the rows already expired
         * included (a review: 200,000 to expire took 17 s). */
        { "reports_keeping", "CREATE INDEX reports_keeping ON reports(bucket_id, created, gid)"
                             " WHERE state = 'finished' AND coalesce(zip_expired, 0) = 0" },
};

/* The SQL sqlite keeps for index name (*ret NULL when there is none). */
static int index_sql(Store *s, const char *name, char **ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", -1, &st,
                               NULL) != SQLITE_OK ||
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
                return -EIO;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return -EIO;
        const char *sql = rc == SQLITE_ROW ? (const char *) sqlite3_column_text(st, 0) : NULL;
        *ret = sql ? strdup(sql) : NULL;
        return sql && !*ret ? -ENOMEM : 0;
}

static int partial_indexes_ensure(Store *s) {
        for (size_t i = 0; i < ELEMENTSOF(partial_indexes); i++) {
                _cleanup_free_ char *sql = NULL, *drop = NULL;
                int r = index_sql(s, partial_indexes[i].name, &sql);
                if (r < 0)
                        return r;
                if (streq_ptr(sql, partial_indexes[i].sql))
                        continue;
                if (asprintf(&drop, "DROP INDEX IF EXISTS %s", partial_indexes[i].name) < 0)
                        return -ENOMEM;
                if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                        return -EIO;
                /* Again under the write lock: another process opening the
                 * store (the CLI while the server starts) may have just
                 * replaced it. */
                free(sql);
                sql = NULL;
                r = index_sql(s, partial_indexes[i].name, &sql);
                if (r >= 0 && !streq_ptr(sql, partial_indexes[i].sql) &&
                    (sqlite3_exec(s->db, drop, NULL, NULL, NULL) != SQLITE_OK ||
                     sqlite3_exec(s->db, partial_indexes[i].sql, NULL, NULL, NULL) != SQLITE_OK))
                        r = -EIO;
                if (r >= 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                        r = -EIO;
                if (r < 0) {
                        (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        return 0;
}

/* Columns added after the first release: a store created before gets them
 * on open (NULL in the old rows). */
static const char *const added_columns[] = {
        "unencoded INTEGER", "form_raw BLOB",    "sent_version TEXT", "frame TEXT",
        "module TEXT",       "analysis_state TEXT", "crash_member TEXT", "analysis TEXT",
        "account TEXT",      "device TEXT",         "bucket_id INTEGER", "zip_expired INTEGER",
        "rate_key TEXT",
};

/* Durability. The index runs in WAL mode with synchronous=NORMAL: a commit
 * writes its pages to the WAL and returns without waiting for the disk
 * (SQLite syncs the WAL before each checkpoint, so the index is never
 * corrupt, but a commit is not durable across a power cut by itself).
 *
 * A Finish is answered only once its report is durable: it commits, leaves
 * the store's lock, and syncs the WAL (group_sync), which holds its commit
 * and every one before it; so does a change staff make to a bucket. That is
 * what synchronous=FULL would do inside COMMIT, but FULL does it with the
 * store locked, one sync per commit, every other request waiting; here the
 * Finishes that commit while a sync runs share the next one (group commit).
 *
 * Starts and PUTs need no sync of their own: a device whose PUT or Finish
 * failed restarts from Start (PROTOCOL.md), and their rows reach the disk
 * with the next sync. A row never names a ZIP that is not durable already
 * (store_uploaded), so it does not matter when the kernel writes it.
 *
 * The WAL is <index>-wal, which SQLite keeps (and rewrites in place after a
 * checkpoint) while a connection is open; the store opens it once its own
 * connection has. */

static void group_sync_init(GroupSync *g) {
        *g = (GroupSync) { .fd = -1 };
        pthread_mutex_init(&g->lock, NULL);
        pthread_cond_init(&g->synced, NULL);
}

static void group_sync_done(GroupSync *g) {
        if (g->fd >= 0)
                close(g->fd);
        pthread_cond_destroy(&g->synced);
        pthread_mutex_destroy(&g->lock);
}

/* Returns once what was written to g's file before the call is on disk.
 * Callers that arrive while an fsync runs wait for it to end; the first to
 * find none running syncs for all of them: one fsync, one flush of the
 * disk's cache, for every write done before it began. */
static bool group_sync_broken(GroupSync *g) {
        pthread_mutex_lock(&g->lock);
        bool broken = g->broken;
        pthread_mutex_unlock(&g->lock);
        return broken;
}

/* Whether a sync of the store's files ever failed, in this process or
 * another: nothing may then be taken as on disk (no Finish acknowledged, no
 * released ZIP removed) until the operator has checked the disk and removed
 * <data>/sync-failed. */
bool store_sync_failed(Store *s) {
        return group_sync_broken(&s->wal_sync) || group_sync_broken(&s->reports_sync) ||
               access(s->sync_failed_path, F_OK) >= 0;
}

static int group_sync(GroupSync *g) {
        int r = 0;
        pthread_mutex_lock(&g->lock);
        uint64_t ticket = ++g->requested;
        for (;;) {
                /* A failed fsync fails every caller it was for, and every
                 * later one: a later fsync that succeeds does not say the
                 * lost pages are on disk (Linux reports a writeback error
                 * once; a retried Finish got 200: review). */
                if (g->broken) {
                        r = -EIO;
                        break;
                }
                if (g->done >= ticket)
                        break;
                if (g->syncing) {
                        pthread_cond_wait(&g->synced, &g->lock);
                        continue;
                }
                /* Every ticket taken so far wrote before this fsync begins. */
                uint64_t target = g->requested;
                g->syncing = true;
                pthread_mutex_unlock(&g->lock);
                do
                        r = fsync(g->fd) < 0 ? negative_errno() : 0;
                while (r == -EINTR); /* interrupted (FUSE, NFS): not a failure */
                pthread_mutex_lock(&g->lock);
                g->syncing = false;
                if (r >= 0)
                        g->done = MAX(g->done, target);
                else {
                        g->broken = true;
                        /* For every process on the store, and after a restart:
                         * nothing here may be taken as on disk any more. */
                        int fd = g->failed_marker ? open(g->failed_marker, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
                        if (fd >= 0) {
                                (void) fsync(fd); /* best effort, on a disk that fails */
                                close(fd);
                                (void) fsync_directory_of(g->failed_marker);
                        }
                }
                pthread_cond_broadcast(&g->synced);
                if (r < 0)
                        break;
        }
        pthread_mutex_unlock(&g->lock);
        return r;
}

/* Runs f in a write transaction, committed when it returns >= 0, else
 * rolled back. BEGIN IMMEDIATE also waits for another process's
 * transaction (the CLI's retention): what f reads stays true until its
 * writes commit. */
int transaction_locked(Store *s, int (*f)(Store *s, void *userdata), void *userdata) {
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return -EIO;
        int r = f(s, userdata);
        if (r >= 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                r = -EIO;
        if (r < 0)
                (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

int store_sync(Store *s) {
        int r = group_sync(&s->wal_sync);
        return r < 0 || store_sync_failed(s) ? -EIO : 0;
}

const char *store_dir(const Store *s) {
        return s->dir;
}

/* <data>/<sub>/<gid><suffix>; NULL when out of memory. */
static char *path_in(const Store *s, const char *sub, const char *gid, const char *suffix) {
        char *p = NULL;
        return asprintf(&p, "%s/%s/%s%s", s->dir, sub, gid, suffix) < 0 ? NULL : p;
}

char *store_zip_path(const Store *s, const char *gid) {
        return path_in(s, "reports", gid, ".zip");
}

char *part_path(const Store *s, const char *gid) {
        return path_in(s, "incoming", gid, ".part");
}

/* Removes the file at p (a path the store built, NULL when it was out of
 * memory) and frees p. */
void unlink_path(char *p) {
        if (p)
                (void) unlink(p);
        free(p);
}

const char *report_zip_gid(const ReportRow *row) {
        return row->dup_of ? row->dup_of : row->gid;
}

static bool column_exists(Store *s, const char *name) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        return sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('reports') WHERE name = ?", -1, &st, NULL) ==
                       SQLITE_OK &&
               sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
}

static int add_columns(Store *s) {
        for (size_t i = 0; i < ELEMENTSOF(added_columns); i++) {
                const char *def = added_columns[i];
                _cleanup_free_ char *name = strndup(def, strcspn(def, " ")), *sql = NULL;
                if (!name)
                        return -ENOMEM;
                if (column_exists(s, name))
                        continue;
                if (asprintf(&sql, "ALTER TABLE reports ADD COLUMN %s", def) < 0)
                        return -ENOMEM;
                if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK && !column_exists(s, name))
                        return -EIO;
        }
        return 0;
}

static int account_locked(Store *s, const char *gid, const FinishFields *f);
static int backfill_buckets(Store *s);
static int wal_open(Store *s, const char *db);

int64_t data_version(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
                return -1;
        return sqlite3_column_int64(st, 0);
}

/* The ZIPs in reports/ by the index: each owner's while a report keeps it,
 * and an expired owner's until the sweeper removes it with its row (the
 * ZIPs the retention or the sweeper removed are those no report keeps). */
int zip_bytes_load(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int64_t version = data_version(s);
        if (version < 0 ||
            sqlite3_prepare_v2(s->db,
                               "SELECT coalesce(sum(size), 0) FROM reports AS o WHERE dup_of IS NULL AND sha256 IS NOT NULL"
                               " AND " ZIP_IN_STORE("o"),
                               -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        s->zip_bytes = (uint64_t) sqlite3_column_int64(st, 0);
        s->data_version = version;
        return 0;
}

uint64_t store_used_bytes(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        pthread_mutex_lock(&s->lock);
        uint64_t b = s->zip_bytes;
        /* The index's pages in use (free pages are reused, so a swept Start
         * gives its room back); on a failed read the ZIPs alone: the quota
         * errs on the side of taking the crash. */
        if (sqlite3_prepare_v2(s->db, INDEX_BYTES_SQL, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                b += (uint64_t) MAX(sqlite3_column_int64(st, 0), 0);
        pthread_mutex_unlock(&s->lock);
        return b;
}

int store_open(const char *data_dir, Store **ret) {
        Store *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        group_sync_init(&s->reports_sync);
        group_sync_init(&s->wal_sync);
        s->dir = strdup(data_dir);
        s->sync_failed_path = path_join(data_dir, "sync-failed");
        s->reports_sync.failed_marker = s->wal_sync.failed_marker = s->sync_failed_path;
        _cleanup_free_ char *db = path_join(data_dir, "index.sqlite"), *reports = path_join(data_dir, "reports"),
                            *incoming = path_join(data_dir, "incoming");
        if (!s->dir || !s->sync_failed_path || !db || !reports || !incoming) {
                store_close(s);
                return -ENOMEM;
        }
        int r = mkdir_p(reports, 0750);
        if (r >= 0)
                r = mkdir_p(incoming, 0750);
        if (r >= 0) {
                s->reports_sync.fd = open(reports, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (s->reports_sync.fd < 0)
                        r = negative_errno();
        }
        if (r < 0) {
                store_close(s);
                return r;
        }
        /* The busy timeout first: the CLI may open the store while the
         * server is creating it. */
        if (sqlite3_open(db, &s->db) != SQLITE_OK || sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
            sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
                store_close(s);
                return -EIO;
        }
        r = add_columns(s);
        if (r >= 0 && sqlite3_exec(s->db, indexes, NULL, NULL, NULL) != SQLITE_OK)
                r = -EIO;
        if (r >= 0)
                r = partial_indexes_ensure(s);
        if (r >= 0)
                r = wal_open(s, db);
        /* What an earlier process committed is on disk before anything is
         * answered from it (store_finish_again()); a failure leaves the
         * store refusing what it cannot acknowledge (store_sync_failed()). */
        if (r >= 0)
                (void) group_sync(&s->wal_sync);
        if (r >= 0)
                r = zip_bytes_load(s);
        if (r >= 0)
                r = backfill_buckets(s);
        if (r < 0) {
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

/* The WAL's file, for group_sync: SQLite has it open (WAL mode, after the
 * schema's statements). Its name is made durable in the data directory
 * once, as SQLite would at its first sync. */
static int wal_open(Store *s, const char *db) {
        _cleanup_free_ char *wal = NULL;
        if (asprintf(&wal, "%s-wal", db) < 0)
                return -ENOMEM;
        s->wal_sync.fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (s->wal_sync.fd < 0)
                return negative_errno();
        return fsync_directory_of(wal);
}

/* Reports finished before buckets existed: counted once, when a store of an
 * older kcrash-server is opened. */
static int backfill_buckets(Store *s) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st, BACKFILL_SQL, NULL);
        if (r < 0)
                return r;
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
                return -EIO;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                _cleanup_free_ char *title = col(st, 1), *type = col(st, 2), *frame = col(st, 3), *module = col(st, 4),
                                    *signature = col(st, 5);
                FinishFields f = { .title = title, .type = type, .frame = frame, .module = module,
                                   .signature = signature };
                r = account_locked(s, (const char *) sqlite3_column_text(st, 0), &f);
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = -EIO;
        if (sqlite3_exec(s->db, r >= 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && r >= 0)
                r = -EIO;
        return r < 0 ? r : group_sync(&s->wal_sync); /* (opening a store whose sync failed works) */
}

Store *store_close(Store *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < STORE_STMT_CACHE; i++)
                sqlite3_finalize(s->cache[i]);
        if (s->db)
                sqlite3_close(s->db);
        group_sync_done(&s->reports_sync);
        group_sync_done(&s->wal_sync);
        pthread_mutex_destroy(&s->lock);
        free(s->sync_failed_path);
        free(s->dir);
        free(s);
        return NULL;
}

/* Binds arguments by a format: s = text, i = int64, b = blob (pointer, then
 * size_t). Runs to completion. */
static int vbind(sqlite3_stmt *st, const char *fmt, va_list ap) {
        for (int i = 0; fmt && fmt[i]; i++) {
                int rc;
                if (fmt[i] == 's') {
                        const char *v = va_arg(ap, const char *);
                        rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
                } else if (fmt[i] == 'b') {
                        const void *v = va_arg(ap, const void *);
                        size_t n = va_arg(ap, size_t);
                        rc = v ? sqlite3_bind_blob64(st, i + 1, v, n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
                } else
                        rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
                if (rc != SQLITE_OK)
                        return -EIO;
        }
        return 0;
}

int prepare_bind(Store *s, sqlite3_stmt **ret, const char *sql, const char *fmt, ...) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        va_list ap;
        va_start(ap, fmt);
        int r = vbind(st, fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(st);
        return 0;
}

/* The cached statement of sql, reset (its text compared, so a string at a
 * reused address is never taken for another); else a new one, cached when
 * there is room (*ret_owned false) or the caller's to finalize. */
static sqlite3_stmt *stmt_get(Store *s, const char *sql, bool *ret_owned) {
        sqlite3_stmt *st = NULL;
        size_t free_slot = STORE_STMT_CACHE;
        for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
                if (!s->cache[i]) {
                        free_slot = MIN(free_slot, i);
                        continue;
                }
                if (streq(sqlite3_sql(s->cache[i]), sql)) {
                        sqlite3_reset(s->cache[i]);
                        sqlite3_clear_bindings(s->cache[i]);
                        *ret_owned = false;
                        return s->cache[i];
                }
        }
        if (sqlite3_prepare_v3(s->db, sql, -1, free_slot < STORE_STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                               NULL) != SQLITE_OK)
                return NULL;
        *ret_owned = free_slot >= STORE_STMT_CACHE;
        if (!*ret_owned)
                s->cache[free_slot] = st;
        return st;
}

static int vexec_bind(Store *s, const char *sql, const char *fmt, va_list ap) {
        bool owned = false;
        sqlite3_stmt *st = stmt_get(s, sql, &owned);
        if (!st)
                return -EIO;
        int r = vbind(st, fmt, ap);
        int rc = r < 0 ? SQLITE_ERROR : sqlite3_step(st);
        int changes = sqlite3_changes(s->db);
        if (owned)
                sqlite3_finalize(st);
        else
                sqlite3_reset(st);
        if (r < 0)
                return r;
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return rc == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
        return changes;
}

int exec_bind(Store *s, const char *sql, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vexec_bind(s, sql, fmt, ap);
        va_end(ap);
        return r;
}

uint64_t store_start_text_bytes(const StartFields *f) {
        return (f->stack ? strlen(f->stack) : 0) + (f->note ? strlen(f->note) : 0) +
               (f->unencoded ? f->form_raw_size : 0);
}

/* The Starts not yet PUT of one rate key (through reports_started_key). */
static int pending_starts_locked(Store *s, const char *rate_key, int64_t *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st, PENDING_STARTS_OF_KEY_SQL, "s", rate_key);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

int store_start(Store *s, const char *gid, const StartFields *f) {
        int64_t now = f->created > 0 ? f->created : (int64_t) time(NULL), pending = 0;
        bool capped = f->rate_key && f->max_pending > 0;
        pthread_mutex_lock(&s->lock);
        int r = capped ? pending_starts_locked(s, f->rate_key, &pending) : 0;
        if (r >= 0 && capped && pending >= (int64_t) f->max_pending)
                r = -EDQUOT;
        if (r >= 0)
                r = exec_bind(s,
                              "INSERT INTO reports (gid, state, created, updated, size, steamid, product, build, version,"
                              " platform, crash_time, stack, note, remote, unencoded, form_raw, rate_key)"
                              " VALUES (?, 'started', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              "siiisssssisssibs", gid, now, now, (int64_t) f->size, f->steamid, f->product, f->build,
                              f->version, f->platform, f->crash_time, f->stack, f->note, f->remote,
                              (int64_t) f->unencoded, f->unencoded ? f->form_raw : NULL, f->form_raw_size,
                              f->rate_key);
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : 0;
}

static int slot_locked(Store *s, const char *gid, char state[16], uint64_t *ret_size) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT state, size FROM reports WHERE gid = ?", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_bind_text(st, 1, gid, -1, SQLITE_TRANSIENT) != SQLITE_OK)
                return -EIO;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        snprintf(state, 16, "%s", (const char *) sqlite3_column_text(st, 0));
        *ret_size = (uint64_t) sqlite3_column_int64(st, 1);
        return 0;
}

int store_slot(Store *s, const char *gid, char state[16], uint64_t *ret_size) {
        pthread_mutex_lock(&s->lock);
        int r = slot_locked(s, gid, state, ret_size);
        pthread_mutex_unlock(&s->lock);
        return r;
}

static int find_owner(Store *s, const char *sha256, const char *gid, char ret[32]) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db,
                               "SELECT gid FROM reports AS o WHERE sha256 = ? AND gid != ? AND dup_of IS NULL"
                               " AND " ZIP_IN_STORE("o") " LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK ||
            sqlite3_bind_text(st, 1, sha256, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
            sqlite3_bind_text(st, 2, gid, -1, SQLITE_TRANSIENT) != SQLITE_OK)
                return -EIO;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        snprintf(ret, 32, "%s", (const char *) sqlite3_column_text(st, 0));
        return 0;
}

/* An upload between two steps while the store is unlocked, listed on the
 * stack of the thread that runs it: a PUT whose ZIP was renamed into
 * reports/, syncing the directory (it holds the slot of gid until its row
 * is updated: s->storing), or a Finish committed, syncing the WAL
 * (s->finishing). */
typedef struct GidUnderWay {
        const char *gid;
        struct GidUnderWay *next;
} GidUnderWay;

static bool under_way_locked(const GidUnderWay *list, const char *gid) {
        for (const GidUnderWay *i = list; i; i = i->next)
                if (streq(i->gid, gid))
                        return true;
        return false;
}

static void under_way_remove_locked(GidUnderWay **list, GidUnderWay *self) {
        for (GidUnderWay **p = list; *p; p = &(*p)->next)
                if (*p == self) {
                        *p = self->next;
                        return;
                }
}

bool storing_locked(Store *s, const char *gid) {
        return under_way_locked(s->storing, gid);
}

typedef struct Claim {
        const char *gid, *sha256;
        bool duplicate; /* recorded as a duplicate */
} Claim;

/* Records c->gid as a duplicate of the owner of the same ZIP, if one is in
 * the store. The owner may be an upload never finished: the sweeper keeps
 * its ZIP while this report refers to it (store_sweep). Its row was written
 * after its ZIP was durable. A ZIP no report keeps any more is not taken
 * up: the retention or the sweeper removes it (ZIP_IN_STORE); in one
 * transaction with the update, so that another process's retention cannot
 * decide to remove it in between. */
static int claim_duplicate_tx(Store *s, void *userdata) {
        Claim *c = userdata;
        char owner[32];
        int r = find_owner(s, c->sha256, c->gid, owner);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        _cleanup_free_ char *owner_zip = store_zip_path(s, owner);
        if (!owner_zip)
                return -ENOMEM;
        if (access(owner_zip, F_OK) < 0)
                return 0; /* not where the index says: keep this copy */
        r = exec_bind(s, "UPDATE reports SET state='uploaded', sha256=?, dup_of=?, updated=? WHERE gid=?", "ssis",
                      c->sha256, owner, (int64_t) time(NULL), c->gid);
        if (r < 0)
                return r;
        c->duplicate = true;
        return 0;
}

/* Takes the slot of gid for this PUT. A copy of a ZIP stored before is done
 * here (1: recorded); else the ZIP is renamed into reports/ and self holds
 * the slot (0), with *ret_size the size the slot announced. */
static int claim_locked(Store *s, const char *gid, const char *sha256, const char *part, const char *zip,
                        GidUnderWay *self, uint64_t *ret_size) {
        char state[16];
        uint64_t size;
        int r = slot_locked(s, gid, state, &size);
        if (r < 0)
                return r;
        /* Two PUTs of one slot: only the first one stores. */
        if (!streq(state, "started") || storing_locked(s, gid))
                return -EALREADY;

        /* The same ZIP uploaded before (a device that retried after a lost
         * answer): keep one copy, point the new report at the old one. */
        Claim claim = { .gid = gid, .sha256 = sha256 };
        r = transaction_locked(s, claim_duplicate_tx, &claim);
        if (r < 0)
                return r;
        if (claim.duplicate) {
                (void) unlink(part);
                return 1;
        }
        if (rename(part, zip) < 0)
                return negative_errno();
        self->next = s->storing;
        s->storing = self;
        *ret_size = size;
        return 0;
}

/* The slot held by a PUT whose ZIP is durable in reports/: the row says so
 * now. 0 rows: the sweeper took the slot meanwhile. */
static int record_locked(Store *s, const char *gid, const char *sha256) {
        int r = exec_bind(s, "UPDATE reports SET state='uploaded', sha256=?, updated=? WHERE gid=? AND state='started'",
                          "sis", sha256, (int64_t) time(NULL), gid);
        return r == 0 ? -ENOENT : r;
}

int store_put_open(Store *s, const char *gid, uint64_t size, int *ret_fd) {
        _cleanup_free_ char *part = part_path(s, gid);
        if (!part)
                return -ENOMEM;
        char state[16];
        uint64_t announced;
        pthread_mutex_lock(&s->lock);
        int r = slot_locked(s, gid, state, &announced);
        if (r >= 0 && announced != size)
                r = -ENOENT;
        if (r >= 0 && (!streq(state, "started") || storing_locked(s, gid)))
                r = -EALREADY;
        int fd = -1;
        /* One PUT per slot at a time: a second one must not write into the
         * same file (nor, after the rename, into the stored ZIP). */
        if (r >= 0 && (fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0)
                r = errno == ENOENT ? -EIO : negative_errno(); /* incoming/ gone: not the slot's fault */
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

void store_put_abandon(Store *s, const char *gid) {
        unlink_path(part_path(s, gid));
}

int store_uploaded(Store *s, const char *gid, const char *sha256) {
        _cleanup_free_ char *part = part_path(s, gid), *zip = store_zip_path(s, gid);
        if (!part || !zip)
                return -ENOMEM;
        GidUnderWay self = { .gid = gid };
        uint64_t size = 0;
        /* Not even a duplicate is acknowledged: its row would not be on disk. */
        if (store_sync_failed(s))
                return -EIO;
        pthread_mutex_lock(&s->lock);
        int r = claim_locked(s, gid, sha256, part, zip, &self, &size);
        pthread_mutex_unlock(&s->lock);
        if (r != 0)
                return r < 0 ? r : 0;

        /* The new name is made durable before the row names it, so no row
         * ever names a file a power cut could take, whenever the row reaches
         * the disk. The directory is synced outside the store's lock, once
         * for all the PUTs that wait (group_sync). Its old name in
         * incoming/ is not synced away: after a power cut it may come back
         * as a stray .part, which nothing reads. */
        r = group_sync(&s->reports_sync);
        if (r >= 0 && store_sync_failed(s))
                r = -EIO;
        pthread_mutex_lock(&s->lock);
        under_way_remove_locked(&s->storing, &self);
        if (r >= 0)
                r = record_locked(s, gid, sha256);
        if (r >= 0)
                s->zip_bytes += size;
        else
                (void) unlink(zip);
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : 0;
}

/* The device a report came from, for counting distinct devices: its
 * serial, else its steamid, else the address it came from ("0" is the
 * collector's "unknown"). */
static const char *device_key(const char *serial, const char *steamid, const char *remote) {
        if (!isempty(serial) && !streq(serial, "0"))
                return serial;
        if (!isempty(steamid) && !streq(steamid, "0"))
                return steamid;
        return strempty(remote);
}

static int finish_locked(Store *s, const char *gid, const FinishFields *f) {
        /* A second Finish keeps the version first sent. */
        int r = exec_bind(s,
                          "UPDATE reports SET state='finished', title=?1, type=?2, frame=?3, module=?4, signature=?5,"
                          " analysis_state=?6, crash_member=?7, analysis=?8,"
                          " sent_version = CASE WHEN ?9 IS NULL THEN sent_version ELSE coalesce(sent_version, version) END,"
                          " version = coalesce(?9, version), stack = coalesce(?10, stack), updated=?11,"
                          " serial = coalesce(?13, serial), account = coalesce(?14, account)"
                          " WHERE gid=?12 AND state IN ('uploaded', 'finished')",
                          "ssssssssssisss", f->title, f->type, f->frame, f->module, f->signature, f->analysis_state,
                          f->crash_member, f->analysis_json, f->kernel, f->stack, (int64_t) time(NULL), gid, f->serial,
                          f->account);
        if (r <= 0)
                return r == 0 ? -ENOENT : r;
        return account_locked(s, gid, f);
}

/* Counts a finished report into its bucket, once. */
static int account_locked(Store *s, const char *gid, const FinishFields *f) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st,
                         "SELECT bucket_id, product, build, version, serial, steamid, remote, created FROM reports"
                         " WHERE gid = ?",
                         "s", gid);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        /* A second Finish of the same report is not counted twice. */
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
                return 0;
        _cleanup_free_ char *product = col(st, 1), *build = col(st, 2), *kernel = col(st, 3), *serial = col(st, 4),
                            *steamid = col(st, 5), *remote = col(st, 6), *key = NULL;
        int64_t created = sqlite3_column_int64(st, 7);
        /* Reports without a signature: one bucket per title, and one for all
         * those without a crash the analyzer found. */
        if (!isempty(f->signature))
                key = strdup(f->signature);
        else if (!isempty(f->title))
                (void) asprintf(&key, "title:%s", f->title);
        else
                key = strdup("no-crash");
        if (!key)
                return -ENOMEM;
        const char *device = device_key(serial, steamid, remote);
        r = exec_bind(s, "UPDATE reports SET device = ? WHERE gid = ?", "ss", device, gid);
        if (r < 0)
                return r;
        return bucket_account_locked(s, gid, key, f, created, product, build, kernel, device);
}

typedef struct Finish {
        const char *gid;
        const FinishFields *f;
} Finish;

static int finish_tx(Store *s, void *userdata) {
        const Finish *fin = userdata;
        return finish_locked(s, fin->gid, fin->f);
}

int store_finish(Store *s, const char *gid, const FinishFields *f) {
        /* Refused before it commits: each retry would count the report again. */
        if (store_sync_failed(s))
                return -EIO;
        GidUnderWay self = { .gid = gid };
        pthread_mutex_lock(&s->lock);
        /* The report and its bucket's counters change together or not at all. */
        int r = transaction_locked(s, finish_tx, &(Finish) { gid, f });
        if (r >= 0) {
                self.next = s->finishing;
                s->finishing = &self;
        }
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
                return r;
        /* Answered once it is on disk, with the Finishes that commit
         * meanwhile (group_sync). */
        r = store_sync(s);
        pthread_mutex_lock(&s->lock);
        under_way_remove_locked(&s->finishing, &self);
        pthread_mutex_unlock(&s->lock);
        return r < 0 ? r : 0;
}

int store_finish_again(Store *s, const char *gid) {
        pthread_mutex_lock(&s->lock);
        bool syncing = under_way_locked(s->finishing, gid);
        pthread_mutex_unlock(&s->lock);
        /* Its Finish synced (a failure is store_sync_failed()), or this
         * process's open did, for an earlier one's: no fsync a call, which
         * a device's Finishes sent again and again had the disk do without
         * end (review). */
        return syncing ? store_sync(s) : store_sync_failed(s) ? -EIO : 0;
}

char *col(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *) t) : NULL;
}

#define ROW_COLUMNS                                                                                           \
        "gid, state, created, updated, size, sha256, steamid, product, build, version, platform, crash_time," \
        " stack, note, remote, title, type, signature, dup_of, serial, unencoded, sent_version, frame, module," \
        " analysis_state, crash_member, account, device, bucket_id, zip_expired"

static void row_read(sqlite3_stmt *st, ReportRow *r) {
        *r = (ReportRow) {};
        snprintf(r->gid, sizeof r->gid, "%s", (const char *) sqlite3_column_text(st, 0));
        snprintf(r->state, sizeof r->state, "%s", (const char *) sqlite3_column_text(st, 1));
        r->created = sqlite3_column_int64(st, 2);
        r->updated = sqlite3_column_int64(st, 3);
        r->size = (uint64_t) sqlite3_column_int64(st, 4);
        if (sqlite3_column_text(st, 5))
                snprintf(r->sha256, sizeof r->sha256, "%s", (const char *) sqlite3_column_text(st, 5));
        r->steamid = col(st, 6);
        r->product = col(st, 7);
        r->build = col(st, 8);
        r->version = col(st, 9);
        r->platform = col(st, 10);
        r->crash_time = sqlite3_column_int64(st, 11);
        r->stack = col(st, 12);
        r->note = col(st, 13);
        r->remote = col(st, 14);
        r->title = col(st, 15);
        r->type = col(st, 16);
        r->signature = col(st, 17);
        r->dup_of = col(st, 18);
        r->serial = col(st, 19);
        r->unencoded = sqlite3_column_int64(st, 20) != 0;
        r->sent_version = col(st, 21);
        r->frame = col(st, 22);
        r->module = col(st, 23);
        r->analysis_state = col(st, 24);
        r->crash_member = col(st, 25);
        r->account = col(st, 26);
        r->device = col(st, 27);
        r->bucket_id = sqlite3_column_int64(st, 28);
        r->zip_expired = sqlite3_column_int64(st, 29) != 0;
}

void report_row_done(ReportRow *r) {
        free(r->steamid);
        free(r->product);
        free(r->build);
        free(r->version);
        free(r->platform);
        free(r->stack);
        free(r->note);
        free(r->remote);
        free(r->title);
        free(r->type);
        free(r->signature);
        free(r->dup_of);
        free(r->serial);
        free(r->sent_version);
        free(r->frame);
        free(r->module);
        free(r->analysis_state);
        free(r->crash_member);
        free(r->account);
        free(r->device);
        *r = (ReportRow) {};
}

void report_rows_free(ReportRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                report_row_done(&rows[i]);
        free(rows);
}

int store_get(Store *s, const char *gid, ReportRow *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = -ENOENT;
        pthread_mutex_lock(&s->lock);
        if (sqlite3_prepare_v2(s->db, "SELECT " ROW_COLUMNS " FROM reports WHERE gid = ?", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_bind_text(st, 1, gid, -1, SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
                row_read(st, ret);
                r = 0;
        }
        pthread_mutex_unlock(&s->lock);
        return r;
}

int store_get_detail(Store *s, const char *gid, char **ret_analysis_json, char **ret_form_raw, size_t *ret_form_raw_size) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = -ENOENT;
        pthread_mutex_lock(&s->lock);
        if (sqlite3_prepare_v2(s->db, "SELECT analysis, form_raw FROM reports WHERE gid = ?", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_bind_text(st, 1, gid, -1, SQLITE_TRANSIENT) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
                _cleanup_free_ char *analysis = col(st, 0), *raw = NULL;
                const void *blob = sqlite3_column_blob(st, 1);
                size_t n = (size_t) sqlite3_column_bytes(st, 1);
                r = 0;
                if (blob) {
                        raw = malloc(n + 1);
                        if (raw) {
                                memcpy(raw, blob, n);
                                raw[n] = 0;
                        }
                }
                if ((blob && !raw) || (sqlite3_column_type(st, 0) != SQLITE_NULL && !analysis))
                        r = -ENOMEM;
                else {
                        *ret_analysis_json = TAKE_PTR(analysis);
                        *ret_form_raw = TAKE_PTR(raw);
                        *ret_form_raw_size = blob ? n : 0;
                }
        }
        pthread_mutex_unlock(&s->lock);
        return r;
}

/* Whether buckets are merged into bucket id. */
static bool bucket_has_merged(Store *s, int64_t id) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        pthread_mutex_lock(&s->lock);
        bool r = prepare_bind(s, &st, "SELECT 1 FROM buckets WHERE merged_into = ? LIMIT 1", "i", id) >= 0 &&
                 sqlite3_step(st) == SQLITE_ROW;
        pthread_mutex_unlock(&s->lock);
        return r;
}

/* Appends a fragment of SQL; the buffers are sized for every fragment. */
static void sql_append(char *buf, size_t size, const char *frag) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, "%s", frag);
}

int store_list(Store *s, const ReportFilter *f, ReportRow **ret, size_t *ret_n) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        /* Only the conditions asked for, so that SQLite picks the index of
         * the one that narrows most ("?1 IS NULL OR col = ?1" would hide
         * every index from the planner). Values are bound, never pasted. */
        static const struct {
                size_t offset;
                const char *sql;
        } conds[] = {
                { offsetof(ReportFilter, steamid), " AND steamid = ?" },
                { offsetof(ReportFilter, serial), " AND serial = ?" },
                { offsetof(ReportFilter, account), " AND account = ?" },
                { offsetof(ReportFilter, product), " AND product = ?" },
                { offsetof(ReportFilter, build), " AND build = ?" },
                { offsetof(ReportFilter, version), " AND version = ?" },
                { offsetof(ReportFilter, signature), " AND signature = ?" },
                /* The titles of a bucket are few: find the buckets first. */
                { offsetof(ReportFilter, title),
                  " AND bucket_id IN (SELECT bucket_id FROM bucket_titles WHERE instr(title, ?1) > 0)"
                  " AND instr(title, ?1) > 0" },
        };
        char sql[2048] = "SELECT " ROW_COLUMNS " FROM reports WHERE state = 'finished'";
        const char *binds[ELEMENTSOF(conds)];
        size_t nb = 0;
        for (size_t i = 0; i < ELEMENTSOF(conds); i++) {
                const char *v = *(const char *const *) ((const char *) f + conds[i].offset);
                if (!v)
                        continue;
                char frag[256];
                /* ?1 in a fragment is its own parameter, numbered in order. */
                const char *q = conds[i].sql;
                size_t k = 0;
                for (; *q && k < sizeof frag - 8; q++) {
                        if (q[0] == '?' && q[1] == '1') {
                                k += (size_t) snprintf(frag + k, sizeof frag - k, "?%zu", nb + 1);
                                q++;
                        } else if (q[0] == '?') {
                                k += (size_t) snprintf(frag + k, sizeof frag - k, "?%zu", nb + 1);
                        } else
                                frag[k++] = *q;
                }
                frag[k] = 0;
                sql_append(sql, sizeof sql, frag);
                binds[nb++] = v;
        }
        char tail[256];
        snprintf(tail, sizeof tail,
                 "%s%s%s ORDER BY created DESC, gid DESC LIMIT %u OFFSET %u",
                 f->bucket_id <= 0 ? ""
                 : bucket_has_merged(s, f->bucket_id)
                         ? " AND bucket_id IN (SELECT ?90 UNION ALL SELECT id FROM buckets WHERE merged_into = ?90)"
                         /* One bucket: its reports newest first straight from the index. */
                         : " AND bucket_id = ?90",
                 f->since ? " AND crash_time >= ?91" : "", f->until ? " AND crash_time <= ?92" : "",
                 f->limit ? f->limit : 1000, f->offset);
        sql_append(sql, sizeof sql, tail);

        ReportRow *rows = NULL;
        size_t n = 0;
        int r = 0;
        pthread_mutex_lock(&s->lock);
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
                pthread_mutex_unlock(&s->lock);
                return -EIO;
        }
        for (size_t i = 0; i < nb; i++)
                sqlite3_bind_text(st, (int) i + 1, binds[i], -1, SQLITE_TRANSIENT);
        if (f->bucket_id > 0)
                sqlite3_bind_int64(st, 90, f->bucket_id);
        if (f->since)
                sqlite3_bind_int64(st, 91, f->since);
        if (f->until)
                sqlite3_bind_int64(st, 92, f->until);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                ReportRow *g = realloc(rows, (n + 1) * sizeof *g);
                if (!g) {
                        r = -ENOMEM;
                        break;
                }
                rows = g;
                row_read(st, &rows[n++]);
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = -EIO;
        pthread_mutex_unlock(&s->lock);
        if (r < 0) {
                report_rows_free(rows, n);
                return r;
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

void store_count_reject(Store *s, const char *reason) {
        pthread_mutex_lock(&s->lock);
        (void) exec_bind(s, "INSERT INTO rejects (reason, count) VALUES (?, 1) "
                            "ON CONFLICT(reason) DO UPDATE SET count = count + 1", "s", reason);
        pthread_mutex_unlock(&s->lock);
}

int store_stats(Store *s, char ***ret_names, int64_t **ret_counts, size_t *ret_n) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        char **names = NULL;
        int64_t *counts = NULL;
        size_t n = 0;
        pthread_mutex_lock(&s->lock);
        if (sqlite3_prepare_v2(s->db,
                               "SELECT 'reports.' || state, count(*) FROM reports GROUP BY state "
                               "UNION ALL SELECT 'rejects.' || reason, count FROM rejects",
                               -1, &st, NULL) == SQLITE_OK)
                while (sqlite3_step(st) == SQLITE_ROW) {
                        char **gn = realloc(names, (n + 1) * sizeof *gn);
                        if (!gn)
                                break;
                        names = gn;
                        int64_t *gc = realloc(counts, (n + 1) * sizeof *gc);
                        if (!gc)
                                break;
                        counts = gc;
                        names[n] = col(st, 0);
                        counts[n++] = sqlite3_column_int64(st, 1);
                }
        pthread_mutex_unlock(&s->lock);
        *ret_names = names;
        *ret_counts = counts;
        *ret_n = n;
        return 0;
}
