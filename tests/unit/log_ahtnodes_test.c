/* log_ahtnodes_test.c - the hash tree node store over a segmented file and
 * its cache: nodes read back are the ones appended (from the cache and,
 * once evicted, from the file, across segments), a cut forgets the cached
 * nodes past it so that different nodes appended after a cut are the ones
 * read, a tree reopened over the store gives the same roots and proofs as
 * an in-memory one, and reads past the end fail. */
#include "testlib.h"

#include "crypto/cry.h"
#include "log/log.h"
#include "mtree/mtree.h"

static void node_of(uint64_t i, int gen, mt_hash out)
{
    uint8_t b[12];
    seal_put_u64(b, i);
    seal_put_u32(b + 8, (uint32_t)gen);
    CHECK_OK(cry_sha256(out, b, sizeof(b)));
}

static void test_read_back_and_cut(void)
{
    segf *f = NULL;
    /* small segments: 128 nodes each */
    CHECK_OK(segf_open(&f, t_path("nodes"), "sha", 128 * AHT_NODE_SIZE, true));
    if (!f)
        return;
    mt_nodestore ns;
    CHECK_OK(aht_nodestore(f, &ns));
    const uint64_t n = 40000; /* more than the cache holds: some reads hit the file */
    for (uint64_t i = 0; i < n; i++) {
        mt_hash h;
        node_of(i, 1, h);
        CHECK_OK(ns.append(ns.ctx, (const mt_hash *)&h, 1));
    }
    CHECK_OK(segf_flush(f));
    for (uint64_t i = 0; i < n; i += 7) {
        mt_hash want, got;
        node_of(i, 1, want);
        CHECK_OK(ns.read(ns.ctx, i, got));
        CHECK_MEM(got, want, 32);
    }
    mt_hash x;
    CHECK(ns.read(ns.ctx, n, x) != 0);
    CHECK_OK(ns.read(ns.ctx, 35000, x)); /* cached now */
    /* cut to 30000 nodes, append different ones: those are read */
    CHECK_OK(segf_truncate(f, segf_rec_loc(segf_seg_size(f), AHT_NODE_SIZE, 30000)));
    aht_nodestore_cut(&ns, 30000);
    for (uint64_t i = 30000; i < 30500; i++) {
        mt_hash h;
        node_of(i, 2, h);
        CHECK_OK(ns.append(ns.ctx, (const mt_hash *)&h, 1));
    }
    CHECK_OK(segf_flush(f));
    for (uint64_t i = 29990; i < 30500; i++) {
        mt_hash want, got;
        node_of(i, i < 30000 ? 1 : 2, want);
        CHECK_OK(ns.read(ns.ctx, i, got));
        CHECK_MEM(got, want, 32);
    }
    CHECK(ns.read(ns.ctx, 30500, x) != 0);
    CHECK(ns.read(ns.ctx, 35000, x) != 0); /* cut, even though it was cached */
    aht_nodestore_free(&ns);
    segf_close(f);
}

static void test_tree_over_the_store(void)
{
    segf *f = NULL;
    CHECK_OK(segf_open(&f, t_path("tree"), "sha", 4096, true));
    if (!f)
        return;
    mt_nodestore fns, mns;
    mt_memnodes *mem = NULL;
    CHECK_OK(aht_nodestore(f, &fns));
    CHECK_OK(mt_memnodes_new(&mem, &mns));
    mt_ahtree *ft = NULL, *mt = NULL;
    CHECK_OK(mt_ahtree_open(&ft, &fns, 0));
    CHECK_OK(mt_ahtree_open(&mt, &mns, 0));
    for (uint64_t i = 1; i <= 3000; i++) {
        mt_hash alh, r1, r2;
        node_of(i, 7, alh);
        CHECK_OK(mt_ahtree_append(ft, alh, r1));
        CHECK_OK(mt_ahtree_append(mt, alh, r2));
        CHECK_MEM(r1, r2, 32);
    }
    CHECK_OK(segf_flush(f));
    static mt_hash t1[MT_MAX_PROOF_TERMS], t2[MT_MAX_PROOF_TERMS];
    for (uint64_t i = 1; i <= 3000; i += 37) {
        size_t n1 = 0, n2 = 0;
        CHECK_OK(mt_ahtree_inclusion(ft, i, 3000, t1, &n1));
        CHECK_OK(mt_ahtree_inclusion(mt, i, 3000, t2, &n2));
        CHECK_INT(n1, n2);
        CHECK_MEM(t1, t2, n1 * 32);
        CHECK_OK(mt_ahtree_consistency(ft, i, 3000, t1, &n1));
        CHECK_OK(mt_ahtree_consistency(mt, i, 3000, t2, &n2));
        CHECK_INT(n1, n2);
        CHECK_MEM(t1, t2, n1 * 32);
    }
    mt_ahtree_free(ft);
    mt_ahtree_free(mt);
    mt_memnodes_free(mem);
    aht_nodestore_free(&fns);
    segf_close(f);
}

int main(void)
{
    t_init();
    RUN(test_read_back_and_cut);
    RUN(test_tree_over_the_store);
    return t_done();
}
