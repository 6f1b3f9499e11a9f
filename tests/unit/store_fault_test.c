/* store_fault_test.c - failed writes: a write that fails part way (fault
 * injection in the segmented-file layer, at many byte budgets) fails the
 * commit cleanly, leaves every file byte for byte as before, and the store
 * keeps working (values of large txs, written straight from the tx's
 * buffer, included); that includes a failure in the commit index write, which
 * comes after the data was synced (the round is undone); failures injected
 * while several threads commit (rounds in flight in the pipeline) leave
 * exactly the acknowledged txs; a failed fdatasync makes the store refuse
 * writes until it is reopened, and the reopened store is consistent; a real
 * file-size limit (RLIMIT_FSIZE in a child process) gives SEAL_ENOSPACE and
 * a consistent store. */
#include "testlib.h"

#include "seal/seal.h"
#include "log/log.h"
#include "mtree/mtree.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The data files of a store (not the key index, not seal.synced: that one
 * only records how far the derived files were synced, and moves with every
 * sync of them, a failed commit or not). */
static void hash_dir(const char *dir, char out[65])
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && find . -type f ! -path './index/*' ! -name seal.synced | LC_ALL=C sort | "
             "while read f; do echo \"$f\"; cat \"$f\"; done | sha256sum",
             dir);
    FILE *p = popen(cmd, "r");
    out[0] = 0;
    if (!p || fscanf(p, "%64s", out) != 1)
        T_FAIL("hash_dir");
    if (p)
        pclose(p);
}

static int commit_n(seal_store *s, int t, size_t vlen, seal_txhdr *h)
{
    static uint8_t val[70000];
    for (size_t i = 0; i < sizeof(val); i++)
        val[i] = (uint8_t)(i ^ (size_t)t);
    seal_tx *tx;
    int rc = seal_tx_new(s, &tx);
    for (int e = 0; e < 3 && rc == 0; e++) {
        char k[32];
        snprintf(k, sizeof(k), "key-%d-%d", t, e);
        rc = seal_tx_add(tx, k, strlen(k), val, vlen, NULL);
    }
    if (rc == 0)
        rc = seal_tx_commit(s, tx, h);
    seal_tx_free(tx);
    return rc;
}

static void test_write_failures(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("wf"));
    seal_options o;
    seal_options_default(&o);
    o.segment_size = 8192;
    seal_store *s;
    CHECK_OK(seal_open(dir, &o, &s));
    seal_txhdr h;
    int t = 0;
    for (; t < 10; t++)
        CHECK_OK(commit_n(s, t, 1000, &h));
    long long budgets[] = {0,    1,    31,   100,  199,  200,  201,  500,  700,
                           900,  1000, 2999, 3000, 3001, 3100, 4000, 5000, 6000,
                           7000, 8000, 8191, 8192, 8193, 9000, 9100};
    int cases = 0;
    for (size_t b = 0; b < SEAL_ARRAY_LEN(budgets); b++) {
        for (int big = 0; big < 2; big++) {
            size_t vlen = big ? 3000 : 200;
            uint64_t st0, st1;
            uint8_t alh0[32], alh1[32];
            char h0[65], h1[65];
            CHECK_OK(seal_state(s, &st0, alh0));
            hash_dir(dir, h0);
            segf_fail_after(budgets[b], b % 2 ? SEAL_ENOSPACE : SEAL_EIO);
            int rc = commit_n(s, 1000 + t, vlen, &h);
            segf_fail_after(-1, 0);
            if (rc == 0) { /* the budget covered every byte of this commit */
                CHECK_INT(h.id, st0 + 1);
                t++;
                continue;
            }
            if (rc != SEAL_ENOSPACE && rc != SEAL_EIO) {
                T_FAIL("budget %lld: commit gave %s", budgets[b], t_errstr(rc));
                continue;
            }
            CHECK(strstr(seal_last_error(), "nothing was written") != NULL);
            CHECK_OK(seal_state(s, &st1, alh1));
            CHECK_INT(st1, st0);
            CHECK_MEM(alh1, alh0, 32);
            hash_dir(dir, h1);
            if (strcmp(h0, h1) != 0)
                T_FAIL("budget %lld (%zu-byte values): files changed after a failed commit",
                       budgets[b], vlen);
            /* the store keeps working */
            CHECK_OK(commit_n(s, t++, vlen, &h));
            CHECK_INT(h.id, st0 + 1);
            cases++;
        }
    }
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    seal_close(s);
    CHECK_OK(seal_open(dir, &o, &s));
    uint64_t st2;
    uint8_t alh2[32];
    CHECK_OK(seal_state(s, &st2, alh2));
    CHECK_INT(st2, st);
    CHECK_MEM(alh2, alh, 32);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
    fprintf(stderr, "  %d failed writes\n", cases);
    CHECK(cases >= 25);
}

