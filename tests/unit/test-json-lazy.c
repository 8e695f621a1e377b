/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-lazy.c as kcrash-collect links it: this binary is linked with it
 * ahead of jansson, so it does not load libjansson at start, and every
 * function json-lazy.c forwards is called through the loaded pointers. */
#include <dlfcn.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "json-dlopen.h"
#include "macro.h"
#include "tests.h"

static bool jansson_loaded(void) {
        void *h = dlopen(JANSSON_SONAME, RTLD_NOW | RTLD_NOLOAD);
        if (h)
                dlclose(h);
        return h != NULL;
}

/* First in the file: the tests run in order, and this one sees the start. */
TEST(loaded_at_first_use_only) {
        ASSERT_TRUE(!jansson_loaded());
        const char *why = NULL;
        ASSERT_OK(json_dlopen(&why));
        ASSERT_TRUE(jansson_loaded());
        ASSERT_OK(json_dlopen(NULL)); /* once */
}

TEST(objects_arrays_and_scalars) {
        json_t *o = json_object(), *a = json_array();
        ASSERT_TRUE(o && a);
        ASSERT_OK(json_object_set_new(o, "name", json_string_nocheck("deck")));
        ASSERT_OK(json_object_set_new_nocheck(o, "count", json_integer(42)));
        ASSERT_OK(json_array_append_new(a, json_true()));
        ASSERT_OK(json_array_append_new(a, json_false()));
        ASSERT_OK(json_array_append_new(a, json_null()));
        ASSERT_OK(json_array_append_new(a, json_stringn_nocheck("abcdef", 3)));
        ASSERT_EQ(json_array_size(a), 4u);
        ASSERT_OK(json_array_set_new(a, 0, json_integer(-7)));
        ASSERT_EQ(json_integer_value(json_array_get(a, 0)), -7);
        ASSERT_OK(json_array_remove(a, 1));
        ASSERT_EQ(json_array_size(a), 3u);
        ASSERT_TRUE(json_is_null(json_array_get(a, 1)));
        ASSERT_STREQ(json_string_value(json_array_get(a, 2)), "abc");
        ASSERT_EQ(json_string_length(json_array_get(a, 2)), 3u);
        ASSERT_OK(json_string_setn_nocheck(json_array_get(a, 2), "xy\0z", 4));
        ASSERT_EQ(json_string_length(json_array_get(a, 2)), 4u);
        ASSERT_OK(json_object_set_new(o, "list", a));
        ASSERT_EQ(json_integer_value(json_object_get(o, "count")), 42);
        ASSERT_STREQ(json_string_value(json_object_get(o, "name")), "deck");
        ASSERT_TRUE(!json_object_get(o, "missing"));

        void *it = json_object_iter_at(o, "name");
        ASSERT_TRUE(it);
        ASSERT_STREQ(json_string_value(json_object_iter_value(it)), "deck");
        ASSERT_OK(json_object_iter_set_new(o, it, json_string_nocheck("jupiter")));
        ASSERT_STREQ(json_string_value(json_object_get(o, "name")), "jupiter");
        json_decref(o);
}

TEST(pack_dump_and_load) {
        json_t *j = json_pack("{s:s, s:i, s:[b, n]}", "title", "BUG", "n", 3, "l", 1);
        ASSERT_TRUE(j);
        char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        ASSERT_STREQ(text, "{\"l\":[true,null],\"n\":3,\"title\":\"BUG\"}");
        char buf[64];
        size_t n = json_dumpb(j, buf, sizeof buf, JSON_SORT_KEYS | JSON_COMPACT);
        ASSERT_EQ(n, strlen(text));
        ASSERT_TRUE(memcmp(buf, text, n) == 0);
        json_decref(j);

        json_error_t e;
        json_t *back = json_loadb(text, strlen(text), 0, &e);
        ASSERT_TRUE(back);
        ASSERT_EQ(json_integer_value(json_object_get(back, "n")), 3);
        json_decref(back);
        free(text);

        ASSERT_TRUE(!json_loadb("{\"a\":", 5, 0, &e));
        ASSERT_TRUE(e.line == 1 && strlen(e.text) > 0); /* jansson's own error */
        ASSERT_TRUE(!json_pack("{s:s}", "a", NULL)); /* jansson's refusal, not a crash */
}
