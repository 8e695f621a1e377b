/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <stdint.h>

#include "analyze-internal.h"
#include "analyze-json.h"
#include "analyze.h"
#include "fileio.h"
#include "hash.h"
#include "tests.h"

/* ---- the public syzkaller corpus, read as its README says ---- */

/* Pass counts on tests/fixtures/oops-corpus/linux. These are floors: they
 * may only rise. Raise them when the analyzer gets better. */
#define FLOOR_TITLE 452     /* of 461 crash files: title == TITLE or an ALT */
#define FLOOR_DETECT 486    /* of 486: crash found / not found */
#define FLOOR_TYPE 428      /* of 429 files with a TYPE */
#define FLOOR_CORRUPTED 449 /* of 461 */
#define TOTAL_FRAME 432       /* crash files with an expected frame (README "FRAME:") */
#define FLOOR_FRAME 425       /* of those: frame == the expected one */

typedef struct CorpusFile {
        char *title;
        char **alts;
        size_t n_alts;
        char *type;
        char *frame; /* FRAME: header, if any */
        bool corrupted;
        const char *log;
        size_t log_size;
        char *data;
} CorpusFile;

static void corpus_file_done(CorpusFile *f) {
        free(f->title);
        for (size_t i = 0; i < f->n_alts; i++)
                free(f->alts[i]);
        free(f->alts);
        free(f->type);
        free(f->frame);
        free(f->data);
}

/* Header lines "KEY: value" up to the first empty line; then the log, up
 * to an empty line followed by "REPORT:". */
static void corpus_parse(char *data, size_t size, CorpusFile *ret) {
        CorpusFile f = { .data = data };
        char *p = data, *end = data + size;
        while (p < end) {
                char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                if (eol == p) {
                        p++;
                        break;
                }
                *eol = 0;
                if (startswith(p, "TITLE: "))
                        f.title = strdup(p + 7);
                else if (startswith(p, "ALT: ")) {
                        f.alts = realloc(f.alts, (f.n_alts + 1) * sizeof *f.alts);
                        f.alts[f.n_alts++] = strdup(p + 5);
                } else if (startswith(p, "TYPE: "))
                        f.type = strdup(p + 6);
                else if (streq(p, "CORRUPTED: Y"))
                        f.corrupted = true;
                p = eol + 1;
        }
        f.log = p;
        f.log_size = p < end ? (size_t) (end - p) : 0;
        const char *rep = memmem(f.log, f.log_size, "\n\nREPORT:\n", 10);
        if (rep)
                f.log_size = (size_t) (rep - f.log) + 2;
        *ret = f;
}

/* The expected frame, as the corpus README defines it: the FRAME header, else
 * the identifier after the last " in " of the title (syzkaller's
 * ".* in ((?:<[a-zA-Z0-9_: ]+>)?[a-zA-Z0-9_:]+)"). NULL when there is none. */
static bool frame_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

static char *expected_frame(const CorpusFile *f) {
        if (f->frame)
                return strdup(f->frame);
        char *best = NULL;
        for (const char *p = strstr(f->title, " in "); p; p = strstr(p + 1, " in ")) {
                const char *q = p + 4, *start = q;
                if (*q == '<') {
                        const char *e = q + 1;
                        while (frame_char(*e) || *e == ' ')
                                e++;
                        if (*e != '>' || e == q + 1)
                                continue;
                        q = e + 1;
                }
                const char *e = q;
                while (frame_char(*e))
                        e++;
                if (e == q)
                        continue;
                free(best);
                best = strndup(start, (size_t) (e - start));
        }
        return best;
}

/* Per class floors, so one class cannot regress while another improves:
 * files with this TYPE (UNKNOWN: a title but no TYPE), how many of them get
 * the right type and the right title today. They may only rise. */
typedef struct TypeFloor {
        const char *type;
        unsigned files, type_ok, title_ok;
        unsigned got_files, got_type, got_title; /* counted by the test */
} TypeFloor;

