/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash kinds the analyzer recognises: the header lines that start a
 * crash report (TITLE_RULES.md §3), and for each kind its formats (§5), the
 * patterns that turn a report into a title, with the recipe that finds the
 * culprit function. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze-internal.h"
#include "kmsg.h"
#include "macro.h"

/* ------------------------------------------------------------------------ */
/* Regex helpers */


/* A run of text in a pattern: the pre-check of line_match() looks for it. */
typedef struct Run {
        const char *s;
        size_t len;
} Run;

/* The literal runs a match of one alternative must contain: text at the
 * top level between special characters (a character a quantifier makes
 * optional is not part of its run; a group may be optional or hold
 * alternatives, so nothing in it counts). Keeps the longest max runs in
 * runs; returns how many, 0 when there is none. */
static size_t alternative_runs(const char *alt, const char *end, Run *runs, size_t max) {
        size_t n_runs = 0;
        int depth = 0;
        const char *p = alt;
        while (p < end) {
                if (*p == '\\' || *p == '[' || *p == '(' || *p == ')' || depth > 0) {
                        if (*p == '\\' && p + 1 < end)
                                p++;
                        else if (*p == '[') {
                                p++;
                                if (p < end && *p == '^')
                                        p++;
                                if (p < end && *p == ']')
                                        p++;
                                while (p < end && *p != ']')
                                        p++;
                        } else if (*p == '(')
                                depth++;
                        else if (*p == ')')
                                depth--;
                        p++;
                        continue;
                }
                if (*p == '{') {
                        /* a bound "{2,16}": not text */
                        while (p < end && *p != '}')
                                p++;
                        p++;
                        continue;
                }
                if (strchr(".*+?}|^$", *p)) {
                        p++;
                        continue;
                }
                const char *start = p;
                while (p < end && !strchr(".[]()*+?{}|\\^$", *p))
                        p++;
                size_t len = (size_t) (p - start);
                if (p < end && strchr("*?{", *p))
                        len--; /* "abc*": the c is optional */
                if (len == 0)
                        continue;
                /* keep the longest runs */
                size_t slot = n_runs < max ? n_runs++ : max;
                if (slot == max) {
                        size_t shortest = 0;
                        for (size_t i = 1; i < max; i++)
                                if (runs[i].len < runs[shortest].len)
                                        shortest = i;
                        if (runs[shortest].len >= len)
                                continue;
                        slot = shortest;
                }
                runs[slot] = (Run) { start, len };
        }
        return n_runs;
}

/* The pre-check is byte code in one allocation, clauses that must all
 * hold: a clause holds when one of its terms does, a term when the line
 * contains each of its strings. Layout: the number of clauses; for each,
 * the number of its terms; for each term, the number of its strings and
 * the strings, NUL-terminated. Counts are single bytes. */
typedef struct PreBuilder {
        char buf[4096];
        size_t len;
        bool overflow;
} PreBuilder;

static void pre_count(PreBuilder *b, size_t v) {
        if (b->len + 1 > sizeof b->buf || v > UINT8_MAX) {
                b->overflow = true;
                return;
        }
        b->buf[b->len++] = (char) v;
}

static void pre_string(PreBuilder *b, const char *s, size_t len) {
        if (b->len + len + 1 > sizeof b->buf || memchr(s, 0, len)) {
                b->overflow = true;
                return;
        }
        memcpy(b->buf + b->len, s, len);
        b->len += len;
        b->buf[b->len++] = 0;
}

static bool pre_holds(const char *pre, const char *s) {
        const char *p = pre;
        unsigned n_clauses = (unsigned char) *p++;
        for (unsigned c = 0; c < n_clauses; c++) {
                unsigned n_terms = (unsigned char) *p++;
                bool clause = false;
                for (unsigned t = 0; t < n_terms; t++) {
                        unsigned n_strings = (unsigned char) *p++;
                        bool term = !clause;
                        for (unsigned k = 0; k < n_strings; k++) {
                                if (term && !strstr(s, p))
                                        term = false;
                                p += strlen(p) + 1;
                        }
                        clause = clause || term;
                }
                if (!clause)
                        return false;
        }
        return true;
}

/* The ']' that closes the bracket expression starting at p ('['); a ']'
 * right after "[" or "[^" is a member, not the end. NULL when unclosed. */
static const char *bracket_end(const char *p) {
        p++;
        if (*p == '^')
                p++;
        if (*p == ']')
                p++;
        while (*p && *p != ']')
                p++;
        return *p ? p : NULL;
}

/* Walks a pattern from p over escapes and bracket expressions, counting
 * groups. group false: the end of the alternative that starts at p, the next
 * '|' outside groups (the end of the pattern when there is none); group
 * true: the ')' closing the group that starts at p ('('). NULL when a
 * bracket, or that group, is not closed. */
static const char *pattern_walk(const char *p, bool group) {
        int depth = 0;
        for (; *p; p++) {
                if (*p == '\\' && p[1])
                        p++;
                else if (*p == '[') {
                        p = bracket_end(p);
                        if (!p)
                                return NULL;
                } else if (*p == '(')
                        depth++;
                else if (*p == ')') {
                        if (--depth == 0 && group)
                                return p;
                } else if (*p == '|' && depth == 0 && !group)
                        return p;
        }
        return group ? NULL : p;
}

static const char *alternative_end(const char *p) {
        return pattern_walk(p, false);
}

/* The text pattern[0, n) matches when it has no special character (an
 * escaped one stands for itself), else NULL. Its matches are exactly the
 * occurrences of that text, and it has no groups. */
static char *re_literal_text(const char *pattern, size_t n) {
        static const char special[] = ".[]()*+?{}|\\^$";
        _cleanup_free_ char *text = malloc(n + 1);
        char *o = text;
        if (!text)
                return NULL;
        for (const char *p = pattern; p < pattern + n; p++) {
                if (*p == '\\') {
                        /* "\\." is a dot; "\\w", "\\<" ... are GNU operators */
                        if (p + 1 >= pattern + n || !strchr(special, p[1]))
                                return NULL;
                        p++;
                } else if (strchr(special, *p))
                        return NULL;
                *o++ = *p;
        }
        *o = 0;
        return o > text ? TAKE_PTR(text) : NULL;
}

/* The end of the group that starts at p ('('): its ')', or NULL. */
static const char *group_end(const char *p) {
        return pattern_walk(p, true);
}

