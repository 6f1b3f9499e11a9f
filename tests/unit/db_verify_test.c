/* db_verify_test.c - the Verifiable* calls checked exactly as immudb's Go
 * client checks them (formats spec 7.2-7.5), for header version 0 and 1
 * databases: the client keeps a state (tx, Alh), recomputes the entry
 * digest from the key it asked for and the value/metadata it got, checks
 * its inclusion against the Eh, verifies the dual proof from its previous
 * state with seal_dual_proof_verify, checks the ECDSA signature of the new
 * state and adopts it. Tampered answers must fail. */
#include "db_testutil.h"

#include "crypto/cry.h"
#include "db/kvenc.h"
#include "mtree/mtree.h"

static const uint8_t EMPTY[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                  0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                  0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

/* The client's trusted state. */
typedef struct client {
    const char *db;
    uint64_t tx;
    uint8_t alh[32];
    cry_key *pub; /* server public key, or NULL */
} client;

static int check_sig(client *c, uint64_t id, const uint8_t alh[32], const sdb_sig *sig)
{
    if (!c->pub)
        return 0;
    if (!sig->present)
        return SEAL_EVERIFY;
    uint8_t p[128];
    size_t n;
    int rc = seal_state_payload(c->db, id, alh, p, sizeof(p), &n);
    if (rc)
        return rc;
    return cry_ecdsa_verify(c->pub, p, n, sig->sig, sig->sig_len);
}

/* Entry digest of a stored entry under header version |ver|. */
static int digest_of(int ver, const uint8_t *k, size_t kl, const seal_kvmd *md, const uint8_t *v,
                     size_t vl, uint8_t out[32])
{
    uint8_t hv[32];
    int rc = cry_sha256(hv, v, vl);
    return rc ? rc : seal_entry_digest(ver, k, kl, md, hv, out);
}

/* 7.2 / 7.3: a verified write of one entry whose stored form is (key,
 * md, value); md_from_server selects VerifiedSet's rule (the server's
 * metadata) over SetReference/ZAdd's (metadata nil). */
static int client_check_write(client *c, const sdb_vtx *v, const uint8_t *key, size_t kl,
                              const uint8_t *val, size_t vl, bool md_from_server, bool check_len)
{
    int rc;
    const sdb_tx *t = &v->tx;
    int ver = t->hdr.version;
    if (t->hdr.nentries != 1 || (check_len && t->n != 1))
        return SEAL_EVERIFY;
    /* Rebuild Eh from the returned entries. */
    mt_hash dig[8];
    size_t leaf = SIZE_MAX;
    if (t->n > 8)
        return SEAL_EVERIFY;
    for (size_t i = 0; i < t->n; i++) {
        const sdb_txentry *e = &t->entries[i];
        if ((rc = seal_entry_digest(ver, e->key, e->key_len, e->has_md ? &e->md : NULL, e->hval,
                                    dig[i])) != 0)
            return rc;
        if (e->key_len == kl && memcmp(e->key, key, kl) == 0)
            leaf = i;
    }
    if (leaf == SIZE_MAX)
        return SEAL_EVERIFY;
    mt_hash eh;
    if ((rc = mt_htree_root(eh, (const mt_hash *)dig, t->n)) != 0)
        return rc;
    const sdb_txentry *e = &t->entries[leaf];
    seal_kvmd none = {0};
    const seal_kvmd *md = md_from_server ? (e->has_md ? &e->md : &none) : &none;
    if (md_from_server && md->deleted)
        return SEAL_EVERIFY;
    uint8_t d[32];
    if ((rc = digest_of(ver, key, kl, md, val, vl, d)) != 0)
        return rc;
    seal_entry_proof ip;
    memset(&ip, 0, sizeof(ip));
    mt_hash terms[64];
    size_t nt = 0;
    if ((rc = mt_htree_proof(terms, &nt, (const mt_hash *)dig, t->n, leaf)) != 0)
        return rc;
    ip.leaf = leaf;
    ip.width = t->n;
    ip.terms.n = nt;
    ip.terms.h = terms;
    if ((rc = seal_entry_proof_verify(&ip, d, eh)) != 0)
        return rc;
    if (memcmp(eh, v->proof.target.eh, 32) != 0)
        return SEAL_EVERIFY;
    seal_txhdr h = t->hdr;
    memcpy(h.eh, eh, 32);
    uint8_t alh[32];
    if ((rc = seal_txhdr_alh(&h, alh)) != 0)
        return rc;
    if (c->tx > 0 && (rc = seal_dual_proof_verify(&v->proof, c->tx, h.id, c->alh, alh)) != 0)
        return rc;
    if ((rc = check_sig(c, h.id, alh, &v->sig)) != 0)
        return rc;
    c->tx = h.id;
    memcpy(c->alh, alh, 32);
    return 0;
}

static int verified_set(sdb *db, client *c, const char *k, const char *v, uint64_t *id)
{
    sdb_kv kv = {U8(k), strlen(k), U8(v), strlen(v), NULL};
    sdb_vtx vt;
    int rc = sdb_verifiable_set(db, &kv, 1, NULL, 0, false, c->tx, &vt);
    if (rc)
        return rc;
    uint8_t key[64], val[64];
    size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k));
    size_t vl = kv_enc_value(val, sizeof(val), U8(v), strlen(v));
    rc = client_check_write(c, &vt, key, kl, val, vl, true, true);
    if (id)
        *id = vt.tx.hdr.id;
    sdb_vtx_clear(&vt);
    return rc;
}

