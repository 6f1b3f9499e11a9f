/* sealctl_admin.c - sealctl's session, server and administration commands:
 * login, logout, use, health, info, status (server and local FIPS status),
 * user list|create|changepassword|permission|activate|deactivate and
 * database list|create|use|load|unload|delete|update (after immuadmin). */
#include "cli/sealctl.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ login etc. */
static int save_session(ctl *c, const char *user)
{
    ctl_token t;
    memset(&t, 0, sizeof(t));
    snprintf(t.host, sizeof(t.host), "%s", c->host);
    t.port = c->port;
    snprintf(t.user, sizeof(t.user), "%s", user);
    snprintf(t.database, sizeof(t.database), "%s", seal_client_database(c->cli));
    const char *tok = seal_client_token(c->cli);
    if (strlen(tok) >= sizeof(t.token))
        return ctl_err(c, CTL_ERR, "the server's token is too long to store");
    snprintf(t.token, sizeof(t.token), "%s", tok);
    int rc = ctl_token_save(c, &t);
    ctl_wipe(&t, sizeof(t));
    return rc;
}

int cmd_login(ctl *c)
{
    const char *user = c->nargs > 0 ? c->args[0] : c->username;
    if (!user || !*user)
        return ctl_usage_err(c, "please give a user name: sealctl login USER");
    if (strchr(user, '\n'))
        return ctl_usage_err(c, "invalid user name");
    int rc = ctl_connect_plain(c);
    if (rc)
        return rc;
    char pw[1024];
    if ((rc = ctl_secret(c, "Password: ", "SEALDB_PASSWORD", 0, pw, sizeof(pw))) != 0)
        return rc;
    char *warning = NULL;
    int x = seal_client_login(c->cli, user, pw, &warning);
    ctl_wipe(pw, sizeof(pw));
    if (x)
        return ctl_fail(c, x, "login");
    /* select the database now, so that the stored token has one (a server
     * with several databases wants UseDatabase after Login) */
    x = seal_client_use_database(c->cli, c->database ? c->database : "defaultdb");
    if (x == SEAL_EPERM && !c->database) {
        fprintf(stderr, "sealctl login: note: no permission on defaultdb: select a database with "
                        "'sealctl use DATABASE'\n");
    } else if (x) {
        seal_free(warning);
        return ctl_fail(c, x, "use database");
    }
    if ((rc = save_session(c, user)) != 0) {
        seal_free(warning);
        return rc;
    }
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_bool(&j, "logged_in", 1);
        jb_str(&j, "user", user);
        jb_str(&j, "database", seal_client_database(c->cli));
        jb_str(&j, "tokenfile", c->tokenfile);
        if (warning)
            jb_str(&j, "warning", warning);
        jb_end_print(&j, stdout);
    } else {
        printf("Successfully logged in as %s (database %s)\n", user, seal_client_database(c->cli));
        if (warning)
            printf("%s\n", warning);
    }
    seal_free(warning);
    return 0;
}

int cmd_logout(ctl *c)
{
    ctl_token t;
    int rc = ctl_token_load(c, &t);
    if (rc == SEAL_ENOTFOUND) {
        if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_bool(&j, "logged_out", 0);
            jb_str(&j, "message", "not logged in");
            jb_end_print(&j, stdout);
        } else {
            printf("Not logged in\n");
        }
        return 0;
    }
    if (rc)
        return rc;
    /* log out from the server the token came from */
    c->host = t.host;
    c->port = t.port;
    int x = ctl_connect_plain(c);
    int server_ok = 0;
    if (x == 0) {
        x = seal_client_set_token(c->cli, t.token, NULL);
        if (x == 0)
            x = seal_client_logout(c->cli);
        server_ok = x == 0;
        if (x && c->out == OUT_TEXT)
            fprintf(stderr,
                    "sealctl logout: the server did not confirm (%s); the token is "
                    "removed anyway\n",
                    seal_client_last_error(c->cli));
    }
    ctl_wipe(t.token, sizeof(t.token));
    if ((rc = ctl_token_remove(c)) != 0)
        return rc;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_bool(&j, "logged_out", 1);
        jb_bool(&j, "server_confirmed", server_ok);
        jb_str(&j, "tokenfile", c->tokenfile);
        jb_end_print(&j, stdout);
    } else {
        printf("Successfully logged out\n");
    }
    return 0;
}

