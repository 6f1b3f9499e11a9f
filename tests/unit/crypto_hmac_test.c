/* crypto_hmac_test.c - HMAC-SHA-256 against RFC 4231: the cases whose key is
 * at least 14 bytes must give the RFC's answers, the case with the 4-byte
 * key "Jefe" must be refused (SEAL_ENOTALLOWED), as must any key under 112
 * bits. Also the DRBG and the constant-time helpers. */
#include "testlib.h"

#include "crypto/cry.h"

static void test_rfc4231(void)
{
    uint8_t key[131], data[50], out[32];

    /* Test case 1: 20-byte key. */
    memset(key, 0x0b, 20);
    CHECK_OK(cry_hmac_sha256(out, key, 20, "Hi There", 8));
    CHECK_HEX(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    /* Test case 3: 20-byte key, 50 bytes of 0xdd. */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    CHECK_OK(cry_hmac_sha256(out, key, 20, data, 50));
    CHECK_HEX(out, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

    /* Test case 4: 25-byte key 0x01..0x19, 50 bytes of 0xcd. */
    for (int i = 0; i < 25; i++)
        key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    CHECK_OK(cry_hmac_sha256(out, key, 25, data, 50));
    CHECK_HEX(out, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

    /* Test case 5: output truncated to 128 bits (we compare the prefix). */
    memset(key, 0x0c, 20);
    CHECK_OK(cry_hmac_sha256(out, key, 20, "Test With Truncation", 20));
    CHECK_HEX(out, "a3b6167473100ee06e0c796c2955552b");

    /* Test cases 6 and 7: 131-byte key (hashed first). */
    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    CHECK_OK(cry_hmac_sha256(out, key, 131, m6, strlen(m6)));
    CHECK_HEX(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    CHECK_OK(cry_hmac_sha256(out, key, 131, m7, strlen(m7)));
    CHECK_HEX(out, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_short_keys_refused(void)
{
    uint8_t out[32], key[14];
    memset(out, 0x5a, sizeof(out));
    /* Test case 2 ("Jefe", 4 bytes): the provider would compute it; we refuse. */
    const char *m2 = "what do ya want for nothing?";
    CHECK_ERR(cry_hmac_sha256(out, "Jefe", 4, m2, strlen(m2)), SEAL_ENOTALLOWED);
    for (int i = 0; i < 32; i++)
        CHECK(out[i] == 0x5a); /* nothing written on failure */
    memset(key, 0x42, sizeof(key));
    CHECK_ERR(cry_hmac_sha256(out, key, 0, "x", 1), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_hmac_sha256(out, key, 13, "x", 1), SEAL_ENOTALLOWED);
    CHECK_OK(cry_hmac_sha256(out, key, 14, "x", 1));  /* 112 bits: the floor */
    CHECK_OK(cry_hmac_sha256(out, key, 14, NULL, 0)); /* empty message */
}

static void test_random(void)
{
    uint8_t a[64], b[64], zero[64] = {0};
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    CHECK_OK(cry_random(a, sizeof(a)));
    CHECK_OK(cry_random(b, sizeof(b)));
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK(memcmp(a, zero, sizeof(a)) != 0);
    CHECK_OK(cry_random(a, 0));
    /* A larger request (several DRBG calls inside the provider). */
    static uint8_t big[1 << 17];
    CHECK_OK(cry_random(big, sizeof(big)));
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof(big); i++)
        zeros += big[i] == 0;
    CHECK(zeros < sizeof(big) / 128); /* expected about 1/256 */
}

static void test_ct_helpers(void)
{
    uint8_t a[32], b[32];
    memset(a, 7, sizeof(a));
    memcpy(b, a, sizeof(b));
    CHECK_INT(cry_memcmp_ct(a, b, sizeof(a)), 0);
    b[31] ^= 1;
    CHECK(cry_memcmp_ct(a, b, sizeof(a)) != 0);
    b[31] ^= 1;
    b[0] ^= 0x80;
    CHECK(cry_memcmp_ct(a, b, sizeof(a)) != 0);
    CHECK_INT(cry_memcmp_ct(a, b, 0), 0);
    cry_cleanse(a, sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++)
        CHECK(a[i] == 0);
    cry_cleanse(NULL, 0);
}

int main(void)
{
    t_init();
    RUN(test_rfc4231);
    RUN(test_short_keys_refused);
    RUN(test_random);
    RUN(test_ct_helpers);
    return t_done();
}
