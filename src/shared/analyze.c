/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash analysis of kernel logs: syzbot-compatible titles, crash types,
 * culprit function and module, and a stable signature.
 *
 * The title rules follow syzkaller's Linux report parser as described in
 * words in tests/fixtures/oops-corpus/TITLE_RULES.md (no syzkaller code is
 * used). Matching is line based: every pattern is applied to one line of
 * bounded length, so the work is linear in the size of the log. */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "hash.h"
#include "macro.h"
#include "stack-frame.h"

/* Lines longer than this are cut for matching (a log line is at most 1 KiB
 * in the kernel; anything longer is garbage). */
#define MAX_LINE 2048
/* Bounded work on hostile input. */
#define MAX_LINES (4u << 20)
#define MAX_REPORT_LINES 4096
#define MAX_CANDIDATES 256
#define MAX_FRAMES 64

/* ------------------------------------------------------------------------ */
/* Lines, prefixes and contexts (TITLE_RULES.md §2) */

typedef enum { CTX_NONE, CTX_CONSOLE, CTX_CALLER } ContextKind;

typedef struct Line {
        const char *raw;
        size_t raw_len;
        char *text;          /* NUL-terminated copy, prefix removed when there is a context */
        ContextKind kind;
        char ctx[16];        /* caller id, e.g. "T123" or "C1" */
        bool questionable;
} Line;

static bool span_has(const char *s, size_t n, const char *needle) {
        size_t l = strlen(needle);
        if (l == 0 || n < l)
                return l == 0;
        return memmem(s, n, needle, l) != NULL;
}

/* memmem() for the short prefix spans below, by hand: GCC 12 with the
 * sanitizers misjudges memmem's bounds on these pointer differences. */
static const char *find_in_span(const char *s, const char *end, const char *needle) {
        size_t l = strlen(needle);
        for (const char *p = s; p + l <= end; p++)
                if (*p == *needle && strneq(p, needle, l))
                        return p;
        return NULL;
}

/* Parses "[<N>][  123.456789][  T1234] text"; fills kind/ctx and the text offset. */
static void parse_prefix(Line *l, size_t *ret_text_off) {
        const char *s = l->raw, *end = l->raw + l->raw_len, *p = s;
        l->kind = CTX_NONE;
        *ret_text_off = 0;

        /* "** N printk messages dropped ** " */
        if (end - p > 3 && strneq(p, "** ", 3)) {
                const char *q = find_in_span(p + 3, end, " ** ");
                if (q)
                        p = q + 4;
        }
        /* a getty prompt the console line was printed after: "syzkaller login: [ 16.3] ..." */
        const char *login = find_in_span(p, end - p > 128 ? p + 128 : end, "login: ");
        if (login && login + 7 < end && (login[7] == '[' || login[7] == '<'))
                p = login + 7;
        /* syslog level "<6>" (pstore, /dev/kmsg) */
        if (p < end && *p == '<') {
                const char *q = p + 1;
                while (q < end && isdigit((unsigned char) *q) && q - p < 5)
                        q++;
                if (q < end && *q == '>' && q > p + 1)
                        p = q + 1;
        }
        /* timestamp "[  123.456789]" */
        if (p < end && *p == '[') {
                const char *q = p + 1;
                while (q < end && *q == ' ')
                        q++;
                const char *d = q;
                while (q < end && isdigit((unsigned char) *q))
                        q++;
                if (q > d && q < end && *q == '.') {
                        q++;
                        const char *f = q;
                        while (q < end && isdigit((unsigned char) *q))
                                q++;
                        if (q > f && q < end && *q == ']') {
                                l->kind = CTX_CONSOLE;
                                q++;
                                /* caller id "[  T1234]" or "[ C1]" */
                                if (q < end && *q == '[') {
                                        const char *c = q + 1;
                                        while (c < end && *c == ' ')
                                                c++;
                                        if (c < end && (*c == 'T' || *c == 'C')) {
                                                const char *n = c + 1;
                                                while (n < end && isdigit((unsigned char) *n))
                                                        n++;
                                                if (n > c + 1 && n < end && *n == ']' && (size_t) (n - c) < sizeof l->ctx) {
                                                        l->kind = CTX_CALLER;
                                                        memcpy(l->ctx, c, (size_t) (n - c));
                                                        l->ctx[n - c] = 0;
                                                }
                                        }
                                }
                        }
                }
        }
        if (l->kind == CTX_NONE)
                return;
        /* Remove everything up to and including the first "] ". */
        const char *b = memmem(s, l->raw_len, "] ", 2);
        *ret_text_off = b ? (size_t) (b + 2 - s) : l->raw_len;
}

static bool line_questionable(const Line *l) {
        if (l->kind == CTX_NONE)
                return false;
        const char *t = l->text;
        size_t n = strlen(t);
        if (strstr(t, "<EOI>"))
                return false;
        if (strstr(t, " ? ") || (n > 0 && t[0] == '?' && t[1] == ' '))
                return true;
        return n >= 13 && streq(t + n - 13, " (unreliable)");
}

static bool same_context(const Line *a, const Line *b) {
        if (a->kind != b->kind)
                return false;
        return a->kind != CTX_CALLER || streq(a->ctx, b->ctx);
}

/* ------------------------------------------------------------------------ */
/* Regex helpers */

typedef struct Re {
        const char *pattern;
        regex_t re;
        bool compiled, failed;
} Re;

static regex_t *re_get(Re *r) {
        if (!r->compiled && !r->failed) {
                if (regcomp(&r->re, r->pattern, REG_EXTENDED) == 0)
                        r->compiled = true;
                else
                        r->failed = true;
        }
        return r->compiled ? &r->re : NULL;
}

/* Matches a line; captures up to 9 groups into caps (strdup'd, NULL if unset). */
static bool line_match(Re *r, const char *s, regmatch_t *m, size_t nm) {
        regex_t *re = re_get(r);
        if (!re)
                return false;
        return regexec(re, s, nm, m, 0) == 0;
}

/* ------------------------------------------------------------------------ */
/* Oops headers (§3) */

typedef enum {
        G_BUG, G_WARNING, G_INFO, G_UNABLE, G_GPF, G_STACKSEG, G_PANIC, G_DOUBLEFAULT, G_RUST, G_KBUG,
        G_KBUG2, G_KMALLOC, G_DIVIDE, G_DIVIDE2, G_INVOP, G_INT3, G_UBSAN, G_BOOT, G_NETDEV, G_VFSCLOSE,
        G_VFSBUSY, G_INTERNAL, G_UNHANDLED, G_ALIGN, G_TRUSTY, G_GOFATAL, G_SYZFAIL, G_SYZFATAL, G_GOPANIC,
        _G_MAX
} Group;

typedef struct Header {
        Group group;
        const char *needle;
        const char *const *suppress_substr;
        Re *suppress_re;
} Header;

static const char *const bug_suppress[] = { "ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:",
                                            "BUG: no syscalls can create resource", NULL };
static const char *const warning_suppress[] = {
        "WARNING: /etc/ssh/moduli does not exist", "WARNING: workqueue cpumask: online intersect > possible intersect",
        "WARNING: Unsupported flag value(s) of 0x", "WARNING: Unprivileged eBPF is enabled with eIBRS",
        "WARNING: kernel not compiled with CPU_SRSO", "EXT4-FS:", NULL
};
static Re warning_suppress_re = {
        "WARNING: [Tt]he mand mount option|WARNING: fbcon: Driver '.*' missed to adjust virtual screen size|"
        "WARNING: See https.* for mitigation options\\.|EXT4-fs \\(.*\\):|[Ww][Aa][Rr][Nn][Ii][Nn][Gg]: .* uses "
        "(deprecated v2 capabilities|wireless extensions)|XFS \\(.*\\): WARNING"
};
static const char *const info_suppress[] = { "INFO: lockdep is turned off", "INFO: Stall ended before state dump start",
                                             "INFO: NMI handler", "INFO: recovery required on readonly filesystem",
                                             "INFO: no syscalls can create resource", "rmt_storage:INFO:", "_INFO:",
                                             NULL };
static Re info_suppress_re = { "(handler|interrupt).*took too long|INFO: sys_.* is not present in /proc/kallsyms" };
static Re gpf_suppress_re = { "general protection fault.*error:[0-9]+ in " };
static const char *const boot_suppress[] = { "Parsing ELF", "Decompressing Linux", "Unknown parameter '", NULL };
static const char *const gofatal_suppress[] = { "ALSA", "fatal error: cannot create timer", NULL };
static const char *const gopanic_suppress[] = { "_panic:", "xlog_status:", "ddb.onpanic:", "evtlog_status:", NULL };

static const Header headers[] = {
        { G_BUG, "BUG:", bug_suppress, NULL },
        { G_WARNING, "WARNING:", warning_suppress, &warning_suppress_re },
        { G_INFO, "INFO:", info_suppress, &info_suppress_re },
        { G_UNABLE, "Unable to handle kernel", NULL, NULL },
        { G_GPF, "general protection fault", NULL, &gpf_suppress_re },
        { G_STACKSEG, "stack segment: ", NULL, NULL },
        { G_PANIC, "Kernel panic", NULL, NULL },
        { G_DOUBLEFAULT, "PANIC: double fault", NULL, NULL },
        { G_RUST, "rust_kernel: panicked", NULL, NULL },
        { G_KBUG, "kernel BUG", NULL, NULL },
        { G_KBUG2, "Kernel BUG", NULL, NULL },
        { G_KMALLOC, "BUG kmalloc-", NULL, NULL },
        { G_DIVIDE, "divide error:", NULL, NULL },
        { G_DIVIDE2, "divide_error:", NULL, NULL },
        { G_INVOP, "invalid opcode:", NULL, NULL },
        { G_INT3, "int3:", NULL, NULL },
        { G_UBSAN, "UBSAN:", NULL, NULL },
        { G_BOOT, "Booting the kernel.", boot_suppress, NULL },
        { G_NETDEV, "unregister_netdevice: waiting for", NULL, NULL },
        { G_VFSCLOSE, "VFS: Close: file count is 0", NULL, NULL },
        { G_VFSBUSY, "VFS: Busy inodes after unmount", NULL, NULL },
        { G_INTERNAL, "Internal error:", NULL, NULL },
        { G_UNHANDLED, "Unhandled fault:", NULL, NULL },
        { G_ALIGN, "Alignment trap:", NULL, NULL },
        { G_TRUSTY, "trusty: panic", NULL, NULL },
        { G_GOFATAL, "fatal error:", gofatal_suppress, NULL },
        { G_SYZFAIL, "SYZFAIL:", NULL, NULL },
        { G_SYZFATAL, "SYZFATAL:", NULL, NULL },
        { G_GOPANIC, "panic:", gopanic_suppress, NULL },
};

static const Header *line_header(const char *s, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(headers); i++) {
                const Header *h = &headers[i];
                if (!span_has(s, n, h->needle))
                        continue;
                bool suppressed = false;
                for (const char *const *x = h->suppress_substr; x && *x && !suppressed; x++)
                        suppressed = span_has(s, n, *x);
                if (!suppressed && h->suppress_re) {
                        char buf[MAX_LINE + 1];
                        size_t l = MIN(n, (size_t) MAX_LINE);
                        memcpy(buf, s, l);
                        buf[l] = 0;
                        suppressed = line_match(h->suppress_re, buf, NULL, 0);
                }
                if (!suppressed)
                        return h;
        }
        return NULL;
}

/* ------------------------------------------------------------------------ */
/* Frames (§6.1) */

static bool is_ident_char(char c) {
        return isalnum((unsigned char) c) || c == '_';
}

/* Skips one "[<ffffffff81234567>]" (or "[<0x...>]", brackets optional) and spaces. */
static const char *skip_pc(const char *p) {
        const char *q = p;
        bool bracket = *q == '[';
        if (bracket)
                q++;
        bool angle = *q == '<';
        if (angle)
                q++;
        if (q[0] == '0' && q[1] == 'x')
                q += 2;
        const char *h = q;
        while (isxdigit((unsigned char) *q))
                q++;
        if (q - h < 4)
                return NULL;
        if (angle) {
                if (*q != '>')
                        return NULL;
                q++;
        }
        if (bracket) {
                if (*q != ']')
                        return NULL;
                q++;
        }
        if (*q != ' ' && *q != 0)
                return NULL;
        while (*q == ' ')
                q++;
        return q;
}

