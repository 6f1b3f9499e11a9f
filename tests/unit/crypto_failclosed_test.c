/* crypto_failclosed_test.c - fail closed: before seal_fips_init succeeds
 * (and after it failed) every crypto call returns SEAL_EFIPS. This program
 * deliberately does NOT call t_init() first. */
#include "testlib.h"

#include "crypto/cry.h"

static void check_all_refused(void)
{
    uint8_t out[64], key[32] = {0}, sealed[64];
    size_t n = 0;
    cry_part part = {"abc", 3};
    cry_key *k = NULL;
    cry_tls_ctx *tc = NULL;
    char h[CRY_PASSWORD_HASH_MAX];
    uint8_t pt[65] = {4};

    CHECK(!cry_ready());
    CHECK_ERR(cry_sha256(out, "abc", 3), SEAL_EFIPS);
    CHECK_ERR(cry_sha256v(out, &part, 1), SEAL_EFIPS);
    CHECK(cry_sha256_new() == NULL);
    CHECK_ERR(cry_hmac_sha256(out, key, 32, "x", 1), SEAL_EFIPS);
    CHECK_ERR(cry_random(out, 16), SEAL_EFIPS);
    CHECK_ERR(cry_ec_generate(&k), SEAL_EFIPS);
    CHECK_ERR(cry_key_from_pem(&k, "-----BEGIN PUBLIC KEY-----\n", 27), SEAL_EFIPS);
    CHECK_ERR(cry_key_from_public_raw(&k, pt), SEAL_EFIPS);
    CHECK_ERR(cry_key_load_file(&k, "/nonexistent"), SEAL_EFIPS);
    CHECK(k == NULL);
    CHECK_ERR(cry_pbkdf2_sha256(out, 32, "pw", 2, "0123456789abcdef", 16, 1000), SEAL_EFIPS);
    CHECK_ERR(cry_password_hash(h, sizeof(h), "pw", 2, 1000), SEAL_EFIPS);
    CHECK_ERR(cry_password_verify("$pbkdf2-sha256$i=1000$x$y", "pw", 2), SEAL_EFIPS);
    CHECK_ERR(cry_aead_seal(sealed, sizeof(sealed), &n, key, NULL, 0, "x", 1), SEAL_EFIPS);
    CHECK_ERR(cry_aead_open(out, sizeof(out), &n, key, NULL, 0, sealed, 40), SEAL_EFIPS);
    cry_tls_opts o = {0};
    CHECK_ERR(cry_tls_ctx_new(&tc, 0, &o), SEAL_EFIPS);
    CHECK(tc == NULL);
    CHECK_ERR(seal_fips_selftest(), SEAL_EFIPS);
    seal_fips_status st;
    seal_fips_get_status(&st);
    CHECK(!st.initialized);
}

static void test_before_init(void)
{
    check_all_refused();
}

static void test_after_failed_init(void)
{
    CHECK_ERR(seal_fips_init("/nonexistent/openssl-fips.cnf"), SEAL_EFIPS);
    CHECK(strstr(seal_fips_last_error(), "/nonexistent/openssl-fips.cnf") != NULL);
    check_all_refused();
}

static void test_after_init(void)
{
    uint8_t out[32];
    CHECK_OK(seal_fips_init(NULL));
    CHECK(cry_ready());
    CHECK_STR(seal_fips_last_error(), "");
    CHECK_OK(cry_sha256(out, "abc", 3));
    CHECK_HEX(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_OK(cry_random(out, sizeof(out)));
    /* Idempotent. */
    CHECK_OK(seal_fips_init("/ignored/once/initialised"));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(test_before_init);
    RUN(test_after_failed_init);
    RUN(test_after_init);
    return t_done();
}
