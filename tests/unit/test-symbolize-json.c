/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>
#include <stdlib.h>

#include "macro.h"
#include "symbolize-json.h"
#include "tests.h"

static json_t *load(const char *s) {
        json_error_t e;
        json_t *j = json_loads(s, 0, &e);
        if (!j)
                test_fail(__FILE__, __LINE__, "not JSON: %s (%s)", s, e.text);
        return j;
}

static SymbolLocation locs[] = {
        { (char *) "leaf", (char *) "/src/a.c", 1, 5 },
        { (char *) "outer", (char *) "/src/\xc3\xa9.c", 3, 0 },
};

static SymbolizedFrame frames[2] = {
        { .frame = { .function = (char *) "outer", .offset = 0x10, .size = 0x40, .module = (char *) "crashme",
                     .exact = true, .line = 7 },
          .build_id = "0123abcd",
          .result = { .locations = locs, .n_locations = 2, .debug_file = (char *) "/d/.build-id/01/23abcd.debug" } },
        { .frame = { .function = (char *) "vfs_write", .offset = 0xc7, .unreliable = true, .line = 9 },
          .result = { .error = (char *) "no build id for the kernel (vmlinux) in the report" } },
};

TEST(frames_as_json) {
        char *s = symbolized_frames_to_json_string(frames, 2, false);
        ASSERT_TRUE(s);
        ASSERT_TRUE(!strchr(s, '\n')); /* compact: one line */
        for (const char *p = s; *p; p++)
                ASSERT_TRUE((unsigned char) *p < 0x80);
        json_t *j = load(s);
        free(s);
        ASSERT_EQ(json_object_size(j), 1);
        json_t *a = json_object_get(j, "frames");
        ASSERT_EQ(json_array_size(a), 2);

        json_t *f0 = json_array_get(a, 0);
        ASSERT_STREQ(json_string_value(json_object_get(f0, "function")), "outer");
        ASSERT_EQ(json_integer_value(json_object_get(f0, "offset")), 0x10);
        ASSERT_EQ(json_integer_value(json_object_get(f0, "size")), 0x40);
        ASSERT_STREQ(json_string_value(json_object_get(f0, "module")), "crashme");
        ASSERT_STREQ(json_string_value(json_object_get(f0, "build_id")), "0123abcd");
        ASSERT_TRUE(json_is_true(json_object_get(f0, "exact")));
        ASSERT_TRUE(json_is_false(json_object_get(f0, "unreliable")));
        ASSERT_EQ(json_integer_value(json_object_get(f0, "log_line")), 7);
        ASSERT_TRUE(json_is_null(json_object_get(f0, "error")));
        ASSERT_STREQ(json_string_value(json_object_get(f0, "debug_file")), "/d/.build-id/01/23abcd.debug");
        json_t *l = json_object_get(f0, "locations");
        ASSERT_EQ(json_array_size(l), 2);
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(l, 0), "function")), "leaf");
        ASSERT_EQ(json_integer_value(json_object_get(json_array_get(l, 0), "column")), 5);
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(l, 1), "file")), "/src/\xc3\xa9.c");
        ASSERT_EQ(json_integer_value(json_object_get(json_array_get(l, 1), "line")), 3);

        json_t *f1 = json_array_get(a, 1);
        ASSERT_TRUE(json_is_null(json_object_get(f1, "module")));
        ASSERT_TRUE(json_is_null(json_object_get(f1, "build_id")));   /* "" is no id */
        ASSERT_TRUE(json_is_true(json_object_get(f1, "unreliable")));
        ASSERT_EQ(json_array_size(json_object_get(f1, "locations")), 0);
        ASSERT_STREQ(json_string_value(json_object_get(f1, "error")), "no build id for the kernel (vmlinux) in the report");
        ASSERT_TRUE(json_is_null(json_object_get(f1, "debug_file")));
        json_decref(j);
}

TEST(pretty_and_empty) {
        char *p = symbolized_frames_to_json_string(frames, 2, true);
        char *c = symbolized_frames_to_json_string(frames, 2, false);
        ASSERT_TRUE(p && c);
        ASSERT_TRUE(strstr(p, "{\n  \"frames\": ["));
        json_t *jp = load(p), *jc = load(c);
        ASSERT_TRUE(json_equal(jp, jc)); /* the same document either way */
        json_decref(jp);
        json_decref(jc);
        free(p);
        free(c);

        char *e = symbolized_frames_to_json_string(NULL, 0, false);
        ASSERT_STREQ(e, "{\"frames\":[]}");
        free(e);
}

TEST(invalid_utf8_becomes_replacement_characters) {
        /* DWARF names and the crash text are bytes from the device */
        SymbolLocation bad_locs[] = { { (char *) "le\xff" "af", (char *) "/src/\xe9.c", 1, 0 } };
        SymbolizedFrame bad[] = {
                { .frame = { .function = (char *) "out\xc3" "er", .module = (char *) "mod\x80" },
                  .result = { .locations = bad_locs, .n_locations = 1, .debug_file = (char *) "/d/\xfe" } },
                { .frame = { .function = (char *) "vfs_write" }, .result = { .error = (char *) "no \xff" } },
        };
        char *s = symbolized_frames_to_json_string(bad, 2, false);
        ASSERT_TRUE(s);
        json_t *j = load(s);
        free(s);
        json_t *a = json_object_get(j, "frames");
        json_t *f0 = json_array_get(a, 0), *l0 = json_array_get(json_object_get(f0, "locations"), 0);
        ASSERT_STREQ(json_string_value(json_object_get(f0, "function")), "out\xef\xbf\xbd" "er");
        ASSERT_STREQ(json_string_value(json_object_get(f0, "module")), "mod\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(json_object_get(f0, "debug_file")), "/d/\xef\xbf\xbd");
        ASSERT_STREQ(json_string_value(json_object_get(l0, "function")), "le\xef\xbf\xbd" "af");
        ASSERT_STREQ(json_string_value(json_object_get(l0, "file")), "/src/\xef\xbf\xbd.c");
        ASSERT_STREQ(json_string_value(json_object_get(json_array_get(a, 1), "error")), "no \xef\xbf\xbd");
        json_decref(j);
}
