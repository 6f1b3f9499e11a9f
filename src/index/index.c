/* index.c - the key index on LMDB: every version of every key, read through
 * snapshots (LMDB read transactions) that never block the indexer.
 *
 * One LMDB environment in the index directory with three named DBs. All
 * integers are big-endian.
 *
 * Index keys. LMDB keys are limited to 511 bytes. A key of at most IK_L (400)
 * bytes is its own index key. A longer key K is stored under
 *     K[0:400] || SHA-256(K)                                   (432 bytes)
 * and its tail K[400:] is kept in the key record. The memcmp order of index
 * keys is then the order of the full keys, except among long keys sharing
 * their first 400 bytes: those are contiguous (no other index key falls
 * between them), and a scan that reaches such a group loads it and sorts it
 * by full key before emitting it.
 *
 * "keys": index key -> key record (the key's latest version)
 *   off  0  u8   flags: bit 0 = long key (tail present); other bits zero
 *   off  1  u64  id: the key's number (1, 2, ... in order of first version)
 *   off  9  u64  count: number of versions = revision of the latest one
 *   off 17  ...  version body of the latest version (below)
 *   then, long keys only: u32 full key length N (> 400), N-400 bytes K[400:N]
 *
 * "versions": u64 id || u64 rev (16 bytes) -> version body of revision rev,
 *   for revisions 1 .. count-1 only: the latest version lives in the key
 *   record, so the first version of a key costs one LMDB put, and each later
 *   one moves the previous latest here.
 *
 * Version body (53 bytes, or 61 with an expiry):
 *   off  0  u64  tx
 *   off  8  u64  voff (value location, opaque)
 *   off 16  u32  vlen
 *   off 20  32   hval (SHA-256 of the stored value)
 *   off 52  u8   metadata flags: bit 0 deleted, bit 1 expiresAt present,
 *                bit 2 nonIndexable (never stored: such entries are skipped);
 *                other bits zero
 *   off 53  u64  expiresAt (Unix seconds), only when bit 1 is set
 *
 * "meta": "format" -> u32 format version (1) || u32 IK_L (400)
 *         "last_tx" -> u64 last applied tx
 *         "next_id" -> u64 id of the next new key
 *
 * A record that fails these checks is SEAL_ECORRUPT, logged with the DB name
 * and the index key in hex. The same description is in docs/format.md.
 *
 * Concurrency: idx_apply holds a mutex (one LMDB write txn per call, no
 * allocation per entry: MDB_NOOVERWRITE|MDB_RESERVE finds or reserves the key
 * record in one search, MDB_CURRENT rewrites it in place). Snapshots are
 * MDB_NOTLS read txns, recycled through a small pool (reset/renew) with their
 * cursors. Growing the map (on MDB_MAP_FULL) remaps the file, which is only
 * safe when no read txn is active: snapshot begin/end keep a count under a
 * mutex, and the grower waits (bounded) for it to reach zero while new
 * snapshots wait for the grower. The environment is meant to be opened by
 * one process.
 *
 * Power loss. The store opens LMDB with MDB_NOSYNC (commits never wait for
 * the index, and syncing every index txn costs ~20 % of the commit
 * throughput). After a process crash that is safe: the page cache holds
 * every page. After a power loss or a kernel crash it is not: the meta page
 * may have reached the disk before the pages it points to. So the index
 * keeps a marker file, "unsynced" in its directory, holding the boot id
 * (/proc/sys/kernel/random/boot_id) of the machine that wrote it:
 *   - before the first LMDB txn after a flush, the marker is written and
 *     fsynced (with its directory): it is on disk before any page of the
 *     txns it covers can be;
 *   - idx_checkpoint (the indexer calls it when it goes idle, at least
 *     every 30 s while it works, and at close) flushes LMDB with
 *     mdb_env_sync and then removes the marker;
 *   - idx_open finds a marker with another boot id (or none readable):
 *     the machine went down with unsynced index pages, the index cannot be
 *     trusted, and open returns SEAL_ESTATE; the store then rebuilds the
 *     index from the log. A marker with the current boot id is a process
 *     crash: the index is intact.
 * The log itself never depends on this: it has its own durability rules
 * (docs/format.md). */
#include "index/index.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdio.h>
#include <unistd.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/cry.h"

#define IK_L            400
#define IK_LONG         (IK_L + CRY_SHA256_LEN)
#define IDX_FORMAT      1
#define VB_MIN          53
#define VB_MAX          61
#define KR_HDR          17
#define KF_LONG         0x01
#define MDF_DELETED     0x01
#define MDF_EXPIRES     0x02
#define MDF_NONIDX      0x04
#define POOL_MAX        32
#define DEFAULT_MAP     (64ULL << 30)
#define DEFAULT_READERS 1024
#define RESIZE_WAIT_MS  5000
#define MARKER          "unsynced"
#define BOOT_ID_FILE    "/proc/sys/kernel/random/boot_id"
#define BOOT_ID_LEN     36

static const char LOGC[] = "index";

typedef struct curslot {
    MDB_cursor *c;
    bool fresh; /* opened or renewed for the snapshot's current txn */
    bool busy;
} curslot;

struct idx_snap {
    idx *ix;
    MDB_txn *txn;
    uint64_t last_tx;
    curslot kcur, vcur;
    idx_snap *next_free;
};

struct idx {
    MDB_env *env;
    MDB_dbi dbk, dbv, dbm;
    uint64_t map_size;
    unsigned resize_wait_ms;
    uint64_t last_tx;      /* atomic */
    uint64_t next_id;      /* under wmu */
    size_t test_txn_limit; /* idx_test_set_txn_limit */
    pthread_mutex_t wmu;   /* one writer at a time */
    pthread_mutex_t mu;    /* snapshots count, pool, resizing */
    pthread_cond_t cv;
    unsigned nsnaps;
    bool resizing;
    idx_snap *pool;
    unsigned npool;
    bool marker;   /* unsynced_marker in force */
    bool unsynced; /* written under wmu (atomic): the marker is on disk, pages may be
                    * unflushed */
    char dir[PATH_MAX];
};

/* ------------------------------------------------------------ helpers */
static void *unconst(const void *p)
{
    return (void *)(uintptr_t)p;
}

static int map_rc(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_NOTFOUND:
        return SEAL_ENOTFOUND;
    case MDB_MAP_FULL:
    case ENOSPC:
        return SEAL_ENOSPACE;
    case ENOMEM:
        return SEAL_ENOMEM;
    case MDB_READERS_FULL:
    case EBUSY:
    case EAGAIN:
        return SEAL_EBUSY;
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
        return SEAL_ELIMIT;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        return SEAL_ECORRUPT;
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
        return SEAL_EUNSUPPORTED;
    case MDB_BAD_VALSIZE:
    case EINVAL:
        return SEAL_EINVAL;
    case EACCES:
    case EPERM:
        return SEAL_EPERM;
    default:
        return SEAL_EIO;
    }
}

