/* grpc_fuzz_smoke_test.c - runs the libFuzzer entry point of
 * fuzz/h2_frame_fuzz.c on realistic HTTP/2 client traffic (made with an
 * nghttp2 client session) and on thousands of deterministic mutations of it,
 * so the fuzz target stays built and every run of the suite (ASan included)
 * exercises the server's frame handling with broken input. */
#include <nghttp2/nghttp2.h>

#include "../../fuzz/h2_frame_fuzz.c"
#include "schema.pb-c.h"
#include "testlib.h"

typedef struct seed {
    uint8_t *p;
    size_t n;
} seed;

/* Serialises what an nghttp2 client would send for |npaths| calls. */
static seed make_seed(const char *const *paths, size_t npaths, const uint8_t *msg, size_t mlen,
                      int nmsgs, bool extras)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_session *cl;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_client_new(&cl, cbs, NULL);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(cl, NGHTTP2_FLAG_NONE, iv, 1);
    /* Request bodies are assembled by hand below: headers only here. */
    int32_t ids[8];
    for (size_t i = 0; i < npaths; i++) {
        nghttp2_nv nv[] = {
            {(uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0},
            {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
            {(uint8_t *)":path", (uint8_t *)(uintptr_t)paths[i], 5, strlen(paths[i]), 0},
            {(uint8_t *)":authority", (uint8_t *)"x", 10, 1, 0},
            {(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0},
            {(uint8_t *)"grpc-timeout", (uint8_t *)"5S", 12, 2, 0},
            {(uint8_t *)"authorization", (uint8_t *)"Bearer t", 13, 8, 0},
        };
        ids[i] = nghttp2_submit_headers(cl, NGHTTP2_FLAG_NONE, -1, NULL, nv, 7, NULL);
    }
    if (extras) {
        nghttp2_submit_ping(cl, NGHTTP2_FLAG_NONE, NULL);
        nghttp2_submit_window_update(cl, NGHTTP2_FLAG_NONE, 0, 100000);
    }
    uint8_t *buf = seal_malloc(1 << 16);
    size_t n = 0;
    const uint8_t *d;
    ssize_t k;
    while ((k = nghttp2_session_mem_send(cl, &d)) > 0) {
        memcpy(buf + n, d, (size_t)k);
        n += (size_t)k;
    }
    /* DATA frames: |nmsgs| gRPC messages per stream, END_STREAM on the last. */
    for (size_t i = 0; i < npaths; i++) {
        for (int m = 0; m < nmsgs; m++) {
            size_t len = 5 + mlen;
            uint8_t hd[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, 0,
                             (uint8_t)(m == nmsgs - 1 ? 1 : 0)};
            seal_put_u32(hd + 5, (uint32_t)ids[i]);
            memcpy(buf + n, hd, 9);
            n += 9;
            buf[n] = 0;
            seal_put_u32(buf + n + 1, (uint32_t)mlen);
            memcpy(buf + n + 5, msg, mlen);
            n += 5 + mlen;
        }
    }
    nghttp2_session_del(cl);
    seed s = {seal_memdup(buf + 24, n - 24), n - 24}; /* the target adds the preface */
    seal_free(buf);
    return s;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void test_seeds_and_mutations(void)
{
    Immudb__Schema__KeyRequest kr;
    immudb__schema__key_request__init(&kr);
    kr.key.data = (uint8_t *)"key";
    kr.key.len = 3;
    uint8_t kb[32];
    size_t kl = immudb__schema__key_request__pack(&kr, kb);
    const char *health[] = {"/immudb.schema.ImmuService/Health"};
    const char *multi[] = {"/immudb.schema.ImmuService/Get", "/immudb.schema.ImmuService/Health",
                           "/no.Such/Method", "/immudb.schema.ImmuService/streamSet"};
    const char *stream[] = {"/immudb.schema.ImmuService/streamSet"};
    seed seeds[4];
    seeds[0] = make_seed(health, 1, (const uint8_t *)"", 0, 1, false);
    seeds[1] = make_seed(multi, 4, kb, kl, 1, true);
    seeds[2] = make_seed(stream, 1, kb, kl, 5, false);
    seeds[3] = make_seed(health, 1, kb, kl, 2, true);
    for (size_t i = 0; i < SEAL_ARRAY_LEN(seeds); i++)
        CHECK_INT(LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].n), 0);
    /* the seeds are real traffic: every request opened a call */
    CHECK_INT(atomic_load(&fz_srv->st_calls), 1 + 4 + 1 + 1);
    uint8_t *buf = seal_malloc(1 << 17);
    int runs = 4000;
    for (int r = 0; r < runs; r++) {
        seed *sd = &seeds[rnd() % SEAL_ARRAY_LEN(seeds)];
        size_t n = sd->n;
        memcpy(buf, sd->p, n);
        int muts = 1 + (int)(rnd() % 4);
        for (int m = 0; m < muts && n > 0; m++) {
            size_t at = rnd() % n;
            switch (rnd() % 5) {
            case 0:
                buf[at] ^= (uint8_t)(1u << (rnd() % 8));
                break;
            case 1:
                buf[at] = (uint8_t)rnd();
                break;
            case 2:
                n = at;
                break;
            case 3: { /* duplicate a range */
                size_t len = SEAL_MIN(rnd() % 64, n - at);
                if (n + len < (1 << 17)) {
                    memmove(buf + at + len, buf + at, n - at);
                    n += len;
                }
                break;
            }
            default: /* interesting values in length/type/flags positions */
                buf[at] = (uint8_t[]){0, 1, 0x7f, 0x80, 0xff, 4, 8, 9}[rnd() % 8];
                break;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    seal_free(buf);
    for (size_t i = 0; i < SEAL_ARRAY_LEN(seeds); i++)
        seal_free(seeds[i].p);
    /* nothing is left behind */
    CHECK_INT(fz_srv->nconns, 0);
    CHECK(fz_srv->dirty == NULL);
    CHECK(fz_srv->dead == NULL);
    gs_server_free(fz_srv);
    fz_srv = NULL;
}

int main(void)
{
    t_init();
    RUN(test_seeds_and_mutations);
    return t_done();
}
