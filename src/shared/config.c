/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fileio.h"
#include "sentry-dsn.h"
#include "parse-util.h"

#define KEY(n, t, field, def) { n, t, offsetof(KcrashConfig, field), def }

const ConfigKey config_keys[] = {
        KEY("MOUNT_DEVNODE", CONFIG_STRING, mount_devnode, "/dev/disk/by-partlabel/home"),
        KEY("KDUMP_FOLDER", CONFIG_STRING, kdump_folder, "/home/.steamos/offload/var/kdump"),
        KEY("FULL_COREDUMP", CONFIG_BOOL, full_coredump, "0"),
        KEY("MAKEDUMPFILE_COREDUMP_CMD", CONFIG_STRING, makedumpfile_coredump_cmd, "-l -d 31"),
        KEY("MAKEDUMPFILE_DMESG_CMD", CONFIG_STRING, makedumpfile_dmesg_cmd, "--dump-dmesg"),
        KEY("GRUB_AUTOSET", CONFIG_BOOL, grub_autoset, "0"),
        KEY("USE_PSTORE_RAM", CONFIG_BOOL, use_pstore_ram, "1"),
        KEY("LOG_SUBMISSION", CONFIG_BOOL, log_submission, "1"),
        KEY("KDUMP_MNT", CONFIG_STRING, kdump_mnt, ""),
        KEY("PSTORE_DIR", CONFIG_STRING, pstore_dir, "/sys/fs/pstore"),
        KEY("PRODUCT", CONFIG_STRING, product, "holo"),
        KEY("SERIAL_DMI_PRODUCTS", CONFIG_STRING, serial_dmi_products, "Jupiter Galileo"),
        KEY("STEAM_LOGINUSERS_VDF", CONFIG_STRING, steam_loginusers_vdf,
            "/home/deck/.local/share/Steam/config/loginusers.vdf"),
        KEY("JOURNAL_TAIL_LINES", CONFIG_UINT, journal_tail_lines, "300"),
        KEY("MAX_RECORD_SIZE", CONFIG_SIZE, max_record_size, "64M"),
        KEY("RAMOOPS_MEM_SIZE", CONFIG_SIZE, ramoops_mem_size, "5M"),
        KEY("RAMOOPS_RECORD_SIZE", CONFIG_SIZE, ramoops_record_size, "2M"),
        KEY("CRASHKERNEL_SIZE", CONFIG_STRING, crashkernel_size, "256M"),
        KEY("CAPTURE_INITRD_DIR", CONFIG_STRING, capture_initrd_dir, "/var/lib/kcrash"),
        KEY("PSEUDONYMIZE_IDENTITY", CONFIG_BOOL, pseudonymize_identity, "0"),
        KEY("REDACT_LOGS", CONFIG_BOOL, redact_logs, "0"),
        KEY("SUBMIT_START_URL", CONFIG_STRING, submit_start_url, ""),
        KEY("SUBMIT_FINISH_URL", CONFIG_STRING, submit_finish_url, ""),
        KEY("SUBMIT_ALLOW_INSECURE_HTTP", CONFIG_BOOL, submit_allow_insecure_http, "0"),
        KEY("SUBMIT_CONNECT_TIMEOUT", CONFIG_UINT, submit_connect_timeout, "15"),
        KEY("SUBMIT_STALL_TIMEOUT", CONFIG_UINT, submit_stall_timeout, "60"),
        KEY("SUBMIT_BACKOFF_BASE", CONFIG_UINT, submit_backoff_base, "60"),
        KEY("SUBMIT_BACKOFF_MAX", CONFIG_UINT, submit_backoff_max, "21600"),
        KEY("SUBMIT_MAX_ATTEMPTS", CONFIG_UINT, submit_max_attempts, "30"),
        KEY("SUBMIT_DAILY_REPORTS", CONFIG_UINT, submit_daily_reports, "50"),
        KEY("SUBMIT_DAILY_BYTES", CONFIG_SIZE, submit_daily_bytes, "512M"),
        KEY("SUBMIT_TARGET", CONFIG_STRING, submit_target, "kcrash"),
        KEY("SENTRY_DSN", CONFIG_STRING, sentry_dsn, ""),
        KEY("SENTRY_ENVELOPE_URL", CONFIG_STRING, sentry_envelope_url, ""),
        KEY("SENTRY_MAX_ENVELOPE_SIZE", CONFIG_SIZE, sentry_max_envelope_size, "20M"),
        KEY("KEEP_SENT_LOGS", CONFIG_BOOL, keep_sent_logs, "1"),
        KEY("OFFLOAD_MAX_SIZE", CONFIG_SIZE, offload_max_size, "1G"),
        KEY("REPORT_UNCLEAN_SHUTDOWN", CONFIG_BOOL, report_unclean_shutdown, "1"),
        KEY("WATCH_SIGNATURE_DAILY", CONFIG_UINT, watch_signature_daily, "3"),
        KEY("WATCH_DAILY_REPORTS", CONFIG_UINT, watch_daily_reports, "20"),
        KEY("WATCHDOG_PANIC", CONFIG_BOOL, watchdog_panic, "0"),
        KEY("WATCHDOG_TIMEOUT", CONFIG_UINT, watchdog_timeout, "60"),
};
const size_t config_keys_count = ELEMENTSOF(config_keys);

