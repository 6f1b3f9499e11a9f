/* database.c - one immudb database over a libseal store; see database.h and
 * docs/database.md. The structure follows immudb's pkg/database: every
 * check is made in immudb's order so that a bad request fails with the
 * message immudb gives for it, and nothing is written when a check fails. */
#include "db/database.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "db/kvenc.h"

/* ----------------------------------------------------------- errors */
static _Thread_local struct {
    int grpc;
    char msg[320];
} g_err;

const char *sdb_errmsg(void)
{
    return g_err.msg;
}

int sdb_errgrpc(void)
{
    return g_err.grpc;
}

/* Internal not-found flavours, mapped to SEAL_ENOTFOUND at the API edge.
 * immudb tells them apart: "key not found" is skipped by scans and is
 * accepted by some existence checks, the other two are not. */
#define RC_EXPIRED (-1001) /* key not found: expired entry */
#define RC_TXNF    (-1002) /* tx not found */

static bool is_knf(int rc)
{
    return rc == SEAL_ENOTFOUND || rc == RC_EXPIRED;
}

static int api_rc(int rc)
{
    return (rc == RC_EXPIRED || rc == RC_TXNF) ? SEAL_ENOTFOUND : rc;
}

static void err_clear(void)
{
    g_err.grpc = 0;
    g_err.msg[0] = 0;
}

__attribute__((format(printf, 3, 4))) static int fail(int rc, int grpc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err.msg, sizeof(g_err.msg), fmt, ap);
    va_end(ap);
    g_err.grpc = grpc;
    return rc;
}

int sdb_fail(int rc, int grpc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err.msg, sizeof(g_err.msg), fmt, ap);
    va_end(ap);
    g_err.grpc = grpc;
    return rc;
}

void sdb_err_clear(void)
{
    err_clear();
}

#define MSG_IA      "illegal arguments"
#define MSG_IS      "illegal state"
#define MSG_KNF     "key not found"
#define MSG_EXPIRED "key not found: expired entry"
#define MSG_TXNF    "tx not found"
#define MSG_MD_UNSUPPORTED                                                                         \
    "metadata is unsupported when in 1.1 compatibility mode, do not use metadata-related "         \
    "features such as expiration and logical deletion"
#define MSG_DUP_KEYS   "duplicated keys are not supported in single batch transaction"
#define MSG_RES_LIMIT  "key resolution limit reached. It may be due to cyclic references"
#define MSG_REF_IS_REF "referenced key cannot be a reference"
#define MSG_FINAL_KEY  "final key cannot be converted into a reference"
#define MSG_NOWAIT     "no wait operation must be self-contained: illegal arguments"

static int fail_ia(void)
{
    return fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, MSG_IA);
}

static int fail_knf(void)
{
    return fail(SEAL_ENOTFOUND, SDB_GRPC_UNKNOWN, MSG_KNF);
}

/* An engine failure: keep the engine's detail. */
static int fail_lib(int rc)
{
    if (rc == RC_EXPIRED || rc == RC_TXNF)
        return rc;
    if (rc == SEAL_ECLOSED)
        return fail(rc, SDB_GRPC_UNKNOWN, "already closed");
    const char *d = seal_last_error();
    return fail(rc, SDB_GRPC_UNKNOWN, "%s", d && *d ? d : seal_strerror(rc));
}

static int fail_limit(uint64_t limit, uint32_t max)
{
    return fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN,
                "result size limit exceeded: the specified limit (%llu) is larger than the "
                "maximum allowed one (%u)",
                (unsigned long long)limit, max);
}

/* ---------------------------------------------------------- the object */
struct sdb {
    char *name;
    seal_store *st;
    seal_options so;
    int version;
    uint32_t max_key_len, max_value_len, max_tx_entries;
    uint32_t max_result;
    const cry_key *signer;
    /* Shared by plain writes, exclusive for SetReference, ZAdd, ExecAll. */
    pthread_rwlock_t wlock;
    /* Asynchronous Sets queued under the shared lock and not finished yet:
     * an exclusive writer waits for them too (amu/acv). */
    atomic_int async_pending;
    pthread_mutex_t amu;
    pthread_cond_t acv;
};

/* Takes wlock exclusively, and waits for the asynchronous Sets queued
 * before (they left the lock when they were queued). */
static void wlock_exclusive(sdb *db)
{
    pthread_rwlock_wrlock(&db->wlock);
    if (atomic_load(&db->async_pending) > 0) {
        pthread_mutex_lock(&db->amu);
        while (atomic_load(&db->async_pending) > 0)
            pthread_cond_wait(&db->acv, &db->amu);
        pthread_mutex_unlock(&db->amu);
    }
}

void sdb_options_default(sdb_options *o)
{
    memset(o, 0, sizeof(*o));
    seal_options_default(&o->store);
    o->max_result_size = SDB_MAX_RESULT_SIZE;
}

int sdb_open(const char *dir, const char *name, const sdb_options *o, sdb **out)
{
    int rc;
    sdb_options def;
    err_clear();
    if (!dir || !name || !*name || !out)
        return fail_ia();
    if (!o) {
        sdb_options_default(&def);
        o = &def;
    }
    sdb *db = seal_calloc(1, sizeof(*db));
    if (!db)
        return SEAL_ENOMEM;
    db->name = seal_strdup(name);
    if (!db->name) {
        seal_free(db);
        return SEAL_ENOMEM;
    }
    db->so = o->store;
    db->max_result = o->max_result_size ? o->max_result_size : SDB_MAX_RESULT_SIZE;
    db->signer = o->signer;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&db->wlock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&db->amu, NULL);
    pthread_cond_init(&db->acv, NULL);
    if ((rc = seal_open(dir, &db->so, &db->st)) != 0) {
        fail_lib(rc);
        goto err;
    }
    seal_store_info info;
    if ((rc = seal_store_info_get(db->st, &info)) != 0) {
        fail_lib(rc);
        goto err;
    }
    db->version = info.tx_header_version;
    db->max_key_len = info.max_key_len;
    db->max_value_len = info.max_value_len;
    db->max_tx_entries = info.max_tx_entries;
    *out = db;
    return 0;
err:
    seal_close(db->st);
    pthread_rwlock_destroy(&db->wlock);
    pthread_mutex_destroy(&db->amu);
    pthread_cond_destroy(&db->acv);
    seal_free(db->name);
    seal_free(db);
    return rc;
}

int sdb_close(sdb *db)
{
    if (!db)
        return 0;
    int rc = seal_close(db->st);
    pthread_rwlock_destroy(&db->wlock);
    pthread_mutex_destroy(&db->amu);
    pthread_cond_destroy(&db->acv);
    seal_free(db->name);
    seal_free(db);
    return rc;
}

const char *sdb_name(const sdb *db)
{
    return db->name;
}

seal_store *sdb_store(sdb *db)
{
    return db->st;
}

int sdb_tx_header_version(const sdb *db)
{
    return db->version;
}

uint32_t sdb_max_result_size(const sdb *db)
{
    return db->max_result;
}

/* ------------------------------------------------------------ helpers */
static int64_t db_now(const sdb *db)
{
    if (db->so.clock)
        return db->so.clock(db->so.clock_arg);
    return (int64_t)time(NULL);
}

static bool md_any(const seal_kvmd *m)
{
    return m->deleted || m->has_expires || m->non_indexable;
}

static bool md_expired(const sdb *db, const seal_kvmd *m)
{
    return m->has_expires && m->expires_at <= db_now(db);
}

static uint64_t committed(sdb *db)
{
    uint64_t id = 0;
    uint8_t alh[32];
    seal_state(db->st, &id, alh);
    return id;
}

/* 0x00 || key, allocated. */
static uint8_t *enc_key(const uint8_t *key, size_t n, size_t *out_len)
{
    uint8_t *b = seal_malloc(n + 1);
    if (b)
        *out_len = kv_enc_key(b, n + 1, key, n);
    return b;
}

static uint8_t *dup_or_null(const uint8_t *p, size_t n)
{
    return n ? seal_memdup(p, n) : NULL;
}

void sdb_entry_clear(sdb_entry *e)
{
    if (!e)
        return;
    seal_free(e->key);
    seal_free(e->value);
    seal_free(e->ref.key);
    memset(e, 0, sizeof(*e));
}

void sdb_entries_free(sdb_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        sdb_entry_clear(&e[i]);
    seal_free(e);
}

void sdb_zentries_free(sdb_zentry *z, size_t n)
{
    if (!z)
        return;
    for (size_t i = 0; i < n; i++) {
        seal_free(z[i].set);
        seal_free(z[i].key);
        sdb_entry_clear(&z[i].entry);
    }
    seal_free(z);
}

void sdb_tx_clear(sdb_tx *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        seal_free(t->entries[i].key);
        seal_free(t->entries[i].value);
    }
    seal_free(t->entries);
    sdb_entries_free(t->kv, t->nkv);
    sdb_zentries_free(t->z, t->nz);
    memset(t, 0, sizeof(*t));
}

void sdb_txs_free(sdb_tx *t, size_t n)
{
    if (!t)
        return;
    for (size_t i = 0; i < n; i++)
        sdb_tx_clear(&t[i]);
    seal_free(t);
}

void sdb_vtx_clear(sdb_vtx *v)
{
    if (!v)
        return;
    sdb_tx_clear(&v->tx);
    seal_dual_proof_free(&v->proof);
    memset(v, 0, sizeof(*v));
}

void sdb_ventry_clear(sdb_ventry *v)
{
    if (!v)
        return;
    sdb_entry_clear(&v->entry);
    sdb_vtx_clear(&v->vtx);
    seal_entry_proof_free(&v->inclusion);
    memset(v, 0, sizeof(*v));
}

