/* store_recovery_test.c - framing and recovery of every file of a store, on
 * copies of a pristine store with tiny segments:
 *  - torn tails: each log (tx, value, commit index, hash tree) cut at many
 *    byte positions; open must succeed, log the cut, keep every tx that is
 *    complete in the tx and value logs (the commit index and hash tree are
 *    rebuilt from them), and the result must verify;
 *  - bit flips in the middle of each file: open or verify must fail with
 *    SEAL_ECORRUPT naming the tx and the file/offset, never drop data;
 *  - an invalid record in the unindexed tail followed by valid records is
 *    corruption, the same record at the very end is a torn tail;
 *  - a lost or stale key index is rebuilt. */
#include "testlib.h"

#include "seal/seal.h"
#include "log/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTX 60
#define SEG 4096

static char g_pristine[600];
static seal_txhdr g_hdr[NTX + 1];
static int g_logfd = -1;
static char g_logpath[600];

static void sh(const char *cmd)
{
    if (system(cmd) != 0)
        T_FAIL("command failed: %s", cmd);
}

static void copy_store(const char *dst)
{
    char cmd[2000];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", dst, g_pristine, dst);
    sh(cmd);
}

/* Segments of one log: count and sizes. */
struct logical {
    int n;
    long long size[512];
    char path[512][700];
};

static void list_log(const char *dir, const char *sub, const char *ext, struct logical *l)
{
    l->n = 0;
    for (int i = 0; i < 512; i++) {
        char p[700];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s/%08d.%s", dir, sub, i, ext);
        if (stat(p, &st) != 0)
            break;
        snprintf(l->path[i], sizeof(l->path[i]), "%s", p);
        l->size[i] = st.st_size;
        l->n++;
    }
}

static long long logical_total(const struct logical *l)
{
    long long t = 0;
    for (int i = 0; i < l->n; i++)
        t += l->size[i];
    return t;
}

/* Cuts the logical file at byte P: everything after is gone. */
static void logical_cut(struct logical *l, long long p)
{
    long long cum = 0;
    for (int i = 0; i < l->n; i++) {
        if (p < cum + l->size[i] || (i == l->n - 1 && p <= cum + l->size[i])) {
            if (truncate(l->path[i], p - cum) != 0)
                T_FAIL("truncate %s", l->path[i]);
            for (int j = i + 1; j < l->n; j++)
                unlink(l->path[j]);
            return;
        }
        cum += l->size[i];
    }
}

static long long logical_pos(const struct logical *l, uint64_t loc)
{
    long long cum = 0;
    for (uint32_t i = 0; i < log_loc_seg(loc); i++)
        cum += l->size[i];
    return cum + (long long)log_loc_off(loc);
}

/* Logical ends of each tx's record and values, from the pristine commit index. */
static long long g_rec_end[NTX + 1], g_val_end[NTX + 1];
static uint64_t g_txloc[NTX + 1];
static uint32_t g_txsize[NTX + 1];

static void load_ends(void)
{
    struct logical tx, val, cix;
    list_log(g_pristine, "tx", "tx", &tx);
    list_log(g_pristine, "val", "val", &val);
    list_log(g_pristine, "cix", "cix", &cix);
    int k = 1;
    for (int s = 0; s < cix.n && k <= NTX; s++) {
        FILE *f = fopen(cix.path[s], "rb");
        uint8_t b[CIX_REC_SIZE];
        while (f && k <= NTX && fread(b, 1, sizeof(b), f) == sizeof(b)) {
            cixrec c;
            CHECK_OK(cix_decode(b, &c));
            CHECK_INT(c.id, k);
            g_rec_end[k] = logical_pos(&tx, c.txloc) + c.size;
            g_txloc[k] = c.txloc;
            g_txsize[k] = c.size;
            g_val_end[k] = logical_pos(&val, c.vend);
            k++;
        }
        if (f)
            fclose(f);
    }
    CHECK_INT(k, NTX + 1);
}

