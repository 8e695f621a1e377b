/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Buckets: crashes grouped by signature, with counters kept at Finish. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-internal.h"

#define DAY 86400
/* The ids of bucket ?1 and of the buckets merged into it, in a form SQLite
 * answers from the indexes ("id = ?1 OR merged_into = ?1" scans). */
#define GROUP_IDS "(SELECT ?1 UNION ALL SELECT id FROM buckets WHERE merged_into = ?1)"

int bucket_account_locked(Store *s, const char *gid, const char *key, const FinishFields *f, int64_t when,
                          const char *product, const char *build, const char *kernel, const char *device) {
        int r = exec_bind(s,
                          "INSERT INTO buckets (signature, title, type, frame, module, first_seen, last_seen,"
                          " first_build, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?6)"
                          " ON CONFLICT(signature) DO NOTHING",
                          "sssssis", key, f->title, f->type, f->frame, f->module, when, build);
        if (r < 0)
                return r;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        r = prepare_bind(s, &st, "SELECT id, coalesce(merged_into, id) FROM buckets WHERE signature = ?", "s", key);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        int64_t id = sqlite3_column_int64(st, 0), primary = sqlite3_column_int64(st, 1);

        int new_device = exec_bind(s, "INSERT OR IGNORE INTO bucket_devices (bucket_id, device) VALUES (?, ?)", "is",
                                   id, device);
        if (new_device < 0)
                return new_device;
        r = exec_bind(s,
                      "UPDATE buckets SET count = count + 1, devices = devices + ?1,"
                      " first_seen = min(coalesce(first_seen, ?2), ?2), last_seen = max(coalesce(last_seen, ?2), ?2)"
                      " WHERE id = ?3",
                      "iii", (int64_t) (new_device > 0), when, id);
        if (r >= 0)
                r = exec_bind(s,
                              "INSERT INTO bucket_days (bucket_id, day, count) VALUES (?, ?, 1)"
                              " ON CONFLICT DO UPDATE SET count = count + 1",
                              "ii", id, when / DAY);
        if (r >= 0)
                r = exec_bind(s,
                              "INSERT INTO bucket_counts (bucket_id, day, product, build, kernel, count)"
                              " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
                              "iisss", id, when / DAY, strempty(product), strempty(build), strempty(kernel));
        if (r >= 0 && !isempty(f->title))
                r = exec_bind(s, "INSERT OR IGNORE INTO bucket_titles (bucket_id, title) VALUES (?, ?)", "is", id,
                              f->title);
        if (r >= 0)
                r = exec_bind(s, "UPDATE reports SET bucket_id = ? WHERE gid = ?", "is", id, gid);
        if (r < 0 || isempty(build))
                return r < 0 ? r : 0;

        /* Fixed in build Y: a crash from a build >= Y reopens it; a crash
         * from an older build (a device not updated yet) does not. */
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *fx = NULL;
        r = prepare_bind(s, &fx, "SELECT fixed_build FROM buckets WHERE id = ? AND status = 'fixed'", "i", primary);
        if (r < 0)
                return r;
        if (sqlite3_step(fx) != SQLITE_ROW)
                return 0;
        const char *fixed = (const char *) sqlite3_column_text(fx, 0);
        if (!fixed || strverscmp(build, fixed) < 0)
                return 0;
        r = exec_bind(s, "UPDATE buckets SET status = 'regressed', regressed_build = ?, updated = ? WHERE id = ?", "sii",
                      build, when, primary);
        return r < 0 ? r : 0;
}

#define BUCKET_COLUMNS                                                                                        \
        "b.id, b.signature, b.title, b.type, b.frame, b.module, b.first_build, b.status, b.fixed_build,"     \
        " b.regressed_build, b.note, b.link, coalesce(b.merged_into, 0)"

static void bucket_read(sqlite3_stmt *st, BucketRow *b) {
        *b = (BucketRow) {
                .id = sqlite3_column_int64(st, 0),
                .signature = col(st, 1),
                .title = col(st, 2),
                .type = col(st, 3),
                .frame = col(st, 4),
                .module = col(st, 5),
                .first_build = col(st, 6),
                .status = col(st, 7),
                .fixed_build = col(st, 8),
                .regressed_build = col(st, 9),
                .note = col(st, 10),
                .link = col(st, 11),
                .merged_into = sqlite3_column_int64(st, 12),
        };
}

void bucket_row_done(BucketRow *b) {
        free(b->signature);
        free(b->title);
        free(b->type);
        free(b->frame);
        free(b->module);
        free(b->first_build);
        free(b->status);
        free(b->fixed_build);
        free(b->regressed_build);
        free(b->note);
        free(b->link);
        *b = (BucketRow) {};
}

