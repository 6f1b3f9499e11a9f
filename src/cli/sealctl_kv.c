/* sealctl_kv.c - sealctl's key/value and transaction commands: set, get,
 * safeset, safeget, delete, reference, safereference, zadd, safezadd, zscan,
 * scan, count, history, tx, safetx. Text output follows immuclient's
 * (tx, rev, key, value, hash lines); --output json prints one object per
 * result. */
#include "cli/sealctl.h"

#include <stdlib.h>
#include <string.h>

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

/* --------------------------------------------------------------- printing */
static void text_line(const char *label, const void *p, size_t n)
{
    printf("%-10s", label);
    ctl_print_bytes(stdout, p, n);
    printf("\n");
}

static void text_hex(const char *label, const void *p, size_t n)
{
    printf("%-10s", label);
    ctl_print_hex(stdout, p, n);
    printf("\n");
}

static void json_md(jb *j, const seal_kvmd *md)
{
    jb_obj(j, "metadata");
    jb_bool(j, "deleted", md->deleted);
    if (md->has_expires)
        jb_i64(j, "expires_at", md->expires_at);
    jb_bool(j, "non_indexable", md->non_indexable);
    jb_obj_end(j);
}

static void text_md(const seal_kvmd *md)
{
    printf("%-10s{deleted: %s, non-indexable: %s", "metadata:", md->deleted ? "true" : "false",
           md->non_indexable ? "true" : "false");
    if (md->has_expires) {
        char ts[64];
        ctl_fmt_time(ts, sizeof(ts), md->expires_at);
        printf(", expires at: %s", ts);
    }
    printf("}\n");
}

/* Value-only / raw forms; returns 1 when it printed. */
static int print_value_only(ctl *c, const seal_kventry *e)
{
    if (ctl_flag(c, "raw")) {
        if (e->value_len)
            fwrite(e->value, 1, e->value_len, stdout);
        return 1;
    }
    if (ctl_flag(c, "value-only")) {
        if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_bytes(&j, "value", e->value, e->value_len);
            jb_end_print(&j, stdout);
        } else {
            ctl_print_bytes(stdout, e->value, e->value_len);
            printf("\n");
        }
        return 1;
    }
    return 0;
}

static void entry_json(jb *j, const seal_kventry *e)
{
    jb_u64(j, "tx", e->tx);
    jb_u64(j, "revision", e->revision);
    jb_bytes(j, "key", e->key, e->key_len);
    jb_bytes(j, "value", e->value, e->value_len);
    if (e->has_md)
        json_md(j, &e->md);
    if (e->expired)
        jb_bool(j, "expired", 1);
    if (e->has_ref) {
        jb_obj(j, "referenced_by");
        jb_u64(j, "tx", e->ref.tx);
        jb_bytes(j, "key", e->ref.key, e->ref.key_len);
        jb_u64(j, "at_tx", e->ref.at_tx);
        jb_u64(j, "revision", e->ref.revision);
        jb_obj_end(j);
    }
}

static void entry_text(const seal_kventry *e)
{
    printf("%-10s%llu\n", "tx:", (unsigned long long)e->tx);
    if (e->revision)
        printf("%-10s%llu\n", "rev:", (unsigned long long)e->revision);
    text_line("key:", e->key, e->key_len);
    if (e->has_md)
        text_md(&e->md);
    if (e->expired)
        printf("%-10s%s\n", "expired:", "true");
    text_line("value:", e->value, e->value_len);
    if (e->has_ref) {
        printf("%-10s", "ref:");
        ctl_print_bytes(stdout, e->ref.key, e->ref.key_len);
        printf(" (tx %llu", (unsigned long long)e->ref.tx);
        if (e->ref.at_tx)
            printf(", bound to tx %llu", (unsigned long long)e->ref.at_tx);
        printf(")\n");
    }
}

static void print_entry(ctl *c, const seal_kventry *e, const seal_verify_info *vi)
{
    if (print_value_only(c, e))
        return;
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        entry_json(&j, e);
        if (vi) {
            jb_bool(&j, "verified", 1);
            jb_u64(&j, "trusted_tx", vi->target_tx);
            jb_hex(&j, "trusted_hash", vi->target_hash, SEAL_HASH_LEN);
            jb_str(&j, "trust", origin_name(vi->origin));
        }
        jb_end_print(&j, stdout);
        return;
    }
    entry_text(e);
    if (vi)
        printf("%-10s%s\n", "verified:", "true");
}

