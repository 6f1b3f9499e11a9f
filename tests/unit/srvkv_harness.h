/* srvkv_harness.h - test harness for the key/value handlers (srv_kv.c):
 * a real sealdb server (the runtime of srv.h: authentication, database
 * selection, the handler tables) on an ephemeral port, and the client side
 * of the tests: a login and a database of the wanted header version
 * (CreateDatabaseV2 + UseDatabase, as immudb's clients do), unary calls
 * through the C client transport with protobuf-c encode/decode, immudb's
 * Chunk stream protocol (pkg/stream) written from its Go sender/receiver,
 * and a verifying client that checks Verifiable* answers the way immudb's
 * Go client does (formats spec 7.2-7.5), working only on what it decoded
 * from the wire. Every call carries the session's token (h->md). */
#ifndef SEAL_SRVKV_HARNESS_H
#define SEAL_SRVKV_HARNESS_H

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "client/grpc_client.h"
#include "crypto/cry.h"
#include "db/catalog.h"
#include "db/kvenc.h"
#include "mtree/mtree.h"
#include "schema.pb-c.h"
#include "server/grpc_server.h"
#include "server/immu_service.h"
#include "server/srv.h"

#define KVH_FN       static __attribute__((unused))
#define KVH_PATH     "/immudb.schema.ImmuService/"
#define KVH_CHUNK    (64 * 1024) /* immudb's stream chunk size */
#define KVH_DBNAME   "kvdb"
#define KVH_ADMIN_PW "kv-Test-pw1!"
#define U8(s)        ((const uint8_t *)(s))

