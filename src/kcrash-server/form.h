/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* application/x-www-form-urlencoded bodies as devices send them. Does not
 * log. */

/* The value of name, decoded ('+' is a space, %XX a byte; a '%' that does
 * not start an escape is kept, as SteamOS's shell clients sent values
 * unencoded). NULL when absent or on OOM. */
char *form_get(const char *body, size_t n, const char *name);

/* The value of name as it is in the body, not decoded: for a client that
 * does not encode, this is what it meant (up to the first '&' of the value,
 * where the form syntax cuts it). NULL when absent or on OOM. */
char *form_get_raw(const char *body, size_t n, const char *name);

/* True when the body cannot come from a client that percent-encodes its
 * values: it holds a byte that every encoder escapes (a space, a newline, a
 * control character, a byte >= 0x80, or any of "\"#$,/:;<>?@[\\]^`{|}"), or a
 * '%' that does not start a %XX escape. A body of letters, digits,
 * "-._~!'()*", '+', '=', '&' and valid %XX escapes is taken as encoded: a
 * client that does not encode but sent only such bytes cannot be told apart
 * (see kcrash-server(8)). */
bool form_is_unencoded(const char *body, size_t n);
