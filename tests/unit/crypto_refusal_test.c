/* crypto_refusal_test.c - what the FIPS provider refuses when it is in force
 * (MD5, SHA-1 signatures, ChaCha20-Poly1305, scrypt, RSA-1024, secp256k1),
 * and what only OUR allow-list refuses because the 3.0 provider lets it
 * through (X25519, Ed25519, short HMAC keys, PBKDF2 below the floors). The
 * raw OpenSSL calls here are allowed: this is a crypto test. */
#include "testlib.h"

#include "crypto/cry_internal.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

static int count_provider(OSSL_PROVIDER *p, void *arg)
{
    const char *name = OSSL_PROVIDER_get0_name(p);
    int *n = arg;
    if (strcmp(name, "fips") != 0 && strcmp(name, "base") != 0)
        T_FAIL("provider %s is active", name);
    (*n)++;
    return 1;
}

static void test_fips_only(void)
{
    int n = 0;
    OSSL_PROVIDER_do_all(NULL, count_provider, &n);
    CHECK_INT(n, 2);
    CHECK(EVP_default_properties_is_fips_enabled(NULL) == 1);
    seal_fips_status st;
    seal_fips_get_status(&st);
    CHECK(st.initialized && st.fips_enabled && st.selftest_ok);
    CHECK(strlen(st.version) > 0);
    size_t ml = strlen(st.module_path);
    CHECK(ml > 8 && strcmp(st.module_path + ml - 8, "/fips.so") == 0);
    CHECK_OK(seal_fips_selftest());
    char json[2048];
    size_t jn = seal_fips_status_json(json, sizeof(json));
    CHECK(jn < sizeof(json));
    CHECK(strstr(json, "\"fips_enabled\":true") != NULL);
}

static void test_md5_refused(void)
{
    EVP_MD *md = EVP_MD_fetch(NULL, "MD5", NULL);
    CHECK(md == NULL);
    EVP_MD_free(md);
    /* Even a query that asks for a non-FIPS implementation finds none. */
    md = EVP_MD_fetch(NULL, "MD5", "-fips");
    CHECK(md == NULL);
    EVP_MD_free(md);
    md = EVP_MD_fetch(NULL, "MD5", "fips=no");
    CHECK(md == NULL);
    EVP_MD_free(md);
    unsigned char out[64];
    unsigned int n = 0;
    CHECK(EVP_Digest("abc", 3, out, &n, EVP_md5(), NULL) != 1);
    /* SHA-256 from the same place works (control). */
    CHECK(EVP_Digest("abc", 3, out, &n, EVP_sha256(), NULL) == 1 && n == 32);
    ERR_clear_error();
}

static int sign_with(EVP_PKEY *k, const char *md)
{
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    unsigned char sig[128];
    size_t sl = sizeof(sig);
    int ok = EVP_DigestSignInit_ex(mc, NULL, md, NULL, NULL, k, NULL) == 1 &&
             EVP_DigestSign(mc, sig, &sl, (const unsigned char *)"msg", 3) == 1;
    EVP_MD_CTX_free(mc);
    ERR_clear_error();
    return ok;
}

static void test_sha1_signing_refused(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(k != NULL);
    CHECK(sign_with(k, "SHA1") == 0);
    CHECK(sign_with(k, "SHA2-256") == 1); /* control */
    EVP_PKEY_free(k);
}

static void test_unavailable_algorithms(void)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    CHECK(c == NULL);
    EVP_CIPHER_free(c);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    CHECK(kdf == NULL);
    EVP_KDF_free(kdf);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    CHECK(k == NULL);
    EVP_PKEY_free(k);
    k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    CHECK(k == NULL);
    EVP_PKEY_free(k);
    ERR_clear_error();
}

/* X25519 key agreement through the provider directly: 1 if it works. */
static int provider_x25519(void)
{
    EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY_CTX *d = a ? EVP_PKEY_CTX_new_from_pkey(NULL, a, NULL) : NULL;
    unsigned char secret[32];
    size_t sl = sizeof(secret);
    int ok = d != NULL && b != NULL && EVP_PKEY_derive_init(d) == 1 &&
             EVP_PKEY_derive_set_peer(d, b) == 1 && EVP_PKEY_derive(d, secret, &sl) == 1;
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    ERR_clear_error();
    return ok;
}