static int do_use(ctl *c, const char *db)
{
    ctl_token t;
    int rc = ctl_token_load(c, &t);
    if (rc == SEAL_ENOTFOUND)
        return ctl_err(c, CTL_ERR, "not logged in: run 'sealctl login USER' first");
    if (rc)
        return rc;
    if (strcmp(t.host, c->host) != 0 || t.port != c->port) {
        rc = ctl_err(c, CTL_ERR, "the token file is for %s:%d, not %s:%d: log in first", t.host,
                     t.port, c->host, c->port);
        ctl_wipe(&t, sizeof(t));
        return rc;
    }
    const char *saved_db = c->database;
    c->database = NULL; /* the database is switched below, with the answer stored */
    const char *saved_user = c->username;
    c->username = NULL;
    rc = ctl_connect(c);
    c->database = saved_db;
    c->username = saved_user;
    if (rc == 0) {
        int x = seal_client_use_database(c->cli, db);
        if (x)
            rc = ctl_fail(c, x, NULL);
        else
            rc = save_session(c, t.user);
    }
    ctl_wipe(&t, sizeof(t));
    if (rc)
        return rc;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", db);
        jb_end_print(&j, stdout);
    } else {
        printf("Now using database '%s'\n", db);
    }
    return 0;
}

int cmd_use(ctl *c)
{
    return do_use(c, c->args[0]);
}

int cmd_db_use(ctl *c)
{
    return do_use(c, c->args[0]);
}

/* ------------------------------------------------------------ server info */
int cmd_health(ctl *c)
{
    int rc = ctl_connect_plain(c);
    if (rc)
        return rc;
    seal_health h;
    int x = seal_client_health(c->cli, &h);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_bool(&j, "status", h.status);
        jb_str(&j, "version", h.version);
        jb_str(&j, "server_uuid", h.server_uuid);
        jb_end_print(&j, stdout);
    } else {
        printf("%s\n", h.status ? "Health check OK" : "Health check FAILED");
        printf("%-10s%s\n", "version:", h.version);
        if (h.server_uuid[0])
            printf("%-10s%s\n", "uuid:", h.server_uuid);
    }
    return h.status ? 0 : CTL_ERR;
}

static void info_json(jb *j, const seal_server_info *si)
{
    jb_str(j, "version", si->version);
    jb_i64(j, "started_at", si->started_at);
    jb_i64(j, "num_transactions", si->num_transactions);
    jb_i64(j, "num_databases", si->num_databases);
    jb_i64(j, "databases_disk_size", si->databases_disk_size);
}

static void info_text(const seal_server_info *si)
{
    char ts[64];
    ctl_fmt_time(ts, sizeof(ts), si->started_at);
    printf("%-20s%s\n", "version:", si->version);
    printf("%-20s%s\n", "started at:", si->started_at ? ts : "-");
    printf("%-20s%lld\n", "transactions:", (long long)si->num_transactions);
    printf("%-20s%d\n", "databases:", si->num_databases);
    printf("%-20s%lld bytes\n", "disk size:", (long long)si->databases_disk_size);
}

int cmd_info(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_server_info si;
    int x = seal_client_server_info(c->cli, &si);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        info_json(&j, &si);
        jb_end_print(&j, stdout);
    } else {
        info_text(&si);
    }
    return 0;
}

static void fips_json(jb *j, const seal_fips_status *st)
{
    jb_bool(j, "initialized", st->initialized);
    jb_bool(j, "fips_enabled", st->fips_enabled);
    jb_bool(j, "selftest_ok", st->selftest_ok);
    jb_bool(j, "validated", st->validated);
    jb_str(j, "name", st->name);
    jb_str(j, "version", st->version);
    jb_str(j, "build", st->build);
    jb_str(j, "validation", st->validation);
    jb_str(j, "module_path", st->module_path);
    jb_str(j, "config_path", st->config_path);
    jb_str(j, "libcrypto", st->libcrypto);
}

