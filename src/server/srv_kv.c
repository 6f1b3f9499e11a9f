/* srv_kv.c - ImmuService key/value, transaction, verifiable and stream
 * handlers: each translates immudb's request message into a database-layer
 * call (db/database.h) on the call's database and the result back into
 * immudb's response (srv_conv.h), with immudb's messages and codes for
 * failures (through srv_db_error). The runtime (srv.h) has authenticated
 * the call and acquired r->db before a handler runs.
 *
 * Streams use immudb's Chunk protocol (pkg/stream): a stream is a sequence
 * of messages, each sent as a big-endian u64 length followed by its bytes,
 * cut into Chunk{content} messages of at most 64 KiB (the first chunk of a
 * message carries the length); the receiver treats the concatenated
 * contents as one byte stream. Streamed key/values are (key, value) message
 * pairs; streamZScan sends (set, key, score as f64 bits, atTx, value);
 * streamVerifiableGet sends (Entry without value, VerifiableTx,
 * InclusionProof, value) as encoded protobufs; streamVerifiableSet starts
 * with proveSinceTx as a u64 message; streamExecAll sends, per operation, a
 * one-byte type message (1 kv, 2 zAdd, 4 reference) followed by key and
 * value, or by an encoded ZAddRequest. See docs/server-kv.md. */
#include <string.h>

#include "common/common.h"
#include "server/srv.h"
#include "server/srv_conv.h"

#include "schema.pb-c.h"

/* immudb's stream constants (pkg/stream/meta.go). */
#define KV_CHUNK_SIZE     (64 * 1024)
#define KV_MAX_TX_VALUES  ((size_t)1 << 25)
#define MSG_MAX_TX_VALUES "max transaction values length exceeded"
#define MSG_MAX_VALUE     "internal store max value length exceeded"

#define REQ(T, m) ((const T *)(const void *)(m))

/* ------------------------------------------------------------ helpers */
static int oom(srv_req *r)
{
    return gs_error(r->call, GW_RESOURCE_EXHAUSTED, "out of memory");
}

/* Sends |m| built in |a| (NULL or a->oom: out of memory). */
static int reply(srv_req *r, conv_arena *a, const void *m)
{
    if (!m || a->oom)
        return oom(r);
    return gs_send(r->call, (const ProtobufCMessage *)m);
}

static int reply_hdr(srv_req *r, const seal_txhdr *h)
{
    conv_arena a = CONV_ARENA_INIT;
    int rc = reply(r, &a, conv_txhdr(&a, h));
    conv_arena_free(&a);
    return rc;
}

static int no_request(srv_req *r)
{
    return srv_db_error(r, sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments"));
}

static void get_req_in(const Immudb__Schema__KeyRequest *q, sdb_get_req *g)
{
    memset(g, 0, sizeof(*g));
    g->key = q->key.data;
    g->key_len = q->key.len;
    g->at_tx = q->attx;
    g->since_tx = q->sincetx;
    g->no_wait = q->nowait;
    g->at_revision = q->atrevision;
}

static void scan_req_in(const Immudb__Schema__ScanRequest *q, sdb_scan_req *s)
{
    memset(s, 0, sizeof(*s));
    s->seek_key = q->seekkey.data;
    s->seek_len = q->seekkey.len;
    s->end_key = q->endkey.data;
    s->end_len = q->endkey.len;
    s->prefix = q->prefix.data;
    s->prefix_len = q->prefix.len;
    s->desc = q->desc;
    s->limit = q->limit;
    s->since_tx = q->sincetx;
    s->no_wait = q->nowait;
    s->inclusive_seek = q->inclusiveseek;
    s->inclusive_end = q->inclusiveend;
    s->offset = q->offset;
}

static void zscan_req_in(const Immudb__Schema__ZScanRequest *q, sdb_zscan_req *z)
{
    memset(z, 0, sizeof(*z));
    z->set = q->set.data;
    z->set_len = q->set.len;
    z->seek_key = q->seekkey.data;
    z->seek_len = q->seekkey.len;
    z->seek_score = q->seekscore;
    z->seek_at_tx = q->seekattx;
    z->inclusive_seek = q->inclusiveseek;
    z->limit = q->limit;
    z->desc = q->desc;
    if (q->minscore) {
        z->has_min_score = true;
        z->min_score = q->minscore->score;
    }
    if (q->maxscore) {
        z->has_max_score = true;
        z->max_score = q->maxscore->score;
    }
    z->since_tx = q->sincetx;
    z->no_wait = q->nowait;
    z->offset = q->offset;
}

/* immudb's History takes an int32 limit: a negative one fails in its
 * B-tree ("tbtree: illegal arguments", no gRPC code of its own). */
static int history_call(srv_req *r, const Immudb__Schema__HistoryRequest *q, sdb_entry **out,
                        size_t *n)
{
    if (q->limit < 0)
        return srv_db_error(r,
                            sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "tbtree: illegal arguments"));
    int rc = sdb_history(r->db, q->key.data, q->key.len, q->offset, (uint64_t)q->limit, q->desc,
                         q->sincetx, out, n);
    return rc ? srv_db_error(r, rc) : 0;
}

/* ------------------------------------------------------------ writes */
/* Values up to this many bytes in all are hashed on the I/O thread; a
 * larger Set goes to a worker (hashing 32 MiB would stall every other
 * connection for milliseconds). */
