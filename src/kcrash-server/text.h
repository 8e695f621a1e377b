/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Device-supplied text, made safe to show on a terminal (utf8.h makes it
 * safe to keep). Does not log. */

/* A copy of s safe to print on a terminal: control characters (C0, DEL, C1),
 * line separators and bidirectional overrides, backslash and bytes that are not UTF-8 become \n, \t, \\ or \xNN escapes;
 * NULL on OOM. */
char *text_escape(const char *s);

/* The same, for many lines of text (a kernel log, shown byte for byte when
 * it is printable): newlines, tabs and backslashes are kept as they are (so
 * a "\x1b" in the text reads like an escaped byte), everything else
 * text_escape() escapes is escaped. */
char *text_escape_lines(const char *s);
