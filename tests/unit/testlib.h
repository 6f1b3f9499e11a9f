/* testlib.h - a small test harness: named cases, assertions that print both
 * operands, a temporary directory per process, FIPS start-up for every test. */
#ifndef SEAL_TESTLIB_H
#define SEAL_TESTLIB_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int t_failures;
extern const char *t_case;

#define T_FAIL(...)                                                                                \
    do {                                                                                           \
        fprintf(stderr, "FAIL %s:%d [%s]: ", __FILE__, __LINE__, t_case ? t_case : "-");           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        t_failures++;                                                                              \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            T_FAIL("%s", #cond);                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (_a != _b)                                                                              \
            T_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);                                      \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int _rc = (expr);                                                                          \
        if (_rc != 0)                                                                              \
            T_FAIL("%s returned %d (%s)", #expr, _rc, t_errstr(_rc));                              \
    } while (0)

#define CHECK_ERR(expr, code)                                                                      \
    do {                                                                                           \
        int _rc = (expr);                                                                          \
        if (_rc != (code))                                                                         \
            T_FAIL("%s returned %d (%s), expected %d (%s)", #expr, _rc, t_errstr(_rc), (code),     \
                   t_errstr(code));                                                                \
    } while (0)

#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            char _ha[2 * 256 + 1], _hb[2 * 256 + 1];                                               \
            t_hex(_ha, (const uint8_t *)(a), (n));                                                 \
            t_hex(_hb, (const uint8_t *)(b), (n));                                                 \
            T_FAIL("%s == %s:\n  %s\n  %s", #a, #b, _ha, _hb);                                     \
        }                                                                                          \
    } while (0)

#define CHECK_HEX(buf, hexstr)                                                                     \
    do {                                                                                           \
        uint8_t _exp[512];                                                                         \
        size_t _n = t_unhex(_exp, sizeof(_exp), (hexstr));                                         \
        CHECK_MEM((buf), _exp, _n);                                                                \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0)                                                     \
            T_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");  \
    } while (0)

/* Run one named case. */
#define RUN(fn)                                                                                    \
    do {                                                                                           \
        t_case = #fn;                                                                              \
        int _before = t_failures;                                                                  \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", t_failures == _before ? "ok  " : "FAIL", #fn);                  \
        t_case = NULL;                                                                             \
    } while (0)

/* Initialise the FIPS module (exits the test with failure if it does not come
 * up: no test runs without the FIPS provider in force). */
void t_init(void);
/* Returns 0 if every case passed, 1 otherwise; prints a summary. */
int t_done(void);

const char *t_errstr(int rc);
void t_hex(char *out, const uint8_t *p, size_t n);
/* Decodes hex (spaces ignored) into out; returns the byte count. Aborts on bad hex. */
size_t t_unhex(uint8_t *out, size_t cap, const char *hex);
/* A fresh empty directory under $TMPDIR, removed by t_done unless the test failed. */
const char *t_tmpdir(void);
/* Path helper: returns a static buffer "<t_tmpdir()>/<name>". */
const char *t_path(const char *name);
/* Environment helper with a default. */
const char *t_env(const char *name, const char *dflt);
/* Monotonic seconds. */
double t_now(void);

#endif
