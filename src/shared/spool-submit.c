/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "fileio.h"
#include "offload.h"
#include "sentry-submit.h"
#include "parse-util.h"
#include "spool.h"
#include "upload-json.h"
#include "upload.h"

/* The uploader's half of the queue (the only part that talks to the
 * network, so the only one linking libcurl through upload.c). */

static double random01(void) {
        uint32_t x = 0;
        if (getrandom(&x, sizeof x, 0) != (ssize_t) sizeof x)
                x = (uint32_t) getpid();
        return (double) x / 4294967296.0;
}

/* ---- 24-hour budget ----
 * One line an upload: "<time> <bytes>" for a report sent, "<time> <bytes>
 * <reports>" in general: the bytes of a report that went out in an attempt
 * that then failed count too (reports 0), or a server that takes every
 * report and then refuses its Finish would have it uploaded again at every
 * attempt, past SUBMIT_DAILY_BYTES (attack review). */

#define BUDGET_ENTRIES 512

typedef struct Budget {
        int64_t t[BUDGET_ENTRIES];
        uint64_t bytes[BUDGET_ENTRIES];
        unsigned reports[BUDGET_ENTRIES];
        size_t n;
} Budget;

static void budget_load(const char *path, time_t now, Budget *b) {
        _cleanup_free_ char *text = NULL;
        b->n = 0;
        if (read_full_file(path, 1 << 20, &text, NULL) < 0)
                return;
        size_t len;
        for (const char *p = text, *l; b->n < BUDGET_ENTRIES && (l = word_next(&p, "\n", &len)); ) {
                /* A line that is not one of ours is skipped. */
                const char *end = l + len, *sp = memchr(l, ' ', len);
                if (!sp)
                        continue;
                const char *sp2 = memchr(sp + 1, ' ', (size_t) (end - sp - 1));
                int64_t t;
                uint64_t bytes, reports = 1;
                if (parse_int64_n(l, (size_t) (sp - l), &t) >= 0 &&
                    parse_uint64_n(sp + 1, (size_t) ((sp2 ? sp2 : end) - sp - 1), &bytes) >= 0 &&
                    (!sp2 || parse_uint64_n(sp2 + 1, (size_t) (end - sp2 - 1), &reports) >= 0) &&
                    t > now - 86400 && t <= now + 60) {
                        b->t[b->n] = t;
                        b->bytes[b->n] = bytes;
                        /* a full budget's newest line adds up any number
                         * (budget_add()): kept, never dropped */
                        b->reports[b->n++] = (unsigned) MIN(reports, (uint64_t) UINT_MAX / 2);
                }
        }
}

static int budget_save(const char *path, const Budget *b) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++) {
                if (b->reports[i] == 1)
                        fprintf(f, "%lld %llu\n", (long long) b->t[i], (unsigned long long) b->bytes[i]);
                else
                        fprintf(f, "%lld %llu %u\n", (long long) b->t[i], (unsigned long long) b->bytes[i],
                                b->reports[i]);
        }
        fclose(f);
        int r = write_file_atomic(path, text, size, 0600);
        free(text);
        return r;
}

/* Counts an upload into the budget; when it is full, into its newest entry
 * (a count must never be dropped). */
static void budget_add(Budget *b, int64_t now, uint64_t bytes, unsigned reports) {
        if (b->n < BUDGET_ENTRIES) {
                b->t[b->n] = now;
                b->bytes[b->n] = bytes;
                b->reports[b->n++] = reports;
                return;
        }
        b->t[b->n - 1] = MAX(b->t[b->n - 1], now);
        b->bytes[b->n - 1] += bytes;
        b->reports[b->n - 1] += reports;
}

void submit_result_done(SubmitResult *r) {
        for (size_t i = 0; i < r->n_outcomes; i++) {
                free(r->outcomes[i].id);
                free(r->outcomes[i].gid);
                free(r->outcomes[i].error);
                free(r->outcomes[i].title);
                free(r->outcomes[i].signature);
        }
        free(r->outcomes);
        *r = (SubmitResult) {};
}

