/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "tests.h"

/* What the logger wrote to stderr while f ran. */
static char *capture(void (*f)(void)) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *path = path_join(dir, "stderr");
        ASSERT_TRUE(path);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        ASSERT_TRUE(saved >= 0);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
        close(fd);
        f();
        fflush(stderr);
        ASSERT_TRUE(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        char *text = NULL;
        size_t size;
        ASSERT_OK(read_full_file(path, 1 << 20, &text, &size));
        return text;
}

static void reset(void) {
        unsetenv("JOURNAL_STREAM");
        log_set_program(NULL);
        log_set_max_level(LOG_INFO);
}

static void write_levels(void) {
        log_debug("a debug line");
        log_info("an info line %d", 1);
        log_warning("a warning");
        log_error("an error");
}

TEST(max_level_filters) {
        reset();
        _cleanup_free_ char *t = capture(write_levels);
        ASSERT_STREQ(t, "an info line 1\na warning\nan error\n");

        log_set_max_level(LOG_DEBUG);
        _cleanup_free_ char *all = capture(write_levels);
        ASSERT_STREQ(all, "a debug line\nan info line 1\na warning\nan error\n");

        log_set_max_level(LOG_ERR);
        _cleanup_free_ char *err = capture(write_levels);
        ASSERT_STREQ(err, "an error\n");
        reset();
}

static void write_named(void) {
        log_notice("hello");
}

TEST(program_name_or_journal_level) {
        reset();
        log_set_program("kcrashctl");
        _cleanup_free_ char *t = capture(write_named);
        ASSERT_STREQ(t, "kcrashctl: hello\n");

        /* stderr into the journal: a <level> prefix instead of the name */
        setenv("JOURNAL_STREAM", "8:1234", 1);
        _cleanup_free_ char *j = capture(write_levels);
        ASSERT_STREQ(j, "<6>an info line 1\n<4>a warning\n<3>an error\n");
        _cleanup_free_ char *n = capture(write_named);
        ASSERT_STREQ(n, "<5>hello\n");
        reset();
}

static void write_errno(void) {
        errno = EBUSY;
        int r = log_error_errno(-ENOENT, "open \"%s\": %m", "/x");
        ASSERT_EQ(r, -ENOENT);
        ASSERT_EQ(errno, EBUSY); /* errno is left as it was */
        /* a positive error is the same error */
        ASSERT_EQ(log_warning_errno(EACCES, "w: %m"), -EACCES);
        ASSERT_EQ(log_oom(), -ENOMEM);
        ASSERT_EQ(log_info("no error"), 0);
}

TEST(errno_variants_return_and_print) {
        reset();
        _cleanup_free_ char *t = capture(write_errno);
        char expected[512];
        snprintf(expected, sizeof expected, "open \"/x\": %s\nw: %s\nOut of memory.\nno error\n", strerror(ENOENT),
                 strerror(EACCES));
        ASSERT_STREQ(t, expected);
}

static void write_filtered_errno(void) {
        /* below the level: nothing printed, the error still returned */
        ASSERT_EQ(log_internal(LOG_DEBUG, -EIO, "hidden %m"), -EIO);
        ASSERT_EQ(log_internal(LOG_DEBUG, 0, "hidden"), 0);
}

TEST(filtered_still_returns) {
        reset();
        _cleanup_free_ char *t = capture(write_filtered_errno);
        ASSERT_STREQ(t, "");
}

static void write_hostile(void) {
        /* the text is an argument, never a format */
        log_error("%s", "%n%s%m");
}

TEST(argument_is_not_a_format) {
        reset();
        _cleanup_free_ char *t = capture(write_hostile);
        ASSERT_STREQ(t, "%n%s%m\n");
}

static void write_hostile_name(void) {
        log_error("\"%s\" is not a kernel event file", "x\n<0>kcrash-collect: FORGED\r\x1b[2J\x7f\ty\xc3\xa9");
}

/* A name another user chose cannot start a second journal entry or drive
 * the terminal: control characters are escaped, the message stays one line. */
TEST(control_characters_escaped) {
        reset();
        setenv("JOURNAL_STREAM", "8:1234", 1);
        _cleanup_free_ char *t = capture(write_hostile_name);
        ASSERT_STREQ(t, "<3>\"x\\n<0>kcrash-collect: FORGED\\x0d\\x1b[2J\\x7f\ty\xc3\xa9\" is not a kernel event file\n");
        reset();
}

static void write_hostile_unicode(void) {
        log_error("\"%s\" is not a kernel event file", "a\xc2\x9b" "2Jb\xe2\x80\xae" "fdp.exe\\x1b");
}

/* Nor can it with what a terminal takes from UTF-8: a C1 control (U+009B
 * is CSI to many terminals), a bidirectional override (U+202E shows
 * "exe.pdf" for "fdp.exe"); a backslash is escaped too, so that the text
 * "\x1b" cannot pass for an escaped byte. Before, log lines escaped C0
 * controls only. */
TEST(terminal_controls_from_utf8_escaped) {
        reset();
        _cleanup_free_ char *t = capture(write_hostile_unicode);
        ASSERT_STREQ(t, "\"a\\xc2\\x9b2Jb\\xe2\\x80\\xaefdp.exe\\\\x1b\" is not a kernel event file\n");
        reset();
}
