/* seal_client.h - libsealclient: a client for SealDB and immudb servers
 * (immudb.schema.ImmuService over gRPC, h2c or TLS) that verifies every
 * proof itself and keeps a local trusted state per (server UUID, database).
 *
 * Conventions (seal_common.h): every function returns 0 or a negative
 * SEAL_E* code and writes its outputs only on success. After a failure,
 * seal_client_last_error() tells what happened (the server's status and
 * message, or which verification check failed).
 *
 * Errors used throughout:
 *  - SEAL_EVERIFY: a proof, a recomputed hash or a state signature did not
 *    check out. The trusted state is left untouched. Never used for I/O.
 *  - SEAL_EIO: the connection failed or the server is unavailable.
 *  - SEAL_ETIMEOUT: the call's deadline passed.
 *  - SEAL_EPROTOCOL: the server answered something malformed (undecodable
 *    message, a required field missing, no immudb-uuid header when a
 *    trusted state is needed).
 *  - Server statuses map to: NOT_FOUND (and immudb's "key not found" /
 *    "tx not found" messages) SEAL_ENOTFOUND, UNAUTHENTICATED SEAL_EAUTH,
 *    PERMISSION_DENIED SEAL_EPERM, INVALID_ARGUMENT / OUT_OF_RANGE
 *    SEAL_EINVAL, ALREADY_EXISTS SEAL_EEXISTS, FAILED_PRECONDITION SEAL_EPRECONDITION,
 *    RESOURCE_EXHAUSTED SEAL_ELIMIT, UNIMPLEMENTED SEAL_EUNSUPPORTED,
 *    DEADLINE_EXCEEDED SEAL_ETIMEOUT, UNAVAILABLE SEAL_EIO; any other status
 *    is SEAL_EPROTOCOL. seal_client_last_status() gives the gRPC code.
 *  - SEAL_ENOMEM, SEAL_EINVAL (bad arguments, checked before any call).
 *
 * A seal_client is used by one thread at a time. Several clients (threads or
 * processes) may share one state directory: the state file is locked for the
 * whole read-verify-write of each verified call.
 *
 * Ownership: result structs filled by the library own their buffers; each
 * has a _clear (or _free for arrays) function. Input pointers are only read
 * during the call. */
#ifndef SEAL_CLIENT_H
#define SEAL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "seal/seal.h" /* seal_txhdr, seal_kvmd, seal_txmd, SEAL_HASH_LEN */
#include "seal/seal_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_client seal_client;

/* ------------------------------------------------------------- options */
/* How the trusted state that a verified call started from was obtained. */
typedef enum seal_trust_origin {
    SEAL_TRUST_STORED = 0,    /* read from the state file */
    SEAL_TRUST_FIRST_USE = 1, /* no state yet: the server's CurrentState was
                                 trusted on first use (TOFU) */
    SEAL_TRUST_PINNED = 2,    /* no state yet: the pin given in the options */
} seal_trust_origin;

/* Called with a one-line notice (first use of a server's state, a pin that
 * is ignored because a stored state exists...). */
typedef void (*seal_client_notice_fn)(void *arg, const char *msg);

typedef struct seal_client_opts {
    const char *host; /* default "127.0.0.1" */
    int port;         /* default 3322 */
    /* TLS (TLS 1.2/1.3 under the FIPS policy of the crypto module). */
    int use_tls;
    const char *tls_ca_file;     /* CAs for the server (NULL: system store) */
    const char *tls_cert_file;   /* optional client certificate (PEM) ... */
    const char *tls_key_file;    /* ... and its key */
    const char *tls_server_name; /* SNI and host name check (default: host) */
    int tls_insecure;            /* do not verify the server (tests only) */
    int timeout_ms;              /* per call (default 30000; < 0 = none) */
    const char *database;        /* default "defaultdb" */
    /* Trusted state directory (default $HOME/.sealdb/state). Created 0700. */
    const char *state_dir;
    /* Server signing public key (PEM "PUBLIC KEY", ECDSA P-256). When set,
     * every CurrentState reply and every verified response must carry a
     * valid signature (an unsigned state is refused). */
    const char *server_pubkey_file;
    /* Pinned first state: used when the state file has no state for the
     * database; the first verified call must then prove consistency from
     * it. pin_tx 0 = no pin. */
    uint64_t pin_tx;
    uint8_t pin_hash[SEAL_HASH_LEN];
    seal_client_notice_fn notice;
    void *notice_arg;
} seal_client_opts;

