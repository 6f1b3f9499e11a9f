/* srv.h - the sealdb server runtime: ties the gRPC transport (grpc_server.h)
 * to the database catalog (db/catalog.h), the users catalog (db/users.h) and
 * tokens/sessions (db/sessions.h).
 *
 * Every ImmuService method is registered through the runtime, which wraps
 * the handler: before it runs, the runtime authenticates the call (the
 * `authorization: Bearer <token>` header of Login, or the `sessionid` header
 * of OpenSession), checks the permission the method needs (users_method
 * table) on the database the token/session selects, and acquires that
 * database; after the handler returns it releases the database. Handlers
 * therefore only see an srv_req with everything resolved.
 *
 * Handler files (srv_auth.c, srv_admin.c, srv_kv.c, ...) each export a
 * table of srv_method, registered by srv_register_all(). */
#ifndef SEAL_SRV_H
#define SEAL_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "db/catalog.h"
#include "db/database.h"
#include "server/grpc_server.h"

typedef struct srv srv;

/* What a handler knows about its call. Valid during the handler only. */
typedef struct srv_req {
    srv *server;
    gs_call *call;
    const char *user;    /* authenticated user name; NULL for methods without login */
    bool sysadmin;       /* the user is the superuser / sysadmin */
    const char *db_name; /* database selected by the token or session; NULL if none */
    sdb *db;             /* that database, acquired for the call; NULL if none */
    const char *session; /* session id when the call came with `sessionid`, else NULL */
    const char *token;   /* bearer token when the call came with one, else NULL */
    bool sysdb;          /* db is the system database (not acquired) */
    bool deferred;       /* srv_defer_begin took the call over */
} srv_req;

typedef int (*srv_handler_fn)(srv_req *r, const ProtobufCMessage *req);

typedef struct srv_method {
    const char *name; /* "Set" (the ImmuService method name) */
    gs_kind kind;
    const ProtobufCMessageDescriptor *req_desc; /* NULL for google.protobuf.Empty / raw */
    srv_handler_fn fn;
    bool needs_db; /* fails "please select a database first" without one */
    /* The whole call (authentication included) runs first on the I/O
     * thread: the handler must then not block (gs_call_on_io(r->call)):
     * answer at once, defer (srv_defer_begin) or return GS_TO_WORKER. */
    bool io_inline;
} srv_method;

/* A call a handler finishes later, on another thread (it returns
 * GS_DEFERRED): the deferral takes over the database the call holds and
 * keeps what a reply needs. srv_defer_begin returns NULL on ENOMEM (the
 * handler answers at once then). */
typedef struct srv_defer srv_defer;
srv_defer *srv_defer_begin(srv_req *r);
/* The request as the handler saw it (call, database), for the reply; user,
 * session and token are NULL there. */
srv_req *srv_defer_req(srv_defer *d);
/* Finishes the call with |code| (what a handler returns), releases the
 * database, frees |d|. */
void srv_defer_end(srv_defer *d, int code);
/* Undoes srv_defer_begin: the handler answers itself after all. */
void srv_defer_cancel(srv_defer *d);
/* Runs fn(d, arg) on a worker (blocking work after an asynchronous step);
 * fn ends with srv_defer_end. When no worker can take it, the call ends
 * with UNAVAILABLE here and fn does not run (free |arg| yourself: returns
 * false then). */
bool srv_defer_to_worker(srv_defer *d, void (*fn)(srv_defer *d, void *arg), void *arg);

/* Handler tables; each file defines one, terminated by {NULL}. */
extern const srv_method srv_auth_methods[];  /* Login, Logout, sessions, UseDatabase, users */
extern const srv_method srv_admin_methods[]; /* databases, Health, ServerInfo, CurrentState */
extern const srv_method srv_kv_methods[];    /* KV, tx, verifiable, streams */

/* ---------------------------------------------------------------- the server */
/* Options of a server (immudb's flag names in brackets). Strings are copied
 * by srv_new. srv_options_default fills immudb's defaults. */
