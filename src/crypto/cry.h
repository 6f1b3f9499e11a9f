/* cry.h - the FIPS boundary. src/crypto/ is the only code that includes
 * OpenSSL headers; everything else uses these functions. Every function
 * returns 0 or a negative SEAL_E* code (SEAL_ECRYPTO for a provider failure,
 * SEAL_ENOTALLOWED for something our FIPS policy refuses, SEAL_EFIPS when
 * seal_fips_init has not succeeded). */
#ifndef SEAL_CRY_H
#define SEAL_CRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal/seal_common.h"
#include "seal/seal_fips.h"

#define CRY_SHA256_LEN 32

/* Is the crypto module initialized (seal_fips_init succeeded)? */
bool cry_ready(void);

/* ------------------------------------------------------------------ SHA-256 */
/* One-shot. */
int cry_sha256(uint8_t out[CRY_SHA256_LEN], const void *p, size_t n);

/* Fast path for many small inputs: hash the concatenation of |n| parts using
 * a per-thread context and a digest object fetched once. */
typedef struct cry_part {
    const void *p;
    size_t n;
} cry_part;
int cry_sha256v(uint8_t out[CRY_SHA256_LEN], const cry_part *parts, size_t n);

/* Incremental. cry_sha256_new returns NULL on failure; free with cry_sha256_free. */
typedef struct cry_sha256_ctx cry_sha256_ctx;
cry_sha256_ctx *cry_sha256_new(void);
int cry_sha256_update(cry_sha256_ctx *c, const void *p, size_t n);
/* Writes the digest and resets |c| for reuse. */
int cry_sha256_final(cry_sha256_ctx *c, uint8_t out[CRY_SHA256_LEN]);
void cry_sha256_free(cry_sha256_ctx *c);

/* --------------------------------------------------------------------- HMAC */
/* HMAC-SHA-256. Keys shorter than 14 bytes (112 bits) are refused. */
#define CRY_HMAC_MIN_KEY 14
int cry_hmac_sha256(uint8_t out[CRY_SHA256_LEN], const void *key, size_t key_len, const void *p,
                    size_t n);

/* ------------------------------------------------------------------- random */
/* Bytes from the FIPS provider's DRBG. */
int cry_random(void *out, size_t n);

/* ------------------------------------------------------------ ECDSA P-256 */
typedef struct cry_key cry_key; /* a P-256 key pair or public key */
/* Generate a new P-256 key pair. *out owned by the caller (cry_key_free). */
int cry_ec_generate(cry_key **out);
/* Parse a PEM private key ("EC PRIVATE KEY" or PKCS#8) or public key
 * ("PUBLIC KEY"). Anything but a P-256 EC key is SEAL_ENOTALLOWED. */
int cry_key_from_pem(cry_key **out, const char *pem, size_t len);
int cry_key_load_file(cry_key **out, const char *path);
/* PEM encodings; *out is NUL-terminated, owned by the caller (seal_free). */
int cry_key_private_pem(const cry_key *k, char **out, size_t *out_len);
int cry_key_public_pem(const cry_key *k, char **out, size_t *out_len);
/* Uncompressed SEC1 point 0x04||X||Y (65 bytes). */
int cry_key_public_raw(const cry_key *k, uint8_t out[65]);
void cry_key_free(cry_key *k);
/* ECDSA with SHA-256 over |msg|; DER signature, at most 72 bytes. */
#define CRY_ECDSA_MAX_SIG 72
int cry_ecdsa_sign(const cry_key *k, const void *msg, size_t n, uint8_t *sig, size_t *sig_len);
/* Returns 0 when valid, SEAL_EVERIFY when the signature does not verify. */
int cry_ecdsa_verify(const cry_key *k, const void *msg, size_t n, const uint8_t *sig,
                     size_t sig_len);

/* ------------------------------------------------------- password hashing */
/* PBKDF2-HMAC-SHA-256 through EVP_KDF, never with pkcs5=1. The stored form
 * is self-describing: "$pbkdf2-sha256$i=<iter>$<salt b64>$<hash b64>".
 * Salt 16 bytes from the DRBG, hash 32 bytes. |iterations| 0 means the
 * default (CRY_PBKDF2_DEFAULT_ITER); fewer than CRY_PBKDF2_MIN_ITER is
 * SEAL_ENOTALLOWED. */
