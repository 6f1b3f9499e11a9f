/* grpc_load_bench.c - load generator for a running sealdb (or any immudb
 * server): N concurrent clients, each with its own HTTP/2 connection and
 * exactly one call in flight, all logged in with one token on one database.
 * Workloads, each for a fixed time:
 *
 *   set   Set of 1 key/value per tx (the server's durability applies)
 *   vset  VerifiableSet of 1 key/value, proveSinceTx = the client's last
 *         tx (the dual proof spans the txs the others committed meanwhile)
 *   vget  VerifiableGet of a random key written by the set phase,
 *         proveSinceTx = the client's last tx
 *
 * It prints, per workload, calls/s and the p50/p99 latency. Responses are
 * decoded but proofs are not verified; --verify also checks the tx id
 * chain of every answer (a Set's tx is newer than any tx the client saw
 * before sending it, a dual proof goes from proveSinceTx to the answer's
 * tx, a VerifiableGet returns the key asked for with its value size and
 * proves between proveSinceTx and the entry's tx), a failed check
 * counting as an error.
 *
 * The generator shares the machine with the server it measures, so it is
 * built to cost little CPU, the way pgbench drives its clients with
 * asynchronous libpq from a few threads (pgbench -j 2): by default T driver
 * threads (--threads, default 2) each run an epoll loop over their share
 * of the clients' connections. Sockets are non-blocking, each connection
 * has its own nghttp2 client session; a call's headers (path, token,
 * grpc-timeout) are prebuilt per workload and HPACK-indexed after the
 * first call, the request is packed into a per-connection buffer, answers
 * are decoded into a per-thread arena, and whatever a connection has to
 * write in one loop iteration goes out in one send(). When a call's stream
 * closes its latency is recorded and the next call is issued at once on
 * the same connection. When the time is up every call in flight is
 * awaited, so the client state (keys written, last tx) stays exact.
 *
 * --blocking keeps the older mode: one OS thread per client with the
 * blocking C client transport (src/client/grpc_client.c), at least one
 * context switch and about three times the CPU per call; there --conns M < N
 * multiplexes: M threads, each with one connection carrying N/M calls in
 * flight as separate HTTP/2 streams (as a Go client with many goroutines
 * on one gRPC connection).
 *
 * usage: grpc_load_bench [--addr A] [--port P] [--user U] [--password PW]
 *          [--db NAME] [--create-db] [--header-version V] [--clients N]
 *          [--threads T] [--blocking [--conns M]] [--seconds S]
 *          [--value-size B] [--workloads set,vset,vget] [--verify]
 * Defaults come from SEALDB_ADDR, SEALDB_PORT, SEALDB_USER,
 * SEALDB_PASSWORD, SEALDB_DB (127.0.0.1, 3322, immudb, immudb, defaultdb).
 * Login and database setup use the blocking client. Without a reachable
 * server it says so and exits 0 (scripts/bench.sh runs every bench
 * program); scripts/bench-server.sh starts one. Exit status 1 when a
 * workload had errors. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "client/grpc_client.h"
#include "common/common.h"
#include "schema.pb-c.h"
#include "seal/seal_fips.h"

#define PATH_PREFIX     "/immudb.schema.ImmuService/"
#define CALL_TIMEOUT_MS 60000
#define MAX_RESP        (64u << 20)

typedef struct cfg {
    const char *addr;
    int port;
    const char *user, *password, *db;
    bool create_db;
    int header_version;
    int clients;
    int threads;   /* driver threads of the epoll mode */
    bool blocking; /* thread-per-connection mode */
    int conns;     /* --blocking: connections (threads); clients/conns streams on each */
    bool verify;
    double seconds;
    size_t value_size;
    char workloads[128];
} cfg;

static cfg C;
static char g_token[512];
static atomic_int g_stop;
static atomic_int g_ready;
static atomic_int g_go;           /* set after g_t_start/g_t_end (release) */
static double g_t_start, g_t_end; /* measuring window */
static atomic_int g_err_shown;
static int g_nowners;              /* key owners: clients, or connections in --blocking */
static uint64_t *g_keys_per_owner; /* keys written by the set phase: "k<owner>-<n>" */

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

