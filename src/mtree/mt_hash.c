/* mt_hash.c - immudb's hashing primitives: KV and tx metadata encodings, the
 * entry digest (v0/v1), the per-tx Merkle tree (htree) with its proof and
 * verifier, the tx header inner hash, Alh and the state payload (spec
 * sections 1-3 and 6.1). Every hash is one cry_sha256v call over stack
 * buffers: nothing here allocates. */
#include "mtree/mtree.h"

#include "crypto/cry.h"
#include "seal/seal.h"

const mt_hash MT_EMPTY_HASH = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                               0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                               0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01

/* KV metadata attribute codes (spec 1.1). */
#define KVMD_DELETED      0x00
#define KVMD_EXPIRES      0x01
#define KVMD_NONINDEXABLE 0x02
/* Tx metadata attribute codes (spec 1.2). */
#define TXMD_TRUNCATED 0x00
#define TXMD_EXTRA     0x01

/* Entry digest inputs up to this size are copied into one stack buffer and
 * hashed in one update (keys are at most 1024 bytes by default). */
#define DIGEST_BUF 1280

void mt_digest_from_bytes(mt_hash out, const uint8_t *p, size_t n)
{
    memset(out, 0, MT_HASH_LEN);
    if (p && n)
        memcpy(out, p, n < MT_HASH_LEN ? n : MT_HASH_LEN);
}

/* --------------------------------------------------------------- metadata */

size_t mt_kvmd_bytes(const mt_kvmd *md, uint8_t out[MT_MAX_KVMD_LEN])
{
    size_t n = 0;
    if (!md)
        return 0;
    if (md->deleted)
        out[n++] = KVMD_DELETED;
    if (md->has_expires) {
        out[n++] = KVMD_EXPIRES;
        seal_put_u64(out + n, md->expires_at);
        n += 8;
    }
    if (md->non_indexable)
        out[n++] = KVMD_NONINDEXABLE;
    return n;
}

void mt_kvmd_from_pub(mt_kvmd *out, const seal_kvmd *in)
{
    out->deleted = in->deleted != 0;
    out->has_expires = in->has_expires != 0;
    out->expires_at = (uint64_t)in->expires_at;
    out->non_indexable = in->non_indexable != 0;
}

void mt_kvmd_to_pub(const mt_kvmd *in, seal_kvmd *out)
{
    out->deleted = in->deleted;
    out->has_expires = in->has_expires;
    out->expires_at = (int64_t)in->expires_at;
    out->non_indexable = in->non_indexable;
}

int mt_kvmd_parse(mt_kvmd *out, const uint8_t *p, size_t n)
{
    mt_kvmd md = {0};
    size_t i = 0;
    if (n > MT_MAX_KVMD_LEN || (n && !p))
        return SEAL_ECORRUPT;
    while (i < n) {
        switch (p[i++]) {
        case KVMD_DELETED:
            md.deleted = true;
            break;
        case KVMD_EXPIRES:
            if (n - i < 8)
                return SEAL_ECORRUPT;
            md.has_expires = true;
            md.expires_at = seal_get_u64(p + i);
            i += 8;
            break;
        case KVMD_NONINDEXABLE:
            md.non_indexable = true;
            break;
        default:
            return SEAL_ECORRUPT;
        }
    }
    *out = md;
    return 0;
}

size_t mt_txmd_bytes(const mt_txmd *md, uint8_t out[MT_MAX_TXMD_LEN])
{
    size_t n = 0;
    if (!md)
        return 0;
    if (md->has_truncated) {
        out[n++] = TXMD_TRUNCATED;
        seal_put_u64(out + n, md->truncated_upto_tx);
        n += 8;
    }
    if (md->extra_len) {
        uint16_t len = md->extra_len > MT_MAX_TXMD_EXTRA ? MT_MAX_TXMD_EXTRA : md->extra_len;
        out[n++] = TXMD_EXTRA;
        seal_put_u16(out + n, len);
        n += 2;
        memcpy(out + n, md->extra, len);
        n += len;
    }
    return n;
}

/* A zero-length extra attribute is refused: immudb never writes one
 * (WithExtra drops empty data) and mt_txmd cannot represent it. */
