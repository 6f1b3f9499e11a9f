/* mtree_immudb_test.c - conformance against a data directory written by
 * immudb v1.1.0 ($SEAL_VECTORS_DIR/immudb-v1.1.0-data, layout in the formats
 * spec, Appendix A). For defaultdb and systemdb: parse the appendable
 * headers, the tx log, the commit index, the value log and the aht files;
 * recompute every hVal from the value log, every entry digest, Eh, inner
 * hash and Alh (equal to the Alh immudb stored after each record), every
 * BlRoot, and rebuild the ahtree node by node. Then prove and verify over
 * the real chain (htree, ahtree and dual proofs), including over a node
 * store that reads immudb's own aht/tree file. */
#include "testlib.h"

#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <stdlib.h>

#define MAX_TX 16
#define MAX_ENT 8

/* ------------------------------------------------------------ file reading */

typedef struct {
    uint8_t *buf;
    size_t len;
    const uint8_t *data; /* after the appendable metadata */
    size_t dlen;
    uint64_t version; /* store VERSION found in the nested metadata, 0 if none */
} afile;

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return -1;
    }
    fclose(f);
    *out = b;
    *len = (size_t)n;
    return 0;
}

/* Parses an appendable metadata map (field(u32 count), then pairs of
 * field(key) field(value), field(x) = u32(len) || x), recursing into
 * WRAPPED_METADATA. Returns false if it does not consume exactly |n|. */
static bool parse_meta(const uint8_t *p, size_t n, uint64_t *version, bool *compression_zero)
{
    size_t i = 0;
    if (n < 8 || seal_get_u32(p) != 4)
        return false;
    uint32_t count = seal_get_u32(p + 4);
    i = 8;
    for (uint32_t c = 0; c < count; c++) {
        if (n - i < 4)
            return false;
        uint32_t kl = seal_get_u32(p + i);
        i += 4;
        if (n - i < kl)
            return false;
        const uint8_t *k = p + i;
        i += kl;
        if (n - i < 4)
            return false;
        uint32_t vl = seal_get_u32(p + i);
        i += 4;
        if (n - i < vl)
            return false;
        const uint8_t *v = p + i;
        i += vl;
        if (kl == 16 && memcmp(k, "WRAPPED_METADATA", 16) == 0) {
            if (!parse_meta(v, vl, version, compression_zero))
                return false;
        } else if (kl == 7 && memcmp(k, "VERSION", 7) == 0 && vl == 8) {
            *version = seal_get_u64(v);
        } else if (kl == 18 && memcmp(k, "COMPRESSION_FORMAT", 18) == 0 && vl == 8) {
            *compression_zero = seal_get_u64(v) == 0;
        }
    }
    return i == n;
}

static bool open_afile(afile *a, const char *db, const char *rel)
{
    char path[1024];
    memset(a, 0, sizeof(*a));
    snprintf(path, sizeof(path), "%s/immudb-v1.1.0-data/%s/%s",
             t_env("SEAL_VECTORS_DIR", "tests/vectors"), db, rel);
    if (read_file(path, &a->buf, &a->len) != 0) {
        T_FAIL("cannot read %s", path);
        return false;
    }
    if (a->len < 4 || seal_get_u32(a->buf) > a->len - 4) {
        T_FAIL("%s: bad appendable header", path);
        return false;
    }
    uint32_t ml = seal_get_u32(a->buf);
    bool comp0 = false;
    if (!parse_meta(a->buf + 4, ml, &a->version, &comp0) || !comp0) {
        T_FAIL("%s: metadata map does not parse or is compressed", path);
        return false;
    }
    a->data = a->buf + 4 + ml;
    a->dlen = a->len - 4 - ml;
    return true;
}