/* IDENT followed by '+' or '.'; returns its length and the position after the
 * whole symbol (suffixes, +off/size). */
static size_t parse_symbol(const char *p, const char **ret_end) {
        const char *q = p;
        while (is_ident_char(*q))
                q++;
        if (q == p || (*q != '+' && *q != '.'))
                return 0;
        if (ret_end) {
                const char *e = q;
                while (*e && *e != ' ')
                        e++;
                *ret_end = e;
        }
        return (size_t) (q - p);
}

typedef struct Frame {
        char name[128];
        char module[64];
} Frame;

static void frame_set(Frame *f, const char *name, size_t len, const char *after) {
        size_t l = MIN(len, sizeof f->name - 1);
        memcpy(f->name, name, l);
        f->name[l] = 0;
        f->module[0] = 0;
        /* " [module]" after the symbol */
        if (after) {
                while (*after == ' ')
                        after++;
                /* "[module]", or "[module buildid]" (CONFIG_STACKTRACE_BUILD_ID) */
                char build_id[BUILD_ID_HEX_MAX];
                (void) stack_module_tag_parse(after, f->module, build_id);
        }
}

/* A frame line (a) "  [<pc>] [<pc>] foo+0x1/0x2 [mod]" or (b) arm
 * "[<pc>] (name) from [<pc>] (ident+0x..". Returns the number of frames (0-2). */
static int parse_frame_line(const char *t, Frame out[2]) {
        const char *p = t;
        while (*p == ' ' || *p == '\t')
                p++;
        for (int i = 0; i < 2 && *p == '['; i++) {
                const char *q = skip_pc(p);
                if (!q)
                        break;
                p = q;
        }
        /* arm: "(name) from [<pc>] (ident+" */
        if (*p == '(') {
                const char *close = strchr(p, ')');
                if (close && strneq(close, ") from ", 7)) {
                        const char *q = close + 7;
                        if (*q == '[') {
                                q = skip_pc(q);
                                if (!q)
                                        return 0;
                        }
                        if (*q == '(') {
                                const char *e;
                                size_t l = parse_symbol(q + 1, &e);
                                if (l > 0) {
                                        frame_set(&out[0], p + 1, (size_t) (close - p - 1), NULL);
                                        frame_set(&out[1], q + 1, l, NULL);
                                        return 2;
                                }
                        }
                }
                return 0;
        }
        const char *e = NULL;
        size_t l = parse_symbol(p, &e);
        if (l == 0)
                return 0;
        frame_set(&out[0], p, l, e);
        return 1;
}

static bool is_stack_start(const char *t) {
        static Re crc = { " backtrace \\(crc [0-9a-f]+\\):" };
        static Re riscv = { "status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}" };
        static Re alloc = { "(Allocated|Freed) by task [0-9]+:" };
        if (strstr(t, "Call Trace") || strstr(t, "Call trace") || strstr(t, "Allocated:") || strstr(t, "Freed:") ||
            strstr(t, "Backtrace:") || strstr(t, "Uninit was stored to memory at"))
                return true;
        const char *b = strstr(t, " backtrace:");
        if (b && (b == t || b[-1] != 'k'))
                return true;
        if (strstr(t, "Allocated by task") || strstr(t, "Freed by task"))
                return line_match(&alloc, t, NULL, 0);
        if (strstr(t, "backtrace (crc"))
                return line_match(&crc, t, NULL, 0);
        if (strstr(t, "badaddr:"))
                return line_match(&riscv, t, NULL, 0);
        return false;
}

/* "RIP: 0010:foo+0x12/0x40", "IP: [<..>] foo+..", "pc : foo+..", "PC is at foo+..".
 * Returns true for an IP line; *ret_len > 0 when it names a kernel function. */
static bool parse_ip_line(const char *t, Frame *ret, size_t *ret_len) {
        static const char *const tokens[] = { "RIP: ", "EIP: ", "NIP: ", "IP: ", "NIP [", "epc : ", "pc : ", "PC is at ",
                                              "pc: " };
        const char *p = t;
        while (*p == ' ')
                p++;
        const char *after = NULL;
        for (size_t i = 0; i < ELEMENTSOF(tokens) && !after; i++)
                if (startswith(p, tokens[i])) {
                        after = p + strlen(tokens[i]);
                        if (streq(tokens[i], "NIP ["))
                                after--;
                }
        if (!after)
                return false;
        *ret_len = 0;
        const char *q = after;
        while (*q == ' ')
                q++;
        /* "0010:" segment */
        const char *d = q;
        while (isdigit((unsigned char) *d))
                d++;
        if (d > q && *d == ':')
                q = d + 1;
        for (int i = 0; i < 2 && *q == '['; i++) {
                const char *n = skip_pc(q);
                if (!n)
                        break;
                q = n;
        }
        const char *e;
        size_t l = parse_symbol(q, &e);
        if (l > 0 && !(q[0] == '0' && q[1] == 'x')) {
                frame_set(ret, q, l, e);
                *ret_len = l;
        }
        return true;
}

/* ------------------------------------------------------------------------ */
/* Skip rules (§6.2) */

static Re global_skip = {
        "__sanitizer|__asan|kasan|hwasan|__msan|kmsan|kcsan_setup_watchpoint|check_memory_region|check_heap_object|"
        "check_object|read_word_at_a_time|(read|write)_once_.*nocheck|print_address_description|panic|invalid_op|"
        "report_bug|fixup_bug|print_report|print_usage_bug|do_error|_trap$|do_trap|show_stack|dump_stack|walk_stack|"
        "dump_backtrace|warn_slowpath|warn_alloc|warn_bogus|__warn|print_tainted|__fortify_report|^get_taint$|"
        "assertfail|program_check_exception|program_check_common|"
        "alloc_page|k?v?(m|z|c)alloc|krealloc|kmem_cache|allocate_slab|__alloc_frozen_pages_noprof|"
        "folio_(alloc|unlock)|filemap_alloc_folio|__filemap_get_folio|find_or_create_page|do_read_cache_folio|"
        "read_cache_page|pagecache_get_page|grab_cache_page_write_begin|slab_|^kv?free$|kfree_skb|"
        "xas_(start|load|find)|find_lock_entries|truncate_inode_pages_range|__phys_addr|^(un)?lock_page|"
        "debug_object|timer_is_static_object|work_is_static_object|del_timer|flush_work|__cancel_work_timer|"
        "cancel_work_sync|try_to_grab_pending|flush_workqueue|drain_workqueue|destroy_workqueue|queue_work|"
        "insert_work|__queue_delayed_work|queue_delayed_work_on|lock_timer_base|__timer_delete_sync|"
        "sk_stop_timer_sync|__mod_timer|cleanup_srcu_struct|"
        "__might_fault|might_fault|might_sleep|__might_resched|print_unlock|imbalance_bug|lockdep|bh_enable|"
        "bh_disable|perf_trace|lock_acquire|lock_release|lock_class|mark_lock|(reacquire|mark)_held_locks|"
        "raw_spin_rq|spin_lock|spin_trylock|spin_unlock|read_lock|read_trylock|write_lock|write_trylock|"
        "read_unlock|write_unlock|^down$|down_read|down_write|down_read_trylock|down_write_trylock|down_trylock|"
        "up_read|up_write|^mutex_|^__mutex_|^rt_mutex_|owner_on_cpu|osq_lock|osq_unlock|"
        "(trace|lockdep)_(hard|soft)irq|finish_wait|__wake_up|^complete$|wait_for_completion|kthread_stop|"
        "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)|(set|clear|change|test)_bit|"
        "^refcount_|^kref_|ref_tracker|seqprop_assert|ida_free|"
        "memcpy|memcmp|memset|memchr|memmove|memdup|strcmp|strncmp|strcpy|strlcpy|strncpy|strscpy|strlen|strstr|"
        "strnstr|strnlen|strchr|strdup|strndup|string|pointer|snprintf|scnprintf|kasprintf|kvasprintf|printk|"
        "va_format|hex_dump_to_buffer|print_hex_dump|^crc[0-9]+|crc_itu_t|extract_(user|iter)_to_sg|"
        "rhashtable_lookup|"
        "copy_to_user|copy_from_user|copy_to_iter|copy_from_iter|copy_page_to_iter|copy_page_from_iter|"
        "copy_folio_to_iter|^copyin$|^copyout$|put_user|get_user|"
        "list_add|list_del|list_replace|list_move|list_splice|^rb_|^__rb_|^klist_|"
        "_indirect_thunk_|stack_trace_consume_entry|arch_stack_walk|stack_trace_save|"
        "dev_info|dev_notice|dev_warn|dev_err|dev_alert|dev_crit|dev_emerg|kobject_|add_uevent_var|"
        "get_device_parent|device_add|device_del|device_unregister|device_destroy|device_release|"
        "devres_release_all|hwrng_unregister|i2c_del_adapter|__unregister_client|device_for_each_child|"
        "rollback_registered|unregister_netdev|sysfs_remove|device_remove_file|tty_unregister_device|"
        "dummy_urb_enqueue|usb_kill_urb|usb_kill_anchored_urbs|usb_control_msg|usb_hcd_submit_urb|"
        "usb_submit_urb|^put_device$|"
        "readb$|readw$|readl$|readq$|writeb$|writew$|writel$|writeq$|logic_in|logic_out|"
        "^iput$|^iput_final$|^ihold$|drop_nlink|fast_dput|dput|mark_buffer_dirty|"
        "do_(kernel|translation)_fault|do_mem_abort|el1_abort|el1h_64_sync(_handler)?"
};

static bool skipped(const char *name, Re *extra) {
        if (line_match(&global_skip, name, NULL, 0))
                return true;
        return extra && line_match(extra, name, NULL, 0);
}

/* For titles without a function (a panic): the same rules, except that a
 * function that merely has "panic" in its name (a driver's foo_do_panic())
 * is the culprit, not panic() itself. */
static bool culprit_skipped(const char *name) {
        static Re panic_itself = { "^_*(nmi_|v)?panic(_smp_self_stop|_print_sys_info)?$" };
        if (!strstr(name, "panic") || line_match(&panic_itself, name, NULL, 0))
                return skipped(name, NULL);
        char masked[128];
        snprintf(masked, sizeof masked, "%s", name);
        for (char *p = masked; (p = strstr(p, "panic"));)
                memcpy(p, "PANIC", 5);
        return skipped(masked, NULL);
}

/* §6.3 */
static const char *strip_syscall_prefix(const char *name, char buf[128]) {
        static const char *const prefixes[] = { "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_",
                                                "___sys_", "__sys_", "__se_", "__se_sys_", "__do_sys_",
                                                "compat_SYSC_", "compat_SyS_", "ksys_" };
        const char *best = name;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                const char *s = startswith(name, prefixes[i]);
                if (s && *s && strlen(s) < strlen(best))
                        best = s;
        }
        snprintf(buf, 128, "%s", best);
        return buf;
}

/* ------------------------------------------------------------------------ */
/* Pickers (§6.4) */

