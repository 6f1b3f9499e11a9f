/* srv_conv.c - immudb protobuf messages <-> database-layer types (see
 * srv_conv.h for the rules). */
#include <string.h>

#include "common/common.h"
#include "server/srv_conv.h"

/* ---------------------------------------------------------------- arena */
struct conv_block {
    conv_block *next;
    size_t size;
    /* data follows, max-aligned */
};

#define CONV_ALIGN     16
#define CONV_BLOCK_MIN 8192
#define CONV_HDR       ((sizeof(conv_block) + CONV_ALIGN - 1) & ~(size_t)(CONV_ALIGN - 1))

void *conv_alloc(conv_arena *a, size_t n)
{
    n = (n + CONV_ALIGN - 1) & ~(size_t)(CONV_ALIGN - 1);
    if (n == 0)
        n = CONV_ALIGN;
    if (n > a->left) {
        size_t sz = SEAL_MAX(n, a->head ? SEAL_MIN(a->head->size * 2, (size_t)1 << 20)
                                        : (size_t)CONV_BLOCK_MIN);
        if (sz < n || sz > SIZE_MAX - CONV_HDR) {
            a->oom = true;
            return NULL;
        }
        conv_block *b = seal_malloc(CONV_HDR + sz);
        if (!b) {
            a->oom = true;
            return NULL;
        }
        b->next = a->head;
        b->size = sz;
        a->head = b;
        a->cur = (uint8_t *)b + CONV_HDR;
        a->left = sz;
    }
    void *p = a->cur;
    a->cur += n;
    a->left -= n;
    memset(p, 0, n);
    return p;
}

void conv_arena_free(conv_arena *a)
{
    conv_block *b = a->head;
    while (b) {
        conv_block *n = b->next;
        seal_free(b);
        b = n;
    }
    memset(a, 0, sizeof(*a));
}

/* An array of n elements (NULL for n == 0, which is not an error). */
static void *arr(conv_arena *a, size_t n, size_t elem)
{
    if (n == 0)
        return NULL;
    if (n > SIZE_MAX / elem) {
        a->oom = true;
        return NULL;
    }
    return conv_alloc(a, n * elem);
}

