/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "collect-internal.h"
#include "fileio.h"
#include "hash.h"
#include "redact.h"

/* ---- privacy ---- */

static bool member_is_log(const char *name) {
        static const char *const prefixes[] = { "dmesg-", "journal.", "crash_summary.", "pstore-console-",
                                                "pstore-pmsg-", "kcrash-save.log" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(name, prefixes[i]))
                        return true;
        return false;
}

/* REDACT_LOGS=1: replaces every log member's data by its redacted copy. */
int redact_members(Members *m) {
        for (size_t i = 0; i < m->n; i++) {
                if (!member_is_log(m->items[i].name))
                        continue;
                char *out = NULL;
                size_t n;
                int r = redact_text(m->items[i].data, m->items[i].size, REDACT_ALL, &out, &n, NULL);
                if (r < 0)
                        return r;
                free(m->owned[i]);
                m->owned[i] = out;
                m->items[i].data = out;
                m->items[i].size = n;
        }
        return 0;
}

/* The per-install salt for pseudonyms, made on first use. */
static int load_salt(Collector *c, char **ret, size_t *ret_size) {
        _cleanup_free_ char *p = path_join(c->state_dir, "salt");
        if (!p)
                return -ENOMEM;
        int r = read_full_file_trusted(p, 4096, ret, ret_size);
        if (r >= 0 && *ret_size >= 32)
                return 0;
        if (r >= 0)
                free(*ret);
        if (r == -EPERM || r == -EBADFD || r == -EISDIR) {
                /* A salt someone else could have chosen (or reads) makes
                 * the pseudonyms reversible: a new one replaces it. */
                r = rm_rf(p);
                if (r < 0)
                        return r;
                r = -ENOENT;
        }
        if (r < 0 && r != -ENOENT)
                return r;
        char salt[32];
        if (getrandom(salt, sizeof salt, 0) != (ssize_t) sizeof salt)
                return negative_errno();
        r = mkdir_p(c->state_dir, 0700);
        if (r >= 0)
                r = write_file_atomic(p, salt, sizeof salt, 0600);
        if (r < 0)
                return r;
        return read_full_file_trusted(p, 4096, ret, ret_size);
}

static int pseudonymize(const char *salt, size_t salt_size, char **value) {
        if (!*value || streq(*value, "0"))
                return 0;
        char h[SHA256_HEX_SIZE];
        int r = hmac_sha256_hex(salt, salt_size, *value, strlen(*value), h);
        if (r < 0)
                return r;
        h[16] = 0;
        char *s = strdup(h);
        if (!s)
                return -ENOMEM;
        free(*value);
        *value = s;
        return 0;
}

/* dmidecode prints the serials and the system UUID: "Serial Number: X",
 * "UUID: X" (the sysfs fallback: "product_serial: X", "product_uuid: X").
 * Their values become the pseudonym of the value. */
/* memmem() for a span; GCC 12 with sanitizers misjudges memmem's nonnull
 * contract on a pointer difference here. */
static bool span_contains(const char *s, size_t n, const char *needle) {
        size_t l = strlen(needle);
        for (size_t i = 0; i + l <= n; i++)
                if (strneq(s + i, needle, l))
                        return true;
        return false;
}

int pseudonymize_dmidecode(const char *salt, size_t salt_size, char **text) {
        if (!*text)
                return 0;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        int r = 0;
        for (const char *p = *text; *p && r >= 0;) {
                const char *eol = strchrnul(p, '\n');
                const char *colon = memchr(p, ':', (size_t) (eol - p));
                const char *key = p;
                while (key < eol && (*key == '\t' || *key == ' '))
                        key++;
                size_t key_len = colon && colon > key ? (size_t) (colon - key) : 0;
                /* dmidecode's names, and the sysfs names of the fallback text */
                bool secret = key_len > 0 && (strneq(key, "Serial Number:", 14) || strneq(key, "UUID:", 5) ||
                                              span_contains(key, key_len, "_serial") ||
                                              span_contains(key, key_len, "_uuid"));
                if (secret && colon + 2 <= eol) {
                        _cleanup_free_ char *v = strndup(colon + 2, (size_t) (eol - colon - 2));
                        r = v ? pseudonymize(salt, salt_size, &v) : -ENOMEM;
                        if (r >= 0)
                                fprintf(f, "%.*s %s", (int) (colon + 1 - p), p, v);
                } else
                        fwrite(p, 1, (size_t) (eol - p), f);
                if (*eol)
                        fputc('\n', f);
                p = *eol ? eol + 1 : eol;
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(out);
                return r;
        }
        free(*text);
        *text = out;
        return 0;
}

int apply_pseudonyms(Collector *c) {
        _cleanup_free_ char *salt = NULL;
        size_t salt_size;
        int r = load_salt(c, &salt, &salt_size);
        if (r < 0)
                return note_problem(c, r, "Cannot read or create the pseudonym salt in \"%s\"", c->state_dir);
        r = pseudonymize(salt, salt_size, &c->sys.serial);
        if (r >= 0)
                r = pseudonymize(salt, salt_size, &c->sys.account_name);
        if (r >= 0)
                r = pseudonymize(salt, salt_size, &c->sys.steamid);
        if (r >= 0)
                r = pseudonymize_dmidecode(salt, salt_size, &c->sys.dmidecode);
        return r;
}
