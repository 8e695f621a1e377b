/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect-internal.h"
#include "fileio.h"
#include "hash.h"
#include "spool.h"

/* ---- finding the same crash in pstore and kdump ---- */

/* Skips the "<N>" syslog level that pstore records carry and kdump's
 * dmesg.txt does not, so lines compare equal across both. */
static const char *skip_level(const char *s, const char *end) {
        if (s < end && *s == '<') {
                const char *p = s + 1;
                while (p < end && isdigit((unsigned char) *p))
                        p++;
                if (p < end && *p == '>' && p > s + 1)
                        return p + 1;
        }
        return s;
}

static const char *const crash_markers[] = {
        "Kernel panic - not syncing", "BUG:", "Oops:", "general protection fault", "kernel BUG at",
        "WARNING:", "sysrq: Trigger a crash", "Unable to handle kernel", "watchdog: ",
};

/* The first timestamped line that starts a crash, without its level prefix.
 * kmsg timestamps make it unique to one boot, so the same line in another
 * capture means the same crash (measured: identical in pstore and kdump). */
int crash_anchor(const char *text, size_t size, const char **ret, size_t *ret_len) {
        const char *p = text, *end = text + size;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                const char *s = skip_level(p, eol);
                if (s < eol && *s == '[' && eol - s > 16) {
                        for (size_t i = 0; i < ELEMENTSOF(crash_markers); i++)
                                if (memmem(s, (size_t) (eol - s), crash_markers[i], strlen(crash_markers[i]))) {
                                        *ret = s;
                                        *ret_len = (size_t) (eol - s);
                                        return 0;
                                }
                }
                p = eol + 1;
        }
        return -ENOENT;
}

bool same_crash(const PstoreEvent *pe, const KdumpCapture *k) {
        if (!k->dmesg)
                return false;
        for (size_t i = 0; i < pe->n_dumps; i++) {
                const char *a;
                size_t len;
                if (crash_anchor(pe->dumps[i]->text, pe->dumps[i]->text_size, &a, &len) >= 0 &&
                    memmem(k->dmesg, k->dmesg_size, a, len))
                        return true;
        }
        const char *a;
        size_t len;
        if (crash_anchor(k->dmesg, k->dmesg_size, &a, &len) < 0)
                return false;
        for (size_t i = 0; i < pe->n_dumps; i++)
                if (memmem(pe->dumps[i]->text, pe->dumps[i]->text_size, a, len))
                        return true;
        return false;
}

/* ---- markers ---- */

/* sha256("KIND:NAME\n" + data), hashed where the record lies (no copy). */
static int record_key(const char *kind, const char *name, const char *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        struct iovec iov[] = {
                { (void *) kind, strlen(kind) },
                { (void *) ":", 1 },
                { (void *) name, strlen(name) },
                { (void *) "\n", 1 },
                { (void *) data, size },
        };
        return sha256_iov_hex(iov, ELEMENTSOF(iov), ret);
}

/* A kdump capture's key: its folder's name and the text of its files that
 * stay until the folder is renamed away (the vmcore is moved out first):
 * dmesg.txt, meta.json, kcrash-save.log, each with its length, so that a
 * new capture of the same stamp (a crash kernel whose clock is stuck) has
 * another key even without a dmesg (attack review: the name alone matched
 * a marker a killed run left, and the new crash was removed unreported). */
static int kdump_key(const KdumpCapture *k, char ret[SHA256_HEX_SIZE]) {
        char lengths[3][24];
        const char *part[3] = { k->dmesg, k->meta_json, k->save_log };
        size_t size[3] = { k->dmesg ? k->dmesg_size : 0, k->meta_json ? strlen(k->meta_json) : 0,
                           k->save_log ? strlen(k->save_log) : 0 };
        struct iovec iov[3 + 6] = {
                { (void *) "kdump2:", 7 },
                { (void *) k->name, strlen(k->name) },
                { (void *) "\n", 1 },
        };
        size_t n = 3;
        for (size_t i = 0; i < 3; i++) {
                snprintf(lengths[i], sizeof lengths[i], "%zu\n", size[i]);
                iov[n++] = (struct iovec) { lengths[i], strlen(lengths[i]) };
                iov[n++] = (struct iovec) { (void *) (part[i] ? part[i] : ""), size[i] };
        }
        return sha256_iov_hex(iov, n, ret);
}

