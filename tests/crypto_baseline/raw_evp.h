/* raw_evp.h - raw OpenSSL SHA-256 baselines for the benchmarks,
 * without OpenSSL types in the interface (bench programs stay outside the
 * FIPS boundary; this test-side helper is the only baseline code that includes OpenSSL). */
#ifndef SEAL_BENCH_CRYPTO_RAW_EVP_H
#define SEAL_BENCH_CRYPTO_RAW_EVP_H

#include <stddef.h>
#include <stdint.h>

typedef struct raw_evp raw_evp;

enum raw_evp_where {
    RAW_EVP_FIPS = 0,    /* the default library context (FIPS-only after seal_fips_init) */
    RAW_EVP_DEFAULT = 1, /* a private library context with the default provider (bench only) */
};

/* NULL on failure (reason on stderr). */
raw_evp *raw_evp_new(enum raw_evp_where where);
void raw_evp_free(raw_evp *r);
/* The name of the provider that serves SHA2-256 ("fips", "default"). */
const char *raw_evp_provider(const raw_evp *r);
/* EVP_Digest with the fetched MD: a new context per call. 0 on success. */
int raw_evp_digest(raw_evp *r, uint8_t out[32], const void *p, size_t n);
/* One reused EVP_MD_CTX: Init_ex2 / Update per part / Final. 0 on success. */
int raw_evp_digest_parts(raw_evp *r, uint8_t out[32], const void *const *parts, const size_t *lens,
                         size_t n);

#endif
