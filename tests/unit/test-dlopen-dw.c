/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "dlopen-dw.h"
#include "tests.h"

TEST(load_sets_every_pointer) {
        int r = dlopen_dw();
        if (r == -EOPNOTSUPP) {
                /* no libdw here: the failure is named and remembered */
                ASSERT_TRUE(dw_load_error() && strstr(dw_load_error(), DW_SONAME));
                ASSERT_ERR(dlopen_dw(), -EOPNOTSUPP);
                test_skip("libdw.so.1 is not installed");
                return;
        }
        ASSERT_OK(r);
        ASSERT_TRUE(dw_load_error() == NULL);
#define CHECK(f) ASSERT_TRUE(sym_##f != NULL);
        DW_FUNCTIONS(CHECK)
#undef CHECK
        /* loaded once: a second call is the same success */
        ASSERT_OK(dlopen_dw());
        ASSERT_TRUE(dw_load_error() == NULL);
}

TEST(pointers_call_the_library) {
        if (dlopen_dw() < 0) {
                test_skip("libdw.so.1 is not installed");
                return;
        }
        /* an offline session without files: begun, empty, ended */
        static const Dwfl_Callbacks cb = {
                .find_debuginfo = NULL,
                .section_address = NULL,
        };
        Dwfl *d = sym_dwfl_begin(&cb);
        ASSERT_TRUE(d);
        sym_dwfl_report_begin(d);
        ASSERT_EQ(sym_dwfl_report_end(d, NULL, NULL), 0);
        sym_dwfl_end(d);
}