static void test_ecx_refused_by_us(void)
{
    fprintf(stderr, "     note: the provider itself %s X25519 key agreement\n",
            provider_x25519() ? "ALLOWS" : "refuses");
    /* Our API: no X25519 or Ed25519 key gets in, in any encoding. */
    const char *names[] = {"X25519", "ED25519", "X448", "ED448"};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(names); i++) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, names[i]);
        if (k == NULL) {
            ERR_clear_error();
            continue; /* a stricter provider: nothing to refuse */
        }
        CHECK(!cry_policy_ecdsa_key_ok(k));
        CHECK(!cry_policy_tls_key_ok(k));
        BIO *b = BIO_new(BIO_s_mem());
        CHECK(PEM_write_bio_PUBKEY(b, k) == 1);
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        cry_key *ck = NULL;
        CHECK_ERR(cry_key_from_pem(&ck, data, (size_t)n), SEAL_ENOTALLOWED);
        BIO_free(b);
        EVP_PKEY_free(k);
    }
    /* The TLS groups and on-the-wire code points. */
    CHECK(strstr(cry_tls_groups, "25519") == NULL && strstr(cry_tls_groups, "448") == NULL);
    CHECK(!cry_policy_tls_group_ok(0x001d)); /* x25519 */
    CHECK(!cry_policy_tls_group_ok(0x001e)); /* x448 */
    CHECK(!cry_policy_tls_group_ok(0x0100)); /* ffdhe2048 */
    CHECK(cry_policy_tls_group_ok(0x0017));
    CHECK(!cry_policy_tls_suite_ok(0x1303)); /* TLS_CHACHA20_POLY1305_SHA256 */
    CHECK(!cry_policy_tls_suite_ok(0xcca9)); /* ECDHE-ECDSA-CHACHA20-POLY1305 */
    CHECK(!cry_policy_tls_suite_ok(0x009c)); /* static RSA AES128-GCM */
    CHECK(!cry_policy_tls_suite_ok(0xc013)); /* ECDHE-RSA-AES128-SHA (CBC) */
}

static void test_short_hmac_refused_by_us(void)
{
    unsigned char out[32];
    size_t ol = 0;
    unsigned char *r = EVP_Q_mac(NULL, "HMAC", NULL, "SHA2-256", NULL, "Jefe", 4,
                                 (const unsigned char *)"x", 1, out, sizeof(out), &ol);
    fprintf(stderr, "     note: the provider itself %s a 4-byte HMAC key\n",
            r ? "ALLOWS" : "refuses");
    ERR_clear_error();
    CHECK_ERR(cry_hmac_sha256(out, "Jefe", 4, "x", 1), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_hmac_sha256(out, "0123456789abc", 13, "x", 1), SEAL_ENOTALLOWED);
}

/* PBKDF2 through the provider with the PKCS#5 switch: 1 if it works. */
static int provider_pbkdf2_pkcs5(void)
{
    EVP_KDF_CTX *kc = EVP_KDF_CTX_new(cry_g_pbkdf2);
    unsigned char out[8];
    uint64_t iter = 1;
    int pkcs5 = 1;
    char digest[] = "SHA2-256";
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (char *)"pw", 2),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (char *)"s", 1),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
        OSSL_PARAM_construct_end(),
    };
    int ok = kc != NULL && EVP_KDF_derive(kc, out, sizeof(out), p) == 1;
    EVP_KDF_CTX_free(kc);
    ERR_clear_error();
    return ok;
}

static void test_weak_pbkdf2_refused_by_us(void)
{
    fprintf(stderr, "     note: the provider with the PKCS#5 switch %s c=1, 1-byte salt\n",
            provider_pbkdf2_pkcs5() ? "ALLOWS" : "refuses");
    uint8_t out[64];
    const char *salt = "0123456789abcdef";
    CHECK_ERR(cry_pbkdf2_sha256(out, 8, "pw", 2, "s", 1, 1), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_pbkdf2_sha256(out, 32, "pw", 2, salt, 16, 1), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_pbkdf2_sha256(out, 32, "pw", 2, salt, 16, 999), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_pbkdf2_sha256(out, 32, "pw", 2, salt, 8, 100000), SEAL_ENOTALLOWED);
    CHECK_ERR(cry_pbkdf2_sha256(out, 16, "pw", 2, salt, 16, 100000), SEAL_ENOTALLOWED);
    char h[CRY_PASSWORD_HASH_MAX];
    CHECK_ERR(cry_password_hash(h, sizeof(h), "pw", 2, 1), SEAL_ENOTALLOWED);
}

int main(void)
{
    t_init();
    RUN(test_fips_only);
    RUN(test_md5_refused);
    RUN(test_sha1_signing_refused);
    RUN(test_unavailable_algorithms);
    RUN(test_ecx_refused_by_us);
    RUN(test_short_hmac_refused_by_us);
    RUN(test_weak_pbkdf2_refused_by_us);
    return t_done();
}
