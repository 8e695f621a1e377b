/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's parts, one at a time (collect-internal.h); the whole run
 * on fake trees is tests/integration/collect_test.py. */
#include <sys/stat.h>
#include <unistd.h>

#include "collect-internal.h"
#include "fileio.h"
#include "hash.h"
#include "tests.h"

/* kdump's dmesg.txt has no "<N>" levels; pstore's records do. The same
 * crash line in both is the same crash; another boot's line is not. */
TEST(same_crash_across_pstore_and_kdump) {
        static const char pstore_text[] = "<6>[    1.000000] booting\n"
                                          "<0>[  100.123456] Kernel panic - not syncing: sysrq triggered crash\n";
        static const char kdump_same[] = "[    1.000000] booting\n"
                                         "[  100.123456] Kernel panic - not syncing: sysrq triggered crash\n";
        static const char kdump_other[] = "[  200.000001] Kernel panic - not syncing: sysrq triggered crash\n";
        const char *a;
        size_t len;
        ASSERT_OK(crash_anchor(pstore_text, sizeof pstore_text - 1, &a, &len));
        ASSERT_TRUE(strneq(a, "[  100.123456] Kernel panic", 27));
        ASSERT_EQ(a[len], '\n');
        ASSERT_ERR(crash_anchor("[ 1.0] nothing here\n<1>BUG: no timestamp\n", 40, &a, &len), -ENOENT);

        PstoreDump d = { .text = pstore_text, .text_size = sizeof pstore_text - 1 };
        PstoreDump *dumps[] = { &d };
        PstoreEvent pe = { .dumps = dumps, .n_dumps = 1 };
        KdumpCapture k = { .dmesg = (char *) kdump_same, .dmesg_size = sizeof kdump_same - 1 };
        ASSERT_TRUE(same_crash(&pe, &k));
        k.dmesg = (char *) kdump_other;
        k.dmesg_size = sizeof kdump_other - 1;
        ASSERT_TRUE(!same_crash(&pe, &k));
        k.dmesg = NULL;
        ASSERT_TRUE(!same_crash(&pe, &k));
}

/* A marker is root's file naming a report id and maybe the ZIP's hash;
 * anything else never says that a report exists. */
TEST(marker_read_trusts_only_a_sane_marker) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *good = path_join(dir, "good"), *nohash = path_join(dir, "nohash"),
                            *badid = path_join(dir, "badid"), *link = path_join(dir, "link"),
                            *wide = path_join(dir, "wide");
        char h[SHA256_HEX_SIZE];
        ASSERT_OK(sha256_hex("x", 1, h));
        _cleanup_free_ char *text = NULL;
        ASSERT_TRUE(asprintf(&text, "holo-1-a.202611301200\n%s\n", h) > 0);
        ASSERT_OK(write_file_atomic(good, text, strlen(text), 0600));
        ASSERT_OK(write_file_atomic(nohash, "holo-1-a.202611301200\nnot-a-hash\n", 34, 0600));
        ASSERT_OK(write_file_atomic(badid, "../../etc/passwd\n", 17, 0600));
        ASSERT_OK(write_file_atomic(wide, "holo\n", 5, 0666));
        ASSERT_OK(symlink(good, link) < 0 ? -errno : 0);

        char *id = NULL, *hash = NULL;
        ASSERT_OK(marker_read(good, &id, &hash));
        ASSERT_STREQ(id, "holo-1-a.202611301200");
        ASSERT_STREQ(hash, h);
        free(id);
        free(hash);
        ASSERT_OK(marker_read(nohash, &id, &hash));
        ASSERT_TRUE(!hash);
        free(id);
        id = NULL;
        ASSERT_ERR(marker_read(badid, &id, &hash), -EBADMSG);
        ASSERT_TRUE(marker_read(link, &id, &hash) < 0);
        ASSERT_TRUE(marker_read(wide, &id, &hash) < 0);
        ASSERT_TRUE(!id);
}

TEST(members_own_what_they_are_given) {
        Members m = {};
        ASSERT_OK(members_add(&m, member_name("dmesg-pstore", "202611301200", "txt"), "x", 1, NULL));
        ASSERT_STREQ(m.items[0].name, "dmesg-pstore.202611301200.txt");
        ASSERT_OK(members_add(&m, strdup("v"), NULL, 0, strdup("owned")));
        ASSERT_ERR(members_add(&m, NULL, "x", 1, strdup("freed")), -ENOMEM);
        while (m.n < ELEMENTSOF(m.items))
                ASSERT_OK(members_add(&m, strdup("m"), "", 0, NULL));
        ASSERT_ERR(members_add(&m, strdup("one too many"), "", 0, strdup("freed too")), -E2BIG);
        members_done(&m);
        ASSERT_EQ(m.n, 0);
}

