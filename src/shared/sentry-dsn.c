/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sentry-dsn.h"

void sentry_dsn_done(SentryDsn *d) {
        free(d->public_key);
        free(d->host);
        free(d->path_prefix);
        free(d->project_id);
        free(d->envelope_url);
        free(d->public_dsn);
        *d = (SentryDsn) {};
}

static bool all_chars(const char *s, size_t n, const char *extra) {
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr(extra, s[i]))
                        return false;
        return true;
}

/* host, host:port, [v6], [v6]:port — only what a URL host may hold, so the
 * envelope URL we build cannot be steered to another authority or path. */
static bool valid_host(const char *s, size_t n) {
        const char *port = NULL;
        size_t hn = n;
        if (n == 0)
                return false;
        if (s[0] == '[') {
                const char *close = memchr(s, ']', n);
                if (!close || close == s + 1 || !all_chars(s + 1, (size_t) (close - s - 1), ":."))
                        return false;
                hn = (size_t) (close - s) + 1;
                if (hn < n) {
                        if (s[hn] != ':')
                                return false;
                        port = s + hn + 1;
                }
        } else {
                const char *colon = memchr(s, ':', n);
                if (colon) {
                        hn = (size_t) (colon - s);
                        port = colon + 1;
                }
                if (hn == 0 || !all_chars(s, hn, ".-_") || s[0] == '.' || s[0] == '-')
                        return false;
        }
        if (port) {
                size_t pn = (size_t) (s + n - port);
                if (pn == 0 || pn > 5 || !all_chars(port, pn, ""))
                        return false;
                unsigned long v = 0;
                for (size_t i = 0; i < pn; i++) {
                        if (!isdigit((unsigned char) port[i]))
                                return false;
                        v = v * 10 + (unsigned long) (port[i] - '0');
                }
                if (v == 0 || v > 65535)
                        return false;
        }
        return true;
}

