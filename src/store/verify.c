/* verify.c - full verification of a store from its files.
 *
 * Every tx from 1 to the last committed one is re-read from the commit
 * index and the tx log, and every value from the value log; every hash is
 * recomputed: value hashes against hVal, entry digests, Eh, the inner hash,
 * the Alh chain (against both the record and the commit index), BlTxID and
 * BlRoot against a hash tree recomputed from scratch (O(log n) memory: only
 * the frontier of perfect subtrees), and every stored hash tree node against
 * the recomputed one. Positions are checked too (each record and value must
 * be exactly where the writer puts it, so no byte goes unaccounted), then the
 * key index: every indexable entry must be found at its tx with the same
 * value location, length, hash and metadata, and the index must hold no
 * version the log does not have. The first mismatch is reported with the tx
 * id, the file, the offset and what did not match. */
#include "store/store_int.h"

#include <limits.h>
#include <stdio.h>

#define VERIFY_CHUNK 65536

struct vctx {
    seal_store *s;
    seal_verify_report *rep;
};

static int report(struct vctx *v, uint64_t tx, segf *f, uint64_t loc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int report(struct vctx *v, uint64_t tx, segf *f, uint64_t loc, const char *fmt, ...)
{
    seal_verify_report *r = v->rep;
    va_list ap;
    r->bad_tx = tx;
    if (f)
        segf_seg_path(f, log_loc_seg(loc), r->file, sizeof(r->file));
    else
        r->file[0] = '\0';
    r->offset = log_loc_off(loc);
    va_start(ap, fmt);
    vsnprintf(r->what, sizeof(r->what), fmt, ap);
    va_end(ap);
    SEAL_LOGE("verify", "tx %llu: %s (%s offset %llu)", (unsigned long long)tx, r->what, r->file,
              (unsigned long long)r->offset);
    return st_err(SEAL_ECORRUPT, "verify: tx %llu: %s (%s offset %llu)", (unsigned long long)tx,
                  r->what, r->file, (unsigned long long)r->offset);
}

/* Sequential reader of fixed-size records (commit index, hash tree). */
struct seqrd {
    segf *f;
    size_t rs;
    uint8_t buf[VERIFY_CHUNK];
    uint64_t first; /* record index of buf[0] */
    size_t count;   /* records in buf */
};

static int seq_get(struct seqrd *q, uint64_t i, uint8_t *out)
{
    if (i < q->first || i >= q->first + q->count) {
        uint64_t per = segf_seg_size(q->f) / q->rs;
        uint64_t in_seg = per - i % per; /* records left in this segment */
        size_t want = (size_t)SEAL_MIN(in_seg, sizeof(q->buf) / q->rs);
        uint64_t loc = segf_rec_loc(segf_seg_size(q->f), q->rs, i);
        /* shrink to what the segment holds */
        uint64_t len = segf_seg_len(q->f, log_loc_seg(loc));
        if (log_loc_off(loc) + q->rs > len)
            return SEAL_ECORRUPT;
        want = (size_t)SEAL_MIN(want, (len - log_loc_off(loc)) / q->rs);
        int rc = segf_read(q->f, loc, q->buf, want * q->rs);
        if (rc)
            return rc;
        q->first = i;
        q->count = want;
    }
    memcpy(out, q->buf + (i - q->first) * q->rs, q->rs);
    return 0;
}

struct ixcount {
    uint64_t versions;
};

static int count_cb(void *arg, const uint8_t *key, size_t klen, const idx_version *v)
{
    struct ixcount *c = arg;
    c->versions += v->rev;
    return 0;
}

static int verify_store(seal_store *s, bool exact_end, seal_verify_cb cb, void *arg,
                        seal_verify_report *rep)
{
    int rc = 0;
    struct vctx v = {s, rep};
    struct seqrd *cq = NULL, *aq = NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    idx_snap *snap = NULL;
    mt_hash frontier[64], root, prev;
    uint64_t ix_upto = 0, indexable = 0;
    memset(root, 0, 32);
    memcpy(prev, MT_EMPTY_HASH, 32);
    uint64_t n = st_committed(s);
    uint64_t pos = 0, vpos = 0, node = 0;

    cq = seal_calloc(1, sizeof(*cq));
    aq = seal_calloc(1, sizeof(*aq));
    if (!cq || !aq) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    cq->f = s->cixf;
    cq->rs = CIX_REC_SIZE;
    aq->f = s->ahtf;
    aq->rs = AHT_NODE_SIZE;
    if (st_snap_begin_idx(s, &snap) == 0)
        ix_upto = SEAL_MIN(idx_snap_tx(snap), n);

    for (uint64_t id = 1; id <= n; id++) {
        uint8_t cb_[CIX_REC_SIZE];
        cixrec c;
        uint64_t cloc = segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, id - 1);
        rc = seq_get(cq, id - 1, cb_);
        if (rc == SEAL_ECORRUPT || (rc == 0 && cix_decode(cb_, &c) != 0)) {
            rc = report(&v, id, s->cixf, cloc, "commit index record missing or fails its checks");
            goto out;
        }
        if (rc)
            goto out;
        if (c.id != id) {
            rc = report(&v, id, s->cixf, cloc, "commit index record names tx %llu",
                        (unsigned long long)c.id);
            goto out;
        }
        uint64_t want = st_place(pos, c.size, segf_seg_size(s->txf));
        if (c.txloc != want) {
            rc = report(&v, id, s->cixf, cloc,
                        "tx record location in the commit index is not after the previous tx");
            goto out;
        }
        if (c.size > cap) {
            seal_free(buf);
            cap = c.size;
            buf = seal_malloc(cap);
            if (!buf) {
                rc = SEAL_ENOMEM;
                goto out;
            }
        }
        txrec r;
        const char *why = NULL;
        rc = segf_read(s->txf, c.txloc, buf, c.size);
        if (rc == SEAL_ECORRUPT) {
            rc = report(&v, id, s->txf, c.txloc, "tx record missing (tx log too short)");
            goto out;
        }
        if (rc)
            goto out;
        rc = txrec_decode(buf, c.size, &r, true, &why);
        if (rc == SEAL_ECORRUPT) {
            rc = report(&v, id, s->txf, c.txloc, "tx record: %s", why);
            goto out;
        }
        if (rc)
            goto out;
        if (r.hdr.id != id || memcmp(r.alh, c.alh, 32) != 0) {
            txrec_free(&r);
            rc = report(&v, id, s->txf, c.txloc,
                        "tx record id or Alh differs from the commit index");
            goto out;
        }
        struct tx_check ck = {.vpos = vpos, .check_values = true};
        rc = st_check_tx(s, &r, prev, root, &ck);
        if (rc == SEAL_ECORRUPT) {
            if (ck.bad_value || ck.torn)
                rc = report(&v, id, s->valf, ck.bad_vloc, "%s", ck.why);
            else
                rc = report(&v, id, s->txf, c.txloc, "%s", ck.why);
            txrec_free(&r);
            goto out;
        }
        if (rc) {
            txrec_free(&r);
            goto out;
        }
        for (size_t i = 0; i < r.n; i++)
            rep->bytes_checked += r.e[i].vlen;
        rep->values_checked += r.n;
        if (ck.vpos != c.vend) {
            txrec_free(&r);
            rc = report(&v, id, s->cixf, cloc, "value log end in the commit index is wrong");
            goto out;
        }
        /* the key index: the version written by this tx must be there */
        if (id <= ix_upto) {
            for (size_t i = 0; i < r.n && rc == 0; i++) {
                const txrec_entry *e = &r.e[i];
                mt_kvmd md;
                idx_version iv;
                mt_kvmd_parse(&md, e->md, e->md_len); /* checked by st_check_tx */
                if (md.non_indexable)
                    continue;
                indexable++;
                int g = idx_get(snap, e->key, e->key_len, id, &iv);
                if (g != 0 && g != SEAL_ENOTFOUND && g != SEAL_ECORRUPT) {
                    rc = g;
                    break;
                }
                if (g != 0 || iv.tx != id || iv.voff != e->vloc || iv.vlen != e->vlen ||
                    memcmp(iv.hval, e->hval, 32) != 0 || iv.md.deleted != md.deleted ||
                    iv.md.has_expires != md.has_expires ||
                    (md.has_expires && iv.md.expires_at != md.expires_at)) {
                    rc = report(&v, id, NULL, 0,
                                "key index: entry %zu of this tx is missing or differs (%s)", i,
                                s->ix_dir ? s->ix_dir : "index");
                    snprintf(rep->file, sizeof(rep->file), "%s", s->ix_dir ? s->ix_dir : "");
                }
            }
            if (rc) {
                txrec_free(&r);
                goto out;
            }
        }
        txrec_free(&r);
        /* the hash tree: recompute the nodes appended for leaf id */
        mt_hash d[65];
        unsigned nd = 1, carry = 64;
        uint64_t sz = id - 1;
        if ((rc = mt_leaf_hash(d[0], c.alh)) != 0)
            goto out;
        for (unsigned l = 0; l < 64; l++) {
            if (!(sz & (UINT64_C(1) << l))) {
                if (carry == 64)
                    carry = l;
                continue;
            }
            if ((rc = mt_node_hash(d[nd], frontier[l], d[nd - 1])) != 0)
                goto out;
            nd++;
        }
        if (carry < 64)
            memcpy(frontier[carry], d[carry], 32);
        for (unsigned k = 0; k < nd; k++, node++) {
            uint8_t stored[AHT_NODE_SIZE];
            uint64_t aloc = segf_rec_loc(segf_seg_size(s->ahtf), AHT_NODE_SIZE, node);
            rc = seq_get(aq, node, stored);
            if (rc == SEAL_ECORRUPT) {
                rc = report(&v, id, s->ahtf, aloc, "hash tree node %llu missing",
                            (unsigned long long)node);
                goto out;
            }
            if (rc)
                goto out;
            if (memcmp(stored, d[k], 32) != 0) {
                rc = report(&v, id, s->ahtf, aloc,
                            "hash tree node %llu (leaf %llu) differs from the recomputed one",
                            (unsigned long long)node, (unsigned long long)id);
                goto out;
            }
        }
        memcpy(root, d[nd - 1], 32);
        memcpy(prev, c.alh, 32);
        pos = st_loc_add(c.txloc, c.size);
        vpos = c.vend;
        rep->txs_checked++;
        if (cb && (id % 1024 == 0 || id == n) && (rc = cb(arg, id, n)) != 0)
            goto out;
    }
    {
        uint64_t cstate;
        mt_hash calh;
        seal_state(s, &cstate, calh);
        if (cstate == n && memcmp(calh, prev, 32) != 0) {
            rc = report(&v, n, NULL, 0, "store state Alh differs from the last tx's");
            goto out;
        }
    }
    /* the index holds nothing the log does not: total version count */
    if (snap) {
        struct ixcount ic = {0};
        idx_scan_opts so;
        memset(&so, 0, sizeof(so));
        so.max_tx = ix_upto;
        if (ix_upto > 0) {
            rc = idx_scan(snap, &so, count_cb, &ic);
            if (rc)
                goto out;
        }
        if (ix_upto > 0 && ic.versions != indexable) {
            rc = report(&v, 0, NULL, 0,
                        "key index holds %llu versions up to tx %llu, the log has %llu",
                        (unsigned long long)ic.versions, (unsigned long long)ix_upto,
                        (unsigned long long)indexable);
            snprintf(rep->file, sizeof(rep->file), "%s", s->ix_dir ? s->ix_dir : "");
            goto out;
        }
    }
    if (exact_end) {
        /* nothing after the last tx in any file (no commit in progress) */
        pthread_mutex_lock(&s->mu);
        if (!s->leader && st_committed(s) == n) {
            uint64_t tend = segf_end(s->txf), vend = segf_end(s->valf);
            uint64_t ctot = segf_total(s->cixf), atot = segf_total(s->ahtf);
            uint64_t want_nodes = n ? mt_ah_nodes_upto(n) : 0;
            if (st_loc_cmp(tend, pos) > 0 && log_loc_off(tend) > 0)
                rc = report(&v, n, s->txf, pos, "tx log has bytes after the last tx");
            else if (st_loc_cmp(vend, vpos) > 0 && log_loc_off(vend) > 0)
                rc = report(&v, n, s->valf, vpos, "value log has bytes after the last value");
            else if (ctot != n * CIX_REC_SIZE)
                rc = report(&v, n, s->cixf, segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, n),
                            "commit index has %llu bytes, %llu expected",
                            (unsigned long long)ctot, (unsigned long long)n * CIX_REC_SIZE);
            else if (atot != want_nodes * AHT_NODE_SIZE)
                rc = report(&v, n, s->ahtf,
                            segf_rec_loc(segf_seg_size(s->ahtf), AHT_NODE_SIZE, want_nodes),
                            "hash tree has %llu bytes, %llu expected", (unsigned long long)atot,
                            (unsigned long long)want_nodes * AHT_NODE_SIZE);
        }
        pthread_mutex_unlock(&s->mu);
    }
out:
    if (snap)
        st_snap_end_idx(s, snap);
    seal_free(buf);
    seal_free(cq);
    seal_free(aq);
    return rc;
}

int seal_verify(seal_store *s, seal_verify_cb cb, void *arg, seal_verify_report *rep)
{
    seal_verify_report local;
    st_err_clear();
    if (!s)
        return SEAL_EINVAL;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    return verify_store(s, true, cb, arg, rep);
}

int seal_verify_dir(const char *dir, seal_verify_cb cb, void *arg, seal_verify_report *rep)
{
    seal_options o;
    seal_store *s;
    seal_verify_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    seal_options_default(&o);
    o.create_if_missing = 0;
    int rc = seal_open(dir, &o, &s);
    if (rc) {
        snprintf(rep->what, sizeof(rep->what), "%s", seal_last_error());
        return rc;
    }
    rc = verify_store(s, true, cb, arg, rep);
    char msg[1024];
    snprintf(msg, sizeof(msg), "%s", seal_last_error());
    seal_close(s);
    if (rc)
        st_err(rc, "%s", msg);
    return rc;
}
