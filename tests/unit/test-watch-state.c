/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "watch-state.h"
#include "tests.h"

#define DAY 86400

static int parse_str(const char *s, WatchState *st, unsigned *line) {
        return watch_state_parse(s, strlen(s), st, line);
}

TEST(empty_text_is_empty_state) {
        WatchState s;
        unsigned line = 0;
        ASSERT_OK(watch_state_parse("", 0, &s, &line));
        ASSERT_EQ(s.boot_id[0], 0);
        ASSERT_TRUE(!s.have_seq);
        ASSERT_EQ(s.n_sigs, 0);
        ASSERT_EQ(s.total, 0);
        watch_state_done(&s);
        /* blank lines only */
        ASSERT_OK(parse_str("\n\n\n", &s, &line));
        watch_state_done(&s);
}

TEST(round_trip) {
        const char text[] = "kcrash-watch-state 1\n"
                            "boot 0123abcd\n"
                            "seq 99\n"
                            "day 20000 3 7\n"
                            "sig abc 20000 2 1\n"
                            "sig kmsg-ff 19999 5 0\n";
        WatchState s;
        unsigned line = 0;
        ASSERT_OK(parse_str(text, &s, &line));
        ASSERT_STREQ(s.boot_id, "0123abcd");
        ASSERT_TRUE(s.have_seq);
        ASSERT_EQ(s.seq, 99);
        ASSERT_EQ(s.day, 20000);
        ASSERT_EQ(s.total, 3);
        ASSERT_EQ(s.suppressed, 7);
        ASSERT_EQ(s.n_sigs, 2);
        ASSERT_STREQ(s.sigs[0].signature, "abc");
        ASSERT_EQ(s.sigs[0].count, 2);
        ASSERT_TRUE(s.sigs[0].this_boot);
        ASSERT_TRUE(!s.sigs[1].this_boot);
        _cleanup_free_ char *out = NULL;
        ASSERT_OK(watch_state_format(&s, &out));
        ASSERT_STREQ(out, text);
        watch_state_done(&s);

        /* without a boot or a position, the lines are left out */
        WatchState e = {};
        _cleanup_free_ char *out2 = NULL;
        ASSERT_OK(watch_state_format(&e, &out2));
        ASSERT_STREQ(out2, "kcrash-watch-state 1\nday 0 0 0\n");
}

TEST(bad_lines_are_named) {
        static const struct {
                const char *text;
                unsigned line;
        } bad[] = {
                { "kcrash-watch-state 2\n", 1 },
                { "boot x\n", 1 },
                { "kcrash-watch-state 1\nboot ../x\n", 2 },
                { "kcrash-watch-state 1\nboot a b\n", 2 },
                { "kcrash-watch-state 1\n\nseq 1\nseq x\n", 3 },            /* empty lines are not counted */
                { "kcrash-watch-state 1\nseq -1\n", 2 },
                { "kcrash-watch-state 1\nday 1 2\n", 2 },
                { "kcrash-watch-state 1\nday 1 2 3 4\n", 2 },
                { "kcrash-watch-state 1\nsig a 1 1 2\n", 2 },              /* this_boot 0 or 1 */
                { "kcrash-watch-state 1\nsig a/b 1 1 1\n", 2 },
                { "kcrash-watch-state 1\nsig a 1 1\n", 2 },
                { "kcrash-watch-state 1\nunknown 1\n", 2 },
                { "kcrash-watch-state 1\nseq 18446744073709551616\n", 2 }, /* over u64 */
                { "kcrash-watch-state 1\nsig a 1 1 1 1 1 1\n", 2 },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                WatchState s = {};
                unsigned line = 0;
                int r = parse_str(bad[i].text, &s, &line);
                if (r != -EBADMSG || line != bad[i].line)
                        test_fail(__FILE__, __LINE__, "case %zu: %d at line %u, expected -EBADMSG at %u", i, r, line,
                                  bad[i].line);
                ASSERT_TRUE(!s.sigs);
        }
        /* a boot id too long for the state, a signature too long */
        char buf[512];
        snprintf(buf, sizeof buf, "kcrash-watch-state 1\nboot %065d\n", 0);
        unsigned line = 0;
        WatchState s;
        ASSERT_ERR(parse_str(buf, &s, &line), -EBADMSG);
        ASSERT_EQ(line, 2);
        snprintf(buf, sizeof buf, "kcrash-watch-state 1\nboot %064d\nsig %0*d 1 1 1\n", 0, WATCH_SIGNATURE_MAX, 0);
        ASSERT_OK(parse_str(buf, &s, &line));
        ASSERT_EQ(strlen(s.boot_id), 64);
        ASSERT_EQ(strlen(s.sigs[0].signature), WATCH_SIGNATURE_MAX);
        watch_state_done(&s);
        snprintf(buf, sizeof buf, "kcrash-watch-state 1\nsig %0*d 1 1 1\n", WATCH_SIGNATURE_MAX + 1, 0);
        ASSERT_ERR(parse_str(buf, &s, &line), -EBADMSG);
        /* a NUL in the text */
        ASSERT_ERR(watch_state_parse("kcrash-watch-state 1\n\0", 22, &s, &line), -EBADMSG);
        ASSERT_EQ(line, 1);
}