/* Prints the first few failures only (a dead server fails every call). */
__attribute__((format(printf, 1, 2))) static void show_error(const char *fmt, ...)
{
    if (atomic_fetch_add(&g_err_shown, 1) >= 5)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------ blocking client calls */
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
    if (n > sizeof(stack) && !(buf = seal_malloc(n)))
        return -1;
    if (req)
        protobuf_c_message_pack(req, buf);
    char path[128];
    snprintf(path, sizeof(path), PATH_PREFIX "%s", method);
    gc_call_opts co = {.timeout_ms = CALL_TIMEOUT_MS, .md = k->md.n ? &k->md : NULL};
    gc_status st;
    uint8_t *resp = NULL;
    size_t rn = 0;
    int rc = gc_unary(k->c, path, &co, buf, n, &resp, &rn, &st);
    if (buf != stack)
        seal_free(buf);
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

/* ----------------------------------------- requests and answers (shared) */
typedef enum { W_SET, W_VSET, W_VGET } wkind;

static const char *const METHOD[] = {PATH_PREFIX "Set", PATH_PREFIX "VerifiableSet",
                                     PATH_PREFIX "VerifiableGet"};

/* A client's state, kept across workloads; owned by one thread. */
typedef struct client {
    int id;            /* key owner: its keys are "k<id>-<n>" */
    uint64_t next_key; /* keys written so far */
    uint64_t last_tx;  /* proveSinceTx of the next verifiable call */
    uint64_t seen_tx;  /* highest tx id in any answer (--verify) */
    uint64_t rng;
} client;

/* What a call sent, to check its answer. */
typedef struct sent {
    uint64_t since; /* proveSinceTx */
    uint64_t prior; /* the client's seen_tx when it was sent */
    bool is_set;    /* a Set/VerifiableSet: a key was consumed */
    size_t klen;
    char key[48];
} sent;

/* Calls completed in the measuring window, errors, latencies (s). */
typedef struct stats {
    uint64_t done, errors;
    double *lat;
    size_t nlat, caplat;
} stats;

static void lat_add(stats *s, double v)
{
    if (s->nlat == s->caplat) {
        size_t nc = s->caplat ? s->caplat * 2 : 4096;
        double *nl = seal_realloc(s->lat, nc * sizeof(double));
        if (!nl)
            return;
        s->lat = nl;
        s->caplat = nc;
    }
    s->lat[s->nlat++] = v;
}

static uint64_t rnd(client *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

/* Decimal digits of v at p; returns their count. */
static size_t put_dec(char *p, uint64_t v)
{
    char t[20];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = t[n - 1 - i];
    return n;
}

/* "k<owner>-<n>" into k (at least 43 bytes); returns its length. */
static size_t make_key(char *k, uint64_t owner, uint64_t n)
{
    size_t l = 0;
    k[l++] = 'k';
    l += put_dec(k + l, owner);
    k[l++] = '-';
    l += put_dec(k + l, n);
    k[l] = 0;
    return l;
}

/* Bump allocator for decoding answers: reset after each answer, so a
 * decoded message costs no malloc; larger messages spill to the heap. */
typedef struct arena {
    ProtobufCAllocator pa;
    uint8_t *base;
    size_t cap, used;
    bool spilled;
} arena;

static void *ar_alloc(void *ud, size_t n)
{
    arena *a = ud;
    n = (n + 15) & ~(size_t)15;
    if (n <= a->cap - a->used) {
        void *p = a->base + a->used;
        a->used += n;
        return p;
    }
    a->spilled = true;
    return seal_malloc(n);
}

static void ar_free(void *ud, void *p)
{
    arena *a = ud;
    uintptr_t u = (uintptr_t)p, b = (uintptr_t)a->base;
    if (u >= b && u < b + a->cap)
        return;
    seal_free(p);
}

static int arena_init(arena *a, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->base = seal_malloc(cap);
    if (!a->base)
        return SEAL_ENOMEM;
    a->cap = cap;
    a->pa = (ProtobufCAllocator){ar_alloc, ar_free, a};
    return 0;
}

/* Releases a decoded message: nothing to do unless it spilled. */
static void arena_release(arena *a, ProtobufCMessage *m)
{
    if (m && a->spilled)
        protobuf_c_message_free_unpacked(m, &a->pa);
    a->used = 0;
    a->spilled = false;
}

static void arena_free(arena *a)
{
    seal_free(a->base);
    memset(a, 0, sizeof(*a));
}

/* Packs |cl|'s next request of kind |kind| into |out| (capacity 4096 +
 * value size); |val| is a value-size scratch buffer. Returns its length. */
static size_t build(client *cl, wkind kind, uint8_t *val, uint8_t *out, sent *s)
{
    s->since = cl->last_tx;
    s->prior = cl->seen_tx;
    s->is_set = false;
    if (kind == W_VGET) {
        uint64_t o = rnd(cl) % (uint64_t)g_nowners;
        while (g_keys_per_owner[o] == 0) /* some key exists (checked before) */
            o = (o + 1) % (uint64_t)g_nowners;
        s->klen = make_key(s->key, o, rnd(cl) % g_keys_per_owner[o]);
        Immudb__Schema__KeyRequest kq;
        immudb__schema__key_request__init(&kq);
        kq.key = bin(s->key, s->klen);
        Immudb__Schema__VerifiableGetRequest q;
        immudb__schema__verifiable_get_request__init(&q);
        q.keyrequest = &kq;
        q.provesincetx = cl->last_tx;
        return protobuf_c_message_pack(&q.base, out);
    }
    s->klen = make_key(s->key, (uint64_t)cl->id, cl->next_key++);
    s->is_set = true;
    uint64_t r = rnd(cl);
    memcpy(val, &r, SEAL_MIN(sizeof(r), C.value_size));
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = bin(s->key, s->klen);
    kv.value = bin(val, C.value_size);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest sq;
    immudb__schema__set_request__init(&sq);
    sq.n_kvs = 1;
    sq.kvs = kvs;
    if (kind == W_SET)
        return protobuf_c_message_pack(&sq.base, out);
    Immudb__Schema__VerifiableSetRequest q;
    immudb__schema__verifiable_set_request__init(&q);
    q.setrequest = &sq;
    q.provesincetx = cl->last_tx;
    return protobuf_c_message_pack(&q.base, out);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Checks the tx ids of a dual proof from |src| to |dst|. */
static bool proof_ids_ok(const Immudb__Schema__DualProof *p, uint64_t src, uint64_t dst)
{
    return p->sourcetxheader && p->targettxheader && p->sourcetxheader->id == src &&
           p->targettxheader->id == dst;
}

/* Decodes an answer to the call |s| of |cl|; tracks the client's state.
 * Returns 0, -2 (not the expected message) or -3 (--verify check failed,
 * *why says which). */
static int absorb(client *cl, wkind kind, const sent *s, const uint8_t *p, size_t n, arena *a,
                  const char **why)
{
    ProtobufCMessage *m = NULL;
    int rc = 0;
    uint64_t id = 0;
    *why = "";
    if (kind == W_SET) {
        Immudb__Schema__TxHeader *h = immudb__schema__tx_header__unpack(&a->pa, n, p);
        m = (ProtobufCMessage *)h;
        if (!h) {
            rc = -2;
        } else if (C.verify && (h->id <= s->prior || h->nentries != 1)) {
            *why = "Set: tx id not after the client's last seen tx, or not 1 entry";
            rc = -3;
        }
        id = h ? h->id : 0;
    } else if (kind == W_VSET) {
        Immudb__Schema__VerifiableTx *vt = immudb__schema__verifiable_tx__unpack(&a->pa, n, p);
        m = (ProtobufCMessage *)vt;
        if (!vt || !vt->tx || !vt->tx->header || !vt->dualproof) {
            rc = -2;
        } else {
            id = vt->tx->header->id;
            if (vt->tx->header->id > cl->last_tx)
                cl->last_tx = vt->tx->header->id;
            if (C.verify &&
                (id <= s->prior || !proof_ids_ok(vt->dualproof, s->since ? s->since : id, id))) {
                *why = "VerifiableSet: tx id not after the client's last seen tx, or dual "
                       "proof not from proveSinceTx to it";
                rc = -3;
            }
        }
    } else {
        Immudb__Schema__VerifiableEntry *ve =
            immudb__schema__verifiable_entry__unpack(&a->pa, n, p);
        m = (ProtobufCMessage *)ve;
        if (!ve || !ve->entry || !ve->verifiabletx || !ve->verifiabletx->dualproof ||
            !ve->verifiabletx->dualproof->targettxheader || !ve->inclusionproof) {
            rc = -2;
        } else {
            id = ve->verifiabletx->dualproof->targettxheader->id;
            if (id > cl->last_tx)
                cl->last_tx = id;
            if (C.verify) {
                const Immudb__Schema__Entry *e = ve->entry;
                const Immudb__Schema__VerifiableTx *vt = ve->verifiabletx;
                uint64_t src = s->since && s->since <= e->tx ? s->since : e->tx;
                uint64_t dst = max_u64(s->since, e->tx);
                if (e->key.len != s->klen || memcmp(e->key.data, s->key, s->klen) != 0 ||
                    e->value.len != C.value_size || e->tx == 0) {
                    *why = "VerifiableGet: not the key asked for, or not its value size";
                    rc = -3;
                } else if (!vt->tx || !vt->tx->header || vt->tx->header->id != e->tx ||
                           !proof_ids_ok(vt->dualproof, src, dst)) {
                    *why = "VerifiableGet: tx not the entry's, or dual proof not between "
                           "proveSinceTx and the entry's tx";
                    rc = -3;
                }
            }
        }
    }
    cl->seen_tx = max_u64(cl->seen_tx, id);
    arena_release(a, m);
    return rc;
}

/* ------------------------------------------------ --blocking: a thread per connection */
typedef struct worker {
    pthread_t th;
    client cl;
    wkind kind;
    int depth; /* calls in flight on this worker's connection */
    stats st;
} worker;

/* One call in flight on a connection. */
typedef struct slot {
    gc_stream *s;
    double t0;
    sent sn;
} slot;

static int slot_start(worker *w, conn *k, slot *sl, uint8_t *val, uint8_t *buf)
{
    size_t n = build(&w->cl, w->kind, val, buf, &sl->sn);
    gc_call_opts co = {.timeout_ms = CALL_TIMEOUT_MS, .md = k->md.n ? &k->md : NULL};
    sl->t0 = now_s();
    int rc = gc_stream_open(k->c, METHOD[w->kind], &co, &sl->s);
    if (rc == 0)
        rc = gc_stream_send(sl->s, buf, n);
    if (rc == 0)
        rc = gc_stream_close_send(sl->s);
    if (rc && sl->s) {
        gc_stream_free(sl->s);
        sl->s = NULL;
    }
    if (rc && sl->sn.is_set)
        w->cl.next_key--;
    return rc;
}

/* Waits for the answer of |sl|; returns the gRPC code (< 0: transport, a
 * bad answer or a failed check). */
static int slot_finish(worker *w, slot *sl, arena *a)
{
    uint8_t *m = NULL;
    size_t n = 0;
    int got = gc_stream_recv(sl->s, &m, &n);
    gc_status st;
    int rc = gc_stream_finish(sl->s, &st);
    int code = rc ? -1 : st.code;
    const char *why = rc ? "transport" : st.message;
    if (code == 0)
        code = got == 1 ? absorb(&w->cl, w->kind, &sl->sn, m, n, a, &why) : -2;
    if (code != 0)
        show_error("connection %d: call failed with %d %s\n", w->cl.id, code, why);
    if (rc == 0)
        gc_status_free(&st);
    seal_free(m);
    gc_stream_free(sl->s);
    sl->s = NULL;
    if (code != 0 && sl->sn.is_set)
        w->cl.next_key--; /* approximately: keys are only read back if they exist */
    return code;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    conn k;
    int depth = w->depth;
    uint8_t *val = seal_calloc(1, C.value_size + 1);
    uint8_t *buf = seal_malloc(C.value_size + 4096);
    slot *sl = seal_calloc((size_t)depth, sizeof(slot));
    arena a = {0};
    if (!val || !buf || !sl || arena_init(&a, 256u << 10) != 0 || conn_open(&k) != 0) {
        memset(&k, 0, sizeof(k));
        w->st.errors++;
        atomic_fetch_add(&g_ready, 1);
        goto out;
    }
    atomic_fetch_add(&g_ready, 1);
    while (!atomic_load(&g_go))
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    for (int i = 0; i < depth; i++)
        if (slot_start(w, &k, &sl[i], val, buf) != 0)
            w->st.errors++;
    while (!atomic_load(&g_stop)) {
        for (int i = 0; i < depth && !atomic_load(&g_stop); i++) {
            if (sl[i].s) {
                int code = slot_finish(w, &sl[i], &a);
                double t1 = now_s();
                if (code != 0) {
                    w->st.errors++;
                } else if (sl[i].t0 >= g_t_start && t1 <= g_t_end) {
                    w->st.done++;
                    lat_add(&w->st, t1 - sl[i].t0);
                }
            }
            if (!gc_alive(k.c))
                goto out;
            if (slot_start(w, &k, &sl[i], val, buf) != 0)
                w->st.errors++;
        }
    }
    for (int i = 0; i < depth; i++)
        if (sl[i].s)
            slot_finish(w, &sl[i], &a);
out:
    for (int i = 0; sl && i < depth; i++)
        if (sl[i].s)
            gc_stream_free(sl[i].s);
    conn_close(&k);
    arena_free(&a);
    seal_free(sl);
    seal_free(buf);
    seal_free(val);
    return NULL;
}

/* ------------------------------------------- default: epoll driver threads */
#define RBUF 65536

struct athread;

/* One client's connection with its one call in flight. */
typedef struct aconn {
    struct athread *t;
    client cl;
    int fd;
    nghttp2_session *h2;
    bool dead;
    bool busy;     /* a call in flight */
    bool closed;   /* its stream closed (answer complete) */
    bool want_out; /* EPOLLOUT registered: bytes wait for the socket */
    int32_t sid;
    double t0;
    sent sn;
    int http_status, grpc_status; /* grpc_status -1: none received */
    uint32_t rst;
    char gmsg[128]; /* grpc-message as received (percent-encoded) */
    uint8_t *req;   /* the framed request */
    size_t req_len, req_off;
    uint8_t *resp; /* DATA bytes of the answer */
    size_t resp_len, resp_cap;
    uint8_t *out; /* bytes for the socket */
    size_t out_len, out_off, out_cap;
} aconn;

typedef struct athread {
    pthread_t th;
    wkind kind;
    aconn *cs;
    int n;
    int ep;
    int inflight;
    nghttp2_nv nv[8]; /* request headers, prebuilt */
    size_t nnv;
    uint8_t *val;
    uint8_t *rbuf;
    arena ar;
    stats st;
} athread;

static nghttp2_session_callbacks *g_cbs;
static struct sockaddr_storage g_sa;
static socklen_t g_salen;
static char g_authority[300], g_bearer[600], g_timeout[24];

static int grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need)
        nc *= 2;
    uint8_t *np = seal_realloc(*p, nc);
    if (!np)
        return SEAL_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

static int cb_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)h2, (void)flags;
    aconn *c = ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != c->sid)
        return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st = st * 10 + (value[i] - '0');
        c->http_status = st;
    } else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0) {
        int st = 0;
        for (size_t i = 0; i < valuelen && i < 4; i++)
            st = st * 10 + (value[i] - '0');
        c->grpc_status = st;
    } else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0) {
        size_t l = SEAL_MIN(valuelen, sizeof(c->gmsg) - 1);
        memcpy(c->gmsg, value, l);
        c->gmsg[l] = 0;
    }
    return 0;
}

