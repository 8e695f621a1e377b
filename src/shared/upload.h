/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "upload-json.h"

/* The three-step upload of PROTOCOL.md through libcurl; the only module that
 * includes curl/curl.h. */

typedef enum UploadOutcome {
        UPLOAD_OK,
        UPLOAD_TRANSIENT, /* connection errors, timeouts, 408, 429, 5xx: retry later */
        UPLOAD_PERMANENT, /* other 4xx, an invalid answer: park the report */
} UploadOutcome;

typedef struct UploadOptions {
        const char *start_url;
        const char *finish_url;
        bool allow_http;
        long connect_timeout;  /* seconds */
        long stall_timeout;    /* seconds a transfer may make no progress */
        bool progress;         /* a progress bar on stderr (a terminal) */
        /* Polled during every transfer (about once a second, also while it
         * stalls or connects): true aborts it, as a stop request does. */
        bool (*stop_requested)(void);
        /* Called once a PUT has stored the ZIP under gid, before its Finish
         * (may be NULL): the caller saves that only the Finish is left, so
         * that a stop, a kill or a lost answer during the Finish does not
         * make it upload the report again as a second one. */
        void (*stored)(const char *gid, void *userdata);
        void *stored_userdata;
} UploadOptions;

typedef struct UploadResult {
        UploadOutcome outcome;
        char reason[256];      /* what failed, at which step */
        long retry_after;      /* seconds the server asked us to wait, 0 if none */
        char gid[START_MAX_GID + 1];
        /* No connection was made (the name did not resolve, the connection
         * was refused or timed out): the network's fault, not the report's. */
        bool unreachable;
        /* Aborted by stop_requested(): not the report's failure. */
        bool stopped;
        long http_status;      /* of the step that failed; 0: no answer */
        /* The step that failed came before any of the report was sent (the
         * Start; never Sentry's envelope, which is the report). */
        bool before_report_sent;
        /* The PUT stored the ZIP, and the Finish of gid failed. */
        bool finish_failed;
        /* Bytes of the report that went out (the PUT's body, Sentry's
         * envelope), whatever the outcome: what a failed attempt cost. */
        uint64_t bytes_sent;
} UploadResult;

/* Must be called once before uploading (curl_global_init). */
int upload_global_init(void);

/* Runs Start, PUT and Finish for one ZIP. Returns 0 with ret filled for any
 * outcome; a negative errno only when it could not try at all (ENOMEM, the ZIP
 * is unreadable). */
int upload_report(const UploadOptions *o, const UploadFields *fields, const char *zip_path, UploadResult *ret);
/* The Finish of gid alone, for a report whose ZIP a PUT stored and whose
 * Finish failed: ret as upload_report()'s. A 404 or 409 (the upload was
 * swept meanwhile) is the caller's cue to upload the report again. */
int upload_finish(const UploadOptions *o, const char *gid, UploadResult *ret);

/* The Sentry target: one POST of an envelope to url with
 * "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=<public_key>, ...".
 * 2xx is OK; 408/429/5xx and connection errors transient; 413 and other
 * 4xx permanent. ret->rate_limits holds the answer's X-Sentry-Rate-Limits
 * (on any status), ret->retry_after its Retry-After, ret->gid the event id
 * Sentry acknowledged. Returns a negative errno only when it could not try. */
typedef struct SentryUploadResult {
        UploadResult base;
        long status;
        char rate_limits[1024];
} SentryUploadResult;

int upload_sentry_envelope(const UploadOptions *o, const char *url, const char *public_key, const void *envelope,
                           size_t size, SentryUploadResult *ret);
