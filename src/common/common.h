/* common.h - internal helpers shared by every layer: allocation through the
 * hooks, big-endian encoding, logging macros, checked arithmetic. */
#ifndef SEAL_INTERNAL_COMMON_H
#define SEAL_INTERNAL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "seal/seal_common.h"

#define SEAL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SEAL_MIN(a, b)    ((a) < (b) ? (a) : (b))
#define SEAL_MAX(a, b)    ((a) > (b) ? (a) : (b))
#define SEAL_UNUSED(x)    ((void)(x))

/* Allocation: all go through the hooks of seal_set_allocator. seal_xmalloc
 * never returns NULL for n == 0 (it allocates one byte). */
void *seal_malloc(size_t n);
void *seal_calloc(size_t count, size_t size);
void *seal_realloc(void *p, size_t n);
char *seal_strdup(const char *s);
void *seal_memdup(const void *p, size_t n);

/* Fault injection for tests: make the |nth| allocation from now fail (1 = the
 * next one), and every one after it when |sticky|. 0 disables. */
void seal_alloc_fail_at(long nth, bool sticky);
/* How many allocations were made since the process started (for tests). */
long seal_alloc_count(void);

/* Big-endian encoders/decoders: every integer in SealDB's formats is big-endian. */
static inline void seal_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void seal_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void seal_put_u64(uint8_t *p, uint64_t v)
{
    seal_put_u32(p, (uint32_t)(v >> 32));
    seal_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t seal_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t seal_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t seal_get_u64(const uint8_t *p)
{
    return ((uint64_t)seal_get_u32(p) << 32) | seal_get_u32(p + 4);
}

/* Logging. |component| is a short tag ("store", "crypto"). */
void seal_log(enum seal_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool seal_log_enabled(enum seal_log_level level);
#define SEAL_LOGE(comp, ...) seal_log(SEAL_LOG_ERROR, comp, __VA_ARGS__)
#define SEAL_LOGW(comp, ...) seal_log(SEAL_LOG_WARN, comp, __VA_ARGS__)
#define SEAL_LOGI(comp, ...) seal_log(SEAL_LOG_INFO, comp, __VA_ARGS__)
#define SEAL_LOGD(comp, ...)                                                                       \
    do {                                                                                           \
        if (seal_log_enabled(SEAL_LOG_DEBUG))                                                      \
            seal_log(SEAL_LOG_DEBUG, comp, __VA_ARGS__);                                           \
    } while (0)

/* Invariants on stored data stay checked in release builds. */
#define SEAL_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            seal_assert_fail(#cond, __FILE__, __LINE__);                                           \
    } while (0)
_Noreturn void seal_assert_fail(const char *expr, const char *file, int line);

/* Hex helpers (lower case). seal_hex_encode writes 2*n chars plus NUL. */
void seal_hex_encode(char *out, const uint8_t *p, size_t n);
/* Returns the number of bytes decoded, or -1 if |hex| is not valid hex of at
 * most |cap| bytes. */
long seal_hex_decode(uint8_t *out, size_t cap, const char *hex);

/* Base64 (RFC 4648). seal_b64_encode writes at most SEAL_B64_LEN(n) chars
 * plus a NUL to |out| and returns the count without the NUL. Flags:
 * SEAL_B64_URL for the URL alphabet ("-_"), SEAL_B64_NOPAD to leave out the
 * '=' padding. */
#define SEAL_B64_URL    1u
#define SEAL_B64_NOPAD  2u
#define SEAL_B64_LEN(n) (4 * (((n) + 2) / 3))
size_t seal_b64_encode(char *out, const uint8_t *p, size_t n, unsigned flags);
/* Strict decoding of |len| chars of standard padded base64: a length that is
 * a multiple of 4, '=' only at the end, canonical trailing bits. Returns the
 * number of bytes written to |out|, or -1 if the text is not such base64 or
 * needs more than |cap| bytes (|out| may then hold a partial result). An
 * empty text decodes to 0 bytes. */
long seal_b64_decode(uint8_t *out, size_t cap, const char *s, size_t len);

#endif
