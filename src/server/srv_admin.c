/* srv_admin.c - ImmuService handlers for databases and the server itself:
 * CreateDatabase(With/V2), DatabaseList(V2), Load/Unload/DeleteDatabase,
 * UpdateDatabase(V2), GetDatabaseSettings(V2), Health, DatabaseHealth,
 * ServerInfo (with the FIPS module status in sealdb-fips-* response
 * headers) and CurrentState (signed with --signingKey). Settings travel as
 * immudb's DatabaseNullableSettings and map field by field to the catalog's
 * dbcat_settings. */
#include <stdio.h>

#include "common/common.h"
#include "seal/seal_fips.h"
#include "server/srv_int.h"

#define MSG_RESERVED "database is reserved"

/* ----------------------------------------------------- settings mapping */
/* Where each catalog field lives in DatabaseNullableSettings: the field
 * number of the sub-message (0 = the message itself) and of the Nullable*
 * value inside it. */
enum { P_TOP = 0, P_REPL = 2, P_INDEX = 19, P_AHT = 25, P_TRUNC = 29 };
static const struct {
    uint8_t parent, field;
} SMAP[DBS_NFIELDS] = {
    [DBS_REPLICA] = {P_REPL, 1},
    [DBS_SYNC_REPLICATION] = {P_REPL, 7},
    [DBS_PRIMARY_PORT] = {P_REPL, 4},
    [DBS_SYNC_ACKS] = {P_REPL, 8},
    [DBS_PREFETCH_TX_BUFFER_SIZE] = {P_REPL, 9},
    [DBS_REPLICATION_COMMIT_CONCURRENCY] = {P_REPL, 10},
    [DBS_ALLOW_TX_DISCARDING] = {P_REPL, 11},
    [DBS_SKIP_INTEGRITY_CHECK] = {P_REPL, 12},
    [DBS_WAIT_FOR_INDEXING] = {P_REPL, 13},
    [DBS_FILE_SIZE] = {P_TOP, 8},
    [DBS_MAX_KEY_LEN] = {P_TOP, 9},
    [DBS_MAX_VALUE_LEN] = {P_TOP, 10},
    [DBS_MAX_TX_ENTRIES] = {P_TOP, 11},
    [DBS_EXCLUDE_COMMIT_TIME] = {P_TOP, 12},
    [DBS_MAX_CONCURRENCY] = {P_TOP, 13},
    [DBS_MAX_IO_CONCURRENCY] = {P_TOP, 14},
    [DBS_TX_LOG_CACHE_SIZE] = {P_TOP, 15},
    [DBS_VLOG_MAX_OPENED_FILES] = {P_TOP, 16},
    [DBS_TX_LOG_MAX_OPENED_FILES] = {P_TOP, 17},
    [DBS_COMMIT_LOG_MAX_OPENED_FILES] = {P_TOP, 18},
    [DBS_WRITE_TX_HEADER_VERSION] = {P_TOP, 20},
    [DBS_AUTOLOAD] = {P_TOP, 21},
    [DBS_READ_TX_POOL_SIZE] = {P_TOP, 22},
    [DBS_SYNC_FREQUENCY] = {P_TOP, 23},
    [DBS_WRITE_BUFFER_SIZE] = {P_TOP, 24},
    [DBS_MAX_ACTIVE_TRANSACTIONS] = {P_TOP, 26},
    [DBS_MVCC_READ_SET_LIMIT] = {P_TOP, 27},
    [DBS_VLOG_CACHE_SIZE] = {P_TOP, 28},
    [DBS_EMBEDDED_VALUES] = {P_TOP, 30},
    [DBS_PREALLOC_FILES] = {P_TOP, 31},
    [DBS_IDX_FLUSH_THRESHOLD] = {P_INDEX, 1},
    [DBS_IDX_SYNC_THRESHOLD] = {P_INDEX, 2},
    [DBS_IDX_CACHE_SIZE] = {P_INDEX, 3},
    [DBS_IDX_MAX_NODE_SIZE] = {P_INDEX, 4},
    [DBS_IDX_MAX_ACTIVE_SNAPSHOTS] = {P_INDEX, 5},
    [DBS_IDX_RENEW_SNAP_ROOT_AFTER] = {P_INDEX, 6},
    [DBS_IDX_COMPACTION_THLD] = {P_INDEX, 7},
    [DBS_IDX_DELAY_DURING_COMPACTION] = {P_INDEX, 8},
    [DBS_IDX_NODES_LOG_MAX_OPENED_FILES] = {P_INDEX, 9},
    [DBS_IDX_HISTORY_LOG_MAX_OPENED_FILES] = {P_INDEX, 10},
    [DBS_IDX_COMMIT_LOG_MAX_OPENED_FILES] = {P_INDEX, 11},
    [DBS_IDX_FLUSH_BUFFER_SIZE] = {P_INDEX, 12},
    [DBS_IDX_CLEANUP_PERCENTAGE] = {P_INDEX, 13},
    [DBS_IDX_MAX_BULK_SIZE] = {P_INDEX, 14},
    [DBS_IDX_BULK_PREPARATION_TIMEOUT] = {P_INDEX, 15},
    [DBS_AHT_SYNC_THRESHOLD] = {P_AHT, 1},
    [DBS_AHT_WRITE_BUFFER_SIZE] = {P_AHT, 2},
    [DBS_RETENTION_PERIOD] = {P_TRUNC, 1},
    [DBS_TRUNCATION_FREQUENCY] = {P_TRUNC, 2},
};
/* The replication strings (NullableString in ReplicationNullableSettings). */
enum { R_PRIMARY_DATABASE = 2, R_PRIMARY_HOST = 3, R_PRIMARY_USERNAME = 5, R_PRIMARY_PASSWORD = 6 };

