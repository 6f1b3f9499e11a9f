/* mtree_vectors_test.c - the literal vectors of the formats spec: 8.1 (header
 * bytes, inner hash and Alh, nodesUpto, the verifiers' negative cases), the
 * table values of 8.2 (immudb v1.1.0 defaultdb), and the synthetic vectors of
 * 8.4 (KV encodings, header hashing, htree over H(u64(i)), state payload);
 * plus the metadata encodings of 1.1 and 1.2. */
#include "testlib.h"

#include "crypto/cry.h"
#include "mtree/mtree.h"
#include "seal/seal.h"

static void unhex32(mt_hash out, const char *hex)
{
    size_t n = t_unhex(out, MT_HASH_LEN, hex);
    if (n != MT_HASH_LEN)
        T_FAIL("bad 32-byte hex %s", hex);
}

static void hash_of(mt_hash out, const void *p, size_t n)
{
    CHECK_OK(cry_sha256(out, p, n));
}

/* ------------------------------------------------------------- metadata */

static void test_kvmd(void)
{
    uint8_t b[MT_MAX_KVMD_LEN];
    mt_kvmd md = {0}, back;
    CHECK_INT(mt_kvmd_bytes(NULL, b), 0);
    CHECK_INT(mt_kvmd_bytes(&md, b), 0);
    md.deleted = true;
    CHECK_INT(mt_kvmd_bytes(&md, b), 1);
    CHECK_HEX(b, "00");
    md.deleted = false;
    md.has_expires = true;
    md.expires_at = 1700000000;
    CHECK_INT(mt_kvmd_bytes(&md, b), 9);
    CHECK_HEX(b, "01000000006553f100");
    md.non_indexable = true;
    CHECK_INT(mt_kvmd_bytes(&md, b), 10);
    CHECK_HEX(b, "01000000006553f10002");
    md.deleted = true;
    CHECK_INT(mt_kvmd_bytes(&md, b), 11);
    CHECK_HEX(b, "0001000000006553f10002");
    CHECK_OK(mt_kvmd_parse(&back, b, 11));
    CHECK(back.deleted && back.has_expires && back.non_indexable);
    CHECK_INT(back.expires_at, 1700000000);
    CHECK_OK(mt_kvmd_parse(&back, NULL, 0));
    CHECK(!back.deleted && !back.has_expires && !back.non_indexable);
    /* A repeated code overwrites (as Go's map). */
    uint8_t rep[] = {0x02, 0x02};
    CHECK_OK(mt_kvmd_parse(&back, rep, 2));
    CHECK(back.non_indexable && !back.deleted);
    uint8_t unknown[] = {0x03};
    CHECK_ERR(mt_kvmd_parse(&back, unknown, 1), SEAL_ECORRUPT);
    uint8_t shortexp[] = {0x01, 0, 0, 0};
    CHECK_ERR(mt_kvmd_parse(&back, shortexp, 4), SEAL_ECORRUPT);
    uint8_t toolong[12] = {0};
    CHECK_ERR(mt_kvmd_parse(&back, toolong, 12), SEAL_ECORRUPT);
    /* to and from the public seal_kvmd: any non-zero flag is set, the
     * expiry keeps its 64 bits */
    seal_kvmd pub = {.deleted = 2, .has_expires = 1, .expires_at = -1, .non_indexable = 0};
    mt_kvmd_from_pub(&back, &pub);
    CHECK(back.deleted && back.has_expires && !back.non_indexable);
    CHECK(back.expires_at == UINT64_MAX);
    CHECK_INT(mt_kvmd_bytes(&back, b), 10);
    CHECK_HEX(b, "0001ffffffffffffffff");
    seal_kvmd pub2;
    mt_kvmd_to_pub(&back, &pub2);
    CHECK(pub2.deleted == 1 && pub2.has_expires == 1 && pub2.non_indexable == 0);
    CHECK_INT(pub2.expires_at, -1);
}