/* The key an older kcrash gave a kdump capture: its folder's name alone. */
static int kdump_legacy_key(const KdumpCapture *k, char ret[SHA256_HEX_SIZE]) {
        return record_key("kdump", k->name, NULL, 0, ret);
}

int event_keys(const CrashEvent *e, const char *c_unclean_boot_id, StrList *keys) {
        char h[SHA256_HEX_SIZE];
        int r;
        if (e->pstore) {
                for (size_t i = 0; i < e->pstore->n_dumps; i++)
                        for (size_t j = 0; j < e->pstore->dumps[i]->n_parts; j++) {
                                const PstoreRecord *rec = e->pstore->dumps[i]->parts[j];
                                r = record_key("pstore", rec->name, rec->raw, rec->raw_size, h);
                                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                                        return r;
                        }
                for (size_t i = 0; i < e->pstore->n_extra; i++) {
                        const PstoreRecord *rec = e->pstore->extra[i];
                        r = record_key("pstore", rec->name, rec->raw, rec->raw_size, h);
                        if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                                return r;
                }
        }
        if (e->watch) {
                r = record_key("watch", e->watch_name, e->watch->log, e->watch->log_size, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        if (e->unclean) {
                r = record_key("unclean", strempty(c_unclean_boot_id), NULL, 0, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        if (e->kdump) {
                r = kdump_key(e->kdump, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        return 0;
}

/* A marker names the report id; once the ZIP is built in .kcrash/tmp/ it
 * also holds the ZIP's sha256. On a re-run: no hash, the ZIP was never
 * finished, so it is built again; a hash and that ZIP still in tmp/, it was
 * never moved, so it is moved now; a hash and no ZIP in tmp/, it was moved
 * into the queue (rename(2) is atomic), so only the records are left to
 * remove. Only root's own files decide: nothing the uploader can write (the
 * queue, its state) ever says that a report exists. */
static bool valid_hash(const char *s) {
        if (strlen(s) != SHA256_HEX_SIZE - 1)
                return false;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char) *p))
                        return false;
        return true;
}

/* One marker file: its report id, and the built ZIP's hash (NULL when the
 * marker has none). -EPERM etc. when the file is not root's own (see
 * read_full_file_trusted()), -EBADMSG when it names no usable id. */
int marker_read(const char *path, char **ret_id, char **ret_hash) {
        _cleanup_free_ char *text = NULL, *hash = NULL;
        int r = read_full_file_trusted(path, 4096, &text, NULL);
        if (r < 0)
                return r;
        char *nl = strchr(text, '\n');
        if (nl) {
                *nl = 0;
                hash = strndup(nl + 1, strcspn(nl + 1, "\n"));
                if (!hash)
                        return -ENOMEM;
                if (!valid_hash(hash)) {
                        free(hash);
                        hash = NULL;
                }
        }
        if (isempty(text) || strchr(text, '/') || text[0] == '.')
                return -EBADMSG;
        *ret_id = TAKE_PTR(text);
        *ret_hash = TAKE_PTR(hash);
        return 0;
}

/* The marker an older kcrash left for capture k, keyed on its name alone,
 * when it vouches for a report built from it: it has a hash, and the
 * capture's folder is no newer than it (a new capture of the same stamp,
 * made after it, is not the one it stands for). An upgrade between a
 * killed collection and the next then does not report the capture twice. */
static int marker_find_legacy(Collector *c, const KdumpCapture *k, char **ret_id, char **ret_hash) {
        char h[SHA256_HEX_SIZE];
        int r = kdump_legacy_key(k, h);
        if (r < 0)
                return r;
        _cleanup_free_ char *p = path_join(c->marker_dir, h);
        if (!p)
                return -ENOMEM;
        _cleanup_free_ char *id = NULL, *hash = NULL;
        r = marker_read(p, &id, &hash);
        if (r == -EPERM || r == -EBADFD || r == -EISDIR) {
                (void) rm_rf(p); /* not root's: see marker_find() */
                return 0;
        }
        struct stat marker, folder;
        if (r < 0 || !hash || lstat(p, &marker) < 0 || lstat(k->path, &folder) < 0 ||
            folder.st_mtime > marker.st_mtime)
                return 0;
        /* from now on under its new key: removed with the others by id */
        *ret_id = TAKE_PTR(id);
        *ret_hash = TAKE_PTR(hash);
        return 1;
}

int marker_find(Collector *c, const CrashEvent *e, const StrList *keys, char **ret_id, char **ret_hash) {
        if (e && e->kdump) {
                int r = marker_find_legacy(c, e->kdump, ret_id, ret_hash);
                if (r != 0)
                        return r;
        }
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (!p)
                        return -ENOMEM;
                int r = marker_read(p, ret_id, ret_hash);
                if (r == -ENOENT || r == -EBADMSG)
                        continue;
                if (r == -EPERM || r == -EBADFD || r == -EISDIR) {
                        /* Not root's (planted while an older layout let the
                         * uploader's group write here): it never says a
                         * report exists, and it goes. */
                        (void) rm_rf(p);
                        continue;
                }
                if (r < 0)
                        return r;
                return 1;
        }
        return 0;
}

static int markers_put(Collector *c, const StrList *keys, const char *id, const char *hash, bool durable) {
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s\n%s%s", id, strempty(hash), hash ? "\n" : "") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (!p)
                        return -ENOMEM;
                int r = durable ? write_file_atomic(p, line, strlen(line), 0600)
                                : write_file_replace(p, line, strlen(line), 0600);
                if (r < 0)
                        return note_problem(c, r, "Cannot write marker \"%s\"", p);
        }
        return 0;
}

int markers_write(Collector *c, const StrList *keys, const char *id, const char *hash) {
        return markers_put(c, keys, id, hash, true);
}

/* The first marker of an event only keeps the id the run chose, so a re-run
 * after a kill rebuilds under the same name. Lost with the power, the re-run
 * picks a name anew and builds the same report: nothing was in the queue
 * yet and nothing was removed. Not worth two fsyncs per report. */
int markers_claim(Collector *c, const StrList *keys, const char *id) {
        return markers_put(c, keys, id, NULL, false);
}

void markers_remove(Collector *c, const StrList *keys, const char *id) {
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (p)
                        (void) unlink(p);
        }
        /* And every other marker of the report: a run killed while it
         * removed the records left the markers of those it had removed,
         * which are no key of the event the next run sees (attack review:
         * they stayed for good, each claiming its report's name). */
        _cleanup_(closedirp) DIR *d = opendir(c->marker_dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(c->marker_dir, de->d_name), *other = NULL, *hash = NULL;
                if (p && marker_read(p, &other, &hash) >= 0 && streq(other, id))
                        (void) unlink(p);
        }
}

