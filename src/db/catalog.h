/* catalog.h - the databases of one data directory, with immudb's rules
 * (pkg/server: CreateDatabase*, LoadDatabase, UnloadDatabase,
 * DeleteDatabase, UpdateDatabase*, DatabaseList*, GetDatabaseSettings*).
 *
 * Layout: <dir>/systemdb (internal: users and database settings),
 * <dir>/defaultdb, and one directory per user database; each is a libseal
 * store. Both system databases are created at first start. The settings of
 * user databases live in systemdb under key 0x02||name (immudb's
 * KeyPrefixDBSettings), written before the store is created, and removed
 * after its directory is renamed away on delete; see docs/database.md for
 * the crash behaviour.
 *
 * Threads: every function may be called from any thread. A database is
 * used through dbcat_acquire / dbcat_release; unloading or closing waits
 * until the users in flight have released it, and a database being
 * unloaded can no longer be acquired ("already closed").
 *
 * Errors: 0 or a negative SEAL_E* code, with immudb's message in
 * sdb_errmsg() and the gRPC status in sdb_errgrpc() (see database.h). */
#ifndef SEAL_DB_CATALOG_H
#define SEAL_DB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/database.h"

#define DBCAT_SYSTEMDB            "systemdb"
#define DBCAT_DEFAULTDB           "defaultdb"
#define DBCAT_KEY_PREFIX_USER     0x01 /* immudb KeyPrefixUser */
#define DBCAT_KEY_PREFIX_SETTINGS 0x02 /* immudb KeyPrefixDBSettings */

/* ------------------------------------------------------------ settings */
/* immudb's DatabaseNullableSettings, flattened. Every field has immudb's
 * default and validation; see dbcat_setting_info for which ones SealDB
 * applies (the others are accepted, stored and reported back). */
typedef enum dbcat_field {
    /* replication (a replica, sync replication and sync acks are refused) */
    DBS_REPLICA,
    DBS_SYNC_REPLICATION,
    DBS_PRIMARY_PORT,
    DBS_SYNC_ACKS,
    DBS_PREFETCH_TX_BUFFER_SIZE,
    DBS_REPLICATION_COMMIT_CONCURRENCY,
    DBS_ALLOW_TX_DISCARDING,
    DBS_SKIP_INTEGRITY_CHECK,
    DBS_WAIT_FOR_INDEXING,
    /* store */
    DBS_FILE_SIZE,
    DBS_MAX_KEY_LEN,
    DBS_MAX_VALUE_LEN,
    DBS_MAX_TX_ENTRIES,
    DBS_EXCLUDE_COMMIT_TIME,
    DBS_MAX_CONCURRENCY,
    DBS_MAX_IO_CONCURRENCY,
    DBS_TX_LOG_CACHE_SIZE,
    DBS_VLOG_MAX_OPENED_FILES,
    DBS_TX_LOG_MAX_OPENED_FILES,
    DBS_COMMIT_LOG_MAX_OPENED_FILES,
    DBS_WRITE_TX_HEADER_VERSION,
    DBS_AUTOLOAD,
    DBS_READ_TX_POOL_SIZE,
    DBS_SYNC_FREQUENCY, /* milliseconds */
    DBS_WRITE_BUFFER_SIZE,
    DBS_MAX_ACTIVE_TRANSACTIONS,
    DBS_MVCC_READ_SET_LIMIT,
    DBS_VLOG_CACHE_SIZE,
    DBS_EMBEDDED_VALUES,
    DBS_PREALLOC_FILES,
    /* indexSettings */
    DBS_IDX_FLUSH_THRESHOLD,
    DBS_IDX_SYNC_THRESHOLD,
    DBS_IDX_CACHE_SIZE,
    DBS_IDX_MAX_NODE_SIZE,
    DBS_IDX_MAX_ACTIVE_SNAPSHOTS,
    DBS_IDX_RENEW_SNAP_ROOT_AFTER, /* ms */
    DBS_IDX_COMPACTION_THLD,
    DBS_IDX_DELAY_DURING_COMPACTION, /* ms */
    DBS_IDX_NODES_LOG_MAX_OPENED_FILES,
    DBS_IDX_HISTORY_LOG_MAX_OPENED_FILES,
    DBS_IDX_COMMIT_LOG_MAX_OPENED_FILES,
    DBS_IDX_FLUSH_BUFFER_SIZE,
    DBS_IDX_CLEANUP_PERCENTAGE, /* float */
    DBS_IDX_MAX_BULK_SIZE,
    DBS_IDX_BULK_PREPARATION_TIMEOUT, /* ms */
    /* ahtSettings */
    DBS_AHT_SYNC_THRESHOLD,
    DBS_AHT_WRITE_BUFFER_SIZE,
    /* truncationSettings (retention is refused: truncation is not offered) */
    DBS_RETENTION_PERIOD,     /* ms */
    DBS_TRUNCATION_FREQUENCY, /* ms */
    DBS_NFIELDS
} dbcat_field;

