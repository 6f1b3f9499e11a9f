/* mtree_verify_fuzz.c - libFuzzer target for the proof verifiers of
 * src/mtree: decodes the input into a dual proof (and the raw pieces) and
 * runs mt_verify_dual, the linear / linear-advance / ahtree / htree
 * verifiers and the metadata parsers on it. They take network data, so they
 * must never crash, read out of bounds, or loop on absurd counts.
 *
 * Build (clang only; from the repository root, after a sanitizer build in
 * build-asan/ so that libseal_static.a carries ASan/UBSan):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       fuzz/mtree_verify_fuzz.c build-asan/libseal_static.a \
 *       $(pkg-config --libs libssl libcrypto lmdb) -lpthread -lm -o mtree_verify_fuzz
 *   SEALDB_FIPS_CONFIG=<fips dir>/openssl-fips.cnf ./mtree_verify_fuzz -max_len=8192
 *
 * Input layout (everything big-endian; missing bytes read as zero):
 *   mode u8          bit 0: replace alh_s/alh_t by the Alhs of the decoded
 *                    headers so that the tree checks are reached
 *   s u64, t u64, alh_s[32], alh_t[32]
 *   source header, target header: id u64, prev_alh[32], ts u64, nentries u32,
 *     eh[32], bl_tx_id u64, bl_root[32], version u8 (as a signed char),
 *     md_len u8, md bytes (parsed with mt_txmd_parse; invalid = empty)
 *   ninclusion u8, nconsistency u8, nlast u8 and their terms
 *   target_bl_tx_alh[32]
 *   linear: source u64, target u64, nterms u16, terms
 *   has_advance u8, nlinear u16, ninclusion u16, then per inclusion
 *     nterms u8 and its terms
 * A term count is cut down to what the remaining input can hold, so the
 * decoded arrays always match their counts (counts above MT_MAX_PROOF_TERMS
 * stay possible and must be rejected by the verifiers). */
#include "mtree/mtree.h"
#include "seal/seal_fips.h"

#include <stdlib.h>

typedef struct {
    const uint8_t *p;
    size_t n, i;
} rd;

static void get(rd *r, void *out, size_t n)
{
    size_t avail = r->n - r->i < n ? r->n - r->i : n;
    memcpy(out, r->p + r->i, avail);
    memset((uint8_t *)out + avail, 0, n - avail);
    r->i += avail;
}

static uint64_t get_u(rd *r, size_t n)
{
    uint8_t b[8] = {0};
    get(r, b, n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++)
        v = v << 8 | b[k];
    return v;
}

/* Reads |*count| terms (cut to what is left); NULL for none. */
static mt_hash *get_terms(rd *r, size_t *count)
{
    size_t left = (r->n - r->i) / MT_HASH_LEN;
    if (*count > left)
        *count = left;
    if (*count == 0)
        return NULL;
    mt_hash *t = malloc(*count * MT_HASH_LEN);
    if (!t) {
        *count = 0;
        return NULL;
    }
    get(r, t, *count * MT_HASH_LEN);
    return t;
}

