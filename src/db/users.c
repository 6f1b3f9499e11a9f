/* users.c - the user catalog: immudb's user rules over a key/value backend,
 * PBKDF2 password hashes, the RPC permission table; see users.h. */
#include "db/users.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "crypto/cry.h"

#define COMP           "users"
#define REC_VERSION    1
#define REC_F_ACTIVE   0x01
#define REC_F_SYSADMIN 0x02
#define PBKDF2_PREFIX  "$pbkdf2-sha256$"

/* ------------------------------------------------------------ messages */
static int fail(users_msg *m, int rc, int grpc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(users_msg *m, int rc, int grpc, const char *fmt, ...)
{
    if (m) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->text, sizeof(m->text), fmt, ap);
        va_end(ap);
        m->grpc_code = grpc;
    }
    return rc;
}

static void msg_clear(users_msg *m)
{
    if (m) {
        m->grpc_code = USERS_GRPC_OK;
        m->text[0] = '\0';
    }
}

/* Internal errors (memory, backend) get the error's own text. */
static int fail_rc(users_msg *m, int rc)
{
    return fail(m, rc, USERS_GRPC_UNKNOWN, "%s", seal_strerror(rc));
}

/* ------------------------------------------------------------ rules */
int users_password_strong(const char *pw, size_t len)
{
    bool upper = false, digit = false, special = false;
    if (!pw || len < USERS_PASSWORD_MIN || len > USERS_PASSWORD_MAX)
        return SEAL_EINVAL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)pw[i];
        if (ch >= 'A' && ch <= 'Z')
            upper = true;
        else if (ch >= 'a' && ch <= 'z')
            continue;
        else if (ch >= '0' && ch <= '9')
            digit = true;
        else if (ch > 0x20 && ch < 0x7f)
            special = true; /* every other printable ASCII is punctuation or a symbol */
        else
            return SEAL_EINVAL; /* space, control, non-ASCII */
    }
    return upper && digit && special ? 0 : SEAL_EINVAL;
}

bool users_username_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > USERS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

static bool perm_known(uint32_t p)
{
    return p == USERS_PERM_READ || p == USERS_PERM_READWRITE || p == USERS_PERM_ADMIN ||
           p == USERS_PERM_SYSADMIN;
}

/* ------------------------------------------------------------ records */
typedef struct urec {
    char *name;
    char *hash; /* stored form */
    bool active;
    bool sysadmin;
    char *created_by;
    int64_t created_at;
    size_t nperms;
    users_perm *perms;
} urec;

static void urec_free(urec *r)
{
    if (!r)
        return;
    seal_free(r->name);
    if (r->hash) {
        cry_cleanse(r->hash, strlen(r->hash));
        seal_free(r->hash);
    }
    seal_free(r->created_by);
    for (size_t i = 0; i < r->nperms; i++)
        seal_free(r->perms[i].database);
    seal_free(r->perms);
    seal_free(r);
}

static urec *urec_clone(const urec *s)
{
    urec *r = seal_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->active = s->active;
    r->sysadmin = s->sysadmin;
    r->created_at = s->created_at;
    r->name = seal_strdup(s->name);
    r->hash = seal_strdup(s->hash);
    r->created_by = seal_strdup(s->created_by);
    if (s->nperms)
        r->perms = seal_calloc(s->nperms, sizeof(users_perm));
    if (!r->name || !r->hash || !r->created_by || (s->nperms && !r->perms))
        goto fail;
    for (size_t i = 0; i < s->nperms; i++) {
        r->perms[i].permission = s->perms[i].permission;
        r->perms[i].database = seal_strdup(s->perms[i].database);
        r->nperms = i + 1;
        if (!r->perms[i].database)
            goto fail;
    }
    return r;
fail:
    urec_free(r);
    return NULL;
}

static uint32_t rec_which(const urec *r, const char *db)
{
    if (r->sysadmin)
        return USERS_PERM_SYSADMIN;
    for (size_t i = 0; i < r->nperms; i++)
        if (db && strcmp(r->perms[i].database, db) == 0)
            return r->perms[i].permission;
    return USERS_PERM_NONE;
}

static bool rec_has(const urec *r, const char *db, uint32_t perm)
{
    for (size_t i = 0; i < r->nperms; i++)
        if (strcmp(r->perms[i].database, db) == 0 && r->perms[i].permission == perm)
            return true;
    return false;
}

static bool rec_has_any(const urec *r, uint32_t perm)
{
    for (size_t i = 0; i < r->nperms; i++)
        if (r->perms[i].permission == perm)
            return true;
    return false;
}

static void rec_revoke(urec *r, const char *db)
{
    for (size_t i = 0; i < r->nperms; i++) {
        if (strcmp(r->perms[i].database, db) == 0) {
            seal_free(r->perms[i].database);
            memmove(&r->perms[i], &r->perms[i + 1], (r->nperms - i - 1) * sizeof(users_perm));
            r->nperms--;
            return;
        }
    }
}

/* Replaces any entry for |db| with (perm, db), appended as immudb does. */
static int rec_grant(urec *r, const char *db, uint32_t perm)
{
    char *d = seal_strdup(db);
    users_perm *np = seal_realloc(r->perms, (r->nperms + 1) * sizeof(users_perm));
    if (!d || !np) {
        seal_free(d);
        if (np)
            r->perms = np;
        return SEAL_ENOMEM;
    }
    r->perms = np;
    rec_revoke(r, db);
    r->perms[r->nperms].permission = perm;
    r->perms[r->nperms].database = d;
    r->nperms++;
    return 0;
}

/* Value encoding, version 1 (docs/auth.md):
 *   u8 version=1 | u8 flags (1 active, 2 sysadmin) | u64 created_at_ms
 *   | u8 len, username | u8 len, created_by | u8 len, password hash
 *   | u16 count, count x (u32 permission | u8 len, database) */
static size_t rec_encoded_len(const urec *r)
{
    size_t n =
        1 + 1 + 8 + 1 + strlen(r->name) + 1 + strlen(r->created_by) + 1 + strlen(r->hash) + 2;
    for (size_t i = 0; i < r->nperms; i++)
        n += 4 + 1 + strlen(r->perms[i].database);
    return n;
}

static size_t put_str8(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)n;
    memcpy(p + 1, s, n);
    return n + 1;
}

static int rec_encode(const urec *r, uint8_t **out, size_t *out_len)
{
    if (strlen(r->name) > USERS_NAME_MAX || strlen(r->created_by) > USERS_NAME_MAX ||
        strlen(r->hash) > 255 || r->nperms > 0xffff)
        return SEAL_ELIMIT;
    for (size_t i = 0; i < r->nperms; i++)
        if (strlen(r->perms[i].database) > USERS_DB_NAME_MAX)
            return SEAL_ELIMIT;
    size_t n = rec_encoded_len(r), pos = 0;
    uint8_t *b = seal_malloc(n);
    if (!b)
        return SEAL_ENOMEM;
    b[pos++] = REC_VERSION;
    b[pos++] = (uint8_t)((r->active ? REC_F_ACTIVE : 0) | (r->sysadmin ? REC_F_SYSADMIN : 0));
    seal_put_u64(b + pos, (uint64_t)r->created_at);
    pos += 8;
    pos += put_str8(b + pos, r->name);
    pos += put_str8(b + pos, r->created_by);
    pos += put_str8(b + pos, r->hash);
    seal_put_u16(b + pos, (uint16_t)r->nperms);
    pos += 2;
    for (size_t i = 0; i < r->nperms; i++) {
        seal_put_u32(b + pos, r->perms[i].permission);
        pos += 4;
        pos += put_str8(b + pos, r->perms[i].database);
    }
    SEAL_ASSERT(pos == n);
    *out = b;
    *out_len = n;
    return 0;
}

