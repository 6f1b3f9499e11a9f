/* srvkv_verify_test.c - the Verifiable* handlers through the gRPC transport,
 * checked the way immudb's Go client checks them (formats spec 7.2-7.5):
 * the client decodes the protobuf answer, rebuilds the tx / entry digest
 * from the key it asked for, checks htree inclusion against Eh, verifies
 * the dual proof from its previous state and the state signature with its
 * configured public key, then adopts the new state. For header version 0
 * and 1 databases, signed and unsigned; tampered answers must fail; error
 * statuses as immudb's. */
#include "srvkv_harness.h"

static int g_ver;

static int vset(kvh *h, vcli *c, const char *k, const char *v, Immudb__Schema__VerifiableTx **out)
{
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = BINN(k, strlen(k));
    kv.value = BINN(v, strlen(v));
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest sq;
    immudb__schema__set_request__init(&sq);
    sq.n_kvs = 1;
    sq.kvs = kvs;
    Immudb__Schema__VerifiableSetRequest q;
    immudb__schema__verifiable_set_request__init(&q);
    q.setrequest = &sq;
    q.provesincetx = c->tx;
    return kvh_call(h, "VerifiableSet", &q.base, &immudb__schema__verifiable_tx__descriptor, out);
}

/* VerifiedSet end to end; returns 0 or the failure. */
static int verified_set(kvh *h, vcli *c, const char *k, const char *v)
{
    Immudb__Schema__VerifiableTx *vt;
    int code = vset(h, c, k, v, &vt);
    if (code != GW_OK) {
        T_FAIL("VerifiableSet: %d %s", code, kvh_msg);
        return -1;
    }
    uint8_t key[256], val[256];
    size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k));
    size_t vl = kv_enc_value(val, sizeof(val), U8(v), strlen(v));
    int rc = vc_write(c, vt, key, kl, val, vl, true, true);
    kvh_free(vt);
    return rc;
}

static int vget_call(kvh *h, uint64_t prove, const char *k, uint64_t at_tx,
                     Immudb__Schema__VerifiableEntry **out)
{
    Immudb__Schema__KeyRequest kq;
    immudb__schema__key_request__init(&kq);
    kq.key = BINN(k, strlen(k));
    kq.attx = at_tx;
    Immudb__Schema__VerifiableGetRequest q;
    immudb__schema__verifiable_get_request__init(&q);
    q.keyrequest = &kq;
    q.provesincetx = prove;
    return kvh_call(h, "VerifiableGet", &q.base, &immudb__schema__verifiable_entry__descriptor,
                    out);
}

static int verified_get(kvh *h, vcli *c, const char *k, uint64_t at_tx, const char *want)
{
    Immudb__Schema__VerifiableEntry *ve;
    int code = vget_call(h, c->tx, k, at_tx, &ve);
    if (code != GW_OK) {
        T_FAIL("VerifiableGet %s: %d %s", k, code, kvh_msg);
        return -1;
    }
    int rc = vc_get(c, ve, k, at_tx);
    if (rc == 0 && want && !BIN_EQ(ve->entry->value, want))
        rc = SEAL_EVERIFY;
    kvh_free(ve);
    return rc;
}

static int vtx_call(kvh *h, uint64_t prove, uint64_t id, Immudb__Schema__VerifiableTx **out)
{
    Immudb__Schema__VerifiableTxRequest q;
    immudb__schema__verifiable_tx_request__init(&q);
    q.tx = id;
    q.provesincetx = prove;
    return kvh_call(h, "VerifiableTxById", &q.base, &immudb__schema__verifiable_tx__descriptor,
                    out);
}

static int verified_tx(kvh *h, vcli *c, uint64_t id)
{
    Immudb__Schema__VerifiableTx *vt;
    int code = vtx_call(h, c->tx, id, &vt);
    if (code != GW_OK) {
        T_FAIL("VerifiableTxById %llu: %d %s", (unsigned long long)id, code, kvh_msg);
        return -1;
    }
    int rc = vc_tx(c, vt, id);
    kvh_free(vt);
    return rc;
}

