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

/* FIPS 180-4's examples (the built-in SHA-256): a message over two blocks,
 * a million bytes fed unevenly, every length around the padding boundary
 * against the one-shot hash, and an HMAC key longer than a block. */
TEST(more_vectors) {
        char h[SHA256_HEX_SIZE], a[SHA256_HEX_SIZE];
        static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        ASSERT_OK(sha256_hex(two, sizeof two - 1, h));
        ASSERT_STREQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        _cleanup_free_ char *m = malloc(1000000);
        ASSERT_TRUE(m);
        memset(m, 'a', 1000000);
        Sha256Stream *s = NULL;
        ASSERT_OK(sha256_stream_new(&s));
        for (size_t i = 0, step = 1; i < 1000000; i += step, step = step * 3 % 997 + 1)
                ASSERT_OK(sha256_stream_update(s, m + i, MIN(step, 1000000 - i)));
        ASSERT_OK(sha256_stream_final_hex(s, h));
        s = sha256_stream_free(s);
        ASSERT_STREQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        for (size_t n = 50; n < 140; n++) {
                struct iovec iov[] = { { m, n / 3 }, { m + n / 3, n - n / 3 } };
                ASSERT_OK(sha256_hex(m, n, h));
                ASSERT_OK(sha256_iov_hex(iov, 2, a));
                ASSERT_STREQ(a, h);
        }
        /* RFC 4231 test case 6 */
        unsigned char key[131];
        memset(key, 0xaa, sizeof key);
        static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
        ASSERT_OK(hmac_sha256_hex(key, sizeof key, msg, sizeof msg - 1, h));
        ASSERT_STREQ(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* The portable rounds give what the CPU's SHA instructions give (when this
 * CPU has them; else both are the portable ones), on every length around
 * the block boundaries and on a large buffer fed unevenly, and the
 * vectors above hold for the portable rounds too. */
TEST(portable_matches_accelerated) {
        char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
        size_t size = 3 << 20;
        _cleanup_free_ unsigned char *m = malloc(size);
        ASSERT_TRUE(m);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < size; i++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
                m[i] = (unsigned char) x;
        }
        for (size_t n = 0; n <= 300; n++) {
                sha256_set_impl(SHA256_IMPL_AUTO);
                ASSERT_OK(sha256_hex(m, n, a));
                sha256_set_impl(SHA256_IMPL_PORTABLE);
                ASSERT_OK(sha256_hex(m, n, b));
                ASSERT_STREQ(a, b);
        }
        sha256_set_impl(SHA256_IMPL_AUTO);
        ASSERT_OK(sha256_hex(m, size, a));
        sha256_set_impl(SHA256_IMPL_PORTABLE);
        Sha256Stream *s = NULL;
        ASSERT_OK(sha256_stream_new(&s));
        for (size_t i = 0, step = 1; i < size; i += step, step = step * 7 % 65599 + 1)
                ASSERT_OK(sha256_stream_update(s, m + i, MIN(step, size - i)));
        ASSERT_OK(sha256_stream_final_hex(s, b));
        sha256_stream_free(s);
        ASSERT_STREQ(a, b);

        test_known_vectors();
        test_more_vectors();
        sha256_set_impl(SHA256_IMPL_AUTO);
}