int mt_txmd_parse(mt_txmd *out, const uint8_t *p, size_t n)
{
    mt_txmd md;
    size_t i = 0;
    memset(&md, 0, sizeof(md));
    if (n > MT_MAX_TXMD_LEN || (n && !p))
        return SEAL_ECORRUPT;
    while (i < n) {
        switch (p[i++]) {
        case TXMD_TRUNCATED:
            if (n - i < 8)
                return SEAL_ECORRUPT;
            md.has_truncated = true;
            md.truncated_upto_tx = seal_get_u64(p + i);
            i += 8;
            break;
        case TXMD_EXTRA: {
            if (n - i < 2)
                return SEAL_ECORRUPT;
            size_t len = seal_get_u16(p + i);
            i += 2;
            if (len == 0 || len > MT_MAX_TXMD_EXTRA || n - i < len)
                return SEAL_ECORRUPT;
            md.extra_len = (uint16_t)len;
            memcpy(md.extra, p + i, len);
            i += len;
            break;
        }
        default:
            return SEAL_ECORRUPT;
        }
    }
    *out = md;
    return 0;
}

/* ------------------------------------------------------------ entry digest */

int mt_entry_digest(mt_hash out, int version, const uint8_t *md, size_t md_len, const uint8_t *key,
                    size_t key_len, const mt_hash hval)
{
    uint8_t buf[DIGEST_BUF];
    if ((key_len && !key) || (md_len && !md))
        return SEAL_EINVAL;
    if (version == 0) {
        if (md_len)
            return SEAL_EUNSUPPORTED;
        if (key_len <= DIGEST_BUF - MT_HASH_LEN) {
            memcpy(buf, key, key_len);
            memcpy(buf + key_len, hval, MT_HASH_LEN);
            cry_part part = {buf, key_len + MT_HASH_LEN};
            return cry_sha256v(out, &part, 1);
        }
        cry_part parts[2] = {{key, key_len}, {hval, MT_HASH_LEN}};
        return cry_sha256v(out, parts, 2);
    }
    if (version != 1)
        return SEAL_EINVAL;
    if (md_len > MT_MAX_KVMD_LEN || key_len > UINT16_MAX)
        return SEAL_EINVAL;
    size_t total = 2 + md_len + 2 + key_len + MT_HASH_LEN;
    if (total <= DIGEST_BUF) {
        size_t i = 0;
        seal_put_u16(buf, (uint16_t)md_len);
        i += 2;
        if (md_len)
            memcpy(buf + i, md, md_len);
        i += md_len;
        seal_put_u16(buf + i, (uint16_t)key_len);
        i += 2;
        if (key_len)
            memcpy(buf + i, key, key_len);
        i += key_len;
        memcpy(buf + i, hval, MT_HASH_LEN);
        cry_part part = {buf, total};
        return cry_sha256v(out, &part, 1);
    }
    uint8_t mdl[2], kl[2];
    seal_put_u16(mdl, (uint16_t)md_len);
    seal_put_u16(kl, (uint16_t)key_len);
    cry_part parts[5] = {{mdl, 2}, {md, md_len}, {kl, 2}, {key, key_len}, {hval, MT_HASH_LEN}};
    return cry_sha256v(out, parts, 5);
}

/* ---------------------------------------------------------- leaf and node */

int mt_leaf_hash(mt_hash out, const mt_hash payload)
{
    uint8_t b[1 + MT_HASH_LEN];
    b[0] = LEAF_PREFIX;
    memcpy(b + 1, payload, MT_HASH_LEN);
    cry_part part = {b, sizeof(b)};
    return cry_sha256v(out, &part, 1);
}

int mt_node_hash(mt_hash out, const mt_hash left, const mt_hash right)
{
    uint8_t b[1 + 2 * MT_HASH_LEN];
    b[0] = NODE_PREFIX;
    memcpy(b + 1, left, MT_HASH_LEN);
    memcpy(b + 1 + MT_HASH_LEN, right, MT_HASH_LEN);
    cry_part part = {b, sizeof(b)};
    return cry_sha256v(out, &part, 1);
}

/* ------------------------------------------------------------------ htree */

