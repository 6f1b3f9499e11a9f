/* mtree_chain_test.c - generated chains of 100 transactions (header version
 * 1, version 0, mixed, and a chain whose BlTxID lags for txs 11-20 as in
 * immudb's data_long_linear_proof) with random entries and an ahtree over
 * memory: every ahtree root, inclusion and consistency proof (checked
 * against an independent RFC 6962 reference and the verifiers), every
 * dual proof for s <= t, and tampered proofs of every field kind rejected. */
#include "testlib.h"

#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <stdlib.h>

#define N 100

static uint64_t g_rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

typedef struct {
    mt_txhdr hdr[N + 1];
    mt_hash alh[N + 1];
    mt_memnodes *mem;
    mt_nodestore ns;
    mt_ahtree *tree;
    int override_id; /* hist_header: corrupt this header's bl_tx_id (tests) */
} gchain;

static int hist_header(void *ctx, uint64_t id, mt_txhdr *out)
{
    gchain *c = ctx;
    if (id == 0 || id > N)
        return SEAL_ENOTFOUND;
    *out = c->hdr[id];
    if ((int)id == c->override_id)
        out->bl_tx_id = N + 5;
    return 0;
}

static int hist_alh(void *ctx, uint64_t id, mt_hash out)
{
    gchain *c = ctx;
    if (id == 0 || id > N)
        return SEAL_ENOTFOUND;
    memcpy(out, c->alh[id], 32);
    return 0;
}

enum { V1, V0, MIXED, LAG };

static int version_of(int kind, uint64_t id)
{
    if (kind == V0)
        return 0;
    if (kind == MIXED)
        return id <= N / 2 ? 0 : 1;
    return 1;
}

static uint64_t bl_of(int kind, uint64_t id)
{
    if (kind == LAG && id >= 11 && id <= 20)
        return 10;
    return id - 1;
}

/* Random entries: digests, Eh, and every entry's htree proof. */
static void gen_entries(mt_txhdr *h)
{
    mt_hash dg[5];
    size_t n = 1 + rnd() % 5;
    for (size_t e = 0; e < n; e++) {
        uint8_t key[41], val[101], mdb[MT_MAX_KVMD_LEN];
        size_t kl = 1 + rnd() % 40, vl = rnd() % 101, ml = 0;
        for (size_t i = 0; i < kl; i++)
            key[i] = (uint8_t)rnd();
        key[0] = 0x00;
        for (size_t i = 0; i < vl; i++)
            val[i] = (uint8_t)rnd();
        if (h->version == 1 && rnd() % 3 == 0) {
            mt_kvmd md = {0};
            md.deleted = rnd() % 2;
            md.has_expires = rnd() % 2;
            md.expires_at = rnd() >> 20;
            md.non_indexable = rnd() % 2;
            ml = mt_kvmd_bytes(&md, mdb);
        }
        mt_hash hv;
        CHECK_OK(cry_sha256(hv, val, vl));
        CHECK_OK(mt_entry_digest(dg[e], h->version, mdb, ml, key, kl, hv));
    }
    h->nentries = (uint32_t)n;
    CHECK_OK(mt_htree_root(h->eh, dg, n));
    for (size_t e = 0; e < n; e++) {
        mt_hash terms[MT_MAX_PROOF_TERMS];
        size_t nt;
        CHECK_OK(mt_htree_proof(terms, &nt, dg, n, e));
        CHECK(mt_htree_verify((int64_t)e, (int64_t)n, terms, nt, dg[e], h->eh));
    }
}

