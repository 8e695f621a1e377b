/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "ratelimit.h"
#include "tests.h"

static unsigned check(RateLimit *rl, const char *key, double now) {
        unsigned wait = 0;
        ASSERT_OK(ratelimit_check(rl, key, now, &wait));
        return wait;
}

/* The old table kept one bucket per hash slot and reset it when another key
 * landed there: two devices alternating reset each other's limit forever. */
TEST(keys_never_share_or_reset_a_bucket) {
        RateLimit *rl = NULL;
        ASSERT_OK(ratelimit_new(8, 2, &rl));
        for (int i = 0; i < 2; i++) {
                ASSERT_EQ(check(rl, "a", 0), 0);
                ASSERT_EQ(check(rl, "b", 0), 0);
        }
        for (int i = 0; i < 10; i++) {
                ASSERT_TRUE(check(rl, "a", 0) > 0);
                ASSERT_TRUE(check(rl, "b", 0) > 0);
        }
        ASSERT_EQ(ratelimit_size(rl), 2);
        ratelimit_free(rl);
}

TEST(refills_over_time) {
        RateLimit *rl = NULL;
        ASSERT_OK(ratelimit_new(8, 2, &rl)); /* 2 per minute: one every 30 s */
        ASSERT_EQ(check(rl, "k", 100), 0);
        ASSERT_EQ(check(rl, "k", 100), 0);
        unsigned w = check(rl, "k", 100);
        ASSERT_TRUE(w >= 30 && w <= 31);
        ASSERT_TRUE(check(rl, "k", 110) > 0);
        ASSERT_EQ(check(rl, "k", 131), 0);
        ASSERT_TRUE(check(rl, "k", 131) > 0);
        ratelimit_free(rl);
}

TEST(bounded_and_evicts_the_stalest) {
        RateLimit *rl = NULL;
        char key[32];
        ASSERT_OK(ratelimit_new(64, 1, &rl));
        for (int i = 0; i < 10000; i++) {
                snprintf(key, sizeof key, "k%d", i);
                ASSERT_EQ(check(rl, key, 0), 0);
        }
        ASSERT_EQ(ratelimit_size(rl), 64);
        /* the 64 most recent keys are still limited, an older one starts afresh */
        for (int i = 10000 - 64; i < 10000; i++) {
                snprintf(key, sizeof key, "k%d", i);
                ASSERT_TRUE(check(rl, key, 0) > 0);
        }
        ASSERT_EQ(check(rl, "k0", 0), 0);
        ratelimit_free(rl);
}

/* A client that drained its bucket cannot push it out cheaply: every bucket
 * touched less recently goes first, its own last. */
TEST(hostile_keys_evict_idle_buckets_first) {
        RateLimit *rl = NULL;
        char key[32];
        ASSERT_OK(ratelimit_new(16, 1, &rl));
        for (int i = 0; i < 8; i++) {
                snprintf(key, sizeof key, "honest%d", i);
                ASSERT_EQ(check(rl, key, 0), 0);
        }
        ASSERT_EQ(check(rl, "hostile", 1), 0);
        ASSERT_TRUE(check(rl, "hostile", 1) > 0);
        /* 15 fresh keys fill the table: the idle honest buckets go, not the hostile one */
        for (int i = 0; i < 15; i++) {
                snprintf(key, sizeof key, "fresh%d", i);
                ASSERT_EQ(check(rl, key, 2), 0);
        }
        ASSERT_TRUE(check(rl, "hostile", 2) > 0);
        ratelimit_free(rl);
}

TEST(rejects_bad_keys) {
        RateLimit *rl = NULL;
        unsigned w;
        char big[RATELIMIT_KEY_MAX + 1];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        ASSERT_OK(ratelimit_new(4, 1, &rl));
        ASSERT_ERR(ratelimit_check(rl, "", 0, &w), -EINVAL);
        ASSERT_ERR(ratelimit_check(rl, big, 0, &w), -EINVAL);
        big[RATELIMIT_KEY_MAX - 1] = 0;
        ASSERT_OK(ratelimit_check(rl, big, 0, &w));
        ASSERT_ERR(ratelimit_new(0, 1, &rl), -EINVAL);
        ratelimit_free(rl);
}
