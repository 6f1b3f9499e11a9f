/* read.c - reads: snapshots over the key index, get (latest, at a tx, as of
 * a tx, at a revision), history, scans, counts, txs by id, values by
 * location, the current state and the signed-state payload.
 *
 * Deleted and expired versions follow immudb: a "get latest" (or "as of")
 * whose version is a tombstone or has expired is SEAL_ENOTFOUND, and scans
 * and counts skip such keys; reads of an exact version (at_tx, revision) and
 * histories return versions as they are, metadata included. Every value read
 * is checked against its hash. */
#include "store/store_int.h"

#include <stdio.h>

void seal_entry_clear(seal_entry *e)
{
    if (!e)
        return;
    seal_free(e->key);
    seal_free(e->value);
    memset(e, 0, sizeof(*e));
}

void seal_entries_free(seal_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        seal_entry_clear(&e[i]);
    seal_free(e);
}

int seal_snap_begin(seal_store *s, uint64_t since_tx, int no_wait, uint32_t timeout_ms,
                    seal_snap **out)
{
    int rc;
    st_err_clear();
    if (!s || !out)
        return SEAL_EINVAL;
    uint64_t c = st_committed(s);
    if (since_tx > c)
        return st_err(SEAL_EINVAL, "since tx %llu is beyond the last committed tx %llu",
                      (unsigned long long)since_tx, (unsigned long long)c);
    uint64_t want = since_tx ? since_tx : c;
    seal_snap *sn = seal_calloc(1, sizeof(*sn));
    if (!sn)
        return SEAL_ENOMEM;
    sn->s = s;
    for (;;) {
        if (!no_wait && (rc = st_index_wait(s, want, timeout_ms)) != 0)
            break;
        if ((rc = st_snap_begin_idx(s, &sn->is)) != 0)
            break;
        sn->tx = idx_snap_tx(sn->is);
        if (no_wait || sn->tx >= want)
            break;
        /* The index was dropped for a rebuild between the wait and the
         * snapshot: it no longer covers |want|; wait again. */
        st_snap_end_idx(s, sn->is);
        sn->is = NULL;
    }
    if (rc) {
        seal_free(sn);
        return rc;
    }
    *out = sn;
    return 0;
}

void seal_snap_end(seal_snap *snap)
{
    if (!snap)
        return;
    st_snap_end_idx(snap->s, snap->is);
    seal_free(snap);
}

uint64_t seal_snap_tx(const seal_snap *snap)
{
    return snap ? snap->tx : 0;
}

/* Fills |out| from an index version (key copied, value read if asked). */
static int fill_entry(seal_store *s, const uint8_t *key, size_t klen, const idx_version *v,
                      bool with_value, seal_entry *out)
{
    seal_entry e;
    memset(&e, 0, sizeof(e));
    e.key = seal_memdup(key, klen);
    if (!e.key)
        return SEAL_ENOMEM;
    e.key_len = klen;
    e.tx = v->tx;
    e.revision = v->rev;
    mt_kvmd_to_pub(&v->md, &e.md);
    memcpy(e.hval, v->hval, 32);
    e.vloc = v->voff;
    e.value_len = v->vlen;
    if (with_value) {
        e.value = seal_malloc(v->vlen ? v->vlen : 1);
        if (!e.value) {
            seal_free(e.key);
            return SEAL_ENOMEM;
        }
        int rc = st_read_value(s, v->voff, v->vlen, v->hval, e.value);
        if (rc) {
            seal_entry_clear(&e);
            return rc;
        }
    }
    *out = e;
    return 0;
}

int seal_snap_get(seal_snap *snap, const void *key, size_t key_len, const seal_get_opts *o,
                  seal_entry *out)
{
    int rc;
    idx_version v;
    seal_get_opts def;
    st_err_clear();
    if (!snap || !out || !key || key_len == 0)
        return st_err(SEAL_EINVAL, "get: no key");
    if (!o) {
        memset(&def, 0, sizeof(def));
        o = &def;
    }
    if ((o->at_tx != 0) + (o->as_of_tx != 0) + (o->revision != 0) > 1)
        return st_err(SEAL_EINVAL, "get: at most one of at_tx, as_of_tx, revision");
    seal_store *s = snap->s;
    const uint8_t *k = key;
    bool filter = false;
    if (o->at_tx) {
        rc = idx_get(snap->is, k, key_len, o->at_tx, &v);
        if (rc == 0 && v.tx != o->at_tx)
            rc = SEAL_ENOTFOUND;
    } else if (o->revision > 0) {
        rc = idx_get_rev(snap->is, k, key_len, (uint64_t)o->revision, &v);
    } else if (o->revision < 0) {
        uint64_t n = 0;
        rc = idx_versions(snap->is, k, key_len, &n);
        uint64_t back = (uint64_t)(-(o->revision + 1)) + 1;
        if (rc == 0 && n <= back)
            rc = SEAL_ENOTFOUND;
        if (rc == 0)
            rc = idx_get_rev(snap->is, k, key_len, n - back, &v);
    } else {
        rc = idx_get(snap->is, k, key_len, o->as_of_tx, &v);
        filter = true;
    }
    if (rc == 0 && filter && (v.md.deleted || st_expired(s, &v.md)))
        rc = SEAL_ENOTFOUND;
    if (rc == SEAL_ENOTFOUND)
        return st_err(rc, "key not found");
    if (rc)
        return rc;
    return fill_entry(s, k, key_len, &v, !o->no_values, out);
}

