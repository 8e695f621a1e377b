/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "fileio.h"
#include "pstore.h"
#include "tests.h"

TEST(names) {
        PstoreName n;
        ASSERT_OK(pstore_parse_name("dmesg-ramoops-0", &n));
        ASSERT_EQ(n.type, PSTORE_TYPE_DMESG);
        ASSERT_STREQ(n.backend, "ramoops");
        ASSERT_STREQ(n.id, "0");
        ASSERT_TRUE(!n.compressed);

        ASSERT_OK(pstore_parse_name("dmesg-efi-179533524904002", &n));
        ASSERT_STREQ(n.backend, "efi");
        ASSERT_EQ(n.id_number, 179533524904002ULL);

        ASSERT_OK(pstore_parse_name("dmesg-efi_pstore-1700000000001001.enc.z", &n));
        ASSERT_STREQ(n.backend, "efi_pstore");
        ASSERT_TRUE(n.compressed);

        ASSERT_OK(pstore_parse_name("console-ramoops-0", &n));
        ASSERT_EQ(n.type, PSTORE_TYPE_CONSOLE);
        ASSERT_OK(pstore_parse_name("pmsg-ramoops-0", &n));
        ASSERT_EQ(n.type, PSTORE_TYPE_PMSG);
        ASSERT_OK(pstore_parse_name("mce-erst-7031443826137563137", &n));
        ASSERT_EQ(n.type, PSTORE_TYPE_MCE);
        ASSERT_STREQ(n.backend, "erst");
        ASSERT_OK(pstore_parse_name("powerpc-ofw-nvram-1", &n));
        ASSERT_STREQ(n.type_name, "powerpc-ofw");
        ASSERT_STREQ(n.backend, "nvram");
        ASSERT_OK(pstore_parse_name("dmesg-blkoops-3", &n));
        ASSERT_STREQ(n.backend, "blkoops");

        ASSERT_ERR(pstore_parse_name(".keep", &n), -EINVAL);
        ASSERT_ERR(pstore_parse_name("dmesg-ramoops-", &n), -EINVAL);
        ASSERT_ERR(pstore_parse_name("dmesg-ramoops-1x", &n), -EINVAL);
        ASSERT_ERR(pstore_parse_name("dmesg--0", &n), -EINVAL);
        ASSERT_ERR(pstore_parse_name("README", &n), -EINVAL);
        ASSERT_ERR(pstore_parse_name("dmesg-ramoops-99999999999999999999999", &n), -EINVAL);
}

TEST(headers) {
        PstoreHeader h;
        size_t body;
        const char *t = "Panic#2 Part14\n<0>[    1.0] x\n";
        ASSERT_OK(pstore_parse_header(t, strlen(t), &h, &body));
        ASSERT_STREQ(h.reason, "Panic");
        ASSERT_EQ(h.count, 2);
        ASSERT_EQ(h.part, 14);
        ASSERT_EQ(body, 15);
        ASSERT_OK(pstore_parse_header("Oops#1 Part1", 12, &h, &body));
        ASSERT_EQ(body, 12);
        ASSERT_OK(pstore_parse_header("Shutdown#1 Part1\n", 17, &h, NULL));
        ASSERT_TRUE(!pstore_reason_is_crash(h.reason));
        ASSERT_OK(pstore_parse_header("Emergency#3 Part2\n", 18, &h, NULL));
        ASSERT_TRUE(pstore_reason_is_crash(h.reason));
        ASSERT_ERR(pstore_parse_header("Panic#1 Part\n", 13, &h, NULL), -EBADMSG);
        ASSERT_ERR(pstore_parse_header("Panic#1 Part1 x\n", 16, &h, NULL), -EBADMSG);
        ASSERT_ERR(pstore_parse_header("<0>[ 1.0] Panic#1 Part1\n", 24, &h, NULL), -EBADMSG);
        ASSERT_ERR(pstore_parse_header("Panic#99999999 Part1\n", 21, &h, NULL), -EBADMSG);
        ASSERT_ERR(pstore_parse_header("", 0, &h, NULL), -EBADMSG);
        ASSERT_ERR(pstore_parse_header("Panic#1 Part0\n", 14, &h, NULL), -EBADMSG); /* parts count from 1 */
        ASSERT_OK(pstore_parse_header("Panic#1 Part999\n", 16, &h, NULL));
        ASSERT_ERR(pstore_parse_header("Panic#1 Part1000\n", 17, &h, NULL), -EBADMSG); /* PSTORE_MAX_PART */
}

