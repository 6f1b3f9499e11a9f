/* srvkv_kv_test.c - the unary key/value and transaction handlers of
 * srv_kv.c through the real gRPC transport and the C client, with
 * protobuf-c on both sides: happy paths and immudb's error statuses (code
 * and message) for header version 0 and 1 databases, the message-shape
 * rules immudb's clients depend on (metadata only when present, 32-byte
 * digests, prefixed keys in Tx entries, unprefixed in Entry), and a
 * malformed request that must not stop the server. */
#include "srvkv_harness.h"

static int g_ver; /* header version of the current run */

/* ------------------------------------------------------- request builders */
typedef struct kvreq {
    Immudb__Schema__KeyValue kv[8];
    Immudb__Schema__KeyValue *kvp[8];
    Immudb__Schema__KVMetadata md[8];
    Immudb__Schema__Expiration ex[8];
    Immudb__Schema__SetRequest q;
} kvreq;

static void kvreq_init(kvreq *r)
{
    memset(r, 0, sizeof(*r));
    immudb__schema__set_request__init(&r->q);
    r->q.kvs = r->kvp;
}

static Immudb__Schema__KeyValue *kvreq_add(kvreq *r, const char *k, const char *v)
{
    size_t i = r->q.n_kvs++;
    immudb__schema__key_value__init(&r->kv[i]);
    r->kv[i].key = BINN(k, strlen(k));
    r->kv[i].value = BINN(v, strlen(v));
    r->kvp[i] = &r->kv[i];
    return &r->kv[i];
}

static Immudb__Schema__KVMetadata *kvreq_md(kvreq *r, size_t i)
{
    immudb__schema__kvmetadata__init(&r->md[i]);
    r->kv[i].metadata = &r->md[i];
    return &r->md[i];
}

static int do_set(kvh *h, kvreq *r, Immudb__Schema__TxHeader **out)
{
    return kvh_call(h, "Set", &r->q.base, &immudb__schema__tx_header__descriptor, out);
}

static int do_get(kvh *h, const char *k, uint64_t at_tx, Immudb__Schema__Entry **out)
{
    Immudb__Schema__KeyRequest q;
    immudb__schema__key_request__init(&q);
    q.key = BINN(k, strlen(k));
    q.attx = at_tx;
    return kvh_call(h, "Get", &q.base, &immudb__schema__entry__descriptor, out);
}

static void check_hdr(const Immudb__Schema__TxHeader *hd, uint64_t id, int nentries)
{
    CHECK(hd != NULL);
    if (!hd)
        return;
    CHECK_INT(hd->id, id);
    CHECK_INT(hd->nentries, nentries);
    CHECK_INT(hd->version, g_ver);
    CHECK_INT(hd->prevalh.len, 32);
    CHECK_INT(hd->eh.len, 32);
    CHECK_INT(hd->blroot.len, 32);
    CHECK_INT(hd->bltxid, id - 1);
    CHECK(hd->metadata == NULL); /* no tx metadata: the field is absent */
    CHECK(hd->ts > 0);
}