static void test_txmd(void)
{
    uint8_t b[MT_MAX_TXMD_LEN];
    mt_txmd md, back;
    memset(&md, 0, sizeof(md));
    CHECK_INT(mt_txmd_bytes(&md, b), 0);
    CHECK_INT(mt_txmd_bytes(NULL, b), 0);
    md.has_truncated = true;
    md.truncated_upto_tx = 7;
    md.extra_len = 5;
    memcpy(md.extra, "hello", 5);
    CHECK_INT(mt_txmd_bytes(&md, b), 17);
    CHECK_HEX(b, "00000000000000000701000568656c6c6f");
    CHECK_OK(mt_txmd_parse(&back, b, 17));
    CHECK(back.has_truncated);
    CHECK_INT(back.truncated_upto_tx, 7);
    CHECK_INT(back.extra_len, 5);
    CHECK_MEM(back.extra, "hello", 5);
    /* Largest: truncated + 256 bytes of extra = 268. */
    md.extra_len = MT_MAX_TXMD_EXTRA;
    memset(md.extra, 0xab, MT_MAX_TXMD_EXTRA);
    CHECK_INT(mt_txmd_bytes(&md, b), MT_MAX_TXMD_LEN);
    CHECK_OK(mt_txmd_parse(&back, b, MT_MAX_TXMD_LEN));
    CHECK_INT(back.extra_len, 256);
    uint8_t bad1[] = {0x01, 0x00, 0x05, 'a'}; /* extra longer than the bytes */
    CHECK_ERR(mt_txmd_parse(&back, bad1, sizeof(bad1)), SEAL_ECORRUPT);
    uint8_t bad2[] = {0x02};
    CHECK_ERR(mt_txmd_parse(&back, bad2, 1), SEAL_ECORRUPT);
    uint8_t bad3[] = {0x00, 1, 2};
    CHECK_ERR(mt_txmd_parse(&back, bad3, 3), SEAL_ECORRUPT);
    uint8_t bad4[] = {0x01, 0x00, 0x00}; /* empty extra: never written by immudb */
    CHECK_ERR(mt_txmd_parse(&back, bad4, 3), SEAL_ECORRUPT);
    uint8_t bad5[] = {0x01, 0x01, 0x01}; /* extra of 257 bytes */
    CHECK_ERR(mt_txmd_parse(&back, bad5, 3), SEAL_ECORRUPT);
}

static void test_digest_from_bytes(void)
{
    mt_hash d;
    uint8_t src[40];
    for (int i = 0; i < 40; i++)
        src[i] = (uint8_t)(i + 1);
    mt_digest_from_bytes(d, src, 40);
    CHECK_MEM(d, src, 32);
    mt_digest_from_bytes(d, src, 3);
    CHECK_HEX(d, "0102030000000000000000000000000000000000000000000000000000000000");
    mt_digest_from_bytes(d, NULL, 0);
    CHECK_HEX(d, "0000000000000000000000000000000000000000000000000000000000000000");
}

/* ------------------------------------------------------------------- 8.1 */

static void hdr_8_1(mt_txhdr *h, int version)
{
    memset(h, 0, sizeof(*h));
    h->id = 1;
    h->ts = 2;
    h->bl_tx_id = 3;
    h->bl_root[0] = 0x04;
    h->prev_alh[0] = 0x05;
    h->nentries = 7;
    h->eh[0] = 0x08;
    h->version = version;
}