/* Fills |o| with the defaults. */
SEAL_API void seal_client_opts_default(seal_client_opts *o);

/* Connects (TCP, TLS handshake). Copies what it needs from |o|. Loads the
 * public key when configured (SEAL_EINVAL / SEAL_ENOTALLOWED if unusable).
 * Errors: SEAL_EIO, SEAL_ETIMEOUT, SEAL_EPROTOCOL (TLS without h2),
 * SEAL_EINVAL, SEAL_ENOMEM. On an error, |*out| is still set when a client
 * object could be made (so that seal_client_last_error can be read; close
 * it) and NULL otherwise. */
SEAL_API int seal_client_connect(const seal_client_opts *o, seal_client **out);
/* Closes the connection and frees |c|. Does not log out. NULL is a no-op. */
SEAL_API void seal_client_close(seal_client *c);

/* Detail of the last failure on |c| ("" if none). Owned by |c|, valid until
 * the next call on |c|. */
SEAL_API const char *seal_client_last_error(const seal_client *c);
/* gRPC status code of the last call (0 OK; -1 if no status was received). */
SEAL_API int seal_client_last_status(const seal_client *c);
/* The database the client works on (owned by |c|). */
SEAL_API const char *seal_client_database(const seal_client *c);

/* ------------------------------------------------------ authentication */
/* Login: the returned token is sent as "authorization: Bearer <token>" on
 * every later call. |warning| (may be NULL) receives the server's warning
 * (seal_free; NULL when none). Selects "defaultdb". SEAL_EAUTH. */
SEAL_API int seal_client_login(seal_client *c, const char *user, const char *password,
                               char **warning);
/* Logout; forgets the token (also when the server refuses). */
SEAL_API int seal_client_logout(seal_client *c);
/* Selects |db| and swaps in the token the server returns. */
SEAL_API int seal_client_use_database(seal_client *c, const char *db);
/* Opens a session (the "sessionid" header goes on every later call) on
 * |db| (NULL = defaultdb). The server UUID it returns is kept. */
SEAL_API int seal_client_open_session(seal_client *c, const char *user, const char *password,
                                      const char *db);
SEAL_API int seal_client_close_session(seal_client *c);
SEAL_API int seal_client_keep_alive(seal_client *c);
/* The Login / UseDatabase token in use ("" if none; owned by |c|, valid
 * until the next call on |c|). A program that keeps a login across runs
 * stores it (privately: it is a credential). */
SEAL_API const char *seal_client_token(const seal_client *c);
/* Resumes a login: |token| is sent as "authorization: Bearer <token>" on
 * later calls, and |db| (NULL = unchanged) becomes the current database (the
 * one the token was issued for). No call is made. SEAL_EINVAL, SEAL_ENOMEM. */
SEAL_API int seal_client_set_token(seal_client *c, const char *token, const char *db);

/* --------------------------------------------------------- server info */
typedef struct seal_health {
    int status;
    char version[64];
    char server_uuid[128]; /* the immudb-uuid response header ("" if none) */
} seal_health;
/* Health; also records the server UUID for the trusted state. */
SEAL_API int seal_client_health(seal_client *c, seal_health *out);

typedef struct seal_server_info {
    char version[64];
    int64_t started_at;
    int64_t num_transactions;
    int32_t num_databases;
    int64_t databases_disk_size;
} seal_server_info;
SEAL_API int seal_client_server_info(seal_client *c, seal_server_info *out);

