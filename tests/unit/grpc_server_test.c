/* grpc_server_test.c - the gRPC transport end to end, in process: the
 * server runs in a thread on an ephemeral port and the C client transport
 * talks to it. Unary, metadata, errors, streaming in all directions, large
 * messages and flow control, deadlines, limits, bad input of every layer
 * (HTTP/2 framing, gRPC framing, protobuf, content type). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "grpc_testsvc.h"

static tsrv g;

static void test_unary_roundtrip(void)
{
    gc_conn *c = ts_connect(&g);
    gc_status st;
    char resp[64];
    CHECK_INT(ts_unary(c, TP "Echo", "hello", 5, resp, sizeof(resp), &st), GW_OK);
    CHECK_STR(resp, "hello");
    CHECK_INT(st.http_status, 200);
    CHECK_STR(gw_md_get(&st.headers, "immudb-uuid"), "0123456789abcdef");
    CHECK_STR(gw_md_get(&st.headers, "x-echo-header"), "yes");
    CHECK_STR(gw_md_get(&st.trailers, "x-echo-trailer"), "done");
    CHECK_STR(gw_md_get(&st.headers, "content-type"), "application/grpc");
    gc_status_free(&st);
    /* An empty message is a valid message. */
    CHECK_INT(ts_unary(c, TP "Echo", "", 0, resp, sizeof(resp), NULL), GW_OK);
    CHECK_STR(resp, "");
    /* Many calls on one connection. */
    for (int i = 0; i < 200; i++) {
        char req[32];
        int n = snprintf(req, sizeof(req), "msg-%d", i);
        CHECK_INT(ts_unary(c, TP "Echo", req, (size_t)n, resp, sizeof(resp), NULL), GW_OK);
        CHECK_STR(resp, req);
    }
    gc_close(c);
}

