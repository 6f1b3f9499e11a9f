/* sha256_test.c - SHA-256 through the FIPS provider against NIST FIPS 180-4
 * example vectors, in all three forms (one-shot, parts, incremental). */
#include "testlib.h"

#include <pthread.h>

#include "crypto/cry_internal.h"

static void test_nist_vectors(void)
{
    uint8_t out[32];
    CHECK_OK(cry_sha256(out, "", 0));
    CHECK_HEX(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_OK(cry_sha256(out, "abc", 3));
    CHECK_HEX(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_OK(cry_sha256(out, m2, strlen(m2)));
    CHECK_HEX(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_parts_and_incremental(void)
{
    uint8_t a[32], b[32];
    cry_part parts[] = {
        {"abcdbcdecdefdefg", 16}, {"", 0}, {"efghfghighijhijkijkljklmklmnlmnomnopnopq", 40}};
    CHECK_OK(cry_sha256v(a, parts, 3));
    CHECK_HEX(a, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    /* One million 'a' (FIPS 180-4 example), fed in uneven pieces. */
    cry_sha256_ctx *c = cry_sha256_new();
    CHECK(c != NULL);
    char chunk[997];
    memset(chunk, 'a', sizeof(chunk));
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        CHECK_OK(cry_sha256_update(c, chunk, n));
        left -= n;
    }
    CHECK_OK(cry_sha256_final(c, b));
    CHECK_HEX(b, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* The context is reusable after final. */
    CHECK_OK(cry_sha256_update(c, "abc", 3));
    CHECK_OK(cry_sha256_final(c, b));
    CHECK_HEX(b, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cry_sha256_free(c);
}

/* Hashing calls the fips provider's SHA2-256 functions directly (sha256.c);
 * its results must be those of EVP for every length and every split. */
static void test_direct_path_matches_evp(void)
{
    CHECK(cry_sha256_is_direct());
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    CHECK(mc != NULL);
    uint8_t buf[1500], a[32], b[32];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 8));
    cry_sha256_ctx *c = cry_sha256_new();
    CHECK(c != NULL);
    for (size_t n = 0; n <= sizeof(buf); n += (n < 300 ? 1 : 61)) {
        unsigned int len = 0;
        CHECK(EVP_DigestInit_ex2(mc, cry_g_sha256, NULL) == 1);
        CHECK(EVP_DigestUpdate(mc, buf, n) == 1);
        CHECK(EVP_DigestFinal_ex(mc, b, &len) == 1 && len == 32);
        CHECK_OK(cry_sha256(a, buf, n));
        CHECK(memcmp(a, b, 32) == 0);
        size_t cut = n / 3;
        cry_part parts[] = {{buf, cut}, {buf + cut, n - cut}};
        CHECK_OK(cry_sha256v(a, parts, 2));
        CHECK(memcmp(a, b, 32) == 0);
        CHECK_OK(cry_sha256_update(c, buf, cut));
        CHECK_OK(cry_sha256_update(c, buf + cut, n - cut));
        CHECK_OK(cry_sha256_final(c, a));
        CHECK(memcmp(a, b, 32) == 0);
    }
    cry_sha256_free(c);
    EVP_MD_CTX_free(mc);
}

/* Each thread has its own provider context. */
static void *thread_hashes(void *arg)
{
    uint8_t *out = arg, v[64];
    for (int i = 0; i < 20000; i++) {
        memset(v, i & 0xff, sizeof(v));
        if (cry_sha256(out, v, sizeof(v)) != 0)
            memset(out, 0, 32);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    uint8_t outs[4][32], want[32], v[64];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, thread_hashes, outs[i]) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    memset(v, 19999 & 0xff, sizeof(v));
    CHECK_OK(cry_sha256(want, v, sizeof(v)));
    for (int i = 0; i < 4; i++)
        CHECK(memcmp(outs[i], want, 32) == 0);
}

int main(void)
{
    t_init();
    RUN(test_direct_path_matches_evp);
    RUN(test_threads);
    RUN(test_nist_vectors);
    RUN(test_parts_and_incremental);
    return t_done();
}
