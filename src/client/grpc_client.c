/* grpc_client.c - blocking gRPC client transport: a TCP (optionally TLS)
 * connection driving an nghttp2 client session with poll(), streams with
 * bounded send and receive queues, flow-control window given back as the
 * application reads, deadlines, and status resolution (trailers,
 * Trailers-Only, HTTP status, stream resets). */
#include "client/grpc_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "client/gtls.h"
#include "common/common.h"

#define GC_RBUF  65536
#define GC_HIWAT (1u << 20) /* queued bytes per stream before send/recv back off */

typedef struct gc_chunk {
    struct gc_chunk *next;
    size_t len, off;
    uint8_t *data;
} gc_chunk;

struct gc_conn {
    int fd;
    nghttp2_session *h2;
    cry_tls_conn *tls;
    uint8_t *rbuf, *tbuf;
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    bool broken;
    char *authority;
    bool use_tls;
    size_t max_recv;
    uint32_t window;
};

struct gc_stream {
    gc_conn *c;
    int32_t id;
    gc_chunk *out_head, *out_tail;
    size_t out_bytes;
    bool send_closed;
    gw_reader rd;
    gw_msg *in_head, *in_tail;
    size_t in_bytes;
    size_t unconsumed;
    int http_status;
    gw_md headers, trailers;
    bool remote_closed, closed;
    uint32_t rst_code;
    int64_t deadline; /* local, monotonic ms; 0 none */
    int local_code;   /* a status decided here */
    char *local_msg;
};

void gc_status_free(gc_status *st)
{
    if (!st)
        return;
    seal_free(st->message);
    gw_md_free(&st->headers);
    gw_md_free(&st->trailers);
    memset(st, 0, sizeof(*st));
}

bool gc_alive(gc_conn *c)
{
    return c && !c->broken && nghttp2_session_want_read(c->h2);
}

/* ------------------------------------------------------------------- I/O */

static int out_append(gc_conn *c, const uint8_t *p, size_t n)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        if (c->out_off) {
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        size_t ncap = c->out_cap ? c->out_cap : 16384;
        while (ncap < c->out_len + n)
            ncap *= 2;
        if (ncap != c->out_cap) {
            uint8_t *nb = seal_realloc(c->out, ncap);
            if (!nb)
                return SEAL_ENOMEM;
            c->out = nb;
            c->out_cap = ncap;
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static int tls_pull(gc_conn *c)
{
    uint8_t tmp[16384];
    for (;;) {
        long n = gtls_take_out(c->tls, tmp, sizeof(tmp));
        if (n < 0)
            return SEAL_EPROTOCOL;
        if (n == 0)
            return 0;
        int rc = out_append(c, tmp, (size_t)n);
        if (rc)
            return rc;
    }
}

/* Moves frames from nghttp2 into the out buffer and writes what the socket
 * takes without blocking. */
static int conn_flush(gc_conn *c)
{
    if (c->broken)
        return SEAL_EIO;
    while (c->out_len - c->out_off < (256u << 10)) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(c->h2, &d);
        if (n < 0) {
            c->broken = true;
            return SEAL_EIO;
        }
        if (n == 0)
            break;
        int rc;
        if (c->tls) {
            rc = gtls_write(c->tls, d, (size_t)n);
            if (rc == 0)
                rc = tls_pull(c);
        } else {
            rc = out_append(c, d, (size_t)n);
        }
        if (rc) {
            c->broken = true;
            return rc;
        }
    }
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            c->broken = true;
            return SEAL_EIO;
        }
        c->out_off += (size_t)w;
    }
    return 0;
}

static int conn_input(gc_conn *c, const uint8_t *p, size_t n)
{
    if (!c->tls) {
        ssize_t rv = nghttp2_session_mem_recv(c->h2, p, n);
        return rv < 0 ? SEAL_EPROTOCOL : 0;
    }
    if (gtls_feed(c->tls, p, n) != 0)
        return SEAL_EPROTOCOL;
    for (;;) {
        long m = gtls_read(c->tls, c->tbuf, GC_RBUF);
        if (m < 0)
            return SEAL_ECLOSED;
        if (m == 0)
            return 0;
        ssize_t rv = nghttp2_session_mem_recv(c->h2, c->tbuf, (size_t)m);
        if (rv < 0)
            return SEAL_EPROTOCOL;
    }
}

