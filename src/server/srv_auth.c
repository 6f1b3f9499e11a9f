/* srv_auth.c - ImmuService handlers for logins, sessions and users: Login,
 * Logout, OpenSession, CloseSession, KeepAlive, UseDatabase, CreateUser,
 * ChangePassword, ChangePermission, SetActiveUser and ListUsers, with
 * immudb's responses and messages (pkg/server/{user,session,server}.go).
 * The rules themselves live in db/users.c and db/sessions.c. */
#include <stdio.h>
#include <time.h>

#include "common/common.h"
#include "server/srv_int.h"

#define LOGC              "auth"
#define MSG_NO_SESSION_ID "no sessionID provided"

static const char EMPTY[] = "";

/* Password bytes of a request (never NULL). */
static const char *pw_data(const ProtobufCBinaryData *b)
{
    return b->len ? (const char *)b->data : EMPTY;
}

/* The failed-login slowdown: refuse at once while a wait is pending
 * (handlers run on worker threads, but a sleeping worker would still let an
 * attacker hold threads; answering at once costs nothing). */
static int backoff_check(srv_req *r, const char *user, const char *host)
{
    int64_t wait = auth_backoff_wait(r->server->backoff, user, host, srv_now_ms());
    if (wait <= 0)
        return 0;
    char ms[32];
    snprintf(ms, sizeof(ms), "%lld", (long long)wait);
    gs_call_add_trailer(r->call, "sealdb-retry-after-ms", ms);
    return gs_error(r->call, GW_RESOURCE_EXHAUSTED,
                    "too many failed login attempts: retry in %lld ms", (long long)wait);
}

/* Checks a user's password with the slowdown applied. On success *out gets
 * the user. Returns 0 or the call's status. */
static int login_check(srv_req *r, const char *user, const ProtobufCBinaryData *pw,
                       users_user **out)
{
    srv *s = r->server;
    char host[128];
    users_msg um;
    srv_peer_host(r->call, host, sizeof(host));
    int rc = backoff_check(r, user, host);
    if (rc)
        return rc;
    rc = users_authenticate(s->users, user, pw_data(pw), pw->len, out, &um);
    if (rc == SEAL_EAUTH) {
        int64_t wait = 0;
        auth_backoff_failure(s->backoff, user, host, srv_now_ms(), &wait);
        SEAL_LOGW(LOGC, "failed login for user '%.63s' from %s%s", user, host,
                  wait > 0 ? " (further attempts delayed)" : "");
    }
    if (rc)
        return srv_users_error(r, rc, &um);
    auth_backoff_success(s->backoff, user);
    return 0;
}

/* ------------------------------------------------------------- Login */
static int h_login(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__LoginRequest *req = (const Immudb__Schema__LoginRequest *)m;
    srv *s = r->server;
    char tok[AUTH_TOKEN_LEN + 1];
    users_user *u = NULL;
    char *user = srv_bytes_dup(&req->user);
    int rc;
    if (!user)
        return SEAL_ENOMEM;
    rc = login_check(r, user, &req->password, &u);
    if (rc)
        goto out;
    /* Outside immudb's multi-database mode the token selects defaultdb. */
    const char *db = srv_multidb(s) ? NULL : DBCAT_DEFAULTDB;
    rc = auth_tokens_issue(s->tokens, u->username, db, srv_now_ms(), tok);
    if (rc) {
        rc = gs_error(r->call, rc == SEAL_ELIMIT ? GW_RESOURCE_EXHAUSTED : rc,
                      "can not issue a token: %s", seal_strerror(rc));
        goto out;
    }
    Immudb__Schema__LoginResponse resp;
    immudb__schema__login_response__init(&resp);
    resp.token = tok;
    static const char warn[] = USERS_WARN_DEFAULT_ADMIN_PASSWORD;
    if (strcmp(u->username, USERS_SYSADMIN_NAME) == 0 &&
        req->password.len == strlen(USERS_DEFAULT_ADMIN_PASSWORD) &&
        memcmp(req->password.data, USERS_DEFAULT_ADMIN_PASSWORD, req->password.len) == 0) {
        resp.warning.data = (uint8_t *)(uintptr_t)warn;
        resp.warning.len = strlen(warn);
    }
    rc = gs_send(r->call, &resp.base);
    cry_cleanse(tok, sizeof(tok));
out:
    users_user_free(u);
    seal_free(user);
    return rc;
}