static Re stall_anchors = {
        "process_one_work|do_syscall_|do_fast_syscall_|sysenter_dispatch|tracesys_phase2|el0_svc_handler|"
        "invoke_syscall|ret_fast_syscall|netif_receive_skb|do_softirq|call_timer_fn|_run_timers|"
        "run_timer_softirq|hrtimer_run|run_ksoftirqd|smpboot_thread_fn|^kthread$|start_secondary|"
        "cpu_startup_entry|ret_from_fork|"
        "vfs_write|vfs_read|vfs_iter_read|vfs_iter_write|do_iter_read|do_iter_write|call_read_iter|"
        "call_write_iter|new_sync_read|new_sync_write|vfs_ioctl|ksys_ioctl|compat_ioctl|compat_sys_ioctl|"
        "blkdev_driver_ioctl|blkdev_ioctl|do_iter_readv_writev|^call_mmap|mmap_region|do_mmap|do_dentry_open|"
        "vfs_open|"
        "^sock_sendmsg|^sock_recvmsg|^sock_release|^__sock_release|^setsockopt$|kernel_setsockopt|"
        "sock_common_setsockopt|^listen$|kernel_listen|sk_common_release|^sock_mmap|^accept$|kernel_accept|"
        "^sock_do_ioctl|^sock_ioctl|^compat_sock_ioctl|^nfnetlink_rcv_msg|^rtnetlink_rcv_msg|^netlink_dump|"
        "^(sys_)?(socketpair|connect|ioctl)|"
        "__do_fault|do_page_fault|^page_fault$|__fput|task_work_run|exit_to_usermode|smp_call_function|"
        "tasklet_action|tasklet_hi_action"
};
static Re hang_avoid = { "sched|_lock|_slowlock|down|rwsem|completion|kthread|wait|synchronize|context_switch|"
                         "__switch_to|cancel_delayed_work|rcu_barrier" };

typedef enum { PICK_DEFAULT, PICK_STALL, PICK_HANG } Picker;

/* Returns the index of the chosen candidate, -1 for "corrupted"; *literal may
 * be set to a fixed name instead. */
static int pick(const Frame *cands, size_t n, Picker picker, const char **literal) {
        *literal = NULL;
        if (n == 0)
                return -1;
        switch (picker) {
        case PICK_DEFAULT:
                return 0;
        case PICK_STALL:
                for (size_t i = 0; i < n; i++) {
                        /* Syscall entry points are anchors under their
                         * stripped names too (__se_sys_ioctl is "ioctl"). */
                        char stripped[128];
                        if (!line_match(&stall_anchors, cands[i].name, NULL, 0) &&
                            !line_match(&stall_anchors, strip_syscall_prefix(cands[i].name, stripped), NULL, 0))
                                continue;
                        {
                                if (strstr(cands[i].name, "smp_call_function")) {
                                        *literal = "smp_call_function";
                                        return (int) i;
                                }
                                return i == 0 ? 0 : (int) i - 1;
                        }
                }
                return -1;
        case PICK_HANG:
                for (size_t i = 0; i < n; i++) {
                        if (strstr(cands[i].name, "rtnl_lock"))
                                return (int) i;
                        if (strstr(cands[i].name, "synchronize_rcu") || strstr(cands[i].name, "synchronize_srcu") ||
                            strstr(cands[i].name, "synchronize_net") || strstr(cands[i].name, "synchronize_sched")) {
                                *literal = "synchronize_rcu";
                                return (int) i;
                        }
                }
                for (size_t i = 0; i < n; i++)
                        if (!line_match(&hang_avoid, cands[i].name, NULL, 0))
                                return (int) i;
                return -1;
        }
        return -1;
}

/* ------------------------------------------------------------------------ */
/* Formats (§5) */

typedef enum {
        R_NONE,
        R_RIP_CT,   /* IP line, then Call Trace frames */
        R_CT,       /* Call Trace frames */
        R_RIP,      /* IP line only */
        R_WARN,     /* IP line then frames right after it; fallback CT */
        R_HDR_CT,   /* capture 2 (header IDENT), then Call Trace frames */
        R_HDR_NEXT, /* capture 2 (header IDENT), then frames right after the header */
        R_NEXT,     /* frames right after the header */
        R_MARKER,   /* frames after the first line matching marker; its capture 1 first */
        R_AT2,      /* the IDENT of the first two "at: IDENT" lines, then frames */
        R_RCU,      /* rcu stall: apic_timer_interrupt, IP line, frames; fallback */
} Recipe;

enum {
        F_NOSTACK = 1 << 0,
        F_CORRUPTED = 1 << 1,
        F_STALL = 1 << 2,
        F_HANG = 1 << 3,
};

typedef struct Format {
        Re title;
        Re req[3];      /* requirement: req[0] on the title line, req[1..] on later lines, in order */
        const char *tmpl; /* %1..%9 captures, %F the chosen function */
        const char *alt;
        Recipe recipe;
        Re marker;
        Re skip;
        unsigned flags;
} Format;

#define IDENT "([A-Za-z0-9_.]+)"
#define AT_IDENT "at: (\\[<[0-9a-fx]+>\\] )?\\(?([A-Za-z0-9_]+)[+.]"

static Format bug_formats[] = {
        { { "BUG: KASAN:" }, { { "BUG: KASAN: ([a-z\\-]+) in ([A-Za-z0-9_]+)" }, { "(Read|Write) (of size|at addr)" } },
          "KASAN: %1 %3 in %F", "bad-access in %F", R_HDR_CT, {}, { "kernel_fault|tag_check|mem_abort|^el1_|^el1h_" }, 0 },
        { { "BUG: KASAN:" }, { { "BUG: KASAN: (double-free or invalid-free|double-free|invalid-free) in ([A-Za-z0-9_]+)" } },
          "KASAN: invalid-free in %F", "invalid-free in %F", R_HDR_CT, {},
          { "kernel_fault|tag_check|mem_abort|^el1_|^el1h_|slab_|kfree|vunmap|vfree" }, 0 },
        { { "BUG: KASAN: ([a-z\\-]+) on address" }, { { "BUG: KASAN: ([a-z\\-]+) on address" }, { "(Read|Write) of size" } },
          "KASAN: %1 %2", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: KASAN: (.*)" }, {}, "KASAN: %1", NULL, R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
        { { "BUG: KMSAN: kernel-usb-infoleak" }, { { "BUG: KMSAN: kernel-usb-infoleak in ([A-Za-z0-9_]+)" } },
          "KMSAN: kernel-usb-infoleak in %F", NULL, R_NEXT, {},
          { "alloc_skb|usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg" }, F_NOSTACK },
        { { "BUG: KMSAN:" }, { { "BUG: KMSAN: ([a-z\\-]+) in ([A-Za-z0-9_]+)" } }, "KMSAN: %1 in %F", "bad-access in %F",
          R_NEXT, {}, { "alloc_skb|netlink_ack|netlink_rcv_skb|_encrypt$|^crypto_|^cipher_|^drbg_|^rng_" }, F_NOSTACK },
        { { "BUG: KCSAN: (data-race.*)" }, {}, "KCSAN: %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: KCSAN: (.*)" }, {}, "KCSAN: %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in ([A-Za-z0-9_]+)" }, {},
          "KFENCE: %1 %2 in %F", "bad-access in %F", R_HDR_NEXT, {}, {}, 0 },
        { { "BUG: KFENCE: invalid free in ([A-Za-z0-9_]+)" }, {}, "KFENCE: invalid free in %F", "invalid-free in %F",
          R_HDR_NEXT, {}, {}, F_NOSTACK },
        { { "BUG: KFENCE: invalid (read|write) in ([A-Za-z0-9_]+)" }, {}, "KFENCE: invalid %1 in %F", "bad-access in %F",
          R_HDR_NEXT, {}, {}, 0 },
        { { "BUG: KFENCE: memory corruption in ([A-Za-z0-9_]+)" }, {}, "KFENCE: memory corruption in %F", NULL,
          R_HDR_NEXT, {}, {}, F_NOSTACK },
        { { "BUG: unable to handle kernel paging request|BUG: unable to handle page fault for address|"
            "BUG: Unable to handle kernel data access" },
          {}, "BUG: unable to handle kernel paging request in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
        { { "BUG: unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|"
            "Kernel NULL pointer dereference" },
          {}, "BUG: unable to handle kernel NULL pointer dereference in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
        { { "BUG: [Uu]nable to handle kernel" }, {}, "BUG: unable to handle kernel", NULL, R_NONE, {}, {},
          F_CORRUPTED | F_NOSTACK },
        { { "BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|"
            "wrong CPU|trylock failure on UP)" },
          {}, "BUG: %1 %2 in %F", NULL, R_CT, {}, { "spin_|_lock|_unlock" }, 0 },
        { { "BUG: soft lockup" }, {}, "BUG: soft lockup in %F", "stall in %F", R_RIP_CT, {}, {}, F_STALL },
        { { "BUG: .*still has locks held!" }, { { "still has locks held" }, { "PC +([A-Za-z0-9_]+)|\\] ([A-Za-z0-9_]+)[+.]" } },
          "BUG: still has locks held in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: scheduling while atomic" }, {}, "BUG: scheduling while atomic in %F", NULL, R_CT, {}, { "schedule" }, 0 },
        { { "BUG: lock held when returning to user space" },
          { { "lock held when returning" }, { "leaving the kernel with locks still held" }, { AT_IDENT } },
          "BUG: lock held when returning to user space in %2", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: bad unlock balance detected!" }, {}, "BUG: bad unlock balance in %F", NULL, R_MARKER,
          { "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]" }, {}, 0 },
        { { "BUG: held lock freed!" }, { { "held lock freed" }, { "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]" } },
          "BUG: held lock freed in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: Bad rss-counter state" }, {}, "BUG: Bad rss-counter state", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: non-zero (nr_ptes|nr_pmds) on freeing mm" }, {}, "BUG: non-zero %1 on freeing mm", NULL, R_NONE, {}, {},
          F_NOSTACK },
        { { "BUG: Dentry .* still in use" }, { { "still in use \\([0-9]+\\) \\[unmount of ([^]]+)\\]" } },
          "BUG: Dentry still in use in unmount", "BUG: Dentry still in use [unmount of %1]", R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: Bad page (state|cache)" }, {}, "BUG: Bad page %1 in %F", NULL, R_MARKER, { "page last allocated" },
          { "(free|put|get|update|release)_page|free_unref|^_*folio|truncate_inode_pages|page_frag_free|alloc|vmap|"
            "page_owner" },
          0 },
        { { "BUG: Bad page map" }, {}, "BUG: Bad page map", NULL, R_NONE, {}, {}, 0 },
        { { "BUG: workqueue lockup" }, {}, "BUG: workqueue lockup", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: sleeping function called from invalid context at" }, {},
          "BUG: sleeping function called from invalid context in %F", NULL, R_CT, {}, {}, 0 },
        { { "BUG: using ([a-z_]+)\\(\\) in preemptible" }, {}, "BUG: using %1() in preemptible code in %F", NULL, R_CT, {},
          { "dump_stack|preemption|preempt|debug_|processor_id|this_cpu" }, 0 },
        { { "BUG: workqueue leaked lock or atomic" }, { { "leaked lock" }, { "last function: ([A-Za-z0-9_]+)" } },
          "BUG: workqueue leaked lock or atomic in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "BUG: memory leak" }, {}, "memory leak in %F", NULL, R_MARKER, { " backtrace( \\(crc [0-9a-f]+\\))?:" },
          { "kmemleak|mmap|kmem|slab|alloc|create_object|idr_get|list_lru_init|kasprintf|kvasprintf|pcpu_create|"
            "strdup|strndup|memdup" },
          0 },
        { { "BUG: .*stack guard page was hit at" }, {}, "BUG: stack guard page was hit in %F", "stack-overflow in %F",
          R_RIP_CT, {}, {}, F_STALL },
        { { "BUG: Invalid wait context" }, {}, "WARNING: locking bug in %F", NULL, R_CT, {}, { "lock_sock|release_sock" }, 0 },
        { { "BUG:[ \t]*$" }, {}, "BUG: corrupted", NULL, R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
};

#define SRC "[A-Za-z0-9_./\\-]+\\.[a-z]+:[0-9]+"

