/* sc_conn.c - libsealclient: the client object, connection (h2c or TLS),
 * the unary call helper with authentication metadata and status mapping,
 * Login/Logout/UseDatabase, sessions, Health (server UUID), ServerInfo and
 * CurrentState (with the state signature check). */
#include <stdio.h>
#include <stdlib.h>

#include "client/sc_internal.h"

/* ------------------------------------------------------------ allocator */
static void *pb_alloc(void *ud, size_t n)
{
    SEAL_UNUSED(ud);
    return seal_malloc(n ? n : 1);
}
static void pb_free(void *ud, void *p)
{
    SEAL_UNUSED(ud);
    seal_free(p);
}
ProtobufCAllocator sc_pb_alloc = {.alloc = pb_alloc, .free = pb_free, .allocator_data = NULL};

void sc_msg_free(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked((ProtobufCMessage *)m, &sc_pb_alloc);
}

/* --------------------------------------------------------------- errors */
int sc_fail(seal_client *c, int rc, const char *fmt, ...)
{
    if (c) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof(c->err), fmt, ap);
        va_end(ap);
    }
    return rc;
}

void sc_begin(seal_client *c)
{
    c->err[0] = 0;
    c->last_status = -1;
}

void sc_notice(seal_client *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (c->notice)
        c->notice(c->notice_arg, buf);
    else
        SEAL_LOGI("client", "%s", buf);
}

const char *seal_client_last_error(const seal_client *c)
{
    return c ? c->err : "";
}

int seal_client_last_status(const seal_client *c)
{
    return c ? c->last_status : -1;
}

const char *seal_client_database(const seal_client *c)
{
    return c->db;
}

const char *seal_client_state_path(const seal_client *c)
{
    return c->state_path;
}

/* ------------------------------------------------------------- connect */
void seal_client_opts_default(seal_client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 3322;
    o->timeout_ms = 30000;
    o->database = SC_DEFAULT_DB;
}

static int sc_dial(seal_client *c)
{
    gc_opts go = {.tls = c->tls};
    int rc = gc_connect(&c->conn, c->host, c->port, &go);
    if (rc)
        return sc_fail(c, rc, "cannot connect to %s:%d (%s)", c->host, c->port, seal_strerror(rc));
    return 0;
}

static int default_state_dir(char **out)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return SEAL_EINVAL;
    size_t n = strlen(home) + 32;
    char *p = seal_malloc(n);
    if (!p)
        return SEAL_ENOMEM;
    snprintf(p, n, "%s/.sealdb/state", home);
    *out = p;
    return 0;
}

int seal_client_connect(const seal_client_opts *o, seal_client **out)
{
    seal_client_opts d;
    if (!out)
        return SEAL_EINVAL;
    *out = NULL;
    if (!o) {
        seal_client_opts_default(&d);
        o = &d;
    }
    seal_client *c = seal_calloc(1, sizeof(*c));
    if (!c)
        return SEAL_ENOMEM;
    c->last_status = -1;
    int rc = 0;
    c->host = seal_strdup(o->host ? o->host : "127.0.0.1");
    c->db = seal_strdup(o->database && *o->database ? o->database : SC_DEFAULT_DB);
    if (!c->host || !c->db) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    c->port = o->port > 0 ? o->port : 3322;
    c->timeout_ms = o->timeout_ms == 0 ? 30000 : o->timeout_ms;
    c->notice = o->notice;
    c->notice_arg = o->notice_arg;
    if (o->pin_tx) {
        c->pin_tx = o->pin_tx;
        memcpy(c->pin_hash, o->pin_hash, MT_HASH_LEN);
    }
    if (strlen(c->db) > 200 || strchr(c->db, ':') || strchr(c->db, '\n')) {
        rc = sc_fail(c, SEAL_EINVAL, "invalid database name");
        goto done;
    }
    if (o->state_dir && *o->state_dir)
        c->state_dir = seal_strdup(o->state_dir);
    else if ((rc = default_state_dir(&c->state_dir)) != 0) {
        sc_fail(c, rc, "no state directory: HOME is not set and no state_dir option");
        goto done;
    }
    if (!c->state_dir) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if (o->server_pubkey_file) {
        rc = cry_key_load_file(&c->pubkey, o->server_pubkey_file);
        if (rc) {
            sc_fail(c, rc, "cannot load the server public key %s (%s)", o->server_pubkey_file,
                    seal_strerror(rc));
            goto done;
        }
    }
    if (o->use_tls) {
        cry_tls_opts to = {
            .cert_file = o->tls_cert_file,
            .key_file = o->tls_key_file,
            .ca_file = o->tls_ca_file,
            .verify_peer = !o->tls_insecure,
            .server_name = o->tls_server_name ? o->tls_server_name : c->host,
        };
        rc = cry_tls_ctx_new(&c->tls, 0, &to);
        if (rc) {
            sc_fail(c, rc, "TLS configuration refused (%s)", seal_strerror(rc));
            goto done;
        }
    }
    rc = sc_dial(c);
done:
    *out = c;
    if (rc && !c->host) {
        seal_client_close(c);
        *out = NULL;
    }
    return rc;
}

