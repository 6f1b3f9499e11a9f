/* policy.c - our own allow-list on top of the FIPS provider, and the checks
 * that prove it holds, run at the end of seal_fips_init.
 *
 * The 3.0.x provider accepts things SealDB must not use: X25519 and X448 key
 * agreement (offered as TLS groups by default), Ed25519/Ed448 keys, HMAC
 * keys of any length, and PBKDF2 without its lower bounds once the PKCS#5
 * compatibility switch is set. The allow-list is:
 *   - TLS: groups P-256, P-384, P-521; TLS 1.3 AES-GCM suites; TLS 1.2
 *     ECDHE with AES-GCM; ECDSA / RSA-PSS / RSA signatures with SHA-2;
 *   - signatures in our API: ECDSA P-256 with SHA-256 only;
 *   - TLS certificate keys: EC P-256/384/521, RSA >= 2048;
 *   - HMAC-SHA-256 keys >= 14 bytes; PBKDF2-HMAC-SHA-256 with salt >= 16,
 *     output >= 32, iterations >= 1000, never the PKCS#5 switch.
 * See docs/fips.md. */
#include "crypto/cry_internal.h"

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

const char cry_tls_groups[] = "P-256:P-384:P-521";
const char cry_tls13_suites[] = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256";
const char cry_tls12_ciphers[] = "ECDHE+AESGCM:!aNULL:!eNULL";
const char cry_tls_sigalgs[] =
    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:"
    "rsa_pss_rsae_sha512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
    "RSA+SHA256:RSA+SHA384:RSA+SHA512";

/* IANA code points. */
static const uint16_t allowed_groups[] = {0x0017, 0x0018, 0x0019}; /* secp256r1/384r1/521r1 */
static const uint16_t allowed_suites[] = {
    0x1301, 0x1302, /* TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 */
    0xc02b, 0xc02c, /* ECDHE-ECDSA-AES128/256-GCM */
    0xc02f, 0xc030, /* ECDHE-RSA-AES128/256-GCM */
};
static const uint16_t allowed_sigalgs[] = {
    0x0403, 0x0503, 0x0603, /* ecdsa_secp256r1_sha256 ... secp521r1_sha512 */
    0x0804, 0x0805, 0x0806, /* rsa_pss_rsae_sha256/384/512 */
    0x0809, 0x080a, 0x080b, /* rsa_pss_pss_sha256/384/512 */
    0x0401, 0x0501, 0x0601, /* rsa_pkcs1_sha256/384/512 */
};

