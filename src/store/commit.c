/* commit.c - the tx builder and the group-commit pipeline.
 *
 * A committing thread validates its tx and does all per-entry hashing (value
 * hashes, entry digests, the htree root Eh) before taking any lock, so that
 * hashing runs in parallel. It then queues a request and waits; waiting
 * threads take turns at three jobs:
 *
 *  1. write: when nobody is writing and fewer than ST_MAX_INFLIGHT groups
 *     are on their way, a thread takes every queued request as one group
 *     and, for each tx in order, checks its preconditions, assigns the id
 *     and timestamp, appends its values to the value log (one copy of all
 *     the tx's values), computes the inner hash and Alh, appends the record
 *     to the tx log and the Alh to the hash tree (BlTxID = ID-1,
 *     synchronous, as immudb >= 1.4.1), and writes the three files (page
 *     cache). That is a "round". It then lets the next group be written at
 *     once, and
 *  2. sync: fdatasyncs its round's tx log and value log in parallel (a
 *     pool of sync threads, on duplicated descriptors, so that the next
 *     round's writer never waits for them); at most one round every
 *     ST_DERIVED_SYNC_MS also syncs the derived files, the hash tree and
 *     the commit index as written so far (recovery rebuilds what of them
 *     is missing from the tx log). Several rounds can be syncing at once:
 *     their fdatasyncs overlap in the device.
 *  3. publish: rounds are published strictly in id order, each after its
 *     own sync succeeded: its commit index records are written (without
 *     their own fdatasync: a later round's sync, or close, makes them
 *     durable; see recovery.c for why that is safe), the committed state
 *     moves, and its committers are woken (each sleeps on its own
 *     condition variable).
 *
 * A committer sleeps on a futex word of its own (creq.word): woken to take
 * a turn (CW_CHECK) it takes mu again; woken because its tx is finished
 * (CW_DONE) it returns without touching mu, so a published round's
 * committers do not queue on the mutex the next leader needs. A committer
 * that also waits for the key index (seal_tx_commit_indexed, what a server's
 * Set does by default) is not woken by the publisher at all: its request
 * goes on the store's index-wait queue and the indexer lets it go once the
 * index has its tx: one sleep instead of two, and the wake-ups happen on the
 * indexer thread, not under mu.
 *
 * So a commit returns only after its tx and every earlier one are durable
 * (fdatasync of a file covers everything written to it before), and the
 * commit index on disk only ever lists txs whose data was durable before
 * the record was written.
 *
 * Preconditions need the latest version of a key as of the previous tx. The
 * index lags behind the log, so the leader keeps a map of the keys written
 * by recent txs (struct pmap). The map is off until the first tx with
 * preconditions arrives (no cost for stores that never use them); that tx
 * turns it on, which records from which tx on the map is complete
 * (map_base), and waits for the index to reach map_base. From then on a
 * lookup is "the map, else the index", both as of the previous tx. Entries
 * already in the index are pruned; if the map grows too large while no
 * precondition tx is in flight it is dropped and turned off again.
 *
 * A failed write rolls every file back to where the group started and the
 * store stays usable (a failed commit index write in the publish step undoes
 * that round and every later one: they were built on it); a failed
 * fdatasync leaves the store refusing writes (SEAL_ESTATE) until it is
 * reopened, because after such a failure the kernel's page cache can no
 * longer be trusted to match the disk; the rounds after it fail with
 * SEAL_ESTATE too (their outcome is unknown until the reopen). */
#include "store/store_int.h"

#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PMAP_SOFT_CAP (1u << 20)

/* ---------------------------------------------------------- tx builder */
int seal_tx_new(seal_store *s, seal_tx **out)
{
    if (!s || !out)
        return SEAL_EINVAL;
    seal_tx *tx = seal_calloc(1, sizeof(*tx));
    if (!tx)
        return SEAL_ENOMEM;
    tx->s = s;
    *out = tx;
    return 0;
}

void seal_tx_free(seal_tx *tx)
{
    if (!tx)
        return;
    seal_free(tx->e);
    seal_free(tx->pre);
    seal_free(tx->data);
    seal_free(tx->vals);
    seal_free(tx);
}

/* Appends |n| bytes to a growing buffer; *off = where they start. */
static int buf_add(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n, size_t *off)
{
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n)
            c *= 2;
        uint8_t *d = seal_realloc(*buf, c);
        if (!d)
            return SEAL_ENOMEM;
        *buf = d;
        *cap = c;
    }
    if (n)
        memcpy(*buf + *len, p, n);
    *off = *len;
    *len += n;
    return 0;
}

static int data_add(seal_tx *tx, const void *p, size_t n, size_t *off)
{
    return buf_add(&tx->data, &tx->dlen, &tx->dcap, p, n, off);
}

static int check_key(seal_store *s, const void *key, size_t key_len)
{
    if (!key || key_len == 0)
        return st_err(SEAL_EINVAL, "empty key");
    if (key_len > s->o.max_key_len)
        return st_err(SEAL_ELIMIT, "key of %zu bytes exceeds the limit of %u", key_len,
                      s->o.max_key_len);
    return 0;
}

int seal_tx_add(seal_tx *tx, const void *key, size_t key_len, const void *value, size_t value_len,
                const seal_kvmd *md)
{
    int rc;
    st_err_clear();
    if (!tx)
        return SEAL_EINVAL;
    seal_store *s = tx->s;
    if (tx->committed)
        return st_err(SEAL_ESTATE, "tx already committed");
    if ((rc = check_key(s, key, key_len)) != 0)
        return rc;
    if (!value && value_len)
        return st_err(SEAL_EINVAL, "NULL value with a length");
    if (value_len > s->o.max_value_len)
        return st_err(SEAL_ELIMIT, "value of %zu bytes exceeds the limit of %u", value_len,
                      s->o.max_value_len);
    if (tx->n >= s->o.max_tx_entries)
        return st_err(SEAL_ETXTOOLARGE, "tx already has %zu entries (limit %u)", tx->n,
                      s->o.max_tx_entries);
    struct tx_ent e;
    memset(&e, 0, sizeof(e));
    if (md) {
        if (md->has_expires && md->expires_at < 0)
            return st_err(SEAL_EINVAL, "negative expiration time");
        e.has_md = true;
        e.kmd.deleted = md->deleted != 0;
        e.kmd.has_expires = md->has_expires != 0;
        e.kmd.expires_at = md->has_expires ? (uint64_t)md->expires_at : 0;
        e.kmd.non_indexable = md->non_indexable != 0;
        e.md_len = (uint8_t)mt_kvmd_bytes(&e.kmd, e.md);
        if (s->version == 0 && e.md_len > 0)
            return st_err(SEAL_EUNSUPPORTED,
                          "tx header version 0 cannot carry KV metadata (deleted, expiresAt, "
                          "nonIndexable): immudb v0 entry digests have no room for it");
    }
    if (tx->n == tx->cap) {
        size_t cap = tx->cap ? tx->cap * 2 : 8;
        struct tx_ent *ne = seal_realloc(tx->e, cap * sizeof(*ne));
        if (!ne)
            return SEAL_ENOMEM;
        tx->e = ne;
        tx->cap = cap;
    }
    size_t dlen0 = tx->dlen;
    if ((rc = data_add(tx, key, key_len, &e.koff)) != 0 ||
        (rc = buf_add(&tx->vals, &tx->vdlen, &tx->vdcap, value, value_len, &e.voff)) != 0) {
        tx->dlen = dlen0;
        return rc;
    }
    e.klen = (uint32_t)key_len;
    e.vlen = (uint32_t)value_len;
    tx->e[tx->n++] = e;
    return 0;
}