#define SET_INLINE_MAX_BYTES (64 * 1024)

/* Can this Set be queued from the I/O thread? Not with preconditions (the
 * first such tx waits for the index) nor above SET_INLINE_MAX_BYTES. */
static bool set_fits_inline(const Immudb__Schema__SetRequest *q, const sdb_kv *kvs)
{
    size_t bytes = 0;
    for (size_t i = 0; i < q->n_kvs; i++)
        bytes += kvs[i].key_len + kvs[i].value_len;
    return q->n_preconditions == 0 && bytes <= SET_INLINE_MAX_BYTES;
}

/* A Set committed asynchronously is durable (and indexed): answer it. Runs
 * on a store thread. */
static void set_done(void *ud, int rc, const seal_txhdr *hdr)
{
    srv_defer *d = ud;
    srv_req *r = srv_defer_req(d);
    srv_defer_end(d, rc ? srv_db_error(r, rc) : reply_hdr(r, hdr));
}

/* On the I/O thread: queue the Set's tx and answer when the store calls
 * back, or GS_TO_WORKER when that cannot be done without blocking. */
static int set_inline(srv_req *r, const Immudb__Schema__SetRequest *q, const sdb_kv *kvs)
{
    if (!set_fits_inline(q, kvs))
        return GS_TO_WORKER;
    srv_defer *d = srv_defer_begin(r);
    if (!d)
        return GS_TO_WORKER;
    int rc = sdb_set_async(r->db, kvs, q->n_kvs, q->nowait, set_done, d);
    if (rc == 0)
        return GS_DEFERRED;
    srv_defer_cancel(d);
    r->deferred = false;
    return rc == SEAL_EBUSY ? GS_TO_WORKER : srv_db_error(r, rc);
}

static int h_set(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__SetRequest *q = REQ(Immudb__Schema__SetRequest, m);
    conv_arena a = CONV_ARENA_INIT;
    sdb_kv *kvs = NULL;
    sdb_precond *pre = NULL;
    seal_txhdr h;
    int rc;
    if (conv_kvs_in(&a, q->kvs, q->n_kvs, &kvs) ||
        conv_preconds_in(&a, q->preconditions, q->n_preconditions, &pre)) {
        rc = gs_call_on_io(r->call) ? GS_TO_WORKER : oom(r);
        goto out;
    }
    if (gs_call_on_io(r->call)) {
        rc = set_inline(r, q, kvs);
        goto out;
    }
    rc = sdb_set(r->db, kvs, q->n_kvs, pre, q->n_preconditions, q->nowait, &h);
    rc = rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
out:
    conv_arena_free(&a);
    return rc;
}

static int h_delete(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__DeleteKeysRequest *q = REQ(Immudb__Schema__DeleteKeysRequest, m);
    conv_arena a = CONV_ARENA_INIT;
    sdb_key *keys = q->n_keys ? conv_alloc(&a, q->n_keys * sizeof(*keys)) : NULL;
    seal_txhdr h;
    int rc;
    if (q->n_keys && !keys) {
        rc = oom(r);
        goto out;
    }
    for (size_t i = 0; i < q->n_keys; i++) {
        keys[i].key = q->keys[i].data;
        keys[i].key_len = q->keys[i].len;
    }
    rc = sdb_delete(r->db, keys, q->n_keys, q->sincetx, q->nowait, &h);
    rc = rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
out:
    conv_arena_free(&a);
    return rc;
}

static int h_set_reference(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__ReferenceRequest *q = REQ(Immudb__Schema__ReferenceRequest, m);
    conv_arena a = CONV_ARENA_INIT;
    sdb_precond *pre = NULL;
    seal_txhdr h;
    int rc;
    if (conv_preconds_in(&a, q->preconditions, q->n_preconditions, &pre)) {
        rc = oom(r);
        goto out;
    }
    rc = sdb_set_reference(r->db, q->key.data, q->key.len, q->referencedkey.data,
                           q->referencedkey.len, q->attx, q->boundref, pre, q->n_preconditions,
                           q->nowait, &h);
    rc = rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
out:
    conv_arena_free(&a);
    return rc;
}

static int h_zadd(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__ZAddRequest *q = REQ(Immudb__Schema__ZAddRequest, m);
    seal_txhdr h;
    int rc = sdb_zadd(r->db, q->set.data, q->set.len, q->score, q->key.data, q->key.len, q->attx,
                      q->boundref, q->nowait, &h);
    return rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
}

static int h_exec_all(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__ExecAllRequest *q = REQ(Immudb__Schema__ExecAllRequest, m);
    conv_arena a = CONV_ARENA_INIT;
    sdb_op *ops = NULL;
    sdb_precond *pre = NULL;
    seal_txhdr h;
    int rc;
    if (conv_ops_in(&a, q->operations, q->n_operations, &ops) ||
        conv_preconds_in(&a, q->preconditions, q->n_preconditions, &pre)) {
        rc = oom(r);
        goto out;
    }
    rc = sdb_exec_all(r->db, ops, q->n_operations, pre, q->n_preconditions, q->nowait, &h);
    rc = rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
out:
    conv_arena_free(&a);
    return rc;
}

