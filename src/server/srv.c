/* srv.c - the sealdb server runtime: opens the catalog, the users, tokens
 * and sessions, loads the signing key and TLS files, registers every
 * ImmuService method through one wrapper (authenticate, authorize, acquire
 * the database, run the handler, release), runs the session/token sweeper
 * and keeps the server identifier (immudb-uuid). See srv.h and
 * docs/server.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "server/srv_int.h"

#define SRV_LOG   "server"
#define UUID_FILE "immudb.identifier"

void srv_options_default(srv_options *o)
{
    memset(o, 0, sizeof(*o));
    o->dir = "./data";
    o->address = "0.0.0.0";
    o->port = 3322;
    o->admin_password = USERS_DEFAULT_ADMIN_PASSWORD;
    o->max_recv_msg_size = 32u << 20;
    o->synced = true;
    o->token_expiry_min = 1440;
    o->max_sessions = 100;
    o->max_session_inactivity_ms = 3 * 60 * 1000;
    o->max_session_age_ms = 0;
    o->session_timeout_ms = 2 * 60 * 1000;
    o->sessions_guard_ms = 60 * 1000;
    o->default_tx_header_version = 1;
}

int64_t srv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static char *dupz(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = seal_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *srv_bytes_dup(const ProtobufCBinaryData *b)
{
    size_t n = b ? b->len : 0;
    char *p = seal_malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, b->data, n);
    p[n] = '\0';
    return p;
}

/* ------------------------------------------------------ server identifier */
/* immudb's identifier is an xid: 12 bytes (4-byte big-endian Unix time,
 * then 8 bytes; SealDB draws them from the DRBG), written raw to
 * <dir>/immudb.identifier and shown as 20 characters of base32hex. */