void bucket_rows_free(BucketRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                bucket_row_done(&rows[i]);
        free(rows);
}

/* Distinct devices of a bucket and the buckets merged into it. */
static int group_devices(Store *s, int64_t id, int64_t *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st,
                             "SELECT count(DISTINCT device) FROM bucket_devices WHERE bucket_id IN"
                             " " GROUP_IDS,
                             "i", id);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

/* The group aggregates of bucket id (with what is merged into it): first
 * and last report, distinct devices, buckets merged into it. */
static int group_locked(Store *s, BucketRow *b) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st,
                             "SELECT min(first_seen), max(last_seen), sum(devices), count(*) - 1 FROM buckets"
                             " WHERE id IN " GROUP_IDS,
                             "i", b->id);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        b->first_seen = sqlite3_column_int64(st, 0);
        b->last_seen = sqlite3_column_int64(st, 1);
        b->devices = sqlite3_column_int64(st, 2);
        b->n_merged = sqlite3_column_int64(st, 3);
        /* The sum of the devices of merged buckets counts a device twice
         * when it crashed in both: count them again, for those only. */
        return b->n_merged > 0 ? group_devices(s, b->id, &b->devices) : 0;
}

static int buckets_locked(Store *s, const BucketFilter *f, BucketRow **ret, size_t *ret_n, int64_t *ret_total) {
        /* The counts: all time from the buckets themselves; in a window from
         * the daily counters; by product, build or kernel from the counters
         * that have them. Merged buckets count for the one they are merged
         * into. Only the conditions asked for are in the SQL, so that the
         * index of the narrowest applies; values are bound (fixed numbers
         * ?1..?11), never pasted. */
        char counts[768];
        if (f->product || f->build || f->kernel)
                snprintf(counts, sizeof counts,
                         "SELECT coalesce(b.merged_into, b.id) AS p, sum(c.count) AS n FROM bucket_counts AS c"
                         " JOIN buckets AS b ON b.id = c.bucket_id WHERE c.day >= ?1 AND c.day <= ?2%s%s%s GROUP BY p",
                         f->product ? " AND c.product = ?3" : "", f->build ? " AND c.build = ?4" : "",
                         f->kernel ? " AND c.kernel = ?5" : "");
        else if (f->since || f->until)
                snprintf(counts, sizeof counts,
                         "SELECT coalesce(b.merged_into, b.id) AS p, sum(d.count) AS n FROM bucket_days AS d"
                         " JOIN buckets AS b ON b.id = d.bucket_id WHERE d.day >= ?1 AND d.day <= ?2 GROUP BY p");
        else
                snprintf(counts, sizeof counts,
                         "SELECT coalesce(merged_into, id) AS p, sum(count) AS n FROM buckets"
                         " WHERE ?1 = ?1 AND ?2 = ?2 GROUP BY p");
        _cleanup_free_ char *sql = NULL;
        if (asprintf(&sql,
                     "WITH g AS (%s)"
                     " SELECT " BUCKET_COLUMNS ", g.n, count(*) OVER (), b.first_seen, b.last_seen, b.devices,"
                     " EXISTS (SELECT 1 FROM buckets AS m WHERE m.merged_into = b.id)"
                     " FROM g JOIN buckets AS b ON b.id = g.p"
                     " WHERE b.merged_into IS NULL AND g.n > 0%s%s%s%s"
                     " ORDER BY g.n DESC, b.id LIMIT ?10 OFFSET ?11",
                     counts, f->type ? " AND b.type = ?6" : "", f->status ? " AND b.status = ?7" : "",
                     f->new_in ? " AND b.first_build = ?8" : "",
                     f->title ? " AND (instr(b.title, ?9) > 0 OR b.signature = ?9)" : "") < 0)
                return -ENOMEM;
        int64_t until_day = f->until ? f->until / DAY : INT64_MAX;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st, sql, "iisssssssii", f->since / DAY, until_day, f->product, f->build, f->kernel,
                             f->type, f->status, f->new_in, f->title, (int64_t) (f->limit ? f->limit : 100),
                             (int64_t) f->offset);
        if (r < 0)
                return r;
        BucketRow *rows = NULL;
        size_t n = 0;
        int64_t total = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                BucketRow *g = realloc(rows, (n + 1) * sizeof *g);
                if (!g) {
                        bucket_rows_free(rows, n);
                        return -ENOMEM;
                }
                rows = g;
                BucketRow *b = &rows[n++];
                bucket_read(st, b);
                b->count = sqlite3_column_int64(st, 13);
                total = sqlite3_column_int64(st, 14);
                b->first_seen = sqlite3_column_int64(st, 15);
                b->last_seen = sqlite3_column_int64(st, 16);
                b->devices = sqlite3_column_int64(st, 17);
                b->n_merged = sqlite3_column_int64(st, 18); /* 0 or 1 here: counted below */
        }
        if (rc != SQLITE_DONE) {
                bucket_rows_free(rows, n);
                return -EIO;
        }
        /* The page only, and only buckets with others merged into them:
         * their group aggregates. */
        for (size_t i = 0; i < n; i++)
                if (rows[i].n_merged > 0 && (r = group_locked(s, &rows[i])) < 0) {
                        bucket_rows_free(rows, n);
                        return r;
                }
        if (n == 0 && f->offset > 0) {
                /* Past the end: the total is still wanted. */
                BucketFilter all = *f;
                all.offset = 0;
                all.limit = 1;
                BucketRow *one = NULL;
                size_t k = 0;
                r = buckets_locked(s, &all, &one, &k, &total);
                bucket_rows_free(one, k);
                if (r < 0)
                        return r;
        }
        *ret = rows;
        *ret_n = n;
        *ret_total = total;
        return 0;
}