void seal_client_close(seal_client *c)
{
    if (!c)
        return;
    if (c->conn)
        gc_close(c->conn);
    if (c->tls)
        cry_tls_ctx_free(c->tls);
    cry_key_free(c->pubkey);
    if (c->token)
        cry_cleanse(c->token, strlen(c->token));
    seal_free(c->token);
    seal_free(c->session_id);
    seal_free(c->host);
    seal_free(c->db);
    seal_free(c->state_dir);
    seal_free(c);
}

/* ----------------------------------------------------------------- calls */
static int map_status(int code, const char *msg)
{
    switch (code) {
    case GW_OK:
        return 0;
    case GW_NOT_FOUND:
        return SEAL_ENOTFOUND;
    case GW_UNAUTHENTICATED:
        return SEAL_EAUTH;
    case GW_PERMISSION_DENIED:
        return SEAL_EPERM;
    case GW_INVALID_ARGUMENT:
    case GW_OUT_OF_RANGE:
        return SEAL_EINVAL;
    case GW_ALREADY_EXISTS:
        return SEAL_EEXISTS;
    case GW_FAILED_PRECONDITION:
        return SEAL_EPRECONDITION;
    case GW_RESOURCE_EXHAUSTED:
        return SEAL_ELIMIT;
    case GW_UNIMPLEMENTED:
        return SEAL_EUNSUPPORTED;
    case GW_DEADLINE_EXCEEDED:
        return SEAL_ETIMEOUT;
    case GW_UNAVAILABLE:
        return SEAL_EIO;
    default:
        /* immudb reports many database errors with code Unknown */
        if (msg && (strstr(msg, "key not found") || strstr(msg, "tx not found")))
            return SEAL_ENOTFOUND;
        if (msg && strstr(msg, "precondition"))
            return SEAL_EPRECONDITION;
        return SEAL_EPROTOCOL;
    }
}

int sc_auth_md(seal_client *c, gw_md *md)
{
    int rc = 0;
    if (c->token) {
        size_t tl = strlen(c->token) + 8;
        char *v = seal_malloc(tl);
        if (!v)
            return SEAL_ENOMEM;
        snprintf(v, tl, "Bearer %s", c->token);
        rc = gw_md_adds(md, "authorization", v);
        cry_cleanse(v, tl);
        seal_free(v);
        if (rc)
            return rc;
    }
    if (c->session_id)
        rc = gw_md_adds(md, "sessionid", c->session_id);
    return rc;
}

int sc_ensure_conn(seal_client *c)
{
    if (!c->conn || !gc_alive(c->conn)) {
        if (c->conn)
            gc_close(c->conn);
        c->conn = NULL;
        return sc_dial(c);
    }
    return 0;
}

int sc_status_rc(seal_client *c, const char *method, const gc_status *st)
{
    c->last_status = st->code;
    if (st->code == GW_OK)
        return 0;
    int rc = map_status(st->code, st->message);
    if (st->local && st->code == GW_UNAVAILABLE)
        rc = SEAL_EIO;
    return sc_fail(c, rc, "%s: server answered %s: %s", method, gw_code_name(st->code),
                   st->message ? st->message : "");
}

