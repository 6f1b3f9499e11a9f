/* sealctl_verify.c - sealctl's state and verification commands: current,
 * check-consistency, audit (polls a running server and checks each new
 * state against the trusted one) and verify DIR (offline, read-only check
 * of a data directory with seal_verify_dir). */
#include "cli/sealctl.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *origin_name(seal_trust_origin o)
{
    switch (o) {
    case SEAL_TRUST_FIRST_USE:
        return "first_use";
    case SEAL_TRUST_PINNED:
        return "pinned";
    default:
        return "stored";
    }
}

/* ---------------------------------------------------------------- current */
int cmd_current(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_dbstate s;
    int x = seal_client_current_state(c->cli, &s);
    if (x)
        return ctl_fail(c, x, NULL);
    int sig_checked = ctl_opt(c, "server-signing-pubkey") != NULL;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", s.db);
        jb_u64(&j, "tx", s.tx_id);
        jb_hex(&j, "hash", s.tx_hash, SEAL_HASH_LEN);
        jb_bool(&j, "signed", s.has_signature);
        if (s.has_signature)
            jb_hex(&j, "signature", s.signature, s.signature_len);
        jb_bool(&j, "signature_verified", sig_checked && s.has_signature);
        jb_end_print(&j, stdout);
        return 0;
    }
    if (s.tx_id == 0) {
        printf("database '%s' is empty\n", s.db);
        return 0;
    }
    printf("%-11s%s\n", "database:", s.db);
    printf("%-11s%llu\n", "txID:", (unsigned long long)s.tx_id);
    printf("%-11s", "hash:");
    ctl_print_hex(stdout, s.tx_hash, SEAL_HASH_LEN);
    printf("\n%-11s%s\n", "signed:",
           !s.has_signature ? "no"
                            : (sig_checked ? "yes (signature verified)"
                                           : "yes (not checked: no "
                                             "--server-signing-pubkey)"));
    return 0;
}

/* ------------------------------------------------------ check-consistency */
static void consistency_out(ctl *c, const seal_consistency *k, int ok, const char *err)
{
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "database", seal_client_database(c->cli));
        jb_bool(&j, "consistent", ok);
        jb_str(&j, "trust", origin_name(k->origin));
        jb_u64(&j, "trusted_tx", k->trusted_tx);
        jb_hex(&j, "trusted_hash", k->trusted_hash, SEAL_HASH_LEN);
        jb_u64(&j, "server_tx", k->server.tx_id);
        jb_hex(&j, "server_hash", k->server.tx_hash, SEAL_HASH_LEN);
        jb_bool(&j, "advanced", k->advanced);
        if (err)
            jb_str(&j, "error", err);
        jb_end_print(&j, stdout);
        return;
    }
    printf("%-12s%s\n", "database:", seal_client_database(c->cli));
    printf("%-12stx %llu hash ", "trusted:", (unsigned long long)k->trusted_tx);
    ctl_print_hex(stdout, k->trusted_hash, SEAL_HASH_LEN);
    printf(" (%s)\n%-12stx %llu hash ", origin_name(k->origin),
           "server:", (unsigned long long)k->server.tx_id);
    ctl_print_hex(stdout, k->server.tx_hash, SEAL_HASH_LEN);
    printf("\n%-12s%s\n", "consistent:", ok ? "true" : "FALSE");
}

int cmd_check_consistency(ctl *c)
{
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_consistency k;
    memset(&k, 0, sizeof(k));
    int x = seal_client_check_consistency(c->cli, &k);
    if (x == SEAL_ENOTFOUND)
        return ctl_err(c, CTL_ERR,
                       "no trusted state yet for database '%s' of this server: run a verified "
                       "command (safeget, safeset...) or 'sealctl audit --once' first",
                       seal_client_database(c->cli));
    if (x == SEAL_EVERIFY) {
        consistency_out(c, &k, 0, seal_client_last_error(c->cli));
        return ctl_fail(c, x, NULL);
    }
    if (x)
        return ctl_fail(c, x, NULL);
    consistency_out(c, &k, 1, NULL);
    return 0;
}

/* ------------------------------------------------------------------ audit */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void sleep_interruptible(double seconds)
{
    while (seconds > 0 && !g_stop) {
        double step = seconds > 0.1 ? 0.1 : seconds;
        struct timespec ts = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
        nanosleep(&ts, NULL);
        seconds -= step;
    }
}

