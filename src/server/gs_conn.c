/* gs_conn.c - one client connection on the I/O thread: socket reads and
 * writes, the optional TLS layer (cry_tls memory BIOs) under the HTTP/2
 * session, the nghttp2 server callbacks, gRPC request validation and
 * dispatch, HTTP/2 flow control and the response side of every call
 * (headers, DATA drained from the call's queue, trailers). */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "client/gtls.h"
#include "server/gs_internal.h"

#define GS_OUT_HIWAT   (256u * 1024u) /* socket-side buffer before we stop pulling frames */
#define GS_READ_BUDGET 16             /* reads per readiness event, for fairness */
#define GS_RBUF        65536

static void call_abort_http(gs_call *c, int http_status, int code, const char *msg);

/* ------------------------------------------------------------ out buffer */

static int out_reserve(struct gs_conn *cn, size_t n)
{
    if (cn->out_off > 0 && cn->out_off == cn->out_len)
        cn->out_off = cn->out_len = 0;
    if (cn->out_len + n <= cn->out_cap)
        return 0;
    if (cn->out_off > 0) {
        memmove(cn->out, cn->out + cn->out_off, cn->out_len - cn->out_off);
        cn->out_len -= cn->out_off;
        cn->out_off = 0;
        if (cn->out_len + n <= cn->out_cap)
            return 0;
    }
    size_t ncap = cn->out_cap ? cn->out_cap * 2 : 16384;
    while (ncap < cn->out_len + n)
        ncap *= 2;
    uint8_t *nb = seal_realloc(cn->out, ncap);
    if (!nb)
        return SEAL_ENOMEM;
    cn->out = nb;
    cn->out_cap = ncap;
    return 0;
}

static int out_append(struct gs_conn *cn, const uint8_t *p, size_t n)
{
    int rc = out_reserve(cn, n);
    if (rc)
        return rc;
    memcpy(cn->out + cn->out_len, p, n);
    cn->out_len += n;
    return 0;
}

/* Moves TLS records waiting in the TLS layer into the socket buffer. */
static int tls_pull(struct gs_conn *cn)
{
    while (gtls_out_pending(cn->tls) > 0) {
        size_t want = gtls_out_pending(cn->tls);
        int rc = out_reserve(cn, want);
        if (rc)
            return rc;
        long got = gtls_take_out(cn->tls, cn->out + cn->out_len, cn->out_cap - cn->out_len);
        if (got <= 0)
            return got < 0 ? SEAL_EPROTOCOL : 0;
        cn->out_len += (size_t)got;
    }
    return 0;
}

static void set_epollout(struct gs_conn *cn, bool on)
{
    if (cn->fd < 0 || cn->epollout == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = &cn->ep};
    if (epoll_ctl(cn->srv->epfd, EPOLL_CTL_MOD, cn->fd, &ev) == 0)
        cn->epollout = on;
}

void gs_conn_close(struct gs_conn *cn)
{
    if (cn->dead)
        return;
    cn->dead = true;
    cn->dead_next = cn->srv->dead;
    cn->srv->dead = cn;
}

