/* mt_proof.c - linear, linear advance and dual proofs (spec section 5): the
 * builders, as immudb's ImmuStore.LinearProof / LinearAdvanceProof /
 * DualProof, over the mt_history callbacks, and the client verifiers exactly
 * as immudb's embedded/store/verification.go, in the same order. Verifier
 * inputs come from the network: every count and id is checked before use. */
#include "mtree/mtree.h"

#include "crypto/cry.h"

#include <inttypes.h>

/* ------------------------------------------------------------------ frees */

void mt_linear_proof_free(mt_linear_proof *p)
{
    if (!p)
        return;
    seal_free(p->terms);
    memset(p, 0, sizeof(*p));
}

void mt_linear_advance_proof_free(mt_linear_advance_proof *p)
{
    if (!p)
        return;
    seal_free(p->linear_terms);
    if (p->inclusion) {
        for (size_t i = 0; i < p->ninclusion; i++)
            seal_free(p->inclusion[i].terms);
    }
    seal_free(p->inclusion);
    memset(p, 0, sizeof(*p));
}

void mt_dual_proof_free(mt_dual_proof *p)
{
    if (!p)
        return;
    seal_free(p->inclusion);
    seal_free(p->consistency);
    seal_free(p->last_inclusion);
    mt_linear_proof_free(&p->linear);
    mt_linear_advance_proof_free(&p->advance);
    memset(p, 0, sizeof(*p));
}

/* ---------------------------------------------------------------- verifiers */

bool mt_verify_linear(const mt_linear_proof *p, uint64_t s, uint64_t t, const mt_hash alh_s,
                      const mt_hash alh_t)
{
    mt_hash c;
    if (!p || p->source_tx_id != s || p->target_tx_id != t)
        return false;
    if (p->source_tx_id == 0 || p->source_tx_id > p->target_tx_id || p->nterms == 0 ||
        !p->terms || !alh_s || !alh_t || memcmp(alh_s, p->terms[0], MT_HASH_LEN) != 0)
        return false;
    /* s >= 1, so t - s + 1 cannot wrap. */
    if ((uint64_t)p->nterms != t - s + 1)
        return false;
    memcpy(c, p->terms[0], MT_HASH_LEN);
    for (size_t k = 1; k < p->nterms; k++) {
        if (mt_advance(c, c, s + (uint64_t)k, p->terms[k]))
            return false;
    }
    return memcmp(c, alh_t, MT_HASH_LEN) == 0;
}

bool mt_verify_linear_advance(const mt_linear_advance_proof *p, uint64_t start, uint64_t end,
                              const mt_hash end_alh, const mt_hash tree_root, uint64_t tree_size)
{
    mt_hash c, leaf;
    if (end < start)
        return false;
    if (end - start <= 1)
        return true; /* not needed */
    if (!p || (uint64_t)p->nlinear != end - start || (uint64_t)p->ninclusion != end - start - 1 ||
        !p->linear_terms || !p->inclusion || !end_alh || !tree_root)
        return false;
    memcpy(c, p->linear_terms[0], MT_HASH_LEN); /* Alh(start + 1) */
    for (uint64_t tx = start + 1; tx < end; tx++) {
        const struct mt_term_list *ip = &p->inclusion[tx - start - 1];
        if (mt_leaf_hash(leaf, c))
            return false;
        if (!mt_ah_verify_inclusion(ip->terms, ip->nterms, tx, tree_size, leaf, tree_root))
            return false;
        if (mt_advance(c, c, tx + 1, p->linear_terms[tx - start]))
            return false;
    }
    return memcmp(c, end_alh, MT_HASH_LEN) == 0;
}

