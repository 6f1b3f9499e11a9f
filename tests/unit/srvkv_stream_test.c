/* srvkv_stream_test.c - the stream handlers of srv_kv.c (streamGet/Set,
 * streamVerifiableGet/Set, streamScan, streamZScan, streamHistory,
 * streamExecAll) with immudb's Chunk protocol as its Go client speaks it
 * (pkg/stream): a 12 MiB value both ways under flow control, chunkings
 * other than immudb's, many-entry scans, the exact framing of what the
 * server sends, verification of the verifiable streams as the Go client
 * does it, and immudb's errors. */
#include "srvkv_harness.h"

static int g_ver;

static uint8_t pat(size_t i)
{
    return (uint8_t)(i * 131u + (i >> 11) + 7u);
}

static uint8_t *big_value(size_t n)
{
    uint8_t *p = seal_malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = pat(i);
    return p;
}

/* streamSet of |n| pairs, chunk size |cs|; returns the status code. */
static int stream_set(kvh *h, const char *const *k, const uint8_t *const *v, const size_t *vl,
                      size_t n, size_t cs, Immudb__Schema__TxHeader **out)
{
    gc_stream *s = kvh_stream_open(h, "streamSet");
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(kvh_send_msg(s, k[i], strlen(k[i]), cs));
        CHECK_OK(kvh_send_msg(s, v[i], vl[i], cs));
    }
    return kvh_close_recv(s, &immudb__schema__tx_header__descriptor, out);
}

static int stream_get(kvh *h, const char *k, kvh_rd *rd)
{
    Immudb__Schema__KeyRequest q;
    immudb__schema__key_request__init(&q);
    q.key = BINN(k, strlen(k));
    size_t n = protobuf_c_message_get_packed_size(&q.base);
    uint8_t buf[256];
    protobuf_c_message_pack(&q.base, buf);
    gc_stream *s = kvh_stream_open(h, "streamGet");
    CHECK_OK(gc_stream_send(s, buf, n));
    CHECK_OK(gc_stream_close_send(s));
    int code = kvh_read_stream(s, rd);
    gc_stream_free(s);
    return code;
}

/* A server-streaming call with a request message. */
static int sstream(kvh *h, const char *method, const ProtobufCMessage *req, kvh_rd *rd)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = seal_malloc(n + 1);
    protobuf_c_message_pack(req, buf);
    gc_stream *s = kvh_stream_open(h, method);
    CHECK_OK(gc_stream_send(s, buf, n));
    CHECK_OK(gc_stream_close_send(s));
    seal_free(buf);
    int code = kvh_read_stream(s, rd);
    gc_stream_free(s);
    return code;
}

/* ------------------------------------------------------------------ cases */
static void set_get_small(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    const char *k[] = {"a", "b"};
    const uint8_t *v[] = {U8("va"), U8("")};
    size_t vl[] = {2, 0};
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(stream_set(&h, k, v, vl, 2, KVH_CHUNK, &hd), GW_OK);
    CHECK(hd && hd->id == 1 && hd->nentries == 2 && hd->version == g_ver);
    kvh_free(hd);
    kvh_rd rd;
    CHECK_INT(stream_get(&h, "a", &rd), GW_OK);
    CHECK_INT(rd.nmsg, 2);
    CHECK(kvh_msg_is(&rd, 0, "a", 1) && kvh_msg_is(&rd, 1, "va", 2));
    CHECK(rd.framing_ok);
    CHECK_INT(rd.nchunks, 2);
    kvh_rd_free(&rd);
    CHECK_INT(stream_get(&h, "b", &rd), GW_OK);
    CHECK(rd.nmsg == 2 && kvh_msg_is(&rd, 1, "", 0));
    kvh_rd_free(&rd);
    CHECK_STATUS(stream_get(&h, "zz", &rd), 2, "key not found");
    CHECK_INT(rd.nmsg, 0);
    kvh_rd_free(&rd);
    /* a reference: streamGet sends the referenced key and its value */
    Immudb__Schema__ReferenceRequest rq;
    immudb__schema__reference_request__init(&rq);
    rq.key = BIN("r");
    rq.referencedkey = BIN("a");
    Immudb__Schema__TxHeader *rh;
    CHECK_INT(kvh_call(&h, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, &rh),
              GW_OK);
    kvh_free(rh);
    CHECK_INT(stream_get(&h, "r", &rd), GW_OK);
    CHECK(rd.nmsg == 2 && kvh_msg_is(&rd, 0, "a", 1) && kvh_msg_is(&rd, 1, "va", 2));
    kvh_rd_free(&rd);
    kvh_stop(&h);
}