void gs_conn_flush(struct gs_conn *cn)
{
    if (cn->dead)
        return;
    for (;;) {
        while (cn->out_len - cn->out_off < GS_OUT_HIWAT) {
            if (cn->tls && !cn->tls_done) {
                if (tls_pull(cn) != 0) {
                    gs_conn_close(cn);
                    return;
                }
                break;
            }
            const uint8_t *d;
            ssize_t n = nghttp2_session_mem_send(cn->h2, &d);
            if (n < 0) {
                SEAL_LOGD("grpc", "%s: nghttp2 send: %s", cn->peer, nghttp2_strerror((int)n));
                gs_conn_close(cn);
                return;
            }
            if (n == 0)
                break;
            int rc;
            if (cn->tls) {
                rc = gtls_write(cn->tls, d, (size_t)n);
                if (rc == 0)
                    rc = tls_pull(cn);
            } else {
                rc = out_append(cn, d, (size_t)n);
            }
            if (rc != 0) {
                gs_conn_close(cn);
                return;
            }
        }
        size_t pending = cn->out_len - cn->out_off;
        if (pending == 0)
            break;
        if (cn->fd < 0) { /* in-memory connection: output is discarded */
            cn->out_off = cn->out_len = 0;
            continue;
        }
        ssize_t w = send(cn->fd, cn->out + cn->out_off, pending, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_epollout(cn, true);
                return;
            }
            gs_conn_close(cn);
            return;
        }
        cn->out_off += (size_t)w;
        cn->last_active = gw_now_ms();
        if (cn->out_off == cn->out_len)
            cn->out_off = cn->out_len = 0;
    }
    set_epollout(cn, false);
    if (cn->tls && !cn->tls_done)
        return;
    bool idle_done = cn->goaway && cn->ncalls == 0 && !nghttp2_session_want_write(cn->h2);
    if ((!nghttp2_session_want_read(cn->h2) && !nghttp2_session_want_write(cn->h2)) || idle_done)
        gs_conn_close(cn);
}

void gs_conn_goaway(struct gs_conn *cn, bool graceful)
{
    if (cn->dead || cn->goaway)
        return;
    cn->goaway = true;
    if (graceful)
        nghttp2_submit_goaway(cn->h2, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(cn->h2), NGHTTP2_NO_ERROR,
                              NULL, 0);
    else
        nghttp2_session_terminate_session(cn->h2, NGHTTP2_NO_ERROR);
    gs_conn_mark_dirty(cn);
}

/* Detaches a call from its connection (stream closed or connection gone). */
static void call_detach(gs_call *c)
{
    struct gs_conn *cn = c->conn;
    if (!cn)
        return;
    if (c->cprev)
        c->cprev->cnext = c->cnext;
    else
        cn->calls = c->cnext;
    if (c->cnext)
        c->cnext->cprev = c->cprev;
    c->cnext = c->cprev = NULL;
    cn->ncalls--;
    c->conn = NULL;
    c->closed = true;
    gs_server_untrack_deadline(c);
    atomic_fetch_sub(&c->srv->st_active, 1);
    pthread_mutex_lock(&c->mu);
    if (!c->handler_done)
        c->cancelled = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    gs_call_unref(c);
}

void gs_conn_destroy(struct gs_conn *cn)
{
    gs_server *s = cn->srv;
    if (cn->dirty) { /* normally flushed before; be safe outside the loop */
        for (struct gs_conn **pp = &s->dirty; *pp; pp = &(*pp)->dirty_next) {
            if (*pp == cn) {
                *pp = cn->dirty_next;
                break;
            }
        }
        cn->dirty = false;
    }
    if (cn->fd >= 0) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, cn->fd, NULL);
        close(cn->fd);
    }
    while (cn->calls)
        call_detach(cn->calls);
    nghttp2_session_del(cn->h2);
    if (cn->tls)
        gtls_conn_free(cn->tls);
    seal_free(cn->out);
    if (cn->prev)
        cn->prev->next = cn->next;
    else if (s->conns == cn)
        s->conns = cn->next;
    if (cn->next)
        cn->next->prev = cn->prev;
    s->nconns--;
    atomic_fetch_sub(&s->st_conns, 1);
    seal_free(cn);
}

/* ------------------------------------------------------------ responses */

typedef struct nvlist {
    nghttp2_nv *nv;
    size_t n, cap;
} nvlist;

static void nv_add(nvlist *l, const char *name, const char *value, size_t vlen)
{
    if (l->n == l->cap)
        return; /* sized by the caller */
    nghttp2_nv *v = &l->nv[l->n++];
    v->name = (uint8_t *)(uintptr_t)name;
    v->namelen = strlen(name);
    v->value = (uint8_t *)(uintptr_t)value;
    v->valuelen = vlen;
    v->flags = NGHTTP2_NV_FLAG_NONE;
}