static void xid_string(const uint8_t id[12], char out[21])
{
    static const char alpha[] = "0123456789abcdefghijklmnopqrstuv";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (int i = 0; i < 12; i++) {
        acc = (acc << 8) | id[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alpha[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

static int load_or_make_uuid(const char *dir, char out[32], char *err, size_t errlen)
{
    char path[4096];
    uint8_t id[12];
    snprintf(path, sizeof(path), "%s/%s", dir, UUID_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, id, sizeof(id));
        uint8_t extra;
        ssize_t m = n == (ssize_t)sizeof(id) ? read(fd, &extra, 1) : 0;
        close(fd);
        if (n != (ssize_t)sizeof(id) || m != 0) {
            errf(err, errlen, "%s: not a server identifier (12 bytes expected)", path);
            return SEAL_ECORRUPT;
        }
    } else {
        if (errno != ENOENT) {
            errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return SEAL_EIO;
        }
        seal_put_u32(id, (uint32_t)time(NULL));
        int rc = cry_random(id + 4, 8);
        if (rc) {
            errf(err, errlen, "cannot draw the server identifier: %s", seal_strerror(rc));
            return rc;
        }
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, id, sizeof(id)) != (ssize_t)sizeof(id) || fsync(fd) != 0) {
            errf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            if (fd >= 0)
                close(fd);
            return SEAL_EIO;
        }
        close(fd);
        if (rename(tmp, path) != 0) {
            errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            return SEAL_EIO;
        }
    }
    char s[21];
    xid_string(id, s);
    snprintf(out, 32, "%s", s);
    return 0;
}

/* ------------------------------------------------------------ callbacks */
static int64_t users_clock(void *arg)
{
    SEAL_UNUSED(arg);
    return srv_now_ms();
}

static bool users_db_exists(void *arg, const char *name)
{
    srv *s = arg;
    return strcmp(name, DBCAT_SYSTEMDB) == 0 || dbcat_exists(s->cat, name);
}

/* A user's password, permissions or active flag changed: as immudb, every
 * login of that user ends (tokens revoked, sessions closed). */
static void on_user_changed(void *arg, const char *username)
{
    srv *s = arg;
    size_t t = auth_tokens_revoke_user(s->tokens, username);
    size_t n = auth_sessions_close_user(s->sessions, username);
    SEAL_LOGI(SRV_LOG, "user %s changed: %zu token(s) revoked, %zu session(s) closed", username, t,
              n);
}

/* immudb's mandatoryAuth() at start-up. */
static bool multidb_at_start(srv *s)
{
    dbcat_info *l = NULL;
    size_t n = 0;
    if (dbcat_list(s->cat, &l, &n) != 0)
        return true;
    seal_free(l);
    return n > 1 || users_count(s->users) > 1;
}

bool srv_multidb(srv *s)
{
    return atomic_load(&s->multidb);
}

void srv_set_multidb(srv *s)
{
    atomic_store(&s->multidb, true);
}

void srv_peer_host(gs_call *c, char *buf, size_t cap)
{
    const char *p = gs_call_peer(c);
    snprintf(buf, cap, "%s", p ? p : "");
    char *colon = strrchr(buf, ':');
    if (colon && colon != buf)
        *colon = '\0';
}

/* -------------------------------------------------------- database health */
static srv_dbhealth *health_slot(srv *s, const char *name)
{
    for (size_t i = 0; i < s->nhealth; i++)
        if (strcmp(s->health[i].name, name) == 0)
            return &s->health[i];
    if (s->nhealth == s->health_cap) {
        size_t cap = s->health_cap ? s->health_cap * 2 : 8;
        srv_dbhealth *h = seal_realloc(s->health, cap * sizeof(*h));
        if (!h)
            return NULL;
        s->health = h;
        s->health_cap = cap;
    }
    srv_dbhealth *h = &s->health[s->nhealth++];
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    return h;
}

static void health_enter(srv *s, const char *name)
{
    pthread_mutex_lock(&s->hmu);
    srv_dbhealth *h = health_slot(s, name);
    if (h)
        h->pending++;
    pthread_mutex_unlock(&s->hmu);
}

static void health_leave(srv *s, const char *name)
{
    pthread_mutex_lock(&s->hmu);
    srv_dbhealth *h = health_slot(s, name);
    if (h) {
        if (h->pending)
            h->pending--;
        h->last_release_ms = srv_now_ms();
    }
    pthread_mutex_unlock(&s->hmu);
}

void srv_db_health(srv *s, const char *name, uint32_t *pending, int64_t *last_ms)
{
    pthread_mutex_lock(&s->hmu);
    srv_dbhealth *h = health_slot(s, name);
    *pending = h ? h->pending : 0;
    *last_ms = h ? h->last_release_ms : 0;
    pthread_mutex_unlock(&s->hmu);
}

/* --------------------------------------------------------------- errors */
int srv_db_error(srv_req *r, int rc)
{
    const char *msg = sdb_errmsg();
    int code = sdb_errgrpc();
    if (!msg[0]) {
        if (rc == 0)
            rc = SEAL_ESTATE;
        return gs_error(r->call, rc, "%s", seal_strerror(rc));
    }
    if (code == 0)
        code = GW_UNKNOWN;
    return gs_error(r->call, code, "%s", msg);
}

int srv_users_error(srv_req *r, int rc, const users_msg *m)
{
    if (m && m->text[0]) {
        int code = m->grpc_code ? m->grpc_code : GW_UNKNOWN;
        return gs_error(r->call, code, "%s", m->text);
    }
    if (rc == 0)
        rc = SEAL_ESTATE;
    return gs_error(r->call, rc, "%s", seal_strerror(rc));
}

const cry_key *srv_signing_key(const srv *s)
{
    return s->signer;
}

dbcat *srv_catalog(const srv *s)
{
    return s->cat;
}

/* -------------------------------------------------------------- wrapper */
/* Authenticates the call into |r| (user, database, token or session).
 * Returns 0 or the call's status. */
static int authenticate(srv *s, srv_req *r, const char *method, char *user, size_t ucap, char *db,
                        size_t dbcap)
{
    gs_call *call = r->call;
    bool use_db = strcmp(method, "UseDatabase") == 0;
    const char *sid = gs_call_header(call, "sessionid");
    const char *tok = gs_call_header(call, "authorization");
    int64_t now = srv_now_ms();

    if (sid && sid[0]) {
        /* Every call made with a session keeps it alive (immudb's
         * KeepAliveSessionInterceptor), KeepAlive itself included. */
        auth_session_info si;
        if (auth_sessions_touch(s->sessions, sid, now, &si) != 0)
            return gs_error(call, GW_UNAUTHENTICATED, "session not found");
        snprintf(user, ucap, "%s", si.username);
        snprintf(db, dbcap, "%s", si.database);
        r->session = sid;
        return 0;
    }
    if (tok && tok[0]) {
        auth_token_info ti;
        int rc = auth_tokens_lookup(s->tokens, tok, now, &ti);
        if (rc == SEAL_ETIMEOUT)
            return gs_error(call, use_db ? GW_PERMISSION_DENIED : GW_UNAUTHENTICATED, "%s",
                            AUTH_MSG_TOKEN_EXPIRED);
        if (rc != 0)
            return gs_error(call, GW_UNAUTHENTICATED, "%s",
                            use_db ? "Please login" : AUTH_MSG_NOT_LOGGED_IN);
        snprintf(user, ucap, "%s", ti.username);
        snprintf(db, dbcap, "%s", ti.database);
        r->token = tok;
        return 0;
    }
    return gs_error(call, GW_UNAUTHENTICATED, "%s",
                    use_db ? "Please login" : AUTH_MSG_NOT_LOGGED_IN);
}

static int dispatch(gs_call *call, const ProtobufCMessage *req, void *ud)
{
    srv_binding *b = ud;
    srv *s = b->server;
    const char *name = b->m->name;
    srv_req r = {.server = s, .call = call};
    char user[USERS_NAME_MAX + 1] = "", db[USERS_DB_NAME_MAX + 1] = "";
    users_msg um;
    int rc;

    /* No login: whatever authorization header comes along is ignored (the
     * Node SDK sends its stale token with Login and Health). */
    if (b->um->level == USERS_LEVEL_NONE)
        return b->m->fn(&r, req);

    rc = authenticate(s, &r, name, user, sizeof(user), db, sizeof(db));
    if (rc)
        return rc;
    r.user = user;
    r.db_name = db[0] ? db : NULL;

    bool active = false;
    if (users_status(s->users, user, &r.sysadmin, &active) != 0)
        return gs_error(call, GW_UNAUTHENTICATED, "%s", AUTH_MSG_NOT_LOGGED_IN);

    if (b->um->level == USERS_LEVEL_SYSADMIN) {
        if (!active)
            return gs_error(call, GW_UNKNOWN, "%s", USERS_MSG_NOT_ACTIVE);
        if (!r.sysadmin)
            return gs_error(call, GW_UNKNOWN,
                            "loggedin user does not have permissions for this operation");
    } else {
        rc = users_authorize(s->users, user, r.db_name, name, &um);
        if (rc)
            return srv_users_error(&r, rc, &um);
    }

    bool want_db = b->um->level >= USERS_LEVEL_READ && b->um->level != USERS_LEVEL_SYSADMIN;
    if (b->m->needs_db)
        want_db = true;
    if (!want_db)
        return b->m->fn(&r, req);
    if (!r.db_name)
        return gs_error(call, GW_UNKNOWN, "please select a database first");

    bool sysdb = strcmp(r.db_name, DBCAT_SYSTEMDB) == 0;
    r.sysdb = sysdb;
    if (sysdb) {
        r.db = dbcat_sysdb(s->cat);
    } else {
        rc = dbcat_acquire(s->cat, r.db_name, &r.db);
        if (rc)
            return srv_db_error(&r, rc);
    }
    health_enter(s, r.db_name);
    rc = b->m->fn(&r, req);
    if (rc == GS_DEFERRED && r.deferred)
        return rc; /* srv_defer_end leaves and releases */
    health_leave(s, r.db_name);
    if (!sysdb)
        dbcat_release(s->cat, r.db);
    return rc;
}

struct srv_defer {
    srv_req r;
    char db_name[USERS_DB_NAME_MAX + 1];
    void (*wfn)(srv_defer *d, void *arg); /* srv_defer_to_worker */
    void *warg;
};

static void defer_worker_job(void *p)
{
    srv_defer *d = p;
    d->wfn(d, d->warg);
}

bool srv_defer_to_worker(srv_defer *d, void (*fn)(srv_defer *d, void *arg), void *arg)
{
    d->wfn = fn;
    d->warg = arg;
    int rc = gs_call_to_worker(d->r.call, defer_worker_job, d);
    if (rc == 0)
        return true;
    srv_defer_end(
        d, gs_error(d->r.call, GW_UNAVAILABLE, "%s",
                    rc == SEAL_ECLOSED ? "server is shutting down" : "server out of memory"));
    return false;
}

srv_defer *srv_defer_begin(srv_req *r)
{
    if (!r->db || !r->db_name)
        return NULL; /* only calls holding a database are deferred */
    srv_defer *d = seal_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->r = *r;
    snprintf(d->db_name, sizeof(d->db_name), "%s", r->db_name);
    d->r.db_name = d->db_name;
    d->r.user = NULL;
    d->r.session = NULL;
    d->r.token = NULL;
    r->deferred = true;
    return d;
}

srv_req *srv_defer_req(srv_defer *d)
{
    return &d->r;
}

void srv_defer_cancel(srv_defer *d)
{
    seal_free(d);
}

void srv_defer_end(srv_defer *d, int code)
{
    srv *s = d->r.server;
    gs_call *call = d->r.call;
    health_leave(s, d->db_name);
    if (!d->r.sysdb)
        dbcat_release(s->cat, d->r.db);
    seal_free(d);
    gs_call_complete(call, code);
}

/* ------------------------------------------------------------- sweeper */
static void *sweeper_main(void *arg)
{
    srv *s = arg;
    int64_t period = s->o.sessions_guard_ms > 0 ? s->o.sessions_guard_ms : 60000;
    pthread_mutex_lock(&s->smu);
    while (!s->sweeper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (period % 1000) * 1000000;
        ts.tv_sec += period / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->scond, &s->smu, &ts);
        if (s->sweeper_stop)
            break;
        pthread_mutex_unlock(&s->smu);
        int64_t now = srv_now_ms();
        auth_sweep_stats st;
        size_t closed = auth_sessions_sweep(s->sessions, now, &st);
        size_t dropped = auth_tokens_sweep(s->tokens, now);
        if (closed || dropped)
            SEAL_LOGD(SRV_LOG,
                      "sweep: %zu session(s) closed (%zu timed out, %zu too old), "
                      "%zu inactive, %zu token(s) expired",
                      closed, st.closed_timeout, st.closed_age, st.inactive, dropped);
        pthread_mutex_lock(&s->smu);
    }
    pthread_mutex_unlock(&s->smu);
    return NULL;
}

