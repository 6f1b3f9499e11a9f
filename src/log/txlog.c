/* txlog.c - byte layout of the tx log record and of the commit index record,
 * and the CRC-32C that frames both. All integers are big-endian.
 *
 * Tx log record (one per tx, never spanning two segments):
 *
 *   off   size  field
 *   0     4     magic 0x53545832 ("STX2"; 0x53545852 "STXR" for the first
 *               layout, which lacks the durable mark below and is still read)
 *   4     4     L = total record length in bytes, this header and the CRC included
 *   8     8     tx id
 *   16    8     ts, Unix seconds (i64)
 *   24    2     tx header version (0 or 1)
 *   26    2     M = tx metadata length (0 for version 0)
 *   28    M     tx metadata, immudb serialisation (spec 1.2)
 *   28+M  4     n = number of entries
 *         8     BlTxID
 *         32    BlRoot
 *         32    Eh (htree root over the entry digests)
 *         n *   entry: u16 key length k, u8 KV-metadata length m, m bytes of
 *               KV metadata (spec 1.1), k bytes of key, u32 value length,
 *               u64 value location in the value log, 32 bytes hVal
 *   L-44  8     durable mark ("STX2" only): the tx log location up to which
 *               the log was known durable (fdatasynced) when this record was
 *               written; recovery uses it to tell a write cut by a power loss
 *               from damage to durable data (recovery.c)
 *   L-36  32    Alh of this tx
 *   L-4   4     CRC-32C of bytes [0, L-4)
 *
 * PrevAlh is not stored: it is the Alh of the previous record (or of the
 * previous commit index record), EMPTY for tx 1.
 *
 * Commit index record (64 bytes, record i describes tx i+1):
 *
 *   0   8   tx id
 *   8   8   location of the tx record in the tx log
 *   16  8   value-log location just past the last value of this tx
 *   24  32  Alh of the tx
 *   56  4   size of the tx record
 *   60  4   CRC-32C of bytes [0, 60) */
#include "log/log.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <pthread.h>
#endif

/* ------------------------------------------------------------ CRC-32C */
static uint32_t g_crc_table[8][256];
static uint32_t g_crc_x2n[32]; /* x^(2^k) modulo the polynomial (reflected) */
static int g_crc_init;
static int g_crc_hw;

/* a * b modulo the CRC-32C polynomial, both reflected (bit 31 = x^0) */
static uint32_t crc_mulmod(uint32_t a, uint32_t b)
{
    uint32_t m = UINT32_C(1) << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return p;
}

/* The CRC register |crc| moved past |n| zero bytes: crc * x^(8n). */
static uint32_t crc_shift(uint32_t crc, size_t n)
{
    uint32_t x = UINT32_C(1) << 31; /* x^0 */
    for (unsigned k = 3; n; n >>= 1, k++)
        if (n & 1)
            x = crc_mulmod(g_crc_x2n[k & 31], x);
    return crc_mulmod(x, crc);
}

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        g_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            g_crc_table[t][i] =
                (g_crc_table[t - 1][i] >> 8) ^ g_crc_table[0][g_crc_table[t - 1][i] & 0xff];
    g_crc_x2n[0] = UINT32_C(1) << 30; /* x^1 */
    for (int k = 1; k < 32; k++)
        g_crc_x2n[k] = crc_mulmod(g_crc_x2n[k - 1], g_crc_x2n[k - 1]);
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d))
        g_crc_hw = (c & bit_SSE4_2) != 0;
#endif
    __atomic_store_n(&g_crc_init, 1, __ATOMIC_RELEASE);
}

