/* client_stream_test.c - libsealclient's stream calls and the count / health
 * calls against the real sealdb runtime (srv.h, in-process on an ephemeral
 * port, through tests/unit/srvkv_harness.h), for tx header versions 0 and 1:
 * streamVerifiableSet / streamVerifiableGet with a 12 MiB value, verified
 * and moving the trusted state to the server's own state, mixed with the
 * unary verified calls, with and without server signatures; streamScan, streamZScan, streamHistory
 * and streamExecAll give what Scan, ZScan, History and ExecAll give on the same data; CountAll and
 * DatabaseHealth. */
#include "srvkv_harness.h"

#include "seal/seal_client.h"

/* A client logged in on the harness server's database. */
static seal_client *cli(kvh *h, const char *state)
{
    char pubf[700] = "";
    if (h->pub) { /* the server signs: require and check its signatures */
        snprintf(pubf, sizeof(pubf), "%s.pub.pem", h->dir);
        CHECK_OK(cry_key_save_public_file(h->pub, pubf));
    }
    seal_client_opts o;
    seal_client_opts_default(&o);
    o.host = "127.0.0.1";
    o.port = h->port;
    o.timeout_ms = 30000;
    o.state_dir = t_path(state);
    o.server_pubkey_file = pubf[0] ? pubf : NULL;
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    if (!c)
        exit(1);
    CHECK_OK(seal_client_login(c, "immudb", KVH_ADMIN_PW, NULL));
    CHECK_OK(seal_client_use_database(c, KVH_DBNAME));
    return c;
}

/* The trusted state is the server's state. */
static void check_trusted(kvh *h, seal_client *c)
{
    uint64_t tx;
    uint8_t alh[32];
    kvh_state(h, &tx, alh);
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK_INT(ts.tx_id, tx);
    CHECK_MEM(ts.tx_hash, alh, 32);
}

