/* client_state_test.c - libsealclient's trusted state: pinned first state
 * versus trust on first use, the state file format (immudb's
 * "<db>:<base64 ImmutableState>" lines) and its permissions, a corrupt file,
 * the consistency check and the audit step catching a server that rewinds
 * or forks, a trusted state 3000 txs behind, dual proofs that need the
 * linear advance proof (BlTxID lagging behind the tx id, built with the
 * mtree API) with the proof sent or fetched like immudb's Go client, and
 * concurrent clients (threads and processes) sharing one state file. */
#include "client_fakesrv.h"
#include "client/sc_internal.h"

#include <sys/stat.h>
#include <sys/wait.h>

static int g_notices;

static void on_notice(void *arg, const char *msg)
{
    g_notices++;
}

static void alh_of(seal_store *s, uint64_t tx, uint8_t out[32])
{
    seal_txinfo *ti = NULL;
    CHECK_OK(seal_tx_read(s, tx, 0, &ti));
    if (ti)
        memcpy(out, ti->hdr.alh, 32);
    seal_txinfo_free(ti);
}

static uint64_t server_tx(seal_store *s)
{
    uint64_t tx;
    uint8_t alh[32];
    CHECK_OK(seal_state(s, &tx, alh));
    return tx;
}

/* ----------------------------------------------------------- pin / TOFU */
static void test_pin_and_tofu(void)
{
    fk_server f;
    fk_start(&f, "pin", 1, false);
    fk_fill(f.st, "k", 10, 0);
    seal_client_opts o;
    seal_client *c = NULL;
    seal_kventry e;
    seal_verify_info vi;
    seal_consistency cs;

    /* no state, no pin: the consistency check has nothing to start from */
    fk_opts(&f, &o, "st-none");
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_ENOTFOUND);
    seal_client_close(c);

    /* a wrong pin is refused and nothing is saved */
    fk_opts(&f, &o, "st-pin");
    o.pin_tx = 5;
    alh_of(f.st, 5, o.pin_hash);
    o.pin_hash[0] ^= 1;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_verified_get(c, "k3", 2, NULL, &e, &vi), SEAL_EVERIFY);
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    CHECK_INT(cs.origin, SEAL_TRUST_PINNED);
    CHECK_INT(access(seal_client_state_path(c), F_OK), -1);
    seal_client_close(c);

    /* the right pin: the first call proves consistency from it */
    o.pin_hash[0] ^= 1;
    o.notice = on_notice;
    g_notices = 0;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_check_consistency(c, &cs));
    CHECK_INT(cs.origin, SEAL_TRUST_PINNED);
    CHECK_INT(cs.trusted_tx, 5);
    CHECK_INT(cs.server.tx_id, 10);
    CHECK_INT(cs.advanced, 0);
    CHECK_INT(access(seal_client_state_path(c), F_OK), -1);
    CHECK_OK(seal_client_verified_get(c, "k3", 2, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK_INT(vi.origin, SEAL_TRUST_PINNED);
    CHECK_INT(vi.source_tx, 5);
    CHECK_INT(vi.target_tx, 5);
    CHECK_INT(g_notices, 0);
    CHECK_OK(seal_client_verified_get(c, "k8", 2, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK_INT(vi.origin, SEAL_TRUST_STORED);
    CHECK_INT(vi.source_tx, 5);
    CHECK_INT(vi.target_tx, 9);
    seal_client_close(c);

    /* a pin that contradicts the stored state at the same tx */
    fk_opts(&f, &o, "st-pin");
    o.pin_tx = 9;
    alh_of(f.st, 9, o.pin_hash);
    o.pin_hash[31] ^= 1;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_verified_get(c, "k3", 2, NULL, &e, &vi), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "pinned") != NULL);
    seal_client_close(c);

    /* trust on first use, announced */
    fk_opts(&f, &o, "st-tofu");
    o.notice = on_notice;
    g_notices = 0;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_verified_get(c, "k3", 2, NULL, &e, &vi));
    seal_kventry_clear(&e);
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    CHECK_INT(vi.source_tx, 10);
    CHECK_INT(g_notices, 1);
    seal_client_close(c);

    /* audit step on first use adopts the server's state */
    fk_opts(&f, &o, "st-audit");
    o.notice = on_notice;
    g_notices = 0;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.origin, SEAL_TRUST_FIRST_USE);
    CHECK_INT(cs.advanced, 1);
    CHECK_INT(g_notices, 1);
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK_INT(ts.tx_id, 10);
    seal_client_close(c);
    fk_stop(&f);
}

