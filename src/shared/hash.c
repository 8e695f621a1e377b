/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "hash.h"
#include "macro.h"

/* SHA-256 as FIPS 180-4 defines it, built in, as systemd does
 * (src/fundamental/sha256.c) for the same reason: it was libcrypto's, and
 * loading and initialising OpenSSL 3 (its configuration file, the default
 * provider, the fetch of SHA-256) cost the collector more time and memory
 * than hashing a report (3.4 MiB resident); libzip never needs it for an
 * unencrypted archive. Checked against FIPS 180-4's and RFC 4231's vectors,
 * both implementations (tests/unit/test-hash.c). */

struct Sha256Stream {
        uint32_t h[8];
        uint64_t length;        /* bytes fed */
        unsigned char block[64];
        size_t used;            /* bytes in block */
};

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) {
        return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p) {
        uint32_t w[64];
        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8 |
                       (uint32_t) p[4 * i + 3];
        for (unsigned i = 16; i < 64; i++) {
                uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
        for (unsigned i = 0; i < 64; i++) {
                uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
                uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
                k = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += k;
}

#if defined(__x86_64__)
/* The SHA extensions (Intel's "SHA-NI", in AMD's since Zen, the Steam Deck's
 * too): the portable rounds above cost ~60 instructions a byte, so hashing a
 * 2 MiB record for its marker and again for report.json took longer than
 * deflating it. Message words are byte-swapped into lanes; the state is kept
 * as ABEF/CDGH, the order sha256rnds2 wants. */
__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_blocks_shani(uint32_t h[8], const unsigned char *p, size_t n_blocks) {
        const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[0]), 0xB1); /* CDAB */
        __m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &h[4]), 0x1B); /* EFGH */
        __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);                                 /* ABEF */
        state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                      /* CDGH */
        for (; n_blocks > 0; n_blocks--, p += 64) {
                __m128i abef = state0, cdgh = state1, w[16];
                for (unsigned i = 0; i < 16; i++) {
                        if (i < 4)
                                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (p + 16 * i)), bswap);
                        else
                                w[i] = _mm_sha256msg2_epu32(
                                        _mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
                                                      _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
                                        w[i - 1]);
                        __m128i msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *) &K[4 * i]));
                        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
                        state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
                }
                state0 = _mm_add_epi32(state0, abef);
                state1 = _mm_add_epi32(state1, cdgh);
        }
        tmp = _mm_shuffle_epi32(state0, 0x1B);                 /* FEBA */
        state1 = _mm_shuffle_epi32(state1, 0xB1);              /* DCHG */
        state0 = _mm_blend_epi16(tmp, state1, 0xF0);           /* DCBA */
        state1 = _mm_alignr_epi8(state1, tmp, 8);              /* HGFE */
        _mm_storeu_si128((__m128i *) &h[0], state0);
        _mm_storeu_si128((__m128i *) &h[4], state1);
}

static bool have_shani(void) {
        /* Atomic: the receiver hashes in several threads; two that ask
         * first both compute the same answer (ThreadSanitizer saw the race). */
        static _Atomic int have = -1;
        int known = atomic_load_explicit(&have, memory_order_relaxed);
        if (known < 0) {
                unsigned a, b, c, d;
                /* SHA: CPUID.(7,0):EBX[29]; SSSE3 and SSE4.1: CPUID.1:ECX[9], [19] */
                known = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19)) &&
                        __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
                atomic_store_explicit(&have, known, memory_order_relaxed);
        }
        return known > 0;
}
#endif

static Sha256Impl impl = SHA256_IMPL_AUTO;

void sha256_set_impl(Sha256Impl i) {
        impl = i;
}

static void sha256_blocks(uint32_t h[8], const unsigned char *p, size_t n_blocks) {
#if defined(__x86_64__)
        if (impl == SHA256_IMPL_AUTO && have_shani()) {
                sha256_blocks_shani(h, p, n_blocks);
                return;
        }
#endif
        for (; n_blocks > 0; n_blocks--, p += 64)
                sha256_block(h, p);
}

static void stream_init(Sha256Stream *s) {
        static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
        *s = (Sha256Stream) {};
        memcpy(s->h, iv, sizeof iv);
}