static void add_outcome(SubmitResult *res, const char *id, SubmitTarget target, bool ok, const char *gid,
                        const char *error, const UploadFields *f, SpoolStateKind st) {
        SubmitOutcome *p = realloc(res->outcomes, (res->n_outcomes + 1) * sizeof *p);
        if (!p)
                return;
        res->outcomes = p;
        p[res->n_outcomes++] = (SubmitOutcome) {
                .id = strdup(id), .target = target, .ok = ok, .gid = gid ? strdup(gid) : NULL,
                .error = error ? strdup(error) : NULL,
                .title = f && f->title ? strdup(f->title) : NULL, .signature = f && f->signature ? strdup(f->signature) : NULL,
                .state = st,
        };
}

/* What one pass needs per target: its budget and, for Sentry, the DSN and
 * the server's rate limits (kept across runs in the state folder). */
typedef struct TargetRun {
        SubmitTarget target;
        Budget budget;
        char *budget_path;
        SentryTarget sentry;
        char *limits_path;
        /* Set when an upload of this pass could not reach the target: the
         * retry time it got, which the pass gives the target's other due
         * reports instead of trying each (a connect timeout apiece). */
        int64_t unreachable_until;
} TargetRun;

static void target_run_done(TargetRun *t) {
        free(t->budget_path);
        free(t->limits_path);
        if (t->target == SUBMIT_TARGET_SENTRY)
                sentry_target_done(&t->sentry);
        *t = (TargetRun) {};
}

static int target_run_init(TargetRun *t, SubmitTarget target, const char *state, const KcrashConfig *c, time_t now) {
        *t = (TargetRun) { .target = target };
        /* The kcrash target keeps the file names it had before targets. */
        if (asprintf(&t->budget_path, "%s/budget%s", state, target == SUBMIT_TARGET_KCRASH ? "" : "@sentry") < 0) {
                t->budget_path = NULL;
                return -ENOMEM;
        }
        budget_load(t->budget_path, now, &t->budget);
        if (target != SUBMIT_TARGET_SENTRY)
                return 0;
        int r = sentry_target_init(&t->sentry, c);
        if (r < 0) {
                t->target = SUBMIT_TARGET_KCRASH; /* nothing of sentry's to free */
                return r;
        }
        t->limits_path = path_join(state, "sentry-limits");
        if (!t->limits_path)
                return -ENOMEM;
        _cleanup_free_ char *text = NULL;
        if (read_full_file(t->limits_path, 64 * 1024, &text, NULL) >= 0)
                sentry_limits_parse_state(&t->sentry.limits, text, now);
        return 0;
}

static void save_limits(const TargetRun *t) {
        _cleanup_free_ char *text = NULL;
        if (sentry_limits_format(&t->sentry.limits, &text) >= 0)
                (void) write_file_atomic(t->limits_path, text, strlen(text), 0600);
}

/* What upload_report()'s stored() saves: the report's state with the gid
 * whose Finish alone is left. */
typedef struct StoredSave {
        const char *offload;
        const char *id;
        SubmitTarget target;
        SpoolState *state;
} StoredSave;

static void save_stored(const char *gid, void *userdata) {
        StoredSave *x = userdata;
        char *copy = strdup(gid);
        if (!copy)
                return; /* then a stop in the Finish uploads it again: no loss */
        free(x->state->gid);
        x->state->gid = copy;
        x->state->finish_pending = true;
        (void) spool_state_save_target(x->offload, x->id, x->target, x->state);
}

/* The kcrash target: the three steps, or the Finish alone when a PUT
 * stored the report's ZIP before (s->finish_pending). */
static int upload_kcrash(const UploadOptions *uo, const UploadFields *f, const char *path, const SpoolState *s,
                         UploadResult *ur) {
        if (!s->finish_pending || !s->gid)
                return upload_report(uo, f, path, ur);
        /* Its ZIP is stored: finish it, not upload it again as a new report
         * (a lost answer to a Finish the server had committed made the
         * crash count twice). Swept meanwhile (404, 409): uploaded again
         * after all. */
        int r = upload_finish(uo, s->gid, ur);
        if (r >= 0 && ur->outcome != UPLOAD_OK && !ur->stopped && (ur->http_status == 404 || ur->http_status == 409)) {
                *ur = (UploadResult) {};
                r = upload_report(uo, f, path, ur);
        }
        return r;
}