/* One round: flush, wait up to |ms| for the socket, read, flush. */
static int pump(gc_conn *c, int ms)
{
    int rc = conn_flush(c);
    if (rc)
        return rc;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (c->out_off < c->out_len || nghttp2_session_want_write(c->h2))
        pfd.events |= POLLOUT;
    int n = poll(&pfd, 1, ms < 0 ? 0 : ms);
    if (n < 0)
        return errno == EINTR ? 0 : SEAL_EIO;
    if (n == 0)
        return 0;
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        for (int i = 0; i < 16; i++) {
            ssize_t r = recv(c->fd, c->rbuf, GC_RBUF, 0);
            if (r == 0) {
                c->broken = true;
                return SEAL_EIO;
            }
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                c->broken = true;
                return SEAL_EIO;
            }
            if (conn_input(c, c->rbuf, (size_t)r) != 0) {
                c->broken = true;
                return SEAL_EIO;
            }
            if ((size_t)r < GC_RBUF)
                break;
        }
    }
    return conn_flush(c);
}

int gc_poll(gc_conn *c, int ms)
{
    int64_t end = gw_now_ms() + ms;
    do {
        int rc = pump(c, (int)SEAL_MAX(0, end - gw_now_ms()));
        if (rc)
            return rc;
    } while (gw_now_ms() < end);
    return c->broken ? SEAL_EIO : 0;
}

/* ------------------------------------------------------------- callbacks */

static gc_stream *get_stream(nghttp2_session *h2, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h2, id);
}

static void set_local(gc_stream *s, int code, const char *msg)
{
    if (s->local_code)
        return;
    s->local_code = code;
    s->local_msg = seal_strdup(msg);
}

static int cb_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    gc_stream *s = get_stream(h2, f->hd.stream_id);
    if (!s || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        s->http_status = st;
        return 0;
    }
    gw_md *md = f->headers.cat == NGHTTP2_HCAT_RESPONSE ? &s->headers : &s->trailers;
    if (gw_md_add(md, (const char *)name, namelen, (const char *)value, valuelen) != 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int cb_frame_recv(nghttp2_session *h2, const nghttp2_frame *f, void *ud)
{
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
        return 0;
    gc_stream *s = get_stream(h2, f->hd.stream_id);
    if (s && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        s->remote_closed = true;
    return 0;
}

static int cb_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    nghttp2_session_consume_connection(h2, len);
    gc_stream *s = get_stream(h2, id);
    if (!s || s->local_code) {
        nghttp2_session_consume_stream(h2, id, len);
        return 0;
    }
    size_t off = 0;
    while (off < len) {
        gw_msg *m = NULL;
        size_t used = 0;
        int rc = gw_reader_feed(&s->rd, data + off, len - off, &used, &m);
        off += used;
        if (rc == 1) {
            if (s->in_tail)
                s->in_tail->next = m;
            else
                s->in_head = m;
            s->in_tail = m;
            s->in_bytes += m->len;
            continue;
        }
        if (rc == 0)
            break;
        char msg[160];
        if (rc == SEAL_ELIMIT)
            snprintf(msg, sizeof(msg), "grpc: received message larger than max (%u vs. %zu)",
                     s->rd.bad_len, s->rd.max_len);
        else
            snprintf(msg, sizeof(msg), "grpc: bad message framing from the server (%s)",
                     seal_strerror(rc));
        set_local(s, rc == SEAL_ELIMIT ? GW_RESOURCE_EXHAUSTED : GW_INTERNAL, msg);
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        break;
    }
    if (s->in_bytes >= GC_HIWAT)
        s->unconsumed += len;
    else
        nghttp2_session_consume_stream(h2, id, len);
    return 0;
}

static int cb_stream_close(nghttp2_session *h2, int32_t id, uint32_t code, void *ud)
{
    gc_stream *s = get_stream(h2, id);
    if (s) {
        s->closed = true;
        s->rst_code = code;
    }
    return 0;
}

static ssize_t data_read(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    gc_stream *s = get_stream(h2, id);
    if (!s)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = 0;
    while (n < length && s->out_head) {
        gc_chunk *ch = s->out_head;
        size_t take = SEAL_MIN(length - n, ch->len - ch->off);
        memcpy(buf + n, ch->data + ch->off, take);
        ch->off += take;
        n += take;
        s->out_bytes -= take;
        if (ch->off == ch->len) {
            s->out_head = ch->next;
            if (!s->out_head)
                s->out_tail = NULL;
            seal_free(ch->data);
            seal_free(ch);
        }
    }
    if (!s->out_head && s->send_closed) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    if (n == 0)
        return NGHTTP2_ERR_DEFERRED;
    return (ssize_t)n;
}

/* ----------------------------------------------------------- connecting */

static int tcp_connect(const char *host, int port, int64_t deadline, int *out)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, ps, &hints, &res) != 0)
        return SEAL_EIO;
    int rc = SEAL_EIO;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int left = (int)SEAL_MAX(0, deadline - gw_now_ms());
        int n = poll(&pfd, 1, left);
        int err = 0;
        socklen_t el = sizeof(err);
        if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            *out = fd;
            rc = 0;
            break;
        }
        close(fd);
        rc = n == 0 ? SEAL_ETIMEOUT : SEAL_EIO;
    }
    freeaddrinfo(res);
    return rc;
}