static int lfail(const char *what, int rc)
{
    SEAL_LOGE(LOGC, "%s: %s", what, mdb_strerror(rc));
    return map_rc(rc);
}

static int corrupt(const char *db, const void *k, size_t n, const char *why)
{
    char hex[2 * IK_LONG + 1];
    seal_hex_encode(hex, k, n > IK_LONG ? IK_LONG : n);
    SEAL_LOGE(LOGC, "corrupt record in DB \"%s\" at key %s: %s", db, hex, why);
    return SEAL_ECORRUPT;
}

static int kcmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static bool has_prefix(const uint8_t *k, size_t kn, const uint8_t *p, size_t pn)
{
    return pn == 0 || (kn >= pn && memcmp(k, p, pn) == 0);
}

static void vkey_put(uint8_t out[16], uint64_t id, uint64_t rev)
{
    seal_put_u64(out, id);
    seal_put_u64(out + 8, rev);
}

/* ------------------------------------------------------- version body */
static size_t vb_len(const mt_kvmd *md)
{
    return md->has_expires ? VB_MAX : VB_MIN;
}

static size_t vb_put(uint8_t *p, uint64_t tx, uint64_t voff, uint32_t vlen, const uint8_t *hval,
                     const mt_kvmd *md)
{
    seal_put_u64(p, tx);
    seal_put_u64(p + 8, voff);
    seal_put_u32(p + 16, vlen);
    memcpy(p + 20, hval, MT_HASH_LEN);
    p[52] = (uint8_t)((md->deleted ? MDF_DELETED : 0) | (md->has_expires ? MDF_EXPIRES : 0) |
                      (md->non_indexable ? MDF_NONIDX : 0));
    if (!md->has_expires)
        return VB_MIN;
    seal_put_u64(p + 53, md->expires_at);
    return VB_MAX;
}

/* Decodes a body at the start of p[0:n]; returns its length, 0 if bad. */
static size_t vb_get(const uint8_t *p, size_t n, idx_version *v)
{
    if (n < VB_MIN)
        return 0;
    uint8_t f = p[52];
    if (f & ~(MDF_DELETED | MDF_EXPIRES | MDF_NONIDX))
        return 0;
    size_t need = (f & MDF_EXPIRES) ? VB_MAX : VB_MIN;
    if (n < need)
        return 0;
    v->tx = seal_get_u64(p);
    if (v->tx == 0)
        return 0;
    v->voff = seal_get_u64(p + 8);
    v->vlen = seal_get_u32(p + 16);
    memcpy(v->hval, p + 20, MT_HASH_LEN);
    v->md.deleted = (f & MDF_DELETED) != 0;
    v->md.has_expires = (f & MDF_EXPIRES) != 0;
    v->md.expires_at = v->md.has_expires ? seal_get_u64(p + 53) : 0;
    v->md.non_indexable = (f & MDF_NONIDX) != 0;
    v->rev = 0;
    return need;
}

static size_t vb_from_version(uint8_t *p, const idx_version *v)
{
    return vb_put(p, v->tx, v->voff, v->vlen, v->hval, &v->md);
}

/* --------------------------------------------------------- key record */
typedef struct krec {
    uint64_t id, count;
    idx_version latest;
    bool is_long;
    size_t full_len;
    const uint8_t *tail; /* K[400:] of a long key (tail_len bytes) */
    size_t tail_len;
} krec;

static int krec_decode(const MDB_val *k, const MDB_val *d, krec *r)
{
    const uint8_t *p = d->mv_data;
    size_t n = d->mv_size, used;
    if (n < KR_HDR || (p[0] & ~KF_LONG))
        goto bad;
    r->id = seal_get_u64(p + 1);
    r->count = seal_get_u64(p + 9);
    if (r->id == 0 || r->count == 0)
        goto bad;
    used = vb_get(p + KR_HDR, n - KR_HDR, &r->latest);
    if (!used)
        goto bad;
    r->latest.rev = r->count;
    used += KR_HDR;
    r->is_long = (p[0] & KF_LONG) != 0;
    if (r->is_long) {
        if (k->mv_size != IK_LONG || n - used < 4)
            goto bad;
        r->full_len = seal_get_u32(p + used);
        if (r->full_len <= IK_L || r->full_len > IDX_MAX_KEY || n - used - 4 != r->full_len - IK_L)
            goto bad;
        r->tail = p + used + 4;
        r->tail_len = r->full_len - IK_L;
    } else {
        if (k->mv_size == 0 || k->mv_size > IK_L || n != used)
            goto bad;
        r->full_len = k->mv_size;
        r->tail = NULL;
        r->tail_len = 0;
    }
    return 0;
bad:
    return corrupt("keys", k->mv_data, k->mv_size, "bad key record");
}

/* Index key of |key|: the key itself, or key[0:400] || SHA-256(key) in |buf|. */
static int make_ik(const uint8_t *key, size_t n, uint8_t buf[IK_LONG], MDB_val *ik)
{
    if (n <= IK_L) {
        ik->mv_data = unconst(key);
        ik->mv_size = n;
        return 0;
    }
    memcpy(buf, key, IK_L);
    cry_part part = {key, n};
    int rc = cry_sha256v(buf + IK_L, &part, 1);
    if (rc)
        return rc;
    ik->mv_data = buf;
    ik->mv_size = IK_LONG;
    return 0;
}

/* --------------------------------------------------------------- open */
static int meta_get_u64(MDB_txn *txn, MDB_dbi dbm, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), unconst(name)}, d;
    int rc = mdb_get(txn, dbm, &k, &d);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc)
        return lfail("index meta read", rc);
    if (d.mv_size != 8)
        return corrupt("meta", name, strlen(name), "bad length");
    *out = seal_get_u64(d.mv_data);
    return 0;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi dbm, const char *name, uint64_t v, int *lrc)
{
    uint8_t b[8];
    seal_put_u64(b, v);
    MDB_val k = {strlen(name), unconst(name)}, d = {8, b};
    *lrc = mdb_put(txn, dbm, &k, &d, 0);
    return *lrc ? map_rc(*lrc) : 0;
}

