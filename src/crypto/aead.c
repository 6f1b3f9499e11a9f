/* aead.c - AES-256-GCM through the FIPS provider: 96-bit IV from the DRBG,
 * 128-bit tag, sealed form iv || ciphertext || tag. */
#include "crypto/cry_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <limits.h>

static int gcm_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *key,
                    const uint8_t *iv, const void *aad, size_t aad_len, const void *pt,
                    size_t pt_len)
{
    int rc = SEAL_ECRYPTO, len = 0, fin = 0;
    EVP_CIPHER_CTX *c = NULL;

    if (key == NULL || out == NULL || out_len == NULL || (aad == NULL && aad_len > 0) ||
        (pt == NULL && pt_len > 0))
        return SEAL_EINVAL;
    if (pt_len > (size_t)INT_MAX - CRY_AEAD_OVERHEAD || aad_len > INT_MAX)
        return SEAL_ELIMIT;
    if (cap < pt_len + CRY_AEAD_OVERHEAD)
        return SEAL_ELIMIT;
    if (cry_g_aes_gcm == NULL)
        return SEAL_EFIPS;
    c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return SEAL_ENOMEM;
    uint8_t *ct = out + CRY_GCM_IV_LEN;
    if (!EVP_EncryptInit_ex2(c, cry_g_aes_gcm, key, iv, NULL) ||
        (aad_len > 0 && !EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len)) ||
        (pt_len > 0 && !EVP_EncryptUpdate(c, ct, &len, pt, (int)pt_len)) ||
        !EVP_EncryptFinal_ex(c, ct + (pt_len > 0 ? len : 0), &fin)) {
        rc = cry_fail("AES-256-GCM seal");
        goto out;
    }
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + pt_len, CRY_GCM_TAG_LEN),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_CIPHER_CTX_get_params(c, prm)) {
        rc = cry_fail("AES-256-GCM tag");
        goto out;
    }
    memmove(out, iv, CRY_GCM_IV_LEN);
    *out_len = pt_len + CRY_AEAD_OVERHEAD;
    rc = 0;
out:
    if (rc != 0)
        OPENSSL_cleanse(out, pt_len + CRY_AEAD_OVERHEAD);
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int cry_aead_seal_with_iv(uint8_t *out, size_t cap, size_t *out_len,
                          const uint8_t key[CRY_AES_KEY_LEN], const uint8_t iv[CRY_GCM_IV_LEN],
                          const void *aad, size_t aad_len, const void *pt, size_t pt_len)
{
    uint8_t ivc[CRY_GCM_IV_LEN];
    if (iv == NULL)
        return SEAL_EINVAL;
    memcpy(ivc, iv, sizeof(ivc)); /* |iv| may live inside |out| */
    return gcm_seal(out, cap, out_len, key, ivc, aad, aad_len, pt, pt_len);
}

int cry_aead_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *pt, size_t pt_len)
{
    uint8_t iv[CRY_GCM_IV_LEN];
    if (!cry_ready())
        return SEAL_EFIPS;
    int rc = cry_random(iv, sizeof(iv));
    if (rc != 0)
        return rc;
    return gcm_seal(out, cap, out_len, key, iv, aad, aad_len, pt, pt_len);
}

int cry_aead_open(uint8_t *out, size_t cap, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *sealed, size_t sealed_len)
{
    int rc = SEAL_ECRYPTO, len = 0, fin = 0;
    EVP_CIPHER_CTX *c = NULL;
    uint8_t tag[CRY_GCM_TAG_LEN];

    if (!cry_ready())
        return SEAL_EFIPS;
    if (key == NULL || out_len == NULL || sealed == NULL || (aad == NULL && aad_len > 0))
        return SEAL_EINVAL;
    if (sealed_len < CRY_AEAD_OVERHEAD)
        return SEAL_EINVAL;
    size_t ct_len = sealed_len - CRY_AEAD_OVERHEAD;
    if (ct_len > INT_MAX || aad_len > INT_MAX)
        return SEAL_ELIMIT;
    if (cap < ct_len || (out == NULL && ct_len > 0))
        return SEAL_ELIMIT;
    const uint8_t *iv = sealed, *ct = (const uint8_t *)sealed + CRY_GCM_IV_LEN;
    memcpy(tag, ct + ct_len, sizeof(tag));
    c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return SEAL_ENOMEM;
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
        OSSL_PARAM_construct_end(),
    };
    if (!EVP_DecryptInit_ex2(c, cry_g_aes_gcm, key, iv, NULL) ||
        (aad_len > 0 && !EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len)) ||
        (ct_len > 0 && !EVP_DecryptUpdate(c, out, &len, ct, (int)ct_len)) ||
        !EVP_CIPHER_CTX_set_params(c, prm)) {
        rc = cry_fail("AES-256-GCM open");
        goto out;
    }
    if (EVP_DecryptFinal_ex(c, out + (ct_len > 0 ? len : 0), &fin) != 1) {
        cry_fail("AES-256-GCM tag mismatch");
        rc = SEAL_EVERIFY;
        goto out;
    }
    *out_len = ct_len;
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        OPENSSL_cleanse(out, ct_len);
    EVP_CIPHER_CTX_free(c);
    return rc;
}