static int cb_data(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *ud)
{
    (void)h2, (void)flags;
    aconn *c = ud;
    if (id != c->sid)
        return 0;
    if (c->resp_len + len > MAX_RESP || grow(&c->resp, &c->resp_cap, c->resp_len + len) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(c->resp + c->resp_len, data, len);
    c->resp_len += len;
    return 0;
}

static int cb_close(nghttp2_session *h2, int32_t id, uint32_t code, void *ud)
{
    (void)h2;
    aconn *c = ud;
    if (id == c->sid) {
        c->closed = true;
        c->rst = code;
    }
    return 0;
}

static ssize_t req_read(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
                        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)h2, (void)id, (void)src;
    aconn *c = ud;
    size_t n = SEAL_MIN(length, c->req_len - c->req_off);
    memcpy(buf, c->req + c->req_off, n);
    c->req_off += n;
    if (c->req_off == c->req_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void set_nv(nghttp2_nv *nv, const char *name, const char *value)
{
    nv->name = (uint8_t *)(uintptr_t)name;
    nv->namelen = strlen(name);
    nv->value = (uint8_t *)(uintptr_t)value;
    nv->valuelen = strlen(value);
    nv->flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
}

/* Connects (blocking; before the measuring window) and sets up the HTTP/2
 * session of |c|, then makes the socket non-blocking. */
static int ac_open(athread *t, aconn *c)
{
    c->t = t;
    c->fd = socket(g_sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&g_sa, g_salen) != 0)
        return SEAL_EIO;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0)
        return SEAL_EIO;
    if (grow(&c->req, &(size_t){0}, C.value_size + 4096 + GW_PREFIX_LEN) != 0 ||
        grow(&c->resp, &c->resp_cap, 4096) != 0 || grow(&c->out, &c->out_cap, 16384) != 0)
        return SEAL_ENOMEM;
    if (nghttp2_session_client_new(&c->h2, g_cbs, c) != 0) {
        c->h2 = NULL;
        return SEAL_ENOMEM;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20},
    };
    if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, SEAL_ARRAY_LEN(iv)) != 0 ||
        nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 16 << 20) != 0)
        return SEAL_ENOMEM;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        return SEAL_EIO;
    return 0;
}

