/* commit.c - the tx builder and the group-commit pipeline.
 *
 * A committing thread validates its tx and does all per-entry hashing (value
 * hashes, entry digests, the htree root Eh) before taking any lock, so that
 * hashing runs in parallel. It then queues a request. The first queued
 * thread that finds no leader becomes the leader: it takes every pending
 * request as one group, and for each tx in order checks its preconditions,
 * assigns the id and timestamp, appends its values to the value log, computes
 * the inner hash and Alh, appends the record to the tx log and the Alh to the
 * hash tree (BlTxID = ID-1, synchronous, as immudb >= 1.4.1). Then one
 * fdatasync per file for the whole group (value log, tx log, hash tree), then
 * the commit index records and their fdatasync (see recovery.c for why this
 * order), then the new state is published and every committer of the group
 * is woken.
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
 * store stays usable; a failed fdatasync leaves the store refusing writes
 * (SEAL_ESTATE) until it is reopened, because after such a failure the
 * kernel's page cache can no longer be trusted to match the disk. */
#include "store/store_int.h"

#include <stdlib.h>

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
    seal_free(tx);
}

static int data_add(seal_tx *tx, const void *p, size_t n, size_t *off)
{
    if (tx->dlen + n > tx->dcap) {
        size_t cap = tx->dcap ? tx->dcap : 256;
        while (cap < tx->dlen + n)
            cap *= 2;
        uint8_t *d = seal_realloc(tx->data, cap);
        if (!d)
            return SEAL_ENOMEM;
        tx->data = d;
        tx->dcap = cap;
    }
    if (n)
        memcpy(tx->data + tx->dlen, p, n);
    *off = tx->dlen;
    tx->dlen += n;
    return 0;
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

int seal_tx_add(seal_tx *tx, const void *key, size_t key_len, const void *value,
                size_t value_len, const seal_kvmd *md)
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
        (rc = data_add(tx, value, value_len, &e.voff)) != 0) {
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

int seal_tx_require_not_modified_after(seal_tx *tx, const void *key, size_t key_len,
                                       uint64_t tx_id)
{
    return add_pre(tx, PRE_NOT_MODIFIED, key, key_len, tx_id);
}

/* ------------------------------------------------------- precondition map */
static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= 0x100000001b3ull;
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
            s->map_base = st_committed(s);
    }
    while (s->map_base_pending)
        pthread_cond_wait(&s->cv, &s->mu);
    uint64_t base = s->map_base;
    pthread_mutex_unlock(&s->mu);
    return st_index_wait(s, base, 0);
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
        bool ok = p->kind == PRE_EXISTS ? live
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
static int ensure_scratch(seal_store *s, size_t rec, size_t ncix)
{
    if (rec > s->recbuf_cap) {
        uint8_t *b = seal_realloc(s->recbuf, rec);
        if (!b)
            return SEAL_ENOMEM;
        s->recbuf = b;
        s->recbuf_cap = rec;
    }
    if (ncix > s->cixbuf_cap) {
        size_t cap = SEAL_MAX(ncix, s->cixbuf_cap * 2);
        cixrec *c = seal_realloc(s->cixbuf, cap * sizeof(*c));
        if (!c)
            return SEAL_ENOMEM;
        s->cixbuf = c;
        s->cixbuf_cap = cap;
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
        if (e->vlen) {
            if ((rc = segf_append(s->valf, tx->data + e->voff, e->vlen, &te->vloc)) != 0)
                return rc;
        } else {
            te->vloc = segf_end(s->valf);
        }
    }
    if ((rc = mt_alh(r->alh, &r->hdr)) != 0)
        return rc;
    uint8_t md[MT_MAX_TXMD_LEN];
    size_t mdlen = r->hdr.version >= 1 ? mt_txmd_bytes(&r->hdr.md, md) : 0;
    size_t size = txrec_size(mdlen, ents, tx->n);
    if (size > TXREC_MAX_LEN)
        return SEAL_ELIMIT;
    if ((rc = ensure_scratch(s, size, 0)) != 0)
        return rc;
    txrec_encode(s->recbuf, &r->hdr, ents, tx->n, r->alh);
    c->id = r->hdr.id;
    c->size = (uint32_t)size;
    memcpy(c->alh, r->alh, 32);
    if ((rc = segf_append(s->txf, s->recbuf, size, &c->txloc)) != 0)
        return rc;
    c->vend = segf_end(s->valf);
    return mt_ahtree_append(s->aht, r->alh, root);
}

