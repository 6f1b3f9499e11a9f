/* sc_verify.c - the verified calls of libsealclient (formats spec 7.2-7.5,
 * mirroring immudb's Go client), the trusted-state session around each of
 * them (lock, read or pin or trust on first use, verify, sign check, save),
 * the linear advance proof fallback of spec 5.3, and the consistency check
 * and audit step. Every proof is checked with the engine's own verifiers
 * (src/mtree): mt_verify_dual, mt_htree_verify, mt_entry_digest, mt_alh. */
#include <stdio.h>

#include "client/sc_internal.h"

#define HEXN(h, buf) (seal_hex_encode((buf), (h), 8), (buf))

/* ------------------------------------------------ proto -> mtree proofs */
static int terms_from_pb(const ProtobufCBinaryData *b, size_t n, mt_hash **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / MT_HASH_LEN)
        return SEAL_ENOMEM;
    mt_hash *t = seal_malloc(n * MT_HASH_LEN);
    if (!t)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        mt_digest_from_bytes(t[i], b[i].data, b[i].len);
    *out = t;
    *nout = n;
    return 0;
}

static int advance_from_pb(const Immudb__Schema__LinearAdvanceProof *a,
                           mt_linear_advance_proof *out)
{
    memset(out, 0, sizeof(*out));
    int rc = terms_from_pb(a->linearproofterms, a->n_linearproofterms, &out->linear_terms,
                           &out->nlinear);
    if (rc)
        return rc;
    if (a->n_inclusionproofs) {
        out->inclusion = seal_calloc(a->n_inclusionproofs, sizeof(*out->inclusion));
        if (!out->inclusion) {
            mt_linear_advance_proof_free(out);
            return SEAL_ENOMEM;
        }
        out->ninclusion = a->n_inclusionproofs;
        for (size_t i = 0; i < a->n_inclusionproofs; i++) {
            const Immudb__Schema__InclusionProof *ip = a->inclusionproofs[i];
            if (!ip)
                continue;
            rc = terms_from_pb(ip->terms, ip->n_terms, &out->inclusion[i].terms,
                               &out->inclusion[i].nterms);
            if (rc) {
                mt_linear_advance_proof_free(out);
                return rc;
            }
        }
    }
    return 0;
}

/* DualProofFromProto. SEAL_EVERIFY when the headers are missing (the Go
 * verifier rejects such a proof). */
static int dual_from_pb(const Immudb__Schema__DualProof *p, mt_dual_proof *out)
{
    memset(out, 0, sizeof(*out));
    if (!p || !p->sourcetxheader || !p->targettxheader)
        return SEAL_EVERIFY;
    sc_hdr_from_pb(p->sourcetxheader, &out->source);
    sc_hdr_from_pb(p->targettxheader, &out->target);
    int rc =
        terms_from_pb(p->inclusionproof, p->n_inclusionproof, &out->inclusion, &out->ninclusion);
    if (!rc)
        rc = terms_from_pb(p->consistencyproof, p->n_consistencyproof, &out->consistency,
                           &out->nconsistency);
    if (!rc)
        rc = terms_from_pb(p->lastinclusionproof, p->n_lastinclusionproof, &out->last_inclusion,
                           &out->nlast_inclusion);
    mt_digest_from_bytes(out->target_bl_tx_alh, p->targetbltxalh.data, p->targetbltxalh.len);
    if (!rc && p->linearproof) {
        out->linear.source_tx_id = p->linearproof->sourcetxid;
        out->linear.target_tx_id = p->linearproof->targettxid;
        rc = terms_from_pb(p->linearproof->terms, p->linearproof->n_terms, &out->linear.terms,
                           &out->linear.nterms);
    }
    if (!rc && p->linearadvanceproof) {
        out->has_advance = true;
        rc = advance_from_pb(p->linearadvanceproof, &out->advance);
    }
    if (rc)
        mt_dual_proof_free(out);
    return rc;
}

/* VerifiableTxById{tx, proveSinceTx, entries EXCLUDE}: the dual proof part. */
static int fetch_partial(seal_client *c, uint64_t tx, uint64_t since,
                         Immudb__Schema__VerifiableTx **out)
{
    Immudb__Schema__VerifiableTxRequest r;
    immudb__schema__verifiable_tx_request__init(&r);
    Immudb__Schema__EntriesSpec es;
    immudb__schema__entries_spec__init(&es);
    Immudb__Schema__EntryTypeSpec kv;
    immudb__schema__entry_type_spec__init(&kv);
    kv.action = IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__EXCLUDE;
    es.kventriesspec = &kv;
    r.tx = tx;
    r.provesincetx = since;
    r.entriesspec = &es;
    int rc = sc_call(c, "VerifiableTxById", &r.base, &immudb__schema__verifiable_tx__descriptor,
                     (ProtobufCMessage **)out, NULL);
    if (rc == 0 && !(*out)->dualproof) {
        sc_msg_free(*out);
        *out = NULL;
        rc = SEAL_EVERIFY;
    }
    return rc;
}

/* FillMissingLinearAdvanceProof (spec 5.3): only when absent and needed. The
 * terms fetched here are not trusted: the dual proof check that follows
 * verifies them. */
