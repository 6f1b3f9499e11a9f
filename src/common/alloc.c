/* alloc.c - allocation through replaceable hooks, with fail-Nth injection
 * so that tests can check every out-of-memory path. */
#include "common/common.h"

#include <stdatomic.h>
#include <stdlib.h>

static seal_allocator g_alloc = {malloc, realloc, free};
static atomic_long g_count;
static atomic_long g_fail_at; /* absolute allocation number that fails, 0 = never */
static atomic_bool g_fail_sticky;

void seal_set_allocator(const seal_allocator *a)
{
    g_alloc.malloc_fn = a && a->malloc_fn ? a->malloc_fn : malloc;
    g_alloc.realloc_fn = a && a->realloc_fn ? a->realloc_fn : realloc;
    g_alloc.free_fn = a && a->free_fn ? a->free_fn : free;
}

void seal_alloc_fail_at(long nth, bool sticky)
{
    atomic_store(&g_fail_sticky, sticky);
    atomic_store(&g_fail_at, nth > 0 ? atomic_load(&g_count) + nth : 0);
}

long seal_alloc_count(void)
{
    return atomic_load(&g_count);
}

static bool should_fail(void)
{
    long n = atomic_fetch_add(&g_count, 1) + 1;
    long at = atomic_load(&g_fail_at);
    if (at == 0)
        return false;
    return n == at || (atomic_load(&g_fail_sticky) && n > at);
}

void *seal_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return g_alloc.malloc_fn(n ? n : 1);
}

void *seal_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    size_t total = count * size;
    void *p = seal_malloc(total);
    if (p)
        memset(p, 0, total > 0 ? total : 1);
    return p;
}

void *seal_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return g_alloc.realloc_fn(p, n ? n : 1);
}

void seal_free(void *p)
{
    if (p)
        g_alloc.free_fn(p);
}

char *seal_strdup(const char *s)
{
    return s ? seal_memdup(s, strlen(s) + 1) : NULL;
}

void *seal_memdup(const void *p, size_t n)
{
    void *q = seal_malloc(n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}