int seal_tx_set_metadata(seal_tx *tx, const seal_txmd *md)
{
    st_err_clear();
    if (!tx || !md)
        return SEAL_EINVAL;
    if (tx->committed)
        return st_err(SEAL_ESTATE, "tx already committed");
    if (tx->s->version == 0)
        return st_err(SEAL_EUNSUPPORTED, "tx header version 0 cannot carry tx metadata");
    if (md->extra_len > MT_MAX_TXMD_EXTRA)
        return st_err(SEAL_EINVAL, "tx metadata extra is at most %d bytes", MT_MAX_TXMD_EXTRA);
    memset(&tx->txmd, 0, sizeof(tx->txmd));
    tx->txmd.has_truncated = md->truncated_upto_tx > 0;
    tx->txmd.truncated_upto_tx = md->truncated_upto_tx;
    tx->txmd.extra_len = md->extra_len;
    memcpy(tx->txmd.extra, md->extra, md->extra_len);
    tx->has_txmd = true;
    return 0;
}

static int add_pre(seal_tx *tx, int kind, const void *key, size_t key_len, uint64_t id)
{
    int rc;
    st_err_clear();
    if (!tx)
        return SEAL_EINVAL;
    if (tx->committed)
        return st_err(SEAL_ESTATE, "tx already committed");
    if ((rc = check_key(tx->s, key, key_len)) != 0)
        return rc;
    if (kind == PRE_NOT_MODIFIED && id == 0)
        return st_err(SEAL_EINVAL, "precondition on tx id 0");
    if (tx->npre >= tx->s->o.max_tx_entries)
        return st_err(SEAL_ELIMIT, "too many preconditions (limit %u)", tx->s->o.max_tx_entries);
    if (tx->npre == tx->precap) {
        size_t cap = tx->precap ? tx->precap * 2 : 4;
        struct tx_pre *np = seal_realloc(tx->pre, cap * sizeof(*np));
        if (!np)
            return SEAL_ENOMEM;
        tx->pre = np;
        tx->precap = cap;
    }
    struct tx_pre p = {.kind = kind, .klen = (uint32_t)key_len, .tx_id = id};
    if ((rc = data_add(tx, key, key_len, &p.koff)) != 0)
        return rc;
    tx->pre[tx->npre++] = p;
    return 0;
}

int seal_tx_require_exists(seal_tx *tx, const void *key, size_t key_len)
{
    return add_pre(tx, PRE_EXISTS, key, key_len, 0);
}

int seal_tx_require_absent(seal_tx *tx, const void *key, size_t key_len)
{
    return add_pre(tx, PRE_ABSENT, key, key_len, 0);
}

int seal_tx_require_not_modified_after(seal_tx *tx, const void *key, size_t key_len, uint64_t tx_id)
{
    return add_pre(tx, PRE_NOT_MODIFIED, key, key_len, tx_id);
}

/* ------------------------------------------------------- precondition map */
/* A hash of a key for the in-memory tables (precondition map, duplicate
 * check), 8 bytes at a time: check_dups runs it on every entry of every
 * tx. Not stored anywhere. */
static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, k + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, k + i, n - i);
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void st_pmap_free(struct pmap *m)
{
    if (!m->t)
        return;
    for (size_t i = 0; i < m->cap; i++)
        seal_free(m->t[i].key);
    seal_free(m->t);
    memset(m, 0, sizeof(*m));
}

static struct pmap_ent *pmap_slot(struct pmap *m, const uint8_t *k, size_t n, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct pmap_ent *e = &m->t[i];
        if (!e->key || (e->h == h && e->klen == n && memcmp(e->key, k, n) == 0))
            return e;
    }
}

/* Rebuilds the table at capacity |cap| keeping entries with tx > drop_upto. */
static int pmap_rehash(struct pmap *m, size_t cap, uint64_t drop_upto)
{
    struct pmap nm = {.cap = cap};
    nm.t = seal_calloc(cap, sizeof(*nm.t));
    if (!nm.t)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct pmap_ent *e = &m->t[i];
        if (!e->key)
            continue;
        if (e->tx <= drop_upto) {
            seal_free(e->key);
            continue;
        }
        *pmap_slot(&nm, e->key, e->klen, e->h) = *e;
        nm.count++;
    }
    seal_free(m->t);
    *m = nm;
    return 0;
}

static int pmap_put(struct pmap *m, const uint8_t *k, size_t n, uint64_t tx, const mt_kvmd *md)
{
    int rc;
    if (!m->t && (rc = pmap_rehash(m, 1024, 0)) != 0)
        return rc;
    if ((m->count + 1) * 2 > m->cap && (rc = pmap_rehash(m, m->cap * 2, 0)) != 0)
        return rc;
    uint64_t h = key_hash(k, n);
    struct pmap_ent *e = pmap_slot(m, k, n, h);
    if (!e->key) {
        e->key = seal_memdup(k, n);
        if (!e->key)
            return SEAL_ENOMEM;
        e->h = h;
        e->klen = (uint32_t)n;
        m->count++;
    }
    e->tx = tx;
    e->md = *md;
    return 0;
}

static const struct pmap_ent *pmap_get(struct pmap *m, const uint8_t *k, size_t n)
{
    if (!m->t)
        return NULL;
    struct pmap_ent *e = pmap_slot(m, k, n, key_hash(k, n));
    return e->key ? e : NULL;
}

/* Called by a committing thread with preconditions, before queueing: turns
 * the map on and waits until the index covers every tx the map does not. */
