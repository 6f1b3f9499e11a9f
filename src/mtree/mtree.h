/* mtree.h - immudb's hashes, trees and proofs, bit for bit (spec sections
 * 1-5 of the formats document). Pure functions over SHA-256 from the crypto
 * boundary, plus the append-only hash tree (ahtree) over pluggable node
 * storage. The prover and the verifier both live here; the client library
 * reuses the verifiers.
 *
 * All functions return 0 or a negative SEAL_E* code; verifiers return bool
 * (true = the proof is valid), mirroring immudb's Go verifiers exactly,
 * including their quirks (see the comments at each one). */
#ifndef SEAL_MTREE_H
#define SEAL_MTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define MT_HASH_LEN        32
#define MT_MAX_KVMD_LEN    11
#define MT_MAX_TXMD_LEN    268
#define MT_MAX_TXMD_EXTRA  256
#define MT_MAX_PROOF_TERMS 128 /* more than any tree of < 2^64 leaves needs */
/* Longest TxHeader.Bytes() output: 8+32+8+2 + (2+268+4) + 32+8+32. */
#define MT_MAX_TXHDR_BYTES 396

typedef uint8_t mt_hash[MT_HASH_LEN];

/* EMPTY = SHA-256("") - the genesis PrevAlh and the hash of an empty tree. */
extern const mt_hash MT_EMPTY_HASH;

/* Digest from a protobuf bytes field, as immudb's DigestFromProto: copy at
 * most 32 bytes, zero-fill the rest (NULL/empty gives 32 zero bytes). */
void mt_digest_from_bytes(mt_hash out, const uint8_t *p, size_t n);

/* --------------------------------------------------------------- metadata */
typedef struct mt_kvmd {
    bool deleted;
    bool has_expires;
    uint64_t expires_at; /* Unix seconds */
    bool non_indexable;
} mt_kvmd;

/* Serialises |md| (NULL = none) into |out|; returns the length (0..11). */
size_t mt_kvmd_bytes(const mt_kvmd *md, uint8_t out[MT_MAX_KVMD_LEN]);
/* Parses the serialised form; SEAL_ECORRUPT on an unknown code, bad length. */
int mt_kvmd_parse(mt_kvmd *out, const uint8_t *p, size_t n);
/* Between mt_kvmd and the public seal_kvmd of seal.h (flags as 0/1,
 * expires_at as the same 64 bits). */
struct seal_kvmd;
void mt_kvmd_from_pub(mt_kvmd *out, const struct seal_kvmd *in);
void mt_kvmd_to_pub(const mt_kvmd *in, struct seal_kvmd *out);

typedef struct mt_txmd {
    bool has_truncated;
    uint64_t truncated_upto_tx;
    uint16_t extra_len; /* 0 = no extra attribute */
    uint8_t extra[MT_MAX_TXMD_EXTRA];
} mt_txmd;

size_t mt_txmd_bytes(const mt_txmd *md, uint8_t out[MT_MAX_TXMD_LEN]);
int mt_txmd_parse(mt_txmd *out, const uint8_t *p, size_t n);

/* ------------------------------------------------------------ entry digest */
/* entry digest for tx header |version| (0 or 1) from the serialised KV
 * metadata, the key and the value hash. Version 0 with non-empty metadata
 * is SEAL_EUNSUPPORTED (as immudb's TxEntryDigest_v1_1; the Go client's
 * EntrySpecDigest_v0 instead ignores metadata: a client mirroring it passes
 * md_len 0 for version 0); other versions, md_len > 11 or key_len > 65535
 * SEAL_EINVAL. No allocation; keys up to ~1.2 KiB are hashed in one update. */
int mt_entry_digest(mt_hash out, int version, const uint8_t *md, size_t md_len, const uint8_t *key,
                    size_t key_len, const mt_hash hval);

/* ------------------------------------------------------------------ htree */
/* Root of the per-tx tree over |n| entry digests (EMPTY for n = 0). Hashes
 * with a fixed stack of subtree roots: no allocation, 2n-1 hashes. */
