/* log_crc_test.c - CRC-32C of the log framing (log_crc32c): the check value
 * of the standard, and agreement with a bit-by-bit reference for every
 * length up to 10000 bytes at several alignments (short buffers take one
 * stream, long ones three combined streams on CPUs with the crc32
 * instruction), and when continued over pieces. */
#include "testlib.h"

#include "log/log.h"

#include <stdlib.h>

static uint32_t ref_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void test_check_value(void)
{
    CHECK_INT(log_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_INT(log_crc32c(0, "", 0), 0);
    uint8_t z[32] = {0};
    CHECK_INT(log_crc32c(0, z, sizeof(z)), 0x8A9136AAu); /* RFC 3720 B.4 */
}

static void test_against_reference(void)
{
    enum { MAX = 10000 };
    uint8_t *buf = malloc(MAX + 8);
    CHECK(buf != NULL);
    if (!buf)
        return;
    uint32_t x = 12345;
    for (size_t i = 0; i < MAX + 8; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    int bad = 0;
    for (size_t n = 0; n <= MAX && bad < 5; n++) {
        size_t off = n % 8;
        uint32_t want = ref_crc(0, buf + off, n);
        uint32_t got = log_crc32c(0, buf + off, n);
        if (got != want) {
            T_FAIL("length %zu at offset %zu: %08x, want %08x", n, off, got, want);
            bad++;
        }
        /* continued: the first part, then the rest from its CRC */
        size_t cut = n / 3;
        if (log_crc32c(log_crc32c(0, buf + off, cut), buf + off + cut, n - cut) != want) {
            T_FAIL("length %zu cut at %zu: continued CRC differs", n, cut);
            bad++;
        }
    }
    /* a non-zero starting value over a long buffer */
    CHECK_INT(log_crc32c(0xdeadbeef, buf, MAX), ref_crc(0xdeadbeef, buf, MAX));
    free(buf);
}

int main(void)
{
    t_init();
    RUN(test_check_value);
    RUN(test_against_reference);
    return t_done();
}
