/* mtree_htree_test.c - the per-tx Merkle tree: every leaf of every width
 * 1..70 over d_i = H(u64(i)) proves and verifies, the proofs equal those of
 * an independent copy of immudb's level-by-level builder, tampered proofs
 * fail, the verifier keeps Go's signed-integer quirks; width 1000 as in
 * immudb's htree_test.go. Also prints a quick timing of the commit hot path
 * (entry digests + htree root of 1000 entries, ahtree append). */
#include "testlib.h"

#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <stdlib.h>

#define MAXW 1000

static mt_hash g_d[MAXW];

static void make_digests(void)
{
    for (int i = 0; i < MAXW; i++) {
        uint8_t b[8];
        seal_put_u64(b, (uint64_t)i);
        CHECK_OK(cry_sha256(g_d[i], b, 8));
    }
}

/* --------------------------------------- reference: immudb's level layout */

typedef struct {
    mt_hash *lv[12];
    size_t w;
} levels;

static void ref_build(levels *L, size_t w)
{
    size_t lw = w;
    L->w = w;
    for (int l = 0; l < 12; l++)
        L->lv[l] = calloc(w + 1, 32);
    for (size_t i = 0; i < w; i++)
        CHECK_OK(mt_leaf_hash(L->lv[0][i], g_d[i]));
    int l = 0;
    while (lw > 1) {
        size_t wn = 0;
        for (size_t i = 0; i + 1 < lw; i += 2)
            CHECK_OK(mt_node_hash(L->lv[l + 1][wn++], L->lv[l][i], L->lv[l][i + 1]));
        if (lw % 2 == 1)
            memcpy(L->lv[l + 1][wn++], L->lv[l][lw - 1], 32);
        l++;
        lw = wn;
    }
}

static void ref_free(levels *L)
{
    for (int l = 0; l < 12; l++)
        free(L->lv[l]);
}

