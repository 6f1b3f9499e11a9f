/* index_model.h - a naive in-memory model of the key index for the index
 * tests: every version of every key in a sorted array, answered by brute
 * force, plus checkers that compare an index snapshot with the model. */
#ifndef SEAL_INDEX_MODEL_H
#define SEAL_INDEX_MODEL_H

#include <stdlib.h>

#include "testlib.h"

#include "common/common.h"
#include "index/index.h"

/* --------------------------------------------------------------- random */
typedef struct trng {
    uint64_t s;
} trng;

static inline uint64_t trng_next(trng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t trng_below(trng *r, uint64_t n)
{
    return n ? trng_next(r) % n : 0;
}

/* ---------------------------------------------------------------- model */
typedef struct mver {
    uint64_t tx, voff;
    uint32_t vlen;
    uint8_t hval[32];
    mt_kvmd md;
} mver;

typedef struct mkey {
    uint8_t *k;
    size_t n;
    mver *v;
    size_t nv, cap;
} mkey;

typedef struct model {
    mkey *keys;
    size_t n, cap;
} model;

static inline int m_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

/* Index of the first key >= k; *found when equal. */
static inline size_t m_lower(const model *m, const uint8_t *k, size_t n, bool *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m_cmp(m->keys[mid].k, m->keys[mid].n, k, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < m->n && m_cmp(m->keys[lo].k, m->keys[lo].n, k, n) == 0;
    return lo;
}

static inline mkey *m_find(const model *m, const uint8_t *k, size_t n)
{
    bool f;
    size_t i = m_lower(m, k, n, &f);
    return f ? &m->keys[i] : NULL;
}

static inline void m_put(model *m, const idx_put *p)
{
    if (p->md.non_indexable)
        return;
    bool f;
    size_t i = m_lower(m, p->key, p->key_len, &f);
    if (!f) {
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->keys = realloc(m->keys, m->cap * sizeof(*m->keys));
        }
        memmove(&m->keys[i + 1], &m->keys[i], (m->n - i) * sizeof(*m->keys));
        m->n++;
        mkey *nk = &m->keys[i];
        memset(nk, 0, sizeof(*nk));
        nk->k = malloc(p->key_len);
        memcpy(nk->k, p->key, p->key_len);
        nk->n = p->key_len;
    }
    mkey *k = &m->keys[i];
    if (k->nv == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4;
        k->v = realloc(k->v, k->cap * sizeof(*k->v));
    }
    mver *v = &k->v[k->nv++];
    v->tx = p->tx;
    v->voff = p->voff;
    v->vlen = p->vlen;
    memcpy(v->hval, p->hval, 32);
    v->md = p->md;
}

static inline void m_free(model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->keys[i].k);
        free(m->keys[i].v);
    }
    free(m->keys);
    memset(m, 0, sizeof(*m));
}

/* Versions of |k| visible at snapshot tx |t|. */
static inline uint64_t m_count(const mkey *k, uint64_t t)
{
    uint64_t c = 0;
    while (c < k->nv && k->v[c].tx <= t)
        c++;
    return c;
}

/* Latest version with tx <= t: its 1-based rev, 0 if none. */
static inline uint64_t m_at(const mkey *k, uint64_t t)
{
    return m_count(k, t);
}

static inline bool m_live(const mver *v, uint64_t now)
{
    return !v->md.deleted && !(v->md.has_expires && v->md.expires_at <= now);
}

/* ---------------------------------------------------------------- checks */
static inline bool ver_eq(const idx_version *a, const mver *b, uint64_t rev)
{
    return a->tx == b->tx && a->voff == b->voff && a->vlen == b->vlen &&
           memcmp(a->hval, b->hval, 32) == 0 && a->md.deleted == b->md.deleted &&
           a->md.has_expires == b->md.has_expires &&
           (!b->md.has_expires || a->md.expires_at == b->md.expires_at) &&
           a->md.non_indexable == b->md.non_indexable && a->rev == rev;
}