TEST(signatures_are_bounded) {
        /* a file with more signatures than the state keeps: the oldest day goes */
        size_t n = WATCH_STATE_MAX_SIGNATURES + 10;
        size_t cap = 64 + n * 64;
        char *text = malloc(cap), *p = text;
        ASSERT_TRUE(text);
        p += sprintf(p, "kcrash-watch-state 1\n");
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "sig s%zu %zu 1 0\n", i, 1000 + i);
        WatchState s;
        unsigned line;
        ASSERT_OK(watch_state_parse(text, (size_t) (p - text), &s, &line));
        free(text);
        ASSERT_EQ(s.n_sigs, WATCH_STATE_MAX_SIGNATURES);
        for (size_t i = 0; i < s.n_sigs; i++)
                ASSERT_TRUE(s.sigs[i].day >= 1010); /* s0..s9 were the oldest */
        watch_state_done(&s);
}

TEST(set_boot) {
        WatchState s = {};
        ASSERT_EQ(watch_state_set_boot(&s, "boot1"), 1);
        s.have_seq = true;
        s.seq = 10;
        WatchLimits l = { .per_signature_daily = 10, .daily_reports = 100 };
        uint64_t sup;
        ASSERT_TRUE(watch_state_admit(&s, "sig", 5 * DAY, &l, &sup));
        /* the same boot again: nothing changes */
        ASSERT_EQ(watch_state_set_boot(&s, "boot1"), 0);
        ASSERT_TRUE(s.have_seq);
        ASSERT_EQ(s.seq, 10);
        /* a new boot: the position and the once-per-boot marks go, the counts stay */
        ASSERT_EQ(watch_state_set_boot(&s, "boot2"), 1);
        ASSERT_TRUE(!s.have_seq);
        ASSERT_EQ(s.seq, 0);
        ASSERT_TRUE(!s.sigs[0].this_boot);
        ASSERT_EQ(s.sigs[0].count, 1);
        ASSERT_EQ(s.total, 1);
        ASSERT_STREQ(s.boot_id, "boot2");
        /* invalid ids change nothing */
        ASSERT_ERR(watch_state_set_boot(&s, ""), -EINVAL);
        ASSERT_ERR(watch_state_set_boot(&s, "a/b"), -EINVAL);
        char longid[80];
        memset(longid, 'a', sizeof longid - 1);
        longid[sizeof longid - 1] = 0;
        ASSERT_ERR(watch_state_set_boot(&s, longid), -EINVAL);
        ASSERT_STREQ(s.boot_id, "boot2");
        watch_state_done(&s);
}

TEST(admit_once_per_boot_and_per_day) {
        WatchState s = {};
        WatchLimits l = { .per_signature_daily = 2, .daily_reports = 100 };
        uint64_t sup = 99;
        time_t day1 = 20000 * (time_t) DAY + 10;
        ASSERT_OK(watch_state_set_boot(&s, "b1"));
        ASSERT_TRUE(watch_state_admit(&s, "A", day1, &l, &sup));
        ASSERT_EQ(sup, 0);
        /* the same signature in the same boot: held back, counted */
        ASSERT_TRUE(!watch_state_admit(&s, "A", day1 + 1, &l, &sup));
        ASSERT_TRUE(!watch_state_admit(&s, "A", day1 + 2, &l, &sup));
        ASSERT_EQ(s.suppressed, 2);
        /* another signature goes, and carries what was held back */
        ASSERT_TRUE(watch_state_admit(&s, "B", day1 + 3, &l, &sup));
        ASSERT_EQ(sup, 2);
        ASSERT_EQ(s.suppressed, 0);
        /* a new boot: A again, its second that day */
        ASSERT_OK(watch_state_set_boot(&s, "b2"));
        ASSERT_TRUE(watch_state_admit(&s, "A", day1 + 4, &l, &sup));
        /* a third boot: A has used its two reports of the day */
        ASSERT_OK(watch_state_set_boot(&s, "b3"));
        ASSERT_TRUE(!watch_state_admit(&s, "A", day1 + 5, &l, &sup));
        /* the next day it may go again */
        ASSERT_TRUE(watch_state_admit(&s, "A", day1 + DAY, &l, &sup));
        ASSERT_EQ(sup, 1);
        ASSERT_EQ(s.day, 20001);
        ASSERT_EQ(s.total, 1);
        watch_state_done(&s);
}

