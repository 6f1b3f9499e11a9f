/* index_bench.c - key index write (and read) throughput against raw LMDB in
 * the same run: N puts of 16-byte random keys with 32-byte values, through
 * idx_apply in batches of 1000 entries (one tx each), and the same keys put
 * straight into an LMDB DB (same environment flags, 1000 puts per LMDB txn).
 * Then N random point reads through one idx snapshot vs mdb_get. Two
 * alternating rounds; the best figure of each side is printed.
 *
 * usage: index_bench [entries (default 1000000)] [--sync] [--writemap]
 *                    [--batch N (default 1000)] [--dir DIR]
 * --sync makes both sides durable (fsync per batch); the default is the
 * indexer's mode (no sync: the index can be rebuilt from the log).
 * --writemap runs both sides with MDB_WRITEMAP (idx_opts.write_map).
 * --seq uses ascending keys instead of random ones (both sides). */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "index/index.h"
#include "seal/seal_fips.h"

static size_t BATCH = 1000;
static bool WRITEMAP, SEQ;
#define ROUNDS 2
#define KLEN   16
#define VLEN   32

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void rm_rf(const char *dir)
{
    char p[1024];
    static const char *files[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int die(const char *what, int rc)
{
    fprintf(stderr, "index_bench: %s: %d (%s)\n", what, rc,
            rc < 0 ? seal_strerror(rc) : mdb_strerror(rc));
    exit(1);
}

static double bench_raw(const char *dir, const uint8_t *keys, const uint8_t *vals, size_t n,
                        bool sync, double *get_rate)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc;
    mkdir(dir, 0750);
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 4)) ||
        (rc = mdb_env_set_mapsize(env, (size_t)64 << 30)))
        die("raw env", rc);
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (sync ? 0 : MDB_NOSYNC | MDB_NOMETASYNC) |
                     (WRITEMAP ? MDB_WRITEMAP : 0);
    if ((rc = mdb_env_open(env, dir, flags, 0640)))
        die("raw open", rc);
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
        (rc = mdb_dbi_open(txn, "kv", MDB_CREATE, &dbi)) || (rc = mdb_txn_commit(txn)))
        die("raw dbi", rc);
    double t0 = now_s();
    for (size_t b = 0; b < n; b += BATCH) {
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)))
            die("raw begin", rc);
        for (size_t i = b; i < b + BATCH && i < n; i++) {
            MDB_val k = {KLEN, (void *)(uintptr_t)(keys + i * KLEN)};
            MDB_val d = {VLEN, (void *)(uintptr_t)(vals + i * VLEN)};
            if ((rc = mdb_put(txn, dbi, &k, &d, 0)))
                die("raw put", rc);
        }
        if ((rc = mdb_txn_commit(txn)))
            die("raw commit", rc);
    }
    double put_rate = (double)n / (now_s() - t0);
    /* Random point reads in one read txn. */
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)))
        die("raw rd", rc);
    uint64_t sum = 0;
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        size_t j = rng() % n;
        MDB_val k = {KLEN, (void *)(uintptr_t)(keys + j * KLEN)}, d;
        if ((rc = mdb_get(txn, dbi, &k, &d)))
            die("raw get", rc);
        sum += ((const uint8_t *)d.mv_data)[0];
    }
    *get_rate = (double)n / (now_s() - t0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    if (sum == 1)
        fputc(' ', stderr);
    return put_rate;
}

