/* store_powerloss_test.c - power loss, simulated: what the disk holds after
 * the machine loses power in the middle of concurrent durable commits.
 *
 * Each iteration forks a child that commits from 4 threads (txs of 1 to 12
 * entries, values of 0 to 3000 bytes, 16 KiB segments so that segments roll
 * over) with a recorder on every segment file write and fdatasync
 * (segf_set_recorder). The recorder keeps, for each write, the bytes it
 * replaced and the bytes it wrote; an fdatasync that returns makes every
 * earlier write of that file durable. Writes run one at a time under the
 * recorder's lock (fdatasyncs run concurrently). After a random delay the
 * child takes the lock for good ("the power goes") and builds the disk
 * image of the store as a power loss could leave it:
 *   - the durable state of every file: its current bytes with every write
 *     not yet made durable undone, newest first;
 *   - plus, for each of those writes, a random subset of its 4 KiB pages
 *     (the page cache writes pages back in any order), and a file size
 *     anywhere from the durable size to the end of the writes (a size
 *     beyond the pages written reads as zeros);
 *   - seal.synced as it is, or missing;
 *   - no key index (it is rebuilt from the log: its own power-loss marker is
 *     tested in store_recovery_test).
 * It writes the image and the list of acknowledged txs (a commit that
 * returned; its durability came first) and exits. Half of the runs start
 * from the image the previous one left, untouched, so that recovery itself
 * runs under the recorder and the power can go in the middle of it; the
 * txs acknowledged by every run on that store must all be there. The parent opens the image
 * and checks that the offline verifier (seal_verify_dir) and open succeed
 * (a cut write is never taken for corruption), every acknowledged tx is there with its Alh and
 * content, the store verifies (seal_verify: every tx present complete and every hash right), and it
 * takes a new commit. SEAL_POWERLOSS_ITERS iterations (default 60). */
#include "testlib.h"

#include "seal/seal.h"
#include "crypto/cry.h"
#include "log/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define PAGE    4096
#define SEG     (16 * 1024)
#define MAXACK  100000

/* ------------------------------------------------------------ recorder */
struct op {
    dev_t dev;
    ino_t ino;
    uint64_t off, len, old_size, seq;
    uint8_t *old, *data; /* old: the bytes replaced (within old_size) */
    bool durable;
};

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static struct op *g_ops;
static size_t g_nops, g_opcap;
static uint64_t g_seq;

static void rec_write_begin(void *arg, int fd, uint64_t off, const struct iovec *iov, size_t n)
{
    (void)arg;
    pthread_mutex_lock(&g_m); /* held until rec_write_end: one write at a time */
    struct stat st;
    if (fstat(fd, &st) != 0)
        abort();
    uint64_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += iov[i].iov_len;
    if (g_nops == g_opcap) {
        g_opcap = g_opcap ? g_opcap * 2 : 1024;
        g_ops = realloc(g_ops, g_opcap * sizeof(*g_ops));
        if (!g_ops)
            abort();
    }
    struct op *o = &g_ops[g_nops++];
    memset(o, 0, sizeof(*o));
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->off = off;
    o->len = len;
    o->old_size = (uint64_t)st.st_size;
    o->seq = ++g_seq;
    o->data = malloc(len ? len : 1);
    uint64_t olen = o->old_size > off ? SEAL_MIN(len, o->old_size - off) : 0;
    o->old = malloc(olen ? olen : 1);
    if (!o->data || !o->old)
        abort();
    if (olen && pread(fd, o->old, olen, (off_t)off) != (ssize_t)olen)
        abort();
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(o->data + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
}

static void rec_write_end(void *arg)
{
    (void)arg;
    pthread_mutex_unlock(&g_m);
}

static void rec_sync_begin(void *arg, int fd, uint64_t *token)
{
    (void)arg;
    (void)fd;
    pthread_mutex_lock(&g_m);
    *token = g_seq; /* every write up to here has completed (they run under g_m) */
    pthread_mutex_unlock(&g_m);
}

static void rec_sync_end(void *arg, int fd, uint64_t token, int rc)
{
    (void)arg;
    struct stat st;
    if (fstat(fd, &st) != 0)
        abort();
    pthread_mutex_lock(&g_m); /* blocks for good once the power is gone */
    if (rc == 0)
        for (size_t i = 0; i < g_nops; i++)
            if (g_ops[i].seq <= token && g_ops[i].dev == st.st_dev && g_ops[i].ino == st.st_ino)
                g_ops[i].durable = true;
    pthread_mutex_unlock(&g_m);
}

/* A truncation (recovery cutting a torn tail) fsyncs the file it leaves:
 * everything written to it before is durable. It runs under g_m, like a
 * write, so that the image never sees half of one. */
static void rec_truncate_begin(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_m);
}

