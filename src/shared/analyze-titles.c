/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Titles: the format that names a report and its expansion (TITLE_RULES.md
 * §5), normalisation (§8), the crash type (§10), the frame the title names
 * and the signature that groups the same bug. */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze-internal.h"
#include "hash.h"
#include "macro.h"

/* ------------------------------------------------------------------------ */
/* Normalisation (§8) */

/* Replaces s[at, at + len) with 'with', growing the buffer (*s, *cap) when
 * the replacement is longer: "1" becomes "NUM" and ".c:1" ".c:LINE", so a
 * normalized title can be several times longer than the title was. */
static int replace_span(char **s, size_t *cap, size_t at, size_t len, const char *with) {
        size_t wl = strlen(with), sl = strlen(*s);
        if (wl > len && sl + (wl - len) + 1 > *cap) {
                size_t c = MAX(2 * *cap, sl + (wl - len) + 1);
                char *g = realloc(*s, c);
                if (!g)
                        return -ENOMEM;
                *s = g;
                *cap = c;
        }
        memmove(*s + at + wl, *s + at + len, sl - at - len + 1);
        memcpy(*s + at, with, wl);
        return 0;
}

/* Normalizes the title in the buffer (*tp, cap bytes), which may be reallocated. */
#define REPLACE_SPAN(at, len, with)                                     \
        do {                                                            \
                int _r = replace_span(tp, &cap, (at), (len), (with));   \
                if (_r < 0)                                             \
                        return _r;                                      \
                t = *tp;                                                \
        } while (0)

int normalize_title(char **tp, size_t cap) {
        char *t = *tp;
        size_t n;
        /* 1-2 syz-executor / syzkaller suffixes */
        static const char *const syz[] = { "syz-executor", "syzkaller" };
        for (size_t k = 0; k < 2; k++)
                for (char *p = t; (p = strstr(p, syz[k]));) {
                        p += strlen(syz[k]);
                        char *q = p;
                        if (k == 0 && *q == '.')
                                q++;
                        char *d = q;
                        while (isdigit((unsigned char) *q))
                                q++;
                        if (q == d)
                                continue; /* no digits: nothing to fold */
                        if ((*q == '/' || *q == ':') && isdigit((unsigned char) q[1])) {
                                q++;
                                while (isdigit((unsigned char) *q))
                                        q++;
                        }
                        memmove(p, q, strlen(q) + 1);
                }
        /* 3 hex addresses */
        for (size_t i = 0; t[i]; i++) {
                if (isalnum((unsigned char) t[i]))
                        continue;
                size_t j = i + 1;
                if (t[j] == '0' && t[j + 1] == 'x')
                        j += 2;
                size_t h = j;
                while (isxdigit((unsigned char) t[j]) && !isupper((unsigned char) t[j]))
                        j++;
                if (j - h >= 6)
                        REPLACE_SPAN(i + 1, j - i - 1, "ADDR");
        }
        /* 4 IPv4 */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]) || (i > 0 && isdigit((unsigned char) t[i - 1])))
                        continue;
                size_t j = i;
                int parts = 0;
                while (parts < 4) {
                        size_t d = j;
                        while (isdigit((unsigned char) t[j]) && j - d < 3)
                                j++;
                        if (j == d)
                                break;
                        parts++;
                        if (parts < 4) {
                                if (t[j] != '.')
                                        break;
                                j++;
                        }
                }
                if (parts == 4)
                        REPLACE_SPAN(i, j - i, "IP");
        }
        /* 5 .ext:N[:M] -> .ext:LINE */
        for (char *p = t; (p = strchr(p, '.'));) {
                char *q = p + 1;
                while (isalpha((unsigned char) *q))
                        q++;
                if (q > p + 1 && *q == ':' && isdigit((unsigned char) q[1])) {
                        char *e = q;
                        while (*e == ':' && isdigit((unsigned char) e[1])) {
                                e++;
                                while (isdigit((unsigned char) *e))
                                        e++;
                        }
                        size_t at = (size_t) (q + 1 - t);
                        REPLACE_SPAN(at, (size_t) (e - q - 1), "LINE");
                        p = t + at + 4;
                } else
                        p++;
        }
        /* 6 name+0xOFF/0xSIZE -> name */
        for (char *p = t; (p = strstr(p, "+0x"));) {
                char *q = p + 3;
                while (isxdigit((unsigned char) *q))
                        q++;
                if (q > p + 3 && q[0] == '/' && q[1] == '0' && q[2] == 'x' && p > t && isalnum((unsigned char) p[-1])) {
                        char *e = q + 3;
                        while (isxdigit((unsigned char) *e))
                                e++;
                        memmove(p, e, strlen(e) + 1);
                } else
                        p += 3;
        }
        /* 7 CPU#N -> CPU */
        for (char *p = t; (p = strstr(p, "CPU#"));) {
                char *q = p + 4;
                while (isdigit((unsigned char) *q))
                        q++;
                if (q > p + 4)
                        memmove(p + 3, q, strlen(q) + 1);
                else
                        p += 4;
        }
        /* 8 isolated digit runs -> NUM */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]))
                        continue;
                if (i > 0 && is_ident_char(t[i - 1]))
                        continue;
                size_t j = i;
                while (isdigit((unsigned char) t[j]))
                        j++;
                if (t[j] && is_ident_char(t[j])) {
                        i = j;
                        continue;
                }
                REPLACE_SPAN(i, j - i, "NUM");
                i += 2;
        }
        /* 9 long digit runs anywhere */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]))
                        continue;
                size_t j = i;
                while (isdigit((unsigned char) t[j]))
                        j++;
                if (j - i >= 7)
                        REPLACE_SPAN(i, j - i, "NUM");
                i = j > i ? j - 1 : i;
        }
        /* clean up: 120 bytes, spaces */
        n = strlen(t);
        if (n > 120)
                t[120] = 0;
        char *o = t;
        for (char *p = t; *p; p++) {
                unsigned char c = (unsigned char) *p;
                if (c == '\t')
                        c = ' ';
                if (c < 0x20 || c >= 0x7f)
                        continue;
                if (c == ' ' && (o == t || o[-1] == ' '))
                        continue;
                *o++ = (char) c;
        }
        while (o > t && o[-1] == ' ')
                o--;
        *o = 0;
        return 0;
}

