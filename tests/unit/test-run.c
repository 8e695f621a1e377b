/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-root.h"
#include "archive.h"
#include "fileio.h"
#include "http-stub.h"
#include "log.h"
#include "macro.h"
#include "offload.h"
#include "run.h"
#include "unclean.h"
#include "watch-event.h"
#include "tests.h"

#define BOOT_ID "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"

/* ---- run-exec.c ---- */

TEST(service_argv) {
        char *argv[16];
        Context ctx = {};
        ASSERT_EQ(service_argv(&ctx, false, false, argv, ELEMENTSOF(argv)), 1);
        ASSERT_TRUE(!argv[0] && !argv[1]);
        ctx = (Context) { .root = "/r", .config_path = "/c", .verbose = true, .now = true };
        int n = service_argv(&ctx, true, true, argv, ELEMENTSOF(argv));
        ASSERT_EQ(n, 9);
        ASSERT_TRUE(!argv[0]); /* for exec_service_program() */
        static const char *const want[] = { "--root", "/r", "--config", "/c", "--verbose", "--print", "--once", "--now" };
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                ASSERT_STREQ(argv[i + 1], want[i]);
        ASSERT_TRUE(!argv[9]);
        /* too small a vector is refused whole, never overrun */
        ASSERT_ERR(service_argv(&ctx, true, true, argv, 11), -ENOBUFS);
        ASSERT_ERR(service_argv(&ctx, true, true, argv, 0), -ENOBUFS);
}

TEST(exec_service_program) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *dir = test_tmpdir(), *out = path_join(dir, "argv"), *prog = path_join(dir, "kcrash-fake");
        char script[512];
        snprintf(script, sizeof script, "#!/bin/sh\nprintf '%%s|' \"$0\" \"$@\" > '%s'\nexit 7\n", out);
        ASSERT_OK(write_file_atomic(prog, script, strlen(script), 0755));
        ASSERT_OK(setenv("KCRASH_LIBEXEC_DIR", dir, 1));
        /* a program that is not there: an exit status, not an exec */
        char *argv[16] = {};
        ASSERT_EQ(exec_service_program("kcrash-missing", argv), EXIT_FAILURE_);

        Context ctx = { .root = "/fake root" };
        ASSERT_EQ(service_argv(&ctx, true, false, argv, ELEMENTSOF(argv)), 4);
        fflush(NULL);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                (void) exec_service_program("kcrash-fake", argv);
                _exit(99);
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 7); /* the program ran */
        _cleanup_free_ char *got = NULL;
        size_t size;
        ASSERT_OK(read_full_file(out, 4096, &got, &size));
        char want[512];
        snprintf(want, sizeof want, "%s|--root|/fake root|--print|", prog);
        ASSERT_STREQ(got, want);
        unsetenv("KCRASH_LIBEXEC_DIR");
        log_set_max_level(LOG_INFO);
}

/* ---- run-collect.c ---- */

TEST(collect_an_empty_root) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nPSTORE_DIR=/sys/fs/pstore\n");
        Context ctx = { .root = root };
        ASSERT_EQ(run_collect(&ctx, true), EXIT_OK);
        /* the offload folder's layout is there */
        _cleanup_free_ char *queue = path_in_root(root, "/var/kdump/" OFFLOAD_QUEUE_DIR);
        struct stat st;
        ASSERT_TRUE(stat(queue, &st) == 0 && S_ISDIR(st.st_mode));
        /* nothing was collected: the queue is empty */
        ASSERT_TRUE(dir_is_empty(queue));
        context_done(&ctx);

        /* a bad configuration is EXIT_CONFIG, before anything is touched */
        _cleanup_free_ char *root2 = test_tmpdir();
        fake_root_put(root2, "/etc/default/kdump", "KDUMP_FOLDER=\"unterminated\n");
        Context bad = { .root = root2 };
        ASSERT_EQ(run_collect(&bad, false), EXIT_CONFIG);
        context_done(&bad);
        log_set_max_level(LOG_INFO);
}

TEST(collect_offload_in_the_way) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/etc/default/kdump", "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\n");
        fake_root_put(root, "/var/kdump", "a file where the offload folder belongs");
        Context ctx = { .root = root };
        ASSERT_EQ(run_collect(&ctx, false), EXIT_FAILURE_);
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