int seal_get(seal_store *s, const void *key, size_t key_len, const seal_get_opts *o,
             uint64_t since_tx, int no_wait, seal_entry *out)
{
    seal_snap *snap;
    int rc = seal_snap_begin(s, since_tx, no_wait, 0, &snap);
    if (rc)
        return rc;
    rc = seal_snap_get(snap, key, key_len, o, out);
    seal_snap_end(snap);
    return rc;
}

struct hist_ctx {
    seal_store *s;
    const uint8_t *key;
    size_t klen;
    bool values;
    seal_entry *e;
    size_t n, cap;
    int err;
};

static int hist_cb(void *arg, const idx_version *v)
{
    struct hist_ctx *h = arg;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        seal_entry *ne = seal_realloc(h->e, cap * sizeof(*ne));
        if (!ne)
            return SEAL_ENOMEM;
        h->e = ne;
        h->cap = cap;
    }
    int rc = fill_entry(h->s, h->key, h->klen, v, h->values, &h->e[h->n]);
    if (rc)
        return rc;
    h->n++;
    return 0;
}

int seal_snap_history(seal_snap *snap, const void *key, size_t key_len, uint64_t offset,
                      uint64_t limit, int desc, int with_values, seal_entry **out, size_t *n)
{
    st_err_clear();
    if (!snap || !key || key_len == 0 || !out || !n)
        return st_err(SEAL_EINVAL, "history: no key");
    struct hist_ctx h = {.s = snap->s, .key = key, .klen = key_len, .values = with_values != 0};
    int rc = idx_history(snap->is, key, key_len, offset, limit, desc != 0, hist_cb, &h);
    if (rc) {
        seal_entries_free(h.e, h.n);
        if (rc == SEAL_ENOTFOUND)
            return st_err(rc, "key not found");
        return rc;
    }
    *out = h.e;
    *n = h.n;
    return 0;
}

#define SCAN_USER_STOP (-100000)

struct scan_ctx {
    seal_store *s;
    const seal_scan_opts *o;
    seal_scan_cb cb;
    void *arg;
    int user_rc;
};

static int scan_cb(void *arg, const uint8_t *key, size_t klen, const idx_version *v)
{
    struct scan_ctx *c = arg;
    if (!c->o->include_deleted && (v->md.deleted || st_expired(c->s, &v->md)))
        return 1;
    seal_entry e;
    int rc = fill_entry(c->s, key, klen, v, c->o->with_values != 0, &e);
    if (rc)
        return rc;
    rc = c->cb(c->arg, &e);
    seal_entry_clear(&e);
    if (rc) {
        c->user_rc = rc;
        return SCAN_USER_STOP;
    }
    return 0;
}

int seal_snap_scan(seal_snap *snap, const seal_scan_opts *o, seal_scan_cb cb, void *arg)
{
    st_err_clear();
    if (!snap || !o || !cb)
        return st_err(SEAL_EINVAL, "scan: missing argument");
    idx_scan_opts io;
    memset(&io, 0, sizeof(io));
    io.prefix = o->prefix;
    io.prefix_len = o->prefix ? o->prefix_len : 0;
    io.seek_key = o->seek_key;
    io.seek_len = o->seek_key ? o->seek_len : 0;
    io.seek_inclusive = !o->seek_exclusive;
    io.end_key = o->end_key;
    io.end_len = o->end_key ? o->end_len : 0;
    io.end_inclusive = o->end_inclusive != 0;
    io.desc = o->desc != 0;
    io.limit = o->limit;
    io.max_tx = o->as_of_tx;
    struct scan_ctx c = {.s = snap->s, .o = o, .cb = cb, .arg = arg};
    int rc = idx_scan(snap->is, &io, scan_cb, &c);
    if (rc == SCAN_USER_STOP)
        return c.user_rc;
    return rc;
}