static void test_header_8_1(void)
{
    mt_txhdr h;
    uint8_t b[MT_MAX_TXHDR_BYTES];
    size_t n = 0;
    mt_hash d;
    const char *zeros31 = "00000000000000000000000000000000000000000000000000000000000000";

    hdr_8_1(&h, 0);
    CHECK_OK(mt_txhdr_bytes(&h, b, &n));
    CHECK_INT(n, 124);
    char exp[600];
    snprintf(exp, sizeof(exp),
             "0000000000000001 05%s 0000000000000002 0000 0007 08%s "
             "0000000000000003 04%s",
             zeros31, zeros31, zeros31);
    CHECK_HEX(b, exp);
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "6cbad48f4c16a2030c9b3b81a9cece76210846bdc2093a8cf9a4e1044cd8c8aa");
    CHECK_OK(mt_alh(d, &h));
    CHECK_HEX(d, "d2e1f8985e449b9dbec77da9cf544931e8a9f44200c488112e19ea6717a316d3");

    hdr_8_1(&h, 1);
    CHECK_OK(mt_txhdr_bytes(&h, b, &n));
    CHECK_INT(n, 128);
    snprintf(exp, sizeof(exp),
             "0000000000000001 05%s 0000000000000002 0001 0000 00000007 08%s "
             "0000000000000003 04%s",
             zeros31, zeros31, zeros31);
    CHECK_HEX(b, exp);
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "f418fe9d179d2a85b485520de3e9f31311c298aefe2c0f6c83d06de1308037b5");
    CHECK_OK(mt_alh(d, &h));
    CHECK_HEX(d, "16d2e3f26c26225ac4a84fa3e7f34f0afda196979234c9e6d6be86118edcd459");

    /* Unknown versions and v0 with metadata. */
    h.version = 2;
    CHECK_ERR(mt_inner_hash(d, &h), SEAL_EINVAL);
    CHECK_ERR(mt_alh(d, &h), SEAL_EINVAL);
    CHECK_ERR(mt_txhdr_bytes(&h, b, &n), SEAL_EINVAL);
    hdr_8_1(&h, 0);
    h.md.has_truncated = true;
    CHECK_ERR(mt_txhdr_bytes(&h, b, &n), SEAL_EUNSUPPORTED);
    /* ... but the v0 inner hash ignores metadata. */
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "6cbad48f4c16a2030c9b3b81a9cece76210846bdc2093a8cf9a4e1044cd8c8aa");
}

static void test_nodes_upto(void)
{
    static const uint64_t exp[16] = {1, 3, 5, 8, 10, 13, 16, 20, 22, 25, 28, 32, 35, 39, 43, 48};
    for (uint64_t n = 1; n <= 16; n++) {
        CHECK_INT(mt_ah_nodes_upto(n), exp[n - 1]);
    }
    CHECK_INT(mt_ah_nodes_until(1), 0);
    /* nodesUntil(n) + popcount(n-1) + 1 == nodesUpto(n), and a brute-force sum. */
    uint64_t sum = 0;
    for (uint64_t n = 1; n <= 5000; n++) {
        sum += 1 + (uint64_t)__builtin_popcountll(n - 1);
        if (mt_ah_nodes_upto(n) != sum ||
            mt_ah_nodes_until(n) + (uint64_t)__builtin_popcountll(n - 1) + 1 != sum) {
            T_FAIL("nodes_upto(%" PRIu64 ")", n);
            break;
        }
    }
    /* Large sizes: total popcount of 0..2^40-1 is 40 * 2^39. */
    CHECK(mt_ah_nodes_upto(UINT64_C(1) << 40) == (UINT64_C(1) << 40) + 40 * (UINT64_C(1) << 39));
}

static void test_negative_8_1(void)
{
    mt_hash e, z;
    memcpy(e, MT_EMPTY_HASH, 32);
    hash_of(z, "", 0);
    CHECK_MEM(z, MT_EMPTY_HASH, 32);

    mt_hash term;
    memcpy(term, MT_EMPTY_HASH, 32);
    mt_linear_proof lp = {.source_tx_id = 1, .target_tx_id = 1, .nterms = 1, .terms = &term};
    CHECK(mt_verify_linear(&lp, 1, 1, e, e));
    lp.target_tx_id = 2;
    CHECK(!mt_verify_linear(&lp, 1, 2, e, e));
    CHECK(!mt_verify_linear(NULL, 1, 1, e, e));

    mt_dual_proof dp;
    memset(&dp, 0, sizeof(dp));
    CHECK(!mt_verify_dual(NULL, 0, 0, e, e));
    CHECK(!mt_verify_dual(&dp, 0, 0, e, e));

    CHECK(!mt_ah_verify_inclusion(NULL, 0, 1, 10, e, e));
    CHECK(!mt_ah_verify_inclusion(NULL, 0, 10, 1, e, e));
    CHECK(!mt_ah_verify_consistency(NULL, 0, 1, 10, e, e));
    CHECK(!mt_ah_verify_consistency(NULL, 0, 10, 1, e, e));
    CHECK(!mt_ah_verify_last_inclusion(NULL, 0, 0, e, e));
    /* Degenerate but valid per Go: i == j with no terms compares the roots. */
    CHECK(mt_ah_verify_consistency(NULL, 0, 5, 5, e, e));
    mt_hash other;
    memcpy(other, e, 32);
    other[31] ^= 1;
    CHECK(!mt_ah_verify_consistency(NULL, 0, 5, 5, e, other));
    /* Terms without an array are rejected, not dereferenced. */
    CHECK(!mt_ah_verify_inclusion(NULL, 3, 1, 10, e, e));
    CHECK(!mt_ah_verify_last_inclusion(NULL, 2, 1, e, e));
}

