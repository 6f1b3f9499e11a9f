/* index.h - the key index: every version of every key, on LMDB.
 *
 * The index is passive: the store's indexer thread feeds it committed
 * transactions in order (idx_apply), and readers query it through read
 * snapshots (LMDB read transactions, which never block the writer). It knows
 * nothing of the database layer's prefixes: keys are opaque byte strings of
 * up to IDX_MAX_KEY bytes. LMDB limits keys to 511 bytes; longer keys are
 * stored under a truncated form plus a hash, and the full key is kept in the
 * record so that scans still return them in exact byte order (see index.c).
 *
 * Errors: 0 or a negative SEAL_E* code (SEAL_ENOTFOUND when no version
 * matches, SEAL_EIO/SEAL_ENOSPACE for storage problems, SEAL_ECORRUPT when a
 * stored record fails its checks; a log line names the DB and the key in
 * hex). Threads: one writer (idx_apply calls are serialised internally);
 * any number of snapshots, each used by one thread at a time (a snapshot
 * may be handed from thread to thread). */
#ifndef SEAL_INDEX_H
#define SEAL_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "mtree/mtree.h"

#define IDX_MAX_KEY 65535 /* hard cap; the store enforces its configured max */

typedef struct idx idx;

typedef struct idx_opts {
    uint64_t map_size;       /* LMDB map size in bytes; 0 = default (64 GiB, sparse). It
                              * doubles by itself whenever it is full. */
    bool no_sync;            /* do not fsync the index on each LMDB txn (MDB_NOSYNC) */
    bool unsynced_marker;    /* with no_sync: keep the marker file (see index.c) so that
                              * an index left unsynced when the machine went down is
                              * found on open (SEAL_ESTATE) and can be rebuilt */
    bool write_map;          /* MDB_WRITEMAP: about twice as fast for random inserts, but the
                              * data file's apparent size becomes the map size (sparse), and
                              * a stray write in the process could damage the index */
    unsigned max_readers;    /* snapshots open at once; 0 = default (1024) */
    unsigned resize_wait_ms; /* how long growing the map waits for snapshots to end;
                              * 0 = default (5000) */
} idx_opts;

/* One version of one key, as the index stores it. */
typedef struct idx_version {
    uint64_t tx;   /* tx id that wrote this version */
    uint64_t voff; /* value location in the value log (opaque to the index) */
    uint32_t vlen; /* value length */
    mt_hash hval;  /* SHA-256 of the stored value */
    mt_kvmd md;    /* KV metadata (deleted, expiresAt, nonIndexable) */
    uint64_t rev;  /* 1-based revision of the key (1 = first version) */
} idx_version;

/* One entry of a committed tx, in tx order. */
typedef struct idx_put {
    const uint8_t *key;
    size_t key_len;
    uint64_t tx;
    uint64_t voff;
    uint32_t vlen;
    mt_hash hval;
    mt_kvmd md;
} idx_put;

/* Opens (creating if needed, with its directory) the index in directory
 * |dir|; |o| may be NULL for defaults. *out owned by the caller (idx_close).
 * SEAL_EUNSUPPORTED for an index of another format version. */
int idx_open(idx **out, const char *dir, const idx_opts *o);
/* Every snapshot must have ended before. NULL is a no-op. */
void idx_close(idx *ix);

/* Applies entries of consecutive committed txs and records |last_tx| as the
 * last indexed tx (n may be 0 to just advance it), in one LMDB write txn.
 * Entries must be in tx order (non-decreasing, each <= |last_tx|); entries
 * whose md.non_indexable is set are skipped; a key repeated within the batch
 * gets one version per entry, in entry order. Keys are 1..IDX_MAX_KEY bytes.
 * A tx <= idx_last_tx, or |last_tx| <= idx_last_tx, is refused (SEAL_EINVAL)
 * and nothing changes: the index never goes backwards.
 * When the LMDB map is full it is doubled and the batch retried. Growing the
 * map waits (resize_wait_ms, 5 s by default) for open snapshots to end, so a
 * thread must not hold a snapshot while it calls idx_apply: if snapshots stay
 * open the call fails with SEAL_EBUSY (retry later). SEAL_ENOSPACE when the
 * disk is full or the map cannot grow.
 * A batch too big for one LMDB txn (MDB_TXN_FULL, about 500 MB of dirty
 * pages) is split at tx boundaries and applied in several txns; if a later
 * part then fails, the earlier parts stay applied: idx_last_tx says how far
 * it got (always a tx boundary) and the caller resumes from there. One tx too
 * big on its own is SEAL_ELIMIT. Otherwise a failed call changes nothing. */
