/* tls.c - the TLS context factory (libssl over the FIPS-only default library
 * context) and connections driven over memory BIOs, so the server's event
 * loop owns the sockets: bytes from the network go in with cry_tls_feed,
 * bytes for the network come out with cry_tls_take_out.
 *
 * Every context gets the pinned parameters of policy.c: TLS 1.2-1.3, groups
 * P-256:P-384:P-521, AES-GCM suites, ECDSA/RSA SHA-2 signature algorithms,
 * no compression, no renegotiation, ALPN h2. */
#include "crypto/cry_internal.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>

struct cry_tls_ctx {
    SSL_CTX *ssl;
    int is_server;
    int verify;
    char *server_name;
};

struct cry_tls_conn {
    SSL *ssl;
    BIO *in;  /* network -> SSL (owned by ssl) */
    BIO *out; /* SSL -> network (owned by ssl) */
    cry_tls_ctx *ctx;
    bool established, failed, closed;
    char err[256];
};

static const unsigned char alpn_h2[] = {2, 'h', '2'};

/* Keep the last OpenSSL error (and the certificate verification result) as
 * the connection's reason. */
static void conn_error(cry_tls_conn *c, const char *what)
{
    unsigned long e, last = 0;
    char ossl[160] = "";
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (last)
        ERR_error_string_n(last, ossl, sizeof(ossl));
    long vr = SSL_get_verify_result(c->ssl);
    snprintf(c->err, sizeof(c->err), "%s%s%s%s%s", what, ossl[0] ? ": " : "", ossl,
             vr != X509_V_OK ? "; certificate: " : "",
             vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
    SEAL_LOGD("crypto", "tls: %s", c->err);
}

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    unsigned char *sel = NULL;
    (void)s;
    (void)arg;
    if (SSL_select_next_proto(&sel, outlen, alpn_h2, sizeof(alpn_h2), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* SSL_CTX_set1_groups_list and friends are macros that cast away const. */
static long ctrl_str(SSL_CTX *ctx, int cmd, const char *s)
{
    return SSL_CTX_ctrl(ctx, cmd, 0, (void *)(uintptr_t)s);
}

int cry_tls_apply_policy(SSL_CTX *ctx, int is_server)
{
    uint64_t opts =
        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
    opts |= SSL_OP_NO_CLIENT_RENEGOTIATION;
#endif
    SSL_CTX_set_options(ctx, opts);
    SSL_CTX_set_security_level(ctx, 2);
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(ctx, cry_tls13_suites) ||
        !SSL_CTX_set_cipher_list(ctx, cry_tls12_ciphers) ||
        !ctrl_str(ctx, SSL_CTRL_SET_GROUPS_LIST, cry_tls_groups) ||
        !ctrl_str(ctx, SSL_CTRL_SET_SIGALGS_LIST, cry_tls_sigalgs) ||
        !ctrl_str(ctx, SSL_CTRL_SET_CLIENT_SIGALGS_LIST, cry_tls_sigalgs))
        return cry_fail("applying the TLS policy");
    if (is_server)
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    else if (SSL_CTX_set_alpn_protos(ctx, alpn_h2, sizeof(alpn_h2)) != 0)
        return cry_fail("setting ALPN");
    return 0;
}

static bool readable(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f)
        fclose(f);
    return f != NULL;
}

/* Load cert_file + key_file into |ctx| and check the key against the
 * allow-list. */
static int load_identity(SSL_CTX *ctx, const cry_tls_opts *o)
{
    if (!readable(o->cert_file) || !readable(o->key_file)) {
        SEAL_LOGE("crypto", "tls: cannot read certificate %s or key %s",
                  o->cert_file ? o->cert_file : "(none)", o->key_file ? o->key_file : "(none)");
        return SEAL_EINVAL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_file) != 1) {
        cry_fail("loading the certificate chain");
        SEAL_LOGE("crypto", "tls: %s is not a usable PEM certificate chain", o->cert_file);
        return SEAL_EINVAL;
    }
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    if (cert == NULL || !cry_policy_tls_key_ok(X509_get0_pubkey(cert))) {
        SEAL_LOGE("crypto",
                  "tls: the key type of %s is not allowed (EC P-256/384/521 or "
                  "RSA >= 2048 only)",
                  o->cert_file);
        return SEAL_ENOTALLOWED;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, o->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        cry_fail("loading the private key");
        SEAL_LOGE("crypto", "tls: %s is not the private key of %s", o->key_file, o->cert_file);
        return SEAL_EINVAL;
    }
    if (!cry_policy_tls_key_ok(SSL_CTX_get0_privatekey(ctx)))
        return SEAL_ENOTALLOWED;
    return 0;
}

