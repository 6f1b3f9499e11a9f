/* store_basic_test.c - libseal round trips through the public API for tx
 * header versions 0 and 1: commit, read back (tx by id, get variants,
 * history, scan, count), reopen, state, and every bad input refused with
 * nothing changed (state and files byte for byte). */
#include "testlib.h"

#include "seal/seal.h"
#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static seal_store *open_store(const char *dir, int version, uint64_t seg)
{
    seal_options o;
    seal_options_default(&o);
    o.tx_header_version = version;
    if (seg)
        o.segment_size = seg;
    seal_store *s = NULL;
    int rc = seal_open(dir, &o, &s);
    if (rc)
        T_FAIL("seal_open(%s): %s: %s", dir, t_errstr(rc), seal_last_error());
    return s;
}

static uint64_t commit1(seal_store *s, const char *k, const char *v, const seal_kvmd *md)
{
    seal_tx *tx;
    seal_txhdr h;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, k, strlen(k), v, strlen(v), md));
    int rc = seal_tx_commit(s, tx, &h);
    if (rc)
        T_FAIL("commit %s: %s %s", k, t_errstr(rc), seal_last_error());
    seal_tx_free(tx);
    return rc ? 0 : h.id;
}

/* Hash of every file under dir (names and contents), to prove "nothing changed". */
static void hash_dir(const char *dir, uint8_t out[32])
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && find . -type f ! -path './index/*' ! -name seal.synced | LC_ALL=C sort | "
             "xargs cat | "
             "sha256sum",
             dir);
    FILE *p = popen(cmd, "r");
    char hex[65] = {0};
    if (!p || fscanf(p, "%64s", hex) != 1)
        T_FAIL("hash_dir %s", dir);
    if (p)
        pclose(p);
    t_unhex(out, 32, hex);
}

