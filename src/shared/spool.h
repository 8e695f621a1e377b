/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

/* The upload queue: the ZIPs in <offload>/not_sent_logs/, with a state file per
 * report in <offload>/.kcrash-upload/upload/<id>.json (written atomically by
 * the uploader, which owns that folder). */

typedef enum SpoolStateKind {
        SPOOL_PENDING,
        SPOOL_SENT,
        SPOOL_PARKED, /* kept, not retried: a permanent error or too many attempts */
} SpoolStateKind;

typedef struct SpoolState {
        SpoolStateKind state;
        unsigned attempts;
        /* Of the attempts, those the network or the server deferred (the
         * first request reached no one: offline; or the server answered 429
         * or 507, busy or full): they back off like the others but do not
         * count toward parking. */
        unsigned deferred;
        /* The last attempt's ZIP was stored and only its Finish failed (an
         * answer lost, a busy store): the next attempt finishes gid first,
         * instead of uploading the report again as a new one. */
        bool finish_pending;
        int64_t next_try;   /* unix time; 0 = now */
        int64_t last_try;
        char *last_error;
        char *gid;
} SpoolState;

const char *spool_state_to_string(SpoolStateKind k);
/* -ENOENT when the report has never been tried. */
/* An fd of OFFLOAD_UPLOAD_STATE_DIR/upload, never reached through a symlink. */
int spool_state_dir_open(const char *offload_dir);
int spool_state_load(const char *offload_dir, const char *id, SpoolState *ret);
int spool_state_save(const char *offload_dir, const char *id, const SpoolState *s);
/* The same per target: the kcrash target's file is <id>.json (as before
 * there were targets), another target's <id>@<target>.json ('@' is never
 * in a report id). */
int spool_state_load_target(const char *offload_dir, const char *id, SubmitTarget t, SpoolState *ret);
int spool_state_save_target(const char *offload_dir, const char *id, SubmitTarget t, const SpoolState *s);
void spool_state_done(SpoolState *s);

/* Delay before the next attempt after `attempts` failures: base * 2^(attempts-1)
 * with +-25 % jitter, capped at max, and never less than the server's Retry-After. */
int64_t spool_backoff(const KcrashConfig *c, unsigned attempts, long retry_after, double jitter01);

typedef struct SubmitOutcome {
        char *id;
        SubmitTarget target;
        bool ok;
        char *gid;
        char *error;
        char *title;
        char *signature;
        SpoolStateKind state;
} SubmitOutcome;

typedef struct SubmitResult {
        bool disabled;          /* no URLs, or LOG_SUBMISSION=0 */
        const char *disabled_why;
        unsigned sent, failed, parked, waiting, over_budget;
        unsigned remaining;     /* pending reports left for a later retry */
        SubmitOutcome *outcomes;
        size_t n_outcomes;
        unsigned removed_by_retention;
        bool stopped;           /* stop_requested() ended the pass */
} SubmitResult;

typedef struct SubmitOptions {
        const char *root;
        const char *offload_dir; /* the offload folder, root prefix included (offload_get()) */
        const KcrashConfig *config;
        bool ignore_backoff;    /* --now */
        bool retry_parked;      /* --parked: a parked report is pending again, its attempts from 0 */
        /* Polled during transfers and between reports: true ends the pass
         * (the transfer under way is aborted, counted as no attempt). */
        bool (*stop_requested)(void);
        bool progress;
        time_t now;             /* 0 = time(NULL) */
} SubmitOptions;

/* Drains the queue once. -EBUSY when another submitter holds the lock. */
int spool_submit(const SubmitOptions *o, SubmitResult *ret);
void submit_result_done(SubmitResult *r);
/* Applies OFFLOAD_MAX_SIZE to sent_logs/ (oldest first); returns how many went. */
int spool_retention(const char *offload_dir, uint64_t max_size, unsigned *ret_removed);

/* The ZIPs of a queue folder, oldest first. */
typedef struct QueueEntry {
        char *id;
        char *path;
        time_t mtime;
        uint64_t size;
} QueueEntry;
int spool_list_zips(const char *dir, QueueEntry **ret, size_t *ret_n);
void spool_free_zips(QueueEntry *l, size_t n);

/* The earliest next_try of the pending reports in the queue for any target
 * of the mask (0 when one is due now); -ENOENT when nothing is pending. */
int spool_next_try(const char *offload_dir, unsigned targets, int64_t *ret);
