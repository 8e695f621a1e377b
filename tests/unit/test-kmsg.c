/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "fileio.h"
#include "kmsg.h"
#include "tests.h"
#include "watch-event.h"
#include "watch-state.h"

/* ---- records ---- */

TEST(parse_real_records) {
        /* Real /dev/kmsg records (read on the development machine), some
         * with their device properties on continuation lines. */
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), "kmsg/boot.kmsg"), *data = NULL;
        size_t size, off = 0, n = 0, with_dict = 0;
        ASSERT_OK(read_full_file(path, 1 << 20, &data, &size));
        uint64_t last_seq = 0;
        while (off < size) {
                KmsgRecord r;
                size_t used;
                ASSERT_OK(kmsg_parse_record(data + off, size - off, &r, &used));
                ASSERT_TRUE(used > 0);
                ASSERT_EQ(r.facility, 0);
                ASSERT_TRUE(n == 0 || r.seq > last_seq);
                last_seq = r.seq;
                if (memchr(data + off, '\n', used) != data + off + used - 1)
                        with_dict++;
                if (n == 0) {
                        ASSERT_EQ(r.level, 5);
                        ASSERT_EQ(r.seq, 0);
                        ASSERT_TRUE(strneq(r.message, "Linux version ", 14));
                }
                off += used;
                n++;
        }
        ASSERT_EQ(n, 18);
        ASSERT_EQ(with_dict, 6);
}

TEST(parse_fields) {
        KmsgRecord r;
        size_t used;
        const char *rec = "14,1234,5678901,-,caller=T1;hello from user space\n";
        ASSERT_OK(kmsg_parse_record(rec, strlen(rec), &r, &used));
        ASSERT_EQ(used, strlen(rec));
        ASSERT_EQ(r.facility, 1); /* LOG_USER: 14 = 1 << 3 | 6 */
        ASSERT_EQ(r.level, 6);
        ASSERT_EQ(r.seq, 1234);
        ASSERT_EQ(r.ts_usec, 5678901);
        ASSERT_EQ(r.message_len, strlen("hello from user space"));
        ASSERT_TRUE(!kmsg_record_is_kernel(&r));

        const char *dict = "6,7,8,c;msg\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:02.0\n6,8,9,-;next\n";
        ASSERT_OK(kmsg_parse_record(dict, strlen(dict), &r, &used));
        ASSERT_EQ(used, strlen("6,7,8,c;msg\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:02.0\n"));
        ASSERT_TRUE(r.continuation);
        ASSERT_EQ(r.message_len, 3);

        ASSERT_ERR(kmsg_parse_record("6,7,8,-;no newline", 18, &r, &used), -EAGAIN);
        ASSERT_ERR(kmsg_parse_record("6,7,8,-;x\n SUB", 15, &r, &used), -EAGAIN);
        static const char *const bad[] = { "no semicolon\n", "x,1,2,-;m\n", "6,,2,-;m\n", "6,1;m\n",
                                           "99999999999999999999999,1,2,-;m\n", "6,1,2\n", ";\n", "\n" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                used = 0;
                ASSERT_ERR(kmsg_parse_record(bad[i], strlen(bad[i]), &r, &used), -EBADMSG);
                ASSERT_EQ(used, strlen(bad[i])); /* the line is skipped */
        }
}

/* ---- classes on real excerpts ---- */

/* The fixture's "[ ts] message" lines as kernel records, prefixed by a line
 * user space wrote that looks like the same event. */