static int send_empty(srv_req *r)
{
    Google__Protobuf__Empty e;
    google__protobuf__empty__init(&e);
    return gs_send(r->call, &e.base);
}

static int h_logout(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    if (r->token) {
        int rc = auth_tokens_revoke(r->server->tokens, r->token);
        if (rc)
            return gs_error(r->call, GW_UNAUTHENTICATED, "%s", AUTH_MSG_NOT_LOGGED_IN);
    }
    return send_empty(r);
}

/* ----------------------------------------------------------- sessions */
static void lower(char *p)
{
    for (; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static int h_open_session(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__OpenSessionRequest *req = (const Immudb__Schema__OpenSessionRequest *)m;
    srv *s = r->server;
    users_user *u = NULL;
    users_msg um;
    char id[AUTH_SESSION_ID_LEN + 1];
    char db[USERS_DB_NAME_MAX + 1];
    char *user = srv_bytes_dup(&req->username);
    int rc;
    if (!user)
        return SEAL_ENOMEM;
    snprintf(db, sizeof(db), "%s", req->databasename ? req->databasename : "");
    lower(db);
    rc = login_check(r, user, &req->password, &u);
    if (rc)
        goto out;
    if (strcmp(db, DBCAT_SYSTEMDB) != 0 && !dbcat_exists(s->cat, db)) {
        rc = gs_error(r->call, GW_NOT_FOUND, "database does not exist");
        goto out;
    }
    if (!u->sysadmin) {
        rc = users_check_database(s->users, u->username, db, &um);
        if (rc) {
            rc = srv_users_error(r, rc, &um);
            goto out;
        }
    }
    rc = auth_sessions_open(s->sessions, u->username, db, srv_now_ms(), id);
    if (rc) {
        rc = rc == SEAL_ELIMIT ? gs_error(r->call, GW_UNKNOWN, "%s", AUTH_MSG_MAX_SESSIONS)
                               : gs_error(r->call, rc, "can not create new session");
        goto out;
    }
    Immudb__Schema__OpenSessionResponse resp;
    immudb__schema__open_session_response__init(&resp);
    resp.sessionid = id;
    resp.serveruuid = s->info.uuid;
    rc = gs_send(r->call, &resp.base);
    cry_cleanse(id, sizeof(id));
out:
    users_user_free(u);
    seal_free(user);
    return rc;
}

static int h_close_session(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    if (!r->session)
        return gs_error(r->call, GW_UNKNOWN, MSG_NO_SESSION_ID);
    if (auth_sessions_close(r->server->sessions, r->session) != 0)
        return gs_error(r->call, GW_INVALID_ARGUMENT, "%s", AUTH_MSG_NO_SESSION);
    return send_empty(r);
}

static int h_keep_alive(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    /* The runtime already touched the session. */
    if (!r->session)
        return gs_error(r->call, GW_UNKNOWN, MSG_NO_SESSION_ID);
    return send_empty(r);
}

/* -------------------------------------------------------- UseDatabase */
static int h_use_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__Database *req = (const Immudb__Schema__Database *)m;
    srv *s = r->server;
    const char *name = req->databasename ? req->databasename : "";
    char tok[AUTH_TOKEN_LEN + 1];
    users_msg um;
    int rc;

    if (strcmp(name, DBCAT_SYSTEMDB) != 0) {
        if (!dbcat_exists(s->cat, name))
            return gs_error(r->call, GW_NOT_FOUND, "'%s' does not exist", name);
        sdb *db;
        rc = dbcat_acquire(s->cat, name, &db);
        if (rc)
            return srv_db_error(r, rc);
        dbcat_release(s->cat, db);
    }
    if (!r->sysadmin) {
        rc = users_check_database(s->users, r->user, name, &um);
        if (rc)
            return srv_users_error(r, rc, &um);
    }
    int64_t now = srv_now_ms();
    if (r->token)
        rc = auth_tokens_use_database(s->tokens, r->token, name, now, tok);
    else
        rc = auth_tokens_issue(s->tokens, r->user, name, now, tok);
    if (rc)
        return gs_error(r->call, rc == SEAL_ELIMIT ? GW_RESOURCE_EXHAUSTED : GW_UNAUTHENTICATED,
                        "%s", rc == SEAL_ELIMIT ? "can not issue a token" : "Please login");
    if (r->session) {
        rc = auth_sessions_set_database(s->sessions, r->session, name, now);
        if (rc) {
            cry_cleanse(tok, sizeof(tok));
            return gs_error(r->call, GW_INVALID_ARGUMENT, "%s", AUTH_MSG_NO_SESSION);
        }
    }
    Immudb__Schema__UseDatabaseReply resp;
    immudb__schema__use_database_reply__init(&resp);
    resp.token = tok;
    rc = gs_send(r->call, &resp.base);
    cry_cleanse(tok, sizeof(tok));
    return rc;
}

/* -------------------------------------------------------------- users */
static int h_create_user(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__CreateUserRequest *req = (const Immudb__Schema__CreateUserRequest *)m;
    srv *s = r->server;
    users_msg um;
    char *user = srv_bytes_dup(&req->user);
    if (!user)
        return SEAL_ENOMEM;
    const char *db = req->database ? req->database : "";
    if (!db[0] && !srv_multidb(s))
        db = DBCAT_DEFAULTDB;
    int rc = users_create(s->users, r->user, user, pw_data(&req->password), req->password.len,
                          req->permission, db, &um);
    if (rc)
        rc = srv_users_error(r, rc, &um);
    else {
        SEAL_LOGI(LOGC, "user %s was created by user %s", user, r->user);
        rc = send_empty(r);
    }
    seal_free(user);
    return rc;
}

static int h_change_password(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__ChangePasswordRequest *req =
        (const Immudb__Schema__ChangePasswordRequest *)m;
    users_msg um;
    char *user = srv_bytes_dup(&req->user);
    if (!user)
        return SEAL_ENOMEM;
    int rc = users_change_password(r->server->users, r->user, user, pw_data(&req->oldpassword),
                                   req->oldpassword.len, pw_data(&req->newpassword),
                                   req->newpassword.len, &um);
    rc = rc ? srv_users_error(r, rc, &um) : send_empty(r);
    seal_free(user);
    return rc;
}

static int h_change_permission(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__ChangePermissionRequest *req =
        (const Immudb__Schema__ChangePermissionRequest *)m;
    users_msg um;
    int rc = users_change_permission(r->server->users, r->user, req->username ? req->username : "",
                                     (int)req->action, req->database ? req->database : "",
                                     req->permission, &um);
    return rc ? srv_users_error(r, rc, &um) : send_empty(r);
}

static int h_set_active_user(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__SetActiveUserRequest *req =
        (const Immudb__Schema__SetActiveUserRequest *)m;
    users_msg um;
    int rc = users_set_active(r->server->users, r->user, req->username ? req->username : "",
                              req->active != 0, &um);
    return rc ? srv_users_error(r, rc, &um) : send_empty(r);
}

/* Go's time.Time.String() of a UTC time, as immudb's ListUsers shows
 * createdat: "2006-01-02 15:04:05.999999999 +0000 UTC" (fraction without
 * trailing zeros, none when zero). */
static void go_time_string(int64_t ms, char *buf, size_t cap)
{
    time_t sec = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    struct tm tm;
    if (gmtime_r(&sec, &tm) == NULL) {
        snprintf(buf, cap, "%s", "1970-01-01 00:00:00 +0000 UTC");
        return;
    }
    char f[8] = "";
    if (frac) {
        snprintf(f, sizeof(f), ".%03d", frac);
        size_t n = strlen(f);
        while (n > 1 && f[n - 1] == '0')
            f[--n] = '\0';
    }
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f);
}

