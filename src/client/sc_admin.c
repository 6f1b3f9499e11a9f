/* sc_admin.c - database and user administration of libsealclient:
 * CreateDatabaseV2 (DatabaseNullableSettings, including
 * writeTxHeaderVersion), DatabaseListV2, Load/Unload/DeleteDatabase,
 * UpdateDatabaseV2, GetDatabaseSettingsV2, CreateUser, ChangePassword,
 * ChangePermission, SetActiveUser and ListUsers. */
#include <stdio.h>

#include "client/sc_internal.h"

/* Nullable settings message built on the caller's stack. */
typedef struct settings_pb {
    Immudb__Schema__DatabaseNullableSettings s;
    Immudb__Schema__ReplicationNullableSettings repl;
    Immudb__Schema__NullableUint32 file_size, max_key_len, max_value_len, max_tx_entries,
        max_concurrency, write_tx_header_version;
    Immudb__Schema__NullableBool exclude_commit_time, autoload, replica, embedded_values,
        prealloc_files;
    Immudb__Schema__NullableMilliseconds sync_frequency;
} settings_pb;

static void settings_to_pb(const seal_db_settings *in, settings_pb *p)
{
    immudb__schema__database_nullable_settings__init(&p->s);
    if (!in)
        return;
#define NU32(bit, field, var, val)                                                                 \
    if (in->set & (bit)) {                                                                         \
        immudb__schema__nullable_uint32__init(&p->var);                                            \
        p->var.value = (val);                                                                      \
        p->s.field = &p->var;                                                                      \
    }
#define NBOOL(bit, field, var, val)                                                                \
    if (in->set & (bit)) {                                                                         \
        immudb__schema__nullable_bool__init(&p->var);                                              \
        p->var.value = (val) != 0;                                                                 \
        p->s.field = &p->var;                                                                      \
    }
    NU32(SEAL_DBS_FILE_SIZE, filesize, file_size, in->file_size);
    NU32(SEAL_DBS_MAX_KEY_LEN, maxkeylen, max_key_len, in->max_key_len);
    NU32(SEAL_DBS_MAX_VALUE_LEN, maxvaluelen, max_value_len, in->max_value_len);
    NU32(SEAL_DBS_MAX_TX_ENTRIES, maxtxentries, max_tx_entries, in->max_tx_entries);
    NU32(SEAL_DBS_MAX_CONCURRENCY, maxconcurrency, max_concurrency, in->max_concurrency);
    NU32(SEAL_DBS_WRITE_TX_HEADER_VERSION, writetxheaderversion, write_tx_header_version,
         in->write_tx_header_version);
    NBOOL(SEAL_DBS_EXCLUDE_COMMIT_TIME, excludecommittime, exclude_commit_time,
          in->exclude_commit_time);
    NBOOL(SEAL_DBS_AUTOLOAD, autoload, autoload, in->autoload);
    NBOOL(SEAL_DBS_EMBEDDED_VALUES, embeddedvalues, embedded_values, in->embedded_values);
    NBOOL(SEAL_DBS_PREALLOC_FILES, preallocfiles, prealloc_files, in->prealloc_files);
#undef NU32
#undef NBOOL
    if (in->set & SEAL_DBS_SYNC_FREQUENCY_MS) {
        immudb__schema__nullable_milliseconds__init(&p->sync_frequency);
        p->sync_frequency.value = in->sync_frequency_ms;
        p->s.syncfrequency = &p->sync_frequency;
    }
    if (in->set & SEAL_DBS_REPLICA) {
        immudb__schema__replication_nullable_settings__init(&p->repl);
        immudb__schema__nullable_bool__init(&p->replica);
        p->replica.value = in->replica != 0;
        p->repl.replica = &p->replica;
        p->s.replicationsettings = &p->repl;
    }
}

static bool name_ok(const char *n)
{
    return n && *n && strlen(n) < 256;
}

int seal_client_create_database(seal_client *c, const char *name, const seal_db_settings *s,
                                int if_not_exists, int *already_existed, seal_db_settings *out)
{
    sc_begin(c);
    if (!name_ok(name))
        return sc_fail(c, SEAL_EINVAL, "create database: invalid name");
    settings_pb sp;
    settings_to_pb(s, &sp);
    Immudb__Schema__CreateDatabaseRequest r;
    immudb__schema__create_database_request__init(&r);
    r.name = (char *)(uintptr_t)name;
    r.settings = &sp.s;
    r.ifnotexists = if_not_exists != 0;
    Immudb__Schema__CreateDatabaseResponse *m = NULL;
    int rc = sc_call(c, "CreateDatabaseV2", &r.base,
                     &immudb__schema__create_database_response__descriptor, (ProtobufCMessage **)&m,
                     NULL);
    if (rc)
        return rc;
    if (already_existed)
        *already_existed = m->alreadyexisted;
    if (out)
        sc_settings_from_pb(m->settings, out);
    sc_msg_free(m);
    return 0;
}

