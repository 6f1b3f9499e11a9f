/* users_test.c - the user catalog: immudb's password and username rules,
 * the user RPC rules with their messages (every failure leaves the catalog
 * and the backend untouched), persistence across a reload, the PBKDF2 record
 * format and the refusal of bcrypt, the default-admin-password query, the
 * RPC permission table and users_authorize. */
#include "testlib.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/common.h"
#include "crypto/cry.h"
#include "db/users.h"

#define ITER 1000 /* the floor: keeps the test fast */

static int64_t g_now = 1700000000000;
static int g_changed;
static char g_changed_name[64];

static int64_t fake_now(void *arg)
{
    SEAL_UNUSED(arg);
    return g_now;
}

static bool fake_db_exists(void *arg, const char *name)
{
    SEAL_UNUSED(arg);
    return strcmp(name, "defaultdb") == 0 || strcmp(name, "db1") == 0 || strcmp(name, "db2") == 0;
}

static void on_changed(void *arg, const char *name)
{
    SEAL_UNUSED(arg);
    g_changed++;
    snprintf(g_changed_name, sizeof(g_changed_name), "%s", name);
}

static users_options opts(void)
{
    users_options o = {0};
    o.pbkdf2_iterations = ITER;
    o.now_ms = fake_now;
    o.db_exists = fake_db_exists;
    o.on_user_changed = on_changed;
    return o;
}

static const char *P = "Passw0rd!"; /* strong */

/* A catalog over |be| with the superuser "immudb"/"immudb". */
static users_catalog *open_boot(users_backend *be)
{
    users_catalog *c = NULL;
    users_options o = opts();
    CHECK_OK(users_open(&c, be, &o));
    if (c)
        CHECK_OK(users_bootstrap(c, "immudb", false, NULL, NULL));
    return c;
}

/* Counts users and backend writes: a failed call must change neither. */
typedef struct snap {
    size_t users, records, puts;
    int changed;
} snap;
static snap take(users_catalog *c, users_backend *be)
{
    snap s = {users_count(c), users_membackend_count(be), users_membackend_puts(be), g_changed};
    return s;
}
#define CHECK_UNCHANGED(c, be, s)                                                                  \
    do {                                                                                           \
        snap _t = take((c), (be));                                                                 \
        CHECK_INT(_t.users, (s).users);                                                            \
        CHECK_INT(_t.records, (s).records);                                                        \
        CHECK_INT(_t.puts, (s).puts);                                                              \
        CHECK_INT(_t.changed, (s).changed);                                                        \
    } while (0)

/* Expects rc and message; then that nothing changed since |s|. */
#define CHECK_FAILS(expr, code, want)                                                              \
    do {                                                                                           \
        users_msg _m;                                                                              \
        snap _s = take(c, &be);                                                                    \
        memset(&_m, 0x55, sizeof(_m));                                                             \
        CHECK_ERR((expr), (code));                                                                 \
        CHECK_STR(_m.text, (want));                                                                \
        CHECK_UNCHANGED(c, &be, _s);                                                               \
    } while (0)

static uint32_t perm_of(users_catalog *c, const char *user, const char *db)
{
    users_user *u = NULL;
    uint32_t p = 999;
    if (users_get(c, user, &u) == 0) {
        p = users_which_permission(u, db);
        users_user_free(u);
    }
    return p;
}

static int auth(users_catalog *c, const char *user, const char *pw)
{
    return users_authenticate(c, user, pw, strlen(pw), NULL, NULL);
}

