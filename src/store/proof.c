/* proof.c - proofs served by the store: dual proofs and linear proofs
 * between any two committed txs (built by mtree over callbacks that read
 * headers and Alh values from the commit index and tx log, and over the
 * stored hash tree), and inclusion proofs of an entry in its tx's htree. */
#include "store/store_int.h"

static int h_header(void *ctx, uint64_t id, mt_txhdr *out)
{
    txrec r;
    int rc = st_read_tx(ctx, id, false, &r, NULL);
    if (rc == 0)
        *out = r.hdr;
    return rc;
}

static int h_alh(void *ctx, uint64_t id, mt_hash out)
{
    cixrec c;
    seal_store *s = ctx;
    if (id == 0 || id > st_committed(s))
        return SEAL_ENOTFOUND;
    int rc = st_read_cix(s, id, &c);
    if (rc == 0)
        memcpy(out, c.alh, 32);
    return rc;
}

/* A read-only tree handle over the committed nodes (the leader's handle is
 * not shared: mt_ahtree is not thread-safe). */
static int open_history(seal_store *s, mt_history *h, uint64_t *size)
{
    uint64_t c = st_committed(s);
    h->ctx = s;
    h->header = h_header;
    h->alh = h_alh;
    h->tree = NULL;
    *size = c;
    return mt_ahtree_open(&h->tree, &s->ns, c);
}

static int hashes_copy(seal_hashes *dst, const mt_hash *src, size_t n)
{
    dst->n = 0;
    dst->h = NULL;
    if (n == 0)
        return 0;
    dst->h = seal_memdup(src, n * sizeof(mt_hash));
    if (!dst->h)
        return SEAL_ENOMEM;
    dst->n = n;
    return 0;
}

void seal_hashes_free(seal_hashes *h)
{
    if (!h)
        return;
    seal_free(h->h);
    h->h = NULL;
    h->n = 0;
}

void seal_dual_proof_free(seal_dual_proof *p)
{
    if (!p)
        return;
    seal_hashes_free(&p->inclusion);
    seal_hashes_free(&p->consistency);
    seal_hashes_free(&p->last_inclusion);
    seal_hashes_free(&p->linear);
    seal_hashes_free(&p->advance_linear);
    for (size_t i = 0; i < p->advance_ninclusion; i++)
        seal_hashes_free(&p->advance_inclusion[i]);
    seal_free(p->advance_inclusion);
    memset(p, 0, sizeof(*p));
}

static int alh_of(const mt_txhdr *h, mt_hash out)
{
    return mt_alh(out, h);
}

