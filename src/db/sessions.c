/* sessions.c - login tokens, sessions and the failed-login backoff; see
 * sessions.h. */
#include "db/sessions.h"

#include <pthread.h>

#include "crypto/cry.h"

#define MIN_MS (60LL * 1000)

/* --------------------------------------------------------------- helpers */
/* A fresh secret string: 32 DRBG bytes, base64url. */
static int new_secret(char *out, bool pad)
{
    uint8_t rnd[AUTH_SECRET_BYTES];
    int rc = cry_random(rnd, sizeof(rnd));
    if (rc == 0)
        seal_b64_encode(out, rnd, sizeof(rnd), SEAL_B64_URL | (pad ? 0 : SEAL_B64_NOPAD));
    cry_cleanse(rnd, sizeof(rnd));
    return rc;
}

static int digest(uint8_t dig[CRY_SHA256_LEN], const char *s)
{
    return cry_sha256(dig, s, strlen(s));
}

static bool name_ok(const char *s, size_t max, bool may_be_empty)
{
    if (!s)
        return may_be_empty;
    size_t n = strlen(s);
    return n <= max && (may_be_empty || n > 0);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ------------------------------------------------- digest-keyed hash table */
/* Entries are found by SHA-256 of their secret. The bucket is chosen by the
 * digest's first bytes (which say nothing usable about the secret) and every
 * entry in the bucket is compared in constant time. */
typedef struct dnode {
    struct dnode *next;
    uint8_t dig[CRY_SHA256_LEN];
} dnode;
typedef struct dtab {
    dnode **b;
    size_t nb, n;
} dtab;

static int dtab_init(dtab *t)
{
    t->nb = 64;
    t->n = 0;
    t->b = seal_calloc(t->nb, sizeof(*t->b));
    return t->b ? 0 : SEAL_ENOMEM;
}

static size_t dtab_idx(size_t nb, const uint8_t *dig)
{
    return (size_t)(seal_get_u64(dig) % nb);
}

static dnode *dtab_get(const dtab *t, const uint8_t *dig)
{
    dnode *hit = NULL;
    for (dnode *e = t->b[dtab_idx(t->nb, dig)]; e; e = e->next)
        if (cry_memcmp_ct(e->dig, dig, CRY_SHA256_LEN) == 0)
            hit = e;
    return hit;
}

/* Grows when the load passes 2 (best effort: a failed grow keeps going). */
static void dtab_grow(dtab *t)
{
    if (t->n < t->nb * 2)
        return;
    size_t nb = t->nb * 2;
    dnode **b = seal_calloc(nb, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < t->nb; i++) {
        dnode *e = t->b[i];
        while (e) {
            dnode *next = e->next;
            size_t j = dtab_idx(nb, e->dig);
            e->next = b[j];
            b[j] = e;
            e = next;
        }
    }
    seal_free(t->b);
    t->b = b;
    t->nb = nb;
}

static void dtab_put(dtab *t, dnode *e)
{
    dtab_grow(t);
    size_t i = dtab_idx(t->nb, e->dig);
    e->next = t->b[i];
    t->b[i] = e;
    t->n++;
}

static void dtab_unlink(dtab *t, dnode *e)
{
    dnode **pp = &t->b[dtab_idx(t->nb, e->dig)];
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = e->next;
        t->n--;
    }
}

/* Wipes and frees an entry of |size| bytes. */
static void wipe_free(void *p, size_t size)
{
    if (p) {
        cry_cleanse(p, size);
        seal_free(p);
    }
}

/* Removes every entry for which |drop| is true; returns how many. */
static size_t dtab_filter(dtab *t, bool (*drop)(const dnode *, const void *), const void *arg,
                          size_t entry_size)
{
    size_t k = 0;
    for (size_t i = 0; i < t->nb; i++) {
        dnode **pp = &t->b[i];
        while (*pp) {
            dnode *e = *pp;
            if (drop(e, arg)) {
                *pp = e->next;
                t->n--;
                wipe_free(e, entry_size);
                k++;
            } else {
                pp = &e->next;
            }
        }
    }
    return k;
}

static bool drop_all(const dnode *e, const void *arg)
{
    SEAL_UNUSED(e);
    SEAL_UNUSED(arg);
    return true;
}

static void dtab_free(dtab *t, size_t entry_size)
{
    if (!t->b)
        return;
    dtab_filter(t, drop_all, NULL, entry_size);
    seal_free(t->b);
    t->b = NULL;
}