/* ------------------------------------------------------------------ rules */
static void test_password_rules(void)
{
    /* immudb's own test cases (pkg/auth/passwords_test.go). */
    CHECK_ERR(users_password_strong("pass", 4), SEAL_EINVAL);
    CHECK_ERR(users_password_strong("1~password", 10), SEAL_EINVAL);
    CHECK_OK(users_password_strong("1~Password", 10));
    CHECK_ERR(users_password_strong("1~Password\n", 11), SEAL_EINVAL);
    /* Length 8..32 (bytes). */
    CHECK_ERR(users_password_strong("1~Passw", 7), SEAL_EINVAL);
    CHECK_OK(users_password_strong("1~Passwo", 8));
    const char *p32 = "1~Paaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    CHECK_INT(strlen(p32), 32);
    CHECK_OK(users_password_strong(p32, 32));
    CHECK_ERR(users_password_strong("1~Paaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33), SEAL_EINVAL);
    /* Each class required. */
    CHECK_ERR(users_password_strong("Password!", 9), SEAL_EINVAL);   /* no digit */
    CHECK_ERR(users_password_strong("Password1", 9), SEAL_EINVAL);   /* no special */
    CHECK_ERR(users_password_strong("password1!", 10), SEAL_EINVAL); /* no upper */
    CHECK_OK(users_password_strong("PASSWORD1!", 10));               /* lower not required */
    /* Every printable ASCII non-alphanumeric counts as special. */
    const char *specials = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    for (const char *s = specials; *s; s++) {
        char pw[16];
        snprintf(pw, sizeof(pw), "Abcdef1%c", *s);
        CHECK_OK(users_password_strong(pw, 8));
    }
    /* Space, control, NUL and non-ASCII are refused. */
    CHECK_ERR(users_password_strong("Pass word1!", 11), SEAL_EINVAL);
    CHECK_ERR(users_password_strong("Pass\tword1!", 11), SEAL_EINVAL);
    CHECK_ERR(users_password_strong("Pass\0word1!", 11), SEAL_EINVAL);
    CHECK_ERR(users_password_strong("P\xc3\xa4ssword1!", 11), SEAL_EINVAL);
    CHECK_ERR(users_password_strong(NULL, 0), SEAL_EINVAL);
    /* The message, byte for byte as immudb's PasswordRequirementsMsg. */
    CHECK_STR(USERS_PASSWORD_REQUIREMENTS_MSG,
              "password must have between 8 and 32 letters, digits and special characters of "
              "which at least 1 uppercase letter, 1 digit and 1 special character");
}

static void test_username_rules(void)
{
    char n63[64], n64[65];
    memset(n63, 'a', 63);
    n63[63] = '\0';
    memset(n64, 'b', 64);
    n64[64] = '\0';
    CHECK(users_username_valid("a"));
    CHECK(users_username_valid("A_1"));
    CHECK(users_username_valid("_"));
    CHECK(users_username_valid("immudb"));
    CHECK(users_username_valid(n63));
    CHECK(!users_username_valid(n64));
    CHECK(!users_username_valid(""));
    CHECK(!users_username_valid(NULL));
    CHECK(!users_username_valid("a-b"));
    CHECK(!users_username_valid("a b"));
    CHECK(!users_username_valid("a.b"));
    CHECK(!users_username_valid("a@b"));
    CHECK(!users_username_valid("\xc3\xa9t\xc3\xa9"));
    CHECK(!users_username_valid("abc\n"));
}

/* ---------------------------------------------------------------- bootstrap */
static void test_bootstrap_and_format(void)
{
    users_backend be;
    users_catalog *c = NULL;
    users_options o = opts();
    users_boot b;
    users_msg m;
    bool def = false;
    CHECK_OK(users_membackend_new(&be));
    CHECK_OK(users_open(&c, &be, &o));
    CHECK_ERR(users_admin_password_is_default(c, &def), SEAL_ENOTFOUND);
    CHECK_ERR(users_bootstrap(c, "", false, &b, &m), SEAL_EINVAL);
    CHECK_STR(m.text, "Admin password cannot be empty");
    CHECK_INT(users_count(c), 0);

    CHECK_OK(users_bootstrap(c, "immudb", false, &b, &m));
    CHECK(b.created && !b.reset && !b.mismatch);
    CHECK_STR(m.text, "");
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);

    users_user *u = NULL;
    CHECK_OK(users_get(c, "immudb", &u));
    if (u) {
        CHECK(u->sysadmin && u->active);
        CHECK_STR(u->created_by, "");
        CHECK_INT(u->created_at_ms, g_now);
        CHECK_INT(u->nperms, 1);
        CHECK_INT(u->perms[0].permission, 255);
        CHECK_STR(u->perms[0].database, "*");
        CHECK_INT(users_which_permission(u, "anything"), 255);
        users_user_free(u);
    }
    CHECK_OK(auth(c, "immudb", "immudb"));

    /* The stored record: key 0x01||"immudb", value format version 1 with a
     * PBKDF2 hash (never bcrypt). */
    uint8_t *v = NULL;
    size_t vl = 0;
    CHECK_OK(be.get(be.ctx, (const uint8_t *)"\x01immudb", 7, &v, &vl));
    if (v) {
        CHECK_INT(v[0], 1);
        CHECK_INT(v[1], 3); /* active | sysadmin */
        CHECK_INT((int64_t)seal_get_u64(v + 2), g_now);
        CHECK_INT(v[10], 6);
        CHECK(memcmp(v + 11, "immudb", 6) == 0);
        CHECK_INT(v[17], 0); /* created by "" */
        size_t hl = v[18];
        CHECK(hl > 20 && 19 + hl < vl);
        char h[256];
        memcpy(h, v + 19, hl);
        h[hl] = '\0';
        CHECK(strncmp(h, "$pbkdf2-sha256$i=1000$", 22) == 0);
        CHECK(strstr(h, "$2a$") == NULL && strstr(h, "$2b$") == NULL);
        CHECK_OK(cry_password_verify(h, "immudb", 6));
        size_t pos = 19 + hl;
        CHECK_INT(seal_get_u16(v + pos), 1);
        CHECK_INT(seal_get_u32(v + pos + 2), 255);
        CHECK_INT(v[pos + 6], 1);
        CHECK_INT(v[pos + 7], '*');
        CHECK_INT(pos + 8, vl);
        seal_free(v);
    }

    /* A second start with the default: nothing to do, no write. */
    size_t puts = users_membackend_puts(&be);
    CHECK_OK(users_bootstrap(c, "immudb", false, &b, NULL));
    CHECK(!b.created && !b.reset && !b.mismatch);
    /* A different password without force: the server warns, nothing written. */
    CHECK_OK(users_bootstrap(c, "Other1!pw", false, &b, NULL));
    CHECK(!b.created && !b.reset && b.mismatch);
    CHECK_INT(users_membackend_puts(&be), puts);
    CHECK_OK(auth(c, "immudb", "immudb"));
    /* Force with a failing store: nothing changes. */
    users_membackend_fail_puts(&be, 1);
    CHECK_ERR(users_bootstrap(c, "Other1!pw", true, &b, &m), SEAL_EIO);
    CHECK_OK(auth(c, "immudb", "immudb"));
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);
    /* Force: reset. */
    CHECK_OK(users_bootstrap(c, "Other1!pw", true, &b, NULL));
    CHECK(!b.created && b.reset && !b.mismatch);
    CHECK_ERR(auth(c, "immudb", "immudb"), SEAL_EAUTH);
    CHECK_OK(auth(c, "immudb", "Other1!pw"));
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(!def);
    /* Force with the same password: no write. */
    puts = users_membackend_puts(&be);
    CHECK_OK(users_bootstrap(c, "Other1!pw", true, &b, NULL));
    CHECK(!b.reset);
    CHECK_INT(users_membackend_puts(&be), puts);
    users_close(c);

    /* After a reload the default flag is computed from the stored hash. */
    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    def = true;
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(!def);
    CHECK_OK(users_bootstrap(c, "immudb", true, &b, NULL));
    CHECK(b.reset);
    users_close(c);
    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    def = false;
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);
    users_close(c);
    users_membackend_free(&be);

    /* Iterations: the default is 600000; below the floor is refused. */
    users_options o2 = opts();
    o2.pbkdf2_iterations = 999;
    CHECK_OK(users_membackend_new(&be));
    c = NULL;
    CHECK_ERR(users_open(&c, &be, &o2), SEAL_EINVAL);
    CHECK(c == NULL);
    o2.pbkdf2_iterations = 0;
    CHECK_OK(users_open(&c, &be, &o2));
    CHECK_OK(users_bootstrap(c, "immudb", false, NULL, NULL));
    v = NULL;
    CHECK_OK(be.get(be.ctx, (const uint8_t *)"\x01immudb", 7, &v, &vl));
    if (v) {
        CHECK(memmem(v, vl, "$pbkdf2-sha256$i=600000$", 24) != NULL);
        seal_free(v);
    }
    users_close(c);
    users_membackend_free(&be);
}