TEST(mark) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        Context ctx = { .root = root };
        /* no boot id */
        ASSERT_EQ(run_mark(&ctx, SHUTDOWN_MARK_RUNNING), EXIT_FAILURE_);
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", BOOT_ID "\n");
        ASSERT_EQ(run_mark(&ctx, SHUTDOWN_MARK_RUNNING), EXIT_OK);
        _cleanup_free_ char *m1 = fake_root_read(root, SHUTDOWN_MARKS_DIR "/" BOOT_ID);
        ASSERT_STREQ(m1, "BOOT_ID=" BOOT_ID "\nSTATE=running\n");
        ASSERT_EQ(run_mark(&ctx, SHUTDOWN_MARK_CLEAN), EXIT_OK);
        _cleanup_free_ char *m2 = fake_root_read(root, SHUTDOWN_MARKS_DIR "/" BOOT_ID);
        ASSERT_STREQ(m2, "BOOT_ID=" BOOT_ID "\nSTATE=clean\n");
        /* a folder where the mark belongs */
        _cleanup_free_ char *mark = path_in_root(root, SHUTDOWN_MARKS_DIR "/" BOOT_ID);
        ASSERT_TRUE(unlink(mark) == 0 && mkdir(mark, 0755) == 0);
        ASSERT_EQ(run_mark(&ctx, SHUTDOWN_MARK_CLEAN), EXIT_FAILURE_);
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

/* ---- run-watch.c ---- */

/* A fixture's "[ s.us] text" lines as /dev/kmsg records (tests/integration/watch_test.py). */
static void write_kmsg(const char *root, const char *fixture, unsigned seq) {
        _cleanup_free_ char *src = NULL, *data = NULL;
        size_t size;
        ASSERT_TRUE(asprintf(&src, "%s/kmsg/%s", test_fixtures_dir(), fixture) > 0);
        ASSERT_OK(read_full_file(src, 1 << 20, &data, &size));
        char *out = NULL;
        size_t out_size = 0;
        FILE *f = open_memstream(&out, &out_size);
        ASSERT_TRUE(f);
        unsigned long long ts = 0;
        for (char *save = NULL, *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long s, us;
                int n = 0;
                if (sscanf(l, "[ %lu.%lu]%n", &s, &us, &n) != 2 || n == 0)
                        continue;
                const char *text = l + n;
                if (*text == ' ')
                        text++;
                ts = (unsigned long long) s * 1000000 + us;
                fprintf(f, "4,%u,%llu,-;%s\n", seq++, ts, text);
        }
        fprintf(f, "4,%u,%llu,-;---[ end trace 0000000000000000 ]---\n", seq, ts);
        ASSERT_TRUE(fclose(f) == 0);
        _cleanup_free_ char *kmsg = path_in_root(root, "/dev/kmsg");
        _cleanup_free_ char *dev = path_in_root(root, "/dev");
        ASSERT_OK(mkdir_p(dev, 0755));
        ASSERT_OK(write_file_atomic(kmsg, out, out_size, 0644));
        free(out);
}

static size_t count_events(const char *root) {
        _cleanup_free_ char *dir = path_in_root(root, KCRASH_WATCH_EVENTS_DIR);
        DIR *d = opendir(dir);
        size_t n = 0;
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));)
                if (watch_event_file_name_valid(de->d_name))
                        n++;
        closedir(d);
        return n;
}

