/* grpc_server.h - SealDB's gRPC server transport: HTTP/2 (nghttp2) over
 * plain TCP (h2c with prior knowledge) or TLS (cry_tls memory BIOs), one
 * epoll I/O thread, and a pool of worker threads on which every handler runs.
 *
 * Handler model
 *   A method is registered with gs_server_register(): its path, its kind
 *   (unary, server-, client- or bidi-streaming), optional protobuf-c
 *   descriptors for request and response, and one function:
 *
 *       int handler(gs_call *call, const ProtobufCMessage *req, void *ud);
 *
 *   It runs on a worker thread, never on the I/O thread, so it may block on
 *   storage. For unary and server-streaming methods |req| is the decoded
 *   request (NULL when the method has no request descriptor: use
 *   gs_call_request_raw). For client-streaming and bidi methods |req| is NULL
 *   and the handler pulls messages with gs_recv()/gs_recv_raw().
 *   Responses go out with gs_send()/gs_send_raw() (exactly once for unary and
 *   client-streaming methods). The return value is the gRPC status: 0 (GW_OK),
 *   a positive GW_* code, or a negative SEAL_E* error which is mapped to a
 *   code; gs_error() sets the status message and returns the code, so
 *   `return gs_error(call, GW_NOT_FOUND, "key not found");` is the idiom.
 *
 * Backpressure: gs_send blocks while more than a bounded amount of output is
 * queued for the peer; it gives up after the write timeout (the peer stalled)
 * or when the call was cancelled (deadline, RST_STREAM, connection gone) and
 * returns an error; the handler should then return. gs_recv waits likewise.
 */
#ifndef SEAL_GRPC_SERVER_H
#define SEAL_GRPC_SERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "client/grpc_wire.h"
#include "crypto/cry.h"

typedef struct gs_server gs_server;
typedef struct gs_call gs_call;

typedef enum gs_kind {
    GS_UNARY = 0,
    GS_SERVER_STREAM = 1,
    GS_CLIENT_STREAM = 2,
    GS_BIDI_STREAM = 3,
} gs_kind;

typedef int (*gs_handler_fn)(gs_call *call, const ProtobufCMessage *req, void *ud);

/* Handler return values beyond the gRPC status codes:
 * GS_DEFERRED: the handler arranged for another thread to finish the call
 *   later with gs_call_complete() (and to send its response before); the
 *   call stays open meanwhile.
 * GS_TO_WORKER: only from a run on the I/O thread (see io_inline): the
 *   call goes to a worker and the handler (and interceptor) run again from
 *   the start there. */
#define GS_DEFERRED  1001
#define GS_TO_WORKER 1002

typedef struct gs_method {
    const char *path; /* "/pkg.Service/Method" (copied) */
    gs_kind kind;
    const ProtobufCMessageDescriptor *req_desc;  /* NULL: raw bytes */
    const ProtobufCMessageDescriptor *resp_desc; /* informative */
    gs_handler_fn fn;                            /* NULL: answers UNIMPLEMENTED */
    void *ud;
    /* Unary only: the interceptor and handler run first on the I/O thread,
     * so a call that can be answered or handed off without blocking costs
     * no thread switch. They must then not block (no storage I/O, no
     * waits, only short mutexes): gs_call_on_io() tells; the handler
     * answers at once, returns GS_DEFERRED, or returns GS_TO_WORKER. */
    bool io_inline;
} gs_method;

/* Runs on the worker before every handler; a non-zero return is the call's
 * status (use gs_error for a message) and the handler is not called. */
typedef int (*gs_interceptor_fn)(gs_call *call, const gs_method *m, void *ud);

typedef struct gs_config {
    const char *host;     /* bind address; default "0.0.0.0" */
    int port;             /* default 3322; 0 = ephemeral */
    int workers_min;      /* threads started up front (default 4) */
    int workers_max;      /* pool grows up to this when all are busy (default 64) */
    size_t max_recv_msg;  /* default 32 MiB, as immudb */
    size_t max_send_msg;  /* default 2^31-1 */
    uint32_t max_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS (default 1000) */
    int max_connections;  /* more are accepted and closed at once (default 10000) */
    int idle_timeout_ms;  /* close connections without streams after this (default 1 h; 0 off) */
    int write_timeout_ms; /* a handler blocked on a stalled peer gives up (default 30 s) */
    int handshake_timeout_ms; /* TLS handshake and HTTP/2 preface (default 10 s) */
    int shutdown_grace_ms;    /* in-flight calls get this long after stop (default 30 s) */
    uint32_t max_header_list; /* bytes of request headers (default 64 KiB) */
    uint32_t stream_window;   /* initial HTTP/2 stream window (default 1 MiB) */
    uint32_t conn_window;     /* connection window (default 16 MiB) */
    size_t out_buffer;        /* queued output (and unread input) per call before gs_send
                                 blocks / the window is held back (default 256 KiB) */
    cry_tls_ctx *tls;         /* NULL: h2c; else TLS with this context (not owned) */
} gs_config;

/* Fills |cfg| with the defaults above. */
void gs_config_default(gs_config *cfg);

/* Creates a server; *out owned by the caller (gs_server_free). Copies |cfg|.
 * Returns 0, SEAL_ENOMEM or SEAL_EINVAL. */
int gs_server_new(gs_server **out, const gs_config *cfg);
/* Frees a server that is not running (after gs_server_run returned, or never run). */
void gs_server_free(gs_server *s);

