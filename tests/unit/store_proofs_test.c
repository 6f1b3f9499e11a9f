/* store_proofs_test.c - proofs served by a store built through the public
 * API: for a 100-tx store with header version 1 and another with version 0,
 * the dual proof between EVERY pair of txs verifies (immudb's VerifyDualProof
 * via mt_verify_dual), every entry's inclusion proof verifies against its
 * tx's Eh, linear proofs verify, and tampered proofs (every field kind) or
 * wrong expected Alh values are rejected. */
#include "testlib.h"

#include "seal/seal.h"
#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <stdio.h>
#include <stdlib.h>

#define NTX 100

static seal_txhdr g_hdr[NTX + 1];

static seal_store *build(const char *name, int version)
{
    seal_options o;
    seal_options_default(&o);
    o.tx_header_version = version;
    o.segment_size = 8192;
    seal_store *s = NULL;
    int rc = seal_open(t_path(name), &o, &s);
    if (rc) {
        T_FAIL("open: %s", seal_last_error());
        return NULL;
    }
    for (int t = 1; t <= NTX; t++) {
        seal_tx *tx;
        CHECK_OK(seal_tx_new(s, &tx));
        int n = 1 + (t * 7) % 9;
        for (int e = 0; e < n; e++) {
            char k[32], v[64];
            snprintf(k, sizeof(k), "k%d-%d", t, e);
            snprintf(v, sizeof(v), "value of %d/%d", t, e);
            seal_kvmd md = {0};
            const seal_kvmd *mdp = NULL;
            if (version == 1 && e == 1) {
                md.has_expires = 1;
                md.expires_at = 4000000000LL + t;
                md.deleted = t % 2;
                mdp = &md;
            }
            CHECK_OK(seal_tx_add(tx, k, strlen(k), v, strlen(v), mdp));
        }
        if (version == 1 && t % 10 == 0) {
            seal_txmd tmd;
            memset(&tmd, 0, sizeof(tmd));
            tmd.extra_len = 5;
            memcpy(tmd.extra, "extra", 5);
            CHECK_OK(seal_tx_set_metadata(tx, &tmd));
        }
        CHECK_OK(seal_tx_commit(s, tx, &g_hdr[t]));
        seal_tx_free(tx);
    }
    return s;
}

static int flip(uint8_t *p)
{
    p[0] ^= 0x01;
    return 1;
}

/* Each tamper returns 1 if it changed something in the proof. */
static int tamper(seal_dual_proof *p, int kind)
{
    switch (kind) {
    case 0:
        return p->inclusion.n ? flip(p->inclusion.h[p->inclusion.n - 1]) : 0;
    case 1:
        return p->consistency.n ? flip(p->consistency.h[0]) : 0;
    case 2:
        return p->last_inclusion.n ? flip(p->last_inclusion.h[0]) : 0;
    case 3:
        return p->linear.n ? flip(p->linear.h[p->linear.n - 1]) : 0;
    case 4:
        return p->target.bl_tx_id ? flip(p->target_bl_tx_alh) : 0;
    case 5:
        return flip(p->source.eh);
    case 6:
        return flip(p->target.bl_root);
    case 7:
        p->target.ts++;
        return 1;
    case 8:
        p->source.nentries++;
        return 1;
    case 9:
        p->linear_source++;
        return 1;
    case 10:
        return p->inclusion.n ? (p->inclusion.n--, 1) : 0;
    default:
        return 0;
    }
}