static void roundtrip(int version)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path(version ? "rt1" : "rt0"));
    seal_store *s = open_store(dir, version, 4096);
    if (!s)
        return;
    uint64_t tx0;
    uint8_t alh0[32];
    CHECK_OK(seal_state(s, &tx0, alh0));
    CHECK_INT(tx0, 0);
    CHECK_MEM(alh0, MT_EMPTY_HASH, 32);

    /* 50 txs, 1..8 entries each, values of varying size (some > segment) */
    char key[64];
    uint8_t *val = malloc(10000);
    for (int i = 0; i < 10000; i++)
        val[i] = (uint8_t)(i * 7 + 3);
    seal_txhdr last;
    memset(&last, 0, sizeof(last));
    for (int t = 1; t <= 50; t++) {
        seal_tx *tx;
        CHECK_OK(seal_tx_new(s, &tx));
        int n = 1 + t % 8;
        for (int e = 0; e < n; e++) {
            snprintf(key, sizeof(key), "key-%03d-%d", t, e);
            size_t vl = (size_t)((t * 37 + e * 101) % 300);
            if (t == 20 && e == 0)
                vl = 9000; /* bigger than a segment */
            CHECK_OK(seal_tx_add(tx, key, strlen(key), val + e, vl, NULL));
        }
        snprintf(key, sizeof(key), "common");
        char v2[32];
        snprintf(v2, sizeof(v2), "v%d", t);
        CHECK_OK(seal_tx_add(tx, key, strlen(key), v2, strlen(v2), NULL));
        seal_txhdr h;
        CHECK_OK(seal_tx_commit(s, tx, &h));
        CHECK_INT(h.id, t);
        CHECK_INT(h.version, version);
        CHECK_INT(h.nentries, n + 1);
        CHECK_INT(h.bl_tx_id, t - 1);
        if (t == 1)
            CHECK_MEM(h.prev_alh, MT_EMPTY_HASH, 32);
        else
            CHECK_MEM(h.prev_alh, last.alh, 32);
        uint8_t a[32];
        CHECK_OK(seal_txhdr_alh(&h, a));
        CHECK_MEM(a, h.alh, 32);
        /* committing the same tx again is refused */
        CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_ESTATE);
        seal_tx_free(tx);
        last = h;
    }
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    CHECK_INT(st, 50);
    CHECK_MEM(alh, last.alh, 32);

    /* tx by id, with values, checks every hash */
    for (int t = 1; t <= 50; t++) {
        seal_txinfo *ti = NULL;
        CHECK_OK(seal_tx_read(s, (uint64_t)t, 1, &ti));
        if (!ti)
            continue;
        int n = 1 + t % 8;
        CHECK_INT(ti->n, n + 1);
        CHECK_INT(ti->hdr.id, t);
        mt_hash dig[16];
        for (size_t e = 0; e < ti->n; e++) {
            uint8_t hv[32];
            CHECK_OK(cry_sha256(hv, ti->entries[e].value, ti->entries[e].vlen));
            CHECK_MEM(hv, ti->entries[e].hval, 32);
            CHECK_OK(seal_entry_digest(version, ti->entries[e].key, ti->entries[e].key_len, NULL,
                                       hv, dig[e]));
            if (e < (size_t)n) {
                snprintf(key, sizeof(key), "key-%03d-%d", t, (int)e);
                CHECK_INT(ti->entries[e].key_len, strlen(key));
                CHECK(memcmp(ti->entries[e].key, key, strlen(key)) == 0);
                size_t vl = (size_t)((t * 37 + (int)e * 101) % 300);
                if (t == 20 && e == 0)
                    vl = 9000;
                CHECK_INT(ti->entries[e].vlen, vl);
                CHECK(vl == 0 || memcmp(ti->entries[e].value, val + e, vl) == 0);
            }
        }
        mt_hash eh;
        CHECK_OK(mt_htree_root(eh, (const mt_hash *)dig, ti->n));
        CHECK_MEM(eh, ti->hdr.eh, 32);
        seal_txinfo_free(ti);
    }
    seal_txinfo *none = NULL;
    CHECK_ERR(seal_tx_read(s, 51, 0, &none), SEAL_ENOTFOUND);
    CHECK_ERR(seal_tx_read(s, 0, 0, &none), SEAL_ENOTFOUND);

    /* gets */
    seal_entry e;
    memset(&e, 0, sizeof(e));
    CHECK_OK(seal_get(s, "common", 6, NULL, 0, 0, &e));
    CHECK_INT(e.tx, 50);
    CHECK_INT(e.revision, 50);
    CHECK_INT(e.value_len, 3);
    CHECK(e.value && memcmp(e.value, "v50", 3) == 0);
    seal_entry_clear(&e);
    seal_get_opts go;
    memset(&go, 0, sizeof(go));
    go.revision = 7;
    CHECK_OK(seal_get(s, "common", 6, &go, 0, 0, &e));
    CHECK_INT(e.tx, 7);
    CHECK(e.value && memcmp(e.value, "v7", 2) == 0);
    seal_entry_clear(&e);
    go.revision = -1;
    CHECK_OK(seal_get(s, "common", 6, &go, 0, 0, &e));
    CHECK_INT(e.tx, 49);
    seal_entry_clear(&e);
    memset(&go, 0, sizeof(go));
    go.at_tx = 12;
    CHECK_OK(seal_get(s, "common", 6, &go, 0, 0, &e));
    CHECK_INT(e.tx, 12);
    seal_entry_clear(&e);
    go.at_tx = 0;
    go.as_of_tx = 33;
    CHECK_OK(seal_get(s, "common", 6, &go, 0, 0, &e));
    CHECK_INT(e.tx, 33);
    seal_entry_clear(&e);
    memset(&go, 0, sizeof(go));
    go.at_tx = 13;
    CHECK_ERR(seal_get(s, "key-012-0", 9, &go, 0, 0, &e), SEAL_ENOTFOUND);
    CHECK_ERR(seal_get(s, "nope", 4, NULL, 0, 0, &e), SEAL_ENOTFOUND);
    CHECK_ERR(seal_get(s, "common", 6, NULL, 51, 0, &e), SEAL_EINVAL);

    /* history */
    seal_entry *hist = NULL;
    size_t nh = 0;
    seal_snap *snap = NULL;
    CHECK_OK(seal_snap_begin(s, 0, 0, 0, &snap));
    CHECK_INT(seal_snap_tx(snap), 50);
    CHECK_OK(seal_snap_history(snap, "common", 6, 5, 3, 0, 1, &hist, &nh));
    CHECK_INT(nh, 3);
    if (nh == 3) {
        CHECK_INT(hist[0].tx, 6);
        CHECK_INT(hist[2].tx, 8);
        CHECK(memcmp(hist[1].value, "v7", 2) == 0);
    }
    seal_entries_free(hist, nh);
    uint64_t cnt = 0;
    CHECK_OK(seal_snap_count(snap, "key-", 4, &cnt));
    uint64_t expect = 0;
    for (int t = 1; t <= 50; t++)
        expect += (uint64_t)(1 + t % 8);
    CHECK_INT(cnt, expect);
    seal_snap_end(snap);
    seal_close(s);

    /* reopen: same state, same reads */
    s = open_store(dir, version, 4096);
    if (!s)
        return;
    CHECK_OK(seal_state(s, &st, alh));
    CHECK_INT(st, 50);
    CHECK_MEM(alh, last.alh, 32);
    CHECK_INT(commit1(s, "after", "reopen", NULL), 51);
    CHECK_OK(seal_get(s, "after", 5, NULL, 0, 0, &e));
    CHECK_INT(e.tx, 51);
    seal_entry_clear(&e);
    seal_verify_report rep;
    int vrc = seal_verify(s, NULL, NULL, &rep);
    if (vrc)
        T_FAIL("verify: %s: %s", t_errstr(vrc), seal_last_error());
    CHECK_INT(rep.txs_checked, 51);
    seal_close(s);
    free(val);
}