/* dtab_init and the lock that guards the table. */
static int dtab_init_locked(dtab *t, pthread_mutex_t *mu)
{
    if (dtab_init(t) != 0)
        return SEAL_ENOMEM;
    if (pthread_mutex_init(mu, NULL) != 0) {
        seal_free(t->b);
        t->b = NULL;
        return SEAL_ENOMEM;
    }
    return 0;
}

/* Removes and wipes the entry whose secret is |secret| under |mu|; returns
 * |missing| when there is none. */
static int dtab_take(dtab *t, pthread_mutex_t *mu, const char *secret, size_t entry_size,
                     int missing)
{
    uint8_t dig[CRY_SHA256_LEN];
    int rc = digest(dig, secret);
    if (rc)
        return rc;
    pthread_mutex_lock(mu);
    dnode *e = dtab_get(t, dig);
    if (e) {
        dtab_unlink(t, e);
        wipe_free(e, entry_size);
    } else {
        rc = missing;
    }
    pthread_mutex_unlock(mu);
    cry_cleanse(dig, sizeof(dig));
    return rc;
}

/* ------------------------------------------------------------------ tokens */
typedef struct tok {
    dnode h; /* first */
    auth_token_info info;
} tok;

struct auth_tokens {
    pthread_mutex_t mu;
    auth_tokens_options o;
    dtab tab;
};

int auth_tokens_new(auth_tokens **out, const auth_tokens_options *o)
{
    auth_tokens *t = seal_calloc(1, sizeof(*t));
    if (!t)
        return SEAL_ENOMEM;
    if (o)
        t->o = *o;
    if (t->o.expiry_minutes == 0)
        t->o.expiry_minutes = 1440;
    if (t->o.max_tokens == 0)
        t->o.max_tokens = 100000;
    if (dtab_init_locked(&t->tab, &t->mu) != 0) {
        seal_free(t);
        return SEAL_ENOMEM;
    }
    *out = t;
    return 0;
}

void auth_tokens_free(auth_tokens *t)
{
    if (!t)
        return;
    dtab_free(&t->tab, sizeof(tok));
    pthread_mutex_destroy(&t->mu);
    seal_free(t);
}

static bool tok_expired(const dnode *e, const void *arg)
{
    return ((const tok *)e)->info.expires_ms <= *(const int64_t *)arg;
}

static bool tok_of_user(const dnode *e, const void *arg)
{
    return strcmp(((const tok *)e)->info.username, (const char *)arg) == 0;
}

/* Strips an optional "Bearer " prefix. */
static const char *bare_token(const char *token)
{
    if (token && strncmp(token, "Bearer ", 7) == 0)
        token += 7;
    return token;
}

