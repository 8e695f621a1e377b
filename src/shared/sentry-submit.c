/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive.h"
#include "fileio.h"
#include "sentry-envelope.h"
#include "sentry-submit.h"

int sentry_target_init(SentryTarget *t, const KcrashConfig *c) {
        SentryTarget n = { .max_envelope_size = c->sentry_max_envelope_size };
        const char *why;
        if (isempty(c->sentry_dsn))
                return -EINVAL;
        int r = sentry_dsn_parse(c->sentry_dsn, &n.dsn, &why);
        if (r < 0)
                return r;
        n.envelope_url = !isempty(c->sentry_envelope_url) ? c->sentry_envelope_url : n.dsn.envelope_url;
        /* The envelope header names the DSN; never with the old secret key. */
        n.dsn_string = n.dsn.public_dsn;
        *t = n;
        return 0;
}

void sentry_target_done(SentryTarget *t) {
        sentry_dsn_done(&t->dsn);
        *t = (SentryTarget) {};
}

typedef struct Files {
        SentryAttachment *a;
        char **data;
        size_t n;
        uint64_t total;
} Files;

static void files_done(Files *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->data[i]);
                free((char *) f->a[i].name);
        }
        free(f->a);
        free(f->data);
        *f = (Files) {};
}

static int files_add(Files *f, const char *name, char *data, size_t size, const char *type) {
        SentryAttachment *a = realloc(f->a, (f->n + 1) * sizeof *a);
        if (!a)
                return -ENOMEM;
        f->a = a;
        char **d = realloc(f->data, (f->n + 1) * sizeof *d);
        if (!d)
                return -ENOMEM;
        f->data = d;
        char *n = strdup(name);
        if (!n)
                return -ENOMEM;
        f->a[f->n] = (SentryAttachment) { .name = n, .data = data, .size = size, .content_type = type };
        f->data[f->n++] = data;
        f->total += size;
        return 0;
}

static bool ascii_name(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

/* Room left under the envelope cap for one more item: 64 KiB is kept for
 * the event and item headers. */
static bool fits(const Files *f, uint64_t cap, uint64_t size) {
        uint64_t reserve = 64 * 1024;
        return cap > reserve && f->total + size + 256 <= cap - reserve;
}

/* The ZIP's text members and report.json, then the ZIP itself, each only
 * while the envelope stays under SENTRY_MAX_ENVELOPE_SIZE. Binary members
 * (compressed pstore records) travel inside the ZIP only; a vmcore never
 * travels (it is never in the ZIP, and a member named so is skipped). */
static int collect_attachments(const char *zip_path, uint64_t cap, Files *f, unsigned *ret_left_out) {
        char **names = NULL;
        unsigned left_out = 0;
        int r = archive_list_members(zip_path, &names);
        if (r < 0)
                return r;
        for (size_t pass = 0; pass < 2; pass++)
                for (char **n = names; r >= 0 && *n; n++) {
                        /* report.json first: it is what a triager reads. */
                        if ((pass == 0) != streq(*n, "report.json"))
                                continue;
                        /* Our own names are short ASCII; anything else in a
                         * ZIP of the queue (a folder the uploader shares) is
                         * not sent rather than break the envelope. */
                        if (strstr(*n, "vmcore") || strlen(*n) > 255 || !ascii_name(*n))
                                continue;
                        char *data = NULL;
                        size_t size = 0;
                        int k = archive_read_member(zip_path, *n, (size_t) MIN(cap, (uint64_t) SIZE_MAX / 2), &data,
                                                    &size);
                        if (k == -EFBIG) {
                                left_out++;
                                continue;
                        }
                        if (k < 0) {
                                r = k;
                                break;
                        }
                        if (memchr(data, 0, size) || !fits(f, cap, size)) {
                                if (!memchr(data, 0, size))
                                        left_out++;
                                free(data);
                                continue;
                        }
                        const char *base = strrchr(*n, '/');
                        r = files_add(f, base ? base + 1 : *n, data, size,
                                      streq(*n, "report.json") ? "application/json" : "text/plain");
                        if (r < 0)
                                free(data);
                }
        strv_free(names);
        if (r < 0)
                return r;

        char *zip = NULL;
        size_t zip_size = 0;
        struct stat st;
        /* Read only a ZIP that can fit: memory stays bounded by the cap. */
        int k = stat(zip_path, &st) < 0 ? negative_errno() : fits(f, cap, (uint64_t) st.st_size) ? 0 : -EFBIG;
        if (k >= 0)
                k = read_full_file(zip_path, (size_t) MIN(cap, (uint64_t) SIZE_MAX / 2), &zip, &zip_size);
        if (k >= 0 && fits(f, cap, zip_size)) {
                const char *base = strrchr(zip_path, '/');
                r = files_add(f, base ? base + 1 : zip_path, zip, zip_size, "application/zip");
                if (r < 0)
                        free(zip);
        } else {
                free(zip);
                left_out++;
        }
        *ret_left_out = left_out;
        return r;
}

int sentry_send_report(const UploadOptions *uo, SentryTarget *t, const char *zip_path, int64_t now,
                       UploadResult *ret) {
        _cleanup_free_ char *json = NULL, *envelope = NULL;
        size_t json_size = 0, size = 0;
        Files files = {};
        unsigned left_out = 0;
        char event_id[SENTRY_EVENT_ID_SIZE];
        bool attachments_limited = sentry_limits_until(&t->limits, SENTRY_CATEGORY_ATTACHMENT, now) > 0;

        int r = archive_read_member(zip_path, "report.json", 16 << 20, &json, &json_size);
        if (r < 0)
                return r;
        /* Sentry's rule for a limited category: its items are not sent
         * (develop.sentry.dev/sdk/rate-limiting); the event goes alone. */
        if (!attachments_limited) {
                r = collect_attachments(zip_path, t->max_envelope_size, &files, &left_out);
                if (r < 0) {
                        files_done(&files);
                        return r;
                }
        }
        SentryEnvelopeInput in = {
                .report_json = json, .report_json_size = json_size, .dsn = t->dsn_string, .now = now,
                .attachments = files.a, .n_attachments = files.n,
        };
        r = sentry_envelope_build(&in, &envelope, &size, event_id);
        files_done(&files);
        if (r < 0)
                return r;

        SentryUploadResult sr = {};
        r = upload_sentry_envelope(uo, t->envelope_url, t->dsn.public_key, envelope, size, &sr);
        if (r < 0)
                return r;
        if (sr.rate_limits[0])
                (void) sentry_limits_apply_header(&t->limits, sr.rate_limits, now);
        else if (sr.status == 429)
                /* No per-category answer: Retry-After (or a minute) holds all. */
                sentry_limits_apply_all(&t->limits, sr.base.retry_after > 0 ? sr.base.retry_after : 60, now);
        if (sr.status == 429) {
                int64_t until = sentry_limits_until(&t->limits, SENTRY_CATEGORY_ERROR, now);
                if (until > now)
                        sr.base.retry_after = MAX(sr.base.retry_after, (long) (until - now));
        }
        if (sr.base.outcome == UPLOAD_OK) {
                if (!sr.base.gid[0])
                        snprintf(sr.base.gid, sizeof sr.base.gid, "%s", event_id);
                if (attachments_limited)
                        snprintf(sr.base.reason, sizeof sr.base.reason,
                                 "sent without attachments: the server rate-limits the attachment category");
                else if (left_out)
                        snprintf(sr.base.reason, sizeof sr.base.reason,
                                 "%u file(s) left out: over SENTRY_MAX_ENVELOPE_SIZE", left_out);
        }
        *ret = sr.base;
        return 0;
}