/* A growing array. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need)
        c *= 2;
    void *n = seal_realloc(*arr, c * elem);
    if (!n)
        return SEAL_ENOMEM;
    memset((uint8_t *)n + *cap * elem, 0, (c - *cap) * elem);
    *arr = n;
    *cap = c;
    return 0;
}

/* A set of byte strings (duplicate detection), open addressing. */
struct bset_ent {
    uint64_t h;
    const uint8_t *p;
    size_t n;
    bool used;
};
struct bset {
    struct bset_ent *t;
    size_t cap;
};

static uint64_t bhash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static int bset_init(struct bset *s, size_t count)
{
    size_t cap = 16;
    while (cap < count * 2 + 2)
        cap *= 2;
    s->t = seal_calloc(cap, sizeof(*s->t));
    s->cap = cap;
    return s->t ? 0 : SEAL_ENOMEM;
}

static void bset_free(struct bset *s)
{
    seal_free(s->t);
    s->t = NULL;
}

static bool bset_has(const struct bset *s, const uint8_t *p, size_t n)
{
    uint64_t h = bhash(p, n);
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        const struct bset_ent *e = &s->t[i];
        if (!e->used)
            return false;
        if (e->h == h && e->n == n && (n == 0 || memcmp(e->p, p, n) == 0))
            return true;
    }
}

/* Adds (p, n), borrowed; returns true if it was already there. The caller
 * sized the set for every insertion. */
static bool bset_add(struct bset *s, const uint8_t *p, size_t n)
{
    uint64_t h = bhash(p, n);
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        struct bset_ent *e = &s->t[i];
        if (!e->used) {
            *e = (struct bset_ent){.h = h, .p = p, .n = n, .used = true};
            return false;
        }
        if (e->h == h && e->n == n && (n == 0 || memcmp(e->p, p, n) == 0))
            return true;
    }
}

/* ------------------------------------------------- reading one version */
/* One stored version of a key, value with its prefix (owned). */
typedef struct rawv {
    uint64_t tx, rev;
    seal_kvmd md;
    uint8_t *val;
    size_t vlen;
} rawv;

/* Latest version through the index, with immudb's filters: expired first
 * ("key not found: expired entry"), then deleted ("key not found"). */
static int read_latest(sdb *db, seal_snap *snap, const uint8_t *k, size_t kl, rawv *out)
{
    seal_entry e;
    int rc = seal_snap_get(snap, k, kl, NULL, &e);
    if (rc == SEAL_ENOTFOUND) {
        seal_entry *h = NULL;
        size_t n = 0;
        bool expired = false;
        if (seal_snap_history(snap, k, kl, 0, 1, 1, 0, &h, &n) == 0 && n == 1)
            expired = md_expired(db, &h[0].md);
        seal_entries_free(h, n);
        if (expired)
            return fail(RC_EXPIRED, SDB_GRPC_UNKNOWN, MSG_EXPIRED);
        return fail_knf();
    }
    if (rc)
        return fail_lib(rc);
    out->tx = e.tx;
    out->rev = e.revision;
    out->md = e.md;
    out->val = e.value;
    out->vlen = e.value_len;
    e.value = NULL;
    seal_entry_clear(&e);
    if (out->vlen == 0) {
        seal_free(out->val);
        out->val = NULL;
    }
    return 0;
}

/* The entry with key |k| in tx |at_tx| read from the log (immudb's
 * ReadTxEntry + ReadValue): "tx not found", "key not found", expired. */
static int read_at_tx(sdb *db, const uint8_t *k, size_t kl, uint64_t at_tx, rawv *out)
{
    seal_txinfo *ti = NULL;
    int rc;
    if (at_tx == 0)
        return fail_ia();
    rc = seal_tx_read(db->st, at_tx, 0, &ti);
    if (rc == SEAL_ENOTFOUND)
        return fail(RC_TXNF, SDB_GRPC_UNKNOWN, MSG_TXNF);
    if (rc)
        return fail_lib(rc);
    const seal_txentry *te = NULL;
    for (size_t i = 0; i < ti->n; i++) {
        if (ti->entries[i].key_len == kl && memcmp(ti->entries[i].key, k, kl) == 0) {
            te = &ti->entries[i];
            break;
        }
    }
    if (!te) {
        rc = fail_knf();
        goto out;
    }
    if (md_expired(db, &te->md)) {
        rc = fail(RC_EXPIRED, SDB_GRPC_UNKNOWN, MSG_EXPIRED);
        goto out;
    }
    uint8_t *v = NULL;
    if (te->vlen && (rc = seal_value_read(db->st, te->vloc, te->vlen, te->hval, &v)) != 0) {
        fail_lib(rc);
        goto out;
    }
    out->tx = at_tx;
    out->rev = 0;
    out->md = te->md;
    out->val = v;
    out->vlen = te->vlen;
out:
    seal_txinfo_free(ti);
    return rc;
}

static int entry_fill(sdb_entry *e, uint64_t tx, const uint8_t *key, size_t klen,
                      const uint8_t *val, size_t vlen, const seal_kvmd *md, uint64_t rev)
{
    memset(e, 0, sizeof(*e));
    e->tx = tx;
    e->key = seal_memdup(key, klen);
    e->key_len = klen;
    e->value = dup_or_null(val, vlen);
    e->value_len = vlen;
    if (md) {
        e->md = *md;
        e->has_md = md_any(md);
    }
    e->revision = rev;
    if (!e->key || (vlen && !e->value)) {
        sdb_entry_clear(e);
        return SEAL_ENOMEM;
    }
    return 0;
}

static int get_at_tx(sdb *db, seal_snap *snap, const uint8_t *key, size_t klen, uint64_t at_tx,
                     int resolved, uint64_t revision, sdb_entry *out);

/* immudb's resolveValue: |key| is the stored (prefixed) key, |rv| the
 * version read (consumed). snap NULL = leave references unresolved. */
static int resolve_value(sdb *db, seal_snap *snap, const uint8_t *key, size_t klen, rawv *rv,
                         int resolved, sdb_entry *out)
{
    int rc = 0;
    sdb_entry e;
    memset(&e, 0, sizeof(e));
    if (rv->md.deleted) {
        rc = fail_knf();
        goto out;
    }
    if (rv->vlen < 1) {
        rc = fail(SEAL_ECORRUPT, SDB_GRPC_UNKNOWN,
                  "data is corrupted: internal value consistency error - missing value prefix");
        goto out;
    }
    if (rv->val[0] == KV_REF_VALUE) {
        if (rv->vlen < 1 + 8 + 1) {
            rc = fail(SEAL_ECORRUPT, SDB_GRPC_UNKNOWN,
                      "data is corrupted: internal value consistency error - invalid reference");
            goto out;
        }
        if (resolved == 1) {
            rc = fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN, MSG_RES_LIMIT);
            goto out;
        }
        uint64_t at = seal_get_u64(rv->val + 1);
        const uint8_t *rk = rv->val + 9;
        size_t rkl = rv->vlen - 9;
        if (snap) {
            if ((rc = get_at_tx(db, snap, rk, rkl, at, resolved + 1, 0, &e)) != 0)
                goto out;
        } else {
            if ((rc = entry_fill(&e, at, rk + 1, rkl - 1, NULL, 0, NULL, 0)) != 0)
                goto out;
        }
        e.has_ref = true;
        e.ref.tx = rv->tx;
        e.ref.key = seal_memdup(key + 1, klen - 1);
        e.ref.key_len = klen - 1;
        e.ref.md = rv->md;
        e.ref.has_md = md_any(&rv->md);
        e.ref.at_tx = at;
        e.ref.revision = rv->rev;
        if (!e.ref.key && klen > 1) {
            rc = SEAL_ENOMEM;
            goto out;
        }
    } else {
        if ((rc = entry_fill(&e, rv->tx, key + 1, klen - 1, rv->val + 1, rv->vlen - 1, &rv->md,
                             rv->rev)) != 0)
            goto out;
    }
    *out = e;
    memset(&e, 0, sizeof(e));
out:
    sdb_entry_clear(&e);
    seal_free(rv->val);
    rv->val = NULL;
    return rc;
}

/* immudb's getAtTx: latest version through |snap| (at_tx 0, revision =
 * the version's) or the entry written by tx at_tx (revision as given). */
static int get_at_tx(sdb *db, seal_snap *snap, const uint8_t *key, size_t klen, uint64_t at_tx,
                     int resolved, uint64_t revision, sdb_entry *out)
{
    rawv rv;
    memset(&rv, 0, sizeof(rv));
    int rc;
    if (at_tx == 0) {
        if (!snap)
            return fail_ia();
        rc = read_latest(db, snap, key, klen, &rv);
    } else {
        rc = read_at_tx(db, key, klen, at_tx, &rv);
        rv.rev = revision;
    }
    if (rc)
        return rc;
    return resolve_value(db, snap, key, klen, &rv, resolved, out);
}

/* A snapshot that includes |since| (0 = the last committed tx): immudb's
 * snapshotSince. since beyond the last tx is a bare "illegal arguments". */
static int snap_since(sdb *db, uint64_t since, seal_snap **out)
{
    if (since > committed(db))
        return fail_ia();
    int rc = seal_snap_begin(db->st, since, 0, 0, out);
    return rc ? fail_lib(rc) : 0;
}

