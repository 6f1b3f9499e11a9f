/* store_commit_test.c - the commit variants that also wait for the key
 * index: seal_tx_commit_indexed from many threads at once, mixed with plain
 * commits, while the index is being rebuilt, with failing preconditions,
 * and with failing preconditions. Each committer checks that its own write
 * is readable at once without waiting (no_wait): the wait really covered
 * the index. */
#include "testlib.h"

#include "seal/seal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS    8
#define PER_THREAD 150

static seal_store *open_store(const char *dir)
{
    seal_store *s = NULL;
    int rc = seal_open(dir, NULL, &s);
    if (rc)
        T_FAIL("seal_open(%s): %s: %s", dir, t_errstr(rc), seal_last_error());
    return s;
}

struct worker {
    seal_store *s;
    int id;
    bool indexed;  /* use seal_tx_commit_indexed */
    bool wait_get; /* read back waiting (a rebuild may be under way) */
    atomic_int *errors;
    uint64_t last_tx;
    char msg[256];
};

static void werr(struct worker *w, const char *what, int rc)
{
    if (atomic_fetch_add(w->errors, 1) == 0 || !w->msg[0])
        snprintf(w->msg, sizeof(w->msg), "thread %d: %s: %s (%s)", w->id, what, t_errstr(rc),
                 seal_last_error());
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "t%d-k%d", w->id, i % 40);
        snprintf(v, sizeof(v), "v%d", i);
        seal_tx *tx;
        seal_txhdr h;
        int rc = seal_tx_new(w->s, &tx);
        if (rc == 0)
            rc = seal_tx_add(tx, k, strlen(k), v, strlen(v), NULL);
        if (rc) {
            werr(w, "tx", rc);
            seal_tx_free(tx);
            return NULL;
        }
        int irc = -12345;
        if (w->indexed)
            rc = seal_tx_commit_indexed(w->s, tx, &h, &irc);
        else
            rc = seal_tx_commit(w->s, tx, &h);
        seal_tx_free(tx);
        if (rc) {
            werr(w, "commit", rc);
            return NULL;
        }
        if (h.id <= w->last_tx) {
            werr(w, "tx ids go backwards", SEAL_ESTATE);
            return NULL;
        }
        w->last_tx = h.id;
        if (!w->indexed)
            continue;
        if (irc != 0) {
            werr(w, "index wait", irc);
            return NULL;
        }
        /* read my own write without waiting: the index must have it (unless
         * a rebuild was asked for since: then wait for it) */
        seal_entry e;
        rc = seal_get(w->s, k, strlen(k), NULL, 0, !w->wait_get, &e);
        if (rc) {
            werr(w, "get no_wait", rc);
            return NULL;
        }
        if (e.tx < h.id || e.value_len != strlen(v) || memcmp(e.value, v, e.value_len) != 0)
            werr(w, "get no_wait: not my write", SEAL_ESTATE);
        seal_entry_clear(&e);
    }
    return NULL;
}

static void run_threads(seal_store *s, bool mixed, bool rebuild)
{
    pthread_t th[THREADS];
    struct worker w[THREADS];
    atomic_int errors = 0;
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].s = s;
        w[i].id = i;
        w[i].indexed = mixed ? (i % 2 == 0) : true;
        w[i].wait_get = rebuild;
        w[i].errors = &errors;
        CHECK_OK(pthread_create(&th[i], NULL, run_worker, &w[i]));
    }
    if (rebuild) {
        for (int r = 0; r < 3; r++) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            CHECK_OK(seal_index_rebuild(s, 0));
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].msg[0])
            T_FAIL("%s", w[i].msg);
    CHECK_INT(atomic_load(&errors), 0);
}

static void test_many_threads(void)
{
    seal_store *s = open_store(t_path("many"));
    if (!s)
        return;
    run_threads(s, false, false);
    seal_store_info in;
    CHECK_OK(seal_store_info_get(s, &in));
    CHECK_INT(in.committed_tx, THREADS * PER_THREAD);
    CHECK_OK(seal_close(s));
}

static void test_mixed_with_plain_commits(void)
{
    seal_store *s = open_store(t_path("mixed"));
    if (!s)
        return;
    run_threads(s, true, false);
    seal_store_info in;
    CHECK_OK(seal_store_info_get(s, &in));
    CHECK_INT(in.committed_tx, THREADS * PER_THREAD);
    CHECK_OK(seal_close(s));
}

static void test_during_rebuild(void)
{
    seal_store *s = open_store(t_path("rebuild"));
    if (!s)
        return;
    run_threads(s, false, true);
    CHECK_OK(seal_index_wait(s, (uint64_t)THREADS * PER_THREAD, 0));
    CHECK_OK(seal_close(s));
}

