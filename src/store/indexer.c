/* indexer.c - the background thread that feeds committed txs to the key
 * index (index.h) in batches, the waits readers use (immudb's sinceTx /
 * noWait), and rebuilding the index from the log.
 *
 * The index is derived data: on open, an index that cannot be opened, or
 * that is ahead of the log (the log was cut after a crash), is dropped and
 * rebuilt; one that is behind simply catches up from the log, in the
 * background, while the store already serves commits. Catching up reads txs
 * back from the log one batch at a time, so it needs no memory proportional
 * to the backlog. */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IX_MAX_BATCH_ENTRIES 65536

static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : SEAL_EIO;
    struct dirent *de;
    char p[PATH_MAX];
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (unlink(p) != 0)
            rc = SEAL_EIO;
    }
    closedir(d);
    if (rmdir(dir) != 0 && errno != ENOENT)
        rc = SEAL_EIO;
    return rc;
}

/* Wake-ups of index waiters. A waiter sleeps on a futex word, not on
 * ix_progress: a broadcast on ix_progress makes every woken waiter take
 * ix_mu again on its way out, and with a hundred Set calls waiting for the
 * same batch they queue on that mutex one after the other. The word is a
 * generation count shared by the stores of the process; whoever changes
 * what a waiter waits for (indexed, ix_err, ix_stop, ix_rebuild) bumps it
 * after the change and wakes the sleepers, who re-check their own store
 * (a waiter of another store wakes for nothing, once per batch). A waiter
 * reads the generation before it checks, so a change between its check and
 * its sleep makes the sleep return at once. */
static uint32_t ix_gen; /* __atomic builtins: the futex syscall needs a plain word */
static _Atomic int ix_sleepers;

static void ix_wake_all(void)
{
    __atomic_fetch_add(&ix_gen, 1, __ATOMIC_SEQ_CST);
    if (atomic_load(&ix_sleepers) > 0)
        (void)syscall(SYS_futex, &ix_gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Sleeps while the generation is |gen|, at most until |dl| (CLOCK_MONOTONIC)
 * when |dl| is not NULL. Returns false when the deadline has passed. */
static bool ix_sleep(uint32_t gen, const struct timespec *dl)
{
    struct timespec rel, *relp = NULL;
    if (dl) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        rel.tv_sec = dl->tv_sec - now.tv_sec;
        rel.tv_nsec = dl->tv_nsec - now.tv_nsec;
        if (rel.tv_nsec < 0) {
            rel.tv_sec--;
            rel.tv_nsec += 1000000000L;
        }
        if (rel.tv_sec < 0)
            return false;
        relp = &rel;
    }
    atomic_fetch_add(&ix_sleepers, 1);
    long r = syscall(SYS_futex, &ix_gen, FUTEX_WAIT_PRIVATE, gen, relp, NULL, 0);
    int e = errno;
    atomic_fetch_sub(&ix_sleepers, 1);
    return !(r != 0 && e == ETIMEDOUT);
}

int st_index_open(seal_store *s, bool wipe)
{
    int rc;
    char p[PATH_MAX];
    if (!s->ix_dir) {
        snprintf(p, sizeof(p), "%s/index", s->dir);
        s->ix_dir = seal_strdup(p);
        if (!s->ix_dir)
            return SEAL_ENOMEM;
    }
    /* Without index_sync, LMDB does not fsync its txns and the marker lets
     * an open after a machine restart find an index that lost pages (see
     * index.c). */
    idx_opts o = {.map_size = s->o.index_map_size,
                  .no_sync = !s->o.index_sync,
                  .unsynced_marker = !s->o.index_sync};
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((wipe || attempt > 0) && (rc = remove_dir(s->ix_dir)) != 0)
            return st_err(rc, "cannot remove the key index %s", s->ix_dir);
        rc = idx_open(&s->ix, s->ix_dir, &o);
        if (rc == SEAL_ENOMEM)
            return rc;
        if (rc == SEAL_ESTATE) {
            SEAL_LOGW("store",
                      "%s: the key index was not flushed before the machine restarted; "
                      "rebuilding it from the log",
                      s->ix_dir);
            s->ix = NULL;
            continue;
        }
        if (rc != 0) {
            SEAL_LOGW("store", "%s: key index cannot be opened (%s); rebuilding it from the log",
                      s->ix_dir, seal_strerror(rc));
            s->ix = NULL;
            continue;
        }
        uint64_t last = idx_last_tx(s->ix);
        if (last > st_committed(s)) {
            SEAL_LOGW("store",
                      "%s: key index is at tx %llu, ahead of the log (tx %llu); rebuilding it",
                      s->ix_dir, (unsigned long long)last, (unsigned long long)st_committed(s));
            idx_close(s->ix);
            s->ix = NULL;
            continue;
        }
        if (last < st_committed(s))
            SEAL_LOGI("store",
                      "key index at tx %llu, log at tx %llu: catching up in the background",
                      (unsigned long long)last, (unsigned long long)st_committed(s));
        atomic_store(&s->indexed, last);
        return 0;
    }
    return st_err(rc ? rc : SEAL_EIO, "cannot create the key index in %s", s->ix_dir);
}