static PstoreScan *scan_fixture(const char *scenario) {
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/%s/pstore", test_fixtures_dir(), scenario) < 0)
                abort();
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_dir(dir, 64 << 20, &s));
        return s;
}

static size_t crash_events(const PstoreScan *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_events; i++)
                n += s->events[i]->is_crash;
        return n;
}

TEST(sysrq_panic_is_one_crash) {
        PstoreScan *s = scan_fixture("pstore-ramoops-sysrq-panic");
        ASSERT_EQ(s->n_events, 1);
        ASSERT_EQ(crash_events(s), 1);
        ASSERT_EQ(s->events[0]->n_dumps, 1);
        ASSERT_STREQ(s->events[0]->dumps[0]->reason, "Panic");
        ASSERT_TRUE(strstr(s->events[0]->dumps[0]->text, "Kernel panic - not syncing: sysrq triggered crash"));
        ASSERT_TRUE(!strstr(s->events[0]->dumps[0]->text, "Panic#1 Part1"));
        pstore_scan_free(s);
}

TEST(oops_and_its_panic_are_one_crash) {
        static const char *const scenarios[] = {
                "pstore-ramoops-oops-then-panic",
                "pstore-ramoops-oops-then-panic-max-reason-2",
                "pstore-ramoops-bug-panic",
                "pstore-ramoops-gpf-panic",
                "pstore-ramoops-module-init-oops-panic",
                "pstore-ramoops-two-crashes-uncollected",
                "pstore-ramoops-small-record-truncated",
        };
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++) {
                PstoreScan *s = scan_fixture(scenarios[i]);
                if (s->n_events != 1 || s->events[0]->n_dumps != 2)
                        test_fail(__FILE__, __LINE__, "%s: %zu events, %zu dumps", scenarios[i], s->n_events,
                                  s->n_events ? s->events[0]->n_dumps : 0);
                ASSERT_STREQ(s->events[0]->dumps[0]->reason, "Oops");
                ASSERT_STREQ(s->events[0]->dumps[1]->reason, "Panic");
                ASSERT_TRUE(s->events[0]->is_crash);
                pstore_scan_free(s);
        }
}

TEST(single_dump_scenarios) {
        static const struct {
                const char *scenario, *reason;
                bool crash;
        } cases[] = {
                { "pstore-ramoops-oops-then-panic-max-reason-1", "Panic", true },
                { "pstore-ramoops-oops-no-panic", "Oops", true },
                { "pstore-ramoops-warn-panic", "Panic", true },
                { "pstore-ramoops-softlockup-panic", "Panic", true },
                { "pstore-ramoops-oom-panic", "Panic", true },
                { "pstore-ramoops-module-panic", "Panic", true },
                { "pstore-ramoops-clean-reboot-max-reason-4", "Shutdown", false },
                { "kdump-plus-pstore-sysrq-panic", "Panic", true },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                PstoreScan *s = scan_fixture(cases[i].scenario);
                ASSERT_EQ(s->n_events, 1);
                ASSERT_EQ(s->events[0]->n_dumps, 1);
                ASSERT_STREQ(s->events[0]->dumps[0]->reason, cases[i].reason);
                if (s->events[0]->is_crash != cases[i].crash)
                        test_fail(__FILE__, __LINE__, "%s: is_crash", cases[i].scenario);
                pstore_scan_free(s);
        }
}

TEST(clean_reboot_has_no_records) {
        PstoreScan *s = scan_fixture("pstore-ramoops-clean-reboot");
        ASSERT_EQ(s->n_events, 0);
        ASSERT_EQ(s->n_records, 0); /* .keep is skipped */
        pstore_scan_free(s);
}

