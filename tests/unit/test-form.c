/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "tests.h"

static bool unencoded(const char *body) {
        return form_is_unencoded(body, strlen(body));
}

TEST(encoded_bodies_are_recognised) {
        /* curl_easy_escape (kcrash), Python's urlencode, a browser form */
        ASSERT_TRUE(!unencoded("steamid=0&stack=dump_stack_lvl%2B0x44%2F0x5c%0Apanic&note=a%20%26%20b%3D%25"));
        ASSERT_TRUE(!unencoded("note=a+%26+b&x=%C3%A9"));
        ASSERT_TRUE(!unencoded("a=(x)*!'~._-"));
        ASSERT_TRUE(!unencoded(""));
}

TEST(unencoded_bodies_are_recognised) {
        /* what SteamOS's submit-report.sh sends: spaces, newlines, colons */
        ASSERT_TRUE(unencoded("stack=dump_stack_lvl+0x44/0x5c\npanic+0x118/0x2f4&note=Kernel panic - not syncing"));
        ASSERT_TRUE(unencoded("note=50% done"));
        ASSERT_TRUE(unencoded("note=100%"));
        ASSERT_TRUE(unencoded("note=%4"));
        ASSERT_TRUE(unencoded("note=%zz"));
        ASSERT_TRUE(unencoded("v=6.1.0-56-amd64/x"));
        ASSERT_TRUE(unencoded("note=\xc3\xa9"));
        ASSERT_TRUE(form_is_unencoded("a=b\0c", 5));
}

TEST(values_decoded_and_raw) {
        static const char body[] = "stack=a+b%2Bc&note=50% done%41&empty=&x";
        size_t n = strlen(body);
        char *v;

        ASSERT_STREQ(v = form_get(body, n, "stack"), "a b+c");
        free(v);
        ASSERT_STREQ(v = form_get_raw(body, n, "stack"), "a+b%2Bc");
        free(v);
        ASSERT_STREQ(v = form_get(body, n, "note"), "50% doneA");
        free(v);
        ASSERT_STREQ(v = form_get_raw(body, n, "note"), "50% done%41");
        free(v);
        ASSERT_STREQ(v = form_get_raw(body, n, "empty"), "");
        free(v);
        ASSERT_TRUE(!form_get(body, n, "x"));
        ASSERT_TRUE(!form_get_raw(body, n, "missing"));
        /* a '%' at the very end is no escape */
        ASSERT_STREQ(v = form_get("a=1%", 4, "a"), "1%");
        free(v);
        ASSERT_STREQ(v = form_get("a=1%4", 5, "a"), "1%4");
        free(v);
}
