/* users.h - the user catalog: users, password hashes, per-database
 * permissions and the rules of immudb's user RPCs (CreateUser,
 * ChangePassword, ChangePermission, SetActiveUser, ListUsers, Login), plus
 * the table of which permission each RPC needs.
 *
 * Pure logic: no network, no threads. The catalog keeps every user in memory
 * (one mutex) and writes each change through a small key/value backend (the
 * system database in the server, an in-memory map in tests) before it
 * changes the cache, so a failed write changes nothing.
 *
 * Passwords are PBKDF2-HMAC-SHA-256 (cry_password_hash), never bcrypt; a
 * stored bcrypt hash is refused. See docs/auth.md for the rules, the record
 * format and the differences from immudb.
 *
 * Errors: every function returns 0 or a negative SEAL_E* code. Functions that
 * implement an immudb RPC also fill an optional users_msg with immudb's
 * message for the error and the gRPC status code immudb answers with. */
#ifndef SEAL_DB_USERS_H
#define SEAL_DB_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ------------------------------------------------------------ permissions */
/* immudb's permission values (pkg/auth/permissions.go). */
#define USERS_PERM_NONE      0
#define USERS_PERM_READ      1
#define USERS_PERM_READWRITE 2
#define USERS_PERM_ADMIN     254
#define USERS_PERM_SYSADMIN  255

/* immudb's names and limits. */
#define USERS_SYSADMIN_NAME          "immudb"
#define USERS_DEFAULT_ADMIN_PASSWORD "immudb"
#define USERS_SYSTEMDB               "systemdb"
#define USERS_ALL_DATABASES          "*" /* the superuser's permission entry */
#define USERS_NAME_MAX               63  /* username bytes */
#define USERS_DB_NAME_MAX            255 /* database name bytes accepted by the catalog */
#define USERS_PASSWORD_MIN           8
#define USERS_PASSWORD_MAX           32
/* The key prefix of user records in the system database (immudb's
 * KeyPrefixUser): key = 0x01 || username. */
#define USERS_KEY_PREFIX 0x01

/* immudb's messages. */
#define USERS_PASSWORD_REQUIREMENTS_MSG                                                            \
    "password must have between 8 and 32 letters, digits and special characters of which at "      \
    "least 1 uppercase letter, 1 digit and 1 special character"
#define USERS_MSG_INVALID_LOGIN    "invalid user name or password"
#define USERS_MSG_NOT_ACTIVE       "user is not active"
#define USERS_MSG_INVALID_USERNAME "username can only contain letters, digits and underscores"
#define USERS_WARN_DEFAULT_ADMIN_PASSWORD                                                          \
    "immudb user has the default password: please change it to ensure proper security"

/* gRPC status codes used in users_msg.grpc_code. */
#define USERS_GRPC_OK                  0
#define USERS_GRPC_UNKNOWN             2
#define USERS_GRPC_INVALID_ARGUMENT    3
#define USERS_GRPC_NOT_FOUND           5
#define USERS_GRPC_PERMISSION_DENIED   7
#define USERS_GRPC_FAILED_PRECONDITION 9
#define USERS_GRPC_UNAUTHENTICATED     16

/* The message of a failed call: immudb's text and gRPC code (UNKNOWN where
 * immudb returns a plain Go error). Empty text and code 0 on success. */
typedef struct users_msg {
    int grpc_code;
    char text[192];
} users_msg;

/* immudb's password strength rule (IsStrongPassword): 8 to 32 bytes, only
 * ASCII letters, digits and punctuation/symbols, at least one upper-case
 * letter, one digit and one punctuation/symbol character. Returns 0 or
 * SEAL_EINVAL (the message is USERS_PASSWORD_REQUIREMENTS_MSG). Non-ASCII
 * bytes are refused (immudb classifies Unicode letters; see docs/auth.md). */
int users_password_strong(const char *pw, size_t len);

/* immudb's username rule (IsValidUsername): 1 to 63 bytes of [A-Za-z0-9_]. */
bool users_username_valid(const char *name);

