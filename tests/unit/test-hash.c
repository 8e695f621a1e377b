/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fileio.h"
#include "hash.h"
#include "tests.h"

TEST(known_vectors) {
        char h[SHA256_HEX_SIZE];
        ASSERT_OK(sha256_hex("", 0, h));
        ASSERT_STREQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        ASSERT_OK(sha256_hex("abc", 3, h));
        ASSERT_STREQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        /* RFC 4231 test case 2 */
        ASSERT_OK(hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, h));
        ASSERT_STREQ(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(file_matches_buffer) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "f");
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
        ASSERT_OK(write_file_atomic(p, "abc", 3, 0644));
        ASSERT_OK(sha256_file_hex(p, a));
        ASSERT_OK(sha256_hex("abc", 3, b));
        ASSERT_STREQ(a, b);
        ASSERT_ERR(sha256_file_hex("/nonexistent", a), -ENOENT);
}

TEST(iov_matches_buffer) {
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
        struct iovec iov[] = { { (void *) "kind", 4 }, { (void *) "", 0 }, { (void *) ":name\nlog", 9 } };
        ASSERT_OK(sha256_iov_hex(iov, 3, a));
        ASSERT_OK(sha256_hex("kind:name\nlog", 13, b));
        ASSERT_STREQ(a, b);
        ASSERT_OK(sha256_iov_hex(NULL, 0, a));
        ASSERT_STREQ(a, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* A PUT's body hashed in the pieces it arrives in. */
TEST(stream_matches_buffer) {
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
        static const char text[] = "Kernel panic - not syncing: sysrq triggered crash\n";
        Sha256Stream *s = NULL;
        ASSERT_OK(sha256_stream_new(&s));
        for (size_t i = 0; i < sizeof text - 1; i += 7)
                ASSERT_OK(sha256_stream_update(s, text + i, MIN((size_t) 7, sizeof text - 1 - i)));
        ASSERT_OK(sha256_stream_update(s, NULL, 0));
        ASSERT_OK(sha256_stream_final_hex(s, a));
        s = sha256_stream_free(s);
        ASSERT_OK(sha256_hex(text, sizeof text - 1, b));
        ASSERT_STREQ(a, b);
        ASSERT_OK(sha256_stream_new(&s));
        ASSERT_OK(sha256_stream_final_hex(s, a));
        ASSERT_STREQ(a, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_stream_free(s);
}
