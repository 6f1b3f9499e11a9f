/* gs_pool.c - the worker thread pool on which gRPC handlers run. Starts
 * min_threads threads and adds one whenever more jobs are queued than
 * threads are idle (a signalled thread still counts as idle until it wakes,
 * so comparing with the queue length, not with zero, keeps the pool growing
 * on a loaded machine), up to max_threads. Stopping drains the queue, then joins. */
#include <pthread.h>

#include "common/common.h"
#include "server/gs_internal.h"

typedef struct gs_job {
    struct gs_job *next;
    void (*fn)(void *);
    void *arg;
} gs_job;

struct gs_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    gs_job *head, *tail;
    pthread_t *threads;
    int nthreads, idle, max;
    long queued; /* jobs in the queue, not yet taken */
    bool stop;
};

static void *worker_main(void *arg)
{
    gs_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop) {
            p->idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->idle--;
        }
        gs_job *j = p->head;
        if (!j)
            break; /* stopping and drained */
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        seal_free(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Called with mu held. */
static int spawn_locked(gs_pool *p)
{
    if (p->nthreads >= p->max)
        return SEAL_ELIMIT;
    if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0)
        return SEAL_ENOMEM;
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
    p->threads = seal_calloc((size_t)max_threads, sizeof(pthread_t));
    if (!p->threads) {
        seal_free(p);
        return SEAL_ENOMEM;
    }
    p->max = max_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    for (int i = 0; i < min_threads && rc == 0; i++)
        rc = spawn_locked(p);
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
    gs_job *j = seal_malloc(sizeof(*j));
    if (!j)
        return SEAL_ENOMEM;
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&p->mu);
    if (p->stop) {
        pthread_mutex_unlock(&p->mu);
        seal_free(j);
        return SEAL_ECLOSED;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    if (p->queued > p->idle && p->nthreads < p->max)
        (void)spawn_locked(p); /* on failure the queued job waits for a busy thread */
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void gs_pool_stop(gs_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    int n = p->nthreads;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_lock(&p->mu);
    p->nthreads = 0;
    pthread_mutex_unlock(&p->mu);
}

void gs_pool_free(gs_pool *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    seal_free(p->threads);
    seal_free(p);
}

int gs_pool_threads(gs_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->nthreads;
    pthread_mutex_unlock(&p->mu);
    return n;
}
