/* index_longkey_test.c - ordering of keys longer than LMDB's key limit. Keys
 * above 400 bytes are stored under a truncated form plus a hash; scans must
 * still return them in exact byte order: long keys sharing 400+ byte
 * prefixes, short keys that are prefixes of them, neighbouring groups,
 * ascending and descending, seeks into the middle of a group, end keys inside
 * a group, prefixes longer than 400 bytes, limits and counts. Expected
 * answers come from the naive model; the full order is also checked against a
 * hand-sorted list. */
#include "index_model.h"

#define MAXK 4200

typedef struct kbuf {
    uint8_t b[MAXK];
    size_t n;
} kbuf;

static uint8_t P[400];

static kbuf *keys;
static size_t nkeys;

static kbuf *add(size_t cut, const char *tail, size_t rep, const char *after)
{
    kbuf *k = &keys[nkeys++];
    memcpy(k->b, P, cut);
    k->n = cut;
    for (size_t i = 0; i < rep; i++)
        k->b[k->n++] = (uint8_t)tail[0];
    size_t an = after ? strlen(after) : 0;
    memcpy(k->b + k->n, after, an);
    k->n += an;
    return k;
}

static void build_keys(void)
{
    for (int i = 0; i < 400; i++)
        P[i] = (uint8_t)('a' + i % 26); /* P[399] == 'j' */
    keys = calloc(64, sizeof(*keys));
    /* Short keys, some prefixes of the long ones. */
    add(1, "", 0, NULL);
    add(100, "", 0, NULL);
    add(399, "", 0, NULL);
    add(400, "", 0, NULL); /* P: a prefix of the whole group */
    add(399, "", 0, "a");  /* 400 bytes, sorts before P */
    add(399, "", 0, "z");  /* 400 bytes, after the group */
    add(399, "", 0, "k");  /* 400 bytes: the next group's prefix */
    /* The group under P. */
    add(400, "", 0, "\x01");
    add(400, "", 0, "a");
    add(400, "", 0, "ab");
    add(400, "", 0, "b");
    add(400, "", 0, "\xff\xff\xff");
    add(400, "a", 5, NULL);
    add(400, "a", 5, "b"); /* sharing 405 bytes */
    add(400, "a", 5, "a");
    add(400, "a", 31, "b"); /* 432 bytes: the length of an index key */
    add(400, "a", 32, NULL);
    add(400, "a", 33, NULL);
    add(400, "a", 200, NULL);
    add(400, "a", 200, "b"); /* sharing 600 bytes */
    add(400, "a", 200, "a");
    add(400, "a", 200, "\x01");
    add(400, "a", 624, NULL); /* 1024 bytes */
    add(400, "a", 624, "z");
    add(400, "a", 3696, NULL); /* 4096 bytes */
    add(400, "a", 3695, "b");
    add(400, "b", 32, NULL);
    /* Neighbouring groups (last byte of the 400 differs). */
    add(399, "", 0, "k\x01");
    add(399, "", 0, "kab");
    add(399, "", 0, "i\xff\xff");
    add(399, "", 0, "izz");
    /* Differing earlier than byte 400. */
    add(200, "", 0, "zzzz");
}

static int kb_cmp(const void *a, const void *b)
{
    const kbuf *x = *(kbuf *const *)a, *y = *(kbuf *const *)b;
    return m_cmp(x->b, x->n, y->b, y->n);
}

typedef struct order_acc {
    kbuf **want;
    size_t n, i;
    bool bad;
} order_acc;

static int order_cb(void *arg, const uint8_t *k, size_t n, const idx_version *v)
{
    order_acc *a = arg;
    if (a->i >= a->n || m_cmp(a->want[a->i]->b, a->want[a->i]->n, k, n) != 0)
        a->bad = true;
    a->i++;
    return 0;
}

