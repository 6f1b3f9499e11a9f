/* catalog.c - the multi-database catalog of a data directory; see catalog.h
 * and docs/database.md. */
#include "db/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MSG_NOT_EXISTS  "database does not exist"
#define MSG_RESERVED    "database is reserved"
#define CREATING_PREFIX ".creating-"
#define DELETED_PREFIX  ".deleted-"

/* ------------------------------------------------------------ settings */
/* Name (immudb's JSON name), kind, permanence, whether SealDB applies it,
 * and immudb's server default. */
#define F_(name, isb, isf, perm, appl, def)                                                        \
    {                                                                                              \
        {name, isb, isf, perm, appl}, def                                                          \
    }
static const struct {
    dbcat_setting_info info;
    double def;
} FIELDS[DBS_NFIELDS] = {
    [DBS_REPLICA] = F_("replica", true, false, false, false, 0),
    [DBS_SYNC_REPLICATION] = F_("syncReplication", true, false, false, false, 0),
    [DBS_PRIMARY_PORT] = F_("masterPort", false, false, false, false, 0),
    [DBS_SYNC_ACKS] = F_("syncAcks", false, false, false, false, 0),
    [DBS_PREFETCH_TX_BUFFER_SIZE] = F_("prefetchTxBufferSize", false, false, false, false, 0),
    [DBS_REPLICATION_COMMIT_CONCURRENCY] =
        F_("replicationCommitConcurrency", false, false, false, false, 0),
    [DBS_ALLOW_TX_DISCARDING] = F_("allowTxDiscarding", true, false, false, false, 0),
    [DBS_SKIP_INTEGRITY_CHECK] = F_("skipIntegrityCheck", true, false, false, false, 0),
    [DBS_WAIT_FOR_INDEXING] = F_("waitForIndexing", true, false, false, false, 0),
    [DBS_FILE_SIZE] = F_("fileSize", false, false, true, true, 1 << 29),
    [DBS_MAX_KEY_LEN] = F_("maxKeyLen", false, false, true, true, 1024),
    [DBS_MAX_VALUE_LEN] = F_("maxValueLen", false, false, true, true, 1 << 25),
    [DBS_MAX_TX_ENTRIES] = F_("maxTxEntries", false, false, true, true, 1024),
    [DBS_EXCLUDE_COMMIT_TIME] = F_("excludeCommitTime", true, false, false, false, 0),
    [DBS_MAX_CONCURRENCY] = F_("maxConcurrency", false, false, false, false, 30),
    [DBS_MAX_IO_CONCURRENCY] = F_("maxIOConcurrency", false, false, false, false, 1),
    [DBS_TX_LOG_CACHE_SIZE] = F_("txLogCacheSize", false, false, false, false, 1000),
    [DBS_VLOG_MAX_OPENED_FILES] = F_("vLogMaxOpenedFiles", false, false, false, false, 10),
    [DBS_TX_LOG_MAX_OPENED_FILES] = F_("txLogMaxOpenedFiles", false, false, false, false, 10),
    [DBS_COMMIT_LOG_MAX_OPENED_FILES] =
        F_("commitLogMaxOpenedFiles", false, false, false, false, 10),
    [DBS_WRITE_TX_HEADER_VERSION] = F_("writeTxHeaderVersion", false, false, false, true, 1),
    [DBS_AUTOLOAD] = F_("autoload", true, false, false, true, 1),
    [DBS_READ_TX_POOL_SIZE] = F_("readTxPoolSize", false, false, false, false, 128),
    [DBS_SYNC_FREQUENCY] = F_("syncFrequency", false, false, false, false, 20),
    [DBS_WRITE_BUFFER_SIZE] = F_("writeBufferSize", false, false, false, false, 1 << 22),
    [DBS_MAX_ACTIVE_TRANSACTIONS] = F_("maxActiveTransactions", false, false, false, false, 1000),
    [DBS_MVCC_READ_SET_LIMIT] = F_("mvccReadSetLimit", false, false, false, false, 100000),
    [DBS_VLOG_CACHE_SIZE] = F_("vLogCacheSize", false, false, false, false, 0),
    [DBS_EMBEDDED_VALUES] = F_("embeddedValues", true, false, true, false, 0),
    [DBS_PREALLOC_FILES] = F_("preallocFiles", true, false, true, false, 0),
    [DBS_IDX_FLUSH_THRESHOLD] =
        F_("indexOptions.flushThreshold", false, false, false, false, 100000),
    [DBS_IDX_SYNC_THRESHOLD] =
        F_("indexOptions.syncThreshold", false, false, false, false, 1000000),
    [DBS_IDX_CACHE_SIZE] = F_("indexOptions.cacheSize", false, false, false, false, 1 << 27),
    [DBS_IDX_MAX_NODE_SIZE] = F_("indexOptions.maxNodeSize", false, false, true, false, 4096),
    [DBS_IDX_MAX_ACTIVE_SNAPSHOTS] =
        F_("indexOptions.maxActiveSnapshots", false, false, false, false, 100),
    [DBS_IDX_RENEW_SNAP_ROOT_AFTER] =
        F_("indexOptions.renewSnapRootAfter", false, false, false, false, 1000),
    [DBS_IDX_COMPACTION_THLD] = F_("indexOptions.compactionThld", false, false, false, false, 2),
    [DBS_IDX_DELAY_DURING_COMPACTION] =
        F_("indexOptions.delayDuringCompaction", false, false, false, false, 10),
    [DBS_IDX_NODES_LOG_MAX_OPENED_FILES] =
        F_("indexOptions.nodesLogMaxOpenedFiles", false, false, false, false, 10),
    [DBS_IDX_HISTORY_LOG_MAX_OPENED_FILES] =
        F_("indexOptions.historyLogMaxOpenedFiles", false, false, false, false, 1),
    [DBS_IDX_COMMIT_LOG_MAX_OPENED_FILES] =
        F_("indexOptions.commitLogMaxOpenedFiles", false, false, false, false, 1),
    [DBS_IDX_FLUSH_BUFFER_SIZE] =
        F_("indexOptions.flushBufferSize", false, false, false, false, 4096),
    [DBS_IDX_CLEANUP_PERCENTAGE] =
        F_("indexOptions.cleanupPercentage", false, true, false, false, 0),
    [DBS_IDX_MAX_BULK_SIZE] = F_("indexOptions.maxBulkSize", false, false, false, false, 1),
    [DBS_IDX_BULK_PREPARATION_TIMEOUT] =
        F_("indexOptions.bulkPreparationTimeout", false, false, false, false, 20),
    [DBS_AHT_SYNC_THRESHOLD] = F_("ahtOptions.syncThreshold", false, false, false, false, 100000),
    [DBS_AHT_WRITE_BUFFER_SIZE] =
        F_("ahtOptions.writeBufferSize", false, false, false, false, 1 << 24),
    [DBS_RETENTION_PERIOD] = F_("retentionPeriod", false, false, false, false, 0),
    [DBS_TRUNCATION_FREQUENCY] =
        F_("truncationFrequency", false, false, false, false, 24.0 * 3600 * 1000),
};
#undef F_