/* The server's FIPS module status, which SealDB reports in sealdb-fips-*
 * response headers of ServerInfo (docs/server.md); immudb sends none. */
typedef struct seal_server_fips {
    int reported;         /* the server sent at least one sealdb-fips-* header */
    char status[16];      /* "active" (provider in force, self-tests passed) or "inactive" */
    char module[128];     /* e.g. "OpenSSL FIPS Provider 3.0.22" */
    char validation[192]; /* the validation statement */
    char selftest[16];    /* "passed" / "failed" */
} seal_server_fips;
/* ServerInfo, with the FIPS headers in |out|; |info| (may be NULL) gets the
 * ServerInfo answer too. */
SEAL_API int seal_client_server_fips(seal_client *c, seal_server_info *info, seal_server_fips *out);

/* A database state (ImmutableState). */
typedef struct seal_dbstate {
    char db[256];
    uint64_t tx_id;
    uint8_t tx_hash[SEAL_HASH_LEN];
    int has_signature;
    uint8_t signature[80];
    size_t signature_len;
    uint8_t public_key[65]; /* as sent by the server (not used to verify) */
    size_t public_key_len;
} seal_dbstate;
/* The server's current state. With a public key configured, the signature
 * is verified (SEAL_EVERIFY if missing or wrong). Does not touch the
 * trusted state. */
SEAL_API int seal_client_current_state(seal_client *c, seal_dbstate *out);
/* The stored trusted state of the current database. SEAL_ENOTFOUND if there
 * is none yet. (Needs the server UUID: calls Health once if unknown.) */
SEAL_API int seal_client_trusted_state(seal_client *c, seal_dbstate *out);
/* Path of the state file (after the server UUID is known), or "". */
SEAL_API const char *seal_client_state_path(const seal_client *c);

/* ------------------------------------------------------------ KV types */
/* A Reference (the key that pointed at the returned entry). */
typedef struct seal_kvref {
    uint64_t tx;
    uint8_t *key;
    size_t key_len;
    uint64_t at_tx;
    int has_md;
    seal_kvmd md;
    uint64_t revision;
} seal_kvref;

/* An Entry. Keys and values as the user sees them (no prefixes). */
typedef struct seal_kventry {
    uint64_t tx;
    uint8_t *key;
    size_t key_len;
    uint8_t *value;
    size_t value_len;
    int has_md;
    seal_kvmd md;
    int expired;
    uint64_t revision;
    int has_ref; /* the key asked for was a reference: see ref */
    seal_kvref ref;
} seal_kventry;
SEAL_API void seal_kventry_clear(seal_kventry *e);
SEAL_API void seal_kventries_free(seal_kventry *e, size_t n);

/* A sorted-set member (ZEntry). */
typedef struct seal_zentry {
    uint8_t *set;
    size_t set_len;
    uint8_t *key;
    size_t key_len;
    double score;
    uint64_t at_tx;
    int has_entry;
    seal_kventry entry;
} seal_zentry;
SEAL_API void seal_zentries_free(seal_zentry *z, size_t n);

/* A tx as returned by TxById / TxScan / VerifiedTxById. Entry keys are
 * given without their first (database-layer prefix) byte, as immudb's Go
 * client does; hval and vlen are as the server sent them. */
typedef struct seal_rtx_entry {
    uint8_t *key;
    size_t key_len;
    uint8_t hval[SEAL_HASH_LEN];
    uint32_t vlen;
    int has_md;
    seal_kvmd md;
    uint8_t *value; /* when the server sent one */
    size_t value_len;
} seal_rtx_entry;
typedef struct seal_rtx {
    seal_txhdr hdr; /* hdr.alh is computed from the fields */
    size_t n;
    seal_rtx_entry *entries;
} seal_rtx;
SEAL_API void seal_rtx_clear(seal_rtx *t);
SEAL_API void seal_rtxs_free(seal_rtx *t, size_t n);