static void fips_text(const seal_fips_status *st)
{
    printf("%-24s%s %s (%s)\n", "local FIPS module:", st->name, st->version,
           st->selftest_ok ? "self-tests passed" : "self-tests FAILED");
    printf("%-24s%s\n", "local FIPS mode:",
           st->fips_enabled ? "enabled (fips=yes for every algorithm)" : "NOT enabled");
    printf("%-24s%s\n", "local FIPS validation:", st->validation);
    printf("%-24s%s\n", "local FIPS module file:", st->module_path);
    printf("%-24s%s\n", "local OpenSSL config:", st->config_path);
    printf("%-24s%s\n", "local libcrypto:", st->libcrypto);
}

int cmd_status(ctl *c)
{
    seal_fips_status st;
    seal_fips_get_status(&st);
    int local_ok = st.initialized && st.fips_enabled && st.selftest_ok;
    int rc = 0, reachable = 0, have_info = 0;
    seal_health h;
    seal_server_info si;
    seal_server_fips sf;
    char herr[512] = "", ierr[512] = "";
    memset(&h, 0, sizeof(h));
    memset(&si, 0, sizeof(si));
    memset(&sf, 0, sizeof(sf));
    if (!ctl_flag(c, "local")) {
        seal_client_opts o;
        ctl_client_opts(c, &o);
        if (seal_client_connect(&o, &c->cli) == 0 && seal_client_health(c->cli, &h) == 0) {
            reachable = 1;
            /* ServerInfo (with the FIPS headers) needs no login on SealDB;
             * other servers may want one: then the token file or --username */
            int x = seal_client_server_fips(c->cli, &si, &sf);
            if (x == SEAL_EAUTH || x == SEAL_EPERM) {
                ctl_disconnect(c);
                if (ctl_connect(c) == 0)
                    x = seal_client_server_fips(c->cli, &si, &sf);
            }
            if (x == 0)
                have_info = 1;
            else
                snprintf(ierr, sizeof(ierr), "%s",
                         c->cli ? seal_client_last_error(c->cli) : seal_strerror(x));
        } else {
            snprintf(herr, sizeof(herr), "%s",
                     c->cli ? seal_client_last_error(c->cli) : "cannot connect");
            rc = CTL_ERR;
        }
        ctl_disconnect(c);
        if (reachable && !h.status)
            rc = CTL_ERR;
        if (have_info && sf.reported && strcmp(sf.status, "active") != 0)
            rc = CTL_ERR;
    }
    if (!local_ok)
        rc = CTL_ERR;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        if (!ctl_flag(c, "local")) {
            jb_obj(&j, "server");
            char addr[300];
            snprintf(addr, sizeof(addr), "%s:%d", c->host, c->port);
            jb_str(&j, "address", addr);
            jb_bool(&j, "reachable", reachable);
            if (reachable) {
                jb_bool(&j, "status", h.status);
                jb_str(&j, "version", h.version);
                jb_str(&j, "server_uuid", h.server_uuid);
            } else {
                jb_str(&j, "error", herr);
            }
            if (have_info) {
                jb_obj(&j, "info");
                info_json(&j, &si);
                jb_obj_end(&j);
                jb_obj(&j, "fips");
                jb_bool(&j, "reported", sf.reported);
                if (sf.reported) {
                    jb_str(&j, "status", sf.status);
                    jb_str(&j, "module", sf.module);
                    jb_str(&j, "validation", sf.validation);
                    jb_str(&j, "selftest", sf.selftest);
                }
                jb_obj_end(&j);
            } else if (reachable) {
                jb_str(&j, "info_error", ierr);
            }
            jb_obj_end(&j);
        }
        jb_obj(&j, "local_fips");
        fips_json(&j, &st);
        jb_obj_end(&j);
        jb_end_print(&j, stdout);
    } else {
        if (!ctl_flag(c, "local")) {
            printf("%-24s%s:%d\n", "server:", c->host, c->port);
            if (reachable) {
                printf("%-24s%s (version %s)\n", "server health:", h.status ? "ok" : "NOT OK",
                       h.version);
                if (h.server_uuid[0])
                    printf("%-24s%s\n", "server uuid:", h.server_uuid);
            } else {
                printf("%-24sunreachable: %s\n", "server health:", herr);
            }
            if (have_info) {
                printf("%-24s%lld\n", "server transactions:", (long long)si.num_transactions);
                printf("%-24s%d\n", "server databases:", si.num_databases);
                if (sf.reported) {
                    printf("%-24s%s (%s, self-tests %s)\n", "server FIPS:", sf.status, sf.module,
                           sf.selftest);
                    printf("%-24s%s\n", "server FIPS validation:", sf.validation);
                } else {
                    printf("%-24snot reported by the server (not a SealDB server?)\n",
                           "server FIPS:");
                }
            } else if (reachable) {
                printf("%-24snot available (%s)\n", "server info:", ierr);
            }
        }
        fips_text(&st);
    }
    return rc;
}