/* Reads a u8-length string with no NUL inside into a new C string. */
static int get_str8(const uint8_t *v, size_t len, size_t *pos, char **out)
{
    if (*pos >= len)
        return SEAL_ECORRUPT;
    size_t n = v[*pos];
    if (len - *pos - 1 < n || memchr(v + *pos + 1, 0, n))
        return SEAL_ECORRUPT;
    char *s = seal_malloc(n + 1);
    if (!s)
        return SEAL_ENOMEM;
    memcpy(s, v + *pos + 1, n);
    s[n] = '\0';
    *pos += 1 + n;
    *out = s;
    return 0;
}

static int rec_decode(const uint8_t *key, size_t klen, const uint8_t *v, size_t len, urec **out)
{
    int rc = SEAL_ECORRUPT;
    size_t pos = 0;
    urec *r = seal_calloc(1, sizeof(*r));
    if (!r)
        return SEAL_ENOMEM;
    if (len < 10 || v[0] != REC_VERSION || (v[1] & ~(REC_F_ACTIVE | REC_F_SYSADMIN)))
        goto out;
    r->active = (v[1] & REC_F_ACTIVE) != 0;
    r->sysadmin = (v[1] & REC_F_SYSADMIN) != 0;
    r->created_at = (int64_t)seal_get_u64(v + 2);
    pos = 10;
    if ((rc = get_str8(v, len, &pos, &r->name)) || (rc = get_str8(v, len, &pos, &r->created_by)) ||
        (rc = get_str8(v, len, &pos, &r->hash)))
        goto out;
    rc = SEAL_ECORRUPT;
    if (!users_username_valid(r->name) || klen != 1 + strlen(r->name) ||
        key[0] != USERS_KEY_PREFIX || memcmp(key + 1, r->name, klen - 1) != 0 ||
        r->hash[0] == '\0' || strlen(r->created_by) > USERS_NAME_MAX || len - pos < 2)
        goto out;
    size_t np = seal_get_u16(v + pos);
    pos += 2;
    if (np) {
        r->perms = seal_calloc(np, sizeof(users_perm));
        if (!r->perms) {
            rc = SEAL_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < np; i++) {
        if (len - pos < 4)
            goto out;
        uint32_t p = seal_get_u32(v + pos);
        pos += 4;
        if ((rc = get_str8(v, len, &pos, &r->perms[i].database)) != 0)
            goto out;
        r->nperms = i + 1;
        rc = SEAL_ECORRUPT;
        if (!perm_known(p) || r->perms[i].database[0] == '\0')
            goto out;
        r->perms[i].permission = p;
    }
    if (pos != len)
        goto out;
    *out = r;
    return 0;
out:
    urec_free(r);
    return rc;
}

/* --------------------------------------------------------------- catalog */
struct users_catalog {
    pthread_mutex_t mu;
    users_backend be;
    users_options o;
    urec **v; /* sorted by name */
    size_t n, cap;
    int admin_default; /* -1 unknown, 0 no, 1 yes */
    char *dummy_hash;  /* for unknown users, so that they cost a verification too */
};

static int64_t now_ms(const users_catalog *c)
{
    if (c->o.now_ms)
        return c->o.now_ms(c->o.now_arg);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Index of |name| or of where it would go; *found says which. */
static size_t find_pos(const users_catalog *c, const char *name, bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->v[mid]->name, name);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static urec *find(const users_catalog *c, const char *name)
{
    bool found;
    if (!name)
        return NULL;
    size_t i = find_pos(c, name, &found);
    return found ? c->v[i] : NULL;
}

static int reserve(users_catalog *c)
{
    if (c->n < c->cap)
        return 0;
    size_t nc = c->cap ? c->cap * 2 : 16;
    urec **nv = seal_realloc(c->v, nc * sizeof(*nv));
    if (!nv)
        return SEAL_ENOMEM;
    c->v = nv;
    c->cap = nc;
    return 0;
}

/* Puts |r| in the cache (replacing and freeing the old record of that name).
 * Cannot fail if reserve() succeeded beforehand. */
static void cache_set(users_catalog *c, urec *r)
{
    bool found;
    size_t i = find_pos(c, r->name, &found);
    if (found) {
        urec_free(c->v[i]);
        c->v[i] = r;
        return;
    }
    SEAL_ASSERT(c->n < c->cap);
    memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof(*c->v));
    c->v[i] = r;
    c->n++;
}

/* Writes |r| through the backend, then into the cache (taking ownership on
 * success). Lock held. */
static int store(users_catalog *c, urec *r)
{
    uint8_t key[1 + USERS_NAME_MAX];
    uint8_t *val = NULL;
    size_t vlen = 0, nl = strlen(r->name);
    int rc = reserve(c);
    if (rc)
        return rc;
    if ((rc = rec_encode(r, &val, &vlen)) != 0)
        return rc;
    key[0] = USERS_KEY_PREFIX;
    memcpy(key + 1, r->name, nl);
    rc = c->be.put(c->be.ctx, key, 1 + nl, val, vlen);
    cry_cleanse(val, vlen);
    seal_free(val);
    if (rc)
        return rc;
    cache_set(c, r);
    return 0;
}

/* Marks |r| as changed now by |by| (immudb keeps the last changer in
 * CreatedBy/CreatedAt) and stores it as store() does. Lock held. */
static int store_changed(users_catalog *c, urec *r, const char *by)
{
    char *b = seal_strdup(by);
    if (!b)
        return SEAL_ENOMEM;
    seal_free(r->created_by);
    r->created_by = b;
    r->created_at = now_ms(c);
    return store(c, r);
}

static int load_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    users_catalog *c = arg;
    urec *r = NULL;
    int rc = rec_decode(key, klen, val, vlen, &r);
    if (rc) {
        SEAL_LOGE(COMP, "user record %zu bytes under a %zu-byte key does not decode: %s", vlen,
                  klen, seal_strerror(rc));
        return rc;
    }
    if ((rc = reserve(c)) != 0) {
        urec_free(r);
        return rc;
    }
    cache_set(c, r);
    return 0;
}

