/* index_model_test.c - property test of the key index against a naive
 * in-memory model: random batches of txs (short keys from a small key space
 * where keys are prefixes of one another, random binary keys, and long keys
 * sharing 400+ byte prefixes; random metadata with deleted, expiring and
 * non-indexable entries) are applied to both, and snapshots taken along the
 * way (kept open while later batches land) are compared with the model:
 * latest value, value at every tx, at every revision, version counts, history
 * with offsets/limits/both directions, scans over every combination of
 * options, and counts. Then the index is reopened and checked again.
 * SEED=<n> in the environment replays another sequence. */
#include "index_model.h"

#define NBATCH      1200
#define CHECK_EVERY 120
#define MAX_HELD    3

static uint8_t G1[400], G2[400], G3[400];

/* A key from one of the key spaces; returns its length (<= 4096). */
static size_t gen_key(trng *r, uint8_t *out)
{
    uint64_t c = trng_below(r, 20);
    if (c < 8) { /* small space: 1-3 of {a,b,c}: 39 keys, prefixes of each other */
        size_t n = 1 + trng_below(r, 3);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)('a' + trng_below(r, 3));
        return n;
    }
    if (c < 11) { /* large space: random bytes */
        size_t n = 1 + trng_below(r, 24);
        for (size_t i = 0; i < n; i++) {
            uint64_t b = trng_below(r, 8);
            out[i] = b == 0 ? 0x00 : b == 1 ? 0xff : (uint8_t)trng_next(r);
        }
        return n;
    }
    /* around and beyond the 400-byte boundary */
    const uint8_t *g = c < 16 ? G1 : c < 18 ? G2 : G3;
    static const size_t cuts[] = {1, 100, 399, 400};
    if (trng_below(r, 6) == 0) {
        size_t n = cuts[trng_below(r, 4)];
        memcpy(out, g, n);
        return n;
    }
    memcpy(out, g, 400);
    size_t tail;
    uint64_t t = trng_below(r, 10);
    if (t < 7)
        tail = 1 + trng_below(r, 5);
    else if (t < 9)
        tail = 29 + trng_below(r, 8); /* full length near 432 */
    else
        tail = (size_t[]){200, 624, 3696}[trng_below(r, 3)];
    for (size_t i = 0; i < tail; i++)
        out[400 + i] = (uint8_t)('a' + (i + 2 >= tail ? trng_below(r, 2) : trng_below(r, 4) == 0));
    return 400 + tail;
}

static void gen_md(trng *r, mt_kvmd *md)
{
    memset(md, 0, sizeof(*md));
    md->deleted = trng_below(r, 7) == 0;
    if (trng_below(r, 5) == 0) {
        md->has_expires = true;
        md->expires_at = 1000 + trng_below(r, 100);
    }
    md->non_indexable = trng_below(r, 12) == 0;
}

/* A probe key for scan bounds: a model key, a variation of one, or a fresh one. */
static size_t probe_key(trng *r, const model *m, uint8_t *out)
{
    uint64_t c = trng_below(r, 4);
    if (c == 0 || m->n == 0)
        return gen_key(r, out);
    const mkey *k = &m->keys[trng_below(r, m->n)];
    memcpy(out, k->k, k->n);
    size_t n = k->n;
    if (c == 2 && n > 1)
        n = 1 + trng_below(r, n - 1);
    else if (c == 3)
        out[n++] = (uint8_t)("\x00"
                             "ab\xff"[trng_below(r, 4)]);
    return n;
}

static size_t probe_prefix(trng *r, const model *m, uint8_t *out)
{
    static const char *fixed[] = {"a", "ab", "abc", "b", "c"};
    uint64_t c = trng_below(r, 6);
    if (c == 0) {
        const char *f = fixed[trng_below(r, 5)];
        memcpy(out, f, strlen(f));
        return strlen(f);
    }
    if (c == 1) {
        static const size_t cuts[] = {1, 100, 399, 400, 401, 402};
        size_t n = cuts[trng_below(r, 6)];
        memcpy(out, G1, 400);
        memset(out + 400, 'a', 2);
        return n;
    }
    if (m->n == 0)
        return 0;
    const mkey *k = &m->keys[trng_below(r, m->n)];
    size_t n = 1 + trng_below(r, k->n);
    memcpy(out, k->k, n);
    return n;
}