/* ---------------------------------------------------- building writes */
static int add_entry(sdb *db, seal_tx *tx, size_t idx, const uint8_t *k, size_t kl,
                     const uint8_t *v, size_t vl, const seal_kvmd *md)
{
    if (kl > db->max_key_len)
        return fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN, "max key length exceeded");
    if (vl > db->max_value_len)
        return fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN, "max value length exceeded");
    if (idx > db->max_tx_entries)
        return fail(SEAL_ETXTOOLARGE, SDB_GRPC_UNKNOWN, "max number of entries per tx exceeded");
    if (md && md_any(md) && db->version == 0)
        return fail(SEAL_EUNSUPPORTED, SDB_GRPC_UNKNOWN, MSG_MD_UNSUPPORTED);
    if (md && md->has_expires && md->expires_at < 0)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "illegal arguments: invalid expiration time");
    if (idx == db->max_tx_entries)
        return 0; /* counted, refused after the other checks (see check_counts) */
    int rc = seal_tx_add(tx, k, kl, v, vl, md);
    if (rc == SEAL_ETXTOOLARGE)
        return fail(rc, SDB_GRPC_UNKNOWN, "max number of entries per tx exceeded");
    if (rc == SEAL_EUNSUPPORTED)
        return fail(rc, SDB_GRPC_UNKNOWN, MSG_MD_UNSUPPORTED);
    return rc ? fail_lib(rc) : 0;
}

/* Preconditions. |wrapped|: Set and SetReference add them one by one and
 * wrap validation errors once more, as immudb does. */
static int add_preconds(sdb *db, seal_tx *tx, const sdb_precond *pre, size_t npre, bool wrapped)
{
    const char *w = wrapped ? "invalid precondition: " : "";
    for (size_t i = 0; i < npre; i++) {
        const sdb_precond *p = &pre[i];
        if (p->kind < SDB_PRE_KEY_MUST_EXIST || p->kind > SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX)
            return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "invalid precondition: null");
        if (!p->key_len)
            return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "invalid precondition: null key");
    }
    for (size_t i = 0; i < npre; i++) {
        const sdb_precond *p = &pre[i];
        if (p->key_len + 1 > db->max_key_len)
            return fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN,
                        "%sinvalid precondition: max key length exceeded", w);
        if (p->kind == SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX && p->tx_id == 0)
            return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                        "%sinvalid precondition: invalid transaction ID", w);
    }
    if (npre > db->max_tx_entries)
        return 0; /* refused at commit time (check_counts) */
    for (size_t i = 0; i < npre; i++) {
        const sdb_precond *p = &pre[i];
        size_t kl;
        uint8_t *k = enc_key(p->key, p->key_len, &kl);
        if (!k)
            return SEAL_ENOMEM;
        int rc = p->kind == SDB_PRE_KEY_MUST_EXIST ? seal_tx_require_exists(tx, k, kl)
                 : p->kind == SDB_PRE_KEY_MUST_NOT_EXIST
                     ? seal_tx_require_absent(tx, k, kl)
                     : seal_tx_require_not_modified_after(tx, k, kl, p->tx_id);
        seal_free(k);
        if (rc)
            return fail_lib(rc);
    }
    return 0;
}

/* What immudb checks when the tx is committed: no entries, too many
 * entries, too many preconditions. */
static int check_counts(sdb *db, size_t n, size_t npre)
{
    if (n == 0)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "no entries provided");
    if (n > db->max_tx_entries)
        return fail(SEAL_ETXTOOLARGE, SDB_GRPC_UNKNOWN, "max number of entries per tx exceeded");
    if (npre > db->max_tx_entries)
        return fail(SEAL_ELIMIT, SDB_GRPC_UNKNOWN, "invalid precondition: too many preconditions");
    return 0;
}

static const char *pre_name(int kind)
{
    return kind == SDB_PRE_KEY_MUST_EXIST       ? "KeyMustExist"
           : kind == SDB_PRE_KEY_MUST_NOT_EXIST ? "KeyMustNotExist"
                                                : "KeyNotModifiedAfterTxID";
}

/* Maps a failed commit; a failed precondition names the first one that
 * failed. */
static int commit_err(int rc, const sdb_precond *pre, size_t npre)
{
    if (rc == SEAL_EPRECONDITION) {
        size_t idx = 0;
        if (sscanf(seal_last_error(), "precondition %zu", &idx) != 1 || idx >= npre)
            idx = 0;
        return fail(rc, SDB_GRPC_FAILED_PRECONDITION, "precondition failed: %s",
                    npre ? pre_name(pre[idx].kind) : "unknown");
    }
    if (rc == SEAL_EDUPLICATE)
        return fail(rc, SDB_GRPC_UNKNOWN, "duplicated key");
    if (rc == SEAL_EUNSUPPORTED)
        return fail(rc, SDB_GRPC_UNKNOWN, MSG_MD_UNSUPPORTED);
    return fail_lib(rc);
}

static int commit(sdb *db, seal_tx *tx, const sdb_precond *pre, size_t npre, seal_txhdr *hdr)
{
    int rc = seal_tx_commit(db->st, tx, hdr);
    return rc ? commit_err(rc, pre, npre) : 0;
}

/* Commits and waits for the index in one sleep (see seal_tx_commit_indexed).
 * *index_rc: the index wait's outcome when the commit succeeded. */
static int commit_indexed(sdb *db, seal_tx *tx, const sdb_precond *pre, size_t npre,
                          seal_txhdr *hdr, int *index_rc)
{
    int rc = seal_tx_commit_indexed(db->st, tx, hdr, index_rc);
    return rc ? commit_err(rc, pre, npre) : 0;
}

static int wait_indexed(sdb *db, bool no_wait, uint64_t id)
{
    if (no_wait)
        return 0;
    int rc = seal_index_wait(db->st, id, 0);
    return rc ? fail_lib(rc) : 0;
}

/* ---------------------------------------------------------------- Set */
/* Builds the tx of a Set into *out (seal_tx_free) after checking it. */
static int build_set_tx(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre,
                        seal_tx **out)
{
    int rc;
    seal_tx *tx = NULL;
    struct bset seen = {0};
    uint8_t *buf = NULL;
    size_t bcap = 0;
    if ((rc = seal_tx_new(db->st, &tx)) != 0)
        return fail_lib(rc);
    if (n > 1 && (rc = bset_init(&seen, n)) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const sdb_kv *kv = &kvs[i];
        if (!kv->key_len) {
            rc = fail_ia();
            goto out;
        }
        if (n > 1 && bset_add(&seen, kv->key, kv->key_len)) {
            rc = fail(SEAL_EDUPLICATE, SDB_GRPC_INVALID_ARGUMENT, MSG_DUP_KEYS);
            goto out;
        }
        size_t need = kv->key_len + kv->value_len + 2;
        if (need > bcap) {
            uint8_t *nb = seal_realloc(buf, need);
            if (!nb) {
                rc = SEAL_ENOMEM;
                goto out;
            }
            buf = nb;
            bcap = need;
        }
        size_t kl = kv_enc_key(buf, bcap, kv->key, kv->key_len);
        size_t vl = kv_enc_value(buf + kl, bcap - kl, kv->value, kv->value_len);
        if ((rc = add_entry(db, tx, i, buf, kl, buf + kl, vl, kv->md)) != 0)
            goto out;
    }
    if ((rc = add_preconds(db, tx, pre, npre, true)) != 0)
        goto out;
    if ((rc = check_counts(db, n, npre)) != 0)
        goto out;
    *out = tx;
    tx = NULL;
out:
    bset_free(&seen);
    seal_free(buf);
    seal_tx_free(tx);
    return rc;
}

/* |index_rc| NULL: commit only; else commit and wait for the index, its
 * outcome there. */
static int set_locked(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre,
                      seal_txhdr *hdr, int *index_rc)
{
    seal_tx *tx = NULL;
    int rc = build_set_tx(db, kvs, n, pre, npre, &tx);
    if (rc == 0)
        rc = index_rc ? commit_indexed(db, tx, pre, npre, hdr, index_rc)
                      : commit(db, tx, pre, npre, hdr);
    seal_tx_free(tx);
    return rc;
}

int sdb_set(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre, bool no_wait,
            seal_txhdr *out)
{
    err_clear();
    seal_txhdr hdr;
    int irc = 0;
    pthread_rwlock_rdlock(&db->wlock);
    int rc = set_locked(db, kvs, n, pre, npre, &hdr, no_wait ? NULL : &irc);
    pthread_rwlock_unlock(&db->wlock);
    if (rc == 0 && irc != 0)
        rc = fail_lib(irc);
    if (rc == 0 && out)
        *out = hdr;
    return api_rc(rc);
}

/* An asynchronous Set on its way (seal_tx_commit_async). */
struct aset {
    sdb *db;
    seal_tx *tx;
    sdb_set_cb cb;
    void *ud;
};

static void async_leave(sdb *db)
{
    if (atomic_fetch_sub(&db->async_pending, 1) == 1) {
        pthread_mutex_lock(&db->amu);
        pthread_cond_broadcast(&db->acv);
        pthread_mutex_unlock(&db->amu);
    }
}

static void aset_done(void *ud, int rc, const seal_txhdr *hdr, int index_rc)
{
    struct aset *a = ud;
    err_clear();
    if (rc)
        rc = commit_err(rc, NULL, 0);
    else if (index_rc)
        rc = fail_lib(index_rc);
    sdb *db = a->db;
    sdb_set_cb cb = a->cb;
    void *cud = a->ud;
    seal_tx_free(a->tx);
    seal_free(a);
    /* Before the callback: it may release the database. */
    async_leave(db);
    cb(cud, api_rc(rc), rc ? NULL : hdr);
}

int sdb_set_async(sdb *db, const sdb_kv *kvs, size_t n, bool no_wait, sdb_set_cb cb, void *ud)
{
    err_clear();
    if (!cb)
        return fail_ia();
    /* An exclusive write (SetReference, ZAdd, ExecAll) holds the database:
     * waiting for it would block the caller. */
    if (pthread_rwlock_tryrdlock(&db->wlock) != 0)
        return SEAL_EBUSY;
    seal_tx *tx = NULL;
    struct aset *a = NULL;
    int rc = build_set_tx(db, kvs, n, NULL, 0, &tx);
    if (rc == 0 && !(a = seal_calloc(1, sizeof(*a))))
        rc = fail(SEAL_ENOMEM, SDB_GRPC_UNKNOWN, "out of memory");
    if (rc == 0) {
        a->db = db;
        a->tx = tx;
        a->cb = cb;
        a->ud = ud;
        /* Counted while the shared lock is held: an exclusive writer that
         * gets the lock next waits for this Set to finish (wlock_exclusive). */
        atomic_fetch_add(&db->async_pending, 1);
        int crc =
            seal_tx_commit_async(db->st, tx, no_wait ? 0 : SEAL_COMMIT_WAIT_INDEX, aset_done, a);
        if (crc) {
            async_leave(db);
            seal_free(a);
            rc = commit_err(crc, NULL, 0);
        }
    }
    pthread_rwlock_unlock(&db->wlock);
    if (rc)
        seal_tx_free(tx);
    return api_rc(rc);
}

