/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

#include "archive.h"
#include "hash.h"
#include "journal.h"
#include "log.h"
#include "offload.h"
#include "run.h"
#include "sentry-dsn.h"
#include "spool.h"
#include "test-hooks.h"
#include "upload.h"

/* The uploader talks to the network, so it never runs as root (OpenBSD's
 * privilege separation rule): root becomes the uploader's account for good,
 * as OpenBSD daemons do with setresuid(2), before anything is read. */
int submit_drop_privileges(void) {
        if (geteuid() != 0 && getuid() != 0)
                return 0;
        if (test_hook_getenv("KCRASHD_ALLOW_ROOT"))
                return 0;
        uid_t uid;
        gid_t gid;
        int r = uploader_account(&uid, &gid);
        if (r < 0) {
                log_error("The uploader never runs as root, and its account \"%s\" does not exist "
                          "(systemd-sysusers creates it from sysusers.d/kcrash.conf): not uploading.", UPLOADER_USER);
                return EXIT_FAILURE_;
        }
        if (uid == 0) {
                log_error("The uploader's account \"%s\" has uid 0: not uploading.", UPLOADER_USER);
                return EXIT_FAILURE_;
        }
        if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
                log_error_errno(negative_errno(), "Cannot become the uploader \"%s\": %m", UPLOADER_USER);
                return EXIT_FAILURE_;
        }
        /* Gone for good: regaining root must fail. */
        if (setresuid(0, 0, 0) >= 0 || geteuid() == 0) {
                log_error("Dropping root did not stick: not uploading.");
                return EXIT_FAILURE_;
        }
        log_debug("Running as %s (uid %u).", UPLOADER_USER, (unsigned) uid);
        return 0;
}

/* The Sentry target: named in SUBMIT_TARGET, it needs a DSN that parses
 * (config_parse refused a malformed one already, naming the line) with
 * https, and an envelope URL of an allowed scheme. */
static int check_sentry(const KcrashConfig *c) {
        unsigned mask = 0;
        if (submit_targets_parse(strempty(c->submit_target), &mask) < 0) {
                log_error("SUBMIT_TARGET=\"%s\": expected kcrash, sentry or both.", strempty(c->submit_target));
                return EXIT_CONFIG;
        }
        if (!(mask & (1u << SUBMIT_TARGET_SENTRY)))
                return 0;
        if (isempty(c->sentry_dsn)) {
                log_error("SUBMIT_TARGET names sentry, but SENTRY_DSN is empty.");
                return EXIT_CONFIG;
        }
        SentryDsn d;
        const char *why = NULL;
        int r = sentry_dsn_parse(c->sentry_dsn, &d, &why);
        if (r < 0) {
                log_error("SENTRY_DSN: invalid DSN: %s.", r == -EINVAL ? why : strerror(-r));
                return EXIT_CONFIG;
        }
        bool https = d.https;
        sentry_dsn_done(&d);
        if (!https && !c->submit_allow_insecure_http) {
                log_error("SENTRY_DSN: only https:// DSNs are allowed (http:// needs SUBMIT_ALLOW_INSECURE_HTTP=1).");
                return EXIT_CONFIG;
        }
        const char *url = c->sentry_envelope_url;
        if (!isempty(url) && strncasecmp(url, "https://", 8) != 0 &&
            !(strncasecmp(url, "http://", 7) == 0 && c->submit_allow_insecure_http)) {
                log_error("SENTRY_ENVELOPE_URL=\"%s\": only https:// URLs are allowed (http:// needs "
                          "SUBMIT_ALLOW_INSECURE_HTTP=1).", url);
                return EXIT_CONFIG;
        }
        return 0;
}

/* The URLs must be usable before anything is tried: a typo is a
 * configuration error (78), not a reason to retry forever. */
