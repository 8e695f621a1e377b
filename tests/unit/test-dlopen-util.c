/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "archive.h"
#include "dlopen-util.h"
#include "hash.h"
#include "journal.h"
#include "macro.h"
#include "tests.h"

static typeof(strlen) *sym_strlen;
static typeof(strlen) *sym_kcrash_no_such_function;

TEST(loads_and_resolves) {
        static const DlopenSymbol symbols[] = { DLOPEN_SYMBOL(strlen) };
        DlopenLibrary lib = { .soname = "libc.so.6", .symbols = symbols, .n_symbols = ELEMENTSOF(symbols) };
        ASSERT_OK(dlopen_library(&lib, NULL));
        ASSERT_TRUE(sym_strlen);
        ASSERT_EQ(sym_strlen("kcrash"), 6);
        ASSERT_OK(dlopen_library(&lib, NULL)); /* loaded once */
}

TEST(missing_library_is_named) {
        static const DlopenSymbol symbols[] = { DLOPEN_SYMBOL(strlen) };
        DlopenLibrary lib = { .soname = "libkcrash-missing.so.9", .symbols = symbols, .n_symbols = ELEMENTSOF(symbols) };
        const char *why = NULL;
        ASSERT_ERR(dlopen_library(&lib, &why), -EOPNOTSUPP);
        ASSERT_TRUE(why && strstr(why, "libkcrash-missing.so.9 is not installed"));
        why = NULL;
        ASSERT_ERR(dlopen_library(&lib, &why), -EOPNOTSUPP); /* remembered */
        ASSERT_TRUE(why && strstr(why, "libkcrash-missing.so.9"));
}

TEST(missing_symbol_refuses_the_whole_library) {
        sym_strlen = NULL;
        static const DlopenSymbol symbols[] = { DLOPEN_SYMBOL(strlen), DLOPEN_SYMBOL(kcrash_no_such_function) };
        DlopenLibrary lib = { .soname = "libc.so.6", .symbols = symbols, .n_symbols = ELEMENTSOF(symbols) };
        const char *why = NULL;
        ASSERT_ERR(dlopen_library(&lib, &why), -ELIBBAD);
        ASSERT_TRUE(why && strstr(why, "libc.so.6 lacks the function kcrash_no_such_function()"));
        ASSERT_TRUE(!sym_strlen && !sym_kcrash_no_such_function); /* all or none */
}

/* The libraries kcrash loads this way, under the names the build opens. */
TEST(kcrash_libraries_load) {
        const char *why = NULL;
        ASSERT_OK(archive_dlopen(&why));
        ASSERT_OK(journal_dlopen(&why));
}
