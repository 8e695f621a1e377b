/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "collect.h"
#include "fileio.h"
#include "spool.h"
#include "upload-json.h"
#include "upload.h"

const char *spool_state_to_string(SpoolStateKind k) {
        return k == SPOOL_SENT ? "sent" : k == SPOOL_PARKED ? "parked" : "pending";
}

static char *state_path(const char *offload_dir, const char *id) {
        char *p;
        if (asprintf(&p, "%s/" OFFLOAD_STATE_DIR "/upload/%s.json", offload_dir, id) < 0)
                return NULL;
        return p;
}

void spool_state_done(SpoolState *s) {
        free(s->last_error);
        free(s->gid);
        *s = (SpoolState) {};
}

int spool_state_load(const char *offload_dir, const char *id, SpoolState *ret) {
        _cleanup_free_ char *p = state_path(offload_dir, id), *text = NULL;
        size_t size;
        if (!p)
                return -ENOMEM;
        int r = read_full_file(p, 1 << 20, &text, &size);
        if (r < 0)
                return r;
        json_error_t e;
        json_auto_t *o = json_loadb(text, size, 0, &e);
        if (!o)
                return -EBADMSG;
        const char *st = json_string_value(json_object_get(o, "state"));
        SpoolState s = {
                .state = st && streq(st, "sent") ? SPOOL_SENT : st && streq(st, "parked") ? SPOOL_PARKED : SPOOL_PENDING,
                .attempts = (unsigned) json_integer_value(json_object_get(o, "attempts")),
                .next_try = json_integer_value(json_object_get(o, "next_try")),
                .last_try = json_integer_value(json_object_get(o, "last_try")),
        };
        const char *le = json_string_value(json_object_get(o, "last_error"));
        const char *gid = json_string_value(json_object_get(o, "gid"));
        s.last_error = le ? strdup(le) : NULL;
        s.gid = gid ? strdup(gid) : NULL;
        *ret = s;
        return 0;
}

int spool_state_save(const char *offload_dir, const char *id, const SpoolState *s) {
        _cleanup_free_ char *p = state_path(offload_dir, id), *dir = NULL;
        if (!p)
                return -ENOMEM;
        dir = strdup(p);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        int r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        json_auto_t *o = json_pack("{s:s, s:i, s:I, s:I, s:o, s:o}", "state", spool_state_to_string(s->state),
                                   "attempts", (int) s->attempts, "next_try", (json_int_t) s->next_try, "last_try",
                                   (json_int_t) s->last_try, "last_error",
                                   s->last_error ? json_string(s->last_error) : json_null(), "gid",
                                   s->gid ? json_string(s->gid) : json_null());
        if (!o)
                return -ENOMEM;
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(p, text, strlen(text), 0600);
}

int64_t spool_backoff(const KcrashConfig *c, unsigned attempts, long retry_after, double jitter01) {
        double base = (double) c->submit_backoff_base, max = (double) c->submit_backoff_max;
        double d = base * pow(2.0, attempts > 0 ? (double) (attempts - 1) : 0.0);
        if (d > max)
                d = max;
        d *= 0.75 + 0.5 * jitter01; /* spread a fleet's retries apart */
        if (retry_after > 0 && (double) retry_after > d)
                d = (double) retry_after;
        return (int64_t) d;
}

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

/* ---- the queue ---- */

typedef struct QueueEntry {
        char *id;
        char *path;
        time_t mtime;
        uint64_t size;
} QueueEntry;

static int compare_entries(const void *a, const void *b) {
        const QueueEntry *x = a, *y = b;
        if (x->mtime != y->mtime)
                return x->mtime < y->mtime ? -1 : 1;
        return strcmp(x->id, y->id);
}

static int list_zips(const char *dir, QueueEntry **ret, size_t *ret_n) {
        QueueEntry *list = NULL;
        size_t n = 0;
        DIR *d = opendir(dir);
        if (!d) {
                *ret = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : negative_errno();
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l < 5 || !streq(de->d_name + l - 4, ".zip"))
                        continue;
                char *path = path_join(dir, de->d_name);
                struct stat st;
                if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                        free(path);
                        continue;
                }
                QueueEntry *g = realloc(list, (n + 1) * sizeof *g);
                if (!g) {
                        free(path);
                        break;
                }
                list = g;
                list[n++] = (QueueEntry) { .id = strndup(de->d_name, l - 4), .path = path, .mtime = st.st_mtime,
                                           .size = (uint64_t) st.st_size };
        }
        closedir(d);
        if (n > 0)
                qsort(list, n, sizeof *list, compare_entries);
        *ret = list;
        *ret_n = n;
        return 0;
}