static inline void key_desc(char *out, size_t cap, const uint8_t *k, size_t n)
{
    char hex[2 * 24 + 1];
    t_hex(hex, k, n < 24 ? n : 24);
    snprintf(out, cap, "len %zu %s%s", n, hex, n > 24 ? "..." : "");
}

/* Point reads of one key (present or absent in the model) at snapshot tx t. */
static inline void check_key(idx_snap *s, const model *m, const uint8_t *key, size_t kn, uint64_t t,
                             trng *r)
{
    char kd[128];
    key_desc(kd, sizeof(kd), key, kn);
    const mkey *k = m_find(m, key, kn);
    uint64_t cnt = k ? m_count(k, t) : 0, got = 99999;
    idx_version v;
    CHECK_OK(idx_versions(s, key, kn, &got));
    if (got != cnt) {
        T_FAIL("versions of %s at %llu: %llu != %llu", kd, (unsigned long long)t,
               (unsigned long long)got, (unsigned long long)cnt);
        return;
    }
    if (cnt == 0) {
        CHECK_ERR(idx_get(s, key, kn, 0, &v), SEAL_ENOTFOUND);
        CHECK_ERR(idx_get_rev(s, key, kn, 1, &v), SEAL_ENOTFOUND);
        return;
    }
    /* latest */
    int rc = idx_get(s, key, kn, 0, &v);
    if (rc || !ver_eq(&v, &k->v[cnt - 1], cnt))
        T_FAIL("latest of %s at %llu: rc %d", kd, (unsigned long long)t, rc);
    /* at tx: around every version's tx, and random ones */
    for (uint64_t i = 0; i < cnt + 3; i++) {
        uint64_t at = i < cnt ? k->v[i].tx : 1 + trng_below(r, t + 2);
        uint64_t cands[2] = {at, at - 1};
        for (int j = 0; j < 2; j++) {
            uint64_t a = cands[j];
            if (a == 0)
                continue;
            uint64_t rev = m_at(k, a < t ? a : t);
            rc = idx_get(s, key, kn, a, &v);
            if (rev == 0) {
                if (rc != SEAL_ENOTFOUND)
                    T_FAIL("at tx %llu of %s: rc %d, want not found", (unsigned long long)a, kd,
                           rc);
            } else if (rc || !ver_eq(&v, &k->v[rev - 1], rev)) {
                T_FAIL("at tx %llu of %s (snap %llu): rc %d rev %llu/%llu tx %llu/%llu",
                       (unsigned long long)a, kd, (unsigned long long)t, rc,
                       (unsigned long long)v.rev, (unsigned long long)rev, (unsigned long long)v.tx,
                       (unsigned long long)k->v[rev - 1].tx);
            }
        }
    }
    /* every revision, and one past */
    for (uint64_t rev = 1; rev <= cnt; rev++) {
        rc = idx_get_rev(s, key, kn, rev, &v);
        if (rc || !ver_eq(&v, &k->v[rev - 1], rev))
            T_FAIL("rev %llu of %s: rc %d", (unsigned long long)rev, kd, rc);
    }
    CHECK_ERR(idx_get_rev(s, key, kn, cnt + 1, &v), SEAL_ENOTFOUND);
    CHECK_ERR(idx_get_rev(s, key, kn, 0, &v), SEAL_EINVAL);
}

typedef struct hist_acc {
    idx_version v[64];
    size_t n;
    size_t stop_after; /* 0 = never */
} hist_acc;

static inline int hist_cb(void *arg, const idx_version *v)
{
    hist_acc *a = arg;
    if (a->n < 64)
        a->v[a->n] = *v;
    a->n++;
    if (a->stop_after && a->n == a->stop_after)
        return 42;
    return 0;
}

