/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "tests.h"
#include "unclean.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define BOOT "cccccccccccccccccccccccccccccccc"
#define STARTED "39f53479d3a045ac8e11786248231fbf"

/* A boot whose crash-looping service allocated until the OOM killer fired
 * (the message forms of mm/oom_kill.c and systemd's job.c/unit.c), then a
 * thermal warning, as journal export format. */
static void write_export(FILE *f) {
        unsigned long long t = 1000000000ULL * 1000000ULL;
        unsigned n = 0;
#define ENTRY(fields) fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%u\n_BOOT_ID=" BOOT "\n%s\n\n", \
                              t + n * 20000000ULL, (n + 1) * 1000000, fields), n++
        ENTRY("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Linux version 6.1.0-56-amd64");
        for (int i = 0; i < 8; i++) {
                ENTRY("_PID=1\nSYSLOG_IDENTIFIER=systemd\nMESSAGE_ID=" STARTED "\nUNIT=memhog.service\n"
                      "MESSAGE=Started memhog.service - allocates forever.");
                ENTRY("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=oom-kill:constraint=CONSTRAINT_NONE,"
                      "nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/memhog.service,"
                      "task=memhog,pid=812,uid=0");
                ENTRY("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Out of memory: Killed process 812 (memhog) "
                      "total-vm:2100000kB, anon-rss:1900000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:3800kB "
                      "oom_score_adj:0");
        }
        /* any user can log UNIT=: only PID 1's count */
        for (int i = 0; i < 10; i++)
                ENTRY("_PID=4242\nSYSLOG_IDENTIFIER=liar\nMESSAGE_ID=" STARTED "\nUNIT=innocent.service\nMESSAGE=Started");
        ENTRY("_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=thermal thermal_zone0: critical temperature reached (105 C), shutting down");
        /* forged hints: a line user space wrote to /dev/kmsg (journald
         * gives it _TRANSPORT=kernel too), kernel segfault lines of
         * processes named to look like the OOM killer's messages (captured
         * from this machine's kernel), a user's process logging a hint */
        ENTRY("_TRANSPORT=kernel\nSYSLOG_FACILITY=1\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Out of memory: Killed process 1 (sshd)");
        ENTRY("_TRANSPORT=kernel\nSYSLOG_FACILITY=0\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=oom-kill:[5300]: segfault at 0 "
              "ip 000055f888b5216a sp 00007ffd93f5dd70 error 6 in task_memcg=sshd.service,x[116a,55f888b52000+1000]");
        ENTRY("_TRANSPORT=kernel\nSYSLOG_FACILITY=0\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Killed process [5301]: segfault "
              "at 0 ip 000055f888b5216a sp 00007ffd93f5dd70 error 6 in x[116a,55f888b52000+1000]");
        ENTRY("_PID=4243\nSYSLOG_IDENTIFIER=upower\nMESSAGE=battery critical, thermal shutdown imminent");
        ENTRY("_PID=900\nSYSLOG_IDENTIFIER=app\nMESSAGE=last words");
#undef ENTRY
}

static void check(const UncleanAnalysis *u) {
        ASSERT_EQ(u->oom_kills, 8);
        ASSERT_STREQ(u->oom_victims, "memhog");
        ASSERT_STREQ(u->oom_units, "memhog.service");
        _cleanup_free_ char *title = unclean_title(u), *loops = unclean_loop_units(u);
        ASSERT_STREQ(title, "UNCLEAN_SHUTDOWN: unexplained reboot after a restart loop of memhog.service and OOM kills");
        ASSERT_STREQ(loops, "memhog.service (8 starts in 10 min)");
        ASSERT_EQ(u->thermal, 1);
        _cleanup_free_ char *sum = unclean_summary(u, BOOT, 0), *k = unclean_tail_text(u, true);
        ASSERT_TRUE(strstr(sum, "OOM kills: 8 (memhog)"));
        ASSERT_TRUE(strstr(sum, "Uptime at its last journal entry: 800 s"));
        ASSERT_EQ(u->battery, 0);
        ASSERT_TRUE(!strstr(sum, "sshd"));
        ASSERT_TRUE(strstr(sum, "critical temperature reached"));
        ASSERT_TRUE(!strstr(sum, "innocent"));
        ASSERT_TRUE(strstr(k, "kernel: Linux version"));
        ASSERT_TRUE(!strstr(k, "last words"));
}

