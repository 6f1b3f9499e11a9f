/* sc_internal.h - internals of libsealclient shared by its source files:
 * the client object, the unary call helper over the gRPC transport, the
 * trusted state file and the conversions between protobuf-c messages and
 * the public structs / the mtree verifier structs. */
#ifndef SEAL_SC_INTERNAL_H
#define SEAL_SC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "client/grpc_client.h"
#include "common/common.h"
#include "crypto/cry.h"
#include "mtree/mtree.h"
#include "schema.pb-c.h"
#include "seal/seal_client.h"

#define SC_SERVICE    "/immudb.schema.ImmuService/"
#define SC_DEFAULT_DB "defaultdb"

struct seal_client {
    gc_conn *conn;
    cry_tls_ctx *tls;
    char *host;
    int port;
    int timeout_ms;
    char *db;
    char *token;      /* Login / UseDatabase token */
    char *session_id; /* OpenSession */
    char server_uuid[128];
    char *state_dir;
    char state_path[4096];
    cry_key *pubkey; /* NULL: signatures are not checked */
    uint64_t pin_tx;
    uint8_t pin_hash[MT_HASH_LEN];
    seal_client_notice_fn notice;
    void *notice_arg;
    int last_status;
    char err[1024];
};

/* Records the error detail (printf) and returns |rc|. */
int sc_fail(seal_client *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Clears the last error at the start of a public call. */
void sc_begin(seal_client *c);
void sc_notice(seal_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One unary ImmuService call: packs |req| (NULL = Empty), sends the auth
 * metadata, unpacks the response with |resp_desc| into *resp (free with
 * protobuf_c_message_free_unpacked(*resp, &sc_pb_alloc)). |hdrs| (may be
 * NULL) receives the response headers (gw_md_free). Maps the status to a
 * SEAL_E* code with the detail in c->err. */
int sc_call(seal_client *c, const char *method, const ProtobufCMessage *req,
            const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp, gw_md *hdrs);
extern ProtobufCAllocator sc_pb_alloc;
/* The authorization / sessionid metadata of |c| appended to |md|. */
int sc_auth_md(seal_client *c, gw_md *md);
/* Reconnects when the connection is gone. */
int sc_ensure_conn(seal_client *c);
/* Maps a call status to 0 or a SEAL_E* code (detail in c->err). */
int sc_status_rc(seal_client *c, const char *method, const gc_status *st);
void sc_msg_free(void *m);

/* Makes sure the server UUID is known (Health once) and the state path set. */
int sc_ensure_uuid(seal_client *c);

/* ----------------------------------------------------------- state file */
typedef struct sc_state {
    uint64_t tx;
    mt_hash hash;
    bool has_sig;
    uint8_t sig[80];
    size_t sig_len;
    uint8_t pub[65];
    size_t pub_len;
} sc_state;

/* An exclusive lock on the state file of (uuid) plus its contents. */
typedef struct sc_lock {
    int fd;
    char *content; /* the file as read (NUL-terminated), "" if absent */
    size_t len;
    bool existed;
} sc_lock;
int sc_state_lock(seal_client *c, sc_lock *lk);
void sc_state_unlock(sc_lock *lk);
/* The state of c->db in the locked file: 0, SEAL_ENOTFOUND, SEAL_ECORRUPT. */
int sc_state_get(seal_client *c, const sc_lock *lk, sc_state *out);
/* Replaces the line of c->db (atomically: temp file, fsync, rename, fsync dir). */
int sc_state_put(seal_client *c, sc_lock *lk, const sc_state *st);

/* Base64 (standard alphabet, padded). */
char *sc_b64_encode(const uint8_t *p, size_t n);
int sc_b64_decode(const char *s, size_t n, uint8_t **out, size_t *out_len);

/* ---------------------------------------------------------- conversions */
void sc_kvmd_from_pb(const Immudb__Schema__KVMetadata *m, int *has, seal_kvmd *out);
/* mdBytes of a KVMetadata message as KVMetadataFromProto + Bytes() give. */
size_t sc_kvmd_bytes_pb(const Immudb__Schema__KVMetadata *m, uint8_t out[MT_MAX_KVMD_LEN]);
/* TxHeader message -> mtree header (TxMetadataFromProto rules). */
void sc_hdr_from_pb(const Immudb__Schema__TxHeader *h, mt_txhdr *out);
void sc_hdr_to_public(const mt_txhdr *h, seal_txhdr *out);
int sc_entry_from_pb(const Immudb__Schema__Entry *e, seal_kventry *out);
int sc_rtx_from_pb(const Immudb__Schema__Tx *t, seal_rtx *out);
int sc_zentry_from_pb(const Immudb__Schema__ZEntry *z, seal_zentry *out);
int sc_state_from_pb(const Immudb__Schema__ImmutableState *s, seal_dbstate *out);
int sc_settings_from_pb(const Immudb__Schema__DatabaseNullableSettings *s, seal_db_settings *out);

/* Precondition messages for a request: *out points into *mem (seal_free).
 * SEAL_EINVAL for an empty key or unknown kind, SEAL_ELIMIT, SEAL_ENOMEM. */
int sc_build_preconds(const seal_precond *pre, size_t npre, Immudb__Schema__Precondition ***out,
                      void **mem);
/* The sorted-set member key of spec 7.1 (NULL |out|: just the length). */
size_t sc_zkey(uint8_t *out, const void *set, size_t set_len, double score, const void *key,
               size_t key_len, uint64_t at_tx);

/* Request messages shared by the unary calls and the streams (sc_kv.c);
 * the messages point into the caller's buffers. */
void sc_scan_req_pb(const seal_scan_req *q, Immudb__Schema__ScanRequest *r);
void sc_history_req_pb(const void *key, size_t key_len, uint64_t offset, int32_t limit, int desc,
                       uint64_t since_tx, Immudb__Schema__HistoryRequest *r);
void sc_zscan_req_pb(const seal_zscan_req *q, Immudb__Schema__ZScanRequest *r,
                     Immudb__Schema__Score *mins, Immudb__Schema__Score *maxs);

/* ------------------------------------------------ shared verification */
/* Obtains the answer of a VerifiableSet-like call proving from |since|;
 * the answer stays owned by the caller (through |arg|). */
typedef int (*sc_vset_fetch_fn)(seal_client *c, void *arg, uint64_t since,
                                const Immudb__Schema__VerifiableTx **vt);
/* VerifiedSet's verification of one key/value written (sc_verify.c), used by
 * the unary call and by the stream: trusted-state session, |fetch|, metadata
 * equal to |want_md|, entry inclusion, Eh, dual proof, signature, save. */
int sc_verified_set_with(seal_client *c, const char *what, const void *key, size_t key_len,
                         const void *value, size_t value_len, const uint8_t *want_md,
                         size_t want_md_len, sc_vset_fetch_fn fetch, void *arg, seal_txhdr *out,
                         seal_verify_info *vi);
typedef int (*sc_vget_fetch_fn)(seal_client *c, void *arg, uint64_t since,
                                const Immudb__Schema__VerifiableEntry **ve);
/* VerifiedGet's verification (sc_verify.c), for the unary call and the
 * stream. |at_tx| is the tx asked for (0 = latest). */
int sc_verified_get_with(seal_client *c, const char *what, const void *key, size_t key_len,
                         uint64_t at_tx, sc_vget_fetch_fn fetch, void *arg, seal_kventry *out,
                         seal_verify_info *vi);

#endif
