/* seal.h - libseal, the embedded verifiable storage engine.
 *
 * A store is a directory holding an append-only transaction log, a value
 * log, a commit index, the append-only hash tree of every transaction's Alh
 * and a key index. Transactions are immudb transactions: the same entry
 * digests, per-tx Merkle tree, header hashes, Alh chain and proofs, bit for
 * bit, for tx header versions 0 and 1 (docs/format.md, the formats spec).
 *
 * Conventions (seal_common.h): every function returns 0 or a negative
 * SEAL_E* code; outputs are written only on success; each comment says who
 * owns what is returned. After a failure, seal_last_error() gives a detail
 * message for the calling thread (which tx, which file and offset, why).
 *
 * Thread safety: a seal_store may be used from any number of threads at
 * once (commits are grouped). A seal_tx or seal_snap belongs to one thread
 * at a time. */
#ifndef SEAL_SEAL_H
#define SEAL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "seal/seal_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_HASH_LEN       32
#define SEAL_MAX_TXMD_EXTRA 256

typedef struct seal_store seal_store;
typedef struct seal_tx seal_tx;
typedef struct seal_snap seal_snap;

/* Detail of the last failure of a libseal call in this thread ("" if none).
 * Static per-thread buffer, valid until the next libseal call in this
 * thread; never NULL; do not free. */
SEAL_API const char *seal_last_error(void);

/* ------------------------------------------------------------- options */
typedef enum seal_durability {
    /* A commit returns once its tx is on stable storage (fdatasync of every
     * file of the group). The default. */
    SEAL_DURABILITY_SYNC = 0,
    /* Acknowledged before fsync; a crash (power loss, kernel panic) can lose
     * the last txs. A process crash alone loses nothing that was acknowledged.
     * What is on disk is always a consistent prefix of the history. */
    SEAL_DURABILITY_NONE = 1,
} seal_durability;

typedef struct seal_options {
    /* Tx header version for a new store: 0 (immudb <= 1.1, no KV metadata)
     * or 1 (immudb >= 1.2, default). Fixed at creation and stored in the
     * store's metadata file; when an existing store is opened, the stored
     * version is used and a different requested version is ignored (with a
     * warning in the log); seal_store_info reports the version in force. */
    int tx_header_version;
    /* Limits checked at commit (defaults 1024 entries, 1024-byte keys,
     * 32 MiB values). Hard caps: 65535 entries for version 0 headers,
     * 65535-byte keys, 2^31 - 1 byte values. */
    uint32_t max_tx_entries;
    uint32_t max_key_len;
    uint32_t max_value_len;
    /* Segment size of every log file (default 512 MiB, at least 4096). Fixed
     * at creation like the header version; a record larger than a segment
     * gets a segment of its own. */
    uint64_t segment_size;
    seal_durability durability;
    /* Create the directory and an empty store if there is none (default 1). */
    int create_if_missing;
    /* Key index (LMDB) map size in bytes, 0 = the index default. */
    uint64_t index_map_size;
    /* fsync each key index transaction (default 0). With 0 the index is
     * flushed in the background when the indexer is idle (at least every
     * 30 s under load); after a process crash
     * it catches up from the log, and after a machine restart that left it
     * unflushed it is rebuilt from the log (docs/format.md, "Key index").
     * Commits never wait for the index either way. */
    int index_sync;
    /* Max txs applied to the index in one LMDB transaction (default 1024). */
    uint32_t index_batch_txs;
    /* Clock for tx timestamps and expiry, Unix seconds (NULL = wall clock).
     * Timestamps never go backwards even if the clock does. For tests. */
    int64_t (*clock)(void *arg);
    void *clock_arg;
} seal_options;

/* Fills |o| with the defaults. */
SEAL_API void seal_options_default(seal_options *o);

