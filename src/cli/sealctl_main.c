/* sealctl_main.c - the sealctl program: the command table (subcommands after
 * immudb's immuclient and immuadmin), the command-line parser, help for every
 * command and subcommand, and dispatch. Exit codes: 0 success, 1 server or
 * transport error, 2 usage error, 3 verification failure. */
#include "cli/sealctl.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- global options */
static const ctl_optspec g_opts[] = {
    {"address", 'a', OPT_VALUE, "HOST", "server address (default 127.0.0.1; env SEALDB_ADDRESS)"},
    {"port", 'p', OPT_VALUE, "PORT", "server port (default 3322; env SEALDB_PORT)"},
    {"database", 'd', OPT_VALUE, "DB", "database to work on (default: the logged-in one)"},
    {"username", 'u', OPT_VALUE, "USER", "log in as USER for this command (no token file)"},
    {"password-stdin", 0, OPT_FLAG, NULL,
     "read passwords from stdin, one line each (else SEALDB_PASSWORD or a prompt)"},
    {"tokenfile", 0, OPT_VALUE, "FILE",
     "token file (default ~/.sealdb/token; env SEALDB_TOKENFILE)"},
    {"tls", 0, OPT_FLAG, NULL, "connect with TLS"},
    {"ca-file", 0, OPT_VALUE, "FILE", "CA certificates for the server (PEM; implies --tls)"},
    {"cert", 0, OPT_VALUE, "FILE", "client certificate for mTLS (PEM; implies --tls)"},
    {"key", 0, OPT_VALUE, "FILE", "client private key for mTLS (PEM)"},
    {"servername", 0, OPT_VALUE, "NAME", "TLS server name to check (default: the address)"},
    {"server-signing-pubkey", 0, OPT_VALUE, "FILE",
     "the server's state signing public key (PEM): every state must carry a valid signature"},
    {"state-dir", 0, OPT_VALUE, "DIR", "trusted state directory (default ~/.sealdb/state)"},
    {"output", 'o', OPT_VALUE, "FORMAT", "text (default) or json (one object per result)"},
    {"timeout", 0, OPT_VALUE, "MS", "per-call timeout in milliseconds (default 30000)"},
    {"fips-config", 0, OPT_VALUE, "FILE", "OpenSSL FIPS config (env SEALDB_FIPS_CONFIG)"},
    {"help", 'h', OPT_FLAG, NULL, "help for the command"},
    {NULL, 0, 0, NULL, NULL},
};

/* ---------------------------------------------------- command options */
static const ctl_optspec o_set[] = {
    {"file", 'f', OPT_VALUE, "PATH", "read the value from PATH (\"-\" = stdin)"},
    {"hex", 0, OPT_FLAG, NULL, "KEY and VALUE arguments are hex-encoded"},
    {NULL, 0, 0, NULL, NULL},
};
#define VALUE_OUT_OPTS                                                                             \
    {"value-only", 0, OPT_FLAG, NULL, "print only the value (escaped)"},                           \
    {                                                                                              \
        "raw", 0, OPT_FLAG, NULL, "write only the value's exact bytes to stdout"                   \
    }
