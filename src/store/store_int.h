/* store_int.h - internals of libseal's storage engine shared by the files of
 * src/store/: the store object, the commit pipeline's request, helpers to
 * read txs back from the logs, and the per-thread error detail. */
#ifndef SEAL_STORE_INT_H
#define SEAL_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "crypto/cry.h"
#include "index/index.h"
#include "log/log.h"
#include "mtree/mtree.h"
#include "seal/seal.h"

#define STORE_META_FILE      "seal.meta"
#define STORE_META_SIZE      64
#define STORE_META_MAGIC     "SEALSTOR"
#define STORE_FORMAT_VERSION 1
#define STORE_MIN_SEGMENT    4096

/* ------------------------------------------------------- error detail */
/* Formats the thread's error detail and returns |rc|. */
int st_err(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void st_err_clear(void);

/* ----------------------------------------------------------- tx builder */
enum { PRE_EXISTS = 1, PRE_ABSENT = 2, PRE_NOT_MODIFIED = 3 };

struct tx_ent {
    size_t koff; /* offset into seal_tx.data */
    size_t voff; /* offset into seal_tx.vals */
    uint32_t klen;
    uint32_t vlen;
    uint8_t md_len;
    uint8_t md[MT_MAX_KVMD_LEN];
    bool has_md;
    mt_kvmd kmd;
};

struct tx_pre {
    int kind;
    size_t koff;
    uint32_t klen;
    uint64_t tx_id;
};

struct seal_tx {
    seal_store *s;
    bool committed;
    size_t n, cap;
    struct tx_ent *e;
    size_t npre, precap;
    struct tx_pre *pre;
    uint8_t *data; /* keys (entries and preconditions) */
    size_t dlen, dcap;
    /* the values, back to back in entry order: the tx's stretch of the value
     * log, written from here as one piece (commit.c, write_values) */
    uint8_t *vals;
    size_t vdlen, vdcap;
    bool has_txmd;
    mt_txmd txmd;
};

/* ------------------------------------------------- commit pipeline */
struct creq {
    seal_tx *tx;
    mt_hash *hval; /* per entry */
    mt_hash eh;
    int rc;
    bool done;
    mt_txhdr hdr; /* filled by the leader */
    mt_hash alh;
    size_t pre_fail;     /* index of the failed precondition */
    struct creq *next;   /* in the queue and the group */
    struct creq *rnext;  /* in the round (written txs only) */
    struct creq *ixnext; /* in the store's index-wait queue */
    bool want_index;     /* its committer also waits for the key index */
    uint32_t word;       /* its committer sleeps on this futex word (CW_*) */
    /* asynchronous (seal_tx_commit_async): no thread waits; heap-allocated,
     * finished by running cb (st_creq_finish_async) */
    bool async;
    seal_commit_cb cb;
    void *cb_ud;
    struct creq *anext; /* in the store's finished list (adone) */
};
/* Values of creq.word: the committer is (about to be) asleep; it should look
 * again at the queue under mu; it is finished (whoever stores CW_DONE
 * touches the request no more: the committer may return at once). */
#define CW_SLEEP 0u
#define CW_CHECK 1u
#define CW_DONE  2u
void st_creq_wake(struct creq *r, uint32_t v);
void st_creq_finish_async(seal_store *s, struct creq *r, bool bypass);
/* Stops the commit drivers (after the queue drained, at close). */
void st_drivers_stop(seal_store *s);

/* Keys written by recent txs, for precondition checks (see commit.c). */
struct pmap_ent {
    uint64_t h;
    uint8_t *key; /* NULL = empty slot */
    uint32_t klen;
    uint64_t tx;
    mt_kvmd md;
};
struct pmap {
    struct pmap_ent *t;
    size_t cap, count;
};

/* fdatasync jobs run by a small pool of threads, so that the files of a
 * group are synced in parallel and several groups can be syncing at once
 * (see commit.c). */
struct sjob {
    segf *f;
    int fd; /* from segf_dup_fd; closed by the job */
    int rc;
    bool done;
    struct sjob *next;
};
#define ST_MAX_INFLIGHT 3 /* groups written and not yet published */
#define ST_POOL_THREADS (3 * ST_MAX_INFLIGHT)
/* The hash tree and commit index are fdatasynced by at most one round per
 * this many ms (they are derived from the tx log; see commit.c). */
#define ST_DERIVED_SYNC_MS 10
/* The key index is flushed (index.c, "Power loss") this long after the
 * indexer went idle, and at least this often while it works. Under a steady
 * load the index is unflushed again a moment after each flush, so frequent
 * flushes would buy little and cost the commits device time (a flush writes
 * every dirty LMDB page): the kernel writes them back within ~30 s anyway. */
#define ST_INDEX_FLUSH_MS      30000
#define ST_INDEX_IDLE_FLUSH_MS 1000
struct spool {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct sjob *head, *tail;
    bool stop;
    int nth;
    pthread_t th[ST_POOL_THREADS];
};
struct round; /* a written group on its way to being durable (commit.c) */

struct seal_store {
    char *dir;
    seal_options o;
    int version;
    uint64_t seg_size;
    int lock_fd;
    /* seal.synced (store.c): how many txs' commit index records and hash
     * tree nodes are known durable */
    int synced_fd;
    uint64_t synced_k0; /* as read at open (recovery checks it) */
    uint64_t synced_k;  /* last written, under synced_mu */
    pthread_mutex_t synced_mu;
    segf *txf, *valf, *cixf, *ahtf;
    mt_nodestore ns;
    mt_ahtree *aht; /* the leader's tree */

    /* commit queue (mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct creq *q_head, *q_tail;
    bool leader; /* a thread is writing a group */
    bool closing;
    /* written groups, in id order, not yet published (mu) */
    struct round *rq_head, *rq_tail;
    int inflight;
    bool publishing; /* a thread is publishing the head round */
    bool stall;      /* no new group may be written (a failed round is rolled back) */
    /* the writer's position: the last tx written (owned by the leader) */
    uint64_t w_id;
    mt_hash w_alh;
    int64_t w_ts;
    int poisoned; /* non-zero: refuse writes with this rc */
    uint64_t groups_started, groups_done;
    /* precondition map (touched by the leader only, flags under mu) */
    struct pmap map;
    bool map_on;
    bool map_base_pending;
    int pre_inflight; /* txs with preconditions between pre_prepare and done */
    uint64_t map_base;
    uint64_t map_pruned; /* entries with tx <= this were dropped: the index has them */
    uint8_t *recbuf;     /* leader scratch */
    size_t recbuf_cap;
    struct spool pool;
    /* finished asynchronous requests whose callbacks run at the next
     * unlock_mu (mu) */
    struct creq *adone_head, *adone_tail;
    /* driver threads leading groups for asynchronous requests (mu) */
    pthread_cond_t drv_cv;
    pthread_t drv[ST_MAX_INFLIGHT];
    int ndrv;
    bool drv_stop;
    _Atomic uint64_t derived_synced_ns; /* when a round last synced the derived files */

    /* published state (state_mu) */
    pthread_mutex_t state_mu;
    _Atomic uint64_t committed;
    /* The tx log location up to which the log is known durable: moved by
     * each published round (durable commits only) and at open; written into
     * each new tx record as its durable mark (log.h, recovery.c). */
    _Atomic uint64_t tx_durable;
    mt_hash committed_alh;
    int64_t last_ts;
    uint64_t vend;  /* value log end after the last committed tx */
    uint64_t txend; /* tx log end after the last committed tx */

    /* indexer (ix_mu) */
    idx *ix;
    pthread_t ix_thread;
    bool ix_started;
    pthread_mutex_t ix_mu;
    pthread_cond_t ix_work;     /* to the indexer: there is work / stop */
    pthread_cond_t ix_progress; /* from the indexer: indexed moved */
    _Atomic uint64_t indexed;
    bool ix_stop;
    bool ix_rebuild; /* requested */
    int ix_err;
    int ix_readers; /* open idx snapshots */
    /* committers waiting for the index to reach their tx (ixq_mu, a leaf
     * lock), in id order; bypass = the indexer makes no progress by itself
     * (error, stop): queued ones are let go to find out through
     * st_index_wait */
    pthread_mutex_t ixq_mu;
    struct creq *ixq_head, *ixq_tail;
    bool ixq_bypass;
    char *ix_dir;
};

struct seal_snap {
    seal_store *s;
    idx_snap *is;
    uint64_t tx;
};

/* ------------------------------------------------------- helpers */
int64_t st_now(seal_store *s);
/* Where a record/value of |n| bytes lands after position |cur| in a
 * segmented file of |seg_size|: the writer's placement rule. */
static inline uint64_t st_place(uint64_t cur, uint64_t n, uint64_t seg_size)
{
    uint64_t off = log_loc_off(cur);
    if (n > 0 && off > 0 && off + n > seg_size)
        return log_loc(log_loc_seg(cur) + 1, 0);
    return cur;
}
static inline uint64_t st_loc_add(uint64_t loc, uint64_t n)
{
    return log_loc(log_loc_seg(loc), log_loc_off(loc) + n);
}
static inline int st_loc_cmp(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b ? 1 : 0; /* seg in the high bits: plain order */
}

/* Reads and checks seal.meta from |fd| (|path| for messages). */
int st_meta_read(int fd, const char *path, int *version, uint64_t *seg);
int st_read_cix(seal_store *s, uint64_t id, cixrec *out);
/* Reads and checks tx |id|'s record: framing, id, Alh equal to the commit
 * index's. |buf| receives the raw record (caller frees with seal_free), r
 * is decoded (entries when |entries|). prev_alh filled from the index. */
int st_read_tx(seal_store *s, uint64_t id, bool entries, txrec *r, uint8_t **buf);
int st_read_value(seal_store *s, uint64_t vloc, uint32_t vlen, const mt_hash hval, uint8_t *out);
uint64_t st_committed(seal_store *s);
void st_hdr_to_pub(const mt_txhdr *h, const mt_hash alh, seal_txhdr *out);
void st_hdr_from_pub(const seal_txhdr *in, mt_txhdr *h);
bool st_expired(seal_store *s, const mt_kvmd *m);

/* indexer.c */
int st_indexer_start(seal_store *s);
void st_indexer_stop(seal_store *s);
void st_indexer_kick(seal_store *s);
int st_index_open(seal_store *s, bool wipe);
/* Lets go the queued index waiters the index now covers (all of them when
 * |bypass|, which sticks until the next call). Indexer side. */
void st_ixq_release(seal_store *s, bool bypass);
/* Waits until indexed >= tx (timeout_ms 0 = forever). */
int st_index_wait(seal_store *s, uint64_t tx, uint32_t timeout_ms);
int st_snap_begin_idx(seal_store *s, idx_snap **out);
void st_snap_end_idx(seal_store *s, idx_snap *is);

/* commit.c */
void st_pmap_free(struct pmap *m);
int st_syncers_start(seal_store *s);
void st_syncers_stop(seal_store *s);
/* Sets the writer's position to the committed state (after recovery). */
void st_writer_reset(seal_store *s);

/* recovery.c */
int st_recover(seal_store *s);
/* Is everything from |loc| to the end of |f| zero bytes? */
/* Is there, in the tx log |f| from |from| on, a complete record (magic,
 * length, CRC) whose durable mark is past |x|, or one of the first layout
 * (mark unknown: taken as past)? Records are found by their magic at any
 * offset, so damage before them does not hide them. *proven = the answer;
 * 0 or an I/O error. */
/* seal.synced: st_synced_open reads it into synced_k0 (0 when missing or
 * damaged) and creates it if missing; st_synced_note records that the
 * derived files of the first |k| txs are durable (a pwrite, not synced: any
 * value that reaches the disk was true when written); st_synced_flush
 * fdatasyncs it. 0 or a negative SEAL_E* code. */
int st_synced_open(seal_store *s);
int st_synced_note(seal_store *s, uint64_t k);
int st_synced_flush(seal_store *s);
int st_durable_after(segf *f, uint64_t from, uint64_t x, bool *proven);
int st_zero_from(segf *f, uint64_t loc, bool *zero);
/* Full check of one decoded tx record (see recovery.c). */
struct tx_check {
    uint64_t vpos;     /* in: where the first value must be; out: past the last */
    bool check_values; /* read and hash every value */
    bool torn;         /* out: a value lies past the end of the value log */
    const char *why;   /* out: what failed */
    uint64_t bad_vloc; /* out: location of the failing value (when a value failed) */
    bool bad_value;
};
int st_check_tx(seal_store *s, const txrec *r, const mt_hash prev_alh, const mt_hash bl_root,
                struct tx_check *c);

#endif