static int pre_prepare(seal_store *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->closing) {
        pthread_mutex_unlock(&s->mu);
        return st_err(SEAL_ECLOSED, "store is closing");
    }
    s->pre_inflight++;
    if (!s->map_on) {
        s->map_on = true;
        if (s->leader)
            s->map_base_pending = true; /* the group in progress does not feed the map */
        else
            s->map_base = s->w_id; /* the last tx written (maybe not yet published) */
    }
    while (s->map_base_pending)
        pthread_cond_wait(&s->cv, &s->mu);
    uint64_t base = s->map_base;
    pthread_mutex_unlock(&s->mu);
    for (;;) {
        /* map_base can move back if the round holding it is undone (unwind) */
        int rc = st_index_wait(s, base, 200);
        if (rc != SEAL_ETIMEOUT)
            return rc;
        pthread_mutex_lock(&s->mu);
        base = SEAL_MIN(base, s->map_base);
        pthread_mutex_unlock(&s->mu);
    }
}

static void pre_done(seal_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->pre_inflight--;
    pthread_mutex_unlock(&s->mu);
}

/* Latest version of a key as of the last tx processed by the leader. */
static int latest_version(seal_store *s, idx_snap **snap, const uint8_t *k, size_t n, bool *found,
                          uint64_t *tx, mt_kvmd *md)
{
    int rc;
    const struct pmap_ent *e = pmap_get(&s->map, k, n);
    if (e) {
        *found = true;
        *tx = e->tx;
        *md = e->md;
        return 0;
    }
    uint64_t need = SEAL_MAX(s->map_base, s->map_pruned);
    if (!*snap) {
        if ((rc = st_snap_begin_idx(s, snap)) != 0)
            return rc;
        if (idx_snap_tx(*snap) < need) {
            /* the index was rebuilt meanwhile: wait for it to come back */
            st_snap_end_idx(s, *snap);
            *snap = NULL;
            if ((rc = st_index_wait(s, need, 0)) != 0)
                return rc;
            if ((rc = st_snap_begin_idx(s, snap)) != 0)
                return rc;
        }
    }
    idx_version v;
    rc = idx_get(*snap, k, n, 0, &v);
    if (rc == SEAL_ENOTFOUND) {
        *found = false;
        return 0;
    }
    if (rc)
        return rc;
    *found = true;
    *tx = v.tx;
    *md = v.md;
    return 0;
}

static int check_pre(seal_store *s, seal_tx *tx, idx_snap **snap, size_t *failed)
{
    int rc;
    for (size_t i = 0; i < tx->npre; i++) {
        const struct tx_pre *p = &tx->pre[i];
        bool found;
        uint64_t vtx = 0;
        mt_kvmd md;
        if ((rc = latest_version(s, snap, tx->data + p->koff, p->klen, &found, &vtx, &md)) != 0)
            return rc;
        bool live = found && !md.deleted && !st_expired(s, &md);
        bool ok = p->kind == PRE_EXISTS   ? live
                  : p->kind == PRE_ABSENT ? !live
                                          : (!found || vtx <= p->tx_id);
        if (!ok) {
            *failed = i;
            return SEAL_EPRECONDITION;
        }
    }
    return 0;
}

/* ---------------------------------------------------------- the leader */
/* A written group on its way to being durable. */
struct round {
    struct creq *reqs; /* the written txs, in id order */
    uint64_t id0, id1; /* txs id0 + 1 .. id1 */
    mt_hash alh1;      /* Alh of tx id1 */
    int64_t ts;
    uint64_t vend;              /* value log end after tx id1 */
    uint64_t tx_end0, val_end0; /* file ends before the group, for a rollback */
    size_t ncix;
    cixrec *cix; /* commit index records of the group */
    int fd[3];   /* value log, tx log, hash tree (segf_dup_fd), -1 = none */
    bool synced;
    int rc;
    struct round *next;
};

static void round_free(struct round *rd)
{
    if (!rd)
        return;
    for (int i = 0; i < 3; i++)
        if (rd->fd[i] >= 0)
            close(rd->fd[i]);
    seal_free(rd->cix);
    seal_free(rd);
}

static int ensure_scratch(seal_store *s, size_t rec)
{
    if (rec > s->recbuf_cap) {
        uint8_t *b = seal_realloc(s->recbuf, rec);
        if (!b)
            return SEAL_ENOMEM;
        s->recbuf = b;
        s->recbuf_cap = rec;
    }
    return 0;
}

/* Appends the values of |tx|: in one piece when they all fit in the current
 * segment (the usual case: tx->vals is that piece, and a large one goes from
 * there to the file without a copy), else one by one with the placement
 * rule. */
static int write_values(seal_store *s, seal_tx *tx, txrec_entry *ents)
{
    int rc;
    size_t total = tx->vdlen; /* the sum of the entries' vlen */
    uint64_t cur = segf_end(s->valf);
    if (total > 0 && segf_nsegs(s->valf) > 0 &&
        log_loc_off(cur) + total <= segf_seg_size(s->valf)) {
        for (size_t i = 0; i < tx->n; i++)
            ents[i].vloc = st_loc_add(cur, tx->e[i].voff);
        struct iovec iov = {tx->vals, total};
        uint64_t loc;
        rc = segf_appendv(s->valf, &iov, 1, &loc);
        if (rc == 0 && loc != cur)
            rc = st_err(SEAL_EIO, "value log placement moved (internal error)");
        return rc;
    }
    for (size_t i = 0; i < tx->n; i++) {
        const struct tx_ent *e = &tx->e[i];
        if (e->vlen) {
            if ((rc = segf_append(s->valf, tx->vals + e->voff, e->vlen, &ents[i].vloc)) != 0)
                return rc;
        } else {
            ents[i].vloc = segf_end(s->valf);
        }
    }
    return 0;
}

/* Writes one tx (values, record, tree leaf) and fills its cix record. */
static int write_tx(seal_store *s, struct creq *r, txrec_entry *ents, cixrec *c, mt_hash root)
{
    int rc;
    seal_tx *tx = r->tx;
    for (size_t i = 0; i < tx->n; i++) {
        const struct tx_ent *e = &tx->e[i];
        txrec_entry *te = &ents[i];
        te->key = tx->data + e->koff;
        te->key_len = (uint16_t)e->klen;
        te->md_len = e->md_len;
        memcpy(te->md, e->md, e->md_len);
        te->vlen = e->vlen;
        memcpy(te->hval, r->hval[i], 32);
    }
    if ((rc = write_values(s, tx, ents)) != 0)
        return rc;
    if ((rc = mt_alh(r->alh, &r->hdr)) != 0)
        return rc;
    uint8_t md[MT_MAX_TXMD_LEN];
    size_t mdlen = r->hdr.version >= 1 ? mt_txmd_bytes(&r->hdr.md, md) : 0;
    size_t size = txrec_size(mdlen, ents, tx->n);
    if (size > TXREC_MAX_LEN)
        return SEAL_ELIMIT;
    if ((rc = ensure_scratch(s, size)) != 0)
        return rc;
    txrec_encode(s->recbuf, &r->hdr, ents, tx->n, r->alh, atomic_load(&s->tx_durable));
    c->id = r->hdr.id;
    c->size = (uint32_t)size;
    memcpy(c->alh, r->alh, 32);
    if ((rc = segf_append(s->txf, s->recbuf, size, &c->txloc)) != 0)
        return rc;
    c->vend = segf_end(s->valf);
    return mt_ahtree_append(s->aht, r->alh, root);
}

