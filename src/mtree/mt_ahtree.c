/* mt_ahtree.c - immudb's append-only hash tree over the Alh values (spec
 * section 4): node layout identical to immudb's aht/tree file, append, roots
 * at any size, inclusion and consistency proofs read from stored nodes in
 * O(log n), the client verifiers exactly as Go's, and an in-memory node
 * store. An mt_ahtree is not thread-safe: the caller serialises access. */
#include "mtree/mtree.h"

#include "crypto/cry.h"

struct mt_ahtree {
    mt_nodestore ns;
    uint64_t size;
    /* frontier[l], for each set bit l of size: the root of the perfect
     * subtree of 2^l leaves ending at leaf (size with bits 0..l-1 cleared),
     * i.e. node(k, l) that the next append needs. */
    mt_hash frontier[64];
    mt_hash root; /* root(size) when size > 0 */
};

static unsigned popcount64(uint64_t x)
{
    return (unsigned)__builtin_popcountll(x);
}

/* Bit length of x (0 for 0). */
static unsigned bitlen64(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

uint64_t mt_ah_nodes_upto(uint64_t n)
{
    /* n leaf digests plus one per set bit of every m-1 for m = 1..n, i.e.
     * n + total popcount of 0..n-1. */
    uint64_t o = n;
    for (unsigned l = 0; l < 64 && (n >> l) != 0; l++) {
        uint64_t full = l + 1 < 64 ? (n >> (l + 1)) << l : 0;
        uint64_t rem = l + 1 < 64 ? n & ((UINT64_C(1) << (l + 1)) - 1) : n;
        o += full;
        if (rem > (UINT64_C(1) << l))
            o += rem - (UINT64_C(1) << l);
    }
    return o;
}

uint64_t mt_ah_nodes_until(uint64_t n)
{
    return n <= 1 ? 0 : mt_ah_nodes_upto(n - 1);
}

/* node(n, l): the l-th digest appended for leaf n. */
static int node_at(const mt_ahtree *t, uint64_t n, unsigned l, mt_hash out)
{
    return t->ns.read(t->ns.ctx, mt_ah_nodes_until(n) + l, out);
}

/* highestNode(i, d): MTH of leaves ((i-1) >> d << d) + 1 .. i. */
static int highest_node(const mt_ahtree *t, uint64_t i, unsigned d, mt_hash out)
{
    uint64_t mask = d >= 64 ? UINT64_MAX : (UINT64_C(1) << d) - 1;
    return node_at(t, i, popcount64((i - 1) & mask), out);
}

int mt_ahtree_open(mt_ahtree **out, const mt_nodestore *ns, uint64_t size)
{
    int rc = 0;
    mt_ahtree *t = NULL;
    if (!out || !ns || !ns->append || !ns->read)
        return SEAL_EINVAL;
    t = seal_calloc(1, sizeof(*t));
    if (!t)
        return SEAL_ENOMEM;
    t->ns = *ns;
    t->size = size;
    for (unsigned l = 0; l < 64; l++) {
        if (!(size & (UINT64_C(1) << l)))
            continue;
        uint64_t k = l ? size & ~((UINT64_C(1) << l) - 1) : size;
        rc = node_at(t, k, l, t->frontier[l]);
        if (rc)
            goto out;
    }
    if (size) {
        rc = node_at(t, size, popcount64(size - 1), t->root);
        if (rc)
            goto out;
    }
out:
    if (rc) {
        seal_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void mt_ahtree_free(mt_ahtree *t)
{
    seal_free(t);
}

uint64_t mt_ahtree_size(const mt_ahtree *t)
{
    return t->size;
}

int mt_ahtree_append(mt_ahtree *t, const mt_hash alh, mt_hash root)
{
    mt_hash d[65];
    unsigned nd = 0;
    int rc;
    if (!t || !alh)
        return SEAL_EINVAL;
    if (t->size == UINT64_MAX)
        return SEAL_ELIMIT;
    uint64_t s = t->size; /* the new leaf is number s + 1 */
    rc = mt_leaf_hash(d[0], alh);
    if (rc)
        return rc;
    nd = 1;
    unsigned carry = 64; /* lowest clear bit of s: the new perfect subtree */
    for (unsigned l = 0; l < 64; l++) {
        if (!(s & (UINT64_C(1) << l))) {
            if (carry == 64)
                carry = l;
            continue;
        }
        rc = mt_node_hash(d[nd], t->frontier[l], d[nd - 1]);
        if (rc)
            return rc;
        nd++;
    }
    rc = t->ns.append(t->ns.ctx, (const mt_hash *)d, nd);
    if (rc)
        return rc;
    /* Bits 0..carry-1 of s were all set, so d[carry] is the root of the
     * perfect subtree of 2^carry leaves ending at the new leaf. */
    if (carry < 64)
        memcpy(t->frontier[carry], d[carry], MT_HASH_LEN);
    t->size = s + 1;
    memcpy(t->root, d[nd - 1], MT_HASH_LEN);
    if (root)
        memcpy(root, d[nd - 1], MT_HASH_LEN);
    return 0;
}

int mt_ahtree_root_at(mt_ahtree *t, uint64_t n, mt_hash out)
{
    if (!t || !out || n == 0)
        return SEAL_EINVAL;
    if (n > t->size)
        return SEAL_ENOTFOUND;
    if (n == t->size) {
        memcpy(out, t->root, MT_HASH_LEN);
        return 0;
    }
    return node_at(t, n, popcount64(n - 1), out);
}

/* Reverses terms[0..n-1] in place (the provers collect them root first). */
static void reverse_terms(mt_hash *terms, size_t n)
{
    mt_hash tmp;
    for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
        memcpy(tmp, terms[a], MT_HASH_LEN);
        memcpy(terms[a], terms[b], MT_HASH_LEN);
        memcpy(terms[b], tmp, MT_HASH_LEN);
    }
}

static int check_range(const mt_ahtree *t, uint64_t i, uint64_t j, mt_hash *terms,
                       size_t *nterms)
{
    if (!t || !terms || !nterms || i == 0 || i > j)
        return SEAL_EINVAL;
    if (j > t->size)
        return SEAL_ENOTFOUND;
    return 0;
}

/* immudb's inclusionProof(i, j, bitlen(j-1)) with the recursion unrolled:
 * every "prepend" becomes an append to |rev|, reversed at the end. */
int mt_ahtree_inclusion(mt_ahtree *t, uint64_t i, uint64_t j, mt_hash *terms, size_t *nterms)
{
    mt_hash rev[MT_MAX_PROOF_TERMS];
    size_t n = 0;
    int rc = check_range(t, i, j, terms, nterms);
    if (rc)
        return rc;
    uint64_t jj = j;
    unsigned height = bitlen64(j - 1);
restart:
    for (unsigned hp = height; hp > 0; hp--) {
        unsigned h = hp - 1;
        if (!((jj - 1) & (UINT64_C(1) << h)))
            continue;
        uint64_t k = (jj - 1) >> h << h;
        if (n >= MT_MAX_PROOF_TERMS)
            return SEAL_ECORRUPT;
        if (i <= k) {
            rc = highest_node(t, jj, h, rev[n++]);
            if (rc)
                return rc;
            jj = k;
            height = h;
            goto restart;
        }
        rc = node_at(t, k, h, rev[n++]);
        if (rc)
            return rc;
    }
    reverse_terms(rev, n);
    memcpy(terms, rev, n * MT_HASH_LEN);
    *nterms = n;
    return 0;
}

/* immudb's consistencyProof(i, j, bitlen(j-1)), unrolled the same way. */
int mt_ahtree_consistency(mt_ahtree *t, uint64_t i, uint64_t j, mt_hash *terms, size_t *nterms)
{
    mt_hash rev[MT_MAX_PROOF_TERMS];
    size_t n = 0;
    int rc = check_range(t, i, j, terms, nterms);
    if (rc)
        return rc;
    uint64_t jj = j;
    unsigned height = bitlen64(j - 1);
restart:
    for (unsigned hp = height; hp > 0; hp--) {
        unsigned h = hp - 1;
        if (!((jj - 1) & (UINT64_C(1) << h)))
            continue;
        uint64_t k = (jj - 1) >> h << h;
        if (n + 2 > MT_MAX_PROOF_TERMS)
            return SEAL_ECORRUPT;
        if (i <= k) {
            rc = highest_node(t, jj, h, rev[n++]);
            if (rc)
                return rc;
            if (i < k) {
                jj = k;
                height = h;
                goto restart;
            }
            rc = highest_node(t, i, h, rev[n++]); /* i == k */
            if (rc)
                return rc;
            goto done;
        }
        rc = node_at(t, k, h, rev[n++]);
        if (rc)
            return rc;
        if (i == jj) {
            rc = highest_node(t, i, h, rev[n++]);
            if (rc)
                return rc;
            goto done;
        }
    }
done:
    reverse_terms(rev, n);
    memcpy(terms, rev, n * MT_HASH_LEN);
    *nterms = n;
    return 0;
}

/* ---------------------------------------------------------------- verifiers */

static bool terms_ok(const mt_hash *terms, size_t nterms)
{
    return nterms <= MT_MAX_PROOF_TERMS && (nterms == 0 || terms != NULL);
}

bool mt_ah_verify_inclusion(const mt_hash *terms, size_t nterms, uint64_t i, uint64_t j,
                            const mt_hash leaf_hash, const mt_hash root)
{
    mt_hash c;
    if (i > j || i == 0 || (i < j && nterms == 0))
        return false;
    if (!terms_ok(terms, nterms) || !leaf_hash || !root)
        return false;
    uint64_t i1 = i - 1, j1 = j - 1;
    memcpy(c, leaf_hash, MT_HASH_LEN);
    for (size_t k = 0; k < nterms; k++) {
        int rc;
        if (i1 % 2 == 0 && i1 != j1)
            rc = mt_node_hash(c, c, terms[k]);
        else
            rc = mt_node_hash(c, terms[k], c);
        if (rc)
            return false;
        i1 >>= 1;
        j1 >>= 1;
    }
    return memcmp(c, root, MT_HASH_LEN) == 0;
}

bool mt_ah_verify_last_inclusion(const mt_hash *terms, size_t nterms, uint64_t j,
                                 const mt_hash leaf_hash, const mt_hash root)
{
    mt_hash c;
    if (j == 0)
        return false;
    if (!terms_ok(terms, nterms) || !leaf_hash || !root)
        return false;
    memcpy(c, leaf_hash, MT_HASH_LEN);
    for (size_t k = 0; k < nterms; k++) {
        if (mt_node_hash(c, terms[k], c))
            return false;
    }
    return memcmp(c, root, MT_HASH_LEN) == 0;
}

bool mt_ah_verify_consistency(const mt_hash *terms, size_t nterms, uint64_t i, uint64_t j,
                              const mt_hash root_i, const mt_hash root_j)
{
    mt_hash ci, cj;
    if (i > j || i == 0 || (i < j && nterms == 0))
        return false;
    if (!terms_ok(terms, nterms) || !root_i || !root_j)
        return false;
    if (i == j && nterms == 0)
        return memcmp(root_i, root_j, MT_HASH_LEN) == 0;
    uint64_t fn = i - 1, sn = j - 1;
    while (fn % 2 == 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(ci, terms[0], MT_HASH_LEN);
    memcpy(cj, terms[0], MT_HASH_LEN);
    for (size_t k = 1; k < nterms; k++) {
        if (fn % 2 == 1 || fn == sn) {
            if (mt_node_hash(ci, terms[k], ci) || mt_node_hash(cj, terms[k], cj))
                return false;
            while (fn % 2 == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            if (mt_node_hash(cj, cj, terms[k]))
                return false;
        }
        fn >>= 1;
        sn >>= 1;
    }
    return memcmp(ci, root_i, MT_HASH_LEN) == 0 && memcmp(cj, root_j, MT_HASH_LEN) == 0;
}

/* ------------------------------------------------------- in-memory nodes */

struct mt_memnodes {
    mt_hash *nodes;
    uint64_t count;
    uint64_t cap;
};

static int mem_append(void *ctx, const mt_hash *nodes, size_t n)
{
    mt_memnodes *m = ctx;
    if (n > UINT64_MAX - m->count)
        return SEAL_ELIMIT;
    if (m->count + n > m->cap) {
        uint64_t cap = m->cap ? m->cap : 64;
        while (cap < m->count + n) {
            if (cap > (SIZE_MAX / MT_HASH_LEN) / 2)
                return SEAL_ENOMEM;
            cap *= 2;
        }
        mt_hash *p = seal_realloc(m->nodes, (size_t)cap * MT_HASH_LEN);
        if (!p)
            return SEAL_ENOMEM;
        m->nodes = p;
        m->cap = cap;
    }
    memcpy(m->nodes[m->count], nodes, n * MT_HASH_LEN);
    m->count += n;
    return 0;
}

static int mem_read(void *ctx, uint64_t idx, mt_hash out)
{
    const mt_memnodes *m = ctx;
    if (idx >= m->count)
        return SEAL_ENOTFOUND;
    memcpy(out, m->nodes[idx], MT_HASH_LEN);
    return 0;
}

int mt_memnodes_new(mt_memnodes **out, mt_nodestore *ns)
{
    if (!out || !ns)
        return SEAL_EINVAL;
    mt_memnodes *m = seal_calloc(1, sizeof(*m));
    if (!m)
        return SEAL_ENOMEM;
    ns->ctx = m;
    ns->append = mem_append;
    ns->read = mem_read;
    *out = m;
    return 0;
}

void mt_memnodes_free(mt_memnodes *m)
{
    if (!m)
        return;
    seal_free(m->nodes);
    seal_free(m);
}

uint64_t mt_memnodes_count(const mt_memnodes *m)
{
    return m->count;
}