static ProtobufCMessage **field_slot(ProtobufCMessage *msg, unsigned number,
                                     const ProtobufCFieldDescriptor **fd_out)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field(msg->descriptor, number);
    if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    if (fd_out)
        *fd_out = fd;
    return (ProtobufCMessage **)(void *)((char *)msg + fd->offset);
}

static const ProtobufCMessage *field_get(const ProtobufCMessage *msg, unsigned number)
{
    if (!msg)
        return NULL;
    ProtobufCMessage **p = field_slot((ProtobufCMessage *)(uintptr_t)msg, number, NULL);
    return p ? *p : NULL;
}

/* The sub-message at |number|, created when absent. NULL on ENOMEM. */
static ProtobufCMessage *field_child(ProtobufCMessage *msg, unsigned number)
{
    const ProtobufCFieldDescriptor *fd;
    ProtobufCMessage **p = field_slot(msg, number, &fd);
    if (!p)
        return NULL;
    if (!*p) {
        const ProtobufCMessageDescriptor *d = fd->descriptor;
        void *m = seal_calloc(1, d->sizeof_message);
        if (!m)
            return NULL;
        protobuf_c_message_init(d, m);
        *p = m;
    }
    return *p;
}

/* The value of a Nullable* message as a double. */
static double nullable_value(const ProtobufCMessage *nm)
{
    const ProtobufCFieldDescriptor *fd = &nm->descriptor->fields[0];
    const char *p = (const char *)nm + fd->offset;
    switch (fd->type) {
    case PROTOBUF_C_TYPE_UINT32:
        return *(const uint32_t *)(const void *)p;
    case PROTOBUF_C_TYPE_UINT64:
        return (double)*(const uint64_t *)(const void *)p;
    case PROTOBUF_C_TYPE_INT64:
        return (double)*(const int64_t *)(const void *)p;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)(const void *)p;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)(const void *)p ? 1 : 0;
    default:
        return 0;
    }
}