/* Registers (or replaces) a method. Call before gs_server_run. Returns 0,
 * SEAL_EINVAL (bad path) or SEAL_ENOMEM. */
int gs_server_register(gs_server *s, const gs_method *m);
void gs_server_set_interceptor(gs_server *s, gs_interceptor_fn fn, void *ud);
/* A header sent with every response (e.g. "immudb-uuid"). Before gs_server_run. */
int gs_server_add_header(gs_server *s, const char *name, const char *value);

/* Binds and listens; after it the port is known (gs_server_port).
 * Returns 0 or SEAL_EIO. */
int gs_server_listen(gs_server *s);
int gs_server_port(const gs_server *s);

/* Serves until gs_server_stop: then stops accepting, sends GOAWAY, lets
 * in-flight calls finish (up to shutdown_grace_ms), closes every connection,
 * waits for the workers and returns 0 (or SEAL_EIO if the loop failed).
 * Calls gs_server_listen first if needed. */
int gs_server_run(gs_server *s);
/* Asks a running server to shut down gracefully. Async-signal-safe. */
void gs_server_stop(gs_server *s);
/* Installs SIGTERM/SIGINT handlers that call gs_server_stop(s) (one server
 * per process) and ignores SIGPIPE. */
int gs_server_install_signals(gs_server *s);

/* Counters (approximate, for tests and metrics). */
typedef struct gs_stats {
    uint64_t connections;  /* open now */
    uint64_t accepted;     /* since start */
    uint64_t calls;        /* calls started */
    uint64_t active_calls; /* open now */
    uint64_t workers;      /* threads in the pool */
} gs_stats;
void gs_server_stats(gs_server *s, gs_stats *out);

/* ------------------------------------------------------------------ calls */
/* Everything below is for handlers, on their worker thread. */

/* Method path of this call ("/immudb.schema.ImmuService/Get"). */
const char *gs_call_path(const gs_call *c);
/* First request header |name| (lower case), or NULL. Valid during the call.
 * Includes "authorization", "sessionid", "user-agent", "content-type"... */
const char *gs_call_header(const gs_call *c, const char *name);
const gw_md *gs_call_headers(const gs_call *c);
/* "ip:port" of the peer. */
const char *gs_call_peer(const gs_call *c);
bool gs_call_is_tls(const gs_call *c);
/* Milliseconds left before the client's deadline; -1 when there is none. */
int64_t gs_call_time_left_ms(const gs_call *c);
/* True once the call can no longer succeed (deadline, reset, connection lost,
 * peer stalled). */
bool gs_call_cancelled(gs_call *c);
/* Per-call user data for interceptor -> handler hand-off (not freed). */
void gs_call_set_data(gs_call *c, void *p);
void *gs_call_data(const gs_call *c);

/* True while the handler runs on the I/O thread (io_inline methods). */
bool gs_call_on_io(const gs_call *c);
/* Finishes a call whose handler returned GS_DEFERRED, from any thread, with
 * the status a handler would return (0, GW_*, SEAL_E*); the response
 * message, if any, was sent before with gs_send. Exactly once per deferred
 * call; the call must not be used afterwards. */
void gs_call_complete(gs_call *c, int code);
/* For a deferred call, from any thread: runs fn(arg) on a worker (work that
 * may block, e.g. reading files, after an asynchronous step finished). fn
 * must end the call with gs_call_complete. Returns 0, or SEAL_ECLOSED /
 * SEAL_ENOMEM (fn will not run: complete the call yourself). */
int gs_call_to_worker(gs_call *c, void (*fn)(void *), void *arg);

/* The undecoded request of a unary/server-streaming call. */
void gs_call_request_raw(const gs_call *c, const uint8_t **p, size_t *n);

/* Response metadata: headers before the first gs_send, trailers any time.
 * Returns 0, SEAL_ENOMEM, or SEAL_ESTATE (headers already sent). */
int gs_call_add_header(gs_call *c, const char *name, const char *value);
int gs_call_add_trailer(gs_call *c, const char *name, const char *value);

/* Sends one message. Returns 0; SEAL_ECLOSED when the call is cancelled;
 * SEAL_ETIMEOUT when the peer did not read for write_timeout_ms (the stream
 * is then reset); SEAL_ELIMIT when larger than max_send_msg; SEAL_ENOMEM. */
int gs_send(gs_call *c, const ProtobufCMessage *msg);
int gs_send_raw(gs_call *c, const void *p, size_t n);

/* Receives the next message of a client-/bidi-streaming call. Returns 1 with
 * *out set (free with gs_msg_free), 0 at the end of the client's stream,
 * SEAL_ECLOSED when cancelled, SEAL_ETIMEOUT when the client sent nothing
 * for write_timeout_ms or the deadline passed, SEAL_EPROTOCOL when the
 * message cannot be decoded (the call's status becomes INTERNAL). */
int gs_recv(gs_call *c, ProtobufCMessage **out);
/* Raw variant: *p owned by the caller (seal_free). */
int gs_recv_raw(gs_call *c, uint8_t **p, size_t *n);
void gs_msg_free(ProtobufCMessage *m);

/* Sets the status message and returns |code| (a GW_* code, or a negative
 * SEAL_E* which is mapped). */
int gs_error(gs_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The protobuf-c allocator that goes through seal_malloc. */
extern ProtobufCAllocator gs_pb_allocator;

#endif