static inline void check_history(idx_snap *s, const model *m, const uint8_t *key, size_t kn,
                                 uint64_t t)
{
    const mkey *k = m_find(m, key, kn);
    uint64_t cnt = k ? m_count(k, t) : 0;
    hist_acc a;
    if (cnt == 0) {
        a.n = 0;
        a.stop_after = 0;
        CHECK_ERR(idx_history(s, key, kn, 0, 0, false, hist_cb, &a), SEAL_ENOTFOUND);
        CHECK_INT(a.n, 0);
        return;
    }
    uint64_t offs[] = {0, 1, 2, cnt / 2, cnt - 1, cnt, cnt + 1};
    uint64_t lims[] = {0, 1, 2, 3, cnt, cnt + 5};
    for (size_t oi = 0; oi < SEAL_ARRAY_LEN(offs); oi++)
        for (size_t li = 0; li < SEAL_ARRAY_LEN(lims); li++)
            for (int desc = 0; desc < 2; desc++) {
                uint64_t off = offs[oi], lim = lims[li];
                a.n = 0;
                a.stop_after = 0;
                int rc = idx_history(s, key, kn, off, lim, desc, hist_cb, &a);
                uint64_t want = off >= cnt ? 0 : cnt - off;
                if (lim && lim < want)
                    want = lim;
                if (rc || a.n != want) {
                    T_FAIL("history off %llu lim %llu desc %d: rc %d n %zu want %llu",
                           (unsigned long long)off, (unsigned long long)lim, desc, rc, a.n,
                           (unsigned long long)want);
                    continue;
                }
                for (size_t i = 0; i < a.n && i < 64; i++) {
                    uint64_t rev = desc ? cnt - off - i : off + 1 + i;
                    if (!ver_eq(&a.v[i], &k->v[rev - 1], rev)) {
                        T_FAIL("history off %llu lim %llu desc %d: entry %zu is rev %llu, "
                               "want %llu",
                               (unsigned long long)off, (unsigned long long)lim, desc, i,
                               (unsigned long long)a.v[i].rev, (unsigned long long)rev);
                        break;
                    }
                }
            }
    /* A callback that stops: its value comes back. */
    if (cnt >= 2) {
        a.n = 0;
        a.stop_after = 2;
        CHECK_ERR(idx_history(s, key, kn, 0, 0, false, hist_cb, &a), 42);
        CHECK_INT(a.n, 2);
    }
}

/* Scan results. */
typedef struct sres {
    uint8_t *k;
    size_t n;
    idx_version v;
} sres;

typedef struct scan_acc {
    sres *r;
    size_t n, cap;
    bool skip_deleted;
} scan_acc;

static inline int scan_cb(void *arg, const uint8_t *key, size_t kn, const idx_version *v)
{
    scan_acc *a = arg;
    if (a->skip_deleted && v->md.deleted)
        return 1;
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->r = realloc(a->r, a->cap * sizeof(*a->r));
    }
    sres *e = &a->r[a->n++];
    e->k = malloc(kn ? kn : 1);
    memcpy(e->k, key, kn);
    e->n = kn;
    e->v = *v;
    return 0;
}

static inline void scan_acc_clear(scan_acc *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->r[i].k);
    a->n = 0;
}

static inline void scan_acc_free(scan_acc *a)
{
    scan_acc_clear(a);
    free(a->r);
    a->r = NULL;
    a->cap = 0;
}

static inline void describe_opts(char *out, size_t cap, const idx_scan_opts *o, bool skip_del)
{
    char p[128], sk[128], e[128];
    key_desc(p, sizeof(p), o->prefix, o->prefix_len);
    key_desc(sk, sizeof(sk), o->seek_key, o->seek_len);
    key_desc(e, sizeof(e), o->end_key, o->end_len);
    snprintf(out, cap,
             "prefix [%s] seek [%s]%s end [%s]%s desc %d limit %llu max_tx %llu skipdel %d", p, sk,
             o->seek_inclusive ? " incl" : "", e, o->end_inclusive ? " incl" : "", o->desc,
             (unsigned long long)o->limit, (unsigned long long)o->max_tx, skip_del);
}