static void ac_close(aconn *c)
{
    if (c->h2)
        nghttp2_session_del(c->h2);
    if (c->fd >= 0)
        close(c->fd);
    seal_free(c->req);
    seal_free(c->resp);
    seal_free(c->out);
    c->h2 = NULL;
    c->fd = -1;
    c->req = c->resp = c->out = NULL;
    c->resp_cap = c->out_cap = c->out_len = c->out_off = 0;
    c->want_out = false;
}

/* The connection failed: its call (if any) is an error. */
static void ac_fail(aconn *c, const char *why)
{
    athread *t = c->t;
    if (c->dead)
        return;
    c->dead = true;
    t->st.errors++;
    show_error("client %d: connection failed: %s\n", c->cl.id, why);
    if (c->busy) {
        c->busy = false;
        t->inflight--;
        if (c->sn.is_set)
            c->cl.next_key--;
    }
    epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
}

/* Issues |c|'s next call (queued in the session; sent by ac_flush). */
static int ac_start(aconn *c, double now)
{
    athread *t = c->t;
    size_t n = build(&c->cl, t->kind, t->val, c->req + GW_PREFIX_LEN, &c->sn);
    gw_put_prefix(c->req, 0, (uint32_t)n);
    c->req_len = n + GW_PREFIX_LEN;
    c->req_off = 0;
    c->resp_len = 0;
    c->http_status = 0;
    c->grpc_status = -1;
    c->gmsg[0] = 0;
    c->closed = false;
    c->rst = 0;
    nghttp2_data_provider prd = {.source.ptr = c, .read_callback = req_read};
    int32_t id = nghttp2_submit_request(c->h2, NULL, t->nv, t->nnv, &prd, NULL);
    if (id < 0) {
        if (c->sn.is_set)
            c->cl.next_key--;
        return SEAL_EIO;
    }
    c->sid = id;
    c->t0 = now;
    c->busy = true;
    t->inflight++;
    return 0;
}