int mt_htree_root(mt_hash out, const mt_hash *digests, size_t n);
/* The same root computed while entries arrive (no digest array needed):
 * init, add each entry digest in tx order, final. |stack| holds the roots
 * of the perfect subtrees for the set bits of |n|. Plain struct, no free. */
typedef struct mt_htree_acc {
    uint64_t n;
    unsigned depth;
    mt_hash stack[64];
} mt_htree_acc;
void mt_htree_acc_init(mt_htree_acc *a);
int mt_htree_acc_add(mt_htree_acc *a, const mt_hash digest);
/* Writes the root of the digests added so far (EMPTY if none); |a| is unchanged. */
int mt_htree_acc_final(const mt_htree_acc *a, mt_hash out);
/* Inclusion proof of |leaf| (0-based) among |n| digests: terms from the leaf
 * upwards, written to |terms| (capacity MT_MAX_PROOF_TERMS), count in *nterms. */
int mt_htree_proof(mt_hash *terms, size_t *nterms, const mt_hash *digests, size_t n, size_t leaf);
/* Client verifier, exactly as htree.VerifyInclusion (spec 2.3). |leaf| and
 * |width| are signed like Go's int (the proto fields are int32: pass them
 * sign-extended); the loop uses Go's truncating signed division, so a
 * negative or out-of-range leaf is accepted or rejected exactly as the Go
 * client does. More than MT_MAX_PROOF_TERMS terms is rejected. */
bool mt_htree_verify(int64_t leaf, int64_t width, const mt_hash *terms, size_t nterms,
                     const mt_hash digest, const mt_hash root);

/* ------------------------------------------------------- tx header, Alh */
typedef struct mt_txhdr {
    uint64_t id;
    mt_hash prev_alh;
    int64_t ts; /* Unix seconds */
    uint32_t nentries;
    mt_hash eh;
    uint64_t bl_tx_id;
    mt_hash bl_root; /* zeros when bl_tx_id == 0 */
    int version;     /* 0 or 1 */
    mt_txmd md;      /* used by version 1 only */
} mt_txhdr;

/* SEAL_EINVAL for a version other than 0/1. Version 0 ignores |md|. */
int mt_inner_hash(mt_hash out, const mt_txhdr *h);
int mt_alh(mt_hash out, const mt_txhdr *h);
/* H(u64(tx_id) || prev_alh || inner) */
int mt_advance(mt_hash out, const mt_hash prev_alh, uint64_t tx_id, const mt_hash inner);
/* TxHeader.Bytes() (spec 3.5, export layout, not hashed) into |out|
 * (capacity MT_MAX_TXHDR_BYTES); length in *len. Version 0 with non-empty
 * metadata is SEAL_EUNSUPPORTED, other versions SEAL_EINVAL. */
int mt_txhdr_bytes(const mt_txhdr *h, uint8_t out[MT_MAX_TXHDR_BYTES], size_t *len);
/* H(0x00 || payload) and H(0x01 || l || r) */
int mt_leaf_hash(mt_hash out, const mt_hash payload);
int mt_node_hash(mt_hash out, const mt_hash left, const mt_hash right);

/* ------------------------------------------------------------------ ahtree */
/* Node arithmetic of spec 4.2 (n >= 1). */
uint64_t mt_ah_nodes_upto(uint64_t n);
uint64_t mt_ah_nodes_until(uint64_t n);

/* Node storage: an append-only array of 32-byte digests, in the order of
 * immudb's aht/tree file (for leaf n: the leaf hash, then one digest per set
 * bit of n-1; spec 4.2). The store layer gives a file-backed one;
 * mt_memnodes is an in-memory one. A read past the end should return
 * SEAL_ENOTFOUND; the ahtree passes any error through unchanged. */
typedef struct mt_nodestore {
    void *ctx;
    /* Append |n| digests (1..65 per leaf, in one call per leaf). */
    int (*append)(void *ctx, const mt_hash *nodes, size_t n);
    /* Read digest number |idx| (0-based). */
    int (*read)(void *ctx, uint64_t idx, mt_hash out);
} mt_nodestore;