/* A new message of descriptor |d| with its defaults. */
static void *new_msg(conv_arena *a, const ProtobufCMessageDescriptor *d)
{
    void *m = conv_alloc(a, d->sizeof_message);
    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

/* Borrowed bytes (the cast drops const: protobuf-c fields are not const,
 * but nothing writes through them when packing). */
static ProtobufCBinaryData bin(const void *p, size_t n)
{
    ProtobufCBinaryData b;
    b.len = n;
    b.data = n ? (uint8_t *)(uintptr_t)p : NULL;
    return b;
}

/* ------------------------------------------------------ database -> proto */
static Immudb__Schema__TxMetadata *conv_txmd(conv_arena *a, const seal_txmd *md)
{
    if (md->truncated_upto_tx == 0 && md->extra_len == 0)
        return NULL; /* immudb: header metadata absent (mdLen 0) */
    Immudb__Schema__TxMetadata *m =
        (Immudb__Schema__TxMetadata *)new_msg(a, &immudb__schema__tx_metadata__descriptor);
    if (!m)
        return NULL;
    m->truncatedtxid = md->truncated_upto_tx;
    m->extra = bin(md->extra, md->extra_len);
    return m;
}

Immudb__Schema__TxHeader *conv_txhdr(conv_arena *a, const seal_txhdr *h)
{
    Immudb__Schema__TxHeader *m =
        (Immudb__Schema__TxHeader *)new_msg(a, &immudb__schema__tx_header__descriptor);
    if (!m)
        return NULL;
    m->id = h->id;
    m->prevalh = bin(h->prev_alh, SEAL_HASH_LEN);
    m->ts = h->ts;
    m->nentries = (int32_t)h->nentries;
    m->eh = bin(h->eh, SEAL_HASH_LEN);
    m->bltxid = h->bl_tx_id;
    m->blroot = bin(h->bl_root, SEAL_HASH_LEN);
    m->version = h->version;
    m->metadata = conv_txmd(a, &h->md);
    return a->oom ? NULL : m;
}

Immudb__Schema__KVMetadata *conv_kvmd(conv_arena *a, const seal_kvmd *md, bool has)
{
    if (!has)
        return NULL;
    Immudb__Schema__KVMetadata *m =
        (Immudb__Schema__KVMetadata *)new_msg(a, &immudb__schema__kvmetadata__descriptor);
    if (!m)
        return NULL;
    m->deleted = md->deleted ? 1 : 0;
    m->nonindexable = md->non_indexable ? 1 : 0;
    if (md->has_expires) {
        m->expiration =
            (Immudb__Schema__Expiration *)new_msg(a, &immudb__schema__expiration__descriptor);
        if (!m->expiration)
            return NULL;
        m->expiration->expiresat = md->expires_at;
    }
    return m;
}

Immudb__Schema__TxEntry *conv_txentry(conv_arena *a, const sdb_txentry *e)
{
    Immudb__Schema__TxEntry *m =
        (Immudb__Schema__TxEntry *)new_msg(a, &immudb__schema__tx_entry__descriptor);
    if (!m)
        return NULL;
    m->key = bin(e->key, e->key_len);
    m->hvalue = bin(e->hval, SEAL_HASH_LEN);
    m->vlen = (int32_t)e->vlen;
    m->metadata = conv_kvmd(a, &e->md, e->has_md);
    if (e->has_value)
        m->value = bin(e->value, e->vlen);
    return a->oom ? NULL : m;
}

static Immudb__Schema__Reference *conv_ref(conv_arena *a, const sdb_ref *r)
{
    Immudb__Schema__Reference *m =
        (Immudb__Schema__Reference *)new_msg(a, &immudb__schema__reference__descriptor);
    if (!m)
        return NULL;
    m->tx = r->tx;
    m->key = bin(r->key, r->key_len);
    m->attx = r->at_tx;
    m->metadata = conv_kvmd(a, &r->md, r->has_md);
    m->revision = r->revision;
    return a->oom ? NULL : m;
}

Immudb__Schema__Entry *conv_entry(conv_arena *a, const sdb_entry *e)
{
    Immudb__Schema__Entry *m =
        (Immudb__Schema__Entry *)new_msg(a, &immudb__schema__entry__descriptor);
    if (!m)
        return NULL;
    m->tx = e->tx;
    m->key = bin(e->key, e->key_len);
    m->value = bin(e->value, e->value_len);
    if (e->has_ref)
        m->referencedby = conv_ref(a, &e->ref);
    m->metadata = conv_kvmd(a, &e->md, e->has_md);
    m->expired = e->expired ? 1 : 0;
    m->revision = e->revision;
    return a->oom ? NULL : m;
}

Immudb__Schema__ZEntry *conv_zentry(conv_arena *a, const sdb_zentry *z)
{
    Immudb__Schema__ZEntry *m =
        (Immudb__Schema__ZEntry *)new_msg(a, &immudb__schema__zentry__descriptor);
    if (!m)
        return NULL;
    m->set = bin(z->set, z->set_len);
    m->key = bin(z->key, z->key_len);
    if (z->has_entry)
        m->entry = conv_entry(a, &z->entry);
    m->score = z->score;
    m->attx = z->at_tx;
    return a->oom ? NULL : m;
}

Immudb__Schema__Tx *conv_tx(conv_arena *a, const sdb_tx *t)
{
    Immudb__Schema__Tx *m = (Immudb__Schema__Tx *)new_msg(a, &immudb__schema__tx__descriptor);
    if (!m)
        return NULL;
    m->header = conv_txhdr(a, &t->hdr);
    m->n_entries = t->n;
    m->entries = arr(a, t->n, sizeof(*m->entries));
    for (size_t i = 0; i < t->n && !a->oom; i++)
        m->entries[i] = conv_txentry(a, &t->entries[i]);
    m->n_kventries = t->nkv;
    m->kventries = arr(a, t->nkv, sizeof(*m->kventries));
    for (size_t i = 0; i < t->nkv && !a->oom; i++)
        m->kventries[i] = conv_entry(a, &t->kv[i]);
    m->n_zentries = t->nz;
    m->zentries = arr(a, t->nz, sizeof(*m->zentries));
    for (size_t i = 0; i < t->nz && !a->oom; i++)
        m->zentries[i] = conv_zentry(a, &t->z[i]);
    return a->oom ? NULL : m;
}

static ProtobufCBinaryData *conv_hashes(conv_arena *a, const seal_hashes *h, size_t *n)
{
    *n = h->n;
    ProtobufCBinaryData *d = arr(a, h->n, sizeof(*d));
    for (size_t i = 0; d && i < h->n; i++)
        d[i] = bin(h->h[i], SEAL_HASH_LEN);
    return d;
}

Immudb__Schema__DualProof *conv_dual_proof(conv_arena *a, const seal_dual_proof *p)
{
    Immudb__Schema__DualProof *m =
        (Immudb__Schema__DualProof *)new_msg(a, &immudb__schema__dual_proof__descriptor);
    if (!m)
        return NULL;
    m->sourcetxheader = conv_txhdr(a, &p->source);
    m->targettxheader = conv_txhdr(a, &p->target);
    m->inclusionproof = conv_hashes(a, &p->inclusion, &m->n_inclusionproof);
    m->consistencyproof = conv_hashes(a, &p->consistency, &m->n_consistencyproof);
    m->targetbltxalh = bin(p->target_bl_tx_alh, SEAL_HASH_LEN);
    m->lastinclusionproof = conv_hashes(a, &p->last_inclusion, &m->n_lastinclusionproof);
    Immudb__Schema__LinearProof *lp =
        (Immudb__Schema__LinearProof *)new_msg(a, &immudb__schema__linear_proof__descriptor);
    if (!lp)
        return NULL;
    lp->sourcetxid = p->linear_source;
    lp->targettxid = p->linear_target;
    lp->terms = conv_hashes(a, &p->linear, &lp->n_terms);
    m->linearproof = lp;
    if (p->has_advance) {
        Immudb__Schema__LinearAdvanceProof *ap = (Immudb__Schema__LinearAdvanceProof *)new_msg(
            a, &immudb__schema__linear_advance_proof__descriptor);
        if (!ap)
            return NULL;
        ap->linearproofterms = conv_hashes(a, &p->advance_linear, &ap->n_linearproofterms);
        ap->n_inclusionproofs = p->advance_ninclusion;
        ap->inclusionproofs = arr(a, p->advance_ninclusion, sizeof(*ap->inclusionproofs));
        for (size_t i = 0; i < p->advance_ninclusion && !a->oom; i++) {
            /* only the terms: leaf and width stay 0, as immudb sends them */
            Immudb__Schema__InclusionProof *ip = (Immudb__Schema__InclusionProof *)new_msg(
                a, &immudb__schema__inclusion_proof__descriptor);
            if (!ip)
                return NULL;
            ip->terms = conv_hashes(a, &p->advance_inclusion[i], &ip->n_terms);
            ap->inclusionproofs[i] = ip;
        }
        m->linearadvanceproof = ap;
    }
    return a->oom ? NULL : m;
}

Immudb__Schema__InclusionProof *conv_inclusion(conv_arena *a, const seal_entry_proof *p)
{
    Immudb__Schema__InclusionProof *m =
        (Immudb__Schema__InclusionProof *)new_msg(a, &immudb__schema__inclusion_proof__descriptor);
    if (!m)
        return NULL;
    m->leaf = (int32_t)p->leaf;
    m->width = (int32_t)p->width;
    m->terms = conv_hashes(a, &p->terms, &m->n_terms);
    return a->oom ? NULL : m;
}

Immudb__Schema__Signature *conv_sig(conv_arena *a, const sdb_sig *s)
{
    if (!s->present)
        return NULL;
    Immudb__Schema__Signature *m =
        (Immudb__Schema__Signature *)new_msg(a, &immudb__schema__signature__descriptor);
    if (!m)
        return NULL;
    m->publickey = bin(s->pubkey, sizeof(s->pubkey));
    m->signature = bin(s->sig, s->sig_len);
    return m;
}

Immudb__Schema__VerifiableTx *conv_vtx(conv_arena *a, const sdb_vtx *v)
{
    Immudb__Schema__VerifiableTx *m =
        (Immudb__Schema__VerifiableTx *)new_msg(a, &immudb__schema__verifiable_tx__descriptor);
    if (!m)
        return NULL;
    m->tx = conv_tx(a, &v->tx);
    m->dualproof = conv_dual_proof(a, &v->proof);
    m->signature = conv_sig(a, &v->sig);
    return a->oom ? NULL : m;
}

Immudb__Schema__VerifiableEntry *conv_ventry(conv_arena *a, const sdb_ventry *v)
{
    Immudb__Schema__VerifiableEntry *m = (Immudb__Schema__VerifiableEntry *)new_msg(
        a, &immudb__schema__verifiable_entry__descriptor);
    if (!m)
        return NULL;
    m->entry = conv_entry(a, &v->entry);
    m->verifiabletx = conv_vtx(a, &v->vtx);
    m->inclusionproof = conv_inclusion(a, &v->inclusion);
    return a->oom ? NULL : m;
}

Immudb__Schema__Entries *conv_entries(conv_arena *a, const sdb_entry *e, size_t n)
{
    Immudb__Schema__Entries *m =
        (Immudb__Schema__Entries *)new_msg(a, &immudb__schema__entries__descriptor);
    if (!m)
        return NULL;
    m->n_entries = n;
    m->entries = arr(a, n, sizeof(*m->entries));
    for (size_t i = 0; i < n && !a->oom; i++)
        m->entries[i] = conv_entry(a, &e[i]);
    return a->oom ? NULL : m;
}

Immudb__Schema__ZEntries *conv_zentries(conv_arena *a, const sdb_zentry *z, size_t n)
{
    Immudb__Schema__ZEntries *m =
        (Immudb__Schema__ZEntries *)new_msg(a, &immudb__schema__zentries__descriptor);
    if (!m)
        return NULL;
    m->n_entries = n;
    m->entries = arr(a, n, sizeof(*m->entries));
    for (size_t i = 0; i < n && !a->oom; i++)
        m->entries[i] = conv_zentry(a, &z[i]);
    return a->oom ? NULL : m;
}

/* ------------------------------------------------------ proto -> database */
const seal_kvmd *conv_kvmd_in(const Immudb__Schema__KVMetadata *m, seal_kvmd *out)
{
    if (!m)
        return NULL;
    memset(out, 0, sizeof(*out));
    out->deleted = m->deleted ? 1 : 0;
    out->non_indexable = m->nonindexable ? 1 : 0;
    if (m->expiration) {
        out->has_expires = 1;
        out->expires_at = m->expiration->expiresat;
    }
    return out;
}

int conv_preconds_in(conv_arena *a, Immudb__Schema__Precondition *const *p, size_t n,
                     sdb_precond **out)
{
    sdb_precond *r = arr(a, n, sizeof(*r));
    if (n && !r)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const Immudb__Schema__Precondition *c = p[i];
        switch (c->precondition_case) {
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_EXIST:
            r[i].kind = SDB_PRE_KEY_MUST_EXIST;
            r[i].key = c->keymustexist->key.data;
            r[i].key_len = c->keymustexist->key.len;
            break;
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_NOT_EXIST:
            r[i].kind = SDB_PRE_KEY_MUST_NOT_EXIST;
            r[i].key = c->keymustnotexist->key.data;
            r[i].key_len = c->keymustnotexist->key.len;
            break;
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_NOT_MODIFIED_AFTER_TX:
            r[i].kind = SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX;
            r[i].key = c->keynotmodifiedaftertx->key.data;
            r[i].key_len = c->keynotmodifiedaftertx->key.len;
            r[i].tx_id = c->keynotmodifiedaftertx->txid;
            break;
        default:
            r[i].kind = 0;
            break;
        }
    }
    *out = r;
    return 0;
}