static void nv_add_md(nvlist *l, const gw_md *md)
{
    for (size_t i = 0; i < md->n; i++)
        nv_add(l, md->kv[i].name, md->kv[i].value, md->kv[i].value_len);
}

/* The call's final status: an abort decided on the I/O thread wins over the
 * handler's result. Called with c->mu held. */
static void final_status(gs_call *c, int *code, const char **msg)
{
    if (c->aborted) {
        *code = c->abort_code;
        *msg = c->abort_msg;
    } else {
        *code = c->status;
        *msg = c->status_msg;
    }
}

/* Fills grpc-status / grpc-message; |pct| receives the allocation to free. */
static void nv_add_status(nvlist *l, int code, const char *msg, char codebuf[8], char **pct)
{
    snprintf(codebuf, 8, "%d", code);
    nv_add(l, "grpc-status", codebuf, strlen(codebuf));
    *pct = NULL;
    if (msg && *msg) {
        *pct = gw_pct_encode(msg, strlen(msg));
        if (*pct)
            nv_add(l, "grpc-message", *pct, strlen(*pct));
    }
}

/* Trailers-Only response (one HEADERS frame with END_STREAM). */
static void submit_trailers_only(gs_call *c, int http_status)
{
    struct gs_conn *cn = c->conn;
    gs_server *s = c->srv;
    pthread_mutex_lock(&c->mu);
    c->headers_out = true;
    int code;
    const char *msg;
    final_status(c, &code, &msg);
    size_t cap = 6 + s->extra_hdrs.n + c->resp_md.n + c->trailer_md.n;
    nghttp2_nv *arr = seal_malloc(cap * sizeof(nghttp2_nv));
    nvlist l = {arr, 0, arr ? cap : 0};
    char st[8], codebuf[8];
    char *pct = NULL;
    snprintf(st, sizeof(st), "%d", http_status);
    nv_add(&l, ":status", st, strlen(st));
    nv_add(&l, "content-type", "application/grpc", 16);
    nv_add_md(&l, &s->extra_hdrs);
    nv_add_md(&l, &c->resp_md);
    nv_add_status(&l, code, msg, codebuf, &pct);
    nv_add_md(&l, &c->trailer_md);
    int rv = arr ? nghttp2_submit_response(cn->h2, c->stream_id, arr, l.n, NULL) : -1;
    pthread_mutex_unlock(&c->mu);
    seal_free(pct);
    seal_free(arr);
    c->responded = true;
    c->trailers_sent = true;
    gs_server_untrack_deadline(c);
    if (rv != 0) {
        nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_INTERNAL_ERROR);
        c->rst_sent = true;
    }
    gs_conn_mark_dirty(cn);
}

/* Submits trailers; called with c->mu held from the data source callback. */
static void submit_trailers_locked(gs_call *c)
{
    struct gs_conn *cn = c->conn;
    int code;
    const char *msg;
    final_status(c, &code, &msg);
    size_t cap = 2 + c->trailer_md.n;
    nghttp2_nv *arr = seal_malloc(cap * sizeof(nghttp2_nv));
    nvlist l = {arr, 0, arr ? cap : 0};
    char codebuf[8];
    char *pct = NULL;
    nv_add_status(&l, code, msg, codebuf, &pct);
    nv_add_md(&l, &c->trailer_md);
    int rv = arr ? nghttp2_submit_trailer(cn->h2, c->stream_id, arr, l.n) : -1;
    seal_free(pct);
    seal_free(arr);
    c->trailers_sent = true;
    gs_server_untrack_deadline(c);
    if (rv != 0) {
        nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_INTERNAL_ERROR);
        c->rst_sent = true;
    }
}

