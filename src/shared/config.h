/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* /etc/default/kdump: shell-style KEY=VALUE lines. Every SteamOS key keeps its
 * meaning; etc-default/kdump documents every key and its default. */
typedef struct KcrashConfig {
        /* SteamOS keys */
        char *mount_devnode;             /* MOUNT_DEVNODE */
        char *kdump_folder;              /* KDUMP_FOLDER */
        bool full_coredump;              /* FULL_COREDUMP */
        char *makedumpfile_coredump_cmd; /* MAKEDUMPFILE_COREDUMP_CMD */
        char *makedumpfile_dmesg_cmd;    /* MAKEDUMPFILE_DMESG_CMD */
        bool grub_autoset;               /* GRUB_AUTOSET */
        bool use_pstore_ram;             /* USE_PSTORE_RAM */
        bool log_submission;             /* LOG_SUBMISSION */
        char *kdump_mnt;                 /* KDUMP_MNT: accepted, not used (kdump(5)) */

        /* kcrash keys: what SteamOS hard-coded */
        char *pstore_dir;                /* PSTORE_DIR */
        char *product;                   /* PRODUCT */
        char *serial_dmi_products;       /* SERIAL_DMI_PRODUCTS: space-separated product_name list */
        char *steam_loginusers_vdf;      /* STEAM_LOGINUSERS_VDF */
        uint64_t journal_tail_lines;     /* JOURNAL_TAIL_LINES */
        uint64_t max_record_size;        /* MAX_RECORD_SIZE */
        uint64_t ramoops_mem_size;       /* RAMOOPS_MEM_SIZE */
        uint64_t ramoops_record_size;    /* RAMOOPS_RECORD_SIZE */
        char *crashkernel_size;          /* CRASHKERNEL_SIZE */
        char *capture_initrd_dir;        /* CAPTURE_INITRD_DIR */
        bool pseudonymize_identity;      /* PSEUDONYMIZE_IDENTITY */
        bool redact_logs;                /* REDACT_LOGS */

        /* submission */
        char *submit_start_url;          /* SUBMIT_START_URL */
        char *submit_finish_url;         /* SUBMIT_FINISH_URL */
        bool submit_allow_insecure_http; /* SUBMIT_ALLOW_INSECURE_HTTP */
        uint64_t submit_connect_timeout; /* SUBMIT_CONNECT_TIMEOUT (s) */
        uint64_t submit_stall_timeout;   /* SUBMIT_STALL_TIMEOUT (s) */
        uint64_t submit_backoff_base;    /* SUBMIT_BACKOFF_BASE (s) */
        uint64_t submit_backoff_max;     /* SUBMIT_BACKOFF_MAX (s) */
        uint64_t submit_max_attempts;    /* SUBMIT_MAX_ATTEMPTS */
        uint64_t submit_daily_reports;   /* SUBMIT_DAILY_REPORTS */
        uint64_t submit_daily_bytes;     /* SUBMIT_DAILY_BYTES */
        char *submit_target;             /* SUBMIT_TARGET: "kcrash", "sentry" or both */
        char *sentry_dsn;                /* SENTRY_DSN */
        char *sentry_envelope_url;       /* SENTRY_ENVELOPE_URL: "" = from the DSN */
        uint64_t sentry_max_envelope_size; /* SENTRY_MAX_ENVELOPE_SIZE */
        bool keep_sent_logs;             /* KEEP_SENT_LOGS */
        uint64_t offload_max_size;       /* OFFLOAD_MAX_SIZE (bytes, 0 = no cap) */

        /* beyond panics */
        bool report_unclean_shutdown;    /* REPORT_UNCLEAN_SHUTDOWN */
        uint64_t watch_signature_daily;  /* WATCH_SIGNATURE_DAILY */
        uint64_t watch_daily_reports;    /* WATCH_DAILY_REPORTS */
        bool watchdog_panic;             /* WATCHDOG_PANIC */
        uint64_t watchdog_timeout;       /* WATCHDOG_TIMEOUT, seconds */
} KcrashConfig;

typedef enum ConfigValueType {
        CONFIG_STRING,
        CONFIG_BOOL,
        CONFIG_UINT,
        CONFIG_SIZE, /* bytes, with optional K/M/G suffix (powers of 1024) */
} ConfigValueType;

typedef struct ConfigKey {
        const char *name;
        ConfigValueType type;
        size_t offset;
        const char *default_value;
} ConfigKey;

/* The table of every known key, for kdump(5) and its test. */
extern const ConfigKey config_keys[];
extern const size_t config_keys_count;

typedef struct ConfigError {
        unsigned line;
        char key[64];
        char message[192];
} ConfigError;

typedef void (*config_warn_t)(void *userdata, unsigned line, const char *key, const char *message);

/* Sets every key to its documented default. */
int config_init_defaults(KcrashConfig *c);
/* Parses shell-style text into c (which must hold defaults or earlier values).
 * Unknown keys go to warn (may be NULL). On a bad line or value returns -EINVAL
 * and fills reterr with the line, key and reason. */
int config_parse(KcrashConfig *c, const char *data, size_t size, config_warn_t warn, void *userdata,
                 ConfigError *reterr);
/* Defaults, then the file when it exists (a missing file is not an error). */
int config_load(KcrashConfig *c, const char *path, config_warn_t warn, void *userdata, ConfigError *reterr);
void config_done(KcrashConfig *c);

/* The upload targets of SUBMIT_TARGET. */
typedef enum SubmitTarget {
        SUBMIT_TARGET_KCRASH, /* the three-step protocol (PROTOCOL.md) */
        SUBMIT_TARGET_SENTRY, /* one Sentry envelope */
        _SUBMIT_TARGET_MAX,
} SubmitTarget;
const char *submit_target_to_string(SubmitTarget t);
/* SUBMIT_TARGET's words (space or comma separated) as a bit mask of
 * 1 << SubmitTarget. -EINVAL on an unknown or missing word. */
int submit_targets_parse(const char *s, unsigned *ret_mask);
/* The targets SUBMIT_TARGET names that are configured (kcrash: both URLs
 * set; sentry: SENTRY_DSN set), as a mask; 0 when none is. */
unsigned config_submit_targets(const KcrashConfig *c);