static void test_sync_failure(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("sf"));
    seal_store *s;
    CHECK_OK(seal_open(dir, NULL, &s));
    seal_txhdr h;
    for (int t = 0; t < 5; t++)
        CHECK_OK(commit_n(s, t, 100, &h));
    for (int which = 1; which <= 4; which++) {
        /* the hash tree and commit index are synced by one round per 10 ms:
         * after a pause the next commit syncs all four files */
        struct timespec pause = {0, 30000000};
        nanosleep(&pause, NULL);
        segf_fail_sync(which); /* value log, tx log, hash tree, commit index */
        int rc = commit_n(s, 100 + which, 100, &h);
        segf_fail_sync(0);
        CHECK_ERR(rc, SEAL_EIO);
        CHECK_ERR(commit_n(s, 200 + which, 100, &h), SEAL_ESTATE);
        seal_close(s);
        CHECK_OK(seal_open(dir, NULL, &s));
        uint64_t st;
        uint8_t alh[32];
        CHECK_OK(seal_state(s, &st, alh));
        CHECK_OK(seal_verify(s, NULL, NULL, NULL));
        CHECK_OK(commit_n(s, 300 + which, 100, &h));
        CHECK_INT(h.id, st + 1);
    }
    seal_close(s);
}

/* Bytes of every file under |dir|/|sub|. */
static long long sub_bytes(const char *dir, const char *sub)
{
    char p[800];
    long long n = 0;
    snprintf(p, sizeof(p), "%s/%s", dir, sub);
    DIR *d = opendir(p);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char f[1200];
        struct stat st;
        snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
        if (stat(f, &st) == 0 && S_ISREG(st.st_mode))
            n += st.st_size;
    }
    if (d)
        closedir(d);
    return n;
}

static bool file_has(const char *path, const char *needle)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

/* The commit index record is written after the round's data is durable; a
 * failure there undoes the round: every file as before, the store usable. */
/* Values of 60 KB per tx go from the tx's buffer to the value log in one
 * pwritev (segf_appendv's direct path): a failure anywhere in them, or in
 * the record after them, or at a segment switch, leaves the files as they
 * were. */
static void test_direct_write_failures(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("dwf"));
    seal_options o;
    seal_options_default(&o);
    o.segment_size = 256 * 1024; /* four txs' values per segment */
    seal_store *s;
    CHECK_OK(seal_open(dir, &o, &s));
    seal_txhdr h;
    int t = 0;
    long long budgets[] = {0,     1,     4095,  4096,  19999, 20000, 32768,
                           59999, 60000, 60001, 60100, 60300, 61000};
    int cases = 0;
    for (int round = 0; round < 5; round++) {
        CHECK_OK(commit_n(s, t++, 20000, &h)); /* moves the segment position */
        for (size_t b = 0; b < SEAL_ARRAY_LEN(budgets); b++) {
            uint64_t st0, st1;
            uint8_t alh0[32], alh1[32];
            char h0[65], h1[65];
            CHECK_OK(seal_state(s, &st0, alh0));
            hash_dir(dir, h0);
            segf_fail_after(budgets[b], b % 2 ? SEAL_ENOSPACE : SEAL_EIO);
            int rc = commit_n(s, 1000 + t, 20000, &h);
            segf_fail_after(-1, 0);
            if (rc == 0) {
                CHECK_INT(h.id, st0 + 1);
                t++;
                continue;
            }
            if (rc != SEAL_ENOSPACE && rc != SEAL_EIO) {
                T_FAIL("budget %lld: commit gave %s", budgets[b], t_errstr(rc));
                continue;
            }
            CHECK_OK(seal_state(s, &st1, alh1));
            CHECK_INT(st1, st0);
            CHECK_MEM(alh1, alh0, 32);
            hash_dir(dir, h1);
            if (strcmp(h0, h1) != 0)
                T_FAIL("round %d, budget %lld: files changed after a failed commit", round,
                       budgets[b]);
            cases++;
        }
    }
    CHECK_OK(commit_n(s, t++, 20000, &h));
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    seal_close(s);
    CHECK_OK(seal_open(dir, &o, &s));
    uint64_t st2;
    uint8_t alh2[32];
    CHECK_OK(seal_state(s, &st2, alh2));
    CHECK_INT(st2, st);
    CHECK_MEM(alh2, alh, 32);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
    fprintf(stderr, "  %d failed direct writes\n", cases);
    CHECK(cases >= 50);
}

