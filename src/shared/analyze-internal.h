/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the analyzer's modules share; not part of the API (analyze.h).
 *
 * Reading order for a newcomer, following a log through crash_analyze():
 *   analyze.c          one pass over the log: lines as views into the
 *                      buffer, the header lines, the crash's report text,
 *                      kcrash's own fields (kernel, taint, hardware)
 *   analyze-formats.c  the crash kinds: header needles and their
 *                      suppressions (§3), the formats of each kind (§5)
 *   analyze-frames.c   frame and IP lines, skip rules, pickers, and the
 *                      recipes that find the culprit on the stack (§6)
 *   analyze-titles.c   choosing the format, expanding, normalising (§8),
 *                      types (§10), the signature
 * (§ numbers: tests/fixtures/oops-corpus/TITLE_RULES.md) */

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analyze.h"

/* Lines longer than this are cut for matching (a log line is at most 1 KiB
 * in the kernel; anything longer is garbage). */
#define MAX_LINE 2048
/* Bounded work on hostile input. */
#define MAX_LINES (4u << 20)
#define MAX_REPORT_LINES 4096
#define MAX_CANDIDATES 256
#define MAX_FRAMES 64
/* The most formats one kind of crash has (checked by formats_init()). */
#define MAX_GROUP_FORMATS 64

#define AT_IDENT "at: (\\[<[0-9a-fx]+>\\] )?\\(?([A-Za-z0-9_]+)[+.]"

#define RE_PRE_ALTS 16
#define RE_PRE_RUNS 4

/* One alternative of a pattern that is text: "^text", "text$", ... */
typedef struct ReText {
        char *text;
        size_t len;
        bool at_start, at_end;
} ReText;

/* A regular expression of ours, compiled once (by analyze_init(), or at
 * the first use of its group of formats), with the literal text any match
 * must contain. */
typedef struct Re {
        const char *pattern;
        regex_t re;
        bool compiled;
        /* A pattern without special characters is its own text, found
         * with strstr() and never given to regcomp(): glibc's matcher
         * builds one DFA state (a 2 KiB table) per character it walks. */
        const char *text;
        /* A match-only pattern of many alternatives (the skip rules): those
         * that are text, anchored or not, are compared as text, and only
         * the others make up the regex (re, when has_rest). */
        struct ReText *alts;      /* by first byte */
        uint16_t *alt_index;      /* [c, c + 1): the alternatives that start with byte c */
        size_t n_alts;
        bool has_rest;
        /* The pre-check: text any match contains (byte code, see
         * re_find_literals()), and the text a match ends with before
         * trailing blanks; NULL when there is none. */
        char *pre;
        char *tail;
        const char *tail_class;
} Re;

/* The kinds of crash header (§3), in the order they are tried. */
typedef enum {
        G_BUG, G_WARNING, G_INFO, G_UNABLE, G_GPF, G_STACKSEG, G_PANIC, G_DOUBLEFAULT, G_RUST, G_KBUG,
        G_KBUG2, G_KMALLOC, G_DIVIDE, G_DIVIDE2, G_INVOP, G_INT3, G_UBSAN, G_BOOT, G_NETDEV, G_VFSCLOSE,
        G_VFSBUSY, G_INTERNAL, G_UNHANDLED, G_ALIGN, G_TRUSTY, G_GOFATAL, G_SYZFAIL, G_SYZFATAL, G_GOPANIC,
        _G_MAX
} Group;

typedef struct Header {
        Group group;
        const char *needle;
        const char *const *suppress_substr;
        Re *suppress_re;
} Header;

typedef struct Frame {
        char name[128];
        char module[64];
} Frame;

typedef enum {
        R_NONE,
        R_RIP_CT,   /* IP line, then Call Trace frames */
        R_CT,       /* Call Trace frames */
        R_RIP,      /* IP line only */
        R_WARN,     /* IP line then frames right after it; fallback CT */
        R_HDR_CT,   /* capture 2 (header IDENT), then Call Trace frames */
        R_HDR_NEXT, /* capture 2 (header IDENT), then frames right after the header */
        R_NEXT,     /* frames right after the header */
        R_MARKER,   /* frames after the first line matching marker; its capture 1 first */
        R_AT2,      /* the IDENT of the first two "at: IDENT" lines, then frames */
        R_RCU,      /* rcu stall: apic_timer_interrupt, IP line, frames; fallback */
} Recipe;

enum {
        F_NOSTACK = 1 << 0,
        F_CORRUPTED = 1 << 1,
        F_STALL = 1 << 2,
        F_HANG = 1 << 3,
};

/* A format of the tables (§5): only what is constant, so that the tables
 * are small and read-only. The collector is a PIE: every page of a table
 * that holds pointers is written by the dynamic loader (relocations) at
 * start-up, a page fault in every run, even one that analyses nothing; with
 * the compiled state inside (six Re of 144 bytes each) the tables were 26
 * such pages. The compiled patterns are a FormatRe, made at the first use of
 * the format's group (formats_of_group()). */