static void test_health_decoded(void)
{
    gc_conn *c = ts_connect(&g);
    Google__Protobuf__Empty e;
    google__protobuf__empty__init(&e);
    uint8_t req[8];
    size_t rl = protobuf_c_message_pack(&e.base, req);
    CHECK_INT(rl, 0);
    uint8_t *r = NULL;
    size_t n = 0;
    gc_status st;
    CHECK_OK(gc_unary(c, "/immudb.schema.ImmuService/Health", NULL, req, rl, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    Immudb__Schema__HealthResponse *h = immudb__schema__health_response__unpack(NULL, n, r);
    CHECK(h != NULL);
    if (h) {
        CHECK(h->status);
        CHECK_STR(h->version, seal_version());
        immudb__schema__health_response__free_unpacked(h, NULL);
    }
    seal_free(r);
    gc_status_free(&st);

    /* A decoded request: Get echoes the key in an Entry. */
    Immudb__Schema__KeyRequest kr;
    immudb__schema__key_request__init(&kr);
    kr.key.data = (uint8_t *)"k1";
    kr.key.len = 2;
    kr.attx = 42;
    uint8_t kb[64];
    size_t kl = immudb__schema__key_request__pack(&kr, kb);
    CHECK_OK(gc_unary(c, "/immudb.schema.ImmuService/Get", NULL, kb, kl, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    Immudb__Schema__Entry *en = immudb__schema__entry__unpack(NULL, n, r);
    CHECK(en != NULL);
    if (en) {
        CHECK_INT(en->tx, 42);
        CHECK_INT(en->key.len, 2);
        CHECK_MEM(en->key.data, "k1", 2);
        CHECK_MEM(en->value.data, "value", 5);
        immudb__schema__entry__free_unpacked(en, NULL);
    }
    seal_free(r);
    gc_status_free(&st);
    /* Handler-level error with a decoded request. */
    kr.key.len = 0;
    kl = immudb__schema__key_request__pack(&kr, kb);
    CHECK_OK(gc_unary(c, "/immudb.schema.ImmuService/Get", NULL, kb, kl, &r, &n, &st));
    CHECK_INT(st.code, GW_INVALID_ARGUMENT);
    CHECK_STR(st.message, "illegal arguments: empty key");
    seal_free(r);
    gc_status_free(&st);
    gc_close(c);
}

static void test_metadata(void)
{
    gc_conn *c = ts_connect(&g);
    gw_md md = {0};
    CHECK_OK(gw_md_adds(&md, "authorization", "Bearer tok123"));
    CHECK_OK(gw_md_adds(&md, "sessionid", "sess-9"));
    gc_call_opts o = {.md = &md, .timeout_ms = 5000};
    uint8_t *r = NULL;
    size_t n = 0;
    gc_status st;
    CHECK_OK(gc_unary(c, TP "Meta", &o, "", 0, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    CHECK(r != NULL);
    if (r) {
        CHECK_INT(n, strlen("auth=Bearer tok123;sid=sess-9;left=yes;tls=0"));
        CHECK_MEM(r, "auth=Bearer tok123;sid=sess-9;left=yes;tls=0", n);
    }
    seal_free(r);
    gc_status_free(&st);
    gw_md_free(&md);
    gc_close(c);
}

static void test_errors(void)
{
    gc_conn *c = ts_connect(&g);
    gc_status st;
    CHECK_INT(ts_unary(c, TP "Fail", "x", 1, NULL, 0, &st), GW_NOT_FOUND);
    /* grpc-message is percent-encoded on the wire and decoded here. */
    CHECK_STR(st.message, "key not found: caf\xc3\xa9 100% sure\nline2");
    CHECK_INT(st.http_status, 200);
    CHECK_STR(gw_md_get(&st.headers, "immudb-uuid"), "0123456789abcdef");
    gc_status_free(&st);

    CHECK_INT(ts_unary(c, TP "NoResp", "x", 1, NULL, 0, &st), GW_INTERNAL);
    gc_status_free(&st);

    /* Unknown method, unknown service, declared but not implemented. */
    CHECK_INT(ts_unary(c, TP "Nope", "x", 1, NULL, 0, &st), GW_UNIMPLEMENTED);
    CHECK_STR(st.message, "unknown method Nope for service seal.test.Test");
    gc_status_free(&st);
    CHECK_INT(ts_unary(c, "/no.Such/Thing", "x", 1, NULL, 0, &st), GW_UNIMPLEMENTED);
    CHECK_STR(st.message, "unknown service no.Such");
    gc_status_free(&st);
    CHECK_INT(ts_unary(c, "/immudb.schema.ImmuService/SQLExec", "", 0, NULL, 0, &st),
              GW_UNIMPLEMENTED);
    CHECK_STR(st.message, "method SQLExec not implemented");
    gc_status_free(&st);

    /* Malformed protobuf: a length-delimited field running past the end.
     * INTERNAL, with grpc-go's wording (what immudb itself answers). */
    const uint8_t bad[] = {0x0a, 0x7f, 0x01};
    CHECK_INT(ts_unary(c, "/immudb.schema.ImmuService/Get", bad, sizeof(bad), NULL, 0, &st),
              GW_INTERNAL);
    CHECK(strstr(st.message, "error unmarshalling request") != NULL);
    gc_status_free(&st);

    /* The connection still serves. */
    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "ok", 2, resp, sizeof(resp), NULL), GW_OK);
    CHECK_STR(resp, "ok");
    gc_close(c);
}

static void test_content_type_and_framing(void)
{
    gc_conn *c = ts_connect(&g);
    gc_status st;
    uint8_t *r;
    size_t n;
    gc_call_opts o = {.content_type = "application/json"};
    CHECK_OK(gc_unary(c, TP "Echo", &o, "x", 1, &r, &n, &st));
    CHECK_INT(st.http_status, 415);
    CHECK_INT(st.code, GW_INVALID_ARGUMENT);
    CHECK(strstr(st.message, "content-type") != NULL);
    gc_status_free(&st);
    seal_free(r);
    /* +proto and parameters are fine */
    o.content_type = "application/grpc+proto";
    CHECK_OK(gc_unary(c, TP "Echo", &o, "y", 1, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    seal_free(r);

    /* A message with the compressed flag: no compression is supported. */
    gc_stream *s;
    CHECK_OK(gc_stream_open(c, TP "Echo", NULL, &s));
    const uint8_t comp[] = {1, 0, 0, 0, 2, 'h', 'i'};
    CHECK_OK(gc_stream_send_raw(s, comp, sizeof(comp)));
    CHECK_OK(gc_stream_close_send(s));
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_UNIMPLEMENTED);
    CHECK(strstr(st.message, "compress") != NULL);
    gc_status_free(&st);
    gc_stream_free(s);

    /* A grpc-encoding we do not have. */
    gw_md md = {0};
    gw_md_adds(&md, "grpc-encoding", "gzip");
    gc_call_opts og = {.md = &md};
    CHECK_OK(gc_unary(c, TP "Echo", &og, "x", 1, &r, &n, &st));
    CHECK_INT(st.code, GW_UNIMPLEMENTED);
    CHECK(strstr(st.message, "gzip") != NULL);
    gc_status_free(&st);
    seal_free(r);
    gw_md_free(&md);

    /* Truncated message, and two messages on a unary call. */
    CHECK_OK(gc_stream_open(c, TP "Echo", NULL, &s));
    const uint8_t trunc[] = {0, 0, 0, 0, 9, 'a', 'b'};
    CHECK_OK(gc_stream_send_raw(s, trunc, sizeof(trunc)));
    CHECK_OK(gc_stream_close_send(s));
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_INTERNAL);
    gc_status_free(&st);
    gc_stream_free(s);
    CHECK_OK(gc_stream_open(c, TP "Echo", NULL, &s));
    CHECK_OK(gc_stream_send(s, "a", 1));
    CHECK_OK(gc_stream_send(s, "b", 1));
    CHECK_OK(gc_stream_close_send(s));
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_INTERNAL);
    gc_status_free(&st);
    gc_stream_free(s);
    /* No message at all. */
    CHECK_OK(gc_stream_open(c, TP "Echo", NULL, &s));
    CHECK_OK(gc_stream_close_send(s));
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_INTERNAL);
    gc_status_free(&st);
    gc_stream_free(s);
    /* Bad grpc-timeout */
    gw_md_adds(&md, "grpc-timeout", "12x");
    CHECK_OK(gc_unary(c, TP "Echo", &og, "x", 1, &r, &n, &st));
    CHECK_INT(st.code, GW_INTERNAL);
    CHECK(strstr(st.message, "grpc-timeout") != NULL);
    gc_status_free(&st);
    seal_free(r);
    gw_md_free(&md);

    /* Request headers beyond max_header_list (64 KiB): refused, connection kept. */
    char *big = seal_malloc(40001);
    memset(big, 'a', 40000);
    big[40000] = 0;
    gw_md_adds(&md, "x-big-1", big);
    gw_md_adds(&md, "x-big-2", big);
    seal_free(big);
    CHECK_OK(gc_unary(c, TP "Echo", &og, "x", 1, &r, &n, &st));
    CHECK_INT(st.code, GW_RESOURCE_EXHAUSTED);
    CHECK_INT(st.http_status, 431);
    gc_status_free(&st);
    seal_free(r);
    gw_md_free(&md);

    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "ok", 2, resp, sizeof(resp), NULL), GW_OK);
    CHECK(gc_alive(c));
    gc_close(c);
}

