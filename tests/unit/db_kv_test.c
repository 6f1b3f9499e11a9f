/* db_kv_test.c - the database layer's key/value operations against
 * immudb's semantics: Set (encodings, limits, duplicates, metadata),
 * Get (at tx, since tx, at revision), logical delete, expiration,
 * preconditions, GetAll, History, Scan (every option), Count; and every
 * bad request refused with immudb's message and nothing written. */
#include "db_testutil.h"

#include "crypto/cry.h"

/* The stored bytes are immudb's: 0x00||k -> 0x00||v. */
static void test_set_get_encoding(void)
{
    sdb *db = tu_open(t_path("enc"), 1);
    uint64_t id = tu_set(db, "key", "value");
    CHECK_INT(id, 1);
    sdb_entry e;
    CHECK_OK(tu_get(db, "key", &e));
    CHECK_INT(e.tx, 1);
    CHECK(tu_key(e.key, e.key_len, "key"));
    CHECK(tu_val(&e, "value"));
    CHECK_INT(e.revision, 1);
    CHECK(!e.has_md);
    CHECK(!e.has_ref);
    sdb_entry_clear(&e);

    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(sdb_store(db), 1, 1, &ti));
    CHECK_INT(ti->n, 1);
    CHECK_HEX(ti->entries[0].key, "006b6579");
    CHECK_INT(ti->entries[0].vlen, 6);
    CHECK_HEX(ti->entries[0].value, "0076616c7565");
    CHECK_HEX(ti->entries[0].hval,
              "7377811838091e7b3c61c2fc4a67260c46c22d417c3a574303f8e5661cb1ee94");
    seal_txinfo_free(ti);

    /* An empty value is allowed (stored as the lone prefix byte). */
    CHECK(tu_set(db, "empty", "") == 2);
    CHECK_OK(tu_get(db, "empty", &e));
    CHECK_INT(e.value_len, 0);
    sdb_entry_clear(&e);
    sdb_close(db);
}

static void test_set_errors(void)
{
    sdb *db = tu_open(t_path("seterr"), 1);
    tu_set(db, "a", "1");
    sdb_kv kvs[3] = {
        {SL("x"), SL("1"), NULL},
        {SL("x"), SL("2"), NULL},
        {SL("y"), SL("3"), NULL},
    };
    CHECK_FAILS(db, sdb_set(db, kvs, 2, NULL, 0, false, NULL), SEAL_EDUPLICATE,
                "duplicated keys are not supported in single batch transaction");
    CHECK_INT(sdb_errgrpc(), SDB_GRPC_INVALID_ARGUMENT);
    sdb_kv empty = {U8(""), 0, SL("v"), NULL};
    CHECK_FAILS(db, sdb_set(db, &empty, 1, NULL, 0, false, NULL), SEAL_EINVAL, "illegal arguments");
    CHECK_INT(sdb_errgrpc(), SDB_GRPC_INVALID_ARGUMENT);
    CHECK_FAILS(db, sdb_set(db, kvs, 0, NULL, 0, false, NULL), SEAL_EINVAL, "no entries provided");

    /* Max key length applies to the prefixed key: 1023 user bytes fit. */
    static uint8_t big[2000];
    memset(big, 'k', sizeof(big));
    sdb_kv kl = {big, 1024, SL("v"), NULL};
    CHECK_FAILS(db, sdb_set(db, &kl, 1, NULL, 0, false, NULL), SEAL_ELIMIT,
                "max key length exceeded");
    kl.key_len = 1023;
    CHECK_OK(sdb_set(db, &kl, 1, NULL, 0, false, NULL));

    /* Too many entries: the default limit is 1024. */
    sdb_kv *many = seal_calloc(1025, sizeof(*many));
    char(*names)[8] = seal_calloc(1025, 8);
    for (int i = 0; i < 1025; i++) {
        snprintf(names[i], 8, "k%d", i);
        many[i] = (sdb_kv){U8(names[i]), strlen(names[i]), SL("v"), NULL};
    }
    CHECK_FAILS(db, sdb_set(db, many, 1025, NULL, 0, false, NULL), SEAL_ETXTOOLARGE,
                "max number of entries per tx exceeded");
    CHECK_OK(sdb_set(db, many, 1024, NULL, 0, false, NULL));
    seal_free(many);
    seal_free(names);
    sdb_close(db);
}