static const uint8_t KVH_EMPTY[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

typedef struct kvh {
    srv *s;
    pthread_t th;
    int run_rc;
    int port;
    int version;
    char dir[512];
    char keyfile[600];
    cry_key *pub; /* the server's public key, as a client configures it */
    gc_conn *c;
    gw_md md; /* metadata of every call (the token) */
} kvh;

/* Database setting for the next kvh_start (0 = the default). */
static uint32_t kvh_opt_max_value_len;

static void *kvh_main(void *a)
{
    kvh *h = a;
    h->run_rc = srv_run(h->s);
    return NULL;
}

static char kvh_msg[1024]; /* status message of the last call */
KVH_FN int kvh_call(kvh *h, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *rd, void *out);
KVH_FN void kvh_free(void *m);

static void kvh_token(kvh *h, const char *token)
{
    char b[512];
    snprintf(b, sizeof(b), "Bearer %s", token);
    gw_md_free(&h->md);
    memset(&h->md, 0, sizeof(h->md));
    CHECK_OK(gw_md_adds(&h->md, "authorization", b));
}

/* Logs in as the superuser and selects |db| (0 or the status code). */
KVH_FN int kvh_login(kvh *h, const char *db)
{
    gw_md_free(&h->md);
    memset(&h->md, 0, sizeof(h->md));
    Immudb__Schema__LoginRequest lq;
    immudb__schema__login_request__init(&lq);
    lq.user = (ProtobufCBinaryData){6, (uint8_t *)(uintptr_t) "immudb"};
    lq.password = (ProtobufCBinaryData){strlen(KVH_ADMIN_PW), (uint8_t *)(uintptr_t)KVH_ADMIN_PW};
    Immudb__Schema__LoginResponse *lr;
    int code = kvh_call(h, "Login", &lq.base, &immudb__schema__login_response__descriptor, &lr);
    if (code != GW_OK)
        return code;
    kvh_token(h, lr->token);
    kvh_free(lr);
    Immudb__Schema__Database dq;
    immudb__schema__database__init(&dq);
    dq.databasename = (char *)(uintptr_t)db;
    Immudb__Schema__UseDatabaseReply *ur;
    code =
        kvh_call(h, "UseDatabase", &dq.base, &immudb__schema__use_database_reply__descriptor, &ur);
    if (code != GW_OK)
        return code;
    kvh_token(h, ur->token);
    kvh_free(ur);
    return 0;
}

/* Starts a server, creates database KVH_DBNAME with header |version|
 * (signed answers when |sign|) and selects it. */
KVH_FN void kvh_start(kvh *h, int version, bool sign)
{
    static int seq;
    memset(h, 0, sizeof(*h));
    h->version = version;
    snprintf(h->dir, sizeof(h->dir), "%s/srv%d", t_tmpdir(), seq++);
    srv_options o;
    srv_options_default(&o);
    o.dir = h->dir;
    o.address = "127.0.0.1";
    o.port = 0;
    o.admin_password = KVH_ADMIN_PW;
    o.pbkdf2_iterations = 1000;
    o.synced = false;
    o.shutdown_grace_ms = 2000;
    if (sign) {
        cry_key *k;
        uint8_t pt[65];
        CHECK_OK(cry_ec_generate(&k));
        snprintf(h->keyfile, sizeof(h->keyfile), "%s.key.pem", h->dir);
        CHECK_OK(cry_key_save_private_file(k, h->keyfile));
        CHECK_OK(cry_key_public_raw(k, pt));
        CHECK_OK(cry_key_from_public_raw(&h->pub, pt));
        cry_key_free(k);
        o.signing_key = h->keyfile;
    }
    char err[512] = "";
    int rc = srv_new(&h->s, &o, err, sizeof(err));
    if (rc) {
        T_FAIL("srv_new: %s (%s)", err, t_errstr(rc));
        exit(1);
    }
    h->port = srv_port(h->s);
    CHECK(pthread_create(&h->th, NULL, kvh_main, h) == 0);
    CHECK_OK(gc_connect(&h->c, "127.0.0.1", h->port, NULL));
    CHECK_OK(kvh_login(h, "defaultdb"));

    Immudb__Schema__NullableUint32 ver, mvl;
    immudb__schema__nullable_uint32__init(&ver);
    immudb__schema__nullable_uint32__init(&mvl);
    ver.value = (uint32_t)version;
    mvl.value = kvh_opt_max_value_len;
    Immudb__Schema__DatabaseNullableSettings st;
    immudb__schema__database_nullable_settings__init(&st);
    st.writetxheaderversion = &ver;
    if (kvh_opt_max_value_len)
        st.maxvaluelen = &mvl;
    Immudb__Schema__CreateDatabaseRequest cq;
    immudb__schema__create_database_request__init(&cq);
    cq.name = (char *)(uintptr_t)KVH_DBNAME;
    cq.settings = &st;
    Immudb__Schema__CreateDatabaseResponse *cr;
    CHECK_INT(kvh_call(h, "CreateDatabaseV2", &cq.base,
                       &immudb__schema__create_database_response__descriptor, &cr),
              GW_OK);
    kvh_free(cr);
    CHECK_OK(kvh_login(h, KVH_DBNAME));
}

KVH_FN void kvh_stop(kvh *h)
{
    gc_close(h->c);
    srv_stop(h->s);
    pthread_join(h->th, NULL);
    CHECK_OK(h->run_rc);
    srv_free(h->s);
    gw_md_free(&h->md);
    cry_key_free(h->pub);
    memset(h, 0, sizeof(*h));
}

/* The database's state as the server has it (to compare with a client's). */
KVH_FN void kvh_state(kvh *h, uint64_t *tx, uint8_t alh[32])
{
    sdb *db;
    CHECK_OK(dbcat_acquire(srv_catalog(h->s), KVH_DBNAME, &db));
    CHECK_OK(seal_state(sdb_store(db), tx, alh));
    dbcat_release(srv_catalog(h->s), db);
}

/* ------------------------------------------------------------ unary calls */

static void kvh_opts(kvh *h, gc_call_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->md = h->md.n ? &h->md : NULL;
}

/* Raw unary call: returns the status code; *resp (seal_free) on OK. */
KVH_FN int kvh_raw(kvh *h, const char *method, const void *req, size_t n, uint8_t **resp,
                   size_t *rn)
{
    char path[128];
    snprintf(path, sizeof(path), KVH_PATH "%s", method);
    gc_call_opts o;
    kvh_opts(h, &o);
    gc_status st;
    uint8_t *r = NULL;
    size_t rl = 0;
    int rc = gc_unary(h->c, path, &o, req, n, &r, &rl, &st);
    if (rc) {
        T_FAIL("%s: transport %s", method, t_errstr(rc));
        return -1;
    }
    snprintf(kvh_msg, sizeof(kvh_msg), "%s", st.message ? st.message : "");
    int code = st.code;
    gc_status_free(&st);
    if (resp) {
        *resp = r;
        *rn = rl;
    } else {
        seal_free(r);
    }
    return code;
}

/* Unary call with protobuf-c messages. Returns the status code; on OK
 * *out is the decoded response (kvh_free). */
KVH_FN int kvh_call(kvh *h, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *rd, void *out)
{
    size_t n = req ? protobuf_c_message_get_packed_size(req) : 0;
    uint8_t *buf = seal_malloc(n ? n : 1);
    if (req)
        protobuf_c_message_pack(req, buf);
    uint8_t *r = NULL;
    size_t rl = 0;
    int code = kvh_raw(h, method, buf, n, &r, &rl);
    seal_free(buf);
    if (out)
        *(ProtobufCMessage **)out = NULL;
    if (code == GW_OK && out) {
        ProtobufCMessage *m = protobuf_c_message_unpack(rd, NULL, rl, r);
        if (!m)
            T_FAIL("%s: response does not decode as %s", method, rd->name);
        *(ProtobufCMessage **)out = m;
    }
    seal_free(r);
    return code;
}

KVH_FN void kvh_free(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

/* "is the status code and message immudb's" */
#define CHECK_STATUS(expr, code, msg)                                                              \
    do {                                                                                           \
        int _c = (expr);                                                                           \
        if (_c != (code) || strcmp(kvh_msg, (msg)) != 0)                                           \
            T_FAIL("%s: got %d '%s', want %d '%s'", #expr, _c, kvh_msg, (int)(code), (msg));       \
    } while (0)

#define BIN(s)       ((ProtobufCBinaryData){sizeof(s) - 1, (uint8_t *)(uintptr_t)(s)})
#define BINN(p, n)   ((ProtobufCBinaryData){(n), (uint8_t *)(uintptr_t)(p)})
#define BIN_EQ(b, s) ((b).len == strlen(s) && memcmp((b).data, (s), (b).len) == 0)

/* Set of one key through the Set RPC; returns the tx id (0 on failure). */
KVH_FN uint64_t kvh_set(kvh *h, const char *k, const char *v)
{
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = BINN(k, strlen(k));
    kv.value = BINN(v, strlen(v));
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest q;
    immudb__schema__set_request__init(&q);
    q.n_kvs = 1;
    q.kvs = kvs;
    Immudb__Schema__TxHeader *hd;
    int code = kvh_call(h, "Set", &q.base, &immudb__schema__tx_header__descriptor, &hd);
    if (code != GW_OK) {
        T_FAIL("Set %s: %d %s", k, code, kvh_msg);
        return 0;
    }
    uint64_t id = hd->id;
    kvh_free(hd);
    return id;
}

/* ---------------------------------------------------- Chunk stream client */
KVH_FN gc_stream *kvh_stream_open(kvh *h, const char *method)
{
    char path[128];
    snprintf(path, sizeof(path), KVH_PATH "%s", method);
    gc_call_opts o;
    kvh_opts(h, &o);
    gc_stream *s = NULL;
    CHECK_OK(gc_stream_open(h->c, path, &o, &s));
    return s;
}

/* One Chunk with |n| bytes of content, as they are (no length header). */
KVH_FN int kvh_send_chunk(gc_stream *s, const void *p, size_t n)
{
    Immudb__Schema__Chunk ch;
    immudb__schema__chunk__init(&ch);
    ch.content = BINN(p, n);
    size_t len = protobuf_c_message_get_packed_size(&ch.base);
    uint8_t *b = seal_malloc(len ? len : 1);
    protobuf_c_message_pack(&ch.base, b);
    int rc = gc_stream_send(s, b, len);
    seal_free(b);
    return rc;
}

/* immudb's msgSender.Send: the u64 length, then the bytes, in chunks of
 * |cs| bytes (the last one partial). */
KVH_FN int kvh_send_msg(gc_stream *s, const void *p, size_t n, size_t cs)
{
    uint8_t *buf = seal_malloc(cs);
    const uint8_t *src = p;
    seal_put_u64(buf, n);
    size_t fill = 8, off = 0;
    int rc = 0;
    while (rc == 0 && off < n) {
        size_t k = SEAL_MIN(cs - fill, n - off);
        memcpy(buf + fill, src + off, k);
        fill += k;
        off += k;
        if (fill == cs) {
            rc = kvh_send_chunk(s, buf, fill);
            fill = 0;
        }
    }
    if (rc == 0 && fill > 0)
        rc = kvh_send_chunk(s, buf, fill);
    seal_free(buf);
    return rc;
}

KVH_FN int kvh_send_u64(gc_stream *s, uint64_t v)
{
    uint8_t b[8];
    seal_put_u64(b, v);
    return kvh_send_msg(s, b, 8, KVH_CHUNK);
}

/* The whole answer of a server stream: the concatenated chunk contents,
 * the message list, and the framing check (every message starts a chunk,
 * chunks are full 64 KiB except a message's last, as immudb's sender). */
typedef struct kvh_rd {
    uint8_t *buf;
    size_t len;
    size_t nmsg;
    size_t *off; /* message i: bytes at buf + off[i], length mlen[i] */
    size_t *mlen;
    size_t nchunks;
    bool framing_ok;
    gc_status st;
} kvh_rd;

KVH_FN void kvh_rd_free(kvh_rd *r)
{
    seal_free(r->buf);
    seal_free(r->off);
    seal_free(r->mlen);
    gc_status_free(&r->st);
    memset(r, 0, sizeof(*r));
}

/* Reads a server stream to its end; returns the status code. */
KVH_FN int kvh_read_stream(gc_stream *s, kvh_rd *r)
{
    memset(r, 0, sizeof(*r));
    r->framing_ok = true;
    size_t cap = 0, *starts = NULL, nst = 0, capst = 0;
    for (;;) {
        uint8_t *m;
        size_t n;
        int rc = gc_stream_recv(s, &m, &n);
        if (rc <= 0)
            break;
        Immudb__Schema__Chunk *ch = immudb__schema__chunk__unpack(NULL, n, m);
        seal_free(m);
        if (!ch) {
            T_FAIL("stream: a message is not a Chunk");
            break;
        }
        if (ch->n_metadata)
            r->framing_ok = false; /* immudb's server streams send none */
        size_t cl = ch->content.len;
        if (r->len + cl > cap) {
            cap = SEAL_MAX(cap * 2, r->len + cl + 1024);
            r->buf = seal_realloc(r->buf, cap);
        }
        memcpy(r->buf + r->len, ch->content.data, cl);
        if (nst == capst) {
            capst = capst ? capst * 2 : 64;
            starts = seal_realloc(starts, capst * sizeof(*starts));
        }
        starts[nst++] = r->len;
        if (cl > KVH_CHUNK)
            r->framing_ok = false;
        r->len += cl;
        immudb__schema__chunk__free_unpacked(ch, NULL);
    }
    r->nchunks = nst;
    CHECK_OK(gc_stream_finish(s, &r->st));
    snprintf(kvh_msg, sizeof(kvh_msg), "%s", r->st.message ? r->st.message : "");
    /* Split into messages. */
    size_t capm = 0, pos = 0, ci = 0;
    while (pos < r->len) {
        if (r->len - pos < 8) {
            r->framing_ok = false;
            break;
        }
        /* a message must begin a chunk */
        while (ci < nst && starts[ci] < pos)
            ci++;
        if (ci >= nst || starts[ci] != pos)
            r->framing_ok = false;
        uint64_t ml = seal_get_u64(r->buf + pos);
        if (ml > r->len - pos - 8) {
            r->framing_ok = false;
            break;
        }
        if (r->nmsg == capm) {
            capm = capm ? capm * 2 : 64;
            r->off = seal_realloc(r->off, capm * sizeof(size_t));
            r->mlen = seal_realloc(r->mlen, capm * sizeof(size_t));
        }
        r->off[r->nmsg] = pos + 8;
        r->mlen[r->nmsg] = ml;
        r->nmsg++;
        /* chunks inside the message are full */
        size_t end = pos + 8 + ml;
        for (size_t j = ci; j < nst && starts[j] < end; j++) {
            size_t ce = j + 1 < nst ? starts[j + 1] : r->len;
            if (ce < end && ce - starts[j] != KVH_CHUNK)
                r->framing_ok = false;
            if (ce > end)
                r->framing_ok = false;
        }
        pos = end;
    }
    seal_free(starts);
    return r->st.code;
}

KVH_FN bool kvh_msg_is(const kvh_rd *r, size_t i, const void *p, size_t n)
{
    return i < r->nmsg && r->mlen[i] == n && (n == 0 || memcmp(r->buf + r->off[i], p, n) == 0);
}

/* Finishes a client stream and decodes its single answer. */
KVH_FN int kvh_close_recv(gc_stream *s, const ProtobufCMessageDescriptor *rd, void *out)
{
    if (out)
        *(ProtobufCMessage **)out = NULL;
    CHECK_OK(gc_stream_close_send(s));
    uint8_t *m = NULL;
    size_t n = 0;
    int got = gc_stream_recv(s, &m, &n);
    gc_status st;
    CHECK_OK(gc_stream_finish(s, &st));
    snprintf(kvh_msg, sizeof(kvh_msg), "%s", st.message ? st.message : "");
    int code = st.code;
    gc_status_free(&st);
    if (code == GW_OK) {
        ProtobufCMessage *a = got == 1 ? protobuf_c_message_unpack(rd, NULL, n, m) : NULL;
        if (!a)
            T_FAIL("client stream: OK without an answer that decodes as %s", rd->name);
        if (out)
            *(ProtobufCMessage **)out = a;
        else
            kvh_free(a);
    }
    seal_free(m);
    gc_stream_free(s);
    return code;
}

/* --------------------------------------------- the verifying client (Go) */
typedef struct vcli {
    const char *db;
    uint64_t tx;
    uint8_t alh[32];
    const cry_key *pub; /* configured server public key, or NULL */
} vcli;

KVH_FN void vcli_init(vcli *c, const kvh *h)
{
    memset(c, 0, sizeof(*c));
    c->db = KVH_DBNAME;
    memcpy(c->alh, KVH_EMPTY, 32);
    c->pub = h->pub;
}

static int dig_in(const ProtobufCBinaryData *b, uint8_t out[32])
{
    if (b->len != 32) /* the server must send exactly 32 bytes */
        return SEAL_EVERIFY;
    memcpy(out, b->data, 32);
    return 0;
}

/* TxHeaderFromProto. */
KVH_FN int vc_hdr_in(const Immudb__Schema__TxHeader *p, seal_txhdr *h)
{
    if (!p)
        return SEAL_EVERIFY;
    memset(h, 0, sizeof(*h));
    h->id = p->id;
    h->ts = p->ts;
    h->nentries = (uint32_t)p->nentries;
    h->bl_tx_id = p->bltxid;
    h->version = p->version;
    if (p->metadata) {
        h->md.truncated_upto_tx = p->metadata->truncatedtxid;
        if (p->metadata->extra.len > sizeof(h->md.extra))
            return SEAL_EVERIFY;
        h->md.extra_len = (uint16_t)p->metadata->extra.len;
        if (p->metadata->extra.len)
            memcpy(h->md.extra, p->metadata->extra.data, p->metadata->extra.len);
    }
    if (dig_in(&p->prevalh, h->prev_alh) || dig_in(&p->eh, h->eh) || dig_in(&p->blroot, h->bl_root))
        return SEAL_EVERIFY;
    return 0;
}

static int hashes_in(const ProtobufCBinaryData *d, size_t n, seal_hashes *out)
{
    out->n = 0;
    out->h = NULL;
    if (!n)
        return 0;
    out->h = seal_malloc(n * 32);
    out->n = n;
    for (size_t i = 0; i < n; i++)
        if (dig_in(&d[i], out->h[i]))
            return SEAL_EVERIFY;
    return 0;
}

/* DualProofFromProto (the caller frees with seal_dual_proof_free). */
KVH_FN int vc_dual_in(const Immudb__Schema__DualProof *p, seal_dual_proof *d)
{
    memset(d, 0, sizeof(*d));
    if (!p || !p->linearproof)
        return SEAL_EVERIFY;
    if (vc_hdr_in(p->sourcetxheader, &d->source) || vc_hdr_in(p->targettxheader, &d->target))
        return SEAL_EVERIFY;
    if (hashes_in(p->inclusionproof, p->n_inclusionproof, &d->inclusion) ||
        hashes_in(p->consistencyproof, p->n_consistencyproof, &d->consistency) ||
        dig_in(&p->targetbltxalh, d->target_bl_tx_alh) ||
        hashes_in(p->lastinclusionproof, p->n_lastinclusionproof, &d->last_inclusion) ||
        hashes_in(p->linearproof->terms, p->linearproof->n_terms, &d->linear))
        return SEAL_EVERIFY;
    d->linear_source = p->linearproof->sourcetxid;
    d->linear_target = p->linearproof->targettxid;
    if (p->linearadvanceproof) {
        const Immudb__Schema__LinearAdvanceProof *a = p->linearadvanceproof;
        d->has_advance = 1;
        if (hashes_in(a->linearproofterms, a->n_linearproofterms, &d->advance_linear))
            return SEAL_EVERIFY;
        d->advance_ninclusion = a->n_inclusionproofs;
        d->advance_inclusion = seal_calloc(a->n_inclusionproofs + 1, sizeof(seal_hashes));
        for (size_t i = 0; i < a->n_inclusionproofs; i++)
            if (hashes_in(a->inclusionproofs[i]->terms, a->inclusionproofs[i]->n_terms,
                          &d->advance_inclusion[i]))
                return SEAL_EVERIFY;
    }
    return 0;
}

/* KVMetadataFromProto: NULL when absent. */
KVH_FN const seal_kvmd *vc_kvmd_in(const Immudb__Schema__KVMetadata *m, seal_kvmd *out)
{
    if (!m)
        return NULL;
    memset(out, 0, sizeof(*out));
    out->deleted = m->deleted;
    out->non_indexable = m->nonindexable;
    if (m->expiration) {
        out->has_expires = 1;
        out->expires_at = m->expiration->expiresat;
    }
    return out;
}

static int vc_sig(const vcli *c, uint64_t id, const uint8_t alh[32],
                  const Immudb__Schema__Signature *s)
{
    if (!c->pub)
        return 0;
    if (!s)
        return SEAL_EVERIFY;
    uint8_t pt[65];
    CHECK_OK(cry_key_public_raw(c->pub, pt));
    if (s->publickey.len != 65 || memcmp(s->publickey.data, pt, 65) != 0)
        return SEAL_EVERIFY;
    uint8_t p[256];
    size_t n;
    int rc = seal_state_payload(c->db, id, alh, p, sizeof(p), &n);
    if (rc)
        return rc;
    return cry_ecdsa_verify(c->pub, p, n, s->signature.data, s->signature.len);
}

static int vc_digest(int ver, const uint8_t *k, size_t kl, const seal_kvmd *md, const uint8_t *v,
                     size_t vl, uint8_t out[32])
{
    uint8_t hv[32];
    int rc = cry_sha256(hv, v, vl);
    return rc ? rc : seal_entry_digest(ver, k, kl, md, hv, out);
}

/* Rebuilds the htree of a proto Tx from its entries (TxFromProto +
 * BuildHashTree); *leaf = index of the entry with key |key| (SIZE_MAX if
 * none). |dig| has room for |cap| digests. */
static int vc_tx_tree(const Immudb__Schema__Tx *tx, int ver, const uint8_t *key, size_t kl,
                      mt_hash *dig, size_t cap, mt_hash eh, size_t *leaf)
{
    *leaf = SIZE_MAX;
    if (!tx || tx->n_entries == 0 || tx->n_entries > cap)
        return SEAL_EVERIFY;
    for (size_t i = 0; i < tx->n_entries; i++) {
        const Immudb__Schema__TxEntry *e = tx->entries[i];
        seal_kvmd md;
        uint8_t hv[32];
        if (dig_in(&e->hvalue, hv))
            return SEAL_EVERIFY;
        int rc = seal_entry_digest(ver, e->key.data, e->key.len, vc_kvmd_in(e->metadata, &md), hv,
                                   dig[i]);
        if (rc)
            return rc;
        if (key && e->key.len == kl && memcmp(e->key.data, key, kl) == 0)
            *leaf = i;
    }
    return mt_htree_root(eh, (const mt_hash *)dig, tx->n_entries);
}

/* 7.2 / 7.3: a verified write of one entry stored as (key, value);
 * |md_from_server|: VerifiedSet's rule (the entry's metadata as returned,
 * deleted refused) instead of SetReference/ZAdd's (metadata nil);
 * |check_len|: VerifiedSet also requires exactly one returned entry. */
KVH_FN int vc_write(vcli *c, const Immudb__Schema__VerifiableTx *vt, const uint8_t *key, size_t kl,
                    const uint8_t *val, size_t vl, bool md_from_server, bool check_len)
{
    if (!vt || !vt->tx || !vt->dualproof)
        return SEAL_EVERIFY;
    seal_txhdr h;
    int rc = vc_hdr_in(vt->tx->header, &h);
    if (rc)
        return rc;
    if (h.nentries != 1 || (check_len && vt->tx->n_entries != 1))
        return SEAL_EVERIFY;
    mt_hash dig[64], eh;
    size_t leaf;
    if ((rc = vc_tx_tree(vt->tx, h.version, key, kl, dig, 64, eh, &leaf)) != 0)
        return rc;
    if (leaf == SIZE_MAX)
        return SEAL_EVERIFY;
    seal_kvmd md, none = {0};
    const seal_kvmd *emd = &none;
    if (md_from_server) {
        const seal_kvmd *m = vc_kvmd_in(vt->tx->entries[leaf]->metadata, &md);
        if (m && m->deleted)
            return SEAL_EVERIFY;
        if (m)
            emd = m;
    }
    uint8_t d[32];
    if ((rc = vc_digest(h.version, key, kl, emd, val, vl, d)) != 0)
        return rc;
    mt_hash terms[64];
    size_t nt = 0;
    if ((rc = mt_htree_proof(terms, &nt, (const mt_hash *)dig, vt->tx->n_entries, leaf)) != 0)
        return rc;
    seal_entry_proof ip = {.leaf = leaf, .width = vt->tx->n_entries};
    ip.terms.n = nt;
    ip.terms.h = terms;
    if ((rc = seal_entry_proof_verify(&ip, d, eh)) != 0)
        return rc;
    seal_dual_proof p;
    if ((rc = vc_dual_in(vt->dualproof, &p)) != 0)
        goto out;
    if (memcmp(eh, p.target.eh, 32) != 0) {
        rc = SEAL_EVERIFY;
        goto out;
    }
    memcpy(h.eh, eh, 32);
    uint8_t alh[32];
    if ((rc = seal_txhdr_alh(&h, alh)) != 0)
        goto out;
    if (c->tx > 0 && (rc = seal_dual_proof_verify(&p, c->tx, h.id, c->alh, alh)) != 0)
        goto out;
    if ((rc = vc_sig(c, h.id, alh, vt->signature)) != 0)
        goto out;
    c->tx = h.id;
    memcpy(c->alh, alh, 32);
out:
    seal_dual_proof_free(&p);
    return rc;
}

/* 7.4: VerifiedGet of user key |k| (at_tx as asked). */
KVH_FN int vc_get(vcli *c, const Immudb__Schema__VerifiableEntry *ve, const char *k, uint64_t at_tx)
{
    if (!ve || !ve->entry || !ve->verifiabletx || !ve->verifiabletx->tx ||
        !ve->verifiabletx->tx->header || !ve->inclusionproof)
        return SEAL_EVERIFY;
    const Immudb__Schema__Entry *e = ve->entry;
    int ver = ve->verifiabletx->tx->header->version;
    uint8_t key[256];
    size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k)), vl;
    uint8_t *val = seal_malloc(e->value.len + e->key.len + 32);
    uint64_t vtx;
    seal_kvmd mdb;
    const seal_kvmd *md;
    seal_kvmd none = {0};
    if (!e->referencedby) {
        vtx = at_tx ? at_tx : e->tx;
        md = vc_kvmd_in(e->metadata, &mdb);
        vl = kv_enc_value(val, e->value.len + 32, e->value.data, e->value.len);
    } else {
        vtx = at_tx ? at_tx : e->referencedby->tx;
        md = vc_kvmd_in(e->referencedby->metadata, &mdb);
        vl = kv_enc_ref_value(val, e->key.len + 32, e->key.data, e->key.len, e->referencedby->attx);
    }
    if (!md)
        md = &none;
    seal_dual_proof p;
    int rc = vc_dual_in(ve->verifiabletx->dualproof, &p);
    uint8_t eh[32], src_alh[32], dst_alh[32], d[32];
    uint64_t src, dst;
    if (rc)
        goto out;
    if (c->tx <= vtx) {
        memcpy(eh, p.target.eh, 32);
        src = c->tx;
        memcpy(src_alh, c->alh, 32);
        dst = vtx;
        rc = seal_txhdr_alh(&p.target, dst_alh);
    } else {
        memcpy(eh, p.source.eh, 32);
        src = vtx;
        rc = seal_txhdr_alh(&p.source, src_alh);
        dst = c->tx;
        memcpy(dst_alh, c->alh, 32);
    }
    if (rc || (rc = vc_digest(ver, key, kl, md, val, vl, d)) != 0)
        goto out;
    seal_entry_proof ip = {.leaf = (uint64_t)ve->inclusionproof->leaf,
                           .width = (uint64_t)ve->inclusionproof->width};
    if (ve->inclusionproof->leaf < 0 || ve->inclusionproof->width < 0 ||
        hashes_in(ve->inclusionproof->terms, ve->inclusionproof->n_terms, &ip.terms)) {
        seal_hashes_free(&ip.terms);
        rc = SEAL_EVERIFY;
        goto out;
    }
    rc = seal_entry_proof_verify(&ip, d, eh);
    seal_hashes_free(&ip.terms);
    if (rc)
        goto out;
    if (c->tx > 0 && (rc = seal_dual_proof_verify(&p, src, dst, src_alh, dst_alh)) != 0)
        goto out;
    if ((rc = vc_sig(c, dst, dst_alh, ve->verifiabletx->signature)) != 0)
        goto out;
    c->tx = dst;
    memcpy(c->alh, dst_alh, 32);
out:
    seal_dual_proof_free(&p);
    seal_free(val);
    return rc;
}

/* 7.5, plus the Eh check of the returned (raw) entries. */
KVH_FN int vc_tx(vcli *c, const Immudb__Schema__VerifiableTx *vt, uint64_t id)
{
    if (!vt || !vt->tx || !vt->tx->header || vt->tx->header->id != id)
        return SEAL_EVERIFY;
    seal_dual_proof p;
    int rc = vc_dual_in(vt->dualproof, &p);
    uint8_t src_alh[32], dst_alh[32];
    uint64_t src, dst;
    const seal_txhdr *th;
    if (rc)
        goto out;
    if (c->tx <= id) {
        src = c->tx;
        memcpy(src_alh, c->alh, 32);
        dst = id;
        th = &p.target;
        rc = seal_txhdr_alh(th, dst_alh);
    } else {
        src = id;
        th = &p.source;
        rc = seal_txhdr_alh(th, src_alh);
        dst = c->tx;
        memcpy(dst_alh, c->alh, 32);
    }
    if (rc)
        goto out;
    mt_hash dig[64], eh;
    size_t leaf;
    if (vt->tx->n_entries != th->nentries ||
        (rc = vc_tx_tree(vt->tx, th->version, NULL, 0, dig, 64, eh, &leaf)) != 0 ||
        memcmp(eh, th->eh, 32) != 0) {
        rc = rc ? rc : SEAL_EVERIFY;
        goto out;
    }
    if (c->tx > 0 && (rc = seal_dual_proof_verify(&p, src, dst, src_alh, dst_alh)) != 0)
        goto out;
    if ((rc = vc_sig(c, dst, dst_alh, vt->signature)) != 0)
        goto out;
    c->tx = dst;
    memcpy(c->alh, dst_alh, 32);
out:
    seal_dual_proof_free(&p);
    return rc;
}

#endif
