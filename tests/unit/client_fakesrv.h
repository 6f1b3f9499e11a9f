/* client_fakesrv.h - an in-process fake ImmuService for the libsealclient
 * tests. It runs the real gRPC server transport on an ephemeral port and
 * answers from a real engine store (libseal): values are written with
 * immudb's database-layer encodings (src/db/kvenc.h) and every proof comes
 * from the engine (seal_dual_proof_build, seal_entry_proof_build), so the
 * client verifies real immudb-compatible proofs. States are signed with a
 * P-256 key when asked. A tampering switch alters one byte of a value, a
 * proof term, a tx header, the state hash or the signature in the answers;
 * the state can be rewound and the store swapped for a fork. A synthetic
 * chain built with the mtree API (BlTxID lagging behind the tx id) serves
 * VerifiableTxById and CurrentState for the linear advance proof tests.
 * Included by the client_*_test.c programs; everything here is static. */
#ifndef SEAL_CLIENT_FAKESRV_H
#define SEAL_CLIENT_FAKESRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/common.h"
#include "crypto/cry.h"
#include "db/kvenc.h"
#include "mtree/mtree.h"
#include "seal/seal.h"
#include "seal/seal_client.h"
#include "server/grpc_server.h"
#include "server/immu_service.h"
#include "testlib.h"

/* not every test program uses every helper */
#pragma GCC diagnostic ignored "-Wunused-function"

enum fk_tamper {
    FK_NONE = 0,
    FK_VALUE, /* a value byte (VerifiableGet) / an entry's value hash (the others) */
    FK_PROOF, /* a byte of the last linear proof term of the dual proof */
    FK_TXHDR, /* a field of every tx header in the answer (in turn) */
    FK_STATE, /* a byte of the CurrentState hash */
    FK_SIG,   /* a byte of every signature */
    FK_STRIP, /* the dual proof left out */
};

/* ------------------------------------------------------- synthetic chain */
typedef struct fk_chain {
    uint64_t n;
    mt_txhdr *hdr; /* 1-based */
    mt_hash *alh;
    mt_hash *hval;
    char (*key)[16];
    mt_memnodes *mem;
    mt_ahtree *tree;
} fk_chain;

typedef struct fk_server {
    gs_server *s;
    pthread_t th;
    int port;
    bool running;
    int run_rc;
    pthread_mutex_t mu;
    seal_store *st;   /* served store */
    seal_store *main; /* the real history */
    seal_store *alt;  /* a fork, when made */
    fk_chain *chain;  /* when set: VerifiableTxById / CurrentState from it */
    char db[64];
    char uuid[64];
    cry_key *key;
    char pub_path[512];
    atomic_int tamper;
    atomic_int rewind;
    atomic_int omit_advance;
    atomic_int require_auth;
    atomic_int n_vtx; /* VerifiableTxById calls */
    atomic_int hdr_field;
    char token[64];
    char session[64];
    char last_auth[128];
    char last_req[256]; /* admin calls: what was asked */
} fk_server;

/* ---------------------------------------------------------------- arena */
typedef struct fk_arena {
    void **p;
    size_t n, cap;
} fk_arena;

static void *ar_alloc(fk_arena *a, size_t n)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->p = realloc(a->p, a->cap * sizeof(void *));
    }
    void *m = calloc(1, n ? n : 1);
    a->p[a->n++] = m;
    return m;
}

static void ar_free(fk_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    memset(a, 0, sizeof(*a));
}

static ProtobufCBinaryData ar_bin(fk_arena *a, const void *p, size_t n)
{
    ProtobufCBinaryData b = {.len = n, .data = ar_alloc(a, n)};
    if (n)
        memcpy(b.data, p, n);
    return b;
}

#define AR_NEW(a, T, init)                                                                         \
    ({                                                                                             \
        T *_m = ar_alloc((a), sizeof(T));                                                          \
        init(_m);                                                                                  \
        _m;                                                                                        \
    })

/* ------------------------------------------------------------ converters */
static void fk_hdr_to_mt(const seal_txhdr *h, mt_txhdr *o)
{
    memset(o, 0, sizeof(*o));
    o->id = h->id;
    memcpy(o->prev_alh, h->prev_alh, 32);
    o->ts = h->ts;
    o->nentries = h->nentries;
    memcpy(o->eh, h->eh, 32);
    o->bl_tx_id = h->bl_tx_id;
    memcpy(o->bl_root, h->bl_root, 32);
    o->version = h->version;
    if (h->md.truncated_upto_tx) {
        o->md.has_truncated = true;
        o->md.truncated_upto_tx = h->md.truncated_upto_tx;
    }
    o->md.extra_len = h->md.extra_len;
    memcpy(o->md.extra, h->md.extra, h->md.extra_len);
}

static Immudb__Schema__TxHeader *pb_hdr(fk_arena *a, const mt_txhdr *h)
{
    Immudb__Schema__TxHeader *m =
        AR_NEW(a, Immudb__Schema__TxHeader, immudb__schema__tx_header__init);
    m->id = h->id;
    m->prevalh = ar_bin(a, h->prev_alh, 32);
    m->ts = h->ts;
    m->nentries = (int32_t)h->nentries;
    m->eh = ar_bin(a, h->eh, 32);
    m->bltxid = h->bl_tx_id;
    m->blroot = ar_bin(a, h->bl_root, 32);
    m->version = h->version;
    if (h->version >= 1) {
        m->metadata = AR_NEW(a, Immudb__Schema__TxMetadata, immudb__schema__tx_metadata__init);
        if (h->md.has_truncated)
            m->metadata->truncatedtxid = h->md.truncated_upto_tx;
        if (h->md.extra_len)
            m->metadata->extra = ar_bin(a, h->md.extra, h->md.extra_len);
    }
    return m;
}

static ProtobufCBinaryData *pb_terms(fk_arena *a, const mt_hash *t, size_t n, size_t *nout)
{
    ProtobufCBinaryData *b = ar_alloc(a, (n ? n : 1) * sizeof(*b));
    for (size_t i = 0; i < n; i++)
        b[i] = ar_bin(a, t[i], 32);
    *nout = n;
    return b;
}

static Immudb__Schema__DualProof *pb_dual(fk_arena *a, const mt_dual_proof *p, bool with_adv)
{
    Immudb__Schema__DualProof *m =
        AR_NEW(a, Immudb__Schema__DualProof, immudb__schema__dual_proof__init);
    m->sourcetxheader = pb_hdr(a, &p->source);
    m->targettxheader = pb_hdr(a, &p->target);
    m->inclusionproof = pb_terms(a, p->inclusion, p->ninclusion, &m->n_inclusionproof);
    m->consistencyproof = pb_terms(a, p->consistency, p->nconsistency, &m->n_consistencyproof);
    m->targetbltxalh = ar_bin(a, p->target_bl_tx_alh, 32);
    m->lastinclusionproof =
        pb_terms(a, p->last_inclusion, p->nlast_inclusion, &m->n_lastinclusionproof);
    m->linearproof = AR_NEW(a, Immudb__Schema__LinearProof, immudb__schema__linear_proof__init);
    m->linearproof->sourcetxid = p->linear.source_tx_id;
    m->linearproof->targettxid = p->linear.target_tx_id;
    m->linearproof->terms =
        pb_terms(a, p->linear.terms, p->linear.nterms, &m->linearproof->n_terms);
    if (p->has_advance && with_adv) {
        Immudb__Schema__LinearAdvanceProof *la = AR_NEW(a, Immudb__Schema__LinearAdvanceProof,
                                                        immudb__schema__linear_advance_proof__init);
        la->linearproofterms =
            pb_terms(a, p->advance.linear_terms, p->advance.nlinear, &la->n_linearproofterms);
        la->n_inclusionproofs = p->advance.ninclusion;
        la->inclusionproofs = ar_alloc(a, (p->advance.ninclusion + 1) * sizeof(void *));
        for (size_t i = 0; i < p->advance.ninclusion; i++) {
            Immudb__Schema__InclusionProof *ip =
                AR_NEW(a, Immudb__Schema__InclusionProof, immudb__schema__inclusion_proof__init);
            ip->terms = pb_terms(a, p->advance.inclusion[i].terms, p->advance.inclusion[i].nterms,
                                 &ip->n_terms);
            la->inclusionproofs[i] = ip;
        }
        m->linearadvanceproof = la;
    }
    return m;
}

