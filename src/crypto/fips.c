/* fips.c - start-up of the FIPS provider, fail closed, and its run-time status.
 *
 * Order matters (see docs/fips.md):
 *  1. OPENSSL_init_ssl(NO_LOAD_CONFIG) so Debian's openssl.cnf (which
 *     activates the default provider) is never loaded behind our back;
 *  2. OSSL_LIB_CTX_load_config(NULL, ours): fips + base providers, fips=yes;
 *  3. load_config reports success even when fips.so is missing or fails its
 *     integrity check, so require OSSL_PROVIDER_available("fips");
 *  4. force fips=yes, run the self-tests on demand, check that SHA-256 is
 *     served by the fips provider and that MD5 cannot be fetched;
 *  5. no other provider may be active (the default or legacy one would give
 *     a non-approved path to any "-fips" property query). */
#include "crypto/cry_internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/self_test.h>
#include <openssl/ssl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_ready;
static char g_last_error[512];
static seal_fips_status g_status;
EVP_MD *cry_g_sha256;

/* Module versions with an active CMVP certificate (FIPS 140-3). */
static const struct {
    const char *version;
    const char *note;
} validated_versions[] = {
    {"3.1.2", "CMVP-validated: FIPS 140-3 certificate #4985"},
};

bool cry_ready(void)
{
    return g_ready != 0;
}

const char *seal_fips_last_error(void)
{
    return g_last_error;
}

static void set_error(const char *what)
{
    char ossl[256] = "";
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e;
    if (last)
        ERR_error_string_n(last, ossl, sizeof(ossl));
    /* A long message is cut; the result is used so that -O2/-O3 builds do
     * not flag the possible truncation. */
    if (snprintf(g_last_error, sizeof(g_last_error), "%s%s%s", what, ossl[0] ? ": " : "", ossl) >=
        (int)sizeof(g_last_error))
        g_last_error[sizeof(g_last_error) - 2] = '~';
    SEAL_LOGE("crypto", "FIPS start-up refused: %s", g_last_error);
}

static int count_provider(OSSL_PROVIDER *p, void *arg)
{
    const char *name = OSSL_PROVIDER_get0_name(p);
    int *bad = arg;
    if (strcmp(name, "fips") != 0 && strcmp(name, "base") != 0)
        (*bad)++;
    return 1;
}

static void read_provider_params(void)
{
    OSSL_PROVIDER *fips = OSSL_PROVIDER_load(NULL, "fips"); /* +1 ref, already active */
    const char *name = "?", *ver = "?", *build = "?";
    int status = 0;
    OSSL_PARAM prm[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, &name, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, &ver, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, &build, 0),
        OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_END,
    };
    if (fips == NULL)
        return;
    OSSL_PROVIDER_get_params(fips, prm);
    snprintf(g_status.name, sizeof(g_status.name), "%s", name);
    snprintf(g_status.version, sizeof(g_status.version), "%s", ver);
    snprintf(g_status.build, sizeof(g_status.build), "%s", build);
    OSSL_PROVIDER_unload(fips);
    g_status.validated = 0;
    snprintf(g_status.validation, sizeof(g_status.validation),
             "FIPS-capable, not the validated build (module %s has no CMVP certificate)", ver);
    for (size_t i = 0; i < SEAL_ARRAY_LEN(validated_versions); i++) {
        if (strcmp(ver, validated_versions[i].version) == 0) {
            g_status.validated = 1;
            snprintf(g_status.validation, sizeof(g_status.validation), "%s",
                     validated_versions[i].note);
        }
    }
}

/* The path of the fips.so mapped into this process, from /proc/self/maps. */
static void find_module_path(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    g_status.module_path[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *slash = strchr(line, '/');
        if (!slash)
            continue;
        slash[strcspn(slash, "\n")] = '\0';
        const char *base = strrchr(slash, '/');
        if (base && strcmp(base, "/fips.so") == 0) {
            snprintf(g_status.module_path, sizeof(g_status.module_path), "%s", slash);
            break;
        }
    }
    fclose(f);
}

static int run_selftest(void)
{
    OSSL_PROVIDER *fips = OSSL_PROVIDER_load(NULL, "fips");
    int ok = fips != NULL && OSSL_PROVIDER_self_test(fips) == 1;
    if (fips)
        OSSL_PROVIDER_unload(fips);
    g_status.selftest_ok = ok;
    return ok ? 0 : SEAL_EFIPS;
}