/* set / reference / zadd results: what was written and the tx. */
typedef struct wres {
    const char *kind;
    const uint8_t *key;
    size_t key_len;
    const char *vlabel; /* "value" / "referenced key" */
    const uint8_t *val;
    size_t val_len;
    const uint8_t *set;
    size_t set_len;
    int has_score;
    double score;
} wres;

static void print_write(ctl *c, const wres *w, const seal_txhdr *h, const seal_verify_info *vi)
{
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_u64(&j, "tx", h->id);
        if (w->set)
            jb_bytes(&j, "set", w->set, w->set_len);
        jb_bytes(&j, "key", w->key, w->key_len);
        if (w->has_score)
            jb_double(&j, "score", w->score);
        if (w->val)
            jb_bytes(&j, strcmp(w->vlabel, "value") == 0 ? "value" : "referenced_key", w->val,
                     w->val_len);
        jb_hex(&j, "hash", h->alh, SEAL_HASH_LEN);
        jb_hex(&j, "eh", h->eh, SEAL_HASH_LEN);
        jb_bool(&j, "verified", vi != NULL);
        if (vi) {
            jb_u64(&j, "trusted_tx", vi->target_tx);
            jb_hex(&j, "trusted_hash", vi->target_hash, SEAL_HASH_LEN);
            jb_str(&j, "trust", origin_name(vi->origin));
        }
        jb_end_print(&j, stdout);
        return;
    }
    printf("%-10s%llu\n", "tx:", (unsigned long long)h->id);
    if (w->set)
        text_line("set:", w->set, w->set_len);
    text_line("key:", w->key, w->key_len);
    if (w->has_score)
        printf("%-10s%g\n", "score:", w->score);
    if (w->val) {
        char lbl[32];
        snprintf(lbl, sizeof(lbl), "%s:", w->vlabel);
        if (strlen(lbl) >= 10) {
            printf("%s ", lbl);
            ctl_print_bytes(stdout, w->val, w->val_len);
            printf("\n");
        } else {
            text_line(lbl, w->val, w->val_len);
        }
    }
    text_hex("hash:", h->alh, SEAL_HASH_LEN);
    if (vi)
        printf("%-10s%s\n", "verified:", "true");
}

/* ---------------------------------------------------------- set / safeset */
static int do_set(ctl *c, int verified)
{
    uint8_t *key = NULL, *val = NULL;
    size_t kl = 0, vl = 0;
    int rc = ctl_arg_bytes(c, c->args[0], &key, &kl);
    if (rc == 0)
        rc = ctl_value(c, c->nargs > 1 ? c->args[1] : NULL, &val, &vl);
    if (rc == 0 && kl == 0)
        rc = ctl_usage_err(c, "the key is empty");
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_txhdr h;
        seal_verify_info vi;
        int r = verified ? seal_client_verified_set(c->cli, key, kl, val, vl, NULL, &h, &vi)
                         : seal_client_set(c->cli, key, kl, val, vl, NULL, &h);
        if (r) {
            rc = ctl_fail(c, r, NULL);
        } else {
            wres w = {.kind = "set",
                      .key = key,
                      .key_len = kl,
                      .vlabel = "value",
                      .val = val,
                      .val_len = vl};
            print_write(c, &w, &h, verified ? &vi : NULL);
        }
    }
    free(key);
    free(val);
    return rc;
}

int cmd_set(ctl *c)
{
    return do_set(c, 0);
}

int cmd_safeset(ctl *c)
{
    return do_set(c, 1);
}

/* ---------------------------------------------------------- get / safeget */
/* KEY@N: revision N when N is an integer. */
static int key_and_revision(ctl *c, uint8_t **key, size_t *kl, int64_t *rev, int *has_rev)
{
    const char *a = c->args[0];
    const char *at = strrchr(a, '@');
    *has_rev = 0;
    if (at && at != a && !ctl_flag(c, "hex")) {
        int64_t r;
        if (ctl_parse_i64(at + 1, &r) == 0) {
            *has_rev = 1;
            *rev = r;
            size_t n = (size_t)(at - a);
            *key = malloc(n + 1);
            if (!*key)
                return ctl_err(c, CTL_ERR, "out of memory");
            memcpy(*key, a, n);
            *kl = n;
            return 0;
        }
    }
    return ctl_arg_bytes(c, a, key, kl);
}

