/* recovery.c - bringing a store back to a consistent state on open.
 *
 * The commit pipeline writes values, tx records and hash tree nodes,
 * fdatasyncs them, and only then writes the commit index records of the
 * group (commit.c). So every commit index record that is on disk describes
 * a tx whose data is durable, and the last valid commit index record marks
 * the "durable point" D. The commit index and hash tree files are not
 * fdatasynced before a commit returns: one group every ST_DERIVED_SYNC_MS
 * (10 ms) does it, and close. So after a power loss they may lack the
 * records and nodes of the last few groups, acknowledged ones included.
 * That is safe because those txs' data is durable: step 3 recomputes missing
 * hash tree nodes from the commit index, and step 5 finds and keeps every
 * complete tx after D; and it keeps reopen fast because only about 10 ms
 * of commits (plus the groups in flight) can be missing. Open trusts the
 * commit index up to D (it does not rescan the log: reopen time does not
 * grow with the log) and checks only:
 *
 *   1. tx D itself, completely (framing, Alh recomputed, values hashed);
 *   2. the tail after D: each further complete record is checked the same
 *      way and kept (a crash after the data fsync and before the commit
 *      index write leaves such txs; they were never acknowledged but are
 *      complete). The first record that is incomplete (torn), or invalid with
 *      nothing but zeros or the end of the log after it, ends the log: it is
 *      cut, and the cut is logged with file and offset. An invalid record
 *      followed by more data is corruption: open fails with SEAL_ECORRUPT
 *      naming the tx id, file and offset.
 *   3. the commit index and hash tree files are made to match the log:
 *      torn records cut, missing records recomputed from the tx log.
 *
 * A tx log or value log that simply ends before D (files cut short) loses
 * the txs that are no longer complete; this is logged as a warning with the
 * tx range. A tx at or before D that fails its checks is corruption, never
 * cut. */
#include "store/store_int.h"

#include <limits.h>
#include <stdio.h>

int st_check_tx(seal_store *s, const txrec *r, const mt_hash prev_alh, const mt_hash bl_root,
                struct tx_check *c)
{
    int rc = 0;
    mt_hash *dig = NULL;
    uint8_t *vbuf = NULL;
    size_t vcap = 0;
    mt_txhdr h = r->hdr;
    mt_hash x;
    c->why = NULL;
    c->torn = false;
    c->bad_value = false;
    if (h.version != s->version) {
        c->why = "tx header version differs from the store's";
        return SEAL_ECORRUPT;
    }
    if (h.bl_tx_id != h.id - 1 || memcmp(h.bl_root, bl_root, 32) != 0) {
        c->why = "BlTxID/BlRoot do not match the hash tree";
        return SEAL_ECORRUPT;
    }
    if (r->n == 0 || r->n > 0xffffffffu) {
        c->why = "tx has no entries";
        return SEAL_ECORRUPT;
    }
    dig = seal_malloc(r->n * sizeof(*dig));
    if (!dig)
        return SEAL_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        const txrec_entry *e = &r->e[i];
        mt_kvmd md;
        if (e->key_len == 0 || mt_kvmd_parse(&md, e->md, e->md_len) != 0 ||
            (h.version == 0 && e->md_len > 0)) {
            c->why = "bad entry (empty key or bad KV metadata)";
            rc = SEAL_ECORRUPT;
            goto out;
        }
        uint64_t want = st_place(c->vpos, e->vlen, segf_seg_size(s->valf));
        if (e->vloc != want) {
            c->why = "value location is not where the writer puts it";
            rc = SEAL_ECORRUPT;
            goto out;
        }
        c->vpos = st_loc_add(want, e->vlen);
        if (c->check_values) {
            uint32_t seg = log_loc_seg(e->vloc);
            if (seg >= segf_nsegs(s->valf) ||
                log_loc_off(e->vloc) + e->vlen > segf_seg_len(s->valf, seg)) {
                c->torn = true;
                c->why = "value data missing (value log too short)";
                c->bad_vloc = e->vloc;
                rc = SEAL_ECORRUPT;
                goto out;
            }
            if (e->vlen > vcap) {
                seal_free(vbuf);
                vcap = e->vlen;
                vbuf = seal_malloc(vcap);
                if (!vbuf) {
                    rc = SEAL_ENOMEM;
                    goto out;
                }
            }
            if ((rc = segf_read(s->valf, e->vloc, vbuf, e->vlen)) != 0) {
                if (rc == SEAL_ECORRUPT) {
                    c->torn = true;
                    c->why = "value data missing";
                    c->bad_vloc = e->vloc;
                }
                goto out;
            }
            cry_part part = {vbuf, e->vlen};
            if ((rc = cry_sha256v(x, &part, 1)) != 0)
                goto out;
            if (memcmp(x, e->hval, 32) != 0) {
                c->why = "value does not match its hash (hVal)";
                c->bad_vloc = e->vloc;
                c->bad_value = true;
                rc = SEAL_ECORRUPT;
                goto out;
            }
        }
        if ((rc = mt_entry_digest(dig[i], h.version, e->md, e->md_len, e->key, e->key_len,
                                  e->hval)) != 0)
            goto out;
    }
    if ((rc = mt_htree_root(x, (const mt_hash *)dig, r->n)) != 0)
        goto out;
    if (memcmp(x, h.eh, 32) != 0) {
        c->why = "entries hash (Eh) does not match the entries";
        rc = SEAL_ECORRUPT;
        goto out;
    }
    memcpy(h.prev_alh, prev_alh, 32);
    if ((rc = mt_alh(x, &h)) != 0)
        goto out;
    if (memcmp(x, r->alh, 32) != 0) {
        c->why = "Alh does not match the header (or the previous tx)";
        rc = SEAL_ECORRUPT;
        goto out;
    }