static void gen_chain(gchain *c, int kind)
{
    memset(c, 0, sizeof(*c));
    CHECK_OK(mt_memnodes_new(&c->mem, &c->ns));
    CHECK_OK(mt_ahtree_open(&c->tree, &c->ns, 0));
    memcpy(c->alh[0], MT_EMPTY_HASH, 32);
    for (uint64_t id = 1; id <= N; id++) {
        mt_txhdr *h = &c->hdr[id];
        h->id = id;
        memcpy(h->prev_alh, c->alh[id - 1], 32);
        h->ts = 1700000000 + (int64_t)(rnd() % 100000);
        h->version = version_of(kind, id);
        if (h->version == 1 && id % 7 == 0) {
            h->md.has_truncated = true;
            h->md.truncated_upto_tx = id / 2;
        }
        if (h->version == 1 && id % 11 == 0) {
            h->md.extra_len = (uint16_t)(1 + rnd() % MT_MAX_TXMD_EXTRA);
            for (int i = 0; i < h->md.extra_len; i++)
                h->md.extra[i] = (uint8_t)rnd();
        }
        gen_entries(h);
        h->bl_tx_id = bl_of(kind, id);
        if (h->bl_tx_id)
            CHECK_OK(mt_ahtree_root_at(c->tree, h->bl_tx_id, h->bl_root));
        CHECK_OK(mt_alh(c->alh[id], h));
        mt_hash root;
        CHECK_OK(mt_ahtree_append(c->tree, c->alh[id], root));
        CHECK_INT(mt_ahtree_size(c->tree), id);
        /* The returned root is root(id). */
        mt_hash r2;
        CHECK_OK(mt_ahtree_root_at(c->tree, id, r2));
        CHECK_MEM(root, r2, 32);
    }
    CHECK_INT(mt_memnodes_count(c->mem), mt_ah_nodes_upto(N));
}

static void free_chain(gchain *c)
{
    mt_ahtree_free(c->tree);
    mt_memnodes_free(c->mem);
}

/* ---------------------------------------------- RFC 6962 reference proofs */

/* MTH over leaves a+1..b (1-based payloads alh[a+1..b]). */
static void mth(const gchain *c, uint64_t a, uint64_t b, mt_hash out)
{
    CHECK_OK(mt_htree_root(out, (const mt_hash *)&c->alh[a + 1], (size_t)(b - a)));
}

static uint64_t split(uint64_t n)
{
    uint64_t k = 1;
    while (k < n - k)
        k <<= 1;
    return k;
}

/* PATH(m, D[lo:hi]) appended leaf-up to out. */
static void ref_path(const gchain *c, uint64_t m, uint64_t lo, uint64_t hi, mt_hash *out,
                     size_t *n)
{
    if (hi - lo <= 1)
        return;
    uint64_t k = split(hi - lo);
    if (m < k) {
        ref_path(c, m, lo, lo + k, out, n);
        mth(c, lo + k, hi, out[(*n)++]);
    } else {
        ref_path(c, m - k, lo + k, hi, out, n);
        mth(c, lo, lo + k, out[(*n)++]);
    }
}

static void ref_subproof(const gchain *c, uint64_t m, uint64_t lo, uint64_t hi, bool b,
                         mt_hash *out, size_t *n)
{
    uint64_t sz = hi - lo;
    if (m == sz) {
        if (!b)
            mth(c, lo, hi, out[(*n)++]);
        return;
    }
    uint64_t k = split(sz);
    if (m <= k) {
        ref_subproof(c, m, lo, lo + k, b, out, n);
        mth(c, lo + k, hi, out[(*n)++]);
    } else {
        ref_subproof(c, m - k, lo + k, hi, false, out, n);
        mth(c, lo, lo + k, out[(*n)++]);
    }
}

static void ref_consistency(const gchain *c, uint64_t i, uint64_t j, mt_hash *out, size_t *n)
{
    *n = 0;
    if (i == j) {
        if (i == 1)
            return;
        uint64_t k = split(i);
        mth(c, k, i, out[0]);
        mth(c, 0, k, out[1]);
        *n = 2;
        return;
    }
    if ((i & (i - 1)) == 0)
        mth(c, 0, i, out[(*n)++]);
    ref_subproof(c, i, 0, j, true, out, n);
}