/* One report to one target, when its state, its retry time, the budget and
 * the server's rate limits let it go. Returns true when the target holds
 * the report (sent now or before). */
static bool submit_to_target(const SubmitOptions *o, TargetRun *t, const UploadOptions *uo, const QueueEntry *e,
                             time_t now, SubmitResult *res) {
        const KcrashConfig *c = o->config;
        const char *offload = o->offload_dir;
        SpoolState s = {};
        bool sent = false;
        int r;

        (void) spool_state_load_target(offload, e->id, t->target, &s);
        /* A retry time later than any backoff or Retry-After gives was
         * written while the clock was ahead (a device's clock before NTP
         * set it): it would hold the report until that date. Tried now. */
        int64_t longest = MAX((int64_t) (c->submit_backoff_max + c->submit_backoff_max / 4), (int64_t) 7 * 86400) + 60;
        if (s.next_try > now + longest)
                s.next_try = 0;
        if (s.state == SPOOL_SENT) {
                spool_state_done(&s);
                return true;
        }
        if (s.state == SPOOL_PARKED && o->retry_parked) {
                /* The operator's call (the server was fixed): a fresh start,
                 * the reason it was parked kept until this attempt's; saved
                 * at once, as the budget or a rate limit may hold the
                 * report back in this pass. */
                s.state = SPOOL_PENDING;
                s.attempts = s.deferred = 0;
                s.next_try = 0;
                (void) spool_state_save_target(offload, e->id, t->target, &s);
        }
        if (s.state == SPOOL_PARKED) {
                res->parked++;
                spool_state_done(&s);
                return false;
        }
        /* A limit the server set on events holds every report, --now too:
         * ignoring it only earns a longer one. */
        bool limited = t->target == SUBMIT_TARGET_SENTRY &&
                       sentry_limits_until(&t->sentry.limits, SENTRY_CATEGORY_ERROR, now) > 0;
        if (limited || (!o->ignore_backoff && s.next_try > now)) {
                res->waiting++;
                res->remaining++;
                spool_state_done(&s);
                return false;
        }
        if (t->unreachable_until > 0) {
                /* Not an attempt: nothing was tried. The other report's
                 * retry time, but no later than this one's own backoff (a
                 * new crash behind an old report would wait six hours). */
                int64_t own = now + spool_backoff(c, s.attempts + 1, 0, random01()); /* once: MIN() evaluates twice */
                int64_t next = MIN(t->unreachable_until, own);
                if (s.next_try < next) {
                        s.next_try = next;
                        (void) spool_state_save_target(offload, e->id, t->target, &s);
                }
                res->waiting++;
                res->remaining++;
                spool_state_done(&s);
                return false;
        }
        uint64_t bytes = 0, reports = 0;
        for (size_t k = 0; k < t->budget.n; k++) {
                bytes += t->budget.bytes[k];
                reports += t->budget.reports[k];
        }
        if (reports >= c->submit_daily_reports || bytes + e->size > c->submit_daily_bytes) {
                res->over_budget++;
                res->remaining++;
                spool_state_done(&s);
                return false;
        }

        _cleanup_free_ char *json = NULL;
        size_t json_size;
        UploadFields f = {};
        UploadResult ur = {};
        r = archive_read_member(e->path, "report.json", 16 << 20, &json, &json_size);
        if (r >= 0)
                r = upload_fields_from_report(json, json_size, &f);
        if (r < 0) {
                /* Our own ZIP is unreadable: retrying will not help. */
                ur.outcome = UPLOAD_PERMANENT;
                snprintf(ur.reason, sizeof ur.reason, "report.json unreadable: %s", strerror(-r));
        } else {
                if (t->target == SUBMIT_TARGET_SENTRY) {
                        r = sentry_send_report(uo, &t->sentry, e->path, now, &ur);
                        save_limits(t);
                        if (r == -EBADMSG || r == -EFBIG || r == -E2BIG) {
                                ur.outcome = UPLOAD_PERMANENT;
                                snprintf(ur.reason, sizeof ur.reason, "cannot build the envelope: %s", strerror(-r));
                                r = 0;
                        }
                } else {
                        StoredSave x = { offload, e->id, t->target, &s };
                        UploadOptions with_save = *uo;
                        with_save.stored = save_stored;
                        with_save.stored_userdata = &x;
                        r = upload_kcrash(&with_save, &f, e->path, &s, &ur);
                }
                if (r < 0) {
                        ur.outcome = UPLOAD_TRANSIENT;
                        snprintf(ur.reason, sizeof ur.reason, "cannot upload: %s", strerror(-r));
                }
        }

        if (ur.bytes_sent > 0 && ur.outcome != UPLOAD_OK) {
                /* What went out counts, whatever came back. */
                budget_add(&t->budget, now, ur.bytes_sent, 0);
                (void) budget_save(t->budget_path, &t->budget);
        }
        if (ur.stopped) {
                /* Asked to stop: not an attempt, the report as it was (with
                 * its gid, if a PUT stored it: save_stored()). */
                res->stopped = true;
                res->remaining++;
                upload_fields_done(&f);
                spool_state_done(&s);
                return false;
        }
        s.last_try = now;
        free(s.last_error);
        s.last_error = NULL;
        s.finish_pending = ur.outcome != UPLOAD_OK && ur.finish_failed && ur.gid[0];
        if (ur.gid[0]) {
                free(s.gid);
                s.gid = strdup(ur.gid);
        }
        if (ur.outcome == UPLOAD_OK) {
                s.state = SPOOL_SENT;
                s.next_try = 0;
                /* A note of what was left out of an envelope stays visible. */
                if (ur.reason[0])
                        s.last_error = strdup(ur.reason);
                budget_add(&t->budget, now, e->size, 1);
                (void) budget_save(t->budget_path, &t->budget);
                (void) spool_state_save_target(offload, e->id, t->target, &s);
                res->sent++;
                add_outcome(res, e->id, t->target, true, ur.gid, ur.reason[0] ? ur.reason : NULL, &f, SPOOL_SENT);
                sent = true;
        } else {
                s.attempts++;
                s.last_error = strdup(ur.reason);
                /* A device offline for a week, or a server that says it is
                 * fine but full or busy for a week (429, 507), must not make
                 * the device give up its reports: only the other failures
                 * count (a 500 or 503 may last: those park in the end, even
                 * with a Retry-After). A 429 or 507 only before the report
                 * is sent (at the Start): a server that takes the whole
                 * report at every attempt and then says so (at the PUT or
                 * the Finish, or Sentry at its envelope, which is the
                 * report) would have it uploaded forever, outside
                 * SUBMIT_DAILY_BYTES, which counts reports sent (attack
                 * reviews). */
                bool reached = !(ur.outcome == UPLOAD_TRANSIENT && ur.unreachable);
                bool deferred = ur.outcome == UPLOAD_TRANSIENT &&
                                (ur.unreachable ||
                                 (ur.before_report_sent && (ur.http_status == 429 || ur.http_status == 507)));
                if (deferred)
                        s.deferred++;
                if (ur.outcome == UPLOAD_PERMANENT ||
                    (!deferred && s.attempts - MIN(s.deferred, s.attempts) >= c->submit_max_attempts)) {
                        s.state = SPOOL_PARKED;
                        res->parked++;
                } else {
                        s.next_try = now + spool_backoff(c, s.attempts, ur.retry_after, random01());
                        if (!reached)
                                t->unreachable_until = s.next_try;
                        res->remaining++;
                }
                res->failed++;
                (void) spool_state_save_target(offload, e->id, t->target, &s);
                add_outcome(res, e->id, t->target, false, ur.gid[0] ? ur.gid : NULL, ur.reason, &f, s.state);
        }
        upload_fields_done(&f);
        spool_state_done(&s);
        return sent;
}