/* ------------------------------------------------------------- reads */
static int h_get(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_get_req g;
    get_req_in(REQ(Immudb__Schema__KeyRequest, m), &g);
    sdb_entry e;
    int rc = sdb_get(r->db, &g, &e);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_entry(&a, &e));
    conv_arena_free(&a);
    sdb_entry_clear(&e);
    return rc;
}

static int h_get_all(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__KeyListRequest *q = REQ(Immudb__Schema__KeyListRequest, m);
    conv_arena a = CONV_ARENA_INIT;
    sdb_key *keys = q->n_keys ? conv_alloc(&a, q->n_keys * sizeof(*keys)) : NULL;
    sdb_entry *es = NULL;
    size_t n = 0;
    int rc;
    if (q->n_keys && !keys) {
        rc = oom(r);
        goto out;
    }
    for (size_t i = 0; i < q->n_keys; i++) {
        keys[i].key = q->keys[i].data;
        keys[i].key_len = q->keys[i].len;
    }
    rc = sdb_get_all(r->db, keys, q->n_keys, q->sincetx, &es, &n);
    rc = rc ? srv_db_error(r, rc) : reply(r, &a, conv_entries(&a, es, n));
out:
    conv_arena_free(&a);
    sdb_entries_free(es, n);
    return rc;
}

static int h_scan(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_scan_req s;
    scan_req_in(REQ(Immudb__Schema__ScanRequest, m), &s);
    sdb_entry *es = NULL;
    size_t n = 0;
    int rc = sdb_scan(r->db, &s, &es, &n);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_entries(&a, es, n));
    conv_arena_free(&a);
    sdb_entries_free(es, n);
    return rc;
}

static int h_history(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_entry *es = NULL;
    size_t n = 0;
    int rc = history_call(r, REQ(Immudb__Schema__HistoryRequest, m), &es, &n);
    if (rc)
        return rc;
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_entries(&a, es, n));
    conv_arena_free(&a);
    sdb_entries_free(es, n);
    return rc;
}

static int reply_count(srv_req *r, uint64_t c)
{
    Immudb__Schema__EntryCount ec;
    immudb__schema__entry_count__init(&ec);
    ec.count = c;
    return gs_send(r->call, &ec.base);
}

static int h_count(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__KeyPrefix *q = REQ(Immudb__Schema__KeyPrefix, m);
    uint64_t c;
    int rc = sdb_count(r->db, q->prefix.data, q->prefix.len, &c);
    return rc ? srv_db_error(r, rc) : reply_count(r, c);
}

static int h_count_all(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    uint64_t c;
    int rc = sdb_count_all(r->db, &c);
    return rc ? srv_db_error(r, rc) : reply_count(r, c);
}

static int h_zscan(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_zscan_req z;
    zscan_req_in(REQ(Immudb__Schema__ZScanRequest, m), &z);
    sdb_zentry *zs = NULL;
    size_t n = 0;
    int rc = sdb_zscan(r->db, &z, &zs, &n);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_zentries(&a, zs, n));
    conv_arena_free(&a);
    sdb_zentries_free(zs, n);
    return rc;
}

static int h_tx_by_id(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__TxRequest *q = REQ(Immudb__Schema__TxRequest, m);
    sdb_entries_spec spec;
    sdb_tx_req t = {
        .tx = q->tx,
        .spec = conv_spec_in(q->entriesspec, &spec),
        .since_tx = q->sincetx,
        .no_wait = q->nowait,
        .keep_references_unresolved = q->keepreferencesunresolved,
    };
    sdb_tx tx;
    int rc = sdb_tx_by_id(r->db, &t, &tx);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_tx(&a, &tx));
    conv_arena_free(&a);
    sdb_tx_clear(&tx);
    return rc;
}

static int h_tx_scan(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__TxScanRequest *q = REQ(Immudb__Schema__TxScanRequest, m);
    sdb_entries_spec spec;
    sdb_txscan_req t = {
        .initial_tx = q->initialtx,
        .limit = q->limit,
        .desc = q->desc,
        .spec = conv_spec_in(q->entriesspec, &spec),
        .since_tx = q->sincetx,
        .no_wait = q->nowait,
    };
    sdb_tx *txs = NULL;
    size_t n = 0;
    int rc = sdb_tx_scan(r->db, &t, &txs, &n);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    Immudb__Schema__TxList *l = conv_alloc(&a, sizeof(*l));
    if (l) {
        immudb__schema__tx_list__init(l);
        l->n_txs = n;
        l->txs = n ? conv_alloc(&a, n * sizeof(*l->txs)) : NULL;
        for (size_t i = 0; i < n && !a.oom; i++)
            l->txs[i] = conv_tx(&a, &txs[i]);
    }
    rc = reply(r, &a, l);
    conv_arena_free(&a);
    sdb_txs_free(txs, n);
    return rc;
}

/* -------------------------------------------------------- verifiable */
static int reply_vtx(srv_req *r, sdb_vtx *v)
{
    conv_arena a = CONV_ARENA_INIT;
    int rc = reply(r, &a, conv_vtx(&a, v));
    conv_arena_free(&a);
    sdb_vtx_clear(v);
    return rc;
}

/* VerifiableSet answered without a thread waiting for the commit: queued
 * from the I/O thread like a Set; once durable and indexed, the proof is
 * built on a worker (it reads the files). */
struct vset_ctx {
    srv_defer *d;
    uint64_t since;
    uint64_t tx;
};

