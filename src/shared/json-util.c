/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "json-util.h"

json_t *json_string_or_null(const char *s) {
        return s ? json_string(s) : json_null();
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
