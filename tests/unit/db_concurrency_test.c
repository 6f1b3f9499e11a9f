/* db_concurrency_test.c - concurrency smoke test: several threads write to
 * several databases of one catalog at once (Set, ExecAll with bound
 * references, ZAdd, Delete, reads), while another thread creates, lists,
 * unloads and reloads a third database. Afterwards every write is there,
 * every bound reference carries the id of its own tx, and each store
 * verifies. */
#include "db_testutil.h"

#include "db/catalog.h"

#include <pthread.h>

#define THREADS 4
#define ROUNDS  60

static dbcat *g_cat;
static int g_err;

struct worker {
    int id;
    const char *db;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    sdb *db;
    if (dbcat_acquire(g_cat, w->db, &db) != 0) {
        g_err++;
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        char k[32], r[32];
        snprintf(k, sizeof(k), "w%d-k%d", w->id, i);
        snprintf(r, sizeof(r), "w%d-r%d", w->id, i);
        sdb_kv kv = {U8(k), strlen(k), U8("v"), 1, NULL};
        if (sdb_set(db, &kv, 1, NULL, 0, i % 3 == 0, NULL) != 0)
            g_err++;
        sdb_op ops[3] = {
            {.kind = SDB_OP_KV,
             .key = U8(r),
             .key_len = strlen(r),
             .value = U8("x"),
             .value_len = 1},
            {.kind = SDB_OP_REF,
             .key = U8("ref"),
             .key_len = 3,
             .ref_key = U8(r),
             .ref_len = strlen(r),
             .bound_ref = true},
            {.kind = SDB_OP_ZADD,
             .set = U8("z"),
             .set_len = 1,
             .score = i,
             .key = U8(r),
             .key_len = strlen(r),
             .bound_ref = true},
        };
        /* "ref" is shared by every thread: distinct per thread instead */
        char refk[16];
        snprintf(refk, sizeof(refk), "ref%d", w->id);
        ops[1].key = U8(refk);
        ops[1].key_len = strlen(refk);
        seal_txhdr h;
        if (sdb_exec_all(db, ops, 3, NULL, 0, false, &h) != 0) {
            g_err++;
            continue;
        }
        sdb_entry e;
        sdb_get_req gr = {.key = U8(refk), .key_len = strlen(refk)};
        if (sdb_get(db, &gr, &e) != 0)
            g_err++;
        else {
            /* another thread cannot write this key: it must point at h.id */
            if (e.ref.at_tx != h.id || e.tx != h.id)
                g_err++;
            sdb_entry_clear(&e);
        }
        if (i % 10 == 9) {
            sdb_key dk = {U8(k), strlen(k)};
            if (sdb_delete(db, &dk, 1, 0, false, NULL) != 0)
                g_err++;
        }
    }
    dbcat_release(g_cat, db);
    return NULL;
}

static void *admin(void *arg)
{
    (void)arg;
    dbcat_create_result r;
    if (dbcat_create(g_cat, "third", NULL, false, "a", &r) != 0)
        g_err++;
    for (int i = 0; i < 5; i++) {
        dbcat_info *l;
        size_t n;
        if (dbcat_list(g_cat, &l, &n) != 0)
            g_err++;
        else
            seal_free(l);
        sdb *db;
        if (dbcat_acquire(g_cat, "third", &db) == 0) {
            tu_set(db, "t", "v");
            dbcat_release(g_cat, db);
        }
        if (dbcat_unload(g_cat, "third") != 0 || dbcat_load(g_cat, "third") != 0)
            g_err++;
    }
    return NULL;
}

static void test_many_threads(void)
{
    g_cat = NULL;
    dbcat_options o;
    dbcat_options_default(&o);
    o.durability = SEAL_DURABILITY_NONE;
    CHECK_OK(dbcat_open(t_path("conc"), &o, &g_cat));
    dbcat_create_result r;
    CHECK_OK(dbcat_create(g_cat, "second", NULL, false, "a", &r));
    pthread_t t[THREADS + 1];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){i, i % 2 ? "second" : "defaultdb"};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    pthread_create(&t[THREADS], NULL, admin, NULL);
    for (int i = 0; i <= THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(g_err, 0);

    const char *dbs[2] = {"defaultdb", "second"};
    for (int d = 0; d < 2; d++) {
        sdb *db;
        CHECK_OK(dbcat_acquire(g_cat, dbs[d], &db));
        uint64_t cnt;
        CHECK_OK(sdb_count_all(db, &cnt));
        /* per thread: ROUNDS keys k + ROUNDS keys r + its ref key */
        CHECK_INT(cnt, (THREADS / 2) * (2 * ROUNDS + 1));
        sdb_zscan_req zr = {.set = U8("z"), .set_len = 1};
        sdb_zentry *z;
        size_t n;
        CHECK_OK(sdb_zscan(db, &zr, &z, &n));
        CHECK_INT(n, (THREADS / 2) * ROUNDS);
        for (size_t i = 0; i < n; i++)
            CHECK_INT(z[i].at_tx, z[i].entry.tx); /* bound to its own tx */
        sdb_zentries_free(z, n);
        seal_verify_report rep;
        CHECK_OK(seal_verify(sdb_store(db), NULL, NULL, &rep));
        dbcat_release(g_cat, db);
    }
    CHECK_OK(dbcat_close(g_cat));
}

int main(void)
{
    t_init();
    RUN(test_many_threads);
    return t_done();
}
