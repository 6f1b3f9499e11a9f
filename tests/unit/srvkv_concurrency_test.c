/* srvkv_concurrency_test.c - writes from many connections at once through
 * every path a Set can take in the server: answered from the I/O thread
 * with an asynchronous commit (plain Set, noWait Set), on a worker (a Set
 * with preconditions, a Set larger than the inline limit), next to
 * exclusive writers (SetReference, ZAdd) that must wait for queued Sets,
 * and VerifiableSet (asynchronous commit, proof built on a worker).
 * Each writer reads its own write back with noWait right after a Set that
 * did not ask for noWait (the answer came after the index had the tx);
 * Sets whose deadline passes while their commit is queued;
 * every tx id is handed out once; the database's last tx equals the count
 * of acknowledged writes. Then a server is stopped while Sets are in
 * flight: it stops cleanly and, reopened, has every acknowledged Set. */
#include "srvkv_harness.h"

#include <stdatomic.h>

#define WRITERS   6
#define ROUNDS    48
#define BIG_VALUE (70 * 1024) /* above the inline limit: goes to a worker */

typedef struct writer {
    kvh *h;
    int id;
    gc_conn *c;
    uint64_t ids[ROUNDS * 4];
    size_t nids;
    int errors;
    char msg[256];
} writer;

/* Records a failure: "writer ID: WHAT: DETAIL CODE MSG". */
static void werr(writer *w, const char *detail, const char *what, int code, const char *m)
{
    w->errors++;
    if (!w->msg[0])
        snprintf(w->msg, sizeof(w->msg), "writer %d: %s: %s %d %s", w->id, what, detail, code,
                 m ? m : "");
}

/* One unary call on the writer's own connection: the status code; *out
 * decoded on OK. */
static int wcall(writer *w, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *rd, void *out)
{
    char path[128];
    snprintf(path, sizeof(path), KVH_PATH "%s", method);
    gc_call_opts o;
    memset(&o, 0, sizeof(o));
    o.md = &w->h->md;
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = seal_malloc(n ? n : 1);
    protobuf_c_message_pack(req, buf);
    gc_status st;
    uint8_t *r = NULL;
    size_t rl = 0;
    int rc = gc_unary(w->c, path, &o, buf, n, &r, &rl, &st);
    seal_free(buf);
    if (rc) {
        werr(w, "transport error", method, rc, "");
        return -1;
    }
    int code = st.code;
    if (code != GW_OK && code != 9)
        werr(w, "status", method, code, st.message);
    gc_status_free(&st);
    if (out)
        *(ProtobufCMessage **)out = NULL;
    if (code == GW_OK && out)
        *(ProtobufCMessage **)out = protobuf_c_message_unpack(rd, NULL, rl, r);
    seal_free(r);
    return code;
}

static void note_id(writer *w, uint64_t id)
{
    if (w->nids < SEAL_ARRAY_LEN(w->ids))
        w->ids[w->nids++] = id;
}

/* Set of one key; precondition "must not exist" when |fresh|. Returns the
 * tx id or 0; *code the status. */
