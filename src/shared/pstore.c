/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "parse-util.h"
#include "pstore.h"

/* Type names from fs/pstore/inode.c (pstore_type_names[] in newer kernels). */
static const struct {
        const char *name;
        PstoreType type;
} type_names[] = {
        { "dmesg", PSTORE_TYPE_DMESG },
        { "console", PSTORE_TYPE_CONSOLE },
        { "pmsg", PSTORE_TYPE_PMSG },
        { "ftrace", PSTORE_TYPE_FTRACE },
        { "mce", PSTORE_TYPE_MCE },
        { "rtas", PSTORE_TYPE_OTHER },
        { "powerpc-ofw", PSTORE_TYPE_OTHER },
        { "powerpc-common", PSTORE_TYPE_OTHER },
        { "powerpc-opal", PSTORE_TYPE_OTHER },
        { "unknown", PSTORE_TYPE_OTHER },
};

int pstore_parse_name(const char *name, PstoreName *ret) {
        PstoreName n = {};
        size_t len = strlen(name);

        if (len > 7 && streq(name + len - 6, ".enc.z")) {
                n.compressed = true;
                len -= 6;
        }
        /* The type may itself contain '-' ("powerpc-ofw"), the backend may
         * contain '_' ("efi_pstore") but the id is the part after the last '-'. */
        const char *last = memrchr(name, '-', len);
        if (!last || last == name)
                return -EINVAL;
        size_t id_len = len - (size_t) (last + 1 - name);
        if (id_len == 0 || id_len >= sizeof n.id)
                return -EINVAL;
        for (size_t i = 0; i < id_len; i++)
                if (!isdigit((unsigned char) last[1 + i]))
                        return -EINVAL;
        memcpy(n.id, last + 1, id_len);
        if (parse_uint64(n.id, &n.id_number) < 0)
                return -EINVAL;

        size_t type_len = 0;
        n.type = PSTORE_TYPE_OTHER;
        for (size_t i = 0; i < ELEMENTSOF(type_names); i++) {
                size_t l = strlen(type_names[i].name);
                if ((size_t) (last - name) > l + 1 && strneq(name, type_names[i].name, l) && name[l] == '-') {
                        n.type = type_names[i].type;
                        type_len = l;
                        break;
                }
        }
        if (type_len == 0) {
                const char *dash = memchr(name, '-', (size_t) (last - name));
                if (!dash || dash == name)
                        return -EINVAL;
                type_len = (size_t) (dash - name);
        }
        if (type_len >= sizeof n.type_name)
                return -EINVAL;
        memcpy(n.type_name, name, type_len);

        const char *backend = name + type_len + 1;
        size_t backend_len = (size_t) (last - backend);
        if (backend >= last || backend_len == 0 || backend_len >= sizeof n.backend)
                return -EINVAL;
        memcpy(n.backend, backend, backend_len);
        for (size_t i = 0; i < backend_len; i++)
                if (!isalnum((unsigned char) n.backend[i]) && n.backend[i] != '_' && n.backend[i] != '-')
                        return -EINVAL;

        *ret = n;
        return 0;
}

/* kmsg_dump_reason_str() in kernel/printk/printk.c (fs/pstore/platform.c
 * before 5.8 used its own table with the same words). */
static const char *const reasons[] = {
        "Panic", "Oops", "Emergency", "Shutdown", "Restart", "Halt", "Poweroff", "Unknown",
};

bool pstore_reason_is_crash(const char *reason) {
        return streq(reason, "Panic") || streq(reason, "Oops") || streq(reason, "Emergency");
}

static int parse_unsigned(const char **p, const char *end, unsigned *ret) {
        unsigned long v = 0;
        const char *s = *p;
        if (s >= end || !isdigit((unsigned char) *s))
                return -EBADMSG;
        while (s < end && isdigit((unsigned char) *s)) {
                v = v * 10 + (unsigned long) (*s - '0');
                if (v > 1000000)
                        return -EBADMSG;
                s++;
        }
        *ret = (unsigned) v;
        *p = s;
        return 0;
}