/* ------------------------------------------------------------- Delete */
static int delete_locked(sdb *db, const sdb_key *keys, size_t n, uint64_t since_tx, seal_txhdr *hdr)
{
    int rc;
    seal_tx *tx = NULL;
    seal_snap *snap = NULL;
    struct bset seen = {0};
    uint64_t c = committed(db);
    if (since_tx > c)
        return fail(RC_TXNF, SDB_GRPC_UNKNOWN, MSG_TXNF);
    if ((rc = seal_snap_begin(db->st, since_tx ? since_tx : c, 0, 0, &snap)) != 0)
        return fail_lib(rc);
    if ((rc = seal_tx_new(db->st, &tx)) != 0) {
        fail_lib(rc);
        goto out;
    }
    if ((rc = bset_init(&seen, n)) != 0)
        goto out;
    seal_kvmd del = {.deleted = 1};
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i].key_len) {
            rc = fail_ia();
            goto out;
        }
        size_t kl;
        uint8_t *k = enc_key(keys[i].key, keys[i].key_len, &kl);
        if (!k) {
            rc = SEAL_ENOMEM;
            goto out;
        }
        if (bset_has(&seen, keys[i].key, keys[i].key_len)) {
            seal_free(k); /* deleted twice in one request: one entry, as immudb */
            continue;
        }
        rawv rv;
        memset(&rv, 0, sizeof(rv));
        rc = read_latest(db, snap, k, kl, &rv);
        seal_free(rv.val);
        if (rc == 0)
            rc = add_entry(db, tx, added, k, kl, NULL, 0, &del);
        /* MVCC as immudb: the key must still be at the version read. */
        if (rc == 0 && (rc = seal_tx_require_not_modified_after(tx, k, kl, rv.tx)) != 0)
            fail_lib(rc);
        seal_free(k);
        if (rc)
            goto out;
        bset_add(&seen, keys[i].key, keys[i].key_len);
        added++;
    }
    if ((rc = check_counts(db, added, 0)) != 0)
        goto out;
    rc = seal_tx_commit(db->st, tx, hdr);
    if (rc == SEAL_EPRECONDITION)
        rc = fail(SEAL_EPRECONDITION, SDB_GRPC_UNKNOWN, "tx read conflict");
    else if (rc)
        rc = commit_err(rc, NULL, 0);
out:
    bset_free(&seen);
    seal_tx_free(tx);
    seal_snap_end(snap);
    return rc;
}

int sdb_delete(sdb *db, const sdb_key *keys, size_t n, uint64_t since_tx, bool no_wait,
               seal_txhdr *out)
{
    err_clear();
    seal_txhdr hdr;
    pthread_rwlock_rdlock(&db->wlock);
    int rc = delete_locked(db, keys, n, since_tx, &hdr);
    pthread_rwlock_unlock(&db->wlock);
    if (rc == 0)
        rc = wait_indexed(db, no_wait, hdr.id);
    if (rc == 0 && out)
        *out = hdr;
    return api_rc(rc);
}

/* ------------------------------------------------ SetReference / ZAdd */
/* Is (key -> at_tx) usable as the target of a reference or set member:
 * it must exist and not be a reference itself. */
static int check_referenced(sdb *db, seal_snap *snap, const uint8_t *key, size_t klen,
                            uint64_t at_tx)
{
    size_t kl;
    uint8_t *k = enc_key(key, klen, &kl);
    if (!k)
        return SEAL_ENOMEM;
    sdb_entry e;
    int rc = get_at_tx(db, snap, k, kl, at_tx, 0, 0, &e);
    seal_free(k);
    if (rc)
        return rc;
    if (e.has_ref)
        rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, MSG_REF_IS_REF);
    sdb_entry_clear(&e);
    return rc;
}

/* A key about to become a reference must not exist as a plain key
 * (immudb: only "key not found" itself is accepted as absence). */
static int check_ref_key(sdb *db, seal_snap *snap, const uint8_t *key, size_t klen, uint64_t at_tx)
{
    size_t kl;
    uint8_t *k = enc_key(key, klen, &kl);
    if (!k)
        return SEAL_ENOMEM;
    sdb_entry e;
    int rc = get_at_tx(db, snap, k, kl, at_tx, 0, 0, &e);
    seal_free(k);
    if (rc == SEAL_ENOTFOUND) {
        err_clear();
        return 0;
    }
    if (rc)
        return rc;
    if (!e.has_ref)
        rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, MSG_FINAL_KEY);
    sdb_entry_clear(&e);
    return rc;
}

/* Adds the reference entry key -> ref_key@at. */
static int add_ref_entry(sdb *db, seal_tx *tx, size_t idx, const uint8_t *key, size_t klen,
                         const uint8_t *rk, size_t rkl, uint64_t at)
{
    size_t vn = kv_enc_ref_value(NULL, 0, rk, rkl, at);
    uint8_t *b = seal_malloc(klen + 1 + vn);
    if (!b)
        return SEAL_ENOMEM;
    size_t kn = kv_enc_key(b, klen + 1, key, klen);
    kv_enc_ref_value(b + kn, vn, rk, rkl, at);
    int rc = add_entry(db, tx, idx, b, kn, b + kn, vn, NULL);
    seal_free(b);
    return rc;
}

static int add_zadd_entry(sdb *db, seal_tx *tx, size_t idx, const uint8_t *set, size_t slen,
                          double score, const uint8_t *key, size_t klen, uint64_t at)
{
    size_t zn = kv_enc_zkey(NULL, 0, set, slen, score, key, klen, at);
    uint8_t *z = seal_malloc(zn);
    if (!z)
        return SEAL_ENOMEM;
    kv_enc_zkey(z, zn, set, slen, score, key, klen, at);
    int rc = add_entry(db, tx, idx, z, zn, NULL, 0, NULL);
    seal_free(z);
    return rc;
}

static int setref_locked(sdb *db, const uint8_t *key, size_t klen, const uint8_t *rk, size_t rkl,
                         uint64_t at_tx, const sdb_precond *pre, size_t npre, seal_txhdr *hdr)
{
    int rc;
    seal_snap *snap = NULL;
    seal_tx *tx = NULL;
    if ((rc = seal_snap_begin(db->st, 0, 0, 0, &snap)) != 0)
        return fail_lib(rc);
    if ((rc = check_ref_key(db, snap, key, klen, at_tx)) != 0 ||
        (rc = check_referenced(db, snap, rk, rkl, at_tx)) != 0)
        goto out;
    if ((rc = seal_tx_new(db->st, &tx)) != 0) {
        fail_lib(rc);
        goto out;
    }
    if ((rc = add_ref_entry(db, tx, 0, key, klen, rk, rkl, at_tx)) != 0 ||
        (rc = add_preconds(db, tx, pre, npre, true)) != 0 || (rc = check_counts(db, 1, npre)) != 0)
        goto out;
    rc = commit(db, tx, pre, npre, hdr);
out:
    seal_tx_free(tx);
    seal_snap_end(snap);
    return rc;
}

int sdb_set_reference(sdb *db, const uint8_t *key, size_t key_len, const uint8_t *ref_key,
                      size_t ref_len, uint64_t at_tx, bool bound_ref, const sdb_precond *pre,
                      size_t npre, bool no_wait, seal_txhdr *out)
{
    err_clear();
    if (!key_len || !ref_len || (at_tx == 0 && bound_ref) || (at_tx > 0 && !bound_ref))
        return fail_ia();
    seal_txhdr hdr;
    wlock_exclusive(db);
    int rc = setref_locked(db, key, key_len, ref_key, ref_len, at_tx, pre, npre, &hdr);
    pthread_rwlock_unlock(&db->wlock);
    if (rc == 0)
        rc = wait_indexed(db, no_wait, hdr.id);
    if (rc == 0 && out)
        *out = hdr;
    return api_rc(rc);
}

static int zadd_locked(sdb *db, const uint8_t *set, size_t slen, double score, const uint8_t *key,
                       size_t klen, uint64_t at_tx, seal_txhdr *hdr)
{
    int rc;
    seal_snap *snap = NULL;
    seal_tx *tx = NULL;
    if ((rc = seal_snap_begin(db->st, 0, 0, 0, &snap)) != 0)
        return fail_lib(rc);
    if ((rc = check_referenced(db, snap, key, klen, at_tx)) != 0)
        goto out;
    if ((rc = seal_tx_new(db->st, &tx)) != 0) {
        fail_lib(rc);
        goto out;
    }
    if ((rc = add_zadd_entry(db, tx, 0, set, slen, score, key, klen, at_tx)) != 0)
        goto out;
    rc = commit(db, tx, NULL, 0, hdr);
out:
    seal_tx_free(tx);
    seal_snap_end(snap);
    return rc;
}

int sdb_zadd(sdb *db, const uint8_t *set, size_t set_len, double score, const uint8_t *key,
             size_t key_len, uint64_t at_tx, bool bound_ref, bool no_wait, seal_txhdr *out)
{
    err_clear();
    if (!set_len || !key_len || (at_tx == 0 && bound_ref) || (at_tx > 0 && !bound_ref))
        return fail_ia();
    seal_txhdr hdr;
    wlock_exclusive(db);
    int rc = zadd_locked(db, set, set_len, score, key, key_len, at_tx, &hdr);
    pthread_rwlock_unlock(&db->wlock);
    if (rc == 0)
        rc = wait_indexed(db, no_wait, hdr.id);
    if (rc == 0 && out)
        *out = hdr;
    return api_rc(rc);
}