/* --------------------------------------------------------------- backend */
/* Where records live. Keys and values are opaque bytes; the catalog uses
 * keys 0x01 || username. Every function returns 0 or a negative SEAL_E*.
 *  put:  store (or overwrite) key -> value, durably, before returning 0.
 *  get:  the current value of key into *val (seal_malloc'ed, the caller
 *        frees it with seal_free) or SEAL_ENOTFOUND. May be NULL (then
 *        users_refresh is SEAL_EUNSUPPORTED).
 *  scan: call cb for each key starting with prefix, in key order, with its
 *        current value; a non-zero return from cb stops the scan and is
 *        returned. The pointers are valid during the call only. */
typedef int (*users_scan_cb)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen);
typedef struct users_backend {
    void *ctx;
    int (*put)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
    int (*get)(void *ctx, const uint8_t *key, size_t klen, uint8_t **val, size_t *vlen);
    int (*scan)(void *ctx, const uint8_t *prefix, size_t plen, users_scan_cb cb, void *arg);
} users_backend;

/* An in-memory backend (sorted, thread-safe) for tests and tools.
 * users_membackend_new fills *out (ctx owned by the backend; release with
 * users_membackend_free). SEAL_ENOMEM on failure. */
int users_membackend_new(users_backend *out);
void users_membackend_free(users_backend *be);
/* Make the next |n| put calls fail with SEAL_EIO (tests). */
void users_membackend_fail_puts(users_backend *be, int n);
/* Number of records and of put calls so far (tests). */
size_t users_membackend_count(const users_backend *be);
size_t users_membackend_puts(const users_backend *be);

/* ------------------------------------------------------------- catalog */
typedef struct users_catalog users_catalog;

typedef struct users_options {
    /* PBKDF2 iterations for new hashes; 0 = CRY_PBKDF2_DEFAULT_ITER (600000).
     * Below CRY_PBKDF2_MIN_ITER (1000) is refused by users_open. */
    uint32_t pbkdf2_iterations;
    /* immudb checks password strength only in its command-line clients;
     * SealDB checks it in the server for CreateUser and ChangePassword.
     * true turns the check off (only "non-empty" remains). */
    bool allow_weak_passwords;
    /* Clock in milliseconds since the epoch (NULL: the system clock). */
    int64_t (*now_ms)(void *arg);
    void *now_arg;
    /* Does database |name| exist? (NULL: every name exists.) Lets the
     * catalog report immudb's errors in immudb's order. */
    bool (*db_exists)(void *arg, const char *name);
    void *db_arg;
    /* Called (outside the catalog lock) after a user's password,
     * permissions or active flag changed: the server revokes that user's
     * tokens and closes its sessions there, as immudb does. May be NULL. */
    void (*on_user_changed)(void *arg, const char *username);
    void *changed_arg;
} users_options;

/* Opens the catalog over |be| (copied; its ctx must outlive the catalog)
 * and loads every record. |opts| may be NULL (defaults). *out is owned by
 * the caller (users_close). SEAL_ECORRUPT if a record does not decode,
 * SEAL_EINVAL for bad options, or the backend's error. */
int users_open(users_catalog **out, const users_backend *be, const users_options *opts);
void users_close(users_catalog *c);

/* What users_bootstrap did. */
typedef struct users_boot {
    bool created;  /* the superuser did not exist and was created */
    bool reset;    /* force_reset changed its password */
    bool mismatch; /* a non-default admin password was given but the stored one differs
                      and force_reset was off: the server should warn ("admin password was
                      not updated, use the force-admin-password option to forcibly reset it") */
} users_boot;

/* Start-up, as immudb's loadSystemDatabase: creates the superuser "immudb"
 * (sysadmin, permission 255 on "*", active, created by "") with
 * |admin_password| if it does not exist; with |force_reset| sets its
 * password to |admin_password| if it differs. The strength rule does not
 * apply here (immudb's default is "immudb"). An empty password is
 * SEAL_EINVAL ("Admin password cannot be empty"). |res| may be NULL. */