const dbcat_setting_info *dbcat_setting_about(dbcat_field f)
{
    if ((int)f < 0 || f >= DBS_NFIELDS)
        return NULL;
    return &FIELDS[f].info;
}

static void settings_default(dbcat_settings *s, int version)
{
    memset(s, 0, sizeof(*s));
    for (int f = 0; f < DBS_NFIELDS; f++)
        s->v[f] = FIELDS[f].def;
    s->v[DBS_WRITE_TX_HEADER_VERSION] = version;
}

/* immudb's dbOptions.Validate and store Options.Validate, in their order,
 * plus what SealDB does not offer. */
static int settings_validate(const char *db, const double *v, const dbcat_update *u)
{
#define IA(...)   sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments: " __VA_ARGS__)
#define NOT(what) sdb_fail(SEAL_EUNSUPPORTED, SDB_GRPC_UNIMPLEMENTED, "%s is not supported", what)
    if (v[DBS_REPLICA] != 0)
        return NOT("replication (replica databases)");
    if (v[DBS_SYNC_ACKS] < 0)
        return IA("invalid value for replication option SyncAcks on primary database '%s'", db);
    const struct {
        bool bad;
        const char *what;
    } prim[] = {
        {u && u->primary_database && *u->primary_database, "PrimaryDatabase"},
        {u && u->primary_host && *u->primary_host, "PrimaryHost"},
        {v[DBS_PRIMARY_PORT] > 0, "PrimaryPort"},
        {u && u->primary_username && *u->primary_username, "PrimaryUsername"},
        {u && u->primary_password && *u->primary_password, "PrimaryPassword"},
        {v[DBS_PREFETCH_TX_BUFFER_SIZE] > 0, "PrefetchTxBufferSize"},
        {v[DBS_REPLICATION_COMMIT_CONCURRENCY] > 0, "ReplicationCommitConcurrency"},
        {v[DBS_ALLOW_TX_DISCARDING] != 0, "AllowTxDiscarding"},
        {v[DBS_SKIP_INTEGRITY_CHECK] != 0, "SkipIntegrityCheck"},
        {v[DBS_WAIT_FOR_INDEXING] != 0, "WaitForIndexing"},
    };
    for (size_t i = 0; i < SEAL_ARRAY_LEN(prim); i++)
        if (prim[i].bad)
            return IA("invalid value for replication option %s on primary database '%s'",
                      prim[i].what, db);
    if (v[DBS_SYNC_REPLICATION] != 0 && v[DBS_SYNC_ACKS] == 0)
        return IA("invalid replication options for primary database '%s'. It is necessary to "
                  "have at least one sync replica",
                  db);
    if (v[DBS_SYNC_REPLICATION] == 0 && v[DBS_SYNC_ACKS] > 0)
        return IA("invalid replication options for primary database '%s'. SyncAcks should be "
                  "set to 0",
                  db);
    if (v[DBS_SYNC_REPLICATION] != 0)
        return NOT("synchronous replication");
    if (v[DBS_READ_TX_POOL_SIZE] <= 0)
        return IA("invalid read tx pool size (%.0f) for database '%s'", v[DBS_READ_TX_POOL_SIZE],
                  db);
    if (v[DBS_RETENTION_PERIOD] < 0 ||
        (v[DBS_RETENTION_PERIOD] > 0 && v[DBS_RETENTION_PERIOD] < 24.0 * 3600 * 1000))
        return IA("invalid retention period for database '%s'. RetentionPeriod should at least "
                  "'24' hours",
                  db);
    if (v[DBS_TRUNCATION_FREQUENCY] < 0 ||
        (v[DBS_TRUNCATION_FREQUENCY] > 0 && v[DBS_TRUNCATION_FREQUENCY] < 3600.0 * 1000))
        return IA("invalid truncation frequency for database '%s'. TruncationFrequency should "
                  "at least '1' hour",
                  db);
    if (v[DBS_RETENTION_PERIOD] > 0)
        return NOT("data retention (truncation)");
    if (v[DBS_EXCLUDE_COMMIT_TIME] != 0)
        return NOT("excludeCommitTime");
    const struct {
        bool bad;
        const char *what;
    } st[] = {
        {v[DBS_WRITE_BUFFER_SIZE] <= 0, "invalid WriteBufferSize"},
        {v[DBS_SYNC_FREQUENCY] < 0, "invalid SyncFrequency"},
        {v[DBS_MAX_ACTIVE_TRANSACTIONS] <= 0, "invalid MaxActiveTransactions"},
        {v[DBS_MVCC_READ_SET_LIMIT] <= 0, "invalid MVCCReadSetLimit"},
        {v[DBS_MAX_CONCURRENCY] <= 0, "invalid MaxConcurrency"},
        {v[DBS_MAX_IO_CONCURRENCY] <= 0 || v[DBS_MAX_IO_CONCURRENCY] > 127 ||
             (v[DBS_MAX_IO_CONCURRENCY] > 1 && v[DBS_EMBEDDED_VALUES] != 0),
         "invalid MaxIOConcurrency"},
        {v[DBS_VLOG_MAX_OPENED_FILES] <= 0, "invalid VLogMaxOpenedFiles"},
        {v[DBS_TX_LOG_MAX_OPENED_FILES] <= 0, "invalid TxLogMaxOpenedFiles"},
        {v[DBS_COMMIT_LOG_MAX_OPENED_FILES] <= 0, "invalid CommitLogMaxOpenedFiles"},
        {v[DBS_TX_LOG_CACHE_SIZE] <= 0, "invalid TxLogCacheSize"},
        {v[DBS_VLOG_CACHE_SIZE] < 0, "invalid VLogCacheSize"},
        {v[DBS_WRITE_TX_HEADER_VERSION] < 0 || v[DBS_WRITE_TX_HEADER_VERSION] > 1 ||
             v[DBS_WRITE_TX_HEADER_VERSION] != (int)v[DBS_WRITE_TX_HEADER_VERSION],
         "invalid WriteTxHeaderVersion"},
        /* SealDB: version 0 headers count entries in 16 bits */
        {v[DBS_MAX_TX_ENTRIES] <= 0 ||
             (v[DBS_WRITE_TX_HEADER_VERSION] == 0 && v[DBS_MAX_TX_ENTRIES] > 65535),
         "invalid MaxTxEntries"},
        {v[DBS_MAX_KEY_LEN] <= 0 || v[DBS_MAX_KEY_LEN] > 1024, "invalid MaxKeyLen"},
        /* SealDB: values are at most 2^31 - 1 bytes */
        {v[DBS_MAX_VALUE_LEN] <= 0 || v[DBS_MAX_VALUE_LEN] > 2147483647.0, "invalid MaxValueLen"},
        {v[DBS_FILE_SIZE] <= 0 || v[DBS_FILE_SIZE] >= 2147483647.0, "invalid FileSize"},
        {v[DBS_IDX_CACHE_SIZE] <= 0, "invalid index option CacheSize"},
        {v[DBS_IDX_FLUSH_THRESHOLD] <= 0, "invalid index option FlushThld"},
        {v[DBS_IDX_SYNC_THRESHOLD] <= 0, "invalid index option SyncThld"},
        {v[DBS_IDX_FLUSH_BUFFER_SIZE] <= 0, "invalid index option FlushBufferSize"},
        /* written so that NaN (a float on the wire) is refused too */
        {!(v[DBS_IDX_CLEANUP_PERCENTAGE] >= 0 && v[DBS_IDX_CLEANUP_PERCENTAGE] <= 100),
         "invalid index option CleanupPercentage"},
        {v[DBS_IDX_MAX_ACTIVE_SNAPSHOTS] <= 0, "invalid index option MaxActiveSnapshots"},
        {v[DBS_IDX_MAX_NODE_SIZE] <= 0, "invalid index option MaxNodeSize"},
        {v[DBS_IDX_COMPACTION_THLD] <= 0, "invalid index option CompactionThld"},
        {v[DBS_IDX_DELAY_DURING_COMPACTION] < 0, "invalid index option DelayDuringCompaction"},
        {v[DBS_IDX_RENEW_SNAP_ROOT_AFTER] < 0, "invalid index option RenewSnapRootAfter"},
        {v[DBS_IDX_MAX_BULK_SIZE] < 1, "invalid MaxBulkSize"},
        {v[DBS_IDX_BULK_PREPARATION_TIMEOUT] < 0, "invalid BulkPreparationTimeout"},
        {v[DBS_IDX_NODES_LOG_MAX_OPENED_FILES] <= 0, "invalid index option NodesLogMaxOpenedFiles"},
        {v[DBS_IDX_HISTORY_LOG_MAX_OPENED_FILES] <= 0,
         "invalid index option HistoryLogMaxOpenedFiles"},
        {v[DBS_IDX_COMMIT_LOG_MAX_OPENED_FILES] <= 0,
         "invalid index option CommitLogMaxOpenedFiles"},
        {v[DBS_AHT_WRITE_BUFFER_SIZE] <= 0, "invalid AHT option WriteBufferSize"},
        {v[DBS_AHT_SYNC_THRESHOLD] <= 0, "invalid AHT option SyncThld"},
    };
    for (size_t i = 0; i < SEAL_ARRAY_LEN(st); i++)
        if (st[i].bad)
            return IA("invalid options: %s", st[i].what);
    return 0;
#undef IA
#undef NOT
}

