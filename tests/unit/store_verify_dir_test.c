/* store_verify_dir_test.c - seal_verify_dir, the offline read-only verifier.
 *
 * On copies of a store with tiny segments (several segments per log):
 *  - a clean store verifies, with counts and progress, and a callback can
 *    stop it;
 *  - torn tails of the tx log and value log (with the commit index cut to
 *    what was durable, as a crash leaves it) and cut commit index / hash tree
 *    files are findings (rep->notes, rep->tail_bytes), not errors; the bytes
 *    reported are exactly the bytes seal_open then cuts;
 *  - a tx log cut below what the commit index lists is corruption;
 *  - a flipped byte in any log is SEAL_ECORRUPT with the tx, file and offset;
 *  - in every case every file of the directory (index included) is
 *    byte-identical afterwards, with the same size and mtime, and no file is
 *    created or removed;
 *  - it works on a read-only directory: chmod -R a-w, and when running as
 *    root (where mode bits do not restrict) in a child that drops to an
 *    unprivileged uid, where seal_open itself is shown to fail;
 *  - a store open for writing is SEAL_EBUSY; a shared lock holder is not;
 *  - a missing store is SEAL_ENOTFOUND and nothing is created. */
#include "testlib.h"

#include "crypto/cry.h"
#include "log/log.h"
#include "seal/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTX 60
#define SEG 4096

static char g_pristine[600];
static seal_txhdr g_hdr[NTX + 1];

static void sh(const char *cmd)
{
    if (system(cmd) != 0)
        T_FAIL("command failed: %s", cmd);
}

static void copy_store(const char *dst)
{
    char cmd[3000];
    snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s' && cp -a '%s' '%s'", dst,
             dst, g_pristine, dst);
    sh(cmd);
}

/* ------------------------------------------------ directory fingerprint */
/* One line per file or directory: relative path, type, size, mtime and the
 * SHA-256 of a file's content. */
static char *g_fp;
static size_t g_fp_len, g_fp_cap;
static size_t g_fp_root;

static void fp_add(const char *s)
{
    size_t n = strlen(s);
    if (g_fp_len + n + 1 > g_fp_cap) {
        g_fp_cap = (g_fp_len + n + 1) * 2;
        g_fp = realloc(g_fp, g_fp_cap);
        if (!g_fp)
            abort();
    }
    memcpy(g_fp + g_fp_len, s, n + 1);
    g_fp_len += n;
}

static int fp_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    char line[1200], hex[65] = "-";
    if (type == FTW_F) {
        uint8_t h[32];
        FILE *f = fopen(path, "rb");
        cry_sha256_ctx *c = cry_sha256_new();
        if (!f || !c) {
            T_FAIL("cannot hash %s", path);
        } else {
            uint8_t buf[65536];
            size_t n;
            while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                cry_sha256_update(c, buf, n);
            cry_sha256_final(c, h);
            t_hex(hex, h, 32);
        }
        if (c)
            cry_sha256_free(c);
        if (f)
            fclose(f);
    }
    snprintf(line, sizeof(line), "%s %d %lld %lld.%09ld %s\n", path + g_fp_root, type,
             (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec, hex);
    fp_add(line);
    return 0;
}

/* Returns a malloc'ed fingerprint of the tree under |dir|. */
static char *fingerprint(const char *dir)
{
    g_fp = NULL;
    g_fp_len = g_fp_cap = 0;
    g_fp_root = strlen(dir);
    fp_add("");
    if (nftw(dir, fp_visit, 16, FTW_PHYS) != 0)
        T_FAIL("nftw %s", dir);
    return g_fp;
}

static int g_verifies; /* verify_dir calls checked for unchanged files */

/* Runs seal_verify_dir on |dir| and checks the tree is unchanged. */
static int verify_unchanged(const char *dir, seal_verify_report *rep, const char *ctx)
{
    char *before = fingerprint(dir);
    int rc = seal_verify_dir(dir, NULL, NULL, rep);
    char *after = fingerprint(dir);
    if (strcmp(before, after) != 0)
        T_FAIL("%s: the directory changed during verify_dir:\nbefore:\n%s\nafter:\n%s", ctx, before,
               after);
    free(before);
    free(after);
    g_verifies++;
    return rc;
}

/* ------------------------------------------------------------- store */
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

