/* grpc_client.h - a small blocking gRPC client transport over HTTP/2
 * (nghttp2), in clear text (h2c, prior knowledge) or over TLS through the
 * cry_tls memory-BIO API. One connection carries any number of streams; it
 * is driven by whichever call is waiting, so a connection and its streams
 * must be used from one thread at a time. Messages are raw bytes (encode
 * and decode with protobuf-c on top). The base of libsealclient. */
#ifndef SEAL_GRPC_CLIENT_H
#define SEAL_GRPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/grpc_wire.h"
#include "crypto/cry.h"

typedef struct gc_conn gc_conn;
typedef struct gc_stream gc_stream;

typedef struct gc_opts {
    cry_tls_ctx *tls;       /* NULL: h2c; else TLS (not owned) */
    const char *authority;  /* :authority; default "host:port" */
    int connect_timeout_ms; /* TCP + TLS; default 10 s */
    size_t max_recv_msg;    /* default 32 MiB */
    uint32_t stream_window; /* default 1 MiB */
} gc_opts;

typedef struct gc_call_opts {
    int64_t timeout_ms;       /* > 0: sent as grpc-timeout and enforced here */
    int64_t local_grace_ms;   /* wait this much longer than timeout_ms for the
                                 server's own DEADLINE_EXCEEDED (tests) */
    const gw_md *md;          /* extra request metadata (authorization, sessionid...) */
    const char *content_type; /* default "application/grpc" */
} gc_call_opts;

/* The outcome of a call. Owned by the caller; gc_status_free releases it. */
typedef struct gc_status {
    int code;        /* GW_* */
    char *message;   /* decoded grpc-message, never NULL after a call */
    int http_status; /* 0 if no response headers arrived */
    bool local;      /* decided by this client (deadline, transport) */
    gw_md headers;   /* response headers (metadata) */
    gw_md trailers;
} gc_status;
void gc_status_free(gc_status *st);

/* Connects to host:port (numeric address or name). *out owned by the caller
 * (gc_close). Returns 0, SEAL_EIO (connect/handshake failed), SEAL_ETIMEOUT,
 * SEAL_EPROTOCOL (TLS without ALPN h2), SEAL_ENOMEM. */
int gc_connect(gc_conn **out, const char *host, int port, const gc_opts *opts);
/* Closes the connection; streams still open must be freed first. */
void gc_close(gc_conn *c);
/* False once the connection failed or the server closed it. */
bool gc_alive(gc_conn *c);
/* Drives the connection for up to |ms| (answers pings, reads GOAWAY).
 * Returns 0 or a negative error when the connection is gone. */
int gc_poll(gc_conn *c, int ms);

/* Starts a call. Returns 0 or SEAL_ECLOSED / SEAL_ENOMEM / SEAL_EIO. */
int gc_stream_open(gc_conn *c, const char *path, const gc_call_opts *o, gc_stream **out);
/* Sends one message (prefix added here); blocks while the peer's flow
 * control window keeps a bounded amount queued. Returns 0, SEAL_ECLOSED
 * (the stream ended), SEAL_ETIMEOUT (deadline), SEAL_EIO. */
int gc_stream_send(gc_stream *s, const void *msg, size_t n);
/* Sends bytes as they are (no prefix): for tests of malformed framing. */
int gc_stream_send_raw(gc_stream *s, const void *p, size_t n);
/* Half-closes: no more messages from this side. */
int gc_stream_close_send(gc_stream *s);
/* Receives the next message: 1 with *msg (seal_free) and *n, 0 at the end of
 * the response stream (status available from gc_stream_finish), or negative
 * (SEAL_ETIMEOUT on deadline, SEAL_EIO when the connection failed). */
int gc_stream_recv(gc_stream *s, uint8_t **msg, size_t *n);
/* Waits for the end of the call (discarding unread messages) and fills *st.
 * Returns 0 when a status was obtained (st->code tells the outcome). */
int gc_stream_finish(gc_stream *s, gc_status *st);
/* Frees the stream, resetting it (CANCEL) if it is still open. */
void gc_stream_free(gc_stream *s);

/* One unary call: sends |req|, receives one response. On return 0 *st holds
 * the status and, when st->code == GW_OK, *resp (seal_free) the response.
 * Returns a negative error only when no status could be formed at all. */
int gc_unary(gc_conn *c, const char *path, const gc_call_opts *o, const void *req, size_t req_len,
             uint8_t **resp, size_t *resp_len, gc_status *st);

#endif