TEST(ecc_note_is_not_log_text) {
        PstoreScan *s = scan_fixture("pstore-ramoops-ecc-sysrq-panic");
        ASSERT_EQ(s->n_events, 1);
        PstoreRecord *r = s->events[0]->dumps[0]->parts[0];
        ASSERT_STREQ(r->ecc_note, "ECC: No errors detected");
        ASSERT_TRUE(!strstr(s->events[0]->dumps[0]->text, "ECC:"));
        ASSERT_TRUE(strstr(s->events[0]->dumps[0]->text, "Kernel Offset:"));
        pstore_scan_free(s);
}

TEST(efi_parts_reassemble_in_log_order) {
        PstoreScan *s = scan_fixture("pstore-efi-sysrq-panic");
        ASSERT_EQ(s->n_events, 1);
        PstoreDump *d = s->events[0]->dumps[0];
        ASSERT_EQ(s->events[0]->n_dumps, 1);
        ASSERT_EQ(d->n_parts, 14);
        ASSERT_EQ(d->n_missing, 0);
        ASSERT_EQ(d->parts[0]->header.part, 14);
        ASSERT_EQ(d->parts[13]->header.part, 1);
        /* The reassembled log is in time order: timestamps never go backwards. */
        double last = -1;
        for (const char *p = d->text; (p = strstr(p, "<")); p++) {
                const char *b = strchr(p, '[');
                if (!b || b - p > 5)
                        continue;
                double t = strtod(b + 1, NULL);
                ASSERT_TRUE(t >= last);
                last = t;
        }
        ASSERT_TRUE(strstr(d->text, "sysrq triggered crash"));
        ASSERT_TRUE(!strstr(d->text, " Part"));
        pstore_scan_free(s);
}

TEST(missing_part_is_marked_not_dropped) {
        _cleanup_free_ char *src = NULL;
        ASSERT_TRUE(asprintf(&src, "%s/pstore-efi-sysrq-panic/pstore", test_fixtures_dir()) > 0);
        DIR *d = opendir(src);
        ASSERT_TRUE(d);
        PstoreRecord **recs = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(src, de->d_name), *data = NULL;
                size_t size;
                ASSERT_OK(read_full_file(p, 1 << 20, &data, &size));
                if (strneq(data, "Panic#1 Part5\n", 14))
                        continue; /* lose part 5 */
                recs = realloc(recs, (n + 1) * sizeof *recs);
                ASSERT_OK(pstore_record_new(de->d_name, data, size, 1795335249, &recs[n++]));
        }
        closedir(d);
        ASSERT_EQ(n, 13);
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_records(recs, n, &s));
        ASSERT_EQ(s->n_events, 1);
        PstoreDump *dump = s->events[0]->dumps[0];
        ASSERT_EQ(dump->n_missing, 1);
        ASSERT_EQ(dump->missing_parts[0], 5);
        ASSERT_TRUE(strstr(dump->text, "[kcrash: Panic#1 Part5 is missing]"));
        pstore_scan_free(s);
}

TEST(leftovers_and_unknown_files) {
        PstoreRecord *recs[4];
        const char *oops = "Oops#1 Part1\n<4>[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n";
        ASSERT_OK(pstore_record_new("console-ramoops-0", "console text\n", 13, 100, &recs[0]));
        ASSERT_OK(pstore_record_new("README", "not a record", 12, 100, &recs[1]));
        ASSERT_OK(pstore_record_new("dmesg-ramoops-0", oops, strlen(oops), 100, &recs[2]));
        ASSERT_OK(pstore_record_new("dmesg-efi-1.enc.z", "\x78\x9c\x01", 3, 100, &recs[3]));
        PstoreRecord **heap = malloc(sizeof recs);
        memcpy(heap, recs, sizeof recs);
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_records(heap, 4, &s));
        ASSERT_EQ(s->n_unknown, 1);
        ASSERT_EQ(s->n_events, 1);
        ASSERT_TRUE(s->events[0]->is_crash);
        ASSERT_EQ(s->events[0]->n_extra, 2); /* console + compressed record kept with the crash */
        pstore_scan_free(s);

        /* Without a crash, a console record is what a clean reboot leaves. */
        ASSERT_OK(pstore_record_new("console-ramoops-0", "console text\n", 13, 100, &recs[0]));
        heap = malloc(sizeof(PstoreRecord *));
        heap[0] = recs[0];
        ASSERT_OK(pstore_scan_records(heap, 1, &s));
        ASSERT_EQ(s->n_events, 1);
        ASSERT_TRUE(!s->events[0]->is_crash);
        pstore_scan_free(s);
}

