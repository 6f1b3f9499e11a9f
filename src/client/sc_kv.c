/* sc_kv.c - the plain (unverified) key/value and tx calls of libsealclient:
 * Set (metadata, preconditions), Get (atTx, sinceTx, atRevision, noWait),
 * GetAll, Delete, ExecAll, Scan, Count, History, SetReference, ZAdd, ZScan,
 * TxById and TxScan. Requests are built on the stack where possible; results
 * are copied into the public structs. */
#include <stdio.h>

#include "client/sc_internal.h"

#define BIN(p, n) ((ProtobufCBinaryData){.len = (n), .data = (uint8_t *)(uintptr_t)(p)})

/* -------------------------------------------------------- preconditions */
int sc_build_preconds(const seal_precond *pre, size_t npre, Immudb__Schema__Precondition ***out,
                      void **mem)
{
    if (npre > 4096)
        return SEAL_ELIMIT;
    size_t sz =
        npre * (sizeof(Immudb__Schema__Precondition *) + sizeof(Immudb__Schema__Precondition) +
                sizeof(Immudb__Schema__Precondition__KeyNotModifiedAfterTXPrecondition) +
                sizeof(Immudb__Schema__Precondition__KeyMustExistPrecondition) +
                sizeof(Immudb__Schema__Precondition__KeyMustNotExistPrecondition));
    uint8_t *m = seal_calloc(1, sz ? sz : 1);
    if (!m)
        return SEAL_ENOMEM;
    Immudb__Schema__Precondition **ptrs = (Immudb__Schema__Precondition **)(void *)m;
    Immudb__Schema__Precondition *ps =
        (Immudb__Schema__Precondition *)(void *)(m + npre * sizeof(*ptrs));
    Immudb__Schema__Precondition__KeyNotModifiedAfterTXPrecondition *nm =
        (Immudb__Schema__Precondition__KeyNotModifiedAfterTXPrecondition *)(void *)(ps + npre);
    Immudb__Schema__Precondition__KeyMustExistPrecondition *me =
        (Immudb__Schema__Precondition__KeyMustExistPrecondition *)(void *)(nm + npre);
    Immudb__Schema__Precondition__KeyMustNotExistPrecondition *mne =
        (Immudb__Schema__Precondition__KeyMustNotExistPrecondition *)(void *)(me + npre);
    for (size_t i = 0; i < npre; i++) {
        ptrs[i] = &ps[i];
        immudb__schema__precondition__init(&ps[i]);
        if (!pre[i].key || !pre[i].key_len) {
            seal_free(m);
            return SEAL_EINVAL;
        }
        switch (pre[i].kind) {
        case SEAL_PRE_MUST_EXIST:
            immudb__schema__precondition__key_must_exist_precondition__init(&me[i]);
            me[i].key = BIN(pre[i].key, pre[i].key_len);
            ps[i].precondition_case = IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_EXIST;
            ps[i].keymustexist = &me[i];
            break;
        case SEAL_PRE_MUST_NOT_EXIST:
            immudb__schema__precondition__key_must_not_exist_precondition__init(&mne[i]);
            mne[i].key = BIN(pre[i].key, pre[i].key_len);
            ps[i].precondition_case = IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_NOT_EXIST;
            ps[i].keymustnotexist = &mne[i];
            break;
        case SEAL_PRE_NOT_MODIFIED_AFTER:
            immudb__schema__precondition__key_not_modified_after_txprecondition__init(&nm[i]);
            nm[i].key = BIN(pre[i].key, pre[i].key_len);
            nm[i].txid = pre[i].tx;
            ps[i].precondition_case =
                IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_NOT_MODIFIED_AFTER_TX;
            ps[i].keynotmodifiedaftertx = &nm[i];
            break;
        default:
            seal_free(m);
            return SEAL_EINVAL;
        }
    }
    *out = ptrs;
    *mem = m;
    return 0;
}

static void md_to_pb(const seal_kvmd *in, Immudb__Schema__KVMetadata *md,
                     Immudb__Schema__Expiration *exp)
{
    immudb__schema__kvmetadata__init(md);
    immudb__schema__expiration__init(exp);
    md->deleted = in->deleted != 0;
    md->nonindexable = in->non_indexable != 0;
    if (in->has_expires) {
        exp->expiresat = in->expires_at;
        md->expiration = exp;
    }
}

