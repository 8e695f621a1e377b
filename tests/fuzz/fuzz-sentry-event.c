/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentry-envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* report.json comes from a ZIP in a queue folder the uploader shares with
 * root: the envelope must stay well-formed whatever it holds. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char att[] = "a\nb";
        SentryAttachment a = { "x.txt", att, sizeof att - 1, "text/plain" };
        SentryEnvelopeInput in = { .report_json = (const char *) data, .report_json_size = size,
                                   .dsn = "https://k@h/1", .now = 1, .attachments = &a, .n_attachments = 1 };
        char *env = NULL;
        size_t n = 0;
        char id[SENTRY_EVENT_ID_SIZE];
        if (sentry_envelope_build(&in, &env, &n, id) < 0)
                return 0;
        /* header line, item header line, then the event of the stated length */
        const char *p = memchr(env, '\n', n);
        if (!p)
                abort();
        const char *q = memchr(p + 1, '\n', n - (size_t) (p + 1 - env));
        if (!q)
                abort();
        json_error_t e;
        json_t *h = json_loadb(p + 1, (size_t) (q - p - 1), 0, &e);
        json_int_t len = json_integer_value(json_object_get(h, "length"));
        json_decref(h);
        if (len <= 0 || (size_t) len > n - (size_t) (q + 1 - env))
                abort();
        json_t *ev = json_loadb(q + 1, (size_t) len, 0, &e);
        if (!ev || q[1 + len] != '\n')
                abort();
        json_t *tags = json_object_get(ev, "tags");
        const char *k;
        json_t *v;
        json_object_foreach(tags, k, v) {
                const char *t = json_string_value(v);
                if (!t || strlen(t) > SENTRY_TAG_MAX || strchr(t, '\n'))
                        abort();
        }
        json_decref(ev);
        free(env);
        return 0;
}
