/* testlib.c - see testlib.h. */
#include "testlib.h"

#include "seal/seal_common.h"
#include "seal/seal_fips.h"

#include <ctype.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int t_failures;
const char *t_case;
static char g_tmp[512];

void t_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "FAIL: the FIPS module did not start: %s\n", seal_fips_last_error());
        exit(1);
    }
}

const char *t_errstr(int rc)
{
    return seal_strerror(rc);
}

void t_hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    if (n > 256)
        n = 256;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

size_t t_unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (const char *s = hex; *s; s++) {
        if (isspace((unsigned char)*s))
            continue;
        int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
        if (v < 0 || v > 15) {
            fprintf(stderr, "bad hex in test: %s\n", hex);
            abort();
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                abort();
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

const char *t_tmpdir(void)
{
    if (!g_tmp[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(g_tmp, sizeof(g_tmp), "%s/sealtest-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(g_tmp)) {
            perror("mkdtemp");
            abort();
        }
    }
    return g_tmp;
}

const char *t_path(const char *name)
{
    static _Thread_local char buf[1024];
    snprintf(buf, sizeof(buf), "%s/%s", t_tmpdir(), name);
    return buf;
}

const char *t_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

double t_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int t_done(void)
{
    if (g_tmp[0] && t_failures == 0) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", g_tmp);
    } else if (g_tmp[0]) {
        fprintf(stderr, "test files kept in %s\n", g_tmp);
    }
    fprintf(stderr, "%s: %d failure(s)\n", t_failures ? "FAILED" : "PASSED", t_failures);
    return t_failures ? 1 : 0;
}