const char *submit_target_to_string(SubmitTarget t) {
        return t == SUBMIT_TARGET_SENTRY ? "sentry" : "kcrash";
}

int submit_targets_parse(const char *s, unsigned *ret_mask) {
        unsigned mask = 0;
        for (const char *p = s; *p;) {
                size_t n = strcspn(p, " \t,");
                if (n == 0) {
                        p++;
                        continue;
                }
                if (n == 6 && strneq(p, "kcrash", 6))
                        mask |= 1u << SUBMIT_TARGET_KCRASH;
                else if (n == 6 && strneq(p, "sentry", 6))
                        mask |= 1u << SUBMIT_TARGET_SENTRY;
                else
                        return -EINVAL;
                p += n;
        }
        if (mask == 0)
                return -EINVAL;
        *ret_mask = mask;
        return 0;
}

unsigned config_submit_targets(const KcrashConfig *c) {
        unsigned mask = 0, out = 0;
        if (submit_targets_parse(strempty(c->submit_target), &mask) < 0)
                return 0;
        if ((mask & (1u << SUBMIT_TARGET_KCRASH)) && !isempty(c->submit_start_url) && !isempty(c->submit_finish_url))
                out |= 1u << SUBMIT_TARGET_KCRASH;
        if ((mask & (1u << SUBMIT_TARGET_SENTRY)) && !isempty(c->sentry_dsn))
                out |= 1u << SUBMIT_TARGET_SENTRY;
        return out;
}

static const ConfigKey *config_key_find(const char *name) {
        for (size_t i = 0; i < config_keys_count; i++)
                if (streq(config_keys[i].name, name))
                        return &config_keys[i];
        return NULL;
}

static int config_set(KcrashConfig *c, const ConfigKey *k, const char *value) {
        void *field = (char *) c + k->offset;
        int r;

        switch (k->type) {
        case CONFIG_STRING: {
                char *s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = s;
                return 0;
        }
        case CONFIG_BOOL:
                return parse_bool(value, (bool *) field);
        case CONFIG_UINT: {
                uint64_t v;
                r = parse_uint64(value, &v);
                if (r < 0)
                        return r;
                *(uint64_t *) field = v;
                return 0;
        }
        case CONFIG_SIZE: {
                uint64_t v;
                r = parse_size(value, &v);
                if (r < 0)
                        return r;
                *(uint64_t *) field = v;
                return 0;
        }
        }
        return -EINVAL;
}

int config_init_defaults(KcrashConfig *c) {
        *c = (KcrashConfig) {};
        for (size_t i = 0; i < config_keys_count; i++) {
                int r = config_set(c, &config_keys[i], config_keys[i].default_value);
                if (r < 0) {
                        config_done(c);
                        return r;
                }
        }
        return 0;
}

void config_done(KcrashConfig *c) {
        for (size_t i = 0; i < config_keys_count; i++)
                if (config_keys[i].type == CONFIG_STRING) {
                        char **s = (char **) ((char *) c + config_keys[i].offset);
                        free(*s);
                        *s = NULL;
                }
}

static void set_error(ConfigError *e, unsigned line, const char *key, size_t key_len, const char *msg) {
        if (!e)
                return;
        e->line = line;
        snprintf(e->key, sizeof e->key, "%.*s", (int) MIN(key_len, sizeof e->key - 1), key);
        snprintf(e->message, sizeof e->message, "%s", msg);
}

/* Unquotes a shell word the way sh(1) would for the subset config files use:
 * 'single' (literal), "double" (\\ \" \$ \` escapes), bare words with \x escapes,
 * and a trailing comment after whitespace. Variable expansion is not supported. */
static int shell_unquote(const char *p, const char *end, char *out, const char **reterr) {
        char *o = out;
        while (p < end) {
                char ch = *p;
                if (ch == '\'') {
                        const char *q = memchr(p + 1, '\'', (size_t) (end - p - 1));
                        if (!q) {
                                *reterr = "unterminated single quote";
                                return -EINVAL;
                        }
                        memcpy(o, p + 1, (size_t) (q - p - 1));
                        o += q - p - 1;
                        p = q + 1;
                } else if (ch == '"') {
                        p++;
                        for (;;) {
                                if (p >= end) {
                                        *reterr = "unterminated double quote";
                                        return -EINVAL;
                                }
                                if (*p == '"')
                                        break;
                                if (*p == '\\' && p + 1 < end && strchr("\\\"$`", p[1]))
                                        p++;
                                else if (*p == '$' || *p == '`') {
                                        *reterr = "variable or command substitution is not supported";
                                        return -EINVAL;
                                }
                                *o++ = *p++;
                        }
                        p++;
                } else if (ch == '\\') {
                        if (p + 1 >= end) {
                                *reterr = "trailing backslash";
                                return -EINVAL;
                        }
                        *o++ = p[1];
                        p += 2;
                } else if (ch == ' ' || ch == '\t') {
                        /* end of the word: only a comment may follow */
                        while (p < end && (*p == ' ' || *p == '\t'))
                                p++;
                        if (p < end && *p != '#') {
                                *reterr = "unquoted whitespace in value (quote the value)";
                                return -EINVAL;
                        }
                        break;
                } else if (ch == '$' || ch == '`') {
                        *reterr = "variable or command substitution is not supported";
                        return -EINVAL;
                } else if (ch == ';' || ch == '|' || ch == '&' || ch == '<' || ch == '>' || ch == '(' || ch == ')') {
                        *reterr = "shell operators are not supported";
                        return -EINVAL;
                } else
                        *o++ = *p++;
        }
        *o = 0;
        return 0;
}