static void test_roundtrip_v1(void)
{
    roundtrip(1);
}

static void test_roundtrip_v0(void)
{
    roundtrip(0);
}

/* Bad input: an error and nothing changed. */
static void bad_inputs(int version)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path(version ? "bad1" : "bad0"));
    seal_store *s = open_store(dir, version, 0);
    if (!s)
        return;
    commit1(s, "a", "1", NULL);
    commit1(s, "b", "2", NULL);
    uint8_t before[32], after[32], alh[32], alh2[32];
    uint64_t st, st2;
    CHECK_OK(seal_state(s, &st, alh));
    hash_dir(dir, before);
    seal_tx *tx;
    seal_kvmd md = {.deleted = 1};
    char big[2000];
    memset(big, 'k', sizeof(big));

    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_ERR(seal_tx_add(tx, "", 0, "v", 1, NULL), SEAL_EINVAL);
    CHECK_ERR(seal_tx_add(tx, NULL, 3, "v", 1, NULL), SEAL_EINVAL);
    CHECK_ERR(seal_tx_add(tx, big, 1025, "v", 1, NULL), SEAL_ELIMIT);
    CHECK_OK(seal_tx_add(tx, big, 1024, "v", 1, NULL));
    CHECK_ERR(seal_tx_commit(s, NULL, NULL), SEAL_EINVAL);
    seal_tx_free(tx);

    /* empty tx */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EINVAL);
    seal_tx_free(tx);

    /* duplicate keys */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "x", 1, "1", 1, NULL));
    CHECK_OK(seal_tx_add(tx, "y", 1, "1", 1, NULL));
    CHECK_OK(seal_tx_add(tx, "x", 1, "2", 1, NULL));
    CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EDUPLICATE);
    CHECK_STR(seal_last_error(), "key of entry 0 appears again as entry 2");
    seal_tx_free(tx);
    /* a large tx: a key repeated as the last entry is found wherever the
     * first one is */
    for (int dup = 0; dup < 999; dup += 111) {
        CHECK_OK(seal_tx_new(s, &tx));
        for (int i = 0; i < 1000; i++) {
            char k[16];
            snprintf(k, sizeof(k), "dk%d", i == 999 ? dup : i);
            CHECK_OK(seal_tx_add(tx, k, strlen(k), "v", 1, NULL));
        }
        CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EDUPLICATE);
        char want[80];
        snprintf(want, sizeof(want), "key of entry %d appears again as entry 999", dup);
        CHECK_STR(seal_last_error(), want);
        seal_tx_free(tx);
    }
    /* keys of 1 to 24 bytes (the duplicate check hashes them 8 bytes at a
     * time) that differ in a single byte, anywhere, or only in length, are
     * all distinct; then one of them repeated is a duplicate */
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(seal_tx_new(s, &tx));
        int n = 0;
        for (int len = 1; len <= 24; len++) {
            uint8_t k[24];
            memset(k, 'a', sizeof(k));
            CHECK_OK(seal_tx_add(tx, k, (size_t)len, "v", 1, NULL));
            n++;
            for (int pos = 0; pos < len; pos++) {
                k[pos] = 'b';
                CHECK_OK(seal_tx_add(tx, k, (size_t)len, "v", 1, NULL));
                k[pos] = 'a';
                n++;
            }
        }
        if (rep == 1) {
            uint8_t k[24];
            memset(k, 'a', sizeof(k));
            k[19] = 'b'; /* entry 1 + 2 + ... + 20 + 20 = 230 */
            CHECK_OK(seal_tx_add(tx, k, 20, "v", 1, NULL));
            CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EDUPLICATE);
            char want[80];
            snprintf(want, sizeof(want), "key of entry 229 appears again as entry %d", n);
            CHECK_STR(seal_last_error(), want);
        } else {
            /* no duplicate reported: the commit gets as far as the
             * preconditions (and fails there, so that nothing is written) */
            CHECK_OK(seal_tx_require_exists(tx, "no-such-key", 11));
            CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EPRECONDITION);
        }
        seal_tx_free(tx);
    }

    /* too many entries */
    CHECK_OK(seal_tx_new(s, &tx));
    for (int i = 0; i < 1024; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        CHECK_OK(seal_tx_add(tx, k, strlen(k), "v", 1, NULL));
    }
    CHECK_ERR(seal_tx_add(tx, "one-more", 8, "v", 1, NULL), SEAL_ETXTOOLARGE);
    seal_tx_free(tx);

    /* precondition failures */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "c", 1, "3", 1, NULL));
    CHECK_OK(seal_tx_require_exists(tx, "zz", 2));
    CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EPRECONDITION);
    seal_tx_free(tx);
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "c", 1, "3", 1, NULL));
    CHECK_OK(seal_tx_require_absent(tx, "a", 1));
    CHECK_ERR(seal_tx_commit(s, tx, NULL), SEAL_EPRECONDITION);
    CHECK_OK(seal_tx_require_not_modified_after(tx, "b", 1, 1));
    CHECK_ERR(seal_tx_require_not_modified_after(tx, "b", 1, 0), SEAL_EINVAL);
    CHECK_ERR(seal_tx_require_exists(tx, "", 0), SEAL_EINVAL);
    seal_tx_free(tx);

    /* v0 refuses metadata; v1 refuses a too long extra */
    CHECK_OK(seal_tx_new(s, &tx));
    seal_txmd tmd;
    memset(&tmd, 0, sizeof(tmd));
    tmd.extra_len = 4;
    if (version == 0) {
        CHECK_ERR(seal_tx_add(tx, "m", 1, "v", 1, &md), SEAL_EUNSUPPORTED);
        CHECK(strstr(seal_last_error(), "version 0") != NULL);
        CHECK_ERR(seal_tx_set_metadata(tx, &tmd), SEAL_EUNSUPPORTED);
        seal_kvmd empty = {0};
        CHECK_OK(seal_tx_add(tx, "m", 1, "v", 1, &empty)); /* empty metadata is fine */
    } else {
        tmd.extra_len = 300;
        CHECK_ERR(seal_tx_set_metadata(tx, &tmd), SEAL_EINVAL);
        seal_kvmd neg = {.has_expires = 1, .expires_at = -5};
        CHECK_ERR(seal_tx_add(tx, "m", 1, "v", 1, &neg), SEAL_EINVAL);
    }
    seal_tx_free(tx);

    CHECK_OK(seal_state(s, &st2, alh2));
    CHECK_INT(st2, st);
    CHECK_MEM(alh2, alh, 32);
    hash_dir(dir, after);
    CHECK_MEM(after, before, 32);
    seal_close(s);

    /* option errors */
    seal_options o;
    seal_options_default(&o);
    o.tx_header_version = 2;
    CHECK_ERR(seal_open(t_path("badopt"), &o, &s), SEAL_EINVAL);
    seal_options_default(&o);
    o.segment_size = 100;
    CHECK_ERR(seal_open(t_path("badopt"), &o, &s), SEAL_EINVAL);
    seal_options_default(&o);
    o.create_if_missing = 0;
    CHECK_ERR(seal_open(t_path("missing"), &o, &s), SEAL_ENOTFOUND);
}