/* 12 MiB each way: immudb's 64 KiB chunks and flow control on both sides. */
static void big_value_roundtrip(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    const size_t n = 12u << 20;
    uint8_t *v = big_value(n);
    const char *k[] = {"big"};
    const uint8_t *vv[] = {v};
    size_t vl[] = {n};
    double t0 = t_now();
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(stream_set(&h, k, vv, vl, 1, KVH_CHUNK, &hd), GW_OK);
    CHECK(hd && hd->id == 1);
    kvh_free(hd);
    kvh_rd rd;
    CHECK_INT(stream_get(&h, "big", &rd), GW_OK);
    CHECK_INT(rd.nmsg, 2);
    CHECK(kvh_msg_is(&rd, 0, "big", 3));
    CHECK(kvh_msg_is(&rd, 1, v, n));
    CHECK(rd.framing_ok);
    /* key: 1 chunk; value: 8 + 12 MiB in 64 KiB chunks */
    CHECK_INT(rd.nchunks, 1 + (n + 8 + KVH_CHUNK - 1) / KVH_CHUNK);
    kvh_rd_free(&rd);
    /* and through the unary Get */
    Immudb__Schema__KeyRequest q;
    immudb__schema__key_request__init(&q);
    q.key = BIN("big");
    Immudb__Schema__Entry *e;
    CHECK_INT(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, &e), GW_OK);
    CHECK(e && e->value.len == n && memcmp(e->value.data, v, n) == 0);
    kvh_free(e);
    fprintf(stderr, "   12 MiB set + get: %.2f s\n", t_now() - t0);

    /* other chunkings: tiny chunks, and one message spread over odd ones */
    const size_t m = 300000;
    const char *k2[] = {"odd1", "odd2"};
    const uint8_t *v2[] = {v, v + 1000};
    size_t vl2[] = {m, 77};
    CHECK_INT(stream_set(&h, k2, v2, vl2, 2, 4096, &hd), GW_OK);
    kvh_free(hd);
    CHECK_INT(stream_get(&h, "odd1", &rd), GW_OK);
    CHECK(kvh_msg_is(&rd, 1, v, m));
    kvh_rd_free(&rd);
    CHECK_INT(stream_get(&h, "odd2", &rd), GW_OK);
    CHECK(kvh_msg_is(&rd, 1, v + 1000, 77));
    kvh_rd_free(&rd);
    /* several messages packed in one chunk, a header split over chunks */
    {
        gc_stream *s = kvh_stream_open(&h, "streamSet");
        uint8_t buf[64];
        size_t o = 0;
        seal_put_u64(buf + o, 2);
        memcpy(buf + o + 8, "p1", 2);
        o += 10;
        seal_put_u64(buf + o, 3);
        memcpy(buf + o + 8, "xyz", 3);
        o += 11;
        seal_put_u64(buf + o, 2);
        memcpy(buf + o + 8, "p2", 2);
        o += 10;
        seal_put_u64(buf + o, 1);
        o += 8;
        buf[o++] = 'Q';
        CHECK_OK(kvh_send_chunk(s, buf, 5));
        CHECK_OK(kvh_send_chunk(s, buf + 5, o - 5));
        CHECK_INT(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
        CHECK(hd && hd->nentries == 2);
        kvh_free(hd);
        CHECK_INT(stream_get(&h, "p2", &rd), GW_OK);
        CHECK(kvh_msg_is(&rd, 1, "Q", 1));
        kvh_rd_free(&rd);
    }
    seal_free(v);
    kvh_stop(&h);
}