int pstore_parse_header(const char *data, size_t size, PstoreHeader *ret, size_t *ret_body) {
        const char *end = memchr(data, '\n', size);
        const char *line_end = end ? end : data + size;
        PstoreHeader h = {};

        for (size_t i = 0; i < ELEMENTSOF(reasons); i++) {
                size_t l = strlen(reasons[i]);
                if ((size_t) (line_end - data) > l && strneq(data, reasons[i], l) && data[l] == '#') {
                        snprintf(h.reason, sizeof h.reason, "%s", reasons[i]);
                        const char *p = data + l + 1;
                        if (parse_unsigned(&p, line_end, &h.count) < 0)
                                return -EBADMSG;
                        if (line_end - p < 5 || !strneq(p, " Part", 5))
                                return -EBADMSG;
                        p += 5;
                        /* Parts count from 1 (pstore_dump() in fs/pstore/platform.c). */
                        if (parse_unsigned(&p, line_end, &h.part) < 0 || h.part == 0 || h.part > PSTORE_MAX_PART)
                                return -EBADMSG;
                        if (p != line_end)
                                return -EBADMSG;
                        *ret = h;
                        if (ret_body)
                                *ret_body = end ? (size_t) (end + 1 - data) : size;
                        return 0;
                }
        }
        return -EBADMSG;
}

/* ramoops appends "\nECC: No errors detected\n" or "\nECC: %d Corrected bytes, %d
 * unrecoverable blocks\n" when it returns a record with ECC (fs/pstore/ram_core.c,
 * persistent_ram_ecc_string()). That is not kernel log text. */
static void split_ecc_note(PstoreRecord *r) {
        const char *b = r->body;
        size_t n = r->body_size;
        size_t l = n;
        if (l > 0 && b[l - 1] == '\n')
                l--;
        const char *line = memrchr(b, '\n', l);
        line = line ? line + 1 : b;
        size_t line_len = (size_t) (b + l - line);
        if (line_len < 5 || !strneq(line, "ECC: ", 5))
                return;
        r->ecc_note = strndup(line, line_len);
        size_t keep = (size_t) (line - b);
        /* the blank separator line before the note */
        if (keep > 0 && b[keep - 1] == '\n' && keep > 1 && b[keep - 2] == '\n')
                keep--;
        r->body_size = keep;
}

PstoreRecord *pstore_record_free(PstoreRecord *r) {
        if (!r)
                return NULL;
        free(r->name);
        free(r->raw);
        free(r->ecc_note);
        free(r);
        return NULL;
}

static void record_classify(PstoreRecord *r) {
        r->known_name = pstore_parse_name(r->name, &r->parsed) >= 0;
        r->body = r->raw;
        r->body_size = r->raw_size;
        if (!r->raw || !r->known_name || r->parsed.compressed)
                return;
        if (r->parsed.type == PSTORE_TYPE_DMESG) {
                size_t off;
                if (pstore_parse_header(r->raw, r->raw_size, &r->header, &off) >= 0) {
                        r->has_header = true;
                        r->body = r->raw + off;
                        r->body_size = r->raw_size - off;
                }
        }
        split_ecc_note(r);
}

int pstore_record_new(const char *name, const char *data, size_t size, time_t mtime, PstoreRecord **ret) {
        PstoreRecord *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->name = strdup(name);
        r->raw = malloc(size + 1);
        if (!r->name || !r->raw) {
                pstore_record_free(r);
                return -ENOMEM;
        }
        memcpy(r->raw, data, size);
        r->raw[size] = 0;
        r->raw_size = size;
        r->mtime = mtime;
        record_classify(r);
        *ret = r;
        return 0;
}

static PstoreDump *dump_free(PstoreDump *d) {
        if (!d)
                return NULL;
        free(d->parts);
        free(d->missing_parts);
        free(d->text_buf);
        free(d);
        return NULL;
}

static PstoreEvent *event_free(PstoreEvent *e) {
        if (!e)
                return NULL;
        free(e->dumps);
        free(e->extra);
        free(e);
        return NULL;
}

PstoreScan *pstore_scan_free(PstoreScan *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_records; i++)
                pstore_record_free(s->records[i]);
        free(s->records);
        for (size_t i = 0; i < s->n_dumps; i++)
                dump_free(s->dumps[i]);
        free(s->dumps);
        for (size_t i = 0; i < s->n_events; i++)
                event_free(s->events[i]);
        free(s->events);
        free(s->unknown);
        free(s);
        return NULL;
}