static ssize_t data_source_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                                size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                                void *user_data)
{
    gs_call *c = source->ptr;
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    size_t before = c->out_bytes;
    if (c->aborted) { /* drop whole messages not started; finish a started one */
        gs_chunk *keep = (c->out_head && c->out_head->off > 0) ? c->out_head : NULL;
        gs_chunk *ch = keep ? keep->next : c->out_head;
        while (ch) {
            gs_chunk *nx = ch->next;
            c->out_bytes -= ch->len;
            gs_chunk_free(ch);
            ch = nx;
        }
        if (keep)
            keep->next = NULL;
        c->out_head = c->out_tail = keep;
    }
    while (n < length && c->out_head) {
        gs_chunk *ch = c->out_head;
        size_t take = SEAL_MIN(length - n, ch->len - ch->off);
        memcpy(buf + n, ch->data + ch->off, take);
        ch->off += take;
        n += take;
        c->out_bytes -= take;
        if (ch->off == ch->len) {
            c->out_head = ch->next;
            if (!c->out_head)
                c->out_tail = NULL;
            gs_chunk_free(ch);
        }
    }
    if (c->out_bytes < before)
        pthread_cond_broadcast(&c->cv);
    bool done = c->handler_done || c->aborted;
    if (n == 0 && !c->out_head && !done) {
        pthread_mutex_unlock(&c->mu);
        return NGHTTP2_ERR_DEFERRED;
    }
    if (!c->out_head && done) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        submit_trailers_locked(c);
    }
    pthread_mutex_unlock(&c->mu);
    return (ssize_t)n;
}

static void submit_response_with_data(gs_call *c)
{
    struct gs_conn *cn = c->conn;
    gs_server *s = c->srv;
    pthread_mutex_lock(&c->mu);
    c->headers_out = true;
    size_t cap = 2 + s->extra_hdrs.n + c->resp_md.n;
    nghttp2_nv *arr = seal_malloc(cap * sizeof(nghttp2_nv));
    nvlist l = {arr, 0, arr ? cap : 0};
    nv_add(&l, ":status", "200", 3);
    nv_add(&l, "content-type", "application/grpc", 16);
    nv_add_md(&l, &s->extra_hdrs);
    nv_add_md(&l, &c->resp_md);
    pthread_mutex_unlock(&c->mu);
    nghttp2_data_provider prd;
    prd.source.ptr = c;
    prd.read_callback = data_source_read;
    int rv = arr ? nghttp2_submit_response(cn->h2, c->stream_id, arr, l.n, &prd) : -1;
    seal_free(arr);
    c->responded = true;
    if (rv != 0) {
        nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_INTERNAL_ERROR);
        c->rst_sent = true;
    }
    gs_conn_mark_dirty(cn);
}

void gs_call_kick(gs_call *c)
{
    struct gs_conn *cn = c->conn;
    if (!cn || c->closed || cn->dead)
        return;
    if (c->deadline && !c->aborted && gw_now_ms() >= c->deadline) {
        /* The deadline is authoritative even if the worker noticed it first. */
        gs_call_abort(c, GW_DEADLINE_EXCEEDED, "context deadline exceeded");
        return;
    }
    pthread_mutex_lock(&c->mu);
    bool want_rst = c->want_rst;
    bool want_consume = c->want_consume;
    c->want_consume = false;
    bool has_out = c->out_head != NULL;
    bool done = c->handler_done;
    pthread_mutex_unlock(&c->mu);
    if (want_consume && c->unconsumed > 0) {
        nghttp2_session_consume_stream(cn->h2, c->stream_id, c->unconsumed);
        c->unconsumed = 0;
    }
    if (want_rst && !c->rst_sent && !c->trailers_sent) {
        nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, c->stream_id, NGHTTP2_CANCEL);
        c->rst_sent = true;
    } else if (!c->trailers_sent && !c->rst_sent) {
        if (!c->responded) {
            if (has_out)
                submit_response_with_data(c);
            else if (done || c->aborted)
                submit_trailers_only(c, 200);
        } else {
            nghttp2_session_resume_data(cn->h2, c->stream_id);
        }
    }
    gs_conn_mark_dirty(cn);
}

