/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The receiver's store: an SQLite index (the only file that includes
 * sqlite3.h) and the ZIPs under <data>/reports/<gid>.zip. All calls are
 * serialised by one mutex: the HTTP server runs a thread pool. */

typedef struct Store Store;

typedef struct StartFields {
        const char *steamid, *product, *build, *version, *platform, *stack, *note;
        int64_t crash_time;
        uint64_t size;
        const char *remote;
        /* A client that does not percent-encode (form_is_unencoded()): the
         * fields above are its raw values, and the body is kept as received. */
        bool unencoded;
        const char *form_raw;
        size_t form_raw_size;
        /* The time the Start's URL expiry is counted from (0: now); its
         * rate-limit key and the most Starts not yet PUT it may have (0: no
         * limit; store_start() returns -EDQUOT past it). */
        int64_t created;
        const char *rate_key;
        unsigned max_pending;
} StartFields;

/* The analysis of a finished upload: from kcrash's report.json, or the
 * receiver's own (triage.h). NULL fields are stored as NULL. */
typedef struct FinishFields {
        const char *title, *type, *frame, *module, *signature;
        const char *analysis_state; /* where the analysis came from, or why there is none */
        const char *crash_member;   /* the ZIP member the receiver analysed */
        const char *analysis_json;  /* the receiver's analysis, as kcrash's report.json holds it */
        /* The crashed kernel from the ZIP: replaces the Start's version, which
         * is kept as sent_version. NULL: the Start's version stays. */
        const char *kernel;
        /* The ZIP's stack for a client whose own stack is not trusted; NULL:
         * the Start's stays. */
        const char *stack;
        /* The device's identity from the ZIP's report.json; NULL: unknown. */
        const char *serial, *account;
} FinishFields;

typedef struct ReportRow {
        char gid[32];
        char state[16];
        int64_t created, updated, crash_time;
        uint64_t size;
        char sha256[65];
        char *steamid, *product, *build, *version, *platform, *stack, *note, *remote, *title, *type, *signature,
                *dup_of, *serial;
        bool unencoded;
        char *sent_version, *frame, *module, *analysis_state, *crash_member;
        char *account, *device; /* device: what counts it among a bucket's distinct devices */
        int64_t bucket_id;      /* 0 before Finish */
        bool zip_expired;       /* the retention dropped its ZIP; the row stays */
} ReportRow;

int store_open(const char *data_dir, Store **ret);
Store *store_close(Store *s);
const char *store_dir(const Store *s);

/* Where the store keeps a report's ZIP: <data>/reports/<gid>.zip; NULL
 * when out of memory. */
char *store_zip_path(const Store *s, const char *gid);
/* The report whose ZIP a row's report uses: its own, or for a duplicate
 * the one it shares (dup_of). */
const char *report_zip_gid(const ReportRow *row);

int store_start(Store *s, const char *gid, const StartFields *f);
/* The slot of gid: its state and announced size; -ENOENT if unknown. */
int store_slot(Store *s, const char *gid, char state[16], uint64_t *ret_size);
/* Begins the PUT of gid's announced size: creates <data>/incoming/<gid>.part
 * for it to write into, checking the slot in the same step, so that the
 * sweeper (which keeps a slot whose .part exists) never removes a slot a
 * PUT has begun. -ENOENT: no such slot, or another size; -EALREADY: the
 * slot is used (a PUT stored it); -EEXIST: another PUT of it is under way. */
int store_put_open(Store *s, const char *gid, uint64_t size, int *ret_fd);
/* A PUT that did not store: its .part goes (the slot stays usable for a
 * retry). */
void store_put_abandon(Store *s, const char *gid);
/* PUT done: the ZIP is in the .part store_put_open() made, its data synced
 * by the caller; store it (dedup by sha256). -EALREADY when the slot is no
 * longer 'started' (a second PUT). The row need not survive a power cut (the
 * device starts again); the ZIP it names does. */
int store_uploaded(Store *s, const char *gid, const char *sha256);
/* What --max-store-size counts: the bytes of the ZIPs under
 * <data>/reports/ the index accounts for, and of the index's pages in use
 * (each report's fields live there: a duplicate costs no ZIP bytes but up
 * to 384 KiB of fields). */
uint64_t store_used_bytes(Store *s);
/* The long fields' bytes (stack, note, an old shell client's raw form) a
 * Start will add to the index. */
uint64_t store_start_text_bytes(const StartFields *f);
/* Returns once the finished report and its bucket's counters are durable;
 * the Finishes that commit while the WAL is synced share the next sync
 * (group commit). */
int store_finish(Store *s, const char *gid, const FinishFields *f);
int store_get(Store *s, const char *gid, ReportRow *ret);
/* The larger, rarely needed parts of one report: the receiver's analysis as
 * JSON and the form body of an unencoded client as received (each NULL when
 * there is none). */
int store_get_detail(Store *s, const char *gid, char **ret_analysis_json, char **ret_form_raw, size_t *ret_form_raw_size);
void report_row_done(ReportRow *r);