int users_open(users_catalog **out, const users_backend *be, const users_options *opts)
{
    int rc;
    uint8_t prefix = USERS_KEY_PREFIX;
    if (!out || !be || !be->put || !be->scan)
        return SEAL_EINVAL;
    users_catalog *c = seal_calloc(1, sizeof(*c));
    if (!c)
        return SEAL_ENOMEM;
    if (opts)
        c->o = *opts;
    if (c->o.pbkdf2_iterations == 0)
        c->o.pbkdf2_iterations = CRY_PBKDF2_DEFAULT_ITER;
    if (c->o.pbkdf2_iterations < CRY_PBKDF2_MIN_ITER ||
        c->o.pbkdf2_iterations > CRY_PBKDF2_MAX_ITER) {
        seal_free(c);
        return SEAL_EINVAL;
    }
    c->be = *be;
    c->admin_default = -1;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        seal_free(c);
        return SEAL_ENOMEM;
    }
    rc = be->scan(be->ctx, &prefix, 1, load_cb, c);
    if (rc) {
        users_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void users_close(users_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        urec_free(c->v[i]);
    seal_free(c->v);
    if (c->dummy_hash) {
        cry_cleanse(c->dummy_hash, strlen(c->dummy_hash));
        seal_free(c->dummy_hash);
    }
    pthread_mutex_destroy(&c->mu);
    seal_free(c);
}

size_t users_count(users_catalog *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static void notify(users_catalog *c, const char *name)
{
    if (c->o.on_user_changed)
        c->o.on_user_changed(c->o.changed_arg, name);
}

/* Hashes |pw| with the configured iterations into a new string. */
static int hash_new(users_catalog *c, const char *pw, size_t len, char **out)
{
    char buf[CRY_PASSWORD_HASH_MAX];
    int rc = cry_password_hash(buf, sizeof(buf), pw, len, c->o.pbkdf2_iterations);
    if (rc == 0) {
        *out = seal_strdup(buf);
        if (!*out)
            rc = SEAL_ENOMEM;
    }
    cry_cleanse(buf, sizeof(buf));
    return rc;
}

static bool is_pbkdf2(const char *stored)
{
    return strncmp(stored, PBKDF2_PREFIX, strlen(PBKDF2_PREFIX)) == 0;
}

static bool is_bcrypt(const char *stored)
{
    return stored[0] == '$' && stored[1] == '2' && stored[2] && stored[3] == '$';
}

/* Verifies against a stored hash, refusing anything but our PBKDF2 form.
 * 0, SEAL_EAUTH (mismatch), SEAL_ENOTALLOWED (bcrypt or other scheme, or
 * below our floors), SEAL_ECORRUPT (malformed PBKDF2 string). */
static int verify(const char *stored, const char *pw, size_t len)
{
    if (!is_pbkdf2(stored))
        return SEAL_ENOTALLOWED;
    int rc = cry_password_verify(stored, pw, len);
    if (rc == SEAL_EINVAL)
        rc = SEAL_ECORRUPT;
    return rc;
}

static int msg_unusable_hash(users_msg *m, const char *stored, int rc)
{
    if (rc == SEAL_ENOTALLOWED)
        return fail(m, rc, USERS_GRPC_FAILED_PRECONDITION,
                    "the stored password hash is not PBKDF2-HMAC-SHA-256 (%s): an administrator "
                    "must reset this user's password",
                    is_bcrypt(stored) ? "bcrypt is not FIPS-approved" : "unknown scheme");
    return fail(m, rc, USERS_GRPC_UNKNOWN, "stored password hash is malformed");
}

static int copy_hash_str(const char *h, char **out)
{
    *out = seal_strdup(h);
    return *out ? 0 : SEAL_ENOMEM;
}

/* Copies the stored hash of |r| (lock held). */
static int copy_hash(const urec *r, char **out)
{
    return copy_hash_str(r->hash, out);
}

static void free_secret(char *s)
{
    if (s) {
        cry_cleanse(s, strlen(s));
        seal_free(s);
    }
}

/* --------------------------------------------------------------- copies */
void users_user_free(users_user *u)
{
    if (!u)
        return;
    seal_free(u->username);
    seal_free(u->created_by);
    for (size_t i = 0; i < u->nperms; i++)
        seal_free(u->perms[i].database);
    seal_free(u->perms);
    seal_free(u);
}

static void user_fields_free(users_user *u)
{
    seal_free(u->username);
    seal_free(u->created_by);
    for (size_t i = 0; i < u->nperms; i++)
        seal_free(u->perms[i].database);
    seal_free(u->perms);
}

void users_list_free(users_user *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        user_fields_free(&list[i]);
    seal_free(list);
}

static int user_fill(users_user *u, const urec *r)
{
    memset(u, 0, sizeof(*u));
    u->active = r->active;
    u->sysadmin = r->sysadmin;
    u->created_at_ms = r->created_at;
    u->username = seal_strdup(r->name);
    u->created_by = seal_strdup(r->created_by);
    if (r->nperms)
        u->perms = seal_calloc(r->nperms, sizeof(users_perm));
    if (!u->username || !u->created_by || (r->nperms && !u->perms))
        goto fail;
    for (size_t i = 0; i < r->nperms; i++) {
        u->perms[i].permission = r->perms[i].permission;
        u->perms[i].database = seal_strdup(r->perms[i].database);
        u->nperms = i + 1;
        if (!u->perms[i].database)
            goto fail;
    }
    return 0;
fail:
    user_fields_free(u);
    memset(u, 0, sizeof(*u));
    return SEAL_ENOMEM;
}

static int user_copy(const urec *r, users_user **out)
{
    users_user *u = seal_malloc(sizeof(*u));
    if (!u)
        return SEAL_ENOMEM;
    if (user_fill(u, r) != 0) {
        seal_free(u);
        return SEAL_ENOMEM;
    }
    *out = u;
    return 0;
}

uint32_t users_which_permission(const users_user *u, const char *database)
{
    if (u->sysadmin)
        return USERS_PERM_SYSADMIN;
    for (size_t i = 0; i < u->nperms; i++)
        if (database && strcmp(u->perms[i].database, database) == 0)
            return u->perms[i].permission;
    return USERS_PERM_NONE;
}

bool users_has_permission(const users_user *u, const char *database, uint32_t perm)
{
    for (size_t i = 0; i < u->nperms; i++)
        if (database && strcmp(u->perms[i].database, database) == 0 &&
            u->perms[i].permission == perm)
            return true;
    return false;
}

int users_get(users_catalog *c, const char *name, users_user **out)
{
    int rc = SEAL_ENOTFOUND;
    if (!c || !name || !out)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    const urec *r = find(c, name);
    if (r)
        rc = user_copy(r, out);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int users_status(users_catalog *c, const char *name, bool *sysadmin, bool *active)
{
    int rc = SEAL_ENOTFOUND;
    if (!c || !name || !sysadmin || !active)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    const urec *r = find(c, name);
    if (r) {
        *sysadmin = r->sysadmin;
        *active = r->active;
        rc = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ------------------------------------------------------------ bootstrap */
static int new_record(const char *name, char *hash, bool sysadmin, const char *created_by,
                      int64_t now, uint32_t perm, const char *db, urec **out)
{
    urec *r = seal_calloc(1, sizeof(*r));
    if (!r)
        return SEAL_ENOMEM;
    r->hash = hash;
    r->active = true;
    r->sysadmin = sysadmin;
    r->created_at = now;
    r->name = seal_strdup(name);
    r->created_by = seal_strdup(created_by);
    if (!r->name || !r->created_by || rec_grant(r, db, perm) != 0) {
        r->hash = NULL; /* still the caller's */
        urec_free(r);
        return SEAL_ENOMEM;
    }
    *out = r;
    return 0;
}

int users_bootstrap(users_catalog *c, const char *admin_password, bool force_reset, users_boot *res,
                    users_msg *msg)
{
    users_boot b = {0};
    char *stored = NULL, *hash = NULL;
    urec *r = NULL;
    int rc = 0;
    size_t pl = admin_password ? strlen(admin_password) : 0;
    bool is_default = admin_password && strcmp(admin_password, USERS_DEFAULT_ADMIN_PASSWORD) == 0;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    if (pl == 0)
        return fail(msg, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT,
                    "Admin password cannot be empty");

    pthread_mutex_lock(&c->mu);
    const urec *cur = find(c, USERS_SYSADMIN_NAME);
    if (cur)
        rc = copy_hash(cur, &stored);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        return fail_rc(msg, rc);

    if (stored) {
        /* Exists: compare only when it matters (immudb skips the default). */
        int vr = 0;
        if (force_reset || !is_default) {
            vr = verify(stored, admin_password, pl);
            if (vr != 0 && vr != SEAL_EAUTH && vr != SEAL_ENOTALLOWED) {
                rc = fail_rc(msg, vr);
                goto out;
            }
        }
        if (!force_reset) {
            b.mismatch = !is_default && vr != 0;
            goto out;
        }
        if (vr == 0)
            goto out; /* already that password: no write */
        if ((rc = hash_new(c, admin_password, pl, &hash)) != 0) {
            rc = fail_rc(msg, rc);
            goto out;
        }
        pthread_mutex_lock(&c->mu);
        cur = find(c, USERS_SYSADMIN_NAME);
        if (!cur || strcmp(cur->hash, stored) != 0)
            rc = SEAL_EBUSY; /* changed meanwhile */
        else if (!(r = urec_clone(cur)))
            rc = SEAL_ENOMEM;
        if (rc == 0) {
            free_secret(r->hash);
            r->hash = hash;
            hash = NULL;
            rc = store(c, r);
            if (rc == 0) {
                r = NULL;
                b.reset = true;
                c->admin_default = is_default;
            }
        }
        pthread_mutex_unlock(&c->mu);
        if (rc)
            rc = fail_rc(msg, rc);
        goto out;
    }

    if ((rc = hash_new(c, admin_password, pl, &hash)) != 0) {
        rc = fail_rc(msg, rc);
        goto out;
    }
    if ((rc = new_record(USERS_SYSADMIN_NAME, hash, true, "", now_ms(c), USERS_PERM_SYSADMIN,
                         USERS_ALL_DATABASES, &r)) != 0) {
        rc = fail_rc(msg, rc);
        goto out;
    }
    hash = NULL;
    pthread_mutex_lock(&c->mu);
    if (find(c, USERS_SYSADMIN_NAME))
        rc = SEAL_EBUSY;
    else
        rc = store(c, r);
    if (rc == 0) {
        r = NULL;
        b.created = true;
        c->admin_default = is_default;
    }
    pthread_mutex_unlock(&c->mu);
    if (rc)
        rc = fail_rc(msg, rc);
out:
    free_secret(stored);
    free_secret(hash);
    urec_free(r);
    if (rc == 0) {
        if (b.reset || b.created)
            SEAL_LOGI(COMP, "superuser '%s' %s", USERS_SYSADMIN_NAME,
                      b.created ? "created" : "password reset");
        if (res)
            *res = b;
    }
    return rc;
}

int users_admin_password_is_default(users_catalog *c, bool *out)
{
    char *stored = NULL;
    int rc = 0, known;
    if (!c || !out)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    const urec *r = find(c, USERS_SYSADMIN_NAME);
    known = c->admin_default;
    if (!r)
        rc = SEAL_ENOTFOUND;
    else if (known < 0)
        rc = copy_hash(r, &stored);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        return rc;
    if (known >= 0) {
        *out = known == 1;
        return 0;
    }
    int vr = verify(stored, USERS_DEFAULT_ADMIN_PASSWORD, strlen(USERS_DEFAULT_ADMIN_PASSWORD));
    if (vr != 0 && vr != SEAL_EAUTH && vr != SEAL_ENOTALLOWED) {
        free_secret(stored);
        return vr;
    }
    pthread_mutex_lock(&c->mu);
    r = find(c, USERS_SYSADMIN_NAME);
    if (r && strcmp(r->hash, stored) == 0)
        c->admin_default = vr == 0;
    pthread_mutex_unlock(&c->mu);
    free_secret(stored);
    *out = vr == 0;
    return 0;
}

/* -------------------------------------------------------- authentication */
static int ensure_dummy(users_catalog *c)
{
    pthread_mutex_lock(&c->mu);
    bool have = c->dummy_hash != NULL;
    pthread_mutex_unlock(&c->mu);
    if (have)
        return 0;
    uint8_t rnd[16];
    char *h = NULL;
    int rc = cry_random(rnd, sizeof(rnd));
    if (rc == 0)
        rc = hash_new(c, (const char *)rnd, sizeof(rnd), &h);
    cry_cleanse(rnd, sizeof(rnd));
    if (rc)
        return rc;
    pthread_mutex_lock(&c->mu);
    if (!c->dummy_hash) {
        c->dummy_hash = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    free_secret(h);
    return 0;
}

int users_authenticate(users_catalog *c, const char *username, const char *password, size_t pw_len,
                       users_user **out, users_msg *msg)
{
    char *stored = NULL;
    int rc = 0;
    msg_clear(msg);
    if (!c || !username || (!password && pw_len))
        return fail(msg, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "invalid argument");
    pthread_mutex_lock(&c->mu);
    const urec *r = find(c, username);
    if (r)
        rc = copy_hash(r, &stored);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        return fail_rc(msg, rc);

    if (!stored) {
        /* Same cost as a known user: no username probing by timing. */
        if (ensure_dummy(c) == 0) {
            pthread_mutex_lock(&c->mu);
            rc = copy_hash_str(c->dummy_hash, &stored);
            pthread_mutex_unlock(&c->mu);
            if (rc == 0)
                (void)cry_password_verify(stored, password ? password : "", pw_len);
        }
        free_secret(stored);
        return fail(msg, SEAL_EAUTH, USERS_GRPC_UNKNOWN, "%s", USERS_MSG_INVALID_LOGIN);
    }

    int vr = verify(stored, password ? password : "", pw_len);
    if (vr == SEAL_EAUTH) {
        rc = fail(msg, SEAL_EAUTH, USERS_GRPC_UNKNOWN, "%s", USERS_MSG_INVALID_LOGIN);
        goto out;
    }
    if (vr != 0) {
        SEAL_LOGW(COMP, "login of '%s' refused: stored password hash unusable (%s)", username,
                  seal_strerror(vr));
        rc = msg_unusable_hash(msg, stored, vr);
        goto out;
    }

    pthread_mutex_lock(&c->mu);
    r = find(c, username);
    if (!r || strcmp(r->hash, stored) != 0)
        rc = fail(msg, SEAL_EAUTH, USERS_GRPC_UNKNOWN, "%s", USERS_MSG_INVALID_LOGIN);
    else if (!r->active)
        rc = fail(msg, SEAL_EPERM, USERS_GRPC_UNKNOWN, "%s", USERS_MSG_NOT_ACTIVE);
    else if (out && (rc = user_copy(r, out)) != 0)
        rc = fail_rc(msg, rc);
    pthread_mutex_unlock(&c->mu);
out:
    free_secret(stored);
    return rc;
}

/* ------------------------------------------------------------ user RPCs */
/* The logged-in caller (lock held). */
static int caller_rec(const users_catalog *c, const char *caller, const urec **out, users_msg *m)
{
    const urec *r = find(c, caller);
    if (!r)
        return fail(m, SEAL_EAUTH, USERS_GRPC_UNAUTHENTICATED, "not logged in");
    if (!r->active)
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN, "%s", USERS_MSG_NOT_ACTIVE);
    *out = r;
    return 0;
}

static bool db_exists(const users_catalog *c, const char *db)
{
    if (strlen(db) > USERS_DB_NAME_MAX)
        return false;
    return c->o.db_exists ? c->o.db_exists(c->o.db_arg, db) : true;
}

static bool str_empty(const char *s)
{
    return !s || !*s;
}

static int new_password_check(const users_catalog *c, const char *pw, size_t len, users_msg *m)
{
    if (!pw || len == 0)
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "password is empty");
    if (!c->o.allow_weak_passwords && users_password_strong(pw, len) != 0)
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "%s",
                    USERS_PASSWORD_REQUIREMENTS_MSG);
    return 0;
}

/* CreateUser's checks (lock held). */
static int create_check(const users_catalog *c, const char *caller, const char *username,
                        uint32_t perm, const char *db, users_msg *m)
{
    const urec *me = NULL;
    int rc = caller_rec(c, caller, &me, m);
    if (rc)
        return rc;
    if (str_empty(username))
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "username can not be empty");
    if (str_empty(db))
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN,
                    "database name can not be empty when there are multiple databases");
    if (!db_exists(c, db))
        return fail(m, SEAL_ENOTFOUND, USERS_GRPC_UNKNOWN, "database %.128s does not exist", db);
    if (!perm_known(perm))
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "unrecognized permission");
    if (!me->sysadmin && !rec_has(me, db, USERS_PERM_ADMIN))
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN,
                    "you do not have permission on this database");
    if (perm == USERS_PERM_SYSADMIN)
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN, "can not create another system admin");
    if (find(c, username))
        return fail(m, SEAL_EEXISTS, USERS_GRPC_UNKNOWN, "user already exists");
    if (!users_username_valid(username))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "%s", USERS_MSG_INVALID_USERNAME);
    return 0;
}

