/* pbkdf2.c - password hashing with PBKDF2-HMAC-SHA-256 through EVP_KDF.
 *
 * The 3.0 FIPS provider enforces iterations >= 1000, salt >= 16 bytes and a
 * key >= 112 bits, but a caller that sets the KDF's PKCS#5 compatibility
 * parameter (and the legacy one-shot PKCS#5 helper, which always sets it)
 * switches those checks off. We never set it, and enforce our own floors
 * before calling the provider: salt >= 16, output >= 32, iterations >= 1000.
 *
 * Stored form: "$pbkdf2-sha256$i=<iter>$<salt b64>$<hash b64>" (standard
 * base64 alphabet with padding). */
#include "crypto/cry_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>

#define PREFIX   "$pbkdf2-sha256$i="
#define SALT_LEN 16
#define HASH_LEN 32

int cry_pbkdf2_sha256_impl(uint8_t *out, size_t out_len, const void *pw, size_t pw_len,
                           const void *salt, size_t salt_len, uint32_t iterations)
{
    int rc = SEAL_ECRYPTO;
    EVP_KDF_CTX *kc = NULL;
    uint64_t iter = iterations;
    char digest[] = "SHA2-256";
    static const char empty[1] = "";

    if (salt_len < CRY_PBKDF2_MIN_SALT || out_len < CRY_PBKDF2_MIN_OUT ||
        iterations < CRY_PBKDF2_MIN_ITER)
        return SEAL_ENOTALLOWED;
    if (out_len > CRY_PBKDF2_MAX_OUT || iterations > CRY_PBKDF2_MAX_ITER)
        return SEAL_ELIMIT;
    if (out == NULL || salt == NULL || (pw == NULL && pw_len > 0))
        return SEAL_EINVAL;
    if (cry_g_pbkdf2 == NULL)
        return SEAL_EFIPS;
    /* Only these four parameters: never the PKCS#5 compatibility switch. */
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                          (void *)(uintptr_t)(pw_len ? pw : empty), pw_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt, salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
        OSSL_PARAM_construct_end(),
    };
    kc = EVP_KDF_CTX_new(cry_g_pbkdf2);
    if (kc == NULL)
        return SEAL_ENOMEM;
    if (EVP_KDF_derive(kc, out, out_len, prm) != 1) {
        rc = cry_fail("PBKDF2-HMAC-SHA-256");
        goto out;
    }
    rc = 0;
out:
    EVP_KDF_CTX_free(kc);
    return rc;
}

int cry_pbkdf2_sha256(uint8_t *out, size_t out_len, const void *pw, size_t pw_len, const void *salt,
                      size_t salt_len, uint32_t iterations)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    return cry_pbkdf2_sha256_impl(out, out_len, pw, pw_len, salt, salt_len, iterations);
}

/* ------------------------------------------------------- password hashing */
int cry_password_hash(char *out, size_t cap, const char *password, size_t pw_len,
                      uint32_t iterations)
{
    uint8_t salt[SALT_LEN], hash[HASH_LEN];
    char s64[SEAL_B64_LEN(SALT_LEN) + 1], h64[SEAL_B64_LEN(HASH_LEN) + 1];
    char buf[CRY_PASSWORD_HASH_MAX];
    int rc;

    if (!cry_ready())
        return SEAL_EFIPS;
    if (iterations == 0)
        iterations = CRY_PBKDF2_DEFAULT_ITER;
    if (iterations < CRY_PBKDF2_MIN_ITER)
        return SEAL_ENOTALLOWED;
    if (iterations > CRY_PBKDF2_MAX_ITER)
        return SEAL_ELIMIT;
    if (out == NULL)
        return SEAL_EINVAL;
    rc = cry_random(salt, sizeof(salt));
    if (rc != 0)
        return rc;
    rc = cry_pbkdf2_sha256_impl(hash, sizeof(hash), password, pw_len, salt, sizeof(salt),
                                iterations);
    if (rc != 0)
        goto out;
    seal_b64_encode(s64, salt, sizeof(salt), 0);
    seal_b64_encode(h64, hash, sizeof(hash), 0);
    int n = snprintf(buf, sizeof(buf), PREFIX "%u$%s$%s", (unsigned)iterations, s64, h64);
    if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n >= cap) {
        rc = SEAL_ELIMIT;
        goto out;
    }
    memcpy(out, buf, (size_t)n + 1);
    rc = 0;
out:
    OPENSSL_cleanse(hash, sizeof(hash));
    OPENSSL_cleanse(h64, sizeof(h64));
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int cry_password_verify(const char *stored, const char *password, size_t pw_len)
{
    uint8_t salt[CRY_PBKDF2_MAX_SALT], want[CRY_PBKDF2_MAX_OUT], got[CRY_PBKDF2_MAX_OUT];
    int rc;

    if (!cry_ready())
        return SEAL_EFIPS;
    if (stored == NULL || strncmp(stored, PREFIX, strlen(PREFIX)) != 0)
        return SEAL_EINVAL;
    const char *p = stored + strlen(PREFIX);
    /* Iterations: 1..8 decimal digits, no sign, no leading zero. */
    uint64_t iter = 0;
    size_t digits = 0;
    while (p[digits] >= '0' && p[digits] <= '9' && digits < 9)
        iter = iter * 10 + (uint64_t)(p[digits++] - '0');
    if (digits == 0 || digits > 8 || (p[0] == '0') || p[digits] != '$')
        return SEAL_EINVAL;
    p += digits + 1;
    const char *dollar = strchr(p, '$');
    if (dollar == NULL || strchr(dollar + 1, '$') != NULL)
        return SEAL_EINVAL;
    size_t s64_len = (size_t)(dollar - p), h64_len = strlen(dollar + 1);
    if (s64_len == 0 || h64_len == 0)
        return SEAL_EINVAL;
    long salt_len = seal_b64_decode(salt, sizeof(salt), p, s64_len);
    long hash_len = seal_b64_decode(want, sizeof(want), dollar + 1, h64_len);
    if (salt_len < 0 || hash_len < 0)
        return SEAL_EINVAL;
    if (iter < CRY_PBKDF2_MIN_ITER || salt_len < CRY_PBKDF2_MIN_SALT ||
        hash_len < CRY_PBKDF2_MIN_OUT)
        return SEAL_ENOTALLOWED;
    if (iter > CRY_PBKDF2_MAX_ITER)
        return SEAL_ELIMIT;
    rc = cry_pbkdf2_sha256_impl(got, (size_t)hash_len, password, pw_len, salt, (size_t)salt_len,
                                (uint32_t)iter);
    if (rc == 0)
        rc = CRYPTO_memcmp(got, want, (size_t)hash_len) == 0 ? 0 : SEAL_EAUTH;
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(want, sizeof(want));
    return rc;
}
