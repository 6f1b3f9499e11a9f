/* segfile.c - segmented append-only files (see log.h for the model).
 *
 * Layout on disk: a directory holding 00000000.<ext>, 00000001.<ext>, ...;
 * the concatenation of the segments, in number order, is the logical file.
 * There is no header or footer in a segment: what a record looks like is the
 * business of the format on top (tx log, value log, commit index, ahtree).
 *
 * One writer thread appends through a write buffer; any number of reader
 * threads read with pread through a small cache of read-only descriptors
 * (reference counted, so a reader never has its descriptor closed under it).
 * All bookkeeping (segment lengths, the cache) is under one mutex; the
 * preads themselves run outside it.
 *
 * The writer reserves the last segment's blocks ahead of its writes with
 * fallocate(FALLOC_FL_KEEP_SIZE) (prealloc): appends then find their
 * blocks allocated, instead of the page cache reserving them one by one and
 * write-back allocating them in the fdatasync. The file size is untouched,
 * so it still ends exactly after the last byte written: reserved blocks
 * past it are not part of the file's content, and recovery's end-of-data
 * rule does not change. */
#include "log/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SEGF_CACHE     32
#define SEGF_BUF_FLUSH (4u << 20)   /* flush the write buffer beyond this */
#define SEGF_DIRECT    (256u << 10) /* write records this big straight to the file */
/* segf_appendv writes pieces totalling this much straight from the caller's
 * memory (one pwritev) instead of copying them into the write buffer */
#define SEGF_DIRECT_V (32u << 10)
#define SEGF_IOV      64 /* iovecs per pwritev */
/* The writer reserves the blocks of the last segment ahead of its writes
 * (fallocate, FALLOC_FL_KEEP_SIZE: the file size, which is where the data
 * ends, does not move), as far ahead as the segment is long, from 64 KiB
 * to 8 MiB (a small file does not get megabytes it may never use) */
#define SEGF_PREALLOC_MIN (64u << 10)
#define SEGF_PREALLOC_MAX (8u << 20)

struct cache_ent {
    uint32_t seg;
    int fd;
    int refs;
    bool stale; /* segment removed: close when refs drop to 0 */
    uint64_t tick;
};

struct segf {
    char *dir;
    char ext[16];
    uint64_t seg_size;
    pthread_mutex_t mu;
    uint32_t nsegs;
    uint64_t *lens; /* bytes on disk per segment */
    uint32_t lens_cap;
    /* writer */
    bool ro; /* opened read-only (segf_open_ro): no writes, no descriptor for writing */
    int wfd; /* last segment, read-write; -1 when there is none */
    bool dirty;
    bool no_prealloc;     /* fallocate is not supported here */
    uint64_t prealloc;    /* blocks of the last segment are reserved up to here */
    atomic_bool sync_err; /* an fdatasync failed: the page cache may not match the disk */
    uint8_t *buf;
    size_t blen, bcap;
    uint64_t written;
    /* readers */
    struct cache_ent cache[SEGF_CACHE];
    uint64_t tick;
};

static atomic_llong g_fail_budget = -1;
static atomic_int g_fail_err = SEAL_EIO;
static atomic_int g_fail_sync = 0;

void segf_fail_after(long long bytes, int err)
{
    /* A writer may be deciding on an injected failure right now: it must
     * never see the budget of one setting with the error of another (an
     * error of 0 made a cut write look successful). Arming sets the error
     * first, disarming the budget first, and injected_err never gives 0. */
    if (bytes >= 0) {
        atomic_store(&g_fail_err, err);
        atomic_store(&g_fail_budget, bytes);
    } else {
        atomic_store(&g_fail_budget, bytes);
        atomic_store(&g_fail_err, err);
    }
}

/* The error of an injected failure: never 0, whatever the test set. */
static int injected_err(void)
{
    int e = atomic_load(&g_fail_err);
    return e ? e : SEAL_EIO;
}

void segf_fail_sync(int n)
{
    atomic_store(&g_fail_sync, n);
}

static _Atomic(const segf_recorder *) g_rec;