/* Preconditions of Set / ExecAll (immudb's). */
typedef enum seal_precond_kind {
    SEAL_PRE_MUST_EXIST = 1,
    SEAL_PRE_MUST_NOT_EXIST = 2,
    SEAL_PRE_NOT_MODIFIED_AFTER = 3,
} seal_precond_kind;
typedef struct seal_precond {
    seal_precond_kind kind;
    const void *key;
    size_t key_len;
    uint64_t tx; /* NOT_MODIFIED_AFTER only */
} seal_precond;

typedef struct seal_write_opts {
    const seal_kvmd *md; /* Set only: expires_at / non_indexable (NULL = none) */
    const seal_precond *pre;
    size_t npre;
    int no_wait; /* do not wait for the index */
} seal_write_opts;

typedef struct seal_read_opts {
    uint64_t at_tx;      /* the version written by this tx */
    uint64_t since_tx;   /* wait until the index covers this tx */
    int64_t at_revision; /* > 0 that revision; < 0 relative to the latest */
    int no_wait;
} seal_read_opts;

/* A plain byte string (input). */
typedef struct seal_bytes {
    const void *p;
    size_t n;
} seal_bytes;

/* --------------------------------------------------------- KV and tx calls */
/* Set one key. |o| may be NULL. Fills |out| (may be NULL) with the header
 * the server returned (not verified: use seal_client_verified_set for
 * that). SEAL_EPRECONDITION when a precondition failed. */
SEAL_API int seal_client_set(seal_client *c, const void *key, size_t key_len, const void *value,
                             size_t value_len, const seal_write_opts *o, seal_txhdr *out);
/* Get. |o| may be NULL. SEAL_ENOTFOUND. |out|: seal_kventry_clear. */
SEAL_API int seal_client_get(seal_client *c, const void *key, size_t key_len,
                             const seal_read_opts *o, seal_kventry *out);
/* GetAll: the entries found (missing keys are skipped by the server).
 * *out (seal_kventries_free) may be NULL when *n is 0. */
SEAL_API int seal_client_get_all(seal_client *c, const seal_bytes *keys, size_t nkeys,
                                 uint64_t since_tx, seal_kventry **out, size_t *n);
/* Delete keys (logical delete). */
SEAL_API int seal_client_delete(seal_client *c, const seal_bytes *keys, size_t nkeys,
                                uint64_t since_tx, int no_wait, seal_txhdr *out);

/* ExecAll operations. */
typedef enum seal_op_kind { SEAL_OP_KV = 1, SEAL_OP_ZADD = 2, SEAL_OP_REF = 3 } seal_op_kind;
typedef struct seal_op {
    seal_op_kind kind;
    const void *key; /* KV, REF: the key; ZADD: the member key */
    size_t key_len;
    const void *value; /* KV: the value; REF: the referenced key */
    size_t value_len;
    const seal_kvmd *md; /* KV only */
    const void *set;     /* ZADD: the set */
    size_t set_len;
    double score;   /* ZADD */
    uint64_t at_tx; /* ZADD, REF */
    int bound_ref;  /* ZADD, REF */
} seal_op;
SEAL_API int seal_client_exec_all(seal_client *c, const seal_op *ops, size_t nops,
                                  const seal_precond *pre, size_t npre, int no_wait,
                                  seal_txhdr *out);

typedef struct seal_scan_req {
    const void *seek_key;
    size_t seek_len;
    const void *end_key;
    size_t end_len;
    const void *prefix;
    size_t prefix_len;
    int desc;
    uint64_t limit;
    uint64_t offset;
    uint64_t since_tx;
    int no_wait;
    int inclusive_seek;
    int inclusive_end;
} seal_scan_req;
/* Scan: keys in order from |seek_key| (or the first under |prefix|) up to
 * |end_key|; |limit| 0 = server default. *out (seal_kventries_free, may be
 * NULL when *n is 0) and *n are written only on success; the usual errors
 * (SEAL_EINVAL without a request, server statuses as above). */