/* The stream of |c|'s call closed: status, answer, latency. */
static void ac_complete(aconn *c, double now)
{
    athread *t = c->t;
    c->busy = false;
    t->inflight--;
    int code = c->grpc_status;
    const char *why = c->gmsg;
    char tmp[160];
    if (code < 0) {
        snprintf(tmp, sizeof(tmp), "no grpc-status (HTTP %d, reset code %u)", c->http_status,
                 c->rst);
        why = tmp;
    } else if (code == 0) {
        /* one message: the 5-byte prefix (not compressed) and its payload */
        if (c->resp_len < GW_PREFIX_LEN || c->resp[0] != 0 ||
            seal_get_u32(c->resp + 1) != c->resp_len - GW_PREFIX_LEN) {
            code = -2;
            why = "not one uncompressed message";
        } else {
            code = absorb(&c->cl, t->kind, &c->sn, c->resp + GW_PREFIX_LEN,
                          c->resp_len - GW_PREFIX_LEN, &t->ar, &why);
        }
    }
    if (code != 0) {
        t->st.errors++;
        show_error("client %d: call failed with %d %s\n", c->cl.id, code, why);
        if (c->sn.is_set)
            c->cl.next_key--; /* approximately: keys are only read back if they exist */
    } else if (c->t0 >= g_t_start && now <= g_t_end) {
        t->st.done++;
        lat_add(&t->st, now - c->t0);
    }
}