/* ------------------------------------------------------------ ExecAll */
/* immudb's ExecAllRequest.Validate: duplicates are detected on joined
 * byte strings (key; set||key||atTx; key||referencedKey||atTx), in one
 * set shared by every kind of operation. */
static int exec_validate(const sdb_op *ops, size_t n)
{
    if (n == 0)
        return fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "empty set");
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind == SDB_OP_ZADD)
            total += ops[i].set_len + ops[i].key_len + 21;
        else if (ops[i].kind == SDB_OP_REF)
            total += ops[i].key_len + ops[i].ref_len + 21;
    }
    uint8_t *arena = seal_malloc(total ? total : 1);
    struct bset s = {0};
    int rc = arena ? bset_init(&s, 2 * n) : SEAL_ENOMEM;
    size_t pos = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sdb_op *o = &ops[i];
        char num[24];
        int nl;
        switch (o->kind) {
        case SDB_OP_KV:
            if (bset_add(&s, o->key, o->key_len))
                rc = fail(SEAL_EDUPLICATE, SDB_GRPC_INVALID_ARGUMENT, "%s: key/reference '%.*s'",
                          MSG_DUP_KEYS, (int)o->key_len, (const char *)o->key);
            break;
        case SDB_OP_ZADD: {
            nl = snprintf(num, sizeof(num), "%llu", (unsigned long long)o->at_tx);
            uint8_t *j = arena + pos;
            if (o->set_len)
                memcpy(j, o->set, o->set_len);
            if (o->key_len)
                memcpy(j + o->set_len, o->key, o->key_len);
            memcpy(j + o->set_len + o->key_len, num, (size_t)nl);
            size_t jl = o->set_len + o->key_len + (size_t)nl;
            pos += jl;
            if (bset_add(&s, j, jl))
                rc = fail(SEAL_EDUPLICATE, SDB_GRPC_INVALID_ARGUMENT,
                          "duplicated index inside zAdd insertions are not supported in single "
                          "batch transaction");
            break;
        }
        case SDB_OP_REF: {
            if (bset_add(&s, o->key, o->key_len)) {
                rc = fail(SEAL_EDUPLICATE, SDB_GRPC_INVALID_ARGUMENT, "%s: key/reference '%.*s'",
                          MSG_DUP_KEYS, (int)o->key_len, (const char *)o->key);
                break;
            }
            nl = snprintf(num, sizeof(num), "%llu", (unsigned long long)o->at_tx);
            uint8_t *j = arena + pos;
            if (o->key_len)
                memcpy(j, o->key, o->key_len);
            if (o->ref_len)
                memcpy(j + o->key_len, o->ref_key, o->ref_len);
            memcpy(j + o->key_len + o->ref_len, num, (size_t)nl);
            size_t jl = o->key_len + o->ref_len + (size_t)nl;
            pos += jl;
            if (bset_add(&s, j, jl))
                rc = fail(SEAL_EDUPLICATE, SDB_GRPC_INVALID_ARGUMENT,
                          "duplicated references insertions are not supported in single batch "
                          "transaction");
            break;
        }
        default:
            rc = fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "operation is not set");
        }
    }
    bset_free(&s);
    seal_free(arena);
    return rc;
}

static int exec_locked(sdb *db, const sdb_op *ops, size_t n, const sdb_precond *pre, size_t npre,
                       bool no_wait, seal_txhdr *hdr)
{
    int rc;
    seal_snap *snap = NULL;
    seal_tx *tx = NULL;
    struct bset kmap = {0};
    bool uses_id = false;
    if (!no_wait && (rc = seal_snap_begin(db->st, 0, 0, 0, &snap)) != 0)
        return fail_lib(rc);
    /* Every writer holds the lock: the next tx id is ours. */
    uint64_t tx_id = committed(db) + 1;
    if ((rc = seal_tx_new(db->st, &tx)) != 0) {
        fail_lib(rc);
        goto out;
    }
    if ((rc = bset_init(&kmap, n)) != 0)
        goto out;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sdb_op *o = &ops[i];
        if (o->kind == SDB_OP_KV) {
            bset_add(&kmap, o->key, o->key_len);
            if (!o->key_len) {
                rc = fail_ia();
                break;
            }
            size_t kn = o->key_len + 1, vn = o->value_len + 1;
            uint8_t *b = seal_malloc(kn + vn);
            if (!b) {
                rc = SEAL_ENOMEM;
                break;
            }
            kv_enc_key(b, kn, o->key, o->key_len);
            kv_enc_value(b + kn, vn, o->value, o->value_len);
            rc = add_entry(db, tx, i, b, kn, b + kn, vn, o->md);
            seal_free(b);
        } else if (o->kind == SDB_OP_REF) {
            if (!o->key_len || !o->ref_len || (o->at_tx > 0 && !o->bound_ref)) {
                rc = fail_ia();
                break;
            }
            if (no_wait && (o->at_tx != 0 || !o->bound_ref)) {
                rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                          "%s: can only set references to keys added within same transaction, "
                          "please use bound references with AtTx set to 0",
                          MSG_NOWAIT);
                break;
            }
            bool exists = bset_has(&kmap, o->ref_key, o->ref_len);
            if (no_wait && !exists) {
                rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                          "%s: can not create a reference to a key that was not set in the same "
                          "transaction",
                          MSG_NOWAIT);
                break;
            }
            if (!no_wait) {
                if ((rc = check_ref_key(db, snap, o->key, o->key_len, 0)) != 0)
                    break;
                if ((!exists || o->at_tx > 0) &&
                    (rc = check_referenced(db, snap, o->ref_key, o->ref_len, o->at_tx)) != 0)
                    break;
            }
            uint64_t at = o->bound_ref && o->at_tx == 0 ? tx_id : o->at_tx;
            uses_id |= o->bound_ref && o->at_tx == 0;
            rc = add_ref_entry(db, tx, i, o->key, o->key_len, o->ref_key, o->ref_len, at);
        } else {
            if (!o->set_len || !o->key_len || (o->at_tx > 0 && !o->bound_ref)) {
                rc = fail_ia();
                break;
            }
            if (no_wait && (o->at_tx != 0 || !o->bound_ref)) {
                rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                          "%s: can only set references to keys added within same transaction, "
                          "please use bound references with AtTx set to 0",
                          MSG_NOWAIT);
                break;
            }
            bool exists = bset_has(&kmap, o->key, o->key_len);
            if (no_wait && !exists) {
                rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                          "%s: can not create a reference into a set for a key that was not set "
                          "in the same transaction",
                          MSG_NOWAIT);
                break;
            }
            if (!no_wait && (!exists || o->at_tx > 0) &&
                (rc = check_referenced(db, snap, o->key, o->key_len, o->at_tx)) != 0)
                break;
            uint64_t at = o->bound_ref && o->at_tx == 0 ? tx_id : o->at_tx;
            uses_id |= o->bound_ref && o->at_tx == 0;
            rc = add_zadd_entry(db, tx, i, o->set, o->set_len, o->score, o->key, o->key_len, at);
        }
    }
    if (rc == 0)
        rc = add_preconds(db, tx, pre, npre, false);
    if (rc == 0)
        rc = check_counts(db, n, npre);
    if (rc == 0)
        rc = commit(db, tx, pre, npre, hdr);
    if (rc == 0 && uses_id && hdr->id != tx_id)
        SEAL_LOGE("db", "%s: ExecAll committed tx %llu, expected %llu: bound references are wrong",
                  db->name, (unsigned long long)hdr->id, (unsigned long long)tx_id);
out:
    bset_free(&kmap);
    seal_tx_free(tx);
    seal_snap_end(snap);
    return rc;
}

int sdb_exec_all(sdb *db, const sdb_op *ops, size_t n, const sdb_precond *pre, size_t npre,
                 bool no_wait, seal_txhdr *out)
{
    err_clear();
    int rc = exec_validate(ops, n);
    if (rc)
        return rc;
    seal_txhdr hdr;
    wlock_exclusive(db);
    rc = exec_locked(db, ops, n, pre, npre, no_wait, &hdr);
    pthread_rwlock_unlock(&db->wlock);
    if (rc == 0)
        rc = wait_indexed(db, no_wait, hdr.id);
    if (rc == 0 && out)
        *out = hdr;
    return api_rc(rc);
}

/* -------------------------------------------------------------- reads */
static int get_at_revision(sdb *db, seal_snap *snap, const uint8_t *k, size_t kl, int64_t rev,
                           sdb_entry *out)
{
    uint64_t offset = rev > 0 ? (uint64_t)rev - 1 : (uint64_t)0 - (uint64_t)rev;
    seal_entry *h = NULL;
    size_t n = 0;
    int rc = seal_snap_history(snap, k, kl, offset, 1, rev < 0, 0, &h, &n);
    if (rc == SEAL_ENOTFOUND)
        return fail_knf();
    if (rc)
        return fail_lib(rc);
    if (n == 0) {
        seal_entries_free(h, n);
        return fail(SEAL_ENOTFOUND, SDB_GRPC_UNKNOWN, "invalid key revision number");
    }
    uint64_t tx = h[0].tx, r = h[0].revision;
    seal_entries_free(h, n);
    return get_at_tx(db, snap, k, kl, tx, 0, r, out);
}