static int verified_ref(kvh *h, vcli *c, const char *k, const char *rk, uint64_t at_tx)
{
    Immudb__Schema__ReferenceRequest rq;
    immudb__schema__reference_request__init(&rq);
    rq.key = BINN(k, strlen(k));
    rq.referencedkey = BINN(rk, strlen(rk));
    rq.attx = at_tx;
    rq.boundref = at_tx > 0;
    Immudb__Schema__VerifiableReferenceRequest q;
    immudb__schema__verifiable_reference_request__init(&q);
    q.referencerequest = &rq;
    q.provesincetx = c->tx;
    Immudb__Schema__VerifiableTx *vt;
    int code = kvh_call(h, "VerifiableSetReference", &q.base,
                        &immudb__schema__verifiable_tx__descriptor, &vt);
    if (code != GW_OK) {
        T_FAIL("VerifiableSetReference: %d %s", code, kvh_msg);
        return -1;
    }
    uint8_t key[256], val[256];
    size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k));
    size_t vl = kv_enc_ref_value(val, sizeof(val), U8(rk), strlen(rk), at_tx);
    int rc = vc_write(c, vt, key, kl, val, vl, false, false);
    kvh_free(vt);
    return rc;
}

static int verified_zadd(kvh *h, vcli *c, const char *set, double score, const char *k)
{
    Immudb__Schema__ZAddRequest zq;
    immudb__schema__zadd_request__init(&zq);
    zq.set = BINN(set, strlen(set));
    zq.key = BINN(k, strlen(k));
    zq.score = score;
    Immudb__Schema__VerifiableZAddRequest q;
    immudb__schema__verifiable_zadd_request__init(&q);
    q.zaddrequest = &zq;
    q.provesincetx = c->tx;
    Immudb__Schema__VerifiableTx *vt;
    int code =
        kvh_call(h, "VerifiableZAdd", &q.base, &immudb__schema__verifiable_tx__descriptor, &vt);
    if (code != GW_OK) {
        T_FAIL("VerifiableZAdd: %d %s", code, kvh_msg);
        return -1;
    }
    uint8_t key[512];
    size_t kl = kv_enc_zkey(key, sizeof(key), U8(set), strlen(set), score, U8(k), strlen(k), 0);
    int rc = vc_write(c, vt, key, kl, NULL, 0, false, false);
    kvh_free(vt);
    return rc;
}