int sc_call(seal_client *c, const char *method, const ProtobufCMessage *req,
            const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp, gw_md *hdrs)
{
    char path[128];
    uint8_t *buf = NULL, *rb = NULL;
    size_t rl = 0;
    gw_md md = {0};
    gc_status st;
    memset(&st, 0, sizeof(st));
    int rc = 0;
    snprintf(path, sizeof(path), SC_SERVICE "%s", method);
    *resp = NULL;

    if ((rc = sc_ensure_conn(c)) != 0)
        return rc;
    size_t n = req ? protobuf_c_message_get_packed_size(req) : 0;
    buf = seal_malloc(n ? n : 1);
    if (!buf)
        return SEAL_ENOMEM;
    if (req)
        protobuf_c_message_pack(req, buf);
    if ((rc = sc_auth_md(c, &md)) != 0)
        goto done;
    gc_call_opts co = {.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 0, .md = &md};
    rc = gc_unary(c->conn, path, &co, buf, n, &rb, &rl, &st);
    if (rc) {
        sc_fail(c, rc, "%s: call failed (%s)", method, seal_strerror(rc));
        goto done;
    }
    if ((rc = sc_status_rc(c, method, &st)) != 0)
        goto done;
    *resp = protobuf_c_message_unpack(resp_desc, &sc_pb_alloc, rl, rb);
    if (!*resp) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "%s: undecodable %s response", method, resp_desc->name);
        goto done;
    }
    if (hdrs) {
        *hdrs = st.headers;
        memset(&st.headers, 0, sizeof(st.headers));
    }
done:
    gc_status_free(&st);
    gw_md_free(&md);
    seal_free(buf);
    seal_free(rb);
    return rc;
}

/* --------------------------------------------------------------- auth */
static int set_str(char **dst, const char *v)
{
    char *p = v ? seal_strdup(v) : NULL;
    if (v && !p)
        return SEAL_ENOMEM;
    if (*dst)
        cry_cleanse(*dst, strlen(*dst));
    seal_free(*dst);
    *dst = p;
    return 0;
}

int seal_client_login(seal_client *c, const char *user, const char *password, char **warning)
{
    sc_begin(c);
    if (!user || !password)
        return sc_fail(c, SEAL_EINVAL, "login: user and password are required");
    Immudb__Schema__LoginRequest r;
    immudb__schema__login_request__init(&r);
    r.user.data = (uint8_t *)(uintptr_t)user;
    r.user.len = strlen(user);
    r.password.data = (uint8_t *)(uintptr_t)password;
    r.password.len = strlen(password);
    Immudb__Schema__LoginResponse *resp = NULL;
    char *w = NULL;
    set_str(&c->token, NULL);
    int rc = sc_call(c, "Login", &r.base, &immudb__schema__login_response__descriptor,
                     (ProtobufCMessage **)&resp, NULL);
    if (rc)
        return rc;
    if (!resp->token || !*resp->token) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "login: the server returned no token");
        goto done;
    }
    if (warning && resp->warning.len) {
        w = seal_malloc(resp->warning.len + 1);
        if (!w) {
            rc = SEAL_ENOMEM;
            goto done;
        }
        memcpy(w, resp->warning.data, resp->warning.len);
        w[resp->warning.len] = 0;
    }
    if ((rc = set_str(&c->token, resp->token)) != 0 || (rc = set_str(&c->db, SC_DEFAULT_DB)) != 0)
        goto done;
    if (warning) {
        *warning = w;
        w = NULL;
    }
done:
    seal_free(w);
    if (resp && resp->token)
        cry_cleanse(resp->token, strlen(resp->token));
    sc_msg_free(resp);
    return rc;
}

int seal_client_logout(seal_client *c)
{
    sc_begin(c);
    ProtobufCMessage *resp = NULL;
    int rc = sc_call(c, "Logout", NULL, &google__protobuf__empty__descriptor, &resp, NULL);
    sc_msg_free(resp);
    set_str(&c->token, NULL);
    return rc;
}

