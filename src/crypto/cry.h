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
/* Bytes from the FIPS provider's DRBG (RAND_bytes_ex on the default, FIPS-only
 * library context, strength 256). */
int cry_random(void *out, size_t n);

/* ------------------------------------------------------------ ECDSA P-256 */
/* Only ECDSA over P-256 with SHA-256 is allowed: any other key (Ed25519,
 * X25519, RSA, P-384, secp256k1, explicit curve parameters...) is
 * SEAL_ENOTALLOWED. Malformed input is SEAL_EINVAL. */
typedef struct cry_key cry_key; /* a P-256 key pair or public key */
/* Generate a new P-256 key pair. *out owned by the caller (cry_key_free). */
int cry_ec_generate(cry_key **out);
/* Parse a PEM private key ("EC PRIVATE KEY" or unencrypted PKCS#8 "PRIVATE
 * KEY", an "EC PARAMETERS" block before it is skipped) or public key
 * ("PUBLIC KEY"). Encrypted PEM is SEAL_EUNSUPPORTED. */
int cry_key_from_pem(cry_key **out, const char *pem, size_t len);
int cry_key_load_file(cry_key **out, const char *path);
/* A public key from its uncompressed SEC1 point 0x04||X||Y (checked to be on
 * the curve). */
int cry_key_from_public_raw(cry_key **out, const uint8_t pt[65]);
/* Does |k| hold the private half? */
bool cry_key_has_private(const cry_key *k);
/* PEM encodings; *out is NUL-terminated, owned by the caller (seal_free).
 * cry_key_private_pem writes SEC1 "EC PRIVATE KEY" (what immudb's signer
 * reads); cry_key_private_pem_pkcs8 writes "PRIVATE KEY". A public-only key
 * gives SEAL_EINVAL. */
int cry_key_private_pem(const cry_key *k, char **out, size_t *out_len);
int cry_key_private_pem_pkcs8(const cry_key *k, char **out, size_t *out_len);
int cry_key_public_pem(const cry_key *k, char **out, size_t *out_len);
/* Write the private key (SEC1 PEM, file mode 0600, replaced atomically) or the
 * public key ("PUBLIC KEY", 0644) to |path|. SEAL_EIO on a file error. */
int cry_key_save_private_file(const cry_key *k, const char *path);
int cry_key_save_public_file(const cry_key *k, const char *path);
/* Uncompressed SEC1 point 0x04||X||Y (65 bytes). */
int cry_key_public_raw(const cry_key *k, uint8_t out[65]);
void cry_key_free(cry_key *k);
/* ECDSA with SHA-256 over |msg|; DER signature, at most 72 bytes. |*sig_len|
 * is the capacity of |sig| on entry (at least CRY_ECDSA_MAX_SIG), the
 * signature length on return. */
#define CRY_ECDSA_MAX_SIG 72
int cry_ecdsa_sign(const cry_key *k, const void *msg, size_t n, uint8_t *sig, size_t *sig_len);
/* Returns 0 when valid, SEAL_EVERIFY when the signature does not verify
 * (malformed DER included). */
int cry_ecdsa_verify(const cry_key *k, const void *msg, size_t n, const uint8_t *sig,
                     size_t sig_len);

/* ------------------------------------------------------- password hashing */
/* PBKDF2-HMAC-SHA-256 through EVP_KDF, never with pkcs5=1. The stored form
 * is self-describing: "$pbkdf2-sha256$i=<iter>$<salt b64>$<hash b64>".
 * Salt 16 bytes from the DRBG, hash 32 bytes. |iterations| 0 means the
 * default (CRY_PBKDF2_DEFAULT_ITER); fewer than CRY_PBKDF2_MIN_ITER is
 * SEAL_ENOTALLOWED. */