static unsigned bitlen(size_t x)
{
    unsigned n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

/* HTree.InclusionProof, as the Go code does it (prepend each sibling). */
static size_t ref_proof(const levels *L, size_t leaf, mt_hash *out)
{
    mt_hash tmp[64];
    size_t nt = 0, m = leaf, n = L->w, offset = 0;
    if (L->w == 1)
        return 0;
    for (;;) {
        unsigned d = bitlen(n - 1);
        size_t k = (size_t)1 << (d - 1), l, r;
        if (m < k) {
            l = offset + k;
            r = offset + n - 1;
            n = k;
        } else {
            l = offset;
            r = offset + k - 1;
            m -= k;
            n -= k;
            offset += k;
        }
        unsigned layer = bitlen(r - l);
        memcpy(tmp[nt++], L->lv[layer][l >> layer], 32);
        if (n < 1 || (n == 1 && m == 0))
            break;
    }
    for (size_t i = 0; i < nt; i++)
        memcpy(out[i], tmp[nt - 1 - i], 32);
    return nt;
}

static void test_widths_1_to_70(void)
{
    size_t proofs = 0;
    for (size_t w = 1; w <= 70; w++) {
        levels L;
        mt_hash root;
        ref_build(&L, w);
        CHECK_OK(mt_htree_root(root, g_d, w));
        unsigned top = 0;
        for (size_t x = w; x > 1; x = (x + 1) / 2)
            top++;
        CHECK_MEM(root, L.lv[top][0], 32);
        for (size_t leaf = 0; leaf < w; leaf++) {
            mt_hash t[MT_MAX_PROOF_TERMS], r[MT_MAX_PROOF_TERMS];
            size_t nt;
            CHECK_OK(mt_htree_proof(t, &nt, g_d, w, leaf));
            size_t nr = ref_proof(&L, leaf, r);
            CHECK_INT(nt, nr);
            CHECK_MEM(t, r, nt * 32);
            int64_t li = (int64_t)leaf, wi = (int64_t)w;
            CHECK(mt_htree_verify(li, wi, t, nt, g_d[leaf], root));
            proofs++;
            /* Tampering: each term, the digest, the root, leaf/width, counts. */
            for (size_t k = 0; k < nt; k++) {
                t[k][k % 32] ^= 0x40;
                CHECK(!mt_htree_verify(li, wi, t, nt, g_d[leaf], root));
                t[k][k % 32] ^= 0x40;
            }
            CHECK(!mt_htree_verify(li, wi, t, nt, g_d[(leaf + 1) % MAXW], root));
            CHECK(!mt_htree_verify(li, wi, t, nt, g_d[leaf], g_d[leaf]));
            if (w > 1) {
                CHECK(!mt_htree_verify((li + 1) % wi, wi, t, nt, g_d[leaf], root));
                CHECK(!mt_htree_verify(li, wi, t, nt - 1, g_d[leaf], root));
            }
            CHECK(!mt_htree_verify(li, wi + 1, t, nt, g_d[leaf], root) || leaf + 1 < w);
            mt_hash ext[MT_MAX_PROOF_TERMS];
            memcpy(ext, t, nt * 32);
            memcpy(ext[nt], root, 32);
            CHECK(!mt_htree_verify(li, wi, ext, nt + 1, g_d[leaf], root));
        }
        ref_free(&L);
    }
    CHECK_INT(proofs, 70 * 71 / 2);
}

static void test_width_1000(void)
{
    mt_hash root, t[MT_MAX_PROOF_TERMS];
    size_t nt;
    CHECK_OK(mt_htree_root(root, g_d, MAXW));
    for (size_t leaf = 0; leaf < MAXW; leaf += (leaf < 10 || leaf > 990) ? 1 : 13) {
        CHECK_OK(mt_htree_proof(t, &nt, g_d, MAXW, leaf));
        /* 1000 = 512 + 256 + 128 + 64 + 32 + 8: depth 10, or 3 + 5 in the last 8. */
        CHECK_INT(nt, leaf < 992 ? 10 : 8);
        CHECK(mt_htree_verify((int64_t)leaf, MAXW, t, nt, g_d[leaf], root));
        t[nt / 2][0] ^= 1;
        CHECK(!mt_htree_verify((int64_t)leaf, MAXW, t, nt, g_d[leaf], root));
    }
}

/* Go's verifier works on signed ints with truncating division: replicate it
 * (a negative leaf index is walked as Go walks it, not as an unsigned). */
static void test_verifier_quirks(void)
{
    mt_hash leaf, c, t[3], root;
    CHECK_OK(mt_leaf_hash(leaf, g_d[0]));
    /* width 0, leaf -1, no terms: i == r == -1 and the root is the leaf. */
    CHECK(mt_htree_verify(-1, 0, NULL, 0, g_d[0], leaf));
    /* leaf == width: i != r at the end. */
    CHECK(!mt_htree_verify(1, 1, NULL, 0, g_d[0], leaf));
    CHECK(mt_htree_verify(0, 1, NULL, 0, g_d[0], leaf));
    /* leaf -3, width 5: Go goes (t0 left), (t1 left: -1 % 2 == -1), then
     * i = 0, r = 1 (t2 right), ending with i == r == 0. */
    memcpy(t[0], g_d[10], 32);
    memcpy(t[1], g_d[11], 32);
    memcpy(t[2], g_d[12], 32);
    CHECK_OK(mt_node_hash(c, t[0], leaf));
    CHECK_OK(mt_node_hash(c, t[1], c));
    CHECK_OK(mt_node_hash(root, c, t[2]));
    CHECK(mt_htree_verify(-3, 5, t, 3, g_d[0], root));
    /* Any other walk (here: every term on the left) gives another root. */
    CHECK_OK(mt_node_hash(c, t[2], c));
    CHECK(!mt_htree_verify(-3, 5, t, 3, g_d[0], c));
    /* Extreme widths do not trap. */
    CHECK(!mt_htree_verify(INT64_MIN, INT64_MIN, t, 3, g_d[0], root));
    CHECK(!mt_htree_verify(INT64_MAX, INT64_MAX, t, 3, g_d[0], root));
    /* Absurd term counts and missing arrays are rejected. */
    CHECK(!mt_htree_verify(0, 5, t, MT_MAX_PROOF_TERMS + 1, g_d[0], root));
    CHECK(!mt_htree_verify(0, 5, NULL, 2, g_d[0], root));
}

static void test_timing(void)
{
    /* 1000 entries with 16-byte keys, v1 digests and the htree root. */
    uint8_t keys[1000][16];
    mt_hash hv[1000], dg[1000], root;
    for (int i = 0; i < 1000; i++) {
        memset(keys[i], 0, 16);
        seal_put_u64(keys[i] + 8, (uint64_t)i);
        memcpy(hv[i], g_d[i], 32);
    }
    int reps = 200;
    double t0 = t_now();
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < 1000; i++)
            CHECK_OK(mt_entry_digest(dg[i], 1, NULL, 0, keys[i], 16, hv[i]));
        CHECK_OK(mt_htree_root(root, dg, 1000));
    }
    double dt = (t_now() - t0) / reps;
    fprintf(stderr, "  1000 entry digests + htree root: %.1f us (%.2f M entries/s/core)\n",
            dt * 1e6, 1000 / dt / 1e6);
    /* Just the digests and just the root, and the per-tx header work. */
    t0 = t_now();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < 1000; i++)
            CHECK_OK(mt_entry_digest(dg[i], 1, NULL, 0, keys[i], 16, hv[i]));
    double td = (t_now() - t0) / reps;
    t0 = t_now();
    for (int r = 0; r < reps; r++)
        CHECK_OK(mt_htree_root(root, dg, 1000));
    double tr = (t_now() - t0) / reps;
    mt_nodestore ns;
    mt_memnodes *mem = NULL;
    mt_ahtree *tree = NULL;
    CHECK_OK(mt_memnodes_new(&mem, &ns));
    CHECK_OK(mt_ahtree_open(&tree, &ns, 0));
    mt_txhdr h;
    memset(&h, 0, sizeof(h));
    h.version = 1;
    t0 = t_now();
    for (uint64_t id = 1; id <= 100000; id++) {
        h.id = id;
        CHECK_OK(mt_alh(h.prev_alh, &h));
        CHECK_OK(mt_ahtree_append(tree, h.prev_alh, h.bl_root));
    }
    double ta = (t_now() - t0) / 100000;
    fprintf(stderr, "  digests %.1f us/1000, htree root %.1f us/1000, Alh + ahtree append %.2f us/tx\n",
            td * 1e6, tr * 1e6, ta * 1e6);
    CHECK_INT(mt_memnodes_count(mem), mt_ah_nodes_upto(100000));
    mt_ahtree_free(tree);
    mt_memnodes_free(mem);
}

int main(void)
{
    t_init();
    make_digests();
    RUN(test_widths_1_to_70);
    RUN(test_width_1000);
    RUN(test_verifier_quirks);
    RUN(test_timing);
    return t_done();
}