/* Builds the pre-check of line_match(): text a match must contain.
 * - Alternatives at the top level: one of them holds all of its runs (no
 *   clause when one has no run: it could match without text).
 * - One alternative: all its runs; and of each group at the top level that
 *   no quantifier makes optional and whose alternatives are all text, one
 *   of them ("(Read|Write) of").
 * - A pattern that ends in text, then a bracket of blanks with '*', then
 *   '$' ("INFO:[ \t]*$"): the line less its trailing blanks ends with that
 *   text (r->tail, r->tail_class).
 * Leaves r->pre NULL (no pre-check) when nothing is found or out of memory. */
static void re_find_literals(Re *r, const char *pattern) {
        PreBuilder b = {};
        size_t n_clauses = 0;
        const char *alts[RE_PRE_ALTS + 1];
        size_t n_alts = 0;

        r->pre = NULL;
        r->tail = NULL;
        b.len = 1; /* the number of clauses, set at the end */
        for (const char *p = pattern;; p++) {
                const char *e = alternative_end(p);
                if (!e || n_alts == RE_PRE_ALTS)
                        return;
                alts[n_alts++] = p;
                if (!*e) {
                        alts[n_alts] = e + 1;
                        break;
                }
                p = e;
        }
        /* The runs, one term for each alternative */
        Run runs[RE_PRE_ALTS][RE_PRE_RUNS];
        size_t n_runs[RE_PRE_ALTS];
        bool every = true;
        for (size_t i = 0; i < n_alts; i++) {
                n_runs[i] = alternative_runs(alts[i], alts[i + 1] - 1, runs[i], RE_PRE_RUNS);
                every = every && n_runs[i] > 0;
        }
        if (every) {
                pre_count(&b, n_alts);
                for (size_t i = 0; i < n_alts; i++) {
                        pre_count(&b, n_runs[i]);
                        for (size_t k = 0; k < n_runs[i]; k++)
                                pre_string(&b, runs[i][k].s, runs[i][k].len);
                }
                n_clauses++;
        }
        if (n_alts == 1) {
                /* The groups of text */
                for (const char *p = pattern; *p; p++) {
                        if (*p == '\\' && p[1]) {
                                p++;
                                continue;
                        }
                        if (*p == '[') {
                                /* skip the bracket: "[^]a]" holds a ']' */
                                p = bracket_end(p);
                                if (!p)
                                        return;
                                continue;
                        }
                        if (*p != '(')
                                continue;
                        const char *close = group_end(p);
                        if (!close)
                                return;
                        bool text = !(close[1] == '*' || close[1] == '?' || close[1] == '{');
                        size_t n = 0;
                        for (const char *a = p + 1; text && a <= close; a++) {
                                const char *e = alternative_end(a);
                                if (!e || e > close)
                                        e = close;
                                _cleanup_free_ char *t = e > a ? re_literal_text(a, (size_t) (e - a)) : NULL;
                                text = t && n < RE_PRE_ALTS;
                                n++;
                                a = e;
                        }
                        if (text) {
                                pre_count(&b, n);
                                for (const char *a = p + 1; a <= close; a++) {
                                        const char *e = alternative_end(a);
                                        if (!e || e > close)
                                                e = close;
                                        _cleanup_free_ char *t = re_literal_text(a, (size_t) (e - a));
                                        if (!t) {
                                                b.overflow = true;
                                                break;
                                        }
                                        pre_count(&b, 1);
                                        pre_string(&b, t, strlen(t));
                                        a = e;
                                }
                                n_clauses++;
                        }
                        p = close;
                }
                /* "TEXT[ \t]*$" at the end */
                static const struct {
                        const char *end, *class;
                } blanks[] = { { "[ \t]*$", " \t" }, { "[\t ]*$", " \t" }, { " *$", " " } };
                size_t l = strlen(pattern);
                for (size_t i = 0; i < ELEMENTSOF(blanks); i++) {
                        size_t bl = strlen(blanks[i].end);
                        if (l <= bl || !streq(pattern + l - bl, blanks[i].end))
                                continue;
                        /* the text run before it, back to the last special character */
                        const char *end = pattern + l - bl, *start = end;
                        while (start > pattern && !strchr(".[]()*+?{}|\\^$", start[-1]))
                                start--;
                        /* a backslash before the run would escape its first character;
                         * a blank at its end would be taken for the trailing ones */
                        if (end == start || (start > pattern && start[-1] == '\\') || strchr(blanks[i].class, end[-1]))
                                break;
                        r->tail = strndup(start, (size_t) (end - start));
                        r->tail_class = blanks[i].class;
                        break;
                }
        }
        if (b.overflow || n_clauses == 0)
                return;
        b.buf[0] = (char) n_clauses;
        r->pre = malloc(b.len);
        if (r->pre)
                memcpy(r->pre, b.buf, b.len);
}

static int re_text_cmp(const void *a, const void *b) {
        return (int) (unsigned char) ((const ReText *) a)->text[0] - (int) (unsigned char) ((const ReText *) b)->text[0];
}

/* A match-only pattern matches where one of its alternatives matches.
 * Takes the alternatives that are text ("^" and "$" at their ends
 * anchor them) into r->alts and returns the others joined by '|' (the
 * regex still to compile), or NULL when all are text or nothing was
 * taken (one alternative, or out of memory: then the whole pattern is
 * the regex, and r->n_alts is 0). */
/* Drops what an earlier re_split_alternatives() made. */
void re_alternatives_free(Re *r) {
        for (size_t i = 0; i < r->n_alts; i++)
                free(r->alts[i].text);
        free(r->alts);
        free(r->alt_index);
        r->alts = NULL;
        r->alt_index = NULL;
        r->n_alts = 0;
        r->has_rest = false;
}