static Format warning_formats[] = {
        { { "WARNING: .*lib/debugobjects\\.c.* (debug_print|debug_check|at)" }, {}, "WARNING: ODEBUG bug in %F", NULL,
          R_WARN, {},
          { "debug_|rcu|hrtimer_|timer_|work_|percpu_|vunmap|vfree|__free_|debug_check|kobject_" }, 0 },
        { { "WARNING: .*mm/usercopy\\.c.* (usercopy_warn|at)" }, {}, "WARNING: bad usercopy in %F", NULL, R_WARN, {},
          { "usercopy|__check" }, 0 },
        { { "WARNING: .*lib/kobject\\.c.* (kobject_|at)" }, {}, "WARNING: kobject bug in %F", NULL, R_WARN, {},
          { "kobject_" }, 0 },
        { { "WARNING: .*fs/proc/generic\\.c.* (proc_register|at)" }, {}, "WARNING: proc registration bug in %F", NULL,
          R_WARN, {}, { "proc_" }, 0 },
        { { "WARNING: .*lib/refcount\\.c.* (refcount_|at)" }, {}, "WARNING: refcount bug in %F", NULL, R_WARN, {},
          { "refcount|kobject_" }, 0 },
        { { "WARNING: .*kernel/locking/lockdep\\.c.*lock_" }, {}, "WARNING: locking bug in %F", NULL, R_WARN, {},
          { "lock_sock|release_sock" }, 0 },
        { { "WARNING: .*still has locks held!" }, { { "still has locks held" }, { "at: ([A-Za-z0-9_]+)" } },
          "WARNING: still has locks held in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: Nested lock was not taken" }, {}, "WARNING: nested lock was not taken in %F", NULL, R_WARN, {}, {}, 0 },
        { { "WARNING: lock held when returning to user space" },
          { { "lock held when returning" }, { "leaving the kernel with locks still held" }, { AT_IDENT } },
          "WARNING: lock held when returning to user space in %2", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: .*mm/[a-z_]+\\.c.* k?.?malloc|WARNING: .*mm/[a-z_]+\\.c.* kvmalloc" }, {},
          "WARNING: kmalloc bug in %F", NULL, R_WARN, {}, { "kmalloc|krealloc|slab|kmem" }, 0 },
        { { "WARNING: .*mm/vmalloc\\.c.*__vmalloc_node" }, {}, "WARNING: zero-size vmalloc in %F", NULL, R_WARN, {}, {}, 0 },
        { { "WARNING: .* usb_submit_urb" }, {}, "WARNING in %F/usb_submit_urb", NULL, R_WARN, {},
          { "usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg" }, 0 },
        { { "WARNING: " SRC " at 0x[0-9a-f]+, CPU#[0-9]+" }, {}, "WARNING in %F", NULL, R_WARN, {}, {}, 0 },
        { { "WARNING: .* at " SRC " [A-Za-z0-9_]+" }, {}, "WARNING in %F", NULL, R_WARN, {}, {}, 0 },
        { { "WARNING: (\\[.*\\] )?" SRC " at [A-Za-z0-9_]+" }, {}, "WARNING in %F", NULL, R_WARN, {}, {}, 0 },
        { { "WARNING: possible circular locking dependency detected" }, { { "circular locking" }, { "is trying to acquire lock" } },
          "possible deadlock in %F", NULL, R_AT2, {}, { "process_one_work|flush_workqueue|drain_workqueue|destroy_workqueue" },
          0 },
        { { "WARNING: possible irq lock inversion dependency detected" },
          { { "irq lock inversion" }, { "just changed the state of lock" }, { AT_IDENT } }, "possible deadlock in %2", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: [A-Z_]+-safe -> [A-Z_]+-unsafe lock order detected" }, {}, "possible deadlock in %F", NULL, R_MARKER,
          { "which became .* at:" }, {}, 0 },
        { { "WARNING: possible recursive locking detected" },
          { { "recursive locking" }, { "is trying to acquire lock" }, { AT_IDENT } }, "possible deadlock in %2", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: inconsistent lock state" }, { { "inconsistent lock state" }, { "takes" }, { AT_IDENT } },
          "inconsistent lock state in %F", NULL, R_CT, {}, {}, 0 },
        { { "WARNING: suspicious RCU usage" }, { { "suspicious RCU usage" }, { SRC } }, "WARNING: suspicious RCU usage in %F",
          NULL, R_CT, {}, { "rcu|kmem|slab" }, 0 },
        { { "WARNING: kernel stack regs at [0-9a-f]+ in [^ ]+ has bad '([^']+)' value" }, {},
          "WARNING: kernel stack regs has bad '%1' value", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]+ has bad value" }, {},
          "WARNING: kernel stack frame pointer has bad value", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: bad unlock balance detected!" }, {}, "WARNING: bad unlock balance in %F", NULL, R_MARKER,
          { "\\] ([A-Za-z0-9_]+)[+.]|at: ([A-Za-z0-9_]+)[+.]" }, {}, 0 },
        { { "WARNING: held lock freed!" }, { { "held lock freed" }, { "at:( \\[<[0-9a-fx]+>\\])? +([A-Za-z0-9_]+)" } },
          "WARNING: held lock freed in %2", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: kernel stack regs .* has bad 'bp' value" }, {}, "WARNING: kernel stack regs has bad value", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING: kernel stack frame pointer .* has bad value" }, {}, "WARNING: kernel stack regs has bad value", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "WARNING:[ \t]*$" }, {}, "WARNING: corrupted", NULL, R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
};

