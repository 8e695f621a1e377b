/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "tests.h"

TEST(session_roles_and_csrf) {
        Sessions *s = NULL;
        char id[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE], got[SESSION_ID_SIZE], user[64];
        ASSERT_OK(sessions_new(100, &s));
        ASSERT_OK(sessions_create(s, ROLE_VIEWER, "support", 1000, id, csrf));
        ASSERT_EQ(strlen(id), 64);
        ASSERT_TRUE(strcmp(id, csrf) != 0);
        ASSERT_EQ(sessions_check(s, id, 1000, got, user), ROLE_VIEWER);
        ASSERT_STREQ(got, csrf);
        ASSERT_STREQ(user, "support");
        /* Anything but the exact id is no session. */
        char other[SESSION_ID_SIZE];
        memcpy(other, id, sizeof other);
        other[10] = other[10] == 'a' ? 'b' : 'a';
        ASSERT_EQ(sessions_check(s, other, 1000, NULL, NULL), ROLE_NONE);
        ASSERT_EQ(sessions_check(s, "", 1000, NULL, NULL), ROLE_NONE);
        ASSERT_EQ(sessions_check(s, NULL, 1000, NULL, NULL), ROLE_NONE);
        ASSERT_EQ(sessions_check(s, "../../etc/passwd", 1000, NULL, NULL), ROLE_NONE);
        sessions_free(s);
}

TEST(session_expires_and_logout) {
        Sessions *s = NULL;
        char a[SESSION_ID_SIZE], b[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE];
        ASSERT_OK(sessions_new(100, &s));
        ASSERT_OK(sessions_create(s, ROLE_ADMIN, "root", 1000, a, csrf));
        ASSERT_OK(sessions_create(s, ROLE_VIEWER, "v", 1000, b, csrf));
        ASSERT_EQ(sessions_check(s, a, 1099, NULL, NULL), ROLE_ADMIN);
        ASSERT_EQ(sessions_check(s, a, 1100, NULL, NULL), ROLE_NONE);
        /* Once expired it stays gone, even for a clock that goes back. */
        ASSERT_EQ(sessions_check(s, a, 1000, NULL, NULL), ROLE_NONE);
        sessions_remove(s, b);
        ASSERT_EQ(sessions_check(s, b, 1000, NULL, NULL), ROLE_NONE);
        sessions_free(s);
}

TEST(session_table_full_drops_the_oldest) {
        Sessions *s = NULL;
        char first[SESSION_ID_SIZE], id[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE];
        ASSERT_OK(sessions_new(1000000, &s));
        ASSERT_OK(sessions_create(s, ROLE_VIEWER, "u", 1, first, csrf));
        for (unsigned i = 0; i < SESSION_PER_ROLE - 1; i++)
                ASSERT_OK(sessions_create(s, ROLE_VIEWER, "u", 2 + i, id, csrf));
        ASSERT_EQ(sessions_check(s, first, 5000, NULL, NULL), ROLE_VIEWER);
        ASSERT_OK(sessions_create(s, ROLE_VIEWER, "u", 6000, id, csrf));
        ASSERT_EQ(sessions_check(s, first, 6000, NULL, NULL), ROLE_NONE);
        ASSERT_EQ(sessions_check(s, id, 6000, NULL, NULL), ROLE_VIEWER);
        sessions_free(s);
}

/* The viewer's logins replace the viewer's own sessions, never the
 * admin's: 4150 viewer logins from 415 addresses logged the admin out
 * (attack review). */
TEST(one_roles_logins_never_push_out_the_others) {
        Sessions *s = NULL;
        char admin[SESSION_ID_SIZE], id[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE];
        ASSERT_OK(sessions_new(1000000, &s));
        ASSERT_OK(sessions_create(s, ROLE_ADMIN, "root", 1, admin, csrf));
        for (unsigned i = 0; i < SESSION_MAX + 100; i++)
                ASSERT_OK(sessions_create(s, ROLE_VIEWER, "support", 2 + i, id, csrf));
        ASSERT_EQ(sessions_check(s, admin, 10000, NULL, NULL), ROLE_ADMIN);
        ASSERT_EQ(sessions_check(s, id, 10000, NULL, NULL), ROLE_VIEWER);
        /* and the admin still logs in, as often as the viewer did */
        for (unsigned i = 0; i < SESSION_MAX; i++)
                ASSERT_OK(sessions_create(s, ROLE_ADMIN, "root", 20000 + i, admin, csrf));
        ASSERT_EQ(sessions_check(s, admin, 30000, NULL, NULL), ROLE_ADMIN);
        ASSERT_EQ(sessions_check(s, id, 30000, NULL, NULL), ROLE_VIEWER);
        sessions_free(s);
}

TEST(login_file_line) {
        char *u = NULL, *p = NULL;
        ASSERT_OK(login_parse("admin:pa:ss", &u, &p));
        ASSERT_STREQ(u, "admin");
        ASSERT_STREQ(p, "pa:ss");
        free(u);
        free(p);
        ASSERT_ERR(login_parse("nopassword", &u, &p), -EINVAL);
        ASSERT_ERR(login_parse(":pw", &u, &p), -EINVAL);
        ASSERT_ERR(login_parse("user:", &u, &p), -EINVAL);
        ASSERT_TRUE(secret_eq("abc", "abc"));
        ASSERT_TRUE(!secret_eq("abc", "abd"));
        ASSERT_TRUE(!secret_eq("abc", "abcd"));
        ASSERT_TRUE(!secret_eq("", "a"));
}