void seal_db_infos_free(seal_db_info *d, size_t n)
{
    if (!d)
        return;
    for (size_t i = 0; i < n; i++) {
        seal_free(d[i].name);
        seal_free(d[i].created_by);
    }
    seal_free(d);
}

int seal_client_database_list(seal_client *c, seal_db_info **out, size_t *n)
{
    sc_begin(c);
    Immudb__Schema__DatabaseListRequestV2 r;
    immudb__schema__database_list_request_v2__init(&r);
    Immudb__Schema__DatabaseListResponseV2 *m = NULL;
    int rc = sc_call(c, "DatabaseListV2", &r.base,
                     &immudb__schema__database_list_response_v2__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    seal_db_info *a = NULL;
    if (m->n_databases && !(a = seal_calloc(m->n_databases, sizeof(*a)))) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->n_databases; i++) {
        const Immudb__Schema__DatabaseInfo *d = m->databases[i];
        a[i].name = seal_strdup(d->name ? d->name : "");
        a[i].created_by = seal_strdup(d->created_by ? d->created_by : "");
        if (!a[i].name || !a[i].created_by) {
            seal_db_infos_free(a, i + 1);
            rc = SEAL_ENOMEM;
            goto done;
        }
        sc_settings_from_pb(d->settings, &a[i].settings);
        a[i].loaded = d->loaded;
        a[i].disk_size = d->disksize;
        a[i].num_transactions = d->numtransactions;
        a[i].created_at = d->created_at;
    }
    *out = a;
    *n = m->n_databases;
done:
    sc_msg_free(m);
    return rc;
}

/* Load / Unload / Delete share their message layout {string database = 1}. */
static int db_op(seal_client *c, const char *method, const char *name,
                 const ProtobufCMessageDescriptor *req_desc,
                 const ProtobufCMessageDescriptor *resp_desc)
{
    sc_begin(c);
    if (!name_ok(name))
        return sc_fail(c, SEAL_EINVAL, "%s: invalid database name", method);
    Immudb__Schema__LoadDatabaseRequest r;
    protobuf_c_message_init(req_desc, &r);
    r.database = (char *)(uintptr_t)name;
    ProtobufCMessage *m = NULL;
    int rc = sc_call(c, method, &r.base, resp_desc, &m, NULL);
    sc_msg_free(m);
    return rc;
}

int seal_client_load_database(seal_client *c, const char *name)
{
    return db_op(c, "LoadDatabase", name, &immudb__schema__load_database_request__descriptor,
                 &immudb__schema__load_database_response__descriptor);
}

int seal_client_unload_database(seal_client *c, const char *name)
{
    return db_op(c, "UnloadDatabase", name, &immudb__schema__unload_database_request__descriptor,
                 &immudb__schema__unload_database_response__descriptor);
}

int seal_client_delete_database(seal_client *c, const char *name)
{
    return db_op(c, "DeleteDatabase", name, &immudb__schema__delete_database_request__descriptor,
                 &immudb__schema__delete_database_response__descriptor);
}

int seal_client_update_database(seal_client *c, const char *name, const seal_db_settings *s,
                                seal_db_settings *out)
{
    sc_begin(c);
    if (!name_ok(name))
        return sc_fail(c, SEAL_EINVAL, "update database: invalid name");
    settings_pb sp;
    settings_to_pb(s, &sp);
    Immudb__Schema__UpdateDatabaseRequest r;
    immudb__schema__update_database_request__init(&r);
    r.database = (char *)(uintptr_t)name;
    r.settings = &sp.s;
    Immudb__Schema__UpdateDatabaseResponse *m = NULL;
    int rc = sc_call(c, "UpdateDatabaseV2", &r.base,
                     &immudb__schema__update_database_response__descriptor, (ProtobufCMessage **)&m,
                     NULL);
    if (rc)
        return rc;
    if (out)
        sc_settings_from_pb(m->settings, out);
    sc_msg_free(m);
    return 0;
}

