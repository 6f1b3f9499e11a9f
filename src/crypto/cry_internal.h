/* cry_internal.h - shared between the files of src/crypto only (and the
 * crypto tests, which may look inside the boundary). */
#ifndef SEAL_CRY_INTERNAL_H
#define SEAL_CRY_INTERNAL_H

#include "common/common.h"
#include "crypto/cry.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

/* Fetched once from the fips provider at start-up (fips.c, misc.c). */
extern EVP_MD *cry_g_sha256;
extern EVP_MAC *cry_g_hmac;       /* "HMAC" */
extern EVP_KDF *cry_g_pbkdf2;     /* "PBKDF2" */
extern EVP_CIPHER *cry_g_aes_gcm; /* "AES-256-GCM" */

/* Bind SHA-256 hashing to the fips provider's own SHA2-256 functions (see
 * sha256.c); called by seal_fips_init once cry_g_sha256 is set. On failure
 * (0 otherwise) hashing stays on the EVP path. */
int cry_sha256_bind(void);
/* Does hashing call the module's functions directly (for the tests)? */
bool cry_sha256_is_direct(void);

/* Policy checks run at the end of seal_fips_init (policy.c). They run before
 * cry_ready() is true, so they call the *_impl variants below. */
int cry_policy_init(void);

/* Drain OpenSSL's error queue into the log; returns SEAL_ECRYPTO. */
int cry_fail(const char *what);

/* ------------------------------------------------- the allow-list (policy.c) */
/* The TLS parameters every context is pinned to. */
extern const char cry_tls_groups[];    /* "P-256:P-384:P-521" */
extern const char cry_tls13_suites[];  /* TLS 1.3 AES-GCM suites */
extern const char cry_tls12_ciphers[]; /* ECDHE+AESGCM */
extern const char cry_tls_sigalgs[];   /* no Ed25519/Ed448, no SHA-1 */
/* Is |key| acceptable for our ECDSA API (P-256 only)? */
bool cry_policy_ecdsa_key_ok(const EVP_PKEY *key);
/* Is |key| acceptable as a TLS certificate key (EC P-256/384/521, RSA >= 2048)? */
bool cry_policy_tls_key_ok(const EVP_PKEY *key);
/* Is the IANA group id / cipher suite id one we allow on the wire? */
bool cry_policy_tls_group_ok(uint16_t group);
bool cry_policy_tls_suite_ok(uint16_t suite);
/* Check a ClientHello (one TLS record, as the client writes it): only allowed
 * suites, groups, key shares, versions, signature algorithms, null
 * compression and ALPN h2. 0 or SEAL_EFIPS (reason logged). */
int cry_policy_check_client_hello(const uint8_t *p, size_t n);

/* ------------------------------------------------ implementation entry points */
int cry_hmac_sha256_impl(uint8_t out[CRY_SHA256_LEN], const void *key, size_t key_len,
                         const void *p, size_t n);
int cry_pbkdf2_sha256_impl(uint8_t *out, size_t out_len, const void *pw, size_t pw_len,
                           const void *salt, size_t salt_len, uint32_t iterations);
/* AES-256-GCM with a caller-chosen IV: for known-answer tests ONLY (IV reuse
 * under one key breaks GCM). */
int cry_aead_seal_with_iv(uint8_t *out, size_t cap, size_t *out_len,
                          const uint8_t key[CRY_AES_KEY_LEN], const uint8_t iv[CRY_GCM_IV_LEN],
                          const void *aad, size_t aad_len, const void *pt, size_t pt_len);
/* Apply the pinned TLS parameters to |ctx| (tls.c). */
int cry_tls_apply_policy(SSL_CTX *ctx, int is_server);
/* Fetch the algorithms used by hmac/pbkdf2/aead once (misc.c); checks that
 * each comes from the fips provider. */
int cry_fetch_algorithms(void);

#endif