/* ---------------------------------------------------------- file format */
static void test_state_file(void)
{
    fk_server f;
    fk_start(&f, "fmt", 1, true);
    fk_fill(f.st, "k", 4, 0);
    seal_client_opts o;
    fk_opts(&f, &o, "st-fmt");
    o.server_pubkey_file = f.pub_path;
    seal_client *c = NULL;
    seal_verify_info vi;
    seal_txhdr h;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_verified_set(c, "a", 1, "1", 1, NULL, &h, &vi));
    char buf[8192];
    long n = fk_read_file(seal_client_state_path(c), buf, sizeof(buf));
    CHECK(n > 10);
    CHECK(strncmp(buf, "defaultdb:", 10) == 0);
    CHECK(strchr(buf, '\n') == NULL);
    /* the line decodes to an ImmutableState (with the server's signature) */
    {
        uint8_t raw[1024];
        size_t rl = 0;
        uint8_t *dec = NULL;
        CHECK_OK(sc_b64_decode(buf + 10, (size_t)n - 10, &dec, &rl));
        CHECK(rl < sizeof(raw));
        Immudb__Schema__ImmutableState *m = immudb__schema__immutable_state__unpack(NULL, rl, dec);
        CHECK(m != NULL);
        if (m) {
            CHECK_STR(m->db, "defaultdb");
            CHECK_INT(m->txid, 5);
            uint8_t alh[32];
            alh_of(f.st, 5, alh);
            CHECK_INT(m->txhash.len, 32);
            CHECK_MEM(m->txhash.data, alh, 32);
            CHECK(m->signature != NULL && m->signature->signature.len > 60);
            immudb__schema__immutable_state__free_unpacked(m, NULL);
        }
        seal_free(dec);
    }
    /* a second database gets its own line; both survive */
    char uuid_path[600];
    snprintf(uuid_path, sizeof(uuid_path), "%s", seal_client_state_path(c));
    CHECK_OK(seal_client_use_database(c, "second"));
    CHECK_STR(seal_client_database(c), "second");
    CHECK_OK(seal_client_verified_set(c, "b", 1, "2", 1, NULL, &h, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_FIRST_USE);
    n = fk_read_file(uuid_path, buf, sizeof(buf));
    CHECK(strncmp(buf, "defaultdb:", 10) == 0);
    CHECK(strstr(buf, "\nsecond:") != NULL);
    CHECK(buf[n - 1] != '\n');
    CHECK_OK(seal_client_use_database(c, "defaultdb"));
    CHECK_OK(seal_client_verified_set(c, "c", 1, "3", 1, NULL, &h, &vi));
    CHECK_INT(vi.origin, SEAL_TRUST_STORED);
    CHECK_INT(vi.source_tx, 5);
    n = fk_read_file(uuid_path, buf, sizeof(buf));
    CHECK(strncmp(buf, "defaultdb:", 10) == 0 && strstr(buf, "\nsecond:") != NULL);

    /* a corrupt line: reported as such, the file is left alone */
    FILE *fp = fopen(uuid_path, "wb");
    fputs("defaultdb:!!!notbase64", fp);
    fclose(fp);
    seal_kventry e;
    CHECK_ERR(seal_client_verified_get(c, "a", 1, NULL, &e, &vi), SEAL_ECORRUPT);
    n = fk_read_file(uuid_path, buf, sizeof(buf));
    CHECK_STR(buf, "defaultdb:!!!notbase64");
    seal_client_close(c);

    /* a state directory others may write to is refused */
    fk_opts(&f, &o, "st-open");
    CHECK_INT(mkdir(o.state_dir, 0777), 0);
    CHECK_INT(chmod(o.state_dir, 0777), 0);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_verified_get(c, "a", 1, NULL, &e, &vi), SEAL_EPERM);
    seal_client_close(c);

    /* nested directories are created 0700 */
    fk_opts(&f, &o, "st-deep/a/b");
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_verified_get(c, "a", 1, NULL, &e, &vi));
    seal_kventry_clear(&e);
    struct stat sb;
    CHECK_INT(stat(t_path("st-deep/a"), &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0700);
    CHECK_INT(stat(seal_client_state_path(c), &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    seal_client_close(c);
    fk_stop(&f);
}

/* ------------------------------------------------------- rewind and fork */
static void test_rewind_fork(void)
{
    fk_server f;
    fk_start(&f, "rw", 1, true);
    fk_fill(f.st, "k", 12, 0);
    seal_client_opts o;
    fk_opts(&f, &o, "st-rw");
    o.server_pubkey_file = f.pub_path;
    seal_client *c = NULL;
    seal_consistency cs;
    seal_kventry e;
    seal_verify_info vi;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.trusted_tx, 12);
    CHECK_OK(seal_client_check_consistency(c, &cs));
    CHECK_INT(cs.origin, SEAL_TRUST_STORED);
    CHECK_INT(cs.advanced, 0);
    char before[4096], after[4096];
    long nb = fk_read_file(seal_client_state_path(c), before, sizeof(before));

    /* rewind */
    atomic_store(&f.rewind, 3);
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "rewound") != NULL);
    CHECK_INT(cs.server.tx_id, 9);
    CHECK_INT(cs.trusted_tx, 12);
    CHECK_ERR(seal_client_audit_step(c, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "rewound") != NULL);
    atomic_store(&f.rewind, 12);
    CHECK_ERR(seal_client_audit_step(c, &cs), SEAL_EVERIFY);
    CHECK_INT(cs.server.tx_id, 0);
    long na = fk_read_file(seal_client_state_path(c), after, sizeof(after));
    CHECK(na == nb && memcmp(before, after, (size_t)nb) == 0);
    atomic_store(&f.rewind, 0);

    /* honest growth: the audit step advances */
    fk_fill(f.st, "m", 5, 0);
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.trusted_tx, 12);
    CHECK_INT(cs.server.tx_id, 17);
    CHECK_INT(cs.advanced, 1);
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK_INT(ts.tx_id, 17);
    nb = fk_read_file(seal_client_state_path(c), before, sizeof(before));

    /* a fork with as many txs: same tx id, another hash */
    char altp[64];
    snprintf(altp, sizeof(altp), "rw-fork");
    f.alt = fk_open_store(t_path(altp), 1);
    fk_fill(f.alt, "fork", 17, 0);
    pthread_mutex_lock(&f.mu);
    f.st = f.alt;
    pthread_mutex_unlock(&f.mu);
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "forked") != NULL);
    CHECK(strstr(seal_client_last_error(c), "tx 17") != NULL);
    CHECK_ERR(seal_client_audit_step(c, &cs), SEAL_EVERIFY);
    /* a longer fork: the dual proof fails */
    fk_fill(f.alt, "fork", 4, 100);
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "forked") != NULL);
    CHECK(strstr(seal_client_last_error(c), "dual proof") != NULL);
    CHECK_ERR(seal_client_audit_step(c, &cs), SEAL_EVERIFY);
    CHECK_INT(cs.server.tx_id, 21);
    /* and every verified call refuses it */
    CHECK_ERR(seal_client_verified_get(c, "fork3", 5, NULL, &e, &vi), SEAL_EVERIFY);
    seal_txhdr h;
    CHECK_ERR(seal_client_verified_set(c, "x", 1, "y", 1, NULL, &h, &vi), SEAL_EVERIFY);
    na = fk_read_file(seal_client_state_path(c), after, sizeof(after));
    CHECK(na == nb && memcmp(before, after, (size_t)nb) == 0);

    /* back to the real history */
    pthread_mutex_lock(&f.mu);
    f.st = f.main;
    pthread_mutex_unlock(&f.mu);
    CHECK_OK(seal_client_check_consistency(c, &cs));
    /* a tampered CurrentState hash is a fork too */
    fk_fill(f.st, "n", 2, 0);
    atomic_store(&f.tamper, FK_STATE);
    seal_client_opts o2 = o;
    o2.server_pubkey_file = NULL;
    seal_client *c2 = NULL;
    CHECK_OK(seal_client_connect(&o2, &c2));
    CHECK_ERR(seal_client_check_consistency(c2, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c2), "forked") != NULL);
    /* ... and with the key configured, its signature no longer matches */
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    CHECK(strstr(seal_client_last_error(c), "signature") != NULL);
    atomic_store(&f.tamper, FK_NONE);
    seal_client_close(c2);
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.server.tx_id, 19);
    seal_client_close(c);
    fk_stop(&f);
}