/* Opens (or creates) the store in |dir|. |o| NULL = defaults. Recovers from
 * a crash: a torn tail (a partly written last tx, or after a power loss
 * txs in flight that reached the disk only in part: every record's durable
 * mark tells what was durable when it was written) is cut and the cut is
 * logged; the commit index and hash tree files are repaired from the tx log;
 * an index behind the log catches up in the background (commits are allowed
 * meanwhile). Errors: SEAL_ENOTFOUND (no store and create_if_missing = 0),
 * SEAL_ECORRUPT (data failed a check in a way that is not a torn tail:
 * seal_last_error names the tx id, file and offset), SEAL_EBUSY (opened by
 * another process), SEAL_EINVAL (bad options), SEAL_EIO, SEAL_ENOMEM.
 * *out owned by the caller (seal_close). */
SEAL_API int seal_open(const char *dir, const seal_options *o, seal_store **out);

/* Waits for the commits in progress, lets the indexer finish a small
 * backlog (up to 100000 txs, at most 10 s; a larger one is finished in the
 * background after the next open), stops it and frees |s|. NULL is a no-op. Returns the first
 * error met while closing (SEAL_EIO) or 0. */
SEAL_API int seal_close(seal_store *s);

typedef struct seal_store_info {
    int tx_header_version;
    uint32_t max_tx_entries, max_key_len, max_value_len;
    uint64_t segment_size;
    uint64_t committed_tx; /* last durable (or acknowledged) tx */
    uint64_t indexed_tx;   /* last tx applied to the key index */
} seal_store_info;
/* Fills |out| with the store's settings and progress. 0, or SEAL_EINVAL for
 * a NULL argument. */
SEAL_API int seal_store_info_get(seal_store *s, seal_store_info *out);

/* ------------------------------------------------------------- metadata */
/* KV metadata (immudb's, spec 1.1). Not allowed with header version 0. */
typedef struct seal_kvmd {
    int deleted;        /* logical delete (tombstone) */
    int has_expires;    /* expires_at is set */
    int64_t expires_at; /* Unix seconds; the entry is expired when now >= expires_at */
    int non_indexable;  /* not put in the key index */
} seal_kvmd;

/* Tx metadata (spec 1.2), version 1 only. */
typedef struct seal_txmd {
    uint64_t truncated_upto_tx; /* 0 = absent */
    uint16_t extra_len;         /* 0 = absent */
    uint8_t extra[SEAL_MAX_TXMD_EXTRA];
} seal_txmd;

/* A tx header (spec 3.1) and its Alh. */
typedef struct seal_txhdr {
    uint64_t id;
    uint8_t prev_alh[SEAL_HASH_LEN];
    int64_t ts;
    uint32_t nentries;
    uint8_t eh[SEAL_HASH_LEN];
    uint64_t bl_tx_id;
    uint8_t bl_root[SEAL_HASH_LEN];
    int version;
    seal_txmd md;
    uint8_t alh[SEAL_HASH_LEN];
} seal_txhdr;

/* ---------------------------------------------------------- transactions */
/* Starts an empty tx for |s|. *out owned by the caller (seal_tx_free), also
 * after a commit. SEAL_ENOMEM. */
SEAL_API int seal_tx_new(seal_store *s, seal_tx **out);
/* Frees a tx, committed or not; NULL is a no-op. */
SEAL_API void seal_tx_free(seal_tx *tx);

/* Adds an entry; key and value are copied. |md| NULL = no metadata.
 * SEAL_EINVAL: empty key; SEAL_ELIMIT: key or value longer than the store
 * limit; SEAL_ETXTOOLARGE: the tx is full; SEAL_EUNSUPPORTED: KV metadata on
 * a version 0 store; SEAL_ESTATE: the tx was already committed. The tx is
 * unchanged on error. (Duplicate keys are refused at commit.) */
SEAL_API int seal_tx_add(seal_tx *tx, const void *key, size_t key_len, const void *value,
                         size_t value_len, const seal_kvmd *md);

/* Sets the tx metadata (version 1 stores only, else SEAL_EUNSUPPORTED;
 * SEAL_EINVAL if extra_len > 256). */
SEAL_API int seal_tx_set_metadata(seal_tx *tx, const seal_txmd *md);

/* Preconditions, checked atomically at commit against the latest version
 * of the key as of the previous tx (immudb semantics: "exists" ignores
 * deleted and expired versions; "not modified after" counts every version).
 * SEAL_EINVAL: empty key or tx id 0; SEAL_ELIMIT: key too long. */
