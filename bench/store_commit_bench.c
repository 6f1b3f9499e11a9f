/* store_commit_bench.c - storage engine benchmarks, each figure printed
 * with a same-run baseline and the ratio:
 *  (a) durable commits of 1000-entry txs (16-byte keys, 32- and 256-byte
 *      values) from several threads, in entries/s;
 *  (b) durable 1-entry txs from 1, 10 and 100 threads, in txs/s;
 *  (c) the SHA-256 bound: the same number of hashes per entry through
 *      cry_sha256v (value hash, entry digest, htree leaf and node), on all
 *      cores, so (a) can be read as a fraction of what hashing allows;
 *  (e) reopen time after a crash with an unindexed backlog, and the index
 *      catch-up rate (txs and entries per second);
 *  (f) peak RSS.
 * usage: store_commit_bench [DIR] ; env SEAL_BENCH_TXS (tx count for (e),
 * default 200000; 10000000 for the 10M-tx reopen figure),
 * SEAL_BENCH_ENTRIES (entries for (a), default 2000000), SEAL_BENCH_SECS
 * (seconds per (b) point, default 2), SEAL_BENCH_THREADS (threads for (a),
 * default 8), SEAL_BENCH_ONLY (a subset of the letters "abe": run only those
 * parts, e.g. "a"; default all), SEAL_BENCH_ROUNDS (runs of each (a) point,
 * the best is printed; default 1), SEAL_BENCH_BOUND (0: skip the (c) bound,
 * to profile (a) alone; default 1), SEAL_BENCH_NOSYNC (1: run (a) with
 * SEAL_DURABILITY_NONE, to see what fdatasync costs; default 0). An argument starting with '-'
 * (--help) prints the usage and exits with 2. */
#include "seal/seal.h"
#include "seal/seal_fips.h"
#include "crypto/cry.h"
#include "mtree/mtree.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long envl(const char *n, long d)
{
    const char *v = getenv(n);
    return v && *v ? atol(v) : d;
}

static char g_base[512];

static seal_store *open_fresh(const char *name, seal_durability d)
{
    char dir[700], cmd[800];
    snprintf(dir, sizeof(dir), "%s/%s", g_base, name);
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        exit(1);
    seal_options o;
    seal_options_default(&o);
    o.durability = d;
    seal_store *s;
    if (seal_open(dir, &o, &s) != 0) {
        fprintf(stderr, "open %s: %s\n", dir, seal_last_error());
        exit(1);
    }
    return s;
}

/* ------------------------------------------------------------ (a) */
struct batch_arg {
    seal_store *s;
    int thread;
    size_t vlen;
    long txs;
};

static void put_dec(char *p, int width, unsigned long v)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

static void *batch_worker(void *p)
{
    struct batch_arg *a = p;
    uint8_t val[256];
    memset(val, 0xab, sizeof(val));
    for (long t = 0; t < a->txs; t++) {
        seal_tx *tx;
        seal_tx_new(a->s, &tx);
        /* keys "TTtttttteeee....": thread, tx, entry in decimal (formatted
         * by hand: snprintf would cost the harness a few % of the CPU) */
        char key[16];
        memcpy(key, "000000000000....", 16);
        put_dec(key, 2, (unsigned long)(a->thread % 100));
        put_dec(key + 2, 6, (unsigned long)(t % 1000000));
        for (int e = 0; e < 1000; e++) {
            put_dec(key + 8, 4, (unsigned long)e);
            val[0] = (uint8_t)e;
            if (seal_tx_add(tx, key, 16, val, a->vlen, NULL))
                abort();
        }
        int rc = seal_tx_commit(a->s, tx, NULL);
        if (rc) {
            fprintf(stderr, "commit: %s\n", seal_last_error());
            abort();
        }
        seal_tx_free(tx);
    }
    return NULL;
}

