/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build-config.h"
#include "hash.h"
#include "json-util.h"
#include "macro.h"
#include "sentry-envelope.h"

int sentry_event_id(const char *report_id, int64_t collected_time, char ret[SENTRY_EVENT_ID_SIZE]) {
        char h[SHA256_HEX_SIZE];
        _cleanup_free_ char *key = NULL;
        if (asprintf(&key, "kcrash-event\n%s\n%lld", report_id, (long long) collected_time) < 0)
                return -ENOMEM;
        int r = sha256_hex(key, strlen(key), h);
        if (r < 0)
                return r;
        memcpy(ret, h, 32);
        ret[32] = 0;
        return 0;
}

static const char *str(json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

/* A tag value Sentry accepts: one line, at most SENTRY_TAG_MAX bytes
 * (cut at a UTF-8 character boundary). Empty values are left out. */
static int set_tag(json_t *tags, const char *key, const char *value) {
        char buf[SENTRY_TAG_MAX + 1];
        size_t n = 0;
        if (isempty(value))
                return 0;
        for (; value[n] && n < SENTRY_TAG_MAX; n++)
                buf[n] = (unsigned char) value[n] < ' ' ? ' ' : value[n];
        /* Cut before a character whose continuation bytes would be lost. */
        if (value[n])
                while (n > 0 && ((unsigned char) value[n] & 0xc0) == 0x80)
                        n--;
        buf[n] = 0;
        return json_set(tags, key, json_string(buf));
}

static bool is_ident(char c) {
        return isalnum((unsigned char) c) || c == '_' || c == '.';
}

/* The "+0x16/0x20" after `function` in the crash text, as the kernel's
 * printk("%pS") prints a frame (lib/vsprintf.c, kernel/kallsyms.c
 * sprint_symbol). The analysis keeps names only (its signature must not
 * change with offsets), so the offset comes from the note it kept. */
static json_t *frame_offset(const char *note, const char *function) {
        size_t fl = strlen(function);
        if (!note || fl == 0)
                return NULL;
        for (const char *p = strstr(note, function); p; p = strstr(p + 1, function)) {
                if ((p > note && is_ident(p[-1])) || !strneq(p + fl, "+0x", 3))
                        continue;
                const char *s = p + fl, *e = s + 1;
                while (*e && (isxdigit((unsigned char) *e) || *e == 'x' || *e == '/'))
                        e++;
                if (e - s < 4 || e - s > 40)
                        continue;
                return json_stringn(s, (size_t) (e - s));
        }
        return NULL;
}

/* analysis.frames are innermost first, "func" or "func [module]";
 * Sentry wants the oldest frame first and the crashing one last. */
static json_t *frames_to_sentry(json_t *frames, const char *note) {
        json_t *out = json_array();
        size_t n = json_array_size(frames);
        for (size_t k = 0; out && k < n; k++) {
                const char *f = json_string_value(json_array_get(frames, n - 1 - k));
                if (isempty(f) || strlen(f) > 512)
                        continue;
                char function[513], module[513] = "";
                const char *br = strstr(f, " [");
                size_t l = strlen(f);
                if (br && f[l - 1] == ']') {
                        snprintf(function, sizeof function, "%.*s", (int) (br - f), f);
                        snprintf(module, sizeof module, "%.*s", (int) (l - 1 - (size_t) (br - f) - 2), br + 2);
                } else
                        snprintf(function, sizeof function, "%s", f);
                json_t *fr = json_object();
                if (!fr || json_array_append_new(out, fr) < 0) {
                        json_decref(out);
                        return NULL;
                }
                int r = json_set(fr, "function", json_string(function));
                r |= json_set(fr, "package", json_string(module[0] ? module : "vmlinux"));
                r |= json_set(fr, "in_app", json_true());
                json_t *off = frame_offset(note, function);
                if (off) {
                        json_t *vars = json_object();
                        r |= json_set(fr, "vars", vars);
                        if (vars)
                                r |= json_set(vars, "offset", off);
                        else
                                json_decref(off);
                }
                if (r < 0) {
                        json_decref(out);
                        return NULL;
                }
        }
        return out;
}

static json_t *event_from_report(json_t *root, char event_id[SENTRY_EVENT_ID_SIZE]) {
        const char *id = str(root, "id");
        json_t *analysis = json_object_get(root, "analysis"), *upload = json_object_get(root, "upload");
        json_t *kernel = json_object_get(root, "kernel"), *build = json_object_get(root, "build");
        json_t *fatal_j = json_object_get(root, "fatal");
        bool fatal = json_is_boolean(fatal_j) ? json_is_true(fatal_j) : true;
        if (isempty(id) || !json_is_object(upload))
                return NULL;
        if (sentry_event_id(id, json_integer_value(json_object_get(root, "collected_time")), event_id) < 0)
                return NULL;

        const char *title = str(analysis, "title"), *type = str(analysis, "type");
        const char *signature = str(analysis, "signature"), *note = str(upload, "note");
        const char *build_id = str(build, "id") ?: str(upload, "build");
        const char *release = str(kernel, "release") ?: str(upload, "version");
        const char *product = str(upload, "product"), *steamid = str(upload, "steamid");
        json_int_t crash_time = json_integer_value(json_object_get(root, "crash_time"));

        json_auto_t *ev = json_object();
        json_t *tags = json_object(), *exc = json_object(), *values = json_array(), *ex = json_object(),
               *st = json_object(), *fp = json_array(), *contexts = json_object(), *os = json_object(),
               *sdk = json_object(), *extra = json_object();
        int r = 0;
        r |= json_set(ev, "tags", tags);
        r |= json_set(ev, "exception", exc);
        r |= json_set(ev, "fingerprint", fp);
        r |= json_set(ev, "contexts", contexts);
        r |= json_set(ev, "sdk", sdk);
        r |= json_set(ev, "extra", extra);
        if (r < 0 || !values || !ex || !st || !os) {
                json_decref(values), json_decref(ex), json_decref(st), json_decref(os);
                return NULL;
        }
        r |= json_set(exc, "values", values);
        if (json_array_append_new(values, ex) < 0)
                return NULL;
        r |= json_set(ex, "stacktrace", st);
        r |= json_set(contexts, "os", os);

        r |= json_set(ev, "event_id", json_string(event_id));
        if (crash_time > 0)
                r |= json_set(ev, "timestamp", json_integer(crash_time));
        r |= json_set(ev, "platform", json_string("c"));
        r |= json_set(ev, "level", json_string(fatal ? "fatal" : "error"));
        r |= json_set(ev, "logger", json_string("kcrash"));
        if (!isempty(build_id))
                r |= json_set(ev, "release", json_string(build_id));

        r |= json_set(ex, "type", json_string(!isempty(type) ? type : "kernel crash"));
        r |= json_set(ex, "value", json_string(!isempty(title) ? title : "kernel crash without a title"));
        json_t *mech = json_object();
        r |= json_set(ex, "mechanism", mech);
        if (mech) {
                r |= json_set(mech, "type", json_string("kcrash"));
                r |= json_set(mech, "handled", json_boolean(!fatal));
        }
        json_t *frames = frames_to_sentry(json_object_get(analysis, "frames"), note);
        r |= json_set(st, "frames", frames);

        /* Group exactly as kcrash-server does: by the analyser's signature. */
        if (json_array_append_new(fp, json_string(!isempty(signature) ? signature : "{{ default }}")) < 0)
                return NULL;

        r |= set_tag(tags, "kernel", release);
        r |= set_tag(tags, "product", product);
        r |= set_tag(tags, "build", build_id);
        r |= set_tag(tags, "crash_type", type);
        r |= set_tag(tags, "taint", str(analysis, "taint"));
        r |= set_tag(tags, "fatal", fatal ? "yes" : "no");
        r |= set_tag(tags, "report_id", id);
        r |= set_tag(tags, "source", str(root, "source"));
        r |= set_tag(tags, "module", str(analysis, "module"));
        r |= set_tag(tags, "signature", signature);

        r |= json_set(os, "name", json_string("Linux"));
        if (!isempty(release))
                r |= json_set(os, "kernel_version", json_string(release));
        if (!isempty(str(build, "pretty_name")))
                r |= json_set(os, "version", json_string(str(build, "pretty_name")));
        if (!isempty(build_id))
                r |= json_set(os, "build", json_string(build_id));

        r |= json_set(sdk, "name", json_string("kcrash"));
        r |= json_set(sdk, "version", json_string(PACKAGE_VERSION));

        /* The same identity the three-step Start form carries (already
         * pseudonymised in the ZIP when PSEUDONYMIZE_IDENTITY=1). */
        if (!isempty(steamid) && !streq(steamid, "0")) {
                json_t *user = json_object();
                r |= json_set(ev, "user", user);
                if (user)
                        r |= json_set(user, "id", json_string(steamid));
        }
        if (!isempty(note))
                r |= json_set(extra, "crash_summary", json_string(note));
        if (json_is_boolean(json_object_get(root, "incomplete")))
                r |= json_set(extra, "incomplete", json_copy(json_object_get(root, "incomplete")));
        if (r < 0)
                return NULL;
        return json_incref(ev);
}

int sentry_event_from_report(const char *report_json, size_t size, char **ret_json,
                             char ret_event_id[SENTRY_EVENT_ID_SIZE]) {
        json_error_t e;
        json_auto_t *root = json_loadb(report_json, size, 0, &e);
        if (!json_is_object(root))
                return -EBADMSG;
        char id[SENTRY_EVENT_ID_SIZE];
        json_auto_t *ev = event_from_report(root, id);
        if (!ev) {
                /* event_from_report() refuses a report without an id (also an
                 * empty one) or an upload object; else it ran out of memory. */
                bool report = json_is_object(json_object_get(root, "upload")) && !isempty(str(root, "id"));
                return report ? -ENOMEM : -EBADMSG;
        }
        char *s = json_dumps(ev, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        *ret_json = s;
        memcpy(ret_event_id, id, SENTRY_EVENT_ID_SIZE);
        return 0;
}

/* One header line: a JSON object without a newline inside (JSON_COMPACT). */
static int put_header(FILE *f, json_t *h) {
        char *s = h ? json_dumps(h, JSON_COMPACT) : NULL;
        if (!s)
                return -ENOMEM;
        fputs(s, f);
        fputc('\n', f);
        free(s);
        return 0;
}

int sentry_envelope_build(const SentryEnvelopeInput *in, char **ret, size_t *ret_size,
                          char ret_event_id[SENTRY_EVENT_ID_SIZE]) {
        _cleanup_free_ char *event = NULL;
        char id[SENTRY_EVENT_ID_SIZE];
        int r = sentry_event_from_report(in->report_json, in->report_json_size, &event, id);
        if (r < 0)
                return r;

        char sent_at[32] = "1970-01-01T00:00:00Z";
        time_t t = (time_t) in->now;
        struct tm tm;
        if (gmtime_r(&t, &tm))
                strftime(sent_at, sizeof sent_at, "%Y-%m-%dT%H:%M:%SZ", &tm);

        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        json_auto_t *eh = json_pack("{s:s, s:s, s:s}", "event_id", id, "dsn", strempty(in->dsn), "sent_at", sent_at);
        json_auto_t *ih = json_pack("{s:s, s:I}", "type", "event", "length", (json_int_t) strlen(event));
        r = put_header(f, eh);
        if (r >= 0)
                r = put_header(f, ih);
        if (r >= 0) {
                fputs(event, f);
                fputc('\n', f);
        }
        for (size_t i = 0; r >= 0 && i < in->n_attachments; i++) {
                const SentryAttachment *a = &in->attachments[i];
                json_auto_t *ah = json_pack("{s:s, s:I, s:s, s:s}", "type", "attachment", "length",
                                            (json_int_t) a->size, "filename", a->name, "content_type",
                                            a->content_type ? a->content_type : "application/octet-stream");
                r = put_header(f, ah);
                if (r >= 0 && a->size > 0 && fwrite(a->data, 1, a->size, f) != a->size)
                        r = -ENOMEM;
                if (r >= 0)
                        fputc('\n', f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(out);
                return r;
        }
        *ret = out;
        *ret_size = size;
        memcpy(ret_event_id, id, SENTRY_EVENT_ID_SIZE);
        return 0;
}
