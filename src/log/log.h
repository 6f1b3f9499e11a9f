/* log.h - the append-only files under a store: segmented files, the tx log
 * record format, the commit index record format, CRC-32C framing.
 *
 * A "segmented file" is a directory of numbered segment files
 * (00000000.<ext>, 00000001.<ext>, ...), each at most seg_size bytes long,
 * except that a single record larger than seg_size gets a segment of its own.
 * A record never spans two segments. A position in a segmented file is a
 * "location": u64 (segment << 40) | offset-in-segment.
 *
 * When the writer moves to a new segment it first flushes and fdatasyncs the
 * old one, so every segment but the last is complete and durable, and a torn
 * write can only ever be at the end of the last segment.
 *
 * The byte layouts are in docs/format.md and in txlog.c / cix.c. */
#ifndef SEAL_LOG_H
#define SEAL_LOG_H

#include <stdbool.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "mtree/mtree.h"

/* ------------------------------------------------------------- locations */
#define LOG_OFF_BITS 40
#define LOG_OFF_MASK ((UINT64_C(1) << LOG_OFF_BITS) - 1)
#define LOG_MAX_SEG  ((UINT64_C(1) << 24) - 1)
static inline uint64_t log_loc(uint32_t seg, uint64_t off)
{
    return ((uint64_t)seg << LOG_OFF_BITS) | (off & LOG_OFF_MASK);
}
static inline uint32_t log_loc_seg(uint64_t loc)
{
    return (uint32_t)(loc >> LOG_OFF_BITS);
}
static inline uint64_t log_loc_off(uint64_t loc)
{
    return loc & LOG_OFF_MASK;
}

/* ------------------------------------------------------------------ CRC */
/* CRC-32C (Castagnoli), used only to frame records (not a security hash). */
uint32_t log_crc32c(uint32_t crc, const void *p, size_t n);

/* -------------------------------------------------------- segmented file */
typedef struct segf segf;

/* Opens (creating |dir| if |create|) the segmented file in |dir| with
 * segments named %08u.<ext>. Segment numbers must be contiguous from 0 (a
 * gap is SEAL_ECORRUPT). *out owned by the caller (segf_close). */
int segf_open(segf **out, const char *dir, const char *ext, uint64_t seg_size, bool create);
/* Opens the segmented file in |dir| for reading only: nothing is created,
 * no segment is opened for writing (a missing |dir| reads as an empty file),
 * and appends or truncations fail with SEAL_ESTATE. For offline checks. */
int segf_open_ro(segf **out, const char *dir, const char *ext, uint64_t seg_size);
void segf_close(segf *f);
const char *segf_dir(const segf *f);
/* Path of segment |seg| into |buf| (for messages). */
void segf_seg_path(const segf *f, uint32_t seg, char *buf, size_t cap);
uint64_t segf_seg_size(const segf *f);
/* Number of segments (0 when empty). */
uint32_t segf_nsegs(const segf *f);
/* Length of segment |seg| including bytes not yet flushed (0 past the end). */
uint64_t segf_seg_len(segf *f, uint32_t seg);
/* Location just past the last byte. */
uint64_t segf_end(segf *f);
/* Where a record of |n| bytes would be placed by the next segf_append. */
uint64_t segf_next_loc(segf *f, size_t n);
/* Reads |n| bytes at |loc| (must lie inside one segment). Reading past the
 * end of a segment is SEAL_ECORRUPT (a short file). Thread-safe for data
 * below the flushed end; only the writer may read unflushed bytes. */
int segf_read(segf *f, uint64_t loc, void *buf, size_t n);
/* Appends a record of |n| bytes (buffered); moves to a new segment first when
 * the record does not fit in the current one and the current one is not
 * empty. *loc (if non-NULL) receives its location. Writer thread only. */
int segf_append(segf *f, const void *p, size_t n, uint64_t *loc);
/* Appends the |n| pieces of |iov| as one record (contiguous, placed like a
 * record of their total size; *loc = where the first piece lands). Small
 * records are copied into the write buffer; from 32 KiB on the buffer is
 * flushed and the pieces go to the file at once with pwritev, from the
 * caller's memory. Writer thread only. */
struct iovec;
int segf_appendv(segf *f, const struct iovec *iov, size_t n, uint64_t *loc);
/* Writes buffered bytes to the file (no fsync). */
int segf_flush(segf *f);
/* Flush, then fdatasync the last segment (earlier ones were synced when the
 * writer left them). */
int segf_sync(segf *f);
/* A duplicate descriptor of the last segment (*fd = -1 when there is none),
 * so that another thread can fdatasync what was written so far with
 * segf_fd_sync while the writer goes on (and may move to a new segment:
 * the old one was synced when it was left). Flush first. Any thread. */
int segf_dup_fd(segf *f, int *fd);
/* fdatasync of |fd| from segf_dup_fd (-1: nothing to do), then closes it.
 * A failure is remembered (segf_sync_error). Any thread. */
int segf_fd_sync(segf *f, int fd);
/* Has an fdatasync of this file failed since it was opened? */
bool segf_sync_error(const segf *f);
/* Drops everything from |loc| on: truncates that segment, removes later
 * segments, fsyncs. Buffered bytes are discarded. */
int segf_truncate(segf *f, uint64_t loc);
/* Total bytes over all segments, buffered bytes included. */
uint64_t segf_total(segf *f);
/* Bytes appended since open (for statistics). */
uint64_t segf_written(const segf *f);

/* Fault injection for tests: after |bytes| more bytes have been written by
 * any segmented file, writes fail with |err| (SEAL_EIO or SEAL_ENOSPC);
 * bytes < 0 disables. */