static char *fixture_as_kmsg(const char *name, bool add_user_line) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), name), *data = NULL;
        size_t size;
        ASSERT_OK(read_full_file(path, 1 << 20, &data, &size));
        char *out = NULL;
        size_t out_size = 0;
        FILE *f = open_memstream(&out, &out_size);
        ASSERT_TRUE(f);
        unsigned seq = 100;
        if (add_user_line)
                /* what `echo '<4>WARNING: CPU: 0 PID: 1 at fake' > /dev/kmsg` makes:
                 * facility 1 (devkmsg_write() in kernel/printk/printk.c) */
                fprintf(f, "12,%u,1000,-,caller=T1;WARNING: CPU: 0 PID: 1 at fake.c:1 fake+0x0/0x10\n", seq++);
        for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
                unsigned long s, us;
                int off = 0;
                if (line[0] == '#' || sscanf(line, "[%lu.%lu]%n", &s, &us, &off) != 2 || off == 0)
                        continue;
                const char *msg = line + off + (line[off] == ' ');
                fprintf(f, "4,%u,%lu,-;%s\n", seq++, s * 1000000 + us, msg);
        }
        ASSERT_TRUE(fclose(f) == 0);
        return out;
}

static size_t assemble(const char *records, KmsgEvent **events, size_t max) {
        KmsgAssembler a = {};
        size_t n = 0, off = 0, len = strlen(records);
        while (off < len) {
                KmsgRecord r;
                size_t used;
                ASSERT_OK(kmsg_parse_record(records + off, len - off, &r, &used));
                KmsgEvent *e = NULL;
                int k = kmsg_assembler_feed(&a, &r, &e);
                ASSERT_OK(k);
                if (k > 0) {
                        ASSERT_TRUE(n < max);
                        events[n++] = e;
                }
                off += used;
        }
        KmsgEvent *e = NULL;
        if (kmsg_assembler_flush(&a, 0, true, &e) > 0) {
                ASSERT_TRUE(n < max);
                events[n++] = e;
        }
        kmsg_assembler_done(&a);
        return n;
}

static void check_class(const char *fixture, KmsgEventClass class, const char *in_title) {
        _cleanup_free_ char *recs = fixture_as_kmsg(fixture, true);
        KmsgEvent *ev[8] = {};
        size_t n = assemble(recs, ev, 8);
        if (n != 1)
                test_fail(__FILE__, __LINE__, "%s: %zu events, expected 1", fixture, n);
        ASSERT_STREQ(kmsg_event_class_to_string(ev[0]->class), kmsg_event_class_to_string(class));
        /* the user-space line is not even context */
        ASSERT_TRUE(!strstr(ev[0]->text, "fake.c"));
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(ev[0]->text, ev[0]->text_size, &a));
        _cleanup_free_ char *title = !isempty(a->title) ? strdup(a->title) : kmsg_event_title(ev[0]);
        if (!strstr(title, in_title))
                test_fail(__FILE__, __LINE__, "%s: title \"%s\" lacks \"%s\"", fixture, title, in_title);
        crash_analysis_free(a);
        kmsg_event_free(ev[0]);
}

TEST(classes_on_real_logs) {
        check_class("kmsg/warning.txt", KMSG_EVENT_WARNING, "WARNING in crashme_do_warn");
        check_class("kmsg/oops.txt", KMSG_EVENT_OOPS, "NULL pointer dereference in crashme_do_null");
        check_class("kmsg/hung-task.txt", KMSG_EVENT_HUNG_TASK, "INFO: task hung");
        check_class("kmsg/soft-lockup.txt", KMSG_EVENT_SOFT_LOCKUP, "soft lockup");
        check_class("kmsg/rcu-stall.txt", KMSG_EVENT_RCU_STALL, "stall");
        check_class("kmsg/hard-lockup.txt", KMSG_EVENT_HARD_LOCKUP, "LOCKUP");
        check_class("kmsg/gpu-amdgpu.txt", KMSG_EVENT_GPU_HANG, "ring gfx_N.N.N timeout");
        check_class("kmsg/gpu-amdgpu-old.txt", KMSG_EVENT_GPU_HANG, "ring gfx_N.N.N timeout");
        check_class("kmsg/gpu-i915.txt", KMSG_EVENT_GPU_HANG, "GPU HANG: ecode N:N:N");
        check_class("kmsg/mce.txt", KMSG_EVENT_MCE, "Machine check events logged");
        check_class("kmsg/fs-ext4.txt", KMSG_EVENT_FS_ERROR, "EXT4-fs error (device dm-N): dx_probe:N");
}

