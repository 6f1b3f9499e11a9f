/* gs_call.c - the handler side of a gRPC call: the worker job that decodes
 * the request and runs the handler, and the send/recv/metadata functions a
 * handler uses. Output is queued here and drained by the I/O thread (see
 * gs_conn.c); the two sides meet under the call's mutex and the server's
 * notification queue. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common/common.h"
#include "server/gs_internal.h"

static void *pb_alloc(void *ud, size_t n)
{
    SEAL_UNUSED(ud);
    return seal_malloc(n);
}

static void pb_free(void *ud, void *p)
{
    SEAL_UNUSED(ud);
    seal_free(p);
}

ProtobufCAllocator gs_pb_allocator = {pb_alloc, pb_free, NULL};

gs_call *gs_call_new(gs_server *s, struct gs_conn *cn, int32_t stream_id)
{
    gs_call *c = seal_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->srv = s;
    atomic_init(&c->refs, 1);
    c->conn = cn;
    c->stream_id = stream_id;
    gw_reader_init(&c->rd, s->cfg.max_recv_msg);
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (cn) {
        snprintf(c->peer, sizeof(c->peer), "%s", cn->peer);
        c->tls = cn->tls != NULL;
    }
    return c;
}

void gs_chunk_free(gs_chunk *ch)
{
    if (!ch)
        return;
    seal_free(ch->data);
    seal_free(ch);
}

void gs_call_ref(gs_call *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void gs_call_unref(gs_call *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    seal_free(c->path);
    seal_free(c->http_method);
    gw_msg_free(c->req);
    seal_free(c->abort_msg);
    gw_reader_reset(&c->rd);
    gw_md_free(&c->req_md);
    for (gs_chunk *ch = c->out_head, *nx; ch; ch = nx) {
        nx = ch->next;
        gs_chunk_free(ch);
    }
    for (gw_msg *m = c->in_head, *nx; m; m = nx) {
        nx = m->next;
        gw_msg_free(m);
    }
    seal_free(c->status_msg);
    gw_md_free(&c->resp_md);
    gw_md_free(&c->trailer_md);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    seal_free(c);
}

/* Waits on c->cv until |deadline| (monotonic ms). Returns false on timeout.
 * Called with c->mu held. */
static bool wait_until(gs_call *c, int64_t deadline)
{
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    return pthread_cond_timedwait(&c->cv, &c->mu, &ts) != ETIMEDOUT;
}

/* The earlier of |t| and the call's deadline. */
static int64_t cap_deadline(const gs_call *c, int64_t t)
{
    return (c->deadline && c->deadline < t) ? c->deadline : t;
}

/* Decodes the request, runs the interceptor and the handler; returns the
 * handler's code (a status, GS_DEFERRED or GS_TO_WORKER). */
static int run_handler(gs_call *c)
{
    gs_server *s = c->srv;
    const gs_method *m = c->m;
    ProtobufCMessage *req = NULL;
    int code;

    pthread_mutex_lock(&c->mu);
    bool cancelled = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    if (cancelled) {
        code = GW_CANCELLED;
        goto done;
    }
    if ((m->kind == GS_UNARY || m->kind == GS_SERVER_STREAM) && m->req_desc) {
        req = protobuf_c_message_unpack(m->req_desc, &gs_pb_allocator, c->req->len, c->req->data);
        if (!req) {
            /* Same code and wording as grpc-go (what immudb itself answers). */
            code = gs_error(c, GW_INTERNAL, "grpc: error unmarshalling request: invalid %s message",
                            m->req_desc->name);
            goto done;
        }
    }
    if (s->icpt) {
        code = s->icpt(c, m, s->icpt_ud);
        if (code != 0)
            goto done;
    }
    code = m->fn(c, req, m->ud);

done:
    if (req)
        protobuf_c_message_free_unpacked(req, &gs_pb_allocator);
    return code;
}

/* The handler is done with |code|: the status is recorded, the I/O thread
 * told, the dispatch's reference dropped. */
