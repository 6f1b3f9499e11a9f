/* err.c - the one error table: codes to messages and names. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>

const char *seal_strerror(int err)
{
    switch (err) {
    case SEAL_OK:
        return "success";
#define SEAL_ERR_MSG(name, code, msg)                                                              \
    case SEAL_E##name:                                                                             \
        return msg;
        SEAL_ERR_MAP(SEAL_ERR_MSG)
#undef SEAL_ERR_MSG
    default:
        return "unknown error";
    }
}

const char *seal_errname(int err)
{
    switch (err) {
    case SEAL_OK:
        return "SEAL_OK";
#define SEAL_ERR_NAME(name, code, msg)                                                             \
    case SEAL_E##name:                                                                             \
        return "SEAL_E" #name;
        SEAL_ERR_MAP(SEAL_ERR_NAME)
#undef SEAL_ERR_NAME
    default:
        return "SEAL_E?";
    }
}

const char *seal_version(void)
{
#ifdef SEAL_VERSION_STRING
    return SEAL_VERSION_STRING;
#else
    return "0.0.0";
#endif
}

_Noreturn void seal_assert_fail(const char *expr, const char *file, int line)
{
    seal_log(SEAL_LOG_ERROR, "assert", "%s:%d: invariant failed: %s", file, line, expr);
    abort();
}

void seal_hex_encode(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long seal_hex_decode(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return (long)(n / 2);
}
