/* ec.c - ECDSA P-256 with SHA-256: key generation, PEM load/save (SEC1,
 * PKCS#8, SubjectPublicKeyInfo), raw public points, DER signatures.
 *
 * Before handing key bytes to OpenSSL's decoders, a small DER reader looks
 * at the algorithm and curve identifiers, so that a key outside the
 * allow-list is reported as SEAL_ENOTALLOWED (not as a decoding failure:
 * under the FIPS provider secp256k1 does not even decode). After decoding,
 * cry_policy_ecdsa_key_ok checks the key object itself. */
#include "crypto/cry_internal.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct cry_key {
    EVP_PKEY *pkey;
    bool priv;
};

/* 1.2.840.10045.2.1 id-ecPublicKey, 1.2.840.10045.3.1.7 prime256v1 */
static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_prime256v1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* ------------------------------------------------------------ DER reader */
typedef struct der {
    const uint8_t *p;
    size_t n;
} der;

/* Reads one TLV with tag |tag| from |d| into |val|; advances |d|. */
static bool der_take(der *d, uint8_t tag, der *val)
{
    if (d->n < 2 || d->p[0] != tag)
        return false;
    size_t len = d->p[1], hdr = 2;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        if (nb == 0 || nb > 3 || d->n < 2 + nb)
            return false;
        len = 0;
        for (size_t i = 0; i < nb; i++)
            len = len << 8 | d->p[2 + i];
        hdr += nb;
    }
    if (d->n - hdr < len)
        return false;
    val->p = d->p + hdr;
    val->n = len;
    d->p += hdr + len;
    d->n -= hdr + len;
    return true;
}

static bool der_is_oid(const der *o, const uint8_t *oid, size_t n)
{
    return o->n == n && memcmp(o->p, oid, n) == 0;
}

/* AlgorithmIdentifier: must be id-ecPublicKey with the named curve P-256. */
static int check_alg_id(der alg)
{
    der oid, curve;
    if (!der_take(&alg, 0x06, &oid))
        return SEAL_EINVAL;
    if (!der_is_oid(&oid, oid_ec_public_key, sizeof(oid_ec_public_key)))
        return SEAL_ENOTALLOWED; /* RSA, Ed25519, X25519, DSA, ... */
    if (!der_take(&alg, 0x06, &curve))
        return SEAL_ENOTALLOWED; /* explicit curve parameters */
    return der_is_oid(&curve, oid_prime256v1, sizeof(oid_prime256v1)) ? 0 : SEAL_ENOTALLOWED;
}

/* SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING } */
static int precheck_spki(const uint8_t *p, size_t n)
{
    der d = {p, n}, seq, alg;
    if (!der_take(&d, 0x30, &seq) || !der_take(&seq, 0x30, &alg))
        return SEAL_EINVAL;
    return check_alg_id(alg);
}

/* PrivateKeyInfo ::= SEQUENCE { INTEGER, AlgorithmIdentifier, OCTET STRING, ... } */
static int precheck_pkcs8(const uint8_t *p, size_t n)
{
    der d = {p, n}, seq, ver, alg;
    if (!der_take(&d, 0x30, &seq) || !der_take(&seq, 0x02, &ver) || !der_take(&seq, 0x30, &alg))
        return SEAL_EINVAL;
    return check_alg_id(alg);
}

/* ECPrivateKey ::= SEQUENCE { INTEGER 1, OCTET STRING, [0] OID, [1] BIT STRING } */
static int precheck_sec1(const uint8_t *p, size_t n)
{
    der d = {p, n}, seq, ver, priv, params, oid;
    if (!der_take(&d, 0x30, &seq) || !der_take(&seq, 0x02, &ver) || !der_take(&seq, 0x04, &priv))
        return SEAL_EINVAL;
    if (!der_take(&seq, 0xa0, &params))
        return SEAL_ENOTALLOWED; /* no named curve */
    if (!der_take(&params, 0x06, &oid))
        return SEAL_ENOTALLOWED; /* explicit parameters */
    return der_is_oid(&oid, oid_prime256v1, sizeof(oid_prime256v1)) ? 0 : SEAL_ENOTALLOWED;
}

/* ----------------------------------------------------------------- keys */
static int wrap(cry_key **out, EVP_PKEY *pkey, bool priv)
{
    if (!cry_policy_ecdsa_key_ok(pkey)) {
        EVP_PKEY_free(pkey);
        return SEAL_ENOTALLOWED;
    }
    cry_key *k = seal_calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        return SEAL_ENOMEM;
    }
    k->pkey = pkey;
    k->priv = priv;
    *out = k;
    return 0;
}

int cry_ec_generate(cry_key **out)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL)
        return SEAL_EINVAL;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL)
        return cry_fail("P-256 key generation");
    return wrap(out, pkey, true);
}