static bool in_list(uint16_t v, const uint16_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

bool cry_policy_tls_group_ok(uint16_t group)
{
    return in_list(group, allowed_groups, SEAL_ARRAY_LEN(allowed_groups));
}

bool cry_policy_tls_suite_ok(uint16_t suite)
{
    return in_list(suite, allowed_suites, SEAL_ARRAY_LEN(allowed_suites));
}

static bool ec_group_is(const EVP_PKEY *key, const char *const *names, size_t n)
{
    char group[64];
    size_t len = 0;
    if (!EVP_PKEY_is_a(key, "EC") || !EVP_PKEY_get_group_name(key, group, sizeof(group), &len)) {
        ERR_clear_error();
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (OPENSSL_strcasecmp(group, names[i]) == 0)
            return true;
    return false;
}

bool cry_policy_ecdsa_key_ok(const EVP_PKEY *key)
{
    static const char *const p256[] = {"prime256v1", "P-256", "secp256r1"};
    return key != NULL && ec_group_is(key, p256, SEAL_ARRAY_LEN(p256));
}

bool cry_policy_tls_key_ok(const EVP_PKEY *key)
{
    static const char *const curves[] = {"prime256v1", "P-256",     "secp256r1", "secp384r1",
                                         "P-384",      "secp521r1", "P-521"};
    if (key == NULL)
        return false;
    if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS"))
        return EVP_PKEY_get_bits(key) >= 2048;
    return ec_group_is(key, curves, SEAL_ARRAY_LEN(curves));
}

/* ------------------------------------------------------ ClientHello check */
typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

static bool rd_bytes(rd *r, size_t n, rd *sub)
{
    if (r->n < n)
        return false;
    sub->p = r->p;
    sub->n = n;
    r->p += n;
    r->n -= n;
    return true;
}

static bool rd_u8(rd *r, size_t *v)
{
    if (r->n < 1)
        return false;
    *v = r->p[0];
    r->p++;
    r->n--;
    return true;
}

static bool rd_u16(rd *r, size_t *v)
{
    if (r->n < 2)
        return false;
    *v = (size_t)r->p[0] << 8 | r->p[1];
    r->p += 2;
    r->n -= 2;
    return true;
}

static bool vec16(rd *r, rd *sub)
{
    size_t n;
    return rd_u16(r, &n) && rd_bytes(r, n, sub);
}

static bool vec8(rd *r, rd *sub)
{
    size_t n;
    return rd_u8(r, &n) && rd_bytes(r, n, sub);
}

#define HELLO_FAIL(...)                                                                            \
    do {                                                                                           \
        SEAL_LOGE("crypto", "TLS policy: " __VA_ARGS__);                                           \
        return SEAL_EFIPS;                                                                         \
    } while (0)

/* Check the ClientHello our client factory really sends. */
int cry_policy_check_client_hello(const uint8_t *p, size_t n)
{
    rd r = {p, n}, body, v, exts;
    size_t type, len, x;
    bool seen_groups = false, seen_share = false, seen_alpn = false, seen_versions = false;
    bool seen_sigalgs = false, tls13_suite = false;

    /* One handshake record holding the whole ClientHello. */
    if (!rd_u8(&r, &type) || type != 22 || !rd_u16(&r, &x) || !vec16(&r, &body))
        HELLO_FAIL("no handshake record in the ClientHello");
    r = body;
    if (!rd_u8(&r, &type) || type != 1 || r.n < 3)
        HELLO_FAIL("not a ClientHello");
    len = (size_t)r.p[0] << 16 | (size_t)r.p[1] << 8 | r.p[2];
    r.p += 3;
    r.n -= 3;
    if (len != r.n)
        HELLO_FAIL("ClientHello split over records");
    if (!rd_u16(&r, &x) || !rd_bytes(&r, 32, &v) || !vec8(&r, &v))
        HELLO_FAIL("truncated ClientHello");
    if (!vec16(&r, &v) || v.n == 0 || v.n % 2)
        HELLO_FAIL("bad cipher suite list");
    while (rd_u16(&v, &x)) {
        if (x == 0x00ff) /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
            continue;
        if (!cry_policy_tls_suite_ok((uint16_t)x))
            HELLO_FAIL("cipher suite 0x%04zx is offered", x);
        tls13_suite |= (x >> 8) == 0x13;
    }
    if (!tls13_suite)
        HELLO_FAIL("no TLS 1.3 suite is offered");
    if (!vec8(&r, &v) || v.n != 1 || v.p[0] != 0)
        HELLO_FAIL("compression methods other than null are offered");
    if (!vec16(&r, &exts) || r.n != 0)
        HELLO_FAIL("bad extension block");
    while (exts.n > 0) {
        size_t et;
        rd e, l;
        if (!rd_u16(&exts, &et) || !vec16(&exts, &e))
            HELLO_FAIL("truncated extension");
        switch (et) {
        case 10: /* supported_groups */
            if (!vec16(&e, &l) || l.n == 0)
                HELLO_FAIL("bad supported_groups");
            while (rd_u16(&l, &x))
                if (!cry_policy_tls_group_ok((uint16_t)x))
                    HELLO_FAIL("group 0x%04zx is offered", x);
            seen_groups = true;
            break;
        case 51: /* key_share */
            if (!vec16(&e, &l))
                HELLO_FAIL("bad key_share");
            while (l.n > 0) {
                rd ks;
                if (!rd_u16(&l, &x) || !vec16(&l, &ks))
                    HELLO_FAIL("bad key_share entry");
                if (!cry_policy_tls_group_ok((uint16_t)x))
                    HELLO_FAIL("a key share for group 0x%04zx is sent", x);
                seen_share = true;
            }
            break;
        case 43: /* supported_versions */
            if (!vec8(&e, &l))
                HELLO_FAIL("bad supported_versions");
            while (rd_u16(&l, &x))
                if (x != 0x0304 && x != 0x0303)
                    HELLO_FAIL("protocol version 0x%04zx is offered", x);
            seen_versions = true;
            break;
        case 16: /* ALPN */
            if (!vec16(&e, &l) || l.n != 3 || memcmp(l.p, "\x02h2", 3) != 0)
                HELLO_FAIL("ALPN offers something other than h2");
            seen_alpn = true;
            break;
        case 13: /* signature_algorithms */
            if (!vec16(&e, &l) || l.n == 0)
                HELLO_FAIL("bad signature_algorithms");
            while (rd_u16(&l, &x))
                if (!in_list((uint16_t)x, allowed_sigalgs, SEAL_ARRAY_LEN(allowed_sigalgs)))
                    HELLO_FAIL("signature algorithm 0x%04zx is offered", x);
            seen_sigalgs = true;
            break;
        default:
            break;
        }
    }
    if (!seen_groups || !seen_share || !seen_versions || !seen_alpn || !seen_sigalgs)
        HELLO_FAIL("the ClientHello lacks groups, key share, versions, ALPN or sigalgs");
    return 0;
}

static int check_tls_factory(void)
{
    int rc = SEAL_EFIPS;
    SSL_CTX *cctx = SSL_CTX_new_ex(NULL, NULL, TLS_client_method());
    SSL_CTX *sctx = SSL_CTX_new_ex(NULL, NULL, TLS_server_method());
    SSL *ssl = NULL;
    BIO *in = NULL, *out = NULL;

    if (cctx == NULL || sctx == NULL || cry_tls_apply_policy(cctx, 0) != 0 ||
        cry_tls_apply_policy(sctx, 1) != 0) {
        cry_fail("TLS policy contexts");
        goto out;
    }
    /* The server side: every enabled suite is on the allow-list. */
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(sctx);
    if (sk == NULL || sk_SSL_CIPHER_num(sk) == 0) {
        SEAL_LOGE("crypto", "TLS policy: the server has no cipher suites");
        goto out;
    }
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        if (!cry_policy_tls_suite_ok(SSL_CIPHER_get_protocol_id(c))) {
            SEAL_LOGE("crypto", "TLS policy: the server enables %s", SSL_CIPHER_get_name(c));
            goto out;
        }
    }
    if (SSL_CTX_get_min_proto_version(sctx) != TLS1_2_VERSION ||
        !(SSL_CTX_get_options(sctx) & SSL_OP_NO_COMPRESSION) ||
        !(SSL_CTX_get_options(sctx) & SSL_OP_NO_RENEGOTIATION)) {
        SEAL_LOGE("crypto", "TLS policy: version floor, compression or renegotiation not set");
        goto out;
    }
    /* The client side: what goes on the wire. */
    ssl = SSL_new(cctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    if (ssl == NULL || in == NULL || out == NULL) {
        BIO_free(in);
        BIO_free(out);
        cry_fail("TLS policy probe");
        goto out;
    }
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, "policy.check");
    if (SSL_do_handshake(ssl) == 1 || SSL_get_error(ssl, 0) != SSL_ERROR_WANT_READ) {
        cry_fail("TLS policy probe: ClientHello");
        goto out;
    }
    char *hello = NULL;
    long hn = BIO_get_mem_data(out, &hello);
    if (hn <= 0 || cry_policy_check_client_hello((const uint8_t *)hello, (size_t)hn) != 0)
        goto out;
    rc = 0;
out:
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return rc;
}

/* ------------------------------------------------------ primitive checks */
static int check_drbg(void)
{
    EVP_RAND_CTX *primary = RAND_get0_primary(NULL);
    const EVP_RAND *r = primary ? EVP_RAND_CTX_get0_rand(primary) : NULL;
    const OSSL_PROVIDER *p = r ? EVP_RAND_get0_provider(r) : NULL;
    if (p == NULL || strcmp(OSSL_PROVIDER_get0_name(p), "fips") != 0) {
        SEAL_LOGE("crypto", "policy: the primary DRBG is not the fips provider's");
        return SEAL_EFIPS;
    }
    return 0;
}

static int check_hmac(void)
{
    /* RFC 4231 test case 1, then a 13-byte key that the provider would take. */
    static const uint8_t want[32] = {0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53,
                                     0x5c, 0xa8, 0xaf, 0xce, 0xaf, 0x0b, 0xf1, 0x2b,
                                     0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7,
                                     0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7};
    uint8_t key[20], out[32];
    memset(key, 0x0b, sizeof(key));
    if (cry_hmac_sha256_impl(out, key, sizeof(key), "Hi There", 8) != 0 ||
        memcmp(out, want, sizeof(want)) != 0) {
        SEAL_LOGE("crypto", "policy: HMAC-SHA-256 known answer failed");
        return SEAL_EFIPS;
    }
    if (cry_hmac_sha256_impl(out, key, CRY_HMAC_MIN_KEY - 1, "x", 1) != SEAL_ENOTALLOWED) {
        SEAL_LOGE("crypto", "policy: a %d-byte HMAC key was not refused", CRY_HMAC_MIN_KEY - 1);
        return SEAL_EFIPS;
    }
    return 0;
}

static int check_pbkdf2(void)
{
    /* PBKDF2-HMAC-SHA-256("", "saltsaltsaltsalt", 1000, 32), cross-checked with
     * an independent implementation; and the floors. */
    static const uint8_t want[32] = {0xb8, 0x8f, 0x67, 0xb6, 0xa8, 0x28, 0xcb, 0x87,
                                     0xec, 0x03, 0xd1, 0x6d, 0x82, 0x43, 0xf6, 0x78,
                                     0x54, 0x4a, 0x01, 0x7f, 0x25, 0x26, 0xf0, 0xe5,
                                     0xe5, 0xb6, 0x0a, 0x83, 0x36, 0x9d, 0xde, 0x09};
    uint8_t out[32];
    const char *salt = "saltsaltsaltsalt";
    if (cry_pbkdf2_sha256_impl(out, 32, "", 0, salt, 16, 1000) != 0 ||
        memcmp(out, want, sizeof(want)) != 0) {
        SEAL_LOGE("crypto", "policy: PBKDF2-HMAC-SHA-256 known answer failed");
        return SEAL_EFIPS;
    }
    if (cry_pbkdf2_sha256_impl(out, 32, "pw", 2, salt, 16, 999) != SEAL_ENOTALLOWED ||
        cry_pbkdf2_sha256_impl(out, 32, "pw", 2, salt, 15, 1000) != SEAL_ENOTALLOWED ||
        cry_pbkdf2_sha256_impl(out, 31, "pw", 2, salt, 16, 1000) != SEAL_ENOTALLOWED) {
        SEAL_LOGE("crypto", "policy: PBKDF2 floors are not enforced");
        return SEAL_EFIPS;
    }
    return 0;
}

int cry_policy_init(void)
{
    int rc;
    if ((rc = cry_fetch_algorithms()) != 0)
        return rc;
    if ((rc = check_drbg()) != 0 || (rc = check_hmac()) != 0 || (rc = check_pbkdf2()) != 0 ||
        (rc = check_tls_factory()) != 0)
        return rc;
    return 0;
}
