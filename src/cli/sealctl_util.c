/* sealctl_util.c - sealctl's shared machinery: option access, error messages
 * and exit codes, JSON and text output (binary-safe), value input, secrets
 * (terminal without echo, environment, stdin), the token file, and the
 * connection with its authentication. */
#include "cli/sealctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- options */
const char *ctl_opt(const ctl *c, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < c->nopt; i++)
        if (strcmp(c->opt[i].spec->name, name) == 0)
            v = c->opt[i].val; /* the last one wins */
    return v;
}

int ctl_flag(const ctl *c, const char *name)
{
    return ctl_opt(c, name) != NULL;
}

int ctl_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int ctl_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int ctl_opt_u64(const ctl *c, const char *name, uint64_t *out)
{
    const char *v = ctl_opt(c, name);
    if (!v)
        return 0;
    if (ctl_parse_u64(v, out) != 0)
        return ctl_usage_err((ctl *)(uintptr_t)c, "--%s needs a non-negative integer, not '%s'",
                             name, v);
    return 0;
}

int ctl_opt_i64(const ctl *c, const char *name, int64_t *out)
{
    const char *v = ctl_opt(c, name);
    if (!v)
        return 0;
    if (ctl_parse_i64(v, out) != 0)
        return ctl_usage_err((ctl *)(uintptr_t)c, "--%s needs an integer, not '%s'", name, v);
    return 0;
}

int ctl_opt_double(const ctl *c, const char *name, double *out)
{
    const char *v = ctl_opt(c, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || !*v || *end || !isfinite(d))
        return ctl_usage_err((ctl *)(uintptr_t)c, "--%s needs a number, not '%s'", name, v);
    *out = d;
    return 0;
}

/* -------------------------------------------------------------- errors */
static void print_cmd_prefix(const ctl *c)
{
    fprintf(stderr, "sealctl");
    for (int i = 0; i < c->depth; i++)
        fprintf(stderr, " %s", c->path[i]->name);
    fprintf(stderr, ": ");
}

int ctl_usage_err(ctl *c, const char *fmt, ...)
{
    va_list ap;
    print_cmd_prefix(c);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return CTL_USAGE;
}

int ctl_err(ctl *c, int code, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "error", msg);
        jb_u64(&j, "exit_code", (uint64_t)code);
        jb_end_print(&j, stderr);
    } else {
        print_cmd_prefix(c);
        fprintf(stderr, "%s\n", msg);
    }
    return code;
}

int ctl_exit_code(int rc)
{
    if (rc == 0)
        return CTL_OK;
    if (rc == SEAL_EVERIFY || rc == SEAL_ECORRUPT)
        return CTL_VERIFY;
    return CTL_ERR;
}

int ctl_fail(ctl *c, int rc, const char *what)
{
    const char *detail = c->cli ? seal_client_last_error(c->cli) : seal_last_error();
    char hint[256] = "";
    if (rc == SEAL_EAUTH)
        snprintf(hint, sizeof(hint), " (log in with 'sealctl login USER'%s)",
                 c->login_user[0] ? ": the stored token may have expired" : "");
    int code = ctl_exit_code(rc);
    const char *sep = what && *what ? ": " : "";
    if (!what)
        what = "";
    if (rc == SEAL_EVERIFY)
        return ctl_err(c, code, "%s%sVERIFICATION FAILED: %s%s", what, sep,
                       detail && *detail ? detail : seal_strerror(rc), hint);
    if (detail && *detail)
        return ctl_err(c, code, "%s%s%s (%s)%s", what, sep, detail, seal_errname(rc), hint);
    return ctl_err(c, code, "%s%s%s (%s)%s", what, sep, seal_strerror(rc), seal_errname(rc), hint);
}

/* ---------------------------------------------------------------- JSON */
static void jb_put(jb *j, const char *s, size_t n)
{
    if (j->oom)
        return;
    if (j->n + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < j->n + n + 1)
            cap *= 2;
        char *p = realloc(j->p, cap);
        if (!p) {
            j->oom = 1;
            return;
        }
        j->p = p;
        j->cap = cap;
    }
    memcpy(j->p + j->n, s, n);
    j->n += n;
    j->p[j->n] = 0;
}

static void jb_puts(jb *j, const char *s)
{
    jb_put(j, s, strlen(s));
}