static double bench_idx(const char *dir, const uint8_t *keys, const uint8_t *vals, size_t n,
                        bool sync, double *get_rate)
{
    idx_opts o = {.no_sync = !sync, .write_map = WRITEMAP};
    idx *ix;
    int rc;
    if ((rc = idx_open(&ix, dir, &o)))
        die("idx_open", rc);
    idx_put *puts = malloc(BATCH * sizeof(*puts));
    if (!puts)
        die("malloc", SEAL_ENOMEM);
    double t0 = now_s();
    uint64_t tx = 0, voff = 0;
    for (size_t b = 0; b < n; b += BATCH) {
        size_t m = 0;
        tx++;
        for (size_t i = b; i < b + BATCH && i < n; i++, m++) {
            idx_put *p = &puts[m];
            memset(&p->md, 0, sizeof(p->md));
            p->key = keys + i * KLEN;
            p->key_len = KLEN;
            p->tx = tx;
            p->voff = voff;
            p->vlen = VLEN;
            voff += VLEN;
            memcpy(p->hval, vals + i * VLEN, VLEN); /* stands for SHA-256(value) */
        }
        if ((rc = idx_apply(ix, puts, m, tx)))
            die("idx_apply", rc);
    }
    double put_rate = (double)n / (now_s() - t0);
    idx_snap *s;
    if ((rc = idx_snap_begin(ix, &s)))
        die("snap", rc);
    uint64_t sum = 0;
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        size_t j = rng() % n;
        idx_version v;
        if ((rc = idx_get(s, keys + j * KLEN, KLEN, 0, &v)))
            die("idx_get", rc);
        sum += v.hval[0];
    }
    *get_rate = (double)n / (now_s() - t0);
    idx_snap_end(s);
    idx_close(ix);
    free(puts);
    if (sum == 1)
        fputc(' ', stderr);
    return put_rate;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    bool sync = false;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sync") == 0)
            sync = true;
        else if (strcmp(argv[i], "--seq") == 0)
            SEQ = true;
        else if (strcmp(argv[i], "--writemap") == 0)
            WRITEMAP = true;
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            BATCH = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            base = argv[++i];
        else
            n = strtoull(argv[i], NULL, 10);
    }
    if (BATCH == 0)
        BATCH = 1;
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "index_bench: FIPS module did not start: %s\n", seal_fips_last_error());
        return 1;
    }
    uint8_t *keys = malloc(n * KLEN), *vals = malloc(n * VLEN);
    for (size_t i = 0; i < n * KLEN; i += 8)
        seal_put_u64(keys + i, SEQ ? (i % 16 ? i / 16 : 0x5345414c) : rng());
    for (size_t i = 0; i < n * VLEN; i += 8)
        seal_put_u64(vals + i, rng());
    char draw[1024], didx[1024];
    snprintf(draw, sizeof(draw), "%s/index_bench_raw.%d", base, (int)getpid());
    snprintf(didx, sizeof(didx), "%s/index_bench_idx.%d", base, (int)getpid());
    /* Two alternating rounds on fresh directories; the best of each side. */
    double raw = 0, ix = 0, raw_get = 0, idx_get_r = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double g, r = bench_raw(draw, keys, vals, n, sync, &g);
        rm_rf(draw);
        raw = SEAL_MAX(raw, r);
        raw_get = SEAL_MAX(raw_get, g);
        r = bench_idx(didx, keys, vals, n, sync, &g);
        rm_rf(didx);
        ix = SEAL_MAX(ix, r);
        idx_get_r = SEAL_MAX(idx_get_r, g);
    }
    printf("index_bench: %zu puts, %d-byte %s keys, %d-byte values, batches of %zu (%s%s)\n", n,
           KLEN, SEQ ? "ascending" : "random", VLEN, BATCH, sync ? "durable" : "no sync",
           WRITEMAP ? ", MDB_WRITEMAP" : "");
    printf("  (best of %d alternating rounds)\n", ROUNDS);
    printf("  raw LMDB puts      %12.0f entries/s\n", raw);
    printf("  idx_apply          %12.0f entries/s\n", ix);
    printf("  ratio idx/raw      %12.2f\n", ix / raw);
    printf("  raw LMDB gets      %12.0f gets/s\n", raw_get);
    printf("  idx_get            %12.0f gets/s\n", idx_get_r);
    printf("  ratio idx/raw      %12.2f\n", idx_get_r / raw_get);
    free(keys);
    free(vals);
    return 0;
}
