/* store_sign_test.c - signed states (seal_state_sign / seal_state_verify):
 *  - the spec's vector (formats spec 8.4: state "defaultdb", tx 30, Alh(30)
 *    of 8.2, signed with immudb's test/signer/ec1.key): the payload is the
 *    spec's, the DER signature verifies with the given public point, and
 *    any change of db, tx, Alh or a signature byte fails with SEAL_EVERIFY;
 *  - a sign/verify round trip with a generated key, through the PEM forms
 *    and the raw public point, a long database name (heap payload), an
 *    empty one, and the error cases (public key cannot sign, short buffer,
 *    NULL arguments, bad points and PEM). */
#include "testlib.h"

#include "crypto/cry.h"
#include "seal/seal.h"

#include <stdlib.h>

static const char *SPEC_PUB = "046599c5945a116f0cdd2e2cb262459c3db17f099d814aaa3fd10ce9db026b3026"
                              "10cfa2872e7b5f6e481d11f8c57effda00b32bbce83ba5e118a9fb27a03aa999";
static const char *SPEC_ALH = "8f100f349dfa5cad3fe1c3c0db185f272788564589f8fc1d51dd83f71abb68bb";
static const char *SPEC_PAYLOAD =
    "0000000964656661756c746462000000000000001e8f100f349dfa5cad3fe1c3c0db185f"
    "272788564589f8fc1d51dd83f71abb68bb";
static const char *SPEC_SIG =
    "3045022100ea185842c20a529ec4dbf14ad95e579a6fa8ddfcec712290ebb05d498d752926"
    "02202f0c3ddd87623ada0afc4acb40c57167ae077255276b567a4bf36ba127e2f523";

static void test_spec_vector(void)
{
    uint8_t pt[65], alh[32], sig[80], pay[128];
    CHECK_INT(t_unhex(pt, sizeof(pt), SPEC_PUB), 65);
    CHECK_INT(t_unhex(alh, sizeof(alh), SPEC_ALH), 32);
    size_t sn = t_unhex(sig, sizeof(sig), SPEC_SIG);
    size_t pn = 0;
    CHECK_OK(seal_state_payload("defaultdb", 30, alh, pay, sizeof(pay), &pn));
    CHECK_INT(pn, 53);
    CHECK_HEX(pay, SPEC_PAYLOAD);
    seal_key *k = NULL;
    CHECK_OK(seal_key_from_public_raw(pt, &k));
    CHECK_INT(seal_key_has_private(k), 0);
    CHECK_OK(seal_state_verify(k, "defaultdb", 30, alh, sig, sn));
    /* the state must match exactly */
    CHECK_ERR(seal_state_verify(k, "defaultdc", 30, alh, sig, sn), SEAL_EVERIFY);
    CHECK(strstr(seal_last_error(), "does not verify") != NULL);
    CHECK_ERR(seal_state_verify(k, "defaultdb", 31, alh, sig, sn), SEAL_EVERIFY);
    CHECK_ERR(seal_state_verify(k, "default", 30, alh, sig, sn), SEAL_EVERIFY);
    for (int i = 0; i < 32; i++) {
        alh[i] ^= 0x01;
        if (seal_state_verify(k, "defaultdb", 30, alh, sig, sn) != SEAL_EVERIFY)
            T_FAIL("Alh byte %d flipped: still verifies", i);
        alh[i] ^= 0x01;
    }
    for (size_t i = 0; i < sn; i++) {
        sig[i] ^= 0x20;
        if (seal_state_verify(k, "defaultdb", 30, alh, sig, sn) != SEAL_EVERIFY)
            T_FAIL("signature byte %zu flipped: still verifies", i);
        sig[i] ^= 0x20;
    }
    CHECK_ERR(seal_state_verify(k, "defaultdb", 30, alh, sig, sn - 1), SEAL_EVERIFY);
    CHECK_ERR(seal_state_verify(k, "defaultdb", 30, alh, NULL, 0), SEAL_EVERIFY);
    CHECK_OK(seal_state_verify(k, "defaultdb", 30, alh, sig, sn));
    /* a public key cannot sign */
    uint8_t out[SEAL_SIG_MAX];
    size_t ol = sizeof(out);
    CHECK_ERR(seal_state_sign(k, "defaultdb", 30, alh, out, &ol), SEAL_EINVAL);
    CHECK_INT(ol, sizeof(out));
    /* the point round-trips */
    uint8_t raw[65];
    CHECK_OK(seal_key_public_raw(k, raw));
    CHECK_MEM(raw, pt, 65);
    seal_key_free(k);
}

