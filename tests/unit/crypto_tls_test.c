/* crypto_tls_test.c - the TLS factory, driven over memory like the server's
 * event loop does: TLS 1.3 and TLS 1.2 handshakes on approved groups and
 * suites with ALPN h2; raw OpenSSL clients (written here) that offer only
 * X25519, only ChaCha20-Poly1305, or no h2 are refused; mTLS accepts a client
 * certificate signed by the CA and refuses none or a foreign one; the client
 * checks the server's chain and host name. Certificates are made here with
 * OpenSSL's X509 API into t_tmpdir(). */
#include "testlib.h"

#include "crypto/cry_internal.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdlib.h>

/* ------------------------------------------------------------ certificates */
static EVP_PKEY *new_key(const char *alg)
{
    EVP_PKEY *k = strcmp(alg, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                         : EVP_PKEY_Q_keygen(NULL, NULL, alg);
    if (k == NULL) {
        fprintf(stderr, "cannot generate a %s key\n", alg);
        exit(1);
    }
    return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (e == NULL || !X509_add_ext(x, e, -1)) {
        fprintf(stderr, "extension %d failed\n", nid);
        exit(1);
    }
    X509_EXTENSION_free(e);
}

/* A certificate for |key| named O=|org|,CN=|cn|, signed by |ca| (self-signed
 * when NULL). */
static X509 *new_cert(EVP_PKEY *key, const char *org, const char *cn, X509 *ca, EVP_PKEY *ca_key,
                      int is_ca, const char *san)
{
    static long serial = 1;
    X509 *x = X509_new_ex(NULL, NULL);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
    X509_NAME_free(name);
    add_ext(x, ca, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, ca, NID_key_usage,
            is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(x, ca, NID_subject_key_identifier, "hash");
    if (!is_ca)
        add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth");
    if (san)
        add_ext(x, ca, NID_subject_alt_name, san);
    int is_ed = EVP_PKEY_is_a(ca_key ? ca_key : key, "ED25519");
    if (!X509_sign(x, ca_key ? ca_key : key, is_ed ? NULL : EVP_sha256())) {
        fprintf(stderr, "signing the certificate failed\n");
        exit(1);
    }
    return x;
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(t_path(name), "w");
    if (f == NULL || (x && !PEM_write_X509(f, x)) ||
        (k && !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))) {
        fprintf(stderr, "cannot write %s\n", name);
        exit(1);
    }
    fclose(f);
}

static char g_ca[512], g_srv_cert[512], g_srv_key[512], g_cli_cert[512], g_cli_key[512];
static char g_rogue_ca[512], g_rogue_cert[512], g_rogue_key[512], g_ed_cert[512], g_ed_key[512];

static void make_certs(void)
{
    EVP_PKEY *ca_key = new_key("EC"), *srv_key = new_key("EC"), *cli_key = new_key("EC");
    EVP_PKEY *rca_key = new_key("EC"), *rcli_key = new_key("EC"), *ed_key = new_key("ED25519");
    X509 *ca = new_cert(ca_key, "SealDB", "SealDB Test CA", NULL, NULL, 1, NULL);
    X509 *srv = new_cert(srv_key, "SealDB", "localhost", ca, ca_key, 0, "DNS:localhost");
    X509 *cli = new_cert(cli_key, "SealDB", "alice", ca, ca_key, 0, NULL);
    X509 *rca = new_cert(rca_key, "Rogue", "Rogue CA", NULL, NULL, 1, NULL);
    X509 *rcli = new_cert(rcli_key, "SealDB", "alice", rca, rca_key, 0, NULL);
    X509 *ed = new_cert(ed_key, "SealDB", "localhost", NULL, NULL, 0, "DNS:localhost");
    write_pem("ca.pem", ca, NULL);
    write_pem("server.pem", srv, NULL);
    write_pem("server.key", NULL, srv_key);
    write_pem("client.pem", cli, NULL);
    write_pem("client.key", NULL, cli_key);
    write_pem("rogue-ca.pem", rca, NULL);
    write_pem("rogue.pem", rcli, NULL);
    write_pem("rogue.key", NULL, rcli_key);
    write_pem("ed.pem", ed, NULL);
    write_pem("ed.key", NULL, ed_key);
    snprintf(g_ca, sizeof(g_ca), "%s", t_path("ca.pem"));
    snprintf(g_srv_cert, sizeof(g_srv_cert), "%s", t_path("server.pem"));
    snprintf(g_srv_key, sizeof(g_srv_key), "%s", t_path("server.key"));
    snprintf(g_cli_cert, sizeof(g_cli_cert), "%s", t_path("client.pem"));
    snprintf(g_cli_key, sizeof(g_cli_key), "%s", t_path("client.key"));
    snprintf(g_rogue_ca, sizeof(g_rogue_ca), "%s", t_path("rogue-ca.pem"));
    snprintf(g_rogue_cert, sizeof(g_rogue_cert), "%s", t_path("rogue.pem"));
    snprintf(g_rogue_key, sizeof(g_rogue_key), "%s", t_path("rogue.key"));
    snprintf(g_ed_cert, sizeof(g_ed_cert), "%s", t_path("ed.pem"));
    snprintf(g_ed_key, sizeof(g_ed_key), "%s", t_path("ed.key"));
    X509 *all[] = {ca, srv, cli, rca, rcli, ed};
    EVP_PKEY *keys[] = {ca_key, srv_key, cli_key, rca_key, rcli_key, ed_key};
    for (size_t i = 0; i < 6; i++) {
        X509_free(all[i]);
        EVP_PKEY_free(keys[i]);
    }
}

/* ---------------------------------------------------------------- endpoints */
/* One side of a connection: ours (cry_tls_conn) or a raw OpenSSL client. */
typedef struct ep {
    cry_tls_conn *c;
    SSL *raw;
    BIO *rin, *rout;
    int done; /* 1 established, <0 failed, 0 in progress */
} ep;

static ep ours(cry_tls_ctx *ctx)
{
    ep e = {0};
    CHECK_OK(cry_tls_conn_new(&e.c, ctx));
    return e;
}

static ep raw_client(SSL_CTX *ctx)
{
    ep e = {0};
    e.raw = SSL_new(ctx);
    e.rin = BIO_new(BIO_s_mem());
    e.rout = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(e.rin, -1);
    SSL_set_bio(e.raw, e.rin, e.rout);
    SSL_set_connect_state(e.raw);
    SSL_set_tlsext_host_name(e.raw, "localhost");
    SSL_set1_host(e.raw, "localhost");
    return e;
}

static void ep_free(ep *e)
{
    cry_tls_conn_free(e->c);
    SSL_free(e->raw);
}

static void ep_step(ep *e)
{
    if (e->done != 0)
        return;
    if (e->c) {
        int r = cry_tls_handshake(e->c);
        e->done = r == 1 ? 1 : r < 0 ? -1 : 0;
    } else {
        int r = SSL_do_handshake(e->raw);
        if (r == 1)
            e->done = 1;
        else if (SSL_get_error(e->raw, r) != SSL_ERROR_WANT_READ)
            e->done = -1;
        ERR_clear_error();
    }
}

/* Move everything |from| has written to |to|; returns the byte count. */
static size_t ep_move(ep *from, ep *to)
{
    uint8_t buf[4096];
    size_t total = 0;
    for (;;) {
        long n = from->c ? cry_tls_take_out(from->c, buf, sizeof(buf))
                         : BIO_read(from->rout, buf, sizeof(buf));
        if (n <= 0)
            break;
        if (to->c)
            CHECK_OK(cry_tls_feed(to->c, buf, (size_t)n));
        else
            CHECK(BIO_write(to->rin, buf, (int)n) == (int)n);
        total += (size_t)n;
    }
    return total;
}

static void handshake(ep *cl, ep *sv)
{
    for (int round = 0; round < 20; round++) {
        ep_step(cl);
        size_t a = ep_move(cl, sv);
        ep_step(sv);
        size_t b = ep_move(sv, cl);
        if ((cl->done && sv->done) || (a == 0 && b == 0 && round > 0))
            break;
    }
}

static cry_tls_ctx *server_ctx(int mtls)
{
    cry_tls_ctx *s = NULL;
    cry_tls_opts o = {.cert_file = g_srv_cert, .key_file = g_srv_key};
    if (mtls) {
        o.ca_file = g_ca;
        o.verify_peer = 1;
    }
    CHECK_OK(cry_tls_ctx_new(&s, 1, &o));
    return s;
}

static cry_tls_ctx *client_ctx(const char *cert, const char *key, const char *ca, const char *name)
{
    cry_tls_ctx *c = NULL;
    cry_tls_opts o = {
        .cert_file = cert, .key_file = key, .ca_file = ca, .verify_peer = 1, .server_name = name};
    CHECK_OK(cry_tls_ctx_new(&c, 0, &o));
    return c;
}

static SSL_CTX *raw_ctx(int max_version, const char *suites, const char *groups,
                        const unsigned char *alpn, unsigned alpn_len)
{
    SSL_CTX *c = SSL_CTX_new_ex(NULL, NULL, TLS_client_method());
    CHECK(c != NULL);
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    if (max_version)
        SSL_CTX_set_max_proto_version(c, max_version);
    if (suites)
        CHECK(SSL_CTX_set_ciphersuites(c, suites) == 1);
    if (groups)
        CHECK(SSL_CTX_ctrl(c, SSL_CTRL_SET_GROUPS_LIST, 0, (void *)(uintptr_t)groups) == 1);
    if (alpn)
        CHECK(SSL_CTX_set_alpn_protos(c, alpn, alpn_len) == 0);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_CTX_load_verify_file(c, g_ca) == 1);
    return c;
}

