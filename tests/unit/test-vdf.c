/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fileio.h"
#include "vdf.h"
#include "tests.h"

TEST(loginusers_most_recent) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), "context/loginusers.vdf"), *data = NULL;
        size_t size;
        ASSERT_OK(read_full_file(path, 1 << 20, &data, &size));
        char *name = NULL, *id = NULL;
        ASSERT_OK(steam_most_recent_account(data, size, &name, &id));
        ASSERT_STREQ(name, "deckuser");
        ASSERT_STREQ(id, "76561198000000001");
        free(name);
        free(id);

        VdfNode *root = NULL;
        ASSERT_OK(vdf_parse(data, size, &root, NULL));
        const VdfNode *u = vdf_find(vdf_find(root, "USERS")->child, "76561198000000001");
        ASSERT_STREQ(vdf_find(u->child, "PersonaName")->value, "Deck \"the\" User");
        vdf_free(root);
}

TEST(no_most_recent) {
        const char *t = "\"users\" { \"1\" { \"AccountName\" \"a\" \"MostRecent\" \"0\" } }";
        char *name = NULL, *id = NULL;
        ASSERT_ERR(steam_most_recent_account(t, strlen(t), &name, &id), -ENOENT);
        t = "\"users\" { }";
        ASSERT_ERR(steam_most_recent_account(t, strlen(t), &name, &id), -ENOENT);
        t = "";
        ASSERT_ERR(steam_most_recent_account(t, 0, &name, &id), -ENOENT);
        /* a non-numeric key is not a Steam id */
        t = "\"users\" { \"../x\" { \"AccountName\" \"a\" \"MostRecent\" \"1\" } }";
        ASSERT_ERR(steam_most_recent_account(t, strlen(t), &name, &id), -ENOENT);
}

TEST(syntax) {
        VdfNode *root = NULL;
        const char *t = "// header\n\"a\" [$WIN32]\n{\n  b c // bare words\n  \"d\" { \"e\" \"f\\\\g\\n\" }\n}\n";
        ASSERT_OK(vdf_parse(t, strlen(t), &root, NULL));
        const VdfNode *a = vdf_find(root, "a");
        ASSERT_STREQ(vdf_find(a->child, "b")->value, "c");
        ASSERT_STREQ(vdf_find(vdf_find(a->child, "d")->child, "e")->value, "f\\g\n");
        vdf_free(root);
}

TEST(errors_have_lines) {
        static const struct {
                const char *text;
                int error;
                unsigned line;
        } cases[] = {
                { "\"a\"\n{\n\"b\" \"unterminated\n}\n", -EBADMSG, 5 },
                { "\"a\" {\n\"b\" \"c\"\n", -EBADMSG, 3 },
                { "\"a\" \"b\"\n}\n", -EBADMSG, 2 },
                { "{ \"a\" \"b\" }", -EBADMSG, 1 },
                { "\"a\" {\n\"b\"\n}", -EBADMSG, 3 },
                { "\"a\" \"b\0c\"", -EBADMSG, 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                VdfNode *root = NULL;
                unsigned line = 0;
                size_t len = i == 5 ? 10 : strlen(cases[i].text);
                ASSERT_ERR(vdf_parse(cases[i].text, len, &root, &line), cases[i].error);
                if (line != cases[i].line)
                        test_fail(__FILE__, __LINE__, "case %zu: line %u, expected %u", i, line, cases[i].line);
        }
}

TEST(depth_and_size_are_bounded) {
        size_t n = 100000;
        char *deep = malloc(n * 6 + 1), *p = deep;
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "\"a\" {");
        VdfNode *root = NULL;
        ASSERT_ERR(vdf_parse(deep, (size_t) (p - deep), &root, NULL), -E2BIG);
        free(deep);
        /* many small tokens: the node count bounds the memory (a user's
         * loginusers.vdf of "a" "" made root allocate 630 MB) */
        size_t m = VDF_MAX_NODES * 4;
        char *wide = malloc(m + 8);
        for (size_t i = 0; i < m; i += 2) {
                wide[i] = 'x';
                wide[i + 1] = ' ';
        }
        ASSERT_OK(vdf_parse(wide, m, &root, NULL)); /* VDF_MAX_NODES pairs */
        vdf_free(root);
        memcpy(wide + m, "x x ", 4);
        ASSERT_ERR(vdf_parse(wide, m + 4, &root, NULL), -E2BIG);
        free(wide);
        char *big = calloc(1, VDF_MAX_SIZE + 1);
        memset(big, ' ', VDF_MAX_SIZE + 1);
        ASSERT_ERR(vdf_parse(big, VDF_MAX_SIZE + 1, &root, NULL), -E2BIG);
        free(big);
}

TEST(account_name_longer_than_steam_allows) {
        char vdf[512];
        char name[STEAM_ACCOUNT_NAME_MAX + 2];
        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = 0;
        snprintf(vdf, sizeof vdf, "\"users\" { \"76561198000000001\" { \"AccountName\" \"%s\" \"MostRecent\" \"1\" } }",
                 name);
        char *a = NULL, *id = NULL;
        ASSERT_ERR(steam_most_recent_account(vdf, strlen(vdf), &a, &id), -ENOENT);
        name[STEAM_ACCOUNT_NAME_MAX] = 0; /* 64: Steam's longest */
        snprintf(vdf, sizeof vdf, "\"users\" { \"76561198000000001\" { \"AccountName\" \"%s\" \"MostRecent\" \"1\" } }",
                 name);
        ASSERT_OK(steam_most_recent_account(vdf, strlen(vdf), &a, &id));
        ASSERT_EQ(strlen(a), (size_t) STEAM_ACCOUNT_NAME_MAX);
        free(a);
        free(id);
}
