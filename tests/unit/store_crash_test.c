/* store_crash_test.c - crash safety: runs tests/tools/crash_writer (4
 * threads committing concurrently, printing each acknowledged tx the moment
 * its commit returns), kills it with SIGKILL after a random delay, and after
 * each kill opens the store and checks that every acknowledged tx is there
 * with the same Alh and the same content, that the store verifies
 * (seal_verify: every tx present is complete and every hash matches), and
 * that no acknowledged id was reused. SEAL_CRASH_ITERS kills in total
 * (default 200); a fresh store every 25 kills keeps each check short. */
#include "testlib.h"

#include "seal/seal.h"
#include "crypto/cry.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ack {
    bool set;
    uint8_t alh[32];
    uint8_t ch[32];
};

static struct ack *g_acks;
static size_t g_cap;

static void ack_put(uint64_t id, const uint8_t alh[32], const uint8_t ch[32])
{
    if (id >= g_cap) {
        size_t cap = g_cap ? g_cap : 1024;
        while (cap <= id)
            cap *= 2;
        g_acks = realloc(g_acks, cap * sizeof(*g_acks));
        memset(g_acks + g_cap, 0, (cap - g_cap) * sizeof(*g_acks));
        g_cap = cap;
    }
    struct ack *a = &g_acks[id];
    if (a->set && (memcmp(a->alh, alh, 32) != 0 || memcmp(a->ch, ch, 32) != 0))
        T_FAIL("tx %llu acknowledged twice with different content", (unsigned long long)id);
    a->set = true;
    memcpy(a->alh, alh, 32);
    memcpy(a->ch, ch, 32);
}

/* Parses complete lines of |buf|; returns bytes consumed. */
static size_t parse_lines(char *buf, size_t n, uint64_t *max_id, long *count)
{
    size_t used = 0;
    for (;;) {
        char *nl = memchr(buf + used, '\n', n - used);
        if (!nl)
            break;
        *nl = 0;
        unsigned long long id;
        char ah[65], chh[65];
        if (sscanf(buf + used, "%llu %64s %64s", &id, ah, chh) == 3) {
            uint8_t alh[32], ch[32];
            t_unhex(alh, 32, ah);
            t_unhex(ch, 32, chh);
            ack_put(id, alh, ch);
            if (id > *max_id)
                *max_id = id;
            (*count)++;
        } else {
            T_FAIL("bad line from the writer: %s", buf + used);
        }
        used = (size_t)(nl - buf) + 1;
    }
    return used;
}

static double now_ms(void)
{
    return t_now() * 1000.0;
}

