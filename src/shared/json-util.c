/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>

#include "json-util.h"
#include "macro.h"
#include "utf8.h"

json_t *json_string_lossy(const char *s) {
        if (!s)
                return NULL;
        if (utf8_is_valid(s))
                return json_string_nocheck(s);
        _cleanup_free_ char *valid = utf8_make_valid(s, SIZE_MAX);
        return valid ? json_string_nocheck(valid) : NULL;
}

json_t *json_string_or_null(const char *s) {
        return s ? json_string_lossy(s) : json_null();
}

int json_set(json_t *o, const char *key, json_t *v) {
        if (!v || json_object_set_new(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

int json_dump_pretty(const json_t *o, char **ret) {
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}