static void test_server_stream(void)
{
    gc_conn *c = ts_connect(&g);
    struct {
        unsigned count, size;
    } cases[] = {{1000, 100}, {0, 0}, {3, 0}, {1, 20u << 20}, {4, 3u << 20}};
    for (size_t k = 0; k < SEAL_ARRAY_LEN(cases); k++) {
        char req[64];
        int rl = snprintf(req, sizeof(req), "%u %u", cases[k].count, cases[k].size);
        gc_stream *s;
        CHECK_OK(gc_stream_open(c, TP "SStream", NULL, &s));
        CHECK_OK(gc_stream_send(s, req, (size_t)rl));
        CHECK_OK(gc_stream_close_send(s));
        unsigned got = 0, bad = 0;
        for (;;) {
            uint8_t *m;
            size_t n;
            int rc = gc_stream_recv(s, &m, &n);
            if (rc <= 0) {
                CHECK_INT(rc, 0);
                break;
            }
            if (n != cases[k].size)
                bad++;
            else
                for (size_t i = 0; i < n; i++)
                    if (m[i] != ts_pat(got, i)) {
                        bad++;
                        break;
                    }
            got++;
            seal_free(m);
        }
        gc_status st;
        CHECK_OK(gc_stream_finish(s, &st));
        CHECK_INT(st.code, GW_OK);
        CHECK_INT(got, cases[k].count);
        CHECK_INT(bad, 0);
        gc_status_free(&st);
        gc_stream_free(s);
    }
    gc_close(c);
}