/* ---- report ids ---- */

/* Anything at the name counts (lstat: a planted symlink too). */
static bool name_exists(const char *p) {
        struct stat st;
        return lstat(p, &st) >= 0 || errno != ENOENT;
}

int marker_ids(Collector *c, bool with_hash_only, StrList *ret) {
        _cleanup_(closedirp) DIR *d = opendir(c->marker_dir);
        if (!d)
                return errno == ENOENT ? (*ret = (StrList) {}, 0) : negative_errno();
        _cleanup_(strlist_done) StrList ids = {};
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(c->marker_dir, de->d_name), *id = NULL, *hash = NULL;
                if (!p)
                        return -ENOMEM;
                if (marker_read(p, &id, &hash) >= 0 && (hash || !with_hash_only) && strlist_add(&ids, "%s", id) < 0)
                        return -ENOMEM;
        }
        *ret = ids;
        ids = (StrList) {};
        return 0;
}

/* Whether the marker of any event names id. Names are only minute-precise,
 * so two events of one minute want the same one: an event interrupted after
 * its marker was written keeps its name (and its build in tmp/, which the
 * marker vouches for) until a later run completes it, and another event
 * taking that name would overwrite the build and leave the marker saying
 * "queued" for a report that was never queued, so that the interrupted
 * event's records were removed with no report. */