/* --------------------------------------------------------------- set-up */
static int register_table(srv *s, const srv_method *t, char *err, size_t errlen)
{
    for (; t && t->name; t++) {
        const users_method *um = users_method_find(t->name);
        int kind = immu_method_kind(t->name);
        if (!um || kind < 0) {
            errf(err, errlen, "handler for unknown method %s", t->name);
            return SEAL_EINVAL;
        }
        if ((int)t->kind != kind)
            SEAL_LOGW(SRV_LOG, "method %s: handler kind %d, service kind %d", t->name, (int)t->kind,
                      kind);
        srv_binding *nb = seal_realloc(s->bindings, (s->nbindings + 1) * sizeof(*nb));
        if (!nb)
            return SEAL_ENOMEM;
        s->bindings = nb;
        s->nbindings++;
    }
    return 0;
}

static int bind_table(srv *s, const srv_method *t, size_t *i)
{
    for (; t && t->name; t++, (*i)++) {
        srv_binding *b = &s->bindings[*i];
        b->server = s;
        b->m = t;
        b->um = users_method_find(t->name);
        int rc = immu_service_set_ex(s->gs, t->name, dispatch, b, t->io_inline);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (!dir[0]) {
        errf(err, errlen, "data directory must not be empty");
        return SEAL_EINVAL;
    }
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            errf(err, errlen, "data directory %s is not a directory", dir);
            return SEAL_EIO;
        }
        if (access(dir, R_OK | W_OK | X_OK) != 0) {
            errf(err, errlen, "data directory %s is not writable: %s", dir, strerror(errno));
            return SEAL_EIO;
        }
        return 0;
    }
    if (errno != ENOENT) {
        errf(err, errlen, "data directory %s: %s", dir, strerror(errno));
        return SEAL_EIO;
    }
    /* mkdir -p, as immudb's MkdirAll. */
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        errf(err, errlen, "data directory path too long");
        return SEAL_EINVAL;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            errf(err, errlen, "cannot create data directory %s: %s", path, strerror(errno));
            return SEAL_EIO;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

