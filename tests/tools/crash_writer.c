/* crash_writer.c - a writer process for the crash-safety test: several
 * threads commit txs concurrently to the store in DIR and print, the moment
 * each commit returns, one line "<tx id> <Alh hex> <content hash hex>" to
 * stdout (one write(2) per line, so lines never interleave). The content
 * hash is SHA-256 over the entries in tx order: u32 key length, key, u32
 * value length, value. It runs until it is killed.
 *
 * usage: crash_writer DIR THREADS SEED */
#include "seal/seal.h"
#include "seal/seal_fips.h"
#include "crypto/cry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static seal_store *g_s;
static unsigned g_seed;

struct rng {
    uint64_t x;
};

static uint64_t next(struct rng *r)
{
    r->x ^= r->x << 13;
    r->x ^= r->x >> 7;
    r->x ^= r->x << 17;
    return r->x;
}

static void *writer(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct rng r = {((uint64_t)g_seed << 20) ^ (uint64_t)(t + 1) * 0x9e3779b97f4a7c15ull};
    static const size_t big = 40000;
    uint8_t *val = malloc(big);
    for (unsigned n = 0;; n++) {
        seal_tx *tx;
        if (seal_tx_new(g_s, &tx))
            abort();
        cry_sha256_ctx *h = cry_sha256_new();
        int ne = 1 + (int)(next(&r) % 3);
        for (int e = 0; e < ne; e++) {
            char key[64];
            snprintf(key, sizeof(key), "w%u-t%d-%u-%d", g_seed, t, n, e);
            size_t vl = next(&r) % 1500;
            if (next(&r) % 20 == 0)
                vl = big - (next(&r) % 100);
            for (size_t i = 0; i < vl; i++)
                val[i] = (uint8_t)next(&r);
            uint8_t b[4];
            uint32_t kl = (uint32_t)strlen(key);
            b[0] = (uint8_t)(kl >> 24), b[1] = (uint8_t)(kl >> 16), b[2] = (uint8_t)(kl >> 8),
            b[3] = (uint8_t)kl;
            cry_sha256_update(h, b, 4);
            cry_sha256_update(h, key, kl);
            b[0] = (uint8_t)(vl >> 24), b[1] = (uint8_t)(vl >> 16), b[2] = (uint8_t)(vl >> 8),
            b[3] = (uint8_t)vl;
            cry_sha256_update(h, b, 4);
            cry_sha256_update(h, val, vl);
            if (seal_tx_add(tx, key, kl, val, vl, NULL))
                abort();
        }
        seal_txhdr hdr;
        int rc = seal_tx_commit(g_s, tx, &hdr);
        seal_tx_free(tx);
        uint8_t ch[32];
        cry_sha256_final(h, ch);
        cry_sha256_free(h);
        if (rc) {
            fprintf(stderr, "crash_writer: commit failed: %s (%s)\n", seal_strerror(rc),
                    seal_last_error());
            exit(2);
        }
        char line[200], ah[65], chh[65];
        for (int i = 0; i < 32; i++) {
            snprintf(ah + 2 * i, 3, "%02x", hdr.alh[i]);
            snprintf(chh + 2 * i, 3, "%02x", ch[i]);
        }
        int len = snprintf(line, sizeof(line), "%llu %s %s\n", (unsigned long long)hdr.id, ah, chh);
        if (write(1, line, (size_t)len) != len)
            exit(3);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: crash_writer DIR THREADS SEED\n");
        return 1;
    }
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "crash_writer: FIPS module did not start\n");
        return 1;
    }
    seal_log_set_level(SEAL_LOG_ERROR);
    int nt = atoi(argv[2]);
    g_seed = (unsigned)strtoul(argv[3], NULL, 10);
    seal_options o;
    seal_options_default(&o);
    o.segment_size = 64 * 1024;
    int rc = seal_open(argv[1], &o, &g_s);
    if (rc) {
        fprintf(stderr, "crash_writer: open: %s\n", seal_last_error());
        return 1;
    }
    pthread_t th[64];
    if (nt < 1 || nt > 64)
        nt = 4;
    for (int i = 0; i < nt; i++)
        pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    return 0;
}