static void finish(gs_call *c, int code)
{
    gs_server *s = c->srv;
    const gs_method *m = c->m;
    if (code == GS_DEFERRED || code == GS_TO_WORKER) {
        code = GW_INTERNAL; /* not where they belong */
        seal_free(c->status_msg);
        c->status_msg = seal_strdup("server handler misbehaved");
    }
    pthread_mutex_lock(&c->mu);
    if (code < 0) {
        if (!c->status_msg)
            c->status_msg = seal_strdup(seal_strerror(code));
        code = gw_code_from_err(code);
    } else if (code > GW_CODE_MAX) {
        code = GW_UNKNOWN;
    }
    if (code == GW_OK && (m->kind == GS_UNARY || m->kind == GS_CLIENT_STREAM) && c->nsent != 1) {
        code = GW_INTERNAL;
        seal_free(c->status_msg);
        c->status_msg = seal_strdup("server handler sent no response message");
    }
    c->status = code;
    c->handler_done = true;
    pthread_mutex_unlock(&c->mu);
    gs_server_notify(c);
    gs_call_unref(c);
    gs_server_handler_done(s);
}

void gs_call_run(void *arg)
{
    gs_call *c = arg;
    int code = run_handler(c);
    if (code != GS_DEFERRED)
        finish(c, code);
}

bool gs_call_run_inline(gs_call *c)
{
    c->on_io = true;
    int code = run_handler(c);
    c->on_io = false;
    if (code == GS_TO_WORKER)
        return false;
    if (code != GS_DEFERRED)
        finish(c, code);
    return true;
}

void gs_call_complete(gs_call *c, int code)
{
    finish(c, code);
}

int gs_call_to_worker(gs_call *c, void (*fn)(void *), void *arg)
{
    return gs_pool_submit(c->srv->pool, fn, arg);
}

bool gs_call_on_io(const gs_call *c)
{
    return c->on_io;
}

/* ------------------------------------------------------------ accessors */

const char *gs_call_path(const gs_call *c)
{
    return c->path;
}

const char *gs_call_header(const gs_call *c, const char *name)
{
    return gw_md_get(&c->req_md, name);
}

const gw_md *gs_call_headers(const gs_call *c)
{
    return &c->req_md;
}

const char *gs_call_peer(const gs_call *c)
{
    return c->peer;
}

bool gs_call_is_tls(const gs_call *c)
{
    return c->tls;
}

int64_t gs_call_time_left_ms(const gs_call *c)
{
    if (!c->deadline)
        return -1;
    int64_t left = c->deadline - gw_now_ms();
    return left > 0 ? left : 0;
}

bool gs_call_cancelled(gs_call *c)
{
    pthread_mutex_lock(&c->mu);
    bool r = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    return r || (c->deadline && gw_now_ms() >= c->deadline);
}

void gs_call_set_data(gs_call *c, void *p)
{
    c->data = p;
}

void *gs_call_data(const gs_call *c)
{
    return c->data;
}

void gs_call_request_raw(const gs_call *c, const uint8_t **p, size_t *n)
{
    if (c->req) {
        *p = c->req->data;
        *n = c->req->len;
    } else {
        *p = (const uint8_t *)"";
        *n = 0;
    }
}