static void stream_update(Sha256Stream *s, const void *data, size_t size) {
        const unsigned char *p = data;
        s->length += size;
        if (s->used > 0) {
                size_t n = MIN(size, sizeof s->block - s->used);
                memcpy(s->block + s->used, p, n);
                s->used += n;
                p += n;
                size -= n;
                if (s->used < sizeof s->block)
                        return;
                sha256_blocks(s->h, s->block, 1);
                s->used = 0;
        }
        sha256_blocks(s->h, p, size / 64);
        p += size / 64 * 64;
        size %= 64;
        if (size > 0) {
                memcpy(s->block, p, size);
                s->used = size;
        }
}

static void stream_final(Sha256Stream *s, unsigned char md[32]) {
        uint64_t bits = s->length * 8;
        static const unsigned char pad[64] = { 0x80 };
        unsigned char len[8];
        for (unsigned i = 0; i < 8; i++)
                len[i] = (unsigned char) (bits >> (56 - 8 * i));
        /* 0x80, zeros up to 56 bytes into a block, the length in bits */
        stream_update(s, pad, s->used < 56 ? 56 - s->used : 120 - s->used);
        stream_update(s, len, sizeof len);
        for (unsigned i = 0; i < 8; i++)
                for (unsigned j = 0; j < 4; j++)
                        md[4 * i + j] = (unsigned char) (s->h[i] >> (24 - 8 * j));
}

static void to_hex(const unsigned char *md, unsigned len, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned i = 0; i < len; i++) {
                out[2 * i] = digits[md[i] >> 4];
                out[2 * i + 1] = digits[md[i] & 15];
        }
        out[2 * len] = 0;
}

int sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        Sha256Stream s;
        unsigned char md[32];
        stream_init(&s);
        stream_update(&s, data, size);
        stream_final(&s, md);
        to_hex(md, sizeof md, ret);
        return 0;
}

int sha256_stream_new(Sha256Stream **ret) {
        Sha256Stream *s = malloc(sizeof *s);
        if (!s)
                return -ENOMEM;
        stream_init(s);
        *ret = s;
        return 0;
}

int sha256_stream_update(Sha256Stream *s, const void *data, size_t size) {
        if (size > 0)
                stream_update(s, data, size);
        return 0;
}

int sha256_stream_final_hex(Sha256Stream *s, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[32];
        stream_final(s, md);
        to_hex(md, sizeof md, ret);
        return 0;
}

Sha256Stream *sha256_stream_free(Sha256Stream *s) {
        free(s);
        return NULL;
}

int sha256_iov_hex(const struct iovec *iov, size_t n, char ret[SHA256_HEX_SIZE]) {
        Sha256Stream s;
        stream_init(&s);
        for (size_t i = 0; i < n; i++)
                if (iov[i].iov_len > 0)
                        stream_update(&s, iov[i].iov_base, iov[i].iov_len);
        return sha256_stream_final_hex(&s, ret);
}

int sha256_file_hex(const char *path, char ret[SHA256_HEX_SIZE]) {
        unsigned char buf[65536];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        Sha256Stream s;
        stream_init(&s);
        for (;;) {
                ssize_t k = read(fd, buf, sizeof buf);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                stream_update(&s, buf, (size_t) k);
        }
        return sha256_stream_final_hex(&s, ret);
}

/* RFC 2104 with SHA-256: a key longer than a block is hashed first. */
int hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        unsigned char k[64] = {}, pad[64], inner[32], md[32];
        Sha256Stream s;
        if (key_size > sizeof k) {
                stream_init(&s);
                stream_update(&s, key, key_size);
                stream_final(&s, k);
        } else if (key_size > 0)
                memcpy(k, key, key_size);
        for (unsigned i = 0; i < 64; i++)
                pad[i] = k[i] ^ 0x36;
        stream_init(&s);
        stream_update(&s, pad, sizeof pad);
        if (size > 0)
                stream_update(&s, data, size);
        stream_final(&s, inner);
        for (unsigned i = 0; i < 64; i++)
                pad[i] = k[i] ^ 0x5c;
        stream_init(&s);
        stream_update(&s, pad, sizeof pad);
        stream_update(&s, inner, sizeof inner);
        stream_final(&s, md);
        to_hex(md, sizeof md, ret);
        return 0;
}