static void check_snapshot(idx_snap *s, const model *m, uint64_t t, trng *r)
{
    CHECK_INT(idx_snap_tx(s), t);
    int before = t_failures;
    uint8_t *kb = malloc(2 * 4200);
    /* Point reads and history of every key the model knows, plus absent ones. */
    for (size_t i = 0; i < m->n && t_failures - before < 5; i++) {
        check_key(s, m, m->keys[i].k, m->keys[i].n, t, r);
        if (i % 3 == 0)
            check_history(s, m, m->keys[i].k, m->keys[i].n, t);
    }
    for (int i = 0; i < 30; i++) {
        size_t n = gen_key(r, kb);
        check_key(s, m, kb, n, t, r);
    }
    /* Scans: every combination of the options, twice, with random values. */
    uint8_t *pb = kb, *sb = kb + 4200, eb[4200];
    scan_acc a = {0};
    for (int rep = 0; rep < 2; rep++)
        for (unsigned mask = 0; mask < 256 && t_failures - before < 5; mask++) {
            idx_scan_opts o = {0};
            if (mask & 1) {
                o.prefix = pb;
                o.prefix_len = probe_prefix(r, m, pb);
            }
            if (mask & 2) {
                o.seek_key = sb;
                o.seek_len = probe_key(r, m, sb);
            }
            o.seek_inclusive = (mask & 4) != 0;
            if (mask & 8) {
                o.end_key = eb;
                o.end_len = probe_key(r, m, eb);
            }
            o.end_inclusive = (mask & 16) != 0;
            o.desc = (mask & 32) != 0;
            if (mask & 64)
                o.limit = 1 + trng_below(r, 6);
            if (mask & 128)
                o.max_tx = 1 + trng_below(r, t + 3);
            check_scan(s, m, t, &o, trng_below(r, 3) == 0, &a);
        }
    scan_acc_free(&a);
    /* Counts. */
    for (int i = 0; i < 40; i++) {
        size_t pn = i < 2 ? 0 : probe_prefix(r, m, pb);
        uint64_t mt = i % 3 == 0 ? 0 : 1 + trng_below(r, t + 2);
        bool live = i % 2;
        check_count(s, m, t, pb, pn, mt, live, 990 + trng_below(r, 120));
    }
    free(kb);
}

static void test_model(void)
{
    uint64_t seed = strtoull(t_env("SEED", "20240611"), NULL, 10);
    fprintf(stderr, "seed %llu\n", (unsigned long long)seed);
    trng r = {seed ? seed : 1};
    for (int i = 0; i < 400; i++)
        G1[i] = (uint8_t)('A' + trng_below(&r, 26));
    memcpy(G2, G1, 400);
    G2[399]++;
    memcpy(G3, G1, 400);
    G3[200] = (uint8_t)(G3[200] ^ 0x20);

    const char *dir = t_path("model");
    idx_opts opts = {.no_sync = true};
    idx *ix = NULL;
    CHECK_OK(idx_open(&ix, dir, &opts));
    if (!ix)
        return;
    model m = {0};
    uint64_t T = 0, entries = 0;
    idx_snap *held[MAX_HELD] = {0};
    uint64_t held_t[MAX_HELD] = {0};
    idx_put puts[64];
    uint8_t *kbufs = malloc(64 * 4096);

    for (int b = 0; b < NBATCH && t_failures == 0; b++) {
        size_t n = 0;
        uint64_t tx = T + 1 + (trng_below(&r, 10) == 0);
        size_t ntx = 1 + trng_below(&r, 4);
        for (size_t j = 0; j < ntx; j++, tx += 1 + (trng_below(&r, 15) == 0)) {
            size_t ne = trng_below(&r, 9);
            for (size_t e = 0; e < ne && n < 64; e++) {
                idx_put *p = &puts[n];
                uint8_t *kb = kbufs + n * 4096;
                n++;
                p->key = kb;
                p->key_len = gen_key(&r, kb);
                p->tx = tx;
                p->voff = trng_next(&r);
                p->vlen = (uint32_t)trng_next(&r);
                for (int h = 0; h < 32; h++)
                    p->hval[h] = (uint8_t)trng_next(&r);
                gen_md(&r, &p->md);
            }
        }
        uint64_t last = tx - 1 + (trng_below(&r, 8) == 0);
        CHECK_OK(idx_apply(ix, puts, n, last));
        for (size_t i = 0; i < n; i++)
            m_put(&m, &puts[i]);
        entries += n;
        T = last;
        CHECK_INT(idx_last_tx(ix), T);
        if (b % CHECK_EVERY == CHECK_EVERY - 1) {
            /* Check (then end) the oldest held snapshot against the model at
             * its own tx: later batches must not show through. */
            size_t slot = (size_t)(b / CHECK_EVERY) % MAX_HELD;
            if (held[slot]) {
                check_snapshot(held[slot], &m, held_t[slot], &r);
                idx_snap_end(held[slot]);
            }
            CHECK_OK(idx_snap_begin(ix, &held[slot]));
            held_t[slot] = T;
            idx_snap *s = NULL;
            CHECK_OK(idx_snap_begin(ix, &s));
            if (s) {
                check_snapshot(s, &m, T, &r);
                idx_snap_end(s);
            }
        }
    }
    fprintf(stderr, "applied %llu entries over %llu txs, %zu keys\n", (unsigned long long)entries,
            (unsigned long long)T, m.n);
    for (int i = 0; i < MAX_HELD; i++) {
        if (held[i]) {
            check_snapshot(held[i], &m, held_t[i], &r);
            idx_snap_end(held[i]);
        }
    }
    idx_close(ix);

    /* Reopen: everything persisted. */
    ix = NULL;
    CHECK_OK(idx_open(&ix, dir, &opts));
    if (ix) {
        CHECK_INT(idx_last_tx(ix), T);
        idx_snap *s = NULL;
        CHECK_OK(idx_snap_begin(ix, &s));
        if (s) {
            check_snapshot(s, &m, T, &r);
            idx_snap_end(s);
        }
        idx_close(ix);
    }
    free(kbufs);
    m_free(&m);
}

int main(void)
{
    t_init();
    RUN(test_model);
    return t_done();
}