static void call_abort_http(gs_call *c, int http_status, int code, const char *msg)
{
    if (c->aborted || c->trailers_sent || c->closed || !c->conn)
        return;
    c->aborted = true;
    c->abort_code = code;
    c->abort_msg = seal_strdup(msg);
    gs_server_untrack_deadline(c);
    pthread_mutex_lock(&c->mu);
    c->cancelled = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->rst_sent)
        return;
    if (!c->responded)
        submit_trailers_only(c, http_status);
    else
        nghttp2_session_resume_data(c->conn->h2, c->stream_id);
    gs_conn_mark_dirty(c->conn);
}

void gs_call_abort(gs_call *c, int code, const char *msg)
{
    call_abort_http(c, 200, code, msg);
}

/* --------------------------------------------------------- request side */

static gs_call *stream_call(nghttp2_session *session, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(session, stream_id);
}

static void dispatch(gs_call *c)
{
    c->dispatched = true;
    gs_call_ref(c);
    gs_server_handler_started(c->srv);
    if (c->m->io_inline && c->m->kind == GS_UNARY && gs_call_run_inline(c))
        return;
    int rc = gs_pool_submit(c->srv->pool, gs_call_run, c);
    if (rc != 0) {
        gs_call_unref(c);
        gs_server_handler_done(c->srv);
        gs_call_abort(c, GW_UNAVAILABLE,
                      rc == SEAL_ECLOSED ? "server is shutting down" : "server out of memory");
    }
}

static void on_request_headers(gs_call *c)
{
    gs_server *s = c->srv;
    char msg[512];
    c->headers_done = true;
    if (c->hdr_too_big) {
        call_abort_http(c, 431, GW_RESOURCE_EXHAUSTED, "request header list too large");
        return;
    }
    if (!c->http_method || strcmp(c->http_method, "POST") != 0) {
        snprintf(msg, sizeof(msg), "method %s not allowed: gRPC requires POST",
                 c->http_method ? c->http_method : "(none)");
        call_abort_http(c, 405, GW_UNIMPLEMENTED, msg);
        return;
    }
    const char *ct = gw_md_get(&c->req_md, "content-type");
    char sub[32];
    if (!gw_content_type_ok(ct, sub, sizeof(sub))) {
        snprintf(msg, sizeof(msg), "invalid gRPC request content-type \"%.200s\"", ct ? ct : "");
        call_abort_http(c, 415, GW_INVALID_ARGUMENT, msg);
        return;
    }
    if (c->bad_timeout) {
        snprintf(msg, sizeof(msg), "transport: malformed grpc-timeout: \"%.100s\"",
                 gw_md_get(&c->req_md, "grpc-timeout"));
        gs_call_abort(c, GW_INTERNAL, msg);
        return;
    }
    const char *enc = gw_md_get(&c->req_md, "grpc-encoding");
    if (enc && strcmp(enc, "identity") != 0) {
        snprintf(msg, sizeof(msg),
                 "grpc: Decompressor is not installed for grpc-encoding \"%.100s\"", enc);
        gs_call_abort(c, GW_UNIMPLEMENTED, msg);
        return;
    }
    bool svc_known = false;
    const gs_method *m = c->path ? gs_server_lookup(s, c->path, &svc_known) : NULL;
    if (!m) {
        const char *p = c->path ? c->path : "";
        const char *slash = (*p == '/') ? strchr(p + 1, '/') : NULL;
        if (svc_known && slash)
            snprintf(msg, sizeof(msg), "unknown method %.200s for service %.*s", slash + 1,
                     (int)SEAL_MIN((size_t)200, (size_t)(slash - p - 1)), p + 1);
        else
            snprintf(msg, sizeof(msg), "unknown service %.*s",
                     (int)SEAL_MIN((size_t)200, slash ? (size_t)(slash - p - 1) : strlen(p)),
                     *p == '/' ? p + 1 : p);
        gs_call_abort(c, GW_UNIMPLEMENTED, msg);
        return;
    }
    c->m = m;
    if (!m->fn) {
        const char *name = strrchr(c->path, '/');
        snprintf(msg, sizeof(msg), "method %.200s not implemented", name ? name + 1 : c->path);
        gs_call_abort(c, GW_UNIMPLEMENTED, msg);
        return;
    }
    if (c->deadline) {
        if (gw_now_ms() >= c->deadline) {
            gs_call_abort(c, GW_DEADLINE_EXCEEDED, "context deadline exceeded");
            return;
        }
        gs_server_track_deadline(c);
    }
    if (m->kind == GS_CLIENT_STREAM || m->kind == GS_BIDI_STREAM)
        dispatch(c);
}