int users_create(users_catalog *c, const char *caller, const char *username, const char *password,
                 size_t pw_len, uint32_t permission, const char *database, users_msg *msg)
{
    char *hash = NULL;
    urec *r = NULL;
    int rc;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    rc = create_check(c, caller, username, permission, database, msg);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        return rc;
    if ((rc = new_password_check(c, password, pw_len, msg)) != 0)
        return rc;
    /* PBKDF2 outside the lock; the checks run again before the write. */
    if ((rc = hash_new(c, password, pw_len, &hash)) != 0)
        return fail_rc(msg, rc);
    if ((rc = new_record(username, hash, false, caller, now_ms(c), permission, database, &r))) {
        free_secret(hash);
        return fail_rc(msg, rc);
    }
    pthread_mutex_lock(&c->mu);
    rc = create_check(c, caller, username, permission, database, msg);
    if (rc == 0 && (rc = store(c, r)) != 0)
        rc = fail_rc(msg, rc);
    pthread_mutex_unlock(&c->mu);
    if (rc) {
        urec_free(r);
        return rc;
    }
    SEAL_LOGI(COMP, "user %s was created by user %s", username, caller);
    return 0;
}

/* ChangePassword's checks (lock held); *need_old says whether the old
 * password must be verified, *stored gets the target's current hash. */
