/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* kcrash-watch's memory: where it is in the kernel log (boot id + sequence
 * number, so a restart never reports an event twice) and the storm control
 * (each signature once per boot and at most per_signature_daily times a
 * day, at most daily_reports reports a day in all; what is held back is
 * counted and the next report says how many). Kept in one small text file
 * of the watcher's own state directory. */

#define WATCH_STATE_MAX_SIGNATURES 512
#define WATCH_SIGNATURE_MAX 96

typedef struct WatchSignature {
        char signature[WATCH_SIGNATURE_MAX + 1];
        uint64_t day;         /* days since the epoch (UTC) of count */
        uint64_t count;       /* reports of it that day */
        bool this_boot;       /* reported during the current boot */
} WatchSignature;

typedef struct WatchState {
        char boot_id[65];
        bool have_seq;
        uint64_t seq;         /* every record up to this one is handled */
        uint64_t day;         /* of total */
        uint64_t total;       /* reports made that day */
        uint64_t suppressed;  /* held back since the last report */
        WatchSignature *sigs;
        size_t n_sigs;
} WatchState;

typedef struct WatchLimits {
        uint64_t per_signature_daily;  /* WATCH_SIGNATURE_DAILY */
        uint64_t daily_reports;        /* WATCH_DAILY_REPORTS */
} WatchLimits;

/* Parses the state file's text; -EBADMSG names the first bad line in
 * *reterr_line. An empty text is an empty state. */
int watch_state_parse(const char *text, size_t size, WatchState *ret, unsigned *reterr_line);
int watch_state_format(const WatchState *s, char **ret_text);
void watch_state_done(WatchState *s);

/* Starts following boot_id: a new boot forgets the position and the
 * once-per-boot marks (the daily counts stay). */
int watch_state_set_boot(WatchState *s, const char *boot_id);

/* Whether a report of signature may be made at time now. On true the
 * report is counted and *ret_suppressed is what was held back before it
 * (then reset); on false the event is counted as suppressed. */
bool watch_state_admit(WatchState *s, const char *signature, time_t now, const WatchLimits *l,
                       uint64_t *ret_suppressed);