static void test_failures(void)
{
    seal_store *s = open_store(t_path("fail"));
    if (!s)
        return;
    seal_tx *tx;
    seal_txhdr h;
    int irc = -1;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "a", 1, "1", 1, NULL));
    CHECK_OK(seal_tx_commit_indexed(s, tx, &h, &irc));
    CHECK_INT(irc, 0);
    CHECK_INT(h.id, 1);
    seal_tx_free(tx);

    /* a failed precondition: the commit's error, promptly, nothing written */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "a", 1, "2", 1, NULL));
    CHECK_OK(seal_tx_require_absent(tx, "a", 1));
    irc = -1;
    CHECK_ERR(seal_tx_commit_indexed(s, tx, &h, &irc), SEAL_EPRECONDITION);
    seal_tx_free(tx);

    /* an empty tx */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_ERR(seal_tx_commit_indexed(s, tx, &h, NULL), SEAL_EINVAL);
    seal_tx_free(tx);

    /* index_rc may be NULL */
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "b", 1, "1", 1, NULL));
    CHECK_OK(seal_tx_commit_indexed(s, tx, &h, NULL));
    CHECK_INT(h.id, 2);
    seal_tx_free(tx);

    seal_store_info in;
    CHECK_OK(seal_store_info_get(s, &in));
    CHECK_INT(in.committed_tx, 2);
    CHECK_INT(in.indexed_tx, 2);
    CHECK_OK(seal_close(s));
}

/* ------------------------------------------------------------ async */
struct actx {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, failed;
    seal_store *s;
    uint8_t *seen; /* per tx id: callbacks that reported it */
    size_t nseen;
    char msg[256];
};

struct aone {
    struct actx *x;
    seal_tx *tx;
    bool want_index;
    int calls;
};

static void acb(void *ud, int rc, const seal_txhdr *hdr, int index_rc)
{
    struct aone *o = ud;
    struct actx *x = o->x;
    pthread_mutex_lock(&x->mu);
    o->calls++;
    const char *bad = NULL;
    if (rc != 0 || !hdr)
        bad = "commit failed";
    else if (index_rc != 0)
        bad = "index wait failed";
    else if (hdr->id == 0 || hdr->id >= x->nseen || x->seen[hdr->id]++)
        bad = "tx id out of range or reported twice";
    if (!bad && o->want_index) {
        seal_store_info in;
        if (seal_store_info_get(x->s, &in) != 0 || in.indexed_tx < hdr->id)
            bad = "called before the index had the tx";
    }
    if (bad) {
        x->failed++;
        if (!x->msg[0])
            snprintf(x->msg, sizeof(x->msg), "%s: rc %d index_rc %d (%s)", bad, rc, index_rc,
                     seal_last_error());
    }
    x->done++;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static seal_tx *mk_tx(seal_store *s, int i)
{
    char k[32], v[32];
    snprintf(k, sizeof(k), "%s%d", i >= 100000 ? "b" : "a", i % 300); /* blocking: "b" */
    snprintf(v, sizeof(v), "value-%d", i);
    seal_tx *tx = NULL;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, k, strlen(k), v, strlen(v), NULL));
    return tx;
}

struct blocking_arg {
    seal_store *s;
    int n;
    int errors;
};

static void *blocking_committer(void *arg)
{
    struct blocking_arg *b = arg;
    for (int i = 0; i < b->n; i++) {
        seal_tx *tx = mk_tx(b->s, 100000 + i);
        seal_txhdr h;
        int irc = 0;
        if (seal_tx_commit_indexed(b->s, tx, &h, &irc) != 0 || irc != 0)
            b->errors++;
        seal_tx_free(tx);
    }
    return NULL;
}

/* |n| async commits (every other one waiting for the index), |blocking|
 * blocking ones from a thread at the same time; close before waiting when
 * |close_early|. */
