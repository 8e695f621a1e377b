/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash analysis of kernel logs: syzbot-compatible titles, crash types,
 * culprit function and module, and a stable signature.
 *
 * The title rules follow syzkaller's Linux report parser as described in
 * words in tests/fixtures/oops-corpus/TITLE_RULES.md (no syzkaller code is
 * used). This file is the pipeline: one pass over the log, line by line,
 * each line a view into the caller's buffer. A keyword scan tells, for all
 * the strings the analyzer looks for at once (crash headers, the kernel
 * banner, markers), which may be on the line; only then are the exact rules
 * applied. The lines of the crash's report are copied, once, into one
 * buffer for the title rules (analyze-titles.c), which work on bounded
 * NUL-terminated lines, so the work is linear in the size of the log. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze-internal.h"
#include "macro.h"

/* ------------------------------------------------------------------------ */
/* The keyword scan */

/* Everything looked for on every line: the crash headers (needle i is
 * headers[i].needle), then the strings below. The scan says which may be on
 * a line (a superset: a line whose bit is clear does not contain it); the
 * exact rule is checked only then. */
enum {
        K_REPLAY = _G_MAX, /* "** replaying previous printk message **" */
        K_LINUX,
        K_HARDWARE,
        K_SERIAL,
        K_COMM,
        K_NMI,
        K_LOCKDEBUG,
        K_VMALLOC,
        K_FAULTINJ,
        K_FAULTFLAG,
        K_EOI,
        K_QMARK,
        K_UNRELIABLE,
        K_LOGIN,
        K_TAINTED,
        /* the strings a stack-start line holds (is_stack_start()) */
        K_CALLTRACE,
        K_CALLTRACE2,
        K_ALLOCATED,
        K_FREED,
        K_BACKTRACE,
        K_BACKTRACE2,
        K_UNINIT,
        K_BADADDR,
        _K_MAX,
        /* Not a keyword: the scan's bit for a NUL byte on the line. */
        K_NUL = _K_MAX
};

#define K_HEADERS ((UINT64_C(1) << _G_MAX) - 1)
#define K_BIT(k) (UINT64_C(1) << (k))
#define K_ALL (K_BIT(_K_MAX) - 1)
#define K_STACK                                                                                            \
        (K_BIT(K_CALLTRACE) | K_BIT(K_CALLTRACE2) | K_BIT(K_ALLOCATED) | K_BIT(K_FREED) | K_BIT(K_BACKTRACE) | \
         K_BIT(K_BACKTRACE2) | K_BIT(K_UNINIT) | K_BIT(K_BADADDR))

/* Every keyword has a bit of its own, and so has K_NUL. */
_Static_assert(_K_MAX < 64, "too many keywords");

static const char *const extra_keywords[_K_MAX - _G_MAX] = {
        [K_REPLAY - _G_MAX] = "** replaying previous printk message **",
        [K_LINUX - _G_MAX] = "Linux version ",
        [K_HARDWARE - _G_MAX] = "Hardware name: ",
        [K_SERIAL - _G_MAX] = "serialport: VM disconnected.",
        [K_COMM - _G_MAX] = " Comm: ",
        [K_NMI - _G_MAX] = "Sending NMI from CPU",
        [K_LOCKDEBUG - _G_MAX] = "Disabling lock debugging due to kernel taint",
        [K_VMALLOC - _G_MAX] = "vmalloc: allocation failure:",
        [K_FAULTINJ - _G_MAX] = "FAULT_INJECTION: forcing a failure",
        [K_FAULTFLAG - _G_MAX] = "FAULT_FLAG_ALLOW_RETRY missing",
        [K_EOI - _G_MAX] = "<EOI>",
        [K_QMARK - _G_MAX] = "? ",
        [K_UNRELIABLE - _G_MAX] = " (unreliable)",
        [K_LOGIN - _G_MAX] = "login: ",
        [K_TAINTED - _G_MAX] = "Tainted: ",
        [K_CALLTRACE - _G_MAX] = "Call Trace",
        [K_CALLTRACE2 - _G_MAX] = "Call trace",
        [K_ALLOCATED - _G_MAX] = "Allocated",
        [K_FREED - _G_MAX] = "Freed",
        [K_BACKTRACE - _G_MAX] = "Backtrace:",
        [K_BACKTRACE2 - _G_MAX] = "backtrace",
        [K_UNINIT - _G_MAX] = "Uninit was stored to memory at",
        [K_BADADDR - _G_MAX] = "badaddr:",
};

typedef struct Keyword {
        const char *s;
        size_t len;
} Keyword;

/* A keyword that may be at a byte pair: the keyword's id (or K_NUL), and
 * the offset of that pair in it (-1: the pair ends with its first byte). */
typedef struct PairEntry {
        uint8_t id;
        int8_t off;
} PairEntry;

#define PAIR_ENTRIES_MAX (2 * _K_MAX + 2)

/* The scan looks at the byte pairs that start at even offsets of a line:
 * half the table loads of a look at every pair. Each keyword is found
 * through two byte pairs of it, one at an even offset of it and one at an
 * odd one (one of which is at an even offset of the line wherever the
 * keyword is), each the least likely of its parity in a log;
 * a two-byte keyword through itself and through every pair that ends with
 * its first byte. A pair that may hold a keyword has a slot (pair_slot[pair]
 * > 0: the scan's one test a pair, a load from a 64 KiB table) with its
 * entries; pairs with the same entries share a slot. Built by
 * analyze_init(). */