static int nullable_set(ProtobufCMessage *parent, unsigned number, double v)
{
    ProtobufCMessage *nm = field_child(parent, number);
    if (!nm)
        return SEAL_ENOMEM;
    const ProtobufCFieldDescriptor *fd = &nm->descriptor->fields[0];
    char *p = (char *)nm + fd->offset;
    switch (fd->type) {
    case PROTOBUF_C_TYPE_UINT32:
        *(uint32_t *)(void *)p = (uint32_t)v;
        break;
    case PROTOBUF_C_TYPE_UINT64:
        *(uint64_t *)(void *)p = (uint64_t)v;
        break;
    case PROTOBUF_C_TYPE_INT64:
        *(int64_t *)(void *)p = (int64_t)v;
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *)(void *)p = (float)v;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)(void *)p = v != 0;
        break;
    case PROTOBUF_C_TYPE_STRING: {
        char *s = seal_calloc(1, 1);
        if (!s)
            return SEAL_ENOMEM;
        *(char **)(void *)p = s;
        break;
    }
    default:
        break;
    }
    return 0;
}

static const char *nullable_string(const ProtobufCMessage *parent, unsigned number)
{
    const ProtobufCMessage *nm = field_get(parent, number);
    if (!nm)
        return NULL;
    return ((const Immudb__Schema__NullableString *)(const void *)nm)->value;
}

static void settings_free(Immudb__Schema__DatabaseNullableSettings *ns)
{
    if (ns)
        protobuf_c_message_free_unpacked(&ns->base, &gs_pb_allocator);
}

/* dbcat_settings -> a complete DatabaseNullableSettings (free with
 * settings_free). NULL on ENOMEM. */
static Immudb__Schema__DatabaseNullableSettings *settings_to_pb(const dbcat_settings *st)
{
    Immudb__Schema__DatabaseNullableSettings *ns = seal_calloc(1, sizeof(*ns));
    if (!ns)
        return NULL;
    immudb__schema__database_nullable_settings__init(ns);
    ProtobufCMessage *top = &ns->base;
    for (int f = 0; f < DBS_NFIELDS; f++) {
        ProtobufCMessage *parent = SMAP[f].parent ? field_child(top, SMAP[f].parent) : top;
        if (!parent || nullable_set(parent, SMAP[f].field, st->v[f]) != 0)
            goto nomem;
    }
    ProtobufCMessage *repl = field_child(top, P_REPL);
    if (!repl)
        goto nomem;
    const unsigned strs[] = {R_PRIMARY_DATABASE, R_PRIMARY_HOST, R_PRIMARY_USERNAME,
                             R_PRIMARY_PASSWORD};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(strs); i++)
        if (nullable_set(repl, strs[i], 0) != 0)
            goto nomem;
    return ns;
nomem:
    settings_free(ns);
    return NULL;
}

/* DatabaseNullableSettings -> a partial update (pointers into |ns|). */
static void settings_from_pb(const Immudb__Schema__DatabaseNullableSettings *ns, dbcat_update *u)
{
    memset(u, 0, sizeof(*u));
    if (!ns)
        return;
    const ProtobufCMessage *top = &ns->base;
    for (int f = 0; f < DBS_NFIELDS; f++) {
        const ProtobufCMessage *parent = SMAP[f].parent ? field_get(top, SMAP[f].parent) : top;
        const ProtobufCMessage *nm = field_get(parent, SMAP[f].field);
        if (nm) {
            u->set[f] = true;
            u->v[f] = nullable_value(nm);
        }
    }
    const ProtobufCMessage *repl = field_get(top, P_REPL);
    u->primary_database = nullable_string(repl, R_PRIMARY_DATABASE);
    u->primary_host = nullable_string(repl, R_PRIMARY_HOST);
    u->primary_username = nullable_string(repl, R_PRIMARY_USERNAME);
    u->primary_password = nullable_string(repl, R_PRIMARY_PASSWORD);
}