/* --------------------------------------------- a state far behind (3000) */
static void test_far_behind(void)
{
    fk_server f;
    fk_start(&f, "far", 1, false);
    fk_fill(f.st, "k", 5, 0);
    seal_client_opts o;
    fk_opts(&f, &o, "st-far");
    seal_client *c = NULL;
    seal_consistency cs;
    seal_kventry e;
    seal_verify_info vi;
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.trusted_tx, 5);
    double t0 = t_now();
    fk_fill(f.st, "bulk", 3000, 0);
    double t1 = t_now();
    CHECK_OK(seal_client_check_consistency(c, &cs));
    CHECK_INT(cs.server.tx_id, 3005);
    CHECK_OK(seal_client_verified_get(c, "k2", 2, NULL, &e, &vi));
    CHECK_INT(vi.source_tx, 5);
    CHECK_INT(vi.target_tx, 5);
    seal_kventry_clear(&e);
    CHECK_OK(seal_client_verified_get(c, "bulk2999", 8, NULL, &e, &vi));
    CHECK_INT(vi.source_tx, 5);
    CHECK_INT(vi.target_tx, 3005);
    CHECK_MEM(e.value, "v2999", 5);
    seal_kventry_clear(&e);
    seal_rtx t;
    CHECK_OK(seal_client_verified_tx_by_id(c, 1500, &t, &vi));
    CHECK_INT(t.hdr.id, 1500);
    seal_rtx_clear(&t);
    fprintf(stderr, "3000 txs committed in %.2f s; proofs from 3000 txs behind in %.3f s\n",
            t1 - t0, t_now() - t1);
    /* a fresh state 3000 behind through the audit step */
    fk_opts(&f, &o, "st-far2");
    o.pin_tx = 3;
    alh_of(f.st, 3, o.pin_hash);
    seal_client *c2 = NULL;
    CHECK_OK(seal_client_connect(&o, &c2));
    CHECK_OK(seal_client_audit_step(c2, &cs));
    CHECK_INT(cs.origin, SEAL_TRUST_PINNED);
    CHECK_INT(cs.advanced, 1);
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c2, &ts));
    CHECK_INT(ts.tx_id, 3005);
    seal_client_close(c2);
    seal_client_close(c);
    fk_stop(&f);
}

