/* misc.c - the small primitives of the boundary: algorithms fetched once,
 * DRBG output, HMAC-SHA-256 (keys under 112 bits refused), constant-time
 * comparison and wiping of secrets. */
#include "crypto/cry_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <limits.h>

EVP_MAC *cry_g_hmac;
EVP_KDF *cry_g_pbkdf2;
EVP_CIPHER *cry_g_aes_gcm;

static bool from_fips(const OSSL_PROVIDER *p)
{
    return p != NULL && strcmp(OSSL_PROVIDER_get0_name(p), "fips") == 0;
}

int cry_fetch_algorithms(void)
{
    if (cry_g_hmac == NULL)
        cry_g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (cry_g_pbkdf2 == NULL)
        cry_g_pbkdf2 = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
    if (cry_g_aes_gcm == NULL)
        cry_g_aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (cry_g_hmac == NULL || cry_g_pbkdf2 == NULL || cry_g_aes_gcm == NULL)
        return cry_fail("fetching HMAC, PBKDF2 and AES-256-GCM");
    if (!from_fips(EVP_MAC_get0_provider(cry_g_hmac)) ||
        !from_fips(EVP_KDF_get0_provider(cry_g_pbkdf2)) ||
        !from_fips(EVP_CIPHER_get0_provider(cry_g_aes_gcm))) {
        SEAL_LOGE("crypto", "HMAC, PBKDF2 or AES-256-GCM is not served by the fips provider");
        return SEAL_EFIPS;
    }
    return 0;
}

int cry_random(void *out, size_t n)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    uint8_t *p = out;
    while (n > 0) {
        size_t chunk = n > INT_MAX ? INT_MAX : n;
        if (RAND_bytes_ex(NULL, p, chunk, 256) != 1)
            return cry_fail("RAND_bytes_ex");
        p += chunk;
        n -= chunk;
    }
    return 0;
}

int cry_hmac_sha256_impl(uint8_t out[CRY_SHA256_LEN], const void *key, size_t key_len,
                         const void *p, size_t n)
{
    int rc = SEAL_ECRYPTO;
    EVP_MAC_CTX *mc = NULL;
    uint8_t md[CRY_SHA256_LEN];
    size_t md_len = 0;
    char digest[] = "SHA2-256";
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };

    if (key_len < CRY_HMAC_MIN_KEY)
        return SEAL_ENOTALLOWED;
    if (key == NULL || (p == NULL && n > 0))
        return SEAL_EINVAL;
    if (cry_g_hmac == NULL)
        return SEAL_EFIPS;
    mc = EVP_MAC_CTX_new(cry_g_hmac);
    if (mc == NULL) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    if (!EVP_MAC_init(mc, key, key_len, prm) || (n > 0 && !EVP_MAC_update(mc, p, n)) ||
        !EVP_MAC_final(mc, md, &md_len, sizeof(md)) || md_len != sizeof(md)) {
        rc = cry_fail("HMAC-SHA-256");
        goto out;
    }
    memcpy(out, md, sizeof(md));
    rc = 0;
out:
    OPENSSL_cleanse(md, sizeof(md));
    EVP_MAC_CTX_free(mc);
    return rc;
}

int cry_hmac_sha256(uint8_t out[CRY_SHA256_LEN], const void *key, size_t key_len, const void *p,
                    size_t n)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    return cry_hmac_sha256_impl(out, key, key_len, p, n);
}

int cry_memcmp_ct(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1;
}

void cry_cleanse(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}