static TypeFloor type_floors[] = {
        /* type, files, type right, title right */
        { "HANG", 92, 92, 92 },
        { "WARNING", 66, 65, 63 },
        { "LOCKDEP", 60, 60, 58 },
        { "DoS", 56, 56, 55 },
        { "UNKNOWN", 32, 32, 30 },
        { "KASAN-READ", 28, 28, 27 },
        { "MEMORY_SAFETY_BUG", 22, 22, 22 },
        { "BUG", 18, 18, 18 },
        { "KASAN-USE-AFTER-FREE-READ", 16, 16, 16 },
        { "KMSAN-UNINIT-VALUE", 10, 10, 10 },
        { "NULL-POINTER-DEREFERENCE", 9, 9, 9 },
        { "REFCOUNT_WARNING", 9, 9, 9 },
        { "LEAK", 8, 8, 8 },
        { "ATOMIC_SLEEP", 6, 6, 6 },
        { "UBSAN", 6, 6, 6 },
        { "KMSAN-INFO-LEAK", 5, 5, 5 },
        { "KASAN-USE-AFTER-FREE-WRITE", 3, 3, 3 },
        { "SYZ_FAILURE", 3, 3, 3 },
        { "KASAN-INVALID-FREE", 2, 2, 2 },
        { "KASAN-WRITE", 2, 2, 2 },
        { "KCSAN-ASSERT", 1, 1, 1 },
        { "KFENCE-INVALID-FREE", 1, 1, 1 },
        { "KFENCE-MEMORY-CORRUPTION", 1, 1, 1 },
        { "KFENCE-READ", 1, 1, 1 },
        { "KFENCE-USE-AFTER-FREE-READ", 1, 1, 1 },
        { "KFENCE-WRITE", 1, 1, 1 },
        { "MEMORY_SAFETY_UBSAN", 1, 1, 1 },
        { "REBOOT", 1, 1, 1 },
};

static TypeFloor *type_floor(const char *type) {
        for (size_t i = 0; i < ELEMENTSOF(type_floors); i++)
                if (streq(type_floors[i].type, type))
                        return &type_floors[i];
        return NULL;
}

TEST(corpus_floors) {
        _cleanup_free_ char *dir = path_join(test_fixtures_dir(), "oops-corpus/linux");
        DIR *d = opendir(dir);
        ASSERT_TRUE(d);
        unsigned files = 0, crashes = 0, typed = 0, title_ok = 0, detect_ok = 0, type_ok = 0, corrupted_ok = 0;
        unsigned frames = 0, frame_ok = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = path_join(dir, de->d_name);
                char *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(path, 16 << 20, &data, &size));
                CorpusFile f;
                corpus_parse(data, size, &f);
                CrashAnalysis *a = NULL;
                ASSERT_OK(crash_analyze(f.log, f.log_size, &a));
                bool want_crash = !isempty(f.title), got_crash = !isempty(a->title);
                files++;
                detect_ok += want_crash == got_crash;
                if (want_crash) {
                        crashes++;
                        bool ok = streq(a->title, f.title);
                        for (size_t i = 0; i < f.n_alts && !ok; i++)
                                ok = streq(a->title, f.alts[i]);
                        title_ok += ok;
                        corrupted_ok += a->corrupted == f.corrupted;
                        if (getenv("KCRASH_TEST_VERBOSE") && !ok)
                                printf("title %s: want \"%s\" got \"%s\"\n", de->d_name, f.title, a->title);
                }
                if (f.type) {
                        typed++;
                        type_ok += streq(a->type, f.type);
                }
                if (want_crash) {
                        const char *cls = f.type ? f.type : "UNKNOWN";
                        TypeFloor *t = type_floor(cls);
                        bool title = streq(a->title, f.title);
                        for (size_t i = 0; i < f.n_alts && !title; i++)
                                title = streq(a->title, f.alts[i]);
                        if (!t)
                                printf("class %s not in type_floors: %s\n", cls, de->d_name);
                        else {
                                t->got_files++;
                                t->got_type += streq(a->type, cls);
                                t->got_title += title;
                        }
                        _cleanup_free_ char *want_frame = expected_frame(&f);
                        if (want_frame) {
                                frames++;
                                frame_ok += streq(a->frame, want_frame);
                                if (getenv("KCRASH_TEST_VERBOSE") && !streq(a->frame, want_frame))
                                        printf("frame %s: want \"%s\" got \"%s\"\n", de->d_name, want_frame,
                                               a->frame ? a->frame : "(null)");
                        }
                }
                crash_analysis_free(a);
                corpus_file_done(&f);
        }
        closedir(d);
        printf("corpus: %u files, title %u/%u, detection %u/%u, type %u/%u, corrupted %u/%u\n", files, title_ok,
               crashes, detect_ok, files, type_ok, typed, corrupted_ok, crashes);
        ASSERT_TRUE(title_ok >= FLOOR_TITLE);
        ASSERT_TRUE(detect_ok >= FLOOR_DETECT);
        ASSERT_TRUE(type_ok >= FLOOR_TYPE);
        ASSERT_TRUE(corrupted_ok >= FLOOR_CORRUPTED);

        printf("corpus: frame %u/%u\n", frame_ok, frames);
        ASSERT_EQ(frames, TOTAL_FRAME);
        ASSERT_TRUE(frame_ok >= FLOOR_FRAME);
        bool low = false;
        for (size_t i = 0; i < ELEMENTSOF(type_floors); i++) {
                const TypeFloor *t = &type_floors[i];
                if (getenv("KCRASH_TEST_VERBOSE")) /* the table, to paste when raising floors */
                        printf("        { \"%s\", %u, %u, %u },\n", t->type, t->got_files, t->got_type, t->got_title);
                /* the corpus is fixed: a changed count means the test reads it wrongly */
                if (t->got_files != t->files || t->got_type < t->type_ok || t->got_title < t->title_ok) {
                        printf("class %s: %u files (want %u), type %u (floor %u), title %u (floor %u)\n", t->type,
                               t->got_files, t->files, t->got_type, t->type_ok, t->got_title, t->title_ok);
                        low = true;
                }
        }
        ASSERT_TRUE(!low);
}