out:
    seal_free(vbuf);
    seal_free(dig);
    return rc;
}

static void seg_path(segf *f, uint64_t loc, char *buf, size_t cap)
{
    segf_seg_path(f, log_loc_seg(loc), buf, cap);
}

/* Is everything from |loc| to the end of |f| zero bytes? */
int st_zero_from(segf *f, uint64_t loc, bool *zero)
{
    uint8_t buf[65536];
    *zero = true;
    for (uint32_t seg = log_loc_seg(loc); seg < segf_nsegs(f); seg++) {
        uint64_t off = seg == log_loc_seg(loc) ? log_loc_off(loc) : 0;
        uint64_t len = segf_seg_len(f, seg);
        while (off < len) {
            size_t n = (size_t)SEAL_MIN(len - off, sizeof(buf));
            int rc = segf_read(f, log_loc(seg, off), buf, n);
            if (rc)
                return rc;
            for (size_t i = 0; i < n; i++)
                if (buf[i]) {
                    *zero = false;
                    return 0;
                }
            off += n;
        }
    }
    return 0;
}

/* Is the record candidate of |rl| bytes at |loc| (magic and length already
 * read) complete and intact (CRC)? If so, *mark gets its durable mark
 * (TXREC_NO_MARK for an "STXR" record). The CRC is computed piece by piece,
 * so a false candidate (the magic inside a key) costs no large allocation. */
static int candidate(segf *f, uint64_t loc, uint32_t magic, uint32_t rl, bool *ok, uint64_t *mark)
{
    uint8_t buf[65536];
    uint32_t crc = 0;
    size_t body = rl - 4;
    *ok = false;
    for (size_t done = 0; done < body;) {
        size_t n = SEAL_MIN(body - done, sizeof(buf));
        int rc = segf_read(f, st_loc_add(loc, done), buf, n);
        if (rc)
            return rc;
        crc = log_crc32c(crc, buf, n);
        done += n;
    }
    uint8_t tail[TXREC_DURABLE_LEN + 36];
    int rc = segf_read(f, st_loc_add(loc, rl - sizeof(tail)), tail, sizeof(tail));
    if (rc)
        return rc;
    if (seal_get_u32(tail + sizeof(tail) - 4) != crc)
        return 0;
    *ok = true;
    *mark = magic == TXREC_MAGIC2 ? seal_get_u64(tail) : TXREC_NO_MARK;
    return 0;
}