/* ------------------------------------------------------------------- 8.2 */

struct tx82 {
    int64_t ts;
    uint32_t n;
    uint64_t bl;
    const char *eh, *inner, *alh;
};

static const struct tx82 T82[4] = {
    {1637858806, 1, 0, "15922c456cfb0dc4f597ff4c71d2772157572496117426df5961686bc0badf5d",
     "282a4ecc5e58278357acc83ab361339a35866aeb3ed27ffa6add897be3c700d7",
     "8b926ffbc9abb205a89f0dc5d81a0a2d0844f8f4404861f0eae7911a3cb537d9"},
    {1637858834, 4, 1, "134aa50accdbdaa5263c0bef349fa23ccc3b61c37a05f4ed084ce8bf9440a52b",
     "e6f80f73cd3537cefe2ee8881348100de99f164cc0985e36260e3ab164cfdd2a",
     "f7ac8460c2f812832614e15dec4b42be24b9cf501e694cc629863bfbe90d1ce5"},
    {1637858839, 1, 2, "67d4b99c60848e6350d1660d4acdb47901798700cbe14d3a74309162ec3a4c3f",
     "f6941cd0d5f48cdad4a9f6396f92cefc647309b7b713b30024dc50e71f793af3",
     "9014f59746258af130c86654f5acfe47e4909ea1b7ae1c76733ab32d97d24f73"},
    {1637858853, 4, 3, "d200c5bab16ec22b137dcc7a6bb036dca9d4d03cb0c97db6192cfd3aa240c749",
     "b1d97b295d56eb8ee8f83c87c0fd71151a3282e8e0fe309b0c7dac4c4910ed0c",
     "e65e5586a514cdf0a0a815d2a9eab5bff09b9a2078be732017120b7ba5a645fd"},
};

static const char *BLROOT82[3] = {
    "1d8e2fc7f690ec37ae6859492834a510e02173a32b8f0df6242ec3821f771973",
    "82c10595f20fb1bb3f55c78b5ebd43496df40fee099fa446e5065230a63981c8",
    "d507b557e1a2cb82080990410431e94a66c549cf35f7c67463aa0f6c3e2ee178",
};

