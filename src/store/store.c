/* store.c - opening and closing a store, its metadata file, and the helpers
 * every other part uses to read txs and values back from the logs.
 *
 * Directory layout of a store (docs/format.md has the byte layouts):
 *   seal.meta         store metadata (fixed 64 bytes, see below); also the lock file
 *   tx/NNNNNNNN.tx    tx log segments
 *   val/NNNNNNNN.val  value log segments
 *   cix/NNNNNNNN.cix  commit index segments (64-byte records)
 *   aht/NNNNNNNN.sha  ahtree node segments (32-byte digests, immudb's order)
 *   index/            key index (LMDB), rebuildable from the logs
 *
 * seal.meta (big-endian):
 *   0   8   magic "SEALSTOR"
 *   8   4   format version (1)
 *   12  4   tx header version (0 or 1)
 *   16  8   segment size
 *   24  36  zero
 *   60  4   CRC-32C of bytes [0, 60) */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------- error detail */
static _Thread_local char g_err[1024];

const char *seal_last_error(void)
{
    return g_err;
}

void st_err_clear(void)
{
    g_err[0] = '\0';
}

int st_err(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof(g_err), fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------ options */
void seal_options_default(seal_options *o)
{
    memset(o, 0, sizeof(*o));
    o->tx_header_version = 1;
    o->max_tx_entries = 1024;
    o->max_key_len = 1024;
    o->max_value_len = 32u << 20;
    o->segment_size = UINT64_C(512) << 20;
    o->durability = SEAL_DURABILITY_SYNC;
    o->create_if_missing = 1;
    o->index_batch_txs = 1024;
}

static int check_options(const seal_options *o)
{
    if (o->tx_header_version != 0 && o->tx_header_version != 1)
        return st_err(SEAL_EINVAL, "tx_header_version must be 0 or 1 (got %d)",
                      o->tx_header_version);
    if (o->max_tx_entries == 0 || o->max_key_len == 0)
        return st_err(SEAL_EINVAL, "max_tx_entries and max_key_len must be positive");
    if (o->max_key_len > 65535)
        return st_err(SEAL_EINVAL, "max_key_len is at most 65535");
    if (o->max_value_len > INT32_MAX)
        return st_err(SEAL_EINVAL, "max_value_len is at most 2^31-1");
    if (o->segment_size < STORE_MIN_SEGMENT || o->segment_size > LOG_OFF_MASK)
        return st_err(SEAL_EINVAL, "segment_size must be between %d bytes and 1 TiB",
                      STORE_MIN_SEGMENT);
    if (o->durability != SEAL_DURABILITY_SYNC && o->durability != SEAL_DURABILITY_NONE)
        return st_err(SEAL_EINVAL, "unknown durability mode %d", (int)o->durability);
    return 0;
}

int64_t st_now(seal_store *s)
{
    if (s->o.clock)
        return s->o.clock(s->o.clock_arg);
    return (int64_t)time(NULL);
}

bool st_expired(seal_store *s, const mt_kvmd *m)
{
    return m->has_expires && (int64_t)m->expires_at <= st_now(s);
}

uint64_t st_committed(seal_store *s)
{
    return atomic_load(&s->committed);
}

/* ----------------------------------------------------------- metadata */
static int path_join(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? SEAL_ELIMIT : 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SEAL_EIO;
    int rc = fsync(fd) == 0 ? 0 : SEAL_EIO;
    close(fd);
    return rc;
}

static void meta_encode(uint8_t out[STORE_META_SIZE], int version, uint64_t seg)
{
    memset(out, 0, STORE_META_SIZE);
    memcpy(out, STORE_META_MAGIC, 8);
    seal_put_u32(out + 8, STORE_FORMAT_VERSION);
    seal_put_u32(out + 12, (uint32_t)version);
    seal_put_u64(out + 16, seg);
    seal_put_u32(out + 60, log_crc32c(0, out, 60));
}

static int meta_write(const char *dir, int version, uint64_t seg)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    uint8_t buf[STORE_META_SIZE];
    int rc = 0;
    if (path_join(path, sizeof(path), dir, STORE_META_FILE) ||
        path_join(tmp, sizeof(tmp), dir, STORE_META_FILE ".tmp"))
        return st_err(SEAL_ELIMIT, "store path too long");
    meta_encode(buf, version, seg);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return st_err(SEAL_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || fsync(fd) != 0)
        rc = st_err(SEAL_EIO, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = st_err(SEAL_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc == 0)
        rc = sync_dir(dir);
    return rc;
}

int st_meta_read(int fd, const char *path, int *version, uint64_t *seg)
{
    uint8_t buf[STORE_META_SIZE];
    ssize_t r = pread(fd, buf, sizeof(buf), 0);
    if (r != (ssize_t)sizeof(buf))
        return st_err(SEAL_ECORRUPT, "%s: short metadata file (%zd bytes)", path, r);
    if (memcmp(buf, STORE_META_MAGIC, 8) != 0 || seal_get_u32(buf + 60) != log_crc32c(0, buf, 60))
        return st_err(SEAL_ECORRUPT, "%s: metadata file fails its checksum", path);
    if (seal_get_u32(buf + 8) != STORE_FORMAT_VERSION)
        return st_err(SEAL_EUNSUPPORTED, "%s: unknown store format version %u", path,
                      seal_get_u32(buf + 8));
    uint32_t v = seal_get_u32(buf + 12);
    uint64_t sz = seal_get_u64(buf + 16);
    if (v > 1 || sz < STORE_MIN_SEGMENT || sz > LOG_OFF_MASK)
        return st_err(SEAL_ECORRUPT, "%s: bad header version or segment size", path);
    *version = (int)v;
    *seg = sz;
    return 0;
}

static bool dir_has_data(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    if (path_join(p, sizeof(p), dir, "tx") == 0 && stat(p, &st) == 0)
        return true;
    return false;
}

/* Creates the store if needed, takes the lock, reads the metadata. */
/* ------------------------------------------------------- seal.synced
 * 24 bytes: magic "SSYN", u32 format (1), u64 K, u32 zero, u32 CRC-32C of
 * bytes 0..19. K: the commit index records and hash tree nodes of txs 1..K
 * were fdatasynced. Written after each sync of those files (commit.c), at
 * the end of recovery and at close; never fsynced except at close, because
 * whatever version of it a power loss leaves was true when it was written
 * (K only grows while a store is open: txs that were published are never
 * rolled back). Recovery trusts those files up to K and checks the rest
 * (a power loss can leave holes in what was not synced: recovery.c). */
#define SYNCED_FILE  "seal.synced"
#define SYNCED_MAGIC 0x5353594eu /* "SSYN" */
#define SYNCED_LEN   24

int st_synced_open(seal_store *s)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/" SYNCED_FILE, s->dir);
    pthread_mutex_init(&s->synced_mu, NULL);
    bool created = access(p, F_OK) != 0;
    s->synced_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->synced_fd < 0)
        return st_err(errno == ENOSPC ? SEAL_ENOSPACE : SEAL_EIO, "cannot open %s: %s", p,
                      strerror(errno));
    if (created)
        return sync_dir(s->dir);
    uint8_t b[SYNCED_LEN];
    if (pread(s->synced_fd, b, sizeof(b), 0) == (ssize_t)sizeof(b) &&
        seal_get_u32(b) == SYNCED_MAGIC && seal_get_u32(b + 4) == 1 &&
        seal_get_u32(b + 20) == log_crc32c(0, b, 20))
        s->synced_k0 = seal_get_u64(b + 8);
    else
        SEAL_LOGW("store", "%s is missing or damaged: the whole commit index will be checked", p);
    s->synced_k = s->synced_k0;
    return 0;
}