static void close_afile(afile *a)
{
    free(a->buf);
    memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------- the chain */

typedef struct {
    mt_txhdr hdr;
    mt_hash stored_alh;
    size_t off, size; /* of the record in the tx log data */
    size_t n;
    uint8_t key[MAX_ENT][128];
    size_t klen[MAX_ENT];
    uint8_t md[MAX_ENT][MT_MAX_KVMD_LEN];
    size_t mdlen[MAX_ENT];
    uint32_t vlen[MAX_ENT];
    uint64_t voff[MAX_ENT];
    mt_hash hval[MAX_ENT];
    mt_hash digest[MAX_ENT];
} txrec;

typedef struct {
    txrec tx[MAX_TX];
    size_t ntx;
    mt_hash alh[MAX_TX + 1]; /* recomputed, 1-based */
} chain;

/* Parses the tx log records (Appendix A). */
static bool parse_txlog(chain *c, const afile *f)
{
    const uint8_t *p = f->data;
    size_t n = f->dlen, i = 0;
    c->ntx = 0;
    while (i < n) {
        if (c->ntx == MAX_TX) {
            T_FAIL("too many txs");
            return false;
        }
        txrec *r = &c->tx[c->ntx];
        memset(r, 0, sizeof(*r));
        r->off = i;
        if (n - i < 8 + 8 + 8 + 32 + 32 + 2)
            goto bad;
        r->hdr.id = seal_get_u64(p + i);
        r->hdr.ts = (int64_t)seal_get_u64(p + i + 8);
        r->hdr.bl_tx_id = seal_get_u64(p + i + 16);
        memcpy(r->hdr.bl_root, p + i + 24, 32);
        memcpy(r->hdr.prev_alh, p + i + 56, 32);
        r->hdr.version = seal_get_u16(p + i + 88);
        i += 90;
        if (r->hdr.version == 0) {
            if (n - i < 2)
                goto bad;
            r->hdr.nentries = seal_get_u16(p + i);
            i += 2;
        } else if (r->hdr.version == 1) {
            if (n - i < 2)
                goto bad;
            size_t ml = seal_get_u16(p + i);
            i += 2;
            if (n - i < ml + 4 || mt_txmd_parse(&r->hdr.md, p + i, ml) != 0)
                goto bad;
            i += ml;
            r->hdr.nentries = seal_get_u32(p + i);
            i += 4;
        } else {
            goto bad;
        }
        if (r->hdr.nentries > MAX_ENT)
            goto bad;
        r->n = r->hdr.nentries;
        for (size_t e = 0; e < r->n; e++) {
            if (n - i < 2)
                goto bad;
            r->mdlen[e] = seal_get_u16(p + i);
            i += 2;
            if (r->mdlen[e] > MT_MAX_KVMD_LEN || n - i < r->mdlen[e] + 2)
                goto bad;
            memcpy(r->md[e], p + i, r->mdlen[e]);
            i += r->mdlen[e];
            r->klen[e] = seal_get_u16(p + i);
            i += 2;
            if (r->klen[e] > sizeof(r->key[e]) || n - i < r->klen[e] + 4 + 8 + 32)
                goto bad;
            memcpy(r->key[e], p + i, r->klen[e]);
            i += r->klen[e];
            r->vlen[e] = seal_get_u32(p + i);
            r->voff[e] = seal_get_u64(p + i + 4);
            memcpy(r->hval[e], p + i + 12, 32);
            i += 44;
        }
        if (n - i < 32)
            goto bad;
        memcpy(r->stored_alh, p + i, 32);
        i += 32;
        r->size = i - r->off;
        c->ntx++;
    }
    return true;
bad:
    T_FAIL("tx log record %zu does not parse at %zu", c->ntx + 1, i);
    return false;
}

static int hist_header(void *ctx, uint64_t id, mt_txhdr *out)
{
    chain *c = ctx;
    if (id == 0 || id > c->ntx)
        return SEAL_ENOTFOUND;
    *out = c->tx[id - 1].hdr;
    return 0;
}

static int hist_alh(void *ctx, uint64_t id, mt_hash out)
{
    chain *c = ctx;
    if (id == 0 || id > c->ntx)
        return SEAL_ENOTFOUND;
    memcpy(out, c->alh[id], 32);
    return 0;
}

/* A read-only node store over immudb's own aht/tree data. */
typedef struct {
    const uint8_t *p;
    uint64_t count;
} filenodes;

static int fn_read(void *ctx, uint64_t idx, mt_hash out)
{
    filenodes *f = ctx;
    if (idx >= f->count)
        return SEAL_ENOTFOUND;
    memcpy(out, f->p + idx * 32, 32);
    return 0;
}

static int fn_append(void *ctx, const mt_hash *nodes, size_t n)
{
    return SEAL_EUNSUPPORTED;
}

/* Everything for one database; returns the number of txs checked. */
static size_t values, empty_values;

static size_t check_db(const char *db, chain *c)
{
    afile txf = {0}, txi = {0}, val = {0}, ahd = {0}, aht = {0}, ahc = {0};
    size_t checked = 0;
    bool ok = open_afile(&txf, db, "tx/00000000.tx") && open_afile(&txi, db, "commit/00000000.txi") &&
              open_afile(&val, db, "val_0/00000000.val") &&
              open_afile(&ahd, db, "aht/data/00000000.dat") &&
              open_afile(&aht, db, "aht/tree/00000000.sha") &&
              open_afile(&ahc, db, "aht/commit/00000000.di");
    if (!ok)
        goto out;
    /* Store VERSION 1 in the tx log and the commit index (12-byte entries). */
    CHECK_INT(txf.version, 1);
    CHECK_INT(txi.version, 1);
    if (!parse_txlog(c, &txf))
        goto out;
    CHECK(c->ntx >= 2);
    CHECK_INT(txi.dlen, c->ntx * 12);

    mt_nodestore ns;
    mt_memnodes *mem = NULL;
    mt_ahtree *tree = NULL;
    CHECK_OK(mt_memnodes_new(&mem, &ns));
    CHECK_OK(mt_ahtree_open(&tree, &ns, 0));
    memcpy(c->alh[0], MT_EMPTY_HASH, 32);

    for (size_t x = 0; x < c->ntx; x++) {
        txrec *r = &c->tx[x];
        CHECK_INT(r->hdr.id, x + 1);
        CHECK_INT(r->hdr.version, 0);
        CHECK_MEM(r->hdr.prev_alh, c->alh[x], 32);
        /* Commit index entry points at this record. */
        if ((x + 1) * 12 <= txi.dlen) {
            CHECK_INT(seal_get_u64(txi.data + x * 12), r->off);
            CHECK_INT(seal_get_u32(txi.data + x * 12 + 8), r->size);
        }
        for (size_t e = 0; e < r->n; e++) {
            /* The value log holds the value; its hash is the stored hVal.
             * Empty values are not written: offset 0, hVal = H(""). */
            mt_hash hv;
            if (r->vlen[e] == 0) {
                CHECK_INT(r->voff[e], 0);
                CHECK_MEM(r->hval[e], MT_EMPTY_HASH, 32);
                empty_values++;
                goto digest;
            }
            CHECK_INT(r->voff[e] >> 56, 1);
            uint64_t off = r->voff[e] & ((UINT64_C(1) << 56) - 1);
            if (off > val.dlen || val.dlen - off < r->vlen[e]) {
                T_FAIL("tx %zu entry %zu: value outside the value log", x + 1, e);
                continue;
            }
            CHECK_OK(cry_sha256(hv, val.data + off, r->vlen[e]));
            CHECK_MEM(hv, r->hval[e], 32);
            values++;
        digest:
            CHECK_INT(r->mdlen[e], 0);
            CHECK_OK(mt_entry_digest(r->digest[e], r->hdr.version, r->md[e], r->mdlen[e],
                                     r->key[e], r->klen[e], r->hval[e]));
        }
        CHECK_OK(mt_htree_root(r->hdr.eh, r->digest, r->n));
        /* Every entry proves against Eh. */
        for (size_t e = 0; e < r->n; e++) {
            mt_hash terms[MT_MAX_PROOF_TERMS];
            size_t nt;
            CHECK_OK(mt_htree_proof(terms, &nt, r->digest, r->n, e));
            CHECK(mt_htree_verify((int64_t)e, (int64_t)r->n, terms, nt, r->digest[e], r->hdr.eh));
        }
        /* BlRoot = ahtree root at BlTxID (zeros for 0); the tree lags at most. */
        if (r->hdr.bl_tx_id == 0) {
            static const mt_hash zero;
            CHECK_MEM(r->hdr.bl_root, zero, 32);
        } else {
            mt_hash root;
            CHECK(r->hdr.bl_tx_id <= mt_ahtree_size(tree));
            CHECK_OK(mt_ahtree_root_at(tree, r->hdr.bl_tx_id, root));
            CHECK_MEM(root, r->hdr.bl_root, 32);
        }
        CHECK_OK(mt_alh(c->alh[x + 1], &r->hdr));
        CHECK_MEM(c->alh[x + 1], r->stored_alh, 32);
        CHECK_OK(mt_ahtree_append(tree, c->alh[x + 1], NULL));
        checked++;
    }

    /* aht: data = u32(len) || Alh per leaf, commit = offset/len per leaf,
     * tree = the node digests, node for node. */
    uint64_t leaves = ahc.dlen / 12;
    CHECK_INT(ahc.dlen % 12, 0);
    CHECK(leaves >= 1 && leaves <= c->ntx);
    CHECK_INT(ahd.dlen, leaves * 36);
    for (uint64_t l = 0; l < leaves; l++) {
        uint64_t off = seal_get_u64(ahc.data + l * 12);
        uint32_t len = seal_get_u32(ahc.data + l * 12 + 8);
        CHECK_INT(off, l * 36);
        CHECK_INT(len, 32);
        if (off + 36 <= ahd.dlen) {
            CHECK_INT(seal_get_u32(ahd.data + off), 32);
            CHECK_MEM(ahd.data + off + 4, c->alh[l + 1], 32);
        }
    }
    CHECK_INT(aht.dlen % 32, 0);
    CHECK_INT(aht.dlen / 32, mt_ah_nodes_upto(leaves));
    CHECK(mt_memnodes_count(mem) >= aht.dlen / 32);
    for (uint64_t k = 0; k < aht.dlen / 32; k++) {
        mt_hash d;
        CHECK_OK(ns.read(ns.ctx, k, d));
        CHECK_MEM(d, aht.data + k * 32, 32);
    }

    /* A tree opened over immudb's own node file gives the same roots and
     * proofs as ours. */
    filenodes fnodes = {aht.data, aht.dlen / 32};
    mt_nodestore fns = {&fnodes, fn_append, fn_read};
    mt_ahtree *ftree = NULL;
    CHECK_OK(mt_ahtree_open(&ftree, &fns, leaves));
    for (uint64_t j = 1; ftree && j <= leaves; j++) {
        mt_hash r1, r2, t1[MT_MAX_PROOF_TERMS], t2[MT_MAX_PROOF_TERMS], leaf;
        size_t n1, n2;
        CHECK_OK(mt_ahtree_root_at(ftree, j, r1));
        CHECK_OK(mt_ahtree_root_at(tree, j, r2));
        CHECK_MEM(r1, r2, 32);
        for (uint64_t i = 1; i <= j; i++) {
            CHECK_OK(mt_ahtree_inclusion(ftree, i, j, t1, &n1));
            CHECK_OK(mt_ahtree_inclusion(tree, i, j, t2, &n2));
            CHECK_INT(n1, n2);
            CHECK_MEM(t1, t2, n1 * 32);
            CHECK_OK(mt_leaf_hash(leaf, c->alh[i]));
            CHECK(mt_ah_verify_inclusion((const mt_hash *)t1, n1, i, j, leaf, r1));
            mt_hash ri;
            CHECK_OK(mt_ahtree_root_at(ftree, i, ri));
            CHECK_OK(mt_ahtree_consistency(ftree, i, j, t1, &n1));
            CHECK(mt_ah_verify_consistency((const mt_hash *)t1, n1, i, j, ri, r1));
        }
    }
    /* The read-only store refuses appends; the tree stays as it was. */
    if (ftree) {
        CHECK_ERR(mt_ahtree_append(ftree, c->alh[1], NULL), SEAL_EUNSUPPORTED);
        CHECK_INT(mt_ahtree_size(ftree), leaves);
    }
    mt_ahtree_free(ftree);

    fprintf(stderr, "%s: %zu txs, %" PRIu64 " aht leaves, %zu aht nodes\n", db, c->ntx, leaves,
            aht.dlen / 32);
    /* Dual proofs over the real chain for every s <= t. */
    mt_history h = {c, hist_header, hist_alh, tree};
    for (uint64_t t = 1; t <= c->ntx; t++) {
        for (uint64_t s = 1; s <= t; s++) {
            mt_dual_proof p;
            int rc = mt_build_dual(&h, s, t, &p);
            CHECK_OK(rc);
            if (rc)
                continue;
            CHECK(mt_verify_dual(&p, s, t, c->alh[s], c->alh[t]));
            CHECK(!mt_verify_dual(&p, s, t, c->alh[t == s ? 0 : s + 1], c->alh[t]));
            mt_dual_proof_free(&p);
        }
    }
    mt_ahtree_free(tree);
    mt_memnodes_free(mem);
out:
    close_afile(&txf);
    close_afile(&txi);
    close_afile(&val);
    close_afile(&ahd);
    close_afile(&aht);
    close_afile(&ahc);
    return checked;
}

static chain g_chain;

static void test_defaultdb(void)
{
    chain *c = &g_chain;
    size_t n = check_db("defaultdb", c);
    CHECK_INT(n, c->ntx);
    CHECK(n >= 4);
    if (n < 4)
        return;
    /* The table of spec 8.2. */
    static const char *alh[4] = {
        "8b926ffbc9abb205a89f0dc5d81a0a2d0844f8f4404861f0eae7911a3cb537d9",
        "f7ac8460c2f812832614e15dec4b42be24b9cf501e694cc629863bfbe90d1ce5",
        "9014f59746258af130c86654f5acfe47e4909ea1b7ae1c76733ab32d97d24f73",
        "e65e5586a514cdf0a0a815d2a9eab5bff09b9a2078be732017120b7ba5a645fd",
    };
    static const char *eh[4] = {
        "15922c456cfb0dc4f597ff4c71d2772157572496117426df5961686bc0badf5d",
        "134aa50accdbdaa5263c0bef349fa23ccc3b61c37a05f4ed084ce8bf9440a52b",
        "67d4b99c60848e6350d1660d4acdb47901798700cbe14d3a74309162ec3a4c3f",
        "d200c5bab16ec22b137dcc7a6bb036dca9d4d03cb0c97db6192cfd3aa240c749",
    };
    static const char *inner[4] = {
        "282a4ecc5e58278357acc83ab361339a35866aeb3ed27ffa6add897be3c700d7",
        "e6f80f73cd3537cefe2ee8881348100de99f164cc0985e36260e3ab164cfdd2a",
        "f6941cd0d5f48cdad4a9f6396f92cefc647309b7b713b30024dc50e71f793af3",
        "b1d97b295d56eb8ee8f83c87c0fd71151a3282e8e0fe309b0c7dac4c4910ed0c",
    };
    static const int64_t ts[4] = {1637858806, 1637858834, 1637858839, 1637858853};
    static const uint32_t ne[4] = {1, 4, 1, 4};
    for (int i = 0; i < 4; i++) {
        mt_hash d;
        CHECK_HEX(c->alh[i + 1], alh[i]);
        CHECK_HEX(c->tx[i].hdr.eh, eh[i]);
        CHECK_OK(mt_inner_hash(d, &c->tx[i].hdr));
        CHECK_HEX(d, inner[i]);
        CHECK_INT(c->tx[i].hdr.ts, ts[i]);
        CHECK_INT(c->tx[i].hdr.nentries, ne[i]);
        CHECK_INT(c->tx[i].hdr.bl_tx_id, i);
    }
    CHECK_HEX(c->tx[0].key[0], "0243544c2e44415441424153452e00000001");
    CHECK_HEX(c->tx[0].digest[0], "f48281a682a7db82a7cdb66dc6eaca71a4c5c3a1f50e4a22a8bd761ebaae2c23");
    CHECK_HEX(c->tx[1].digest[3], "ebb2ec4203ea8e692bfa2aa5904e2106ad1b58dcce7cd9655ca857c5e9842019");
    CHECK_HEX(c->tx[1].hdr.bl_root, "1d8e2fc7f690ec37ae6859492834a510e02173a32b8f0df6242ec3821f771973");
    CHECK_HEX(c->tx[2].hdr.bl_root, "82c10595f20fb1bb3f55c78b5ebd43496df40fee099fa446e5065230a63981c8");
    CHECK_HEX(c->tx[3].hdr.bl_root, "d507b557e1a2cb82080990410431e94a66c549cf35f7c67463aa0f6c3e2ee178");
}

static void test_systemdb(void)
{
    chain *c = &g_chain;
    size_t n = check_db("systemdb", c);
    CHECK_INT(n, c->ntx);
    CHECK(n >= 2);
    if (n < 2)
        return;
    /* Its tx 2 key is 00 01 "immudb". */
    CHECK_INT(c->tx[1].klen[0], 8);
    CHECK_MEM(c->tx[1].key[0], "\x00\x01immudb", 8);
    fprintf(stderr, "checked %zu values from the value logs, %zu empty\n", values, empty_values);
    CHECK(values >= 8);
}

int main(void)
{
    t_init();
    RUN(test_defaultdb);
    RUN(test_systemdb);
    return t_done();
}