static int do_get(ctl *c, int verified)
{
    uint8_t *key = NULL;
    size_t kl = 0;
    int64_t rev = 0;
    int has_rev = 0;
    seal_read_opts ro;
    memset(&ro, 0, sizeof(ro));
    int rc = key_and_revision(c, &key, &kl, &rev, &has_rev);
    if (rc == 0 && (rc = ctl_opt_u64(c, "at-tx", &ro.at_tx)) == 0 &&
        (rc = ctl_opt_u64(c, "since-tx", &ro.since_tx)) == 0 &&
        (rc = ctl_opt_i64(c, "at-revision", &ro.at_revision)) == 0) {
        if (has_rev) {
            if (ctl_opt(c, "at-revision"))
                rc = ctl_usage_err(c, "give the revision either as KEY@N or --at-revision");
            ro.at_revision = rev;
        }
        if (rc == 0 && ro.at_tx && ro.at_revision)
            rc = ctl_usage_err(c, "--at-tx and a revision cannot be used together");
        if (rc == 0 && kl == 0)
            rc = ctl_usage_err(c, "the key is empty");
    }
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_kventry e;
        seal_verify_info vi;
        memset(&e, 0, sizeof(e));
        int r = verified ? seal_client_verified_get(c->cli, key, kl, &ro, &e, &vi)
                         : seal_client_get(c->cli, key, kl, &ro, &e);
        if (r) {
            rc = ctl_fail(c, r, NULL);
        } else {
            print_entry(c, &e, verified ? &vi : NULL);
            seal_kventry_clear(&e);
        }
    }
    free(key);
    return rc;
}

int cmd_get(ctl *c)
{
    return do_get(c, 0);
}

int cmd_safeget(ctl *c)
{
    return do_get(c, 1);
}

/* ------------------------------------------------------------------ delete */
int cmd_delete(ctl *c)
{
    seal_bytes keys[CTL_MAX_ARGS];
    uint8_t *bufs[CTL_MAX_ARGS];
    int n = 0, rc = 0;
    for (; n < c->nargs && rc == 0; n++) {
        size_t kl;
        rc = ctl_arg_bytes(c, c->args[n], &bufs[n], &kl);
        if (rc) {
            break;
        }
        keys[n].p = bufs[n];
        keys[n].n = kl;
        if (kl == 0)
            rc = ctl_usage_err(c, "empty key");
    }
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_txhdr h;
        int r = seal_client_delete(c->cli, keys, (size_t)n, 0, 0, &h);
        if (r) {
            rc = ctl_fail(c, r, NULL);
        } else if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_u64(&j, "tx", h.id);
            jb_arr(&j, "deleted");
            for (int i = 0; i < n; i++) {
                jb_obj(&j, NULL);
                jb_bytes(&j, "key", keys[i].p, keys[i].n);
                jb_obj_end(&j);
            }
            jb_arr_end(&j);
            jb_hex(&j, "hash", h.alh, SEAL_HASH_LEN);
            jb_end_print(&j, stdout);
        } else {
            printf("%-10s%llu\n", "tx:", (unsigned long long)h.id);
            for (int i = 0; i < n; i++)
                text_line("deleted:", keys[i].p, keys[i].n);
            text_hex("hash:", h.alh, SEAL_HASH_LEN);
        }
    }
    for (int i = 0; i < n; i++)
        free(bufs[i]);
    return rc;
}

/* --------------------------------------------------------------- reference */
static int do_reference(ctl *c, int verified)
{
    uint8_t *key = NULL, *ref = NULL;
    size_t kl = 0, rl = 0;
    uint64_t at_tx = 0;
    int rc = ctl_arg_bytes(c, c->args[0], &key, &kl);
    if (rc == 0)
        rc = ctl_arg_bytes(c, c->args[1], &ref, &rl);
    if (rc == 0)
        rc = ctl_opt_u64(c, "at-tx", &at_tx);
    if (rc == 0 && (kl == 0 || rl == 0))
        rc = ctl_usage_err(c, "empty key");
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_txhdr h;
        seal_verify_info vi;
        int r = verified
                    ? seal_client_verified_set_reference(c->cli, key, kl, ref, rl, at_tx, &h, &vi)
                    : seal_client_set_reference(c->cli, key, kl, ref, rl, at_tx, &h);
        if (r) {
            rc = ctl_fail(c, r, NULL);
        } else {
            wres w = {.kind = "reference",
                      .key = key,
                      .key_len = kl,
                      .vlabel = "referenced key",
                      .val = ref,
                      .val_len = rl};
            print_write(c, &w, &h, verified ? &vi : NULL);
        }
    }
    free(key);
    free(ref);
    return rc;
}

