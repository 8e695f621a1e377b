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
} ReportRow;

int store_open(const char *data_dir, Store **ret);
Store *store_close(Store *s);
const char *store_dir(const Store *s);

int store_start(Store *s, const char *gid, const StartFields *f);
/* The slot of gid: its state and announced size; -ENOENT if unknown. */
int store_slot(Store *s, const char *gid, char state[16], uint64_t *ret_size);
/* PUT done: the ZIP is at <data>/incoming/<gid>.part; store it (dedup by
 * sha256). -EALREADY when the slot is no longer 'started' (a second PUT). */
int store_uploaded(Store *s, const char *gid, const char *sha256);
/* Bytes of the ZIPs under <data>/reports/ the index accounts for. */
uint64_t store_zip_bytes(Store *s);
int store_finish(Store *s, const char *gid, const FinishFields *f);
int store_get(Store *s, const char *gid, ReportRow *ret);
/* The larger, rarely needed parts of one report: the receiver's analysis as
 * JSON and the form body of an unencoded client as received (each NULL when
 * there is none). */
int store_get_detail(Store *s, const char *gid, char **ret_analysis_json, char **ret_form_raw, size_t *ret_form_raw_size);
void report_row_done(ReportRow *r);

typedef struct ReportFilter {
        const char *steamid, *serial, *product, *build, *version, *title, *signature;
        int64_t since, until;
        unsigned limit;
} ReportFilter;

/* Finished reports matching the filter, newest first. */
int store_list(Store *s, const ReportFilter *f, ReportRow **ret, size_t *ret_n);
void report_rows_free(ReportRow *rows, size_t n);

void store_count_reject(Store *s, const char *reason);
/* JSON-ready counts: states and rejects as "name count" pairs. */
int store_stats(Store *s, char ***ret_names, int64_t **ret_counts, size_t *ret_n);
/* Removes Starts never PUT and PUTs never finished, older than max_age. A
 * stored ZIP is deleted only when no report refers to it: an unfinished
 * upload whose ZIP finished duplicates share becomes 'expired' and stays. */
int store_sweep(Store *s, int64_t max_age, unsigned *ret_removed);