int users_bootstrap(users_catalog *c, const char *admin_password, bool force_reset, users_boot *res,
                    users_msg *msg);

/* Is the superuser's password still "immudb"? Writes *out. The answer is
 * cached; the first call after users_open may run one PBKDF2 verification.
 * SEAL_ENOTFOUND if there is no superuser, SEAL_EINVAL for NULL arguments. */
int users_admin_password_is_default(users_catalog *c, bool *out);

/* A copy of a user (no password hash). */
typedef struct users_perm {
    uint32_t permission;
    char *database;
} users_perm;
typedef struct users_user {
    char *username;
    bool active;
    bool sysadmin;
    char *created_by;
    int64_t created_at_ms; /* immudb's createdat: set on creation and on every change */
    size_t nperms;
    users_perm *perms; /* in grant order */
} users_user;
void users_user_free(users_user *u);
/* Frees an array returned by users_list. */
void users_list_free(users_user *list, size_t n);

/* The permission |u| has on |database|: 255 for a sysadmin, else its entry
 * for that database or USERS_PERM_NONE. */
uint32_t users_which_permission(const users_user *u, const char *database);
/* Does |u| have exactly |perm| on |database| (immudb's HasPermission)? */
bool users_has_permission(const users_user *u, const char *database, uint32_t perm);

/* A copy of user |name| into *out (users_user_free). SEAL_ENOTFOUND. */
int users_get(users_catalog *c, const char *name, users_user **out);
/* The two flags every call checks, without copying the record: 0 or
 * SEAL_ENOTFOUND / SEAL_EINVAL. */
int users_status(users_catalog *c, const char *name, bool *sysadmin, bool *active);
/* Number of users. */
size_t users_count(users_catalog *c);

/* Login/OpenSession: checks |password| against the stored hash. Unknown
 * user or wrong password: SEAL_EAUTH, USERS_MSG_INVALID_LOGIN (an unknown
 * user costs the same PBKDF2 work as a known one). Inactive: SEAL_EPERM,
 * USERS_MSG_NOT_ACTIVE (checked after the password, as immudb). A bcrypt
 * or other non-PBKDF2 stored hash: SEAL_ENOTALLOWED with a message saying
 * the password must be reset. On success *out (may be NULL) gets a copy of
 * the user. */
int users_authenticate(users_catalog *c, const char *username, const char *password, size_t pw_len,
                       users_user **out, users_msg *msg);

/* CreateUser, called by logged-in |caller| (immudb's checks, in order):
 * "username can not be empty", "database name can not be empty when there
 * are multiple databases", "database %s does not exist", "unrecognized
 * permission" (0, 3..253, > 255), "you do not have permission on this
 * database" (caller neither sysadmin nor admin on |database|), "can not
 * create another system admin" (255), "user already exists", the username
 * rule, "password is empty", the strength rule. New users are active. */
int users_create(users_catalog *c, const char *caller, const char *username, const char *password,
                 size_t pw_len, uint32_t permission, const char *database, users_msg *msg);

/* ChangePassword. Changing one's own password or the superuser's needs
 * |old_password| ("old password is incorrect"); a sysadmin changes anybody
 * else's without it; a non-sysadmin must be admin on some database ("user is
 * not system admin nor admin in any of the databases") and may change only
 * users it created ("user %s was not found or it was not created by you").
 * Then "password is empty" and the strength rule. As in immudb the target's
 * created_by/created_at become the caller and now. */
int users_change_password(users_catalog *c, const char *caller, const char *target,
                          const char *old_password, size_t old_len, const char *new_password,
                          size_t new_len, users_msg *msg);