static int fill_advance(seal_client *c, mt_dual_proof *p, uint64_t s, uint64_t t, bool *fetched)
{
    if (p->has_advance || p->source.id != s || p->target.id != t)
        return 0;
    uint64_t start = p->source.bl_tx_id;
    uint64_t end = SEAL_MIN(s, p->target.bl_tx_id);
    if (end <= start + 1)
        return 0;
    mt_linear_advance_proof adv;
    memset(&adv, 0, sizeof(adv));
    int rc = 0;
    Immudb__Schema__VerifiableTx *vt = NULL;
    adv.ninclusion = end - start - 1;
    adv.inclusion = seal_calloc(adv.ninclusion, sizeof(*adv.inclusion));
    if (!adv.inclusion)
        return SEAL_ENOMEM;
    for (uint64_t tx = start + 1; tx < end; tx++) {
        if ((rc = fetch_partial(c, t, tx, &vt)) != 0)
            goto fail;
        struct mt_term_list *tl = &adv.inclusion[tx - start - 1];
        rc = terms_from_pb(vt->dualproof->inclusionproof, vt->dualproof->n_inclusionproof,
                           &tl->terms, &tl->nterms);
        sc_msg_free(vt);
        vt = NULL;
        if (rc)
            goto fail;
    }
    if ((rc = fetch_partial(c, end, start + 1, &vt)) != 0)
        goto fail;
    if (vt->dualproof->linearproof)
        rc = terms_from_pb(vt->dualproof->linearproof->terms, vt->dualproof->linearproof->n_terms,
                           &adv.linear_terms, &adv.nlinear);
    sc_msg_free(vt);
    if (rc)
        goto fail;
    p->advance = adv;
    p->has_advance = true;
    *fetched = true;
    return 0;
fail:
    mt_linear_advance_proof_free(&adv);
    if (rc == SEAL_EVERIFY)
        return sc_fail(c, rc,
                       "the server sent no dual proof while the missing linear advance "
                       "proof was fetched");
    return sc_fail(c, rc, "fetching the missing linear advance proof (txs %llu..%llu) failed: %s",
                   (unsigned long long)start + 1, (unsigned long long)end,
                   c->err[0] ? c->err : seal_strerror(rc));
}

/* Verifies |pb| as a dual proof from (s, alh_s) to (t, alh_t). */
static int verify_dual(seal_client *c, const char *what, const Immudb__Schema__DualProof *pb,
                       uint64_t s, uint64_t t, const mt_hash alh_s, const mt_hash alh_t,
                       bool *fetched)
{
    mt_dual_proof p;
    char h1[17], h2[17];
    int rc = dual_from_pb(pb, &p);
    if (rc == SEAL_EVERIFY)
        return sc_fail(c, rc,
                       "%s: the response carries no dual proof (or its headers are "
                       "missing)",
                       what);
    if (rc)
        return rc;
    if ((rc = fill_advance(c, &p, s, t, fetched)) != 0) {
        mt_dual_proof_free(&p);
        return rc;
    }
    if (!mt_verify_dual(&p, s, t, alh_s, alh_t))
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the dual proof from tx %llu (alh %s..) to tx %llu (alh %s..) does not "
                     "verify",
                     what, (unsigned long long)s, HEXN(alh_s, h1), (unsigned long long)t,
                     HEXN(alh_t, h2));
    mt_dual_proof_free(&p);
    return rc;
}

/* -------------------------------------------------- trusted-state session */
typedef struct vsess {
    sc_lock lk;
    sc_state src;
    seal_trust_origin origin;
    bool fetched;
} vsess;

static int sig_check(seal_client *c, const char *what, uint64_t tx, const mt_hash alh,
                     const uint8_t *sig, size_t sig_len, bool present)
{
    if (!c->pubkey)
        return 0;
    if (!present)
        return sc_fail(c, SEAL_EVERIFY,
                       "%s: the new state (tx %llu) is not signed and a server public key is "
                       "configured",
                       what, (unsigned long long)tx);
    uint8_t payload[64 + 256];
    size_t pl;
    int rc = mt_state_payload(payload, sizeof(payload), &pl, c->db, strlen(c->db), tx, alh);
    if (rc)
        return rc;
    if (cry_ecdsa_verify(c->pubkey, payload, pl, sig, sig_len) != 0)
        return sc_fail(c, SEAL_EVERIFY,
                       "%s: the signature of the state of %s at tx %llu does not verify with the "
                       "configured server public key",
                       what, c->db, (unsigned long long)tx);
    return 0;
}

/* CurrentState, with the signature check when configured, as an sc_state. */
static int fetch_current(seal_client *c, sc_state *out, seal_dbstate *pub)
{
    seal_dbstate st;
    int rc = seal_client_current_state(c, &st);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->tx = st.tx_id;
    memcpy(out->hash, st.tx_hash, MT_HASH_LEN);
    out->has_sig = st.has_signature;
    out->sig_len = st.signature_len;
    memcpy(out->sig, st.signature, st.signature_len);
    out->pub_len = st.public_key_len;
    memcpy(out->pub, st.public_key, st.public_key_len);
    if (pub)
        *pub = st;
    return 0;
}

/* Locks the state file and finds the state to start from. With |tofu| and
 * nothing stored or pinned, the server's current state is adopted. */
static int v_begin(seal_client *c, vsess *v, bool tofu)
{
    memset(v, 0, sizeof(*v));
    int rc = sc_state_lock(c, &v->lk);
    if (rc)
        return rc;
    rc = sc_state_get(c, &v->lk, &v->src);
    if (rc == 0) {
        v->origin = SEAL_TRUST_STORED;
        if (c->pin_tx && c->pin_tx == v->src.tx && memcmp(c->pin_hash, v->src.hash, 32) != 0) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "the pinned state (tx %llu) differs from the stored trusted state at "
                         "the same tx",
                         (unsigned long long)c->pin_tx);
            goto fail;
        }
        return 0;
    }
    if (rc != SEAL_ENOTFOUND)
        goto fail;
    if (c->pin_tx) {
        memset(&v->src, 0, sizeof(v->src));
        v->src.tx = c->pin_tx;
        memcpy(v->src.hash, c->pin_hash, MT_HASH_LEN);
        v->origin = SEAL_TRUST_PINNED;
        return 0;
    }
    if (!tofu) {
        rc = sc_fail(c, SEAL_ENOTFOUND, "no trusted state for %s on server %s and no pin", c->db,
                     c->server_uuid);
        goto fail;
    }
    if ((rc = fetch_current(c, &v->src, NULL)) != 0)
        goto fail;
    v->origin = SEAL_TRUST_FIRST_USE;
    return 0;