static double bench_batches(size_t vlen, long entries, int threads)
{
    seal_store *s =
        open_fresh("a", envl("SEAL_BENCH_NOSYNC", 0) ? SEAL_DURABILITY_NONE : SEAL_DURABILITY_SYNC);
    pthread_t th[64];
    struct batch_arg args[64];
    long txs = entries / 1000 / threads;
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        args[i] = (struct batch_arg){s, i, vlen, txs};
        pthread_create(&th[i], NULL, batch_worker, &args[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    seal_close(s);
    return (double)(txs * threads * 1000) / dt;
}

/* ------------------------------------------------------------ (b) */
struct one_arg {
    seal_store *s;
    int thread;
    double until;
    long done;
};

static void *one_worker(void *p)
{
    struct one_arg *a = p;
    char key[32];
    for (long n = 0; now() < a->until; n++) {
        seal_tx *tx;
        seal_tx_new(a->s, &tx);
        snprintf(key, sizeof(key), "t%03d-%09ld", a->thread, n);
        seal_tx_add(tx, key, strlen(key), "value-of-32-bytes-value-of-32-by", 32, NULL);
        if (seal_tx_commit(a->s, tx, NULL))
            abort();
        seal_tx_free(tx);
        a->done++;
    }
    return NULL;
}

static double bench_single(int threads, double secs)
{
    seal_store *s = open_fresh("b", SEAL_DURABILITY_SYNC);
    pthread_t *th = calloc((size_t)threads, sizeof(*th));
    struct one_arg *args = calloc((size_t)threads, sizeof(*args));
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        args[i] = (struct one_arg){s, i, t0 + secs, 0};
        pthread_create(&th[i], NULL, one_worker, &args[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += args[i].done;
    }
    double dt = now() - t0;
    seal_close(s);
    free(th);
    free(args);
    return (double)total / dt;
}

/* ------------------------------------------------------------ (c) */
struct hash_arg {
    long entries;
    size_t vlen;
};

static void *hash_worker(void *p)
{
    struct hash_arg *a = p;
    uint8_t val[256], key[16], h[32], d[32], l[32];
    memset(val, 0xab, sizeof(val));
    memset(key, 'k', sizeof(key));
    for (long i = 0; i < a->entries; i++) {
        val[0] = (uint8_t)i;
        cry_part pv = {val, a->vlen};
        cry_sha256v(h, &pv, 1);
        uint8_t pre[4] = {0, 0, 0, 16};
        cry_part pd[] = {{pre, 2}, {pre + 2, 2}, {key, 16}, {h, 32}};
        cry_sha256v(d, pd, 4);
        uint8_t z = 0, o = 1;
        cry_part pl[] = {{&z, 1}, {d, 32}};
        cry_sha256v(l, pl, 2);
        cry_part pn[] = {{&o, 1}, {l, 32}, {d, 32}};
        cry_sha256v(h, pn, 3);
    }
    return NULL;
}

static double bench_hash(size_t vlen, long entries, int threads)
{
    pthread_t th[64];
    struct hash_arg a = {entries / threads, vlen};
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, hash_worker, &a);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    return (double)(a.entries * threads) / (now() - t0);
}

/* ------------------------------------------------------------ (e) */
static void build_backlog(const char *dir, long txs)
{
    /* child: commit |txs| 4-entry txs without per-commit fsync (to build
     * the store quickly), close (which syncs the logs) */
    pid_t pid = fork();
    if (pid == 0) {
        seal_options o;
        seal_options_default(&o);
        o.durability = SEAL_DURABILITY_NONE;
        seal_store *s;
        if (seal_open(dir, &o, &s))
            _exit(1);
        for (long t = 0; t < txs; t++) {
            seal_tx *tx;
            seal_tx_new(s, &tx);
            for (int e = 0; e < 4; e++) {
                char key[32];
                snprintf(key, sizeof(key), "k%010ld-%d", t, e);
                seal_tx_add(tx, key, 13, "0123456789abcdef0123456789abcdef", 32, NULL);
            }
            if (seal_tx_commit(s, tx, NULL))
                _exit(2);
            seal_tx_free(tx);
        }
        /* a clean close syncs the logs; the index is then removed by the parent */
        seal_close(s);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "FIPS module did not start\n");
        return 1;
    }
    seal_log_set_level(SEAL_LOG_WARN);
    if (argc > 2 || (argc > 1 && (argv[1][0] == '-' || strchr(argv[1], '\'') != NULL))) {
        /* "--help", any option, or a path the shell commands below cannot quote */
        fprintf(stderr,
                "usage: %s [DIR]\n"
                "  runs the storage engine benchmarks in DIR (default /tmp/seal-bench;\n"
                "  its subdirectories a, b and e are removed and recreated); environment:\n"
                "  SEAL_BENCH_ONLY, SEAL_BENCH_ROUNDS, SEAL_BENCH_ENTRIES, SEAL_BENCH_THREADS,\n"
                "  SEAL_BENCH_SECS, SEAL_BENCH_TXS, SEAL_BENCH_BOUND,\n"
                "  SEAL_BENCH_NOSYNC (see the top of store_commit_bench.c)\n",
                argv[0]);
        return 2;
    }
    snprintf(g_base, sizeof(g_base), "%s", argc > 1 ? argv[1] : "/tmp/seal-bench");
    char cmd[1000];
    snprintf(cmd, sizeof(cmd), "mkdir -p -- '%s'", g_base);
    if (system(cmd) != 0)
        return 1;
    long entries = envl("SEAL_BENCH_ENTRIES", 2000000);
    double secs = (double)envl("SEAL_BENCH_SECS", 2);
    long ntx = envl("SEAL_BENCH_TXS", 200000);
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int bthreads = (int)envl("SEAL_BENCH_THREADS", 8);
    const char *only = getenv("SEAL_BENCH_ONLY");
    if (!only || !*only)
        only = "abe";
    int rounds = (int)envl("SEAL_BENCH_ROUNDS", 1);
    if (rounds < 1)
        rounds = 1;

    printf("# storage engine benchmarks (%d cores)\n", cores);
    size_t vls[] = {32, 256};
    for (int i = 0; i < 2 && strchr(only, 'a'); i++) {
        double bound = 0, r = 0, lo = 1e30;
        for (int k = 0; k < rounds; k++) {
            double b = envl("SEAL_BENCH_BOUND", 1) ? bench_hash(vls[i], entries / 4, cores) : 0;
            double x = bench_batches(vls[i], entries, bthreads);
            if (b > bound)
                bound = b;
            if (x > r)
                r = x;
            if (x < lo)
                lo = x;
        }
        if (rounds > 1)
            printf("(a) %zu-byte values: %d runs, worst %.2f M entries/s, best %.2f M entries/s\n",
                   vls[i], rounds, lo / 1e6, r / 1e6);
        if (bound > 0)
            printf("(a) durable 1000-entry txs, 16-byte keys, %3zu-byte values, %d threads: "
                   "%.2f M entries/s | (c) SHA-256 bound on %d cores: %.2f M entries/s | ratio "
                   "%.2f\n",
                   vls[i], bthreads, r / 1e6, cores, bound / 1e6, r / bound);
    }
    double one = 0;
    int ths[] = {1, 10, 100};
    for (int i = 0; i < 3 && strchr(only, 'b'); i++) {
        double r = bench_single(ths[i], secs);
        if (i == 0)
            one = r;
        printf("(b) durable 1-entry txs, %3d threads: %.0f tx/s | baseline 1 thread: %.0f tx/s | "
               "ratio %.1f\n",
               ths[i], r, one, r / one);
    }

    if (!strchr(only, 'e'))
        return 0;
    char dir[700];
    snprintf(dir, sizeof(dir), "%s/e", g_base);
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    double t0 = now();
    build_backlog(dir, ntx);
    double tb = now() - t0;
    /* the worst case: the index is lost too, every tx is a backlog */
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s/index'", dir);
    if (system(cmd) != 0)
        return 1;
    seal_store_info info;
    seal_store *s;
    t0 = now();
    if (seal_open(dir, NULL, &s) != 0) {
        fprintf(stderr, "reopen: %s\n", seal_last_error());
        return 1;
    }
    double topen = now() - t0;
    seal_store_info_get(s, &info);
    uint64_t backlog = info.committed_tx - info.indexed_tx;
    /* serving right away: a commit and a read through the (partial) index */
    seal_tx *tx;
    seal_tx_new(s, &tx);
    seal_tx_add(tx, "after-crash", 11, "v", 1, NULL);
    seal_tx_commit(s, tx, NULL);
    seal_tx_free(tx);
    double tserve = now() - t0;
    seal_index_wait(s, info.committed_tx, 0);
    double tcatch = now() - t0;
    printf("(e) store of %llu txs (%llu entries) built in %.1f s; reopen after a crash with %llu "
           "txs unindexed (index lost): %.3f s to open, %.3f s to first durable commit | target 2 "
           "s | ratio "
           "%.2f\n",
           (unsigned long long)info.committed_tx, (unsigned long long)info.committed_tx * 4, tb,
           (unsigned long long)backlog, topen, tserve, tserve / 2.0);
    printf("(e) index catch-up (index lost too) while serving: %llu txs in %.2f s = %.0f tx/s, "
           "%.0f entries/s\n",
           (unsigned long long)backlog, tcatch, (double)backlog / tcatch,
           (double)backlog * 4 / tcatch);
    t0 = now();
    seal_index_rebuild(s, 1);
    double trb = now() - t0;
    printf("(e) full index rebuild: %llu txs in %.2f s = %.0f entries/s\n",
           (unsigned long long)info.committed_tx, trb, (double)info.committed_tx * 4 / trb);
    t0 = now();
    seal_verify_report rep;
    int vrc = seal_verify(s, NULL, NULL, &rep);
    double tv = now() - t0;
    printf("    verify: %s, %llu txs in %.2f s = %.0f tx/s\n", vrc ? "FAILED" : "ok",
           (unsigned long long)rep.txs_checked, tv, (double)rep.txs_checked / tv);
    seal_close(s);
    printf("(f) peak RSS of this process: %ld KiB\n", peak_rss_kb());
    return 0;
}
