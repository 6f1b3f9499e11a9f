/* store_model_test.c - property test: random sequences of operations (sets,
 * deletes through metadata, expirations, preconditions, clock moves,
 * reopens) on a store, checked against a simple in-memory model: latest
 * values, values as of every tx, revisions, histories, counts and scans at
 * every tx. Header version 1 (everything) and 0 (no metadata). */
#include "testlib.h"

#include "seal/seal.h"

#include <stdio.h>
#include <stdlib.h>

#define NKEYS  16
#define MAXV   64
#define MAXVER 512

struct ver {
    uint64_t tx;
    int deleted;
    int has_exp;
    int64_t exp;
    uint8_t val[MAXV];
    size_t vlen;
};

struct mkey {
    struct ver v[MAXVER];
    int n;
};

static struct mkey g_m[NKEYS];
static int64_t g_now;
static uint64_t g_tx;
static unsigned g_rng;

static unsigned rnd(unsigned n)
{
    g_rng = g_rng * 1103515245u + 12345u;
    return (g_rng >> 8) % n;
}

static int64_t clk(void *arg)
{
    (void)arg;
    return g_now;
}

static void key_name(int k, char out[8])
{
    snprintf(out, 8, "k%02d", k);
}

static bool live(const struct ver *v)
{
    return !v->deleted && !(v->has_exp && v->exp <= g_now);
}

/* Latest model version of key k with tx <= at (0 = any). */
static const struct ver *latest(int k, uint64_t at)
{
    for (int i = g_m[k].n - 1; i >= 0; i--)
        if (!at || g_m[k].v[i].tx <= at)
            return &g_m[k].v[i];
    return NULL;
}

static seal_store *reopen(seal_store *s, const char *dir, int version)
{
    if (s)
        CHECK_OK(seal_close(s));
    seal_options o;
    seal_options_default(&o);
    o.tx_header_version = version;
    o.segment_size = 4096;
    o.clock = clk;
    seal_store *n = NULL;
    int rc = seal_open(dir, &o, &n);
    if (rc)
        T_FAIL("open: %s", seal_last_error());
    return n;
}

struct scan_acc {
    int keys[NKEYS];
    int n;
    bool bad;
};

static int scan_cb(void *arg, const seal_entry *e)
{
    struct scan_acc *a = arg;
    int k = e->key_len == 3 ? (e->key[1] - '0') * 10 + (e->key[2] - '0') : -1;
    if (k < 0 || k >= NKEYS) {
        a->bad = true;
        return 1;
    }
    if (a->n >= NKEYS) {
        a->bad = true;
        return 1;
    }
    a->keys[a->n++] = k;
    const struct ver *v = NULL;
    for (int i = g_m[k].n - 1; i >= 0; i--)
        if (g_m[k].v[i].tx == e->tx)
            v = &g_m[k].v[i];
    if (!v || v->vlen != e->value_len || (v->vlen && memcmp(v->val, e->value, v->vlen) != 0))
        a->bad = true;
    return 0;
}

