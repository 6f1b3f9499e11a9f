/* sealdb_main.c - the sealdb program: flags (immudb's names where immudb
 * has them; every flag also as SEALDB_<NAME> in the environment, the flag
 * winning), FIPS start-up, the banner, the server runtime (server/srv.h)
 * and a graceful stop on SIGTERM/SIGINT. See docs/server.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal/seal_common.h"
#include "seal/seal_fips.h"
#include "server/srv.h"

enum kind { K_STR, K_INT, K_BOOL, K_DUR, K_ACTION };

/* Flag values, as parsed. */
static struct cfg {
    const char *dir, *address, *admin_password, *signing_key, *certificate, *pkey, *clientcas;
    const char *logformat, *log_level, *pidfile, *fips_config;
    long port, max_recv_msg_size, token_expiry_time, max_sessions, default_tx_header_version;
    long max_connections;
    bool force_admin_password, mtls, synced;
    long long max_session_inactivity_ms, max_session_age_ms, session_timeout_ms, guard_ms;
    bool want_version, want_status, want_help;
} cfg;

typedef struct flag {
    const char *name; /* long name; env SEALDB_<NAME> upper-cased, '-' -> '_' */
    char short_name;
    enum kind kind;
    void *ptr;
    const char *help;
} flag;

static const flag FLAGS[] = {
    {"dir", 0, K_STR, &cfg.dir, "data directory (default ./data)"},
    {"address", 'a', K_STR, &cfg.address, "bind address (default 0.0.0.0)"},
    {"port", 'p', K_INT, &cfg.port, "port number (default 3322)"},
    {"admin-password", 0, K_STR, &cfg.admin_password,
     "admin password (default 'immudb'), plain or base64 with the prefix 'enc:'"},
    {"force-admin-password", 0, K_BOOL, &cfg.force_admin_password,
     "reset the admin password to --admin-password at start-up"},
    {"signingKey", 0, K_STR, &cfg.signing_key,
     "ECDSA P-256 private key (PEM) that signs the state (CurrentState, verifiable calls)"},
    {"certificate", 0, K_STR, &cfg.certificate, "server certificate (PEM): serve TLS"},
    {"pkey", 0, K_STR, &cfg.pkey, "server private key (PEM)"},
    {"clientcas", 0, K_STR, &cfg.clientcas, "CA bundle of client certificates (with --mtls)"},
    {"mtls", 'm', K_BOOL, &cfg.mtls, "require client certificates signed by --clientcas"},
    {"max-recv-msg-size", 0, K_INT, &cfg.max_recv_msg_size,
     "max message size in bytes the server can receive (default 33554432)"},
    {"synced", 0, K_BOOL, &cfg.synced,
     "durable commits (default true); false = commits are not fsynced (may lose the "
     "latest transactions on a crash)"},
    {"token-expiry-time", 0, K_INT, &cfg.token_expiry_time,
     "login token lifetime in minutes (default 1440)"},
    {"max-sessions", 0, K_INT, &cfg.max_sessions, "maximum open sessions (default 100)"},
    {"max-session-inactivity-time", 0, K_DUR, &cfg.max_session_inactivity_ms,
     "idle time after which a session counts as inactive (default 3m)"},
    {"max-session-age-time", 0, K_DUR, &cfg.max_session_age_ms,
     "sessions older than this are closed (default 0 = never)"},
    {"session-timeout", 0, K_DUR, &cfg.session_timeout_ms,
     "idle time after which a session is closed (default 2m)"},
    {"sessions-guard-check-interval", 0, K_DUR, &cfg.guard_ms,
     "how often expired sessions and tokens are swept (default 1m)"},
    {"default-tx-header-version", 0, K_INT, &cfg.default_tx_header_version,
     "tx header version (0 or 1, default 1) of databases created without one, defaultdb "
     "included"},
    {"logformat", 0, K_STR, &cfg.logformat, "log format: text or json (default text)"},
    {"log-level", 0, K_STR, &cfg.log_level, "error, warn, info or debug (default info)"},
    {"pidfile", 0, K_STR, &cfg.pidfile, "write the process id to this file"},
    {"max-connections", 0, K_INT, &cfg.max_connections,
     "maximum client connections (default 10000)"},
    {"fips-config", 0, K_STR, &cfg.fips_config, "OpenSSL FIPS configuration file"},
    {"fips-status", 0, K_ACTION, &cfg.want_status, "print the FIPS module status as JSON, exit"},
    {"version", 0, K_ACTION, &cfg.want_version, "print version and FIPS status, exit"},
    {"help", 'h', K_ACTION, &cfg.want_help, "this text"},
};
#define NFLAGS (sizeof(FLAGS) / sizeof(FLAGS[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: sealdb [options]\n");
    for (size_t i = 0; i < NFLAGS; i++) {
        char left[64];
        const char *arg = FLAGS[i].kind == K_STR    ? " S"
                          : FLAGS[i].kind == K_INT  ? " N"
                          : FLAGS[i].kind == K_DUR  ? " D"
                          : FLAGS[i].kind == K_BOOL ? "[=BOOL]"
                                                    : "";
        if (FLAGS[i].short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s", FLAGS[i].short_name, FLAGS[i].name, arg);
        else
            snprintf(left, sizeof(left), "    --%s%s", FLAGS[i].name, arg);
        fprintf(f, "  %-38s %s\n", left, FLAGS[i].help);
    }
    fprintf(f, "Every option can also be given as SEALDB_<NAME> in the environment (e.g.\n"
               "SEALDB_ADMIN_PASSWORD, SEALDB_SIGNINGKEY); a flag wins over the environment.\n"
               "D is a duration such as 90s, 2m, 1h30m or 500ms (a bare number is seconds).\n");
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True", "yes", "on"};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False", "no", "off"};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i]) == 0)
            return *out = true, true;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (strcmp(s, f[i]) == 0)
            return *out = false, true;
    return false;
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Go's time.ParseDuration subset: [0-9.]+ followed by h, m, s, ms, us, ns,
 * repeated ("1h30m", "90s", "2.5m"); "0" alone; a bare number = seconds. */