int seal_client_database_health(seal_client *c, seal_db_health *out)
{
    sc_begin(c);
    if (!out)
        return sc_fail(c, SEAL_EINVAL, "database health: no output");
    Immudb__Schema__DatabaseHealthResponse *m = NULL;
    int rc =
        sc_call(c, "DatabaseHealth", NULL, &immudb__schema__database_health_response__descriptor,
                (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    out->pending_requests = m->pendingrequests;
    out->last_request_completed_at = m->lastrequestcompletedat;
    sc_msg_free(m);
    return 0;
}

int seal_client_database_settings(seal_client *c, char **name, seal_db_settings *out)
{
    sc_begin(c);
    Immudb__Schema__DatabaseSettingsRequest r;
    immudb__schema__database_settings_request__init(&r);
    Immudb__Schema__DatabaseSettingsResponse *m = NULL;
    int rc = sc_call(c, "GetDatabaseSettingsV2", &r.base,
                     &immudb__schema__database_settings_response__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    char *nm = NULL;
    if (name && !(nm = seal_strdup(m->database ? m->database : ""))) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if (out)
        sc_settings_from_pb(m->settings, out);
    if (name)
        *name = nm;
done:
    sc_msg_free(m);
    return rc;
}

/* ------------------------------------------------------------------ users */
static int empty_answer(seal_client *c, const char *method, const ProtobufCMessage *req)
{
    ProtobufCMessage *m = NULL;
    int rc = sc_call(c, method, req, &google__protobuf__empty__descriptor, &m, NULL);
    sc_msg_free(m);
    return rc;
}

#define BINS(s) ((ProtobufCBinaryData){.len = strlen(s), .data = (uint8_t *)(uintptr_t)(s)})

int seal_client_create_user(seal_client *c, const char *user, const char *password,
                            uint32_t permission, const char *database)
{
    sc_begin(c);
    if (!user || !*user || !password || !database)
        return sc_fail(c, SEAL_EINVAL, "create user: user, password and database are required");
    Immudb__Schema__CreateUserRequest r;
    immudb__schema__create_user_request__init(&r);
    r.user = BINS(user);
    r.password = BINS(password);
    r.permission = permission;
    r.database = (char *)(uintptr_t)database;
    return empty_answer(c, "CreateUser", &r.base);
}

int seal_client_change_password(seal_client *c, const char *user, const char *old_password,
                                const char *new_password)
{
    sc_begin(c);
    if (!user || !*user || !old_password || !new_password)
        return sc_fail(c, SEAL_EINVAL, "change password: user and passwords are required");
    Immudb__Schema__ChangePasswordRequest r;
    immudb__schema__change_password_request__init(&r);
    r.user = BINS(user);
    r.oldpassword = BINS(old_password);
    r.newpassword = BINS(new_password);
    return empty_answer(c, "ChangePassword", &r.base);
}

int seal_client_change_permission(seal_client *c, int grant, const char *user, const char *database,
                                  uint32_t permission)
{
    sc_begin(c);
    if (!user || !*user || !database || !*database)
        return sc_fail(c, SEAL_EINVAL, "change permission: user and database are required");
    Immudb__Schema__ChangePermissionRequest r;
    immudb__schema__change_permission_request__init(&r);
    r.action = grant ? IMMUDB__SCHEMA__PERMISSION_ACTION__GRANT
                     : IMMUDB__SCHEMA__PERMISSION_ACTION__REVOKE;
    r.username = (char *)(uintptr_t)user;
    r.database = (char *)(uintptr_t)database;
    r.permission = permission;
    return empty_answer(c, "ChangePermission", &r.base);
}

int seal_client_set_active_user(seal_client *c, const char *user, int active)
{
    sc_begin(c);
    if (!user || !*user)
        return sc_fail(c, SEAL_EINVAL, "set active user: user is required");
    Immudb__Schema__SetActiveUserRequest r;
    immudb__schema__set_active_user_request__init(&r);
    r.username = (char *)(uintptr_t)user;
    r.active = active != 0;
    return empty_answer(c, "SetActiveUser", &r.base);
}

void seal_users_free(seal_user *u, size_t n)
{
    if (!u)
        return;
    for (size_t i = 0; i < n; i++) {
        seal_free(u[i].user);
        seal_free(u[i].created_by);
        seal_free(u[i].created_at);
        for (size_t k = 0; k < u[i].nperms; k++)
            seal_free(u[i].perms[k].database);
        seal_free(u[i].perms);
    }
    seal_free(u);
}

int seal_client_list_users(seal_client *c, seal_user **out, size_t *n)
{
    sc_begin(c);
    Immudb__Schema__UserList *m = NULL;
    int rc = sc_call(c, "ListUsers", NULL, &immudb__schema__user_list__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    seal_user *a = NULL;
    if (m->n_users && !(a = seal_calloc(m->n_users, sizeof(*a)))) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->n_users; i++) {
        const Immudb__Schema__User *u = m->users[i];
        seal_user *o = &a[i];
        o->user = seal_malloc(u->user.len + 1);
        o->created_by = seal_strdup(u->createdby ? u->createdby : "");
        o->created_at = seal_strdup(u->createdat ? u->createdat : "");
        o->active = u->active;
        if (u->n_permissions)
            o->perms = seal_calloc(u->n_permissions, sizeof(*o->perms));
        if (!o->user || !o->created_by || !o->created_at || (u->n_permissions && !o->perms)) {
            seal_users_free(a, i + 1);
            rc = SEAL_ENOMEM;
            goto done;
        }
        memcpy(o->user, u->user.data, u->user.len);
        o->user[u->user.len] = 0;
        for (size_t k = 0; k < u->n_permissions; k++) {
            o->perms[k].database =
                seal_strdup(u->permissions[k]->database ? u->permissions[k]->database : "");
            o->perms[k].permission = u->permissions[k]->permission;
            o->nperms = k + 1;
            if (!o->perms[k].database) {
                seal_users_free(a, i + 1);
                rc = SEAL_ENOMEM;
                goto done;
            }
        }
    }
    *out = a;
    *n = m->n_users;
done:
    sc_msg_free(m);
    return rc;
}
