/* crypto_ec_test.c - ECDSA P-256 with SHA-256: RFC 6979 A.2.5 signatures and
 * the spec's state-signature vector (immudb-formats.md 8.4) must verify, any
 * flipped byte must not; key generation, PEM round trips (SEC1, PKCS#8,
 * SubjectPublicKeyInfo), files; and every key outside the allow-list
 * (Ed25519, X25519, RSA, P-384, secp256k1, explicit curve parameters) is
 * SEAL_ENOTALLOWED even where the FIPS provider itself would take it. */
#include "testlib.h"

#include "crypto/cry_internal.h"

#include <openssl/pem.h>

#include <stdlib.h>
#include <sys/stat.h>

/* RFC 6979 A.2.5: P-256 key, SHA-256 signatures of "sample" and "test". */
static const char *RFC6979_PUB =
    "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char *RFC6979_SIG_SAMPLE =
    "3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
    "022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
static const char *RFC6979_SIG_TEST =
    "3045022100f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
    "0220019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083";

/* immudb-formats.md 8.4: state signature with test/signer/ec1.key. */
static const char *SPEC_PUB = "046599c5945a116f0cdd2e2cb262459c3db17f099d814aaa3fd10ce9db026b3026"
                              "10cfa2872e7b5f6e481d11f8c57effda00b32bbce83ba5e118a9fb27a03aa999";
static const char *SPEC_PAYLOAD =
    "0000000964656661756c746462000000000000001e8f100f349dfa5cad3fe1c3c0db185f"
    "272788564589f8fc1d51dd83f71abb68bb";
static const char *SPEC_SIG =
    "3045022100ea185842c20a529ec4dbf14ad95e579a6fa8ddfcec712290ebb05d498d752926"
    "02202f0c3ddd87623ada0afc4acb40c57167ae077255276b567a4bf36ba127e2f523";

static cry_key *pub_from_hex(const char *hex)
{
    uint8_t pt[65];
    cry_key *k = NULL;
    CHECK_INT(t_unhex(pt, sizeof(pt), hex), 65);
    CHECK_OK(cry_key_from_public_raw(&k, pt));
    return k;
}

/* Every single-byte change of |sig| or |msg| must fail with SEAL_EVERIFY. */
static void check_flips(const cry_key *k, const uint8_t *msg, size_t mn, const uint8_t *sig,
                        size_t sn)
{
    uint8_t m[128], s[80];
    memcpy(m, msg, mn);
    memcpy(s, sig, sn);
    for (size_t i = 0; i < sn; i++) {
        s[i] ^= 0x01;
        int rc = cry_ecdsa_verify(k, m, mn, s, sn);
        if (rc != SEAL_EVERIFY)
            T_FAIL("signature byte %zu flipped: %d (%s)", i, rc, t_errstr(rc));
        s[i] ^= 0x01;
    }
    for (size_t i = 0; i < mn; i++) {
        m[i] ^= 0x80;
        int rc = cry_ecdsa_verify(k, m, mn, s, sn);
        if (rc != SEAL_EVERIFY)
            T_FAIL("message byte %zu flipped: %d (%s)", i, rc, t_errstr(rc));
        m[i] ^= 0x80;
    }
    CHECK_OK(cry_ecdsa_verify(k, m, mn, s, sn));
    CHECK_ERR(cry_ecdsa_verify(k, m, mn, s, sn - 1), SEAL_EVERIFY);
    CHECK_ERR(cry_ecdsa_verify(k, m, mn - 1, s, sn), SEAL_EVERIFY);
}

static void test_rfc6979_verify(void)
{
    uint8_t sig[80];
    cry_key *k = pub_from_hex(RFC6979_PUB);
    CHECK(!cry_key_has_private(k));
    size_t n = t_unhex(sig, sizeof(sig), RFC6979_SIG_SAMPLE);
    CHECK_OK(cry_ecdsa_verify(k, "sample", 6, sig, n));
    CHECK_ERR(cry_ecdsa_verify(k, "test", 4, sig, n), SEAL_EVERIFY);
    check_flips(k, (const uint8_t *)"sample", 6, sig, n);
    n = t_unhex(sig, sizeof(sig), RFC6979_SIG_TEST);
    CHECK_OK(cry_ecdsa_verify(k, "test", 4, sig, n));
    /* A public key cannot sign. */
    size_t sl = sizeof(sig);
    CHECK_ERR(cry_ecdsa_sign(k, "x", 1, sig, &sl), SEAL_EINVAL);
    cry_key_free(k);
}

