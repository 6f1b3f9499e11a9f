/* seal_fips.h - start-up of the FIPS crypto module and its run-time status.
 *
 * Every SealDB program calls seal_fips_init() before anything else. It loads
 * the project's own OpenSSL configuration (never the system openssl.cnf),
 * requires the FIPS provider, sets fips=yes, runs the provider self-tests and
 * checks that SHA-256 comes from the FIPS provider and MD5 is refused. It
 * fails closed: no other SealDB function that needs crypto works until it
 * has succeeded. */
#ifndef SEAL_FIPS_H
#define SEAL_FIPS_H

#include "seal/seal_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* seal_fips_init loads the OpenSSL config at |config_path|; NULL means the
 * SEALDB_FIPS_CONFIG environment variable, else the path compiled in at build
 * time. Idempotent once it succeeded (later calls return 0 and ignore the
 * path). Returns 0, or SEAL_EFIPS with the reason logged and kept for
 * seal_fips_last_error(). Thread-safe. */
SEAL_API int seal_fips_init(const char *config_path) SEAL_WARN_UNUSED;

/* seal_fips_last_error returns a static description of why the last
 * seal_fips_init failed ("" if it did not): never NULL, not to be freed,
 * overwritten by the next seal_fips_init. */
SEAL_API const char *seal_fips_last_error(void);

/* Run-time status, read from the loaded module. */
typedef struct seal_fips_status {
    int initialized;       /* seal_fips_init succeeded */
    int fips_enabled;      /* default properties are fips=yes */
    int selftest_ok;       /* last on-demand self-test passed */
    int validated;         /* module version is a CMVP-validated one */
    char name[64];         /* "OpenSSL FIPS Provider" */
    char version[32];      /* "3.0.22" */
    char build[64];        /* build info reported by the module */
    char validation[160];  /* e.g. "FIPS-capable, not the validated build" */
    char module_path[512]; /* the fips.so that is mapped into this process */
    char config_path[512]; /* the OpenSSL config that was loaded */
    char libcrypto[64];    /* the libcrypto version string */
} seal_fips_status;

/* seal_fips_get_status fills |out| (never fails; zeroed fields when the module
 * is not initialized). */
SEAL_API void seal_fips_get_status(seal_fips_status *out);

/* seal_fips_selftest re-runs the provider's integrity check and known-answer
 * tests now. Returns 0, or SEAL_EFIPS (the module is then in its error state
 * and every crypto call fails until restart). */
SEAL_API int seal_fips_selftest(void);

/* seal_fips_status_json writes the status as one JSON object into |buf|
 * (NUL-terminated, truncated to |cap|; |buf| may be NULL when |cap| is 0).
 * Returns the length it needed without the NUL: a result >= |cap| means the
 * text was truncated. Cannot fail. */
SEAL_API size_t seal_fips_status_json(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