static int chpw_check(const users_catalog *c, const char *caller, const char *target,
                      bool *need_old, char **stored, users_msg *m)
{
    const urec *me = NULL, *t = NULL;
    int rc = caller_rec(c, caller, &me, m);
    if (rc)
        return rc;
    if (str_empty(target))
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "username can not be empty");
    bool self = strcmp(caller, target) == 0;
    t = find(c, target);
    if (!self && !me->sysadmin && !rec_has_any(me, USERS_PERM_ADMIN))
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN,
                    "user is not system admin nor admin in any of the databases");
    if (!t || (!self && !me->sysadmin && strcmp(t->created_by, me->name) != 0))
        return fail(m, SEAL_ENOTFOUND, USERS_GRPC_UNKNOWN,
                    "user %.64s was not found or it was not created by you", target);
    *need_old = self || t->sysadmin || strcmp(target, USERS_SYSADMIN_NAME) == 0;
    if ((rc = copy_hash(t, stored)) != 0)
        return fail_rc(m, rc);
    return 0;
}

int users_change_password(users_catalog *c, const char *caller, const char *target,
                          const char *old_password, size_t old_len, const char *new_password,
                          size_t new_len, users_msg *msg)
{
    char *stored = NULL, *stored2 = NULL, *hash = NULL;
    urec *r = NULL;
    bool need_old = false, need_old2 = false;
    int rc;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    rc = chpw_check(c, caller, target, &need_old, &stored, msg);
    pthread_mutex_unlock(&c->mu);
    if (rc)
        return rc;
    if ((rc = new_password_check(c, new_password, new_len, msg)) != 0)
        goto out;
    if (need_old) {
        int vr = verify(stored, old_password ? old_password : "", old_password ? old_len : 0);
        if (vr == SEAL_EAUTH) {
            rc = fail(msg, SEAL_EPERM, USERS_GRPC_PERMISSION_DENIED, "old password is incorrect");
            goto out;
        }
        if (vr != 0) {
            rc = msg_unusable_hash(msg, stored, vr);
            goto out;
        }
    }
    if ((rc = hash_new(c, new_password, new_len, &hash)) != 0) {
        rc = fail_rc(msg, rc);
        goto out;
    }
    pthread_mutex_lock(&c->mu);
    rc = chpw_check(c, caller, target, &need_old2, &stored2, msg);
    if (rc == 0 && (need_old2 != need_old || strcmp(stored, stored2) != 0))
        rc = fail(msg, SEAL_EBUSY, USERS_GRPC_UNKNOWN, "user %.64s was changed concurrently",
                  target);
    if (rc == 0) {
        const urec *t = find(c, target);
        if (!(r = urec_clone(t)))
            rc = SEAL_ENOMEM;
        if (rc == 0) {
            free_secret(r->hash);
            r->hash = hash;
            hash = NULL;
            /* As immudb, an admin's change makes it the owner; one's own
             * change keeps the owner. */
            rc = store_changed(c, r, strcmp(caller, target) == 0 ? r->created_by : caller);
        }
        if (rc == 0) {
            if (strcmp(target, USERS_SYSADMIN_NAME) == 0)
                c->admin_default = strlen(USERS_DEFAULT_ADMIN_PASSWORD) == new_len &&
                                   memcmp(new_password, USERS_DEFAULT_ADMIN_PASSWORD, new_len) == 0;
            r = NULL;
        } else {
            rc = fail_rc(msg, rc);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (rc == 0) {
        SEAL_LOGI(COMP, "password for user %s was changed by user %s", target, caller);
        notify(c, target);
    }
out:
    urec_free(r);
    free_secret(hash);
    free_secret(stored);
    free_secret(stored2);
    return rc;
}

/* ChangePermission's checks (lock held). */
static int chperm_check(const users_catalog *c, const char *caller, const char *target, int action,
                        const char *db, uint32_t perm, users_msg *m)
{
    const urec *me = NULL, *t = NULL;
    int rc;
    if (str_empty(target))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "username can not be empty");
    if (str_empty(db))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "database can not be empty");
    if (strcmp(db, USERS_SYSTEMDB) != 0 && !db_exists(c, db))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "database does not exist");
    if (action != USERS_GRANT && action != USERS_REVOKE)
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "action not recognized");
    if (!perm_known(perm))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT, "unrecognized permission");
    if ((rc = caller_rec(c, caller, &me, m)) != 0)
        return rc;
    if (strcmp(target, me->name) == 0)
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT,
                    "changing your own permissions is not allowed");
    t = find(c, target);
    if (strcmp(target, USERS_SYSADMIN_NAME) == 0 || (t && t->sysadmin))
        return fail(m, SEAL_EINVAL, USERS_GRPC_INVALID_ARGUMENT,
                    "changing sysadmin permissions is not allowed");
    if (strcmp(db, USERS_SYSTEMDB) == 0 && perm == USERS_PERM_READWRITE)
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN, "permission denied");
    if (!t)
        return fail(m, SEAL_ENOTFOUND, USERS_GRPC_NOT_FOUND, "user %.64s not found", target);
    if (!t->active)
        return fail(m, SEAL_EPRECONDITION, USERS_GRPC_FAILED_PRECONDITION,
                    "user %.64s is not active", target);
    if (!me->sysadmin && !rec_has(me, db, USERS_PERM_ADMIN))
        return fail(m, SEAL_EPERM, USERS_GRPC_PERMISSION_DENIED,
                    "you do not have permission on this database");
    if (action == USERS_GRANT && perm == USERS_PERM_SYSADMIN && !me->sysadmin)
        return fail(m, SEAL_EPERM, USERS_GRPC_PERMISSION_DENIED,
                    "only a system admin can grant the sysadmin permission");
    return 0;
}

