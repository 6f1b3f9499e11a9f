/* common_test.c - the error table, logging (text and JSON, levels) and the
 * allocation hooks with fail-Nth injection. */
#include "testlib.h"

#include "common/common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static void test_error_table(void)
{
    static const int codes[] = {
#define X(name, code, msg) code,
        SEAL_ERR_MAP(X)
#undef X
    };
    CHECK_STR(seal_strerror(0), "success");
    CHECK_STR(seal_strerror(-9999), "unknown error");
    CHECK_STR(seal_errname(SEAL_ECORRUPT), "SEAL_ECORRUPT");
    CHECK_STR(seal_strerror(SEAL_EVERIFY), "proof did not verify");
    /* Codes are negative, unique and contiguous from -1 (only ever appended). */
    for (size_t i = 0; i < SEAL_ARRAY_LEN(codes); i++) {
        CHECK_INT(codes[i], -(int)(i + 1));
        CHECK(strcmp(seal_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(seal_strerror(codes[i]), seal_strerror(codes[j])) != 0);
    }
}

/* Captures what the logger writes through a pipe. */
static size_t capture(char *buf, size_t cap, void (*emit)(void))
{
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    seal_log_set_fd(fds[1]);
    emit();
    seal_log_set_fd(2);
    close(fds[1]);
    ssize_t n = read(fds[0], buf, cap - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

static void emit_levels(void)
{
    SEAL_LOGE("unit", "an error %d", 7);
    SEAL_LOGI("unit", "some info");
    SEAL_LOGD("unit", "debug detail");
}

static void emit_json(void)
{
    SEAL_LOGW("unit", "quote \" backslash \\ newline \n tab \t end");
}

static void test_logging(void)
{
    char buf[4096];
    seal_log_set_level(SEAL_LOG_INFO);
    capture(buf, sizeof(buf), emit_levels);
    CHECK(strstr(buf, "error [unit] an error 7") != NULL);
    CHECK(strstr(buf, "info  [unit] some info") != NULL);
    CHECK(strstr(buf, "debug detail") == NULL);

    seal_log_set_level(SEAL_LOG_DEBUG);
    capture(buf, sizeof(buf), emit_levels);
    CHECK(strstr(buf, "debug detail") != NULL);

    seal_log_set_level(SEAL_LOG_ERROR);
    capture(buf, sizeof(buf), emit_levels);
    CHECK(strstr(buf, "an error 7") != NULL);
    CHECK(strstr(buf, "some info") == NULL);

    seal_log_set_level(SEAL_LOG_INFO);
    seal_log_set_json(1);
    capture(buf, sizeof(buf), emit_json);
    seal_log_set_json(0);
    CHECK(strncmp(buf, "{\"ts\":\"", 7) == 0);
    CHECK(strstr(buf, "\"level\":\"warn\",\"component\":\"unit\"") != NULL);
    CHECK(strstr(buf, "quote \\\" backslash \\\\ newline \\u000a tab \\u0009 end\"}\n") != NULL);
    /* Exactly one line. */
    CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);

    enum seal_log_level lv = SEAL_LOG_ERROR;
    CHECK_OK(seal_log_level_parse("debug", &lv));
    CHECK_INT(lv, SEAL_LOG_DEBUG);
    CHECK_ERR(seal_log_level_parse("loud", &lv), SEAL_EINVAL);
    CHECK_INT(lv, SEAL_LOG_DEBUG);
}

static long g_hook_calls;
static void *counting_malloc(size_t n)
{
    g_hook_calls++;
    return malloc(n);
}

static void test_alloc_hooks(void)
{
    /* Fail the 3rd allocation from now, once. */
    seal_alloc_fail_at(3, false);
    void *a = seal_malloc(8), *b = seal_malloc(8), *c = seal_malloc(8), *d = seal_malloc(8);
    CHECK(a && b && !c && d);
    seal_free(a);
    seal_free(b);
    seal_free(d);
    /* Sticky: every allocation from the 2nd on fails, until disabled. */
    seal_alloc_fail_at(2, true);
    a = seal_malloc(1);
    CHECK(a != NULL);
    CHECK(seal_malloc(1) == NULL);
    CHECK(seal_strdup("x") == NULL);
    CHECK(seal_calloc(2, 2) == NULL);
    seal_alloc_fail_at(0, false);
    seal_free(a);
    /* Overflowing calloc is refused without allocating. */
    CHECK(seal_calloc(SIZE_MAX / 2, 4) == NULL);
    /* A custom allocator sees every allocation; NULL restores libc. */
    seal_allocator al = {counting_malloc, NULL, NULL};
    seal_set_allocator(&al);
    char *s = seal_strdup("hello");
    void *z = seal_calloc(3, 3);
    seal_set_allocator(NULL);
    CHECK_INT(g_hook_calls, 2);
    CHECK_STR(s, "hello");
    CHECK(z && ((unsigned char *)z)[8] == 0);
    seal_free(s);
    seal_free(z);
}

static void test_hex_and_endian(void)
{
    uint8_t b[8];
    char h[17];
    seal_put_u64(b, 0x0102030405060708ull);
    seal_hex_encode(h, b, 8);
    CHECK_STR(h, "0102030405060708");
    CHECK(seal_get_u64(b) == 0x0102030405060708ull);
    CHECK_INT(seal_get_u32(b + 4), 0x05060708);
    CHECK_INT(seal_get_u16(b + 6), 0x0708);
    uint8_t out[4];
    CHECK_INT(seal_hex_decode(out, sizeof(out), "DEADbeef"), 4);
    CHECK_INT(out[0], 0xde);
    CHECK_INT(seal_hex_decode(out, sizeof(out), "abc"), -1);
    CHECK_INT(seal_hex_decode(out, sizeof(out), "zz"), -1);
    CHECK_INT(seal_hex_decode(out, sizeof(out), "0011223344"), -1);
}

/* RFC 4648 section 10 vectors, both alphabets, with and without padding,
 * and the strict decoder's refusals. */
static void test_base64(void)
{
    static const char *const vec[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    char out[32];
    uint8_t dec[16];
    for (size_t i = 0; i < SEAL_ARRAY_LEN(vec); i++) {
        size_t n = strlen(vec[i][0]);
        CHECK_INT(seal_b64_encode(out, (const uint8_t *)vec[i][0], n, 0), strlen(vec[i][1]));
        CHECK_STR(out, vec[i][1]);
        CHECK(strlen(out) <= SEAL_B64_LEN(n));
        CHECK_INT(seal_b64_decode(dec, sizeof(dec), vec[i][1], strlen(vec[i][1])), n);
        CHECK(memcmp(dec, vec[i][0], n) == 0);
        /* unpadded: the same text without its '=' */
        seal_b64_encode(out, (const uint8_t *)vec[i][0], n, SEAL_B64_NOPAD);
        CHECK_INT(strcspn(vec[i][1], "="), strlen(out));
        CHECK(strncmp(out, vec[i][1], strlen(out)) == 0);
    }
    const uint8_t hi[] = {0xfb, 0xff, 0xbf};
    seal_b64_encode(out, hi, 3, 0);
    CHECK_STR(out, "+/+/");
    seal_b64_encode(out, hi, 3, SEAL_B64_URL);
    CHECK_STR(out, "-_-_");
    seal_b64_encode(out, hi, 2, SEAL_B64_URL);
    CHECK_STR(out, "-_8=");
    seal_b64_encode(out, hi, 2, SEAL_B64_URL | SEAL_B64_NOPAD);
    CHECK_STR(out, "-_8");
    /* refusals: length, alphabet, '=' inside, non-canonical bits, capacity */
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "Zm9", 3), -1);
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "-_-_", 4), -1);
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "Zg==Zm9v", 8), -1);
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "Z===", 4), -1);
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "Zh==", 4), -1);
    CHECK_INT(seal_b64_decode(dec, sizeof(dec), "Zm9=", 4), -1);
    CHECK_INT(seal_b64_decode(dec, 5, "Zm9vYmFy", 8), -1);
    CHECK_INT(seal_b64_decode(dec, 6, "Zm9vYmFy", 8), 6);
    CHECK_INT(seal_b64_decode(dec, 0, "", 0), 0);
}

int main(void)
{
    t_init();
    RUN(test_error_table);
    RUN(test_logging);
    RUN(test_alloc_hooks);
    RUN(test_hex_and_endian);
    RUN(test_base64);
    return t_done();
}