/* Full check of every key at tx |at| (0 = latest). */
static void check_at(seal_store *s, uint64_t at, const char *ctx)
{
    seal_snap *snap;
    if (seal_snap_begin(s, 0, 0, 0, &snap) != 0) {
        T_FAIL("%s: snapshot: %s", ctx, seal_last_error());
        return;
    }
    int expect_keys[NKEYS], ne = 0;
    for (int k = 0; k < NKEYS; k++) {
        char kn[8];
        key_name(k, kn);
        const struct ver *v = latest(k, at);
        seal_entry e;
        seal_get_opts go = {.as_of_tx = at};
        int rc = seal_snap_get(snap, kn, 3, &go, &e);
        if (v && live(v)) {
            expect_keys[ne++] = k;
            if (rc)
                T_FAIL("%s: get %s at %llu: %s", ctx, kn, (unsigned long long)at, t_errstr(rc));
            else {
                if (e.tx != v->tx || e.value_len != v->vlen ||
                    (v->vlen && memcmp(e.value, v->val, v->vlen) != 0))
                    T_FAIL("%s: get %s at %llu: wrong version (tx %llu, want %llu)", ctx, kn,
                           (unsigned long long)at, (unsigned long long)e.tx,
                           (unsigned long long)v->tx);
                seal_entry_clear(&e);
            }
        } else if (rc != SEAL_ENOTFOUND) {
            T_FAIL("%s: get %s at %llu: found (%s), model says not", ctx, kn,
                   (unsigned long long)at, t_errstr(rc));
            if (rc == 0)
                seal_entry_clear(&e);
        }
    }
    struct scan_acc acc = {.n = 0};
    seal_scan_opts so;
    memset(&so, 0, sizeof(so));
    so.prefix = "k";
    so.prefix_len = 1;
    so.as_of_tx = at;
    so.with_values = 1;
    CHECK_OK(seal_snap_scan(snap, &so, scan_cb, &acc));
    if (acc.bad || acc.n != ne || memcmp(acc.keys, expect_keys, (size_t)ne * sizeof(int)) != 0)
        T_FAIL("%s: scan at %llu: %d keys, model %d", ctx, (unsigned long long)at, acc.n, ne);
    /* descending with a limit */
    so.desc = 1;
    so.limit = 3;
    acc.n = 0;
    CHECK_OK(seal_snap_scan(snap, &so, scan_cb, &acc));
    int want = ne < 3 ? ne : 3;
    if (acc.n != want)
        T_FAIL("%s: desc scan at %llu: %d keys, want %d", ctx, (unsigned long long)at, acc.n, want);
    for (int i = 0; i < acc.n && i < want; i++)
        if (acc.keys[i] != expect_keys[ne - 1 - i])
            T_FAIL("%s: desc scan order", ctx);
    if (at == 0) {
        uint64_t cnt = 0;
        CHECK_OK(seal_snap_count(snap, "k", 1, &cnt));
        CHECK_INT(cnt, ne);
    }
    seal_snap_end(snap);
}

static void check_history(seal_store *s, const char *ctx)
{
    seal_snap *snap;
    CHECK_OK(seal_snap_begin(s, 0, 0, 0, &snap));
    for (int k = 0; k < NKEYS; k++) {
        char kn[8];
        key_name(k, kn);
        seal_entry *h = NULL;
        size_t n = 0;
        int rc = seal_snap_history(snap, kn, 3, 0, 0, 0, 1, &h, &n);
        if (g_m[k].n == 0) {
            CHECK_ERR(rc, SEAL_ENOTFOUND);
            continue;
        }
        CHECK_OK(rc);
        if ((int)n != g_m[k].n) {
            T_FAIL("%s: history of %s: %zu versions, model %d", ctx, kn, n, g_m[k].n);
        } else {
            for (size_t i = 0; i < n; i++) {
                const struct ver *v = &g_m[k].v[i];
                if (h[i].tx != v->tx || h[i].revision != i + 1 || h[i].md.deleted != v->deleted ||
                    h[i].value_len != v->vlen ||
                    (v->vlen && memcmp(h[i].value, v->val, v->vlen) != 0))
                    T_FAIL("%s: history of %s, version %zu differs", ctx, kn, i + 1);
            }
        }
        seal_entries_free(h, n);
        /* revision reads */
        seal_entry e;
        seal_get_opts go = {.revision = g_m[k].n};
        CHECK_OK(seal_snap_get(snap, kn, 3, &go, &e));
        CHECK_INT(e.tx, g_m[k].v[g_m[k].n - 1].tx);
        seal_entry_clear(&e);
        go.revision = g_m[k].n + 1;
        CHECK_ERR(seal_snap_get(snap, kn, 3, &go, &e), SEAL_ENOTFOUND);
    }
    seal_snap_end(snap);
}