static void test_client_and_bidi_stream(void)
{
    gc_conn *c = ts_connect(&g);
    gc_stream *s;
    CHECK_OK(gc_stream_open(c, TP "CStream", NULL, &s));
    uint64_t bytes = 0, sum = 0;
    uint8_t buf[5000];
    for (int k = 0; k < 300; k++) {
        size_t n = (size_t)(k * 17) % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            buf[i] = ts_pat((uint32_t)k, i);
            sum += buf[i];
        }
        bytes += n;
        CHECK_OK(gc_stream_send(s, buf, n));
    }
    /* and one big message that needs several windows */
    size_t big = 6u << 20;
    uint8_t *bp = seal_malloc(big);
    for (size_t i = 0; i < big; i++) {
        bp[i] = ts_pat(9, i);
        sum += bp[i];
    }
    bytes += big;
    CHECK_OK(gc_stream_send(s, bp, big));
    seal_free(bp);
    CHECK_OK(gc_stream_close_send(s));
    uint8_t *m = NULL;
    size_t n = 0;
    CHECK_INT(gc_stream_recv(s, &m, &n), 1);
    char expect[96];
    snprintf(expect, sizeof(expect), "301 %llu %llu", (unsigned long long)bytes,
             (unsigned long long)sum);
    CHECK(m && n == strlen(expect) && memcmp(m, expect, n) == 0);
    seal_free(m);
    gc_status st;
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    gc_stream_free(s);

    /* bidi: interleaved ping-pong */
    CHECK_OK(gc_stream_open(c, TP "Bidi", NULL, &s));
    for (int k = 0; k < 100; k++) {
        char msg[32];
        int ml = snprintf(msg, sizeof(msg), "ping %d", k);
        CHECK_OK(gc_stream_send(s, msg, (size_t)ml));
        CHECK_INT(gc_stream_recv(s, &m, &n), 1);
        CHECK(m && n == (size_t)ml && memcmp(m, msg, n) == 0);
        seal_free(m);
    }
    CHECK_OK(gc_stream_close_send(s));
    CHECK_INT(gc_stream_recv(s, &m, &n), 0);
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    gc_stream_free(s);
    gc_close(c);
}

