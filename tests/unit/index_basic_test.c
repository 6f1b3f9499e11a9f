/* index_basic_test.c - the key index's behaviour case by case: versions and
 * metadata, refusing to go backwards, reopening, snapshot isolation, map
 * growth (also while snapshots are open), corrupt records, callbacks that
 * stop or re-enter, live counts, reader limits and concurrent use, and the
 * marker that finds an index left unflushed by a machine restart. */
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "index_model.h"

static idx_put mkput(const char *key, uint64_t tx, uint64_t voff)
{
    idx_put p;
    memset(&p, 0, sizeof(p));
    p.key = (const uint8_t *)key;
    p.key_len = strlen(key);
    p.tx = tx;
    p.voff = voff;
    p.vlen = (uint32_t)(voff * 3);
    for (int i = 0; i < 32; i++)
        p.hval[i] = (uint8_t)(voff + (uint64_t)i);
    return p;
}

static bool g_write_map;

static idx *open_idx(const char *name, uint64_t map_size, unsigned wait_ms)
{
    idx_opts o = {
        .map_size = map_size, .no_sync = true, .resize_wait_ms = wait_ms, .write_map = g_write_map};
    idx *ix = NULL;
    CHECK_OK(idx_open(&ix, t_path(name), &o));
    return ix;
}

static int count_cb(void *arg, const uint8_t *k, size_t n, const idx_version *v)
{
    (*(int *)arg)++;
    return 0;
}

static void test_empty(void)
{
    idx *ix = open_idx("empty", 0, 0);
    if (!ix)
        return;
    CHECK_INT(idx_last_tx(ix), 0);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_INT(idx_snap_tx(s), 0);
    idx_version v;
    uint64_t n = 7;
    CHECK_ERR(idx_get(s, (const uint8_t *)"a", 1, 0, &v), SEAL_ENOTFOUND);
    CHECK_ERR(idx_get_rev(s, (const uint8_t *)"a", 1, 1, &v), SEAL_ENOTFOUND);
    CHECK_OK(idx_versions(s, (const uint8_t *)"a", 1, &n));
    CHECK_INT(n, 0);
    hist_acc h = {.n = 0};
    CHECK_ERR(idx_history(s, (const uint8_t *)"a", 1, 0, 0, false, hist_cb, &h), SEAL_ENOTFOUND);
    int calls = 0;
    idx_scan_opts o = {0};
    CHECK_OK(idx_scan(s, &o, count_cb, &calls));
    o.desc = true;
    CHECK_OK(idx_scan(s, &o, count_cb, &calls));
    CHECK_INT(calls, 0);
    n = 7;
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 0);
    /* Bad arguments. */
    CHECK_ERR(idx_get(s, (const uint8_t *)"", 0, 0, &v), SEAL_EINVAL);
    CHECK_ERR(idx_get_rev(s, (const uint8_t *)"a", 1, 0, &v), SEAL_EINVAL);
    CHECK_ERR(idx_count(s, NULL, 0, 0, 0x80, 0, &n), SEAL_EINVAL);
    idx_snap_end(s);
    idx_close(ix);
}