/* Every target holds the report: out of the queue. The states are saved
 * first, so a crash in between leaves a report marked sent, never one sent
 * twice. */
static void retire(const KcrashConfig *c, const char *sent_dir, const QueueEntry *e, SubmitResult *res) {
        int k;
        if (c->keep_sent_logs) {
                _cleanup_free_ char *dst = NULL;
                k = mkdir_p(sent_dir, 0755);
                if (k >= 0)
                        k = asprintf(&dst, "%s/%s.zip", sent_dir, e->id) < 0 ? -ENOMEM : rename_durable(e->path, dst);
        } else
                k = unlink(e->path) < 0 ? negative_errno() : 0;
        if (k < 0 && res->n_outcomes > 0) {
                /* Sent either way; the state files say so. */
                SubmitOutcome *last = &res->outcomes[res->n_outcomes - 1];
                char note[160];
                snprintf(note, sizeof note, "sent, but cannot move it out of the queue: %s", strerror(-k));
                free(last->error);
                last->error = strdup(note);
        }
}

int spool_submit(const SubmitOptions *o, SubmitResult *ret) {
        const KcrashConfig *c = o->config;
        SubmitResult res = {};
        time_t now = o->now ? o->now : time(NULL);
        unsigned targets = config_submit_targets(c);
        int r;

        if (!c->log_submission) {
                res.disabled = true;
                res.disabled_why = "LOG_SUBMISSION=0: reports are kept locally";
        } else if (targets == 0) {
                res.disabled = true;
                res.disabled_why = "no upload target is configured (SUBMIT_START_URL/SUBMIT_FINISH_URL for kcrash, "
                                   "SENTRY_DSN for sentry): submission is off, reports are kept locally";
        }

        _cleanup_free_ char *offload = strdup(o->offload_dir);
        _cleanup_free_ char *queue = offload ? path_join(offload, OFFLOAD_QUEUE_DIR) : NULL;
        _cleanup_free_ char *sent = offload ? path_join(offload, OFFLOAD_SENT_DIR) : NULL;
        _cleanup_free_ char *state = offload ? path_join(offload, OFFLOAD_UPLOAD_STATE_DIR) : NULL;
        _cleanup_free_ char *lock = state ? path_join(state, "submit.lock") : NULL;
        if (!lock || !sent || !queue)
                return -ENOMEM;

        QueueEntry *q = NULL;
        size_t nq = 0;
        r = spool_list_zips(queue, &q, &nq);
        if (r < 0)
                return r;
        if (res.disabled) {
                spool_free_zips(q, nq);
                /* Kept locally on purpose: nothing waits for a retry. */
                *ret = res;
                return 0;
        }

        r = mkdir_p(state, 0755);
        if (r < 0) {
                spool_free_zips(q, nq);
                return r;
        }
        _cleanup_close_ int lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : negative_errno();
                spool_free_zips(q, nq);
                return r;
        }

        TargetRun runs[_SUBMIT_TARGET_MAX] = {};
        size_t n_runs = 0;
        for (SubmitTarget t = 0; t < _SUBMIT_TARGET_MAX; t++) {
                if (!(targets & (1u << t)))
                        continue;
                r = target_run_init(&runs[n_runs], t, state, c, now);
                n_runs++;
                if (r < 0) {
                        for (size_t i = 0; i < n_runs; i++)
                                target_run_done(&runs[i]);
                        spool_free_zips(q, nq);
                        return r;
                }
        }
        UploadOptions uo = {
                .start_url = c->submit_start_url,
                .finish_url = c->submit_finish_url,
                .allow_http = c->submit_allow_insecure_http,
                .connect_timeout = (long) c->submit_connect_timeout,
                .stall_timeout = (long) c->submit_stall_timeout,
                .progress = o->progress,
                .stop_requested = o->stop_requested,
        };

        for (size_t i = 0; i < nq; i++) {
                if (res.stopped || (o->stop_requested && o->stop_requested())) {
                        res.stopped = true;
                        res.remaining += (unsigned) (nq - i); /* not tried: still queued */
                        break;
                }
                bool all_sent = true;
                for (size_t k = 0; k < n_runs; k++)
                        if (!submit_to_target(o, &runs[k], &uo, &q[i], now, &res))
                                all_sent = false;
                if (all_sent)
                        retire(c, sent, &q[i], &res);
        }
        for (size_t i = 0; i < n_runs; i++)
                target_run_done(&runs[i]);
        spool_free_zips(q, nq);
        (void) spool_retention(offload, c->offload_max_size, &res.removed_by_retention);
        *ret = res;
        return 0;
}