TEST(watch_once) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        Context ctx = { .root = root };
        /* no boot id, then no /dev/kmsg */
        ASSERT_EQ(run_watch(&ctx, true), EXIT_FAILURE_);
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", BOOT_ID "\n");
        ASSERT_EQ(run_watch(&ctx, true), EXIT_FAILURE_);
        ASSERT_EQ(count_events(root), 0);

        write_kmsg(root, "warning.txt", 1);
        ASSERT_EQ(run_watch(&ctx, true), EXIT_OK);
        ASSERT_EQ(count_events(root), 1);
        _cleanup_free_ char *state = fake_root_read(root, KCRASH_WATCH_DIR "/state");
        ASSERT_TRUE(state && strstr(state, "boot " BOOT_ID "\n"));
        ASSERT_TRUE(strstr(state, "\nseq "));

        /* the same log again: already handled, nothing new */
        ASSERT_EQ(run_watch(&ctx, true), EXIT_OK);
        ASSERT_EQ(count_events(root), 1);

        /* the event file is what the collector expects */
        _cleanup_free_ char *dir = path_in_root(root, KCRASH_WATCH_EVENTS_DIR);
        DIR *d = opendir(dir);
        ASSERT_TRUE(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (!watch_event_file_name_valid(de->d_name))
                        continue;
                ASSERT_TRUE(strneq(de->d_name, BOOT_ID "-", strlen(BOOT_ID) + 1));
                _cleanup_free_ char *p = path_join(dir, de->d_name), *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(p, WATCH_EVENT_MAX_SIZE, &data, &size));
                WatchEvent e;
                ASSERT_OK(watch_event_parse(data, size, &e));
                ASSERT_EQ(e.class, KMSG_EVENT_WARNING);
                ASSERT_STREQ(e.boot_id, BOOT_ID);
                ASSERT_TRUE(e.log_size > 0);
                watch_event_done(&e);
        }
        closedir(d);
        context_done(&ctx);

        /* an unusable boot id */
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", "../../etc\n");
        ASSERT_EQ(run_watch(&ctx, true), EXIT_FAILURE_);
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

static volatile sig_atomic_t test_signals;

static void count_signal(int sig) {
        (void) sig;
        test_signals++;
}

/* Whether SIGTERM and SIGINT are handled by count_signal(), as the test set them. */
static bool signals_are_the_tests(void) {
        struct sigaction term, intr;
        ASSERT_OK(sigaction(SIGTERM, NULL, &term));
        ASSERT_OK(sigaction(SIGINT, NULL, &intr));
        return term.sa_handler == count_signal && intr.sa_handler == count_signal;
}

/* run_watch() is called by programs that have their own SIGTERM/SIGINT
 * handling (a test binary): it leaves the dispositions as it
 * found them. Found by a review: --once installed its handlers, and neither
 * mode restored the caller's. */
TEST(watch_leaves_signal_dispositions) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        fake_root_put(root, "/proc/sys/kernel/random/boot_id", BOOT_ID "\n");
        write_kmsg(root, "warning.txt", 1);
        Context ctx = { .root = root };
        struct sigaction sa = { .sa_handler = count_signal }, old_term, old_int;
        ASSERT_OK(sigaction(SIGTERM, &sa, &old_term));
        ASSERT_OK(sigaction(SIGINT, &sa, &old_int));

        ASSERT_EQ(run_watch(&ctx, true), EXIT_OK);
        ASSERT_TRUE(signals_are_the_tests());
        ASSERT_EQ(count_events(root), 1);

        /* Following: a child sends SIGTERM every 50 ms until killed; those
         * sent before run_watch() set its handler land in count_signal(). */
        fflush(NULL);
        pid_t parent = getpid(), killer = fork();
        ASSERT_TRUE(killer >= 0);
        if (killer == 0) {
                for (;;) {
                        (void) kill(parent, SIGTERM);
                        (void) usleep(50 * 1000);
                }
        }
        int r = run_watch(&ctx, false);
        (void) kill(killer, SIGKILL);
        ASSERT_EQ(waitpid(killer, NULL, 0), killer);
        ASSERT_EQ(r, EXIT_OK);
        ASSERT_TRUE(signals_are_the_tests());

        /* A later run is not stopped by the earlier SIGTERM: it reads the
         * new event. */
        write_kmsg(root, "hung-task.txt", 100);
        ASSERT_EQ(run_watch(&ctx, true), EXIT_OK);
        ASSERT_EQ(count_events(root), 2);
        ASSERT_TRUE(signals_are_the_tests());

        ASSERT_OK(sigaction(SIGTERM, &old_term, NULL));
        ASSERT_OK(sigaction(SIGINT, &old_int, NULL));
        context_done(&ctx);
        log_set_max_level(LOG_INFO);
}

/* ---- run-submit.c ---- */