static bool parse_duration(const char *s, long long *out_ms)
{
    double total = 0;
    const char *p = s;
    if (!*p)
        return false;
    char *end;
    double v = strtod(p, &end);
    if (end != p && *end == '\0') {
        if (v < 0)
            return false;
        *out_ms = (long long)(v * 1000);
        return true;
    }
    while (*p) {
        errno = 0;
        v = strtod(p, &end);
        if (end == p || errno || v < 0)
            return false;
        p = end;
        double mul;
        if (strncmp(p, "ms", 2) == 0)
            mul = 1, p += 2;
        else if (strncmp(p, "us", 2) == 0)
            mul = 1e-3, p += 2;
        else if (strncmp(p, "ns", 2) == 0)
            mul = 1e-6, p += 2;
        else if (*p == 'h')
            mul = 3600e3, p++;
        else if (*p == 'm')
            mul = 60e3, p++;
        else if (*p == 's')
            mul = 1e3, p++;
        else
            return false;
        total += v * mul;
    }
    *out_ms = (long long)total;
    return true;
}

/* Stores |val| into flag |f|; |origin| names it in errors. */
static bool set_flag(const flag *f, const char *val, const char *origin)
{
    bool ok = true;
    switch (f->kind) {
    case K_STR:
        *(const char **)f->ptr = val;
        break;
    case K_INT:
        ok = val && parse_long(val, (long *)f->ptr);
        break;
    case K_BOOL:
        ok = val ? parse_bool(val, (bool *)f->ptr) : (*(bool *)f->ptr = true, true);
        break;
    case K_DUR:
        ok = val && parse_duration(val, (long long *)f->ptr);
        break;
    case K_ACTION:
        *(bool *)f->ptr = true;
        break;
    }
    if (!ok)
        fprintf(stderr, "sealdb: invalid value \"%s\" for %s\n", val ? val : "", origin);
    return ok;
}

