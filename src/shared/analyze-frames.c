/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stack frames: frame and IP lines (TITLE_RULES.md §6.1), the skip rules
 * (§6.2), the pickers (§6.4), and the recipes that walk a report to the
 * culprit function a format names (§5). */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze-internal.h"
#include "macro.h"
#include "stack-frame.h"

/* ------------------------------------------------------------------------ */
/* Frames (§6.1) */

/* Skips one "[<ffffffff81234567>]" (or "[<0x...>]", brackets optional) and spaces. */
const char *skip_pc(const char *p) {
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
int parse_frame_line(const char *t, Frame out[2]) {
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

static Re crc = { " backtrace \\(crc [0-9a-f]+\\):" };
static Re riscv = { "status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}" };
static Re alloc = { "(Allocated|Freed) by task [0-9]+:" };

bool is_stack_start(const char *t) {
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
bool parse_ip_line(const char *t, Frame *ret, size_t *ret_len) {
        const char *p = t;
        while (*p == ' ')
                p++;
        /* Most lines are not IP lines: their first letter says so, and
         * which tokens they may start with ("RIP: ", "EIP: ", "NIP: ",
         * "IP: ", "NIP [", "epc : ", "pc : ", "PC is at ", "pc: "; no two
         * of them start one line). A switch, not a walk over the tokens:
         * every line of a report is asked, and register dumps ("RAX: ",
         * "R08: ", "EFLAGS: ") start with the tokens' letters. */
        const char *after = NULL;
        switch (*p) {
        case 'R':
                after = startswith(p, "RIP: ");
                break;
        case 'E':
                after = startswith(p, "EIP: ");
                break;
        case 'N':
                after = startswith(p, "NIP: ");
                if (!after && (after = startswith(p, "NIP [")))
                        after--; /* the '[' starts the address */
                break;
        case 'I':
                after = startswith(p, "IP: ");
                break;
        case 'e':
                after = startswith(p, "epc : ");
                break;
        case 'p':
                after = startswith(p, "pc : ");
                if (!after)
                        after = startswith(p, "pc: ");
                break;
        case 'P':
                after = startswith(p, "PC is at ");
                break;
        default:
                return false;
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

/* The verdicts of the rules on function names (the skip rules, the
 * pickers' anchors) this thread saw last: the same kernel functions come
 * back in every stack, and one regexec() of a rule costs more than the
 * whole lookup. Two ways a set (a name evicts the older of the two), one
 * cache a thread (no lock), allocated on its first use: calloc() maps
 * it, and only the pages of the sets used are ever touched. */
#define NAME_CACHE_SETS 4096
typedef struct NameVerdict {
        const Re *re;
        char name[47];
        bool match;
} NameVerdict;
typedef struct NameCache {
        NameVerdict sets[NAME_CACHE_SETS][2];
        uint8_t older[NAME_CACHE_SETS];
} NameCache;
static pthread_key_t name_cache_key;

static NameCache *name_cache(void) {
        NameCache *c = pthread_getspecific(name_cache_key);
        if (c)
                return c;
        c = calloc(1, sizeof *c);
        if (c && pthread_setspecific(name_cache_key, c) != 0) {
                free(c);
                c = NULL;
        }
        return c; /* NULL: no cache, every name is matched */
}

static bool name_match(const Re *r, const char *name) {
        NameCache *c = name_cache();
        size_t l = strlen(name);
        if (!c || l >= sizeof c->sets[0][0].name)
                return line_match(r, name, NULL, 0);
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < sizeof r; i++)
                h = (h ^ (uint8_t) ((uintptr_t) r >> (8 * i))) * 16777619u;
        for (size_t i = 0; i < l; i++)
                h = (h ^ (unsigned char) name[i]) * 16777619u;
        size_t set = h % NAME_CACHE_SETS;
        for (size_t w = 0; w < 2; w++) {
                const NameVerdict *v = &c->sets[set][w];
                if (v->re == r && streq(v->name, name)) {
                        c->older[set] = (uint8_t) !w;
                        return v->match;
                }
        }
        bool match = line_match(r, name, NULL, 0);
        size_t w = c->older[set];
        NameVerdict *v = &c->sets[set][w];
        v->re = r;
        memcpy(v->name, name, l + 1);
        v->match = match;
        c->older[set] = (uint8_t) !w;
        return match;
}

static bool skipped(const char *name, const Re *extra) {
        if (name_match(&global_skip, name))
                return true;
        return extra && name_match(extra, name);
}

/* For titles without a function (a panic): the same rules, except that a
 * function that merely has "panic" in its name (a driver's foo_do_panic())
 * is the culprit, not panic() itself. */
static Re panic_itself = { "^_*(nmi_|v)?panic(_smp_self_stop|_print_sys_info)?$" };

bool culprit_skipped(const char *name) {
        if (!strstr(name, "panic") || name_match(&panic_itself, name))
                return skipped(name, NULL);
        char masked[128];
        copy_truncated(masked, sizeof masked, name);
        for (char *p = masked; (p = strstr(p, "panic"));)
                memcpy(p, "PANIC", 5);
        return skipped(masked, NULL);
}

/* §6.3 */
const char *strip_syscall_prefix(const char *name, char buf[128]) {
        static const char *const prefixes[] = { "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_",
                                                "___sys_", "__sys_", "__se_", "__se_sys_", "__do_sys_",
                                                "compat_SYSC_", "compat_SyS_", "ksys_" };
        const char *best = name;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                const char *s = startswith(name, prefixes[i]);
                if (s && *s && strlen(s) < strlen(best))
                        best = s;
        }
        copy_truncated(buf, 128, best);
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
                        if (!name_match(&stall_anchors, cands[i].name) &&
                            !name_match(&stall_anchors, strip_syscall_prefix(cands[i].name, stripped)))
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
                        if (!name_match(&hang_avoid, cands[i].name))
                                return (int) i;
                return -1;
        }
        return -1;
}
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
void read_frames(Ctx *cx, size_t *pos, Frame *cands, size_t *n, Re *stop, bool record) {
        const Report *rep = cx->rep;
        size_t i = *pos;
        for (; i < rep->n; i++) {
                const char *t = rep->lines[i];
                if (rep->stack_start[i]) {
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
        copy_truncated(f->name, sizeof f->name, name);
        copy_truncated(f->module, sizeof f->module, module ? module : "");
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

size_t find_stack_start(const Report *rep, size_t start) {
        for (size_t i = start; i < rep->n; i++)
                if (rep->stack_start[i])
                        return i;
        return rep->n;
}

/* Filters candidates by the skip rules, in place. */
static size_t filter(Frame *cands, size_t n, const Re *extra) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (!skipped(cands[i].name, extra))
                        cands[k++] = cands[i];
        return k;
}

/* The picked candidate's index in cands. The default picker takes the
 * first candidate the skip rules let through and checks no further; the
 * others see the filtered list (cands is compacted). */
static int filter_and_pick(Frame *cands, size_t n, Picker picker, const Re *extra, const char **literal) {
        if (picker == PICK_DEFAULT) {
                *literal = NULL;
                for (size_t i = 0; i < n; i++)
                        if (!skipped(cands[i].name, extra))
                                return (int) i;
                return -1;
        }
        return pick(cands, filter(cands, n, extra), picker, literal);
}

static Re at_re = { AT_IDENT };

/* Runs a recipe from line `at` (the title line); returns the chosen frame in
 * ret and true, or false for "corrupted". */
bool run_recipe(Ctx *cx, const FormatRe *fmt, size_t at, const Caps *caps, Frame *ret) {
        const Report *rep = cx->rep;
        Frame *cands = cx->cands; /* written before read */
        size_t n = 0;
        bool ok = false;
        const char *literal = NULL;
        const Format *def = fmt->def;
        Picker picker = def->flags & F_STALL ? PICK_STALL : def->flags & F_HANG ? PICK_HANG : PICK_DEFAULT;
        const Re *extra = fmt->skip.pattern ? &fmt->skip : NULL;

        cx->n_frames = 0;
        switch (def->recipe) {
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
                if (def->recipe == R_RIP)
                        break;
                if (def->recipe == R_WARN) {
                        size_t pos = ip + 1;
                        if (ip < rep->n)
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        int idx = filter_and_pick(cands, n, picker, extra, &literal);
                        if (idx >= 0) {
                                *ret = cands[idx];
                                ok = true;
                                goto done;
                        }
                        n = 0;
                }
                size_t pos = find_stack_start(rep, def->recipe == R_WARN ? at : (ip < rep->n ? ip : at));
                if (pos >= rep->n && def->recipe == R_RIP_CT)
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
                if (def->recipe == R_HDR_CT && caps->n >= 2 && caps->v[1])
                        add_candidate(cands, &n, caps->v[1], NULL);
                else if (def->recipe == R_HDR_NEXT && caps->n >= 1 && caps->v[caps->n - 1])
                        add_candidate(cands, &n, caps->v[caps->n - 1], NULL);
                size_t pos = def->recipe == R_HDR_CT ? find_stack_start(rep, at) : at;
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
                if (n == 0 && strstr(def->tmpl, "bad unlock balance")) {
                        size_t pos = find_stack_start(rep, at);
                        if (pos < rep->n) {
                                pos++;
                                read_frames(cx, &pos, cands, &n, NULL, true);
                        }
                }
                break;
        }
        case R_AT2: {
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

        int idx = filter_and_pick(cands, n, picker, extra, &literal);
        if (idx >= 0) {
                *ret = cands[idx];
                ok = true;
        }
done:
        if (ok && literal) {
                copy_truncated(ret->name, sizeof ret->name, literal);
                ret->module[0] = 0;
        }
        return ok;
}

/* §9.5 */
bool stack_check_fails(const Report *rep) {
        bool any = false;
        static const char *const kinds[] = { "Call Trace", "Call trace", "Allocated", "Freed", "backtrace", "Backtrace",
                                             "Uninit was stored", "badaddr:" };
        /* The first stack-start line of each kind, in one pass over the lines. */
        size_t first[ELEMENTSOF(kinds)];
        size_t missing = ELEMENTSOF(kinds);
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                first[k] = rep->n_full;
        for (size_t i = 0; i < rep->n_full && missing > 0; i++) {
                if (!rep->stack_start[i])
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        if (first[k] == rep->n_full && strstr(rep->lines[i], kinds[k])) {
                                first[k] = i;
                                missing--;
                        }
        }
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                size_t i = first[k];
                if (i >= rep->n_full)
                        continue;
                any = true;
                if (rep->n_full - i - 1 < 2)
                        return true;
                bool ok = false;
                for (size_t j = i + 1; j < rep->n_full && j <= i + 15; j++) {
                        if (rep->stack_start[j])
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

int frames_init(void) {
        /* (called once, through analyze_init()) */
        int k = pthread_key_create(&name_cache_key, free);
        if (k != 0)
                return -k;
        Re *all[] = { &crc, &riscv, &alloc, &global_skip, &panic_itself, &stall_anchors, &hang_avoid, &at_re };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                int r = re_compile(all[i], /* nosub= */ all[i] != &at_re);
                if (r < 0)
                        return r;
        }
        return 0;
}