/* Moves what the session has to send into the connection's buffer and
 * writes it with one send(); what the socket does not take waits for
 * EPOLLOUT. */
static int ac_flush(aconn *c)
{
    for (;;) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(c->h2, &d);
        if (n < 0)
            return SEAL_EIO;
        if (n == 0)
            break;
        if (grow(&c->out, &c->out_cap, c->out_len + (size_t)n) != 0)
            return SEAL_ENOMEM;
        memcpy(c->out + c->out_len, d, (size_t)n);
        c->out_len += (size_t)n;
    }
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return SEAL_EIO;
        }
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
    } else if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    bool want = c->out_len > 0;
    if (want != c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
        if (epoll_ctl(c->t->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
            return SEAL_EIO;
        c->want_out = want;
    }
    return 0;
}

/* Reads what the socket has and feeds it to the session. */
static int ac_read(aconn *c)
{
    uint8_t *b = c->t->rbuf;
    for (;;) {
        ssize_t r = recv(c->fd, b, RBUF, 0);
        if (r == 0)
            return SEAL_ECLOSED;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return SEAL_EIO;
        }
        if (nghttp2_session_mem_recv(c->h2, b, (size_t)r) != r)
            return SEAL_EPROTOCOL;
        if (r < RBUF)
            return 0;
    }
}

/* Completes |c|'s call if its stream closed, issues the next one unless
 * |stop|, and writes. A stream can also close while the session writes
 * (an early answer before the request's end was sent): checked again. */
static void ac_service(aconn *c, bool stop)
{
    for (int round = 0; round < 4; round++) {
        if (c->busy && c->closed) {
            double t1 = now_s();
            ac_complete(c, t1);
            if (!stop && ac_start(c, t1) != 0) {
                ac_fail(c, "cannot start a call");
                return;
            }
        }
        if (ac_flush(c) != 0) {
            ac_fail(c, "send failed");
            return;
        }
        if (!(c->busy && c->closed))
            break;
    }
    if (!nghttp2_session_want_read(c->h2))
        ac_fail(c, "the server ended the session");
}

static void *athread_main(void *arg)
{
    athread *t = arg;
    int nev = t->n < 256 ? t->n : 256;
    struct epoll_event *evs = seal_calloc((size_t)(nev > 0 ? nev : 1), sizeof(*evs));
    t->val = seal_calloc(1, C.value_size + 1);
    t->rbuf = seal_malloc(RBUF);
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    bool ok = evs && t->val && t->rbuf && t->ep >= 0 && arena_init(&t->ar, 256u << 10) == 0;
    for (int i = 0; i < t->n; i++) {
        aconn *c = &t->cs[i];
        c->fd = -1;
        if (!ok || ac_open(t, c) != 0) {
            c->t = t;
            c->dead = true;
            t->st.errors++;
            show_error("client %d: cannot connect: %s\n", c->cl.id, strerror(errno));
        }
    }
    atomic_fetch_add(&g_ready, 1);
    while (!atomic_load(&g_go))
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    double now = now_s();
    for (int i = 0; i < t->n; i++) {
        aconn *c = &t->cs[i];
        if (c->dead)
            continue;
        if (ac_start(c, now) != 0)
            ac_fail(c, "cannot start a call");
        else
            ac_service(c, false);
    }
    double drain_end = 0;
    for (;;) {
        bool stop = atomic_load_explicit(&g_stop, memory_order_relaxed);
        if (stop) {
            if (t->inflight == 0)
                break;
            if (drain_end == 0)
                drain_end = now_s() + CALL_TIMEOUT_MS / 1000.0;
            else if (now_s() > drain_end)
                break; /* calls still in flight are left as they are */
        }
        int n = epoll_wait(t->ep, evs, nev, 50);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            aconn *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                int rc = ac_read(c);
                if (rc) {
                    ac_fail(c, rc == SEAL_ECLOSED ? "closed by the server" : "receive failed");
                    continue;
                }
            }
            ac_service(c, stop);
        }
    }
    for (int i = 0; i < t->n; i++) {
        aconn *c = &t->cs[i];
        if (c->busy && c->sn.is_set)
            c->cl.next_key--;
        c->busy = false;
        c->dead = false;
        ac_close(c);
    }
    if (t->ep >= 0)
        close(t->ep);
    arena_free(&t->ar);
    seal_free(t->rbuf);
    seal_free(t->val);
    seal_free(evs);
    t->rbuf = t->val = NULL;
    return NULL;
}

