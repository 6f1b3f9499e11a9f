/* srv_runtime_test.c - the sealdb server runtime end to end, in process:
 * a real srv (srv.h) on an ephemeral port, driven by the C gRPC client
 * transport with protobuf-c messages. Covers login/logout and tokens,
 * the failed-login slowdown, UseDatabase binding, sessions (open,
 * keepalive, close, limit, timeout, sessionid on calls), users (create,
 * list, password rules, changes ending logins, permissions), databases
 * (create v2 with header versions 0 and 1, list, load/unload/delete,
 * settings), Health/ServerInfo (FIPS headers)/DatabaseHealth, the server
 * identifier, signed CurrentState, TLS and mTLS, and UNIMPLEMENTED for
 * methods nobody serves. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "client/grpc_client.h"
#include "common/common.h"
#include "crypto/cry.h"
#include "schema.pb-c.h"
#include "server/srv.h"
#include "testlib.h"

#define SVC      "/immudb.schema.ImmuService/"
#define ADMIN_PW "Admin-Pw1!"

/* ------------------------------------------------------------- server */
typedef struct tsrv {
    srv *s;
    pthread_t th;
    int port;
    int run_rc;
    char dir[700];
} tsrv;

static void *run_main(void *arg)
{
    tsrv *t = arg;
    t->run_rc = srv_run(t->s);
    return NULL;
}

static int dir_seq;

static void opts_default(srv_options *o, tsrv *t)
{
    srv_options_default(o);
    snprintf(t->dir, sizeof(t->dir), "%s/d%d", t_tmpdir(), ++dir_seq);
    o->dir = t->dir;
    o->address = "127.0.0.1";
    o->port = 0;
    o->admin_password = ADMIN_PW;
    o->pbkdf2_iterations = 1000;
    o->workers_max = 8;
    o->shutdown_grace_ms = 2000;
}

static bool ts_start(tsrv *t, const srv_options *o)
{
    char err[512] = "";
    int rc = srv_new(&t->s, o, err, sizeof(err));
    if (rc) {
        T_FAIL("srv_new: %s (%s)", err, t_errstr(rc));
        t->s = NULL;
        return false;
    }
    t->port = srv_port(t->s);
    if (pthread_create(&t->th, NULL, run_main, t) != 0) {
        T_FAIL("pthread_create");
        srv_free(t->s);
        t->s = NULL;
        return false;
    }
    return true;
}

static void ts_stop(tsrv *t)
{
    if (!t->s)
        return;
    srv_stop(t->s);
    pthread_join(t->th, NULL);
    CHECK_INT(t->run_rc, 0);
    srv_free(t->s);
    t->s = NULL;
}

/* ------------------------------------------------------------- client */
typedef struct cli {
    gc_conn *c;
    char token[256];
    char sid[256];
    char msg[512];        /* last status message */
    char uuid[64];        /* immudb-uuid of the last response */
    char fips_status[64]; /* sealdb-fips-status of the last response */
    char fips_module[128];
} cli;

static bool cli_open_tls(cli *k, int port, cry_tls_ctx *tls)
{
    memset(k, 0, sizeof(*k));
    gc_opts o = {.tls = tls, .authority = tls ? "localhost" : NULL, .connect_timeout_ms = 5000};
    return gc_connect(&k->c, "127.0.0.1", port, &o) == 0;
}

static bool cli_open(cli *k, int port)
{
    bool ok = cli_open_tls(k, port, NULL);
    if (!ok)
        T_FAIL("cannot connect to port %d", port);
    return ok;
}

static void cli_close(cli *k)
{
    if (k->c)
        gc_close(k->c);
    k->c = NULL;
}

/* One unary call. |req| NULL sends an empty message; |out| (may be NULL)
 * gets the decoded response (free with protobuf_c_message_free_unpacked).
 * Returns the gRPC status code. */
static int call(cli *k, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *rdesc, void *out)
{
    uint8_t buf[8192], *resp = NULL;
    size_t n = req ? protobuf_c_message_pack(req, buf) : 0, rn = 0;
    gw_md md = {0};
    if (k->token[0]) {
        char h[300];
        snprintf(h, sizeof(h), "Bearer %s", k->token);
        gw_md_adds(&md, "authorization", h);
    }
    if (k->sid[0])
        gw_md_adds(&md, "sessionid", k->sid);
    gc_call_opts co = {.timeout_ms = 20000, .md = &md};
    gc_status st;
    char path[128];
    snprintf(path, sizeof(path), SVC "%s", method);
    if (out)
        *(ProtobufCMessage **)out = NULL;
    int rc = gc_unary(k->c, path, &co, buf, n, &resp, &rn, &st);
    gw_md_free(&md);
    if (rc) {
        snprintf(k->msg, sizeof(k->msg), "transport error %d", rc);
        return -1;
    }
    int code = st.code;
    snprintf(k->msg, sizeof(k->msg), "%s", st.message ? st.message : "");
    const char *u = gw_md_get(&st.headers, "immudb-uuid");
    snprintf(k->uuid, sizeof(k->uuid), "%s", u ? u : "");
    u = gw_md_get(&st.headers, "sealdb-fips-status");
    snprintf(k->fips_status, sizeof(k->fips_status), "%s", u ? u : "");
    u = gw_md_get(&st.headers, "sealdb-fips-module");
    snprintf(k->fips_module, sizeof(k->fips_module), "%s", u ? u : "");
    gc_status_free(&st);
    if (code == GW_OK && out && rdesc) {
        ProtobufCMessage *m = protobuf_c_message_unpack(rdesc, NULL, rn, resp);
        if (!m)
            T_FAIL("%s: cannot decode the response", method);
        *(ProtobufCMessage **)out = m;
    }
    seal_free(resp);
    return code;
}

#define FREE_MSG(m)                                                                                \
    do {                                                                                           \
        if (m)                                                                                     \
            protobuf_c_message_free_unpacked(&(m)->base, NULL);                                    \
        (m) = NULL;                                                                                \
    } while (0)

#define CHECK_MSG(k, text)                                                                         \
    do {                                                                                           \
        if (!strstr((k)->msg, (text)))                                                             \
            T_FAIL("message \"%s\" does not contain \"%s\"", (k)->msg, (text));                    \
    } while (0)

static ProtobufCBinaryData bin(const char *s)
{
    ProtobufCBinaryData b = {strlen(s), (uint8_t *)(uintptr_t)s};
    return b;
}

