/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kmsg.h"
#include "macro.h"
#include "sysinfo.h"
#include "unclean.h"

/* systemd's catalog ids (src/systemd/sd-messages.h):
 * SD_MESSAGE_UNIT_STARTED, SD_MESSAGE_UNIT_RESTART_SCHEDULED,
 * SD_MESSAGE_UNIT_OUT_OF_MEMORY. */
#define MESSAGE_UNIT_STARTED "39f53479d3a045ac8e11786248231fbf"
#define MESSAGE_UNIT_OUT_OF_MEMORY "fe6faa94e7774663a0da52717891d8ef"

#define UNITS_MAX 256
#define STARTS_KEPT 256
#define HINT_LINES_PER_KIND 3
#define LIST_MAX 512

void unclean_init(UncleanAnalysis *u, unsigned tail_lines, unsigned kernel_lines) {
        *u = (UncleanAnalysis) { .tail_lines = MIN(tail_lines, UNCLEAN_TAIL_MAX),
                                 .kernel_lines = MIN(kernel_lines, UNCLEAN_TAIL_MAX) };
}

void unclean_done(UncleanAnalysis *u) {
        for (size_t i = 0; i < u->tail_n; i++)
                free(u->tail[i]);
        free(u->tail);
        for (size_t i = 0; i < u->ktail_n; i++)
                free(u->ktail[i]);
        free(u->ktail);
        free(u->oom_victims);
        free(u->oom_units);
        for (size_t i = 0; i < u->n_units; i++) {
                free(u->units[i].unit);
                free(u->units[i].usec);
        }
        free(u->units);
        for (size_t i = 0; i < u->n_hint_lines; i++)
                free(u->hint_lines[i]);
        free(u->hint_lines);
        *u = (UncleanAnalysis) {};
}

static int ring_push(char ***ring, size_t *n, size_t *next, unsigned cap, char *line) {
        if (cap == 0) {
                free(line);
                return 0;
        }
        if (!*ring) {
                *ring = calloc(cap, sizeof(char *));
                if (!*ring) {
                        free(line);
                        return -ENOMEM;
                }
        }
        if (*n == cap)
                free((*ring)[*next]);
        else
                (*n)++;
        (*ring)[*next] = line;
        *next = (*next + 1) % cap;
        return 0;
}

static char *ring_text(char **ring, size_t n, size_t next, unsigned cap) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++)
                fputs(ring[(next + cap - n + i) % cap], f);
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

char *unclean_tail_text(const UncleanAnalysis *u, bool kernel) {
        return kernel ? ring_text(u->ktail, u->ktail_n, u->ktail_next, u->kernel_lines)
                      : ring_text(u->tail, u->tail_n, u->tail_next, u->tail_lines);
}

/* Appends item to a bounded ", "-separated list, once. */
static int list_add(char **list, const char *item, size_t item_len) {
        if (item_len == 0)
                return 0;
        size_t cur = *list ? strlen(*list) : 0;
        if (cur + item_len + 2 > LIST_MAX)
                return 0;
        for (const char *p = *list; p && *p;) {
                const char *e = strstr(p, ", ");
                size_t l = e ? (size_t) (e - p) : strlen(p);
                if (l == item_len && strneq(p, item, l))
                        return 0;
                if (!e)
                        break;
                p = e + 2;
        }
        char *n = realloc(*list, cur + item_len + 3);
        if (!n)
                return -ENOMEM;
        if (cur)
                memcpy(n + cur, ", ", 2), cur += 2;
        memcpy(n + cur, item, item_len);
        n[cur + item_len] = 0;
        *list = n;
        return 0;
}

static bool is_unit_char(char c) {
        return isalnum((unsigned char) c) || strchr("-_.@:\\", c);
}

static int add_hint_line(UncleanAnalysis *u, unsigned count_after, const char *line) {
        if (count_after > HINT_LINES_PER_KIND || u->n_hint_lines >= 32)
                return 0;
        char **p = realloc(u->hint_lines, (u->n_hint_lines + 1) * sizeof *p);
        if (!p)
                return -ENOMEM;
        u->hint_lines = p;
        if (!(p[u->n_hint_lines] = strndup(line, 300)))
                return -ENOMEM;
        u->n_hint_lines++;
        return 0;
}