TEST(drop_privileges) {
        log_set_max_level(LOG_EMERG);
        if (geteuid() != 0) {
                /* not root: nothing to drop */
                ASSERT_EQ(submit_drop_privileges(), 0);
                log_set_max_level(LOG_INFO);
                return;
        }
        /* the test build lets the suite run the uploader as root */
        ASSERT_OK(setenv("KCRASHD_ALLOW_ROOT", "1", 1));
        ASSERT_EQ(submit_drop_privileges(), 0);
        ASSERT_EQ(geteuid(), 0);
        /* without that: the uploader's account, or a refusal; in a child,
         * since dropping root is for good */
        fflush(NULL);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                unsetenv("KCRASHD_ALLOW_ROOT");
                uid_t uid;
                gid_t gid;
                bool have = uploader_account(&uid, &gid) >= 0;
                int r = submit_drop_privileges();
                if (have)
                        _exit(r == 0 && geteuid() == uid && getuid() == uid && setuid(0) < 0 ? 0 : 1);
                _exit(r == EXIT_FAILURE_ && geteuid() == 0 ? 0 : 2);
        }
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        log_set_max_level(LOG_INFO);
}

TEST(load_libraries) {
        log_set_max_level(LOG_EMERG);
        const char *why;
        int expected = archive_dlopen(&why) >= 0 ? EXIT_OK : EXIT_FAILURE_;
        ASSERT_EQ(submit_load_libraries(), expected);
        log_set_max_level(LOG_INFO);
}

static int submit_once(const char *root) {
        Context ctx = { .root = root, .now = true };
        int r = run_submit_once(&ctx, true, NULL);
        context_done(&ctx);
        return r;
}

static int submit_with(const char *root, const char *config) {
        fake_root_put(root, "/etc/default/kdump", config);
        return submit_once(root);
}

/* The stand-in server's replies to one upload: start, PUT, finish. */
#define UPLOAD_REPLIES                                                                          \
        { 200, NULL,                                                                            \
          "{\"response\":{\"url\":\"@URL@/put\",\"gid\":\"g\",\"headers\":{\"pairs\":["                 \
          "{\"name\":\"Content-Type\",\"value\":\"application/zip\"}]}}}" },                         \
        { 200, NULL, NULL }, { 200, NULL, NULL }

/* Points the uploader of root at the stand-in server s (plain http allowed);
 * returns its queue folder, made and empty. */
static char *submit_to_stub(const char *root, const HttpStub *s) {
        char config[512];
        snprintf(config, sizeof config,
                 "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_START_URL=%s/s\nSUBMIT_FINISH_URL=%s/f\n"
                 "SUBMIT_ALLOW_INSECURE_HTTP=1\n",
                 s->url, s->url);
        fake_root_put(root, "/etc/default/kdump", config);
        char *queue = path_in_root(root, "/var/kdump/" OFFLOAD_QUEUE_DIR);
        ASSERT_TRUE(queue);
        ASSERT_OK(mkdir_p(queue, 0755));
        return queue;
}

/* A report's ZIP in the queue, as the collector leaves it. */
static void queue_report(const char *queue, const char *name) {
        static const char report[] = "{\"id\":\"r1\",\"upload\":{\"product\":\"holo\"}}";
        ArchiveMember m[] = { { "report.json", report, sizeof report - 1 } };
        _cleanup_free_ char *zip = path_join(queue, name);
        ASSERT_TRUE(zip);
        ASSERT_OK(archive_write(zip, m, 1));
}

/* Whether the uploader can open ZIPs here; skips the test when not. */
static bool have_libzip(void) {
        const char *why;
        if (archive_dlopen(&why) >= 0)
                return true;
        test_skip("libzip cannot be loaded");
        return false;
}