/* ChangePermission actions (immudb's PermissionAction). */
#define USERS_GRANT  0
#define USERS_REVOKE 1
/* ChangePermission: grant (replace) or revoke |target|'s permission on
 * |database|. immudb's checks in order: "username can not be empty",
 * "database can not be empty", "database does not exist" (systemdb always
 * exists), "action not recognized", "unrecognized permission" (also for
 * revoke), "changing your own permissions is not allowed", "changing sysadmin
 * permissions is not allowed", readwrite on systemdb "permission denied",
 * "user %s not found", "user %s is not active", "you do not have permission
 * on this database". SealDB adds: only a sysadmin may grant 255. */
int users_change_permission(users_catalog *c, const char *caller, const char *target, int action,
                            const char *database, uint32_t permission, users_msg *msg);

/* SetActiveUser: "username can not be empty", "user is not system admin nor
 * admin in any of the databases", "changing your own status is not allowed",
 * "user %s not found", "%s was not created by you" (non-sysadmin caller). */
int users_set_active(users_catalog *c, const char *caller, const char *target, bool active,
                     users_msg *msg);

/* ListUsers as seen by |caller| with |selected_db| (NULL: none selected): a
 * sysadmin sees every user; an admin of the selected database sees the users
 * with a permission on it; anyone else sees only itself. Sorted by name.
 * *out is an array of *n users (users_list_free). */
int users_list(users_catalog *c, const char *caller, const char *selected_db, users_user **out,
               size_t *n, users_msg *msg);
/* Every user (maintenance mode, tools). */
int users_list_all(users_catalog *c, users_user **out, size_t *n);

/* Re-reads user |name| from the backend (after the system database changed
 * underneath, e.g. on a replica). SEAL_ENOTFOUND if it is gone (and then it
 * is dropped from the cache). */
int users_refresh(users_catalog *c, const char *name);

/* OpenSession / UseDatabase: may |username| (existing, active) work on
 * |database|? A sysadmin always; anyone else needs a permission on it
 * (SEAL_EPERM, "Logged in user does not have permission on this
 * database", PermissionDenied). The server checks that the database exists. */
int users_check_database(users_catalog *c, const char *username, const char *database,
                         users_msg *msg);

/* ------------------------------------------------------ method permissions */
/* What an RPC needs before its handler runs (immudb's methodsPermissions and
 * the handlers' own checks). */
enum users_level {
    USERS_LEVEL_NONE = 0, /* no login: Login, OpenSession, Health, ServerInfo */
    USERS_LEVEL_LOGIN,    /* logged in; the handler applies its own rules */
    USERS_LEVEL_READ,     /* read, readwrite, admin or sysadmin on the selected database */
    USERS_LEVEL_READWRITE,
    USERS_LEVEL_ADMIN,
    USERS_LEVEL_SYSADMIN,
};
typedef struct users_method {
    const char *rpc;    /* gRPC method name in immudb.schema.ImmuService ("TxById") */
    const char *immudb; /* the name immudb's permission table uses ("TxByID"), or NULL */
    enum users_level level;
    bool maintenance; /* allowed on systemdb / in maintenance mode (immudb's list) */
} users_method;

/* The table entry for |rpc| (NULL if the method is unknown: refuse it). */
const users_method *users_method_find(const char *rpc);
/* The whole table (for tests and docs). */
const users_method *users_method_table(size_t *n);
/* immudb's HasPermissionForMethod: may a user whose permission on the
 * selected database is |perm| call |rpc|? Only for READ..SYSADMIN methods
 * (false for unknown methods and for NONE/LOGIN ones). */
bool users_method_allowed(uint32_t perm, const char *rpc);

/* The server's check before a database RPC (immudb's getDBFromCtx):
 * |username| must exist and be active, |rpc| known; NONE/LOGIN methods pass;
 * otherwise a database must be selected ("please select a database first"),
 * systemdb allows only maintenance methods ("permission denied", even for a
 * sysadmin), a sysadmin passes, anyone else needs the method's level on
 * |database|. SEAL_EPERM / SEAL_EAUTH / SEAL_EINVAL. */
int users_authorize(users_catalog *c, const char *username, const char *database, const char *rpc,
                    users_msg *msg);

#endif