int conv_kvs_in(conv_arena *a, Immudb__Schema__KeyValue *const *kvs, size_t n, sdb_kv **out)
{
    sdb_kv *r = arr(a, n, sizeof(*r));
    if (n && !r)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const Immudb__Schema__KeyValue *kv = kvs[i];
        r[i].key = kv->key.data;
        r[i].key_len = kv->key.len;
        r[i].value = kv->value.data;
        r[i].value_len = kv->value.len;
        if (kv->metadata) {
            seal_kvmd *md = conv_alloc(a, sizeof(*md));
            if (!md)
                return SEAL_ENOMEM;
            r[i].md = conv_kvmd_in(kv->metadata, md);
        }
    }
    *out = r;
    return 0;
}

static int action_in(const Immudb__Schema__EntryTypeSpec *s)
{
    if (!s)
        return SDB_EXCLUDE;
    switch ((int)s->action) {
    case IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__EXCLUDE:
        return SDB_EXCLUDE;
    case IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__ONLY_DIGEST:
        return SDB_ONLY_DIGEST;
    case IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__RAW_VALUE:
        return SDB_RAW_VALUE;
    default:
        return SDB_RESOLVE;
    }
}

const sdb_entries_spec *conv_spec_in(const Immudb__Schema__EntriesSpec *s, sdb_entries_spec *out)
{
    if (!s)
        return NULL;
    out->kv = action_in(s->kventriesspec);
    out->zset = action_in(s->zentriesspec);
    out->sql = action_in(s->sqlentriesspec);
    return out;
}