int st_durable_after(segf *f, uint64_t from, uint64_t x, bool *proven)
{
    uint8_t buf[65536];
    *proven = false;
    for (uint32_t seg = log_loc_seg(from); seg < segf_nsegs(f); seg++) {
        uint64_t off = seg == log_loc_seg(from) ? log_loc_off(from) : 0;
        uint64_t len = segf_seg_len(f, seg);
        while (off + 8 <= len) {
            size_t n = (size_t)SEAL_MIN(len - off, sizeof(buf));
            int rc = segf_read(f, log_loc(seg, off), buf, n);
            if (rc)
                return rc;
            for (size_t i = 0; i + 8 <= n; i++) {
                uint32_t m = seal_get_u32(buf + i);
                if (m != TXREC_MAGIC && m != TXREC_MAGIC2)
                    continue;
                uint32_t rl = seal_get_u32(buf + i + 4);
                uint64_t at = off + i;
                size_t min = TXREC_MIN_LEN + (m == TXREC_MAGIC2 ? TXREC_DURABLE_LEN : 0);
                if (rl < min || rl > len - at)
                    continue;
                bool ok = false;
                uint64_t mark = 0;
                if ((rc = candidate(f, log_loc(seg, at), m, rl, &ok, &mark)) != 0)
                    return rc;
                if (ok && (mark == TXREC_NO_MARK || st_loc_cmp(mark, x) > 0)) {
                    *proven = true;
                    return 0;
                }
            }
            /* the next window overlaps this one by 7 bytes: a record start
             * cut by the window's end is seen whole in the next */
            off += n > 7 ? n - 7 : n;
        }
    }
    return 0;
}

/* Is a record of |size| bytes at |loc| entirely inside the tx log? */
static bool tx_present(seal_store *s, uint64_t loc, uint32_t size)
{
    uint32_t seg = log_loc_seg(loc);
    return seg < segf_nsegs(s->txf) && log_loc_off(loc) + size <= segf_seg_len(s->txf, seg);
}

static bool val_present(seal_store *s, uint64_t vend)
{
    uint32_t seg = log_loc_seg(vend);
    if (vend == 0)
        return true;
    return seg < segf_nsegs(s->valf) && log_loc_off(vend) <= segf_seg_len(s->valf, seg);
}

static int cix_truncate(seal_store *s, uint64_t n)
{
    return segf_truncate(s->cixf, segf_rec_loc(segf_seg_size(s->cixf), CIX_REC_SIZE, n));
}

/* Step 1: the valid prefix of the commit index; returns D. Records up to
 * K (seal.synced) were fdatasynced; after K a power loss can leave holes
 * (pages of the file written back in any order), so the prefix is found by
 * reading forward from K: D is the last record before the first one that
 * is missing or fails its checks, and everything after D is cut (the tail
 * scan of step 5 re-derives it from the tx log). */
