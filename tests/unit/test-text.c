/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tests.h"
#include "text.h"

/* What the receiver prints of a device's text and what a log line holds of
 * a name another user chose: nothing that drives a terminal or ends the
 * line. */
TEST(escapes_what_drives_a_terminal) {
        _cleanup_free_ char *t = text_escape("a\nb\tc\x1b[2J\x7f" "d\xc2\x9b" "e\xe2\x80\xae" "f\\x1b\xff" "g\xc3\xa9");
        ASSERT_STREQ(t, "a\\nb\\tc\\x1b[2J\\x7fd\\xc2\\x9be\\xe2\\x80\\xaef\\\\x1b\\xffg\xc3\xa9");
        _cleanup_free_ char *empty = text_escape("");
        ASSERT_STREQ(empty, "");
}

TEST(lines_keep_newlines_tabs_and_backslashes) {
        _cleanup_free_ char *t = text_escape_lines("[ 1.0] BUG: x\n\tat f+0x1/0x2 \\ \x1b[31m\xe2\x80\xa8" "end");
        ASSERT_STREQ(t, "[ 1.0] BUG: x\n\tat f+0x1/0x2 \\ \\x1b[31m\\xe2\\x80\\xa8end");
}

TEST(into_a_buffer_keeping_tabs) {
        const char *s = "x\ty\n\x9b";
        char out[4 * 6 + 1];
        char *end = text_escape_into(out, s, TEXT_KEEP_TABS);
        ASSERT_STREQ(out, "x\ty\\n\\x9b");
        ASSERT_EQ((size_t) (end - out), strlen(out));
        /* the worst case fills the room it asks for: 4 bytes a byte */
        char worst[4 * 3 + 1];
        end = text_escape_into(worst, "\x01\x02\x03", 0);
        ASSERT_EQ((size_t) (end - worst), sizeof worst - 1);
        ASSERT_STREQ(worst, "\\x01\\x02\\x03");
}
