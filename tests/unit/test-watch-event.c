/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "watch-event.h"
#include "tests.h"

static const char LOG[] = "[  12.345] WARNING: CPU: 1 PID: 7 at drivers/x.c:10 f+0x1/0x2\n\0binary\xff tail";

static WatchEvent sample(void) {
        return (WatchEvent) {
                .class = KMSG_EVENT_WARNING,
                .boot_id = (char *) "0123456789abcdef0123456789abcdef",
                .seq = 4242,
                .time = 1795335249,
                .suppressed = 3,
                .title = (char *) "WARNING in f",
                .signature = (char *) "v1:0123456789abcdef",
                .log = (char *) LOG,
                .log_size = sizeof LOG - 1,
        };
}

static int parse_str(const char *s, WatchEvent *e) {
        return watch_event_parse(s, strlen(s), e);
}

TEST(round_trip) {
        WatchEvent in = sample(), out;
        _cleanup_free_ char *text = NULL;
        size_t size;
        ASSERT_OK(watch_event_format(&in, &text, &size));
        ASSERT_TRUE(strneq(text, "kcrash-event 1\nclass ", 21));
        ASSERT_OK(watch_event_parse(text, size, &out));
        ASSERT_EQ(out.class, KMSG_EVENT_WARNING);
        ASSERT_STREQ(out.boot_id, in.boot_id);
        ASSERT_EQ(out.seq, 4242);
        ASSERT_EQ(out.time, 1795335249);
        ASSERT_EQ(out.suppressed, 3);
        ASSERT_STREQ(out.title, "WARNING in f");
        ASSERT_STREQ(out.signature, "v1:0123456789abcdef");
        /* the log comes back byte for byte, NUL and high bytes included, NUL-terminated */
        ASSERT_EQ(out.log_size, sizeof LOG - 1);
        ASSERT_EQ(memcmp(out.log, LOG, sizeof LOG - 1), 0);
        ASSERT_EQ(out.log[out.log_size], 0);
        watch_event_done(&out);
        ASSERT_TRUE(!out.boot_id && !out.log && !out.title);

        /* an empty title and an empty log are allowed */
        in.title = NULL;
        in.log = NULL;
        in.log_size = 0;
        free(text);
        text = NULL;
        ASSERT_OK(watch_event_format(&in, &text, &size));
        ASSERT_OK(watch_event_parse(text, size, &out));
        ASSERT_STREQ(out.title, "");
        ASSERT_EQ(out.log_size, 0);
        ASSERT_STREQ(out.log, "");
        watch_event_done(&out);
}

TEST(format_refuses_what_parse_would) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        WatchEvent e = sample();
        e.class = KMSG_EVENT_NONE;
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e.class = _KMSG_EVENT_MAX;
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e = sample();
        e.boot_id = NULL;
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e.boot_id = (char *) "../../etc";
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e = sample();
        e.signature = (char *) "v1:abc\nclass OOPS";
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e.signature = NULL;
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        e = sample();
        /* a title cannot add a header line */
        e.title = (char *) "x\nseq 1";
        ASSERT_ERR(watch_event_format(&e, &text, &size), -EINVAL);
        ASSERT_TRUE(!text);
}

TEST(parse_refuses_malformed_headers) {
        static const char *const bad[] = {
                "",
                "kcrash-event 1",                                                    /* no newline */
                "kcrash-event 2\n\n",
                "kcrash-event 1\n\n",                                                /* no fields */
                /* one field missing (signature) */
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\n\nlog",
                /* a field twice */
                "kcrash-event 1\nclass WARNING\nclass OOPS\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                /* an unknown key */
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\nextra x\n\n",
                /* an unknown class */
                "kcrash-event 1\nclass bogus\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass NONE\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass warning\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                /* numbers */
                "kcrash-event 1\nclass WARNING\nboot b\nseq -1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1x\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 99999999999999999999\nsuppressed 0\ntitle t\nsignature s\n\n",
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 4611686018427387904\nsuppressed 0\ntitle t\nsignature s\n\n",
                /* a boot id that is a path */
                "kcrash-event 1\nclass WARNING\nboot ../x\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n",
                /* a signature with a space */
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s s\n\n",
                /* a control character in a header line */
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle a\tb\nsignature s\n\n",
                /* a line without a value */
                "kcrash-event 1\nclass\n\n",
                /* headers not ended by an empty line */
                "kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                WatchEvent e = {};
                int r = parse_str(bad[i], &e);
                if (r != -EBADMSG)
                        test_fail(__FILE__, __LINE__, "case %zu: %d, expected -EBADMSG", i, r);
                ASSERT_TRUE(!e.boot_id && !e.title && !e.log);
        }
        /* the header those cases break parses when whole */
        WatchEvent ok;
        ASSERT_OK(parse_str("kcrash-event 1\nclass WARNING\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle a b\nsignature s\n\n",
                            &ok));
        ASSERT_STREQ(ok.title, "a b");
        ASSERT_EQ(ok.log_size, 0);
        watch_event_done(&ok);
        /* a NUL inside a header line */
        const char nul[] = "kcrash-event 1\nclass WARNING\nboot b\0x\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n";
        WatchEvent e;
        ASSERT_ERR(watch_event_parse(nul, sizeof nul - 1, &e), -EBADMSG);
}