static Keyword keywords[_K_MAX];
static uint8_t pair_slot[65536];
static PairEntry pair_entries[256][PAIR_ENTRIES_MAX];
static uint8_t pair_n_entries[256];
static size_t n_slots;

/* How common a byte is in kernel logs: the anchors are the pairs with the
 * lowest sums. Lower-case letters by English frequency, then space, digits
 * and the punctuation of symbols; capitals and the rest are rare. */
static unsigned byte_weight(unsigned char c) {
        static const char by_frequency[] = "zqjxkvbgypwfmucdlhrsnioate";
        if (c == ' ')
                return 40;
        if (c >= '0' && c <= '9')
                return 20;
        if (c == '_' || c == ':' || c == '.' || c == '-' || c == '+' || c == '[' || c == ']')
                return 15;
        const char *p = c ? strchr(by_frequency, c) : NULL;
        return p ? 5 + (unsigned) (p - by_frequency) : 0;
}

static unsigned pair_weight(const char *s) {
        return byte_weight((unsigned char) s[0]) + byte_weight((unsigned char) s[1]);
}

/* Two bytes as one load, in the machine's byte order: the table is built
 * with the same function, so the order does not matter. */
static unsigned pair_of(const char *s) {
        uint16_t v;
        memcpy(&v, s, sizeof v);
        return v;
}

/* Adds the entry (id, off) to the pair's: to the slot that has exactly
 * those entries, or to a new one. */
static int pair_add(unsigned pair, uint8_t id, int8_t off) {
        PairEntry list[PAIR_ENTRIES_MAX];
        size_t n = 0;
        uint8_t old = pair_slot[pair];
        if (old) {
                n = pair_n_entries[old];
                memcpy(list, pair_entries[old], n * sizeof *list);
        }
        for (size_t j = 0; j < n; j++)
                if (list[j].id == id && list[j].off == off)
                        return 0;
        if (n == PAIR_ENTRIES_MAX)
                return -E2BIG;
        list[n++] = (PairEntry) { id, off };
        /* The pairs of a family (all those that end with a byte, or hold
         * a NUL) are added one after the other and mostly get the same
         * entries: the slot found last is tried first. */
        static size_t last;
        if (last > 0 && pair_n_entries[last] == n && memcmp(pair_entries[last], list, n * sizeof *list) == 0) {
                pair_slot[pair] = (uint8_t) last;
                return 0;
        }
        for (size_t slot = 1; slot <= n_slots; slot++)
                if (pair_n_entries[slot] == n && memcmp(pair_entries[slot], list, n * sizeof *list) == 0) {
                        pair_slot[pair] = (uint8_t) slot;
                        last = slot;
                        return 0;
                }
        if (n_slots == 255)
                return -E2BIG;
        n_slots++;
        memcpy(pair_entries[n_slots], list, n * sizeof *list);
        pair_n_entries[n_slots] = (uint8_t) n;
        pair_slot[pair] = (uint8_t) n_slots;
        last = n_slots;
        return 0;
}