TEST(one_gpu_incident_is_one_event) {
        _cleanup_free_ char *recs = fixture_as_kmsg("kmsg/gpu-amdgpu.txt", false);
        KmsgEvent *ev[4] = {};
        ASSERT_EQ(assemble(recs, ev, 4), 1);
        /* the ring timeout, the context before it, and the reset after it */
        ASSERT_TRUE(strstr(ev[0]->text, "Dumping IP State"));
        ASSERT_TRUE(strstr(ev[0]->text, "GPU reset begin!"));
        kmsg_event_free(ev[0]);
}

TEST(user_space_lines_never_count) {
        /* Only user-space lines, each of which would start an event. */
        const char *recs = "12,1,100,-;WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1\n"
                           "9,2,200,-;BUG: kernel NULL pointer dereference, address: 0\n"
                           "11,3,300,-;amdgpu 0000:03:00.0: amdgpu: GPU reset begin!\n"
                           "14,4,400,-;---[ end trace 0000000000000000 ]---\n";
        KmsgEvent *ev[4] = {};
        ASSERT_EQ(assemble(recs, ev, 4), 0);
}

TEST(kernel_lines_that_name_a_task_never_count) {
        /* Facility 0, printed by the kernel (arch/x86/mm/fault.c
         * show_signal_msg()) for processes whose names were set to look like
         * crash headers: captured from /dev/kmsg on this machine's kernel
         * (a program run as nobody that renames itself and segfaults). */
        const char *recs =
                "6,356,62939320124,-;WARNING: x[5250]: segfault at 0 ip 0000559a6321216a sp 00007ffceeadc6b0 "
                "error 6 in segv[116a,559a63212000+1000] likely on CPU 1 (core 1, socket 0)\n"
                "6,358,62939324677,-;GPU HANG: ecode[5251]: segfault at 0 ip 000055f888b5216a sp 00007ffd93f5dd70 "
                "error 6 in BUG: soft lockup - CPU#0 stuck for 22s! GPU reset begin![116a,55f888b52000+1000] likely "
                "on CPU 1 (core 1, socket 0)\n"
                "6,360,62939329328,-;Oops: x[5252]: segfault at 0 ip 0000564839e3e16a sp 00007fff25e6a970 error 6 in "
                "segv[116a,564839e3e000+1000] likely on CPU 1 (core 1, socket 0)\n"
                "6,361,62939330000,-;traps: BUG: x[77] trap invalid opcode ip:1 sp:2 error:0 in x[1000+1000]\n"
                "6,362,62939340000,-;Oops: 0002 [#1[12]: segfault at 0\n"
                "6,363,62939350000,-;sh (4242): drop_caches: 3 WARNING: \n"
                "5,364,62939360000,-;audit: type=1326 audit(1.2:3): comm=\"x\" exe=\"/tmp/BUG: soft lockup - CPU#0\"\n";
        KmsgEvent *ev[4] = {};
        ASSERT_EQ(assemble(recs, ev, 4), 0);
        /* the real headers are no task lines */
        ASSERT_TRUE(!kmsg_names_task("Oops: 0002 [#1] PREEMPT SMP NOPTI", 33));
        ASSERT_TRUE(!kmsg_names_task("WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1", 41));
        ASSERT_TRUE(!kmsg_names_task("INFO: task kworker/0:1:12 blocked for more than 120 seconds.", 60));
        ASSERT_TRUE(!kmsg_names_task("EXT4-fs error (device dm-0): dx_probe:1", 39));
        ASSERT_TRUE(kmsg_names_task("a[1]", 4) == false);
        ASSERT_TRUE(kmsg_names_task("0123456789abcde[9]: x", 21));
}