/* The tree keeps the perfect-subtree roots of its right edge and its root in
 * memory: append reads nothing and writes 1 + popcount(size) digests with as
 * many hashes; root_at(size) is free, root_at(n < size) is one read; proofs
 * read at most ~64 stored nodes. Not thread-safe: the caller serialises
 * access (readers of stored nodes need no lock from this module). */
typedef struct mt_ahtree mt_ahtree;
/* Opens a tree of |size| leaves over |ns| (which must already hold
 * mt_ah_nodes_upto(size) digests; popcount(size) + 1 of them are read).
 * |ns| is copied. *out owned by the caller (mt_ahtree_free). A read error
 * is returned as is (SEAL_ENOTFOUND from mt_memnodes when nodes are missing). */
int mt_ahtree_open(mt_ahtree **out, const mt_nodestore *ns, uint64_t size);
void mt_ahtree_free(mt_ahtree *t);
uint64_t mt_ahtree_size(const mt_ahtree *t);
/* Append the leaf for payload |alh| (one ns->append call); writes the new
 * root to |root| if non-NULL. If the store's append fails the tree is
 * unchanged and its error returned. */
int mt_ahtree_append(mt_ahtree *t, const mt_hash alh, mt_hash root);
/* Root of the tree of the first |n| leaves: SEAL_EINVAL for n = 0,
 * SEAL_ENOTFOUND for n > size. */
int mt_ahtree_root_at(mt_ahtree *t, uint64_t n, mt_hash out);
/* Proofs (spec 4.3, 4.4) for 1 <= i <= j <= size, exactly the terms immudb's
 * AHtree.InclusionProof / ConsistencyProof give; written to |terms|
 * (capacity MT_MAX_PROOF_TERMS). SEAL_EINVAL for i = 0 or i > j,
 * SEAL_ENOTFOUND for j > size. */
int mt_ahtree_inclusion(mt_ahtree *t, uint64_t i, uint64_t j, mt_hash *terms, size_t *nterms);
int mt_ahtree_consistency(mt_ahtree *t, uint64_t i, uint64_t j, mt_hash *terms, size_t *nterms);

/* In-memory node storage (growable). mt_memnodes_new fills |ns| with the
 * callbacks; *out owned by the caller (mt_memnodes_free). */
typedef struct mt_memnodes mt_memnodes;
int mt_memnodes_new(mt_memnodes **out, mt_nodestore *ns);
void mt_memnodes_free(mt_memnodes *m);
/* Number of digests stored. */
uint64_t mt_memnodes_count(const mt_memnodes *m);

/* Verifiers, exactly as immudb's Go client (spec 4.3, 4.4). |leaf_hash| is
 * already H(0x00 || alh). A NULL |terms| with nterms > 0, or more than
 * MT_MAX_PROOF_TERMS terms (no honest proof of a tree below 2^64 leaves has
 * that many, and no such proof can verify without a hash collision), is
 * rejected. */
bool mt_ah_verify_inclusion(const mt_hash *terms, size_t nterms, uint64_t i, uint64_t j,
                            const mt_hash leaf_hash, const mt_hash root);
bool mt_ah_verify_last_inclusion(const mt_hash *terms, size_t nterms, uint64_t j,
                                 const mt_hash leaf_hash, const mt_hash root);
bool mt_ah_verify_consistency(const mt_hash *terms, size_t nterms, uint64_t i, uint64_t j,
                              const mt_hash root_i, const mt_hash root_j);

/* ---------------------------------------------------- linear / dual proofs */
typedef struct mt_linear_proof {
    uint64_t source_tx_id;
    uint64_t target_tx_id;
    size_t nterms;
    mt_hash *terms; /* owned (seal_free) */
} mt_linear_proof;

typedef struct mt_linear_advance_proof {
    size_t nlinear;
    mt_hash *linear_terms; /* owned */
    size_t ninclusion;
    struct mt_term_list {
        size_t nterms;
        mt_hash *terms; /* owned */
    } * inclusion;      /* owned, ninclusion entries */
} mt_linear_advance_proof;