static void log_to_file(void)
{
    snprintf(g_logpath, sizeof(g_logpath), "%s", t_path("log.txt"));
    if (g_logfd >= 0)
        close(g_logfd);
    g_logfd = open(g_logpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
    seal_log_set_fd(g_logfd);
}

static bool log_has(const char *needle)
{
    char buf[65536];
    ssize_t n = pread(g_logfd, buf, sizeof(buf) - 1, 0);
    if (n < 0)
        return false;
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

static void build_pristine(void)
{
    snprintf(g_pristine, sizeof(g_pristine), "%s", t_path("pristine"));
    seal_options o;
    seal_options_default(&o);
    o.segment_size = SEG;
    seal_store *s;
    CHECK_OK(seal_open(g_pristine, &o, &s));
    uint8_t val[3000];
    for (size_t i = 0; i < sizeof(val); i++)
        val[i] = (uint8_t)(i * 13 + 1);
    for (int t = 1; t <= NTX; t++) {
        seal_tx *tx;
        CHECK_OK(seal_tx_new(s, &tx));
        for (int e = 0; e < 1 + t % 4; e++) {
            char k[32];
            snprintf(k, sizeof(k), "k%02d-%d", t, e);
            size_t vl = (size_t)((t * 131 + e * 17) % 700);
            if (t % 17 == 0 && e == 0)
                vl = 2500;
            CHECK_OK(seal_tx_add(tx, k, strlen(k), val + t, vl, NULL));
        }
        CHECK_OK(seal_tx_commit(s, tx, &g_hdr[t]));
        seal_tx_free(tx);
    }
    CHECK_OK(seal_index_wait(s, NTX, 10000));
    CHECK_OK(seal_close(s));
    load_ends();
}

/* Opens |dir|, expects |want| txs matching the pristine ones, and a clean verify. */
static void expect_store(const char *dir, uint64_t want, const char *ctx)
{
    seal_options o;
    seal_options_default(&o);
    o.create_if_missing = 0;
    seal_store *s;
    int rc = seal_open(dir, &o, &s);
    if (rc) {
        T_FAIL("%s: open: %s: %s", ctx, t_errstr(rc), seal_last_error());
        return;
    }
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    if (st != want)
        T_FAIL("%s: %llu txs after recovery, expected %llu", ctx, (unsigned long long)st,
               (unsigned long long)want);
    if (st > 0 && st <= NTX)
        CHECK_MEM(alh, g_hdr[st].alh, 32);
    seal_verify_report rep;
    rc = seal_verify(s, NULL, NULL, &rep);
    if (rc)
        T_FAIL("%s: verify: %s", ctx, seal_last_error());
    /* the index agrees with the log: the last tx's first key is readable, a cut one is not */
    if (st > 0) {
        char k[32];
        snprintf(k, sizeof(k), "k%02d-0", (int)st);
        seal_entry e;
        seal_get_opts go = {.at_tx = st};
        if (seal_get(s, k, strlen(k), &go, 0, 0, &e) != 0)
            T_FAIL("%s: key of tx %llu not found", ctx, (unsigned long long)st);
        else
            seal_entry_clear(&e);
    }
    if (st < NTX) {
        char k[32];
        snprintf(k, sizeof(k), "k%02d-0", (int)st + 1);
        seal_entry e;
        CHECK_ERR(seal_get(s, k, strlen(k), NULL, 0, 0, &e), SEAL_ENOTFOUND);
        /* and the store takes new commits */
        seal_tx *tx;
        seal_txhdr h;
        CHECK_OK(seal_tx_new(s, &tx));
        CHECK_OK(seal_tx_add(tx, "new", 3, "v", 1, NULL));
        CHECK_OK(seal_tx_commit(s, tx, &h));
        CHECK_INT(h.id, st + 1);
        seal_tx_free(tx);
        if (seal_verify(s, NULL, NULL, NULL) != 0)
            T_FAIL("%s: verify after a new commit: %s", ctx, seal_last_error());
    }
    seal_close(s);
}

static void torn(const char *sub, const char *ext, int kind)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("torn"));
    struct logical l;
    list_log(g_pristine, sub, ext, &l);
    long long total = logical_total(&l);
    CHECK(l.n >= (kind == 2 ? 1 : 2)); /* several segments */
    int cases = 0;
    long long pts[200];
    int np = 0;
    for (int i = 0; i < 30; i++)
        pts[np++] = total * i / 30 + i % 7;
    for (int t = 1; t <= NTX; t += 3)
        pts[np++] = kind == 0 ? g_rec_end[t] : kind == 1 ? g_val_end[t] : kind == 2 ? t * 64 : 0;
    for (int i = 0; i < np; i++) {
        long long p = pts[i];
        for (int d = 0; d < 3; d++) {
            long long cut = d == 0 ? p : d == 1 ? p + 1 : p - 1;
            if (cut < 0 || cut >= total)
                continue;
            copy_store(dir);
            struct logical c;
            list_log(dir, sub, ext, &c);
            logical_cut(&c, cut);
            uint64_t want = NTX;
            if (kind == 0) { /* tx log: only records that end before the cut survive */
                while (want > 0 && g_rec_end[want] > cut)
                    want--;
            } else if (kind == 1) { /* value log */
                while (want > 0 && g_val_end[want] > cut)
                    want--;
            }
            log_to_file();
            char ctx[200];
            snprintf(ctx, sizeof(ctx), "%s cut at %lld of %lld", sub, cut, total);
            expect_store(dir, want, ctx);
            if (!log_has("cutting") && !log_has("dropped") && !log_has("recomputing") &&
                !log_has("keeping"))
                T_FAIL("%s: no cut logged", ctx);
            cases++;
        }
    }
    seal_log_set_fd(2);
    fprintf(stderr, "  %s: %d cut positions\n", sub, cases);
    CHECK(cases > 20);
}