SEAL_API int seal_client_scan(seal_client *c, const seal_scan_req *r, seal_kventry **out,
                              size_t *n);
/* Count of keys under |prefix| (servers may answer UNIMPLEMENTED). */
SEAL_API int seal_client_count(seal_client *c, const void *prefix, size_t prefix_len,
                               uint64_t *out);
/* CountAll: the number of keys of the current database (what Count gives
 * without a prefix; servers may answer UNIMPLEMENTED: SEAL_EUNSUPPORTED). */
SEAL_API int seal_client_count_all(seal_client *c, uint64_t *out);
/* History of a key. |limit| 0 = server default. *out (seal_kventries_free,
 * may be NULL when *n is 0); SEAL_ENOTFOUND when the key has no version. */
SEAL_API int seal_client_history(seal_client *c, const void *key, size_t key_len, uint64_t offset,
                                 int32_t limit, int desc, uint64_t since_tx, seal_kventry **out,
                                 size_t *n);
/* SetReference key -> referenced key; |at_tx| 0 = unbound (latest). */
SEAL_API int seal_client_set_reference(seal_client *c, const void *key, size_t key_len,
                                       const void *ref_key, size_t ref_len, uint64_t at_tx,
                                       seal_txhdr *out);
/* ZAdd; |at_tx| > 0 binds the member to the key's value at that tx. */
SEAL_API int seal_client_zadd(seal_client *c, const void *set, size_t set_len, double score,
                              const void *key, size_t key_len, uint64_t at_tx, seal_txhdr *out);

typedef struct seal_zscan_req {
    const void *set;
    size_t set_len;
    const void *seek_key;
    size_t seek_len;
    double seek_score;
    uint64_t seek_at_tx;
    int inclusive_seek;
    uint64_t limit;
    uint64_t offset;
    int desc;
    int has_min_score;
    double min_score;
    int has_max_score;
    double max_score;
    uint64_t since_tx;
    int no_wait;
} seal_zscan_req;
/* ZScan: members of |set| by score. *out (seal_zentries_free, may be NULL
 * when *n is 0) and *n are written only on success. */
SEAL_API int seal_client_zscan(seal_client *c, const seal_zscan_req *r, seal_zentry **out,
                               size_t *n);

/* TxById (raw entries, not verified). |out|: seal_rtx_clear. */
SEAL_API int seal_client_tx_by_id(seal_client *c, uint64_t tx, seal_rtx *out);
/* TxScan from |initial_tx|, at most |limit| txs (0 = server default).
 * *out (seal_rtxs_free, may be NULL when *n is 0). */
SEAL_API int seal_client_tx_scan(seal_client *c, uint64_t initial_tx, uint32_t limit, int desc,
                                 seal_rtx **out, size_t *n);

/* --------------------------------------------------------------- streams */
/* immudb's stream protocol for large values (streamSet / streamGet): each
 * key and each value is one message, u64 big-endian length then the bytes,
 * carried in the content of Chunk messages of at most |chunk_size| bytes
 * (the first chunk of a message starts with the length; 0 = 64 KiB). */
/* streamSet of |n| key/value pairs in one tx. |out| (may be NULL): the tx
 * header the server returned (not verified). */
SEAL_API int seal_client_stream_set(seal_client *c, const seal_bytes *keys,
                                    const seal_bytes *values, size_t n, size_t chunk_size,
                                    seal_txhdr *out);
/* streamGet: fills out->key and out->value only (the stream carries no tx
 * or metadata). |o| may be NULL. SEAL_ENOTFOUND, SEAL_EPROTOCOL (a malformed
 * or truncated stream). */
SEAL_API int seal_client_stream_get(seal_client *c, const void *key, size_t key_len,
                                    const seal_read_opts *o, seal_kventry *out);

