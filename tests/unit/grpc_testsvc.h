/* grpc_testsvc.h - a test-only gRPC service for the transport tests (echo,
 * metadata, sleep, failure, server/client/bidi streams, a decoded ImmuService
 * Get) and helpers to run a server in a thread on an ephemeral port.
 * Included by the grpc_*_test.c programs; everything here is static. */
#ifndef SEAL_GRPC_TESTSVC_H
#define SEAL_GRPC_TESTSVC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "client/grpc_client.h"
#include "common/common.h"
#include "server/grpc_server.h"
#include "server/immu_service.h"
#include "testlib.h"

#define TP "/seal.test.Test/"

static atomic_int ts_sleep_done;      /* sleep handlers that ran to the end */
static atomic_int ts_sleep_cancelled; /* sleep handlers that saw cancellation */
static atomic_int ts_stream_rc;       /* last error of the server-stream handler */
static atomic_int ts_stream_done;     /* server-stream handlers finished */

/* Byte i of message k of a generated stream. */
static inline uint8_t ts_pat(uint32_t k, size_t i)
{
    return (uint8_t)(k * 31u + i * 7u + (i >> 9));
}

static int h_echo(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const uint8_t *p;
    size_t n;
    gs_call_request_raw(c, &p, &n);
    gs_call_add_header(c, "x-echo-header", "yes");
    gs_call_add_trailer(c, "x-echo-trailer", "done");
    return gs_send_raw(c, p, n);
}

static int h_meta(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const char *a = gs_call_header(c, "authorization");
    const char *s = gs_call_header(c, "sessionid");
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "auth=%s;sid=%s;left=%s;tls=%d", a ? a : "-", s ? s : "-",
                     gs_call_time_left_ms(c) >= 0 ? "yes" : "no", gs_call_is_tls(c) ? 1 : 0);
    return gs_send_raw(c, buf, (size_t)n);
}

/* Request: decimal milliseconds. Sleeps, watching for cancellation. */
static int h_sleep(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const uint8_t *p;
    size_t n;
    gs_call_request_raw(c, &p, &n);
    char tmp[32] = {0};
    memcpy(tmp, p, SEAL_MIN(n, sizeof(tmp) - 1));
    int64_t end = gw_now_ms() + atol(tmp);
    while (gw_now_ms() < end) {
        if (gs_call_cancelled(c)) {
            atomic_fetch_add(&ts_sleep_cancelled, 1);
            return gs_error(c, GW_CANCELLED, "cancelled while sleeping");
        }
        usleep(5000);
    }
    atomic_fetch_add(&ts_sleep_done, 1);
    return gs_send_raw(c, "slept", 5);
}

static int h_fail(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return gs_error(c, GW_NOT_FOUND, "key not found: caf\xc3\xa9 100%% sure\nline2");
}

static int h_noresp(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return 0; /* a unary handler that forgets to answer */
}

/* Request: "count size". Sends |count| messages of |size| patterned bytes. */
static int h_sstream(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const uint8_t *p;
    size_t n;
    gs_call_request_raw(c, &p, &n);
    char tmp[64] = {0};
    memcpy(tmp, p, SEAL_MIN(n, sizeof(tmp) - 1));
    unsigned long count = 0, size = 0;
    sscanf(tmp, "%lu %lu", &count, &size);
    uint8_t *buf = seal_malloc(size ? size : 1);
    int rc = 0;
    for (uint32_t k = 0; k < count && rc == 0; k++) {
        for (size_t i = 0; i < size; i++)
            buf[i] = ts_pat(k, i);
        rc = gs_send_raw(c, buf, size);
    }
    seal_free(buf);
    atomic_store(&ts_stream_rc, rc);
    atomic_fetch_add(&ts_stream_done, 1);
    return rc;
}

/* Client stream: answers "count bytes sum". */
static int h_cstream(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    uint64_t count = 0, bytes = 0, sum = 0;
    for (;;) {
        uint8_t *p;
        size_t n;
        int rc = gs_recv_raw(c, &p, &n);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        count++;
        bytes += n;
        for (size_t i = 0; i < n; i++)
            sum += p[i];
        seal_free(p);
    }
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "%llu %llu %llu", (unsigned long long)count,
                     (unsigned long long)bytes, (unsigned long long)sum);
    return gs_send_raw(c, buf, (size_t)n);
}