SEAL_API int seal_tx_require_exists(seal_tx *tx, const void *key, size_t key_len);
SEAL_API int seal_tx_require_absent(seal_tx *tx, const void *key, size_t key_len);
SEAL_API int seal_tx_require_not_modified_after(seal_tx *tx, const void *key, size_t key_len,
                                                uint64_t tx_id);

/* Commits |tx| and fills |out| (may be NULL) with its header. Returns after
 * the tx and every tx before it are durable (SEAL_DURABILITY_SYNC); commits
 * from several threads are grouped and pipelined. Errors, with nothing
 * written: SEAL_EINVAL (no entries), SEAL_EDUPLICATE (same key twice),
 * SEAL_EPRECONDITION, SEAL_ESTATE (already committed, or the store refuses
 * writes after an fsync failure: reopen it; the outcome of the tx whose
 * fsync failed, and of txs committed concurrently with it that also got
 * SEAL_ESTATE or SEAL_EIO, is unknown until then), SEAL_ENOSPACE / SEAL_EIO
 * (a write failed; every file was rolled back and the store stays usable),
 * SEAL_ECLOSED. The first tx with preconditions after an open waits until
 * the key index has caught up with the log (later ones do not wait). */
SEAL_API int seal_tx_commit(seal_store *s, seal_tx *tx, seal_txhdr *out);

/* Commits |tx| as seal_tx_commit does, then waits until the key index has
 * it (as seal_index_wait(s, id, 0) would), in a single sleep: cheaper than
 * the two calls for a caller that reads its own writes (immudb's Set
 * without noWait). Returns what seal_tx_commit returns. When it returns 0
 * the tx is durable and *out is filled, and *index_rc (when not NULL) is 0
 * once the index has the tx, or the error seal_index_wait would have
 * returned (SEAL_ECLOSED, or the indexing failure); the tx stays committed
 * either way. */
SEAL_API int seal_tx_commit_indexed(seal_store *s, seal_tx *tx, seal_txhdr *out, int *index_rc);

/* Asynchronous commit, for event loops that must not block. */
#define SEAL_COMMIT_WAIT_INDEX 1u /* complete once the key index has the tx too */
/* Called once per queued tx: |rc| and |index_rc| as seal_tx_commit_indexed
 * returns them (index_rc is 0 without SEAL_COMMIT_WAIT_INDEX); |hdr| is the
 * committed header when rc is 0 (NULL otherwise), valid during the call;
 * seal_last_error() on the calling thread describes a failure. It runs on
 * one of the store's threads, never inside seal_tx_commit_async: it must
 * not block (no other commit, no wait) and must not close the store. */
typedef void (*seal_commit_cb)(void *ud, int rc, const seal_txhdr *hdr, int index_rc);
/* Queues |tx| for commit and returns at once: it hashes the tx's values on
 * the calling thread and takes the commit mutex briefly, but never waits
 * for I/O (store threads write, sync and publish the group). On 0, |cb| is
 * called exactly once later, with |ud|; |tx| must stay alive and unchanged
 * until then (the caller frees it, in cb or after). seal_close runs every
 * pending callback before it returns. On failure cb is never called:
 * SEAL_EINVAL (bad arguments, empty tx, unknown flag), SEAL_EDUPLICATE
 * (same key twice), SEAL_EUNSUPPORTED (a tx with preconditions: commit it
 * with seal_tx_commit), SEAL_ESTATE (already committed, or the store
 * refuses writes after an fsync failure), SEAL_ECLOSED, SEAL_ENOMEM. */
SEAL_API int seal_tx_commit_async(seal_store *s, seal_tx *tx, unsigned flags, seal_commit_cb cb,
                                  void *ud);

/* --------------------------------------------------------------- reads */
/* One version of one key. Strings owned by the struct: seal_entry_clear. */
typedef struct seal_entry {
    uint8_t *key;
    size_t key_len;
    uint8_t *value; /* NULL when values were not requested */
    size_t value_len;
    uint64_t tx;       /* tx that wrote this version */
    uint64_t revision; /* 1 = first version of the key */
    seal_kvmd md;
    uint8_t hval[SEAL_HASH_LEN];
    uint64_t vloc; /* value location (for seal_value_read) */
} seal_entry;
SEAL_API void seal_entry_clear(seal_entry *e);
/* Frees an array of |n| entries returned by history/scan. */
SEAL_API void seal_entries_free(seal_entry *e, size_t n);