fail:
    sc_state_unlock(&v->lk);
    return rc;
}

static void v_end(vsess *v)
{
    sc_state_unlock(&v->lk);
}

/* Checks the signature of the new state, saves it, fills |vi|. */
static int v_commit(seal_client *c, vsess *v, const char *what, uint64_t tx, const mt_hash alh,
                    const Immudb__Schema__Signature *sig, seal_verify_info *vi)
{
    int rc = sig_check(c, what, tx, alh, sig ? sig->signature.data : NULL,
                       sig ? sig->signature.len : 0, sig != NULL);
    if (rc)
        return rc;
    sc_state ns;
    memset(&ns, 0, sizeof(ns));
    ns.tx = tx;
    memcpy(ns.hash, alh, MT_HASH_LEN);
    if (sig) {
        ns.has_sig = true;
        ns.sig_len = SEAL_MIN(sig->signature.len, sizeof(ns.sig));
        if (ns.sig_len)
            memcpy(ns.sig, sig->signature.data, ns.sig_len);
        ns.pub_len = SEAL_MIN(sig->publickey.len, sizeof(ns.pub));
        if (ns.pub_len)
            memcpy(ns.pub, sig->publickey.data, ns.pub_len);
    }
    if ((rc = sc_state_put(c, &v->lk, &ns)) != 0)
        return rc;
    if (v->origin == SEAL_TRUST_FIRST_USE)
        sc_notice(c,
                  "first use of server %s database %s: trusted its state at tx %llu, then "
                  "verified up to tx %llu",
                  c->server_uuid, c->db, (unsigned long long)v->src.tx, (unsigned long long)tx);
    if (vi) {
        memset(vi, 0, sizeof(*vi));
        vi->origin = v->origin;
        vi->source_tx = v->src.tx;
        vi->target_tx = tx;
        memcpy(vi->target_hash, alh, MT_HASH_LEN);
        vi->proof_checked = v->src.tx > 0;
        vi->advance_fetched = v->fetched;
    }
    return 0;
}

/* ------------------------------------------------------------- helpers */
/* Entry digest of an entry spec as EntrySpecDigestFor(version): version 0
 * ignores metadata (Go's EntrySpecDigest_v0). */
static int spec_digest(mt_hash out, int version, const uint8_t *md, size_t md_len,
                       const uint8_t *key, size_t key_len, const uint8_t *val, size_t val_len)
{
    mt_hash hv;
    int rc = cry_sha256(hv, val, val_len);
    if (rc)
        return rc;
    if (version == 0)
        md_len = 0;
    return mt_entry_digest(out, version, md, md_len, key, key_len, hv);
}

/* 0x00 || data */
static uint8_t *prefixed(uint8_t pfx, const void *p, size_t n)
{
    uint8_t *b = seal_malloc(n + 1);
    if (!b)
        return NULL;
    b[0] = pfx;
    if (n)
        memcpy(b + 1, p, n);
    return b;
}

/* The common check of VerifiedSet / SetReference / ZAdd (spec 7.2-7.3):
 * rebuild the htree of the returned tx, prove |digest| for the entry with
 * |ekey| in it, compare Eh with the dual proof target, verify the dual proof
 * from the trusted state, check the signature and save. |check_entries|
 * also requires exactly one entry (VerifiedSet). |md_out| gets the entry's
 * metadata bytes (for the deleted check and the digest). */
typedef int (*digest_fn)(void *arg, int version, const uint8_t *md, size_t md_len, mt_hash out);

