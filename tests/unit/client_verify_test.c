/* client_verify_test.c - libsealclient's verified calls against the fake
 * ImmuService backed by a real engine store, for tx header versions 0 and
 * 1: every verified call (VerifiedSet, VerifiedGet at/since/revision,
 * VerifiedTxById, VerifiedSetReference, VerifiedZAdd) verifies and moves the
 * trusted state forward, state signatures are checked; and when the server
 * alters one byte of a value, a proof term, a tx header, the state hash or a
 * signature, every verified call fails with SEAL_EVERIFY and leaves the state
 * file byte for byte as it was. */
#include "client_fakesrv.h"

#include <sys/stat.h>

static int g_notices;
static char g_notice[512];

static void on_notice(void *arg, const char *msg)
{
    g_notices++;
    snprintf(g_notice, sizeof(g_notice), "%s", msg);
}

static uint64_t server_tx(fk_server *f)
{
    uint64_t tx;
    uint8_t alh[32];
    CHECK_OK(seal_state(f->st, &tx, alh));
    return tx;
}

/* The trusted state equals the server's state at tx |tx|. */
static void check_trusted(fk_server *f, seal_client *c, uint64_t tx)
{
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK_INT(ts.tx_id, tx);
    seal_txinfo *ti = NULL;
    CHECK_OK(seal_tx_read(f->st, tx, 0, &ti));
    if (ti)
        CHECK_MEM(ts.tx_hash, ti->hdr.alh, 32);
    seal_txinfo_free(ti);
}