TEST(a_real_warning_after_a_task_line_is_its_own_event) {
        /* The forged line must not hold an event open that swallows the
         * real WARN that follows it at once. */
        _cleanup_free_ char *real = fixture_as_kmsg("kmsg/warning.txt", false);
        _cleanup_free_ char *recs = NULL;
        ASSERT_TRUE(asprintf(&recs, "6,1,1000,-;WARNING: a[9251]: segfault at 0 ip 1 sp 2 error 6 in segv[1+1000]\n%s",
                             real) > 0);
        KmsgEvent *ev[4] = {};
        ASSERT_EQ(assemble(recs, ev, 4), 1);
        ASSERT_STREQ(kmsg_event_class_to_string(ev[0]->class), "WARNING");
        /* the collector analyses the event's text, context included */
        CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(ev[0]->text, ev[0]->text_size, &a));
        ASSERT_STREQ(a->title, "WARNING in crashme_do_warn");
        crash_analysis_free(a);
        kmsg_event_free(ev[0]);
}

TEST(warn_storm_is_separate_events_with_one_signature) {
        /* A WARN repeated: one event each (each ends with its end marker),
         * the same analyser signature for all. */
        _cleanup_free_ char *one = fixture_as_kmsg("kmsg/oops.txt", false);
        size_t len = strlen(one);
        _cleanup_free_ char *many = malloc(len * 3 + 1);
        ASSERT_TRUE(many);
        for (int i = 0; i < 3; i++)
                memcpy(many + i * len, one, len);
        many[len * 3] = 0;
        KmsgEvent *ev[8] = {};
        /* same seq numbers repeated do not matter to the assembler */
        size_t n = assemble(many, ev, 8);
        ASSERT_EQ(n, 3);
        char *sig0 = NULL;
        for (size_t i = 0; i < n; i++) {
                CrashAnalysis *a = NULL;
                ASSERT_OK(crash_analyze(ev[i]->text, ev[i]->text_size, &a));
                ASSERT_TRUE(a->signature);
                if (i == 0)
                        sig0 = strdup(a->signature);
                else
                        ASSERT_STREQ(a->signature, sig0);
                crash_analysis_free(a);
                kmsg_event_free(ev[i]);
        }
        free(sig0);
}

TEST(title_normalises_numbers) {
        KmsgEvent e = { .class = KMSG_EVENT_GPU_HANG,
                        .first_line = (char *) "amdgpu 0000:28:00.0: ring sdma0 timeout, signaled seq=57638, emitted seq=0x1f" };
        _cleanup_free_ char *t = kmsg_event_title(&e);
        ASSERT_STREQ(t, "GPU_HANG: amdgpu N:N:N.N: ring sdma0 timeout, signaled seq=N, emitted seq=N");
}

/* ---- storm control ---- */