static void test_versions_and_metadata(void)
{
    idx *ix = open_idx("vers", 0, 0);
    if (!ix)
        return;
    idx_put p[6];
    p[0] = mkput("k", 1, 100);
    p[1] = mkput("other", 1, 101);
    p[2] = mkput("k", 3, 102);
    p[2].md.has_expires = true;
    p[2].md.expires_at = 1700000000;
    p[3] = mkput("ni", 3, 103);
    p[3].md.non_indexable = true;
    p[4] = mkput("k", 7, 104);
    p[4].md.deleted = true;
    p[5] = mkput("k", 7, 105); /* the same key twice in one tx: two versions */
    CHECK_OK(idx_apply(ix, p, 6, 9));
    CHECK_INT(idx_last_tx(ix), 9);
    CHECK_OK(idx_apply(ix, NULL, 0, 11)); /* txs with nothing to index */
    CHECK_INT(idx_last_tx(ix), 11);

    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_INT(idx_snap_tx(s), 11);
    const uint8_t *k = (const uint8_t *)"k";
    idx_version v;
    uint64_t n;
    CHECK_OK(idx_versions(s, k, 1, &n));
    CHECK_INT(n, 4);
    CHECK_OK(idx_get(s, k, 1, 0, &v));
    CHECK_INT(v.tx, 7);
    CHECK_INT(v.voff, 105);
    CHECK_INT(v.vlen, 315);
    CHECK_INT(v.rev, 4);
    CHECK(!v.md.deleted && !v.md.has_expires);
    CHECK_INT(v.hval[31], 105 + 31);
    static const struct {
        uint64_t at, voff, rev;
    } at[] = {{1, 100, 1}, {2, 100, 1}, {3, 102, 2}, {6, 102, 2}, {7, 105, 4}, {100, 105, 4}};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(at); i++) {
        CHECK_OK(idx_get(s, k, 1, at[i].at, &v));
        CHECK_INT(v.voff, at[i].voff);
        CHECK_INT(v.rev, at[i].rev);
    }
    CHECK_OK(idx_get_rev(s, k, 1, 2, &v));
    CHECK(v.md.has_expires && v.md.expires_at == 1700000000 && !v.md.deleted);
    CHECK_OK(idx_get_rev(s, k, 1, 3, &v));
    CHECK(v.md.deleted && !v.md.has_expires);
    CHECK_INT(v.voff, 104);
    CHECK_INT(v.tx, 7);
    /* Non-indexable entries are not indexed at all. */
    CHECK_ERR(idx_get(s, (const uint8_t *)"ni", 2, 0, &v), SEAL_ENOTFOUND);
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 2);
    /* History, both ways. */
    hist_acc h = {.n = 0};
    CHECK_OK(idx_history(s, k, 1, 1, 2, true, hist_cb, &h));
    CHECK_INT(h.n, 2);
    CHECK_INT(h.v[0].rev, 3);
    CHECK_INT(h.v[1].rev, 2);
    h.n = 0;
    CHECK_OK(idx_history(s, k, 1, 4, 0, false, hist_cb, &h));
    CHECK_INT(h.n, 0);
    idx_snap_end(s);
    idx_close(ix);
}

static void test_refuse_backwards(void)
{
    idx *ix = open_idx("refuse", 0, 0);
    if (!ix)
        return;
    idx_put p = mkput("a", 5, 1);
    CHECK_OK(idx_apply(ix, &p, 1, 5));
    idx_put q[2] = {mkput("b", 6, 2), mkput("c", 7, 3)};
    CHECK_ERR(idx_apply(ix, q, 2, 5), SEAL_EINVAL); /* last_tx not ahead */
    CHECK_ERR(idx_apply(ix, NULL, 0, 4), SEAL_EINVAL);
    p = mkput("b", 5, 2);
    CHECK_ERR(idx_apply(ix, &p, 1, 6), SEAL_EINVAL); /* entry tx already applied */
    q[0].tx = 8;
    CHECK_ERR(idx_apply(ix, q, 2, 9), SEAL_EINVAL); /* out of order */
    q[0].tx = 6;
    CHECK_ERR(idx_apply(ix, q, 2, 6), SEAL_EINVAL); /* entry beyond last_tx */
    idx_put e = mkput("", 6, 4);
    CHECK_ERR(idx_apply(ix, &e, 1, 6), SEAL_EINVAL); /* empty key */
    uint8_t *big = calloc(1, IDX_MAX_KEY + 1);
    idx_put bigp = mkput("x", 6, 5);
    bigp.key = big;
    bigp.key_len = IDX_MAX_KEY + 1;
    CHECK_ERR(idx_apply(ix, &bigp, 1, 6), SEAL_EINVAL);
    /* Nothing of the refused batches landed. */
    CHECK_INT(idx_last_tx(ix), 5);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    idx_version v;
    CHECK_INT(idx_snap_tx(s), 5);
    CHECK_ERR(idx_get(s, (const uint8_t *)"b", 1, 0, &v), SEAL_ENOTFOUND);
    CHECK_ERR(idx_get(s, (const uint8_t *)"c", 1, 0, &v), SEAL_ENOTFOUND);
    idx_snap_end(s);
    /* The biggest key is fine. */
    memset(big, 'z', IDX_MAX_KEY);
    bigp.key_len = IDX_MAX_KEY;
    CHECK_OK(idx_apply(ix, q, 2, 7));
    bigp.tx = 8;
    CHECK_OK(idx_apply(ix, &bigp, 1, 8));
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_OK(idx_get(s, big, IDX_MAX_KEY, 0, &v));
    CHECK_INT(v.tx, 8);
    big[IDX_MAX_KEY - 1] = 'y';
    CHECK_ERR(idx_get(s, big, IDX_MAX_KEY, 0, &v), SEAL_ENOTFOUND);
    idx_snap_end(s);
    free(big);
    idx_close(ix);
}

