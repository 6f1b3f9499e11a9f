/* grpc_tls_test.c - the gRPC transports over TLS (cry_tls memory BIOs under
 * the HTTP/2 sessions): calls of every kind through a verified TLS
 * connection, large streams through TLS records and flow control, mutual
 * TLS, and refusals (wrong CA, plaintext client on a TLS port and the
 * reverse), with the server serving others throughout. Test certificates
 * come from tests/integration/grpc_certs.sh. */
#include <signal.h>
#include <stdlib.h>

#include "grpc_testsvc.h"

static char dir[600];

static const char *cert(const char *name)
{
    static char buf[4][700];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
    return buf[i];
}

static cry_tls_ctx *server_ctx(bool mtls)
{
    cry_tls_opts o = {.cert_file = cert("server.pem"), .key_file = cert("server.key")};
    if (mtls) {
        o.ca_file = cert("ca.pem");
        o.verify_peer = 1;
    }
    cry_tls_ctx *c = NULL;
    CHECK_OK(cry_tls_ctx_new(&c, 1, &o));
    return c;
}

static cry_tls_ctx *client_ctx(const char *ca, bool with_cert)
{
    cry_tls_opts o = {.ca_file = cert(ca), .verify_peer = 1, .server_name = "localhost"};
    if (with_cert) {
        o.cert_file = cert("client.pem");
        o.key_file = cert("client.key");
    }
    cry_tls_ctx *c = NULL;
    CHECK_OK(cry_tls_ctx_new(&c, 0, &o));
    return c;
}

static int tls_connect(int port, cry_tls_ctx *ctx, gc_conn **out)
{
    gc_opts o = {.tls = ctx, .authority = "localhost", .connect_timeout_ms = 5000};
    return gc_connect(out, "127.0.0.1", port, &o);
}