int st_synced_note(seal_store *s, uint64_t k)
{
    int rc = 0;
    pthread_mutex_lock(&s->synced_mu);
    if (s->synced_fd >= 0 && k > s->synced_k) {
        uint8_t b[SYNCED_LEN] = {0};
        seal_put_u32(b, SYNCED_MAGIC);
        seal_put_u32(b + 4, 1);
        seal_put_u64(b + 8, k);
        seal_put_u32(b + 20, log_crc32c(0, b, 20));
        if (pwrite(s->synced_fd, b, sizeof(b), 0) == (ssize_t)sizeof(b))
            s->synced_k = k;
        else
            rc = SEAL_EIO; /* harmless: recovery checks more of the commit index */
    }
    pthread_mutex_unlock(&s->synced_mu);
    return rc;
}

int st_synced_flush(seal_store *s)
{
    return s->synced_fd >= 0 && fdatasync(s->synced_fd) != 0 ? SEAL_EIO : 0;
}

static int open_meta(seal_store *s)
{
    char path[PATH_MAX];
    struct stat st;
    int rc;
    if (stat(s->dir, &st) != 0) {
        if (!s->o.create_if_missing)
            return st_err(SEAL_ENOTFOUND, "%s: no such store", s->dir);
        if (mkdir(s->dir, 0755) != 0 && errno != EEXIST)
            return st_err(SEAL_EIO, "cannot create %s: %s", s->dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return st_err(SEAL_EINVAL, "%s is not a directory", s->dir);
    }
    if (path_join(path, sizeof(path), s->dir, STORE_META_FILE))
        return st_err(SEAL_ELIMIT, "store path too long");
    if (stat(path, &st) != 0) {
        if (dir_has_data(s->dir))
            return st_err(SEAL_ECORRUPT, "%s is missing but the store has data", path);
        if (!s->o.create_if_missing)
            return st_err(SEAL_ENOTFOUND, "%s: no such store", s->dir);
        if ((rc = meta_write(s->dir, s->o.tx_header_version, s->o.segment_size)) != 0)
            return rc;
        SEAL_LOGI("store", "created store %s (tx header version %d, segments of %llu bytes)",
                  s->dir, s->o.tx_header_version, (unsigned long long)s->o.segment_size);
    }
    s->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->lock_fd < 0)
        return st_err(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return st_err(SEAL_EBUSY, "%s is in use by another process or handle", s->dir);
    if ((rc = st_meta_read(s->lock_fd, path, &s->version, &s->seg_size)) != 0)
        return rc;
    if (s->version != s->o.tx_header_version)
        SEAL_LOGW("store", "%s: store uses tx header version %d; requested %d is ignored", s->dir,
                  s->version, s->o.tx_header_version);
    if (s->seg_size != s->o.segment_size)
        SEAL_LOGI("store", "%s: store uses segments of %llu bytes (fixed at creation)", s->dir,
                  (unsigned long long)s->seg_size);
    if (s->version == 0 && s->o.max_tx_entries > 65535)
        s->o.max_tx_entries = 65535;
    return 0;
}

static int open_files(seal_store *s)
{
    char p[PATH_MAX];
    int rc;
    uint64_t fixed = s->seg_size / CIX_REC_SIZE * CIX_REC_SIZE;
    if ((rc = path_join(p, sizeof(p), s->dir, "tx")) ||
        (rc = segf_open(&s->txf, p, "tx", s->seg_size, true)))
        goto fail;
    if ((rc = path_join(p, sizeof(p), s->dir, "val")) ||
        (rc = segf_open(&s->valf, p, "val", s->seg_size, true)))
        goto fail;
    if ((rc = path_join(p, sizeof(p), s->dir, "cix")) ||
        (rc = segf_open(&s->cixf, p, "cix", fixed, true)))
        goto fail;
    if ((rc = path_join(p, sizeof(p), s->dir, "aht")) ||
        (rc = segf_open(&s->ahtf, p, "sha", fixed, true)))
        goto fail;
    if ((rc = aht_nodestore(s->ahtf, &s->ns)) != 0)
        goto fail;
    return sync_dir(s->dir);
fail:
    return st_err(rc, "cannot open the log files of %s (%s)", s->dir, seal_strerror(rc));
}

static void store_free(seal_store *s)
{
    if (!s)
        return;
    st_syncers_stop(s);
    mt_ahtree_free(s->aht);
    segf_close(s->txf);
    segf_close(s->valf);
    segf_close(s->cixf);
    segf_close(s->ahtf);
    aht_nodestore_free(&s->ns);
    if (s->ix)
        idx_close(s->ix);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->synced_fd >= 0) {
        close(s->synced_fd);
        pthread_mutex_destroy(&s->synced_mu);
    }
    st_pmap_free(&s->map);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->drv_cv);
    pthread_mutex_destroy(&s->state_mu);
    pthread_mutex_destroy(&s->ix_mu);
    pthread_mutex_destroy(&s->ixq_mu);
    pthread_cond_destroy(&s->ix_work);
    pthread_cond_destroy(&s->ix_progress);
    seal_free(s->recbuf);
    seal_free(s->ix_dir);
    seal_free(s->dir);
    seal_free(s);
}