/* Applies txs from..to (at most); returns the last tx applied in *done. */
static int apply_range(seal_store *s, uint64_t from, uint64_t to, uint64_t *done)
{
    int rc = 0;
    size_t np = 0, cap = 0, nbuf = 0, bufcap = 0;
    idx_put *puts = NULL;
    uint8_t **bufs = NULL;
    uint64_t id;
    for (id = from; id <= to; id++) {
        txrec r;
        uint8_t *buf = NULL;
        if ((rc = st_read_tx(s, id, true, &r, &buf)) != 0)
            goto out;
        if (nbuf == bufcap) {
            bufcap = bufcap ? bufcap * 2 : 64;
            uint8_t **nb = seal_realloc(bufs, bufcap * sizeof(*nb));
            if (!nb) {
                txrec_free(&r);
                seal_free(buf);
                rc = SEAL_ENOMEM;
                goto out;
            }
            bufs = nb;
        }
        bufs[nbuf++] = buf;
        if (np + r.n > cap) {
            size_t nc = cap ? cap : 1024;
            while (nc < np + r.n)
                nc *= 2;
            idx_put *npu = seal_realloc(puts, nc * sizeof(*npu));
            if (!npu) {
                txrec_free(&r);
                rc = SEAL_ENOMEM;
                goto out;
            }
            puts = npu;
            cap = nc;
        }
        for (size_t i = 0; i < r.n; i++) {
            const txrec_entry *e = &r.e[i];
            idx_put *p = &puts[np++];
            p->key = e->key;
            p->key_len = e->key_len;
            p->tx = id;
            p->voff = e->vloc;
            p->vlen = e->vlen;
            memcpy(p->hval, e->hval, 32);
            if (mt_kvmd_parse(&p->md, e->md, e->md_len) != 0) {
                txrec_free(&r);
                rc = st_err(SEAL_ECORRUPT, "tx %llu: bad KV metadata", (unsigned long long)id);
                goto out;
            }
        }
        txrec_free(&r);
        if (np >= IX_MAX_BATCH_ENTRIES) {
            id++;
            break;
        }
    }
    to = id - 1;
    for (;;) {
        rc = idx_apply(s->ix, puts, np, to);
        if (rc != SEAL_EBUSY)
            break;
        /* the map is growing and snapshots are open: try again shortly */
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&s->ix_mu);
        bool stop = s->ix_stop;
        pthread_mutex_unlock(&s->ix_mu);
        if (stop)
            break;
    }
    if (rc == 0)
        *done = to;
out:
    for (size_t i = 0; i < nbuf; i++)
        seal_free(bufs[i]);
    seal_free(bufs);
    seal_free(puts);
    return rc;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Flushes the key index if it has unflushed txns (index.c, "Power loss").
 * Called without ix_mu, from the indexer thread only. */
static void ix_checkpoint(seal_store *s, int64_t *last)
{
    *last = mono_ms();
    if (s->ix && idx_unsynced(s->ix)) {
        int rc = idx_checkpoint(s->ix);
        if (rc)
            SEAL_LOGW("store", "flushing the key index failed: %s", seal_strerror(rc));
    }
}