/* streamScan / streamHistory: the same request and the same keys and values
 * in the same order as seal_client_scan / seal_client_history, but each
 * entry carries only key and value (the stream has no tx, metadata or
 * revision). *out (seal_kventries_free, may be NULL when *n is 0) and *n are
 * written only on success. SEAL_EPROTOCOL for a malformed stream. */
SEAL_API int seal_client_stream_scan(seal_client *c, const seal_scan_req *r, seal_kventry **out,
                                     size_t *n);
SEAL_API int seal_client_stream_history(seal_client *c, const void *key, size_t key_len,
                                        uint64_t offset, int32_t limit, int desc, uint64_t since_tx,
                                        seal_kventry **out, size_t *n);
/* streamZScan: as seal_client_zscan; each member carries set, key, score,
 * at_tx and entry.key / entry.value (has_entry is 1; an empty value is what
 * the server sends for a member without entry). *out: seal_zentries_free. */
SEAL_API int seal_client_stream_zscan(seal_client *c, const seal_zscan_req *r, seal_zentry **out,
                                      size_t *n);
/* streamExecAll of SEAL_OP_KV and SEAL_OP_ZADD operations in one tx (no
 * preconditions, no metadata: SEAL_EINVAL when an op has md; SEAL_OP_REF is
 * refused with SEAL_EUNSUPPORTED, immudb's server does not implement it).
 * |chunk_size| as for seal_client_stream_set. |out| (may be NULL): the tx
 * header returned (not verified). */
SEAL_API int seal_client_stream_exec_all(seal_client *c, const seal_op *ops, size_t nops,
                                         size_t chunk_size, seal_txhdr *out);

/* ------------------------------------------------------- verified calls */
/* What a verified call proved. */
typedef struct seal_verify_info {
    seal_trust_origin origin; /* where the starting state came from */
    uint64_t source_tx;       /* the trusted state it started from */
    uint64_t target_tx;       /* the state saved afterwards */
    uint8_t target_hash[SEAL_HASH_LEN];
    int proof_checked;   /* 0 only when the starting state was tx 0 (empty db) */
    int advance_fetched; /* a missing linear advance proof was fetched */
} seal_verify_info;

/* Every verified call: locks the state file, reads the trusted state (or
 * takes the pin, or the server's CurrentState on first use), asks the
 * server for the proof from it, checks everything (formats spec 7.2-7.5:
 * entry digest and inclusion, recomputed Eh, dual proof, signature when a
 * public key is configured) and only then saves the new trusted state and
 * fills the outputs. SEAL_EVERIFY when a check fails: last_error names the
 * check, nothing is saved. |vi| may be NULL. */

/* VerifiableSet of one key (metadata and preconditions through |o|, may be
 * NULL). |out| (may be NULL): the verified tx header. */
SEAL_API int seal_client_verified_set(seal_client *c, const void *key, size_t key_len,
                                      const void *value, size_t value_len, const seal_write_opts *o,
                                      seal_txhdr *out, seal_verify_info *vi);
/* VerifiableGet (|o| selects at_tx / since_tx / at_revision, may be NULL).
 * When the key is a reference, the reference entry is what is proven (as in
 * immudb); the referenced value is returned as the server sent it. */
SEAL_API int seal_client_verified_get(seal_client *c, const void *key, size_t key_len,
                                      const seal_read_opts *o, seal_kventry *out,
                                      seal_verify_info *vi);
/* VerifiableTxById. Besides the dual proof, the returned header must be the
 * proven one and the returned entries must rebuild its Eh. */
SEAL_API int seal_client_verified_tx_by_id(seal_client *c, uint64_t tx, seal_rtx *out,
                                           seal_verify_info *vi);
SEAL_API int seal_client_verified_set_reference(seal_client *c, const void *key, size_t key_len,
                                                const void *ref_key, size_t ref_len, uint64_t at_tx,
                                                seal_txhdr *out, seal_verify_info *vi);
/* VerifiableZAdd. As immudb's Go client, boundRef is not sent, so servers
 * refuse at_tx > 0. */