static uint32_t crc_sw(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = g_crc_table[7][lo & 0xff] ^ g_crc_table[6][(lo >> 8) & 0xff] ^
              g_crc_table[5][(lo >> 16) & 0xff] ^ g_crc_table[4][lo >> 24] ^ g_crc_table[3][p[4]] ^
              g_crc_table[2][p[5]] ^ g_crc_table[1][p[6]] ^ g_crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ g_crc_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
#define CRC_HW_SPLIT_MIN 1024 /* bytes per stream from which three run at once */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    if (n >= 3 * CRC_HW_SPLIT_MIN) {
        /* three independent streams over thirds of the buffer (the crc32
         * instruction has a latency of three cycles and a throughput of
         * one), then combined: crc(A|B|C) = shift(crc(A), |B|+|C|) ^
         * shift(crc0(B), |C|) ^ crc0(C), where crc0 starts from zero */
        size_t third = n / 3 / 8 * 8;
        const uint8_t *q = p + third, *r = p + 2 * third;
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < third; i += 8) {
            uint64_t v0, v1, v2;
            memcpy(&v0, p + i, 8);
            memcpy(&v1, q + i, 8);
            memcpy(&v2, r + i, 8);
            c = __builtin_ia32_crc32di(c, v0);
            c1 = __builtin_ia32_crc32di(c1, v1);
            c2 = __builtin_ia32_crc32di(c2, v2);
        }
        c = crc_shift((uint32_t)c, 2 * third) ^ crc_shift((uint32_t)c1, third) ^ (uint32_t)c2;
        p += 3 * third;
        n -= 3 * third;
    }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t log_crc32c(uint32_t crc, const void *p, size_t n)
{
    if (!__atomic_load_n(&g_crc_init, __ATOMIC_ACQUIRE))
        crc_init(); /* idempotent: racing initialisers write the same values */
    crc = ~crc;
#if defined(__x86_64__)
    if (g_crc_hw)
        return ~crc_hw(crc, p, n);
#endif
    return ~crc_sw(crc, p, n);
}

/* ------------------------------------------------------ tx log records */
size_t txrec_size(size_t txmd_len, const txrec_entry *e, size_t n)
{
    size_t sz = TXREC_MIN_LEN + TXREC_DURABLE_LEN + txmd_len;
    for (size_t i = 0; i < n; i++)
        sz += TXREC_ENTRY_FIXED + e[i].key_len + e[i].md_len;
    return sz;
}

void txrec_encode(uint8_t *out, const mt_txhdr *h, const txrec_entry *e, size_t n,
                  const mt_hash alh, uint64_t durable)
{
    uint8_t md[MT_MAX_TXMD_LEN];
    size_t mdlen = h->version >= 1 ? mt_txmd_bytes(&h->md, md) : 0;
    size_t len = txrec_size(mdlen, e, n);
    uint8_t *p = out;
    seal_put_u32(p, TXREC_MAGIC2);
    seal_put_u32(p + 4, (uint32_t)len);
    seal_put_u64(p + 8, h->id);
    seal_put_u64(p + 16, (uint64_t)h->ts);
    seal_put_u16(p + 24, (uint16_t)h->version);
    seal_put_u16(p + 26, (uint16_t)mdlen);
    p += TXREC_HDR_FIXED;
    memcpy(p, md, mdlen);
    p += mdlen;
    seal_put_u32(p, (uint32_t)n);
    seal_put_u64(p + 4, h->bl_tx_id);
    memcpy(p + 12, h->bl_root, 32);
    memcpy(p + 44, h->eh, 32);
    p += 76;
    for (size_t i = 0; i < n; i++) {
        seal_put_u16(p, e[i].key_len);
        p[2] = e[i].md_len;
        p += 3;
        memcpy(p, e[i].md, e[i].md_len);
        p += e[i].md_len;
        memcpy(p, e[i].key, e[i].key_len);
        p += e[i].key_len;
        seal_put_u32(p, e[i].vlen);
        seal_put_u64(p + 4, e[i].vloc);
        memcpy(p + 12, e[i].hval, 32);
        p += 44;
    }
    seal_put_u64(p, durable);
    p += TXREC_DURABLE_LEN;
    memcpy(p, alh, 32);
    p += 32;
    seal_put_u32(p, log_crc32c(0, out, len - 4));
}

uint32_t txrec_peek_len(const uint8_t *p)
{
    uint32_t m = seal_get_u32(p);
    if (m != TXREC_MAGIC && m != TXREC_MAGIC2)
        return 0;
    return seal_get_u32(p + 4);
}

void txrec_free(txrec *r)
{
    if (r) {
        seal_free(r->e);
        r->e = NULL;
    }
}

#define NEED(k, msg)                                                                               \
    do {                                                                                           \
        if ((size_t)(end - p) < (size_t)(k)) {                                                     \
            *why = msg;                                                                            \
            goto bad;                                                                              \
        }                                                                                          \
    } while (0)

