/* seal_common.h - what every SealDB public header shares: the export macro,
 * the error codes and their messages, version, logging and allocation hooks.
 *
 * Conventions for the whole public API:
 *  - functions return int: 0 on success, a negative SEAL_E* code otherwise;
 *  - outputs are written only on success;
 *  - each function's comment says who owns what it returns. */
#ifndef SEAL_COMMON_H
#define SEAL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SEAL_BUILDING_LIB) || defined(SEAL_BUILDING_CLIENT)
#define SEAL_API __attribute__((visibility("default")))
#else
#define SEAL_API
#endif
#define SEAL_WARN_UNUSED __attribute__((warn_unused_result))

/* The error table. Codes are negative, stable, and only ever appended.
 * CORRUPT (stored data failed a check) and VERIFY (a proof did not verify)
 * are never reported as I/O errors. */
#define SEAL_ERR_MAP(X)                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(IO, -2, "I/O error")                                                                         \
    X(CORRUPT, -3, "stored data failed an integrity check")                                        \
    X(VERIFY, -4, "proof did not verify")                                                          \
    X(CRYPTO, -5, "cryptographic operation failed")                                                \
    X(FIPS, -6, "FIPS provider unavailable or not in force")                                       \
    X(NOTALLOWED, -7, "algorithm or parameter not allowed by the FIPS policy")                     \
    X(INVAL, -8, "invalid argument")                                                               \
    X(LIMIT, -9, "request exceeds a configured limit")                                             \
    X(NOTFOUND, -10, "not found")                                                                  \
    X(EXISTS, -11, "already exists")                                                               \
    X(PRECONDITION, -12, "precondition failed")                                                    \
    X(CLOSED, -13, "object is closed")                                                             \
    X(BUSY, -14, "resource is busy or locked")                                                     \
    X(NOSPACE, -15, "no space left on device")                                                     \
    X(TIMEOUT, -16, "timed out")                                                                   \
    X(UNSUPPORTED, -17, "not supported")                                                           \
    X(DUPLICATE, -18, "duplicate key in transaction")                                              \
    X(TXTOOLARGE, -19, "too many entries in transaction")                                          \
    X(PROTOCOL, -20, "protocol error")                                                             \
    X(AUTH, -21, "authentication failed")                                                          \
    X(PERM, -22, "permission denied")                                                              \
    X(STATE, -23, "invalid state for this operation")

enum seal_err {
    SEAL_OK = 0,
#define SEAL_ERR_ENUM(name, code, msg) SEAL_E##name = (code),
    SEAL_ERR_MAP(SEAL_ERR_ENUM)
#undef SEAL_ERR_ENUM
};

/* seal_strerror returns a static, never-NULL message for |err| (an unknown
 * code gives "unknown error"). The caller must not free it. */
SEAL_API const char *seal_strerror(int err);

/* seal_errname returns the symbolic name ("SEAL_ECORRUPT") of |err|: a
 * static string, never NULL ("SEAL_E?" for a code not in the table).
 * The caller must not free it. */
SEAL_API const char *seal_errname(int err);

/* seal_version returns the library version string ("0.1.0"): static, never
 * NULL, not to be freed. */
SEAL_API const char *seal_version(void);

/* ---------------------------------------------------------------- logging */
enum seal_log_level {
    SEAL_LOG_ERROR = 0,
    SEAL_LOG_WARN = 1,
    SEAL_LOG_INFO = 2,
    SEAL_LOG_DEBUG = 3,
};

/* seal_log_set_level sets the most verbose level that is written. */
SEAL_API void seal_log_set_level(enum seal_log_level level);
/* seal_log_set_json switches between text lines and one JSON object per line. */
SEAL_API void seal_log_set_json(int on);
/* seal_log_set_fd sends log lines to |fd| (default 2, stderr). */
SEAL_API void seal_log_set_fd(int fd);
/* seal_log_level_parse maps "error|warn|info|debug" to a level; returns
 * SEAL_EINVAL for anything else, leaving |*out| untouched. */
SEAL_API int seal_log_level_parse(const char *s, enum seal_log_level *out);

/* ------------------------------------------------------------- allocation */
/* Allocation hooks: every allocation SealDB makes goes through them. A NULL
 * |a| or a NULL function restores the libc default. Cannot fail. Set before
 * any other call and never while another thread uses the library: memory
 * already handed out must be released with the hooks that allocated it. */
typedef struct seal_allocator {
    void *(*malloc_fn)(size_t n);
    void *(*realloc_fn)(void *p, size_t n);
    void (*free_fn)(void *p);
} seal_allocator;
SEAL_API void seal_set_allocator(const seal_allocator *a);

/* seal_free releases memory that a SealDB function returned to the caller
 * (through the current hooks). NULL is accepted and does nothing. */
SEAL_API void seal_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