#define CRY_PBKDF2_DEFAULT_ITER 600000
#define CRY_PBKDF2_MIN_ITER     1000
#define CRY_PBKDF2_MIN_SALT     16
#define CRY_PBKDF2_MIN_OUT      32
/* Upper bounds, so that a stored hash cannot make us spin for minutes. */
#define CRY_PBKDF2_MAX_ITER 10000000
#define CRY_PBKDF2_MAX_SALT 64
#define CRY_PBKDF2_MAX_OUT  64
/* Room for the longest stored form we write (with the NUL). */
#define CRY_PASSWORD_HASH_MAX 128
/* Writes the NUL-terminated stored form into |out| (|cap| bytes, at least
 * CRY_PASSWORD_HASH_MAX is always enough). SEAL_ELIMIT if |cap| is too small
 * or |iterations| > CRY_PBKDF2_MAX_ITER. */
int cry_password_hash(char *out, size_t cap, const char *password, size_t pw_len,
                      uint32_t iterations);
/* Returns 0 if |password| matches |stored| (constant-time compare),
 * SEAL_EAUTH if it does not, SEAL_EINVAL if |stored| is malformed,
 * SEAL_ENOTALLOWED if it is below our floors. */
int cry_password_verify(const char *stored, const char *password, size_t pw_len);
/* Raw PBKDF2-HMAC-SHA-256 (known-answer tests, key derivation). Floors:
 * salt >= 16 bytes, out >= 32 bytes, iterations >= 1000 (SEAL_ENOTALLOWED
 * below them); ceilings: out <= 64 bytes and iterations <=
 * CRY_PBKDF2_MAX_ITER (SEAL_ELIMIT). */
int cry_pbkdf2_sha256(uint8_t *out, size_t out_len, const void *pw, size_t pw_len, const void *salt,
                      size_t salt_len, uint32_t iterations);

/* -------------------------------------------------------------- AES-GCM */
/* AES-256-GCM with a 96-bit IV from the DRBG, 128-bit tag.
 * Sealed form: iv(12) || ciphertext || tag(16). */
#define CRY_AES_KEY_LEN   32
#define CRY_GCM_IV_LEN    12
#define CRY_GCM_TAG_LEN   16
#define CRY_AEAD_OVERHEAD (CRY_GCM_IV_LEN + CRY_GCM_TAG_LEN)
/* A random IV is safe for up to 2^32 messages under one key (SP 800-38D
 * 8.3); rotate keys well before that. |cap| is the size of |out| and must be
 * at least pt_len + CRY_AEAD_OVERHEAD (SEAL_ELIMIT otherwise). |aad| may be
 * NULL when aad_len is 0. */
int cry_aead_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *pt, size_t pt_len);
/* |cap| must be at least sealed_len - CRY_AEAD_OVERHEAD. Returns SEAL_EVERIFY
 * when the tag does not match (nothing is left in |out|), SEAL_EINVAL when
 * |sealed| is shorter than the overhead. */
int cry_aead_open(uint8_t *out, size_t cap, size_t *out_len, const uint8_t key[CRY_AES_KEY_LEN],
                  const void *aad, size_t aad_len, const void *sealed, size_t sealed_len);

/* ------------------------------------------------------------ misc */
/* Constant-time comparison; returns 0 when equal. */
int cry_memcmp_ct(const void *a, const void *b, size_t n);
/* Wipe a secret. */
void cry_cleanse(void *p, size_t n);

/* --------------------------------------------------------------- TLS */
/* A TLS context: TLS 1.2/1.3 only; groups exactly P-256:P-384:P-521; TLS 1.3
 * suites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256; TLS 1.2 ECDHE with
 * AES-GCM only; ECDSA/RSA-PSS/RSA signature algorithms with SHA-2 (no
 * Ed25519/Ed448); no compression, no renegotiation; ALPN "h2" (a server
 * refuses a client that offers ALPN without h2; a client offers only h2).
 * Opaque; the server and client layers drive connections through
 * cry_tls_conn with memory buffers (no socket I/O inside crypto). */