/* ------------------------------------------------------------ syncers */
static void *syncer_main(void *arg)
{
    struct syncer *y = arg;
    pthread_mutex_lock(&y->mu);
    for (;;) {
        while (!y->job && !y->stop)
            pthread_cond_wait(&y->cv, &y->mu);
        if (y->stop)
            break;
        segf *f = y->job;
        pthread_mutex_unlock(&y->mu);
        int rc = segf_sync(f);
        pthread_mutex_lock(&y->mu);
        y->rc = rc;
        y->job = NULL;
        y->done = true;
        pthread_cond_broadcast(&y->cv);
    }
    pthread_mutex_unlock(&y->mu);
    return NULL;
}

int st_syncers_start(seal_store *s)
{
    for (size_t i = 0; i < SEAL_ARRAY_LEN(s->syncers); i++) {
        struct syncer *y = &s->syncers[i];
        pthread_mutex_init(&y->mu, NULL);
        pthread_cond_init(&y->cv, NULL);
        if (pthread_create(&y->th, NULL, syncer_main, y) != 0)
            return st_err(SEAL_ENOMEM, "cannot start a sync thread");
        y->started = true;
    }
    return 0;
}

void st_syncers_stop(seal_store *s)
{
    for (size_t i = 0; i < SEAL_ARRAY_LEN(s->syncers); i++) {
        struct syncer *y = &s->syncers[i];
        if (!y->started)
            continue;
        pthread_mutex_lock(&y->mu);
        y->stop = true;
        pthread_cond_broadcast(&y->cv);
        pthread_mutex_unlock(&y->mu);
        pthread_join(y->th, NULL);
        pthread_mutex_destroy(&y->mu);
        pthread_cond_destroy(&y->cv);
        y->started = false;
    }
}

static void syncer_post(struct syncer *y, segf *f)
{
    pthread_mutex_lock(&y->mu);
    y->job = f;
    y->done = false;
    pthread_cond_broadcast(&y->cv);
    pthread_mutex_unlock(&y->mu);
}

static int syncer_wait(struct syncer *y)
{
    pthread_mutex_lock(&y->mu);
    while (!y->done)
        pthread_cond_wait(&y->cv, &y->mu);
    int rc = y->rc;
    pthread_mutex_unlock(&y->mu);
    return rc;
}

/* fdatasync of the value log, tx log and hash tree at once. */
static int sync_data_files(seal_store *s)
{
    if (s->o.durability != SEAL_DURABILITY_SYNC)
        return 0;
    if (!s->syncers[0].started)
        return segf_sync(s->valf) ? SEAL_EIO : segf_sync(s->txf) ? SEAL_EIO : segf_sync(s->ahtf);
    syncer_post(&s->syncers[0], s->valf);
    syncer_post(&s->syncers[1], s->ahtf);
    int r1 = segf_sync(s->txf);
    int r0 = syncer_wait(&s->syncers[0]);
    int r2 = syncer_wait(&s->syncers[1]);
    return r0 ? r0 : r1 ? r1 : r2;
}

static int sync_or_flush(seal_store *s, segf *f)
{
    return s->o.durability == SEAL_DURABILITY_SYNC ? segf_sync(f) : segf_flush(f);
}