/* immudb's dbSettingsToDBNullableSettings: the legacy DatabaseSettings. */
static void settings_from_legacy(const Immudb__Schema__DatabaseSettings *ds, dbcat_update *u)
{
    memset(u, 0, sizeof(*u));
    DBCAT_SET(u, DBS_REPLICA, ds->replica ? 1 : 0);
    DBCAT_SET(u, DBS_PRIMARY_PORT, ds->primaryport);
    u->primary_database = ds->primarydatabase;
    u->primary_host = ds->primaryhost;
    u->primary_username = ds->primaryusername;
    u->primary_password = ds->primarypassword;
    if (!ds->replica) {
        DBCAT_SET(u, DBS_SYNC_ACKS, 0);
        DBCAT_SET(u, DBS_PREFETCH_TX_BUFFER_SIZE, 0);
        DBCAT_SET(u, DBS_REPLICATION_COMMIT_CONCURRENCY, 0);
    }
    if (ds->filesize)
        DBCAT_SET(u, DBS_FILE_SIZE, ds->filesize);
    if (ds->maxkeylen)
        DBCAT_SET(u, DBS_MAX_KEY_LEN, ds->maxkeylen);
    if (ds->maxvaluelen)
        DBCAT_SET(u, DBS_MAX_VALUE_LEN, ds->maxvaluelen);
    if (ds->maxtxentries)
        DBCAT_SET(u, DBS_MAX_TX_ENTRIES, ds->maxtxentries);
}

static int send_empty(srv_req *r)
{
    Google__Protobuf__Empty e;
    google__protobuf__empty__init(&e);
    return gs_send(r->call, &e.base);
}

/* ------------------------------------------------------ create / list */
static int create_db(srv_req *r, const char *name, const dbcat_update *upd, bool if_not_exists,
                     dbcat_create_result *res)
{
    srv *s = r->server;
    SEAL_LOGI("server", "creating database '%s'...", name);
    int rc = dbcat_create(s->cat, name, upd, if_not_exists, r->user, res);
    if (rc) {
        SEAL_LOGI("server", "database '%s' could not be created. Reason: %s", name, sdb_errmsg());
        return srv_db_error(r, rc);
    }
    if (!res->already_existed)
        srv_set_multidb(s);
    SEAL_LOGI("server", "database '%s' successfully created", res->name);
    return 0;
}

static int h_create_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__Database *req = (const Immudb__Schema__Database *)m;
    dbcat_create_result *res = seal_malloc(sizeof(*res));
    if (!res)
        return SEAL_ENOMEM;
    int rc = create_db(r, req->databasename ? req->databasename : "", NULL, false, res);
    seal_free(res);
    return rc ? rc : send_empty(r);
}

static int h_create_database_with(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__DatabaseSettings *req = (const Immudb__Schema__DatabaseSettings *)m;
    dbcat_update *u = seal_malloc(sizeof(*u));
    dbcat_create_result *res = seal_malloc(sizeof(*res));
    int rc = SEAL_ENOMEM;
    if (u && res) {
        settings_from_legacy(req, u);
        rc = create_db(r, req->databasename ? req->databasename : "", u, false, res);
        if (!rc)
            rc = send_empty(r);
    }
    seal_free(u);
    seal_free(res);
    return rc;
}

static int h_create_database_v2(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__CreateDatabaseRequest *req =
        (const Immudb__Schema__CreateDatabaseRequest *)m;
    dbcat_update *u = seal_malloc(sizeof(*u));
    dbcat_create_result *res = seal_malloc(sizeof(*res));
    int rc = SEAL_ENOMEM;
    if (!u || !res)
        goto out;
    settings_from_pb(req->settings, u);
    rc = create_db(r, req->name ? req->name : "", req->settings ? u : NULL, req->ifnotexists, res);
    if (rc)
        goto out;
    Immudb__Schema__CreateDatabaseResponse resp;
    immudb__schema__create_database_response__init(&resp);
    resp.name = res->name;
    resp.alreadyexisted = res->already_existed;
    resp.settings = settings_to_pb(&res->settings);
    if (!resp.settings) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    rc = gs_send(r->call, &resp.base);
    settings_free(resp.settings);
out:
    seal_free(u);
    seal_free(res);
    return rc;
}