static int decode_der(cry_key **out, const char *label, const uint8_t *p, size_t n)
{
    const unsigned char *q = p;
    EVP_PKEY *pkey = NULL;
    bool priv = true;
    int rc;

    if (strcmp(label, "PUBLIC KEY") == 0) {
        if ((rc = precheck_spki(p, n)) != 0)
            return rc;
        pkey = d2i_PUBKEY_ex(NULL, &q, (long)n, NULL, NULL);
        priv = false;
    } else if (strcmp(label, "PRIVATE KEY") == 0) {
        if ((rc = precheck_pkcs8(p, n)) != 0)
            return rc;
        pkey = d2i_AutoPrivateKey_ex(NULL, &q, (long)n, NULL, NULL);
    } else if (strcmp(label, "EC PRIVATE KEY") == 0) {
        if ((rc = precheck_sec1(p, n)) != 0)
            return rc;
        pkey = d2i_PrivateKey_ex(EVP_PKEY_EC, NULL, &q, (long)n, NULL, NULL);
    } else if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0) {
        return SEAL_EUNSUPPORTED;
    } else if (strstr(label, "PRIVATE KEY") != NULL || strstr(label, "PUBLIC KEY") != NULL) {
        return SEAL_ENOTALLOWED; /* "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", ... */
    } else {
        return SEAL_EINVAL;
    }
    if (pkey == NULL || q != p + n) {
        EVP_PKEY_free(pkey);
        cry_fail("decoding a P-256 key");
        return SEAL_EINVAL;
    }
    /* The point must be on the curve and, for a key pair, match the scalar. */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = pc != NULL && (priv ? EVP_PKEY_pairwise_check(pc) : EVP_PKEY_public_check(pc)) == 1;
    EVP_PKEY_CTX_free(pc);
    if (!ok) {
        EVP_PKEY_free(pkey);
        cry_fail("P-256 key check");
        return SEAL_EINVAL;
    }
    return wrap(out, pkey, priv);
}

int cry_key_from_pem(cry_key **out, const char *pem, size_t len)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL || pem == NULL || len == 0 || len > INT32_MAX)
        return SEAL_EINVAL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (b == NULL)
        return SEAL_ENOMEM;
    int rc = SEAL_EINVAL;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long n = 0;
        if (!PEM_read_bio(b, &name, &header, &data, &n)) {
            cry_fail("reading PEM");
            break;
        }
        bool skip = strcmp(name, "EC PARAMETERS") == 0;
        if (!skip) {
            if (header != NULL && header[0] != '\0')
                rc = SEAL_EUNSUPPORTED; /* "Proc-Type: 4,ENCRYPTED" */
            else
                rc = decode_der(out, name, data, (size_t)n);
        }
        OPENSSL_clear_free(data, (size_t)n);
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (!skip)
            break;
    }
    BIO_free(b);
    return rc;
}

int cry_key_load_file(cry_key **out, const char *path)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL || path == NULL)
        return SEAL_EINVAL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        SEAL_LOGD("crypto", "cannot open key file %s: %s", path, strerror(errno));
        return errno == ENOENT ? SEAL_ENOTFOUND : SEAL_EIO;
    }
    char buf[16384];
    size_t n = fread(buf, 1, sizeof(buf), f);
    int err = ferror(f), more = !feof(f);
    fclose(f);
    int rc;
    if (err)
        rc = SEAL_EIO;
    else if (more)
        rc = SEAL_ELIMIT;
    else
        rc = cry_key_from_pem(out, buf, n);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int cry_key_from_public_raw(cry_key **out, const uint8_t pt[65])
{
    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL || pt == NULL || pt[0] != 0x04)
        return SEAL_EINVAL;
    char group[] = "P-256";
    OSSL_PARAM prm[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)pt, 65),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    int ok = pc != NULL && EVP_PKEY_fromdata_init(pc) == 1 &&
             EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, prm) == 1;
    EVP_PKEY_CTX_free(pc);
    if (ok) {
        pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        ok = pc != NULL && EVP_PKEY_public_check(pc) == 1;
        EVP_PKEY_CTX_free(pc);
    }
    if (!ok) {
        EVP_PKEY_free(pkey);
        cry_fail("P-256 public point");
        return SEAL_EINVAL;
    }
    return wrap(out, pkey, false);
}

bool cry_key_has_private(const cry_key *k)
{
    return k != NULL && k->priv;
}

void cry_key_free(cry_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    seal_free(k);
}

/* ------------------------------------------------------------- encoding */
static int encode(const cry_key *k, int selection, const char *structure, char **out,
                  size_t *out_len)
{
    int rc = SEAL_ECRYPTO;
    unsigned char *data = NULL;
    size_t n = 0;

    if (!cry_ready())
        return SEAL_EFIPS;
    if (k == NULL || out == NULL)
        return SEAL_EINVAL;
    if (selection == EVP_PKEY_KEYPAIR && !k->priv)
        return SEAL_EINVAL;
    OSSL_ENCODER_CTX *ec =
        OSSL_ENCODER_CTX_new_for_pkey(k->pkey, selection, "PEM", structure, NULL);
    if (ec == NULL || OSSL_ENCODER_CTX_get_num_encoders(ec) == 0 ||
        !OSSL_ENCODER_to_data(ec, &data, &n)) {
        rc = cry_fail("PEM encoding");
        goto out;
    }
    char *s = seal_malloc(n + 1);
    if (s == NULL) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    memcpy(s, data, n);
    s[n] = '\0';
    *out = s;
    if (out_len)
        *out_len = n;
    rc = 0;
out:
    if (data)
        OPENSSL_clear_free(data, n);
    OSSL_ENCODER_CTX_free(ec);
    return rc;
}