static void test_table_8_2(void)
{
    /* Entry digests (v0) and Eh of txs 1 and 2. */
    struct {
        const char *key, *hval, *digest;
    } ents[5] = {
        {"0243544c2e44415441424153452e00000001",
         "98ac3eacda9950d6993abd6404d3d2ef8242290d944bfeac03c1b74139833221",
         "f48281a682a7db82a7cdb66dc6eaca71a4c5c3a1f50e4a22a8bd761ebaae2c23"},
        {"0243544c2e494e4445582e000000010000000100000000",
         "a90d4563c6a0ae0417ab3110f1ba68592833465954774201b0a69e8c457dc6ad",
         "7b946ee87ff456b2c5c474cbd0546f0674ae92ca8fe6a105cc284eaca9eb413e"},
        {"0243544c2e434f4c554d4e2e000000010000000100000001494e5445474552",
         "719cbe1415a83bf61f5a69fc63d9c08baf98fb6f87df2fe7da92c83264d46408",
         "86addaf40a99976dc51cbc993029f793056218eb5c0a60e1b77e47ed875e395c"},
        {"0243544c2e434f4c554d4e2e00000001000000010000000256415243484152",
         "b0e2134164fcb51f5a235291f179579a7a1a2e391660a9078199ce2badf41c6d",
         "7f9d28fa29e4e868b965233b31dc24f2055329537abb7e79ef1ebc22ee986153"},
        {"0243544c2e5441424c452e0000000100000001",
         "7c662f52db8399b2104f014a098589596f35dbc80b2d8150bcaa306dc09878d7",
         "ebb2ec4203ea8e692bfa2aa5904e2106ad1b58dcce7cd9655ca857c5e9842019"},
    };
    mt_hash dg[5], root, exp;
    for (int i = 0; i < 5; i++) {
        uint8_t key[64];
        mt_hash hv;
        size_t kl = t_unhex(key, sizeof(key), ents[i].key);
        unhex32(hv, ents[i].hval);
        CHECK_OK(mt_entry_digest(dg[i], 0, NULL, 0, key, kl, hv));
        CHECK_HEX(dg[i], ents[i].digest);
    }
    CHECK_OK(mt_htree_root(root, dg, 1));
    CHECK_HEX(root, T82[0].eh);
    CHECK_OK(mt_htree_root(root, dg + 1, 4));
    CHECK_HEX(root, T82[1].eh);

    /* Headers: inner hash and Alh chain, BlRoot = ahtree roots over the Alhs. */
    mt_nodestore ns;
    mt_memnodes *mem = NULL;
    mt_ahtree *t = NULL;
    CHECK_OK(mt_memnodes_new(&mem, &ns));
    CHECK_OK(mt_ahtree_open(&t, &ns, 0));
    mt_hash prev;
    memcpy(prev, MT_EMPTY_HASH, 32);
    for (int i = 0; i < 4; i++) {
        mt_txhdr h;
        memset(&h, 0, sizeof(h));
        h.id = (uint64_t)i + 1;
        memcpy(h.prev_alh, prev, 32);
        h.ts = T82[i].ts;
        h.nentries = T82[i].n;
        unhex32(h.eh, T82[i].eh);
        h.bl_tx_id = T82[i].bl;
        if (h.bl_tx_id) {
            CHECK_INT(mt_ahtree_size(t), h.bl_tx_id);
            CHECK_OK(mt_ahtree_root_at(t, h.bl_tx_id, h.bl_root));
            CHECK_HEX(h.bl_root, BLROOT82[h.bl_tx_id - 1]);
        }
        h.version = 0;
        mt_hash inner, alh;
        CHECK_OK(mt_inner_hash(inner, &h));
        CHECK_HEX(inner, T82[i].inner);
        CHECK_OK(mt_alh(alh, &h));
        CHECK_HEX(alh, T82[i].alh);
        CHECK_OK(mt_advance(exp, prev, h.id, inner));
        CHECK_MEM(exp, alh, 32);
        memcpy(prev, alh, 32);
        CHECK_OK(mt_ahtree_append(t, alh, NULL));
    }
    mt_ahtree_free(t);
    mt_memnodes_free(mem);
}

/* ------------------------------------------------------------------- 8.4 */

