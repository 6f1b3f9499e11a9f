/* sc_stream.c - immudb's stream protocol in libsealclient: streamSet (a
 * client stream of Chunk messages carrying key and value messages) and
 * streamGet (a server stream carrying the key then the value). A message is
 * u64 big-endian length || bytes; the sender starts each message in a new
 * chunk, and the receiver reads the chunk contents as one byte stream, as
 * immudb's pkg/stream does. */
#include <stdio.h>

#include "client/sc_internal.h"

#define SC_CHUNK_DEFAULT (64 * 1024)
#define SC_STREAM_MAX    ((uint64_t)1 << 31)

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

int seal_client_stream_set(seal_client *c, const seal_bytes *keys, const seal_bytes *values,
                           size_t n, size_t chunk_size, seal_txhdr *out)
{
    sc_begin(c);
    if (!keys || !values || n == 0)
        return sc_fail(c, SEAL_EINVAL, "stream set: no key/value pairs");
    for (size_t i = 0; i < n; i++)
        if (!keys[i].p || !keys[i].n || (values[i].n && !values[i].p))
            return sc_fail(c, SEAL_EINVAL, "stream set: pair %zu has an empty key", i);
    if (chunk_size == 0)
        chunk_size = SC_CHUNK_DEFAULT;
    if (chunk_size < 16 || chunk_size > (16u << 20))
        return sc_fail(c, SEAL_EINVAL, "stream set: chunk size out of range");
    int rc = sc_ensure_conn(c);
    if (rc)
        return rc;
    gw_md md = {0};
    gc_stream *s = NULL;
    gc_status st;
    memset(&st, 0, sizeof(st));
    uint8_t *buf = seal_malloc(chunk_size), *resp = NULL;
    size_t rl = 0;
    Immudb__Schema__TxHeader *h = NULL;
    if (!buf) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if ((rc = sc_auth_md(c, &md)) != 0)
        goto done;
    gc_call_opts co = {.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 0, .md = &md};
    if ((rc = gc_stream_open(c->conn, SC_SERVICE "streamSet", &co, &s)) != 0) {
        sc_fail(c, SEAL_EIO, "stream set: cannot start the call (%s)", seal_strerror(rc));
        rc = SEAL_EIO;
        goto done;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = send_msg(s, keys[i].p, keys[i].n, chunk_size, buf);
        if (rc == 0)
            rc = send_msg(s, values[i].p, values[i].n, chunk_size, buf);
    }
    if (rc == 0)
        rc = gc_stream_close_send(s);
    /* the server may have ended the call early: its status tells why */
    int got = gc_stream_recv(s, &resp, &rl);
    int frc = gc_stream_finish(s, &st);
    if (frc) {
        rc = sc_fail(c, frc, "stream set: the call failed (%s)", seal_strerror(frc));
        goto done;
    }
    if ((rc = sc_status_rc(c, "streamSet", &st)) != 0)
        goto done;
    if (got != 1) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "stream set: the server sent no tx header");
        goto done;
    }
    h = immudb__schema__tx_header__unpack(&sc_pb_alloc, rl, resp);
    if (!h) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "stream set: undecodable tx header");
        goto done;
    }
    if (out) {
        mt_txhdr m;
        sc_hdr_from_pb(h, &m);
        sc_hdr_to_public(&m, out);
    }
done:
    sc_msg_free(h);
    seal_free(resp);
    if (s)
        gc_stream_free(s);
    gc_status_free(&st);
    gw_md_free(&md);
    seal_free(buf);
    return rc;
}

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

int seal_client_stream_get(seal_client *c, const void *key, size_t key_len, const seal_read_opts *o,
                           seal_kventry *out)
{
    sc_begin(c);
    if (!key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "stream get: empty key");
    int rc = sc_ensure_conn(c);
    if (rc)
        return rc;
    Immudb__Schema__KeyRequest r;
    immudb__schema__key_request__init(&r);
    r.key.data = (uint8_t *)(uintptr_t)key;
    r.key.len = key_len;
    if (o) {
        r.attx = o->at_tx;
        r.sincetx = o->since_tx;
        r.nowait = o->no_wait != 0;
        r.atrevision = o->at_revision;
    }
    gw_md md = {0};
    gc_stream *s = NULL;
    gc_status st;
    memset(&st, 0, sizeof(st));
    sbuf b = {0};
    seal_kventry e;
    memset(&e, 0, sizeof(e));
    size_t pl = immudb__schema__key_request__get_packed_size(&r);
    uint8_t *pk = seal_malloc(pl ? pl : 1);
    if (!pk)
        return SEAL_ENOMEM;
    immudb__schema__key_request__pack(&r, pk);
    if ((rc = sc_auth_md(c, &md)) != 0)
        goto done;
    gc_call_opts co = {.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 0, .md = &md};
    if ((rc = gc_stream_open(c->conn, SC_SERVICE "streamGet", &co, &s)) != 0) {
        rc = sc_fail(c, SEAL_EIO, "stream get: cannot start the call (%s)", seal_strerror(rc));
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
            rc = sc_fail(c, SEAL_EPROTOCOL, "stream get: undecodable chunk");
            break;
        }
        if (b.n + ch->content.len > 2 * SC_STREAM_MAX + 16)
            rc = sc_fail(c, SEAL_EPROTOCOL, "stream get: the stream is too long");
        else
            rc = sbuf_add(&b, ch->content.data, ch->content.len);
        sc_msg_free(ch);
        if (rc)
            break;
    }
finish:;
    int frc = gc_stream_finish(s, &st);
    if (rc)
        goto done;
    if (frc) {
        rc = sc_fail(c, frc, "stream get: the call failed (%s)", seal_strerror(frc));
        goto done;
    }
    if ((rc = sc_status_rc(c, "streamGet", &st)) != 0)
        goto done;
    size_t off = 0;
    const uint8_t *kp, *vp;
    size_t kn, vn;
    int k1 = take_msg(&b, &off, &kp, &kn);
    int k2 = k1 == 1 ? take_msg(&b, &off, &vp, &vn) : 0;
    if (k1 != 1 || k2 != 1 || off != b.n) {
        rc =
            sc_fail(c, SEAL_EPROTOCOL,
                    "stream get: the stream is not one key and one value message (%zu bytes)", b.n);
        goto done;
    }
    e.key = seal_malloc(kn + 1);
    e.value = seal_malloc(vn + 1);
    if (!e.key || !e.value) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    memcpy(e.key, kp, kn);
    e.key[kn] = 0;
    e.key_len = kn;
    if (vn)
        memcpy(e.value, vp, vn);
    e.value[vn] = 0;
    e.value_len = vn;
    *out = e;
    memset(&e, 0, sizeof(e));
done:
    seal_kventry_clear(&e);
    if (s)
        gc_stream_free(s);
    gc_status_free(&st);
    gw_md_free(&md);
    seal_free(b.p);
    seal_free(pk);
    return rc;
}