static const ctl_optspec o_get[] = {
    {"at-tx", 0, OPT_VALUE, "TX", "the value written by tx TX"},
    {"since-tx", 0, OPT_VALUE, "TX", "wait until the index covers tx TX"},
    {"at-revision", 0, OPT_VALUE, "N", "revision N (> 0 from the first, < 0 back from the latest)"},
    {"hex", 0, OPT_FLAG, NULL, "KEY is hex-encoded"},
    VALUE_OUT_OPTS,
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_keys[] = {
    {"hex", 0, OPT_FLAG, NULL, "keys are hex-encoded"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_ref[] = {
    {"at-tx", 0, OPT_VALUE, "TX", "bind the reference to the version of tx TX"},
    {"hex", 0, OPT_FLAG, NULL, "keys are hex-encoded"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_zadd[] = {
    {"at-tx", 0, OPT_VALUE, "TX", "bind the member to the version of tx TX"},
    {"hex", 0, OPT_FLAG, NULL, "SET and KEY are hex-encoded"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_zscan[] = {
    {"limit", 'l', OPT_VALUE, "N", "at most N entries"},
    {"offset", 0, OPT_VALUE, "N", "skip N entries"},
    {"desc", 0, OPT_FLAG, NULL, "descending order"},
    {"min-score", 0, OPT_VALUE, "S", "lowest score"},
    {"max-score", 0, OPT_VALUE, "S", "highest score"},
    {"since-tx", 0, OPT_VALUE, "TX", "wait until the index covers tx TX"},
    {"hex", 0, OPT_FLAG, NULL, "SET is hex-encoded"},
    VALUE_OUT_OPTS,
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_scan[] = {
    {"limit", 'l', OPT_VALUE, "N", "at most N entries"},
    {"offset", 0, OPT_VALUE, "N", "skip N entries"},
    {"desc", 0, OPT_FLAG, NULL, "descending order"},
    {"seek", 0, OPT_VALUE, "KEY", "start at KEY"},
    {"end", 0, OPT_VALUE, "KEY", "stop at KEY"},
    {"since-tx", 0, OPT_VALUE, "TX", "wait until the index covers tx TX"},
    {"hex", 0, OPT_FLAG, NULL, "PREFIX, --seek and --end are hex-encoded"},
    VALUE_OUT_OPTS,
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_history[] = {
    {"limit", 'l', OPT_VALUE, "N", "at most N versions"},
    {"offset", 0, OPT_VALUE, "N", "skip N versions"},
    {"desc", 0, OPT_FLAG, NULL, "newest first"},
    {"since-tx", 0, OPT_VALUE, "TX", "wait until the index covers tx TX"},
    {"hex", 0, OPT_FLAG, NULL, "KEY is hex-encoded"},
    VALUE_OUT_OPTS,
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_count[] = {
    {"hex", 0, OPT_FLAG, NULL, "PREFIX is hex-encoded"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_status[] = {
    {"local", 0, OPT_FLAG, NULL, "only this program's own FIPS module status (no server)"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_verify[] = {
    {"no-progress", 0, OPT_FLAG, NULL,
     "no progress bar (there is none unless stderr is a terminal)"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_audit[] = {
    {"interval", 'i', OPT_VALUE, "SECONDS", "time between checks (default 60; fractions allowed)"},
    {"once", 0, OPT_FLAG, NULL, "check once and exit"},
    {"count", 0, OPT_VALUE, "N", "stop after N checks"},
    {NULL, 0, 0, NULL, NULL},
};
#define DB_SETTING_OPTS                                                                            \
    {"tx-header-version", 0, OPT_VALUE, "0|1",                                                     \
     "tx header version (0: immudb 1.1 compatible, 1: immudb 1.2+)"},                              \
        {"write-tx-header-version", 0, OPT_VALUE, "0|1", "same as --tx-header-version"},           \
        {"max-key-len", 0, OPT_VALUE, "N", "largest key in bytes"},                                \
        {"max-value-len", 0, OPT_VALUE, "N", "largest value in bytes"},                            \
        {"max-tx-entries", 0, OPT_VALUE, "N", "most entries in one tx"},                           \
        {"file-size", 0, OPT_VALUE, "N", "size of each log file segment"},                         \
        {"max-commit-concurrency", 0, OPT_VALUE, "N", "commit concurrency"},                       \
        {"sync-frequency", 0, OPT_VALUE, "MS", "fsync period in milliseconds"},                    \
        {"exclude-commit-time", 0, OPT_VALUE, "true|false", "leave commit times out of hashes"},   \
        {"autoload", 0, OPT_VALUE, "true|false", "load the database at server start"},             \
        {"embedded-values", 0, OPT_VALUE, "true|false", "values stored with the tx"},              \
        {"prealloc-files", 0, OPT_VALUE, "true|false", "preallocate log files"},                   \
    {                                                                                              \
        "replica", 0, OPT_VALUE, "true|false", "the database is a replica"                         \
    }
static const ctl_optspec o_dbcreate[] = {
    DB_SETTING_OPTS,
    {"if-not-exists", 0, OPT_FLAG, NULL, "succeed when the database already exists"},
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_dbupdate[] = {
    DB_SETTING_OPTS,
    {NULL, 0, 0, NULL, NULL},
};
static const ctl_optspec o_dbdelete[] = {
    {"yes-i-know-what-i-am-doing", 0, OPT_FLAG, NULL, "confirm the deletion (required)"},
    {NULL, 0, 0, NULL, NULL},
};

/* ------------------------------------------------------------ commands */
static const ctl_cmd user_cmds[] = {
    {"list", "", "list users and their permissions", NULL, NULL, 0, 0, cmd_user_list, NULL},
    {"create", "USER PERMISSION [DATABASE]", "create a user",
     "PERMISSION is read, readwrite or admin. The new password is asked twice on a terminal,\n"
     "else taken from SEALDB_NEW_PASSWORD or the next line of stdin (--password-stdin).",
     NULL, 2, 3, cmd_user_create, NULL},
    {"changepassword", "USER", "change a user's password",
     "The old password is needed for your own user (SEALDB_OLD_PASSWORD); the new one is\n"
     "asked twice on a terminal, else SEALDB_NEW_PASSWORD or stdin (--password-stdin).",
     NULL, 1, 1, cmd_user_changepassword, NULL},
    {"permission", "grant|revoke USER PERMISSION DATABASE", "grant or revoke a permission",
     "PERMISSION is read, readwrite, admin or sysadmin.", NULL, 4, 4, cmd_user_permission, NULL},
    {"activate", "USER", "activate a user", NULL, NULL, 1, 1, cmd_user_activate, NULL},
    {"deactivate", "USER", "deactivate a user", NULL, NULL, 1, 1, cmd_user_deactivate, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};

static const ctl_cmd db_cmds[] = {
    {"list", "", "list databases", NULL, NULL, 0, 0, cmd_db_list, NULL},
    {"create", "NAME", "create a database",
     "Settings not given are the server's defaults. Example:\n"
     "  sealctl database create olddb --tx-header-version 0",
     o_dbcreate, 1, 1, cmd_db_create, NULL},
    {"use", "NAME", "select a database (stored in the token file)", NULL, NULL, 1, 1, cmd_db_use,
     NULL},
    {"load", "NAME", "load a database", NULL, NULL, 1, 1, cmd_db_load, NULL},
    {"unload", "NAME", "unload a database", NULL, NULL, 1, 1, cmd_db_unload, NULL},
    {"delete", "NAME", "delete a database (unrecoverable)",
     "The database must be unloaded first; --yes-i-know-what-i-am-doing is required.", o_dbdelete,
     1, 1, cmd_db_delete, NULL},
    {"update", "NAME", "change database settings", NULL, o_dbupdate, 1, 1, cmd_db_update, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};

const ctl_cmd ctl_cmds[] = {
    {"login", "[USER]", "log in and store the session token in the token file",
     "The password is asked on a terminal (no echo), else taken from SEALDB_PASSWORD or\n"
     "the first line of stdin (--password-stdin). The token file is written with mode 0600.",
     NULL, 0, 1, cmd_login, NULL},
    {"logout", "", "log out and remove the token file", NULL, NULL, 0, 0, cmd_logout, NULL},
    {"use", "DATABASE", "select a database (stored in the token file)", NULL, NULL, 1, 1, cmd_use,
     NULL},
    {"set", "KEY [VALUE|-]", "set a value (not verified)",
     "The value is VALUE, the file given with --file, or stdin (\"-\" or no VALUE).\n"
     "Values are bytes: nothing is added or removed.",
     o_set, 1, 2, cmd_set, NULL},
    {"get", "KEY[@REVISION]", "get a value (not verified)",
     "KEY@N reads revision N when N is an integer (otherwise the whole text is the key).", o_get, 1,
     1, cmd_get, NULL},
    {"safeset", "KEY [VALUE|-]", "set a value and verify the tx against the trusted state", NULL,
     o_set, 1, 2, cmd_safeset, NULL},
    {"safeget", "KEY[@REVISION]", "get a value with its proof, verified against the trusted state",
     NULL, o_get, 1, 1, cmd_safeget, NULL},
    {"delete", "KEY...", "delete keys (logical delete)", NULL, o_keys, 1, -1, cmd_delete, NULL},
    {"reference", "KEY REFERENCED_KEY", "make KEY a reference to REFERENCED_KEY", NULL, o_ref, 2, 2,
     cmd_reference, NULL},
    {"safereference", "KEY REFERENCED_KEY", "make a reference, verified", NULL, o_ref, 2, 2,
     cmd_safereference, NULL},
    {"zadd", "SET SCORE KEY", "add KEY to the sorted set SET with SCORE", NULL, o_zadd, 3, 3,
     cmd_zadd, NULL},
    {"safezadd", "SET SCORE KEY", "add to a sorted set, verified", NULL, o_zadd, 3, 3, cmd_safezadd,
     NULL},
    {"zscan", "SET", "list the members of a sorted set", NULL, o_zscan, 1, 1, cmd_zscan, NULL},
    {"scan", "[PREFIX]", "list keys (with their latest values) under PREFIX", NULL, o_scan, 0, 1,
     cmd_scan, NULL},
    {"count", "[PREFIX]", "count the keys under PREFIX", NULL, o_count, 0, 1, cmd_count, NULL},
    {"history", "KEY", "every version of KEY", NULL, o_history, 1, 1, cmd_history, NULL},
    {"tx", "TX", "show a transaction (not verified)", NULL, NULL, 1, 1, cmd_tx, NULL},
    {"safetx", "TX", "show a transaction, verified against the trusted state", NULL, NULL, 1, 1,
     cmd_safetx, NULL},
    {"current", "", "the server's current state of the database (tx and hash)", NULL, NULL, 0, 0,
     cmd_current, NULL},
    {"check-consistency", "",
     "check that the server's current state extends the trusted state (exit 3 if not)", NULL, NULL,
     0, 0, cmd_check_consistency, NULL},
    {"health", "", "is the server up", NULL, NULL, 0, 0, cmd_health, NULL},
    {"info", "", "server version, start time, transactions, databases", NULL, NULL, 0, 0, cmd_info,
     NULL},
    {"status", "", "server health and FIPS status, and this program's FIPS module status", NULL,
     o_status, 0, 0, cmd_status, NULL},
    {"user", "", "user administration", NULL, NULL, 0, 0, NULL, user_cmds},
    {"database", "", "database administration", NULL, NULL, 0, 0, NULL, db_cmds},
    {"verify", "DIR", "verify a data directory offline (read-only)",
     "DIR is a database directory, or a sealdb data directory (every database in it is\n"
     "verified). Every tx, value hash, entry digest, Alh, hash tree node and commit index\n"
     "record is recomputed. Nothing is written. Exit 3 names the first mismatch.",
     o_verify, 1, 1, cmd_verify, NULL},
    {"audit", "",
     "watch a running server: check every new state against the trusted one (exit 3 on a change "
     "of history)",
     "Each check asks for the current state and a consistency proof from the trusted state,\n"
     "checks the signature when --server-signing-pubkey is given, and moves the trusted state.",
     o_audit, 0, 0, cmd_audit, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL},
};

/* ---------------------------------------------------------------- help */
static void print_opts(FILE *f, const ctl_optspec *o)
{
    for (; o && o->name; o++) {
        char left[80];
        if (o->shortname)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->shortname, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        if (strlen(left) > 30)
            fprintf(f, "  %s\n  %-30s %s\n", left, "", o->help);
        else
            fprintf(f, "  %-30s %s\n", left, o->help);
    }
}

static void print_path(FILE *f, const ctl *c)
{
    for (int i = 0; i < c->depth; i++)
        fprintf(f, " %s", c->path[i]->name);
}

static void print_help(FILE *f, const ctl *c)
{
    const ctl_cmd *cmd = c->depth ? c->path[c->depth - 1] : NULL;
    if (!cmd) {
        fprintf(f, "usage: sealctl [global options] COMMAND [arguments] [options]\n\n"
                   "A command-line client and admin tool for SealDB (and immudb) servers.\n"
                   "Verified commands (safe*, check-consistency, audit) check every proof\n"
                   "against a local trusted state.\n\ncommands:\n");
        for (const ctl_cmd *k = ctl_cmds; k->name; k++)
            fprintf(f, "  %-18s %s\n", k->name, k->summary);
        fprintf(f, "\nglobal options:\n");
        print_opts(f, g_opts);
        fprintf(f, "\nexit codes: 0 success, 1 server or transport error, 2 usage error,\n"
                   "3 verification failure. 'sealctl COMMAND --help' for a command.\n");
        return;
    }
    fprintf(f, "usage: sealctl");
    print_path(f, c);
    if (cmd->sub)
        fprintf(f, " SUBCOMMAND [arguments] [options]\n\n%s\n\nsubcommands:\n", cmd->summary);
    else
        fprintf(f, "%s%s [options]\n\n%s\n", cmd->args[0] ? " " : "", cmd->args, cmd->summary);
    for (const ctl_cmd *k = cmd->sub; k && k->name; k++)
        fprintf(f, "  %-16s %s%s%s\n", k->name, k->args, k->args[0] ? ": " : "", k->summary);
    if (cmd->details)
        fprintf(f, "\n%s\n", cmd->details);
    if (cmd->opts && cmd->opts[0].name) {
        fprintf(f, "\noptions:\n");
        print_opts(f, cmd->opts);
    }
    fprintf(f, "\nglobal options:\n");
    print_opts(f, g_opts);
}

/* --------------------------------------------------------------- parse */
static const ctl_optspec *find_long(const ctl_optspec *o, const char *name, size_t len)
{
    for (; o && o->name; o++)
        if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const ctl_optspec *find_short(const ctl_optspec *o, char ch)
{
    for (; o && o->name; o++)
        if (o->shortname == ch)
            return o;
    return NULL;
}

static const ctl_cmd *find_cmd(const ctl_cmd *t, const char *name)
{
    for (; t && t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static int looks_like_number(const char *a)
{
    return a[0] == '-' && ((a[1] >= '0' && a[1] <= '9') || a[1] == '.');
}

/* Parses argv into |c|. Returns 0, CTL_USAGE (message printed) or -1 for
 * "help was printed". */
static int parse(ctl *c, int argc, char **argv)
{
    int dashdash = 0, help = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const ctl_cmd *cur = c->depth ? c->path[c->depth - 1] : NULL;
        if (!dashdash && a[0] == '-' && a[1] && !looks_like_number(a)) {
            if (strcmp(a, "--") == 0) {
                dashdash = 1;
                continue;
            }
            const ctl_optspec *s = NULL;
            const char *val = NULL;
            if (a[1] == '-') {
                const char *name = a + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t)(eq - name) : strlen(name);
                s = find_long(g_opts, name, len);
                if (!s && cur)
                    s = find_long(cur->opts, name, len);
                if (!s)
                    return ctl_usage_err(c, "unknown option --%.*s", (int)len, name);
                if (eq) {
                    if (s->kind == OPT_FLAG)
                        return ctl_usage_err(c, "option --%s takes no value", s->name);
                    val = eq + 1;
                }
            } else {
                s = find_short(g_opts, a[1]);
                if (!s && cur)
                    s = find_short(cur->opts, a[1]);
                if (!s)
                    return ctl_usage_err(c, "unknown option -%c", a[1]);
                if (a[2]) {
                    if (s->kind == OPT_FLAG)
                        return ctl_usage_err(c, "option -%c takes no value", a[1]);
                    val = a + 2;
                }
            }
            if (s->kind == OPT_VALUE && !val) {
                if (i + 1 >= argc)
                    return ctl_usage_err(c, "option --%s needs a value (%s)", s->name, s->arg);
                val = argv[++i];
            }
            if (strcmp(s->name, "help") == 0) {
                help = 1;
                continue;
            }
            if (c->nopt >= CTL_MAX_OPTS)
                return ctl_usage_err(c, "too many options");
            c->opt[c->nopt].spec = s;
            c->opt[c->nopt].val = val ? val : "";
            c->nopt++;
            continue;
        }
        if (!cur || (cur->sub && !cur->run)) {
            const ctl_cmd *k = find_cmd(cur ? cur->sub : ctl_cmds, a);
            if (!k && !cur && strcmp(a, "help") == 0) {
                help = 1;
                continue;
            }
            if (!k) {
                if (help)
                    break;
                if (cur)
                    return ctl_usage_err(c, "unknown %s subcommand '%s' (see 'sealctl %s --help')",
                                         cur->name, a, cur->name);
                return ctl_usage_err(c, "unknown command '%s' (see 'sealctl --help')", a);
            }
            c->path[c->depth++] = k;
            continue;
        }
        if (c->nargs >= CTL_MAX_ARGS)
            return ctl_usage_err(c, "too many arguments");
        c->args[c->nargs++] = a;
    }
    if (help) {
        print_help(stdout, c);
        return -1;
    }
    const ctl_cmd *cmd = c->depth ? c->path[c->depth - 1] : NULL;
    if (!cmd) {
        print_help(stderr, c);
        return CTL_USAGE;
    }
    if (!cmd->run) {
        fprintf(stderr, "sealctl %s: a subcommand is needed\n", cmd->name);
        print_help(stderr, c);
        return CTL_USAGE;
    }
    if (c->nargs < cmd->min_args || (cmd->max_args >= 0 && c->nargs > cmd->max_args)) {
        fprintf(stderr, "sealctl:");
        print_path(stderr, c);
        fprintf(stderr, ": wrong number of arguments\nusage: sealctl");
        print_path(stderr, c);
        fprintf(stderr, " %s\n(see 'sealctl", cmd->args);
        print_path(stderr, c);
        fprintf(stderr, " --help')\n");
        return CTL_USAGE;
    }
    return 0;
}

static int apply_globals(ctl *c)
{
    const char *v;
    c->host = getenv("SEALDB_ADDRESS");
    if ((v = ctl_opt(c, "address")) != NULL)
        c->host = v;
    if (!c->host || !*c->host)
        c->host = "127.0.0.1";
    c->port = 3322;
    if ((v = ctl_opt(c, "port")) != NULL || ((v = getenv("SEALDB_PORT")) != NULL && *v)) {
        uint64_t p;
        if (ctl_parse_u64(v, &p) != 0 || p == 0 || p > 65535)
            return ctl_usage_err(c, "invalid port '%s'", v);
        c->port = (int)p;
    }
    c->database = ctl_opt(c, "database");
    if (c->database && !*c->database)
        return ctl_usage_err(c, "empty --database");
    c->username = ctl_opt(c, "username");
    c->password_stdin = ctl_flag(c, "password-stdin");
    if ((v = ctl_opt(c, "output")) != NULL) {
        if (strcmp(v, "json") == 0)
            c->out = OUT_JSON;
        else if (strcmp(v, "text") == 0)
            c->out = OUT_TEXT;
        else
            return ctl_usage_err(c, "--output is text or json, not '%s'", v);
    }
    c->tokenfile = ctl_opt(c, "tokenfile");
    if (!c->tokenfile && (v = getenv("SEALDB_TOKENFILE")) != NULL && *v)
        c->tokenfile = v;
    if (!c->tokenfile) {
        const char *home = getenv("HOME");
        snprintf(c->tokenfile_buf, sizeof(c->tokenfile_buf), "%s/.sealdb/token",
                 home && *home ? home : ".");
        c->tokenfile = c->tokenfile_buf;
    }
    uint64_t t;
    if (ctl_opt_u64(c, "timeout", &t) != 0)
        return CTL_USAGE;
    if (ctl_opt(c, "key") && !ctl_opt(c, "cert"))
        return ctl_usage_err(c, "--key needs --cert");
    if (ctl_opt(c, "cert") && !ctl_opt(c, "key"))
        return ctl_usage_err(c, "--cert needs --key");
    return 0;
}

int main(int argc, char **argv)
{
    ctl c;
    memset(&c, 0, sizeof(c));
    c.prog = "sealctl";
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = parse(&c, argc, argv);
    if (rc == -1)
        return CTL_OK;
    if (rc != 0)
        return rc;
    if ((rc = apply_globals(&c)) != 0)
        return rc;
    if (seal_fips_init(ctl_opt(&c, "fips-config")) != 0) {
        fprintf(stderr, "sealctl: the FIPS crypto module did not start: %s\n",
                seal_fips_last_error());
        return CTL_ERR;
    }
    /* library log lines only for real problems */
    seal_log_set_level(SEAL_LOG_ERROR);
    rc = c.path[c.depth - 1]->run(&c);
    ctl_disconnect(&c);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "sealctl: could not write the output\n");
        rc = CTL_ERR;
    }
    return rc;
}