static void test_ahtree_proofs(void)
{
    gchain *c = calloc(1, sizeof(*c));
    gen_chain(c, V1);
    size_t incl = 0, cons = 0;
    for (uint64_t j = 1; j <= N; j++) {
        mt_hash rj, ref;
        CHECK_OK(mt_ahtree_root_at(c->tree, j, rj));
        mth(c, 0, j, ref);
        CHECK_MEM(rj, ref, 32);
        for (uint64_t i = 1; i <= j; i++) {
            mt_hash t[MT_MAX_PROOF_TERMS], r[MT_MAX_PROOF_TERMS], leaf, ri;
            size_t nt, nr = 0;
            CHECK_OK(mt_ahtree_root_at(c->tree, i, ri));
            CHECK_OK(mt_leaf_hash(leaf, c->alh[i]));

            CHECK_OK(mt_ahtree_inclusion(c->tree, i, j, t, &nt));
            if (j <= 70) {
                ref_path(c, i - 1, 0, j, r, &nr);
                CHECK_INT(nt, nr);
                CHECK_MEM(t, r, nt * 32);
            }
            CHECK(mt_ah_verify_inclusion((const mt_hash *)t, nt, i, j, leaf, rj));
            if (i == j)
                CHECK(mt_ah_verify_last_inclusion((const mt_hash *)t, nt, j, leaf, rj));
            if (nt) {
                t[nt - 1][5] ^= 0x10;
                CHECK(!mt_ah_verify_inclusion((const mt_hash *)t, nt, i, j, leaf, rj));
                t[nt - 1][5] ^= 0x10;
                CHECK(!mt_ah_verify_inclusion((const mt_hash *)t, nt - 1, i, j, leaf, rj));
                if (i < j)
                    CHECK(!mt_ah_verify_inclusion((const mt_hash *)t, nt, i + 1, j, leaf, rj));
            }
            CHECK(!mt_ah_verify_inclusion((const mt_hash *)t, nt, i, j, leaf, ri) || i == j);
            incl++;

            CHECK_OK(mt_ahtree_consistency(c->tree, i, j, t, &nt));
            if (j <= 70) {
                ref_consistency(c, i, j, r, &nr);
                CHECK_INT(nt, nr);
                CHECK_MEM(t, r, nt * 32);
            }
            CHECK(mt_ah_verify_consistency((const mt_hash *)t, nt, i, j, ri, rj));
            for (size_t k = 0; k < nt; k++) {
                t[k][31] ^= 1;
                CHECK(!mt_ah_verify_consistency((const mt_hash *)t, nt, i, j, ri, rj));
                t[k][31] ^= 1;
            }
            if (nt)
                CHECK(!mt_ah_verify_consistency((const mt_hash *)t, nt - 1, i, j, ri, rj));
            if (i < j)
                CHECK(!mt_ah_verify_consistency((const mt_hash *)t, nt, i, j, rj, rj));
            cons++;
        }
    }
    CHECK_INT(incl, N * (N + 1) / 2);
    CHECK_INT(cons, N * (N + 1) / 2);

    /* Argument errors. */
    mt_hash t[MT_MAX_PROOF_TERMS], r;
    size_t nt;
    CHECK_ERR(mt_ahtree_inclusion(c->tree, 0, 5, t, &nt), SEAL_EINVAL);
    CHECK_ERR(mt_ahtree_inclusion(c->tree, 6, 5, t, &nt), SEAL_EINVAL);
    CHECK_ERR(mt_ahtree_inclusion(c->tree, 1, N + 1, t, &nt), SEAL_ENOTFOUND);
    CHECK_ERR(mt_ahtree_consistency(c->tree, 1, N + 1, t, &nt), SEAL_ENOTFOUND);
    CHECK_ERR(mt_ahtree_root_at(c->tree, 0, r), SEAL_EINVAL);
    CHECK_ERR(mt_ahtree_root_at(c->tree, N + 1, r), SEAL_ENOTFOUND);

    /* Reopening over the same nodes at any size continues identically. */
    for (uint64_t s = 1; s <= 40; s++) {
        mt_nodestore ns2;
        mt_memnodes *m2 = NULL;
        mt_ahtree *t2 = NULL;
        CHECK_OK(mt_memnodes_new(&m2, &ns2));
        for (uint64_t k = 0; k < mt_ah_nodes_upto(s); k++) {
            mt_hash d;
            CHECK_OK(c->ns.read(c->ns.ctx, k, d));
            CHECK_OK(ns2.append(ns2.ctx, (const mt_hash *)&d, 1));
        }
        CHECK_OK(mt_ahtree_open(&t2, &ns2, s));
        for (uint64_t id = s + 1; id <= s + 20; id++) {
            mt_hash a, b;
            CHECK_OK(mt_ahtree_append(t2, c->alh[id], a));
            CHECK_OK(mt_ahtree_root_at(c->tree, id, b));
            CHECK_MEM(a, b, 32);
        }
        for (uint64_t k = 0; k < mt_memnodes_count(m2); k++) {
            mt_hash a, b;
            CHECK_OK(ns2.read(ns2.ctx, k, a));
            CHECK_OK(c->ns.read(c->ns.ctx, k, b));
            CHECK_MEM(a, b, 32);
        }
        mt_ahtree_free(t2);
        mt_memnodes_free(m2);
    }
    /* Opening over a store that lacks the nodes fails cleanly. */
    {
        mt_nodestore ns2;
        mt_memnodes *m2 = NULL;
        mt_ahtree *t2 = NULL;
        CHECK_OK(mt_memnodes_new(&m2, &ns2));
        CHECK_ERR(mt_ahtree_open(&t2, &ns2, 3), SEAL_ENOTFOUND);
        CHECK(t2 == NULL);
        mt_memnodes_free(m2);
    }
    free_chain(c);
    free(c);
}