static int verify_write(seal_client *c, vsess *v, const char *what,
                        const Immudb__Schema__VerifiableTx *vt, const uint8_t *ekey,
                        size_t ekey_len, bool check_entries, digest_fn dfn, void *darg,
                        seal_txhdr *out, seal_verify_info *vi)
{
    int rc = 0;
    mt_hash *digests = NULL;
    char h1[17], h2[17];
    if (!vt->tx || !vt->tx->header)
        return sc_fail(c, SEAL_EVERIFY, "%s: the response carries no tx header", what);
    if (!vt->dualproof || !vt->dualproof->targettxheader)
        return sc_fail(c, SEAL_EVERIFY, "%s: the response carries no dual proof", what);
    const Immudb__Schema__Tx *tx = vt->tx;
    if (tx->header->nentries != 1 || (check_entries && tx->n_entries != 1))
        return sc_fail(c, SEAL_EVERIFY,
                       "%s: the tx has %d entries (header) and %zu entries (sent), expected 1",
                       what, tx->header->nentries, tx->n_entries);
    mt_txhdr hdr;
    sc_hdr_from_pb(tx->header, &hdr);
    if (hdr.version != 0 && hdr.version != 1)
        return sc_fail(c, SEAL_EVERIFY, "%s: unsupported tx header version %d", what, hdr.version);
    /* TxFromProto + BuildHashTree: Eh is recomputed from the entries */
    size_t n = tx->n_entries, leaf = SIZE_MAX;
    if (n > (1u << 20))
        return sc_fail(c, SEAL_EVERIFY, "%s: too many entries", what);
    digests = seal_malloc((n ? n : 1) * MT_HASH_LEN);
    if (!digests)
        return SEAL_ENOMEM;
    uint8_t emd[MT_MAX_KVMD_LEN];
    size_t emd_len = 0;
    for (size_t i = 0; i < n; i++) {
        const Immudb__Schema__TxEntry *e = tx->entries[i];
        uint8_t md[MT_MAX_KVMD_LEN];
        size_t ml = sc_kvmd_bytes_pb(e->metadata, md);
        mt_hash hv;
        mt_digest_from_bytes(hv, e->hvalue.data, e->hvalue.len);
        rc = mt_entry_digest(digests[i], hdr.version, md, ml, e->key.data, e->key.len, hv);
        if (rc) {
            rc = sc_fail(c, SEAL_EVERIFY, "%s: entry %zu cannot be hashed (%s)", what, i,
                         seal_strerror(rc));
            goto done;
        }
        if (leaf == SIZE_MAX && e->key.len == ekey_len &&
            memcmp(e->key.data, ekey, ekey_len) == 0) {
            leaf = i;
            memcpy(emd, md, ml);
            emd_len = ml;
            if (e->metadata && e->metadata->deleted) {
                rc = sc_fail(c, SEAL_EVERIFY, "%s: the written entry is marked deleted", what);
                goto done;
            }
        }
    }
    if (leaf == SIZE_MAX) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the written key is not in the returned tx", what);
        goto done;
    }
    if ((rc = mt_htree_root(hdr.eh, digests, n)) != 0)
        goto done;
    mt_hash spec;
    if ((rc = dfn(darg, hdr.version, emd, emd_len, spec)) != 0) {
        if (rc != SEAL_ENOMEM)
            rc = sc_fail(c, SEAL_EVERIFY, "%s: the entry cannot be hashed", what);
        goto done;
    }
    mt_hash terms[MT_MAX_PROOF_TERMS];
    size_t nterms = 0;
    if ((rc = mt_htree_proof(terms, &nterms, digests, n, leaf)) != 0)
        goto done;
    if (!mt_htree_verify((int64_t)leaf, (int64_t)n, terms, nterms, spec, hdr.eh)) {
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the entry (key, value, metadata) is not the one in the tx: inclusion "
                     "in the recomputed Eh %s.. fails",
                     what, HEXN(hdr.eh, h1));
        goto done;
    }
    mt_hash peh;
    mt_digest_from_bytes(peh, vt->dualproof->targettxheader->eh.data,
                         vt->dualproof->targettxheader->eh.len);
    if (memcmp(peh, hdr.eh, MT_HASH_LEN) != 0) {
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the recomputed Eh %s.. differs from the dual proof target's Eh %s..",
                     what, HEXN(hdr.eh, h1), HEXN(peh, h2));
        goto done;
    }
    mt_hash alh;
    if ((rc = mt_alh(alh, &hdr)) != 0) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the tx header cannot be hashed", what);
        goto done;
    }
    if (v->src.tx > 0 && (rc = verify_dual(c, what, vt->dualproof, v->src.tx, hdr.id, v->src.hash,
                                           alh, &v->fetched)) != 0)
        goto done;
    if ((rc = v_commit(c, v, what, hdr.id, alh, vt->signature, vi)) != 0)
        goto done;
    if (out)
        sc_hdr_to_public(&hdr, out);
done:
    seal_free(digests);
    return rc;
}

/* ------------------------------------------------------------ VerifiedSet */
typedef struct kvspec {
    const uint8_t *key; /* prefixed */
    size_t key_len;
    const uint8_t *val; /* prefixed */
    size_t val_len;
    bool use_md; /* take the metadata from the server's entry */
} kvspec;

static int kv_digest(void *arg, int version, const uint8_t *md, size_t md_len, mt_hash out)
{
    const kvspec *k = arg;
    return spec_digest(out, version, k->use_md ? md : NULL, k->use_md ? md_len : 0, k->key,
                       k->key_len, k->val, k->val_len);
}

/* The verification of a VerifiableSet answer, shared by the unary call and
 * streamVerifiableSet: opens the trusted-state session, lets |fetch| obtain
 * the VerifiableTx proving from the trusted tx (the caller keeps ownership
 * of it, through |arg|), checks that the entry's metadata is |want_md|, then
 * verify_write. */
int sc_verified_set_with(seal_client *c, const char *what, const void *key, size_t key_len,
                         const void *value, size_t value_len, const uint8_t *want_md,
                         size_t want_md_len, sc_vset_fetch_fn fetch, void *arg, seal_txhdr *out,
                         seal_verify_info *vi)
{
    vsess v;
    int rc = v_begin(c, &v, true);
    if (rc)
        return rc;
    uint8_t *ekey = prefixed(0x00, key, key_len), *eval = prefixed(0x00, value, value_len);
    const Immudb__Schema__VerifiableTx *vt = NULL;
    if (!ekey || !eval) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if ((rc = fetch(c, arg, v.src.tx, &vt)) != 0)
        goto done;
    /* the server's metadata is what is hashed; it must also be what was asked */
    if (vt->tx && vt->tx->n_entries == 1) {
        uint8_t got[MT_MAX_KVMD_LEN];
        size_t gl = sc_kvmd_bytes_pb(vt->tx->entries[0]->metadata, got);
        if (gl != want_md_len || (gl && memcmp(got, want_md, gl) != 0)) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "%s: the entry's metadata differs from the metadata requested", what);
            goto done;
        }
    }
    kvspec ks = {ekey, key_len + 1, eval, value_len + 1, true};
    rc = verify_write(c, &v, what, vt, ekey, key_len + 1, true, kv_digest, &ks, out, vi);
done:
    seal_free(ekey);
    seal_free(eval);
    v_end(&v);
    return rc;
}

/* The unary VerifiableSet call of seal_client_verified_set. */
typedef struct vset_unary {
    Immudb__Schema__VerifiableSetRequest *r;
    Immudb__Schema__VerifiableTx *vt;
} vset_unary;

static int vset_unary_fetch(seal_client *c, void *arg, uint64_t since,
                            const Immudb__Schema__VerifiableTx **vt)
{
    vset_unary *u = arg;
    u->r->provesincetx = since;
    int rc = sc_call(c, "VerifiableSet", &u->r->base, &immudb__schema__verifiable_tx__descriptor,
                     (ProtobufCMessage **)&u->vt, NULL);
    if (rc == 0)
        *vt = u->vt;
    return rc;
}