static uint64_t wset(writer *w, const char *k, const uint8_t *v, size_t vl, bool nowait, bool fresh,
                     int *code)
{
    Immudb__Schema__KeyValue kv;
    immudb__schema__key_value__init(&kv);
    kv.key = BINN(k, strlen(k));
    kv.value = BINN(v, vl);
    Immudb__Schema__KeyValue *kvs[1] = {&kv};
    Immudb__Schema__SetRequest q;
    immudb__schema__set_request__init(&q);
    q.n_kvs = 1;
    q.kvs = kvs;
    q.nowait = nowait;
    Immudb__Schema__Precondition pc;
    Immudb__Schema__Precondition *pcp[1] = {&pc};
    Immudb__Schema__Precondition__KeyMustNotExistPrecondition mne;
    if (fresh) {
        immudb__schema__precondition__init(&pc);
        immudb__schema__precondition__key_must_not_exist_precondition__init(&mne);
        mne.key = BINN(k, strlen(k));
        pc.precondition_case = IMMUDB__SCHEMA__PRECONDITION__PRECONDITION_KEY_MUST_NOT_EXIST;
        pc.keymustnotexist = &mne;
        q.n_preconditions = 1;
        q.preconditions = pcp;
    }
    Immudb__Schema__TxHeader *hd = NULL;
    *code = wcall(w, "Set", &q.base, &immudb__schema__tx_header__descriptor, &hd);
    uint64_t id = hd ? hd->id : 0;
    if (hd)
        protobuf_c_message_free_unpacked(&hd->base, NULL);
    if (id)
        note_id(w, id);
    return id;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    uint8_t *big = seal_malloc(BIG_VALUE);
    memset(big, 'a' + w->id, BIG_VALUE);
    for (int i = 0; i < ROUNDS; i++) {
        char k[64], v[64];
        int code;
        snprintf(k, sizeof(k), "w%d-k%d", w->id, i % 5);
        snprintf(v, sizeof(v), "v%d-%d", w->id, i);
        switch (i % 5) {
        case 4: {
            /* VerifiableSet (async commit, proof on a worker) proving from the
             * last tx this writer saw */
            Immudb__Schema__KeyValue kv;
            immudb__schema__key_value__init(&kv);
            kv.key = BINN(k, strlen(k));
            kv.value = BINN(v, strlen(v));
            Immudb__Schema__KeyValue *kvs[1] = {&kv};
            Immudb__Schema__SetRequest sq;
            immudb__schema__set_request__init(&sq);
            sq.n_kvs = 1;
            sq.kvs = kvs;
            Immudb__Schema__VerifiableSetRequest vq;
            immudb__schema__verifiable_set_request__init(&vq);
            vq.setrequest = &sq;
            uint64_t since = w->nids ? w->ids[w->nids - 1] : 0;
            vq.provesincetx = since;
            Immudb__Schema__VerifiableTx *vt = NULL;
            if (wcall(w, "VerifiableSet", &vq.base, &immudb__schema__verifiable_tx__descriptor,
                      &vt) == GW_OK &&
                vt) {
                const Immudb__Schema__DualProof *p = vt->dualproof;
                uint64_t id = vt->tx && vt->tx->header ? vt->tx->header->id : 0;
                if (!id || !p || !p->targettxheader || p->targettxheader->id != id ||
                    !p->sourcetxheader || p->sourcetxheader->id != (since ? since : id) ||
                    id <= since)
                    werr(w, "VerifiableSet: proof does not span since..tx", k, (int)id, "");
                else
                    note_id(w, id);
                protobuf_c_message_free_unpacked(&vt->base, NULL);
            }
            break;
        }
        case 0:
        case 1: {
            /* plain Set, then my write with noWait */
            if (!wset(w, k, (const uint8_t *)v, strlen(v), false, false, &code))
                break;
            Immudb__Schema__KeyRequest q;
            immudb__schema__key_request__init(&q);
            q.key = BINN(k, strlen(k));
            q.nowait = true;
            Immudb__Schema__Entry *e = NULL;
            if (wcall(w, "Get", &q.base, &immudb__schema__entry__descriptor, &e) == GW_OK && e) {
                if (!BIN_EQ(e->value, v))
                    werr(w, "noWait Get after Set: not my write", k, 0, "");
                protobuf_c_message_free_unpacked(&e->base, NULL);
            }
            break;
        }
        case 2: {
            /* noWait Set, then a precondition Set (worker) twice */
            wset(w, k, (const uint8_t *)v, strlen(v), true, false, &code);
            char fk[64];
            snprintf(fk, sizeof(fk), "w%d-fresh%d", w->id, i);
            wset(w, fk, (const uint8_t *)"x", 1, false, true, &code);
            if (code != GW_OK)
                werr(w, "first must-not-exist Set", fk, code, "");
            if (wset(w, fk, (const uint8_t *)"y", 1, false, true, &code) || code != 9)
                werr(w, "second must-not-exist Set", fk, code, "");
            break;
        }
        case 3: {
            /* a big Set (worker), then a reference to it (exclusive) */
            char bk[64];
            snprintf(bk, sizeof(bk), "w%d-big", w->id);
            wset(w, bk, big, BIG_VALUE, false, false, &code);
            char rk[64];
            snprintf(rk, sizeof(rk), "w%d-ref%d", w->id, i);
            Immudb__Schema__ReferenceRequest rq;
            immudb__schema__reference_request__init(&rq);
            rq.key = BINN(rk, strlen(rk));
            rq.referencedkey = BINN(bk, strlen(bk));
            Immudb__Schema__TxHeader *hd = NULL;
            if (wcall(w, "SetReference", &rq.base, &immudb__schema__tx_header__descriptor, &hd) ==
                    GW_OK &&
                hd) {
                note_id(w, hd->id);
                protobuf_c_message_free_unpacked(&hd->base, NULL);
            }
            break;
        }
        }
    }
    seal_free(big);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void all_paths_at_once(void)
{
    kvh h;
    kvh_start(&h, 1, false);
    static writer ws[WRITERS];
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        memset(&ws[i], 0, sizeof(ws[i]));
        ws[i].h = &h;
        ws[i].id = i;
        CHECK_OK(gc_connect(&ws[i].c, "127.0.0.1", h.port, NULL));
        CHECK_OK(pthread_create(&th[i], NULL, writer_main, &ws[i]));
    }
    /* ZAdd (exclusive) from this thread meanwhile */
    uint64_t zids[20];
    size_t nz = 0;
    for (int i = 0; i < 20; i++) {
        char k[32];
        snprintf(k, sizeof(k), "w0-k%d", i % 5);
        Immudb__Schema__ZAddRequest zq;
        immudb__schema__zadd_request__init(&zq);
        zq.set = BIN("zs");
        zq.key = BINN(k, strlen(k));
        zq.score = i;
        Immudb__Schema__TxHeader *hd = NULL;
        int code = kvh_call(&h, "ZAdd", &zq.base, &immudb__schema__tx_header__descriptor, &hd);
        /* the key may not exist yet: immudb answers NotFound-like errors */
        if (code == GW_OK && hd)
            zids[nz++] = hd->id;
        kvh_free(hd);
    }
    size_t total = nz;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        gc_close(ws[i].c);
        if (ws[i].msg[0])
            T_FAIL("%s", ws[i].msg);
        CHECK_INT(ws[i].errors, 0);
        total += ws[i].nids;
    }
    uint64_t *all = seal_malloc(total * sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < nz; i++)
        all[n++] = zids[i];
    for (int i = 0; i < WRITERS; i++)
        for (size_t j = 0; j < ws[i].nids; j++)
            all[n++] = ws[i].ids[j];
    qsort(all, n, sizeof(*all), cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (all[i] == all[i - 1])
            T_FAIL("tx %" PRIu64 " acknowledged twice", all[i]);
    /* every tx of the database was acknowledged to someone, once */
    uint64_t last;
    uint8_t alh[32];
    kvh_state(&h, &last, alh);
    CHECK_INT(last, n);
    CHECK(n > WRITERS * ROUNDS);
    seal_free(all);
    kvh_stop(&h);
}

