/* raw_evp.c - raw OpenSSL SHA-256 baselines (see raw_evp.h).
 * The default-provider context exists only in the benchmark, to measure
 * what the FIPS provider costs; SealDB itself never loads that provider. */
#include "raw_evp.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <stdio.h>
#include <stdlib.h>

struct raw_evp {
    OSSL_LIB_CTX *libctx; /* NULL: the default context */
    OSSL_PROVIDER *prov;
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

void raw_evp_free(raw_evp *r)
{
    if (r == NULL)
        return;
    EVP_MD_CTX_free(r->ctx);
    EVP_MD_free(r->md);
    OSSL_PROVIDER_unload(r->prov);
    OSSL_LIB_CTX_free(r->libctx);
    free(r);
}

raw_evp *raw_evp_new(enum raw_evp_where where)
{
    raw_evp *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    if (where == RAW_EVP_DEFAULT) {
        r->libctx = OSSL_LIB_CTX_new();
        r->prov = r->libctx ? OSSL_PROVIDER_load(r->libctx, "default") : NULL;
        if (r->prov == NULL)
            goto fail;
    }
    r->md = EVP_MD_fetch(r->libctx, "SHA2-256", NULL);
    r->ctx = EVP_MD_CTX_new();
    if (r->md == NULL || r->ctx == NULL)
        goto fail;
    return r;
fail:
    fprintf(stderr, "raw_evp_new(%d) failed\n", (int)where);
    ERR_print_errors_fp(stderr);
    raw_evp_free(r);
    return NULL;
}

const char *raw_evp_provider(const raw_evp *r)
{
    return OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(r->md));
}

int raw_evp_digest(raw_evp *r, uint8_t out[32], const void *p, size_t n)
{
    unsigned int len = 0;
    return EVP_Digest(p, n, out, &len, r->md, NULL) == 1 && len == 32 ? 0 : -1;
}

int raw_evp_digest_parts(raw_evp *r, uint8_t out[32], const void *const *parts, const size_t *lens,
                         size_t n)
{
    unsigned int len = 0;
    if (!EVP_DigestInit_ex2(r->ctx, r->md, NULL))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!EVP_DigestUpdate(r->ctx, parts[i], lens[i]))
            return -1;
    return EVP_DigestFinal_ex(r->ctx, out, &len) == 1 && len == 32 ? 0 : -1;
}