static void test_cix_write_failure(void)
{
    char dir[600], logp[700];
    snprintf(dir, sizeof(dir), "%s", t_path("cixf"));
    snprintf(logp, sizeof(logp), "%s", t_path("cixf.log"));
    int lfd = open(logp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    seal_log_set_fd(lfd);
    seal_store *s;
    seal_txhdr h;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(commit_n(s, 100, 200, &h));
    CHECK_OK(commit_n(s, 101, 200, &h));
    long long v0 = sub_bytes(dir, "val"), t0 = sub_bytes(dir, "tx");
    CHECK_OK(commit_n(s, 102, 200, &h));
    long long vb = sub_bytes(dir, "val") - v0, rb = sub_bytes(dir, "tx") - t0;
    CHECK(vb == 600 && rb > 0);
    int cases = 0;
    long long ks[] = {0, 1, 40, 63};
    for (size_t i = 0; i < SEAL_ARRAY_LEN(ks); i++) {
        uint64_t st0, st1;
        uint8_t a0[32], a1[32];
        char h0[65], h1[65];
        CHECK_OK(seal_state(s, &st0, a0));
        uint64_t id = st0 + 1;
        long long ab = 32 * (long long)(mt_ah_nodes_upto(id) - mt_ah_nodes_upto(id - 1));
        hash_dir(dir, h0);
        segf_fail_after(vb + rb + ab + ks[i], i % 2 ? SEAL_ENOSPACE : SEAL_EIO);
        int rc = commit_n(s, 110 + (int)i, 200, &h);
        segf_fail_after(-1, 0);
        CHECK_ERR(rc, i % 2 ? SEAL_ENOSPACE : SEAL_EIO);
        CHECK(strstr(seal_last_error(), "nothing was written") != NULL);
        CHECK_OK(seal_state(s, &st1, a1));
        CHECK_INT(st1, st0);
        CHECK_MEM(a1, a0, 32);
        hash_dir(dir, h1);
        if (strcmp(h0, h1) != 0)
            T_FAIL("commit index failure at byte %lld: files changed", ks[i]);
        CHECK_OK(commit_n(s, 120 + (int)i, 200, &h));
        CHECK_INT(h.id, id);
        cases++;
    }
    CHECK(file_has(logp, "rolled back"));
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
    seal_log_set_fd(2);
    close(lfd);
    fprintf(stderr, "  %d commit index write failures\n", cases);
}

/* ---------------------------------------------- concurrent failures */
#define CF_THREADS 4
#define CF_TXS     60

struct cf_arg {
    seal_store *s;
    int thread;
    int ok, failed;
    uint64_t id[CF_TXS];
    uint8_t alh[CF_TXS][32];
    atomic_int *running;
    /* async: commits with seal_tx_commit_async and waits for the callback */
    bool async;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls; /* callbacks run for the tx in flight */
    int cb_rc;
    seal_txhdr cb_hdr;
};

static void cf_done(void *ud, int rc, const seal_txhdr *hdr, int index_rc)
{
    struct cf_arg *a = ud;
    (void)index_rc;
    pthread_mutex_lock(&a->mu);
    a->calls++;
    a->cb_rc = rc;
    if (hdr)
        a->cb_hdr = *hdr;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Commits |tx| the way the worker is set to: blocking, or asynchronously
 * (the store's driver threads do the work) waiting for exactly one
 * callback. */
static int cf_commit(struct cf_arg *a, seal_tx *tx, seal_txhdr *h)
{
    if (!a->async)
        return seal_tx_commit(a->s, tx, h);
    pthread_mutex_lock(&a->mu);
    a->calls = 0;
    pthread_mutex_unlock(&a->mu);
    int rc = seal_tx_commit_async(a->s, tx, 0, cf_done, a);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    while (a->calls == 0)
        pthread_cond_wait(&a->cv, &a->mu);
    rc = a->cb_rc;
    *h = a->cb_hdr;
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void *cf_worker(void *p)
{
    struct cf_arg *a = p;
    uint8_t val[300];
    for (int t = 0; t < CF_TXS; t++) {
        seal_tx *tx;
        seal_txhdr h;
        memset(val, a->thread * 16 + t, sizeof(val));
        int rc = seal_tx_new(a->s, &tx);
        for (int e = 0; e < 3 && rc == 0; e++) {
            char k[32];
            snprintf(k, sizeof(k), "cf-%d-%d-%d", a->thread, t, e);
            rc = seal_tx_add(tx, k, strlen(k), val, sizeof(val) - (size_t)e * 50, NULL);
        }
        if (rc == 0)
            rc = cf_commit(a, tx, &h);
        seal_tx_free(tx);
        if (rc == 0) {
            a->id[a->ok] = h.id;
            memcpy(a->alh[a->ok], h.alh, 32);
            a->ok++;
        } else if (rc == SEAL_EIO || rc == SEAL_ENOSPACE) {
            a->failed++;
        } else {
            T_FAIL("thread %d: commit gave %s: %s", a->thread, t_errstr(rc), seal_last_error());
            break;
        }
    }
    atomic_fetch_sub(a->running, 1);
    return NULL;
}

/* Every acknowledged tx is in the store with the Alh its committer got, no
 * id was given twice, and nothing else is there. */
static void cf_check(seal_store *s, struct cf_arg *args, const char *ctx)
{
    uint64_t st;
    uint8_t alh[32];
    int total = 0;
    CHECK_OK(seal_state(s, &st, alh));
    for (int i = 0; i < CF_THREADS; i++) {
        for (int k = 0; k < args[i].ok; k++) {
            seal_txinfo *ti = NULL;
            int rc = seal_tx_read(s, args[i].id[k], 0, &ti);
            if (rc != 0 || memcmp(ti->hdr.alh, args[i].alh[k], 32) != 0)
                T_FAIL("%s: acknowledged tx %llu is missing or differs", ctx,
                       (unsigned long long)args[i].id[k]);
            seal_txinfo_free(ti);
            total++;
        }
    }
    /* ids 1..st are exactly the acknowledged txs (the first 2 were made before) */
    if ((uint64_t)total + 2 != st)
        T_FAIL("%s: %d acknowledged txs + 2, store has %llu", ctx, total, (unsigned long long)st);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
}

/* Half the committers asynchronous when |async_half|. */
static void concurrent_failures(const char *name, bool async_half)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path(name));
    seal_store *s;
    seal_txhdr h;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(commit_n(s, 1, 100, &h));
    CHECK_OK(commit_n(s, 2, 100, &h));
    seal_log_set_level(SEAL_LOG_ERROR);
    int lfd = open("/dev/null", O_WRONLY);
    seal_log_set_fd(lfd);
    pthread_t th[CF_THREADS];
    static struct cf_arg args[CF_THREADS];
    atomic_int running = CF_THREADS;
    for (int i = 0; i < CF_THREADS; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        args[i].s = s;
        args[i].thread = i;
        args[i].running = &running;
        args[i].async = async_half && i % 2 == 1;
        pthread_mutex_init(&args[i].mu, NULL);
        pthread_cond_init(&args[i].cv, NULL);
        pthread_create(&th[i], NULL, cf_worker, &args[i]);
    }
    unsigned seed = 12345;
    int windows = 0;
    while (atomic_load(&running) > 0) {
        struct timespec d = {0, 2000000};
        nanosleep(&d, NULL);
        seed = seed * 1103515245u + 12345u;
        segf_fail_after((long long)(seed >> 8) % 6000, windows % 2 ? SEAL_ENOSPACE : SEAL_EIO);
        nanosleep(&d, NULL);
        segf_fail_after(-1, 0);
        windows++;
    }
    for (int i = 0; i < CF_THREADS; i++) {
        pthread_join(th[i], NULL);
        if (args[i].async && args[i].calls > 1)
            T_FAIL("thread %d: a callback ran %d times", i, args[i].calls);
        pthread_mutex_destroy(&args[i].mu);
        pthread_cond_destroy(&args[i].cv);
    }
    seal_log_set_fd(2);
    close(lfd);
    seal_log_set_level(SEAL_LOG_WARN);
    int ok = 0, failed = 0;
    for (int i = 0; i < CF_THREADS; i++) {
        ok += args[i].ok;
        failed += args[i].failed;
    }
    fprintf(stderr, "  %d commits acknowledged, %d failed, %d failure windows\n", ok, failed,
            windows);
    CHECK(ok > 0);
    CHECK(failed > 0);
    cf_check(s, args, "after the failures");
    /* the store keeps working */
    CHECK_OK(commit_n(s, 3, 100, &h));
    seal_close(s);
    CHECK_OK(seal_open(dir, NULL, &s));
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    CHECK_INT(st, h.id);
    CHECK_MEM(alh, h.alh, 32);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
}

static void test_concurrent_failures(void)
{
    concurrent_failures("cf", false);
}

/* The same with half the commits asynchronous (driver threads write,
 * sync and roll back; every callback runs once, with 0 or the error). */
static void test_concurrent_failures_async(void)
{
    concurrent_failures("cfa", true);
}

/* A real EFBIG from the kernel, in a child with a file size limit. */
static void test_rlimit_fsize(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("rl"));
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {300 * 1024, 300 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        seal_options o;
        seal_options_default(&o);
        o.segment_size = 4 << 20;
        seal_store *s;
        if (seal_open(dir, &o, &s) != 0)
            _exit(10);
        seal_txhdr h;
        uint64_t last_ok = 0;
        int rc = 0, t;
        for (t = 0; t < 100; t++) {
            rc = commit_n(s, t, 20000, &h);
            if (rc)
                break;
            last_ok = h.id;
        }
        int first_err = rc;
        /* a small tx still fits */
        int rc2 = commit_n(s, 999, 10, &h);
        if (rc2 == 0)
            last_ok = h.id;
        char line[100];
        int n = snprintf(line, sizeof(line), "%d %d %llu\n", first_err, rc2,
                         (unsigned long long)last_ok);
        if (write(p[1], line, (size_t)n) != n)
            _exit(11);
        seal_close(s);
        _exit(0);
    }
    close(p[1]);
    char buf[100] = {0};
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    int e1 = 0, e2 = 0;
    unsigned long long last = 0;
    CHECK(n > 0 && sscanf(buf, "%d %d %llu", &e1, &e2, &last) == 3);
    CHECK_INT(e1, SEAL_ENOSPACE);
    CHECK_INT(e2, 0);
    CHECK(last > 3);
    seal_store *s;
    CHECK_OK(seal_open(dir, NULL, &s));
    uint64_t stx;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &stx, alh));
    CHECK_INT(stx, last);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
}

int main(void)
{
    t_init();
    seal_log_set_level(SEAL_LOG_WARN);
    RUN(test_write_failures);
    RUN(test_direct_write_failures);
    RUN(test_cix_write_failure);
    RUN(test_concurrent_failures);
    RUN(test_concurrent_failures_async);
    RUN(test_sync_failure);
    RUN(test_rlimit_fsize);
    return t_done();
}
