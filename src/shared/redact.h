/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Privacy filter applied to logs before they are zipped (REDACT_LOGS=1). */
typedef enum RedactFlags {
        REDACT_MAC = 1 << 0,   /* 00:1a:2b:3c:4d:5e, 00-1a-2b-3c-4d-5e -> [MAC] */
        REDACT_IPV4 = 1 << 1,  /* 192.168.1.20 -> [IP] */
        REDACT_IPV6 = 1 << 2,  /* fe80::1, 2001:db8:0:0:0:0:2:1 -> [IP] */
        REDACT_EMAIL = 1 << 3, /* user@example.org -> [EMAIL] */
        REDACT_ALL = REDACT_MAC | REDACT_IPV4 | REDACT_IPV6 | REDACT_EMAIL,
} RedactFlags;

/* The length of the pattern that starts at text[pos] (0 when none does) and,
 * when there is one, its replacement in ret_tag. redact_text() is built on it;
 * exported so that a fuzzer can check the rewriting against a reference. */
size_t redact_match(const char *text, size_t size, size_t pos, unsigned flags, const char **ret_tag);

/* Copies text with the selected patterns replaced; ret is NUL-terminated;
 * ret_count (may be NULL) is the number of replacements. Linear in size. The
 * output can be longer than the input: a replacement can be one byte longer
 * than what it replaces ("1::" -> "[IP]"). */
int redact_text(const char *text, size_t size, unsigned flags, char **ret, size_t *ret_size, size_t *ret_count);