static int open_dbs(idx *ix, const char *dir)
{
    MDB_txn *txn = NULL;
    int lrc = mdb_txn_begin(ix->env, NULL, 0, &txn), rc = 0;
    if (lrc)
        return lfail("index open: begin", lrc);
    if ((lrc = mdb_dbi_open(txn, "keys", MDB_CREATE, &ix->dbk)) ||
        (lrc = mdb_dbi_open(txn, "versions", MDB_CREATE, &ix->dbv)) ||
        (lrc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ix->dbm))) {
        rc = lfail("index open: named DBs", lrc);
        goto out;
    }
    MDB_val k = {6, unconst("format")}, d;
    lrc = mdb_get(txn, ix->dbm, &k, &d);
    if (lrc == MDB_NOTFOUND) {
        MDB_stat st;
        if ((lrc = mdb_stat(txn, ix->dbk, &st))) {
            rc = lfail("index open: stat", lrc);
            goto out;
        }
        if (st.ms_entries) {
            rc = corrupt("meta", "format", 6, "missing in a non-empty index");
            goto out;
        }
        uint8_t f[8];
        seal_put_u32(f, IDX_FORMAT);
        seal_put_u32(f + 4, IK_L);
        d.mv_size = 8;
        d.mv_data = f;
        if ((lrc = mdb_put(txn, ix->dbm, &k, &d, 0)) ||
            (rc = meta_put_u64(txn, ix->dbm, "last_tx", 0, &lrc)) ||
            (rc = meta_put_u64(txn, ix->dbm, "next_id", 1, &lrc))) {
            rc = lfail("index open: init", lrc);
            goto out;
        }
    } else if (lrc) {
        rc = lfail("index open: read format", lrc);
        goto out;
    } else if (d.mv_size != 8) {
        rc = corrupt("meta", "format", 6, "bad length");
        goto out;
    } else if (seal_get_u32(d.mv_data) != IDX_FORMAT ||
               seal_get_u32((const uint8_t *)d.mv_data + 4) != IK_L) {
        SEAL_LOGE(LOGC, "index in %s has format %u/%u, this build reads %u/%u", dir,
                  seal_get_u32(d.mv_data), seal_get_u32((const uint8_t *)d.mv_data + 4), IDX_FORMAT,
                  IK_L);
        rc = SEAL_EUNSUPPORTED;
        goto out;
    }
    if ((rc = meta_get_u64(txn, ix->dbm, "last_tx", &ix->last_tx)) ||
        (rc = meta_get_u64(txn, ix->dbm, "next_id", &ix->next_id)))
        goto out;
    if (ix->next_id == 0) {
        rc = corrupt("meta", "next_id", 7, "zero");
        goto out;
    }
    lrc = mdb_txn_commit(txn);
    txn = NULL;
    if (lrc)
        rc = lfail("index open: commit", lrc);
out:
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

static void snap_destroy(idx_snap *s)
{
    if (s->kcur.c)
        mdb_cursor_close(s->kcur.c);
    if (s->vcur.c)
        mdb_cursor_close(s->vcur.c);
    if (s->txn)
        mdb_txn_abort(s->txn);
    seal_free(s);
}

static void pool_drain(idx *ix)
{
    while (ix->pool) {
        idx_snap *s = ix->pool;
        ix->pool = s->next_free;
        snap_destroy(s);
    }
    ix->npool = 0;
}

/* The machine's boot id (36 characters and a NUL), or "" if unknown. */
static void boot_id(char out[BOOT_ID_LEN + 1])
{
    out[0] = '\0';
    FILE *f = fopen(BOOT_ID_FILE, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, BOOT_ID_LEN, f);
    fclose(f);
    out[n == BOOT_ID_LEN ? BOOT_ID_LEN : 0] = '\0';
}

static void marker_path(const idx *ix, char *p, size_t cap)
{
    snprintf(p, cap, "%s/" MARKER, ix->dir);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SEAL_EIO;
    int r = fsync(fd);
    close(fd);
    return r == 0 ? 0 : SEAL_EIO;
}

/* Is the index in |dir| one the machine may have lost pages of? 0 (no
 * marker, or one from this boot) or SEAL_ESTATE. */
static int marker_check(const idx *ix)
{
    char p[PATH_MAX + 16], id[BOOT_ID_LEN + 1], cur[BOOT_ID_LEN + 1];
    marker_path(ix, p, sizeof(p));
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(id, 1, BOOT_ID_LEN, f);
    fclose(f);
    id[n == BOOT_ID_LEN ? BOOT_ID_LEN : 0] = '\0';
    boot_id(cur);
    if (id[0] && cur[0] && strcmp(id, cur) == 0)
        return 0;
    SEAL_LOGW(LOGC,
              "%s: the index was not flushed before the machine restarted (boot id %s, now %s): "
              "it may be damaged",
              ix->dir, id[0] ? id : "unreadable", cur[0] ? cur : "unknown");
    return SEAL_ESTATE;
}

/* Puts the marker on disk (file and directory entry). Under wmu. */
static int marker_set(idx *ix)
{
    char p[PATH_MAX + 16], id[BOOT_ID_LEN + 1];
    marker_path(ix, p, sizeof(p));
    boot_id(id);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        SEAL_LOGE(LOGC, "cannot create %s: %s", p, strerror(errno));
        return errno == ENOSPC ? SEAL_ENOSPACE : SEAL_EIO;
    }
    size_t n = strlen(id);
    int rc = 0;
    if (write(fd, id, n) != (ssize_t)n || fdatasync(fd) != 0) {
        SEAL_LOGE(LOGC, "cannot write %s: %s", p, strerror(errno));
        rc = errno == ENOSPC ? SEAL_ENOSPACE : SEAL_EIO;
    }
    close(fd);
    if (rc == 0 && (rc = fsync_dir(ix->dir)) != 0)
        SEAL_LOGE(LOGC, "cannot sync directory %s", ix->dir);
    if (rc == 0)
        __atomic_store_n(&ix->unsynced, true, __ATOMIC_RELEASE);
    return rc;
}

/* Flushes LMDB and removes the marker. Under wmu (or before anyone else
 * can use |ix|). */
static int flush_and_clear(idx *ix)
{
    int lrc = mdb_env_sync(ix->env, 1);
    if (lrc)
        return lfail("index flush", lrc);
    char p[PATH_MAX + 16];
    marker_path(ix, p, sizeof(p));
    /* If the removal does not reach the disk, the next open after a
     * restart rebuilds an index that was fine: safe. */
    if (unlink(p) != 0 && errno != ENOENT)
        SEAL_LOGW(LOGC, "cannot remove %s: %s", p, strerror(errno));
    __atomic_store_n(&ix->unsynced, false, __ATOMIC_RELEASE);
    return 0;
}

int idx_checkpoint(idx *ix)
{
    if (!ix)
        return SEAL_EINVAL;
    pthread_mutex_lock(&ix->wmu);
    int rc = ix->unsynced ? flush_and_clear(ix) : 0;
    pthread_mutex_unlock(&ix->wmu);
    return rc;
}