static int tls_handshake(gc_conn *c, int64_t deadline)
{
    for (;;) {
        int r = gtls_handshake(c->tls);
        if (tls_pull(c) != 0)
            return SEAL_EIO;
        while (c->out_off < c->out_len) {
            ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                return SEAL_EIO;
            if (w > 0)
                c->out_off += (size_t)w;
            else {
                struct pollfd p = {.fd = c->fd, .events = POLLOUT};
                poll(&p, 1, 100);
            }
        }
        c->out_off = c->out_len = 0;
        if (r < 0) {
            SEAL_LOGD("grpc", "TLS handshake failed: %s", gtls_error(c->tls));
            return SEAL_EIO;
        }
        if (r == 1)
            break;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int left = (int)(deadline - gw_now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return SEAL_ETIMEOUT;
        ssize_t n = recv(c->fd, c->rbuf, GC_RBUF, 0);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            return SEAL_EIO;
        }
        if (gtls_feed(c->tls, c->rbuf, (size_t)n) != 0)
            return SEAL_EIO;
    }
    const char *alpn = gtls_alpn(c->tls);
    if (!alpn || strcmp(alpn, "h2") != 0)
        return SEAL_EPROTOCOL;
    return 0;
}

int gc_connect(gc_conn **out, const char *host, int port, const gc_opts *opts)
{
    gc_opts o;
    if (opts)
        o = *opts;
    else
        memset(&o, 0, sizeof(o));
    if (o.connect_timeout_ms <= 0)
        o.connect_timeout_ms = 10000;
    if (!o.max_recv_msg)
        o.max_recv_msg = 32u << 20;
    if (!o.stream_window)
        o.stream_window = 1u << 20;
    gc_conn *c = seal_calloc(1, sizeof(*c));
    if (!c)
        return SEAL_ENOMEM;
    c->fd = -1;
    c->max_recv = o.max_recv_msg;
    c->window = o.stream_window;
    int rc = SEAL_ENOMEM;
    char auth[300];
    if (o.authority)
        snprintf(auth, sizeof(auth), "%s", o.authority);
    else
        snprintf(auth, sizeof(auth), "%s:%d", host, port);
    c->authority = seal_strdup(auth);
    c->rbuf = seal_malloc(GC_RBUF);
    c->tbuf = seal_malloc(GC_RBUF);
    if (!c->authority || !c->rbuf || !c->tbuf)
        goto fail;
    int64_t deadline = gw_now_ms() + o.connect_timeout_ms;
    rc = tcp_connect(host, port, deadline, &c->fd);
    if (rc)
        goto fail;
    if (o.tls) {
        c->use_tls = true;
        rc = gtls_conn_new(&c->tls, o.tls);
        if (rc) {
            c->tls = NULL;
            goto fail;
        }
        rc = tls_handshake(c, deadline);
        if (rc)
            goto fail;
    }
    nghttp2_session_callbacks *cbs = NULL;
    nghttp2_option *opt = NULL;
    rc = SEAL_ENOMEM;
    if (nghttp2_session_callbacks_new(&cbs) != 0)
        goto fail;
    nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        goto fail;
    }
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_max_send_header_block_length(opt, 1u << 20);
    int hrc = nghttp2_session_client_new2(&c->h2, cbs, c, opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_option_del(opt);
    if (hrc != 0) {
        c->h2 = NULL;
        goto fail;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, c->window},
    };
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, SEAL_ARRAY_LEN(iv)) != 0 ||
        nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 16 << 20) != 0)
        goto fail;
    rc = conn_flush(c);
    if (rc)
        goto fail;
    *out = c;
    return 0;
