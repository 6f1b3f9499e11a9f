/* sealctl.h - what the sealctl source files share: the command table, the
 * parsed command line, output in text or JSON, value input, credentials and
 * the token file, the connection to the server and the exit codes.
 * sealctl uses only the public headers in include/seal/. */
#ifndef SEALCTL_H
#define SEALCTL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "seal/seal.h"
#include "seal/seal_client.h"
#include "seal/seal_common.h"
#include "seal/seal_fips.h"

/* Exit codes (docs/sealctl.md). */
enum {
    CTL_OK = 0,
    CTL_ERR = 1,    /* the server refused, the transport failed, a local error */
    CTL_USAGE = 2,  /* bad command line */
    CTL_VERIFY = 3, /* a proof, a signature or stored data did not verify */
};

/* ------------------------------------------------------------ options */
enum { OPT_FLAG = 0, OPT_VALUE = 1 };

typedef struct ctl_optspec {
    const char *name; /* long name without "--" */
    char shortname;   /* 0: none */
    int kind;         /* OPT_FLAG or OPT_VALUE */
    const char *arg;  /* metavariable for the help ("N", "FILE") */
    const char *help;
} ctl_optspec;

typedef struct ctl ctl;
typedef int (*ctl_run_fn)(ctl *c);

typedef struct ctl_cmd {
    const char *name;
    const char *args;          /* usage of the arguments, e.g. "KEY [VALUE]" */
    const char *summary;       /* one line */
    const char *details;       /* more help (may be NULL) */
    const ctl_optspec *opts;   /* command options, NULL-terminated (may be NULL) */
    int min_args, max_args;    /* max -1: any */
    ctl_run_fn run;            /* NULL: has subcommands */
    const struct ctl_cmd *sub; /* NULL-terminated subcommands */
} ctl_cmd;

#define CTL_MAX_OPTS 64
#define CTL_MAX_ARGS 64

typedef enum ctl_out { OUT_TEXT = 0, OUT_JSON = 1 } ctl_out;

struct ctl {
    const char *prog;
    const ctl_cmd *path[4]; /* command, subcommand... */
    int depth;
    /* options seen: spec and value ("" for flags) */
    struct {
        const ctl_optspec *spec;
        const char *val;
    } opt[CTL_MAX_OPTS];
    int nopt;
    char *args[CTL_MAX_ARGS];
    int nargs;
    /* global settings */
    ctl_out out;
    const char *host;
    int port;
    const char *database;
    const char *username;
    const char *tokenfile;
    char tokenfile_buf[1024];
    int password_stdin;
    /* runtime */
    seal_client *cli;
    char login_user[256]; /* the user the session belongs to ("" unknown) */
    int stdin_used;       /* stdin consumed (value or password) */
};

/* Option access (NULL / 0 when not given). */
const char *ctl_opt(const ctl *c, const char *name);
int ctl_flag(const ctl *c, const char *name);
/* Parses an unsigned / signed integer / double option; returns 0, or prints a
 * usage error and returns CTL_USAGE. |*out| unchanged when absent. */
int ctl_opt_u64(const ctl *c, const char *name, uint64_t *out);
int ctl_opt_i64(const ctl *c, const char *name, int64_t *out);
int ctl_opt_double(const ctl *c, const char *name, double *out);
int ctl_parse_u64(const char *s, uint64_t *out);
int ctl_parse_i64(const char *s, int64_t *out);