static void jb_quote(jb *j, const void *p, size_t n)
{
    const unsigned char *s = p;
    jb_put(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char e[8];
        switch (s[i]) {
        case '"':
            jb_put(j, "\\\"", 2);
            break;
        case '\\':
            jb_put(j, "\\\\", 2);
            break;
        case '\n':
            jb_put(j, "\\n", 2);
            break;
        case '\r':
            jb_put(j, "\\r", 2);
            break;
        case '\t':
            jb_put(j, "\\t", 2);
            break;
        default:
            if (s[i] < 0x20 || s[i] == 0x7f) {
                snprintf(e, sizeof(e), "\\u%04x", s[i]);
                jb_put(j, e, 6);
            } else {
                jb_put(j, (const char *)s + i, 1);
            }
        }
    }
    jb_put(j, "\"", 1);
}

static void jb_key(jb *j, const char *k)
{
    if (!j->first)
        jb_put(j, ",", 1);
    j->first = 0;
    if (k) {
        jb_quote(j, k, strlen(k));
        jb_put(j, ":", 1);
    }
}

void jb_begin(jb *j)
{
    memset(j, 0, sizeof(*j));
    jb_put(j, "{", 1);
    j->first = 1;
}

void jb_free(jb *j)
{
    free(j->p);
    memset(j, 0, sizeof(*j));
}

void jb_end_print(jb *j, FILE *f)
{
    jb_put(j, "}", 1);
    if (!j->oom)
        fprintf(f, "%s\n", j->p);
    else
        fprintf(f, "{\"error\":\"out of memory\"}\n");
    jb_free(j);
}

void jb_str(jb *j, const char *k, const char *v)
{
    jb_key(j, k);
    jb_quote(j, v ? v : "", v ? strlen(v) : 0);
}

void jb_bytes(jb *j, const char *k, const void *p, size_t n)
{
    if (ctl_utf8_valid(p, n)) {
        jb_key(j, k);
        jb_quote(j, p, n);
        return;
    }
    char kk[128];
    snprintf(kk, sizeof(kk), "%s_base64", k ? k : "value");
    char *b = ctl_base64(p, n);
    if (!b) {
        j->oom = 1;
        return;
    }
    jb_key(j, kk);
    jb_quote(j, b, strlen(b));
    free(b);
}

void jb_hex(jb *j, const char *k, const void *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (!h) {
        j->oom = 1;
        return;
    }
    ctl_hex(h, p, n);
    jb_str(j, k, h);
    free(h);
}

void jb_u64(jb *j, const char *k, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    jb_key(j, k);
    jb_puts(j, b);
}

void jb_i64(jb *j, const char *k, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%lld", (long long)v);
    jb_key(j, k);
    jb_puts(j, b);
}

void jb_double(jb *j, const char *k, double v)
{
    char b[64];
    if (isfinite(v))
        snprintf(b, sizeof(b), "%.17g", v);
    else
        snprintf(b, sizeof(b), "null");
    jb_key(j, k);
    jb_puts(j, b);
}

void jb_bool(jb *j, const char *k, int v)
{
    jb_key(j, k);
    jb_puts(j, v ? "true" : "false");
}

void jb_null(jb *j, const char *k)
{
    jb_key(j, k);
    jb_puts(j, "null");
}

void jb_obj(jb *j, const char *k)
{
    jb_key(j, k);
    jb_put(j, "{", 1);
    j->first = 1;
}

void jb_obj_end(jb *j)
{
    jb_put(j, "}", 1);
    j->first = 0;
}

void jb_arr(jb *j, const char *k)
{
    jb_key(j, k);
    jb_put(j, "[", 1);
    j->first = 1;
}

void jb_arr_end(jb *j)
{
    jb_put(j, "]", 1);
    j->first = 0;
}

void jb_arr_str(jb *j, const char *v)
{
    jb_key(j, NULL);
    jb_quote(j, v, strlen(v));
}

/* ---------------------------------------------------------- text forms */
/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char b = p[0];
    size_t len;
    uint32_t cp;
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
        cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        cp = b & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

int ctl_utf8_valid(const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

void ctl_print_bytes(FILE *f, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s + i, n - i);
        if (l == 0 || (l == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            fprintf(f, "\\x%02x", s[i]);
            i++;
        } else if (s[i] == '\\') {
            fputs("\\\\", f);
            i++;
        } else {
            fwrite(s + i, 1, l, f);
            i += l;
        }
    }
}

void ctl_hex(char *out, const void *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[s[i] >> 4];
        out[2 * i + 1] = d[s[i] & 15];
    }
    out[2 * n] = 0;
}