static void run(int version, unsigned seed, int steps)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/model-%d-%u", t_tmpdir(), version, seed);
    memset(g_m, 0, sizeof(g_m));
    g_now = 1000000;
    g_tx = 0;
    g_rng = seed;
    seal_store *s = reopen(NULL, dir, version);
    if (!s)
        return;
    int commits = 0, pre_fail = 0;
    for (int step = 0; step < steps && t_failures < 20; step++) {
        unsigned op = rnd(100);
        if (op < 5) {
            s = reopen(s, dir, version);
            if (!s)
                return;
            continue;
        }
        if (op < 12) {
            g_now += rnd(3);
            continue;
        }
        /* a tx of 1..4 distinct keys */
        int n = 1 + (int)rnd(4);
        int keys[4];
        for (int i = 0; i < n; i++) {
            int k;
            bool dup;
            do {
                k = (int)rnd(NKEYS);
                dup = false;
                for (int j = 0; j < i; j++)
                    dup |= keys[j] == k;
            } while (dup);
            keys[i] = k;
        }
        seal_tx *tx;
        CHECK_OK(seal_tx_new(s, &tx));
        struct ver nv[4];
        for (int i = 0; i < n; i++) {
            struct ver *v = &nv[i];
            memset(v, 0, sizeof(*v));
            unsigned kind = version ? rnd(10) : 9;
            v->vlen = rnd(MAXV);
            for (size_t b = 0; b < v->vlen; b++)
                v->val[b] = (uint8_t)rnd(256);
            seal_kvmd md = {0};
            if (kind == 0) {
                v->deleted = md.deleted = 1;
                v->vlen = 0;
            } else if (kind == 1) {
                v->has_exp = md.has_expires = 1;
                v->exp = md.expires_at = g_now + (int64_t)rnd(6) - 1;
            }
            char kn[8];
            key_name(keys[i], kn);
            CHECK_OK(seal_tx_add(tx, kn, 3, v->val, v->vlen, kind <= 1 ? &md : NULL));
        }
        /* maybe a precondition; the model decides whether it holds */
        bool ok = true;
        unsigned pk = rnd(8);
        if (pk < 3) {
            int k = (int)rnd(NKEYS);
            char kn[8];
            key_name(k, kn);
            const struct ver *lv = latest(k, 0);
            if (pk == 0) {
                CHECK_OK(seal_tx_require_exists(tx, kn, 3));
                ok = lv && live(lv);
            } else if (pk == 1) {
                CHECK_OK(seal_tx_require_absent(tx, kn, 3));
                ok = !(lv && live(lv));
            } else {
                uint64_t after = g_tx ? 1 + rnd((unsigned)g_tx) : 1;
                CHECK_OK(seal_tx_require_not_modified_after(tx, kn, 3, after));
                ok = !lv || lv->tx <= after;
            }
        }
        seal_txhdr h;
        int rc = seal_tx_commit(s, tx, &h);
        seal_tx_free(tx);
        if (!ok) {
            CHECK_ERR(rc, SEAL_EPRECONDITION);
            pre_fail++;
            continue;
        }
        if (rc) {
            T_FAIL("step %d: commit: %s (%s)", step, t_errstr(rc), seal_last_error());
            continue;
        }
        g_tx++;
        commits++;
        CHECK_INT(h.id, g_tx);
        for (int i = 0; i < n; i++) {
            nv[i].tx = g_tx;
            struct mkey *mk = &g_m[keys[i]];
            if (mk->n < MAXVER)
                mk->v[mk->n++] = nv[i];
        }
        if (rnd(10) == 0)
            check_at(s, 0, "latest");
    }
    /* scans and gets at every tx, histories; again after a reopen */
    for (int round = 0; round < 2 && s; round++) {
        for (uint64_t t = 1; t <= g_tx; t++)
            check_at(s, t, round ? "after reopen" : "final");
        check_at(s, 0, "final latest");
        check_history(s, "final");
        CHECK_OK(seal_verify(s, NULL, NULL, NULL));
        s = reopen(s, dir, version);
    }
    fprintf(stderr, "  v%d seed %u: %d commits, %d failed preconditions\n", version, seed, commits,
            pre_fail);
    CHECK(commits > steps / 2);
    CHECK(pre_fail > 0);
    if (s)
        seal_close(s);
}

static void test_model_v1(void)
{
    unsigned seed = (unsigned)atoi(t_env("SEAL_MODEL_SEED", "12345"));
    run(1, seed, 400);
    run(1, seed + 1, 400);
}

static void test_model_v0(void)
{
    unsigned seed = (unsigned)atoi(t_env("SEAL_MODEL_SEED", "12345"));
    run(0, seed + 7, 300);
}

int main(void)
{
    t_init();
    seal_log_set_level(SEAL_LOG_WARN);
    RUN(test_model_v1);
    RUN(test_model_v0);
    return t_done();
}