bool mt_verify_dual(const mt_dual_proof *p, uint64_t s, uint64_t t, const mt_hash alh_s,
                    const mt_hash alh_t)
{
    mt_hash c, leaf;
    if (!p || !alh_s || !alh_t || p->source.id != s || p->target.id != t)
        return false;
    if (p->source.id == 0 || p->source.id > p->target.id)
        return false;
    if (mt_alh(c, &p->source) || memcmp(c, alh_s, MT_HASH_LEN) != 0)
        return false;
    if (mt_alh(c, &p->target) || memcmp(c, alh_t, MT_HASH_LEN) != 0)
        return false;
    const mt_txhdr *S = &p->source, *T = &p->target;
    if (s < T->bl_tx_id) {
        if (mt_leaf_hash(leaf, alh_s) ||
            !mt_ah_verify_inclusion((const mt_hash *)p->inclusion, p->ninclusion, s, T->bl_tx_id,
                                    leaf, T->bl_root))
            return false;
    }
    if (S->bl_tx_id > 0) {
        if (!mt_ah_verify_consistency((const mt_hash *)p->consistency, p->nconsistency,
                                      S->bl_tx_id, T->bl_tx_id, S->bl_root, T->bl_root))
            return false;
    }
    if (T->bl_tx_id > 0) {
        if (mt_leaf_hash(leaf, p->target_bl_tx_alh) ||
            !mt_ah_verify_last_inclusion((const mt_hash *)p->last_inclusion, p->nlast_inclusion,
                                         T->bl_tx_id, leaf, T->bl_root))
            return false;
    }
    const mt_linear_advance_proof *adv = p->has_advance ? &p->advance : NULL;
    if (s < T->bl_tx_id) {
        if (!mt_verify_linear(&p->linear, T->bl_tx_id, t, p->target_bl_tx_alh, alh_t))
            return false;
        if (!mt_verify_linear_advance(adv, S->bl_tx_id, s, alh_s, T->bl_root, T->bl_tx_id))
            return false;
    } else {
        if (!mt_verify_linear(&p->linear, s, t, alh_s, alh_t))
            return false;
        if (!mt_verify_linear_advance(adv, S->bl_tx_id, T->bl_tx_id, p->target_bl_tx_alh,
                                      T->bl_root, T->bl_tx_id))
            return false;
    }
    return true;
}

/* ----------------------------------------------------------------- builders */

/* Copies |n| terms into a fresh owned array (NULL for n == 0). */
static int dup_terms(mt_hash **out, const mt_hash *terms, size_t n)
{
    *out = NULL;
    if (n == 0)
        return 0;
    *out = seal_malloc(n * MT_HASH_LEN);
    if (!*out)
        return SEAL_ENOMEM;
    memcpy(*out, terms, n * MT_HASH_LEN);
    return 0;
}

/* Allocates an array for |count| hashes, refusing counts whose byte size
 * would not fit in size_t. */
static int alloc_hashes(mt_hash **out, uint64_t count)
{
    if (count == 0 || count > SIZE_MAX / MT_HASH_LEN)
        return SEAL_ELIMIT;
    *out = seal_malloc((size_t)count * MT_HASH_LEN);
    return *out ? 0 : SEAL_ENOMEM;
}

int mt_build_linear(const mt_history *h, uint64_t s, uint64_t t, mt_linear_proof *out)
{
    mt_linear_proof p = {0};
    mt_txhdr hdr;
    int rc;
    if (!h || !h->header || !h->alh || !out || s == 0 || s > t)
        return SEAL_EINVAL;
    p.source_tx_id = s;
    p.target_tx_id = t;
    rc = alloc_hashes(&p.terms, t - s + 1);
    if (rc)
        goto out;
    p.nterms = (size_t)(t - s + 1);
    rc = h->alh(h->ctx, s, p.terms[0]);
    if (rc)
        goto out;
    for (size_t k = 1; k < p.nterms; k++) {
        rc = h->header(h->ctx, s + k, &hdr);
        if (rc)
            goto out;
        rc = mt_inner_hash(p.terms[k], &hdr);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        mt_linear_proof_free(&p);
        return rc;
    }
    *out = p;
    return 0;
}