TEST(parse_limits) {
        WatchEvent e;
        /* a title over 512 bytes */
        char buf[2048];
        int n = snprintf(buf, sizeof buf,
                         "kcrash-event 1\nclass OOPS\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle %0513d\nsignature s\n\n", 0);
        ASSERT_ERR(watch_event_parse(buf, (size_t) n, &e), -EBADMSG);
        n = snprintf(buf, sizeof buf,
                     "kcrash-event 1\nclass OOPS\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle %0512d\nsignature s\n\n", 0);
        ASSERT_OK(watch_event_parse(buf, (size_t) n, &e));
        ASSERT_EQ(strlen(e.title), 512);
        ASSERT_EQ(e.class, KMSG_EVENT_OOPS);
        watch_event_done(&e);
        /* a boot id over 64 characters, a signature over 128 */
        n = snprintf(buf, sizeof buf,
                     "kcrash-event 1\nclass OOPS\nboot %065d\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature s\n\n", 0);
        ASSERT_ERR(watch_event_parse(buf, (size_t) n, &e), -EBADMSG);
        n = snprintf(buf, sizeof buf,
                     "kcrash-event 1\nclass OOPS\nboot b\nseq 1\ntime 1\nsuppressed 0\ntitle t\nsignature %0129d\n\n", 0);
        ASSERT_ERR(watch_event_parse(buf, (size_t) n, &e), -EBADMSG);
        /* u64 bounds */
        n = snprintf(buf, sizeof buf,
                     "kcrash-event 1\nclass OOPS\nboot b\nseq 18446744073709551615\ntime 0\nsuppressed 18446744073709551615\n"
                     "title t\nsignature s\n\n");
        ASSERT_OK(watch_event_parse(buf, (size_t) n, &e));
        ASSERT_EQ(e.seq == UINT64_MAX, 1);
        ASSERT_EQ(e.suppressed == UINT64_MAX, 1);
        watch_event_done(&e);

        /* a file over the maximum is refused before it is read */
        size_t big = WATCH_EVENT_MAX_SIZE + 1;
        char *huge = malloc(big);
        ASSERT_TRUE(huge);
        memset(huge, 'a', big);
        ASSERT_ERR(watch_event_parse(huge, big, &e), -EFBIG);
        /* exactly the maximum is parsed (and refused here only as malformed) */
        ASSERT_ERR(watch_event_parse(huge, big - 1, &e), -EBADMSG);
        free(huge);
}

TEST(file_names) {
        _cleanup_free_ char *name = NULL;
        ASSERT_OK(watch_event_file_name("0123456789abcdef", 17, &name));
        ASSERT_STREQ(name, "0123456789abcdef-17.event");
        ASSERT_TRUE(watch_event_file_name_valid(name));
        ASSERT_ERR(watch_event_file_name("../x", 1, &name), -EINVAL);
        ASSERT_ERR(watch_event_file_name("", 1, &name), -EINVAL);
        ASSERT_ERR(watch_event_file_name("a/b", 1, &name), -EINVAL);

        ASSERT_TRUE(watch_event_file_name_valid("b-1.event"));
        ASSERT_TRUE(!watch_event_file_name_valid(".event"));
        ASSERT_TRUE(!watch_event_file_name_valid("x.event.tmp"));
        ASSERT_TRUE(!watch_event_file_name_valid(".b-1.event"));   /* a temporary file */
        ASSERT_TRUE(!watch_event_file_name_valid("a/b-1.event"));
        ASSERT_TRUE(!watch_event_file_name_valid("a b-1.event"));
        ASSERT_TRUE(!watch_event_file_name_valid("b-1.EVENT"));
        ASSERT_TRUE(!watch_event_file_name_valid(""));
        char longname[200];
        memset(longname, 'a', sizeof longname);
        strcpy(longname + 123, ".event");            /* 129 characters */
        ASSERT_TRUE(!watch_event_file_name_valid(longname));
        strcpy(longname + 122, ".event");            /* 128 */
        ASSERT_TRUE(watch_event_file_name_valid(longname));
}
