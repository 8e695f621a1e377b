/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "watch-event.h"

/* "kcrash-event 1\n" then "key value\n" lines, an empty line, the log. */

void watch_event_done(WatchEvent *e) {
        free(e->boot_id);
        free(e->title);
        free(e->signature);
        free(e->log);
        *e = (WatchEvent) {};
}

static bool is_token(const char *s, size_t max, const char *extra) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr(extra, *s))
                        return false;
        return true;
}

static bool is_id(const char *s, size_t max) {
        return is_token(s, max, "-_");
}

/* the analyser's "v1:<hex>", or kcrash-watch's "kmsg-<hex>" */
static bool is_signature(const char *s) {
        return is_token(s, 128, "-_:");
}

static bool is_text(const char *s) {
        for (; *s; s++)
                if (!isprint((unsigned char) *s))
                        return false;
        return true;
}

int watch_event_format(const WatchEvent *e, char **ret_text, size_t *ret_size) {
        if (!is_id(strempty(e->boot_id), 64) || !is_signature(strempty(e->signature)) || !is_text(strempty(e->title)) ||
            !kmsg_event_class_to_string(e->class) || e->class == KMSG_EVENT_NONE)
                return -EINVAL;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "kcrash-event 1\nclass %s\nboot %s\nseq %" PRIu64 "\ntime %lld\nsuppressed %" PRIu64
                   "\ntitle %s\nsignature %s\n\n",
                kmsg_event_class_to_string(e->class), e->boot_id, e->seq, (long long) e->time, e->suppressed,
                strempty(e->title), e->signature);
        if (e->log_size)
                fwrite(e->log, 1, e->log_size, f);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret_text = out;
        *ret_size = size;
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        return s && parse_uint64(s, ret) >= 0 ? 0 : -EBADMSG;
}

int watch_event_parse(const char *data, size_t size, WatchEvent *ret) {
        if (size > WATCH_EVENT_MAX_SIZE)
                return -EFBIG;
        const char *end = data + size, *p = data;
        WatchEvent e = {};
        unsigned have = 0, line = 0;
        int r = 0;
        for (;;) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol) {
                        r = -EBADMSG;
                        break;
                }
                size_t len = (size_t) (eol - p);
                _cleanup_free_ char *l = strndup(p, len);
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                p = eol + 1;
                if (strlen(l) != len) { /* a NUL byte in the header */
                        r = -EBADMSG;
                        break;
                }
                if (line++ == 0) {
                        if (!streq(l, "kcrash-event 1")) {
                                r = -EBADMSG;
                                break;
                        }
                        continue;
                }
                if (l[0] == 0)
                        break; /* the log follows */
                char *sp = strchr(l, ' ');
                if (!sp || !is_text(l)) {
                        r = -EBADMSG;
                        break;
                }
                *sp = 0;
                const char *v = sp + 1;
                if (streq(l, "class") && !(have & 1)) {
                        e.class = kmsg_event_class_from_string(v);
                        r = e.class == KMSG_EVENT_NONE ? -EBADMSG : 0;
                        have |= 1;
                } else if (streq(l, "boot") && !(have & 2)) {
                        r = is_id(v, 64) ? 0 : -EBADMSG;
                        if (r >= 0 && !(e.boot_id = strdup(v)))
                                r = -ENOMEM;
                        have |= 2;
                } else if (streq(l, "seq") && !(have & 4)) {
                        r = parse_u64(v, &e.seq);
                        have |= 4;
                } else if (streq(l, "time") && !(have & 8)) {
                        uint64_t t;
                        r = parse_u64(v, &t);
                        if (r >= 0 && t > (uint64_t) INT64_MAX / 2)
                                r = -EBADMSG;
                        e.time = (time_t) t;
                        have |= 8;
                } else if (streq(l, "suppressed") && !(have & 16)) {
                        r = parse_u64(v, &e.suppressed);
                        have |= 16;
                } else if (streq(l, "title") && !(have & 32)) {
                        if (strlen(v) > 512)
                                r = -EBADMSG;
                        else if (!(e.title = strdup(v)))
                                r = -ENOMEM;
                        have |= 32;
                } else if (streq(l, "signature") && !(have & 64)) {
                        r = is_signature(v) ? 0 : -EBADMSG;
                        if (r >= 0 && !(e.signature = strdup(v)))
                                r = -ENOMEM;
                        have |= 64;
                } else
                        r = -EBADMSG;
                if (r < 0)
                        break;
        }
        if (r >= 0 && have != 127)
                r = -EBADMSG;
        if (r >= 0) {
                e.log_size = (size_t) (end - p);
                e.log = malloc(e.log_size + 1);
                if (!e.log)
                        r = -ENOMEM;
                else {
                        memcpy(e.log, p, e.log_size);
                        e.log[e.log_size] = 0;
                }
        }
        if (r < 0) {
                watch_event_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

int watch_event_file_name(const char *boot_id, uint64_t seq, char **ret) {
        if (!is_id(boot_id, 64))
                return -EINVAL;
        return asprintf(ret, "%s-%" PRIu64 WATCH_EVENT_SUFFIX, boot_id, seq) < 0 ? -ENOMEM : 0;
}

bool watch_event_file_name_valid(const char *name) {
        size_t n = strlen(name), sl = strlen(WATCH_EVENT_SUFFIX);
        if (n <= sl || n > 128 || !streq(name + n - sl, WATCH_EVENT_SUFFIX) || name[0] == '.')
                return false;
        for (size_t i = 0; i < n - sl; i++)
                if (!isalnum((unsigned char) name[i]) && name[i] != '-')
                        return false;
        return true;
}
