/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store's upkeep: the sweeper (uploads never finished), the retention
 * (--keep-zips) and the removal of the ZIPs they release, once the index
 * that releases them is on disk (store.c holds the reports' way in). */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse-util.h"
#include "store-internal.h"

typedef struct GidSize {
        char gid[32];
        uint64_t size;
        int64_t updated; /* when the query selects it, third */
} GidSize;

/* The rows a query selects (or a DELETE returns), as (gid[, size[,
 * updated]]) triples; the columns it has not are 0. */
static int select_gids(Store *s, const char *sql, int64_t arg, GidSize **ret, size_t *ret_n) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_free_ GidSize *v = NULL;
        size_t n = 0;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
            (sqlite3_bind_parameter_count(st) > 0 && sqlite3_bind_int64(st, 1, arg) != SQLITE_OK))
                return -EIO;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                GidSize *g = realloc(v, (n + 1) * sizeof *g);
                if (!g)
                        return -ENOMEM;
                v = g;
                snprintf(v[n].gid, sizeof v[n].gid, "%s", (const char *) sqlite3_column_text(st, 0));
                v[n].size = sqlite3_column_count(st) > 1 ? (uint64_t) sqlite3_column_int64(st, 1) : 0;
                v[n++].updated = sqlite3_column_count(st) > 2 ? sqlite3_column_int64(st, 2) : 0;
        }
        if (rc != SQLITE_DONE)
                return -EIO;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* Whether a PUT of gid is under way (its .part exists); out of memory:
 * yes (the sweeper keeps the row this time). */
static bool part_exists(Store *s, const char *gid) {
        _cleanup_free_ char *p = part_path(s, gid);
        return !p || access(p, F_OK) >= 0;
}

/* Released ZIPs: no report keeps them any more. Each is listed in
 * released_zips in the transaction that says so, and its file goes once
 * that is durable (remove_released_zips(), after the retention and each
 * sweep: those a crash or a failed sync left go at a later one), so that a
 * power cut can never bring back a row that keeps a ZIP already removed,
 * and no file is left behind for good. */

/* Lists gid's ZIP as released, in the caller's transaction: 1 when it
 * was not listed yet, 0 when it was, or a negative errno. */
static int list_released_locked(Store *s, const char *gid) {
        return exec_bind(s, "INSERT OR IGNORE INTO released_zips (gid) VALUES (?)", "s", gid);
}

/* Lists the ZIP of owner as released once no report keeps it (the
 * retention expired the last, or the sweeper removed it); *bytes grows by
 * its size, which the count of --max-store-size gives up once the
 * transaction commits. An owner the sweeper expired is the sweeper's, which
 * removes its row with its ZIP. */
static int release_zip_locked(Store *s, const char *owner, uint64_t *bytes) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *o = NULL;
        int r = prepare_bind(s, &o,
                             "SELECT size FROM reports AS w WHERE gid = ?1 AND dup_of IS NULL AND sha256 IS NOT NULL"
                             " AND state IN ('uploaded', 'finished') AND NOT " KEEPS_ZIP("w") " AND " NO_DUPLICATE_KEEPS_ZIP,
                             "s", owner);
        if (r < 0)
                return r;
        int rc = sqlite3_step(o);
        if (rc == SQLITE_DONE)
                return 0; /* still kept, or none of its own */
        if (rc != SQLITE_ROW)
                return -EIO;
        r = list_released_locked(s, owner);
        if (r > 0)
                *bytes += (uint64_t) sqlite3_column_int64(o, 0);
        return r < 0 ? r : 0;
}

static int gid_cmp(const void *a, const void *b) {
        return strcmp(((const GidSize *) a)->gid, ((const GidSize *) b)->gid);
}

/* release_zip_locked() for each owner of v, once each (sorted: many of
 * one bucket's reports may share a ZIP). */
static int release_owners_locked(Store *s, GidSize *v, size_t n, uint64_t *bytes) {
        if (n == 0)
                return 0; /* (v may be NULL: qsort() wants an array) */
        qsort(v, n, sizeof *v, gid_cmp);
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && streq(v[i].gid, v[i - 1].gid))
                        continue;
                int r = release_zip_locked(s, v[i].gid, bytes);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The next page of released ZIPs after the gid `after`. */
#define RELEASED_PAGE 500
static int page_of_released_locked(Store *s, const char *after, GidSize **ret, size_t *ret_n) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        _cleanup_free_ GidSize *v = calloc(RELEASED_PAGE, sizeof *v);
        size_t n = 0;
        if (!v)
                return -ENOMEM;
        int r = prepare_bind(s, &st, "SELECT gid FROM released_zips WHERE gid > ? ORDER BY gid LIMIT ?", "si", after,
                             (int64_t) RELEASED_PAGE);
        if (r < 0)
                return r;
        int rc;
        while (n < RELEASED_PAGE && (rc = sqlite3_step(st)) == SQLITE_ROW)
                snprintf(v[n++].gid, sizeof v->gid, "%s", (const char *) sqlite3_column_text(st, 0));
        if (n < RELEASED_PAGE && rc != SQLITE_DONE)
                return -EIO;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