/* A seal_dual_proof seen as an mt_dual_proof (shallow: arrays shared). */
static void fk_dual_view(const seal_dual_proof *p, mt_dual_proof *o, struct mt_term_list *tl)
{
    memset(o, 0, sizeof(*o));
    fk_hdr_to_mt(&p->source, &o->source);
    fk_hdr_to_mt(&p->target, &o->target);
    o->inclusion = p->inclusion.h;
    o->ninclusion = p->inclusion.n;
    o->consistency = p->consistency.h;
    o->nconsistency = p->consistency.n;
    memcpy(o->target_bl_tx_alh, p->target_bl_tx_alh, 32);
    o->last_inclusion = p->last_inclusion.h;
    o->nlast_inclusion = p->last_inclusion.n;
    o->linear.source_tx_id = p->linear_source;
    o->linear.target_tx_id = p->linear_target;
    o->linear.terms = p->linear.h;
    o->linear.nterms = p->linear.n;
    o->has_advance = p->has_advance;
    o->advance.linear_terms = p->advance_linear.h;
    o->advance.nlinear = p->advance_linear.n;
    o->advance.ninclusion = p->advance_ninclusion;
    o->advance.inclusion = tl;
    for (size_t i = 0; i < p->advance_ninclusion; i++) {
        tl[i].terms = p->advance_inclusion[i].h;
        tl[i].nterms = p->advance_inclusion[i].n;
    }
}

static Immudb__Schema__KVMetadata *pb_md(fk_arena *a, const seal_kvmd *md)
{
    if (!md->deleted && !md->has_expires && !md->non_indexable)
        return NULL;
    Immudb__Schema__KVMetadata *m =
        AR_NEW(a, Immudb__Schema__KVMetadata, immudb__schema__kvmetadata__init);
    m->deleted = md->deleted;
    m->nonindexable = md->non_indexable;
    if (md->has_expires) {
        m->expiration = AR_NEW(a, Immudb__Schema__Expiration, immudb__schema__expiration__init);
        m->expiration->expiresat = md->expires_at;
    }
    return m;
}

static Immudb__Schema__Tx *pb_tx(fk_arena *a, const seal_txinfo *t, bool entries)
{
    Immudb__Schema__Tx *m = AR_NEW(a, Immudb__Schema__Tx, immudb__schema__tx__init);
    mt_txhdr h;
    fk_hdr_to_mt(&t->hdr, &h);
    m->header = pb_hdr(a, &h);
    if (!entries)
        return m;
    m->n_entries = t->n;
    m->entries = ar_alloc(a, (t->n + 1) * sizeof(void *));
    for (size_t i = 0; i < t->n; i++) {
        Immudb__Schema__TxEntry *e =
            AR_NEW(a, Immudb__Schema__TxEntry, immudb__schema__tx_entry__init);
        e->key = ar_bin(a, t->entries[i].key, t->entries[i].key_len);
        e->hvalue = ar_bin(a, t->entries[i].hval, 32);
        e->vlen = (int32_t)t->entries[i].vlen;
        if (t->entries[i].md_len)
            e->metadata = pb_md(a, &t->entries[i].md);
        m->entries[i] = e;
    }
    return m;
}

/* Entry of the user's view: key and value without their prefixes. */
static Immudb__Schema__Entry *pb_entry(fk_arena *a, const seal_entry *e)
{
    Immudb__Schema__Entry *m = AR_NEW(a, Immudb__Schema__Entry, immudb__schema__entry__init);
    m->tx = e->tx;
    m->key = ar_bin(a, e->key + 1, e->key_len - 1);
    if (e->value && e->value_len)
        m->value = ar_bin(a, e->value + 1, e->value_len - 1);
    m->metadata = pb_md(a, &e->md);
    m->revision = e->revision;
    return m;
}

static Immudb__Schema__Signature *fk_sign(fk_server *f, fk_arena *a, uint64_t tx,
                                          const uint8_t alh[32])
{
    if (!f->key)
        return NULL;
    uint8_t payload[512], sig[CRY_ECDSA_MAX_SIG], pub[65];
    size_t pl, sl = sizeof(sig);
    CHECK_OK(seal_state_payload(f->db, tx, alh, payload, sizeof(payload), &pl));
    CHECK_OK(cry_ecdsa_sign(f->key, payload, pl, sig, &sl));
    CHECK_OK(cry_key_public_raw(f->key, pub));
    Immudb__Schema__Signature *s =
        AR_NEW(a, Immudb__Schema__Signature, immudb__schema__signature__init);
    s->signature = ar_bin(a, sig, sl);
    s->publickey = ar_bin(a, pub, 65);
    if (atomic_load(&f->tamper) == FK_SIG)
        s->signature.data[sl / 2] ^= 0x01;
    return s;
}

/* Applies the tampering switch to a VerifiableTx. */
static void fk_tamper_vtx(fk_server *f, Immudb__Schema__VerifiableTx *vt, bool value)
{
    int t = atomic_load(&f->tamper);
    if (t == FK_VALUE && value && vt->tx && vt->tx->n_entries)
        vt->tx->entries[0]->hvalue.data[0] ^= 0x01;
    if (t == FK_STRIP)
        vt->dualproof = NULL;
    if (t == FK_PROOF && vt->dualproof && vt->dualproof->linearproof &&
        vt->dualproof->linearproof->n_terms) {
        Immudb__Schema__LinearProof *lp = vt->dualproof->linearproof;
        lp->terms[lp->n_terms - 1].data[5] ^= 0x01;
    }
    if (t == FK_TXHDR) {
        /* one field per answer, in turn: ts, prevAlh, blRoot, eH, blTxId */
        int which = atomic_fetch_add(&f->hdr_field, 1) % 5;
        Immudb__Schema__TxHeader *hs[3] = {vt->tx ? vt->tx->header : NULL,
                                           vt->dualproof ? vt->dualproof->sourcetxheader : NULL,
                                           vt->dualproof ? vt->dualproof->targettxheader : NULL};
        for (int i = 0; i < 3; i++) {
            Immudb__Schema__TxHeader *h = hs[i];
            if (!h)
                continue;
            switch (which) {
            case 0:
                h->ts++;
                break;
            case 1:
                h->prevalh.data[3] ^= 0x01;
                break;
            case 2:
                if (h->blroot.len)
                    h->blroot.data[9] ^= 0x01;
                else
                    h->ts++;
                break;
            case 3:
                h->eh.data[31] ^= 0x01;
                break;
            default:
                h->bltxid ^= 1;
                break;
            }
        }
    }
}

/* --------------------------------------------------- store-backed proofs */
/* VerifiableTx for tx |id| proven from |since| (0 = id itself). */
static int fk_build_vtx(fk_server *f, fk_arena *a, uint64_t since, uint64_t id, bool entries,
                        Immudb__Schema__VerifiableTx **out)
{
    seal_txinfo *ti = NULL;
    int rc = seal_tx_read(f->st, id, 0, &ti);
    if (rc)
        return rc;
    uint64_t s = since ? SEAL_MIN(since, id) : id, t = since ? SEAL_MAX(since, id) : id;
    seal_dual_proof dp;
    rc = seal_dual_proof_build(f->st, s, t, &dp);
    if (rc) {
        seal_txinfo_free(ti);
        return rc;
    }
    struct mt_term_list tl[64];
    mt_dual_proof mp;
    fk_dual_view(&dp, &mp, tl);
    Immudb__Schema__VerifiableTx *vt =
        AR_NEW(a, Immudb__Schema__VerifiableTx, immudb__schema__verifiable_tx__init);
    vt->tx = pb_tx(a, ti, entries);
    vt->dualproof = pb_dual(a, &mp, !atomic_load(&f->omit_advance));
    uint8_t alh[32];
    CHECK_OK(mt_alh(alh, &mp.target));
    vt->signature = fk_sign(f, a, t, alh);
    seal_dual_proof_free(&dp);
    seal_txinfo_free(ti);
    *out = vt;
    return 0;
}

static int fk_err(gs_call *c, int rc)
{
    switch (rc) {
    case SEAL_ENOTFOUND:
        return gs_error(c, GW_NOT_FOUND, "key not found");
    case SEAL_EPRECONDITION:
        return gs_error(c, GW_FAILED_PRECONDITION, "precondition failed");
    case SEAL_EINVAL:
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments");
    default:
        return gs_error(c, GW_INTERNAL, "%s", seal_strerror(rc));
    }
}