/* ------------------------------------------------------------ sync pool */
static void *pool_main(void *arg)
{
    seal_store *s = arg;
    struct spool *p = &s->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->work, &p->mu);
        if (!p->head)
            break; /* stop, and no job left */
        struct sjob *j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        int rc = segf_fd_sync(j->f, j->fd);
        pthread_mutex_lock(&p->mu);
        j->rc = rc;
        j->done = true;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int st_syncers_start(seal_store *s)
{
    struct spool *p = &s->pool;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (int i = 0; i < ST_POOL_THREADS; i++) {
        if (pthread_create(&p->th[i], &a, pool_main, s) != 0) {
            pthread_attr_destroy(&a);
            return st_err(SEAL_ENOMEM, "cannot start a sync thread");
        }
        p->nth++;
    }
    pthread_attr_destroy(&a);
    return 0;
}

void st_syncers_stop(seal_store *s)
{
    struct spool *p = &s->pool;
    if (p->nth == 0)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    p->nth = 0;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
}

/* fdatasync of |n| descriptors at once: all but the first by the pool, the
 * first by the calling thread. Returns the first failure. */
static int sync_parallel(seal_store *s, struct sjob *jobs, size_t n)
{
    struct spool *p = &s->pool;
    int rc = 0;
    if (n == 0)
        return 0;
    if (n > 1) {
        pthread_mutex_lock(&p->mu);
        for (size_t i = 1; i < n; i++) {
            jobs[i].done = false;
            jobs[i].next = NULL;
            if (p->tail)
                p->tail->next = &jobs[i];
            else
                p->head = &jobs[i];
            p->tail = &jobs[i];
            /* one pool thread per job: a broadcast woke all of them for
             * each job, and all but one went back to sleep */
            pthread_cond_signal(&p->work);
        }
        pthread_mutex_unlock(&p->mu);
    }
    rc = segf_fd_sync(jobs[0].f, jobs[0].fd);
    if (n > 1) {
        pthread_mutex_lock(&p->mu);
        for (size_t i = 1; i < n; i++) {
            while (!jobs[i].done)
                pthread_cond_wait(&p->done, &p->mu);
            if (rc == 0)
                rc = jobs[i].rc;
        }
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Makes a written round durable: fdatasync of the tx log and value log as
 * written by the round (and everything before: one file, one order), in
 * parallel. The derived files, the hash tree and the commit index (as
 * written so far: the records of earlier rounds), are synced with it by at
 * most one round every ST_DERIVED_SYNC_MS: recovery recomputes whatever of
 * them did not reach the disk from the tx log (see recovery.c), so they
 * only need to stay close behind for reopen to stay fast. Several rounds can
 * be in here at once. */
static int sync_round(seal_store *s, struct round *rd)
{
    struct sjob jobs[4];
    size_t n = 0;
    int cfd = -1, rc = 0;
    if (s->o.durability != SEAL_DURABILITY_SYNC)
        return 0;
    uint64_t now = mono_ns();
    uint64_t last = atomic_load(&s->derived_synced_ns);
    bool derived = now - last >= (uint64_t)ST_DERIVED_SYNC_MS * 1000000u &&
                   atomic_compare_exchange_strong(&s->derived_synced_ns, &last, now);
    /* the txs published by now have all their commit index records and
     * hash tree nodes written (publication comes after both): once these
     * syncs succeed they are durable (seal.synced, store.c) */
    uint64_t k = derived ? st_committed(s) : 0;
    segf *fs[3] = {s->valf, s->txf, s->ahtf}; /* the order of rd->fd */
    for (int i = 0; i < 3; i++) {
        if (rd->fd[i] < 0 || (i == 2 && !derived))
            continue; /* an unused hash tree descriptor is closed by round_free */
        jobs[n].f = fs[i];
        jobs[n].fd = rd->fd[i];
        rd->fd[i] = -1;
        n++;
    }
    if (derived && (rc = segf_dup_fd(s->cixf, &cfd)) == 0 && cfd >= 0) {
        jobs[n].f = s->cixf;
        jobs[n].fd = cfd;
        n++;
    }
    int r2 = sync_parallel(s, jobs, n);
    if (derived && rc == 0 && r2 == 0 && cfd >= 0 && k > 0)
        (void)st_synced_note(s, k); /* a failure only makes recovery check more */
    return rc ? rc : r2;
}

/* Puts the tx log, value log and hash tree back to their state after tx
 * |id0| (the commit index is not the writer's: see publish). */
static int rollback_data(seal_store *s, uint64_t id0, uint64_t tx_end0, uint64_t val_end0)
{
    int rc = 0, r;
    if ((r = segf_truncate(s->valf, val_end0)) != 0)
        rc = r;
    if ((r = segf_truncate(s->txf, tx_end0)) != 0)
        rc = r;
    uint64_t nodes = id0 ? mt_ah_nodes_upto(id0) : 0;
    if ((r = segf_truncate(s->ahtf, segf_rec_loc(segf_seg_size(s->ahtf), AHT_NODE_SIZE, nodes))) !=
        0)
        rc = r;
    aht_nodestore_cut(&s->ns, nodes);
    mt_ahtree_free(s->aht);
    s->aht = NULL;
    if ((r = mt_ahtree_open(&s->aht, &s->ns, id0)) != 0)
        rc = r;
    return rc;
}

void st_writer_reset(seal_store *s)
{
    s->w_id = st_committed(s);
    memcpy(s->w_alh, s->committed_alh, 32);
    s->w_ts = s->last_ts;
}

/* The write stage of a group (the leader, without mu): checks preconditions,
 * assigns ids, appends values, records and tree leaves, writes them to the
 * files (page cache) and takes descriptors for the sync. Requests whose
 * precondition failed get rc = SEAL_EPRECONDITION and are left out of the
 * round. On a write failure every file is rolled back to where the group
 * started, every request gets the error and *out is NULL. */
static int write_group(seal_store *s, struct creq *g, bool map_on, struct round **out)
{
    int rc = 0;
    idx_snap *snap = NULL;
    txrec_entry *ents = NULL;
    size_t maxn = 0, ntx = 0;
    mt_hash prev, root;
    struct round *rd = seal_calloc(1, sizeof(*rd));
    *out = NULL;
    if (!rd)
        rc = SEAL_ENOMEM;
    else
        rd->fd[0] = rd->fd[1] = rd->fd[2] = -1;
    uint64_t id0 = s->w_id;
    memcpy(prev, s->w_alh, 32);
    int64_t ts = st_now(s);
    if (ts < s->w_ts)
        ts = s->w_ts;
    uint64_t tx_end0 = segf_end(s->txf);
    uint64_t val_end0 = segf_end(s->valf);
    uint64_t id = id0;
    if (rc == 0 && id0 > 0)
        rc = mt_ahtree_root_at(s->aht, id0, root);
    else
        memset(root, 0, 32);
    for (struct creq *r = g; r; r = r->next) {
        maxn = SEAL_MAX(maxn, r->tx->n);
        ntx++;
    }
    if (rc == 0) {
        ents = seal_malloc(maxn * sizeof(*ents));
        rd->cix = seal_malloc(ntx * sizeof(*rd->cix));
        if (!ents || !rd->cix)
            rc = SEAL_ENOMEM;
    }
    if (rc == 0 && map_on && s->map.count > 4096 && s->map.count * 4 > s->map.cap) {
        /* prune what the index has */
        uint64_t upto = atomic_load(&s->indexed);
        rc = pmap_rehash(&s->map, s->map.cap, upto);
        s->map_pruned = SEAL_MAX(s->map_pruned, upto);
    }
    size_t nc = 0;
    for (struct creq *r = g; r && rc == 0; r = r->next) {
        seal_tx *tx = r->tx;
        if (tx->npre) {
            int prc = check_pre(s, tx, &snap, &r->pre_fail);
            if (prc == SEAL_EPRECONDITION) {
                r->rc = prc;
                continue;
            }
            if (prc) {
                rc = prc;
                break;
            }
        }
        mt_txhdr *h = &r->hdr;
        memset(h, 0, sizeof(*h));
        h->id = ++id;
        memcpy(h->prev_alh, prev, 32);
        h->ts = ts;
        h->nentries = (uint32_t)tx->n;
        memcpy(h->eh, r->eh, 32);
        h->bl_tx_id = id - 1;
        memcpy(h->bl_root, root, 32);
        h->version = s->version;
        if (tx->has_txmd && s->version >= 1)
            h->md = tx->txmd;
        if ((rc = write_tx(s, r, ents, &rd->cix[nc], root)) != 0)
            break;
        nc++;
        if (map_on) {
            for (size_t i = 0; i < tx->n && rc == 0; i++) {
                const struct tx_ent *e = &tx->e[i];
                if (!e->kmd.non_indexable)
                    rc = pmap_put(&s->map, tx->data + e->koff, e->klen, id, &e->kmd);
            }
        }
        memcpy(prev, r->alh, 32);
        r->rc = 0;
    }
    if (snap)
        st_snap_end_idx(s, snap);
    seal_free(ents);
    if (rc == 0 && nc > 0) {
        if ((rc = segf_flush(s->valf)) == 0 && (rc = segf_flush(s->txf)) == 0 &&
            (rc = segf_flush(s->ahtf)) == 0 && s->o.durability == SEAL_DURABILITY_SYNC &&
            (rc = segf_dup_fd(s->valf, &rd->fd[0])) == 0 &&
            (rc = segf_dup_fd(s->txf, &rd->fd[1])) == 0)
            rc = segf_dup_fd(s->ahtf, &rd->fd[2]);
    }
    if (rc != 0) {
        SEAL_LOGE("store", "commit of txs %llu..%llu failed: %s; rolling back",
                  (unsigned long long)id0 + 1, (unsigned long long)id, seal_strerror(rc));
        for (struct creq *r = g; r; r = r->next)
            if (r->rc == 0 || r->rc == 1)
                r->rc = rc;
        int rb = rd ? rollback_data(s, id0, tx_end0, val_end0) : 0;
        bool sync_failed =
            segf_sync_error(s->valf) || segf_sync_error(s->txf) || segf_sync_error(s->ahtf);
        pthread_mutex_lock(&s->mu);
        if (map_on || s->map_on) {
            /* entries of the failed txs may have replaced older ones */
            st_pmap_free(&s->map);
            s->map_base = id0;
            s->map_pruned = 0;
        }
        if (sync_failed || rb != 0) {
            s->poisoned = SEAL_ESTATE;
            SEAL_LOGE("store", "%s: store refuses writes until it is reopened (%s)", s->dir,
                      sync_failed ? "fdatasync failed" : "rollback failed");
        }
        pthread_mutex_unlock(&s->mu);
        round_free(rd);
        return rc;
    }
    if (nc == 0) {
        round_free(rd);
        return 0;
    }
    /* the round keeps the written requests only */
    struct creq **tail = &rd->reqs;
    for (struct creq *r = g; r; r = r->next) {
        if (r->rc == 0) {
            *tail = r;
            tail = &r->rnext;
        }
    }
    *tail = NULL;
    rd->id0 = id0;
    rd->id1 = id;
    memcpy(rd->alh1, prev, 32);
    rd->ts = ts;
    rd->vend = segf_end(s->valf);
    rd->tx_end0 = tx_end0;
    rd->val_end0 = val_end0;
    rd->ncix = nc;
    s->w_id = id;
    memcpy(s->w_alh, prev, 32);
    s->w_ts = ts;
    *out = rd;
    return 0;
}

void st_creq_wake(struct creq *r, uint32_t v)
{
    /* After CW_DONE the request may already be gone (its committer
     * returned): only its address is used below, and FUTEX_WAKE does not
     * read the word. A committer not (about to be) asleep needs no call. */
    if (__atomic_exchange_n(&r->word, v, __ATOMIC_ACQ_REL) == CW_SLEEP)
        (void)syscall(SYS_futex, &r->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void creq_sleep(struct creq *r)
{
    (void)syscall(SYS_futex, &r->word, FUTEX_WAIT_PRIVATE, CW_SLEEP, NULL, NULL, 0);
}

/* A finished request: its committer is let go, or an asynchronous one goes
 * on the list whose callbacks run once mu is released (unlock_mu). mu held. */
static void finish_req(seal_store *s, struct creq *r)
{
    if (!r->async) {
        st_creq_wake(r, CW_DONE);
        return;
    }
    r->anext = NULL;
    if (s->adone_tail)
        s->adone_tail->anext = r;
    else
        s->adone_head = r;
    s->adone_tail = r;
}

/* Releases mu, then runs the callbacks of the asynchronous requests that
 * finished meanwhile (never under mu: a callback may take its own locks). */
static void unlock_mu(seal_store *s)
{
    struct creq *l = s->adone_head;
    s->adone_head = s->adone_tail = NULL;
    pthread_mutex_unlock(&s->mu);
    for (struct creq *r = l, *nx; r; r = nx) {
        nx = r->anext;
        st_creq_finish_async(s, r, false);
    }
}

/* Marks every request of |rd| done with |rc| (0 = committed) and lets its
 * committer go, or, for one that also waits for the key index, queues it
 * for the indexer (or lets it go when the index is already there). mu
 * held; the index-wait queue is appended to in id order because rounds are
 * published in id order. */
static void round_finish(seal_store *s, struct round *rd, int rc)
{
    bool ixq = false;
    for (struct creq *r = rd->reqs, *nx; r; r = nx) {
        nx = r->rnext;
        if (rc)
            r->rc = rc;
        r->done = true;
        if (!r->want_index || r->rc != 0) {
            finish_req(s, r);
            continue;
        }
        if (!ixq) {
            pthread_mutex_lock(&s->ixq_mu);
            ixq = true;
        }
        if (s->ixq_bypass || atomic_load(&s->indexed) >= r->hdr.id) {
            finish_req(s, r);
            continue;
        }
        r->ixnext = NULL;
        if (s->ixq_tail)
            s->ixq_tail->ixnext = r;
        else
            s->ixq_head = r;
        s->ixq_tail = r;
    }
    if (ixq)
        pthread_mutex_unlock(&s->ixq_mu);
}

/* Wakes the committer at the head of the queue when it can write the next
 * group (each committer sleeps on its own word: no herd). mu held. */
static void wake_writer(seal_store *s)
{
    if (s->q_head && !s->leader && !s->stall && s->inflight < ST_MAX_INFLIGHT) {
        if (s->q_head->async)
            pthread_cond_signal(&s->drv_cv);
        else
            st_creq_wake(s->q_head, CW_CHECK);
    }
}

/* A round could not be published (its commit index records could not be
 * written): every later round was built on it, so all of them are undone.
 * Called by the publisher with mu held and |rd| already unlinked. */
static void unwind(seal_store *s, struct round *rd, int rc)
{
    s->stall = true; /* no new group is written meanwhile */
    for (;;) {
        bool busy = s->leader;
        for (struct round *x = s->rq_head; x && !busy; x = x->next)
            busy = !x->synced;
        if (!busy)
            break;
        pthread_cond_wait(&s->cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    int rb = segf_truncate(s->cixf, segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, rd->id0));
    int rb2 = rollback_data(s, rd->id0, rd->tx_end0, rd->val_end0);
    SEAL_LOGE("store", "commit of txs %llu..%llu failed: %s; rolled back",
              (unsigned long long)rd->id0 + 1, (unsigned long long)s->w_id, seal_strerror(rc));
    pthread_mutex_lock(&s->mu);
    st_writer_reset(s);
    if (s->map_on) {
        st_pmap_free(&s->map);
        s->map_base = rd->id0;
        s->map_pruned = 0;
    }
    if (rb || rb2) {
        s->poisoned = SEAL_ESTATE;
        SEAL_LOGE("store", "%s: store refuses writes until it is reopened (rollback failed)",
                  s->dir);
    }
    round_finish(s, rd, rc);
    round_free(rd);
    s->inflight--;
    while (s->rq_head) {
        struct round *x = s->rq_head;
        s->rq_head = x->next;
        round_finish(s, x, rc);
        round_free(x);
        s->inflight--;
    }
    s->rq_tail = NULL;
    s->stall = false;
    wake_writer(s);
}

/* Publishes the rounds at the head of the queue that are durable, in id
 * order: their commit index records are written (not synced: a later round
 * syncs them), then the state moves and their committers are woken. A
 * round whose sync failed fails, and so does every later one (the store is
 * poisoned: their outcome is unknown until reopen). mu held. */
static void publish_ready(seal_store *s)
{
    while (!s->publishing && s->rq_head && s->rq_head->synced) {
        struct round *rd = s->rq_head;
        s->rq_head = rd->next;
        if (!s->rq_head)
            s->rq_tail = NULL;
        s->publishing = true;
        int rc = rd->rc;
        if (rc) {
            if (!s->poisoned)
                SEAL_LOGE("store",
                          "%s: fdatasync failed (txs %llu..%llu); the store refuses "
                          "writes until it is reopened",
                          s->dir, (unsigned long long)rd->id0 + 1, (unsigned long long)rd->id1);
            s->poisoned = SEAL_ESTATE;
        } else if (s->poisoned) {
            rc = SEAL_ESTATE; /* an earlier round failed its sync */
        }
        pthread_mutex_unlock(&s->mu);
        if (rc == 0) {
            for (size_t i = 0; i < rd->ncix && rc == 0; i++) {
                uint8_t b[CIX_REC_SIZE];
                cix_encode(b, &rd->cix[i]);
                rc = segf_append(s->cixf, b, sizeof(b), NULL);
            }
            if (rc == 0)
                rc = segf_flush(s->cixf);
            if (rc == 0) {
                pthread_mutex_lock(&s->state_mu);
                atomic_store(&s->committed, rd->id1);
                memcpy(s->committed_alh, rd->alh1, 32);
                s->last_ts = rd->ts;
                s->vend = rd->vend;
                pthread_mutex_unlock(&s->state_mu);
                if (s->o.durability == SEAL_DURABILITY_SYNC && rd->ncix > 0) {
                    const cixrec *lc = &rd->cix[rd->ncix - 1];
                    atomic_store(&s->tx_durable, st_loc_add(lc->txloc, lc->size));
                }
                st_indexer_kick(s);
            }
        }
        pthread_mutex_lock(&s->mu);
        if (rc && rd->rc == 0 && !s->poisoned) {
            if (segf_sync_error(s->cixf)) {
                s->poisoned = SEAL_ESTATE;
                round_finish(s, rd, rc);
                round_free(rd);
                s->inflight--;
            } else {
                unwind(s, rd, rc);
            }
        } else {
            round_finish(s, rd, rc);
            round_free(rd);
            s->inflight--;
        }
        s->publishing = false;
        pthread_cond_broadcast(&s->cv); /* close, unwind */
        wake_writer(s);
    }
}

/* ------------------------------------------------------------ commit */

/* Same key twice in |tx|? One pass over a hash set of entry indexes (a
 * sort would cost more than the tx's hashing for 1000-entry txs). */
static int check_dups(seal_tx *tx)
{
    if (tx->n < 2)
        return 0;
    size_t cap = 16;
    while (cap < tx->n * 2)
        cap *= 2;
    uint32_t *set = seal_calloc(cap, sizeof(*set)); /* entry index + 1, 0 = empty */
    if (!set)
        return SEAL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < tx->n && rc == 0; i++) {
        const struct tx_ent *e = &tx->e[i];
        const uint8_t *k = tx->data + e->koff;
        for (size_t j = key_hash(k, e->klen) & (cap - 1);; j = (j + 1) & (cap - 1)) {
            if (!set[j]) {
                set[j] = (uint32_t)i + 1;
                break;
            }
            const struct tx_ent *o = &tx->e[set[j] - 1];
            if (o->klen == e->klen && memcmp(tx->data + o->koff, k, e->klen) == 0) {
                rc = st_err(SEAL_EDUPLICATE, "key of entry %u appears again as entry %zu",
                            set[j] - 1, i);
                break;
            }
        }
    }
    seal_free(set);
    return rc;
}

/* Value hashes, entry digests and Eh: done by the committing thread. */
static int hash_tx(seal_store *s, seal_tx *tx, struct creq *r)
{
    int rc = 0;
    mt_hash *dig = seal_malloc(tx->n * sizeof(*dig));
    r->hval = seal_malloc(tx->n * sizeof(*r->hval));
    if (!dig || !r->hval) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < tx->n && rc == 0; i++) {
        const struct tx_ent *e = &tx->e[i];
        cry_part part = {tx->vals + e->voff, e->vlen};
        rc = cry_sha256v(r->hval[i], &part, 1);
        if (rc == 0)
            rc = mt_entry_digest(dig[i], s->version, e->md, e->md_len, tx->data + e->koff, e->klen,
                                 r->hval[i]);
    }
    if (rc == 0)
        rc = mt_htree_root(r->eh, (const mt_hash *)dig, tx->n);
out:
    seal_free(dig);
    return rc;
}

/* Writes the queued requests as one group, syncs it and publishes what is
 * durable (the "leader" turn of the header comment). mu held on entry and
 * on return; the caller checked that it may lead. */
static void lead_group(seal_store *s)
{
    s->leader = true;
    struct creq *g = s->q_head;
    s->q_head = s->q_tail = NULL;
    if (s->map_on && s->map.count > PMAP_SOFT_CAP && s->pre_inflight == 0) {
        st_pmap_free(&s->map); /* the index is far behind: stop feeding the map */
        s->map_on = false;
        s->map_pruned = 0;
    }
    bool map_on = s->map_on;
    s->groups_started++;
    int poisoned = s->poisoned;
    unlock_mu(s);
    struct round *rd = NULL;
    if (poisoned) {
        for (struct creq *r = g; r; r = r->next)
            r->rc = SEAL_ESTATE;
    } else {
        (void)write_group(s, g, map_on, &rd);
    }
    pthread_mutex_lock(&s->mu);
    s->leader = false;
    s->groups_done++;
    if (s->map_base_pending && !map_on) {
        s->map_base = s->w_id;
        s->map_base_pending = false;
    }
    /* requests that are not in the round are finished now */
    for (struct creq *r = g, *nx; r; r = nx) {
        nx = r->next;
        if (r->rc != 0) {
            r->done = true;
            finish_req(s, r);
        }
    }
    if (rd) {
        if (s->rq_tail)
            s->rq_tail->next = rd;
        else
            s->rq_head = rd;
        s->rq_tail = rd;
        s->inflight++;
    }
    pthread_cond_broadcast(&s->cv); /* close, unwind, pre_prepare */
    wake_writer(s);
    if (rd) {
        unlock_mu(s);
        int src = sync_round(s, rd);
        pthread_mutex_lock(&s->mu);
        rd->rc = src;
        rd->synced = true;
        pthread_cond_broadcast(&s->cv); /* unwind waits for every round to be synced */
        publish_ready(s);
    }
}

/* The calling thread's error message for a commit of |r| that failed with
 * |rc|. */
static void commit_errmsg(const struct creq *r, int rc)
{
    if (rc == SEAL_EPRECONDITION) {
        const struct tx_pre *p = &r->tx->pre[r->pre_fail];
        st_err(rc, "precondition %zu failed: %s", r->pre_fail,
               p->kind == PRE_EXISTS   ? "key must exist"
               : p->kind == PRE_ABSENT ? "key must not exist"
                                       : "key was modified after the given tx");
    } else if (rc == SEAL_ESTATE) {
        st_err(rc, "store refuses writes after an fsync failure; reopen it");
    } else if (rc == SEAL_ECLOSED) {
        st_err(rc, "store is closing");
    } else {
        st_err(rc, "commit failed: %s (nothing was written)", seal_strerror(rc));
    }
}

/* The checks every commit variant makes before hashing: 0 or the error. */
static int commit_check(seal_store *s, seal_tx *tx)
{
    if (!s || !tx || tx->s != s)
        return st_err(SEAL_EINVAL, "tx does not belong to this store");
    if (tx->committed)
        return st_err(SEAL_ESTATE, "tx already committed");
    if (tx->n == 0)
        return st_err(SEAL_EINVAL, "a tx needs at least one entry");
    return check_dups(tx);
}

static int commit_tx(seal_store *s, seal_tx *tx, seal_txhdr *out, bool want_index, int *index_rc)
{
    int rc;
    struct creq req;
    bool pre = false;
    st_err_clear();
    if (index_rc)
        *index_rc = 0;
    if ((rc = commit_check(s, tx)) != 0)
        return rc;
    memset(&req, 0, sizeof(req));
    req.word = CW_CHECK;
    req.want_index = want_index;
    req.tx = tx;
    req.rc = 1; /* not processed */
    if ((rc = hash_tx(s, tx, &req)) != 0)
        goto out;
    if (tx->npre) {
        if ((rc = pre_prepare(s)) != 0) {
            pre_done(s);
            goto out;
        }
        pre = true;
    }

    pthread_mutex_lock(&s->mu);
    if (s->closing || s->poisoned) {
        rc = s->closing ? st_err(SEAL_ECLOSED, "store is closing")
                        : st_err(SEAL_ESTATE, "store refuses writes after an fsync failure; "
                                              "reopen it");
        pthread_mutex_unlock(&s->mu);
        goto out;
    }
    if (s->q_tail)
        s->q_tail->next = &req;
    else
        s->q_head = &req;
    s->q_tail = &req;
    /* Each waiting thread, in turn: done -> return; a written round at the
     * head is durable -> publish it; nobody is writing and there is room in
     * the pipeline -> write the queue as a group, then sync that group. */
    bool locked = true;
    while (!req.done) {
        if (s->rq_head && s->rq_head->synced && !s->publishing) {
            publish_ready(s);
            continue;
        }
        if (s->leader || s->stall || !s->q_head || s->inflight >= ST_MAX_INFLIGHT) {
            __atomic_store_n(&req.word, CW_SLEEP, __ATOMIC_RELAXED);
            unlock_mu(s);
            creq_sleep(&req);
            if (__atomic_load_n(&req.word, __ATOMIC_ACQUIRE) == CW_DONE) {
                locked = false; /* finished: everything was written before */
                break;
            }
            pthread_mutex_lock(&s->mu);
            continue;
        }
        lead_group(s);
    }
    if (locked)
        unlock_mu(s);
    rc = req.rc;
    if (rc == 0 && want_index) {
        /* Queued for the indexer by round_finish (or already let go). */
        uint32_t v;
        while ((v = __atomic_load_n(&req.word, __ATOMIC_ACQUIRE)) != CW_DONE) {
            if (v == CW_CHECK)
                (void)__atomic_compare_exchange_n(&req.word, &v, CW_SLEEP, false, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_ACQUIRE);
            else
                creq_sleep(&req);
        }
        /* Let go because the index has the tx, or to find out why it cannot
         * (indexing failed, closing): st_index_wait says which. */
        int irc = atomic_load(&s->indexed) >= req.hdr.id ? 0 : st_index_wait(s, req.hdr.id, 0);
        if (index_rc)
            *index_rc = irc;
    } else if (index_rc) {
        *index_rc = 0;
    }
    if (rc == 0) {
        tx->committed = true;
        if (out)
            st_hdr_to_pub(&req.hdr, req.alh, out);
    } else {
        commit_errmsg(&req, rc);
    }
out:
    if (pre)
        pre_done(s);
    seal_free(req.hval);
    return rc;
}

int seal_tx_commit(seal_store *s, seal_tx *tx, seal_txhdr *out)
{
    return commit_tx(s, tx, out, false, NULL);
}

int seal_tx_commit_indexed(seal_store *s, seal_tx *tx, seal_txhdr *out, int *index_rc)
{
    return commit_tx(s, tx, out, true, index_rc);
}

/* ------------------------------------------------------ asynchronous commits */

/* Runs the callback of a finished asynchronous request and frees it. Called
 * with no store lock held; |bypass|: let go by the indexer because indexing
 * cannot go on (the index wait's error is reported). */
void st_creq_finish_async(seal_store *s, struct creq *r, bool bypass)
{
    int rc = r->rc;
    int irc = 0;
    seal_txhdr h;
    st_err_clear();
    if (rc == 0) {
        r->tx->committed = true;
        st_hdr_to_pub(&r->hdr, r->alh, &h);
        if (r->want_index && atomic_load(&s->indexed) < r->hdr.id) {
            pthread_mutex_lock(&s->ix_mu);
            irc = s->ix_err ? s->ix_err : SEAL_ECLOSED;
            pthread_mutex_unlock(&s->ix_mu);
            if (irc == SEAL_ECLOSED)
                st_err(irc, "store is closing");
            else
                st_err(irc, "the key index is not available (indexing failed: %s)",
                       seal_strerror(irc));
        }
    } else {
        commit_errmsg(r, rc);
    }
    SEAL_UNUSED(bypass);
    seal_commit_cb cb = r->cb;
    void *ud = r->cb_ud;
    seal_free(r->hval);
    seal_free(r);
    cb(ud, rc, rc == 0 ? &h : NULL, irc);
}

/* A driver: leads groups of queued requests (asynchronous ones have no
 * thread of their own to do it), syncs and publishes them, and runs the
 * callbacks of finished ones. Started with the first asynchronous commit. */
static void *driver_main(void *arg)
{
    seal_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->rq_head && s->rq_head->synced && !s->publishing) {
            publish_ready(s);
            continue;
        }
        if (!s->leader && !s->stall && s->q_head && s->inflight < ST_MAX_INFLIGHT) {
            lead_group(s);
            continue;
        }
        if (s->adone_head) {
            unlock_mu(s);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->drv_stop)
            break;
        pthread_cond_wait(&s->drv_cv, &s->mu);
    }
    unlock_mu(s);
    return NULL;
}

/* mu held. */
static int start_drivers(seal_store *s)
{
    while (s->ndrv < ST_MAX_INFLIGHT) {
        if (pthread_create(&s->drv[s->ndrv], NULL, driver_main, s) != 0)
            return s->ndrv ? 0 : st_err(SEAL_ENOMEM, "cannot start a commit thread");
        s->ndrv++;
    }
    return 0;
}

void st_drivers_stop(seal_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->drv_stop = true;
    pthread_cond_broadcast(&s->drv_cv);
    int n = s->ndrv;
    s->ndrv = 0;
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < n; i++)
        pthread_join(s->drv[i], NULL);
}