/* The databases |r|'s user may see (immudb's listLoggedInUserDatabases):
 * every one for a sysadmin, else those of its permissions, in their order.
 * *out (seal_free) holds *n entries. */
static int visible_databases(srv_req *r, dbcat_info **out, size_t *n)
{
    srv *s = r->server;
    dbcat_info *all = NULL;
    size_t nall = 0;
    int rc = dbcat_list(s->cat, &all, &nall);
    if (rc)
        return srv_db_error(r, rc);
    if (r->sysadmin) {
        *out = all;
        *n = nall;
        return 0;
    }
    users_user *u = NULL;
    if (users_get(s->users, r->user, &u) != 0) {
        seal_free(all);
        return gs_error(r->call, GW_UNKNOWN, "please login");
    }
    size_t k = 0;
    for (size_t p = 0; p < u->nperms; p++) {
        for (size_t i = k; i < nall; i++) {
            if (strcmp(all[i].name, u->perms[p].database) == 0) {
                dbcat_info tmp = all[k];
                all[k] = all[i];
                all[i] = tmp;
                k++;
                break;
            }
        }
    }
    users_user_free(u);
    *out = all;
    *n = k;
    return 0;
}

static int h_database_list(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    dbcat_info *l = NULL;
    size_t n = 0;
    int rc = visible_databases(r, &l, &n);
    if (rc)
        return rc;
    Immudb__Schema__Database *dbs = seal_calloc(n ? n : 1, sizeof(*dbs));
    Immudb__Schema__Database **ptr = seal_calloc(n ? n : 1, sizeof(*ptr));
    if (!dbs || !ptr) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        immudb__schema__database__init(&dbs[i]);
        dbs[i].databasename = l[i].name;
        ptr[i] = &dbs[i];
    }
    Immudb__Schema__DatabaseListResponse resp;
    immudb__schema__database_list_response__init(&resp);
    resp.databases = ptr;
    resp.n_databases = n;
    rc = gs_send(r->call, &resp.base);
out:
    seal_free(dbs);
    seal_free(ptr);
    seal_free(l);
    return rc;
}

static int h_database_list_v2(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    dbcat_info *l = NULL;
    size_t n = 0, i;
    int rc = visible_databases(r, &l, &n);
    if (rc)
        return rc;
    Immudb__Schema__DatabaseInfo *dbs = seal_calloc(n ? n : 1, sizeof(*dbs));
    Immudb__Schema__DatabaseInfo **ptr = seal_calloc(n ? n : 1, sizeof(*ptr));
    if (!dbs || !ptr) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        immudb__schema__database_info__init(&dbs[i]);
        dbs[i].name = l[i].name;
        dbs[i].loaded = l[i].loaded;
        dbs[i].disksize = l[i].disk_size;
        dbs[i].numtransactions = l[i].num_transactions;
        dbs[i].created_at = (uint64_t)(l[i].settings.created_at > 0 ? l[i].settings.created_at : 0);
        dbs[i].created_by = l[i].settings.created_by;
        dbs[i].settings = settings_to_pb(&l[i].settings);
        ptr[i] = &dbs[i];
        if (!dbs[i].settings) {
            rc = SEAL_ENOMEM;
            goto out;
        }
    }
    Immudb__Schema__DatabaseListResponseV2 resp;
    immudb__schema__database_list_response_v2__init(&resp);
    resp.databases = ptr;
    resp.n_databases = n;
    rc = gs_send(r->call, &resp.base);
out:
    for (size_t k = 0; dbs && k < n; k++)
        settings_free(dbs[k].settings);
    seal_free(dbs);
    seal_free(ptr);
    seal_free(l);
    return rc;
}

/* ------------------------------------------ load / unload / delete / update */
/* immudb's checks before Load/Unload/Delete/UpdateDatabase: reserved names
 * first, then sysadmin or admin of that database. */
