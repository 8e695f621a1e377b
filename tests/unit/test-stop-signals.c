/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>

#include "stop-signals.h"
#include "tests.h"

static volatile sig_atomic_t ours, theirs;

static void our_handler(int sig) {
        (void) sig;
        ours++;
}

static void their_handler(int sig) {
        (void) sig;
        theirs++;
}

static void (*handler_of(int sig))(int) {
        struct sigaction sa;
        ASSERT_OK(sigaction(sig, NULL, &sa));
        return sa.sa_handler;
}

TEST(installed_then_put_back) {
        struct sigaction sa = { .sa_handler = their_handler }, old_term, old_int;
        ASSERT_OK(sigaction(SIGTERM, &sa, &old_term));
        ASSERT_OK(sigaction(SIGINT, &sa, &old_int));

        StopSignals s = {};
        stop_signals_restore(&s); /* none installed: nothing changes */
        ASSERT_TRUE(handler_of(SIGTERM) == their_handler);

        stop_signals_install(&s, our_handler);
        ASSERT_TRUE(handler_of(SIGTERM) == our_handler && handler_of(SIGINT) == our_handler);
        ASSERT_OK(raise(SIGTERM));
        ASSERT_OK(raise(SIGINT));
        ASSERT_EQ(ours, 2);
        ASSERT_EQ(theirs, 0);

        stop_signals_restore(&s);
        ASSERT_TRUE(handler_of(SIGTERM) == their_handler && handler_of(SIGINT) == their_handler);
        ASSERT_OK(raise(SIGTERM));
        ASSERT_EQ(theirs, 1);
        ASSERT_EQ(ours, 2);
        stop_signals_restore(&s); /* twice: still theirs */
        ASSERT_TRUE(handler_of(SIGTERM) == their_handler);

        ASSERT_OK(sigaction(SIGTERM, &old_term, NULL));
        ASSERT_OK(sigaction(SIGINT, &old_int, NULL));
}