static void env_name(const flag *f, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "SEALDB_");
    for (const char *p = f->name; *p && o + 1 < cap; p++)
        buf[o++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    buf[o] = '\0';
}

/* immudb's DecodeBase64Password: trims spaces; "enc:" + standard base64. */
static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static char *decode_password(const char *in)
{
    while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\n' || in[n - 1] == '\r'))
        n--;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (n < 4 || strncmp(in, "enc:", 4) != 0) {
        memcpy(out, in, n);
        out[n] = '\0';
        return out;
    }
    const char *p = in + 4;
    size_t len = n - 4, o = 0;
    if (len % 4 != 0)
        goto bad;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (p[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad)
                    goto bad;
                v[k] = b64v((unsigned char)p[i + k]);
                if (v[k] < 0)
                    goto bad;
            }
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        out[o++] = (char)(w >> 16);
        if (pad < 2)
            out[o++] = (char)(w >> 8);
        if (pad < 1)
            out[o++] = (char)w;
    }
    out[o] = '\0';
    if (strlen(out) != o)
        goto bad; /* NUL inside */
    return out;
bad:
    free(out);
    fprintf(stderr, "sealdb: error decoding password from base64 string %.*s\n", (int)len, p);
    return NULL;
}

static void print_banner(const srv_info *info, int port)
{
    seal_fips_status st;
    seal_fips_get_status(&st);
    printf("SealDB %s (immudb-compatible gRPC server)\n", seal_version());
    printf("FIPS module      : %s %s (%s, %s)\n", st.name, st.version,
           st.fips_enabled ? "in force" : "NOT in force",
           st.selftest_ok ? "self-tests passed" : "self-tests FAILED");
    printf("FIPS validation  : %s\n", st.validation);
    printf("Data directory   : %s\n", cfg.dir);
    printf("Address          : %s:%d\n", cfg.address, port);
    printf("TLS              : %s\n",
           info->tls ? (cfg.mtls ? "on, client certificates required (mTLS)" : "on") : "off");
    printf("Durability       : %s\n",
           cfg.synced ? "synced (every commit is fsynced before it is acknowledged)"
                      : "NOT SYNCED (--synced=false: acknowledged commits can be lost on a "
                        "crash or power loss)");
    printf("State signing    : %s\n", info->signing ? cfg.signing_key : "off");
    printf("Tx header version: %ld for new databases\n", cfg.default_tx_header_version);
    printf("Server UUID      : %s\n", info->uuid);
    fflush(stdout);
}

static void write_pidfile(void)
{
    if (!cfg.pidfile || !cfg.pidfile[0])
        return;
    FILE *f = fopen(cfg.pidfile, "w");
    if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
        fprintf(stderr, "sealdb: cannot write pid file %s: %s\n", cfg.pidfile, strerror(errno));
        return;
    }
}

