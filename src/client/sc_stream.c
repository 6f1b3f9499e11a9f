/* sc_stream.c - immudb's stream protocol in libsealclient. A stream is a
 * sequence of messages, each u64 big-endian length || bytes, carried in the
 * content of Chunk messages; the sender starts each message in a new chunk,
 * and the receiver reads the chunk contents as one byte stream, as immudb's
 * pkg/stream does (docs/server-kv.md, "Streams"). Client streams (streamSet,
 * streamVerifiableSet, streamExecAll) send messages and get one answer;
 * server streams (streamGet, streamScan, streamZScan, streamHistory,
 * streamVerifiableGet) send one request and read messages. The verifiable
 * streams are verified by the same code as the unary calls (sc_verify.c). */
#include <stdio.h>

#include "client/sc_internal.h"

#define SC_CHUNK_DEFAULT (64 * 1024)
#define SC_STREAM_MAX    ((uint64_t)1 << 31)

#define BIN(p, n) ((ProtobufCBinaryData){.len = (n), .data = (uint8_t *)(uintptr_t)(p)})

/* ------------------------------------------------------------- sending */
/* Sends one message (length prefix + |n| bytes) as chunks of |cs| bytes. */
static int send_msg(gc_stream *s, const uint8_t *p, size_t n, size_t cs, uint8_t *buf)
{
    size_t off = 0;
    bool first = true;
    do {
        size_t k = 0;
        if (first) {
            seal_put_u64(buf, n);
            k = 8;
        }
        size_t take = SEAL_MIN(cs - k, n - off);
        if (take)
            memcpy(buf + k, p + off, take);
        off += take;
        k += take;
        Immudb__Schema__Chunk ch;
        immudb__schema__chunk__init(&ch);
        ch.content.data = buf;
        ch.content.len = k;
        size_t pl = immudb__schema__chunk__get_packed_size(&ch);
        uint8_t *pk = seal_malloc(pl ? pl : 1);
        if (!pk)
            return SEAL_ENOMEM;
        immudb__schema__chunk__pack(&ch, pk);
        int rc = gc_stream_send(s, pk, pl);
        seal_free(pk);
        if (rc)
            return rc;
        first = false;
    } while (off < n);
    return 0;
}

/* Sends the messages of a client stream. */
typedef int (*send_fn)(gc_stream *s, void *arg, size_t cs, uint8_t *buf);

static int check_chunk_size(seal_client *c, const char *what, size_t *cs)
{
    if (*cs == 0)
        *cs = SC_CHUNK_DEFAULT;
    if (*cs < 16 || *cs > (16u << 20))
        return sc_fail(c, SEAL_EINVAL, "%s: chunk size out of range", what);
    return 0;
}

/* A client stream call: opens |method|, lets |fn| send the messages, reads
 * the one answer and unpacks it with |desc| into *resp (sc_msg_free). */
static int client_stream(seal_client *c, const char *method, const char *what, send_fn fn,
                         void *arg, size_t chunk_size, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage **resp)
{
    int rc = sc_ensure_conn(c);
    if (rc)
        return rc;
    gw_md md = {0};
    gc_stream *s = NULL;
    gc_status st;
    memset(&st, 0, sizeof(st));
    uint8_t *buf = seal_malloc(chunk_size), *rb = NULL;
    size_t rl = 0;
    char path[128];
    if (!buf) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if ((rc = sc_auth_md(c, &md)) != 0)
        goto done;
    gc_call_opts co = {.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 0, .md = &md};
    snprintf(path, sizeof(path), SC_SERVICE "%s", method);
    if ((rc = gc_stream_open(c->conn, path, &co, &s)) != 0) {
        sc_fail(c, SEAL_EIO, "%s: cannot start the call (%s)", what, seal_strerror(rc));
        rc = SEAL_EIO;
        goto done;
    }
    rc = fn(s, arg, chunk_size, buf);
    if (rc == 0)
        rc = gc_stream_close_send(s);
    /* A local failure (memory, deadline, connection) ends the call here: the
     * server, still waiting for the rest, would not answer. Only when the
     * server ended the call early (SEAL_ECLOSED) does its status tell why. */
    if (rc && rc != SEAL_ECLOSED)
        goto done;
    int got = gc_stream_recv(s, &rb, &rl);
    int frc = gc_stream_finish(s, &st);
    if (frc) {
        rc = sc_fail(c, frc, "%s: the call failed (%s)", what, seal_strerror(frc));
        goto done;
    }
    if ((rc = sc_status_rc(c, method, &st)) != 0)
        goto done;
    if (got != 1) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "%s: the server sent no answer", what);
        goto done;
    }
    *resp = protobuf_c_message_unpack(desc, &sc_pb_alloc, rl, rb);
    if (!*resp)
        rc = sc_fail(c, SEAL_EPROTOCOL, "%s: undecodable answer", what);