static void run_version(int version)
{
    fk_server f;
    char name[32], sdir[32];
    snprintf(name, sizeof(name), "srv-v%d", version);
    snprintf(sdir, sizeof(sdir), "state-v%d", version);
    fk_start(&f, name, version, true);
    fk_fill(f.st, "pre", 20, 0);

    seal_client_opts o;
    fk_opts(&f, &o, sdir);
    o.server_pubkey_file = f.pub_path;
    o.notice = on_notice;
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    if (!c)
        return;

    /* first use: the server's state is trusted, then proven up to the set */
    g_notices = 0;
    seal_verify_info vi;
    seal_txhdr h;
    CHECK_OK(seal_client_verified_set(c, "alpha", 5, "one", 3, NULL, &h, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    CHECK_INT(vi.source_tx, 20);
    CHECK_INT(vi.target_tx, 21);
    CHECK_INT(h.id, 21);
    CHECK_INT(h.version, version);
    CHECK(vi.proof_checked);
    CHECK_INT(g_notices, 1);
    CHECK(strstr(g_notice, "first use") != NULL);
    check_trusted(&f, c, 21);
    seal_txinfo *ti = NULL;
    CHECK_OK(seal_tx_read(f.st, 21, 0, &ti));
    if (ti)
        CHECK_MEM(h.alh, ti->hdr.alh, 32);
    seal_txinfo_free(ti);

    /* the state file and its directory are private */
    struct stat sb;
    CHECK_INT(stat(seal_client_state_path(c), &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    CHECK_INT(stat(t_path(sdir), &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0700);

    /* more txs from elsewhere, then a verified read proves from tx 21 */
    fk_fill(f.st, "mid", 5, 0);
    seal_kventry e;
    CHECK_OK(seal_client_verified_get(c, "alpha", 5, NULL, &e, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_STORED);
    CHECK_INT(vi.source_tx, 21);
    CHECK_INT(vi.target_tx, 21);
    CHECK_INT(e.value_len, 3);
    CHECK_MEM(e.value, "one", 3);
    CHECK_INT(e.tx, 21);
    seal_kventry_clear(&e);

    CHECK_OK(seal_client_verified_set(c, "alpha", 5, "two", 3, NULL, &h, &vi));
    CHECK_INT(vi.source_tx, 21);
    CHECK_INT(vi.target_tx, 27);
    check_trusted(&f, c, 27);

    /* an older version: the state is ahead of the tx read (proof backwards) */
    seal_read_opts ro = {.at_tx = 21};
    CHECK_OK(seal_client_verified_get(c, "alpha", 5, &ro, &e, &vi));
    CHECK_INT(vi.source_tx, 27);
    CHECK_INT(vi.target_tx, 27);
    CHECK_MEM(e.value, "one", 3);
    seal_kventry_clear(&e);
    memset(&ro, 0, sizeof(ro));
    ro.at_revision = 1;
    CHECK_OK(seal_client_verified_get(c, "alpha", 5, &ro, &e, &vi));
    CHECK_MEM(e.value, "one", 3);
    CHECK_INT(e.revision, 1);
    seal_kventry_clear(&e);
    memset(&ro, 0, sizeof(ro));
    ro.since_tx = 27;
    CHECK_OK(seal_client_verified_get(c, "alpha", 5, &ro, &e, &vi));
    CHECK_MEM(e.value, "two", 3);
    seal_kventry_clear(&e);
    /* a key older than the trusted state */
    CHECK_OK(seal_client_verified_get(c, "pre3", 4, NULL, &e, &vi));
    CHECK_INT(e.tx, 4);
    CHECK_MEM(e.value, "v3", 2);
    CHECK_INT(vi.target_tx, 27);
    seal_kventry_clear(&e);
    CHECK_ERR(seal_client_verified_get(c, "nope", 4, NULL, &e, &vi), SEAL_ENOTFOUND);

    /* txs, forwards and backwards */
    fk_fill(f.st, "late", 3, 0);
    seal_rtx t;
    CHECK_OK(seal_client_verified_tx_by_id(c, 30, &t, &vi));
    CHECK_INT(vi.source_tx, 27);
    CHECK_INT(vi.target_tx, 30);
    CHECK_INT(t.hdr.id, 30);
    CHECK_INT(t.n, 1);
    if (t.n)
        CHECK(t.entries[0].key_len == 5 && memcmp(t.entries[0].key, "late2", 5) == 0);
    seal_rtx_clear(&t);
    CHECK_OK(seal_client_verified_tx_by_id(c, 3, &t, &vi));
    CHECK_INT(t.hdr.id, 3);
    CHECK_INT(vi.target_tx, 30);
    seal_rtx_clear(&t);
    check_trusted(&f, c, 30);

    /* references and sorted sets */
    CHECK_OK(seal_client_verified_set_reference(c, "ref", 3, "alpha", 5, 0, &h, &vi));
    CHECK_INT(vi.target_tx, 31);
    CHECK_OK(seal_client_verified_set_reference(c, "refat", 5, "alpha", 5, 21, &h, &vi));
    CHECK_INT(vi.target_tx, 32);
    CHECK_OK(seal_client_verified_get(c, "ref", 3, NULL, &e, &vi));
    CHECK(e.has_ref);
    CHECK_INT(e.ref.tx, 31);
    CHECK_MEM(e.value, "two", 3);
    CHECK_MEM(e.key, "alpha", 5);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_verified_get(c, "refat", 5, NULL, &e, &vi));
    CHECK(e.has_ref);
    CHECK_INT(e.ref.at_tx, 21);
    CHECK_MEM(e.value, "one", 3);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_verified_zadd(c, "set", 3, 1.5, "alpha", 5, 0, &h, &vi));
    CHECK_INT(vi.target_tx, 33);
    CHECK_INT(h.id, 33);
    check_trusted(&f, c, 33);

    /* metadata (version 1 only) */
    if (version == 1) {
        seal_kvmd md = {.has_expires = 1, .expires_at = 4000000000LL};
        seal_write_opts wo = {.md = &md};
        CHECK_OK(seal_client_verified_set(c, "exp", 3, "soon", 4, &wo, &h, &vi));
        CHECK_OK(seal_client_verified_get(c, "exp", 3, NULL, &e, &vi));
        CHECK(e.has_md && e.md.has_expires && e.md.expires_at == 4000000000LL);
        seal_kventry_clear(&e);
        seal_kvmd ni = {.non_indexable = 1};
        wo.md = &ni;
        CHECK_OK(seal_client_verified_set(c, "hidden", 6, "x", 1, &wo, &h, &vi));
        CHECK_OK(seal_client_verified_tx_by_id(c, h.id, &t, &vi));
        CHECK(t.n == 1 && t.entries[0].has_md && t.entries[0].md.non_indexable);
        seal_rtx_clear(&t);
    } else {
        seal_kvmd md = {.has_expires = 1, .expires_at = 4000000000LL};
        seal_write_opts wo = {.md = &md};
        CHECK(seal_client_verified_set(c, "exp", 3, "soon", 4, &wo, &h, &vi) != 0);
    }
    /* preconditions */
    seal_precond pc = {.kind = SEAL_PRE_MUST_NOT_EXIST, .key = "alpha", .key_len = 5};
    seal_write_opts wp = {.pre = &pc, .npre = 1};
    CHECK_ERR(seal_client_verified_set(c, "alpha", 5, "three", 5, &wp, &h, &vi),
              SEAL_EPRECONDITION);

    /* ------------------------------------------------------- tampering */
    const char *spath = seal_client_state_path(c);
    static const int kinds[] = {FK_VALUE, FK_PROOF, FK_TXHDR, FK_SIG, FK_STRIP};
    static const char *kname[] = {"value", "proof", "txhdr", "sig", "strip"};
    for (size_t k = 0; k < SEAL_ARRAY_LEN(kinds); k++) {
        for (int call = 0; call < 7; call++) {
            char before[4096], after[4096];
            long nb = fk_read_file(spath, before, sizeof(before));
            CHECK(nb > 0);
            atomic_store(&f.tamper, kinds[k]);
            int rc;
            uint64_t cur = server_tx(&f);
            ro = (seal_read_opts){0};
            switch (call) {
            case 0:
                rc = seal_client_verified_set(c, "tamper", 6, "val", 3, NULL, &h, &vi);
                break;
            case 1:
                rc = seal_client_verified_get(c, "alpha", 5, NULL, &e, &vi);
                break;
            case 2:
                ro.at_tx = 21;
                rc = seal_client_verified_get(c, "alpha", 5, &ro, &e, &vi);
                break;
            case 3:
                rc = seal_client_verified_tx_by_id(c, cur, &t, &vi);
                break;
            case 4:
                rc = seal_client_verified_tx_by_id(c, 5, &t, &vi);
                break;
            case 5:
                rc = seal_client_verified_set_reference(c, "tref", 4, "alpha", 5, 0, &h, &vi);
                break;
            default:
                rc = seal_client_verified_zadd(c, "set", 3, 2.5, "alpha", 5, 0, &h, &vi);
                break;
            }
            atomic_store(&f.tamper, FK_NONE);
            if (rc != SEAL_EVERIFY)
                T_FAIL("tamper %s, call %d: rc %d (%s), expected SEAL_EVERIFY [%s]", kname[k], call,
                       rc, seal_errname(rc), seal_client_last_error(c));
            if (getenv("CLIENT_TEST_VERBOSE"))
                fprintf(stderr, "tamper %s call %d: %s\n", kname[k], call,
                        seal_client_last_error(c));
            long na = fk_read_file(spath, after, sizeof(after));
            CHECK(na == nb && memcmp(before, after, (size_t)nb) == 0);
            CHECK(strlen(seal_client_last_error(c)) > 10);
        }
    }
    /* the state still works after all that */
    CHECK_OK(seal_client_verified_get(c, "alpha", 5, NULL, &e, &vi));
    CHECK_INT(vi.target_tx, server_tx(&f) >= vi.source_tx ? vi.target_tx : 0);
    seal_kventry_clear(&e);
    uint64_t last = server_tx(&f);
    CHECK_OK(seal_client_verified_tx_by_id(c, last, &t, &vi));
    seal_rtx_clear(&t);
    check_trusted(&f, c, last);

    /* a tampered CurrentState on first use: refused (signature), nothing saved */
    seal_client_opts o2;
    fk_opts(&f, &o2, "state-fresh");
    o2.server_pubkey_file = f.pub_path;
    seal_client *c2 = NULL;
    CHECK_OK(seal_client_connect(&o2, &c2));
    atomic_store(&f.tamper, FK_STATE);
    CHECK_ERR(seal_client_verified_get(c2, "alpha", 5, NULL, &e, &vi), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c2), "signature") != NULL);
    CHECK_INT(access(seal_client_state_path(c2), F_OK), -1);
    /* without a public key the fake state fails the dual proof instead */
    seal_client_close(c2);
    o2.server_pubkey_file = NULL;
    CHECK_OK(seal_client_connect(&o2, &c2));
    CHECK_ERR(seal_client_verified_get(c2, "alpha", 5, NULL, &e, &vi), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c2), "dual proof") != NULL);
    CHECK_INT(access(seal_client_state_path(c2), F_OK), -1);
    atomic_store(&f.tamper, FK_NONE);
    CHECK_OK(seal_client_verified_get(c2, "alpha", 5, NULL, &e, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    seal_kventry_clear(&e);
    seal_client_close(c2);

    /* a server that stops signing is refused when a key is configured */
    cry_key *key = f.key;
    f.key = NULL;
    CHECK_ERR(seal_client_verified_get(c, "alpha", 5, NULL, &e, &vi), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "not signed") != NULL);
    seal_dbstate cs;
    CHECK_ERR(seal_client_current_state(c, &cs), SEAL_EVERIFY);
    f.key = key;
    CHECK_OK(seal_client_current_state(c, &cs));
    CHECK_INT(cs.tx_id, server_tx(&f));
    CHECK(cs.has_signature);

    /* a state signed with another key is refused */
    cry_key *other;
    CHECK_OK(cry_ec_generate(&other));
    char opub[64];
    snprintf(opub, sizeof(opub), "other-v%d.pem", version);
    CHECK_OK(cry_key_save_public_file(other, t_path(opub)));
    cry_key_free(other);
    seal_client_opts o3 = o;
    o3.server_pubkey_file = t_path(opub);
    seal_client *c3 = NULL;
    CHECK_OK(seal_client_connect(&o3, &c3));
    CHECK_ERR(seal_client_verified_set(c3, "k3", 2, "v", 1, NULL, &h, &vi), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c3), "signature") != NULL);
    CHECK_ERR(seal_client_current_state(c3, &cs), SEAL_EVERIFY);
    seal_client_close(c3);

    /* the signed payload names the database: another name does not verify */
    snprintf(f.db, sizeof(f.db), "otherdb");
    CHECK_ERR(seal_client_verified_get(c, "alpha", 5, NULL, &e, &vi), SEAL_EVERIFY);
    snprintf(f.db, sizeof(f.db), "defaultdb");

    seal_client_close(c);
    fk_stop(&f);
}

static void test_verified_v1(void)
{
    run_version(1);
}

static void test_verified_v0(void)
{
    run_version(0);
}

int main(void)
{
    t_init();
    RUN(test_verified_v1);
    RUN(test_verified_v0);
    return t_done();
}
