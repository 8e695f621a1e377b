/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>

#include "json-util.h"
#include "macro.h"
#include "tests.h"

TEST(string_or_null) {
        json_t *s = json_string_or_null("steam");
        ASSERT_TRUE(json_is_string(s));
        ASSERT_STREQ(json_string_value(s), "steam");
        json_decref(s);

        json_t *n = json_string_or_null(NULL);
        ASSERT_TRUE(json_is_null(n));
        json_decref(n);

        json_t *e = json_string_or_null("");
        ASSERT_STREQ(json_string_value(e), "");
        json_decref(e);

        /* not UTF-8: kept, with U+FFFD for each byte jansson would refuse */
        json_t *b = json_string_or_null("\xff\xfe");
        ASSERT_STREQ(json_string_value(b), "\xef\xbf\xbd\xef\xbf\xbd");
        json_decref(b);
}

TEST(string_lossy) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "" },
                { "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x92\xa5", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x92\xa5" },
                { "a\xff" "b", "a\xef\xbf\xbd" "b" },
                { "\xc3", "\xef\xbf\xbd" },                                  /* cut short */
                { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },                 /* overlong '/' */
                { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
                { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* above U+10FFFF */
                { "\xe2\x9c" "x\xe2\x9c\x93", "\xef\xbf\xbd\xef\xbf\xbd" "x\xe2\x9c\x93" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                json_t *s = json_string_lossy(cases[i].in);
                ASSERT_TRUE(json_is_string(s));
                ASSERT_STREQ(json_string_value(s), cases[i].out);
                /* what jansson writes, it reads back */
                _cleanup_free_ char *text = json_dumps(s, JSON_ENCODE_ANY);
                json_error_t e;
                json_t *back = json_loads(text, JSON_DECODE_ANY, &e);
                ASSERT_TRUE(json_equal(back, s));
                json_decref(back);
                json_decref(s);
        }
        ASSERT_TRUE(json_string_lossy(NULL) == NULL);
}

TEST(set_takes_the_reference) {
        json_t *o = json_object();
        ASSERT_OK(json_set(o, "a", json_integer(1)));
        ASSERT_EQ(json_integer_value(json_object_get(o, "a")), 1);
        /* a later set replaces the value */
        ASSERT_OK(json_set(o, "a", json_string("x")));
        ASSERT_STREQ(json_string_value(json_object_get(o, "a")), "x");

        /* a failed constructor: -ENOMEM, nothing set */
        ASSERT_ERR(json_set(o, "b", NULL), -ENOMEM);
        ASSERT_TRUE(!json_object_get(o, "b"));
        ASSERT_EQ(json_object_size(o), 1);

        /* not an object: the value is still consumed (ASan checks no leak) */
        json_t *a = json_array();
        ASSERT_ERR(json_set(a, "k", json_integer(2)), -ENOMEM);
        json_decref(a);

        /* the results OR together into one negative value */
        int r = 0;
        r |= json_set(o, "d", json_true());
        r |= json_set(o, "e", NULL);
        r |= json_set(o, "f", json_false());
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(json_is_true(json_object_get(o, "d")));
        ASSERT_TRUE(json_is_false(json_object_get(o, "f")));
        json_decref(o);
}

TEST(dump_pretty_is_indented_ascii) {
        json_t *o = json_pack("{s:s, s:[i, i]}", "name", "caf\xc3\xa9 \xe2\x9c\x93", "n", 1, 2);
        ASSERT_TRUE(o);
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(json_dump_pretty(o, &text));
        /* two-space indent, one member per line */
        ASSERT_TRUE(strstr(text, "{\n  \"name\": "));
        /* no byte above 0x7f: é and ✓ are escaped */
        for (const char *p = text; *p; p++)
                ASSERT_TRUE((unsigned char) *p < 0x80);
        ASSERT_TRUE(strstr(text, "caf\\u00E9 \\u2713"));
        /* and it reads back to the same value */
        json_error_t e;
        json_t *back = json_loads(text, 0, &e);
        ASSERT_TRUE(back);
        ASSERT_TRUE(json_equal(back, o));
        json_decref(back);
        json_decref(o);

        _cleanup_free_ char *empty = NULL;
        json_t *eo = json_object();
        ASSERT_OK(json_dump_pretty(eo, &empty));
        ASSERT_STREQ(empty, "{}");
        json_decref(eo);
}
