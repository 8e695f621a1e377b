/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Reading what pstorefs shows after a crash (fs/pstore/inode.c names the files
 * "<type>-<backend>-<id>[.enc.z]"; fs/pstore/platform.c writes the
 * "<Reason>#<count> Part<part>" header in front of every dmesg chunk), and
 * grouping the records into crash events. */

typedef enum PstoreType {
        PSTORE_TYPE_DMESG,
        PSTORE_TYPE_CONSOLE,
        PSTORE_TYPE_PMSG,
        PSTORE_TYPE_FTRACE,
        PSTORE_TYPE_MCE,
        PSTORE_TYPE_OTHER, /* a type name this version does not know */
} PstoreType;

typedef struct PstoreName {
        PstoreType type;
        char type_name[16];
        char backend[32];
        char id[32];
        uint64_t id_number;
        bool compressed; /* ".enc.z": the kernel could not decompress it */
} PstoreName;

/* Splits a pstore file name; -EINVAL when it does not have the pstore shape. */
int pstore_parse_name(const char *name, PstoreName *ret);

/* The highest part number accepted in a header. A dump is cut into parts of
 * the backend's buffer size until kmsg_bytes (default 10240) are stored: about
 * 14 efi parts; efi-pstore's id keeps only two digits of it. A reassembled
 * dump marks every missing part below the highest one, so a forged
 * "Part1000000" must not size that text: such a record is kept whole instead. */
#define PSTORE_MAX_PART 999

typedef struct PstoreHeader {
        char reason[16]; /* Panic, Oops, Emergency, Shutdown, Restart, Halt, Poweroff, Unknown */
        unsigned count;
        unsigned part;
} PstoreHeader;

/* Parses the first line "<Reason>#<count> Part<part>"; ret_body is the offset
 * of the next line. -EBADMSG when the first line is not such a header. */
int pstore_parse_header(const char *data, size_t size, PstoreHeader *ret, size_t *ret_body);
/* Panic, Oops and Emergency dumps mean the machine went down uncleanly. */
bool pstore_reason_is_crash(const char *reason);

typedef struct PstoreRecord {
        char *name;          /* file name in the pstore directory */
        PstoreName parsed;   /* valid when known_name */
        bool known_name;
        bool has_header;
        PstoreHeader header;
        char *raw;           /* file content as read */
        size_t raw_size;
        const char *body;    /* points into raw: after the header, before the ECC note */
        size_t body_size;
        char *ecc_note;      /* "ECC: ..." line ramoops appends on read, or NULL */
        time_t mtime;        /* time the dump was written */
        bool too_big;        /* larger than the read limit: kept, not read */
        uint64_t cut_bytes;  /* larger than the read limit: this many bytes were cut (read_cut_fd()) */
} PstoreRecord;

/* One kmsg dump: the parts of one <Reason>#<count> written in one go. A crash
 * loop leaves several dumps with the same reason and count (efi-pstore keeps
 * every "Panic#1 Part1" under its own id); they are separate dumps, told apart
 * by write time and by part numbers that repeat. No part is ever dropped as a
 * duplicate: the bytes of every record in parts[] are in text, so a caller may
 * remove all of them once text is saved. */
typedef struct PstoreDump {
        char reason[16];
        unsigned count;
        PstoreRecord **parts; /* in log order: highest part first, Part1 (newest) last; part numbers distinct */
        size_t n_parts;
        unsigned *missing_parts;
        size_t n_missing;
        const char *text;     /* the reassembled log, missing parts marked; NUL-terminated */
        size_t text_size;
        char *text_buf;       /* text's storage when parts were joined; NULL when text is
                               * the one record's body itself, read once and not copied */
} PstoreDump;

/* One crash: the dumps that belong to it (an Oops and the Panic that followed
 * it), plus the console/pmsg/ftrace/mce records of the same boot. */
typedef struct PstoreEvent {
        PstoreDump **dumps;
        size_t n_dumps;
        PstoreRecord **extra; /* console, pmsg, ftrace, mce, compressed dmesg */
        size_t n_extra;
        bool is_crash;
        time_t crash_time;
} PstoreEvent;

typedef struct PstoreScan {
        PstoreRecord **records;  /* every file, owned here */
        size_t n_records;
        PstoreDump **dumps;      /* owned here */
        size_t n_dumps;
        PstoreEvent **events;    /* owned here; crash events and non-crash leftovers */
        size_t n_events;
        PstoreRecord **unknown;  /* files that are not pstore records: never touched */
        size_t n_unknown;
} PstoreScan;

/* Reads every file in dir (a record larger than max_record_size is read cut
 * to that size, its head line and its end kept, cut_bytes set) and groups them. A missing directory is an empty scan. */
int pstore_scan_dir(const char *dir, size_t max_record_size, PstoreScan **ret);
/* Groups records that were already read; takes ownership of records. For tests and fuzzing. */
int pstore_scan_records(PstoreRecord **records, size_t n_records, PstoreScan **ret);
PstoreScan *pstore_scan_free(PstoreScan *s);
PstoreRecord *pstore_record_free(PstoreRecord *r);
/* Builds a record from a name, bytes and mtime (copies the bytes). */
int pstore_record_new(const char *name, const char *data, size_t size, time_t mtime, PstoreRecord **ret);