/* Reads the efi fixture's records into new records, and a second copy under
 * ids and times shifted by 'later' seconds when later > 0: the same panic
 * stored again after a reboot, as a crash loop leaves it (efi-pstore ids are
 * (seconds * 100 + part) * 1000 + count). */
static size_t efi_records(time_t later, const char *marker, PstoreRecord ***recs, size_t n) {
        _cleanup_free_ char *src = NULL;
        ASSERT_TRUE(asprintf(&src, "%s/pstore-efi-sysrq-panic/pstore", test_fixtures_dir()) > 0);
        DIR *d = opendir(src);
        ASSERT_TRUE(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(src, de->d_name), *data = NULL, *name = NULL, *text = NULL;
                size_t size;
                ASSERT_OK(read_full_file(p, 1 << 20, &data, &size));
                PstoreName pn;
                ASSERT_OK(pstore_parse_name(de->d_name, &pn));
                uint64_t id = pn.id_number + (uint64_t) later * 100000;
                ASSERT_TRUE(asprintf(&name, "dmesg-efi-%" PRIu64, id) > 0);
                /* Mark the second crash's Part1 so that its text can be told apart. */
                const char *body = data;
                if (marker && strneq(data, "Panic#1 Part1\n", 14)) {
                        ASSERT_TRUE(asprintf(&text, "%s%s\n", data, marker) > 0);
                        body = text;
                        size = strlen(text);
                }
                *recs = realloc(*recs, (n + 1) * sizeof **recs);
                ASSERT_OK(pstore_record_new(name, body, size, (time_t) (id / 100000), &(*recs)[n++]));
        }
        closedir(d);
        return n;
}

/* Every record the collector will remove with an event has its bytes in that
 * event's text (dump parts) or is kept whole (extra records). */
static void assert_records_accounted(const PstoreScan *s) {
        size_t placed = s->n_unknown;
        for (size_t i = 0; i < s->n_events; i++) {
                const PstoreEvent *e = s->events[i];
                for (size_t j = 0; j < e->n_dumps; j++)
                        for (size_t k = 0; k < e->dumps[j]->n_parts; k++) {
                                const PstoreRecord *r = e->dumps[j]->parts[k];
                                ASSERT_TRUE(r->body_size == 0 ||
                                            memmem(e->dumps[j]->text, e->dumps[j]->text_size, r->body, r->body_size));
                                placed++;
                        }
                placed += e->n_extra;
        }
        ASSERT_EQ(placed, s->n_records);
}

TEST(efi_crash_loop_is_two_crashes) {
        PstoreRecord **recs = NULL;
        size_t n = efi_records(0, NULL, &recs, 0);
        n = efi_records(95, "<0>[   99.000000] second crash", &recs, n);
        ASSERT_EQ(n, 28);
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_records(recs, n, &s));
        /* Two crashes: two events, each one complete 14-part Panic#1 dump. */
        ASSERT_EQ(s->n_events, 2);
        ASSERT_EQ(crash_events(s), 2);
        for (size_t i = 0; i < 2; i++) {
                ASSERT_EQ(s->events[i]->n_dumps, 1);
                ASSERT_EQ(s->events[i]->dumps[0]->n_parts, 14);
                ASSERT_EQ(s->events[i]->dumps[0]->n_missing, 0);
                ASSERT_TRUE(strstr(s->events[i]->dumps[0]->text, "sysrq triggered crash"));
        }
        /* The older crash first, the newer one with its own text and time. */
        ASSERT_TRUE(s->events[0]->crash_time < s->events[1]->crash_time);
        ASSERT_TRUE(!strstr(s->events[0]->dumps[0]->text, "second crash"));
        ASSERT_TRUE(strstr(s->events[1]->dumps[0]->text, "second crash"));
        ASSERT_EQ(s->events[0]->crash_time, 1795335227);
        ASSERT_EQ(s->events[1]->crash_time, 1795335227 + 95);
        assert_records_accounted(s);
        pstore_scan_free(s);
}