static void test_reopen(void)
{
    idx *ix = open_idx("reopen", 0, 0);
    if (!ix)
        return;
    idx_put p[3] = {mkput("a", 1, 1), mkput("b", 2, 2), mkput("a", 2, 3)};
    CHECK_OK(idx_apply(ix, p, 3, 2));
    idx_close(ix);
    /* A smaller map than the data file is fine: LMDB keeps the larger. */
    ix = open_idx("reopen", 1 << 16, 0);
    if (!ix)
        return;
    CHECK_INT(idx_last_tx(ix), 2);
    CHECK_ERR(idx_apply(ix, p, 1, 2), SEAL_EINVAL);
    idx_put q[2] = {mkput("c", 3, 4), mkput("a", 4, 5)};
    CHECK_OK(idx_apply(ix, q, 2, 4));
    idx_close(ix);
    ix = open_idx("reopen", 0, 0);
    if (!ix)
        return;
    CHECK_INT(idx_last_tx(ix), 4);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    idx_version v;
    uint64_t n;
    CHECK_OK(idx_versions(s, (const uint8_t *)"a", 1, &n));
    CHECK_INT(n, 3);
    CHECK_OK(idx_get_rev(s, (const uint8_t *)"a", 1, 2, &v));
    CHECK_INT(v.voff, 3);
    CHECK_OK(idx_get(s, (const uint8_t *)"c", 1, 0, &v));
    CHECK_INT(v.voff, 4);
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 3);
    idx_snap_end(s);
    idx_close(ix);
}

static void test_snapshot_isolation(void)
{
    idx *ix = open_idx(g_write_map ? "isowm" : "iso", 0, 0);
    if (!ix)
        return;
    idx_put p = mkput("a", 1, 1);
    CHECK_OK(idx_apply(ix, &p, 1, 1));
    idx_snap *s1 = NULL, *s2 = NULL;
    CHECK_OK(idx_snap_begin(ix, &s1));
    idx_put q[2] = {mkput("a", 2, 2), mkput("b", 2, 3)};
    CHECK_OK(idx_apply(ix, q, 2, 2)); /* the writer is not blocked by s1 */
    CHECK_OK(idx_snap_begin(ix, &s2));
    idx_version v;
    uint64_t n;
    CHECK_INT(idx_snap_tx(s1), 1);
    CHECK_INT(idx_snap_tx(s2), 2);
    CHECK_OK(idx_get(s1, (const uint8_t *)"a", 1, 0, &v));
    CHECK_INT(v.voff, 1);
    CHECK_OK(idx_get(s1, (const uint8_t *)"a", 1, 5, &v));
    CHECK_INT(v.voff, 1);
    CHECK_ERR(idx_get(s1, (const uint8_t *)"b", 1, 0, &v), SEAL_ENOTFOUND);
    CHECK_OK(idx_versions(s1, (const uint8_t *)"a", 1, &n));
    CHECK_INT(n, 1);
    CHECK_ERR(idx_get_rev(s1, (const uint8_t *)"a", 1, 2, &v), SEAL_ENOTFOUND);
    int calls = 0;
    idx_scan_opts o = {0};
    CHECK_OK(idx_scan(s1, &o, count_cb, &calls));
    CHECK_INT(calls, 1);
    CHECK_OK(idx_count(s1, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 1);
    CHECK_OK(idx_get(s2, (const uint8_t *)"a", 1, 0, &v));
    CHECK_INT(v.voff, 2);
    CHECK_OK(idx_get(s2, (const uint8_t *)"a", 1, 1, &v));
    CHECK_INT(v.voff, 1);
    calls = 0;
    CHECK_OK(idx_scan(s2, &o, count_cb, &calls));
    CHECK_INT(calls, 2);
    o.max_tx = 1; /* a snapshot read at an older tx */
    calls = 0;
    CHECK_OK(idx_scan(s2, &o, count_cb, &calls));
    CHECK_INT(calls, 1);
    idx_snap_end(s1);
    idx_snap_end(s2);
    idx_close(ix);
}

/* Fills |n| puts with distinct 32-byte keys number base.. at tx |tx|. */
static void fill_puts(idx_put *p, uint8_t *keys, size_t n, uint64_t base, uint64_t tx)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *k = keys + 32 * i;
        memset(k, 'k', 32);
        seal_put_u64(k + 24, (base + i) * 0x9E3779B97F4A7C15ULL);
        p[i] = mkput("x", tx, base + i);
        p[i].key = k;
        p[i].key_len = 32;
    }
}