static void test_torn_txlog(void)
{
    torn("tx", "tx", 0);
}

static void test_torn_vlog(void)
{
    torn("val", "val", 1);
}

static void test_torn_cix(void)
{
    torn("cix", "cix", 2);
}

static void test_torn_aht(void)
{
    torn("aht", "sha", 3);
}

static void flip_byte(const char *path, long long off)
{
    int fd = open(path, O_RDWR);
    uint8_t b;
    if (fd < 0 || pread(fd, &b, 1, off) != 1) {
        T_FAIL("flip %s", path);
        if (fd >= 0)
            close(fd);
        return;
    }
    b ^= 0x10;
    if (pwrite(fd, &b, 1, off) != 1)
        T_FAIL("flip write %s", path);
    close(fd);
}

/* A flipped byte must make open or verify fail with ECORRUPT naming a file/offset. */
static void flips(const char *sub, const char *ext, int skip_tail)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("flip"));
    struct logical l;
    list_log(g_pristine, sub, ext, &l);
    int cases = 0;
    for (int sg = 0; sg < l.n; sg++) {
        long long end = l.size[sg] - (sg == l.n - 1 ? skip_tail : 0);
        for (long long off = 0; off < end; off += 1 + end / 9) {
            copy_store(dir);
            char path[700];
            snprintf(path, sizeof(path), "%s/%s/%08d.%s", dir, sub, sg, ext);
            flip_byte(path, off);
            seal_options o;
            seal_options_default(&o);
            o.create_if_missing = 0;
            seal_store *s;
            log_to_file();
            int rc = seal_open(dir, &o, &s);
            char ctx[800];
            snprintf(ctx, sizeof(ctx), "flip %s offset %lld", path, off);
            if (rc) {
                if (rc != SEAL_ECORRUPT)
                    T_FAIL("%s: open gave %s", ctx, t_errstr(rc));
                const char *m = seal_last_error();
                if (!strstr(m, "tx ") || !strstr(m, "offset"))
                    T_FAIL("%s: message does not name tx and offset: %s", ctx, m);
            } else {
                uint64_t st;
                uint8_t alh[32];
                CHECK_OK(seal_state(s, &st, alh));
                if (st != NTX)
                    T_FAIL("%s: open dropped txs (%llu left)", ctx, (unsigned long long)st);
                seal_verify_report rep;
                rc = seal_verify(s, NULL, NULL, &rep);
                if (rc != SEAL_ECORRUPT)
                    T_FAIL("%s: verify gave %s", ctx, t_errstr(rc));
                else if (rep.bad_tx == 0 || !rep.file[0] || !strstr(rep.file, sub))
                    T_FAIL("%s: report does not name the tx/file: tx %llu file %s (%s)", ctx,
                           (unsigned long long)rep.bad_tx, rep.file, rep.what);
                seal_close(s);
            }
            cases++;
        }
    }
    seal_log_set_fd(2);
    fprintf(stderr, "  %s: %d flipped bytes\n", sub, cases);
    CHECK(cases >= 9);
}

