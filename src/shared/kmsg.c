/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"
#include "macro.h"

/* ---- records ---- */

/* A decimal field of the record prefix, ended by one of stops. */
static int parse_u64(const char **p, const char *end, const char *stops, uint64_t *ret) {
        uint64_t v = 0;
        const char *s = *p;
        if (s >= end || !isdigit((unsigned char) *s))
                return -EBADMSG;
        for (; s < end && isdigit((unsigned char) *s); s++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -EBADMSG;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        if (s >= end || !strchr(stops, *s))
                return -EBADMSG;
        *p = s;
        *ret = v;
        return 0;
}

int kmsg_parse_record(const char *buf, size_t size, KmsgRecord *ret, size_t *ret_consumed) {
        const char *end = buf + size;
        const char *eol = memchr(buf, '\n', size);
        if (!eol)
                return -EAGAIN;
        /* The record and its continuation lines (" KEY=value"). */
        const char *next = eol + 1;
        while (next < end && *next == ' ') {
                const char *e = memchr(next, '\n', (size_t) (end - next));
                if (!e)
                        return -EAGAIN;
                next = e + 1;
        }
        *ret_consumed = (size_t) (eol + 1 - buf);

        /* "prio,seq,ts_usec,flags[,...];message" (Documentation/ABI/testing/dev-kmsg:
         * "Future extensions might add more comma separated values before
         * the terminating ';'. Unknown fields and values should be
         * gracefully ignored.") */
        const char *semi = memchr(buf, ';', (size_t) (eol - buf));
        if (!semi)
                return -EBADMSG;
        const char *p = buf;
        uint64_t prio, seq, ts;
        if (parse_u64(&p, semi, ",", &prio) < 0 || prio > 1023)
                return -EBADMSG;
        p++;
        if (parse_u64(&p, semi, ",", &seq) < 0)
                return -EBADMSG;
        p++;
        if (parse_u64(&p, semi, ",;", &ts) < 0)
                return -EBADMSG;
        char flag = '-';
        if (*p == ',' && p + 1 < semi)
                flag = p[1];
        *ret = (KmsgRecord) {
                .facility = (unsigned) (prio >> 3),
                .level = (unsigned) (prio & 7),
                .seq = seq,
                .ts_usec = ts,
                .continuation = flag == 'c',
                .message = semi + 1,
                .message_len = (size_t) (eol - semi - 1),
        };
        *ret_consumed = (size_t) (next - buf);
        return 0;
}

/* ---- classes ---- */

static const char *const class_names[_KMSG_EVENT_MAX] = {
        [KMSG_EVENT_NONE] = "NONE",
        [KMSG_EVENT_WARNING] = "WARNING",
        [KMSG_EVENT_OOPS] = "OOPS",
        [KMSG_EVENT_HUNG_TASK] = "HUNG_TASK",
        [KMSG_EVENT_SOFT_LOCKUP] = "SOFT_LOCKUP",
        [KMSG_EVENT_HARD_LOCKUP] = "HARD_LOCKUP",
        [KMSG_EVENT_RCU_STALL] = "RCU_STALL",
        [KMSG_EVENT_GPU_HANG] = "GPU_HANG",
        [KMSG_EVENT_MCE] = "MCE",
        [KMSG_EVENT_FS_ERROR] = "FS_ERROR",
};

const char *kmsg_event_class_to_string(KmsgEventClass c) {
        return c >= 0 && c < _KMSG_EVENT_MAX ? class_names[c] : NULL;
}

KmsgEventClass kmsg_event_class_from_string(const char *s) {
        for (int i = 1; s && i < _KMSG_EVENT_MAX; i++)
                if (streq(s, class_names[i]))
                        return (KmsgEventClass) i;
        return KMSG_EVENT_NONE;
}

static bool span_has(const char *s, size_t n, const char *needle) {
        size_t l = strlen(needle);
        for (size_t i = 0; i + l <= n; i++)
                if (memcmp(s + i, needle, l) == 0)
                        return true;
        return false;
}

static bool span_starts(const char *s, size_t n, const char *prefix) {
        size_t l = strlen(prefix);
        return n >= l && memcmp(s, prefix, l) == 0;
}

/* "[digits]" then ':' or ' ' at m[i], or " (digits):" there. */
static bool task_id_at(const char *m, size_t n, size_t i) {
        char open = m[i] == '[' ? ']' : m[i] == ' ' && i + 1 < n && m[i + 1] == '(' ? ')' : 0;
        if (!open)
                return false;
        size_t j = i + (open == ']' ? 1 : 2), digits = 0;
        while (j < n && m[j] >= '0' && m[j] <= '9')
                j++, digits++;
        if (digits == 0 || j >= n || m[j] != open)
                return false;
        j++;
        return open == ']' ? j < n && (m[j] == ':' || m[j] == ' ') : j < n && m[j] == ':';
}

bool kmsg_names_task(const char *m, size_t n) {
        if (span_starts(m, n, "audit: ") || span_starts(m, n, "audit("))
                return true;
        if (span_starts(m, n, "traps: "))
                m += 7, n -= 7;
        /* A name is at most TASK_COMM_LEN - 1 = 15 bytes of anything
         * (include/linux/sched.h), so the task's id follows within 16. */
        for (size_t i = 0; i <= 16 && i < n; i++)
                if (task_id_at(m, n, i))
                        return true;
        return false;
}

/* Each pattern is the format string of the kernel file named beside it. */
KmsgEventClass kmsg_classify(const char *m, size_t n) {
        if (kmsg_names_task(m, n))
                return KMSG_EVENT_NONE;
        /* kernel/watchdog.c: "BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]"
         * (pr_fmt "watchdog: "; "NMI watchdog: " before 4.15) */
        if (span_has(m, n, "BUG: soft lockup - CPU#"))
                return KMSG_EVENT_SOFT_LOCKUP;
        /* kernel/watchdog_perf.c (watchdog_hld.c before 6.6), kernel/watchdog.c
         * (buddy detector): "Watchdog detected hard LOCKUP on cpu %d" */
        if (span_has(m, n, "Watchdog detected hard LOCKUP on cpu"))
                return KMSG_EVENT_HARD_LOCKUP;
        /* kernel/hung_task.c check_hung_task():
         * "INFO: task %s:%d blocked for more than %ld seconds." */
        if (span_starts(m, n, "INFO: task ") && span_has(m, n, " blocked for more than "))
                return KMSG_EVENT_HUNG_TASK;
        /* kernel/rcu/tree_stall.h: "INFO: %s self-detected stall on CPU",
         * "INFO: %s detected stalls on CPUs/tasks:" (pr_fmt "rcu: " since 5.0),
         * "INFO: %s detected expedited stalls on CPUs/tasks: {" */
        if ((span_starts(m, n, "rcu: INFO: ") || span_starts(m, n, "INFO: rcu_")) && span_has(m, n, " stall"))
                return KMSG_EVENT_RCU_STALL;
        /* kernel/panic.c __warn(): "WARNING: CPU: %d PID: %d at %pS" (older
         * "WARNING: at %pS"); lockdep and RCU-lockdep reports also start
         * with "WARNING: " (kernel/locking/lockdep.c). */
        if (span_starts(m, n, "WARNING: "))
                return KMSG_EVENT_WARNING;
        /* arch/x86/mm/fault.c page_fault_oops(): "BUG: kernel NULL pointer
         * dereference, address: %px", "BUG: unable to handle page fault for
         * address: %px"; lib/bug.c: "kernel BUG at %s:%u!";
         * arch/x86/kernel/dumpstack.c __die_header(): "Oops: %s%s%s%s%s%s";
         * arch/x86/kernel/traps.c: "general protection fault", "divide error:",
         * "invalid opcode:"; arch/arm64/kernel/traps.c: "Internal error: %s";
         * arch/arm64/mm/fault.c: "Unable to handle kernel %s at virtual
         * address"; mm/kasan/report.c, kernel/sched/core.c ("BUG: scheduling
         * while atomic", "BUG: sleeping function called from invalid
         * context") and other "BUG: " reports. */
        static const char *const oops_prefixes[] = {
                "BUG: ", "kernel BUG at ", "Oops: ", "general protection fault", "divide error: ",
                "invalid opcode: ", "Internal error: ", "Unable to handle kernel ",
        };
        for (size_t i = 0; i < ELEMENTSOF(oops_prefixes); i++)
                if (span_starts(m, n, oops_prefixes[i]))
                        return KMSG_EVENT_OOPS;
        /* drivers/gpu/drm/amd/amdgpu/amdgpu_job.c amdgpu_job_timedout():
         * "ring %s timeout, signaled seq=%u, emitted seq=%u";
         * amdgpu_device.c amdgpu_device_gpu_recover(): "GPU reset begin!";
         * drivers/gpu/drm/i915/i915_gpu_error.c: "GPU HANG: ecode %d:%x:%08x" */
        if ((span_has(m, n, "ring ") && span_has(m, n, " timeout, signaled seq=")) || span_has(m, n, "GPU reset begin!") ||
            span_has(m, n, "GPU HANG: ecode"))
                return KMSG_EVENT_GPU_HANG;
        /* arch/x86/kernel/cpu/mce/core.c: HW_ERR "Machine check events logged"
         * (mce_notify_irq) and HW_ERR "CPU %d: Machine Check%s: %Lx Bank %d:
         * %016Lx" (__print_mce), HW_ERR being "[Hardware Error]: " */
        if (span_has(m, n, "[Hardware Error]: Machine check events logged") ||
            (span_has(m, n, "[Hardware Error]: CPU ") && span_has(m, n, ": Machine Check")))
                return KMSG_EVENT_MCE;
        /* fs/ext4/super.c __ext4_error*(): "EXT4-fs error (device %s): ";
         * fs/btrfs/messages.c: "BTRFS error (device %s...)", "BTRFS critical";
         * fs/xfs/xfs_message.c xfs_alert() on corruption (xfs_error.c:
         * "Metadata corruption detected at", xfs_fsops.c: "Corruption of
         * in-memory data") */
        if (span_starts(m, n, "EXT4-fs error (device ") || span_starts(m, n, "BTRFS error (device ") ||
            span_starts(m, n, "BTRFS critical (device ") ||
            (span_starts(m, n, "XFS (") && (span_has(m, n, "orruption") || span_has(m, n, "Internal error"))))
                return KMSG_EVENT_FS_ERROR;
        return KMSG_EVENT_NONE;
}

/* Classes whose report ends with the kernel's end marker
 * (kernel/panic.c print_oops_end_marker(): "---[ end trace %016llx ]---"). */
static bool is_end_marker(const char *m, size_t n) {
        return span_starts(m, n, "---[ end trace");
}

/* ---- assembling events ---- */

KmsgEvent *kmsg_event_free(KmsgEvent *e) {
        if (!e)
                return NULL;
        free(e->first_line);
        free(e->text);
        free(e);
        return NULL;
}

static char *format_line(const KmsgRecord *rec) {
        char *s;
        if (asprintf(&s, "[%5llu.%06llu] %.*s\n", (unsigned long long) (rec->ts_usec / 1000000),
                     (unsigned long long) (rec->ts_usec % 1000000), (int) MIN(rec->message_len, (size_t) 8192),
                     rec->message) < 0)
                return NULL;
        return s;
}

static int event_append(KmsgEvent *e, const char *line) {
        size_t l = strlen(line);
        if (e->text_size + l + 1 > KMSG_EVENT_MAX_BYTES)
                return 0; /* capped: the beginning is what matters */
        char *t = realloc(e->text, e->text_size + l + 1);
        if (!t)
                return -ENOMEM;
        memcpy(t + e->text_size, line, l + 1);
        e->text = t;
        e->text_size += l;
        return 0;
}

static void context_push(KmsgAssembler *a, char *line) {
        free(a->context[a->context_next]);
        a->context[a->context_next] = line;
        a->context_next = (a->context_next + 1) % KMSG_CONTEXT_LINES;
        if (a->context_n < KMSG_CONTEXT_LINES)
                a->context_n++;
}

static void context_clear(KmsgAssembler *a) {
        for (size_t i = 0; i < KMSG_CONTEXT_LINES; i++) {
                free(a->context[i]);
                a->context[i] = NULL;
        }
        a->context_next = a->context_n = 0;
}

static int event_start(KmsgAssembler *a, KmsgEventClass class, const KmsgRecord *rec, const char *line) {
        KmsgEvent *e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        e->class = class;
        e->seq = e->last_seq = rec->seq;
        e->ts_usec = rec->ts_usec;
        e->first_line = strndup(rec->message, MIN(rec->message_len, (size_t) 1024));
        e->text = strdup("");
        if (!e->first_line || !e->text) {
                kmsg_event_free(e);
                return -ENOMEM;
        }
        /* The lines before it, oldest first: the "cut here" line, what the
         * driver said just before. */
        int r = 0;
        for (size_t i = 0; i < a->context_n && r >= 0; i++) {
                size_t k = (a->context_next + KMSG_CONTEXT_LINES - a->context_n + i) % KMSG_CONTEXT_LINES;
                r = event_append(e, a->context[k]);
        }
        if (r >= 0)
                r = event_append(e, line);
        if (r < 0) {
                kmsg_event_free(e);
                return r;
        }
        context_clear(a);
        a->open = e;
        a->open_lines = 1;
        a->open_last_ts = rec->ts_usec;
        return 0;
}

int kmsg_assembler_feed(KmsgAssembler *a, const KmsgRecord *rec, KmsgEvent **ret_done) {
        if (!kmsg_record_is_kernel(rec))
                return 0;
        _cleanup_free_ char *line = format_line(rec);
        if (!line)
                return -ENOMEM;
        KmsgEventClass class = kmsg_classify(rec->message, rec->message_len);
        KmsgEvent *done = NULL;
        int r;

        if (a->open) {
                bool quiet = rec->ts_usec > a->open_last_ts + KMSG_EVENT_QUIET_USEC;
                /* Another kind of event, or the same kind after a pause,
                 * starts anew; the same kind right away (the "Oops:" after
                 * "BUG: unable to handle", amdgpu's "GPU reset begin!" after
                 * its ring timeout) belongs to the open one. */
                bool starts_new = class != KMSG_EVENT_NONE && (class != a->open->class || quiet);
                if (!starts_new && !quiet && a->open_lines < KMSG_EVENT_MAX_LINES) {
                        r = event_append(a->open, line);
                        if (r < 0)
                                return r;
                        a->open->last_seq = rec->seq;
                        a->open_lines++;
                        a->open_last_ts = rec->ts_usec;
                        if (is_end_marker(rec->message, rec->message_len)) {
                                *ret_done = TAKE_PTR(a->open);
                                return 1;
                        }
                        return 0;
                }
                done = TAKE_PTR(a->open);
        }
        if (class != KMSG_EVENT_NONE) {
                r = event_start(a, class, rec, line);
                if (r < 0) {
                        kmsg_event_free(done);
                        return r;
                }
        } else
                context_push(a, TAKE_PTR(line));
        if (done) {
                *ret_done = done;
                return 1;
        }
        return 0;
}

int kmsg_assembler_flush(KmsgAssembler *a, uint64_t now_usec, bool force, KmsgEvent **ret_done) {
        if (!a->open)
                return 0;
        if (!force && now_usec <= a->open_last_ts + KMSG_EVENT_QUIET_USEC)
                return 0;
        *ret_done = TAKE_PTR(a->open);
        return 1;
}

uint64_t kmsg_assembler_safe_seq(const KmsgAssembler *a, uint64_t last_fed) {
        if (a->open)
                return a->open->seq > 0 ? a->open->seq - 1 : 0;
        return last_fed;
}

void kmsg_assembler_done(KmsgAssembler *a) {
        context_clear(a);
        a->open = kmsg_event_free(a->open);
}

/* ---- titles ---- */

char *kmsg_event_title(const KmsgEvent *e) {
        const char *s = strempty(e->first_line);
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        fprintf(f, "%s: ", kmsg_event_class_to_string(e->class));
        /* A word made of hex digits with at least one decimal digit (an
         * address, a pid, a sequence number, a PCI address part) becomes N;
         * words such as "sdma0" or "gfx" stay. */
        size_t written = 0;
        for (const char *p = s; *p && written < 160;) {
                if (isalnum((unsigned char) *p)) {
                        const char *w = p;
                        bool digit = false, hex = true;
                        while (isalnum((unsigned char) *p)) {
                                digit |= isdigit((unsigned char) *p) != 0;
                                hex &= isxdigit((unsigned char) *p) != 0 ||
                                       (*p == 'x' && p == w + 1 && *w == '0');
                                p++;
                        }
                        if (digit && hex) {
                                fputc('N', f);
                                written++;
                        } else {
                                fwrite(w, 1, (size_t) (p - w), f);
                                written += (size_t) (p - w);
                        }
                } else {
                        fputc(isprint((unsigned char) *p) ? *p : '?', f);
                        written++;
                        p++;
                }
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