/* Application data both ways, then close_notify from the client. */
static void exchange(ep *cl, ep *sv)
{
    char buf[256];
    CHECK_OK(cry_tls_write(cl->c, "PRI * HTTP/2.0", 14));
    ep_move(cl, sv);
    long n = cry_tls_read(sv->c, buf, sizeof(buf));
    CHECK_INT(n, 14);
    CHECK(n == 14 && memcmp(buf, "PRI * HTTP/2.0", 14) == 0);
    CHECK_INT(cry_tls_read(sv->c, buf, sizeof(buf)), 0); /* nothing more */
    CHECK_OK(cry_tls_write(sv->c, "settings", 8));
    ep_move(sv, cl);
    /* The client may first consume TLS 1.3 session tickets. */
    n = 0;
    for (int i = 0; i < 4 && n == 0; i++)
        n = cry_tls_read(cl->c, buf, sizeof(buf));
    CHECK_INT(n, 8);
    CHECK(!cry_tls_want_close(sv->c));
    CHECK_OK(cry_tls_close(cl->c));
    CHECK(cry_tls_want_close(cl->c));
    CHECK_ERR(cry_tls_write(cl->c, "x", 1), SEAL_ESTATE);
    CHECK(cry_tls_out_pending(cl->c) > 0);
    ep_move(cl, sv);
    CHECK_INT(cry_tls_read(sv->c, buf, sizeof(buf)), SEAL_ECLOSED);
    CHECK(cry_tls_want_close(sv->c));
}

