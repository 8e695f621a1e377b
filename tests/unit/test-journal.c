/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "tests.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"

/* A real journal file, written by systemd-journal-remote from export format:
 * boot A from t=1000 to t=1100, boot B from t=2000 to t=2050. */
static char *make_journal(void) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *export = path_join(dir, "export"), *cmd = NULL;
        FILE *f = fopen(export, "w");
        ASSERT_TRUE(f);
        const char *boots[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" };
        for (int b = 0; b < 2; b++)
                for (int i = 0; i < 6; i++)
                        fprintf(f, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n"
                                   "SYSLOG_IDENTIFIER=app\n_PID=%d\nMESSAGE=boot %c line %d\n\n",
                                (1000 + b * 1000 + i * 10) * 1000000, (i + 1) * 1000000, boots[b], 100 + b,
                                'A' + b, i);
        fclose(f);
        if (asprintf(&cmd, "%s --output=%s/test.journal - < %s > /dev/null 2>&1", JOURNAL_REMOTE, dir, export) < 0)
                abort();
        int r = system(cmd);
        ASSERT_TRUE(WIFEXITED(r) && WEXITSTATUS(r) == 0);
        (void) unlink(export);
        return dir;
}

TEST(tail_of_the_crashed_boot) {
        if (access(JOURNAL_REMOTE, X_OK) < 0) {
                test_skip(JOURNAL_REMOTE " is missing (package systemd-journal-remote)");
                return;
        }
        _cleanup_free_ char *dir = make_journal();
        _cleanup_free_ char *text = NULL;
        /* crashed at t=1200: boot A was running; its last 3 lines */
        ASSERT_OK(journal_tail_for_time(dir, 1200, 3, &text));
        ASSERT_STREQ(text, "1970-01-01T00:17:10+00:00 app[100]: boot A line 3\n"
                           "1970-01-01T00:17:20+00:00 app[100]: boot A line 4\n"
                           "1970-01-01T00:17:30+00:00 app[100]: boot A line 5\n");
        free(text);
        text = NULL;
        ASSERT_OK(journal_tail_for_time(dir, 2500, 100, &text));
        ASSERT_TRUE(strstr(text, "boot B line 0"));
        ASSERT_TRUE(strstr(text, "boot B line 5"));
        ASSERT_TRUE(!strstr(text, "boot A"));
        free(text);
        text = NULL;
        ASSERT_ERR(journal_tail_for_time(dir, 500, 10, &text), -ENOENT);
}