static void rec_truncate_end(void *arg, int fd)
{
    (void)arg;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0)
        for (size_t i = 0; i < g_nops; i++)
            if (g_ops[i].dev == st.st_dev && g_ops[i].ino == st.st_ino)
                g_ops[i].durable = true;
    pthread_mutex_unlock(&g_m);
}

static const segf_recorder g_recorder = {
    rec_write_begin,  rec_write_end, rec_sync_begin, rec_sync_end, rec_truncate_begin,
    rec_truncate_end, NULL};

/* --------------------------------------------------------------- child */
struct ackrec {
    uint64_t id;
    uint8_t alh[32];
    uint8_t ch[32]; /* SHA-256 over the tx's keys and values, in order */
};

static pthread_mutex_t g_ackm = PTHREAD_MUTEX_INITIALIZER;
static struct ackrec *g_acks;
static size_t g_nacks;
static seal_store *g_s;

static uint32_t rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static void *committer(void *p)
{
    uint32_t seed = (uint32_t)(uintptr_t)p;
    uint8_t val[3000];
    for (uint64_t n = 0;; n++) {
        seal_tx *tx;
        if (seal_tx_new(g_s, &tx) != 0)
            abort();
        int ne = 1 + (int)(rnd(&seed) % 12);
        cry_sha256_ctx *h = cry_sha256_new();
        for (int e = 0; e < ne; e++) {
            char key[48];
            snprintf(key, sizeof(key), "t%u-n%llu-e%d", (unsigned)((uintptr_t)p % 100),
                     (unsigned long long)n, e);
            size_t vl = rnd(&seed) % sizeof(val);
            for (size_t i = 0; i < vl; i++)
                val[i] = (uint8_t)(rnd(&seed));
            if (seal_tx_add(tx, key, strlen(key), val, vl, NULL) != 0)
                abort();
            cry_sha256_update(h, key, strlen(key));
            cry_sha256_update(h, val, vl);
        }
        struct ackrec a;
        cry_sha256_final(h, a.ch);
        cry_sha256_free(h);
        seal_txhdr hdr;
        if (seal_tx_commit(g_s, tx, &hdr) != 0)
            abort();
        seal_tx_free(tx);
        a.id = hdr.id;
        memcpy(a.alh, hdr.alh, 32);
        pthread_mutex_lock(&g_ackm);
        if (g_nacks < MAXACK)
            g_acks[g_nacks++] = a;
        pthread_mutex_unlock(&g_ackm);
    }
    return NULL;
}

static int write_all(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return close(fd);
}