int store_buckets(Store *s, const BucketFilter *f, BucketRow **ret, size_t *ret_n, int64_t *ret_total) {
        pthread_mutex_lock(&s->lock);
        int r = buckets_locked(s, f, ret, ret_n, ret_total);
        pthread_mutex_unlock(&s->lock);
        return r;
}

/* Counts by name of a bucket and what is merged into it, highest first. */
static int name_counts(Store *s, const char *column, int64_t id, NameCount **ret, size_t *ret_n) {
        _cleanup_free_ char *sql = NULL;
        if (asprintf(&sql,
                     "SELECT %s, sum(count) AS n FROM bucket_counts WHERE bucket_id IN"
                     " " GROUP_IDS " GROUP BY %s ORDER BY n DESC, %s"
                     " LIMIT 1000",
                     column, column, column) < 0)
                return -ENOMEM;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st, sql, "i", id);
        if (r < 0)
                return r;
        NameCount *v = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                NameCount *g = realloc(v, (n + 1) * sizeof *g);
                if (!g)
                        break;
                v = g;
                v[n].name = col(st, 0);
                v[n++].count = sqlite3_column_int64(st, 1);
        }
        if (rc != SQLITE_DONE) {
                for (size_t i = 0; i < n; i++)
                        free(v[i].name);
                free(v);
                return -EIO;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int detail_locked(Store *s, int64_t id, BucketDetail *d) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st,
                             "SELECT " BUCKET_COLUMNS ", (SELECT sum(count) FROM buckets WHERE id IN " GROUP_IDS "),"
                             " (SELECT min(first_seen) FROM buckets WHERE id IN " GROUP_IDS "),"
                             " (SELECT max(last_seen) FROM buckets WHERE id IN " GROUP_IDS "),"
                             " (SELECT count(*) FROM buckets WHERE merged_into = ?1), b.devices"
                             " FROM buckets AS b WHERE b.id = ?1",
                             "i", id);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        bucket_read(st, &d->bucket);
        d->bucket.count = sqlite3_column_int64(st, 13);
        d->bucket.first_seen = sqlite3_column_int64(st, 14);
        d->bucket.last_seen = sqlite3_column_int64(st, 15);
        d->bucket.n_merged = sqlite3_column_int64(st, 16);
        d->bucket.devices = sqlite3_column_int64(st, 17);
        /* Counting distinct devices again is for merged buckets only (a
         * device in two of them counts once); otherwise the counter holds it. */
        r = d->bucket.n_merged > 0 ? group_devices(s, id, &d->bucket.devices) : 0;
        if (r >= 0)
                r = name_counts(s, "build", id, &d->builds, &d->n_builds);
        if (r >= 0)
                r = name_counts(s, "kernel", id, &d->kernels, &d->n_kernels);
        if (r >= 0)
                r = name_counts(s, "product", id, &d->products, &d->n_products);
        if (r < 0)
                return r;

        _cleanup_(sqlite3_finalizep) sqlite3_stmt *ds = NULL;
        r = prepare_bind(s, &ds,
                         "SELECT day, sum(count) FROM bucket_days WHERE bucket_id IN"
                         " " GROUP_IDS " GROUP BY day ORDER BY day",
                         "i", id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(ds)) == SQLITE_ROW) {
                DayCount *g = realloc(d->days, (d->n_days + 1) * sizeof *g);
                if (!g)
                        return -ENOMEM;
                d->days = g;
                d->days[d->n_days++] = (DayCount) { sqlite3_column_int64(ds, 0), sqlite3_column_int64(ds, 1) };
        }
        if (rc != SQLITE_DONE)
                return -EIO;

        _cleanup_(sqlite3_finalizep) sqlite3_stmt *ms = NULL;
        r = prepare_bind(s, &ms,
                         "SELECT " BUCKET_COLUMNS ", b.count, b.devices, b.first_seen, b.last_seen FROM buckets AS b"
                         " WHERE b.merged_into = ? ORDER BY b.count DESC, b.id",
                         "i", id);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(ms)) == SQLITE_ROW) {
                BucketRow *g = realloc(d->merged, (d->n_merged + 1) * sizeof *g);
                if (!g)
                        return -ENOMEM;
                d->merged = g;
                BucketRow *b = &d->merged[d->n_merged++];
                bucket_read(ms, b);
                b->count = sqlite3_column_int64(ms, 13);
                b->devices = sqlite3_column_int64(ms, 14);
                b->first_seen = sqlite3_column_int64(ms, 15);
                b->last_seen = sqlite3_column_int64(ms, 16);
        }
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_bucket_get(Store *s, int64_t id, BucketDetail *ret) {
        BucketDetail d = {};
        pthread_mutex_lock(&s->lock);
        int r = detail_locked(s, id, &d);
        pthread_mutex_unlock(&s->lock);
        if (r < 0) {
                bucket_detail_done(&d);
                return r;
        }
        *ret = d;
        return 0;
}