/* ------------------------------------------------- stop with Sets in flight */
typedef struct flood {
    kvh *h;
    int id;
    gc_conn *c;
    atomic_int *stop;
    int acked; /* Sets answered OK: keys f<id>-0 .. f<id>-(acked-1) */
    char msg[200];
} flood;

static void *flood_main(void *arg)
{
    flood *f = arg;
    writer w = {.h = f->h, .id = f->id, .c = f->c};
    while (!atomic_load(f->stop)) {
        char k[64];
        snprintf(k, sizeof(k), "f%d-%d", f->id, f->acked);
        int code;
        Immudb__Schema__KeyValue kv;
        immudb__schema__key_value__init(&kv);
        kv.key = BINN(k, strlen(k));
        kv.value = BINN(k, strlen(k));
        Immudb__Schema__KeyValue *kvs[1] = {&kv};
        Immudb__Schema__SetRequest q;
        immudb__schema__set_request__init(&q);
        q.n_kvs = 1;
        q.kvs = kvs;
        char path[128];
        snprintf(path, sizeof(path), KVH_PATH "Set");
        gc_call_opts o;
        memset(&o, 0, sizeof(o));
        o.md = &f->h->md;
        size_t n = protobuf_c_message_get_packed_size(&q.base);
        uint8_t buf[256];
        protobuf_c_message_pack(&q.base, buf);
        gc_status st;
        uint8_t *r = NULL;
        size_t rl = 0;
        int rc = gc_unary(w.c, path, &o, buf, n, &r, &rl, &st);
        seal_free(r);
        if (rc)
            break; /* the server went away */
        code = st.code;
        gc_status_free(&st);
        if (code != GW_OK)
            break; /* refused while stopping */
        f->acked++;
    }
    return NULL;
}