/* ------------------------------------------------------------------ users */
static const char *perm_name(uint32_t p)
{
    switch (p) {
    case 0:
        return "none";
    case 1:
        return "read";
    case 2:
        return "readwrite";
    case 254:
        return "admin";
    case 255:
        return "sysadmin";
    default:
        return "unknown";
    }
}

static int parse_perm(ctl *c, const char *s, uint32_t *out)
{
    static const struct {
        const char *name;
        uint32_t v;
    } t[] = {{"read", 1}, {"readwrite", 2}, {"admin", 254}, {"sysadmin", 255}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].name) == 0) {
            *out = t[i].v;
            return 0;
        }
    return ctl_usage_err(c, "permission is read, readwrite, admin or sysadmin, not '%s'", s);
}

int cmd_user_list(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_user *u = NULL;
    size_t n = 0;
    int x = seal_client_list_users(c->cli, &u, &n);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_TEXT)
        printf("%-16s %-7s %-16s %-10s %-12s %s\n", "User", "Active", "Database", "Permission",
               "Created By", "Created At");
    for (size_t i = 0; i < n; i++) {
        if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_str(&j, "user", u[i].user);
            jb_bool(&j, "active", u[i].active);
            jb_str(&j, "created_by", u[i].created_by);
            jb_str(&j, "created_at", u[i].created_at);
            jb_arr(&j, "permissions");
            for (size_t k = 0; k < u[i].nperms; k++) {
                jb_obj(&j, NULL);
                jb_str(&j, "database", u[i].perms[k].database);
                jb_str(&j, "permission", perm_name(u[i].perms[k].permission));
                jb_u64(&j, "code", u[i].perms[k].permission);
                jb_obj_end(&j);
            }
            jb_arr_end(&j);
            jb_end_print(&j, stdout);
            continue;
        }
        size_t np = u[i].nperms ? u[i].nperms : 1;
        for (size_t k = 0; k < np; k++) {
            const char *db = u[i].nperms ? u[i].perms[k].database : "-";
            const char *pm = u[i].nperms ? perm_name(u[i].perms[k].permission) : "-";
            if (k == 0)
                printf("%-16s %-7s %-16s %-10s %-12s %s\n", u[i].user ? u[i].user : "",
                       u[i].active ? "true" : "false", db ? db : "", pm,
                       u[i].created_by ? u[i].created_by : "",
                       u[i].created_at ? u[i].created_at : "");
            else
                printf("%-16s %-7s %-16s %s\n", "", "", db ? db : "", pm);
        }
    }
    if (c->out == OUT_TEXT)
        printf("%zu user(s)\n", n);
    seal_users_free(u, n);
    return 0;
}