void segf_set_recorder(const segf_recorder *r)
{
    atomic_store(&g_rec, r);
}

static int errno_rc(int e)
{
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return SEAL_ENOSPACE;
    return SEAL_EIO;
}

void segf_seg_path(const segf *f, uint32_t seg, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%08u.%s", f->dir, seg, f->ext);
}

const char *segf_dir(const segf *f)
{
    return f->dir;
}

uint64_t segf_seg_size(const segf *f)
{
    return f->seg_size;
}

bool segf_sync_error(const segf *f)
{
    return atomic_load(&f->sync_err);
}

uint64_t segf_written(const segf *f)
{
    return f->written;
}

static int full_pwrite_(int fd, const uint8_t *p, size_t n, uint64_t off);

static int full_pwrite(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    const segf_recorder *r = atomic_load(&g_rec);
    if (!r)
        return full_pwrite_(fd, p, n, off);
    struct iovec v = {(void *)(uintptr_t)p, n};
    r->write_begin(r->arg, fd, off, &v, 1);
    int rc = full_pwrite_(fd, p, n, off);
    r->write_end(r->arg);
    return rc;
}

static int full_pwrite_(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    long long budget = atomic_load(&g_fail_budget);
    if (budget >= 0) {
        if ((long long)n > budget) {
            /* write the part that "fits", then fail like a full disk */
            size_t part = (size_t)budget;
            atomic_store(&g_fail_budget, 0);
            if (part > 0 && pwrite(fd, p, part, (off_t)off) < 0)
                return errno_rc(errno);
            return injected_err();
        }
        atomic_fetch_sub(&g_fail_budget, (long long)n);
    }
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int rc = errno_rc(errno);
            SEAL_LOGE("log", "write failed at offset %llu: %s", (unsigned long long)off,
                      strerror(errno));
            return rc;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* pwritev of |n| pieces at |off|, all of them (short writes continued),
 * with the fault injection of full_pwrite. */
static int full_pwritev_(int fd, const struct iovec *iov, size_t n, uint64_t off);

static int full_pwritev(int fd, const struct iovec *iov, size_t n, uint64_t off)
{
    const segf_recorder *r = atomic_load(&g_rec);
    if (!r)
        return full_pwritev_(fd, iov, n, off);
    r->write_begin(r->arg, fd, off, iov, n);
    int rc = full_pwritev_(fd, iov, n, off);
    r->write_end(r->arg);
    return rc;
}

static int full_pwritev_(int fd, const struct iovec *iov, size_t n, uint64_t off)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += iov[i].iov_len;
    size_t limit = total; /* bytes to write before failing */
    int fail = 0;
    long long budget = atomic_load(&g_fail_budget);
    if (budget >= 0) {
        if ((long long)total > budget) {
            /* write the part that "fits", then fail like a full disk */
            limit = (size_t)budget;
            atomic_store(&g_fail_budget, 0);
            fail = injected_err();
        } else {
            atomic_fetch_sub(&g_fail_budget, (long long)total);
        }
    }
    size_t i = 0, skip = 0; /* next byte: iov[i] + skip */
    while (limit > 0) {
        struct iovec v[SEGF_IOV];
        int k = 0;
        size_t want = 0;
        for (size_t j = i, sk = skip; j < n && k < SEGF_IOV && want < limit; j++, sk = 0) {
            size_t len = iov[j].iov_len - sk;
            if (len == 0)
                continue;
            if (len > limit - want)
                len = limit - want;
            v[k].iov_base = (uint8_t *)iov[j].iov_base + sk;
            v[k].iov_len = len;
            want += len;
            k++;
        }
        ssize_t w = pwritev(fd, v, k, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int rc = errno_rc(errno);
            SEAL_LOGE("log", "write failed at offset %llu: %s", (unsigned long long)off,
                      strerror(errno));
            return fail ? fail : rc;
        }
        if (w == 0)
            return SEAL_EIO;
        size_t done = (size_t)w;
        off += done;
        limit -= done;
        while (done > 0) {
            size_t len = iov[i].iov_len - skip;
            if (done < len) {
                skip += done;
                done = 0;
            } else {
                done -= len;
                i++;
                skip = 0;
            }
        }
    }
    return fail;
}

