/* db_ref_test.c - references, sorted sets and ExecAll against immudb's
 * semantics: reference encodings and resolution (unbound, bound, depth
 * limit, deleted targets), the existence checks of SetReference and ZAdd,
 * ZScan order (negative scores after positive ones), bounds, seek and
 * limits, ExecAll with references and members written in the same tx and
 * bound references stored with the new tx id, and every refusal. */
#include "db_testutil.h"

#include "db/kvenc.h"

static uint64_t ref(sdb *db, const char *k, const char *rk, uint64_t at)
{
    seal_txhdr h;
    int rc =
        sdb_set_reference(db, U8(k), strlen(k), U8(rk), strlen(rk), at, at > 0, NULL, 0, false, &h);
    if (rc) {
        T_FAIL("ref %s -> %s: %s: %s", k, rk, t_errstr(rc), sdb_errmsg());
        return 0;
    }
    return h.id;
}

static uint64_t zadd(sdb *db, const char *set, double score, const char *k, uint64_t at)
{
    seal_txhdr h;
    int rc = sdb_zadd(db, U8(set), strlen(set), score, U8(k), strlen(k), at, at > 0, false, &h);
    if (rc) {
        T_FAIL("zadd %s %g %s: %s: %s", set, score, k, t_errstr(rc), sdb_errmsg());
        return 0;
    }
    return h.id;
}

static void test_reference_basic(void)
{
    sdb *db = tu_open(t_path("ref"), 1);
    uint64_t t1 = tu_set(db, "target", "v1");
    uint64_t tr = ref(db, "alias", "target", 0);
    CHECK_INT(tr, 2);
    /* Stored value: 0x01 || u64(0) || 0x00 || "target". */
    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(sdb_store(db), tr, 1, &ti));
    CHECK_HEX(ti->entries[0].key, "00616c696173");
    CHECK_HEX(ti->entries[0].value, "01000000000000000000746172676574");
    CHECK_INT(ti->entries[0].md_len, 0);
    seal_txinfo_free(ti);

    sdb_entry e;
    CHECK_OK(tu_get(db, "alias", &e));
    CHECK(tu_key(e.key, e.key_len, "target"));
    CHECK(tu_val(&e, "v1"));
    CHECK_INT(e.tx, t1);
    CHECK_INT(e.revision, 1);
    CHECK(e.has_ref);
    CHECK_INT(e.ref.tx, tr);
    CHECK(tu_key(e.ref.key, e.ref.key_len, "alias"));
    CHECK_INT(e.ref.at_tx, 0);
    CHECK_INT(e.ref.revision, 1);
    sdb_entry_clear(&e);

    /* Unbound: follows the latest value. */
    uint64_t t3 = tu_set(db, "target", "v2");
    CHECK_OK(tu_get(db, "alias", &e));
    CHECK(tu_val(&e, "v2"));
    CHECK_INT(e.tx, t3);
    CHECK_INT(e.revision, 2);
    sdb_entry_clear(&e);

    /* Bound: pinned to tx 1 (revision 0 for a read at a tx). */
    uint64_t tb = ref(db, "pinned", "target", t1);
    CHECK_OK(tu_get(db, "pinned", &e));
    CHECK(tu_val(&e, "v1"));
    CHECK_INT(e.tx, t1);
    CHECK_INT(e.revision, 0);
    CHECK_INT(e.ref.at_tx, t1);
    CHECK_INT(e.ref.tx, tb);
    sdb_entry_clear(&e);

    /* A reference may be re-pointed; its revision grows. */
    tu_set(db, "other", "o");
    ref(db, "alias", "other", 0);
    CHECK_OK(tu_get(db, "alias", &e));
    CHECK(tu_val(&e, "o"));
    CHECK_INT(e.ref.revision, 2);
    sdb_entry_clear(&e);

    /* Deleting the target: the unbound reference is not found; the
     * bound one still reads tx 1. */
    ref(db, "alias2", "target", 0);
    sdb_key k = {SL("target")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    CHECK_ERR(tu_get(db, "alias2", &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");
    CHECK_OK(tu_get(db, "pinned", &e));
    CHECK(tu_val(&e, "v1"));
    sdb_entry_clear(&e);

    /* History returns the raw reference value (prefix removed). */
    sdb_entry *h;
    size_t n;
    CHECK_OK(sdb_history(db, SL("pinned"), 0, 0, false, 0, &h, &n));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_INT(h[0].value_len, 8 + 1 + 6);
        CHECK(!h[0].has_ref);
        CHECK_INT(seal_get_u64(h[0].value), t1);
    }
    sdb_entries_free(h, n);
    sdb_close(db);
}

static void test_reference_errors(void)
{
    sdb *db = tu_open(t_path("referr"), 1);
    tu_set(db, "k", "v");
    ref(db, "r", "k", 0);
    tu_set(db, "plain", "p");
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("k"), 0, true, NULL, 0, false, NULL),
                SEAL_EINVAL, "illegal arguments");
    CHECK_INT(sdb_errgrpc(), SDB_GRPC_INVALID_ARGUMENT);
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("k"), 1, false, NULL, 0, false, NULL),
                SEAL_EINVAL, "illegal arguments");
    CHECK_FAILS(db, sdb_set_reference(db, U8(""), 0, SL("k"), 0, false, NULL, 0, false, NULL),
                SEAL_EINVAL, "illegal arguments");
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), U8(""), 0, 0, false, NULL, 0, false, NULL),
                SEAL_EINVAL, "illegal arguments");
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("nope"), 0, false, NULL, 0, false, NULL),
                SEAL_ENOTFOUND, "key not found");
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("r"), 0, false, NULL, 0, false, NULL),
                SEAL_EINVAL, "referenced key cannot be a reference");
    CHECK_FAILS(db, sdb_set_reference(db, SL("plain"), SL("k"), 0, false, NULL, 0, false, NULL),
                SEAL_EINVAL, "final key cannot be converted into a reference");
    /* Bound to a tx that does not hold the key / does not exist. */
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("k"), 3, true, NULL, 0, false, NULL),
                SEAL_ENOTFOUND, "key not found");
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("k"), 77, true, NULL, 0, false, NULL),
                SEAL_ENOTFOUND, "tx not found");
    /* Preconditions apply. */
    sdb_precond p = {SDB_PRE_KEY_MUST_NOT_EXIST, SL("k"), 0};
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("k"), 0, false, &p, 1, false, NULL),
                SEAL_EPRECONDITION, "precondition failed: KeyMustNotExist");
    /* An expired target. */
    seal_kvmd md = {.has_expires = 1, .expires_at = tu_clock_now + 5};
    tu_set_md(db, "exp", "e", &md);
    tu_clock_now += 5;
    CHECK_FAILS(db, sdb_set_reference(db, SL("x"), SL("exp"), 0, false, NULL, 0, false, NULL),
                SEAL_ENOTFOUND, "key not found: expired entry");
    tu_clock_now -= 5;
    sdb_close(db);
}