static void on_request_end(gs_call *c)
{
    c->remote_closed = true;
    if (c->aborted || c->trailers_sent || !c->m)
        return;
    if (gw_reader_partial(&c->rd)) {
        gs_call_abort(c, GW_INTERNAL, "grpc: request stream ended inside a message");
        return;
    }
    if (c->m->kind == GS_UNARY || c->m->kind == GS_SERVER_STREAM) {
        if (c->nmsgs != 1) {
            gs_call_abort(c, GW_INTERNAL,
                          "grpc: a unary request must carry exactly one message, got none");
            return;
        }
        dispatch(c);
    } else {
        pthread_mutex_lock(&c->mu);
        c->in_eof = true;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

static int cb_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct gs_conn *cn = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    gs_call *c = gs_call_new(cn->srv, cn, frame->hd.stream_id);
    if (!c)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    c->cnext = cn->calls;
    if (cn->calls)
        cn->calls->cprev = c;
    cn->calls = c;
    cn->ncalls++;
    atomic_fetch_add(&cn->srv->st_calls, 1);
    atomic_fetch_add(&cn->srv->st_active, 1);
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, c);
    return 0;
}

static bool name_is(const uint8_t *name, size_t len, const char *lit)
{
    size_t l = strlen(lit);
    return len == l && memcmp(name, lit, l) == 0;
}