/* 7.4 */
static int client_check_get(client *c, const char *k, uint64_t at_tx, const sdb_ventry *ve)
{
    int rc;
    const sdb_entry *e = &ve->entry;
    int ver = ve->vtx.tx.hdr.version;
    uint8_t key[128], val[256];
    size_t kl = kv_enc_key(key, sizeof(key), U8(k), strlen(k)), vl;
    uint64_t vtx;
    const seal_kvmd *md;
    seal_kvmd none = {0};
    if (!e->has_ref) {
        vtx = at_tx ? at_tx : e->tx;
        md = e->has_md ? &e->md : &none;
        vl = kv_enc_value(val, sizeof(val), e->value, e->value_len);
    } else {
        vtx = at_tx ? at_tx : e->ref.tx;
        md = e->ref.has_md ? &e->ref.md : &none;
        vl = kv_enc_ref_value(val, sizeof(val), e->key, e->key_len, e->ref.at_tx);
    }
    const seal_dual_proof *p = &ve->vtx.proof;
    uint8_t eh[32], src_alh[32], dst_alh[32];
    uint64_t src, dst;
    if (c->tx <= vtx) {
        memcpy(eh, p->target.eh, 32);
        src = c->tx;
        memcpy(src_alh, c->alh, 32);
        dst = vtx;
        if ((rc = seal_txhdr_alh(&p->target, dst_alh)) != 0)
            return rc;
    } else {
        memcpy(eh, p->source.eh, 32);
        src = vtx;
        if ((rc = seal_txhdr_alh(&p->source, src_alh)) != 0)
            return rc;
        dst = c->tx;
        memcpy(dst_alh, c->alh, 32);
    }
    uint8_t d[32];
    if ((rc = digest_of(ver, key, kl, md, val, vl, d)) != 0)
        return rc;
    if ((rc = seal_entry_proof_verify(&ve->inclusion, d, eh)) != 0)
        return rc;
    if (c->tx > 0 && (rc = seal_dual_proof_verify(p, src, dst, src_alh, dst_alh)) != 0)
        return rc;
    if ((rc = check_sig(c, dst, dst_alh, &ve->vtx.sig)) != 0)
        return rc;
    c->tx = dst;
    memcpy(c->alh, dst_alh, 32);
    return 0;
}

static int verified_get(sdb *db, client *c, const char *k, uint64_t at_tx, char *out, size_t cap)
{
    sdb_get_req r = {.key = U8(k), .key_len = strlen(k), .at_tx = at_tx};
    sdb_ventry ve;
    int rc = sdb_verifiable_get(db, &r, c->tx, &ve);
    if (rc)
        return rc;
    rc = client_check_get(c, k, at_tx, &ve);
    if (rc == 0 && out)
        snprintf(out, cap, "%.*s", (int)ve.entry.value_len, (const char *)ve.entry.value);
    sdb_ventry_clear(&ve);
    return rc;
}

/* 7.5, plus the Eh check a careful client adds. */
static int verified_tx(sdb *db, client *c, uint64_t id)
{
    sdb_tx_req r = {.tx = id};
    sdb_vtx v;
    int rc = sdb_verifiable_tx_by_id(db, &r, c->tx, &v);
    if (rc)
        return rc;
    uint8_t src_alh[32], dst_alh[32];
    uint64_t src, dst;
    const seal_txhdr *th;
    if (c->tx <= id) {
        src = c->tx;
        memcpy(src_alh, c->alh, 32);
        dst = id;
        th = &v.proof.target;
        rc = seal_txhdr_alh(th, dst_alh);
    } else {
        src = id;
        th = &v.proof.source;
        rc = seal_txhdr_alh(th, src_alh);
        dst = c->tx;
        memcpy(dst_alh, c->alh, 32);
    }
    mt_hash dig[16], eh;
    if (rc == 0 && (v.tx.n > 16 || v.tx.n != th->nentries))
        rc = SEAL_EVERIFY;
    for (size_t i = 0; rc == 0 && i < v.tx.n; i++) {
        const sdb_txentry *e = &v.tx.entries[i];
        rc = seal_entry_digest(v.tx.hdr.version, e->key, e->key_len, e->has_md ? &e->md : NULL,
                               e->hval, dig[i]);
    }
    if (rc == 0)
        rc = mt_htree_root(eh, (const mt_hash *)dig, v.tx.n);
    if (rc == 0 && memcmp(eh, th->eh, 32) != 0)
        rc = SEAL_EVERIFY;
    if (rc == 0 && c->tx > 0)
        rc = seal_dual_proof_verify(&v.proof, src, dst, src_alh, dst_alh);
    if (rc == 0)
        rc = check_sig(c, dst, dst_alh, &v.sig);
    if (rc == 0) {
        c->tx = dst;
        memcpy(c->alh, dst_alh, 32);
    }
    sdb_vtx_clear(&v);
    return rc;
}

