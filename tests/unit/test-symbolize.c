/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "fileio.h"
#include "symbolize.h"
#include "tests.h"

/* The seeds of fuzz-symbolize are gcc -g -O2 -c of:
 *   1 static inline __attribute__((always_inline)) int leaf(volatile int *p) { return *p + 1; }
 *   2 static inline __attribute__((always_inline)) int middle(volatile int *p) { return leaf(p) * 2; }
 *   3 __attribute__((noinline)) int outer(volatile int *p) { int x = middle(p); return x + leaf(p + 1); }
 *   4 int main(void) { volatile int a[2] = {1, 2}; return outer(a); }
 * (the dwarf-loop-* files are the DWARF 4 one with abstract_origin references
 * patched to point at themselves, or at each other). */
static char *seed(const char *name) {
        char *p = NULL;
        ASSERT_TRUE(asprintf(&p, "%s/../fuzz/fuzz-symbolize/%s", test_fixtures_dir(), name) > 0);
        return p;
}

TEST(inlined_chain) {
        _cleanup_free_ char *path = seed("inlined.o");
        SymbolizeResult r;
        /* the first load of outer is leaf()'s, inlined through middle() */
        ASSERT_OK(symbolize_elf_file(path, "outer", 0, 0, true, &r));
        ASSERT_TRUE(r.error == NULL);
        ASSERT_EQ(r.n_locations, 3);
        ASSERT_STREQ(r.locations[0].function, "leaf");
        ASSERT_EQ(r.locations[0].line, 1);
        ASSERT_STREQ(r.locations[1].function, "middle");  /* leaf was inlined at line 2 ... */
        ASSERT_EQ(r.locations[1].line, 2);
        ASSERT_STREQ(r.locations[2].function, "outer");   /* ... into middle, inlined at line 3 */
        ASSERT_EQ(r.locations[2].line, 3);
        ASSERT_TRUE(strstr(r.locations[0].file, "seed.c"));
        symbolize_result_done(&r);
}

TEST(errors_are_answers) {
        _cleanup_free_ char *path = seed("inlined.o"), *cut = seed("truncated.o");
        SymbolizeResult r;
        ASSERT_OK(symbolize_elf_file(path, "nothing", 4, 0, true, &r));
        ASSERT_TRUE(r.n_locations == 0 && strstr(r.error, "no symbol nothing"));
        symbolize_result_done(&r);
        /* a return address at offset 0 cannot be: its call would be before the function */
        ASSERT_OK(symbolize_elf_file(path, "outer", 0, 0, false, &r));
        ASSERT_TRUE(r.n_locations == 0 && r.error);
        symbolize_result_done(&r);
        ASSERT_OK(symbolize_elf_file(path, "outer", 0x400, 0x20, true, &r));
        ASSERT_TRUE(r.n_locations == 0 && r.error);
        symbolize_result_done(&r);
        ASSERT_OK(symbolize_elf_file(cut, "outer", 4, 0, true, &r));
        ASSERT_TRUE(r.n_locations == 0 && r.error);
        symbolize_result_done(&r);
        ASSERT_OK(symbolize_elf_file("/nonexistent/x.debug", "outer", 4, 0, true, &r));
        ASSERT_TRUE(r.n_locations == 0 && strstr(r.error, "cannot open"));
        symbolize_result_done(&r);
}

TEST(dwarf_loops_end) {
        const char *names[] = { "dwarf-loop-self.o", "dwarf-loop-pair.o" };
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *path = seed(names[i]);
                for (uint64_t off = 0; off < 0x20; off++) {
                        SymbolizeResult r;
                        ASSERT_OK(symbolize_elf_file(path, "outer", off, 0, true, &r));
                        ASSERT_TRUE((r.n_locations == 0) == (r.error != NULL));
                        ASSERT_TRUE(r.n_locations <= 64);
                        symbolize_result_done(&r);
                }
        }
}

TEST(symbolizer_by_build_id) {
        _cleanup_free_ char *dir = test_tmpdir(), *path = seed("inlined.o");
        Symbolizer *s;
        char *dirs[] = { dir };
        ASSERT_OK(symbolizer_new(dirs, 1, NULL, NULL, &s));
        SymbolizeResult r;
        ASSERT_OK(symbolizer_lookup(s, "0123abcd", "outer", 4, 0, true, &r));
        ASSERT_TRUE(strstr(r.error, "no debug info for build id 0123abcd"));
        symbolize_result_done(&r);
        /* an object without a build id, put where one belongs */
        _cleanup_free_ char *sub = NULL, *target = NULL, *data = NULL;
        size_t size;
        ASSERT_TRUE(asprintf(&sub, "%s/.build-id/01", dir) > 0);
        ASSERT_TRUE(asprintf(&target, "%s/23abcd.debug", sub) > 0);
        ASSERT_OK(mkdir_p(sub, 0755));
        ASSERT_OK(read_full_file(path, 1 << 20, &data, &size));
        ASSERT_OK(write_file_atomic(target, data, size, 0644));
        symbolizer_free(s);
        ASSERT_OK(symbolizer_new(dirs, 1, NULL, NULL, &s));
        ASSERT_OK(symbolizer_lookup(s, "0123abcd", "outer", 4, 0, true, &r));
        ASSERT_TRUE(strstr(r.error, "has no build id") || strstr(r.error, "has build id"));
        ASSERT_STREQ(r.debug_file, target);
        symbolize_result_done(&r);
        ASSERT_OK(symbolizer_lookup(s, "../../etc", "outer", 4, 0, true, &r));
        ASSERT_TRUE(strstr(r.error, "no build id"));
        symbolize_result_done(&r);
        symbolizer_free(s);
}