/* ------------------------------------------------------------- CreateUser */
static void test_create_user(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    size_t L = strlen(P);

    /* Every check in immudb's order, each leaving everything untouched. */
    CHECK_FAILS(users_create(c, "ghost", "alice", P, L, 1, "db1", &_m), SEAL_EAUTH,
                "not logged in");
    CHECK_FAILS(users_create(c, "immudb", "", P, L, 1, "db1", &_m), SEAL_EINVAL,
                "username can not be empty");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 1, "", &_m), SEAL_EINVAL,
                "database name can not be empty when there are multiple databases");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 1, "nodb", &_m), SEAL_ENOTFOUND,
                "database nodb does not exist");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 0, "db1", &_m), SEAL_EINVAL,
                "unrecognized permission");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 3, "db1", &_m), SEAL_EINVAL,
                "unrecognized permission");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 253, "db1", &_m), SEAL_EINVAL,
                "unrecognized permission");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 256, "db1", &_m), SEAL_EINVAL,
                "unrecognized permission");
    CHECK_FAILS(users_create(c, "immudb", "alice", P, L, 255, "db1", &_m), SEAL_EPERM,
                "can not create another system admin");
    CHECK_FAILS(users_create(c, "immudb", "immudb", P, L, 1, "db1", &_m), SEAL_EEXISTS,
                "user already exists");
    CHECK_FAILS(users_create(c, "immudb", "al-ice", P, L, 1, "db1", &_m), SEAL_EINVAL,
                USERS_MSG_INVALID_USERNAME);
    CHECK_FAILS(users_create(c, "immudb", "alice", "", 0, 1, "db1", &_m), SEAL_EINVAL,
                "password is empty");
    CHECK_FAILS(users_create(c, "immudb", "alice", "weakpass", 8, 1, "db1", &_m), SEAL_EINVAL,
                USERS_PASSWORD_REQUIREMENTS_MSG);
    users_membackend_fail_puts(&be, 1);
    {
        snap s = take(c, &be);
        CHECK_ERR(users_create(c, "immudb", "alice", P, L, 1, "db1", &m), SEAL_EIO);
        CHECK_INT(users_count(c), s.users);
        CHECK_INT(users_membackend_count(&be), s.records);
        CHECK_ERR(auth(c, "alice", P), SEAL_EAUTH);
    }

    /* Success: sysadmin creates an admin of db1, who creates a reader. */
    g_now += 1000;
    CHECK_OK(users_create(c, "immudb", "alice", P, L, USERS_PERM_ADMIN, "db1", &m));
    CHECK_STR(m.text, "");
    CHECK_INT(m.grpc_code, 0);
    CHECK_OK(users_create(c, "alice", "bob", "Bob1pass!", 9, USERS_PERM_READ, "db1", &m));
    /* alice is not admin of db2. */
    CHECK_FAILS(users_create(c, "alice", "carol", P, L, 1, "db2", &_m), SEAL_EPERM,
                "you do not have permission on this database");
    /* a reader cannot create users. */
    CHECK_FAILS(users_create(c, "bob", "carol", P, L, 1, "db1", &_m), SEAL_EPERM,
                "you do not have permission on this database");
    CHECK_INT(users_count(c), 3);

    users_user *u = NULL;
    CHECK_OK(users_get(c, "bob", &u));
    if (u) {
        CHECK_STR(u->username, "bob");
        CHECK(u->active && !u->sysadmin);
        CHECK_STR(u->created_by, "alice");
        CHECK_INT(u->created_at_ms, g_now);
        CHECK_INT(u->nperms, 1);
        CHECK_INT(users_which_permission(u, "db1"), USERS_PERM_READ);
        CHECK_INT(users_which_permission(u, "db2"), USERS_PERM_NONE);
        CHECK(users_has_permission(u, "db1", USERS_PERM_READ));
        CHECK(!users_has_permission(u, "db1", USERS_PERM_READWRITE));
        users_user_free(u);
    }
    CHECK_ERR(users_get(c, "nobody", &u), SEAL_ENOTFOUND);

    /* Weak passwords allowed when configured (still not empty). */
    users_options o = opts();
    o.allow_weak_passwords = true;
    users_catalog *c2 = NULL;
    CHECK_OK(users_open(&c2, &be, &o));
    CHECK_OK(users_create(c2, "immudb", "weak", "weak", 4, 1, "db1", NULL));
    CHECK_ERR(users_create(c2, "immudb", "weak2", "", 0, 1, "db1", &m), SEAL_EINVAL);
    CHECK_OK(auth(c2, "weak", "weak"));
    users_close(c2);

    users_close(c);
    users_membackend_free(&be);
}

/* ---------------------------------------------------------- authentication */
static void test_authenticate(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    users_user *u = NULL;
    CHECK_OK(users_create(c, "immudb", "alice", P, strlen(P), 2, "db1", NULL));

    CHECK_OK(users_authenticate(c, "alice", P, strlen(P), &u, &m));
    CHECK(u && strcmp(u->username, "alice") == 0);
    users_user_free(u);
    u = NULL;
    CHECK_ERR(users_authenticate(c, "alice", "Passw0rd?", 9, &u, &m), SEAL_EAUTH);
    CHECK_STR(m.text, "invalid user name or password");
    CHECK(u == NULL);
    /* A prefix of the password is not the password. */
    CHECK_ERR(users_authenticate(c, "alice", P, strlen(P) - 1, NULL, &m), SEAL_EAUTH);
    /* Unknown user: the same answer. */
    CHECK_ERR(users_authenticate(c, "mallory", P, strlen(P), NULL, &m), SEAL_EAUTH);
    CHECK_STR(m.text, "invalid user name or password");
    CHECK_ERR(users_authenticate(c, "", "", 0, NULL, &m), SEAL_EAUTH);
    CHECK_STR(m.text, "invalid user name or password");

    /* Inactive: refused after the password check, with immudb's message. */
    CHECK_OK(users_set_active(c, "immudb", "alice", false, NULL));
    CHECK_ERR(users_authenticate(c, "alice", P, strlen(P), &u, &m), SEAL_EPERM);
    CHECK_STR(m.text, "user is not active");
    CHECK(u == NULL);
    CHECK_ERR(users_authenticate(c, "alice", "wrong", 5, NULL, &m), SEAL_EAUTH);
    CHECK_STR(m.text, "invalid user name or password");
    CHECK_OK(users_set_active(c, "immudb", "alice", true, NULL));
    CHECK_OK(auth(c, "alice", P));

    users_close(c);
    users_membackend_free(&be);
}