typedef struct mt_dual_proof {
    mt_txhdr source;
    mt_txhdr target;
    size_t ninclusion;
    mt_hash *inclusion; /* owned */
    size_t nconsistency;
    mt_hash *consistency; /* owned */
    mt_hash target_bl_tx_alh;
    size_t nlast_inclusion;
    mt_hash *last_inclusion; /* owned */
    mt_linear_proof linear;
    bool has_advance;
    mt_linear_advance_proof advance;
} mt_dual_proof;

/* Free the owned arrays (seal_free) and zero the struct; the struct itself
 * is the caller's. NULL is a no-op. A decoder filling these structs must
 * allocate the arrays with seal_malloc. */
void mt_linear_proof_free(mt_linear_proof *p);
void mt_linear_advance_proof_free(mt_linear_advance_proof *p);
void mt_dual_proof_free(mt_dual_proof *p);

bool mt_verify_linear(const mt_linear_proof *p, uint64_t s, uint64_t t, const mt_hash alh_s,
                      const mt_hash alh_t);
/* |p| may be NULL when end <= start + 1. */
bool mt_verify_linear_advance(const mt_linear_advance_proof *p, uint64_t start, uint64_t end,
                              const mt_hash end_alh, const mt_hash tree_root, uint64_t tree_size);
/* VerifyDualProof of spec 5.3, in its exact order. The headers are embedded:
 * a decoder must reject a proof whose header messages are missing (Go's
 * verifier returns false for them). A missing linear proof is an all-zero
 * mt_linear_proof (rejected, as in Go); a missing advance proof is
 * has_advance = false. */
bool mt_verify_dual(const mt_dual_proof *p, uint64_t s, uint64_t t, const mt_hash alh_s,
                    const mt_hash alh_t);

/* Prover side: what the store provides to build linear and dual proofs. */
typedef struct mt_history {
    void *ctx;
    /* Header of tx |id| (1-based). */
    int (*header)(void *ctx, uint64_t id, mt_txhdr *out);
    /* Alh of tx |id|. */
    int (*alh)(void *ctx, uint64_t id, mt_hash out);
    mt_ahtree *tree; /* covers at least the target's bl_tx_id leaves */
} mt_history;

/* Builders. Callback errors are passed through; SEAL_EINVAL for bad ids;
 * SEAL_ENOMEM. *out is written only on success and owned by the caller
 * (the matching _free). */
/* LinearProof(s, t), 1 <= s <= t: Alh(s), then innerHash(s+1..t). */
int mt_build_linear(const mt_history *h, uint64_t s, uint64_t t, mt_linear_proof *out);
/* LinearAdvanceProof(start, end, tree_size); SEAL_EINVAL if end < start; an
 * empty proof (all zero) when end <= start + 1, as immudb returns nil. */
int mt_build_linear_advance(const mt_history *h, uint64_t start, uint64_t end, uint64_t tree_size,
                            mt_linear_advance_proof *out);
/* DualProof between tx |s| and tx |t| (1 <= s <= t), as ImmuStore.DualProof:
 * inclusion only if s < T.BlTxID, consistency only if S.BlTxID > 0,
 * targetBlTxAlh and last inclusion only if T.BlTxID > 0, linear proof from
 * max(s, T.BlTxID) to t, advance proof for (S.BlTxID, min(s, T.BlTxID))
 * in the tree of size T.BlTxID when needed (has_advance). SEAL_ECORRUPT if
 * S.BlTxID > T.BlTxID (or S.BlTxID > s). */
int mt_build_dual(const mt_history *h, uint64_t s, uint64_t t, mt_dual_proof *out);

/* ------------------------------------------------------------ state */
/* Signed state payload (spec 6.1): u32(len(db)) || db || u64(tx_id) ||
 * tx_hash. Writes 44 + db_len bytes to |out| (capacity |cap|) and the
 * length to *len; SEAL_EINVAL if it does not fit. */
int mt_state_payload(uint8_t *out, size_t cap, size_t *len, const char *db, size_t db_len,
                     uint64_t tx_id, const mt_hash tx_hash);

#endif