/* ------------------------------------------------------------------ cases */
static void flows(bool sign)
{
    kvh h;
    kvh_start(&h, g_ver, sign);
    vcli c;
    vcli_init(&c, &h);

    CHECK_OK(verified_set(&h, &c, "k1", "v1")); /* trust on first use */
    CHECK_INT(c.tx, 1);
    CHECK_OK(verified_set(&h, &c, "k2", "v2")); /* 1 -> 2 */
    for (int i = 0; i < 6; i++)
        kvh_set(&h, "filler", "f");
    CHECK_OK(verified_set(&h, &c, "k3", "v3")); /* 2 -> 9 */
    CHECK_INT(c.tx, 9);

    /* Get of an older key: source = its tx, target = the state (stays at 9) */
    CHECK_OK(verified_get(&h, &c, "k1", 0, "v1"));
    CHECK_INT(c.tx, 9);
    CHECK_OK(verified_get(&h, &c, "k1", 1, "v1"));
    /* newer than the state: the state advances */
    kvh_set(&h, "k4", "v4");
    CHECK_OK(verified_get(&h, &c, "k4", 0, "v4"));
    CHECK_INT(c.tx, 10);

    /* references: only the reference entry is proven */
    CHECK_OK(verified_ref(&h, &c, "r1", "k3", 0));
    CHECK_OK(verified_get(&h, &c, "r1", 0, "v3"));
    CHECK_OK(verified_ref(&h, &c, "r2", "k1", 1));
    CHECK_OK(verified_get(&h, &c, "r2", 0, "v1"));

    /* sorted sets (Go's VerifiedZAdd: atTx 0) */
    CHECK_OK(verified_zadd(&h, &c, "set", 1.5, "k2"));
    CHECK_OK(verified_zadd(&h, &c, "set", -3.25, "k1"));

    /* tx by id, older and newer than the state */
    CHECK_OK(verified_tx(&h, &c, 3));
    kvh_set(&h, "later", "x");
    CHECK_OK(verified_tx(&h, &c, c.tx + 1));
    CHECK_OK(verified_tx(&h, &c, 1));

    /* metadata (v1): the entry's metadata as returned enters the digest */
    if (g_ver == 1) {
        Immudb__Schema__Expiration ex;
        Immudb__Schema__KVMetadata md;
        Immudb__Schema__KeyValue kv;
        immudb__schema__expiration__init(&ex);
        immudb__schema__kvmetadata__init(&md);
        immudb__schema__key_value__init(&kv);
        ex.expiresat = (int64_t)time(NULL) + 1000;
        md.expiration = &ex;
        kv.key = BIN("ek");
        kv.value = BIN("ev");
        kv.metadata = &md;
        Immudb__Schema__KeyValue *kvs[1] = {&kv};
        Immudb__Schema__SetRequest sq;
        immudb__schema__set_request__init(&sq);
        sq.n_kvs = 1;
        sq.kvs = kvs;
        Immudb__Schema__VerifiableSetRequest q;
        immudb__schema__verifiable_set_request__init(&q);
        q.setrequest = &sq;
        q.provesincetx = c.tx;
        Immudb__Schema__VerifiableTx *vt;
        CHECK_INT(
            kvh_call(&h, "VerifiableSet", &q.base, &immudb__schema__verifiable_tx__descriptor, &vt),
            GW_OK);
        CHECK(vt->tx->entries[0]->metadata && vt->tx->entries[0]->metadata->expiration);
        uint8_t k2[8], v2[8];
        size_t k2l = kv_enc_key(k2, sizeof(k2), U8("ek"), 2);
        size_t v2l = kv_enc_value(v2, sizeof(v2), U8("ev"), 2);
        CHECK_OK(vc_write(&c, vt, k2, k2l, v2, v2l, true, true));
        kvh_free(vt);
        CHECK_OK(verified_get(&h, &c, "ek", 0, "ev"));
    }

    /* many verified writes over growing gaps */
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof(k), "m%d", i);
        for (int j = 0; j < i % 5; j++)
            kvh_set(&h, "gap", k);
        CHECK_OK(verified_set(&h, &c, k, k));
        if (i % 7 == 0)
            CHECK_OK(verified_get(&h, &c, "k2", 0, "v2"));
    }

    /* the signature is there exactly when the server signs */
    Immudb__Schema__VerifiableTx *vt;
    CHECK_INT(vset(&h, &c, "sig", "x", &vt), GW_OK);
    CHECK((vt->signature != NULL) == sign);
    if (sign)
        CHECK(vt->signature->signature.len > 60 && vt->signature->publickey.len == 65);
    kvh_free(vt);

    /* what the client verified is the server's state */
    uint64_t st;
    uint8_t alh[32];
    kvh_state(&h, &st, alh);
    CHECK_OK(verified_tx(&h, &c, st));
    CHECK_INT(c.tx, st);
    CHECK_MEM(c.alh, alh, 32);
    kvh_stop(&h);
}

static void flows_signed(void)
{
    flows(true);
}

static void flows_unsigned(void)
{
    flows(false);
}

/* The exact proof fields: DualProof 1-8 as immudb fills them for the common
 * shapes (synchronous linking, spec 5.3). */
static void proof_shapes(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    for (int i = 0; i < 5; i++)
        kvh_set(&h, "a", "b");
    Immudb__Schema__VerifiableTx *vt;
    CHECK_INT(vtx_call(&h, 5, 5, &vt), GW_OK); /* s == t */
    Immudb__Schema__DualProof *p = vt->dualproof;
    CHECK(p->sourcetxheader && p->targettxheader);
    CHECK_INT(p->sourcetxheader->id, 5);
    CHECK_INT(p->n_inclusionproof, 0);
    CHECK_INT(p->targetbltxalh.len, 32);
    CHECK(p->linearproof && p->linearproof->sourcetxid == 5 && p->linearproof->targettxid == 5);
    CHECK_INT(p->linearproof->n_terms, 1);
    CHECK(p->linearadvanceproof == NULL);
    CHECK_INT(vt->tx->header->id, 5);
    CHECK(vt->signature == NULL);
    kvh_free(vt);
    CHECK_INT(vtx_call(&h, 2, 5, &vt), GW_OK); /* s < t */
    p = vt->dualproof;
    CHECK_INT(p->sourcetxheader->id, 2);
    CHECK_INT(p->targettxheader->id, 5);
    CHECK(p->n_inclusionproof > 0 && p->n_lastinclusionproof > 0 && p->n_consistencyproof > 0);
    for (size_t i = 0; i < p->n_inclusionproof; i++)
        CHECK_INT(p->inclusionproof[i].len, 32);
    CHECK(p->linearproof->sourcetxid == 4 && p->linearproof->targettxid == 5);
    CHECK_INT(p->linearproof->n_terms, 2);
    kvh_free(vt);
    CHECK_INT(vtx_call(&h, 0, 3, &vt), GW_OK); /* proveSinceTx 0: the tx itself */
    CHECK(vt->dualproof->sourcetxheader->id == 3 && vt->dualproof->targettxheader->id == 3);
    kvh_free(vt);
    kvh_stop(&h);
}