static int cb_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    gs_call *c = stream_call(session, frame->hd.stream_id);
    if (!c || frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers from the client carry nothing we use */
    c->hdr_bytes += namelen + valuelen + 32;
    if (c->hdr_bytes > c->srv->cfg.max_header_list) {
        c->hdr_too_big = true;
        return 0;
    }
    if (namelen > 0 && name[0] == ':') {
        if (name_is(name, namelen, ":path")) {
            seal_free(c->path);
            c->path = seal_malloc(valuelen + 1);
            if (!c->path)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            memcpy(c->path, value, valuelen);
            c->path[valuelen] = 0;
        } else if (name_is(name, namelen, ":method")) {
            seal_free(c->http_method);
            c->http_method = seal_malloc(valuelen + 1);
            if (!c->http_method)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            memcpy(c->http_method, value, valuelen);
            c->http_method[valuelen] = 0;
        }
        return 0;
    }
    if (name_is(name, namelen, "grpc-timeout")) {
        int64_t ms;
        if (gw_timeout_parse((const char *)value, valuelen, &ms) == 0)
            c->deadline = gw_now_ms() + ms;
        else
            c->bad_timeout = true;
    }
    if (gw_md_add(&c->req_md, (const char *)name, namelen, (const char *)value, valuelen) != 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int cb_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct gs_conn *cn = user_data;
    cn->h2_started = true;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    gs_call *c = stream_call(session, frame->hd.stream_id);
    if (!c)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        on_request_headers(c);
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        on_request_end(c);
    return 0;
}

static void deliver(gs_call *c, gw_msg *m)
{
    if (c->m->kind == GS_UNARY || c->m->kind == GS_SERVER_STREAM) {
        if (++c->nmsgs > 1) {
            gw_msg_free(m);
            gs_call_abort(c, GW_INTERNAL,
                          "grpc: a unary request must carry exactly one message, got more");
            return;
        }
        c->req = m;
        return;
    }
    pthread_mutex_lock(&c->mu);
    if (c->in_tail)
        c->in_tail->next = m;
    else
        c->in_head = m;
    c->in_tail = m;
    c->in_bytes += m->len;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static int cb_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user_data)
{
    nghttp2_session_consume_connection(session, len);
    gs_call *c = stream_call(session, stream_id);
    if (!c || !c->m || c->aborted || c->trailers_sent) {
        nghttp2_session_consume_stream(session, stream_id, len);
        return 0;
    }
    size_t off = 0;
    char msg[256];
    while (off < len && !c->aborted) {
        gw_msg *m = NULL;
        size_t used = 0;
        int rc = gw_reader_feed(&c->rd, data + off, len - off, &used, &m);
        off += used;
        if (rc == 1) {
            deliver(c, m);
            continue;
        }
        if (rc == 0)
            break;
        if (rc == SEAL_ELIMIT)
            snprintf(msg, sizeof(msg), "grpc: received message larger than max (%u vs. %zu)",
                     c->rd.bad_len, c->srv->cfg.max_recv_msg);
        else if (rc == SEAL_EUNSUPPORTED)
            snprintf(msg, sizeof(msg),
                     "grpc: compressed flag set with identity or empty encoding (compression "
                     "is not supported)");
        else if (rc == SEAL_EPROTOCOL)
            snprintf(msg, sizeof(msg), "grpc: invalid message flag %u", c->rd.flag);
        else
            snprintf(msg, sizeof(msg), "server out of memory");
        int code = rc == SEAL_ELIMIT || rc == SEAL_ENOMEM ? GW_RESOURCE_EXHAUSTED
                   : rc == SEAL_EUNSUPPORTED              ? GW_UNIMPLEMENTED
                                                          : GW_INTERNAL;
        gs_call_abort(c, code, msg);
        break;
    }
    bool defer = false;
    if (!c->aborted && (c->m->kind == GS_CLIENT_STREAM || c->m->kind == GS_BIDI_STREAM)) {
        pthread_mutex_lock(&c->mu);
        defer = c->in_bytes >= c->srv->cfg.out_buffer;
        pthread_mutex_unlock(&c->mu);
    }
    if (defer)
        c->unconsumed += len;
    else
        nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
}

static int cb_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    gs_call *c = stream_call(session, stream_id);
    if (!c)
        return 0;
    nghttp2_session_set_stream_user_data(session, stream_id, NULL);
    call_detach(c);
    return 0;
}

static int cb_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    gs_call *c = stream_call(session, frame->hd.stream_id);
    /* Our side is done while the client still sends: tell it to stop. */
    if (c && !c->remote_closed && !c->rst_sent) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_NO_ERROR);
        c->rst_sent = true;
    }
    return 0;
}

static int cb_error(nghttp2_session *session, int lib_error_code, const char *msg, size_t len,
                    void *user_data)
{
    struct gs_conn *cn = user_data;
    SEAL_LOGD("grpc", "%s: http2: %.*s", cn->peer, (int)len, msg);
    return 0;
}

int gs_h2_callbacks_new(nghttp2_session_callbacks **out)
{
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return SEAL_ENOMEM;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
    nghttp2_session_callbacks_set_error_callback2(cbs, cb_error);
    *out = cbs;
    return 0;
}

/* ------------------------------------------------------------ lifecycle */