/* One scan compared with the model at snapshot tx t. Returns false on a mismatch. */
static inline bool check_scan(idx_snap *s, const model *m, uint64_t t, const idx_scan_opts *o,
                              bool skip_deleted, scan_acc *a)
{
    scan_acc_clear(a);
    a->skip_deleted = skip_deleted;
    int rc = idx_scan(s, o, scan_cb, a);
    uint64_t eff = (o->max_tx == 0 || o->max_tx > t) ? t : o->max_tx;
    size_t got = 0;
    bool ok = rc == 0;
    char why[512] = "";
    if (!ok)
        snprintf(why, sizeof(why), "rc %d", rc);
    for (size_t j = 0; ok && j < m->n; j++) {
        size_t i = o->desc ? m->n - 1 - j : j;
        const mkey *k = &m->keys[i];
        int c;
        if (o->prefix_len && (k->n < o->prefix_len || memcmp(k->k, o->prefix, o->prefix_len) != 0))
            continue;
        if (o->seek_len) {
            c = m_cmp(k->k, k->n, o->seek_key, o->seek_len);
            if ((o->desc ? c > 0 : c < 0) || (c == 0 && !o->seek_inclusive))
                continue;
        }
        if (o->end_len) {
            c = m_cmp(k->k, k->n, o->end_key, o->end_len);
            if ((o->desc ? c < 0 : c > 0) || (c == 0 && !o->end_inclusive))
                continue;
        }
        uint64_t rev = m_at(k, eff);
        if (rev == 0)
            continue;
        if (skip_deleted && k->v[rev - 1].md.deleted)
            continue;
        if (got >= a->n) {
            snprintf(why, sizeof(why), "missing entry %zu", got);
            ok = false;
            break;
        }
        const sres *e = &a->r[got];
        if (m_cmp(e->k, e->n, k->k, k->n) != 0 || !ver_eq(&e->v, &k->v[rev - 1], rev)) {
            char g[128], w[128];
            key_desc(g, sizeof(g), e->k, e->n);
            key_desc(w, sizeof(w), k->k, k->n);
            snprintf(why, sizeof(why), "entry %zu: got %s rev %llu, want %s rev %llu", got, g,
                     (unsigned long long)e->v.rev, w, (unsigned long long)rev);
            ok = false;
            break;
        }
        got++;
        if (o->limit && got == o->limit)
            break;
    }
    if (ok && got != a->n) {
        snprintf(why, sizeof(why), "%zu extra entries", a->n - got);
        ok = false;
    }
    if (!ok) {
        char d[768];
        describe_opts(d, sizeof(d), o, skip_deleted);
        T_FAIL("scan at snap %llu {%s}: %s", (unsigned long long)t, d, why);
    }
    return ok;
}

static inline void check_count(idx_snap *s, const model *m, uint64_t t, const uint8_t *p, size_t pn,
                               uint64_t max_tx, bool live, uint64_t now)
{
    uint64_t eff = (max_tx == 0 || max_tx > t) ? t : max_tx, want = 0, got = 12345;
    for (size_t i = 0; i < m->n; i++) {
        const mkey *k = &m->keys[i];
        if (pn && (k->n < pn || memcmp(k->k, p, pn) != 0))
            continue;
        uint64_t rev = m_at(k, eff);
        if (rev && (!live || m_live(&k->v[rev - 1], now)))
            want++;
    }
    int rc = idx_count(s, p, pn, max_tx, live ? IDX_COUNT_LIVE : 0, now, &got);
    if (rc || got != want) {
        char d[128];
        key_desc(d, sizeof(d), p, pn);
        T_FAIL("count [%s] max_tx %llu live %d now %llu at snap %llu: rc %d, %llu != %llu", d,
               (unsigned long long)max_tx, live, (unsigned long long)now, (unsigned long long)t, rc,
               (unsigned long long)got, (unsigned long long)want);
    }
}

#endif