int users_change_permission(users_catalog *c, const char *caller, const char *target, int action,
                            const char *database, uint32_t permission, users_msg *msg)
{
    urec *r = NULL;
    int rc;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    rc = chperm_check(c, caller, target, action, database, permission, msg);
    if (rc == 0) {
        r = urec_clone(find(c, target));
        if (!r)
            rc = SEAL_ENOMEM;
        else if (action == USERS_REVOKE)
            rec_revoke(r, database);
        else
            rc = rec_grant(r, database, permission);
        if (rc == 0)
            rc = store_changed(c, r, caller);
        if (rc == 0)
            r = NULL;
        else
            rc = fail_rc(msg, rc);
    }
    pthread_mutex_unlock(&c->mu);
    urec_free(r);
    if (rc == 0) {
        SEAL_LOGI(COMP, "permissions of user %s for database %s was changed by user %s", target,
                  database, caller);
        notify(c, target);
    }
    return rc;
}

/* SetActiveUser's checks (lock held). */
static int active_check(const users_catalog *c, const char *caller, const char *target,
                        users_msg *m)
{
    const urec *me = NULL, *t = NULL;
    int rc;
    if (str_empty(target))
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "username can not be empty");
    if ((rc = caller_rec(c, caller, &me, m)) != 0)
        return rc;
    if (!me->sysadmin && !rec_has_any(me, USERS_PERM_ADMIN))
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN,
                    "user is not system admin nor admin in any of the databases");
    if (strcmp(target, me->name) == 0)
        return fail(m, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "changing your own status is not allowed");
    if (!(t = find(c, target)))
        return fail(m, SEAL_ENOTFOUND, USERS_GRPC_UNKNOWN, "user %.64s not found", target);
    if (!me->sysadmin && strcmp(me->name, t->created_by) != 0)
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN, "%.64s was not created by you", target);
    if (t->sysadmin)
        return fail(m, SEAL_EPERM, USERS_GRPC_UNKNOWN, "changing sysadmin status is not allowed");
    return 0;
}

int users_set_active(users_catalog *c, const char *caller, const char *target, bool active,
                     users_msg *msg)
{
    urec *r = NULL;
    int rc;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    rc = active_check(c, caller, target, msg);
    if (rc == 0) {
        r = urec_clone(find(c, target));
        if (!r) {
            rc = SEAL_ENOMEM;
        } else {
            r->active = active;
            rc = store_changed(c, r, caller);
        }
        if (rc == 0)
            r = NULL;
        else
            rc = fail_rc(msg, rc);
    }
    pthread_mutex_unlock(&c->mu);
    urec_free(r);
    if (rc == 0) {
        SEAL_LOGI(COMP, "user %s was %s by user %s", target, active ? "activated" : "deactivated",
                  caller);
        notify(c, target);
    }
    return rc;
}

/* Copies the records selected by |pick| into a new array (lock held). */
static int list_copy(const users_catalog *c, bool (*pick)(const urec *, const void *),
                     const void *arg, users_user **out, size_t *n)
{
    size_t k = 0;
    users_user *v = seal_calloc(c->n ? c->n : 1, sizeof(*v));
    if (!v)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        if (!pick(c->v[i], arg))
            continue;
        if (user_fill(&v[k], c->v[i]) != 0) {
            users_list_free(v, k);
            return SEAL_ENOMEM;
        }
        k++;
    }
    *out = v;
    *n = k;
    return 0;
}

static bool pick_all(const urec *r, const void *arg)
{
    SEAL_UNUSED(r);
    SEAL_UNUSED(arg);
    return true;
}

static bool pick_db(const urec *r, const void *arg)
{
    for (size_t i = 0; i < r->nperms; i++)
        if (strcmp(r->perms[i].database, (const char *)arg) == 0)
            return true;
    return false;
}

static bool pick_self(const urec *r, const void *arg)
{
    return r == arg;
}