/* The image of one segment file after the power loss, written to |dst|. */
static void image_file(const char *src, const char *dst, uint32_t *seed, long *torn_files)
{
    int fd = open(src, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        abort();
    uint64_t size = (uint64_t)st.st_size, cap = size;
    for (size_t i = 0; i < g_nops; i++)
        if (g_ops[i].dev == st.st_dev && g_ops[i].ino == st.st_ino)
            cap = SEAL_MAX(cap, g_ops[i].off + g_ops[i].len);
    uint8_t *b = calloc(1, cap ? cap : 1);
    if (!b || (size && pread(fd, b, size, 0) != (ssize_t)size))
        abort();
    close(fd);
    /* undo what is not durable, newest first */
    uint64_t end = 0; /* end of the writes that were not durable */
    bool any = false;
    for (size_t i = g_nops; i-- > 0;) {
        struct op *o = &g_ops[i];
        if (o->dev != st.st_dev || o->ino != st.st_ino || o->durable)
            continue;
        uint64_t olen = o->old_size > o->off ? SEAL_MIN(o->len, o->old_size - o->off) : 0;
        memcpy(b + o->off, o->old, olen);
        size = o->old_size;
        end = SEAL_MAX(end, o->off + o->len);
        any = true;
    }
    uint64_t durable = size;
    memset(b + durable, 0, cap - durable);
    if (any) {
        /* a random subset of the pages of those writes reached the disk */
        uint64_t reached = durable;
        for (size_t i = 0; i < g_nops; i++) {
            struct op *o = &g_ops[i];
            if (o->dev != st.st_dev || o->ino != st.st_ino || o->durable)
                continue;
            for (uint64_t pg = o->off / PAGE * PAGE; pg < o->off + o->len; pg += PAGE) {
                if (rnd(seed) % 3 == 0)
                    continue;
                uint64_t a = SEAL_MAX(pg, o->off), z = SEAL_MIN(pg + PAGE, o->off + o->len);
                memcpy(b + a, o->data + (a - o->off), z - a);
                reached = SEAL_MAX(reached, z);
            }
        }
        /* and the size: as the metadata reached the disk */
        switch (rnd(seed) % 4) {
        case 0:
            size = durable;
            break;
        case 1:
            size = reached;
            break;
        case 2:
            size = end;
            break;
        default:
            size = durable + rnd(seed) % (end - durable + 1);
            break;
        }
        if (size != durable)
            (*torn_files)++;
    }
    if (write_all(dst, b, size) != 0)
        abort();
    free(b);
}

static void image_dir(const char *src, const char *dst, uint32_t *seed, long *torn_files)
{
    static const char *subs[] = {"tx", "val", "cix", "aht"};
    char a[900], z[900];
    if (mkdir(dst, 0755) != 0)
        abort();
    snprintf(a, sizeof(a), "%s/seal.meta", src);
    snprintf(z, sizeof(z), "%s/seal.meta", dst);
    FILE *f = fopen(a, "rb");
    uint8_t meta[4096];
    size_t mn = f ? fread(meta, 1, sizeof(meta), f) : 0;
    if (!f || write_all(z, meta, mn) != 0)
        abort();
    fclose(f);
    /* seal.synced is written (not synced) after syncs of the derived files:
     * any value of it on the disk was true; its latest, or (one time in
     * four) none at all, as if its first write had not reached the disk */
    snprintf(a, sizeof(a), "%s/seal.synced", src);
    snprintf(z, sizeof(z), "%s/seal.synced", dst);
    f = fopen(a, "rb");
    mn = f ? fread(meta, 1, sizeof(meta), f) : 0;
    if (f)
        fclose(f);
    if (mn && rnd(seed) % 4 != 0 && write_all(z, meta, mn) != 0)
        abort();
    for (size_t k = 0; k < SEAL_ARRAY_LEN(subs); k++) {
        snprintf(a, sizeof(a), "%s/%s", src, subs[k]);
        snprintf(z, sizeof(z), "%s/%s", dst, subs[k]);
        if (mkdir(z, 0755) != 0)
            abort();
        DIR *d = opendir(a);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char fa[1200], fz[1200];
            snprintf(fa, sizeof(fa), "%s/%s", a, de->d_name);
            snprintf(fz, sizeof(fz), "%s/%s", z, de->d_name);
            image_file(fa, fz, seed, torn_files);
        }
        closedir(d);
    }
}

struct cut {
    const char *dir, *img, *acks;
    unsigned ms;
    uint32_t seed;
};

