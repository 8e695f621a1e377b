/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UTF-8 as Unicode defines it (table 3-7: no overlong forms, no surrogates,
 * at most U+10FFFF), the form jansson and SQLite require, for bytes that
 * come from sysfs, DWARF, file names or a device. Does not log. */

/* The length of the well-formed sequence at p (at most n bytes), with its
 * code point in *ret_cp; 0 when p does not start one. */
size_t utf8_decode_char(const unsigned char *p, size_t n, uint32_t *ret_cp);

bool utf8_is_valid(const char *s);

/* A copy of s that is valid UTF-8 (each byte that does not belong to a
 * well-formed sequence becomes U+FFFD) and at most max bytes long, cut at a
 * character boundary; NULL on OOM. */
char *utf8_make_valid(const char *s, size_t max);

/* Makes s one printable line in place: each C0 control character (newline
 * and tab too) and DEL becomes '?'. ASCII bytes only change, so valid UTF-8
 * stays valid. For text another party chose that a terminal or a line-based
 * file will show. */
void utf8_replace_controls(char *s);