/* ---- the real Debian crashes in tests/fixtures ---- */

static CrashAnalysis *analyze_fixture(const char *rel) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), rel), *data = NULL;
        size_t size;
        ASSERT_OK(read_full_file(path, 64 << 20, &data, &size));
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(data, size, &a));
        return a;
}

TEST(real_fixtures_class_and_culprit) {
        static const struct {
                const char *file, *title, *type, *frame, *module;
        } cases[] = {
                { "pstore-ramoops-oops-then-panic/pstore/dmesg-ramoops-0",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                /* the Panic record holds the Oops too: the title comes from the Oops */
                { "pstore-ramoops-oops-then-panic/pstore/dmesg-ramoops-1",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                { "pstore-ramoops-oops-no-panic/pstore/dmesg-ramoops-0",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                { "pstore-ramoops-module-init-oops-panic/pstore/dmesg-ramoops-1",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                { "pstore-ramoops-small-record-truncated/pstore/dmesg-ramoops-0",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                { "pstore-ramoops-bug-panic/pstore/dmesg-ramoops-1", "kernel BUG in crashme_do_bug", "BUG", "crashme_do_bug",
                  "crashme" },
                { "pstore-ramoops-two-crashes-uncollected/pstore/dmesg-ramoops-1", "kernel BUG in crashme_do_bug", "BUG",
                  "crashme_do_bug", "crashme" },
                { "pstore-ramoops-gpf-panic/pstore/dmesg-ramoops-1", "general protection fault in crashme_do_gpf", "DoS",
                  "crashme_do_gpf", "crashme" },
                { "pstore-ramoops-warn-panic/pstore/dmesg-ramoops-0", "WARNING in crashme_do_warn", "WARNING",
                  "crashme_do_warn", "crashme" },
                { "pstore-ramoops-softlockup-panic/pstore/dmesg-ramoops-0", "BUG: soft lockup in proc_reg_write", "HANG",
                  "proc_reg_write", NULL },
                { "pstore-ramoops-sysrq-panic/pstore/dmesg-ramoops-0", "kernel panic: sysrq triggered crash", "DoS",
                  "sysrq_handle_crash", NULL },
                { "pstore-ramoops-ecc-sysrq-panic/pstore/dmesg-ramoops-0", "kernel panic: sysrq triggered crash", "DoS",
                  "sysrq_handle_crash", NULL },
                { "pstore-ramoops-module-panic/pstore/dmesg-ramoops-0",
                  "kernel panic: crashme: deliberate panic (mode=panic)", "DoS", "crashme_do_panic", "crashme" },
                { "pstore-ramoops-oom-panic/pstore/dmesg-ramoops-0",
                  "kernel panic: Out of memory: system-wide panic_on_oom is enabled", "DoS", "out_of_memory", NULL },
                { "kdump-module-oops/kdump/dmesg.txt",
                  "BUG: unable to handle kernel NULL pointer dereference in crashme_do_null", "NULL-POINTER-DEREFERENCE",
                  "crashme_do_null", "crashme" },
                { "kdump-sysrq-panic/kdump/dmesg.txt", "kernel panic: sysrq triggered crash", "DoS", "sysrq_handle_crash",
                  NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CrashAnalysis *a = analyze_fixture(cases[i].file);
                if (!streq(a->title, cases[i].title) || !streq(a->type, cases[i].type) ||
                    !streq_ptr(a->frame, cases[i].frame) || !streq_ptr(a->module, cases[i].module))
                        test_fail(__FILE__, __LINE__, "%s: got \"%s\" %s %s [%s]", cases[i].file, a->title, a->type,
                                  strempty(a->frame), strempty(a->module));
                ASSERT_STREQ(a->kernel, "6.1.0-56-amd64");
                ASSERT_TRUE(a->hardware && strstr(a->hardware, "QEMU Standard PC"));
                ASSERT_TRUE(a->n_frames > 0);
                ASSERT_TRUE(strneq(a->signature, "v1:", 3));
                if (cases[i].module)
                        ASSERT_STREQ(a->taint, "OE");
                crash_analysis_free(a);
        }
}

TEST(no_crash_in_a_clean_log) {
        CrashAnalysis *a = analyze_fixture("pstore-ramoops-clean-reboot-max-reason-4/pstore/dmesg-ramoops-0");
        ASSERT_STREQ(a->title, "");
        ASSERT_STREQ(a->kernel, "6.1.0-56-amd64");
        crash_analysis_free(a);
}

/* ---- signatures ---- */

static char *signature(const char *log) {
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(log, strlen(log), &a));
        char *s = strdup(a->signature);
        crash_analysis_free(a);
        return s;
}

TEST(signature_ignores_addresses_offsets_and_suffixes) {
        const char *a =
                "[    2.9] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                "[    2.9] RIP: 0010:crashme_do_null+0x11/0x20 [crashme]\n"
                "[    2.9] Call Trace:\n"
                "[    2.9]  <TASK>\n"
                "[    2.9]  crashme_trigger.cold+0x1c/0x60 [crashme]\n"
                "[    2.9]  crashme_write+0x7e/0xb5 [crashme]\n"
                "[    2.9]  proc_reg_write+0x56/0xa0\n"
                "[    2.9]  vfs_write+0xc7/0x3f0\n";
        const char *b =
                "<1>[  100.5] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
                "<4>[  100.5] RIP: 0010:crashme_do_null+0x15/0x30 [crashme]\n"
                "<4>[  100.5] Call Trace:\n"
                "<4>[  100.5]  [<ffffffffc0638394>] crashme_trigger.isra.3+0x20/0x60 [crashme]\n"
                "<4>[  100.5]  crashme_write.part.0+0x7e/0xb5 [crashme]\n"
                "<4>[  100.5]  ? do_fault+0x1a7/0x410\n"
                "<4>[  100.5]  proc_reg_write+0x99/0xa0\n"
                "<4>[  100.5]  vfs_write+0xc1/0x3f0\n";
        const char *c =
                "[    2.9] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                "[    2.9] RIP: 0010:other_driver_fn+0x11/0x20 [other]\n"
                "[    2.9] Call Trace:\n"
                "[    2.9]  other_ioctl+0x1c/0x60 [other]\n";
        _cleanup_free_ char *sa = signature(a), *sb = signature(b), *sc = signature(c);
        ASSERT_STREQ(sa, sb);
        ASSERT_TRUE(!streq(sa, sc));
        ASSERT_TRUE(strlen(sa) == 19);
}

/* ---- hostile input: no crash, bounded memory; no time limits here ---- */

TEST(hostile_input) {
        size_t n = 10 << 20;
        char *buf = malloc(n);
        ASSERT_TRUE(buf);
        uint32_t x = 12345;
        for (size_t i = 0; i < n; i++) {
                x = x * 1103515245 + 12345;
                buf[i] = (char) (x >> 16);
        }
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(buf, n, &a)); /* random bytes */
        crash_analysis_free(a);

        memset(buf, 0, n); /* NUL bytes */
        ASSERT_OK(crash_analyze(buf, n, &a));
        ASSERT_STREQ(a->title, "");
        crash_analysis_free(a);

        memset(buf, 'A', n); /* one 10 MB line */
        memcpy(buf + n / 2, "BUG: soft lockup", 16);
        ASSERT_OK(crash_analyze(buf, n, &a));
        crash_analysis_free(a);

        /* a 100k-frame stack */
        FILE *f = fmemopen(buf, n, "w");
        fprintf(f, "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n");
        fprintf(f, "[    1.0] RIP: 0010:fn+0x1/0x2\n[    1.0] Call Trace:\n");
        for (int i = 0; i < 100000; i++)
                fprintf(f, "[    1.0]  frame_%d+0x1/0x2 [mod]\n", i);
        long used = ftell(f);
        fclose(f);
        ASSERT_OK(crash_analyze(buf, (size_t) used, &a));
        ASSERT_STREQ(a->title, "BUG: unable to handle kernel NULL pointer dereference in fn");
        ASSERT_TRUE(a->n_frames <= 64);
        crash_analysis_free(a);
        free(buf);
}

/* head, then 60 times rep, then tail: a log line in a static buffer. */
static const char *repeat_line(char *buf, size_t size, const char *head, const char *rep, const char *tail) {
        size_t o = (size_t) snprintf(buf, size, "%s", head);
        for (int i = 0; i < 60 && o < size; i++)
                o += (size_t) snprintf(buf + o, size - o, "%s", rep);
        ASSERT_TRUE(o < size);
        snprintf(buf + o, size - o, "%s", tail);
        return buf;
}

TEST(normalized_title_longer_than_title) {
        /* Normalization lengthens a title ("1" -> "NUM", ".c:1" -> ".c:LINE");
         * the buffer was sized for the title plus 64 bytes. A user who writes
         * such a line to /dev/kmsg overflowed it in the root collector. */
        char buf[1024];
        const char *log = repeat_line(buf, sizeof buf, "<0>[    1.000000] Kernel panic - not syncing:", " 1", "\n");
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(log, strlen(log), &a));
        ASSERT_TRUE(strneq(a->title, "kernel panic: NUM NUM NUM", 25));
        ASSERT_TRUE(strlen(a->title) <= 120);
        crash_analysis_free(a);

        log = repeat_line(buf, sizeof buf, "<4>[    1.000000] kernel BUG at a.c:1", " b.c:1", "!\n");
        ASSERT_OK(crash_analyze(log, strlen(log), &a));
        ASSERT_TRUE(strlen(a->title) <= 120);
        crash_analysis_free(a);
}

/* ---- pinned output: every corpus and fixture log gives what it gave ---- */

/* tests/fixtures/analyze-expected.jsonl holds, for every input below, the
 * analysis the analyzer gave when the file was written (one JSON object a
 * line: "input", "analysis" as `kcrashctl analyze --json` prints it, and the
 * sha256 of the crash text the collector stores). The analyzer may get
 * faster or be reorganised; its answers may not move silently. A change
 * that means to improve an answer regenerates the file with
 * KCRASH_ANALYZE_EXPECTED_WRITE=PATH and says in its commit which fields
 * moved and why. */

typedef struct Input {
        char *name;
        char *data;
        const char *log;
        size_t size;
} Input;

static int input_cmp(const void *a, const void *b) {
        return strcmp(((const Input *) a)->name, ((const Input *) b)->name);
}

static void inputs_add(Input **inputs, size_t *n, const char *name, char *data, const char *log, size_t size) {
        *inputs = realloc(*inputs, (*n + 1) * sizeof **inputs);
        ASSERT_TRUE(*inputs);
        (*inputs)[(*n)++] = (Input) { .name = strdup(name), .data = data, .log = log, .size = size };
}

/* Every corpus file twice (its log as the corpus README cuts it, and the
 * whole file with its headers and REPORT section), and every log a real
 * crash left in the fixtures (pstore records, kdump dmesg, consoles). */
static void collect_inputs(const char *rel, Input **inputs, size_t *n) {
        _cleanup_free_ char *dir = path_join(test_fixtures_dir(), rel);
        DIR *d = opendir(dir);
        ASSERT_TRUE(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || streq(rel, "oops-corpus") || streq(de->d_name, "context"))
                        continue;
                _cleanup_free_ char *path = path_join(dir, de->d_name);
                _cleanup_free_ char *sub = rel[0] ? path_join(rel, de->d_name) : strdup(de->d_name);
                if (de->d_type == DT_DIR) {
                        collect_inputs(sub, inputs, n);
                        continue;
                }
                bool corpus = startswith(rel, "oops-corpus/linux");
                size_t nl = strlen(de->d_name);
                if (!corpus && !startswith(de->d_name, "dmesg") && !(nl > 4 && streq(de->d_name + nl - 4, ".log")))
                        continue;
                char *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(path, 16 << 20, &data, &size));
                if (corpus) {
                        char *copy = malloc(size + 1);
                        ASSERT_TRUE(copy);
                        memcpy(copy, data, size + 1);
                        CorpusFile f;
                        corpus_parse(copy, size, &f);
                        _cleanup_free_ char *log_name = NULL;
                        ASSERT_TRUE(asprintf(&log_name, "%s#log", sub) > 0);
                        inputs_add(inputs, n, log_name, copy, f.log, f.log_size);
                        free(f.title);
                        for (size_t i = 0; i < f.n_alts; i++)
                                free(f.alts[i]);
                        free(f.alts);
                        free(f.type);
                        free(f.frame);
                }
                inputs_add(inputs, n, sub, data, data, size);
        }
        closedir(d);
}

TEST(pinned_output_on_every_corpus_and_fixture_log) {
        Input *inputs = NULL;
        size_t n = 0;
        collect_inputs("", &inputs, &n);
        collect_inputs("oops-corpus/linux", &inputs, &n);
        qsort(inputs, n, sizeof *inputs, input_cmp);
        printf("pinned: %zu inputs\n", n);
        ASSERT_TRUE(n > 2 * 486);

        const char *write = getenv("KCRASH_ANALYZE_EXPECTED_WRITE");
        FILE *out = NULL;
        json_t *expected = NULL;
        if (write) {
                out = fopen(write, "we");
                ASSERT_TRUE(out);
        } else {
                _cleanup_free_ char *path = path_join(test_fixtures_dir(), "analyze-expected.jsonl");
                _cleanup_free_ char *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(path, 16 << 20, &data, &size));
                expected = json_object();
                for (char *p = data, *eol; p < data + size; p = eol + 1) {
                        eol = strchrnul(p, '\n');
                        *eol = 0;
                        json_error_t e;
                        json_t *o = json_loads(p, 0, &e);
                        if (!o)
                                test_fail(__FILE__, __LINE__, "analyze-expected.jsonl: %s", e.text);
                        ASSERT_TRUE(json_is_string(json_object_get(o, "input")));
                        json_object_set_new(expected, json_string_value(json_object_get(o, "input")), o);
                }
                ASSERT_EQ(json_object_size(expected), n);
        }

        unsigned differ = 0;
        for (size_t i = 0; i < n; i++) {
                CrashAnalysis *a = NULL;
                ASSERT_OK(crash_analyze(inputs[i].log, inputs[i].size, &a));
                char report_sha[SHA256_HEX_SIZE];
                ASSERT_OK(sha256_hex(a->report, strlen(a->report), report_sha));
                json_t *got = json_pack("{s:s, s:o, s:s}", "input", inputs[i].name, "analysis",
                                        crash_analysis_to_json(a), "report_sha256", report_sha);
                ASSERT_TRUE(got);
                if (out) {
                        char *line = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
                        ASSERT_TRUE(line);
                        fprintf(out, "%s\n", line);
                        free(line);
                } else {
                        /* Field by field, naming what moved. */
                        json_t *want = json_object_get(expected, inputs[i].name);
                        if (!want) {
                                printf("%s: not in analyze-expected.jsonl\n", inputs[i].name);
                                differ++;
                        } else {
                                const char *key;
                                json_t *v;
                                json_t *wa = json_object_get(want, "analysis"), *ga = json_object_get(got, "analysis");
                                bool same = json_equal(json_object_get(want, "report_sha256"),
                                                       json_object_get(got, "report_sha256"));
                                if (!same)
                                        printf("%s: report text differs\n", inputs[i].name);
                                ASSERT_EQ(json_object_size(wa), json_object_size(ga));
                                json_object_foreach(wa, key, v) {
                                        json_t *g = json_object_get(ga, key);
                                        if (g && json_equal(v, g))
                                                continue;
                                        char *ws = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                                        char *gs = g ? json_dumps(g, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
                                        printf("%s: %s: want %s got %s\n", inputs[i].name, key, ws, gs ? gs : "(missing)");
                                        free(ws);
                                        free(gs);
                                        same = false;
                                }
                                differ += !same;
                        }
                }
                json_decref(got);
                crash_analysis_free(a);
                free(inputs[i].name);
                free(inputs[i].data);
        }
        free(inputs);
        json_decref(expected);
        if (out)
                ASSERT_TRUE(fclose(out) == 0);
        printf("pinned: %u of %zu inputs differ\n", differ, n);
        ASSERT_EQ(differ, 0);
}

/* ---- every crash of a log; the streamed analysis ---- */

typedef struct Results {
        char **json;
        size_t n;
} Results;

static int collect_result(CrashAnalysis *a, void *userdata) {
        Results *r = userdata;
        r->json = realloc(r->json, (r->n + 1) * sizeof *r->json);
        ASSERT_TRUE(r->json);
        char sha[SHA256_HEX_SIZE];
        ASSERT_OK(sha256_hex(a->report, strlen(a->report), sha));
        char *j = crash_analysis_to_json_string(a);
        ASSERT_TRUE(j);
        ASSERT_TRUE(asprintf(&r->json[r->n++], "%s %s", j, sha) > 0);
        free(j);
        crash_analysis_free(a);
        return 0;
}

static void results_done(Results *r) {
        for (size_t i = 0; i < r->n; i++)
                free(r->json[i]);
        free(r->json);
        *r = (Results) {};
}

static char *one_result(const char *log, size_t size) {
        Results r = {};
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(log, size, &a));
        collect_result(a, &r);
        char *s = r.json[0];
        free(r.json);
        return s;
}