static bool id_claimed(Collector *c, const char *id) {
        _cleanup_(strlist_done) StrList claimed = {};
        if (marker_ids(c, false, &claimed) < 0)
                return true;
        for (size_t i = 0; i < claimed.n; i++)
                if (streq(claimed.items[i], id))
                        return true;
        return false;
}

static bool id_taken(Collector *c, const char *id) {
        if (id_claimed(c, id))
                return true;
        const char *dirs[] = { c->queue_dir, c->sent_dir, c->tmp_dir };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s.zip", dirs[i], id) < 0)
                        return true;
                if (name_exists(p))
                        return true;
        }
        /* The uploader's own folder: looked into without following a
         * symlink it may have put there (nothing else there counts). */
        _cleanup_close_ int fd = spool_state_dir_open(c->offload);
        if (fd < 0)
                return fd != -ENOENT && fd != -ENOTDIR;
        /* Each target's state file (spool.h): a reused id would inherit a
         * target's "sent" and never go there. */
        static const char *const suffixes[] = { "", "@sentry" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *s = NULL;
                if (asprintf(&s, "%s%s.json", id, suffixes[i]) < 0)
                        return true;
                struct stat st;
                if (fstatat(fd, s, &st, AT_SYMLINK_NOFOLLOW) >= 0 || errno != ENOENT)
                        return true;
        }
        return false;
}

void utc_stamp(time_t t, char buf[16]) {
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(buf, 16, "%Y%m%d%H%M", &tm))
                snprintf(buf, 16, "000000000000");
}

/* Ids also name files: keep them to a safe alphabet, and short. The account
 * name comes from a file the desktop user writes: one longer than a file
 * name made every candidate id "taken" (lstat: ENAMETOOLONG), so no
 * report could ever be made and the records would stay forever. */
#define ID_PART_MAX 64
static void sanitize(char *s) {
        size_t n = 0;
        for (; *s && n < ID_PART_MAX; s++, n++)
                if (!isalnum((unsigned char) *s) && *s != '_' && *s != '.')
                        *s = '_';
        *s = 0;
}

int choose_id(Collector *c, time_t crash_time, char **ret) {
        char stamp[16];
        _cleanup_free_ char *product = strdup(strempty(c->config->product));
        _cleanup_free_ char *serial = strdup(strempty(c->sys.serial));
        _cleanup_free_ char *account = strdup(strempty(c->sys.account_name));
        if (!product || !serial || !account)
                return -ENOMEM;
        sanitize(product);
        sanitize(serial);
        sanitize(account);
        utc_stamp(crash_time, stamp);
        /* SteamOS's name: <product>-<serial>-<account>.<UTC yyyymmddHHMM>.zip */
        for (unsigned n = 1; n < 1000; n++) {
                char *id;
                if (n == 1) {
                        if (asprintf(&id, "%s-%s-%s.%s", product, serial, account, stamp) < 0)
                                return -ENOMEM;
                } else if (asprintf(&id, "%s-%s-%s.%s-%u", product, serial, account, stamp, n) < 0)
                        return -ENOMEM;
                if (!id_taken(c, id)) {
                        *ret = id;
                        return 0;
                }
                free(id);
        }
        /* All taken: names the uploader's account can plant (the queue is its
         * folder), for every minute a crash may have had, to keep crashes
         * from being reported. A random suffix it cannot guess. */
        for (unsigned tries = 0; tries < 8; tries++) {
                uint64_t rnd;
                if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                        return -EIO;
                char *id;
                if (asprintf(&id, "%s-%s-%s.%s-r%016" PRIx64, product, serial, account, stamp, rnd) < 0)
                        return -ENOMEM;
                if (!id_taken(c, id)) {
                        *ret = id;
                        return 0;
                }
                free(id);
        }
        return -EEXIST;
}