int mt_build_linear_advance(const mt_history *h, uint64_t start, uint64_t end,
                            uint64_t tree_size, mt_linear_advance_proof *out)
{
    mt_linear_advance_proof p = {0};
    mt_hash terms[MT_MAX_PROOF_TERMS];
    mt_txhdr hdr;
    size_t nt;
    int rc;
    if (!h || !h->header || !h->alh || !out || end < start)
        return SEAL_EINVAL;
    if (end - start <= 1) {
        *out = p; /* not needed: empty */
        return 0;
    }
    if (!h->tree)
        return SEAL_EINVAL;
    rc = alloc_hashes(&p.linear_terms, end - start);
    if (rc)
        goto out;
    p.nlinear = (size_t)(end - start);
    p.inclusion = seal_calloc(p.nlinear - 1, sizeof(*p.inclusion));
    if (!p.inclusion) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    p.ninclusion = p.nlinear - 1;
    rc = h->alh(h->ctx, start + 1, p.linear_terms[0]);
    if (rc)
        goto out;
    for (uint64_t tx = start + 1; tx < end; tx++) {
        rc = mt_ahtree_inclusion(h->tree, tx, tree_size, terms, &nt);
        if (rc)
            goto out;
        rc = dup_terms(&p.inclusion[tx - start - 1].terms, (const mt_hash *)terms, nt);
        if (rc)
            goto out;
        p.inclusion[tx - start - 1].nterms = nt;
        rc = h->header(h->ctx, tx + 1, &hdr);
        if (rc)
            goto out;
        rc = mt_inner_hash(p.linear_terms[tx - start], &hdr);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        mt_linear_advance_proof_free(&p);
        return rc;
    }
    *out = p;
    return 0;
}

int mt_build_dual(const mt_history *h, uint64_t s, uint64_t t, mt_dual_proof *out)
{
    mt_dual_proof p;
    mt_hash terms[MT_MAX_PROOF_TERMS];
    size_t nt;
    int rc;
    memset(&p, 0, sizeof(p));
    if (!h || !h->header || !h->alh || !h->tree || !out || s == 0 || s > t)
        return SEAL_EINVAL;
    rc = h->header(h->ctx, s, &p.source);
    if (rc)
        goto out;
    rc = h->header(h->ctx, t, &p.target);
    if (rc)
        goto out;
    const mt_txhdr *S = &p.source, *T = &p.target;
    if (S->bl_tx_id > T->bl_tx_id) {
        SEAL_LOGE("mtree", "binary linking mismatch at tx %" PRIu64, S->id);
        rc = SEAL_ECORRUPT;
        goto out;
    }
    if (s < T->bl_tx_id) {
        rc = mt_ahtree_inclusion(h->tree, s, T->bl_tx_id, terms, &nt);
        if (rc)
            goto out;
        rc = dup_terms(&p.inclusion, (const mt_hash *)terms, nt);
        if (rc)
            goto out;
        p.ninclusion = nt;
    }
    if (S->bl_tx_id > 0) {
        rc = mt_ahtree_consistency(h->tree, S->bl_tx_id, T->bl_tx_id, terms, &nt);
        if (rc)
            goto out;
        rc = dup_terms(&p.consistency, (const mt_hash *)terms, nt);
        if (rc)
            goto out;
        p.nconsistency = nt;
    }
    if (T->bl_tx_id > 0) {
        rc = h->alh(h->ctx, T->bl_tx_id, p.target_bl_tx_alh);
        if (rc)
            goto out;
        rc = mt_ahtree_inclusion(h->tree, T->bl_tx_id, T->bl_tx_id, terms, &nt);
        if (rc)
            goto out;
        rc = dup_terms(&p.last_inclusion, (const mt_hash *)terms, nt);
        if (rc)
            goto out;
        p.nlast_inclusion = nt;
    }
    rc = mt_build_linear(h, SEAL_MAX(s, T->bl_tx_id), t, &p.linear);
    if (rc)
        goto out;
    uint64_t start = S->bl_tx_id, end = SEAL_MIN(s, T->bl_tx_id);
    if (end < start) {
        rc = SEAL_ECORRUPT; /* source's BlTxID beyond the source itself */
        goto out;
    }
    if (end - start > 1) {
        rc = mt_build_linear_advance(h, start, end, T->bl_tx_id, &p.advance);
        if (rc)
            goto out;
        p.has_advance = true;
    }
out:
    if (rc) {
        mt_dual_proof_free(&p);
        return rc;
    }
    *out = p;
    return 0;
}
