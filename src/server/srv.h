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
    const char *user;     /* authenticated user name; NULL for methods without login */
    bool sysadmin;        /* the user is the superuser / sysadmin */
    const char *db_name;  /* database selected by the token or session; NULL if none */
    sdb *db;              /* that database, acquired for the call; NULL if none */
    const char *session;  /* session id when the call came with `sessionid`, else NULL */
    const char *token;    /* bearer token when the call came with one, else NULL */
} srv_req;

typedef int (*srv_handler_fn)(srv_req *r, const ProtobufCMessage *req);

typedef struct srv_method {
    const char *name;                           /* "Set" (the ImmuService method name) */
    gs_kind kind;
    const ProtobufCMessageDescriptor *req_desc; /* NULL for google.protobuf.Empty / raw */
    srv_handler_fn fn;
    bool needs_db;                              /* fails "please select a database first" without one */
} srv_method;

/* Handler tables; each file defines one, terminated by {NULL}. */
extern const srv_method srv_auth_methods[];  /* Login, Logout, sessions, UseDatabase, users */
extern const srv_method srv_admin_methods[]; /* databases, Health, ServerInfo, CurrentState */
extern const srv_method srv_kv_methods[];    /* KV, tx, verifiable, streams */

/* Maps the calling thread's database-layer error (sdb_errmsg/sdb_errgrpc,
 * set by the failed sdb_/dbcat_ call that returned |rc|) to the call's
 * status, and returns it: `return srv_db_error(r, rc);`. */
int srv_db_error(srv_req *r, int rc);

/* The server's signing key (NULL when started without --signingKey). */
const cry_key *srv_signing_key(const srv *s);
/* The server's catalog. */
dbcat *srv_catalog(const srv *s);

#endif