fail:
    gc_close(c);
    return rc;
}

void gc_close(gc_conn *c)
{
    if (!c)
        return;
    if (c->h2) {
        if (!c->broken) {
            nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
            conn_flush(c);
        }
        nghttp2_session_del(c->h2);
    }
    if (c->tls)
        gtls_conn_free(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    seal_free(c->out);
    seal_free(c->rbuf);
    seal_free(c->tbuf);
    seal_free(c->authority);
    seal_free(c);
}

/* --------------------------------------------------------------- streams */

int gc_stream_open(gc_conn *c, const char *path, const gc_call_opts *o, gc_stream **out)
{
    if (!gc_alive(c))
        return SEAL_ECLOSED;
    gc_stream *s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    s->c = c;
    gw_reader_init(&s->rd, c->max_recv);
    const gw_md *md = o ? o->md : NULL;
    size_t cap = 8 + (md ? md->n : 0);
    nghttp2_nv *nv = seal_malloc(cap * sizeof(*nv));
    if (!nv) {
        seal_free(s);
        return SEAL_ENOMEM;
    }
    size_t k = 0;
#define NV(n_, v_, vl_)                                                                            \
    do {                                                                                           \
        nv[k].name = (uint8_t *)(uintptr_t)(n_);                                                   \
        nv[k].namelen = strlen(n_);                                                                \
        nv[k].value = (uint8_t *)(uintptr_t)(v_);                                                  \
        nv[k].valuelen = (vl_);                                                                    \
        nv[k].flags = NGHTTP2_NV_FLAG_NONE;                                                        \
        k++;                                                                                       \
    } while (0)
    const char *ct = (o && o->content_type) ? o->content_type : "application/grpc";
    char tmo[24];
    NV(":method", "POST", 4);
    NV(":scheme", c->use_tls ? "https" : "http", c->use_tls ? 5 : 4);
    NV(":path", path, strlen(path));
    NV(":authority", c->authority, strlen(c->authority));
    NV("content-type", ct, strlen(ct));
    NV("te", "trailers", 8);
    NV("user-agent", "sealdb-grpc-c/0.1", 17);
    if (o && o->timeout_ms > 0) {
        gw_timeout_format(tmo, sizeof(tmo), o->timeout_ms);
        NV("grpc-timeout", tmo, strlen(tmo));
        s->deadline = gw_now_ms() + o->timeout_ms + (o->local_grace_ms > 0 ? o->local_grace_ms : 0);
    }
    for (size_t i = 0; md && i < md->n; i++)
        NV(md->kv[i].name, md->kv[i].value, md->kv[i].value_len);
#undef NV
    nghttp2_data_provider prd;
    prd.source.ptr = s;
    prd.read_callback = data_read;
    int32_t id = nghttp2_submit_request(c->h2, NULL, nv, k, &prd, s);
    seal_free(nv);
    if (id < 0) {
        seal_free(s);
        return id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE ? SEAL_ECLOSED : SEAL_ENOMEM;
    }
    s->id = id;
    conn_flush(c);
    *out = s;
    return 0;
}

/* Local deadline: reset the stream and record DEADLINE_EXCEEDED. */
static bool check_deadline(gc_stream *s)
{
    if (!s->deadline || gw_now_ms() < s->deadline)
        return false;
    if (!s->closed) {
        nghttp2_submit_rst_stream(s->c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
        conn_flush(s->c);
    }
    set_local(s, GW_DEADLINE_EXCEEDED, "deadline exceeded (client)");
    return true;
}

static int wait_ms(gc_stream *s)
{
    if (!s->deadline)
        return 1000;
    return (int)SEAL_MAX(0, SEAL_MIN(s->deadline - gw_now_ms(), 1000));
}

static int queue_bytes(gc_stream *s, const uint8_t *pfx, size_t pl, const void *p, size_t n)
{
    if (s->send_closed || s->closed || s->remote_closed || s->local_code)
        return SEAL_ECLOSED;
    gc_chunk *ch = seal_calloc(1, sizeof(*ch));
    if (!ch)
        return SEAL_ENOMEM;
    ch->data = seal_malloc(pl + n + 1);
    if (!ch->data) {
        seal_free(ch);
        return SEAL_ENOMEM;
    }
    if (pl)
        memcpy(ch->data, pfx, pl);
    if (n)
        memcpy(ch->data + pl, p, n);
    ch->len = pl + n;
    if (s->out_tail)
        s->out_tail->next = ch;
    else
        s->out_head = ch;
    s->out_tail = ch;
    s->out_bytes += ch->len;
    nghttp2_session_resume_data(s->c->h2, s->id);
    /* Backpressure: keep at most GC_HIWAT queued beyond what the peer takes. */
    while (s->out_bytes > GC_HIWAT && !s->closed) {
        if (check_deadline(s))
            return SEAL_ETIMEOUT;
        int rc = pump(s->c, wait_ms(s));
        if (rc)
            return rc;
    }
    return conn_flush(s->c);
}

int gc_stream_send(gc_stream *s, const void *msg, size_t n)
{
    if (n > UINT32_MAX)
        return SEAL_ELIMIT;
    uint8_t pfx[GW_PREFIX_LEN];
    gw_put_prefix(pfx, 0, (uint32_t)n);
    return queue_bytes(s, pfx, sizeof(pfx), msg, n);
}

int gc_stream_send_raw(gc_stream *s, const void *p, size_t n)
{
    return queue_bytes(s, NULL, 0, p, n);
}

int gc_stream_close_send(gc_stream *s)
{
    if (s->send_closed)
        return 0;
    s->send_closed = true;
    if (!s->closed)
        nghttp2_session_resume_data(s->c->h2, s->id);
    return conn_flush(s->c);
}

static void give_back_window(gc_stream *s)
{
    if (s->unconsumed && s->in_bytes < GC_HIWAT && !s->closed) {
        nghttp2_session_consume_stream(s->c->h2, s->id, s->unconsumed);
        s->unconsumed = 0;
    }
}

int gc_stream_recv(gc_stream *s, uint8_t **msg, size_t *n)
{
    for (;;) {
        if (s->in_head) {
            gw_msg *m = s->in_head;
            s->in_head = m->next;
            if (!s->in_head)
                s->in_tail = NULL;
            s->in_bytes -= m->len;
            *msg = m->data;
            *n = m->len;
            seal_free(m);
            give_back_window(s);
            conn_flush(s->c);
            return 1;
        }
        if (s->local_code == GW_DEADLINE_EXCEEDED)
            return SEAL_ETIMEOUT;
        if (s->remote_closed || s->closed || s->local_code)
            return 0;
        if (check_deadline(s))
            return SEAL_ETIMEOUT;
        int rc = pump(s->c, wait_ms(s));
        if (rc) {
            set_local(s, GW_UNAVAILABLE, "connection closed");
            return rc;
        }
    }
}

int gc_stream_finish(gc_stream *s, gc_status *st)
{
    memset(st, 0, sizeof(*st));
    for (;;) {
        while (s->in_head) { /* discard unread messages */
            gw_msg *m = s->in_head;
            s->in_head = m->next;
            s->in_bytes -= m->len;
            gw_msg_free(m);
        }
        s->in_tail = NULL;
        give_back_window(s);
        if (s->remote_closed || s->closed || s->local_code)
            break;
        if (check_deadline(s))
            break;
        if (pump(s->c, wait_ms(s)) != 0) {
            set_local(s, GW_UNAVAILABLE, "connection closed");
            break;
        }
    }
    const char *gs = gw_md_get(&s->trailers, "grpc-status");
    const char *gm = gs ? gw_md_get(&s->trailers, "grpc-message") : NULL;
    if (!gs) {
        gs = gw_md_get(&s->headers, "grpc-status");
        gm = gw_md_get(&s->headers, "grpc-message");
    }
    st->http_status = s->http_status;
    char buf[160];
    const char *msg = NULL;
    if (s->local_code && !(gs && s->remote_closed)) {
        st->code = s->local_code;
        st->local = true;
        msg = s->local_msg;
    } else if (gs) {
        st->code = atoi(gs);
        msg = gm;
    } else if (s->http_status && s->http_status != 200) {
        st->code = gw_code_from_http(s->http_status);
        snprintf(buf, sizeof(buf), "unexpected HTTP status %d", s->http_status);
        msg = buf;
    } else if (s->closed && s->rst_code != NGHTTP2_NO_ERROR) {
        st->code = s->rst_code == NGHTTP2_REFUSED_STREAM ? GW_UNAVAILABLE
                   : s->rst_code == NGHTTP2_CANCEL       ? GW_CANCELLED
                                                         : GW_INTERNAL;
        snprintf(buf, sizeof(buf), "stream reset by the server: %s",
                 nghttp2_http2_strerror(s->rst_code));
        msg = buf;
    } else {
        st->code = GW_INTERNAL;
        msg = "server closed the stream without a status";
    }
    st->message = msg ? gw_pct_decode(msg, strlen(msg)) : seal_strdup("");
    st->headers = s->headers;
    st->trailers = s->trailers;
    memset(&s->headers, 0, sizeof(s->headers));
    memset(&s->trailers, 0, sizeof(s->trailers));
    if (!st->message)
        return SEAL_ENOMEM;
    return 0;
}

void gc_stream_free(gc_stream *s)
{
    if (!s)
        return;
    gc_conn *c = s->c;
    if (c->h2) {
        if (!s->closed && !c->broken) {
            nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
        }
        nghttp2_session_set_stream_user_data(c->h2, s->id, NULL);
        if (!c->broken)
            conn_flush(c);
    }
    for (gc_chunk *ch = s->out_head, *nx; ch; ch = nx) {
        nx = ch->next;
        seal_free(ch->data);
        seal_free(ch);
    }
    for (gw_msg *m = s->in_head, *nx; m; m = nx) {
        nx = m->next;
        gw_msg_free(m);
    }
    gw_reader_reset(&s->rd);
    gw_md_free(&s->headers);
    gw_md_free(&s->trailers);
    seal_free(s->local_msg);
    seal_free(s);
}

int gc_unary(gc_conn *c, const char *path, const gc_call_opts *o, const void *req, size_t req_len,
             uint8_t **resp, size_t *resp_len, gc_status *st)
{
    gc_stream *s;
    *resp = NULL;
    *resp_len = 0;
    int rc = gc_stream_open(c, path, o, &s);
    if (rc) {
        memset(st, 0, sizeof(*st));
        st->code = GW_UNAVAILABLE;
        st->local = true;
        st->message = seal_strdup("connection not usable");
        return st->message ? 0 : SEAL_ENOMEM;
    }
    rc = gc_stream_send(s, req, req_len);
    if (rc == 0)
        rc = gc_stream_close_send(s);
    uint8_t *m = NULL;
    size_t n = 0;
    int got = gc_stream_recv(s, &m, &n);
    rc = gc_stream_finish(s, st);
    if (rc == 0 && st->code == GW_OK) {
        if (got == 1) {
            *resp = m;
            *resp_len = n;
            m = NULL;
        } else {
            st->code = GW_INTERNAL;
            seal_free(st->message);
            st->message = seal_strdup("server sent no response message");
        }
    }
    seal_free(m);
    gc_stream_free(s);
    return rc;
}