static void map_growth(const char *name)
{
    /* 256 KiB to start: ~5 MB of records force several doublings. */
    idx *ix = open_idx(name, 256 << 10, 0);
    if (!ix)
        return;
    enum { B = 1000, NB = 40 };
    idx_put *p = malloc(B * sizeof(*p));
    uint8_t *keys = malloc(B * 32);
    for (uint64_t b = 0; b < NB; b++) {
        fill_puts(p, keys, B, b * B, b + 1);
        CHECK_OK(idx_apply(ix, p, B, b + 1));
    }
    CHECK_INT(idx_last_tx(ix), NB);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    uint64_t n = 0;
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, (uint64_t)B * NB);
    fill_puts(p, keys, B, 17 * B, 18);
    idx_version v;
    for (size_t i = 0; i < B; i += 97) {
        CHECK_OK(idx_get(s, p[i].key, 32, 0, &v));
        CHECK_INT(v.voff, 17 * B + i);
        CHECK_INT(v.tx, 18);
    }
    idx_snap_end(s);
    idx_close(ix);
    ix = open_idx(name, 256 << 10, 0);
    if (ix) {
        CHECK_INT(idx_last_tx(ix), NB);
        idx_close(ix);
    }
    free(p);
    free(keys);
}

static void test_map_growth(void)
{
    map_growth("grow");
}

/* The same with MDB_WRITEMAP (the file is extended with the map). */
static void test_map_growth_write_map(void)
{
    g_write_map = true;
    map_growth("growwm");
    test_snapshot_isolation();
    g_write_map = false;
}

static void test_growth_with_open_snapshot(void)
{
    idx *ix = open_idx("growbusy", 128 << 10, 150);
    if (!ix)
        return;
    enum { B = 4000 };
    idx_put *p = malloc(B * sizeof(*p));
    uint8_t *keys = malloc(B * 32);
    fill_puts(p, keys, 10, 0, 1);
    CHECK_OK(idx_apply(ix, p, 10, 1));
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    /* The map must grow, and a snapshot is open: refused after the wait. */
    fill_puts(p, keys, B, 100, 2);
    double t0 = t_now();
    CHECK_ERR(idx_apply(ix, p, B, 2), SEAL_EBUSY);
    CHECK(t_now() - t0 >= 0.14);
    CHECK_INT(idx_last_tx(ix), 1);
    uint64_t n = 0;
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n)); /* the snapshot still reads */
    CHECK_INT(n, 10);
    idx_snap_end(s);
    CHECK_OK(idx_apply(ix, p, B, 2));
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 10 + B);
    idx_snap_end(s);
    free(p);
    free(keys);
    idx_close(ix);
}

typedef struct holder {
    idx_snap *s;
    int ms;
} holder;

static void *hold_then_end(void *arg)
{
    holder *h = arg;
    usleep((useconds_t)h->ms * 1000);
    idx_snap_end(h->s); /* ended on another thread than the one that began it */
    return NULL;
}

static void test_growth_waits_for_snapshot(void)
{
    idx *ix = open_idx("growwait", 128 << 10, 5000);
    if (!ix)
        return;
    enum { B = 4000 };
    idx_put *p = malloc(B * sizeof(*p));
    uint8_t *keys = malloc(B * 32);
    holder h = {NULL, 100};
    CHECK_OK(idx_snap_begin(ix, &h.s));
    pthread_t th;
    pthread_create(&th, NULL, hold_then_end, &h);
    fill_puts(p, keys, B, 0, 1);
    double t0 = t_now();
    CHECK_OK(idx_apply(ix, p, B, 1));
    CHECK(t_now() - t0 >= 0.09);
    pthread_join(th, NULL);
    idx_snap *s = NULL;
    uint64_t n = 0;
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, B);
    idx_snap_end(s);
    free(p);
    free(keys);
    idx_close(ix);
}

