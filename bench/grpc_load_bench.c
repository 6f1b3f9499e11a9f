/* grpc_load_bench.c - load generator for a running sealdb (or any immudb
 * server): many concurrent clients, each a thread with its own HTTP/2
 * connection (the C client transport, protobuf-c messages), all logged in
 * with one token on one database. Workloads, each for a fixed time:
 *
 *   set   Set of 1 key/value per tx (the server's durability applies)
 *   vset  VerifiableSet of 1 key/value, proveSinceTx = the client's last
 *         tx (the dual proof spans the txs the others committed meanwhile)
 *   vget  VerifiableGet of a random key written by the set phase,
 *         proveSinceTx = the client's last tx
 *
 * It prints, per workload, calls/s and the p50/p99 latency. Responses are
 * decoded but proofs are not verified (--verify checks the tx id chain
 * only), so client CPU stays small next to the server's on a shared box.
 *
 * usage: grpc_load_bench [--addr A] [--port P] [--user U] [--password PW]
 *          [--db NAME] [--create-db] [--header-version V] [--clients N]
 *          [--conns M] [--seconds S] [--value-size B] [--workloads set,vset,vget]
 * --conns M < N multiplexes: M threads, each with one connection carrying
 * N/M calls in flight as separate HTTP/2 streams (as a Go client with many
 * goroutines on one gRPC connection); the default is one connection and
 * one call in flight per client.
 * Defaults come from SEALDB_ADDR, SEALDB_PORT, SEALDB_USER,
 * SEALDB_PASSWORD, SEALDB_DB (127.0.0.1, 3322, immudb, immudb, defaultdb).
 * Without a reachable server it says so and exits 0 (scripts/bench.sh runs
 * every bench program); scripts/bench-server.sh starts one. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/grpc_client.h"
#include "common/common.h"
#include "schema.pb-c.h"
#include "seal/seal_fips.h"

#define PATH_PREFIX "/immudb.schema.ImmuService/"

typedef struct cfg {
    const char *addr;
    int port;
    const char *user, *password, *db;
    bool create_db;
    int header_version;
    int clients;
    int conns; /* connections (threads); clients/conns streams in flight on each */
    double seconds;
    size_t value_size;
    char workloads[128];
} cfg;

static cfg C;
static char g_token[512];
static atomic_int g_stop;
static atomic_int g_ready;
static atomic_llong g_errors;
static uint64_t g_keys; /* keys written by the set phase: "k<client>-<n>" */
static uint64_t *g_keys_per_client;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *env_or(const char *n, const char *d)
{
    const char *v = getenv(n);
    return v && *v ? v : d;
}

/* --------------------------------------------------------------- calls */
typedef struct conn {
    gc_conn *c;
    gw_md md;
} conn;

static int conn_open(conn *k)
{
    memset(k, 0, sizeof(*k));
    gc_opts o = {.connect_timeout_ms = 5000};
    int rc = gc_connect(&k->c, C.addr, C.port, &o);
    if (rc)
        return rc;
    if (g_token[0]) {
        char b[600];
        snprintf(b, sizeof(b), "Bearer %s", g_token);
        gw_md_adds(&k->md, "authorization", b);
    }
    return 0;
}

static void conn_close(conn *k)
{
    if (k->c)
        gc_close(k->c);
    gw_md_free(&k->md);
    memset(k, 0, sizeof(*k));
}

/* Unary call; returns the gRPC code (-1: transport), *out decoded if asked. */
static int call(conn *k, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *rd, ProtobufCMessage **out, char *msg,
                size_t msgcap)
{
    uint8_t stack[4096], *buf = stack;
    size_t n = req ? protobuf_c_message_get_packed_size(req) : 0;
    if (n > sizeof(stack) && !(buf = malloc(n)))
        return -1;
    if (req)
        protobuf_c_message_pack(req, buf);
    char path[128];
    snprintf(path, sizeof(path), PATH_PREFIX "%s", method);
    gc_call_opts co = {.timeout_ms = 60000, .md = k->md.n ? &k->md : NULL};
    gc_status st;
    uint8_t *resp = NULL;
    size_t rn = 0;
    int rc = gc_unary(k->c, path, &co, buf, n, &resp, &rn, &st);
    if (buf != stack)
        free(buf);
    if (rc)
        return -1;
    int code = st.code;
    if (msg)
        snprintf(msg, msgcap, "%s", st.message ? st.message : "");
    gc_status_free(&st);
    if (out)
        *out = NULL;
    if (code == 0 && out && rd) {
        *out = protobuf_c_message_unpack(rd, NULL, rn, resp);
        if (!*out)
            code = -2;
    }
    seal_free(resp);
    return code;
}