/* A TxHeader answer: header into |out| (may be NULL). */
static int hdr_answer(seal_client *c, const char *method, const ProtobufCMessage *req,
                      uint32_t want_entries, seal_txhdr *out)
{
    Immudb__Schema__TxHeader *h = NULL;
    int rc = sc_call(c, method, req, &immudb__schema__tx_header__descriptor,
                     (ProtobufCMessage **)&h, NULL);
    if (rc)
        return rc;
    if (want_entries && (uint32_t)h->nentries != want_entries) {
        rc = sc_fail(c, SEAL_EPROTOCOL, "%s: the server's header counts %d entries, expected %u",
                     method, h->nentries, want_entries);
    } else if (out) {
        mt_txhdr m;
        sc_hdr_from_pb(h, &m);
        sc_hdr_to_public(&m, out);
    }
    sc_msg_free(h);
    return rc;
}

/* ------------------------------------------------------------------ Set */
int seal_client_set(seal_client *c, const void *key, size_t key_len, const void *value,
                    size_t value_len, const seal_write_opts *o, seal_txhdr *out)
{
    sc_begin(c);
    if (!key || !key_len || (value_len && !value))
        return sc_fail(c, SEAL_EINVAL, "set: empty key");
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__KVMetadata md;
    Immudb__Schema__Expiration exp;
    Immudb__Schema__SetRequest r;
    immudb__schema__set_request__init(&r);
    void *pmem = NULL;
    kv.key = BIN(key, key_len);
    kv.value = BIN(value, value_len);
    if (o && o->md) {
        if (o->md->deleted)
            return sc_fail(c, SEAL_EINVAL, "set: a set cannot carry the deleted attribute");
        md_to_pb(o->md, &md, &exp);
        kv.metadata = &md;
    }
    r.n_kvs = 1;
    r.kvs = kvs;
    if (o) {
        r.nowait = o->no_wait != 0;
        if (o->npre) {
            int rc = sc_build_preconds(o->pre, o->npre, &r.preconditions, &pmem);
            if (rc)
                return sc_fail(c, rc, "set: invalid precondition");
            r.n_preconditions = o->npre;
        }
    }
    int rc = hdr_answer(c, "Set", &r.base, 1, out);
    seal_free(pmem);
    return rc;
}

/* ------------------------------------------------------------------ Get */
int seal_client_get(seal_client *c, const void *key, size_t key_len, const seal_read_opts *o,
                    seal_kventry *out)
{
    sc_begin(c);
    if (!key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "get: empty key");
    Immudb__Schema__KeyRequest r;
    immudb__schema__key_request__init(&r);
    r.key = BIN(key, key_len);
    if (o) {
        r.attx = o->at_tx;
        r.sincetx = o->since_tx;
        r.nowait = o->no_wait != 0;
        r.atrevision = o->at_revision;
    }
    Immudb__Schema__Entry *e = NULL;
    int rc = sc_call(c, "Get", &r.base, &immudb__schema__entry__descriptor, (ProtobufCMessage **)&e,
                     NULL);
    if (rc)
        return rc;
    rc = sc_entry_from_pb(e, out);
    sc_msg_free(e);
    return rc;
}

static int entries_answer(seal_client *c, const Immudb__Schema__Entries *m, seal_kventry **out,
                          size_t *n)
{
    seal_kventry *a = NULL;
    if (m->n_entries) {
        a = seal_calloc(m->n_entries, sizeof(*a));
        if (!a)
            return SEAL_ENOMEM;
    }
    for (size_t i = 0; i < m->n_entries; i++) {
        int rc = sc_entry_from_pb(m->entries[i], &a[i]);
        if (rc) {
            seal_kventries_free(a, i);
            return rc;
        }
    }
    *out = a;
    *n = m->n_entries;
    return 0;
}

static int entries_call(seal_client *c, const char *method, const ProtobufCMessage *req,
                        seal_kventry **out, size_t *n)
{
    Immudb__Schema__Entries *m = NULL;
    int rc = sc_call(c, method, req, &immudb__schema__entries__descriptor, (ProtobufCMessage **)&m,
                     NULL);
    if (rc)
        return rc;
    rc = entries_answer(c, m, out, n);
    sc_msg_free(m);
    return rc;
}

static ProtobufCBinaryData *bin_list(const seal_bytes *keys, size_t n)
{
    ProtobufCBinaryData *b = seal_calloc(n ? n : 1, sizeof(*b));
    if (!b)
        return NULL;
    for (size_t i = 0; i < n; i++)
        b[i] = BIN(keys[i].p, keys[i].n);
    return b;
}

