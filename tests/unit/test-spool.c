/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "fileio.h"
#include "macro.h"
#include "offload.h"
#include "spool.h"
#include "tests.h"

/* The retry delay: base * 2^(attempts-1), capped at SUBMIT_BACKOFF_MAX, then
 * spread by +-25 % so a fleet that failed together does not retry together,
 * never below the server's Retry-After (README "Submit"). */

static KcrashConfig config_with(uint64_t base, uint64_t max) {
        KcrashConfig c = {};
        c.submit_backoff_base = base;
        c.submit_backoff_max = max;
        return c;
}

TEST(backoff_doubles_from_the_base) {
        KcrashConfig c = config_with(60, 21600);
        /* jitter01 = 0.5 is the middle of the spread: no change */
        ASSERT_EQ(spool_backoff(&c, 0, 0, 0.5), 60);
        ASSERT_EQ(spool_backoff(&c, 1, 0, 0.5), 60);
        ASSERT_EQ(spool_backoff(&c, 2, 0, 0.5), 120);
        ASSERT_EQ(spool_backoff(&c, 3, 0, 0.5), 240);
        ASSERT_EQ(spool_backoff(&c, 7, 0, 0.5), 3840);
}

TEST(backoff_is_capped_at_max) {
        KcrashConfig c = config_with(60, 600);
        ASSERT_EQ(spool_backoff(&c, 5, 0, 0.5), 600); /* 960 without the cap */
        ASSERT_EQ(spool_backoff(&c, 60, 0, 0.5), 600);
        ASSERT_EQ(spool_backoff(&c, 4000000000u, 0, 0.5), 600);
        /* the jitter applies to the capped delay: never more than max + 25 % */
        for (unsigned a = 1; a < 100; a++)
                ASSERT_TRUE(spool_backoff(&c, a, 0, 0.999999) <= 750);
}

TEST(jitter_spreads_within_a_quarter) {
        KcrashConfig c = config_with(1000, 1000000);
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = 0; i <= 1000; i++) {
                int64_t d = spool_backoff(&c, 1, 0, i / 1000.0);
                ASSERT_TRUE(d >= 750);
                ASSERT_TRUE(d <= 1250);
                if (d < lo)
                        lo = d;
                if (d > hi)
                        hi = d;
        }
        /* the whole range is used, not a single point */
        ASSERT_EQ(lo, 750);
        ASSERT_EQ(hi, 1250);
        /* and it is monotonic in the random draw, so a uniform draw gives a uniform spread */
        ASSERT_EQ(spool_backoff(&c, 1, 0, 0.0), 750);
        ASSERT_EQ(spool_backoff(&c, 1, 0, 0.25), 875);
        ASSERT_EQ(spool_backoff(&c, 1, 0, 0.75), 1125);
}

TEST(retry_after_is_a_floor) {
        KcrashConfig c = config_with(60, 600);
        ASSERT_EQ(spool_backoff(&c, 1, 3600, 0.0), 3600); /* above the cap: the server wins */
        ASSERT_EQ(spool_backoff(&c, 1, 10, 0.5), 60);     /* below the delay: ignored */
}

/* The daemon's next wake-up: per target, and a Sentry limit on events
 * holds that target's pending reports until it ends. */
TEST(next_try_per_target_and_sentry_limit) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *queue = path_join(dir, OFFLOAD_QUEUE_DIR);
        _cleanup_free_ char *state = path_join(dir, OFFLOAD_UPLOAD_STATE_DIR);
        _cleanup_free_ char *zip = path_join(queue, "r.zip"), *limits = path_join(state, "sentry-limits");
        int64_t next = -1;
        unsigned kcrash = 1u << SUBMIT_TARGET_KCRASH, sentry = 1u << SUBMIT_TARGET_SENTRY;
        ASSERT_OK(mkdir_p(queue, 0755));
        ASSERT_OK(mkdir_p(state, 0755));
        ASSERT_OK(write_file_atomic(zip, "PK", 2, 0644));

        /* sent to kcrash, never tried at sentry: sentry is due now */
        SpoolState sent = { .state = SPOOL_SENT };
        ASSERT_OK(spool_state_save_target(dir, "r", SUBMIT_TARGET_KCRASH, &sent));
        ASSERT_ERR(spool_next_try(dir, kcrash, &next), -ENOENT);
        ASSERT_OK(spool_next_try(dir, kcrash | sentry, &next));
        ASSERT_EQ(next, 0);

        /* the server limited events for 100 s */
        int64_t until = (int64_t) time(NULL) + 100;
        char text[64];
        int n = snprintf(text, sizeof text, "error %lld\n", (long long) until);
        ASSERT_OK(write_file_atomic(limits, text, (size_t) n, 0600));
        ASSERT_OK(spool_next_try(dir, kcrash | sentry, &next));
        ASSERT_EQ(next, until);

        /* each target's state is its own file */
        SpoolState back = {};
        ASSERT_OK(spool_state_load_target(dir, "r", SUBMIT_TARGET_KCRASH, &back));
        ASSERT_EQ(back.state, SPOOL_SENT);
        spool_state_done(&back);
        ASSERT_ERR(spool_state_load_target(dir, "r", SUBMIT_TARGET_SENTRY, &back), -ENOENT);
}