/* Raw LMDB access to damage an index on purpose. */
static void raw_edit(const char *dir, const char *db, const void *k, size_t kn, const void *d,
                     size_t dn)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    CHECK_INT(mdb_env_open(env, dir, 0, 0640), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val key = {kn, (void *)(uintptr_t)k}, val = {dn, (void *)(uintptr_t)d};
    if (d)
        CHECK_INT(mdb_put(txn, dbi, &key, &val, 0), 0);
    else
        CHECK_INT(mdb_del(txn, dbi, &key, NULL), 0);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

static void test_corruption(void)
{
    char dir[512], logp[512];
    snprintf(dir, sizeof(dir), "%s", t_path("corrupt"));
    snprintf(logp, sizeof(logp), "%s", t_path("corrupt.log"));
    idx *ix = open_idx("corrupt", 0, 0);
    if (!ix)
        return;
    idx_put p[3] = {mkput("aa", 1, 1), mkput("bb", 1, 2), mkput("bb", 2, 3)};
    CHECK_OK(idx_apply(ix, p, 3, 2));
    idx_close(ix);
    raw_edit(dir, "keys", "aa", 2, "\x00garbage", 8);
    uint8_t vk[16];
    seal_put_u64(vk, 2); /* "bb" was the second key */
    seal_put_u64(vk + 8, 1);
    raw_edit(dir, "versions", vk, 16, NULL, 0);

    int fd = open(logp, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    seal_log_set_fd(fd);
    ix = open_idx("corrupt", 0, 0);
    if (!ix)
        return;
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    idx_version v;
    CHECK_ERR(idx_get(s, (const uint8_t *)"aa", 2, 0, &v), SEAL_ECORRUPT);
    int calls = 0;
    idx_scan_opts o = {0};
    CHECK_ERR(idx_scan(s, &o, count_cb, &calls), SEAL_ECORRUPT);
    uint64_t n;
    CHECK_ERR(idx_count(s, NULL, 0, 0, 0, 0, &n), SEAL_ECORRUPT);
    CHECK_OK(idx_get(s, (const uint8_t *)"bb", 2, 0, &v)); /* latest is intact */
    CHECK_ERR(idx_get(s, (const uint8_t *)"bb", 2, 1, &v), SEAL_ECORRUPT);
    CHECK_ERR(idx_get_rev(s, (const uint8_t *)"bb", 2, 1, &v), SEAL_ECORRUPT);
    hist_acc h = {.n = 0};
    CHECK_ERR(idx_history(s, (const uint8_t *)"bb", 2, 0, 0, false, hist_cb, &h), SEAL_ECORRUPT);
    idx_snap_end(s);
    idx_put q = mkput("aa", 3, 9);
    CHECK_ERR(idx_apply(ix, &q, 1, 3), SEAL_ECORRUPT);
    CHECK_INT(idx_last_tx(ix), 2);
    idx_close(ix);
    seal_log_set_fd(2);
    close(fd);
    CHECK(file_contains(logp, "\"keys\" at key 6161"));
    CHECK(file_contains(logp, "\"versions\" at key 00000000000000020000000000000001"));

    /* Another format version is refused. */
    raw_edit(dir, "meta", "format", 6, "\x00\x00\x00\x02\x00\x00\x01\x90", 8);
    idx_opts oo = {.no_sync = true};
    ix = NULL;
    CHECK_ERR(idx_open(&ix, dir, &oo), SEAL_EUNSUPPORTED);
    CHECK(ix == NULL);
}

typedef struct reent {
    idx_snap *s;
    int outer, inner, gets;
} reent;

static int inner_cb(void *arg, const uint8_t *k, size_t n, const idx_version *v)
{
    ((reent *)arg)->inner++;
    return 0;
}

static int outer_cb(void *arg, const uint8_t *k, size_t n, const idx_version *v)
{
    reent *r = arg;
    r->outer++;
    idx_version w;
    if (idx_get(r->s, k, n, 0, &w) == 0 && w.tx == v->tx)
        r->gets++;
    hist_acc h = {.n = 0};
    idx_history(r->s, k, n, 0, 0, true, hist_cb, &h);
    idx_scan_opts o = {0};
    if (idx_scan(r->s, &o, inner_cb, r) != 0)
        return SEAL_EIO;
    return r->outer == 3 ? -99 : 0;
}

static int skip_odd_cb(void *arg, const uint8_t *k, size_t n, const idx_version *v)
{
    int *calls = arg;
    (*calls)++;
    return (v->voff & 1) ? 1 : 0;
}

static void test_callbacks(void)
{
    idx *ix = open_idx("cb", 0, 0);
    if (!ix)
        return;
    idx_put p[5] = {mkput("a", 1, 1), mkput("b", 1, 2), mkput("c", 1, 3), mkput("d", 1, 4),
                    mkput("e", 1, 6)};
    CHECK_OK(idx_apply(ix, p, 5, 1));
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    /* Re-entering the snapshot from a scan callback; a negative return stops. */
    reent r = {s, 0, 0, 0};
    idx_scan_opts o = {0};
    CHECK_ERR(idx_scan(s, &o, outer_cb, &r), -99);
    CHECK_INT(r.outer, 3);
    CHECK_INT(r.inner, 15);
    CHECK_INT(r.gets, 3);
    /* Skipped keys (return 1) do not count toward the limit. */
    int calls = 0;
    o.limit = 2;
    CHECK_OK(idx_scan(s, &o, skip_odd_cb, &calls));
    CHECK_INT(calls, 4); /* a(skip) b c(skip) d */
    idx_snap_end(s);
    idx_close(ix);
}

static void test_split_big_batch(void)
{
    idx *ix = open_idx("split", 0, 0);
    if (!ix)
        return;
    /* 10 entries in txs 1,1,1,2,2,2,3,3,4,4 (keys repeat across txs). */
    static const char *names[] = {"a", "b", "c", "a", "d", "e", "b", "f", "a", "g"};
    static const uint64_t txs[] = {1, 1, 1, 2, 2, 2, 3, 3, 4, 4};
    idx_put p[10];
    for (int i = 0; i < 10; i++)
        p[i] = mkput(names[i], txs[i], (uint64_t)i + 1);
    idx_test_set_txn_limit(ix, 3);
    CHECK_OK(idx_apply(ix, p, 10, 5));
    CHECK_INT(idx_last_tx(ix), 5);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    idx_version v;
    uint64_t n;
    CHECK_OK(idx_versions(s, (const uint8_t *)"a", 1, &n));
    CHECK_INT(n, 3);
    static const uint64_t a_voff[] = {1, 4, 9};
    for (uint64_t rev = 1; rev <= 3; rev++) {
        CHECK_OK(idx_get_rev(s, (const uint8_t *)"a", 1, rev, &v));
        CHECK_INT(v.voff, a_voff[rev - 1]);
    }
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 7);
    CHECK_OK(idx_count(s, NULL, 0, 2, 0, 0, &n));
    CHECK_INT(n, 5);
    idx_snap_end(s);
    /* One tx bigger than the limit: its predecessors land, it does not. */
    idx_put q[6];
    static const uint64_t qtx[] = {6, 7, 7, 7, 7, 8};
    for (int i = 0; i < 6; i++) {
        q[i] = mkput("h", qtx[i], 100 + (uint64_t)i);
        q[i].key = (const uint8_t *)names[i];
        q[i].key_len = 1;
    }
    CHECK_ERR(idx_apply(ix, q, 6, 8), SEAL_ELIMIT);
    CHECK_INT(idx_last_tx(ix), 6);
    CHECK_OK(idx_snap_begin(ix, &s));
    CHECK_OK(idx_get(s, (const uint8_t *)"a", 1, 0, &v));
    CHECK_INT(v.voff, 100);
    CHECK_OK(idx_get(s, (const uint8_t *)"b", 1, 0, &v));
    CHECK_INT(v.voff, 7);
    idx_snap_end(s);
    idx_test_set_txn_limit(ix, 0);
    CHECK_OK(idx_apply(ix, q + 1, 5, 8));
    CHECK_INT(idx_last_tx(ix), 8);
    idx_close(ix);
}

/* Ascending key streams take the append path; updates in between do not. */
static void test_ascending_keys(void)
{
    idx *ix = open_idx("asc", 0, 0);
    if (!ix)
        return;
    enum { B = 500, NB = 6 };
    idx_put p[B + 1];
    uint8_t keys[(B + 1) * 8];
    for (uint64_t b = 0; b < NB; b++) {
        for (uint64_t i = 0; i < B; i++) {
            seal_put_u64(keys + 8 * i, b * B + i + 1000);
            p[i] = mkput("x", b + 1, b * B + i);
            p[i].key = keys + 8 * i;
            p[i].key_len = 8;
        }
        /* Plus an update of an earlier key (not beyond the last one). */
        seal_put_u64(keys + 8 * B, 1000 + b);
        p[B] = mkput("x", b + 1, 99999 + b);
        p[B].key = keys + 8 * B;
        p[B].key_len = 8;
        CHECK_OK(idx_apply(ix, p, b == 0 ? B : B + 1, b + 1));
    }
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    uint64_t n;
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, B * NB);
    uint8_t k[8];
    idx_version v;
    for (uint64_t i = 0; i < B * NB; i = i < NB ? i + 1 : i + 37) {
        seal_put_u64(k, i + 1000);
        CHECK_OK(idx_get(s, k, 8, 0, &v));
        CHECK_INT(v.voff, (i >= 1 && i < NB) ? 99999 + i : i);
        CHECK_OK(idx_versions(s, k, 8, &n));
        CHECK_INT(n, (i >= 1 && i < NB) ? 2 : 1);
    }
    int calls = 0;
    idx_scan_opts o = {.desc = true, .limit = 3};
    CHECK_OK(idx_scan(s, &o, count_cb, &calls));
    CHECK_INT(calls, 3);
    idx_snap_end(s);
    idx_close(ix);
}