int seal_client_get_all(seal_client *c, const seal_bytes *keys, size_t nkeys, uint64_t since_tx,
                        seal_kventry **out, size_t *n)
{
    sc_begin(c);
    if (!nkeys || !keys)
        return sc_fail(c, SEAL_EINVAL, "get all: no keys");
    Immudb__Schema__KeyListRequest r;
    immudb__schema__key_list_request__init(&r);
    r.keys = bin_list(keys, nkeys);
    if (!r.keys)
        return SEAL_ENOMEM;
    r.n_keys = nkeys;
    r.sincetx = since_tx;
    int rc = entries_call(c, "GetAll", &r.base, out, n);
    seal_free(r.keys);
    return rc;
}

int seal_client_delete(seal_client *c, const seal_bytes *keys, size_t nkeys, uint64_t since_tx,
                       int no_wait, seal_txhdr *out)
{
    sc_begin(c);
    if (!nkeys || !keys)
        return sc_fail(c, SEAL_EINVAL, "delete: no keys");
    Immudb__Schema__DeleteKeysRequest r;
    immudb__schema__delete_keys_request__init(&r);
    r.keys = bin_list(keys, nkeys);
    if (!r.keys)
        return SEAL_ENOMEM;
    r.n_keys = nkeys;
    r.sincetx = since_tx;
    r.nowait = no_wait != 0;
    int rc = hdr_answer(c, "Delete", &r.base, 0, out);
    seal_free(r.keys);
    return rc;
}

/* -------------------------------------------------------------- ExecAll */
int seal_client_exec_all(seal_client *c, const seal_op *ops, size_t nops, const seal_precond *pre,
                         size_t npre, int no_wait, seal_txhdr *out)
{
    sc_begin(c);
    if (!ops || !nops || nops > 65535)
        return sc_fail(c, SEAL_EINVAL, "exec all: no operations");
    Immudb__Schema__ExecAllRequest r;
    immudb__schema__exec_all_request__init(&r);
    Immudb__Schema__Op **pops = seal_calloc(nops, sizeof(*pops));
    Immudb__Schema__Op *opv = seal_calloc(nops, sizeof(*opv));
    Immudb__Schema__KeyValue *kvv = seal_calloc(nops, sizeof(*kvv));
    Immudb__Schema__ZAddRequest *zv = seal_calloc(nops, sizeof(*zv));
    Immudb__Schema__ReferenceRequest *rv = seal_calloc(nops, sizeof(*rv));
    Immudb__Schema__KVMetadata *mdv = seal_calloc(nops, sizeof(*mdv));
    Immudb__Schema__Expiration *expv = seal_calloc(nops, sizeof(*expv));
    void *pmem = NULL;
    int rc = 0;
    if (!pops || !opv || !kvv || !zv || !rv || !mdv || !expv) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nops; i++) {
        const seal_op *o = &ops[i];
        immudb__schema__op__init(&opv[i]);
        pops[i] = &opv[i];
        if (!o->key || !o->key_len) {
            rc = sc_fail(c, SEAL_EINVAL, "exec all: operation %zu has an empty key", i);
            goto done;
        }
        switch (o->kind) {
        case SEAL_OP_KV:
            immudb__schema__key_value__init(&kvv[i]);
            kvv[i].key = BIN(o->key, o->key_len);
            kvv[i].value = BIN(o->value, o->value_len);
            if (o->md) {
                md_to_pb(o->md, &mdv[i], &expv[i]);
                kvv[i].metadata = &mdv[i];
            }
            opv[i].operation_case = IMMUDB__SCHEMA__OP__OPERATION_KV;
            opv[i].kv = &kvv[i];
            break;
        case SEAL_OP_ZADD:
            immudb__schema__zadd_request__init(&zv[i]);
            zv[i].set = BIN(o->set, o->set_len);
            zv[i].score = o->score;
            zv[i].key = BIN(o->key, o->key_len);
            zv[i].attx = o->at_tx;
            zv[i].boundref = o->bound_ref != 0;
            opv[i].operation_case = IMMUDB__SCHEMA__OP__OPERATION_Z_ADD;
            opv[i].zadd = &zv[i];
            break;
        case SEAL_OP_REF:
            immudb__schema__reference_request__init(&rv[i]);
            rv[i].key = BIN(o->key, o->key_len);
            rv[i].referencedkey = BIN(o->value, o->value_len);
            rv[i].attx = o->at_tx;
            rv[i].boundref = o->bound_ref != 0;
            opv[i].operation_case = IMMUDB__SCHEMA__OP__OPERATION_REF;
            opv[i].ref = &rv[i];
            break;
        default:
            rc = sc_fail(c, SEAL_EINVAL, "exec all: operation %zu has an unknown kind", i);
            goto done;
        }
    }
    r.n_operations = nops;
    r.operations = pops;
    r.nowait = no_wait != 0;
    if (npre) {
        if ((rc = sc_build_preconds(pre, npre, &r.preconditions, &pmem)) != 0) {
            sc_fail(c, rc, "exec all: invalid precondition");
            goto done;
        }
        r.n_preconditions = npre;
    }
    rc = hdr_answer(c, "ExecAll", &r.base, 0, out);