int gs_call_add_header(gs_call *c, const char *name, const char *value)
{
    pthread_mutex_lock(&c->mu);
    int rc = c->headers_out ? SEAL_ESTATE : gw_md_adds(&c->resp_md, name, value);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int gs_call_add_trailer(gs_call *c, const char *name, const char *value)
{
    pthread_mutex_lock(&c->mu);
    int rc = c->handler_done ? SEAL_ESTATE : gw_md_adds(&c->trailer_md, name, value);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int gs_error(gs_call *c, int code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->mu);
    seal_free(c->status_msg);
    c->status_msg = seal_strdup(buf);
    pthread_mutex_unlock(&c->mu);
    return code;
}

/* --------------------------------------------------------------- sending */

static int send_chunk(gs_call *c, gs_chunk *ch)
{
    gs_server *s = c->srv;
    int rc = 0;
    bool kick = false;
    if ((c->m->kind == GS_UNARY || c->m->kind == GS_CLIENT_STREAM) && c->nsent >= 1) {
        gs_chunk_free(ch);
        return SEAL_ESTATE;
    }
    pthread_mutex_lock(&c->mu);
    int64_t limit = cap_deadline(c, gw_now_ms() + s->cfg.write_timeout_ms);
    size_t last = c->out_bytes;
    while (!c->cancelled && c->out_bytes > 0 && c->out_bytes + ch->len > s->cfg.out_buffer) {
        if (!wait_until(c, limit) && gw_now_ms() >= limit) {
            if (c->out_bytes < last) { /* the peer is reading: keep going */
                last = c->out_bytes;
                limit = cap_deadline(c, gw_now_ms() + s->cfg.write_timeout_ms);
                continue;
            }
            c->cancelled = true;
            c->want_rst = true;
            kick = true;
            rc = SEAL_ETIMEOUT;
            break;
        }
        if (c->out_bytes < last) {
            last = c->out_bytes;
            limit = cap_deadline(c, gw_now_ms() + s->cfg.write_timeout_ms);
        }
    }
    if (rc == 0 && c->cancelled)
        rc = SEAL_ECLOSED;
    if (rc == 0) {
        if (c->out_tail)
            c->out_tail->next = ch;
        else
            c->out_head = ch;
        c->out_tail = ch;
        c->out_bytes += ch->len;
        c->nsent++;
        ch = NULL;
        kick = true;
    }
    pthread_mutex_unlock(&c->mu);
    gs_chunk_free(ch);
    /* A unary or client-streaming call's one message goes out with its
     * trailers when the handler returns (gs_call_run notifies then): woken
     * now, the I/O thread would send the message and the trailers in two
     * writes, and the client would wake twice. A failure still notifies. */
    if (kick && (rc != 0 || (c->m->kind != GS_UNARY && c->m->kind != GS_CLIENT_STREAM)))
        gs_server_notify(c);
    return rc;
}

static gs_chunk *chunk_new(size_t payload)
{
    gs_chunk *ch = seal_calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    ch->data = seal_malloc(payload + GW_PREFIX_LEN);
    if (!ch->data) {
        seal_free(ch);
        return NULL;
    }
    ch->len = payload + GW_PREFIX_LEN;
    gw_put_prefix(ch->data, 0, (uint32_t)payload);
    return ch;
}

int gs_send(gs_call *c, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    if (n > c->srv->cfg.max_send_msg || n > UINT32_MAX)
        return SEAL_ELIMIT;
    gs_chunk *ch = chunk_new(n);
    if (!ch)
        return SEAL_ENOMEM;
    protobuf_c_message_pack(msg, ch->data + GW_PREFIX_LEN);
    return send_chunk(c, ch);
}

int gs_send_raw(gs_call *c, const void *p, size_t n)
{
    if (n > c->srv->cfg.max_send_msg || n > UINT32_MAX)
        return SEAL_ELIMIT;
    gs_chunk *ch = chunk_new(n);
    if (!ch)
        return SEAL_ENOMEM;
    if (n)
        memcpy(ch->data + GW_PREFIX_LEN, p, n);
    return send_chunk(c, ch);
}

/* ------------------------------------------------------------- receiving */

int gs_recv_raw(gs_call *c, uint8_t **p, size_t *n)
{
    gs_server *s = c->srv;
    if (c->m->kind != GS_CLIENT_STREAM && c->m->kind != GS_BIDI_STREAM)
        return SEAL_ESTATE;
    int rc;
    bool kick = false;
    pthread_mutex_lock(&c->mu);
    int64_t limit = cap_deadline(c, gw_now_ms() + s->cfg.write_timeout_ms);
    while (!c->in_head && !c->in_eof && !c->cancelled) {
        if (!wait_until(c, limit) && gw_now_ms() >= limit)
            break;
    }
    if (c->in_head) {
        gw_msg *m = c->in_head;
        c->in_head = m->next;
        if (!c->in_head)
            c->in_tail = NULL;
        c->in_bytes -= m->len;
        if (c->in_bytes < s->cfg.out_buffer && !c->want_consume) {
            c->want_consume = true;
            kick = true;
        }
        *p = m->data;
        *n = m->len;
        seal_free(m);
        rc = 1;
    } else if (c->cancelled) {
        rc = SEAL_ECLOSED;
    } else if (c->in_eof) {
        rc = 0;
    } else {
        rc = SEAL_ETIMEOUT;
    }
    pthread_mutex_unlock(&c->mu);
    if (kick)
        gs_server_notify(c);
    return rc;
}

int gs_recv(gs_call *c, ProtobufCMessage **out)
{
    if (!c->m->req_desc)
        return SEAL_ESTATE;
    uint8_t *p;
    size_t n;
    int rc = gs_recv_raw(c, &p, &n);
    if (rc != 1)
        return rc;
    ProtobufCMessage *m = protobuf_c_message_unpack(c->m->req_desc, &gs_pb_allocator, n, p);
    seal_free(p);
    if (!m) {
        gs_error(c, GW_INTERNAL, "grpc: failed to unmarshal the received message: invalid %s",
                 c->m->req_desc->name);
        return SEAL_EPROTOCOL;
    }
    *out = m;
    return 1;
}

void gs_msg_free(ProtobufCMessage *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, &gs_pb_allocator);
}