static void *ix_main(void *arg)
{
    seal_store *s = arg;
    int64_t last_flush = mono_ms();
    pthread_mutex_lock(&s->ix_mu);
    for (;;) {
        while (!s->ix_stop && !s->ix_rebuild &&
               (s->ix_err || atomic_load(&s->indexed) >= st_committed(s))) {
            if (s->ix_err || !s->ix || !idx_unsynced(s->ix)) {
                pthread_cond_wait(&s->ix_work, &s->ix_mu);
                continue;
            }
            /* idle with unflushed index txns: flush them after a short
             * quiet spell (a burst of small commits does not flush each time) */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += ST_INDEX_IDLE_FLUSH_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&s->ix_work, &s->ix_mu, &ts) == ETIMEDOUT && !s->ix_stop &&
                !s->ix_rebuild && atomic_load(&s->indexed) >= st_committed(s)) {
                pthread_mutex_unlock(&s->ix_mu);
                ix_checkpoint(s, &last_flush);
                pthread_mutex_lock(&s->ix_mu);
            }
        }
        if (s->ix_stop)
            break;
        if (s->ix_rebuild) {
            while (s->ix_readers > 0)
                pthread_cond_wait(&s->ix_progress, &s->ix_mu);
            idx_close(s->ix);
            s->ix = NULL;
            int rc = st_index_open(s, true);
            if (rc) {
                s->ix_err = rc;
                SEAL_LOGE("store", "key index rebuild failed: %s", seal_strerror(rc));
            } else {
                s->ix_err = 0;
                SEAL_LOGI("store", "key index dropped; rebuilding from the log (%llu txs)",
                          (unsigned long long)st_committed(s));
            }
            s->ix_rebuild = false;
            pthread_cond_broadcast(&s->ix_progress);
            ix_wake_all();
            bool bypass = s->ix_err != 0;
            pthread_mutex_unlock(&s->ix_mu);
            st_ixq_release(s, bypass);
            pthread_mutex_lock(&s->ix_mu);
            continue;
        }
        uint64_t from = atomic_load(&s->indexed) + 1;
        uint64_t to = st_committed(s);
        if (to - from + 1 > s->o.index_batch_txs)
            to = from + s->o.index_batch_txs - 1;
        pthread_mutex_unlock(&s->ix_mu);
        uint64_t done = 0;
        int rc = apply_range(s, from, to, &done);
        if (rc == 0 && mono_ms() - last_flush >= ST_INDEX_FLUSH_MS)
            ix_checkpoint(s, &last_flush);
        pthread_mutex_lock(&s->ix_mu);
        if (rc) {
            if (!s->ix_stop) {
                s->ix_err = rc;
                SEAL_LOGE("store", "indexing txs %llu..%llu failed: %s (%s); indexing stopped",
                          (unsigned long long)from, (unsigned long long)to, seal_strerror(rc),
                          seal_last_error());
            }
        } else {
            atomic_store(&s->indexed, done);
        }
        pthread_cond_broadcast(&s->ix_progress);
        ix_wake_all();
        bool bypass = s->ix_err != 0 || s->ix_stop;
        pthread_mutex_unlock(&s->ix_mu);
        st_ixq_release(s, bypass);
        pthread_mutex_lock(&s->ix_mu);
    }
    pthread_mutex_unlock(&s->ix_mu);
    return NULL;
}

void st_ixq_release(seal_store *s, bool bypass)
{
    uint64_t upto = atomic_load(&s->indexed);
    struct creq *go = NULL, **tail = &go;
    pthread_mutex_lock(&s->ixq_mu);
    s->ixq_bypass = bypass;
    while (s->ixq_head && (bypass || s->ixq_head->hdr.id <= upto)) {
        struct creq *r = s->ixq_head;
        s->ixq_head = r->ixnext;
        r->ixnext = NULL;
        *tail = r;
        tail = &r->ixnext;
    }
    if (!s->ixq_head)
        s->ixq_tail = NULL;
    pthread_mutex_unlock(&s->ixq_mu);
    /* Outside the lock: a committer let go may return at once, so the next
     * one is read before each wake-up. */
    for (struct creq *r = go, *nx; r; r = nx) {
        nx = r->ixnext;
        if (r->async)
            st_creq_finish_async(s, r, bypass);
        else
            st_creq_wake(r, CW_DONE);
    }
}

int st_indexer_start(seal_store *s)
{
    if (pthread_create(&s->ix_thread, NULL, ix_main, s) != 0)
        return st_err(SEAL_ENOMEM, "cannot start the indexer thread");
    s->ix_started = true;
    return 0;
}