/* Runs the writer for |ms| milliseconds, then SIGKILL. */
static void run_and_kill(const char *writer, const char *dir, unsigned seed, int ms,
                         uint64_t *max_id, long *count)
{
    int p[2];
    if (pipe(p) != 0) {
        T_FAIL("pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char sd[32];
        snprintf(sd, sizeof(sd), "%u", seed);
        execl(writer, writer, dir, "4", sd, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    static char buf[1 << 20];
    size_t have = 0;
    double deadline = now_ms() + ms;
    bool killed = false;
    for (;;) {
        int wait = killed ? 1000 : (int)(deadline - now_ms());
        if (!killed && wait <= 0) {
            kill(pid, SIGKILL);
            killed = true;
            continue;
        }
        struct pollfd pf = {p[0], POLLIN, 0};
        int r = poll(&pf, 1, wait < 0 ? 0 : wait);
        if (r == 0)
            continue;
        ssize_t got = read(p[0], buf + have, sizeof(buf) - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* EOF: the writer is gone (every line it wrote is read) */
        have += (size_t)got;
        size_t used = parse_lines(buf, have, max_id, count);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
        T_FAIL("writer ended by itself (status %d) before the kill", st);
    if (have)
        T_FAIL("partial line from the writer");
}

static void content_hash(const seal_txinfo *ti, uint8_t out[32])
{
    cry_sha256_ctx *h = cry_sha256_new();
    for (size_t i = 0; i < ti->n; i++) {
        uint8_t b[4];
        uint32_t kl = (uint32_t)ti->entries[i].key_len, vl = ti->entries[i].vlen;
        b[0] = (uint8_t)(kl >> 24), b[1] = (uint8_t)(kl >> 16), b[2] = (uint8_t)(kl >> 8),
        b[3] = (uint8_t)kl;
        cry_sha256_update(h, b, 4);
        cry_sha256_update(h, ti->entries[i].key, kl);
        b[0] = (uint8_t)(vl >> 24), b[1] = (uint8_t)(vl >> 16), b[2] = (uint8_t)(vl >> 8),
        b[3] = (uint8_t)vl;
        cry_sha256_update(h, b, 4);
        cry_sha256_update(h, ti->entries[i].value, vl);
    }
    cry_sha256_final(h, out);
    cry_sha256_free(h);
}

static void check_store(const char *dir, uint64_t max_id, int iter)
{
    seal_store *s;
    seal_options o;
    seal_options_default(&o);
    o.create_if_missing = 0;
    int rc = seal_open(dir, &o, &s);
    if (rc == SEAL_ENOTFOUND && max_id == 0)
        return; /* killed before the store was created */
    if (rc) {
        T_FAIL("iteration %d: open: %s", iter, seal_last_error());
        return;
    }
    uint64_t st;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &st, alh));
    if (st < max_id)
        T_FAIL("iteration %d: store has %llu txs, tx %llu was acknowledged", iter,
               (unsigned long long)st, (unsigned long long)max_id);
    for (uint64_t id = 1; id < g_cap && id <= st; id++) {
        if (!g_acks[id].set)
            continue;
        seal_txinfo *ti;
        rc = seal_tx_read(s, id, 1, &ti);
        if (rc) {
            T_FAIL("iteration %d: acknowledged tx %llu: %s", iter, (unsigned long long)id,
                   seal_last_error());
            continue;
        }
        uint8_t ch[32];
        content_hash(ti, ch);
        if (memcmp(ti->hdr.alh, g_acks[id].alh, 32) != 0 || memcmp(ch, g_acks[id].ch, 32) != 0)
            T_FAIL("iteration %d: acknowledged tx %llu differs", iter, (unsigned long long)id);
        seal_txinfo_free(ti);
    }
    seal_verify_report rep;
    rc = seal_verify(s, NULL, NULL, &rep);
    if (rc)
        T_FAIL("iteration %d: verify: %s", iter, seal_last_error());
    seal_close(s);
}

static void test_crash(void)
{
    int iters = atoi(t_env("SEAL_CRASH_ITERS", "200"));
    char writer[700];
    snprintf(writer, sizeof(writer), "%s/tests/crash_writer", t_env("SEAL_BUILD_DIR", "."));
    if (access(writer, X_OK) != 0) {
        T_FAIL("crash_writer not found at %s", writer);
        return;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    unsigned seed0 = (unsigned)rand();
    fprintf(stderr, "  seed %u, %d kills\n", seed0, iters);
    long total_acks = 0;
    uint64_t max_id = 0;
    char dir[600] = "";
    double t0 = t_now();
    for (int it = 0; it < iters; it++) {
        if (it % 25 == 0) {
            snprintf(dir, sizeof(dir), "%s/crash%d", t_tmpdir(), it / 25);
            if (g_acks)
                memset(g_acks, 0, g_cap * sizeof(*g_acks));
            max_id = 0;
        }
        int ms = 5 + rand() % 150;
        long count = 0;
        run_and_kill(writer, dir, seed0 + (unsigned)it, ms, &max_id, &count);
        total_acks += count;
        check_store(dir, max_id, it);
        if (t_failures > 20)
            break;
    }
    fprintf(stderr, "  %d kills, %ld acknowledged txs checked, %.1f s\n", iters, total_acks,
            t_now() - t0);
    CHECK(total_acks > iters);
    free(g_acks);
}

int main(void)
{
    t_init();
    seal_log_set_level(SEAL_LOG_ERROR);
    RUN(test_crash);
    return t_done();
}