static int push(void *array_ptr, size_t *n, void *item) {
        void ***a = array_ptr;
        void **p = realloc(*a, (*n + 1) * sizeof(void *));
        if (!p)
                return -ENOMEM;
        p[(*n)++] = item;
        *a = p;
        return 0;
}

static int compare_parts_log_order(const void *a, const void *b) {
        const PstoreRecord *x = *(PstoreRecord *const *) a, *y = *(PstoreRecord *const *) b;
        /* Part1 is the newest chunk (fs/pstore/platform.c, pstore_dump() walks
         * the log backwards), so the log reads highest part first. */
        if (x->header.part != y->header.part)
                return x->header.part > y->header.part ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* The parts of a dump have distinct part numbers (pstore_scan_records()
 * starts a new dump when a number repeats), so every part's bytes go into the
 * text: nothing listed in parts[] is left out of the report. */
static int dump_assemble(PstoreDump *d) {
        if (d->n_parts > 0)
                qsort(d->parts, d->n_parts, sizeof *d->parts, compare_parts_log_order);

        unsigned max_part = d->n_parts ? d->parts[0]->header.part : 0;

        /* The common case, one whole record (a ramoops dump is one Part1): the
         * text is its body where it lies, when that is already what the loop
         * below would write (ends with a newline, NUL right after). */
        if (d->n_parts == 1 && max_part == 1) {
                const PstoreRecord *r = d->parts[0];
                if (r->body_size > 0 && r->body[r->body_size - 1] == '\n' && r->body[r->body_size] == 0) {
                        d->text = r->body;
                        d->text_size = r->body_size;
                        return 0;
                }
        }

        size_t size = 0;
        for (size_t i = 0; i < d->n_parts; i++)
                size += d->parts[i]->body_size + 1;
        size += (size_t) max_part * 64;

        char *text = malloc(size + 1), *o = text;
        if (!text)
                return -ENOMEM;

        /* Walk the part numbers from max_part down to 1 and mark each absent one. */
        size_t i = 0;
        for (unsigned part = max_part; part >= 1 && max_part > 0; part--) {
                bool found = false;
                while (i < d->n_parts && d->parts[i]->header.part == part) {
                        const PstoreRecord *r = d->parts[i];
                        memcpy(o, r->body, r->body_size);
                        o += r->body_size;
                        if (r->body_size > 0 && o[-1] != '\n')
                                *o++ = '\n';
                        found = true;
                        i++;
                }
                if (!found) {
                        unsigned *m = realloc(d->missing_parts, (d->n_missing + 1) * sizeof *m);
                        if (!m) {
                                free(text);
                                return -ENOMEM;
                        }
                        d->missing_parts = m;
                        d->missing_parts[d->n_missing++] = part;
                        o += sprintf(o, "[kcrash: %s#%u Part%u is missing]\n", d->reason, d->count, part);
                }
        }
        *o = 0;
        d->text = d->text_buf = text;
        d->text_size = (size_t) (o - text);
        return 0;
}

/* When a record was written. efi-pstore names its variables
 * "dump-type<type>-<part>-<count>-<seconds>-<C|D>" and gives pstore the id
 * (seconds * 100 + part) * 1000 + count (drivers/firmware/efi/efi-pstore.c,
 * generic_id()): the id keeps the write time even when the file's mtime was
 * lost in a copy. The id is trusted only when its part and count agree with
 * the header. Other backends: pstorefs sets the mtime to the record's time
 * (fs/pstore/inode.c, pstore_mkfile()). */
static time_t record_write_time(const PstoreRecord *r) {
        if (r->known_name && r->has_header && startswith(r->parsed.backend, "efi")) {
                uint64_t id = r->parsed.id_number;
                if (id % 1000 == r->header.count % 1000 && (id / 1000) % 100 == r->header.part % 100)
                        return (time_t) (id / 100000);
        }
        return r->mtime;
}

/* Parts of one dump are written one after the other in the same panic, Part1
 * first (fs/pstore/platform.c, pstore_dump()), within a few seconds at most;
 * the next crash's dump comes after a reboot. A part written later than this
 * after the previous part of the same <Reason>#<count> belongs to another dump. */
#define DUMP_WRITE_WINDOW_SEC 10

static int compare_write_order(const void *a, const void *b) {
        const PstoreRecord *x = *(PstoreRecord *const *) a, *y = *(PstoreRecord *const *) b;
        int c = strcmp(x->parsed.backend, y->parsed.backend);
        if (c == 0)
                c = strcmp(x->header.reason, y->header.reason);
        if (c != 0)
                return c;
        if (x->header.count != y->header.count)
                return x->header.count < y->header.count ? -1 : 1;
        time_t tx = record_write_time(x), ty = record_write_time(y);
        if (tx != ty)
                return tx < ty ? -1 : 1;
        if (x->header.part != y->header.part)
                return x->header.part < y->header.part ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Whether rec, next in write order, continues the dump whose last written
 * part is prev: same backend and <Reason>#<count>, a higher part number (a
 * repeated number is another dump: a crash loop leaves "Panic#1 Part1" once
 * per crash), written soon after. */
static bool part_continues(const PstoreRecord *prev, const PstoreRecord *rec) {
        if (!streq(prev->parsed.backend, rec->parsed.backend) || !streq(prev->header.reason, rec->header.reason) ||
            prev->header.count != rec->header.count || rec->header.part <= prev->header.part)
                return false;
        time_t tp = record_write_time(prev), tr = record_write_time(rec);
        /* Unsigned: tr - tp must not overflow for any pair of mtimes. */
        return tr >= tp && (uint64_t) tr - (uint64_t) tp <= DUMP_WRITE_WINDOW_SEC;
}

/* When the dump was written, for grouping (record_write_time()). */
static time_t dump_write_time(const PstoreDump *d) {
        time_t t = 0;
        for (size_t i = 0; i < d->n_parts; i++) {
                time_t w = record_write_time(d->parts[i]);
                if (w > t)
                        t = w;
        }
        return t;
}

/* The crash time reported for an event: the newest file mtime, as pstorefs shows it. */
static time_t dump_time(const PstoreDump *d) {
        time_t t = 0;
        for (size_t i = 0; i < d->n_parts; i++)
                if (d->parts[i]->mtime > t)
                        t = d->parts[i]->mtime;
        return t;
}

static int compare_dumps(const void *a, const void *b) {
        const PstoreDump *x = *(PstoreDump *const *) a, *y = *(PstoreDump *const *) b;
        time_t tx = dump_write_time(x), ty = dump_write_time(y);
        if (x->count != y->count)
                return x->count < y->count ? -1 : 1;
        if (tx != ty)
                return tx < ty ? -1 : 1;
        return strcmp(x->parts[0]->name, y->parts[0]->name);
}

/* The last non-empty line of a dump's text. */
static const char *last_line(const PstoreDump *d, size_t *ret_len) {
        const char *t = d->text;
        size_t l = d->text_size;
        while (l > 0 && t[l - 1] == '\n')
                l--;
        const char *s = memrchr(t, '\n', l);
        s = s ? s + 1 : t;
        *ret_len = (size_t) (t + l - s);
        return s;
}

/* Two dumps are of the same crash when the later one still holds the earlier
 * one's last log line: the kernel log buffer of one boot only grows, and every
 * line carries its timestamp, so another boot cannot contain that exact line. */
static bool dump_continues(const PstoreDump *earlier, const PstoreDump *later) {
        size_t len;
        const char *line = last_line(earlier, &len);
        if (len < 16 || earlier->count >= later->count)
                return false;
        return memmem(later->text, later->text_size, line, len) != NULL;
}

/* Of two earlier dumps that d (written at t) continues, the one written last
 * before d is its crash; one "written after" d only counts without another. */
static bool better_candidate(time_t t, time_t candidate, bool have_best, time_t best) {
        if (!have_best)
                return true;
        bool candidate_before = candidate <= t, best_before = best <= t;
        if (candidate_before != best_before)
                return candidate_before;
        return candidate_before ? candidate > best : candidate < best;
}

int pstore_scan_records(PstoreRecord **records, size_t n_records, PstoreScan **ret) {
        PstoreScan *s = calloc(1, sizeof *s);
        int r = 0;

        if (!s) {
                for (size_t i = 0; i < n_records; i++)
                        pstore_record_free(records[i]);
                return -ENOMEM;
        }
        s->records = records;
        s->n_records = n_records;

        /* 1. dmesg records with a header form dumps: the parts of one
         * backend + reason + count, written in one go (part_continues()). */
        PstoreRecord **loose = NULL; /* records that join the event of their boot */
        size_t n_loose = 0;
        PstoreRecord **parts = NULL;
        size_t n_parts = 0;
        for (size_t i = 0; i < n_records && r >= 0; i++) {
                PstoreRecord *rec = records[i];
                if (!rec->known_name)
                        r = push(&s->unknown, &s->n_unknown, rec);
                else if (rec->parsed.type != PSTORE_TYPE_DMESG || !rec->has_header || rec->too_big)
                        r = push(&loose, &n_loose, rec);
                else
                        r = push(&parts, &n_parts, rec);
        }
        if (r >= 0 && n_parts > 0)
                qsort(parts, n_parts, sizeof *parts, compare_write_order);
        PstoreDump *open_dump = NULL;
        for (size_t i = 0; i < n_parts && r >= 0; i++) {
                PstoreRecord *rec = parts[i];
                if (!open_dump || !part_continues(open_dump->parts[open_dump->n_parts - 1], rec)) {
                        open_dump = calloc(1, sizeof *open_dump);
                        if (!open_dump) {
                                r = -ENOMEM;
                                break;
                        }
                        snprintf(open_dump->reason, sizeof open_dump->reason, "%s", rec->header.reason);
                        open_dump->count = rec->header.count;
                        r = push(&s->dumps, &s->n_dumps, open_dump);
                        if (r < 0) {
                                dump_free(open_dump);
                                break;
                        }
                }
                r = push(&open_dump->parts, &open_dump->n_parts, rec);
        }
        free(parts);
        for (size_t i = 0; i < s->n_dumps && r >= 0; i++)
                r = dump_assemble(s->dumps[i]);
        if (r < 0)
                goto fail;

        /* 2. A dump joins the event of an earlier dump of the same crash
         * (dump_continues(): an Oops and the Panic it led to). Dumps are taken
         * by count, so that event already exists; several crashes can hold
         * the same count (a crash loop: Oops#1 + Panic#2 per boot), so the
         * event is searched among all of them, and among several candidates
         * the one written last before this dump wins. */
        if (s->n_dumps > 0)
                qsort(s->dumps, s->n_dumps, sizeof *s->dumps, compare_dumps);
        for (size_t i = 0; i < s->n_dumps; i++) {
                PstoreDump *d = s->dumps[i];
                time_t t = dump_write_time(d);
                PstoreEvent *best = NULL;
                time_t best_time = 0;
                for (size_t j = 0; j < s->n_events; j++) {
                        PstoreEvent *e = s->events[j];
                        for (size_t k = 0; k < e->n_dumps; k++) {
                                time_t et = dump_write_time(e->dumps[k]);
                                if (!dump_continues(e->dumps[k], d))
                                        continue;
                                if (better_candidate(t, et, best != NULL, best_time)) {
                                        best = e;
                                        best_time = et;
                                }
                        }
                }
                PstoreEvent *current = best;
                if (!current) {
                        current = calloc(1, sizeof *current);
                        if (!current || push(&s->events, &s->n_events, current) < 0) {
                                free(current);
                                r = -ENOMEM;
                                goto fail;
                        }
                }
                if (push(&current->dumps, &current->n_dumps, d) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                current->is_crash = current->is_crash || pstore_reason_is_crash(d->reason);
                time_t ct = dump_time(d);
                if (ct > current->crash_time)
                        current->crash_time = ct;
        }

        /* 3. console/pmsg/ftrace/mce leftovers and dmesg records we could not
         * read as text belong to the newest crash event (they are the previous
         * boot's). Without a crash event they are what a clean reboot leaves
         * behind, unless they are a machine check or an undecodable dmesg
         * record, which are crashes in their own right. */
        PstoreEvent *newest = NULL;
        for (size_t i = 0; i < s->n_events; i++)
                if (s->events[i]->is_crash && (!newest || s->events[i]->crash_time >= newest->crash_time))
                        newest = s->events[i];
        PstoreEvent *leftovers = NULL;
        for (size_t i = 0; i < n_loose; i++) {
                PstoreRecord *rec = loose[i];
                bool crashy = rec->parsed.type == PSTORE_TYPE_MCE || rec->parsed.type == PSTORE_TYPE_DMESG;
                PstoreEvent *e = newest;
                if (!e && crashy) {
                        e = calloc(1, sizeof *e);
                        if (!e || push(&s->events, &s->n_events, e) < 0) {
                                free(e);
                                r = -ENOMEM;
                                goto fail;
                        }
                        e->is_crash = true;
                        newest = e;
                }
                if (!e) {
                        if (!leftovers) {
                                leftovers = calloc(1, sizeof *leftovers);
                                if (!leftovers || push(&s->events, &s->n_events, leftovers) < 0) {
                                        free(leftovers);
                                        r = -ENOMEM;
                                        goto fail;
                                }
                        }
                        e = leftovers;
                }
                if (push(&e->extra, &e->n_extra, rec) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                if (rec->mtime > e->crash_time)
                        e->crash_time = rec->mtime;
        }
        free(loose);
        *ret = s;
        return 0;

fail:
        free(loose);
        pstore_scan_free(s);
        return r;
}

int pstore_scan_dir(const char *dir, size_t max_record_size, PstoreScan **ret) {
        PstoreRecord **records = NULL;
        size_t n = 0;
        int r = 0;

        DIR *d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
                return pstore_scan_records(NULL, 0, ret);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                /* O_NONBLOCK: a FIFO (PSTORE_DIR is not always pstorefs)
                 * would block the boot's collection in open() */
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name,
                                                O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
                /* Not a record either: a symlink (ELOOP), a socket (ENXIO),
                 * an entry gone meanwhile. Skipped, as other files that are
                 * not regular are: one of them must not hold back every
                 * crash at every boot. */
                if (fd < 0 && (errno == ELOOP || errno == ENXIO || errno == ENOENT))
                        continue;
                if (fd < 0) {
                        r = negative_errno();
                        break;
                }
                struct stat st;
                if (fstat(fd, &st) < 0) {
                        r = negative_errno();
                        break;
                }
                if (!S_ISREG(st.st_mode))
                        continue;
                PstoreRecord *rec = calloc(1, sizeof *rec);
                if (!rec) {
                        r = -ENOMEM;
                        break;
                }
                rec->name = strdup(de->d_name);
                rec->mtime = st.st_mtime;
                if (!rec->name) {
                        pstore_record_free(rec);
                        r = -ENOMEM;
                        break;
                }
                /* One crash, one report, whatever its size: a record too big to
                 * read whole is cut (its end holds the crash), never left
                 * behind to be found again at every boot. */
                if ((uint64_t) st.st_size > max_record_size && max_record_size >= 1024)
                        r = read_cut_fd(fd, (uint64_t) st.st_size, max_record_size, &rec->raw, &rec->raw_size,
                                        &rec->cut_bytes);
                else if ((uint64_t) st.st_size > max_record_size) {
                        rec->too_big = true;
                        r = 0;
                } else {
                        r = read_full_fd(fd, max_record_size, &rec->raw, &rec->raw_size);
                        if (r == -EFBIG) {
                                /* grew since fstat() */
                                if (lseek(fd, 0, SEEK_END) > 0 && fstat(fd, &st) >= 0 && (uint64_t) st.st_size > max_record_size)
                                        r = read_cut_fd(fd, (uint64_t) st.st_size, max_record_size, &rec->raw,
                                                        &rec->raw_size, &rec->cut_bytes);
                                else {
                                        rec->too_big = true;
                                        r = 0;
                                }
                        }
                }
                if (r < 0) {
                        pstore_record_free(rec);
                        break;
                }
                record_classify(rec);
                r = push(&records, &n, rec);
                if (r < 0) {
                        pstore_record_free(rec);
                        break;
                }
        }
        closedir(d);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        pstore_record_free(records[i]);
                free(records);
                return r;
        }
        return pstore_scan_records(records, n, ret);
}
