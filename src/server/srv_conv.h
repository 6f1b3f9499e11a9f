/* srv_conv.h - conversions between immudb's protobuf messages (protobuf-c,
 * proto/schema.proto) and the database layer's types (db/database.h), with
 * the rules of immudb's pkg/api/schema/database_protoconv.go:
 *
 *   - optional sub-messages are set only when there is something to say:
 *     KVMetadata only for an entry that has metadata (never an empty one:
 *     immudb-node cannot parse TxEntry.metadata of an empty message),
 *     Expiration only when the entry expires, TxMetadata only when the
 *     header has metadata, LinearAdvanceProof only when the proof has one,
 *     Signature only when the answer is signed;
 *   - digests are always 32 bytes (prevAlh, eH, blRoot, targetBlTxAlh,
 *     hValue, proof terms);
 *   - Tx entries keep the stored key with its prefix; Entry/ZEntry keys and
 *     values are the user's (the database layer already strips them).
 *
 * Outbound messages are built in a conv_arena: every message and array
 * comes from it and is released at once by conv_arena_free. Byte fields are
 * NOT copied: they point into the database-layer result they came from,
 * which must outlive the message (send it, then free both). Inbound
 * conversions likewise borrow from the decoded request. */
#ifndef SEAL_SRV_CONV_H
#define SEAL_SRV_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/database.h"
#include "schema.pb-c.h"

/* A bump allocator. Zero it (or CONV_ARENA_INIT) before use. */
typedef struct conv_block conv_block;
typedef struct conv_arena {
    conv_block *head;
    uint8_t *cur;
    size_t left;
    bool oom; /* an allocation failed: the messages built are incomplete */
} conv_arena;
#define CONV_ARENA_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, 0, false                                                                       \
    }

/* n zeroed bytes aligned for any message, or NULL (and a->oom) when out of
 * memory. */
void *conv_alloc(conv_arena *a, size_t n);
void conv_arena_free(conv_arena *a);

/* ------------------------------------------------------ database -> proto */
/* Each returns NULL when out of memory (a->oom set) unless said otherwise. */
Immudb__Schema__TxHeader *conv_txhdr(conv_arena *a, const seal_txhdr *h);
/* NULL (not an error) when !has. */
Immudb__Schema__KVMetadata *conv_kvmd(conv_arena *a, const seal_kvmd *md, bool has);
Immudb__Schema__TxEntry *conv_txentry(conv_arena *a, const sdb_txentry *e);
Immudb__Schema__Entry *conv_entry(conv_arena *a, const sdb_entry *e);
Immudb__Schema__ZEntry *conv_zentry(conv_arena *a, const sdb_zentry *z);
Immudb__Schema__Tx *conv_tx(conv_arena *a, const sdb_tx *t);
Immudb__Schema__DualProof *conv_dual_proof(conv_arena *a, const seal_dual_proof *p);
Immudb__Schema__InclusionProof *conv_inclusion(conv_arena *a, const seal_entry_proof *p);
/* NULL (not an error) when the signature is absent. */
Immudb__Schema__Signature *conv_sig(conv_arena *a, const sdb_sig *s);
Immudb__Schema__VerifiableTx *conv_vtx(conv_arena *a, const sdb_vtx *v);
Immudb__Schema__VerifiableEntry *conv_ventry(conv_arena *a, const sdb_ventry *v);
Immudb__Schema__Entries *conv_entries(conv_arena *a, const sdb_entry *e, size_t n);
Immudb__Schema__ZEntries *conv_zentries(conv_arena *a, const sdb_zentry *z, size_t n);

/* ------------------------------------------------------ proto -> database */
/* KVMetadata -> seal_kvmd (immudb's KVMetadataFromProto): returns |out|
 * filled, or NULL when the message is absent. */
const seal_kvmd *conv_kvmd_in(const Immudb__Schema__KVMetadata *m, seal_kvmd *out);
/* Preconditions; an unset oneof becomes kind 0 (the database layer answers
 * "invalid precondition: null"). *out NULL when n == 0. 0 or SEAL_ENOMEM. */
int conv_preconds_in(conv_arena *a, Immudb__Schema__Precondition *const *p, size_t n,
                     sdb_precond **out);
/* KeyValues -> sdb_kv (with their metadata). 0 or SEAL_ENOMEM. */
int conv_kvs_in(conv_arena *a, Immudb__Schema__KeyValue *const *kvs, size_t n, sdb_kv **out);
/* EntriesSpec -> |out|, or NULL when absent. A missing per-kind spec is
 * EXCLUDE; an action immudb does not know is treated as RESOLVE, as its
 * switch does. */
const sdb_entries_spec *conv_spec_in(const Immudb__Schema__EntriesSpec *s, sdb_entries_spec *out);
/* Operations of ExecAll. 0 or SEAL_ENOMEM. */
int conv_ops_in(conv_arena *a, Immudb__Schema__Op *const *ops, size_t n, sdb_op **out);

#endif