static void test_round_trip(void)
{
    seal_key *k = NULL, *pub = NULL, *priv2 = NULL, *pub2 = NULL;
    uint8_t alh[32], sig[SEAL_SIG_MAX], raw[65];
    for (int i = 0; i < 32; i++)
        alh[i] = (uint8_t)(i * 37 + 5);
    CHECK_OK(seal_key_generate(&k));
    CHECK_INT(seal_key_has_private(k), 1);
    CHECK_OK(seal_key_public_raw(k, raw));
    CHECK_OK(seal_key_from_public_raw(raw, &pub));
    /* PEM forms (written with the crypto layer, read through seal.h) */
    cry_key *ck = NULL;
    char *pem = NULL, *ppem = NULL;
    size_t pl = 0, ppl = 0;
    CHECK_OK(cry_key_from_public_raw(&ck, raw));
    CHECK_OK(cry_key_public_pem(ck, &ppem, &ppl));
    CHECK_OK(seal_key_from_pem(ppem, ppl, &pub2));
    cry_key_free(ck);
    cry_key *gk = NULL;
    CHECK_OK(cry_ec_generate(&gk));
    CHECK_OK(cry_key_private_pem(gk, &pem, &pl));
    CHECK_OK(seal_key_from_pem(pem, pl, &priv2));
    CHECK_INT(seal_key_has_private(priv2), 1);

    const char *dbs[] = {"defaultdb", "",
                         "a-database-name-longer-than-the-stack-buffer-of-the-"
                         "signing-helper-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    CHECK(strlen(dbs[2]) > 256);
    for (size_t d = 0; d < sizeof(dbs) / sizeof(dbs[0]); d++) {
        for (uint64_t tx = 0; tx < 3; tx++) {
            size_t sl = sizeof(sig);
            CHECK_OK(seal_state_sign(k, dbs[d], tx, alh, sig, &sl));
            CHECK(sl >= 8 && sl <= SEAL_SIG_MAX);
            CHECK_INT(sig[0], 0x30); /* DER SEQUENCE */
            CHECK_OK(seal_state_verify(k, dbs[d], tx, alh, sig, sl));
            CHECK_OK(seal_state_verify(pub, dbs[d], tx, alh, sig, sl));
            CHECK_OK(seal_state_verify(pub2, dbs[d], tx, alh, sig, sl));
            CHECK_ERR(seal_state_verify(pub, dbs[d], tx + 1, alh, sig, sl), SEAL_EVERIFY);
            CHECK_ERR(seal_state_verify(priv2, dbs[d], tx, alh, sig, sl), SEAL_EVERIFY);
            /* the signature is over exactly seal_state_payload's bytes */
            uint8_t pay[512];
            size_t pn;
            CHECK_OK(seal_state_payload(dbs[d], tx, alh, pay, sizeof(pay), &pn));
            cry_key *v = NULL;
            CHECK_OK(cry_key_from_public_raw(&v, raw));
            CHECK_OK(cry_ecdsa_verify(v, pay, pn, sig, sl));
            cry_key_free(v);
        }
    }
    /* another key's signature does not verify */
    size_t sl = sizeof(sig);
    CHECK_OK(seal_state_sign(priv2, "defaultdb", 7, alh, sig, &sl));
    CHECK_OK(seal_state_verify(priv2, "defaultdb", 7, alh, sig, sl));
    CHECK_ERR(seal_state_verify(pub, "defaultdb", 7, alh, sig, sl), SEAL_EVERIFY);
    /* errors */
    uint8_t small[16];
    size_t smal = sizeof(small);
    CHECK_ERR(seal_state_sign(k, "db", 1, alh, small, &smal), SEAL_ELIMIT);
    CHECK_INT(smal, sizeof(small));
    sl = sizeof(sig);
    CHECK_ERR(seal_state_sign(NULL, "db", 1, alh, sig, &sl), SEAL_EINVAL);
    CHECK_ERR(seal_state_sign(k, NULL, 1, alh, sig, &sl), SEAL_EINVAL);
    CHECK_ERR(seal_state_sign(k, "db", 1, NULL, sig, &sl), SEAL_EINVAL);
    CHECK_ERR(seal_state_verify(NULL, "db", 1, alh, sig, sl), SEAL_EINVAL);
    CHECK_ERR(seal_key_from_pem("garbage", 7, &pub2), SEAL_EINVAL);
    uint8_t bad[65];
    memcpy(bad, raw, 65);
    bad[64] ^= 1;
    seal_key *nk = NULL;
    CHECK_ERR(seal_key_from_public_raw(bad, &nk), SEAL_EINVAL);
    CHECK(nk == NULL);
    CHECK_INT(seal_key_has_private(NULL), 0);
    seal_key_free(NULL);
    seal_free(pem);
    seal_free(ppem);
    cry_key_free(gk);
    seal_key_free(k);
    seal_key_free(pub);
    seal_key_free(pub2);
    seal_key_free(priv2);
}

int main(void)
{
    t_init();
    RUN(test_spec_vector);
    RUN(test_round_trip);
    return t_done();
}