/* Messages on stderr, prefixed with the program name. Return the code. */
int ctl_usage_err(ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_err(ctl *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports a failed library call (seal_client when |cli|, else libseal) and
 * returns the exit code for |rc|: CTL_VERIFY for SEAL_EVERIFY / SEAL_ECORRUPT,
 * CTL_USAGE for SEAL_EINVAL raised before any call, else CTL_ERR. */
int ctl_fail(ctl *c, int rc, const char *what);
int ctl_exit_code(int rc);

/* ---------------------------------------------------------------- output */
/* A JSON object under construction. */
typedef struct jb {
    char *p;
    size_t n, cap;
    int first; /* no member yet at the current level */
    int oom;
} jb;
void jb_begin(jb *j);              /* "{" */
void jb_end_print(jb *j, FILE *f); /* "}\n", prints and frees */
void jb_free(jb *j);
void jb_str(jb *j, const char *k, const char *v);
/* Bytes: "k":"text" when valid UTF-8, else "k_base64":"...". */
void jb_bytes(jb *j, const char *k, const void *p, size_t n);
void jb_hex(jb *j, const char *k, const void *p, size_t n);
void jb_u64(jb *j, const char *k, uint64_t v);
void jb_i64(jb *j, const char *k, int64_t v);
void jb_double(jb *j, const char *k, double v);
void jb_bool(jb *j, const char *k, int v);
void jb_null(jb *j, const char *k);
void jb_obj(jb *j, const char *k);     /* "k":{ (k NULL inside an array) */
void jb_obj_end(jb *j);                /* } */
void jb_arr(jb *j, const char *k);     /* "k":[ */
void jb_arr_end(jb *j);                /* ] */
void jb_arr_str(jb *j, const char *v); /* a string element */

/* Text: bytes with non-printable characters and invalid UTF-8 escaped as
 * \xNN (and "\" as "\\"). */
void ctl_print_bytes(FILE *f, const void *p, size_t n);
void ctl_print_hex(FILE *f, const void *p, size_t n);
void ctl_hex(char *out, const void *p, size_t n);       /* 2n+1 bytes */
int ctl_unhex(const char *s, uint8_t **out, size_t *n); /* malloc'd */
int ctl_utf8_valid(const void *p, size_t n);
char *ctl_base64(const void *p, size_t n); /* malloc'd */
void ctl_fmt_time(char *out, size_t cap, int64_t unix_s);

/* ----------------------------------------------------------------- input */
/* Reads all of a file ("-" = stdin) into *out (malloc'd). Returns 0 or CTL_ERR
 * (message printed). */
int ctl_read_all(ctl *c, const char *path, uint8_t **out, size_t *n);
/* A key from a command-line argument (hex-decoded with --hex). */
int ctl_arg_bytes(ctl *c, const char *arg, uint8_t **out, size_t *n);
/* A value: --file PATH, "-" (stdin), the argument, or stdin when there is no
 * argument. */
int ctl_value(ctl *c, const char *arg, uint8_t **out, size_t *n);

/* Reads a secret: the next line of stdin with --password-stdin, else the
 * environment variable |env|, else a prompt on the terminal without echo.
 * |confirm|: prompt twice. Returns 0 or an exit code (message printed). */
int ctl_secret(ctl *c, const char *prompt, const char *env, int confirm, char *out, size_t cap);
void ctl_wipe(void *p, size_t n);

/* ------------------------------------------------------------- token file */
typedef struct ctl_token {
    char host[256];
    int port;
    char user[256];
    char database[256];
    char token[4096];
} ctl_token;
/* Loads the token file. 0, SEAL_ENOTFOUND (none), or CTL_ERR printed. */
int ctl_token_load(ctl *c, ctl_token *t);
int ctl_token_save(ctl *c, const ctl_token *t);
int ctl_token_remove(ctl *c);

/* ------------------------------------------------------------ connection */
/* Client options from the global options. */
void ctl_client_opts(ctl *c, seal_client_opts *o);
/* Connects and authenticates: the token file when it is for this server,
 * else a login with --username (password from ctl_secret), else no
 * credentials. Selects --database. Returns 0 or an exit code. */
int ctl_connect(ctl *c);
/* Connects without any authentication (health, login). */
int ctl_connect_plain(ctl *c);
void ctl_disconnect(ctl *c);

/* -------------------------------------------------------- command groups */
extern const ctl_cmd ctl_cmds[];
/* sealctl_kv.c */
int cmd_set(ctl *c);
int cmd_safeset(ctl *c);
int cmd_get(ctl *c);
int cmd_safeget(ctl *c);
int cmd_delete(ctl *c);
int cmd_reference(ctl *c);
int cmd_safereference(ctl *c);
int cmd_zadd(ctl *c);
int cmd_safezadd(ctl *c);
int cmd_zscan(ctl *c);
int cmd_scan(ctl *c);
int cmd_count(ctl *c);
int cmd_history(ctl *c);
int cmd_tx(ctl *c);
int cmd_safetx(ctl *c);
/* sealctl_admin.c */
int cmd_login(ctl *c);
int cmd_logout(ctl *c);
int cmd_use(ctl *c);
int cmd_health(ctl *c);
int cmd_info(ctl *c);
int cmd_status(ctl *c);
int cmd_user_list(ctl *c);
int cmd_user_create(ctl *c);
int cmd_user_changepassword(ctl *c);
int cmd_user_permission(ctl *c);
int cmd_user_activate(ctl *c);
int cmd_user_deactivate(ctl *c);
int cmd_db_list(ctl *c);
int cmd_db_create(ctl *c);
int cmd_db_use(ctl *c);
int cmd_db_load(ctl *c);
int cmd_db_unload(ctl *c);
int cmd_db_delete(ctl *c);
int cmd_db_update(ctl *c);
/* sealctl_verify.c */
int cmd_current(ctl *c);
int cmd_check_consistency(ctl *c);
int cmd_verify(ctl *c);
int cmd_audit(ctl *c);

#endif
