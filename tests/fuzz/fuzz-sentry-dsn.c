/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentry-dsn.h"
#include "upload-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The Sentry pieces that read bytes from a config file or a server: the DSN
 * (SENTRY_DSN), X-Sentry-Rate-Limits, the uploader's limits file and the
 * envelope answer. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = strndup((const char *) data, size);
        if (!s)
                return 0;
        SentryDsn d;
        const char *why = NULL;
        if (sentry_dsn_parse(s, &d, &why) >= 0) {
                /* what the envelope URL is built from stays inside it */
                if (!d.public_key[0] || !d.host[0] || !d.project_id[0] || !strstr(d.envelope_url, "/api/") ||
                    strpbrk(d.envelope_url, " \r\n?#@") || strpbrk(d.public_dsn, " \r\n?#") ||
                    strchr(strchr(d.public_dsn, '@') + 1, '@'))
                        abort();
                sentry_dsn_done(&d);
        } else if (!why)
                abort();

        SentryLimits l = {};
        int64_t now = 1000000;
        (void) sentry_limits_apply_header(&l, s, now);
        for (int c = 0; c < _SENTRY_CATEGORY_MAX; c++)
                if (l.until[c] < 0 || l.until[c] > now + SENTRY_LIMIT_MAX_SECONDS)
                        abort();
        sentry_limits_parse_state(&l, s, now);
        for (int c = 0; c < _SENTRY_CATEGORY_MAX; c++)
                if (l.until[c] != 0 && (l.until[c] <= now || l.until[c] > now + SENTRY_LIMIT_MAX_SECONDS))
                        abort();

        char id[START_MAX_GID + 1];
        if (sentry_answer_parse((const char *) data, size, id) >= 0 && (!id[0] || strlen(id) > 64))
                abort();
        free(s);
        return 0;
}