static unsigned max_in_window(const uint64_t *t, size_t n) {
        const uint64_t w = (uint64_t) UNCLEAN_LOOP_MINUTES * 60 * 1000000;
        unsigned best = 0;
        size_t lo = 0;
        for (size_t hi = 0; hi < n; hi++) {
                while (t[hi] - t[lo] > w)
                        lo++;
                best = MAX(best, (unsigned) (hi - lo + 1));
        }
        return best;
}

static int unit_started(UncleanAnalysis *u, const char *unit, uint64_t usec) {
        UnitStarts *s = NULL;
        for (size_t i = 0; i < u->n_units && !s; i++)
                if (streq(u->units[i].unit, unit))
                        s = &u->units[i];
        if (!s) {
                if (u->n_units >= UNITS_MAX)
                        return 0;
                UnitStarts *p = realloc(u->units, (u->n_units + 1) * sizeof *p);
                if (!p)
                        return -ENOMEM;
                u->units = p;
                s = &u->units[u->n_units];
                *s = (UnitStarts) { .unit = strndup(unit, 256), .usec = calloc(STARTS_KEPT, sizeof(uint64_t)) };
                if (!s->unit || !s->usec) {
                        free(s->unit);
                        free(s->usec);
                        return -ENOMEM;
                }
                u->n_units++;
        }
        if (s->n == STARTS_KEPT) {
                memmove(s->usec, s->usec + 1, (STARTS_KEPT - 1) * sizeof(uint64_t));
                s->n--;
        }
        if (s->n > 0 && usec < s->usec[s->n - 1])
                usec = s->usec[s->n - 1]; /* keep the window monotonic */
        s->usec[s->n++] = usec;
        s->total++;
        s->max_in_window = MAX(s->max_in_window, max_in_window(s->usec, s->n));
        return 0;
}