/* Snapshots fix the tx they see: every read through one sees the same data.
 * |since_tx| = wait until the index covers at least that tx (0 = the last
 * committed tx at the time of the call); |no_wait| = take what the index has
 * now; |timeout_ms| = how long to wait (0 = forever). SEAL_ETIMEOUT,
 * SEAL_EINVAL (since_tx beyond the last committed tx). *out owned by the
 * caller (seal_snap_end). */
SEAL_API int seal_snap_begin(seal_store *s, uint64_t since_tx, int no_wait, uint32_t timeout_ms,
                             seal_snap **out);
SEAL_API void seal_snap_end(seal_snap *snap);
/* The last tx visible in the snapshot. */
SEAL_API uint64_t seal_snap_tx(const seal_snap *snap);

/* Which version a get returns (at most one of at_tx, as_of_tx, revision set). */
typedef struct seal_get_opts {
    uint64_t at_tx;    /* the version written by exactly this tx */
    uint64_t as_of_tx; /* the latest version as of this tx */
    int64_t revision;  /* > 0: that revision; < 0: relative to the latest (-1 =
                          the one before the latest) */
    int no_values;     /* do not read the value */
} seal_get_opts;

/* Gets one version of |key|. Without at_tx / revision, a latest version that
 * is deleted or expired is SEAL_ENOTFOUND (immudb semantics); at_tx and
 * revision return the version as it is (check md). SEAL_ENOTFOUND,
 * SEAL_ECORRUPT (the value does not match its hash), SEAL_EINVAL. Fills
 * |out| (seal_entry_clear). |o| may be NULL. */
SEAL_API int seal_snap_get(seal_snap *snap, const void *key, size_t key_len, const seal_get_opts *o,
                           seal_entry *out);
/* Same through a temporary snapshot waiting for |since_tx| (0 = every
 * committed tx) with no timeout unless |no_wait|. */
SEAL_API int seal_get(seal_store *s, const void *key, size_t key_len, const seal_get_opts *o,
                      uint64_t since_tx, int no_wait, seal_entry *out);

/* History of |key|: versions from |offset| (from the oldest, or from the
 * newest when |desc|), at most |limit| (0 = all), deleted ones included.
 * *out (seal_entries_free) may be NULL when *n = 0. SEAL_ENOTFOUND when the
 * key has no version. */
SEAL_API int seal_snap_history(seal_snap *snap, const void *key, size_t key_len, uint64_t offset,
                               uint64_t limit, int desc, int with_values, seal_entry **out,
                               size_t *n);

typedef struct seal_scan_opts {
    const void *prefix;
    size_t prefix_len;
    const void *seek_key; /* first key (NULL = from the start/end) */
    size_t seek_len;
    int seek_exclusive;
    const void *end_key; /* last key (NULL = none) */
    size_t end_len;
    int end_inclusive;
    int desc;
    uint64_t limit;      /* 0 = no limit */
    uint64_t as_of_tx;   /* 0 = the snapshot */
    int include_deleted; /* also return deleted / expired latest versions */
    int with_values;
} seal_scan_opts;
/* Keys in byte order with their latest version as of the snapshot.
 * |cb| returns 0 to continue, non-zero to stop (returned as is). Entries
 * passed to cb are owned by the scan (valid during the call only). Returns
 * 0 after the last key, cb's value, SEAL_EINVAL for bad options, or
 * SEAL_ECORRUPT / SEAL_EIO when a value cannot be read or fails its hash. */
typedef int (*seal_scan_cb)(void *arg, const seal_entry *e);
SEAL_API int seal_snap_scan(seal_snap *snap, const seal_scan_opts *o, seal_scan_cb cb, void *arg);
/* Number of live keys (not deleted, not expired) under |prefix|. */
SEAL_API int seal_snap_count(seal_snap *snap, const void *prefix, size_t prefix_len, uint64_t *out);