TEST(storm_control) {
        WatchState s = {};
        WatchLimits l = { .per_signature_daily = 2, .daily_reports = 3 };
        uint64_t sup = 99;
        time_t day1 = 20000 * 86400 + 100;
        ASSERT_OK(watch_state_set_boot(&s, "boot-a"));
        ASSERT_TRUE(watch_state_admit(&s, "sigA", day1, &l, &sup));
        ASSERT_EQ(sup, 0);
        /* once per boot */
        for (int i = 0; i < 999; i++)
                ASSERT_TRUE(!watch_state_admit(&s, "sigA", day1, &l, &sup));
        ASSERT_EQ(s.suppressed, 999);
        ASSERT_TRUE(watch_state_admit(&s, "sigB", day1, &l, &sup));
        ASSERT_EQ(sup, 999); /* said by the next report */
        ASSERT_EQ(s.suppressed, 0);

        /* survives a restart: the file round-trips */
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(watch_state_format(&s, &text));
        WatchState t = {};
        unsigned line = 0;
        ASSERT_OK(watch_state_parse(text, strlen(text), &t, &line));
        ASSERT_TRUE(!watch_state_admit(&t, "sigA", day1, &l, &sup));

        /* a new boot: sigA again, until its daily cap (2) */
        ASSERT_EQ(watch_state_set_boot(&t, "boot-b"), 1);
        ASSERT_TRUE(watch_state_admit(&t, "sigA", day1, &l, &sup));
        ASSERT_EQ(sup, 1);
        ASSERT_OK(watch_state_set_boot(&t, "boot-c"));
        ASSERT_TRUE(!watch_state_admit(&t, "sigA", day1, &l, &sup)); /* 2 today already */
        /* the global budget (3 a day) */
        ASSERT_TRUE(!watch_state_admit(&t, "sigC", day1, &l, &sup)); /* A, B, A = 3 */
        /* the next day */
        ASSERT_TRUE(watch_state_admit(&t, "sigA", day1 + 86400, &l, &sup));
        ASSERT_EQ(sup, 2);
        watch_state_done(&s);
        watch_state_done(&t);

        static const char *const bad[] = { "nope 1\n", "kcrash-watch-state 1\nseq x\n",
                                           "kcrash-watch-state 1\nsig a/b 1 1 1\n", "kcrash-watch-state 1\nsig a 1 1 2\n" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                WatchState u = {};
                ASSERT_ERR(watch_state_parse(bad[i], strlen(bad[i]), &u, &line), -EBADMSG);
        }
}

/* ---- the event file ---- */

TEST(event_file_round_trip) {
        WatchEvent e = { .class = KMSG_EVENT_HUNG_TASK, .boot_id = (char *) "0123-abcd", .seq = 42, .time = 1700000000,
                         .suppressed = 7, .title = (char *) "INFO: task hung in x", .signature = (char *) "v1:deadbeef",
                         .log = (char *) "[ 1.0] a\n[ 2.0] b\n", .log_size = 18 };
        _cleanup_free_ char *text = NULL, *name = NULL;
        size_t size;
        ASSERT_OK(watch_event_format(&e, &text, &size));
        WatchEvent p = {};
        ASSERT_OK(watch_event_parse(text, size, &p));
        ASSERT_EQ(p.class, KMSG_EVENT_HUNG_TASK);
        ASSERT_STREQ(p.boot_id, "0123-abcd");
        ASSERT_EQ(p.seq, 42);
        ASSERT_EQ(p.time, 1700000000);
        ASSERT_EQ(p.suppressed, 7);
        ASSERT_STREQ(p.title, "INFO: task hung in x");
        ASSERT_STREQ(p.signature, "v1:deadbeef");
        ASSERT_STREQ(p.log, "[ 1.0] a\n[ 2.0] b\n");
        watch_event_done(&p);
        ASSERT_OK(watch_event_file_name("0123-abcd", 42, &name));
        ASSERT_STREQ(name, "0123-abcd-42.event");
        ASSERT_TRUE(watch_event_file_name_valid(name));
        ASSERT_TRUE(!watch_event_file_name_valid("../x.event"));
        ASSERT_TRUE(!watch_event_file_name_valid(".x.event"));
        ASSERT_TRUE(!watch_event_file_name_valid("x.zip"));

        /* a title with a newline cannot be written; bad files do not parse */
        e.title = (char *) "a\nclass OOPS";
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        static const char *const bad[] = {
                "kcrash-event 1\nclass WARNING\n\nlog",                       /* fields missing */
                "kcrash-event 2\n",                                             /* version */
                "kcrash-event 1\nclass NONE\nboot a\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nclass OOPS\nboot a\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nboot a/b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nboot a\nseq -1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                WatchEvent q = {};
                ASSERT_ERR(watch_event_parse(bad[i], strlen(bad[i]), &q), -EBADMSG);
        }
}
