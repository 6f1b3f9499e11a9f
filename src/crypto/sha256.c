/* sha256.c - SHA-256 through the FIPS provider: one-shot, incremental, and a
 * fast path for many small inputs (one EVP_MD_CTX per thread, re-initialised
 * with EVP_DigestInit_ex2 on the digest fetched once at start-up). */
#include "crypto/cry_internal.h"

#include <openssl/err.h>

#include <pthread.h>

struct cry_sha256_ctx {
    EVP_MD_CTX *md;
};

static pthread_key_t g_tls_key;
static pthread_once_t g_tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
    EVP_MD_CTX_free(p);
}

static void tls_init(void)
{
    pthread_key_create(&g_tls_key, tls_free);
}

int cry_fail(const char *what)
{
    unsigned long e;
    char buf[256];
    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        SEAL_LOGD("crypto", "%s: %s", what, buf);
    }
    return SEAL_ECRYPTO;
}

static EVP_MD_CTX *thread_ctx(void)
{
    static _Thread_local EVP_MD_CTX *cached;
    if (cached)
        return cached;
    pthread_once(&g_tls_once, tls_init);
    cached = EVP_MD_CTX_new();
    if (cached)
        pthread_setspecific(g_tls_key, cached);
    return cached;
}

int cry_sha256v(uint8_t out[CRY_SHA256_LEN], const cry_part *parts, size_t n)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    EVP_MD_CTX *c = thread_ctx();
    if (c == NULL)
        return SEAL_ENOMEM;
    if (!EVP_DigestInit_ex2(c, cry_g_sha256, NULL))
        return cry_fail("sha256 init");
    for (size_t i = 0; i < n; i++) {
        if (parts[i].n && !EVP_DigestUpdate(c, parts[i].p, parts[i].n))
            return cry_fail("sha256 update");
    }
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(c, out, &len) || len != CRY_SHA256_LEN)
        return cry_fail("sha256 final");
    return 0;
}

int cry_sha256(uint8_t out[CRY_SHA256_LEN], const void *p, size_t n)
{
    cry_part part = {p, n};
    return cry_sha256v(out, &part, 1);
}

cry_sha256_ctx *cry_sha256_new(void)
{
    if (!cry_ready())
        return NULL;
    cry_sha256_ctx *c = seal_malloc(sizeof(*c));
    if (!c)
        return NULL;
    c->md = EVP_MD_CTX_new();
    if (!c->md || !EVP_DigestInit_ex2(c->md, cry_g_sha256, NULL)) {
        EVP_MD_CTX_free(c->md);
        seal_free(c);
        return NULL;
    }
    return c;
}

int cry_sha256_update(cry_sha256_ctx *c, const void *p, size_t n)
{
    if (n && !EVP_DigestUpdate(c->md, p, n))
        return cry_fail("sha256 update");
    return 0;
}

int cry_sha256_final(cry_sha256_ctx *c, uint8_t out[CRY_SHA256_LEN])
{
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(c->md, out, &len) || len != CRY_SHA256_LEN)
        return cry_fail("sha256 final");
    if (!EVP_DigestInit_ex2(c->md, cry_g_sha256, NULL))
        return cry_fail("sha256 init");
    return 0;
}

void cry_sha256_free(cry_sha256_ctx *c)
{
    if (!c)
        return;
    EVP_MD_CTX_free(c->md);
    seal_free(c);
}
