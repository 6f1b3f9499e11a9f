/* gs_internal.h - private structures of the gRPC server transport, shared by
 * gs_server.c (loop, registry, timers), gs_conn.c (connections, HTTP/2 and
 * TLS on the I/O thread), gs_call.c (the handler side, on workers) and
 * gs_pool.c (worker threads). Not for handlers. */
#ifndef SEAL_GS_INTERNAL_H
#define SEAL_GS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <nghttp2/nghttp2.h>

#include "server/grpc_server.h"

/* ------------------------------------------------------------ worker pool */
typedef struct gs_pool gs_pool;
int gs_pool_new(gs_pool **out, int min_threads, int max_threads);
/* Queues fn(arg). Returns 0 or SEAL_ENOMEM / SEAL_ECLOSED (stopping). */
int gs_pool_submit(gs_pool *p, void (*fn)(void *), void *arg);
/* Runs every queued job, then joins the threads. */
void gs_pool_stop(gs_pool *p);
void gs_pool_free(gs_pool *p);
int gs_pool_threads(gs_pool *p);

/* -------------------------------------------------------------- epoll tags */
enum gs_ep_kind { GS_EP_LISTEN = 1, GS_EP_CONN = 2, GS_EP_WAKE = 3 };
typedef struct gs_ep {
    int kind;
} gs_ep;

/* One framed message waiting to be sent. */
typedef struct gs_chunk {
    struct gs_chunk *next;
    size_t len;
    size_t off;
    uint8_t *data;
} gs_chunk;

struct gs_conn;

struct gs_call {
    gs_server *srv;
    atomic_int refs;
    int32_t stream_id;
    const gs_method *m; /* set when headers are complete */

    /* ---- I/O thread only ---- */
    struct gs_conn *conn; /* NULL once the connection is gone */
    struct gs_call *cnext, *cprev;
    struct gs_call *dnext, *dprev;
    bool in_dlist;
    char *path;
    char *http_method;
    size_t hdr_bytes;
    bool hdr_too_big;
    int64_t deadline; /* monotonic ms, 0 = none */
    bool bad_timeout;
    gw_reader rd;
    int nmsgs;
    gw_msg *req; /* unary / server-streaming request */
    bool headers_done, remote_closed, dispatched, responded, closed, rst_sent;
    bool aborted, trailers_sent;
    int abort_code;
    char *abort_msg;
    size_t unconsumed; /* stream bytes not yet given back to the peer */

    /* ---- immutable once dispatched ---- */
    gw_md req_md;
    char peer[64];
    bool tls;

    /* ---- shared, under mu ---- */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    gs_chunk *out_head, *out_tail;
    size_t out_bytes;
    gw_msg *in_head, *in_tail;
    size_t in_bytes;
    bool in_eof;
    bool handler_done;
    int status;
    char *status_msg;
    bool cancelled;    /* worker must stop */
    bool want_rst;     /* worker asks the I/O thread to reset the stream */
    bool want_consume; /* worker drained input: give window back */
    bool headers_out;  /* response headers submitted */
    gw_md resp_md, trailer_md;
    bool notify_queued;
    struct gs_call *nnext;
    int nsent;
    bool on_io; /* the handler runs on the I/O thread now */

    /* ---- worker only ---- */
    void *data;
};

struct gs_conn {
    gs_ep ep;
    gs_server *srv;
    int fd; /* -1 for an in-memory connection (fuzzing) */
    nghttp2_session *h2;
    cry_tls_conn *tls;
    bool tls_done;
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    bool epollout;
    bool dirty;
    struct gs_conn *dirty_next;
    bool dead;
    bool goaway;
    bool h2_started; /* the client preface arrived */
    struct gs_conn *dead_next;
    gs_call *calls;
    int ncalls;
    int64_t created, last_active;
    struct gs_conn *next, *prev;
    char peer[64];
};

typedef struct gs_mentry {
    gs_method m; /* m.path owned */
} gs_mentry;

struct gs_server {
    gs_config cfg;
    char *host;
    gs_mentry **methods; /* open-addressing table by path */
    size_t mcap, mcount;
    gs_interceptor_fn icpt;
    void *icpt_ud;
    gw_md extra_hdrs;

    int lfd;
    gs_ep lep;
    int port;
    int epfd;
    int wakefd;
    gs_ep wep;
    atomic_int stop_req;
    bool running;

    pthread_mutex_t nq_mu;
    gs_call *nq_head, *nq_tail;

    gs_pool *pool;
    struct gs_conn *conns;
    int nconns;
    struct gs_conn *dirty;
    struct gs_conn *dead;
    int spare_fd;
    uint8_t *rbuf, *tbuf; /* I/O read buffers */
    gs_call *dlist;
    int64_t next_deadline;
    int64_t next_sweep;
    bool shutting;
    int64_t shutdown_deadline;

    nghttp2_session_callbacks *cbs;
    nghttp2_option *h2opt;

    atomic_ullong st_accepted, st_calls, st_active, st_conns;

    /* dispatched calls whose handler has not finished (worker, I/O thread
     * or deferred): the loop waits for them before it returns */
    pthread_mutex_t hmu;
    pthread_cond_t hcv;
    int handlers;
    bool io_notified; /* I/O thread only: it queued a notification itself */
};

/* gs_server.c */
const gs_method *gs_server_lookup(gs_server *s, const char *path, bool *service_known);
void gs_server_notify(gs_call *c);           /* any thread: wake the I/O thread for c */
void gs_server_track_deadline(gs_call *c);   /* I/O */
void gs_server_untrack_deadline(gs_call *c); /* I/O */
void gs_conn_mark_dirty(struct gs_conn *cn);
/* Destroys the connections marked dead (the loop does this every round). */
void gs_server_reap(gs_server *s);
/* Handles queued worker notifications (|kick| false: just drop them). */
void gs_server_process_notifications(gs_server *s, bool kick);

/* gs_conn.c (I/O thread) */
int gs_h2_callbacks_new(nghttp2_session_callbacks **out);
int gs_conn_new(struct gs_conn **out, gs_server *s, int fd, const char *peer);
void gs_conn_on_event(struct gs_conn *cn, uint32_t events);
/* Feeds received bytes (after TLS). Returns 0 or negative when the
 * connection must close. */
int gs_conn_feed(struct gs_conn *cn, const uint8_t *p, size_t n);
void gs_conn_flush(struct gs_conn *cn);
/* Marks the connection dead; the loop destroys it after the current round. */
void gs_conn_close(struct gs_conn *cn);
void gs_conn_destroy(struct gs_conn *cn);
void gs_conn_goaway(struct gs_conn *cn, bool graceful);
void gs_call_kick(gs_call *c); /* process a notification */
void gs_call_abort(gs_call *c, int code, const char *msg);

/* gs_call.c */
gs_call *gs_call_new(gs_server *s, struct gs_conn *cn, int32_t stream_id);
void gs_call_ref(gs_call *c);
void gs_call_unref(gs_call *c);
void gs_call_run(void *arg); /* worker job */
/* Runs an io_inline call's handler on the I/O thread. Returns false when
 * the handler asked for a worker (the caller submits gs_call_run). */
bool gs_call_run_inline(gs_call *c);
void gs_server_handler_started(gs_server *s);
void gs_server_handler_done(gs_server *s);
void gs_chunk_free(gs_chunk *ch);

#endif