/* Login; on success the token is kept in |k|. Returns the code. */
static int login(cli *k, const char *user, const char *pw)
{
    Immudb__Schema__LoginRequest req;
    immudb__schema__login_request__init(&req);
    req.user = bin(user);
    req.password = bin(pw);
    Immudb__Schema__LoginResponse *resp;
    int code = call(k, "Login", &req.base, &immudb__schema__login_response__descriptor, &resp);
    if (code == GW_OK) {
        snprintf(k->token, sizeof(k->token), "%s", resp->token);
        CHECK(strlen(resp->token) > 20);
    }
    FREE_MSG(resp);
    return code;
}

static int use_db(cli *k, const char *name)
{
    Immudb__Schema__Database req;
    immudb__schema__database__init(&req);
    req.databasename = (char *)(uintptr_t)name;
    Immudb__Schema__UseDatabaseReply *resp;
    int code =
        call(k, "UseDatabase", &req.base, &immudb__schema__use_database_reply__descriptor, &resp);
    if (code == GW_OK) {
        CHECK(resp->token && resp->token[0]);
        snprintf(k->token, sizeof(k->token), "%s", resp->token);
    }
    FREE_MSG(resp);
    return code;
}

/* CreateDatabaseV2 with writeTxHeaderVersion |ver| (-1: no settings). */
static int create_db_v2(cli *k, const char *name, int ver, bool if_not_exists,
                        Immudb__Schema__CreateDatabaseResponse **out)
{
    Immudb__Schema__CreateDatabaseRequest req;
    immudb__schema__create_database_request__init(&req);
    Immudb__Schema__DatabaseNullableSettings ns;
    immudb__schema__database_nullable_settings__init(&ns);
    Immudb__Schema__NullableUint32 v;
    immudb__schema__nullable_uint32__init(&v);
    req.name = (char *)(uintptr_t)name;
    req.ifnotexists = if_not_exists;
    if (ver >= 0) {
        v.value = (uint32_t)ver;
        ns.writetxheaderversion = &v;
        req.settings = &ns;
    }
    Immudb__Schema__CreateDatabaseResponse *resp = NULL;
    int code = call(k, "CreateDatabaseV2", &req.base,
                    &immudb__schema__create_database_response__descriptor, &resp);
    if (out)
        *out = resp;
    else
        FREE_MSG(resp);
    return code;
}

static int create_user(cli *k, const char *user, const char *pw, uint32_t perm, const char *db)
{
    Immudb__Schema__CreateUserRequest req;
    immudb__schema__create_user_request__init(&req);
    req.user = bin(user);
    req.password = bin(pw);
    req.permission = perm;
    req.database = (char *)(uintptr_t)db;
    return call(k, "CreateUser", &req.base, NULL, NULL);
}

static int current_state(cli *k, Immudb__Schema__ImmutableState **out)
{
    Immudb__Schema__ImmutableState *st = NULL;
    int code = call(k, "CurrentState", NULL, &immudb__schema__immutable_state__descriptor, &st);
    if (out)
        *out = st;
    else
        FREE_MSG(st);
    return code;
}

static int open_session(cli *k, const char *user, const char *pw, const char *db)
{
    Immudb__Schema__OpenSessionRequest req;
    immudb__schema__open_session_request__init(&req);
    req.username = bin(user);
    req.password = bin(pw);
    req.databasename = (char *)(uintptr_t)db;
    Immudb__Schema__OpenSessionResponse *resp;
    int code = call(k, "OpenSession", &req.base, &immudb__schema__open_session_response__descriptor,
                    &resp);
    if (code == GW_OK) {
        snprintf(k->sid, sizeof(k->sid), "%s", resp->sessionid);
        CHECK(strlen(resp->sessionid) >= 40);
        CHECK_STR(resp->serveruuid, k->uuid);
    }
    FREE_MSG(resp);
    return code;
}

/* Set key=value in the selected database; *id gets the tx id. */
static int kv_set(cli *k, const char *key, const char *val, uint64_t *id)
{
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest req;
    immudb__schema__set_request__init(&req);
    kv.key = bin(key);
    kv.value = bin(val);
    req.kvs = kvs;
    req.n_kvs = 1;
    Immudb__Schema__TxHeader *h = NULL;
    int code = call(k, "Set", &req.base, &immudb__schema__tx_header__descriptor, &h);
    if (h && id)
        *id = h->id;
    FREE_MSG(h);
    return code;
}

/* The header version of tx |id| (TxById), or -1. */
static int tx_version(cli *k, uint64_t id)
{
    Immudb__Schema__TxRequest req;
    immudb__schema__tx_request__init(&req);
    req.tx = id;
    Immudb__Schema__Tx *tx = NULL;
    int v = -1;
    if (call(k, "TxById", &req.base, &immudb__schema__tx__descriptor, &tx) == GW_OK && tx &&
        tx->header)
        v = tx->header->version;
    FREE_MSG(tx);
    return v;
}

