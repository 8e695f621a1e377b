/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jansson's functions that kcrash-collect calls, each a call through a
 * pointer loaded from the library on the first use (json-dlopen.h). Linked
 * into kcrash-collect only, ahead of libkcrash-shared: the linker takes
 * these definitions, and with --as-needed the program no longer NEEDs
 * libjansson (tests/integration/privsep_test.py checks `readelf -d`). A
 * function of jansson that the collector comes to call and that is missing
 * here brings libjansson back to the NEEDED list, and that test fails.
 *
 * When the library cannot be loaded every function fails the way jansson
 * fails on memory: NULL, -1, 0; json_dlopen() says why. Nothing jansson
 * made can exist then, so json_delete() has nothing to free. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "build-config.h"
#include "dlopen-util.h"
#include "json-dlopen.h"
#include "macro.h"

#define JSON_FUNCTIONS(X) \
        X(json_array) X(json_array_append_new) X(json_array_get) X(json_array_remove) X(json_array_set_new) \
        X(json_array_size) X(json_delete) X(json_dumpb) X(json_dumps) X(json_false) X(json_integer) \
        X(json_integer_value) X(json_loadb) X(json_null) X(json_object) X(json_object_get) \
        X(json_object_iter_at) X(json_object_iter_set_new) X(json_object_iter_value) X(json_object_set_new) \
        X(json_object_set_new_nocheck) X(json_string_length) X(json_string_nocheck) X(json_string_setn_nocheck) \
        X(json_string_value) X(json_stringn_nocheck) X(json_true) X(json_vpack_ex)

#define DECLARE_POINTER(name) static typeof(name) *sym_##name;
JSON_FUNCTIONS(DECLARE_POINTER)

#define SYMBOL_ENTRY(name) DLOPEN_SYMBOL(name),
static const DlopenSymbol jansson_symbols[] = { JSON_FUNCTIONS(SYMBOL_ENTRY) };

static DlopenLibrary jansson = {
        .soname = JANSSON_SONAME,
        .symbols = jansson_symbols,
        .n_symbols = ELEMENTSOF(jansson_symbols),
};

int json_dlopen(const char **reterr_message) {
        return dlopen_library(&jansson, reterr_message);
}

static bool loaded(void) {
        return dlopen_library(&jansson, NULL) >= 0;
}

/* A function of jansson called through its pointer, or fail when the
 * library cannot be loaded. */
#define LAZY(type, name, fail, params, args) \
        type name params { \
                return loaded() ? sym_##name args : (fail); \
        }

LAZY(json_t *, json_array, NULL, (void), ())
LAZY(int, json_array_append_new, -1, (json_t *array, json_t *value), (array, value))
LAZY(json_t *, json_array_get, NULL, (const json_t *array, size_t index), (array, index))
LAZY(int, json_array_remove, -1, (json_t *array, size_t index), (array, index))
LAZY(int, json_array_set_new, -1, (json_t *array, size_t index, json_t *value), (array, index, value))
LAZY(size_t, json_array_size, 0, (const json_t *array), (array))
LAZY(size_t, json_dumpb, 0, (const json_t *json, char *buffer, size_t size, size_t flags),
     (json, buffer, size, flags))
LAZY(char *, json_dumps, NULL, (const json_t *json, size_t flags), (json, flags))
LAZY(json_t *, json_false, NULL, (void), ())
LAZY(json_t *, json_integer, NULL, (json_int_t value), (value))
LAZY(json_int_t, json_integer_value, 0, (const json_t *integer), (integer))
LAZY(json_t *, json_null, NULL, (void), ())
LAZY(json_t *, json_object, NULL, (void), ())
LAZY(json_t *, json_object_get, NULL, (const json_t *object, const char *key), (object, key))
LAZY(void *, json_object_iter_at, NULL, (json_t *object, const char *key), (object, key))
LAZY(int, json_object_iter_set_new, -1, (json_t *object, void *iter, json_t *value), (object, iter, value))
LAZY(json_t *, json_object_iter_value, NULL, (void *iter), (iter))
LAZY(int, json_object_set_new, -1, (json_t *object, const char *key, json_t *value), (object, key, value))
LAZY(int, json_object_set_new_nocheck, -1, (json_t *object, const char *key, json_t *value), (object, key, value))
LAZY(size_t, json_string_length, 0, (const json_t *string), (string))
LAZY(json_t *, json_string_nocheck, NULL, (const char *value), (value))
LAZY(int, json_string_setn_nocheck, -1, (json_t *string, const char *value, size_t len), (string, value, len))
LAZY(const char *, json_string_value, NULL, (const json_t *string), (string))
LAZY(json_t *, json_stringn_nocheck, NULL, (const char *value, size_t len), (value, len))
LAZY(json_t *, json_true, NULL, (void), ())
LAZY(json_t *, json_vpack_ex, NULL, (json_error_t *error, size_t flags, const char *fmt, va_list ap),
     (error, flags, fmt, ap))

void json_delete(json_t *json) {
        if (loaded())
                sym_json_delete(json);
}

json_t *json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error) {
        const char *why = NULL;
        if (dlopen_library(&jansson, &why) >= 0)
                return sym_json_loadb(buffer, buflen, flags, error);
        if (error)
                *error = (json_error_t) { .line = -1, .column = -1 };
        if (error && why)
                (void) snprintf(error->text, sizeof error->text, "%s", why);
        return NULL;
}

/* jansson's json_pack() is json_vpack_ex() with its arguments. */
json_t *json_pack(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        json_t *j = json_vpack_ex(NULL, 0, fmt, ap);
        va_end(ap);
        return j;
}
