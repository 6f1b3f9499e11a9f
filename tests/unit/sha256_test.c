/* sha256_test.c - SHA-256 through the FIPS provider against NIST FIPS 180-4
 * example vectors, in all three forms (one-shot, parts, incremental). */
#include "testlib.h"

#include "crypto/cry.h"

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
    cry_part parts[] = {{"abcdbcdecdefdefg", 16}, {"", 0}, {"efghfghighijhijkijkljklmklmnlmnomnopnopq", 40}};
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

int main(void)
{
    t_init();
    RUN(test_nist_vectors);
    RUN(test_parts_and_incremental);
    return t_done();
}