/* The tree with odd-node promotion is RFC 6962's MTH: keep the roots of the
 * perfect subtrees for the set bits of the leaf count (largest first), merge
 * on each carry, and fold them right to left at the end. */
void mt_htree_acc_init(mt_htree_acc *a)
{
    a->n = 0;
    a->depth = 0;
}

int mt_htree_acc_add(mt_htree_acc *a, const mt_hash digest)
{
    mt_hash h;
    int rc = mt_leaf_hash(h, digest);
    if (rc)
        return rc;
    if (a->n == UINT64_MAX)
        return SEAL_ELIMIT;
    for (uint64_t carry = a->n; carry & 1; carry >>= 1) {
        rc = mt_node_hash(h, a->stack[a->depth - 1], h);
        if (rc)
            return rc;
        a->depth--;
    }
    memcpy(a->stack[a->depth++], h, MT_HASH_LEN);
    a->n++;
    return 0;
}

int mt_htree_acc_final(const mt_htree_acc *a, mt_hash out)
{
    mt_hash c;
    if (a->n == 0) {
        memcpy(out, MT_EMPTY_HASH, MT_HASH_LEN);
        return 0;
    }
    memcpy(c, a->stack[a->depth - 1], MT_HASH_LEN);
    for (unsigned i = a->depth - 1; i > 0; i--) {
        int rc = mt_node_hash(c, a->stack[i - 1], c);
        if (rc)
            return rc;
    }
    memcpy(out, c, MT_HASH_LEN);
    return 0;
}

int mt_htree_root(mt_hash out, const mt_hash *digests, size_t n)
{
    mt_htree_acc a;
    if (n && !digests)
        return SEAL_EINVAL;
    mt_htree_acc_init(&a);
    for (size_t i = 0; i < n; i++) {
        int rc = mt_htree_acc_add(&a, digests[i]);
        if (rc)
            return rc;
    }
    return mt_htree_acc_final(&a, out);
}

/* Largest power of two strictly below |n| (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k < n - k)
        k <<= 1;
    return k;
}

int mt_htree_proof(mt_hash *terms, size_t *nterms, const mt_hash *digests, size_t n, size_t leaf)
{
    mt_hash path[64];
    size_t np = 0, lo = 0, hi = n;
    int rc;
    if (!terms || !nterms || !digests || leaf >= n)
        return SEAL_EINVAL;
    /* RFC 6962 PATH, top-down; siblings are the MTH of the other half. */
    while (hi - lo > 1) {
        size_t k = (size_t)split_point(hi - lo);
        if (leaf - lo < k) {
            rc = mt_htree_root(path[np], digests + lo + k, hi - lo - k);
            hi = lo + k;
        } else {
            rc = mt_htree_root(path[np], digests + lo, k);
            lo += k;
        }
        if (rc)
            return rc;
        np++;
    }
    for (size_t i = 0; i < np; i++)
        memcpy(terms[i], path[np - 1 - i], MT_HASH_LEN);
    *nterms = np;
    return 0;
}

bool mt_htree_verify(int64_t leaf, int64_t width, const mt_hash *terms, size_t nterms,
                     const mt_hash digest, const mt_hash root)
{
    mt_hash c;
    if (nterms > MT_MAX_PROOF_TERMS || (nterms && !terms) || !digest || !root)
        return false;
    if (mt_leaf_hash(c, digest))
        return false;
    int64_t i = leaf;
    /* width - 1 wrapping like Go's int arithmetic. */
    int64_t r = (int64_t)((uint64_t)width - 1u);
    for (size_t k = 0; k < nterms; k++) {
        int rc;
        if (i % 2 == 0 && i != r)
            rc = mt_node_hash(c, c, terms[k]);
        else
            rc = mt_node_hash(c, terms[k], c);
        if (rc)
            return false;
        i /= 2;
        r /= 2;
    }
    return i == r && memcmp(c, root, MT_HASH_LEN) == 0;
}

/* ------------------------------------------------------- tx header, Alh */

/* Serialises the version-dependent middle part (version, [mdLen, md],
 * nentries) into |b|; returns its length or a negative code. */
