/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "offload.h"
#include "fileio.h"
#include "json-util.h"
#include "sentry-dsn.h"
#include "spool.h"

const char *spool_state_to_string(SpoolStateKind k) {
        return k == SPOOL_SENT ? "sent" : k == SPOOL_PARKED ? "parked" : "pending";
}

static const char *target_suffix(SubmitTarget t) {
        return t == SUBMIT_TARGET_KCRASH ? "" : "@sentry";
}

static char *state_path(const char *offload_dir, const char *id, SubmitTarget t) {
        char *p;
        if (asprintf(&p, "%s/" OFFLOAD_UPLOAD_STATE_DIR "/upload/%s%s.json", offload_dir, id, target_suffix(t)) < 0)
                return NULL;
        return p;
}

void spool_state_done(SpoolState *s) {
        free(s->last_error);
        free(s->gid);
        *s = (SpoolState) {};
}

/* The uploader's state folder, .kcrash-upload/upload, opened one level at a
 * time without following a symlink: .kcrash-upload is the uploader's, so
 * "upload" in it could be a symlink to any folder of root's, and root
 * (kcrashctl list, the collector) reads and checks names there. */
int spool_state_dir_open(const char *offload_dir) {
        _cleanup_free_ char *top = path_join(offload_dir, OFFLOAD_UPLOAD_STATE_DIR);
        if (!top)
                return -ENOMEM;
        _cleanup_close_ int top_fd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (top_fd < 0)
                return errno == ELOOP ? -ENOTDIR : negative_errno();
        int fd = openat(top_fd, "upload", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : negative_errno();
        return fd;
}

int spool_state_load(const char *offload_dir, const char *id, SpoolState *ret) {
        return spool_state_load_target(offload_dir, id, SUBMIT_TARGET_KCRASH, ret);
}

int spool_state_save(const char *offload_dir, const char *id, const SpoolState *s) {
        return spool_state_save_target(offload_dir, id, SUBMIT_TARGET_KCRASH, s);
}

int spool_state_load_target(const char *offload_dir, const char *id, SubmitTarget t, SpoolState *ret) {
        _cleanup_free_ char *name = NULL, *text = NULL;
        size_t size;
        if (isempty(id) || strchr(id, '/'))
                return -EINVAL;
        if (asprintf(&name, "%s%s.json", id, target_suffix(t)) < 0)
                return -ENOMEM;
        _cleanup_close_ int dir_fd = spool_state_dir_open(offload_dir);
        if (dir_fd < 0)
                return dir_fd;
        _cleanup_close_ int fd = open_regular_at(dir_fd, name, O_NOFOLLOW, NULL);
        if (fd < 0)
                return fd;
        int r = read_full_fd(fd, 1 << 20, &text, &size);
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
                .deferred = (unsigned) json_integer_value(json_object_get(o, "deferred")),
                .finish_pending = json_is_true(json_object_get(o, "finish_pending")),
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

int spool_state_save_target(const char *offload_dir, const char *id, SubmitTarget t, const SpoolState *s) {
        _cleanup_free_ char *p = state_path(offload_dir, id, t), *dir = NULL;
        if (!p)
                return -ENOMEM;
        dir = strdup(p);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        json_auto_t *o = json_pack("{s:s, s:i, s:i, s:b, s:I, s:I, s:o, s:o}", "state", spool_state_to_string(s->state),
                                   "attempts", (int) s->attempts, "deferred", (int) s->deferred, "finish_pending",
                                   (int) s->finish_pending, "next_try", (json_int_t) s->next_try, "last_try",
                                   (json_int_t) s->last_try, "last_error",
                                   json_string_or_null(s->last_error), "gid",
                                   json_string_or_null(s->gid));
        if (!o)
                return -ENOMEM;
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(p, text, strlen(text), 0644);
}

int64_t spool_backoff(const KcrashConfig *c, unsigned attempts, long retry_after, double jitter01) {
        double base = (double) c->submit_backoff_base, max = (double) c->submit_backoff_max;
        /* base * 2^(attempts - 1), doubled step by step up to max: no libm for
         * the programs that link this module (the collector among them). */
        double d = base;
        for (unsigned i = 1; i < attempts && i < 64 && d < max; i++)
                d *= 2;
        if (d > max)
                d = max;
        d *= 0.75 + 0.5 * jitter01; /* spread a fleet's retries apart */
        if (retry_after > 0 && (double) retry_after > d)
                d = (double) retry_after;
        return (int64_t) d;
}


/* ---- the queue ---- */

static int compare_entries(const void *a, const void *b) {
        const QueueEntry *x = a, *y = b;
        if (x->mtime != y->mtime)
                return x->mtime < y->mtime ? -1 : 1;
        return strcmp(x->id, y->id);
}

int spool_list_zips(const char *dir, QueueEntry **ret, size_t *ret_n) {
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

void spool_free_zips(QueueEntry *l, size_t n) {
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
        int r = spool_list_zips(queue, &q, &nq);
        if (r >= 0)
                r = spool_list_zips(sent, &s, &ns);
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
        spool_free_zips(q, nq);
        spool_free_zips(s, ns);
        *ret_removed = removed;
        return r < 0 ? r : 0;
}

int spool_next_try(const char *offload_dir, unsigned targets, int64_t *ret) {
        _cleanup_free_ char *queue = path_join(offload_dir, OFFLOAD_QUEUE_DIR);
        QueueEntry *q = NULL;
        size_t n = 0;
        if (!queue)
                return -ENOMEM;
        int r = spool_list_zips(queue, &q, &n);
        if (r < 0)
                return r;
        bool any = false;
        int64_t best = 0;
        /* A Sentry limit on events holds every report until it ends: the
         * daemon sleeps until then rather than wake to skip them. */
        int64_t sentry_until = 0;
        if (targets & (1u << SUBMIT_TARGET_SENTRY)) {
                _cleanup_free_ char *lp = path_join(offload_dir, OFFLOAD_UPLOAD_STATE_DIR "/sentry-limits"), *text = NULL;
                SentryLimits l;
                int64_t now = (int64_t) time(NULL);
                if (lp && read_full_file(lp, 64 * 1024, &text, NULL) >= 0) {
                        sentry_limits_parse_state(&l, text, now);
                        sentry_until = sentry_limits_until(&l, SENTRY_CATEGORY_ERROR, now);
                }
        }
        for (size_t i = 0; i < n; i++)
                for (SubmitTarget tg = 0; tg < _SUBMIT_TARGET_MAX; tg++) {
                        if (!(targets & (1u << tg)))
                                continue;
                        SpoolState s = {};
                        int k = spool_state_load_target(offload_dir, q[i].id, tg, &s);
                        if (k < 0 || s.state == SPOOL_PENDING) {
                                int64_t t = k < 0 ? 0 : s.next_try;
                                if (tg == SUBMIT_TARGET_SENTRY)
                                        t = MAX(t, sentry_until);
                                if (!any || t < best)
                                        best = t;
                                any = true;
                        }
                        spool_state_done(&s);
                }
        spool_free_zips(q, n);
        if (!any)
                return -ENOENT;
        *ret = best;
        return 0;
}
