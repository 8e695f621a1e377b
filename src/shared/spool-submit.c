/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
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

/* ---- 24-hour budget: "<time> <bytes>" lines of successful uploads ---- */

typedef struct Budget {
        int64_t t[512];
        uint64_t bytes[512];
        size_t n;
} Budget;

static void budget_load(const char *path, time_t now, Budget *b) {
        _cleanup_free_ char *text = NULL;
        b->n = 0;
        if (read_full_file(path, 1 << 20, &text, NULL) < 0)
                return;
        for (char *l = strtok(text, "\n"); l && b->n < ELEMENTSOF(b->t); l = strtok(NULL, "\n")) {
                long long t;
                unsigned long long s;
                if (sscanf(l, "%lld %llu", &t, &s) == 2 && t > now - 86400 && t <= now + 60) {
                        b->t[b->n] = t;
                        b->bytes[b->n++] = s;
                }
        }
}

static int budget_save(const char *path, const Budget *b) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++)
                fprintf(f, "%lld %llu\n", (long long) b->t[i], (unsigned long long) b->bytes[i]);
        fclose(f);
        int r = write_file_atomic(path, text, size, 0600);
        free(text);
        return r;
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

static void add_outcome(SubmitResult *res, const char *id, bool ok, const char *gid, const char *error,
                        const UploadFields *f, SpoolStateKind st) {
        SubmitOutcome *p = realloc(res->outcomes, (res->n_outcomes + 1) * sizeof *p);
        if (!p)
                return;
        res->outcomes = p;
        p[res->n_outcomes++] = (SubmitOutcome) {
                .id = strdup(id), .ok = ok, .gid = gid ? strdup(gid) : NULL, .error = error ? strdup(error) : NULL,
                .title = f && f->title ? strdup(f->title) : NULL, .signature = f && f->signature ? strdup(f->signature) : NULL,
                .state = st,
        };
}

int spool_submit(const SubmitOptions *o, SubmitResult *ret) {
        const KcrashConfig *c = o->config;
        SubmitResult res = {};
        time_t now = o->now ? o->now : time(NULL);
        int r;

        if (!c->log_submission) {
                res.disabled = true;
                res.disabled_why = "LOG_SUBMISSION=0: reports are kept locally";
        } else if (isempty(c->submit_start_url) || isempty(c->submit_finish_url)) {
                res.disabled = true;
                res.disabled_why = "SUBMIT_START_URL/SUBMIT_FINISH_URL are empty: submission is off, reports are kept locally";
        }

        _cleanup_free_ char *offload = strdup(o->offload_dir);
        _cleanup_free_ char *queue = offload ? path_join(offload, OFFLOAD_QUEUE_DIR) : NULL;
        _cleanup_free_ char *sent = offload ? path_join(offload, OFFLOAD_SENT_DIR) : NULL;
        _cleanup_free_ char *state = offload ? path_join(offload, OFFLOAD_UPLOAD_STATE_DIR) : NULL;
        _cleanup_free_ char *lock = state ? path_join(state, "submit.lock") : NULL;
        _cleanup_free_ char *budget_path = state ? path_join(state, "budget") : NULL;
        if (!lock || !budget_path || !sent || !queue)
                return -ENOMEM;

        QueueEntry *q = NULL;
        size_t nq = 0;
        r = spool_list_zips(queue, &q, &nq);
        if (r < 0)
                return r;
        if (res.disabled) {
                for (size_t i = 0; i < nq; i++) {
                        SpoolState s = {};
                        if (spool_state_load(offload, q[i].id, &s) < 0 || s.state == SPOOL_PENDING)
                                res.remaining++;
                        spool_state_done(&s);
                }
                spool_free_zips(q, nq);
                /* Kept locally on purpose: nothing waits for a retry. */
                res.remaining = 0;
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

        Budget budget;
        budget_load(budget_path, now, &budget);
        UploadOptions uo = {
                .start_url = c->submit_start_url,
                .finish_url = c->submit_finish_url,
                .allow_http = c->submit_allow_insecure_http,
                .connect_timeout = (long) c->submit_connect_timeout,
                .stall_timeout = (long) c->submit_stall_timeout,
                .progress = o->progress,
        };

        for (size_t i = 0; i < nq; i++) {
                QueueEntry *e = &q[i];
                SpoolState s = {};
                (void) spool_state_load(offload, e->id, &s);
                if (s.state == SPOOL_PARKED) {
                        res.parked++;
                        spool_state_done(&s);
                        continue;
                }
                if (!o->ignore_backoff && s.next_try > now) {
                        res.waiting++;
                        res.remaining++;
                        spool_state_done(&s);
                        continue;
                }
                uint64_t bytes = 0;
                for (size_t k = 0; k < budget.n; k++)
                        bytes += budget.bytes[k];
                if (budget.n >= c->submit_daily_reports || bytes + e->size > c->submit_daily_bytes) {
                        res.over_budget++;
                        res.remaining++;
                        spool_state_done(&s);
                        continue;
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
                        r = upload_report(&uo, &f, e->path, &ur);
                        if (r < 0) {
                                ur.outcome = UPLOAD_TRANSIENT;
                                snprintf(ur.reason, sizeof ur.reason, "cannot upload: %s", strerror(-r));
                        }
                }

                s.last_try = now;
                free(s.last_error);
                s.last_error = NULL;
                if (ur.gid[0]) {
                        free(s.gid);
                        s.gid = strdup(ur.gid);
                }
                if (ur.outcome == UPLOAD_OK) {
                        s.state = SPOOL_SENT;
                        s.next_try = 0;
                        if (budget.n < ELEMENTSOF(budget.t)) {
                                budget.t[budget.n] = now;
                                budget.bytes[budget.n++] = e->size;
                        }
                        (void) budget_save(budget_path, &budget);
                        /* State first: a crash between the two leaves a report
                         * that is marked sent, never one sent twice. */
                        (void) spool_state_save(offload, e->id, &s);
                        int k;
                        if (c->keep_sent_logs) {
                                _cleanup_free_ char *dst = NULL;
                                k = mkdir_p(sent, 0755);
                                if (k >= 0)
                                        k = asprintf(&dst, "%s/%s.zip", sent, e->id) < 0 ? -ENOMEM : rename_durable(e->path, dst);
                        } else
                                k = unlink(e->path) < 0 ? negative_errno() : 0;
                        res.sent++;
                        /* Sent either way; the state file says so. */
                        char note[160] = "";
                        if (k < 0)
                                snprintf(note, sizeof note, "sent, but cannot move it out of the queue: %s", strerror(-k));
                        add_outcome(&res, e->id, true, ur.gid, note[0] ? note : NULL, &f, SPOOL_SENT);
                } else {
                        s.attempts++;
                        s.last_error = strdup(ur.reason);
                        if (ur.outcome == UPLOAD_PERMANENT || s.attempts >= c->submit_max_attempts) {
                                s.state = SPOOL_PARKED;
                                res.parked++;
                        } else {
                                s.next_try = now + spool_backoff(c, s.attempts, ur.retry_after, random01());
                                res.remaining++;
                        }
                        res.failed++;
                        (void) spool_state_save(offload, e->id, &s);
                        add_outcome(&res, e->id, false, ur.gid[0] ? ur.gid : NULL, ur.reason, &f, s.state);
                }
                upload_fields_done(&f);
                spool_state_done(&s);
        }
        spool_free_zips(q, nq);
        (void) spool_retention(offload, c->offload_max_size, &res.removed_by_retention);
        *ret = res;
        return 0;
}