typedef struct GidList {
        const GidSize *items;
        size_t n;
} GidList;

/* Unlists the released ZIPs whose files are gone (an empty gid: kept). */
static int unlist_released_tx(Store *s, void *userdata) {
        const GidList *l = userdata;
        for (size_t i = 0; i < l->n; i++) {
                if (!l->items[i].gid[0])
                        continue;
                int r = exec_bind(s, "DELETE FROM released_zips WHERE gid = ?", "s", l->items[i].gid);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The released ZIPs' files, once the index that released them is on disk;
 * called unlocked (a new report cannot take one up: ZIP_IN_STORE). After a
 * failed sync none is removed (store_sync_failed()). *ret_removed: files
 * removed. */
static int remove_released_zips(Store *s, unsigned *ret_removed) {
        char after[32] = ""; /* a page at a time, in gid order */
        unsigned removed = 0;
        for (;;) {
                _cleanup_free_ GidSize *v = NULL;
                size_t n = 0;
                pthread_mutex_lock(&s->lock);
                int r = page_of_released_locked(s, after, &v, &n);
                pthread_mutex_unlock(&s->lock);
                if (r < 0)
                        return r;
                if (n == 0)
                        break;
                snprintf(after, sizeof after, "%s", v[n - 1].gid);
                /* Each page's listing durable before its files go: another
                 * process may have listed some since the last sync. */
                r = store_sync_failed(s) ? -EIO : store_sync(s);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < n; k++) {
                        _cleanup_free_ char *p = store_zip_path(s, v[k].gid);
                        if (!p)
                                return -ENOMEM;
                        if (unlink(p) >= 0)
                                removed++;
                        else if (errno != ENOENT)
                                v[k].gid[0] = 0; /* listed still: tried again */
                }
                pthread_mutex_lock(&s->lock);
                r = transaction_locked(s, unlist_released_tx, &(GidList) { v, n });
                pthread_mutex_unlock(&s->lock);
                if (r < 0)
                        return r;
        }
        if (ret_removed)
                *ret_removed = removed;
        return 0;
}

/* Starts never PUT: the row, and a partial upload if one was left. Once
 * its URL has expired no PUT can begin, so a Start goes at start_cutoff
 * unless its PUT is under way (its .part is there; one left by a server
 * killed mid-PUT keeps it until cutoff). */
static int sweep_started_locked(Store *s, int64_t start_cutoff, int64_t cutoff, unsigned *removed) {
        _cleanup_free_ GidSize *v = NULL;
        size_t n = 0;
        int r = select_gids(s, SWEEP_STARTED_SQL, start_cutoff, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (storing_locked(s, v[i].gid))
                        continue; /* its PUT is recording it */
                if (v[i].updated >= cutoff && part_exists(s, v[i].gid))
                        continue;
                if (exec_bind(s, "DELETE FROM reports WHERE gid = ? AND state = 'started'", "s", v[i].gid) > 0) {
                        unlink_path(part_path(s, v[i].gid));
                        /* A ZIP whose row a power cut took back to
                         * 'started' (store_uploaded): nothing refers to it. */
                        unlink_path(store_zip_path(s, v[i].gid));
                        (*removed)++;
                }
        }
        return 0;
}

typedef struct Sweep {
        int64_t cutoff;
        unsigned removed;
        uint64_t released_bytes;
} Sweep;

/* Uploads never finished, in one transaction with the ZIPs they release. */
static int sweep_uploaded_tx(Store *s, void *userdata) {
        Sweep *w = userdata;
        _cleanup_free_ GidSize *v = NULL;
        size_t n = 0;

        /* Duplicates: the row; and the ZIP they used if they were its last
         * keepers (its owner's ZIP expired while they were under way). */
        int r = select_gids(s, SWEEP_UPLOADED_DUPLICATES_SQL, w->cutoff, &v, &n);
        if (r < 0)
                return r;
        w->removed += (unsigned) n;
        r = release_owners_locked(s, v, n, &w->released_bytes);
        if (r < 0)
                return r;
        free(v);
        v = NULL;

        /* Owners of their ZIP: other reports may share it. */
        r = exec_bind(s, SWEEP_UPLOADED_OWNERS_SQL, "i", w->cutoff);
        if (r < 0)
                return r;

        /* An expired upload goes with its ZIP once no report keeps it. */
        r = select_gids(s, SWEEP_EXPIRED_SQL, 0, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = exec_bind(s, "DELETE FROM reports WHERE gid = ?1 AND state = 'expired' AND " NO_DUPLICATE_KEEPS_ZIP,
                              "s", v[i].gid);
                if (r > 0)
                        r = list_released_locked(s, v[i].gid);
                if (r < 0)
                        return r;
                if (r > 0) {
                        w->released_bytes += v[i].size;
                        w->removed++;
                }
        }
        return 0;
}

int store_sweep(Store *s, int64_t start_max_age, int64_t max_age, unsigned *ret_removed) {
        int64_t now = (int64_t) time(NULL);
        Sweep w = { .cutoff = now - max_age };
        pthread_mutex_lock(&s->lock);
        /* What another process freed (kcrash-server retain) counts from
         * here, not from the next start: its commits change data_version
         * (this connection's own do not). */
        int r = data_version(s) != s->data_version ? zip_bytes_load(s) : 0;
        if (r >= 0)
                r = sweep_started_locked(s, now - MIN(start_max_age, max_age), w.cutoff, &w.removed);
        if (r >= 0)
                r = transaction_locked(s, sweep_uploaded_tx, &w);
        if (r >= 0)
                s->zip_bytes -= MIN(s->zip_bytes, w.released_bytes);
        pthread_mutex_unlock(&s->lock);
        /* (those of an earlier run too, whatever this one did) */
        int k = remove_released_zips(s, NULL);
        if (r >= 0)
                r = k;
        if (r < 0)
                return r;
        *ret_removed = w.removed;
        return 0;
}

typedef struct RetainBatch {
        int64_t bucket, cutoff;
        unsigned keep;
        size_t selected;
        uint64_t released_bytes;
} RetainBatch;

/* Expires the ZIPs of the next batch of one bucket's reports beyond its
 * newest keep, older than cutoff: each row is marked (with its long
 * fields dropped), and its ZIP released when no report keeps it any more. */
static int retain_batch_tx(Store *s, void *userdata) {
        RetainBatch *b = userdata;
        _cleanup_free_ GidSize *owners = NULL;
        size_t n = 0;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st,
                             RETAIN_BATCH_SQL, "iiii", b->bucket, (int64_t) b->keep, b->cutoff, (int64_t) RETAIN_BATCH);
        if (r < 0)
                return r;
        int rc;
        b->selected = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                b->selected++;
                /* The device's long fields go with the ZIP: they are what
                 * the index holds most of, and --max-store-size counts the
                 * index (title, signature and the rest stay). Once: a report
                 * another process expired meanwhile releases nothing again. */
                r = exec_bind(s,
                              "UPDATE reports SET zip_expired = 1, stack = NULL, note = NULL, form_raw = NULL"
                              " WHERE gid = ? AND coalesce(zip_expired, 0) = 0",
                              "s", (const char *) sqlite3_column_text(st, 0));
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                GidSize *g = realloc(owners, (n + 1) * sizeof *g);
                if (!g)
                        return -ENOMEM;
                owners = g;
                owners[n] = (GidSize) {};
                snprintf(owners[n++].gid, sizeof owners->gid, "%s", (const char *) sqlite3_column_text(st, 1));
        }
        if (rc != SQLITE_DONE)
                return -EIO;
        return release_owners_locked(s, owners, n, &b->released_bytes);
}