static void verifiable_streams(void)
{
    kvh h;
    kvh_start(&h, g_ver, true);
    vcli c;
    vcli_init(&c, &h);
    const size_t n = 200000;
    uint8_t *v = big_value(n);
    for (int round = 0; round < 3; round++) {
        char k[16];
        snprintf(k, sizeof(k), "vk%d", round);
        kvh_set(&h, "filler", k);
        gc_stream *s = kvh_stream_open(&h, "streamVerifiableSet");
        CHECK_OK(kvh_send_u64(s, c.tx));
        CHECK_OK(kvh_send_msg(s, k, strlen(k), KVH_CHUNK));
        CHECK_OK(kvh_send_msg(s, v, n - (size_t)round, KVH_CHUNK));
        Immudb__Schema__VerifiableTx *vt;
        CHECK_INT(kvh_close_recv(s, &immudb__schema__verifiable_tx__descriptor, &vt), GW_OK);
        uint8_t key[32];
        size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k));
        uint8_t *ev = seal_malloc(n + 1);
        size_t evl = kv_enc_value(ev, n + 1, v, n - (size_t)round);
        CHECK_OK(vc_write(&c, vt, key, kl, ev, evl, true, true));
        seal_free(ev);
        kvh_free(vt);
    }
    CHECK_INT(c.tx, 6);

    /* streamVerifiableGet: Entry without value, VerifiableTx, InclusionProof,
     * value; the Go client reassembles and verifies the VerifiableEntry */
    for (int round = 0; round < 3; round++) {
        char k[16];
        snprintf(k, sizeof(k), "vk%d", round);
        Immudb__Schema__KeyRequest kq;
        immudb__schema__key_request__init(&kq);
        kq.key = BINN(k, strlen(k));
        Immudb__Schema__VerifiableGetRequest q;
        immudb__schema__verifiable_get_request__init(&q);
        q.keyrequest = &kq;
        q.provesincetx = c.tx;
        kvh_rd rd;
        CHECK_INT(sstream(&h, "streamVerifiableGet", &q.base, &rd), GW_OK);
        CHECK_INT(rd.nmsg, 4);
        CHECK(rd.framing_ok);
        if (rd.nmsg == 4) {
            Immudb__Schema__Entry *e =
                immudb__schema__entry__unpack(NULL, rd.mlen[0], rd.buf + rd.off[0]);
            Immudb__Schema__VerifiableTx *vt =
                immudb__schema__verifiable_tx__unpack(NULL, rd.mlen[1], rd.buf + rd.off[1]);
            Immudb__Schema__InclusionProof *ip =
                immudb__schema__inclusion_proof__unpack(NULL, rd.mlen[2], rd.buf + rd.off[2]);
            CHECK(e && vt && ip);
            CHECK(e && e->value.len == 0 && e->metadata == NULL && BIN_EQ(e->key, k));
            CHECK(kvh_msg_is(&rd, 3, v, n - (size_t)round));
            CHECK(vt && vt->signature != NULL);
            if (e && vt && ip) {
                e->value = BINN(rd.buf + rd.off[3], rd.mlen[3]);
                Immudb__Schema__VerifiableEntry ve;
                immudb__schema__verifiable_entry__init(&ve);
                ve.entry = e;
                ve.verifiabletx = vt;
                ve.inclusionproof = ip;
                CHECK_OK(vc_get(&c, &ve, k, 0));
                e->value = BINN(NULL, 0);
            }
            kvh_free(e);
            kvh_free(vt);
            kvh_free(ip);
        }
        kvh_rd_free(&rd);
    }
    /* errors */
    {
        Immudb__Schema__KeyRequest kq;
        immudb__schema__key_request__init(&kq);
        kq.key = BIN("missing");
        Immudb__Schema__VerifiableGetRequest q;
        immudb__schema__verifiable_get_request__init(&q);
        q.keyrequest = &kq;
        kvh_rd rd;
        CHECK_STATUS(sstream(&h, "streamVerifiableGet", &q.base, &rd), 2, "key not found");
        kvh_rd_free(&rd);
        q.provesincetx = 99;
        kq.key = BIN("vk0");
        CHECK_STATUS(sstream(&h, "streamVerifiableGet", &q.base, &rd), 3, "illegal state");
        kvh_rd_free(&rd);
    }
    Immudb__Schema__VerifiableTx *vt;
    gc_stream *s = kvh_stream_open(&h, "streamVerifiableSet");
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__verifiable_tx__descriptor, &vt), 2, "EOF");
    s = kvh_stream_open(&h, "streamVerifiableSet");
    CHECK_OK(kvh_send_msg(s, "abc", 3, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__verifiable_tx__descriptor, &vt), 2,
                 "unexpected EOF");
    s = kvh_stream_open(&h, "streamVerifiableSet");
    CHECK_OK(kvh_send_u64(s, 1000));
    CHECK_OK(kvh_send_msg(s, "k", 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "v", 1, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__verifiable_tx__descriptor, &vt), 2,
                 "StreamVerifiableSet received the following error: illegal state");
    s = kvh_stream_open(&h, "streamVerifiableSet");
    CHECK_OK(kvh_send_u64(s, 0));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__verifiable_tx__descriptor, &vt), 2,
                 "StreamVerifiableSet received the following error: no entries provided");
    seal_free(v);
    kvh_stop(&h);
}