static int admin_of(srv_req *r, const char *name)
{
    if (strcmp(name, DBCAT_DEFAULTDB) == 0 || strcmp(name, DBCAT_SYSTEMDB) == 0)
        return gs_error(r->call, GW_UNKNOWN, MSG_RESERVED);
    if (r->sysadmin)
        return 0;
    users_user *u = NULL;
    bool ok = false;
    if (users_get(r->server->users, r->user, &u) == 0) {
        ok = users_has_permission(u, name, USERS_PERM_ADMIN);
        users_user_free(u);
    }
    if (!ok)
        return gs_error(r->call, GW_UNKNOWN,
                        "the database '%s' does not exist or you do not have admin permission on "
                        "this database",
                        name);
    return 0;
}

typedef int (*db_op_fn)(dbcat *c, const char *name);

static int db_op(srv_req *r, const char *name, db_op_fn fn, const char *what,
                 const ProtobufCMessageDescriptor *resp_desc)
{
    int rc = admin_of(r, name);
    if (rc)
        return rc;
    SEAL_LOGI("server", "%s database '%s'...", what, name);
    rc = fn(r->server->cat, name);
    if (rc) {
        SEAL_LOGI("server", "database '%s' could not be %s. Reason: %s", name, what, sdb_errmsg());
        return srv_db_error(r, rc);
    }
    /* Load/Unload/DeleteDatabaseResponse are all {string database = 1}. */
    Immudb__Schema__LoadDatabaseResponse resp;
    immudb__schema__load_database_response__init(&resp);
    resp.base.descriptor = resp_desc;
    resp.database = (char *)(uintptr_t)name;
    return gs_send(r->call, &resp.base);
}

static int h_load_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__LoadDatabaseRequest *req = (const Immudb__Schema__LoadDatabaseRequest *)m;
    return db_op(r, req->database ? req->database : "", dbcat_load, "loading",
                 &immudb__schema__load_database_response__descriptor);
}

static int h_unload_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__UnloadDatabaseRequest *req =
        (const Immudb__Schema__UnloadDatabaseRequest *)m;
    return db_op(r, req->database ? req->database : "", dbcat_unload, "unloading",
                 &immudb__schema__unload_database_response__descriptor);
}

static int h_delete_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__DeleteDatabaseRequest *req =
        (const Immudb__Schema__DeleteDatabaseRequest *)m;
    return db_op(r, req->database ? req->database : "", dbcat_delete, "deleting",
                 &immudb__schema__delete_database_response__descriptor);
}

static int update_db(srv_req *r, const char *name, const dbcat_update *u, dbcat_settings *out)
{
    int rc = admin_of(r, name);
    if (rc)
        return rc;
    rc = dbcat_update_settings(r->server->cat, name, u, r->user, out);
    if (rc)
        return srv_db_error(r, rc);
    SEAL_LOGI("server", "database '%s' successfully updated", name);
    return 0;
}

static int h_update_database(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__DatabaseSettings *req = (const Immudb__Schema__DatabaseSettings *)m;
    dbcat_update *u = seal_malloc(sizeof(*u));
    dbcat_settings *st = seal_malloc(sizeof(*st));
    int rc = SEAL_ENOMEM;
    if (u && st) {
        settings_from_legacy(req, u);
        rc = update_db(r, req->databasename ? req->databasename : "", u, st);
        if (!rc)
            rc = send_empty(r);
    }
    seal_free(u);
    seal_free(st);
    return rc;
}

static int h_update_database_v2(srv_req *r, const ProtobufCMessage *m)
{
    const Immudb__Schema__UpdateDatabaseRequest *req =
        (const Immudb__Schema__UpdateDatabaseRequest *)m;
    dbcat_update *u = seal_malloc(sizeof(*u));
    dbcat_settings *st = seal_malloc(sizeof(*st));
    const char *name = req->database ? req->database : "";
    int rc = SEAL_ENOMEM;
    if (!u || !st)
        goto out;
    settings_from_pb(req->settings, u);
    rc = update_db(r, name, u, st);
    if (rc)
        goto out;
    Immudb__Schema__UpdateDatabaseResponse resp;
    immudb__schema__update_database_response__init(&resp);
    resp.database = (char *)(uintptr_t)name;
    resp.settings = settings_to_pb(st);
    if (!resp.settings) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    rc = gs_send(r->call, &resp.base);
    settings_free(resp.settings);
out:
    seal_free(u);
    seal_free(st);
    return rc;
}