/* -------------------------------------------------------------------- tests */
static void test_tls13_h2(void)
{
    cry_tls_ctx *s = server_ctx(0), *c = client_ctx(NULL, NULL, g_ca, "localhost");
    ep cl = ours(c), sv = ours(s);
    CHECK_ERR(cry_tls_write(cl.c, "x", 1), SEAL_ESTATE); /* before the handshake */
    handshake(&cl, &sv);
    CHECK_INT(cl.done, 1);
    CHECK_INT(sv.done, 1);
    CHECK(cry_tls_established(cl.c) && cry_tls_established(sv.c));
    CHECK_STR(cry_tls_version(sv.c), "TLSv1.3");
    CHECK_STR(cry_tls_cipher(sv.c), "TLS_AES_256_GCM_SHA384");
    CHECK_STR(cry_tls_group(sv.c), "secp256r1");
    CHECK_STR(cry_tls_alpn(sv.c), "h2");
    CHECK_STR(cry_tls_alpn(cl.c), "h2");
    CHECK_STR(cry_tls_error(sv.c), "");
    char subj[256];
    CHECK_ERR(cry_tls_peer_subject(sv.c, subj, sizeof(subj)), SEAL_ENOTFOUND); /* no mTLS */
    CHECK_OK(cry_tls_peer_subject(cl.c, subj, sizeof(subj)));
    CHECK_STR(subj, "CN=localhost,O=SealDB");
    exchange(&cl, &sv);
    ep_free(&cl);
    ep_free(&sv);
    cry_tls_ctx_free(s);
    cry_tls_ctx_free(c);
}