static void check_store(const char *name, int version)
{
    seal_store *s = build(name, version);
    if (!s)
        return;
    long pairs = 0, tampered = 0;
    for (uint64_t a = 1; a <= NTX; a++) {
        for (uint64_t b = a; b <= NTX; b++) {
            seal_dual_proof p;
            int rc = seal_dual_proof_build(s, a, b, &p);
            if (rc) {
                T_FAIL("dual proof %llu->%llu: %s", (unsigned long long)a, (unsigned long long)b,
                       seal_last_error());
                continue;
            }
            if (seal_dual_proof_verify(&p, a, b, g_hdr[a].alh, g_hdr[b].alh) != 0)
                T_FAIL("dual proof %llu->%llu does not verify", (unsigned long long)a,
                       (unsigned long long)b);
            CHECK_INT(p.source.id, a);
            CHECK_INT(p.target.id, b);
            CHECK_MEM(p.target.alh, g_hdr[b].alh, 32);
            pairs++;
            /* wrong expected Alh values */
            uint8_t bad[32];
            memcpy(bad, g_hdr[b].alh, 32);
            bad[5] ^= 0x40;
            CHECK_ERR(seal_dual_proof_verify(&p, a, b, g_hdr[a].alh, bad), SEAL_EVERIFY);
            if (a > 1)
                CHECK_ERR(seal_dual_proof_verify(&p, a, b, g_hdr[a - 1].alh, g_hdr[b].alh),
                          SEAL_EVERIFY);
            seal_dual_proof_free(&p);
            /* tampering: every field kind on a sample of pairs */
            if ((a * 31 + b) % 7 == 0) {
                for (int k = 0; k <= 10; k++) {
                    seal_dual_proof q;
                    CHECK_OK(seal_dual_proof_build(s, a, b, &q));
                    if (tamper(&q, k)) {
                        tampered++;
                        if (seal_dual_proof_verify(&q, a, b, g_hdr[a].alh, g_hdr[b].alh) == 0)
                            T_FAIL("tampered (kind %d) dual proof %llu->%llu verifies", k,
                                   (unsigned long long)a, (unsigned long long)b);
                    }
                    seal_dual_proof_free(&q);
                }
            }
        }
    }
    CHECK_INT(pairs, NTX * (NTX + 1) / 2);
    CHECK(tampered > 1000);
    CHECK_ERR(seal_dual_proof_build(s, 5, 4, &(seal_dual_proof){0}), SEAL_EINVAL);
    CHECK_ERR(seal_dual_proof_build(s, 1, NTX + 1, &(seal_dual_proof){0}), SEAL_ENOTFOUND);

    /* linear proofs, checked with immudb's verifier */
    for (uint64_t a = 1; a <= NTX; a += 9) {
        for (uint64_t b = a; b <= NTX; b += 13) {
            seal_hashes lp;
            CHECK_OK(seal_linear_proof_build(s, a, b, &lp));
            mt_linear_proof m = {a, b, lp.n, lp.h};
            CHECK(mt_verify_linear(&m, a, b, g_hdr[a].alh, g_hdr[b].alh));
            if (lp.n > 1) {
                lp.h[1][0] ^= 1;
                CHECK(!mt_verify_linear(&m, a, b, g_hdr[a].alh, g_hdr[b].alh));
            }
            seal_hashes_free(&lp);
        }
    }

    /* entry inclusion proofs: every entry of every tx */
    long entries = 0;
    for (uint64_t t = 1; t <= NTX; t++) {
        seal_txinfo *ti;
        CHECK_OK(seal_tx_read(s, t, 0, &ti));
        for (size_t e = 0; e < ti->n; e++) {
            seal_entry_proof ep;
            CHECK_OK(seal_entry_proof_build(s, t, ti->entries[e].key, ti->entries[e].key_len, &ep));
            uint8_t d[32];
            CHECK_OK(seal_entry_digest(version, ti->entries[e].key, ti->entries[e].key_len,
                                       ti->entries[e].has_md ? &ti->entries[e].md : NULL,
                                       ti->entries[e].hval, d));
            CHECK_MEM(ep.digest, d, 32);
            CHECK_INT(ep.leaf, e);
            CHECK_INT(ep.width, ti->n);
            CHECK_OK(seal_entry_proof_verify(&ep, d, g_hdr[t].eh));
            /* wrong digest, wrong root, tampered term, wrong leaf all fail */
            uint8_t bad[32];
            memcpy(bad, d, 32);
            bad[0] ^= 1;
            CHECK_ERR(seal_entry_proof_verify(&ep, bad, g_hdr[t].eh), SEAL_EVERIFY);
            CHECK_ERR(seal_entry_proof_verify(&ep, d, g_hdr[t == 1 ? 2 : 1].eh), SEAL_EVERIFY);
            if (ep.terms.n) {
                ep.terms.h[0][31] ^= 0x80;
                CHECK_ERR(seal_entry_proof_verify(&ep, d, g_hdr[t].eh), SEAL_EVERIFY);
                ep.terms.h[0][31] ^= 0x80;
                ep.leaf ^= 1;
                if (ep.leaf < ep.width)
                    CHECK_ERR(seal_entry_proof_verify(&ep, d, g_hdr[t].eh), SEAL_EVERIFY);
            }
            seal_entry_proof_free(&ep);
            entries++;
        }
        seal_txinfo_free(ti);
    }
    CHECK(entries > NTX);
    seal_entry_proof ep;
    CHECK_ERR(seal_entry_proof_build(s, 3, "nope", 4, &ep), SEAL_ENOTFOUND);

    /* state and its signed payload (spec 6.1) */
    uint64_t st;
    uint8_t alh[32], pl[128];
    size_t plen;
    CHECK_OK(seal_state(s, &st, alh));
    CHECK_INT(st, NTX);
    CHECK_MEM(alh, g_hdr[NTX].alh, 32);
    CHECK_OK(seal_state_payload("defaultdb", st, alh, pl, sizeof(pl), &plen));
    CHECK_INT(plen, 44 + 9);
    CHECK_HEX(pl, "00000009 64656661756c746462 0000000000000064");
    CHECK_MEM(pl + 21, alh, 32);
    CHECK_ERR(seal_state_payload("defaultdb", st, alh, pl, 10, &plen), SEAL_ELIMIT);
    fprintf(stderr, "  %s: %ld dual proofs, %ld tampered, %ld entry proofs\n", name, pairs,
            tampered, entries);
    seal_close(s);
}

static void test_proofs_v1(void)
{
    check_store("p1", 1);
}

static void test_proofs_v0(void)
{
    check_store("p0", 0);
}

int main(void)
{
    t_init();
    RUN(test_proofs_v1);
    RUN(test_proofs_v0);
    return t_done();
}