/* --------------------------------------------------------- ChangePassword */
static void test_change_password(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    bool def = false;
    const char *NP = "N3w!pass";
    size_t L = strlen(P), NL = strlen(NP);
    CHECK_OK(users_create(c, "immudb", "alice", P, L, USERS_PERM_ADMIN, "db1", NULL));
    CHECK_OK(users_create(c, "alice", "bob", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "carol", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "dave", P, L, USERS_PERM_ADMIN, "db2", NULL));

    CHECK_FAILS(users_change_password(c, "ghost", "bob", NULL, 0, NP, NL, &_m), SEAL_EAUTH,
                "not logged in");
    CHECK_FAILS(users_change_password(c, "immudb", "", NULL, 0, NP, NL, &_m), SEAL_EINVAL,
                "username can not be empty");
    /* A non-admin may not change somebody else's password. */
    CHECK_FAILS(users_change_password(c, "bob", "carol", P, L, NP, NL, &_m), SEAL_EPERM,
                "user is not system admin nor admin in any of the databases");
    CHECK_FAILS(users_change_password(c, "immudb", "nobody", NULL, 0, NP, NL, &_m), SEAL_ENOTFOUND,
                "user nobody was not found or it was not created by you");
    /* An admin only changes users it created. */
    CHECK_FAILS(users_change_password(c, "alice", "carol", NULL, 0, NP, NL, &_m), SEAL_ENOTFOUND,
                "user carol was not found or it was not created by you");
    CHECK_FAILS(users_change_password(c, "dave", "bob", NULL, 0, NP, NL, &_m), SEAL_ENOTFOUND,
                "user bob was not found or it was not created by you");
    /* Nor the superuser's. */
    CHECK_FAILS(users_change_password(c, "alice", "immudb", "immudb", 6, NP, NL, &_m),
                SEAL_ENOTFOUND, "user immudb was not found or it was not created by you");
    CHECK_FAILS(users_change_password(c, "immudb", "bob", NULL, 0, "", 0, &_m), SEAL_EINVAL,
                "password is empty");
    CHECK_FAILS(users_change_password(c, "immudb", "bob", NULL, 0, "short", 5, &_m), SEAL_EINVAL,
                USERS_PASSWORD_REQUIREMENTS_MSG);
    /* One's own password needs the old one (also the superuser's). */
    CHECK_FAILS(users_change_password(c, "bob", "bob", "wrong", 5, NP, NL, &_m), SEAL_EPERM,
                "old password is incorrect");
    CHECK_FAILS(users_change_password(c, "bob", "bob", NULL, 0, NP, NL, &_m), SEAL_EPERM,
                "old password is incorrect");
    CHECK_FAILS(users_change_password(c, "immudb", "immudb", "nope", 4, NP, NL, &_m), SEAL_EPERM,
                "old password is incorrect");
    users_membackend_fail_puts(&be, 1);
    CHECK_ERR(users_change_password(c, "immudb", "bob", NULL, 0, NP, NL, &m), SEAL_EIO);
    CHECK_OK(auth(c, "bob", P));
    CHECK_ERR(auth(c, "bob", NP), SEAL_EAUTH);

    /* Self change with the old password (the owner stays alice). */
    g_changed = 0;
    g_now += 5000;
    CHECK_OK(users_change_password(c, "bob", "bob", P, L, NP, NL, &m));
    CHECK_INT(g_changed, 1);
    CHECK_STR(g_changed_name, "bob");
    CHECK_ERR(auth(c, "bob", P), SEAL_EAUTH);
    CHECK_OK(auth(c, "bob", NP));
    users_user *u = NULL;
    CHECK_OK(users_get(c, "bob", &u));
    if (u) {
        CHECK_STR(u->created_by, "alice");
        CHECK_INT(u->created_at_ms, g_now);
        users_user_free(u);
    }
    /* The admin who created bob changes it without the old password; as in
     * immudb created_by/created_at follow the change. */
    g_now += 5000;
    CHECK_OK(users_change_password(c, "alice", "bob", NULL, 0, P, L, &m));
    CHECK_OK(auth(c, "bob", P));
    CHECK_OK(users_get(c, "bob", &u));
    if (u) {
        CHECK_STR(u->created_by, "alice");
        CHECK_INT(u->created_at_ms, g_now);
        users_user_free(u);
    }
    /* The sysadmin changes anybody's without the old password; carol now
     * counts as created by immudb. */
    CHECK_OK(users_change_password(c, "immudb", "carol", NULL, 0, NP, NL, &m));
    CHECK_OK(auth(c, "carol", NP));
    CHECK_OK(users_change_password(c, "immudb", "bob", NULL, 0, NP, NL, &m));
    CHECK_OK(users_get(c, "bob", &u));
    if (u) {
        CHECK_STR(u->created_by, "immudb");
        users_user_free(u);
    }
    /* ... so alice may no longer change bob. */
    CHECK_FAILS(users_change_password(c, "alice", "bob", NULL, 0, P, L, &_m), SEAL_ENOTFOUND,
                "user bob was not found or it was not created by you");

    /* The superuser's own change flips the default-password answer. */
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);
    CHECK_OK(users_change_password(c, "immudb", "immudb", "immudb", 6, NP, NL, &m));
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(!def);
    CHECK_OK(auth(c, "immudb", NP));
    /* The strength rule keeps "immudb" out once changed (weak). */
    CHECK_ERR(users_change_password(c, "immudb", "immudb", NP, NL, "immudb", 6, &m), SEAL_EINVAL);
    users_close(c);

    /* With weak passwords allowed the superuser can go back to the default. */
    users_options o = opts();
    o.allow_weak_passwords = true;
    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    CHECK_OK(users_change_password(c, "immudb", "immudb", NP, NL, "immudb", 6, &m));
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);
    users_close(c);
    users_membackend_free(&be);
}

/* ------------------------------------------------------- ChangePermission */
static void test_change_permission(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    size_t L = strlen(P);
    CHECK_OK(users_create(c, "immudb", "alice", P, L, USERS_PERM_ADMIN, "db1", NULL));
    CHECK_OK(users_create(c, "alice", "bob", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "carol", P, L, USERS_PERM_READ, "db2", NULL));

    CHECK_FAILS(users_change_permission(c, "immudb", "", USERS_GRANT, "db1", 2, &_m), SEAL_EINVAL,
                "username can not be empty");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", USERS_GRANT, "", 2, &_m), SEAL_EINVAL,
                "database can not be empty");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", USERS_GRANT, "nodb", 2, &_m),
                SEAL_EINVAL, "database does not exist");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", 2, "db1", 2, &_m), SEAL_EINVAL,
                "action not recognized");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", USERS_GRANT, "db1", 0, &_m),
                SEAL_EINVAL, "unrecognized permission");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", USERS_REVOKE, "db1", 100, &_m),
                SEAL_EINVAL, "unrecognized permission");
    CHECK_FAILS(users_change_permission(c, "ghost", "bob", USERS_GRANT, "db1", 2, &_m), SEAL_EAUTH,
                "not logged in");
    CHECK_FAILS(users_change_permission(c, "alice", "alice", USERS_GRANT, "db1", 2, &_m),
                SEAL_EINVAL, "changing your own permissions is not allowed");
    CHECK_FAILS(users_change_permission(c, "alice", "immudb", USERS_REVOKE, "db1", 2, &_m),
                SEAL_EINVAL, "changing sysadmin permissions is not allowed");
    CHECK_FAILS(users_change_permission(c, "immudb", "bob", USERS_GRANT, "systemdb", 2, &_m),
                SEAL_EPERM, "permission denied");
    CHECK_FAILS(users_change_permission(c, "immudb", "nobody", USERS_GRANT, "db1", 2, &_m),
                SEAL_ENOTFOUND, "user nobody not found");
    CHECK_FAILS(users_change_permission(c, "alice", "carol", USERS_GRANT, "db2", 1, &_m),
                SEAL_EPERM, "you do not have permission on this database");
    CHECK_FAILS(users_change_permission(c, "bob", "carol", USERS_GRANT, "db1", 1, &_m), SEAL_EPERM,
                "you do not have permission on this database");
    CHECK_FAILS(users_change_permission(c, "alice", "bob", USERS_GRANT, "db1", 255, &_m),
                SEAL_EPERM, "only a system admin can grant the sysadmin permission");
    {
        users_msg mm;
        CHECK_ERR(users_change_permission(c, "alice", "nobody", USERS_GRANT, "db1", 2, &mm),
                  SEAL_ENOTFOUND);
        CHECK_INT(mm.grpc_code, USERS_GRPC_NOT_FOUND);
        CHECK_ERR(users_change_permission(c, "alice", "bob", 7, "db1", 2, &mm), SEAL_EINVAL);
        CHECK_INT(mm.grpc_code, USERS_GRPC_INVALID_ARGUMENT);
    }
    users_membackend_fail_puts(&be, 1);
    CHECK_ERR(users_change_permission(c, "alice", "bob", USERS_GRANT, "db1", 2, &m), SEAL_EIO);
    CHECK_INT(perm_of(c, "bob", "db1"), USERS_PERM_READ);

    /* Grant replaces; immudb's admin of db1 may do it. */
    g_changed = 0;
    CHECK_OK(users_change_permission(c, "alice", "bob", USERS_GRANT, "db1", 2, &m));
    CHECK_INT(perm_of(c, "bob", "db1"), USERS_PERM_READWRITE);
    CHECK_INT(g_changed, 1);
    CHECK_STR(g_changed_name, "bob");
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_GRANT, "db2", 1, &m));
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_GRANT, "systemdb", 1, &m));
    users_user *u = NULL;
    CHECK_OK(users_get(c, "bob", &u));
    if (u) {
        CHECK_INT(u->nperms, 3);
        CHECK_STR(u->created_by, "immudb");
        users_user_free(u);
    }
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_GRANT, "db1", USERS_PERM_ADMIN, &m));
    CHECK_INT(perm_of(c, "bob", "db1"), USERS_PERM_ADMIN);
    /* The sysadmin may grant 255 on a database. */
    CHECK_OK(users_change_permission(c, "immudb", "carol", USERS_GRANT, "db2", 255, &m));
    CHECK_INT(perm_of(c, "carol", "db2"), 255);
    /* Revoke, also of a permission that is not there (immudb saves anyway). */
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_REVOKE, "db2", 1, &m));
    CHECK_INT(perm_of(c, "bob", "db2"), USERS_PERM_NONE);
    CHECK_INT(perm_of(c, "bob", "db1"), USERS_PERM_ADMIN);
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_REVOKE, "db2", 1, &m));
    /* Inactive targets are refused. */
    CHECK_OK(users_set_active(c, "immudb", "carol", false, NULL));
    CHECK_FAILS(users_change_permission(c, "immudb", "carol", USERS_GRANT, "db1", 1, &_m),
                SEAL_EPRECONDITION, "user carol is not active");
    users_close(c);
    users_membackend_free(&be);
}