static int feed(const JournalEntry *e, void *userdata) {
        return unclean_feed(userdata, e);
}

TEST(hints_from_a_real_journal) {
        if (access(JOURNAL_REMOTE, X_OK) < 0) {
                test_skip(JOURNAL_REMOTE " is missing (package systemd-journal-remote)");
                return;
        }
        char *dir = test_tmpdir();
        _cleanup_free_ char *export = path_join(dir, "export"), *cmd = NULL;
        FILE *f = fopen(export, "w");
        ASSERT_TRUE(f);
        write_export(f);
        fclose(f);
        if (asprintf(&cmd, "%s --output=%s/test.journal - < %s > /dev/null 2>&1", JOURNAL_REMOTE, dir, export) < 0)
                abort();
        int r = system(cmd);
        ASSERT_TRUE(WIFEXITED(r) && WEXITSTATUS(r) == 0);
        (void) unlink(export);

        UncleanAnalysis u;
        unclean_init(&u, 5, 400);
        /* the id as /proc writes it, with dashes */
        ASSERT_OK(journal_read_boot(dir, "cccccccc-cccc-cccc-cccc-cccccccccccc", 100000, feed, &u));
        check(&u);
        _cleanup_free_ char *tail = unclean_tail_text(&u, false);
        ASSERT_TRUE(strstr(tail, "app[900]: last words"));
        unclean_done(&u);

        unclean_init(&u, 5, 5);
        ASSERT_ERR(journal_read_boot(dir, "dddddddddddddddddddddddddddddddd", 10, feed, &u), -ENOENT);
        ASSERT_ERR(journal_read_boot(dir, "short", 10, feed, &u), -EINVAL);
        unclean_done(&u);
        free(dir);
}

TEST(a_quiet_boot_has_no_hints) {
        UncleanAnalysis u;
        unclean_init(&u, 3, 3);
        for (int i = 0; i < 5; i++) {
                JournalEntry e = { .usec = 1000000ULL * (unsigned) i * 600, .pid = "1", .unit = "cron.service",
                                   .message_id = STARTED, .message = "Started cron.service" };
                ASSERT_OK(unclean_feed(&u, &e));
        }
        _cleanup_free_ char *title = unclean_title(&u), *loops = unclean_loop_units(&u);
        ASSERT_STREQ(title, "UNCLEAN_SHUTDOWN: unexplained reboot");
        ASSERT_TRUE(loops == NULL);
        ASSERT_EQ(u.oom_kills, 0);
        unclean_done(&u);
}

#define PREV "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"

TEST(shutdown_mark_tells_clean_from_unexplained) {
        /* no mark at all: kcrash-shutdown.service never ran here */
        ASSERT_EQ(shutdown_mark_judge(NULL, false), PREVIOUS_BOOT_UNKNOWN);
        ASSERT_EQ(shutdown_mark_judge("BOOT_ID=" PREV "\nSTATE=clean\n", false), PREVIOUS_BOOT_CLEAN);
        ASSERT_EQ(shutdown_mark_judge("BOOT_ID=" PREV "\nSTATE=clean\n", true), PREVIOUS_BOOT_CLEAN);
        /* the single mark written before STATE= existed was only ever written at shutdown */
        ASSERT_EQ(shutdown_mark_judge("BOOT_ID=" PREV "\n", true), PREVIOUS_BOOT_CLEAN);
        /* the first boot with kcrash: started its mark, never ended it */
        ASSERT_EQ(shutdown_mark_judge("BOOT_ID=" PREV "\nSTATE=running\n", false), PREVIOUS_BOOT_UNEXPLAINED);
        /* the previous boot never reached the unit, earlier boots did */
        ASSERT_EQ(shutdown_mark_judge(NULL, true), PREVIOUS_BOOT_UNEXPLAINED);
        /* a state this version does not know is not taken for clean */
        ASSERT_EQ(shutdown_mark_judge("BOOT_ID=" PREV "\nSTATE=halting\n", false), PREVIOUS_BOOT_UNEXPLAINED);
}
