/* gs_pool.c - the worker thread pool on which gRPC handlers run. Starts
 * min_threads threads and adds one whenever a job arrives while no thread
 * is idle, up to max_threads; beyond that jobs queue until a thread is free.
 *
 * A job goes straight to one idle thread: idle threads form a stack (the
 * most recently idle one, whose stack and caches are warm, is taken first),
 * each sleeps on its own semaphore, and submitting hands the job to the top
 * thread and posts its semaphore after the pool's mutex is released. So
 * each job costs one wake-up of one thread, and the woken thread does not
 * queue on the pool's mutex behind the submitter (a shared condition
 * variable woke a thread that then blocked on the mutex the submitter still
 * held). Stopping drains the queue, then joins. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

#include "common/common.h"
#include "server/gs_internal.h"

typedef struct gs_job {
    struct gs_job *next;
    void (*fn)(void *);
    void *arg;
} gs_job;

typedef struct gs_worker {
    gs_pool *pool;
    pthread_t th;
    sem_t sem;                   /* posted once for each time the worker was taken off idle */
    struct gs_worker *next_idle; /* mu */
    void (*fn)(void *);          /* mu: the job handed to this worker, NULL if none */
    void *arg;
} gs_worker;

struct gs_pool {
    pthread_mutex_t mu;
    gs_job *head, *tail; /* jobs no thread could take yet */
    gs_worker *workers;  /* max slots; the first nthreads are running */
    gs_worker *idle;     /* stack of idle workers */
    int nthreads, max;
    bool stop;
};

static void *worker_main(void *arg)
{
    gs_worker *w = arg;
    gs_pool *p = w->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        void (*fn)(void *) = w->fn;
        void *farg = w->arg;
        gs_job *j = NULL;
        if (fn) {
            w->fn = NULL;
            w->arg = NULL;
        } else if (p->head) {
            j = p->head;
            p->head = j->next;
            if (!p->head)
                p->tail = NULL;
            fn = j->fn;
            farg = j->arg;
        } else if (p->stop) {
            break; /* stopping and drained */
        } else {
            w->next_idle = p->idle;
            p->idle = w;
            pthread_mutex_unlock(&p->mu);
            while (sem_wait(&w->sem) != 0 && errno == EINTR)
                ;
            pthread_mutex_lock(&p->mu);
            continue;
        }
        pthread_mutex_unlock(&p->mu);
        seal_free(j);
        fn(farg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Called with mu held; the new thread starts with fn(arg) when fn is set. */
static int spawn_locked(gs_pool *p, void (*fn)(void *), void *arg)
{
    if (p->nthreads >= p->max)
        return SEAL_ELIMIT;
    gs_worker *w = &p->workers[p->nthreads];
    w->pool = p;
    w->next_idle = NULL;
    w->fn = fn;
    w->arg = arg;
    if (sem_init(&w->sem, 0, 0) != 0)
        return SEAL_ENOMEM;
    if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
        sem_destroy(&w->sem);
        w->fn = NULL;
        w->arg = NULL;
        return SEAL_ENOMEM;
    }
    p->nthreads++;
    return 0;
}

int gs_pool_new(gs_pool **out, int min_threads, int max_threads)
{
    if (min_threads < 1)
        min_threads = 1;
    if (max_threads < min_threads)
        max_threads = min_threads;
    gs_pool *p = seal_calloc(1, sizeof(*p));
    if (!p)
        return SEAL_ENOMEM;
    p->workers = seal_calloc((size_t)max_threads, sizeof(gs_worker));
    if (!p->workers) {
        seal_free(p);
        return SEAL_ENOMEM;
    }
    p->max = max_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    for (int i = 0; i < min_threads && rc == 0; i++)
        rc = spawn_locked(p, NULL, NULL);
    pthread_mutex_unlock(&p->mu);
    if (rc != 0) {
        gs_pool_stop(p);
        gs_pool_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int gs_pool_submit(gs_pool *p, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&p->mu);
    if (p->stop) {
        pthread_mutex_unlock(&p->mu);
        return SEAL_ECLOSED;
    }
    gs_worker *w = p->idle;
    if (w) {
        p->idle = w->next_idle;
        w->next_idle = NULL;
        w->fn = fn;
        w->arg = arg;
        pthread_mutex_unlock(&p->mu);
        sem_post(&w->sem);
        return 0;
    }
    if (spawn_locked(p, fn, arg) == 0) {
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    /* every thread is busy and no more can start: the job waits */
    gs_job *j = seal_malloc(sizeof(*j));
    if (!j) {
        pthread_mutex_unlock(&p->mu);
        return SEAL_ENOMEM;
    }
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void gs_pool_stop(gs_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    gs_worker *idle = p->idle;
    p->idle = NULL;
    int n = p->nthreads;
    pthread_mutex_unlock(&p->mu);
    while (idle) {
        gs_worker *next = idle->next_idle;
        idle->next_idle = NULL;
        sem_post(&idle->sem);
        idle = next;
    }
    for (int i = 0; i < n; i++)
        pthread_join(p->workers[i].th, NULL);
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < n; i++)
        sem_destroy(&p->workers[i].sem);
    p->nthreads = 0;
    pthread_mutex_unlock(&p->mu);
}

void gs_pool_free(gs_pool *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->mu);
    seal_free(p->workers);
    seal_free(p);
}

int gs_pool_threads(gs_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->nthreads;
    pthread_mutex_unlock(&p->mu);
    return n;
}
