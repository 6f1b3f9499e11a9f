/* client_kv_test.c - libsealclient's plain calls against the fake
 * ImmuService over a real engine store: Login/Logout/UseDatabase tokens in
 * "authorization: Bearer", sessions ("sessionid"), Health with the server
 * UUID header, ServerInfo, CurrentState; Set with metadata and
 * preconditions, Get (atTx, sinceTx, atRevision), GetAll, Delete, ExecAll,
 * Scan, Count, History, SetReference, ZAdd, ZScan, TxById, TxScan; database
 * and user administration requests and answers; error mapping. */
#include "client_fakesrv.h"

static void test_auth_and_info(void)
{
    fk_server f;
    fk_start(&f, "auth", 1, false);
    fk_fill(f.st, "k", 3, 0);
    atomic_store(&f.require_auth, 1);
    seal_client_opts o;
    fk_opts(&f, &o, "st-auth");
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));

    seal_health hl;
    CHECK_OK(seal_client_health(c, &hl));
    CHECK_INT(hl.status, 1);
    CHECK_STR(hl.server_uuid, f.uuid);
    CHECK(strlen(hl.version) > 0);

    seal_kventry e;
    CHECK_ERR(seal_client_get(c, "k1", 2, NULL, &e), SEAL_EAUTH);
    CHECK_INT(seal_client_last_status(c), GW_UNAUTHENTICATED);
    CHECK(strstr(seal_client_last_error(c), "not logged in") != NULL);
    char *warn = NULL;
    CHECK_ERR(seal_client_login(c, "immudb", "wrong", &warn), SEAL_EAUTH);
    CHECK_OK(seal_client_login(c, "immudb", "secret", &warn));
    CHECK_STR(warn, "change the password");
    seal_free(warn);
    CHECK_STR(f.last_auth, "");
    CHECK_OK(seal_client_get(c, "k1", 2, NULL, &e));
    CHECK_STR(f.last_auth, "Bearer tok-immudb-defaultdb");
    seal_kventry_clear(&e);

    CHECK_OK(seal_client_use_database(c, "other"));
    CHECK_STR(seal_client_database(c), "other");
    seal_dbstate st;
    CHECK_OK(seal_client_current_state(c, &st));
    CHECK_STR(f.last_auth, "Bearer tok-db-other");
    CHECK_STR(st.db, "other");
    CHECK_INT(st.tx_id, 3);
    CHECK(!st.has_signature);
    CHECK_ERR(seal_client_use_database(c, "bad:name"), SEAL_EINVAL);

    seal_server_info si;
    CHECK_OK(seal_client_server_info(c, &si));
    CHECK_STR(si.version, "fake-1.0");
    CHECK_INT(si.num_transactions, 42);
    CHECK_INT(si.num_databases, 2);
    CHECK_INT(si.started_at, 1700000000);

    CHECK_OK(seal_client_logout(c));
    CHECK_ERR(seal_client_get(c, "k1", 2, NULL, &e), SEAL_EAUTH);

    /* sessions */
    CHECK_ERR(seal_client_keep_alive(c), SEAL_ESTATE);
    CHECK_ERR(seal_client_open_session(c, "immudb", "nope", NULL), SEAL_EAUTH);
    CHECK_OK(seal_client_open_session(c, "immudb", "secret", "defaultdb"));
    CHECK_OK(seal_client_keep_alive(c));
    CHECK_OK(seal_client_get(c, "k2", 2, NULL, &e));
    CHECK_MEM(e.value, "v2", 2);
    seal_kventry_clear(&e);
    seal_verify_info vi;
    CHECK_OK(seal_client_verified_get(c, "k2", 2, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_close_session(c));
    CHECK_ERR(seal_client_get(c, "k2", 2, NULL, &e), SEAL_EAUTH);
    seal_client_close(c);

    /* the session's server UUID keys the state when Health is never called */
    fk_opts(&f, &o, "st-sess");
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_open_session(c, "immudb", "secret", NULL));
    CHECK_OK(seal_client_verified_get(c, "k2", 2, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK(strstr(seal_client_state_path(c), f.uuid) != NULL);
    seal_client_close(c);

    /* nobody listening */
    int port = f.port;
    fk_stop(&f);
    fk_opts(&f, &o, "st-none");
    o.port = port;
    c = NULL;
    CHECK_ERR(seal_client_connect(&o, &c), SEAL_EIO);
    CHECK(c != NULL && strstr(seal_client_last_error(c), "cannot connect") != NULL);
    seal_client_close(c);
}

static void test_kv(void)
{
    fk_server f;
    fk_start(&f, "kv", 1, false);
    seal_client_opts o;
    fk_opts(&f, &o, "st-kv");
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    seal_txhdr h;
    CHECK_OK(seal_client_set(c, "a", 1, "1", 1, NULL, &h));
    CHECK_INT(h.id, 1);
    CHECK_INT(h.nentries, 1);
    CHECK_INT(h.version, 1);
    seal_txinfo *ti = NULL;
    CHECK_OK(seal_tx_read(f.st, 1, 0, &ti));
    if (ti)
        CHECK_MEM(h.alh, ti->hdr.alh, 32);
    seal_txinfo_free(ti);
    CHECK_OK(seal_client_set(c, "a", 1, "2", 1, NULL, &h));
    CHECK_OK(seal_client_set(c, "b", 1, "bee", 3, NULL, &h));

    /* metadata */
    seal_kvmd md = {.has_expires = 1, .expires_at = 4100000000LL};
    seal_write_opts wo = {.md = &md};
    CHECK_OK(seal_client_set(c, "e", 1, "exp", 3, &wo, &h));
    seal_kventry e;
    CHECK_OK(seal_client_get(c, "e", 1, NULL, &e));
    CHECK(e.has_md && e.md.has_expires && e.md.expires_at == 4100000000LL && !e.md.deleted);
    seal_kventry_clear(&e);
    md = (seal_kvmd){.has_expires = 1, .expires_at = 1000};
    CHECK_OK(seal_client_set(c, "gone", 4, "old", 3, &wo, &h));
    CHECK_ERR(seal_client_get(c, "gone", 4, NULL, &e), SEAL_ENOTFOUND);
    md = (seal_kvmd){.deleted = 1};
    CHECK_ERR(seal_client_set(c, "x", 1, "y", 1, &wo, &h), SEAL_EINVAL);

    /* preconditions */
    seal_precond pc[2] = {{.kind = SEAL_PRE_MUST_EXIST, .key = "a", .key_len = 1},
                          {.kind = SEAL_PRE_NOT_MODIFIED_AFTER, .key = "b", .key_len = 1, .tx = 3}};
    wo = (seal_write_opts){.pre = pc, .npre = 2};
    CHECK_OK(seal_client_set(c, "c", 1, "sea", 3, &wo, &h));
    pc[1].tx = 2;
    CHECK_ERR(seal_client_set(c, "c", 1, "sea2", 4, &wo, &h), SEAL_EPRECONDITION);
    pc[0].kind = SEAL_PRE_MUST_NOT_EXIST;
    pc[1].tx = 100;
    CHECK_ERR(seal_client_set(c, "c", 1, "sea3", 4, &wo, &h), SEAL_EPRECONDITION);

    /* get variants */
    seal_read_opts ro = {.at_tx = 1};
    CHECK_OK(seal_client_get(c, "a", 1, &ro, &e));
    CHECK_MEM(e.value, "1", 1);
    CHECK_INT(e.tx, 1);
    seal_kventry_clear(&e);
    ro = (seal_read_opts){.at_revision = -1};
    CHECK_OK(seal_client_get(c, "a", 1, &ro, &e));
    CHECK_MEM(e.value, "1", 1);
    seal_kventry_clear(&e);
    ro = (seal_read_opts){.at_revision = 2};
    CHECK_OK(seal_client_get(c, "a", 1, &ro, &e));
    CHECK_MEM(e.value, "2", 1);
    CHECK_INT(e.revision, 2);
    seal_kventry_clear(&e);
    ro = (seal_read_opts){.since_tx = 3, .no_wait = 1};
    CHECK_OK(seal_client_get(c, "b", 1, &ro, &e));
    CHECK_INT(e.value_len, 3);
    CHECK_MEM(e.key, "b", 1);
    seal_kventry_clear(&e);
    CHECK_ERR(seal_client_get(c, "zz", 2, NULL, &e), SEAL_ENOTFOUND);
    CHECK_INT(seal_client_last_status(c), GW_NOT_FOUND);
    CHECK_ERR(seal_client_get(c, NULL, 0, NULL, &e), SEAL_EINVAL);

    /* get all */
    seal_bytes keys[3] = {{"a", 1}, {"missing", 7}, {"b", 1}};
    seal_kventry *es = NULL;
    size_t n = 0;
    CHECK_OK(seal_client_get_all(c, keys, 3, 0, &es, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_MEM(es[0].value, "2", 1);
        CHECK_MEM(es[1].value, "bee", 3);
    }
    seal_kventries_free(es, n);

    /* exec all: a kv, a reference, a sorted-set member */
    seal_op ops[3] = {
        {.kind = SEAL_OP_KV, .key = "d", .key_len = 1, .value = "dee", .value_len = 3},
        {.kind = SEAL_OP_REF, .key = "refb", .key_len = 4, .value = "b", .value_len = 1},
        {.kind = SEAL_OP_ZADD, .key = "a", .key_len = 1, .set = "zs", .set_len = 2, .score = 3},
    };
    CHECK_OK(seal_client_exec_all(c, ops, 3, NULL, 0, 0, &h));
    CHECK_INT(h.nentries, 3);
    uint64_t exec_tx = h.id;
    CHECK_OK(seal_client_get(c, "refb", 4, NULL, &e));
    CHECK(e.has_ref);
    CHECK_MEM(e.key, "b", 1);
    CHECK_MEM(e.value, "bee", 3);
    CHECK_MEM(e.ref.key, "refb", 4);
    CHECK_INT(e.ref.tx, exec_tx);
    seal_kventry_clear(&e);
    seal_precond bad = {.kind = SEAL_PRE_MUST_EXIST, .key = "nothere", .key_len = 7};
    CHECK_ERR(seal_client_exec_all(c, ops, 1, &bad, 1, 0, &h), SEAL_EPRECONDITION);
    seal_op badop = {.kind = 9, .key = "k", .key_len = 1};
    CHECK_ERR(seal_client_exec_all(c, &badop, 1, NULL, 0, 0, &h), SEAL_EINVAL);

    /* references and sorted sets through their own calls */
    CHECK_OK(seal_client_set_reference(c, "ra", 2, "a", 1, 1, &h));
    CHECK_OK(seal_client_get(c, "ra", 2, NULL, &e));
    CHECK(e.has_ref && e.ref.at_tx == 1);
    CHECK_MEM(e.value, "1", 1);
    seal_kventry_clear(&e);
    CHECK_ERR(seal_client_set_reference(c, "rz", 2, "nokey", 5, 0, &h), SEAL_ENOTFOUND);
    CHECK_OK(seal_client_zadd(c, "zs", 2, 1.0, "b", 1, 0, &h));
    CHECK_OK(seal_client_zadd(c, "zs", 2, 2.0, "d", 1, 0, &h));
    seal_zscan_req zr = {.set = "zs", .set_len = 2};
    seal_zentry *zs = NULL;
    CHECK_OK(seal_client_zscan(c, &zr, &zs, &n));
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK(zs[0].score == 1.0 && zs[0].key_len == 1 && zs[0].key[0] == 'b');
        CHECK(zs[1].score == 2.0 && zs[1].key[0] == 'd');
        CHECK(zs[2].score == 3.0 && zs[2].key[0] == 'a');
        CHECK(zs[2].has_entry && zs[2].entry.value_len == 1 && zs[2].entry.value[0] == '2');
        CHECK(zs[0].set_len == 2 && memcmp(zs[0].set, "zs", 2) == 0);
    }
    seal_zentries_free(zs, n);

    /* scan, count, history */
    seal_scan_req sr = {.prefix = "", .prefix_len = 0};
    CHECK_OK(seal_client_scan(c, &sr, &es, &n));
    CHECK(n >= 5);
    if (n >= 2)
        CHECK(es[0].key_len == 1 && es[0].key[0] == 'a');
    seal_kventries_free(es, n);
    sr = (seal_scan_req){.seek_key = "b", .seek_len = 1, .desc = 1, .limit = 2};
    CHECK_OK(seal_client_scan(c, &sr, &es, &n));
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK(es[0].key[0] == 'a');
    seal_kventries_free(es, n);
    uint64_t cnt = 0;
    CHECK_OK(seal_client_count(c, "r", 1, &cnt));
    CHECK_INT(cnt, 2);
    CHECK_OK(seal_client_history(c, "a", 1, 0, 0, 0, 0, &es, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_MEM(es[0].value, "1", 1);
        CHECK_MEM(es[1].value, "2", 1);
        CHECK_INT(es[1].revision, 2);
    }
    seal_kventries_free(es, n);
    CHECK_OK(seal_client_history(c, "a", 1, 0, 1, 1, 0, &es, &n));
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_MEM(es[0].value, "2", 1);
    seal_kventries_free(es, n);

    /* delete */
    seal_bytes dk[1] = {{"d", 1}};
    CHECK_OK(seal_client_delete(c, dk, 1, 0, 0, &h));
    CHECK_ERR(seal_client_get(c, "d", 1, NULL, &e), SEAL_ENOTFOUND);
    uint64_t del_tx = h.id;
    CHECK_ERR(seal_client_delete(c, dk, 1, 0, 0, &h), SEAL_ENOTFOUND);

    /* txs: keys come back without their prefix byte */
    seal_rtx t;
    CHECK_OK(seal_client_tx_by_id(c, del_tx, &t));
    CHECK_INT(t.hdr.id, del_tx);
    CHECK_INT(t.n, 1);
    if (t.n == 1) {
        CHECK(t.entries[0].key_len == 1 && t.entries[0].key[0] == 'd');
        CHECK(t.entries[0].has_md && t.entries[0].md.deleted);
        CHECK_INT(t.entries[0].vlen, 0);
    }
    seal_rtx_clear(&t);
    CHECK_OK(seal_client_tx_by_id(c, exec_tx, &t));
    CHECK_INT(t.n, 3);
    if (t.n == 3) {
        uint8_t hv[32];
        CHECK_OK(cry_sha256(hv, "\0dee", 4));
        CHECK_MEM(t.entries[0].hval, hv, 32);
        CHECK_INT(t.entries[0].vlen, 4);
    }
    seal_rtx_clear(&t);
    CHECK_ERR(seal_client_tx_by_id(c, 999, &t), SEAL_ENOTFOUND);
    seal_rtx *txs = NULL;
    CHECK_OK(seal_client_tx_scan(c, 2, 3, 0, &txs, &n));
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK(txs[0].hdr.id == 2 && txs[2].hdr.id == 4);
    seal_rtxs_free(txs, n);
    CHECK_OK(seal_client_tx_scan(c, 3, 10, 1, &txs, &n));
    CHECK_INT(n, 3);
    if (n == 3)
        CHECK(txs[0].hdr.id == 3 && txs[2].hdr.id == 1);
    seal_rtxs_free(txs, n);
    seal_client_close(c);
    fk_stop(&f);
}

static void test_streams(void)
{
    fk_server f;
    fk_start(&f, "strm", 1, false);
    seal_client_opts o;
    fk_opts(&f, &o, "st-strm");
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    /* a 3 MiB value, a small one and an empty one, in chunks of 4 KiB */
    size_t big = 3u << 20;
    uint8_t *v = seal_malloc(big);
    for (size_t i = 0; i < big; i++)
        v[i] = (uint8_t)(i * 131 + (i >> 11));
    seal_bytes keys[3] = {{"big", 3}, {"small", 5}, {"empty", 5}};
    seal_bytes vals[3] = {{v, big}, {"tiny", 4}, {"", 0}};
    seal_txhdr h;
    CHECK_OK(seal_client_stream_set(c, keys, vals, 3, 4096, &h));
    CHECK_INT(h.nentries, 3);
    seal_kventry e;
    CHECK_OK(seal_client_stream_get(c, "big", 3, NULL, &e));
    CHECK_INT(e.value_len, big);
    CHECK(e.value_len == big && memcmp(e.value, v, big) == 0);
    CHECK_INT(e.key_len, 3);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_stream_get(c, "small", 5, NULL, &e));
    CHECK(e.value_len == 4 && memcmp(e.value, "tiny", 4) == 0);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_stream_get(c, "empty", 5, NULL, &e));
    CHECK_INT(e.value_len, 0);
    seal_kventry_clear(&e);
    /* the value stored is the one sent, as the verified read proves */
    seal_verify_info vi;
    CHECK_OK(seal_client_verified_get(c, "big", 3, NULL, &e, &vi));
    CHECK(e.value_len == big && memcmp(e.value, v, big) == 0);
    seal_kventry_clear(&e);
    CHECK_ERR(seal_client_stream_get(c, "nokey", 5, NULL, &e), SEAL_ENOTFOUND);
    /* default chunk size */
    CHECK_OK(seal_client_stream_set(c, keys, vals, 1, 0, &h));
    seal_read_opts ro = {.at_tx = 1};
    CHECK_OK(seal_client_stream_get(c, "big", 3, &ro, &e));
    CHECK_INT(e.value_len, big);
    seal_kventry_clear(&e);
    CHECK_ERR(seal_client_stream_set(c, keys, vals, 0, 0, &h), SEAL_EINVAL);
    seal_free(v);
    seal_client_close(c);
    fk_stop(&f);
}