/* Header version 0 databases carry no KV metadata: expiration and delete
 * are refused with immudb's message. */
static void test_v0_metadata(void)
{
    sdb *db = tu_open(t_path("v0md"), 0);
    CHECK_INT(sdb_tx_header_version(db), 0);
    tu_set(db, "a", "1");
    seal_kvmd md = {.has_expires = 1, .expires_at = tu_clock_now + 100};
    sdb_kv kv = {SL("b"), SL("2"), &md};
    const char *msg = "metadata is unsupported when in 1.1 compatibility mode, do not use "
                      "metadata-related features such as expiration and logical deletion";
    CHECK_FAILS(db, sdb_set(db, &kv, 1, NULL, 0, false, NULL), SEAL_EUNSUPPORTED, msg);
    sdb_key k = {SL("a")};
    CHECK_FAILS(db, sdb_delete(db, &k, 1, 0, false, NULL), SEAL_EUNSUPPORTED, msg);
    /* An empty metadata object is fine (it serialises to nothing). */
    seal_kvmd none = {0};
    kv.md = &none;
    CHECK_OK(sdb_set(db, &kv, 1, NULL, 0, false, NULL));
    sdb_close(db);
}

static void test_get_variants(void)
{
    sdb *db = tu_open(t_path("getv"), 1);
    tu_set(db, "k", "v1"); /* tx 1 */
    tu_set(db, "o", "x");  /* tx 2 */
    tu_set(db, "k", "v2"); /* tx 3 */
    tu_set(db, "k", "v3"); /* tx 4 */
    sdb_entry e;
    sdb_get_req r = {.key = U8("k"), .key_len = 1};
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v3"));
    CHECK_INT(e.tx, 4);
    CHECK_INT(e.revision, 3);
    sdb_entry_clear(&e);

    /* at tx: the version written by that tx; revision 0 as immudb. */
    r.at_tx = 3;
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v2"));
    CHECK_INT(e.tx, 3);
    CHECK_INT(e.revision, 0);
    sdb_entry_clear(&e);
    r.at_tx = 2;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");
    r.at_tx = 9;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "tx not found");

    /* at revision: positive from the oldest, negative from the newest. */
    r.at_tx = 0;
    r.at_revision = 1;
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v1"));
    CHECK_INT(e.revision, 1);
    CHECK_INT(e.tx, 1);
    sdb_entry_clear(&e);
    r.at_revision = -1;
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v2"));
    CHECK_INT(e.revision, 2);
    sdb_entry_clear(&e);
    r.at_revision = -2;
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v1"));
    CHECK_INT(e.revision, 1);
    sdb_entry_clear(&e);
    r.at_revision = 4;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "invalid key revision number");
    r.at_revision = -3;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "invalid key revision number");
    r.at_revision = 1;
    r.key = U8("nope");
    r.key_len = 4;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");

    /* since tx */
    sdb_get_req s = {.key = U8("k"), .key_len = 1, .since_tx = 4};
    CHECK_OK(sdb_get(db, &s, &e));
    sdb_entry_clear(&e);
    s.since_tx = 5;
    CHECK_ERR(sdb_get(db, &s, &e), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(),
              "illegal arguments: SinceTx must not be greater than the current transaction ID");
    s.no_wait = true;
    s.since_tx = 0;
    CHECK_OK(sdb_get(db, &s, &e));
    sdb_entry_clear(&e);

    /* argument checks */
    sdb_get_req bad = {.key = U8("k"), .key_len = 0};
    CHECK_ERR(sdb_get(db, &bad, &e), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments: empty key");
    CHECK_INT(sdb_errgrpc(), SDB_GRPC_UNKNOWN);
    bad = (sdb_get_req){.key = U8("k"), .key_len = 1, .at_tx = 1, .since_tx = 1};
    CHECK_ERR(sdb_get(db, &bad, &e), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments: SinceTx should not be specified when AtTx is used");
    bad = (sdb_get_req){.key = U8("k"), .key_len = 1, .at_tx = 1, .at_revision = 1};
    CHECK_ERR(sdb_get(db, &bad, &e), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(),
              "illegal arguments: AtRevision should not be specified when AtTx is used");
    CHECK_ERR(tu_get(db, "missing", &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");
    sdb_close(db);
}

static void test_delete(void)
{
    sdb *db = tu_open(t_path("del"), 1);
    tu_set(db, "a", "1");
    tu_set(db, "b", "2");
    sdb_key k[2] = {{SL("a")}, {SL("b")}};
    seal_txhdr h;
    CHECK_OK(sdb_delete(db, k, 1, 0, false, &h));
    CHECK_INT(h.id, 3);
    sdb_entry e;
    CHECK_ERR(tu_get(db, "a", &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");

    /* Stored as an empty value with metadata "deleted" (mdBytes 00). */
    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(sdb_store(db), 3, 1, &ti));
    CHECK_INT(ti->n, 1);
    CHECK_HEX(ti->entries[0].key, "0061");
    CHECK_INT(ti->entries[0].vlen, 0);
    CHECK_INT(ti->entries[0].md_len, 1);
    CHECK_HEX(ti->entries[0].md_bytes, "00");
    seal_txinfo_free(ti);

    /* The old version stays readable at its tx and in the history. */
    sdb_get_req r = {.key = U8("a"), .key_len = 1, .at_tx = 1};
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "1"));
    sdb_entry_clear(&e);
    r.at_tx = 3;
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");

    /* Deleting a deleted or missing key fails, and so does the whole request. */
    CHECK_FAILS(db, sdb_delete(db, k, 2, 0, false, NULL), SEAL_ENOTFOUND, "key not found");
    CHECK_OK(tu_get(db, "b", &e));
    sdb_entry_clear(&e);
    sdb_key m = {SL("zz")};
    CHECK_FAILS(db, sdb_delete(db, &m, 1, 0, false, NULL), SEAL_ENOTFOUND, "key not found");
    sdb_key empty = {U8(""), 0};
    CHECK_FAILS(db, sdb_delete(db, &empty, 1, 0, false, NULL), SEAL_EINVAL, "illegal arguments");
    CHECK_FAILS(db, sdb_delete(db, k + 1, 1, 99, false, NULL), SEAL_ENOTFOUND, "tx not found");
    CHECK_FAILS(db, sdb_delete(db, k, 0, 0, false, NULL), SEAL_EINVAL, "no entries provided");

    /* Set again after a delete: a new revision, visible again. */
    tu_set(db, "a", "again");
    CHECK_OK(tu_get(db, "a", &e));
    CHECK(tu_val(&e, "again"));
    CHECK_INT(e.revision, 3);
    sdb_entry_clear(&e);
    /* The same key twice in one delete: one entry. */
    sdb_key twice[2] = {{SL("b")}, {SL("b")}};
    CHECK_OK(sdb_delete(db, twice, 2, 0, false, &h));
    CHECK_INT(h.nentries, 1);
    sdb_close(db);
}

static void test_expiration(void)
{
    sdb *db = tu_open(t_path("exp"), 1);
    seal_kvmd md = {.has_expires = 1, .expires_at = tu_clock_now + 10};
    tu_set_md(db, "e", "soon", &md);
    tu_set(db, "p", "plain");
    sdb_entry e;
    CHECK_OK(tu_get(db, "e", &e));
    CHECK(e.has_md);
    CHECK(e.md.has_expires);
    CHECK_INT(e.md.expires_at, tu_clock_now + 10);
    sdb_entry_clear(&e);

    tu_clock_now += 10; /* expired when now >= expiresAt */
    CHECK_ERR(tu_get(db, "e", &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found: expired entry");
    sdb_get_req r = {.key = U8("e"), .key_len = 1, .at_tx = 1};
    CHECK_ERR(sdb_get(db, &r, &e), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found: expired entry");

    /* Delete of an expired key fails with the same message. */
    sdb_key k = {SL("e")};
    CHECK_FAILS(db, sdb_delete(db, &k, 1, 0, false, NULL), SEAL_ENOTFOUND,
                "key not found: expired entry");

    /* History shows it flagged, without its value. */
    sdb_entry *h;
    size_t n;
    CHECK_OK(sdb_history(db, SL("e"), 0, 0, false, 0, &h, &n));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(h[0].expired);
        CHECK_INT(h[0].value_len, 0);
        CHECK(h[0].md.has_expires);
    }
    sdb_entries_free(h, n);

    /* Scans skip it; Count counts it (immudb counts index keys). */
    sdb_scan_req sr = {0};
    CHECK_OK(sdb_scan(db, &sr, &h, &n));
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK(tu_key(h[0].key, h[0].key_len, "p"));
    sdb_entries_free(h, n);
    uint64_t cnt;
    CHECK_OK(sdb_count_all(db, &cnt));
    CHECK_INT(cnt, 2);

    /* Set again without expiry: visible. */
    tu_set(db, "e", "back");
    CHECK_OK(tu_get(db, "e", &e));
    CHECK(tu_val(&e, "back"));
    sdb_entry_clear(&e);
    tu_clock_now -= 10;
    sdb_close(db);
}

static void test_non_indexable(void)
{
    sdb *db = tu_open(t_path("nonidx"), 1);
    seal_kvmd md = {.non_indexable = 1};
    uint64_t id = tu_set_md(db, "hidden", "v", &md);
    sdb_entry e;
    CHECK_ERR(tu_get(db, "hidden", &e), SEAL_ENOTFOUND);
    /* Readable at its tx, which reads the log. */
    sdb_get_req r = {.key = U8("hidden"), .key_len = 6, .at_tx = id};
    CHECK_OK(sdb_get(db, &r, &e));
    CHECK(tu_val(&e, "v"));
    CHECK(e.md.non_indexable);
    sdb_entry_clear(&e);
    sdb_close(db);
}

static void test_preconditions(void)
{
    sdb *db = tu_open(t_path("pre"), 1);
    uint64_t t1 = tu_set(db, "a", "1");
    sdb_kv kv = {SL("b"), SL("2"), NULL};
    sdb_precond p = {SDB_PRE_KEY_MUST_EXIST, SL("a"), 0};
    CHECK_OK(sdb_set(db, &kv, 1, &p, 1, false, NULL));
    p = (sdb_precond){SDB_PRE_KEY_MUST_EXIST, SL("zz"), 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EPRECONDITION,
                "precondition failed: KeyMustExist");
    CHECK_INT(sdb_errgrpc(), SDB_GRPC_FAILED_PRECONDITION);
    p = (sdb_precond){SDB_PRE_KEY_MUST_NOT_EXIST, SL("a"), 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EPRECONDITION,
                "precondition failed: KeyMustNotExist");
    p = (sdb_precond){SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX, SL("a"), t1};
    CHECK_OK(sdb_set(db, &kv, 1, &p, 1, false, NULL));
    tu_set(db, "a", "changed");
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EPRECONDITION,
                "precondition failed: KeyNotModifiedAfterTxID");
    /* The second of several failing is named. */
    sdb_precond two[2] = {{SDB_PRE_KEY_MUST_EXIST, SL("a"), 0},
                          {SDB_PRE_KEY_MUST_NOT_EXIST, SL("a"), 0}};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, two, 2, false, NULL), SEAL_EPRECONDITION,
                "precondition failed: KeyMustNotExist");

    /* A deleted key does not exist for KeyMustExist / KeyMustNotExist. */
    sdb_key k = {SL("a")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    p = (sdb_precond){SDB_PRE_KEY_MUST_NOT_EXIST, SL("a"), 0};
    CHECK_OK(sdb_set(db, &kv, 1, &p, 1, false, NULL));

    /* Bad preconditions. */
    p = (sdb_precond){SDB_PRE_KEY_MUST_EXIST, U8(""), 0, 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EINVAL,
                "invalid precondition: null key");
    p = (sdb_precond){0, SL("a"), 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EINVAL,
                "invalid precondition: null");
    p = (sdb_precond){SDB_PRE_KEY_NOT_MODIFIED_AFTER_TX, SL("a"), 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_EINVAL,
                "invalid precondition: invalid precondition: invalid transaction ID");
    static uint8_t big[1100];
    memset(big, 'x', sizeof(big));
    p = (sdb_precond){SDB_PRE_KEY_MUST_EXIST, big, 1024, 0};
    CHECK_FAILS(db, sdb_set(db, &kv, 1, &p, 1, false, NULL), SEAL_ELIMIT,
                "invalid precondition: invalid precondition: max key length exceeded");
    sdb_close(db);
}

static void test_get_all(void)
{
    sdb *db = tu_open(t_path("getall"), 1);
    tu_set(db, "a", "1");
    tu_set(db, "b", "2");
    sdb_key k = {SL("b")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    tu_set(db, "c", "3");
    sdb_key ks[4] = {{SL("c")}, {SL("b")}, {SL("zz")}, {SL("a")}};
    sdb_entry *e;
    size_t n;
    CHECK_OK(sdb_get_all(db, ks, 4, 0, &e, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(tu_key(e[0].key, e[0].key_len, "c"));
        CHECK(tu_key(e[1].key, e[1].key_len, "a"));
    }
    sdb_entries_free(e, n);
    CHECK_ERR(sdb_get_all(db, ks, 4, 10, &e, &n), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments");
    sdb_close(db);
}

static void test_history(void)
{
    sdb *db = tu_open(t_path("hist"), 1);
    tu_set(db, "h", "v1");
    tu_set(db, "h", "v2");
    sdb_key k = {SL("h")};
    CHECK_OK(sdb_delete(db, &k, 1, 0, false, NULL));
    tu_set(db, "h", "v4");
    sdb_entry *e;
    size_t n;
    CHECK_OK(sdb_history(db, SL("h"), 0, 0, false, 0, &e, &n));
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK(tu_val(&e[0], "v1"));
        CHECK_INT(e[0].revision, 1);
        CHECK(tu_val(&e[1], "v2"));
        CHECK_INT(e[2].value_len, 0);
        CHECK(e[2].md.deleted);
        CHECK(e[2].has_md);
        CHECK_INT(e[2].tx, 3);
        CHECK(tu_val(&e[3], "v4"));
        CHECK_INT(e[3].revision, 4);
        CHECK(tu_key(e[3].key, e[3].key_len, "h"));
    }
    sdb_entries_free(e, n);
    CHECK_OK(sdb_history(db, SL("h"), 1, 2, true, 0, &e, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(e[0].revision, 3);
        CHECK_INT(e[1].revision, 2);
        CHECK(tu_val(&e[1], "v2"));
    }
    sdb_entries_free(e, n);
    /* Offset past the end: empty, not an error. */
    CHECK_OK(sdb_history(db, SL("h"), 10, 0, false, 0, &e, &n));
    CHECK_INT(n, 0);
    sdb_entries_free(e, n);
    CHECK_ERR(sdb_history(db, SL("nope"), 0, 0, false, 0, &e, &n), SEAL_ENOTFOUND);
    CHECK_STR(sdb_errmsg(), "key not found");
    CHECK_ERR(sdb_history(db, SL("h"), 0, 2501, false, 0, &e, &n), SEAL_ELIMIT);
    CHECK_STR(sdb_errmsg(), "result size limit exceeded: the specified limit (2501) is larger "
                            "than the maximum allowed one (2500)");
    CHECK_ERR(sdb_history(db, SL("h"), 0, 0, false, 99, &e, &n), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments");
    sdb_close(db);
}

static size_t scan_keys(sdb *db, const sdb_scan_req *r, char *out, size_t cap)
{
    sdb_entry *e;
    size_t n = 0;
    out[0] = 0;
    int rc = sdb_scan(db, r, &e, &n);
    if (rc) {
        T_FAIL("scan: %s: %s", t_errstr(rc), sdb_errmsg());
        return 0;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (pos + e[i].key_len + 2 < cap) {
            memcpy(out + pos, e[i].key, e[i].key_len);
            pos += e[i].key_len;
            out[pos++] = ',';
            out[pos] = 0;
        }
    }
    sdb_entries_free(e, n);
    return n;
}

static void test_scan(void)
{
    sdb *db = tu_open(t_path("scan"), 1);
    const char *keys[] = {"a1", "a2", "a3", "b1", "b2", "c"};
    for (size_t i = 0; i < 6; i++)
        tu_set(db, keys[i], "v");
    sdb_key d = {SL("a2")};
    CHECK_OK(sdb_delete(db, &d, 1, 0, false, NULL));
    char buf[256];
    sdb_scan_req r = {0};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a1,a3,b1,b2,c,");
    r.desc = true;
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "c,b2,b1,a3,a1,");
    r = (sdb_scan_req){.prefix = U8("b"), .prefix_len = 1};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "b1,b2,");
    /* Seek is exclusive unless inclusive_seek (immudb's default false). */
    r = (sdb_scan_req){.seek_key = U8("a3"), .seek_len = 2};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "b1,b2,c,");
    r.inclusive_seek = true;
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a3,b1,b2,c,");
    /* End key, exclusive unless inclusive_end. */
    r = (sdb_scan_req){.end_key = U8("b2"), .end_len = 2};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a1,a3,b1,");
    r.inclusive_end = true;
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a1,a3,b1,b2,");
    /* Descending from a seek key down to an end key. */
    r = (sdb_scan_req){.seek_key = U8("b2"),
                       .seek_len = 2,
                       .end_key = U8("a1"),
                       .end_len = 2,
                       .desc = true,
                       .inclusive_seek = true};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "b2,b1,a3,");
    /* Limit and offset. */
    r = (sdb_scan_req){.limit = 2, .offset = 1};
    scan_keys(db, &r, buf, sizeof(buf));
    CHECK_STR(buf, "a3,b1,");
    r = (sdb_scan_req){.limit = 2501};
    sdb_entry *e;
    size_t n;
    CHECK_ERR(sdb_scan(db, &r, &e, &n), SEAL_ELIMIT);
    CHECK_STR(sdb_errmsg(), "result size limit exceeded: the specified limit (2501) is larger "
                            "than the maximum allowed one (2500)");
    r = (sdb_scan_req){.since_tx = 100};
    CHECK_ERR(sdb_scan(db, &r, &e, &n), SEAL_EINVAL);
    CHECK_STR(sdb_errmsg(), "illegal arguments");

    /* Scan returns values, revisions and metadata. */
    r = (sdb_scan_req){.prefix = U8("c"), .prefix_len = 1};
    CHECK_OK(sdb_scan(db, &r, &e, &n));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(tu_val(&e[0], "v"));
        CHECK_INT(e[0].revision, 1);
        CHECK_INT(e[0].tx, 6);
    }
    sdb_entries_free(e, n);

    uint64_t cnt;
    CHECK_OK(sdb_count(db, SL("a"), &cnt));
    CHECK_INT(cnt, 3); /* deleted a2 included, as immudb */
    CHECK_OK(sdb_count_all(db, &cnt));
    CHECK_INT(cnt, 6);
    sdb_close(db);
}

/* The max result size is configurable (server option MaxResultSize). */
static void test_result_size(void)
{
    sdb_options o;
    sdb_options_default(&o);
    o.max_result_size = 3;
    o.store.durability = SEAL_DURABILITY_NONE;
    sdb *db;
    CHECK_OK(sdb_open(t_path("rsize"), "rs", &o, &db));
    for (int i = 0; i < 5; i++) {
        char k[4] = {'k', (char)('0' + i), 0};
        tu_set(db, k, "v");
    }
    sdb_scan_req r = {0};
    char buf[64];
    CHECK_INT(scan_keys(db, &r, buf, sizeof(buf)), 3);
    r.limit = 4;
    sdb_entry *e;
    size_t n;
    CHECK_ERR(sdb_scan(db, &r, &e, &n), SEAL_ELIMIT);
    sdb_close(db);
}

int main(void)
{
    t_init();
    RUN(test_set_get_encoding);
    RUN(test_set_errors);
    RUN(test_v0_metadata);
    RUN(test_get_variants);
    RUN(test_delete);
    RUN(test_expiration);
    RUN(test_non_indexable);
    RUN(test_preconditions);
    RUN(test_get_all);
    RUN(test_history);
    RUN(test_scan);
    RUN(test_result_size);
    return t_done();
}
