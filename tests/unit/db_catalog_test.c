/* db_catalog_test.c - the multi-database catalog against immudb's rules:
 * first start (systemdb, defaultdb), CreateDatabase (names, lower-casing,
 * reserved names, settings and their validation, if-not-exists), list,
 * load/unload/delete with their errors, settings updates (permanent ones
 * refused), persistence across a reopen of the whole catalog, the header
 * version setting honoured, crash leftovers cleaned, unload waiting for
 * users in flight, and the key/value backend over systemdb. */
#include "db_testutil.h"

#include "db/catalog.h"

#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static dbcat *cat_open(const char *dir, int version)
{
    dbcat_options o;
    dbcat_options_default(&o);
    o.default_tx_header_version = version;
    o.durability = SEAL_DURABILITY_NONE;
    o.clock = tu_clock;
    dbcat *c = NULL;
    int rc = dbcat_open(dir, &o, &c);
    if (rc)
        T_FAIL("dbcat_open: %s: %s", t_errstr(rc), sdb_errmsg());
    return c;
}

static bool is_dir(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static size_t list_names(dbcat *c, char *out, size_t cap)
{
    dbcat_info *l;
    size_t n;
    out[0] = 0;
    if (dbcat_list(c, &l, &n) != 0)
        return 0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(out + pos, cap - pos, "%s%s,", l[i].name, l[i].loaded ? "" : "(u)");
    seal_free(l);
    return n;
}

#define CHECK_CAT_ERR(expr, code, msg)                                                             \
    do {                                                                                           \
        CHECK_ERR((expr), (code));                                                                 \
        CHECK_STR(sdb_errmsg(), (msg));                                                            \
    } while (0)

static void test_first_start(void)
{
    const char *dir = t_path("cat1");
    dbcat *c = cat_open(dir, 1);
    CHECK(is_dir(dir, "systemdb"));
    CHECK(is_dir(dir, "defaultdb"));
    char buf[256];
    CHECK_INT(list_names(c, buf, sizeof(buf)), 1);
    CHECK_STR(buf, "defaultdb,");
    dbcat_settings s;
    CHECK_OK(dbcat_get_settings(c, "defaultdb", &s));
    CHECK(s.v[DBS_WRITE_TX_HEADER_VERSION] == 1);
    CHECK(s.v[DBS_MAX_KEY_LEN] == 1024);
    CHECK(s.v[DBS_MAX_VALUE_LEN] == 1 << 25);
    CHECK(s.v[DBS_FILE_SIZE] == 1 << 29);
    CHECK(s.v[DBS_AUTOLOAD] == 1);
    sdb *db;
    CHECK_OK(dbcat_acquire(c, "defaultdb", &db));
    CHECK_STR(sdb_name(db), "defaultdb");
    tu_set(db, "k", "v");
    dbcat_release(c, db);
    CHECK_CAT_ERR(dbcat_acquire(c, "nope", &db), SEAL_ENOTFOUND, "database does not exist");
    CHECK_CAT_ERR(dbcat_acquire(c, "systemdb", &db), SEAL_ENOTFOUND, "database does not exist");
    CHECK(dbcat_sysdb(c) != NULL);
    CHECK_OK(dbcat_close(c));
}

static void test_create_and_names(void)
{
    const char *dir = t_path("cat2");
    dbcat *c = cat_open(dir, 1);
    dbcat_create_result r;
    CHECK_OK(dbcat_create(c, "MyDB_1", NULL, false, "immudb", &r));
    CHECK_STR(r.name, "mydb_1");
    CHECK(!r.already_existed);
    CHECK_STR(r.settings.created_by, "immudb");
    CHECK_INT(r.settings.created_at, tu_clock_now);
    CHECK(is_dir(dir, "mydb_1"));
    CHECK_CAT_ERR(dbcat_create(c, "mydb_1", NULL, false, "immudb", &r), SEAL_EEXISTS,
                  "database already exists");
    CHECK_OK(dbcat_create(c, "MYDB_1", NULL, true, "immudb", &r));
    CHECK(r.already_existed);
    CHECK_STR(r.name, "mydb_1");
    CHECK_CAT_ERR(dbcat_create(c, "defaultdb", NULL, false, "x", &r), SEAL_EINVAL,
                  "database is reserved");
    CHECK_CAT_ERR(dbcat_create(c, "systemdb", NULL, true, "x", &r), SEAL_EINVAL,
                  "database is reserved");
    /* immudb checks reserved names before lower-casing */
    CHECK_CAT_ERR(dbcat_create(c, "DefaultDB", NULL, false, "x", &r), SEAL_EEXISTS,
                  "database already exists");
    CHECK_CAT_ERR(dbcat_create(c, "", NULL, false, "x", &r), SEAL_EINVAL,
                  "database name length outside of limits");
    char longname[140];
    memset(longname, 'a', 129);
    longname[129] = 0;
    CHECK_CAT_ERR(dbcat_create(c, longname, NULL, false, "x", &r), SEAL_EINVAL,
                  "database name length outside of limits");
    longname[128] = 0;
    CHECK_OK(dbcat_create(c, longname, NULL, false, "x", &r));
    CHECK_CAT_ERR(dbcat_create(c, "a-b", NULL, false, "x", &r), SEAL_EINVAL,
                  "punctuation marks and symbols are not allowed in database name");
    CHECK_CAT_ERR(dbcat_create(c, "a-b c", NULL, false, "x", &r), SEAL_EINVAL,
                  "unrecognized character in database name");
    CHECK_CAT_ERR(dbcat_create(c, "caf\xc3\xa9", NULL, false, "x", &r), SEAL_EINVAL,
                  "unrecognized character in database name");
    char buf[512];
    CHECK_INT(list_names(c, buf, sizeof(buf)), 3);
    CHECK(strncmp(buf, "defaultdb,mydb_1,", 17) == 0);
    CHECK_OK(dbcat_close(c));
}

static void test_settings(void)
{
    const char *dir = t_path("cat3");
    dbcat *c = cat_open(dir, 1);
    dbcat_update u;
    memset(&u, 0, sizeof(u));
    DBCAT_SET(&u, DBS_WRITE_TX_HEADER_VERSION, 0);
    DBCAT_SET(&u, DBS_MAX_KEY_LEN, 64);
    DBCAT_SET(&u, DBS_MAX_TX_ENTRIES, 10);
    DBCAT_SET(&u, DBS_IDX_CACHE_SIZE, 1000); /* accepted, stored, reported */
    dbcat_create_result r;
    CHECK_OK(dbcat_create(c, "old", &u, false, "admin", &r));
    CHECK(r.settings.v[DBS_WRITE_TX_HEADER_VERSION] == 0);
    CHECK(r.settings.v[DBS_IDX_CACHE_SIZE] == 1000);
    sdb *db;
    CHECK_OK(dbcat_acquire(c, "old", &db));
    CHECK_INT(sdb_tx_header_version(db), 0);
    static uint8_t k[100];
    memset(k, 'k', sizeof(k));
    sdb_kv kv = {k, 64, SL("v"), NULL};
    CHECK_ERR(sdb_set(db, &kv, 1, NULL, 0, false, NULL), SEAL_ELIMIT);
    kv.key_len = 63;
    CHECK_OK(sdb_set(db, &kv, 1, NULL, 0, false, NULL));
    seal_kvmd md = {.deleted = 1};
    kv.md = &md;
    CHECK_ERR(sdb_set(db, &kv, 1, NULL, 0, false, NULL), SEAL_EUNSUPPORTED);
    dbcat_release(c, db);

    /* Invalid settings: nothing is created. */
    dbcat_update bad;
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_MAX_KEY_LEN, 2000);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid options: invalid MaxKeyLen");
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_WRITE_TX_HEADER_VERSION, 2);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid options: invalid WriteTxHeaderVersion");
    /* A float setting that arrives as NaN is refused, not stored. */
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_IDX_CLEANUP_PERCENTAGE, NAN);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid options: invalid index option CleanupPercentage");
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_REPLICA, 1);
    CHECK_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EUNSUPPORTED);
    memset(&bad, 0, sizeof(bad));
    bad.primary_host = "somewhere";
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid value for replication option PrimaryHost on "
                  "primary database 'bad1'");
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_SYNC_ACKS, 1);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid replication options for primary database 'bad1'. "
                  "SyncAcks should be set to 0");
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_RETENTION_PERIOD, 1000);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid retention period for database 'bad1'. "
                  "RetentionPeriod should at least '24' hours");
    memset(&bad, 0, sizeof(bad));
    DBCAT_SET(&bad, DBS_READ_TX_POOL_SIZE, 0);
    CHECK_CAT_ERR(dbcat_create(c, "bad1", &bad, false, "a", &r), SEAL_EINVAL,
                  "illegal arguments: invalid read tx pool size (0) for database 'bad1'");
    CHECK(!is_dir(dir, "bad1"));
    CHECK(!dbcat_exists(c, "bad1"));

    /* Updates. */
    memset(&u, 0, sizeof(u));
    DBCAT_SET(&u, DBS_MAX_KEY_LEN, 100);
    CHECK_CAT_ERR(dbcat_update_settings(c, "old", &u, "admin", NULL), SEAL_EINVAL,
                  "illegal arguments: max key length can not be changed after database creation "
                  "('old')");
    memset(&u, 0, sizeof(u));
    DBCAT_SET(&u, DBS_FILE_SIZE, 1 << 29);
    CHECK_CAT_ERR(dbcat_update_settings(c, "old", &u, "admin", NULL), SEAL_EINVAL,
                  "illegal arguments: file size can not be changed after database creation "
                  "('old')");
    memset(&u, 0, sizeof(u));
    DBCAT_SET(&u, DBS_WRITE_TX_HEADER_VERSION, 1);
    CHECK_CAT_ERR(dbcat_update_settings(c, "old", &u, "admin", NULL), SEAL_EINVAL,
                  "illegal arguments: write tx header version can not be changed after database "
                  "creation ('old')");
    memset(&u, 0, sizeof(u));
    DBCAT_SET(&u, DBS_WRITE_TX_HEADER_VERSION, 0); /* unchanged: accepted */
    DBCAT_SET(&u, DBS_SYNC_FREQUENCY, 50);
    DBCAT_SET(&u, DBS_AUTOLOAD, 0);
    dbcat_settings s;
    CHECK_OK(dbcat_update_settings(c, "old", &u, "admin2", &s));
    CHECK(s.v[DBS_SYNC_FREQUENCY] == 50);
    CHECK(s.v[DBS_AUTOLOAD] == 0);
    CHECK_STR(s.updated_by, "admin2");
    CHECK_CAT_ERR(dbcat_update_settings(c, "defaultdb", &u, "a", NULL), SEAL_EINVAL,
                  "database is reserved");
    CHECK_CAT_ERR(dbcat_update_settings(c, "nope", &u, "a", NULL), SEAL_ENOTFOUND,
                  "database does not exist");
    CHECK_OK(dbcat_close(c));

    /* Reopen: settings persisted, autoload off honoured, header version
     * kept even though the server default differs now. */
    c = cat_open(dir, 1);
    CHECK_OK(dbcat_get_settings(c, "old", &s));
    CHECK(s.v[DBS_SYNC_FREQUENCY] == 50);
    CHECK(s.v[DBS_MAX_KEY_LEN] == 64);
    CHECK(s.v[DBS_IDX_CACHE_SIZE] == 1000);
    CHECK_STR(s.created_by, "admin");
    char buf[256];
    list_names(c, buf, sizeof(buf));
    CHECK_STR(buf, "defaultdb,old(u),");
    CHECK_CAT_ERR(dbcat_acquire(c, "old", &db), SEAL_ECLOSED, "already closed");
    CHECK_OK(dbcat_load(c, "old"));
    CHECK_OK(dbcat_acquire(c, "old", &db));
    CHECK_INT(sdb_tx_header_version(db), 0);
    sdb_entry e;
    sdb_get_req gr = {.key = k, .key_len = 63};
    CHECK_OK(sdb_get(db, &gr, &e));
    CHECK(tu_val(&e, "v"));
    sdb_entry_clear(&e);
    dbcat_release(c, db);
    CHECK_OK(dbcat_close(c));

    /* A server default of 0 makes new databases version 0. */
    c = cat_open(t_path("cat3b"), 0);
    CHECK_OK(dbcat_create(c, "legacy", NULL, false, "a", &r));
    CHECK_OK(dbcat_acquire(c, "legacy", &db));
    CHECK_INT(sdb_tx_header_version(db), 0);
    dbcat_release(c, db);
    CHECK_OK(dbcat_close(c));
}