static void test_flip_txlog(void)
{
    flips("tx", "tx", 0);
}

static void test_flip_vlog(void)
{
    flips("val", "val", 0);
}

static void test_flip_cix(void)
{
    flips("cix", "cix", 2 * CIX_REC_SIZE);
}

static void test_flip_aht(void)
{
    flips("aht", "sha", 4 * 32);
}

static void test_flip_meta(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("flipmeta"));
    copy_store(dir);
    char p[700];
    snprintf(p, sizeof(p), "%s/seal.meta", dir);
    flip_byte(p, 13);
    seal_store *s;
    CHECK_ERR(seal_open(dir, NULL, &s), SEAL_ECORRUPT);
    CHECK(strstr(seal_last_error(), "seal.meta") != NULL);
}

/* Txs after the commit index are the tail: kept when valid, cut when the
 * last one is bad, corruption when a bad one is followed by valid data. */
static void test_tail(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("tail"));
    struct logical c, tx;
    /* commit index cut to 40 records: 20 complete txs follow in the tail */
    copy_store(dir);
    list_log(dir, "cix", "cix", &c);
    logical_cut(&c, 40 * CIX_REC_SIZE);
    log_to_file();
    expect_store(dir, NTX, "cix cut to 40");
    CHECK(log_has("kept"));

    /* and a flipped byte in tx 45's record, with 46..60 after it */
    copy_store(dir);
    list_log(dir, "cix", "cix", &c);
    logical_cut(&c, 40 * CIX_REC_SIZE);
    list_log(dir, "tx", "tx", &tx);
    long long p = g_rec_end[44] + 20; /* inside tx 45 */
    long long cum = 0;
    int sg = 0;
    while (p >= cum + tx.size[sg])
        cum += tx.size[sg++];
    flip_byte(tx.path[sg], p - cum);
    seal_store *s;
    seal_options o;
    seal_options_default(&o);
    int rc = seal_open(dir, &o, &s);
    CHECK_ERR(rc, SEAL_ECORRUPT);
    if (rc == 0)
        seal_close(s);
    CHECK(strstr(seal_last_error(), "tx 45") != NULL);
    CHECK(strstr(seal_last_error(), "offset") != NULL);

    /* the same flip in the very last record (tx 60) is a torn tail: cut */
    copy_store(dir);
    list_log(dir, "cix", "cix", &c);
    logical_cut(&c, 40 * CIX_REC_SIZE);
    list_log(dir, "tx", "tx", &tx);
    p = g_rec_end[59] + 20;
    cum = 0;
    sg = 0;
    while (p >= cum + tx.size[sg])
        cum += tx.size[sg++];
    flip_byte(tx.path[sg], p - cum);
    log_to_file();
    expect_store(dir, NTX - 1, "flip in the last tail record");
    CHECK(log_has("cutting torn tail"));

    /* a bad value in the durable last tx is corruption, not a cut */
    copy_store(dir);
    struct logical v;
    list_log(dir, "val", "val", &v);
    flip_byte(v.path[v.n - 1], v.size[v.n - 1] - 1);
    rc = seal_open(dir, &o, &s);
    CHECK_ERR(rc, SEAL_ECORRUPT);
    if (rc == 0)
        seal_close(s);
    CHECK(strstr(seal_last_error(), "tx 60") != NULL);
    seal_log_set_fd(2);
}

static void test_index_rebuild(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("ixr"));
    copy_store(dir);
    char cmd[1000];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/index'", dir);
    sh(cmd);
    expect_store(dir, NTX, "index removed");
    /* garbage index */
    copy_store(dir);
    snprintf(cmd, sizeof(cmd), "echo garbage > '%s/index/data.mdb'", dir);
    sh(cmd);
    expect_store(dir, NTX, "index garbage");
    /* explicit rebuild on an open store */
    seal_store *s;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(seal_index_rebuild(s, 1));
    seal_entry e;
    CHECK_OK(seal_get(s, "k30-0", 5, NULL, 0, 0, &e));
    CHECK_INT(e.tx, 30);
    seal_entry_clear(&e);
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
}