static char *re_split_alternatives(Re *r) {
        size_t n = 1;
        /* a retry after a failed regcomp() (formats_of_group() retries) splits again */
        re_alternatives_free(r);
        for (const char *p = r->pattern;; p++) {
                p = alternative_end(p);
                if (!p)
                        return NULL;
                if (!*p)
                        break;
                n++;
        }
        if (n < 2)
                return NULL;
        ReText *alts = calloc(n, sizeof *alts);
        _cleanup_free_ char *rest = malloc(strlen(r->pattern) + 1);
        size_t n_alts = 0, rest_len = 0;
        if (!alts || !rest) {
                free(alts);
                return NULL;
        }
        for (const char *p = r->pattern;; p++) {
                const char *end = alternative_end(p);
                const char *s = p, *e = end;
                bool at_start = s < e && *s == '^', at_end = false;
                if (at_start)
                        s++;
                /* "$" ends it unless escaped ("\\$" is a dollar) */
                if (e > s && e[-1] == '$' && !(e - s >= 2 && e[-2] == '\\')) {
                        e--;
                        at_end = true;
                }
                char *text = e > s ? re_literal_text(s, (size_t) (e - s)) : NULL;
                if (text)
                        alts[n_alts++] = (ReText) { text, strlen(text), at_start, at_end };
                else {
                        if (rest_len > 0)
                                rest[rest_len++] = '|';
                        memcpy(rest + rest_len, p, (size_t) (end - p));
                        rest_len += (size_t) (end - p);
                }
                if (!*end)
                        break;
                p = end;
        }
        rest[rest_len] = 0;
        /* By first byte, so that a line is compared only with the texts
         * that start with each of its bytes. */
        uint16_t *index = n_alts <= UINT16_MAX ? calloc(257, sizeof *index) : NULL;
        if (!index) {
                for (size_t i = 0; i < n_alts; i++)
                        free(alts[i].text);
                free(alts);
                return NULL;
        }
        qsort(alts, n_alts, sizeof *alts, re_text_cmp);
        for (size_t i = 0; i < n_alts; i++)
                index[(unsigned char) alts[i].text[0] + 1]++;
        for (size_t c = 1; c <= 256; c++)
                index[c] += index[c - 1];
        r->alts = alts;
        r->alt_index = index;
        r->n_alts = n_alts;
        r->has_rest = rest_len > 0;
        return r->has_rest ? TAKE_PTR(rest) : NULL;
}

/* Compiled once, by analyze_init() or at its group's first use
 * (formats_of_group()); a pattern is constant text of ours, so a failure is
 * a bug, reported as -EINVAL.
 * Patterns whose matches are only tested (skip rules, suppressions) are
 * compiled REG_NOSUB, which glibc matches faster. The patterns live as
 * long as the process (analyze_init() is once per process). */
int re_compile(Re *r, bool nosub) {
        if (!r->pattern || r->compiled)
                return 0;
        if (!strpbrk(r->pattern, ".[]()*+?{}|\\^$")) {
                r->text = r->pattern;
                r->compiled = true;
                return 0;
        }
        /* with escapes (NULL also when out of memory: then the regex serves) */
        r->text = re_literal_text(r->pattern, strlen(r->pattern));
        if (r->text) {
                r->compiled = true;
                return 0;
        }
        _cleanup_free_ char *rest = nosub ? re_split_alternatives(r) : NULL;
        if (r->n_alts > 0 && !r->has_rest) {
                r->compiled = true;
                return 0;
        }
        const char *pattern = rest ? rest : r->pattern;
        if (regcomp(&r->re, pattern, REG_EXTENDED | (nosub ? REG_NOSUB : 0)) != 0)
                return -EINVAL;
        re_find_literals(r, pattern);
        r->compiled = true;
        return 0;
}

/* The number of groups of the pattern. */
size_t re_groups(const Re *r) {
        return r->compiled && !r->text && (r->n_alts == 0 || r->has_rest) ? r->re.re_nsub : 0;
}

/* Whether one of the text alternatives is in s, where its anchors allow. */
static bool re_texts_in(const Re *r, const char *s) {
        size_t n = strlen(s);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                for (size_t k = r->alt_index[c]; k < r->alt_index[c + 1]; k++) {
                        const ReText *t = &r->alts[k];
                        if ((t->at_start && i > 0) || t->len > n - i || (t->at_end && i + t->len != n))
                                continue;
                        if (memcmp(s + i, t->text, t->len) == 0)
                                return true;
                }
        }
        return false;
}

/* Matches a NUL-terminated line; m gets up to nm groups. A line that holds
 * none of the pattern's literals cannot match: most lines are refused by
 * strstr() before the regex engine runs, which is faster and keeps glibc's
 * per-pattern DFA caches small. POSIX makes regexec() thread-safe (glibc
 * locks the pattern's cache), so threads share the compiled patterns. */
bool line_match(const Re *r, const char *s, regmatch_t *m, size_t nm) {
        if (!r->compiled)
                return false;
        if (r->text) {
                /* the leftmost match of a literal pattern is its first occurrence */
                const char *p = strstr(s, r->text);
                if (!p)
                        return false;
                for (size_t i = 0; i < nm; i++)
                        m[i] = i == 0 ? (regmatch_t) { .rm_so = p - s, .rm_eo = (regoff_t) (p - s + strlen(r->text)) }
                                      : (regmatch_t) { .rm_so = -1, .rm_eo = -1 };
                return true;
        }
        if (r->n_alts > 0 && re_texts_in(r, s))
                return true;
        if (r->n_alts > 0 && !r->has_rest)
                return false;
        if (r->pre && !pre_holds(r->pre, s))
                return false;
        if (r->tail) {
                size_t l = strlen(s), tl = strlen(r->tail);
                while (l > 0 && strchr(r->tail_class, s[l - 1]))
                        l--;
                if (l < tl || memcmp(s + l - tl, r->tail, tl) != 0)
                        return false;
        }
        return regexec(&r->re, s, nm, m, 0) == 0;
}

/* ------------------------------------------------------------------------ */
/* Oops headers (§3) */



static const char *const bug_suppress[] = { "ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:",
                                            "BUG: no syscalls can create resource", NULL };
static const char *const warning_suppress[] = {
        "WARNING: /etc/ssh/moduli does not exist", "WARNING: workqueue cpumask: online intersect > possible intersect",
        "WARNING: Unsupported flag value(s) of 0x", "WARNING: Unprivileged eBPF is enabled with eIBRS",
        "WARNING: kernel not compiled with CPU_SRSO", "EXT4-FS:", NULL
};
static Re warning_suppress_re = {
        "WARNING: [Tt]he mand mount option|WARNING: fbcon: Driver '.*' missed to adjust virtual screen size|"
        "WARNING: See https.* for mitigation options\\.|EXT4-fs \\(.*\\):|[Ww][Aa][Rr][Nn][Ii][Nn][Gg]: .* uses "
        "(deprecated v2 capabilities|wireless extensions)|XFS \\(.*\\): WARNING"
};
static const char *const info_suppress[] = { "INFO: lockdep is turned off", "INFO: Stall ended before state dump start",
                                             "INFO: NMI handler", "INFO: recovery required on readonly filesystem",
                                             "INFO: no syscalls can create resource", "rmt_storage:INFO:", "_INFO:",
                                             NULL };