done:
    seal_free(rb);
    if (s)
        gc_stream_free(s);
    gc_status_free(&st);
    gw_md_free(&md);
    seal_free(buf);
    return rc;
}

/* The TxHeader answer of streamSet / streamExecAll. */
static int hdr_stream(seal_client *c, const char *method, const char *what, send_fn fn, void *arg,
                      size_t chunk_size, seal_txhdr *out)
{
    Immudb__Schema__TxHeader *h = NULL;
    int rc = client_stream(c, method, what, fn, arg, chunk_size,
                           &immudb__schema__tx_header__descriptor, (ProtobufCMessage **)&h);
    if (rc)
        return rc;
    if (out) {
        mt_txhdr m;
        sc_hdr_from_pb(h, &m);
        sc_hdr_to_public(&m, out);
    }
    sc_msg_free(h);
    return 0;
}

typedef struct kv_pairs {
    const seal_bytes *keys, *values;
    size_t n;
} kv_pairs;

static int send_pairs(gc_stream *s, void *arg, size_t cs, uint8_t *buf)
{
    const kv_pairs *kp = arg;
    int rc = 0;
    for (size_t i = 0; i < kp->n && rc == 0; i++) {
        rc = send_msg(s, kp->keys[i].p, kp->keys[i].n, cs, buf);
        if (rc == 0)
            rc = send_msg(s, kp->values[i].p, kp->values[i].n, cs, buf);
    }
    return rc;
}

int seal_client_stream_set(seal_client *c, const seal_bytes *keys, const seal_bytes *values,
                           size_t n, size_t chunk_size, seal_txhdr *out)
{
    sc_begin(c);
    if (!keys || !values || n == 0)
        return sc_fail(c, SEAL_EINVAL, "stream set: no key/value pairs");
    for (size_t i = 0; i < n; i++)
        if (!keys[i].p || !keys[i].n || (values[i].n && !values[i].p))
            return sc_fail(c, SEAL_EINVAL, "stream set: pair %zu has an empty key", i);
    int rc = check_chunk_size(c, "stream set", &chunk_size);
    if (rc)
        return rc;
    kv_pairs kp = {keys, values, n};
    return hdr_stream(c, "streamSet", "stream set", send_pairs, &kp, chunk_size, out);
}

/* ----------------------------------------------------------- receiving */
/* A growing byte buffer. */
typedef struct sbuf {
    uint8_t *p;
    size_t n, cap;
} sbuf;