static void test_kv_encodings_8_4(void)
{
    struct {
        const char *key, *value, *md, *hval, *d1, *d0;
    } rows[] = {
        {"006b6579", "0076616c7565", "",
         "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94",
         "7a07ebb6a87f4b5f098805a48fa898ee59b9a71deff7d8c09dccb84a504e7fbc",
         "9fa8d89c4089e1e95269659bd81a1cd63a02fa218182d14a14af5773aeecdc5d"},
        {"006b6579", "0076616c7565", "01000000006553f100",
         "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94",
         "22980beb03a6ed1f07a917ceff56f9d3b5b19ba75405d2d0b12557ed62bcc369", NULL},
        {"006b6579", "0076616c7565", "02",
         "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94",
         "de4a090e756c8d302cac5aeb1df443a23855de4537f5bd012aaadc705eaf5090", NULL},
        {"006b6579", "0076616c7565", "01000000006553f10002",
         "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94",
         "bf883c160166711434d09176123e1f8094dd0d990d757d75a84e18bf173977ac", NULL},
        {"006b6579", "", "00", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "f1b7dc09863f0c0e7d7ba0c85e092fb3992196a743c5d0d8f762ce40b8353e2f", NULL},
        {"00726566", "010000000000000000006b6579", "",
         "1779f08a8d9116077116ba6c3146ee9e3c0c34a54690b8d03b82c27ff41f5f1d",
         "df3b1174052e93965eb40e770b6e987cb01277087b26ed51e83851707b60b295",
         "5e24189215f4ce2b7a7388342a11728238b206b9ca74a4c3ebfa640f9b42f7b1"},
        {"00726566", "010000000000000005006b6579", "",
         "5f34200ad39c7059c574bfcb46bfb0d84a00143fc6f27991e3b250fd490a19ae",
         "6c15e11b1f5c70f7f7537e60420afc2431d0b4270347fd9b465ab6c4ddce04dc",
         "e68bce5604829afe3479b456e19a2424ec72feeaa6ff1be30f0a48e1b120bba8"},
        {"0100000000000000037365743ff80000000000000000000000000004006b65790000000000000000", "", "",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "5a7182223981baa8c91db8a9b404abc37d794ae4cf54c0d24f865dff5c9d6be3",
         "8c97ce0dccbe8fd92e5a5797154a294acf4a97358c0380055e7be8237cff8375"},
    };
    for (size_t r = 0; r < SEAL_ARRAY_LEN(rows); r++) {
        uint8_t key[64], val[64], md[16];
        mt_hash hv, d;
        size_t kl = t_unhex(key, sizeof(key), rows[r].key);
        size_t vl = t_unhex(val, sizeof(val), rows[r].value);
        size_t ml = t_unhex(md, sizeof(md), rows[r].md);
        hash_of(hv, val, vl);
        CHECK_HEX(hv, rows[r].hval);
        /* The metadata bytes round-trip through the parser/serialiser. */
        mt_kvmd kmd;
        uint8_t mdb[MT_MAX_KVMD_LEN];
        CHECK_OK(mt_kvmd_parse(&kmd, md, ml));
        CHECK_INT(mt_kvmd_bytes(&kmd, mdb), ml);
        CHECK_MEM(mdb, md, ml);
        CHECK_OK(mt_entry_digest(d, 1, md, ml, key, kl, hv));
        CHECK_HEX(d, rows[r].d1);
        if (rows[r].d0) {
            CHECK_OK(mt_entry_digest(d, 0, md, ml, key, kl, hv));
            CHECK_HEX(d, rows[r].d0);
        } else {
            CHECK_ERR(mt_entry_digest(d, 0, md, ml, key, kl, hv), SEAL_EUNSUPPORTED);
        }
        CHECK_ERR(mt_entry_digest(d, 2, md, ml, key, kl, hv), SEAL_EINVAL);
    }
    /* Single-entry Eh of the Set row. */
    mt_hash d, eh;
    unhex32(d, "7a07ebb6a87f4b5f098805a48fa898ee59b9a71deff7d8c09dccb84a504e7fbc");
    CHECK_OK(mt_htree_root(eh, (const mt_hash *)&d, 1));
    CHECK_HEX(eh, "1faaad2ad91af83f083fe90c82aa93ccb1c018884e36a491e4f43e3bc26ff525");

    /* Long keys take the multi-part path; compare with one-shot SHA-256. */
    static uint8_t big[70000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    mt_hash hv, exp;
    memset(hv, 0x5a, 32);
    uint8_t *buf = seal_malloc(4 + 11 + 5000 + 32);
    CHECK(buf != NULL);
    uint8_t mdx[] = {0x02};
    size_t i = 0;
    seal_put_u16(buf, 1);
    buf[2] = 0x02;
    seal_put_u16(buf + 3, 5000);
    memcpy(buf + 5, big, 5000);
    memcpy(buf + 5005, hv, 32);
    i = 5037;
    hash_of(exp, buf, i);
    CHECK_OK(mt_entry_digest(d, 1, mdx, 1, big, 5000, hv));
    CHECK_MEM(d, exp, 32);
    memcpy(buf, big, 5000);
    memcpy(buf + 5000, hv, 32);
    hash_of(exp, buf, 5032);
    CHECK_OK(mt_entry_digest(d, 0, NULL, 0, big, 5000, hv));
    CHECK_MEM(d, exp, 32);
    seal_free(buf);
    CHECK_ERR(mt_entry_digest(d, 1, NULL, 0, big, 65536, hv), SEAL_EINVAL);
    CHECK_ERR(mt_entry_digest(d, 1, big, 12, big, 1, hv), SEAL_EINVAL);
}

static void test_header_8_4(void)
{
    mt_txhdr h;
    mt_hash d;
    memset(&h, 0, sizeof(h));
    h.id = 10;
    for (int i = 0; i < 32; i++)
        h.prev_alh[i] = (uint8_t)i;
    h.ts = 1700000000;
    h.nentries = 1;
    unhex32(h.eh, "1faaad2ad91af83f083fe90c82aa93ccb1c018884e36a491e4f43e3bc26ff525");
    h.bl_tx_id = 9;
    memset(h.bl_root, 0xaa, 32);

    h.version = 0;
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "bfe5b156b618bbc26eda5760edb4598eceeb0255c5ca3e9f2b75d530904f21c5");
    CHECK_OK(mt_alh(d, &h));
    CHECK_HEX(d, "df54f5d7ddad5a9a14e5b70a281941616f24aba80b2af72679fa5ab46f99e386");

    h.version = 1;
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "408a48c0a0d1e04cbe10e966fdfc4eb96071f5d31455ae73d152c21a3ad0e7ab");
    CHECK_OK(mt_alh(d, &h));
    CHECK_HEX(d, "eb75da05a5fd4bb44844c43bae0f10689e9e9632afa84910e0bf4c3e3cf0ee34");

    h.md.has_truncated = true;
    h.md.truncated_upto_tx = 7;
    h.md.extra_len = 5;
    memcpy(h.md.extra, "hello", 5);
    CHECK_OK(mt_inner_hash(d, &h));
    CHECK_HEX(d, "a9d6196b38d1c7a4097d2d5f67db4f64fdef4baa514d353ac42b61498a495cad");
    CHECK_OK(mt_alh(d, &h));
    CHECK_HEX(d, "693322e8fb75336a03c0c368e9dc3c57e762e761a9c03de539d5914b54c27660");
    /* The inner input is documented: check it through Bytes() too (same
     * middle part). */
    uint8_t b[MT_MAX_TXHDR_BYTES];
    size_t n;
    CHECK_OK(mt_txhdr_bytes(&h, b, &n));
    CHECK_INT(n, 128 + 17);
    CHECK_HEX(b + 48, "0001 0011 00000000000000000701000568656c6c6f 00000001");
}