static void test_count_live(void)
{
    idx *ix = open_idx("live", 0, 0);
    if (!ix)
        return;
    idx_put p[5] = {mkput("pa", 1, 1), mkput("pb", 1, 2), mkput("pc", 1, 3), mkput("pd", 1, 4),
                    mkput("q", 1, 5)};
    p[1].md.deleted = true;
    p[2].md.has_expires = true;
    p[2].md.expires_at = 1000;
    p[3].md.has_expires = true;
    p[3].md.expires_at = 2000;
    CHECK_OK(idx_apply(ix, p, 5, 1));
    idx_put q = mkput("pb", 2, 6); /* undeleted at tx 2 */
    CHECK_OK(idx_apply(ix, &q, 1, 2));
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    uint64_t n;
    const uint8_t *pre = (const uint8_t *)"p";
    CHECK_OK(idx_count(s, pre, 1, 0, 0, 0, &n));
    CHECK_INT(n, 4);
    CHECK_OK(idx_count(s, pre, 1, 0, IDX_COUNT_LIVE, 999, &n));
    CHECK_INT(n, 4);
    CHECK_OK(idx_count(s, pre, 1, 0, IDX_COUNT_LIVE, 1000, &n)); /* expires_at <= now */
    CHECK_INT(n, 3);
    CHECK_OK(idx_count(s, pre, 1, 0, IDX_COUNT_LIVE, 2000, &n));
    CHECK_INT(n, 2);
    CHECK_OK(idx_count(s, pre, 1, 1, IDX_COUNT_LIVE, 999, &n)); /* pb deleted at tx 1 */
    CHECK_INT(n, 3);
    CHECK_OK(idx_count(s, NULL, 0, 0, 0, 0, &n));
    CHECK_INT(n, 5);
    idx_snap_end(s);
    idx_close(ix);
}