static void vset_prove(srv_defer *d, void *arg)
{
    struct vset_ctx *v = arg;
    srv_req *r = srv_defer_req(d);
    sdb_vtx vt;
    int rc = sdb_verifiable_committed(r->db, v->tx, v->since, &vt);
    seal_free(v);
    srv_defer_end(d, rc ? srv_db_error(r, rc) : reply_vtx(r, &vt));
}

/* On a store thread: the Set part is durable (and indexed). */
static void vset_done(void *ud, int rc, const seal_txhdr *hdr)
{
    struct vset_ctx *v = ud;
    srv_defer *d = v->d;
    if (rc) {
        seal_free(v);
        srv_defer_end(d, srv_db_error(srv_defer_req(d), rc));
        return;
    }
    v->tx = hdr->id;
    if (!srv_defer_to_worker(d, vset_prove, v))
        seal_free(v);
}

/* On the I/O thread: as set_inline, for a VerifiableSet. */
static int vset_inline(srv_req *r, const Immudb__Schema__VerifiableSetRequest *vq,
                       const sdb_kv *kvs)
{
    const Immudb__Schema__SetRequest *q = vq->setrequest;
    if (!set_fits_inline(q, kvs))
        return GS_TO_WORKER;
    uint64_t last = 0;
    uint8_t alh[SEAL_HASH_LEN];
    if (seal_state(sdb_store(r->db), &last, alh) != 0 || vq->provesincetx > last)
        return GS_TO_WORKER; /* the worker gives the exact answer */
    struct vset_ctx *v = seal_calloc(1, sizeof(*v));
    if (!v)
        return GS_TO_WORKER;
    v->since = vq->provesincetx;
    v->d = srv_defer_begin(r);
    if (!v->d) {
        seal_free(v);
        return GS_TO_WORKER;
    }
    int rc = sdb_set_async(r->db, kvs, q->n_kvs, q->nowait, vset_done, v);
    if (rc == 0)
        return GS_DEFERRED;
    srv_defer_cancel(v->d);
    seal_free(v);
    r->deferred = false;
    return rc == SEAL_EBUSY ? GS_TO_WORKER : srv_db_error(r, rc);
}

static int h_verifiable_set(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableSetRequest *vq = REQ(Immudb__Schema__VerifiableSetRequest, m);
    const Immudb__Schema__SetRequest *q = vq->setrequest;
    if (!q) {
        /* immudb checks proveSinceTx first, then fails Set(nil). */
        uint64_t last = 0;
        uint8_t alh[SEAL_HASH_LEN];
        int rc = seal_state(sdb_store(r->db), &last, alh);
        if (rc == 0 && vq->provesincetx > last)
            rc = sdb_fail(SEAL_ESTATE, SDB_GRPC_INVALID_ARGUMENT, "illegal state");
        else if (rc == 0)
            rc = sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments");
        return srv_db_error(r, rc);
    }
    conv_arena a = CONV_ARENA_INIT;
    sdb_kv *kvs = NULL;
    sdb_precond *pre = NULL;
    sdb_vtx v;
    int rc;
    if (conv_kvs_in(&a, q->kvs, q->n_kvs, &kvs) ||
        conv_preconds_in(&a, q->preconditions, q->n_preconditions, &pre)) {
        rc = oom(r);
        goto out;
    }
    if (gs_call_on_io(r->call)) {
        rc = vset_inline(r, vq, kvs);
        goto out;
    }
    rc = sdb_verifiable_set(r->db, kvs, q->n_kvs, pre, q->n_preconditions, q->nowait,
                            vq->provesincetx, &v);
    rc = rc ? srv_db_error(r, rc) : reply_vtx(r, &v);
out:
    conv_arena_free(&a);
    return rc;
}

static int h_verifiable_get(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableGetRequest *vq = REQ(Immudb__Schema__VerifiableGetRequest, m);
    sdb_get_req g;
    if (vq->keyrequest)
        get_req_in(vq->keyrequest, &g);
    sdb_ventry v;
    int rc = sdb_verifiable_get(r->db, vq->keyrequest ? &g : NULL, vq->provesincetx, &v);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    rc = reply(r, &a, conv_ventry(&a, &v));
    conv_arena_free(&a);
    sdb_ventry_clear(&v);
    return rc;
}

static int h_verifiable_tx_by_id(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableTxRequest *q = REQ(Immudb__Schema__VerifiableTxRequest, m);
    sdb_entries_spec spec;
    sdb_tx_req t = {
        .tx = q->tx,
        .spec = conv_spec_in(q->entriesspec, &spec),
        .since_tx = q->sincetx,
        .no_wait = q->nowait,
        .keep_references_unresolved = q->keepreferencesunresolved,
    };
    sdb_vtx v;
    int rc = sdb_verifiable_tx_by_id(r->db, &t, q->provesincetx, &v);
    return rc ? srv_db_error(r, rc) : reply_vtx(r, &v);
}