/* ------------------------------------------------------------------ cases */
static void set_get(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvreq r;
    kvreq_init(&r);
    kvreq_add(&r, "k1", "v1");
    kvreq_add(&r, "k2", "");
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(do_set(&h, &r, &hd), GW_OK);
    check_hdr(hd, 1, 2);
    kvh_free(hd);

    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "k1", 0, &e), GW_OK);
    CHECK_INT(e->tx, 1);
    CHECK(BIN_EQ(e->key, "k1"));
    CHECK(BIN_EQ(e->value, "v1"));
    CHECK(e->metadata == NULL);
    CHECK(e->referencedby == NULL);
    CHECK_INT(e->revision, 1);
    CHECK(!e->expired);
    kvh_free(e);
    CHECK_INT(do_get(&h, "k2", 0, &e), GW_OK);
    CHECK_INT(e->value.len, 0);
    kvh_free(e);

    /* a second version; Get at tx 1 reads the first (revision 0, as immudb) */
    kvh_set(&h, "k1", "v1b");
    CHECK_INT(do_get(&h, "k1", 0, &e), GW_OK);
    CHECK(BIN_EQ(e->value, "v1b"));
    CHECK_INT(e->revision, 2);
    kvh_free(e);
    CHECK_INT(do_get(&h, "k1", 1, &e), GW_OK);
    CHECK(BIN_EQ(e->value, "v1"));
    CHECK_INT(e->tx, 1);
    CHECK_INT(e->revision, 0);
    kvh_free(e);
    /* atRevision */
    Immudb__Schema__KeyRequest q;
    immudb__schema__key_request__init(&q);
    q.key = BIN("k1");
    q.atrevision = 1;
    CHECK_INT(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, &e), GW_OK);
    CHECK(e && BIN_EQ(e->value, "v1") && e->revision == 1);
    kvh_free(e);
    q.atrevision = -1;
    CHECK_INT(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, &e), GW_OK);
    CHECK(e && BIN_EQ(e->value, "v1"));
    kvh_free(e);
    q.atrevision = 9;
    CHECK_STATUS(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, NULL), 2,
                 "invalid key revision number");

    /* errors, as immudb */
    CHECK_STATUS(do_get(&h, "nope", 0, NULL), 2, "key not found");
    CHECK_STATUS(do_get(&h, "", 0, NULL), 2, "illegal arguments: empty key");
    immudb__schema__key_request__init(&q);
    q.key = BIN("k1");
    q.attx = 1;
    q.sincetx = 1;
    CHECK_STATUS(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, NULL), 2,
                 "illegal arguments: SinceTx should not be specified when AtTx is used");
    q.attx = 0;
    q.sincetx = 99;
    CHECK_STATUS(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, NULL), 2,
                 "illegal arguments: SinceTx must not be greater than the current transaction ID");
    CHECK_STATUS(do_get(&h, "k1", 99, NULL), 2, "tx not found");

    kvreq_init(&r);
    CHECK_STATUS(do_set(&h, &r, NULL), 2, "no entries provided");
    kvreq_add(&r, "", "v");
    CHECK_STATUS(do_set(&h, &r, NULL), 3, "illegal arguments");
    kvreq_init(&r);
    kvreq_add(&r, "a", "1");
    kvreq_add(&r, "a", "2");
    CHECK_STATUS(do_set(&h, &r, NULL), 3,
                 "duplicated keys are not supported in single batch transaction");
    /* key length limit: the stored key is 1 + len */
    char big[1100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    kvreq_init(&r);
    kvreq_add(&r, big, "v");
    CHECK_STATUS(do_set(&h, &r, NULL), 2, "max key length exceeded");

    /* nothing failed wrote anything */
    CHECK_INT(kvh_set(&h, "last", "x"), 3);
    kvh_stop(&h);
}