int cmd_user_create(ctl *c)
{
    uint32_t perm = 0;
    int rc = parse_perm(c, c->args[1], &perm);
    if (rc)
        return rc;
    if ((rc = ctl_connect(c)) != 0)
        return rc;
    const char *db = c->nargs > 2 ? c->args[2] : seal_client_database(c->cli);
    char prompt[400], pw[1024];
    snprintf(prompt, sizeof(prompt), "Choose a password for %s: ", c->args[0]);
    if ((rc = ctl_secret(c, prompt, "SEALDB_NEW_PASSWORD", 1, pw, sizeof(pw))) != 0)
        return rc;
    int x = seal_client_create_user(c->cli, c->args[0], pw, perm, db);
    ctl_wipe(pw, sizeof(pw));
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "created_user", c->args[0]);
        jb_str(&j, "permission", perm_name(perm));
        jb_str(&j, "database", db);
        jb_end_print(&j, stdout);
    } else {
        printf("Created user %s (%s on %s)\n", c->args[0], perm_name(perm), db);
    }
    return 0;
}

int cmd_user_changepassword(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    const char *user = c->args[0];
    char oldpw[1024] = "", newpw[1024], prompt[400];
    if (c->login_user[0] && strcmp(c->login_user, user) == 0 &&
        (rc = ctl_secret(c, "Old password: ", "SEALDB_OLD_PASSWORD", 0, oldpw, sizeof(oldpw))) != 0)
        return rc;
    snprintf(prompt, sizeof(prompt), "Choose a password for %s: ", user);
    if ((rc = ctl_secret(c, prompt, "SEALDB_NEW_PASSWORD", 1, newpw, sizeof(newpw))) != 0) {
        ctl_wipe(oldpw, sizeof(oldpw));
        return rc;
    }
    int x = seal_client_change_password(c->cli, user, oldpw, newpw);
    ctl_wipe(oldpw, sizeof(oldpw));
    ctl_wipe(newpw, sizeof(newpw));
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "password_changed", user);
        jb_end_print(&j, stdout);
    } else {
        printf("%s's password has been changed\n", user);
    }
    return 0;
}

int cmd_user_permission(ctl *c)
{
    int grant;
    if (strcmp(c->args[0], "grant") == 0)
        grant = 1;
    else if (strcmp(c->args[0], "revoke") == 0)
        grant = 0;
    else
        return ctl_usage_err(c, "the first argument is grant or revoke, not '%s'", c->args[0]);
    uint32_t perm = 0;
    int rc = parse_perm(c, c->args[2], &perm);
    if (rc)
        return rc;
    if ((rc = ctl_connect(c)) != 0)
        return rc;
    int x = seal_client_change_permission(c->cli, grant, c->args[1], c->args[3], perm);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "action", grant ? "grant" : "revoke");
        jb_str(&j, "user", c->args[1]);
        jb_str(&j, "permission", perm_name(perm));
        jb_str(&j, "database", c->args[3]);
        jb_end_print(&j, stdout);
    } else {
        printf("Permission changed successfully\n");
    }
    return 0;
}

static int set_active(ctl *c, int active)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    int x = seal_client_set_active_user(c->cli, c->args[0], active);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "user", c->args[0]);
        jb_bool(&j, "active", active);
        jb_end_print(&j, stdout);
    } else {
        printf("User %s %s\n", c->args[0], active ? "activated" : "deactivated");
    }
    return 0;
}

int cmd_user_activate(ctl *c)
{
    return set_active(c, 1);
}

int cmd_user_deactivate(ctl *c)
{
    return set_active(c, 0);
}

/* -------------------------------------------------------------- databases */
static int parse_bool(ctl *c, const char *name, int *out)
{
    const char *v = ctl_opt(c, name);
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return ctl_usage_err(c, "--%s is true or false, not '%s'", name, v);
    return 0;
}

static int opt_u32(ctl *c, const char *name, uint32_t *out, uint32_t bit, uint32_t *set)
{
    uint64_t v;
    if (!ctl_opt(c, name))
        return 0;
    int rc = ctl_opt_u64(c, name, &v);
    if (rc)
        return rc;
    if (v > UINT32_MAX)
        return ctl_usage_err(c, "--%s is too large", name);
    *out = (uint32_t)v;
    *set |= bit;
    return 0;
}