static void test_tls12_h2(void)
{
    static const unsigned char alpn[] = "\x08http/1.1\x02h2";
    cry_tls_ctx *s = server_ctx(0);
    SSL_CTX *rc = raw_ctx(TLS1_2_VERSION, NULL, NULL, alpn, sizeof(alpn) - 1);
    ep cl = raw_client(rc), sv = ours(s);
    handshake(&cl, &sv);
    CHECK_INT(cl.done, 1);
    CHECK_INT(sv.done, 1);
    CHECK_STR(cry_tls_version(sv.c), "TLSv1.2");
    const char *cipher = cry_tls_cipher(sv.c);
    CHECK(strncmp(cipher, "ECDHE-ECDSA-AES", 15) == 0 && strstr(cipher, "GCM") != NULL);
    CHECK_STR(cry_tls_group(sv.c), "secp256r1");
    CHECK_STR(cry_tls_alpn(sv.c), "h2");
    /* Data from the raw client. */
    size_t w = 0;
    CHECK(SSL_write_ex(cl.raw, "ping", 4, &w) == 1);
    ep_move(&cl, &sv);
    char buf[16];
    CHECK_INT(cry_tls_read(sv.c, buf, sizeof(buf)), 4);
    ep_free(&cl);
    ep_free(&sv);
    SSL_CTX_free(rc);
    cry_tls_ctx_free(s);
}

static void test_default_client_gets_p256(void)
{
    /* A stock client offers an X25519 key share first: the server asks again
     * (HelloRetryRequest) and ends on P-256. */
    cry_tls_ctx *s = server_ctx(0);
    SSL_CTX *rc = raw_ctx(0, NULL, NULL, (const unsigned char *)"\x02h2", 3);
    ep cl = raw_client(rc), sv = ours(s);
    handshake(&cl, &sv);
    CHECK_INT(sv.done, 1);
    CHECK_STR(cry_tls_group(sv.c), "secp256r1");
    ep_free(&cl);
    ep_free(&sv);
    SSL_CTX_free(rc);
    cry_tls_ctx_free(s);
}

static void expect_refused(SSL_CTX *rc, const char *what)
{
    cry_tls_ctx *s = server_ctx(0);
    ep cl = raw_client(rc), sv = ours(s);
    handshake(&cl, &sv);
    if (sv.done == 1 || cl.done == 1)
        T_FAIL("%s: the handshake succeeded (%s, %s)", what, cry_tls_cipher(sv.c),
               cry_tls_group(sv.c));
    CHECK(!cry_tls_established(sv.c));
    fprintf(stderr, "     %s: refused (%s)\n", what,
            cry_tls_error(sv.c)[0] ? cry_tls_error(sv.c) : "client could not start");
    ep_free(&cl);
    ep_free(&sv);
    cry_tls_ctx_free(s);
}

static void test_x25519_only_refused(void)
{
    SSL_CTX *rc = raw_ctx(0, NULL, "X25519", (const unsigned char *)"\x02h2", 3);
    expect_refused(rc, "TLS 1.3 X25519 only");
    SSL_CTX_free(rc);
    rc = raw_ctx(TLS1_2_VERSION, NULL, "X25519", (const unsigned char *)"\x02h2", 3);
    expect_refused(rc, "TLS 1.2 X25519 only");
    SSL_CTX_free(rc);
}

