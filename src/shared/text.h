/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Text others chose (a device's fields, a file name another user made),
 * made safe to show on a terminal or to write as one log line (utf8.h
 * makes it safe to keep). Does not log. */

typedef enum TextEscapeFlags {
        TEXT_KEEP_LINES = 1 << 0, /* newlines, tabs and backslashes as they are */
        TEXT_KEEP_TABS = 1 << 1,  /* tabs as they are */
} TextEscapeFlags;

/* text_escape() into out, which has room for four bytes a byte of s and
 * its NUL; returns the end of what it wrote (its NUL). */
char *text_escape_into(char *out, const char *s, TextEscapeFlags flags);

/* A copy of s safe to print on a terminal: control characters (C0, DEL, C1),
 * line separators and bidirectional overrides, backslash and bytes that are not UTF-8 become \n, \t, \\ or \xNN escapes;
 * NULL on OOM. */
char *text_escape(const char *s);

/* The same, for many lines of text (a kernel log, shown byte for byte when
 * it is printable): newlines, tabs and backslashes are kept as they are (so
 * a "\x1b" in the text reads like an escaped byte), everything else
 * text_escape() escapes is escaped. */
char *text_escape_lines(const char *s);