TEST(admit_daily_total) {
        WatchState s = {};
        WatchLimits l = { .per_signature_daily = 5, .daily_reports = 3 };
        uint64_t sup;
        time_t t = 30000 * (time_t) DAY;
        char sig[16];
        for (int i = 0; i < 3; i++) {
                snprintf(sig, sizeof sig, "s%d", i);
                ASSERT_TRUE(watch_state_admit(&s, sig, t, &l, &sup));
        }
        ASSERT_TRUE(!watch_state_admit(&s, "s9", t, &l, &sup));
        ASSERT_EQ(s.n_sigs, 3); /* a held-back signature is not remembered */
        ASSERT_TRUE(watch_state_admit(&s, "s9", t + DAY, &l, &sup));
        ASSERT_EQ(sup, 1);
        /* limits of 0: nothing goes */
        WatchLimits none = { 0, 0 };
        ASSERT_TRUE(!watch_state_admit(&s, "new", t + DAY, &none, &sup));
        watch_state_done(&s);
}

TEST(admit_folds_hostile_signatures) {
        WatchState s = {};
        WatchLimits l = { .per_signature_daily = 5, .daily_reports = 1000 };
        uint64_t sup;
        ASSERT_TRUE(watch_state_admit(&s, "a b\nsig x 1 1 1", 100, &l, &sup));
        ASSERT_TRUE(watch_state_admit(&s, "", 100, &l, &sup));
        ASSERT_TRUE(!watch_state_admit(&s, NULL, 100, &l, &sup)); /* NULL folds to "_" like "" */
        char big[400];
        memset(big, 'z', sizeof big - 1);
        big[sizeof big - 1] = 0;
        ASSERT_TRUE(watch_state_admit(&s, big, 100, &l, &sup));
        ASSERT_EQ(strlen(s.sigs[2].signature), WATCH_SIGNATURE_MAX);
        /* a time before the epoch is day 0 */
        ASSERT_TRUE(watch_state_admit(&s, "neg", -5, &l, &sup));
        ASSERT_EQ(s.day, 0);
        /* whatever went in, the file still parses back */
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(watch_state_format(&s, &text));
        WatchState back;
        unsigned line = 0;
        ASSERT_OK(watch_state_parse(text, strlen(text), &back, &line));
        ASSERT_EQ(back.n_sigs, s.n_sigs);
        ASSERT_STREQ(back.sigs[0].signature, "a_b_sig_x_1_1_1");
        watch_state_done(&back);
        watch_state_done(&s);
}

TEST(admit_at_capacity_forgets_the_oldest) {
        WatchState s = {};
        WatchLimits l = { .per_signature_daily = 5, .daily_reports = UINT64_MAX };
        uint64_t sup;
        char sig[32];
        for (size_t i = 0; i < WATCH_STATE_MAX_SIGNATURES; i++) {
                snprintf(sig, sizeof sig, "s%zu", i);
                ASSERT_TRUE(watch_state_admit(&s, sig, (time_t) (i == 7 ? 1 : 2) * DAY, &l, &sup));
        }
        ASSERT_EQ(s.n_sigs, WATCH_STATE_MAX_SIGNATURES);
        ASSERT_TRUE(watch_state_admit(&s, "newcomer", 2 * DAY, &l, &sup));
        ASSERT_EQ(s.n_sigs, WATCH_STATE_MAX_SIGNATURES);
        ASSERT_STREQ(s.sigs[7].signature, "newcomer"); /* s7 was of the oldest day */
        ASSERT_EQ(s.sigs[7].count, 1);
        ASSERT_TRUE(s.sigs[7].this_boot);
        watch_state_done(&s);
}