static int sbuf_add(sbuf *b, const uint8_t *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = seal_realloc(b->p, cap);
        if (!q)
            return SEAL_ENOMEM;
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

/* Takes the message at *off of |b|: 1 and (*p, *n) when complete, 0 if not. */
static int take_msg(const sbuf *b, size_t *off, const uint8_t **p, size_t *n)
{
    if (b->n - *off < 8)
        return 0;
    uint64_t len = seal_get_u64(b->p + *off);
    if (len > SC_STREAM_MAX)
        return SEAL_EPROTOCOL;
    if (b->n - *off - 8 < len)
        return 0;
    *p = b->p + *off + 8;
    *n = (size_t)len;
    *off += 8 + (size_t)len;
    return 1;
}

/* A server stream call: sends |req| to |method| and collects the chunk
 * contents into |b| (seal_free(b->p) in any case). */
static int server_stream(seal_client *c, const char *method, const char *what,
                         const ProtobufCMessage *req, sbuf *b)
{
    int rc = sc_ensure_conn(c);
    if (rc)
        return rc;
    gw_md md = {0};
    gc_stream *s = NULL;
    gc_status st;
    memset(&st, 0, sizeof(st));
    char path[128];
    size_t pl = protobuf_c_message_get_packed_size(req);
    uint8_t *pk = seal_malloc(pl ? pl : 1);
    if (!pk)
        return SEAL_ENOMEM;
    protobuf_c_message_pack(req, pk);
    if ((rc = sc_auth_md(c, &md)) != 0)
        goto done;
    gc_call_opts co = {.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 0, .md = &md};
    snprintf(path, sizeof(path), SC_SERVICE "%s", method);
    if ((rc = gc_stream_open(c->conn, path, &co, &s)) != 0) {
        rc = sc_fail(c, SEAL_EIO, "%s: cannot start the call (%s)", what, seal_strerror(rc));
        goto done;
    }
    if ((rc = gc_stream_send(s, pk, pl)) != 0 || (rc = gc_stream_close_send(s)) != 0)
        goto finish;
    for (;;) {
        uint8_t *m = NULL;
        size_t mn = 0;
        int got = gc_stream_recv(s, &m, &mn);
        if (got <= 0)
            break;
        Immudb__Schema__Chunk *ch = immudb__schema__chunk__unpack(&sc_pb_alloc, mn, m);
        seal_free(m);
        if (!ch) {
            rc = sc_fail(c, SEAL_EPROTOCOL, "%s: undecodable chunk", what);
            break;
        }
        if (b->n + ch->content.len > 2 * SC_STREAM_MAX + 16)
            rc = sc_fail(c, SEAL_EPROTOCOL, "%s: the stream is too long", what);
        else
            rc = sbuf_add(b, ch->content.data, ch->content.len);
        sc_msg_free(ch);
        if (rc)
            goto done; /* freeing the stream cancels the rest */
    }
finish:;
    int frc = gc_stream_finish(s, &st);
    if (rc)
        goto done;
    if (frc) {
        rc = sc_fail(c, frc, "%s: the call failed (%s)", what, seal_strerror(frc));
        goto done;
    }
    rc = sc_status_rc(c, method, &st);
done:
    if (s)
        gc_stream_free(s);
    gc_status_free(&st);
    gw_md_free(&md);
    seal_free(pk);
    return rc;
}

/* The next |k| messages of |b| at *off; SEAL_EPROTOCOL when they are not all
 * there. */
static int take_msgs(seal_client *c, const char *what, const sbuf *b, size_t *off, size_t k,
                     const uint8_t **p, size_t *n)
{
    for (size_t i = 0; i < k; i++)
        if (take_msg(b, off, &p[i], &n[i]) != 1)
            return sc_fail(c, SEAL_EPROTOCOL,
                           "%s: the stream ends inside a message or is malformed (%zu bytes)", what,
                           b->n);
    return 0;
}

/* A NUL-terminated copy. */
static uint8_t *dup0(const uint8_t *p, size_t n)
{
    uint8_t *d = seal_malloc(n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

/* Key and value messages up to the end of |b| as entries (key and value
 * only). */
static int kv_entries(seal_client *c, const char *what, const sbuf *b, seal_kventry **out,
                      size_t *nout)
{
    seal_kventry *a = NULL;
    size_t n = 0, cap = 0, off = 0;
    int rc = 0;
    while (off < b->n) {
        const uint8_t *p[2] = {0};
        size_t l[2] = {0};
        if ((rc = take_msgs(c, what, b, &off, 2, p, l)) != 0)
            goto fail;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            seal_kventry *na = seal_realloc(a, nc * sizeof(*na));
            if (!na) {
                rc = SEAL_ENOMEM;
                goto fail;
            }
            a = na;
            cap = nc;
        }
        seal_kventry *e = &a[n];
        memset(e, 0, sizeof(*e));
        n++;
        e->key = dup0(p[0], l[0]);
        e->value = dup0(p[1], l[1]);
        e->key_len = l[0];
        e->value_len = l[1];
        if (!e->key || !e->value) {
            rc = SEAL_ENOMEM;
            goto fail;
        }
    }
    *out = a;
    *nout = n;
    return 0;
fail:
    seal_kventries_free(a, n);
    return rc;
}

int seal_client_stream_get(seal_client *c, const void *key, size_t key_len, const seal_read_opts *o,
                           seal_kventry *out)
{
    sc_begin(c);
    if (!key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "stream get: empty key");
    Immudb__Schema__KeyRequest r;
    immudb__schema__key_request__init(&r);
    r.key = BIN(key, key_len);
    if (o) {
        r.attx = o->at_tx;
        r.sincetx = o->since_tx;
        r.nowait = o->no_wait != 0;
        r.atrevision = o->at_revision;
    }
    sbuf b = {0};
    seal_kventry *es = NULL;
    size_t n = 0;
    int rc = server_stream(c, "streamGet", "stream get", &r.base, &b);
    if (rc == 0)
        rc = kv_entries(c, "stream get", &b, &es, &n);
    if (rc == 0 && n != 1) {
        seal_kventries_free(es, n);
        rc =
            sc_fail(c, SEAL_EPROTOCOL,
                    "stream get: the stream is not one key and one value message (%zu bytes)", b.n);
    } else if (rc == 0) {
        *out = es[0];
        seal_free(es);
    }
    seal_free(b.p);
    return rc;
}

int seal_client_stream_scan(seal_client *c, const seal_scan_req *q, seal_kventry **out, size_t *n)
{
    sc_begin(c);
    if (!q || !out || !n)
        return sc_fail(c, SEAL_EINVAL, "stream scan: no request");
    Immudb__Schema__ScanRequest r;
    sc_scan_req_pb(q, &r);
    sbuf b = {0};
    int rc = server_stream(c, "streamScan", "stream scan", &r.base, &b);
    if (rc == 0)
        rc = kv_entries(c, "stream scan", &b, out, n);
    seal_free(b.p);
    return rc;
}

int seal_client_stream_history(seal_client *c, const void *key, size_t key_len, uint64_t offset,
                               int32_t limit, int desc, uint64_t since_tx, seal_kventry **out,
                               size_t *n)
{
    sc_begin(c);
    if (!key || !key_len || !out || !n)
        return sc_fail(c, SEAL_EINVAL, "stream history: empty key");
    Immudb__Schema__HistoryRequest r;
    sc_history_req_pb(key, key_len, offset, limit, desc, since_tx, &r);
    sbuf b = {0};
    int rc = server_stream(c, "streamHistory", "stream history", &r.base, &b);
    if (rc == 0)
        rc = kv_entries(c, "stream history", &b, out, n);
    seal_free(b.p);
    return rc;
}

int seal_client_stream_zscan(seal_client *c, const seal_zscan_req *q, seal_zentry **out,
                             size_t *nout)
{
    sc_begin(c);
    const char *what = "stream zscan";
    if (!q || !q->set || !q->set_len || !out || !nout)
        return sc_fail(c, SEAL_EINVAL, "%s: no set", what);
    Immudb__Schema__ZScanRequest r;
    Immudb__Schema__Score mins, maxs;
    sc_zscan_req_pb(q, &r, &mins, &maxs);
    sbuf b = {0};
    seal_zentry *a = NULL;
    size_t n = 0, cap = 0, off = 0;
    int rc = server_stream(c, "streamZScan", what, &r.base, &b);
    while (rc == 0 && off < b.n) {
        const uint8_t *p[5] = {0};
        size_t l[5] = {0};
        if ((rc = take_msgs(c, what, &b, &off, 5, p, l)) != 0)
            break;
        if (l[2] != 8 || l[3] != 8) {
            rc = sc_fail(c, SEAL_EPROTOCOL, "%s: a score or atTx message is not 8 bytes", what);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            seal_zentry *na = seal_realloc(a, nc * sizeof(*na));
            if (!na) {
                rc = SEAL_ENOMEM;
                break;
            }
            a = na;
            cap = nc;
        }
        seal_zentry *z = &a[n];
        memset(z, 0, sizeof(*z));
        n++;
        uint64_t bits = seal_get_u64(p[2]);
        memcpy(&z->score, &bits, sizeof(bits));
        z->at_tx = seal_get_u64(p[3]);
        z->set = dup0(p[0], l[0]);
        z->set_len = l[0];
        z->key = dup0(p[1], l[1]);
        z->key_len = l[1];
        z->has_entry = 1;
        z->entry.key = dup0(p[1], l[1]);
        z->entry.key_len = l[1];
        z->entry.value = dup0(p[4], l[4]);
        z->entry.value_len = l[4];
        if (!z->set || !z->key || !z->entry.key || !z->entry.value)
            rc = SEAL_ENOMEM;
    }
    seal_free(b.p);
    if (rc) {
        seal_zentries_free(a, n);
        return rc;
    }
    *out = a;
    *nout = n;
    return 0;
}

/* ---------------------------------------------------------- streamExecAll */
/* Operation types of streamExecAll (immudb's pkg/stream/types.go). */
#define OP_KV   1
#define OP_ZADD 2

typedef struct exec_ops {
    const seal_op *ops;
    size_t n;
} exec_ops;

static int send_ops(gc_stream *s, void *arg, size_t cs, uint8_t *buf)
{
    const exec_ops *x = arg;
    int rc = 0;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        const seal_op *o = &x->ops[i];
        uint8_t t = o->kind == SEAL_OP_KV ? OP_KV : OP_ZADD;
        if ((rc = send_msg(s, &t, 1, cs, buf)) != 0)
            break;
        if (o->kind == SEAL_OP_KV) {
            rc = send_msg(s, o->key, o->key_len, cs, buf);
            if (rc == 0)
                rc = send_msg(s, o->value, o->value_len, cs, buf);
            continue;
        }
        Immudb__Schema__ZAddRequest z;
        immudb__schema__zadd_request__init(&z);
        z.set = BIN(o->set, o->set_len);
        z.score = o->score;
        z.key = BIN(o->key, o->key_len);
        z.attx = o->at_tx;
        z.boundref = o->bound_ref != 0;
        size_t pl = immudb__schema__zadd_request__get_packed_size(&z);
        uint8_t *pk = seal_malloc(pl ? pl : 1);
        if (!pk)
            return SEAL_ENOMEM;
        immudb__schema__zadd_request__pack(&z, pk);
        rc = send_msg(s, pk, pl, cs, buf);
        seal_free(pk);
    }
    return rc;
}

int seal_client_stream_exec_all(seal_client *c, const seal_op *ops, size_t nops, size_t chunk_size,
                                seal_txhdr *out)
{
    sc_begin(c);
    const char *what = "stream exec all";
    if (!ops || nops == 0)
        return sc_fail(c, SEAL_EINVAL, "%s: no operation", what);
    for (size_t i = 0; i < nops; i++) {
        const seal_op *o = &ops[i];
        if (o->kind == SEAL_OP_REF)
            return sc_fail(c, SEAL_EUNSUPPORTED,
                           "%s: operation %zu: the stream has no reference operation", what, i);
        if (o->kind != SEAL_OP_KV && o->kind != SEAL_OP_ZADD)
            return sc_fail(c, SEAL_EINVAL, "%s: operation %zu: unknown kind %d", what, i,
                           (int)o->kind);
        if (!o->key || !o->key_len || (o->kind == SEAL_OP_KV && o->value_len && !o->value) ||
            (o->kind == SEAL_OP_ZADD && (!o->set || !o->set_len)))
            return sc_fail(c, SEAL_EINVAL, "%s: operation %zu has an empty key or set", what, i);
        if (o->kind == SEAL_OP_KV && o->md)
            return sc_fail(c, SEAL_EINVAL, "%s: operation %zu: the stream carries no metadata",
                           what, i);
    }
    int rc = check_chunk_size(c, what, &chunk_size);
    if (rc)
        return rc;
    exec_ops x = {ops, nops};
    return hdr_stream(c, "streamExecAll", what, send_ops, &x, chunk_size, out);
}

/* ------------------------------------------------------ verifiable streams */
typedef struct vset_stream {
    const void *key, *value;
    size_t key_len, value_len, cs;
    uint64_t since;
    Immudb__Schema__VerifiableTx *vt;
} vset_stream;

static int send_vset(gc_stream *s, void *arg, size_t cs, uint8_t *buf)
{
    const vset_stream *v = arg;
    uint8_t since[8];
    seal_put_u64(since, v->since);
    int rc = send_msg(s, since, 8, cs, buf);
    if (rc == 0)
        rc = send_msg(s, v->key, v->key_len, cs, buf);
    if (rc == 0)
        rc = send_msg(s, v->value, v->value_len, cs, buf);
    return rc;
}

static int vset_stream_fetch(seal_client *c, void *arg, uint64_t since,
                             const Immudb__Schema__VerifiableTx **vt)
{
    vset_stream *v = arg;
    v->since = since;
    int rc = client_stream(c, "streamVerifiableSet", "stream verified set", send_vset, v, v->cs,
                           &immudb__schema__verifiable_tx__descriptor, (ProtobufCMessage **)&v->vt);
    if (rc == 0)
        *vt = v->vt;
    return rc;
}

int seal_client_stream_verified_set(seal_client *c, const void *key, size_t key_len,
                                    const void *value, size_t value_len, size_t chunk_size,
                                    seal_txhdr *out, seal_verify_info *vi)
{
    sc_begin(c);
    const char *what = "stream verified set";
    if (!key || key_len == 0 || (value_len && !value))
        return sc_fail(c, SEAL_EINVAL, "%s: empty key", what);
    int rc = check_chunk_size(c, what, &chunk_size);
    if (rc)
        return rc;
    vset_stream v = {key, value, key_len, value_len, chunk_size, 0, NULL};
    rc = sc_verified_set_with(c, what, key, key_len, value, value_len, NULL, 0, vset_stream_fetch,
                              &v, out, vi);
    sc_msg_free(v.vt);
    return rc;
}

typedef struct vget_stream {
    Immudb__Schema__VerifiableGetRequest *r;
    sbuf b;
    Immudb__Schema__Entry *e;
    Immudb__Schema__VerifiableTx *vt;
    Immudb__Schema__InclusionProof *ip;
    Immudb__Schema__Entry ev; /* e with the streamed value */
    Immudb__Schema__VerifiableEntry ve;
} vget_stream;

/* streamVerifiableGet: Entry{tx, key, referencedBy}, VerifiableTx,
 * InclusionProof, value; reassembled as the VerifiableEntry the unary call
 * answers (without metadata, which the stream does not carry). */
static int vget_stream_fetch(seal_client *c, void *arg, uint64_t since,
                             const Immudb__Schema__VerifiableEntry **ve)
{
    const char *what = "stream verified get";
    vget_stream *g = arg;
    g->r->provesincetx = since;
    int rc = server_stream(c, "streamVerifiableGet", what, &g->r->base, &g->b);
    if (rc)
        return rc;
    const uint8_t *p[4] = {0};
    size_t l[4], off = 0;
    if ((rc = take_msgs(c, what, &g->b, &off, 4, p, l)) != 0)
        return rc;
    if (off != g->b.n)
        return sc_fail(c, SEAL_EPROTOCOL, "%s: the stream has more than four messages", what);
    g->e = immudb__schema__entry__unpack(&sc_pb_alloc, l[0], p[0]);
    g->vt = immudb__schema__verifiable_tx__unpack(&sc_pb_alloc, l[1], p[1]);
    g->ip = immudb__schema__inclusion_proof__unpack(&sc_pb_alloc, l[2], p[2]);
    if (!g->e || !g->vt || !g->ip)
        return sc_fail(c, SEAL_EPROTOCOL, "%s: undecodable entry, tx or inclusion proof", what);
    g->ev = *g->e;
    g->ev.value = BIN(p[3], l[3]);
    immudb__schema__verifiable_entry__init(&g->ve);
    g->ve.entry = &g->ev;
    g->ve.verifiabletx = g->vt;
    g->ve.inclusionproof = g->ip;
    *ve = &g->ve;
    return 0;
}

int seal_client_stream_verified_get(seal_client *c, const void *key, size_t key_len,
                                    const seal_read_opts *o, seal_kventry *out,
                                    seal_verify_info *vi)
{
    sc_begin(c);
    if (!key || !key_len || !out)
        return sc_fail(c, SEAL_EINVAL, "stream verified get: empty key");
    Immudb__Schema__KeyRequest kr;
    immudb__schema__key_request__init(&kr);
    Immudb__Schema__VerifiableGetRequest r;
    immudb__schema__verifiable_get_request__init(&r);
    kr.key = BIN(key, key_len);
    if (o) {
        kr.attx = o->at_tx;
        kr.sincetx = o->since_tx;
        kr.nowait = o->no_wait != 0;
        kr.atrevision = o->at_revision;
    }
    r.keyrequest = &kr;
    vget_stream g;
    memset(&g, 0, sizeof(g));
    g.r = &r;
    int rc = sc_verified_get_with(c, "stream verified get", key, key_len, kr.attx,
                                  vget_stream_fetch, &g, out, vi);
    sc_msg_free(g.e);
    sc_msg_free(g.vt);
    sc_msg_free(g.ip);
    seal_free(g.b.p);
    return rc;
}