int cry_key_private_pem(const cry_key *k, char **out, size_t *out_len)
{
    return encode(k, EVP_PKEY_KEYPAIR, "type-specific", out, out_len);
}

int cry_key_private_pem_pkcs8(const cry_key *k, char **out, size_t *out_len)
{
    return encode(k, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", out, out_len);
}

int cry_key_public_pem(const cry_key *k, char **out, size_t *out_len)
{
    return encode(k, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", out, out_len);
}

static int write_file(const char *path, const char *data, size_t n, mode_t mode)
{
    char tmp[4096];
    int w = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof(tmp))
        return SEAL_ELIMIT;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return SEAL_EIO;
    size_t off = 0;
    while (off < n) {
        ssize_t r = write(fd, data + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    int ok = off == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return SEAL_EIO;
    }
    return 0;
}

int cry_key_save_private_file(const cry_key *k, const char *path)
{
    char *pem = NULL;
    size_t n = 0;
    if (path == NULL)
        return SEAL_EINVAL;
    int rc = cry_key_private_pem(k, &pem, &n);
    if (rc == 0)
        rc = write_file(path, pem, n, 0600);
    if (pem) {
        OPENSSL_cleanse(pem, n);
        seal_free(pem);
    }
    return rc;
}

int cry_key_save_public_file(const cry_key *k, const char *path)
{
    char *pem = NULL;
    size_t n = 0;
    if (path == NULL)
        return SEAL_EINVAL;
    int rc = cry_key_public_pem(k, &pem, &n);
    if (rc == 0)
        rc = write_file(path, pem, n, 0644);
    seal_free(pem);
    return rc;
}

int cry_key_public_raw(const cry_key *k, uint8_t out[65])
{
    BIGNUM *x = NULL, *y = NULL;
    int rc = SEAL_ECRYPTO;
    uint8_t buf[65];

    if (!cry_ready())
        return SEAL_EFIPS;
    if (k == NULL || out == NULL)
        return SEAL_EINVAL;
    if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
        !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
        BN_bn2binpad(x, buf + 1, 32) != 32 || BN_bn2binpad(y, buf + 33, 32) != 32) {
        rc = cry_fail("P-256 public point");
        goto out;
    }
    buf[0] = 0x04;
    memcpy(out, buf, sizeof(buf));
    rc = 0;
out:
    BN_free(x);
    BN_free(y);
    return rc;
}

/* ------------------------------------------------------------ signatures */
int cry_ecdsa_sign(const cry_key *k, const void *msg, size_t n, uint8_t *sig, size_t *sig_len)
{
    int rc = SEAL_ECRYPTO;
    uint8_t buf[CRY_ECDSA_MAX_SIG + 8];
    size_t len = sizeof(buf);

    if (!cry_ready())
        return SEAL_EFIPS;
    if (k == NULL || sig == NULL || sig_len == NULL || (msg == NULL && n > 0))
        return SEAL_EINVAL;
    if (!k->priv)
        return SEAL_EINVAL;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    if (mc == NULL)
        return SEAL_ENOMEM;
    if (EVP_DigestSignInit_ex(mc, NULL, "SHA2-256", NULL, NULL, k->pkey, NULL) != 1 ||
        EVP_DigestSign(mc, buf, &len, msg, n) != 1) {
        rc = cry_fail("ECDSA sign");
        goto out;
    }
    if (len > *sig_len || len > CRY_ECDSA_MAX_SIG) {
        rc = SEAL_ELIMIT;
        goto out;
    }
    memcpy(sig, buf, len);
    *sig_len = len;
    rc = 0;
out:
    EVP_MD_CTX_free(mc);
    return rc;
}

int cry_ecdsa_verify(const cry_key *k, const void *msg, size_t n, const uint8_t *sig,
                     size_t sig_len)
{
    int rc = SEAL_ECRYPTO;

    if (!cry_ready())
        return SEAL_EFIPS;
    if (k == NULL || (sig == NULL && sig_len > 0) || (msg == NULL && n > 0))
        return SEAL_EINVAL;
    if (sig_len == 0 || sig_len > CRY_ECDSA_MAX_SIG)
        return SEAL_EVERIFY;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    if (mc == NULL)
        return SEAL_ENOMEM;
    if (EVP_DigestVerifyInit_ex(mc, NULL, "SHA2-256", NULL, NULL, k->pkey, NULL) != 1) {
        rc = cry_fail("ECDSA verify init");
        goto out;
    }
    if (EVP_DigestVerify(mc, sig, sig_len, msg, n) == 1) {
        rc = 0;
    } else {
        cry_fail("ECDSA signature does not verify");
        rc = SEAL_EVERIFY;
    }
out:
    EVP_MD_CTX_free(mc);
    return rc;
}