TEST(each_crash_is_its_part_analysed_alone) {
        /* Three crashes; the first ends in its panic, which follows it and
         * starts nothing; a replayed header starts nothing either. */
        static const char *const parts[] = {
                "[    1.000000] Linux version 6.1.0-56-amd64 (debian) #1 SMP\n"
                "[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                "[    2.000000] RIP: 0010:crashme_do_null+0x11/0x20 [crashme]\n"
                "[    2.000000] Call Trace:\n"
                "[    2.000000]  crashme_write+0x7e/0xb5 [crashme]\n"
                "[    2.000000]  vfs_write+0xc7/0x3f0\n"
                "[    2.000000] Kernel panic - not syncing: Fatal exception\n",
                "[    3.000000] WARNING: CPU: 0 PID: 1 at drivers/foo.c:12 foo_probe+0x1d/0x24 [foo]\n"
                "[    3.000000] RIP: 0010:foo_probe+0x1d/0x24 [foo]\n"
                "[    3.000000] Call Trace:\n"
                "[    3.000000]  really_probe+0x1/0x2\n"
                "[    3.000000] BUG: replayed\n"
                "[    3.000000] ** replaying previous printk message **\n",
                "[    4.000000] general protection fault, probably for non-canonical address 0xdead000000000000: 0000 [#1]\n"
                "[    4.000000] RIP: 0010:bar_read+0x5/0x9\n"
                "[    4.000000] Call Trace:\n"
                "[    4.000000]  vfs_read+0x1/0x2\n",
        };
        char log[4096] = "";
        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                strcat(log, parts[i]);
        Results all = {};
        ASSERT_OK(crash_analyze_each(log, strlen(log), collect_result, &all));
        ASSERT_EQ(all.n, ELEMENTSOF(parts));
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                _cleanup_free_ char *alone = one_result(parts[i], strlen(parts[i]));
                ASSERT_STREQ(all.json[i], alone);
        }
        ASSERT_TRUE(strstr(all.json[0], "\"title\":\"BUG: unable to handle kernel NULL pointer dereference in crashme_do_null\""));
        ASSERT_TRUE(strstr(all.json[1], "\"title\":\"WARNING in foo_probe\""));
        ASSERT_TRUE(strstr(all.json[2], "\"title\":\"general protection fault in bar_read\""));
        /* The first crash of the whole log is what crash_analyze() gives, with
         * the whole log after it. */
        _cleanup_free_ char *first = one_result(log, strlen(log));
        ASSERT_TRUE(strstr(first, "crashme_do_null"));
        results_done(&all);

        /* No crash: one result, with no title. */
        ASSERT_OK(crash_analyze_each("[ 1.0] hello\n", 13, collect_result, &all));
        ASSERT_EQ(all.n, 1);
        ASSERT_TRUE(strneq(all.json[0], "{\"title\":\"\",", 12));
        results_done(&all);
}