/* Puts every file back to the state after tx |id0|. */
static int rollback(seal_store *s, uint64_t id0, uint64_t tx_end0, uint64_t val_end0)
{
    int rc = 0, r;
    if ((r = segf_truncate(s->valf, val_end0)) != 0)
        rc = r;
    if ((r = segf_truncate(s->txf, tx_end0)) != 0)
        rc = r;
    uint64_t nodes = id0 ? mt_ah_nodes_upto(id0) : 0;
    if ((r = segf_truncate(s->ahtf, segf_rec_loc(segf_seg_size(s->ahtf), AHT_NODE_SIZE,
                                                 nodes))) != 0)
        rc = r;
    if ((r = segf_truncate(s->cixf, segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, id0))) !=
        0)
        rc = r;
    mt_ahtree_free(s->aht);
    s->aht = NULL;
    if ((r = mt_ahtree_open(&s->aht, &s->ns, id0)) != 0)
        rc = r;
    return rc;
}

static void run_group(seal_store *s, struct creq *g, bool map_on)
{
    int rc = 0;
    idx_snap *snap = NULL;
    txrec_entry *ents = NULL;
    size_t maxn = 0, ntx = 0;
    bool sync_failed = false;
    mt_hash prev, root;

    pthread_mutex_lock(&s->state_mu);
    uint64_t id0 = st_committed(s);
    memcpy(prev, s->committed_alh, 32);
    int64_t ts = st_now(s);
    if (ts < s->last_ts)
        ts = s->last_ts;
    pthread_mutex_unlock(&s->state_mu);
    uint64_t tx_end0 = segf_end(s->txf);
    uint64_t val_end0 = segf_end(s->valf);
    uint64_t id = id0;
    if (id0 > 0)
        rc = mt_ahtree_root_at(s->aht, id0, root);
    else
        memset(root, 0, 32);

    for (struct creq *r = g; r && rc == 0; r = r->next) {
        maxn = SEAL_MAX(maxn, r->tx->n);
        ntx++;
    }
    if (rc == 0 && (rc = ensure_scratch(s, 0, ntx)) == 0) {
        ents = seal_malloc(maxn * sizeof(*ents));
        if (!ents)
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
        if ((rc = write_tx(s, r, ents, &s->cixbuf[nc], root)) != 0)
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
        /* writes first (a failure rolls back), then the fdatasyncs */
        if ((rc = segf_flush(s->valf)) == 0 && (rc = segf_flush(s->txf)) == 0 &&
            (rc = segf_flush(s->ahtf)) == 0 && (rc = sync_data_files(s)) != 0)
            sync_failed = true;
        for (size_t i = 0; i < nc && rc == 0; i++) {
            uint8_t b[CIX_REC_SIZE];
            cix_encode(b, &s->cixbuf[i]);
            rc = segf_append(s->cixf, b, sizeof(b), NULL);
        }
        if (rc == 0 && (rc = segf_flush(s->cixf)) == 0 && (rc = sync_or_flush(s, s->cixf)) != 0)
            sync_failed = true;
    }
    if (segf_sync_error(s->valf) || segf_sync_error(s->txf) || segf_sync_error(s->ahtf) ||
        segf_sync_error(s->cixf))
        sync_failed = true;
    if (rc != 0) {
        const char *what = seal_strerror(rc);
        SEAL_LOGE("store", "commit of txs %llu..%llu failed: %s; rolling back",
                  (unsigned long long)id0 + 1, (unsigned long long)id, what);
        for (struct creq *r = g; r; r = r->next)
            if (r->rc == 0 || r->rc == 1)
                r->rc = rc;
        int rb = rollback(s, id0, tx_end0, val_end0);
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
        return;
    }
    if (nc == 0)
        return;
    pthread_mutex_lock(&s->state_mu);
    atomic_store(&s->committed, id);
    memcpy(s->committed_alh, prev, 32);
    s->last_ts = ts;
    s->vend = segf_end(s->valf);
    pthread_mutex_unlock(&s->state_mu);
    st_indexer_kick(s);
}

