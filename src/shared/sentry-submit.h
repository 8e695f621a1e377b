/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "config.h"
#include "sentry-dsn.h"
#include "upload.h"

/* The Sentry target of the uploader: a queued ZIP -> one envelope -> one
 * POST, with the server's rate limits kept per category between runs. */

typedef struct SentryTarget {
        SentryDsn dsn;
        const char *dsn_string;
        const char *envelope_url; /* SENTRY_ENVELOPE_URL, else the DSN's */
        uint64_t max_envelope_size;
        SentryLimits limits;
} SentryTarget;

/* From the configuration; -EINVAL when SENTRY_DSN is empty or invalid
 * (config_parse already refused an invalid one). */
int sentry_target_init(SentryTarget *t, const KcrashConfig *c);
void sentry_target_done(SentryTarget *t);

/* Builds the envelope of one ZIP and posts it. On any answer, the
 * answer's rate limits are added to t->limits. Returns 0 with ret filled
 * for any outcome (ret->reason notes attachments left out); a negative
 * errno only when it could not try (the ZIP is unreadable: -EBADMSG). */
int sentry_send_report(const UploadOptions *uo, SentryTarget *t, const char *zip_path, int64_t now,
                       UploadResult *ret);