/* A client must reject what does not verify: tampered proofs, values,
 * headers and signatures (the checks above can fail). */
static void tampering(void)
{
    kvh h;
    kvh_start(&h, g_ver, true);
    vcli c;
    vcli_init(&c, &h);
    CHECK_OK(verified_set(&h, &c, "a", "1"));
    for (int i = 0; i < 4; i++)
        kvh_set(&h, "f", "x");
    CHECK_OK(verified_set(&h, &c, "b", "2"));
    kvh_set(&h, "c", "3");

    Immudb__Schema__VerifiableTx *vt;
    uint8_t key[8], val[8];
    size_t kl = kv_enc_key(key, sizeof(key), U8("d"), 1);
    size_t vl = kv_enc_value(val, sizeof(val), U8("4"), 1);
    CHECK_INT(vset(&h, &c, "d", "4", &vt), GW_OK);
    for (int t = 0; t < 6; t++) {
        vcli cc = c;
        uint8_t saved;
        uint8_t *where;
        switch (t) {
        case 0:
            where = &vt->dualproof->linearproof->terms[0].data[3];
            break;
        case 1:
            where = &vt->dualproof->inclusionproof[0].data[0];
            break;
        case 2:
            where = &vt->tx->entries[0]->hvalue.data[31];
            break;
        case 3:
            where = &vt->dualproof->targettxheader->prevalh.data[5];
            break;
        case 4:
            where = &vt->signature->signature.data[10];
            break;
        default:
            where = &vt->dualproof->consistencyproof[0].data[9];
            break;
        }
        saved = *where;
        *where ^= 0x40;
        if (vc_write(&cc, vt, key, kl, val, vl, true, true) == 0)
            T_FAIL("tampering %d not detected", t);
        CHECK_INT(cc.tx, c.tx); /* the state is not adopted */
        *where = saved;
    }
    /* the wrong value, or another key */
    uint8_t val2[8];
    size_t vl2 = kv_enc_value(val2, sizeof(val2), U8("5"), 1);
    vcli cc = c;
    CHECK(vc_write(&cc, vt, key, kl, val2, vl2, true, true) != 0);
    CHECK(vc_write(&cc, vt, key, kl - 1, val, vl, true, true) != 0);
    /* another database name in the signed state */
    cc.db = "other";
    CHECK(vc_write(&cc, vt, key, kl, val, vl, true, true) != 0);
    cc = c;
    CHECK_OK(vc_write(&cc, vt, key, kl, val, vl, true, true));
    kvh_free(vt);
    c = cc;

    /* VerifiableGet: the value is not in the proof for a plain entry, so a
     * changed value must break inclusion */
    Immudb__Schema__VerifiableEntry *ve;
    CHECK_INT(vget_call(&h, c.tx, "a", 0, &ve), GW_OK);
    cc = c;
    ve->entry->value.data[0] ^= 1;
    CHECK(vc_get(&cc, ve, "a", 0) != 0);
    ve->entry->value.data[0] ^= 1;
    ve->inclusionproof->leaf = 1;
    CHECK(vc_get(&cc, ve, "a", 0) != 0);
    ve->inclusionproof->leaf = 0;
    CHECK(vc_get(&cc, ve, "b", 0) != 0); /* asked for another key */
    CHECK_OK(vc_get(&cc, ve, "a", 0));
    kvh_free(ve);
    kvh_stop(&h);
}