/* Reserves the blocks of the last segment up to |end| (and a chunk beyond,
 * within the segment) before a write there, so that the page cache does not
 * reserve them block by block and write-back does not allocate them. A
 * hint: the file size is unchanged and a failure changes nothing. */
static void prealloc(segf *f, uint64_t end)
{
    if (end <= f->prealloc || f->no_prealloc || end > f->seg_size)
        return;
    uint64_t ahead = SEAL_MIN(SEAL_MAX(end, SEGF_PREALLOC_MIN), SEGF_PREALLOC_MAX);
    uint64_t to = (end + ahead + SEGF_PREALLOC_MIN - 1) / SEGF_PREALLOC_MIN * SEGF_PREALLOC_MIN;
    if (to > f->seg_size)
        to = f->seg_size;
    if (fallocate(f->wfd, FALLOC_FL_KEEP_SIZE, (off_t)f->prealloc, (off_t)(to - f->prealloc)) !=
        0) {
        if (errno == EOPNOTSUPP || errno == ENOSYS)
            f->no_prealloc = true;
        return; /* ENOSPC and the like: the write itself will tell */
    }
    f->prealloc = to;
}

static int full_pread(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return SEAL_EIO;
        }
        if (r == 0)
            return SEAL_ECORRUPT; /* file shorter than we knew it to be */
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int do_sync_(int fd)
{
    if (atomic_load(&g_fail_sync) > 0 && atomic_fetch_sub(&g_fail_sync, 1) == 1)
        return SEAL_EIO;
    if (fdatasync(fd) != 0) {
        SEAL_LOGE("log", "fdatasync failed: %s", strerror(errno));
        return SEAL_EIO;
    }
    return 0;
}

static int do_sync(int fd)
{
    const segf_recorder *r = atomic_load(&g_rec);
    if (!r)
        return do_sync_(fd);
    uint64_t token = 0;
    r->sync_begin(r->arg, fd, &token);
    int rc = do_sync_(fd);
    r->sync_end(r->arg, fd, token, rc);
    return rc;
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

static int ensure_lens(segf *f, uint32_t n)
{
    if (n <= f->lens_cap)
        return 0;
    uint32_t cap = f->lens_cap ? f->lens_cap : 16;
    while (cap < n)
        cap *= 2;
    uint64_t *l = seal_realloc(f->lens, cap * sizeof(*l));
    if (!l)
        return SEAL_ENOMEM;
    memset(l + f->lens_cap, 0, (cap - f->lens_cap) * sizeof(*l));
    f->lens = l;
    f->lens_cap = cap;
    return 0;
}

static int parse_seg_name(const char *name, const char *ext, uint32_t *seg)
{
    size_t el = strlen(ext);
    size_t nl = strlen(name);
    if (nl != 8 + 1 + el || name[8] != '.' || strcmp(name + 9, ext) != 0)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (uint32_t)(name[i] - '0');
    }
    *seg = v;
    return 0;
}