static void scans(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    /* 1000 keys in one tx (Set), then more versions of some */
    enum { N = 1000 };
    Immudb__Schema__KeyValue kv[N], *kvp[N];
    char keys[N][16], vals[N][24];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key%04d", i);
        snprintf(vals[i], sizeof(vals[i]), "value-%d", i * 7);
        immudb__schema__key_value__init(&kv[i]);
        kv[i].key = BINN(keys[i], strlen(keys[i]));
        kv[i].value = BINN(vals[i], strlen(vals[i]));
        kvp[i] = &kv[i];
    }
    Immudb__Schema__SetRequest sq;
    immudb__schema__set_request__init(&sq);
    sq.n_kvs = N;
    sq.kvs = kvp;
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(kvh_call(&h, "Set", &sq.base, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    CHECK(hd && hd->nentries == N);
    kvh_free(hd);
    for (int i = 0; i < 4; i++)
        kvh_set(&h, "key0007", i % 2 ? "odd" : "even");

    Immudb__Schema__ScanRequest q;
    immudb__schema__scan_request__init(&q);
    q.prefix = BIN("key");
    kvh_rd rd;
    CHECK_INT(sstream(&h, "streamScan", &q.base, &rd), GW_OK);
    CHECK_INT(rd.nmsg, 2 * N);
    CHECK(rd.framing_ok);
    bool ok = rd.nmsg == 2 * N;
    for (int i = 0; ok && i < N; i++) {
        const char *want = i == 7 ? "odd" : vals[i];
        ok = kvh_msg_is(&rd, 2 * (size_t)i, keys[i], strlen(keys[i])) &&
             kvh_msg_is(&rd, 2 * (size_t)i + 1, want, strlen(want));
    }
    CHECK(ok);
    kvh_rd_free(&rd);
    q.desc = 1;
    q.limit = 10;
    CHECK_INT(sstream(&h, "streamScan", &q.base, &rd), GW_OK);
    CHECK(rd.nmsg == 20 && kvh_msg_is(&rd, 0, "key0999", 7));
    kvh_rd_free(&rd);
    q.limit = 2600;
    CHECK_STATUS(sstream(&h, "streamScan", &q.base, &rd), 2,
                 "result size limit exceeded: the specified limit (2600) is larger than the "
                 "maximum allowed one (2500)");
    CHECK_INT(rd.nmsg, 0);
    kvh_rd_free(&rd);

    Immudb__Schema__HistoryRequest hq;
    immudb__schema__history_request__init(&hq);
    hq.key = BIN("key0007");
    CHECK_INT(sstream(&h, "streamHistory", &hq.base, &rd), GW_OK);
    CHECK_INT(rd.nmsg, 10);
    CHECK(kvh_msg_is(&rd, 0, "key0007", 7) && kvh_msg_is(&rd, 1, vals[7], strlen(vals[7])));
    CHECK(kvh_msg_is(&rd, 9, "odd", 3));
    kvh_rd_free(&rd);
    hq.limit = -3;
    CHECK_STATUS(sstream(&h, "streamHistory", &hq.base, &rd), 2, "tbtree: illegal arguments");
    kvh_rd_free(&rd);

    /* sorted set: set, key, score (f64 bits), atTx, value */
    for (int i = 0; i < 50; i++) {
        Immudb__Schema__ZAddRequest z;
        immudb__schema__zadd_request__init(&z);
        z.set = BIN("zs");
        z.key = BINN(keys[i], strlen(keys[i]));
        z.score = 100.0 - i * 0.5;
        CHECK_INT(kvh_call(&h, "ZAdd", &z.base, &immudb__schema__tx_header__descriptor, &hd),
                  GW_OK);
        kvh_free(hd);
    }
    Immudb__Schema__ZScanRequest zq;
    immudb__schema__zscan_request__init(&zq);
    zq.set = BIN("zs");
    CHECK_INT(sstream(&h, "streamZScan", &zq.base, &rd), GW_OK);
    CHECK_INT(rd.nmsg, 5 * 50);
    CHECK(rd.framing_ok);
    ok = rd.nmsg == 250;
    for (int j = 0; ok && j < 50; j++) {
        int i = 49 - j; /* ascending score */
        double score = 100.0 - i * 0.5;
        uint64_t bits;
        memcpy(&bits, &score, 8);
        uint8_t sb[8], ab[8];
        seal_put_u64(sb, bits);
        seal_put_u64(ab, 0);
        size_t b = 5 * (size_t)j;
        const char *want = i == 7 ? "odd" : vals[i];
        ok = kvh_msg_is(&rd, b, "zs", 2) && kvh_msg_is(&rd, b + 1, keys[i], strlen(keys[i])) &&
             kvh_msg_is(&rd, b + 2, sb, 8) && kvh_msg_is(&rd, b + 3, ab, 8) &&
             kvh_msg_is(&rd, b + 4, want, strlen(want));
    }
    CHECK(ok);
    kvh_rd_free(&rd);
    zq.set = BIN("");
    CHECK(sstream(&h, "streamZScan", &zq.base, &rd) != GW_OK);
    kvh_rd_free(&rd);
    kvh_stop(&h);
}

static void exec_all_stream(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "old", "o");
    gc_stream *s = kvh_stream_open(&h, "streamExecAll");
    uint8_t t = 1;
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "ek", 2, KVH_CHUNK));
    uint8_t *v = big_value(100000);
    CHECK_OK(kvh_send_msg(s, v, 100000, KVH_CHUNK));
    t = 2;
    Immudb__Schema__ZAddRequest z;
    immudb__schema__zadd_request__init(&z);
    z.set = BIN("s");
    z.key = BIN("old");
    z.score = 3;
    uint8_t zb[64];
    size_t zl = protobuf_c_message_get_packed_size(&z.base);
    protobuf_c_message_pack(&z.base, zb);
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, zb, zl, KVH_CHUNK));
    t = 9; /* unknown types are skipped, as immudb's receiver does */
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    CHECK(hd && hd->id == 2 && hd->nentries == 2);
    kvh_free(hd);
    kvh_rd rd;
    CHECK_INT(stream_get(&h, "ek", &rd), GW_OK);
    CHECK(kvh_msg_is(&rd, 1, v, 100000));
    kvh_rd_free(&rd);

    s = kvh_stream_open(&h, "streamExecAll");
    t = 4;
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 12,
                 "reference operation is not implemented");
    s = kvh_stream_open(&h, "streamExecAll");
    t = 2;
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "\xff\xff", 2, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 13,
                 "unable to reassemble ZAdd message on a streamExecAll");
    s = kvh_stream_open(&h, "streamExecAll");
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 3, "empty set");
    s = kvh_stream_open(&h, "streamExecAll");
    t = 1;
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "k", 1, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2, "EOF");
    s = kvh_stream_open(&h, "streamExecAll");
    t = 2;
    z.key = BIN("nope");
    zl = protobuf_c_message_get_packed_size(&z.base);
    protobuf_c_message_pack(&z.base, zb);
    CHECK_OK(kvh_send_msg(s, &t, 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, zb, zl, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2,
                 "key not found");
    seal_free(v);
    kvh_stop(&h);
}