static ProtobufCBinaryData bin(const void *p, size_t n)
{
    return (ProtobufCBinaryData){n, (uint8_t *)(uintptr_t)p};
}

/* Login, optionally create the database, select it: sets g_token. */
static int setup(void)
{
    conn k;
    char msg[512] = "";
    int rc = conn_open(&k);
    if (rc)
        return rc;
    Immudb__Schema__LoginRequest lq;
    immudb__schema__login_request__init(&lq);
    lq.user = bin(C.user, strlen(C.user));
    lq.password = bin(C.password, strlen(C.password));
    Immudb__Schema__LoginResponse *lr;
    int code = call(&k, "Login", &lq.base, &immudb__schema__login_response__descriptor,
                    (ProtobufCMessage **)&lr, msg, sizeof(msg));
    if (code != 0) {
        fprintf(stderr, "login: %d %s\n", code, msg);
        conn_close(&k);
        return SEAL_EIO;
    }
    snprintf(g_token, sizeof(g_token), "%s", lr->token);
    protobuf_c_message_free_unpacked(&lr->base, NULL);
    conn_close(&k);
    if ((rc = conn_open(&k)) != 0)
        return rc;
    if (C.create_db) {
        Immudb__Schema__NullableUint32 ver;
        immudb__schema__nullable_uint32__init(&ver);
        ver.value = (uint32_t)C.header_version;
        Immudb__Schema__DatabaseNullableSettings st;
        immudb__schema__database_nullable_settings__init(&st);
        if (C.header_version >= 0)
            st.writetxheaderversion = &ver;
        Immudb__Schema__CreateDatabaseRequest cq;
        immudb__schema__create_database_request__init(&cq);
        cq.name = (char *)(uintptr_t)C.db;
        cq.settings = &st;
        cq.ifnotexists = 1;
        code = call(&k, "CreateDatabaseV2", &cq.base, NULL, NULL, msg, sizeof(msg));
        if (code != 0) {
            fprintf(stderr, "CreateDatabaseV2 %s: %d %s\n", C.db, code, msg);
            conn_close(&k);
            return SEAL_EIO;
        }
    }
    Immudb__Schema__Database dq;
    immudb__schema__database__init(&dq);
    dq.databasename = (char *)(uintptr_t)C.db;
    Immudb__Schema__UseDatabaseReply *ur;
    code = call(&k, "UseDatabase", &dq.base, &immudb__schema__use_database_reply__descriptor,
                (ProtobufCMessage **)&ur, msg, sizeof(msg));
    conn_close(&k);
    if (code != 0) {
        fprintf(stderr, "UseDatabase %s: %d %s\n", C.db, code, msg);
        return SEAL_EIO;
    }
    snprintf(g_token, sizeof(g_token), "%s", ur->token);
    protobuf_c_message_free_unpacked(&ur->base, NULL);
    return 0;
}

/* ------------------------------------------------------------ workers */
typedef enum { W_SET, W_VSET, W_VGET } wkind;

typedef struct worker {
    pthread_t th;
    int id;
    wkind kind;
    double t_start, t_end; /* measuring window */
    uint64_t done;         /* calls completed in the window */
    uint64_t errors;
    double *lat; /* latencies (s) in the window */
    size_t nlat, caplat;
    uint64_t next_key;
    uint64_t last_tx; /* client state for proveSinceTx */
    uint64_t rng;
    int depth; /* calls in flight on this worker's connection */
} worker;