/* A tx as stored. Owned by the struct (seal_txinfo_free). */
typedef struct seal_txentry {
    uint8_t *key;
    size_t key_len;
    int has_md; /* md was given (even if empty) */
    seal_kvmd md;
    uint8_t md_bytes[16];
    size_t md_len;
    uint8_t hval[SEAL_HASH_LEN];
    uint32_t vlen;
    uint64_t vloc;
    uint8_t *value; /* when requested */
} seal_txentry;
typedef struct seal_txinfo {
    seal_txhdr hdr;
    size_t n;
    seal_txentry *entries;
} seal_txinfo;
/* Reads tx |id| (values too when |with_values|, each checked against its
 * hash). SEAL_ENOTFOUND (no such tx), SEAL_ECORRUPT. *out owned by the
 * caller (seal_txinfo_free). */
SEAL_API int seal_tx_read(seal_store *s, uint64_t id, int with_values, seal_txinfo **out);
SEAL_API void seal_txinfo_free(seal_txinfo *t);
/* Reads the value at |vloc| of |vlen| bytes and checks H(value) == hval
 * (SEAL_ECORRUPT if not). *out owned by the caller (seal_free); may be NULL
 * for vlen 0. */
SEAL_API int seal_value_read(seal_store *s, uint64_t vloc, uint32_t vlen,
                             const uint8_t hval[SEAL_HASH_LEN], uint8_t **out);

/* Waits until the index covers tx |tx| (timeout_ms 0 = forever). */
SEAL_API int seal_index_wait(seal_store *s, uint64_t tx, uint32_t timeout_ms);
/* Drops the key index and rebuilds it from the log in the background (or
 * before returning when |wait|). Reads wait for it like after a reopen. */
SEAL_API int seal_index_rebuild(seal_store *s, int wait);

/* ------------------------------------------------------ state and proofs */
/* Last committed tx and its Alh; (0, EMPTY) for an empty store. */
SEAL_API int seal_state(seal_store *s, uint64_t *tx_id, uint8_t alh[SEAL_HASH_LEN]);
/* The signed-state payload of spec 6.1: u32(len(db)) || db || u64(tx) || alh.
 * Writes 44 + strlen(db) bytes to |out| if |cap| allows (else SEAL_ELIMIT),
 * length in *len. */
SEAL_API int seal_state_payload(const char *db, uint64_t tx_id, const uint8_t alh[SEAL_HASH_LEN],
                                uint8_t *out, size_t cap, size_t *len);

/* ------------------------------------------------------- signed states */
/* An ECDSA P-256 key (a key pair or a public key), as immudb's server
 * signing key (spec 6.2). Only P-256 is accepted: another curve or key type
 * is SEAL_ENOTALLOWED, malformed input SEAL_EINVAL, an encrypted PEM
 * SEAL_EUNSUPPORTED. Every *out is owned by the caller (seal_key_free). */
typedef struct seal_key seal_key;
/* Longest DER signature of P-256 (a signature is usually 70 to 72 bytes). */
#define SEAL_SIG_MAX 72
/* A new key pair from the FIPS DRBG. SEAL_ENOMEM, SEAL_ECRYPTO. */
SEAL_API int seal_key_generate(seal_key **out);
/* A PEM private key ("EC PRIVATE KEY", as immudb's signer reads, or
 * unencrypted PKCS#8 "PRIVATE KEY") or public key ("PUBLIC KEY"); |len|
 * bytes of |pem|. seal_key_load_file reads it from a file (SEAL_EIO). */
SEAL_API int seal_key_from_pem(const char *pem, size_t len, seal_key **out);
SEAL_API int seal_key_load_file(const char *path, seal_key **out);
/* A public key from its uncompressed point 0x04 || X || Y, checked to be on
 * the curve (what immudb sends in Signature.publicKey). */