/* --------------------------------------------------------------- tampering */

static size_t g_tampers;

/* Flip a byte of each term, drop the last, add one: all must be rejected. */
static void tamper_terms(mt_dual_proof *p, mt_hash **arr, size_t *n, const char *what,
                         const mt_hash as, const mt_hash at)
{
    for (size_t k = 0; k < *n; k++) {
        size_t b = (size_t)(rnd() % 32);
        (*arr)[k][b] ^= 0x80;
        if (mt_verify_dual(p, p->source.id, p->target.id, as, at))
            T_FAIL("flipped %s term %zu accepted (s=%" PRIu64 " t=%" PRIu64 ")", what, k,
                   p->source.id, p->target.id);
        (*arr)[k][b] ^= 0x80;
        g_tampers++;
    }
    if (*n) {
        (*n)--;
        if (mt_verify_dual(p, p->source.id, p->target.id, as, at))
            T_FAIL("truncated %s accepted", what);
        (*n)++;
        g_tampers++;
    }
    mt_hash *orig = *arr;
    mt_hash *ext = malloc((*n + 1) * 32);
    if (*n)
        memcpy(ext, orig, *n * 32);
    for (int b = 0; b < 32; b++)
        ext[*n][b] = (uint8_t)rnd();
    *arr = ext;
    (*n)++;
    if (mt_verify_dual(p, p->source.id, p->target.id, as, at))
        T_FAIL("extended %s accepted (s=%" PRIu64 " t=%" PRIu64 ")", what, p->source.id,
               p->target.id);
    (*n)--;
    *arr = orig;
    free(ext);
    g_tampers++;
}

#define EXPECT_REJECT(what)                                                                        \
    do {                                                                                           \
        if (mt_verify_dual(p, s, t, as, at))                                                       \
            T_FAIL("tampered %s accepted (s=%" PRIu64 " t=%" PRIu64 ")", what, s, t);             \
        g_tampers++;                                                                               \
    } while (0)