int auth_tokens_issue(auth_tokens *t, const char *username, const char *database, int64_t now_ms,
                      char out[AUTH_TOKEN_LEN + 1])
{
    char secret[AUTH_TOKEN_LEN + 1];
    int rc;
    if (!t || !out || !name_ok(username, USERS_NAME_MAX, false) ||
        !name_ok(database, USERS_DB_NAME_MAX, true))
        return SEAL_EINVAL;
    tok *e = seal_calloc(1, sizeof(*e));
    if (!e)
        return SEAL_ENOMEM;
    copy_str(e->info.username, sizeof(e->info.username), username);
    copy_str(e->info.database, sizeof(e->info.database), database);
    e->info.issued_ms = now_ms;
    e->info.expires_ms = now_ms + (int64_t)t->o.expiry_minutes * MIN_MS;
    if ((rc = new_secret(secret, false)) != 0 || (rc = digest(e->h.dig, secret)) != 0)
        goto fail;
    pthread_mutex_lock(&t->mu);
    if (t->tab.n >= t->o.max_tokens)
        dtab_filter(&t->tab, tok_expired, &now_ms, sizeof(tok));
    if (t->tab.n >= t->o.max_tokens) {
        rc = SEAL_ELIMIT;
    } else {
        dtab_put(&t->tab, &e->h);
        e = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    if (rc)
        goto fail;
    memcpy(out, secret, sizeof(secret));
    cry_cleanse(secret, sizeof(secret));
    return 0;
fail:
    cry_cleanse(secret, sizeof(secret));
    wipe_free(e, sizeof(*e));
    return rc;
}

int auth_tokens_lookup(auth_tokens *t, const char *token, int64_t now_ms, auth_token_info *out)
{
    uint8_t dig[CRY_SHA256_LEN];
    int rc;
    token = bare_token(token);
    if (!t || !token || !*token)
        return SEAL_EAUTH;
    if ((rc = digest(dig, token)) != 0)
        return rc;
    pthread_mutex_lock(&t->mu);
    tok *e = (tok *)dtab_get(&t->tab, dig);
    if (!e) {
        rc = SEAL_EAUTH;
    } else if (e->info.expires_ms <= now_ms) {
        dtab_unlink(&t->tab, &e->h);
        wipe_free(e, sizeof(*e));
        rc = SEAL_ETIMEOUT;
    } else if (out) {
        *out = e->info;
    }
    pthread_mutex_unlock(&t->mu);
    cry_cleanse(dig, sizeof(dig));
    return rc;
}

int auth_tokens_use_database(auth_tokens *t, const char *token, const char *database,
                             int64_t now_ms, char out[AUTH_TOKEN_LEN + 1])
{
    auth_token_info info;
    int rc = auth_tokens_lookup(t, token, now_ms, &info);
    if (rc)
        return rc;
    if (!name_ok(database, USERS_DB_NAME_MAX, false))
        return SEAL_EINVAL;
    return auth_tokens_issue(t, info.username, database, now_ms, out);
}

int auth_tokens_revoke(auth_tokens *t, const char *token)
{
    token = bare_token(token);
    if (!t || !token || !*token)
        return SEAL_EAUTH;
    return dtab_take(&t->tab, &t->mu, token, sizeof(tok), SEAL_EAUTH);
}

size_t auth_tokens_revoke_user(auth_tokens *t, const char *username)
{
    if (!t || !username)
        return 0;
    pthread_mutex_lock(&t->mu);
    size_t k = dtab_filter(&t->tab, tok_of_user, username, sizeof(tok));
    pthread_mutex_unlock(&t->mu);
    return k;
}

size_t auth_tokens_sweep(auth_tokens *t, int64_t now_ms)
{
    pthread_mutex_lock(&t->mu);
    size_t k = dtab_filter(&t->tab, tok_expired, &now_ms, sizeof(tok));
    pthread_mutex_unlock(&t->mu);
    return k;
}

size_t auth_tokens_count(auth_tokens *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->tab.n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* ---------------------------------------------------------------- sessions */
typedef struct sess {
    dnode h; /* first */
    auth_session_info info;
} sess;

struct auth_sessions {
    pthread_mutex_t mu;
    auth_sessions_options o;
    dtab tab;
};

static int norm_duration(int64_t *v, int64_t dflt)
{
    if (*v == 0)
        *v = dflt;
    else if (*v < 0 && *v != AUTH_INFINITE)
        return SEAL_EINVAL;
    return 0;
}

int auth_sessions_new(auth_sessions **out, const auth_sessions_options *o)
{
    auth_sessions *s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    if (o)
        s->o = *o;
    if (s->o.max_sessions == 0)
        s->o.max_sessions = 100;
    if (norm_duration(&s->o.max_inactivity_ms, 3 * MIN_MS) ||
        norm_duration(&s->o.max_age_ms, AUTH_INFINITE) ||
        norm_duration(&s->o.timeout_ms, 2 * MIN_MS) ||
        norm_duration(&s->o.guard_interval_ms, MIN_MS) || s->o.guard_interval_ms < 0) {
        seal_free(s);
        return SEAL_EINVAL;
    }
    if (dtab_init_locked(&s->tab, &s->mu) != 0) {
        seal_free(s);
        return SEAL_ENOMEM;
    }
    *out = s;
    return 0;
}

void auth_sessions_free(auth_sessions *s)
{
    if (!s)
        return;
    dtab_free(&s->tab, sizeof(sess));
    pthread_mutex_destroy(&s->mu);
    seal_free(s);
}

void auth_sessions_get_options(const auth_sessions *s, auth_sessions_options *out)
{
    *out = s->o;
}

/* Past |limit| (AUTH_INFINITE never is). */
static bool past(int64_t elapsed, int64_t limit)
{
    return limit != AUTH_INFINITE && elapsed > limit;
}

/* Why a session must close at |now| (0 = it need not). */
enum { LIVE = 0, BY_AGE, BY_TIMEOUT };
static int sess_state(const auth_sessions *s, const sess *e, int64_t now)
{
    if (past(now - e->info.created_ms, s->o.max_age_ms))
        return BY_AGE;
    if (past(now - e->info.last_activity_ms, s->o.timeout_ms))
        return BY_TIMEOUT;
    return LIVE;
}

int auth_sessions_open(auth_sessions *s, const char *username, const char *database, int64_t now_ms,
                       char id_out[AUTH_SESSION_ID_LEN + 1])
{
    char id[AUTH_SESSION_ID_LEN + 1];
    int rc;
    if (!s || !id_out || !name_ok(username, USERS_NAME_MAX, false) ||
        !name_ok(database, USERS_DB_NAME_MAX, false))
        return SEAL_EINVAL;
    sess *e = seal_calloc(1, sizeof(*e));
    if (!e)
        return SEAL_ENOMEM;
    copy_str(e->info.username, sizeof(e->info.username), username);
    copy_str(e->info.database, sizeof(e->info.database), database);
    e->info.created_ms = e->info.last_activity_ms = now_ms;
    if ((rc = new_secret(id, true)) != 0 || (rc = digest(e->h.dig, id)) != 0)
        goto fail;
    pthread_mutex_lock(&s->mu);
    if (s->tab.n >= s->o.max_sessions) {
        rc = SEAL_ELIMIT;
    } else {
        dtab_put(&s->tab, &e->h);
        e = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc)
        goto fail;
    memcpy(id_out, id, sizeof(id));
    cry_cleanse(id, sizeof(id));
    return 0;
fail:
    cry_cleanse(id, sizeof(id));
    wipe_free(e, sizeof(*e));
    return rc;
}

/* Finds a live session (lock held); an expired one is closed. */
static sess *sess_find(auth_sessions *s, const char *id, int64_t now)
{
    uint8_t dig[CRY_SHA256_LEN];
    if (!id || !*id || digest(dig, id) != 0)
        return NULL;
    sess *e = (sess *)dtab_get(&s->tab, dig);
    cry_cleanse(dig, sizeof(dig));
    if (e && sess_state(s, e, now) != LIVE) {
        dtab_unlink(&s->tab, &e->h);
        wipe_free(e, sizeof(*e));
        e = NULL;
    }
    return e;
}

static int sess_op(auth_sessions *s, const char *id, int64_t now, bool touch, const char *db,
                   auth_session_info *out)
{
    int rc = 0;
    if (!s)
        return SEAL_EINVAL;
    pthread_mutex_lock(&s->mu);
    sess *e = sess_find(s, id, now);
    if (!e) {
        rc = SEAL_ENOTFOUND;
    } else {
        if (touch && now > e->info.last_activity_ms)
            e->info.last_activity_ms = now;
        if (db)
            copy_str(e->info.database, sizeof(e->info.database), db);
        if (out)
            *out = e->info;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int auth_sessions_get(auth_sessions *s, const char *id, int64_t now_ms, auth_session_info *out)
{
    return sess_op(s, id, now_ms, false, NULL, out);
}

int auth_sessions_touch(auth_sessions *s, const char *id, int64_t now_ms, auth_session_info *out)
{
    return sess_op(s, id, now_ms, true, NULL, out);
}

int auth_sessions_set_database(auth_sessions *s, const char *id, const char *database,
                               int64_t now_ms)
{
    if (!name_ok(database, USERS_DB_NAME_MAX, false))
        return SEAL_EINVAL;
    return sess_op(s, id, now_ms, true, database, NULL);
}

int auth_sessions_close(auth_sessions *s, const char *id)
{
    if (!s || !id || !*id)
        return SEAL_ENOTFOUND;
    return dtab_take(&s->tab, &s->mu, id, sizeof(sess), SEAL_ENOTFOUND);
}

static bool sess_of_user(const dnode *e, const void *arg)
{
    return strcmp(((const sess *)e)->info.username, (const char *)arg) == 0;
}

size_t auth_sessions_close_user(auth_sessions *s, const char *username)
{
    if (!s || !username)
        return 0;
    pthread_mutex_lock(&s->mu);
    size_t k = dtab_filter(&s->tab, sess_of_user, username, sizeof(sess));
    pthread_mutex_unlock(&s->mu);
    return k;
}

typedef struct sweep_arg {
    const auth_sessions *s;
    int64_t now;
    auth_sweep_stats st;
} sweep_arg;

static bool sess_sweep(const dnode *n, const void *arg)
{
    sweep_arg *a = (sweep_arg *)(uintptr_t)arg;
    const sess *e = (const sess *)n;
    switch (sess_state(a->s, e, a->now)) {
    case BY_AGE:
        a->st.closed_age++;
        return true;
    case BY_TIMEOUT:
        a->st.closed_timeout++;
        return true;
    default:
        break;
    }
    if (past(a->now - e->info.last_activity_ms, a->s->o.max_inactivity_ms))
        a->st.inactive++;
    return false;
}

size_t auth_sessions_sweep(auth_sessions *s, int64_t now_ms, auth_sweep_stats *st)
{
    sweep_arg a = {s, now_ms, {0}};
    pthread_mutex_lock(&s->mu);
    size_t k = dtab_filter(&s->tab, sess_sweep, &a, sizeof(sess));
    a.st.remaining = s->tab.n;
    pthread_mutex_unlock(&s->mu);
    if (st)
        *st = a.st;
    return k;
}

size_t auth_sessions_count(auth_sessions *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->tab.n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ----------------------------------------------------- failed-login backoff */
/* Counters keyed by "u:"+username or "a:"+address, in a chained hash table
 * plus a doubly linked list in least-recently-failed order for eviction. */
typedef struct bent {
    struct bent *hnext;       /* hash chain */
    struct bent *prev, *next; /* LRU: head = most recent failure */
    uint32_t failures;
    int64_t last_ms;
    int64_t until_ms;
    size_t klen;
    char key[]; /* NUL-terminated */
} bent;

struct auth_backoff {
    pthread_mutex_t mu;
    auth_backoff_options o;
    bent **b;
    size_t nb, n;
    bent *head, *tail;
};

static uint64_t fnv1a(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int auth_backoff_new(auth_backoff **out, const auth_backoff_options *o)
{
    auth_backoff *b = seal_calloc(1, sizeof(*b));
    if (!b)
        return SEAL_ENOMEM;
    if (o)
        b->o = *o;
    if (!b->o.free_user)
        b->o.free_user = 3;
    if (!b->o.free_addr)
        b->o.free_addr = 10;
    if (!b->o.base_ms)
        b->o.base_ms = 1000;
    if (!b->o.max_ms)
        b->o.max_ms = 60000;
    if (!b->o.forget_ms)
        b->o.forget_ms = 15 * MIN_MS;
    if (!b->o.capacity)
        b->o.capacity = 10000;
    if (b->o.base_ms < 0 || b->o.max_ms < b->o.base_ms || b->o.forget_ms < 0 || b->o.capacity < 2) {
        seal_free(b);
        return SEAL_EINVAL;
    }
    b->nb = 1;
    while (b->nb < b->o.capacity)
        b->nb <<= 1;
    b->b = seal_calloc(b->nb, sizeof(*b->b));
    if (!b->b || pthread_mutex_init(&b->mu, NULL) != 0) {
        seal_free(b->b);
        seal_free(b);
        return SEAL_ENOMEM;
    }
    *out = b;
    return 0;
}

static void lru_unlink(auth_backoff *b, bent *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        b->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        b->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(auth_backoff *b, bent *e)
{
    e->prev = NULL;
    e->next = b->head;
    if (b->head)
        b->head->prev = e;
    b->head = e;
    if (!b->tail)
        b->tail = e;
}

static void bent_remove(auth_backoff *b, bent *e)
{
    bent **pp = &b->b[fnv1a(e->key, e->klen) & (b->nb - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(b, e);
    b->n--;
    wipe_free(e, sizeof(*e) + e->klen + 1);
}

void auth_backoff_free(auth_backoff *b)
{
    if (!b)
        return;
    while (b->head)
        bent_remove(b, b->head);
    seal_free(b->b);
    pthread_mutex_destroy(&b->mu);
    seal_free(b);
}

/* "u:"/"a:" + name into |buf| (NULL if the name is absent or too long). */
static const char *bkey(char *buf, size_t cap, char kind, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n + 3 > cap)
        return NULL;
    buf[0] = kind;
    buf[1] = ':';
    memcpy(buf + 2, name, n + 1);
    return buf;
}

#define BKEY_MAX (USERS_DB_NAME_MAX + 3) /* room for an address or a username */

static bent *bent_find(const auth_backoff *b, const char *key)
{
    size_t n = strlen(key);
    for (bent *e = b->b[fnv1a(key, n) & (b->nb - 1)]; e; e = e->hnext)
        if (e->klen == n && memcmp(e->key, key, n) == 0)
            return e;
    return NULL;
}

static int64_t bent_wait(const auth_backoff *b, const bent *e, int64_t now)
{
    if (!e || now - e->last_ms >= b->o.forget_ms || e->until_ms <= now)
        return 0;
    return e->until_ms - now;
}

int64_t auth_backoff_wait(auth_backoff *b, const char *username, const char *addr, int64_t now_ms)
{
    char ku[BKEY_MAX], ka[BKEY_MAX];
    const char *k1 = bkey(ku, sizeof(ku), 'u', username), *k2 = bkey(ka, sizeof(ka), 'a', addr);
    int64_t w = 0;
    pthread_mutex_lock(&b->mu);
    if (k1)
        w = SEAL_MAX(w, bent_wait(b, bent_find(b, k1), now_ms));
    if (k2)
        w = SEAL_MAX(w, bent_wait(b, bent_find(b, k2), now_ms));
    pthread_mutex_unlock(&b->mu);
    return w;
}

/* The delay after |failures| with |free| allowed: base * 2^(over-1), capped. */
static int64_t delay_for(const auth_backoff *b, uint32_t failures, uint32_t free_n)
{
    if (failures <= free_n)
        return 0;
    int64_t d = b->o.base_ms;
    for (uint32_t i = 1; i < failures - free_n && d < b->o.max_ms; i++)
        d *= 2;
    return SEAL_MIN(d, b->o.max_ms);
}

/* Gets or creates the counter for |key| (lock held); may evict the least
 * recently failed one. NULL on allocation failure. */
static bent *bent_get(auth_backoff *b, const char *key, bent *keep)
{
    bent *e = bent_find(b, key);
    if (e)
        return e;
    size_t n = strlen(key);
    e = seal_calloc(1, sizeof(*e) + n + 1);
    if (!e)
        return NULL;
    memcpy(e->key, key, n + 1);
    e->klen = n;
    while (b->n >= b->o.capacity && b->tail && b->tail != keep)
        bent_remove(b, b->tail);
    size_t i = fnv1a(key, n) & (b->nb - 1);
    e->hnext = b->b[i];
    b->b[i] = e;
    lru_push(b, e);
    b->n++;
    return e;
}

static void bent_fail(auth_backoff *b, bent *e, uint32_t free_n, int64_t now)
{
    if (now - e->last_ms >= b->o.forget_ms)
        e->failures = 0;
    if (e->failures < UINT32_MAX)
        e->failures++;
    e->last_ms = now;
    e->until_ms = now + delay_for(b, e->failures, free_n);
    lru_unlink(b, e);
    lru_push(b, e);
}

int auth_backoff_failure(auth_backoff *b, const char *username, const char *addr, int64_t now_ms,
                         int64_t *wait_ms)
{
    char ku[BKEY_MAX], ka[BKEY_MAX];
    const char *k1 = bkey(ku, sizeof(ku), 'u', username), *k2 = bkey(ka, sizeof(ka), 'a', addr);
    bent *eu = NULL, *ea = NULL;
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    /* Allocate both first so that a failure changes no counter. */
    if (k1 && !(eu = bent_get(b, k1, NULL)))
        rc = SEAL_ENOMEM;
    if (rc == 0 && k2 && !(ea = bent_get(b, k2, eu)))
        rc = SEAL_ENOMEM;
    if (rc) {
        if (eu && eu->failures == 0)
            bent_remove(b, eu);
    } else {
        if (eu)
            bent_fail(b, eu, b->o.free_user, now_ms);
        if (ea)
            bent_fail(b, ea, b->o.free_addr, now_ms);
        if (wait_ms)
            *wait_ms = SEAL_MAX(bent_wait(b, eu, now_ms), bent_wait(b, ea, now_ms));
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void auth_backoff_success(auth_backoff *b, const char *username)
{
    char ku[BKEY_MAX];
    const char *k = bkey(ku, sizeof(ku), 'u', username);
    if (!k)
        return;
    pthread_mutex_lock(&b->mu);
    bent *e = bent_find(b, k);
    if (e)
        bent_remove(b, e);
    pthread_mutex_unlock(&b->mu);
}

size_t auth_backoff_count(auth_backoff *b)
{
    pthread_mutex_lock(&b->mu);
    size_t n = b->n;
    pthread_mutex_unlock(&b->mu);
    return n;
}