static void async_run(const char *name, int n, int blocking, bool close_early)
{
    seal_store *s = open_store(t_path(name));
    if (!s)
        return;
    struct actx x = {.s = s, .nseen = (size_t)(n + blocking + 1)};
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.cv, NULL);
    x.seen = calloc(x.nseen, 1);
    struct aone *ones = calloc((size_t)n, sizeof(*ones));
    struct blocking_arg ba = {.s = s, .n = blocking};
    pthread_t bt;
    if (blocking)
        CHECK_OK(pthread_create(&bt, NULL, blocking_committer, &ba));
    for (int i = 0; i < n; i++) {
        ones[i].x = &x;
        ones[i].tx = mk_tx(s, i);
        ones[i].want_index = i % 2 == 0;
        int rc = seal_tx_commit_async(
            s, ones[i].tx, ones[i].want_index ? SEAL_COMMIT_WAIT_INDEX : 0, acb, &ones[i]);
        if (rc) {
            T_FAIL("seal_tx_commit_async %d: %s (%s)", i, t_errstr(rc), seal_last_error());
            pthread_mutex_lock(&x.mu);
            x.done++;
            pthread_mutex_unlock(&x.mu);
            ones[i].calls = 1;
        }
    }
    if (blocking)
        pthread_join(bt, NULL);
    CHECK_INT(ba.errors, 0);
    if (close_early) {
        CHECK_OK(seal_close(s));
        s = NULL;
        /* every callback ran before seal_close returned */
        pthread_mutex_lock(&x.mu);
        CHECK_INT(x.done, n);
        pthread_mutex_unlock(&x.mu);
    } else {
        pthread_mutex_lock(&x.mu);
        while (x.done < n)
            pthread_cond_wait(&x.cv, &x.mu);
        pthread_mutex_unlock(&x.mu);
        seal_store_info in;
        CHECK_OK(seal_store_info_get(s, &in));
        CHECK_INT(in.committed_tx, n + blocking);
        /* the last async write of a key is what a read returns */
        seal_entry e;
        char v[32];
        int last = n - 1;
        snprintf(v, sizeof(v), "value-%d", last);
        char k[32];
        snprintf(k, sizeof(k), "a%d", last % 300);
        CHECK_OK(seal_get(s, k, strlen(k), NULL, 0, 0, &e));
        CHECK_INT(e.value_len, strlen(v));
        CHECK(e.value && memcmp(e.value, v, e.value_len) == 0);
        seal_entry_clear(&e);
        CHECK_OK(seal_close(s));
    }
    if (x.msg[0])
        T_FAIL("%s", x.msg);
    CHECK_INT(x.failed, 0);
    for (int i = 0; i < n; i++) {
        if (ones[i].calls != 1)
            T_FAIL("callback %d ran %d times", i, ones[i].calls);
        seal_tx_free(ones[i].tx);
    }
    /* reopened: every acknowledged tx is there */
    s = open_store(t_path(name));
    if (s) {
        seal_store_info in;
        CHECK_OK(seal_store_info_get(s, &in));
        CHECK_INT(in.committed_tx, n + blocking);
        CHECK_OK(seal_close(s));
    }
    free(ones);
    free(x.seen);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.cv);
}

static void test_async(void)
{
    async_run("async", 3000, 0, false);
}

static void test_async_mixed_with_blocking(void)
{
    async_run("async-mixed", 2000, 300, false);
}

static void test_async_close(void)
{
    async_run("async-close", 2000, 0, true);
}

static void nocb(void *ud, int rc, const seal_txhdr *hdr, int index_rc)
{
    (void)rc;
    (void)hdr;
    (void)index_rc;
    (*(int *)ud)++;
}

static void test_async_refusals(void)
{
    seal_store *s = open_store(t_path("async-bad"));
    if (!s)
        return;
    int calls = 0;
    seal_tx *tx;
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_ERR(seal_tx_commit_async(s, tx, 0, nocb, &calls), SEAL_EINVAL); /* empty */
    CHECK_OK(seal_tx_add(tx, "k", 1, "v", 1, NULL));
    CHECK_ERR(seal_tx_commit_async(s, tx, 0, NULL, &calls), SEAL_EINVAL);
    CHECK_ERR(seal_tx_commit_async(s, tx, 0x10, nocb, &calls), SEAL_EINVAL);
    CHECK_OK(seal_tx_add(tx, "k", 1, "w", 1, NULL));
    CHECK_ERR(seal_tx_commit_async(s, tx, 0, nocb, &calls), SEAL_EDUPLICATE);
    seal_tx_free(tx);
    CHECK_OK(seal_tx_new(s, &tx));
    CHECK_OK(seal_tx_add(tx, "k", 1, "v", 1, NULL));
    CHECK_OK(seal_tx_require_absent(tx, "k", 1));
    CHECK_ERR(seal_tx_commit_async(s, tx, 0, nocb, &calls), SEAL_EUNSUPPORTED);
    seal_tx_free(tx);
    CHECK_OK(seal_close(s));
    CHECK_INT(calls, 0);
    /* nothing was written */
    s = open_store(t_path("async-bad"));
    if (s) {
        seal_store_info in;
        CHECK_OK(seal_store_info_get(s, &in));
        CHECK_INT(in.committed_tx, 0);
        CHECK_OK(seal_close(s));
    }
}

int main(void)
{
    t_init();
    RUN(test_async);
    RUN(test_async_mixed_with_blocking);
    RUN(test_async_close);
    RUN(test_async_refusals);
    RUN(test_many_threads);
    RUN(test_mixed_with_plain_commits);
    RUN(test_during_rebuild);
    RUN(test_failures);
    return t_done();
}