void ctl_print_hex(FILE *f, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", s[i]);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int ctl_unhex(const char *s, uint8_t **out, size_t *n)
{
    size_t len = strlen(s);
    if (len % 2)
        return -1;
    uint8_t *b = malloc(len / 2 + 1);
    if (!b)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *n = len / 2;
    return 0;
}

char *ctl_base64(const void *p, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = p;
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    if (!o)
        return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *q++ = t[v >> 18];
        *q++ = t[(v >> 12) & 63];
        *q++ = t[(v >> 6) & 63];
        *q++ = t[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        *q++ = t[v >> 18];
        *q++ = t[(v >> 12) & 63];
        *q++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
        *q++ = '=';
    }
    *q = 0;
    return o;
}

void ctl_fmt_time(char *out, size_t cap, int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, cap, "%lld", (long long)unix_s);
}

/* --------------------------------------------------------------- input */
int ctl_read_all(ctl *c, const char *path, uint8_t **out, size_t *n)
{
    int fd = 0, own = 0;
    if (strcmp(path, "-") == 0) {
        if (c->stdin_used)
            return ctl_usage_err(c, "stdin is already used for something else");
        c->stdin_used = 1;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return ctl_err(c, CTL_ERR, "cannot open %s: %s", path, strerror(errno));
        own = 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *b = malloc(cap);
    int rc = 0;
    while (b) {
        if (len == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ctl_err(c, CTL_ERR, "cannot read %s: %s", own ? path : "stdin", strerror(errno));
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (own)
        close(fd);
    if (!b)
        return ctl_err(c, CTL_ERR, "out of memory reading %s", own ? path : "stdin");
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    *n = len;
    return 0;
}

int ctl_arg_bytes(ctl *c, const char *arg, uint8_t **out, size_t *n)
{
    if (ctl_flag(c, "hex")) {
        if (ctl_unhex(arg, out, n) != 0)
            return ctl_usage_err(c, "'%s' is not hex", arg);
        return 0;
    }
    size_t len = strlen(arg);
    uint8_t *b = malloc(len + 1);
    if (!b)
        return ctl_err(c, CTL_ERR, "out of memory");
    memcpy(b, arg, len + 1);
    *out = b;
    *n = len;
    return 0;
}

int ctl_value(ctl *c, const char *arg, uint8_t **out, size_t *n)
{
    const char *file = ctl_opt(c, "file");
    if (file && arg)
        return ctl_usage_err(c, "give the value either as an argument or with --file, not both");
    if (file)
        return ctl_read_all(c, file, out, n);
    if (!arg || strcmp(arg, "-") == 0) {
        if (!arg && isatty(0))
            fprintf(stderr, "(reading the value from stdin; end with Ctrl-D)\n");
        return ctl_read_all(c, "-", out, n);
    }
    return ctl_arg_bytes(c, arg, out, n);
}

/* ------------------------------------------------------------- secrets */
void ctl_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

/* Reads one line (without its newline) from |fd|, byte by byte so that
 * nothing after it is consumed. */
static int read_line(int fd, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            if (n == 0)
                return -1;
            break;
        }
        if (ch == '\n')
            break;
        if (n + 1 >= cap)
            return -2;
        out[n++] = ch;
    }
    if (n && out[n - 1] == '\r')
        n--;
    out[n] = 0;
    return 0;
}

static int prompt_tty(const char *prompt, char *out, size_t cap)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct termios old, quiet;
    int have = tcgetattr(fd, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(fd, TCSANOW, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* the prompt is a courtesy */
    }
    int rc = read_line(fd, out, cap);
    if (have)
        tcsetattr(fd, TCSANOW, &old);
    if (write(fd, "\n", 1) < 0) {
        /* idem */
    }
    close(fd);
    return rc;
}

int ctl_secret(ctl *c, const char *prompt, const char *env, int confirm, char *out, size_t cap)
{
    const char *e;
    if (c->password_stdin) {
        if (c->stdin_used == 1)
            return ctl_usage_err(c, "--password-stdin: stdin is already used for the value");
        c->stdin_used = 2;
        int r = read_line(0, out, cap);
        if (r == -2)
            return ctl_err(c, CTL_ERR, "the password on stdin is too long");
        if (r != 0)
            return ctl_err(c, CTL_ERR, "--password-stdin: no line on stdin for: %s", prompt);
        return 0;
    }
    if (env && (e = getenv(env)) != NULL) {
        if (strlen(e) >= cap)
            return ctl_err(c, CTL_ERR, "%s is too long", env);
        snprintf(out, cap, "%s", e);
        return 0;
    }
    if (!isatty(0) && !isatty(2))
        return ctl_usage_err(c, "no password: not on a terminal; use --password-stdin or %s", env);
    char p1[1024];
    if (prompt_tty(prompt, out, cap) != 0)
        return ctl_usage_err(c, "no password: cannot read the terminal; use --password-stdin or %s",
                             env);
    if (confirm) {
        int r = prompt_tty("Confirm password: ", p1, sizeof(p1));
        int same = r == 0 && strcmp(p1, out) == 0;
        ctl_wipe(p1, sizeof(p1));
        if (!same) {
            ctl_wipe(out, cap);
            return ctl_err(c, CTL_USAGE, "the passwords do not match");
        }
    }
    return 0;
}

/* ----------------------------------------------------------- token file */
/* The token file: a few "name value" lines, mode 0600:
 *   sealctl-token 1
 *   server HOST:PORT
 *   user USER
 *   database DB
 *   token TOKEN */
int ctl_token_load(ctl *c, ctl_token *t)
{
    int fd = open(c->tokenfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return SEAL_ENOTFOUND;
        return ctl_err(c, CTL_ERR, "cannot open the token file %s: %s", c->tokenfile,
                       strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 16384) {
        close(fd);
        return ctl_err(c, CTL_ERR, "the token file %s is not a small regular file", c->tokenfile);
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        close(fd);
        return ctl_err(c, CTL_ERR,
                       "the token file %s is readable by others or not yours (mode %03o): "
                       "not used; remove it and log in again",
                       c->tokenfile, (unsigned)(st.st_mode & 0777));
    }
    char buf[16384 + 1];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return ctl_err(c, CTL_ERR, "cannot read the token file %s", c->tokenfile);
    buf[n] = 0;
    memset(t, 0, sizeof(*t));
    int version = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = 0;
        const char *v = sp + 1;
        if (strcmp(line, "sealctl-token") == 0) {
            version = atoi(v);
        } else if (strcmp(line, "server") == 0) {
            const char *colon = strrchr(v, ':');
            if (!colon)
                continue;
            snprintf(t->host, sizeof(t->host), "%.*s", (int)(colon - v), v);
            t->port = atoi(colon + 1);
        } else if (strcmp(line, "user") == 0) {
            snprintf(t->user, sizeof(t->user), "%s", v);
        } else if (strcmp(line, "database") == 0) {
            snprintf(t->database, sizeof(t->database), "%s", v);
        } else if (strcmp(line, "token") == 0) {
            snprintf(t->token, sizeof(t->token), "%s", v);
        }
    }
    ctl_wipe(buf, sizeof(buf));
    if (version != 1 || !t->token[0] || !t->host[0])
        return ctl_err(c, CTL_ERR, "the token file %s is not a sealctl token file", c->tokenfile);
    return 0;
}

static int mkdir_parent(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    if (errno == ENOENT) {
        if (mkdir_parent(dir) != 0)
            return -1;
        return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
    }
    return -1;
}

int ctl_token_save(ctl *c, const ctl_token *t)
{
    if (mkdir_parent(c->tokenfile) != 0)
        return ctl_err(c, CTL_ERR, "cannot create the directory of %s: %s", c->tokenfile,
                       strerror(errno));
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", c->tokenfile, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ctl_err(c, CTL_ERR, "cannot write the token file %s: %s", tmp, strerror(errno));
    char buf[8192];
    int len = snprintf(buf, sizeof(buf),
                       "sealctl-token 1\nserver %s:%d\nuser %s\ndatabase %s\ntoken %s\n", t->host,
                       t->port, t->user, t->database, t->token);
    int ok = len > 0 && (size_t)len < sizeof(buf) && fchmod(fd, 0600) == 0 &&
             write(fd, buf, (size_t)len) == (ssize_t)len && fsync(fd) == 0;
    ctl_wipe(buf, sizeof(buf));
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, c->tokenfile) != 0) {
        int e = errno;
        unlink(tmp);
        return ctl_err(c, CTL_ERR, "cannot write the token file %s: %s", c->tokenfile, strerror(e));
    }
    return 0;
}