int seal_client_verified_set(seal_client *c, const void *key, size_t key_len, const void *value,
                             size_t value_len, const seal_write_opts *o, seal_txhdr *out,
                             seal_verify_info *vi)
{
    sc_begin(c);
    if (!key || key_len == 0 || (value_len && !value))
        return sc_fail(c, SEAL_EINVAL, "verified set: empty key");
    const char *what = "verified set";
    int rc = 0;
    void *pmem = NULL;
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__KVMetadata md;
    immudb__schema__kvmetadata__init(&md);
    Immudb__Schema__Expiration exp;
    immudb__schema__expiration__init(&exp);
    Immudb__Schema__SetRequest sr;
    immudb__schema__set_request__init(&sr);
    Immudb__Schema__VerifiableSetRequest r;
    immudb__schema__verifiable_set_request__init(&r);
    kv.key.data = (uint8_t *)(uintptr_t)key;
    kv.key.len = key_len;
    kv.value.data = (uint8_t *)(uintptr_t)value;
    kv.value.len = value_len;
    uint8_t want_md[MT_MAX_KVMD_LEN];
    size_t want_md_len = 0;
    if (o && o->md) {
        if (o->md->deleted)
            return sc_fail(c, SEAL_EINVAL, "%s: a set cannot carry the deleted attribute", what);
        md.nonindexable = o->md->non_indexable != 0;
        if (o->md->has_expires) {
            exp.expiresat = o->md->expires_at;
            md.expiration = &exp;
        }
        kv.metadata = &md;
        want_md_len = sc_kvmd_bytes_pb(&md, want_md);
    }
    sr.n_kvs = 1;
    sr.kvs = kvs;
    if (o) {
        sr.nowait = o->no_wait != 0;
        if (o->npre && (rc = sc_build_preconds(o->pre, o->npre, &sr.preconditions, &pmem)) != 0)
            return rc;
        sr.n_preconditions = o->npre;
    }
    r.setrequest = &sr;
    vset_unary u = {&r, NULL};
    rc = sc_verified_set_with(c, what, key, key_len, value, value_len, want_md, want_md_len,
                              vset_unary_fetch, &u, out, vi);
    sc_msg_free(u.vt);
    seal_free(pmem);
    return rc;
}

/* ---------------------------------------------------- VerifiedSetReference */
static uint8_t *ref_value(const void *ref, size_t ref_len, uint64_t at_tx, size_t *n)
{
    uint8_t *b = seal_malloc(ref_len + 10);
    if (!b)
        return NULL;
    b[0] = 0x01;
    seal_put_u64(b + 1, at_tx);
    b[9] = 0x00;
    if (ref_len)
        memcpy(b + 10, ref, ref_len);
    *n = ref_len + 10;
    return b;
}

int seal_client_verified_set_reference(seal_client *c, const void *key, size_t key_len,
                                       const void *ref_key, size_t ref_len, uint64_t at_tx,
                                       seal_txhdr *out, seal_verify_info *vi)
{
    sc_begin(c);
    if (!key || !key_len || !ref_key || !ref_len)
        return sc_fail(c, SEAL_EINVAL, "verified set reference: empty key");
    const char *what = "verified set reference";
    vsess v;
    int rc = v_begin(c, &v, true);
    if (rc)
        return rc;
    size_t evl = 0;
    uint8_t *ekey = prefixed(0x00, key, key_len), *eval = ref_value(ref_key, ref_len, at_tx, &evl);
    Immudb__Schema__VerifiableTx *vt = NULL;
    if (!ekey || !eval) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    Immudb__Schema__ReferenceRequest rr;
    immudb__schema__reference_request__init(&rr);
    Immudb__Schema__VerifiableReferenceRequest r;
    immudb__schema__verifiable_reference_request__init(&r);
    rr.key.data = (uint8_t *)(uintptr_t)key;
    rr.key.len = key_len;
    rr.referencedkey.data = (uint8_t *)(uintptr_t)ref_key;
    rr.referencedkey.len = ref_len;
    rr.attx = at_tx;
    rr.boundref = at_tx > 0;
    r.referencerequest = &rr;
    r.provesincetx = v.src.tx;
    if ((rc = sc_call(c, "VerifiableSetReference", &r.base,
                      &immudb__schema__verifiable_tx__descriptor, (ProtobufCMessage **)&vt,
                      NULL)) != 0)
        goto done;
    kvspec ks = {ekey, key_len + 1, eval, evl, false};
    rc = verify_write(c, &v, what, vt, ekey, key_len + 1, false, kv_digest, &ks, out, vi);
done:
    sc_msg_free(vt);
    seal_free(ekey);
    seal_free(eval);
    v_end(&v);
    return rc;
}

/* ------------------------------------------------------------ VerifiedZAdd */
size_t sc_zkey(uint8_t *out, const void *set, size_t set_len, double score, const void *key,
               size_t key_len, uint64_t at_tx)
{
    size_t n = 1 + 8 + set_len + 8 + 8 + 1 + key_len + 8;
    if (!out)
        return n;
    uint8_t *p = out;
    uint64_t bits;
    memcpy(&bits, &score, 8);
    *p++ = 0x01;
    seal_put_u64(p, set_len);
    p += 8;
    memcpy(p, set, set_len);
    p += set_len;
    seal_put_u64(p, bits);
    p += 8;
    seal_put_u64(p, key_len + 1);
    p += 8;
    *p++ = 0x00;
    memcpy(p, key, key_len);
    p += key_len;
    seal_put_u64(p, at_tx);
    return n;
}