TEST(efi_crash_loop_with_oops_and_panic) {
        /* Each boot: Oops#1 then Panic#2, one part each, the same text (a
         * deterministic crash). Each Panic joins its own boot's Oops. */
        static const char oops[] = "Oops#1 Part1\n<4>[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n";
        static const char panic[] = "Panic#2 Part1\n<4>[    2.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
                                    "<0>[    2.100000] Kernel panic - not syncing: Fatal exception\n";
        PstoreRecord **recs = calloc(4, sizeof *recs);
        ASSERT_OK(pstore_record_new("dmesg-efi-170000000001001", oops, strlen(oops), 1700000000, &recs[0]));
        ASSERT_OK(pstore_record_new("dmesg-efi-170000000001002", panic, strlen(panic), 1700000000, &recs[1]));
        ASSERT_OK(pstore_record_new("dmesg-efi-170000006001001", oops, strlen(oops), 1700000060, &recs[2]));
        ASSERT_OK(pstore_record_new("dmesg-efi-170000006001002", panic, strlen(panic), 1700000060, &recs[3]));
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_records(recs, 4, &s));
        ASSERT_EQ(s->n_events, 2);
        for (size_t i = 0; i < 2; i++) {
                ASSERT_EQ(s->events[i]->n_dumps, 2);
                ASSERT_STREQ(s->events[i]->dumps[0]->reason, "Oops");
                ASSERT_STREQ(s->events[i]->dumps[1]->reason, "Panic");
                ASSERT_EQ(s->events[i]->dumps[0]->parts[0]->mtime, s->events[i]->dumps[1]->parts[0]->mtime);
        }
        assert_records_accounted(s);
        pstore_scan_free(s);
}

TEST(part_numbers_repeat_only_across_dumps) {
        /* ramoops: two "Panic#1 Part1" records in two zones are two dumps,
         * never one dump with a dropped duplicate. */
        static const char a[] = "Panic#1 Part1\n<0>[    5.000000] Kernel panic - not syncing: first\n";
        static const char b[] = "Panic#1 Part1\n<0>[    7.000000] Kernel panic - not syncing: second\n";
        PstoreRecord **recs = calloc(2, sizeof *recs);
        ASSERT_OK(pstore_record_new("dmesg-ramoops-0", a, strlen(a), 100, &recs[0]));
        ASSERT_OK(pstore_record_new("dmesg-ramoops-1", b, strlen(b), 200, &recs[1]));
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_records(recs, 2, &s));
        ASSERT_EQ(s->n_dumps, 2);
        ASSERT_EQ(s->n_events, 2);
        assert_records_accounted(s);
        pstore_scan_free(s);
}

/* A FIFO in the folder (PSTORE_DIR need not be pstorefs) is not a record,
 * and opening it does not block the scan. */
TEST(fifo_does_not_block) {
        _cleanup_free_ char *dir = test_tmpdir(), *fifo = path_join(dir, "dmesg-ramoops-0");
        ASSERT_TRUE(mkfifo(fifo, 0600) == 0);
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_dir(dir, 64 << 20, &s));
        ASSERT_EQ(s->n_events, 0);
        pstore_scan_free(s);
}

/* A symlink (ELOOP under O_NOFOLLOW) or a socket (ENXIO) in the folder is
 * not a record either: the scan skips it. It failed the whole scan, and the
 * collector then left every crash, kdump captures too, at every boot
 * (attack review). */
TEST(symlink_or_socket_does_not_stop_the_scan) {
        _cleanup_free_ char *dir = test_tmpdir(), *link = path_join(dir, "stray"),
                            *sock = path_join(dir, "dmesg-ramoops-1"), *rec = path_join(dir, "dmesg-ramoops-0");
        ASSERT_TRUE(symlink("/etc/hostname", link) == 0);
        test_make_socket(sock);
        const char *text = "Panic#1 Part1\n<0>[   12.000000] Kernel panic - not syncing: sysrq triggered crash\n";
        ASSERT_OK(write_file_atomic(rec, text, strlen(text), 0600));
        PstoreScan *s = NULL;
        ASSERT_OK(pstore_scan_dir(dir, 64 << 20, &s));
        ASSERT_EQ(s->n_events, 1);
        pstore_scan_free(s);
}