int seal_fips_init(const char *config_path)
{
    int rc = SEAL_EFIPS;
    EVP_MD *md = NULL;

    pthread_mutex_lock(&g_init_lock);
    if (g_ready) {
        pthread_mutex_unlock(&g_init_lock);
        return 0;
    }
    g_last_error[0] = '\0';
    if (config_path == NULL || config_path[0] == '\0')
        config_path = getenv("SEALDB_FIPS_CONFIG");
#ifdef SEAL_DEFAULT_FIPS_CONFIG
    if (config_path == NULL || config_path[0] == '\0')
        config_path = SEAL_DEFAULT_FIPS_CONFIG;
#endif
    if (config_path == NULL || config_path[0] == '\0') {
        set_error("no FIPS OpenSSL config given (set SEALDB_FIPS_CONFIG)");
        goto out;
    }
    FILE *probe = fopen(config_path, "r");
    if (probe == NULL) {
        char what[600];
        snprintf(what, sizeof(what), "cannot read FIPS OpenSSL config %s", config_path);
        set_error(what);
        goto out;
    }
    fclose(probe);
    snprintf(g_status.config_path, sizeof(g_status.config_path), "%s", config_path);

    /* 1. Never auto-load the system openssl.cnf. */
    if (!OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL)) {
        set_error("OPENSSL_init_ssl failed");
        goto out;
    }
    /* 2. Our config. */
    if (!OSSL_LIB_CTX_load_config(NULL, config_path)) {
        set_error("loading the FIPS OpenSSL config failed");
        goto out;
    }
    /* 3. The provider must really be there. */
    if (!OSSL_PROVIDER_available(NULL, "fips")) {
        set_error("the FIPS provider is not available (fips.so missing, corrupted, or its "
                  "checksum in fipsmodule.cnf does not match)");
        goto out;
    }
    int extra = 0;
    OSSL_PROVIDER_do_all(NULL, count_provider, &extra);
    if (extra != 0) {
        set_error("a provider other than fips and base is active");
        goto out;
    }
    /* 4. fips=yes, self-tests, positive and negative checks. */
    if (!EVP_default_properties_enable_fips(NULL, 1) ||
        !EVP_default_properties_is_fips_enabled(NULL)) {
        set_error("cannot set fips=yes as the default property query");
        goto out;
    }
    if (run_selftest() != 0) {
        set_error("the FIPS provider self-tests failed");
        goto out;
    }
    md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (md == NULL || strcmp(OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(md)), "fips") != 0) {
        set_error("SHA-256 is not served by the FIPS provider");
        goto out;
    }
    EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL); /* banned-api: negative check */
    if (md5 != NULL) {
        EVP_MD_free(md5);
        set_error("MD5 can be fetched: the process is not FIPS-only");
        goto out;
    }
    ERR_clear_error();
    cry_g_sha256 = md;
    md = NULL;
    if (cry_sha256_bind() != 0)
        ERR_clear_error();
    g_status.fips_enabled = 1;
    read_provider_params();
    find_module_path();
    snprintf(g_status.libcrypto, sizeof(g_status.libcrypto), "%s",
             OpenSSL_version(OPENSSL_VERSION));
    if (cry_policy_init() != 0) {
        set_error("the FIPS policy checks failed");
        goto out;
    }
    g_status.initialized = 1;
    g_ready = 1;
    rc = 0;
    SEAL_LOGD("crypto", "FIPS provider %s %s ready (%s)", g_status.name, g_status.version,
              g_status.validation);
out:
    EVP_MD_free(md);
    pthread_mutex_unlock(&g_init_lock);
    return rc;
}

void seal_fips_get_status(seal_fips_status *out)
{
    pthread_mutex_lock(&g_init_lock);
    *out = g_status;
    pthread_mutex_unlock(&g_init_lock);
}

int seal_fips_selftest(void)
{
    if (!g_ready)
        return SEAL_EFIPS;
    pthread_mutex_lock(&g_init_lock);
    int rc = run_selftest();
    pthread_mutex_unlock(&g_init_lock);
    if (rc != 0)
        set_error("on-demand FIPS self-test failed; the module is in its error state");
    return rc;
}

static size_t json_str(char *buf, size_t cap, size_t pos, const char *key, const char *val,
                       int comma)
{
    int n = snprintf(pos < cap ? buf + pos : NULL, pos < cap ? cap - pos : 0, "%s\"%s\":\"",
                     comma ? "," : "", key);
    pos += (size_t)n;
    for (const char *s = val; *s; s++) {
        char esc[8];
        int m;
        if (*s == '"' || *s == '\\')
            m = snprintf(esc, sizeof(esc), "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            m = snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
        else
            m = snprintf(esc, sizeof(esc), "%c", *s);
        if (pos + (size_t)m < cap)
            memcpy(buf + pos, esc, (size_t)m);
        pos += (size_t)m;
    }
    if (pos + 1 < cap)
        buf[pos] = '"';
    return pos + 1;
}

size_t seal_fips_status_json(char *buf, size_t cap)
{
    seal_fips_status st;
    size_t pos = 0;
    seal_fips_get_status(&st);
    if (cap > 0)
        buf[0] = '\0';
    int n = snprintf(cap ? buf : NULL, cap,
                     "{\"initialized\":%s,\"fips_enabled\":%s,"
                     "\"selftest_ok\":%s,\"validated\":%s",
                     st.initialized ? "true" : "false", st.fips_enabled ? "true" : "false",
                     st.selftest_ok ? "true" : "false", st.validated ? "true" : "false");
    pos = (size_t)n;
    pos = json_str(buf, cap, pos, "name", st.name, 1);
    pos = json_str(buf, cap, pos, "version", st.version, 1);
    pos = json_str(buf, cap, pos, "build", st.build, 1);
    pos = json_str(buf, cap, pos, "validation", st.validation, 1);
    pos = json_str(buf, cap, pos, "module", st.module_path, 1);
    pos = json_str(buf, cap, pos, "config", st.config_path, 1);
    pos = json_str(buf, cap, pos, "libcrypto", st.libcrypto, 1);
    if (pos + 1 < cap)
        buf[pos] = '}';
    pos++;
    if (cap > 0)
        buf[pos < cap ? pos : cap - 1] = '\0';
    return pos;
}