int conv_ops_in(conv_arena *a, Immudb__Schema__Op *const *ops, size_t n, sdb_op **out)
{
    sdb_op *r = arr(a, n, sizeof(*r));
    if (n && !r)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const Immudb__Schema__Op *op = ops[i];
        sdb_op *o = &r[i];
        switch (op->operation_case) {
        case IMMUDB__SCHEMA__OP__OPERATION_KV: {
            const Immudb__Schema__KeyValue *kv = op->kv;
            o->kind = SDB_OP_KV;
            o->key = kv->key.data;
            o->key_len = kv->key.len;
            o->value = kv->value.data;
            o->value_len = kv->value.len;
            if (kv->metadata) {
                seal_kvmd *md = conv_alloc(a, sizeof(*md));
                if (!md)
                    return SEAL_ENOMEM;
                o->md = conv_kvmd_in(kv->metadata, md);
            }
            break;
        }
        case IMMUDB__SCHEMA__OP__OPERATION_REF: {
            const Immudb__Schema__ReferenceRequest *rr = op->ref;
            o->kind = SDB_OP_REF;
            o->key = rr->key.data;
            o->key_len = rr->key.len;
            o->ref_key = rr->referencedkey.data;
            o->ref_len = rr->referencedkey.len;
            o->at_tx = rr->attx;
            o->bound_ref = rr->boundref;
            break;
        }
        case IMMUDB__SCHEMA__OP__OPERATION_Z_ADD: {
            const Immudb__Schema__ZAddRequest *z = op->zadd;
            o->kind = SDB_OP_ZADD;
            o->set = z->set.data;
            o->set_len = z->set.len;
            o->score = z->score;
            o->key = z->key.data;
            o->key_len = z->key.len;
            o->at_tx = z->attx;
            o->bound_ref = z->boundref;
            break;
        }
        default:
            o->kind = 0;
            break;
        }
    }
    *out = r;
    return 0;
}