bool idx_unsynced(idx *ix)
{
    return ix->marker && __atomic_load_n(&ix->unsynced, __ATOMIC_ACQUIRE);
}

int idx_open(idx **out, const char *dir, const idx_opts *o)
{
    if (!out || !dir || !*dir)
        return SEAL_EINVAL;
    idx_opts def = {0};
    if (!o)
        o = &def;
    int rc = 0, lrc;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        int e = errno;
        SEAL_LOGE(LOGC, "cannot create index directory %s: %s", dir, strerror(e));
        return e == ENOSPC ? SEAL_ENOSPACE : (e == EACCES || e == EPERM) ? SEAL_EPERM : SEAL_EIO;
    }
    idx *ix = seal_calloc(1, sizeof(*ix));
    if (!ix)
        return SEAL_ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ix->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&ix->mu, NULL);
    pthread_mutex_init(&ix->wmu, NULL);
    snprintf(ix->dir, sizeof(ix->dir), "%s", dir);
    ix->marker = o->no_sync && o->unsynced_marker;
    /* Checked whatever the options: an index written without syncs and
     * opened now with them is just as suspect. */
    if ((rc = marker_check(ix)) != 0)
        goto out;
    {
        char mp[PATH_MAX + 16];
        marker_path(ix, mp, sizeof(mp));
        ix->unsynced = access(mp, F_OK) == 0; /* a crash in this boot: still unflushed */
    }

    ix->map_size = o->map_size ? o->map_size : DEFAULT_MAP;
    ix->resize_wait_ms = o->resize_wait_ms ? o->resize_wait_ms : RESIZE_WAIT_MS;
    if ((lrc = mdb_env_create(&ix->env))) {
        ix->env = NULL;
        rc = lfail("index open: env", lrc);
        goto out;
    }
    if ((lrc = mdb_env_set_maxdbs(ix->env, 4)) ||
        (lrc =
             mdb_env_set_maxreaders(ix->env, o->max_readers ? o->max_readers : DEFAULT_READERS)) ||
        (lrc = mdb_env_set_mapsize(ix->env, (size_t)ix->map_size))) {
        rc = lfail("index open: settings", lrc);
        goto out;
    }
    if (mdb_env_get_maxkeysize(ix->env) < IK_LONG) {
        SEAL_LOGE(LOGC, "LMDB max key size %d < %d", mdb_env_get_maxkeysize(ix->env), IK_LONG);
        rc = SEAL_EUNSUPPORTED;
        goto out;
    }
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
    if (o->no_sync)
        flags |= MDB_NOSYNC | MDB_NOMETASYNC;
    if (o->write_map)
        flags |= MDB_WRITEMAP;
    if ((lrc = mdb_env_open(ix->env, dir, flags, 0640))) {
        SEAL_LOGE(LOGC, "cannot open index in %s: %s", dir, mdb_strerror(lrc));
        rc = map_rc(lrc);
        goto out;
    }
    /* Reader slots left by a crashed process would pin old pages. */
    int dead = 0;
    if (mdb_reader_check(ix->env, &dead) == 0 && dead > 0)
        SEAL_LOGI(LOGC, "cleared %d stale reader slot(s) in %s", dead, dir);
    MDB_envinfo info;
    if (mdb_env_info(ix->env, &info) == 0)
        ix->map_size = info.me_mapsize;
    if ((rc = open_dbs(ix, dir)))
        goto out;
    if (ix->unsynced && !ix->marker && (rc = flush_and_clear(ix)) != 0)
        goto out;
    *out = ix;
    return 0;
out:
    idx_close(ix);
    return rc;
}

void idx_close(idx *ix)
{
    if (!ix)
        return;
    if (ix->env && ix->unsynced)
        idx_checkpoint(ix);
    pool_drain(ix);
    if (ix->env)
        mdb_env_close(ix->env);
    pthread_cond_destroy(&ix->cv);
    pthread_mutex_destroy(&ix->mu);
    pthread_mutex_destroy(&ix->wmu);
    seal_free(ix);
}

void idx_test_set_txn_limit(idx *ix, size_t max_entries)
{
    pthread_mutex_lock(&ix->wmu);
    ix->test_txn_limit = max_entries;
    pthread_mutex_unlock(&ix->wmu);
}

uint64_t idx_last_tx(idx *ix)
{
    return __atomic_load_n(&ix->last_tx, __ATOMIC_ACQUIRE);
}