int cmd_reference(ctl *c)
{
    return do_reference(c, 0);
}

int cmd_safereference(ctl *c)
{
    return do_reference(c, 1);
}

/* -------------------------------------------------------------------- zadd */
static int parse_score(ctl *c, const char *s, double *out)
{
    char *end;
    double d = strtod(s, &end);
    if (!*s || *end || d != d)
        return ctl_usage_err(c, "SCORE must be a number, not '%s'", s);
    *out = d;
    return 0;
}

static int do_zadd(ctl *c, int verified)
{
    uint8_t *set = NULL, *key = NULL;
    size_t sl = 0, kl = 0;
    uint64_t at_tx = 0;
    double score = 0;
    int rc = ctl_arg_bytes(c, c->args[0], &set, &sl);
    if (rc == 0)
        rc = parse_score(c, c->args[1], &score);
    if (rc == 0)
        rc = ctl_arg_bytes(c, c->args[2], &key, &kl);
    if (rc == 0)
        rc = ctl_opt_u64(c, "at-tx", &at_tx);
    if (rc == 0 && (sl == 0 || kl == 0))
        rc = ctl_usage_err(c, "empty set or key");
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_txhdr h;
        seal_verify_info vi;
        int r = verified
                    ? seal_client_verified_zadd(c->cli, set, sl, score, key, kl, at_tx, &h, &vi)
                    : seal_client_zadd(c->cli, set, sl, score, key, kl, at_tx, &h);
        if (r) {
            rc = ctl_fail(c, r, NULL);
        } else {
            wres w = {.kind = "zadd",
                      .key = key,
                      .key_len = kl,
                      .set = set,
                      .set_len = sl,
                      .has_score = 1,
                      .score = score};
            print_write(c, &w, &h, verified ? &vi : NULL);
        }
    }
    free(set);
    free(key);
    return rc;
}

int cmd_zadd(ctl *c)
{
    return do_zadd(c, 0);
}

int cmd_safezadd(ctl *c)
{
    return do_zadd(c, 1);
}

/* ------------------------------------------------------------ lists of entries */
static void print_entries(ctl *c, const seal_kventry *e, size_t n, const char *empty)
{
    if (n == 0 && c->out == OUT_TEXT && !ctl_flag(c, "raw") && !ctl_flag(c, "value-only"))
        printf("%s\n", empty);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && c->out == OUT_TEXT && !ctl_flag(c, "raw") && !ctl_flag(c, "value-only"))
            printf("\n");
        print_entry(c, &e[i], NULL);
    }
}

int cmd_zscan(ctl *c)
{
    uint8_t *set = NULL;
    size_t sl = 0;
    seal_zscan_req r;
    memset(&r, 0, sizeof(r));
    int rc = ctl_arg_bytes(c, c->args[0], &set, &sl);
    if (rc == 0 && (rc = ctl_opt_u64(c, "limit", &r.limit)) == 0 &&
        (rc = ctl_opt_u64(c, "offset", &r.offset)) == 0 &&
        (rc = ctl_opt_u64(c, "since-tx", &r.since_tx)) == 0 &&
        (rc = ctl_opt_double(c, "min-score", &r.min_score)) == 0)
        rc = ctl_opt_double(c, "max-score", &r.max_score);
    if (rc == 0 && sl == 0)
        rc = ctl_usage_err(c, "empty set");
    r.set = set;
    r.set_len = sl;
    r.desc = ctl_flag(c, "desc");
    r.has_min_score = ctl_opt(c, "min-score") != NULL;
    r.has_max_score = ctl_opt(c, "max-score") != NULL;
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_zentry *z = NULL;
        size_t n = 0;
        int e = seal_client_zscan(c->cli, &r, &z, &n);
        if (e) {
            rc = ctl_fail(c, e, NULL);
        } else {
            int plain = c->out == OUT_TEXT && !ctl_flag(c, "raw") && !ctl_flag(c, "value-only");
            if (n == 0 && plain)
                printf("no entries\n");
            for (size_t i = 0; i < n; i++) {
                if (ctl_flag(c, "raw") || ctl_flag(c, "value-only")) {
                    if (z[i].has_entry)
                        print_value_only(c, &z[i].entry);
                    continue;
                }
                if (c->out == OUT_JSON) {
                    jb j;
                    jb_begin(&j);
                    jb_bytes(&j, "set", z[i].set, z[i].set_len);
                    jb_double(&j, "score", z[i].score);
                    jb_u64(&j, "at_tx", z[i].at_tx);
                    if (z[i].has_entry) {
                        entry_json(&j, &z[i].entry);
                    } else {
                        jb_bytes(&j, "key", z[i].key, z[i].key_len);
                    }
                    jb_end_print(&j, stdout);
                    continue;
                }
                if (i > 0)
                    printf("\n");
                text_line("set:", z[i].set, z[i].set_len);
                printf("%-10s%g\n", "score:", z[i].score);
                if (z[i].has_entry) {
                    entry_text(&z[i].entry);
                } else {
                    text_line("key:", z[i].key, z[i].key_len);
                }
            }
            seal_zentries_free(z, n);
        }
    }
    free(set);
    return rc;
}