int seal_client_verified_zadd(seal_client *c, const void *set, size_t set_len, double score,
                              const void *key, size_t key_len, uint64_t at_tx, seal_txhdr *out,
                              seal_verify_info *vi)
{
    sc_begin(c);
    if (!set || !set_len || !key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "verified zadd: empty set or key");
    const char *what = "verified zadd";
    vsess v;
    int rc = v_begin(c, &v, true);
    if (rc)
        return rc;
    size_t zl = sc_zkey(NULL, set, set_len, score, key, key_len, at_tx);
    uint8_t *zk = seal_malloc(zl);
    Immudb__Schema__VerifiableTx *vt = NULL;
    if (!zk) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    sc_zkey(zk, set, set_len, score, key, key_len, at_tx);
    Immudb__Schema__ZAddRequest zr;
    immudb__schema__zadd_request__init(&zr);
    Immudb__Schema__VerifiableZAddRequest r;
    immudb__schema__verifiable_zadd_request__init(&r);
    zr.set.data = (uint8_t *)(uintptr_t)set;
    zr.set.len = set_len;
    zr.score = score;
    zr.key.data = (uint8_t *)(uintptr_t)key;
    zr.key.len = key_len;
    zr.attx = at_tx;
    r.zaddrequest = &zr;
    r.provesincetx = v.src.tx;
    if ((rc = sc_call(c, "VerifiableZAdd", &r.base, &immudb__schema__verifiable_tx__descriptor,
                      (ProtobufCMessage **)&vt, NULL)) != 0)
        goto done;
    kvspec ks = {zk, zl, (const uint8_t *)"", 0, false};
    rc = verify_write(c, &v, what, vt, zk, zl, false, kv_digest, &ks, out, vi);
done:
    sc_msg_free(vt);
    seal_free(zk);
    v_end(&v);
    return rc;
}

/* ------------------------------------------------------------ VerifiedGet */
/* The verification of a VerifiableGet answer, shared by the unary call and
 * streamVerifiableGet: opens the trusted-state session, lets |fetch| obtain
 * the VerifiableEntry proving from the trusted tx (owned by the caller
 * through |arg|), checks the entry digest, its inclusion, the dual proof and
 * the signature, then saves the state and fills |out|. |at_tx| is the tx
 * asked for (0: the latest). */
int sc_verified_get_with(seal_client *c, const char *what, const void *key, size_t key_len,
                         uint64_t at_tx, sc_vget_fetch_fn fetch, void *arg, seal_kventry *out,
                         seal_verify_info *vi)
{
    vsess v;
    int rc = v_begin(c, &v, true);
    if (rc)
        return rc;
    const Immudb__Schema__VerifiableEntry *ve = NULL;
    uint8_t *ekey = prefixed(0x00, key, key_len), *eval = NULL;
    size_t evl = 0;
    seal_kventry res;
    memset(&res, 0, sizeof(res));
    char h1[17];
    if (!ekey) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    if ((rc = fetch(c, arg, v.src.tx, &ve)) != 0)
        goto done;
    const Immudb__Schema__VerifiableTx *vt = ve->verifiabletx;
    if (!ve->entry || !vt || !vt->tx || !vt->tx->header || !vt->dualproof ||
        !vt->dualproof->sourcetxheader || !vt->dualproof->targettxheader || !ve->inclusionproof) {
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the response lacks the entry, the tx, the dual proof or the inclusion "
                     "proof",
                     what);
        goto done;
    }
    const Immudb__Schema__Entry *e = ve->entry;
    int version = vt->tx->header->version;
    if (version != 0 && version != 1) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: unsupported tx header version %d", what, version);
        goto done;
    }
    uint64_t vtx = at_tx;
    uint8_t md[MT_MAX_KVMD_LEN];
    size_t ml;
    if (!e->referencedby) {
        if (!vtx)
            vtx = e->tx;
        if (e->key.len != key_len || memcmp(e->key.data, key, key_len) != 0 || e->tx != vtx) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "%s: the entry returned is not the one asked for (key or tx differs)",
                         what);
            goto done;
        }
        ml = sc_kvmd_bytes_pb(e->metadata, md);
        eval = prefixed(0x00, e->value.data, e->value.len);
        evl = e->value.len + 1;
    } else {
        const Immudb__Schema__Reference *ref = e->referencedby;
        if (!vtx)
            vtx = ref->tx;
        if (ref->key.len != key_len || memcmp(ref->key.data, key, key_len) != 0 || ref->tx != vtx) {
            rc = sc_fail(c, SEAL_EVERIFY,
                         "%s: the reference returned is not the one asked for (key or tx "
                         "differs)",
                         what);
            goto done;
        }
        ml = sc_kvmd_bytes_pb(ref->metadata, md);
        eval = ref_value(e->key.data, e->key.len, ref->attx, &evl);
    }
    if (!eval) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    mt_hash digest;
    if ((rc = spec_digest(digest, version, md, ml, ekey, key_len + 1, eval, evl)) != 0) {
        if (rc != SEAL_ENOMEM)
            rc = sc_fail(c, SEAL_EVERIFY, "%s: the entry cannot be hashed", what);
        goto done;
    }
    const Immudb__Schema__DualProof *dp = vt->dualproof;
    uint64_t sid, tid;
    mt_hash salh, talh, eh;
    mt_txhdr sh, th;
    sc_hdr_from_pb(dp->sourcetxheader, &sh);
    sc_hdr_from_pb(dp->targettxheader, &th);
    bool forward = v.src.tx <= vtx;
    const mt_txhdr *vh = forward ? &th : &sh;
    if (vh->id != vtx) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the proof is about tx %llu, the entry is in tx %llu",
                     what, (unsigned long long)vh->id, (unsigned long long)vtx);
        goto done;
    }
    memcpy(eh, vh->eh, MT_HASH_LEN);
    if (forward) {
        sid = v.src.tx;
        memcpy(salh, v.src.hash, MT_HASH_LEN);
        tid = vtx;
        rc = mt_alh(talh, &th);
    } else {
        sid = vtx;
        rc = mt_alh(salh, &sh);
        tid = v.src.tx;
        memcpy(talh, v.src.hash, MT_HASH_LEN);
    }
    if (rc) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: a tx header of the proof cannot be hashed", what);
        goto done;
    }
    const Immudb__Schema__InclusionProof *ip = ve->inclusionproof;
    if (ip->n_terms > MT_MAX_PROOF_TERMS) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the inclusion proof has too many terms", what);
        goto done;
    }
    mt_hash terms[MT_MAX_PROOF_TERMS];
    for (size_t i = 0; i < ip->n_terms; i++)
        mt_digest_from_bytes(terms[i], ip->terms[i].data, ip->terms[i].len);
    if (!mt_htree_verify((int64_t)ip->leaf, (int64_t)ip->width, terms, ip->n_terms, digest, eh)) {
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the entry (key, value, metadata) is not included in tx %llu (Eh %s..)",
                     what, (unsigned long long)vtx, HEXN(eh, h1));
        goto done;
    }
    if (v.src.tx > 0 && (rc = verify_dual(c, what, dp, sid, tid, salh, talh, &v.fetched)) != 0)
        goto done;
    if ((rc = sc_entry_from_pb(e, &res)) != 0)
        goto done;
    if ((rc = v_commit(c, &v, what, tid, talh, vt->signature, vi)) != 0)
        goto done;
    *out = res;
    memset(&res, 0, sizeof(res));