static int recover_cix(seal_store *s, uint64_t *d_out)
{
    int rc;
    uint64_t n = segf_rec_count(s->cixf, CIX_REC_SIZE);
    uint64_t total = segf_total(s->cixf);
    uint64_t seg = segf_seg_size(s->cixf), per = seg / CIX_REC_SIZE;
    uint64_t k = s->synced_k0;
    cixrec c;
    uint8_t b[1024 * CIX_REC_SIZE];
    if (k > n) {
        SEAL_LOGW("store", "%s: commit index has %llu records, %llu were synced; checking all",
                  segf_dir(s->cixf), (unsigned long long)n, (unsigned long long)k);
        k = 0;
    }
    if (k > 0) {
        rc = segf_read(s->cixf, segf_rec_loc(seg, CIX_REC_SIZE, k - 1), b, CIX_REC_SIZE);
        if (rc != 0 && rc != SEAL_ECORRUPT)
            return rc;
        if (rc != 0 || cix_decode(b, &c) != 0 || c.id != k) {
            SEAL_LOGW("store", "%s: synced commit index record %llu fails its checks; checking all",
                      segf_dir(s->cixf), (unsigned long long)k);
            k = 0;
        }
    }
    uint64_t good = k;
    while (good < n) {
        /* a run of records inside one segment */
        uint64_t in_seg = per - good % per;
        size_t m = (size_t)SEAL_MIN(SEAL_MIN(n - good, in_seg), sizeof(b) / CIX_REC_SIZE);
        rc = segf_read(s->cixf, segf_rec_loc(seg, CIX_REC_SIZE, good), b, m * CIX_REC_SIZE);
        if (rc != 0 && rc != SEAL_ECORRUPT)
            return rc;
        if (rc != 0)
            break;
        size_t i = 0;
        while (i < m && cix_decode(b + i * CIX_REC_SIZE, &c) == 0 && c.id == good + i + 1)
            i++;
        good += i;
        if (i < m)
            break;
    }
    s->synced_k0 = k; /* what step 3 may trust of the hash tree */
    if (good != n || total != n * CIX_REC_SIZE) {
        SEAL_LOGW("store",
                  "%s: commit index has %llu bytes; keeping %llu valid records, cutting the rest "
                  "(rebuilt from the tx log below)",
                  segf_dir(s->cixf), (unsigned long long)total, (unsigned long long)good);
        if ((rc = cix_truncate(s, good)) != 0)
            return rc;
    }
    *d_out = good;
    return 0;
}

/* Step 2: make sure the data of tx D is present in the tx and value logs;
 * if a file was cut short, move D back to the last tx that is complete. */
static int recover_extent(seal_store *s, uint64_t *d)
{
    int rc;
    cixrec c;
    if (*d == 0)
        return 0;
    if ((rc = st_read_cix(s, *d, &c)) != 0)
        return rc;
    if (tx_present(s, c.txloc, c.size) && val_present(s, c.vend))
        return 0;
    uint64_t lo = 0, hi = *d; /* largest k in [lo, hi) that is present */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((rc = st_read_cix(s, mid, &c)) != 0)
            return rc;
        if (tx_present(s, c.txloc, c.size) && val_present(s, c.vend))
            lo = mid;
        else
            hi = mid;
    }
    SEAL_LOGW("store",
              "%s: the tx log or value log ends before tx %llu that the commit index lists; "
              "txs %llu..%llu are incomplete and are dropped",
              s->dir, (unsigned long long)*d, (unsigned long long)lo + 1, (unsigned long long)*d);
    if ((rc = cix_truncate(s, lo)) != 0)
        return rc;
    *d = lo;
    return 0;
}

/* Step 3: the hash tree file holds exactly the nodes of D leaves. */
static int recover_aht(seal_store *s, uint64_t d)
{
    int rc;
    uint64_t seg = segf_seg_size(s->ahtf);
    uint64_t want = d ? mt_ah_nodes_upto(d) : 0;
    uint64_t have = segf_rec_count(s->ahtf, AHT_NODE_SIZE);
    /* only the nodes of the first K txs were synced (seal.synced); later
     * ones may have holes after a power loss: recomputed from the Alh values
     * in the commit index (at most the few txs of the last ~10 ms) */
    uint64_t ksync = SEAL_MIN(s->synced_k0, d);
    uint64_t trusted = ksync ? mt_ah_nodes_upto(ksync) : 0;
    if (have > trusted && want > trusted)
        have = trusted;
    uint64_t total = segf_total(s->ahtf);
    uint64_t k = d;
    if (have < want) {
        uint64_t lo = 0, hi = d; /* largest k with nodes_upto(k) <= have */
        while (lo < hi) {
            uint64_t mid = hi - (hi - lo) / 2;
            if (mt_ah_nodes_upto(mid) <= have)
                lo = mid;
            else
                hi = mid - 1;
        }
        k = lo;
        SEAL_LOGW("store", "%s: hash tree has %llu of %llu nodes; recomputing leaves %llu..%llu",
                  segf_dir(s->ahtf), (unsigned long long)have, (unsigned long long)want,
                  (unsigned long long)k + 1, (unsigned long long)d);
    }
    uint64_t keep = k ? mt_ah_nodes_upto(k) : 0;
    if (total != keep * AHT_NODE_SIZE) {
        if (have >= want)
            SEAL_LOGW("store", "%s: hash tree has %llu bytes, %llu expected; cutting the rest",
                      segf_dir(s->ahtf), (unsigned long long)total,
                      (unsigned long long)(keep * AHT_NODE_SIZE));
        if ((rc = segf_truncate(s->ahtf, segf_rec_loc(seg, AHT_NODE_SIZE, keep))) != 0)
            return rc;
        aht_nodestore_cut(&s->ns, keep);
    }
    if ((rc = mt_ahtree_open(&s->aht, &s->ns, k)) != 0)
        return st_err(rc, "%s: cannot open the hash tree at %llu leaves", segf_dir(s->ahtf),
                      (unsigned long long)k);
    for (uint64_t i = k + 1; i <= d; i++) {
        cixrec c;
        if ((rc = st_read_cix(s, i, &c)) != 0)
            return rc;
        if ((rc = mt_ahtree_append(s->aht, c.alh, NULL)) != 0)
            return rc;
    }
    return segf_sync(s->ahtf);
}