/* immudb's overwriteWith: permanent settings of an existing database are
 * refused; SealDB also refuses changing the header version (fixed in the
 * store at creation). */
static int settings_apply(const char *db, dbcat_settings *s, const dbcat_update *u, bool existing)
{
    if (existing) {
        static const struct {
            dbcat_field f;
            const char *what;
        } perm[] = {
            {DBS_FILE_SIZE, "file size"},
            {DBS_MAX_KEY_LEN, "max key length"},
            {DBS_MAX_VALUE_LEN, "max value length"},
            {DBS_MAX_TX_ENTRIES, "max number of entries per transaction"},
            {DBS_EMBEDDED_VALUES, "embedded values"},
            {DBS_PREALLOC_FILES, "prealloc files"},
            {DBS_IDX_MAX_NODE_SIZE, "max node size"},
        };
        for (size_t i = 0; i < SEAL_ARRAY_LEN(perm); i++)
            if (u->set[perm[i].f])
                return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT,
                                "illegal arguments: %s can not be changed after database "
                                "creation ('%s')",
                                perm[i].what, db);
        if (u->set[DBS_WRITE_TX_HEADER_VERSION] &&
            u->v[DBS_WRITE_TX_HEADER_VERSION] != s->v[DBS_WRITE_TX_HEADER_VERSION])
            return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT,
                            "illegal arguments: write tx header version can not be changed after "
                            "database creation ('%s')",
                            db);
    }
    double v[DBS_NFIELDS];
    memcpy(v, s->v, sizeof(v));
    for (int f = 0; f < DBS_NFIELDS; f++) {
        if (!u->set[f])
            continue;
        double x = u->v[f];
        if (FIELDS[f].info.is_bool)
            x = x != 0;
        v[f] = x;
    }
    int rc = settings_validate(db, v, u);
    if (rc)
        return rc;
    memcpy(s->v, v, sizeof(v));
    return 0;
}