static void test_spec_state_signature(void)
{
    uint8_t payload[128], sig[80], h[32];
    cry_key *k = pub_from_hex(SPEC_PUB);
    size_t pn = t_unhex(payload, sizeof(payload), SPEC_PAYLOAD);
    size_t sn = t_unhex(sig, sizeof(sig), SPEC_SIG);
    CHECK_INT(pn, 4 + 9 + 8 + 32);
    CHECK_OK(cry_sha256(h, payload, pn));
    CHECK_HEX(h, "e787eda69625aca5ddcf9b2c08381888ebc0358bc1c5fd027c5bb27ed9369a0a");
    CHECK_OK(cry_ecdsa_verify(k, payload, pn, sig, sn));
    check_flips(k, payload, pn, sig, sn);
    /* The raw point survives a round trip through the key object. */
    uint8_t raw[65], want[65];
    t_unhex(want, sizeof(want), SPEC_PUB);
    CHECK_OK(cry_key_public_raw(k, raw));
    CHECK_MEM(raw, want, 65);
    /* And through PEM. */
    char *pem = NULL;
    size_t pl = 0;
    CHECK_OK(cry_key_public_pem(k, &pem, &pl));
    CHECK(pem && strstr(pem, "-----BEGIN PUBLIC KEY-----") == pem);
    CHECK_INT(strlen(pem), pl);
    cry_key *k2 = NULL;
    CHECK_OK(cry_key_from_pem(&k2, pem, pl));
    CHECK_OK(cry_ecdsa_verify(k2, payload, pn, sig, sn));
    seal_free(pem);
    cry_key_free(k2);
    cry_key_free(k);
}

static void test_bad_points(void)
{
    uint8_t pt[65];
    cry_key *k = NULL;
    t_unhex(pt, sizeof(pt), SPEC_PUB);
    pt[64] ^= 1; /* off the curve */
    CHECK_ERR(cry_key_from_public_raw(&k, pt), SEAL_EINVAL);
    pt[64] ^= 1;
    pt[0] = 0x02; /* compressed prefix with 64 bytes following */
    CHECK_ERR(cry_key_from_public_raw(&k, pt), SEAL_EINVAL);
    memset(pt, 0, sizeof(pt));
    pt[0] = 4; /* (0,0) */
    CHECK_ERR(cry_key_from_public_raw(&k, pt), SEAL_EINVAL);
    CHECK(k == NULL);
}