SEAL_API int seal_client_verified_zadd(seal_client *c, const void *set, size_t set_len,
                                       double score, const void *key, size_t key_len,
                                       uint64_t at_tx, seal_txhdr *out, seal_verify_info *vi);

/* streamVerifiableSet of one key and value (no metadata, no preconditions),
 * sent as stream messages of |chunk_size| (0 = 64 KiB) so that large values
 * pass; verified exactly as seal_client_verified_set (the same code). */
SEAL_API int seal_client_stream_verified_set(seal_client *c, const void *key, size_t key_len,
                                             const void *value, size_t value_len, size_t chunk_size,
                                             seal_txhdr *out, seal_verify_info *vi);
/* streamVerifiableGet, verified exactly as seal_client_verified_get (the
 * same code). The stream carries the entry without its metadata (as
 * immudb's), so an entry with metadata (expiry, non-indexable) in a v1 tx
 * fails with SEAL_EVERIFY, as with immudb's Go client; use
 * seal_client_verified_get for those. |out| carries tx, key, value and the
 * reference when the key was one. */
SEAL_API int seal_client_stream_verified_get(seal_client *c, const void *key, size_t key_len,
                                             const seal_read_opts *o, seal_kventry *out,
                                             seal_verify_info *vi);

/* Consistency of the server with the trusted state. */
typedef struct seal_consistency {
    seal_trust_origin origin; /* STORED or PINNED; FIRST_USE after an audit
                                 step that adopted the server's state */
    uint64_t trusted_tx;
    uint8_t trusted_hash[SEAL_HASH_LEN];
    seal_dbstate server; /* the server's CurrentState */
    int advanced;        /* audit step: the trusted state moved forward */
} seal_consistency;
/* Checks that the server's current state extends the trusted one: a server
 * whose tx is below the trusted tx has rewound, one with the same tx and
 * another hash or whose dual proof fails has forked (SEAL_EVERIFY with the
 * reason in last_error). Does not move the trusted state. SEAL_ENOTFOUND
 * when there is no trusted state and no pin. |out| may be NULL; on
 * SEAL_EVERIFY it is still filled (what was compared). */
SEAL_API int seal_client_check_consistency(seal_client *c, seal_consistency *out);
/* One audit step: the same check, then the trusted state moves to the
 * server's state. Without a trusted state (and no pin), the server's state is
 * trusted on first use (out->origin = FIRST_USE, notice sent). */
SEAL_API int seal_client_audit_step(seal_client *c, seal_consistency *out);

/* ------------------------------------------------------ database admin */
/* Database settings (DatabaseNullableSettings): a field is sent / was
 * received when its bit is set in |set|. */
enum {
    SEAL_DBS_FILE_SIZE = 1u << 0,
    SEAL_DBS_MAX_KEY_LEN = 1u << 1,
    SEAL_DBS_MAX_VALUE_LEN = 1u << 2,
    SEAL_DBS_MAX_TX_ENTRIES = 1u << 3,
    SEAL_DBS_EXCLUDE_COMMIT_TIME = 1u << 4,
    SEAL_DBS_MAX_CONCURRENCY = 1u << 5,
    SEAL_DBS_WRITE_TX_HEADER_VERSION = 1u << 6,
    SEAL_DBS_AUTOLOAD = 1u << 7,
    SEAL_DBS_SYNC_FREQUENCY_MS = 1u << 8,
    SEAL_DBS_REPLICA = 1u << 9,
    SEAL_DBS_EMBEDDED_VALUES = 1u << 10,
    SEAL_DBS_PREALLOC_FILES = 1u << 11,
};
typedef struct seal_db_settings {
    uint32_t set;
    uint32_t file_size;
    uint32_t max_key_len;
    uint32_t max_value_len;
    uint32_t max_tx_entries;
    int exclude_commit_time;
    uint32_t max_concurrency;
    uint32_t write_tx_header_version;
    int autoload;
    int64_t sync_frequency_ms;
    int replica;
    int embedded_values;
    int prealloc_files;
} seal_db_settings;