static void test_lifecycle(void)
{
    const char *dir = t_path("cat4");
    dbcat *c = cat_open(dir, 1);
    dbcat_create_result r;
    CHECK_OK(dbcat_create(c, "life", NULL, false, "a", &r));
    sdb *db;
    CHECK_OK(dbcat_acquire(c, "life", &db));
    tu_set(db, "a", "1");
    dbcat_release(c, db);
    CHECK_CAT_ERR(dbcat_load(c, "life"), SEAL_EEXISTS, "database already loaded");
    CHECK_CAT_ERR(dbcat_delete(c, "life"), SEAL_EBUSY, "cannot delete an open database");
    CHECK_OK(dbcat_unload(c, "life"));
    CHECK_CAT_ERR(dbcat_unload(c, "life"), SEAL_ECLOSED, "already closed");
    CHECK_CAT_ERR(dbcat_acquire(c, "life", &db), SEAL_ECLOSED, "already closed");
    dbcat_info *l;
    size_t n;
    CHECK_OK(dbcat_list(c, &l, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(!l[1].loaded);
        CHECK(l[1].disk_size > 0);
    }
    seal_free(l);
    CHECK_OK(dbcat_load(c, "life"));
    CHECK_OK(dbcat_list(c, &l, &n));
    if (n == 2) {
        CHECK(l[1].loaded);
        CHECK_INT(l[1].num_transactions, 1);
    }
    seal_free(l);
    for (int i = 0; i < 4; i++) {
        static const char *names[] = {"defaultdb", "systemdb", "defaultdb", "systemdb"};
        int rc = i == 0   ? dbcat_load(c, names[i])
                 : i == 1 ? dbcat_unload(c, names[i])
                 : i == 2 ? dbcat_delete(c, names[i])
                          : dbcat_unload(c, names[i]);
        CHECK_ERR(rc, SEAL_EINVAL);
        CHECK_STR(sdb_errmsg(), "database is reserved");
    }
    CHECK_CAT_ERR(dbcat_load(c, "ghost"), SEAL_ENOTFOUND, "database does not exist");
    CHECK_CAT_ERR(dbcat_unload(c, "ghost"), SEAL_ENOTFOUND, "database does not exist");
    CHECK_CAT_ERR(dbcat_delete(c, "ghost"), SEAL_ENOTFOUND, "database does not exist");

    CHECK_OK(dbcat_unload(c, "life"));
    CHECK_OK(dbcat_delete(c, "life"));
    CHECK(!is_dir(dir, "life"));
    CHECK(!dbcat_exists(c, "life"));
    dbcat_settings s;
    CHECK_ERR(dbcat_get_settings(c, "life", &s), SEAL_ENOTFOUND);
    /* settings record gone from systemdb */
    uint8_t key[] = {0x02, 'l', 'i', 'f', 'e'};
    uint8_t *v;
    size_t vl;
    CHECK_ERR(dbcat_sys_get(c, key, sizeof(key), &v, &vl), SEAL_ENOTFOUND);
    /* Recreate: a fresh, empty database. */
    CHECK_OK(dbcat_create(c, "life", NULL, false, "a", &r));
    CHECK_OK(dbcat_acquire(c, "life", &db));
    uint64_t tx;
    uint8_t alh[32];
    seal_state(sdb_store(db), &tx, alh);
    CHECK_INT(tx, 0);
    dbcat_release(c, db);
    CHECK_OK(dbcat_close(c));
}

/* Leftovers of an interrupted create/delete vanish; a bare database
 * directory without settings gets the defaults (as immudb). */
static void test_leftovers(void)
{
    char dir[400];
    snprintf(dir, sizeof(dir), "%s", t_path("cat5"));
    dbcat *c = cat_open(dir, 1);
    dbcat_create_result r;
    CHECK_OK(dbcat_create(c, "keep", NULL, false, "a", &r));
    CHECK_OK(dbcat_close(c));
    char p[512];
    snprintf(p, sizeof(p), "%s/.creating-half", dir);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof(p), "%s/.deleted-gone-1", dir);
    CHECK(mkdir(p, 0755) == 0);
    /* a store made outside the catalog */
    sdb *raw = tu_open(t_path("cat5/bare"), 1);
    tu_set(raw, "x", "y");
    sdb_close(raw);
    c = cat_open(dir, 1);
    CHECK(!is_dir(dir, ".creating-half"));
    CHECK(!is_dir(dir, ".deleted-gone-1"));
    char buf[256];
    list_names(c, buf, sizeof(buf));
    CHECK_STR(buf, "defaultdb,bare,keep,");
    sdb *db;
    CHECK_OK(dbcat_acquire(c, "bare", &db));
    sdb_entry e;
    CHECK_OK(tu_get(db, "x", &e));
    sdb_entry_clear(&e);
    dbcat_release(c, db);
    CHECK_OK(dbcat_close(c));
}