#undef REPLACE_SPAN

/* ------------------------------------------------------------------------ */
/* Types (§10) */

const char *type_of(const char *title) {
        static const struct {
                const char *prefix, *type;
        } table[] = {
                { "KFENCE: use-after-free write", "KFENCE-USE-AFTER-FREE-WRITE" },
                { "KFENCE: use-after-free read", "KFENCE-USE-AFTER-FREE-READ" },
                { "KFENCE: use-after-free", "KFENCE-USE-AFTER-FREE-READ" },
                { "KFENCE: invalid write", "KFENCE-WRITE" },
                { "KFENCE: out-of-bounds write", "KFENCE-WRITE" },
                { "KFENCE: invalid read", "KFENCE-READ" },
                { "KFENCE: out-of-bounds read", "KFENCE-READ" },
                { "KFENCE: out-of-bounds", "KFENCE-READ" },
                { "KFENCE: memory corruption", "KFENCE-MEMORY-CORRUPTION" },
                { "KFENCE: invalid free", "KFENCE-INVALID-FREE" },
                { "KMSAN: uninit-value", "KMSAN-UNINIT-VALUE" },
                { "KMSAN: kernel-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: kernel-usb-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: use-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: kernel-infoleak", "KMSAN-INFO-LEAK" },
                { "KMSAN: kernel-usb-infoleak", "KMSAN-INFO-LEAK" },
                { "KASAN: null-ptr-deref Write", "KASAN-NULL-POINTER-DEREFERENCE-WRITE" },
                { "KASAN: null-ptr-deref Read", "KASAN-NULL-POINTER-DEREFERENCE-READ" },
                { "BUG: unable to handle kernel NULL pointer dereference in", "NULL-POINTER-DEREFERENCE" },
                { "KASAN: global-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: slab-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: stack-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: vmalloc-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: user-memory-access Write", "KASAN-WRITE" },
                { "KASAN: wild-memory-access Write", "KASAN-WRITE" },
                { "KASAN: global-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: slab-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: stack-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: vmalloc-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: out-of-bounds Read", "KASAN-READ" },
                { "KASAN: invalid-access Read", "KASAN-READ" },
                { "KASAN: slab-out-of-bounds", "KASAN-READ" },
                { "KASAN: stack-out-of-bounds", "KASAN-READ" },
                { "KASAN: unknown-crash Read", "KASAN-READ" },
                { "KASAN: user-memory-access Read", "KASAN-READ" },
                { "KASAN: wild-memory-access Read", "KASAN-READ" },
                { "KASAN: wild-memory-access", "KASAN-READ" },
                { "KASAN: double-free or invalid-free", "KASAN-INVALID-FREE" },
                { "KASAN: invalid-free", "KASAN-INVALID-FREE" },
                { "KASAN: slab-use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
                { "KASAN: use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
                { "KASAN: slab-use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
                { "KASAN: use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
                { "KASAN: use-after-free", "KASAN-USE-AFTER-FREE-READ" },
                { "BUG: corrupted list", "MEMORY_SAFETY_BUG" },
                { "BUG: unable to handle kernel paging request", "MEMORY_SAFETY_BUG" },
                { "WARNING: refcount bug", "REFCOUNT_WARNING" },
                { "UBSAN: array-index-out-of-bounds", "MEMORY_SAFETY_UBSAN" },
                { "KCSAN: data-race", "KCSAN-DATARACE" },
                { "KCSAN: assert: race in", "KCSAN-ASSERT" },
                { "BUG: bad unlock balance in", "LOCKDEP" },
                { "BUG: held lock freed in", "LOCKDEP" },
                { "BUG: rwlock", "LOCKDEP" },
                { "BUG: spinlock", "LOCKDEP" },
                { "BUG: still has locks held in", "LOCKDEP" },
                { "BUG: using", "LOCKDEP" },
                { "WARNING: bad unlock balance in", "LOCKDEP" },
                { "WARNING: held lock freed in", "LOCKDEP" },
                { "WARNING: lock held", "LOCKDEP" },
                { "WARNING: locking bug in", "LOCKDEP" },
                { "WARNING: nested lock was not taken in", "LOCKDEP" },
                { "WARNING: still has locks held in", "LOCKDEP" },
                { "WARNING: suspicious RCU usage in", "LOCKDEP" },
                { "inconsistent lock state in", "LOCKDEP" },
                { "possible deadlock in", "LOCKDEP" },
                { "BUG: scheduling while atomic in", "ATOMIC_SLEEP" },
                { "BUG: sleeping function called from invalid context in", "ATOMIC_SLEEP" },
                { "memory leak in", "LEAK" },
                { "BUG: bad usercopy in", "BUG" },
                { "kernel BUG", "BUG" },
                { "WARNING in", "WARNING" },
                { "BUG: stack guard page was hit in", "UNKNOWN" },
                { "WARNING: corrupted", "UNKNOWN" },
                { "WARNING: kernel stack frame pointer has bad value", "UNKNOWN" },
                { "WARNING: kernel stack regs has bad", "UNKNOWN" },
                { "BUG: soft lockup in", "HANG" },
                { "INFO: rcu detected stall in", "HANG" },
                { "INFO: task can't die in", "HANG" },
                { "INFO: task hung in", "HANG" },
                { "Alignment trap in", "DoS" },
                { "BUG: Object already free", "DoS" },
                { "Internal error in", "DoS" },
                { "PANIC: double fault", "DoS" },
                { "Unhandled fault in", "DoS" },
                { "VFS: Busy inodes after unmount (use-after-free)", "DoS" },
                { "VFS: Close: file count is zero (use-after-free)", "DoS" },
                { "divide error in", "DoS" },
                { "general protection fault in", "DoS" },
                { "go runtime error", "DoS" },
                { "int3 in", "DoS" },
                { "invalid opcode in", "DoS" },
                { "kernel panic:", "DoS" },
                { "kernel stack overflow", "DoS" },
                { "panic:", "DoS" },
                { "rust_kernel panicked", "DoS" },
                { "stack segment fault in", "DoS" },
                { "trusty:", "DoS" },
                { "unregister_netdevice: waiting for DEV to become free", "DoS" },
                { "no output from test machine", "NO_OUTPUT" },
                { "unexpected kernel reboot", "REBOOT" },
                { "SYZFAIL", "SYZ_FAILURE" },
                { "SYZFATAL:", "SYZ_FAILURE" },
                { "WARNING:", "WARNING" },
                { "BUG:", "UNKNOWN" },
                { "INFO:", "UNKNOWN" },
                { "KASAN:", "KASAN-UNKNOWN" },
                { "KFENCE:", "KFENCE-UNKNOWN" },
                { "KMSAN:", "KMSAN-UNKNOWN" },
                { "UBSAN:", "UBSAN" },
                { "KCSAN:", "KCSAN-UNKNOWN" },
        };
        /* (a prefix that does not start with the title's first byte is
         * passed over with one comparison) */
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].prefix[0] == title[0] && startswith(title, table[i].prefix))
                        return table[i].type;
        return "UNKNOWN";
}
/* Writes a format's template with its arguments to out (when not NULL);
 * returns the length of the expansion. */
static size_t expand_to(char *out, const char *tmpl, const Caps *caps, const char *fn, const char *extra) {
        size_t n = 0;
#define PUT(s, l)                                       \
        do {                                            \
                size_t _l = (l);                        \
                if (out)                                \
                        memcpy(out + n, (s), _l);       \
                n += _l;                                \
        } while (0)
        for (const char *p = tmpl; *p; p++) {
                const char *v = NULL;
                if (*p == '%' && isdigit((unsigned char) p[1])) {
                        size_t k = (size_t) (p[1] - '1');
                        /* the last non-empty capture among alternations */
                        if (k < caps->n && caps->v[k])
                                v = caps->v[k];
                        else
                                for (size_t j = k + 1; j < caps->n && !v; j++)
                                        v = caps->v[j];
                        p++;
                } else if (*p == '%' && p[1] == 'F') {
                        v = fn ? fn : "corrupted";
                        p++;
                } else if (*p == '%' && p[1] == 'N') {
                        v = extra ? extra : "";
                        p++;
                } else {
                        PUT(p, 1);
                        continue;
                }
                if (v)
                        PUT(v, strlen(v));
        }
#undef PUT
        if (out)
                out[n] = 0;
        return n;
}

/* A format's template with its arguments. */
static char *expand(const char *tmpl, const Caps *caps, const char *fn, const char *extra) {
        char *out = malloc(expand_to(NULL, tmpl, caps, fn, extra) + 1);
        if (out)
                (void) expand_to(out, tmpl, caps, fn, extra);
        return out;
}

bool has_timestamp(const char *s) {
        for (const char *p = strchr(s, '['); p; p = strchr(p + 1, '[')) {
                const char *q = p + 1;
                while (*q == ' ')
                        q++;
                const char *d = q;
                while (isdigit((unsigned char) *q))
                        q++;
                if (q > d && *q == '.') {
                        const char *f = ++q;
                        while (isdigit((unsigned char) *q))
                                q++;
                        if (q > f && *q == ']')
                                return true;
                }
        }
        return false;
}
char *frame_of_title(const char *title) {
        const char *best = NULL;
        for (const char *p = strstr(title, " in "); p; p = strstr(p + 1, " in ")) {
                const char *q = p + 4;
                if (*q == '<') {
                        const char *c = strchr(q, '>');
                        if (c)
                                q = c + 1;
                }
                if (is_ident_char(*q) || *q == ':')
                        best = p + 4;
        }
        if (!best)
                return NULL;
        size_t l = 0;
        if (*best == '<') {
                const char *c = strchr(best, '>');
                l = c ? (size_t) (c - best + 1) : 0;
        }
        while (is_ident_char(best[l]) || best[l] == ':')
                l++;
        return l ? strndup(best, l) : NULL;
}

/* "v1:" + 16 hex digits of SHA-256 over the title and the top frames, names
 * only: addresses, offsets, KASLR and compiler suffixes are gone already. */
char *signature_of(const CrashAnalysis *a) {
        size_t n_frames = MIN(a->n_frames, (size_t) 5);
        size_t size = strlen(a->title) + 1;
        for (size_t i = 0; i < n_frames; i++)
                size += strlen(a->frames[i]) + 1;
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return NULL;
        char *p = stpcpy(buf, a->title);
        *p++ = '\n';
        for (size_t i = 0; i < n_frames; i++) {
                p = stpcpy(p, a->frames[i]);
                *p++ = '\n';
        }
        char h[SHA256_HEX_SIZE];
        if (sha256_hex(buf, size, h) < 0)
                return NULL;
        /* "v1:" and the first 16 hex digits (asprintf() costs more than the copy) */
        char *s = malloc(3 + 16 + 1);
        if (!s)
                return NULL;
        memcpy(s, "v1:", 3);
        memcpy(s + 3, h, 16);
        s[19] = 0;
        return s;
}
/* Whether a format's captures are used: by its template (%1..%9) or by
 * its recipe (the function the header names). */
static bool format_uses_captures(const Format *f) {
        if (f->recipe == R_HDR_CT || f->recipe == R_HDR_NEXT)
                return true;
        for (const char *p = f->tmpl; (p = strchr(p, '%')); p++)
                if (isdigit((unsigned char) p[1]))
                        return true;
        return false;
}

/* Picks the format for the report and builds the raw title; NULL when out
 * of memory (or when a pattern of ours does not compile: a bug). */
char *choose_title(Ctx *cx, Group g, const char *header, bool *corrupted, Frame *culprit, bool *has_culprit,
                          unsigned *flags_out) {
        const Report *rep = cx->rep;
        const FormatRe *formats;
        size_t nf;
        if (formats_of_group(g, &formats, &nf) < 0)
                return NULL;
        bool title_matched_without_report = false;

        assert(nf <= MAX_GROUP_FORMATS);
        for (size_t i = 0; i < rep->n; i++) {
                const char *t = rep->lines[i];
                /* Where each format's title pattern matches first on the
                 * line (-1: nowhere); the earliest match wins. */
                regoff_t at[MAX_GROUP_FORMATS];
                regoff_t best = -1;
                for (size_t k = 0; k < nf; k++) {
                        regmatch_t m[1];
                        at[k] = line_match(&formats[k].title, t, m, 1) ? m[0].rm_so : -1;
                        if (at[k] >= 0 && (best < 0 || at[k] < best))
                                best = at[k];
                }
                if (best < 0)
                        continue;
                for (size_t k = 0; k < nf; k++) {
                        const FormatRe *fmt = &formats[k];
                        const Format *def = fmt->def;
                        regmatch_t m[10];
                        /* The formats that start there; their captures
                         * (glibc's costliest work) only when they are used. */
                        bool need = format_uses_captures(def);
                        if (at[k] != best || (!fmt->req[0].pattern && need && !line_match(&fmt->title, t, m, 10)))
                                continue;
                        Caps caps = {};
                        if (fmt->req[0].pattern) {
                                regmatch_t rm[10];
                                if (!line_match(&fmt->req[0], t, rm, need ? 10 : 0) ||
                                    !check_later(fmt, rep, i, need ? &caps : NULL)) {
                                        caps_done(&caps);
                                        /* keep the later-line captures order: header first */
                                        title_matched_without_report = true;
                                        continue;
                                }
                                Caps head = {};
                                if (need)
                                        caps_add_match(&head, t, rm, 10, &fmt->req[0]);
                                /* header captures first, then later-line ones */
                                Caps all = {};
                                for (size_t j = 0; j < head.n; j++)
                                        all.v[all.n++] = head.v[j];
                                for (size_t j = 0; j < caps.n && all.n < ELEMENTSOF(all.v); j++)
                                        all.v[all.n++] = caps.v[j];
                                head.n = 0;
                                caps.n = 0;
                                caps = all;
                        } else if (need)
                                caps_add_match(&caps, t, m, 10, &fmt->title);

                        Frame fn;
                        bool ok = true;
                        char *extra = NULL;
                        if (strstr(def->tmpl, "%F")) {
                                ok = run_recipe(cx, fmt, i, &caps, &fn);
                                if (!ok)
                                        *corrupted = true;
                        }
                        if (strstr(def->tmpl, "%N") && i + 1 < rep->n)
                                extra = strdup(rep->lines[i + 1]);
                        char stripped[128];
                        const char *name = ok && strstr(def->tmpl, "%F") ? strip_syscall_prefix(fn.name, stripped) : NULL;
                        char *title = expand(def->tmpl, &caps, name, extra);
                        free(extra);
                        if (ok && strstr(def->tmpl, "%F")) {
                                *culprit = fn;
                                copy_truncated(culprit->name, sizeof culprit->name, name);
                                *has_culprit = true;
                        }
                        if (def->flags & F_CORRUPTED)
                                *corrupted = true;
                        *flags_out = def->flags;
                        caps_done(&caps);
                        return title;
                }
                /* A format matched earliest but its report pattern failed:
                 * it blocks the later ones. */
                break;
        }
        /* No format: the raw header line. */
        for (size_t i = 0; i < rep->n; i++) {
                const char *p = strstr(rep->lines[i], header);
                if (p) {
                        if (title_matched_without_report)
                                *corrupted = true;
                        *flags_out = F_NOSTACK;
                        return strdup(p);
                }
        }
        *flags_out = F_NOSTACK;
        return strdup(header);
}