static void test_chacha_only_refused(void)
{
    SSL_CTX *rc =
        raw_ctx(0, "TLS_CHACHA20_POLY1305_SHA256", NULL, (const unsigned char *)"\x02h2", 3);
    SSL_CTX_set_min_proto_version(rc, TLS1_3_VERSION);
    expect_refused(rc, "TLS 1.3 ChaCha20-Poly1305 only");
    SSL_CTX_free(rc);
    /* TLS 1.2: the FIPS provider has no ChaCha20, the suite cannot even be set. */
    rc = raw_ctx(TLS1_2_VERSION, NULL, NULL, NULL, 0);
    CHECK(SSL_CTX_set_cipher_list(rc, "ECDHE-ECDSA-CHACHA20-POLY1305") == 0);
    ERR_clear_error();
    SSL_CTX_free(rc);
}

static void test_alpn(void)
{
    /* Only http/1.1 offered: refused (no_application_protocol). */
    SSL_CTX *rc = raw_ctx(0, NULL, NULL, (const unsigned char *)"\x08http/1.1", 9);
    expect_refused(rc, "ALPN http/1.1 only");
    SSL_CTX_free(rc);
    /* No ALPN at all: the handshake completes, cry_tls_alpn says "" and the
     * server layer decides. */
    cry_tls_ctx *s = server_ctx(0);
    rc = raw_ctx(0, NULL, NULL, NULL, 0);
    ep cl = raw_client(rc), sv = ours(s);
    handshake(&cl, &sv);
    CHECK_INT(sv.done, 1);
    CHECK_STR(cry_tls_alpn(sv.c), "");
    ep_free(&cl);
    ep_free(&sv);
    SSL_CTX_free(rc);
    cry_tls_ctx_free(s);
}

static void test_mtls(void)
{
    cry_tls_ctx *s = server_ctx(1);
    char buf[256];

    /* No client certificate: the server refuses. */
    cry_tls_ctx *c0 = client_ctx(NULL, NULL, g_ca, "localhost");
    ep cl = ours(c0), sv = ours(s);
    handshake(&cl, &sv);
    CHECK(sv.done < 0);
    CHECK(!cry_tls_established(sv.c));
    CHECK(cry_tls_want_close(sv.c));
    fprintf(stderr, "     no client certificate: %s\n", cry_tls_error(sv.c));
    /* In TLS 1.3 the client learns it from the alert on its next read. */
    if (cl.done == 1) {
        long r = cry_tls_read(cl.c, buf, sizeof(buf));
        CHECK(r < 0);
    }
    ep_free(&cl);
    ep_free(&sv);

    /* A certificate signed by the CA: accepted, subject visible to the server. */
    cry_tls_ctx *c1 = client_ctx(g_cli_cert, g_cli_key, g_ca, "localhost");
    cl = ours(c1);
    sv = ours(s);
    handshake(&cl, &sv);
    CHECK_INT(cl.done, 1);
    CHECK_INT(sv.done, 1);
    CHECK_OK(cry_tls_peer_subject(sv.c, buf, sizeof(buf)));
    CHECK_STR(buf, "CN=alice,O=SealDB");
    CHECK_OK(cry_tls_peer_cn(sv.c, buf, sizeof(buf)));
    CHECK_STR(buf, "alice");
    CHECK_ERR(cry_tls_peer_cn(sv.c, buf, 3), SEAL_ELIMIT);
    exchange(&cl, &sv);
    ep_free(&cl);
    ep_free(&sv);

    /* A certificate from another CA: refused. */
    cry_tls_ctx *c2 = client_ctx(g_rogue_cert, g_rogue_key, g_ca, "localhost");
    cl = ours(c2);
    sv = ours(s);
    handshake(&cl, &sv);
    CHECK(sv.done < 0);
    CHECK(strstr(cry_tls_error(sv.c), "certificate") != NULL);
    fprintf(stderr, "     foreign client certificate: %s\n", cry_tls_error(sv.c));
    ep_free(&cl);
    ep_free(&sv);

    cry_tls_ctx_free(c0);
    cry_tls_ctx_free(c1);
    cry_tls_ctx_free(c2);
    cry_tls_ctx_free(s);
}