typedef struct ReportFilter {
        const char *steamid, *serial, *account, *product, *build, *version, *title, *signature;
        int64_t bucket_id; /* 0: any; else this bucket and the buckets merged into it */
        int64_t since, until; /* crash time */
        unsigned limit, offset; /* limit 0: 1000 */
} ReportFilter;

/* Finished reports matching the filter (exact values; title a substring),
 * newest first (received), the page of limit rows from offset. */
int store_list(Store *s, const ReportFilter *f, ReportRow **ret, size_t *ret_n);
void report_rows_free(ReportRow *rows, size_t n);

void store_count_reject(Store *s, const char *reason);
/* JSON-ready counts: states and rejects as "name count" pairs. */
int store_stats(Store *s, char ***ret_names, int64_t **ret_counts, size_t *ret_n);
/* Removes Starts never PUT older than start_max_age (with a PUT under way:
 * max_age) and PUTs never finished older than max_age. A
 * stored ZIP is deleted only when no report refers to it: an unfinished
 * upload whose ZIP finished duplicates share becomes 'expired' and stays. */
int store_sweep(Store *s, int64_t start_max_age, int64_t max_age, unsigned *ret_removed);

/* Retention: of the finished reports received before cutoff, the ZIPs
 * beyond the newest keep_per_bucket of each bucket are dropped; their rows
 * stay, marked zip_expired. A ZIP file goes when no report that refers to
 * it keeps it. *ret_dropped: files removed. */
int store_retain(Store *s, unsigned keep_per_bucket, int64_t cutoff, unsigned *ret_dropped);

/* Whether a sync of the store's files ever failed (here or in another
 * process; <data>/sync-failed says so until the operator removes it): no
 * Finish or PUT is then acknowledged and no ZIP removed, as a later sync may
 * report good what an earlier one lost. */
bool store_sync_failed(Store *s);
/* What the store's commits so far wrote is durable: for the rare writes
 * that promise it (a bucket fixed, merged, noted) after they unlock;
 * -EIO after any failed sync. */
int store_sync(Store *s);
/* A Finish of an upload finished already: 0 once its row is on disk (at
 * once unless its first Finish is still syncing), -EIO after a failed sync. */
int store_finish_again(Store *s, const char *gid);

/* ---- buckets (store-buckets.c) ----
 * One bucket per signature (a report without one: per title, and one bucket
 * for the reports without a crash). Counters are kept at Finish; a day is a
 * UTC day of the time the receiver got the report. */

typedef struct BucketRow {
        int64_t id;
        char *signature, *title, *type, *frame, *module, *first_build, *status, *fixed_build, *regressed_build, *note,
                *link;
        int64_t merged_into; /* 0: not merged */
        /* With the buckets merged into this one: reports (in the window and
         * filters asked for), distinct devices (all time), first and last
         * report (all time), how many buckets are merged into it. */
        int64_t count, devices, first_seen, last_seen, n_merged;
} BucketRow;

typedef struct BucketFilter {
        int64_t since, until; /* received, unix time; 0: open */
        const char *product, *build, *kernel; /* reports of these only */
        const char *type, *status, *new_in, *title; /* of the bucket; new_in: its first build; title: substring */
        unsigned limit, offset;                     /* limit 0: 100 */
} BucketFilter;

typedef struct NameCount {
        char *name;
        int64_t count;
} NameCount;

typedef struct DayCount {
        int64_t day; /* unix time / 86400 */
        int64_t count;
} DayCount;

typedef struct BucketDetail {
        BucketRow bucket;
        NameCount *builds, *kernels, *products;
        size_t n_builds, n_kernels, n_products;
        DayCount *days;
        size_t n_days;
        BucketRow *merged; /* the buckets merged into this one */
        size_t n_merged;
} BucketDetail;

/* Buckets not merged into another, by count in the window, highest first;
 * *ret_total: how many match in all. */
int store_buckets(Store *s, const BucketFilter *f, BucketRow **ret, size_t *ret_n, int64_t *ret_total);
/* -ENOENT when there is no such bucket. */
int store_bucket_get(Store *s, int64_t id, BucketDetail *ret);
/* Marks the bucket (or the one it is merged into) fixed in build: a later
 * report from a build at or above it (strverscmp order) reopens it as
 * regressed; reports from older builds do not. build NULL: open again. */
int store_bucket_fix(Store *s, int64_t id, const char *build);
/* Merges id (and what was merged into it) into into's bucket; -EINVAL when
 * that is id itself. Counters stay with each bucket: unmerge undoes it. */
int store_bucket_merge(Store *s, int64_t id, int64_t into);
/* -EINVAL when id is not merged. */
int store_bucket_unmerge(Store *s, int64_t id);
/* A note and a tracker link (each NULL: cleared). */
int store_bucket_note(Store *s, int64_t id, const char *note, const char *link);
void bucket_row_done(BucketRow *b);
void bucket_rows_free(BucketRow *rows, size_t n);
void bucket_detail_done(BucketDetail *d);