int seal_snap_count(seal_snap *snap, const void *prefix, size_t prefix_len, uint64_t *out)
{
    st_err_clear();
    if (!snap || !out)
        return SEAL_EINVAL;
    int64_t now = st_now(snap->s);
    return idx_count(snap->is, prefix, prefix ? prefix_len : 0, 0, IDX_COUNT_LIVE,
                     now < 0 ? 0 : (uint64_t)now, out);
}

/* ----------------------------------------------------------- txs */
void seal_txinfo_free(seal_txinfo *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        seal_free(t->entries[i].key);
        seal_free(t->entries[i].value);
    }
    seal_free(t->entries);
    seal_free(t);
}

int seal_tx_read(seal_store *s, uint64_t id, int with_values, seal_txinfo **out)
{
    int rc;
    txrec r;
    uint8_t *buf = NULL;
    st_err_clear();
    if (!s || !out)
        return SEAL_EINVAL;
    if ((rc = st_read_tx(s, id, true, &r, &buf)) != 0)
        return rc;
    seal_txinfo *t = seal_calloc(1, sizeof(*t));
    if (!t) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    st_hdr_to_pub(&r.hdr, r.alh, &t->hdr);
    t->entries = seal_calloc(r.n ? r.n : 1, sizeof(*t->entries));
    if (!t->entries) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    t->n = r.n;
    for (size_t i = 0; i < r.n; i++) {
        const txrec_entry *e = &r.e[i];
        seal_txentry *te = &t->entries[i];
        mt_kvmd md;
        te->key = seal_memdup(e->key, e->key_len);
        if (!te->key) {
            rc = SEAL_ENOMEM;
            goto out;
        }
        te->key_len = e->key_len;
        if (mt_kvmd_parse(&md, e->md, e->md_len) != 0) {
            rc = st_err(SEAL_ECORRUPT, "tx %llu: bad KV metadata in entry %zu",
                        (unsigned long long)id, i);
            goto out;
        }
        te->has_md = e->md_len > 0;
        mt_kvmd_to_pub(&md, &te->md);
        memcpy(te->md_bytes, e->md, e->md_len);
        te->md_len = e->md_len;
        memcpy(te->hval, e->hval, 32);
        te->vlen = e->vlen;
        te->vloc = e->vloc;
        if (with_values) {
            te->value = seal_malloc(e->vlen ? e->vlen : 1);
            if (!te->value) {
                rc = SEAL_ENOMEM;
                goto out;
            }
            if ((rc = st_read_value(s, e->vloc, e->vlen, e->hval, te->value)) != 0)
                goto out;
        }
    }
    *out = t;
    t = NULL;
out:
    seal_txinfo_free(t);
    txrec_free(&r);
    seal_free(buf);
    return rc;
}

int seal_value_read(seal_store *s, uint64_t vloc, uint32_t vlen, const uint8_t hval[SEAL_HASH_LEN],
                    uint8_t **out)
{
    st_err_clear();
    if (!s || !hval || !out)
        return SEAL_EINVAL;
    uint8_t *b = seal_malloc(vlen ? vlen : 1);
    if (!b)
        return SEAL_ENOMEM;
    int rc = st_read_value(s, vloc, vlen, hval, b);
    if (rc) {
        seal_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* ----------------------------------------------------------- state */
int seal_state(seal_store *s, uint64_t *tx_id, uint8_t alh[SEAL_HASH_LEN])
{
    if (!s || !tx_id || !alh)
        return SEAL_EINVAL;
    pthread_mutex_lock(&s->state_mu);
    *tx_id = st_committed(s);
    memcpy(alh, s->committed_alh, 32);
    pthread_mutex_unlock(&s->state_mu);
    return 0;
}

int seal_state_payload(const char *db, uint64_t tx_id, const uint8_t alh[SEAL_HASH_LEN],
                       uint8_t *out, size_t cap, size_t *len)
{
    if (!db || !alh || !len)
        return SEAL_EINVAL;
    size_t dl = strlen(db);
    if (dl > UINT32_MAX)
        return SEAL_EINVAL;
    size_t n = 4 + dl + 8 + 32;
    if (!out || cap < n)
        return SEAL_ELIMIT;
    seal_put_u32(out, (uint32_t)dl);
    memcpy(out + 4, db, dl);
    seal_put_u64(out + 4 + dl, tx_id);
    memcpy(out + 12 + dl, alh, 32);
    *len = n;
    return 0;
}