static char *format_entry(const JournalEntry *e) {
        time_t t = (time_t) (e->usec / 1000000);
        struct tm tm;
        char when[40] = "?";
        if (gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
        char *s;
        const char *who = e->kernel ? "kernel" : e->identifier ? e->identifier : "?";
        int k = e->pid && !e->kernel ? asprintf(&s, "%s %s[%s]: %s\n", when, who, e->pid, strempty(e->message))
                                     : asprintf(&s, "%s %s: %s\n", when, who, strempty(e->message));
        return k < 0 ? NULL : s;
}

static bool has_ci(const char *s, const char *needle) {
        return strcasestr(s, needle) != NULL;
}

int unclean_feed(UncleanAnalysis *u, const JournalEntry *e) {
        const char *m = strempty(e->message);
        int r;
        if (u->entries++ == 0 || e->usec < u->first_usec)
                u->first_usec = e->usec;
        u->last_usec = MAX(u->last_usec, e->usec);

        char *line = format_entry(e);
        if (!line)
                return -ENOMEM;
        if (e->kernel) {
                char *copy = strdup(line);
                if (!copy) {
                        free(line);
                        return -ENOMEM;
                }
                r = ring_push(&u->ktail, &u->ktail_n, &u->ktail_next, u->kernel_lines, copy);
                if (r < 0) {
                        free(line);
                        return r;
                }
        }

        /* mm/oom_kill.c __oom_kill_process(): "Out of memory: Killed process
         * %d (%s) ..." (older: "Killed process %d (%s)"), and dump_oom_summary():
         * "oom-kill:constraint=...,task_memcg=%s,task=%s,pid=%d,uid=%d". */
        /* What the kernel says of its own accord; a kernel line that starts
         * with a task's name says what the task's owner chose. Hints count
         * only from there and from PID 1: any process can log any message. */
        bool kernel = e->kernel && !kmsg_names_task(m, strlen(m));
        bool trusted = kernel || (!e->kernel && streq_ptr(e->pid, "1"));
        if (kernel && (startswith(m, "Out of memory: Killed process ") || startswith(m, "Killed process "))) {
                u->oom_kills++;
                const char *p = strstr(m, "process ") + 8;
                const char *open = strchr(p, '(');
                const char *close = open ? strchr(open, ')') : NULL;
                if (open && close)
                        r = list_add(&u->oom_victims, open + 1, (size_t) (close - open - 1));
                else
                        r = 0;
                if (r >= 0)
                        r = add_hint_line(u, u->oom_kills, line);
                if (r < 0)
                        goto fail;
        }
        if (kernel && startswith(m, "oom-kill:")) {
                const char *cg = strstr(m, "task_memcg=");
                if (cg) {
                        cg += 11;
                        size_t l = strcspn(cg, ",");
                        /* the last path component: /system.slice/foo.service */
                        const char *last = cg;
                        for (const char *p = cg; p < cg + l; p++)
                                if (*p == '/')
                                        last = p + 1;
                        size_t ll = (size_t) (cg + l - last);
                        if (ll > 0 && ll < 256) {
                                bool ok = true;
                                for (size_t i = 0; i < ll; i++)
                                        ok &= is_unit_char(last[i]);
                                if (ok && ((ll > 8 && strneq(last + ll - 8, ".service", 8)) ||
                                           (ll > 6 && strneq(last + ll - 6, ".scope", 6))) &&
                                    (r = list_add(&u->oom_units, last, ll)) < 0)
                                        goto fail;
                        }
                }
        }
        /* systemd src/core/unit.c unit_check_oom(): "A process of this unit
         * has been killed by the OOM killer." with UNIT= */
        /* UNIT= and MESSAGE_ID= count only from PID 1 (_PID is set by
         * journald; any process can log a UNIT= field). */
        bool pid1 = !e->kernel && streq_ptr(e->pid, "1");
        if (pid1 && e->unit && streq_ptr(e->message_id, MESSAGE_UNIT_OUT_OF_MEMORY) &&
            (r = list_add(&u->oom_units, e->unit, strlen(e->unit))) < 0)
                goto fail;
        /* systemd src/core/job.c: "Started %s." with MESSAGE_ID=UNIT_STARTED, UNIT= */
        if (pid1 && e->unit && streq_ptr(e->message_id, MESSAGE_UNIT_STARTED) &&
            (r = unit_started(u, e->unit, e->usec)) < 0)
                goto fail;

        /* Thermal: drivers/thermal/thermal_core.c "critical temperature
         * reached", arch/x86/kernel/cpu/mce/therm_throt.c "temperature above
         * threshold"; battery: the kernel's "battery" + "critical"/"low"
         * (UPower's own messages are any process's to forge);
         * watchdog: drivers/watchdog/watchdog_dev.c "watchdog did not stop!",
         * systemd "Watchdog timeout"; GPU resets: kmsg_classify(). */
        if (!trusted)
                return ring_push(&u->tail, &u->tail_n, &u->tail_next, u->tail_lines, line);
        if (has_ci(m, "critical temperature") || has_ci(m, "temperature above threshold") ||
            has_ci(m, "thermal shutdown") || has_ci(m, "overheat")) {
                u->thermal++;
                if ((r = add_hint_line(u, u->thermal, line)) < 0)
                        goto fail;
        } else if (has_ci(m, "battery") && (has_ci(m, "critical") || has_ci(m, " low"))) {
                u->battery++;
                if ((r = add_hint_line(u, u->battery, line)) < 0)
                        goto fail;
        } else if (has_ci(m, "watchdog did not stop") || has_ci(m, "watchdog timeout") ||
                   (kernel && has_ci(m, "watchdog") && has_ci(m, "expired"))) {
                u->watchdog++;
                if ((r = add_hint_line(u, u->watchdog, line)) < 0)
                        goto fail;
        } else if (kernel && kmsg_classify(m, strlen(m)) == KMSG_EVENT_GPU_HANG) {
                u->gpu_reset++;
                if ((r = add_hint_line(u, u->gpu_reset, line)) < 0)
                        goto fail;
        }
        return ring_push(&u->tail, &u->tail_n, &u->tail_next, u->tail_lines, line);
fail:
        free(line);
        return r;
}

char *unclean_loop_units(const UncleanAnalysis *u) {
        char *list = NULL;
        for (size_t i = 0; i < u->n_units; i++) {
                if (u->units[i].max_in_window <= UNCLEAN_LOOP_STARTS)
                        continue;
                char item[320];
                snprintf(item, sizeof item, "%s (%u starts in %d min)", u->units[i].unit, u->units[i].max_in_window,
                         UNCLEAN_LOOP_MINUTES);
                if (list_add(&list, item, strlen(item)) < 0) {
                        free(list);
                        return NULL;
                }
        }
        return list;
}

char *unclean_title(const UncleanAnalysis *u) {
        /* The unit with the most starts in a window names the loop. */
        const UnitStarts *worst = NULL;
        for (size_t i = 0; i < u->n_units; i++)
                if (u->units[i].max_in_window > UNCLEAN_LOOP_STARTS &&
                    (!worst || u->units[i].max_in_window > worst->max_in_window))
                        worst = &u->units[i];
        char *s;
        int k;
        if (worst && u->oom_kills)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after a restart loop of %s and OOM kills",
                             worst->unit);
        else if (worst)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after a restart loop of %s", worst->unit);
        else if (u->oom_kills)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after OOM kills");
        else if (u->thermal)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after thermal warnings");
        else if (u->battery)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after battery warnings");
        else if (u->watchdog)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after watchdog messages");
        else if (u->gpu_reset)
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot after GPU hangs");
        else
                k = asprintf(&s, "UNCLEAN_SHUTDOWN: unexplained reboot");
        return k < 0 ? NULL : s;
}

