/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A queued report as one Sentry envelope (develop.sentry.dev/sdk/envelopes):
 * an "event" item built from the report's report.json, then one
 * "attachment" item per file the caller chose. Only file that builds
 * Sentry JSON (jansson); it does no I/O. */

#define SENTRY_EVENT_ID_SIZE 33 /* 32 hex digits + NUL */
#define SENTRY_TAG_MAX 200      /* Sentry drops longer tag values */

typedef struct SentryAttachment {
        const char *name;
        const void *data;
        size_t size;
        const char *content_type;
} SentryAttachment;

typedef struct SentryEnvelopeInput {
        const char *report_json;
        size_t report_json_size;
        const char *dsn;        /* the envelope header's "dsn" */
        int64_t now;            /* "sent_at" */
        const SentryAttachment *attachments;
        size_t n_attachments;
} SentryEnvelopeInput;

/* The event id of a report: derived from its id and collection time, so
 * every retry of one report carries the same id and Sentry keeps a single
 * event, while another report never shares it. */
int sentry_event_id(const char *report_id, int64_t collected_time, char ret[SENTRY_EVENT_ID_SIZE]);

/* The event object alone (for tests and the envelope). -EBADMSG when
 * report.json is not a report. */
int sentry_event_from_report(const char *report_json, size_t size, char **ret_json,
                             char ret_event_id[SENTRY_EVENT_ID_SIZE]);

/* The whole envelope: header line, event item, attachment items. */
int sentry_envelope_build(const SentryEnvelopeInput *in, char **ret, size_t *ret_size,
                          char ret_event_id[SENTRY_EVENT_ID_SIZE]);
