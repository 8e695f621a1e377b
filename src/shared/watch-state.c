/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "watch-state.h"

/* The file:
 *   kcrash-watch-state 1
 *   boot <boot id>
 *   seq <n>
 *   day <days since epoch> <reports that day> <suppressed since the last report>
 *   sig <signature> <day> <count> <0|1 reported this boot>
 */

static bool valid_token(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '-' && *s != '_')
                        return false;
        return true;
}

static int parse_u64(const char *s, uint64_t *ret) {
        return s && parse_uint64(s, ret) >= 0 ? 0 : -EBADMSG;
}

static int add_sig(WatchState *s, const WatchSignature *sig) {
        if (s->n_sigs >= WATCH_STATE_MAX_SIGNATURES) {
                /* Forget the one seen on the oldest day. */
                size_t oldest = 0;
                for (size_t i = 1; i < s->n_sigs; i++)
                        if (s->sigs[i].day < s->sigs[oldest].day)
                                oldest = i;
                s->sigs[oldest] = *sig;
                return 0;
        }
        WatchSignature *p = realloc(s->sigs, (s->n_sigs + 1) * sizeof *p);
        if (!p)
                return -ENOMEM;
        s->sigs = p;
        s->sigs[s->n_sigs++] = *sig;
        return 0;
}

int watch_state_parse(const char *text, size_t size, WatchState *ret, unsigned *reterr_line) {
        WatchState s = {};
        _cleanup_free_ char *copy = strndup(text, size);
        if (!copy)
                return -ENOMEM;
        if (strlen(copy) != size) {
                *reterr_line = 1;
                return -EBADMSG;
        }
        unsigned line = 0;
        int r = 0;
        char *rest = copy;
        for (char *l; (l = strsep(&rest, "\n"));) {
                if (!*l)
                        continue; /* empty lines do not count */
                line++;
                char *f[6] = {};
                size_t n = 0;
                char *wrest = l;
                for (char *w; n < ELEMENTSOF(f) && (w = strsep(&wrest, " "));)
                        if (*w)
                                f[n++] = w;
                r = -EBADMSG;
                if (line == 1) {
                        if (n == 2 && streq(f[0], "kcrash-watch-state") && streq(f[1], "1"))
                                r = 0;
                } else if (n == 2 && streq(f[0], "boot")) {
                        if (valid_token(f[1], sizeof s.boot_id - 1)) {
                                strcpy(s.boot_id, f[1]);
                                r = 0;
                        }
                } else if (n == 2 && streq(f[0], "seq")) {
                        r = parse_u64(f[1], &s.seq);
                        s.have_seq = r >= 0;
                } else if (n == 4 && streq(f[0], "day")) {
                        r = parse_u64(f[1], &s.day);
                        if (r >= 0)
                                r = parse_u64(f[2], &s.total);
                        if (r >= 0)
                                r = parse_u64(f[3], &s.suppressed);
                } else if (n == 5 && streq(f[0], "sig") && valid_token(f[1], WATCH_SIGNATURE_MAX)) {
                        WatchSignature sig = {};
                        uint64_t b;
                        strcpy(sig.signature, f[1]);
                        r = parse_u64(f[2], &sig.day);
                        if (r >= 0)
                                r = parse_u64(f[3], &sig.count);
                        if (r >= 0)
                                r = parse_u64(f[4], &b);
                        if (r >= 0 && b > 1)
                                r = -EBADMSG;
                        sig.this_boot = r >= 0 && b == 1;
                        if (r >= 0)
                                r = add_sig(&s, &sig);
                }
                if (r < 0)
                        break;
        }
        if (r < 0) {
                watch_state_done(&s);
                if (r == -EBADMSG)
                        *reterr_line = line;
                return r;
        }
        *ret = s;
        return 0;
}

int watch_state_format(const WatchState *s, char **ret_text) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "kcrash-watch-state 1\n");
        if (s->boot_id[0])
                fprintf(f, "boot %s\n", s->boot_id);
        if (s->have_seq)
                fprintf(f, "seq %" PRIu64 "\n", s->seq);
        fprintf(f, "day %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s->day, s->total, s->suppressed);
        for (size_t i = 0; i < s->n_sigs; i++)
                fprintf(f, "sig %s %" PRIu64 " %" PRIu64 " %d\n", s->sigs[i].signature, s->sigs[i].day,
                        s->sigs[i].count, s->sigs[i].this_boot);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret_text = out;
        return 0;
}

void watch_state_done(WatchState *s) {
        free(s->sigs);
        *s = (WatchState) {};
}

int watch_state_set_boot(WatchState *s, const char *boot_id) {
        if (!valid_token(boot_id, sizeof s->boot_id - 1))
                return -EINVAL;
        if (streq(s->boot_id, boot_id))
                return 0;
        strcpy(s->boot_id, boot_id);
        s->have_seq = false;
        s->seq = 0;
        for (size_t i = 0; i < s->n_sigs; i++)
                s->sigs[i].this_boot = false;
        return 1;
}

/* Signatures are the analyser's hex hashes or kcrash-watch's own; anything
 * else is folded into the same alphabet so the file stays parseable. */
static void sanitize_signature(const char *in, char out[WATCH_SIGNATURE_MAX + 1]) {
        size_t n = 0;
        for (; in && *in && n < WATCH_SIGNATURE_MAX; in++)
                out[n++] = isalnum((unsigned char) *in) || *in == '-' ? *in : '_';
        if (n == 0)
                out[n++] = '_';
        out[n] = 0;
}

bool watch_state_admit(WatchState *s, const char *signature, time_t now, const WatchLimits *l,
                       uint64_t *ret_suppressed) {
        uint64_t today = now > 0 ? (uint64_t) now / 86400 : 0;
        char key[WATCH_SIGNATURE_MAX + 1];
        sanitize_signature(signature, key);
        if (s->day != today) {
                s->day = today;
                s->total = 0;
        }
        WatchSignature *sig = NULL;
        for (size_t i = 0; i < s->n_sigs && !sig; i++)
                if (streq(s->sigs[i].signature, key))
                        sig = &s->sigs[i];
        if (sig && sig->day != today) {
                sig->day = today;
                sig->count = 0;
        }
        bool admit = !(sig && sig->this_boot) && !(sig && sig->count >= l->per_signature_daily) &&
                     s->total < l->daily_reports;
        if (!admit) {
                s->suppressed++;
                return false;
        }
        if (!sig) {
                WatchSignature n = { .day = today };
                strcpy(n.signature, key);
                if (add_sig(s, &n) < 0) {
                        s->suppressed++;
                        return false;
                }
                for (size_t i = 0; i < s->n_sigs && !sig; i++)
                        if (streq(s->sigs[i].signature, key))
                                sig = &s->sigs[i];
        }
        sig->count++;
        sig->this_boot = true;
        s->total++;
        *ret_suppressed = s->suppressed;
        s->suppressed = 0;
        return true;
}
