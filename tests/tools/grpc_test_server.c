/* grpc_test_server.c - a gRPC server for shell tests with real clients: the
 * ImmuService table (Health built in, everything else UNIMPLEMENTED) plus a
 * few transport-test handlers on ImmuService methods:
 *   Get            -> Entry{key, value "v:<authorization>"}, NOT_FOUND for key "missing"
 *   CurrentState   -> sleeps 3 s (deadline tests)
 *   streamGet      -> server stream: as many Chunks as the key is long ("abc" -> 3),
 *                     each content = 64 KiB of the chunk index
 *   streamSet      -> client stream: TxHeader{id = chunks, nentries = bytes}
 * Usage: grpc_test_server [port [cert.pem key.pem]]   (port 0 or none:
 * ephemeral; with a certificate and key: TLS). Prints "PORT <n>" on stdout
 * once listening; SIGTERM/SIGINT stop it gracefully (exit 0). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/common.h"
#include "seal/seal_fips.h"
#include "server/grpc_server.h"
#include "server/immu_service.h"

static int h_get(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const Immudb__Schema__KeyRequest *kr = (const Immudb__Schema__KeyRequest *)req;
    if (kr->key.len == 7 && memcmp(kr->key.data, "missing", 7) == 0)
        return gs_error(c, GW_NOT_FOUND, "key not found");
    const char *auth = gs_call_header(c, "authorization");
    char val[256];
    snprintf(val, sizeof(val), "v:%s", auth ? auth : "");
    Immudb__Schema__Entry e;
    immudb__schema__entry__init(&e);
    e.tx = 1;
    e.key = kr->key;
    e.value.data = (uint8_t *)val;
    e.value.len = strlen(val);
    gs_call_add_trailer(c, "x-served-by", "sealdb");
    return gs_send(c, &e.base);
}

static int h_sleep(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    for (int i = 0; i < 300 && !gs_call_cancelled(c); i++)
        usleep(10000);
    return gs_error(c, GW_UNAVAILABLE, "slept");
}

static int h_stream_get(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const Immudb__Schema__KeyRequest *kr = (const Immudb__Schema__KeyRequest *)req;
    static uint8_t buf[65536];
    for (size_t k = 0; k < kr->key.len; k++) {
        uint8_t *p = seal_malloc(sizeof(buf));
        if (!p)
            return SEAL_ENOMEM;
        memset(p, (int)k, sizeof(buf));
        Immudb__Schema__Chunk ch;
        immudb__schema__chunk__init(&ch);
        ch.content.data = p;
        ch.content.len = sizeof(buf);
        int rc = gs_send(c, &ch.base);
        seal_free(p);
        if (rc)
            return rc;
    }
    return 0;
}

static int h_stream_set(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    uint64_t n = 0, bytes = 0;
    for (;;) {
        ProtobufCMessage *m;
        int rc = gs_recv(c, &m);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        n++;
        bytes += ((Immudb__Schema__Chunk *)m)->content.len;
        gs_msg_free(m);
    }
    Immudb__Schema__TxHeader th;
    immudb__schema__tx_header__init(&th);
    th.id = n;
    th.nentries = (int32_t)bytes;
    return gs_send(c, &th.base);
}

int main(int argc, char **argv)
{
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "FIPS provider unavailable\n");
        return 1;
    }
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = argc > 1 ? atoi(argv[1]) : 0;
    cfg.shutdown_grace_ms = 5000;
    cry_tls_ctx *tls = NULL;
    if (argc > 3) {
        cry_tls_opts o = {.cert_file = argv[2], .key_file = argv[3]};
        if (cry_tls_ctx_new(&tls, 1, &o) != 0) {
            fprintf(stderr, "cannot load the TLS certificate\n");
            return 1;
        }
        cfg.tls = tls;
    }
    gs_server *s;
    if (gs_server_new(&s, &cfg) != 0 || immu_service_register_all(s) != 0 ||
        immu_service_set(s, "Get", h_get, NULL) != 0 ||
        immu_service_set(s, "CurrentState", h_sleep, NULL) != 0 ||
        immu_service_set(s, "streamGet", h_stream_get, NULL) != 0 ||
        immu_service_set(s, "streamSet", h_stream_set, NULL) != 0 ||
        gs_server_add_header(s, "immudb-uuid", "c0ffee00-0000-4000-8000-000000000001") != 0 ||
        gs_server_listen(s) != 0 || gs_server_install_signals(s) != 0) {
        fprintf(stderr, "server setup failed\n");
        return 1;
    }
    printf("PORT %d\n", gs_server_port(s));
    fflush(stdout);
    int rc = gs_server_run(s);
    gs_server_free(s);
    if (tls)
        cry_tls_ctx_free(tls);
    return rc == 0 ? 0 : 1;
}