static int check_urls(const KcrashConfig *c) {
        const char *urls[] = { c->submit_start_url, c->submit_finish_url };
        const char *keys[] = { "SUBMIT_START_URL", "SUBMIT_FINISH_URL" };
        for (size_t i = 0; i < 2; i++) {
                if (isempty(urls[i]))
                        continue;
                if (strncasecmp(urls[i], "https://", 8) == 0)
                        continue;
                if (strncasecmp(urls[i], "http://", 7) == 0 && c->submit_allow_insecure_http)
                        continue;
                log_error("%s=\"%s\": only https:// URLs are allowed (http:// needs SUBMIT_ALLOW_INSECURE_HTTP=1).",
                          keys[i], urls[i]);
                return EXIT_CONFIG;
        }
        return check_sentry(c);
}

int submit_load_libraries(void) {
        /* libzip reads each report's report.json; it is loaded with dlopen(3).
         * Without it every report would be parked as unreadable: refuse to
         * start instead, naming the library. */
        const char *why = NULL;
        int r = archive_dlopen(&why);
        if (r < 0) {
                log_error("%s; nothing is uploaded.", why);
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}

/* The outcomes of this pass that parked their report. */
static unsigned parked_now(const SubmitResult *res) {
        unsigned n = 0;
        for (size_t i = 0; i < res->n_outcomes; i++)
                n += !res->outcomes[i].ok && res->outcomes[i].state == SPOOL_PARKED;
        return n;
}

int run_submit_once(Context *ctx, bool quiet_when_idle, bool (*stop_requested)(void)) {
        const char *offload;
        int r = context_offload_read(ctx, &offload);
        if (r != 0)
                return r;
        r = check_urls(&ctx->config);
        if (r != 0)
                return r;
        if (!offload) {
                if (!quiet_when_idle)
                        log_info("The offload folder \"%s\" is not there yet: nothing to upload.", ctx->offload_dir);
                return EXIT_OK;
        }
        r = upload_global_init();
        if (r < 0)
                return log_error_errno(r, "Cannot initialise libcurl: %m");
        r = submit_load_libraries();
        if (r != EXIT_OK)
                return r;

        SubmitOptions o = { .root = ctx->root, .offload_dir = offload, .config = &ctx->config, .ignore_backoff = ctx->now,
                            .retry_parked = ctx->retry_parked, .progress = isatty(STDERR_FILENO),
                            .stop_requested = stop_requested };
        SubmitResult res = {};
        r = spool_submit(&o, &res);
        if (r == -EBUSY) {
                log_notice("Another submitter is running; leaving the queue to it.");
                return EXIT_TEMPFAIL;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot submit the queue: %m");
                return EXIT_FAILURE_;
        }
        if (res.disabled) {
                if (!quiet_when_idle)
                        log_info("%s.", res.disabled_why);
                submit_result_done(&res);
                return EXIT_OK;
        }
        for (size_t i = 0; i < res.n_outcomes; i++) {
                const SubmitOutcome *out = &res.outcomes[i];
                const char *target = submit_target_to_string(out->target);
                if (out->ok)
                        log_info("Sent %s to %s (%s %s)%s%s.", out->id, target,
                                 out->target == SUBMIT_TARGET_SENTRY ? "event id" : "gid", strempty(out->gid),
                                 out->error ? "; " : "", strempty(out->error));
                else
                        log_warning("Could not send %s to %s: %s%s", out->id, target, out->error,
                                    out->state == SPOOL_PARKED ? "; parked (kept, not retried)" : "; will retry");
                if (isempty(ctx->root))
                        (void) journal_log_upload(out->id, out->title, out->signature, out->gid,
                                                  out->ok ? NULL : out->error);
        }
        if (res.stopped)
                log_info("Stopped; the reports not sent stay queued, no attempt counted for the one under way.");
        if (res.over_budget)
                log_notice("%u report(s) wait for the 24-hour upload budget.", res.over_budget);
        if (res.waiting && !quiet_when_idle)
                log_info("%u report(s) wait for their retry time (use --now to try them now).", res.waiting);
        /* Parked before this pass: said once, with the way out. */
        unsigned parked_before = res.parked - MIN(res.parked, parked_now(&res));
        if (parked_before && !quiet_when_idle)
                log_info("%u report(s) parked earlier are kept, not retried (kcrashctl submit --parked tries them again).",
                         parked_before);
        int status = res.remaining > 0 ? EXIT_TEMPFAIL : EXIT_OK;
        submit_result_done(&res);
        return status;
}
