/* kvenc_test.c - database-layer encodings against the formats spec (7.1,
 * 8.4): exact bytes, value hashes, and decoding including malformed input. */
#include "testlib.h"

#include "crypto/cry.h"
#include "db/kvenc.h"

static void test_set_encoding(void)
{
    uint8_t k[16], v[16], h[32];
    size_t kn = kv_enc_key(k, sizeof(k), (const uint8_t *)"key", 3);
    size_t vn = kv_enc_value(v, sizeof(v), (const uint8_t *)"value", 5);
    CHECK_INT(kn, 4);
    CHECK_INT(vn, 6);
    CHECK_HEX(k, "006b6579");
    CHECK_HEX(v, "0076616c7565");
    CHECK_OK(cry_sha256(h, v, vn));
    CHECK_HEX(h, "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94");
    /* Sizing call. */
    CHECK_INT(kv_enc_value(NULL, 0, (const uint8_t *)"value", 5), 6);
}

static void test_ref_encoding(void)
{
    uint8_t v[32], h[32];
    size_t n = kv_enc_ref_value(v, sizeof(v), (const uint8_t *)"key", 3, 0);
    CHECK_INT(n, 13);
    CHECK_HEX(v, "010000000000000000006b6579");
    CHECK_OK(cry_sha256(h, v, n));
    CHECK_HEX(h, "1779f08a8d9116077116ba6c3146ee9e3c0c34a54690b8d03b82c27ff41f5f1d");
    n = kv_enc_ref_value(v, sizeof(v), (const uint8_t *)"key", 3, 5);
    CHECK_HEX(v, "010000000000000005006b6579");
    CHECK_OK(cry_sha256(h, v, n));
    CHECK_HEX(h, "5f34200ad39c7059c574bfcb46bfb0d84a00143fc6f27991e3b250fd490a19ae");

    kv_value dv;
    CHECK_OK(kv_dec_value(&dv, v, n));
    CHECK(dv.is_ref);
    CHECK_INT(dv.ref_at_tx, 5);
    CHECK_INT(dv.len, 3);
    CHECK(memcmp(dv.data, "key", 3) == 0);
}

static void test_zadd_encoding(void)
{
    uint8_t z[128];
    size_t n =
        kv_enc_zkey(z, sizeof(z), (const uint8_t *)"set", 3, 1.5, (const uint8_t *)"key", 3, 0);
    CHECK_INT(n, 40);
    CHECK_HEX(z, "0100000000000000037365743ff80000000000000000000000000004006b6579"
                 "0000000000000000");
    kv_zkey d;
    CHECK_OK(kv_dec_zkey(&d, z, n));
    CHECK_INT(d.set_len, 3);
    CHECK(memcmp(d.set, "set", 3) == 0);
    CHECK(d.score == 1.5);
    CHECK_INT(d.key_len, 3);
    CHECK(memcmp(d.key, "key", 3) == 0);
    CHECK_INT(d.at_tx, 0);

    /* Round trip with a bound tx, a negative score, an empty member key. */
    n = kv_enc_zkey(z, sizeof(z), (const uint8_t *)"s", 1, -2.25, (const uint8_t *)"", 0, 77);
    CHECK_OK(kv_dec_zkey(&d, z, n));
    CHECK(d.score == -2.25);
    CHECK_INT(d.key_len, 0);
    CHECK_INT(d.at_tx, 77);

    /* Negative scores sort after non-negative ones in byte order (spec App. C). */
    uint8_t a[64], b[64];
    size_t an = kv_enc_zkey(a, sizeof(a), (const uint8_t *)"s", 1, 1.0, (const uint8_t *)"k", 1, 0);
    size_t bn =
        kv_enc_zkey(b, sizeof(b), (const uint8_t *)"s", 1, -1.0, (const uint8_t *)"k", 1, 0);
    CHECK(an == bn && memcmp(a, b, an) < 0);
}

static void test_decode_malformed(void)
{
    kv_value dv;
    kv_zkey dz;
    CHECK_ERR(kv_dec_value(&dv, (const uint8_t *)"", 0), SEAL_ENOTFOUND);
    /* A reference too short, or whose key lacks the set prefix. */
    uint8_t r[13] = {0x01, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_ERR(kv_dec_value(&dv, r, 9), SEAL_ECORRUPT);
    r[9] = 0x05;
    CHECK_ERR(kv_dec_value(&dv, r, 10), SEAL_ECORRUPT);
    /* Plain value with any other first byte: immudb takes v[1:]. */
    CHECK_OK(kv_dec_value(&dv, (const uint8_t *)"\x00v", 2));
    CHECK(!dv.is_ref && dv.len == 1 && dv.data[0] == 'v');

    uint8_t z[128];
    size_t n =
        kv_enc_zkey(z, sizeof(z), (const uint8_t *)"set", 3, 1.5, (const uint8_t *)"key", 3, 9);
    for (size_t cut = 0; cut < n; cut++)
        CHECK_ERR(kv_dec_zkey(&dz, z, cut), SEAL_ECORRUPT);
    z[1] = 0xff; /* absurd set length */
    CHECK_ERR(kv_dec_zkey(&dz, z, n), SEAL_ECORRUPT);
}

int main(void)
{
    t_init();
    RUN(test_set_encoding);
    RUN(test_ref_encoding);
    RUN(test_zadd_encoding);
    RUN(test_decode_malformed);
    return t_done();
}