static int open_common(segf **out, const char *dir, const char *ext, uint64_t seg_size, bool create,
                       bool ro)
{
    int rc = 0;
    DIR *d = NULL;
    segf *f = seal_calloc(1, sizeof(*f));
    if (!f)
        return SEAL_ENOMEM;
    f->wfd = -1;
    f->ro = ro;
    for (int i = 0; i < SEGF_CACHE; i++)
        f->cache[i].fd = -1;
    pthread_mutex_init(&f->mu, NULL);
    f->seg_size = seg_size;
    snprintf(f->ext, sizeof(f->ext), "%s", ext);
    f->dir = seal_strdup(dir);
    if (!f->dir) {
        rc = SEAL_ENOMEM;
        goto out;
    }
    if (create && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        SEAL_LOGE("log", "cannot create %s: %s", dir, strerror(errno));
        rc = SEAL_EIO;
        goto out;
    }
    d = opendir(dir);
    if (!d && ro && errno == ENOENT) {
        *out = f; /* a log that was never created reads as empty */
        return 0;
    }
    if (!d) {
        SEAL_LOGE("log", "cannot open %s: %s", dir, strerror(errno));
        rc = errno == ENOENT ? SEAL_ENOTFOUND : SEAL_EIO;
        goto out;
    }
    uint32_t count = 0, maxseg = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t seg;
        if (parse_seg_name(de->d_name, ext, &seg) != 0)
            continue;
        count++;
        if (seg > maxseg)
            maxseg = seg;
    }
    if (count > 0) {
        if (maxseg + 1 != count || maxseg > LOG_MAX_SEG) {
            SEAL_LOGE("log", "%s: segments are not contiguous (%u files, highest %08u)", dir, count,
                      maxseg);
            rc = SEAL_ECORRUPT;
            goto out;
        }
        if ((rc = ensure_lens(f, count)) != 0)
            goto out;
        for (uint32_t s = 0; s < count; s++) {
            char path[PATH_MAX];
            struct stat st;
            segf_seg_path(f, s, path, sizeof(path));
            if (stat(path, &st) != 0) {
                rc = SEAL_EIO;
                goto out;
            }
            f->lens[s] = (uint64_t)st.st_size;
        }
        f->nsegs = count;
        if (ro)
            goto done;
        char path[PATH_MAX];
        segf_seg_path(f, count - 1, path, sizeof(path));
        f->wfd = open(path, O_RDWR | O_CLOEXEC);
        f->prealloc = f->lens[count - 1];
        if (f->wfd < 0) {
            SEAL_LOGE("log", "cannot open %s: %s", path, strerror(errno));
            rc = SEAL_EIO;
            goto out;
        }
    }
done:
    *out = f;
    f = NULL;
out:
    if (d)
        closedir(d);
    if (f)
        segf_close(f);
    return rc;
}

int segf_open(segf **out, const char *dir, const char *ext, uint64_t seg_size, bool create)
{
    return open_common(out, dir, ext, seg_size, create, false);
}

int segf_open_ro(segf **out, const char *dir, const char *ext, uint64_t seg_size)
{
    return open_common(out, dir, ext, seg_size, false, true);
}

void segf_close(segf *f)
{
    if (!f)
        return;
    if (f->wfd >= 0)
        close(f->wfd);
    for (int i = 0; i < SEGF_CACHE; i++)
        if (f->cache[i].fd >= 0)
            close(f->cache[i].fd);
    pthread_mutex_destroy(&f->mu);
    seal_free(f->lens);
    seal_free(f->buf);
    seal_free(f->dir);
    seal_free(f);
}

uint32_t segf_nsegs(const segf *f)
{
    return f->nsegs;
}