/* Keys whose values have a syntax of their own: checked where they are
 * read, so that the error names the file, line and key. */
static int config_check_value(const ConfigKey *k, const char *value, ConfigError *reterr, unsigned line) {
        char msg[192];
        if (streq(k->name, "SUBMIT_TARGET")) {
                unsigned mask;
                if (submit_targets_parse(value, &mask) >= 0)
                        return 0;
                snprintf(msg, sizeof msg, "invalid target list \"%.100s\" (kcrash, sentry or both)", value);
        } else if (streq(k->name, "SENTRY_DSN") && value[0]) {
                SentryDsn d;
                const char *why = NULL;
                int r = sentry_dsn_parse(value, &d, &why);
                if (r >= 0) {
                        sentry_dsn_done(&d);
                        return 0;
                }
                if (r != -EINVAL)
                        return r;
                /* The reason, not the value: a DSN carries the project's key. */
                snprintf(msg, sizeof msg, "invalid DSN: %s", why);
        } else
                return 0;
        set_error(reterr, line, k->name, strlen(k->name), msg);
        return -EINVAL;
}

int config_parse(KcrashConfig *c, const char *data, size_t size, config_warn_t warn, void *userdata,
                 ConfigError *reterr) {
        const char *p = data, *end = data + size;
        unsigned line = 0;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                line++;

                const char *s = p, *e = eol;
                p = eol < end ? eol + 1 : end;

                while (s < e && (*s == ' ' || *s == '\t'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        e--;
                if (s == e || *s == '#')
                        continue;
                if (memchr(s, 0, (size_t) (e - s))) {
                        set_error(reterr, line, "", 0, "NUL byte in line");
                        return -EINVAL;
                }
                if ((size_t) (e - s) > 7 && strneq(s, "export", 6) && (s[6] == ' ' || s[6] == '\t')) {
                        s += 7;
                        while (s < e && (*s == ' ' || *s == '\t'))
                                s++;
                }

                const char *key = s;
                while (s < e && (isalnum((unsigned char) *s) || *s == '_'))
                        s++;
                size_t key_len = (size_t) (s - key);
                if (key_len == 0 || isdigit((unsigned char) key[0]) || s >= e || *s != '=') {
                        set_error(reterr, line, key, key_len,
                                  "expected KEY=VALUE (no spaces around '=')");
                        return -EINVAL;
                }
                s++;

                _cleanup_free_ char *value = malloc((size_t) (e - s) + 1);
                if (!value)
                        return -ENOMEM;
                const char *why = NULL;
                if (shell_unquote(s, e, value, &why) < 0) {
                        set_error(reterr, line, key, key_len, why);
                        return -EINVAL;
                }

                char name[64];
                snprintf(name, sizeof name, "%.*s", (int) MIN(key_len, sizeof name - 1), key);
                const ConfigKey *k = config_key_find(name);
                if (!k) {
                        if (warn)
                                warn(userdata, line, name, "unknown key, ignoring");
                        continue;
                }
                int r = config_set(c, k, value);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char msg[192];
                        snprintf(msg, sizeof msg, "invalid %s value \"%.100s\"",
                                 k->type == CONFIG_BOOL   ? "boolean (0/1)" :
                                 k->type == CONFIG_UINT   ? "number" :
                                 k->type == CONFIG_SIZE   ? "size (e.g. 512K, 64M)" : "string",
                                 value);
                        set_error(reterr, line, key, key_len, msg);
                        return -EINVAL;
                }
                r = config_check_value(k, value, reterr, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_load(KcrashConfig *c, const char *path, config_warn_t warn, void *userdata, ConfigError *reterr) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = config_init_defaults(c);
        if (r < 0)
                return r;
        r = read_full_file(path, 1024 * 1024, &data, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (reterr)
                        *reterr = (ConfigError) { .message = "cannot read file" };
                config_done(c);
                return r;
        }
        r = config_parse(c, data, size, warn, userdata, reterr);
        if (r < 0)
                config_done(c);
        return r;
}