static int bl_root_for(seal_store *s, uint64_t id, mt_hash out)
{
    if (id <= 1) {
        memset(out, 0, 32);
        return 0;
    }
    return mt_ahtree_root_at(s->aht, id - 1, out);
}

/* Step 4: the full check of tx D. */
static int check_durable(seal_store *s, uint64_t d, uint64_t *vpos_out)
{
    int rc;
    txrec r;
    uint8_t *buf = NULL;
    mt_hash bl;
    cixrec c;
    char path[PATH_MAX];
    if (d == 0) {
        *vpos_out = 0;
        return 0;
    }
    if ((rc = st_read_tx(s, d, true, &r, &buf)) != 0)
        return rc;
    if ((rc = st_read_cix(s, d, &c)) != 0)
        goto out;
    struct tx_check ck = {.check_values = true};
    if (d > 1) {
        cixrec pc;
        if ((rc = st_read_cix(s, d - 1, &pc)) != 0)
            goto out;
        ck.vpos = pc.vend;
    }
    if ((rc = bl_root_for(s, d, bl)) != 0)
        goto out;
    rc = st_check_tx(s, &r, r.hdr.prev_alh, bl, &ck);
    if (rc == SEAL_ECORRUPT) {
        if (ck.bad_vloc || ck.bad_value || ck.torn) {
            seg_path(s->valf, ck.bad_vloc, path, sizeof(path));
            rc = st_err(rc, "tx %llu (last durable tx): %s (%s offset %llu)", (unsigned long long)d,
                        ck.why, path, (unsigned long long)log_loc_off(ck.bad_vloc));
        } else {
            seg_path(s->txf, c.txloc, path, sizeof(path));
            rc = st_err(rc, "tx %llu (last durable tx): %s (%s offset %llu)", (unsigned long long)d,
                        ck.why, path, (unsigned long long)log_loc_off(c.txloc));
        }
        goto out;
    }
    if (rc)
        goto out;
    if (ck.vpos != c.vend) {
        seg_path(s->cixf, 0, path, sizeof(path));
        rc = st_err(SEAL_ECORRUPT, "tx %llu: value log end in the commit index does not match",
                    (unsigned long long)d);
        goto out;
    }
    s->last_ts = r.hdr.ts;
    *vpos_out = c.vend;
out:
    txrec_free(&r);
    seal_free(buf);
    return rc;
}