SEAL_API int seal_key_from_public_raw(const uint8_t pt[65], seal_key **out);
/* The uncompressed public point of |key| into |out|. */
SEAL_API int seal_key_public_raw(const seal_key *key, uint8_t out[65]);
/* 1 if |key| holds the private half (can sign), else 0. */
SEAL_API int seal_key_has_private(const seal_key *key);
/* NULL is a no-op. */
SEAL_API void seal_key_free(seal_key *key);

/* Signs the state (|db|, |tx_id|, |alh|): ECDSA with SHA-256 over the
 * payload of seal_state_payload (spec 6.1), DER-encoded into |sig|. On entry
 * *sig_len is the capacity of |sig| (at least SEAL_SIG_MAX, else
 * SEAL_ELIMIT); on success it is the signature's length. Signatures are not
 * deterministic (random nonce, like immudb's). Errors: SEAL_EINVAL (NULL
 * argument, or |key| is public only), SEAL_ELIMIT, SEAL_ENOMEM,
 * SEAL_ECRYPTO. |key| is only read: one key may sign from several threads. */
SEAL_API int seal_state_sign(const seal_key *key, const char *db, uint64_t tx_id,
                             const uint8_t alh[SEAL_HASH_LEN], uint8_t *sig, size_t *sig_len);
/* Checks |sig| (DER, |sig_len| bytes) over the state's payload with |key|
 * (public or private). 0 when it verifies; SEAL_EVERIFY when it does not,
 * malformed DER included; SEAL_EINVAL, SEAL_ENOMEM. */
SEAL_API int seal_state_verify(const seal_key *key, const char *db, uint64_t tx_id,
                               const uint8_t alh[SEAL_HASH_LEN], const uint8_t *sig,
                               size_t sig_len);

/* A list of hashes, owned by the struct that holds it. */
typedef struct seal_hashes {
    size_t n;
    uint8_t (*h)[SEAL_HASH_LEN];
} seal_hashes;

/* DualProof (spec 5.3). Free with seal_dual_proof_free. */
typedef struct seal_dual_proof {
    seal_txhdr source, target;
    seal_hashes inclusion;
    seal_hashes consistency;
    uint8_t target_bl_tx_alh[SEAL_HASH_LEN];
    seal_hashes last_inclusion;
    uint64_t linear_source, linear_target;
    seal_hashes linear;
    int has_advance;
    seal_hashes advance_linear;
    size_t advance_ninclusion;
    seal_hashes *advance_inclusion;
} seal_dual_proof;
/* Dual proof between txs |s| <= |t| (both committed). SEAL_EINVAL,
 * SEAL_ENOTFOUND. */
SEAL_API int seal_dual_proof_build(seal_store *st, uint64_t s, uint64_t t, seal_dual_proof *out);
SEAL_API void seal_dual_proof_free(seal_dual_proof *p);
/* Client-side check (immudb's VerifyDualProof): 0 or SEAL_EVERIFY. */
SEAL_API int seal_dual_proof_verify(const seal_dual_proof *p, uint64_t s, uint64_t t,
                                    const uint8_t alh_s[SEAL_HASH_LEN],
                                    const uint8_t alh_t[SEAL_HASH_LEN]);

/* Linear proof from |s| to |t|: terms[0] = Alh(s), then inner hashes. */
SEAL_API int seal_linear_proof_build(seal_store *st, uint64_t s, uint64_t t, seal_hashes *out);
SEAL_API void seal_hashes_free(seal_hashes *h);

/* Inclusion of the entry with |key| in tx |tx|'s Merkle tree (spec 2.2):
 * leaf index, width, terms, and the entry digest it proves (checked against
 * the header's Eh with seal_entry_proof_verify). SEAL_ENOTFOUND if the key
 * is not in that tx. */
typedef struct seal_entry_proof {
    uint64_t leaf, width;
    seal_hashes terms;
    uint8_t digest[SEAL_HASH_LEN];
} seal_entry_proof;
SEAL_API int seal_entry_proof_build(seal_store *st, uint64_t tx, const void *key, size_t key_len,
                                    seal_entry_proof *out);
SEAL_API void seal_entry_proof_free(seal_entry_proof *p);
/* 0 if |p| proves |digest| under |eh|, SEAL_EVERIFY if not. */
SEAL_API int seal_entry_proof_verify(const seal_entry_proof *p, const uint8_t digest[SEAL_HASH_LEN],
                                     const uint8_t eh[SEAL_HASH_LEN]);