int srv_new(srv **out, const srv_options *opt, char *err, size_t errlen)
{
    srv_options def;
    int rc;
    if (!opt) {
        srv_options_default(&def);
        opt = &def;
    }
    if (err && errlen)
        err[0] = '\0';
    if (opt->default_tx_header_version != 0 && opt->default_tx_header_version != 1) {
        errf(err, errlen, "default tx header version must be 0 or 1 (got %d)",
             opt->default_tx_header_version);
        return SEAL_EINVAL;
    }
    if (!opt->admin_password || !opt->admin_password[0]) {
        errf(err, errlen, "Admin password cannot be empty");
        return SEAL_EINVAL;
    }
    if ((opt->certificate && opt->certificate[0]) != (opt->pkey && opt->pkey[0])) {
        errf(err, errlen, "TLS needs both --certificate and --pkey");
        return SEAL_EINVAL;
    }
    if (opt->mtls && !(opt->certificate && opt->certificate[0])) {
        errf(err, errlen, "--mtls needs --certificate and --pkey");
        return SEAL_EINVAL;
    }
    if (opt->mtls && !(opt->clientcas && opt->clientcas[0])) {
        errf(err, errlen, "--mtls needs --clientcas (the CA bundle of client certificates)");
        return SEAL_EINVAL;
    }

    srv *s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    s->o = *opt;
    pthread_mutex_init(&s->hmu, NULL);
    pthread_mutex_init(&s->smu, NULL);
    pthread_cond_init(&s->scond, NULL);
    s->started_at = (int64_t)time(NULL);
    s->dir = dupz(opt->dir ? opt->dir : "./data");
    s->address = dupz(opt->address ? opt->address : "0.0.0.0");
    s->admin_password = dupz(opt->admin_password);
    s->signing_key_path = dupz(opt->signing_key && opt->signing_key[0] ? opt->signing_key : NULL);
    s->certificate = dupz(opt->certificate && opt->certificate[0] ? opt->certificate : NULL);
    s->pkey = dupz(opt->pkey && opt->pkey[0] ? opt->pkey : NULL);
    s->clientcas = dupz(opt->clientcas && opt->clientcas[0] ? opt->clientcas : NULL);
    if (!s->dir || !s->address || !s->admin_password) {
        rc = SEAL_ENOMEM;
        goto fail;
    }
    s->o.dir = s->dir;
    s->o.address = s->address;
    s->o.admin_password = s->admin_password;
    s->o.signing_key = s->signing_key_path;
    s->o.certificate = s->certificate;
    s->o.pkey = s->pkey;
    s->o.clientcas = s->clientcas;

    /* Signing key and TLS first: bad files fail before anything is created. */
    if (s->signing_key_path) {
        rc = cry_key_load_file(&s->signer, s->signing_key_path);
        if (rc == 0 && !cry_key_has_private(s->signer))
            rc = SEAL_EINVAL;
        if (rc) {
            errf(err, errlen,
                 "cannot load the signing key %s: %s (a P-256 private key in PEM "
                 "is needed)",
                 s->signing_key_path, seal_strerror(rc));
            goto fail;
        }
        s->info.signing = true;
    }
    if (s->certificate) {
        cry_tls_opts to = {
            .cert_file = s->certificate,
            .key_file = s->pkey,
            .ca_file = s->o.mtls ? s->clientcas : NULL,
            .verify_peer = s->o.mtls ? 1 : 0,
        };
        rc = cry_tls_ctx_new(&s->tls, 1, &to);
        if (rc) {
            errf(err, errlen, "cannot set up TLS with certificate %s and key %s%s%s: %s",
                 s->certificate, s->pkey, s->o.mtls ? " and client CAs " : "",
                 s->o.mtls ? s->clientcas : "", seal_strerror(rc));
            goto fail;
        }
        s->info.tls = true;
    }

    rc = check_dir(s->dir, err, errlen);
    if (rc)
        goto fail;
    rc = load_or_make_uuid(s->dir, s->info.uuid, err, errlen);
    if (rc)
        goto fail;

    dbcat_options co;
    dbcat_options_default(&co);
    co.default_tx_header_version = opt->default_tx_header_version;
    co.durability = opt->synced ? SEAL_DURABILITY_SYNC : SEAL_DURABILITY_NONE;
    co.signer = s->signer;
    rc = dbcat_open(s->dir, &co, &s->cat);
    if (rc) {
        errf(err, errlen, "cannot open the data directory %s: %s", s->dir,
             sdb_errmsg()[0] ? sdb_errmsg() : seal_strerror(rc));
        goto fail;
    }

    auth_tokens_options tko = {.expiry_minutes = opt->token_expiry_min};
    auth_sessions_options so = {
        .max_sessions = opt->max_sessions,
        .max_inactivity_ms = opt->max_session_inactivity_ms,
        .max_age_ms = opt->max_session_age_ms == 0 ? AUTH_INFINITE : opt->max_session_age_ms,
        .timeout_ms = opt->session_timeout_ms,
        .guard_interval_ms = opt->sessions_guard_ms,
    };
    auth_backoff_options bo = {.free_user = opt->backoff_free_user,
                               .base_ms = opt->backoff_base_ms};
    rc = auth_tokens_new(&s->tokens, &tko);
    if (!rc)
        rc = auth_sessions_new(&s->sessions, &so);
    if (!rc)
        rc = auth_backoff_new(&s->backoff, &bo);
    if (rc) {
        errf(err, errlen, "cannot set up sessions: %s", seal_strerror(rc));
        goto fail;
    }

    users_backend be = {
        .ctx = s->cat, .put = dbcat_sys_put, .get = dbcat_sys_get, .scan = dbcat_sys_scan};
    users_options uo = {
        .pbkdf2_iterations = opt->pbkdf2_iterations,
        .now_ms = users_clock,
        .db_exists = users_db_exists,
        .db_arg = s,
        .on_user_changed = on_user_changed,
        .changed_arg = s,
    };
    rc = users_open(&s->users, &be, &uo);
    if (rc) {
        errf(err, errlen, "cannot load the users from systemdb: %s", seal_strerror(rc));
        goto fail;
    }
    users_boot boot;
    users_msg um;
    rc = users_bootstrap(s->users, s->admin_password, opt->force_admin_password, &boot, &um);
    if (rc) {
        errf(err, errlen, "cannot set up the superuser: %s",
             um.text[0] ? um.text : seal_strerror(rc));
        goto fail;
    }
    s->info.admin_created = boot.created;
    s->info.admin_reset = boot.reset;
    s->info.admin_mismatch = boot.mismatch;
    atomic_store(&s->multidb, multidb_at_start(s));
    bool is_def = false;
    if (users_admin_password_is_default(s->users, &is_def) == 0)
        s->info.admin_default = is_def;

    /* The transport and the method table. */
    gs_config gc;
    gs_config_default(&gc);
    gc.host = s->address;
    gc.port = opt->port;
    if (opt->max_recv_msg_size)
        gc.max_recv_msg = opt->max_recv_msg_size;
    if (opt->max_connections > 0)
        gc.max_connections = opt->max_connections;
    if (opt->workers_max > 0)
        gc.workers_max = opt->workers_max;
    if (opt->shutdown_grace_ms > 0)
        gc.shutdown_grace_ms = opt->shutdown_grace_ms;
    gc.tls = s->tls;
    rc = gs_server_new(&s->gs, &gc);
    if (rc) {
        errf(err, errlen, "cannot create the gRPC server: %s", seal_strerror(rc));
        goto fail;
    }
    const srv_method *tables[] = {srv_auth_methods, srv_admin_methods, srv_kv_methods};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(tables); i++) {
        rc = register_table(s, tables[i], err, errlen);
        if (rc)
            goto fail;
    }
    rc = immu_service_register_all(s->gs);
    size_t bi = 0;
    for (size_t i = 0; i < SEAL_ARRAY_LEN(tables) && rc == 0; i++)
        rc = bind_table(s, tables[i], &bi);
    if (!rc)
        rc = gs_server_add_header(s->gs, "immudb-uuid", s->info.uuid);
    if (rc) {
        errf(err, errlen, "cannot register the methods: %s", seal_strerror(rc));
        goto fail;
    }
    rc = gs_server_listen(s->gs);
    if (rc) {
        errf(err, errlen, "cannot listen on %s:%d: %s", s->address, opt->port,
             errno ? strerror(errno) : seal_strerror(rc));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    srv_free(s);
    return rc;
}