static int h_verifiable_set_reference(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableReferenceRequest *vq =
        REQ(Immudb__Schema__VerifiableReferenceRequest, m);
    Immudb__Schema__ReferenceRequest none;
    immudb__schema__reference_request__init(&none);
    const Immudb__Schema__ReferenceRequest *q = vq->referencerequest ? vq->referencerequest : &none;
    conv_arena a = CONV_ARENA_INIT;
    sdb_precond *pre = NULL;
    sdb_vtx v;
    int rc;
    if (conv_preconds_in(&a, q->preconditions, q->n_preconditions, &pre)) {
        rc = oom(r);
        goto out;
    }
    rc = sdb_verifiable_set_reference(r->db, q->key.data, q->key.len, q->referencedkey.data,
                                      q->referencedkey.len, q->attx, q->boundref, pre,
                                      q->n_preconditions, q->nowait, vq->provesincetx, &v);
    rc = rc ? srv_db_error(r, rc) : reply_vtx(r, &v);
out:
    conv_arena_free(&a);
    return rc;
}

static int h_verifiable_zadd(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableZAddRequest *vq = REQ(Immudb__Schema__VerifiableZAddRequest, m);
    Immudb__Schema__ZAddRequest none;
    immudb__schema__zadd_request__init(&none);
    const Immudb__Schema__ZAddRequest *q = vq->zaddrequest ? vq->zaddrequest : &none;
    sdb_vtx v;
    int rc = sdb_verifiable_zadd(r->db, q->set.data, q->set.len, q->score, q->key.data, q->key.len,
                                 q->attx, q->boundref, q->nowait, vq->provesincetx, &v);
    return rc ? srv_db_error(r, rc) : reply_vtx(r, &v);
}

/* ------------------------------------------------------ stream output */
typedef struct kv_tx {
    gs_call *call;
    uint8_t *stage; /* KV_CHUNK_SIZE bytes for the first chunk of a message */
} kv_tx;

static int tx_open(kv_tx *t, srv_req *r)
{
    t->call = r->call;
    t->stage = seal_malloc(KV_CHUNK_SIZE);
    return t->stage ? 0 : oom(r);
}

static void tx_close(kv_tx *t)
{
    seal_free(t->stage);
    t->stage = NULL;
}

/* One stream message: u64 length + bytes, in chunks of KV_CHUNK_SIZE. */
static int tx_msg(kv_tx *t, const void *p, size_t n)
{
    const uint8_t *b = p;
    Immudb__Schema__Chunk ch;
    immudb__schema__chunk__init(&ch);
    seal_put_u64(t->stage, (uint64_t)n);
    size_t first = SEAL_MIN(n, (size_t)KV_CHUNK_SIZE - 8);
    if (first)
        memcpy(t->stage + 8, b, first);
    ch.content.data = t->stage;
    ch.content.len = 8 + first;
    int rc = gs_send(t->call, &ch.base);
    for (size_t off = first; rc == 0 && off < n;) {
        size_t k = SEAL_MIN(n - off, (size_t)KV_CHUNK_SIZE);
        ch.content.data = (uint8_t *)(uintptr_t)(b + off);
        ch.content.len = k;
        rc = gs_send(t->call, &ch.base);
        off += k;
    }
    return rc;
}

static int tx_u64(kv_tx *t, uint64_t v)
{
    uint8_t b[8];
    seal_put_u64(b, v);
    return tx_msg(t, b, 8);
}

/* A message holding an encoded protobuf. */
static int tx_proto(kv_tx *t, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *p = seal_malloc(n ? n : 1);
    if (!p)
        return SEAL_ENOMEM;
    protobuf_c_message_pack(m, p);
    int rc = tx_msg(t, p, n);
    seal_free(p);
    return rc;
}

static int tx_entries(srv_req *r, const sdb_entry *es, size_t n)
{
    kv_tx t;
    int rc = tx_open(&t, r);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = tx_msg(&t, es[i].key, es[i].key_len);
        if (rc == 0)
            rc = tx_msg(&t, es[i].value, es[i].value_len);
    }
    tx_close(&t);
    return rc;
}

static int h_stream_get(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_get_req g;
    get_req_in(REQ(Immudb__Schema__KeyRequest, m), &g);
    sdb_entry e;
    int rc = sdb_get(r->db, &g, &e);
    if (rc)
        return srv_db_error(r, rc);
    rc = tx_entries(r, &e, 1);
    sdb_entry_clear(&e);
    return rc;
}

static int h_stream_scan(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_scan_req s;
    scan_req_in(REQ(Immudb__Schema__ScanRequest, m), &s);
    sdb_entry *es = NULL;
    size_t n = 0;
    int rc = sdb_scan(r->db, &s, &es, &n);
    if (rc)
        return srv_db_error(r, rc);
    rc = tx_entries(r, es, n);
    sdb_entries_free(es, n);
    return rc;
}

static int h_stream_history(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_entry *es = NULL;
    size_t n = 0;
    int rc = history_call(r, REQ(Immudb__Schema__HistoryRequest, m), &es, &n);
    if (rc)
        return rc;
    rc = tx_entries(r, es, n);
    sdb_entries_free(es, n);
    return rc;
}

static int h_stream_zscan(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    sdb_zscan_req z;
    zscan_req_in(REQ(Immudb__Schema__ZScanRequest, m), &z);
    sdb_zentry *zs = NULL;
    size_t n = 0;
    int rc = sdb_zscan(r->db, &z, &zs, &n);
    if (rc)
        return srv_db_error(r, rc);
    kv_tx t;
    rc = tx_open(&t, r);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const sdb_zentry *e = &zs[i];
        uint64_t bits;
        memcpy(&bits, &e->score, sizeof(bits));
        rc = tx_msg(&t, e->set, e->set_len);
        if (rc == 0)
            rc = tx_msg(&t, e->key, e->key_len);
        if (rc == 0)
            rc = tx_u64(&t, bits);
        if (rc == 0)
            rc = tx_u64(&t, e->at_tx);
        if (rc == 0)
            rc = e->has_entry ? tx_msg(&t, e->entry.value, e->entry.value_len) : tx_msg(&t, "", 0);
    }
    tx_close(&t);
    sdb_zentries_free(zs, n);
    return rc;
}