static void run_verified(int version, bool sign)
{
    kvh h;
    kvh_start(&h, version, sign);
    char sd[32];
    snprintf(sd, sizeof(sd), "cs-state-v%d%s", version, sign ? "s" : "");
    seal_client *c = cli(&h, sd);
    seal_txhdr hd;
    seal_verify_info vi;
    for (int i = 0; i < 5; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        CHECK_OK(seal_client_set(c, k, strlen(k), "v", 1, NULL, &hd));
    }

    size_t vlen = 12u << 20;
    uint8_t *val = malloc(vlen);
    CHECK(val != NULL);
    for (size_t i = 0; i < vlen; i++)
        val[i] = (uint8_t)((i * 2654435761u) >> 13);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(seal_client_stream_verified_set(c, "large", 5, val, vlen, 0, &hd, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    CHECK_INT(vi.source_tx, 5);
    CHECK_INT(vi.target_tx, 6);
    CHECK_INT(hd.id, 6);
    CHECK_INT(hd.version, version);
    CHECK_INT(hd.nentries, 1);
    CHECK(vi.proof_checked);
    check_trusted(&h, c);

    seal_kventry e;
    CHECK_OK(seal_client_stream_verified_get(c, "large", 5, NULL, &e, &vi));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_INT(e.tx, 6);
    CHECK_INT(e.key_len, 5);
    CHECK(e.value_len == vlen && memcmp(e.value, val, vlen) == 0);
    CHECK_INT(vi.origin, SEAL_TRUST_STORED);
    CHECK_INT(vi.source_tx, 6);
    CHECK_INT(vi.target_tx, 6);
    seal_kventry_clear(&e);
    fprintf(stderr, "v%d%s: 12 MiB streamVerifiableSet + streamVerifiableGet: %.3f s\n", version,
            sign ? " signed" : "",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

    /* the unary call proves the same entry from the state the stream saved */
    CHECK_OK(seal_client_verified_get(c, "large", 5, NULL, &e, &vi));
    CHECK(e.value_len == vlen && memcmp(e.value, val, vlen) == 0);
    seal_kventry_clear(&e);

    /* unary writes, then the stream proves an older version backwards and a
     * newer one forwards */
    CHECK_OK(seal_client_verified_set(c, "k2", 2, "second", 6, NULL, &hd, &vi));
    CHECK_INT(hd.id, 7);
    CHECK_OK(seal_client_set(c, "k3", 2, "third", 5, NULL, &hd));
    seal_read_opts ro = {.at_tx = 3};
    CHECK_OK(seal_client_stream_verified_get(c, "k2", 2, &ro, &e, &vi));
    CHECK_INT(e.tx, 3);
    CHECK_MEM(e.value, "v", 1);
    CHECK_INT(vi.source_tx, 7);
    CHECK_INT(vi.target_tx, 7);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_stream_verified_get(c, "k3", 2, NULL, &e, &vi));
    CHECK_INT(e.tx, 8);
    CHECK_MEM(e.value, "third", 5);
    CHECK_INT(vi.source_tx, 7);
    CHECK_INT(vi.target_tx, 8);
    seal_kventry_clear(&e);
    check_trusted(&h, c);
    /* a reference: the reference entry is proven, the value is the target's */
    CHECK_OK(seal_client_set_reference(c, "ref", 3, "k3", 2, 0, &hd));
    CHECK_OK(seal_client_stream_verified_get(c, "ref", 3, NULL, &e, &vi));
    CHECK(e.has_ref);
    CHECK_MEM(e.value, "third", 5);
    CHECK_INT(vi.target_tx, 9);
    seal_kventry_clear(&e);
    /* a second stream set from a stored state, small chunks */
    CHECK_OK(seal_client_stream_verified_set(c, "small", 5, "x", 1, 16, &hd, &vi));
    CHECK_INT(vi.source_tx, 9);
    CHECK_INT(hd.id, 10);
    check_trusted(&h, c);

    /* the saved state carries the server's signature when it signs */
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK_INT(ts.has_signature, sign ? 1 : 0);

    /* the server's refusals come through */
    CHECK_ERR(seal_client_stream_verified_get(c, "nope", 4, NULL, &e, &vi), SEAL_ENOTFOUND);
    CHECK(e.value == NULL);
    check_trusted(&h, c);

    free(val);
    seal_client_close(c);
    kvh_stop(&h);
}

static void test_verified_streams_v1(void)
{
    run_verified(1, false);
}

static void test_verified_streams_signed(void)
{
    run_verified(1, true);
}

static void test_verified_streams_v0(void)
{
    run_verified(0, false);
}

/* ------------------------------------------------------------ equivalence */
static void same_kv(const seal_kventry *a, size_t na, const seal_kventry *b, size_t nb)
{
    CHECK_INT(na, nb);
    for (size_t i = 0; i < na && i < nb; i++) {
        CHECK(a[i].key_len == b[i].key_len && memcmp(a[i].key, b[i].key, a[i].key_len) == 0);
        CHECK(a[i].value_len == b[i].value_len &&
              (a[i].value_len == 0 || memcmp(a[i].value, b[i].value, a[i].value_len) == 0));
    }
}

static void scan_both(seal_client *c, const seal_scan_req *q, size_t expect)
{
    seal_kventry *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(seal_client_scan(c, q, &a, &na));
    CHECK_OK(seal_client_stream_scan(c, q, &b, &nb));
    CHECK_INT(na, expect);
    same_kv(a, na, b, nb);
    seal_kventries_free(a, na);
    seal_kventries_free(b, nb);
}

static void history_both(seal_client *c, const char *key, uint64_t off, int32_t lim, int desc,
                         size_t expect)
{
    seal_kventry *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(seal_client_history(c, key, strlen(key), off, lim, desc, 0, &a, &na));
    CHECK_OK(seal_client_stream_history(c, key, strlen(key), off, lim, desc, 0, &b, &nb));
    CHECK_INT(na, expect);
    same_kv(a, na, b, nb);
    seal_kventries_free(a, na);
    seal_kventries_free(b, nb);
}

static void zscan_both(seal_client *c, const seal_zscan_req *q, size_t expect)
{
    seal_zentry *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(seal_client_zscan(c, q, &a, &na));
    CHECK_OK(seal_client_stream_zscan(c, q, &b, &nb));
    CHECK_INT(na, expect);
    CHECK_INT(nb, na);
    for (size_t i = 0; i < na && i < nb; i++) {
        CHECK(a[i].set_len == b[i].set_len && memcmp(a[i].set, b[i].set, a[i].set_len) == 0);
        CHECK(a[i].key_len == b[i].key_len && memcmp(a[i].key, b[i].key, a[i].key_len) == 0);
        CHECK(a[i].score == b[i].score);
        CHECK_INT(a[i].at_tx, b[i].at_tx);
        CHECK(a[i].has_entry && b[i].has_entry);
        CHECK(a[i].entry.value_len == b[i].entry.value_len &&
              memcmp(a[i].entry.value, b[i].entry.value, a[i].entry.value_len) == 0);
    }
    seal_zentries_free(a, na);
    seal_zentries_free(b, nb);
}

/* The txs |t1| and |t2| carry the same entries (keys, value hashes, sizes). */
static void same_tx(seal_client *c, uint64_t t1, uint64_t t2)
{
    seal_rtx a, b;
    CHECK_OK(seal_client_tx_by_id(c, t1, &a));
    CHECK_OK(seal_client_tx_by_id(c, t2, &b));
    CHECK_INT(a.n, b.n);
    CHECK_INT(a.hdr.nentries, b.hdr.nentries);
    CHECK_MEM(a.hdr.eh, b.hdr.eh, 32);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
        CHECK(a.entries[i].key_len == b.entries[i].key_len &&
              memcmp(a.entries[i].key, b.entries[i].key, a.entries[i].key_len) == 0);
        CHECK_MEM(a.entries[i].hval, b.entries[i].hval, 32);
        CHECK_INT(a.entries[i].vlen, b.entries[i].vlen);
    }
    seal_rtx_clear(&a);
    seal_rtx_clear(&b);
}

static void run_equivalence(int version)
{
    kvh h;
    kvh_start(&h, version, false);
    char sd[32];
    snprintf(sd, sizeof(sd), "ce-state-v%d", version);
    seal_client *c = cli(&h, sd);
    seal_txhdr hd;
    /* 300 keys in batches, some updated, an empty value, sorted-set members */
    for (int b = 0; b < 6; b++) {
        seal_op ops[50];
        char keys[50][16], vals[50][24];
        for (int i = 0; i < 50; i++) {
            int n = b * 50 + i;
            snprintf(keys[i], 16, "key%04d", n);
            snprintf(vals[i], 24, "value-%d", n * 7);
            if (n == 77)
                vals[i][0] = 0; /* an empty value */
            ops[i] = (seal_op){.kind = SEAL_OP_KV,
                               .key = keys[i],
                               .key_len = strlen(keys[i]),
                               .value = vals[i],
                               .value_len = strlen(vals[i])};
        }
        CHECK_OK(seal_client_exec_all(c, ops, 50, NULL, 0, 0, &hd));
    }
    for (int v = 0; v < 12; v++) {
        char val[16];
        snprintf(val, sizeof(val), "hist-%d", v);
        CHECK_OK(seal_client_set(c, "key0010", 7, val, strlen(val), NULL, &hd));
    }
    CHECK_OK(seal_client_set(c, "other", 5, "o", 1, NULL, &hd));
    for (int i = 0; i < 40; i++) {
        char k[16];
        snprintf(k, sizeof(k), "key%04d", i * 3);
        CHECK_OK(seal_client_zadd(c, "board", 5, (double)((i * 37) % 11) + 0.25, k, strlen(k),
                                  i % 5 == 0 ? (uint64_t)(i * 3 / 50 + 1) : 0, &hd));
    }

    seal_scan_req q = {.prefix = "key", .prefix_len = 3, .limit = 1000};
    scan_both(c, &q, 300);
    q.desc = 1;
    scan_both(c, &q, 300);
    q = (seal_scan_req){.seek_key = "key0100", .seek_len = 7, .limit = 25, .offset = 3};
    scan_both(c, &q, 25);
    q = (seal_scan_req){.seek_key = "key0050",
                        .seek_len = 7,
                        .end_key = "key0060",
                        .end_len = 7,
                        .inclusive_seek = 1,
                        .inclusive_end = 1};
    scan_both(c, &q, 11);
    q = (seal_scan_req){.prefix = "nothing", .prefix_len = 7};
    scan_both(c, &q, 0);

    history_both(c, "key0010", 0, 0, 0, 13);
    history_both(c, "key0010", 2, 5, 1, 5);
    history_both(c, "key0077", 0, 0, 0, 1);
    seal_kventry *he = NULL;
    size_t hn = 0;
    int r1 = seal_client_history(c, "absent", 6, 0, 0, 0, 0, &he, &hn);
    int r2 = seal_client_stream_history(c, "absent", 6, 0, 0, 0, 0, &he, &hn);
    CHECK_INT(r1, r2);

    seal_zscan_req z = {.set = "board", .set_len = 5, .limit = 1000};
    zscan_both(c, &z, 40);
    z.desc = 1;
    zscan_both(c, &z, 40);
    z = (seal_zscan_req){.set = "board",
                         .set_len = 5,
                         .has_min_score = 1,
                         .min_score = 3.0,
                         .has_max_score = 1,
                         .max_score = 7.5,
                         .limit = 1000};
    size_t inrange = 0;
    for (int i = 0; i < 40; i++) {
        double s = (double)((i * 37) % 11) + 0.25;
        inrange += s >= 3.0 && s <= 7.5;
    }
    zscan_both(c, &z, inrange);

    /* ExecAll and streamExecAll of the same operations: the same tx content */
    seal_op ops[4] = {
        {.kind = SEAL_OP_KV, .key = "ea1", .key_len = 3, .value = "one", .value_len = 3},
        {.kind = SEAL_OP_KV, .key = "ea2", .key_len = 3, .value = "", .value_len = 0},
        {.kind = SEAL_OP_ZADD,
         .set = "board",
         .set_len = 5,
         .key = "key0001",
         .key_len = 7,
         .score = 99.5},
        {.kind = SEAL_OP_ZADD,
         .set = "s2",
         .set_len = 2,
         .key = "key0002",
         .key_len = 7,
         .score = -1.0,
         .at_tx = 1,
         .bound_ref = 1},
    };
    seal_txhdr ha, hb;
    CHECK_OK(seal_client_exec_all(c, ops, 4, NULL, 0, 0, &ha));
    CHECK_OK(seal_client_stream_exec_all(c, ops, 4, 0, &hb));
    CHECK_INT(hb.id, ha.id + 1);
    CHECK_INT(hb.nentries, 4);
    same_tx(c, ha.id, hb.id);
    CHECK_OK(seal_client_stream_exec_all(c, ops, 2, 16, &hb)); /* chunks of 16 bytes */
    CHECK_INT(hb.nentries, 2);
    seal_kventry e;
    CHECK_OK(seal_client_get(c, "ea1", 3, NULL, &e));
    CHECK_INT(e.tx, hb.id);
    CHECK_MEM(e.value, "one", 3);
    seal_kventry_clear(&e);
    /* what the stream cannot carry is refused before any call */
    seal_op bad = {.kind = SEAL_OP_REF, .key = "r", .key_len = 1, .value = "ea1", .value_len = 3};
    CHECK_ERR(seal_client_stream_exec_all(c, &bad, 1, 0, &hb), SEAL_EUNSUPPORTED);
    seal_kvmd md = {.non_indexable = 1};
    bad = (seal_op){
        .kind = SEAL_OP_KV, .key = "m", .key_len = 1, .value = "v", .value_len = 1, .md = &md};
    CHECK_ERR(seal_client_stream_exec_all(c, &bad, 1, 0, &hb), SEAL_EINVAL);
    /* the server's refusal: a zAdd of a key that does not exist */
    bad = (seal_op){.kind = SEAL_OP_ZADD, .set = "s", .set_len = 1, .key = "nokey", .key_len = 5};
    int ru = seal_client_exec_all(c, &bad, 1, NULL, 0, 0, &ha);
    int rs = seal_client_stream_exec_all(c, &bad, 1, 0, &hb);
    CHECK(ru != 0);
    CHECK_INT(rs, ru);

    /* CountAll: the keys of the database, as Count without a prefix */
    uint64_t all = 0, n_before;
    CHECK_OK(seal_client_count_all(c, &all));
    CHECK_INT(all, 300 + 3); /* keys: key0000..key0299, other, ea1, ea2 */
    uint64_t cnt = 0;
    CHECK_OK(seal_client_count(c, NULL, 0, &cnt));
    CHECK_INT(all, cnt);
    n_before = all;
    CHECK_OK(seal_client_set(c, "one-more", 8, "x", 1, NULL, &hd));
    CHECK_OK(seal_client_count_all(c, &all));
    CHECK_INT(all, n_before + 1);

    /* DatabaseHealth: nothing else in progress, the last call just ended */
    seal_db_health dh;
    CHECK_OK(seal_client_database_health(c, &dh));
    CHECK_INT(dh.pending_requests, 0);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    CHECK(dh.last_request_completed_at > now_ms - 60000);
    CHECK(dh.last_request_completed_at < now_ms + 60000);

    seal_client_close(c);
    kvh_stop(&h);
}

static void test_equivalence_v1(void)
{
    run_equivalence(1);
}

static void test_equivalence_v0(void)
{
    run_equivalence(0);
}

int main(void)
{
    t_init();
    RUN(test_verified_streams_v1);
    RUN(test_verified_streams_v0);
    RUN(test_verified_streams_signed);
    RUN(test_equivalence_v1);
    RUN(test_equivalence_v0);
    return t_done();
}