static int opt_bool(ctl *c, const char *name, int *out, uint32_t bit, uint32_t *set)
{
    if (!ctl_opt(c, name))
        return 0;
    int rc = parse_bool(c, name, out);
    if (rc == 0)
        *set |= bit;
    return rc;
}

static int db_settings(ctl *c, seal_db_settings *s)
{
    memset(s, 0, sizeof(*s));
    int rc;
    const char *hv = ctl_opt(c, "tx-header-version");
    const char *whv = ctl_opt(c, "write-tx-header-version");
    if (hv && whv && strcmp(hv, whv) != 0)
        return ctl_usage_err(c, "--tx-header-version and --write-tx-header-version differ");
    const char *hname = hv ? "tx-header-version" : "write-tx-header-version";
    if ((rc = opt_u32(c, hname, &s->write_tx_header_version, SEAL_DBS_WRITE_TX_HEADER_VERSION,
                      &s->set)) != 0)
        return rc;
    if ((s->set & SEAL_DBS_WRITE_TX_HEADER_VERSION) && s->write_tx_header_version > 1)
        return ctl_usage_err(c, "the tx header version is 0 or 1");
    if ((rc = opt_u32(c, "max-key-len", &s->max_key_len, SEAL_DBS_MAX_KEY_LEN, &s->set)) ||
        (rc = opt_u32(c, "max-value-len", &s->max_value_len, SEAL_DBS_MAX_VALUE_LEN, &s->set)) ||
        (rc = opt_u32(c, "max-tx-entries", &s->max_tx_entries, SEAL_DBS_MAX_TX_ENTRIES, &s->set)) ||
        (rc = opt_u32(c, "file-size", &s->file_size, SEAL_DBS_FILE_SIZE, &s->set)) ||
        (rc = opt_u32(c, "max-commit-concurrency", &s->max_concurrency, SEAL_DBS_MAX_CONCURRENCY,
                      &s->set)) ||
        (rc = opt_bool(c, "exclude-commit-time", &s->exclude_commit_time,
                       SEAL_DBS_EXCLUDE_COMMIT_TIME, &s->set)) ||
        (rc = opt_bool(c, "autoload", &s->autoload, SEAL_DBS_AUTOLOAD, &s->set)) ||
        (rc = opt_bool(c, "embedded-values", &s->embedded_values, SEAL_DBS_EMBEDDED_VALUES,
                       &s->set)) ||
        (rc =
             opt_bool(c, "prealloc-files", &s->prealloc_files, SEAL_DBS_PREALLOC_FILES, &s->set)) ||
        (rc = opt_bool(c, "replica", &s->replica, SEAL_DBS_REPLICA, &s->set)))
        return rc;
    if (ctl_opt(c, "sync-frequency")) {
        int64_t ms;
        if ((rc = ctl_opt_i64(c, "sync-frequency", &ms)) != 0)
            return rc;
        if (ms < 0)
            return ctl_usage_err(c, "--sync-frequency must not be negative");
        s->sync_frequency_ms = ms;
        s->set |= SEAL_DBS_SYNC_FREQUENCY_MS;
    }
    return 0;
}