static void test_reader_limit(void)
{
    idx_opts o = {.no_sync = true, .max_readers = 4};
    idx *ix = NULL;
    CHECK_OK(idx_open(&ix, t_path("readers"), &o));
    if (!ix)
        return;
    idx_snap *s[5] = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 4; i++)
            CHECK_OK(idx_snap_begin(ix, &s[i]));
        CHECK_ERR(idx_snap_begin(ix, &s[4]), SEAL_EBUSY);
        for (int i = 0; i < 4; i++)
            idx_snap_end(s[i]);
    }
    idx_close(ix);
    /* The default allows far more than LMDB's 126. */
    ix = open_idx("readers2", 0, 0);
    if (!ix)
        return;
    idx_snap *many[300];
    int ok = 0;
    for (int i = 0; i < 300; i++)
        ok += idx_snap_begin(ix, &many[i]) == 0;
    CHECK_INT(ok, 300);
    for (int i = 0; i < ok; i++)
        idx_snap_end(many[i]);
    idx_close(ix);
}

/* One writer, two readers checking that every snapshot is self-consistent. */
enum { TH_TX = 300 };
typedef struct thctx {
    idx *ix;
    int stop;
    int checks;
} thctx;

static void *reader(void *arg)
{
    thctx *c = arg;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        idx_snap *s = NULL;
        if (idx_snap_begin(c->ix, &s) != 0) {
            T_FAIL("snapshot begin");
            break;
        }
        uint64_t t = idx_snap_tx(s), n = 0;
        idx_version v;
        if (t > 0) {
            if (idx_versions(s, (const uint8_t *)"ctr", 3, &n) || n != t)
                T_FAIL("versions %llu at snap %llu", (unsigned long long)n, (unsigned long long)t);
            if (idx_get(s, (const uint8_t *)"ctr", 3, 0, &v) || v.tx != t)
                T_FAIL("ctr at snap %llu", (unsigned long long)t);
            if (idx_count(s, (const uint8_t *)"k", 1, 0, 0, 0, &n) || n != t)
                T_FAIL("count %llu at snap %llu", (unsigned long long)n, (unsigned long long)t);
        }
        idx_snap_end(s);
        __atomic_fetch_add(&c->checks, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_threads(void)
{
    thctx c = {open_idx("threads", 0, 0), 0, 0};
    if (!c.ix)
        return;
    pthread_t r1, r2;
    pthread_create(&r1, NULL, reader, &c);
    pthread_create(&r2, NULL, reader, &c);
    char kb[16];
    for (uint64_t tx = 1; tx <= TH_TX; tx++) {
        snprintf(kb, sizeof(kb), "k%05llu", (unsigned long long)tx);
        idx_put p[2] = {mkput("ctr", tx, tx), mkput(kb, tx, tx)};
        CHECK_OK(idx_apply(c.ix, p, 2, tx));
        /* Let the readers interleave with the writer. */
        double t0 = t_now();
        while (__atomic_load_n(&c.checks, __ATOMIC_RELAXED) < (int)(tx / 10) && t_now() - t0 < 2)
            usleep(100);
    }
    __atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
    pthread_join(r1, NULL);
    pthread_join(r2, NULL);
    CHECK(c.checks >= TH_TX / 10);
    idx_close(c.ix);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void this_boot(char id[37])
{
    id[0] = 0;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fread(id, 1, 36, f) == 36);
        id[36] = 0;
        fclose(f);
    }
}

/* The "unsynced" marker: on disk (with this boot's id) from the first txn
 * after a flush until the next flush; an open finds one from another boot
 * (or an unreadable one) and refuses the index with SEAL_ESTATE, one from
 * this boot is a process crash and the index is used. */
static void test_unsynced_marker(void)
{
    const char *dir = t_path("marker");
    char mp[700], boot[37], got[64];
    snprintf(mp, sizeof(mp), "%s/unsynced", dir);
    this_boot(boot);
    idx_opts o = {.no_sync = true, .unsynced_marker = true};
    idx *ix = NULL;
    CHECK_OK(idx_open(&ix, dir, &o));
    if (!ix)
        return;
    CHECK(access(mp, F_OK) != 0);
    CHECK(!idx_unsynced(ix));
    idx_put p = mkput("a", 1, 1);
    CHECK_OK(idx_apply(ix, &p, 1, 1));
    CHECK(access(mp, F_OK) == 0);
    CHECK(idx_unsynced(ix));
    FILE *f = fopen(mp, "r");
    CHECK(f != NULL);
    if (f) {
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        got[n] = 0;
        fclose(f);
        CHECK_STR(got, boot);
    }
    CHECK_OK(idx_checkpoint(ix));
    CHECK(access(mp, F_OK) != 0);
    CHECK(!idx_unsynced(ix));
    p = mkput("b", 2, 2);
    CHECK_OK(idx_apply(ix, &p, 1, 2));
    CHECK(access(mp, F_OK) == 0);
    idx_close(ix);
    CHECK(access(mp, F_OK) != 0); /* close flushes */

    /* a process crash in this boot: the index is used as it is */
    write_file(mp, boot);
    ix = NULL;
    CHECK_OK(idx_open(&ix, dir, &o));
    if (ix) {
        CHECK_INT(idx_last_tx(ix), 2);
        CHECK(idx_unsynced(ix));
        idx_close(ix);
    }
    CHECK(access(mp, F_OK) != 0);
    /* also when the index is now opened with syncs: flushed and cleared at open */
    write_file(mp, boot);
    idx_opts full = {0};
    ix = NULL;
    CHECK_OK(idx_open(&ix, dir, &full));
    CHECK(access(mp, F_OK) != 0);
    if (ix)
        idx_close(ix);

    /* another boot, or an unreadable marker: refused, whatever the options */
    const char *bad[] = {"00000000-0000-4000-8000-000000000000", "", "garbage"};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(bad); i++) {
        write_file(mp, bad[i]);
        ix = NULL;
        CHECK_ERR(idx_open(&ix, dir, &o), SEAL_ESTATE);
        CHECK(ix == NULL);
        CHECK_ERR(idx_open(&ix, dir, &full), SEAL_ESTATE);
        CHECK(access(mp, F_OK) == 0); /* left for the caller to act on */
    }
}

int main(void)
{
    t_init();
    RUN(test_empty);
    RUN(test_versions_and_metadata);
    RUN(test_refuse_backwards);
    RUN(test_reopen);
    RUN(test_snapshot_isolation);
    RUN(test_map_growth);
    RUN(test_map_growth_write_map);
    RUN(test_growth_with_open_snapshot);
    RUN(test_growth_waits_for_snapshot);
    RUN(test_corruption);
    RUN(test_callbacks);
    RUN(test_split_big_batch);
    RUN(test_ascending_keys);
    RUN(test_count_live);
    RUN(test_reader_limit);
    RUN(test_threads);
    RUN(test_unsynced_marker);
    return t_done();
}