int txrec_decode(const uint8_t *buf, size_t len, txrec *out, bool e_out, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    txrec r;
    memset(&r, 0, sizeof(r));
    const uint8_t *p = buf, *end;
    if (len < TXREC_MIN_LEN) {
        *why = "record shorter than the minimum";
        goto bad;
    }
    uint32_t magic = seal_get_u32(buf);
    if (magic != TXREC_MAGIC && magic != TXREC_MAGIC2) {
        *why = "bad record magic";
        goto bad;
    }
    size_t mark = magic == TXREC_MAGIC2 ? TXREC_DURABLE_LEN : 0;
    if (len < TXREC_MIN_LEN + mark) {
        *why = "record shorter than the minimum";
        goto bad;
    }
    if (seal_get_u32(buf + 4) != len) {
        *why = "record length field does not match";
        goto bad;
    }
    if (seal_get_u32(buf + len - 4) != log_crc32c(0, buf, len - 4)) {
        *why = "record checksum mismatch";
        goto bad;
    }
    end = buf + len - 36 - mark; /* before the durable mark, the Alh and the CRC */
    r.durable = mark ? seal_get_u64(end) : TXREC_NO_MARK;
    r.hdr.id = seal_get_u64(buf + 8);
    r.hdr.ts = (int64_t)seal_get_u64(buf + 16);
    r.hdr.version = seal_get_u16(buf + 24);
    size_t mdlen = seal_get_u16(buf + 26);
    if (r.hdr.version > 1) {
        *why = "unknown tx header version";
        goto bad;
    }
    p = buf + TXREC_HDR_FIXED;
    NEED(mdlen, "tx metadata runs past the record");
    if (mdlen > MT_MAX_TXMD_LEN || (r.hdr.version == 0 && mdlen > 0) ||
        mt_txmd_parse(&r.hdr.md, p, mdlen) != 0) {
        *why = "bad tx metadata";
        goto bad;
    }
    p += mdlen;
    NEED(76, "header runs past the record");
    r.hdr.nentries = seal_get_u32(p);
    r.hdr.bl_tx_id = seal_get_u64(p + 4);
    memcpy(r.hdr.bl_root, p + 12, 32);
    memcpy(r.hdr.eh, p + 44, 32);
    p += 76;
    r.n = r.hdr.nentries;
    if (r.n > (size_t)(end - p) / TXREC_ENTRY_FIXED) {
        *why = "entry count does not fit the record";
        goto bad;
    }
    if (e_out && r.n > 0) {
        r.e = seal_malloc(r.n * sizeof(*r.e));
        if (!r.e)
            return SEAL_ENOMEM;
    }
    for (size_t i = 0; i < r.n; i++) {
        NEED(3, "entry runs past the record");
        uint16_t klen = seal_get_u16(p);
        uint8_t mlen = p[2];
        p += 3;
        if (mlen > MT_MAX_KVMD_LEN) {
            *why = "KV metadata too long";
            goto bad;
        }
        NEED((size_t)mlen + klen + 44, "entry runs past the record");
        if (r.e) {
            txrec_entry *e = &r.e[i];
            e->md_len = mlen;
            memcpy(e->md, p, mlen);
            e->key = p + mlen;
            e->key_len = klen;
            e->vlen = seal_get_u32(p + mlen + klen);
            e->vloc = seal_get_u64(p + mlen + klen + 4);
            memcpy(e->hval, p + mlen + klen + 12, 32);
        }
        p += (size_t)mlen + klen + 44;
    }
    if (p != end) {
        *why = "record has trailing bytes";
        goto bad;
    }
    memcpy(r.alh, end + mark, 32);
    *out = r;
    return 0;
bad:
    seal_free(r.e);
    return SEAL_ECORRUPT;
}

/* ---------------------------------------------------- commit index */
void cix_encode(uint8_t out[CIX_REC_SIZE], const cixrec *r)
{
    seal_put_u64(out, r->id);
    seal_put_u64(out + 8, r->txloc);
    seal_put_u64(out + 16, r->vend);
    memcpy(out + 24, r->alh, 32);
    seal_put_u32(out + 56, r->size);
    seal_put_u32(out + 60, log_crc32c(0, out, 60));
}