static void tamper_header(mt_dual_proof *p, mt_txhdr *h, uint64_t s, uint64_t t, const mt_hash as,
                          const mt_hash at)
{
    mt_txhdr save = *h;
    h->prev_alh[rnd() % 32] ^= 1;
    EXPECT_REJECT("prev_alh");
    *h = save;
    h->ts++;
    EXPECT_REJECT("ts");
    *h = save;
    h->nentries ^= 1;
    EXPECT_REJECT("nentries");
    *h = save;
    h->eh[rnd() % 32] ^= 4;
    EXPECT_REJECT("eh");
    *h = save;
    h->bl_tx_id++;
    EXPECT_REJECT("bl_tx_id");
    *h = save;
    h->bl_root[rnd() % 32] ^= 2;
    EXPECT_REJECT("bl_root");
    *h = save;
    h->version ^= 1;
    EXPECT_REJECT("version");
    *h = save;
    h->version = 2;
    EXPECT_REJECT("version 2");
    *h = save;
    h->id++;
    EXPECT_REJECT("id");
    *h = save;
    if (h->version == 1) {
        h->md.has_truncated = !h->md.has_truncated;
        EXPECT_REJECT("tx metadata");
        *h = save;
    } else {
        /* Version 0 ignores tx metadata in the hash: still accepted (Go). */
        h->md.has_truncated = !h->md.has_truncated;
        CHECK(mt_verify_dual(p, s, t, as, at));
        *h = save;
    }
}

static void tamper_all(mt_dual_proof *p, uint64_t s, uint64_t t, const mt_hash as,
                       const mt_hash at)
{
    const mt_txhdr *T = &p->target, *S = &p->source;
    if (s < T->bl_tx_id)
        tamper_terms(p, &p->inclusion, &p->ninclusion, "inclusion", as, at);
    if (S->bl_tx_id > 0)
        tamper_terms(p, &p->consistency, &p->nconsistency, "consistency", as, at);
    if (T->bl_tx_id > 0) {
        tamper_terms(p, &p->last_inclusion, &p->nlast_inclusion, "last inclusion", as, at);
        size_t b = (size_t)(rnd() % 32);
        p->target_bl_tx_alh[b] ^= 8;
        EXPECT_REJECT("targetBlTxAlh");
        p->target_bl_tx_alh[b] ^= 8;
    }
    tamper_terms(p, &p->linear.terms, &p->linear.nterms, "linear", as, at);
    p->linear.source_tx_id++;
    EXPECT_REJECT("linear source id");
    p->linear.source_tx_id--;
    p->linear.target_tx_id++;
    EXPECT_REJECT("linear target id");
    p->linear.target_tx_id--;
    if (p->has_advance) {
        tamper_terms(p, &p->advance.linear_terms, &p->advance.nlinear, "advance linear", as, at);
        for (size_t k = 0; k < p->advance.ninclusion; k++)
            tamper_terms(p, &p->advance.inclusion[k].terms, &p->advance.inclusion[k].nterms,
                         "advance inclusion", as, at);
        p->advance.ninclusion--;
        EXPECT_REJECT("advance without its last inclusion proof");
        p->advance.ninclusion++;
        p->has_advance = false;
        EXPECT_REJECT("missing advance proof");
        p->has_advance = true;
    }
    tamper_header(p, &p->source, s, t, as, at);
    tamper_header(p, &p->target, s, t, as, at);
    /* Wrong s / t / alhs. */
    if (mt_verify_dual(p, s + 1, t, as, at) || mt_verify_dual(p, s, t + 1, as, at) ||
        (s > 1 && mt_verify_dual(p, s - 1, t, as, at)) ||
        (s != t && (mt_verify_dual(p, s, t, at, at) || mt_verify_dual(p, s, t, as, as))))
        T_FAIL("wrong s/t/alh accepted (s=%" PRIu64 " t=%" PRIu64 ")", s, t);
    g_tampers += 5;
    /* Nothing was left tampered. */
    CHECK(mt_verify_dual(p, s, t, as, at));
}