int cry_tls_ctx_new(cry_tls_ctx **out, int is_server, const cry_tls_opts *o)
{
    int rc;
    cry_tls_ctx *c = NULL;
    static const cry_tls_opts none;

    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL)
        return SEAL_EINVAL;
    if (o == NULL)
        o = &none;
    if (is_server && (o->cert_file == NULL || o->key_file == NULL))
        return SEAL_EINVAL;
    if (is_server && o->verify_peer && o->ca_file == NULL)
        return SEAL_EINVAL;
    if (!is_server && o->verify_peer && (o->server_name == NULL || !o->server_name[0]))
        return SEAL_EINVAL;
    if (o->ca_file && !readable(o->ca_file)) {
        SEAL_LOGE("crypto", "tls: cannot read CA file %s", o->ca_file);
        return SEAL_EINVAL;
    }
    c = seal_calloc(1, sizeof(*c));
    if (c == NULL)
        return SEAL_ENOMEM;
    c->is_server = is_server;
    c->verify = o->verify_peer;
    if (o->server_name && (c->server_name = seal_strdup(o->server_name)) == NULL) {
        rc = SEAL_ENOMEM;
        goto fail;
    }
    c->ssl = SSL_CTX_new_ex(NULL, NULL, is_server ? TLS_server_method() : TLS_client_method());
    if (c->ssl == NULL) {
        rc = cry_fail("SSL_CTX_new_ex");
        goto fail;
    }
    if ((rc = cry_tls_apply_policy(c->ssl, is_server)) != 0)
        goto fail;
    if (o->cert_file || o->key_file) {
        if ((rc = load_identity(c->ssl, o)) != 0)
            goto fail;
    }
    if (o->verify_peer) {
        int ok = o->ca_file ? SSL_CTX_load_verify_file(c->ssl, o->ca_file)
                            : SSL_CTX_set_default_verify_paths(c->ssl);
        if (ok != 1) {
            cry_fail("loading CA certificates");
            SEAL_LOGE("crypto", "tls: cannot load CA certificates from %s",
                      o->ca_file ? o->ca_file : "the system store");
            rc = SEAL_EINVAL;
            goto fail;
        }
        int mode = SSL_VERIFY_PEER;
        if (is_server) {
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
            if (names == NULL) {
                rc = cry_fail("reading client CA names");
                goto fail;
            }
            SSL_CTX_set_client_CA_list(c->ssl, names);
        }
        SSL_CTX_set_verify(c->ssl, mode, NULL);
        SSL_CTX_set_verify_depth(c->ssl, 8);
    } else {
        SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
        if (!is_server)
            SEAL_LOGW("crypto", "tls: server certificate verification is off");
    }
    if (is_server) {
        static const unsigned char sid_ctx[] = "sealdb";
        SSL_CTX_set_session_id_context(c->ssl, sid_ctx, sizeof(sid_ctx) - 1);
    }
    *out = c;
    return 0;
fail:
    cry_tls_ctx_free(c);
    return rc;
}