int users_list(users_catalog *c, const char *caller, const char *selected_db, users_user **out,
               size_t *n, users_msg *msg)
{
    const urec *me = NULL;
    int rc;
    msg_clear(msg);
    if (!c || !out || !n)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    rc = caller_rec(c, caller, &me, msg);
    if (rc == 0) {
        if (me->sysadmin)
            rc = list_copy(c, pick_all, NULL, out, n);
        else if (!str_empty(selected_db) && rec_which(me, selected_db) == USERS_PERM_ADMIN)
            rc = list_copy(c, pick_db, selected_db, out, n);
        else
            rc = list_copy(c, pick_self, me, out, n);
        if (rc)
            rc = fail_rc(msg, rc);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int users_list_all(users_catalog *c, users_user **out, size_t *n)
{
    if (!c || !out || !n)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    int rc = list_copy(c, pick_all, NULL, out, n);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int users_refresh(users_catalog *c, const char *name)
{
    uint8_t key[1 + USERS_NAME_MAX];
    uint8_t *val = NULL;
    size_t vlen = 0;
    urec *r = NULL;
    if (!c || !users_username_valid(name))
        return SEAL_EINVAL;
    if (!c->be.get)
        return SEAL_EUNSUPPORTED;
    size_t nl = strlen(name);
    key[0] = USERS_KEY_PREFIX;
    memcpy(key + 1, name, nl);
    pthread_mutex_lock(&c->mu);
    int rc = c->be.get(c->be.ctx, key, 1 + nl, &val, &vlen);
    if (rc == SEAL_ENOTFOUND) {
        bool found;
        size_t i = find_pos(c, name, &found);
        if (found) {
            urec_free(c->v[i]);
            memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
            c->n--;
        }
    } else if (rc == 0 && (rc = rec_decode(key, 1 + nl, val, vlen, &r)) == 0 &&
               (rc = reserve(c)) == 0) {
        cache_set(c, r);
        r = NULL;
    }
    if (strcmp(name, USERS_SYSADMIN_NAME) == 0)
        c->admin_default = -1;
    pthread_mutex_unlock(&c->mu);
    urec_free(r);
    if (val) {
        cry_cleanse(val, vlen);
        seal_free(val);
    }
    return rc;
}

int users_check_database(users_catalog *c, const char *username, const char *database,
                         users_msg *msg)
{
    const urec *me = NULL;
    msg_clear(msg);
    if (!c)
        return SEAL_EINVAL;
    pthread_mutex_lock(&c->mu);
    int rc = caller_rec(c, username, &me, msg);
    if (rc == 0 && (str_empty(database) || rec_which(me, database) == USERS_PERM_NONE))
        rc = fail(msg, SEAL_EPERM, USERS_GRPC_PERMISSION_DENIED,
                  "Logged in user does not have permission on this database");
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ------------------------------------------------------ method permissions */
#define M(rpc, imm, lvl, maint)                                                                    \
    {                                                                                              \
        rpc, imm, USERS_LEVEL_##lvl, maint                                                         \
    }
/* Sources: immudb pkg/auth/permissions.go (methodsPermissions,
 * maintenanceMethods) and the handlers that check permissions themselves
 * (pkg/server/user.go, server.go, session.go). */
static const users_method g_methods[] = {
    /* no login */
    M("Login", NULL, NONE, false),
    M("OpenSession", NULL, NONE, false),
    M("Health", NULL, NONE, false),
    M("ServerInfo", NULL, NONE, false),
    /* logged in; the handler checks further */
    M("Logout", NULL, LOGIN, false),
    M("CloseSession", NULL, LOGIN, false),
    M("KeepAlive", NULL, LOGIN, false),
    M("UseDatabase", NULL, LOGIN, false),
    M("DatabaseList", "DatabaseList", LOGIN, true),
    M("DatabaseListV2", NULL, LOGIN, false),
    M("ListUsers", "ListUsers", LOGIN, true),
    M("CreateUser", "CreateUser", LOGIN, false),
    M("ChangePassword", "ChangePassword", LOGIN, false),
    M("ChangePermission", NULL, LOGIN, false),
    M("ChangeSQLPrivileges", NULL, LOGIN, false),
    M("SetActiveUser", "SetActiveUser", LOGIN, false),
    M("LoadDatabase", NULL, LOGIN, false),
    M("UnloadDatabase", NULL, LOGIN, false),
    M("DeleteDatabase", NULL, LOGIN, false),
    M("UpdateDatabase", "UpdateDatabase", LOGIN, false),
    M("UpdateDatabaseV2", "UpdateDatabaseV2", LOGIN, false),
    M("TruncateDatabase", NULL, LOGIN, false),
    M("NewTx", NULL, LOGIN, false),
    M("Commit", NULL, LOGIN, false),
    M("Rollback", NULL, LOGIN, false),
    M("TxSQLExec", NULL, LOGIN, false),
    M("TxSQLQuery", NULL, LOGIN, false),
    /* system admin only */
    M("CreateDatabase", "CreateDatabase", SYSADMIN, false),
    M("CreateDatabaseWith", NULL, SYSADMIN, false),
    M("CreateDatabaseV2", "CreateDatabaseV2", SYSADMIN, false),
    M("UpdateAuthConfig", "UpdateAuthConfig", SYSADMIN, false),
    M("UpdateMTLSConfig", "UpdateMTLSConfig", SYSADMIN, false),
    /* read */
    M("Get", "Get", READ, true),
    M("VerifiableGet", "VerifiableGet", READ, true),
    M("streamGet", "StreamGet", READ, true),
    M("streamVerifiableGet", "StreamVerifiableGet", READ, true),
    M("Scan", "Scan", READ, true),
    M("streamScan", "StreamScan", READ, true),
    M("ZScan", "ZScan", READ, true),
    M("streamZScan", "StreamZScan", READ, true),
    M("History", "History", READ, true),
    M("streamHistory", "StreamHistory", READ, true),
    M("TxById", "TxByID", READ, true),
    M("VerifiableTxById", "VerifiableTxByID", READ, true),
    M("TxScan", "TxScan", READ, true),
    M("Count", "Count", READ, true),
    M("CountAll", "CountAll", READ, true),
    M("CurrentState", "CurrentState", READ, true),
    M("DatabaseHealth", "DatabaseHealth", READ, false),
    M("GetDatabaseSettings", "DatabaseSettings", READ, false),
    M("GetDatabaseSettingsV2", "DatabaseSettings", READ, false),
    M("SQLQuery", "SQLQuery", READ, true),
    M("UnarySQLQuery", "SQLQuery", READ, true),
    M("ListTables", "ListTables", READ, true),
    M("DescribeTable", "DescribeTable", READ, true),
    M("VerifiableSQLGet", "VerifiableSQLGet", READ, true),
    /* readwrite (GetAll is readwrite in immudb) */
    M("Set", "Set", READWRITE, false),
    M("VerifiableSet", "VerifiableSet", READWRITE, false),
    M("streamSet", "StreamSet", READWRITE, false),
    M("streamVerifiableSet", "StreamVerifiableSet", READWRITE, false),
    M("Delete", "Delete", READWRITE, false),
    M("GetAll", "GetAll", READWRITE, true),
    M("ExecAll", "ExecAll", READWRITE, false),
    M("streamExecAll", "StreamExecAll", READWRITE, false),
    M("SetReference", "SetReference", READWRITE, false),
    M("VerifiableSetReference", "VerifiableSetReference", READWRITE, false),
    M("ZAdd", "ZAdd", READWRITE, false),
    M("VerifiableZAdd", "VerifiableZAdd", READWRITE, false),
    M("SQLExec", "SQLExec", READWRITE, false),
    /* admin */
    M("FlushIndex", "FlushIndex", ADMIN, true),
    M("CompactIndex", "CompactIndex", ADMIN, true),
    M("exportTx", "ExportTx", ADMIN, true),
    M("streamExportTx", "ExportTx", ADMIN, true),
    M("replicateTx", "ReplicateTx", ADMIN, true),
};
#undef M

const users_method *users_method_table(size_t *n)
{
    *n = SEAL_ARRAY_LEN(g_methods);
    return g_methods;
}

const users_method *users_method_find(const char *rpc)
{
    if (!rpc)
        return NULL;
    for (size_t i = 0; i < SEAL_ARRAY_LEN(g_methods); i++)
        if (strcmp(g_methods[i].rpc, rpc) == 0)
            return &g_methods[i];
    return NULL;
}

static bool level_allows(enum users_level lvl, uint32_t perm)
{
    switch (lvl) {
    case USERS_LEVEL_READ:
        return perm == USERS_PERM_READ || perm == USERS_PERM_READWRITE ||
               perm == USERS_PERM_ADMIN || perm == USERS_PERM_SYSADMIN;
    case USERS_LEVEL_READWRITE:
        return perm == USERS_PERM_READWRITE || perm == USERS_PERM_ADMIN ||
               perm == USERS_PERM_SYSADMIN;
    case USERS_LEVEL_ADMIN:
        return perm == USERS_PERM_ADMIN || perm == USERS_PERM_SYSADMIN;
    case USERS_LEVEL_SYSADMIN:
        return perm == USERS_PERM_SYSADMIN;
    case USERS_LEVEL_NONE:
    case USERS_LEVEL_LOGIN:
        break;
    }
    return false;
}

bool users_method_allowed(uint32_t perm, const char *rpc)
{
    const users_method *m = users_method_find(rpc);
    return m && level_allows(m->level, perm);
}

int users_authorize(users_catalog *c, const char *username, const char *database, const char *rpc,
                    users_msg *msg)
{
    const urec *me = NULL;
    int rc;
    msg_clear(msg);
    const users_method *m = users_method_find(rpc);
    if (!c)
        return SEAL_EINVAL;
    if (!m)
        return fail(msg, SEAL_EPERM, USERS_GRPC_PERMISSION_DENIED, "permission denied");
    if (m->level == USERS_LEVEL_NONE)
        return 0;
    pthread_mutex_lock(&c->mu);
    rc = caller_rec(c, username, &me, msg);
    if (rc || m->level == USERS_LEVEL_LOGIN)
        goto out;
    if (str_empty(database)) {
        rc = fail(msg, SEAL_EINVAL, USERS_GRPC_UNKNOWN, "please select a database first");
        goto out;
    }
    /* systemdb is read-only from outside, for everybody. */
    if (strcmp(database, USERS_SYSTEMDB) == 0 && !m->maintenance) {
        rc = fail(msg, SEAL_EPERM, USERS_GRPC_UNKNOWN, "permission denied");
        goto out;
    }
    if (me->sysadmin)
        goto out;
    if (!level_allows(m->level, rec_which(me, database)))
        rc = fail(msg, SEAL_EPERM, USERS_GRPC_UNKNOWN, "permission denied");
out:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* ------------------------------------------------------ memory backend */
typedef struct mkv {
    uint8_t *k, *v;
    size_t kl, vl;
} mkv;
typedef struct membe {
    pthread_mutex_t mu;
    mkv *e;
    size_t n, cap;
    int fail_puts;
    size_t puts;
} membe;

static int mkv_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int r = memcmp(a, b, SEAL_MIN(al, bl));
    if (r)
        return r;
    return al < bl ? -1 : al > bl;
}

static size_t mem_pos(const membe *m, const uint8_t *k, size_t kl, bool *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = mkv_cmp(m->e[mid].k, m->e[mid].kl, k, kl);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int mem_put(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    membe *m = ctx;
    int rc = 0;
    bool found;
    pthread_mutex_lock(&m->mu);
    m->puts++;
    if (m->fail_puts > 0) {
        m->fail_puts--;
        rc = SEAL_EIO;
        goto out;
    }
    uint8_t *v = seal_memdup(val, vlen), *k = NULL;
    if (!v) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    size_t i = mem_pos(m, key, klen, &found);
    if (found) {
        cry_cleanse(m->e[i].v, m->e[i].vl);
        seal_free(m->e[i].v);
        m->e[i].v = v;
        m->e[i].vl = vlen;
        goto out;
    }
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        mkv *ne = seal_realloc(m->e, nc * sizeof(*ne));
        if (!ne) {
            seal_free(v);
            rc = SEAL_ENOMEM;
            goto out;
        }
        m->e = ne;
        m->cap = nc;
    }
    if (!(k = seal_memdup(key, klen))) {
        seal_free(v);
        rc = SEAL_ENOMEM;
        goto out;
    }
    memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(*m->e));
    m->e[i] = (mkv){k, v, klen, vlen};
    m->n++;
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int mem_get(void *ctx, const uint8_t *key, size_t klen, uint8_t **val, size_t *vlen)
{
    membe *m = ctx;
    bool found;
    int rc = SEAL_ENOTFOUND;
    pthread_mutex_lock(&m->mu);
    size_t i = mem_pos(m, key, klen, &found);
    if (found) {
        uint8_t *v = seal_memdup(m->e[i].v, m->e[i].vl);
        rc = v ? 0 : SEAL_ENOMEM;
        if (v) {
            *val = v;
            *vlen = m->e[i].vl;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int mem_scan(void *ctx, const uint8_t *prefix, size_t plen, users_scan_cb cb, void *arg)
{
    membe *m = ctx;
    bool found;
    int rc = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = mem_pos(m, prefix, plen, &found); i < m->n && rc == 0; i++) {
        if (m->e[i].kl < plen || memcmp(m->e[i].k, prefix, plen) != 0)
            break;
        rc = cb(arg, m->e[i].k, m->e[i].kl, m->e[i].v, m->e[i].vl);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

int users_membackend_new(users_backend *out)
{
    membe *m = seal_calloc(1, sizeof(*m));
    if (!m)
        return SEAL_ENOMEM;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        seal_free(m);
        return SEAL_ENOMEM;
    }
    out->ctx = m;
    out->put = mem_put;
    out->get = mem_get;
    out->scan = mem_scan;
    return 0;
}

void users_membackend_free(users_backend *be)
{
    if (!be || !be->ctx)
        return;
    membe *m = be->ctx;
    for (size_t i = 0; i < m->n; i++) {
        cry_cleanse(m->e[i].v, m->e[i].vl);
        seal_free(m->e[i].v);
        seal_free(m->e[i].k);
    }
    seal_free(m->e);
    pthread_mutex_destroy(&m->mu);
    seal_free(m);
    be->ctx = NULL;
}

void users_membackend_fail_puts(users_backend *be, int n)
{
    membe *m = be->ctx;
    pthread_mutex_lock(&m->mu);
    m->fail_puts = n;
    pthread_mutex_unlock(&m->mu);
}

size_t users_membackend_count(const users_backend *be)
{
    membe *m = be->ctx;
    pthread_mutex_lock(&m->mu);
    size_t n = m->n;
    pthread_mutex_unlock(&m->mu);
    return n;
}

size_t users_membackend_puts(const users_backend *be)
{
    membe *m = be->ctx;
    pthread_mutex_lock(&m->mu);
    size_t n = m->puts;
    pthread_mutex_unlock(&m->mu);
    return n;
}