/* Text form stored in systemdb: one "name=value" per line. */
static char *settings_encode(const dbcat_settings *s, size_t *len)
{
    size_t cap = 4096, pos = 0;
    char *b = seal_malloc(cap);
    if (!b)
        return NULL;
    pos += (size_t)snprintf(b + pos, cap - pos, "sealdb-settings=1\n");
    for (int f = 0; f < DBS_NFIELDS; f++)
        pos += (size_t)snprintf(b + pos, cap - pos, "%s=%.17g\n", FIELDS[f].info.name, s->v[f]);
    pos += (size_t)snprintf(b + pos, cap - pos,
                            "createdBy=%s\ncreatedAt=%lld\nupdatedBy=%s\n"
                            "updatedAt=%lld\n",
                            s->created_by, (long long)s->created_at, s->updated_by,
                            (long long)s->updated_at);
    SEAL_ASSERT(pos < cap);
    *len = pos;
    return b;
}

static void clean_user(char *dst, size_t cap, const char *u)
{
    size_t j = 0;
    for (size_t i = 0; u && u[i] && j + 1 < cap; i++)
        if ((unsigned char)u[i] >= 0x20 && u[i] != 0x7f)
            dst[j++] = u[i];
    dst[j] = 0;
}

static void settings_decode(dbcat_settings *s, const uint8_t *p, size_t n)
{
    const char *c = (const char *)p, *end = c + n;
    while (c < end) {
        const char *nl = memchr(c, '\n', (size_t)(end - c));
        if (!nl)
            nl = end;
        const char *eq = memchr(c, '=', (size_t)(nl - c));
        if (eq) {
            char name[64], val[96];
            size_t kl = (size_t)(eq - c), vl = (size_t)(nl - eq - 1);
            if (kl < sizeof(name) && vl < sizeof(val)) {
                memcpy(name, c, kl);
                name[kl] = 0;
                memcpy(val, eq + 1, vl);
                val[vl] = 0;
                if (strcmp(name, "createdBy") == 0)
                    clean_user(s->created_by, sizeof(s->created_by), val);
                else if (strcmp(name, "updatedBy") == 0)
                    clean_user(s->updated_by, sizeof(s->updated_by), val);
                else if (strcmp(name, "createdAt") == 0)
                    s->created_at = strtoll(val, NULL, 10);
                else if (strcmp(name, "updatedAt") == 0)
                    s->updated_at = strtoll(val, NULL, 10);
                else
                    for (int f = 0; f < DBS_NFIELDS; f++)
                        if (strcmp(name, FIELDS[f].info.name) == 0)
                            s->v[f] = strtod(val, NULL);
            }
        }
        c = nl + 1;
    }
}

/* ---------------------------------------------------------- the catalog */
struct dbent {
    char name[SDB_NAME_MAX + 1];
    dbcat_settings set;
    sdb *db;      /* NULL = not loaded */
    int refs;     /* users in flight */
    bool busy;    /* being loaded, unloaded or deleted */
    bool closing; /* unload waiting for its users: no new ones */
};

struct dbcat {
    char *dir;
    dbcat_options o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct dbent **ents; /* defaultdb first */
    size_t n, cap;
    sdb *sys;
};

void dbcat_options_default(dbcat_options *o)
{
    memset(o, 0, sizeof(*o));
    o->default_tx_header_version = 1;
    o->durability = SEAL_DURABILITY_SYNC;
    o->max_result_size = SDB_MAX_RESULT_SIZE;
}

static bool reserved(const char *name)
{
    return strcmp(name, DBCAT_DEFAULTDB) == 0 || strcmp(name, DBCAT_SYSTEMDB) == 0;
}

int dbcat_validate_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > SDB_NAME_MAX)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "database name length outside of limits");
    bool special = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
            continue;
        if (ch > 0x20 && ch < 0x7f && !(ch >= 'A' && ch <= 'Z')) {
            special = true; /* ASCII punctuation and symbols */
            continue;
        }
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, "unrecognized character in database name");
    }
    if (special)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN,
                        "punctuation marks and symbols are not allowed in database name");
    return 0;
}