/* A power loss can leave LMDB's meta page on disk without the pages it
 * points to (the store does not fsync each index txn). Simulated by zeroing
 * every page after the two meta pages: with an "unsynced" marker from
 * another boot, open rebuilds the index and everything reads back; with this
 * boot's marker (a process crash) the intact index is kept. */
static void test_index_power_loss(void)
{
    char dir[600], cmd[1400], mp[700], boot[37] = "";
    snprintf(mp, sizeof(mp), "%s/index/unsynced", g_pristine);
    CHECK(access(mp, F_OK) != 0); /* a clean close leaves no marker */
    snprintf(dir, sizeof(dir), "%s", t_path("ixpl"));
    snprintf(mp, sizeof(mp), "%s/index/unsynced", dir);
    copy_store(dir);
    struct stat st;
    char data[700];
    snprintf(data, sizeof(data), "%s/index/data.mdb", dir);
    CHECK(stat(data, &st) == 0 && st.st_size > 3 * 4096);
    snprintf(cmd, sizeof(cmd),
             "dd if=/dev/zero of='%s' bs=4096 seek=2 count=%lld conv=notrunc status=none", data,
             (long long)st.st_size / 4096 - 2);
    sh(cmd);
    FILE *f = fopen(mp, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("00000000-0000-4000-8000-000000000000", f);
        fclose(f);
    }
    log_to_file();
    expect_store(dir, NTX, "index pages lost, marker from another boot");
    CHECK(log_has("not flushed before the machine restarted"));
    CHECK(access(mp, F_OK) != 0);

    copy_store(dir);
    f = fopen("/proc/sys/kernel/random/boot_id", "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fread(boot, 1, 36, f) == 36);
        fclose(f);
    }
    f = fopen(mp, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(boot, f);
        fclose(f);
    }
    log_to_file();
    expect_store(dir, NTX, "marker from this boot");
    CHECK(!log_has("not flushed"));
    CHECK(!log_has("rebuild"));
    CHECK(access(mp, F_OK) != 0);
    seal_log_set_fd(2);
}

/* ------------------------------------------- power loss in the pipeline */
static void rec_path(const char *dir, int t, char *p, size_t cap)
{
    snprintf(p, cap, "%s/tx/%08u.tx", dir, log_loc_seg(g_txloc[t]));
}

/* Rewrites the durable mark of tx t's record (and its CRC). */
static void set_mark(const char *dir, int t, uint64_t mark)
{
    char p[700];
    rec_path(dir, t, p, sizeof(p));
    uint32_t n = g_txsize[t];
    uint8_t *b = malloc(n);
    int fd = open(p, O_RDWR);
    CHECK(fd >= 0 && b != NULL);
    if (fd >= 0 && b) {
        off_t off = (off_t)log_loc_off(g_txloc[t]);
        CHECK(pread(fd, b, n, off) == (ssize_t)n);
        CHECK_INT(seal_get_u32(b), TXREC_MAGIC2);
        seal_put_u64(b + n - 44, mark);
        seal_put_u32(b + n - 4, log_crc32c(0, b, n - 4));
        CHECK(pwrite(fd, b, n, off) == (ssize_t)n);
    }
    if (fd >= 0)
        close(fd);
    free(b);
}

/* Zeroes 16 bytes in the middle of tx t's record, or of its values. */
static void damage(const char *dir, int t, bool values)
{
    char p[700];
    off_t off;
    if (values) {
        struct logical v;
        list_log(dir, "val", "val", &v);
        long long at = (g_val_end[t - 1] + g_val_end[t]) / 2, cum = 0;
        int i = 0;
        while (i < v.n - 1 && at >= cum + v.size[i])
            cum += v.size[i++];
        snprintf(p, sizeof(p), "%s", v.path[i]);
        off = (off_t)(at - cum);
        CHECK(g_val_end[t] - g_val_end[t - 1] >= 32);
    } else {
        rec_path(dir, t, p, sizeof(p));
        off = (off_t)(log_loc_off(g_txloc[t]) + g_txsize[t] / 2);
    }
    uint8_t z[16] = {0};
    int fd = open(p, O_RDWR);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(pwrite(fd, z, sizeof(z), off) == (ssize_t)sizeof(z));
        close(fd);
    }
}