int seal_client_use_database(seal_client *c, const char *db)
{
    sc_begin(c);
    if (!db || !*db || strlen(db) > 200 || strchr(db, ':') || strchr(db, '\n'))
        return sc_fail(c, SEAL_EINVAL, "use database: invalid database name");
    Immudb__Schema__Database r;
    immudb__schema__database__init(&r);
    r.databasename = (char *)(uintptr_t)db;
    Immudb__Schema__UseDatabaseReply *resp = NULL;
    int rc = sc_call(c, "UseDatabase", &r.base, &immudb__schema__use_database_reply__descriptor,
                     (ProtobufCMessage **)&resp, NULL);
    if (rc)
        return rc;
    char *ndb = seal_strdup(db);
    if (!ndb) {
        rc = SEAL_ENOMEM;
    } else if (resp->token && *resp->token) {
        if ((rc = set_str(&c->token, resp->token)) != 0)
            seal_free(ndb);
    } else if (!c->session_id) {
        seal_free(ndb);
        rc = sc_fail(c, SEAL_EPROTOCOL, "use database: the server returned no token");
    }
    if (rc == 0) {
        seal_free(c->db);
        c->db = ndb;
    }
    if (resp->token)
        cry_cleanse(resp->token, strlen(resp->token));
    sc_msg_free(resp);
    return rc;
}

int seal_client_open_session(seal_client *c, const char *user, const char *password, const char *db)
{
    sc_begin(c);
    if (!user || !password)
        return sc_fail(c, SEAL_EINVAL, "open session: user and password are required");
    if (!db || !*db)
        db = SC_DEFAULT_DB;
    if (strlen(db) > 200 || strchr(db, ':') || strchr(db, '\n'))
        return sc_fail(c, SEAL_EINVAL, "open session: invalid database name");
    Immudb__Schema__OpenSessionRequest r;
    immudb__schema__open_session_request__init(&r);
    r.username.data = (uint8_t *)(uintptr_t)user;
    r.username.len = strlen(user);
    r.password.data = (uint8_t *)(uintptr_t)password;
    r.password.len = strlen(password);
    r.databasename = (char *)(uintptr_t)db;
    Immudb__Schema__OpenSessionResponse *resp = NULL;
    set_str(&c->session_id, NULL);
    int rc = sc_call(c, "OpenSession", &r.base, &immudb__schema__open_session_response__descriptor,
                     (ProtobufCMessage **)&resp, NULL);
    if (rc)
        return rc;
    if (!resp->sessionid || !*resp->sessionid) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "open session: the server returned no session id");
        goto done;
    }
    if ((rc = set_str(&c->session_id, resp->sessionid)) != 0 || (rc = set_str(&c->db, db)) != 0)
        goto done;
    if (resp->serveruuid && *resp->serveruuid && !c->server_uuid[0] &&
        strlen(resp->serveruuid) < sizeof(c->server_uuid))
        snprintf(c->server_uuid, sizeof(c->server_uuid), "%s", resp->serveruuid);
done:
    sc_msg_free(resp);
    return rc;
}

int seal_client_close_session(seal_client *c)
{
    sc_begin(c);
    if (!c->session_id)
        return sc_fail(c, SEAL_ESTATE, "close session: no session is open");
    ProtobufCMessage *resp = NULL;
    int rc = sc_call(c, "CloseSession", NULL, &google__protobuf__empty__descriptor, &resp, NULL);
    sc_msg_free(resp);
    set_str(&c->session_id, NULL);
    return rc;
}

int seal_client_keep_alive(seal_client *c)
{
    sc_begin(c);
    if (!c->session_id)
        return sc_fail(c, SEAL_ESTATE, "keep alive: no session is open");
    ProtobufCMessage *resp = NULL;
    int rc = sc_call(c, "KeepAlive", NULL, &google__protobuf__empty__descriptor, &resp, NULL);
    sc_msg_free(resp);
    return rc;
}