uint64_t segf_seg_len(segf *f, uint32_t seg)
{
    pthread_mutex_lock(&f->mu);
    uint64_t n = 0;
    if (seg < f->nsegs) {
        n = f->lens[seg];
        if (seg == f->nsegs - 1)
            n += f->blen;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

uint64_t segf_end(segf *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t loc = 0;
    if (f->nsegs > 0)
        loc = log_loc(f->nsegs - 1, f->lens[f->nsegs - 1] + f->blen);
    pthread_mutex_unlock(&f->mu);
    return loc;
}

uint64_t segf_next_loc(segf *f, size_t n)
{
    pthread_mutex_lock(&f->mu);
    uint64_t loc = 0;
    if (f->nsegs > 0) {
        uint64_t cur = f->lens[f->nsegs - 1] + f->blen;
        if (cur > 0 && cur + n > f->seg_size)
            loc = log_loc(f->nsegs, 0);
        else
            loc = log_loc(f->nsegs - 1, cur);
    }
    pthread_mutex_unlock(&f->mu);
    return loc;
}

uint64_t segf_total(segf *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t n = f->blen;
    for (uint32_t s = 0; s < f->nsegs; s++)
        n += f->lens[s];
    pthread_mutex_unlock(&f->mu);
    return n;
}

uint64_t segf_rec_count(segf *f, size_t recsize)
{
    uint64_t per = f->seg_size / recsize;
    uint64_t count = 0;
    pthread_mutex_lock(&f->mu);
    for (uint32_t s = 0; s < f->nsegs; s++) {
        uint64_t len = f->lens[s] + (s == f->nsegs - 1 ? f->blen : 0);
        uint64_t recs = len / recsize;
        if (recs > per)
            recs = per;
        count += recs;
        if (recs < per)
            break; /* a short segment ends the valid prefix */
    }
    pthread_mutex_unlock(&f->mu);
    return count;
}

/* Gets a read descriptor for |seg| (mu held); returns the cache slot or -1
 * and sets *fd_out to a private descriptor the caller closes. */
static int cache_get(segf *f, uint32_t seg, int *fd_out, int *rc)
{
    int victim = -1;
    for (int i = 0; i < SEGF_CACHE; i++) {
        struct cache_ent *c = &f->cache[i];
        if (c->fd >= 0 && !c->stale && c->seg == seg) {
            c->refs++;
            c->tick = ++f->tick;
            *fd_out = c->fd;
            return i;
        }
        if (c->refs == 0 && (victim < 0 || c->fd < 0 ||
                             (f->cache[victim].fd >= 0 && c->tick < f->cache[victim].tick)))
            victim = i;
    }
    char path[PATH_MAX];
    segf_seg_path(f, seg, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *rc = errno == ENOENT ? SEAL_ECORRUPT : SEAL_EIO;
        return -2;
    }
    if (victim < 0) {
        *fd_out = fd;
        return -1;
    }
    struct cache_ent *c = &f->cache[victim];
    if (c->fd >= 0)
        close(c->fd);
    c->fd = fd;
    c->seg = seg;
    c->refs = 1;
    c->stale = false;
    c->tick = ++f->tick;
    *fd_out = fd;
    return victim;
}

static void cache_put(segf *f, int slot, int fd)
{
    if (slot < 0) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&f->mu);
    struct cache_ent *c = &f->cache[slot];
    c->refs--;
    if (c->refs == 0 && c->stale) {
        close(c->fd);
        c->fd = -1;
        c->stale = false;
    }
    pthread_mutex_unlock(&f->mu);
}

int segf_read(segf *f, uint64_t loc, void *buf, size_t n)
{
    uint32_t seg = log_loc_seg(loc);
    uint64_t off = log_loc_off(loc);
    uint8_t *dst = buf;
    int rc = 0;
    if (n == 0)
        return 0;
    pthread_mutex_lock(&f->mu);
    if (seg >= f->nsegs) {
        pthread_mutex_unlock(&f->mu);
        return SEAL_ECORRUPT;
    }
    uint64_t disk = f->lens[seg];
    bool last = seg == f->nsegs - 1;
    uint64_t total = disk + (last ? f->blen : 0);
    if (off + n > total || off + n < off) {
        pthread_mutex_unlock(&f->mu);
        return SEAL_ECORRUPT;
    }
    if (last && off + n > disk) {
        /* (part of) the range is still in the write buffer */
        size_t from_buf_start = off > disk ? (size_t)(off - disk) : 0;
        size_t ndisk = off < disk ? (size_t)(disk - off) : 0;
        memcpy(dst + ndisk, f->buf + from_buf_start, n - ndisk);
        n = ndisk;
        if (n == 0) {
            pthread_mutex_unlock(&f->mu);
            return 0;
        }
    }
    int fd = -1;
    int slot = cache_get(f, seg, &fd, &rc);
    pthread_mutex_unlock(&f->mu);
    if (slot == -2)
        return rc;
    rc = full_pread(fd, dst, n, off);
    cache_put(f, slot, fd);
    return rc;
}

int segf_flush(segf *f)
{
    if (f->blen == 0)
        return 0;
    uint32_t last = f->nsegs - 1;
    prealloc(f, f->lens[last] + f->blen);
    int rc = full_pwrite(f->wfd, f->buf, f->blen, f->lens[last]);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&f->mu);
    f->lens[last] += f->blen;
    f->blen = 0;
    pthread_mutex_unlock(&f->mu);
    f->dirty = true;
    return 0;
}