static void test_deadline(void)
{
    gc_conn *c = ts_connect(&g);
    int before = atomic_load(&ts_sleep_cancelled);
    gc_call_opts o = {.timeout_ms = 200, .local_grace_ms = 3000};
    uint8_t *r;
    size_t n;
    gc_status st;
    double t0 = t_now();
    CHECK_OK(gc_unary(c, TP "Sleep", &o, "5000", 4, &r, &n, &st));
    double dt = t_now() - t0;
    CHECK_INT(st.code, GW_DEADLINE_EXCEEDED);
    CHECK(!st.local); /* the server said so, not our own timer */
    CHECK(dt >= 0.19 && dt < 2.0);
    gc_status_free(&st);
    seal_free(r);
    /* the handler saw the cancellation and gave its worker back */
    for (int i = 0; i < 200 && atomic_load(&ts_sleep_cancelled) == before; i++)
        usleep(10000);
    CHECK(atomic_load(&ts_sleep_cancelled) > before);
    /* the local deadline alone also works */
    gc_call_opts o2 = {.timeout_ms = 100};
    CHECK_OK(gc_unary(c, TP "Sleep", &o2, "3000", 4, &r, &n, &st));
    CHECK_INT(st.code, GW_DEADLINE_EXCEEDED);
    gc_status_free(&st);
    seal_free(r);
    /* a deadline that is not reached */
    gc_call_opts o3 = {.timeout_ms = 5000};
    CHECK_OK(gc_unary(c, TP "Sleep", &o3, "10", 2, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    seal_free(r);
    gc_close(c);
}

static void test_oversized(void)
{
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.max_recv_msg = 1u << 20;
    tsrv t;
    tsrv_start(&t, &cfg);
    gc_conn *c = ts_connect(&t);
    size_t big = (1u << 20) + 1;
    uint8_t *p = seal_calloc(1, big);
    uint8_t *r;
    size_t n;
    gc_status st;
    CHECK_OK(gc_unary(c, TP "Echo", NULL, p, big, &r, &n, &st));
    CHECK_INT(st.code, GW_RESOURCE_EXHAUSTED);
    CHECK(strstr(st.message, "larger than max (1048577 vs. 1048576)") != NULL);
    gc_status_free(&st);
    seal_free(r);
    /* exactly the limit passes */
    CHECK_OK(gc_unary(c, TP "Echo", NULL, p, big - 1, &r, &n, &st));
    CHECK_INT(st.code, GW_OK);
    CHECK_INT(n, big - 1);
    gc_status_free(&st);
    seal_free(r);
    /* in a client stream too, after a few good messages */
    gc_stream *s;
    CHECK_OK(gc_stream_open(c, TP "CStream", NULL, &s));
    CHECK_OK(gc_stream_send(s, "abc", 3));
    int rc = gc_stream_send(s, p, big);
    CHECK(rc == 0 || rc == SEAL_ECLOSED);
    gc_stream_close_send(s);
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_RESOURCE_EXHAUSTED);
    gc_status_free(&st);
    gc_stream_free(s);
    seal_free(p);
    /* the connection and the server still serve */
    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "ok", 2, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c);
    c = ts_connect(&t);
    CHECK_INT(ts_unary(c, TP "Echo", "ok", 2, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c);
    tsrv_stop(&t);
}

/* A raw TCP connection for malformed-input tests. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

/* Reads until EOF or timeout; returns true if the server closed the socket. */
static bool raw_wait_closed(int fd, int ms, bool *saw_goaway)
{
    uint8_t buf[4096];
    int64_t end = gw_now_ms() + ms;
    size_t have = 0;
    uint8_t acc[65536];
    while (gw_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            /* scan the frames received for a GOAWAY (type 7) */
            size_t off = 0;
            while (saw_goaway && off + 9 <= have) {
                uint32_t len = ((uint32_t)acc[off] << 16) | (acc[off + 1] << 8) | acc[off + 2];
                if (acc[off + 3] == 7)
                    *saw_goaway = true;
                off += 9 + len;
            }
            return true;
        }
        if (have + (size_t)n <= sizeof(acc)) {
            memcpy(acc + have, buf, (size_t)n);
            have += (size_t)n;
        }
    }
    return false;
}

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void test_malformed_http2(void)
{
    gc_conn *other = ts_connect(&g);
    char resp[16];
    CHECK_INT(ts_unary(other, TP "Echo", "a", 1, resp, sizeof(resp), NULL), GW_OK);

    /* 1: garbage instead of the preface */
    int fd = raw_connect(g.port);
    CHECK(send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 0) == 27);
    CHECK(raw_wait_closed(fd, 3000, NULL));
    close(fd);

    /* 2: a valid preface, then garbage bytes */
    fd = raw_connect(g.port);
    CHECK(send(fd, preface, 24, 0) == 24);
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(0xa5 ^ (i * 13));
    CHECK(send(fd, junk, sizeof(junk), 0) == (ssize_t)sizeof(junk));
    CHECK(raw_wait_closed(fd, 3000, NULL));
    close(fd);

    /* 3: preface + SETTINGS with a length that is not a multiple of 6:
     * FRAME_SIZE_ERROR -> GOAWAY, then close. */
    fd = raw_connect(g.port);
    CHECK(send(fd, preface, 24, 0) == 24);
    const uint8_t badsettings[] = {0, 0, 5, 4, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5};
    CHECK(send(fd, badsettings, sizeof(badsettings), 0) == (ssize_t)sizeof(badsettings));
    bool goaway = false;
    CHECK(raw_wait_closed(fd, 3000, &goaway));
    CHECK(goaway);
    close(fd);

    /* 4: HEADERS on stream 0 (protocol error) after a good SETTINGS */
    fd = raw_connect(g.port);
    CHECK(send(fd, preface, 24, 0) == 24);
    const uint8_t settings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    const uint8_t hdr0[] = {0, 0, 1, 1, 5, 0, 0, 0, 0, 0x82};
    CHECK(send(fd, settings, sizeof(settings), 0) == (ssize_t)sizeof(settings));
    CHECK(send(fd, hdr0, sizeof(hdr0), 0) == (ssize_t)sizeof(hdr0));
    goaway = false;
    CHECK(raw_wait_closed(fd, 3000, &goaway));
    CHECK(goaway);
    close(fd);

    /* 5: a client that connects and half-closes at once */
    fd = raw_connect(g.port);
    shutdown(fd, SHUT_WR);
    CHECK(raw_wait_closed(fd, 3000, NULL));
    close(fd);

    /* the other client never noticed */
    CHECK(gc_alive(other));
    CHECK_INT(ts_unary(other, TP "Echo", "b", 1, resp, sizeof(resp), NULL), GW_OK);
    CHECK_STR(resp, "b");
    gc_close(other);
}