/* -------------------------------------------------------------- apply */
/* One LMDB write txn for puts[0:n]. *lrc gets the LMDB code of a failure. */
static int apply_once(idx *ix, const idx_put *puts, size_t n, uint64_t last_tx, int *lrc)
{
    MDB_txn *txn = NULL;
    MDB_cursor *kc = NULL, *vc = NULL;
    uint64_t next_id = ix->next_id;
    uint8_t ikbuf[IK_LONG], vkey[16], vbuf[VB_MAX], lastk[IK_LONG];
    size_t lastn = 0;
    bool empty = false;
    int rc = 0;
    *lrc = 0;
    if ((*lrc = mdb_txn_begin(ix->env, NULL, 0, &txn))) {
        txn = NULL;
        goto lerr;
    }
    if ((*lrc = mdb_cursor_open(txn, ix->dbk, &kc)) || (*lrc = mdb_cursor_open(txn, ix->dbv, &vc)))
        goto lerr;
    if (ix->test_txn_limit && n > ix->test_txn_limit) {
        *lrc = MDB_TXN_FULL;
        goto lerr;
    }
    /* Keys beyond the last one are new: they go in with MDB_APPEND (no
     * search, full pages), which makes ascending key streams cheap. */
    {
        MDB_val lk, ld;
        *lrc = mdb_cursor_get(kc, &lk, &ld, MDB_LAST);
        if (*lrc == MDB_NOTFOUND) {
            empty = true;
        } else if (*lrc) {
            goto lerr;
        } else {
            if (lk.mv_size > IK_LONG) {
                *lrc = 0;
                rc = corrupt("keys", lk.mv_data, lk.mv_size, "index key too long");
                goto out;
            }
            memcpy(lastk, lk.mv_data, lk.mv_size);
            lastn = lk.mv_size;
        }
        *lrc = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const idx_put *p = &puts[i];
        if (p->md.non_indexable)
            continue;
        MDB_val k, d;
        if ((rc = make_ik(p->key, p->key_len, ikbuf, &k)))
            goto out;
        bool lng = p->key_len > IK_L;
        size_t vbl = vb_len(&p->md);
        size_t dlen = KR_HDR + vbl + (lng ? 4 + p->key_len - IK_L : 0);
        d.mv_size = dlen;
        d.mv_data = NULL;
        uint64_t id, count;
        if (empty || kcmp(k.mv_data, k.mv_size, lastk, lastn) > 0) {
            if ((*lrc = mdb_cursor_put(kc, &k, &d, MDB_APPEND | MDB_RESERVE)))
                goto lerr;
            memcpy(lastk, k.mv_data, k.mv_size);
            lastn = k.mv_size;
            empty = false;
            id = next_id++;
            count = 1;
        } else if ((*lrc = mdb_cursor_put(kc, &k, &d, MDB_NOOVERWRITE | MDB_RESERVE)) == 0) {
            id = next_id++;
            count = 1;
        } else if (*lrc == MDB_KEYEXIST) {
            krec r;
            if ((rc = krec_decode(&k, &d, &r)))
                goto out;
            if (lng && (r.full_len != p->key_len ||
                        memcmp(r.tail, p->key + IK_L, p->key_len - IK_L) != 0)) {
                rc = corrupt("keys", k.mv_data, k.mv_size, "long key does not match its hash");
                goto out;
            }
            id = r.id;
            count = r.count + 1;
            /* The previous latest version moves to "versions". */
            vkey_put(vkey, id, r.count);
            MDB_val vk = {16, vkey}, vd = {vb_from_version(vbuf, &r.latest), vbuf};
            *lrc = mdb_cursor_put(vc, &vk, &vd, MDB_NOOVERWRITE);
            if (*lrc == MDB_KEYEXIST) {
                *lrc = 0;
                rc = corrupt("versions", vkey, 16, "version already present");
                goto out;
            }
            if (*lrc)
                goto lerr;
            d.mv_size = dlen;
            d.mv_data = NULL;
            if ((*lrc = mdb_cursor_put(kc, &k, &d, MDB_CURRENT | MDB_RESERVE)))
                goto lerr;
        } else {
            goto lerr;
        }
        uint8_t *w = d.mv_data;
        w[0] = lng ? KF_LONG : 0;
        seal_put_u64(w + 1, id);
        seal_put_u64(w + 9, count);
        size_t off = KR_HDR + vb_put(w + KR_HDR, p->tx, p->voff, p->vlen, p->hval, &p->md);
        if (lng) {
            seal_put_u32(w + off, (uint32_t)p->key_len);
            memcpy(w + off + 4, p->key + IK_L, p->key_len - IK_L);
        }
    }
    if ((rc = meta_put_u64(txn, ix->dbm, "last_tx", last_tx, lrc)) ||
        (rc = meta_put_u64(txn, ix->dbm, "next_id", next_id, lrc)))
        goto lerr;
    mdb_cursor_close(kc);
    mdb_cursor_close(vc);
    kc = vc = NULL;
    *lrc = mdb_txn_commit(txn);
    txn = NULL;
    if (*lrc)
        goto lerr;
    ix->next_id = next_id;
    __atomic_store_n(&ix->last_tx, last_tx, __ATOMIC_RELEASE);
    return 0;
lerr:
    rc = map_rc(*lrc);
    if (*lrc != MDB_MAP_FULL && *lrc != MDB_TXN_FULL)
        SEAL_LOGE(LOGC, "index apply (txs up to %llu): %s", (unsigned long long)last_tx,
                  mdb_strerror(*lrc));
out:
    if (kc)
        mdb_cursor_close(kc);
    if (vc)
        mdb_cursor_close(vc);
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

/* Doubles the map. Waits (bounded) until no snapshot is open: remapping
 * moves every page that a reader may be looking at. */
static int grow_map(idx *ix)
{
    uint64_t want = ix->map_size * 2;
    if (want < ix->map_size || want > (uint64_t)SIZE_MAX) {
        SEAL_LOGE(LOGC, "index map full at %llu bytes and cannot grow",
                  (unsigned long long)ix->map_size);
        return SEAL_ENOSPACE;
    }
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ix->resize_wait_ms / 1000;
    dl.tv_nsec += (long)(ix->resize_wait_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&ix->mu);
    ix->resizing = true;
    while (ix->nsnaps > 0) {
        if (pthread_cond_timedwait(&ix->cv, &ix->mu, &dl) == ETIMEDOUT && ix->nsnaps > 0) {
            SEAL_LOGW(LOGC, "index map full (%llu bytes); %u snapshot(s) stayed open, cannot grow",
                      (unsigned long long)ix->map_size, ix->nsnaps);
            rc = SEAL_EBUSY;
            goto out;
        }
    }
    pool_drain(ix);
    int lrc = mdb_env_set_mapsize(ix->env, (size_t)want);
    if (lrc) {
        SEAL_LOGE(LOGC, "index map full; cannot grow it to %llu bytes: %s",
                  (unsigned long long)want, mdb_strerror(lrc));
        rc = SEAL_ENOSPACE;
        goto out;
    }
    MDB_envinfo info;
    ix->map_size = mdb_env_info(ix->env, &info) == 0 ? info.me_mapsize : want;
    SEAL_LOGI(LOGC, "index map grown to %llu bytes", (unsigned long long)ix->map_size);
out:
    ix->resizing = false;
    pthread_cond_broadcast(&ix->cv);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

static int apply_range(idx *ix, const idx_put *puts, size_t n, uint64_t last_tx)
{
    for (;;) {
        int lrc;
        int rc = apply_once(ix, puts, n, last_tx, &lrc);
        if (rc == 0)
            return 0;
        if (lrc == MDB_MAP_FULL) {
            if ((rc = grow_map(ix)))
                return rc;
            continue;
        }
        if (lrc != MDB_TXN_FULL)
            return rc;
        /* Too many dirty pages for one LMDB txn: split at a tx boundary. */
        size_t m = n / 2;
        while (m < n && m > 0 && puts[m].tx == puts[m - 1].tx)
            m++;
        if (m == n) {
            m = n / 2;
            while (m > 0 && puts[m].tx == puts[m - 1].tx)
                m--;
        }
        if (m == 0) {
            SEAL_LOGE(LOGC, "tx %llu has too many entries for one index transaction",
                      (unsigned long long)puts[0].tx);
            return SEAL_ELIMIT;
        }
        if ((rc = apply_range(ix, puts, m, puts[m - 1].tx)))
            return rc;
        puts += m;
        n -= m;
    }
}

int idx_apply(idx *ix, const idx_put *puts, size_t n, uint64_t last_tx)
{
    if (!ix || (n && !puts))
        return SEAL_EINVAL;
    pthread_mutex_lock(&ix->wmu);
    int rc = SEAL_EINVAL;
    uint64_t cur = ix->last_tx, prev = cur + 1;
    if (last_tx <= cur) {
        SEAL_LOGE(LOGC, "apply up to tx %llu refused: already at tx %llu",
                  (unsigned long long)last_tx, (unsigned long long)cur);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const idx_put *p = &puts[i];
        if (p->tx < prev || p->tx > last_tx) {
            SEAL_LOGE(LOGC,
                      "apply refused: entry %zu has tx %llu (last applied %llu, batch up to "
                      "%llu, in order)",
                      i, (unsigned long long)p->tx, (unsigned long long)cur,
                      (unsigned long long)last_tx);
            goto out;
        }
        if (!p->key || p->key_len == 0 || p->key_len > IDX_MAX_KEY)
            goto out;
        prev = p->tx;
    }
    if (ix->marker && !ix->unsynced && (rc = marker_set(ix)) != 0)
        goto out;
    rc = apply_range(ix, puts, n, last_tx);
out:
    pthread_mutex_unlock(&ix->wmu);
    return rc;
}

/* ---------------------------------------------------------- snapshots */
int idx_snap_begin(idx *ix, idx_snap **out)
{
    if (!ix || !out)
        return SEAL_EINVAL;
    pthread_mutex_lock(&ix->mu);
    while (ix->resizing)
        pthread_cond_wait(&ix->cv, &ix->mu);
    ix->nsnaps++;
    idx_snap *s = ix->pool;
    if (s) {
        ix->pool = s->next_free;
        ix->npool--;
    }
    pthread_mutex_unlock(&ix->mu);
    int rc = 0, lrc;
    if (s && mdb_txn_renew(s->txn) != 0) {
        snap_destroy(s);
        s = NULL;
    }
    if (!s) {
        s = seal_calloc(1, sizeof(*s));
        if (!s) {
            rc = SEAL_ENOMEM;
            goto fail;
        }
        s->ix = ix;
        if ((lrc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &s->txn))) {
            s->txn = NULL;
            rc = lrc == MDB_READERS_FULL ? SEAL_EBUSY : lfail("index snapshot", lrc);
            goto fail;
        }
    }
    s->kcur.fresh = s->vcur.fresh = false;
    s->kcur.busy = s->vcur.busy = false;
    s->next_free = NULL;
    if ((rc = meta_get_u64(s->txn, ix->dbm, "last_tx", &s->last_tx)))
        goto fail;
    *out = s;
    return 0;
fail:
    if (s)
        snap_destroy(s);
    pthread_mutex_lock(&ix->mu);
    ix->nsnaps--;
    pthread_cond_broadcast(&ix->cv);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

void idx_snap_end(idx_snap *s)
{
    if (!s)
        return;
    idx *ix = s->ix;
    mdb_txn_reset(s->txn);
    pthread_mutex_lock(&ix->mu);
    ix->nsnaps--;
    if (ix->resizing) {
        pthread_cond_broadcast(&ix->cv);
    } else if (ix->npool < POOL_MAX) {
        s->next_free = ix->pool;
        ix->pool = s;
        ix->npool++;
        s = NULL;
    }
    pthread_mutex_unlock(&ix->mu);
    if (s)
        snap_destroy(s);
}

uint64_t idx_snap_tx(const idx_snap *s)
{
    return s->last_tx;
}

/* Borrows the snapshot's cached cursor, or opens a private one when the
 * cached one is in use (a callback calling back into the snapshot). */
static int cur_get(idx_snap *s, curslot *slot, MDB_dbi dbi, MDB_cursor **out)
{
    int lrc;
    if (!slot->busy) {
        if (slot->c && !slot->fresh && mdb_cursor_renew(s->txn, slot->c) != 0) {
            mdb_cursor_close(slot->c);
            slot->c = NULL;
        }
        if (!slot->c && (lrc = mdb_cursor_open(s->txn, dbi, &slot->c))) {
            slot->c = NULL;
            return lfail("index cursor", lrc);
        }
        slot->fresh = slot->busy = true;
        *out = slot->c;
        return 0;
    }
    if ((lrc = mdb_cursor_open(s->txn, dbi, out)))
        return lfail("index cursor", lrc);
    return 0;
}

static void cur_put(curslot *slot, MDB_cursor *c)
{
    if (c == slot->c)
        slot->busy = false;
    else if (c)
        mdb_cursor_close(c);
}

/* Finds the key record of |key|. */
static int lookup(idx_snap *s, const uint8_t *key, size_t n, krec *r)
{
    if (!s || !key || n == 0 || n > IDX_MAX_KEY)
        return SEAL_EINVAL;
    uint8_t buf[IK_LONG];
    MDB_val k, d;
    int rc = make_ik(key, n, buf, &k);
    if (rc)
        return rc;
    int lrc = mdb_get(s->txn, s->ix->dbk, &k, &d);
    if (lrc == MDB_NOTFOUND)
        return SEAL_ENOTFOUND;
    if (lrc)
        return lfail("index get", lrc);
    if ((rc = krec_decode(&k, &d, r)))
        return rc;
    if (r->is_long && (r->full_len != n || memcmp(r->tail, key + IK_L, n - IK_L) != 0))
        return corrupt("keys", k.mv_data, k.mv_size, "long key does not match its hash");
    return 0;
}

static int ver_decode_exact(const MDB_val *k, const MDB_val *d, uint64_t rev, idx_version *out)
{
    idx_version v;
    if (vb_get(d->mv_data, d->mv_size, &v) != d->mv_size)
        return corrupt("versions", k->mv_data, k->mv_size, "bad version record");
    v.rev = rev;
    *out = v;
    return 0;
}

/* Version |rev| (1..count) of the key of |r|. */
static int ver_get(idx_snap *s, const krec *r, uint64_t rev, idx_version *out)
{
    if (rev == r->count) {
        *out = r->latest;
        return 0;
    }
    uint8_t vk[16];
    vkey_put(vk, r->id, rev);
    MDB_val k = {16, vk}, d;
    int lrc = mdb_get(s->txn, s->ix->dbv, &k, &d);
    if (lrc == MDB_NOTFOUND)
        return corrupt("versions", vk, 16, "missing version");
    if (lrc)
        return lfail("index get version", lrc);
    return ver_decode_exact(&k, &d, rev, out);
}

/* Latest version with tx <= max_tx; SEAL_ENOTFOUND if none. */
static int ver_at_tx(idx_snap *s, const krec *r, uint64_t max_tx, idx_version *out)
{
    if (r->latest.tx <= max_tx) {
        *out = r->latest;
        return 0;
    }
    uint64_t lo = 1, hi = r->count - 1;
    bool found = false;
    idx_version best, v;
    while (lo <= hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int rc = ver_get(s, r, mid, &v);
        if (rc)
            return rc;
        if (v.tx <= max_tx) {
            best = v;
            found = true;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (!found)
        return SEAL_ENOTFOUND;
    *out = best;
    return 0;
}

static uint64_t eff_tx(const idx_snap *s, uint64_t max_tx)
{
    return (max_tx == 0 || max_tx > s->last_tx) ? s->last_tx : max_tx;
}

int idx_get(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t at_tx, idx_version *out)
{
    if (!out)
        return SEAL_EINVAL;
    krec r;
    int rc = lookup(s, key, key_len, &r);
    if (rc)
        return rc;
    return ver_at_tx(s, &r, eff_tx(s, at_tx), out);
}

int idx_get_rev(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t rev, idx_version *out)
{
    if (!out || rev == 0)
        return SEAL_EINVAL;
    krec r;
    int rc = lookup(s, key, key_len, &r);
    if (rc)
        return rc;
    if (rev > r.count)
        return SEAL_ENOTFOUND;
    return ver_get(s, &r, rev, out);
}

int idx_versions(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t *out)
{
    if (!out)
        return SEAL_EINVAL;
    krec r;
    int rc = lookup(s, key, key_len, &r);
    if (rc == SEAL_ENOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc)
        return rc;
    *out = r.count;
    return 0;
}

int idx_history(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t offset, uint64_t limit,
                bool desc, idx_version_cb cb, void *arg)
{
    if (!cb)
        return SEAL_EINVAL;
    krec r;
    int rc = lookup(s, key, key_len, &r);
    if (rc)
        return rc;
    if (offset >= r.count)
        return 0;
    uint64_t avail = r.count - offset;
    uint64_t todo = (limit == 0 || limit > avail) ? avail : limit;
    uint64_t rev = desc ? r.count - offset : offset + 1;
    MDB_cursor *c = NULL;
    bool positioned = false;
    for (uint64_t i = 0; i < todo; i++, rev = desc ? rev - 1 : rev + 1) {
        idx_version v;
        if (rev == r.count) {
            v = r.latest;
            positioned = false;
        } else {
            uint8_t vk[16];
            vkey_put(vk, r.id, rev);
            MDB_val k = {16, vk}, d;
            if (!c && (rc = cur_get(s, &s->vcur, s->ix->dbv, &c)))
                goto out;
            int lrc = mdb_cursor_get(c, &k, &d,
                                     !positioned ? MDB_SET_KEY
                                     : desc      ? MDB_PREV
                                                 : MDB_NEXT);
            if (lrc && lrc != MDB_NOTFOUND) {
                rc = lfail("index history", lrc);
                goto out;
            }
            if (lrc == MDB_NOTFOUND || k.mv_size != 16 || memcmp(k.mv_data, vk, 16) != 0) {
                rc = corrupt("versions", vk, 16, "missing version");
                goto out;
            }
            if ((rc = ver_decode_exact(&k, &d, rev, &v)))
                goto out;
            positioned = true;
        }
        if ((rc = cb(arg, &v)) != 0)
            goto out;
    }
out:
    cur_put(&s->vcur, c);
    return rc;
}

/* --------------------------------------------------------------- scans */
typedef struct gent {
    MDB_val k, d;
    krec r;
} gent;

/* Iterates key records in exact full-key order from the cursor position,
 * sorting groups of long keys that share their first 400 bytes. */
typedef struct scanit {
    MDB_cursor *c;
    bool desc, valid;
    MDB_val k, d; /* the cursor's current record when valid */
    gent *g;
    size_t gn, gi, gcap;
    uint8_t *kbuf; /* assembled long key */
    size_t kcap;
} scanit;

static int it_step(scanit *it, MDB_cursor_op op)
{
    int lrc = mdb_cursor_get(it->c, &it->k, &it->d, op);
    it->valid = lrc == 0;
    if (lrc && lrc != MDB_NOTFOUND)
        return lfail("index scan", lrc);
    return 0;
}

/* First record >= b (all when n == 0). */
static int it_seek_ge(scanit *it, const uint8_t *b, size_t n)
{
    if (n == 0)
        return it_step(it, MDB_FIRST);
    it->k.mv_data = unconst(b);
    it->k.mv_size = n;
    return it_step(it, MDB_SET_RANGE);
}

/* Last record <= b (all when n == 0). */
static int it_seek_le(scanit *it, const uint8_t *b, size_t n)
{
    if (n == 0)
        return it_step(it, MDB_LAST);
    it->k.mv_data = unconst(b);
    it->k.mv_size = n;
    int rc = it_step(it, MDB_SET_RANGE);
    if (rc)
        return rc;
    if (!it->valid)
        return it_step(it, MDB_LAST);
    if (kcmp(it->k.mv_data, it->k.mv_size, b, n) > 0)
        return it_step(it, MDB_PREV);
    return 0;
}

static int gent_cmp_asc(const void *a, const void *b)
{
    const krec *x = &((const gent *)a)->r, *y = &((const gent *)b)->r;
    return kcmp(x->tail, x->tail_len, y->tail, y->tail_len);
}

static int gent_cmp_desc(const void *a, const void *b)
{
    return -gent_cmp_asc(a, b);
}

/* Next key in order: 1 with *key, *klen, *r set; 0 at the end; < 0 error. */
static int it_next(scanit *it, const uint8_t **key, size_t *klen, krec *r)
{
    int rc;
    if (it->gi >= it->gn) {
        it->gi = it->gn = 0;
        if (!it->valid)
            return 0;
        if ((rc = krec_decode(&it->k, &it->d, r)))
            return rc;
        if (!r->is_long) {
            *key = it->k.mv_data;
            *klen = it->k.mv_size;
            if ((rc = it_step(it, it->desc ? MDB_PREV : MDB_NEXT)))
                return rc;
            return 1;
        }
        /* A group: every long key whose first 400 bytes are these. */
        const uint8_t *p = it->k.mv_data;
        for (;;) {
            if (it->gn == it->gcap) {
                size_t nc = it->gcap ? 2 * it->gcap : 16;
                gent *ng = seal_realloc(it->g, nc * sizeof(*ng));
                if (!ng)
                    return SEAL_ENOMEM;
                it->g = ng;
                it->gcap = nc;
            }
            gent *e = &it->g[it->gn++];
            e->k = it->k;
            e->d = it->d;
            e->r = *r;
            if ((rc = it_step(it, it->desc ? MDB_PREV : MDB_NEXT)))
                return rc;
            if (!it->valid || it->k.mv_size != IK_LONG || memcmp(it->k.mv_data, p, IK_L) != 0)
                break;
            if ((rc = krec_decode(&it->k, &it->d, r)))
                return rc;
        }
        if (it->gn > 1)
            qsort(it->g, it->gn, sizeof(*it->g), it->desc ? gent_cmp_desc : gent_cmp_asc);
    }
    gent *e = &it->g[it->gi++];
    if (e->r.full_len > it->kcap) {
        uint8_t *nb = seal_realloc(it->kbuf, e->r.full_len);
        if (!nb)
            return SEAL_ENOMEM;
        it->kbuf = nb;
        it->kcap = e->r.full_len;
    }
    memcpy(it->kbuf, e->k.mv_data, IK_L);
    memcpy(it->kbuf + IK_L, e->r.tail, e->r.tail_len);
    *key = it->kbuf;
    *klen = e->r.full_len;
    *r = e->r;
    return 1;
}

/* Lower bound (in index key space) of keys >= x: x[0:min(n,400)]. */
static size_t ik_lower(const uint8_t *x, size_t n, uint8_t *out)
{
    size_t m = n < IK_L ? n : IK_L;
    memcpy(out, x, m);
    return m;
}

/* Upper bound (index key space) of keys <= x, or with prefix x when |pfx|:
 * x itself when short and not a prefix bound; otherwise x[0:m] padded with
 * 0xff to 432 bytes, which no index key under x[0:m] exceeds. */
static size_t ik_upper(const uint8_t *x, size_t n, bool pfx, uint8_t *out)
{
    if (!pfx && n <= IK_L) {
        memcpy(out, x, n);
        return n;
    }
    size_t m = n < IK_L ? n : IK_L;
    memcpy(out, x, m);
    memset(out + m, 0xff, IK_LONG - m);
    return IK_LONG;
}

int idx_scan(idx_snap *s, const idx_scan_opts *o, idx_scan_cb cb, void *arg)
{
    if (!s || !o || !cb || (o->prefix_len && !o->prefix) || (o->seek_len && !o->seek_key) ||
        (o->end_len && !o->end_key))
        return SEAL_EINVAL;
    const uint8_t *Q = o->prefix, *S = o->seek_key, *E = o->end_key;
    size_t qn = o->prefix_len, sn = o->seek_len, en = o->end_len;
    bool desc = o->desc;
    uint64_t max_tx = eff_tx(s, o->max_tx), n = 0;
    scanit it = {0};
    it.desc = desc;
    int rc = cur_get(s, &s->kcur, s->ix->dbk, &it.c);
    if (rc)
        return rc;
    uint8_t b1[IK_LONG], b2[IK_LONG];
    size_t l1 = 0, l2 = 0;
    if (!desc) {
        if (sn)
            l1 = ik_lower(S, sn, b1);
        if (qn)
            l2 = ik_lower(Q, qn, b2);
        if (kcmp(b1, l1, b2, l2) >= 0)
            rc = it_seek_ge(&it, b1, l1);
        else
            rc = it_seek_ge(&it, b2, l2);
    } else {
        if (sn)
            l1 = ik_upper(S, sn, false, b1);
        if (qn)
            l2 = ik_upper(Q, qn, true, b2);
        if (l1 && (!l2 || kcmp(b1, l1, b2, l2) <= 0))
            rc = it_seek_le(&it, b1, l1);
        else
            rc = it_seek_le(&it, b2, l2);
    }
    if (rc)
        goto out;
    const uint8_t *key = NULL;
    size_t kn = 0;
    krec r;
    while ((rc = it_next(&it, &key, &kn, &r)) == 1) {
        int c;
        if (qn && !has_prefix(key, kn, Q, qn)) {
            c = kcmp(key, kn, Q, qn);
            if (desc ? c > 0 : c < 0)
                continue;
            break;
        }
        if (sn) {
            c = kcmp(key, kn, S, sn);
            if ((desc ? c > 0 : c < 0) || (c == 0 && !o->seek_inclusive))
                continue;
        }
        if (en) {
            c = kcmp(key, kn, E, en);
            if ((desc ? c < 0 : c > 0) || (c == 0 && !o->end_inclusive))
                break;
        }
        idx_version v;
        rc = ver_at_tx(s, &r, max_tx, &v);
        if (rc == SEAL_ENOTFOUND)
            continue;
        if (rc)
            goto out;
        rc = cb(arg, key, kn, &v);
        if (rc < 0)
            goto out;
        if (rc == 0 && ++n == o->limit)
            break;
    }
    if (rc > 0)
        rc = 0;
out:
    cur_put(&s->kcur, it.c);
    seal_free(it.g);
    seal_free(it.kbuf);
    return rc;
}

static bool is_live(const idx_version *v, uint64_t now)
{
    return !v->md.deleted && !(v->md.has_expires && v->md.expires_at <= now);
}

int idx_count(idx_snap *s, const uint8_t *prefix, size_t prefix_len, uint64_t max_tx,
              unsigned flags, uint64_t now, uint64_t *out)
{
    if (!s || !out || (prefix_len && !prefix) || (flags & ~IDX_COUNT_LIVE))
        return SEAL_EINVAL;
    uint64_t mt = eff_tx(s, max_tx), n = 0;
    size_t m = prefix_len < IK_L ? prefix_len : IK_L;
    scanit it = {0};
    int rc = cur_get(s, &s->kcur, s->ix->dbk, &it.c);
    if (rc)
        return rc;
    if ((rc = it_seek_ge(&it, prefix, m)))
        goto out;
    for (; it.valid; rc = it_step(&it, MDB_NEXT)) {
        if (rc)
            goto out;
        if (!has_prefix(it.k.mv_data, it.k.mv_size, prefix, m))
            break;
        if (prefix_len > IK_L && it.k.mv_size != IK_LONG)
            continue; /* the short key equal to prefix[0:400] */
        krec r;
        if ((rc = krec_decode(&it.k, &it.d, &r)))
            goto out;
        if (prefix_len > IK_L && !has_prefix(r.tail, r.tail_len, prefix + IK_L, prefix_len - IK_L))
            continue;
        idx_version v;
        if (flags & IDX_COUNT_LIVE) {
            rc = ver_at_tx(s, &r, mt, &v);
            if (rc == 0 && is_live(&v, now))
                n++;
        } else if (r.latest.tx <= mt) {
            n++;
        } else {
            rc = r.count > 1 ? ver_get(s, &r, 1, &v) : SEAL_ENOTFOUND;
            if (rc == 0 && v.tx <= mt)
                n++;
        }
        if (rc == SEAL_ENOTFOUND)
            rc = 0;
        if (rc)
            goto out;
    }
    if (rc)
        goto out;
    *out = n;
out:
    cur_put(&s->kcur, it.c);
    return rc;
}