/* Creates segment |seg| (= nsegs) and makes it the write segment. */
static int new_segment(segf *f)
{
    int rc;
    if (f->nsegs > LOG_MAX_SEG)
        return SEAL_ELIMIT;
    if ((rc = ensure_lens(f, f->nsegs + 1)) != 0)
        return rc;
    char path[PATH_MAX];
    segf_seg_path(f, f->nsegs, path, sizeof(path));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        SEAL_LOGE("log", "cannot create %s: %s", path, strerror(errno));
        return errno_rc(errno);
    }
    if ((rc = sync_dir(f->dir)) != 0) {
        close(fd);
        unlink(path);
        return rc;
    }
    pthread_mutex_lock(&f->mu);
    if (f->wfd >= 0)
        close(f->wfd);
    f->wfd = fd;
    f->prealloc = 0;
    f->lens[f->nsegs] = 0;
    f->nsegs++;
    pthread_mutex_unlock(&f->mu);
    f->dirty = false;
    return 0;
}

/* Appends the |n| pieces of |iov| as one record: written straight from the
 * caller's memory when it is |direct| bytes or more, else copied into the
 * write buffer. */
static int append_iov(segf *f, const struct iovec *iov, size_t n, size_t direct, uint64_t *loc)
{
    int rc;
    size_t total = 0;
    if (f->ro)
        return SEAL_ESTATE;
    for (size_t i = 0; i < n; i++)
        total += iov[i].iov_len;
    if (f->nsegs == 0 && (rc = new_segment(f)) != 0)
        return rc;
    uint64_t cur = f->lens[f->nsegs - 1] + f->blen;
    if (cur > 0 && cur + total > f->seg_size) {
        /* leave the segment complete and durable before starting the next */
        if ((rc = segf_flush(f)) != 0)
            return rc;
        if ((rc = do_sync(f->wfd)) != 0) {
            atomic_store(&f->sync_err, true);
            return rc;
        }
        if ((rc = new_segment(f)) != 0)
            return rc;
        cur = 0;
    }
    if (loc)
        *loc = log_loc(f->nsegs - 1, cur);
    if (total >= direct) {
        /* large: from the caller's memory to the file, no copy here */
        if ((rc = segf_flush(f)) != 0)
            return rc;
        prealloc(f, cur + total);
        if ((rc = full_pwritev(f->wfd, iov, n, cur)) != 0)
            return rc;
        pthread_mutex_lock(&f->mu);
        f->lens[f->nsegs - 1] += total;
        pthread_mutex_unlock(&f->mu);
        f->dirty = true;
        f->written += total;
        return 0;
    }
    pthread_mutex_lock(&f->mu);
    if (f->blen + total > f->bcap) {
        size_t cap = f->bcap ? f->bcap : 64 * 1024;
        while (cap < f->blen + total)
            cap *= 2;
        uint8_t *b = seal_realloc(f->buf, cap);
        if (!b) {
            pthread_mutex_unlock(&f->mu);
            return SEAL_ENOMEM;
        }
        f->buf = b;
        f->bcap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        if (iov[i].iov_len)
            memcpy(f->buf + f->blen, iov[i].iov_base, iov[i].iov_len);
        f->blen += iov[i].iov_len;
    }
    pthread_mutex_unlock(&f->mu);
    f->written += total;
    if (f->blen >= SEGF_BUF_FLUSH && (rc = segf_flush(f)) != 0)
        return rc;
    return 0;
}

int segf_appendv(segf *f, const struct iovec *iov, size_t n, uint64_t *loc)
{
    return append_iov(f, iov, n, SEGF_DIRECT_V, loc);
}

int segf_append(segf *f, const void *p, size_t n, uint64_t *loc)
{
    struct iovec v = {(void *)(uintptr_t)p, n};
    return append_iov(f, &v, 1, SEGF_DIRECT, loc);
}