static void metadata_rules(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    const int64_t exp = (int64_t)time(NULL) + 3;
    kvreq r;
    kvreq_init(&r);
    kvreq_add(&r, "e", "ev");
    kvreq_md(&r, 0)->expiration = &r.ex[0];
    immudb__schema__expiration__init(&r.ex[0]);
    r.ex[0].expiresat = exp;
    Immudb__Schema__TxHeader *hd;
    if (g_ver == 0) {
        CHECK_STATUS(do_set(&h, &r, NULL), 2,
                     "metadata is unsupported when in 1.1 compatibility mode, do not use "
                     "metadata-related features such as expiration and logical deletion");
        /* an empty metadata message is no metadata, also in v0 */
        kvreq_init(&r);
        kvreq_add(&r, "p", "pv");
        kvreq_md(&r, 0);
        CHECK_INT(do_set(&h, &r, &hd), GW_OK);
        kvh_free(hd);
        Immudb__Schema__Entry *e;
        CHECK_INT(do_get(&h, "p", 0, &e), GW_OK);
        CHECK(e && e->metadata == NULL);
        kvh_free(e);
        /* Delete needs metadata too */
        Immudb__Schema__DeleteKeysRequest dq;
        immudb__schema__delete_keys_request__init(&dq);
        ProtobufCBinaryData keys[1] = {BIN("p")};
        dq.n_keys = 1;
        dq.keys = keys;
        CHECK_STATUS(kvh_call(&h, "Delete", &dq.base, &immudb__schema__tx_header__descriptor, NULL),
                     2,
                     "metadata is unsupported when in 1.1 compatibility mode, do not use "
                     "metadata-related features such as expiration and logical deletion");
        kvh_stop(&h);
        return;
    }
    CHECK_INT(do_set(&h, &r, &hd), GW_OK);
    uint64_t etx = hd->id;
    kvh_free(hd);
    kvreq_init(&r);
    kvreq_add(&r, "p", "pv");
    kvreq_md(&r, 0); /* present but empty: stored without metadata */
    kvreq_add(&r, "n", "nv");
    kvreq_md(&r, 1)->nonindexable = 1;
    CHECK_INT(do_set(&h, &r, &hd), GW_OK);
    uint64_t ptx = hd->id;
    kvh_free(hd);

    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "e", 0, &e), GW_OK);
    CHECK(e->metadata && e->metadata->expiration && e->metadata->expiration->expiresat == exp);
    CHECK(e->metadata && !e->metadata->deleted && !e->metadata->nonindexable);
    kvh_free(e);
    CHECK_INT(do_get(&h, "p", 0, &e), GW_OK);
    CHECK(e->metadata == NULL);
    kvh_free(e);
    /* non-indexable: not in the index, readable at its tx */
    CHECK_STATUS(do_get(&h, "n", 0, NULL), 2, "key not found");
    CHECK_INT(do_get(&h, "n", ptx, &e), GW_OK);
    CHECK(e && e->metadata && e->metadata->nonindexable && !e->metadata->expiration);
    kvh_free(e);

    /* raw tx entries: prefixed keys, 32-byte hValue, vLen, metadata only when set */
    Immudb__Schema__TxRequest tq;
    immudb__schema__tx_request__init(&tq);
    tq.tx = ptx;
    Immudb__Schema__Tx *tx;
    CHECK_INT(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, &tx), GW_OK);
    CHECK_INT(tx->n_entries, 2);
    CHECK(tx->entries[0]->key.len == 2 && memcmp(tx->entries[0]->key.data, "\0p", 2) == 0);
    CHECK(tx->entries[0]->metadata == NULL);
    CHECK_INT(tx->entries[0]->vlen, 3);
    CHECK_INT(tx->entries[0]->hvalue.len, 32);
    uint8_t hv[32];
    CHECK_OK(cry_sha256(hv, "\0pv", 3));
    CHECK_MEM(tx->entries[0]->hvalue.data, hv, 32);
    CHECK(tx->entries[0]->value.len == 0);
    CHECK(tx->entries[1]->metadata && tx->entries[1]->metadata->nonindexable);
    CHECK(tx->n_kventries == 0 && tx->n_zentries == 0);
    kvh_free(tx);

    /* expiry */
    while ((int64_t)time(NULL) < exp) /* the server's clock is the wall clock */
        usleep(50000);
    CHECK_STATUS(do_get(&h, "e", 0, NULL), 2, "key not found: expired entry");
    Immudb__Schema__HistoryRequest hq;
    immudb__schema__history_request__init(&hq);
    hq.key = BIN("e");
    Immudb__Schema__Entries *es;
    CHECK_INT(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 1);
    CHECK(es->entries[0]->expired && es->entries[0]->value.len == 0);
    CHECK_INT(es->entries[0]->tx, etx);
    kvh_free(es);
    /* negative expiration refused */
    kvreq_init(&r);
    kvreq_add(&r, "neg", "v");
    kvreq_md(&r, 0)->expiration = &r.ex[0];
    immudb__schema__expiration__init(&r.ex[0]);
    r.ex[0].expiresat = -5;
    CHECK_STATUS(do_set(&h, &r, NULL), 2, "illegal arguments: invalid expiration time");

    /* Delete: logical, then not found; history shows the tombstone */
    Immudb__Schema__DeleteKeysRequest dq;
    immudb__schema__delete_keys_request__init(&dq);
    ProtobufCBinaryData keys[1] = {BIN("p")};
    dq.n_keys = 1;
    dq.keys = keys;
    CHECK_INT(kvh_call(&h, "Delete", &dq.base, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    uint64_t dtx = hd->id;
    kvh_free(hd);
    CHECK_STATUS(do_get(&h, "p", 0, NULL), 2, "key not found");
    CHECK_STATUS(kvh_call(&h, "Delete", &dq.base, &immudb__schema__tx_header__descriptor, NULL), 2,
                 "key not found");
    hq.key = BIN("p");
    CHECK_INT(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 2);
    CHECK(es->entries[1]->metadata && es->entries[1]->metadata->deleted);
    CHECK(es->entries[1]->value.len == 0 && es->entries[1]->tx == dtx);
    CHECK(es->entries[0]->metadata == NULL);
    kvh_free(es);
    tq.tx = dtx;
    CHECK_INT(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, &tx), GW_OK);
    CHECK(tx->n_entries == 1 && tx->entries[0]->metadata && tx->entries[0]->metadata->deleted);
    CHECK_INT(tx->entries[0]->vlen, 0);
    kvh_free(tx);
    keys[0] = BIN("");
    CHECK_STATUS(kvh_call(&h, "Delete", &dq.base, &immudb__schema__tx_header__descriptor, NULL), 3,
                 "illegal arguments");
    kvh_stop(&h);
}