char *unclean_summary(const UncleanAnalysis *u, const char *boot_id, uint64_t boot_usec) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        _cleanup_free_ char *loops = unclean_loop_units(u);
        uint64_t start = boot_usec && boot_usec < u->first_usec ? boot_usec : u->first_usec;
        fprintf(f, "The boot %s ended without a clean shutdown and left no pstore record or kdump capture.\n",
                strempty(boot_id));
        if (u->entries) {
                uint64_t up = (u->last_usec - start) / 1000000;
                fprintf(f, "Uptime at its last journal entry: %llu s (%lluh%02llum%02llus); %zu journal entries read.\n",
                        (unsigned long long) up, (unsigned long long) (up / 3600),
                        (unsigned long long) (up / 60 % 60), (unsigned long long) (up % 60), u->entries);
        } else
                fprintf(f, "Its journal holds no entries (not persistent, or lost).\n");
        fprintf(f, "OOM kills: %u%s%s%s%s\n", u->oom_kills, u->oom_victims ? " (" : "", strempty(u->oom_victims),
                u->oom_victims ? ")" : "", "");
        if (u->oom_units)
                fprintf(f, "Units hit by the OOM killer: %s\n", u->oom_units);
        fprintf(f, "Restart loops (more than %d starts in %d min): %s\n", UNCLEAN_LOOP_STARTS, UNCLEAN_LOOP_MINUTES,
                loops ? loops : "none");
        fprintf(f, "Thermal warnings: %u\nBattery warnings: %u\nWatchdog messages: %u\nGPU hangs/resets: %u\n",
                u->thermal, u->battery, u->watchdog, u->gpu_reset);
        if (u->n_hint_lines) {
                fprintf(f, "\nFirst lines of each hint:\n");
                for (size_t i = 0; i < u->n_hint_lines; i++)
                        fprintf(f, "  %s%s", u->hint_lines[i],
                                u->hint_lines[i][0] && u->hint_lines[i][strlen(u->hint_lines[i]) - 1] == '\n' ? "" : "\n");
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

PreviousBoot shutdown_mark_judge(const char *previous_mark, bool other_marks) {
        if (!previous_mark)
                /* The previous boot never reached kcrash-shutdown.service (it
                 * ended early, or ran without it) while earlier boots did. */
                return other_marks ? PREVIOUS_BOOT_UNEXPLAINED : PREVIOUS_BOOT_UNKNOWN;
        _cleanup_free_ char *state = os_release_value(previous_mark, "STATE");
        return !state || streq(state, SHUTDOWN_MARK_CLEAN) ? PREVIOUS_BOOT_CLEAN : PREVIOUS_BOOT_UNEXPLAINED;
}