void segf_fail_after(long long bytes, int err);
/* Make the |nth| fdatasync from now fail (1 = the next one; 0 disables). Tests. */
void segf_fail_sync(int nth);

/* Power-loss simulation for tests (tests/unit/store_powerloss_test.c): when
 * a recorder is set, every write of a segment file calls write_begin before
 * it (with the bytes about to be written) and write_end after it, and every
 * fdatasync calls sync_begin before it and sync_end after it, with the
 * descriptor, and a truncation calls truncate_begin and truncate_end. The
 * recorder may block in any of them. NULL removes it. */
typedef struct segf_recorder {
    void (*write_begin)(void *arg, int fd, uint64_t off, const struct iovec *iov, size_t n);
    void (*write_end)(void *arg);
    void (*sync_begin)(void *arg, int fd, uint64_t *token);
    void (*sync_end)(void *arg, int fd, uint64_t token, int rc);
    /* around segf_truncate (which fsyncs what it leaves); |fd| is the
     * truncated segment's, -1 if it failed before that */
    void (*truncate_begin)(void *arg);
    void (*truncate_end)(void *arg, int fd);
    void *arg;
} segf_recorder;
void segf_set_recorder(const segf_recorder *r);

/* Fixed-size records of |recsize| bytes: the location of record |idx| when
 * each segment holds seg_size / recsize records. */
static inline uint64_t segf_rec_loc(uint64_t seg_size, size_t recsize, uint64_t i)
{
    uint64_t per = seg_size / recsize;
    return log_loc((uint32_t)(i / per), (i % per) * recsize);
}
/* Number of whole records present, counting full segments then the last. */
uint64_t segf_rec_count(segf *f, size_t recsize);

/* ------------------------------------------------------- tx log records */
#define TXREC_MAGIC       0x53545852u /* "STXR": the first layout, no durable mark */
#define TXREC_MAGIC2      0x53545832u /* "STX2": with the durable mark (written now) */
#define TXREC_HDR_FIXED   28          /* magic, len, id, ts, version, txmd len */
#define TXREC_MIN_LEN     (TXREC_HDR_FIXED + 4 + 8 + 32 + 32 + 32 + 4) /* of either layout */
#define TXREC_DURABLE_LEN 8
#define TXREC_NO_MARK     UINT64_MAX /* txrec.durable of an "STXR" record: unknown */
#define TXREC_ENTRY_FIXED (2 + 1 + 4 + 8 + 32)
#define TXREC_MAX_LEN     (UINT32_C(1) << 31)

/* One entry as the tx log stores it. */
typedef struct txrec_entry {
    const uint8_t *key; /* points into the record buffer (or caller data) */
    uint16_t key_len;
    uint8_t md_len;
    uint8_t md[MT_MAX_KVMD_LEN];
    uint32_t vlen;
    uint64_t vloc; /* location in the value log */
    mt_hash hval;
} txrec_entry;

/* Size of the record ("STX2") for a header with |txmd_len| metadata bytes
 * and entries. */
size_t txrec_size(size_t txmd_len, const txrec_entry *e, size_t n);
/* Encodes a record ("STX2") into |out| (txrec_size bytes). |h| gives id,
 * ts, version, md, nentries (must equal n), bl_tx_id, bl_root, eh.
 * |durable| is the durable mark: the tx log location up to which the log
 * was known durable (fdatasynced) when the record was written. */
void txrec_encode(uint8_t *out, const mt_txhdr *h, const txrec_entry *e, size_t n,
                  const mt_hash alh, uint64_t durable);
/* Reads the length field of a record start (at least 8 bytes); 0 when the
 * magic is neither layout's. */
uint32_t txrec_peek_len(const uint8_t *p);
/* Decoded record: the header (prev_alh left zero: it is not stored), the
 * stored Alh and the entries (keys point into |buf|). */
typedef struct txrec {
    mt_txhdr hdr;
    mt_hash alh;
    uint64_t durable; /* the durable mark; TXREC_NO_MARK for an "STXR" record */
    size_t n;
    txrec_entry *e; /* owned (seal_free) */
} txrec;
/* Checks framing (magic, length, CRC) and parses. SEAL_ECORRUPT with a
 * reason in |why| (if non-NULL) when the bytes are not a valid record.
 * When |e_out| is false, entries are not decoded (e = NULL). */
int txrec_decode(const uint8_t *buf, size_t len, txrec *out, bool e_out, const char **why);
void txrec_free(txrec *r);

/* ------------------------------------------------- commit index records */
#define CIX_REC_SIZE 64
typedef struct cixrec {
    uint64_t id;
    uint64_t txloc; /* location of the tx record in the tx log */
    uint64_t vend;  /* value-log location just past this tx's values */
    mt_hash alh;
    uint32_t size; /* size of the tx record */
} cixrec;
void cix_encode(uint8_t out[CIX_REC_SIZE], const cixrec *r);
/* SEAL_ECORRUPT if the CRC does not match (all-zero bytes included). */
int cix_decode(const uint8_t in[CIX_REC_SIZE], cixrec *r);

/* ----------------------------------------------------- ahtree node file */
#define AHT_NODE_SIZE 32
/* An mt_nodestore over a segmented file of flat 32-byte digests, with a
 * cache of recent nodes in front (appends go through it, reads are served
 * from it when they can: proofs for recent txs read the same right-edge
 * nodes over and over, 32 bytes per pread otherwise). Returns 0 or
 * SEAL_ENOMEM; aht_nodestore_free releases the cache. */
int aht_nodestore(segf *f, mt_nodestore *ns);
void aht_nodestore_free(mt_nodestore *ns);
/* The file was cut to |nodes| digests: forget cached nodes from there on. */
void aht_nodestore_cut(mt_nodestore *ns, uint64_t nodes);

#endif