/* After |ms|, "the power goes": takes the recorder's lock for good (no write,
 * sync or truncation completes from then on), writes the image and the
 * acknowledged txs, and ends the process. */
static void *cutter(void *p)
{
    struct cut *c = p;
    struct timespec ts = {c->ms / 1000, (long)(c->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&g_m);
    pthread_mutex_lock(&g_ackm);
    long torn = 0;
    uint32_t seed = c->seed;
    image_dir(c->dir, c->img, &seed, &torn);
    FILE *f = fopen(c->acks, "wb");
    if (!f || fwrite(&torn, sizeof(torn), 1, f) != 1 ||
        fwrite(g_acks, sizeof(*g_acks), g_nacks, f) != g_nacks || fclose(f) != 0)
        _exit(4);
    _exit(0);
}

/* Opens the store in |dir| (a new one, or the image of an earlier power loss,
 * whose recovery then runs with the recorder on: the power can go during
 * it) and commits until the cutter ends the process. Never returns. */
static void child(const char *dir, const char *img, const char *acks, unsigned ms, uint32_t seed)
{
    static struct cut c;
    c = (struct cut){dir, img, acks, ms, seed};
    g_acks = calloc(MAXACK, sizeof(*g_acks));
    if (!g_acks)
        _exit(3);
    segf_set_recorder(&g_recorder);
    pthread_t ct;
    if (pthread_create(&ct, NULL, cutter, &c) != 0)
        _exit(3);
    seal_options o;
    seal_options_default(&o);
    o.segment_size = SEG;
    if (seal_open(dir, &o, &g_s) != 0) {
        fprintf(stderr, "child: open: %s\n", seal_last_error());
        _exit(5);
    }
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, committer, (void *)(uintptr_t)(seed * 7 + (uint32_t)i)))
            _exit(3);
    for (;;)
        pause();
}

/* -------------------------------------------------------------- parent */
static void content_hash(const seal_txinfo *ti, uint8_t out[32])
{
    cry_sha256_ctx *h = cry_sha256_new();
    for (size_t i = 0; i < ti->n; i++) {
        cry_sha256_update(h, ti->entries[i].key, ti->entries[i].key_len);
        cry_sha256_update(h, ti->entries[i].value, ti->entries[i].vlen);
    }
    cry_sha256_final(h, out);
    cry_sha256_free(h);
}

static void check_image(const char *img, const struct ackrec *a, size_t na, int it, long *kept,
                        long *extra)
{
    /* the offline verifier finds nothing but what open repairs */
    seal_verify_report vr;
    int rc = seal_verify_dir(img, NULL, NULL, &vr);
    if (rc) {
        T_FAIL("iteration %d: verify_dir after the power loss: %s: %s (%s)", it, t_errstr(rc),
               vr.what, seal_last_error());
        return; /* the image is kept as it is */
    }
    seal_options o;
    seal_options_default(&o);
    o.create_if_missing = 0;
    seal_store *s;
    rc = seal_open(img, &o, &s);
    if (rc) {
        T_FAIL("iteration %d: open after the power loss: %s", it, seal_last_error());
        return;
    }
    uint64_t st, max = 0;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    for (size_t i = 0; i < na; i++) {
        max = SEAL_MAX(max, a[i].id);
        if (a[i].id > st) {
            T_FAIL("iteration %d: acknowledged tx %llu lost (store ends at %llu)", it,
                   (unsigned long long)a[i].id, (unsigned long long)st);
            continue;
        }
        seal_txinfo *ti;
        if ((rc = seal_tx_read(s, a[i].id, 1, &ti)) != 0) {
            T_FAIL("iteration %d: acknowledged tx %llu: %s", it, (unsigned long long)a[i].id,
                   seal_last_error());
            continue;
        }
        uint8_t ch[32];
        content_hash(ti, ch);
        if (memcmp(ti->hdr.alh, a[i].alh, 32) != 0 || memcmp(ch, a[i].ch, 32) != 0)
            T_FAIL("iteration %d: acknowledged tx %llu differs", it, (unsigned long long)a[i].id);
        seal_txinfo_free(ti);
    }
    *kept += (long)na;
    *extra += (long)(st - max);
    seal_verify_report rep;
    if (seal_verify(s, NULL, NULL, &rep) != 0)
        T_FAIL("iteration %d: verify: %s", it, seal_last_error());
    seal_tx *tx;
    seal_txhdr h;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "after", 5, "power", 5, NULL));
    CHECK_OK(seal_tx_commit(s, tx, &h));
    CHECK_INT(h.id, st + 1);
    seal_tx_free(tx);
    seal_close(s);
}