static void test_client_verifies_server(void)
{
    cry_tls_ctx *s = server_ctx(0);
    const char *cases[][2] = {{g_ca, "example.com"}, {g_rogue_ca, "localhost"}};
    for (size_t i = 0; i < 2; i++) {
        cry_tls_ctx *c = client_ctx(NULL, NULL, cases[i][0], cases[i][1]);
        ep cl = ours(c), sv = ours(s);
        handshake(&cl, &sv);
        CHECK(cl.done < 0);
        CHECK(strstr(cry_tls_error(cl.c), "certificate") != NULL);
        fprintf(stderr, "     %s: %s\n", i ? "unknown CA" : "wrong host", cry_tls_error(cl.c));
        ep_free(&cl);
        ep_free(&sv);
        cry_tls_ctx_free(c);
    }
    cry_tls_ctx_free(s);
}

static void test_factory_refusals(void)
{
    cry_tls_ctx *c = NULL;
    cry_tls_opts ed = {.cert_file = g_ed_cert, .key_file = g_ed_key};
    CHECK_ERR(cry_tls_ctx_new(&c, 1, &ed), SEAL_ENOTALLOWED);
    cry_tls_opts none = {0};
    CHECK_ERR(cry_tls_ctx_new(&c, 1, &none), SEAL_EINVAL);
    cry_tls_opts missing = {.cert_file = t_path("nope.pem"), .key_file = g_srv_key};
    CHECK_ERR(cry_tls_ctx_new(&c, 1, &missing), SEAL_EINVAL);
    cry_tls_opts wrong_key = {.cert_file = g_srv_cert, .key_file = g_cli_key};
    CHECK_ERR(cry_tls_ctx_new(&c, 1, &wrong_key), SEAL_EINVAL);
    cry_tls_opts mtls_no_ca = {.cert_file = g_srv_cert, .key_file = g_srv_key, .verify_peer = 1};
    CHECK_ERR(cry_tls_ctx_new(&c, 1, &mtls_no_ca), SEAL_EINVAL);
    cry_tls_opts no_name = {.ca_file = g_ca, .verify_peer = 1};
    CHECK_ERR(cry_tls_ctx_new(&c, 0, &no_name), SEAL_EINVAL);
    CHECK(c == NULL);
}

/* The first flight of a client, as bytes. */
static size_t first_flight(ep *cl, uint8_t *buf, size_t cap)
{
    ep_step(cl);
    long n = cl->c ? cry_tls_take_out(cl->c, buf, cap) : BIO_read(cl->rout, buf, (int)cap);
    return n > 0 ? (size_t)n : 0;
}

static void test_client_hello_policy(void)
{
    static uint8_t buf[8192];
    cry_tls_ctx *c = client_ctx(NULL, NULL, g_ca, "localhost");
    ep cl = ours(c);
    size_t n = first_flight(&cl, buf, sizeof(buf));
    CHECK(n > 100);
    CHECK_OK(cry_policy_check_client_hello(buf, n));
    ep_free(&cl);
    cry_tls_ctx_free(c);
    /* A stock OpenSSL client offers x25519 (and more): refused by the check. */
    SSL_CTX *rc = raw_ctx(0, NULL, NULL, (const unsigned char *)"\x02h2", 3);
    cl = raw_client(rc);
    n = first_flight(&cl, buf, sizeof(buf));
    CHECK(n > 100);
    CHECK_ERR(cry_policy_check_client_hello(buf, n), SEAL_EFIPS);
    ep_free(&cl);
    SSL_CTX_free(rc);
    /* Garbage and truncations are refused, never read out of bounds. */
    CHECK_ERR(cry_policy_check_client_hello(buf, 3), SEAL_EFIPS);
    c = client_ctx(NULL, NULL, g_ca, "localhost");
    cl = ours(c);
    n = first_flight(&cl, buf, sizeof(buf));
    for (size_t cut = 0; cut < n; cut += 7)
        CHECK_ERR(cry_policy_check_client_hello(buf, cut), SEAL_EFIPS);
    ep_free(&cl);
    cry_tls_ctx_free(c);
}

int main(void)
{
    t_init();
    make_certs();
    RUN(test_tls13_h2);
    RUN(test_tls12_h2);
    RUN(test_default_client_gets_p256);
    RUN(test_x25519_only_refused);
    RUN(test_chacha_only_refused);
    RUN(test_alpn);
    RUN(test_mtls);
    RUN(test_client_verifies_server);
    RUN(test_factory_refusals);
    RUN(test_client_hello_policy);
    return t_done();
}