void cry_tls_ctx_free(cry_tls_ctx *c)
{
    if (c == NULL)
        return;
    SSL_CTX_free(c->ssl);
    seal_free(c->server_name);
    seal_free(c);
}

int cry_tls_conn_new(cry_tls_conn **out, cry_tls_ctx *ctx)
{
    if (!cry_ready())
        return SEAL_EFIPS;
    if (out == NULL || ctx == NULL)
        return SEAL_EINVAL;
    cry_tls_conn *c = seal_calloc(1, sizeof(*c));
    if (c == NULL)
        return SEAL_ENOMEM;
    c->ctx = ctx;
    c->ssl = SSL_new(ctx->ssl);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->in == NULL || c->out == NULL) {
        BIO_free(c->in);
        BIO_free(c->out);
        SSL_free(c->ssl);
        seal_free(c);
        return cry_fail("SSL_new");
    }
    /* An empty input BIO means "retry later", not end of file. */
    BIO_set_mem_eof_return(c->in, -1);
    BIO_set_mem_eof_return(c->out, -1);
    SSL_set_bio(c->ssl, c->in, c->out);
    if (ctx->is_server) {
        SSL_set_accept_state(c->ssl);
    } else {
        SSL_set_connect_state(c->ssl);
        if (ctx->server_name) {
            if (!SSL_set_tlsext_host_name(c->ssl, ctx->server_name) ||
                (ctx->verify && !SSL_set1_host(c->ssl, ctx->server_name))) {
                cry_tls_conn_free(c);
                return cry_fail("setting the server name");
            }
            SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        }
    }
    *out = c;
    return 0;
}

void cry_tls_conn_free(cry_tls_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl); /* frees both BIOs */
    seal_free(c);
}

int cry_tls_feed(cry_tls_conn *c, const void *p, size_t n)
{
    if (c == NULL || (p == NULL && n > 0))
        return SEAL_EINVAL;
    const uint8_t *q = p;
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int w = BIO_write(c->in, q, chunk);
        if (w <= 0)
            return SEAL_ENOMEM;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

int cry_tls_handshake(cry_tls_conn *c)
{
    if (c == NULL)
        return SEAL_EINVAL;
    if (c->failed)
        return SEAL_EPROTOCOL;
    if (c->established)
        return 1;
    if (c->closed)
        return SEAL_ESTATE;
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->established = true;
        return 1;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    c->failed = true;
    conn_error(c, "handshake failed");
    return SEAL_EPROTOCOL;
}

long cry_tls_read(cry_tls_conn *c, void *buf, size_t cap)
{
    if (c == NULL || buf == NULL || cap == 0)
        return SEAL_EINVAL;
    if (!c->established) {
        int r = cry_tls_handshake(c);
        if (r <= 0)
            return r;
    }
    if (c->failed)
        return SEAL_EPROTOCOL;
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(c->ssl, buf, cap, &n) == 1)
        return (long)n;
    int e = SSL_get_error(c->ssl, 0);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e == SSL_ERROR_ZERO_RETURN)
        return SEAL_ECLOSED;
    c->failed = true;
    conn_error(c, "read failed");
    return SEAL_EPROTOCOL;
}

int cry_tls_write(cry_tls_conn *c, const void *p, size_t n)
{
    if (c == NULL || (p == NULL && n > 0))
        return SEAL_EINVAL;
    if (!c->established || cry_tls_want_close(c))
        return SEAL_ESTATE;
    const uint8_t *q = p;
    while (n > 0) {
        size_t w = 0;
        ERR_clear_error();
        if (SSL_write_ex(c->ssl, q, n, &w) != 1) {
            c->failed = true;
            conn_error(c, "write failed");
            return SEAL_EPROTOCOL;
        }
        q += w;
        n -= w;
    }
    return 0;
}