static int h_stream_verifiable_get(srv_req *r, const ProtobufCMessage *m)
{
    if (!m)
        return no_request(r);
    const Immudb__Schema__VerifiableGetRequest *vq = REQ(Immudb__Schema__VerifiableGetRequest, m);
    sdb_get_req g;
    if (vq->keyrequest)
        get_req_in(vq->keyrequest, &g);
    sdb_ventry v;
    int rc = sdb_verifiable_get(r->db, vq->keyrequest ? &g : NULL, vq->provesincetx, &v);
    if (rc)
        return srv_db_error(r, rc);
    conv_arena a = CONV_ARENA_INIT;
    /* The entry goes without its value (and, as immudb, without metadata,
     * expired flag and revision): Entry{tx, key, referencedBy}. */
    Immudb__Schema__Entry *e = conv_entry(&a, &v.entry);
    Immudb__Schema__VerifiableTx *vt = conv_vtx(&a, &v.vtx);
    Immudb__Schema__InclusionProof *ip = conv_inclusion(&a, &v.inclusion);
    kv_tx t = {0};
    if (!e || !vt || !ip || a.oom) {
        rc = oom(r);
        goto out;
    }
    Immudb__Schema__Entry ev;
    immudb__schema__entry__init(&ev);
    ev.tx = e->tx;
    ev.key = e->key;
    ev.referencedby = e->referencedby;
    if ((rc = tx_open(&t, r)) != 0)
        goto out;
    rc = tx_proto(&t, &ev.base);
    if (rc == 0)
        rc = tx_proto(&t, &vt->base);
    if (rc == 0)
        rc = tx_proto(&t, &ip->base);
    if (rc == 0)
        rc = tx_msg(&t, v.entry.value, v.entry.value_len);
out:
    tx_close(&t);
    conv_arena_free(&a);
    sdb_ventry_clear(&v);
    return rc;
}

/* ------------------------------------------------------- stream input */
typedef struct kv_rx {
    srv_req *r;
    Immudb__Schema__Chunk *cur; /* chunk being read */
    size_t off;
    bool eof;
    size_t budget; /* bytes of values still allowed (KV_MAX_TX_VALUES) */
    /* messages read, freed at the end */
    uint8_t **bufs;
    size_t nbufs, capbufs;
} kv_rx;

static void rx_init(kv_rx *x, srv_req *r)
{
    memset(x, 0, sizeof(*x));
    x->r = r;
    x->budget = KV_MAX_TX_VALUES;
}

static void rx_free(kv_rx *x)
{
    if (x->cur)
        gs_msg_free(&x->cur->base);
    for (size_t i = 0; i < x->nbufs; i++)
        seal_free(x->bufs[i]);
    seal_free(x->bufs);
    memset(x, 0, sizeof(*x));
}

/* Makes unread bytes available in x->cur. *avail = false at the end of the
 * client's stream. Returns 0 or the call's status. */
static int rx_fill(kv_rx *x, bool *avail)
{
    while (!x->cur || x->off == x->cur->content.len) {
        if (x->cur) {
            gs_msg_free(&x->cur->base);
            x->cur = NULL;
        }
        if (x->eof) {
            *avail = false;
            return 0;
        }
        uint8_t *p;
        size_t n;
        int rc = gs_recv_raw(x->r->call, &p, &n);
        if (rc == 0) {
            x->eof = true;
            continue;
        }
        if (rc < 0)
            return rc;
        x->cur = immudb__schema__chunk__unpack(&gs_pb_allocator, n, p);
        seal_free(p);
        if (!x->cur)
            return gs_error(x->r->call, GW_INTERNAL,
                            "grpc: failed to unmarshal the received message: invalid "
                            "immudb.schema.Chunk");
        x->off = 0;
    }
    *avail = true;
    return 0;
}

/* Copies |n| bytes of the stream to |dst|; *short_read when it ended first. */
static int rx_bytes(kv_rx *x, uint8_t *dst, size_t n, bool *short_read)
{
    *short_read = false;
    while (n) {
        bool avail;
        int rc = rx_fill(x, &avail);
        if (rc)
            return rc;
        if (!avail) {
            *short_read = true;
            return 0;
        }
        size_t k = SEAL_MIN(n, x->cur->content.len - x->off);
        memcpy(dst, x->cur->content.data + x->off, k);
        x->off += k;
        dst += k;
        n -= k;
    }
    return 0;
}

/* The next message of the stream: *got = false at a clean end of stream.
 * A message larger than |cap| fails with immudb's "max transaction values
 * length exceeded"; a message cut short by the end of the stream with
 * "unexpected EOF". *out (may be NULL when *n = 0) is owned by |x|. */