static int64_t cat_now(const dbcat *c)
{
    return c->o.clock ? c->o.clock(c->o.clock_arg) : (int64_t)time(NULL);
}

static char *path_of(const dbcat *c, const char *prefix, const char *name)
{
    size_t n = strlen(c->dir) + strlen(prefix) + strlen(name) + 2;
    char *p = seal_malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", c->dir, prefix, name);
    return p;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int rm_rf(const char *path)
{
    return nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT ? 0 : SEAL_EIO;
}

static int open_db(dbcat *c, const char *name, const dbcat_settings *s, bool create,
                   const char *path, sdb **out)
{
    sdb_options o;
    sdb_options_default(&o);
    o.store.tx_header_version = (int)s->v[DBS_WRITE_TX_HEADER_VERSION];
    o.store.max_key_len = (uint32_t)s->v[DBS_MAX_KEY_LEN];
    o.store.max_value_len = (uint32_t)s->v[DBS_MAX_VALUE_LEN];
    o.store.max_tx_entries = (uint32_t)s->v[DBS_MAX_TX_ENTRIES];
    uint64_t seg = (uint64_t)s->v[DBS_FILE_SIZE];
    o.store.segment_size = seg < 4096 ? 4096 : seg;
    o.store.durability = c->o.durability;
    o.store.create_if_missing = create;
    o.store.clock = c->o.clock;
    o.store.clock_arg = c->o.clock_arg;
    o.store.index_map_size = c->o.index_map_size;
    o.max_result_size = c->o.max_result_size;
    o.signer = c->o.signer;
    char *p = path ? NULL : path_of(c, "", name);
    if (!path && !p)
        return SEAL_ENOMEM;
    int rc = sdb_open(path ? path : p, name, &o, out);
    seal_free(p);
    return rc;
}

/* ------------------------------------------------ systemdb records */
static int sys_key(uint8_t prefix, const char *name, uint8_t *k, size_t cap, size_t *kl)
{
    size_t n = strlen(name);
    if (n + 1 > cap)
        return SEAL_EINVAL;
    k[0] = prefix;
    memcpy(k + 1, name, n);
    *kl = n + 1;
    return 0;
}

static int settings_save(dbcat *c, const char *name, const dbcat_settings *s)
{
    uint8_t k[SDB_NAME_MAX + 2];
    size_t kl, vl;
    int rc = sys_key(DBCAT_KEY_PREFIX_SETTINGS, name, k, sizeof(k), &kl);
    if (rc)
        return rc;
    char *v = settings_encode(s, &vl);
    if (!v)
        return SEAL_ENOMEM;
    sdb_kv kv = {k, kl, (const uint8_t *)v, vl, NULL};
    rc = sdb_set(c->sys, &kv, 1, NULL, 0, false, NULL);
    seal_free(v);
    return rc;
}

/* Loads the stored settings of |name| (SEAL_ENOTFOUND if none). */
static int settings_load(dbcat *c, const char *name, dbcat_settings *s)
{
    uint8_t k[SDB_NAME_MAX + 2];
    size_t kl;
    int rc = sys_key(DBCAT_KEY_PREFIX_SETTINGS, name, k, sizeof(k), &kl);
    if (rc)
        return rc;
    sdb_get_req r = {.key = k, .key_len = kl};
    sdb_entry e;
    if ((rc = sdb_get(c->sys, &r, &e)) != 0)
        return rc;
    settings_default(s, c->o.default_tx_header_version);
    settings_decode(s, e.value, e.value_len);
    sdb_entry_clear(&e);
    return 0;
}

static int settings_forget(dbcat *c, const char *name)
{
    uint8_t k[SDB_NAME_MAX + 2];
    size_t kl;
    int rc = sys_key(DBCAT_KEY_PREFIX_SETTINGS, name, k, sizeof(k), &kl);
    if (rc)
        return rc;
    sdb_key key = {k, kl};
    rc = sdb_delete(c->sys, &key, 1, 0, false, NULL);
    return rc == SEAL_ENOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------ entries */
static struct dbent *find(dbcat *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->ents[i]->name, name) == 0)
            return c->ents[i];
    return NULL;
}

static int add_ent(dbcat *c, const char *name, const dbcat_settings *s, sdb *db)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct dbent **ne = seal_realloc(c->ents, cap * sizeof(*ne));
        if (!ne)
            return SEAL_ENOMEM;
        c->ents = ne;
        c->cap = cap;
    }
    struct dbent *e = seal_calloc(1, sizeof(*e));
    if (!e)
        return SEAL_ENOMEM;
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->set = *s;
    e->db = db;
    c->ents[c->n++] = e;
    return 0;
}

static void remove_ent(dbcat *c, struct dbent *e)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->ents[i] == e) {
            memmove(&c->ents[i], &c->ents[i + 1], (c->n - i - 1) * sizeof(*c->ents));
            c->n--;
            break;
        }
    }
    seal_free(e);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Opens every database directory found in the data directory. */