/* Entry digest for a header version (spec 1.4). SEAL_EUNSUPPORTED for
 * version 0 with metadata. */
SEAL_API int seal_entry_digest(int version, const void *key, size_t key_len, const seal_kvmd *md,
                               const uint8_t hval[SEAL_HASH_LEN], uint8_t out[SEAL_HASH_LEN]);
/* Alh of a header (spec 3.3). */
SEAL_API int seal_txhdr_alh(const seal_txhdr *h, uint8_t out[SEAL_HASH_LEN]);

/* --------------------------------------------------------------- verify */
typedef struct seal_verify_report {
    uint64_t txs_checked;
    uint64_t values_checked;
    uint64_t bytes_checked;
    /* first problem (when the result is SEAL_ECORRUPT) */
    uint64_t bad_tx; /* tx id (0 if the problem is not tied to a tx) */
    char file[512];  /* path of the file */
    uint64_t offset; /* byte offset in that file */
    char what[256];  /* what did not match */
    /* Findings that are not corruption (seal_verify_dir only): the state a
     * crash leaves, which seal_open would repair. They do not change the
     * result. */
    uint64_t tail_bytes;    /* bytes of the tx and value logs after the last complete tx,
                               that open would cut (0 = none) */
    uint64_t tail_after_tx; /* that last complete tx (when tail_bytes > 0) */
    uint32_t nnotes;        /* number of findings */
    char notes[1024];       /* one finding per line, e.g. "tx log: tail of 97 bytes after tx
                               12 is incomplete (partial record): would be cut on open" */
} seal_verify_report;
/* Called every so often; return non-zero to stop (the verify returns that). */
typedef int (*seal_verify_cb)(void *arg, uint64_t done_tx, uint64_t total_tx);

/* Re-reads every tx and every value of an open store and recomputes every
 * hash: value hashes, entry digests, Eh, inner hashes, the Alh chain, BlTxID
 * and BlRoot against a freshly computed hash tree, every stored hash tree
 * node, the commit index, and the key index entries of every tx.
 * 0 when everything matches; SEAL_ECORRUPT with |rep| describing the first
 * mismatch; SEAL_EIO. |cb| and |rep| may be NULL. */
SEAL_API int seal_verify(seal_store *s, seal_verify_cb cb, void *arg, seal_verify_report *rep);

/* Offline verification of the store in |dir|, READ-ONLY: nothing in |dir|
 * is created, written, truncated or repaired (the files are opened with
 * O_RDONLY; the only lock is a shared flock on seal.meta, so it works on a
 * read-only directory or file system). It checks from the files alone what
 * seal_verify checks, except the key index (derived data, not opened):
 * every tx record of the tx log in order (framing, position, ids), every
 * value hash, entry digests, Eh, the Alh chain, BlTxID/BlRoot against a
 * recomputed hash tree, every stored hash tree node, every commit index
 * record against the tx it describes. What a crash legitimately leaves
 * (a torn tail of the tx or value log, txs not yet in the commit index, a
 * partial commit index or hash tree) is reported in rep->notes /
 * rep->tail_bytes and the result stays 0. An invalid record followed by
 * more data (unless no later record's durable mark shows it had been
 * durable: then it is a write a power loss cut, reported as a tail), a tx
 * listed in the commit index whose data is missing or
 * damaged, or any other mismatch is SEAL_ECORRUPT with the tx, file and
 * offset in |rep|. Other errors: SEAL_ENOTFOUND (no store), SEAL_EBUSY (a
 * writer has the store open), SEAL_EUNSUPPORTED, SEAL_EIO, SEAL_ENOMEM, or
 * what |cb| returned. |cb| gets total_tx = the number of txs the commit
 * index lists (an estimate; done_tx may pass it). |cb| and |rep| may be
 * NULL. */
SEAL_API int seal_verify_dir(const char *dir, seal_verify_cb cb, void *arg,
                             seal_verify_report *rep);

#ifdef __cplusplus
}
#endif
#endif