static void test_generate_sign_pem(void)
{
    cry_key *k = NULL, *k2 = NULL, *k3 = NULL, *pub = NULL;
    uint8_t sig[CRY_ECDSA_MAX_SIG], raw[65], raw2[65];
    size_t sl = sizeof(sig);
    CHECK_OK(cry_ec_generate(&k));
    CHECK(cry_key_has_private(k));
    CHECK_OK(cry_ecdsa_sign(k, "hello", 5, sig, &sl));
    CHECK(sl >= 8 && sl <= CRY_ECDSA_MAX_SIG && sig[0] == 0x30);
    CHECK_OK(cry_ecdsa_verify(k, "hello", 5, sig, sl));
    CHECK_ERR(cry_ecdsa_verify(k, "hellp", 5, sig, sl), SEAL_EVERIFY);
    size_t small = 8;
    CHECK_ERR(cry_ecdsa_sign(k, "hello", 5, sig, &small), SEAL_ELIMIT);

    char *sec1 = NULL, *p8 = NULL, *spki = NULL;
    size_t n1 = 0, n8 = 0, ns = 0;
    CHECK_OK(cry_key_private_pem(k, &sec1, &n1));
    CHECK_OK(cry_key_private_pem_pkcs8(k, &p8, &n8));
    CHECK_OK(cry_key_public_pem(k, &spki, &ns));
    CHECK(sec1 && strncmp(sec1, "-----BEGIN EC PRIVATE KEY-----", 30) == 0);
    CHECK(p8 && strncmp(p8, "-----BEGIN PRIVATE KEY-----", 27) == 0);
    CHECK(spki && strncmp(spki, "-----BEGIN PUBLIC KEY-----", 26) == 0);
    CHECK_OK(cry_key_from_pem(&k2, sec1, n1));
    CHECK_OK(cry_key_from_pem(&k3, p8, n8));
    CHECK_OK(cry_key_from_pem(&pub, spki, ns));
    CHECK(cry_key_has_private(k2) && cry_key_has_private(k3) && !cry_key_has_private(pub));
    CHECK_OK(cry_key_public_raw(k, raw));
    CHECK_OK(cry_key_public_raw(k3, raw2));
    CHECK_MEM(raw, raw2, 65);
    /* A signature by the reloaded key verifies under the original public key. */
    sl = sizeof(sig);
    CHECK_OK(cry_ecdsa_sign(k2, "again", 5, sig, &sl));
    CHECK_OK(cry_ecdsa_verify(pub, "again", 5, sig, sl));
    /* A public key has no private PEM. */
    char *none = NULL;
    CHECK_ERR(cry_key_private_pem(pub, &none, NULL), SEAL_EINVAL);

    /* Files: the private key is 0600, both load back. */
    CHECK_OK(cry_key_save_private_file(k, t_path("signing.key")));
    CHECK_OK(cry_key_save_public_file(k, t_path("signing.pub")));
    struct stat st;
    CHECK(stat(t_path("signing.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
    cry_key *f1 = NULL, *f2 = NULL;
    CHECK_OK(cry_key_load_file(&f1, t_path("signing.key")));
    CHECK_OK(cry_key_load_file(&f2, t_path("signing.pub")));
    sl = sizeof(sig);
    CHECK_OK(cry_ecdsa_sign(f1, "file", 4, sig, &sl));
    CHECK_OK(cry_ecdsa_verify(f2, "file", 4, sig, sl));
    cry_key *f3 = NULL;
    CHECK_ERR(cry_key_load_file(&f3, t_path("missing.key")), SEAL_ENOTFOUND);

    /* Two generated keys differ. */
    cry_key *other = NULL;
    CHECK_OK(cry_ec_generate(&other));
    CHECK_OK(cry_key_public_raw(other, raw2));
    CHECK(memcmp(raw, raw2, 65) != 0);
    CHECK_ERR(cry_ecdsa_verify(other, "again", 5, sig, sl), SEAL_EVERIFY);

    seal_free(sec1);
    seal_free(p8);
    seal_free(spki);
    cry_key_free(k);
    cry_key_free(k2);
    cry_key_free(k3);
    cry_key_free(pub);
    cry_key_free(f1);
    cry_key_free(f2);
    cry_key_free(other);
}

static void test_pem_variants(void)
{
    cry_key *k = NULL, *k2 = NULL;
    char *sec1 = NULL;
    size_t n = 0;
    CHECK_OK(cry_ec_generate(&k));
    CHECK_OK(cry_key_private_pem(k, &sec1, &n));
    /* "EC PARAMETERS" first, as `openssl ecparam -genkey` writes it. */
    const char *params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                         "-----END EC PARAMETERS-----\n";
    char *both = malloc(strlen(params) + n + 1);
    strcpy(both, params);
    strcat(both, sec1);
    CHECK_OK(cry_key_from_pem(&k2, both, strlen(both)));
    cry_key_free(k2);
    k2 = NULL;
    /* Garbage, a truncated body, an encrypted key, a certificate. */
    CHECK_ERR(cry_key_from_pem(&k2, "hello", 5), SEAL_EINVAL);
    CHECK_ERR(cry_key_from_pem(&k2, sec1, n / 2), SEAL_EINVAL);
    const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n"
                      "-----END ENCRYPTED PRIVATE KEY-----\n";
    CHECK_ERR(cry_key_from_pem(&k2, enc, strlen(enc)), SEAL_EUNSUPPORTED);
    const char *cert = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    CHECK_ERR(cry_key_from_pem(&k2, cert, strlen(cert)), SEAL_EINVAL);
    CHECK(k2 == NULL);
    free(both);
    seal_free(sec1);
    cry_key_free(k);
}

/* PEM of a key the FIPS provider generates but our allow-list refuses. */
static char *pem_of(EVP_PKEY *pk, int which)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = which == 0   ? PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)
             : which == 1 ? PEM_write_bio_PUBKEY(b, pk)
                          : PEM_write_bio_PrivateKey_traditional(b, pk, NULL, NULL, 0, NULL, NULL);
    CHECK(ok == 1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *s = calloc(1, (size_t)n + 1);
    memcpy(s, data, (size_t)n);
    BIO_free(b);
    return s;
}

static void expect_refused(const char *what, const char *pem)
{
    cry_key *k = NULL;
    int rc = cry_key_from_pem(&k, pem, strlen(pem));
    if (rc != SEAL_ENOTALLOWED)
        T_FAIL("%s: %d (%s), expected SEAL_ENOTALLOWED", what, rc, t_errstr(rc));
    CHECK(k == NULL);
    cry_key_free(k);
}

static void test_other_keys_refused(void)
{
    struct {
        const char *name;
        EVP_PKEY *pk;
    } keys[] = {
        {"Ed25519", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")},
        {"X25519", EVP_PKEY_Q_keygen(NULL, NULL, "X25519")},
        {"RSA-2048", EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)},
        {"P-384", EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")},
    };
    for (size_t i = 0; i < SEAL_ARRAY_LEN(keys); i++) {
        /* The 3.0 provider generates all of these (Ed25519 and X25519 too). */
        if (keys[i].pk == NULL) {
            T_FAIL("the provider did not generate a %s key", keys[i].name);
            continue;
        }
        char *priv = pem_of(keys[i].pk, 0), *pub = pem_of(keys[i].pk, 1);
        char label[64];
        snprintf(label, sizeof(label), "%s PKCS#8", keys[i].name);
        expect_refused(label, priv);
        snprintf(label, sizeof(label), "%s public", keys[i].name);
        expect_refused(label, pub);
        free(priv);
        free(pub);
        if (i >= 2) { /* "RSA PRIVATE KEY" and SEC1 P-384 */
            char *trad = pem_of(keys[i].pk, 2);
            snprintf(label, sizeof(label), "%s traditional", keys[i].name);
            expect_refused(label, trad);
            free(trad);
        }
        EVP_PKEY_free(keys[i].pk);
    }
    /* secp256k1 (the provider cannot even decode it) and P-256 with
     * explicit curve parameters; made with the default provider. */
    expect_refused("secp256k1 SEC1",
                   "-----BEGIN EC PRIVATE KEY-----\n"
                   "MHQCAQEEIAMnPcw6iovKqMrpP9Iv8SUwpOst+rhJ/cpMsPMMimS8oAcGBSuBBAAK\n"
                   "oUQDQgAE/8YL64KRNgkxe2DijPue4uKTKR6RXoTRS8VPYnYcMd51bxf1nekSKhXf\n"
                   "EZvRAOcmbX9RMZqr6mpCCuum1StIBA==\n"
                   "-----END EC PRIVATE KEY-----\n");
    expect_refused("secp256k1 PKCS#8",
                   "-----BEGIN PRIVATE KEY-----\n"
                   "MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgAyc9zDqKi8qoyuk/0i/x\n"
                   "JTCk6y36uEn9ykyw8wyKZLyhRANCAAT/xgvrgpE2CTF7YOKM+57i4pMpHpFehNFL\n"
                   "xU9idhwx3nVvF/Wd6RIqFd8Rm9EA5yZtf1ExmqvqakIK66bVK0gE\n"
                   "-----END PRIVATE KEY-----\n");
    expect_refused("secp256k1 public",
                   "-----BEGIN PUBLIC KEY-----\n"
                   "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAE/8YL64KRNgkxe2DijPue4uKTKR6RXoTR\n"
                   "S8VPYnYcMd51bxf1nekSKhXfEZvRAOcmbX9RMZqr6mpCCuum1StIBA==\n"
                   "-----END PUBLIC KEY-----\n");
    expect_refused("P-256 explicit parameters",
                   "-----BEGIN PUBLIC KEY-----\n"
                   "MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
                   "AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
                   "///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
                   "NgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\n"
                   "RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n"
                   "//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABCKC8l+Y7MeAH08LuL/qjjba\n"
                   "WccBBHwShiBf7V0tdyAVrDdQZkQSwiS/E1D84CcoG3ljs3YUxUqHOzUHxP/bCKE=\n"
                   "-----END PUBLIC KEY-----\n");
    expect_refused("OpenSSH key label", "-----BEGIN OPENSSH PRIVATE KEY-----\nMAA=\n"
                                        "-----END OPENSSH PRIVATE KEY-----\n");
}

int main(void)
{
    t_init();
    RUN(test_rfc6979_verify);
    RUN(test_spec_state_signature);
    RUN(test_bad_points);
    RUN(test_generate_sign_pem);
    RUN(test_pem_variants);
    RUN(test_other_keys_refused);
    return t_done();
}