static void test_long_key_order(void)
{
    build_keys();
    trng r = {77};
    idx_opts opts = {.no_sync = true};
    idx *ix = NULL;
    CHECK_OK(idx_open(&ix, t_path("long"), &opts));
    if (!ix)
        return;
    model m = {0};
    /* Insert in a shuffled order over several txs; some keys get several
     * versions, some a deleted one. */
    size_t order[64];
    for (size_t i = 0; i < nkeys; i++)
        order[i] = i;
    for (size_t i = nkeys - 1; i > 0; i--) {
        size_t j = trng_below(&r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    uint64_t tx = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < nkeys; i += 4) {
            idx_put p[4];
            size_t n = 0;
            tx++;
            for (size_t j = i; j < i + 4 && j < nkeys; j++) {
                if (round > 0 && trng_below(&r, 3) != 0)
                    continue;
                kbuf *k = &keys[order[j]];
                idx_put *q = &p[n++];
                memset(q, 0, sizeof(*q));
                q->key = k->b;
                q->key_len = k->n;
                q->tx = tx;
                q->voff = tx * 100 + j;
                q->md.deleted = round == 2 && j % 2;
            }
            CHECK_OK(idx_apply(ix, p, n, tx));
            for (size_t j = 0; j < n; j++)
                m_put(&m, &p[j]);
        }
    }
    CHECK_INT(m.n, nkeys);
    idx_snap *s = NULL;
    CHECK_OK(idx_snap_begin(ix, &s));
    if (!s)
        return;

    /* The full order, against a sorted copy of the key list. */
    kbuf *sorted[64];
    for (size_t i = 0; i < nkeys; i++)
        sorted[i] = &keys[i];
    qsort(sorted, nkeys, sizeof(*sorted), kb_cmp);
    order_acc oa = {sorted, nkeys, 0, false};
    idx_scan_opts o = {0};
    CHECK_OK(idx_scan(s, &o, order_cb, &oa));
    CHECK(!oa.bad && oa.i == nkeys);
    kbuf *rsorted[64];
    for (size_t i = 0; i < nkeys; i++)
        rsorted[i] = sorted[nkeys - 1 - i];
    order_acc ob = {rsorted, nkeys, 0, false};
    o.desc = true;
    CHECK_OK(idx_scan(s, &o, order_cb, &ob));
    CHECK(!ob.bad && ob.i == nkeys);

    /* Bounds: every key, and each key with a byte added or removed. */
    kbuf *probes = calloc(4 * 64 + 1, sizeof(*probes));
    size_t np = 0;
    for (size_t i = 0; i < nkeys; i++) {
        kbuf *k = &keys[i];
        probes[np++] = *k;
        probes[np] = *k;
        probes[np++].n--;
        probes[np] = *k;
        probes[np].b[probes[np].n++] = 0x00;
        np++;
        probes[np] = *k;
        probes[np].b[probes[np].n++] = 'a';
        np++;
    }
    /* End keys: a few inside the group and around it. */
    kbuf *ends[8];
    size_t ne = 0;
    for (size_t i = 0; i < nkeys && ne < 8; i += 4)
        ends[ne++] = &keys[i];
    scan_acc a = {0};
    uint64_t scans = 0;
    int before = t_failures;
    for (size_t pi = 0; pi < np && t_failures - before < 5; pi++)
        for (unsigned mask = 0; mask < 16; mask++)
            for (size_t ei = 0; ei <= ne; ei++) {
                idx_scan_opts so = {0};
                so.seek_key = probes[pi].b;
                so.seek_len = probes[pi].n;
                so.seek_inclusive = mask & 1;
                so.desc = (mask & 2) != 0;
                so.end_inclusive = (mask & 4) != 0;
                so.limit = (mask & 8) ? 1 + pi % 4 : 0;
                if (ei < ne) {
                    so.end_key = ends[ei]->b;
                    so.end_len = ends[ei]->n;
                }
                check_scan(s, &m, tx, &so, false, &a);
                scans++;
            }
    /* Prefixes (also longer than 400 bytes) with seeks and end keys. */
    static const struct {
        size_t cut, rep;
        const char *after;
    } pre[] = {{1, 0, NULL},     {100, 0, NULL},  {200, 0, NULL},   {399, 0, NULL},
               {400, 0, NULL},   {400, 1, NULL},  {400, 5, NULL},   {400, 5, "a"},
               {400, 31, NULL},  {400, 32, NULL}, {400, 100, NULL}, {400, 200, NULL},
               {400, 624, NULL}, {400, 0, "b"},   {399, 0, "k"},    {399, 0, "i"}};
    for (size_t qi = 0; qi < SEAL_ARRAY_LEN(pre); qi++) {
        kbuf q;
        memcpy(q.b, P, pre[qi].cut);
        q.n = pre[qi].cut;
        memset(q.b + q.n, 'a', pre[qi].rep);
        q.n += pre[qi].rep;
        if (pre[qi].after) {
            memcpy(q.b + q.n, pre[qi].after, strlen(pre[qi].after));
            q.n += strlen(pre[qi].after);
        }
        for (size_t pi = 0; pi <= np && t_failures - before < 5; pi += 3)
            for (unsigned mask = 0; mask < 32; mask++) {
                idx_scan_opts so = {0};
                so.prefix = q.b;
                so.prefix_len = q.n;
                if (pi < np && (mask & 16)) {
                    so.seek_key = probes[pi].b;
                    so.seek_len = probes[pi].n;
                }
                so.seek_inclusive = mask & 1;
                so.desc = (mask & 2) != 0;
                so.limit = (mask & 4) ? 2 : 0;
                if (mask & 8) {
                    so.end_key = ends[pi % ne]->b;
                    so.end_len = ends[pi % ne]->n;
                    so.end_inclusive = pi % 2;
                }
                so.max_tx = (mask & 1) ? tx / 2 : 0;
                check_scan(s, &m, tx, &so, (mask & 4) != 0, &a);
                scans++;
            }
        for (uint64_t mt = 0; mt <= tx; mt += 5) {
            check_count(s, &m, tx, q.b, q.n, mt, false, 0);
            check_count(s, &m, tx, q.b, q.n, mt, true, 0);
        }
    }
    fprintf(stderr, "%zu keys, %llu scans compared\n", nkeys, (unsigned long long)scans);
    /* Point reads of every key and of the probes. */
    for (size_t i = 0; i < np; i++)
        if (probes[i].n)
            check_key(s, &m, probes[i].b, probes[i].n, tx, &r);
    for (size_t i = 0; i < nkeys; i++)
        check_history(s, &m, keys[i].b, keys[i].n, tx);
    scan_acc_free(&a);
    idx_snap_end(s);
    idx_close(ix);
    free(probes);
    free(keys);
    m_free(&m);
}

int main(void)
{
    t_init();
    RUN(test_long_key_order);
    return t_done();
}