static void run_dual(int kind, const char *name)
{
    gchain *c = calloc(1, sizeof(*c));
    gen_chain(c, kind);
    mt_history h = {c, hist_header, hist_alh, c->tree};
    size_t pairs = 0, advances = 0, tampered = 0;
    size_t before = g_tampers;
    for (uint64_t t = 1; t <= N; t++) {
        for (uint64_t s = 1; s <= t; s++) {
            mt_dual_proof p;
            int rc = mt_build_dual(&h, s, t, &p);
            CHECK_OK(rc);
            if (rc)
                continue;
            if (!mt_verify_dual(&p, s, t, c->alh[s], c->alh[t]))
                T_FAIL("%s: dual %" PRIu64 " -> %" PRIu64 " does not verify", name, s, t);
            pairs++;
            /* Shapes: what is present follows the rules of ImmuStore.DualProof. */
            uint64_t sbl = c->hdr[s].bl_tx_id, tbl = c->hdr[t].bl_tx_id;
            CHECK((p.ninclusion > 0) == (s < tbl));
            CHECK(p.nconsistency > 0 || sbl <= 1);
            CHECK(p.nlast_inclusion > 0 || tbl <= 1);
            if (sbl == 0)
                CHECK_INT(p.nconsistency, 0);
            if (tbl == 0) {
                static const mt_hash zero;
                CHECK_INT(p.nlast_inclusion, 0);
                CHECK_MEM(p.target_bl_tx_alh, zero, 32);
            } else {
                CHECK_MEM(p.target_bl_tx_alh, c->alh[tbl], 32);
            }
            CHECK_INT(p.linear.source_tx_id, s > tbl ? s : tbl);
            CHECK_INT(p.linear.target_tx_id, t);
            uint64_t end = s < tbl ? s : tbl;
            CHECK(p.has_advance == (end > sbl + 1));
            if (p.has_advance) {
                advances++;
                CHECK_INT(p.advance.nlinear, end - sbl);
                CHECK_INT(p.advance.ninclusion, end - sbl - 1);
            }
            /* Tampering of every field kind, for every pair. */
            tamper_all(&p, s, t, c->alh[s], c->alh[t]);
            tampered++;
            mt_dual_proof_free(&p);
            CHECK(p.inclusion == NULL && p.linear.terms == NULL && p.advance.inclusion == NULL);
        }
    }
    CHECK_INT(pairs, N * (N + 1) / 2);
    if (kind == LAG)
        CHECK(advances > 0);
    else
        CHECK_INT(advances, 0);
    fprintf(stderr, "  %s: %zu dual proofs verified, %zu with an advance proof, %zu tampered "
            "(%zu rejected variants)\n",
            name, pairs, advances, tampered, g_tampers - before);

    /* Builder errors: s > t, s = 0, S.BlTxID > T.BlTxID. */
    mt_dual_proof p;
    CHECK_ERR(mt_build_dual(&h, 5, 4, &p), SEAL_EINVAL);
    CHECK_ERR(mt_build_dual(&h, 0, 4, &p), SEAL_EINVAL);
    c->override_id = 30;
    CHECK_ERR(mt_build_dual(&h, 30, 40, &p), SEAL_ECORRUPT);
    c->override_id = 0;
    CHECK_ERR(mt_build_dual(&h, 1, N + 1, &p), SEAL_ENOTFOUND);

    /* Allocation failure at every step leaves no output and no leak. */
    uint64_t fs = kind == LAG ? 18 : 40, ft = kind == LAG ? 25 : 60;
    for (long nth = 1; nth < 200; nth++) {
        memset(&p, 0xa5, sizeof(p));
        seal_alloc_fail_at(nth, false);
        int rc = mt_build_dual(&h, fs, ft, &p);
        seal_alloc_fail_at(0, false);
        if (rc == 0) {
            CHECK(mt_verify_dual(&p, fs, ft, c->alh[fs], c->alh[ft]));
            mt_dual_proof_free(&p);
            CHECK(nth > 3);
            break;
        }
        CHECK_ERR(rc, SEAL_ENOMEM);
        CHECK(p.source.id == 0xa5a5a5a5a5a5a5a5u);
    }
    free_chain(c);
    free(c);
}

static void test_dual_v1(void)
{
    run_dual(V1, "v1");
}

static void test_dual_v0(void)
{
    run_dual(V0, "v0");
}

static void test_dual_mixed(void)
{
    run_dual(MIXED, "mixed v0/v1");
}

static void test_dual_lagging(void)
{
    run_dual(LAG, "lagging BlTxID");
}