int cmd_scan(ctl *c)
{
    uint8_t *prefix = NULL, *seek = NULL, *end = NULL;
    size_t pl = 0, skl = 0, el = 0;
    seal_scan_req r;
    memset(&r, 0, sizeof(r));
    int rc = 0;
    if (c->nargs > 0)
        rc = ctl_arg_bytes(c, c->args[0], &prefix, &pl);
    if (rc == 0 && ctl_opt(c, "seek"))
        rc = ctl_arg_bytes(c, ctl_opt(c, "seek"), &seek, &skl);
    if (rc == 0 && ctl_opt(c, "end"))
        rc = ctl_arg_bytes(c, ctl_opt(c, "end"), &end, &el);
    if (rc == 0 && (rc = ctl_opt_u64(c, "limit", &r.limit)) == 0 &&
        (rc = ctl_opt_u64(c, "offset", &r.offset)) == 0)
        rc = ctl_opt_u64(c, "since-tx", &r.since_tx);
    r.prefix = prefix;
    r.prefix_len = pl;
    r.seek_key = seek;
    r.seek_len = skl;
    r.end_key = end;
    r.end_len = el;
    r.inclusive_seek = 1;
    r.inclusive_end = 1;
    r.desc = ctl_flag(c, "desc");
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_kventry *e = NULL;
        size_t n = 0;
        int x = seal_client_scan(c->cli, &r, &e, &n);
        if (x) {
            rc = ctl_fail(c, x, NULL);
        } else {
            print_entries(c, e, n, "no entries");
            seal_kventries_free(e, n);
        }
    }
    free(prefix);
    free(seek);
    free(end);
    return rc;
}

int cmd_count(ctl *c)
{
    uint8_t *prefix = NULL;
    size_t pl = 0;
    int rc = 0;
    if (c->nargs > 0)
        rc = ctl_arg_bytes(c, c->args[0], &prefix, &pl);
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        uint64_t n = 0;
        int x = seal_client_count(c->cli, prefix, pl, &n);
        if (x) {
            rc = ctl_fail(c, x, NULL);
        } else if (c->out == OUT_JSON) {
            jb j;
            jb_begin(&j);
            jb_bytes(&j, "prefix", prefix, pl);
            jb_u64(&j, "count", n);
            jb_end_print(&j, stdout);
        } else {
            printf("%llu\n", (unsigned long long)n);
        }
    }
    free(prefix);
    return rc;
}

int cmd_history(ctl *c)
{
    uint8_t *key = NULL;
    size_t kl = 0;
    uint64_t limit = 0, offset = 0, since = 0;
    int rc = ctl_arg_bytes(c, c->args[0], &key, &kl);
    if (rc == 0 && (rc = ctl_opt_u64(c, "limit", &limit)) == 0 &&
        (rc = ctl_opt_u64(c, "offset", &offset)) == 0)
        rc = ctl_opt_u64(c, "since-tx", &since);
    if (rc == 0 && limit > INT32_MAX)
        rc = ctl_usage_err(c, "--limit is too large");
    if (rc == 0 && kl == 0)
        rc = ctl_usage_err(c, "the key is empty");
    if (rc == 0)
        rc = ctl_connect(c);
    if (rc == 0) {
        seal_kventry *e = NULL;
        size_t n = 0;
        int x = seal_client_history(c->cli, key, kl, offset, (int32_t)limit, ctl_flag(c, "desc"),
                                    since, &e, &n);
        if (x) {
            rc = ctl_fail(c, x, NULL);
        } else {
            print_entries(c, e, n, "no item found");
            seal_kventries_free(e, n);
        }
    }
    free(key);
    return rc;
}