/* ------------------------------------------------------------ info */
static bool uuid_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n >= 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = u[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

int seal_client_health(seal_client *c, seal_health *out)
{
    sc_begin(c);
    Immudb__Schema__HealthResponse *resp = NULL;
    gw_md hdrs = {0};
    int rc = sc_call(c, "Health", NULL, &immudb__schema__health_response__descriptor,
                     (ProtobufCMessage **)&resp, &hdrs);
    if (rc)
        return rc;
    const char *u = gw_md_get(&hdrs, "immudb-uuid");
    if (u && *u) {
        if (!uuid_ok(u)) {
            rc = sc_fail(c, SEAL_EPROTOCOL, "health: malformed immudb-uuid header");
            goto done;
        }
        if (!c->server_uuid[0])
            snprintf(c->server_uuid, sizeof(c->server_uuid), "%s", u);
    }
    if (out) {
        memset(out, 0, sizeof(*out));
        out->status = resp->status;
        snprintf(out->version, sizeof(out->version), "%s", resp->version ? resp->version : "");
        snprintf(out->server_uuid, sizeof(out->server_uuid), "%s", u ? u : "");
    }
done:
    gw_md_free(&hdrs);
    sc_msg_free(resp);
    return rc;
}

int sc_ensure_uuid(seal_client *c)
{
    if (!c->server_uuid[0]) {
        int rc = seal_client_health(c, NULL);
        if (rc)
            return rc;
        if (!c->server_uuid[0])
            return sc_fail(c, SEAL_EPROTOCOL,
                           "the server sent no immudb-uuid header: its trusted state "
                           "cannot be kept apart from other servers'");
    }
    if (!uuid_ok(c->server_uuid))
        return sc_fail(c, SEAL_EPROTOCOL, "malformed server UUID");
    snprintf(c->state_path, sizeof(c->state_path), "%s/.state-%s", c->state_dir, c->server_uuid);
    return 0;
}

int seal_client_server_info(seal_client *c, seal_server_info *out)
{
    sc_begin(c);
    Immudb__Schema__ServerInfoRequest r;
    immudb__schema__server_info_request__init(&r);
    Immudb__Schema__ServerInfoResponse *resp = NULL;
    int rc = sc_call(c, "ServerInfo", &r.base, &immudb__schema__server_info_response__descriptor,
                     (ProtobufCMessage **)&resp, NULL);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    snprintf(out->version, sizeof(out->version), "%s", resp->version ? resp->version : "");
    out->started_at = resp->startedat;
    out->num_transactions = resp->numtransactions;
    out->num_databases = resp->numdatabases;
    out->databases_disk_size = resp->databasesdisksize;
    sc_msg_free(resp);
    return 0;
}

int sc_state_from_pb(const Immudb__Schema__ImmutableState *s, seal_dbstate *out)
{
    memset(out, 0, sizeof(*out));
    if (s->db && strlen(s->db) >= sizeof(out->db))
        return SEAL_EPROTOCOL;
    snprintf(out->db, sizeof(out->db), "%s", s->db ? s->db : "");
    out->tx_id = s->txid;
    mt_digest_from_bytes(out->tx_hash, s->txhash.data, s->txhash.len);
    if (s->signature) {
        out->has_signature = 1;
        out->signature_len = SEAL_MIN(s->signature->signature.len, sizeof(out->signature));
        if (out->signature_len)
            memcpy(out->signature, s->signature->signature.data, out->signature_len);
        out->public_key_len = SEAL_MIN(s->signature->publickey.len, sizeof(out->public_key));
        if (out->public_key_len)
            memcpy(out->public_key, s->signature->publickey.data, out->public_key_len);
    }
    return 0;
}

int seal_client_current_state(seal_client *c, seal_dbstate *out)
{
    sc_begin(c);
    Immudb__Schema__ImmutableState *resp = NULL;
    int rc = sc_call(c, "CurrentState", NULL, &immudb__schema__immutable_state__descriptor,
                     (ProtobufCMessage **)&resp, NULL);
    if (rc)
        return rc;
    seal_dbstate st;
    if (sc_state_from_pb(resp, &st) != 0) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "current state: database name too long");
        goto done;
    }
    if (c->pubkey) {
        /* the Go client's interceptor: CheckSignature of the reply itself */
        if (!resp->signature) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "current state: the state of %s at tx %llu is not signed and a "
                         "server public key is configured",
                         st.db, (unsigned long long)st.tx_id);
            goto done;
        }
        uint8_t payload[64 + 256];
        size_t pl;
        if (mt_state_payload(payload, sizeof(payload), &pl, st.db, strlen(st.db), st.tx_id,
                             st.tx_hash) != 0 ||
            cry_ecdsa_verify(c->pubkey, payload, pl, resp->signature->signature.data,
                             resp->signature->signature.len) != 0) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "current state: the signature of the state of %s at tx %llu does "
                         "not verify with the configured server public key",
                         st.db, (unsigned long long)st.tx_id);
            goto done;
        }
    }
    *out = st;
done:
    sc_msg_free(resp);
    return rc;
}