int gs_conn_new(struct gs_conn **out, gs_server *s, int fd, const char *peer)
{
    struct gs_conn *cn = seal_calloc(1, sizeof(*cn));
    if (!cn)
        return SEAL_ENOMEM;
    cn->ep.kind = GS_EP_CONN;
    cn->srv = s;
    cn->fd = fd;
    cn->created = cn->last_active = gw_now_ms();
    snprintf(cn->peer, sizeof(cn->peer), "%s", peer);
    int rc = SEAL_ENOMEM;
    if (nghttp2_session_server_new2(&cn->h2, s->cbs, cn, s->h2opt) != 0) {
        cn->h2 = NULL;
        goto fail;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->cfg.max_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, s->cfg.stream_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, s->cfg.max_header_list},
    };
    if (nghttp2_submit_settings(cn->h2, NGHTTP2_FLAG_NONE, iv, SEAL_ARRAY_LEN(iv)) != 0)
        goto fail;
    if (s->cfg.conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE &&
        nghttp2_session_set_local_window_size(cn->h2, NGHTTP2_FLAG_NONE, 0,
                                              (int32_t)s->cfg.conn_window) != 0)
        goto fail;
    if (s->cfg.tls) {
        rc = gtls_conn_new(&cn->tls, s->cfg.tls);
        if (rc != 0) {
            cn->tls = NULL;
            goto fail;
        }
    }
    if (fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cn->ep};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            rc = SEAL_EIO;
            goto fail;
        }
    }
    cn->next = s->conns;
    if (s->conns)
        s->conns->prev = cn;
    s->conns = cn;
    s->nconns++;
    atomic_fetch_add(&s->st_conns, 1);
    *out = cn;
    return 0;
fail:
    if (cn->tls)
        gtls_conn_free(cn->tls);
    if (cn->h2)
        nghttp2_session_del(cn->h2);
    seal_free(cn);
    return rc;
}

int gs_conn_feed(struct gs_conn *cn, const uint8_t *p, size_t n)
{
    if (cn->dead)
        return SEAL_ECLOSED;
    ssize_t rv = nghttp2_session_mem_recv(cn->h2, p, n);
    if (rv < 0) {
        SEAL_LOGD("grpc", "%s: closing: %s", cn->peer, nghttp2_strerror((int)rv));
        return SEAL_EPROTOCOL;
    }
    return 0;
}

/* Bytes from the socket: through TLS when configured, then into HTTP/2. */
static int conn_input(struct gs_conn *cn, const uint8_t *p, size_t n)
{
    if (!cn->tls)
        return gs_conn_feed(cn, p, n);
    if (gtls_feed(cn->tls, p, n) != 0)
        return SEAL_EPROTOCOL;
    if (!cn->tls_done) {
        int r = gtls_handshake(cn->tls);
        (void)tls_pull(cn);
        if (r < 0) {
            SEAL_LOGD("grpc", "%s: TLS handshake failed: %s", cn->peer, gtls_error(cn->tls));
            return SEAL_EPROTOCOL;
        }
        if (r == 0)
            return 0;
        cn->tls_done = true;
    }
    uint8_t *buf = cn->srv->tbuf;
    for (;;) {
        long m = gtls_read(cn->tls, buf, GS_RBUF);
        if (m < 0)
            return SEAL_ECLOSED;
        if (m == 0)
            return 0;
        int rc = gs_conn_feed(cn, buf, (size_t)m);
        if (rc != 0)
            return rc;
    }
}

void gs_conn_on_event(struct gs_conn *cn, uint32_t events)
{
    if (cn->dead)
        return;
    if (events & EPOLLERR) {
        gs_conn_close(cn);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) {
        uint8_t *buf = cn->srv->rbuf;
        for (int i = 0; i < GS_READ_BUDGET && !cn->dead; i++) {
            ssize_t n = recv(cn->fd, buf, GS_RBUF, 0);
            if (n == 0) {
                gs_conn_close(cn);
                return;
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                gs_conn_close(cn);
                return;
            }
            cn->last_active = gw_now_ms();
            if (conn_input(cn, buf, (size_t)n) != 0) {
                gs_conn_flush(cn); /* best effort: a GOAWAY or TLS alert */
                gs_conn_close(cn);
                return;
            }
            if ((size_t)n < GS_RBUF)
                break;
        }
    }
    gs_conn_flush(cn);
}