done:
    seal_kventry_clear(&res);
    seal_free(ekey);
    seal_free(eval);
    v_end(&v);
    return rc;
}

/* The unary VerifiableGet call of seal_client_verified_get. */
typedef struct vget_unary {
    Immudb__Schema__VerifiableGetRequest *r;
    Immudb__Schema__VerifiableEntry *ve;
} vget_unary;

static int vget_unary_fetch(seal_client *c, void *arg, uint64_t since,
                            const Immudb__Schema__VerifiableEntry **ve)
{
    vget_unary *u = arg;
    u->r->provesincetx = since;
    int rc = sc_call(c, "VerifiableGet", &u->r->base, &immudb__schema__verifiable_entry__descriptor,
                     (ProtobufCMessage **)&u->ve, NULL);
    if (rc == 0)
        *ve = u->ve;
    return rc;
}

int seal_client_verified_get(seal_client *c, const void *key, size_t key_len,
                             const seal_read_opts *o, seal_kventry *out, seal_verify_info *vi)
{
    sc_begin(c);
    if (!key || !key_len)
        return sc_fail(c, SEAL_EINVAL, "verified get: empty key");
    Immudb__Schema__KeyRequest kr;
    immudb__schema__key_request__init(&kr);
    Immudb__Schema__VerifiableGetRequest r;
    immudb__schema__verifiable_get_request__init(&r);
    kr.key.data = (uint8_t *)(uintptr_t)key;
    kr.key.len = key_len;
    if (o) {
        kr.attx = o->at_tx;
        kr.sincetx = o->since_tx;
        kr.nowait = o->no_wait != 0;
        kr.atrevision = o->at_revision;
    }
    r.keyrequest = &kr;
    vget_unary u = {&r, NULL};
    int rc = sc_verified_get_with(c, "verified get", key, key_len, kr.attx, vget_unary_fetch, &u,
                                  out, vi);
    sc_msg_free(u.ve);
    return rc;
}

/* --------------------------------------------------------- VerifiedTxById */
int seal_client_verified_tx_by_id(seal_client *c, uint64_t txid, seal_rtx *out,
                                  seal_verify_info *vi)
{
    sc_begin(c);
    if (txid == 0)
        return sc_fail(c, SEAL_EINVAL, "verified tx: tx 0 does not exist");
    const char *what = "verified tx";
    vsess v;
    int rc = v_begin(c, &v, true);
    if (rc)
        return rc;
    Immudb__Schema__VerifiableTx *vt = NULL;
    mt_hash *digests = NULL;
    seal_rtx res;
    memset(&res, 0, sizeof(res));
    Immudb__Schema__VerifiableTxRequest r;
    immudb__schema__verifiable_tx_request__init(&r);
    r.tx = txid;
    r.provesincetx = v.src.tx;
    if ((rc = sc_call(c, "VerifiableTxById", &r.base, &immudb__schema__verifiable_tx__descriptor,
                      (ProtobufCMessage **)&vt, NULL)) != 0)
        goto done;
    if (!vt->tx || !vt->tx->header || !vt->dualproof || !vt->dualproof->sourcetxheader ||
        !vt->dualproof->targettxheader) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the response lacks the tx or the dual proof", what);
        goto done;
    }
    mt_txhdr sh, th, rh;
    sc_hdr_from_pb(vt->dualproof->sourcetxheader, &sh);
    sc_hdr_from_pb(vt->dualproof->targettxheader, &th);
    sc_hdr_from_pb(vt->tx->header, &rh);
    bool forward = v.src.tx <= txid;
    uint64_t sid, tid;
    mt_hash salh, talh, palh, ralh;
    const mt_txhdr *ph = forward ? &th : &sh;
    if (ph->id != txid || mt_alh(palh, ph) != 0) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the proof is not about tx %llu", what,
                     (unsigned long long)txid);
        goto done;
    }
    if (forward) {
        sid = v.src.tx;
        memcpy(salh, v.src.hash, MT_HASH_LEN);
        tid = txid;
        memcpy(talh, palh, MT_HASH_LEN);
    } else {
        sid = txid;
        memcpy(salh, palh, MT_HASH_LEN);
        tid = v.src.tx;
        memcpy(talh, v.src.hash, MT_HASH_LEN);
    }
    if (v.src.tx > 0 &&
        (rc = verify_dual(c, what, vt->dualproof, sid, tid, salh, talh, &v.fetched)) != 0)
        goto done;
    /* beyond the Go client: the tx returned is the one proven, and its
     * entries rebuild its Eh */
    if (mt_alh(ralh, &rh) != 0 || memcmp(ralh, palh, MT_HASH_LEN) != 0) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the returned tx header is not the proven one", what);
        goto done;
    }
    size_t n = vt->tx->n_entries;
    if (n != rh.nentries) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the tx carries %zu entries, its header says %u", what, n,
                     rh.nentries);
        goto done;
    }
    digests = seal_malloc((n ? n : 1) * MT_HASH_LEN);
    if (!digests) {
        rc = SEAL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const Immudb__Schema__TxEntry *e = vt->tx->entries[i];
        uint8_t md[MT_MAX_KVMD_LEN];
        size_t ml = sc_kvmd_bytes_pb(e->metadata, md);
        mt_hash hv;
        mt_digest_from_bytes(hv, e->hvalue.data, e->hvalue.len);
        if (mt_entry_digest(digests[i], rh.version, md, ml, e->key.data, e->key.len, hv) != 0) {
            rc = sc_fail(c, SEAL_EVERIFY, "%s: entry %zu cannot be hashed", what, i);
            goto done;
        }
        if (e->value.len) {
            mt_hash vh;
            if ((rc = cry_sha256(vh, e->value.data, e->value.len)) != 0)
                goto done;
            if (memcmp(vh, hv, MT_HASH_LEN) != 0) {
                rc = sc_fail(c, SEAL_EVERIFY, "%s: the value of entry %zu does not match its hash",
                             what, i);
                goto done;
            }
        }
    }
    mt_hash eh;
    if ((rc = mt_htree_root(eh, digests, n)) != 0)
        goto done;
    if (memcmp(eh, rh.eh, MT_HASH_LEN) != 0) {
        rc = sc_fail(c, SEAL_EVERIFY, "%s: the entries do not rebuild the tx's Eh", what);
        goto done;
    }
    if ((rc = sc_rtx_from_pb(vt->tx, &res)) != 0)
        goto done;
    if ((rc = v_commit(c, &v, what, tid, talh, vt->signature, vi)) != 0)
        goto done;
    *out = res;
    memset(&res, 0, sizeof(res));