/* A chain of two references can only appear through a delete and
 * re-creation; reading it hits immudb's resolution limit of 1. */
static void test_reference_depth(void)
{
    sdb *db = tu_open(t_path("refdepth"), 1);
    tu_set(db, "k", "v");
    tu_set(db, "m", "w");
    ref(db, "r", "k", 0);
    sdb_key k = {SL("k")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    ref(db, "k", "m", 0); /* k is now itself a reference */
    sdb_entry e;
    CHECK_ERR(tu_get(db, "r", &e), SEAL_ELIMIT);
    CHECK_STR(sdb_errmsg(), "key resolution limit reached. It may be due to cyclic references");
    CHECK_OK(tu_get(db, "k", &e));
    CHECK(tu_val(&e, "w"));
    sdb_entry_clear(&e);
    /* Scan fails too, as immudb's does. */
    sdb_scan_req sr = {0};
    sdb_entry *arr;
    size_t n;
    CHECK_ERR(sdb_scan(db, &sr, &arr, &n), SEAL_ELIMIT);
    sdb_close(db);
}

static void test_zadd_errors(void)
{
    sdb *db = tu_open(t_path("zerr"), 1);
    tu_set(db, "k", "v");
    ref(db, "r", "k", 0);
    CHECK_FAILS(db, sdb_zadd(db, U8(""), 0, 1, SL("k"), 0, false, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, U8(""), 0, 0, false, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("k"), 0, true, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("k"), 1, false, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("nope"), 0, false, false, NULL), SEAL_ENOTFOUND,
                "key not found");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("r"), 0, false, false, NULL), SEAL_EINVAL,
                "referenced key cannot be a reference");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("k"), 2, true, false, NULL), SEAL_ENOTFOUND,
                "key not found");
    CHECK_FAILS(db, sdb_zadd(db, SL("s"), 1, SL("k"), 9, true, false, NULL), SEAL_ENOTFOUND,
                "tx not found");
    sdb_close(db);
}