static void audit_out(ctl *c, const seal_consistency *k)
{
    char now[64];
    ctl_fmt_time(now, sizeof(now), (int64_t)time(NULL));
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_str(&j, "time", now);
        jb_str(&j, "database", seal_client_database(c->cli));
        jb_bool(&j, "ok", 1);
        jb_str(&j, "trust", origin_name(k->origin));
        jb_u64(&j, "trusted_tx", k->trusted_tx);
        jb_hex(&j, "trusted_hash", k->trusted_hash, SEAL_HASH_LEN);
        jb_u64(&j, "server_tx", k->server.tx_id);
        jb_hex(&j, "server_hash", k->server.tx_hash, SEAL_HASH_LEN);
        jb_bool(&j, "advanced", k->advanced);
        jb_bool(&j, "signed", k->server.has_signature);
        jb_end_print(&j, stdout);
        return;
    }
    printf("%s audit ok: database %s: server tx %llu hash ", now, seal_client_database(c->cli),
           (unsigned long long)k->server.tx_id);
    ctl_print_hex(stdout, k->server.tx_hash, SEAL_HASH_LEN);
    if (k->origin == SEAL_TRUST_FIRST_USE)
        printf(": trusted on first use\n");
    else if (k->advanced)
        printf(": consistent with trusted tx %llu\n", (unsigned long long)k->trusted_tx);
    else
        printf(": unchanged\n");
}

int cmd_audit(ctl *c)
{
    double interval = 60;
    uint64_t count = 0;
    int rc = ctl_opt_double(c, "interval", &interval);
    if (rc == 0)
        rc = ctl_opt_u64(c, "count", &count);
    if (rc)
        return rc;
    if (interval < 0)
        return ctl_usage_err(c, "--interval must not be negative");
    if (ctl_flag(c, "once"))
        count = 1;
    if ((rc = ctl_connect(c)) != 0)
        return rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    uint64_t done = 0;
    int last = 0;
    while (!g_stop) {
        seal_consistency k;
        memset(&k, 0, sizeof(k));
        int x = seal_client_audit_step(c->cli, &k);
        if (x == SEAL_EVERIFY) {
            char what[300];
            snprintf(what, sizeof(what), "audit of database '%s'", seal_client_database(c->cli));
            if (c->out == OUT_JSON) {
                jb j;
                jb_begin(&j);
                jb_str(&j, "database", seal_client_database(c->cli));
                jb_bool(&j, "ok", 0);
                jb_u64(&j, "trusted_tx", k.trusted_tx);
                jb_hex(&j, "trusted_hash", k.trusted_hash, SEAL_HASH_LEN);
                jb_u64(&j, "server_tx", k.server.tx_id);
                jb_hex(&j, "server_hash", k.server.tx_hash, SEAL_HASH_LEN);
                jb_str(&j, "error", seal_client_last_error(c->cli));
                jb_end_print(&j, stdout);
            }
            return ctl_fail(c, x, what);
        }
        if (x) {
            last = ctl_fail(c, x, "audit step");
            if (count == 1 || x == SEAL_EAUTH || x == SEAL_EPERM)
                return last;
        } else {
            last = 0;
            audit_out(c, &k);
        }
        if (count && ++done >= count)
            break;
        sleep_interruptible(interval);
    }
    return last;
}

/* ----------------------------------------------------------------- verify */
typedef struct vprog {
    int on;
    const char *name;
    int last_pct;
    uint64_t last_done;
} vprog;

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
    vprog *p = arg;
    if (!p->on)
        return 0;
    int pct = total ? (int)(done * 100 / total) : 0;
    if (pct > 100)
        pct = 100;
    if (pct == p->last_pct && done - p->last_done < 100000)
        return 0;
    p->last_pct = pct;
    p->last_done = done;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[40] = 0;
    fprintf(stderr, "\rverifying %s [%s] %3d%% %llu/%llu txs", p->name, bar, pct,
            (unsigned long long)done, (unsigned long long)total);
    return 0;
}