/* Writes data to a pipe in pieces of `piece` bytes from a child process and
 * analyses the read end; the results must be those of the buffer. */
static void check_streamed(const char *data, size_t size, size_t piece, bool all) {
        int fds[2];
        ASSERT_TRUE(pipe(fds) == 0);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                for (size_t o = 0; o < size;) {
                        ssize_t k = write(fds[1], data + o, MIN(piece, size - o));
                        if (k <= 0)
                                _exit(1);
                        o += (size_t) k;
                }
                _exit(0);
        }
        close(fds[1]);
        Results streamed = {}, buffered = {};
        ASSERT_OK(crash_analyze_fd(fds[0], 64 << 20, all, collect_result, &streamed));
        close(fds[0]);
        int status;
        ASSERT_TRUE(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (all)
                ASSERT_OK(crash_analyze_each(data, size, collect_result, &buffered));
        else {
                CrashAnalysis *a = NULL;
                ASSERT_OK(crash_analyze(data, size, &a));
                collect_result(a, &buffered);
        }
        ASSERT_EQ(streamed.n, buffered.n);
        for (size_t i = 0; i < streamed.n; i++)
                ASSERT_STREQ(streamed.json[i], buffered.json[i]);
        results_done(&streamed);
        results_done(&buffered);
}

TEST(streamed_analysis_is_the_buffered_one) {
        /* The whole corpus in one log, written in odd pieces so that lines
         * and replayed headers straddle the reads. */
        _cleanup_free_ char *dir = path_join(test_fixtures_dir(), "oops-corpus/linux");
        DIR *d = opendir(dir);
        ASSERT_TRUE(d);
        char *blob = NULL;
        size_t blob_size = 0;
        FILE *f = open_memstream(&blob, &blob_size);
        ASSERT_TRUE(f);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *path = path_join(dir, de->d_name);
                char *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(path, 16 << 20, &data, &size));
                CorpusFile cf;
                corpus_parse(data, size, &cf);
                fwrite(cf.log, 1, cf.log_size, f);
                corpus_file_done(&cf);
        }
        closedir(d);
        ASSERT_TRUE(fclose(f) == 0);
        check_streamed(blob, blob_size, 997, true);
        check_streamed(blob, blob_size, 65536, false);
        free(blob);

        /* One line longer than the read buffer, a crash inside, CRLF. */
        size_t n = 3 << 20;
        char *big = malloc(n);
        ASSERT_TRUE(big);
        memset(big, 'A', n);
        memcpy(big + n / 2, "BUG: soft lockup - CPU#0 stuck\r\n[ 1.0] RIP: 0010:spin+0x1/0x2\r\n", 62);
        check_streamed(big, n, 4093, true);

        /* A line longer than allowed. */
        int fds[2];
        ASSERT_TRUE(pipe(fds) == 0);
        ASSERT_TRUE(write(fds[1], big, 60000) == 60000);
        close(fds[1]);
        Results r = {};
        ASSERT_ERR(crash_analyze_fd(fds[0], 1000, true, collect_result, &r), -EFBIG);
        close(fds[0]);
        results_done(&r);
        free(big);
}