/* -------------------------------------------------------------- tests */
static void test_login_logout(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;

    /* Wrong password and unknown user: immudb's message. */
    CHECK_INT(login(&k, "immudb", "wrong"), GW_UNKNOWN);
    CHECK_MSG(&k, "invalid user name or password");
    CHECK_INT(login(&k, "nobody", "Whatever1!"), GW_UNKNOWN);
    CHECK_MSG(&k, "invalid user name or password");

    /* A token is needed for anything but the no-login methods. */
    CHECK_INT(call(&k, "DatabaseList", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    CHECK_MSG(&k, "not logged in");
    snprintf(k.token, sizeof(k.token), "bogus-token");
    CHECK_INT(call(&k, "DatabaseList", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    CHECK_MSG(&k, "not logged in");
    CHECK_INT(use_db(&k, "defaultdb"), GW_UNAUTHENTICATED);
    CHECK_MSG(&k, "Please login");

    /* Login ignores the stale header; no warning with a non-default password. */
    Immudb__Schema__LoginRequest req;
    immudb__schema__login_request__init(&req);
    req.user = bin("immudb");
    req.password = bin(ADMIN_PW);
    Immudb__Schema__LoginResponse *lr = NULL;
    CHECK_INT(call(&k, "Login", &req.base, &immudb__schema__login_response__descriptor, &lr),
              GW_OK);
    if (lr) {
        CHECK_INT(lr->warning.len, 0);
        snprintf(k.token, sizeof(k.token), "%s", lr->token);
    }
    FREE_MSG(lr);
    Immudb__Schema__DatabaseListResponse *dl = NULL;
    CHECK_INT(
        call(&k, "DatabaseList", NULL, &immudb__schema__database_list_response__descriptor, &dl),
        GW_OK);
    if (dl) {
        CHECK_INT(dl->n_databases, 1);
        if (dl->n_databases)
            CHECK_STR(dl->databases[0]->databasename, "defaultdb");
    }
    FREE_MSG(dl);
    /* Single-database mode: the login token selects defaultdb (as immudb). */
    Immudb__Schema__ImmutableState *st = NULL;
    CHECK_INT(current_state(&k, &st), GW_OK);
    if (st)
        CHECK_STR(st->db, "defaultdb");
    FREE_MSG(st);

    /* Logout: the token is revoked. */
    char old[256];
    snprintf(old, sizeof(old), "%s", k.token);
    CHECK_INT(call(&k, "Logout", NULL, NULL, NULL), GW_OK);
    CHECK_INT(call(&k, "DatabaseList", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    CHECK_MSG(&k, "not logged in");
    CHECK_INT(call(&k, "Logout", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    /* A second login gives a different token; the old one stays dead. */
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK(strcmp(old, k.token) != 0);
    CHECK_INT(call(&k, "DatabaseList", NULL, NULL, NULL), GW_OK);
    /* The first CreateDatabase switches to multi-database mode: from then
     * on a login token selects nothing, as in immudb. */
    CHECK_INT(create_db_v2(&k, "second", -1, false, NULL), GW_OK);
    CHECK_INT(current_state(&k, NULL), GW_OK); /* the old token keeps defaultdb */
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(current_state(&k, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "please select a database first");
    cli_close(&k);
    /* After a restart too. */
    ts_stop(&t);
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(current_state(&k, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "please select a database first");
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_default_password_warning(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    o.admin_password = "immudb";
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    srv_info info;
    srv_get_info(t.s, &info);
    CHECK(info.admin_default);
    CHECK(info.admin_created);
    Immudb__Schema__LoginRequest req;
    immudb__schema__login_request__init(&req);
    req.user = bin("immudb");
    req.password = bin("immudb");
    Immudb__Schema__LoginResponse *lr = NULL;
    CHECK_INT(call(&k, "Login", &req.base, &immudb__schema__login_response__descriptor, &lr),
              GW_OK);
    if (lr) {
        const char *w = "immudb user has the default password: please change it to ensure "
                        "proper security";
        CHECK_INT(lr->warning.len, strlen(w));
        CHECK(lr->warning.len == strlen(w) && memcmp(lr->warning.data, w, strlen(w)) == 0);
    }
    FREE_MSG(lr);
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_backoff(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    o.backoff_free_user = 2;
    o.backoff_base_ms = 60000;
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(create_user(&k, "carol", "Carol-Pw1!", 1, "defaultdb"), GW_OK);
    k.token[0] = '\0';
    int refused = 0, i;
    for (i = 0; i < 6 && !refused; i++) {
        int code = login(&k, "carol", "Wrong-Pw1!");
        if (code == GW_RESOURCE_EXHAUSTED)
            refused = 1;
        else {
            CHECK_INT(code, GW_UNKNOWN);
            CHECK_MSG(&k, "invalid user name or password");
        }
    }
    CHECK(refused);
    CHECK(i >= 3); /* two free failures, then the delay */
    CHECK_MSG(&k, "too many failed login attempts");
    /* During the delay even the right password is refused, at once. */
    double t0 = t_now();
    CHECK_INT(login(&k, "carol", "Carol-Pw1!"), GW_RESOURCE_EXHAUSTED);
    CHECK(t_now() - t0 < 2.0);
    /* Another user is not affected. */
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_databases(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);

    Immudb__Schema__CreateDatabaseResponse *cr = NULL;
    CHECK_INT(create_db_v2(&k, "dbv0", 0, false, &cr), GW_OK);
    if (cr) {
        CHECK_STR(cr->name, "dbv0");
        CHECK(!cr->alreadyexisted);
        CHECK(cr->settings && cr->settings->writetxheaderversion);
        if (cr->settings && cr->settings->writetxheaderversion)
            CHECK_INT(cr->settings->writetxheaderversion->value, 0);
        CHECK(cr->settings && cr->settings->indexsettings &&
              cr->settings->indexsettings->cachesize);
    }
    FREE_MSG(cr);
    CHECK_INT(create_db_v2(&k, "DBV1", 1, false, &cr), GW_OK);
    if (cr) {
        CHECK_STR(cr->name, "dbv1"); /* lower-cased, as immudb */
        if (cr->settings && cr->settings->writetxheaderversion)
            CHECK_INT(cr->settings->writetxheaderversion->value, 1);
    }
    FREE_MSG(cr);
    CHECK_INT(create_db_v2(&k, "dbv0", -1, false, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database already exists");
    CHECK_INT(create_db_v2(&k, "dbv0", -1, true, &cr), GW_OK);
    if (cr)
        CHECK(cr->alreadyexisted);
    FREE_MSG(cr);
    CHECK_INT(create_db_v2(&k, "defaultdb", -1, false, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database is reserved");
    CHECK_INT(create_db_v2(&k, "bad-name", -1, false, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "punctuation marks and symbols are not allowed in database name");
    /* Legacy CreateDatabase gets the server's default version (1 here). */
    Immudb__Schema__Database d;
    immudb__schema__database__init(&d);
    d.databasename = "legacy";
    CHECK_INT(call(&k, "CreateDatabase", &d.base, NULL, NULL), GW_OK);
    /* CreateDatabaseWith (old settings). */
    Immudb__Schema__DatabaseSettings ds;
    immudb__schema__database_settings__init(&ds);
    ds.databasename = "withdb";
    ds.maxkeylen = 512;
    CHECK_INT(call(&k, "CreateDatabaseWith", &ds.base, NULL, NULL), GW_OK);

    /* DatabaseListV2. */
    Immudb__Schema__DatabaseListRequestV2 lreq;
    immudb__schema__database_list_request_v2__init(&lreq);
    Immudb__Schema__DatabaseListResponseV2 *l2 = NULL;
    CHECK_INT(call(&k, "DatabaseListV2", &lreq.base,
                   &immudb__schema__database_list_response_v2__descriptor, &l2),
              GW_OK);
    int seen = 0;
    for (size_t i = 0; l2 && i < l2->n_databases; i++) {
        Immudb__Schema__DatabaseInfo *di = l2->databases[i];
        CHECK(di->loaded);
        CHECK(di->settings != NULL);
        if (strcmp(di->name, "dbv0") == 0) {
            seen |= 1;
            CHECK_STR(di->created_by, "immudb");
            CHECK(di->created_at > 0);
            CHECK(di->disksize > 0);
            if (di->settings && di->settings->writetxheaderversion)
                CHECK_INT(di->settings->writetxheaderversion->value, 0);
        }
        if (strcmp(di->name, "legacy") == 0) {
            seen |= 2;
            if (di->settings && di->settings->writetxheaderversion)
                CHECK_INT(di->settings->writetxheaderversion->value, 1);
        }
        if (strcmp(di->name, "withdb") == 0) {
            seen |= 4;
            if (di->settings && di->settings->maxkeylen)
                CHECK_INT(di->settings->maxkeylen->value, 512);
        }
    }
    CHECK_INT(seen, 7);
    CHECK_INT(l2 ? l2->n_databases : 0, 5);
    FREE_MSG(l2);

    /* Settings of the selected database. */
    CHECK_INT(use_db(&k, "dbv0"), GW_OK);
    Immudb__Schema__DatabaseSettingsRequest sreq;
    immudb__schema__database_settings_request__init(&sreq);
    Immudb__Schema__DatabaseSettingsResponse *sr = NULL;
    CHECK_INT(call(&k, "GetDatabaseSettingsV2", &sreq.base,
                   &immudb__schema__database_settings_response__descriptor, &sr),
              GW_OK);
    if (sr) {
        CHECK_STR(sr->database, "dbv0");
        CHECK(sr->settings && sr->settings->writetxheaderversion &&
              sr->settings->writetxheaderversion->value == 0);
    }
    FREE_MSG(sr);
    Immudb__Schema__ImmutableState *st = NULL;
    CHECK_INT(current_state(&k, &st), GW_OK);
    if (st) {
        CHECK_STR(st->db, "dbv0");
        CHECK_INT(st->txid, 0);
        CHECK(st->signature == NULL);
    }
    FREE_MSG(st);
    /* The header version is honoured by the commits. */
    uint64_t id = 0;
    CHECK_INT(kv_set(&k, "k0", "v0", &id), GW_OK);
    CHECK_INT(id, 1);
    CHECK_INT(tx_version(&k, id), 0);
    CHECK_INT(use_db(&k, "dbv1"), GW_OK);
    CHECK_INT(kv_set(&k, "k1", "v1", &id), GW_OK);
    CHECK_INT(tx_version(&k, id), 1);
    CHECK_INT(use_db(&k, "dbv0"), GW_OK);
    Immudb__Schema__DatabaseHealthResponse *hr = NULL;
    CHECK_INT(call(&k, "DatabaseHealth", NULL,
                   &immudb__schema__database_health_response__descriptor, &hr),
              GW_OK);
    if (hr) {
        CHECK_INT(hr->pendingrequests, 0);
        CHECK(hr->lastrequestcompletedat > 0); /* CurrentState just ran */
    }
    FREE_MSG(hr);

    /* UpdateDatabaseV2: autoload off; a permanent setting is refused. */
    Immudb__Schema__UpdateDatabaseRequest ureq;
    immudb__schema__update_database_request__init(&ureq);
    Immudb__Schema__DatabaseNullableSettings ns;
    immudb__schema__database_nullable_settings__init(&ns);
    Immudb__Schema__NullableBool nb;
    immudb__schema__nullable_bool__init(&nb);
    nb.value = 0;
    ns.autoload = &nb;
    ureq.database = "dbv1";
    ureq.settings = &ns;
    Immudb__Schema__UpdateDatabaseResponse *ur = NULL;
    CHECK_INT(call(&k, "UpdateDatabaseV2", &ureq.base,
                   &immudb__schema__update_database_response__descriptor, &ur),
              GW_OK);
    if (ur) {
        CHECK_STR(ur->database, "dbv1");
        CHECK(ur->settings && ur->settings->autoload && !ur->settings->autoload->value);
    }
    FREE_MSG(ur);
    Immudb__Schema__NullableUint32 fs;
    immudb__schema__nullable_uint32__init(&fs);
    fs.value = 1 << 20;
    ns.autoload = NULL;
    ns.filesize = &fs;
    CHECK_INT(call(&k, "UpdateDatabaseV2", &ureq.base, NULL, NULL), GW_INVALID_ARGUMENT);
    CHECK_MSG(&k, "can not be changed after database creation");
    ureq.database = "defaultdb";
    CHECK_INT(call(&k, "UpdateDatabaseV2", &ureq.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database is reserved");

    /* Unload / load / delete. */
    Immudb__Schema__UnloadDatabaseRequest unl;
    immudb__schema__unload_database_request__init(&unl);
    Immudb__Schema__UnloadDatabaseResponse *unr = NULL;
    unl.database = "dbv0";
    CHECK_INT(call(&k, "UnloadDatabase", &unl.base,
                   &immudb__schema__unload_database_response__descriptor, &unr),
              GW_OK);
    if (unr)
        CHECK_STR(unr->database, "dbv0");
    FREE_MSG(unr);
    CHECK_INT(call(&k, "UnloadDatabase", &unl.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "already closed");
    /* The token still selects dbv0, now closed. */
    CHECK_INT(current_state(&k, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "already closed");
    CHECK_INT(use_db(&k, "dbv0"), GW_UNKNOWN);
    CHECK_MSG(&k, "already closed");
    CHECK_INT(call(&k, "DatabaseListV2", &lreq.base,
                   &immudb__schema__database_list_response_v2__descriptor, &l2),
              GW_OK);
    for (size_t i = 0; l2 && i < l2->n_databases; i++)
        if (strcmp(l2->databases[i]->name, "dbv0") == 0)
            CHECK(!l2->databases[i]->loaded);
    FREE_MSG(l2);
    Immudb__Schema__LoadDatabaseRequest ld;
    immudb__schema__load_database_request__init(&ld);
    ld.database = "dbv0";
    CHECK_INT(call(&k, "LoadDatabase", &ld.base, NULL, NULL), GW_OK);
    CHECK_INT(call(&k, "LoadDatabase", &ld.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database already loaded");
    CHECK_INT(current_state(&k, NULL), GW_OK);

    Immudb__Schema__DeleteDatabaseRequest del;

    immudb__schema__delete_database_request__init(&del);
    del.database = "legacy";
    CHECK_INT(call(&k, "UnloadDatabase", &del.base, NULL, NULL), GW_OK);
    CHECK_INT(call(&k, "DeleteDatabase", &del.base, NULL, NULL), GW_OK);
    CHECK_INT(call(&k, "DeleteDatabase", &del.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database does not exist");
    del.database = "defaultdb";
    CHECK_INT(call(&k, "DeleteDatabase", &del.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "database is reserved");
    CHECK_INT(
        call(&k, "DatabaseList", NULL, &immudb__schema__database_list_response__descriptor, &l2),
        GW_OK);
    FREE_MSG(l2);

    /* systemdb: a sysadmin may select it, but only maintenance methods run. */
    CHECK_INT(use_db(&k, "systemdb"), GW_OK);
    CHECK_INT(call(&k, "DatabaseHealth", NULL, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "permission denied");
    CHECK_INT(use_db(&k, "nosuchdb"), GW_NOT_FOUND);
    CHECK_MSG(&k, "'nosuchdb' does not exist");
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_default_header_version_0(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    o.default_tx_header_version = 0;
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    Immudb__Schema__Database d;
    immudb__schema__database__init(&d);
    d.databasename = "old";
    CHECK_INT(call(&k, "CreateDatabase", &d.base, NULL, NULL), GW_OK);
    CHECK_INT(use_db(&k, "old"), GW_OK);
    Immudb__Schema__DatabaseSettingsRequest sreq;
    immudb__schema__database_settings_request__init(&sreq);
    Immudb__Schema__DatabaseSettingsResponse *sr = NULL;
    CHECK_INT(call(&k, "GetDatabaseSettingsV2", &sreq.base,
                   &immudb__schema__database_settings_response__descriptor, &sr),
              GW_OK);
    CHECK(sr && sr->settings && sr->settings->writetxheaderversion &&
          sr->settings->writetxheaderversion->value == 0);
    FREE_MSG(sr);
    /* defaultdb too was created with version 0. */
    CHECK_INT(use_db(&k, "defaultdb"), GW_OK);
    CHECK_INT(call(&k, "GetDatabaseSettingsV2", &sreq.base,
                   &immudb__schema__database_settings_response__descriptor, &sr),
              GW_OK);
    CHECK(sr && sr->settings && sr->settings->writetxheaderversion &&
          sr->settings->writetxheaderversion->value == 0);
    FREE_MSG(sr);
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_users(void)
{
    srv_options o;
    tsrv t;
    cli k, a;
    opts_default(&o, &t);
    if (!ts_start(&t, &o) || !cli_open(&k, t.port) || !cli_open(&a, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(create_db_v2(&k, "db1", -1, false, NULL), GW_OK);
    CHECK_INT(create_db_v2(&k, "db2", -1, false, NULL), GW_OK);

    /* immudb's rules and messages. */
    CHECK_INT(create_user(&k, "alice", "weak", 1, "db1"), GW_INVALID_ARGUMENT);
    CHECK_MSG(&k, "password must have between 8 and 32 letters");
    CHECK_INT(create_user(&k, "alice", "Alice-Pw1!", 1, ""), GW_UNKNOWN);
    CHECK_MSG(&k, "database name can not be empty when there are multiple databases");
    CHECK_INT(create_user(&k, "alice", "Alice-Pw1!", 7, "db1"), GW_UNKNOWN);
    CHECK_MSG(&k, "unrecognized permission");
    CHECK_INT(create_user(&k, "alice", "Alice-Pw1!", 1, "nodb"), GW_UNKNOWN);
    CHECK_MSG(&k, "database nodb does not exist");
    CHECK_INT(create_user(&k, "alice", "Alice-Pw1!", 1, "db1"), GW_OK);
    CHECK_INT(create_user(&k, "alice", "Alice-Pw1!", 1, "db1"), GW_UNKNOWN);
    CHECK_MSG(&k, "user already exists");
    CHECK_INT(create_user(&k, "dave", "Dave-Pw1!!", 254, "db2"), GW_OK);

    /* ListUsers: immudb's shape. */
    Immudb__Schema__UserList *ul = NULL;
    CHECK_INT(call(&k, "ListUsers", NULL, &immudb__schema__user_list__descriptor, &ul), GW_OK);
    int seen = 0;
    for (size_t i = 0; ul && i < ul->n_users; i++) {
        Immudb__Schema__User *u = ul->users[i];
        CHECK(u->active);
        CHECK(strstr(u->createdat, " +0000 UTC") != NULL && strlen(u->createdat) >= 25);
        if (u->user.len == 5 && memcmp(u->user.data, "alice", 5) == 0) {
            seen |= 1;
            CHECK_STR(u->createdby, "immudb");
            CHECK_INT(u->n_permissions, 1);
            if (u->n_permissions == 1) {
                CHECK_STR(u->permissions[0]->database, "db1");
                CHECK_INT(u->permissions[0]->permission, 1);
            }
        }
        if (u->user.len == 6 && memcmp(u->user.data, "immudb", 6) == 0) {
            seen |= 2;
            CHECK_INT(u->n_permissions, 1);
            if (u->n_permissions == 1) {
                CHECK_STR(u->permissions[0]->database, "*");
                CHECK_INT(u->permissions[0]->permission, 255);
            }
        }
    }
    CHECK_INT(seen, 3);
    CHECK_INT(ul ? ul->n_users : 0, 3);
    FREE_MSG(ul);

    /* alice: read-only on db1. */
    CHECK_INT(login(&a, "alice", "Alice-Pw1!"), GW_OK);
    Immudb__Schema__DatabaseListResponse *dl = NULL;
    CHECK_INT(
        call(&a, "DatabaseList", NULL, &immudb__schema__database_list_response__descriptor, &dl),
        GW_OK);
    CHECK(dl && dl->n_databases == 1 && strcmp(dl->databases[0]->databasename, "db1") == 0);
    FREE_MSG(dl);
    /* Multi-database mode: the login token selects nothing yet. */
    CHECK_INT(current_state(&a, NULL), GW_UNKNOWN);
    CHECK_MSG(&a, "please select a database first");
    CHECK_INT(use_db(&a, "db2"), GW_PERMISSION_DENIED);
    CHECK_MSG(&a, "Logged in user does not have permission on this database");
    CHECK_INT(use_db(&a, "db1"), GW_OK);
    Immudb__Schema__ImmutableState *st = NULL;
    CHECK_INT(current_state(&a, &st), GW_OK);
    if (st)
        CHECK_STR(st->db, "db1");
    FREE_MSG(st);
    /* Read-only: reads pass, writes are refused with immudb's message. */
    CHECK_INT(kv_set(&a, "x", "y", NULL), GW_UNKNOWN);
    CHECK_MSG(&a, "permission denied");
    CHECK_INT(call(&a, "CountAll", NULL, NULL, NULL), GW_OK);
    /* Admin calls need a sysadmin. */
    CHECK_INT(create_db_v2(&a, "mine", -1, false, NULL), GW_UNKNOWN);
    CHECK_MSG(&a, "loggedin user does not have permissions for this operation");
    Immudb__Schema__UnloadDatabaseRequest unl;
    immudb__schema__unload_database_request__init(&unl);
    unl.database = "db1";
    CHECK_INT(call(&a, "UnloadDatabase", &unl.base, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&a, "you do not have admin permission on this database");
    CHECK_INT(create_user(&a, "eve", "Eve-Pw12!", 1, "db1"), GW_UNKNOWN);
    CHECK_MSG(&a, "you do not have permission on this database");
    /* alice sees only herself. */
    CHECK_INT(call(&a, "ListUsers", NULL, &immudb__schema__user_list__descriptor, &ul), GW_OK);
    CHECK(ul && ul->n_users == 1);
    FREE_MSG(ul);

    /* Her own password: the old one is needed, the rule applies. */
    Immudb__Schema__ChangePasswordRequest cp;
    immudb__schema__change_password_request__init(&cp);
    cp.user = bin("alice");
    cp.oldpassword = bin("not-it");
    cp.newpassword = bin("Alice-Pw2!");
    CHECK_INT(call(&a, "ChangePassword", &cp.base, NULL, NULL), GW_PERMISSION_DENIED);
    CHECK_MSG(&a, "old password is incorrect");
    cp.oldpassword = bin("Alice-Pw1!");
    cp.newpassword = bin("short");
    CHECK_INT(call(&a, "ChangePassword", &cp.base, NULL, NULL), GW_INVALID_ARGUMENT);
    CHECK_MSG(&a, "password must have between 8 and 32 letters");

    /* The sysadmin changes it without the old one: alice's login ends. */
    cp.oldpassword = bin("");
    cp.newpassword = bin("Alice-Pw2!");
    CHECK_INT(call(&k, "ChangePassword", &cp.base, NULL, NULL), GW_OK);
    CHECK_INT(current_state(&a, NULL), GW_UNAUTHENTICATED);
    CHECK_INT(login(&a, "alice", "Alice-Pw1!"), GW_UNKNOWN);
    CHECK_INT(login(&a, "alice", "Alice-Pw2!"), GW_OK);

    /* ChangePermission: grant db2 read-write, revoke db1; her logins end. */
    Immudb__Schema__ChangePermissionRequest pr;
    immudb__schema__change_permission_request__init(&pr);
    pr.action = IMMUDB__SCHEMA__PERMISSION_ACTION__GRANT;
    pr.username = "alice";
    pr.database = "db2";
    pr.permission = 2;
    CHECK_INT(call(&k, "ChangePermission", &pr.base, NULL, NULL), GW_OK);
    CHECK_INT(call(&a, "DatabaseList", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    pr.action = IMMUDB__SCHEMA__PERMISSION_ACTION__REVOKE;
    pr.database = "db1";
    pr.permission = 1;
    CHECK_INT(call(&k, "ChangePermission", &pr.base, NULL, NULL), GW_OK);
    pr.username = "immudb";
    CHECK_INT(call(&k, "ChangePermission", &pr.base, NULL, NULL), GW_INVALID_ARGUMENT);
    CHECK_MSG(&k, "changing your own permissions is not allowed");
    CHECK_INT(login(&a, "alice", "Alice-Pw2!"), GW_OK);
    CHECK_INT(use_db(&a, "db1"), GW_PERMISSION_DENIED);
    CHECK_INT(use_db(&a, "db2"), GW_OK);
    CHECK_INT(kv_set(&a, "x", "y", NULL), GW_OK); /* read-write now */

    /* dave administers db2: he sees the users with a permission on it. */
    cli dv;
    if (cli_open(&dv, t.port)) {
        CHECK_INT(login(&dv, "dave", "Dave-Pw1!!"), GW_OK);
        CHECK_INT(use_db(&dv, "db2"), GW_OK);
        CHECK_INT(call(&dv, "ListUsers", NULL, &immudb__schema__user_list__descriptor, &ul), GW_OK);
        CHECK(ul && ul->n_users == 2); /* alice and dave */
        FREE_MSG(ul);
        cli_close(&dv);
    }

    /* SetActiveUser: a deactivated user cannot log in. */
    Immudb__Schema__SetActiveUserRequest sa;
    immudb__schema__set_active_user_request__init(&sa);
    sa.username = "alice";
    sa.active = 0;
    CHECK_INT(call(&k, "SetActiveUser", &sa.base, NULL, NULL), GW_OK);
    CHECK_INT(call(&a, "DatabaseList", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    CHECK_INT(login(&a, "alice", "Alice-Pw2!"), GW_UNKNOWN);
    CHECK_MSG(&a, "user is not active");
    sa.active = 1;
    CHECK_INT(call(&k, "SetActiveUser", &sa.base, NULL, NULL), GW_OK);
    CHECK_INT(login(&a, "alice", "Alice-Pw2!"), GW_OK);
    cli_close(&a);
    cli_close(&k);
out:
    ts_stop(&t);
}

static void test_sessions(void)
{
    srv_options o;
    tsrv t;
    cli k, s1, s2, s3;
    opts_default(&o, &t);
    o.max_sessions = 2;
    o.session_timeout_ms = 700;
    o.max_session_inactivity_ms = 300;
    o.sessions_guard_ms = 100;
    if (!ts_start(&t, &o) || !cli_open(&k, t.port) || !cli_open(&s1, t.port) ||
        !cli_open(&s2, t.port) || !cli_open(&s3, t.port))
        goto out;
    /* The uuid header comes with every answer, Health included. */
    CHECK_INT(call(&k, "Health", NULL, NULL, NULL), GW_OK);
    srv_info info;
    srv_get_info(t.s, &info);
    CHECK_STR(k.uuid, info.uuid);
    CHECK_INT(strlen(info.uuid), 20);
    snprintf(s1.uuid, sizeof(s1.uuid), "%s", info.uuid);
    snprintf(s2.uuid, sizeof(s2.uuid), "%s", info.uuid);

    CHECK_INT(open_session(&s1, "immudb", "bad", "defaultdb"), GW_UNKNOWN);
    CHECK_MSG(&s1, "invalid user name or password");
    CHECK_INT(open_session(&s1, "immudb", ADMIN_PW, "nodb"), GW_NOT_FOUND);
    CHECK_MSG(&s1, "database does not exist");
    CHECK_INT(open_session(&s1, "immudb", ADMIN_PW, "DefaultDB"), GW_OK);
    CHECK_INT(call(&s1, "KeepAlive", NULL, NULL, NULL), GW_OK);
    Immudb__Schema__ImmutableState *st = NULL;
    CHECK_INT(current_state(&s1, &st), GW_OK);
    if (st)
        CHECK_STR(st->db, "defaultdb");
    FREE_MSG(st);

    /* The limit. */
    CHECK_INT(open_session(&s2, "immudb", ADMIN_PW, "defaultdb"), GW_OK);
    CHECK_INT(open_session(&s3, "immudb", ADMIN_PW, "defaultdb"), GW_UNKNOWN);
    CHECK_MSG(&s3, "max sessions number reached");

    /* UseDatabase in a session switches the session's database. */
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(create_db_v2(&k, "sdb2", -1, false, NULL), GW_OK);
    CHECK_INT(use_db(&s1, "sdb2"), GW_OK);
    s1.token[0] = '\0'; /* only the session id from here on */
    CHECK_INT(current_state(&s1, &st), GW_OK);
    if (st)
        CHECK_STR(st->db, "sdb2");
    FREE_MSG(st);

    uint64_t sid_tx = 0;
    CHECK_INT(kv_set(&s1, "sk", "sv", &sid_tx), GW_OK);
    CHECK_INT(sid_tx, 1);
    /* Session methods need the session id. */
    CHECK_INT(call(&k, "KeepAlive", NULL, NULL, NULL), GW_UNKNOWN);
    CHECK_MSG(&k, "no sessionID provided");

    /* Close: the id is dead, a slot is free again. */
    CHECK_INT(call(&s2, "CloseSession", NULL, NULL, NULL), GW_OK);
    CHECK_INT(call(&s2, "KeepAlive", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    CHECK_MSG(&s2, "session not found");
    CHECK_INT(open_session(&s3, "immudb", ADMIN_PW, "defaultdb"), GW_OK);

    /* Timeout: s1 kept alive, s3 left idle is closed by the server. */
    for (int i = 0; i < 6; i++) {
        usleep(200 * 1000);
        CHECK_INT(call(&s1, "KeepAlive", NULL, NULL, NULL), GW_OK);
    }
    CHECK_INT(call(&s3, "KeepAlive", NULL, NULL, NULL), GW_UNAUTHENTICATED);
    cli_close(&k);
    cli_close(&s1);
    cli_close(&s2);
    cli_close(&s3);
out:
    ts_stop(&t);
}

static void test_server_info_health_unimplemented(void)
{
    srv_options o;
    tsrv t;
    cli k;
    opts_default(&o, &t);
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    snprintf(k.token, sizeof(k.token), "stale-token-from-an-old-login");
    Immudb__Schema__HealthResponse *h = NULL;
    CHECK_INT(call(&k, "Health", NULL, &immudb__schema__health_response__descriptor, &h), GW_OK);
    if (h) {
        CHECK(h->status);
        CHECK_STR(h->version, seal_version());
    }
    FREE_MSG(h);
    Immudb__Schema__ServerInfoRequest sreq;
    immudb__schema__server_info_request__init(&sreq);
    Immudb__Schema__ServerInfoResponse *si = NULL;
    CHECK_INT(
        call(&k, "ServerInfo", &sreq.base, &immudb__schema__server_info_response__descriptor, &si),
        GW_OK);
    if (si) {
        CHECK_STR(si->version, seal_version());
        CHECK_INT(si->numdatabases, 1);
        CHECK(si->startedat > 1600000000);
        CHECK(si->databasesdisksize > 0);
    }
    FREE_MSG(si);
    CHECK_STR(k.fips_status, "active");
    CHECK(strncmp(k.fips_module, "OpenSSL FIPS Provider", 21) == 0);

    /* Methods nobody serves. */
    k.token[0] = '\0';
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(call(&k, "ChangeSQLPrivileges", NULL, NULL, NULL), GW_UNIMPLEMENTED);
    CHECK_INT(call(&k, "NoSuchMethod", NULL, NULL, NULL), GW_UNIMPLEMENTED);
    cli_close(&k);

    /* The identifier survives a restart. */
    srv_info before, after;
    srv_get_info(t.s, &before);
    ts_stop(&t);
    if (!ts_start(&t, &o))
        return;
    srv_get_info(t.s, &after);
    CHECK_STR(after.uuid, before.uuid);
    CHECK(!after.admin_created);
    /* A different --admin-password without --force-admin-password is reported. */
    ts_stop(&t);
    o.admin_password = "Other-Pw1!";
    if (!ts_start(&t, &o))
        return;
    srv_get_info(t.s, &after);
    CHECK(after.admin_mismatch);
    if (cli_open(&k, t.port)) {
        CHECK_INT(login(&k, "immudb", "Other-Pw1!"), GW_UNKNOWN);
        CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
        cli_close(&k);
    }
    ts_stop(&t);
    o.force_admin_password = true;
    if (!ts_start(&t, &o))
        return;
    srv_get_info(t.s, &after);
    CHECK(after.admin_reset);
    if (cli_open(&k, t.port)) {
        CHECK_INT(login(&k, "immudb", "Other-Pw1!"), GW_OK);
        cli_close(&k);
    }
out:
    ts_stop(&t);
}

static void test_signed_state(void)
{
    srv_options o;
    tsrv t;
    cli k;
    cry_key *key = NULL, *pub = NULL;
    char kp[800];
    snprintf(kp, sizeof(kp), "%s", t_path("signing.key"));
    CHECK_OK(cry_ec_generate(&key));
    if (!key)
        return;
    CHECK_OK(cry_key_save_private_file(key, kp));
    uint8_t raw[65];
    CHECK_OK(cry_key_public_raw(key, raw));
    opts_default(&o, &t);
    o.signing_key = kp;
    if (!ts_start(&t, &o) || !cli_open(&k, t.port))
        goto out;
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    Immudb__Schema__ImmutableState *st = NULL;
    CHECK_INT(current_state(&k, &st), GW_OK);
    if (st) {
        CHECK_STR(st->db, "defaultdb");
        CHECK(st->signature != NULL);
        CHECK_INT(st->txhash.len, 32);
    }
    if (st && st->signature && st->txhash.len == 32) {
        CHECK_INT(st->signature->publickey.len, 65);
        CHECK_MEM(st->signature->publickey.data, raw, 65);
        /* immudb's ImmutableState.ToBytes: u32(len(db)) db u64(txId) txHash */
        uint8_t msg[128];
        size_t dl = strlen(st->db);
        seal_put_u32(msg, (uint32_t)dl);
        memcpy(msg + 4, st->db, dl);
        seal_put_u64(msg + 4 + dl, st->txid);
        memcpy(msg + 12 + dl, st->txhash.data, 32);
        CHECK_OK(cry_key_from_public_raw(&pub, st->signature->publickey.data));
        if (pub) {
            CHECK_OK(cry_ecdsa_verify(pub, msg, 44 + dl, st->signature->signature.data,
                                      st->signature->signature.len));
            msg[4] ^= 1; /* another database name does not verify */
            CHECK_ERR(cry_ecdsa_verify(pub, msg, 44 + dl, st->signature->signature.data,
                                       st->signature->signature.len),
                      SEAL_EVERIFY);
        }
    }
    FREE_MSG(st);
    cli_close(&k);
out:
    ts_stop(&t);
    cry_key_free(pub);
    cry_key_free(key);
    /* A missing key file is refused at start. */
    srv *s = NULL;
    char err[512];
    opts_default(&o, &t);
    o.signing_key = t_path("no-such.key");
    CHECK(srv_new(&s, &o, err, sizeof(err)) != 0);
    CHECK(strstr(err, "signing key") != NULL);
    /* An empty data directory is refused (its mkdir -p walked past the end). */
    opts_default(&o, &t);
    o.dir = "";
    CHECK_ERR(srv_new(&s, &o, err, sizeof(err)), SEAL_EINVAL);
    CHECK(strstr(err, "data directory") != NULL);
}

static char certdir[600];

static const char *cert(const char *name)
{
    static char buf[4][700];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", certdir, name);
    return buf[i];
}

static cry_tls_ctx *client_ctx(bool with_cert)
{
    cry_tls_opts co = {.ca_file = cert("ca.pem"), .verify_peer = 1, .server_name = "localhost"};
    if (with_cert) {
        co.cert_file = cert("client.pem");
        co.key_file = cert("client.key");
    }
    cry_tls_ctx *c = NULL;
    CHECK_OK(cry_tls_ctx_new(&c, 0, &co));
    return c;
}

static void test_tls(void)
{
    srv_options o;
    tsrv t;
    cli k;
    cry_tls_ctx *plain_cert = client_ctx(false), *with_cert = client_ctx(true);
    opts_default(&o, &t);
    o.certificate = cert("server.pem");
    o.pkey = cert("server.key");
    if (!ts_start(&t, &o))
        goto out;
    srv_info info;
    srv_get_info(t.s, &info);
    CHECK(info.tls);
    CHECK(cli_open_tls(&k, t.port, plain_cert));
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    CHECK_INT(call(&k, "DatabaseList", NULL, NULL, NULL), GW_OK);
    cli_close(&k);
    /* A clear-text client gets nowhere. */
    cli p;
    if (cli_open_tls(&p, t.port, NULL)) {
        CHECK(call(&p, "Health", NULL, NULL, NULL) != GW_OK);
        cli_close(&p);
    }
    ts_stop(&t);

    /* mTLS: a client without a certificate is refused. */
    o.mtls = true;
    o.clientcas = cert("ca.pem");
    if (!ts_start(&t, &o))
        goto out;
    if (cli_open_tls(&k, t.port, plain_cert)) {
        CHECK(call(&k, "Health", NULL, NULL, NULL) != GW_OK);
        cli_close(&k);
    }
    CHECK(cli_open_tls(&k, t.port, with_cert));
    CHECK_INT(call(&k, "Health", NULL, NULL, NULL), GW_OK);
    CHECK_INT(login(&k, "immudb", ADMIN_PW), GW_OK);
    cli_close(&k);
    ts_stop(&t);

    /* Bad combinations are refused before anything starts. */
    srv *s = NULL;
    char err[512];
    o.clientcas = NULL;
    CHECK_ERR(srv_new(&s, &o, err, sizeof(err)), SEAL_EINVAL);
    CHECK(strstr(err, "--clientcas") != NULL);
    o.mtls = false;
    o.pkey = NULL;
    CHECK_ERR(srv_new(&s, &o, err, sizeof(err)), SEAL_EINVAL);
    o.pkey = cert("missing.key");
    CHECK(srv_new(&s, &o, err, sizeof(err)) != 0);
out:
    ts_stop(&t);
    cry_tls_ctx_free(plain_cert);
    cry_tls_ctx_free(with_cert);
}

static void test_port_in_use(void)
{
    srv_options o, o2;
    tsrv t, t2;
    opts_default(&o, &t);
    if (!ts_start(&t, &o))
        return;
    opts_default(&o2, &t2);
    o2.port = t.port;
    srv *s = NULL;
    char err[512];
    CHECK_ERR(srv_new(&s, &o2, err, sizeof(err)), SEAL_EIO);
    CHECK(strstr(err, "cannot listen") != NULL);
    ts_stop(&t);
}

int main(void)
{
    t_init();
    signal(SIGPIPE, SIG_IGN);
    RUN(test_login_logout);
    RUN(test_default_password_warning);
    RUN(test_databases);
    RUN(test_default_header_version_0);
    RUN(test_users);
    RUN(test_sessions);
    RUN(test_server_info_health_unimplemented);
    RUN(test_signed_state);
    RUN(test_port_in_use);
    RUN(test_backoff);
    snprintf(certdir, sizeof(certdir), "%s", t_path("certs"));
    char cmd[1600];
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/integration/grpc_certs.sh' '%s'",
             t_env("SEAL_SRC_DIR", "."), certdir);
    if (system(cmd) != 0)
        T_FAIL("cannot create test certificates (%s)", cmd);
    else
        RUN(test_tls);
    return t_done();
}
