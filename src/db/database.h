/* database.h - one immudb database: a libseal store plus a name and the
 * database layer's semantics (immudb's pkg/database): key/value encodings
 * with their one-byte prefixes, references (resolved to depth 1), sorted
 * sets, logical deletes, expiration, preconditions, ExecAll, transactions by
 * id, scans, and the Verifiable* calls with their proofs and signed states.
 *
 * Nothing here knows about protobuf: the gRPC handlers translate requests
 * into these calls and the results back. Results carry everything immudb's
 * responses carry; keys and values in sdb_entry / sdb_zentry are the user's
 * (prefix removed), while sdb_txentry keeps the stored key with its prefix
 * (immudb's Tx.entries; the handler strips or keeps it as immudb does).
 *
 * Errors: every function returns 0 or a negative SEAL_E* code and then
 * sdb_errmsg() gives immudb's message for that failure ("key not found",
 * "key not found: expired entry", "tx not found", "illegal arguments: empty
 * key", "precondition failed: KeyMustExist", ...) and sdb_errgrpc() the
 * gRPC status code immudb's server answers with (see docs/database.md).
 * Both are per thread and valid until the next sdb_/dbcat_ call in that
 * thread. Outputs are written only on success; each *_free/_clear releases
 * what a call returned.
 *
 * Thread safety: an sdb may be used from any number of threads. Plain
 * writes (Set, Delete, the Verifiable variants) run in parallel and are
 * grouped by the engine; SetReference, ZAdd and ExecAll run alone, as in
 * immudb, which makes their existence checks atomic with their commit and
 * lets ExecAll know the id of the tx it commits (bound references). */
#ifndef SEAL_DB_DATABASE_H
#define SEAL_DB_DATABASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "crypto/cry.h"
#include "seal/seal.h"

/* immudb's defaults and limits. */
#define SDB_MAX_RESULT_SIZE 2500 /* server MaxResultSize (database.MaxKeyScanLimit) */
#define SDB_NAME_MAX        128  /* database name bytes */

/* gRPC status codes used by sdb_errgrpc(). */
#define SDB_GRPC_OK                  0
#define SDB_GRPC_UNKNOWN             2
#define SDB_GRPC_INVALID_ARGUMENT    3
#define SDB_GRPC_NOT_FOUND           5
#define SDB_GRPC_PERMISSION_DENIED   7
#define SDB_GRPC_FAILED_PRECONDITION 9

#define SDB_GRPC_UNIMPLEMENTED 12

/* The message and gRPC code of the last failure in this thread ("" and 0
 * after a success). Never NULL; static per-thread storage. */