static long long g_rec_end[NTX + 1], g_val_end[NTX + 1];

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
            g_rec_end[k] = logical_pos(&tx, c.txloc) + c.size;
            g_val_end[k] = logical_pos(&val, c.vend);
            k++;
        }
        if (f)
            fclose(f);
    }
    CHECK_INT(k, NTX + 1);
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
        val[i] = (uint8_t)(i * 7 + 3);
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

/* Opens |dir| (repairing it) and returns the committed tx count. */
static uint64_t open_count(const char *dir)
{
    seal_options o;
    seal_options_default(&o);
    o.create_if_missing = 0;
    seal_store *s;
    uint64_t n = 0;
    uint8_t alh[32];
    int rc = seal_open(dir, &o, &s);
    if (rc) {
        T_FAIL("open %s: %s", dir, seal_last_error());
        return UINT64_MAX;
    }
    CHECK_OK(seal_state(s, &n, alh));
    CHECK_OK(seal_verify(s, NULL, NULL, NULL));
    seal_close(s);
    return n;
}

/* ----------------------------------------------------------- tests */
struct prog {
    int calls;
    uint64_t last_done, last_total;
    int stop_at; /* return non-zero at this call (0 = never) */
};

static int prog_cb(void *arg, uint64_t done, uint64_t total)
{
    struct prog *p = arg;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->stop_at && p->calls >= p->stop_at ? 77 : 0;
}

static void test_clean(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("clean"));
    copy_store(dir);
    seal_verify_report rep;
    CHECK_OK(verify_unchanged(dir, &rep, "clean"));
    CHECK_INT(rep.txs_checked, NTX);
    CHECK(rep.values_checked > NTX);
    CHECK(rep.bytes_checked > 0);
    CHECK_INT(rep.nnotes, 0);
    CHECK_INT(rep.tail_bytes, 0);
    CHECK_STR(rep.notes, "");
    /* the same counts as seal_verify on the open store */
    seal_store *s;
    seal_verify_report r2;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(seal_verify(s, NULL, NULL, &r2));
    seal_close(s);
    CHECK_INT(r2.values_checked, rep.values_checked);
    CHECK_INT(r2.bytes_checked, rep.bytes_checked);
    /* progress: the last call reports every tx */
    struct prog p = {0};
    CHECK_OK(seal_verify_dir(dir, prog_cb, &p, NULL));
    CHECK(p.calls >= 1);
    CHECK_INT(p.last_done, NTX);
    CHECK_INT(p.last_total, NTX);
    struct prog stop = {.stop_at = 1};
    CHECK_INT(seal_verify_dir(dir, prog_cb, &stop, NULL), 77);
}

static void test_empty_and_missing(void)
{
    char dir[600];
    seal_verify_report rep;
    snprintf(dir, sizeof(dir), "%s", t_path("nostore"));
    CHECK_ERR(seal_verify_dir(dir, NULL, NULL, &rep), SEAL_ENOTFOUND);
    struct stat st;
    CHECK(stat(dir, &st) != 0); /* nothing created */
    CHECK(mkdir(dir, 0755) == 0);
    CHECK_ERR(seal_verify_dir(dir, NULL, NULL, &rep), SEAL_ENOTFOUND);
    char p[700];
    snprintf(p, sizeof(p), "%s/seal.meta", dir);
    CHECK(stat(p, &st) != 0);
    snprintf(p, sizeof(p), "%s/tx", dir);
    CHECK(stat(p, &st) != 0);
    /* a new empty store: nothing to check, nothing to report */
    snprintf(dir, sizeof(dir), "%s", t_path("empty"));
    seal_store *s;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_OK(seal_close(s));
    CHECK_OK(verify_unchanged(dir, &rep, "empty store"));
    CHECK_INT(rep.txs_checked, 0);
    CHECK_INT(rep.nnotes, 0);
}

/* Cut |sub| at |cut| (logical byte) and, as a crash leaves it, the commit
 * index to the txs whose data is complete; expect findings, no error, and
 * exactly the reported bytes cut by a later open. */