static void test_htree_8_4(void)
{
    static const char *roots[8] = {
        "aea833068048b82f42271c18e0076a5230cbc7d711c99de16a5917db14a3b044",
        "839757d78394f8ad59bc4621831d92396f5d3556fe0059846463a32a21dc9e04",
        "cc23a6e05f95099459e4b62703c223236972a78997b072a65500b30e26bb6ef3",
        "f429b955064dbbcf878a6b817cb02740f0a30f42a1d770195addb021b45b8fdd",
        "aa33f608b3c7398a5230804ae5bf2cbe372e3e517eab55ef21d7e8a1318b00d9",
        "e09719be5ed3cdf6ec907e5ba6ebe019a93dee5e305185c33522ab6325045eec",
        "3bae604504fcab1978311ba9984633ad88b8c104832990123345db6c816b77c8",
        "4f8510360e29047dc8a13d94eae1a0c1b13b9a9debcb179fea8f696965c9591a",
    };
    mt_hash d[8], root, r4, terms[MT_MAX_PROOF_TERMS];
    size_t nt;
    for (int i = 0; i < 8; i++) {
        uint8_t b[8];
        seal_put_u64(b, (uint64_t)i);
        hash_of(d[i], b, 8);
    }
    CHECK_HEX(d[0], "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
    CHECK_HEX(d[1], "cd2662154e6d76b2b2b92e70c0cac3ccf534f9b74eb5b89819ec509083d00a50");
    CHECK_HEX(d[2], "cd04a4754498e06db5a13c5f371f1f04ff6d2470f24aa9bd886540e5dce77f70");
    for (int w = 1; w <= 8; w++) {
        CHECK_OK(mt_htree_root(root, d, (size_t)w));
        CHECK_HEX(root, roots[w - 1]);
        /* The streaming accumulator agrees. */
        mt_htree_acc a;
        mt_htree_acc_init(&a);
        for (int i = 0; i < w; i++)
            CHECK_OK(mt_htree_acc_add(&a, d[i]));
        CHECK_OK(mt_htree_acc_final(&a, root));
        CHECK_HEX(root, roots[w - 1]);
    }
    CHECK_OK(mt_htree_root(root, NULL, 0));
    CHECK_MEM(root, MT_EMPTY_HASH, 32);
    unhex32(r4, roots[3]);

    CHECK_OK(mt_htree_proof(terms, &nt, d, 7, 4));
    CHECK_INT(nt, 3);
    CHECK_HEX(terms[0], "56810d9785a3df6cd2940a5f46ac5ad9656c03427edbfc3e5660de76b8e56374");
    CHECK_HEX(terms[1], "26454b9c957fe0674a0062730807b0d232fcd1f5ffed90628d42a1e81710463e");
    CHECK_MEM(terms[2], r4, 32);
    unhex32(root, roots[6]);
    CHECK(mt_htree_verify(4, 7, terms, nt, d[4], root));

    CHECK_OK(mt_htree_proof(terms, &nt, d, 7, 6));
    CHECK_INT(nt, 2);
    CHECK_HEX(terms[0], "5b9fda957e6b48aa7b1dc022bc0efd40fb18d08d12a2ee2180f335bc11cff775");
    CHECK_MEM(terms[1], r4, 32);
    CHECK(mt_htree_verify(6, 7, terms, nt, d[6], root));

    CHECK_OK(mt_htree_proof(terms, &nt, d, 5, 4));
    CHECK_INT(nt, 1);
    CHECK_MEM(terms[0], r4, 32);
    unhex32(root, roots[4]);
    CHECK(mt_htree_verify(4, 5, terms, nt, d[4], root));

    CHECK_OK(mt_htree_proof(terms, &nt, d, 1, 0));
    CHECK_INT(nt, 0);
    unhex32(root, roots[0]);
    CHECK(mt_htree_verify(0, 1, terms, 0, d[0], root));
    CHECK_ERR(mt_htree_proof(terms, &nt, d, 5, 5), SEAL_EINVAL);
    CHECK_ERR(mt_htree_proof(terms, &nt, d, 0, 0), SEAL_EINVAL);
}

static void test_state_payload_8_4(void)
{
    uint8_t out[128];
    size_t n = 0;
    mt_hash txh, d;
    unhex32(txh, "8f100f349dfa5cad3fe1c3c0db185f272788564589f8fc1d51dd83f71abb68bb");
    CHECK_OK(mt_state_payload(out, sizeof(out), &n, "defaultdb", 9, 30, txh));
    CHECK_INT(n, 53);
    CHECK_HEX(out, "0000000964656661756c746462000000000000001e8f100f349dfa5cad3fe1c3c0db185f2727"
                   "88564589f8fc1d51dd83f71abb68bb");
    hash_of(d, out, n);
    CHECK_HEX(d, "e787eda69625aca5ddcf9b2c08381888ebc0358bc1c5fd027c5bb27ed9369a0a");
    CHECK_ERR(mt_state_payload(out, 52, &n, "defaultdb", 9, 30, txh), SEAL_EINVAL);
    CHECK_OK(mt_state_payload(out, 44, &n, "", 0, 0, MT_EMPTY_HASH));
    CHECK_INT(n, 44);
}

int main(void)
{
    t_init();
    RUN(test_kvmd);
    RUN(test_txmd);
    RUN(test_digest_from_bytes);
    RUN(test_header_8_1);
    RUN(test_nodes_upto);
    RUN(test_negative_8_1);
    RUN(test_table_8_2);
    RUN(test_kv_encodings_8_4);
    RUN(test_header_8_4);
    RUN(test_htree_8_4);
    RUN(test_state_payload_8_4);
    return t_done();
}