static size_t zkeys(sdb *db, const sdb_zscan_req *r, char *out, size_t cap)
{
    sdb_zentry *z;
    size_t n = 0;
    out[0] = 0;
    int rc = sdb_zscan(db, r, &z, &n);
    if (rc) {
        T_FAIL("zscan: %s: %s", t_errstr(rc), sdb_errmsg());
        return 0;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + pos, cap - pos, "%.*s:%g,", (int)z[i].key_len,
                         (const char *)z[i].key, z[i].score);
        if (w > 0 && (size_t)w < cap - pos)
            pos += (size_t)w;
    }
    sdb_zentries_free(z, n);
    return n;
}

static void test_zscan(void)
{
    sdb *db = tu_open(t_path("zscan"), 1);
    const char *ks[] = {"a", "b", "c", "d", "e", "f"};
    double sc[] = {2, -1, 0.5, -3, 10, 2};
    for (int i = 0; i < 6; i++)
        tu_set(db, ks[i], ks[i]);
    for (int i = 0; i < 6; i++)
        zadd(db, "set", sc[i], ks[i], 0);
    zadd(db, "other", 1, "a", 0);
    char buf[512];
    /* Byte order of the encoded key: non-negative scores ascending, then
     * negative ones in descending numeric order (Appendix C). */
    sdb_zscan_req r = {.set = U8("set"), .set_len = 3};
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "c:0.5,a:2,f:2,e:10,b:-1,d:-3,");
    /* Descending without maxScore seeks from MaxFloat64 down: negative
     * scores (which sort above) are not reached, as in immudb. */
    r.desc = true;
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "e:10,f:2,a:2,c:0.5,");
    /* Min/max filters. */
    r = (sdb_zscan_req){.set = U8("set"),
                        .set_len = 3,
                        .has_min_score = true,
                        .min_score = 1,
                        .has_max_score = true,
                        .max_score = 5};
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a:2,f:2,");
    r.desc = true;
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "f:2,a:2,");
    /* Limit counts entries read, filtered ones included (immudb's loop). */
    r = (sdb_zscan_req){
        .set = U8("set"), .set_len = 3, .has_max_score = true, .max_score = 1, .limit = 2};
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "c:0.5,");
    /* Offset. */
    r = (sdb_zscan_req){.set = U8("set"), .set_len = 3, .offset = 2, .limit = 2};
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "f:2,e:10,");
    /* Seek after (score 2, key "a"), exclusive then inclusive. */
    r = (sdb_zscan_req){
        .set = U8("set"), .set_len = 3, .seek_key = U8("a"), .seek_len = 1, .seek_score = 2};
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "f:2,e:10,b:-1,d:-3,");
    r.inclusive_seek = true;
    zkeys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a:2,f:2,e:10,b:-1,d:-3,");

    /* Entries are the members' current values; deleted members vanish. */
    tu_set(db, "a", "a2");
    sdb_key k = {SL("c")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    sdb_zentry *z;
    size_t n;
    r = (sdb_zscan_req){.set = U8("set"), .set_len = 3, .limit = 2};
    CHECK_OK(sdb_zscan(db, &r, &z, &n));
    CHECK_INT(n, 1); /* c was read (and skipped), then a */
    if (n == 1) {
        CHECK(tu_key(z[0].key, z[0].key_len, "a"));
        CHECK(tu_key(z[0].set, z[0].set_len, "set"));
        CHECK(z[0].has_entry);
        CHECK(tu_val(&z[0].entry, "a2"));
        CHECK_INT(z[0].entry.revision, 2);
        CHECK_INT(z[0].at_tx, 0);
    }
    sdb_zentries_free(z, n);

    /* Errors. */
    r = (sdb_zscan_req){.set = U8(""), .set_len = 0};
    CHECK_ERR(sdb_zscan(db, &r, &z, &n), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments");
    r = (sdb_zscan_req){.set = U8("set"), .set_len = 3, .limit = 3000};
    CHECK_ERR(sdb_zscan(db, &r, &z, &n), SEAL_ELIMIT);
    r = (sdb_zscan_req){.set = U8("set"), .set_len = 3, .since_tx = 1000};
    CHECK_ERR(sdb_zscan(db, &r, &z, &n), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments");
    sdb_close(db);
}

static void test_zadd_bound(void)
{
    sdb *db = tu_open(t_path("zbound"), 1);
    uint64_t t1 = tu_set(db, "k", "old");
    tu_set(db, "k", "new");
    uint64_t tz = zadd(db, "s", 1, "k", t1);
    /* Stored key per 7.1 with atTx = t1. */
    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(sdb_store(db), tz, 1, &ti));
    uint8_t want[64];
    size_t wl = kv_enc_zkey(want, sizeof(want), U8("s"), 1, 1.0, U8("k"), 1, t1);
    CHECK_INT(ti->entries[0].key_len, wl);
    CHECK_MEM(ti->entries[0].key, want, wl);
    CHECK_INT(ti->entries[0].vlen, 0);
    seal_txinfo_free(ti);
    zadd(db, "s", 1, "k", 0);
    sdb_zscan_req r = {.set = U8("s"), .set_len = 1};
    sdb_zentry *z;
    size_t n;
    CHECK_OK(sdb_zscan(db, &r, &z, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        /* atTx 0 sorts first (same score, same key). */
        CHECK_INT(z[0].at_tx, 0);
        CHECK(tu_val(&z[0].entry, "new"));
        CHECK_INT(z[1].at_tx, t1);
        CHECK(tu_val(&z[1].entry, "old"));
        CHECK_INT(z[1].entry.revision, 0);
    }
    sdb_zentries_free(z, n);

    /* A member that later became a reference makes ZScan fail. */
    sdb_key k = {SL("k")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    tu_set(db, "t", "x");
    ref(db, "k", "t", 0);
    CHECK_ERR(sdb_zscan(db, &r, &z, &n), SEAL_ELIMIT);
    CHECK_STR(sdb_errmsg(), "key resolution limit reached. It may be due to cyclic references");
    sdb_close(db);
}

static sdb_op op_kv(const char *k, const char *v)
{
    return (sdb_op){.kind = SDB_OP_KV,
                    .key = U8(k),
                    .key_len = strlen(k),
                    .value = U8(v),
                    .value_len = strlen(v)};
}

static sdb_op op_ref(const char *k, const char *rk, uint64_t at, bool bound)
{
    return (sdb_op){.kind = SDB_OP_REF,
                    .key = U8(k),
                    .key_len = strlen(k),
                    .ref_key = U8(rk),
                    .ref_len = strlen(rk),
                    .at_tx = at,
                    .bound_ref = bound};
}

static sdb_op op_z(const char *set, double score, const char *k, uint64_t at, bool bound)
{
    return (sdb_op){.kind = SDB_OP_ZADD,
                    .set = U8(set),
                    .set_len = strlen(set),
                    .score = score,
                    .key = U8(k),
                    .key_len = strlen(k),
                    .at_tx = at,
                    .bound_ref = bound};
}

static void test_exec_all(void)
{
    sdb *db = tu_open(t_path("exec"), 1);
    tu_set(db, "pre", "p");
    sdb_op ops[6] = {
        op_kv("a", "1"),
        op_ref("ra", "a", 0, true),  /* bound, atTx 0 -> this tx */
        op_ref("ru", "a", 0, false), /* unbound */
        op_z("s", 5, "a", 0, true),
        op_z("s", 6, "pre", 0, false),
        op_ref("rp", "pre", 1, true),
    };
    seal_txhdr h;
    CHECK_OK(sdb_exec_all(db, ops, 6, NULL, 0, false, &h));
    CHECK_INT(h.id, 2);
    CHECK_INT(h.nentries, 6);
    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(sdb_store(db), 2, 1, &ti));
    uint8_t want[64];
    size_t wl = kv_enc_ref_value(want, sizeof(want), U8("a"), 1, 2);
    CHECK_INT(ti->entries[1].vlen, wl);
    CHECK_MEM(ti->entries[1].value, want, wl);
    wl = kv_enc_zkey(want, sizeof(want), U8("s"), 1, 5, U8("a"), 1, 2);
    CHECK_MEM(ti->entries[3].key, want, wl);
    wl = kv_enc_zkey(want, sizeof(want), U8("s"), 1, 6, U8("pre"), 3, 0);
    CHECK_MEM(ti->entries[4].key, want, wl);
    seal_txinfo_free(ti);

    tu_set(db, "a", "2");
    sdb_entry e;
    CHECK_OK(tu_get(db, "ra", &e));
    CHECK(tu_val(&e, "1"));
    CHECK_INT(e.ref.at_tx, 2);
    sdb_entry_clear(&e);
    CHECK_OK(tu_get(db, "ru", &e));
    CHECK(tu_val(&e, "2"));
    sdb_entry_clear(&e);
    CHECK_OK(tu_get(db, "rp", &e));
    CHECK(tu_val(&e, "p"));
    sdb_entry_clear(&e);

    /* noWait: only self-contained bound references. */
    sdb_op nw[3] = {op_kv("n", "1"), op_ref("rn", "n", 0, true), op_z("s", 1, "n", 0, true)};
    CHECK_OK(sdb_exec_all(db, nw, 3, NULL, 0, true, &h));
    CHECK_OK(seal_index_wait(sdb_store(db), h.id, 0));
    CHECK_OK(tu_get(db, "rn", &e));
    CHECK(tu_val(&e, "1"));
    CHECK_INT(e.ref.at_tx, h.id);
    sdb_entry_clear(&e);
    sdb_op bad[2] = {op_kv("n2", "1"), op_ref("rn2", "n2", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, bad, 2, NULL, 0, true, NULL), SEAL_EINVAL,
                "no wait operation must be self-contained: illegal arguments: can only set "
                "references to keys added within same transaction, please use bound references "
                "with AtTx set to 0");
    bad[1] = op_ref("rn2", "pre", 0, true);
    CHECK_FAILS(db, sdb_exec_all(db, bad, 2, NULL, 0, true, NULL), SEAL_EINVAL,
                "no wait operation must be self-contained: illegal arguments: can not create a "
                "reference to a key that was not set in the same transaction");
    bad[1] = op_z("s", 1, "pre", 0, true);
    CHECK_FAILS(db, sdb_exec_all(db, bad, 2, NULL, 0, true, NULL), SEAL_EINVAL,
                "no wait operation must be self-contained: illegal arguments: can not create a "
                "reference into a set for a key that was not set in the same transaction");
    /* A reference listed before the key it names is checked in the index. */
    sdb_op order[2] = {op_ref("r9", "k9", 0, false), op_kv("k9", "v")};
    CHECK_FAILS(db, sdb_exec_all(db, order, 2, NULL, 0, false, NULL), SEAL_ENOTFOUND,
                "key not found");

    /* Validation. */
    CHECK_FAILS(db, sdb_exec_all(db, ops, 0, NULL, 0, false, NULL), SEAL_EINVAL, "empty set");
    sdb_op d1[2] = {op_kv("x", "1"), op_kv("x", "2")};
    CHECK_FAILS(db, sdb_exec_all(db, d1, 2, NULL, 0, false, NULL), SEAL_EDUPLICATE,
                "duplicated keys are not supported in single batch transaction: key/reference "
                "'x'");
    sdb_op d2[2] = {op_kv("x", "1"), op_ref("x", "pre", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, d2, 2, NULL, 0, false, NULL), SEAL_EDUPLICATE,
                "duplicated keys are not supported in single batch transaction: key/reference "
                "'x'");
    sdb_op d3[2] = {op_z("s", 1, "pre", 0, false), op_z("s", 2, "pre", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, d3, 2, NULL, 0, false, NULL), SEAL_EDUPLICATE,
                "duplicated index inside zAdd insertions are not supported in single batch "
                "transaction");
    sdb_op unset = {0};
    CHECK_FAILS(db, sdb_exec_all(db, &unset, 1, NULL, 0, false, NULL), SEAL_EINVAL,
                "operation is not set");
    sdb_op e1[1] = {op_kv("", "1")};
    CHECK_FAILS(db, sdb_exec_all(db, e1, 1, NULL, 0, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    sdb_op e2[1] = {op_ref("q", "pre", 1, false)};
    CHECK_FAILS(db, sdb_exec_all(db, e2, 1, NULL, 0, false, NULL), SEAL_EINVAL,
                "illegal arguments");
    sdb_op e3[1] = {op_ref("pre", "a", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, e3, 1, NULL, 0, false, NULL), SEAL_EINVAL,
                "final key cannot be converted into a reference");
    sdb_op e4[1] = {op_ref("q", "ra", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, e4, 1, NULL, 0, false, NULL), SEAL_EINVAL,
                "referenced key cannot be a reference");
    sdb_op e5[1] = {op_z("s", 1, "nope", 0, false)};
    CHECK_FAILS(db, sdb_exec_all(db, e5, 1, NULL, 0, false, NULL), SEAL_ENOTFOUND, "key not found");
    /* Preconditions (validated without the extra wrapping). */
    sdb_op ok[1] = {op_kv("y", "1")};
    sdb_precond p = {SDB_PRE_KEY_MUST_EXIST, SL("nope"), 0};
    CHECK_FAILS(db, sdb_exec_all(db, ok, 1, &p, 1, false, NULL), SEAL_EPRECONDITION,
                "precondition failed: KeyMustExist");
    p = (sdb_precond){SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX, SL("a"), 0};
    CHECK_FAILS(db, sdb_exec_all(db, ok, 1, &p, 1, false, NULL), SEAL_EINVAL,
                "invalid precondition: invalid transaction ID");
    p = (sdb_precond){SDB_PRE_KEY_MUST_EXIST, SL("pre"), 0};
    CHECK_OK(sdb_exec_all(db, ok, 1, &p, 1, false, NULL));
    /* KV metadata in ExecAll. */
    seal_kvmd md = {.has_expires = 1, .expires_at = tu_clock_now + 100};
    sdb_op withmd = op_kv("m", "1");
    withmd.md = &md;
    CHECK_OK(sdb_exec_all(db, &withmd, 1, NULL, 0, false, NULL));
    CHECK_OK(tu_get(db, "m", &e));
    CHECK(e.md.has_expires);
    sdb_entry_clear(&e);
    sdb_close(db);
}

/* TxById with entries specs: raw, digests only, raw values, resolved. */
static void test_tx_by_id(void)
{
    sdb *db = tu_open(t_path("txid"), 1);
    tu_set(db, "k", "v");
    sdb_op ops[3] = {op_kv("a", "1"), op_ref("r", "k", 0, false), op_z("s", 3, "k", 0, false)};
    seal_txhdr h;
    CHECK_OK(sdb_exec_all(db, ops, 3, NULL, 0, false, &h));
    sdb_tx t;
    sdb_tx_req r = {.tx = h.id};
    CHECK_OK(sdb_tx_by_id(db, &r, &t));
    CHECK_INT(t.hdr.id, h.id);
    CHECK_MEM(t.hdr.alh, h.alh, 32);
    CHECK_INT(t.n, 3);
    CHECK_INT(t.nkv + t.nz, 0);
    if (t.n == 3) {
        CHECK_HEX(t.entries[0].key, "0061");
        CHECK(!t.entries[0].has_value);
        CHECK_INT(t.entries[0].vlen, 2);
    }
    sdb_tx_clear(&t);

    sdb_entries_spec spec = {.kv = SDB_RESOLVE, .zset = SDB_RESOLVE};
    r.spec = &spec;
    CHECK_OK(sdb_tx_by_id(db, &r, &t));
    CHECK_INT(t.n, 0);
    CHECK_INT(t.nkv, 2);
    CHECK_INT(t.nz, 1);
    if (t.nkv == 2 && t.nz == 1) {
        CHECK(tu_key(t.kv[0].key, t.kv[0].key_len, "a"));
        CHECK(tu_val(&t.kv[0], "1"));
        CHECK(t.kv[1].has_ref);
        CHECK(tu_key(t.kv[1].key, t.kv[1].key_len, "k"));
        CHECK(tu_val(&t.kv[1], "v"));
        CHECK(tu_key(t.z[0].key, t.z[0].key_len, "k"));
        CHECK(t.z[0].score == 3);
        CHECK(tu_val(&t.z[0].entry, "v"));
    }
    sdb_tx_clear(&t);
    r.keep_references_unresolved = true;
    CHECK_OK(sdb_tx_by_id(db, &r, &t));
    if (t.nkv == 2 && t.nz == 1) {
        CHECK(t.kv[1].has_ref);
        CHECK(tu_key(t.kv[1].key, t.kv[1].key_len, "k"));
        CHECK_INT(t.kv[1].value_len, 0);
        CHECK(!t.z[0].has_entry);
    } else {
        T_FAIL("unresolved: %zu kv %zu z", t.nkv, t.nz);
    }
    sdb_tx_clear(&t);
    r.keep_references_unresolved = false;

    spec = (sdb_entries_spec){.kv = SDB_RAW_VALUE, .zset = SDB_ONLY_DIGEST};
    CHECK_OK(sdb_tx_by_id(db, &r, &t));
    CHECK_INT(t.n, 3);
    if (t.n == 3) {
        CHECK(t.entries[0].has_value);
        CHECK_HEX(t.entries[0].value, "0031");
        CHECK(!t.entries[2].has_value);
    }
    sdb_tx_clear(&t);
    spec = (sdb_entries_spec){.kv = SDB_EXCLUDE, .zset = SDB_EXCLUDE};
    CHECK_OK(sdb_tx_by_id(db, &r, &t));
    CHECK_INT(t.n + t.nkv + t.nz, 0);
    sdb_tx_clear(&t);
    spec = (sdb_entries_spec){.sql = SDB_RESOLVE};
    CHECK_OK(sdb_tx_by_id(db, &r, &t)); /* no SQL entries: nothing to refuse */
    sdb_tx_clear(&t);

    r = (sdb_tx_req){.tx = 99};
    CHECK_ERR(sdb_tx_by_id(db, &r, &t), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "tx not found");
    r = (sdb_tx_req){.tx = 0};
    CHECK_ERR(sdb_tx_by_id(db, &r, &t), SEAL_EINVAL);
    r = (sdb_tx_req){.tx = 1, .since_tx = 50};
    CHECK_ERR(sdb_tx_by_id(db, &r, &t), SEAL_EINVAL);

    /* TxScan. */
    for (int i = 0; i < 4; i++)
        tu_set(db, "x", "y");
    sdb_txscan_req sr = {.initial_tx = 2, .limit = 3};
    sdb_tx *txs;
    size_t n;
    CHECK_OK(sdb_tx_scan(db, &sr, &txs, &n));
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(txs[0].hdr.id, 2);
        CHECK_INT(txs[2].hdr.id, 4);
    }
    sdb_txs_free(txs, n);
    sr = (sdb_txscan_req){.initial_tx = 3, .desc = true};
    CHECK_OK(sdb_tx_scan(db, &sr, &txs, &n));
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK_INT(txs[2].hdr.id, 1);
    sdb_txs_free(txs, n);
    sr = (sdb_txscan_req){.initial_tx = 5};
    CHECK_OK(sdb_tx_scan(db, &sr, &txs, &n));
    CHECK_INT(n, 2);
    sdb_txs_free(txs, n);
    sr = (sdb_txscan_req){.initial_tx = 0};
    CHECK_ERR(sdb_tx_scan(db, &sr, &txs, &n), SEAL_EINVAL);
    sr = (sdb_txscan_req){.initial_tx = 1, .limit = 2501};
    CHECK_ERR(sdb_tx_scan(db, &sr, &txs, &n), SEAL_ELIMIT);
    sdb_close(db);
}

int main(void)
{
    t_init();
    RUN(test_reference_basic);
    RUN(test_reference_errors);
    RUN(test_reference_depth);
    RUN(test_zadd_errors);
    RUN(test_zscan);
    RUN(test_zadd_bound);
    RUN(test_exec_all);
    RUN(test_tx_by_id);
    return t_done();
}