static void report_json(jb *j, const char *dir, int rc, const seal_verify_report *r)
{
    jb_str(j, "dir", dir);
    jb_bool(j, "ok", rc == 0);
    jb_u64(j, "txs_checked", r->txs_checked);
    jb_u64(j, "values_checked", r->values_checked);
    jb_u64(j, "bytes_checked", r->bytes_checked);
    jb_u64(j, "tail_bytes", r->tail_bytes);
    if (r->tail_bytes)
        jb_u64(j, "tail_after_tx", r->tail_after_tx);
    jb_arr(j, "notes");
    if (r->nnotes) {
        char notes[sizeof(r->notes)];
        memcpy(notes, r->notes, sizeof(notes));
        notes[sizeof(notes) - 1] = 0;
        char *save = NULL;
        for (char *l = strtok_r(notes, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            jb_arr_str(j, l);
    }
    jb_arr_end(j);
    if (rc == SEAL_ECORRUPT) {
        jb_u64(j, "bad_tx", r->bad_tx);
        jb_str(j, "file", r->file);
        jb_u64(j, "offset", r->offset);
        jb_str(j, "what", r->what);
    } else if (rc) {
        jb_str(j, "error", seal_last_error()[0] ? seal_last_error() : seal_strerror(rc));
        jb_str(j, "code", seal_errname(rc));
    }
}

/* Verifies one store directory; prints its report. Returns the seal rc. */
static int verify_one(ctl *c, const char *dir, const char *name, int *printed)
{
    seal_verify_report r;
    memset(&r, 0, sizeof(r));
    vprog p = {.on = isatty(2) && !ctl_flag(c, "no-progress") && c->out == OUT_TEXT,
               .name = name,
               .last_pct = -1};
    int rc = seal_verify_dir(dir, on_progress, &p, &r);
    if (p.on && p.last_pct >= 0)
        fprintf(stderr, "\r%-90s\r", "");
    if (rc == SEAL_ENOTFOUND)
        return rc;
    *printed = 1;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        report_json(&j, dir, rc, &r);
        jb_end_print(&j, stdout);
    } else if (rc == 0) {
        printf("%s: OK: %llu txs, %llu values, %llu bytes verified\n", dir,
               (unsigned long long)r.txs_checked, (unsigned long long)r.values_checked,
               (unsigned long long)r.bytes_checked);
        if (r.nnotes) {
            char notes[sizeof(r.notes)];
            memcpy(notes, r.notes, sizeof(notes));
            notes[sizeof(notes) - 1] = 0;
            char *save = NULL;
            for (char *l = strtok_r(notes, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                printf("  note: %s\n", l);
        }
    } else if (rc == SEAL_ECORRUPT) {
        printf("%s: VERIFICATION FAILED after %llu good txs\n", dir,
               (unsigned long long)r.txs_checked);
        printf("  tx:     %llu\n", (unsigned long long)r.bad_tx);
        printf("  file:   %s\n", r.file);
        printf("  offset: %llu\n", (unsigned long long)r.offset);
        printf("  what:   %s\n", r.what);
    } else {
        const char *why =
            rc == SEAL_EBUSY ? " (a server has it open: stop it or verify a copy)" : "";
        fprintf(stderr, "sealctl verify: %s: %s (%s)%s\n", dir,
                seal_last_error()[0] ? seal_last_error() : seal_strerror(rc), seal_errname(rc),
                why);
    }
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_verify(ctl *c)
{
    const char *dir = c->args[0];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ctl_err(c, CTL_ERR, "%s is not a directory", dir);
    int printed = 0;
    int rc = verify_one(c, dir, dir, &printed);
    if (rc != SEAL_ENOTFOUND)
        return ctl_exit_code(rc);
    /* a sealdb data directory: one store per database */
    DIR *d = opendir(dir);
    if (!d)
        return ctl_err(c, CTL_ERR, "cannot read %s", dir);
    char *names[1024];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 1024) {
        if (de->d_name[0] == '.')
            continue;
        names[n] = strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    int worst = 0, found = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            int p = 0;
            int r = verify_one(c, path, names[i], &p);
            if (r != SEAL_ENOTFOUND) {
                found++;
                int code = ctl_exit_code(r);
                if (code == CTL_VERIFY || (code && !worst))
                    worst = code;
            }
        }
        free(names[i]);
    }
    if (!found)
        return ctl_err(c, CTL_ERR, "no SealDB store in %s (nor in its subdirectories)", dir);
    return worst;
}