typedef struct dbcat_settings {
    double v[DBS_NFIELDS]; /* every value (bools 0/1; integers exact) */
    char created_by[64];
    int64_t created_at; /* Unix seconds */
    char updated_by[64];
    int64_t updated_at;
} dbcat_settings;

/* A partial update: the fields with set[f] true, plus immudb's replication
 * strings (which must be empty on a primary). */
typedef struct dbcat_update {
    bool set[DBS_NFIELDS];
    double v[DBS_NFIELDS];
    const char *primary_database, *primary_host, *primary_username, *primary_password;
} dbcat_update;

#define DBCAT_SET(u, f, val) ((u)->set[(f)] = true, (u)->v[(f)] = (double)(val))

typedef struct dbcat_setting_info {
    const char *name; /* immudb's JSON name, e.g. "maxKeyLen", "indexOptions.cacheSize" */
    bool is_bool, is_float;
    bool permanent; /* refused by UpdateDatabase */
    bool applied;   /* SealDB acts on it (else stored and reported only) */
} dbcat_setting_info;
const dbcat_setting_info *dbcat_setting_about(dbcat_field f);

/* ------------------------------------------------------------- catalog */
typedef struct dbcat dbcat;

typedef struct dbcat_options {
    /* Header version of new databases when their settings do not say (the
     * server option; immudb's default is 1). */
    int default_tx_header_version;
    /* Server-wide durability (immudb's "synced"): default SYNC. */
    seal_durability durability;
    uint32_t max_result_size;    /* 0 = 2500 */
    const cry_key *signer;       /* borrowed, may be NULL */
    int64_t (*clock)(void *arg); /* NULL = wall clock (tests) */
    void *clock_arg;
    uint64_t index_map_size; /* 0 = the engine default */
} dbcat_options;
void dbcat_options_default(dbcat_options *o);

/* Opens the catalog in |dir| (created if missing), creating systemdb and
 * defaultdb on first start and loading every database whose autoload is
 * on. *out owned by the caller (dbcat_close). */
int dbcat_open(const char *dir, const dbcat_options *o, dbcat **out);
/* Closes every database (waiting for users in flight) and frees |c|. */
int dbcat_close(dbcat *c);

/* Uses database |name| (defaultdb or a user database): *out stays valid
 * until dbcat_release. "database does not exist" (SEAL_ENOTFOUND) or
 * "already closed" (SEAL_ECLOSED, not loaded). systemdb is not served
 * through this call (immudb refuses it to clients): use dbcat_sysdb. */
int dbcat_acquire(dbcat *c, const char *name, sdb **out);
void dbcat_release(dbcat *c, sdb *db);
/* The system database (never unloaded while the catalog is open). */
sdb *dbcat_sysdb(dbcat *c);
bool dbcat_exists(dbcat *c, const char *name);

/* immudb's database-name rule (isValidDBName): 1 to 128 bytes of lower
 * case letters, digits and '_'; 0 or SEAL_EINVAL with immudb's message. */
int dbcat_validate_name(const char *name);

typedef struct dbcat_create_result {
    char name[SDB_NAME_MAX + 1]; /* the name as created (lower-cased) */
    dbcat_settings settings;
    bool already_existed;
} dbcat_create_result;
/* CreateDatabaseV2 (CreateDatabase = no settings; CreateDatabaseWith =
 * the old settings mapped by the handler). |upd| may be NULL. */
int dbcat_create(dbcat *c, const char *name, const dbcat_update *upd, bool if_not_exists,
                 const char *created_by, dbcat_create_result *out);
int dbcat_load(dbcat *c, const char *name);
int dbcat_unload(dbcat *c, const char *name);
int dbcat_delete(dbcat *c, const char *name);
/* UpdateDatabaseV2: permanent settings are refused; the new settings are
 * stored and returned in |out| (may be NULL). */
int dbcat_update_settings(dbcat *c, const char *name, const dbcat_update *upd,
                          const char *updated_by, dbcat_settings *out);
int dbcat_get_settings(dbcat *c, const char *name, dbcat_settings *out);

typedef struct dbcat_info {
    char name[SDB_NAME_MAX + 1];
    bool loaded;
    dbcat_settings settings;
    uint64_t disk_size;
    uint64_t num_transactions; /* when loaded */
} dbcat_info;
/* Every database but systemdb, defaultdb first then by name. *out
 * (seal_free) may be NULL when *n = 0. */
int dbcat_list(dbcat *c, dbcat_info **out, size_t *n);

/* --------------------------------------- key/value backend on systemdb */
/* For the user catalog: records stored as plain keys of systemdb (keys
 * are opaque bytes; the users module uses 0x01||username). Signatures match
 * users_backend (users.h): pass the catalog as ctx. */
typedef int (*dbcat_scan_cb)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen);
int dbcat_sys_put(void *cat, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
int dbcat_sys_get(void *cat, const uint8_t *key, size_t klen, uint8_t **val, size_t *vlen);
int dbcat_sys_scan(void *cat, const uint8_t *prefix, size_t plen, dbcat_scan_cb cb, void *arg);

#endif