static Format info_formats[] = {
        { { "INFO: possible circular locking dependency detected \\]" },
          { { "circular locking" }, { "is trying to acquire lock" }, { "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" } },
          "possible deadlock in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "INFO: possible irq lock inversion dependency detected \\]" },
          { { "irq lock inversion" }, { "just changed the state of lock" }, { "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" } },
          "possible deadlock in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \\]" },
          { { "lock order detected" }, { "is trying to acquire" }, { "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" } },
          "possible deadlock in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "INFO: possible recursive locking detected \\]" },
          { { "recursive locking" }, { "is trying to acquire lock" }, { "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" } },
          "possible deadlock in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "INFO: inconsistent lock state \\]" },
          { { "inconsistent lock state" }, { "takes" }, { "at: \\[<[0-9a-fx]+>\\] +([A-Za-z0-9_]+)" } },
          "inconsistent lock state in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "INFO: rcu_(preempt|sched|bh|tasks) (self-)?detected (expedited )?stall" }, {}, "INFO: rcu detected stall in %F",
          "stall in %F", R_RCU, {}, { "apic_timer_interrupt|rcu" }, F_STALL },
        { { "INFO: trying to register non-static key" }, {}, "INFO: trying to register non-static key in %F", NULL, R_CT,
          {}, { "stack|lock|IRQ" }, 0 },
        { { "INFO: suspicious RCU usage" }, { { "suspicious RCU usage" }, { SRC } }, "INFO: suspicious RCU usage in %F", NULL,
          R_CT, {}, { "rcu|kmem|slab" }, 0 },
        { { "INFO: task .* blocked (in I/O wait )?for more than [0-9]+ seconds" }, {}, "INFO: task hung in %F",
          "hang in %F", R_CT, {}, {}, F_HANG },
        { { "INFO: task .* can't die for more than .* seconds" }, {}, "INFO: task can't die in %F", "hang in %F", R_CT, {},
          { "schedule" }, 0 },
        { { "INFO: (Freed|Allocated) in (.*)" }, {}, "INFO: %1 in %2", NULL, R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
        { { "INFO:[ \t]*$" }, {}, "INFO: corrupted", NULL, R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
};

static Format unable_formats[] = {
        { { "Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)" }, {},
          "BUG: unable to handle kernel %1 in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
};
static Format gpf_formats[] = {
        { { "general protection fault.*:" }, {}, "general protection fault in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
};
static Format stackseg_formats[] = {
        { { "stack segment: " }, {}, "stack segment fault in %F", NULL, R_RIP_CT, {}, {}, 0 },
};
static Format panic_formats[] = {
        { { "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ([A-Za-z_][A-Za-z0-9_]*)\\+" }, {},
          "kernel panic: stack is corrupted in %1", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [0-9a-fx]+" }, {},
          "kernel panic: stack is corrupted in %F", NULL, R_CT, {}, { "stack_chk" }, 0 },
        { { "Kernel panic - not syncing: corrupted stack end detected inside scheduler" }, {},
          "kernel panic: corrupted stack end in %F", "stack-overflow in %F", R_CT, {}, { "schedule|retint_kernel" },
          F_STALL },
        { { "Kernel panic - not syncing: kernel stack overflow" }, {}, "kernel stack overflow in %F", "stack-overflow in %F",
          R_CT, {}, { "bad_stack" }, F_STALL },
        { { "Kernel panic - not syncing: Attempted to kill init!" }, {}, "kernel panic: Attempted to kill init!", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+" }, {},
          "kernel panic: Couldn't open N_TTY ldisc", NULL, R_NONE, {}, {}, F_NOSTACK },
        { { "Kernel panic - not syncing: Fatal exception" }, {}, "kernel panic: Fatal exception", NULL, R_NONE, {}, {},
          F_CORRUPTED | F_NOSTACK },
        { { "Kernel panic - not syncing: panic_on_warn set" }, {}, "kernel panic: panic_on_warn set", NULL, R_NONE, {}, {},
          F_CORRUPTED | F_NOSTACK },
        { { "Kernel panic - not syncing: hung_task: blocked tasks" }, {}, "kernel panic: hung_task: blocked tasks", NULL,
          R_NONE, {}, {}, F_CORRUPTED | F_NOSTACK },
        { { "Kernel panic - not syncing: (.*)" }, {}, "kernel panic: %1", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format doublefault_formats[] = {
        { { "PANIC: double fault" }, {}, "PANIC: double fault in %F", NULL, R_RIP, {}, {}, 0 },
};
static Format kbug_formats[] = {
        { { "kernel BUG at mm/usercopy\\.c" }, {}, "BUG: bad usercopy in %F", NULL, R_CT, {}, { "usercopy|__check" }, 0 },
        { { "kernel BUG at lib/list_debug\\.c" }, {}, "BUG: corrupted list in %F", "bad-access in %F", R_CT, {}, {}, 0 },
        { { "kernel BUG at " }, {}, "kernel BUG in %F", NULL, R_RIP_CT, {}, { "^skb_" }, 0 },
};
static Format kbug2_formats[] = {
        { { "Kernel BUG (.*)" }, {}, "kernel BUG %1", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format kmalloc_formats[] = {
        { { "BUG kmalloc-.*: Object already free" }, {}, "BUG: Object already free", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format divide_formats[] = {
        { { "divide(_| )error: " }, {}, "divide error in %F", NULL, R_RIP, {}, {}, 0 },
};
static Format invop_formats[] = {
        { { "invalid opcode: " }, {}, "invalid opcode in %F", NULL, R_RIP, {}, {}, 0 },
};
static Format int3_formats[] = {
        { { "int3: " }, {}, "int3 in %F", NULL, R_RIP_CT, {}, {}, 0 },
};
static Format ubsan_formats[] = {
        { { "UBSAN: Undefined behaviour in" }, {}, "UBSAN: undefined-behaviour in %F", NULL, R_CT, {}, { "ubsan|overflow" }, 0 },
        { { "UBSAN: array-index-out-of-bounds in" }, {}, "UBSAN: array-index-out-of-bounds in %F", "bad-access in %F", R_CT,
          {}, { "ubsan|overflow" }, 0 },
        { { "UBSAN: ([a-z0-9\\-]+) in" }, {}, "UBSAN: %1 in %F", NULL, R_CT, {}, { "ubsan|overflow" }, 0 },
};
static Format boot_formats[] = {
        { { "^Booting the kernel" }, {}, "unexpected kernel reboot", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format netdev_formats[] = {
        { { "unregister_netdevice: waiting for .* to become free" }, {},
          "unregister_netdevice: waiting for DEV to become free", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format vfsclose_formats[] = {
        { { "VFS: Close: file count is 0" }, {}, "VFS: Close: file count is zero (use-after-free)", NULL, R_NONE, {}, {},
          F_NOSTACK },
};
static Format vfsbusy_formats[] = {
        { { "VFS: Busy inodes after unmount" }, {}, "VFS: Busy inodes after unmount (use-after-free)", NULL, R_NONE, {}, {},
          F_NOSTACK },
};
static Format internal_formats[] = {
        { { "Internal error:" }, {}, "Internal error in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
};
static Format unhandled_formats[] = {
        { { "Unhandled fault:" }, {}, "Unhandled fault in %F", "bad-access in %F", R_RIP_CT, {}, {}, 0 },
};
static Format align_formats[] = {
        { { "Alignment trap:" }, {}, "Alignment trap in %F", NULL, R_RIP_CT, {}, {}, 0 },
};
static Format trusty_formats[] = {
        { { "trusty: panic \\(.*\\):( DEBUG)? ASSERT FAILED at \\(.*\\): (.*)" }, {}, "trusty: ASSERT FAILED: %2", NULL,
          R_NONE, {}, {}, F_NOSTACK },
        { { "trusty: panic.*ASSERT FAILED.*: (.*)" }, {}, "trusty: ASSERT FAILED: %1", NULL, R_NONE, {}, {},
          F_NOSTACK | F_CORRUPTED },
        { { "trusty: panic \\([^)]*\\): (.*)" }, {}, "trusty: panic: %1", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format gofatal_formats[] = {
        { { "fatal error:" }, {}, "go runtime error", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format syzfail_formats[] = {
        { { "SYZFAIL:(.*)" }, {}, "SYZFAIL:%1", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format syzfatal_formats[] = {
        { { "SYZFATAL:(.*)" }, {}, "SYZFATAL:%1", "SYZFATAL", R_NONE, {}, {}, F_NOSTACK },
};
static Format gopanic_formats[] = {
        { { "panic: Sentry detected .* stuck task" }, {}, "panic: Sentry detected stuck tasks", NULL, R_NONE, {}, {},
          F_NOSTACK },
        { { "panic:(.*)" }, {}, "panic:%1", NULL, R_NONE, {}, {}, F_NOSTACK },
};
static Format rust_formats[] = {
        { { "rust_kernel: panicked" }, {}, "%N in %F", NULL, R_CT, {}, { "__rustc::rust_begin_unwind" }, 0 },
};

static const struct {
        Format *formats;
        size_t n;
} groups[_G_MAX] = {
#define G(g, f) [g] = { f, ELEMENTSOF(f) }
        G(G_BUG, bug_formats), G(G_WARNING, warning_formats), G(G_INFO, info_formats), G(G_UNABLE, unable_formats),
        G(G_GPF, gpf_formats), G(G_STACKSEG, stackseg_formats), G(G_PANIC, panic_formats),
        G(G_DOUBLEFAULT, doublefault_formats), G(G_RUST, rust_formats), G(G_KBUG, kbug_formats),
        G(G_KBUG2, kbug2_formats), G(G_KMALLOC, kmalloc_formats), G(G_DIVIDE, divide_formats),
        G(G_DIVIDE2, divide_formats), G(G_INVOP, invop_formats), G(G_INT3, int3_formats), G(G_UBSAN, ubsan_formats),
        G(G_BOOT, boot_formats), G(G_NETDEV, netdev_formats), G(G_VFSCLOSE, vfsclose_formats),
        G(G_VFSBUSY, vfsbusy_formats), G(G_INTERNAL, internal_formats), G(G_UNHANDLED, unhandled_formats),
        G(G_ALIGN, align_formats), G(G_TRUSTY, trusty_formats), G(G_GOFATAL, gofatal_formats),
        G(G_SYZFAIL, syzfail_formats), G(G_SYZFATAL, syzfatal_formats), G(G_GOPANIC, gopanic_formats),
#undef G
};

/* ------------------------------------------------------------------------ */
/* Analysis state */

typedef struct Report {
        char **lines;     /* report text lines, prefixes removed */
        size_t n;         /* lines of the title text (after the second-crash cut) */
        size_t n_full;    /* lines without the second-crash cut */
        bool *ctx_kept;
} Report;

typedef struct Caps {
        char *v[10];
        size_t n;
} Caps;

static void caps_done(Caps *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i]);
        c->n = 0;
}

static void caps_add_match(Caps *c, const char *s, const regmatch_t *m, size_t nm, Re *r) {
        /* Only the groups the pattern has, so later captures keep their numbers. */
        if (r && r->compiled)
                nm = MIN(nm, r->re.re_nsub + 1);
        for (size_t i = 1; i < nm && c->n < ELEMENTSOF(c->v); i++) {
                if (m[i].rm_so < 0) {
                        c->v[c->n++] = NULL;
                        continue;
                }
                c->v[c->n++] = strndup(s + m[i].rm_so, (size_t) (m[i].rm_eo - m[i].rm_so));
        }
}

typedef struct Ctx {
        const Report *rep;
        bool corrupted;
        bool saw_should_fail;
        Frame frames[MAX_FRAMES]; /* the stack the function came from, for frames[]/module */
        size_t n_frames;
} Ctx;

static bool is_should_fail(const char *t) {
        const char *p = t;
        while (*p == ' ')
                p++;
        if (*p == '[') {
                const char *q = skip_pc(p);
                if (q)
                        p = q;
        }
        if (!startswith(p, "should_fail"))
                return false;
        p += strlen("should_fail");
        if (startswith(p, "slab"))
                p += 4;
        if (*p == '.') {
                while (*p && *p != '+')
                        p++;
        }
        return startswith(p, "+0x") != NULL;
}

/* Adds the frames of the lines following *pos (a stack step) to cands. Stops
 * at a stack-start line (consumed) or at a line matching stop (not consumed). */
static void read_frames(Ctx *cx, size_t *pos, Frame *cands, size_t *n, Re *stop, bool record) {
        const Report *rep = cx->rep;
        size_t i = *pos;
        for (; i < rep->n; i++) {
                const char *t = rep->lines[i];
                if (is_stack_start(t)) {
                        i++;
                        break;
                }
                if (stop && line_match(stop, t, NULL, 0))
                        break;
                if (is_should_fail(t)) {
                        cx->corrupted = true;
                        i++;
                        break;
                }
                Frame f[2];
                int k = parse_frame_line(t, f);
                for (int j = 0; j < k; j++) {
                        if (*n < MAX_CANDIDATES)
                                cands[(*n)++] = f[j];
                        if (record && cx->n_frames < MAX_FRAMES)
                                cx->frames[cx->n_frames++] = f[j];
                }
        }
        *pos = i;
}

static void add_candidate(Frame *cands, size_t *n, const char *name, const char *module) {
        if (*n >= MAX_CANDIDATES || !name)
                return;
        Frame *f = &cands[(*n)++];
        snprintf(f->name, sizeof f->name, "%s", name);
        snprintf(f->module, sizeof f->module, "%s", module ? module : "");
}

/* Finds the first IP line from start; returns its index (or rep->n). */
static size_t find_ip_line(const Report *rep, size_t start, Frame *ret, bool *found_fn) {
        for (size_t i = start; i < rep->n; i++) {
                size_t l;
                Frame f;
                if (parse_ip_line(rep->lines[i], &f, &l)) {
                        *found_fn = l > 0;
                        if (l > 0)
                                *ret = f;
                        return i;
                }
        }
        *found_fn = false;
        return rep->n;
}

static size_t find_stack_start(const Report *rep, size_t start) {
        for (size_t i = start; i < rep->n; i++)
                if (is_stack_start(rep->lines[i]))
                        return i;
        return rep->n;
}

/* Filters candidates by the skip rules, in place. */
static size_t filter(Frame *cands, size_t n, Re *extra) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (!skipped(cands[i].name, extra))
                        cands[k++] = cands[i];
        return k;
}

/* Runs a recipe from line `at` (the title line); returns the chosen frame in
 * ret and true, or false for "corrupted". */
static bool run_recipe(Ctx *cx, const Format *fmt_const, size_t at, const Caps *caps, Frame *ret) {
        Format *fmt = (Format *) fmt_const;
        const Report *rep = cx->rep;
        Frame *cands = calloc(MAX_CANDIDATES, sizeof *cands);
        size_t n = 0;
        bool ok = false;
        const char *literal = NULL;
        Picker picker = fmt->flags & F_STALL ? PICK_STALL : fmt->flags & F_HANG ? PICK_HANG : PICK_DEFAULT;
        Re *extra = fmt->skip.pattern ? &fmt->skip : NULL;

        if (!cands)
                return false;
        cx->n_frames = 0;
        switch (fmt->recipe) {
        case R_RIP_CT:
        case R_RIP:
        case R_WARN: {
                Frame f;
                bool has;
                size_t ip = find_ip_line(rep, at, &f, &has);
                if (has) {
                        add_candidate(cands, &n, f.name, f.module);
                        /* The faulting function heads the stack we report. */
                        cx->frames[cx->n_frames++] = f;
                }
                if (fmt->recipe == R_RIP)
                        break;
                if (fmt->recipe == R_WARN) {
                        size_t pos = ip + 1;
                        if (ip < rep->n)
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        n = filter(cands, n, extra);
                        int idx = pick(cands, n, picker, &literal);
                        if (idx >= 0) {
                                *ret = cands[idx];
                                ok = true;
                                goto done;
                        }
                        n = 0;
                }
                size_t pos = find_stack_start(rep, fmt->recipe == R_WARN ? at : (ip < rep->n ? ip : at));
                if (pos >= rep->n && fmt->recipe == R_RIP_CT)
                        pos = find_stack_start(rep, at);
                if (pos < rep->n) {
                        pos++;
                        read_frames(cx, &pos, cands, &n, NULL, true);
                }
                break;
        }
        case R_CT: {
                size_t pos = find_stack_start(rep, at);
                if (pos < rep->n) {
                        pos++;
                        read_frames(cx, &pos, cands, &n, NULL, true);
                }
                break;
        }
        case R_HDR_CT:
        case R_HDR_NEXT: {
                /* KASAN: "<type> in IDENT" is capture 2; KFENCE: IDENT is the last capture. */
                if (fmt->recipe == R_HDR_CT && caps->n >= 2 && caps->v[1])
                        add_candidate(cands, &n, caps->v[1], NULL);
                else if (fmt->recipe == R_HDR_NEXT && caps->n >= 1 && caps->v[caps->n - 1])
                        add_candidate(cands, &n, caps->v[caps->n - 1], NULL);
                size_t pos = fmt->recipe == R_HDR_CT ? find_stack_start(rep, at) : at;
                if (pos < rep->n) {
                        pos++;
                        read_frames(cx, &pos, cands, &n, NULL, true);
                }
                break;
        }
        case R_NEXT: {
                size_t pos = at + 1;
                read_frames(cx, &pos, cands, &n, NULL, true);
                break;
        }
        case R_MARKER: {
                for (size_t i = at + (fmt->marker.pattern && strstr(fmt->marker.pattern, "\\]") ? 1 : 0); i < rep->n; i++) {
                        regmatch_t m[3];
                        if (!line_match(&fmt->marker, rep->lines[i], m, 3))
                                continue;
                        for (int g = 1; g < 3; g++)
                                if (m[g].rm_so >= 0) {
                                        char name[128];
                                        snprintf(name, sizeof name, "%.*s", (int) (m[g].rm_eo - m[g].rm_so),
                                                 rep->lines[i] + m[g].rm_so);
                                        add_candidate(cands, &n, name, NULL);
                                        break;
                                }
                        size_t pos = i + 1;
                        read_frames(cx, &pos, cands, &n, NULL, true);
                        break;
                }
                if (n == 0 && strstr(fmt->tmpl, "bad unlock balance")) {
                        size_t pos = find_stack_start(rep, at);
                        if (pos < rep->n) {
                                pos++;
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        }
                }
                break;
        }
        case R_AT2: {
                static Re at_re = { AT_IDENT };
                unsigned found = 0;
                size_t i = at + 1;
                for (; i < rep->n && found < 2; i++) {
                        regmatch_t m[3];
                        if (!line_match(&at_re, rep->lines[i], m, 3))
                                continue;
                        char name[128];
                        snprintf(name, sizeof name, "%.*s", (int) (m[2].rm_eo - m[2].rm_so), rep->lines[i] + m[2].rm_so);
                        add_candidate(cands, &n, name, NULL);
                        found++;
                        if (found == 2) {
                                size_t pos = i + 1;
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        }
                }
                break;
        }
        case R_RCU: {
                size_t i = at;
                for (; i < rep->n && !strstr(rep->lines[i], "apic_timer_interrupt"); i++)
                        ;
                if (i < rep->n) {
                        Frame f;
                        bool has;
                        size_t ip = find_ip_line(rep, i, &f, &has);
                        if (ip < rep->n) {
                                if (has)
                                        add_candidate(cands, &n, f.name, f.module);
                                size_t pos = ip + 1;
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        }
                }
                size_t k = filter(cands, n, extra);
                int idx = pick(cands, k, picker, &literal);
                if (idx >= 0) {
                        *ret = cands[idx];
                        ok = true;
                        goto done;
                }
                n = 0;
                cx->n_frames = 0;
                for (i = at; i < rep->n; i++)
                        if (strstr(rep->lines[i], "apic_timer_interrupt") || strstr(rep->lines[i], "Exception stack") ||
                            strstr(rep->lines[i], "el1h_64_irq"))
                                break;
                if (i < rep->n) {
                        size_t pos = i + 1;
                        read_frames(cx, &pos, cands, &n, NULL, true);
                }
                break;
        }
        case R_NONE:
                break;
        }

        n = filter(cands, n, extra);
        int idx = pick(cands, n, picker, &literal);
        if (idx >= 0) {
                *ret = cands[idx];
                ok = true;
        }
done:
        if (ok && literal) {
                snprintf(ret->name, sizeof ret->name, "%s", literal);
                ret->module[0] = 0;
        }
        free(cands);
        return ok;
}

/* ------------------------------------------------------------------------ */
/* Normalisation (§8) */

/* Replaces s[at, at + len) with 'with', growing the buffer (*s, *cap) when
 * the replacement is longer: "1" becomes "NUM" and ".c:1" ".c:LINE", so a
 * normalized title can be several times longer than the title was. */
static int replace_span(char **s, size_t *cap, size_t at, size_t len, const char *with) {
        size_t wl = strlen(with), sl = strlen(*s);
        if (wl > len && sl + (wl - len) + 1 > *cap) {
                size_t c = MAX(2 * *cap, sl + (wl - len) + 1);
                char *g = realloc(*s, c);
                if (!g)
                        return -ENOMEM;
                *s = g;
                *cap = c;
        }
        memmove(*s + at + wl, *s + at + len, sl - at - len + 1);
        memcpy(*s + at, with, wl);
        return 0;
}

/* Normalizes the title in the buffer (*tp, cap bytes), which may be reallocated. */
#define REPLACE_SPAN(at, len, with)                                     \
        do {                                                            \
                int _r = replace_span(tp, &cap, (at), (len), (with));   \
                if (_r < 0)                                             \
                        return _r;                                      \
                t = *tp;                                                \
        } while (0)

static int normalize_title(char **tp, size_t cap) {
        char *t = *tp;
        size_t n;
        /* 1-2 syz-executor / syzkaller suffixes */
        static const char *const syz[] = { "syz-executor", "syzkaller" };
        for (size_t k = 0; k < 2; k++)
                for (char *p = t; (p = strstr(p, syz[k]));) {
                        p += strlen(syz[k]);
                        char *q = p;
                        if (k == 0 && *q == '.')
                                q++;
                        char *d = q;
                        while (isdigit((unsigned char) *q))
                                q++;
                        if (q == d)
                                continue; /* no digits: nothing to fold */
                        if ((*q == '/' || *q == ':') && isdigit((unsigned char) q[1])) {
                                q++;
                                while (isdigit((unsigned char) *q))
                                        q++;
                        }
                        memmove(p, q, strlen(q) + 1);
                }
        /* 3 hex addresses */
        for (size_t i = 0; t[i]; i++) {
                if (isalnum((unsigned char) t[i]))
                        continue;
                size_t j = i + 1;
                if (t[j] == '0' && t[j + 1] == 'x')
                        j += 2;
                size_t h = j;
                while (isxdigit((unsigned char) t[j]) && !isupper((unsigned char) t[j]))
                        j++;
                if (j - h >= 6)
                        REPLACE_SPAN(i + 1, j - i - 1, "ADDR");
        }
        /* 4 IPv4 */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]) || (i > 0 && isdigit((unsigned char) t[i - 1])))
                        continue;
                size_t j = i;
                int parts = 0;
                while (parts < 4) {
                        size_t d = j;
                        while (isdigit((unsigned char) t[j]) && j - d < 3)
                                j++;
                        if (j == d)
                                break;
                        parts++;
                        if (parts < 4) {
                                if (t[j] != '.')
                                        break;
                                j++;
                        }
                }
                if (parts == 4)
                        REPLACE_SPAN(i, j - i, "IP");
        }
        /* 5 .ext:N[:M] -> .ext:LINE */
        for (char *p = t; (p = strchr(p, '.'));) {
                char *q = p + 1;
                while (isalpha((unsigned char) *q))
                        q++;
                if (q > p + 1 && *q == ':' && isdigit((unsigned char) q[1])) {
                        char *e = q;
                        while (*e == ':' && isdigit((unsigned char) e[1])) {
                                e++;
                                while (isdigit((unsigned char) *e))
                                        e++;
                        }
                        size_t at = (size_t) (q + 1 - t);
                        REPLACE_SPAN(at, (size_t) (e - q - 1), "LINE");
                        p = t + at + 4;
                } else
                        p++;
        }
        /* 6 name+0xOFF/0xSIZE -> name */
        for (char *p = t; (p = strstr(p, "+0x"));) {
                char *q = p + 3;
                while (isxdigit((unsigned char) *q))
                        q++;
                if (q > p + 3 && q[0] == '/' && q[1] == '0' && q[2] == 'x' && p > t && isalnum((unsigned char) p[-1])) {
                        char *e = q + 3;
                        while (isxdigit((unsigned char) *e))
                                e++;
                        memmove(p, e, strlen(e) + 1);
                } else
                        p += 3;
        }
        /* 7 CPU#N -> CPU */
        for (char *p = t; (p = strstr(p, "CPU#"));) {
                char *q = p + 4;
                while (isdigit((unsigned char) *q))
                        q++;
                if (q > p + 4)
                        memmove(p + 3, q, strlen(q) + 1);
                else
                        p += 4;
        }
        /* 8 isolated digit runs -> NUM */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]))
                        continue;
                if (i > 0 && is_ident_char(t[i - 1]))
                        continue;
                size_t j = i;
                while (isdigit((unsigned char) t[j]))
                        j++;
                if (t[j] && is_ident_char(t[j])) {
                        i = j;
                        continue;
                }
                REPLACE_SPAN(i, j - i, "NUM");
                i += 2;
        }
        /* 9 long digit runs anywhere */
        for (size_t i = 0; t[i]; i++) {
                if (!isdigit((unsigned char) t[i]))
                        continue;
                size_t j = i;
                while (isdigit((unsigned char) t[j]))
                        j++;
                if (j - i >= 7)
                        REPLACE_SPAN(i, j - i, "NUM");
                i = j > i ? j - 1 : i;
        }
        /* clean up: 120 bytes, spaces */
        n = strlen(t);
        if (n > 120)
                t[120] = 0;
        char *o = t;
        for (char *p = t; *p; p++) {
                unsigned char c = (unsigned char) *p;
                if (c == '\t')
                        c = ' ';
                if (c < 0x20 || c >= 0x7f)
                        continue;
                if (c == ' ' && (o == t || o[-1] == ' '))
                        continue;
                *o++ = (char) c;
        }
        while (o > t && o[-1] == ' ')
                o--;
        *o = 0;
        return 0;
}

#undef REPLACE_SPAN

/* ------------------------------------------------------------------------ */
/* Types (§10) */

static const char *type_of(const char *title) {
        static const struct {
                const char *prefix, *type;
        } table[] = {
                { "KFENCE: use-after-free write", "KFENCE-USE-AFTER-FREE-WRITE" },
                { "KFENCE: use-after-free read", "KFENCE-USE-AFTER-FREE-READ" },
                { "KFENCE: use-after-free", "KFENCE-USE-AFTER-FREE-READ" },
                { "KFENCE: invalid write", "KFENCE-WRITE" },
                { "KFENCE: out-of-bounds write", "KFENCE-WRITE" },
                { "KFENCE: invalid read", "KFENCE-READ" },
                { "KFENCE: out-of-bounds read", "KFENCE-READ" },
                { "KFENCE: out-of-bounds", "KFENCE-READ" },
                { "KFENCE: memory corruption", "KFENCE-MEMORY-CORRUPTION" },
                { "KFENCE: invalid free", "KFENCE-INVALID-FREE" },
                { "KMSAN: uninit-value", "KMSAN-UNINIT-VALUE" },
                { "KMSAN: kernel-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: kernel-usb-infoleak-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: use-after-free", "KMSAN-USE-AFTER-FREE-READ" },
                { "KMSAN: kernel-infoleak", "KMSAN-INFO-LEAK" },
                { "KMSAN: kernel-usb-infoleak", "KMSAN-INFO-LEAK" },
                { "KASAN: null-ptr-deref Write", "KASAN-NULL-POINTER-DEREFERENCE-WRITE" },
                { "KASAN: null-ptr-deref Read", "KASAN-NULL-POINTER-DEREFERENCE-READ" },
                { "BUG: unable to handle kernel NULL pointer dereference in", "NULL-POINTER-DEREFERENCE" },
                { "KASAN: global-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: slab-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: stack-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: vmalloc-out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: out-of-bounds Write", "KASAN-WRITE" },
                { "KASAN: user-memory-access Write", "KASAN-WRITE" },
                { "KASAN: wild-memory-access Write", "KASAN-WRITE" },
                { "KASAN: global-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: slab-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: stack-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: vmalloc-out-of-bounds Read", "KASAN-READ" },
                { "KASAN: out-of-bounds Read", "KASAN-READ" },
                { "KASAN: invalid-access Read", "KASAN-READ" },
                { "KASAN: slab-out-of-bounds", "KASAN-READ" },
                { "KASAN: stack-out-of-bounds", "KASAN-READ" },
                { "KASAN: unknown-crash Read", "KASAN-READ" },
                { "KASAN: user-memory-access Read", "KASAN-READ" },
                { "KASAN: wild-memory-access Read", "KASAN-READ" },
                { "KASAN: wild-memory-access", "KASAN-READ" },
                { "KASAN: double-free or invalid-free", "KASAN-INVALID-FREE" },
                { "KASAN: invalid-free", "KASAN-INVALID-FREE" },
                { "KASAN: slab-use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
                { "KASAN: use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE" },
                { "KASAN: slab-use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
                { "KASAN: use-after-free Read", "KASAN-USE-AFTER-FREE-READ" },
                { "KASAN: use-after-free", "KASAN-USE-AFTER-FREE-READ" },
                { "BUG: corrupted list", "MEMORY_SAFETY_BUG" },
                { "BUG: unable to handle kernel paging request", "MEMORY_SAFETY_BUG" },
                { "WARNING: refcount bug", "REFCOUNT_WARNING" },
                { "UBSAN: array-index-out-of-bounds", "MEMORY_SAFETY_UBSAN" },
                { "KCSAN: data-race", "KCSAN-DATARACE" },
                { "KCSAN: assert: race in", "KCSAN-ASSERT" },
                { "BUG: bad unlock balance in", "LOCKDEP" },
                { "BUG: held lock freed in", "LOCKDEP" },
                { "BUG: rwlock", "LOCKDEP" },
                { "BUG: spinlock", "LOCKDEP" },
                { "BUG: still has locks held in", "LOCKDEP" },
                { "BUG: using", "LOCKDEP" },
                { "WARNING: bad unlock balance in", "LOCKDEP" },
                { "WARNING: held lock freed in", "LOCKDEP" },
                { "WARNING: lock held", "LOCKDEP" },
                { "WARNING: locking bug in", "LOCKDEP" },
                { "WARNING: nested lock was not taken in", "LOCKDEP" },
                { "WARNING: still has locks held in", "LOCKDEP" },
                { "WARNING: suspicious RCU usage in", "LOCKDEP" },
                { "inconsistent lock state in", "LOCKDEP" },
                { "possible deadlock in", "LOCKDEP" },
                { "BUG: scheduling while atomic in", "ATOMIC_SLEEP" },
                { "BUG: sleeping function called from invalid context in", "ATOMIC_SLEEP" },
                { "memory leak in", "LEAK" },
                { "BUG: bad usercopy in", "BUG" },
                { "kernel BUG", "BUG" },
                { "WARNING in", "WARNING" },
                { "BUG: stack guard page was hit in", "UNKNOWN" },
                { "WARNING: corrupted", "UNKNOWN" },
                { "WARNING: kernel stack frame pointer has bad value", "UNKNOWN" },
                { "WARNING: kernel stack regs has bad", "UNKNOWN" },
                { "BUG: soft lockup in", "HANG" },
                { "INFO: rcu detected stall in", "HANG" },
                { "INFO: task can't die in", "HANG" },
                { "INFO: task hung in", "HANG" },
                { "Alignment trap in", "DoS" },
                { "BUG: Object already free", "DoS" },
                { "Internal error in", "DoS" },
                { "PANIC: double fault", "DoS" },
                { "Unhandled fault in", "DoS" },
                { "VFS: Busy inodes after unmount (use-after-free)", "DoS" },
                { "VFS: Close: file count is zero (use-after-free)", "DoS" },
                { "divide error in", "DoS" },
                { "general protection fault in", "DoS" },
                { "go runtime error", "DoS" },
                { "int3 in", "DoS" },
                { "invalid opcode in", "DoS" },
                { "kernel panic:", "DoS" },
                { "kernel stack overflow", "DoS" },
                { "panic:", "DoS" },
                { "rust_kernel panicked", "DoS" },
                { "stack segment fault in", "DoS" },
                { "trusty:", "DoS" },
                { "unregister_netdevice: waiting for DEV to become free", "DoS" },
                { "no output from test machine", "NO_OUTPUT" },
                { "unexpected kernel reboot", "REBOOT" },
                { "SYZFAIL", "SYZ_FAILURE" },
                { "SYZFATAL:", "SYZ_FAILURE" },
                { "WARNING:", "WARNING" },
                { "BUG:", "UNKNOWN" },
                { "INFO:", "UNKNOWN" },
                { "KASAN:", "KASAN-UNKNOWN" },
                { "KFENCE:", "KFENCE-UNKNOWN" },
                { "KMSAN:", "KMSAN-UNKNOWN" },
                { "UBSAN:", "UBSAN" },
                { "KCSAN:", "KCSAN-UNKNOWN" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (startswith(title, table[i].prefix))
                        return table[i].type;
        return "UNKNOWN";
}

/* ------------------------------------------------------------------------ */
/* The pipeline */

static void lines_free(Line *lines, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(lines[i].text);
        free(lines);
}

static int split_lines(const char *log, size_t size, Line **ret, size_t *ret_n) {
        size_t cap = 1024, n = 0;
        Line *lines = malloc(cap * sizeof *lines);
        if (!lines)
                return -ENOMEM;
        const char *p = log, *end = log + size;
        while (p < end && n < MAX_LINES) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                if (n == cap) {
                        cap *= 2;
                        Line *g = realloc(lines, cap * sizeof *lines);
                        if (!g) {
                                lines_free(lines, n);
                                return -ENOMEM;
                        }
                        lines = g;
                }
                Line *l = &lines[n];
                *l = (Line) { .raw = p, .raw_len = (size_t) (eol - p) };
                /* a '\r' before the newline is not text */
                if (l->raw_len > 0 && p[l->raw_len - 1] == '\r')
                        l->raw_len--;
                size_t off;
                parse_prefix(l, &off);
                size_t tl = MIN(l->raw_len - off, (size_t) MAX_LINE);
                l->text = malloc(tl + 1);
                if (!l->text) {
                        lines_free(lines, n);
                        return -ENOMEM;
                }
                /* NUL bytes would end the string early: show them as spaces */
                for (size_t i = 0; i < tl; i++)
                        l->text[i] = p[off + i] ? p[off + i] : ' ';
                l->text[tl] = 0;
                l->questionable = line_questionable(l);
                n++;
                p = eol + 1;
        }
        *ret = lines;
        *ret_n = n;
        return 0;
}

static size_t find_oops(const Line *lines, size_t n, const Header **ret_header) {
        for (size_t i = 0; i < n; i++) {
                const Header *h = line_header(lines[i].raw, MIN(lines[i].raw_len, (size_t) MAX_LINE));
                if (!h)
                        continue;
                if (i + 1 < n && span_has(lines[i + 1].raw, lines[i + 1].raw_len, "** replaying previous printk message **"))
                        continue;
                *ret_header = h;
                return i;
        }
        return n;
}

static bool is_second_crash(const Line *l) {
        static const char *const excluded[] = { "invalid opcode: 0000", "Kernel panic - not syncing",
                                                "unregister_netdevice: waiting for", "PANIC: double fault",
                                                "Internal error:" };
        size_t n = MIN(l->raw_len, (size_t) MAX_LINE);
        if (span_has(l->raw, n, "vmalloc: allocation failure:") || span_has(l->raw, n, "FAULT_INJECTION: forcing a failure") ||
            span_has(l->raw, n, "FAULT_FLAG_ALLOW_RETRY missing"))
                return true;
        if (!line_header(l->raw, n))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(excluded); i++)
                if (span_has(l->raw, n, excluded[i]))
                        return false;
        return true;
}

static void report_free(Report *r) {
        for (size_t i = 0; i < r->n_full; i++)
                free(r->lines[i]);
        free(r->lines);
        *r = (Report) {};
}

/* §4: the report text from the oops line. */
static int build_report_text(const Line *lines, size_t n, size_t oops, Report *ret) {
        Report r = {};
        size_t cap = 64;
        r.lines = malloc(cap * sizeof *r.lines);
        if (!r.lines)
                return -ENOMEM;
        const Line *o = &lines[oops];
        bool nmi = false, kmsan = strstr(o->text, "BUG: KMSAN:") != NULL;
        size_t cut = SIZE_MAX;
        size_t title_end = SIZE_MAX;

        for (size_t i = oops; i < n && r.n_full < MAX_REPORT_LINES; i++) {
                const Line *l = &lines[i];
                if (i > oops && strstr(l->text, "Sending NMI from CPU"))
                        nmi = true;
                bool keep = same_context(o, l) || (nmi && l->kind == CTX_CALLER && l->ctx[0] == 'C');
                if (i > oops && title_end == SIZE_MAX && o->kind != CTX_CALLER && is_second_crash(l))
                        title_end = r.n_full;
                if (!keep || (i > oops && l->questionable) || strstr(l->text, "Disabling lock debugging due to kernel taint"))
                        continue;
                if (i > oops && cut == SIZE_MAX &&
                    (strstr(l->text, "Kernel panic - not syncing") ||
                     strstr(l->text, "WARNING: possible circular locking dependency detected")) &&
                    r.n_full + 1 >= (kmsan ? 17u : 23u))
                        break;
                if (r.n_full == cap) {
                        cap *= 2;
                        char **g = realloc(r.lines, cap * sizeof *g);
                        if (!g) {
                                report_free(&r);
                                return -ENOMEM;
                        }
                        r.lines = g;
                }
                r.lines[r.n_full] = strdup(l->text);
                if (!r.lines[r.n_full]) {
                        report_free(&r);
                        return -ENOMEM;
                }
                r.n_full++;
        }
        r.n = title_end == SIZE_MAX ? r.n_full : MIN(title_end, r.n_full);
        if (r.n == 0)
                r.n = MIN((size_t) 1, r.n_full);
        *ret = r;
        return 0;
}

/* Checks req[1..] on lines after `at` in order; appends their captures. */
static bool check_later(Format *f, const Report *rep, size_t at, Caps *caps) {
        size_t pos = at + 1;
        for (size_t k = 1; k < ELEMENTSOF(f->req) && f->req[k].pattern; k++) {
                bool found = false;
                for (; pos < rep->n_full; pos++) {
                        regmatch_t m[4];
                        if (line_match(&f->req[k], rep->lines[pos], m, 4)) {
                                caps_add_match(caps, rep->lines[pos], m, 4, &f->req[k]);
                                found = true;
                                pos++;
                                break;
                        }
                }
                if (!found)
                        return false;
        }
        return true;
}

/* A format's template with its arguments. */
static char *expand(const char *tmpl, const Caps *caps, const char *fn, const char *extra) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (const char *p = tmpl; *p; p++) {
                if (*p == '%' && isdigit((unsigned char) p[1])) {
                        size_t k = (size_t) (p[1] - '1');
                        /* the last non-empty capture among alternations */
                        if (k < caps->n && caps->v[k])
                                fputs(caps->v[k], f);
                        else
                                for (size_t j = k + 1; j < caps->n; j++)
                                        if (caps->v[j]) {
                                                fputs(caps->v[j], f);
                                                break;
                                        }
                        p++;
                } else if (*p == '%' && p[1] == 'F') {
                        fputs(fn ? fn : "corrupted", f);
                        p++;
                } else if (*p == '%' && p[1] == 'N') {
                        fputs(extra ? extra : "", f);
                        p++;
                } else
                        fputc(*p, f);
        }
        fclose(f);
        return out;
}

static bool has_timestamp(const char *s) {
        for (const char *p = strchr(s, '['); p; p = strchr(p + 1, '[')) {
                const char *q = p + 1;
                while (*q == ' ')
                        q++;
                const char *d = q;
                while (isdigit((unsigned char) *q))
                        q++;
                if (q > d && *q == '.') {
                        const char *f = ++q;
                        while (isdigit((unsigned char) *q))
                                q++;
                        if (q > f && *q == ']')
                                return true;
                }
        }
        return false;
}

/* §9.5 */
static bool stack_check_fails(const Report *rep) {
        bool any = false;
        static const char *const kinds[] = { "Call Trace", "Call trace", "Allocated", "Freed", "backtrace", "Backtrace",
                                             "Uninit was stored", "badaddr:" };
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                size_t i;
                for (i = 0; i < rep->n_full; i++)
                        if (strstr(rep->lines[i], kinds[k]) && is_stack_start(rep->lines[i]))
                                break;
                if (i >= rep->n_full)
                        continue;
                any = true;
                if (rep->n_full - i - 1 < 2)
                        return true;
                bool ok = false;
                for (size_t j = i + 1; j < rep->n_full && j <= i + 15; j++) {
                        if (is_stack_start(rep->lines[j]))
                                break;
                        Frame f[2];
                        if (parse_frame_line(rep->lines[j], f) > 0 || strstr(rep->lines[j], "(stack is not available)")) {
                                ok = true;
                                break;
                        }
                }
                if (!ok && !streq(kinds[k], "badaddr:"))
                        return true;
        }
        return !any;
}

/* Extras for kcrash's own fields. */
static char *kernel_release_of(const Line *lines, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const char *t = lines[i].text, *p;
                if ((p = strstr(t, "Linux version "))) {
                        p += 14;
                        size_t l = strcspn(p, " ");
                        if (l > 0 && l < 128)
                                return strndup(p, l);
                }
        }
        for (size_t i = 0; i < n; i++) {
                const char *t = lines[i].text, *p = strstr(t, " Comm: ");
                if (!p || !strstr(t, "CPU:"))
                        continue;
                const char *hash = strstr(p, " #");
                if (!hash)
                        continue;
                const char *s = hash;
                while (s > p && s[-1] != ' ')
                        s--;
                if (hash > s && hash - s < 128)
                        return strndup(s, (size_t) (hash - s));
        }
        return NULL;
}

static char *taint_of(const Report *rep) {
        for (size_t i = 0; i < rep->n_full; i++) {
                const char *p = strstr(rep->lines[i], "Tainted: ");
                if (!p || strstr(rep->lines[i], "Not tainted"))
                        continue;
                p += 9;
                /* "G    B   W  OE     " : keep the letters except the G/P marker */
                char flags[32];
                size_t k = 0;
                const char *q = p;
                for (; *q && k < sizeof flags - 1; q++) {
                        if (*q == ' ')
                                continue;
                        if (!isupper((unsigned char) *q))
                                break;
                        /* a release like 6.1.0 follows after the flags */
                        if (q > p && q[-1] == ' ' && isupper((unsigned char) *q) && (q[1] == '-' || isdigit((unsigned char) q[1])))
                                break;
                        flags[k++] = *q;
                }
                flags[k] = 0;
                /* The first letter is G (only GPL modules) or P (proprietary). */
                const char *f = flags;
                if (*f == 'G')
                        f++;
                return *f ? strdup(f) : NULL;
        }
        return NULL;
}

static char *hardware_of(const Report *rep, const Line *lines, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const char *p = strstr(lines[i].text, "Hardware name: ");
                if (p)
                        return strdup(p + 15);
        }
        return NULL;
}

static char *frame_of_title(const char *title) {
        const char *best = NULL;
        for (const char *p = strstr(title, " in "); p; p = strstr(p + 1, " in ")) {
                const char *q = p + 4;
                if (*q == '<') {
                        const char *c = strchr(q, '>');
                        if (c)
                                q = c + 1;
                }
                if (is_ident_char(*q) || *q == ':')
                        best = p + 4;
        }
        if (!best)
                return NULL;
        size_t l = 0;
        if (*best == '<') {
                const char *c = strchr(best, '>');
                l = c ? (size_t) (c - best + 1) : 0;
        }
        while (is_ident_char(best[l]) || best[l] == ':')
                l++;
        return l ? strndup(best, l) : NULL;
}

CrashAnalysis *crash_analysis_free(CrashAnalysis *a) {
        if (!a)
                return NULL;
        free(a->title);
        free(a->type);
        free(a->frame);
        free(a->module);
        free(a->taint);
        free(a->kernel);
        free(a->hardware);
        for (size_t i = 0; i < a->n_frames; i++)
                free(a->frames[i]);
        free(a->frames);
        free(a->signature);
        free(a->report);
        free(a);
        return NULL;
}

/* "Linux version 6.1.0-56-amd64 (...) #1 SMP ..." → release and "#1 SMP ..." */
void crash_log_kernel(const char *text, char **ret_release, char **ret_version) {
        const char *p = strstr(text, "Linux version ");
        if (!p)
                return;
        p += strlen("Linux version ");
        const char *eol = strchrnul(p, '\n');
        const char *sp = memchr(p, ' ', (size_t) (eol - p));
        if (!sp || sp == p)
                return;
        if (!*ret_release)
                *ret_release = strndup(p, (size_t) (sp - p));
        const char *hash = memmem(sp, (size_t) (eol - sp), " #", 2);
        if (hash && !*ret_version)
                *ret_version = strndup(hash + 1, (size_t) (eol - hash - 1));
}

char *crash_analysis_stack_string(const CrashAnalysis *a) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < a->n_frames; i++)
                fprintf(f, "%s\n", a->frames[i]);
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

/* "v1:" + 16 hex digits of SHA-256 over the title and the top frames, names
 * only: addresses, offsets, KASLR and compiler suffixes are gone already. */
static char *signature_of(const CrashAnalysis *a) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fprintf(f, "%s\n", a->title);
        for (size_t i = 0; i < a->n_frames && i < 5; i++)
                fprintf(f, "%s\n", a->frames[i]);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        char h[SHA256_HEX_SIZE];
        int r = sha256_hex(buf, size, h);
        free(buf);
        if (r < 0)
                return NULL;
        char *s = NULL;
        if (asprintf(&s, "v1:%.16s", h) < 0)
                return NULL;
        return s;
}

/* Picks the format for the report and builds the raw title. */
static char *choose_title(Ctx *cx, Group g, const char *header, bool *corrupted, Frame *culprit, bool *has_culprit,
                          unsigned *flags_out) {
        const Report *rep = cx->rep;
        Format *formats = groups[g].formats;
        size_t nf = groups[g].n;
        bool title_matched_without_report = false;

        for (size_t i = 0; i < rep->n; i++) {
                const char *t = rep->lines[i];
                regoff_t best = -1;
                for (size_t k = 0; k < nf; k++) {
                        regmatch_t m[1];
                        if (line_match(&formats[k].title, t, m, 1) && (best < 0 || m[0].rm_so < best))
                                best = m[0].rm_so;
                }
                if (best < 0)
                        continue;
                for (size_t k = 0; k < nf; k++) {
                        Format *fmt = &formats[k];
                        regmatch_t m[10];
                        if (!line_match(&fmt->title, t, m, 10) || m[0].rm_so != best)
                                continue;
                        Caps caps = {};
                        if (fmt->req[0].pattern) {
                                regmatch_t rm[10];
                                if (!line_match(&fmt->req[0], t, rm, 10) || !check_later(fmt, rep, i, &caps)) {
                                        caps_done(&caps);
                                        /* keep the later-line captures order: header first */
                                        title_matched_without_report = true;
                                        continue;
                                }
                                Caps head = {};
                                caps_add_match(&head, t, rm, 10, &fmt->req[0]);
                                /* header captures first, then later-line ones */
                                Caps all = {};
                                for (size_t j = 0; j < head.n; j++)
                                        all.v[all.n++] = head.v[j];
                                for (size_t j = 0; j < caps.n && all.n < ELEMENTSOF(all.v); j++)
                                        all.v[all.n++] = caps.v[j];
                                head.n = 0;
                                caps.n = 0;
                                caps = all;
                        } else
                                caps_add_match(&caps, t, m, 10, &fmt->title);

                        Frame fn;
                        bool ok = true;
                        char *extra = NULL;
                        if (strstr(fmt->tmpl, "%F")) {
                                ok = run_recipe(cx, fmt, i, &caps, &fn);
                                if (!ok)
                                        *corrupted = true;
                        }
                        if (strstr(fmt->tmpl, "%N") && i + 1 < rep->n)
                                extra = strdup(rep->lines[i + 1]);
                        char stripped[128];
                        const char *name = ok && strstr(fmt->tmpl, "%F") ? strip_syscall_prefix(fn.name, stripped) : NULL;
                        char *title = expand(fmt->tmpl, &caps, name, extra);
                        free(extra);
                        if (ok && strstr(fmt->tmpl, "%F")) {
                                *culprit = fn;
                                snprintf(culprit->name, sizeof culprit->name, "%s", name);
                                *has_culprit = true;
                        }
                        if (fmt->flags & F_CORRUPTED)
                                *corrupted = true;
                        *flags_out = fmt->flags;
                        caps_done(&caps);
                        return title;
                }
                /* A format matched earliest but its report pattern failed:
                 * it blocks the later ones. */
                break;
        }
        /* No format: the raw header line. */
        for (size_t i = 0; i < rep->n; i++) {
                const char *p = strstr(rep->lines[i], header);
                if (p) {
                        if (title_matched_without_report)
                                *corrupted = true;
                        *flags_out = F_NOSTACK;
                        return strdup(p);
                }
        }
        *flags_out = F_NOSTACK;
        return strdup(header);
}

int crash_analyze(const char *log, size_t size, CrashAnalysis **ret) {
        Line *lines = NULL;
        size_t n = 0;
        int r;

        CrashAnalysis *a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        r = split_lines(log, size, &lines, &n);
        if (r < 0) {
                free(a);
                return r;
        }
        a->kernel = kernel_release_of(lines, n);

        const Header *h = NULL;
        size_t oops = find_oops(lines, n, &h);
        if (oops >= n) {
                a->title = strdup("");
                a->type = strdup("UNKNOWN");
                a->report = strdup("");
                lines_free(lines, n);
                if (!a->title || !a->type || !a->report)
                        return crash_analysis_free(a), -ENOMEM;
                a->signature = NULL;
                *ret = a;
                return 0;
        }

        Report rep;
        r = build_report_text(lines, n, oops, &rep);
        if (r < 0) {
                lines_free(lines, n);
                crash_analysis_free(a);
                return r;
        }
        Ctx cx = { .rep = &rep };
        bool corrupted = false, has_culprit = false;
        Frame culprit = {};
        unsigned flags = 0;
        char *raw = choose_title(&cx, h->group, h->needle, &corrupted, &culprit, &has_culprit, &flags);
        if (!raw) {
                report_free(&rep);
                lines_free(lines, n);
                crash_analysis_free(a);
                return -ENOMEM;
        }
        if (has_timestamp(raw))
                corrupted = true;
        if (cx.corrupted)
                corrupted = true;
        if (!(flags & F_NOSTACK) && stack_check_fails(&rep))
                corrupted = true;
        for (size_t i = 0; i < n && !corrupted; i++)
                if (strstr(lines[i].text, "serialport: VM disconnected."))
                        corrupted = true;

        size_t cap = strlen(raw) + 64;
        a->title = realloc(raw, cap);
        if (!a->title) {
                free(raw);
                report_free(&rep);
                lines_free(lines, n);
                crash_analysis_free(a);
                return -ENOMEM;
        }
        r = normalize_title(&a->title, cap);
        if (r < 0) {
                report_free(&rep);
                lines_free(lines, n);
                crash_analysis_free(a);
                return r;
        }
        a->type = strdup(type_of(a->title));
        a->corrupted = corrupted;
        /* syzkaller's FRAME: the identifier after the title's last " in "
         * (it can be the literal "corrupted", like the title says). */
        a->frame = frame_of_title(a->title);

        /* The crashing stack as names (for the upload's stack and the
         * signature): the frames the culprit came from, else the first stack. */
        if (cx.n_frames == 0) {
                size_t pos = find_stack_start(&rep, 0);
                if (pos < rep.n) {
                        pos++;
                        Frame *tmp = calloc(MAX_CANDIDATES, sizeof *tmp);
                        size_t tn = 0;
                        if (tmp) {
                                read_frames(&cx, &pos, tmp, &tn, NULL, true);
                                free(tmp);
                        }
                }
        }
        a->frames = calloc(cx.n_frames + 1, sizeof *a->frames);
        for (size_t i = 0; a->frames && i < cx.n_frames; i++) {
                const Frame *f = &cx.frames[i];
                char *s = NULL;
                if (f->module[0] ? asprintf(&s, "%s [%s]", f->name, f->module) < 0 : !(s = strdup(f->name)))
                        break;
                a->frames[a->n_frames++] = s;
        }
        /* No function in the title (a panic, a sysrq crash): the culprit is
         * the first stack frame the skip rules let through. */
        if (!a->frame) {
                for (size_t i = 0; i < cx.n_frames; i++)
                        if (!culprit_skipped(cx.frames[i].name)) {
                                culprit = cx.frames[i];
                                has_culprit = true;
                                a->frame = strdup(culprit.name);
                                break;
                        }
        }
        if (a->frame && has_culprit) {
                /* The module of the culprit: from its frame line, or any frame of that name. */
                const char *mod = streq(culprit.name, a->frame) ? culprit.module : "";
                for (size_t i = 0; !mod[0] && i < cx.n_frames; i++)
                        if (streq(cx.frames[i].name, a->frame))
                                mod = cx.frames[i].module;
                if (mod[0])
                        a->module = strdup(mod);
        }
        if (a->frame && !a->module) {
                /* RIP lines carry the module too: "RIP: 0010:foo+0x1/0x2 [mod]" */
                for (size_t i = 0; i < rep.n_full; i++) {
                        Frame f;
                        size_t l;
                        if (parse_ip_line(rep.lines[i], &f, &l) && l > 0 && streq(f.name, a->frame) && f.module[0]) {
                                a->module = strdup(f.module);
                                break;
                        }
                }
        }
        a->taint = taint_of(&rep);
        a->hardware = hardware_of(&rep, lines, n);

        /* The crash text: from the oops line to the end of its report. */
        char *text = NULL;
        size_t ts = 0;
        FILE *f = open_memstream(&text, &ts);
        if (f) {
                for (size_t i = 0; i < rep.n_full; i++)
                        fprintf(f, "%s\n", rep.lines[i]);
                fclose(f);
        }
        a->report = text;
        a->signature = signature_of(a);

        report_free(&rep);
        lines_free(lines, n);
        if (!a->title || !a->type || !a->report || !a->signature) {
                crash_analysis_free(a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}