static int load_all(dbcat *c)
{
    DIR *d = opendir(c->dir);
    if (!d)
        return sdb_fail(SEAL_EIO, SDB_GRPC_UNKNOWN, "cannot read %s: %s", c->dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && rc == 0) {
        const char *nm = de->d_name;
        if (strncmp(nm, CREATING_PREFIX, strlen(CREATING_PREFIX)) == 0 ||
            strncmp(nm, DELETED_PREFIX, strlen(DELETED_PREFIX)) == 0) {
            char *p = path_of(c, "", nm);
            SEAL_LOGW("db", "removing %s left by an interrupted create or delete", nm);
            if (p)
                rm_rf(p);
            seal_free(p);
            continue;
        }
        if (nm[0] == '.' || reserved(nm))
            continue;
        char *p = path_of(c, "", nm);
        struct stat st;
        bool isdir = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        seal_free(p);
        if (!isdir)
            continue;
        if (dbcat_validate_name(nm) != 0) {
            SEAL_LOGW("db", "%s/%s: not a database name, ignored", c->dir, nm);
            sdb_err_clear();
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = seal_realloc(names, cap * sizeof(*nn));
            if (!nn) {
                rc = SEAL_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = seal_strdup(nm)))
            rc = SEAL_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        dbcat_settings s;
        rc = settings_load(c, names[i], &s);
        if (rc == SEAL_ENOTFOUND) {
            /* immudb: a directory without settings gets the defaults */
            settings_default(&s, c->o.default_tx_header_version);
            s.created_at = cat_now(c);
            rc = settings_save(c, names[i], &s);
        }
        if (rc)
            break;
        sdb *db = NULL;
        if (s.v[DBS_AUTOLOAD] != 0 && open_db(c, names[i], &s, false, NULL, &db) != 0) {
            /* listed as not loaded; LoadDatabase reports the error */
            SEAL_LOGE("db", "database '%s' could not be loaded: %s", names[i], sdb_errmsg());
            sdb_err_clear();
            db = NULL;
        }
        if (db) {
            /* report the header version the store really has */
            s.v[DBS_WRITE_TX_HEADER_VERSION] = sdb_tx_header_version(db);
        }
        if ((rc = add_ent(c, names[i], &s, db)) != 0)
            sdb_close(db);
    }
    for (size_t i = 0; i < n; i++)
        seal_free(names[i]);
    seal_free(names);
    return rc;
}

int dbcat_open(const char *dir, const dbcat_options *o, dbcat **out)
{
    int rc;
    dbcat_options def;
    sdb_err_clear();
    if (!dir || !out)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments");
    if (!o) {
        dbcat_options_default(&def);
        o = &def;
    }
    if (o->default_tx_header_version < 0 || o->default_tx_header_version > 1)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT,
                        "illegal arguments: invalid default tx header version");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sdb_fail(SEAL_EIO, SDB_GRPC_UNKNOWN, "cannot create %s: %s", dir, strerror(errno));
    dbcat *c = seal_calloc(1, sizeof(*c));
    if (!c)
        return SEAL_ENOMEM;
    c->o = *o;
    if (!c->o.max_result_size)
        c->o.max_result_size = SDB_MAX_RESULT_SIZE;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (!(c->dir = seal_strdup(dir))) {
        rc = SEAL_ENOMEM;
        goto err;
    }
    dbcat_settings s;
    settings_default(&s, c->o.default_tx_header_version);
    if ((rc = open_db(c, DBCAT_SYSTEMDB, &s, true, NULL, &c->sys)) != 0)
        goto err;
    sdb *def_db = NULL;
    if ((rc = open_db(c, DBCAT_DEFAULTDB, &s, true, NULL, &def_db)) != 0)
        goto err;
    s.v[DBS_WRITE_TX_HEADER_VERSION] = sdb_tx_header_version(def_db);
    if ((rc = add_ent(c, DBCAT_DEFAULTDB, &s, def_db)) != 0) {
        sdb_close(def_db);
        goto err;
    }
    sync_dir(dir);
    if ((rc = load_all(c)) != 0)
        goto err;
    *out = c;
    return 0;
err:
    dbcat_close(c);
    return rc;
}

int dbcat_close(dbcat *c)
{
    if (!c)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        struct dbent *e = c->ents[i];
        while (e->refs > 0 || e->busy || e->closing)
            pthread_cond_wait(&c->cv, &c->mu);
        int r = sdb_close(e->db);
        if (r && !rc)
            rc = r;
        seal_free(e);
    }
    c->n = 0;
    pthread_mutex_unlock(&c->mu);
    int r = sdb_close(c->sys);
    if (r && !rc)
        rc = r;
    seal_free(c->ents);
    seal_free(c->dir);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    seal_free(c);
    return rc;
}

sdb *dbcat_sysdb(dbcat *c)
{
    return c->sys;
}

bool dbcat_exists(dbcat *c, const char *name)
{
    pthread_mutex_lock(&c->mu);
    bool r = find(c, name) != NULL;
    pthread_mutex_unlock(&c->mu);
    return r;
}