#define CRY_PBKDF2_DEFAULT_ITER 600000
#define CRY_PBKDF2_MIN_ITER 1000
#define CRY_PBKDF2_MIN_SALT 16
#define CRY_PBKDF2_MIN_OUT 32
int cry_password_hash(char *out, size_t cap, const char *password, size_t pw_len,
                      uint32_t iterations);
/* Returns 0 if |password| matches |stored| (constant-time compare),
 * SEAL_EAUTH if it does not, SEAL_EINVAL if |stored| is malformed. */
int cry_password_verify(const char *stored, const char *password, size_t pw_len);
/* Raw PBKDF2 (for known-answer tests and key derivation); enforces the
 * floors above (salt >= 16, out >= 32... see cry.c for exact rules). */
int cry_pbkdf2_sha256(uint8_t *out, size_t out_len, const void *pw, size_t pw_len,
                      const void *salt, size_t salt_len, uint32_t iterations);

/* -------------------------------------------------------------- AES-GCM */
/* AES-256-GCM with a 96-bit IV from the DRBG, 128-bit tag.
 * Sealed form: iv(12) || ciphertext || tag(16). */
#define CRY_AES_KEY_LEN 32
#define CRY_GCM_IV_LEN 12
#define CRY_GCM_TAG_LEN 16
int cry_aead_seal(uint8_t *out, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *pt, size_t pt_len);
/* Returns SEAL_EVERIFY when the tag does not match. */
int cry_aead_open(uint8_t *out, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *sealed, size_t sealed_len);

/* ------------------------------------------------------------ misc */
/* Constant-time comparison; returns 0 when equal. */
int cry_memcmp_ct(const void *a, const void *b, size_t n);
/* Wipe a secret. */
void cry_cleanse(void *p, size_t n);

/* --------------------------------------------------------------- TLS */
/* A TLS context: TLS 1.2/1.3 only, groups P-256/P-384/P-521, AES-GCM suites,
 * ALPN h2. Opaque; the server and client layers drive connections through
 * cry_tls_conn with memory buffers (no socket I/O inside crypto). */
typedef struct cry_tls_ctx cry_tls_ctx;
typedef struct cry_tls_conn cry_tls_conn;
typedef struct cry_tls_opts {
    const char *cert_file;   /* server: PEM chain; client: optional client cert (mTLS) */
    const char *key_file;    /* private key for cert_file */
    const char *ca_file;     /* server: CAs for client certs; client: CAs for the server */
    int verify_peer;         /* server: require a client certificate (mTLS); client: verify server */
    const char *server_name; /* client: SNI and host name check */
} cry_tls_opts;
int cry_tls_ctx_new(cry_tls_ctx **out, int is_server, const cry_tls_opts *opts);
void cry_tls_ctx_free(cry_tls_ctx *c);
int cry_tls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx);
void cry_tls_conn_free(cry_tls_conn *c);
/* Feed bytes received from the network. */
int cry_tls_feed(cry_tls_conn *c, const void *p, size_t n);
/* Drive the handshake: returns 1 when complete, 0 when it needs more input,
 * negative on failure (SEAL_EPROTOCOL, with a reason for cry_tls_error). */
int cry_tls_handshake(cry_tls_conn *c);
/* Read decrypted application data: returns bytes read, 0 if none is pending,
 * negative on error or close. */
long cry_tls_read(cry_tls_conn *c, void *buf, size_t cap);
/* Encrypt application data (queued for cry_tls_pending_out). */
int cry_tls_write(cry_tls_conn *c, const void *p, size_t n);
/* Bytes waiting to go to the network: returns count copied (up to cap). */
long cry_tls_take_out(cry_tls_conn *c, void *buf, size_t cap);
size_t cry_tls_out_pending(const cry_tls_conn *c);
/* Negotiated details (valid after the handshake). */
const char *cry_tls_alpn(const cry_tls_conn *c); /* "h2" or "" (static/conn-owned) */
const char *cry_tls_version(const cry_tls_conn *c);
const char *cry_tls_cipher(const cry_tls_conn *c);
const char *cry_tls_group(const cry_tls_conn *c);
const char *cry_tls_error(const cry_tls_conn *c);

#endif
