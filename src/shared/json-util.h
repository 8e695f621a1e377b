/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>

/* Small jansson helpers the JSON writers share. */

/* s as a JSON string, whatever its bytes: what is not UTF-8 (a sysfs value,
 * a file name, a DWARF name, text from a device) becomes U+FFFD, one per
 * byte, where json_string() would fail the whole document. NULL when s is
 * NULL or on allocation failure. */
json_t *json_string_lossy(const char *s);

/* The same, or null when s is NULL. NULL on allocation failure. */
json_t *json_string_or_null(const char *s);

/* Sets o[key] = v, taking v's reference even on failure (as
 * json_object_set_new does); -ENOMEM when v is NULL (a failed
 * constructor) or the set fails, so writers can OR the results together. */
int json_set(json_t *o, const char *key, json_t *v);

/* The pretty-printed, ASCII-only text of o, for files and terminals. */
int json_dump_pretty(const json_t *o, char **ret);