typedef struct Format {
        const char *title;
        const char *req[3]; /* requirement: req[0] on the title line, req[1..] on later lines, in order */
        const char *tmpl;   /* %1..%9 captures, %F the chosen function */
        const char *alt;
        Recipe recipe;
        const char *marker;
        const char *skip;
        unsigned flags;
} Format;

/* A format with its patterns compiled: each Re is compiled from the
 * pattern of the same name in def (a NULL pattern stays NULL: no Re). */
typedef struct FormatRe {
        const Format *def;
        Re title;
        Re req[3];
        Re marker;
        Re skip;
} FormatRe;

/* The report text of one crash: NUL-terminated lines, prefixes removed. */
typedef struct Report {
        char **lines;
        size_t n;         /* lines of the title text (after the second-crash cut) */
        size_t n_full;    /* lines without the second-crash cut */
        const bool *stack_start; /* is_stack_start() of each line, worked out once */
} Report;

typedef struct Caps {
        char *v[10];
        size_t n;
} Caps;

typedef struct Ctx {
        const Report *rep;
        /* Room for MAX_CANDIDATES frames, the recipes' scratch: the
         * caller's, reused from crash to crash (48 KiB: malloc() and free()
         * of it for every recipe cost more than the recipe). */
        Frame *cands;
        bool corrupted;
        bool saw_should_fail;
        Frame frames[MAX_FRAMES]; /* the stack the function came from, for frames[]/module */
        size_t n_frames;
} Ctx;

static inline bool span_has(const char *s, size_t n, const char *needle) {
        size_t l = strlen(needle);
        if (l == 0 || n < l)
                return l == 0;
        /* (s is never NULL here; GCC 12 with the sanitizers thinks it may be) */
        if (!s)
                return false;
        /* The needle's first byte found by memchr(), then compared: on the
         * short lines of a log several times faster than glibc's generic
         * memmem(), which prepares a shift table for every call. */
        const char *last = s + (n - l);
        for (const char *p = s; p <= last && (p = memchr(p, needle[0], (size_t) (last - p) + 1)); p++)
                if (memcmp(p + 1, needle + 1, l - 1) == 0)
                        return true;
        return false;
}

/* snprintf(dst, size, "%s", src) without the format machinery, which costs
 * more than the copy: names are copied for every frame of every stack. */
static inline void copy_truncated(char *dst, size_t size, const char *src) {
        size_t l = strnlen(src, size - 1);
        memmove(dst, src, l);
        dst[l] = 0;
}

/* One table load, not four range tests: symbol names are read a byte at
 * a time on every frame line. */
static inline bool is_ident_char(char c) {
        static const bool ident[256] = {
                ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['_'] = true,
        };
        return ident[(unsigned char) c];
}

/* analyze-formats.c */
int re_compile(Re *r, bool nosub);
void re_alternatives_free(Re *r);
size_t re_groups(const Re *r);
bool line_match(const Re *r, const char *s, regmatch_t *m, size_t nm);
int formats_init(void);
/* may: bit g set when the needle of headers[g] may be on the line (a
 * keyword scan said so); UINT64_MAX when not known. */
const Header *line_header(const char *s, size_t n, uint64_t may);
extern const Header headers[_G_MAX];
bool header_is_followup(const char *raw, size_t raw_len, uint64_t may);
bool is_second_crash(const char *raw, size_t raw_len, uint64_t may);
/* The formats of group g, compiled at its first use. */
int formats_of_group(Group g, const FormatRe **ret_formats, size_t *ret_n);
bool check_later(const FormatRe *f, const Report *rep, size_t at, Caps *caps);
void caps_done(Caps *c);
void caps_add_match(Caps *c, const char *s, const regmatch_t *m, size_t nm, const Re *r);

/* analyze-frames.c */
int frames_init(void);
const char *skip_pc(const char *p);
int parse_frame_line(const char *t, Frame out[2]);
bool is_stack_start(const char *t);
bool parse_ip_line(const char *t, Frame *ret, size_t *ret_len);
bool culprit_skipped(const char *name);
const char *strip_syscall_prefix(const char *name, char buf[128]);
void read_frames(Ctx *cx, size_t *pos, Frame *cands, size_t *n, Re *stop, bool record);
size_t find_stack_start(const Report *rep, size_t start);
bool run_recipe(Ctx *cx, const FormatRe *fmt, size_t at, const Caps *caps, Frame *ret);
bool stack_check_fails(const Report *rep);

/* analyze-titles.c */
char *choose_title(Ctx *cx, Group g, const char *header, bool *corrupted, Frame *culprit, bool *has_culprit,
                   unsigned *flags_out);
int normalize_title(char **tp, size_t cap);
const char *type_of(const char *title);
bool has_timestamp(const char *s);
char *frame_of_title(const char *title);
char *signature_of(const CrashAnalysis *a);