static Re info_suppress_re = { "(handler|interrupt).*took too long|INFO: sys_.* is not present in /proc/kallsyms" };
static Re gpf_suppress_re = { "general protection fault.*error:[0-9]+ in " };
static const char *const boot_suppress[] = { "Parsing ELF", "Decompressing Linux", "Unknown parameter '", NULL };
static const char *const gofatal_suppress[] = { "ALSA", "fatal error: cannot create timer", NULL };
static const char *const gopanic_suppress[] = { "_panic:", "xlog_status:", "ddb.onpanic:", "evtlog_status:", NULL };

const Header headers[_G_MAX] = {
        { G_BUG, "BUG:", bug_suppress, NULL },
        { G_WARNING, "WARNING:", warning_suppress, &warning_suppress_re },
        { G_INFO, "INFO:", info_suppress, &info_suppress_re },
        { G_UNABLE, "Unable to handle kernel", NULL, NULL },
        { G_GPF, "general protection fault", NULL, &gpf_suppress_re },
        { G_STACKSEG, "stack segment: ", NULL, NULL },
        { G_PANIC, "Kernel panic", NULL, NULL },
        { G_DOUBLEFAULT, "PANIC: double fault", NULL, NULL },
        { G_RUST, "rust_kernel: panicked", NULL, NULL },
        { G_KBUG, "kernel BUG", NULL, NULL },
        { G_KBUG2, "Kernel BUG", NULL, NULL },
        { G_KMALLOC, "BUG kmalloc-", NULL, NULL },
        { G_DIVIDE, "divide error:", NULL, NULL },
        { G_DIVIDE2, "divide_error:", NULL, NULL },
        { G_INVOP, "invalid opcode:", NULL, NULL },
        { G_INT3, "int3:", NULL, NULL },
        { G_UBSAN, "UBSAN:", NULL, NULL },
        { G_BOOT, "Booting the kernel.", boot_suppress, NULL },
        { G_NETDEV, "unregister_netdevice: waiting for", NULL, NULL },
        { G_VFSCLOSE, "VFS: Close: file count is 0", NULL, NULL },
        { G_VFSBUSY, "VFS: Busy inodes after unmount", NULL, NULL },
        { G_INTERNAL, "Internal error:", NULL, NULL },
        { G_UNHANDLED, "Unhandled fault:", NULL, NULL },
        { G_ALIGN, "Alignment trap:", NULL, NULL },
        { G_TRUSTY, "trusty: panic", NULL, NULL },
        { G_GOFATAL, "fatal error:", gofatal_suppress, NULL },
        { G_SYZFAIL, "SYZFAIL:", NULL, NULL },
        { G_SYZFATAL, "SYZFATAL:", NULL, NULL },
        { G_GOPANIC, "panic:", gopanic_suppress, NULL },
};

/* A line whose message starts with a task's name, which user space
 * chooses (a process named "WARNING: x" that segfaults makes the kernel
 * print "WARNING: x[42]: segfault at ..."): never a header. The message
 * follows the printk prefixes "[   12.345678]" and "[    T1]". */
static bool line_names_task(const char *s, size_t n) {
        size_t i = 0;
        for (unsigned k = 0; k < 2; k++) {
                while (i < n && s[i] == ' ')
                        i++;
                if (i >= n || s[i] != '[')
                        break;
                const char *close = memchr(s + i, ']', n - i);
                if (!close || close - (s + i) > 24)
                        break;
                size_t j = i + 1;
                while (j < (size_t) (close - s) && (s[j] == ' ' || s[j] == '.' || s[j] == 'T' || s[j] == 'C' ||
                                                      (s[j] >= '0' && s[j] <= '9')))
                        j++;
                if (j != (size_t) (close - s))
                        break; /* not a timestamp or caller id */
                i = j + 1;
        }
        while (i < n && s[i] == ' ')
                i++;
        return kmsg_names_task(s + i, n - i);
}

const Header *line_header(const char *s, size_t n, uint64_t may) {
        for (size_t i = 0; i < ELEMENTSOF(headers); i++) {
                const Header *h = &headers[i];
                if (!(may & (UINT64_C(1) << i)) || !span_has(s, n, h->needle))
                        continue;
                bool suppressed = false;
                for (const char *const *x = h->suppress_substr; x && *x && !suppressed; x++)
                        suppressed = span_has(s, n, *x);
                if (!suppressed && h->suppress_re) {
                        char buf[MAX_LINE + 1];
                        size_t l = MIN(n, (size_t) MAX_LINE);
                        memcpy(buf, s, l);
                        buf[l] = 0;
                        suppressed = line_match(h->suppress_re, buf, NULL, 0);
                }
                if (!suppressed && !line_names_task(s, n))
                        return h;
        }
        return NULL;
}
/* ------------------------------------------------------------------------ */
/* Formats (§5) */




#define IDENT "([A-Za-z0-9_.]+)"