/* Resolves the server's address once; prebuilds the header values. */
static int async_init(void)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", C.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(C.addr, ps, &hints, &res) != 0 || !res)
        return SEAL_EIO;
    memcpy(&g_sa, res->ai_addr, res->ai_addrlen);
    g_salen = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(g_authority, sizeof(g_authority), "%s:%d", C.addr, C.port);
    snprintf(g_bearer, sizeof(g_bearer), "Bearer %s", g_token);
    gw_timeout_format(g_timeout, sizeof(g_timeout), CALL_TIMEOUT_MS);
    if (nghttp2_session_callbacks_new(&g_cbs) != 0)
        return SEAL_ENOMEM;
    nghttp2_session_callbacks_set_on_header_callback(g_cbs, cb_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(g_cbs, cb_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(g_cbs, cb_close);
    return 0;
}

static void athread_prepare(athread *t, wkind kind)
{
    t->kind = kind;
    t->inflight = 0;
    t->st.done = t->st.errors = 0;
    t->st.nlat = 0;
    size_t k = 0;
    set_nv(&t->nv[k++], ":method", "POST");
    set_nv(&t->nv[k++], ":scheme", "http");
    set_nv(&t->nv[k++], ":path", METHOD[kind]);
    set_nv(&t->nv[k++], ":authority", g_authority);
    set_nv(&t->nv[k++], "content-type", "application/grpc");
    set_nv(&t->nv[k++], "te", "trailers");
    set_nv(&t->nv[k++], "grpc-timeout", g_timeout);
    if (g_token[0])
        set_nv(&t->nv[k++], "authorization", g_bearer);
    t->nnv = k;
}

/* ------------------------------------------------------------ runs */
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    double rate, p50_ms, p99_ms;
    uint64_t calls, errors;
} result;

static worker *g_ws;  /* --blocking: C.conns workers */
static aconn *g_cs;   /* epoll mode: C.clients connections */
static athread *g_ts; /* epoll mode: C.threads driver threads */

/* Starts the threads of one workload; returns how many. */
static int start_threads(wkind kind)
{
    if (C.blocking) {
        for (int i = 0; i < C.conns; i++) {
            worker *w = &g_ws[i];
            w->depth = C.clients / C.conns + (i < C.clients % C.conns ? 1 : 0);
            w->kind = kind;
            w->st.done = w->st.errors = 0;
            w->st.nlat = 0;
            pthread_create(&w->th, NULL, worker_main, w);
        }
        return C.conns;
    }
    for (int i = 0; i < C.threads; i++) {
        athread *t = &g_ts[i];
        int lo = (int)((long)C.clients * i / C.threads);
        int hi = (int)((long)C.clients * (i + 1) / C.threads);
        t->cs = &g_cs[lo];
        t->n = hi - lo;
        athread_prepare(t, kind);
        pthread_create(&t->th, NULL, athread_main, t);
    }
    return C.threads;
}

static result run(wkind kind)
{
    result r = {0};
    atomic_store(&g_stop, 0);
    atomic_store(&g_ready, 0);
    atomic_store(&g_go, 0);
    double warm = C.seconds > 4 ? 1.0 : 0.25;
    int nth = start_threads(kind);
    while (atomic_load(&g_ready) < nth)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    g_t_start = now_s() + warm;
    g_t_end = g_t_start + C.seconds;
    atomic_store(&g_go, 1);
    while (now_s() < g_t_end)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    atomic_store(&g_stop, 1);
    size_t n = 0;
    for (int i = 0; i < nth; i++) {
        stats *s = C.blocking ? &g_ws[i].st : &g_ts[i].st;
        pthread_join(C.blocking ? g_ws[i].th : g_ts[i].th, NULL);
        r.calls += s->done;
        r.errors += s->errors;
        n += s->nlat;
    }
    double *all = seal_malloc((n ? n : 1) * sizeof(double));
    size_t o = 0;
    for (int i = 0; all && i < nth; i++) {
        stats *s = C.blocking ? &g_ws[i].st : &g_ts[i].st;
        memcpy(all + o, s->lat, s->nlat * sizeof(double));
        o += s->nlat;
    }
    if (!all)
        n = 0;
    qsort(all, n, sizeof(double), cmp_d);
    r.rate = (double)r.calls / C.seconds;
    r.p50_ms = n ? all[n / 2] * 1e3 : 0;
    r.p99_ms = n ? all[(size_t)((double)n * 0.99)] * 1e3 : 0;
    seal_free(all);
    return r;
}