static int keywords_init(void) {
        int r;
        for (size_t k = 0; k < _K_MAX; k++) {
                const char *s = k < _G_MAX ? headers[k].needle : extra_keywords[k - _G_MAX];
                Keyword *kw = &keywords[k];
                *kw = (Keyword) { .s = s, .len = strlen(s) };
                if (kw->len < 2 || kw->len > INT8_MAX)
                        return -EINVAL;
                if (kw->len == 2) {
                        /* at an even offset itself, else in the pair that ends with its first byte */
                        r = pair_add(pair_of(s), (uint8_t) k, 0);
                        for (unsigned c = 0; r >= 0 && c < 256; c++) {
                                char two[2] = { (char) c, s[0] };
                                r = pair_add(pair_of(two), (uint8_t) k, -1);
                        }
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The least common pair at an even offset of the keyword
                 * and the least common at an odd one: wherever the keyword
                 * is, one of the two is at an even offset of the line. */
                size_t anchor[2] = {};
                unsigned best[2] = { UINT32_MAX, UINT32_MAX };
                for (size_t i = 0; i + 1 < kw->len; i++) {
                        unsigned w = pair_weight(s + i);
                        if (w < best[i % 2]) {
                                best[i % 2] = w;
                                anchor[i % 2] = i;
                        }
                }
                r = 0;
                for (size_t j = 0; j < 2 && r >= 0; j++)
                        r = pair_add(pair_of(s + anchor[j]), (uint8_t) k, (int8_t) anchor[j]);
                if (r < 0)
                        return r;
        }
        /* Every pair with a NUL byte holds K_NUL: the scan, whose pairs
         * cover every byte of a line but the last of an odd length, finds
         * NUL bytes too, without a memchr() of its own on every line. */
        for (unsigned c = 0; c < 256; c++) {
                char two[2] = { 0, (char) c };
                r = pair_add(pair_of(two), K_NUL, 0);
                two[0] = (char) c;
                two[1] = 0;
                if (r >= 0)
                        r = pair_add(pair_of(two), K_NUL, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The slot of the pair at s: nonzero when a keyword may be there. */
static unsigned pair_may_anchor(const char *s) {
        return pair_slot[pair_of(s)];
}

/* The keywords that are on s[0, n) where the pair at s[i, i + 2) says
 * they may be. */
static uint64_t keywords_at(const char *s, size_t n, size_t i) {
        uint64_t found = 0;
        unsigned slot = pair_slot[pair_of(s + i)];
        const PairEntry *list = pair_entries[slot];
        for (unsigned j = 0; j < pair_n_entries[slot]; j++) {
                if (list[j].id == K_NUL) {
                        found |= K_BIT(K_NUL);
                        continue;
                }
                const Keyword *kw = &keywords[list[j].id];
                /* where the keyword would start */
                ptrdiff_t at = (ptrdiff_t) i - list[j].off;
                /* (most pairs are not in the keyword: its first and last
                 * bytes are compared before the call, and are all of "? ",
                 * the keyword of most call trace lines) */
                if (at >= 0 && (size_t) at + kw->len <= n && s[at] == kw->s[0] && s[at + kw->len - 1] == kw->s[kw->len - 1] &&
                    (kw->len <= 2 || memcmp(s + at + 1, kw->s + 1, kw->len - 2) == 0))
                        found |= K_BIT(list[j].id);
        }
        return found;
}

/* The keywords that are on s[0, n) (each found once or more, the same);
 * K_NUL set when it holds a NUL byte. */
static uint64_t keywords_scan(const char *s, size_t n) {
        uint64_t found = 0;
        size_t i = 0;
        /* The pairs at even offsets, four a step (eight bytes), one
         * branch: most steps have no anchor. */
        for (; i + 8 <= n; i += 8) {
                /* (the four slots kept: on a hit, only the pairs that
                 * have one are looked at again) */
                unsigned a = pair_may_anchor(s + i), b = pair_may_anchor(s + i + 2), c = pair_may_anchor(s + i + 4),
                         d = pair_may_anchor(s + i + 6);
                if (__builtin_expect(a | b | c | d, 0)) {
                        if (a)
                                found |= keywords_at(s, n, i);
                        if (b)
                                found |= keywords_at(s, n, i + 2);
                        if (c)
                                found |= keywords_at(s, n, i + 4);
                        if (d)
                                found |= keywords_at(s, n, i + 6);
                }
        }
        for (; i + 1 < n; i += 2)
                if (pair_may_anchor(s + i))
                        found |= keywords_at(s, n, i);
        /* the last byte of an odd length is in no pair looked at */
        if (n % 2 == 1 && s[n - 1] == 0)
                found |= K_BIT(K_NUL);
        return found;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void init_all(void) {
        int r = keywords_init();
        if (r >= 0)
                r = formats_init();
        if (r >= 0)
                r = frames_init();
        init_result = r;
}

int analyze_init(void) {
        pthread_once(&init_once, init_all);
        return init_result;
}

/* ------------------------------------------------------------------------ */
/* Lines, prefixes and contexts (TITLE_RULES.md §2) */

typedef enum { CTX_NONE, CTX_CONSOLE, CTX_CALLER } ContextKind;

/* One line of the log: a view into the caller's buffer. */
typedef struct Line {
        const char *raw;
        size_t raw_len;  /* without the newline and a '\r' before it */
        const char *next; /* where the next line starts */
        uint64_t keys;   /* keywords that may be on it (all of them when it holds a NUL byte) */
        bool has_nul;
        bool parsed;     /* the fields below are set */
        size_t text_off; /* the text after the prefix, when there is a context */
        ContextKind kind;
        char ctx[16];    /* caller id, e.g. "T123" or "C1" */
} Line;

/* memmem() for the short prefix spans below, by hand: GCC 12 with the
 * sanitizers misjudges memmem's bounds on these pointer differences. */
static const char *find_in_span(const char *s, const char *end, const char *needle) {
        size_t l = strlen(needle);
        for (const char *p = s; p + l <= end; p++)
                if (*p == *needle && strneq(p, needle, l))
                        return p;
        return NULL;
}

/* isdigit() without the locale's table: the prefix is ASCII. */
static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* The end of the run of ASCII digits at q (q itself when there is none),
 * up to end. Eight bytes a step while eight are left: the timestamp's
 * digits are read on every line, and a byte at a time costs more than the
 * rest of the prefix. */
static inline __attribute__((always_inline)) const char *skip_digits(const char *q, const char *end) {
        while (end - q >= 8) {
                uint64_t v;
                memcpy(&v, q, sizeof v);
                /* '0'..'9' become 0..9; a byte's high bit is then set when
                 * it is 10 or more, or had its high bit set (no carry
                 * crosses bytes: 0x7f + 0x76 < 0x100) */
                uint64_t x = v ^ UINT64_C(0x3030303030303030);
                uint64_t m = (((x & UINT64_C(0x7f7f7f7f7f7f7f7f)) + UINT64_C(0x7676767676767676)) | x) &
                             UINT64_C(0x8080808080808080);
                if (m == 0) {
                        q += 8;
                        continue;
                }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                return q + __builtin_ctzll(m) / 8;
#else
                return q + __builtin_clzll(m) / 8;
#endif
        }
        while (q < end && is_digit(*q))
                q++;
        return q;
}

/* Parses "[<N>][  123.456789][  T1234] text"; fills kind, ctx and text_off. */
static void line_parse(Line *l) {
        const char *s = l->raw, *end = l->raw + l->raw_len, *p = s, *first_close = NULL;
        if (l->parsed)
                return;
        l->parsed = true;
        l->kind = CTX_NONE;
        l->text_off = 0;

        /* "** N printk messages dropped ** " */
        if (end - p > 3 && strneq(p, "** ", 3)) {
                const char *q = find_in_span(p + 3, end, " ** ");
                if (q)
                        p = q + 4;
        }
        /* a getty prompt the console line was printed after: "syzkaller login: [ 16.3] ..." */
        if (l->keys & K_BIT(K_LOGIN)) {
                const char *login = find_in_span(p, end - p > 128 ? p + 128 : end, "login: ");
                if (login && login + 7 < end && (login[7] == '[' || login[7] == '<'))
                        p = login + 7;
        }
        /* syslog level "<6>" (pstore, /dev/kmsg) */
        if (p < end && *p == '<') {
                const char *q = p + 1;
                while (q < end && is_digit(*q) && q - p < 5)
                        q++;
                if (q < end && *q == '>' && q > p + 1)
                        p = q + 1;
        }
        /* timestamp "[  123.456789]" */
        if (p < end && *p == '[') {
                const char *q = p + 1;
                while (q < end && *q == ' ')
                        q++;
                const char *d = q;
                q = skip_digits(q, end);
                if (q > d && q < end && *q == '.') {
                        q++;
                        const char *f = q;
                        q = skip_digits(q, end);
                        if (q > f && q < end && *q == ']') {
                                l->kind = CTX_CONSOLE;
                                /* at the start of the line, the first ']' of it */
                                if (p == s)
                                        first_close = q;
                                q++;
                                /* caller id "[  T1234]" or "[ C1]" */
                                if (q < end && *q == '[') {
                                        const char *c = q + 1;
                                        while (c < end && *c == ' ')
                                                c++;
                                        if (c < end && (*c == 'T' || *c == 'C')) {
                                                const char *n = skip_digits(c + 1, end);
                                                if (n > c + 1 && n < end && *n == ']' && (size_t) (n - c) < sizeof l->ctx) {
                                                        l->kind = CTX_CALLER;
                                                        /* (a few bytes: a loop costs less than a call) */
                                                        for (size_t k = 0; k < (size_t) (n - c); k++)
                                                                l->ctx[k] = c[k];
                                                        l->ctx[n - c] = 0;
                                                        /* No ']' between the timestamp's and
                                                         * this one, which follows "[": the
                                                         * search for "] " starts here. */
                                                        if (first_close)
                                                                first_close = n;
                                                }
                                        }
                                }
                        }
                }
        }
        if (l->kind == CTX_NONE)
                return;
        /* Remove everything up to and including the first "] ". */
        const char *b = first_close ? first_close : memchr(s, ']', (size_t) (end - s));
        while (b && b + 1 < end && b[1] != ' ')
                b = memchr(b + 1, ']', (size_t) (end - b - 1));
        l->text_off = b && b + 1 < end ? (size_t) (b + 2 - s) : l->raw_len;
}

/* The line's text as the rules read it: the prefix removed, cut to
 * MAX_LINE bytes, NUL bytes shown as spaces, NUL-terminated in buf
 * (MAX_LINE + 1 bytes). Returns its length. */
static size_t line_text(Line *l, char *buf) {
        line_parse(l);
        const char *t = l->raw + l->text_off;
        size_t n = MIN(l->raw_len - l->text_off, (size_t) MAX_LINE);
        if (l->has_nul)
                for (size_t i = 0; i < n; i++)
                        buf[i] = t[i] ? t[i] : ' ';
        else
                memcpy(buf, t, n);
        buf[n] = 0;
        return n;
}

static bool line_questionable(const Line *l, const char *t, size_t n) {
        if (l->kind == CTX_NONE)
                return false;
        /* (the text is in the line, so the keyword scan saw it) */
        if ((l->keys & K_BIT(K_EOI)) && strstr(t, "<EOI>"))
                return false;
        if (strstr(t, " ? ") || (n > 0 && t[0] == '?' && t[1] == ' '))
                return true;
        return n >= 13 && streq(t + n - 13, " (unreliable)");
}

static bool same_context(const Line *a, const Line *b) {
        if (a->kind != b->kind)
                return false;
        return a->kind != CTX_CALLER || streq(a->ctx, b->ctx);
}

/* ------------------------------------------------------------------------ */
/* One crash: the part of the log it is analysed from */

typedef struct Crash {
        /* Anywhere in the part: kcrash's own fields. */
        char *kernel, *kernel_comm, *hardware;
        bool serialport;
        /* The crash: its first line, and its report text (§4) as it grows. */
        bool found;
        const Header *header;
        Line oops;
        bool report_done, nmi, kmsan;
        size_t title_end;
        char *arena;      /* the report's lines, each NUL-terminated */
        size_t arena_len, arena_cap;
        size_t *offsets;  /* where each line starts in arena */
        uint64_t *keys;   /* the keywords of each line */
        size_t n_full, offsets_cap;
        /* For the analysis: the lines as pointers, and which start a stack. */
        char **lines;
        bool *stack_start;
        size_t lines_cap;
        Frame *cands; /* MAX_CANDIDATES, the recipes' scratch (Ctx.cands) */
} Crash;

/* Forgets the crash but keeps its buffers for the next one: a log of many
 * crashes does not allocate them again for each. */
static void crash_reset(Crash *c) {
        free(c->kernel);
        free(c->kernel_comm);
        free(c->hardware);
        *c = (Crash) {
                .arena = c->arena,
                .arena_cap = c->arena_cap,
                .offsets = c->offsets,
                .keys = c->keys,
                .offsets_cap = c->offsets_cap,
                .lines = c->lines,
                .stack_start = c->stack_start,
                .lines_cap = c->lines_cap,
                .cands = c->cands,
        };
}

static void crash_done(Crash *c) {
        crash_reset(c);
        free(c->arena);
        free(c->offsets);
        free(c->keys);
        free(c->lines);
        free(c->stack_start);
        free(c->cands);
        *c = (Crash) {};
}

/* "Linux version 6.1.0-56-amd64 ..." → *ret "6.1.0-56-amd64" (left alone if absent). */
static int release_of_banner(const char *t, char **ret) {
        const char *p = strstr(t, "Linux version ");
        if (!p)
                return 0;
        p += 14;
        size_t l = strcspn(p, " ");
        if (l == 0 || l >= 128)
                return 0;
        return (*ret = strndup(p, l)) ? 0 : -ENOMEM;
}

/* "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-56-amd64 #1 ..." → *ret "6.1.0-56-amd64". */
static int release_of_comm(const char *t, char **ret) {
        const char *p = strstr(t, " Comm: ");
        if (!p || !strstr(t, "CPU:"))
                return 0;
        const char *hash = strstr(p, " #");
        if (!hash)
                return 0;
        const char *s = hash;
        while (s > p && s[-1] != ' ')
                s--;
        if (hash <= s || hash - s >= 128)
                return 0;
        return (*ret = strndup(s, (size_t) (hash - s))) ? 0 : -ENOMEM;
}

/* The fields looked for on every line of the part. */
static int crash_scan_line(Crash *c, Line *l, const char *text) {
        int r;
        if (!c->kernel && (l->keys & K_BIT(K_LINUX)) && (r = release_of_banner(text, &c->kernel)) < 0)
                return r;
        if (!c->kernel_comm && (l->keys & K_BIT(K_COMM)) && (r = release_of_comm(text, &c->kernel_comm)) < 0)
                return r;
        if (!c->hardware && (l->keys & K_BIT(K_HARDWARE))) {
                const char *p = strstr(text, "Hardware name: ");
                if (p && !(c->hardware = strdup(p + 15)))
                        return -ENOMEM;
        }
        if (!c->serialport && (l->keys & K_BIT(K_SERIAL)))
                c->serialport = strstr(text, "serialport: VM disconnected.") != NULL;
        return 0;
}

/* Room for one more line of up to MAX_LINE bytes at the end of the arena. */
static int crash_reserve(Crash *c) {
        if (c->arena_cap - c->arena_len < MAX_LINE + 1) {
                size_t cap = MAX(2 * c->arena_cap, c->arena_len + MAX_LINE + 1);
                char *g = realloc(c->arena, cap);
                if (!g)
                        return -ENOMEM;
                c->arena = g;
                c->arena_cap = cap;
        }
        if (c->n_full == c->offsets_cap) {
                size_t cap = MAX(2 * c->offsets_cap, (size_t) 64);
                size_t *g = realloc(c->offsets, cap * sizeof *g);
                if (!g)
                        return -ENOMEM;
                c->offsets = g;
                uint64_t *k = realloc(c->keys, cap * sizeof *k);
                if (!k)
                        return -ENOMEM;
                c->keys = k;
                c->offsets_cap = cap;
        }
        return 0;
}

/* A line of the part; first is the crash's first line. */
static int crash_add_line(Crash *c, Line *l, bool first) {
        char buf[MAX_LINE + 1];
        uint64_t text_keys = K_BIT(K_LINUX) | K_BIT(K_COMM) | K_BIT(K_HARDWARE) | K_BIT(K_SERIAL);
        int r;

        if (!c->found || c->report_done) {
                /* Outside the report only the fields above are looked for. */
                if (!(l->keys & text_keys))
                        return 0;
                line_text(l, buf);
                return crash_scan_line(c, l, buf);
        }

        /* §4: the report text, from the crash's first line. The line is
         * written where it is kept if it is. */
        r = crash_reserve(c);
        if (r < 0)
                return r;
        char *text = c->arena + c->arena_len;
        size_t tl = line_text(l, text);
        r = crash_scan_line(c, l, text);
        if (r < 0)
                return r;
        const Line *o = &c->oops;
        if (first) {
                c->title_end = SIZE_MAX;
                c->kmsan = (l->keys & K_BIT(G_BUG)) && strstr(text, "BUG: KMSAN:");
        }
        if (!first && (l->keys & K_BIT(K_NMI)) && strstr(text, "Sending NMI from CPU"))
                c->nmi = true;
        bool keep = same_context(o, l) || (c->nmi && l->kind == CTX_CALLER && l->ctx[0] == 'C');
        if (!first && c->title_end == SIZE_MAX && o->kind != CTX_CALLER &&
            (l->keys & (K_HEADERS | K_BIT(K_VMALLOC) | K_BIT(K_FAULTINJ) | K_BIT(K_FAULTFLAG))) &&
            is_second_crash(l->raw, l->raw_len, l->keys))
                c->title_end = c->n_full;
        if (!keep)
                return 0;
        if (!first && (l->keys & (K_BIT(K_QMARK) | K_BIT(K_UNRELIABLE))) && line_questionable(l, text, tl))
                return 0;
        if ((l->keys & K_BIT(K_LOCKDEBUG)) && strstr(text, "Disabling lock debugging due to kernel taint"))
                return 0;
        if (!first && (l->keys & (K_BIT(G_PANIC) | K_BIT(G_WARNING))) &&
            (strstr(text, "Kernel panic - not syncing") ||
             strstr(text, "WARNING: possible circular locking dependency detected")) &&
            c->n_full + 1 >= (c->kmsan ? 17u : 23u)) {
                c->report_done = true;
                return 0;
        }
        c->keys[c->n_full] = l->keys;
        c->offsets[c->n_full++] = c->arena_len;
        c->arena_len += tl + 1;
        if (c->n_full >= MAX_REPORT_LINES)
                c->report_done = true;
        return 0;
}

static int crash_start(Crash *c, Line *l, const Header *h) {
        line_parse(l);
        c->found = true;
        c->header = h;
        c->oops = *l;
        return crash_add_line(c, l, true);
}

/* ------------------------------------------------------------------------ */
/* From a crash's report to its analysis */

/* keys: each line's keywords; a line without "Tainted: " is passed over. */
static char *taint_of(const Report *rep, const uint64_t *keys) {
        for (size_t i = 0; i < rep->n_full; i++) {
                if (!(keys[i] & K_BIT(K_TAINTED)))
                        continue;
                const char *p = strstr(rep->lines[i], "Tainted: ");
                if (!p || strstr(rep->lines[i], "Not tainted"))
                        continue;
                p += 9;
                /* "G    B   W  OE     " : keep the letters except the G/P marker */
                char flags[32];
                size_t k = 0;
                const char *q = p;
                for (; *q && k < sizeof flags - 1; q++) {
                        if (*q == ' ')
                                continue;
                        if (!isupper((unsigned char) *q))
                                break;
                        /* a release like 6.1.0 follows after the flags */
                        if (q > p && q[-1] == ' ' && isupper((unsigned char) *q) && (q[1] == '-' || isdigit((unsigned char) q[1])))
                                break;
                        flags[k++] = *q;
                }
                flags[k] = 0;
                /* The first letter is G (only GPL modules) or P (proprietary). */
                const char *f = flags;
                if (*f == 'G')
                        f++;
                return *f ? strdup(f) : NULL;
        }
        return NULL;
}

/* The analysis of a log without a crash. */
static int analysis_no_crash(Crash *c, CrashAnalysis **ret) {
        CrashAnalysis *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->kernel = c->kernel ? TAKE_PTR(c->kernel) : TAKE_PTR(c->kernel_comm);
        a->title = strdup("");
        a->type = strdup("UNKNOWN");
        a->report = strdup("");
        if (!a->title || !a->type || !a->report)
                return crash_analysis_free(a), -ENOMEM;
        *ret = a;
        return 0;
}

static int analysis_of(Crash *c, CrashAnalysis **ret) {
        if (!c->found)
                return analysis_no_crash(c, ret);

        if (c->lines_cap < c->n_full + 1) {
                size_t cap = MAX(c->n_full + 1, 2 * c->lines_cap);
                char **l = reallocarray(c->lines, cap, sizeof *l);
                if (!l)
                        return -ENOMEM;
                c->lines = l;
                bool *ss = reallocarray(c->stack_start, cap, sizeof *ss);
                if (!ss)
                        return -ENOMEM;
                c->stack_start = ss;
                c->lines_cap = cap;
        }
        if (!c->cands) {
                c->cands = malloc(MAX_CANDIDATES * sizeof *c->cands);
                if (!c->cands)
                        return -ENOMEM;
        }
        CrashAnalysis *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_full; i++) {
                c->lines[i] = c->arena + c->offsets[i];
                /* The keywords say which lines may start a stack. */
                c->stack_start[i] = (c->keys[i] & K_STACK) && is_stack_start(c->lines[i]);
        }
        c->lines[c->n_full] = NULL;
        Report rep = { .lines = c->lines, .n_full = c->n_full, .stack_start = c->stack_start };
        rep.n = c->title_end == SIZE_MAX ? rep.n_full : MIN(c->title_end, rep.n_full);
        if (rep.n == 0)
                rep.n = MIN((size_t) 1, rep.n_full);
        a->kernel = c->kernel ? TAKE_PTR(c->kernel) : TAKE_PTR(c->kernel_comm);

        /* (not zeroed whole: frames[] is 12 KiB, written before it is read) */
        Ctx cx;
        cx.rep = &rep;
        cx.cands = c->cands;
        cx.corrupted = false;
        cx.saw_should_fail = false;
        cx.n_frames = 0;
        bool corrupted = false, has_culprit = false;
        Frame culprit = {};
        unsigned flags = 0;
        const Header *h = c->header;
        char *raw = choose_title(&cx, h->group, h->needle, &corrupted, &culprit, &has_culprit, &flags);
        if (!raw)
                return crash_analysis_free(a), -ENOMEM;
        if (has_timestamp(raw))
                corrupted = true;
        if (cx.corrupted)
                corrupted = true;
        if (!(flags & F_NOSTACK) && stack_check_fails(&rep))
                corrupted = true;
        if (c->serialport)
                corrupted = true;

        size_t cap = strlen(raw) + 64;
        a->title = realloc(raw, cap);
        if (!a->title) {
                free(raw);
                return crash_analysis_free(a), -ENOMEM;
        }
        int r = normalize_title(&a->title, cap);
        if (r < 0)
                return crash_analysis_free(a), r;
        a->type = strdup(type_of(a->title));
        a->corrupted = corrupted;
        /* syzkaller's FRAME: the identifier after the title's last " in "
         * (it can be the literal "corrupted", like the title says). */
        a->frame = frame_of_title(a->title);

        /* The crashing stack as names (for the upload's stack and the
         * signature): the frames the culprit came from, else the first stack. */
        if (cx.n_frames == 0) {
                size_t pos = find_stack_start(&rep, 0);
                if (pos < rep.n) {
                        pos++;
                        size_t tn = 0;
                        read_frames(&cx, &pos, cx.cands, &tn, NULL, true);
                }
        }
        a->frames = calloc(cx.n_frames + 1, sizeof *a->frames);
        for (size_t i = 0; a->frames && i < cx.n_frames; i++) {
                const Frame *f = &cx.frames[i];
                char *s = NULL;
                if (f->module[0] ? asprintf(&s, "%s [%s]", f->name, f->module) < 0 : !(s = strdup(f->name)))
                        break;
                a->frames[a->n_frames++] = s;
        }
        /* No function in the title (a panic, a sysrq crash): the culprit is
         * the first stack frame the skip rules let through. */
        if (!a->frame) {
                for (size_t i = 0; i < cx.n_frames; i++)
                        if (!culprit_skipped(cx.frames[i].name)) {
                                culprit = cx.frames[i];
                                has_culprit = true;
                                a->frame = strdup(culprit.name);
                                break;
                        }
        }
        if (a->frame && has_culprit) {
                /* The module of the culprit: from its frame line, or any frame of that name. */
                const char *mod = streq(culprit.name, a->frame) ? culprit.module : "";
                for (size_t i = 0; !mod[0] && i < cx.n_frames; i++)
                        if (streq(cx.frames[i].name, a->frame))
                                mod = cx.frames[i].module;
                if (mod[0])
                        a->module = strdup(mod);
        }
        if (a->frame && !a->module) {
                /* RIP lines carry the module too: "RIP: 0010:foo+0x1/0x2 [mod]" */
                for (size_t i = 0; i < rep.n_full; i++) {
                        Frame f;
                        size_t l;
                        if (parse_ip_line(rep.lines[i], &f, &l) && l > 0 && streq(f.name, a->frame) && f.module[0]) {
                                a->module = strdup(f.module);
                                break;
                        }
                }
        }
        a->taint = taint_of(&rep, c->keys);
        a->hardware = TAKE_PTR(c->hardware);

        /* The crash text: from the crash's first line to the end of its
         * report, the arena's lines joined by newlines. */
        a->report = malloc(c->arena_len + 1);
        if (a->report) {
                memcpy(a->report, c->arena ? c->arena : "", c->arena_len);
                /* each line's NUL (line_text() leaves no other) ends the
                 * byte before the next line's offset */
                for (size_t i = 0; i < c->n_full; i++)
                        a->report[(i + 1 < c->n_full ? c->offsets[i + 1] : c->arena_len) - 1] = '\n';
                a->report[c->arena_len] = 0;
        }
        a->signature = signature_of(a);
        if (!a->title || !a->type || !a->report || !a->signature)
                return crash_analysis_free(a), -ENOMEM;
        *ret = a;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* The pass over the log */

typedef int (*crash_cb_t)(CrashAnalysis *a, void *userdata);

/* The pass: lines go in one at a time, analyses come out through cb. With
 * split, the log is cut before each header line that starts a new crash
 * (not one that follows a crash, like its panic) and each part is analysed
 * on its own; without, the first crash is analysed with the whole log. */
typedef struct Pass {
        bool split;
        size_t max_line; /* -EFBIG for a longer line; 0: no limit */
        crash_cb_t cb;
        void *userdata;
        Crash crash;
        Line pending; /* a header line, until the next line tells whether it starts a crash */
        const Header *pending_header;
        size_t n_lines;
} Pass;

static void pass_done(Pass *ps) {
        crash_done(&ps->crash);
}

/* The line l, or the end of the log when l is NULL. */
static int pass_line(Pass *ps, Line *l) {
        Crash *c = &ps->crash;
        int r = 0;

        /* A header line starts a crash unless the next line says the
         * kernel is only replaying it. */
        if (ps->pending_header) {
                if (l && (l->keys & K_BIT(K_REPLAY)) && (!l->has_nul || span_has(l->raw, l->raw_len, keywords[K_REPLAY].s)))
                        r = crash_add_line(c, &ps->pending, false);
                else if (!c->found)
                        r = crash_start(c, &ps->pending, ps->pending_header);
                else {
                        /* a new crash: the one before ends here */
                        CrashAnalysis *a = NULL;
                        r = analysis_of(c, &a);
                        crash_reset(c);
                        if (r >= 0)
                                r = ps->cb(a, ps->userdata);
                        if (r >= 0)
                                r = crash_start(c, &ps->pending, ps->pending_header);
                }
                if (r < 0)
                        return r;
                ps->pending_header = NULL;
        }
        if (!l) {
                CrashAnalysis *a = NULL;
                r = analysis_of(c, &a);
                return r < 0 ? r : ps->cb(a, ps->userdata);
        }
        const Header *h = NULL;
        if ((l->keys & K_HEADERS) && (!c->found || ps->split))
                h = line_header(l->raw, MIN(l->raw_len, (size_t) MAX_LINE), l->keys);
        if (h && (!c->found || !header_is_followup(l->raw, l->raw_len, l->keys))) {
                ps->pending = *l;
                ps->pending_header = h;
                return 0;
        }
        return crash_add_line(c, l, false);
}

/* Takes the complete lines at the start of buf[0, size) (all of it when
 * at_eof); returns how many bytes it took, or -errno. Lines beyond
 * MAX_LINES are not looked at. */
static ssize_t pass_lines(Pass *ps, const char *buf, size_t size, bool at_eof) {
        const char *p = buf, *end = buf + size;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol && !at_eof)
                        break;
                if (!eol)
                        eol = end;
                if (ps->max_line > 0 && (size_t) (eol - p) > ps->max_line)
                        return -EFBIG;
                if (ps->n_lines < MAX_LINES) {
                        Line line = { .raw = p, .raw_len = (size_t) (eol - p), .next = eol < end ? eol + 1 : end };
                        /* a '\r' before the newline is not text */
                        if (line.raw_len > 0 && p[line.raw_len - 1] == '\r')
                                line.raw_len--;
                        uint64_t keys = keywords_scan(line.raw, line.raw_len);
                        line.has_nul = keys & K_BIT(K_NUL);
                        line.keys = line.has_nul ? K_ALL : keys;
                        ps->n_lines++;
                        int r = pass_line(ps, &line);
                        if (r < 0)
                                return r;
                }
                p = eol < end ? eol + 1 : end;
        }
        return p - buf;
}

static int analyze_log(const char *log, size_t size, bool split, crash_cb_t cb, void *userdata) {
        _cleanup_(pass_done) Pass ps = { .split = split, .cb = cb, .userdata = userdata };
        int r = analyze_init();
        if (r < 0)
                return r;
        ssize_t k = pass_lines(&ps, log, size, /* at_eof= */ true);
        if (k < 0)
                return (int) k;
        return pass_line(&ps, NULL);
}

/* Reading size of the streamed analysis: the buffer is reused, so the
 * pages touched stay few whatever the size of the log. */
#define READ_CHUNK (256u << 10)

static int analyze_fd(int fd, size_t max_line, bool split, crash_cb_t cb, void *userdata) {
        _cleanup_(pass_done) Pass ps = { .split = split, .max_line = max_line, .cb = cb, .userdata = userdata };
        _cleanup_free_ char *buf = NULL;
        size_t alloc = 0, filled = 0;
        bool eof = false;
        int r = analyze_init();
        if (r < 0)
                return r;
        while (!eof) {
                if (alloc - filled < READ_CHUNK) {
                        /* a line longer than the buffer: grow it (up to max_line) */
                        size_t n = MAX(alloc * 2, (size_t) 2 * READ_CHUNK);
                        size_t raw_at = ps.pending_header ? (size_t) (ps.pending.raw - buf) : 0;
                        size_t next_at = ps.pending_header ? (size_t) (ps.pending.next - buf) : 0;
                        char *g = realloc(buf, n);
                        if (!g)
                                return -ENOMEM;
                        buf = g;
                        if (ps.pending_header) {
                                ps.pending.raw = buf + raw_at;
                                ps.pending.next = buf + next_at;
                        }
                        alloc = n;
                }
                ssize_t k = read(fd, buf + filled, alloc - filled);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                eof = k == 0;
                filled += (size_t) k;
                /* The pending header line stays where it is until the next
                 * line is read: the lines are taken from after it. */
                size_t from = ps.pending_header ? (size_t) (ps.pending.next - buf) : 0;
                ssize_t took = pass_lines(&ps, buf + from, filled - from, eof);
                if (took < 0)
                        return (int) took;
                if (filled - from - (size_t) took > max_line)
                        return -EFBIG; /* the line being read is too long already */
                size_t keep = ps.pending_header ? (size_t) (ps.pending.raw - buf) : from + (size_t) took;
                memmove(buf, buf + keep, filled - keep);
                if (ps.pending_header) {
                        ps.pending.raw -= keep;
                        ps.pending.next -= keep;
                }
                filled -= keep;
        }
        return pass_line(&ps, NULL);
}

static int take_first(CrashAnalysis *a, void *userdata) {
        *(CrashAnalysis **) userdata = a;
        return 0;
}

int crash_analyze(const char *log, size_t size, CrashAnalysis **ret) {
        return analyze_log(log, size, /* split= */ false, take_first, ret);
}

int crash_analyze_each(const char *log, size_t size, int (*cb)(CrashAnalysis *a, void *userdata), void *userdata) {
        return analyze_log(log, size, /* split= */ true, cb, userdata);
}

int crash_analyze_fd(int fd, size_t max_line, bool all, int (*cb)(CrashAnalysis *a, void *userdata), void *userdata) {
        return analyze_fd(fd, max_line, all, cb, userdata);
}

CrashAnalysis *crash_analysis_free(CrashAnalysis *a) {
        if (!a)
                return NULL;
        free(a->title);
        free(a->type);
        free(a->frame);
        free(a->module);
        free(a->taint);
        free(a->kernel);
        free(a->hardware);
        for (size_t i = 0; i < a->n_frames; i++)
                free(a->frames[i]);
        free(a->frames);
        free(a->signature);
        free(a->report);
        free(a);
        return NULL;
}

/* "Linux version 6.1.0-56-amd64 (...) #1 SMP ..." → release and "#1 SMP ..." */
void crash_log_kernel(const char *text, char **ret_release, char **ret_version) {
        const char *p = strstr(text, "Linux version ");
        if (!p)
                return;
        p += strlen("Linux version ");
        const char *eol = strchrnul(p, '\n');
        const char *sp = memchr(p, ' ', (size_t) (eol - p));
        if (!sp || sp == p)
                return;
        if (!*ret_release)
                *ret_release = strndup(p, (size_t) (sp - p));
        const char *hash = memmem(sp, (size_t) (eol - sp), " #", 2);
        if (hash && !*ret_version)
                *ret_version = strndup(hash + 1, (size_t) (eol - hash - 1));
}

char *crash_analysis_stack_string(const CrashAnalysis *a) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < a->n_frames; i++)
                fprintf(f, "%s\n", a->frames[i]);
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