static int h_get_settings_v2(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    dbcat_settings *st = seal_malloc(sizeof(*st));
    if (!st)
        return SEAL_ENOMEM;
    int rc = dbcat_get_settings(r->server->cat, r->db_name, st);
    if (rc) {
        seal_free(st);
        return srv_db_error(r, rc);
    }
    Immudb__Schema__DatabaseSettingsResponse resp;
    immudb__schema__database_settings_response__init(&resp);
    resp.database = (char *)(uintptr_t)r->db_name;
    resp.settings = settings_to_pb(st);
    rc = resp.settings ? gs_send(r->call, &resp.base) : SEAL_ENOMEM;
    settings_free(resp.settings);
    seal_free(st);
    return rc;
}

static int h_get_settings(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    dbcat_settings *st = seal_malloc(sizeof(*st));
    if (!st)
        return SEAL_ENOMEM;
    int rc = dbcat_get_settings(r->server->cat, r->db_name, st);
    if (rc) {
        seal_free(st);
        return srv_db_error(r, rc);
    }
    static char empty[] = "";
    Immudb__Schema__DatabaseSettings resp;
    immudb__schema__database_settings__init(&resp);
    resp.databasename = (char *)(uintptr_t)r->db_name;
    resp.replica = st->v[DBS_REPLICA] != 0;
    resp.primarydatabase = resp.primaryhost = resp.primaryusername = resp.primarypassword = empty;
    resp.primaryport = (uint32_t)st->v[DBS_PRIMARY_PORT];
    resp.filesize = (uint32_t)st->v[DBS_FILE_SIZE];
    resp.maxkeylen = (uint32_t)st->v[DBS_MAX_KEY_LEN];
    resp.maxvaluelen = (uint32_t)st->v[DBS_MAX_VALUE_LEN];
    resp.maxtxentries = (uint32_t)st->v[DBS_MAX_TX_ENTRIES];
    resp.excludecommittime = st->v[DBS_EXCLUDE_COMMIT_TIME] != 0;
    rc = gs_send(r->call, &resp.base);
    seal_free(st);
    return rc;
}

/* -------------------------------------------------- health and server */
static int h_health(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    char version[64];
    snprintf(version, sizeof(version), "%s", seal_version());
    Immudb__Schema__HealthResponse resp;
    immudb__schema__health_response__init(&resp);
    resp.status = 1;
    resp.version = version;
    return gs_send(r->call, &resp.base);
}

static int h_database_health(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    uint32_t pending;
    int64_t last;
    srv_db_health(r->server, r->db_name, &pending, &last);
    Immudb__Schema__DatabaseHealthResponse resp;
    immudb__schema__database_health_response__init(&resp);
    resp.pendingrequests = pending > 0 ? pending - 1 : 0; /* not counting this call */
    resp.lastrequestcompletedat = last;
    return gs_send(r->call, &resp.base);
}

/* A header value: printable ASCII only. */
static void header_safe(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = ' ';
}

/* The FIPS module status as response headers, which immudb clients ignore:
 *   sealdb-fips-module:     "<name> <version>"
 *   sealdb-fips-status:     "active" when the FIPS provider is in force and
 *                           its self-tests passed, else "inactive"
 *   sealdb-fips-validation: the validation statement
 *   sealdb-fips-selftest:   "passed" / "failed" */