/* Step 5: scan the tail after D. */
static int recover_tail(seal_store *s, uint64_t d, uint64_t vpos)
{
    int rc = 0;
    cixrec c;
    mt_hash prev;
    uint64_t pos = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    char path[PATH_MAX];
    uint64_t kept = 0;
    const char *torn = NULL;
    if (d > 0) {
        if ((rc = st_read_cix(s, d, &c)) != 0)
            return rc;
        pos = st_loc_add(c.txloc, c.size);
        memcpy(prev, c.alh, 32);
    } else {
        memcpy(prev, MT_EMPTY_HASH, 32);
    }
    /* The commit index records written below must only list durable data:
     * after a process crash the tail may still be in the page cache only. */
    if ((rc = segf_sync(s->valf)) != 0 || (rc = segf_sync(s->txf)) != 0)
        return rc;
    uint64_t id = d + 1;
    uint64_t scan = pos; /* pos: end of the last good record; scan: where to read next */
    for (;;) {
        uint32_t seg = log_loc_seg(scan);
        uint64_t off = log_loc_off(scan);
        if (seg >= segf_nsegs(s->txf))
            break;
        uint64_t slen = segf_seg_len(s->txf, seg);
        if (off >= slen) {
            if (seg + 1 < segf_nsegs(s->txf)) {
                scan = log_loc(seg + 1, 0);
                continue;
            }
            break;
        }
        uint64_t avail = slen - off;
        uint8_t head[8];
        if (avail < 8) {
            torn = "partial record header";
            break;
        }
        if ((rc = segf_read(s->txf, scan, head, 8)) != 0)
            goto out;
        uint32_t len = txrec_peek_len(head);
        const char *why = NULL;
        bool invalid = false;
        txrec r;
        memset(&r, 0, sizeof(r));
        struct tx_check ck = {.vpos = vpos, .check_values = true};
        if (len == 0 || len < TXREC_MIN_LEN || len > TXREC_MAX_LEN) {
            invalid = true;
            why = "bad record header";
            len = 0;
        } else if (len > avail) {
            torn = "partial record";
            break;
        } else if (scan != st_place(pos, len, segf_seg_size(s->txf))) {
            invalid = true;
            why = "record is not where the writer puts it";
        } else {
            if (len > cap) {
                seal_free(buf);
                cap = len;
                buf = seal_malloc(cap);
                if (!buf) {
                    rc = SEAL_ENOMEM;
                    goto out;
                }
            }
            if ((rc = segf_read(s->txf, scan, buf, len)) != 0)
                goto out;
            rc = txrec_decode(buf, len, &r, true, &why);
            if (rc == SEAL_ECORRUPT) {
                invalid = true;
            } else if (rc) {
                goto out;
            } else if (r.hdr.id != id) {
                invalid = true;
                why = "unexpected tx id";
            } else {
                mt_hash bl;
                if ((rc = bl_root_for(s, id, bl)) != 0) {
                    txrec_free(&r);
                    goto out;
                }
                rc = st_check_tx(s, &r, prev, bl, &ck);
                if (rc == SEAL_ECORRUPT && ck.torn) {
                    txrec_free(&r);
                    torn = "value data missing for the last tx";
                    rc = 0;
                    break;
                }
                if (rc == SEAL_ECORRUPT) {
                    invalid = true;
                    why = ck.why;
                } else if (rc) {
                    txrec_free(&r);
                    goto out;
                }
            }
        }
        if (invalid) {
            txrec_free(&r);
            bool zero = false;
            uint64_t after = st_loc_add(scan, len);
            bool at_end = len > 0 && len == avail && seg + 1 >= segf_nsegs(s->txf);
            if ((rc = st_zero_from(s->txf, len ? after : scan, &zero)) != 0)
                goto out;
            if (at_end || zero) {
                torn = why;
                rc = 0;
                break;
            }
            /* More data follows. Damage to data that was durable, or a
             * write a power loss cut while later ones reached the disk (the
             * page cache writes pages back in any order)? The durable marks
             * of the records after it tell: if none of them says the log was
             * durable past this record, it never was, so nothing from here
             * on was acknowledged (acknowledgement follows durability, in
             * order) and the tail is cut like a torn one. */
            bool proven = false;
            if ((rc = st_durable_after(s->txf, st_loc_add(scan, 1), scan, &proven)) != 0)
                goto out;
            if (!proven) {
                seg_path(s->txf, scan, path, sizeof(path));
                SEAL_LOGW("store",
                          "%s offset %llu: tx %llu %s, and more data follows, none of it written "
                          "after this point was durable: an interrupted write (power loss); "
                          "cutting here",
                          path, (unsigned long long)off, (unsigned long long)id,
                          why ? why : "invalid record");
                torn = "write interrupted before it was durable";
                rc = 0;
                break;
            }
            seg_path(s->txf, scan, path, sizeof(path));
            rc = st_err(SEAL_ECORRUPT,
                        "tx %llu: %s (%s offset %llu), and more data follows; a later record "
                        "shows this one had been durable",
                        (unsigned long long)id, why ? why : "invalid record", path,
                        (unsigned long long)off);
            goto out;
        }
        /* complete and valid: keep it */
        uint8_t cb[CIX_REC_SIZE];
        cixrec nc = {.id = id, .txloc = scan, .vend = ck.vpos, .size = len};
        memcpy(nc.alh, r.alh, 32);
        cix_encode(cb, &nc);
        s->last_ts = r.hdr.ts;
        txrec_free(&r);
        if ((rc = mt_ahtree_append(s->aht, nc.alh, NULL)) != 0)
            goto out;
        if ((rc = segf_append(s->cixf, cb, sizeof(cb), NULL)) != 0)
            goto out;
        memcpy(prev, nc.alh, 32);
        vpos = ck.vpos;
        pos = st_loc_add(scan, len);
        scan = pos;
        id++;
        kept++;
    }
    if (kept)
        SEAL_LOGW("store", "%s: %llu complete tx(s) after the commit index (%llu..%llu) kept",
                  s->dir, (unsigned long long)kept, (unsigned long long)d + 1,
                  (unsigned long long)id - 1);
    uint64_t txend = segf_end(s->txf);
    if (st_loc_cmp(pos, txend) < 0) {
        seg_path(s->txf, pos, path, sizeof(path));
        SEAL_LOGW("store",
                  "cutting torn tail of the tx log at %s offset %llu (%s; end was "
                  "segment %u offset %llu)",
                  path, (unsigned long long)log_loc_off(pos), torn ? torn : "garbage",
                  log_loc_seg(txend), (unsigned long long)log_loc_off(txend));
        if ((rc = segf_truncate(s->txf, pos)) != 0)
            goto out;
    }
    uint64_t vend = segf_end(s->valf);
    if (st_loc_cmp(vpos, vend) < 0) {
        seg_path(s->valf, vpos, path, sizeof(path));
        SEAL_LOGW("store",
                  "cutting torn tail of the value log at %s offset %llu (end was "
                  "segment %u offset %llu)",
                  path, (unsigned long long)log_loc_off(vpos), log_loc_seg(vend),
                  (unsigned long long)log_loc_off(vend));
        if ((rc = segf_truncate(s->valf, vpos)) != 0)
            goto out;
    }
    if ((rc = segf_sync(s->ahtf)) != 0 || (rc = segf_sync(s->cixf)) != 0)
        goto out;
    atomic_store(&s->tx_durable, pos); /* synced above, before the scan */
    atomic_store(&s->committed, id - 1);
    memcpy(s->committed_alh, prev, 32);
    s->vend = vpos;
out:
    seal_free(buf);
    return rc;
}

int st_recover(seal_store *s)
{
    int rc;
    uint64_t d = 0, vpos = 0;
    if ((rc = recover_cix(s, &d)) != 0)
        return rc;
    if ((rc = recover_extent(s, &d)) != 0)
        return rc;
    atomic_store(&s->committed, d); /* lets st_read_tx see txs up to D */
    if ((rc = recover_aht(s, d)) != 0)
        return rc;
    if ((rc = check_durable(s, d, &vpos)) != 0)
        return rc;
    if ((rc = recover_tail(s, d, vpos)) != 0)
        return rc;
    /* recover_tail synced the commit index and the hash tree as they are now */
    (void)st_synced_note(s, st_committed(s));
    SEAL_LOGI("store", "%s: opened at tx %llu", s->dir, (unsigned long long)st_committed(s));
    return 0;
}