/* --------------------------------------- lagging BlTxID: advance proofs */
static void test_linear_advance(void)
{
    fk_server f;
    fk_start(&f, "lag", 1, false);
    fk_chain *ch = fk_chain_build(30, 11, 20);
    f.chain = ch;
    CHECK_INT(ch->hdr[15].bl_tx_id, 10);
    CHECK_INT(ch->hdr[25].bl_tx_id, 24);
    seal_client_opts o;
    seal_client *c = NULL;
    seal_consistency cs;
    seal_verify_info vi;
    seal_rtx t;

    /* the server sends the advance proof */
    fk_opts(&f, &o, "st-lag1");
    o.pin_tx = 15;
    memcpy(o.pin_hash, ch->alh[15], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_check_consistency(c, &cs));
    CHECK_OK(seal_client_verified_tx_by_id(c, 25, &t, &vi));
    CHECK_INT(vi.source_tx, 15);
    CHECK_INT(vi.target_tx, 25);
    CHECK_INT(vi.advance_fetched, 0);
    CHECK_INT(t.n, 1);
    if (t.n)
        CHECK(t.entries[0].key_len == 3 && memcmp(t.entries[0].key, "k25", 3) == 0);
    seal_rtx_clear(&t);
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.server.tx_id, 30);
    seal_client_close(c);

    /* within the lagging range (no advance proof needed), and backwards */
    fk_opts(&f, &o, "st-lag2");
    o.pin_tx = 12;
    memcpy(o.pin_hash, ch->alh[12], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_verified_tx_by_id(c, 18, &t, &vi));
    seal_rtx_clear(&t);
    CHECK_OK(seal_client_verified_tx_by_id(c, 14, &t, &vi));
    CHECK_INT(vi.target_tx, 18);
    seal_rtx_clear(&t);
    CHECK_OK(seal_client_verified_tx_by_id(c, 29, &t, &vi));
    seal_rtx_clear(&t);
    seal_client_close(c);

    /* an old server that omits it: fetched as the Go client does */
    atomic_store(&f.omit_advance, 1);
    fk_opts(&f, &o, "st-lag3");
    o.pin_tx = 15;
    memcpy(o.pin_hash, ch->alh[15], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    int before = atomic_load(&f.n_vtx);
    CHECK_OK(seal_client_verified_tx_by_id(c, 25, &t, &vi));
    CHECK_INT(vi.advance_fetched, 1);
    /* 1 call + 4 inclusion proofs (txs 11..14) + 1 linear proof */
    CHECK_INT(atomic_load(&f.n_vtx) - before, 6);
    seal_rtx_clear(&t);
    seal_client_close(c);
    /* the same through the consistency check */
    fk_opts(&f, &o, "st-lag4");
    o.pin_tx = 15;
    memcpy(o.pin_hash, ch->alh[15], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_OK(seal_client_check_consistency(c, &cs));
    seal_client_close(c);
    /* fetched terms are verified like any other: a lying server fails */
    atomic_store(&f.tamper, FK_PROOF);
    fk_opts(&f, &o, "st-lag5");
    o.pin_tx = 15;
    memcpy(o.pin_hash, ch->alh[15], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_verified_tx_by_id(c, 25, &t, &vi), SEAL_EVERIFY);
    CHECK_ERR(seal_client_check_consistency(c, &cs), SEAL_EVERIFY);
    atomic_store(&f.tamper, FK_NONE);
    /* a wrong pin inside the lagging range is caught through the advance proof */
    seal_client_close(c);
    fk_opts(&f, &o, "st-lag6");
    o.pin_tx = 13;
    memcpy(o.pin_hash, ch->alh[12], 32);
    CHECK_OK(seal_client_connect(&o, &c));
    CHECK_ERR(seal_client_verified_tx_by_id(c, 25, &t, &vi), SEAL_EVERIFY);
    seal_client_close(c);
    atomic_store(&f.omit_advance, 0);
    fk_stop(&f);
}

/* ------------------------------------------------------------ concurrency */
typedef struct worker {
    const fk_server *f;
    const char *dir;
    int id;
    int n;
    int fails;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    seal_client_opts o;
    seal_client_opts_default(&o);
    o.host = "127.0.0.1";
    o.port = w->f->port;
    o.state_dir = w->dir;
    seal_client *c = NULL;
    if (seal_client_connect(&o, &c) != 0) {
        w->fails = w->n;
        seal_client_close(c);
        return NULL;
    }
    for (int i = 0; i < w->n; i++) {
        char k[32];
        snprintf(k, sizeof(k), "w%d-%d", w->id, i);
        seal_verify_info vi;
        seal_kventry e;
        int rc = (i % 3 == 2) ? seal_client_verified_get(c, "k1", 2, NULL, &e, &vi)
                              : seal_client_verified_set(c, k, strlen(k), "v", 1, NULL, NULL, &vi);
        if (i % 3 == 2 && rc == 0)
            seal_kventry_clear(&e);
        if (rc != 0 && rc != SEAL_ENOTFOUND) {
            fprintf(stderr, "worker %d: %s\n", w->id, seal_client_last_error(c));
            w->fails++;
        }
    }
    seal_client_close(c);
    return NULL;
}

static void check_state_file(fk_server *f, const char *dir)
{
    char path[700], buf[4096];
    snprintf(path, sizeof(path), "%s/.state-%s", dir, f->uuid);
    long n = fk_read_file(path, buf, sizeof(buf));
    CHECK(n > 10);
    CHECK(strncmp(buf, "defaultdb:", 10) == 0);
    CHECK(strchr(buf, '\n') == NULL);
    struct stat sb;
    CHECK_INT(stat(path, &sb), 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
    /* it decodes, and a new client proves from it to the server */
    seal_client_opts o;
    seal_client_opts_default(&o);
    o.host = "127.0.0.1";
    o.port = f->port;
    o.state_dir = dir;
    seal_client *c = NULL;
    CHECK_OK(seal_client_connect(&o, &c));
    seal_dbstate ts;
    CHECK_OK(seal_client_trusted_state(c, &ts));
    CHECK(ts.tx_id > 0 && ts.tx_id <= server_tx(f->st));
    seal_consistency cs;
    CHECK_OK(seal_client_audit_step(c, &cs));
    CHECK_INT(cs.origin, SEAL_TRUST_STORED);
    seal_client_close(c);
}

static void test_concurrent(void)
{
    fk_server f;
    fk_start(&f, "conc", 1, false);
    fk_fill(f.st, "k", 3, 0);
    /* threads */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", t_path("st-conc"));
    worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (worker){.f = &f, .dir = dir, .id = i, .n = 30};
        CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].fails, 0);
    }
    check_state_file(&f, dir);

    /* processes */
    char dir2[512];
    snprintf(dir2, sizeof(dir2), "%s", t_path("st-conc-proc"));
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            worker pw = {.f = &f, .dir = dir2, .id = 10 + i, .n = 25};
            worker_main(&pw);
            _exit(pw.fails ? 1 : 0);
        }
        CHECK(pids[i] > 0);
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    check_state_file(&f, dir2);
    fk_stop(&f);
}

int main(void)
{
    t_init();
    RUN(test_pin_and_tofu);
    RUN(test_state_file);
    RUN(test_rewind_fork);
    RUN(test_far_behind);
    RUN(test_linear_advance);
    RUN(test_concurrent);
    return t_done();
}