int sentry_dsn_parse(const char *dsn, SentryDsn *ret, const char **reterr_reason) {
#define FAIL(why)                                \
        do {                                     \
                *reterr_reason = (why);          \
                sentry_dsn_done(&d);             \
                return -EINVAL;                  \
        } while (0)
        SentryDsn d = {};
        size_t len = strlen(dsn);
        if (len == 0)
                FAIL("the DSN is empty");
        if (len > SENTRY_DSN_MAX)
                FAIL("the DSN is longer than 1024 characters");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) dsn[i] <= ' ' || (unsigned char) dsn[i] >= 0x7f)
                        FAIL("the DSN has a space, a control or a non-ASCII character");
        const char *p;
        if (strncasecmp(dsn, "https://", 8) == 0) {
                d.https = true;
                p = dsn + 8;
        } else if (strncasecmp(dsn, "http://", 7) == 0)
                p = dsn + 7;
        else
                FAIL("the DSN does not start with https:// or http://");
        if (strpbrk(p, "?#"))
                FAIL("the DSN has a query or a fragment");

        const char *at = strchr(p, '@');
        const char *slash = strchr(p, '/');
        if (!at || (slash && slash < at))
                FAIL("the DSN has no public key (<key>@<host>)");
        const char *colon = memchr(p, ':', (size_t) (at - p));
        size_t key_len = (size_t) ((colon ? colon : at) - p);
        if (key_len == 0 || key_len > 128 || !all_chars(p, key_len, ""))
                FAIL("the DSN's public key is empty, too long or not alphanumeric");
        if (colon && !all_chars(colon + 1, (size_t) (at - colon - 1), ""))
                FAIL("the DSN's secret key is not alphanumeric");

        const char *host = at + 1;
        slash = strchr(host, '/');
        if (!slash)
                FAIL("the DSN has no project id (<host>/<project>)");
        if (!valid_host(host, (size_t) (slash - host)))
                FAIL("the DSN's host is not a valid host[:port]");

        /* The last path segment is the project, anything before it a prefix. */
        const char *last = strrchr(slash, '/');
        const char *project = last + 1;
        size_t project_len = strlen(project);
        if (project_len == 0 || project_len > 20 || !all_chars(project, project_len, "") ||
            strspn(project, "0123456789") != project_len)
                FAIL("the DSN's project id (its last path segment) is not a number");
        size_t prefix_len = (size_t) (last - slash);
        if (!all_chars(slash, prefix_len, "/-._~"))
                FAIL("the DSN's path has characters outside [A-Za-z0-9/-._~]");
        for (const char *s = slash; s < last; s++)
                if (s[0] == '/' && (s[1] == '/' || (s[1] == '.' && (s[2] == '/' || (s[2] == '.' && s[3] == '/')))))
                        FAIL("the DSN's path has an empty, . or .. segment");

        d.public_key = strndup(p, key_len);
        d.host = strndup(host, (size_t) (slash - host));
        d.path_prefix = strndup(slash, prefix_len);
        d.project_id = strdup(project);
        if (!d.public_key || !d.host || !d.path_prefix || !d.project_id ||
            asprintf(&d.envelope_url, "%s://%s%s/api/%s/envelope/", d.https ? "https" : "http", d.host,
                     d.path_prefix, d.project_id) < 0) {
                d.envelope_url = NULL;
                sentry_dsn_done(&d);
                return -ENOMEM;
        }
        if (asprintf(&d.public_dsn, "%s://%s@%s%s/%s", d.https ? "https" : "http", d.public_key, d.host,
                     d.path_prefix, d.project_id) < 0) {
                d.public_dsn = NULL;
                sentry_dsn_done(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
#undef FAIL
}

/* ---- rate limits ---- */

static const char *const category_names[_SENTRY_CATEGORY_MAX] = {
        [SENTRY_CATEGORY_ALL] = "all",
        [SENTRY_CATEGORY_ERROR] = "error",
        [SENTRY_CATEGORY_ATTACHMENT] = "attachment",
};

static void limit_until(SentryLimits *l, SentryCategory c, int64_t until) {
        if (until > l->until[c])
                l->until[c] = until;
}

void sentry_limits_apply_all(SentryLimits *limits, int64_t seconds, int64_t now) {
        if (seconds <= 0)
                return;
        limit_until(limits, SENTRY_CATEGORY_ALL, now + MIN(seconds, (int64_t) SENTRY_LIMIT_MAX_SECONDS));
}

/* Seconds of one entry: digits with an optional fraction, rounded up. */
static int parse_seconds(const char *s, size_t n, int64_t *ret) {
        int64_t v = 0;
        size_t i = 0;
        bool frac = false;
        if (n == 0 || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        for (; i < n && isdigit((unsigned char) s[i]); i++)
                if (v <= SENTRY_LIMIT_MAX_SECONDS)
                        v = v * 10 + (s[i] - '0');
        if (i < n && s[i] == '.') {
                for (i++; i < n && isdigit((unsigned char) s[i]); i++)
                        if (s[i] != '0')
                                frac = true;
        }
        if (i != n)
                return -EINVAL;
        *ret = MIN(v + (frac ? 1 : 0), (int64_t) SENTRY_LIMIT_MAX_SECONDS);
        return 0;
}

int sentry_limits_apply_header(SentryLimits *limits, const char *value, int64_t now) {
        int applied = 0;
        const char *p = value;
        while (p && *p) {
                const char *end = strchr(p, ',');
                size_t n = end ? (size_t) (end - p) : strlen(p);
                /* trim */
                while (n > 0 && (*p == ' ' || *p == '\t'))
                        p++, n--;
                while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                const char *c1 = memchr(p, ':', n);
                int64_t secs;
                if (c1 && parse_seconds(p, (size_t) (c1 - p), &secs) >= 0) {
                        const char *cats = c1 + 1;
                        const char *c2 = memchr(cats, ':', (size_t) (p + n - cats));
                        size_t cn = c2 ? (size_t) (c2 - cats) : (size_t) (p + n - cats);
                        int64_t until = now + secs;
                        if (cn == 0)
                                limit_until(limits, SENTRY_CATEGORY_ALL, until);
                        else
                                for (const char *c = cats; c < cats + cn;) {
                                        const char *semi = memchr(c, ';', (size_t) (cats + cn - c));
                                        size_t l = semi ? (size_t) (semi - c) : (size_t) (cats + cn - c);
                                        /* "default" is the category of an event without exception;
                                         * ours have one, but a server may count them as either. */
                                        if ((l == 5 && strncmp(c, "error", 5) == 0) ||
                                            (l == 7 && strncmp(c, "default", 7) == 0))
                                                limit_until(limits, SENTRY_CATEGORY_ERROR, until);
                                        else if (l == 10 && strncmp(c, "attachment", 10) == 0)
                                                limit_until(limits, SENTRY_CATEGORY_ATTACHMENT, until);
                                        c += l + (semi ? 1 : 0);
                                        if (!semi)
                                                break;
                                }
                        applied++;
                }
                p = end ? end + 1 : NULL;
        }
        return applied;
}

int64_t sentry_limits_until(const SentryLimits *limits, SentryCategory c, int64_t now) {
        int64_t u = MAX(limits->until[c], limits->until[SENTRY_CATEGORY_ALL]);
        return u > now ? u : 0;
}

int sentry_limits_format(const SentryLimits *limits, char **ret) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < _SENTRY_CATEGORY_MAX; i++)
                if (limits->until[i] > 0)
                        fprintf(f, "%s %lld\n", category_names[i], (long long) limits->until[i]);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret = out;
        return 0;
}

void sentry_limits_parse_state(SentryLimits *limits, const char *text, int64_t now) {
        *limits = (SentryLimits) {};
        for (const char *l = text; l && *l;) {
                const char *nl = strchr(l, '\n');
                char name[16];
                long long until;
                if (sscanf(l, "%15s %lld", name, &until) == 2 && until > now &&
                    until <= now + SENTRY_LIMIT_MAX_SECONDS)
                        for (size_t i = 0; i < _SENTRY_CATEGORY_MAX; i++)
                                if (streq(name, category_names[i]))
                                        limits->until[i] = until;
                l = nl ? nl + 1 : NULL;
        }
}