static void test_calls_over_tls(void)
{
    cry_tls_ctx *sctx = server_ctx(false);
    cry_tls_ctx *cctx = client_ctx("ca.pem", false);
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.tls = sctx;
    tsrv t;
    tsrv_start(&t, &cfg);
    gc_conn *c = NULL;
    CHECK_OK(tls_connect(t.port, cctx, &c));
    if (!c)
        goto out;
    char resp[128];
    CHECK_INT(ts_unary(c, TP "Echo", "secure", 6, resp, sizeof(resp), NULL), GW_OK);
    CHECK_STR(resp, "secure");
    CHECK_INT(ts_unary(c, TP "Meta", "", 0, resp, sizeof(resp), NULL), GW_OK);
    CHECK(strstr(resp, "tls=1") != NULL);
    /* Health, decoded */
    uint8_t *r = NULL;
    size_t n = 0;
    gc_status st;
    CHECK_OK(gc_unary(c, "/immudb.schema.ImmuService/Health", NULL, "", 0, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    CHECK_STR(gw_md_get(&st.headers, "immudb-uuid"), "0123456789abcdef");
    gc_status_free(&st);
    seal_free(r);

    /* 8 MiB down through TLS records and the flow-control windows */
    gc_stream *s;
    CHECK_OK(gc_stream_open(c, TP "SStream", NULL, &s));
    CHECK_OK(gc_stream_send(s, "4 2097152", 9));
    CHECK_OK(gc_stream_close_send(s));
    int got = 0, bad = 0;
    uint8_t *m;
    while (gc_stream_recv(s, &m, &n) == 1) {
        if (n != 2097152 || m[0] != ts_pat((uint32_t)got, 0) ||
            m[n - 1] != ts_pat((uint32_t)got, n - 1))
            bad++;
        got++;
        seal_free(m);
    }
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_OK);
    CHECK_INT(got, 4);
    CHECK_INT(bad, 0);
    gc_status_free(&st);
    gc_stream_free(s);

    /* 3 MiB up in a client stream */
    CHECK_OK(gc_stream_open(c, TP "CStream", NULL, &s));
    uint8_t *big = seal_calloc(1, 1u << 20);
    for (int i = 0; i < 3; i++)
        CHECK_OK(gc_stream_send(s, big, 1u << 20));
    seal_free(big);
    CHECK_OK(gc_stream_close_send(s));
    CHECK_INT(gc_stream_recv(s, &m, &n), 1);
    CHECK(n == strlen("3 3145728 0") && memcmp(m, "3 3145728 0", n) == 0);
    seal_free(m);
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    gc_stream_free(s);

    /* Refusals: a client trusting another CA; a plaintext client. */
    cry_tls_ctx *wrong = client_ctx("other-ca.pem", false);
    gc_conn *bad_c = NULL;
    CHECK(tls_connect(t.port, wrong, &bad_c) != 0);
    CHECK(bad_c == NULL);
    cry_tls_ctx_free(wrong);
    gc_conn *plain = NULL;
    if (gc_connect(&plain, "127.0.0.1", t.port, NULL) == 0) {
        gc_status pst;
        uint8_t *pr = NULL;
        size_t pn;
        gc_unary(plain, TP "Echo", NULL, "x", 1, &pr, &pn, &pst);
        CHECK(pst.code != GW_OK);
        gc_status_free(&pst);
        seal_free(pr);
        gc_close(plain);
    }
    /* the TLS client is unaffected */
    CHECK_INT(ts_unary(c, TP "Echo", "still", 5, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c);
out:
    tsrv_stop(&t);
    cry_tls_ctx_free(cctx);
    cry_tls_ctx_free(sctx);
}

static void test_mtls(void)
{
    cry_tls_ctx *sctx = server_ctx(true);
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.tls = sctx;
    tsrv t;
    tsrv_start(&t, &cfg);
    /* without a client certificate: refused */
    cry_tls_ctx *anon = client_ctx("ca.pem", false);
    gc_conn *c = NULL;
    int rc = tls_connect(t.port, anon, &c);
    if (rc == 0) { /* TLS 1.3: the refusal may only show on first use */
        char resp[16];
        gc_status st;
        uint8_t *r = NULL;
        size_t n;
        gc_unary(c, TP "Echo", NULL, "x", 1, &r, &n, &st);
        CHECK(st.code != GW_OK);
        gc_status_free(&st);
        seal_free(r);
        SEAL_UNUSED(resp);
        gc_close(c);
    }
    cry_tls_ctx_free(anon);
    /* with one: served */
    cry_tls_ctx *cctx = client_ctx("ca.pem", true);
    c = NULL;
    CHECK_OK(tls_connect(t.port, cctx, &c));
    if (c) {
        char resp[16];
        CHECK_INT(ts_unary(c, TP "Echo", "mtls", 4, resp, sizeof(resp), NULL), GW_OK);
        CHECK_STR(resp, "mtls");
        gc_close(c);
    }
    cry_tls_ctx_free(cctx);
    tsrv_stop(&t);
    cry_tls_ctx_free(sctx);
}

static void test_tls_client_on_plain_server(void)
{
    tsrv t;
    tsrv_start(&t, NULL);
    cry_tls_ctx *cctx = client_ctx("ca.pem", false);
    gc_conn *c = NULL;
    CHECK(tls_connect(t.port, cctx, &c) != 0);
    cry_tls_ctx_free(cctx);
    c = ts_connect(&t);
    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "h2c", 3, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c);
    tsrv_stop(&t);
}

int main(void)
{
    t_init();
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "%s", t_path("certs"));
    char cmd[1600];
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/integration/grpc_certs.sh' '%s'",
             t_env("SEAL_SRC_DIR", "."), dir);
    if (system(cmd) != 0) {
        T_FAIL("cannot create test certificates (%s)", cmd);
        return t_done();
    }
    RUN(test_calls_over_tls);
    RUN(test_mtls);
    RUN(test_tls_client_on_plain_server);
    return t_done();
}