int ctl_token_remove(ctl *c)
{
    if (unlink(c->tokenfile) != 0 && errno != ENOENT)
        return ctl_err(c, CTL_ERR, "cannot remove the token file %s: %s", c->tokenfile,
                       strerror(errno));
    return 0;
}

/* ----------------------------------------------------------- connection */
static void on_notice(void *arg, const char *msg)
{
    ctl *c = arg;
    if (c->out == OUT_TEXT)
        fprintf(stderr, "sealctl: note: %s\n", msg);
}

void ctl_client_opts(ctl *c, seal_client_opts *o)
{
    seal_client_opts_default(o);
    o->host = c->host;
    o->port = c->port;
    o->tls_ca_file = ctl_opt(c, "ca-file");
    o->tls_cert_file = ctl_opt(c, "cert");
    o->tls_key_file = ctl_opt(c, "key");
    o->tls_server_name = ctl_opt(c, "servername");
    o->use_tls = ctl_flag(c, "tls") || o->tls_ca_file || o->tls_cert_file;
    uint64_t t = 0;
    if (ctl_opt(c, "timeout") && ctl_parse_u64(ctl_opt(c, "timeout"), &t) == 0)
        o->timeout_ms = t > INT_MAX ? INT_MAX : (int)t;
    o->state_dir = ctl_opt(c, "state-dir");
    o->server_pubkey_file = ctl_opt(c, "server-signing-pubkey");
    o->notice = on_notice;
    o->notice_arg = c;
}

