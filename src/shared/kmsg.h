/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel log as /dev/kmsg gives it, and the non-fatal kernel events in it
 * (kcrash-watch). Pure functions: no I/O, no logging. */

/* One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg):
 *   "<prio>,<seq>,<ts_usec>,<flags>[,<more fields>];<message>\n"
 * followed by continuation lines " KEY=value\n" (the device properties).
 * prio is facility << 3 | level (LOG_FACILITY()/LOG_LEVEL() in
 * kernel/printk/printk.c, syslog's numbering);
 * the kernel's own messages have facility 0, and a line written to
 * /dev/kmsg from user space never does: devkmsg_write() in
 * kernel/printk/printk.c forces LOG_USER (1) unless the writer names a
 * non-zero facility. The message is printable: the kernel escapes other
 * bytes as \xNN. */
typedef struct KmsgRecord {
        unsigned facility;
        unsigned level;
        uint64_t seq;
        uint64_t ts_usec;     /* CLOCK_MONOTONIC-like time since boot */
        bool continuation;    /* flags 'c' (a fragment of a line, old kernels) */
        const char *message;  /* points into the buffer; not NUL-terminated */
        size_t message_len;
} KmsgRecord;

/* Parses the first record of buf[0..size). On success sets *ret and
 * *ret_consumed (the record with its continuation lines) and returns 0.
 * -EAGAIN: no complete line yet (more bytes needed). -EBADMSG: the first
 * line is not a record; *ret_consumed then says how many bytes to skip (the
 * line). */
int kmsg_parse_record(const char *buf, size_t size, KmsgRecord *ret, size_t *ret_consumed);

static inline bool kmsg_record_is_kernel(const KmsgRecord *r) {
        return r->facility == 0;
}

/* What kind of non-fatal kernel event a message starts. */
typedef enum KmsgEventClass {
        KMSG_EVENT_NONE,
        KMSG_EVENT_WARNING,      /* WARN(): kernel/panic.c __warn() */
        KMSG_EVENT_OOPS,         /* BUG/Oops/GPF the kernel survived */
        KMSG_EVENT_HUNG_TASK,    /* kernel/hung_task.c */
        KMSG_EVENT_SOFT_LOCKUP,  /* kernel/watchdog.c */
        KMSG_EVENT_HARD_LOCKUP,  /* kernel/watchdog.c, kernel/watchdog_perf.c */
        KMSG_EVENT_RCU_STALL,    /* kernel/rcu/tree_stall.h */
        KMSG_EVENT_GPU_HANG,     /* amdgpu_job.c, amdgpu_device.c, i915_gpu_error.c */
        KMSG_EVENT_MCE,          /* arch/x86/kernel/cpu/mce/core.c */
        KMSG_EVENT_FS_ERROR,     /* fs/ext4/super.c, fs/btrfs/messages.c, fs/xfs/xfs_message.c */
        _KMSG_EVENT_MAX,
} KmsgEventClass;

const char *kmsg_event_class_to_string(KmsgEventClass c);
KmsgEventClass kmsg_event_class_from_string(const char *s);

/* True when a kernel message starts with a task's name, which user space
 * chooses (prctl(PR_SET_NAME), the executable's name): "comm[pid]: ..."
 * (arch/x86/mm/fault.c show_signal_msg(): "%s%s[%d]: segfault at ..."),
 * "traps: comm[pid] trap ..." (arch/x86/kernel/traps.c), "comm (pid): ..."
 * (fs/drop_caches.c), and audit's records, which quote comm= and exe=
 * (kernel/audit.c). Such a line is kernel facility 0 but says what a user
 * wants: it never starts an event or counts as a hint. */
bool kmsg_names_task(const char *message, size_t len);

/* The class of event a kernel message (without timestamp) starts, or
 * KMSG_EVENT_NONE (always for a line kmsg_names_task() is true of). */
KmsgEventClass kmsg_classify(const char *message, size_t len);

/* Assembling events from the stream: the lines before an event (context),
 * its first line, and what follows until its end marker, a pause, or a size
 * cap. Lines are kept as "[%5lu.%06lu] message", the way dmesg and pstore
 * print them, which is what the analyser reads. */
#define KMSG_CONTEXT_LINES 20
#define KMSG_EVENT_MAX_LINES 400
#define KMSG_EVENT_MAX_BYTES (128 * 1024)
/* An event is complete once the kernel has been quiet about it this long. */
#define KMSG_EVENT_QUIET_USEC (2 * 1000000ULL)

typedef struct KmsgEvent {
        KmsgEventClass class;
        uint64_t seq;          /* of its first line */
        uint64_t last_seq;     /* of its last line */
        uint64_t ts_usec;      /* of its first line */
        char *first_line;      /* the message that started it */
        char *text;            /* context + event, NUL-terminated */
        size_t text_size;
} KmsgEvent;

KmsgEvent *kmsg_event_free(KmsgEvent *e);

typedef struct KmsgAssembler {
        char *context[KMSG_CONTEXT_LINES]; /* ring of recent kernel lines */
        size_t context_next, context_n;
        KmsgEvent *open;                   /* the event being assembled */
        size_t open_lines;
        uint64_t open_last_ts;
} KmsgAssembler;

/* Feeds one record. Records not of kernel origin are ignored. When the
 * record completes the open event (or starts a new one while one is open),
 * the finished event is returned in *ret_done (caller frees) and 1 is
 * returned; else 0. */
int kmsg_assembler_feed(KmsgAssembler *a, const KmsgRecord *rec, KmsgEvent **ret_done);
/* Completes the open event if the kernel has been quiet since now_usec
 * (force: regardless): 1 with *ret_done set, 0 when nothing was open. */
int kmsg_assembler_flush(KmsgAssembler *a, uint64_t now_usec, bool force, KmsgEvent **ret_done);
/* The seq below which every record has been fully handled (the open event's
 * first seq minus one, or last_fed when none is open). */
uint64_t kmsg_assembler_safe_seq(const KmsgAssembler *a, uint64_t last_fed);
void kmsg_assembler_done(KmsgAssembler *a);

/* A title for an event the analyser has no title for: its class and first
 * line with numbers (addresses, pids, sequence numbers) replaced by "N", so
 * that the same problem gets the same title on every device. */
char *kmsg_event_title(const KmsgEvent *e);