static void test_bad_inputs_v1(void)
{
    bad_inputs(1);
}

static void test_bad_inputs_v0(void)
{
    bad_inputs(0);
}

/* Header version is fixed at creation; a second handle is refused. */
static void test_version_fixed_and_lock(void)
{
    const char *dir = t_path("fixed");
    seal_store *s = open_store(dir, 0, 0);
    if (!s)
        return;
    seal_store *s2 = NULL;
    seal_options o;
    seal_options_default(&o);
    CHECK_ERR(seal_open(dir, &o, &s2), SEAL_EBUSY);
    commit1(s, "k", "v", NULL);
    seal_close(s);
    s = open_store(dir, 1, 0); /* asks for 1, keeps 0 */
    if (!s)
        return;
    seal_store_info info;
    CHECK_OK(seal_store_info_get(s, &info));
    CHECK_INT(info.tx_header_version, 0);
    seal_txhdr h;
    seal_tx *tx;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "k2", 2, "v", 1, NULL));
    CHECK_OK(seal_tx_commit(s, tx, &h));
    CHECK_INT(h.version, 0);
    seal_tx_free(tx);
    seal_close(s);
}

/* Metadata: deleted and expired versions are not found, history keeps them. */
static int64_t g_now = 1000;
static int64_t test_clock(void *arg)
{
    (void)arg;
    return g_now;
}