static const Format bug_formats[] = {
        { "BUG: KASAN:", { "BUG: KASAN: ([a-z\\-]+) in ([A-Za-z0-9_]+)", "(Read|Write) (of size|at addr)" },
          "KASAN: %1 %3 in %F", "bad-access in %F", R_HDR_CT, NULL, "kernel_fault|tag_check|mem_abort|^el1_|^el1h_", 0 },
        { "BUG: KASAN:", { "BUG: KASAN: (double-free or invalid-free|double-free|invalid-free) in ([A-Za-z0-9_]+)" },
          "KASAN: invalid-free in %F", "invalid-free in %F", R_HDR_CT, NULL,
          "kernel_fault|tag_check|mem_abort|^el1_|^el1h_|slab_|kfree|vunmap|vfree", 0 },
        { "BUG: KASAN: ([a-z\\-]+) on address", { "BUG: KASAN: ([a-z\\-]+) on address", "(Read|Write) of size" },
          "KASAN: %1 %2", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: KASAN: (.*)", {}, "KASAN: %1", NULL, R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
        { "BUG: KMSAN: kernel-usb-infoleak", { "BUG: KMSAN: kernel-usb-infoleak in ([A-Za-z0-9_]+)" },
          "KMSAN: kernel-usb-infoleak in %F", NULL, R_NEXT, NULL,
          "alloc_skb|usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg", F_NOSTACK },
        { "BUG: KMSAN:", { "BUG: KMSAN: ([a-z\\-]+) in ([A-Za-z0-9_]+)" }, "KMSAN: %1 in %F", "bad-access in %F",
          R_NEXT, NULL, "alloc_skb|netlink_ack|netlink_rcv_skb|_encrypt$|^crypto_|^cipher_|^drbg_|^rng_", F_NOSTACK },
        { "BUG: KCSAN: (data-race.*)", {}, "KCSAN: %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: KCSAN: (.*)", {}, "KCSAN: %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in ([A-Za-z0-9_]+)", {},
          "KFENCE: %1 %2 in %F", "bad-access in %F", R_HDR_NEXT, NULL, NULL, 0 },
        { "BUG: KFENCE: invalid free in ([A-Za-z0-9_]+)", {}, "KFENCE: invalid free in %F", "invalid-free in %F",
          R_HDR_NEXT, NULL, NULL, F_NOSTACK },
        { "BUG: KFENCE: invalid (read|write) in ([A-Za-z0-9_]+)", {}, "KFENCE: invalid %1 in %F", "bad-access in %F",
          R_HDR_NEXT, NULL, NULL, 0 },
        { "BUG: KFENCE: memory corruption in ([A-Za-z0-9_]+)", {}, "KFENCE: memory corruption in %F", NULL,
          R_HDR_NEXT, NULL, NULL, F_NOSTACK },
        { "BUG: unable to handle kernel paging request|BUG: unable to handle page fault for address|"
          "BUG: Unable to handle kernel data access",
          {}, "BUG: unable to handle kernel paging request in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
        { "BUG: unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|"
          "Kernel NULL pointer dereference",
          {}, "BUG: unable to handle kernel NULL pointer dereference in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
        { "BUG: [Uu]nable to handle kernel", {}, "BUG: unable to handle kernel", NULL, R_NONE, NULL, NULL,
          F_CORRUPTED | F_NOSTACK },
        { "BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|"
          "wrong CPU|trylock failure on UP)",
          {}, "BUG: %1 %2 in %F", NULL, R_CT, NULL, "spin_|_lock|_unlock", 0 },
        { "BUG: soft lockup", {}, "BUG: soft lockup in %F", "stall in %F", R_RIP_CT, NULL, NULL, F_STALL },
        { "BUG: .*still has locks held!", { "still has locks held", "PC +([A-Za-z0-9_]+)|\\] ([A-Za-z0-9_]+)[+.]" },
          "BUG: still has locks held in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: scheduling while atomic", {}, "BUG: scheduling while atomic in %F", NULL, R_CT, NULL, "schedule", 0 },
        { "BUG: lock held when returning to user space",
          { "lock held when returning", "leaving the kernel with locks still held", AT_IDENT },
          "BUG: lock held when returning to user space in %2", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: bad unlock balance detected!", {}, "BUG: bad unlock balance in %F", NULL, R_MARKER,
          "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]", NULL, 0 },
        { "BUG: held lock freed!", { "held lock freed", "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]" },
          "BUG: held lock freed in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: Bad rss-counter state", {}, "BUG: Bad rss-counter state", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: non-zero (nr_ptes|nr_pmds) on freeing mm", {}, "BUG: non-zero %1 on freeing mm", NULL, R_NONE, NULL, NULL,
          F_NOSTACK },
        { "BUG: Dentry .* still in use", { "still in use \\([0-9]+\\) \\[unmount of ([^]]+)\\]" },
          "BUG: Dentry still in use in unmount", "BUG: Dentry still in use [unmount of %1]", R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: Bad page (state|cache)", {}, "BUG: Bad page %1 in %F", NULL, R_MARKER, "page last allocated",
          "(free|put|get|update|release)_page|free_unref|^_*folio|truncate_inode_pages|page_frag_free|alloc|vmap|"
          "page_owner",
          0 },
        { "BUG: Bad page map", {}, "BUG: Bad page map", NULL, R_NONE, NULL, NULL, 0 },
        { "BUG: workqueue lockup", {}, "BUG: workqueue lockup", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: sleeping function called from invalid context at", {},
          "BUG: sleeping function called from invalid context in %F", NULL, R_CT, NULL, NULL, 0 },
        { "BUG: using ([a-z_]+)\\(\\) in preemptible", {}, "BUG: using %1() in preemptible code in %F", NULL, R_CT, NULL,
          "dump_stack|preemption|preempt|debug_|processor_id|this_cpu", 0 },
        { "BUG: workqueue leaked lock or atomic", { "leaked lock", "last function: ([A-Za-z0-9_]+)" },
          "BUG: workqueue leaked lock or atomic in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "BUG: memory leak", {}, "memory leak in %F", NULL, R_MARKER, " backtrace( \\(crc [0-9a-f]+\\))?:",
          "kmemleak|mmap|kmem|slab|alloc|create_object|idr_get|list_lru_init|kasprintf|kvasprintf|pcpu_create|"
          "strdup|strndup|memdup",
          0 },
        { "BUG: .*stack guard page was hit at", {}, "BUG: stack guard page was hit in %F", "stack-overflow in %F",
          R_RIP_CT, NULL, NULL, F_STALL },
        { "BUG: Invalid wait context", {}, "WARNING: locking bug in %F", NULL, R_CT, NULL, "lock_sock|release_sock", 0 },
        { "BUG:[ \t]*$", {}, "BUG: corrupted", NULL, R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
};

#define SRC "[A-Za-z0-9_./\\-]+\\.[a-z]+:[0-9]+"

static const Format warning_formats[] = {
        { "WARNING: .*lib/debugobjects\\.c.* (debug_print|debug_check|at)", {}, "WARNING: ODEBUG bug in %F", NULL,
          R_WARN, NULL,
          "debug_|rcu|hrtimer_|timer_|work_|percpu_|vunmap|vfree|__free_|debug_check|kobject_", 0 },
        { "WARNING: .*mm/usercopy\\.c.* (usercopy_warn|at)", {}, "WARNING: bad usercopy in %F", NULL, R_WARN, NULL,
          "usercopy|__check", 0 },
        { "WARNING: .*lib/kobject\\.c.* (kobject_|at)", {}, "WARNING: kobject bug in %F", NULL, R_WARN, NULL,
          "kobject_", 0 },
        { "WARNING: .*fs/proc/generic\\.c.* (proc_register|at)", {}, "WARNING: proc registration bug in %F", NULL,
          R_WARN, NULL, "proc_", 0 },
        { "WARNING: .*lib/refcount\\.c.* (refcount_|at)", {}, "WARNING: refcount bug in %F", NULL, R_WARN, NULL,
          "refcount|kobject_", 0 },
        { "WARNING: .*kernel/locking/lockdep\\.c.*lock_", {}, "WARNING: locking bug in %F", NULL, R_WARN, NULL,
          "lock_sock|release_sock", 0 },
        { "WARNING: .*still has locks held!", { "still has locks held", "at: ([A-Za-z0-9_]+)" },
          "WARNING: still has locks held in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: Nested lock was not taken", {}, "WARNING: nested lock was not taken in %F", NULL, R_WARN, NULL, NULL, 0 },
        { "WARNING: lock held when returning to user space",
          { "lock held when returning", "leaving the kernel with locks still held", AT_IDENT },
          "WARNING: lock held when returning to user space in %2", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: .*mm/[a-z_]+\\.c.* k?.?malloc|WARNING: .*mm/[a-z_]+\\.c.* kvmalloc", {},
          "WARNING: kmalloc bug in %F", NULL, R_WARN, NULL, "kmalloc|krealloc|slab|kmem", 0 },
        { "WARNING: .*mm/vmalloc\\.c.*__vmalloc_node", {}, "WARNING: zero-size vmalloc in %F", NULL, R_WARN, NULL, NULL, 0 },
        { "WARNING: .* usb_submit_urb", {}, "WARNING in %F/usb_submit_urb", NULL, R_WARN, NULL,
          "usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg", 0 },
        { "WARNING: " SRC " at 0x[0-9a-f]+, CPU#[0-9]+", {}, "WARNING in %F", NULL, R_WARN, NULL, NULL, 0 },
        { "WARNING: .* at " SRC " [A-Za-z0-9_]+", {}, "WARNING in %F", NULL, R_WARN, NULL, NULL, 0 },
        { "WARNING: (\\[.*\\] )?" SRC " at [A-Za-z0-9_]+", {}, "WARNING in %F", NULL, R_WARN, NULL, NULL, 0 },
        { "WARNING: possible circular locking dependency detected", { "circular locking", "is trying to acquire lock" },
          "possible deadlock in %F", NULL, R_AT2, NULL, "process_one_work|flush_workqueue|drain_workqueue|destroy_workqueue",
          0 },
        { "WARNING: possible irq lock inversion dependency detected",
          { "irq lock inversion", "just changed the state of lock", AT_IDENT }, "possible deadlock in %2", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: [A-Z_]+-safe -> [A-Z_]+-unsafe lock order detected", {}, "possible deadlock in %F", NULL, R_MARKER,
          "which became .* at:", NULL, 0 },
        { "WARNING: possible recursive locking detected",
          { "recursive locking", "is trying to acquire lock", AT_IDENT }, "possible deadlock in %2", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: inconsistent lock state", { "inconsistent lock state", "takes", AT_IDENT },
          "inconsistent lock state in %F", NULL, R_CT, NULL, NULL, 0 },
        { "WARNING: suspicious RCU usage", { "suspicious RCU usage", SRC }, "WARNING: suspicious RCU usage in %F",
          NULL, R_CT, NULL, "rcu|kmem|slab", 0 },
        { "WARNING: kernel stack regs at [0-9a-f]+ in [^ ]+ has bad '([^']+)' value", {},
          "WARNING: kernel stack regs has bad '%1' value", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]+ has bad value", {},
          "WARNING: kernel stack frame pointer has bad value", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: bad unlock balance detected!", {}, "WARNING: bad unlock balance in %F", NULL, R_MARKER,
          "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]", NULL, 0 },
        { "WARNING: held lock freed!", { "held lock freed", "at:( \\[<[0-9a-fx]+>\\])? +([A-Za-z0-9_]+)" },
          "WARNING: held lock freed in %2", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: kernel stack regs .* has bad 'bp' value", {}, "WARNING: kernel stack regs has bad value", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING: kernel stack frame pointer .* has bad value", {}, "WARNING: kernel stack regs has bad value", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "WARNING:[ \t]*$", {}, "WARNING: corrupted", NULL, R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
};

static const Format info_formats[] = {
        { "INFO: possible circular locking dependency detected \\]",
          { "circular locking", "is trying to acquire lock", "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" },
          "possible deadlock in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "INFO: possible irq lock inversion dependency detected \\]",
          { "irq lock inversion", "just changed the state of lock", "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" },
          "possible deadlock in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \\]",
          { "lock order detected", "is trying to acquire", "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" },
          "possible deadlock in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "INFO: possible recursive locking detected \\]",
          { "recursive locking", "is trying to acquire lock", "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" },
          "possible deadlock in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "INFO: inconsistent lock state \\]",
          { "inconsistent lock state", "takes", "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" },
          "inconsistent lock state in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "INFO: rcu_(preempt|sched|bh|tasks) (self-)?detected (expedited )?stall", {}, "INFO: rcu detected stall in %F",
          "stall in %F", R_RCU, NULL, "apic_timer_interrupt|rcu", F_STALL },
        { "INFO: trying to register non-static key", {}, "INFO: trying to register non-static key in %F", NULL, R_CT,
          NULL, "stack|lock|IRQ", 0 },
        { "INFO: suspicious RCU usage", { "suspicious RCU usage", SRC }, "INFO: suspicious RCU usage in %F", NULL,
          R_CT, NULL, "rcu|kmem|slab", 0 },
        { "INFO: task .* blocked (in I/O wait )?for more than [0-9]+ seconds", {}, "INFO: task hung in %F",
          "hang in %F", R_CT, NULL, NULL, F_HANG },
        { "INFO: task .* can't die for more than .* seconds", {}, "INFO: task can't die in %F", "hang in %F", R_CT, NULL,
          "schedule", 0 },
        { "INFO: (Freed|Allocated) in (.*)", {}, "INFO: %1 in %2", NULL, R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
        { "INFO:[ \t]*$", {}, "INFO: corrupted", NULL, R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
};

static const Format unable_formats[] = {
        { "Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)", {},
          "BUG: unable to handle kernel %1 in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
};
static const Format gpf_formats[] = {
        { "general protection fault.*:", {}, "general protection fault in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
};
static const Format stackseg_formats[] = {
        { "stack segment: ", {}, "stack segment fault in %F", NULL, R_RIP_CT, NULL, NULL, 0 },
};
static const Format panic_formats[] = {
        { "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ([A-Za-z_][A-Za-z0-9_]*)\\+", {},
          "kernel panic: stack is corrupted in %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [0-9a-fx]+", {},
          "kernel panic: stack is corrupted in %F", NULL, R_CT, NULL, "stack_chk", 0 },
        { "Kernel panic - not syncing: corrupted stack end detected inside scheduler", {},
          "kernel panic: corrupted stack end in %F", "stack-overflow in %F", R_CT, NULL, "schedule|retint_kernel",
          F_STALL },
        { "Kernel panic - not syncing: kernel stack overflow", {}, "kernel stack overflow in %F", "stack-overflow in %F",
          R_CT, NULL, "bad_stack", F_STALL },
        { "Kernel panic - not syncing: Attempted to kill init!", {}, "kernel panic: Attempted to kill init!", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+", {},
          "kernel panic: Couldn't open N_TTY ldisc", NULL, R_NONE, NULL, NULL, F_NOSTACK },
        { "Kernel panic - not syncing: Fatal exception", {}, "kernel panic: Fatal exception", NULL, R_NONE, NULL, NULL,
          F_CORRUPTED | F_NOSTACK },
        { "Kernel panic - not syncing: panic_on_warn set", {}, "kernel panic: panic_on_warn set", NULL, R_NONE, NULL, NULL,
          F_CORRUPTED | F_NOSTACK },
        { "Kernel panic - not syncing: hung_task: blocked tasks", {}, "kernel panic: hung_task: blocked tasks", NULL,
          R_NONE, NULL, NULL, F_CORRUPTED | F_NOSTACK },
        { "Kernel panic - not syncing: (.*)", {}, "kernel panic: %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format doublefault_formats[] = {
        { "PANIC: double fault", {}, "PANIC: double fault in %F", NULL, R_RIP, NULL, NULL, 0 },
};
static const Format kbug_formats[] = {
        { "kernel BUG at mm/usercopy\\.c", {}, "BUG: bad usercopy in %F", NULL, R_CT, NULL, "usercopy|__check", 0 },
        { "kernel BUG at lib/list_debug\\.c", {}, "BUG: corrupted list in %F", "bad-access in %F", R_CT, NULL, NULL, 0 },
        { "kernel BUG at ", {}, "kernel BUG in %F", NULL, R_RIP_CT, NULL, "^skb_", 0 },
};
static const Format kbug2_formats[] = {
        { "Kernel BUG (.*)", {}, "kernel BUG %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format kmalloc_formats[] = {
        { "BUG kmalloc-.*: Object already free", {}, "BUG: Object already free", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format divide_formats[] = {
        { "divide(_| )error: ", {}, "divide error in %F", NULL, R_RIP, NULL, NULL, 0 },
};
static const Format invop_formats[] = {
        { "invalid opcode: ", {}, "invalid opcode in %F", NULL, R_RIP, NULL, NULL, 0 },
};
static const Format int3_formats[] = {
        { "int3: ", {}, "int3 in %F", NULL, R_RIP_CT, NULL, NULL, 0 },
};
static const Format ubsan_formats[] = {
        { "UBSAN: Undefined behaviour in", {}, "UBSAN: undefined-behaviour in %F", NULL, R_CT, NULL, "ubsan|overflow", 0 },
        { "UBSAN: array-index-out-of-bounds in", {}, "UBSAN: array-index-out-of-bounds in %F", "bad-access in %F", R_CT,
          NULL, "ubsan|overflow", 0 },
        { "UBSAN: ([a-z0-9\\-]+) in", {}, "UBSAN: %1 in %F", NULL, R_CT, NULL, "ubsan|overflow", 0 },
};
static const Format boot_formats[] = {
        { "^Booting the kernel", {}, "unexpected kernel reboot", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format netdev_formats[] = {
        { "unregister_netdevice: waiting for .* to become free", {},
          "unregister_netdevice: waiting for DEV to become free", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format vfsclose_formats[] = {
        { "VFS: Close: file count is 0", {}, "VFS: Close: file count is zero (use-after-free)", NULL, R_NONE, NULL, NULL,
          F_NOSTACK },
};
static const Format vfsbusy_formats[] = {
        { "VFS: Busy inodes after unmount", {}, "VFS: Busy inodes after unmount (use-after-free)", NULL, R_NONE, NULL, NULL,
          F_NOSTACK },
};
static const Format internal_formats[] = {
        { "Internal error:", {}, "Internal error in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
};
static const Format unhandled_formats[] = {
        { "Unhandled fault:", {}, "Unhandled fault in %F", "bad-access in %F", R_RIP_CT, NULL, NULL, 0 },
};
static const Format align_formats[] = {
        { "Alignment trap:", {}, "Alignment trap in %F", NULL, R_RIP_CT, NULL, NULL, 0 },
};
static const Format trusty_formats[] = {
        { "trusty: panic \\(.*\\):( DEBUG)? ASSERT FAILED at \\(.*\\): (.*)", {}, "trusty: ASSERT FAILED: %2", NULL,
          R_NONE, NULL, NULL, F_NOSTACK },
        { "trusty: panic.*ASSERT FAILED.*: (.*)", {}, "trusty: ASSERT FAILED: %1", NULL, R_NONE, NULL, NULL,
          F_NOSTACK | F_CORRUPTED },
        { "trusty: panic \\([^)]*\\): (.*)", {}, "trusty: panic: %1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format gofatal_formats[] = {
        { "fatal error:", {}, "go runtime error", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format syzfail_formats[] = {
        { "SYZFAIL:(.*)", {}, "SYZFAIL:%1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format syzfatal_formats[] = {
        { "SYZFATAL:(.*)", {}, "SYZFATAL:%1", "SYZFATAL", R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format gopanic_formats[] = {
        { "panic: Sentry detected .* stuck task", {}, "panic: Sentry detected stuck tasks", NULL, R_NONE, NULL, NULL,
          F_NOSTACK },
        { "panic:(.*)", {}, "panic:%1", NULL, R_NONE, NULL, NULL, F_NOSTACK },
};
static const Format rust_formats[] = {
        { "rust_kernel: panicked", {}, "%N in %F", NULL, R_CT, NULL, "__rustc::rust_begin_unwind", 0 },
};

static const struct {
        const Format *formats;
        size_t n;
} groups[_G_MAX] = {
#define G(g, f) [g] = { f, ELEMENTSOF(f) }
        G(G_BUG, bug_formats), G(G_WARNING, warning_formats), G(G_INFO, info_formats), G(G_UNABLE, unable_formats),
        G(G_GPF, gpf_formats), G(G_STACKSEG, stackseg_formats), G(G_PANIC, panic_formats),
        G(G_DOUBLEFAULT, doublefault_formats), G(G_RUST, rust_formats), G(G_KBUG, kbug_formats),
        G(G_KBUG2, kbug2_formats), G(G_KMALLOC, kmalloc_formats), G(G_DIVIDE, divide_formats),
        G(G_DIVIDE2, divide_formats), G(G_INVOP, invop_formats), G(G_INT3, int3_formats), G(G_UBSAN, ubsan_formats),
        G(G_BOOT, boot_formats), G(G_NETDEV, netdev_formats), G(G_VFSCLOSE, vfsclose_formats),
        G(G_VFSBUSY, vfsbusy_formats), G(G_INTERNAL, internal_formats), G(G_UNHANDLED, unhandled_formats),
        G(G_ALIGN, align_formats), G(G_TRUSTY, trusty_formats), G(G_GOFATAL, gofatal_formats),
        G(G_SYZFAIL, syzfail_formats), G(G_SYZFATAL, syzfatal_formats), G(G_GOPANIC, gopanic_formats),
#undef G
};

void caps_done(Caps *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i]);
        c->n = 0;
}

void caps_add_match(Caps *c, const char *s, const regmatch_t *m, size_t nm, const Re *r) {
        /* Only the groups the pattern has, so later captures keep their numbers. */
        if (r && r->compiled)
                nm = MIN(nm, re_groups(r) + 1);
        for (size_t i = 1; i < nm && c->n < ELEMENTSOF(c->v); i++) {
                if (m[i].rm_so < 0) {
                        c->v[c->n++] = NULL;
                        continue;
                }
                c->v[c->n++] = strndup(s + m[i].rm_so, (size_t) (m[i].rm_eo - m[i].rm_so));
        }
}

/* Headers that follow a crash rather than start one: the panic an oops
 * ends in, the "invalid opcode" line of a BUG(), ... may as for
 * line_header(): each followup holds the needle of its header, so one
 * whose header's bit is clear is not on the line. */
bool header_is_followup(const char *raw, size_t raw_len, uint64_t may) {
        static const struct {
                const char *text;
                Group group;
        } followups[] = {
                { "invalid opcode: 0000", G_INVOP },
                { "Kernel panic - not syncing", G_PANIC },
                { "unregister_netdevice: waiting for", G_NETDEV },
                { "PANIC: double fault", G_DOUBLEFAULT },
                { "Internal error:", G_INTERNAL },
        };
        size_t n = MIN(raw_len, (size_t) MAX_LINE);
        for (size_t i = 0; i < ELEMENTSOF(followups); i++)
                if ((may & (UINT64_C(1) << followups[i].group)) && span_has(raw, n, followups[i].text))
                        return true;
        return false;
}

/* A line that ends the title text of the crash before it (§4). */
bool is_second_crash(const char *raw, size_t raw_len, uint64_t may) {
        size_t n = MIN(raw_len, (size_t) MAX_LINE);
        if (span_has(raw, n, "vmalloc: allocation failure:") || span_has(raw, n, "FAULT_INJECTION: forcing a failure") ||
            span_has(raw, n, "FAULT_FLAG_ALLOW_RETRY missing"))
                return true;
        return line_header(raw, n, may) && !header_is_followup(raw, n, may);
}

/* Checks req[1..] on lines after `at` in order; appends their captures
 * to caps unless it is NULL. */
bool check_later(const FormatRe *f, const Report *rep, size_t at, Caps *caps) {
        size_t pos = at + 1;
        for (size_t k = 1; k < ELEMENTSOF(f->req) && f->req[k].pattern; k++) {
                bool found = false;
                for (; pos < rep->n_full; pos++) {
                        regmatch_t m[4];
                        if (line_match(&f->req[k], rep->lines[pos], m, caps ? 4 : 0)) {
                                if (caps)
                                        caps_add_match(caps, rep->lines[pos], m, 4, &f->req[k]);
                                found = true;
                                pos++;
                                break;
                        }
                }
                if (!found)
                        return false;
        }
        return true;
}

/* A group's patterns are compiled at its first use: a log needs the
 * formats of the few kinds of crash it holds, and compiling all 29 groups'
 * patterns in analyze_init() was a third of the collector's instructions
 * on one real panic record (6.8 M of 21.8 M, callgrind). The compiled
 * formats (FormatRe) are allocated then, not kept in the tables (see
 * Format), and live as long as the process, like the patterns in them.
 * Compiled under one lock; read without it once a group's state says
 * compiled. A failure is not remembered: a later call compiles what is left
 * (the allocation is kept, re_compile() skips what is done). G_DIVIDE and
 * G_DIVIDE2 share their table, each compiles its own. */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool group_compiled[_G_MAX];
/* written under compile_lock; read after group_compiled[g] says compiled */
static FormatRe *group_formats[_G_MAX];

static int group_compile(Group g) {
        FormatRe *compiled = group_formats[g];
        if (!compiled) {
                compiled = calloc(groups[g].n, sizeof *compiled);
                if (!compiled)
                        return -ENOMEM;
                for (size_t k = 0; k < groups[g].n; k++) {
                        const Format *f = &groups[g].formats[k];
                        FormatRe *c = &compiled[k];
                        c->def = f;
                        c->title.pattern = f->title;
                        for (size_t i = 0; i < ELEMENTSOF(c->req); i++)
                                c->req[i].pattern = f->req[i];
                        c->marker.pattern = f->marker;
                        c->skip.pattern = f->skip;
                }
                group_formats[g] = compiled;
        }
        for (size_t k = 0; k < groups[g].n; k++) {
                FormatRe *c = &compiled[k];
                Re *all[] = { &c->title, &c->req[0], &c->req[1], &c->req[2], &c->marker, &c->skip };
                for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                        int r = re_compile(all[i], /* nosub= */ all[i] == &c->skip);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int formats_of_group(Group g, const FormatRe **ret_formats, size_t *ret_n) {
        if ((unsigned) g >= _G_MAX)
                return -EINVAL;
        if (!atomic_load_explicit(&group_compiled[g], memory_order_acquire)) {
                pthread_mutex_lock(&compile_lock);
                int r = atomic_load_explicit(&group_compiled[g], memory_order_relaxed) ? 0 : group_compile(g);
                if (r >= 0)
                        atomic_store_explicit(&group_compiled[g], true, memory_order_release);
                pthread_mutex_unlock(&compile_lock);
                if (r < 0)
                        return r;
        }
        *ret_formats = group_formats[g];
        *ret_n = groups[g].n;
        return 0;
}

int formats_init(void) {
        int r;
        for (size_t i = 0; i < ELEMENTSOF(headers); i++)
                if (headers[i].suppress_re && (r = re_compile(headers[i].suppress_re, /* nosub= */ true)) < 0)
                        return r;
        for (size_t g = 0; g < _G_MAX; g++)
                if (groups[g].n > MAX_GROUP_FORMATS)
                        return -EINVAL;
        return 0;
}