static void errors(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "k", "v");
    Immudb__Schema__VerifiableTx *vt;
    vcli c;
    vcli_init(&c, &h);
    c.tx = 5;
    CHECK_STATUS(vset(&h, &c, "x", "y", &vt), 3, "illegal state");
    Immudb__Schema__VerifiableSetRequest q;
    immudb__schema__verifiable_set_request__init(&q);
    CHECK_STATUS(
        kvh_call(&h, "VerifiableSet", &q.base, &immudb__schema__verifiable_tx__descriptor, NULL), 3,
        "illegal arguments");
    q.provesincetx = 9;
    CHECK_STATUS(
        kvh_call(&h, "VerifiableSet", &q.base, &immudb__schema__verifiable_tx__descriptor, NULL), 3,
        "illegal state");
    c.tx = 0;
    CHECK_STATUS(vset(&h, &c, "", "y", &vt), 3, "illegal arguments");

    CHECK_STATUS(vget_call(&h, 0, "nope", 0, NULL), 2, "key not found");
    CHECK_STATUS(vget_call(&h, 7, "k", 0, NULL), 3, "illegal state");
    CHECK_STATUS(vget_call(&h, 0, "", 0, NULL), 2, "illegal arguments: empty key");
    Immudb__Schema__VerifiableGetRequest gq;
    immudb__schema__verifiable_get_request__init(&gq);
    CHECK_STATUS(kvh_call(&h, "VerifiableGet", &gq.base,
                          &immudb__schema__verifiable_entry__descriptor, NULL),
                 2, "illegal arguments: empty request");

    CHECK_STATUS(vtx_call(&h, 0, 4, NULL), 2, "tx not found");
    CHECK_STATUS(vtx_call(&h, 4, 1, NULL), 2,
                 "illegal state: latest txID=1 is lower than specified as initial tx=4");

    Immudb__Schema__VerifiableReferenceRequest rq;
    immudb__schema__verifiable_reference_request__init(&rq);
    CHECK_STATUS(kvh_call(&h, "VerifiableSetReference", &rq.base,
                          &immudb__schema__verifiable_tx__descriptor, NULL),
                 3, "illegal arguments");
    Immudb__Schema__ReferenceRequest r;
    immudb__schema__reference_request__init(&r);
    r.key = BIN("r");
    r.referencedkey = BIN("missing");
    rq.referencerequest = &r;
    CHECK_STATUS(kvh_call(&h, "VerifiableSetReference", &rq.base,
                          &immudb__schema__verifiable_tx__descriptor, NULL),
                 2, "key not found");
    rq.provesincetx = 3;
    CHECK_STATUS(kvh_call(&h, "VerifiableSetReference", &rq.base,
                          &immudb__schema__verifiable_tx__descriptor, NULL),
                 3, "illegal arguments");

    Immudb__Schema__VerifiableZAddRequest zq;
    immudb__schema__verifiable_zadd_request__init(&zq);
    CHECK_STATUS(
        kvh_call(&h, "VerifiableZAdd", &zq.base, &immudb__schema__verifiable_tx__descriptor, NULL),
        3, "illegal arguments");
    Immudb__Schema__ZAddRequest z;
    immudb__schema__zadd_request__init(&z);
    z.set = BIN("s");
    z.key = BIN("k");
    z.attx = 1; /* Go's VerifiedZAddAt does not set boundRef: refused */
    zq.zaddrequest = &z;
    CHECK_STATUS(
        kvh_call(&h, "VerifiableZAdd", &zq.base, &immudb__schema__verifiable_tx__descriptor, NULL),
        3, "illegal arguments");

    /* nothing above was written */
    uint64_t st;
    uint8_t alh[32];
    kvh_state(&h, &st, alh);
    CHECK_INT(st, 1);
    kvh_stop(&h);
}

static void run_all(int ver)
{
    g_ver = ver;
    fprintf(stderr, "-- header version %d\n", ver);
    RUN(flows_signed);
    RUN(flows_unsigned);
    RUN(proof_shapes);
    RUN(tampering);
    RUN(errors);
}

int main(void)
{
    t_init();
    run_all(0);
    run_all(1);
    return t_done();
}