done:
    seal_free(pmem);
    seal_free(pops);
    seal_free(opv);
    seal_free(kvv);
    seal_free(zv);
    seal_free(rv);
    seal_free(mdv);
    seal_free(expv);
    return rc;
}

/* ----------------------------------------------------------- Scan, Count */
void sc_scan_req_pb(const seal_scan_req *q, Immudb__Schema__ScanRequest *r)
{
    immudb__schema__scan_request__init(r);
    r->seekkey = BIN(q->seek_key, q->seek_key ? q->seek_len : 0);
    r->endkey = BIN(q->end_key, q->end_key ? q->end_len : 0);
    r->prefix = BIN(q->prefix, q->prefix ? q->prefix_len : 0);
    r->desc = q->desc != 0;
    r->limit = q->limit;
    r->offset = q->offset;
    r->sincetx = q->since_tx;
    r->nowait = q->no_wait != 0;
    r->inclusiveseek = q->inclusive_seek != 0;
    r->inclusiveend = q->inclusive_end != 0;
}

int seal_client_scan(seal_client *c, const seal_scan_req *q, seal_kventry **out, size_t *n)
{
    sc_begin(c);
    if (!q)
        return sc_fail(c, SEAL_EINVAL, "scan: no request");
    Immudb__Schema__ScanRequest r;
    sc_scan_req_pb(q, &r);
    return entries_call(c, "Scan", &r.base, out, n);
}