/* CreateDatabaseV2. |s| may be NULL. |already_existed| (may be NULL) is set
 * when |if_not_exists| and the database was there. |out| (may be NULL): the
 * settings in force as answered. */
SEAL_API int seal_client_create_database(seal_client *c, const char *name,
                                         const seal_db_settings *s, int if_not_exists,
                                         int *already_existed, seal_db_settings *out);
typedef struct seal_db_info {
    char *name;
    seal_db_settings settings;
    int loaded;
    uint64_t disk_size;
    uint64_t num_transactions;
    uint64_t created_at;
    char *created_by;
} seal_db_info;
/* Frees |n| entries and the array; NULL is accepted. */
SEAL_API void seal_db_infos_free(seal_db_info *d, size_t n);
/* DatabaseListV2. *out (seal_db_infos_free) may be NULL when *n is 0. */
SEAL_API int seal_client_database_list(seal_client *c, seal_db_info **out, size_t *n);
/* Load/Unload/DeleteDatabase: 0, SEAL_EINVAL for a missing or invalid
 * |name|, or the server's refusal (not found, reserved name, permission) as above. */
SEAL_API int seal_client_load_database(seal_client *c, const char *name);
SEAL_API int seal_client_unload_database(seal_client *c, const char *name);
SEAL_API int seal_client_delete_database(seal_client *c, const char *name);
/* UpdateDatabaseV2; |out| (may be NULL): the settings answered. */
SEAL_API int seal_client_update_database(seal_client *c, const char *name,
                                         const seal_db_settings *s, seal_db_settings *out);
/* DatabaseHealth of the current database. */
typedef struct seal_db_health {
    uint32_t pending_requests;         /* calls in progress on it, not counting this one */
    int64_t last_request_completed_at; /* when the last call on it ended (Unix ms; 0 none) */
} seal_db_health;
SEAL_API int seal_client_database_health(seal_client *c, seal_db_health *out);
/* GetDatabaseSettingsV2 of the current database; |name| (may be NULL) gets
 * its name (seal_free). */
SEAL_API int seal_client_database_settings(seal_client *c, char **name, seal_db_settings *out);

/* ---------------------------------------------------------- user admin */
/* immudb permissions: 0 none, 1 read, 2 read-write, 254 admin, 255 sysadmin. */
typedef struct seal_user_perm {
    char *database;
    uint32_t permission;
} seal_user_perm;
typedef struct seal_user {
    char *user;
    seal_user_perm *perms;
    size_t nperms;
    char *created_by;
    char *created_at;
    int active;
} seal_user;
/* Frees |n| users, their strings and permissions, and the array; NULL is
 * accepted. */
SEAL_API void seal_users_free(seal_user *u, size_t n);
/* User administration (CreateUser, ChangePassword, ChangePermission,
 * SetActiveUser): 0, SEAL_EINVAL for a missing argument, or the server's
 * refusal with its message in seal_client_last_error() (SEAL_EPERM,
 * SEAL_EINVAL for a weak password, SEAL_EEXISTS ...). Passwords are only
 * read during the call. */
SEAL_API int seal_client_create_user(seal_client *c, const char *user, const char *password,
                                     uint32_t permission, const char *database);
SEAL_API int seal_client_change_password(seal_client *c, const char *user, const char *old_password,
                                         const char *new_password);
/* |grant| 1 = GRANT, 0 = REVOKE. */
SEAL_API int seal_client_change_permission(seal_client *c, int grant, const char *user,
                                           const char *database, uint32_t permission);
SEAL_API int seal_client_set_active_user(seal_client *c, const char *user, int active);
/* ListUsers. *out (seal_users_free, may be NULL when *n is 0) and *n are
 * written only on success. */
SEAL_API int seal_client_list_users(seal_client *c, seal_user **out, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