int main(int argc, char **argv)
{
    struct option opts[NFLAGS + 1];
    char shorts[32] = "";
    size_t ns = 0;
    int c, idx;

    cfg.synced = true;
    cfg.port = 3322;
    cfg.default_tx_header_version = 1;
    cfg.token_expiry_time = 1440;
    cfg.max_sessions = 100;
    cfg.max_session_inactivity_ms = 3 * 60 * 1000;
    cfg.session_timeout_ms = 2 * 60 * 1000;
    cfg.guard_ms = 60 * 1000;
    cfg.max_recv_msg_size = 32L << 20;

    /* 1. The environment. */
    for (size_t i = 0; i < NFLAGS; i++) {
        char name[96];
        if (FLAGS[i].kind == K_ACTION)
            continue;
        env_name(&FLAGS[i], name, sizeof(name));
        const char *v = getenv(name);
        if (v && v[0] && !set_flag(&FLAGS[i], v, name))
            return 1;
    }
    /* 2. The command line. */
    for (size_t i = 0; i < NFLAGS; i++) {
        opts[i].name = FLAGS[i].name;
        opts[i].has_arg = FLAGS[i].kind == K_BOOL     ? optional_argument
                          : FLAGS[i].kind == K_ACTION ? no_argument
                                                      : required_argument;
        opts[i].flag = NULL;
        opts[i].val = 256 + (int)i;
        if (FLAGS[i].short_name && ns + 3 < sizeof(shorts)) {
            shorts[ns++] = FLAGS[i].short_name;
            if (FLAGS[i].kind == K_STR || FLAGS[i].kind == K_INT || FLAGS[i].kind == K_DUR)
                shorts[ns++] = ':';
        }
    }
    memset(&opts[NFLAGS], 0, sizeof(opts[NFLAGS]));
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, opts, &idx)) != -1) {
        const flag *f = NULL;
        if (c >= 256 && c < 256 + (int)NFLAGS)
            f = &FLAGS[c - 256];
        for (size_t i = 0; !f && c > 0 && c < 256 && i < NFLAGS; i++)
            if (FLAGS[i].short_name == c)
                f = &FLAGS[i];
        if (!f) {
            if (optopt && optopt < 256)
                fprintf(stderr, "sealdb: unknown or incomplete option -%c\n", optopt);
            else
                fprintf(stderr, "sealdb: unknown or incomplete option %s\n", argv[optind - 1]);
            fprintf(stderr, "Run 'sealdb --help' for the options.\n");
            return 1;
        }
        char origin[128];
        snprintf(origin, sizeof(origin), "--%s", f->name);
        if (!set_flag(f, optarg, origin))
            return 1;
    }
    if (optind < argc) {
        fprintf(stderr, "sealdb: unexpected argument \"%s\"\n", argv[optind]);
        return 1;
    }
    if (cfg.want_help) {
        usage(stdout);
        return 0;
    }

    /* 3. Checks that need no server. */
    if (!cfg.dir || !cfg.dir[0])
        cfg.dir = "./data";
    if (!cfg.address || !cfg.address[0])
        cfg.address = "0.0.0.0";
    if (cfg.port > 65535) {
        fprintf(stderr, "sealdb: invalid port %ld\n", cfg.port);
        return 1;
    }
    if (cfg.default_tx_header_version != 0 && cfg.default_tx_header_version != 1) {
        fprintf(stderr, "sealdb: --default-tx-header-version must be 0 or 1 (got %ld)\n",
                cfg.default_tx_header_version);
        return 1;
    }
    if (cfg.logformat && strcmp(cfg.logformat, "text") != 0 && strcmp(cfg.logformat, "json") != 0) {
        fprintf(stderr, "sealdb: --logformat must be text or json (got \"%s\")\n", cfg.logformat);
        return 1;
    }
    enum seal_log_level lvl = SEAL_LOG_INFO;
    if (cfg.log_level && seal_log_level_parse(cfg.log_level, &lvl) != 0) {
        fprintf(stderr, "sealdb: --log-level must be error, warn, info or debug (got \"%s\")\n",
                cfg.log_level);
        return 1;
    }
    if (cfg.max_sessions > 1000000 || cfg.token_expiry_time > 5256000 ||
        cfg.token_expiry_time == 0) {
        fprintf(stderr, "sealdb: --max-sessions or --token-expiry-time out of range\n");
        return 1;
    }
    if (cfg.max_recv_msg_size <= 0 || cfg.max_recv_msg_size > INT_MAX) {
        fprintf(stderr, "sealdb: --max-recv-msg-size out of range\n");
        return 1;
    }
    char *admin_pw = decode_password(cfg.admin_password ? cfg.admin_password : "immudb");
    if (!admin_pw)
        return 1;
    if (!admin_pw[0]) {
        fprintf(stderr, "sealdb: Admin password cannot be empty\n");
        free(admin_pw);
        return 1;
    }
    seal_log_set_level(lvl);
    seal_log_set_json(cfg.logformat && strcmp(cfg.logformat, "json") == 0);

    /* 4. FIPS. */
    if (seal_fips_init(cfg.fips_config) != 0) {
        fprintf(stderr, "sealdb: refusing to start: %s\n", seal_fips_last_error());
        free(admin_pw);
        return 1;
    }
    if (cfg.want_status) {
        char buf[4096];
        seal_fips_status_json(buf, sizeof(buf));
        printf("%s\n", buf);
        free(admin_pw);
        return 0;
    }
    if (cfg.want_version) {
        seal_fips_status st;
        seal_fips_get_status(&st);
        printf("SealDB %s\nFIPS module: %s %s (%s)\nFIPS validation: %s\nFIPS module file: "
               "%s\nlibcrypto: %s\n",
               seal_version(), st.name, st.version,
               st.selftest_ok ? "self-tests passed" : "self-tests FAILED", st.validation,
               st.module_path, st.libcrypto);
        free(admin_pw);
        return 0;
    }

    /* 5. The server. */
    srv_options o;
    srv_options_default(&o);
    o.dir = cfg.dir;
    o.address = cfg.address;
    o.port = (int)cfg.port;
    o.admin_password = admin_pw;
    o.force_admin_password = cfg.force_admin_password;
    o.signing_key = cfg.signing_key;
    o.certificate = cfg.certificate;
    o.pkey = cfg.pkey;
    o.clientcas = cfg.clientcas;
    o.mtls = cfg.mtls;
    o.max_recv_msg_size = (size_t)cfg.max_recv_msg_size;
    o.synced = cfg.synced;
    o.token_expiry_min = (uint32_t)cfg.token_expiry_time;
    o.max_sessions = (uint32_t)cfg.max_sessions;
    o.max_session_inactivity_ms = cfg.max_session_inactivity_ms;
    o.max_session_age_ms = cfg.max_session_age_ms;
    o.session_timeout_ms = cfg.session_timeout_ms;
    o.sessions_guard_ms = cfg.guard_ms;
    o.default_tx_header_version = (int)cfg.default_tx_header_version;
    o.max_connections = (int)cfg.max_connections;

    char err[512];
    srv *s = NULL;
    int rc = srv_new(&s, &o, err, sizeof(err));
    memset(admin_pw, 0, strlen(admin_pw));
    free(admin_pw);
    if (rc) {
        fprintf(stderr, "sealdb: %s\n", err[0] ? err : seal_strerror(rc));
        return 1;
    }
    srv_info info;
    srv_get_info(s, &info);
    print_banner(&info, srv_port(s));
    if (info.admin_default)
        fprintf(stderr,
                "\n"
                "************************************************************************\n"
                "* WARNING: the superuser 'immudb' has the DEFAULT password 'immudb'.   *\n"
                "* Anyone who can reach this port can log in as the administrator.      *\n"
                "* Start with --admin-password (or SEALDB_ADMIN_PASSWORD) on a new data *\n"
                "* directory, or change it with ChangePassword.                         *\n"
                "************************************************************************\n\n");
    if (info.admin_mismatch)
        fprintf(stderr, "sealdb: WARNING: admin password was not updated, use the "
                        "force-admin-password option to forcibly reset it\n");
    if (info.admin_reset)
        fprintf(stderr, "sealdb: the admin password was reset (--force-admin-password)\n");
    if (srv_install_signals(s) != 0) {
        fprintf(stderr, "sealdb: cannot install signal handlers\n");
        srv_free(s);
        return 1;
    }
    write_pidfile();
    printf("sealdb: serving on %s:%d\n", cfg.address, srv_port(s));
    fflush(stdout);
    rc = srv_run(s);
    fprintf(stderr, "sealdb: stopping: closing databases\n");
    srv_free(s);
    if (cfg.pidfile && cfg.pidfile[0])
        unlink(cfg.pidfile);
    if (rc) {
        fprintf(stderr, "sealdb: the server failed: %s\n", seal_strerror(rc));
        return 1;
    }
    fprintf(stderr, "sealdb: stopped\n");
    return 0;
}
