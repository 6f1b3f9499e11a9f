/* client_crypto_tls_test.c - libsealclient over TLS (the FIPS policy of the crypto
 * module) against the fake ImmuService: the server's chain is checked
 * against the CA file, the host name against the certificate, a client
 * certificate is presented for mutual TLS; a server from another CA, a
 * wrong host name and a missing client certificate are refused, and
 * verified calls work over the TLS connection. Certificates are made here
 * with OpenSSL (test code only; like crypto_tls_test, the name puts it
 * among the test files the FIPS boundary check lets include OpenSSL). */
#include "client_fakesrv.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static EVP_PKEY *ec_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!k) {
        fprintf(stderr, "P-256 key generation failed\n");
        exit(1);
    }
    return k;
}

static void ext(X509 *x, X509 *issuer, int nid, const char *v)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
    if (!e || !X509_add_ext(x, e, -1)) {
        fprintf(stderr, "certificate extension %d failed\n", nid);
        exit(1);
    }
    X509_EXTENSION_free(e);
}

/* CN=|cn| for |key|, issued by |ca| (self-signed when NULL). */
static X509 *cert(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *ca_key, int is_ca,
                  const char *san)
{
    static long serial = 100;
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -600);
    X509_gmtime_adj(X509_getm_notAfter(x), 7200);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n);
    X509_NAME_free(n);
    ext(x, ca, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    ext(x, ca, NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    ext(x, ca, NID_subject_key_identifier, "hash");
    if (!is_ca)
        ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth");
    if (san)
        ext(x, ca, NID_subject_alt_name, san);
    if (!X509_sign(x, ca_key ? ca_key : key, EVP_sha256())) {
        fprintf(stderr, "certificate signing failed\n");
        exit(1);
    }
    return x;
}

static const char *save(const char *name, X509 *x, EVP_PKEY *k)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s", t_path(name));
    FILE *f = fopen(p, "w");
    if (!f || (x && !PEM_write_X509(f, x)) ||
        (k && !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(1);
    }
    fclose(f);
    return p;
}

static void test_tls(void)
{
    EVP_PKEY *ca_k = ec_key(), *srv_k = ec_key(), *cli_k = ec_key(), *rca_k = ec_key();
    X509 *ca = cert(ca_k, "Client Test CA", NULL, NULL, 1, NULL);
    X509 *srv = cert(srv_k, "localhost", ca, ca_k, 0, "DNS:localhost,IP:127.0.0.1");
    X509 *cli = cert(cli_k, "alice", ca, ca_k, 0, NULL);
    X509 *rca = cert(rca_k, "Other CA", NULL, NULL, 1, NULL);
    const char *ca_pem = save("ca.pem", ca, NULL);
    const char *srv_pem = save("srv.pem", srv, NULL);
    const char *srv_key = save("srv.key", NULL, srv_k);
    const char *cli_pem = save("cli.pem", cli, NULL);
    const char *cli_key = save("cli.key", NULL, cli_k);
    const char *rca_pem = save("rca.pem", rca, NULL);

    cry_tls_ctx *stls = NULL;
    cry_tls_opts so = {
        .cert_file = srv_pem, .key_file = srv_key, .ca_file = ca_pem, .verify_peer = 1};
    CHECK_OK(cry_tls_ctx_new(&stls, 1, &so));
    fk_server f;
    fk_next_tls = stls;
    fk_start(&f, "tls", 1, true);
    fk_next_tls = NULL;
    fk_fill(f.st, "k", 4, 0);

    /* mutual TLS with the right CA and name */
    seal_client_opts o;
    fk_opts(&f, &o, "st-tls");
    o.use_tls = 1;
    o.tls_ca_file = ca_pem;
    o.tls_cert_file = cli_pem;
    o.tls_key_file = cli_key;
    o.tls_server_name = "localhost";
    o.server_pubkey_file = f.pub_path;
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    seal_verify_info vi;
    seal_txhdr h;
    seal_kventry e;
    CHECK_OK(seal_client_verified_set(c, "tls", 3, "yes", 3, NULL, &h, &vi));
    CHECK_OK(seal_client_verified_get(c, "k2", 2, NULL, &e, &vi));
    CHECK_MEM(e.value, "v2", 2);
    seal_kventry_clear(&e);
    seal_health hl;
    CHECK_OK(seal_client_health(c, &hl));
    CHECK_STR(hl.server_uuid, f.uuid);
    seal_client_close(c);

    /* a server certificate from another CA */
    seal_client_opts o2 = o;
    o2.tls_ca_file = rca_pem;
    c = NULL;
    int rc = seal_client_connect(&o2, &c);
    if (rc == 0)
        rc = seal_client_get(c, "k2", 2, NULL, &e);
    CHECK(rc != 0 && rc != SEAL_EVERIFY);
    seal_client_close(c);

    /* the wrong host name */
    o2 = o;
    o2.tls_server_name = "db.example.com";
    c = NULL;
    rc = seal_client_connect(&o2, &c);
    if (rc == 0)
        rc = seal_client_get(c, "k2", 2, NULL, &e);
    CHECK(rc != 0 && rc != SEAL_EVERIFY);
    seal_client_close(c);

    /* no client certificate: the server wants one */
    o2 = o;
    o2.tls_cert_file = NULL;
    o2.tls_key_file = NULL;
    c = NULL;
    rc = seal_client_connect(&o2, &c);
    if (rc == 0)
        rc = seal_client_get(c, "k2", 2, NULL, &e);
    CHECK(rc != 0 && rc != SEAL_EVERIFY);
    seal_client_close(c);

    /* plain h2c against a TLS server fails cleanly */
    o2 = o;
    o2.use_tls = 0;
    c = NULL;
    rc = seal_client_connect(&o2, &c);
    if (rc == 0)
        rc = seal_client_get(c, "k2", 2, NULL, &e);
    CHECK(rc != 0);
    seal_client_close(c);

    /* verification off (tests only): still mutual TLS, no CA needed */
    o2 = o;
    o2.tls_ca_file = NULL;
    o2.tls_insecure = 1;
    c = NULL;
    CHECK_OK(seal_client_connect(&o2, &c));
    CHECK_OK(seal_client_get(c, "k2", 2, NULL, &e));
    seal_kventry_clear(&e);
    seal_client_close(c);

    fk_stop(&f);
    cry_tls_ctx_free(stls);
    X509 *xs[] = {ca, srv, cli, rca};
    EVP_PKEY *ks[] = {ca_k, srv_k, cli_k, rca_k};
    for (int i = 0; i < 4; i++) {
        X509_free(xs[i]);
        EVP_PKEY_free(ks[i]);
    }
}

int main(void)
{
    t_init();
    RUN(test_tls);
    return t_done();
}