int seal_dual_proof_build(seal_store *st, uint64_t s, uint64_t t, seal_dual_proof *out)
{
    int rc;
    mt_history h;
    uint64_t size;
    mt_dual_proof mp;
    seal_dual_proof p;
    mt_hash a;
    st_err_clear();
    if (!st || !out)
        return SEAL_EINVAL;
    if (s == 0 || s > t)
        return st_err(SEAL_EINVAL, "dual proof needs 1 <= source <= target (got %llu, %llu)",
                      (unsigned long long)s, (unsigned long long)t);
    if (t > st_committed(st))
        return st_err(SEAL_ENOTFOUND, "tx %llu is not committed", (unsigned long long)t);
    if ((rc = open_history(st, &h, &size)) != 0)
        return rc;
    memset(&mp, 0, sizeof(mp));
    memset(&p, 0, sizeof(p));
    if ((rc = mt_build_dual(&h, s, t, &mp)) != 0)
        goto out;
    if ((rc = alh_of(&mp.source, a)) != 0)
        goto out;
    st_hdr_to_pub(&mp.source, a, &p.source);
    if ((rc = alh_of(&mp.target, a)) != 0)
        goto out;
    st_hdr_to_pub(&mp.target, a, &p.target);
    memcpy(p.target_bl_tx_alh, mp.target_bl_tx_alh, 32);
    p.linear_source = mp.linear.source_tx_id;
    p.linear_target = mp.linear.target_tx_id;
    if ((rc = hashes_copy(&p.inclusion, mp.inclusion, mp.ninclusion)) ||
        (rc = hashes_copy(&p.consistency, mp.consistency, mp.nconsistency)) ||
        (rc = hashes_copy(&p.last_inclusion, mp.last_inclusion, mp.nlast_inclusion)) ||
        (rc = hashes_copy(&p.linear, mp.linear.terms, mp.linear.nterms)))
        goto out;
    if (mp.has_advance) {
        p.has_advance = 1;
        if ((rc = hashes_copy(&p.advance_linear, mp.advance.linear_terms, mp.advance.nlinear)) != 0)
            goto out;
        if (mp.advance.ninclusion) {
            p.advance_inclusion = seal_calloc(mp.advance.ninclusion, sizeof(seal_hashes));
            if (!p.advance_inclusion) {
                rc = SEAL_ENOMEM;
                goto out;
            }
            p.advance_ninclusion = mp.advance.ninclusion;
            for (size_t i = 0; i < mp.advance.ninclusion; i++)
                if ((rc = hashes_copy(&p.advance_inclusion[i], mp.advance.inclusion[i].terms,
                                      mp.advance.inclusion[i].nterms)) != 0)
                    goto out;
        }
    }
    *out = p;
    memset(&p, 0, sizeof(p));
out:
    seal_dual_proof_free(&p);
    mt_dual_proof_free(&mp);
    mt_ahtree_free(h.tree);
    return rc;
}

int seal_dual_proof_verify(const seal_dual_proof *p, uint64_t s, uint64_t t,
                           const uint8_t alh_s[SEAL_HASH_LEN], const uint8_t alh_t[SEAL_HASH_LEN])
{
    if (!p || !alh_s || !alh_t)
        return SEAL_EINVAL;
    mt_dual_proof mp;
    memset(&mp, 0, sizeof(mp));
    st_hdr_from_pub(&p->source, &mp.source);
    st_hdr_from_pub(&p->target, &mp.target);
    mp.ninclusion = p->inclusion.n;
    mp.inclusion = p->inclusion.h;
    mp.nconsistency = p->consistency.n;
    mp.consistency = p->consistency.h;
    memcpy(mp.target_bl_tx_alh, p->target_bl_tx_alh, 32);
    mp.nlast_inclusion = p->last_inclusion.n;
    mp.last_inclusion = p->last_inclusion.h;
    mp.linear.source_tx_id = p->linear_source;
    mp.linear.target_tx_id = p->linear_target;
    mp.linear.nterms = p->linear.n;
    mp.linear.terms = p->linear.h;
    struct mt_term_list *lists = NULL;
    if (p->has_advance) {
        mp.has_advance = true;
        mp.advance.nlinear = p->advance_linear.n;
        mp.advance.linear_terms = p->advance_linear.h;
        if (p->advance_ninclusion) {
            lists = seal_calloc(p->advance_ninclusion, sizeof(*lists));
            if (!lists)
                return SEAL_ENOMEM;
            for (size_t i = 0; i < p->advance_ninclusion; i++) {
                lists[i].nterms = p->advance_inclusion[i].n;
                lists[i].terms = p->advance_inclusion[i].h;
            }
        }
        mp.advance.ninclusion = p->advance_ninclusion;
        mp.advance.inclusion = lists;
    }
    bool ok = mt_verify_dual(&mp, s, t, alh_s, alh_t);
    seal_free(lists);
    return ok ? 0 : SEAL_EVERIFY;
}