static int torn_case(const char *sub, const char *ext, long long cut, bool cut_cix)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("torn"));
    copy_store(dir);
    struct logical l;
    list_log(dir, sub, ext, &l);
    if (cut < 0 || cut >= logical_total(&l))
        return 0;
    logical_cut(&l, cut);
    uint64_t want = NTX;
    bool tx = strcmp(sub, "tx") == 0;
    while (want > 0 && (tx ? g_rec_end[want] : g_val_end[want]) > cut)
        want--;
    if (cut_cix) {
        struct logical c;
        list_log(dir, "cix", "cix", &c);
        logical_cut(&c, (long long)want * CIX_REC_SIZE);
    }
    char ctx[200];
    snprintf(ctx, sizeof(ctx), "%s cut at %lld%s", sub, cut,
             cut_cix ? "" : " (commit index intact)");
    seal_verify_report rep;
    int rc = verify_unchanged(dir, &rep, ctx);
    if (!cut_cix) {
        /* the commit index lists txs whose data is gone: not a crash state */
        if (want == NTX)
            return 0; /* the cut removed nothing (at a record end) */
        if (rc != SEAL_ECORRUPT)
            T_FAIL("%s: verify_dir gave %s, expected ECORRUPT", ctx, t_errstr(rc));
        CHECK_INT(rep.bad_tx, want + 1);
        CHECK(strstr(rep.file, "/cix/") != NULL || strstr(rep.file, "/tx/") != NULL ||
              strstr(rep.file, "/val/") != NULL);
        return 1;
    }
    if (rc != 0) {
        T_FAIL("%s: verify_dir: %s: %s (%s)", ctx, t_errstr(rc), rep.what, seal_last_error());
        return 1;
    }
    CHECK_INT(rep.txs_checked, want);
    struct logical t0, v0;
    list_log(dir, "tx", "tx", &t0);
    list_log(dir, "val", "val", &v0);
    long long before = logical_total(&t0) + logical_total(&v0);
    if (rep.tail_bytes) {
        CHECK_INT(rep.tail_after_tx, want);
        CHECK(strstr(rep.notes, "would be cut on open") != NULL);
        char needle[64];
        snprintf(needle, sizeof(needle), "after tx %llu", (unsigned long long)want);
        if (!strstr(rep.notes, needle))
            T_FAIL("%s: notes do not name tx %llu: %s", ctx, (unsigned long long)want, rep.notes);
    }
    CHECK(strstr(rep.notes, "not listed") == NULL); /* the commit index was cut to match */
    CHECK(rep.nnotes >= 1);                         /* at least the hash tree has extra nodes */
    /* open cuts exactly what verify_dir reported */
    uint64_t n = open_count(dir);
    CHECK_INT(n, want);
    struct logical t1, v1;
    list_log(dir, "tx", "tx", &t1);
    list_log(dir, "val", "val", &v1);
    long long after = logical_total(&t1) + logical_total(&v1);
    if (before - after != (long long)rep.tail_bytes)
        T_FAIL("%s: open cut %lld bytes, verify_dir reported %llu (%s)", ctx, before - after,
               (unsigned long long)rep.tail_bytes, rep.notes);
    return 1;
}

static void test_torn_tails(void)
{
    int cases = 0, ecases = 0;
    const char *subs[2][2] = {{"tx", "tx"}, {"val", "val"}};
    for (int k = 0; k < 2; k++) {
        for (int t = 2; t <= NTX; t += 5) {
            long long end = k == 0 ? g_rec_end[t] : g_val_end[t];
            long long prev = k == 0 ? g_rec_end[t - 1] : g_val_end[t - 1];
            long long mid = prev + (end - prev) / 2;
            cases += torn_case(subs[k][0], subs[k][1], mid, true);
            cases += torn_case(subs[k][0], subs[k][1], end - 1, true);
            cases += torn_case(subs[k][0], subs[k][1], prev + 3, true);
            ecases += torn_case(subs[k][0], subs[k][1], mid, false);
        }
    }
    fprintf(stderr, "  %d torn tails, %d cuts below the commit index\n", cases, ecases);
    CHECK(cases > 40);
    CHECK(ecases > 10);
}