/* Keeps the first n commit index records (the lazily synced ones after
 * them were lost). */
static void cix_keep(const char *dir, int n)
{
    struct logical c;
    list_log(dir, "cix", "cix", &c);
    logical_cut(&c, (long long)n * CIX_REC_SIZE);
}

static uint64_t end_of(int t)
{
    return log_loc(log_loc_seg(g_txloc[t]), log_loc_off(g_txloc[t]) + g_txsize[t]);
}

/* A power loss while rounds were in flight: the commit index lists txs up
 * to B; txs B+1.. were written before any of them was known durable (their
 * durable marks say "durable up to the end of B"), and the page cache wrote
 * later ones back but not all of tx X. Open cuts at X (none of it was
 * acknowledged) instead of calling it corruption. When a later record's
 * mark shows X had been durable, the same damage is corruption and open
 * fails naming tx X. */
static void test_power_loss_tail(void)
{
    const int B = NTX - 6, X = NTX - 4;
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("plt"));
    for (int values = 0; values < 2; values++) {
        /* marks at the end of B, or at the start of X: not durable */
        for (int m = 0; m < 2; m++) {
            copy_store(dir);
            cix_keep(dir, B);
            for (int t = B + 1; t <= NTX; t++)
                set_mark(dir, t, m == 0 ? end_of(B) : end_of(X - 1));
            damage(dir, X, values);
            /* the offline verifier says the same: a tail open would cut */
            seal_verify_report vr;
            CHECK_OK(seal_verify_dir(dir, NULL, NULL, &vr));
            CHECK_INT(vr.tail_after_tx, X - 1);
            CHECK(vr.tail_bytes > 0);
            log_to_file();
            char ctx[120];
            snprintf(ctx, sizeof(ctx), "power loss, %s of tx %d damaged, marks %d",
                     values ? "values" : "record", X, m);
            expect_store(dir, X - 1, ctx);
            CHECK(log_has("power loss"));
        }
        /* the marks the writer really left (each tx was written after the
         * one before it was durable): corruption */
        copy_store(dir);
        cix_keep(dir, B);
        damage(dir, X, values);
        seal_verify_report vr;
        CHECK_ERR(seal_verify_dir(dir, NULL, NULL, &vr), SEAL_ECORRUPT);
        seal_store *s = NULL;
        CHECK_ERR(seal_open(dir, NULL, &s), SEAL_ECORRUPT);
        char want[32];
        snprintf(want, sizeof(want), "tx %d", X);
        CHECK(strstr(seal_last_error(), want) != NULL);
        /* one record after X whose mark covers X is enough */
        copy_store(dir);
        cix_keep(dir, B);
        for (int t = B + 1; t <= NTX; t++)
            set_mark(dir, t, t == NTX ? end_of(X) : end_of(B));
        damage(dir, X, values);
        s = NULL;
        CHECK_ERR(seal_open(dir, NULL, &s), SEAL_ECORRUPT);
        CHECK(strstr(seal_last_error(), "durable") != NULL);
    }
    /* the last record torn in its middle, its length intact (the file ends
     * with it): a torn tail for both the verifier and open */
    copy_store(dir);
    cix_keep(dir, B);
    damage(dir, NTX, false);
    seal_verify_report vr;
    CHECK_OK(seal_verify_dir(dir, NULL, NULL, &vr));
    CHECK_INT(vr.tail_after_tx, NTX - 1);
    log_to_file();
    expect_store(dir, NTX - 1, "last record torn in its middle");
    seal_log_set_fd(2);
}

int main(void)
{
    t_init();
    build_pristine();
    RUN(test_torn_txlog);
    RUN(test_torn_vlog);
    RUN(test_torn_cix);
    RUN(test_torn_aht);
    RUN(test_flip_txlog);
    RUN(test_flip_vlog);
    RUN(test_flip_cix);
    RUN(test_flip_aht);
    RUN(test_flip_meta);
    RUN(test_tail);
    RUN(test_power_loss_tail);
    RUN(test_index_rebuild);
    RUN(test_index_power_loss);
    return t_done();
}
