/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "macro.h"
#include "redact.h"
#include "tests.h"

static void check(const char *in, unsigned flags, const char *expected, size_t expected_count) {
        char *out = NULL;
        size_t n, count;
        ASSERT_OK(redact_text(in, strlen(in), flags, &out, &n, &count));
        if (strcmp(out, expected) != 0)
                test_fail(__FILE__, __LINE__, "redact(\"%s\") = \"%s\", expected \"%s\"", in, out, expected);
        ASSERT_EQ(n, strlen(expected));
        ASSERT_EQ(count, expected_count);
        free(out);
}

TEST(patterns) {
        check("wlan0: authenticate with 00:1a:2b:3c:4d:5e (try 1/3)", REDACT_ALL,
              "wlan0: authenticate with [MAC] (try 1/3)", 1);
        check("e1000e: eth0 NIC Link is Up, addr 00-1A-2B-3C-4D-5E.", REDACT_MAC, "e1000e: eth0 NIC Link is Up, addr [MAC].", 1);
        check("dhcp: lease 192.168.1.20 from 10.0.0.1", REDACT_ALL, "dhcp: lease [IP] from [IP]", 2);
        check("ipv6: fe80::1a2b:3cff:fe4d:5e6f on wlan0", REDACT_ALL, "ipv6: [IP] on wlan0", 1);
        check("addr 2001:0db8:0000:0000:0000:ff00:0042:8329 ok", REDACT_ALL, "addr [IP] ok", 1);
        check("mail from alice.smith+x@example.co.uk.", REDACT_ALL, "mail from [EMAIL].", 1);
        check("only IPs 1.2.3.4 a@b.org", REDACT_IPV4, "only IPs [IP] a@b.org", 1);
        /* An IPv4-mapped IPv6 address is one address: no readable dotted tail. */
        check("peer ::ffff:192.168.1.20 up", REDACT_ALL, "peer [IP] up", 1);
        check("64:ff9b::10.0.0.1", REDACT_ALL, "[IP]", 1);
        /* The longest match wins: this e-mail is not an IPv4 address plus a domain. */
        check("to 10.0.0.1x@example.org", REDACT_ALL, "to [EMAIL]", 1);
}

TEST(kernel_log_text_is_left_alone) {
        /* timestamps, versions, PCI addresses, pointers, call traces */
        static const char *const keep[] = {
                "<4>[    3.588102]  dump_stack_lvl+0x44/0x5c",
                "Linux version 6.1.0-56-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)",
                "pci 0000:00:02.0: [1234:1111] type 00 class 0x030000",
                "RIP: 0010:sysrq_handle_crash+0x16/0x20",
                "RSP: 0018:ffffb2a9c03d3e68 EFLAGS: 00010282",
                "Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
                "Code: 48 89 e5 c7 05 11 22 33 44 01 00 00 00",
                "version 1.2.3.4.5",
                "12:34:56",
                "std::vector",
        };
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                check(keep[i], REDACT_ALL, keep[i], 0);
}

TEST(hostile_input_is_linear_and_safe) {
        size_t n = 4 << 20;
        char *big = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = "a:1.@-"[i % 6];
        big[n] = 0;
        char *out = NULL;
        size_t out_n;
        ASSERT_OK(redact_text(big, n, REDACT_ALL, &out, &out_n, NULL));
        ASSERT_TRUE(out_n <= n);
        free(out);
        memset(big, 'a', n);
        ASSERT_OK(redact_text(big, n, REDACT_ALL, &out, &out_n, NULL));
        ASSERT_EQ(out_n, n);
        free(out);
        free(big);
        ASSERT_OK(redact_text("", 0, REDACT_ALL, &out, &out_n, NULL));
        ASSERT_EQ(out_n, 0);
        free(out);
}

TEST(nul_is_not_part_of_an_address) {
        /* strchr("._%+-", 0) is not NULL: a NUL byte counted as an e-mail
         * character, and "[EMAIL]" swallowed it and the bytes before it. */
        static const char in[] = "id 1\0\0\0x0.1x@example.org";
        char *out = NULL;
        size_t n, count;
        ASSERT_OK(redact_text(in, sizeof in - 1, REDACT_ALL, &out, &n, &count));
        ASSERT_EQ(count, 1);
        ASSERT_EQ(n, 7 + 7);
        ASSERT_TRUE(memcmp(out, "id 1\0\0\0[EMAIL]", 14) == 0);
        free(out);
}

TEST(replacement_longer_than_match) {
        /* "1::" (3 bytes) and "a@b.cd" (6 bytes) become "[IP]" and "[EMAIL]":
         * the output can be longer than the input. A log full of such tokens
         * overflowed a buffer sized for the input. */
        check("1::", REDACT_ALL, "[IP]", 1);
        check("::1", REDACT_ALL, "[IP]", 1);
        check("a@b.cd", REDACT_ALL, "[EMAIL]", 1);
        check("1:: ::1 a@b.cd", REDACT_ALL, "[IP] [IP] [EMAIL]", 3);

        size_t k = 100000;
        char *in = malloc(4 * k + 1);
        ASSERT_TRUE(in);
        for (size_t i = 0; i < k; i++)
                memcpy(in + 4 * i, "1:: ", 4);
        in[4 * k] = 0;
        char *out = NULL;
        size_t out_n, count;
        ASSERT_OK(redact_text(in, 4 * k, REDACT_ALL, &out, &out_n, &count));
        ASSERT_EQ(count, k);
        ASSERT_EQ(out_n, 5 * k);
        ASSERT_EQ(strlen(out), 5 * k);
        for (size_t i = 0; i < k; i++)
                ASSERT_TRUE(memcmp(out + 5 * i, "[IP] ", 5) == 0);
        free(out);
        free(in);
}
