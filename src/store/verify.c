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
 * id, the file, the offset and what did not match.
 *
 * seal_verify_dir does the same from the files alone, read-only, without
 * opening the store: it walks the tx log from its start (the commit index is
 * checked against it, not trusted), and reports what a crash leaves and open
 * would repair (torn tails, txs missing from the commit index) as findings
 * instead of repairing them. */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

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
    SEAL_LOGI("verify", "tx %llu: %s (%s offset %llu)", (unsigned long long)tx, r->what, r->file,
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

/* The nodes appended to the hash tree for leaf |id| (immudb's order: the
 * leaf, then each new parent up to the root), computed from the frontier of
 * perfect subtrees of the first id - 1 leaves, which is then updated.
 * d[*nd - 1] is the new root. */
static int aht_leaf_nodes(mt_hash frontier[64], uint64_t id, const mt_hash alh, mt_hash d[65],
                          unsigned *nd_out)
{
    int rc;
    unsigned nd = 1, carry = 64;
    uint64_t sz = id - 1;
    if ((rc = mt_leaf_hash(d[0], alh)) != 0)
        return rc;
    for (unsigned l = 0; l < 64; l++) {
        if (!(sz & (UINT64_C(1) << l))) {
            if (carry == 64)
                carry = l;
            continue;
        }
        if ((rc = mt_node_hash(d[nd], frontier[l], d[nd - 1])) != 0)
            return rc;
        nd++;
    }
    if (carry < 64)
        memcpy(frontier[carry], d[carry], 32);
    *nd_out = nd;
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
        unsigned nd;
        if ((rc = aht_leaf_nodes(frontier, id, c.alh, d, &nd)) != 0)
            goto out;
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
        if (!s->leader && !s->rq_head && st_committed(s) == n) {
            uint64_t tend = segf_end(s->txf), vend = segf_end(s->valf);
            uint64_t ctot = segf_total(s->cixf), atot = segf_total(s->ahtf);
            uint64_t want_nodes = n ? mt_ah_nodes_upto(n) : 0;
            if (st_loc_cmp(tend, pos) > 0 && log_loc_off(tend) > 0)
                rc = report(&v, n, s->txf, pos, "tx log has bytes after the last tx");
            else if (st_loc_cmp(vend, vpos) > 0 && log_loc_off(vend) > 0)
                rc = report(&v, n, s->valf, vpos, "value log has bytes after the last value");
            else if (ctot != n * CIX_REC_SIZE)
                rc = report(&v, n, s->cixf, segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, n),
                            "commit index has %llu bytes, %llu expected", (unsigned long long)ctot,
                            (unsigned long long)n * CIX_REC_SIZE);
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

/* ------------------------------------------------- offline, read-only */

/* Bytes of |f| from |loc| to its end. */
static uint64_t bytes_from(segf *f, uint64_t loc)
{
    uint64_t n = 0;
    for (uint32_t seg = log_loc_seg(loc); seg < segf_nsegs(f); seg++) {
        uint64_t len = segf_seg_len(f, seg);
        uint64_t off = seg == log_loc_seg(loc) ? log_loc_off(loc) : 0;
        if (len > off)
            n += len - off;
    }
    return n;
}

static void note(seal_verify_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(seal_verify_report *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    SEAL_LOGW("verify", "%s", line);
    size_t have = strlen(r->notes);
    snprintf(r->notes + have, sizeof(r->notes) - have, "%s%s", have ? "\n" : "", line);
    r->nnotes++;
}

enum { CIX_OK, CIX_ZERO, CIX_BAD };

/* The commit index record of tx |id| as stored: valid, all zero, or bad. */
static int cix_state(struct seqrd *q, uint64_t id, cixrec *c)
{
    uint8_t b[CIX_REC_SIZE];
    int rc = seq_get(q, id - 1, b);
    if (rc == SEAL_ECORRUPT)
        return CIX_BAD;
    if (rc)
        return rc;
    bool zero = true;
    for (size_t i = 0; i < sizeof(b) && zero; i++)
        zero = b[i] == 0;
    if (zero)
        return CIX_ZERO;
    if (cix_decode(b, c) != 0 || c->id != id)
        return CIX_BAD;
    return CIX_OK;
}

/* K of seal.synced (store.c), read only: the commit index records and hash
 * tree nodes of txs 1..K were synced. 0 when the file is missing or damaged
 * (as open reads it: then open checks the whole commit index and recomputes
 * the hash tree from the tx log, so a damaged record of either is something
 * open repairs, not a loss). */
static uint64_t read_synced(const char *dir)
{
    char p[PATH_MAX];
    uint8_t b[24];
    snprintf(p, sizeof(p), "%s/seal.synced", dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, b, sizeof(b), 0);
    close(fd);
    if (n != (ssize_t)sizeof(b) || seal_get_u32(b) != 0x5353594eu || seal_get_u32(b + 4) != 1 ||
        seal_get_u32(b + 20) != log_crc32c(0, b, 20))
        return 0;
    return seal_get_u64(b + 8);
}

/* Walks the tx log from its start like recovery does after the commit
 * index, but over every tx, checking each against the commit index and the
 * stored hash tree, and reports (never fixes) what open would repair. */
static int verify_files(seal_store *s, seal_verify_cb cb, void *arg, seal_verify_report *rep)
{
    int rc = 0;
    struct vctx v = {s, rep};
    struct seqrd *cq = NULL, *aq = NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    mt_hash frontier[64], root, prev;
    uint64_t seg_tx = segf_seg_size(s->txf);
    uint64_t ncix = segf_rec_count(s->cixf, CIX_REC_SIZE);
    uint64_t naht = segf_rec_count(s->ahtf, AHT_NODE_SIZE);
    uint64_t cix_end = ncix; /* records that are not a zero-filled torn tail */
    uint64_t pos = 0, scan = 0, vpos = 0, node = 0, id = 1;
    uint64_t aht_missing = 0; /* first leaf whose nodes are not stored */
    /* past K the derived files may have holes after a power loss, which open
     * rebuilds: reported as notes, not as corruption */
    uint64_t synced = read_synced(s->dir);
    uint64_t aht_synced = synced ? mt_ah_nodes_upto(synced) : 0;
    memset(root, 0, 32);
    memcpy(prev, MT_EMPTY_HASH, 32);

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

    for (;; id++) {
        /* the next record: at pos, or at the start of the next segment */
        uint32_t seg = log_loc_seg(scan);
        uint64_t off = log_loc_off(scan);
        if (seg >= segf_nsegs(s->txf))
            break;
        uint64_t slen = segf_seg_len(s->txf, seg);
        if (off >= slen) {
            if (seg + 1 < segf_nsegs(s->txf)) {
                scan = log_loc(seg + 1, 0);
                id--;
                continue;
            }
            break;
        }
        /* what the commit index says about this tx */
        cixrec c;
        int cst = CIX_ZERO;
        if (id <= cix_end) {
            cst = cix_state(cq, id, &c);
            if (cst < 0) {
                rc = cst;
                goto out;
            }
            uint64_t cloc = segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, id - 1);
            bool zero = false;
            if (cst == CIX_ZERO && (rc = st_zero_from(s->cixf, cloc, &zero)) != 0)
                goto out;
            if ((cst == CIX_BAD || (cst == CIX_ZERO && !zero)) && id > synced) {
                note(rep,
                     "commit index: the record of tx %llu fails its checks, after the last "
                     "synced one (tx %llu; a power loss can leave that): would be rebuilt on "
                     "open",
                     (unsigned long long)id, (unsigned long long)synced);
                cst = CIX_ZERO;
                zero = true;
            }
            if (cst == CIX_BAD || (cst == CIX_ZERO && !zero)) {
                rc = report(&v, id, s->cixf, cloc, "commit index record fails its checks");
                goto out;
            }
            if (cst == CIX_ZERO)
                cix_end = id - 1; /* zero-filled from here: a torn tail */
        }
        bool listed = cst == CIX_OK;

        uint64_t avail = slen - off;
        uint8_t head[8];
        uint32_t len = 0;
        const char *torn = NULL, *why = NULL;
        bool invalid = false;
        segf *where = s->txf;
        uint64_t wloc = scan;
        txrec r;
        memset(&r, 0, sizeof(r));
        struct tx_check ck = {.vpos = vpos, .check_values = true};
        if (avail < 8) {
            torn = "partial record header";
        } else if ((rc = segf_read(s->txf, scan, head, 8)) != 0) {
            goto out;
        } else if ((len = txrec_peek_len(head)) < TXREC_MIN_LEN || len > TXREC_MAX_LEN) {
            invalid = true;
            why = "bad record header";
            len = 0;
        } else if (len > avail) {
            torn = "partial record";
        } else if (scan != st_place(pos, len, seg_tx)) {
            invalid = true;
            why = "record is not where the writer puts it";
        } else {
            if (len > cap) {
                seal_free(buf);
                cap = len;
                buf = seal_malloc(cap);
                if (!buf) {
                    rc = SEAL_ENOMEM;
                    goto out;
                }
            }
            if ((rc = segf_read(s->txf, scan, buf, len)) != 0)
                goto out;
            rc = txrec_decode(buf, len, &r, true, &why);
            if (rc == SEAL_ECORRUPT) {
                invalid = true;
            } else if (rc) {
                goto out;
            } else if (r.hdr.id != id) {
                invalid = true;
                why = "unexpected tx id";
            } else {
                rc = st_check_tx(s, &r, prev, root, &ck);
                if (rc == SEAL_ECORRUPT) {
                    if (ck.bad_value || ck.torn) {
                        where = s->valf;
                        wloc = ck.bad_vloc;
                    }
                    if (ck.torn)
                        torn = ck.why;
                    else
                        invalid = true, why = ck.why;
                } else if (rc) {
                    goto out;
                }
                rc = 0;
            }
        }
        if (torn || invalid) {
            txrec_free(&r);
            if (listed) {
                /* the commit index says this tx was durable */
                rc = report(&v, id, where, wloc, "tx listed in the commit index: %s",
                            torn ? torn : why);
                goto out;
            }
            bool zero = false;
            bool at_end = len > 0 && len == avail && seg + 1 >= segf_nsegs(s->txf);
            if (invalid && !at_end) {
                if ((rc = st_zero_from(s->txf, len ? st_loc_add(scan, len) : scan, &zero)) != 0)
                    goto out;
                /* more data follows: corruption, unless no later record's
                 * durable mark shows this one had been durable (a write a
                 * power loss cut; open cuts it, as recovery.c explains) */
                bool proven = false;
                if (!zero &&
                    (rc = st_durable_after(s->txf, st_loc_add(scan, 1), scan, &proven)) != 0)
                    goto out;
                if (!zero && proven) {
                    rc = report(&v, id, where, wloc,
                                "%s, and more data follows; a later record shows this one had "
                                "been durable",
                                why ? why : "invalid record");
                    goto out;
                }
                if (!zero)
                    why = "write interrupted before it was durable (power loss)";
            }
            uint64_t tb = bytes_from(s->txf, pos);
            char path[PATH_MAX];
            segf_seg_path(s->txf, log_loc_seg(pos), path, sizeof(path));
            rep->tail_after_tx = id - 1;
            rep->tail_bytes += tb;
            note(rep,
                 "tx log: tail of %llu bytes after tx %llu is incomplete (%s; %s offset %llu): "
                 "would be cut on open",
                 (unsigned long long)tb, (unsigned long long)(id - 1), torn ? torn : why, path,
                 (unsigned long long)log_loc_off(pos));
            rc = 0; /* the decode's SEAL_ECORRUPT was this torn tail, not a finding */
            break;
        }
        /* a complete, valid tx: the commit index and the hash tree */
        if (listed) {
            uint64_t cloc = segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, id - 1);
            const char *bad = c.txloc != scan                 ? "tx record location"
                              : c.size != len                 ? "tx record size"
                              : memcmp(c.alh, r.alh, 32) != 0 ? "Alh"
                              : c.vend != ck.vpos             ? "value log end"
                                                              : NULL;
            if (bad) {
                txrec_free(&r);
                rc = report(&v, id, s->cixf, cloc, "commit index: %s differs from the tx log", bad);
                goto out;
            }
        }
        for (size_t i = 0; i < r.n; i++)
            rep->bytes_checked += r.e[i].vlen;
        rep->values_checked += r.n;
        mt_hash alh;
        memcpy(alh, r.alh, 32);
        txrec_free(&r);
        mt_hash d[65];
        unsigned nd;
        if ((rc = aht_leaf_nodes(frontier, id, alh, d, &nd)) != 0)
            goto out;
        for (unsigned k = 0; k < nd; k++, node++) {
            uint8_t stored[AHT_NODE_SIZE];
            uint64_t aloc = segf_rec_loc(segf_seg_size(s->ahtf), AHT_NODE_SIZE, node);
            if (node >= naht) {
                if (!aht_missing)
                    aht_missing = id;
                continue;
            }
            if ((rc = seq_get(aq, node, stored)) != 0)
                goto out;
            if (memcmp(stored, d[k], 32) != 0 && node >= aht_synced) {
                if (!aht_missing)
                    aht_missing = id; /* not synced: open recomputes it */
                continue;
            }
            if (memcmp(stored, d[k], 32) != 0) {
                rc = report(&v, id, s->ahtf, aloc,
                            "hash tree node %llu (leaf %llu) differs from the recomputed one",
                            (unsigned long long)node, (unsigned long long)id);
                goto out;
            }
        }
        memcpy(root, d[nd - 1], 32);
        memcpy(prev, alh, 32);
        pos = st_loc_add(scan, len);
        scan = pos;
        vpos = ck.vpos;
        rep->txs_checked++;
        if (cb && id % 1024 == 0 && (rc = cb(arg, id, SEAL_MAX(ncix, id))) != 0)
            goto out;
    }
    uint64_t n = id - 1; /* complete txs */

    /* commit index records past the last complete tx */
    if (cix_end > n) {
        cixrec c;
        uint64_t cloc = segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, n);
        int cst = cix_state(cq, n + 1, &c);
        bool zero = false;
        if (cst < 0) {
            rc = cst;
            goto out;
        }
        if (cst == CIX_ZERO && (rc = st_zero_from(s->cixf, cloc, &zero)) != 0)
            goto out;
        if (cst == CIX_OK) {
            rc = report(&v, n + 1, s->cixf, cloc,
                        "commit index lists txs %llu..%llu but the tx log holds %llu complete "
                        "txs: their data is missing",
                        (unsigned long long)n + 1, (unsigned long long)cix_end,
                        (unsigned long long)n);
            goto out;
        }
        if (!zero) {
            rc = report(&v, n + 1, s->cixf, cloc, "commit index record fails its checks");
            goto out;
        }
        cix_end = n;
    }
    uint64_t ctot = segf_total(s->cixf);
    if (cix_end < n)
        note(rep,
             "commit index: txs %llu..%llu are complete in the tx log but not listed: would be "
             "added on open",
             (unsigned long long)cix_end + 1, (unsigned long long)n);
    if (ctot > cix_end * CIX_REC_SIZE)
        note(rep, "commit index: %llu bytes after the record of tx %llu: would be cut on open",
             (unsigned long long)(ctot - cix_end * CIX_REC_SIZE), (unsigned long long)cix_end);
    /* hash tree */
    uint64_t want = n ? mt_ah_nodes_upto(n) : 0;
    uint64_t atot = segf_total(s->ahtf);
    if (aht_missing)
        note(rep,
             "hash tree: nodes of leaves %llu..%llu are missing or were not synced: would be "
             "recomputed on open",
             (unsigned long long)aht_missing, (unsigned long long)n);
    else if (atot > want * AHT_NODE_SIZE)
        note(rep, "hash tree: %llu bytes after the nodes of tx %llu: would be cut on open",
             (unsigned long long)(atot - want * AHT_NODE_SIZE), (unsigned long long)n);
    /* value log */
    uint64_t vb = bytes_from(s->valf, vpos);
    if (vb > 0) {
        char path[PATH_MAX];
        segf_seg_path(s->valf, log_loc_seg(vpos), path, sizeof(path));
        if (!rep->tail_bytes)
            rep->tail_after_tx = n;
        rep->tail_bytes += vb;
        note(rep,
             "value log: tail of %llu bytes after the values of tx %llu (%s offset %llu): would "
             "be cut on open",
             (unsigned long long)vb, (unsigned long long)n, path,
             (unsigned long long)log_loc_off(vpos));
    }
    if (cb && (rc = cb(arg, n, SEAL_MAX(ncix, n))) != 0)
        goto out;
out:
    seal_free(buf);
    seal_free(cq);
    seal_free(aq);
    return rc;
}