/* One log is analysed where it lies; several are joined once, in order. */
TEST(log_parts_join_copies_only_when_needed) {
        LogParts p = {};
        const char *text;
        size_t size;
        char *owned = (char *) "unset";
        ASSERT_OK(log_parts_join(&p, &text, &size, &owned));
        ASSERT_EQ(size, 0);
        ASSERT_TRUE(!owned);
        static const char one[] = "first\n", two[] = "second\n";
        ASSERT_OK(log_parts_add(&p, one, sizeof one - 1, true));
        ASSERT_OK(log_parts_add(&p, "", 0, true)); /* empty: not a part */
        ASSERT_OK(log_parts_join(&p, &text, &size, &owned));
        ASSERT_TRUE(text == one && !owned);
        ASSERT_OK(log_parts_add(&p, two, sizeof two - 1, false));
        ASSERT_OK(log_parts_join(&p, &text, &size, &owned));
        ASSERT_STREQ(text, "first\nsecond\n");
        ASSERT_TRUE(owned == text);
        free(owned);
        free(p.items);
}

/* Serials and UUIDs become pseudonyms (HMAC with the install's salt, 16
 * hex digits); everything else stays byte for byte. */
TEST(pseudonymize_dmidecode_hides_only_serials) {
        static const char salt[32] = "0123456789abcdef0123456789abcdef";
        char *text = strdup("# dmidecode 3.4\nSystem Information\n\tManufacturer: Valve\n\tSerial Number: FVAA12345678\n"
                            "\tUUID: 4c4c4544-0042-3510-8052-b4c04f595631\nproduct_serial: FVAA12345678\nno colon\n"
                            "\tSerial Number:\n");
        ASSERT_TRUE(text);
        ASSERT_OK(pseudonymize_dmidecode(salt, sizeof salt, &text));
        ASSERT_TRUE(!strstr(text, "FVAA12345678"));
        ASSERT_TRUE(!strstr(text, "4c4c4544"));
        ASSERT_TRUE(strstr(text, "\tManufacturer: Valve\n"));
        ASSERT_TRUE(strstr(text, "no colon\n"));
        ASSERT_TRUE(strstr(text, "\tSerial Number:\n")); /* empty value: kept */
        char hmac[SHA256_HEX_SIZE];
        ASSERT_OK(hmac_sha256_hex(salt, sizeof salt, "FVAA12345678", 12, hmac));
        hmac[16] = 0;
        _cleanup_free_ char *want = NULL;
        ASSERT_TRUE(asprintf(&want, "\tSerial Number: %s\n", hmac) > 0);
        ASSERT_TRUE(strstr(text, want));
        /* the same serial under the sysfs name: the same pseudonym */
        _cleanup_free_ char *want_sysfs = NULL;
        ASSERT_TRUE(asprintf(&want_sysfs, "product_serial: %s\n", hmac) > 0);
        ASSERT_TRUE(strstr(text, want_sysfs));
        free(text);
}

TEST(summary_text_names_what_is_known) {
        char *records[] = { "dmesg-ramoops-0" }, *notes[] = { "dmesg-ramoops-1 is missing" };
        ReportMeta m = { .id = "r", .source = "pstore", .records = records, .n_records = 1, .notes = notes,
                         .n_notes = 1, .crash_time = 1795996800, .kernel_release = "6.1.0-56-amd64" };
        _cleanup_free_ char *s = summary_text(&m, NULL);
        ASSERT_TRUE(s);
        ASSERT_TRUE(strstr(s, "Title:      (no crash title found in the log)\n"));
        ASSERT_TRUE(strstr(s, "Crash time: 2026-11-30 00:00:00 UTC\n"));
        ASSERT_TRUE(strstr(s, "Source:     pstore (dmesg-ramoops-0)\n"));
        ASSERT_TRUE(strstr(s, "Build:      (unknown)\n"));
        ASSERT_TRUE(strstr(s, "Note:       dmesg-ramoops-1 is missing\n"));

        static const char oops[] = "BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                                   "RIP: 0010:kcrash_test_null+0x5/0x10 [crashme]\n";
        _cleanup_(crash_analysis_freep) CrashAnalysis *a = NULL;
        ASSERT_OK(crash_analyze(oops, sizeof oops - 1, &a));
        _cleanup_free_ char *t = summary_text(&m, a);
        ASSERT_TRUE(t);
        ASSERT_TRUE(strstr(t, "Title:      BUG: unable to handle kernel NULL pointer dereference in kcrash_test_null\n"));
        ASSERT_TRUE(strstr(t, "Culprit:    kcrash_test_null [crashme]\n"));
        ASSERT_TRUE(strstr(t, "Taint:      not tainted\n"));
}
