/* srv_probe.c - a tiny ImmuService client for shell tests of sealdb:
 *   srv_probe <port> health
 *   srv_probe <port> login <user> <password>
 *   srv_probe <port> serverinfo
 * Prints "OK ..." (exit 0) or "ERR <grpc code> <message>" (exit 1); exit 2
 * when the server cannot be reached. Clear-text h2c on 127.0.0.1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/grpc_client.h"
#include "schema.pb-c.h"
#include "seal/seal_common.h"
#include "seal/seal_fips.h"

static int unary(gc_conn *c, const char *method, const ProtobufCMessage *req, uint8_t **resp,
                 size_t *rn)
{
    uint8_t buf[1024];
    size_t n = req ? protobuf_c_message_pack(req, buf) : 0;
    char path[128];
    gc_status st;
    gc_call_opts co = {.timeout_ms = 20000};
    snprintf(path, sizeof(path), "/immudb.schema.ImmuService/%s", method);
    if (gc_unary(c, path, &co, buf, n, resp, rn, &st) != 0) {
        printf("ERR transport\n");
        return 2;
    }
    int code = st.code;
    if (code != 0)
        printf("ERR %d %s\n", code, st.message);
    gc_status_free(&st);
    return code ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: srv_probe <port> health|login <user> <pw>|serverinfo\n");
        return 2;
    }
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "srv_probe: %s\n", seal_fips_last_error());
        return 2;
    }
    gc_conn *c = NULL;
    if (gc_connect(&c, "127.0.0.1", atoi(argv[1]), NULL) != 0) {
        printf("ERR connect\n");
        return 2;
    }
    uint8_t *resp = NULL;
    size_t rn = 0;
    int rc = 2;
    if (strcmp(argv[2], "health") == 0) {
        rc = unary(c, "Health", NULL, &resp, &rn);
        Immudb__Schema__HealthResponse *h =
            rc ? NULL : immudb__schema__health_response__unpack(NULL, rn, resp);
        if (h)
            printf("OK status=%d version=%s\n", (int)h->status, h->version);
        if (h)
            immudb__schema__health_response__free_unpacked(h, NULL);
    } else if (strcmp(argv[2], "login") == 0 && argc == 5) {
        Immudb__Schema__LoginRequest req = IMMUDB__SCHEMA__LOGIN_REQUEST__INIT;
        req.user.data = (uint8_t *)argv[3];
        req.user.len = strlen(argv[3]);
        req.password.data = (uint8_t *)argv[4];
        req.password.len = strlen(argv[4]);
        rc = unary(c, "Login", &req.base, &resp, &rn);
        Immudb__Schema__LoginResponse *l =
            rc ? NULL : immudb__schema__login_response__unpack(NULL, rn, resp);
        if (l)
            printf("OK token=%zu warning=%.*s\n", strlen(l->token), (int)l->warning.len,
                   (const char *)l->warning.data);
        if (l)
            immudb__schema__login_response__free_unpacked(l, NULL);
    } else if (strcmp(argv[2], "serverinfo") == 0) {
        Immudb__Schema__ServerInfoRequest req = IMMUDB__SCHEMA__SERVER_INFO_REQUEST__INIT;
        rc = unary(c, "ServerInfo", &req.base, &resp, &rn);
        Immudb__Schema__ServerInfoResponse *s =
            rc ? NULL : immudb__schema__server_info_response__unpack(NULL, rn, resp);
        if (s)
            printf("OK version=%s databases=%d\n", s->version, (int)s->numdatabases);
        if (s)
            immudb__schema__server_info_response__free_unpacked(s, NULL);
    } else {
        fprintf(stderr, "srv_probe: unknown command %s\n", argv[2]);
    }
    seal_free(resp);
    gc_close(c);
    return rc;
}