TEST(a_nul_byte_after_a_header_is_not_a_replay_marker) {
        /* A line holding a NUL byte may hold any keyword as far as the scan
         * knows; the replay marker is checked exactly (the differential run
         * against the old analyzer found this). */
        static const char log[] = "[    1.000000] WARNING: CPU: 0 PID: 1 at a/b.c:1 foo+0x1/0x2\n"
                                  "[    1.000000] Kernel panic - n\0ot syncing: panic_on_warn set ...\n";
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(log, sizeof log - 1, &a));
        ASSERT_STREQ(a->title, "WARNING in corrupted"); /* not the panic line */
        crash_analysis_free(a);
}

TEST(keywords_found_at_odd_and_even_offsets) {
        /* The keyword scan reads the byte pairs at even offsets only: "? "
         * (two bytes) must be found at either parity, like the longer
         * keywords. A questionable frame line is left out of the report. */
        static const char log[] = "[    1.000000] BUG: unable to handle page fault for address: 0\n"
                                  "[    1.000001] Call Trace:\n"
                                  "[    1.000002]  Call Trace:\n"
                                  "[    1.000003]  ? even_qmark+0x1/0x2\n"
                                  "[    1.000004]   ? odd_qmark+0x1/0x2\n"
                                  "[    1.000005]  kept_frame+0x1/0x2\n";
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(log, sizeof log - 1, &a));
        ASSERT_TRUE(!strstr(a->report, "even_qmark"));
        ASSERT_TRUE(!strstr(a->report, "odd_qmark"));
        ASSERT_TRUE(strstr(a->report, "kept_frame"));
        crash_analysis_free(a);
}