int store_retain(Store *s, unsigned keep_per_bucket, int64_t cutoff, unsigned *ret_dropped) {
        _cleanup_free_ GidSize *buckets = NULL;
        size_t n = 0;
        bool changed = false;
        pthread_mutex_lock(&s->lock);
        int r = select_gids(s, "SELECT id, count FROM buckets WHERE count > ?", keep_per_bucket, &buckets, &n);
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
                return r;
        /* A batch at a time, unlocked in between: uploads go on. */
        for (size_t i = 0; i < n && r >= 0; i++) {
                /* select_gids gives the id as SQLite printed the integer */
                RetainBatch b = { .keep = keep_per_bucket, .cutoff = cutoff };
                if (parse_int64(buckets[i].gid, &b.bucket) < 0)
                        continue;
                do {
                        b.released_bytes = 0;
                        pthread_mutex_lock(&s->lock);
                        r = transaction_locked(s, retain_batch_tx, &b);
                        if (r >= 0)
                                s->zip_bytes -= MIN(s->zip_bytes, b.released_bytes);
                        pthread_mutex_unlock(&s->lock);
                        changed |= r >= 0 && b.selected > 0;
                } while (r >= 0 && b.selected == RETAIN_BATCH);
        }
        /* The marks durable, then the files no report keeps (those of the
         * batches done before a failure too). */
        unsigned dropped = 0;
        int k = remove_released_zips(s, &dropped);
        if (k >= 0 && changed)
                k = store_sync(s);
        if (r >= 0)
                r = k;
        if (r < 0)
                return r;
        *ret_dropped = dropped;
        return 0;
}