/* ---------------------------------------------------------- SetActiveUser */
static void test_set_active(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    size_t L = strlen(P);
    CHECK_OK(users_create(c, "immudb", "alice", P, L, USERS_PERM_ADMIN, "db1", NULL));
    CHECK_OK(users_create(c, "alice", "bob", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "carol", P, L, USERS_PERM_READ, "db1", NULL));

    CHECK_FAILS(users_set_active(c, "immudb", "", false, &_m), SEAL_EINVAL,
                "username can not be empty");
    CHECK_FAILS(users_set_active(c, "ghost", "bob", false, &_m), SEAL_EAUTH, "not logged in");
    CHECK_FAILS(users_set_active(c, "bob", "carol", false, &_m), SEAL_EPERM,
                "user is not system admin nor admin in any of the databases");
    CHECK_FAILS(users_set_active(c, "alice", "alice", false, &_m), SEAL_EINVAL,
                "changing your own status is not allowed");
    CHECK_FAILS(users_set_active(c, "immudb", "immudb", false, &_m), SEAL_EINVAL,
                "changing your own status is not allowed");
    CHECK_FAILS(users_set_active(c, "alice", "nobody", false, &_m), SEAL_ENOTFOUND,
                "user nobody not found");
    CHECK_FAILS(users_set_active(c, "alice", "carol", false, &_m), SEAL_EPERM,
                "carol was not created by you");
    CHECK_FAILS(users_set_active(c, "alice", "immudb", false, &_m), SEAL_EPERM,
                "immudb was not created by you");
    users_membackend_fail_puts(&be, 1);
    CHECK_ERR(users_set_active(c, "alice", "bob", false, &m), SEAL_EIO);
    CHECK_OK(auth(c, "bob", P));

    g_changed = 0;
    CHECK_OK(users_set_active(c, "alice", "bob", false, &m));
    CHECK_INT(g_changed, 1);
    CHECK_ERR(auth(c, "bob", P), SEAL_EPERM);
    /* An inactive user cannot act. */
    CHECK_OK(users_set_active(c, "immudb", "alice", false, &m));
    CHECK_FAILS(users_set_active(c, "alice", "bob", true, &_m), SEAL_EPERM, "user is not active");
    CHECK_OK(users_set_active(c, "immudb", "alice", true, &m));
    CHECK_OK(users_set_active(c, "alice", "bob", true, &m));
    CHECK_OK(auth(c, "bob", P));
    users_close(c);
    users_membackend_free(&be);
}

/* --------------------------------------------------------------- ListUsers */
static bool list_has(const users_user *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].username, name) == 0)
            return true;
    return false;
}

static void test_list(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_user *v = NULL;
    size_t n = 0;
    size_t L = strlen(P);
    CHECK_OK(users_create(c, "immudb", "zed", P, L, USERS_PERM_ADMIN, "db1", NULL));
    CHECK_OK(users_create(c, "zed", "bob", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "carol", P, L, USERS_PERM_READ, "db2", NULL));
    CHECK_OK(users_create(c, "immudb", "amy", P, L, USERS_PERM_READWRITE, "db1", NULL));
    CHECK_OK(users_set_active(c, "immudb", "amy", false, NULL));

    /* Sysadmin: everybody (inactive too), sorted. */
    CHECK_OK(users_list(c, "immudb", NULL, &v, &n, NULL));
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(v[0].username, "amy");
        CHECK(!v[0].active);
        CHECK_STR(v[1].username, "bob");
        CHECK_STR(v[2].username, "carol");
        CHECK_STR(v[3].username, "immudb");
        CHECK_STR(v[4].username, "zed");
    }
    users_list_free(v, n);
    /* Admin of the selected db: users with a permission on it. */
    CHECK_OK(users_list(c, "zed", "db1", &v, &n, NULL));
    CHECK_INT(n, 3);
    CHECK(list_has(v, n, "amy") && list_has(v, n, "bob") && list_has(v, n, "zed"));
    users_list_free(v, n);
    /* The same admin with another db selected, or none: only itself. */
    CHECK_OK(users_list(c, "zed", "db2", &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK(list_has(v, n, "zed"));
    users_list_free(v, n);
    CHECK_OK(users_list(c, "zed", NULL, &v, &n, NULL));
    CHECK_INT(n, 1);
    users_list_free(v, n);
    /* A reader: only itself, with its permissions. */
    CHECK_OK(users_list(c, "bob", "db1", &v, &n, NULL));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(v[0].username, "bob");
        CHECK_INT(v[0].nperms, 1);
    }
    users_list_free(v, n);
    users_msg m;
    CHECK_ERR(users_list(c, "ghost", NULL, &v, &n, &m), SEAL_EAUTH);
    CHECK_OK(users_list_all(c, &v, &n));
    CHECK_INT(n, 5);
    users_list_free(v, n);
    users_close(c);
    users_membackend_free(&be);
}