int sdb_get(sdb *db, const sdb_get_req *req, sdb_entry *out)
{
    err_clear();
    if (!req)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "illegal arguments: empty request");
    if (!req->key_len)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "illegal arguments: empty key");
    if (req->at_tx > 0 && req->since_tx > 0)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                    "illegal arguments: SinceTx should not be specified when AtTx is used");
    if (req->at_tx > 0 && req->at_revision != 0)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                    "illegal arguments: AtRevision should not be specified when AtTx is used");
    uint64_t c = committed(db);
    if (req->since_tx > c)
        return fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                    "illegal arguments: SinceTx must not be greater than the current transaction "
                    "ID");
    int rc;
    if (!req->no_wait && req->at_tx == 0 &&
        (rc = seal_index_wait(db->st, req->since_tx ? req->since_tx : c, 0)) != 0)
        return fail_lib(rc);
    seal_snap *snap;
    if ((rc = seal_snap_begin(db->st, 0, 1, 0, &snap)) != 0)
        return fail_lib(rc);
    size_t kl;
    uint8_t *k = enc_key(req->key, req->key_len, &kl);
    sdb_entry e;
    if (!k)
        rc = SEAL_ENOMEM;
    else if (req->at_revision != 0)
        rc = get_at_revision(db, snap, k, kl, req->at_revision, &e);
    else
        rc = get_at_tx(db, snap, k, kl, req->at_tx, 0, 0, &e);
    seal_free(k);
    seal_snap_end(snap);
    if (rc == 0)
        *out = e;
    return api_rc(rc);
}

int sdb_get_all(sdb *db, const sdb_key *keys, size_t n, uint64_t since_tx, sdb_entry **out,
                size_t *nout)
{
    err_clear();
    seal_snap *snap;
    int rc = snap_since(db, since_tx, &snap);
    if (rc)
        return rc;
    sdb_entry *arr = NULL;
    size_t cnt = 0, cap = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t kl;
        uint8_t *k = enc_key(keys[i].key, keys[i].key_len, &kl);
        if (!k) {
            rc = SEAL_ENOMEM;
            break;
        }
        sdb_entry e;
        rc = get_at_tx(db, snap, k, kl, 0, 0, 0, &e);
        seal_free(k);
        if (is_knf(rc)) {
            rc = 0;
            err_clear();
            continue;
        }
        if (rc == 0 && (rc = grow((void **)&arr, &cap, cnt + 1, sizeof(*arr))) != 0)
            sdb_entry_clear(&e);
        if (rc == 0)
            arr[cnt++] = e;
    }
    seal_snap_end(snap);
    if (rc) {
        sdb_entries_free(arr, cnt);
        return api_rc(rc);
    }
    *out = arr;
    *nout = cnt;
    return 0;
}

int sdb_history(sdb *db, const uint8_t *key, size_t key_len, uint64_t offset, uint64_t limit,
                bool desc, uint64_t since_tx, sdb_entry **out, size_t *n)
{
    err_clear();
    if (limit > db->max_result)
        return fail_limit(limit, db->max_result);
    seal_snap *snap;
    int rc = snap_since(db, since_tx, &snap);
    if (rc)
        return rc;
    if (limit == 0)
        limit = db->max_result;
    size_t kl;
    uint8_t *k = enc_key(key, key_len, &kl);
    seal_entry *h = NULL;
    size_t hn = 0;
    sdb_entry *arr = NULL;
    if (!k) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    rc = seal_snap_history(snap, k, kl, offset, limit, desc, 1, &h, &hn);
    if (rc == SEAL_ENOTFOUND) {
        rc = fail_knf();
        goto out;
    }
    if (rc) {
        fail_lib(rc);
        goto out;
    }
    arr = seal_calloc(hn ? hn : 1, sizeof(*arr));
    if (!arr) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < hn && rc == 0; i++) {
        bool expired = md_expired(db, &h[i].md);
        const uint8_t *v = NULL;
        size_t vl = 0;
        if (!expired && h[i].value_len > 0) {
            v = h[i].value + 1;
            vl = h[i].value_len - 1;
        }
        rc = entry_fill(&arr[i], h[i].tx, key, key_len, v, vl, &h[i].md, h[i].revision);
        arr[i].expired = expired;
    }
    if (rc == 0) {
        *out = arr;
        *n = hn;
        arr = NULL;
    }
out:
    sdb_entries_free(arr, hn);
    seal_entries_free(h, hn);
    seal_free(k);
    seal_snap_end(snap);
    return api_rc(rc);
}

/* A scan through seal_snap_scan with immudb's reader offset and its loop
 * limit (entries skipped after they were read still count). */
struct scan_state {
    sdb *db;
    seal_snap *snap;
    uint64_t offset, skipped;
    uint64_t limit, reads;
    int err;
    /* Scan */
    sdb_entry *e;
    size_t n, cap;
    /* ZScan */
    const sdb_zscan_req *zr;
    sdb_zentry *z;
    size_t nz, capz;
};

#define SCAN_STOP 1

static int scan_cb(void *arg, const seal_entry *se)
{
    struct scan_state *s = arg;
    if (s->skipped < s->offset) {
        s->skipped++;
        return 0;
    }
    s->reads++;
    rawv rv = {.tx = se->tx, .rev = se->revision, .md = se->md, .vlen = se->value_len};
    if (se->value_len) {
        rv.val = seal_memdup(se->value, se->value_len);
        if (!rv.val) {
            s->err = SEAL_ENOMEM;
            return SCAN_STOP;
        }
    }
    sdb_entry e;
    int rc = resolve_value(s->db, s->snap, se->key, se->key_len, &rv, 0, &e);
    if (is_knf(rc)) {
        err_clear();
        return s->reads >= s->limit ? SCAN_STOP : 0;
    }
    if (rc == 0 && (rc = grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e))) != 0)
        sdb_entry_clear(&e);
    if (rc) {
        s->err = rc;
        return SCAN_STOP;
    }
    s->e[s->n++] = e;
    return s->reads >= s->limit ? SCAN_STOP : 0;
}

int sdb_scan(sdb *db, const sdb_scan_req *req, sdb_entry **out, size_t *n)
{
    err_clear();
    if (!req || req->since_tx > committed(db))
        return fail_ia();
    if (req->limit > db->max_result)
        return fail_limit(req->limit, db->max_result);
    uint8_t *seek = NULL, *end = NULL, *prefix = NULL;
    size_t seekl = 0, endl = 0, pl = 0;
    seal_snap *snap = NULL;
    struct scan_state s;
    memset(&s, 0, sizeof(s));
    int rc = 0;
    if ((req->seek_len && !(seek = enc_key(req->seek_key, req->seek_len, &seekl))) ||
        (req->end_len && !(end = enc_key(req->end_key, req->end_len, &endl))) ||
        !(prefix = enc_key(req->prefix, req->prefix_len, &pl))) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    if ((rc = snap_since(db, req->since_tx, &snap)) != 0)
        goto out;
    if (seekl > db->max_key_len || pl > db->max_key_len) {
        rc = fail_ia();
        goto out;
    }
    seal_scan_opts so = {
        .prefix = prefix,
        .prefix_len = pl,
        .seek_key = seek,
        .seek_len = seekl,
        .seek_exclusive = !req->inclusive_seek,
        .end_key = end,
        .end_len = endl,
        .end_inclusive = req->inclusive_end,
        .desc = req->desc,
        .with_values = 1,
    };
    s.db = db;
    s.snap = snap;
    s.offset = req->offset;
    s.limit = req->limit ? req->limit : db->max_result;
    rc = seal_snap_scan(snap, &so, scan_cb, &s);
    if (rc == SCAN_STOP)
        rc = s.err;
    else if (rc)
        fail_lib(rc);
    if (rc == 0) {
        *out = s.e;
        *n = s.n;
        s.e = NULL;
    }
out:
    sdb_entries_free(s.e, s.n);
    seal_snap_end(snap);
    seal_free(seek);
    seal_free(end);
    seal_free(prefix);
    return api_rc(rc);
}

static int count_cb(void *arg, const seal_entry *e)
{
    (void)e;
    (*(uint64_t *)arg)++;
    return 0;
}

int sdb_count(sdb *db, const uint8_t *prefix, size_t prefix_len, uint64_t *out)
{
    err_clear();
    size_t pl;
    uint8_t *p = enc_key(prefix, prefix_len, &pl);
    if (!p)
        return SEAL_ENOMEM;
    seal_snap *snap;
    int rc = seal_snap_begin(db->st, 0, 0, 0, &snap);
    if (rc) {
        seal_free(p);
        return fail_lib(rc);
    }
    uint64_t cnt = 0;
    seal_scan_opts so = {.prefix = p, .prefix_len = pl, .include_deleted = 1};
    rc = seal_snap_scan(snap, &so, count_cb, &cnt);
    seal_snap_end(snap);
    seal_free(p);
    if (rc)
        return fail_lib(rc);
    *out = cnt;
    return 0;
}

int sdb_count_all(sdb *db, uint64_t *out)
{
    return sdb_count(db, NULL, 0, out);
}