int ctl_connect_plain(ctl *c)
{
    seal_client_opts o;
    ctl_client_opts(c, &o);
    if (c->database)
        o.database = c->database;
    seal_client *cli = NULL;
    int rc = seal_client_connect(&o, &cli);
    if (rc != 0) {
        char what[300];
        snprintf(what, sizeof(what), "cannot connect to %s:%d%s", c->host, c->port,
                 rc == SEAL_EIO || rc == SEAL_ETIMEOUT ? " (is sealdb running there?)" : "");
        if (cli) {
            c->cli = cli;
            int code = ctl_fail(c, rc, what);
            seal_client_close(cli);
            c->cli = NULL;
            return code == CTL_VERIFY ? CTL_ERR : code;
        }
        return ctl_fail(c, rc, what);
    }
    c->cli = cli;
    return 0;
}

void ctl_disconnect(ctl *c)
{
    seal_client_close(c->cli);
    c->cli = NULL;
}

int ctl_connect(ctl *c)
{
    int rc = ctl_connect_plain(c);
    if (rc)
        return rc;
    if (c->username) {
        char pw[1024];
        if ((rc = ctl_secret(c, "Password: ", "SEALDB_PASSWORD", 0, pw, sizeof(pw))) != 0)
            return rc;
        char *warning = NULL;
        rc = seal_client_login(c->cli, c->username, pw, &warning);
        ctl_wipe(pw, sizeof(pw));
        seal_free(warning);
        if (rc)
            return ctl_fail(c, rc, "login");
        snprintf(c->login_user, sizeof(c->login_user), "%s", c->username);
        /* a server with several databases wants UseDatabase after Login */
        rc = seal_client_use_database(c->cli, c->database ? c->database : "defaultdb");
        if (rc == SEAL_EPERM && !c->database)
            return 0; /* no right on defaultdb: calls that need a database will say so */
        if (rc) {
            char what[300];
            snprintf(what, sizeof(what), "use database '%s'",
                     c->database ? c->database : "defaultdb");
            return ctl_fail(c, rc, what);
        }
        return 0;
    } else {
        ctl_token t;
        rc = ctl_token_load(c, &t);
        if (rc == SEAL_ENOTFOUND)
            return 0; /* no credentials: the server decides */
        if (rc)
            return rc;
        if (strcmp(t.host, c->host) != 0 || t.port != c->port) {
            /* a token is never sent to another server than the one it came from */
            ctl_wipe(&t, sizeof(t));
            return 0;
        }
        rc = seal_client_set_token(c->cli, t.token, t.database[0] ? t.database : NULL);
        snprintf(c->login_user, sizeof(c->login_user), "%s", t.user);
        ctl_wipe(&t, sizeof(t));
        if (rc)
            return ctl_fail(c, rc, "token file");
    }
    if (c->database && strcmp(c->database, seal_client_database(c->cli)) != 0) {
        rc = seal_client_use_database(c->cli, c->database);
        if (rc) {
            char what[300];
            snprintf(what, sizeof(what), "use database '%s'", c->database);
            return ctl_fail(c, rc, what);
        }
    }
    return 0;
}