/* ------------------------------------------------------------ commit */
static int cmp_keys(const void *a, const void *b, void *arg)
{
    const seal_tx *tx = arg;
    const struct tx_ent *x = &tx->e[*(const uint32_t *)a], *y = &tx->e[*(const uint32_t *)b];
    size_t n = SEAL_MIN(x->klen, y->klen);
    int c = memcmp(tx->data + x->koff, tx->data + y->koff, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int check_dups(seal_tx *tx)
{
    if (tx->n < 2)
        return 0;
    uint32_t *ord = seal_malloc(tx->n * sizeof(*ord));
    if (!ord)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < tx->n; i++)
        ord[i] = (uint32_t)i;
    qsort_r(ord, tx->n, sizeof(*ord), cmp_keys, tx);
    int rc = 0;
    for (size_t i = 1; i < tx->n; i++) {
        if (cmp_keys(&ord[i - 1], &ord[i], tx) == 0) {
            rc = st_err(SEAL_EDUPLICATE, "key of entry %u appears again as entry %u",
                        SEAL_MIN(ord[i - 1], ord[i]), SEAL_MAX(ord[i - 1], ord[i]));
            break;
        }
    }
    seal_free(ord);
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
        cry_part part = {tx->data + e->voff, e->vlen};
        rc = cry_sha256v(r->hval[i], &part, 1);
        if (rc == 0)
            rc = mt_entry_digest(dig[i], s->version, e->md, e->md_len, tx->data + e->koff,
                                 e->klen, r->hval[i]);
    }
    if (rc == 0)
        rc = mt_htree_root(r->eh, (const mt_hash *)dig, tx->n);
out:
    seal_free(dig);
    return rc;
}

int seal_tx_commit(seal_store *s, seal_tx *tx, seal_txhdr *out)
{
    int rc;
    struct creq req;
    bool pre = false;
    st_err_clear();
    if (!s || !tx || tx->s != s)
        return st_err(SEAL_EINVAL, "tx does not belong to this store");
    if (tx->committed)
        return st_err(SEAL_ESTATE, "tx already committed");
    if (tx->n == 0)
        return st_err(SEAL_EINVAL, "a tx needs at least one entry");
    if ((rc = check_dups(tx)) != 0)
        return rc;
    memset(&req, 0, sizeof(req));
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
    while (!req.done) {
        if (s->leader) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
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
        pthread_mutex_unlock(&s->mu);
        if (s->poisoned) {
            for (struct creq *r = g; r; r = r->next)
                r->rc = SEAL_ESTATE;
        } else {
            run_group(s, g, map_on);
        }
        pthread_mutex_lock(&s->mu);
        for (struct creq *r = g; r; r = r->next)
            r->done = true;
        s->leader = false;
        s->groups_done++;
        if (s->map_base_pending && !map_on) {
            s->map_base = st_committed(s);
            s->map_base_pending = false;
        }
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    rc = req.rc;
    if (rc == 0) {
        tx->committed = true;
        if (out)
            st_hdr_to_pub(&req.hdr, req.alh, out);
    } else if (rc == SEAL_EPRECONDITION) {
        const struct tx_pre *p = &tx->pre[req.pre_fail];
        st_err(rc, "precondition %zu failed: %s", req.pre_fail,
               p->kind == PRE_EXISTS   ? "key must exist"
               : p->kind == PRE_ABSENT ? "key must not exist"
                                       : "key was modified after the given tx");
    } else if (rc == SEAL_ESTATE) {
        st_err(rc, "store refuses writes after an fsync failure; reopen it");
    } else if (rc != SEAL_EPRECONDITION) {
        st_err(rc, "commit failed: %s (nothing was written)", seal_strerror(rc));
    }
out:
    if (pre)
        pre_done(s);
    seal_free(req.hval);
    return rc;
}