int dbcat_acquire(dbcat *c, const char *name, sdb **out)
{
    sdb_err_clear();
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    struct dbent *e = name ? find(c, name) : NULL;
    if (!e)
        rc = sdb_fail(SEAL_ENOTFOUND, SDB_GRPC_UNKNOWN, MSG_NOT_EXISTS);
    else if (!e->db || e->busy || e->closing)
        rc = sdb_fail(SEAL_ECLOSED, SDB_GRPC_UNKNOWN, "already closed");
    else {
        e->refs++;
        *out = e->db;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void dbcat_release(dbcat *c, sdb *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (c->ents[i]->db == db) {
            SEAL_ASSERT(c->ents[i]->refs > 0);
            if (--c->ents[i]->refs == 0)
                pthread_cond_broadcast(&c->cv);
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* Waits until no load/unload/delete is under way on |e|. */
static void wait_ent(dbcat *c, struct dbent *e)
{
    while (e->busy || e->closing)
        pthread_cond_wait(&c->cv, &c->mu);
}

int dbcat_create(dbcat *c, const char *name, const dbcat_update *upd, bool if_not_exists,
                 const char *created_by, dbcat_create_result *out)
{
    sdb_err_clear();
    if (!name)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments");
    if (reserved(name))
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, MSG_RESERVED);
    char lname[SDB_NAME_MAX + 2];
    size_t n = strlen(name);
    if (n > SDB_NAME_MAX)
        return dbcat_validate_name(name);
    for (size_t i = 0; i <= n; i++)
        lname[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] + 32) : name[i];
    int rc = dbcat_validate_name(lname);
    if (rc)
        return rc;
    dbcat_create_result res;
    memset(&res, 0, sizeof(res));
    memcpy(res.name, lname, n + 1);
    pthread_mutex_lock(&c->mu);
    struct dbent *e = find(c, lname);
    if (e) {
        if (!if_not_exists) {
            rc = sdb_fail(SEAL_EEXISTS, SDB_GRPC_UNKNOWN, "database already exists");
        } else {
            res.settings = e->set;
            res.already_existed = true;
        }
        pthread_mutex_unlock(&c->mu);
        if (rc == 0 && out)
            *out = res;
        return rc;
    }
    dbcat_settings s;
    settings_default(&s, c->o.default_tx_header_version);
    clean_user(s.created_by, sizeof(s.created_by), created_by);
    s.created_at = cat_now(c);
    char *tmp = NULL, *final = NULL;
    sdb *db = NULL;
    if (upd && (rc = settings_apply(lname, &s, upd, false)) != 0)
        goto out;
    if (!(tmp = path_of(c, CREATING_PREFIX, lname)) || !(final = path_of(c, "", lname))) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    /* Settings first, then the store built aside and renamed into place:
     * a crash leaves either nothing visible or a complete database. */
    if ((rc = settings_save(c, lname, &s)) != 0)
        goto out;
    rm_rf(tmp);
    if ((rc = open_db(c, lname, &s, true, tmp, &db)) != 0)
        goto out;
    sdb_close(db);
    db = NULL;
    if (rename(tmp, final) != 0) {
        rc = sdb_fail(SEAL_EIO, SDB_GRPC_UNKNOWN, "cannot create database '%s': %s", lname,
                      strerror(errno));
        goto out;
    }
    sync_dir(c->dir);
    if ((rc = open_db(c, lname, &s, false, NULL, &db)) != 0)
        goto out;
    if ((rc = add_ent(c, lname, &s, db)) != 0) {
        sdb_close(db);
        goto out;
    }
    res.settings = s;
out:
    if (rc && tmp)
        rm_rf(tmp);
    pthread_mutex_unlock(&c->mu);
    seal_free(tmp);
    seal_free(final);
    if (rc == 0 && out)
        *out = res;
    return rc;
}

/* Finds a non-reserved database for load/unload/delete/update. */
static int find_user_db(dbcat *c, const char *name, struct dbent **out)
{
    if (!name)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments");
    if (reserved(name))
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_UNKNOWN, MSG_RESERVED);
    struct dbent *e = find(c, name);
    if (!e)
        return sdb_fail(SEAL_ENOTFOUND, SDB_GRPC_UNKNOWN, MSG_NOT_EXISTS);
    wait_ent(c, e);
    *out = e;
    return 0;
}

int dbcat_load(dbcat *c, const char *name)
{
    sdb_err_clear();
    struct dbent *e;
    pthread_mutex_lock(&c->mu);
    int rc = find_user_db(c, name, &e);
    if (rc == 0 && e->db)
        rc = sdb_fail(SEAL_EEXISTS, SDB_GRPC_UNKNOWN, "database already loaded");
    if (rc == 0) {
        sdb *db = NULL;
        e->busy = true;
        dbcat_settings s = e->set;
        pthread_mutex_unlock(&c->mu);
        rc = open_db(c, e->name, &s, false, NULL, &db);
        pthread_mutex_lock(&c->mu);
        e->busy = false;
        if (rc == 0) {
            e->db = db;
            e->set.v[DBS_WRITE_TX_HEADER_VERSION] = sdb_tx_header_version(db);
        }
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int dbcat_unload(dbcat *c, const char *name)
{
    sdb_err_clear();
    struct dbent *e;
    pthread_mutex_lock(&c->mu);
    int rc = find_user_db(c, name, &e);
    if (rc == 0 && !e->db)
        rc = sdb_fail(SEAL_ECLOSED, SDB_GRPC_UNKNOWN, "already closed");
    if (rc == 0) {
        e->closing = true; /* no new users from here on */
        while (e->refs > 0)
            pthread_cond_wait(&c->cv, &c->mu);
        e->closing = false;
        e->busy = true;
        sdb *db = e->db;
        pthread_mutex_unlock(&c->mu);
        rc = sdb_close(db);
        pthread_mutex_lock(&c->mu);
        e->db = NULL;
        e->busy = false;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int dbcat_delete(dbcat *c, const char *name)
{
    sdb_err_clear();
    struct dbent *e;
    char *path = NULL, *tomb = NULL;
    pthread_mutex_lock(&c->mu);
    int rc = find_user_db(c, name, &e);
    if (rc == 0 && e->db)
        rc = sdb_fail(SEAL_EBUSY, SDB_GRPC_UNKNOWN, "cannot delete an open database");
    if (rc)
        goto out;
    char suffix[SDB_NAME_MAX + 32];
    snprintf(suffix, sizeof(suffix), "%s-%lld", e->name, (long long)cat_now(c));
    if (!(path = path_of(c, "", e->name)) || !(tomb = path_of(c, DELETED_PREFIX, suffix))) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    /* Rename away first (atomic), then forget the settings, then remove:
     * a crash at any point leaves no half-deleted database. */
    rm_rf(tomb);
    if (rename(path, tomb) != 0) {
        rc = sdb_fail(SEAL_EIO, SDB_GRPC_UNKNOWN, "cannot delete database '%s': %s", e->name,
                      strerror(errno));
        goto out;
    }
    sync_dir(c->dir);
    if ((rc = settings_forget(c, e->name)) != 0) {
        /* put it back: nothing changed */
        if (rename(tomb, path) == 0)
            sync_dir(c->dir);
        goto out;
    }
    remove_ent(c, e);
    if (rm_rf(tomb) != 0)
        SEAL_LOGW("db", "could not remove %s (removed at next start)", tomb);
out:
    pthread_mutex_unlock(&c->mu);
    seal_free(path);
    seal_free(tomb);
    return rc;
}

int dbcat_update_settings(dbcat *c, const char *name, const dbcat_update *upd,
                          const char *updated_by, dbcat_settings *out)
{
    sdb_err_clear();
    struct dbent *e;
    if (!upd)
        return sdb_fail(SEAL_EINVAL, SDB_GRPC_INVALID_ARGUMENT, "illegal arguments");
    pthread_mutex_lock(&c->mu);
    int rc = find_user_db(c, name, &e);
    dbcat_settings s;
    if (rc == 0) {
        s = e->set;
        rc = settings_apply(e->name, &s, upd, true);
    }
    if (rc == 0) {
        clean_user(s.updated_by, sizeof(s.updated_by), updated_by);
        s.updated_at = cat_now(c);
        rc = settings_save(c, e->name, &s);
    }
    if (rc == 0) {
        e->set = s;
        if (out)
            *out = s;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int dbcat_get_settings(dbcat *c, const char *name, dbcat_settings *out)
{
    sdb_err_clear();
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    struct dbent *e = name ? find(c, name) : NULL;
    if (!e)
        rc = sdb_fail(SEAL_ENOTFOUND, SDB_GRPC_UNKNOWN, MSG_NOT_EXISTS);
    else
        *out = e->set;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static uint64_t g_du;
static int du_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)p;
    (void)ftw;
    if (flag == FTW_F)
        g_du += (uint64_t)sb->st_size;
    return 0;
}

static uint64_t disk_usage(const char *path)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    g_du = 0;
    nftw(path, du_cb, 16, FTW_PHYS);
    uint64_t r = g_du;
    pthread_mutex_unlock(&mu);
    return r;
}

int dbcat_list(dbcat *c, dbcat_info **out, size_t *n)
{
    sdb_err_clear();
    pthread_mutex_lock(&c->mu);
    size_t cnt = c->n;
    dbcat_info *arr = seal_calloc(cnt ? cnt : 1, sizeof(*arr));
    if (!arr) {
        pthread_mutex_unlock(&c->mu);
        return SEAL_ENOMEM;
    }
    for (size_t i = 0; i < cnt; i++) {
        struct dbent *e = c->ents[i];
        snprintf(arr[i].name, sizeof(arr[i].name), "%s", e->name);
        arr[i].loaded = e->db && !e->closing;
        arr[i].settings = e->set;
        if (e->db) {
            uint8_t alh[32];
            seal_state(sdb_store(e->db), &arr[i].num_transactions, alh);
        }
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < cnt; i++) {
        char *p = path_of(c, "", arr[i].name);
        if (p)
            arr[i].disk_size = disk_usage(p);
        seal_free(p);
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------- systemdb key/value */
int dbcat_sys_put(void *cat, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    dbcat *c = cat;
    sdb_kv kv = {key, klen, val, vlen, NULL};
    return sdb_set(c->sys, &kv, 1, NULL, 0, false, NULL);
}

int dbcat_sys_get(void *cat, const uint8_t *key, size_t klen, uint8_t **val, size_t *vlen)
{
    dbcat *c = cat;
    sdb_get_req r = {.key = key, .key_len = klen};
    sdb_entry e;
    int rc = sdb_get(c->sys, &r, &e);
    if (rc)
        return rc;
    uint8_t *v = seal_malloc(e.value_len ? e.value_len : 1);
    if (!v) {
        sdb_entry_clear(&e);
        return SEAL_ENOMEM;
    }
    if (e.value_len)
        memcpy(v, e.value, e.value_len);
    *val = v;
    *vlen = e.value_len;
    sdb_entry_clear(&e);
    return 0;
}

struct sys_scan {
    dbcat_scan_cb cb;
    void *arg;
    int rc;
};

static int sys_scan_cb(void *arg, const seal_entry *e)
{
    struct sys_scan *s = arg;
    /* plain values only (0x00 prefix); references are not used here */
    if (e->key_len < 1 || e->value_len < 1 || e->value[0] != 0x00)
        return 0;
    int rc = s->cb(s->arg, e->key + 1, e->key_len - 1, e->value + 1, e->value_len - 1);
    if (rc) {
        s->rc = rc;
        return 1;
    }
    return 0;
}

int dbcat_sys_scan(void *cat, const uint8_t *prefix, size_t plen, dbcat_scan_cb cb, void *arg)
{
    dbcat *c = cat;
    uint8_t *p = seal_malloc(plen + 1);
    if (!p)
        return SEAL_ENOMEM;
    p[0] = 0x00;
    if (plen)
        memcpy(p + 1, prefix, plen);
    seal_snap *snap;
    int rc = seal_snap_begin(sdb_store(c->sys), 0, 0, 0, &snap);
    if (rc == 0) {
        seal_scan_opts so = {.prefix = p, .prefix_len = plen + 1, .with_values = 1};
        struct sys_scan s = {cb, arg, 0};
        rc = seal_snap_scan(snap, &so, sys_scan_cb, &s);
        if (rc == 1)
            rc = s.rc;
        seal_snap_end(snap);
    }
    seal_free(p);
    return rc;
}
