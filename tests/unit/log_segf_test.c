/* log_segf_test.c - the segmented file's writer: records appended through
 * the write buffer and large ones written straight from the caller's
 * memory (segf_appendv from 32 KiB) land where segf_append said, read back
 * the same from the writer and from the files, and each segment file's size
 * is exactly the end of its data; a reopened file and a truncated one go on
 * appending at the end of the data. */
#include "testlib.h"

#include "log/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SEG (1u << 20)

static uint8_t g_data[4u << 20]; /* the logical file's expected content */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static long long file_size(const char *dir, uint32_t seg)
{
    char p[700];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%08u.dat", dir, seg);
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static bool fallocate_works(const char *dir)
{
    char p[700];
    snprintf(p, sizeof(p), "%s/probe", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    bool ok = fd >= 0 && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536) == 0;
    if (fd >= 0)
        close(fd);
    unlink(p);
    return ok;
}

/* Every segment's size is its data, and its bytes are the expected ones. */
static void check_files(const char *dir, segf *f, const uint64_t *seg_len, uint32_t nsegs,
                        const uint64_t *seg_start)
{
    CHECK_INT(segf_nsegs(f), nsegs);
    for (uint32_t s = 0; s < nsegs; s++) {
        CHECK_INT(file_size(dir, s), (long long)seg_len[s]);
        CHECK_INT(segf_seg_len(f, s), seg_len[s]);
        uint8_t *buf = malloc(seg_len[s] + 1);
        char p[700];
        snprintf(p, sizeof(p), "%s/%08u.dat", dir, s);
        int fd = open(p, O_RDONLY);
        CHECK(fd >= 0 && buf != NULL);
        if (fd >= 0 && buf) {
            ssize_t r = pread(fd, buf, seg_len[s] + 1, 0);
            CHECK_INT(r, (long long)seg_len[s]);
            if (r == (ssize_t)seg_len[s])
                CHECK_MEM(buf, g_data + seg_start[s], seg_len[s]);
        }
        if (fd >= 0)
            close(fd);
        free(buf);
    }
}

static void test_append_and_reserve(void)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", t_path("segf"));
    fill(g_data, sizeof(g_data), 7);
    segf *f;
    CHECK_OK(segf_open(&f, dir, "dat", SEG, true));
    uint64_t seg_len[8] = {0}, seg_start[8] = {0};
    uint32_t nsegs = 0;
    uint64_t pos = 0; /* bytes of g_data used */
    /* small records, large ones (vectored and direct, or plain: buffered
     * below 256 KiB, direct above), ... over three segments */
    size_t sizes[] = {100, 40000, 17, 300000, 5000, 70000, 1, 250000, 64, 200000};
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < SEAL_ARRAY_LEN(sizes); i++) {
            size_t n = sizes[i];
            uint64_t want = segf_next_loc(f, n), loc;
            if (n >= 32768 && round != 1) {
                /* three pieces, one record */
                struct iovec iov[3] = {{g_data + pos, n / 3},
                                       {g_data + pos + n / 3, n / 3},
                                       {g_data + pos + 2 * (n / 3), n - 2 * (n / 3)}};
                CHECK_OK(segf_appendv(f, iov, 3, &loc));
            } else {
                CHECK_OK(segf_append(f, g_data + pos, n, &loc));
            }
            CHECK_INT(loc, want);
            uint32_t s = log_loc_seg(loc);
            if (s + 1 > nsegs) {
                nsegs = s + 1;
                seg_start[s] = pos;
            }
            CHECK_INT(log_loc_off(loc), seg_len[s]);
            seg_len[s] += n;
            /* the writer reads it back, buffered or not */
            uint8_t *back = malloc(n);
            CHECK_OK(segf_read(f, loc, back, n));
            CHECK_MEM(back, g_data + pos, n);
            free(back);
            pos += n;
        }
    }
    CHECK(nsegs >= 3);
    CHECK_OK(segf_sync(f));
    check_files(dir, f, seg_len, nsegs, seg_start);
    /* the last segment's blocks are reserved past its data (fallocate
     * KEEP_SIZE), when the file system can do it; its size stays the data */
    if (fallocate_works(dir)) {
        char p[700];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%08u.dat", dir, nsegs - 1);
        CHECK(stat(p, &st) == 0);
        uint64_t want = SEAL_MIN(seg_len[nsegs - 1] + 64 * 1024, (uint64_t)SEG);
        CHECK((uint64_t)st.st_blocks * 512 >= want);
        CHECK_INT(st.st_size, (long long)seg_len[nsegs - 1]);
    }
    uint64_t end = segf_end(f);
    segf_close(f);

    /* reopened: appends go on at the end of the data */
    CHECK_OK(segf_open(&f, dir, "dat", SEG, true));
    CHECK_INT(segf_end(f), end);
    uint64_t loc;
    CHECK_OK(segf_append(f, g_data + pos, 1000, &loc));
    CHECK_INT(loc, end);
    seg_len[nsegs - 1] += 1000;
    pos += 1000;
    struct iovec big = {g_data + pos, 50000};
    uint64_t want = segf_next_loc(f, 50000);
    CHECK_OK(segf_appendv(f, &big, 1, &loc));
    CHECK_INT(loc, want);
    if (log_loc_seg(loc) == nsegs - 1) {
        seg_len[nsegs - 1] += 50000;
    } else {
        seg_start[nsegs] = pos;
        seg_len[nsegs++] = 50000;
    }
    pos += 50000;
    CHECK_OK(segf_sync(f));
    check_files(dir, f, seg_len, nsegs, seg_start);

    /* cut in the middle of the last segment: the size follows, and the next
     * append lands at the cut */
    uint32_t last = nsegs - 1;
    uint64_t cut = seg_len[last] / 2;
    CHECK_OK(segf_truncate(f, log_loc(last, cut)));
    seg_len[last] = cut;
    CHECK_INT(segf_end(f), log_loc(last, cut));
    pos = seg_start[last] + cut;
    big.iov_base = g_data + pos;
    big.iov_len = 40000;
    if (cut + 40000 <= SEG) {
        CHECK_OK(segf_appendv(f, &big, 1, &loc));
        CHECK_INT(loc, log_loc(last, cut));
        seg_len[last] += 40000;
    }
    CHECK_OK(segf_sync(f));
    check_files(dir, f, seg_len, nsegs, seg_start);
    segf_close(f);
}

int main(void)
{
    t_init();
    RUN(test_append_and_reserve);
    return t_done();
}