static void preconditions(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "a", "1");
    kvreq r;
    kvreq_init(&r);
    kvreq_add(&r, "b", "2");
    Immudb__Schema__Precondition pc[2];
    Immudb__Schema__Precondition__KeyMustNotExistPrecondition mne;
    Immudb__Schema__Precondition__KeyNotModifiedAfterTXPrecondition nma;
    Immudb__Schema__Precondition *pcp[2] = {&pc[0], &pc[1]};
    immudb__schema__precondition__init(&pc[0]);
    immudb__schema__precondition__init(&pc[1]);
    immudb__schema__precondition__key_must_not_exist_precondition__init(&mne);
    immudb__schema__precondition__key_not_modified_after_txprecondition__init(&nma);
    mne.key = BIN("a");
    pc[0].precondition_case = IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_NOT_EXIST;
    pc[0].keymustnotexist = &mne;
    r.q.n_preconditions = 1;
    r.q.preconditions = pcp;
    CHECK_STATUS(do_set(&h, &r, NULL), 9, "precondition failed: KeyMustNotExist");
    nma.key = BIN("a");
    nma.txid = 1;
    pc[0].precondition_case = IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_NOT_MODIFIED_AFTER_TX;
    pc[0].keynotmodifiedaftertx = &nma;
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(do_set(&h, &r, &hd), GW_OK);
    CHECK_INT(hd->id, 2);
    kvh_free(hd);
    /* an unset oneof */
    r.q.n_preconditions = 2;
    CHECK_STATUS(do_set(&h, &r, NULL), 2, "invalid precondition: null");
    kvh_stop(&h);
}