int cix_decode(const uint8_t in[CIX_REC_SIZE], cixrec *r)
{
    if (seal_get_u32(in + 60) != log_crc32c(0, in, 60))
        return SEAL_ECORRUPT;
    cixrec x;
    x.id = seal_get_u64(in);
    x.txloc = seal_get_u64(in + 8);
    x.vend = seal_get_u64(in + 16);
    memcpy(x.alh, in + 24, 32);
    x.size = seal_get_u32(in + 56);
    if (x.id == 0 || x.size < TXREC_MIN_LEN)
        return SEAL_ECORRUPT;
    *r = x;
    return 0;
}

/* ------------------------------------------------- ahtree node store */
/* The ahtree node file is the flat array of 32-byte digests in immudb's
 * node order (spec 4.2): node i lives at byte 32*i of the logical file. */
/* The node cache: direct-mapped by node index, striped locks. Nodes never
 * change once written, except when the file is cut (a rolled-back commit,
 * recovery): aht_nodestore_cut forgets them then. */
#define AHT_CACHE_SLOTS (1u << 15) /* 32768 nodes, about 1.3 MiB */
#define AHT_CACHE_LOCKS 64
struct aht_slot {
    uint64_t idx1; /* node index + 1; 0 = empty */
    mt_hash h;
};
typedef struct aht_store {
    segf *f;
    pthread_mutex_t mu[AHT_CACHE_LOCKS];
    struct aht_slot slot[AHT_CACHE_SLOTS];
} aht_store;

static void cache_put_node(aht_store *a, uint64_t idx, const mt_hash h)
{
    uint32_t i = (uint32_t)(idx & (AHT_CACHE_SLOTS - 1));
    pthread_mutex_t *m = &a->mu[i % AHT_CACHE_LOCKS];
    pthread_mutex_lock(m);
    a->slot[i].idx1 = idx + 1;
    memcpy(a->slot[i].h, h, sizeof(mt_hash));
    pthread_mutex_unlock(m);
}

static int aht_append(void *ctx, const mt_hash *nodes, size_t n)
{
    aht_store *a = ctx;
    uint64_t first = segf_rec_count(a->f, AHT_NODE_SIZE);
    for (size_t i = 0; i < n; i++) {
        int rc = segf_append(a->f, nodes[i], AHT_NODE_SIZE, NULL);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        cache_put_node(a, first + i, nodes[i]);
    return 0;
}

static int aht_read(void *ctx, uint64_t idx, mt_hash out)
{
    aht_store *a = ctx;
    uint32_t i = (uint32_t)(idx & (AHT_CACHE_SLOTS - 1));
    pthread_mutex_t *m = &a->mu[i % AHT_CACHE_LOCKS];
    pthread_mutex_lock(m);
    bool hit = a->slot[i].idx1 == idx + 1;
    if (hit)
        memcpy(out, a->slot[i].h, sizeof(mt_hash));
    pthread_mutex_unlock(m);
    if (hit)
        return 0;
    int rc =
        segf_read(a->f, segf_rec_loc(segf_seg_size(a->f), AHT_NODE_SIZE, idx), out, AHT_NODE_SIZE);
    if (rc == 0)
        cache_put_node(a, idx, out);
    return rc;
}

int aht_nodestore(segf *f, mt_nodestore *ns)
{
    aht_store *a = seal_calloc(1, sizeof(*a));
    if (!a)
        return SEAL_ENOMEM;
    a->f = f;
    for (int i = 0; i < AHT_CACHE_LOCKS; i++)
        pthread_mutex_init(&a->mu[i], NULL);
    ns->ctx = a;
    ns->append = aht_append;
    ns->read = aht_read;
    return 0;
}

void aht_nodestore_free(mt_nodestore *ns)
{
    aht_store *a = ns->ctx;
    if (!a)
        return;
    for (int i = 0; i < AHT_CACHE_LOCKS; i++)
        pthread_mutex_destroy(&a->mu[i]);
    seal_free(a);
    ns->ctx = NULL;
}

void aht_nodestore_cut(mt_nodestore *ns, uint64_t nodes)
{
    aht_store *a = ns->ctx;
    if (!a)
        return;
    for (int l = 0; l < AHT_CACHE_LOCKS; l++)
        pthread_mutex_lock(&a->mu[l]);
    for (uint32_t i = 0; i < AHT_CACHE_SLOTS; i++)
        if (a->slot[i].idx1 > nodes)
            a->slot[i].idx1 = 0;
    for (int l = AHT_CACHE_LOCKS - 1; l >= 0; l--)
        pthread_mutex_unlock(&a->mu[l]);
}