static uint64_t rnd(worker *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static void lat_add(worker *w, double v)
{
    if (w->nlat == w->caplat) {
        w->caplat = w->caplat ? w->caplat * 2 : 4096;
        w->lat = realloc(w->lat, w->caplat * sizeof(double));
    }
    w->lat[w->nlat++] = v;
}

/* One call in flight on a connection. */
typedef struct slot {
    gc_stream *s;
    double t0;
    bool is_set; /* a Set/VerifiableSet: the key counter advances on success */
} slot;

/* Builds the next request of |w| into |buf| (cap 4096 + value size);
 * returns its length and the method. */
static size_t build(worker *w, uint8_t *val, uint8_t *buf, const char **method, bool *is_set)
{
    char key[64];
    *is_set = false;
    if (w->kind == W_VGET) {
        uint64_t c = rnd(w) % (uint64_t)C.conns;
        uint64_t nk = g_keys_per_client[c];
        if (nk == 0)
            c = 0, nk = g_keys_per_client[0];
        snprintf(key, sizeof(key), "k%llu-%llu", (unsigned long long)c,
                 (unsigned long long)(rnd(w) % (nk ? nk : 1)));
        Immudb__Schema__KeyRequest kq;
        immudb__schema__key_request__init(&kq);
        kq.key = bin(key, strlen(key));
        Immudb__Schema__VerifiableGetRequest q;
        immudb__schema__verifiable_get_request__init(&q);
        q.keyrequest = &kq;
        q.provesincetx = w->last_tx;
        *method = PATH_PREFIX "VerifiableGet";
        return protobuf_c_message_pack(&q.base, buf);
    }
    snprintf(key, sizeof(key), "k%d-%llu", w->id, (unsigned long long)w->next_key++);
    for (size_t i = 0; i < 8 && i < C.value_size; i++)
        val[i] = (uint8_t)rnd(w);
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = bin(key, strlen(key));
    kv.value = bin(val, C.value_size);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest sq;
    immudb__schema__set_request__init(&sq);
    sq.n_kvs = 1;
    sq.kvs = kvs;
    *is_set = true;
    if (w->kind == W_SET) {
        *method = PATH_PREFIX "Set";
        return protobuf_c_message_pack(&sq.base, buf);
    }
    Immudb__Schema__VerifiableSetRequest q;
    immudb__schema__verifiable_set_request__init(&q);
    q.setrequest = &sq;
    q.provesincetx = w->last_tx;
    *method = PATH_PREFIX "VerifiableSet";
    return protobuf_c_message_pack(&q.base, buf);
}

/* Decodes an answer; tracks the client's state (last tx seen). */
static int absorb(worker *w, const uint8_t *p, size_t n)
{
    if (w->kind == W_SET) {
        Immudb__Schema__TxHeader *h = immudb__schema__tx_header__unpack(NULL, n, p);
        if (!h)
            return -2;
        immudb__schema__tx_header__free_unpacked(h, NULL);
    } else if (w->kind == W_VSET) {
        Immudb__Schema__VerifiableTx *vt = immudb__schema__verifiable_tx__unpack(NULL, n, p);
        if (!vt || !vt->tx || !vt->tx->header || !vt->dualproof) {
            if (vt)
                immudb__schema__verifiable_tx__free_unpacked(vt, NULL);
            return -2;
        }
        if (vt->tx->header->id > w->last_tx)
            w->last_tx = vt->tx->header->id;
        immudb__schema__verifiable_tx__free_unpacked(vt, NULL);
    } else {
        Immudb__Schema__VerifiableEntry *ve = immudb__schema__verifiable_entry__unpack(NULL, n, p);
        if (!ve || !ve->verifiabletx || !ve->verifiabletx->dualproof ||
            !ve->verifiabletx->dualproof->targettxheader || !ve->inclusionproof) {
            if (ve)
                immudb__schema__verifiable_entry__free_unpacked(ve, NULL);
            return -2;
        }
        uint64_t t = ve->verifiabletx->dualproof->targettxheader->id;
        if (t > w->last_tx)
            w->last_tx = t;
        immudb__schema__verifiable_entry__free_unpacked(ve, NULL);
    }
    return 0;
}

static int slot_start(worker *w, conn *k, slot *sl, uint8_t *val, uint8_t *buf)
{
    const char *method;
    size_t n = build(w, val, buf, &method, &sl->is_set);
    gc_call_opts co = {.timeout_ms = 60000, .md = k->md.n ? &k->md : NULL};
    sl->t0 = now_s();
    int rc = gc_stream_open(k->c, method, &co, &sl->s);
    if (rc == 0)
        rc = gc_stream_send(sl->s, buf, n);
    if (rc == 0)
        rc = gc_stream_close_send(sl->s);
    if (rc && sl->s) {
        gc_stream_free(sl->s);
        sl->s = NULL;
    }
    return rc;
}

/* Waits for the answer of |sl|; returns the gRPC code (< 0: transport or
 * a bad answer). */
static int slot_finish(worker *w, slot *sl)
{
    uint8_t *m = NULL;
    size_t n = 0;
    int got = gc_stream_recv(sl->s, &m, &n);
    gc_status st;
    int rc = gc_stream_finish(sl->s, &st);
    int code = rc ? -1 : st.code;
    if (rc == 0)
        gc_status_free(&st);
    if (code == 0)
        code = got == 1 ? absorb(w, m, n) : -2;
    seal_free(m);
    gc_stream_free(sl->s);
    sl->s = NULL;
    if (code != 0 && sl->is_set)
        w->next_key--; /* approximately: keys are only read back if they exist */
    return code;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    conn k;
    int depth = w->depth;
    uint8_t *val = calloc(1, C.value_size + 1);
    uint8_t *buf = malloc(C.value_size + 4096);
    slot *sl = calloc((size_t)depth, sizeof(slot));
    if (conn_open(&k) != 0) {
        atomic_fetch_add(&g_errors, 1);
        atomic_fetch_add(&g_ready, 1);
        goto out;
    }
    atomic_fetch_add(&g_ready, 1);
    while (atomic_load(&g_ready) < C.conns)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    for (int i = 0; i < depth; i++)
        if (slot_start(w, &k, &sl[i], val, buf) != 0)
            w->errors++;
    while (!atomic_load(&g_stop)) {
        for (int i = 0; i < depth && !atomic_load(&g_stop); i++) {
            if (sl[i].s) {
                int code = slot_finish(w, &sl[i]);
                double t1 = now_s();
                if (code != 0) {
                    if (w->errors++ == 0)
                        fprintf(stderr, "connection %d: call failed with %d\n", w->id, code);
                } else if (sl[i].t0 >= w->t_start && t1 <= w->t_end) {
                    w->done++;
                    lat_add(w, t1 - sl[i].t0);
                }
            }
            if (!gc_alive(k.c))
                goto out;
            if (slot_start(w, &k, &sl[i], val, buf) != 0)
                w->errors++;
        }
    }
    for (int i = 0; i < depth; i++)
        if (sl[i].s)
            slot_finish(w, &sl[i]);
out:
    conn_close(&k);
    free(sl);
    free(buf);
    free(val);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    double rate, p50_ms, p99_ms;
    uint64_t calls, errors;
} result;

static result run(wkind kind, worker *ws)
{
    result r = {0};
    atomic_store(&g_stop, 0);
    atomic_store(&g_ready, 0);
    double warm = C.seconds > 4 ? 1.0 : 0.25;
    for (int i = 0; i < C.conns; i++) {
        worker *w = &ws[i];
        w->depth = C.clients / C.conns + (i < C.clients % C.conns ? 1 : 0);
        w->id = i;
        w->kind = kind;
        w->done = 0;
        w->errors = 0;
        w->nlat = 0;
        w->t_start = 1e300;
        w->t_end = 0;
        if (!w->rng)
            w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
    }
    for (int i = 0; i < C.conns; i++)
        pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
    while (atomic_load(&g_ready) < C.conns)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    double t0 = now_s() + warm, t1 = t0 + C.seconds;
    for (int i = 0; i < C.conns; i++) {
        ws[i].t_start = t0;
        ws[i].t_end = t1;
    }
    while (now_s() < t1)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    atomic_store(&g_stop, 1);
    size_t n = 0;
    for (int i = 0; i < C.conns; i++) {
        pthread_join(ws[i].th, NULL);
        r.calls += ws[i].done;
        r.errors += ws[i].errors;
        n += ws[i].nlat;
    }
    double *all = malloc((n ? n : 1) * sizeof(double));
    size_t o = 0;
    for (int i = 0; i < C.conns; i++) {
        memcpy(all + o, ws[i].lat, ws[i].nlat * sizeof(double));
        o += ws[i].nlat;
    }
    qsort(all, n, sizeof(double), cmp_d);
    r.rate = (double)r.calls / C.seconds;
    r.p50_ms = n ? all[n / 2] * 1e3 : 0;
    r.p99_ms = n ? all[(size_t)((double)n * 0.99)] * 1e3 : 0;
    free(all);
    return r;
}

static void usage(void)
{
    fprintf(stderr, "usage: grpc_load_bench [--addr A] [--port P] [--user U] [--password PW] "
                    "[--db NAME] [--create-db] [--header-version V] [--clients N] [--conns M] "
                    "[--seconds S] "
                    "[--value-size B] [--workloads set,vset,vget]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    C.addr = env_or("SEALDB_ADDR", "127.0.0.1");
    C.port = atoi(env_or("SEALDB_PORT", "3322"));
    C.user = env_or("SEALDB_USER", "immudb");
    C.password = env_or("SEALDB_PASSWORD", "immudb");
    C.db = env_or("SEALDB_DB", "defaultdb");
    C.header_version = -1;
    C.clients = 100;
    C.seconds = 10;
    C.value_size = 32;
    snprintf(C.workloads, sizeof(C.workloads), "set,vset,vget");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--create-db")) {
            C.create_db = true;
            continue;
        }
        if (!v)
            usage();
        if (!strcmp(a, "--addr"))
            C.addr = v;
        else if (!strcmp(a, "--port"))
            C.port = atoi(v);
        else if (!strcmp(a, "--user"))
            C.user = v;
        else if (!strcmp(a, "--password"))
            C.password = v;
        else if (!strcmp(a, "--db"))
            C.db = v;
        else if (!strcmp(a, "--header-version"))
            C.header_version = atoi(v);
        else if (!strcmp(a, "--clients"))
            C.clients = atoi(v);
        else if (!strcmp(a, "--conns"))
            C.conns = atoi(v);
        else if (!strcmp(a, "--seconds"))
            C.seconds = atof(v);
        else if (!strcmp(a, "--value-size"))
            C.value_size = (size_t)atol(v);
        else if (!strcmp(a, "--workloads"))
            snprintf(C.workloads, sizeof(C.workloads), "%s", v);
        else
            usage();
        i++;
    }
    if (C.conns <= 0 || C.conns > C.clients)
        C.conns = C.clients;
    if (C.clients < 1 || C.seconds <= 0)
        usage();
    if (seal_fips_init(NULL) != 0) {
        fprintf(stderr, "grpc_load_bench: FIPS provider not available\n");
        return 1;
    }
    {
        conn probe;
        if (conn_open(&probe) != 0) {
            printf("grpc_load_bench: no server at %s:%d (start one with "
                   "scripts/bench-server.sh); nothing measured\n",
                   C.addr, C.port);
            return 0;
        }
        conn_close(&probe);
    }
    if (setup() != 0)
        return 1;
    worker *ws = calloc((size_t)C.clients, sizeof(worker));
    g_keys_per_client = calloc((size_t)C.clients, sizeof(uint64_t));
    printf("# grpc_load_bench: %s:%d db %s, %d clients in flight on %d connections (a thread "
           "each), %.0f s per workload, %zu-byte values\n",
           C.addr, C.port, C.db, C.clients, C.conns, C.seconds, C.value_size);
    printf("%-6s %12s %10s %10s %10s %8s\n", "load", "calls/s", "p50 ms", "p99 ms", "calls",
           "errors");
    int rc = 0;
    char list[128];
    snprintf(list, sizeof(list), "%s", C.workloads);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        wkind k;
        if (!strcmp(t, "set"))
            k = W_SET;
        else if (!strcmp(t, "vset"))
            k = W_VSET;
        else if (!strcmp(t, "vget"))
            k = W_VGET;
        else
            usage();
        if (k == W_VGET) {
            uint64_t total = 0;
            for (int i = 0; i < C.conns; i++)
                total += g_keys_per_client[i] = ws[i].next_key;
            g_keys = total;
            if (total == 0) {
                fprintf(stderr, "vget needs a set or vset workload before it\n");
                rc = 1;
                continue;
            }
        }
        result r = run(k, ws);
        printf("%-6s %12.0f %10.2f %10.2f %10llu %8llu\n", t, r.rate, r.p50_ms, r.p99_ms,
               (unsigned long long)r.calls, (unsigned long long)r.errors);
        fflush(stdout);
        if (r.errors)
            rc = 1;
    }
    for (int i = 0; i < C.clients; i++)
        free(ws[i].lat);
    free(ws);
    free(g_keys_per_client);
    return rc;
}