struct holder {
    dbcat *c;
    sdb *db;
    volatile int released;
};

static void *hold_then_release(void *arg)
{
    struct holder *h = arg;
    usleep(200 * 1000);
    tu_set(h->db, "late", "write"); /* still usable while unload waits */
    h->released = 1;
    dbcat_release(h->c, h->db);
    return NULL;
}

static void test_unload_waits(void)
{
    dbcat *c = cat_open(t_path("cat6"), 1);
    dbcat_create_result r;
    CHECK_OK(dbcat_create(c, "busy", NULL, false, "a", &r));
    struct holder h = {.c = c};
    CHECK_OK(dbcat_acquire(c, "busy", &h.db));
    pthread_t t;
    pthread_create(&t, NULL, hold_then_release, &h);
    CHECK_OK(dbcat_unload(c, "busy"));
    CHECK(h.released);
    pthread_join(t, NULL);
    CHECK_OK(dbcat_load(c, "busy"));
    sdb *db;
    CHECK_OK(dbcat_acquire(c, "busy", &db));
    sdb_entry e;
    CHECK_OK(tu_get(db, "late", &e));
    sdb_entry_clear(&e);
    dbcat_release(c, db);
    CHECK_OK(dbcat_close(c));
}

static int scan_collect(void *arg, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    char *out = arg;
    size_t pos = strlen(out);
    snprintf(out + pos, 256 - pos, "%.*s=%.*s,", (int)(kl - 1), (const char *)k + 1, (int)vl,
             (const char *)v);
    return 0;
}