static void stop_with_sets_in_flight(void)
{
    kvh h;
    kvh_start(&h, 1, false);
    atomic_int stop = 0;
    flood fs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&fs[i], 0, sizeof(fs[i]));
        fs[i].h = &h;
        fs[i].id = i;
        fs[i].stop = &stop;
        CHECK_OK(gc_connect(&fs[i].c, "127.0.0.1", h.port, NULL));
        CHECK_OK(pthread_create(&th[i], NULL, flood_main, &fs[i]));
    }
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", h.dir);
    gc_close(h.c);
    h.c = NULL;
    srv_stop(h.s); /* while the Sets keep coming */
    pthread_join(h.th, NULL);
    CHECK_OK(h.run_rc);
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        gc_close(fs[i].c);
    }
    srv_free(h.s); /* closes the databases */
    h.s = NULL;

    /* the data directory, reopened by a new server: every acked Set is there */
    srv_options o;
    srv_options_default(&o);
    o.dir = dir;
    o.address = "127.0.0.1";
    o.port = 0;
    o.admin_password = KVH_ADMIN_PW;
    o.pbkdf2_iterations = 1000;
    char err[512] = "";
    CHECK_OK(srv_new(&h.s, &o, err, sizeof(err)));
    if (!h.s) {
        T_FAIL("reopen: %s", err);
        return;
    }
    h.port = srv_port(h.s);
    CHECK(pthread_create(&h.th, NULL, kvh_main, &h) == 0);
    CHECK_OK(gc_connect(&h.c, "127.0.0.1", h.port, NULL));
    CHECK_OK(kvh_login(&h, KVH_DBNAME));
    int acked = 0;
    for (int i = 0; i < 4; i++) {
        acked += fs[i].acked;
        for (int j = 0; j < fs[i].acked; j += (j < fs[i].acked - 3 ? 7 : 1)) {
            char k[64];
            snprintf(k, sizeof(k), "f%d-%d", i, j);
            Immudb__Schema__KeyRequest q;
            immudb__schema__key_request__init(&q);
            q.key = BINN(k, strlen(k));
            Immudb__Schema__Entry *e = NULL;
            int code = kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, &e);
            if (code != GW_OK || !e || !BIN_EQ(e->value, k))
                T_FAIL("acknowledged Set %s lost after the stop: %d %s", k, code, kvh_msg);
            kvh_free(e);
        }
    }
    CHECK(acked > 0);
    uint64_t last;
    uint8_t alh[32];
    kvh_state(&h, &last, alh);
    CHECK((int64_t)last >= acked);
    kvh_stop(&h);
}

/* Sets whose deadline (1 ms) passes while their commit is queued: each
 * answers OK or DEADLINE_EXCEEDED, the late completions are harmless, and
 * the server goes on serving; every Set answered OK is there. */
static void deadlines_while_deferred(void)
{
    kvh h;
    kvh_start(&h, 1, false);
    int ok = 0, expired = 0;
    char okkeys[200][32];
    for (int i = 0; i < 200; i++) {
        char k[32];
        snprintf(k, sizeof(k), "dl-%d", i);
        Immudb__Schema__KeyValue kv;
        immudb__schema__key_value__init(&kv);
        kv.key = BINN(k, strlen(k));
        kv.value = BINN(k, strlen(k));
        Immudb__Schema__KeyValue *kvs[1] = {&kv};
        Immudb__Schema__SetRequest q;
        immudb__schema__set_request__init(&q);
        q.n_kvs = 1;
        q.kvs = kvs;
        uint8_t buf[128];
        size_t n = protobuf_c_message_get_packed_size(&q.base);
        protobuf_c_message_pack(&q.base, buf);
        gc_call_opts o;
        memset(&o, 0, sizeof(o));
        o.md = &h.md;
        o.timeout_ms = 1;
        o.local_grace_ms = 2000; /* wait for the server's own answer */
        gc_status st;
        uint8_t *r = NULL;
        size_t rl = 0;
        int rc = gc_unary(h.c, KVH_PATH "Set", &o, buf, n, &r, &rl, &st);
        seal_free(r);
        if (rc) {
            T_FAIL("Set %s: transport %s", k, t_errstr(rc));
            break;
        }
        if (st.code == GW_OK)
            snprintf(okkeys[ok++], sizeof(okkeys[0]), "%s", k);
        else if (st.code == GW_DEADLINE_EXCEEDED)
            expired++;
        else
            T_FAIL("Set %s: status %d %s", k, st.code, st.message ? st.message : "");
        gc_status_free(&st);
    }
    fprintf(stderr, "  %d answered, %d past their deadline\n", ok, expired);
    CHECK(ok + expired == 200);
    /* the server still serves, and what it acknowledged is there */
    CHECK(kvh_set(&h, "after", "x") > 0);
    for (int i = 0; i < ok; i++) {
        Immudb__Schema__KeyRequest q;
        immudb__schema__key_request__init(&q);
        q.key = BINN(okkeys[i], strlen(okkeys[i]));
        Immudb__Schema__Entry *e = NULL;
        CHECK_INT(kvh_call(&h, "Get", &q.base, &immudb__schema__entry__descriptor, &e), GW_OK);
        if (e)
            CHECK(BIN_EQ(e->value, okkeys[i]));
        kvh_free(e);
    }
    kvh_stop(&h);
}

int main(void)
{
    t_init();
    RUN(all_paths_at_once);
    RUN(deadlines_while_deferred);
    RUN(stop_with_sets_in_flight);
    return t_done();
}