static int zscan_cb(void *arg, const seal_entry *se)
{
    struct scan_state *s = arg;
    const sdb_zscan_req *r = s->zr;
    if (s->skipped < s->offset) {
        s->skipped++;
        return 0;
    }
    s->reads++;
    /* zKey = 0x01 | u64 len(set) | set | score | u64 len(key) | key | u64 atTx */
    size_t score_off = 1 + 8 + r->set_len, key_off = score_off + 16;
    if (se->key_len < key_off + 8 + 1) {
        s->err = fail(SEAL_ECORRUPT, SDB_GRPC_UNKNOWN, "data is corrupted: bad sorted set key");
        return SCAN_STOP;
    }
    uint64_t bits = seal_get_u64(se->key + score_off);
    double score;
    memcpy(&score, &bits, sizeof(score));
    if ((r->has_min_score && score < r->min_score) || (r->has_max_score && score > r->max_score))
        return s->reads >= s->limit ? SCAN_STOP : 0;
    const uint8_t *key = se->key + key_off;
    size_t klen = se->key_len - key_off - 8;
    uint64_t at = seal_get_u64(se->key + se->key_len - 8);
    sdb_entry e;
    int rc = get_at_tx(s->db, s->snap, key, klen, at, 1, 0, &e);
    if (is_knf(rc)) {
        err_clear();
        return s->reads >= s->limit ? SCAN_STOP : 0;
    }
    if (rc == 0 && (rc = grow((void **)&s->z, &s->capz, s->nz + 1, sizeof(*s->z))) != 0)
        sdb_entry_clear(&e);
    if (rc) {
        s->err = rc;
        return SCAN_STOP;
    }
    sdb_zentry *z = &s->z[s->nz];
    z->set = seal_memdup(r->set, r->set_len);
    z->set_len = r->set_len;
    z->key = dup_or_null(key + 1, klen - 1);
    z->key_len = klen - 1;
    z->has_entry = true;
    z->entry = e;
    z->score = score;
    z->at_tx = at;
    s->nz++;
    if (!z->set || (klen > 1 && !z->key)) {
        s->err = SEAL_ENOMEM;
        return SCAN_STOP;
    }
    return s->reads >= s->limit ? SCAN_STOP : 0;
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

int sdb_zscan(sdb *db, const sdb_zscan_req *req, sdb_zentry **out, size_t *n)
{
    err_clear();
    if (!req || !req->set_len)
        return fail_ia();
    if (req->limit > db->max_result)
        return fail_limit(req->limit, db->max_result);
    if (req->since_tx > committed(db))
        return fail_ia();
    size_t pl = kv_enc_zset_prefix(NULL, 0, req->set, req->set_len);
    size_t seekl = req->seek_len ? kv_enc_zkey(NULL, 0, req->set, req->set_len, req->seek_score,
                                               req->seek_key, req->seek_len, req->seek_at_tx)
                                 : pl + 8;
    uint8_t *prefix = seal_malloc(pl), *seek = seal_malloc(seekl);
    seal_snap *snap = NULL;
    struct scan_state s;
    memset(&s, 0, sizeof(s));
    int rc = 0;
    if (!prefix || !seek) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    kv_enc_zset_prefix(prefix, pl, req->set, req->set_len);
    if (req->seek_len) {
        kv_enc_zkey(seek, seekl, req->set, req->set_len, req->seek_score, req->seek_key,
                    req->seek_len, req->seek_at_tx);
    } else {
        memcpy(seek, prefix, pl);
        uint64_t b = 0;
        if (req->has_min_score && !req->desc)
            b = dbits(req->min_score);
        if (req->desc)
            b = dbits(req->has_max_score ? req->max_score : 1.7976931348623157e308);
        seal_put_u64(seek + pl, b);
    }
    if ((rc = snap_since(db, req->since_tx, &snap)) != 0)
        goto out;
    seal_scan_opts so = {
        .prefix = prefix,
        .prefix_len = pl,
        .seek_key = seek,
        .seek_len = seekl,
        .seek_exclusive = !req->inclusive_seek,
        .desc = req->desc,
    };
    s.db = db;
    s.snap = snap;
    s.zr = req;
    s.offset = req->offset;
    s.limit = req->limit ? req->limit : db->max_result;
    rc = seal_snap_scan(snap, &so, zscan_cb, &s);
    if (rc == SCAN_STOP)
        rc = s.err;
    else if (rc)
        fail_lib(rc);
    if (rc == 0) {
        *out = s.z;
        *n = s.nz;
        s.z = NULL;
    }
out:
    sdb_zentries_free(s.z, s.nz);
    seal_snap_end(snap);
    seal_free(prefix);
    seal_free(seek);
    return api_rc(rc);
}

/* ---------------------------------------------------------------- txs */
static int txentry_fill(sdb_txentry *d, const seal_txentry *e, uint8_t *value)
{
    memset(d, 0, sizeof(*d));
    d->key = seal_memdup(e->key, e->key_len);
    if (!d->key)
        return SEAL_ENOMEM;
    d->key_len = e->key_len;
    d->md = e->md;
    d->has_md = e->md_len > 0;
    memcpy(d->hval, e->hval, SEAL_HASH_LEN);
    d->vlen = e->vlen;
    d->has_value = value != NULL;
    d->value = value;
    return 0;
}

static int push_raw(sdb_tx *t, size_t *cap, const seal_txentry *e, uint8_t *value)
{
    int rc = grow((void **)&t->entries, cap, t->n + 1, sizeof(*t->entries));
    if (rc == 0)
        rc = txentry_fill(&t->entries[t->n], e, value);
    if (rc) {
        seal_free(value);
        return rc;
    }
    t->n++;
    return 0;
}

/* immudb's ReadValue on a tx entry: RC_EXPIRED, or the stored value (NULL
 * for an empty one; *has set). */
static int read_entry_value(sdb *db, const seal_txentry *e, uint8_t **v)
{
    *v = NULL;
    if (md_expired(db, &e->md))
        return RC_EXPIRED;
    if (e->vlen == 0) {
        *v = seal_malloc(1); /* "present but empty" */
        return *v ? 0 : SEAL_ENOMEM;
    }
    int rc = seal_value_read(db->st, e->vloc, e->vlen, e->hval, v);
    return rc ? fail_lib(rc) : 0;
}

/* immudb's serializeTx. */
static int serialize_tx(sdb *db, const seal_txinfo *ti, const sdb_entries_spec *spec,
                        seal_snap *snap, sdb_tx *out)
{
    int rc = 0;
    sdb_tx t;
    size_t cap = 0, capkv = 0, capz = 0;
    memset(&t, 0, sizeof(t));
    t.hdr = ti->hdr;
    for (size_t i = 0; i < ti->n && rc == 0; i++) {
        const seal_txentry *e = &ti->entries[i];
        if (!spec) {
            rc = push_raw(&t, &cap, e, NULL);
            continue;
        }
        uint8_t pfx = e->key_len ? e->key[0] : 0xff;
        int action = pfx == KV_SET_PREFIX    ? spec->kv
                     : pfx == KV_ZSET_PREFIX ? spec->zset
                     : pfx == KV_SQL_PREFIX  ? spec->sql
                                             : SDB_EXCLUDE;
        if (action == SDB_EXCLUDE)
            continue;
        if (action == SDB_ONLY_DIGEST) {
            rc = push_raw(&t, &cap, e, NULL);
            continue;
        }
        if (pfx == KV_SQL_PREFIX && action == SDB_RESOLVE) {
            rc = fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                      "illegal arguments: sql entry resolution is not supported");
            break;
        }
        if (pfx == KV_ZSET_PREFIX && action == SDB_RESOLVE) {
            kv_zkey zk;
            if (kv_dec_zkey(&zk, e->key, e->key_len) != 0) {
                rc = fail(SEAL_ECORRUPT, SDB_GRPC_UNKNOWN, "data is corrupted: bad sorted set key");
                break;
            }
            sdb_entry ze;
            memset(&ze, 0, sizeof(ze));
            if (snap) {
                rc = get_at_tx(db, snap, zk.key - 1, zk.key_len + 1, zk.at_tx, 1, 0, &ze);
                if (is_knf(rc)) {
                    rc = 0;
                    err_clear();
                    continue;
                }
                if (rc)
                    break;
            }
            if ((rc = grow((void **)&t.z, &capz, t.nz + 1, sizeof(*t.z))) != 0) {
                sdb_entry_clear(&ze);
                break;
            }
            sdb_zentry *z = &t.z[t.nz++];
            z->set = dup_or_null(zk.set, zk.set_len);
            z->set_len = zk.set_len;
            z->key = dup_or_null(zk.key, zk.key_len);
            z->key_len = zk.key_len;
            z->has_entry = snap != NULL;
            z->entry = ze;
            z->score = zk.score;
            z->at_tx = zk.at_tx;
            if ((zk.set_len && !z->set) || (zk.key_len && !z->key))
                rc = SEAL_ENOMEM;
            continue;
        }
        uint8_t *v;
        rc = read_entry_value(db, e, &v);
        if (rc == RC_EXPIRED) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        if (action == SDB_RAW_VALUE) {
            rc = push_raw(&t, &cap, e, v);
            continue;
        }
        /* RESOLVE of a kv entry */
        rawv rv = {.tx = ti->hdr.id, .md = e->md, .val = v, .vlen = e->vlen};
        sdb_entry ke;
        rc = resolve_value(db, snap, e->key, e->key_len, &rv, 0, &ke);
        if (is_knf(rc)) {
            rc = 0;
            err_clear();
            continue;
        }
        if (rc)
            break;
        if ((rc = grow((void **)&t.kv, &capkv, t.nkv + 1, sizeof(*t.kv))) != 0) {
            sdb_entry_clear(&ke);
            break;
        }
        t.kv[t.nkv++] = ke;
    }
    if (rc) {
        sdb_tx_clear(&t);
        return rc;
    }
    *out = t;
    return 0;
}

static int read_tx(sdb *db, uint64_t id, seal_txinfo **ti)
{
    if (id == 0)
        return fail_ia();
    int rc = seal_tx_read(db->st, id, 0, ti);
    if (rc == SEAL_ENOTFOUND)
        return fail(RC_TXNF, SDB_GRPC_UNKNOWN, MSG_TXNF);
    return rc ? fail_lib(rc) : 0;
}

int sdb_tx_by_id(sdb *db, const sdb_tx_req *req, sdb_tx *out)
{
    err_clear();
    if (!req)
        return fail_ia();
    seal_snap *snap = NULL;
    seal_txinfo *ti = NULL;
    int rc = 0;
    if (!req->keep_references_unresolved && (rc = snap_since(db, req->since_tx, &snap)) != 0)
        return rc;
    if ((rc = read_tx(db, req->tx, &ti)) == 0)
        rc = serialize_tx(db, ti, req->spec, snap, out);
    seal_txinfo_free(ti);
    seal_snap_end(snap);
    return api_rc(rc);
}