TEST(submit_once_configuration) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        /* nothing configured: off, not an error */
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\n"), EXIT_OK);
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nLOG_SUBMISSION=0\n"), EXIT_OK);
        /* http:// without SUBMIT_ALLOW_INSECURE_HTTP, other schemes: configuration errors */
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_START_URL=http://a/s\n"
                                    "SUBMIT_FINISH_URL=https://a/f\n"),
                  EXIT_CONFIG);
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_START_URL=https://a/s\n"
                                    "SUBMIT_FINISH_URL=ftp://a/f\n"),
                  EXIT_CONFIG);
        /* sentry: an http DSN or envelope URL needs the same switch */
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_TARGET=sentry\n"
                                    "SENTRY_DSN=http://k@h/1\n"),
                  EXIT_CONFIG);
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_TARGET=sentry\n"
                                    "SENTRY_DSN=https://k@h/1\nSENTRY_ENVELOPE_URL=file:///x\n"),
                  EXIT_CONFIG);
        /* sentry named without a DSN */
        ASSERT_EQ(submit_with(root, "KDUMP_FOLDER=/var/kdump\nMOUNT_DEVNODE=\nSUBMIT_TARGET=sentry\n"), EXIT_CONFIG);
        log_set_max_level(LOG_INFO);
}

TEST(submit_once_outcomes) {
        if (!have_libzip())
                return;
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        HttpStubReply replies[] = { UPLOAD_REPLIES, { 503, NULL, NULL } };
        HttpStub s;
        http_stub_start(replies, ELEMENTSOF(replies), &s);
        _cleanup_free_ char *queue = submit_to_stub(root, &s);
        queue_report(queue, "r1.zip");
        /* sent: the queue is empty */
        ASSERT_EQ(submit_once(root), EXIT_OK);
        ASSERT_EQ(http_stub_count(&s), 3);
        ASSERT_TRUE(dir_is_empty(queue));
        /* the server is busy: retry later */
        queue_report(queue, "r2.zip");
        ASSERT_EQ(submit_once(root), EXIT_TEMPFAIL);
        ASSERT_EQ(http_stub_count(&s), 4);
        http_stub_stop(&s);
        log_set_max_level(LOG_INFO);
}

/* started_blocked: whoever started the daemon had SIGTERM and SIGINT
 * blocked (a shell or supervisor that is not systemd); found by a review,
 * the daemon then never saw a SIGTERM. */
static void daemon_uploads_then_stops_on_sigterm(bool started_blocked) {
        log_set_max_level(LOG_EMERG);
        _cleanup_free_ char *root = test_tmpdir();
        HttpStubReply replies[] = { UPLOAD_REPLIES };
        HttpStub s;
        http_stub_start(replies, ELEMENTSOF(replies), &s);
        _cleanup_free_ char *queue = submit_to_stub(root, &s);
        queue_report(queue, "r1.zip");

        fflush(NULL);
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (started_blocked) {
                        sigset_t term;
                        sigemptyset(&term);
                        sigaddset(&term, SIGTERM);
                        sigaddset(&term, SIGINT);
                        (void) sigprocmask(SIG_BLOCK, &term, NULL);
                }
                /* the caller's own handler, which the daemon puts back */
                struct sigaction sa = { .sa_handler = count_signal };
                (void) sigaction(SIGTERM, &sa, NULL);
                (void) sigaction(SIGINT, &sa, NULL);
                Context ctx = { .root = root, .now = true };
                int r = run_submit_daemon(&ctx);
                _exit(signals_are_the_tests() ? r : 99);
        }
        /* Its first pass: start, PUT, finish, and the ZIP leaves the queue.
         * The bound only keeps a broken daemon from hanging the suite. */
        for (unsigned i = 0; i < 60000 && !(http_stub_count(&s) == 3 && dir_is_empty(queue)); i++)
                (void) usleep(1000);
        ASSERT_EQ(http_stub_count(&s), 3);
        ASSERT_TRUE(dir_is_empty(queue));
        _cleanup_free_ char *log = http_stub_log(&s, NULL);
        ASSERT_TRUE(log && strstr(log, "PUT /put "));

        /* the daemon is idle, waiting for a ZIP that will not come */
        ASSERT_TRUE(kill(pid, SIGTERM) == 0);
        int status;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), EXIT_OK);
        ASSERT_EQ(http_stub_count(&s), 3); /* nothing more was sent */
        http_stub_stop(&s);
        log_set_max_level(LOG_INFO);
}

TEST(submit_daemon_uploads_then_stops_on_sigterm) {
        if (have_libzip())
                daemon_uploads_then_stops_on_sigterm(false);
}

TEST(submit_daemon_started_with_sigterm_blocked_still_stops) {
        if (have_libzip())
                daemon_uploads_then_stops_on_sigterm(true);
}
