/* srv_int.h - what the runtime (srv.c) shares with its own handler files
 * (srv_auth.c, srv_admin.c): the server structure and small helpers. The KV
 * handlers need only srv.h. */
#ifndef SEAL_SRV_INT_H
#define SEAL_SRV_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "db/sessions.h"
#include "db/users.h"
#include "server/immu_service.h"
#include "server/srv.h"

/* One registered method: what the transport hands back to the wrapper. */
typedef struct srv_binding {
    srv *server;
    const srv_method *m;
    const users_method *um;
} srv_binding;

/* Per-database counters for DatabaseHealth. */
typedef struct srv_dbhealth {
    char name[SDB_NAME_MAX + 1];
    uint32_t pending;
    int64_t last_release_ms;
} srv_dbhealth;

struct srv {
    srv_options o;
    char *dir, *address, *admin_password, *signing_key_path, *certificate, *pkey, *clientcas;
    srv_info info;
    int64_t started_at; /* Unix seconds */

    dbcat *cat;
    users_catalog *users;
    auth_tokens *tokens;
    auth_sessions *sessions;
    auth_backoff *backoff;
    cry_key *signer;
    cry_tls_ctx *tls;
    gs_server *gs;

    srv_binding *bindings;
    size_t nbindings;

    pthread_mutex_t hmu; /* dbhealth */
    srv_dbhealth *health;
    size_t nhealth, health_cap;

    _Atomic bool multidb; /* immudb's multidbmode (see srv_multidb) */

    pthread_t sweeper;
    bool sweeper_started;
    pthread_mutex_t smu;
    pthread_cond_t scond;
    bool sweeper_stop;
};

/* Wall clock in milliseconds since the epoch. */
int64_t srv_now_ms(void);
/* Sets the call's status from a users_msg (immudb's text and code). */
int srv_users_error(srv_req *r, int rc, const users_msg *m);
/* immudb's "multi-database mode": decided at start-up (more databases than
 * defaultdb, or more users than the superuser) and switched on for good by
 * the first CreateDatabase. Login tokens select defaultdb outside it, and
 * CreateUser without a database uses defaultdb. */
bool srv_multidb(srv *s);
void srv_set_multidb(srv *s);
/* DatabaseHealth figures of |name|. */
void srv_db_health(srv *s, const char *name, uint32_t *pending, int64_t *last_ms);
/* The peer's address without the port (for the login backoff). */
void srv_peer_host(gs_call *c, char *buf, size_t cap);

/* A NUL-terminated copy of protobuf bytes (seal_malloc; NULL on ENOMEM). */
char *srv_bytes_dup(const ProtobufCBinaryData *b);

#endif