static int rx_msg(kv_rx *x, size_t cap, uint8_t **out, size_t *n, bool *got)
{
    *got = false;
    bool avail;
    int rc = rx_fill(x, &avail);
    if (rc || !avail)
        return rc;
    uint8_t hdr[8];
    bool cut;
    if ((rc = rx_bytes(x, hdr, 8, &cut)) != 0)
        return rc;
    if (cut)
        return gs_error(x->r->call, GW_UNKNOWN, "unexpected EOF");
    uint64_t len = seal_get_u64(hdr);
    if (len > cap)
        return gs_error(x->r->call, GW_FAILED_PRECONDITION, MSG_MAX_TX_VALUES);
    uint8_t *p = NULL;
    if (len) {
        if (x->nbufs == x->capbufs) {
            size_t nc = x->capbufs ? x->capbufs * 2 : 64;
            uint8_t **nb = seal_realloc(x->bufs, nc * sizeof(*nb));
            if (!nb)
                return oom(x->r);
            x->bufs = nb;
            x->capbufs = nc;
        }
        if (!(p = seal_malloc((size_t)len)))
            return oom(x->r);
        x->bufs[x->nbufs++] = p;
        if ((rc = rx_bytes(x, p, (size_t)len, &cut)) != 0)
            return rc;
        if (cut)
            return gs_error(x->r->call, GW_UNKNOWN, "unexpected EOF");
    }
    *out = p;
    *n = (size_t)len;
    *got = true;
    return 0;
}

/* A value message: counted against the per-tx budget as immudb does. */
static int rx_value(kv_rx *x, uint8_t **out, size_t *n, bool *got)
{
    int rc = rx_msg(x, x->budget, out, n, got);
    if (rc == 0 && *got)
        x->budget -= *n;
    return rc;
}

typedef struct kv_list {
    sdb_kv *kv;
    size_t n, cap;
} kv_list;

static int kvl_add(kv_list *l, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        sdb_kv *p = seal_realloc(l->kv, nc * sizeof(*p));
        if (!p)
            return SEAL_ENOMEM;
        l->kv = p;
        l->cap = nc;
    }
    l->kv[l->n++] = (sdb_kv){k, kl, v, vl, NULL};
    return 0;
}

/* (key, value) pairs up to the end of the stream. A key without a value
 * at the end of the stream gets an empty value, as immudb's receiver. */
static int rx_kvs(kv_rx *x, kv_list *l)
{
    for (;;) {
        uint8_t *k, *v = NULL;
        size_t kl, vl = 0;
        bool got;
        int rc = rx_msg(x, KV_MAX_TX_VALUES, &k, &kl, &got);
        if (rc || !got)
            return rc;
        if ((rc = rx_value(x, &v, &vl, &got)) != 0)
            return rc;
        if (kvl_add(l, k, kl, v, vl))
            return oom(x->r);
        if (!got)
            return 0;
    }
}

/* immudb wraps streamSet / streamVerifiableSet failures in a message of
 * its own, except the value length limit. */
static int stream_write_error(srv_req *r, const char *what)
{
    const char *msg = sdb_errmsg();
    if (strcmp(msg, "max value length exceeded") == 0)
        return gs_error(r->call, GW_FAILED_PRECONDITION, MSG_MAX_VALUE);
    return gs_error(r->call, GW_UNKNOWN, "%s %s", what, msg);
}

static int h_stream_set(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    kv_rx x;
    kv_list l = {0};
    rx_init(&x, r);
    int rc = rx_kvs(&x, &l);
    if (rc == 0) {
        seal_txhdr h;
        rc = sdb_set(r->db, l.kv, l.n, NULL, 0, false, &h);
        rc = rc ? stream_write_error(r, "StreamSet receives following error:") : reply_hdr(r, &h);
    }
    seal_free(l.kv);
    rx_free(&x);
    return rc;
}

static int h_stream_verifiable_set(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    kv_rx x;
    kv_list l = {0};
    rx_init(&x, r);
    uint8_t *p = NULL;
    size_t n = 0;
    bool got;
    int rc = rx_value(&x, &p, &n, &got);
    if (rc)
        goto out;
    if (!got || n == 0) {
        rc = gs_error(r->call, GW_UNKNOWN, "EOF");
        goto out;
    }
    if (n < 8) {
        rc = gs_error(r->call, GW_UNKNOWN, "unexpected EOF");
        goto out;
    }
    uint64_t since = seal_get_u64(p);
    if ((rc = rx_kvs(&x, &l)) != 0)
        goto out;
    sdb_vtx v;
    rc = sdb_verifiable_set(r->db, l.kv, l.n, NULL, 0, false, since, &v);
    rc = rc ? stream_write_error(r, "StreamVerifiableSet received the following error:")
            : reply_vtx(r, &v);
out:
    seal_free(l.kv);
    rx_free(&x);
    return rc;
}

/* streamExecAll operation types (pkg/stream/types.go). */
#define TOP_KV   1
#define TOP_ZADD 2
#define TOP_REF  4