typedef struct cry_tls_ctx cry_tls_ctx;
typedef struct cry_tls_conn cry_tls_conn;
typedef struct cry_tls_opts {
    const char *cert_file;   /* server: PEM chain (required); client: optional client cert */
    const char *key_file;    /* private key for cert_file (EC P-256/384/521 or RSA >= 2048) */
    const char *ca_file;     /* server: CAs for client certs; client: CAs for the server
                                (NULL: the system trust store) */
    int verify_peer;         /* server: require a client certificate signed by ca_file
                                (mTLS); client: verify the server's chain and host name
                                (0 turns verification off: tests and --insecure only) */
    const char *server_name; /* client: SNI and host name check (required when verifying) */
} cry_tls_opts;
/* *out owned by the caller (cry_tls_ctx_free). SEAL_EINVAL for missing or
 * unreadable files (reason logged), SEAL_ENOTALLOWED for a key outside the
 * allow-list (Ed25519, RSA < 2048, ...). Thread-safe once created: many
 * connections may share one context. */
int cry_tls_ctx_new(cry_tls_ctx **out, int is_server, const cry_tls_opts *opts);
void cry_tls_ctx_free(cry_tls_ctx *c);
/* A connection (server: accept state; client: connect state). One thread at
 * a time per connection. */
int cry_tls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx);
void cry_tls_conn_free(cry_tls_conn *c);
/* Feed bytes received from the network (copied). */
int cry_tls_feed(cry_tls_conn *c, const void *p, size_t n);
/* Drive the handshake: returns 1 when complete, 0 when it needs more input,
 * negative on failure (SEAL_EPROTOCOL, with a reason for cry_tls_error; an
 * alert may be waiting in the output: send it, then close). */
int cry_tls_handshake(cry_tls_conn *c);
/* Read decrypted application data: returns bytes read (> 0), 0 if none is
 * pending, SEAL_ECLOSED after the peer's close_notify, SEAL_EPROTOCOL on a
 * protocol error. Drives the handshake if it is not complete. */
long cry_tls_read(cry_tls_conn *c, void *buf, size_t cap);
/* Encrypt application data (all of it, queued for cry_tls_take_out).
 * SEAL_ESTATE before the handshake completed or after close. */
int cry_tls_write(cry_tls_conn *c, const void *p, size_t n);
/* Bytes waiting to go to the network: returns count copied (up to cap). */
long cry_tls_take_out(cry_tls_conn *c, void *buf, size_t cap);
size_t cry_tls_out_pending(const cry_tls_conn *c);
/* Queue a close_notify alert (send it with cry_tls_take_out, then close). */
int cry_tls_close(cry_tls_conn *c);
/* True once the connection is finished: the peer sent close_notify, we
 * called cry_tls_close, or a fatal error happened. The event loop should
 * flush cry_tls_take_out and close the socket. */
bool cry_tls_want_close(const cry_tls_conn *c);
/* True once the handshake completed. */
bool cry_tls_established(const cry_tls_conn *c);
/* Negotiated details (valid after the handshake; static or conn-owned). */
const char *cry_tls_alpn(const cry_tls_conn *c); /* "h2" or "" */
const char *cry_tls_version(const cry_tls_conn *c);
const char *cry_tls_cipher(const cry_tls_conn *c);
const char *cry_tls_group(const cry_tls_conn *c);
const char *cry_tls_error(const cry_tls_conn *c); /* "" when there was none */
/* The verified peer certificate's subject, RFC 2253 ("CN=alice,O=Example"),
 * and its common name, into |buf| (NUL-terminated). SEAL_ENOTFOUND when the
 * peer sent no verified certificate, SEAL_ELIMIT when |cap| is too small. */
int cry_tls_peer_subject(const cry_tls_conn *c, char *buf, size_t cap);
int cry_tls_peer_cn(const cry_tls_conn *c, char *buf, size_t cap);

#endif