/* Linear and linear-advance proofs on their own. */
static void test_linear(void)
{
    gchain *c = calloc(1, sizeof(*c));
    gen_chain(c, LAG);
    mt_history h = {c, hist_header, hist_alh, c->tree};
    for (uint64_t s = 1; s <= N; s += 7) {
        for (uint64_t t = s; t <= N; t += 5) {
            mt_linear_proof lp;
            CHECK_OK(mt_build_linear(&h, s, t, &lp));
            CHECK_INT(lp.nterms, t - s + 1);
            CHECK(mt_verify_linear(&lp, s, t, c->alh[s], c->alh[t]));
            CHECK(!mt_verify_linear(&lp, s, t, c->alh[s], c->alh[s == t ? 0 : s]));
            if (lp.nterms > 1) {
                lp.terms[1][0] ^= 1;
                CHECK(!mt_verify_linear(&lp, s, t, c->alh[s], c->alh[t]));
                lp.terms[1][0] ^= 1;
            }
            lp.nterms--;
            CHECK(!mt_verify_linear(&lp, s, t, c->alh[s], c->alh[t]));
            lp.nterms++;
            mt_linear_proof_free(&lp);
        }
    }
    mt_linear_proof lp;
    CHECK_ERR(mt_build_linear(&h, 0, 3, &lp), SEAL_EINVAL);
    CHECK_ERR(mt_build_linear(&h, 4, 3, &lp), SEAL_EINVAL);

    /* Advance proofs over every (start, end) with end <= tree size. */
    size_t checked = 0;
    for (uint64_t start = 0; start <= 30; start++) {
        for (uint64_t end = start; end <= 40; end++) {
            mt_linear_advance_proof ap;
            mt_hash root;
            CHECK_OK(mt_ahtree_root_at(c->tree, 45, root));
            CHECK_OK(mt_build_linear_advance(&h, start, end, 45, &ap));
            if (end <= start + 1) {
                CHECK(ap.nlinear == 0 && ap.ninclusion == 0);
                CHECK(mt_verify_linear_advance(NULL, start, end, c->alh[end], root, 45));
                continue;
            }
            CHECK(mt_verify_linear_advance(&ap, start, end, c->alh[end], root, 45));
            CHECK(!mt_verify_linear_advance(&ap, start, end, c->alh[end - 1], root, 45));
            CHECK(!mt_verify_linear_advance(&ap, start, end, c->alh[end], c->alh[end], 45));
            /* A tree too small for the last tx (the verifier does not bind the
             * size any tighter than Go's does). */
            CHECK(!mt_verify_linear_advance(&ap, start, end, c->alh[end], root, end - 2));
            CHECK(!mt_verify_linear_advance(NULL, start, end, c->alh[end], root, 45));
            if (end > start + 2)
                CHECK(!mt_verify_linear_advance(&ap, start + 1, end, c->alh[end], root, 45));
            ap.inclusion[0].terms[0][3] ^= 1;
            CHECK(!mt_verify_linear_advance(&ap, start, end, c->alh[end], root, 45));
            ap.inclusion[0].terms[0][3] ^= 1;
            ap.linear_terms[ap.nlinear - 1][9] ^= 1;
            CHECK(!mt_verify_linear_advance(&ap, start, end, c->alh[end], root, 45));
            mt_linear_advance_proof_free(&ap);
            checked++;
        }
    }
    CHECK(checked > 300);
    CHECK(!mt_verify_linear_advance(NULL, 5, 4, c->alh[4], c->alh[4], 45));
    mt_linear_advance_proof ap;
    CHECK_ERR(mt_build_linear_advance(&h, 5, 4, 45, &ap), SEAL_EINVAL);
    CHECK_ERR(mt_build_linear_advance(&h, 5, 10, N + 1, &ap), SEAL_ENOTFOUND);
    free_chain(c);
    free(c);
}

int main(void)
{
    t_init();
    double t0 = t_now();
    RUN(test_ahtree_proofs);
    RUN(test_linear);
    RUN(test_dual_v1);
    RUN(test_dual_v0);
    RUN(test_dual_mixed);
    RUN(test_dual_lagging);
    fprintf(stderr, "%zu tampered variants rejected, %.2f s\n", g_tampers, t_now() - t0);
    return t_done();
}