int seal_tx_commit_async(seal_store *s, seal_tx *tx, unsigned flags, seal_commit_cb cb, void *ud)
{
    int rc;
    st_err_clear();
    if (!cb)
        return st_err(SEAL_EINVAL, "no callback");
    if (flags & ~(unsigned)SEAL_COMMIT_WAIT_INDEX)
        return st_err(SEAL_EINVAL, "unknown commit flags 0x%x", flags);
    if ((rc = commit_check(s, tx)) != 0)
        return rc;
    if (tx->npre)
        return st_err(SEAL_EUNSUPPORTED, "a tx with preconditions cannot be committed "
                                         "asynchronously (use seal_tx_commit)");
    struct creq *r = seal_calloc(1, sizeof(*r));
    if (!r)
        return SEAL_ENOMEM;
    r->async = true;
    r->cb = cb;
    r->cb_ud = ud;
    r->want_index = (flags & SEAL_COMMIT_WAIT_INDEX) != 0;
    r->tx = tx;
    r->rc = 1; /* not processed */
    r->word = CW_CHECK;
    if ((rc = hash_tx(s, tx, r)) != 0) {
        seal_free(r->hval);
        seal_free(r);
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    if (s->closing || s->poisoned || s->drv_stop) {
        rc = s->poisoned ? st_err(SEAL_ESTATE, "store refuses writes after an fsync failure; "
                                               "reopen it")
                         : st_err(SEAL_ECLOSED, "store is closing");
    } else if (s->ndrv == 0) {
        rc = start_drivers(s);
    }
    if (rc) {
        pthread_mutex_unlock(&s->mu);
        seal_free(r->hval);
        seal_free(r);
        return rc;
    }
    if (s->q_tail)
        s->q_tail->next = r;
    else
        s->q_head = r;
    s->q_tail = r;
    wake_writer(s);
    pthread_mutex_unlock(&s->mu);
    return 0;
}
