/* db_testutil.h - helpers shared by the database-layer tests: open a
 * database with a controllable clock, one-line writes, and a check that a
 * failed call changed nothing (same last tx and Alh before and after). */
#ifndef SEAL_DB_TESTUTIL_H
#define SEAL_DB_TESTUTIL_H

#include "testlib.h"

#include "db/database.h"

#include <stdio.h>
#include <string.h>

/* A clock the tests move (Unix seconds). */
static int64_t tu_clock_now = 1700000000;
static int64_t tu_clock(void *arg)
{
    (void)arg;
    return tu_clock_now;
}

#define U8(s) ((const uint8_t *)(s))
/* "literal" -> pointer, length */
#define SL(s) U8(s), (sizeof(s) - 1)

static inline sdb *tu_open(const char *dir, int version)
{
    sdb_options o;
    sdb_options_default(&o);
    o.store.tx_header_version = version;
    o.store.clock = tu_clock;
    o.store.durability = SEAL_DURABILITY_NONE;
    sdb *db = NULL;
    int rc = sdb_open(dir, "testdb", &o, &db);
    if (rc)
        T_FAIL("sdb_open(%s): %s: %s", dir, t_errstr(rc), sdb_errmsg());
    return db;
}

/* Set one key; returns the tx id (0 on failure). */
static inline uint64_t tu_set(sdb *db, const char *k, const char *v)
{
    sdb_kv kv = {U8(k), strlen(k), U8(v), strlen(v), NULL};
    seal_txhdr h;
    int rc = sdb_set(db, &kv, 1, NULL, 0, false, &h);
    if (rc) {
        T_FAIL("set %s: %s: %s", k, t_errstr(rc), sdb_errmsg());
        return 0;
    }
    return h.id;
}

static inline uint64_t tu_set_md(sdb *db, const char *k, const char *v, const seal_kvmd *md)
{
    sdb_kv kv = {U8(k), strlen(k), U8(v), strlen(v), md};
    seal_txhdr h;
    int rc = sdb_set(db, &kv, 1, NULL, 0, false, &h);
    if (rc) {
        T_FAIL("set %s: %s: %s", k, t_errstr(rc), sdb_errmsg());
        return 0;
    }
    return h.id;
}

static inline int tu_get(sdb *db, const char *k, sdb_entry *e)
{
    sdb_get_req r = {.key = U8(k), .key_len = strlen(k)};
    return sdb_get(db, &r, e);
}

/* State snapshot for "nothing changed" checks. */
typedef struct tu_state {
    uint64_t tx;
    uint8_t alh[32];
} tu_state;

static inline tu_state tu_st(sdb *db)
{
    tu_state s;
    seal_state(sdb_store(db), &s.tx, s.alh);
    return s;
}

#define CHECK_SAME_STATE(db, before)                                                               \
    do {                                                                                           \
        tu_state tu_after_ = tu_st(db);                                                            \
        CHECK_INT(tu_after_.tx, (before).tx);                                                      \
        CHECK_MEM(tu_after_.alh, (before).alh, 32);                                                \
    } while (0)

/* Expect a failure with code |code| and immudb message |msg|, and no
 * change to the database. */
#define CHECK_FAILS(db, expr, code, msg)                                                           \
    do {                                                                                           \
        tu_state tu_before_ = tu_st(db);                                                           \
        CHECK_ERR((expr), (code));                                                                 \
        CHECK_STR(sdb_errmsg(), (msg));                                                            \
        CHECK_SAME_STATE(db, tu_before_);                                                          \
    } while (0)

static inline bool tu_val(const sdb_entry *e, const char *v)
{
    size_t n = strlen(v);
    return e->value_len == n && (n == 0 || memcmp(e->value, v, n) == 0);
}

static inline bool tu_key(const uint8_t *k, size_t kl, const char *s)
{
    size_t n = strlen(s);
    return kl == n && (n == 0 || memcmp(k, s, n) == 0);
}

#endif