TEST(json_keeps_text_that_is_not_utf8) {
        /* the crash text is the device's bytes: a frame or title that is not
         * UTF-8 is kept with U+FFFD instead of losing the whole analysis */
        char *frames[] = { (char *) "bad\xff_func", (char *) "ok_func [mod\xc3]" };
        CrashAnalysis a = { .title = (char *) "BUG: in bad\xff_func", .type = (char *) "BUG",
                        .frames = frames, .n_frames = 2 };
        char *s = crash_analysis_to_json_string(&a);
        ASSERT_TRUE(s);
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        free(s);
        ASSERT_TRUE(j);
        ASSERT_STREQ(json_string_value(json_object_get(j, "title")), "BUG: in bad\xef\xbf\xbd_func");
        json_t *f = json_object_get(j, "frames");
        ASSERT_EQ(json_array_size(f), 2);
        ASSERT_STREQ(json_string_value(json_array_get(f, 0)), "bad\xef\xbf\xbd_func");
        ASSERT_STREQ(json_string_value(json_array_get(f, 1)), "ok_func [mod\xef\xbf\xbd]");
        json_decref(j);
}

/* The groups' patterns are compiled at first use, not by analyze_init():
 * a pattern that does not compile would only show in a log of its kind.
 * Every group compiles, twice (the second time from the compiled state). */