static void add_fips_headers(gs_call *c)
{
    seal_fips_status st;
    seal_fips_get_status(&st);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s %s", st.name, st.version);
    header_safe(buf);
    gs_call_add_header(c, "sealdb-fips-module", buf);
    gs_call_add_header(c, "sealdb-fips-status",
                       st.initialized && st.fips_enabled && st.selftest_ok ? "active" : "inactive");
    snprintf(buf, sizeof(buf), "%s", st.validation);
    header_safe(buf);
    gs_call_add_header(c, "sealdb-fips-validation", buf);
    gs_call_add_header(c, "sealdb-fips-selftest", st.selftest_ok ? "passed" : "failed");
}

static int h_server_info(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    srv *s = r->server;
    dbcat_info *l = NULL;
    size_t n = 0;
    int rc = dbcat_list(s->cat, &l, &n);
    if (rc)
        return srv_db_error(r, rc);
    uint64_t txs = 0, size = 0;
    for (size_t i = 0; i < n; i++) {
        txs += l[i].num_transactions;
        size += l[i].disk_size;
    }
    seal_free(l);
    char version[64];
    snprintf(version, sizeof(version), "%s", seal_version());
    Immudb__Schema__ServerInfoResponse resp;
    immudb__schema__server_info_response__init(&resp);
    resp.version = version;
    resp.startedat = s->started_at;
    resp.numtransactions = (int64_t)txs;
    resp.numdatabases = (int32_t)n;
    resp.databasesdisksize = (int64_t)size;
    add_fips_headers(r->call);
    return gs_send(r->call, &resp.base);
}

static int h_current_state(srv_req *r, const ProtobufCMessage *m)
{
    SEAL_UNUSED(m);
    sdb_state st;
    int rc = sdb_current_state(r->db, &st);
    if (rc)
        return srv_db_error(r, rc);
    Immudb__Schema__ImmutableState resp;
    Immudb__Schema__Signature sig;
    immudb__schema__immutable_state__init(&resp);
    resp.db = (char *)(uintptr_t)sdb_name(r->db);
    resp.txid = st.tx_id;
    resp.txhash.data = st.alh;
    resp.txhash.len = sizeof(st.alh);
    if (st.sig.present) {
        immudb__schema__signature__init(&sig);
        sig.publickey.data = st.sig.pubkey;
        sig.publickey.len = sizeof(st.sig.pubkey);
        sig.signature.data = st.sig.sig;
        sig.signature.len = st.sig.sig_len;
        resp.signature = &sig;
    }
    return gs_send(r->call, &resp.base);
}

#define U(name, desc, fn)                                                                          \
    {                                                                                              \
        name, GS_UNARY, desc, fn, false, false                                                     \
    }
const srv_method srv_admin_methods[] = {
    U("CreateDatabase", &immudb__schema__database__descriptor, h_create_database),
    U("CreateDatabaseWith", &immudb__schema__database_settings__descriptor, h_create_database_with),
    U("CreateDatabaseV2", &immudb__schema__create_database_request__descriptor,
      h_create_database_v2),
    U("DatabaseList", NULL, h_database_list),
    U("DatabaseListV2", &immudb__schema__database_list_request_v2__descriptor, h_database_list_v2),
    U("LoadDatabase", &immudb__schema__load_database_request__descriptor, h_load_database),
    U("UnloadDatabase", &immudb__schema__unload_database_request__descriptor, h_unload_database),
    U("DeleteDatabase", &immudb__schema__delete_database_request__descriptor, h_delete_database),
    U("UpdateDatabase", &immudb__schema__database_settings__descriptor, h_update_database),
    U("UpdateDatabaseV2", &immudb__schema__update_database_request__descriptor,
      h_update_database_v2),
    U("GetDatabaseSettings", NULL, h_get_settings),
    U("GetDatabaseSettingsV2", &immudb__schema__database_settings_request__descriptor,
      h_get_settings_v2),
    U("Health", NULL, h_health),
    U("DatabaseHealth", NULL, h_database_health),
    U("ServerInfo", &immudb__schema__server_info_request__descriptor, h_server_info),
    U("CurrentState", NULL, h_current_state),
    {NULL, 0, NULL, NULL, false, false},
};