typedef struct srv_options {
    const char *dir;                   /* data directory [--dir] (default "./data") */
    const char *address;               /* bind address [--address] (default "0.0.0.0") */
    int port;                          /* [--port] (default 3322; 0 = ephemeral) */
    const char *admin_password;        /* [--admin-password] (default "immudb"), already decoded */
    bool force_admin_password;         /* [--force-admin-password] */
    const char *signing_key;           /* PEM private key path [--signingKey], NULL = none */
    const char *certificate;           /* [--certificate] (TLS when set, with pkey) */
    const char *pkey;                  /* [--pkey] */
    const char *clientcas;             /* [--clientcas] CA bundle for client certificates */
    bool mtls;                         /* [--mtls] require a client certificate */
    size_t max_recv_msg_size;          /* [--max-recv-msg-size] (default 32 MiB) */
    bool synced;                       /* [--synced] (default true; false = SEAL_DURABILITY_NONE) */
    uint32_t token_expiry_min;         /* [--token-expiry-time] (default 1440) */
    uint32_t max_sessions;             /* [--max-sessions] (default 100) */
    int64_t max_session_inactivity_ms; /* [--max-session-inactivity-time] (default 3 min) */
    int64_t max_session_age_ms;        /* [--max-session-age-time] (0 = infinite) */
    int64_t session_timeout_ms;        /* [--session-timeout] (default 2 min) */
    int64_t sessions_guard_ms;         /* sweeper period (default 1 min) */
    int default_tx_header_version;     /* header version of new databases (default 1) */
    int max_connections;               /* 0 = the transport's default */
    int workers_max;                   /* 0 = the transport's default */
    int shutdown_grace_ms;             /* 0 = the transport's default (30 s) */
    uint32_t pbkdf2_iterations;        /* password hashing cost (0 = 600000; tests lower it) */
    uint32_t backoff_free_user;        /* failed logins per user before a delay (0 = 3) */
    int64_t backoff_base_ms;           /* first delay (0 = 1000) */
} srv_options;
void srv_options_default(srv_options *o);

/* What start-up found, for the banner. */
typedef struct srv_info {
    char uuid[32];       /* the server identifier (immudb-uuid) */
    bool admin_created;  /* the superuser was created at this start */
    bool admin_reset;    /* --force-admin-password changed its password */
    bool admin_mismatch; /* a non-default --admin-password differs from the stored one */
    bool admin_default;  /* the superuser's password is "immudb" */
    bool tls;            /* serving TLS */
    bool signing;        /* CurrentState is signed */
} srv_info;

/* Opens the data directory (creating systemdb/defaultdb and the superuser
 * on first start), loads the signing key and TLS files, registers every
 * ImmuService method (UNIMPLEMENTED for those no handler table serves) and
 * binds the listening socket. *out owned by the caller (srv_free). On
 * failure returns a negative SEAL_E* and writes a one-line reason into
 * |err| (SEAL_EIO for a port in use or an unusable directory, SEAL_EINVAL
 * for bad options or files). */
int srv_new(srv **out, const srv_options *o, char *err, size_t errlen);
/* The bound port (after srv_new). */
int srv_port(const srv *s);
void srv_get_info(const srv *s, srv_info *out);
/* Serves until srv_stop: then stops accepting, lets in-flight calls finish,
 * and returns 0 (SEAL_EIO if the event loop failed). Databases stay open
 * until srv_free. */
int srv_run(srv *s);
/* Asks srv_run to return. Async-signal-safe. */
void srv_stop(srv *s);
/* SIGTERM/SIGINT call srv_stop(s) (one server per process). */
int srv_install_signals(srv *s);
/* Closes the databases and frees everything. After srv_run returned, or
 * without running. */
void srv_free(srv *s);

/* Maps the calling thread's database-layer error (sdb_errmsg/sdb_errgrpc,
 * set by the failed sdb_/dbcat_ call that returned |rc|) to the call's
 * status, and returns it: `return srv_db_error(r, rc);`. */
int srv_db_error(srv_req *r, int rc);

/* The server's signing key (NULL when started without --signingKey). */
const cry_key *srv_signing_key(const srv *s);
/* The server's catalog. */
dbcat *srv_catalog(const srv *s);

#endif