static int h_stream_exec_all(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    kv_rx x;
    rx_init(&x, r);
    sdb_op *ops = NULL;
    size_t nops = 0, cap = 0;
    Immudb__Schema__ZAddRequest **zs = NULL;
    size_t nz = 0;
    int rc = 0;
    for (;;) {
        uint8_t *t, *k, *v;
        size_t tl, kl, vl;
        bool got;
        if ((rc = rx_value(&x, &t, &tl, &got)) != 0)
            goto out;
        if (!got || tl == 0)
            break;
        if (t[0] != TOP_KV && t[0] != TOP_ZADD && t[0] != TOP_REF)
            continue; /* immudb's receiver reads on */
        if (t[0] == TOP_REF) {
            rc = gs_error(r->call, GW_UNIMPLEMENTED, "reference operation is not implemented");
            goto out;
        }
        if (nops == cap) {
            size_t nc = cap ? cap * 2 : 16;
            sdb_op *no = seal_realloc(ops, nc * sizeof(*no));
            Immudb__Schema__ZAddRequest **nzs = seal_realloc(zs, nc * sizeof(*nzs));
            if (no)
                ops = no;
            if (nzs)
                zs = nzs;
            if (!no || !nzs) {
                rc = oom(r);
                goto out;
            }
            cap = nc;
        }
        sdb_op *o = &ops[nops];
        memset(o, 0, sizeof(*o));
        if (t[0] == TOP_KV) {
            if ((rc = rx_value(&x, &k, &kl, &got)) != 0)
                goto out;
            if (got && (rc = rx_value(&x, &v, &vl, &got)) != 0)
                goto out;
            if (!got) {
                rc = gs_error(r->call, GW_UNKNOWN, "EOF");
                goto out;
            }
            o->kind = SDB_OP_KV;
            o->key = k;
            o->key_len = kl;
            o->value = v;
            o->value_len = vl;
        } else {
            if ((rc = rx_value(&x, &v, &vl, &got)) != 0)
                goto out;
            Immudb__Schema__ZAddRequest *z =
                got ? immudb__schema__zadd_request__unpack(&gs_pb_allocator, vl, v) : NULL;
            if (!z) {
                rc = gs_error(r->call, GW_INTERNAL,
                              "unable to reassemble ZAdd message on a streamExecAll");
                goto out;
            }
            zs[nz++] = z;
            o->kind = SDB_OP_ZADD;
            o->set = z->set.data;
            o->set_len = z->set.len;
            o->score = z->score;
            o->key = z->key.data;
            o->key_len = z->key.len;
            o->at_tx = z->attx;
            o->bound_ref = z->boundref;
        }
        nops++;
    }
    seal_txhdr h;
    rc = sdb_exec_all(r->db, ops, nops, NULL, 0, false, &h);
    rc = rc ? srv_db_error(r, rc) : reply_hdr(r, &h);
out:
    for (size_t i = 0; i < nz; i++)
        gs_msg_free(&zs[i]->base);
    seal_free(zs);
    seal_free(ops);
    rx_free(&x);
    return rc;
}

/* ------------------------------------------------------------- table */
#define S(x) &immudb__schema__##x##__descriptor

const srv_method srv_kv_methods[] = {
    {"Set", GS_UNARY, S(set_request), h_set, true, true},
    {"Get", GS_UNARY, S(key_request), h_get, true, false},
    {"GetAll", GS_UNARY, S(key_list_request), h_get_all, true, false},
    {"Delete", GS_UNARY, S(delete_keys_request), h_delete, true, false},
    {"ExecAll", GS_UNARY, S(exec_all_request), h_exec_all, true, false},
    {"Scan", GS_UNARY, S(scan_request), h_scan, true, false},
    {"Count", GS_UNARY, S(key_prefix), h_count, true, false},
    {"CountAll", GS_UNARY, NULL, h_count_all, true, false},
    {"History", GS_UNARY, S(history_request), h_history, true, false},
    {"SetReference", GS_UNARY, S(reference_request), h_set_reference, true, false},
    {"ZAdd", GS_UNARY, S(zadd_request), h_zadd, true, false},
    {"ZScan", GS_UNARY, S(zscan_request), h_zscan, true, false},
    {"TxById", GS_UNARY, S(tx_request), h_tx_by_id, true, false},
    {"TxScan", GS_UNARY, S(tx_scan_request), h_tx_scan, true, false},
    {"VerifiableSet", GS_UNARY, S(verifiable_set_request), h_verifiable_set, true, true},
    {"VerifiableGet", GS_UNARY, S(verifiable_get_request), h_verifiable_get, true, false},
    {"VerifiableTxById", GS_UNARY, S(verifiable_tx_request), h_verifiable_tx_by_id, true, false},
    {"VerifiableSetReference", GS_UNARY, S(verifiable_reference_request),
     h_verifiable_set_reference, true, false},
    {"VerifiableZAdd", GS_UNARY, S(verifiable_zadd_request), h_verifiable_zadd, true, false},
    {"streamGet", GS_SERVER_STREAM, S(key_request), h_stream_get, true, false},
    {"streamSet", GS_CLIENT_STREAM, S(chunk), h_stream_set, true, false},
    {"streamVerifiableGet", GS_SERVER_STREAM, S(verifiable_get_request), h_stream_verifiable_get,
     true, false},
    {"streamVerifiableSet", GS_CLIENT_STREAM, S(chunk), h_stream_verifiable_set, true, false},
    {"streamScan", GS_SERVER_STREAM, S(scan_request), h_stream_scan, true, false},
    {"streamZScan", GS_SERVER_STREAM, S(zscan_request), h_stream_zscan, true, false},
    {"streamHistory", GS_SERVER_STREAM, S(history_request), h_stream_history, true, false},
    {"streamExecAll", GS_CLIENT_STREAM, S(chunk), h_stream_exec_all, true, false},
    {NULL, 0, NULL, NULL, false, false},
};