done:
    seal_rtx_clear(&res);
    seal_free(digests);
    sc_msg_free(vt);
    v_end(&v);
    return rc;
}

/* ------------------------------------------------ consistency and audit */
static int consistency(seal_client *c, seal_consistency *out, bool audit)
{
    sc_begin(c);
    const char *what = audit ? "audit" : "consistency check";
    vsess v;
    seal_consistency res;
    memset(&res, 0, sizeof(res));
    int rc = v_begin(c, &v, false);
    bool adopt = false;
    char h1[17], h2[17];
    if (rc == SEAL_ENOTFOUND && audit) {
        /* nothing trusted yet: lock again and adopt the server's state */
        if ((rc = sc_state_lock(c, &v.lk)) != 0)
            return rc;
        adopt = true;
    } else if (rc) {
        return rc;
    }
    Immudb__Schema__VerifiableTx *vt = NULL;
    sc_state cur;
    if ((rc = fetch_current(c, &cur, &res.server)) != 0)
        goto done;
    if (adopt) {
        sc_state probe;
        if (sc_state_get(c, &v.lk, &probe) == 0) {
            /* another client stored one meanwhile: check against it */
            v.src = probe;
            v.origin = SEAL_TRUST_STORED;
            adopt = false;
        }
    }
    if (adopt) {
        res.origin = SEAL_TRUST_FIRST_USE;
        res.trusted_tx = cur.tx;
        memcpy(res.trusted_hash, cur.hash, MT_HASH_LEN);
        if ((rc = sc_state_put(c, &v.lk, &cur)) != 0)
            goto done;
        res.advanced = 1;
        sc_notice(c, "first use of server %s database %s: trusted its state at tx %llu",
                  c->server_uuid, c->db, (unsigned long long)cur.tx);
        goto done;
    }
    res.origin = v.origin;
    res.trusted_tx = v.src.tx;
    memcpy(res.trusted_hash, v.src.hash, MT_HASH_LEN);
    if (cur.tx < v.src.tx) {
        rc = sc_fail(c, SEAL_EVERIFY,
                     "%s: the server rewound: its current tx %llu is below the trusted tx %llu",
                     what, (unsigned long long)cur.tx, (unsigned long long)v.src.tx);
        goto done;
    }
    if (cur.tx == v.src.tx) {
        if (memcmp(cur.hash, v.src.hash, MT_HASH_LEN) != 0) {
            rc =
                sc_fail(c, SEAL_EVERIFY,
                        "%s: the server forked: tx %llu has hash %s.. on the server and %s.. in "
                        "the trusted state",
                        what, (unsigned long long)cur.tx, HEXN(cur.hash, h1), HEXN(v.src.hash, h2));
            goto done;
        }
    } else {
        Immudb__Schema__VerifiableTxRequest r;
        immudb__schema__verifiable_tx_request__init(&r);
        r.tx = cur.tx;
        r.provesincetx = v.src.tx;
        if ((rc =
                 sc_call(c, "VerifiableTxById", &r.base, &immudb__schema__verifiable_tx__descriptor,
                         (ProtobufCMessage **)&vt, NULL)) != 0)
            goto done;
        rc =
            verify_dual(c, what, vt->dualproof, v.src.tx, cur.tx, v.src.hash, cur.hash, &v.fetched);
        if (rc == SEAL_EVERIFY) {
            char msg[sizeof(c->err)];
            snprintf(msg, sizeof(msg), "%s", c->err);
            rc = sc_fail(c, SEAL_EVERIFY,
                         "%s: the server forked: its state at tx %llu does not extend the "
                         "trusted state at tx %llu (%.700s)",
                         what, (unsigned long long)cur.tx, (unsigned long long)v.src.tx, msg);
        }
        if (rc)
            goto done;
    }
    if (audit && (cur.tx > v.src.tx || v.origin == SEAL_TRUST_PINNED)) {
        if ((rc = sc_state_put(c, &v.lk, &cur)) != 0)
            goto done;
        res.advanced = 1;
    }
done:
    sc_msg_free(vt);
    v_end(&v);
    if (out && (rc == 0 || rc == SEAL_EVERIFY))
        *out = res;
    return rc;
}

int seal_client_check_consistency(seal_client *c, seal_consistency *out)
{
    return consistency(c, out, false);
}

int seal_client_audit_step(seal_client *c, seal_consistency *out)
{
    return consistency(c, out, true);
}