__attribute__((noreturn)) static void usage(void)
{
    fprintf(stderr, "usage: grpc_load_bench [--addr A] [--port P] [--user U] [--password PW] "
                    "[--db NAME] [--create-db] [--header-version V] [--clients N] "
                    "[--threads T] [--blocking [--conns M]] [--seconds S] [--value-size B] "
                    "[--workloads set,vset,vget] [--verify]\n"
                    "  default: T epoll driver threads (2) over N connections (100), one call "
                    "in flight each;\n"
                    "  --blocking: a thread and a blocking connection per client (--conns M < N: "
                    "M connections, N/M streams each)\n");
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
    C.threads = 2;
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
        if (!strcmp(a, "--blocking")) {
            C.blocking = true;
            continue;
        }
        if (!strcmp(a, "--verify")) {
            C.verify = true;
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
        else if (!strcmp(a, "--threads"))
            C.threads = atoi(v);
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
    if (C.clients < 1 || C.seconds <= 0 || C.threads < 1 || C.value_size > (16u << 20))
        usage();
    if (C.conns > 0 && C.conns < C.clients && !C.blocking) {
        fprintf(stderr, "grpc_load_bench: --conns needs --blocking\n");
        usage();
    }
    if (C.conns <= 0 || C.conns > C.clients)
        C.conns = C.clients;
    if (C.threads > C.clients)
        C.threads = C.clients;
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
    g_nowners = C.blocking ? C.conns : C.clients;
    g_keys_per_owner = seal_calloc((size_t)g_nowners, sizeof(uint64_t));
    if (C.blocking) {
        g_ws = seal_calloc((size_t)C.conns, sizeof(worker));
    } else {
        g_cs = seal_calloc((size_t)C.clients, sizeof(aconn));
        g_ts = seal_calloc((size_t)C.threads, sizeof(athread));
        if (g_cs && g_ts && async_init() != 0) {
            fprintf(stderr, "grpc_load_bench: cannot resolve %s:%d\n", C.addr, C.port);
            return 1;
        }
    }
    if (!g_keys_per_owner || (C.blocking ? !g_ws : !g_cs || !g_ts)) {
        fprintf(stderr, "grpc_load_bench: out of memory\n");
        return 1;
    }
    for (int i = 0; i < g_nowners; i++) {
        client *cl = C.blocking ? &g_ws[i].cl : &g_cs[i].cl;
        cl->id = i;
        cl->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
    }
    if (C.blocking)
        printf("# grpc_load_bench: %s:%d db %s, %d clients in flight on %d connections (a "
               "thread each, blocking client), %.0f s per workload, %zu-byte values%s\n",
               C.addr, C.port, C.db, C.clients, C.conns, C.seconds, C.value_size,
               C.verify ? ", answers checked" : "");
    else
        printf("# grpc_load_bench: %s:%d db %s, %d clients (a connection and one call in "
               "flight each) driven by %d threads (epoll), %.0f s per workload, %zu-byte "
               "values%s\n",
               C.addr, C.port, C.db, C.clients, C.threads, C.seconds, C.value_size,
               C.verify ? ", answers checked" : "");
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
            for (int i = 0; i < g_nowners; i++)
                total += g_keys_per_owner[i] =
                    C.blocking ? g_ws[i].cl.next_key : g_cs[i].cl.next_key;
            if (total == 0) {
                fprintf(stderr, "vget needs a set or vset workload before it\n");
                rc = 1;
                continue;
            }
        }
        result r = run(k);
        printf("%-6s %12.0f %10.2f %10.2f %10llu %8llu\n", t, r.rate, r.p50_ms, r.p99_ms,
               (unsigned long long)r.calls, (unsigned long long)r.errors);
        fflush(stdout);
        if (r.errors)
            rc = 1;
    }
    for (int i = 0; g_ws && i < C.conns; i++)
        seal_free(g_ws[i].st.lat);
    for (int i = 0; g_ts && i < C.threads; i++)
        seal_free(g_ts[i].st.lat);
    seal_free(g_ws);
    seal_free(g_cs);
    seal_free(g_ts);
    seal_free(g_keys_per_owner);
    if (g_cbs)
        nghttp2_session_callbacks_del(g_cbs);
    return rc;
}