static void get_hdr(rd *r, mt_txhdr *h)
{
    uint8_t md[255];
    memset(h, 0, sizeof(*h));
    h->id = get_u(r, 8);
    get(r, h->prev_alh, 32);
    h->ts = (int64_t)get_u(r, 8);
    h->nentries = (uint32_t)get_u(r, 4);
    get(r, h->eh, 32);
    h->bl_tx_id = get_u(r, 8);
    get(r, h->bl_root, 32);
    h->version = (signed char)get_u(r, 1);
    size_t ml = (size_t)get_u(r, 1);
    get(r, md, ml);
    if (mt_txmd_parse(&h->md, md, ml) != 0)
        memset(&h->md, 0, sizeof(h->md));
    mt_kvmd kv;
    (void)mt_kvmd_parse(&kv, md, ml);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (seal_fips_init(NULL) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd r = {data, size, 0};
    mt_dual_proof p;
    mt_hash alh_s, alh_t;
    memset(&p, 0, sizeof(p));

    unsigned mode = (unsigned)get_u(&r, 1);
    uint64_t s = get_u(&r, 8), t = get_u(&r, 8);
    get(&r, alh_s, 32);
    get(&r, alh_t, 32);
    get_hdr(&r, &p.source);
    get_hdr(&r, &p.target);
    if (mode & 1) {
        (void)mt_alh(alh_s, &p.source);
        (void)mt_alh(alh_t, &p.target);
    }
    p.ninclusion = (size_t)get_u(&r, 1);
    p.nconsistency = (size_t)get_u(&r, 1);
    p.nlast_inclusion = (size_t)get_u(&r, 1);
    p.inclusion = get_terms(&r, &p.ninclusion);
    p.consistency = get_terms(&r, &p.nconsistency);
    p.last_inclusion = get_terms(&r, &p.nlast_inclusion);
    get(&r, p.target_bl_tx_alh, 32);
    p.linear.source_tx_id = get_u(&r, 8);
    p.linear.target_tx_id = get_u(&r, 8);
    p.linear.nterms = (size_t)get_u(&r, 2);
    p.linear.terms = get_terms(&r, &p.linear.nterms);
    p.has_advance = get_u(&r, 1) & 1;
    p.advance.nlinear = (size_t)get_u(&r, 2);
    size_t ninc = (size_t)get_u(&r, 2);
    p.advance.linear_terms = get_terms(&r, &p.advance.nlinear);
    if (ninc > r.n - r.i)
        ninc = r.n - r.i; /* each entry needs at least its count byte */
    if (ninc) {
        p.advance.inclusion = calloc(ninc, sizeof(*p.advance.inclusion));
        if (p.advance.inclusion) {
            p.advance.ninclusion = ninc;
            for (size_t k = 0; k < ninc; k++) {
                p.advance.inclusion[k].nterms = (size_t)get_u(&r, 1);
                p.advance.inclusion[k].terms = get_terms(&r, &p.advance.inclusion[k].nterms);
            }
        }
    }

    /* The dual proof as decoded, then with s/t from the headers. */
    (void)mt_verify_dual(&p, s, t, alh_s, alh_t);
    (void)mt_verify_dual(&p, p.source.id, p.target.id, alh_s, alh_t);

    /* The pieces with the decoded ids as attacker-chosen parameters. */
    const mt_hash *inc = (const mt_hash *)p.inclusion;
    (void)mt_ah_verify_inclusion(inc, p.ninclusion, s, t, alh_s, alh_t);
    (void)mt_ah_verify_consistency((const mt_hash *)p.consistency, p.nconsistency, s, t, alh_s,
                                   alh_t);
    (void)mt_ah_verify_last_inclusion((const mt_hash *)p.last_inclusion, p.nlast_inclusion, t,
                                      alh_s, alh_t);
    (void)mt_verify_linear(&p.linear, p.linear.source_tx_id, p.linear.target_tx_id, alh_s, alh_t);
    (void)mt_verify_linear_advance(&p.advance, p.source.bl_tx_id, s, alh_s, alh_t,
                                   p.target.bl_tx_id);
    (void)mt_htree_verify((int64_t)s, (int64_t)t, inc, p.ninclusion, alh_s, alh_t);
    (void)mt_htree_verify((int32_t)s, (int32_t)t, inc, p.ninclusion, alh_s, alh_t);

    uint8_t hb[MT_MAX_TXHDR_BYTES];
    size_t hl;
    (void)mt_txhdr_bytes(&p.source, hb, &hl);

    /* Release through free(): the arrays came from malloc here. */
    free(p.inclusion);
    free(p.consistency);
    free(p.last_inclusion);
    free(p.linear.terms);
    free(p.advance.linear_terms);
    if (p.advance.inclusion) {
        for (size_t k = 0; k < p.advance.ninclusion; k++)
            free(p.advance.inclusion[k].terms);
        free(p.advance.inclusion);
    }
    return 0;
}