/* --------------------------------------------------------------- writes */
static int fk_add_pre(seal_tx *tx, Immudb__Schema__Precondition **p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t k[1100];
        int rc = 0;
        switch (p[i]->precondition_case) {
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_EXIST: {
            size_t kl =
                kv_enc_key(k, sizeof(k), p[i]->keymustexist->key.data, p[i]->keymustexist->key.len);
            rc = seal_tx_require_exists(tx, k, kl);
            break;
        }
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_NOT_EXIST: {
            size_t kl = kv_enc_key(k, sizeof(k), p[i]->keymustnotexist->key.data,
                                   p[i]->keymustnotexist->key.len);
            rc = seal_tx_require_absent(tx, k, kl);
            break;
        }
        case IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_NOT_MODIFIED_AFTER_TX: {
            size_t kl = kv_enc_key(k, sizeof(k), p[i]->keynotmodifiedaftertx->key.data,
                                   p[i]->keynotmodifiedaftertx->key.len);
            rc = seal_tx_require_not_modified_after(tx, k, kl, p[i]->keynotmodifiedaftertx->txid);
            break;
        }
        default:
            rc = SEAL_EINVAL;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int fk_add_kv(seal_tx *tx, const Immudb__Schema__KeyValue *kv)
{
    uint8_t k[1100];
    size_t kl = kv_enc_key(k, sizeof(k), kv->key.data, kv->key.len);
    uint8_t *v = malloc(kv->value.len + 1);
    size_t vl = kv_enc_value(v, kv->value.len + 1, kv->value.data, kv->value.len);
    seal_kvmd md = {0};
    if (kv->metadata) {
        md.non_indexable = kv->metadata->nonindexable;
        if (kv->metadata->expiration) {
            md.has_expires = 1;
            md.expires_at = kv->metadata->expiration->expiresat;
        }
    }
    int rc = seal_tx_add(tx, k, kl, v, vl, kv->metadata ? &md : NULL);
    free(v);
    return rc;
}

static int fk_add_ref(fk_server *f, seal_tx *tx, const Immudb__Schema__ReferenceRequest *r)
{
    if ((r->attx == 0 && r->boundref) || (r->attx > 0 && !r->boundref))
        return SEAL_EINVAL;
    uint8_t k[1100], v[1200];
    size_t rl = kv_enc_key(k, sizeof(k), r->referencedkey.data, r->referencedkey.len);
    seal_entry e;
    int rc = seal_get(f->st, k, rl, NULL, 0, 0, &e);
    if (rc)
        return rc;
    seal_entry_clear(&e);
    size_t kl = kv_enc_key(k, sizeof(k), r->key.data, r->key.len);
    size_t vl =
        kv_enc_ref_value(v, sizeof(v), r->referencedkey.data, r->referencedkey.len, r->attx);
    return seal_tx_add(tx, k, kl, v, vl, NULL);
}

static int fk_add_zadd(fk_server *f, seal_tx *tx, const Immudb__Schema__ZAddRequest *r)
{
    if ((r->attx == 0 && r->boundref) || (r->attx > 0 && !r->boundref))
        return SEAL_EINVAL;
    uint8_t k[1100], zk[1300];
    size_t kl = kv_enc_key(k, sizeof(k), r->key.data, r->key.len);
    seal_entry e;
    int rc = seal_get(f->st, k, kl, NULL, 0, 0, &e);
    if (rc)
        return rc;
    seal_entry_clear(&e);
    size_t zl = kv_enc_zkey(zk, sizeof(zk), r->set.data, r->set.len, r->score, r->key.data,
                            r->key.len, r->attx);
    return seal_tx_add(tx, zk, zl, "", 0, NULL);
}

/* Commits |tx|; *id gets the tx id. */
static int fk_commit(fk_server *f, seal_tx *tx, uint64_t *id, Immudb__Schema__TxHeader **hdr,
                     fk_arena *a)
{
    seal_txhdr h;
    int rc = seal_tx_commit(f->st, tx, &h);
    seal_tx_free(tx);
    if (rc)
        return rc;
    *id = h.id;
    if (hdr) {
        mt_txhdr m;
        fk_hdr_to_mt(&h, &m);
        *hdr = pb_hdr(a, &m);
    }
    return seal_index_wait(f->st, h.id, 10000);
}

#define FK_LOCK(f)   pthread_mutex_lock(&(f)->mu)
#define FK_UNLOCK(f) pthread_mutex_unlock(&(f)->mu)

static int h_set(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__SetRequest *r = (const void *)req;
    fk_arena a = {0};
    seal_tx *tx;
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    for (size_t i = 0; rc == 0 && i < r->n_kvs; i++)
        rc = fk_add_kv(tx, r->kvs[i]);
    if (rc == 0)
        rc = fk_add_pre(tx, r->preconditions, r->n_preconditions);
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    FK_UNLOCK(f);
    rc = rc ? fk_err(c, rc) : gs_send(c, &h->base);
    ar_free(&a);
    return rc;
}

static int h_vset(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__VerifiableSetRequest *vr = (const void *)req;
    const Immudb__Schema__SetRequest *r = vr->setrequest;
    fk_arena a = {0};
    seal_tx *tx;
    if (!r)
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments");
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    for (size_t i = 0; rc == 0 && i < r->n_kvs; i++)
        rc = fk_add_kv(tx, r->kvs[i]);
    if (rc == 0)
        rc = fk_add_pre(tx, r->preconditions, r->n_preconditions);
    uint64_t id;
    Immudb__Schema__VerifiableTx *vt = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, NULL, &a);
    else
        seal_tx_free(tx);
    if (rc == 0)
        rc = fk_build_vtx(f, &a, vr->provesincetx ? vr->provesincetx : id, id, true, &vt);
    FK_UNLOCK(f);
    if (rc == 0)
        fk_tamper_vtx(f, vt, true);
    rc = rc ? fk_err(c, rc) : gs_send(c, &vt->base);
    ar_free(&a);
    return rc;
}

static int h_ref_common(gs_call *c, fk_server *f, const Immudb__Schema__ReferenceRequest *r,
                        uint64_t since, bool verifiable)
{
    fk_arena a = {0};
    seal_tx *tx;
    if (!r)
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments");
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    if (rc == 0)
        rc = fk_add_ref(f, tx, r);
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    Immudb__Schema__VerifiableTx *vt = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    if (rc == 0 && verifiable)
        rc = fk_build_vtx(f, &a, since ? since : id, id, true, &vt);
    FK_UNLOCK(f);
    if (rc == 0 && verifiable)
        fk_tamper_vtx(f, vt, true);
    rc = rc ? fk_err(c, rc) : gs_send(c, verifiable ? &vt->base : &h->base);
    ar_free(&a);
    return rc;
}

static int h_ref(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return h_ref_common(c, ud, (const void *)req, 0, false);
}

static int h_vref(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const Immudb__Schema__VerifiableReferenceRequest *r = (const void *)req;
    return h_ref_common(c, ud, r->referencerequest, r->provesincetx, true);
}

static int h_zadd_common(gs_call *c, fk_server *f, const Immudb__Schema__ZAddRequest *r,
                         uint64_t since, bool verifiable)
{
    fk_arena a = {0};
    seal_tx *tx;
    if (!r)
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments");
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    if (rc == 0)
        rc = fk_add_zadd(f, tx, r);
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    Immudb__Schema__VerifiableTx *vt = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    if (rc == 0 && verifiable)
        rc = fk_build_vtx(f, &a, since ? since : id, id, true, &vt);
    FK_UNLOCK(f);
    if (rc == 0 && verifiable)
        fk_tamper_vtx(f, vt, true);
    rc = rc ? fk_err(c, rc) : gs_send(c, verifiable ? &vt->base : &h->base);
    ar_free(&a);
    return rc;
}

static int h_zadd(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return h_zadd_common(c, ud, (const void *)req, 0, false);
}

static int h_vzadd(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    const Immudb__Schema__VerifiableZAddRequest *r = (const void *)req;
    return h_zadd_common(c, ud, r->zaddrequest, r->provesincetx, true);
}

static int h_exec_all(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__ExecAllRequest *r = (const void *)req;
    fk_arena a = {0};
    seal_tx *tx;
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    for (size_t i = 0; rc == 0 && i < r->n_operations; i++) {
        const Immudb__Schema__Op *op = r->operations[i];
        switch (op->operation_case) {
        case IMMUDB__SCHEMA__OP__OPERATION_KV:
            rc = fk_add_kv(tx, op->kv);
            break;
        case IMMUDB__SCHEMA__OP__OPERATION_Z_ADD:
            rc = fk_add_zadd(f, tx, op->zadd);
            break;
        case IMMUDB__SCHEMA__OP__OPERATION_REF:
            rc = fk_add_ref(f, tx, op->ref);
            break;
        default:
            rc = SEAL_EINVAL;
        }
    }
    if (rc == 0)
        rc = fk_add_pre(tx, r->preconditions, r->n_preconditions);
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    FK_UNLOCK(f);
    rc = rc ? fk_err(c, rc) : gs_send(c, &h->base);
    ar_free(&a);
    return rc;
}

static int h_delete(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__DeleteKeysRequest *r = (const void *)req;
    fk_arena a = {0};
    seal_tx *tx;
    FK_LOCK(f);
    int rc = seal_tx_new(f->st, &tx);
    for (size_t i = 0; rc == 0 && i < r->n_keys; i++) {
        uint8_t k[1100];
        size_t kl = kv_enc_key(k, sizeof(k), r->keys[i].data, r->keys[i].len);
        seal_entry e;
        rc = seal_get(f->st, k, kl, NULL, 0, 0, &e);
        if (rc == 0) {
            seal_entry_clear(&e);
            seal_kvmd md = {.deleted = 1};
            rc = seal_tx_add(tx, k, kl, "", 0, &md);
        }
    }
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    FK_UNLOCK(f);
    rc = rc ? fk_err(c, rc) : gs_send(c, &h->base);
    ar_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- reads */
/* Looks |key| (user key) up like immudb's getAtTx with one level of
 * reference resolution. *ref gets the reference entry when there was one. */
static int fk_lookup(fk_server *f, const uint8_t *key, size_t key_len,
                     const Immudb__Schema__KeyRequest *r, seal_entry *out, seal_entry *ref,
                     bool *is_ref, kv_value *kvv)
{
    uint8_t k[1100];
    size_t kl = kv_enc_key(k, sizeof(k), key, key_len);
    seal_get_opts o = {0};
    if (r) {
        o.at_tx = r->attx;
        o.revision = r->atrevision;
    }
    seal_entry e;
    int rc = seal_get(f->st, k, kl, &o, r ? r->sincetx : 0, r ? r->nowait : 0, &e);
    if (rc)
        return rc;
    if (e.md.deleted) {
        seal_entry_clear(&e);
        return SEAL_ENOTFOUND;
    }
    rc = kv_dec_value(kvv, e.value, e.value_len);
    if (rc) {
        seal_entry_clear(&e);
        return rc;
    }
    *is_ref = kvv->is_ref;
    if (!kvv->is_ref) {
        *out = e;
        return 0;
    }
    uint8_t rk[1100];
    size_t rkl = kv_enc_key(rk, sizeof(rk), kvv->data, kvv->len);
    seal_get_opts ro = {.at_tx = kvv->ref_at_tx};
    rc = seal_get(f->st, rk, rkl, &ro, 0, 0, out);
    if (rc) {
        seal_entry_clear(&e);
        return rc;
    }
    *ref = e;
    /* kvv borrowed from e.value: keep its fields valid through *ref */
    return 0;
}

static Immudb__Schema__Entry *pb_resolved(fk_arena *a, const seal_entry *e, const seal_entry *ref,
                                          bool is_ref, const kv_value *kvv)
{
    Immudb__Schema__Entry *m = pb_entry(a, e);
    if (is_ref) {
        Immudb__Schema__Reference *rb =
            AR_NEW(a, Immudb__Schema__Reference, immudb__schema__reference__init);
        rb->tx = ref->tx;
        rb->key = ar_bin(a, ref->key + 1, ref->key_len - 1);
        rb->attx = kvv->ref_at_tx;
        rb->metadata = pb_md(a, &ref->md);
        rb->revision = ref->revision;
        m->referencedby = rb;
    }
    return m;
}

static int h_get(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__KeyRequest *r = (const void *)req;
    fk_arena a = {0};
    seal_entry e = {0}, ref = {0};
    bool is_ref = false;
    kv_value kvv;
    FK_LOCK(f);
    int rc = fk_lookup(f, r->key.data, r->key.len, r, &e, &ref, &is_ref, &kvv);
    FK_UNLOCK(f);
    if (rc == 0)
        rc = gs_send(c, &pb_resolved(&a, &e, &ref, is_ref, &kvv)->base);
    else
        rc = fk_err(c, rc);
    seal_entry_clear(&e);
    seal_entry_clear(&ref);
    ar_free(&a);
    return rc;
}

static int fk_send_msg(gs_call *c, const uint8_t *p, size_t n);
static int fk_send_pb(gs_call *c, const ProtobufCMessage *m);

/* VerifiableGet, or streamVerifiableGet (|stream|: Entry{tx, key,
 * referencedBy}, VerifiableTx, InclusionProof, value as stream messages). */
static int fk_vget(gs_call *c, const ProtobufCMessage *req, void *ud, bool stream)
{
    fk_server *f = ud;
    const Immudb__Schema__VerifiableGetRequest *vr = (const void *)req;
    const Immudb__Schema__KeyRequest *r = vr->keyrequest;
    if (!r)
        return gs_error(c, GW_INVALID_ARGUMENT, "illegal arguments");
    fk_arena a = {0};
    seal_entry e = {0}, ref = {0};
    bool is_ref = false;
    kv_value kvv;
    Immudb__Schema__VerifiableEntry *ve = NULL;
    FK_LOCK(f);
    int rc = fk_lookup(f, r->key.data, r->key.len, r, &e, &ref, &is_ref, &kvv);
    if (rc == 0) {
        uint64_t vtx = r->attx ? r->attx : (is_ref ? ref.tx : e.tx);
        uint8_t k[1100];
        size_t kl = kv_enc_key(k, sizeof(k), r->key.data, r->key.len);
        seal_entry_proof ep;
        rc = seal_entry_proof_build(f->st, vtx, k, kl, &ep);
        Immudb__Schema__VerifiableTx *vt = NULL;
        if (rc == 0) {
            rc = fk_build_vtx(f, &a, vr->provesincetx, vtx, false, &vt);
            ve =
                AR_NEW(&a, Immudb__Schema__VerifiableEntry, immudb__schema__verifiable_entry__init);
            ve->entry = pb_resolved(&a, &e, &ref, is_ref, &kvv);
            ve->verifiabletx = vt;
            ve->inclusionproof =
                AR_NEW(&a, Immudb__Schema__InclusionProof, immudb__schema__inclusion_proof__init);
            ve->inclusionproof->leaf = (int32_t)ep.leaf;
            ve->inclusionproof->width = (int32_t)ep.width;
            ve->inclusionproof->terms =
                pb_terms(&a, ep.terms.h, ep.terms.n, &ve->inclusionproof->n_terms);
            seal_entry_proof_free(&ep);
        }
    }
    FK_UNLOCK(f);
    if (rc == 0) {
        fk_tamper_vtx(f, ve->verifiabletx, false);
        if (atomic_load(&f->tamper) == FK_VALUE && ve->entry->value.len)
            ve->entry->value.data[0] ^= 0x01;
        if (!stream) {
            rc = gs_send(c, &ve->base);
        } else {
            Immudb__Schema__Entry ev;
            immudb__schema__entry__init(&ev);
            ev.tx = ve->entry->tx;
            ev.key = ve->entry->key;
            ev.referencedby = ve->entry->referencedby;
            rc = fk_send_pb(c, &ev.base);
            if (rc == 0)
                rc = fk_send_pb(c, &ve->verifiabletx->base);
            if (rc == 0)
                rc = fk_send_pb(c, &ve->inclusionproof->base);
            if (rc == 0)
                rc = fk_send_msg(c, ve->entry->value.data, ve->entry->value.len);
        }
    } else {
        rc = fk_err(c, rc);
    }
    seal_entry_clear(&e);
    seal_entry_clear(&ref);
    ar_free(&a);
    return rc;
}

static int h_vget(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return fk_vget(c, req, ud, false);
}

static int h_stream_vget(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    return fk_vget(c, req, ud, true);
}

static int h_get_all(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__KeyListRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__Entries m;
    immudb__schema__entries__init(&m);
    m.entries = ar_alloc(&a, (r->n_keys + 1) * sizeof(void *));
    FK_LOCK(f);
    for (size_t i = 0; i < r->n_keys; i++) {
        seal_entry e = {0}, ref = {0};
        bool is_ref = false;
        kv_value kvv;
        if (fk_lookup(f, r->keys[i].data, r->keys[i].len, NULL, &e, &ref, &is_ref, &kvv) == 0)
            m.entries[m.n_entries++] = pb_resolved(&a, &e, &ref, is_ref, &kvv);
        seal_entry_clear(&e);
        seal_entry_clear(&ref);
    }
    FK_UNLOCK(f);
    int rc = gs_send(c, &m.base);
    ar_free(&a);
    return rc;
}

typedef struct fk_scan {
    fk_arena *a;
    Immudb__Schema__Entries *m;
    size_t cap;
} fk_scan;

static int fk_scan_cb(void *arg, const seal_entry *e)
{
    fk_scan *s = arg;
    if (s->m->n_entries == s->cap) {
        void **old = (void **)s->m->entries;
        s->cap = s->cap * 2 + 8;
        s->m->entries = ar_alloc(s->a, s->cap * sizeof(void *));
        if (old)
            memcpy(s->m->entries, old, s->m->n_entries * sizeof(void *));
    }
    s->m->entries[s->m->n_entries++] = pb_entry(s->a, e);
    return 0;
}

static int h_scan(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__ScanRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__Entries m;
    immudb__schema__entries__init(&m);
    uint8_t pfx[1100], seek[1100];
    size_t pl = kv_enc_key(pfx, sizeof(pfx), r->prefix.data, r->prefix.len);
    size_t sl = kv_enc_key(seek, sizeof(seek), r->seekkey.data, r->seekkey.len);
    seal_scan_opts o = {.prefix = pfx,
                        .prefix_len = pl,
                        .seek_key = r->seekkey.len ? seek : NULL,
                        .seek_len = sl,
                        .seek_exclusive = r->seekkey.len && !r->inclusiveseek,
                        .desc = r->desc,
                        .limit = r->limit,
                        .with_values = 1};
    fk_scan s = {&a, &m, 0};
    seal_snap *sn;
    FK_LOCK(f);
    int rc = seal_snap_begin(f->st, 0, 0, 10000, &sn);
    if (rc == 0) {
        rc = seal_snap_scan(sn, &o, fk_scan_cb, &s);
        seal_snap_end(sn);
    }
    FK_UNLOCK(f);
    rc = rc ? fk_err(c, rc) : gs_send(c, &m.base);
    ar_free(&a);
    return rc;
}

static int h_count(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__KeyPrefix *r = (const void *)req;
    uint8_t pfx[1100];
    size_t pl = kv_enc_key(pfx, sizeof(pfx), r->prefix.data, r->prefix.len);
    seal_snap *sn;
    Immudb__Schema__EntryCount m;
    immudb__schema__entry_count__init(&m);
    FK_LOCK(f);
    int rc = seal_snap_begin(f->st, 0, 0, 10000, &sn);
    if (rc == 0) {
        rc = seal_snap_count(sn, pfx, pl, &m.count);
        seal_snap_end(sn);
    }
    FK_UNLOCK(f);
    return rc ? fk_err(c, rc) : gs_send(c, &m.base);
}

static int h_history(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__HistoryRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__Entries m;
    immudb__schema__entries__init(&m);
    uint8_t k[1100];
    size_t kl = kv_enc_key(k, sizeof(k), r->key.data, r->key.len);
    seal_snap *sn;
    seal_entry *es = NULL;
    size_t n = 0;
    FK_LOCK(f);
    int rc = seal_snap_begin(f->st, 0, 0, 10000, &sn);
    if (rc == 0) {
        rc = seal_snap_history(sn, k, kl, r->offset, r->limit > 0 ? (uint64_t)r->limit : 0, r->desc,
                               1, &es, &n);
        seal_snap_end(sn);
    }
    FK_UNLOCK(f);
    if (rc == 0) {
        m.n_entries = n;
        m.entries = ar_alloc(&a, (n + 1) * sizeof(void *));
        for (size_t i = 0; i < n; i++)
            m.entries[i] = pb_entry(&a, &es[i]);
        rc = gs_send(c, &m.base);
    } else {
        rc = fk_err(c, rc);
    }
    seal_entries_free(es, n);
    ar_free(&a);
    return rc;
}

typedef struct fk_zscan {
    fk_server *f;
    fk_arena *a;
    Immudb__Schema__ZEntries *m;
    size_t cap;
} fk_zscan;

static int fk_zscan_cb(void *arg, const seal_entry *e)
{
    fk_zscan *s = arg;
    kv_zkey z;
    if (kv_dec_zkey(&z, e->key, e->key_len) != 0)
        return 0;
    uint8_t k[1100];
    size_t kl = kv_enc_key(k, sizeof(k), z.key, z.key_len);
    seal_get_opts o = {.at_tx = z.at_tx};
    seal_entry me;
    if (seal_get(s->f->st, k, kl, &o, 0, 1, &me) != 0)
        return 0;
    if (s->m->n_entries == s->cap) {
        void **old = (void **)s->m->entries;
        s->cap = s->cap * 2 + 8;
        s->m->entries = ar_alloc(s->a, s->cap * sizeof(void *));
        if (old)
            memcpy(s->m->entries, old, s->m->n_entries * sizeof(void *));
    }
    Immudb__Schema__ZEntry *ze = AR_NEW(s->a, Immudb__Schema__ZEntry, immudb__schema__zentry__init);
    ze->set = ar_bin(s->a, z.set, z.set_len);
    ze->key = ar_bin(s->a, z.key, z.key_len);
    ze->score = z.score;
    ze->attx = z.at_tx;
    ze->entry = pb_entry(s->a, &me);
    seal_entry_clear(&me);
    s->m->entries[s->m->n_entries++] = ze;
    return 0;
}

static int h_zscan(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__ZScanRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__ZEntries m;
    immudb__schema__zentries__init(&m);
    uint8_t pfx[1100];
    size_t pl = kv_enc_zset_prefix(pfx, sizeof(pfx), r->set.data, r->set.len);
    seal_scan_opts o = {.prefix = pfx, .prefix_len = pl, .desc = r->desc, .limit = r->limit};
    fk_zscan s = {f, &a, &m, 0};
    seal_snap *sn;
    FK_LOCK(f);
    int rc = seal_snap_begin(f->st, 0, 0, 10000, &sn);
    if (rc == 0) {
        rc = seal_snap_scan(sn, &o, fk_zscan_cb, &s);
        seal_snap_end(sn);
    }
    FK_UNLOCK(f);
    rc = rc ? fk_err(c, rc) : gs_send(c, &m.base);
    ar_free(&a);
    return rc;
}

/* --------------------------------------------------------------- streams */
#define FK_CHUNK 1000 /* small chunks: every message spans several */

static int fk_send_msg(gs_call *c, const uint8_t *p, size_t n)
{
    uint8_t buf[FK_CHUNK];
    size_t off = 0;
    bool first = true;
    do {
        size_t k = 0;
        if (first) {
            seal_put_u64(buf, n);
            k = 8;
        }
        size_t take = SEAL_MIN(FK_CHUNK - k, n - off);
        memcpy(buf + k, p + off, take);
        off += take;
        k += take;
        Immudb__Schema__Chunk ch;
        immudb__schema__chunk__init(&ch);
        ch.content.data = buf;
        ch.content.len = k;
        int rc = gs_send(c, &ch.base);
        if (rc)
            return rc;
        first = false;
    } while (off < n);
    return 0;
}

static int h_stream_get(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__KeyRequest *r = (const void *)req;
    seal_entry e = {0}, ref = {0};
    bool is_ref = false;
    kv_value kvv;
    FK_LOCK(f);
    int rc = fk_lookup(f, r->key.data, r->key.len, r, &e, &ref, &is_ref, &kvv);
    FK_UNLOCK(f);
    if (rc == 0) {
        rc = fk_send_msg(c, e.key + 1, e.key_len - 1);
        if (rc == 0)
            rc = fk_send_msg(c, e.value + 1, e.value_len - 1);
    } else {
        rc = fk_err(c, rc);
    }
    seal_entry_clear(&e);
    seal_entry_clear(&ref);
    return rc;
}

/* An encoded message as one stream message. */
static int fk_send_pb(gs_call *c, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return SEAL_ENOMEM;
    protobuf_c_message_pack(m, b);
    int rc = fk_send_msg(c, b, n);
    free(b);
    return rc;
}

/* The concatenated chunk contents of a client stream (*all: free()). */
static int fk_recv_all(gs_call *c, uint8_t **all, size_t *nall)
{
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    int rc;
    for (;;) {
        uint8_t *p;
        size_t pn;
        rc = gs_recv_raw(c, &p, &pn);
        if (rc <= 0)
            break;
        Immudb__Schema__Chunk *ch = immudb__schema__chunk__unpack(NULL, pn, p);
        seal_free(p);
        if (!ch) {
            rc = SEAL_EPROTOCOL;
            break;
        }
        if (n + ch->content.len > cap) {
            cap = (n + ch->content.len) * 2;
            b = realloc(b, cap);
        }
        memcpy(b + n, ch->content.data, ch->content.len);
        n += ch->content.len;
        immudb__schema__chunk__free_unpacked(ch, NULL);
    }
    if (rc < 0) {
        free(b);
        return rc;
    }
    *all = b;
    *nall = n;
    return 0;
}

static int h_stream_vset(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    (void)req;
    uint8_t *all = NULL;
    size_t n = 0, off = 0;
    int rc = fk_recv_all(c, &all, &n);
    if (rc)
        return rc;
    ProtobufCBinaryData m[3];
    for (int i = 0; i < 3; i++) {
        if (n - off < 8 || n - off - 8 < seal_get_u64(all + off)) {
            free(all);
            return gs_error(c, GW_UNKNOWN, "unexpected EOF");
        }
        m[i].len = seal_get_u64(all + off);
        m[i].data = all + off + 8;
        off += 8 + m[i].len;
    }
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = m[1];
    kv.value = m[2];
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest sr;
    immudb__schema__set_request__init(&sr);
    sr.n_kvs = 1;
    sr.kvs = kvs;
    Immudb__Schema__VerifiableSetRequest vr;
    immudb__schema__verifiable_set_request__init(&vr);
    vr.setrequest = &sr;
    vr.provesincetx = m[0].len == 8 ? seal_get_u64(m[0].data) : 0;
    rc = h_vset(c, &vr.base, ud);
    free(all);
    return rc;
}

static int h_stream_set(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    uint8_t *all = NULL;
    size_t n = 0, cap = 0;
    int rc;
    for (;;) {
        uint8_t *p;
        size_t pn;
        rc = gs_recv_raw(c, &p, &pn);
        if (rc <= 0)
            break;
        Immudb__Schema__Chunk *ch = immudb__schema__chunk__unpack(NULL, pn, p);
        seal_free(p);
        if (!ch) {
            rc = SEAL_EPROTOCOL;
            break;
        }
        if (n + ch->content.len > cap) {
            cap = (n + ch->content.len) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + n, ch->content.data, ch->content.len);
        n += ch->content.len;
        immudb__schema__chunk__free_unpacked(ch, NULL);
    }
    if (rc < 0) {
        free(all);
        return rc;
    }
    fk_arena a = {0};
    seal_tx *tx;
    FK_LOCK(f);
    rc = seal_tx_new(f->st, &tx);
    size_t off = 0;
    while (rc == 0 && off < n) {
        Immudb__Schema__KeyValue kv;
        immudb__schema__key_value__init(&kv);
        for (int part = 0; part < 2 && rc == 0; part++) {
            if (n - off < 8 || n - off - 8 < seal_get_u64(all + off)) {
                rc = SEAL_EPROTOCOL;
                break;
            }
            size_t len = seal_get_u64(all + off);
            ProtobufCBinaryData b = {.len = len, .data = all + off + 8};
            if (part == 0)
                kv.key = b;
            else
                kv.value = b;
            off += 8 + len;
        }
        if (rc == 0)
            rc = fk_add_kv(tx, &kv);
    }
    uint64_t id;
    Immudb__Schema__TxHeader *h = NULL;
    if (rc == 0)
        rc = fk_commit(f, tx, &id, &h, &a);
    else
        seal_tx_free(tx);
    FK_UNLOCK(f);
    free(all);
    rc = rc ? fk_err(c, rc) : gs_send(c, &h->base);
    ar_free(&a);
    return rc;
}

/* ------------------------------------------------------------------- txs */
static bool spec_excludes(const Immudb__Schema__EntriesSpec *es)
{
    return es && (!es->kventriesspec ||
                  es->kventriesspec->action == IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__EXCLUDE);
}

static Immudb__Schema__VerifiableTx *fk_chain_vtx(fk_server *f, fk_arena *a, uint64_t since,
                                                  uint64_t id, bool entries);

static int h_vtx(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__VerifiableTxRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__VerifiableTx *vt = NULL;
    atomic_fetch_add(&f->n_vtx, 1);
    FK_LOCK(f);
    int rc = 0;
    if (f->chain) {
        if (r->tx == 0 || r->tx > f->chain->n || r->provesincetx > f->chain->n)
            rc = SEAL_ENOTFOUND;
        else
            vt = fk_chain_vtx(f, &a, r->provesincetx, r->tx, !spec_excludes(r->entriesspec));
    } else {
        rc = fk_build_vtx(f, &a, r->provesincetx, r->tx, !spec_excludes(r->entriesspec), &vt);
    }
    FK_UNLOCK(f);
    if (rc == 0) {
        fk_tamper_vtx(f, vt, true);
        rc = gs_send(c, &vt->base);
    } else {
        rc = gs_error(c, GW_NOT_FOUND, "tx not found");
    }
    ar_free(&a);
    return rc;
}

static int h_tx(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__TxRequest *r = (const void *)req;
    fk_arena a = {0};
    seal_txinfo *ti = NULL;
    FK_LOCK(f);
    int rc = seal_tx_read(f->st, r->tx, 0, &ti);
    FK_UNLOCK(f);
    if (rc == 0)
        rc = gs_send(c, &pb_tx(&a, ti, true)->base);
    else
        rc = gs_error(c, GW_NOT_FOUND, "tx not found");
    seal_txinfo_free(ti);
    ar_free(&a);
    return rc;
}

static int h_tx_scan(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__TxScanRequest *r = (const void *)req;
    fk_arena a = {0};
    Immudb__Schema__TxList m;
    immudb__schema__tx_list__init(&m);
    uint32_t limit = r->limit ? r->limit : 1000;
    m.txs = ar_alloc(&a, (limit + 1) * sizeof(void *));
    uint64_t last;
    uint8_t alh[32];
    FK_LOCK(f);
    seal_state(f->st, &last, alh);
    for (uint64_t i = 0; i < limit; i++) {
        uint64_t id = r->desc ? r->initialtx - i : r->initialtx + i;
        if (id == 0 || id > last)
            break;
        seal_txinfo *ti = NULL;
        if (seal_tx_read(f->st, id, 0, &ti) != 0)
            break;
        m.txs[m.n_txs++] = pb_tx(&a, ti, true);
        seal_txinfo_free(ti);
    }
    FK_UNLOCK(f);
    int rc = gs_send(c, &m.base);
    ar_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- state */
static int h_state(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    fk_arena a = {0};
    uint64_t tx;
    uint8_t alh[32];
    FK_LOCK(f);
    if (f->chain) {
        tx = f->chain->n;
        memcpy(alh, f->chain->alh[tx], 32);
    } else {
        seal_state(f->st, &tx, alh);
        int rw = atomic_load(&f->rewind);
        if (rw > 0 && (uint64_t)rw <= tx) {
            tx -= (uint64_t)rw;
            if (tx == 0) {
                memcpy(alh, MT_EMPTY_HASH, 32);
            } else {
                seal_txinfo *ti = NULL;
                CHECK_OK(seal_tx_read(f->st, tx, 0, &ti));
                memcpy(alh, ti->hdr.alh, 32);
                seal_txinfo_free(ti);
            }
        }
    }
    FK_UNLOCK(f);
    Immudb__Schema__ImmutableState m;
    immudb__schema__immutable_state__init(&m);
    m.db = f->db;
    m.txid = tx;
    m.txhash = ar_bin(&a, alh, 32);
    m.signature = fk_sign(f, &a, tx, alh);
    if (atomic_load(&f->tamper) == FK_STATE)
        m.txhash.data[7] ^= 0x01;
    int rc = gs_send(c, &m.base);
    ar_free(&a);
    return rc;
}

/* ----------------------------------------------------------------- auth */
static int h_login(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__LoginRequest *r = (const void *)req;
    if (r->password.len != 6 || memcmp(r->password.data, "secret", 6) != 0)
        return gs_error(c, GW_UNAUTHENTICATED, "invalid user name or password");
    Immudb__Schema__LoginResponse m;
    immudb__schema__login_response__init(&m);
    snprintf(f->token, sizeof(f->token), "tok-%.*s-defaultdb", (int)r->user.len,
             (const char *)r->user.data);
    snprintf(f->db, sizeof(f->db), "defaultdb");
    m.token = f->token;
    m.warning.data = (uint8_t *)(uintptr_t) "change the password";
    m.warning.len = 19;
    return gs_send(c, &m.base);
}

static int h_use_db(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__Database *r = (const void *)req;
    Immudb__Schema__UseDatabaseReply m;
    immudb__schema__use_database_reply__init(&m);
    snprintf(f->token, sizeof(f->token), "tok-db-%s", r->databasename);
    snprintf(f->db, sizeof(f->db), "%s", r->databasename);
    m.token = f->token;
    return gs_send(c, &m.base);
}

static int h_empty_ok(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    Google__Protobuf__Empty m;
    google__protobuf__empty__init(&m);
    return gs_send(c, &m.base);
}

static int h_logout(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    f->token[0] = 0;
    return h_empty_ok(c, req, ud);
}

static int h_open_session(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__OpenSessionRequest *r = (const void *)req;
    if (r->password.len != 6 || memcmp(r->password.data, "secret", 6) != 0)
        return gs_error(c, GW_UNAUTHENTICATED, "invalid user name or password");
    Immudb__Schema__OpenSessionResponse m;
    immudb__schema__open_session_response__init(&m);
    snprintf(f->session, sizeof(f->session), "sess-%s", r->databasename);
    snprintf(f->db, sizeof(f->db), "%s", r->databasename);
    m.sessionid = f->session;
    m.serveruuid = f->uuid;
    return gs_send(c, &m.base);
}

static int h_close_session(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    f->session[0] = 0;
    return h_empty_ok(c, req, ud);
}

static int fk_intercept(gs_call *c, const gs_method *m, void *ud)
{
    fk_server *f = ud;
    const char *auth = gs_call_header(c, "authorization");
    snprintf(f->last_auth, sizeof(f->last_auth), "%s", auth ? auth : "");
    if (!atomic_load(&f->require_auth))
        return 0;
    const char *p = gs_call_path(c);
    if (strstr(p, "/Login") || strstr(p, "/OpenSession") || strstr(p, "/Health"))
        return 0;
    const char *sid = gs_call_header(c, "sessionid");
    char want[96];
    snprintf(want, sizeof(want), "Bearer %s", f->token);
    if (f->token[0] && auth && strcmp(auth, want) == 0)
        return 0;
    if (f->session[0] && sid && strcmp(sid, f->session) == 0)
        return 0;
    return gs_error(c, GW_UNAUTHENTICATED, "not logged in");
}

/* ---------------------------------------------------------------- admin */
static int h_server_info(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    Immudb__Schema__ServerInfoResponse m;
    immudb__schema__server_info_response__init(&m);
    m.version = (char *)(uintptr_t) "fake-1.0";
    m.startedat = 1700000000;
    m.numtransactions = 42;
    m.numdatabases = 2;
    m.databasesdisksize = 4096;
    return gs_send(c, &m.base);
}

static void fk_settings_str(char *out, size_t cap,
                            const Immudb__Schema__DatabaseNullableSettings *s)
{
    if (!s) {
        snprintf(out, cap, "none");
        return;
    }
    snprintf(out, cap, "hv=%d:%u keylen=%d:%u entries=%d:%u autoload=%d:%d sync=%d:%lld",
             s->writetxheaderversion != NULL,
             s->writetxheaderversion ? s->writetxheaderversion->value : 0, s->maxkeylen != NULL,
             s->maxkeylen ? s->maxkeylen->value : 0, s->maxtxentries != NULL,
             s->maxtxentries ? s->maxtxentries->value : 0, s->autoload != NULL,
             s->autoload ? s->autoload->value : 0, s->syncfrequency != NULL,
             s->syncfrequency ? (long long)s->syncfrequency->value : 0);
}

static int h_create_db(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__CreateDatabaseRequest *r = (const void *)req;
    char st[200];
    fk_settings_str(st, sizeof(st), r->settings);
    snprintf(f->last_req, sizeof(f->last_req), "create %s ifnot=%d %s", r->name, r->ifnotexists,
             st);
    if (strcmp(r->name, "defaultdb") == 0 && !r->ifnotexists)
        return gs_error(c, GW_ALREADY_EXISTS, "database already exists");
    Immudb__Schema__CreateDatabaseResponse m;
    immudb__schema__create_database_response__init(&m);
    m.name = r->name;
    m.settings = r->settings;
    m.alreadyexisted = strcmp(r->name, "defaultdb") == 0;
    return gs_send(c, &m.base);
}

static int h_update_db(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__UpdateDatabaseRequest *r = (const void *)req;
    char st[200];
    fk_settings_str(st, sizeof(st), r->settings);
    snprintf(f->last_req, sizeof(f->last_req), "update %s %s", r->database, st);
    Immudb__Schema__UpdateDatabaseResponse m;
    immudb__schema__update_database_response__init(&m);
    m.database = r->database;
    m.settings = r->settings;
    return gs_send(c, &m.base);
}

static int h_db_settings(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    Immudb__Schema__DatabaseSettingsResponse m;
    immudb__schema__database_settings_response__init(&m);
    Immudb__Schema__DatabaseNullableSettings s;
    immudb__schema__database_nullable_settings__init(&s);
    Immudb__Schema__NullableUint32 hv;
    immudb__schema__nullable_uint32__init(&hv);
    Immudb__Schema__NullableUint32 kl;
    immudb__schema__nullable_uint32__init(&kl);
    hv.value = 1;
    kl.value = 1024;
    s.writetxheaderversion = &hv;
    s.maxkeylen = &kl;
    m.database = f->db;
    m.settings = &s;
    return gs_send(c, &m.base);
}

static int h_db_list(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    Immudb__Schema__DatabaseListResponseV2 m;
    immudb__schema__database_list_response_v2__init(&m);
    Immudb__Schema__DatabaseInfo d1, d2;
    immudb__schema__database_info__init(&d1);
    immudb__schema__database_info__init(&d2);
    Immudb__Schema__DatabaseInfo *dv[2] = {&d1, &d2};
    Immudb__Schema__DatabaseNullableSettings s;
    immudb__schema__database_nullable_settings__init(&s);
    Immudb__Schema__NullableUint32 hv;
    immudb__schema__nullable_uint32__init(&hv);
    hv.value = 0;
    s.writetxheaderversion = &hv;
    d1.name = (char *)(uintptr_t) "defaultdb";
    d1.loaded = 1;
    d1.disksize = 1234;
    d1.numtransactions = 7;
    d1.created_at = 1700000001;
    d1.created_by = (char *)(uintptr_t) "immudb";
    d2.name = (char *)(uintptr_t) "olddb";
    d2.settings = &s;
    m.n_databases = 2;
    m.databases = dv;
    return gs_send(c, &m.base);
}

static int h_db_op(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__LoadDatabaseRequest *r = (const void *)req; /* same layout */
    const char *p = gs_call_path(c);
    snprintf(f->last_req, sizeof(f->last_req), "%s %s", strrchr(p, '/') + 1, r->database);
    if (strcmp(r->database, "missing") == 0)
        return gs_error(c, GW_NOT_FOUND, "database does not exist");
    Immudb__Schema__LoadDatabaseResponse m;
    immudb__schema__load_database_response__init(&m);
    m.database = r->database;
    return gs_send(c, &m.base);
}

static int h_create_user(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__CreateUserRequest *r = (const void *)req;
    snprintf(f->last_req, sizeof(f->last_req), "createuser %.*s %.*s %u %s", (int)r->user.len,
             (const char *)r->user.data, (int)r->password.len, (const char *)r->password.data,
             r->permission, r->database);
    return h_empty_ok(c, req, ud);
}

static int h_change_pw(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__ChangePasswordRequest *r = (const void *)req;
    snprintf(f->last_req, sizeof(f->last_req), "chpw %.*s %.*s %.*s", (int)r->user.len,
             (const char *)r->user.data, (int)r->oldpassword.len, (const char *)r->oldpassword.data,
             (int)r->newpassword.len, (const char *)r->newpassword.data);
    return h_empty_ok(c, req, ud);
}

static int h_change_perm(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__ChangePermissionRequest *r = (const void *)req;
    snprintf(f->last_req, sizeof(f->last_req), "chperm %d %s %s %u", (int)r->action, r->username,
             r->database, r->permission);
    return h_empty_ok(c, req, ud);
}

static int h_set_active(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    fk_server *f = ud;
    const Immudb__Schema__SetActiveUserRequest *r = (const void *)req;
    snprintf(f->last_req, sizeof(f->last_req), "active %s %d", r->username, r->active);
    return h_empty_ok(c, req, ud);
}

static int h_list_users(gs_call *c, const ProtobufCMessage *req, void *ud)
{
    Immudb__Schema__UserList m;
    immudb__schema__user_list__init(&m);
    Immudb__Schema__User u;
    immudb__schema__user__init(&u);
    Immudb__Schema__User *uv[1] = {&u};
    Immudb__Schema__Permission p1, p2;
    immudb__schema__permission__init(&p1);
    immudb__schema__permission__init(&p2);
    Immudb__Schema__Permission *pv[2] = {&p1, &p2};
    p1.database = (char *)(uintptr_t) "defaultdb";
    p1.permission = 2;
    p2.database = (char *)(uintptr_t) "olddb";
    p2.permission = 1;
    u.user.data = (uint8_t *)(uintptr_t) "alice";
    u.user.len = 5;
    u.n_permissions = 2;
    u.permissions = pv;
    u.createdby = (char *)(uintptr_t) "immudb";
    u.createdat = (char *)(uintptr_t) "2024-01-01";
    u.active = 1;
    m.n_users = 1;
    m.users = uv;
    return gs_send(c, &m.base);
}

/* --------------------------------------------------------- synthetic chain */
static int fkc_header(void *ctx, uint64_t id, mt_txhdr *out)
{
    fk_chain *ch = ctx;
    if (id == 0 || id > ch->n)
        return SEAL_ENOTFOUND;
    *out = ch->hdr[id];
    return 0;
}

static int fkc_alh(void *ctx, uint64_t id, mt_hash out)
{
    fk_chain *ch = ctx;
    if (id == 0 || id > ch->n)
        return SEAL_ENOTFOUND;
    memcpy(out, ch->alh[id], 32);
    return 0;
}

/* A chain of |n| one-entry txs (header version 1) whose BlTxID stays at
 * lag_from - 1 for the txs lag_from..lag_to (as immudb < 1.4.1 wrote with
 * asynchronous binary linking), and is id - 1 elsewhere. */
static fk_chain *fk_chain_build(uint64_t n, uint64_t lag_from, uint64_t lag_to)
{
    fk_chain *ch = calloc(1, sizeof(*ch));
    ch->n = n;
    ch->hdr = calloc(n + 1, sizeof(*ch->hdr));
    ch->alh = calloc(n + 1, sizeof(*ch->alh));
    ch->hval = calloc(n + 1, sizeof(*ch->hval));
    ch->key = calloc(n + 1, sizeof(*ch->key));
    mt_nodestore ns;
    CHECK_OK(mt_memnodes_new(&ch->mem, &ns));
    CHECK_OK(mt_ahtree_open(&ch->tree, &ns, 0));
    memcpy(ch->alh[0], MT_EMPTY_HASH, 32);
    for (uint64_t i = 1; i <= n; i++) {
        mt_txhdr *h = &ch->hdr[i];
        char v[32];
        int vl = snprintf(v, sizeof(v), "value-%llu", (unsigned long long)i);
        snprintf(ch->key[i], sizeof(ch->key[i]), "k%llu", (unsigned long long)i);
        uint8_t pk[17];
        pk[0] = 0;
        size_t kl = strlen(ch->key[i]);
        memcpy(pk + 1, ch->key[i], kl);
        CHECK_OK(cry_sha256(ch->hval[i], v, (size_t)vl));
        mt_hash d;
        CHECK_OK(mt_entry_digest(d, 1, NULL, 0, pk, kl + 1, ch->hval[i]));
        h->id = i;
        memcpy(h->prev_alh, ch->alh[i - 1], 32);
        h->ts = 1600000000 + (int64_t)i;
        h->nentries = 1;
        CHECK_OK(mt_htree_root(h->eh, (const mt_hash *)&d, 1));
        h->bl_tx_id = (i >= lag_from && i <= lag_to) ? lag_from - 1 : i - 1;
        if (h->bl_tx_id)
            CHECK_OK(mt_ahtree_root_at(ch->tree, h->bl_tx_id, h->bl_root));
        h->version = 1;
        CHECK_OK(mt_alh(ch->alh[i], h));
        CHECK_OK(mt_ahtree_append(ch->tree, ch->alh[i], NULL));
    }
    return ch;
}

static void fk_chain_free(fk_chain *ch)
{
    if (!ch)
        return;
    mt_ahtree_free(ch->tree);
    mt_memnodes_free(ch->mem);
    free(ch->hdr);
    free(ch->alh);
    free(ch->hval);
    free(ch->key);
    free(ch);
}

static Immudb__Schema__VerifiableTx *fk_chain_vtx(fk_server *f, fk_arena *a, uint64_t since,
                                                  uint64_t id, bool entries)
{
    fk_chain *ch = f->chain;
    uint64_t s = since ? SEAL_MIN(since, id) : id, t = since ? SEAL_MAX(since, id) : id;
    mt_history h = {.ctx = ch, .header = fkc_header, .alh = fkc_alh, .tree = ch->tree};
    mt_dual_proof p;
    CHECK_OK(mt_build_dual(&h, s, t, &p));
    Immudb__Schema__VerifiableTx *vt =
        AR_NEW(a, Immudb__Schema__VerifiableTx, immudb__schema__verifiable_tx__init);
    vt->tx = AR_NEW(a, Immudb__Schema__Tx, immudb__schema__tx__init);
    vt->tx->header = pb_hdr(a, &ch->hdr[id]);
    if (entries) {
        Immudb__Schema__TxEntry *e =
            AR_NEW(a, Immudb__Schema__TxEntry, immudb__schema__tx_entry__init);
        uint8_t pk[17];
        pk[0] = 0;
        size_t kl = strlen(ch->key[id]);
        memcpy(pk + 1, ch->key[id], kl);
        e->key = ar_bin(a, pk, kl + 1);
        e->hvalue = ar_bin(a, ch->hval[id], 32);
        e->vlen = 8;
        vt->tx->n_entries = 1;
        vt->tx->entries = ar_alloc(a, sizeof(void *));
        vt->tx->entries[0] = e;
    }
    vt->dualproof = pb_dual(a, &p, !atomic_load(&f->omit_advance));
    vt->signature = fk_sign(f, a, t, ch->alh[t]);
    mt_dual_proof_free(&p);
    return vt;
}

/* ------------------------------------------------------------- lifecycle */
static void *fk_main(void *arg)
{
    fk_server *f = arg;
    f->run_rc = gs_server_run(f->s);
    return NULL;
}

static seal_store *fk_open_store(const char *dir, int version)
{
    seal_options o;
    seal_options_default(&o);
    o.tx_header_version = version;
    o.durability = SEAL_DURABILITY_NONE;
    o.segment_size = 1 << 20;
    seal_store *s = NULL;
    int rc = seal_open(dir, &o, &s);
    if (rc)
        T_FAIL("seal_open %s: %s", dir, seal_last_error());
    return s;
}

/* TLS context for the next fk_start (NULL: h2c). Not owned. */
static cry_tls_ctx *fk_next_tls;
/* The next fk_start sends no immudb-uuid header. */
static bool fk_next_no_uuid;

/* Starts the fake server over a new store in t_path(name) with tx header
 * |version|; |sign| makes it sign states (public key in f->pub_path). */
static void fk_start(fk_server *f, const char *name, int version, bool sign)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    snprintf(f->db, sizeof(f->db), "defaultdb");
    snprintf(f->uuid, sizeof(f->uuid), "fake-%s-%d", name, version);
    f->main = f->st = fk_open_store(t_path(name), version);
    if (sign) {
        char kn[128];
        CHECK_OK(cry_ec_generate(&f->key));
        snprintf(kn, sizeof(kn), "%s.pub.pem", name);
        snprintf(f->pub_path, sizeof(f->pub_path), "%s", t_path(kn));
        CHECK_OK(cry_key_save_public_file(f->key, f->pub_path));
    }
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.workers_min = 2;
    cfg.tls = fk_next_tls;
    CHECK_OK(gs_server_new(&f->s, &cfg));
    CHECK_OK(immu_service_register_all(f->s));
    if (!fk_next_no_uuid)
        CHECK_OK(gs_server_add_header(f->s, "immudb-uuid", f->uuid));
    gs_server_set_interceptor(f->s, fk_intercept, f);
    static const struct {
        const char *name;
        gs_handler_fn fn;
    } hs[] = {
        {"Set", h_set},
        {"VerifiableSet", h_vset},
        {"Get", h_get},
        {"VerifiableGet", h_vget},
        {"GetAll", h_get_all},
        {"Delete", h_delete},
        {"ExecAll", h_exec_all},
        {"Scan", h_scan},
        {"Count", h_count},
        {"History", h_history},
        {"SetReference", h_ref},
        {"VerifiableSetReference", h_vref},
        {"ZAdd", h_zadd},
        {"VerifiableZAdd", h_vzadd},
        {"ZScan", h_zscan},
        {"TxById", h_tx},
        {"VerifiableTxById", h_vtx},
        {"TxScan", h_tx_scan},
        {"streamGet", h_stream_get},
        {"streamSet", h_stream_set},
        {"streamVerifiableSet", h_stream_vset},
        {"streamVerifiableGet", h_stream_vget},
        {"CurrentState", h_state},
        {"Login", h_login},
        {"Logout", h_logout},
        {"UseDatabase", h_use_db},
        {"OpenSession", h_open_session},
        {"CloseSession", h_close_session},
        {"KeepAlive", h_empty_ok},
        {"ServerInfo", h_server_info},
        {"CreateDatabaseV2", h_create_db},
        {"UpdateDatabaseV2", h_update_db},
        {"GetDatabaseSettingsV2", h_db_settings},
        {"DatabaseListV2", h_db_list},
        {"LoadDatabase", h_db_op},
        {"UnloadDatabase", h_db_op},
        {"DeleteDatabase", h_db_op},
        {"CreateUser", h_create_user},
        {"ChangePassword", h_change_pw},
        {"ChangePermission", h_change_perm},
        {"SetActiveUser", h_set_active},
        {"ListUsers", h_list_users},
    };
    for (size_t i = 0; i < SEAL_ARRAY_LEN(hs); i++)
        CHECK_OK(immu_service_set(f->s, hs[i].name, hs[i].fn, f));
    CHECK_OK(gs_server_listen(f->s));
    f->port = gs_server_port(f->s);
    CHECK(pthread_create(&f->th, NULL, fk_main, f) == 0);
    f->running = true;
}

static void fk_stop(fk_server *f)
{
    if (f->running) {
        gs_server_stop(f->s);
        pthread_join(f->th, NULL);
        CHECK_OK(f->run_rc);
    }
    gs_server_free(f->s);
    if (f->alt)
        CHECK_OK(seal_close(f->alt));
    CHECK_OK(seal_close(f->main));
    fk_chain_free(f->chain);
    cry_key_free(f->key);
    pthread_mutex_destroy(&f->mu);
    memset(f, 0, sizeof(*f));
}

/* Commits |n| txs of one entry "<prefix><i>" = "v<i>" straight to the store. */
static void fk_fill(seal_store *s, const char *prefix, int n, int first)
{
    for (int i = first; i < first + n; i++) {
        seal_tx *tx;
        uint8_t k[64], v[64];
        char ks[48], vs[48];
        snprintf(ks, sizeof(ks), "%s%d", prefix, i);
        snprintf(vs, sizeof(vs), "v%d", i);
        size_t kl = kv_enc_key(k, sizeof(k), (const uint8_t *)ks, strlen(ks));
        size_t vl = kv_enc_value(v, sizeof(v), (const uint8_t *)vs, strlen(vs));
        CHECK_OK(seal_tx_new(s, &tx));
        CHECK_OK(seal_tx_add(tx, k, kl, v, vl, NULL));
        CHECK_OK(seal_tx_commit(s, tx, NULL));
        seal_tx_free(tx);
    }
    uint64_t last;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &last, alh));
    CHECK_OK(seal_index_wait(s, last, 30000));
}

/* Client options for |f| with the state in t_path(state). */
static void fk_opts(const fk_server *f, seal_client_opts *o, const char *state)
{
    seal_client_opts_default(o);
    o->host = "127.0.0.1";
    o->port = f->port;
    o->timeout_ms = 20000;
    static char dirs[16][512];
    static int next;
    char *d = dirs[next++ % 16];
    snprintf(d, 512, "%s", t_path(state));
    o->state_dir = d;
}

/* Reads a whole file into buf (NUL-terminated); returns its length or -1. */
static long fk_read_file(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    size_t n = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[n] = 0;
    return (long)n;
}

#endif