static void stream_errors(void)
{
    kvh_opt_max_value_len = 1 << 20;
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_opt_max_value_len = 0;
    Immudb__Schema__TxHeader *hd;
    gc_stream *s = kvh_stream_open(&h, "streamSet");
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2,
                 "StreamSet receives following error: no entries provided");
    /* an empty key */
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_msg(s, "", 0, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "v", 1, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2,
                 "StreamSet receives following error: illegal arguments");
    /* a key without a value at the end: an empty value, as immudb */
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_msg(s, "lonely", 6, KVH_CHUNK));
    CHECK_INT(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    CHECK(hd && hd->nentries == 1);
    kvh_free(hd);
    /* a value over the store's limit */
    uint8_t *v = big_value(2u << 20);
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_msg(s, "big", 3, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, v, 2u << 20, KVH_CHUNK));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 9,
                 "internal store max value length exceeded");
    seal_free(v);
    /* more than 32 MiB of values announced: refused at the header */
    s = kvh_stream_open(&h, "streamSet");
    uint8_t hdr[9];
    CHECK_OK(kvh_send_msg(s, "k", 1, KVH_CHUNK));
    seal_put_u64(hdr, (32u << 20) + 1);
    hdr[8] = 'x';
    CHECK_OK(kvh_send_chunk(s, hdr, 9));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 9,
                 "max transaction values length exceeded");
    /* a message cut short */
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_msg(s, "k", 1, KVH_CHUNK));
    seal_put_u64(hdr, 100);
    CHECK_OK(kvh_send_chunk(s, hdr, 9));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2,
                 "unexpected EOF");
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_chunk(s, hdr, 5));
    CHECK_STATUS(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 2,
                 "unexpected EOF");
    /* a gRPC message that is not a Chunk */
    s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(gc_stream_send(s, "\x0a\x7f", 2));
    CHECK_INT(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, &hd), 13);
    /* the server is fine */
    CHECK(kvh_set(&h, "after", "x") > 0);
    kvh_rd rd;
    CHECK_INT(stream_get(&h, "lonely", &rd), GW_OK);
    CHECK(rd.nmsg == 2 && kvh_msg_is(&rd, 1, "", 0));
    kvh_rd_free(&rd);
    kvh_stop(&h);
}

static void run_all(int ver)
{
    g_ver = ver;
    fprintf(stderr, "-- header version %d\n", ver);
    RUN(set_get_small);
    RUN(big_value_roundtrip);
    RUN(verifiable_streams);
    RUN(scans);
    RUN(exec_all_stream);
    RUN(stream_errors);
}

int main(void)
{
    t_init();
    run_all(0);
    run_all(1);
    return t_done();
}