int srv_port(const srv *s)
{
    return gs_server_port(s->gs);
}

void srv_get_info(const srv *s, srv_info *out)
{
    *out = s->info;
}

int srv_run(srv *s)
{
    s->sweeper_stop = false;
    if (pthread_create(&s->sweeper, NULL, sweeper_main, s) == 0)
        s->sweeper_started = true;
    else
        SEAL_LOGW(SRV_LOG, "cannot start the session sweeper; sessions expire on use only");
    int rc = gs_server_run(s->gs);
    if (s->sweeper_started) {
        pthread_mutex_lock(&s->smu);
        s->sweeper_stop = true;
        pthread_cond_broadcast(&s->scond);
        pthread_mutex_unlock(&s->smu);
        pthread_join(s->sweeper, NULL);
        s->sweeper_started = false;
    }
    return rc;
}

void srv_stop(srv *s)
{
    gs_server_stop(s->gs);
}

int srv_install_signals(srv *s)
{
    return gs_server_install_signals(s->gs);
}

void srv_free(srv *s)
{
    if (!s)
        return;
    if (s->gs)
        gs_server_free(s->gs);
    if (s->users)
        users_close(s->users);
    if (s->sessions)
        auth_sessions_free(s->sessions);
    if (s->tokens)
        auth_tokens_free(s->tokens);
    if (s->backoff)
        auth_backoff_free(s->backoff);
    if (s->cat) {
        int rc = dbcat_close(s->cat);
        if (rc)
            SEAL_LOGE(SRV_LOG, "closing the databases: %s", seal_strerror(rc));
    }
    if (s->tls)
        cry_tls_ctx_free(s->tls);
    if (s->signer)
        cry_key_free(s->signer);
    if (s->admin_password)
        cry_cleanse(s->admin_password, strlen(s->admin_password));
    seal_free(s->dir);
    seal_free(s->address);
    seal_free(s->admin_password);
    seal_free(s->signing_key_path);
    seal_free(s->certificate);
    seal_free(s->pkey);
    seal_free(s->clientcas);
    seal_free(s->bindings);
    seal_free(s->health);
    pthread_mutex_destroy(&s->hmu);
    pthread_mutex_destroy(&s->smu);
    pthread_cond_destroy(&s->scond);
    seal_free(s);
}
