/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-config.h"
#include "failpoint.h"
#include "tests.h"

static void reset(void) {
        unsetenv("KCRASH_FAILPOINT");
        unsetenv("KCRASH_FAILPOINT_SKIP");
}

TEST(unset_never_fails) {
        reset();
        ASSERT_EQ(failpoint_check("spool-write"), 0);
        ASSERT_EQ(failpoint_check(""), 0);
}

#if KCRASH_TEST_HOOKS

TEST(errno_actions) {
        reset();
        setenv("KCRASH_FAILPOINT", "spool-write:ENOSPC", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -ENOSPC);
        ASSERT_EQ(failpoint_check("other"), 0);
        setenv("KCRASH_FAILPOINT", "spool-write:EROFS", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -EROFS);
        setenv("KCRASH_FAILPOINT", "spool-write:EACCES", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -EACCES);
        /* any other name: a generic I/O error */
        setenv("KCRASH_FAILPOINT", "spool-write:EWHATEVER", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -EIO);
        setenv("KCRASH_FAILPOINT", "spool-write:", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -EIO);
        reset();
}

TEST(star_matches_every_point) {
        reset();
        /* "*" alone kills at any point (tests/integration/collect_test.py);
         * with an action it returns that error at any point */
        setenv("KCRASH_FAILPOINT", "*:ENOSPC", 1);
        ASSERT_ERR(failpoint_check("spool-write"), -ENOSPC);
        ASSERT_ERR(failpoint_check("archive-close"), -ENOSPC);
        setenv("KCRASH_FAILPOINT", "*:EROFS", 1);
        ASSERT_ERR(failpoint_check("x"), -EROFS);
        /* "**" or "*x" are names, not wildcards */
        setenv("KCRASH_FAILPOINT", "**:ENOSPC", 1);
        ASSERT_EQ(failpoint_check("spool-write"), 0);
        setenv("KCRASH_FAILPOINT", "*x:ENOSPC", 1);
        ASSERT_EQ(failpoint_check("spool-write"), 0);
        reset();
}

TEST(names_match_whole) {
        reset();
        setenv("KCRASH_FAILPOINT", "spool:ENOSPC", 1);
        ASSERT_EQ(failpoint_check("spool-write"), 0); /* a prefix is not the point */
        ASSERT_EQ(failpoint_check("spoo"), 0);
        ASSERT_EQ(failpoint_check(""), 0);
        ASSERT_ERR(failpoint_check("spool"), -ENOSPC);
        setenv("KCRASH_FAILPOINT", "", 1);
        ASSERT_EQ(failpoint_check("spool"), 0);
        reset();
}

TEST(skip_counts_hits_of_the_point) {
        reset();
        /* in a child: the hit counter is per process */
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                setenv("KCRASH_FAILPOINT", "p:ENOSPC", 1);
                setenv("KCRASH_FAILPOINT_SKIP", "2", 1);
                int ok = failpoint_check("q") == 0 &&       /* not a hit */
                         failpoint_check("p") == 0 && failpoint_check("p") == 0 &&
                         failpoint_check("p") == -ENOSPC && failpoint_check("p") == -ENOSPC;
                /* a SKIP that is not a number skips nothing */
                setenv("KCRASH_FAILPOINT_SKIP", "two", 1);
                ok = ok && failpoint_check("p") == -ENOSPC;
                _exit(ok ? 0 : 1);
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

static int run_child(const char *spec) {
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                setenv("KCRASH_FAILPOINT", spec, 1);
                (void) failpoint_check("die-here");
                _exit(0);
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        return status;
}

TEST(kill_is_the_default) {
        reset();
        int status = run_child("die-here");
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
        status = run_child("die-here:kill");
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
        /* another point's kill does not touch this one */
        status = run_child("elsewhere:kill");
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

#else

TEST(compiled_out) {
        /* without -Dtest_hooks the environment cannot inject anything */
        setenv("KCRASH_FAILPOINT", "*:ENOSPC", 1);
        ASSERT_EQ(failpoint_check("spool-write"), 0);
        unsetenv("KCRASH_FAILPOINT");
}

#endif