int seal_linear_proof_build(seal_store *st, uint64_t s, uint64_t t, seal_hashes *out)
{
    int rc;
    mt_history h;
    uint64_t size;
    mt_linear_proof lp;
    st_err_clear();
    if (!st || !out)
        return SEAL_EINVAL;
    if (s == 0 || s > t)
        return st_err(SEAL_EINVAL, "linear proof needs 1 <= source <= target");
    if (t > st_committed(st))
        return st_err(SEAL_ENOTFOUND, "tx %llu is not committed", (unsigned long long)t);
    if ((rc = open_history(st, &h, &size)) != 0)
        return rc;
    memset(&lp, 0, sizeof(lp));
    rc = mt_build_linear(&h, s, t, &lp);
    if (rc == 0)
        rc = hashes_copy(out, lp.terms, lp.nterms);
    mt_linear_proof_free(&lp);
    mt_ahtree_free(h.tree);
    return rc;
}

void seal_entry_proof_free(seal_entry_proof *p)
{
    if (p)
        seal_hashes_free(&p->terms);
}

int seal_entry_proof_build(seal_store *st, uint64_t tx, const void *key, size_t key_len,
                           seal_entry_proof *out)
{
    int rc;
    txrec r;
    uint8_t *buf = NULL;
    mt_hash *dig = NULL;
    mt_hash terms[MT_MAX_PROOF_TERMS];
    size_t nterms = 0;
    st_err_clear();
    if (!st || !key || !key_len || !out)
        return SEAL_EINVAL;
    if ((rc = st_read_tx(st, tx, true, &r, &buf)) != 0)
        return rc;
    size_t leaf = r.n;
    for (size_t i = 0; i < r.n; i++)
        if (r.e[i].key_len == key_len && memcmp(r.e[i].key, key, key_len) == 0)
            leaf = i;
    if (leaf == r.n) {
        rc = st_err(SEAL_ENOTFOUND, "key is not in tx %llu", (unsigned long long)tx);
        goto out;
    }
    dig = seal_malloc(r.n * sizeof(*dig));
    if (!dig) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < r.n && rc == 0; i++)
        rc = mt_entry_digest(dig[i], r.hdr.version, r.e[i].md, r.e[i].md_len, r.e[i].key,
                             r.e[i].key_len, r.e[i].hval);
    if (rc == 0)
        rc = mt_htree_proof(terms, &nterms, (const mt_hash *)dig, r.n, leaf);
    if (rc)
        goto out;
    seal_entry_proof p;
    memset(&p, 0, sizeof(p));
    p.leaf = leaf;
    p.width = r.n;
    memcpy(p.digest, dig[leaf], 32);
    if ((rc = hashes_copy(&p.terms, (const mt_hash *)terms, nterms)) != 0)
        goto out;
    *out = p;
out:
    seal_free(dig);
    txrec_free(&r);
    seal_free(buf);
    return rc;
}

int seal_entry_proof_verify(const seal_entry_proof *p, const uint8_t digest[SEAL_HASH_LEN],
                            const uint8_t eh[SEAL_HASH_LEN])
{
    if (!p || !digest || !eh)
        return SEAL_EINVAL;
    return mt_htree_verify(p->leaf, p->width, (const mt_hash *)p->terms.h, p->terms.n, digest, eh)
               ? 0
               : SEAL_EVERIFY;
}

int seal_entry_digest(int version, const void *key, size_t key_len, const seal_kvmd *md,
                      const uint8_t hval[SEAL_HASH_LEN], uint8_t out[SEAL_HASH_LEN])
{
    uint8_t mdb[MT_MAX_KVMD_LEN];
    size_t mdlen = 0;
    if (!key || !hval || !out)
        return SEAL_EINVAL;
    if (md) {
        mt_kvmd m;
        mt_kvmd_from_pub(&m, md);
        mdlen = mt_kvmd_bytes(&m, mdb);
    }
    return mt_entry_digest(out, version, mdb, mdlen, key, key_len, hval);
}

int seal_txhdr_alh(const seal_txhdr *h, uint8_t out[SEAL_HASH_LEN])
{
    mt_txhdr m;
    if (!h || !out)
        return SEAL_EINVAL;
    st_hdr_from_pub(h, &m);
    return mt_alh(out, &m);
}