int sdb_tx_scan(sdb *db, const sdb_txscan_req *req, sdb_tx **out, size_t *n)
{
    err_clear();
    if (!req)
        return fail_ia();
    if (req->limit > db->max_result)
        return fail_limit(req->limit, db->max_result);
    uint64_t limit = req->limit ? req->limit : db->max_result;
    seal_snap *snap = NULL;
    int rc = snap_since(db, req->since_tx, &snap);
    if (rc)
        return rc;
    sdb_tx *arr = NULL;
    size_t cnt = 0, cap = 0;
    if (req->initial_tx == 0) {
        rc = fail_ia();
        goto out;
    }
    uint64_t id = req->initial_tx;
    for (uint64_t l = 0; l < limit && id > 0; l++) {
        seal_txinfo *ti = NULL;
        rc = seal_tx_read(db->st, id, 0, &ti);
        if (rc == SEAL_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (rc) {
            fail_lib(rc);
            break;
        }
        if ((rc = grow((void **)&arr, &cap, cnt + 1, sizeof(*arr))) == 0 &&
            (rc = serialize_tx(db, ti, req->spec, snap, &arr[cnt])) == 0)
            cnt++;
        seal_txinfo_free(ti);
        if (rc)
            break;
        id = req->desc ? id - 1 : id + 1;
    }
    if (rc == 0) {
        *out = arr;
        *n = cnt;
        arr = NULL;
    }
out:
    sdb_txs_free(arr, cnt);
    seal_snap_end(snap);
    return api_rc(rc);
}

/* ---------------------------------------------------- state and proofs */
/* Signs the state (db, id, alh) when the database has a signer. */
static int sign_state(sdb *db, uint64_t id, const uint8_t alh[32], sdb_sig *out)
{
    memset(out, 0, sizeof(*out));
    if (!db->signer)
        return 0;
    size_t plen = 44 + strlen(db->name), len;
    uint8_t *p = seal_malloc(plen);
    if (!p)
        return SEAL_ENOMEM;
    int rc = seal_state_payload(db->name, id, alh, p, plen, &len);
    out->sig_len = sizeof(out->sig);
    if (rc == 0)
        rc = cry_ecdsa_sign(db->signer, p, len, out->sig, &out->sig_len);
    if (rc == 0)
        rc = cry_key_public_raw(db->signer, out->pubkey);
    seal_free(p);
    if (rc) {
        memset(out, 0, sizeof(*out));
        return fail(rc, SDB_GRPC_UNKNOWN, "state signing failed: %s", seal_strerror(rc));
    }
    out->present = true;
    return 0;
}

int sdb_current_state(sdb *db, sdb_state *out)
{
    err_clear();
    sdb_state s;
    memset(&s, 0, sizeof(s));
    int rc = seal_state(db->st, &s.tx_id, s.alh);
    if (rc)
        return fail_lib(rc);
    if ((rc = sign_state(db, s.tx_id, s.alh, &s.sig)) != 0)
        return rc;
    *out = s;
    return 0;
}

/* Dual proof src -> dst and the signature of dst's state. */
static int prove(sdb *db, uint64_t src, uint64_t dst, sdb_vtx *v)
{
    int rc = seal_dual_proof_build(db->st, src, dst, &v->proof);
    if (rc)
        return fail_lib(rc);
    uint8_t alh[32];
    if ((rc = seal_txhdr_alh(&v->proof.target, alh)) != 0)
        return fail_lib(rc);
    return sign_state(db, v->proof.target.id, alh, &v->sig);
}

/* The committed tx |id| with raw entries and its proof from |since|. */
static int verifiable_tx(sdb *db, uint64_t id, uint64_t since, sdb_vtx *out)
{
    seal_txinfo *ti = NULL;
    sdb_vtx v;
    memset(&v, 0, sizeof(v));
    int rc = read_tx(db, id, &ti);
    if (rc == 0)
        rc = serialize_tx(db, ti, NULL, NULL, &v.tx);
    seal_txinfo_free(ti);
    if (rc == 0)
        rc = prove(db, since ? since : id, id, &v);
    if (rc) {
        sdb_vtx_clear(&v);
        return rc;
    }
    *out = v;
    return 0;
}

int sdb_verifiable_committed(sdb *db, uint64_t tx, uint64_t prove_since_tx, sdb_vtx *out)
{
    err_clear();
    if (prove_since_tx > tx)
        return fail(SEAL_ESTATE, SDB_GRPC_INVALID_ARGUMENT, MSG_IS);
    return api_rc(verifiable_tx(db, tx, prove_since_tx, out));
}

int sdb_verifiable_set(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre,
                       bool no_wait, uint64_t prove_since_tx, sdb_vtx *out)
{
    err_clear();
    if (prove_since_tx > committed(db))
        return fail(SEAL_ESTATE, SDB_GRPC_INVALID_ARGUMENT, MSG_IS);
    seal_txhdr hdr;
    int rc = sdb_set(db, kvs, n, pre, npre, no_wait, &hdr);
    if (rc)
        return rc;
    return api_rc(verifiable_tx(db, hdr.id, prove_since_tx, out));
}

int sdb_verifiable_set_reference(sdb *db, const uint8_t *key, size_t key_len,
                                 const uint8_t *ref_key, size_t ref_len, uint64_t at_tx,
                                 bool bound_ref, const sdb_precond *pre, size_t npre, bool no_wait,
                                 uint64_t prove_since_tx, sdb_vtx *out)
{
    err_clear();
    if (prove_since_tx > committed(db))
        return fail_ia();
    seal_txhdr hdr;
    int rc = sdb_set_reference(db, key, key_len, ref_key, ref_len, at_tx, bound_ref, pre, npre,
                               no_wait, &hdr);
    if (rc)
        return rc;
    return api_rc(verifiable_tx(db, hdr.id, prove_since_tx, out));
}

int sdb_verifiable_zadd(sdb *db, const uint8_t *set, size_t set_len, double score,
                        const uint8_t *key, size_t key_len, uint64_t at_tx, bool bound_ref,
                        bool no_wait, uint64_t prove_since_tx, sdb_vtx *out)
{
    err_clear();
    if (prove_since_tx > committed(db))
        return fail_ia();
    seal_txhdr hdr;
    int rc = sdb_zadd(db, set, set_len, score, key, key_len, at_tx, bound_ref, no_wait, &hdr);
    if (rc)
        return rc;
    return api_rc(verifiable_tx(db, hdr.id, prove_since_tx, out));
}

int sdb_verifiable_get(sdb *db, const sdb_get_req *req, uint64_t prove_since_tx, sdb_ventry *out)
{
    err_clear();
    if (prove_since_tx > committed(db))
        return fail(SEAL_ESTATE, SDB_GRPC_INVALID_ARGUMENT, MSG_IS);
    sdb_ventry v;
    memset(&v, 0, sizeof(v));
    int rc = sdb_get(db, req, &v.entry);
    if (rc)
        return rc;
    uint64_t vtx = v.entry.has_ref ? v.entry.ref.tx : v.entry.tx;
    const uint8_t *vkey = v.entry.has_ref ? v.entry.ref.key : v.entry.key;
    size_t vkl = v.entry.has_ref ? v.entry.ref.key_len : v.entry.key_len;
    seal_txinfo *ti = NULL;
    size_t kl;
    uint8_t *k = enc_key(vkey, vkl, &kl);
    if (!k) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    if ((rc = read_tx(db, vtx, &ti)) != 0 ||
        (rc = serialize_tx(db, ti, NULL, NULL, &v.vtx.tx)) != 0)
        goto out;
    if ((rc = seal_entry_proof_build(db->st, vtx, k, kl, &v.inclusion)) != 0) {
        fail_lib(rc);
        goto out;
    }
    uint64_t src = vtx, dst = vtx;
    if (prove_since_tx && prove_since_tx <= vtx)
        src = prove_since_tx;
    else if (prove_since_tx > vtx)
        dst = prove_since_tx;
    rc = prove(db, src, dst, &v.vtx);
out:
    seal_free(k);
    seal_txinfo_free(ti);
    if (rc) {
        sdb_ventry_clear(&v);
        return api_rc(rc);
    }
    *out = v;
    return 0;
}

int sdb_verifiable_tx_by_id(sdb *db, const sdb_tx_req *req, uint64_t prove_since_tx, sdb_vtx *out)
{
    err_clear();
    if (!req)
        return fail_ia();
    uint64_t c = committed(db);
    if (prove_since_tx > c)
        return fail(SEAL_ESTATE, SDB_GRPC_UNKNOWN,
                    "illegal state: latest txID=%llu is lower than specified as initial tx=%llu",
                    (unsigned long long)c, (unsigned long long)prove_since_tx);
    seal_snap *snap = NULL;
    seal_txinfo *ti = NULL;
    sdb_vtx v;
    memset(&v, 0, sizeof(v));
    int rc = 0;
    if (!req->keep_references_unresolved && (rc = snap_since(db, req->since_tx, &snap)) != 0)
        return rc;
    if ((rc = read_tx(db, req->tx, &ti)) != 0)
        goto out;
    uint64_t src = req->tx, dst = req->tx;
    if (prove_since_tx && prove_since_tx <= req->tx)
        src = prove_since_tx;
    else if (prove_since_tx > req->tx)
        dst = prove_since_tx;
    if ((rc = prove(db, src, dst, &v)) != 0)
        goto out;
    rc = serialize_tx(db, ti, req->spec, snap, &v.tx);
out:
    seal_txinfo_free(ti);
    seal_snap_end(snap);
    if (rc) {
        sdb_vtx_clear(&v);
        return api_rc(rc);
    }
    *out = v;
    return 0;
}