int segf_sync(segf *f)
{
    int rc;
    if ((rc = segf_flush(f)) != 0)
        return rc;
    if (f->wfd < 0 || !f->dirty)
        return 0;
    if ((rc = do_sync(f->wfd)) != 0) {
        atomic_store(&f->sync_err, true);
        return rc;
    }
    f->dirty = false;
    return 0;
}

int segf_dup_fd(segf *f, int *fd)
{
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    *fd = -1;
    if (f->wfd >= 0) {
        *fd = fcntl(f->wfd, F_DUPFD_CLOEXEC, 0);
        if (*fd < 0)
            rc = SEAL_EIO;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int segf_fd_sync(segf *f, int fd)
{
    if (fd < 0)
        return 0;
    int rc = do_sync(fd);
    if (rc)
        atomic_store(&f->sync_err, true);
    close(fd);
    return rc;
}

static int segf_truncate_(segf *f, uint64_t loc);

int segf_truncate(segf *f, uint64_t loc)
{
    const segf_recorder *r = atomic_load(&g_rec);
    if (!r)
        return segf_truncate_(f, loc);
    r->truncate_begin(r->arg);
    pthread_mutex_lock(&f->mu);
    bool noop = log_loc_seg(loc) >= f->nsegs; /* nothing cut, nothing synced */
    pthread_mutex_unlock(&f->mu);
    int rc = segf_truncate_(f, loc);
    pthread_mutex_lock(&f->mu);
    int fd = f->wfd;
    pthread_mutex_unlock(&f->mu);
    r->truncate_end(r->arg, rc == 0 && !noop ? fd : -1);
    return rc;
}

static int segf_truncate_(segf *f, uint64_t loc)
{
    uint32_t seg = log_loc_seg(loc);
    uint64_t off = log_loc_off(loc);
    char path[PATH_MAX];
    int rc = 0;
    if (f->ro)
        return SEAL_ESTATE;
    pthread_mutex_lock(&f->mu);
    f->blen = 0;
    pthread_mutex_unlock(&f->mu);
    if (seg >= f->nsegs)
        return 0;
    pthread_mutex_lock(&f->mu);
    if (f->wfd >= 0) {
        close(f->wfd);
        f->wfd = -1;
    }
    pthread_mutex_unlock(&f->mu);
    /* remove later segments, last first so that a crash leaves no gap */
    for (uint32_t s = f->nsegs; s-- > seg + 1;) {
        pthread_mutex_lock(&f->mu);
        for (int i = 0; i < SEGF_CACHE; i++) {
            struct cache_ent *c = &f->cache[i];
            if (c->fd >= 0 && c->seg == s) {
                if (c->refs == 0) {
                    close(c->fd);
                    c->fd = -1;
                } else {
                    c->stale = true;
                }
            }
        }
        f->nsegs = s;
        pthread_mutex_unlock(&f->mu);
        segf_seg_path(f, s, path, sizeof(path));
        if (unlink(path) != 0 && errno != ENOENT) {
            rc = SEAL_EIO;
            goto out;
        }
    }
    segf_seg_path(f, seg, path, sizeof(path));
    int nfd = open(path, O_RDWR | O_CLOEXEC);
    if (nfd < 0) {
        rc = SEAL_EIO;
        goto out;
    }
    pthread_mutex_lock(&f->mu);
    f->wfd = nfd;
    pthread_mutex_unlock(&f->mu);
    /* always: a failed write may have left bytes past what we counted */
    struct stat st;
    if (fstat(f->wfd, &st) != 0) {
        rc = SEAL_EIO;
        goto out;
    }
    if ((uint64_t)st.st_size != off && ftruncate(f->wfd, (off_t)off) != 0) {
        rc = errno_rc(errno);
        goto out;
    }
    pthread_mutex_lock(&f->mu);
    f->lens[seg] = off;
    f->prealloc = off;
    pthread_mutex_unlock(&f->mu);
    if (fsync(f->wfd) != 0) {
        rc = SEAL_EIO;
        goto out;
    }
    rc = sync_dir(f->dir);
out:
    f->dirty = false;
    return rc;
}