int seal_client_count(seal_client *c, const void *prefix, size_t prefix_len, uint64_t *out)
{
    sc_begin(c);
    Immudb__Schema__KeyPrefix r;
    immudb__schema__key_prefix__init(&r);
    r.prefix = BIN(prefix, prefix ? prefix_len : 0);
    Immudb__Schema__EntryCount *m = NULL;
    int rc = sc_call(c, "Count", &r.base, &immudb__schema__entry_count__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    *out = m->count;
    sc_msg_free(m);
    return 0;
}

int seal_client_count_all(seal_client *c, uint64_t *out)
{
    sc_begin(c);
    if (!out)
        return sc_fail(c, SEAL_EINVAL, "count all: no output");
    Immudb__Schema__EntryCount *m = NULL;
    int rc = sc_call(c, "CountAll", NULL, &immudb__schema__entry_count__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    *out = m->count;
    sc_msg_free(m);
    return 0;
}

void sc_history_req_pb(const void *key, size_t key_len, uint64_t offset, int32_t limit, int desc,
                       uint64_t since_tx, Immudb__Schema__HistoryRequest *r)
{
    immudb__schema__history_request__init(r);
    r->key = BIN(key, key_len);
    r->offset = offset;
    r->limit = limit;
    r->desc = desc != 0;
    r->sincetx = since_tx;
}

int seal_client_history(seal_client *c, const void *key, size_t key_len, uint64_t offset,
                        int32_t limit, int desc, uint64_t since_tx, seal_kventry **out, size_t *n)
{
    sc_begin(c);
    if (!key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "history: empty key");
    Immudb__Schema__HistoryRequest r;
    sc_history_req_pb(key, key_len, offset, limit, desc, since_tx, &r);
    return entries_call(c, "History", &r.base, out, n);
}

/* ------------------------------------------------------ references, zsets */
int seal_client_set_reference(seal_client *c, const void *key, size_t key_len, const void *ref_key,
                              size_t ref_len, uint64_t at_tx, seal_txhdr *out)
{
    sc_begin(c);
    if (!key || !key_len || !ref_key || !ref_len)
        return sc_fail(c, SEAL_EINVAL, "set reference: empty key");
    Immudb__Schema__ReferenceRequest r;
    immudb__schema__reference_request__init(&r);
    r.key = BIN(key, key_len);
    r.referencedkey = BIN(ref_key, ref_len);
    r.attx = at_tx;
    r.boundref = at_tx > 0;
    return hdr_answer(c, "SetReference", &r.base, 1, out);
}

int seal_client_zadd(seal_client *c, const void *set, size_t set_len, double score, const void *key,
                     size_t key_len, uint64_t at_tx, seal_txhdr *out)
{
    sc_begin(c);
    if (!set || !set_len || !key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "zadd: empty set or key");
    Immudb__Schema__ZAddRequest r;
    immudb__schema__zadd_request__init(&r);
    r.set = BIN(set, set_len);
    r.score = score;
    r.key = BIN(key, key_len);
    r.attx = at_tx;
    r.boundref = at_tx > 0;
    return hdr_answer(c, "ZAdd", &r.base, 1, out);
}

void sc_zscan_req_pb(const seal_zscan_req *q, Immudb__Schema__ZScanRequest *r,
                     Immudb__Schema__Score *mins, Immudb__Schema__Score *maxs)
{
    immudb__schema__zscan_request__init(r);
    immudb__schema__score__init(mins);
    immudb__schema__score__init(maxs);
    r->set = BIN(q->set, q->set_len);
    r->seekkey = BIN(q->seek_key, q->seek_key ? q->seek_len : 0);
    r->seekscore = q->seek_score;
    r->seekattx = q->seek_at_tx;
    r->inclusiveseek = q->inclusive_seek != 0;
    r->limit = q->limit;
    r->offset = q->offset;
    r->desc = q->desc != 0;
    if (q->has_min_score) {
        mins->score = q->min_score;
        r->minscore = mins;
    }
    if (q->has_max_score) {
        maxs->score = q->max_score;
        r->maxscore = maxs;
    }
    r->sincetx = q->since_tx;
    r->nowait = q->no_wait != 0;
}

int seal_client_zscan(seal_client *c, const seal_zscan_req *q, seal_zentry **out, size_t *n)
{
    sc_begin(c);
    if (!q || !q->set || !q->set_len)
        return sc_fail(c, SEAL_EINVAL, "zscan: no set");
    Immudb__Schema__ZScanRequest r;
    Immudb__Schema__Score mins, maxs;
    sc_zscan_req_pb(q, &r, &mins, &maxs);
    Immudb__Schema__ZEntries *m = NULL;
    int rc = sc_call(c, "ZScan", &r.base, &immudb__schema__zentries__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    seal_zentry *a = NULL;
    if (m->n_entries && !(a = seal_calloc(m->n_entries, sizeof(*a)))) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->n_entries; i++) {
        if ((rc = sc_zentry_from_pb(m->entries[i], &a[i])) != 0) {
            seal_zentries_free(a, i);
            goto done;
        }
    }
    *out = a;
    *n = m->n_entries;
done:
    sc_msg_free(m);
    return rc;
}

/* ------------------------------------------------------------------ txs */
int seal_client_tx_by_id(seal_client *c, uint64_t tx, seal_rtx *out)
{
    sc_begin(c);
    if (!tx)
        return sc_fail(c, SEAL_EINVAL, "tx: tx 0 does not exist");
    Immudb__Schema__TxRequest r;
    immudb__schema__tx_request__init(&r);
    r.tx = tx;
    Immudb__Schema__Tx *m = NULL;
    int rc = sc_call(c, "TxById", &r.base, &immudb__schema__tx__descriptor, (ProtobufCMessage **)&m,
                     NULL);
    if (rc)
        return rc;
    rc = sc_rtx_from_pb(m, out);
    if (rc == SEAL_EPROTOCOL)
        sc_fail(c, rc, "tx: the server's answer has no header");
    sc_msg_free(m);
    return rc;
}

int seal_client_tx_scan(seal_client *c, uint64_t initial_tx, uint32_t limit, int desc,
                        seal_rtx **out, size_t *n)
{
    sc_begin(c);
    Immudb__Schema__TxScanRequest r;
    immudb__schema__tx_scan_request__init(&r);
    r.initialtx = initial_tx;
    r.limit = limit;
    r.desc = desc != 0;
    Immudb__Schema__TxList *m = NULL;
    int rc = sc_call(c, "TxScan", &r.base, &immudb__schema__tx_list__descriptor,
                     (ProtobufCMessage **)&m, NULL);
    if (rc)
        return rc;
    seal_rtx *a = NULL;
    if (m->n_txs && !(a = seal_calloc(m->n_txs, sizeof(*a)))) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->n_txs; i++) {
        if ((rc = sc_rtx_from_pb(m->txs[i], &a[i])) != 0) {
            seal_rtxs_free(a, i);
            if (rc == SEAL_EPROTOCOL)
                sc_fail(c, rc, "tx scan: a tx in the answer has no header");
            goto done;
        }
    }
    *out = a;
    *n = m->n_txs;
done:
    sc_msg_free(m);
    return rc;
}