int seal_verify_dir(const char *dir, seal_verify_cb cb, void *arg, seal_verify_report *rep)
{
    int rc;
    char path[PATH_MAX];
    seal_verify_report local;
    seal_store *s = NULL;
    st_err_clear();
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    if (!dir || !*dir)
        return st_err(SEAL_EINVAL, "seal_verify_dir: no directory");
    s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    s->lock_fd = -1;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, STORE_META_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        rc = st_err(SEAL_ELIMIT, "store path too long");
        goto out;
    }
    s->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->lock_fd < 0) {
        rc = errno == ENOENT ? st_err(SEAL_ENOTFOUND, "%s: no such store", dir)
                             : st_err(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    /* shared: excludes a writer (seal_open takes it exclusive), not other verifiers */
    if (flock(s->lock_fd, LOCK_SH | LOCK_NB) != 0) {
        rc = st_err(SEAL_EBUSY, "%s is open for writing by another process or handle", dir);
        goto out;
    }
    if ((rc = st_meta_read(s->lock_fd, path, &s->version, &s->seg_size)) != 0)
        goto out;
    uint64_t fixed = s->seg_size / CIX_REC_SIZE * CIX_REC_SIZE;
    static const struct {
        const char *sub, *ext;
        bool fixed;
    } logs[] = {
        {"tx", "tx", false}, {"val", "val", false}, {"cix", "cix", true}, {"aht", "sha", true}};
    segf **fs[] = {&s->txf, &s->valf, &s->cixf, &s->ahtf};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(logs); i++) {
        n = snprintf(path, sizeof(path), "%s/%s", dir, logs[i].sub);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            rc = st_err(SEAL_ELIMIT, "store path too long");
            goto out;
        }
        if ((rc = segf_open_ro(fs[i], path, logs[i].ext, logs[i].fixed ? fixed : s->seg_size)) !=
            0) {
            rc = st_err(rc, "cannot open %s (%s)", path, seal_strerror(rc));
            goto out;
        }
    }
    s->dir = (char *)(uintptr_t)dir; /* for seal.synced; not freed below */
    rc = verify_files(s, cb, arg, rep);
out:
    if (rc && rc != SEAL_ECORRUPT && !rep->what[0])
        snprintf(rep->what, sizeof(rep->what), "%s", seal_last_error());
    if (s) {
        segf_close(s->txf);
        segf_close(s->valf);
        segf_close(s->cixf);
        segf_close(s->ahtf);
        if (s->lock_fd >= 0)
            close(s->lock_fd);
        seal_free(s);
    }
    return rc;
}