int seal_open(const char *dir, const seal_options *o, seal_store **out)
{
    int rc;
    seal_store *s = NULL;
    st_err_clear();
    if (!dir || !*dir || !out)
        return st_err(SEAL_EINVAL, "seal_open: no directory");
    s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    s->lock_fd = -1;
    s->synced_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->drv_cv, NULL);
    pthread_mutex_init(&s->state_mu, NULL);
    pthread_mutex_init(&s->ix_mu, NULL);
    pthread_mutex_init(&s->ixq_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->ix_work, &ca);
    pthread_cond_init(&s->ix_progress, &ca);
    pthread_condattr_destroy(&ca);
    if (o)
        s->o = *o;
    else
        seal_options_default(&s->o);
    if (s->o.index_batch_txs == 0)
        s->o.index_batch_txs = 1024;
    if ((rc = check_options(&s->o)) != 0)
        goto fail;
    s->dir = seal_strdup(dir);
    if (!s->dir) {
        rc = SEAL_ENOMEM;
        goto fail;
    }
    if ((rc = open_meta(s)) != 0)
        goto fail;
    if ((rc = open_files(s)) != 0)
        goto fail;
    if ((rc = st_synced_open(s)) != 0)
        goto fail;
    if ((rc = st_recover(s)) != 0)
        goto fail;
    st_writer_reset(s);
    if (s->o.durability == SEAL_DURABILITY_SYNC && (rc = st_syncers_start(s)) != 0)
        goto fail;
    if ((rc = st_index_open(s, false)) != 0)
        goto fail;
    if ((rc = st_indexer_start(s)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    if (!seal_last_error()[0])
        st_err(rc, "seal_open %s: %s", dir, seal_strerror(rc));
    store_free(s);
    return rc;
}

int seal_close(seal_store *s)
{
    if (!s)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    while (s->leader || s->q_head || s->rq_head)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    st_drivers_stop(s); /* they ran the callbacks of what they finished */
    uint64_t c = st_committed(s);
    if (s->ix_started && c - atomic_load(&s->indexed) <= 100000)
        (void)st_index_wait(s, c, 10000);
    st_indexer_stop(s);
    if (s->o.durability == SEAL_DURABILITY_NONE) {
        /* make what was acknowledged durable on a clean close */
        int r1 = segf_sync(s->valf), r2 = segf_sync(s->txf), r3 = segf_sync(s->ahtf),
            r4 = segf_sync(s->cixf);
        rc = r1 ? r1 : r2 ? r2 : r3 ? r3 : r4;
    } else if (!s->poisoned) {
        /* the derived files are synced by some commits only (commit.c): all here */
        int r1 = segf_sync(s->ahtf), r2 = segf_sync(s->cixf);
        rc = r1 ? r1 : r2;
    }
    if (rc == 0 && !s->poisoned && st_synced_note(s, st_committed(s)) == 0)
        (void)st_synced_flush(s); /* only saves the next open some checking */
    store_free(s);
    return rc;
}

int seal_store_info_get(seal_store *s, seal_store_info *out)
{
    if (!s || !out)
        return SEAL_EINVAL;
    seal_store_info i;
    memset(&i, 0, sizeof(i));
    i.tx_header_version = s->version;
    i.max_tx_entries = s->o.max_tx_entries;
    i.max_key_len = s->o.max_key_len;
    i.max_value_len = s->o.max_value_len;
    i.segment_size = s->seg_size;
    i.committed_tx = st_committed(s);
    i.indexed_tx = atomic_load(&s->indexed);
    *out = i;
    return 0;
}

/* --------------------------------------------------------- conversions */
void st_hdr_to_pub(const mt_txhdr *h, const mt_hash alh, seal_txhdr *out)
{
    memset(out, 0, sizeof(*out));
    out->id = h->id;
    memcpy(out->prev_alh, h->prev_alh, 32);
    out->ts = h->ts;
    out->nentries = h->nentries;
    memcpy(out->eh, h->eh, 32);
    out->bl_tx_id = h->bl_tx_id;
    memcpy(out->bl_root, h->bl_root, 32);
    out->version = h->version;
    out->md.truncated_upto_tx = h->md.has_truncated ? h->md.truncated_upto_tx : 0;
    out->md.extra_len = h->md.extra_len;
    memcpy(out->md.extra, h->md.extra, h->md.extra_len);
    if (alh)
        memcpy(out->alh, alh, 32);
}

void st_hdr_from_pub(const seal_txhdr *in, mt_txhdr *h)
{
    memset(h, 0, sizeof(*h));
    h->id = in->id;
    memcpy(h->prev_alh, in->prev_alh, 32);
    h->ts = in->ts;
    h->nentries = in->nentries;
    memcpy(h->eh, in->eh, 32);
    h->bl_tx_id = in->bl_tx_id;
    memcpy(h->bl_root, in->bl_root, 32);
    h->version = in->version;
    h->md.has_truncated = in->md.truncated_upto_tx > 0;
    h->md.truncated_upto_tx = in->md.truncated_upto_tx;
    h->md.extra_len = in->md.extra_len <= MT_MAX_TXMD_EXTRA ? in->md.extra_len : 0;
    memcpy(h->md.extra, in->md.extra, h->md.extra_len);
}

/* ------------------------------------------------------ reading back */
int st_read_cix(seal_store *s, uint64_t id, cixrec *out)
{
    uint8_t b[CIX_REC_SIZE];
    uint64_t loc = segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, id - 1);
    int rc = segf_read(s->cixf, loc, b, sizeof(b));
    char path[PATH_MAX];
    if (rc == 0 && (rc = cix_decode(b, out)) == 0 && out->id != id)
        rc = SEAL_ECORRUPT;
    if (rc == SEAL_ECORRUPT) {
        segf_seg_path(s->cixf, log_loc_seg(loc), path, sizeof(path));
        return st_err(rc, "tx %llu: commit index record fails its checks (%s offset %llu)",
                      (unsigned long long)id, path, (unsigned long long)log_loc_off(loc));
    }
    return rc;
}