static void test_metadata(void)
{
    seal_options o;
    seal_options_default(&o);
    o.clock = test_clock;
    seal_store *s;
    CHECK_OK(seal_open(t_path("md"), &o, &s));
    commit1(s, "k", "v1", NULL);
    seal_kvmd del = {.deleted = 1};
    uint64_t dt = commit1(s, "k", "", &del);
    seal_entry e;
    CHECK_ERR(seal_get(s, "k", 1, NULL, 0, 0, &e), SEAL_ENOTFOUND);
    seal_get_opts go = {.at_tx = dt};
    CHECK_OK(seal_get(s, "k", 1, &go, 0, 0, &e));
    CHECK(e.md.deleted);
    seal_entry_clear(&e);
    seal_kvmd exp = {.has_expires = 1, .expires_at = 1010};
    commit1(s, "e", "soon", &exp);
    CHECK_OK(seal_get(s, "e", 1, NULL, 0, 0, &e));
    CHECK(e.md.has_expires && e.md.expires_at == 1010);
    seal_entry_clear(&e);
    g_now = 1010;
    CHECK_ERR(seal_get(s, "e", 1, NULL, 0, 0, &e), SEAL_ENOTFOUND);
    seal_kvmd ni = {.non_indexable = 1};
    uint64_t nt = commit1(s, "hidden", "x", &ni);
    CHECK_ERR(seal_get(s, "hidden", 6, NULL, nt, 0, &e), SEAL_ENOTFOUND);
    seal_txinfo *ti;
    CHECK_OK(seal_tx_read(s, nt, 1, &ti));
    CHECK(ti->entries[0].md.non_indexable);
    seal_txinfo_free(ti);
    /* tx metadata round trip */
    seal_tx *tx;
    seal_txmd tmd;
    memset(&tmd, 0, sizeof(tmd));
    tmd.truncated_upto_tx = 2;
    tmd.extra_len = 3;
    memcpy(tmd.extra, "abc", 3);
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_set_metadata(tx, &tmd));
    CHECK_OK(seal_tx_add(tx, "t", 1, "m", 1, NULL));
    seal_txhdr h;
    CHECK_OK(seal_tx_commit(s, tx, &h));
    seal_tx_free(tx);
    CHECK_OK(seal_tx_read(s, h.id, 0, &ti));
    CHECK_INT(ti->hdr.md.truncated_upto_tx, 2);
    CHECK_INT(ti->hdr.md.extra_len, 3);
    CHECK_MEM(ti->hdr.alh, h.alh, 32);
    seal_txinfo_free(ti);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
}

int main(void)
{
    t_init();
    RUN(test_roundtrip_v1);
    RUN(test_roundtrip_v0);
    RUN(test_bad_inputs_v1);
    RUN(test_bad_inputs_v0);
    RUN(test_version_fixed_and_lock);
    RUN(test_metadata);
    return t_done();
}