/* "write-tx-header-version: 0, max-key-len: 1024" of the fields set. */
static void settings_str(const seal_db_settings *s, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
#define ADD(bit, fmt, val)                                                                         \
    do {                                                                                           \
        if ((s->set & (bit)) && n < cap)                                                           \
            n += (size_t)snprintf(out + n, cap - n, "%s" fmt, n ? ", " : "", val);                 \
    } while (0)
    ADD(SEAL_DBS_WRITE_TX_HEADER_VERSION, "write-tx-header-version: %u",
        s->write_tx_header_version);
    ADD(SEAL_DBS_MAX_KEY_LEN, "max-key-len: %u", s->max_key_len);
    ADD(SEAL_DBS_MAX_VALUE_LEN, "max-value-len: %u", s->max_value_len);
    ADD(SEAL_DBS_MAX_TX_ENTRIES, "max-tx-entries: %u", s->max_tx_entries);
    ADD(SEAL_DBS_FILE_SIZE, "file-size: %u", s->file_size);
    ADD(SEAL_DBS_MAX_CONCURRENCY, "max-commit-concurrency: %u", s->max_concurrency);
    ADD(SEAL_DBS_SYNC_FREQUENCY_MS, "sync-frequency: %lldms", (long long)s->sync_frequency_ms);
    ADD(SEAL_DBS_EXCLUDE_COMMIT_TIME, "exclude-commit-time: %s",
        s->exclude_commit_time ? "true" : "false");
    ADD(SEAL_DBS_AUTOLOAD, "autoload: %s", s->autoload ? "true" : "false");
    ADD(SEAL_DBS_EMBEDDED_VALUES, "embedded-values: %s", s->embedded_values ? "true" : "false");
    ADD(SEAL_DBS_PREALLOC_FILES, "prealloc-files: %s", s->prealloc_files ? "true" : "false");
    ADD(SEAL_DBS_REPLICA, "replica: %s", s->replica ? "true" : "false");
#undef ADD
    if (n >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

static void settings_json(jb *j, const seal_db_settings *s)
{
    jb_obj(j, "settings");
    if (s->set & SEAL_DBS_WRITE_TX_HEADER_VERSION)
        jb_u64(j, "write_tx_header_version", s->write_tx_header_version);
    if (s->set & SEAL_DBS_MAX_KEY_LEN)
        jb_u64(j, "max_key_len", s->max_key_len);
    if (s->set & SEAL_DBS_MAX_VALUE_LEN)
        jb_u64(j, "max_value_len", s->max_value_len);
    if (s->set & SEAL_DBS_MAX_TX_ENTRIES)
        jb_u64(j, "max_tx_entries", s->max_tx_entries);
    if (s->set & SEAL_DBS_FILE_SIZE)
        jb_u64(j, "file_size", s->file_size);
    if (s->set & SEAL_DBS_MAX_CONCURRENCY)
        jb_u64(j, "max_concurrency", s->max_concurrency);
    if (s->set & SEAL_DBS_SYNC_FREQUENCY_MS)
        jb_i64(j, "sync_frequency_ms", s->sync_frequency_ms);
    if (s->set & SEAL_DBS_EXCLUDE_COMMIT_TIME)
        jb_bool(j, "exclude_commit_time", s->exclude_commit_time);
    if (s->set & SEAL_DBS_AUTOLOAD)
        jb_bool(j, "autoload", s->autoload);
    if (s->set & SEAL_DBS_EMBEDDED_VALUES)
        jb_bool(j, "embedded_values", s->embedded_values);
    if (s->set & SEAL_DBS_PREALLOC_FILES)
        jb_bool(j, "prealloc_files", s->prealloc_files);
    if (s->set & SEAL_DBS_REPLICA)
        jb_bool(j, "replica", s->replica);
    jb_obj_end(j);
}

int cmd_db_list(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_db_info *d = NULL;
    size_t n = 0;
    int x = seal_client_database_list(c->cli, &d, &n);
    if (x)
        return ctl_fail(c, x, NULL);
    const char *cur = seal_client_database(c->cli);
    if (c->out == OUT_TEXT)
        printf("%-20s %-10s %-12s %-9s %-10s %-9s %-12s %s\n", "Database Name", "Created At",
               "Created By", "Status", "Is Replica", "Tx Header", "Disk Size", "Transactions");
    for (size_t i = 0; i < n; i++) {
        const seal_db_info *e = &d[i];
        if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_str(&j, "name", e->name);
            jb_bool(&j, "current", e->name && strcmp(e->name, cur) == 0);
            jb_bool(&j, "loaded", e->loaded);
            jb_u64(&j, "created_at", e->created_at);
            jb_str(&j, "created_by", e->created_by);
            jb_u64(&j, "disk_size", e->disk_size);
            jb_u64(&j, "num_transactions", e->num_transactions);
            settings_json(&j, &e->settings);
            jb_end_print(&j, stdout);
            continue;
        }
        char name[300], date[64] = "-", hv[16] = "-";
        snprintf(name, sizeof(name), "%s%s", e->name && strcmp(e->name, cur) == 0 ? "*" : "",
                 e->name ? e->name : "");
        if (e->created_at) {
            ctl_fmt_time(date, sizeof(date), (int64_t)e->created_at);
            date[10] = 0; /* the date only */
        }
        if (e->settings.set & SEAL_DBS_WRITE_TX_HEADER_VERSION)
            snprintf(hv, sizeof(hv), "%u", e->settings.write_tx_header_version);
        printf("%-20s %-10s %-12s %-9s %-10s %-9s %-12llu %llu\n", name, date,
               e->created_by ? e->created_by : "", e->loaded ? "LOADED" : "UNLOADED",
               (e->settings.set & SEAL_DBS_REPLICA) && e->settings.replica ? "TRUE" : "FALSE", hv,
               (unsigned long long)e->disk_size, (unsigned long long)e->num_transactions);
    }
    if (c->out == OUT_TEXT)
        printf("%zu database(s)\n", n);
    seal_db_infos_free(d, n);
    return 0;
}

int cmd_db_create(ctl *c)
{
    seal_db_settings s, got;
    int rc = db_settings(c, &s);
    if (rc)
        return rc;
    if ((rc = ctl_connect(c)) != 0)
        return rc;
    int existed = 0;
    memset(&got, 0, sizeof(got));
    int x = seal_client_create_database(c->cli, c->args[0], &s, ctl_flag(c, "if-not-exists"),
                                        &existed, &got);
    if (x)
        return ctl_fail(c, x, NULL);
    char str[1024];
    settings_str(got.set ? &got : &s, str, sizeof(str));
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", c->args[0]);
        jb_bool(&j, "created", !existed);
        jb_bool(&j, "already_existed", existed);
        settings_json(&j, got.set ? &got : &s);
        jb_end_print(&j, stdout);
    } else if (existed) {
        printf("database '%s' already exists\n", c->args[0]);
    } else {
        printf("database '%s' {%s} successfully created\n", c->args[0], str);
    }
    return 0;
}