long cry_tls_take_out(cry_tls_conn *c, void *buf, size_t cap)
{
    if (c == NULL || buf == NULL)
        return SEAL_EINVAL;
    if (cap == 0)
        return 0;
    int r = BIO_read(c->out, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
    return r > 0 ? r : 0;
}

size_t cry_tls_out_pending(const cry_tls_conn *c)
{
    return c ? BIO_ctrl_pending(c->out) : 0;
}

int cry_tls_close(cry_tls_conn *c)
{
    if (c == NULL)
        return SEAL_EINVAL;
    if (!c->closed && c->established && !c->failed) {
        ERR_clear_error();
        if (SSL_shutdown(c->ssl) < 0)
            ERR_clear_error(); /* the alert could not be queued; close anyway */
    }
    c->closed = true;
    return 0;
}

bool cry_tls_want_close(const cry_tls_conn *c)
{
    return c == NULL || c->failed || c->closed ||
           (SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}

bool cry_tls_established(const cry_tls_conn *c)
{
    return c != NULL && c->established;
}

const char *cry_tls_alpn(const cry_tls_conn *c)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    if (c == NULL || !c->established)
        return "";
    SSL_get0_alpn_selected(c->ssl, &p, &n);
    return n == 2 && memcmp(p, "h2", 2) == 0 ? "h2" : "";
}

const char *cry_tls_version(const cry_tls_conn *c)
{
    return c && c->established ? SSL_get_version(c->ssl) : "";
}

const char *cry_tls_cipher(const cry_tls_conn *c)
{
    const SSL_CIPHER *ci = c && c->established ? SSL_get_current_cipher(c->ssl) : NULL;
    return ci ? SSL_CIPHER_get_name(ci) : "";
}

const char *cry_tls_group(const cry_tls_conn *c)
{
    if (c == NULL || !c->established)
        return "";
    int nid = SSL_get_negotiated_group(c->ssl);
    const char *name = nid > 0 ? SSL_group_to_name(c->ssl, nid) : NULL;
    return name ? name : "";
}

const char *cry_tls_error(const cry_tls_conn *c)
{
    return c ? c->err : "";
}

/* The peer's certificate, only if it was verified by this side. */
static X509 *verified_peer(const cry_tls_conn *c)
{
    if (c == NULL || !c->established || !c->ctx->verify)
        return NULL;
    X509 *x = SSL_get0_peer_certificate(c->ssl);
    if (x == NULL || SSL_get_verify_result(c->ssl) != X509_V_OK)
        return NULL;
    return x;
}

int cry_tls_peer_subject(const cry_tls_conn *c, char *buf, size_t cap)
{
    X509 *x = verified_peer(c);
    if (x == NULL)
        return SEAL_ENOTFOUND;
    if (buf == NULL || cap == 0)
        return SEAL_EINVAL;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return SEAL_ENOMEM;
    int rc = SEAL_ECRYPTO;
    char *data = NULL;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        long n = BIO_get_mem_data(b, &data);
        if (n >= 0 && (size_t)n < cap) {
            memcpy(buf, data, (size_t)n);
            buf[n] = '\0';
            rc = 0;
        } else {
            rc = SEAL_ELIMIT;
        }
    }
    BIO_free(b);
    return rc;
}

int cry_tls_peer_cn(const cry_tls_conn *c, char *buf, size_t cap)
{
    X509 *x = verified_peer(c);
    if (x == NULL)
        return SEAL_ENOTFOUND;
    if (buf == NULL || cap == 0)
        return SEAL_EINVAL;
    X509_NAME *name = X509_get_subject_name(x);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0)
        return SEAL_ENOTFOUND;
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n < 0)
        return SEAL_ECRYPTO;
    int rc = 0;
    if ((size_t)n >= cap || memchr(utf8, 0, (size_t)n) != NULL) {
        rc = (size_t)n >= cap ? SEAL_ELIMIT : SEAL_EINVAL;
    } else {
        memcpy(buf, utf8, (size_t)n);
        buf[n] = '\0';
    }
    OPENSSL_free(utf8);
    return rc;
}