/* ----------------------------------------------------------------- tx, safetx */
static void print_tx(ctl *c, const seal_rtx *t, const seal_verify_info *vi)
{
    const seal_txhdr *h = &t->hdr;
    char ts[64];
    ctl_fmt_time(ts, sizeof(ts), h->ts);
    if (c->out == OUT_JSON) {
        jb j;
        jb_begin(&j);
        jb_u64(&j, "tx", h->id);
        jb_i64(&j, "ts", h->ts);
        jb_u64(&j, "nentries", h->nentries);
        jb_hex(&j, "hash", h->alh, SEAL_HASH_LEN);
        jb_hex(&j, "prev_alh", h->prev_alh, SEAL_HASH_LEN);
        jb_hex(&j, "eh", h->eh, SEAL_HASH_LEN);
        jb_u64(&j, "bl_tx_id", h->bl_tx_id);
        jb_hex(&j, "bl_root", h->bl_root, SEAL_HASH_LEN);
        jb_i64(&j, "version", h->version);
        jb_arr(&j, "entries");
        for (size_t i = 0; i < t->n; i++) {
            const seal_rtx_entry *e = &t->entries[i];
            jb_obj(&j, NULL);
            jb_bytes(&j, "key", e->key, e->key_len);
            jb_hex(&j, "hval", e->hval, SEAL_HASH_LEN);
            jb_u64(&j, "vlen", e->vlen);
            if (e->has_md)
                json_md(&j, &e->md);
            if (e->value)
                jb_bytes(&j, "value", e->value, e->value_len);
            jb_obj_end(&j);
        }
        jb_arr_end(&j);
        jb_bool(&j, "verified", vi != NULL);
        if (vi) {
            jb_u64(&j, "trusted_tx", vi->target_tx);
            jb_hex(&j, "trusted_hash", vi->target_hash, SEAL_HASH_LEN);
            jb_str(&j, "trust", origin_name(vi->origin));
        }
        jb_end_print(&j, stdout);
        return;
    }
    printf("%-10s%llu\n", "tx:", (unsigned long long)h->id);
    printf("%-10s%s\n", "time:", ts);
    printf("%-10s%u\n", "entries:", h->nentries);
    text_hex("hash:", h->alh, SEAL_HASH_LEN);
    printf("%-10s%d\n", "version:", h->version);
    for (size_t i = 0; i < t->n; i++) {
        const seal_rtx_entry *e = &t->entries[i];
        printf("%-10s", "entry:");
        ctl_print_bytes(stdout, e->key, e->key_len);
        printf(" (%u bytes, value hash ", e->vlen);
        ctl_print_hex(stdout, e->hval, SEAL_HASH_LEN);
        printf("%s)\n", e->has_md && e->md.deleted ? ", deleted" : "");
    }
    if (vi)
        printf("%-10s%s\n", "verified:", "true");
}

static int do_tx(ctl *c, int verified)
{
    uint64_t id;
    if (ctl_parse_u64(c->args[0], &id) != 0 || id == 0)
        return ctl_usage_err(c, "'%s' is not a tx id (an integer > 0)", c->args[0]);
    int rc = ctl_connect(c);
    if (rc)
        return rc;
    seal_rtx t;
    seal_verify_info vi;
    memset(&t, 0, sizeof(t));
    int x = verified ? seal_client_verified_tx_by_id(c->cli, id, &t, &vi)
                     : seal_client_tx_by_id(c->cli, id, &t);
    if (x)
        return ctl_fail(c, x, NULL);
    print_tx(c, &t, verified ? &vi : NULL);
    seal_rtx_clear(&t);
    return 0;
}

int cmd_tx(ctl *c)
{
    return do_tx(c, 0);
}

int cmd_safetx(ctl *c)
{
    return do_tx(c, 1);
}