static sdb *open_signed(const char *dir, int version, cry_key *key)
{
    sdb_options o;
    sdb_options_default(&o);
    o.store.tx_header_version = version;
    o.store.durability = SEAL_DURABILITY_NONE;
    o.store.clock = tu_clock;
    o.signer = key;
    sdb *db = NULL;
    int rc = sdb_open(dir, "vdb", &o, &db);
    if (rc)
        T_FAIL("open: %s %s", t_errstr(rc), sdb_errmsg());
    return db;
}

static void flows(int version)
{
    cry_key *key;
    CHECK_OK(cry_ec_generate(&key));
    char dir[64];
    snprintf(dir, sizeof(dir), "flows%d", version);
    sdb *db = open_signed(t_path(dir), version, key);
    client c = {.db = "vdb", .tx = 0, .pub = key};
    memcpy(c.alh, EMPTY, 32);

    /* CurrentState of an empty database: (0, EMPTY), signed. */
    sdb_state st;
    CHECK_OK(sdb_current_state(db, &st));
    CHECK_INT(st.tx_id, 0);
    CHECK_MEM(st.alh, EMPTY, 32);
    CHECK_OK(check_sig(&c, 0, EMPTY, &st.sig));

    uint64_t id1, id;
    CHECK_OK(verified_set(db, &c, "k1", "v1", &id1)); /* TOFU: no proof checked */
    CHECK_INT(c.tx, 1);
    CHECK_OK(verified_set(db, &c, "k2", "v2", NULL)); /* dual proof 1 -> 2 */
    for (int i = 0; i < 5; i++)
        tu_set(db, "filler", "f");
    CHECK_OK(verified_set(db, &c, "k3", "v3", &id)); /* 2 -> 8 */
    CHECK_INT(c.tx, 8);

    /* Get of an older key: the state stays at 8 (source = vTx). */
    char buf[64];
    CHECK_OK(verified_get(db, &c, "k1", 0, buf, sizeof(buf)));
    CHECK_STR(buf, "v1");
    CHECK_INT(c.tx, 8);
    CHECK_OK(verified_get(db, &c, "k1", id1, buf, sizeof(buf)));

    /* Reference: only the reference entry is proven (7.4). */
    sdb_vtx v;
    CHECK_OK(
        sdb_verifiable_set_reference(db, SL("r1"), SL("k3"), 0, false, NULL, 0, false, c.tx, &v));
    uint8_t key_r[8], val_r[32];
    size_t krl = kv_enc_key(key_r, sizeof(key_r), U8("r1"), 2);
    size_t vrl = kv_enc_ref_value(val_r, sizeof(val_r), U8("k3"), 2, 0);
    CHECK_OK(client_check_write(&c, &v, key_r, krl, val_r, vrl, false, false));
    sdb_vtx_clear(&v);
    CHECK_OK(verified_get(db, &c, "r1", 0, buf, sizeof(buf)));
    CHECK_STR(buf, "v3");

    /* ZAdd (Go's VerifiedZAdd: atTx 0). */
    CHECK_OK(sdb_verifiable_zadd(db, SL("set"), 1.5, SL("k2"), 0, false, false, c.tx, &v));
    uint8_t zk[64];
    size_t zl = kv_enc_zkey(zk, sizeof(zk), U8("set"), 3, 1.5, U8("k2"), 2, 0);
    CHECK_OK(client_check_write(&c, &v, zk, zl, NULL, 0, false, false));
    sdb_vtx_clear(&v);

    /* Tx by id, older and newer than the state. */
    CHECK_OK(verified_tx(db, &c, 3));
    tu_set(db, "later", "x");
    CHECK_OK(verified_tx(db, &c, c.tx + 1));

    /* Metadata (v1 only): expiring value, VerifiedSet uses the server's md. */
    if (version == 1) {
        seal_kvmd md = {.has_expires = 1, .expires_at = tu_clock_now + 1000};
        sdb_kv kv = {SL("ek"), SL("ev"), &md};
        CHECK_OK(sdb_verifiable_set(db, &kv, 1, NULL, 0, false, c.tx, &v));
        uint8_t k2[8], v2[8];
        size_t k2l = kv_enc_key(k2, sizeof(k2), U8("ek"), 2);
        size_t v2l = kv_enc_value(v2, sizeof(v2), U8("ev"), 2);
        CHECK_OK(client_check_write(&c, &v, k2, k2l, v2, v2l, true, true));
        sdb_vtx_clear(&v);
        CHECK_OK(verified_get(db, &c, "ek", 0, buf, sizeof(buf)));
    }

    /* CurrentState agrees with what the client verified. */
    CHECK_OK(sdb_current_state(db, &st));
    CHECK_INT(st.tx_id, c.tx);
    CHECK_MEM(st.alh, c.alh, 32);
    CHECK_OK(check_sig(&c, st.tx_id, st.alh, &st.sig));

    /* Tampering is caught: a wrong value, a wrong signer, a wrong state. */
    sdb_get_req r = {.key = U8("k2"), .key_len = 2};
    sdb_ventry ve;
    CHECK_OK(sdb_verifiable_get(db, &r, c.tx, &ve));
    client c2 = c;
    CHECK_OK(client_check_get(&c2, "k2", 0, &ve));
    c2 = c;
    if (ve.entry.value_len)
        ve.entry.value[0] ^= 1;
    CHECK_ERR(client_check_get(&c2, "k2", 0, &ve), SEAL_EVERIFY);
    ve.entry.value[0] ^= 1;
    c2 = c;
    c2.alh[0] ^= 1;
    CHECK_ERR(client_check_get(&c2, "k2", 0, &ve), SEAL_EVERIFY);
    cry_key *other;
    CHECK_OK(cry_ec_generate(&other));
    c2 = c;
    c2.pub = other;
    CHECK_ERR(client_check_get(&c2, "k2", 0, &ve), SEAL_EVERIFY);
    c2 = c;
    c2.db = "defaultdb"; /* the signature covers the database name */
    CHECK_ERR(client_check_get(&c2, "k2", 0, &ve), SEAL_EVERIFY);
    sdb_ventry_clear(&ve);
    cry_key_free(other);

    /* Errors. */
    sdb_kv kv = {SL("x"), SL("y"), NULL};
    CHECK_FAILS(db, sdb_verifiable_set(db, &kv, 1, NULL, 0, false, 1000, &v), SEAL_ESTATE,
                "illegal state");
    CHECK_FAILS(
        db, sdb_verifiable_set_reference(db, SL("q"), SL("k1"), 0, false, NULL, 0, false, 1000, &v),
        SEAL_EINVAL, "illegal arguments");
    CHECK_FAILS(db, sdb_verifiable_zadd(db, SL("s"), 1, SL("k1"), 0, false, false, 1000, &v),
                SEAL_EINVAL, "illegal arguments");
    CHECK_ERR(sdb_verifiable_get(db, &r, 1000, &ve), SEAL_ESTATE);
    CHECK_STR(sdb_errmsg(), "illegal state");
    sdb_tx_req tr = {.tx = 1};
    char msg[128];
    snprintf(msg, sizeof(msg),
             "illegal state: latest txID=%llu is lower than specified as initial tx=1000",
             (unsigned long long)c.tx);
    CHECK_ERR(sdb_verifiable_tx_by_id(db, &tr, 1000, &v), SEAL_ESTATE);
    CHECK_STR(sdb_errmsg(), msg);
    tr.tx = 5000;
    CHECK_ERR(sdb_verifiable_tx_by_id(db, &tr, 1, &v), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "tx not found");
    sdb_close(db);
    cry_key_free(key);
}

static void test_flows_v0(void)
{
    flows(0);
}

static void test_flows_v1(void)
{
    flows(1);
}

/* Without a signer nothing is signed. */
static void test_unsigned(void)
{
    sdb *db = tu_open(t_path("unsigned"), 1);
    tu_set(db, "a", "b");
    sdb_state st;
    CHECK_OK(sdb_current_state(db, &st));
    CHECK(!st.sig.present);
    client c = {.db = "testdb"};
    memcpy(c.alh, EMPTY, 32);
    CHECK_OK(verified_set(db, &c, "k", "v", NULL));
    CHECK_OK(verified_get(db, &c, "a", 0, NULL, 0));
    sdb_close(db);
}

int main(void)
{
    t_init();
    RUN(test_flows_v0);
    RUN(test_flows_v1);
    RUN(test_unsigned);
    return t_done();
}