static void test_idle_and_limits(void)
{
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.idle_timeout_ms = 300;
    cfg.max_connections = 3;
    cfg.handshake_timeout_ms = 500;
    tsrv t;
    tsrv_start(&t, &cfg);
    gc_conn *c = ts_connect(&t);
    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "a", 1, resp, sizeof(resp), NULL), GW_OK);
    /* idle: the server sends GOAWAY and closes */
    gc_poll(c, 2000);
    CHECK(!gc_alive(c));
    gc_close(c);

    /* a client that never sends the preface is dropped after the handshake timeout */
    int fd = raw_connect(t.port);
    CHECK(raw_wait_closed(fd, 3000, NULL));
    close(fd);

    /* connection limit: the 4th connection is closed at once */
    gc_conn *cs[3];
    for (int i = 0; i < 3; i++) {
        cs[i] = ts_connect(&t);
        CHECK_INT(ts_unary(cs[i], TP "Echo", "x", 1, resp, sizeof(resp), NULL), GW_OK);
    }
    fd = raw_connect(t.port);
    CHECK(raw_wait_closed(fd, 2000, NULL));
    close(fd);
    for (int i = 0; i < 3; i++)
        gc_close(cs[i]);
    /* a slot is free again */
    usleep(100000);
    c = ts_connect(&t);
    CHECK_INT(ts_unary(c, TP "Echo", "y", 1, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c);
    tsrv_stop(&t);
}

int main(void)
{
    t_init();
    signal(SIGPIPE, SIG_IGN);
    tsrv_start(&g, NULL);
    RUN(test_unary_roundtrip);
    RUN(test_health_decoded);
    RUN(test_metadata);
    RUN(test_errors);
    RUN(test_content_type_and_framing);
    RUN(test_server_stream);
    RUN(test_client_and_bidi_stream);
    RUN(test_deadline);
    RUN(test_oversized);
    RUN(test_malformed_http2);
    RUN(test_idle_and_limits);
    tsrv_stop(&g);
    return t_done();
}