/* Bidi: echoes every message, then ends OK. */
static int h_bidi(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    for (;;) {
        uint8_t *p;
        size_t n;
        int rc = gs_recv_raw(c, &p, &n);
        if (rc <= 0)
            return rc;
        rc = gs_send_raw(c, p, n);
        seal_free(p);
        if (rc)
            return rc;
    }
}

/* ImmuService/Get with a decoded request: answers an Entry for the key. */
static int h_get(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const Immudb__Schema__KeyRequest *kr = (const Immudb__Schema__KeyRequest *)req;
    if (kr->key.len == 0)
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments: empty key");
    Immudb__Schema__Entry e;
    immudb__schema__entry__init(&e);
    e.tx = kr->attx ? kr->attx : 7;
    e.key = kr->key;
    e.value.data = (uint8_t *)(uintptr_t) "value";
    e.value.len = 5;
    return gs_send(c, &e.base);
}

typedef struct tsrv {
    gs_server *s;
    pthread_t th;
    int port;
    int run_rc;
    bool running;
} tsrv;

static void *tsrv_main(void *a)
{
    tsrv *t = a;
    t->run_rc = gs_server_run(t->s);
    return NULL;
}

static void ts_reg(gs_server *s, const char *name, gs_kind kind, gs_handler_fn fn)
{
    char path[128];
    snprintf(path, sizeof(path), TP "%s", name);
    gs_method m = {.path = path, .kind = kind, .fn = fn};
    CHECK_OK(gs_server_register(s, &m));
}

/* Starts a server on 127.0.0.1:<ephemeral>. |cfg| may be NULL (defaults). */
static void tsrv_start(tsrv *t, const gs_config *cfg)
{
    gs_config c;
    if (cfg)
        c = *cfg;
    else
        gs_config_default(&c);
    c.host = "127.0.0.1";
    c.port = 0;
    memset(t, 0, sizeof(*t));
    CHECK_OK(gs_server_new(&t->s, &c));
    CHECK_OK(immu_service_register_all(t->s));
    CHECK_OK(immu_service_set(t->s, "Get", h_get, NULL));
    CHECK_OK(gs_server_add_header(t->s, "immudb-uuid", "0123456789abcdef"));
    ts_reg(t->s, "Echo", GS_UNARY, h_echo);
    ts_reg(t->s, "Meta", GS_UNARY, h_meta);
    ts_reg(t->s, "Sleep", GS_UNARY, h_sleep);
    ts_reg(t->s, "Fail", GS_UNARY, h_fail);
    ts_reg(t->s, "NoResp", GS_UNARY, h_noresp);
    ts_reg(t->s, "SStream", GS_SERVER_STREAM, h_sstream);
    ts_reg(t->s, "CStream", GS_CLIENT_STREAM, h_cstream);
    ts_reg(t->s, "Bidi", GS_BIDI_STREAM, h_bidi);
    CHECK_OK(gs_server_listen(t->s));
    t->port = gs_server_port(t->s);
    CHECK(t->port > 0);
    CHECK(pthread_create(&t->th, NULL, tsrv_main, t) == 0);
    t->running = true;
}

static void tsrv_stop(tsrv *t)
{
    if (t->running) {
        gs_server_stop(t->s);
        pthread_join(t->th, NULL);
        CHECK_OK(t->run_rc);
        t->running = false;
    }
    gs_server_free(t->s);
    t->s = NULL;
}

static gc_conn *ts_connect(const tsrv *t)
{
    gc_conn *c = NULL;
    CHECK_OK(gc_connect(&c, "127.0.0.1", t->port, NULL));
    return c;
}

/* Unary call with raw bytes; returns the status code, fills resp (NUL-terminated). */
static int ts_unary(gc_conn *c, const char *path, const void *req, size_t n, char *resp, size_t cap,
                    gc_status *st_out)
{
    uint8_t *r = NULL;
    size_t rl = 0;
    gc_status st;
    int rc = gc_unary(c, path, NULL, req, n, &r, &rl, &st);
    CHECK_OK(rc);
    if (resp && cap) {
        size_t k = SEAL_MIN(rl, cap - 1);
        if (r)
            memcpy(resp, r, k);
        resp[k] = 0;
    }
    seal_free(r);
    int code = st.code;
    if (st_out)
        *st_out = st;
    else
        gc_status_free(&st);
    return code;
}

#endif