static int h_list_users(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    users_user *list = NULL;
    size_t n = 0, nperm = 0;
    users_msg um;
    int rc = users_list(r->server->users, r->user, r->db_name, &list, &n, &um);
    if (rc)
        return srv_users_error(r, rc, &um);
    for (size_t i = 0; i < n; i++)
        nperm += list[i].nperms;

    Immudb__Schema__UserList resp;
    immudb__schema__user_list__init(&resp);
    Immudb__Schema__User *users = seal_calloc(n ? n : 1, sizeof(*users));
    Immudb__Schema__User **uptr = seal_calloc(n ? n : 1, sizeof(*uptr));
    Immudb__Schema__Permission *perms = seal_calloc(nperm ? nperm : 1, sizeof(*perms));
    Immudb__Schema__Permission **pptr = seal_calloc(nperm ? nperm : 1, sizeof(*pptr));
    char(*times)[64] = seal_calloc(n ? n : 1, sizeof(*times));
    if (!users || !uptr || !perms || !pptr || !times) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    size_t pi = 0;
    for (size_t i = 0; i < n; i++) {
        Immudb__Schema__User *u = &users[i];
        immudb__schema__user__init(u);
        u->user.data = (uint8_t *)list[i].username;
        u->user.len = strlen(list[i].username);
        u->createdby = list[i].created_by ? list[i].created_by : (char *)(uintptr_t)EMPTY;
        go_time_string(list[i].created_at_ms, times[i], sizeof(times[i]));
        u->createdat = times[i];
        u->active = list[i].active;
        u->permissions = &pptr[pi];
        u->n_permissions = list[i].nperms;
        for (size_t k = 0; k < list[i].nperms; k++, pi++) {
            immudb__schema__permission__init(&perms[pi]);
            perms[pi].database = list[i].perms[k].database;
            perms[pi].permission = list[i].perms[k].permission;
            pptr[pi] = &perms[pi];
        }
        uptr[i] = u;
    }
    resp.users = uptr;
    resp.n_users = n;
    rc = gs_send(r->call, &resp.base);
out:
    seal_free(users);
    seal_free(uptr);
    seal_free(perms);
    seal_free(pptr);
    seal_free(times);
    users_list_free(list, n);
    return rc;
}

#define U(name, desc, fn)                                                                          \
    {                                                                                              \
        name, GS_UNARY, desc, fn, false, false                                                     \
    }
const srv_method srv_auth_methods[] = {
    U("Login", &immudb__schema__login_request__descriptor, h_login),
    U("Logout", NULL, h_logout),
    U("OpenSession", &immudb__schema__open_session_request__descriptor, h_open_session),
    U("CloseSession", NULL, h_close_session),
    U("KeepAlive", NULL, h_keep_alive),
    U("UseDatabase", &immudb__schema__database__descriptor, h_use_database),
    U("CreateUser", &immudb__schema__create_user_request__descriptor, h_create_user),
    U("ChangePassword", &immudb__schema__change_password_request__descriptor, h_change_password),
    U("ChangePermission", &immudb__schema__change_permission_request__descriptor,
      h_change_permission),
    U("SetActiveUser", &immudb__schema__set_active_user_request__descriptor, h_set_active_user),
    U("ListUsers", NULL, h_list_users),
    {NULL, 0, NULL, NULL, false, false},
};