/* The commit index and hash tree cut: txs not listed, nodes to recompute. */
static void test_derived_files_cut(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("derived"));
    seal_verify_report rep;
    int cases = 0;
    for (long long recs = 0; recs < NTX; recs += 7) {
        copy_store(dir);
        struct logical c;
        list_log(dir, "cix", "cix", &c);
        logical_cut(&c, recs * CIX_REC_SIZE + (recs % 2 ? 13 : 0));
        CHECK_OK(verify_unchanged(dir, &rep, "cix cut"));
        CHECK_INT(rep.txs_checked, NTX);
        CHECK_INT(rep.tail_bytes, 0);
        CHECK(strstr(rep.notes, "not listed: would be added on open") != NULL);
        if (recs % 2)
            CHECK(strstr(rep.notes, "13 bytes after the record") != NULL);
        CHECK_INT(open_count(dir), NTX);
        cases++;
    }
    for (long long nodes = 0; nodes < 100; nodes += 9) {
        copy_store(dir);
        struct logical a;
        list_log(dir, "aht", "sha", &a);
        logical_cut(&a, nodes * 32 + 5);
        CHECK_OK(verify_unchanged(dir, &rep, "aht cut"));
        CHECK_INT(rep.txs_checked, NTX);
        CHECK(strstr(rep.notes, "would be recomputed on open") != NULL);
        CHECK_INT(open_count(dir), NTX);
        cases++;
    }
    /* a zero-filled commit index tail (extended, never written) */
    copy_store(dir);
    struct logical c;
    list_log(dir, "cix", "cix", &c);
    logical_cut(&c, 50 * CIX_REC_SIZE);
    list_log(dir, "cix", "cix", &c);
    if (truncate(c.path[c.n - 1], c.size[c.n - 1] + 3 * CIX_REC_SIZE) != 0)
        T_FAIL("extend cix");
    CHECK_OK(verify_unchanged(dir, &rep, "cix zero tail"));
    CHECK(strstr(rep.notes, "txs 51..60 are complete in the tx log but not listed") != NULL);
    CHECK(strstr(rep.notes, "192 bytes after the record of tx 50") != NULL);
    fprintf(stderr, "  %d cuts of the derived files\n", cases + 1);
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
    b ^= 0x04;
    if (pwrite(fd, &b, 1, off) != 1)
        T_FAIL("flip write %s", path);
    close(fd);
}

static void test_flips(void)
{
    static const char *logs[4][2] = {{"tx", "tx"}, {"val", "val"}, {"cix", "cix"}, {"aht", "sha"}};
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("flip"));
    int cases = 0;
    for (int k = 0; k < 4; k++) {
        struct logical l;
        list_log(g_pristine, logs[k][0], logs[k][1], &l);
        for (int sg = 0; sg < l.n; sg++) {
            for (long long off = sg % 3; off < l.size[sg]; off += 1 + l.size[sg] / 5) {
                copy_store(dir);
                char path[700];
                snprintf(path, sizeof(path), "%s/%s/%08d.%s", dir, logs[k][0], sg, logs[k][1]);
                flip_byte(path, off);
                char ctx[800];
                snprintf(ctx, sizeof(ctx), "flip %s offset %lld", path, off);
                seal_verify_report rep;
                int rc = verify_unchanged(dir, &rep, ctx);
                cases++;
                if (rc != SEAL_ECORRUPT) {
                    T_FAIL("%s: verify_dir gave %s (%s)", ctx, t_errstr(rc), rep.notes);
                    continue;
                }
                if (rep.bad_tx < 1 || rep.bad_tx > NTX)
                    T_FAIL("%s: bad_tx %llu", ctx, (unsigned long long)rep.bad_tx);
                if (strcmp(rep.file, path) != 0 || rep.offset > (uint64_t)off || !rep.what[0])
                    T_FAIL("%s: reported %s offset %llu: %s", ctx, rep.file,
                           (unsigned long long)rep.offset, rep.what);
                if (k == 2) { /* commit index: the record of that tx, exactly */
                    CHECK_INT(rep.bad_tx, sg * (SEG / CIX_REC_SIZE) + off / CIX_REC_SIZE + 1);
                    CHECK_INT(rep.offset, off / CIX_REC_SIZE * CIX_REC_SIZE);
                }
                if (k == 3)
                    CHECK_INT(rep.offset, off / 32 * 32);
                if (k == 0) { /* the record holding the byte */
                    long long cum = 0;
                    for (int i = 0; i < sg; i++)
                        cum += l.size[i];
                    long long p = cum + off;
                    uint64_t t = 1;
                    while (t < NTX && g_rec_end[t] <= p)
                        t++;
                    CHECK_INT(rep.bad_tx, t);
                }
                if (strstr(seal_last_error(), rep.file) == NULL)
                    T_FAIL("%s: seal_last_error does not name the file: %s", ctx,
                           seal_last_error());
            }
        }
    }
    fprintf(stderr, "  %d flipped bytes\n", cases);
    CHECK(cases > 60);
}

/* In a child that cannot write the store (uid 65534 when root): verify_dir
 * must work, seal_open must not. Sends the results through a pipe. */