int st_read_tx(seal_store *s, uint64_t id, bool entries, txrec *r, uint8_t **bufp)
{
    cixrec c, prev;
    int rc;
    const char *why = NULL;
    char path[PATH_MAX];
    uint8_t *buf = NULL;
    if (id == 0 || id > st_committed(s))
        return st_err(SEAL_ENOTFOUND, "tx %llu does not exist", (unsigned long long)id);
    if ((rc = st_read_cix(s, id, &c)) != 0)
        return rc;
    buf = seal_malloc(c.size);
    if (!buf)
        return SEAL_ENOMEM;
    rc = segf_read(s->txf, c.txloc, buf, c.size);
    if (rc == 0)
        rc = txrec_decode(buf, c.size, r, entries, &why);
    if (rc == 0 && (r->hdr.id != id || memcmp(r->alh, c.alh, 32) != 0)) {
        txrec_free(r);
        why = "record does not match the commit index";
        rc = SEAL_ECORRUPT;
    }
    if (rc == SEAL_ECORRUPT) {
        segf_seg_path(s->txf, log_loc_seg(c.txloc), path, sizeof(path));
        rc = st_err(rc, "tx %llu: %s (%s offset %llu)", (unsigned long long)id,
                    why ? why : "record is short", path, (unsigned long long)log_loc_off(c.txloc));
        goto out;
    }
    if (rc != 0)
        goto out;
    if (id == 1) {
        memcpy(r->hdr.prev_alh, MT_EMPTY_HASH, 32);
    } else if ((rc = st_read_cix(s, id - 1, &prev)) != 0) {
        txrec_free(r);
        goto out;
    } else {
        memcpy(r->hdr.prev_alh, prev.alh, 32);
    }
    if (bufp) {
        *bufp = buf;
        buf = NULL;
    } else {
        /* keys point into buf: only allowed without entries */
        SEAL_ASSERT(!entries);
    }
out:
    seal_free(buf);
    return rc;
}

int st_read_value(seal_store *s, uint64_t vloc, uint32_t vlen, const mt_hash hval, uint8_t *out)
{
    mt_hash h;
    char path[PATH_MAX];
    int rc = segf_read(s->valf, vloc, out, vlen);
    if (rc == 0) {
        cry_part part = {out, vlen};
        rc = cry_sha256v(h, &part, 1);
        if (rc == 0 && memcmp(h, hval, 32) != 0)
            rc = SEAL_ECORRUPT;
    }
    if (rc == SEAL_ECORRUPT) {
        segf_seg_path(s->valf, log_loc_seg(vloc), path, sizeof(path));
        return st_err(rc, "value of %u bytes at %s offset %llu does not match its hash", vlen, path,
                      (unsigned long long)log_loc_off(vloc));
    }
    return rc;
}
