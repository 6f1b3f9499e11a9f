/* crypto_aead_test.c - AES-256-GCM: the GCM specification's test case 16
 * (AES-256, 96-bit IV, AAD) in both directions, tampering of every part of
 * the sealed form (SEAL_EVERIFY, nothing left in the output), round trips
 * with DRBG IVs, and the size checks. */
#include "testlib.h"

#include "crypto/cry_internal.h"

static const char *K16 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char *IV16 = "cafebabefacedbaddecaf888";
static const char *P16 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char *A16 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char *C16 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                         "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
static const char *T16 = "76fc6ece0f4e1768cddf8853bb2d551b";

static uint8_t key[32], iv[12], pt[60], aad[20], ct[60], tag[16];

static void load_vector(void)
{
    CHECK_INT(t_unhex(key, sizeof(key), K16), 32);
    CHECK_INT(t_unhex(iv, sizeof(iv), IV16), 12);
    CHECK_INT(t_unhex(pt, sizeof(pt), P16), 60);
    CHECK_INT(t_unhex(aad, sizeof(aad), A16), 20);
    CHECK_INT(t_unhex(ct, sizeof(ct), C16), 60);
    CHECK_INT(t_unhex(tag, sizeof(tag), T16), 16);
}

static size_t sealed_vector(uint8_t *s)
{
    memcpy(s, iv, 12);
    memcpy(s + 12, ct, 60);
    memcpy(s + 72, tag, 16);
    return 88;
}

static void test_known_answer_open(void)
{
    uint8_t s[88], out[60];
    size_t n = 0;
    load_vector();
    sealed_vector(s);
    CHECK_OK(cry_aead_open(out, sizeof(out), &n, key, aad, sizeof(aad), s, sizeof(s)));
    CHECK_INT(n, 60);
    CHECK_MEM(out, pt, 60);
}

static void test_known_answer_seal(void)
{
    uint8_t s[100];
    size_t n = 0;
    load_vector();
    CHECK_OK(cry_aead_seal_with_iv(s, sizeof(s), &n, key, iv, aad, sizeof(aad), pt, sizeof(pt)));
    CHECK_INT(n, 88);
    CHECK_MEM(s, iv, 12);
    CHECK_MEM(s + 12, ct, 60);
    CHECK_MEM(s + 72, tag, 16);
}

static void test_tamper(void)
{
    uint8_t s[88], out[60];
    size_t n = 12345;
    load_vector();
    /* Flip one bit in the IV, the ciphertext, the tag; change the AAD, the key. */
    size_t where[] = {0, 11, 12, 40, 71, 72, 87};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(where); i++) {
        sealed_vector(s);
        s[where[i]] ^= 0x01;
        memset(out, 0x33, sizeof(out));
        CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, aad, sizeof(aad), s, sizeof(s)),
                  SEAL_EVERIFY);
        for (size_t j = 0; j < sizeof(out); j++)
            if (out[j] != 0 && out[j] != 0x33)
                T_FAIL("plaintext left in the output after a tag mismatch (byte %zu)", j);
    }
    sealed_vector(s);
    uint8_t aad2[20];
    memcpy(aad2, aad, sizeof(aad2));
    aad2[19] ^= 0x80;
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, aad2, sizeof(aad2), s, sizeof(s)),
              SEAL_EVERIFY);
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, aad, 19, s, sizeof(s)), SEAL_EVERIFY);
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, NULL, 0, s, sizeof(s)), SEAL_EVERIFY);
    uint8_t key2[32];
    memcpy(key2, key, 32);
    key2[5] ^= 4;
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key2, aad, sizeof(aad), s, sizeof(s)),
              SEAL_EVERIFY);
    /* Truncated by one byte: the tag moves, must not verify. */
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, aad, sizeof(aad), s, sizeof(s) - 1),
              SEAL_EVERIFY);
    CHECK_INT(n, 12345); /* untouched on failure */
}

static void test_round_trip(void)
{
    uint8_t k[32], a[64], b[64], out[64];
    size_t na = 0, nb = 0, no = 0;
    CHECK_OK(cry_random(k, sizeof(k)));
    const char *msg = "state of defaultdb at tx 30";
    size_t len = strlen(msg);
    CHECK_OK(cry_aead_seal(a, sizeof(a), &na, k, "hdr", 3, msg, len));
    CHECK_OK(cry_aead_seal(b, sizeof(b), &nb, k, "hdr", 3, msg, len));
    CHECK_INT(na, len + CRY_AEAD_OVERHEAD);
    CHECK(memcmp(a, b, 12) != 0); /* fresh IV each time */
    CHECK(memcmp(a + 12, b + 12, len) != 0);
    CHECK_OK(cry_aead_open(out, sizeof(out), &no, k, "hdr", 3, a, na));
    CHECK_INT(no, len);
    CHECK_MEM(out, msg, len);
    CHECK_ERR(cry_aead_open(out, sizeof(out), &no, k, "hdR", 3, a, na), SEAL_EVERIFY);

    /* Empty plaintext and no AAD: a bare tag that still authenticates. */
    CHECK_OK(cry_aead_seal(a, sizeof(a), &na, k, NULL, 0, NULL, 0));
    CHECK_INT(na, CRY_AEAD_OVERHEAD);
    CHECK_OK(cry_aead_open(out, sizeof(out), &no, k, NULL, 0, a, na));
    CHECK_INT(no, 0);
    a[20] ^= 1;
    CHECK_ERR(cry_aead_open(out, sizeof(out), &no, k, NULL, 0, a, na), SEAL_EVERIFY);
}

static void test_sizes(void)
{
    uint8_t k[32] = {1}, s[64], out[64];
    size_t n = 0;
    CHECK_ERR(cry_aead_seal(s, 12 + 16 + 9, &n, k, NULL, 0, "0123456789", 10), SEAL_ELIMIT);
    CHECK_OK(cry_aead_seal(s, 12 + 16 + 10, &n, k, NULL, 0, "0123456789", 10));
    CHECK_ERR(cry_aead_open(out, 9, &n, k, NULL, 0, s, 38), SEAL_ELIMIT);
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, k, NULL, 0, s, 27), SEAL_EINVAL);
    CHECK_OK(cry_aead_open(out, 10, &n, k, NULL, 0, s, 38));
    CHECK_MEM(out, "0123456789", 10);
}

int main(void)
{
    t_init();
    RUN(test_known_answer_open);
    RUN(test_known_answer_seal);
    RUN(test_tamper);
    RUN(test_round_trip);
    RUN(test_sizes);
    return t_done();
}