void st_indexer_stop(seal_store *s)
{
    if (!s->ix_started)
        return;
    pthread_mutex_lock(&s->ix_mu);
    s->ix_stop = true;
    pthread_cond_broadcast(&s->ix_work);
    pthread_cond_broadcast(&s->ix_progress);
    pthread_mutex_unlock(&s->ix_mu);
    ix_wake_all();
    pthread_join(s->ix_thread, NULL);
    s->ix_started = false;
    st_ixq_release(s, true); /* no more progress: queued committers find out */
}

void st_indexer_kick(seal_store *s)
{
    pthread_mutex_lock(&s->ix_mu);
    pthread_cond_signal(&s->ix_work);
    pthread_mutex_unlock(&s->ix_mu);
}

int st_index_wait(seal_store *s, uint64_t tx, uint32_t timeout_ms)
{
    int rc = 0;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    for (;;) {
        uint32_t gen = __atomic_load_n(&ix_gen, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&s->ix_mu);
        bool done = !s->ix_rebuild && atomic_load(&s->indexed) >= tx;
        if (!done && s->ix_err)
            rc = st_err(s->ix_err, "the key index is not available (indexing failed: %s)",
                        seal_strerror(s->ix_err));
        else if (!done && s->ix_stop)
            rc = st_err(SEAL_ECLOSED, "store is closing");
        pthread_mutex_unlock(&s->ix_mu);
        if (done || rc)
            break;
        if (!ix_sleep(gen, timeout_ms ? &dl : NULL)) {
            pthread_mutex_lock(&s->ix_mu);
            if (s->ix_rebuild || atomic_load(&s->indexed) < tx)
                rc = st_err(SEAL_ETIMEOUT, "index is at tx %llu, waited %u ms for tx %llu",
                            (unsigned long long)atomic_load(&s->indexed), timeout_ms,
                            (unsigned long long)tx);
            pthread_mutex_unlock(&s->ix_mu);
            break;
        }
    }
    return rc;
}

int st_snap_begin_idx(seal_store *s, idx_snap **out)
{
    pthread_mutex_lock(&s->ix_mu);
    while (s->ix_rebuild && !s->ix_stop)
        pthread_cond_wait(&s->ix_progress, &s->ix_mu);
    if (!s->ix) {
        int e = s->ix_err ? s->ix_err : SEAL_ECLOSED;
        pthread_mutex_unlock(&s->ix_mu);
        return st_err(e, "the key index is not available");
    }
    s->ix_readers++;
    idx *ix = s->ix;
    pthread_mutex_unlock(&s->ix_mu);
    int rc = idx_snap_begin(ix, out);
    if (rc) {
        pthread_mutex_lock(&s->ix_mu);
        s->ix_readers--;
        pthread_cond_broadcast(&s->ix_progress);
        pthread_mutex_unlock(&s->ix_mu);
    }
    return rc;
}

void st_snap_end_idx(seal_store *s, idx_snap *is)
{
    if (!is)
        return;
    idx_snap_end(is);
    pthread_mutex_lock(&s->ix_mu);
    s->ix_readers--;
    if (s->ix_readers == 0)
        pthread_cond_broadcast(&s->ix_progress);
    pthread_mutex_unlock(&s->ix_mu);
}

int seal_index_wait(seal_store *s, uint64_t tx, uint32_t timeout_ms)
{
    st_err_clear();
    if (!s)
        return SEAL_EINVAL;
    if (tx > st_committed(s))
        return st_err(SEAL_EINVAL, "tx %llu is not committed", (unsigned long long)tx);
    /* Already indexed: done, without the lock (a rebuild requested since
     * then does not make the tx less indexed for this caller). */
    if (atomic_load(&s->indexed) >= tx)
        return 0;
    return st_index_wait(s, tx, timeout_ms);
}

int seal_index_rebuild(seal_store *s, int wait)
{
    st_err_clear();
    if (!s)
        return SEAL_EINVAL;
    uint64_t c = st_committed(s);
    pthread_mutex_lock(&s->ix_mu);
    s->ix_rebuild = true;
    pthread_cond_broadcast(&s->ix_work);
    pthread_mutex_unlock(&s->ix_mu);
    ix_wake_all();
    if (!wait)
        return 0;
    return st_index_wait(s, c, 0);
}