/* A server without the immudb-uuid header: plain calls work, a trusted
 * state cannot be keyed and is refused with a clear reason. */
static void test_no_uuid(void)
{
    fk_server f;
    fk_next_no_uuid = true;
    fk_start(&f, "nouuid", 1, false);
    fk_next_no_uuid = false;
    fk_fill(f.st, "k", 2, 0);
    seal_client_opts o;
    fk_opts(&f, &o, "st-nouuid");
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    seal_health hl;
    CHECK_OK(seal_client_health(c, &hl));
    CHECK_STR(hl.server_uuid, "");
    seal_kventry e;
    CHECK_OK(seal_client_get(c, "k1", 2, NULL, &e));
    seal_kventry_clear(&e);
    seal_verify_info vi;
    CHECK_ERR(seal_client_verified_get(c, "k1", 2, NULL, &e, &vi), SEAL_EPROTOCOL);
    CHECK(strstr(seal_client_last_error(c), "immudb-uuid") != NULL);
    seal_consistency cs;
    CHECK_ERR(seal_client_audit_step(c, &cs), SEAL_EPROTOCOL);
    CHECK_INT(access(o.state_dir, F_OK), -1);
    seal_client_close(c);
    fk_stop(&f);
}

static void test_admin(void)
{
    fk_server f;
    fk_start(&f, "adm", 1, false);
    seal_client_opts o;
    fk_opts(&f, &o, "st-adm");
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));

    seal_db_settings s = {.set = SEAL_DBS_WRITE_TX_HEADER_VERSION | SEAL_DBS_MAX_KEY_LEN |
                                 SEAL_DBS_AUTOLOAD | SEAL_DBS_SYNC_FREQUENCY_MS,
                          .write_tx_header_version = 0,
                          .max_key_len = 512,
                          .autoload = 1,
                          .sync_frequency_ms = 20};
    seal_db_settings got;
    int existed = -1;
    CHECK_OK(seal_client_create_database(c, "newdb", &s, 0, &existed, &got));
    CHECK_STR(f.last_req, "create newdb ifnot=0 hv=1:0 keylen=1:512 entries=0:0 autoload=1:1 "
                          "sync=1:20");
    CHECK_INT(existed, 0);
    CHECK_INT(got.set, s.set);
    CHECK_INT(got.write_tx_header_version, 0);
    CHECK_INT(got.max_key_len, 512);
    CHECK_INT(got.sync_frequency_ms, 20);
    CHECK_ERR(seal_client_create_database(c, "defaultdb", NULL, 0, NULL, NULL), SEAL_EEXISTS);
    CHECK_OK(seal_client_create_database(c, "defaultdb", NULL, 1, &existed, NULL));
    CHECK_INT(existed, 1);
    CHECK_ERR(seal_client_create_database(c, "", NULL, 0, NULL, NULL), SEAL_EINVAL);

    seal_db_info *dbs = NULL;
    size_t n = 0;
    CHECK_OK(seal_client_database_list(c, &dbs, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(dbs[0].name, "defaultdb");
        CHECK_INT(dbs[0].loaded, 1);
        CHECK_INT(dbs[0].disk_size, 1234);
        CHECK_INT(dbs[0].num_transactions, 7);
        CHECK_INT(dbs[0].created_at, 1700000001);
        CHECK_STR(dbs[0].created_by, "immudb");
        CHECK_INT(dbs[0].settings.set, 0);
        CHECK_STR(dbs[1].name, "olddb");
        CHECK_INT(dbs[1].settings.set, SEAL_DBS_WRITE_TX_HEADER_VERSION);
    }
    seal_db_infos_free(dbs, n);

    CHECK_OK(seal_client_load_database(c, "newdb"));
    CHECK_STR(f.last_req, "LoadDatabase newdb");
    CHECK_OK(seal_client_unload_database(c, "newdb"));
    CHECK_STR(f.last_req, "UnloadDatabase newdb");
    CHECK_OK(seal_client_delete_database(c, "newdb"));
    CHECK_STR(f.last_req, "DeleteDatabase newdb");
    CHECK_ERR(seal_client_load_database(c, "missing"), SEAL_ENOTFOUND);

    s = (seal_db_settings){.set = SEAL_DBS_MAX_TX_ENTRIES, .max_tx_entries = 99};
    CHECK_OK(seal_client_update_database(c, "olddb", &s, &got));
    CHECK_STR(f.last_req, "update olddb hv=0:0 keylen=0:0 entries=1:99 autoload=0:0 sync=0:0");
    CHECK_INT(got.max_tx_entries, 99);
    char *name = NULL;
    CHECK_OK(seal_client_database_settings(c, &name, &got));
    CHECK_STR(name, "defaultdb");
    seal_free(name);
    CHECK_INT(got.set, SEAL_DBS_WRITE_TX_HEADER_VERSION | SEAL_DBS_MAX_KEY_LEN);
    CHECK_INT(got.write_tx_header_version, 1);

    CHECK_OK(seal_client_create_user(c, "bob", "Pa55word!", 2, "defaultdb"));
    CHECK_STR(f.last_req, "createuser bob Pa55word! 2 defaultdb");
    CHECK_OK(seal_client_change_password(c, "bob", "Pa55word!", "N3wpass!!"));
    CHECK_STR(f.last_req, "chpw bob Pa55word! N3wpass!!");
    CHECK_OK(seal_client_change_permission(c, 1, "bob", "olddb", 1));
    CHECK_STR(f.last_req, "chperm 0 bob olddb 1");
    CHECK_OK(seal_client_change_permission(c, 0, "bob", "olddb", 1));
    CHECK_STR(f.last_req, "chperm 1 bob olddb 1");
    CHECK_OK(seal_client_set_active_user(c, "bob", 0));
    CHECK_STR(f.last_req, "active bob 0");
    seal_user *us = NULL;
    CHECK_OK(seal_client_list_users(c, &us, &n));
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(us[0].user, "alice");
        CHECK_INT(us[0].nperms, 2);
        CHECK_STR(us[0].perms[1].database, "olddb");
        CHECK_INT(us[0].perms[1].permission, 1);
        CHECK_STR(us[0].created_by, "immudb");
        CHECK_INT(us[0].active, 1);
    }
    seal_users_free(us, n);
    seal_client_close(c);
    fk_stop(&f);
}

int main(void)
{
    t_init();
    RUN(test_auth_and_info);
    RUN(test_kv);
    RUN(test_streams);
    RUN(test_no_uuid);
    RUN(test_admin);
    return t_done();
}
