/* client_stream_tamper_test.c - libsealclient's verifiable streams
 * (streamVerifiableSet, streamVerifiableGet) against the fake ImmuService
 * over a real engine store, for tx header versions 0 and 1: verified answers
 * move the trusted state like the unary calls; when the server alters one
 * byte of a value, a proof term, a tx header or a signature, or leaves the
 * dual proof out, both streams fail with SEAL_EVERIFY and leave the state
 * file byte for byte as it was. */
#include "client_fakesrv.h"

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
    snprintf(name, sizeof(name), "ssrv-v%d", version);
    snprintf(sdir, sizeof(sdir), "sstate-v%d", version);
    fk_start(&f, name, version, true);
    fk_fill(f.st, "pre", 10, 0);

    seal_client_opts o;
    fk_opts(&f, &o, sdir);
    o.server_pubkey_file = f.pub_path;
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    if (!c)
        return;

    /* a value of several chunks both ways (the fake sends 1000-byte chunks) */
    size_t vlen = 300 * 1000 + 17;
    uint8_t *val = malloc(vlen);
    CHECK(val != NULL);
    for (size_t i = 0; i < vlen; i++)
        val[i] = (uint8_t)(i * 31 + 7);
    seal_verify_info vi;
    seal_txhdr h;
    CHECK_OK(seal_client_stream_verified_set(c, "big", 3, val, vlen, 4096, &h, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    CHECK_INT(vi.source_tx, 10);
    CHECK_INT(vi.target_tx, 11);
    CHECK_INT(h.id, 11);
    CHECK_INT(h.version, version);
    CHECK(vi.proof_checked);
    check_trusted(&f, c, 11);

    seal_kventry e;
    CHECK_OK(seal_client_stream_verified_get(c, "big", 3, NULL, &e, &vi));
    CHECK_INT(e.tx, 11);
    CHECK_INT(e.value_len, vlen);
    CHECK(e.value_len == vlen && memcmp(e.value, val, vlen) == 0);
    CHECK_INT(vi.origin, SEAL_TRUST_STORED);
    seal_kventry_clear(&e);
    /* an older version, proven backwards from the trusted state */
    CHECK_OK(seal_client_verified_set(c, "pre3", 4, "newer", 5, NULL, &h, &vi));
    seal_read_opts ro = {.at_tx = 4};
    CHECK_OK(seal_client_stream_verified_get(c, "pre3", 4, &ro, &e, &vi));
    CHECK_INT(e.tx, 4);
    CHECK_INT(vi.target_tx, 12);
    seal_kventry_clear(&e);
    check_trusted(&f, c, 12);

    /* tampering: SEAL_EVERIFY, state file unchanged */
    const char *spath = seal_client_state_path(c);
    static const int kinds[] = {FK_VALUE, FK_PROOF, FK_TXHDR, FK_SIG, FK_STRIP};
    static const char *kname[] = {"value", "proof", "txhdr", "sig", "strip"};
    for (size_t k = 0; k < SEAL_ARRAY_LEN(kinds); k++) {
        for (int call = 0; call < 3; call++) {
            char before[4096], after[4096];
            long nb = fk_read_file(spath, before, sizeof(before));
            CHECK(nb > 0);
            atomic_store(&f.tamper, kinds[k]);
            int rc;
            memset(&e, 0, sizeof(e));
            if (call == 0) {
                rc = seal_client_stream_verified_set(c, "tamper", 6, val, vlen, 0, &h, &vi);
            } else if (call == 1) {
                rc = seal_client_stream_verified_get(c, "big", 3, NULL, &e, &vi);
            } else {
                ro = (seal_read_opts){.at_tx = 4};
                rc = seal_client_stream_verified_get(c, "pre3", 4, &ro, &e, &vi);
            }
            atomic_store(&f.tamper, FK_NONE);
            if (rc != SEAL_EVERIFY)
                T_FAIL("tamper %s, call %d: rc %d (%s), expected SEAL_EVERIFY [%s]", kname[k], call,
                       rc, seal_errname(rc), seal_client_last_error(c));
            if (kinds[k] == FK_VALUE) /* the altered value is what fails */
                if (!strstr(seal_client_last_error(c), "inclu"))
                    T_FAIL("call %d: %s", call, seal_client_last_error(c));
            CHECK(e.value == NULL); /* no output on failure */
            long na = fk_read_file(spath, after, sizeof(after));
            CHECK(na == nb && memcmp(before, after, (size_t)nb) == 0);
            CHECK(strlen(seal_client_last_error(c)) > 10);
        }
    }
    /* the state still works afterwards and reaches the server's last tx */
    CHECK_OK(seal_client_stream_verified_get(c, "big", 3, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_verified_set(c, "after", 5, "x", 1, NULL, &h, &vi));
    check_trusted(&f, c, server_tx(&f));

    /* argument errors before any call */
    CHECK_ERR(seal_client_stream_verified_set(c, NULL, 0, "v", 1, 0, &h, &vi), SEAL_EINVAL);
    CHECK_ERR(seal_client_stream_verified_set(c, "k", 1, "v", 1, 8, &h, &vi), SEAL_EINVAL);
    CHECK_ERR(seal_client_stream_verified_get(c, "", 0, NULL, &e, &vi), SEAL_EINVAL);
    CHECK_ERR(seal_client_stream_verified_get(c, "missing", 7, NULL, &e, &vi), SEAL_ENOTFOUND);

    free(val);
    seal_client_close(c);
    fk_stop(&f);
}

static void test_stream_verified_v1(void)
{
    run_version(1);
}

static void test_stream_verified_v0(void)
{
    run_version(0);
}

int main(void)
{
    t_init();
    RUN(test_stream_verified_v1);
    RUN(test_stream_verified_v0);
    return t_done();
}