static void name_counts_free(NameCount *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

void bucket_detail_done(BucketDetail *d) {
        bucket_row_done(&d->bucket);
        name_counts_free(d->builds, d->n_builds);
        name_counts_free(d->kernels, d->n_kernels);
        name_counts_free(d->products, d->n_products);
        free(d->days);
        bucket_rows_free(d->merged, d->n_merged);
        *d = (BucketDetail) {};
}

/* The bucket id is merged into, or id itself; -ENOENT when there is none. */
static int primary_locked(Store *s, int64_t id, int64_t *ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_bind(s, &st, "SELECT coalesce(merged_into, id) FROM buckets WHERE id = ?", "i", id);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

int store_bucket_fix(Store *s, int64_t id, const char *build) {
        int64_t p;
        pthread_mutex_lock(&s->lock);
        int r = primary_locked(s, id, &p);
        if (r >= 0)
                r = exec_bind(s,
                              "UPDATE buckets SET status = CASE WHEN ?1 IS NULL THEN 'open' ELSE 'fixed' END,"
                              " fixed_build = ?1, regressed_build = NULL, updated = ?2 WHERE id = ?3",
                              "sii", build, (int64_t) time(NULL), p);
        pthread_mutex_unlock(&s->lock);
        /* Staff are told it is done: on disk. */
        return r < 0 ? r : store_sync(s);
}

int store_bucket_merge(Store *s, int64_t id, int64_t into) {
        int64_t p, self;
        pthread_mutex_lock(&s->lock);
        int r = primary_locked(s, into, &p);
        if (r >= 0)
                r = primary_locked(s, id, &self);
        if (r >= 0 && p == id)
                r = -EINVAL;
        /* What was merged into id moves with it (one level: a merged bucket
         * is never a target). */
        if (r >= 0)
                r = exec_bind(s, "UPDATE buckets SET merged_into = ?1, updated = ?3 WHERE id = ?2 OR merged_into = ?2",
                              "iii", p, id, (int64_t) time(NULL));
        pthread_mutex_unlock(&s->lock);
        /* Staff are told it is done: on disk. */
        return r < 0 ? r : store_sync(s);
}

int store_bucket_unmerge(Store *s, int64_t id) {
        int64_t p;
        pthread_mutex_lock(&s->lock);
        int r = primary_locked(s, id, &p);
        if (r >= 0 && p == id)
                r = -EINVAL;
        if (r >= 0)
                r = exec_bind(s, "UPDATE buckets SET merged_into = NULL, updated = ? WHERE id = ?", "ii",
                              (int64_t) time(NULL), id);
        pthread_mutex_unlock(&s->lock);
        /* Staff are told it is done: on disk. */
        return r < 0 ? r : store_sync(s);
}

int store_bucket_note(Store *s, int64_t id, const char *note, const char *link) {
        pthread_mutex_lock(&s->lock);
        int r = exec_bind(s, "UPDATE buckets SET note = ?, link = ?, updated = ? WHERE id = ?", "ssii", note, link,
                          (int64_t) time(NULL), id);
        pthread_mutex_unlock(&s->lock);
        if (r == 0)
                return -ENOENT;
        return r < 0 ? r : store_sync(s);
}