static void getall_scan_count_history(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "a1", "x1");
    kvh_set(&h, "a2", "x2");
    kvh_set(&h, "b1", "y1");
    kvh_set(&h, "a1", "x1b");

    Immudb__Schema__KeyListRequest gq;
    immudb__schema__key_list_request__init(&gq);
    ProtobufCBinaryData keys[3] = {BIN("b1"), BIN("zz"), BIN("a1")};
    gq.n_keys = 3;
    gq.keys = keys;
    Immudb__Schema__Entries *es;
    CHECK_INT(kvh_call(&h, "GetAll", &gq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 2);
    CHECK(BIN_EQ(es->entries[0]->key, "b1") && BIN_EQ(es->entries[1]->value, "x1b"));
    kvh_free(es);
    gq.sincetx = 99;
    CHECK_STATUS(kvh_call(&h, "GetAll", &gq.base, &immudb__schema__entries__descriptor, NULL), 3,
                 "illegal arguments");

    Immudb__Schema__ScanRequest sq;
    immudb__schema__scan_request__init(&sq);
    sq.prefix = BIN("a");
    CHECK_INT(kvh_call(&h, "Scan", &sq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 2);
    CHECK(BIN_EQ(es->entries[0]->key, "a1") && BIN_EQ(es->entries[0]->value, "x1b"));
    CHECK_INT(es->entries[0]->tx, 4);
    CHECK_INT(es->entries[0]->revision, 2);
    kvh_free(es);
    sq.desc = 1;
    sq.limit = 1;
    sq.prefix = BIN("");
    CHECK_INT(kvh_call(&h, "Scan", &sq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK(es->n_entries == 1 && BIN_EQ(es->entries[0]->key, "b1"));
    kvh_free(es);
    sq.limit = 2501;
    CHECK_STATUS(kvh_call(&h, "Scan", &sq.base, &immudb__schema__entries__descriptor, NULL), 2,
                 "result size limit exceeded: the specified limit (2501) is larger than the "
                 "maximum allowed one (2500)");
    sq.limit = 0;
    sq.desc = 0;
    sq.seekkey = BIN("a1");
    CHECK_INT(kvh_call(&h, "Scan", &sq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK(es->n_entries == 2 && BIN_EQ(es->entries[0]->key, "a2")); /* seek is exclusive */
    kvh_free(es);

    Immudb__Schema__KeyPrefix kp;
    immudb__schema__key_prefix__init(&kp);
    kp.prefix = BIN("a");
    Immudb__Schema__EntryCount *ec;
    CHECK_INT(kvh_call(&h, "Count", &kp.base, &immudb__schema__entry_count__descriptor, &ec),
              GW_OK);
    CHECK_INT(ec->count, 2);
    kvh_free(ec);
    CHECK_INT(kvh_call(&h, "CountAll", NULL, &immudb__schema__entry_count__descriptor, &ec), GW_OK);
    CHECK_INT(ec->count, 3);
    kvh_free(ec);

    Immudb__Schema__HistoryRequest hq;
    immudb__schema__history_request__init(&hq);
    hq.key = BIN("a1");
    CHECK_INT(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 2);
    CHECK(BIN_EQ(es->entries[0]->value, "x1") && es->entries[0]->revision == 1);
    CHECK(BIN_EQ(es->entries[1]->value, "x1b") && es->entries[1]->revision == 2);
    CHECK(BIN_EQ(es->entries[1]->key, "a1"));
    kvh_free(es);
    hq.desc = 1;
    hq.limit = 1;
    CHECK_INT(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK(es->n_entries == 1 && BIN_EQ(es->entries[0]->value, "x1b"));
    kvh_free(es);
    hq.offset = 5;
    CHECK_INT(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, &es), GW_OK);
    CHECK_INT(es->n_entries, 0);
    kvh_free(es);
    hq.offset = 0;
    hq.limit = -1;
    CHECK_STATUS(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, NULL), 2,
                 "tbtree: illegal arguments");
    hq.limit = 3000;
    CHECK_STATUS(kvh_call(&h, "History", &hq.base, &immudb__schema__entries__descriptor, NULL), 2,
                 "result size limit exceeded: the specified limit (3000) is larger than the "
                 "maximum allowed one (2500)");
    kvh_stop(&h);
}

static void references_and_sets(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    uint64_t t1 = kvh_set(&h, "k", "v1");
    kvh_set(&h, "k", "v2");

    Immudb__Schema__ReferenceRequest rq;
    immudb__schema__reference_request__init(&rq);
    rq.key = BIN("r");
    rq.referencedkey = BIN("k");
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(kvh_call(&h, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, &hd),
              GW_OK);
    uint64_t rtx = hd->id;
    kvh_free(hd);
    rq.key = BIN("rb");
    rq.attx = t1;
    rq.boundref = 1;
    CHECK_INT(kvh_call(&h, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, &hd),
              GW_OK);
    kvh_free(hd);
    rq.boundref = 0;
    CHECK_STATUS(
        kvh_call(&h, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, NULL), 3,
        "illegal arguments");
    rq.key = BIN("k");
    rq.referencedkey = BIN("r");
    rq.attx = 0;
    CHECK_STATUS(
        kvh_call(&h, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, NULL), 2,
        "final key cannot be converted into a reference");

    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "r", 0, &e), GW_OK);
    CHECK(BIN_EQ(e->key, "k") && BIN_EQ(e->value, "v2"));
    CHECK(e->referencedby && BIN_EQ(e->referencedby->key, "r") && e->referencedby->tx == rtx &&
          e->referencedby->attx == 0 && e->referencedby->metadata == NULL);
    kvh_free(e);
    CHECK_INT(do_get(&h, "rb", 0, &e), GW_OK);
    CHECK(BIN_EQ(e->value, "v1") && e->tx == t1 && e->referencedby && e->referencedby->attx == t1);
    kvh_free(e);

    /* sorted sets */
    Immudb__Schema__ZAddRequest zq;
    immudb__schema__zadd_request__init(&zq);
    zq.set = BIN("s");
    zq.key = BIN("k");
    zq.score = 2.5;
    CHECK_INT(kvh_call(&h, "ZAdd", &zq.base, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    kvh_free(hd);
    zq.score = -1;
    zq.key = BIN("r");
    CHECK_STATUS(kvh_call(&h, "ZAdd", &zq.base, &immudb__schema__tx_header__descriptor, NULL), 2,
                 "referenced key cannot be a reference");
    zq.key = BIN("k");
    zq.attx = t1;
    zq.boundref = 1;
    zq.score = 1.0;
    CHECK_INT(kvh_call(&h, "ZAdd", &zq.base, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    kvh_free(hd);
    zq.set = BIN("");
    CHECK_STATUS(kvh_call(&h, "ZAdd", &zq.base, &immudb__schema__tx_header__descriptor, NULL), 3,
                 "illegal arguments");

    Immudb__Schema__ZScanRequest sq;
    immudb__schema__zscan_request__init(&sq);
    sq.set = BIN("s");
    Immudb__Schema__ZEntries *zs;
    CHECK_INT(kvh_call(&h, "ZScan", &sq.base, &immudb__schema__zentries__descriptor, &zs), GW_OK);
    CHECK_INT(zs->n_entries, 2);
    CHECK(zs->entries[0]->score == 1.0 && zs->entries[0]->attx == t1);
    CHECK(zs->entries[0]->entry && BIN_EQ(zs->entries[0]->entry->value, "v1"));
    CHECK(BIN_EQ(zs->entries[1]->key, "k") && BIN_EQ(zs->entries[1]->set, "s"));
    CHECK(zs->entries[1]->score == 2.5 && zs->entries[1]->entry &&
          BIN_EQ(zs->entries[1]->entry->value, "v2"));
    kvh_free(zs);
    Immudb__Schema__Score mn;
    immudb__schema__score__init(&mn);
    mn.score = 2.0;
    sq.minscore = &mn;
    CHECK_INT(kvh_call(&h, "ZScan", &sq.base, &immudb__schema__zentries__descriptor, &zs), GW_OK);
    CHECK(zs->n_entries == 1 && zs->entries[0]->score == 2.5);
    kvh_free(zs);
    sq.minscore = NULL;
    sq.limit = 5000;
    CHECK_STATUS(kvh_call(&h, "ZScan", &sq.base, &immudb__schema__zentries__descriptor, NULL), 2,
                 "result size limit exceeded: the specified limit (5000) is larger than the "
                 "maximum allowed one (2500)");
    kvh_stop(&h);
}

static void exec_all_and_txs(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    Immudb__Schema__KeyValue kv;
    Immudb__Schema__ReferenceRequest rr;
    Immudb__Schema__ZAddRequest za;
    Immudb__Schema__Op ops[4];
    Immudb__Schema__Op *opp[4] = {&ops[0], &ops[1], &ops[2], &ops[3]};
    immudb__schema__key_value__init(&kv);
    immudb__schema__reference_request__init(&rr);
    immudb__schema__zadd_request__init(&za);
    for (int i = 0; i < 4; i++)
        immudb__schema__op__init(&ops[i]);
    kv.key = BIN("x");
    kv.value = BIN("xv");
    ops[0].operation_case = IMMUDB__SCHEMA__OP__OPERATION_KV;
    ops[0].kv = &kv;
    rr.key = BIN("xr");
    rr.referencedkey = BIN("x");
    rr.boundref = 1; /* bound to this very tx */
    ops[1].operation_case = IMMUDB__SCHEMA__OP__OPERATION_REF;
    ops[1].ref = &rr;
    za.set = BIN("zs");
    za.key = BIN("x");
    za.score = 7;
    ops[2].operation_case = IMMUDB__SCHEMA__OP__OPERATION_Z_ADD;
    ops[2].zadd = &za;
    Immudb__Schema__ExecAllRequest q;
    immudb__schema__exec_all_request__init(&q);
    q.n_operations = 3;
    q.operations = opp;
    Immudb__Schema__TxHeader *hd;
    CHECK_INT(kvh_call(&h, "ExecAll", &q.base, &immudb__schema__tx_header__descriptor, &hd), GW_OK);
    check_hdr(hd, 1, 3);
    kvh_free(hd);
    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "xr", 0, &e), GW_OK);
    CHECK(BIN_EQ(e->value, "xv") && e->referencedby && e->referencedby->attx == 1);
    kvh_free(e);
    q.n_operations = 4; /* an Op without its oneof */
    CHECK_STATUS(kvh_call(&h, "ExecAll", &q.base, &immudb__schema__tx_header__descriptor, NULL), 3,
                 "operation is not set");
    q.n_operations = 0;
    CHECK_STATUS(kvh_call(&h, "ExecAll", &q.base, &immudb__schema__tx_header__descriptor, NULL), 3,
                 "empty set");
    ops[1] = ops[0];
    q.n_operations = 2;
    CHECK_STATUS(kvh_call(&h, "ExecAll", &q.base, &immudb__schema__tx_header__descriptor, NULL), 3,
                 "duplicated keys are not supported in single batch transaction: key/reference "
                 "'x'");

    kvh_set(&h, "y", "yv");
    /* TxById: raw entries by default */
    Immudb__Schema__TxRequest tq;
    immudb__schema__tx_request__init(&tq);
    tq.tx = 1;
    Immudb__Schema__Tx *tx;
    CHECK_INT(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, &tx), GW_OK);
    check_hdr(tx->header, 1, 3);
    CHECK_INT(tx->n_entries, 3);
    CHECK(tx->entries[0]->key.len == 2 && memcmp(tx->entries[0]->key.data, "\0x", 2) == 0);
    CHECK(tx->entries[2]->key.data[0] == 0x01); /* the sorted-set key */
    for (size_t i = 0; i < tx->n_entries; i++) {
        CHECK(tx->entries[i]->metadata == NULL);
        CHECK(tx->entries[i]->value.len == 0);
    }
    kvh_free(tx);
    /* entries spec: kv RAW_VALUE, zset RESOLVE */
    Immudb__Schema__EntriesSpec spec;
    Immudb__Schema__EntryTypeSpec kvs, zs;
    immudb__schema__entries_spec__init(&spec);
    immudb__schema__entry_type_spec__init(&kvs);
    immudb__schema__entry_type_spec__init(&zs);
    kvs.action = IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__RAW_VALUE;
    zs.action = IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__RESOLVE;
    spec.kventriesspec = &kvs;
    spec.zentriesspec = &zs;
    tq.entriesspec = &spec;
    CHECK_INT(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, &tx), GW_OK);
    CHECK_INT(tx->n_entries, 2);
    CHECK(tx->entries[0]->value.len == 3 && memcmp(tx->entries[0]->value.data, "\0xv", 3) == 0);
    CHECK_INT(tx->n_zentries, 1);
    CHECK(tx->zentries[0]->entry && BIN_EQ(tx->zentries[0]->entry->value, "xv"));
    CHECK(BIN_EQ(tx->zentries[0]->key, "x") && tx->zentries[0]->score == 7);
    kvh_free(tx);
    kvs.action = IMMUDB__SCHEMA__ENTRY_TYPE_ACTION__RESOLVE;
    spec.zentriesspec = NULL; /* excluded */
    CHECK_INT(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, &tx), GW_OK);
    CHECK(tx->n_entries == 0 && tx->n_zentries == 0);
    CHECK_INT(tx->n_kventries, 2);
    CHECK(BIN_EQ(tx->kventries[0]->key, "x") && BIN_EQ(tx->kventries[1]->value, "xv"));
    CHECK(tx->kventries[1]->referencedby && BIN_EQ(tx->kventries[1]->referencedby->key, "xr"));
    kvh_free(tx);
    tq.entriesspec = NULL;
    tq.tx = 9;
    CHECK_STATUS(kvh_call(&h, "TxById", &tq.base, &immudb__schema__tx__descriptor, NULL), 2,
                 "tx not found");

    Immudb__Schema__TxScanRequest sq;
    immudb__schema__tx_scan_request__init(&sq);
    sq.initialtx = 1;
    Immudb__Schema__TxList *tl;
    CHECK_INT(kvh_call(&h, "TxScan", &sq.base, &immudb__schema__tx_list__descriptor, &tl), GW_OK);
    CHECK_INT(tl->n_txs, 2);
    CHECK(tl->txs[0]->header->id == 1 && tl->txs[1]->header->id == 2);
    CHECK(tl->txs[1]->n_entries == 1 && tl->txs[1]->entries[0]->vlen == 3);
    kvh_free(tl);
    sq.initialtx = 2;
    sq.desc = 1;
    sq.limit = 1;
    CHECK_INT(kvh_call(&h, "TxScan", &sq.base, &immudb__schema__tx_list__descriptor, &tl), GW_OK);
    CHECK(tl->n_txs == 1 && tl->txs[0]->header->id == 2);
    kvh_free(tl);
    sq.limit = 2501;
    CHECK_STATUS(kvh_call(&h, "TxScan", &sq.base, &immudb__schema__tx_list__descriptor, NULL), 2,
                 "result size limit exceeded: the specified limit (2501) is larger than the "
                 "maximum allowed one (2500)");
    kvh_stop(&h);
}

/* A request that is not a valid protobuf fails with a status; the server
 * keeps serving on the same connection and on new ones. */
static void malformed(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "k", "v");
    static const uint8_t junk[][6] = {
        {0x0a, 0x7f, 'a'},              /* length past the end */
        {0xff, 0xff, 0xff, 0xff, 0xff}, /* bad varint tag */
        {0x0b, 0x00},                   /* group start, wrong wire type */
    };
    static const size_t jl[] = {3, 5, 2};
    const char *methods[] = {"Get", "Set", "VerifiableGet", "ExecAll", "TxScan", "streamGet"};
    for (size_t m = 0; m < SEAL_ARRAY_LEN(methods); m++) {
        for (size_t i = 0; i < SEAL_ARRAY_LEN(junk); i++) {
            int code;
            if (strcmp(methods[m], "streamGet") == 0) {
                gc_stream *s = kvh_stream_open(&h, methods[m]);
                CHECK_OK(gc_stream_send(s, junk[i], jl[i]));
                CHECK_OK(gc_stream_close_send(s));
                kvh_rd rd;
                code = kvh_read_stream(s, &rd);
                CHECK_INT(rd.nmsg, 0);
                kvh_rd_free(&rd);
                gc_stream_free(s);
            } else {
                code = kvh_raw(&h, methods[m], junk[i], jl[i], NULL, NULL);
            }
            if (code == GW_OK)
                T_FAIL("%s accepted junk %zu", methods[m], i);
        }
    }
    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "k", 0, &e), GW_OK);
    CHECK(e && BIN_EQ(e->value, "v"));
    kvh_free(e);
    gc_conn *c2;
    CHECK_OK(gc_connect(&c2, "127.0.0.1", h.port, NULL));
    gc_conn *keep = h.c;
    h.c = c2;
    CHECK_INT(kvh_set(&h, "k2", "v2"), 2);
    h.c = keep;
    gc_close(c2);
    kvh_stop(&h);
}