TEST(every_group_of_formats_compiles) {
        ASSERT_OK(analyze_init());
        for (int round = 0; round < 2; round++)
                for (Group g = 0; g < _G_MAX; g++) {
                        const FormatRe *formats = NULL;
                        size_t n = 0;
                        ASSERT_OK(formats_of_group(g, &formats, &n));
                        ASSERT_TRUE(formats && n > 0 && n <= MAX_GROUP_FORMATS);
                        for (size_t k = 0; k < n; k++) {
                                /* compiled from its constant format */
                                const FormatRe *f = &formats[k];
                                ASSERT_TRUE(f->def && f->title.compiled && f->title.pattern == f->def->title);
                                for (size_t i = 0; i < ELEMENTSOF(f->req); i++)
                                        ASSERT_TRUE(f->req[i].pattern == f->def->req[i] &&
                                                    f->req[i].compiled == !!f->def->req[i]);
                                ASSERT_TRUE(f->marker.pattern == f->def->marker && f->skip.pattern == f->def->skip);
                        }
                }
        const FormatRe *none = NULL;
        size_t n = 0;
        ASSERT_ERR(formats_of_group(_G_MAX, &none, &n), -EINVAL);
        ASSERT_TRUE(!none);
}

/* A match-only pattern whose text alternatives are split off before the
 * rest fails to compile: a retry (formats_of_group() retries a group that
 * failed) splits again without leaking the first split (LeakSanitizer in the
 * sanitizer build saw it before). */
TEST(failed_compile_retried_without_a_leak) {
        Re r = { .pattern = "abc|def|(" };
        ASSERT_ERR(re_compile(&r, /* nosub= */ true), -EINVAL);
        ASSERT_TRUE(!r.compiled && r.n_alts == 2 && r.has_rest);
        ASSERT_ERR(re_compile(&r, /* nosub= */ true), -EINVAL);
        ASSERT_TRUE(!r.compiled && r.n_alts == 2);
        re_alternatives_free(&r);
        ASSERT_TRUE(!r.alts && r.n_alts == 0);
}