struct ro_result {
    int open_rc;
    int verify_rc;
    seal_verify_report rep;
};

static void ro_child(int wfd, const char *parent, const char *name, bool drop)
{
    struct ro_result r;
    memset(&r, 0, sizeof(r));
    if (chdir(parent) != 0)
        _exit(3);
    if (drop && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
        _exit(4);
    if (drop && geteuid() == 0)
        _exit(5);
    seal_options o;
    seal_options_default(&o);
    o.create_if_missing = 0;
    seal_store *s = NULL;
    r.open_rc = seal_open(name, &o, &s);
    if (r.open_rc == 0)
        seal_close(s);
    r.verify_rc = seal_verify_dir(name, NULL, NULL, &r.rep);
    if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(6);
    _exit(0);
}

static void ro_case(const char *name, bool torn_tail)
{
    char dir[600], cmd[1500];
    snprintf(dir, sizeof(dir), "%s", t_path(name));
    copy_store(dir);
    if (torn_tail) {
        struct logical l;
        list_log(dir, "tx", "tx", &l);
        logical_cut(&l, g_rec_end[NTX] - 10);
        list_log(dir, "cix", "cix", &l);
        logical_cut(&l, (NTX - 1) * CIX_REC_SIZE);
    }
    snprintf(cmd, sizeof(cmd), "chmod -R a-w '%s' && chmod 0755 '%s'", dir, t_tmpdir());
    sh(cmd);
    char *before = fingerprint(dir);
    bool root = geteuid() == 0;
    int pfd[2];
    if (pipe(pfd) != 0) {
        T_FAIL("pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        ro_child(pfd[1], t_tmpdir(), name, root);
    }
    close(pfd[1]);
    struct ro_result r;
    ssize_t got = read(pfd[0], &r, sizeof(r));
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (got != (ssize_t)sizeof(r) || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        T_FAIL("%s: read-only child failed (exit %d)", name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    } else {
        /* the directory really is read-only to the child */
        if (r.open_rc == 0)
            T_FAIL("%s: seal_open succeeded on a read-only store", name);
        if (r.verify_rc != 0)
            T_FAIL("%s: verify_dir on a read-only store: %s: %s", name, t_errstr(r.verify_rc),
                   r.rep.what);
        CHECK_INT(r.rep.txs_checked, torn_tail ? NTX - 1 : NTX);
        if (torn_tail) {
            CHECK_INT(r.rep.tail_after_tx, NTX - 1);
            CHECK(strstr(r.rep.notes, "tx log: tail of") != NULL);
        } else {
            CHECK_INT(r.rep.nnotes, 0);
        }
    }
    char *after = fingerprint(dir);
    if (strcmp(before, after) != 0)
        T_FAIL("%s: the directory changed", name);
    free(before);
    free(after);
    snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", dir);
    sh(cmd);
    fprintf(stderr, "  %s: checked as %s\n", name,
            root ? "uid 65534 (running as root)" : "the owner with the write bits removed");
}

static void test_read_only_dir(void)
{
    ro_case("ro", false);
    ro_case("ro-torn", true);
}

static void test_locks(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("locks"));
    copy_store(dir);
    seal_store *s;
    seal_verify_report rep;
    CHECK_OK(seal_open(dir, NULL, &s));
    CHECK_ERR(seal_verify_dir(dir, NULL, NULL, &rep), SEAL_EBUSY);
    CHECK(strstr(rep.what, "open for writing") != NULL);
    CHECK_OK(seal_close(s));
    /* another reader holding a shared lock does not block it */
    char meta[700];
    snprintf(meta, sizeof(meta), "%s/seal.meta", dir);
    int fd = open(meta, O_RDONLY);
    CHECK(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0);
    CHECK_OK(verify_unchanged(dir, &rep, "shared lock held"));
    /* and a writer cannot open the store meanwhile */
    CHECK_ERR(seal_open(dir, NULL, &s), SEAL_EBUSY);
    close(fd);
}

int main(void)
{
    t_init();
    seal_log_set_level(SEAL_LOG_ERROR);
    build_pristine();
    RUN(test_clean);
    RUN(test_empty_and_missing);
    RUN(test_torn_tails);
    RUN(test_derived_files_cut);
    RUN(test_flips);
    RUN(test_read_only_dir);
    RUN(test_locks);
    fprintf(stderr, "  %d verify_dir runs checked for an unchanged directory\n", g_verifies);
    return t_done();
}