static void free_zips(QueueEntry *l, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(l[i].id);
                free(l[i].path);
        }
        free(l);
}

int spool_retention(const char *offload_dir, uint64_t max_size, unsigned *ret_removed) {
        _cleanup_free_ char *queue = path_join(offload_dir, OFFLOAD_QUEUE_DIR), *sent = path_join(offload_dir, OFFLOAD_SENT_DIR);
        QueueEntry *q = NULL, *s = NULL;
        size_t nq = 0, ns = 0;
        unsigned removed = 0;
        if (!queue || !sent)
                return -ENOMEM;
        if (max_size == 0) {
                *ret_removed = 0;
                return 0;
        }
        int r = list_zips(queue, &q, &nq);
        if (r >= 0)
                r = list_zips(sent, &s, &ns);
        uint64_t total = 0;
        for (size_t i = 0; i < nq; i++)
                total += q[i].size;
        for (size_t i = 0; i < ns; i++)
                total += s[i].size;
        /* Only sent reports go: an unsent one is never dropped for space. */
        for (size_t i = 0; r >= 0 && i < ns && total > max_size; i++)
                if (unlink(s[i].path) >= 0) {
                        total -= s[i].size;
                        removed++;
                }
        free_zips(q, nq);
        free_zips(s, ns);
        *ret_removed = removed;
        return r < 0 ? r : 0;
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

        _cleanup_free_ char *offload = path_in_root(o->root, c->kdump_folder);
        _cleanup_free_ char *queue = offload ? path_join(offload, OFFLOAD_QUEUE_DIR) : NULL;
        _cleanup_free_ char *sent = offload ? path_join(offload, OFFLOAD_SENT_DIR) : NULL;
        _cleanup_free_ char *state = offload ? path_join(offload, OFFLOAD_STATE_DIR) : NULL;
        _cleanup_free_ char *lock = state ? path_join(state, "submit.lock") : NULL;
        _cleanup_free_ char *budget_path = state ? path_join(state, "budget") : NULL;
        if (!lock || !budget_path || !sent || !queue)
                return -ENOMEM;

        QueueEntry *q = NULL;
        size_t nq = 0;
        r = list_zips(queue, &q, &nq);
        if (r < 0)
                return r;
        if (res.disabled) {
                for (size_t i = 0; i < nq; i++) {
                        SpoolState s = {};
                        if (spool_state_load(offload, q[i].id, &s) < 0 || s.state == SPOOL_PENDING)
                                res.remaining++;
                        spool_state_done(&s);
                }
                free_zips(q, nq);
                /* Kept locally on purpose: nothing waits for a retry. */
                res.remaining = 0;
                *ret = res;
                return 0;
        }

        r = mkdir_p(state, 0700);
        if (r < 0) {
                free_zips(q, nq);
                return r;
        }
        _cleanup_close_ int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : negative_errno();
                free_zips(q, nq);
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
        free_zips(q, nq);
        (void) spool_retention(offload, c->offload_max_size, &res.removed_by_retention);
        *ret = res;
        return 0;
}

int spool_next_try(const char *offload_dir, int64_t *ret) {
        _cleanup_free_ char *queue = path_join(offload_dir, OFFLOAD_QUEUE_DIR);
        QueueEntry *q = NULL;
        size_t n = 0;
        if (!queue)
                return -ENOMEM;
        int r = list_zips(queue, &q, &n);
        if (r < 0)
                return r;
        bool any = false;
        int64_t best = 0;
        for (size_t i = 0; i < n; i++) {
                SpoolState s = {};
                int k = spool_state_load(offload_dir, q[i].id, &s);
                if (k < 0 || s.state == SPOOL_PENDING) {
                        int64_t t = k < 0 ? 0 : s.next_try;
                        if (!any || t < best)
                                best = t;
                        any = true;
                }
                spool_state_done(&s);
        }
        free_zips(q, n);
        if (!any)
                return -ENOENT;
        *ret = best;
        return 0;
}