int cmd_db_update(ctl *c)
{
    seal_db_settings s, got;
    int rc = db_settings(c, &s);
    if (rc)
        return rc;
    if (s.set == 0)
        return ctl_usage_err(c, "nothing to update: give at least one setting");
    if ((rc = ctl_connect(c)) != 0)
        return rc;
    memset(&got, 0, sizeof(got));
    int x = seal_client_update_database(c->cli, c->args[0], &s, &got);
    if (x)
        return ctl_fail(c, x, NULL);
    char str[1024];
    settings_str(got.set ? &got : &s, str, sizeof(str));
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", c->args[0]);
        jb_bool(&j, "updated", 1);
        settings_json(&j, got.set ? &got : &s);
        jb_end_print(&j, stdout);
    } else {
        printf("database '%s' {%s} successfully updated\n", c->args[0], str);
    }
    return 0;
}

static int db_op(ctl *c, int (*fn)(seal_client *, const char *), const char *done)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    int x = fn(c->cli, c->args[0]);
    if (x)
        return ctl_fail(c, x, NULL);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", c->args[0]);
        jb_bool(&j, done, 1);
        jb_end_print(&j, stdout);
    } else {
        printf("database '%s' successfully %s\n", c->args[0], done);
    }
    return 0;
}

int cmd_db_load(ctl *c)
{
    return db_op(c, seal_client_load_database, "loaded");
}

int cmd_db_unload(ctl *c)
{
    return db_op(c, seal_client_unload_database, "unloaded");
}

int cmd_db_delete(ctl *c)
{
    if (!ctl_flag(c, "yes-i-know-what-i-am-doing"))
        return ctl_usage_err(c, "database '%s' was not deleted: add --yes-i-know-what-i-am-doing",
                             c->args[0]);
    return db_op(c, seal_client_delete_database, "deleted");
}
