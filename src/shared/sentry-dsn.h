/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Sentry's client-side protocol pieces that need no library: the DSN of
 * SENTRY_DSN, and the rate limits a Sentry server answers with
 * (X-Sentry-Rate-Limits, or Retry-After on a 429). Pure functions; the
 * envelope itself is sentry-envelope.c, the HTTP step upload.c. */

#define SENTRY_DSN_MAX 1024

/* <scheme>://<public_key>[:<secret>]@<host>[:<port>][/<prefix>]/<project_id>,
 * as Sentry's "Client Keys (DSN)" page prints it. */
typedef struct SentryDsn {
        bool https;
        char *public_key;
        char *host;        /* host[:port], IPv6 in brackets */
        char *path_prefix; /* "" or "/a/b": a Sentry behind a reverse proxy path */
        char *project_id;  /* decimal digits */
        char *envelope_url; /* <scheme>://<host><prefix>/api/<project_id>/envelope/ */
        char *public_dsn;   /* the DSN without its secret, for the envelope header */
} SentryDsn;

/* Parses a DSN. On failure returns -EINVAL and a static reason in
 * *reterr_reason ("the DSN has no public key", ...). */
int sentry_dsn_parse(const char *dsn, SentryDsn *ret, const char **reterr_reason);
void sentry_dsn_done(SentryDsn *d);

/* The data categories kcrash sends: an event (category "error") and its
 * attachments ("attachment"). A limit without categories covers all. */
typedef enum SentryCategory {
        SENTRY_CATEGORY_ALL,
        SENTRY_CATEGORY_ERROR,
        SENTRY_CATEGORY_ATTACHMENT,
        _SENTRY_CATEGORY_MAX,
} SentryCategory;

/* Unix times until which each category must not be sent (0 = free). */
typedef struct SentryLimits {
        int64_t until[_SENTRY_CATEGORY_MAX];
} SentryLimits;

#define SENTRY_LIMIT_MAX_SECONDS (7 * 24 * 3600)

/* Applies an X-Sentry-Rate-Limits value received at `now` to *limits
 * ("<seconds>:<cat>;<cat>:<scope>[:...], ..."). Entries that do not parse
 * are skipped, categories kcrash does not send are ignored; delays are
 * capped at SENTRY_LIMIT_MAX_SECONDS. Returns how many entries applied. */
int sentry_limits_apply_header(SentryLimits *limits, const char *value, int64_t now);
/* A limit on every category for `seconds` (Retry-After on a 429). */
void sentry_limits_apply_all(SentryLimits *limits, int64_t seconds, int64_t now);
/* Until when category c is limited at `now` (a limit on ALL counts); 0 if free. */
int64_t sentry_limits_until(const SentryLimits *limits, SentryCategory c, int64_t now);
/* "<category> <until>" lines, the uploader's state file format. */
int sentry_limits_format(const SentryLimits *limits, char **ret);
void sentry_limits_parse_state(SentryLimits *limits, const char *text, int64_t now);