/* With unsynced_marker: flushes the index (data and meta pages) and removes
 * the marker, when it is there. 0 or a negative SEAL_E* code. */
int idx_checkpoint(idx *ix);
/* Is the marker there (has the index changed since its last flush)? */
bool idx_unsynced(idx *ix);

int idx_apply(idx *ix, const idx_put *puts, size_t n, uint64_t last_tx);

/* The last tx applied (0 for an empty index). */
uint64_t idx_last_tx(idx *ix);

/* Testing only: make idx_apply behave as if LMDB refused (MDB_TXN_FULL) any
 * write txn of more than |max_entries| entries (0 = off), to exercise the
 * split of a batch at tx boundaries. */
void idx_test_set_txn_limit(idx *ix, size_t max_entries);

/* Read snapshots: consistent views; many may be open at once from any thread.
 * They never block idx_apply (except while the map grows, see above).
 * SEAL_EBUSY when max_readers snapshots are already open. */
typedef struct idx_snap idx_snap;
int idx_snap_begin(idx *ix, idx_snap **out);
/* NULL is a no-op. */
void idx_snap_end(idx_snap *s);
/* Last tx visible in this snapshot. */
uint64_t idx_snap_tx(const idx_snap *s);

/* Latest version of |key| with tx <= |at_tx| (0 = no bound). Deleted and
 * expired versions are returned as they are; the caller decides. */
int idx_get(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t at_tx, idx_version *out);
/* Version number |rev| (1 = first; 0 is SEAL_EINVAL; past the last one
 * SEAL_ENOTFOUND). */
int idx_get_rev(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t rev, idx_version *out);
/* Number of versions of |key| (0 if none). */
int idx_versions(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t *out);
/* History: versions from |offset| (0-based, from the oldest or, when |desc|,
 * from the newest), at most |limit| (0 = no limit); |cb| returns non-zero to
 * stop (that value is returned). SEAL_ENOTFOUND when the key has no version;
 * an offset past the last version gives 0 and no call. */
typedef int (*idx_version_cb)(void *arg, const idx_version *v);
int idx_history(idx_snap *s, const uint8_t *key, size_t key_len, uint64_t offset, uint64_t limit,
                bool desc, idx_version_cb cb, void *arg);

/* Scans over keys in byte order (memcmp, a prefix sorting first); for each
 * key the latest version with tx <= max_tx (0 = the snapshot's last tx) is
 * given to |cb|; keys with no such version are not seen. A zero length means
 * "none" for prefix, seek_key and end_key. Ascending, seek_key is the lower
 * bound; descending (desc), it is the upper bound and end_key the lower one.
 * Keys outside |prefix| are never seen. */
typedef struct idx_scan_opts {
    const uint8_t *prefix;
    size_t prefix_len;
    const uint8_t *seek_key; /* start here (NULL = first/last key under prefix) */
    size_t seek_len;
    bool seek_inclusive;
    const uint8_t *end_key; /* stop here (NULL = no end) */
    size_t end_len;
    bool end_inclusive;
    bool desc;
    uint64_t limit;  /* 0 = no limit (counts keys handed to cb that it accepted) */
    uint64_t max_tx; /* 0 = snapshot tx */
} idx_scan_opts;
/* |cb| returns 0 to continue and count the key, 1 to skip it without
 * counting (e.g. deleted), or a negative code to stop with that error. |key|
 * and |v| are valid during the call only. |cb| may call other idx_ functions
 * on the same snapshot (nested scans included). */
typedef int (*idx_scan_cb)(void *arg, const uint8_t *key, size_t key_len, const idx_version *v);
int idx_scan(idx_snap *s, const idx_scan_opts *o, idx_scan_cb cb, void *arg);

/* Counts the keys under |prefix| (prefix_len 0 = all keys) that have a
 * version with tx <= |max_tx| (0 = the snapshot's last tx). With
 * IDX_COUNT_LIVE in |flags|, a key is counted only if that visible version is
 * neither deleted nor expired at Unix time |now| (expired: expires_at <= now,
 * as immudb's ExpiredAt). Writes the count to *out. */
#define IDX_COUNT_LIVE 1u
int idx_count(idx_snap *s, const uint8_t *prefix, size_t prefix_len, uint64_t max_tx,
              unsigned flags, uint64_t now, uint64_t *out);

#endif