static int hdr_middle(const mt_txhdr *h, uint8_t *b, bool refuse_v0_md)
{
    size_t i = 0;
    seal_put_u16(b, (uint16_t)h->version);
    i += 2;
    if (h->version == 0) {
        if (refuse_v0_md) {
            uint8_t md[MT_MAX_TXMD_LEN];
            if (mt_txmd_bytes(&h->md, md))
                return SEAL_EUNSUPPORTED;
        }
        seal_put_u16(b + i, (uint16_t)h->nentries);
        i += 2;
    } else if (h->version == 1) {
        size_t mdl = mt_txmd_bytes(&h->md, b + i + 2);
        seal_put_u16(b + i, (uint16_t)mdl);
        i += 2 + mdl;
        seal_put_u32(b + i, h->nentries);
        i += 4;
    } else {
        return SEAL_EINVAL;
    }
    return (int)i;
}

int mt_inner_hash(mt_hash out, const mt_txhdr *h)
{
    /* ts + version + (mdLen + md) + nentries + eh + blTxID + blRoot */
    uint8_t b[8 + 2 + 2 + MT_MAX_TXMD_LEN + 4 + 32 + 8 + 32];
    size_t i = 0;
    if (!h)
        return SEAL_EINVAL;
    seal_put_u64(b, (uint64_t)h->ts);
    i += 8;
    int m = hdr_middle(h, b + i, false);
    if (m < 0)
        return m;
    i += (size_t)m;
    memcpy(b + i, h->eh, MT_HASH_LEN);
    i += MT_HASH_LEN;
    seal_put_u64(b + i, h->bl_tx_id);
    i += 8;
    memcpy(b + i, h->bl_root, MT_HASH_LEN);
    i += MT_HASH_LEN;
    cry_part part = {b, i};
    return cry_sha256v(out, &part, 1);
}

int mt_advance(mt_hash out, const mt_hash prev_alh, uint64_t tx_id, const mt_hash inner)
{
    uint8_t b[8 + 2 * MT_HASH_LEN];
    seal_put_u64(b, tx_id);
    memcpy(b + 8, prev_alh, MT_HASH_LEN);
    memcpy(b + 8 + MT_HASH_LEN, inner, MT_HASH_LEN);
    cry_part part = {b, sizeof(b)};
    return cry_sha256v(out, &part, 1);
}

int mt_alh(mt_hash out, const mt_txhdr *h)
{
    mt_hash inner;
    int rc = mt_inner_hash(inner, h);
    if (rc)
        return rc;
    return mt_advance(out, h->prev_alh, h->id, inner);
}

int mt_txhdr_bytes(const mt_txhdr *h, uint8_t out[MT_MAX_TXHDR_BYTES], size_t *len)
{
    uint8_t b[MT_MAX_TXHDR_BYTES];
    size_t i = 0;
    if (!h || !out || !len)
        return SEAL_EINVAL;
    seal_put_u64(b, h->id);
    i += 8;
    memcpy(b + i, h->prev_alh, MT_HASH_LEN);
    i += MT_HASH_LEN;
    seal_put_u64(b + i, (uint64_t)h->ts);
    i += 8;
    int m = hdr_middle(h, b + i, true);
    if (m < 0)
        return m;
    i += (size_t)m;
    memcpy(b + i, h->eh, MT_HASH_LEN);
    i += MT_HASH_LEN;
    seal_put_u64(b + i, h->bl_tx_id);
    i += 8;
    memcpy(b + i, h->bl_root, MT_HASH_LEN);
    i += MT_HASH_LEN;
    memcpy(out, b, i);
    *len = i;
    return 0;
}

/* ------------------------------------------------------------ state */

int mt_state_payload(uint8_t *out, size_t cap, size_t *len, const char *db, size_t db_len,
                     uint64_t tx_id, const mt_hash tx_hash)
{
    if (!out || !len || (db_len && !db) || db_len > UINT32_MAX || db_len > SIZE_MAX - 44 ||
        cap < 44 + db_len)
        return SEAL_EINVAL;
    seal_put_u32(out, (uint32_t)db_len);
    if (db_len)
        memcpy(out + 4, db, db_len);
    seal_put_u64(out + 4 + db_len, tx_id);
    memcpy(out + 12 + db_len, tx_hash, MT_HASH_LEN);
    *len = 44 + db_len;
    return 0;
}