static void test_sys_backend(void)
{
    const char *dir = t_path("cat7");
    dbcat *c = cat_open(dir, 1);
    uint8_t k1[] = {0x01, 'b', 'o', 'b'}, k2[] = {0x01, 'a', 'l'}, k3[] = {0x05, 'z'};
    CHECK_OK(dbcat_sys_put(c, k1, sizeof(k1), U8("rec-bob"), 7));
    CHECK_OK(dbcat_sys_put(c, k2, sizeof(k2), U8("rec-al"), 6));
    CHECK_OK(dbcat_sys_put(c, k3, sizeof(k3), U8("other"), 5));
    CHECK_OK(dbcat_sys_put(c, k1, sizeof(k1), U8("rec-bob2"), 8));
    uint8_t *v;
    size_t vl;
    CHECK_OK(dbcat_sys_get(c, k1, sizeof(k1), &v, &vl));
    CHECK_INT(vl, 8);
    CHECK(memcmp(v, "rec-bob2", 8) == 0);
    seal_free(v);
    uint8_t pfx = 0x01;
    char out[256] = {0};
    CHECK_OK(dbcat_sys_scan(c, &pfx, 1, scan_collect, out));
    CHECK_STR(out, "al=rec-al,bob=rec-bob2,");
    CHECK_OK(dbcat_close(c));
    c = cat_open(dir, 1);
    CHECK_OK(dbcat_sys_get(c, k2, sizeof(k2), &v, &vl));
    CHECK_INT(vl, 6);
    seal_free(v);
    CHECK_OK(dbcat_close(c));
}

int main(void)
{
    t_init();
    RUN(test_first_start);
    RUN(test_create_and_names);
    RUN(test_settings);
    RUN(test_lifecycle);
    RUN(test_leftovers);
    RUN(test_unload_waits);
    RUN(test_sys_backend);
    return t_done();
}