const char *sdb_errmsg(void);
int sdb_errgrpc(void);
/* Sets this thread's error (used by the catalog); returns |rc|. */
int sdb_fail(int rc, int grpc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sdb_err_clear(void);

typedef struct sdb sdb;

typedef struct sdb_options {
    /* Engine options for the store (header version, limits, durability,
     * clock, ...). Header version and limits are fixed at creation. */
    seal_options store;
    /* Max entries any single read returns (immudb MaxResultSize; 0 = 2500). */
    uint32_t max_result_size;
    /* State signer (P-256 private key) or NULL. Borrowed: must outlive the
     * database. */
    const cry_key *signer;
} sdb_options;

void sdb_options_default(sdb_options *o);

/* Opens (creating when o->store.create_if_missing) the database |name|
 * stored in |dir|. *out owned by the caller (sdb_close). Errors of
 * seal_open; SEAL_EINVAL for a bad name. */
int sdb_open(const char *dir, const char *name, const sdb_options *o, sdb **out);
/* Closes the store. Callers must have stopped using |db|. NULL is a no-op. */
int sdb_close(sdb *db);
const char *sdb_name(const sdb *db);
seal_store *sdb_store(sdb *db);
int sdb_tx_header_version(const sdb *db);
uint32_t sdb_max_result_size(const sdb *db);

/* ---------------------------------------------------------------- types */
typedef struct sdb_kv {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    const seal_kvmd *md; /* NULL = none (immudb: metadata message absent) */
} sdb_kv;

typedef struct sdb_key {
    const uint8_t *key;
    size_t key_len;
} sdb_key;

enum {
    SDB_PRE_KEY_MUST_EXIST = 1,
    SDB_PRE_KEY_MUST_NOT_EXIST = 2,
    SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX = 3,
};
typedef struct sdb_precond {
    int kind; /* SDB_PRE_*, 0 = the oneof was not set */
    const uint8_t *key;
    size_t key_len;
    uint64_t tx_id; /* NOT_MODIFIED_AFTER_TX only */
} sdb_precond;

/* A reference that led to an entry (immudb's Reference message). */
typedef struct sdb_ref {
    uint64_t tx;
    uint8_t *key; /* the reference's own key, unprefixed */
    size_t key_len;
    seal_kvmd md;
    bool has_md; /* metadata with at least one attribute */
    uint64_t at_tx;
    uint64_t revision;
} sdb_ref;

/* immudb's Entry. */
typedef struct sdb_entry {
    uint64_t tx;
    uint8_t *key; /* unprefixed */
    size_t key_len;
    uint8_t *value; /* unprefixed; NULL when empty */
    size_t value_len;
    seal_kvmd md;
    bool has_md;
    bool expired; /* History only */
    uint64_t revision;
    bool has_ref;
    sdb_ref ref;
} sdb_entry;
void sdb_entry_clear(sdb_entry *e);
void sdb_entries_free(sdb_entry *e, size_t n);

/* immudb's ZEntry. */
typedef struct sdb_zentry {
    uint8_t *set;
    size_t set_len;
    uint8_t *key; /* member key, unprefixed */
    size_t key_len;
    bool has_entry; /* false only in unresolved tx reads */
    sdb_entry entry;
    double score;
    uint64_t at_tx;
} sdb_zentry;
void sdb_zentries_free(sdb_zentry *z, size_t n);

/* immudb's TxEntry: the stored key (with its prefix), metadata, value hash
 * and length, and the stored value (with its prefix) when asked. */
typedef struct sdb_txentry {
    uint8_t *key;
    size_t key_len;
    seal_kvmd md;
    bool has_md;
    uint8_t hval[SEAL_HASH_LEN];
    uint32_t vlen;
    bool has_value;
    uint8_t *value;
} sdb_txentry;

/* immudb's Tx: header, raw entries, resolved kv entries, z entries. */
typedef struct sdb_tx {
    seal_txhdr hdr;
    sdb_txentry *entries;
    size_t n;
    sdb_entry *kv;
    size_t nkv;
    sdb_zentry *z;
    size_t nz;
} sdb_tx;
void sdb_tx_clear(sdb_tx *t);

/* immudb's EntriesSpec actions (same numbers as EntryTypeAction). A spec
 * with every action EXCLUDE is not the same as no spec: no spec returns
 * every entry raw. */
enum { SDB_EXCLUDE = 0, SDB_ONLY_DIGEST = 1, SDB_RAW_VALUE = 2, SDB_RESOLVE = 3 };
typedef struct sdb_entries_spec {
    int kv, zset, sql;
} sdb_entries_spec;

typedef struct sdb_sig {
    bool present;
    uint8_t sig[CRY_ECDSA_MAX_SIG]; /* DER */
    size_t sig_len;
    uint8_t pubkey[65]; /* uncompressed point */
} sdb_sig;

/* immudb's VerifiableTx: the tx, the dual proof and the signature of the
 * state (db, target id, Alh(target)) when the database has a signer. */
typedef struct sdb_vtx {
    sdb_tx tx;
    seal_dual_proof proof;
    sdb_sig sig;
} sdb_vtx;
void sdb_vtx_clear(sdb_vtx *v);

/* ------------------------------------------------------------ writes */
/* Set: keys must be non-empty and distinct; values and metadata as given
 * (an expiresAt or nonIndexable attribute; deleted too, as immudb accepts
 * it). Preconditions are checked atomically with the commit. no_wait =
 * return before the index covers the tx. |out| (may be NULL) receives the
 * tx header. */
int sdb_set(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre, bool no_wait,
            seal_txhdr *out);

/* Set without blocking the caller, for an event loop: builds and checks the
 * tx, queues it (seal_tx_commit_async) and returns. 0: |cb| runs exactly
 * once, later, on a store thread, with 0 and the tx header, or an error
 * with this thread's sdb error (sdb_errmsg/sdb_errgrpc) set as sdb_set
 * would set it; |cb| must not block. SEAL_EBUSY: it cannot be done without
 * blocking now (an exclusive write holds the database): call sdb_set. Any
 * other error: refused now (sdb error set; |cb| is never called). Every
 * queued Set finishes before sdb_close returns. No preconditions here:
 * sdb_set checks them. */
typedef void (*sdb_set_cb)(void *ud, int rc, const seal_txhdr *hdr);
int sdb_set_async(sdb *db, const sdb_kv *kvs, size_t n, bool no_wait, sdb_set_cb cb, void *ud);

/* Logical delete of each key (empty value, metadata "deleted"). A key that
 * does not exist, or is deleted or expired, is "key not found". since_tx
 * must be committed ("tx not found"). */
int sdb_delete(sdb *db, const sdb_key *keys, size_t n, uint64_t since_tx, bool no_wait,
               seal_txhdr *out);

/* SetReference key -> referenced_key. at_tx > 0 requires bound_ref and
 * at_tx == 0 forbids it. The referenced key must exist (at at_tx when
 * bound) and not be a reference; key must not be a plain key already. */
int sdb_set_reference(sdb *db, const uint8_t *key, size_t key_len, const uint8_t *ref_key,
                      size_t ref_len, uint64_t at_tx, bool bound_ref, const sdb_precond *pre,
                      size_t npre, bool no_wait, seal_txhdr *out);

/* ZAdd: adds |key| (which must exist, at at_tx when bound, and not be a
 * reference) to |set| with |score|. */
int sdb_zadd(sdb *db, const uint8_t *set, size_t set_len, double score, const uint8_t *key,
             size_t key_len, uint64_t at_tx, bool bound_ref, bool no_wait, seal_txhdr *out);

enum { SDB_OP_KV = 1, SDB_OP_REF = 2, SDB_OP_ZADD = 3 };
typedef struct sdb_op {
    int kind; /* SDB_OP_*, 0 = the oneof was not set */
    /* KV: key, value, md. REF: key, ref_key, at_tx, bound_ref.
     * ZADD: set, score, key, at_tx, bound_ref. */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    const seal_kvmd *md;
    const uint8_t *ref_key;
    size_t ref_len;
    const uint8_t *set;
    size_t set_len;
    double score;
    uint64_t at_tx;
    bool bound_ref;
} sdb_op;
/* ExecAll: every operation in one tx. References and set members may name
 * keys written earlier in the same list; bound_ref with at_tx 0 is stored
 * with the id of this tx. */
int sdb_exec_all(sdb *db, const sdb_op *ops, size_t n, const sdb_precond *pre, size_t npre,
                 bool no_wait, seal_txhdr *out);

/* ------------------------------------------------------------- reads */
typedef struct sdb_get_req {
    const uint8_t *key;
    size_t key_len;
    uint64_t at_tx;
    uint64_t since_tx;
    bool no_wait;
    int64_t at_revision;
} sdb_get_req;
/* Get with reference resolution; deleted and expired keys are not found. */
int sdb_get(sdb *db, const sdb_get_req *req, sdb_entry *out);

/* GetAll: the keys that exist, in request order; *out NULL when *n = 0. */
int sdb_get_all(sdb *db, const sdb_key *keys, size_t n, uint64_t since_tx, sdb_entry **out,
                size_t *nout);

/* History: every version of |key| as stored (references unresolved,
 * deleted versions with an empty value, expired ones flagged). limit 0 =
 * the max result size. */
int sdb_history(sdb *db, const uint8_t *key, size_t key_len, uint64_t offset, uint64_t limit,
                bool desc, uint64_t since_tx, sdb_entry **out, size_t *n);

typedef struct sdb_scan_req {
    const uint8_t *seek_key;
    size_t seek_len;
    const uint8_t *end_key;
    size_t end_len;
    const uint8_t *prefix;
    size_t prefix_len;
    bool desc;
    uint64_t limit; /* 0 = the max result size */
    uint64_t since_tx;
    bool no_wait; /* accepted and ignored, as immudb */
    bool inclusive_seek;
    bool inclusive_end;
    uint64_t offset;
} sdb_scan_req;
int sdb_scan(sdb *db, const sdb_scan_req *req, sdb_entry **out, size_t *n);

/* Count (CountAll: prefix NULL): keys under the prefix in the index,
 * deleted and expired ones included, as immudb counts them. */
int sdb_count(sdb *db, const uint8_t *prefix, size_t prefix_len, uint64_t *out);
int sdb_count_all(sdb *db, uint64_t *out);

typedef struct sdb_zscan_req {
    const uint8_t *set;
    size_t set_len;
    const uint8_t *seek_key;
    size_t seek_len;
    double seek_score;
    uint64_t seek_at_tx;
    bool inclusive_seek;
    uint64_t limit;
    bool desc;
    bool has_min_score;
    double min_score;
    bool has_max_score;
    double max_score;
    uint64_t since_tx;
    bool no_wait; /* accepted and ignored, as immudb */
    uint64_t offset;
} sdb_zscan_req;
int sdb_zscan(sdb *db, const sdb_zscan_req *req, sdb_zentry **out, size_t *n);

typedef struct sdb_tx_req {
    uint64_t tx;
    const sdb_entries_spec *spec; /* NULL = raw entries without values */
    uint64_t since_tx;
    bool no_wait; /* accepted and ignored, as immudb */
    bool keep_references_unresolved;
} sdb_tx_req;
int sdb_tx_by_id(sdb *db, const sdb_tx_req *req, sdb_tx *out);

typedef struct sdb_txscan_req {
    uint64_t initial_tx;
    uint32_t limit; /* 0 = the max result size */
    bool desc;
    const sdb_entries_spec *spec;
    uint64_t since_tx;
    bool no_wait; /* accepted and ignored, as immudb */
} sdb_txscan_req;
/* *out (array of *n txs, free each with sdb_tx_clear then seal_free, or
 * with sdb_txs_free) NULL when *n = 0. */
int sdb_tx_scan(sdb *db, const sdb_txscan_req *req, sdb_tx **out, size_t *n);
void sdb_txs_free(sdb_tx *t, size_t n);

/* ---------------------------------------------------- state and proofs */
typedef struct sdb_state {
    uint64_t tx_id;
    uint8_t alh[SEAL_HASH_LEN];
    sdb_sig sig;
} sdb_state;
/* The current state (signed when the database has a signer); the db name
 * is sdb_name(db). */
int sdb_current_state(sdb *db, sdb_state *out);

/* Set / SetReference / ZAdd, then the committed tx (raw entries), the dual
 * proof from prove_since_tx (0 = the new tx itself) to it, and the signed
 * state of the new tx. prove_since_tx beyond the last tx: "illegal state"
 * (Set) or "illegal arguments" (the others), as immudb. */
/* The answer of a VerifiableSet whose tx |tx| was committed by
 * sdb_set_async: the tx and its dual proof from |prove_since_tx| (checked
 * against the state before the Set by the caller; here it must not exceed
 * |tx|). */
int sdb_verifiable_committed(sdb *db, uint64_t tx, uint64_t prove_since_tx, sdb_vtx *out);
int sdb_verifiable_set(sdb *db, const sdb_kv *kvs, size_t n, const sdb_precond *pre, size_t npre,
                       bool no_wait, uint64_t prove_since_tx, sdb_vtx *out);
int sdb_verifiable_set_reference(sdb *db, const uint8_t *key, size_t key_len,
                                 const uint8_t *ref_key, size_t ref_len, uint64_t at_tx,
                                 bool bound_ref, const sdb_precond *pre, size_t npre, bool no_wait,
                                 uint64_t prove_since_tx, sdb_vtx *out);
int sdb_verifiable_zadd(sdb *db, const uint8_t *set, size_t set_len, double score,
                        const uint8_t *key, size_t key_len, uint64_t at_tx, bool bound_ref,
                        bool no_wait, uint64_t prove_since_tx, sdb_vtx *out);

/* VerifiableGet: the entry, the tx it was read from (the reference's tx for
 * a reference), the inclusion proof of the stored key (0x00||key, or the
 * reference's key) in that tx, and the dual proof between prove_since_tx
 * and that tx (source = the older). */
typedef struct sdb_ventry {
    sdb_entry entry;
    sdb_vtx vtx;
    seal_entry_proof inclusion;
} sdb_ventry;
void sdb_ventry_clear(sdb_ventry *v);
int sdb_verifiable_get(sdb *db, const sdb_get_req *req, uint64_t prove_since_tx, sdb_ventry *out);

/* VerifiableTxById: the tx (serialised per req->spec) and the dual proof
 * between it and prove_since_tx. */
int sdb_verifiable_tx_by_id(sdb *db, const sdb_tx_req *req, uint64_t prove_since_tx, sdb_vtx *out);

#endif