static void test_power_loss(void)
{
    int iters = atoi(t_env("SEAL_POWERLOSS_ITERS", "60"));
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    unsigned seed0 = (unsigned)rand();
    fprintf(stderr, "  seed %u, %d power losses\n", seed0, iters);
    /* req: every tx acknowledged on this store so far, over chained runs */
    struct ackrec *a = calloc(MAXACK, sizeof(*a)), *req = calloc(MAXACK, sizeof(*req));
    size_t nreq = 0;
    long kept = 0, extra = 0, torn_files = 0, chained = 0;
    bool chain = false;
    CHECK(a != NULL && req != NULL);
    for (int it = 0; it < iters && a && req; it++) {
        char dir[700], img[700], raw[700], acks[700], cmd[4000];
        snprintf(dir, sizeof(dir), "%s", t_path("pl-store"));
        snprintf(img, sizeof(img), "%s", t_path("pl-image"));
        snprintf(raw, sizeof(raw), "%s", t_path("pl-raw"));
        snprintf(acks, sizeof(acks), "%s", t_path("pl-acks"));
        /* half the time, the next run opens the last image as the disk left
         * it (recovery included in what the power loss can cut) */
        if (chain)
            snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' && mv '%s' '%s'", dir, img, acks, raw,
                     dir);
        else
            snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s' '%s'", dir, img, acks, raw);
        if (system(cmd) != 0)
            T_FAIL("%s", cmd);
        if (!chain)
            nreq = 0;
        chained += chain;
        uint32_t seed = seed0 + (uint32_t)it * 7919u;
        unsigned ms = chain && (seed & 1) ? (seed >> 3) % 30 : 20 + (seed >> 3) % 250;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            child(dir, img, acks, ms, seed);
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            T_FAIL("iteration %d: the writer failed (status %d)", it, status);
            break;
        }
        FILE *f = fopen(acks, "rb");
        long torn = 0;
        size_t na = 0;
        if (!f || fread(&torn, sizeof(torn), 1, f) != 1)
            T_FAIL("iteration %d: no ack list", it);
        else
            na = fread(a, sizeof(*a), MAXACK, f);
        if (f)
            fclose(f);
        for (size_t i = 0; i < na && nreq < MAXACK; i++)
            req[nreq++] = a[i];
        torn_files += torn;
        chain = (seed >> 12) % 2 == 0;
        if (chain) {
            snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", img, raw);
            if (system(cmd) != 0)
                T_FAIL("%s", cmd);
        }
        int before = t_failures;
        check_image(img, req, nreq, it, &kept, &extra);
        if (t_failures > before) {
            fprintf(stderr, "  iteration %d failed (seed %u): its image is kept in %s\n", it, seed,
                    chain ? raw : img);
            break;
        }
    }
    fprintf(stderr,
            "  %ld acknowledged txs checked, %ld more complete txs kept, %ld files with a torn "
            "tail, %ld runs on the image of the power loss before\n",
            kept, extra, torn_files, chained);
    CHECK(kept > 0);
    CHECK(torn_files > 0);
    CHECK(chained > 0);
    free(a);
    free(req);
}

int main(void)
{
    t_init();
    RUN(test_power_loss);
    return t_done();
}