/* Through the runtime: no token, no call; the token's database is the one
 * the handlers use. */
static void auth_and_selection(void)
{
    kvh h;
    kvh_start(&h, g_ver, false);
    kvh_set(&h, "only-in-kvdb", "1");
    gw_md saved = h.md;
    memset(&h.md, 0, sizeof(h.md));
    CHECK(do_get(&h, "only-in-kvdb", 0, NULL) != GW_OK);
    kvreq r;
    kvreq_init(&r);
    kvreq_add(&r, "x", "y");
    CHECK(do_set(&h, &r, NULL) != GW_OK);
    gc_stream *s = kvh_stream_open(&h, "streamSet");
    CHECK_OK(kvh_send_msg(s, "x", 1, KVH_CHUNK));
    CHECK_OK(kvh_send_msg(s, "y", 1, KVH_CHUNK));
    CHECK(kvh_close_recv(s, &immudb__schema__tx_header__descriptor, NULL) != GW_OK);
    h.md = saved;

    CHECK_OK(kvh_login(&h, "defaultdb"));
    CHECK_STATUS(do_get(&h, "only-in-kvdb", 0, NULL), 2, "key not found");
    uint64_t id = kvh_set(&h, "only-in-defaultdb", "2");
    CHECK(id > 0);
    CHECK_OK(kvh_login(&h, KVH_DBNAME));
    CHECK_STATUS(do_get(&h, "only-in-defaultdb", 0, NULL), 2, "key not found");
    Immudb__Schema__Entry *e;
    CHECK_INT(do_get(&h, "only-in-kvdb", 0, &e), GW_OK);
    kvh_free(e);
    /* nothing was written by the refused calls */
    uint64_t tx;
    uint8_t alh[32];
    kvh_state(&h, &tx, alh);
    CHECK_INT(tx, 1);
    kvh_stop(&h);
}

static void run_all(int ver)
{
    g_ver = ver;
    fprintf(stderr, "-- header version %d\n", ver);
    RUN(auth_and_selection);
    RUN(set_get);
    RUN(metadata_rules);
    RUN(preconditions);
    RUN(getall_scan_count_history);
    RUN(references_and_sets);
    RUN(exec_all_and_txs);
    RUN(malformed);
}

int main(void)
{
    t_init();
    run_all(0);
    run_all(1);
    return t_done();
}