/* ------------------------------------------------------------ persistence */
static void test_persistence(void)
{
    users_backend be;
    users_options o = opts();
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    size_t L = strlen(P);
    g_now = 1700000123456;
    CHECK_OK(users_create(c, "immudb", "alice", P, L, USERS_PERM_ADMIN, "db1", NULL));
    CHECK_OK(users_create(c, "alice", "bob", "B0b!pass", 8, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_change_permission(c, "immudb", "bob", USERS_GRANT, "db2", 2, NULL));
    CHECK_OK(users_create(c, "immudb", "carol", P, L, USERS_PERM_READ, "db2", NULL));
    CHECK_OK(users_set_active(c, "immudb", "carol", false, NULL));
    users_user *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;
    CHECK_OK(users_list_all(c, &before, &nb));
    users_close(c);

    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    CHECK_OK(users_list_all(c, &after, &na));
    CHECK_INT(na, nb);
    CHECK_INT(na, 4);
    for (size_t i = 0; i < na && i < nb; i++) {
        CHECK_STR(after[i].username, before[i].username);
        CHECK_STR(after[i].created_by, before[i].created_by);
        CHECK_INT(after[i].created_at_ms, before[i].created_at_ms);
        CHECK_INT(after[i].active, before[i].active);
        CHECK_INT(after[i].sysadmin, before[i].sysadmin);
        CHECK_INT(after[i].nperms, before[i].nperms);
        for (size_t j = 0; j < after[i].nperms && j < before[i].nperms; j++) {
            CHECK_INT(after[i].perms[j].permission, before[i].perms[j].permission);
            CHECK_STR(after[i].perms[j].database, before[i].perms[j].database);
        }
    }
    users_list_free(before, nb);
    users_list_free(after, na);
    CHECK_OK(auth(c, "immudb", "immudb"));
    CHECK_OK(auth(c, "bob", "B0b!pass"));
    CHECK_ERR(auth(c, "carol", P), SEAL_EPERM);
    CHECK_INT(perm_of(c, "bob", "db2"), USERS_PERM_READWRITE);

    /* users_refresh picks up a change made by another catalog over the same
     * store (as after replication), and drops a deleted record. */
    users_catalog *c2 = NULL;
    CHECK_OK(users_open(&c2, &be, &o));
    CHECK_OK(users_change_password(c2, "immudb", "bob", NULL, 0, "Xy9!pass", 8, NULL));
    CHECK_OK(auth(c, "bob", "B0b!pass"));
    CHECK_OK(users_refresh(c, "bob"));
    CHECK_ERR(auth(c, "bob", "B0b!pass"), SEAL_EAUTH);
    CHECK_OK(auth(c, "bob", "Xy9!pass"));
    CHECK_ERR(users_refresh(c, "bad name"), SEAL_EINVAL);
    CHECK_ERR(users_refresh(c, "nobody"), SEAL_ENOTFOUND);
    users_close(c2);
    users_close(c);
    users_membackend_free(&be);
}

/* A record with |hash| for |name| written straight into the backend. */
static void put_record(users_backend *be, const char *name, const char *hash, uint8_t flags)
{
    uint8_t key[80], v[512];
    size_t nl = strlen(name), hl = strlen(hash), pos = 0;
    key[0] = 0x01;
    memcpy(key + 1, name, nl);
    v[pos++] = 1;
    v[pos++] = flags;
    seal_put_u64(v + pos, 42);
    pos += 8;
    v[pos++] = (uint8_t)nl;
    memcpy(v + pos, name, nl);
    pos += nl;
    v[pos++] = 6;
    memcpy(v + pos, "immudb", 6);
    pos += 6;
    v[pos++] = (uint8_t)hl;
    memcpy(v + pos, hash, hl);
    pos += hl;
    seal_put_u16(v + pos, 1);
    pos += 2;
    seal_put_u32(v + pos, 2);
    pos += 4;
    v[pos++] = 3;
    memcpy(v + pos, "db1", 3);
    pos += 3;
    CHECK_OK(be->put(be->ctx, key, 1 + nl, v, pos));
}

static void test_bcrypt_refused(void)
{
    users_backend be;
    users_options o = opts();
    users_msg m;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_close(c);
    /* A user migrated from immudb with its bcrypt hash (cost 10, "immudb"-style). */
    put_record(&be, "legacy", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", 0x01);
    put_record(&be, "odd", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", 0x01);
    put_record(&be, "broken", "$pbkdf2-sha256$i=1000$!!!$???", 0x01);
    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    CHECK_ERR(users_authenticate(c, "legacy", "password", 8, NULL, &m), SEAL_ENOTALLOWED);
    CHECK(strstr(m.text, "bcrypt") != NULL);
    CHECK(strstr(m.text, "reset") != NULL);
    CHECK_ERR(users_authenticate(c, "odd", "password", 8, NULL, &m), SEAL_ENOTALLOWED);
    CHECK(strstr(m.text, "unknown scheme") != NULL);
    CHECK_ERR(users_authenticate(c, "broken", "password", 8, NULL, &m), SEAL_ECORRUPT);
    /* Its own change needs the old password, which cannot be checked. */
    CHECK_ERR(users_change_password(c, "legacy", "legacy", "password", 8, P, strlen(P), &m),
              SEAL_ENOTALLOWED);
    CHECK(strstr(m.text, "bcrypt") != NULL);
    /* The sysadmin resets it: then it is PBKDF2 and works. */
    CHECK_OK(users_change_password(c, "immudb", "legacy", NULL, 0, P, strlen(P), &m));
    CHECK_OK(auth(c, "legacy", P));
    uint8_t *v = NULL;
    size_t vl = 0;
    CHECK_OK(be.get(be.ctx, (const uint8_t *)"\x01legacy", 7, &v, &vl));
    if (v) {
        CHECK(memmem(v, vl, "$pbkdf2-sha256$", 15) != NULL);
        CHECK(memmem(v, vl, "$2a$", 4) == NULL);
        seal_free(v);
    }
    users_close(c);
    users_membackend_free(&be);

    /* A superuser migrated with a bcrypt hash: not the default, login
     * refused, and the force-reset start-up option repairs it. */
    CHECK_OK(users_membackend_new(&be));
    put_record(&be, "immudb", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", 0x03);
    c = NULL;
    CHECK_OK(users_open(&c, &be, &o));
    bool def = true;
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(!def);
    CHECK_ERR(auth(c, "immudb", "immudb"), SEAL_ENOTALLOWED);
    users_boot b;
    CHECK_OK(users_bootstrap(c, "immudb", false, &b, NULL));
    CHECK(!b.reset && !b.created);
    CHECK_ERR(auth(c, "immudb", "immudb"), SEAL_ENOTALLOWED);
    CHECK_OK(users_bootstrap(c, "immudb", true, &b, NULL));
    CHECK(b.reset);
    CHECK_OK(auth(c, "immudb", "immudb"));
    CHECK_OK(users_admin_password_is_default(c, &def));
    CHECK(def);
    users_close(c);
    users_membackend_free(&be);
}

static void test_corrupt_records(void)
{
    users_options o = opts();
    static const struct {
        size_t off;
        uint8_t val;
    } edits[] = {{0, 2}, {1, 0x04}, {10, 7}, {10, 200}, {11, '-'}};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(edits); i++) {
        users_backend be;
        users_catalog *c = NULL;
        uint8_t *v = NULL;
        size_t vl = 0;
        CHECK_OK(users_membackend_new(&be));
        put_record(&be, "alice", "$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAA", 1);
        CHECK_OK(users_open(&c, &be, &o));
        users_close(c);
        c = NULL;
        CHECK_OK(be.get(be.ctx,
                        (const uint8_t *)"\x01"
                                         "alice",
                        6, &v, &vl));
        if (v) {
            v[edits[i].off] = edits[i].val;
            CHECK_OK(be.put(be.ctx,
                            (const uint8_t *)"\x01"
                                             "alice",
                            6, v, vl));
            seal_free(v);
        }
        CHECK_ERR(users_open(&c, &be, &o), SEAL_ECORRUPT);
        CHECK(c == NULL);
        users_membackend_free(&be);
    }
    /* Trailing byte; truncation; record under another user's key; bad perm. */
    for (int k = 0; k < 4; k++) {
        users_backend be;
        users_catalog *c = NULL;
        uint8_t *v = NULL, buf[512];
        size_t vl = 0;
        CHECK_OK(users_membackend_new(&be));
        put_record(&be, "alice", "$pbkdf2-sha256$i=1000$AAAAAAAAAAAAAAAAAAAAAA$AAAA", 1);
        CHECK_OK(be.get(be.ctx,
                        (const uint8_t *)"\x01"
                                         "alice",
                        6, &v, &vl));
        if (v && vl < sizeof(buf) - 1) {
            memcpy(buf, v, vl);
            if (k == 0)
                buf[vl++] = 0;
            else if (k == 1)
                vl -= 2;
            else if (k == 3)
                seal_put_u32(buf + vl - 8, 7);
            CHECK_OK(be.put(be.ctx,
                            (const uint8_t *)(k == 2 ? "\x01"
                                                       "alicf"
                                                     : "\x01"
                                                       "alice"),
                            6, buf, vl));
        }
        seal_free(v);
        CHECK_ERR(users_open(&c, &be, &o), SEAL_ECORRUPT);
        users_membackend_free(&be);
    }
}

/* ------------------------------------------------------ method permissions */
static void test_method_table(void)
{
    size_t n = 0;
    const users_method *t = users_method_table(&n);
    CHECK(n > 60);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            CHECK(strcmp(t[i].rpc, t[j].rpc) != 0);

    const users_method *m = users_method_find("Login");
    CHECK(m && m->level == USERS_LEVEL_NONE);
    CHECK(users_method_find("Health")->level == USERS_LEVEL_NONE);
    CHECK(users_method_find("OpenSession")->level == USERS_LEVEL_NONE);
    CHECK(users_method_find("KeepAlive")->level == USERS_LEVEL_LOGIN);
    CHECK(users_method_find("UseDatabase")->level == USERS_LEVEL_LOGIN);
    CHECK(users_method_find("Get")->level == USERS_LEVEL_READ);
    CHECK(users_method_find("TxById")->level == USERS_LEVEL_READ);
    CHECK_STR(users_method_find("TxById")->immudb, "TxByID");
    CHECK(users_method_find("Set")->level == USERS_LEVEL_READWRITE);
    CHECK(users_method_find("GetAll")->level == USERS_LEVEL_READWRITE);
    CHECK(users_method_find("FlushIndex")->level == USERS_LEVEL_ADMIN);
    CHECK(users_method_find("replicateTx")->level == USERS_LEVEL_ADMIN);
    CHECK(users_method_find("CreateDatabaseV2")->level == USERS_LEVEL_SYSADMIN);
    CHECK(users_method_find("NoSuchRpc") == NULL);

    /* immudb's HasPermissionForMethod, one spot check per level. */
    CHECK(users_method_allowed(USERS_PERM_READ, "Get"));
    CHECK(users_method_allowed(USERS_PERM_READ, "streamHistory"));
    CHECK(!users_method_allowed(USERS_PERM_NONE, "Get"));
    CHECK(!users_method_allowed(USERS_PERM_READ, "Set"));
    CHECK(!users_method_allowed(USERS_PERM_READ, "GetAll"));
    CHECK(users_method_allowed(USERS_PERM_READWRITE, "Set"));
    CHECK(users_method_allowed(USERS_PERM_READWRITE, "Get"));
    CHECK(!users_method_allowed(USERS_PERM_READWRITE, "FlushIndex"));
    CHECK(users_method_allowed(USERS_PERM_ADMIN, "FlushIndex"));
    CHECK(users_method_allowed(USERS_PERM_ADMIN, "SQLExec"));
    CHECK(!users_method_allowed(USERS_PERM_ADMIN, "CreateDatabase"));
    CHECK(users_method_allowed(USERS_PERM_SYSADMIN, "CreateDatabase"));
    CHECK(users_method_allowed(USERS_PERM_SYSADMIN, "exportTx"));
    CHECK(!users_method_allowed(USERS_PERM_SYSADMIN, "Login"));
    CHECK(!users_method_allowed(USERS_PERM_SYSADMIN, "NoSuchRpc"));
    CHECK(!users_method_allowed(3, "Get"));
    /* Maintenance (systemdb) methods. */
    CHECK(users_method_find("Get")->maintenance);
    CHECK(!users_method_find("Set")->maintenance);
    CHECK(!users_method_find("DatabaseHealth")->maintenance);
}

static void test_authorize(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    users_msg m;
    size_t L = strlen(P);
    CHECK_OK(users_create(c, "immudb", "r", P, L, USERS_PERM_READ, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "w", P, L, USERS_PERM_READWRITE, "db1", NULL));
    CHECK_OK(users_create(c, "immudb", "a", P, L, USERS_PERM_ADMIN, "db1", NULL));

    CHECK_OK(users_authorize(c, NULL, NULL, "Health", &m));
    CHECK_OK(users_authorize(c, NULL, NULL, "Login", &m));
    CHECK_ERR(users_authorize(c, NULL, NULL, "KeepAlive", &m), SEAL_EAUTH);
    CHECK_STR(m.text, "not logged in");
    CHECK_ERR(users_authorize(c, "ghost", "db1", "Get", &m), SEAL_EAUTH);
    CHECK_OK(users_authorize(c, "r", NULL, "UseDatabase", &m));
    CHECK_ERR(users_authorize(c, "r", NULL, "Get", &m), SEAL_EINVAL);
    CHECK_STR(m.text, "please select a database first");
    CHECK_ERR(users_authorize(c, "r", "db1", "NoSuchRpc", &m), SEAL_EPERM);

    CHECK_OK(users_authorize(c, "r", "db1", "Get", &m));
    CHECK_ERR(users_authorize(c, "r", "db1", "Set", &m), SEAL_EPERM);
    CHECK_STR(m.text, "permission denied");
    CHECK_ERR(users_authorize(c, "r", "db2", "Get", &m), SEAL_EPERM);
    CHECK_OK(users_authorize(c, "w", "db1", "Set", &m));
    CHECK_OK(users_authorize(c, "w", "db1", "GetAll", &m));
    CHECK_ERR(users_authorize(c, "w", "db1", "FlushIndex", &m), SEAL_EPERM);
    CHECK_OK(users_authorize(c, "a", "db1", "FlushIndex", &m));
    CHECK_ERR(users_authorize(c, "a", "db1", "CreateDatabaseV2", &m), SEAL_EPERM);
    CHECK_OK(users_authorize(c, "immudb", "db1", "CreateDatabaseV2", &m));
    CHECK_OK(users_authorize(c, "immudb", "db2", "Set", &m));
    /* systemdb: maintenance (read) methods only, even for the sysadmin. */
    CHECK_OK(users_authorize(c, "immudb", "systemdb", "Get", &m));
    CHECK_ERR(users_authorize(c, "immudb", "systemdb", "Set", &m), SEAL_EPERM);
    CHECK_ERR(users_authorize(c, "immudb", "systemdb", "DatabaseHealth", &m), SEAL_EPERM);
    /* OpenSession / UseDatabase. */
    CHECK_OK(users_check_database(c, "r", "db1", &m));
    CHECK_OK(users_check_database(c, "a", "db1", &m));
    CHECK_OK(users_check_database(c, "immudb", "db2", &m));
    CHECK_OK(users_check_database(c, "immudb", "systemdb", &m));
    CHECK_ERR(users_check_database(c, "r", "db2", &m), SEAL_EPERM);
    CHECK_STR(m.text, "Logged in user does not have permission on this database");
    CHECK_INT(m.grpc_code, USERS_GRPC_PERMISSION_DENIED);
    CHECK_ERR(users_check_database(c, "r", "", &m), SEAL_EPERM);
    CHECK_ERR(users_check_database(c, "ghost", "db1", &m), SEAL_EAUTH);
    /* Inactive users are refused at once. */
    CHECK_OK(users_set_active(c, "immudb", "w", false, NULL));
    CHECK_ERR(users_authorize(c, "w", "db1", "Get", &m), SEAL_EPERM);
    CHECK_STR(m.text, "user is not active");
    CHECK_ERR(users_check_database(c, "w", "db1", &m), SEAL_EPERM);
    CHECK_STR(m.text, "user is not active");
    users_close(c);
    users_membackend_free(&be);
}

/* --------------------------------------------------- OOM, threads */
static void test_alloc_failures(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    int ok = 0;
    char first[32] = "";
    for (long k = 1; k < 200 && ok < 3; k++) {
        char name[32];
        snprintf(name, sizeof(name), "u%ld", k);
        size_t before = users_count(c);
        seal_alloc_fail_at(k, false);
        int rc = users_create(c, "immudb", name, P, strlen(P), 1, "db1", NULL);
        seal_alloc_fail_at(0, false);
        users_user *u = NULL;
        if (rc == 0) {
            if (ok++ == 0)
                snprintf(first, sizeof(first), "%s", name);
            CHECK_INT(users_count(c), before + 1);
            CHECK_OK(users_get(c, name, &u));
        } else {
            CHECK(rc == SEAL_ENOMEM || rc == SEAL_ECRYPTO);
            CHECK_INT(users_count(c), before);
            CHECK_ERR(users_get(c, name, &u), SEAL_ENOTFOUND);
        }
        users_user_free(u);
    }
    CHECK(ok >= 1);
    /* Permission changes under allocation failure leave the user as it was. */
    for (long k = 1; k < 40; k++) {
        seal_alloc_fail_at(k, false);
        int rc = users_change_permission(c, "immudb", first, USERS_GRANT, "db2", 2, NULL);
        seal_alloc_fail_at(0, false);
        if (rc == 0) {
            CHECK_INT(perm_of(c, first, "db2"), USERS_PERM_READWRITE);
            break;
        }
        CHECK_INT(rc, SEAL_ENOMEM);
        CHECK_INT(perm_of(c, first, "db2"), USERS_PERM_NONE);
    }
    users_close(c);
    users_membackend_free(&be);
}

typedef struct targ {
    users_catalog *c;
    int id;
    int fails;
} targ;

static void *worker(void *p)
{
    targ *a = p;
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t%d_%d", a->id, i);
        if (users_create(a->c, "immudb", name, P, strlen(P), 1, "db1", NULL) != 0)
            a->fails++;
        if (users_authenticate(a->c, name, P, strlen(P), NULL, NULL) != 0)
            a->fails++;
        if (users_change_permission(a->c, "immudb", name, USERS_GRANT, "db2", 2, NULL) != 0)
            a->fails++;
        if (users_authenticate(a->c, "immudb", "immudb", 6, NULL, NULL) != 0)
            a->fails++;
    }
    return NULL;
}

static void test_threads(void)
{
    users_backend be;
    CHECK_OK(users_membackend_new(&be));
    users_catalog *c = open_boot(&be);
    pthread_t th[4];
    targ a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (targ){c, i, 0};
        CHECK_INT(pthread_create(&th[i], NULL, worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(a[i].fails, 0);
    }
    CHECK_INT(users_count(c), 21);
    CHECK_INT(users_membackend_count(&be), 21);
    CHECK_INT(perm_of(c, "t3_4", "db2"), USERS_PERM_READWRITE);
    users_close(c);
    users_membackend_free(&be);
}

int main(void)
{
    t_init();
    seal_log_set_level(SEAL_LOG_ERROR);
    RUN(test_password_rules);
    RUN(test_username_rules);
    RUN(test_bootstrap_and_format);
    RUN(test_create_user);
    RUN(test_authenticate);
    RUN(test_change_password);
    RUN(test_change_permission);
    RUN(test_set_active);
    RUN(test_list);
    RUN(test_persistence);
    RUN(test_bcrypt_refused);
    RUN(test_corrupt_records);
    RUN(test_method_table);
    RUN(test_authorize);
    RUN(test_alloc_failures);
    RUN(test_threads);
    return t_done();
}
